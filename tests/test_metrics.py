"""Every metric pinned on small fixtures worked out by hand (see the comments for the arithmetic)."""

import datetime as dt

import pandas as pd
import pytest

from dashboard import results as R
from dashboard import settings as S
from dashboard import validation
from dashboard.auth import LOCAL_USER as EDITOR
from dashboard.periods import EARLIEST, validation_days
from dashboard.results.health_weights import suggested_config
from dashboard.views import call
from tests.oracles import band, roc_auc

D = dt.date

# Accounts only (MRR is the account's mrr while active). Churn dates are the first day not a customer.
ACCOUNTS = """account_id,mrr,contract_start,churn_date,plan
X1,10000,2024-01-15,2024-04-03,A
X2,20000,2024-02-01,,B
X3,5000,2024-03-10,2024-03-25,A
X4,30000,2023-12-01,2024-03-31,B
X5,40000,2024-04-01,,A
X6,7000,2023-11-01,2024-02-02,B
"""


def scores_on(db, as_of, config):
    """Each account's health score on ``as_of`` alone (the result gives one row per account and day)."""
    return R.run(db, "health_scores", as_of=as_of, days=[as_of], config=config).drop(columns="day")


def row(frame, start):
    hit = frame[frame["period_start"] == pd.Timestamp(start)]
    assert len(hit) == 1, hit
    return hit.iloc[0]


@pytest.fixture
def accounts_db(db, load):
    load("accounts", ACCOUNTS)
    return db


def test_monthly_customer_and_revenue_churn(accounts_db):
    frame = R.run(accounts_db, "churn", as_of=D(2024, 6, 30), grain="month", start=D(2024, 1, 1))
    march = row(frame, D(2024, 3, 1))
    # at start (active on Feb 29): X1, X2, X4; churned in March: X4 (Mar 31); X3 joined and churned.
    assert (march.customers_at_start, march.customers_churned, march.joined_and_churned) == (3, 1, 1)
    assert march.customer_churn_rate == pytest.approx(1 / 3)
    assert march.retention_rate == pytest.approx(2 / 3)
    # MRR at start 10,000 + 20,000 + 30,000; X4's last MRR 30,000 -> 0.5
    assert (march.mrr_at_start, march.mrr_churned, march.churned_mrr_rate) == (60_000, 30_000, 0.5)
    april = row(frame, D(2024, 4, 1))
    # at start: X1 (churn Apr 3 >= Apr 1), X2. X4 left on Mar 31; X5 starts on Apr 1 (not < Apr 1).
    assert (april.customers_at_start, april.customers_churned) == (2, 1)
    assert april.customer_churn_rate == 0.5


def test_iso_week_crossing_a_month_end(accounts_db):
    frame = R.run(accounts_db, "churn", as_of=D(2024, 6, 30), grain="week", start=D(2024, 1, 29))
    week = row(frame, D(2024, 1, 29))  # Monday 29 Jan - Sunday 4 Feb
    assert week.period_end == pd.Timestamp(D(2024, 2, 5))
    # active on Jan 28: X1, X4, X6; X6 churns Fri 2 Feb
    assert (week.customers_at_start, week.customers_churned) == (3, 1)
    assert (week.mrr_at_start, week.mrr_churned) == (47_000, 7_000)
    assert week.churned_mrr_rate == pytest.approx(7_000 / 47_000)


def test_fiscal_year_boundaries_and_an_empty_period(accounts_db):
    frame = R.run(accounts_db, "churn", as_of=D(2024, 6, 30), grain="fiscal_year", start=D(2023, 4, 1), fy_start_month=4)
    fy2023 = row(frame, D(2023, 4, 1))
    # nobody was a customer before 2023-04-01: the rate is empty, not 0 and not an error
    assert fy2023.customers_at_start == 0 and pd.isna(fy2023.customer_churn_rate)
    assert fy2023.joined_and_churned == 3  # X6, X4, X3 joined and left inside FY2023
    fy2024 = row(frame, D(2024, 4, 1))
    assert fy2024.period_end == pd.Timestamp(D(2024, 7, 1))  # cut at the as-of date
    assert not fy2024.complete
    assert (fy2024.customers_at_start, fy2024.customers_churned) == (2, 1)  # X1, X2; X1 churns Apr 3
    calendar = R.run(accounts_db, "churn", as_of=D(2024, 6, 30), grain="fiscal_year", start=D(2024, 1, 1), fy_start_month=1)
    y2024 = row(calendar, D(2024, 1, 1))
    assert (y2024.customers_at_start, y2024.customers_churned, y2024.joined_and_churned) == (2, 2, 2)


def test_fiscal_quarters(accounts_db):
    frame = R.run(accounts_db, "churn", as_of=D(2024, 6, 30), grain="quarter", start=D(2024, 1, 1))
    q = row(frame, D(2024, 1, 1))  # FY2023 Q4 = Jan-Mar
    assert (q.customers_at_start, q.customers_churned, q.joined_and_churned) == (2, 2, 1)


def test_daily_churned_adds_up_to_the_month(accounts_db):
    daily = R.run(accounts_db, "churn", as_of=D(2024, 3, 31), grain="day", start=D(2024, 3, 1))
    monthly = row(R.run(accounts_db, "churn", as_of=D(2024, 3, 31), grain="month", start=D(2024, 3, 1)), D(2024, 3, 1))
    # X4 on Mar 31 and X3 (joined and churned in March, so daily but not monthly)
    assert daily["customers_churned"].sum() == monthly.customers_churned + monthly.joined_and_churned == 2


# MRR history with expansion, contraction, churn, reactivation and a new account (NRR/GRR case).
def mrr_history():
    lines = ["取引先ID,請求月,請求金額"]
    for m in pd.date_range("2023-01-01", "2023-12-01", freq="MS"):
        lines += [f"A,{m:%Y-%m},100", f"B,{m:%Y-%m},200"]
    lines += ["C,2023-01,300", "E,2023-01,50", "C,2023-02,0"]
    lines += ["A,2024-01,150", "B,2024-01,120", "D,2024-01,80", "E,2024-01,70"]
    return "\n".join(lines) + "\n"


def test_mrr_movements_identity_nrr_grr(db, load):
    load("mrr", mrr_history())
    frame = R.run(db, "mrr_movements", as_of=D(2024, 1, 31), from_month=EARLIEST)
    frame = frame.set_index(frame["month"].dt.date)
    jan = frame.loc[D(2024, 1, 1)]
    # start = A 100 + B 200; new D 80; reactivation E 70; expansion A +50; contraction B -80
    assert (jan.start, jan.new, jan.reactivation, jan.expansion, jan.contraction, jan.churn, jan["end"]) == (
        300, 80, 70, 50, 80, 0, 420)
    assert jan.gross_revenue_churn_rate == pytest.approx(80 / 300)
    assert jan.net_revenue_churn_rate == pytest.approx(30 / 300)
    assert jan.quick_ratio == pytest.approx(200 / 80)
    # a year ago: A 100, B 200, C 300, E 50 = 650; now A 150, B 120, C 0, E 70 (D is new: excluded)
    assert jan.nrr_12m == pytest.approx(340 / 650)
    assert jan.grr_12m == pytest.approx((100 + 120 + 0 + 50) / 650)
    assert jan.grr_12m <= 1 and jan.grr_12m <= jan.nrr_12m
    feb = frame.loc[D(2023, 2, 1)]
    assert (feb.start, feb.churn, feb["end"]) == (650, 350, 300)  # C (paid -> 0) and E (missing) churn
    identity = frame.start + frame.new + frame.reactivation + frame.expansion - frame.contraction - frame.churn
    assert (identity == frame["end"]).all()


def test_paid_to_free_is_customer_churn(db, load):
    load("mrr", mrr_history())
    feb = row(R.run(db, "churn", as_of=D(2024, 1, 31), grain="month", start=D(2023, 2, 1)), D(2023, 2, 1))
    assert (feb.customers_at_start, feb.customers_churned) == (4, 2)  # C went to 0, E stopped paying
    jan = row(R.run(db, "churn", as_of=D(2024, 1, 31), grain="month", start=D(2024, 1, 1)), D(2024, 1, 1))
    assert (jan.customers_at_start, jan.customers_churned) == (2, 0)


def test_cohort_triangle(db, load):
    load("mrr", "id,month,mrr\nA,2024-01,100\nA,2024-02,150\nB,2024-01,200\nB,2024-02,0\nC,2024-02,50\n")
    frame = R.run(db, "cohorts", as_of=D(2024, 2, 29), from_month=EARLIEST)
    jan = frame[frame["cohort"] == pd.Timestamp("2024-01-01")].set_index("k")
    assert jan.loc[0, "cohort_logos"] == 2 and jan.loc[0, "cohort_mrr"] == 300
    assert jan.loc[1, "logos_active"] == 1 and jan.loc[1, "logo_retention"] == 0.5
    assert jan.loc[1, "revenue_retention"] == pytest.approx(150 / 300)
    feb = frame[frame["cohort"] == pd.Timestamp("2024-02-01")]
    assert feb["k"].tolist() == [0] and feb["logo_retention"].tolist() == [1.0]


def test_segments_split_churn(accounts_db):
    frame = R.run(accounts_db, "churn", as_of=D(2024, 6, 30), grain="month", start=D(2024, 3, 1), segment_by="plan")
    b = frame[(frame["segment"] == "B") & (frame["period_start"] == pd.Timestamp("2024-03-01"))].iloc[0]
    a = frame[(frame["segment"] == "A") & (frame["period_start"] == pd.Timestamp("2024-03-01"))].iloc[0]
    assert (a.customers_at_start, a.customers_churned) == (1, 0)  # X1
    assert (b.customers_at_start, b.customers_churned) == (2, 1)  # X2, X4
    with pytest.raises(ValueError):
        R.run(accounts_db, "churn", as_of=D(2024, 6, 30), grain="month", start=None, segment_by="name; DROP TABLE accounts")


@pytest.mark.parametrize("value, expected", [(187_300, 190_000), (52_345, 52_000), (80_000, 80_000), (999, 1_000), (7, 7)])
def test_round_figure(db, value, expected):
    # the tier thresholds' rounding, a macro of the database (base_macros.sql)
    assert db.query("SELECT round_figure($v) AS r", {"v": value})["r"][0] == expected


def test_tiers_by_mrr_bracket_and_manual_column(db, load):
    load("accounts", "id,mrr,contract_start,tier\nA,300000,2024-01-01,\nB,100000,2024-01-01,ティア1\n"
                     "C,50000,2024-01-01,\nD,10000,2024-01-01,Tier 2\nE,80000,2024-01-01,\nF,20000,2024-01-01,Ｃ\n")
    as_of = D(2024, 6, 30)
    # percentiles of [10k, 20k, 50k, 80k, 100k, 300k]: p80 = 100k + 0 = 100,000; p50 = 65,000
    rule = R.tier_rule(db, as_of)
    assert rule == {"rule": "mrr", "thresholds": [100_000, 65_000], "auto": True}
    tiered = R.run(db, "accounts", as_of=as_of)
    assert dict(zip(tiered.account_id, tiered.tier, strict=True)) == {
        "A": "Tier1", "B": "Tier1", "C": "Tier3", "D": "Tier3", "E": "Tier2", "F": "Tier3"}
    # the manual rule: the export's label wins (ティア1, Tier 2, full-width Ｃ), brackets for the rest
    S.put(db, "tier_rule", "manual", by=EDITOR)
    S.put(db, "tier_thresholds", [140_000, 80_000], by=EDITOR)
    assert R.tier_rule(db, as_of) == {"rule": "manual", "thresholds": [140_000, 80_000], "fallback": "mrr",
                                      "manual_accounts": 3}
    manual = R.run(db, "accounts", as_of=as_of)
    assert dict(zip(manual.account_id, manual.tier, strict=True)) == {
        "A": "Tier1", "B": "Tier1", "C": "Tier3", "D": "Tier2", "E": "Tier2", "F": "Tier3"}
    summary = R.run(db, "tier_summary", as_of=as_of).set_index("tier")
    assert summary.loc["Tier1", "mrr"] == 400_000 and summary.loc["Tier1", "accounts"] == 2
    assert summary.loc["Tier2", "mrr"] == 90_000 and summary.loc["Tier2", "accounts"] == 2
    assert summary.loc["Tier1", "mrr_share"] == pytest.approx(400 / 560)
    # churn by tier uses the same rule: every tier figure follows the rule in force
    by_tier = R.run(db, "churn", as_of=as_of, grain="month", start=D(2024, 6, 1), segment_by="tier")
    assert by_tier.set_index("segment")["customers_at_start"].to_dict() == {"Tier1": 2, "Tier2": 2, "Tier3": 2}


def test_tier_migration(db, load):
    load("mrr", "id,month,mrr\nA,2024-01,50\nA,2024-06,300\nB,2024-01,300\nB,2024-06,50\nC,2024-01,50\n"
                "C,2024-02,50\nC,2024-03,50\nC,2024-04,50\nC,2024-05,50\nC,2024-06,50\nA,2024-02,50\n"
                "A,2024-03,50\nA,2024-04,50\nA,2024-05,50\nB,2024-02,300\nB,2024-03,300\nB,2024-04,300\n"
                "B,2024-05,300\nD,2024-06,120\n")
    rule = {**R.tier_rule(db, D(2024, 6, 15)), "thresholds": [200.0, 100.0], "auto": False}
    out = R.run(db, "tier_migration", d1=D(2024, 1, 15), as_of=D(2024, 6, 15), tier_rule=rule)
    moves = {(r.tier_from, r.tier_to): (r.accounts, r.mrr_from, r.mrr_to) for r in out.itertuples()}
    assert moves == {("Tier3", "Tier1"): (1, 50, 300), ("Tier1", "Tier3"): (1, 300, 50),
                     ("Tier3", "Tier3"): (1, 50, 50), ("none", "Tier2"): (1, 0, 120)}


HEALTH_CONFIG = {"window_days": 90, "bands": [40, 70], "compare_days": 30, "measures": [
    {"name": "logins", "source": "usage", "weight": 2, "agg": "sum", "higher_is_better": True, "method": "percentile"},
    {"name": "days_since_contact", "source": "touchpoints", "weight": 1, "higher_is_better": False,
     "method": "linear", "floor": 90, "target": 14},
]}


def test_health_score_explained(db, load):
    load("accounts", "id,mrr,contract_start\nA,100,2024-01-01\nB,100,2024-01-01\nC,100,2024-01-01\n")
    # logins in (Apr 2, Jul 1]: A 10, B none (silence), C 30 (10 + 20); the March row is outside
    load("usage", "id,date,logins\nA,2024-06-01,10\nC,2024-05-01,10\nC,2024-06-01,20\nB,2024-03-01,99\n")
    load("touchpoints", "id,date\nA,2024-06-17\nC,2024-05-10\n")
    as_of = D(2024, 7, 1)
    details = R.run(db, "health_details", as_of=as_of, config=HEALTH_CONFIG).set_index(["account_id", "measure"])
    # percentile among [0, 10, 30]: B 0 (no usage), A 50, C 100
    assert details.loc[("A", "logins"), "measure_score"] == 50
    assert details.loc[("B", "logins"), "measure_score"] == 0
    assert details.loc[("C", "logins"), "measure_score"] == 100
    # days since contact: A 14 -> 100; C 52 -> (52-90)/(14-90) = 0.5 -> 50; B never -> 0
    assert details.loc[("A", "days_since_contact"), "raw"] == 14
    assert details.loc[("C", "days_since_contact"), "measure_score"] == pytest.approx(50)
    assert details.loc[("A", "logins"), "contribution"] == pytest.approx(2 * 50 / 3)
    both = R.run(db, "health_scores", as_of=as_of, days=[as_of, D(2024, 6, 1)], config=HEALTH_CONFIG)
    scores = both[both["day"] == pd.Timestamp(as_of)].set_index("account_id")
    assert scores.loc["A", "score"] == pytest.approx((2 * 50 + 100) / 3)
    assert scores.loc["C", "score"] == pytest.approx((2 * 100 + 50) / 3)
    assert scores["band"].to_dict() == {"B": "red", "A": "yellow", "C": "green"}
    # 30 days earlier (Jun 1, window (Mar 3, Jun 1]): logins A 10, C 30, B 0 -> same 50/100/0;
    # contact: A not yet contacted -> 0, so A was (2*50 + 0)/3 and has risen by 100/3
    before = both[both["day"] == pd.Timestamp(D(2024, 6, 1))].set_index("account_id")["score"]
    assert before["A"] == pytest.approx(100 / 3)
    assert scores.loc["A", "score"] - before["A"] == pytest.approx(100 / 3)
    assert before["B"] == 0 and scores.loc["B", "score"] == 0
    # the change the pages show (the account list's, over compare_days = 30) is that same difference
    listed = R.run(db, "accounts", as_of=as_of, config=HEALTH_CONFIG).set_index("account_id")
    assert listed.loc["A", "change"] == pytest.approx(100 / 3)
    assert listed.loc["B", "change"] == 0
    # C: logins 100 both days; contact on May 10 was 22 days old on Jun 1 -> (22-90)/(14-90) = 68/76, now 50
    assert listed.loc["C", "change"] == pytest.approx((50 - 100 * 68 / 76) / 3)


@pytest.mark.parametrize("score, expected", [(39.99, "red"), (40, "yellow"), (69.99, "yellow"), (70, "green"), (None, None)])
def test_bands(score, expected):
    assert band(score) == expected


def test_roc_auc():
    # perfect separation: stayers all score higher -> 1.0; reversed -> 0.0; ties -> 0.5
    assert roc_auc(pd.Series([80, 90, 10, 20]), pd.Series([False, False, True, True])) == 1.0
    assert roc_auc(pd.Series([10, 20, 80, 90]), pd.Series([False, False, True, True])) == 0.0
    assert roc_auc(pd.Series([50, 50]), pd.Series([False, True])) == 0.5


def test_d2c_repeat_purchase(db, load):
    load("orders", "会員ID,注文日,注文金額\nP1,2024-01-05,8000\nP2,2024-01-10,8000\nP2,2024-03-01,6000\n"
                   "P3,2024-02-01,10000\nP3,2024-02-20,10000\nP3,2024-04-01,10000\nP3,2025-06-01,10000\n")
    s = call(db, "d2c_summary", as_of=D(2025, 12, 31), horizon_days=365)
    # P3's 2025-06 order is beyond 365 days from its first order: 6 orders, 52,000 yen in the horizon
    assert (s["customers"], s["orders"], s["revenue"]) == (3, 6, 52_000)
    assert s["aov"] == pytest.approx(52_000 / 6)
    assert s["purchase_counts"] == {"1": 1, "2": 1, "3+": 1}
    assert s["repeat_rate"] == pytest.approx(2 / 3)
    assert s["ltv"] == pytest.approx(52_000 / 3)
    cohorts = R.run(db, "d2c_cohorts", as_of=D(2025, 12, 31), **{"from": EARLIEST})
    jan = cohorts[cohorts["cohort"] == pd.Timestamp("2024-01-01")].set_index("k")
    assert jan.loc[0, "cumulative_revenue_per_customer"] == 8_000  # (8,000 + 8,000) / 2
    assert jan.loc[2, "cumulative_revenue_per_customer"] == 11_000  # + 6,000 in March / 2
    # February had no January-cohort orders: the total carries forward; every month to Dec 2025 is there
    assert jan.loc[1, "cumulative_revenue_per_customer"] == 8_000 and jan.index.max() == 23


# Support tickets (問い合わせ件数), lower is better, kept for a few accounts only; logins for most. The window
# to Jul 1 is (Apr 2, Jul 1]; a blank cell is no value (no row), a 0 is a value.
SPARSE_USAGE = """id,date,logins,問い合わせ件数
A,2024-05-01,10,1
A,2024-06-01,,3
B,2024-06-01,30,1
C,2024-06-01,20,
D,2024-06-01,40,
E,2024-03-01,50,
F,2024-06-01,,2
"""


def sparse_config(higher: bool) -> dict:
    return {"window_days": 90, "bands": [40, 70], "compare_days": 30, "measures": [
        {"name": "logins", "source": "usage", "weight": 2, "agg": "sum", "higher_is_better": True, "method": "percentile"},
        {"name": "問い合わせ件数", "source": "usage", "weight": 1, "agg": "sum", "higher_is_better": higher,
         "method": "percentile"}]}


@pytest.fixture
def sparse_db(db, load):
    load("accounts", "id,mrr,contract_start\n" + "".join(f"{a},100,2024-01-01\n" for a in "ABCDEF"))
    load("usage", SPARSE_USAGE)
    return db


def test_a_sparse_lower_is_better_measure_leaves_out_the_accounts_without_data(sparse_db):
    """Logins (weight 2, higher is better) in the window: A 10, B 30, C 20, D 40; E's only row is in March and
    F has tickets but no logins: both are silent (no value of a higher-is-better measure) and score 0 on
    logins. Percentile among the 6: E, F tie at the bottom (0), A 2/5 = 40, C 3/5 = 60, B 4/5 = 80, D 100.
    Tickets (weight 1, lower is better): A 4, B 1, F 2; C, D and E have none: no data, left out (weight 0)
    and not ranked. Among the 3: A 0, F 50, B 100.
    A (2*40 + 0)/3 = 26.67 red; B (2*80 + 100)/3 = 86.67 green; C 2*60/2 = 60 yellow; D 100 green;
    E 0 red; F (2*0 + 50)/3 = 16.67 red. C, D and E score as on logins alone."""
    as_of = D(2024, 7, 1)
    config = sparse_config(higher=False)
    details = R.run(sparse_db, "health_details", as_of=as_of, config=config).set_index(["account_id", "measure"])
    tickets = details.xs("問い合わせ件数", level="measure")
    assert tickets["measure_score"].dropna().to_dict() == {"A": 0, "B": 100, "F": 50}
    assert tickets["raw"].dropna().to_dict() == {"A": 4, "B": 1, "F": 2}
    for account in "CDE":  # listed, with no value, no score and weight 0
        row = tickets.loc[account]
        assert pd.isna(row["raw"]) and pd.isna(row["measure_score"]) and pd.isna(row["contribution"])
        assert row["weight"] == 0
    logins = details.xs("logins", level="measure")
    assert logins["measure_score"].to_dict() == pytest.approx({"A": 40, "B": 80, "C": 60, "D": 100, "E": 0, "F": 0})
    assert logins["weight"].tolist() == [2] * 6
    assert details.loc[("C", "logins"), "contribution"] == pytest.approx(60)  # 2 * 60 / 2: renormalised
    scores = scores_on(sparse_db, as_of, config).set_index("account_id")
    assert scores["score"].to_dict() == pytest.approx(
        {"A": 80 / 3, "B": 260 / 3, "C": 60, "D": 100, "E": 0, "F": 50 / 3})
    assert scores["band"].to_dict() == {"A": "red", "B": "green", "C": "yellow", "D": "green", "E": "red", "F": "red"}
    alone = {**config, "measures": config["measures"][:1]}
    by_logins = scores_on(sparse_db, as_of, alone).set_index("account_id")["score"]
    assert scores.loc[["C", "D", "E"], "score"].tolist() == pytest.approx(by_logins[["C", "D", "E"]].tolist())
    # the account list's weakest measure is one with data: C's is logins, not the tickets it has none of
    accounts = R.run(sparse_db, "accounts", as_of=as_of, config=config).set_index("account_id")
    assert accounts.loc["C", "reason_measure"] == "logins" and accounts.loc["C", "usage_measure"] == "logins"


def test_a_sparse_higher_is_better_measure_gets_the_same_treatment(sparse_db):
    """The same column read as higher is better (say API calls). An account with a value of either measure
    in the window is not silent: a measure it has no value of is no data, left out. C and D have logins but
    no calls: calls left out; F has calls but no logins: logins left out. E alone is silent: 0 on both.
    Logins among A, B, C, D, E: E 0, A 1/4 = 25, C 50, B 75, D 100. Calls among A 4, B 1, F 2 and the
    silent E at 0: E 0, B 1/3, F 2/3, A 1.
    A (2*25 + 100)/3 = 50; B (2*75 + 33.3)/3 = 61.1; C 50 (logins alone); D 100; E 0; F 66.7 (calls alone)."""
    as_of = D(2024, 7, 1)
    config = sparse_config(higher=True)
    details = R.run(sparse_db, "health_details", as_of=as_of, config=config).set_index(["account_id", "measure"])
    calls = details.xs("問い合わせ件数", level="measure")
    assert calls["measure_score"].dropna().to_dict() == pytest.approx({"A": 100, "B": 100 / 3, "E": 0, "F": 200 / 3})
    assert calls.loc[["C", "D"], "weight"].tolist() == [0, 0] and calls.loc[["C", "D"], "measure_score"].isna().all()
    assert calls.loc["E", "raw"] == 0 and calls.loc["E", "weight"] == 1  # silence is a risk, not a gap
    logins = details.xs("logins", level="measure")
    assert logins["measure_score"].dropna().to_dict() == pytest.approx({"A": 25, "B": 75, "C": 50, "D": 100, "E": 0})
    assert logins.loc["F", "weight"] == 0 and pd.isna(logins.loc["F", "measure_score"])
    scores = scores_on(sparse_db, as_of, config).set_index("account_id")["score"]
    assert scores.to_dict() == pytest.approx(
        {"A": 50, "B": (150 + 100 / 3) / 3, "C": 50, "D": 100, "E": 0, "F": 200 / 3})


def test_an_account_with_no_measure_with_data_has_no_score(sparse_db):
    """Tickets alone (lower is better): C, D and E have none of them: no score and no band, and no row of
    the validation; A, B and F are scored 0, 100 and 50."""
    as_of = D(2024, 7, 1)
    config = sparse_config(higher=False)
    config = {**config, "measures": config["measures"][1:]}
    scores = scores_on(sparse_db, as_of, config).set_index("account_id")
    assert scores["score"].dropna().to_dict() == {"A": 0, "B": 100, "F": 50}
    assert scores.loc[["C", "D", "E"], "score"].isna().all() and scores.loc[["C", "D", "E"], "band"].isna().all()
    accounts = R.run(sparse_db, "accounts", as_of=as_of, config=config).set_index("account_id")
    assert accounts.loc["C", ["score", "band", "reason_measure"]].isna().all()


def test_the_explanation_says_no_data_in_both_languages(sparse_db):
    """C has no tickets: listed with "no data" in words, no score and weight 0, in Japanese and English."""
    from dashboard import figures, views

    rows = R.run(sparse_db, "account_health", as_of=D(2024, 7, 1), account_id="C", config=sparse_config(higher=False))
    for lang, words in (("ja", "データなし（スコアに含めず）"), ("en", "No data (left out of the score)")):
        table = views.explanation(rows, lang).set_index("measure")
        assert table.loc["問い合わせ件数", "value"] == words and table.loc["問い合わせ件数", "weight"] == 0
        assert pd.isna(table.loc["問い合わせ件数", "measure_score"])
        assert table.loc["ログイン数" if lang == "ja" else "Logins", "value"] == "20"
        assert views.no_data_measures(rows, lang) == "問い合わせ件数"
        bar = figures.contributions(views.localize_measures(rows, "measure", lang), "C", lang).data[0]
        assert list(bar.text) == ["60.0", words] and list(bar.x) == [60, 0]
        assert "nan" not in " ".join(bar.hovertext).lower() and words in bar.hovertext[1]


# Five accounts, one validation day (Aug 1; window (May 3, Aug 1]): logins and page views, one row each.
# P and R leave on Sep 15, within the 90 days after it.
PLANTED = """id,date,logins,page_views
P,2024-07-05,1,4
Q,2024-07-05,2,5
R,2024-07-05,3,2
S,2024-07-05,4,3
T,2024-07-05,5,1
"""


def test_suggested_weights_that_validate_worse_are_not_offered(db, load):
    """Percentiles among the 5: logins P 0, Q 25, R 50, S 75, T 100; page views P 75, Q 100, R 25, S 50, T 0.
    Churned: P and R. Logins AUC: of the 6 (stayer, churner) pairs only (Q, R) is out of order -> 5/6; page
    views: (Q, P), (Q, R), (S, R) in order -> 3/6 = 0.5. Suggested: logins 3, page views 0 (no better than
    chance). In force (1, 1): P 37.5 red, R 37.5 red, Q 62.5, S 62.5, T 50 yellow: red = P, R, both churned
    (1.0); every stayer above every churner: AUC 1. Suggested: the logins percentile: P 0 and Q 25 red
    (1 churned of 2: 0.5), R 50 yellow, S 75 and T 100 green; AUC 5/6. Worse on both: not offered."""
    load("accounts", "id,mrr,contract_start,churn_date\n" + "".join(
        f"{a},100,2024-01-01,{'2024-09-15' if a in 'PR' else ''}\n" for a in "PQRST"))
    load("usage", PLANTED)
    config = {"window_days": 90, "bands": [40, 70], "compare_days": 30, "measures": [
        {"name": n, "source": "usage", "weight": 1.0, "agg": "sum", "higher_is_better": True, "method": "percentile",
         "floor": 0.0, "target": None} for n in ("logins", "page_views")]}
    check = validation.health_validation(db, D(2024, 12, 31), config, months_back=1)
    assert dict(zip(check["auc"]["measure"], check["auc"]["auc"], strict=True)) == pytest.approx(
        {"logins": 5 / 6, "page_views": 0.5})
    assert dict(zip(check["suggested"]["measure"], check["suggested"]["suggested"], strict=True)) == {
        "logins": 3.0, "page_views": 0.0}
    preview = check["preview"]
    assert (preview["auc_now"], preview["auc_suggested"]) == pytest.approx((1.0, 5 / 6))
    assert preview["bands"].to_dict("records") == [
        {"band": "red", "accounts_now": 2, "churn_rate_now": 1.0, "accounts_suggested": 2, "churn_rate_suggested": 0.5},
        {"band": "yellow", "accounts_now": 3, "churn_rate_now": 0.0, "accounts_suggested": 1, "churn_rate_suggested": 1.0},
        {"band": "green", "accounts_now": 0, "churn_rate_now": pytest.approx(float("nan"), nan_ok=True),
         "accounts_suggested": 2, "churn_rate_suggested": 0.0}]
    assert check["offered"] is False
    assert check["score_auc"] == pytest.approx(1.0)


def test_suggested_weights_that_validate_better_are_offered_with_their_preview(db, load):
    """20 accounts since 2023; the 10 with few logins leave on 2024-06-15; every account has the same page
    views (tied: 0). Validation days: the 1st of March to August (100 account-days, 30 churned: the low 10
    on Apr 1, May 1, Jun 1). Logins score 52.6 (rank 11 of 20: 10/19) for the high 10 while all 20 are
    active (Mar-Jun), else 0. In force (1, 1): scores 26.3 or 0, all red: 100 rows, 30 churned (0.3); score
    AUC: 40 stayers at 26.3 above the 30 churners at 0, 30 stayers tied with them -> (40 + 30/2) / 70 = 11/14.
    Suggested: logins 3, page views 0: scores 52.6 (yellow, 40 rows, none churned) or 0 (red: 60 rows, 30
    churned, 0.5); the same order, AUC 11/14. The red band warns better and the AUC holds: offered."""
    accounts, usage = ["id,mrr,contract_start,churn_date"], ["id,date,logins,page_views"]
    for i in range(20):
        churns = i < 10
        accounts.append(f"X{i:02d},10000,2023-01-01,{'2024-06-15' if churns else ''}")
        usage += [f"X{i:02d},2024-{m:02d}-05,{1 if churns else 10},20" for m in range(1, 13) if not (churns and m >= 7)]
    load("accounts", "\n".join(accounts) + "\n")
    load("usage", "\n".join(usage) + "\n")
    config = {"window_days": 90, "bands": [40, 70], "compare_days": 30, "measures": [
        {"name": n, "source": "usage", "weight": 1.0, "agg": "sum", "higher_is_better": True, "method": "percentile",
         "floor": 0.0, "target": None} for n in ("logins", "page_views")]}
    check = validation.health_validation(db, D(2024, 12, 31), config)
    preview = check["preview"]
    assert (preview["auc_now"], preview["auc_suggested"]) == pytest.approx((11 / 14, 11 / 14))
    bands = preview["bands"].set_index("band")
    assert bands.loc["red"].tolist() == [100, 0.3, 60, 0.5]
    assert bands.loc["yellow", ["accounts_now", "accounts_suggested", "churn_rate_suggested"]].tolist() == [0, 40, 0.0]
    assert check["offered"] is True


@pytest.fixture
def demo_db(demo_file, tmp_path):
    import shutil

    from dashboard.db import Database

    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_file, path)
    return Database(path)


def test_the_preview_is_the_validation_of_each_set_of_weights_and_the_demo_is_not_offered_worse(demo_db):
    """The preview's figures are the validation results computed under each configuration (and the score's
    AUC is tests/oracles.roc_auc of the scores summed from the validation rows). On the demo the suggestion
    (page views 3, logins 2, active users 2, contact 1) would lower the red band's churn (22 of 477 -> 20 of
    516) and the AUC: it is not offered, and only offered where it validates better."""
    as_of = D(2026, 10, 31)
    check = validation.health_validation(demo_db, as_of)
    config = R.health_config(demo_db)
    proposal = suggested_config(config, check["suggested"])
    assert proposal is not None
    days = validation_days(as_of)
    for conf, when in ((config, "now"), (proposal, "suggested")):
        bands = R.run(demo_db, "health_validation_bands", as_of=as_of, days=days, config=conf).set_index("band")
        got = check["preview"]["bands"].set_index("band")
        assert got[f"accounts_{when}"].to_dict() == bands["accounts"].to_dict()
        assert got[f"churn_rate_{when}"].to_dict() == bands["churn_rate_90d"].to_dict()
        auc = R.run(demo_db, "health_validation_score_auc", as_of=as_of, days=days, config=conf)["auc"].iloc[0]
        assert check["preview"][f"auc_{when}"] == auc
        rows = R.run(demo_db, "health_validation", as_of=as_of, days=days, config=conf)
        per_account = rows.groupby(["day", "account_id"]).agg(score=("contribution", "sum"), churned=("churned", "first"))
        assert auc == pytest.approx(roc_auc(per_account["score"].round(9), per_account["churned"]), abs=1e-12)
    red = check["preview"]["bands"].set_index("band").loc["red"]
    assert (red["accounts_now"], red["accounts_suggested"]) == (477, 516)
    assert red["churn_rate_now"] == 22 / 477 and red["churn_rate_suggested"] == 20 / 516
    assert check["preview"]["auc_suggested"] < check["preview"]["auc_now"]
    assert check["offered"] is validation.validates_better(check["preview"]) is False
