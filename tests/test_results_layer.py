"""The results layer: a new list is one SQL file and one declaration; bad names and parameters are refused."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from dashboard import results as R
from dashboard.results import catalog, runner
from dashboard.results.catalog import ACCOUNT_ID, DAYS_TO_RENEWAL, MRR, NAME, Result

D = dt.date


@pytest.fixture
def accounts(db, load):
    load("accounts", "id,name,mrr,contract_start,renewal_date,owner\n"
                     "A,Alpha,300000,2024-01-01,2024-08-01,田中\nB,Beta,100000,2024-01-01,2024-07-20,佐藤\n"
                     "C,Gamma,250000,2024-01-01,2024-10-01,田中\nD,Delta,20000,2024-01-01,2024-07-15,佐藤\n")
    return db


def test_a_new_list_is_one_sql_file_and_one_declaration(accounts, tmp_path, monkeypatch):
    """The README's example: Tier1 accounts renewing within 60 days, with the filters for free."""
    folder = tmp_path / "sql"
    shutil.copytree(runner.SQL_DIR, folder)
    (folder / "tier1_renewals.sql").write_text(
        "SELECT account_id, name, mrr, renewal_date, days_to_renewal FROM accounts\n"
        "WHERE tier = 'Tier1' AND renewal_date > $as_of AND renewal_date <= $as_of::DATE + 60\n"
        "ORDER BY renewal_date")
    monkeypatch.setattr(runner, "SQL_DIR", folder)
    runner.sql_text.cache_clear()
    monkeypatch.setitem(catalog.RESULTS, "tier1_renewals", Result(
        "tier1_renewals", ("as_of",), (ACCOUNT_ID, NAME, MRR, DAYS_TO_RENEWAL), source="accounts"))
    try:
        as_of = D(2024, 6, 30)
        # MRR [20k, 100k, 250k, 300k]: p80 = 270,000 -> T1 = 270,000; p50 = 175,000 -> T2 = 180,000
        assert R.tier_rule(accounts, as_of)["thresholds"] == [270_000, 180_000]
        out = R.run(accounts, "tier1_renewals", as_of=as_of)
        assert out["account_id"].tolist() == ["A"] and out["days_to_renewal"].tolist() == [32]
        assert R.run(accounts, "tier1_renewals", R.Scope.of(owner=["佐藤"]), as_of=as_of).empty
    finally:
        runner.sql_text.cache_clear()


def test_derived_lists_read_the_account_list_over_the_same_filters(accounts):
    as_of = D(2024, 6, 30)
    due = R.run(accounts, "renewals_due", as_of=as_of, within_days=30)
    assert due["account_id"].tolist() == ["D", "B"]  # Jul 15, Jul 20; A (Aug 1) is 32 days away
    mine = R.run(accounts, "renewals_due", R.Scope.of(owner=["田中"]), as_of=as_of, within_days=60)
    assert mine["account_id"].tolist() == ["A"]


def test_unknown_results_and_missing_parameters_are_refused(accounts):
    with pytest.raises(R.ResultError, match="no result"):
        R.run(accounts, "accounts; DROP TABLE accounts", as_of=D(2024, 6, 30))
    with pytest.raises(R.ResultError, match="needs as_of"):
        R.run(accounts, "accounts")
    with pytest.raises(R.ResultError, match="segment"):
        R.run(accounts, "churn", as_of=D(2024, 6, 30), grain="month", start=None, segment_by="name")
    with pytest.raises(R.ResultError, match="period"):
        R.run(accounts, "churn", as_of=D(2024, 6, 30), grain="decade", start=None)


def test_every_declared_result_has_its_sql_and_every_sql_file_a_declaration():
    files = {p.stem for p in runner.SQL_DIR.glob("*.sql")}
    declared = set(catalog.RESULTS)
    assert declared <= files
    assert files - declared == {f for f in files if f.startswith("_")}  # only building blocks are undeclared
