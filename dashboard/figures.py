"""Plotly figures: plain functions, data in, figure out (testable without Streamlit)."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from dashboard import money
from dashboard.i18n import measure_label
from dashboard.i18n import t as tr

BAND_COLORS = {"red": "#d64545", "yellow": "#e6b422", "green": "#2e9e5b"}
TIER_COLORS = {"Tier1": "#1f4e79", "Tier2": "#4a90c2", "Tier3": "#a9cce3", "none": "#cccccc"}
MOVE_COLORS = {"new": "#2e9e5b", "reactivation": "#7fbf7f", "expansion": "#4a90c2", "contraction": "#e6b422",
               "churn": "#d64545", "fx": "#8c8c8c"}
# Series without a meaning of their own (segments, rates side by side): never the bands' red, yellow or green,
# which mean health wherever they appear (Plotly's default second colour is a red).
SERIES_COLORS = ["#1f4e79", "#8e6bbf", "#17becf", "#7f7f7f", "#b5651d", "#4a90c2", "#c76ba8", "#3b3b6d"]
FONT = "Noto Sans JP, Hiragino Sans, Meiryo, sans-serif"


def key_text(value) -> str:
    """A drill-down key as text (dates as ISO days): in a point's customdata and in the drill page's URL."""
    return value.date().isoformat() if isinstance(value, pd.Timestamp) else \
        value.isoformat() if hasattr(value, "isoformat") else str(value)


def drill_data(column: str, *keys, extra=None) -> list[list]:
    """Each point's drill-down (catalog.DRILLS): the figure's column it shows, then its row's keys as text
    (one value for every point, or one per point), then anything the hover text shows (``extra``). A click
    on the point opens the accounts behind it (ui.chart)."""
    columns = [list(k) if isinstance(k, (pd.Series, pd.Index, list, tuple)) else None for k in keys]
    n = max((len(c) for c in columns if c is not None), default=1)
    extras = list(extra) if extra is not None else None
    if extras is not None:
        n = len(extras)
    return [[column, *[key_text(c[i] if c is not None else k) for c, k in zip(columns, keys, strict=True)],
             *([extras[i]] if extras is not None else [])] for i in range(n)]


def plain(text: object) -> str:
    """User text (a company or owner name, a channel) as Plotly shows it literally: Plotly reads tags such as
    <b>, <br> and <a href> in titles, labels and ticks, so '<' and '&' are escaped."""
    return html.escape(str(text), quote=False)


def plain_all(values) -> list[str]:
    return [plain(v) for v in values]


def split_title(title: str) -> tuple[str, str | None]:
    """'MRR trend (2025/10 – 2026/10)' -> ('MRR trend', '2025/10 – 2026/10'): the period goes on a second line."""
    for opening, closing in (("（", "）"), (" (", ")")):
        if title.endswith(closing) and opening in title:
            head, _, tail = title.rpartition(opening)
            return head, tail[: -len(closing)]
    return title, None


def _layout(fig: go.Figure, title: str, *, height: int = 360, yaxis_title: str | None = None) -> go.Figure:
    head, period = (plain(part) if part is not None else None for part in split_title(title))
    text = head if period is None else f"{head}<br><span style='font-size:12px;color:#666'>{period}</span>"
    fig.update_layout(
        title={"text": text, "x": 0, "xanchor": "left", "font": {"size": 16}},
        height=height, margin={"l": 10, "r": 10, "t": 70 if period else 50, "b": 10}, font={"family": FONT},
        legend={"orientation": "h", "y": -0.15, "x": 0}, plot_bgcolor="white", hovermode="x unified",
        separators=".,", colorway=SERIES_COLORS,
    )
    fig.update_xaxes(showgrid=False)
    fig.update_yaxes(gridcolor="#eeeeee", title_text=yaxis_title, tickformat=",")
    return fig


def _money_axis(fig: go.Figure, values, lang: str, axis: str = "y", low: float | None = None,
                high: float | None = None) -> None:
    """An amount axis labelled like the cards ('¥3,600万', not 36,000,000 under a sideways '¥'): round
    ticks over the values (and zero, unless ``low`` is given) or over the range given."""
    numbers = [float(v) for v in values if v is not None and v == v]
    low = min([0.0, *numbers]) if low is None else low
    high = max([0.0, *numbers]) if high is None else high
    tickvals, ticktext = money.ticks(low, high, lang, count=4 if axis == "y" else 3)  # x labels are wide
    update = fig.update_yaxes if axis == "y" else fig.update_xaxes
    update(tickmode="array", tickvals=tickvals, ticktext=ticktext)


def _dates(fig: go.Figure, tickformat: str = "%Y/%m") -> None:
    """A date x axis with a few level labels: a half-width chart at 1024 px drew twelve month labels over
    one another at an angle (category axes keep every label: a waterfall's steps, purchase counts)."""
    fig.update_xaxes(tickformat=tickformat, nticks=4, tickangle=0)


def mrr_trend(movements: pd.DataFrame, title: str, lang: str = "ja") -> go.Figure:
    fig = go.Figure(go.Scatter(x=movements["month"], y=movements["end"], mode="lines+markers", fill="tozeroy",
                               line={"color": "#1f4e79", "width": 2}, name="MRR",
                               customdata=drill_data("end", movements["month"]),
                               hovertemplate=money.d3("y") + "<extra></extra>"))
    _dates(fig)
    _money_axis(fig, movements["end"], lang)
    return _layout(fig, title)


def waterfall(month_row: pd.Series, title: str, lang: str = "ja") -> go.Figure:
    steps = ["start", "new", "reactivation", "expansion", "contraction", "churn", "end"]
    values = [month_row["start"], month_row["new"], month_row["reactivation"], month_row["expansion"],
              -month_row["contraction"], -month_row["churn"], month_row["end"]]
    fx = month_row.get("fx", 0) or 0
    if fx:  # an exchange rate moved MRR billed in another currency: its own step, before the end
        steps.insert(6, "fx")
        values.insert(6, fx)
    fig = go.Figure(go.Waterfall(
        x=[tr(s, lang) for s in steps], y=values,
        measure=["absolute", *["relative"] * (len(steps) - 2), "total"],
        text=[money.compact(abs(v), lang) for v in values], textposition="outside",
        increasing={"marker": {"color": MOVE_COLORS["new"]}},
        decreasing={"marker": {"color": MOVE_COLORS["churn"]}},
        totals={"marker": {"color": "#1f4e79"}}, connector={"line": {"color": "#bbbbbb"}},
        customdata=[drill_data(s, month_row["month"])[0] for s in steps],
        hovertemplate="%{x}: " + money.d3("y") + "<extra></extra>"))
    low = float(min(month_row["start"], month_row["end"])) * 0.9
    high = float(max(month_row["start"], month_row["end"]) + max(values[1:-1], default=0) * 1.3)
    fig.update_yaxes(range=[low, high])
    _money_axis(fig, [], lang, low=low, high=high)
    fig = _layout(fig, title)
    fig.update_layout(hovermode="closest", showlegend=False)
    return fig


def movements_bars(movements: pd.DataFrame, title: str, lang: str = "ja") -> go.Figure:
    fig = go.Figure()
    for key in ("new", "reactivation", "expansion"):
        fig.add_bar(x=movements["month"], y=movements[key], name=tr(key, lang), marker_color=MOVE_COLORS[key],
                    customdata=drill_data(key, movements["month"]))
    for key in ("contraction", "churn"):
        fig.add_bar(x=movements["month"], y=-movements[key], name=tr(key, lang), marker_color=MOVE_COLORS[key],
                    customdata=drill_data(key, movements["month"]))
    if "fx" in movements and movements["fx"].astype(float).ne(0).any():  # MRR billed in another currency
        fig.add_bar(x=movements["month"], y=movements["fx"], name=tr("fx", lang), marker_color=MOVE_COLORS["fx"],
                    customdata=drill_data("fx", movements["month"]))
    fig.update_layout(barmode="relative")
    _dates(fig)
    ups = movements[["new", "reactivation", "expansion"]].astype(float).sum(axis=1)
    downs = -movements[["contraction", "churn"]].astype(float).sum(axis=1)
    _money_axis(fig, [*ups, *downs], lang)
    return _layout(fig, title)


def tier_mix(summary: pd.DataFrame, title: str, lang: str = "ja") -> go.Figure:
    summary = summary[summary["mrr"] > 0]  # a tier filtered out has no slice (not a "0%" label on the rim)
    fig = go.Figure(go.Pie(labels=summary["tier"], values=summary["mrr"], hole=0.55, sort=False,
                           marker={"colors": [TIER_COLORS[t] for t in summary["tier"]]},
                           texttemplate="%{label}<br>%{percent}", hovertemplate="%{label}: " + money.d3("value") + "<extra></extra>"))
    fig = _layout(fig, title)
    fig.update_layout(showlegend=False, hovermode="closest")
    return fig


def tier_bars(summary: pd.DataFrame, title: str, lang: str = "ja") -> go.Figure:
    fig = go.Figure()
    fig.add_bar(x=summary["tier"], y=summary["mrr"], name="MRR", marker_color=[TIER_COLORS[t] for t in summary["tier"]],
                text=[f"{money.compact(v, lang)}<br>" + tr("fig_accounts_count", lang, n=f"{n:,}")
                      for v, n in zip(summary["mrr"], summary["accounts"], strict=True)],
                textposition="outside", textangle=0, cliponaxis=False, customdata=drill_data("mrr", summary["tier"]),
                hovertemplate="%{x}: " + money.d3("y") + "<extra></extra>")
    top = float(summary["mrr"].max() or 1) * 1.25
    fig.update_yaxes(range=[0, top])
    _money_axis(fig, [], lang, low=0, high=top)
    fig = _layout(fig, title, yaxis_title="MRR")
    fig.update_layout(showlegend=False, hovermode="closest")
    return fig


def stacked_bands(frame: pd.DataFrame, x: str, title: str, lang: str = "ja", normalize: bool = True) -> go.Figure:
    """Bars per ``x`` split by health band (frame has x, band, accounts)."""
    fig = go.Figure()
    pivot = frame.pivot_table(index=x, columns="band", values="accounts", aggfunc="sum", fill_value=0)
    if normalize:
        pivot = pivot.div(pivot.sum(axis=1), axis=0)
    for b in ("red", "yellow", "green"):
        if b in pivot:
            fig.add_bar(x=pivot.index, y=pivot[b], name=tr(b, lang), marker_color=BAND_COLORS[b],
                        customdata=drill_data("accounts", pivot.index, b),
                        hovertemplate="%{y:.0%}" if normalize else "%{y:,}")
    fig.update_layout(barmode="stack")
    fig = _layout(fig, title)
    if normalize:
        fig.update_yaxes(tickformat=".0%", range=[0, 1])
    return fig


def health_histogram(bins: pd.DataFrame, bands: list[float], title: str, lang: str = "ja") -> go.Figure:
    """Accounts per 5-point score bin, stacked by tier (``bins``: result health_histogram)."""
    fig = go.Figure()
    for tier in ("Tier1", "Tier2", "Tier3"):
        part = bins[bins["tier"] == tier]
        if len(part):
            fig.add_bar(x=part["bin_from"] + 2.5, y=part["accounts"], width=4.75, name=tier,
                        marker_color=TIER_COLORS[tier],
                        customdata=[[*d, int(b) + 5] for d, b in zip(drill_data("accounts", tier, part["bin_from"]),
                                                                      part["bin_from"], strict=True)],
                        hovertemplate=f"{tier} · {tr('score', lang)} " + "%{customdata[2]}–%{customdata[3]}: %{y:,} "
                                      + tr("accounts_unit", lang) + "<extra></extra>")
    red, green = bands
    for x0, x1, b in ((0, red, "red"), (red, green, "yellow"), (green, 100, "green")):
        fig.add_vrect(x0=x0, x1=x1, fillcolor=BAND_COLORS[b], opacity=0.08, line_width=0,
                      annotation_text=tr(b, lang), annotation_position="top left")
    fig.update_layout(barmode="stack")
    fig.update_xaxes(range=[0, 100], title_text=tr("score", lang))
    fig = _layout(fig, title, yaxis_title=tr("accounts_axis", lang))
    fig.update_layout(hovermode="closest", legend={"y": -0.32})  # below the axis title, not over it
    return fig


def band_trend(frame: pd.DataFrame, title: str, lang: str = "ja") -> go.Figure:
    fig = go.Figure()
    for b in ("red", "yellow", "green"):
        part = frame[frame["band"] == b]
        fig.add_scatter(x=part["as_of"], y=part["accounts"], name=tr(b, lang), stackgroup="one",
                        line={"color": BAND_COLORS[b]})
    _dates(fig)
    return _layout(fig, title, yaxis_title=tr("accounts_axis", lang))


def contributions(details: pd.DataFrame, title: str, lang: str = "ja") -> go.Figure:
    """Each measure's contribution to one account's score; a measure it has no data for (left out of its
    score, weight 0) is listed without a bar and says so."""
    def hover(measure, raw, score, weight) -> str:
        if pd.isna(score):
            return f"{plain(measure)}: {tr('health_no_data', lang)}"
        value = tr("reason_never_contacted", lang) if pd.isna(raw) else f"{raw:,.1f}"
        return f"{plain(measure)}: {tr('raw', lang)} {value} → {score:.0f} × {tr('weight', lang)} {weight:g}"

    no_data = details["measure_score"].isna()
    text = [tr("health_no_data", lang) if gone else f"{v:.1f}" for v, gone in zip(details["contribution"], no_data, strict=True)]
    fig = go.Figure(go.Bar(x=details["contribution"].fillna(0), y=plain_all(details["measure"]), orientation="h",
                           marker_color="#4a90c2", text=text, textposition=["outside" if g else "auto" for g in no_data],
                           hovertext=[hover(*row) for row in details[["measure", "raw", "measure_score", "weight"]].itertuples(
                               index=False)], hovertemplate="%{hovertext}<extra></extra>"))
    fig = _layout(fig, title, height=80 + 40 * len(details))
    fig.update_xaxes(range=[0, 100], title_text=tr("contribution", lang))
    fig.update_layout(hovermode="closest")
    return fig


def churn_rates(frame: pd.DataFrame, title: str, lang: str = "ja", tickformat: str = "%Y/%m") -> go.Figure:
    fig = go.Figure()
    fig.add_scatter(x=frame["period_start"], y=frame["customer_churn_rate"], mode="lines+markers",
                    name=tr("kpi_churn", lang, month="").replace("（）", "").replace(" ()", ""),
                    line={"color": "#d64545"}, customdata=drill_data("customer_churn_rate", frame["period_start"]),
                    hovertemplate="%{y:.2%}")
    fig.add_scatter(x=frame["period_start"], y=frame["churned_mrr_rate"], mode="lines+markers",
                    name=tr("churned_mrr_rate", lang),
                    line={"color": "#1f4e79", "dash": "dot"}, customdata=drill_data("churned_mrr_rate", frame["period_start"]),
                    hovertemplate="%{y:.2%}")
    _dates(fig, tickformat)
    fig = _layout(fig, title)
    fig.update_yaxes(tickformat=".1%", rangemode="tozero")
    return fig


def churn_counts(frame: pd.DataFrame, title: str, lang: str = "ja", tickformat: str = "%Y/%m") -> go.Figure:
    """Churned accounts per period as bars on their own axis, the accounts at the period's start as a line
    on the right: on one axis the few churned (2-3 a month) were slivers beside 250."""
    fig = go.Figure()
    fig.add_bar(x=frame["period_start"], y=frame["customers_churned"], name=tr("fig_churned_accounts", lang),
                marker_color="#d64545", customdata=drill_data("customers_churned", frame["period_start"]),
                hovertemplate="%{y:,}")
    fig.add_scatter(x=frame["period_start"], y=frame["customers_at_start"], name=tr("fig_accounts_at_start", lang),
                    mode="lines+markers", line={"color": "#4a90c2"}, yaxis="y2",
                    customdata=drill_data("customers_at_start", frame["period_start"]), hovertemplate="%{y:,}")
    _dates(fig, tickformat)
    fig = _layout(fig, title, yaxis_title=tr("fig_churned_accounts", lang))
    churned = money.round_ticks(0, float(frame["customers_churned"].max() or 1), 4, least_step=1)
    fig.update_yaxes(range=[0, churned[-1] * 1.12], tickmode="array", tickvals=churned, ticktext=[f"{v:,.0f}" for v in churned])
    fig.update_layout(yaxis2={"overlaying": "y", "side": "right", "showgrid": False,
                              "range": [0, float(frame["customers_at_start"].max() or 1) * 1.12],
                              "tickmode": "auto", "tickformat": ",d", "title": {"text": tr("fig_accounts_at_start", lang)}})
    return fig


def lines(frame: pd.DataFrame, x: str, ys: dict[str, str], title: str, percent: bool = True) -> go.Figure:
    fig = go.Figure()
    for column, label in ys.items():
        fig.add_scatter(x=frame[x], y=frame[column], mode="lines+markers", name=label,
                        hovertemplate="%{y:.1%}" if percent else "%{y:,.0f}")
    _dates(fig)
    fig = _layout(fig, title)
    if percent:
        fig.update_yaxes(tickformat=".0%")
    return fig


def cohort_heatmap(frame: pd.DataFrame, value: str, title: str, lang: str = "ja", amounts: bool = False,
                   drillable: bool = False) -> go.Figure:
    """Cohorts (rows) by months since (columns): shares (retention) or, with ``amounts``, money per customer.
    ``drillable``: each cell is a point carrying its drill-down (a heatmap's cells cannot be selected; an
    invisible marker on each can)."""
    pivot = frame.pivot_table(index="cohort", columns="k", values=value)
    labels = [f"{c:%Y/%m}" for c in pivot.index]
    cells = pd.Series(pivot.to_numpy().ravel()).dropna()
    top = float(cells.max()) if amounts and len(cells) else 0.0
    # amounts in one form across the cells: exact below a million (¥9,983 beside ¥10,420, not ¥1万)
    cell = (lambda v: money.fmt(v, lang) if top < 1e6 else money.compact(v, lang)) if amounts else (lambda v: f"{v:.0%}")
    if amounts:
        tickvals, ticktext = money.ticks(float(cells.min()) if len(cells) else 0.0, top or 1.0, lang, count=3)  # the scale's own range
        colorbar = {"tickmode": "array", "tickvals": tickvals, "ticktext": ticktext}
    else:
        colorbar = {"tickformat": ".0%"}
    fig = go.Figure(go.Heatmap(z=pivot.to_numpy(), x=[str(k) for k in pivot.columns], y=labels, colorscale="Blues",
                               zmin=0, zmax=1 if value == "logo_retention" else None,
                               text=[[("" if pd.isna(v) else cell(v)) for v in row] for row in pivot.to_numpy()],
                               texttemplate="%{text}", textfont={"size": 9},
                               hovertemplate="%{y} +%{x}: " + (money.d3("z") if amounts else "%{z:.1%}") + "<extra></extra>",
                               colorbar=colorbar))
    if drillable:
        cells = frame.dropna(subset=[value])
        fig.data[0].hoverinfo = "skip"
        fig.add_scatter(x=[str(k) for k in cells["k"]], y=[f"{c:%Y/%m}" for c in cells["cohort"]], mode="markers",
                        marker={"symbol": "square", "size": 18, "opacity": 0}, showlegend=False,
                        customdata=drill_data(value, cells["cohort"], cells["k"], extra=cells[value].astype(float)),
                        hovertemplate="%{y} +%{x}: %{customdata[3]:.1%}<extra></extra>")
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(title_text=tr("fig_months_since", lang), type="category")
    fig = _layout(fig, title, height=max(360, 22 * len(labels) + 120))
    fig.update_layout(hovermode="closest")
    return fig


def migration_matrix(frame: pd.DataFrame, title: str, lang: str = "ja") -> go.Figure:
    order = ["Tier1", "Tier2", "Tier3", "none"]
    pivot = frame.pivot_table(index="tier_from", columns="tier_to", values="accounts", aggfunc="sum", fill_value=0)
    pivot = pivot.reindex(index=order, columns=order, fill_value=0)
    names = [tr("tier_none", lang) if c == "none" else c for c in order]
    fig = go.Figure(go.Heatmap(z=pivot.to_numpy(), x=[f"→ {c}" for c in names], y=names, colorscale="Blues",
                               text=pivot.to_numpy(), texttemplate="%{text}",
                               hovertemplate="%{y} %{x}: %{z}<extra></extra>", showscale=False))
    fig.update_yaxes(autorange="reversed")
    fig = _layout(fig, title)
    fig.update_layout(hovermode="closest")
    return fig


def segment_rates(frame: pd.DataFrame, title: str) -> go.Figure:
    fig = go.Figure()
    for segment, part in frame.groupby("segment"):
        color = {"line": {"color": TIER_COLORS[segment]}} if segment in TIER_COLORS else {}  # a tier in its own colour
        fig.add_scatter(x=part["period_start"], y=part["customer_churn_rate"], mode="lines+markers", name=plain(segment),
                        hovertemplate="%{y:.2%}", **color)
    _dates(fig)
    fig = _layout(fig, title)
    fig.update_yaxes(tickformat=".1%", rangemode="tozero")
    return fig


def tornado(rows: list[dict], title: str, value_format: str | None = None, lang: str = "ja") -> go.Figure:
    fmt = value_format.format if value_format else money.fmt
    rows = list(reversed(rows))
    base = rows[0]["base"] if rows else 0
    fig = go.Figure()
    fig.add_bar(y=[r["driver"] for r in rows], x=[r["output_low"] - base for r in rows], base=base, orientation="h",
                name="-20%", marker_color="#d64545",
                text=[fmt(r["output_low"]) for r in rows], textposition="auto")
    fig.add_bar(y=[r["driver"] for r in rows], x=[r["output_high"] - base for r in rows], base=base, orientation="h",
                name="+20%", marker_color="#2e9e5b",
                text=[fmt(r["output_high"]) for r in rows], textposition="auto")
    fig.add_vline(x=base, line_color="#333333")
    fig.update_layout(barmode="overlay")
    fig = _layout(fig, title, height=120 + 50 * len(rows))
    if not value_format and rows:  # amounts: the axis reads like the bars' labels, with the currency
        ends = [v for r in rows for v in (r["output_low"], r["output_high"])]
        _money_axis(fig, [], lang, axis="x", low=min(*ends, base), high=max(*ends, base))
    fig.update_layout(hovermode="closest")
    return fig


def grid_heatmap(z: list[list[float]], x: list[float], y: list[float], x_label: str, y_label: str,
                 title: str, x_fmt: str | None = None, y_fmt: str = "{:.0%}", lang: str = "ja") -> go.Figure:
    """Allowable amounts over two drivers; x labelled as amounts unless ``x_fmt`` says otherwise, the
    colour scale in the currency's short form (not '10k')."""
    values = [float(v) for row in z for v in row if v is not None]
    tickvals, ticktext = money.ticks(min(values, default=0), max(values, default=1), lang, count=4)
    fig = go.Figure(go.Heatmap(z=z, x=[x_fmt.format(v) if x_fmt else money.fmt(v) for v in x],
                               y=[y_fmt.format(v) for v in y],
                               colorbar={"tickmode": "array", "tickvals": tickvals, "ticktext": ticktext},
                               colorscale="Viridis", text=[[money.fmt(v) for v in row] for row in z],
                               texttemplate="%{text}", textfont={"size": 10},
                               hovertemplate=f"{x_label} %{{x}}, {y_label} %{{y}}: %{{text}}<extra></extra>"))
    fig.update_xaxes(title_text=x_label, type="category")
    fig.update_yaxes(title_text=y_label, type="category")
    fig = _layout(fig, title, height=380)
    fig.update_layout(hovermode="closest")
    return fig


def purchase_distribution(dist: dict[str, float], title: str, lang: str = "ja") -> go.Figure:
    labels = [tr("fig_times_or_more", lang, k=k[:-1]) if k.endswith("+") else tr("fig_times", lang, k=k) for k in dist]
    fig = go.Figure(go.Bar(x=labels, y=list(dist.values()), marker_color="#4a90c2",
                           text=[f"{v:.0%}" for v in dist.values()], textposition="auto"))
    fig = _layout(fig, title)
    fig.update_yaxes(tickformat=".0%")
    fig.update_layout(hovermode="closest")
    return fig


# -- CS operations ------------------------------------------------------------------------------------
KIND_COLORS = {"upsell": "#1f4e79", "cross_sell": "#4a90c2", "other": "#a9cce3"}
NO_SCORE_COLOR = "#bbbbbb"


def renewals_by_band(summary: pd.DataFrame, title: str, lang: str = "ja") -> go.Figure:
    """MRR due for renewal in 30 / 60 / 90 days, stacked by health band (frame: within_days, band, mrr)."""
    fig = go.Figure()
    x = [tr("within_days_label", lang, days=int(d)) for d in sorted(summary["within_days"].unique())]
    for band in ("red", "yellow", "green", "none"):
        rows = summary[summary["band"] == band].sort_values("within_days")
        if rows.empty or not rows["mrr"].astype(float).any():
            continue
        fig.add_bar(x=x, y=rows["mrr"].astype(float), name=tr(band if band != "none" else "none_band", lang),
                    marker_color=BAND_COLORS.get(band, NO_SCORE_COLOR),
                    customdata=drill_data("mrr", rows["within_days"], band, extra=rows["accounts"]),
                    hovertemplate=money.d3("y") + " (%{customdata[3]:,})")
    fig.update_layout(barmode="stack")
    _money_axis(fig, summary.groupby("within_days")["mrr"].sum().astype(float), lang)
    return _layout(fig, title, yaxis_title="MRR")


def coverage_bars(frame: pd.DataFrame, title: str, lang: str = "ja") -> go.Figure:
    """Share of each owner's active accounts contacted in the last 90 days (lowest first, from the top)."""
    frame = frame.sort_values("coverage", ascending=False)
    fig = go.Figure(go.Bar(
        y=plain_all(frame["owner"].replace("", "—")), x=frame["coverage"], orientation="h", marker_color="#4a90c2",
        text=[tr("fig_coverage_text", lang, c=f"{c:.0%}", n=f"{n:,}", a=f"{a:,}")
              for c, n, a in zip(frame["coverage"], frame["contacted_90d"], frame["active_accounts"], strict=True)],
        textposition="auto", customdata=drill_data("coverage", frame["owner"]),
        hovertemplate="%{y}: %{x:.0%}<extra></extra>"))
    fig = _layout(fig, title, height=max(240, 60 + 32 * len(frame)))
    fig.update_xaxes(tickformat=".0%", range=[0, 1])
    fig.update_yaxes(tickformat=None)
    fig.update_layout(hovermode="closest")
    return fig


def pipeline_bars(frame: pd.DataFrame, by: str, title: str, lang: str = "ja") -> go.Figure:
    """Open pipeline amount per ``by`` (tier, owner or stage), largest first; deal counts on the bars."""
    grouped = frame.groupby(by, sort=False)[["open_amount", "open_count"]].sum().reset_index()
    grouped = grouped.sort_values(by if by == "tier" else "open_amount", ascending=by == "tier")
    colors = [TIER_COLORS.get(v, "#4a90c2") for v in grouped[by]] if by == "tier" else "#4a90c2"
    fig = go.Figure(go.Bar(
        x=plain_all(grouped[by].replace("", "—")), y=grouped["open_amount"].astype(float), marker_color=colors,
        text=[tr("fig_deals_count", lang, n=f"{n:,}") for n in grouped["open_count"]], textposition="outside",
        cliponaxis=False, hovertemplate="%{x}: " + money.d3("y") + "<extra></extra>"))
    top = float(grouped["open_amount"].max() or 1) * 1.2
    fig.update_yaxes(range=[0, top])
    _money_axis(fig, [], lang, low=0, high=top)
    fig = _layout(fig, title, yaxis_title=tr("pipeline_axis", lang))
    fig.update_layout(hovermode="closest")
    return fig


def won_by_month(frame: pd.DataFrame, title: str, lang: str = "ja") -> go.Figure:
    """Won amount per month, stacked by kind (upsell, cross-sell, other)."""
    fig = go.Figure()
    for kind in ("upsell", "cross_sell", "other"):
        rows = frame[frame["kind"] == kind]
        if rows.empty or not rows["won_amount"].astype(float).any():
            continue
        fig.add_bar(x=rows["month"], y=rows["won_amount"].astype(float), name=tr(f"kind_{kind}", lang),
                    marker_color=KIND_COLORS[kind], customdata=rows["won_count"],
                    hovertemplate=money.d3("y") + " (%{customdata:,})")
    fig.update_layout(barmode="stack")
    _money_axis(fig, frame.groupby("month")["won_amount"].sum().astype(float) if len(frame) else [], lang)
    fig = _layout(fig, title, yaxis_title=tr("won_axis", lang))
    _dates(fig)
    return fig


def rate_by_tier(frame: pd.DataFrame, column: str, title: str, lang: str = "ja",
                 base: str = "accounts_at_start") -> go.Figure:
    """A rate per period, bars grouped by tier (frame: period_start, tier, the rate and its denominator)."""
    fig = go.Figure()
    for tier in ("Tier1", "Tier2", "Tier3"):
        rows = frame[frame["tier"] == tier]
        if rows[base].sum() == 0:
            continue
        labels = [f"{d:%Y/%m}" for d in rows["period_start"]]
        fig.add_bar(x=labels, y=rows[column], name=tier, marker_color=TIER_COLORS[tier],
                    customdata=drill_data(column, rows["period_start"], tier, extra=rows[base]),
                    hovertemplate=tr("fig_rate_hover", lang, rate="%{y:.1%}", n="%{customdata[3]:,}") + "<extra></extra>")
    fig.update_layout(barmode="group")
    fig = _layout(fig, title)
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return fig


def score_history(scores: pd.DataFrame, bands: list[float], title: str, lang: str = "ja") -> go.Figure:
    """One account's score at each month end, over the red / yellow / green bands."""
    fig = go.Figure()
    red, green = bands
    for low, high, band in ((0, red, "red"), (red, green, "yellow"), (green, 100, "green")):
        fig.add_hrect(y0=low, y1=high, fillcolor=BAND_COLORS[band], opacity=0.08, line_width=0)
    fig.add_scatter(x=scores["day"], y=scores["score"], mode="lines+markers", name=tr("score", lang),
                    line={"color": "#1f4e79"}, hovertemplate="%{x|%Y/%m/%d}: %{y:.1f}<extra></extra>")
    fig = _layout(fig, title)
    fig.update_yaxes(range=[0, 100])
    # a tick on each scored day, labelled with its date: a month-end point read as the next month on a
    # month tick (10/31 sat on the 2026/11 tick)
    fig.update_xaxes(tickvals=list(scores["day"]), tickformat="%Y/%m/%d")
    fig.update_layout(showlegend=False, hovermode="closest")
    return fig


def d2c_channels(frame: pd.DataFrame, title: str, lang: str = "ja") -> go.Figure:
    """Revenue per customer over the horizon by first-order channel, with the repeat rate on the bars."""
    frame = frame.sort_values("revenue_per_customer")
    fig = go.Figure(go.Bar(
        y=plain_all(frame["channel"]), x=frame["revenue_per_customer"].astype(float), orientation="h", marker_color="#4a90c2",
        text=[tr("fig_channel_text", lang, repeat=f"{r:.1%}", n=f"{n:,}")  # as on the repeat-rate card
              for r, n in zip(frame["repeat_rate"], frame["customers"], strict=True)],
        textposition="auto", hovertemplate="%{y}: " + money.d3("x") + "<extra></extra>"))
    fig = _layout(fig, title, height=max(260, 80 + 40 * len(frame)))
    fig.update_xaxes(title_text=tr("fig_revenue_per_customer", lang))
    _money_axis(fig, frame["revenue_per_customer"].astype(float), lang, axis="x")
    fig.update_yaxes(tickformat=None, type="category")
    fig.update_layout(hovermode="closest")
    return fig


def account_mrr(timeline: pd.DataFrame, title: str, lang: str = "ja") -> go.Figure:
    """One account's MRR at each month's end, each bar coloured by the month's movement (its rows of the
    movements: new, expansion, contraction, churn, reactivation; a month without one is plain)."""
    colors = [MOVE_COLORS.get(m, "#1f4e79") if isinstance(m, str) else "#1f4e79" for m in timeline["movement"]]
    words = [tr(m, lang) if isinstance(m, str) else "" for m in timeline["movement"]]
    fig = go.Figure(go.Bar(x=timeline["month"], y=timeline["mrr"].astype(float), marker_color=colors,
                           customdata=words, hovertemplate="%{x|%Y/%m}: " + money.d3("y") + " %{customdata}<extra></extra>"))
    _dates(fig)
    _money_axis(fig, timeline["mrr"], lang)
    fig = _layout(fig, title)
    fig.update_layout(showlegend=False, hovermode="closest")
    return fig


def usage_lines(usage: pd.DataFrame, title: str, lang: str = "ja") -> go.Figure:
    """One account's usage per measure and month, a line each (measures in the user's words)."""
    fig = go.Figure()
    for measure, rows in usage.groupby("measure", sort=True):
        fig.add_scatter(x=rows["month"], y=rows["value"], mode="lines+markers", name=measure_label(str(measure), lang),
                        hovertemplate="%{x|%Y/%m}: %{y:,.0f}<extra>%{fullData.name}</extra>")
    _dates(fig)
    fig = _layout(fig, title)
    fig.update_yaxes(tickformat=",.0f", rangemode="tozero")
    return fig
