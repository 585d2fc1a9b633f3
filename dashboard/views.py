"""What the pages show, composed from results by name.

``q(name, **params)`` runs a result or reads a fact: in the app it is ui.q (cached on the data version,
over the sidebar's filters); in tests and the command line a plain caller over a database and a scope.
Everything here is arithmetic on small results; the aggregation happens in the results' SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd

from dashboard import calibration, d2c, money, validation
from dashboard import periods as P
from dashboard import results as R
from dashboard.i18n import measure_label, t
from dashboard.periods import last_complete_month, month_ends  # noqa: F401 - pages and tests read it here
from dashboard.results import Scope

Q = Callable[..., object]

# Coverage model and KPIs per tier, as seeds 003 and 004 describe them.
TIER_PLAYBOOK = {
    "Tier1": {"coverage": "high_touch", "team": "customer_sales",
              "kpis": ["upsell_amount", "pipeline_amount", "pipeline_count", "accounts"]},
    "Tier2": {"coverage": "mixed", "team": "customer_sales_and_marketing",
              "kpis": ["upsell_amount", "churn_rate", "health_mix"]},
    "Tier3": {"coverage": "tech_touch", "team": "customer_marketing",
              "kpis": ["churn_rate", "health_mix", "onboarding"]},
}


def caller(db, scope: Scope | None = None, known: dict | None = None) -> Q:
    """A plain q over ``db`` and ``scope`` for the command line and tests: each result is computed once per
    caller, and what results build on (the account list under the call list, renewals and coverage) comes
    through the same memo. ``known`` answers facts as given (the report's ``--tier-thresholds`` rule).
    pandas' copy-on-write keeps a caller's changes out of the shared frame."""
    memo: dict = {}
    known = known or {}

    def q(name: str, **params):
        if name in known:
            return known[name]
        key = (name, repr(sorted(params.items())))
        if key not in memo:
            memo[key] = call(db, name, scope, fetch=q, **params)
        return memo[key]
    return q


def kpis(q: Q, as_of: dt.date, start: dt.date | None = None) -> dict:
    """KPI cards and their change against the previous period: the end of the month before as_of's month.
    ``start``: the page's period, whose movements its trend chart shows; the cards then read the same
    (cached) result instead of a second one (a month's movements do not depend on where the list starts)."""
    prev_day = as_of.replace(day=1) - dt.timedelta(days=1)
    accounts = q("accounts", as_of=as_of)
    prev_accounts = q("accounts", as_of=prev_day, compare=False)  # counts, MRR and red share only
    churn_month = last_complete_month(as_of)
    churn = q("churn", as_of=as_of, grain="month", start=P.add_months(churn_month, -1))
    churn = churn[churn["complete"]]
    from_month = P.add_months(churn_month, -1)
    if start is not None:
        from_month = min(from_month, start.replace(day=1))
    movements = q("mrr_movements", as_of=as_of, from_month=from_month)
    movements = movements[movements["month"] <= pd.Timestamp(churn_month)] if len(movements) else movements
    mrr, prev_mrr = money.total(accounts["mrr"]), money.total(prev_accounts["mrr"])
    out = {
        "active": len(accounts), "active_delta": len(accounts) - len(prev_accounts),
        "mrr": mrr, "mrr_delta": mrr - prev_mrr,
        "churn_month": None, "churn_rate": None, "churn_rate_delta": None,
        "gross_revenue_churn": None, "gross_revenue_churn_delta": None,
        "nrr": None, "nrr_delta": None, "movement_month": None,
    }
    if len(churn):
        last = churn.iloc[-1]
        out["churn_month"] = last["period_start"].date()
        out["churn_rate"] = _num(last["customer_churn_rate"])
        if len(churn) > 1:
            out["churn_rate_delta"] = _diff(last["customer_churn_rate"], churn.iloc[-2]["customer_churn_rate"])
    if len(movements):
        last = movements.iloc[-1]
        out["movement_month"] = last["month"]
        out["gross_revenue_churn"] = _num(last["gross_revenue_churn_rate"])
        out["nrr"] = _num(last["nrr_12m"])
        if len(movements) > 1:
            before = movements.iloc[-2]
            out["gross_revenue_churn_delta"] = _diff(last["gross_revenue_churn_rate"], before["gross_revenue_churn_rate"])
            out["nrr_delta"] = _diff(last["nrr_12m"], before["nrr_12m"])
    out["red_share"] = red_share(accounts)
    out["red_share_delta"] = _diff(out["red_share"], red_share(prev_accounts))
    renewals = q("renewals_due", as_of=as_of, within_days=90)
    out["renewals"] = len(renewals)
    out["renewals_mrr"] = money.total(renewals["mrr"]) if len(renewals) else 0
    return out


def _num(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _diff(a, b) -> float | None:
    a, b = _num(a), _num(b)
    return None if a is None or b is None else a - b


def red_share(accounts: pd.DataFrame) -> float | None:
    """MRR of the red accounts / MRR of all (None without health measures or MRR)."""
    if accounts.empty or accounts["band"].isna().all() or accounts["mrr"].sum() == 0:
        return None
    return float(accounts.loc[accounts["band"] == "red", "mrr"].sum() / accounts["mrr"].sum())


def tier_kpis(q: Q, start: dt.date, as_of: dt.date) -> pd.DataFrame:
    """Per tier: coverage model, accounts, MRR, ARPA and, with opportunities loaded, upsell won and pipeline."""
    summary = q("tier_summary", as_of=as_of)
    out = summary[["tier", "accounts", "mrr", "arpa"]].copy()
    out.insert(1, "coverage", [TIER_PLAYBOOK[t]["coverage"] for t in out["tier"]])
    if "opportunities" in q("loaded"):
        out = out.merge(q("tier_opportunities", start=start, as_of=as_of), on="tier", how="left")
    return out


def band_history(q: Q, as_of: dt.date, start: dt.date) -> pd.DataFrame:
    """Accounts per band at each month end from ``start`` to ``as_of`` (and at as_of itself)."""
    return q("band_history", as_of=as_of, days=month_ends(start, as_of))


def localize_bands(frame: pd.DataFrame, t) -> pd.DataFrame:
    """Band names in the user's language for tables."""
    if "band" in frame:  # three names, translated once (not once per row: 100k rows at M)
        names = {b: t(b) for b in ("red", "yellow", "green")}
        frame = frame.assign(band=_renamed(frame["band"], names))
    return frame


def localize_measures(frame: pd.DataFrame, column: str, lang: str) -> pd.DataFrame:
    """Usage measure names in the user's language (canonical ones; imported headers stay)."""
    if column in frame:
        names = {m: measure_label(m, lang) for m in frame[column].dropna().unique()}
        frame = frame.assign(**{column: _renamed(frame[column], names)})
    return frame


def explanation(details: pd.DataFrame, lang: str) -> pd.DataFrame:
    """One account's measures as its explanation lists them: the measure's name in the user's language, its
    value (in words where there is none: no data, so left out of the score with weight 0; never contacted),
    its 0-100 score, the weight it carries in this score and its contribution."""
    def value(raw: float, score: float) -> str:
        if pd.isna(score):
            return t("health_no_data", lang)
        if pd.isna(raw):
            return t("reason_never_contacted", lang)
        return f"{raw:,.0f}" if float(raw).is_integer() else f"{raw:,.1f}"

    named = localize_measures(details, "measure", lang)
    return pd.DataFrame({"measure": named["measure"],
                         "value": [value(r, s) for r, s in zip(details["raw"], details["measure_score"], strict=True)],
                         "measure_score": details["measure_score"], "weight": details["weight"],
                         "contribution": details["contribution"]}).reset_index(drop=True)


def no_data_measures(details: pd.DataFrame, lang: str) -> str:
    """The measures one account has no data for (left out of its score), named in the user's language in
    one text; empty when it has data for every measure."""
    names = localize_measures(details[details["measure_score"].isna()], "measure", lang)["measure"].tolist()
    return t("list_separator", lang).join(names)


def suggestion_preview(preview: dict, lang: str) -> tuple[pd.DataFrame, str]:
    """The validation of the weights in force beside the suggested weights', for a table (bands named in the
    user's language) and a line on the score's ROC AUC."""
    auc = {k: "—" if preview[f"auc_{k}"] is None else f"{preview[f'auc_{k}']:.3f}" for k in ("now", "suggested")}
    return (localize_bands(preview["bands"], lambda key: t(key, lang)),
            t("preview_auc", lang, now=auc["now"], suggested=auc["suggested"]))


def _renamed(values: pd.Series, names: dict) -> pd.Series:
    """Values found in ``names`` replaced by their name, others kept (a dict lookup per distinct value,
    not a Python call per row)."""
    named = values.map(names)
    return named.where(named.notna(), values)


# -- CS operations (the Accounts page, `report`, `export at-risk`) ----------------------------------------
def at_risk_actions(q: Q, as_of: dt.date, lang: str, *, bands: tuple[str, ...] = ("red",),
                    within_days: int | None = None, limit: int | None = None,
                    exclude: tuple[str, ...] = ()) -> pd.DataFrame:
    """The at-risk list with each account's reasons in words and its next action (the first ``limit`` rows:
    words are written only for the rows shown; the CSV asks for all); ``exclude``: accounts set aside
    (worklog.set_aside), left out before the first rows are taken."""
    from dashboard import actions

    frame = q("at_risk", as_of=as_of, bands=list(bands), within_days=within_days)
    if exclude:
        frame = frame[~frame["account_id"].isin(exclude)].reset_index(drop=True)
    if limit is not None:
        frame = frame.head(limit)
    return actions.annotate(frame, settings=q("settings"), health_config=q("health_config"),
                            contacts_loaded="touchpoints" in q("loaded"), lang=lang)


def call_list(db, as_of: dt.date, lang: str, bands: tuple[str, ...] = ("red",), within_days: int | None = None,
              limit: int | None = None, scope: Scope | None = None, fetch: Q | None = None,
              exclude: tuple[str, ...] = ()) -> pd.DataFrame:
    """The call list as a result of its own (``call_list``): the app caches the words with the rows."""
    return at_risk_actions(fetch or caller(db, scope), as_of, lang, bands=tuple(bands), within_days=within_days,
                           limit=limit, exclude=tuple(exclude))


# Small summaries computed in Python over results, asked for by name like a result: name -> (function,
# honours the filters). A filtered one takes scope=; each takes fetch=, the caller's cache of what it reads.
SUMMARIES: dict[str, tuple[Callable[..., object], bool]] = {
    "health_validation_summary": (validation.health_validation, True),
    "d2c_summary": (d2c.d2c_summary, False),
    "d2c_drivers": (calibration.d2c_drivers, False),
    "saas_drivers": (calibration.saas_drivers, True),
    "call_list": (call_list, True),
}


def honours_filters(name: str) -> bool:
    """Whether ``name`` is computed over the sidebar's filters (else over every account)."""
    return SUMMARIES[name][1] if name in SUMMARIES else R.runner.honours_filters(name)


def call(db, name: str, scope: Scope | None = None, *, fetch: Q | None = None, **params) -> object:
    """Any answer by name: a summary above, or a result or a fact of the workspace (results.call)."""
    if name in SUMMARIES:
        function, filtered = SUMMARIES[name]
        return function(db, **params, **({"scope": scope} if filtered else {}), fetch=fetch)
    return R.call(db, name, scope, fetch=fetch, **params)


def calls_now(q: Q, work: pd.DataFrame, as_of: dt.date, today: dt.date, *, bands: tuple[str, ...] = ("red",),
              within_days: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The at-risk accounts still to call (without those set aside) and the set-aside ones' work rows."""
    from dashboard import worklog

    full = q("at_risk", as_of=as_of, bands=list(bands), within_days=within_days)
    aside = worklog.set_aside(work, full, today)
    return full[~full["account_id"].isin(aside["account_id"])].reset_index(drop=True), aside


def localize_work(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The work's status in words (対応中 / 完了 / 保留中)."""
    if "work_status" in frame:
        names = {s: t(f"work_{s}", lang) for s in ("open", "done", "snoozed")}
        frame = frame.assign(work_status=_renamed(frame["work_status"], names))
    return frame


def at_risk_download(frame: pd.DataFrame) -> pd.DataFrame:
    """The call list as the CSV has it: the declared columns, reasons joined with ' / '."""
    from dashboard.results import RESULTS

    columns = [c.name for c in RESULTS["at_risk"].columns if c.name in frame]
    out = frame[columns].copy()
    out["reasons"] = out["reasons"].map(" / ".join)
    return out.round({"score": 1, "change": 1})


def renewal_windows(q: Q, as_of: dt.date) -> dict[int, dict]:
    """Accounts and MRR due in 30 / 60 / 90 days (all bands)."""
    summary = q("renewals_summary", as_of=as_of)
    out = {}
    for days, group in summary.groupby("within_days", sort=True):
        out[int(days)] = {"accounts": int(group["accounts"].sum()), "mrr": money.total(group["mrr"])}
    return out


def contacts_180d(q: Q, as_of: dt.date) -> dict[str, dict]:
    """Seed 002's comparison: contacts per account before churn vs for retained accounts."""
    frame = q("contacts_before_churn", as_of=as_of)
    return {row["group"]: {"accounts": int(row["accounts"]), "mean": _num(row["contacts_per_account"])}
            for _, row in frame.iterrows()}


# -- One account (the account page, `python -m dashboard account ID`) -----------------------------------------
ACCOUNT_SECTIONS = ("profile", "health", "mrr", "usage", "touchpoints", "opportunities")


def account(q: Q, account_id: str, as_of: dt.date, lang: str, *, months: int = 12, unfiltered: bool = False) -> dict | None:
    """One account whole: its profile (with tier, health and, when it is scored, the reasons and next action
    the call list gives it), its MRR at each month's end with the month's movement (its rows of the
    movements), its health score at each month end of the last ``months`` and each measure's contribution now
    (with the band lines), its usage per measure and month, its touchpoints and deals. None: no such account."""
    def q_all(name: str, **params):  # the account whatever the sidebar's filters select
        return q(name, **params, **({"unfiltered": True} if unfiltered else {}))

    profile = q("account_profile", as_of=as_of, account_id=account_id)
    if profile.empty:
        return None
    out: dict = {"profile": profile.iloc[0].to_dict()}
    config = q("health_config")
    red, green = config["bands"]
    scored = q_all("at_risk", as_of=as_of, bands=["red", "yellow", "green"], within_days=None)
    row = scored[scored["account_id"] == account_id]
    listed = q_all("accounts", as_of=as_of)
    listed = listed[listed["account_id"] == account_id]
    if len(listed):
        out["profile"] |= {k: listed.iloc[0][k] for k in ("tier", "score", "band", "change", "last_contact",
                                                         "days_since_contact") if k in listed}
    if len(row):
        from dashboard import actions

        annotated = actions.annotate(row, settings=q("settings"), health_config=config,
                                     contacts_loaded="touchpoints" in q("loaded"), lang=lang).iloc[0]
        out["profile"] |= {"reasons": list(annotated["reasons"]), "next_action": annotated["next_action"]}
    days = month_ends(P.add_months(as_of.replace(day=1), -months + 1), as_of)
    history = q_all("score_history", as_of=as_of, days=days, account_id=account_id) if config.get("measures") else None
    details = q_all("account_health", as_of=as_of, account_id=account_id) if config.get("measures") else None
    out["health"] = {"bands": {"red_below": red, "green_from": green},
                     "history": history if history is not None else pd.DataFrame(),
                     "measures": details if details is not None else pd.DataFrame()}
    out["mrr"] = q("account_mrr", as_of=as_of, account_id=account_id)
    # a month's usage as health aggregates each measure: summed, or averaged (active users)
    averaged = [m["name"] for m in config.get("measures", []) if m.get("agg") == "avg"]
    out["usage"] = q("account_usage", as_of=as_of, account_id=account_id, averaged=averaged)
    out["touchpoints"] = q("account_touchpoints", as_of=as_of, account_id=account_id)
    out["opportunities"] = q("account_opportunities", as_of=as_of, account_id=account_id)
    return out


def search_accounts(q: Q, text: str) -> pd.DataFrame:
    """Accounts whose id or name contains ``text`` (width and case folded; Japanese as typed)."""
    from dashboard.imports.parsing import normalize_text

    needle = normalize_text(text).lower()
    return q("account_search", needle=needle) if needle else pd.DataFrame(columns=["account_id", "name", "mrr"])


# -- Drill-downs (results.drills): how the drill page and its heading name a figure and its value ----------
def figure_text(value, fmt: str, lang: str) -> str:
    """A figure's value as its column's format shows it (¥860,000, 2.30%, 1,234)."""
    from dashboard.i18n import integer, pct

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if fmt == "money":
        return money.fmt(value, lang)
    if fmt == "pct":
        return pct(float(value), 2)
    if fmt in ("int", "days"):
        return integer(float(value))
    return f"{float(value):,.2f}"


def drill_heading(opened, lang: str) -> tuple[str, str]:
    """The drill page's title (the figure and its column) and the row it opens, in words."""
    from dashboard.results import RESULTS

    figure = RESULTS[opened.drill.figure]
    column = figure.column(opened.column)
    sep = "：" if lang == "ja" else ": "
    title = f"{t(f'drill_fig_{figure.name}', lang)}{sep}{column.label(lang) if column else opened.column}"
    words = []
    for key, value in opened.keys.items():
        if key == "month":
            words.append(t("month_label", lang, y=value.year, m=value.month))
        elif key == "cohort":
            words.append(t("drill_cohort", lang, month=t("month_label", lang, y=value.year, m=value.month)))
        elif key == "k":
            words.append(t("drill_k", lang, k=value))
        elif key == "band":
            words.append(t(value if value in ("red", "yellow", "green") else "none_band", lang))
        elif key == "bin_from":
            words.append(f"{t('score', lang)} {int(value)}–{int(value) + 5}")
        elif key == "within_days":
            words.append(t("within_days_label", lang, days=int(value)))
        elif key == "tier":
            words.append(t("tier_none", lang) if value == "none" else str(value))
        elif isinstance(value, dt.date):
            words.append(f"{value:%Y/%m/%d}〜" if lang == "ja" else f"from {value:%Y/%m/%d}")
        else:
            words.append(str(value) or "—")
    return title, " ・ ".join(words)


def drill_rows(rows: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A drill-down's list for a table: bands and movements in words."""
    rows = localize_bands(rows, lambda key: t(key, lang))
    if "movement" in rows:
        names = {m: t(m, lang) for m in ("new", "reactivation", "expansion", "contraction", "churn")}
        rows = rows.assign(movement=_renamed(rows["movement"], names))
    return rows


def work_history(log: pd.DataFrame, lang: str) -> pd.DataFrame:
    """An account's work log for a table: when, who, what (in words) and its detail in one line."""
    def detail(row) -> str:
        parts = [row["owner"], row["task"], row["note"]]
        if pd.notna(row["due"]):
            parts.append(f"{t('work_due', lang)} {row['due']:%Y/%m/%d}")
        if pd.notna(row["until"]):
            parts.append(f"{t('work_snooze_until', lang)} {row['until']:%Y/%m/%d}")
        return " ・ ".join(str(x) for x in parts if isinstance(x, str) or (x is not None and not pd.isna(x)))
    return pd.DataFrame({"changed_at": log["changed_at"], "by_name": log["by_name"],
                         "action": log["action"].map(lambda a: t(f"work_action_{a}", lang)),
                         "detail": [detail(r) for _, r in log.iterrows()]})
