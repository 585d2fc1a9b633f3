"""CS operations on hand-built data: the call list with reasons and next actions, renewals, contact
coverage, upsell. Every expected figure is worked out in the comments from the rows below."""

import datetime as dt
import io

import pandas as pd
import pytest

from dashboard import actions, export, report, views
from dashboard import settings as S
from dashboard.auth import LOCAL_USER as EDITOR
from dashboard.results import Scope, run
from dashboard.views import caller

AS_OF = dt.date(2024, 10, 15)  # Q4 (calendar) started on Oct 1

# A  Tier1 (500k), renews 2025-01-12 = as_of + 89 days, last contact Sep 20 (previous quarter)
# B  Tier1 (400k), renews 2025-01-14 = as_of + 91 days, contacted Oct 2
# F  Tier2 (100k), no renewal date, no contact since April
# D  Tier3 (10k), a customer since Sep 1 (44 days), no usage, never contacted
# C  churned 2024-08-01 after a silent half year (last contact 2023-12-01)
# E  churned 2024-05-01, two contacts in the 180 days before
ACCOUNTS = """取引先ID,会社名,MRR,契約開始日,解約日,更新日,担当者
A,=HYPERLINK("http://x"),500000,2023-01-01,,2025-01-12,田中
B,ベータ株式会社,400000,2023-01-01,,2025-01-14,佐藤
F,エフ商事,100000,2023-06-01,,,佐藤
D,ディー合同会社,10000,2024-09-01,,2025-09-01,田中
C,シー工業,60000,2023-01-01,2024-08-01,,田中
E,イー物産,20000,2023-01-01,2024-05-01,,佐藤
"""
# page views in the 90 days to Oct 15: B 100, F 50, A 5, D none. On the comparison day (Sep 15) only
# B and F had used the product: A scored 0 then.
USAGE = "取引先ID,日付,表示数\nB,2024-10-01,100\nF,2024-10-01,50\nA,2024-10-10,5\nB,2024-09-01,80\nF,2024-09-01,40\n"
TOUCH = ("取引先ID,接触日,対応種別\nA,2024-09-20,電話\nB,2024-10-02,定例MTG\nF,2024-04-01,メール\n"
         "C,2023-12-01,メール\nE,2024-01-10,電話\nE,2024-03-01,電話\nE,2023-09-01,電話\n")
# August: A wins an upsell, F a cross-sell, B loses one. B has a deal open; one created after as_of.
OPPS = ("取引先ID,商談金額,商談種別,フェーズ,作成日,完了日\n"
        "A,300000,アップセル,受注,2024-07-01,2024-08-10\n"
        "F,50000,クロスセル,受注,2024-07-15,2024-08-20\n"
        "B,120000,アップセル,失注,2024-07-01,2024-08-20\n"
        "B,200000,アップセル,商談中,2024-09-01,\n"
        "A,999000,アップセル,商談中,2024-11-01,\n")
HEALTH = {"window_days": 90, "bands": [40, 70], "compare_days": 30, "measures": [
    {"name": "page_views", "source": "usage", "weight": 1.0, "agg": "sum", "higher_is_better": True,
     "method": "percentile", "floor": 0.0, "target": None}]}


@pytest.fixture
def ops(db, load):
    load("accounts", ACCOUNTS)
    load("usage", USAGE)
    load("touchpoints", TOUCH)
    load("opportunities", OPPS)
    S.put(db, "tier_thresholds", [300000, 50000], by=EDITOR)
    S.put(db, "health", HEALTH, by=EDITOR)
    return db


def test_account_list_carries_contact_deals_and_weakest_usage(ops):
    a = run(ops, "accounts", as_of=AS_OF).set_index("account_id")
    assert sorted(a.index) == ["A", "B", "D", "F"]
    # percentile among the 4 active accounts: D 0 (no usage), A 1/3, F 2/3, B 1
    assert a.loc["A", "score"] == pytest.approx(100 / 3) and a.loc["D", "score"] == 0
    assert list(a.loc[["A", "B", "F", "D"], "band"]) == ["red", "green", "yellow", "red"]
    assert a.loc["A", "days_since_contact"] == 25 and pd.isna(a.loc["D", "days_since_contact"])
    assert a.loc["F", "days_since_contact"] == 197
    assert (a.loc["B", "open_deals"], a.loc["B", "open_amount"]) == (1, 200000)  # the November deal is not yet open
    assert a.loc["A", "open_deals"] == 0
    assert (a.loc["A", "usage_measure"], a.loc["A", "usage_value"]) == ("page_views", 5)


def test_call_list_reasons_and_next_actions(ops):
    q = caller(ops)
    calls = views.at_risk_actions(q, AS_OF, "ja").set_index("account_id")
    # red only, largest MRR first: A (500k) then D (10k)
    assert list(calls.index) == ["A", "D"]
    # A: Tier1, red, renewal in 89 days -> executive contact; its only reason is the renewal
    assert calls.loc["A", "reasons"] == ["更新まで89日"]
    assert calls.loc["A", "next_action"] == "役員から連絡（更新前のエグゼクティブ面談）"
    # D: new (44 days) with no usage -> onboarding, although it is Tier3 (the onboarding rule comes first)
    assert calls.loc["D", "reasons"] == ["表示数 90日で0", "接触記録なし"]
    assert calls.loc["D", "next_action"] == "オンボーディング支援（初期設定と活用の伴走）"
    en = views.at_risk_actions(q, AS_OF, "en", bands=("red", "yellow")).set_index("account_id")
    # F (yellow, 2/3 percentile): 197 days without contact -> check-in call
    assert en.loc["F", "reasons"] == ["197 days since the last contact"]
    assert en.loc["F", "next_action"] == "Check-in call"
    # renewal window: only A renews within 90 days
    assert list(views.at_risk_actions(q, AS_OF, "ja", bands=("red", "yellow", "green"), within_days=90)
                ["account_id"]) == ["A"]


def test_edited_rules_change_the_action_and_bad_rules_are_refused(ops):
    rules = [{"tiers": "Tier3", "action_ja": "メール", "action_en": "Mail"}, {"action_ja": "電話"}]
    S.put(ops, "action_rules", actions.clean_rules(rules), by=EDITOR)
    calls = views.at_risk_actions(caller(ops), AS_OF, "en").set_index("account_id")
    assert calls.loc["D", "next_action"] == "Mail"
    assert calls.loc["A", "next_action"] == "電話"  # only Japanese given: used for both languages
    with pytest.raises(actions.RuleError, match="Rule 1: .Tiers. must be among Tier1, Tier2, Tier3 .got Tier4"):
        actions.clean_rules([{"tiers": "Tier4", "action_ja": "x"}])
    with pytest.raises(actions.RuleError, match="Rule 1: .Renewal within .days.. must be 0 or more"):
        actions.clean_rules([{"max_days_to_renewal": -1, "action_ja": "x"}])


def test_call_list_csv_round_trips_in_japanese_excel_encodings(ops):
    frame = views.at_risk_download(views.at_risk_actions(caller(ops), AS_OF, "ja"))
    for encoding in ("utf-8-sig", "cp932"):
        data = export.to_csv_bytes(frame, encoding)
        back = pd.read_csv(io.BytesIO(data), encoding=encoding, dtype=str, keep_default_na=False)
        assert list(back["name"]) == ["'=HYPERLINK(\"http://x\")", "ディー合同会社"]
        assert back.loc[1, "reasons"] == "表示数 90日で0 / 接触記録なし"
        assert back.loc[0, "next_action"] == "役員から連絡（更新前のエグゼクティブ面談）"
    assert export.to_csv_bytes(frame).startswith(b"\xef\xbb\xbf")


def test_renewals_89_days_in_91_days_out(ops):
    q = caller(ops)
    assert views.renewal_windows(q, AS_OF) == {30: {"accounts": 0, "mrr": 0}, 60: {"accounts": 0, "mrr": 0},
                                              90: {"accounts": 1, "mrr": 500000}}
    by_band = run(ops, "renewals_summary", as_of=AS_OF)
    assert by_band[(by_band["within_days"] == 90) & (by_band["band"] == "red")]["mrr"].iloc[0] == 500000
    owners = run(ops, "renewals_by_owner", as_of=AS_OF)
    assert owners.to_dict("records") == [{"owner": "田中", "due_30_accounts": 0, "due_30_mrr": 0,
                                          "due_60_accounts": 0, "due_60_mrr": 0, "due_90_accounts": 1,
                                          "due_90_mrr": 500000}]
    handoff = run(ops, "renewals_due", as_of=AS_OF, within_days=90)
    assert list(handoff["account_id"]) == ["A"] and handoff["last_contact"].iloc[0] == pd.Timestamp("2024-09-20")


def test_contact_coverage(ops):
    q = caller(ops)
    # Tier1 without a contact since Oct 1: A (Sep 20); B was contacted Oct 2
    assert list(run(ops, "key_accounts_uncontacted", as_of=AS_OF)["account_id"]) == ["A"]
    # churned in the 12 months to as_of: C (Aug 1; nothing in [2024-02-03, 2024-08-01)) and E (May 1; Jan 10 and
    # Mar 1 in [2023-11-03, 2024-05-01), not Sep 2023) -> (0 + 2) / 2. Retained: active through
    # (2024-04-18, 2024-10-15]: A (Sep 20), B (Oct 2), F (Apr 1 is before) -> 2 / 3; D is too new.
    c = views.contacts_180d(q, AS_OF)
    assert c["churned"] == {"accounts": 2, "mean": 1.0}
    assert c["retained"]["accounts"] == 3 and c["retained"]["mean"] == pytest.approx(2 / 3)
    # per owner, contacted in the last 90 days (since Jul 18): 田中 A yes, D no -> 1/2; 佐藤 B yes, F no -> 1/2
    cov = run(ops, "coverage_by_owner", as_of=AS_OF).set_index("owner")
    assert cov.loc["田中", ["active_accounts", "contacted_90d"]].tolist() == [2, 1]
    assert cov.loc["佐藤", "coverage"] == 0.5


def test_upsell_pipeline_and_rates(ops):
    pipe = run(ops, "pipeline", as_of=AS_OF)
    assert pipe[["tier", "owner", "stage", "kind", "open_amount", "open_count"]].to_dict("records") == [
        {"tier": "Tier1", "owner": "佐藤", "stage": "商談中", "kind": "upsell", "open_amount": 200000, "open_count": 1}]
    won = run(ops, "won_by_month", as_of=AS_OF, from_month=dt.date(2024, 8, 1))
    aug = won[won["month"] == pd.Timestamp("2024-08-01")].set_index("kind")
    assert aug.loc["upsell", "won_amount"] == 300000 and aug.loc["cross_sell", "won_amount"] == 50000
    assert won[won["month"] == pd.Timestamp("2024-09-01")]["won_count"].sum() == 0
    # August, accounts active on Jul 31: Tier1 A, B (A won an upsell, B lost one) -> 1/2;
    # Tier2 F, C (F won a cross-sell) -> 1/2; E had churned, D not yet a customer
    rates = run(ops, "upsell_rates", as_of=AS_OF, grain="month", start=dt.date(2024, 8, 1))
    aug = rates[rates["period_start"] == pd.Timestamp("2024-08-01")].set_index("tier")
    assert aug.loc["Tier1", ["accounts_at_start", "upsell_accounts", "upsell_rate"]].tolist() == [2, 1, 0.5]
    assert aug.loc["Tier2", ["accounts_at_start", "cross_sell_accounts", "cross_sell_rate"]].tolist() == [2, 1, 0.5]
    assert aug.loc["Tier1", "cross_sell_rate"] == 0 and pd.isna(aug.loc["Tier3", "upsell_rate"])


def test_filters_apply_to_operations(ops):
    scope = Scope.of(owner=["佐藤"])
    assert list(run(ops, "coverage_by_owner", scope, as_of=AS_OF)["owner"]) == ["佐藤"]
    assert run(ops, "renewals_by_owner", scope, as_of=AS_OF).empty
    assert views.at_risk_actions(caller(ops, scope), AS_OF, "ja").empty


def test_report_sections(ops):
    out = report.build(ops, as_of=AS_OF)
    assert [r["account_id"] for r in out["at_risk"]] == ["A", "D"]
    assert out["at_risk"][0]["reasons"] == ["更新まで89日"] or out["at_risk"][0]["reasons"] == ["Renewal in 89 days"]
    assert set(out["at_risk"][0]) == {"account_id", "name", "tier", "owner", "mrr", "score", "band", "score_change",
                                      "renewal_date", "days_to_renewal", "days_since_contact", "reasons",
                                      "next_action"}
    assert out["renewals"]["due"] == {"30": {"accounts": 0, "mrr": 0}, "60": {"accounts": 0, "mrr": 0},
                                      "90": {"accounts": 1, "mrr": 500000}}
    assert out["renewals"]["by_owner"] == [{"owner": "田中", "due_90_accounts": 1, "due_90_mrr": 500000}]
    assert out["coverage"]["key_accounts_without_contact"] == ["A"]
    assert out["coverage"]["contacts_180d"]["churned"] == 1.0
    assert {"account_id": "D", "days": None} in out["coverage"]["days_since_contact"]
    assert out["upsell"]["pipeline"][0] == {"tier": "Tier1", "open_amount": 200000, "open_count": 1}


def test_cli_export_at_risk_writes_the_call_list(ops, tmp_path, monkeypatch, capsys):
    from dashboard import cli

    monkeypatch.setenv("DASHBOARD_LANG", "ja")
    out = tmp_path / "calls.csv"
    assert cli.main(["--db", str(ops.path), "export", "at-risk", "--out", str(out), "--as-of", "2024-10-15",
                     "--encoding", "cp932"]) == 0
    back = pd.read_csv(out, encoding="cp932", dtype=str, keep_default_na=False)
    assert list(back.columns) == ["account_id", "name", "tier", "owner", "mrr", "score", "band", "change",
                                  "renewal_date", "days_to_renewal", "days_since_contact", "reasons", "next_action",
                                  "work_status", "task", "due", "snoozed_until", "last_note"]  # the work, none yet
    assert list(back["account_id"]) == ["A", "D"]
    assert back.loc[1, "next_action"] == "オンボーディング支援（初期設定と活用の伴走）"


def test_planted_predictor_gets_the_higher_auc_and_the_weight(db, load):
    """20 accounts since 2023; the 10 with few logins churn on 2024-06-15; everyone has the same page views.
    Validation days: the 1st of March to August. Logins score 0 for the 10 low accounts and 52.6 for the
    others while all 20 are active (Mar-Jun); in Jul and Aug the 10 left all tie at 0. Churned within 90
    days: the low 10 on Apr 1, May 1, Jun 1 (30 rows, score 0). Stayed: 70 rows, 40 scoring 52.6 and 30
    tied at 0 (the low 10 on Mar 1, the rest in Jul and Aug) -> AUC = (40 + 30 / 2) / 70 = 11/14.
    Page views tie everywhere -> 0.5."""
    from dashboard import validation
    from dashboard.results.health_weights import with_weights

    accounts = ["id,mrr,contract_start,churn_date"]
    usage = ["id,date,logins,page_views"]
    for i in range(20):
        churns = i < 10
        accounts.append(f"X{i:02d},10000,2023-01-01,{'2024-06-15' if churns else ''}")
        for month in range(1, 13):
            day = f"2024-{month:02d}-05"
            if churns and month >= 7:
                continue
            usage.append(f"X{i:02d},{day},{1 if churns else 10},20")
    load("accounts", "\n".join(accounts) + "\n")
    load("usage", "\n".join(usage) + "\n")
    config = {"window_days": 90, "bands": [40, 70], "compare_days": 30, "measures": [
        {"name": n, "source": "usage", "weight": 1.0, "agg": "sum", "higher_is_better": True, "method": "percentile",
         "floor": 0.0, "target": None} for n in ("logins", "page_views")]}
    S.put(db, "health", config, by=EDITOR)
    check = validation.health_validation(db, dt.date(2024, 12, 31))
    auc = dict(zip(check["auc"]["measure"], check["auc"]["auc"], strict=True))
    assert auc["logins"] == pytest.approx(11 / 14) and auc["page_views"] == pytest.approx(0.5)
    suggested = dict(zip(check["suggested"]["measure"], check["suggested"]["suggested"], strict=True))
    assert suggested == {"logins": 3.0, "page_views": 0.0}
    # accepted: page views switched off, logins weighs 3. Before, every score was below 40 (26.3 or 0): one red
    # band with all 100 rows and the 30 churns
    S.put(db, "health", with_weights(config, suggested), by=EDITOR)
    weights = {m["name"]: m["weight"] for m in S.get(db, "health")["measures"]}
    assert weights == {"logins": 3.0, "page_views": 0.0}
    bands = check["bands"].set_index("band")
    assert bands.to_dict("index") == {"red": {"accounts": 100, "churned": 30, "churn_rate_90d": 0.3}}


def test_measures_added_in_the_editor_get_their_source_and_defaults():
    from dashboard.results.health_weights import measures_from_rows

    rows = [{"name": "logins", "weight": 2.0, "method": None, "agg": None, "higher_is_better": None,
             "floor": None, "target": None},
            {"name": "days_since_contact", "weight": None, "method": None, "agg": None, "higher_is_better": None,
             "floor": None, "target": None},
            {"name": "logins", "weight": 9.0}]
    out = measures_from_rows(rows)
    assert out == [
        {"name": "logins", "source": "usage", "weight": 2.0, "method": "percentile", "agg": "sum",
         "higher_is_better": True, "floor": 0.0, "target": None},
        {"name": "days_since_contact", "source": "touchpoints", "weight": 1.0, "method": "linear", "agg": "last",
         "higher_is_better": False, "floor": 90.0, "target": 14.0}]


def test_score_history_and_band_trend_share_the_month_end_scores(ops):
    from dashboard.periods import month_ends

    days = month_ends(dt.date(2024, 8, 1), AS_OF)  # Aug 31, Sep 30, Oct 15
    scores = run(ops, "health_scores", as_of=AS_OF, days=days)
    a = scores[scores["account_id"] == "A"].set_index("day")["score"]
    # A's only page views are on Oct 10: 0 at the end of August and September, 1/3 percentile on Oct 15
    assert list(a.round(6)) == [0.0, 0.0, round(100 / 3, 6)]
    trend = run(ops, "band_history", as_of=AS_OF, days=days)
    oct15 = trend[trend["as_of"] == pd.Timestamp(AS_OF)].set_index("band")["accounts"].to_dict()
    assert oct15 == {"red": 2, "yellow": 1, "green": 1}


def test_renewal_rate_from_anniversaries_and_churn_dates(db, load):
    # Q1 2024 anniversaries: P (Jan 10, renewed), Q (Feb 1; churned Jan 20, in the month before -> not renewed),
    # R (Mar 5; churned 2023-09-01, mid-term -> not due), S (started 2023-04-01: anniversary in Q2).
    load("accounts", "id,mrr,contract_start,churn_date\nP,100,2023-01-10,\nQ,100,2023-02-01,2024-01-20\n"
                     "R,100,2023-03-05,2023-09-01\nS,100,2023-04-01,\n")
    S.put(db, "tier_thresholds", [1000, 500], by=EDITOR)  # all Tier3
    rates = run(db, "renewal_rates", as_of=dt.date(2024, 6, 30), grain="quarter", start=dt.date(2024, 1, 1))
    t3 = rates[rates["tier"] == "Tier3"].set_index("period_start")
    assert t3.loc["2024-01-01", ["renewals_due", "renewed", "renewal_rate"]].tolist() == [2, 1, 0.5]
    assert t3.loc["2024-04-01", ["renewals_due", "renewed", "renewal_rate"]].tolist() == [1, 1, 1.0]


def test_d2c_channels_by_first_order(db, load):
    # M1 first buys on the web, then in the store (still a web customer); M2 web once; M3 store once
    load("orders", "customer_id,order_date,amount,channel\nM1,2024-01-05,1000,web\nM1,2024-03-01,2000,store\n"
                   "M2,2024-02-01,500,web\nM3,2024-02-10,3000,store\n")
    ch = run(db, "d2c_channels", as_of=dt.date(2024, 12, 31), horizon_days=365).set_index("channel")
    assert ch.loc["web", ["customers", "orders", "revenue", "repeat_rate", "revenue_per_customer"]].tolist() == [
        2, 3, 3500, 0.5, 1750]
    assert ch.loc["web", "aov"] == pytest.approx(3500 / 3)
    assert ch.loc["store", ["customers", "orders", "revenue", "repeat_rate"]].tolist() == [1, 1, 3000, 0]
    # a 30-day horizon drops M1's second order
    short = run(db, "d2c_channels", as_of=dt.date(2024, 12, 31), horizon_days=30).set_index("channel")
    assert short.loc["web", ["orders", "revenue"]].tolist() == [2, 1500]


def test_settings_changes_record_who_made_them(db):
    from dashboard.auth import User

    S.put(db, "tier_thresholds", [300000, 50000], by=EDITOR)
    S.put(db, "action_rules", None, by=User("tanaka", "editor"))
    log = S.history(db)
    assert [(e["changed_by"], e["key"], e["value"]) for e in log] == [
        ("tanaka", "action_rules", None), (EDITOR.name, "tier_thresholds", [300000, 50000])]


def test_names_with_markup_reach_plotly_as_text():
    from dashboard import figures

    hostile = '<a href="javascript:alert(1)">x</a><b>big</b>'
    owners = pd.DataFrame({"owner": [hostile], "coverage": [0.5], "contacted_90d": [1], "active_accounts": [2]})
    fig = figures.coverage_bars(owners, f"{hostile}（2024/10）", "ja")
    spec = fig.to_plotly_json()
    assert spec["data"][0]["y"][0] == "&lt;a href=\"javascript:alert(1)\"&gt;x&lt;/a&gt;&lt;b&gt;big&lt;/b&gt;"
    title = spec["layout"]["title"]["text"]
    assert "<a " not in title and "&lt;a href" in title and "<br><span" in title  # our own formatting stays


def test_report_tier_thresholds_reach_the_call_list(ops):
    # stored rule: A (500k) is Tier1; with --tier-thresholds 600000,450000 it is Tier2 in every section
    out = report.build(ops, as_of=AS_OF, thresholds=(600000, 450000))
    assert next(r["tier"] for r in out["at_risk"] if r["account_id"] == "A") == "Tier2"
    assert out["coverage"]["key_accounts_without_contact"] == []  # no Tier1 account under this rule


def test_a_rule_error_names_the_rule_and_column_in_the_editors_language():
    with pytest.raises(actions.RuleError) as info:
        actions.clean_rules([{"action_ja": "x"}, {"max_days_to_renewal": "abc", "action_ja": "y"}])
    assert info.value.message("ja") == "ルール2: 「更新まで（日以内）」は数値で入力してください（入力: abc）。"
    assert info.value.message("en") == "Rule 2: 'Renewal within (days)' must be a number (got abc)."
