"""The seeds' worked examples, reproduced exactly."""

import pytest

from dashboard import simulator as S


def test_seed_002_d2c_ltv_cpa_and_cost_per_signup():
    r = S.d2c(8000, {1: 0.7, 2: 0.2, 3.5: 0.1}, gross_margin=0.5, lead_conversion=0.2)
    assert r["purchases_per_customer"] == pytest.approx(1.45)
    assert r["ltv"] == pytest.approx(11_600)
    assert r["allowable_cpa"] == pytest.approx(5_800)
    assert r["allowable_cost_per_lead"] == pytest.approx(1_160)
    # a 2x target return halves what acquisition may cost
    assert S.d2c(8000, {1: 0.7, 2: 0.2, 3.5: 0.1}, 0.5, target_roas=2.0)["allowable_cpa"] == pytest.approx(2_900)


def test_seed_003_cs_rep_roi():
    r = S.cs_roi(1_000_000, 130_000, 0.02, plan_new_mrr=650_000)
    assert r["ltv_created_per_month"] == pytest.approx(6_500_000)
    assert r["roi"] == pytest.approx(6.5)
    assert r["reps_needed"] == pytest.approx(5)


@pytest.mark.parametrize("rate, years", [(0.1, 1.11), (0.3, 1.43), (0.0, 1.0)])
def test_seed_004_renewal(rate, years):
    assert round(S.renewal(1_000_000, rate)["expected_years"], 2) == years


def test_saas_ltv_and_curve():
    r = S.saas(arpa=100_000, monthly_churn=0.05, gross_margin=0.7, cac=700_000)
    assert r["ltv"] == pytest.approx(1_400_000)
    assert r["ltv_to_cac"] == pytest.approx(2.0)
    assert r["cac_payback_months"] == pytest.approx(10)
    # survival 1, 0.9, 0.8 then a 10% tail: 2.7 months + 0.8 * 0.9 / 0.1 = 9.9 months of margin
    assert S.saas_from_curve(1000, [1, 0.9, 0.8], 1.0, tail_churn=0.1) == pytest.approx(9_900)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError):
        S.saas(1000, 0, 0.5)
    with pytest.raises(ValueError):
        S.renewal(1000, 1.0)
    with pytest.raises(ValueError):
        S.d2c(8000, {1: 0}, 0.5)


def test_tornado_and_grid():
    fixed = {"purchases": {1: 0.7, 2: 0.2, 3.5: 0.1}, "lead_conversion": None, "target_roas": 1.0}
    rows = S.tornado(S.d2c, "allowable_cpa", [S.Driver("aov", 8000, 6000, 10000),
                                              S.Driver("gross_margin", 0.5, 0.4, 0.6)], fixed)
    # aov 6,000..10,000 -> CPA 4,350..7,250 (swing 2,900); margin 0.4..0.6 -> 4,640..6,960 (2,320)
    assert [r["driver"] for r in rows] == ["aov", "gross_margin"]
    assert rows[0]["swing"] == pytest.approx(2_900) and rows[1]["swing"] == pytest.approx(2_320)
    table = S.grid(S.d2c, "ltv", ("aov", [8000, 10000]), ("gross_margin", [0.5]), fixed)
    assert table == [[pytest.approx(11_600), pytest.approx(14_500)]]


# -- the simulator page's models and formats (issue 26, items 11 and 13) -----------------------------------
# Two scenarios worked out by hand. "base" is the page's defaults; "bold" changes six drivers.
BASE = dict(S.DRIVER_DEFAULTS) if hasattr(S, "DRIVER_DEFAULTS") else {}
BOLD = {**BASE, "aov": 10_000, "margin": 40, "roas": 2.0, "churn": 5.0, "plan": 1_300_000, "renew": 50}


def test_scenarios_are_kept_in_the_database_and_only_editors_save_them(db):
    from dashboard import auth, scenarios, schema
    from dashboard.auth import LOCAL_USER as EDITOR

    assert "scenarios" in schema.ALL_TABLES  # in backups' checks and the content fingerprint
    version = db.data_version()
    scenarios.save(db, "  強気  ", BOLD, by=EDITOR)
    scenarios.save(db, "base", BASE, by=EDITOR)
    assert db.data_version() == version  # a scenario changes no figure: nothing cached is thrown away
    kept = scenarios.list_all(db)
    assert [s.name for s in kept] == ["強気", "base"] and kept[0].state == BOLD and kept[0].saved_by == EDITOR.name
    viewer = auth.User("exec", "viewer")
    with pytest.raises(auth.NotAllowed):
        scenarios.save(db, "viewer's", BASE, by=viewer)
    with pytest.raises(auth.NotAllowed):
        scenarios.delete(db, "base", by=viewer)
    with pytest.raises(ValueError):
        scenarios.save(db, "   ", BASE, by=EDITOR)
    assert [s.name for s in scenarios.list_all(db)] == ["強気", "base"]
    assert scenarios.delete(db, "base", by=EDITOR) and not scenarios.delete(db, "base", by=EDITOR)
    assert [s.name for s in scenarios.list_all(db)] == ["強気"] and db.data_version() == version


def test_an_older_database_gains_the_scenarios_table(db):
    from dashboard import scenarios
    from dashboard.auth import LOCAL_USER as EDITOR
    from dashboard.db import Database

    def older(con):  # as the version before scenarios left it
        con.execute("DROP TABLE scenarios")
        con.execute("UPDATE meta SET value = 'older' WHERE key = 'schema_hash'")
    db.write(older)
    db.release()
    again = Database(db.path)
    scenarios.save(again, "a", BASE, by=EDITOR)
    assert [s.name for s in scenarios.list_all(again)] == ["a"]


def test_drivers_from_a_link_include_the_plan_and_are_kept_in_range():
    values, adjusted = S.drivers_from({"plan": "800000", "aov": "999999", "churn": "nan", "purchases": "1:-5",
                                       "renew": "40"})
    assert values["plan"] == 800_000 and isinstance(values["plan"], int)
    assert values["aov"] == 50_000 and values["churn"] == 2.0 and values["purchases"] == "1:0.7,2:0.2,3.5:0.1"
    assert values["renew"] == 40 and values["margin"] == 50  # not given: the default
    assert sorted(adjusted) == ["aov", "churn", "purchases"]
    assert S.drivers_from({})[0] == S.DRIVER_DEFAULTS
    assert S.driver_labels(["aov", "churn"], "ja") == "D2C: AOV、SaaS: 月次解約率"


def test_the_share_link_is_the_whole_url():
    params = [("lang", "ja"), ("sim_purchases", "1:0.7,2:0.2"), ("owner", "田中")]
    assert S.share_link("http://cs.example.jp:8501/simulator", "simulator", params) == (
        "http://cs.example.jp:8501/simulator?lang=ja&sim_purchases=1:0.7,2:0.2&owner=%E7%94%B0%E4%B8%AD")
    # the app's address without the page (as a browser on the default page has it): the page is added
    assert S.share_link("https://cs.example.jp/app/", "simulator", [("a", "1")]) == "https://cs.example.jp/app/simulator?a=1"
    assert S.share_link(None, "simulator", [("a", "1")]) == "/simulator?a=1"


def test_the_comparison_table_is_labelled_and_formatted():
    # base: 8,000 x 1.45 = 11,600, x 50% / 1.0 = 5,800; bold: 10,000 x 1.45 = 14,500, x 40% / 2.0 = 2,900
    # SaaS: 100,000 x 80% / 2% = 4,000,000 (4.0x a CAC of 1,000,000; paid back in 1,000,000 / 80,000 = 12.5
    # months); at 5%: 1,600,000 (1.6x). CS: 130,000 / 2% = 6,500,000 a month, 6.5x its 1,000,000; the plan
    # needs 650,000 / 130,000 = 5.0 reps, 1,300,000 / 130,000 = 10.0. Renewal: 1 / (1 - 30%) = 1.43 years,
    # 1,200,000 x 80% x 1.4286 = 1,371,429; at 50%: 2.00 years, 1,920,000.
    table = S.comparison({"base": BASE, "強気": BOLD}, "ja")
    assert table.to_dict(orient="index") == {
        "D2C: 1人あたり購入回数": {"base": "1.45", "強気": "1.45"},
        "D2C: LTV（売上）": {"base": "¥11,600", "強気": "¥14,500"},
        "D2C: 許容CPA": {"base": "¥5,800", "強気": "¥2,900"},
        "SaaS: LTV": {"base": "¥4,000,000", "強気": "¥1,600,000"},
        "SaaS: LTV / CAC": {"base": "4.0×", "強気": "1.6×"},
        "SaaS: CAC回収月数": {"base": "12.5か月", "強気": "12.5か月"},
        "CS投資: 毎月生まれるLTV": {"base": "¥6,500,000", "強気": "¥6,500,000"},
        "CS投資: ROI（コストに対する倍率）": {"base": "6.5×", "強気": "6.5×"},
        "CS投資: 計画に必要な担当者数": {"base": "5.0人", "強気": "10.0人"},
        "年間契約: 期待契約年数": {"base": "1.43年", "強気": "2.00年"},
        "年間契約: LTV（粗利）": {"base": "¥1,371,429", "強気": "¥1,920,000"},
        "D2C: AOV（前提）": {"base": "¥8,000", "強気": "¥10,000"},
        "D2C: 粗利率（前提）": {"base": "50%", "強気": "40%"},
        "D2C: 目標ROAS（前提）": {"base": "1.0×", "強気": "2.0×"},
        "SaaS: 月次解約率（前提）": {"base": "2%", "強気": "5%"},
        "CS投資: 毎月の新規MRR目標（前提）": {"base": "¥650,000", "強気": "¥1,300,000"},
        "年間契約: 更新率（前提）": {"base": "30%", "強気": "50%"},
    }
    english = S.comparison({"base": BASE, "bold": BOLD}, "en")
    assert english.loc["Annual contract: expected contract years"].tolist() == ["1.43 years", "2.00 years"]
    assert english.loc["CS investment: ROI (multiple of cost)"].tolist() == ["6.5×", "6.5×"]
    assert english.loc["SaaS: monthly churn (driver)"].tolist() == ["2%", "5%"]


def test_number_formats():
    assert S.fmt_number(12_500) == "12,500.0" and S.fmt_number(None) == "—"
    assert S.fmt_multiple(1234.56) == "1,234.6×" and S.fmt_pct(2.35) == "2.35%" and S.fmt_pct(50) == "50%"
    assert S.fmt_money_change(420_000, "ja") == "+¥420,000" and S.fmt_money_change(-12_000, "ja") == "-¥12,000"
    assert S.fmt_money_change(0.2, "ja") == "¥0"


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_sensitivity_rows_name_their_drivers_in_the_users_language(lang):
    raw = {"aov", "repeat", "gross_margin", "target_roas", "arpa", "monthly_churn"}
    d2c = S.labelled(S.d2c_sensitivity(8000, {1: 0.7, 2: 0.2, 3.5: 0.1}, 0.5), lang)
    saas = S.labelled(S.saas_sensitivity(100_000, 0.02, 0.8), lang)
    names = {r["driver"] for r in d2c + saas}
    assert not names & raw
    assert ("月次解約率" in names and "粗利率" in names) if lang == "ja" else ("Monthly churn" in names)


def test_calibration_sources_are_facts_said_in_the_users_language():
    import datetime as dt

    from dashboard import calibration

    d2c = {"customers": 1234, "as_of": dt.date(2026, 10, 31), "horizon_days": 365}
    saas = {"accounts": 281, "as_of": dt.date(2026, 10, 31), "monthly_churn": 0.02,
            "churn_months": ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]}
    assert calibration.sources(d2c, saas, "ja") == [
        ("AOV・購入回数の分布", "注文データ: 顧客1,234人（2026/10/31までの注文）、各顧客の初回購入から365日間"),
        ("ARPA・月次解約率", "2026/10/31時点の有効顧客 281社。解約率は完了した直近6か月（2026/05〜2026/10）の平均です。")]
    english = calibration.sources(d2c, {**saas, "monthly_churn": None, "churn_months": []}, "en")
    assert english[1][1] == "281 accounts active on 2026/10/31. There is no complete month yet, so churn was left as it was."
