"""Filters apply to every figure, in SQL: a filtered result equals the unfiltered result on a database that
holds only the matching accounts (the page, the command line and the results layer alike)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import shutil

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import money, report, schema, views
from dashboard import results as R
from dashboard.cli import main
from dashboard.db import Database
from dashboard.i18n import integer, pct, points
from dashboard.results import Scope, ScopeError

APP = "../app/main.py"
ACCOUNT_TABLES = ("accounts", "mrr", "subscriptions", "invoice_lines", "usage", "touchpoints", "opportunities")


def only_accounts(path, ids: list[str]) -> Database:
    """The database at ``path`` with every row of the other accounts deleted."""
    db = Database(path)

    def drop(con):
        for table in ACCOUNT_TABLES:
            con.execute(f'DELETE FROM "{table}" WHERE NOT list_contains(?, account_id)', [ids])  # noqa: S608
        schema.refresh_kept(con)  # rows changed outside an import: rebuild what is kept from them
    db.write(drop, bump=True)
    return db


@pytest.fixture
def tier1(demo_file, tmp_path):
    """(full demo database, its as-of day, the demo reduced to the accounts the Tier1 filter selects)."""
    shutil.copy(demo_file, tmp_path / "full.duckdb")
    shutil.copy(demo_file, tmp_path / "tier1.duckdb")
    full = Database(tmp_path / "full.duckdb")
    as_of = R.call(full, "default_as_of")
    rule = R.tier_rule(full, as_of)
    ids = full.query("SELECT account_id FROM account_tiers($as_of, $t1, $t2, false) WHERE tier = 'Tier1'",
                     {"as_of": as_of, "t1": rule["thresholds"][0], "t2": rule["thresholds"][1]})["account_id"]
    assert 50 < len(ids) < 150  # a real part of the 300 demo accounts, churned ones included
    return full, as_of, only_accounts(tmp_path / "tier1.duckdb", ids.tolist())


def test_every_kpi_with_a_tier_filter_equals_the_kpi_of_that_tiers_accounts(tier1):
    full, as_of, subset = tier1
    filtered = views.kpis(views.caller(full, Scope.of(tier=["Tier1"])), as_of)
    alone = views.kpis(views.caller(subset), as_of)
    everyone = views.kpis(views.caller(full), as_of)
    for key in ("active", "active_delta", "mrr", "mrr_delta", "churn_month", "churn_rate", "churn_rate_delta",
                "gross_revenue_churn", "gross_revenue_churn_delta", "nrr", "nrr_delta", "renewals", "renewals_mrr"):
        if isinstance(alone[key], float):
            assert filtered[key] == pytest.approx(alone[key], rel=1e-12, abs=1e-12), key
        else:
            assert filtered[key] == alone[key], key
    assert filtered["active"] < everyone["active"] and filtered["mrr"] < everyone["mrr"]
    # Health is scored among all active accounts (a filter selects, never re-ranks): the red share of the
    # filtered view is the red MRR of the Tier1 rows of the unfiltered list over their MRR.
    accounts = R.run(full, "accounts", as_of=as_of)
    mine = accounts[accounts["tier"] == "Tier1"]
    assert filtered["red_share"] == pytest.approx(mine.loc[mine["band"] == "red", "mrr"].sum() / mine["mrr"].sum())


@pytest.mark.parametrize("name, params", [
    ("churn", {"grain": "quarter", "start": dt.date(2025, 4, 1)}),
    ("mrr_movements", {"from_month": dt.date(2025, 1, 1)}),
    ("cohorts", {"from_month": dt.date(2025, 1, 1)}),
    ("renewals_due", {}),
    ("tier_migration", {"d1": dt.date(2025, 10, 31)}),
])
def test_results_with_a_tier_filter_equal_the_results_of_that_tiers_accounts(tier1, name, params):
    full, as_of, subset = tier1
    rule = R.tier_rule(full, as_of)  # the subset's own percentiles would move the brackets
    filtered = R.run(full, name, Scope.of(tier=["Tier1"]), as_of=as_of, tier_rule=rule, **params)
    alone = R.run(subset, name, as_of=as_of, tier_rule=rule, **params)
    assert len(filtered) > 0
    if "score" in filtered:  # health is ranked among all active accounts; compared on its own above
        health = [c for c in ("score", "band", "change") if c in filtered]
        filtered, alone = filtered.drop(columns=health), alone.drop(columns=health)
    pd.testing.assert_frame_equal(filtered.reset_index(drop=True), alone.reset_index(drop=True))


def test_a_tier_filter_selects_under_the_rule_the_result_is_computed_with(tier1):
    # The filter's account ids are resolved once and shared (runner.scope_accounts); under thresholds
    # given by the caller (report --tier-thresholds) they must follow those thresholds, not the workspace's.
    full, as_of, _ = tier1
    rule = R.tier_rule(full, as_of)
    lower = {**rule, "thresholds": [rule["thresholds"][1], 0.0], "auto": False}  # Tier1 from today's Tier2 line
    everyone = R.run(full, "accounts", as_of=as_of, tier_rule=lower)
    filtered = R.run(full, "accounts", Scope.of(tier=["Tier1"]), as_of=as_of, tier_rule=lower)
    expected = everyone.loc[everyone["tier"] == "Tier1", "account_id"]
    assert sorted(filtered["account_id"]) == sorted(expected)
    assert len(expected) > len(R.run(full, "accounts", Scope.of(tier=["Tier1"]), as_of=as_of))


def test_the_report_movements_follow_the_thresholds_it_is_given(tier1):
    """report --tier Tier1 --tier-thresholds: the movements are over the same Tier1 accounts as the account
    list, so the as-of month's ending MRR is the MRR the report gives for those accounts. (Churn under the
    given rule: test_a_tier_filter_selects_under_the_rule_the_result_is_computed_with.)"""
    full, as_of, _ = tier1
    rule = R.tier_rule(full, as_of)
    lower = (rule["thresholds"][1], 0.0)  # Tier1 from today's Tier2 line
    out = report.build(full, as_of=as_of, thresholds=lower, scope=Scope.of(tier=["Tier1"]))
    assert out["mrr_movements"][-1]["end"] == out["mrr"] > report.build(
        full, as_of=as_of, scope=Scope.of(tier=["Tier1"]))["mrr"]


def test_columns_combine_with_and_values_with_or(tier1):
    full, as_of, _ = tier1
    accounts = R.run(full, "accounts", as_of=as_of)
    owners = sorted(accounts["owner"].dropna().unique())[:2]
    both = R.run(full, "accounts", Scope.of(tier=["Tier1", "Tier2"], owner=owners), as_of=as_of)
    expected = accounts[accounts["tier"].isin(["Tier1", "Tier2"]) & accounts["owner"].isin(owners)]
    assert sorted(both["account_id"]) == sorted(expected["account_id"]) and len(both) > 0
    plan = accounts["plan"].dropna().iloc[0]
    by_plan = R.run(full, "accounts", Scope.of(plan=[plan]), as_of=as_of)
    assert set(by_plan["plan"]) == {plan} and len(by_plan) == (accounts["plan"] == plan).sum()


def test_a_filter_never_becomes_sql(tier1):
    full, as_of, _ = tier1
    hostile = "x'); DROP TABLE accounts; --"
    assert R.run(full, "accounts", Scope.of(owner=[hostile]), as_of=as_of).empty
    assert len(R.run(full, "accounts", as_of=as_of)) > 0  # still there
    with pytest.raises(ScopeError):
        Scope.of({"name; DROP TABLE accounts": ["x"]})
    with pytest.raises(ScopeError):
        Scope.of(tier=["Tier9"])


def test_cli_filter_gives_the_figures_of_that_tiers_accounts(tier1, capsys):
    full, as_of, subset = tier1
    code = main(["--db", str(full.path), "report", "--as-of", as_of.isoformat(), "--filter", "tier=Tier1"])
    filtered = json.loads(capsys.readouterr().out)
    assert code == 0 and filtered["filters"] == {"tier": ["Tier1"]}
    main(["--db", str(subset.path), "report", "--as-of", as_of.isoformat()])
    alone = json.loads(capsys.readouterr().out)
    for key in ("accounts_active", "mrr", "churn", "mrr_movements"):
        assert filtered[key] == alone[key], key
    # every tier section counts only Tier1 accounts
    tiers = {row["tier"]: row["accounts"] for row in filtered["tiers"]}
    assert tiers == {"Tier1": filtered["accounts_active"], "Tier2": 0, "Tier3": 0}
    assert sum(filtered["health"]["bands"].values()) == filtered["accounts_active"]


def test_cli_filter_refuses_an_unknown_column(tier1, capsys):
    full, _, _ = tier1
    code = main(["--db", str(full.path), "report", "--filter", "nmae=x"])
    assert code == 2 and "nmae" in capsys.readouterr().err


def test_overview_with_a_tier_filter_shows_the_tiers_own_kpis(tier1, monkeypatch, tmp_path):
    full, as_of, subset = tier1
    monkeypatch.setenv("DASHBOARD_DB", str(full.path))
    monkeypatch.setenv("DASHBOARD_USERS", str(tmp_path / "users.toml"))
    monkeypatch.setenv("DASHBOARD_LANG", "ja")
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["tier"] = ["Tier1"]
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.multiselect(key="f_tier").value == ["Tier1"]
    k = views.kpis(views.caller(subset), as_of)
    shown = {m.label: m.value for m in at.metric}
    assert shown["有効顧客数"] == integer(k["active"])
    assert shown["MRR"] == money.card(k["mrr"], "ja")
    month = f"{k['churn_month'].year}/{k['churn_month'].month:02d}"
    assert shown[f"顧客解約率（{month}）"] == pct(k["churn_rate"], 2)
    assert shown[f"グロス・\u200bレベニュー\u200bチャーン（{month}）"] == pct(k["gross_revenue_churn"], 2)  # breaks at the zero-width space
    assert shown["NRR（12か月）"] == pct(k["nrr"])
    changes = {m.label: m.delta for m in at.metric}
    assert changes["NRR（12か月）"] == points(k["nrr_delta"])  # a rate changes by points, not percent
    assert shown["90日以内の更新"] == integer(k["renewals"])
    # the at-risk table lists only Tier1 accounts
    table = at.dataframe[0].value
    assert set(table["tier"]) <= {"Tier1"}
    # the tier mix draws one slice, Tier1's MRR (no empty slices labelled 0%)
    (pie,) = [trace for chart in at.get("plotly_chart") for trace in json.loads(chart.proto.spec)["data"]
              if trace["type"] == "pie"]
    values = np.frombuffer(base64.b64decode(pie["values"]["bdata"]), dtype=pie["values"]["dtype"])
    assert list(pie["labels"]) == ["Tier1"] and values.tolist() == [float(k["mrr"])]
