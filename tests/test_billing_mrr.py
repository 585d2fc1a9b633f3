"""MRR derived from what billing systems export (issue 27, METRICS.md "MRR from billing data"): subscriptions
and invoice lines, any interval, tax, discounts, currencies. Each test writes out by hand, month by month, the
MRR the rules give, and the movements that follow from it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from dashboard import report, workspace
from dashboard.db import Database
from dashboard.imports import importer, mapping
from dashboard.results import run
from tests.conftest import EDITOR

SUBS = ("subscription_id,account_id,plan,amount,quantity,interval,start_date,trial_end,current_period_start,"
        "current_period_end,canceled_at,cancel_at_period_end,ended_at,status,discount_percent,discount_duration,"
        "currency\n")
INVOICE = "請求書番号,請求日,取引先コード,品目,合計(税込),利用期間\n"


def history(db: Database) -> dict[tuple[str, str], Decimal]:
    rows = db.query("SELECT account_id, strftime(month, '%Y-%m') AS m, mrr FROM mrr_history ORDER BY ALL")
    return {(r.account_id, r.m): Decimal(r.mrr) for r in rows.itertuples()}


def of(db: Database, account: str) -> dict[str, int]:
    """One account's MRR per month (yen, whole in every case here)."""
    return {m: int(v) for (a, m), v in history(db).items() if a == account}


def moves(db: Database, as_of: dt.date, start: dt.date) -> pd.DataFrame:
    frame = run(db, "mrr_movements", as_of=as_of, from_month=start)
    return frame.assign(month=pd.to_datetime(frame["month"]).dt.strftime("%Y-%m")).set_index("month")


def months(first: str, last: str) -> list[str]:
    return [p.strftime("%Y-%m") for p in pd.period_range(first, last, freq="M")]


def assert_identity(frame: pd.DataFrame) -> None:
    """start + new + reactivation + expansion − contraction − churn + fx = end, to the 1/10,000 yen."""
    for month, r in frame.iterrows():
        parts = [Decimal(str(r[c])) for c in ("start", "new", "reactivation", "expansion", "contraction", "churn", "fx", "end")]
        start, new, react, exp, contr, churn, fx, end = parts
        assert start + new + react + exp - contr - churn + fx == end, month


def test_an_annual_invoice_with_tax_is_spread_over_its_twelve_months_and_a_setup_fee_is_no_mrr(db, load):
    # A: 年間利用料 ¥1,320,000 including 10% tax for 2025/04/01～2026/03/31 -> ¥1,200,000 ÷ 12 = ¥100,000 a
    # month, April to March; 初期費用 ¥110,000 is one-time: never MRR. B (monthly) carries the file to April 2026.
    result = load("invoice_lines", INVOICE
                  + "INV-1,2025/04/01,A,年間利用料,\"1,320,000\",2025/04/01～2026/03/31\n"
                  + "INV-1,2025/04/01,A,初期費用,\"110,000\",\n"
                  + "INV-9,2026/04/01,B,月額利用料,\"55,000\",2026/04/01～2026/04/30\n",
                  name="請求書一覧.csv", encoding="cp932")
    assert result["rows_loaded"] == 3 and result["mapping"]["amount"] == "合計(税込)"
    assert of(db, "A") == dict.fromkeys(months("2025-04", "2026-03"), 100_000)
    assert of(db, "B") == {"2026-04": 50_000}
    april = moves(db, dt.date(2026, 4, 30), dt.date(2025, 5, 1))
    assert_identity(april)
    assert (april["churn"] == 0).iloc[:-1].all()  # no churn while the year runs
    assert (april.loc["2026-04", "churn"], april.loc["2026-04", "new"]) == (100_000, 50_000)


def test_a_quarterly_plan_never_churns_between_its_invoices(db, load):
    # Q: a subscription billed ¥300,000 a quarter -> ¥100,000 every month (÷ 3).
    # QI: invoice lines of ¥300,000 (tax excluded) for Jan–Mar and Apr–Jun -> ¥100,000 a month, no gap.
    load("subscriptions", SUBS + "S-Q,Q,Pro,300000,1,quarter,2026-01-01,,2026-04-01,2026-07-01,,,,active,,,\n")
    load("invoice_lines", "invoice_id,invoice_date,account_id,item,amount,service_start,service_end\n"
                          "I1,2026-01-05,QI,Pro,300000,2026-01-01,2026-03-31\nI2,2026-04-03,QI,Pro,300000,2026-04-01,2026-06-30\n")
    assert of(db, "Q") == dict.fromkeys(months("2026-01", "2026-04"), 100_000)
    assert of(db, "QI") == dict.fromkeys(months("2026-01", "2026-04"), 100_000)
    frame = moves(db, dt.date(2026, 4, 30), dt.date(2026, 2, 1))
    assert_identity(frame)
    assert frame[["churn", "reactivation", "new", "expansion", "contraction"]].to_numpy().sum() == 0


def test_tax_inclusive_lines_at_10_and_8_percent_count_without_their_tax(db, load):
    # ¥110,000 at 10% -> ¥100,000; ¥108,000 at 8% (軽減税率) -> ¥100,000; ¥110,000 with ¥10,000 of tax stated ->
    # ¥100,000; ¥100,000 tax excluded -> ¥100,000; no rate given in a JPY workspace: 10%.
    load("invoice_lines", "請求書番号,取引先コード,品目,金額,消費税,税込/税抜,税率,利用期間\n"
                          "1,X,利用料,110000,,税込,10%,2026/04/01～2026/04/30\n"
                          "2,Y,利用料,108000,,税込,軽減8%,2026/04/01～2026/04/30\n"
                          "3,Z,利用料,110000,10000,税込,,2026/04/01～2026/04/30\n"
                          "4,W,利用料,100000,10000,税抜,10%,2026/04/01～2026/04/30\n"
                          "5,V,利用料,110000,,税込,,2026/04/01～2026/04/30\n")
    assert history(db) == {(a, "2026-04"): Decimal(100_000) for a in ("V", "W", "X", "Y", "Z")}


def test_a_service_period_of_15_april_to_14_may_counts_at_april_s_end_and_continues_only_with_the_next(db, load):
    # C: one line 15 April–14 May -> April's end is inside it (¥50,000), May's end is not: churn in May.
    # D: that line and 15 May–14 June -> April and May.
    lines = "請求書番号,取引先コード,品目,金額(税抜),利用期間\n"
    lines += "1,C,利用料,50000,2026/04/15～2026/05/14\n2,D,利用料,50000,2026/04/15～2026/05/14\n"
    lines += "3,D,利用料,50000,2026/05/15～2026/06/14\n"
    load("invoice_lines", lines)
    assert of(db, "C") == {"2026-04": 50_000} and of(db, "D") == {"2026-04": 50_000, "2026-05": 50_000}
    may = moves(db, dt.date(2026, 5, 31), dt.date(2026, 4, 1)).loc["2026-05"]
    assert (may["start"], may["churn"], may["end"]) == (100_000, 50_000, 50_000)
    # one timeline: the churn table dates C's churn in May, with the same MRR
    churn = run(db, "churn", as_of=dt.date(2026, 5, 31), start=dt.date(2026, 5, 1), grain="month")
    row = churn[churn["segment"] == "all"].iloc[0]
    assert (row["mrr_churned"], row["mrr_at_start"]) == (50_000, 100_000)


def test_a_late_invoice_continuing_the_service_is_no_churn_and_a_missing_month_is_churn_then_reactivation(db, load):
    # E: May's service invoiced late (20 June) -> April, May, June, no churn.
    # F: January and March served, February not -> churn in February, reactivation in March, churn in April.
    load("invoice_lines", "invoice_id,invoice_date,account_id,amount,service_start,service_end\n"
                          "E4,2026-04-01,E,30000,2026-04-01,2026-04-30\nE5,2026-06-20,E,30000,2026-05-01,2026-05-31\n"
                          "E6,2026-06-25,E,30000,2026-06-01,2026-06-30\nF1,2026-01-01,F,20000,2026-01-01,2026-01-31\n"
                          "F3,2026-03-01,F,20000,2026-03-01,2026-03-31\n")
    assert of(db, "E") == dict.fromkeys(["2026-04", "2026-05", "2026-06"], 30_000)
    assert of(db, "F") == {"2026-01": 20_000, "2026-03": 20_000}
    frame = moves(db, dt.date(2026, 6, 30), dt.date(2026, 2, 1))
    assert_identity(frame)
    assert frame["churn"].to_dict() == {"2026-02": 20_000, "2026-03": 0, "2026-04": 20_000, "2026-05": 0, "2026-06": 0}
    assert frame.loc["2026-03", "reactivation"] == 20_000 and frame.loc["2026-04", "reactivation"] == 0


def test_subscriptions_trials_cancellations_discounts_quantity_changes_and_two_plans(db, load):
    rows = [
        # G: trial until 15 January -> paid from the 15th, January's end: new in January
        "G1,G,Std,10000,1,month,2026-01-01,2026-01-15,,,,,,active,,,",
        # H: trial until 3 February -> no MRR in January, new in February
        "H1,H,Std,10000,1,month,2026-01-20,2026-02-03,,,,,,active,,,",
        # I: cancelled during its trial -> never MRR
        "I1,I,Std,10000,1,month,2026-01-05,2026-01-19,,,2026-01-12,false,2026-01-12,canceled,,,",
        # J: cancelled 10 March at period end (1 April) -> paid through March, churn in April
        "J1,J,Pro,20000,1,month,2026-01-01,,2026-03-01,2026-04-01,2026-03-10,true,,active,,,",
        # K: cancelled 10 March at once -> churn in March
        "K1,K,Pro,20000,1,month,2026-01-01,,2026-03-01,2026-04-01,2026-03-10,false,,canceled,,,",
        # M: 20% off for 3 months -> ¥8,000 January–March, ¥10,000 from April (expansion ¥2,000)
        "M1,M,Std,10000,1,month,2026-01-01,,,,,,,active,20%,3ヶ月,",
        # N: 50% off once -> a once-only discount does not change MRR: ¥10,000
        "N1,N,Std,10000,1,month,2026-01-01,,,,,,,active,50%,once,",
        # P: 5 seats × ¥1,000 until 15 March, then 8 seats -> ¥5,000, ¥5,000, ¥8,000 (expansion ¥3,000 in March)
        "P1,P,Seat,1000,5,month,2026-01-01,,,,,,2026-03-15,canceled,,,",
        "P1,P,Seat,1000,8,month,2026-03-15,,,,,,,active,,,",
        # R: two subscriptions, ¥10,000 a month and ¥120,000 a year -> ¥20,000
        "R1,R,Std,10000,1,month,2026-01-01,,,,,,,active,,,",
        "R2,R,Support,120000,1,year,2026-01-01,,,,,,,active,,,",
        # L: starts 5 April -> new in April; carries the history to April
        "L1,L,Std,10000,1,month,2026-04-05,,,,,,,active,,,",
    ]
    result = load("subscriptions", SUBS + "\n".join(rows) + "\n")
    assert result["rows_loaded"] == len(rows) and not result["errors"]
    jan_apr = months("2026-01", "2026-04")
    assert of(db, "G") == dict.fromkeys(jan_apr, 10_000)
    assert of(db, "H") == dict.fromkeys(jan_apr[1:], 10_000)
    assert of(db, "I") == {}
    assert of(db, "J") == dict.fromkeys(jan_apr[:3], 20_000)
    assert of(db, "K") == dict.fromkeys(jan_apr[:2], 20_000)
    assert of(db, "M") == {"2026-01": 8_000, "2026-02": 8_000, "2026-03": 8_000, "2026-04": 10_000}
    assert of(db, "N") == dict.fromkeys(jan_apr, 10_000)
    assert of(db, "P") == {"2026-01": 5_000, "2026-02": 5_000, "2026-03": 8_000, "2026-04": 8_000}
    assert of(db, "R") == dict.fromkeys(jan_apr, 20_000)
    assert of(db, "L") == {"2026-04": 10_000}
    frame = moves(db, dt.date(2026, 4, 30), dt.date(2026, 2, 1))
    assert_identity(frame)
    assert frame["new"].to_dict() == {"2026-02": 10_000, "2026-03": 0, "2026-04": 10_000}  # H, L
    assert frame["churn"].to_dict() == {"2026-02": 0, "2026-03": 20_000, "2026-04": 20_000}  # K, J
    assert frame["expansion"].to_dict() == {"2026-02": 0, "2026-03": 3_000, "2026-04": 2_000}  # P, M
    assert frame["contraction"].sum() == 0 and frame["fx"].sum() == 0


def test_a_usd_subscription_across_rates_moves_only_by_fx_until_its_seats_change(db, load):
    # S: $1,000 a month from January; 2 seats from 1 March (a row ending, a row starting). Rates: Jan 150,
    # Feb 155, Mar 158, Apr 160. Jan ¥150,000; Feb ¥155,000 (fx +5,000, no expansion); Mar 2 × 1,000 × 158 =
    # ¥316,000: fx 2,000 × (158 − 155) = 6,000 and expansion 316,000 − 6,000 − 155,000 = 155,000 (the seat at
    # February's rate); Apr ¥320,000 (fx +4,000). T pays in yen (円): ¥50,000 throughout, never fx.
    load("fx_rates", "month,currency,rate\n2026-01,USD,150\n2026-02,USD,155\n2026-03,USD,158\n2026-04,USD,160\n")
    load("subscriptions", SUBS
         + "S1,S,Intl,1000,1,month,2026-01-01,,,,,,2026-03-01,canceled,,,USD\n"
         + "S2,S,Intl,1000,2,month,2026-03-01,,2026-04-01,2026-05-01,,,,active,,,usd\n"
         + "T1,T,Std,50000,1,month,2026-01-01,,,,,,,active,,,円\n")
    assert of(db, "S") == {"2026-01": 150_000, "2026-02": 155_000, "2026-03": 316_000, "2026-04": 320_000}
    assert of(db, "T") == dict.fromkeys(months("2026-01", "2026-04"), 50_000)
    frame = moves(db, dt.date(2026, 4, 30), dt.date(2026, 2, 1))
    assert_identity(frame)
    assert frame["fx"].to_dict() == {"2026-02": 5_000, "2026-03": 6_000, "2026-04": 4_000}
    assert frame["expansion"].to_dict() == {"2026-02": 0, "2026-03": 155_000, "2026-04": 0}
    assert frame["contraction"].sum() == 0


def test_usd_invoice_lines_month_by_month_move_only_by_fx(db, load):
    # $1,000 invoiced every month (a new line each month), rates 150, 155, 160 -> ¥150,000, ¥155,000, ¥160,000:
    # fx +5,000 twice, no expansion (the rate's part is fx whichever line carries it)
    load("fx_rates", "month,currency,rate\n2026-01,USD,150\n2026-02,USD,155\n2026-03,USD,160\n")
    load("invoice_lines", "invoice_id,account_id,amount,currency,service_period\n" + "".join(
        f"I{m},X,1000,USD,2026/{m:02d}/01～2026/{m:02d}/{days}\n" for m, days in ((1, 31), (2, 28), (3, 31))))
    assert of(db, "X") == {"2026-01": 150_000, "2026-02": 155_000, "2026-03": 160_000}
    frame = moves(db, dt.date(2026, 3, 31), dt.date(2026, 2, 1))
    assert_identity(frame)
    assert frame["fx"].tolist() == [5_000, 5_000] and frame["expansion"].sum() == 0


def test_what_real_invoice_exports_write_is_read_as_meant(db, load):
    # Stripe's periods end where the next begins (1 April–1 May is one month); a month written 2026年4月分;
    # an item 月額利用料（キャンペーン割引適用） is recurring, not a credit; a negative recurring line (an adjustment
    # for the month) nets against the account's ¥40,000; a recurring line without a period is its invoice month's, named.
    result = load("invoice_lines", "請求書番号,請求日,取引先コード,品目,金額(税抜),利用期間,利用開始日,利用終了日\n"
                  "1,2026/04/01,P,Pro,30000,,2026-04-01,2026-05-01\n"
                  "2,2026/04/01,Q,月額利用料,20000,2026年4月分,,\n"
                  "3,2026/04/01,R,月額利用料（キャンペーン割引適用）,15000,2026/04/01-2026/04/30,,\n"
                  "4,2026/04/01,S,月額利用料,40000,2026/04/01～2026/04/30,,\n"
                  "5,2026/04/10,S,Pro（日割り調整）,-10000,2026/04/01～2026/04/30,,\n"
                  "6,2026/04/01,T,月額利用料,25000,,,\n", lang="en")
    assert history(db) == {("P", "2026-04"): 30_000, ("Q", "2026-04"): 20_000, ("R", "2026-04"): 15_000,
                           ("S", "2026-04"): 30_000, ("T", "2026-04"): 25_000}
    assert result["warnings"] == ["1 recurring lines have no service period: each was read as MRR of its invoice "
                                  "date's month. An annual or quarterly invoice needs its service period, or it counts "
                                  "as one month."]


def test_a_setup_fee_invoiced_does_not_hide_the_account_s_subscription(db, load):
    # V's subscription is ¥10,000 a month; its only invoice line is a setup fee: the subscription still counts.
    # W has recurring invoice lines: they win over its subscription (what was billed).
    load("subscriptions", SUBS + "V1,V,Std,10000,1,month,2026-04-01,,2026-04-01,,,,,active,,,\n"
                                 "W1,W,Std,10000,1,month,2026-04-01,,2026-04-01,,,,,active,,,\n")
    load("invoice_lines", "invoice_id,invoice_date,account_id,item,amount,service_start,service_end\n"
                          "I1,2026-04-01,V,初期費用,50000,,\nI2,2026-04-01,W,月額利用料,12000,2026-04-01,2026-04-30\n")
    assert history(db) == {("V", "2026-04"): 10_000, ("W", "2026-04"): 12_000}


def test_a_zero_interval_count_counts_nothing_and_a_missing_interval_is_said(db, load):
    result = load("subscriptions", "契約ID,取引先コード,単価,サイクル数,契約開始日\nA1,A,10000,0,2026-04-01\n"
                                    "B1,B,10000,1,2026-04-01\n", lang="en")
    assert history(db) == {("B", "2026-04"): Decimal(10_000)}
    assert result["warnings"][0] == ("subscriptions.csv: no billing interval column, so every \"単価\" was read as a "
                                     "monthly price. Map an interval column if some plans are yearly or quarterly.")


def test_a_currency_without_a_rate_is_named_not_a_silent_churn(db, load):
    result = load("subscriptions", SUBS + "U1,U,Intl,1000,1,month,2026-01-01,,2026-02-01,,,,,active,,,EUR\n")
    assert result["warnings"] == [
        "no EUR exchange rate for 2026-01, 2026-02: MRR billed in EUR (1 accounts) is left out of those months. "
        "Import exchange rates (month, currency, rate)."]
    assert of(db, "U") == {}
    # a rate for January and March but not February: February's gap is named, and is a churn in the figures
    load("fx_rates", "month,currency,rate\n2026-01,EUR,160\n2026-03,EUR,162\n")
    result = load("subscriptions", SUBS + "U1,U,Intl,1000,1,month,2026-01-01,,2026-03-01,,,,,active,,,EUR\n")
    assert result["warnings"] == [
        "no EUR exchange rate for 2026-02: MRR billed in EUR (1 accounts) is left out of those months. "
        "Import exchange rates (month, currency, rate)."]
    assert of(db, "U") == {"2026-01": 160_000, "2026-03": 162_000}


def test_words_a_billing_export_uses_that_mean_nothing_are_rejected_rows_named_by_row_and_column(db, load):
    result = load("subscriptions", "契約ID,取引先コード,プラン,単価,請求サイクル,契約開始日\n"
                                    "1,A,Std,10000,毎週火曜,2026-01-01\n2,B,Std,120000,年次,2026-01-01\n", lang="en")
    assert result["rows_loaded"] == 1
    assert result["errors"] == [{"row": 2, "column": "請求サイクル",
                                 "message": "not a billing interval: \"毎週火曜\" (month, quarter, half-year, year, week, day)"}]
    assert of(db, "B") == {"2026-01": 10_000}  # 年次: ¥120,000 a year ÷ 12


# The report test's exports, and the MRR history the rules give for them, written out by hand.
REPORT_SUBS = SUBS + "\n".join([
    "A1,A,Std,10000,1,month,2025-11-01,,,,,,,active,,,",                       # ¥10,000 from November
    "B1,B,Pro,360000,1,year,2025-12-10,,,2026-12-10,2026-02-10,true,,active,,,",  # ¥30,000 (a year ÷ 12)
    "C1,C,Std,30000,1,quarter,2025-11-15,,2026-02-15,2026-05-15,2026-01-20,false,2026-01-20,canceled,,,",
    "D1,D,Std,10000,1,month,2026-01-05,2026-01-20,,,,,,active,50%,2,",           # trial; ¥5,000 ×2 months
]) + "\n"
REPORT_HISTORY = {
    "A": ("Std", {"2025-11": 10000, "2025-12": 10000, "2026-01": 10000, "2026-02": 10000, "2026-03": 10000}),
    "B": ("Pro", {"2025-12": 30000, "2026-01": 30000, "2026-02": 30000, "2026-03": 30000}),
    "C": ("Std", {"2025-11": 10000, "2025-12": 10000}),  # stopped 20 January: churn in January
    # paid from 20 January, 2 months at half (to 20 March): on 1 March, the last day the exports know, still half
    "D": ("Std", {"2026-01": 5000, "2026-02": 5000, "2026-03": 5000}),
}


def test_report_on_subscriptions_equals_report_on_the_history_the_rules_give(db, load, tmp_path):
    load("subscriptions", REPORT_SUBS)
    # The history runs to the month of the latest date known to have passed: C's period start, 15 February
    # (B's cancellation at period end in December is ahead). An append carries it to 1 March: Z starts a trial
    # on 1 March that ends in April, so Z pays nothing; March is read on 1 March, the exports' as-of day.
    load("subscriptions", SUBS + "Z1,Z,Std,10000,1,month,2026-03-01,2026-04-15,,,,,,trialing,,,\n", mode="append")
    got = {a: {m: int(v) for (acct, m), v in history(db).items() if acct == a} for a in "ABCDZ"}
    assert got == {**{a: months for a, (_, months) in REPORT_HISTORY.items()}, "Z": {}}
    by_hand = Database(tmp_path / "by_hand.duckdb")
    path = tmp_path / "mrr.csv"
    path.write_text("account_id,month,mrr,plan\n" + "".join(
        f"{a},{m},{v},{plan}\n" for a, (plan, months) in REPORT_HISTORY.items() for m, v in months.items()))
    from dashboard.imports import importer
    from tests.conftest import EDITOR

    importer.import_file(by_hand, path, "mrr", by=EDITOR)
    as_of = dt.date(2026, 3, 31)
    derived = report.build(db, as_of=as_of, start=dt.date(2025, 12, 1))
    written = report.build(by_hand, as_of=as_of, start=dt.date(2025, 12, 1))
    assert derived.keys() == written.keys()
    for section in derived:
        assert report.jsonable(derived[section]) == report.jsonable(written[section]), section


@pytest.mark.slow  # a page in AppTest: the full suite's
def test_the_data_page_shows_how_an_account_s_mrr_was_derived(app_db):
    from tests.test_pages import open_page

    at = open_page("data")
    assert any(h.value == "MRRの算出内訳" for h in at.subheader)
    at.text_input(key="derivation_account").set_value("C20005").run()
    lines, months_ = (frame.value for frame in at.dataframe[-2:])
    # the mid-month upgrade: スタンダード ¥80,000 to 17 July (its last day), then プロ ¥200,000 from the 18th
    shown = lines[["ref", "plan", "from", "until", "rule"]]
    assert shown.astype(object).where(shown.notna(), None).values.tolist() == [
        ["S-0005", "スタンダード", "2025-11-05", "2026-07-17", "月額"], ["S-0005", "プロ", "2026-07-18", None, "月額"]]
    july = months_[months_["month"] == "2026-07"]
    assert july["mrr"].tolist() == [200_000] and july["mrr_line"].tolist() == [200_000]
    at.text_input(key="derivation_account").set_value("C20007").run()
    months_ = at.dataframe[-1].value.set_index("month")
    # $2,000 at June's 146.22 and May's 144.80: ¥292,440, of which ¥2,840 is the rate's
    assert (months_.loc["2026-06", "rate"], months_.loc["2026-06", "mrr"], months_.loc["2026-06", "fx"]) == (146.22, 292_440, 2_840)
    assert months_.loc["2026-06", "currency"] == "米ドル"


def test_explain_mrr_on_the_command_line_prints_the_rule_of_each_line(app_db):
    import json
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "dashboard", "--db", str(app_db), "explain-mrr", "C20002",
                          "--month", "2026-10"], capture_output=True, text=True, check=True, env={
                              **__import__("os").environ, "DASHBOARD_LANG": "en"})
    explained = json.loads(out.stdout)
    assert explained["source"] == "subscriptions"
    assert [(line["ref"], line["monthly"], line["rule"]) for line in explained["lines"]] == [
        ("S-0002", 200000, "yearly amount ÷ 12")]
    assert explained["months"] == [{"month": "2026-10", "mrr": 200000, "fx": 0, "plan": "プロ（年契約）", "lines": [
        {"ref": "S-0002", "currency": "JPY", "native": 200000, "rate": 1.0, "mrr": 200000, "counted": True}]}]


def test_the_last_month_is_read_on_the_exports_last_day_so_a_cancel_later_that_month_is_no_churn_yet(db, load):
    # The export's last known day is 12 October (Y's period began). X cancelled on 5 October at the end of its
    # period (25 October): on 12 October it still pays ¥10,000, so October ends the history with X paying and
    # no churn; read at October's end X would already churn in October. A contract end written ahead (Y's
    # 2030 end) is not a day that has passed.
    load("subscriptions", SUBS
         + "X1,X,Std,10000,1,month,2026-01-01,,2026-10-01,2026-10-25,2026-10-05,true,,active,,,\n"
         + "Y1,Y,Std,20000,1,month,2026-01-01,,2026-10-12,2026-11-12,,,2030-03-31,active,,,\n")
    assert of(db, "X") == dict.fromkeys(months("2026-01", "2026-10"), 10_000)
    frame = moves(db, dt.date(2026, 10, 31), dt.date(2026, 9, 1))
    assert frame.loc["2026-10", "churn"] == 0 and frame.loc["2026-10", "end"] == 30_000
    # the next export knows November: X's service stopped on 25 October, October's churn
    load("subscriptions", SUBS
         + "X1,X,Std,10000,1,month,2026-01-01,,2026-10-01,2026-10-25,2026-10-05,true,2026-10-25,canceled,,,\n"
         + "Y1,Y,Std,20000,1,month,2026-01-01,,2026-11-12,2026-12-12,,,2030-03-31,active,,,\n")
    assert of(db, "X") == dict.fromkeys(months("2026-01", "2026-09"), 10_000)
    frame = moves(db, dt.date(2026, 11, 30), dt.date(2026, 9, 1))
    assert frame.loc["2026-10", "churn"] == 10_000 and frame.loc["2026-11", "churn"] == 0


def test_a_change_of_the_workspace_currency_derives_the_history_again(db, load):
    # V pays $1,000 a month, rates ¥150 then ¥155: ¥150,000, ¥155,000; W pays ¥30,000. In a dollar workspace
    # V is $1,000 each month and W is converted with the JPY rate the file gives ($0.0065 per yen in
    # February: $195). The report, read through what is kept, follows both changes.
    load("fx_rates", "month,currency,rate\n2026-01,USD,150\n2026-02,USD,155\n2026-01,JPY,0.0066\n2026-02,JPY,0.0065\n")
    load("subscriptions", SUBS + "V1,V,Intl,1000,1,month,2026-01-01,,2026-02-01,,,,,active,,,USD\n"
                                 "W1,W,Std,30000,1,month,2026-01-01,,2026-02-01,,,,,active,,,JPY\n")
    as_of = dt.date(2026, 2, 28)
    assert of(db, "V") == {"2026-01": 150_000, "2026-02": 155_000}
    assert report.build(db, as_of=as_of)["mrr"] == 185_000
    workspace.put_setting(db, "currency", "USD", by=EDITOR)
    assert of(db, "V") == {"2026-01": 1_000, "2026-02": 1_000}
    assert of(db, "W") == {"2026-01": 198, "2026-02": 195}
    assert report.build(db, as_of=as_of)["mrr"] == 1_195
    assert importer.derivation_warnings(db, "en") == []  # every month of both currencies has its rate
    load("fx_rates", "month,currency,rate\n2026-01,USD,150\n2026-02,USD,155\n2026-01,JPY,0.0066\n")
    assert of(db, "W") == {"2026-01": 198}  # February's yen rate is gone: named, not a silent churn
    assert importer.derivation_warnings(db, "en") == [
        "no JPY exchange rate for 2026-02: MRR billed in JPY (1 accounts) is left out of those months. "
        "Import exchange rates (month, currency, rate)."]
    workspace.put_setting(db, "currency", "JPY", by=EDITOR)
    assert of(db, "V") == {"2026-01": 150_000, "2026-02": 155_000}
    assert report.build(db, as_of=as_of)["mrr"] == 185_000


def test_a_repeating_discount_lasts_the_months_its_own_column_gives(db, load):
    # Stripe's coupon: 25% off, "repeating" for 2 months -> ¥7,500 in January and February, ¥10,000 from March
    # (expansion ¥2,500). Without its months the discount is read as lasting, and the import says so.
    result = load("subscriptions", "Customer ID,Plan,Amount,Interval,Start (UTC),Discount Percent,Discount Duration,"
                                   "Discount Duration In Months\nZ,Std,10000,month,2026-01-01 00:00,25,repeating,2\n"
                                   "Q,Std,10000,month,2026-04-01 00:00,,,\n", lang="en")
    assert result["mapping"]["discount_months"] == "Discount Duration In Months" and not result["warnings"]
    for header in ("Discount months", "discount_months", "割引月数"):  # never the discount's amount
        assert mapping.suggest("subscriptions", ["Amount", "Discount Amount", header])["discount_months"][0] == header
    assert of(db, "Z") == {"2026-01": 7_500, "2026-02": 7_500, "2026-03": 10_000, "2026-04": 10_000}
    assert moves(db, dt.date(2026, 4, 30), dt.date(2026, 2, 1))["expansion"].to_dict() == {
        "2026-02": 0, "2026-03": 2_500, "2026-04": 0}
    result = load("subscriptions", "Customer ID,Plan,Amount,Interval,Start (UTC),Discount Percent,Discount Duration\n"
                                   "Z,Std,10000,month,2026-01-01 00:00,25,repeating\n", lang="en")
    assert result["warnings"] == ["1 subscriptions have a \"repeating\" discount without its months: each was read "
                                  "as a discount that lasts. Map the duration-in-months column."]
    assert set(of(db, "Z").values()) == {7_500}


def test_a_file_made_before_the_months_column_gets_it_on_opening_and_keeps_its_subscriptions(db, load):
    load("subscriptions", SUBS + "A1,A,Std,10000,1,month,2026-01-01,,,,,,,active,20%,2,\n"
                                 "B1,B,Std,10000,1,month,2026-03-01,,,,,,,active,,,\n")

    def older(con):  # as the version before the column left the file
        con.execute("DROP VIEW cur_subscriptions")
        con.execute("ALTER TABLE subscriptions DROP COLUMN discount_months")
        con.execute("UPDATE meta SET value = 'older' WHERE key = 'schema_hash'")
    db.write(older)
    db.release()
    again = Database(db.path)
    assert "discount_months" in again.query("SELECT * FROM cur_subscriptions").columns
    assert of(again, "A") == {"2026-01": 8_000, "2026-02": 8_000, "2026-03": 10_000}


def test_times_stripe_writes_in_utc_are_read_as_the_day_they_were_in_the_workspace_s_time_zone(db, load):
    # Started 31 January 18:30 UTC = 1 February 03:30 in Tokyo: new in February. Cancelled 31 March 16:00 UTC
    # = 1 April 01:00 in Tokyo: paid through March, churn in April. Read as UTC days (a workspace in UTC) the
    # same rows start in January and churn in March. A date without a time is the day written.
    stripe = ("Customer ID,Plan,Amount,Interval,Start (UTC),Canceled At (UTC),Ended At (UTC)\n"
              "U,Std,10000,month,2026-01-31 18:30:00,,\n"
              "V,Std,10000,month,2026-01-05 00:00:00,2026-03-31 16:00:00,2026-03-31 16:00:00\n"
              "W,Std,10000,month,2026-01-31,,\n"
              "X,Std,10000,month,2026-04-02 00:00:00,,\n")
    load("subscriptions", stripe)
    assert db.query("SELECT min(start_date) AS d FROM cur_subscriptions WHERE account_id = 'U'")["d"].iloc[0].date() \
        == dt.date(2026, 2, 1)
    assert of(db, "U") == dict.fromkeys(months("2026-02", "2026-04"), 10_000)
    assert of(db, "V") == dict.fromkeys(months("2026-01", "2026-03"), 10_000)
    assert of(db, "W") == dict.fromkeys(months("2026-01", "2026-04"), 10_000)
    # a header without UTC, or with an offset (local time), keeps the day written
    for header in ("Start", "Start (UTC+09:00)", "開始日時（ＵＴＣ＋９）"):
        plan = importer.plan_import(("Customer ID,Plan,Amount,Interval," + header + "\nT,Std,1,month,2026-01-31 18:30:00\n"
                                     ).encode(), "subs.csv", "subscriptions", db=db)
        assert plan.frame["start_date"].iloc[0].date() == dt.date(2026, 1, 31), header
    plan = importer.plan_import(b"Customer ID,Plan,Amount,Interval,Start (UTC)\nT,Std,1,month,9999-12-31 20:00:00\n",
                                "subs.csv", "subscriptions", db=db)
    assert str(plan.frame["start_date"].iloc[0])[:10] == "9999-12-31"  # moved out of range: the day written
    workspace.put_setting(db, "time_zone", "UTC", by=EDITOR)
    load("subscriptions", stripe)  # the same file read in another zone is another snapshot
    assert of(db, "U") == dict.fromkeys(months("2026-01", "2026-04"), 10_000)
    assert of(db, "V") == dict.fromkeys(months("2026-01", "2026-02"), 10_000)


def test_a_derived_history_churns_on_the_day_its_service_stopped(db, load):
    # K: cancelled at once on 10 March -> paid January and February, a customer until 10 March (not 1 March).
    # J: cancelled at the end of its period (1 April) -> a customer until 1 April. L carries the file to April.
    load("subscriptions", SUBS
         + "K1,K,Pro,20000,1,month,2026-01-01,,2026-03-01,2026-04-01,2026-03-10,false,2026-03-10,canceled,,,\n"
         + "J1,J,Pro,30000,1,month,2026-01-01,,2026-03-01,2026-04-01,2026-03-10,true,,active,,,\n"
         + "L1,L,Std,10000,1,month,2026-04-05,,,,,,,active,,,\n")
    spells = db.query("SELECT account_id, spell_start, spell_end FROM spells(DATE '2026-04-30') ORDER BY 1")
    ends = {r.account_id: (r.spell_end.date() if r.spell_end == r.spell_end else None) for r in spells.itertuples()}
    assert ends == {"J": dt.date(2026, 4, 1), "K": dt.date(2026, 3, 10), "L": None}
    # by week, K's churn is in the week of 9 March (not the week of 23 February that ends on 1 March)
    weeks = run(db, "churn", as_of=dt.date(2026, 4, 30), grain="week", start=dt.date(2026, 2, 23))
    weeks = weeks.assign(week=pd.to_datetime(weeks["period_start"]).dt.strftime("%m-%d")).set_index("week")
    assert weeks.loc["03-09", "customers_churned"] == 1 and weeks.loc["03-09", "mrr_churned"] == 20_000
    assert weeks["customers_churned"].sum() == 2 and weeks.loc["02-23", "customers_churned"] == 0
    # by month it is March's churn on both pages, as before
    month = run(db, "churn", as_of=dt.date(2026, 4, 30), grain="month", start=dt.date(2026, 3, 1))
    assert month["mrr_churned"].tolist()[:2] == [20_000, 30_000]
    assert moves(db, dt.date(2026, 4, 30), dt.date(2026, 3, 1))["churn"].tolist() == [20_000, 30_000]


def test_a_derived_year_runs_from_the_first_paid_day_so_a_contract_left_at_its_anniversary_is_not_renewed(db, load):
    # A: yearly from 15 April 2025, cancelled at period end (15 April 2026): a customer 15 April 2025 – 15 April
    # 2026, so its anniversary (15 April 2026) is due and not renewed. (From the months' first days it would be
    # 1 April 2025 – 15 April 2026, an anniversary on 1 April, "renewed".) B renews: its year runs on.
    load("subscriptions", SUBS
         + "A1,A,Pro,120000,1,year,2025-04-15,,2025-04-15,2026-04-15,2026-03-01,true,,active,,,\n"
         + "B1,B,Pro,120000,1,year,2025-04-20,,2026-04-20,2027-04-20,,,,active,,,\n")
    spells = db.query("SELECT account_id, spell_start, spell_end FROM spells(DATE '2026-04-30') ORDER BY 1")
    assert [(r.account_id, str(r.spell_start)[:10], str(r.spell_end)[:10]) for r in spells.itertuples()] == [
        ("A", "2025-04-15", "2026-04-15"), ("B", "2025-04-20", "NaT")]
    april = run(db, "renewal_rates", as_of=dt.date(2026, 4, 30), grain="month", start=dt.date(2026, 4, 1))
    assert (april["renewals_due"].sum(), april["renewed"].sum()) == (2, 1)
    # as of 10 April A's stop (15 April) is not known yet: the churn table says what the movements say
    # (April has no row for A: March's ¥10,000 churns in April, A is no customer at April's end)
    as_of = dt.date(2026, 4, 10)
    churn = run(db, "churn", as_of=as_of, grain="month", start=dt.date(2026, 4, 1))
    assert churn["mrr_churned"].iloc[0] == moves(db, as_of, dt.date(2026, 4, 1))["churn"].iloc[0]
