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


def _over(rows: list[dict], source_name: str):
    """A fetch that hands a derived result the given rows as its source."""
    import pandas as pd

    frame = pd.DataFrame(rows)
    return lambda name, **params: frame if name == source_name else pytest.fail(f"unexpected {name}")


AS_OF = dt.date(2026, 10, 31)


def test_the_health_histogram_bins_by_five_points_with_100_in_the_last_bin():
    rows = [{"account_id": f"A{i}", "tier": tier, "score": score}
            for i, (tier, score) in enumerate([("Tier1", 0.0), ("Tier1", 4.999), ("Tier1", 5.0), ("Tier2", 99.9),
                                               ("Tier2", 100.0), ("Tier2", None), (None, 50.0), ("Tier3", 42.5)])]
    bins = runner.run(None, "health_histogram", fetch=_over(rows, "accounts"), as_of=AS_OF)
    assert bins.to_dict("records") == [
        {"tier": "Tier1", "bin_from": 0, "accounts": 2}, {"tier": "Tier1", "bin_from": 5, "accounts": 1},
        {"tier": "Tier2", "bin_from": 95, "accounts": 2}, {"tier": "Tier3", "bin_from": 40, "accounts": 1}]


def test_the_explain_choices_are_the_lowest_scores_with_the_count_of_all_scored():
    rows = [{"account_id": a, "name": n, "mrr": 1000, "score": s, "band": "red", "change": None}
            for a, n, s in [("B", "ベータ", 10.0), ("A", None, 10.0), ("C", "シー", 80.0), ("D", "ディー", None), ("E", "イー", 5.0)]]
    choices = runner.run(None, "explain_choices", fetch=_over(rows, "accounts"), as_of=AS_OF, limit=3)
    assert choices["label"].tolist() == ["E  イー", "A  ", "B  ベータ"]  # ties by ID; no name: the ID alone
    assert choices["scored"].tolist() == [4, 4, 4]  # four scored accounts, three offered


def test_one_accounts_health_is_its_rows_of_the_details():
    rows = [{"account_id": a, "measure": m, "raw": 1.0, "measure_score": 50.0, "weight": 1.0, "contribution": c}
            for a, m, c in [("A", "logins", 20.0), ("B", "logins", 30.0), ("A", "seats", 25.0)]]
    mine = runner.run(None, "account_health", fetch=_over(rows, "health_details"), as_of=AS_OF, account_id="A")
    assert mine[["measure", "contribution"]].values.tolist() == [["logins", 20.0], ["seats", 25.0]]
