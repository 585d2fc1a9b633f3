"""From any number to the accounts behind it (issue 29): every drill-down declared in the catalogue lists
accounts whose count and sums equal the figure it opens from — on a hand-built history (each figure worked
out below) and on every row and column of every figure of the demo, with and without a filter; the same
from `python -m dashboard drill`; the drill page shows the figure beside the list's own working of it."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from dashboard import figures, views
from dashboard.results import DRILLS, ResultError, Scope, drills

AS_OF = dt.date(2026, 10, 31)

# A: ¥10,000 in Jan, ¥15,000 in Feb (expansion 5,000), nothing in Mar (churn 15,000), ¥12,000 in Apr
# (reactivation). B: ¥20,000 Jan-Mar, ¥18,000 in Apr (contraction 2,000). C: new in Feb at ¥5,000.
HISTORY = "account_id,month,mrr\n" + "".join(f"{a},2026-{m:02d}-01,{v}\n" for a, m, v in [
    ("A", 1, 10000), ("A", 2, 15000), ("A", 4, 12000),
    ("B", 1, 20000), ("B", 2, 20000), ("B", 3, 20000), ("B", 4, 18000),
    ("C", 2, 5000), ("C", 3, 5000), ("C", 4, 5000)])
HAND_AS_OF = dt.date(2026, 4, 30)
HAND_PARAMS = {"as_of": HAND_AS_OF, "start": dt.date(2026, 1, 1), "from_month": dt.date(2026, 1, 1), "grain": "month"}


def _open(q, figure, column, keys, **params):
    return drills.open_drill(q, figure, column, keys, **(HAND_PARAMS | params))


def test_a_month_of_movements_lists_its_accounts_and_adds_up(db, load):
    load("mrr", HISTORY)
    q = views.caller(db)
    feb = {"month": "2026-02"}
    start = _open(q, "mrr_movements", "start", feb)
    assert start.figure_value == start.list_value == 30000  # A 10,000 + B 20,000 at January's end
    assert sorted(start.rows["account_id"]) == ["A", "B"]
    new = _open(q, "mrr_movements", "new", feb)
    assert new.rows["account_id"].tolist() == ["C"] and new.figure_value == new.list_value == 5000
    expansion = _open(q, "mrr_movements", "expansion", feb)
    assert expansion.rows["account_id"].tolist() == ["A"] and expansion.list_value == 5000
    end = _open(q, "mrr_movements", "end", feb)
    assert sorted(end.rows["account_id"]) == ["A", "B", "C"] and end.figure_value == end.list_value == 40000
    churn = _open(q, "mrr_movements", "churn", {"month": "2026-03"})
    assert churn.rows[["account_id", "prev", "cur", "amount"]].values.tolist() == [["A", 15000, 0, 15000]]
    april = {"month": "2026-04-01"}
    assert _open(q, "mrr_movements", "reactivation", april).rows["account_id"].tolist() == ["A"]
    contraction = _open(q, "mrr_movements", "contraction", april)
    assert contraction.rows["account_id"].tolist() == ["B"] and contraction.list_value == 2000
    # gross revenue churn in April: (churn 0 + contraction 2,000) / start 25,000; the list is the contraction
    rate = _open(q, "mrr_movements", "gross_revenue_churn_rate", april)
    assert rate.figure_value == pytest.approx(0.08) and rate.list_value == pytest.approx(0.08)
    assert rate.rows["account_id"].tolist() == ["B"] and rate.counted == 1  # the rate lists its numerator


def test_a_churn_period_lists_who_churned_with_their_last_mrr(db, load):
    load("mrr", HISTORY)
    q = views.caller(db)
    march = {"period_start": "2026-03-01"}
    churned = _open(q, "churn", "mrr_churned", march)  # A paid ¥15,000 in February, nothing in March
    assert churned.rows[["account_id", "mrr_last"]].values.tolist() == [["A", 15000]]
    assert churned.figure_value == churned.list_value == 15000
    rate = _open(q, "churn", "customer_churn_rate", march)  # 1 of the 3 customers at March's start
    assert rate.rows["account_id"].tolist() == ["A", "B", "C"] and rate.counted == 1
    assert rate.figure_value == pytest.approx(1 / 3) and rate.list_value == pytest.approx(1 / 3)


def test_a_cohort_cell_lists_the_cohort_and_who_is_still_paying(db, load):
    load("mrr", HISTORY)
    q = views.caller(db)
    # January's cohort is A and B (¥30,000); two months later (March) only B pays (¥20,000)
    logos = _open(q, "cohorts", "logo_retention", {"cohort": "2026-01", "k": "2"})
    assert logos.figure_value == logos.list_value == 0.5
    # the cohort's accounts, the lost one first, the flag telling who still pays
    assert logos.rows[["account_id", "active_k"]].values.tolist() == [["A", False], ["B", True]] and logos.counted == 1
    revenue = _open(q, "cohorts", "revenue_retention", {"cohort": "2026-01-01", "k": 2})
    assert revenue.figure_value == pytest.approx(2 / 3) and revenue.list_value == pytest.approx(2 / 3)


def test_every_drill_down_of_the_hand_built_history_adds_up(db, load):
    load("mrr", HISTORY)
    checked = _check_every_figure(views.caller(db), HAND_PARAMS, ("mrr_movements", "churn", "cohorts"))
    assert checked["mrr_movements"] >= 4 * 9 and checked["churn"] >= 4 and checked["cohorts"] >= 10


def test_a_drill_down_asked_for_wrongly_says_what_it_takes(db, load):
    load("mrr", HISTORY)
    q = views.caller(db)
    with pytest.raises(ResultError, match="no drill-down for 'nope'"):
        drills.open_drill(q, "nope")
    with pytest.raises(ResultError, match="named by month, not tier"):
        _open(q, "mrr_movements", "churn", {"tier": "Tier1"})
    with pytest.raises(ResultError, match="choose one of start"):
        _open(q, "mrr_movements", "quick_ratio", {"month": "2026-02"})
    with pytest.raises(ValueError):
        _open(q, "mrr_movements", "churn", {"month": "Feb"})


def test_each_point_of_a_drillable_figure_carries_its_column_and_row():
    import pandas as pd

    row = pd.Series({"month": pd.Timestamp("2026-09-01"), "start": 100, "new": 10, "reactivation": 0, "expansion": 5,
                     "contraction": 1, "churn": 20, "fx": 0, "end": 94})
    fig = figures.waterfall(row, "t")
    assert [list(c) for c in fig.data[0].customdata] == [
        [step, "2026-09-01"] for step in ("start", "new", "reactivation", "expansion", "contraction", "churn", "end")]
    cohorts = pd.DataFrame({"cohort": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-02-01"]), "k": [0, 1, 0],
                            "logo_retention": [1.0, 0.5, 1.0]})
    cells = figures.cohort_heatmap(cohorts, "logo_retention", "t", drillable=True).data[1]
    assert [list(c) for c in cells.customdata] == [["logo_retention", "2026-01-01", "0", 1.0],
                                                   ["logo_retention", "2026-01-01", "1", 0.5],
                                                   ["logo_retention", "2026-02-01", "0", 1.0]]
    for name, drill in DRILLS.items():  # every declared key is a column of its figure
        from dashboard.results import RESULTS

        assert all(RESULTS[name].column(k) or k in ("k",) for k in drill.keys), name


@pytest.mark.slow
def test_every_clickable_point_of_every_page_names_a_row_and_column_its_drill_down_has(app_db):
    """The points of each drillable chart on the demo: a declared column of its figure, and keys naming a
    row the figure has (a point carrying another column or month opens another number)."""
    from dashboard.db import Database

    q = views.caller(Database(app_db))
    params = {"as_of": AS_OF, "start": dt.date(2025, 11, 1), "from_month": dt.date(2025, 11, 1), "grain": "month"}
    movements = q("mrr_movements", **drills.figure_params(DRILLS["mrr_movements"], params))
    churn = q("churn", **drills.figure_params(DRILLS["churn"], params))
    quarters = params | {"grain": "quarter", "start": dt.date(2024, 11, 1)}
    upsell = q("upsell_rates", **drills.figure_params(DRILLS["upsell_rates"], quarters))
    mix = q("tier_health_mix", as_of=AS_OF)
    charts = [
        ("mrr_movements", movements, figures.mrr_trend(movements, "t")),
        ("mrr_movements", movements, figures.waterfall(movements.iloc[-1], "t")),
        ("mrr_movements", movements, figures.movements_bars(movements, "t")),
        ("churn", churn, figures.churn_rates(churn, "t")), ("churn", churn, figures.churn_counts(churn, "t")),
        ("cohorts", q("cohorts", as_of=AS_OF, from_month=params["from_month"]),
         figures.cohort_heatmap(q("cohorts", as_of=AS_OF, from_month=params["from_month"]), "logo_retention", "t",
                                drillable=True)),
        ("tier_summary", q("tier_summary", as_of=AS_OF), figures.tier_bars(q("tier_summary", as_of=AS_OF), "t")),
        ("tier_health_mix", mix, figures.stacked_bands(mix, "tier", "t")),
        ("health_histogram", q("health_histogram", as_of=AS_OF),
         figures.health_histogram(q("health_histogram", as_of=AS_OF), [40, 70], "t")),
        ("renewals_summary", q("renewals_summary", as_of=AS_OF),
         figures.renewals_by_band(q("renewals_summary", as_of=AS_OF), "t")),
        ("coverage_by_owner", q("coverage_by_owner", as_of=AS_OF),
         figures.coverage_bars(q("coverage_by_owner", as_of=AS_OF), "t")),
        ("upsell_rates", upsell, figures.rate_by_tier(upsell, "upsell_rate", "t")),
        ("upsell_rates", upsell, figures.rate_by_tier(upsell, "cross_sell_rate", "t")),
    ]
    for name, frame, fig in charts:
        drill = DRILLS[name]
        rows = {tuple(drills._plain(drills.typed(k, v, "date" if k in drills.DATE_PARAMS else None)) for k, v in r.items())
                for r in frame[list(drill.keys)].astype(str).to_dict("records")}
        points = [p for trace in fig.data if trace.customdata is not None for p in trace.customdata]
        assert points, name
        for point in points:
            assert point[0] in drill.totals, (name, point)
            key = tuple(drills._plain(drills.typed(k, v, "date" if k in drills.DATE_PARAMS else None))
                        for k, v in zip(drill.keys, point[1:], strict=False))
            assert key in rows, (name, point)
        # and each point's own value is its row's value of that column (the bar shows what it opens)
        for trace in fig.data:
            if trace.customdata is None or trace.type in ("waterfall",):
                continue
            ys = trace.x if getattr(trace, "orientation", None) == "h" else trace.y
            for point, y in zip(trace.customdata, ys, strict=False):
                row = frame
                for k, v in zip(drill.keys, point[1:], strict=False):
                    row = row[row[k].astype(str).str[:10] == str(v)]
                if len(row) == 1 and name not in ("tier_health_mix", "cohorts"):
                    expected = float(row.iloc[0][point[0]])
                    assert abs(abs(float(y)) - abs(expected)) < 1e-6, (name, point, y, expected)


def _check_every_figure(q, params, names=None, allowed: set | None = None) -> dict[str, int]:
    """Every row and every declared column of each figure: the list worked out equals the figure (and,
    under a filter, lists only the ``allowed`` accounts)."""
    checked = {}
    for name, drill in DRILLS.items():
        if names is not None and name not in names:
            continue
        frame = q(name, **drills.figure_params(drill, params))
        rows = frame[list(drill.keys)].drop_duplicates().to_dict("records") if drill.keys else [{}]
        n = 0
        for keys in rows:
            for column in drill.totals:
                opened = drills.open_drill(q, name, column, keys, **params)
                figure, listed = opened.figure_value, opened.list_value
                if allowed is not None:
                    assert set(opened.rows["account_id"]) <= allowed, (name, column, keys)
                if figure is None:  # a rate over nothing is blank on both sides
                    assert listed in (None, 0), (name, column, keys, listed)
                else:
                    assert listed == pytest.approx(float(figure), abs=1e-9), (name, column, keys, figure, listed)
                n += 1
        checked[name] = n
    return checked


@pytest.mark.slow
@pytest.mark.parametrize("scope", [Scope(), Scope.of(owner=["佐藤"]), Scope.of(tier=["Tier1"])],
                         ids=["all", "owner", "tier"])
def test_every_drill_down_of_the_demo_adds_up_to_its_figure(app_db, scope):
    from dashboard.db import Database
    from dashboard.results import runner

    db = Database(app_db)
    q = views.caller(db, scope)
    params = {"as_of": AS_OF, "start": dt.date(2025, 11, 1), "from_month": dt.date(2025, 11, 1), "grain": "month"}
    allowed = set(runner.scope_accounts(db, scope, **runner._scope_params(scope, {"as_of": AS_OF}, q))) if scope else None
    checked = _check_every_figure(q, params, allowed=allowed)
    assert set(checked) == set(DRILLS)
    assert checked["mrr_movements"] == 12 * 12 and checked["churn"] == 12 * 6
    # quarters too, as the Accounts page shows upsell and the Churn page can
    quarters = params | {"grain": "quarter", "start": dt.date(2024, 11, 1)}
    assert _check_every_figure(q, quarters, ("churn", "upsell_rates"), allowed=allowed)["upsell_rates"] > 0
    # a rate lists who it counted and who it did not: the uncontacted beside the contacted
    coverage = drills.open_drill(q, "coverage_by_owner", "coverage", {"owner": "佐藤"}, **params)
    if not scope.get("tier"):  # (Tier1 accounts of hers are all contacted)
        assert 0 < coverage.counted < len(coverage.rows) and not coverage.rows["contacted_90d"].iloc[0]


@pytest.mark.slow
def test_the_command_line_prints_a_drill_down(app_db):
    out = subprocess.run([sys.executable, "-m", "dashboard", "--db", str(app_db), "drill", "mrr_movements",
                          "--key", "month=2026-09", "--column", "churn"], capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    # September's churn on the Overview: three accounts, ¥860,000 (¥500,000 + ¥200,000 + ¥160,000)
    assert data["figure_value"] == data["list_value"] == 860000 and data["accounts"] == 3
    assert [r["amount"] for r in data["rows"]] == [500000, 200000, 160000]
    bad = subprocess.run([sys.executable, "-m", "dashboard", "--db", str(app_db), "drill", "churn", "--key", "tier=1"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "named by period_start" in bad.stderr


@pytest.mark.slow
def test_the_drill_page_shows_the_figure_beside_its_list(app_db):
    from dashboard.db import Database
    from tests.test_pages import open_page

    at = open_page("overview")
    links = [link.proto for link in at.get("page_link") if "drill=" in str(link.proto)]
    assert len(links) == 7  # every KPI card but ARR (twelve times the MRR card's accounts)
    import urllib.parse

    for link in links:  # each card's list adds up to its figure
        query = dict(urllib.parse.parse_qsl(link.query_string))
        opened = drills.open_drill(views.caller(Database(app_db)), query["drill"], query["col"],
                                   {k[2:]: v for k, v in query.items() if k.startswith("k_")},
                                   **({"as_of": AS_OF, "start": dt.date(2025, 10, 1), "from_month": dt.date(2025, 10, 1),
                                       "grain": "month"} | {k[2:]: v for k, v in query.items() if k.startswith("p_")}))
        assert opened.figure_value is not None and opened.list_value == pytest.approx(float(opened.figure_value)), query
    cards = {m.label: m.value for m in at.metric}
    assert cards["有効顧客数"] == "288"
    for key, value in {"drill": "mrr_movements", "col": "churn", "k_month": "2026-09-01", "back": "overview"}.items():
        at.query_params[key] = value
    at.switch_page("../pages/drill.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == "MRRの増減：解約（2026/09）"
    cards = {m.label: m.value for m in at.metric}
    assert cards["図の値"] == cards["一覧から計算した値"] == "¥860,000" and cards["一覧の顧客数"] == "3"
    listed = at.dataframe[0].value
    assert listed["account_id"].tolist() == ["C10196", "C10201", "C10121"] and list(listed.columns)[0] == "name"
    assert set(listed["movement"]) == {"解約"}  # in words, not the code


@pytest.mark.slow
def test_a_hand_edited_drill_link_is_refused_in_words(app_db):
    from tests.test_pages import open_page

    at = open_page("overview")
    for key, value in {"drill": "mrr_movements", "col": "quick_ratio", "k_month": "2026-09-01"}.items():
        at.query_params[key] = value
    at.switch_page("../pages/drill.py").run()
    assert not at.exception
    assert at.warning[0].value.startswith("このリンクの内訳は開けません") and not at.dataframe
