"""The demo data loads through the import path and its numbers agree across grains."""

import datetime as dt

import pytest

from dashboard import demo, report
from dashboard import results as R
from dashboard.auth import LOCAL_USER as EDITOR
from dashboard.db import Database
from dashboard.periods import EARLIEST


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    db = Database(tmp_path_factory.mktemp("demo") / "demo.duckdb")
    results = demo.load(db, by=EDITOR)
    assert all(r["rows_rejected"] == 0 for r in results)
    return db


def test_demo_is_deterministic(tmp_path):
    a = demo.write_files(tmp_path / "a")
    b = demo.write_files(tmp_path / "b")
    assert all(a[k].read_bytes() == b[k].read_bytes() for k in a if not k == "usage")
    assert a["accounts"].read_bytes().decode("cp932").startswith("取引先ID,会社名")


def test_daily_churn_adds_up_to_monthly(demo_db):
    as_of = dt.date(2026, 10, 31)
    monthly = R.run(demo_db, "churn", as_of=as_of, grain="month", start=dt.date(2025, 11, 1))
    daily = R.run(demo_db, "churn", as_of=as_of, grain="day", start=dt.date(2025, 11, 1))
    weekly_total = R.run(demo_db, "churn", as_of=as_of, grain="week", start=dt.date(2025, 11, 3))
    daily["month"] = daily["period_start"].dt.to_period("M")
    per_month = daily.groupby("month")["customers_churned"].sum()
    for r in monthly.itertuples():
        assert per_month[r.period_start.to_period("M")] == r.customers_churned + r.joined_and_churned
    assert monthly["customers_churned"].sum() > 10  # the demo has churn to show
    assert weekly_total["customers_churned"].sum() > 0


def test_waterfall_identity_every_month(demo_db):
    frame = R.run(demo_db, "mrr_movements", as_of=dt.date(2026, 10, 31), from_month=EARLIEST)
    lhs = frame.start + frame.new + frame.reactivation + frame.expansion - frame.contraction - frame.churn + frame.fx
    assert (lhs == frame["end"]).all()
    assert frame["fx"].ne(0).any()  # the demo's customer billed in US dollars
    assert (frame["end"].shift(1).dropna() == frame["start"].iloc[1:]).all()
    assert frame[["expansion", "contraction", "reactivation", "churn"]].sum().gt(0).all()


def test_report_mrr_matches_an_independent_count(demo_db):
    r = report.build(demo_db, as_of=dt.date(2026, 10, 31))
    # active on Oct 31: paying in October and not churned on or before Oct 31 (the accounts file's date)
    direct = demo_db.query(
        "SELECT count(*) AS n, sum(m.mrr) AS s FROM mrr_history m LEFT JOIN cur_accounts a USING (account_id) "
        "WHERE m.month = DATE '2026-10-01' AND m.mrr > 0 AND (a.churn_date IS NULL OR a.churn_date > DATE '2026-10-31')")
    assert r["accounts_active"] == direct["n"][0] and r["mrr"] == direct["s"][0]
    # one timeline: the October waterfall ends at the MRR in force at October's end, the MRR card's figure —
    # October's billed MRR less the accounts leaving in October (¥140,000, the Churn page's October churn)
    billed = demo_db.query("SELECT sum(mrr) AS s FROM mrr_history WHERE month = DATE '2026-10-01'")["s"][0]
    assert r["mrr_movements"][-1]["end"] == r["mrr"] == billed - 140_000
    assert sum(t["accounts"] for t in r["tiers"]) == r["accounts_active"]
    assert sum(r["health"]["bands"].values()) == r["accounts_active"]
    assert 0.65 < r["d2c"]["purchase_distribution"]["1"] < 0.75
