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
