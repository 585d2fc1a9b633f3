"""One MRR timeline behind every revenue figure (METRICS.md, issue 27): for every month, the churn table's
churned MRR and MRR at start are the movements' churn and starting MRR — on the demo and on a hand-made
history where an account churns mid-month after its month was billed."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal

import pandas as pd
import pytest

from dashboard.db import Database
from dashboard.results import run

AS_OF = dt.date(2026, 10, 31)


def both(db: Database, as_of: dt.date, start: dt.date) -> pd.DataFrame:
    churn = run(db, "churn", as_of=as_of, start=start, grain="month")
    churn = churn[churn["segment"] == "all"].assign(month=lambda f: pd.to_datetime(f["period_start"]))
    moves = run(db, "mrr_movements", as_of=as_of, from_month=start).assign(month=lambda f: pd.to_datetime(f["month"]))
    return churn.merge(moves, on="month", suffixes=("_churn", "_moves"))


@pytest.fixture
def demo_db(demo_file, tmp_path) -> Database:
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_file, path)
    return Database(path)


def test_every_month_of_the_demo_churns_the_same_mrr_on_both_pages(demo_db):
    first = demo_db.query("SELECT min(month) AS m FROM mrr_history")["m"][0].date()
    start = (first.replace(day=1) + dt.timedelta(days=32)).replace(day=1)  # a month with a month before it
    rows = both(demo_db, AS_OF, start)
    assert len(rows) >= 24
    assert rows["mrr_churned"].sum() > 0
    for _, r in rows.iterrows():
        assert Decimal(r["mrr_churned"]) == Decimal(r["churn"]), r["month"]
        assert Decimal(r["mrr_at_start"]) == Decimal(r["start"]), r["month"]
    # the months the issue names: October's churn was ¥140,000 on the Churn page and ¥860,000 (September's
    # leavers) on the Overview; September's leavers are September's churn now, on both
    by_month = rows.set_index("month")
    assert by_month.loc[pd.Timestamp(2026, 10, 1), "churn"] == 140_000
    assert by_month.loc[pd.Timestamp(2026, 9, 1), "churn"] == 860_000


def test_a_mid_month_churn_after_its_month_was_billed_is_that_month_s_churn(db, load):
    # A: ¥100,000 a month Jan-Mar, churn_date 15 March (March billed in full). B: ¥50,000 throughout.
    # March's end: A is no customer -> March churn ¥100,000 (its February MRR), start ¥150,000; April: none.
    load("accounts", "account_id,name,contract_start,churn_date\nA,甲,2026-01-01,2026-03-15\nB,乙,2026-01-01,\n")
    load("mrr", "account_id,month,mrr\n" + "".join(
        f"{a},2026-{m:02d}-01,{v}\n" for a, v, months in (("A", 100000, (1, 2, 3)), ("B", 50000, (1, 2, 3, 4)))
        for m in months))
    rows = both(db, dt.date(2026, 4, 30), dt.date(2026, 2, 1)).set_index("month")
    march, april = rows.loc[pd.Timestamp(2026, 3, 1)], rows.loc[pd.Timestamp(2026, 4, 1)]
    assert (march["churn"], march["mrr_churned"], march["start"], march["mrr_at_start"]) == (100000, 100000, 150000, 150000)
    assert march["end"] == 50000 and march["customers_churned"] == 1
    assert (april["churn"], april["mrr_churned"], april["start"]) == (0, 0, 50000)


def _history(load, accounts: str, rows: list[tuple[str, str, int]]) -> None:
    load("accounts", "account_id,name,contract_start,churn_date\n" + accounts)
    load("mrr", "account_id,month,mrr\n" + "".join(f"{a},{m}-01,{v}\n" for a, m, v in rows))


def test_a_history_billed_after_the_churn_day_churns_once_when_the_billing_stops(db, load):
    # A leaves on 15 March but is billed for March and April (in arrears): the history says it paid into
    # April, so both pages date the churn in May, once — no churn in March and return in April
    _history(load, "A,甲,2026-01-01,2026-03-15\nB,乙,2026-01-01,\n",
             [("A", f"2026-{m:02d}", 100000) for m in (1, 2, 3, 4)] + [("B", f"2026-{m:02d}", 50000) for m in range(1, 7)])
    rows = both(db, dt.date(2026, 6, 30), dt.date(2026, 2, 1)).set_index("month")
    assert rows["churn"].tolist() == [0, 0, 0, 100000, 0] and rows["reactivation"].sum() == 0
    assert rows["mrr_churned"].tolist() == rows["churn"].tolist()
    assert rows["mrr_at_start"].tolist() == rows["start"].tolist()


def test_a_churn_on_the_first_of_a_billed_month_is_read_as_the_churn_table_reads_it(db, load):
    # churn_date 1 March with March billed: the spells end A's customer days at March's end (the history
    # wins over a date that contradicts it); the movements say the same
    _history(load, "A,甲,2026-01-01,2026-03-01\nB,乙,2026-01-01,\n",
             [("A", f"2026-{m:02d}", 100000) for m in (1, 2, 3)] + [("B", f"2026-{m:02d}", 50000) for m in range(1, 6)])
    rows = both(db, dt.date(2026, 5, 31), dt.date(2026, 2, 1)).set_index("month")
    assert rows["mrr_churned"].tolist() == rows["churn"].tolist() == [0, 0, 100000, 0]


def test_a_churn_later_in_the_as_of_month_is_not_counted_before_it_happens(db, load):
    # as of 10 March, A (leaving on 20 March) is still a customer: no March churn yet, on either page; as of
    # 31 March it is March's churn on both
    _history(load, "A,甲,2026-01-01,2026-03-20\nB,乙,2026-01-01,\n",
             [("A", f"2026-{m:02d}", 100000) for m in (1, 2, 3)] + [("B", f"2026-{m:02d}", 50000) for m in (1, 2, 3)])
    early = both(db, dt.date(2026, 3, 10), dt.date(2026, 2, 1)).set_index("month").loc[pd.Timestamp(2026, 3, 1)]
    assert (early["churn"], early["mrr_churned"], early["end"]) == (0, 0, 150000)
    late = both(db, dt.date(2026, 3, 31), dt.date(2026, 2, 1)).set_index("month").loc[pd.Timestamp(2026, 3, 1)]
    assert (late["churn"], late["mrr_churned"], late["end"]) == (100000, 100000, 50000)
