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
    assert rate.rows["account_id"].tolist() == ["B"] and rate.population == 2  # B and C paid at March's end


def test_a_cohort_cell_lists_the_cohort_and_who_is_still_paying(db, load):
    load("mrr", HISTORY)
    q = views.caller(db)
    # January's cohort is A and B (¥30,000); two months later (March) only B pays (¥20,000)
    logos = _open(q, "cohorts", "logo_retention", {"cohort": "2026-01", "k": "2"})
    assert logos.figure_value == logos.list_value == 0.5
    assert logos.rows["account_id"].tolist() == ["B"] and logos.population == 2
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


def _check_every_figure(q, params, names=None) -> dict[str, int]:
    """Every row and every declared column of each figure: the list worked out equals the figure."""
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

    q = views.caller(Database(app_db), scope)
    params = {"as_of": AS_OF, "start": dt.date(2025, 11, 1), "from_month": dt.date(2025, 11, 1), "grain": "month"}
    checked = _check_every_figure(q, params)
    assert set(checked) == set(DRILLS)
    assert checked["mrr_movements"] == 12 * 12 and checked["churn"] == 12 * 6
    # quarters too, as the Accounts page shows upsell and the Churn page can
    quarters = params | {"grain": "quarter", "start": dt.date(2024, 11, 1)}
    assert _check_every_figure(q, quarters, ("churn", "upsell_rates"))["upsell_rates"] > 0


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
    from tests.test_pages import open_page

    at = open_page("overview")
    links = [link.proto for link in at.get("page_link") if "drill=" in str(link.proto)]
    assert len(links) == 8  # every KPI card
    for key, value in {"drill": "mrr_movements", "col": "churn", "k_month": "2026-09-01", "back": "overview"}.items():
        at.query_params[key] = value
    at.switch_page("../pages/drill.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == "MRRの増減：解約"
    cards = {m.label: m.value for m in at.metric}
    assert cards["図の値"] == cards["一覧から計算した値"] == "¥860,000" and cards["一覧の顧客数"] == "3"
    listed = at.dataframe[0].value
    assert listed["account_id"].tolist() == ["C10196", "C10201", "C10121"]
    assert set(listed["movement"]) == {"解約"}  # in words, not the code
