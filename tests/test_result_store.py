"""Whole results kept for the pages' first views (results/result_store.py).

A kept result must be the result: the same rows and column types as running its SQL. The pages, opened
as a user opens them right after an import, must find every result they ask for kept (so the list of
views in result_store.page_views cannot drift from the pages), and a change of data or settings must make
stale exactly the kept results that read it.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import periods, settings, workspace
from dashboard.auth import LOCAL_USER
from dashboard.db import Database
from dashboard.results import RESULTS, result_store, runner

AS_OF = dt.date(2026, 10, 31)  # the demo's last day: the pages' default as-of day
START = dt.date(2025, 10, 1)
APP = "../app/main.py"
PAGES = ["overview", "accounts", "tiers", "health", "churn", "d2c", "simulator", "data"]


@pytest.fixture
def demo_db(demo_file, tmp_path) -> Database:
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_file, path)
    return Database(path)


def prepared_views(db: Database) -> list:
    """What prepare keeps for the demo's pages: the page views and what depends on the data (the Health
    page's preview of the suggested weights: the demo has one)."""
    from dashboard.views import caller

    return result_store.page_views(AS_OF, START) + result_store.extra_views(AS_OF, caller(db))


def kept_count(db: Database) -> int:
    return db.read(lambda con: con.execute("SELECT count(*) FROM kept_results").fetchone()[0])


def kept_tables(db: Database) -> int:
    return db.read(lambda con: con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE starts_with(table_name, 'kept_result_')").fetchone()[0])


class Misses:
    """The results a run computed instead of reading them kept (result_store.find found nothing)."""

    def __init__(self, monkeypatch):
        self.names: list[str] = []
        original = result_store.find

        def find(db, name, sql, values, rows=None):
            rows = original(db, name, sql, values, rows)
            if rows is None and name not in result_store.ON_DEMAND:
                self.names.append(name)
            return rows
        monkeypatch.setattr(result_store, "find", find)


def test_the_demo_is_small_enough_to_compute_on_first_visit(demo_db):
    assert result_store.prepare(demo_db) == {"health_days": 0, "results": 0}
    assert kept_count(demo_db) == 0


def test_the_default_start_is_a_year_before_the_month_but_not_before_the_data():
    assert periods.default_start(AS_OF, dt.date(2024, 1, 5)) == START
    assert periods.default_start(AS_OF, dt.date(2026, 3, 15)) == dt.date(2026, 3, 15)
    assert periods.default_start(AS_OF, None) == START


def test_a_kept_result_is_the_result(demo_db, monkeypatch):
    done = result_store.prepare(demo_db, force=True)
    views = prepared_views(demo_db)
    assert len(views) == len(result_store.page_views(AS_OF, START)) + 2  # the suggested weights' bands and AUC
    assert done["health_days"] == 21
    # one per distinct view; the D2C views are in (the demo has orders)
    distinct = {(name, repr(sorted(params.items()))) for name, params in views}
    assert done["results"] == len(distinct) == kept_tables(demo_db) == kept_count(demo_db)
    misses = Misses(monkeypatch)
    kept = [runner.run(demo_db, name, **params) for name, params in views]
    assert misses.names == []  # every one read from its table
    monkeypatch.setattr(result_store, "find", lambda *a, **k: None)  # now computed in the query, as before
    for (name, params), rows in zip(views, kept, strict=True):
        fresh = runner.run(demo_db, name, **params)
        assert rows.dtypes.to_dict() == fresh.dtypes.to_dict(), name
        pd.testing.assert_frame_equal(rows, fresh, check_exact=True, obj=name)
        # the demo's accounts all have MRR history: that notice's rows are tested in test_pages
        assert len(rows) or name == "accounts_without_mrr", f"{name}: an empty result proves nothing"


@pytest.mark.parametrize("selected", [{"tier": ["Tier1"]}, {"tier": ["Tier2", "Tier3"], "plan": ["ライト"]},
                                      {"owner": ["nobody"]}], ids=["tier1", "tier23_plan", "empty"])
def test_a_filtered_view_of_a_row_picked_result_is_the_kept_whole_result_restricted(demo_db, monkeypatch, selected):
    """A result whose filters only pick rows (Result.rows_by) is read, filtered, from the kept whole
    result: the same rows, order and types as computing it over the filtered accounts."""
    from dashboard.results import Scope, engines

    result_store.prepare(demo_db, force=True)
    scope = Scope.of(selected)
    views = [(n, p) for n, p in result_store.page_views(AS_OF, START) if RESULTS[n].rows_by]
    assert {n for n, _ in views} == {"accounts", "health_details"}
    computed = []
    monkeypatch.setattr(engines.DuckDBEngine, "query", lambda *a: computed.append(a) or pd.DataFrame())
    kept = [runner.run(demo_db, name, scope, **params) for name, params in views]
    assert computed == []  # every one read from its kept whole result
    monkeypatch.undo()
    monkeypatch.setattr(result_store, "find", lambda *a, **k: None)
    for (name, params), rows in zip(views, kept, strict=True):
        fresh = runner.run(demo_db, name, scope, **params)
        pd.testing.assert_frame_equal(rows, fresh, check_exact=True, obj=name)
        if selected.get("owner") != ["nobody"]:
            assert 0 < len(rows) < len(runner.run(demo_db, name, **params)), name


def test_prepare_twice_computes_nothing_new(demo_db, monkeypatch):
    result_store.prepare(demo_db, force=True)
    made = demo_db.read(lambda con: con.execute("SELECT key, made_at FROM kept_results ORDER BY key").fetchall())
    result_store.prepare(demo_db, force=True)
    assert demo_db.read(lambda con: con.execute("SELECT key, made_at FROM kept_results ORDER BY key").fetchall()) == made


@pytest.mark.parametrize("as_of", [None, dt.date(2026, 10, 13)], ids=["month_end", "mid_month"])
def test_every_page_finds_its_first_view_kept(demo_file, tmp_path, monkeypatch, as_of):
    """Right after an import (prepared), no page computes a result on its first visit: page_views lists
    everything the pages ask for. A page that starts asking for something new fails here. The pages open
    on the data's last day: the demo's is a month end; an export made today usually ends mid-month (the
    KPI cards then read the month before as the last complete one)."""
    if as_of is not None:
        monkeypatch.setitem(runner.FACTS, "default_as_of", lambda db: as_of)
    path = tmp_path / "app.duckdb"
    shutil.copy(demo_file, path)
    result_store.prepare(Database(path), force=True)
    monkeypatch.setenv("DASHBOARD_DB", str(path))
    misses = Misses(monkeypatch)
    for page in PAGES:
        import streamlit as st

        st.cache_resource.clear()  # a cold process
        at = AppTest.from_file(APP, default_timeout=120).run()
        if page != "overview":
            at.switch_page(f"../pages/{page}.py").run()
        assert not at.exception, [e.message for e in at.exception]
        assert misses.names == [], f"{page} computed {misses.names}: add them to result_store.page_views"


def kept_keys(db: Database) -> dict[str, str]:
    return dict(db.read(lambda con: con.execute("SELECT key, name FROM kept_results").fetchall()))


def test_a_setting_a_result_reads_gives_its_new_figures_and_the_old_are_dropped(demo_db, monkeypatch):
    result_store.prepare(demo_db, force=True)
    wanted = len({(n, repr(sorted(p.items()))) for n, p in prepared_views(demo_db)})
    assert kept_count(demo_db) == kept_tables(demo_db) == wanted
    before = runner.run(demo_db, "tier_summary", as_of=AS_OF)
    settings.put(demo_db, "tier_thresholds", [50_000, 20_000], by=LOCAL_USER)  # small data: not prepared again
    misses = Misses(monkeypatch)
    after = runner.run(demo_db, "tier_summary", as_of=AS_OF)  # the thresholds are bound: a new key
    assert misses.names == ["tier_summary"]
    assert after.set_index("tier")["accounts"].to_dict() != before.set_index("tier")["accounts"].to_dict()
    result_store.prepare(demo_db, force=True)  # keeps the views under the new rule, drops the old ones
    assert kept_count(demo_db) == kept_tables(demo_db) == wanted
    pd.testing.assert_frame_equal(runner.run(demo_db, "tier_summary", as_of=AS_OF), after, check_exact=True)


def test_a_setting_no_result_reads_keeps_every_kept_result(demo_db, monkeypatch):
    result_store.prepare(demo_db, force=True)
    kept = kept_keys(demo_db)
    monkeypatch.setattr(result_store, "PREPARE_FROM_ROWS", 0)  # as if the data were large
    for key, value in (("session_hours", 24), ("currency", "USD"), ("time_zone", "UTC")):
        workspace.put_setting(demo_db, key, value, by=LOCAL_USER)
        assert kept_keys(demo_db) == kept, key
    misses = Misses(monkeypatch)
    runner.run(demo_db, "mrr_movements", as_of=AS_OF, from_month=START)
    runner.run(demo_db, "accounts", as_of=AS_OF)
    assert misses.names == []
    # read only by results per fiscal period: the pages' first views are monthly, so prepare (which runs for
    # it) finds every one of them kept and sweeps none
    workspace.put_setting(demo_db, "fiscal_year_start", 1, by=LOCAL_USER)
    assert kept_keys(demo_db) == kept


# What reads touchpoints among the pages' first views: the account list (its last contact, and health's
# contact measure), everything scored by health, and the data's bounds (its last day of any dataset).
READ_TOUCHPOINTS = {"accounts", "band_history", "health_details", "health_validation_bands", "health_validation_auc",
                    "health_validation_score_auc", "data_bounds"}


def test_a_touchpoints_import_re_keeps_only_what_reads_touchpoints(demo_db, tmp_path):
    from dashboard.imports import importer

    result_store.prepare(demo_db, force=True)
    before = kept_keys(demo_db)
    rows = demo_db.query("SELECT account_id, date, kind, owner, note FROM cur_touchpoints ORDER BY date, account_id")
    path = tmp_path / "touchpoints.csv"
    rows.iloc[:-1].to_csv(path, index=False)  # the same export, its last contact gone
    importer.import_file(demo_db, path, "touchpoints", by=LOCAL_USER)  # the write alone: prepared below
    result_store.prepare(demo_db, force=True)
    after = kept_keys(demo_db)
    assert {name for key, name in before.items() if key not in after} == READ_TOUCHPOINTS
    assert {name for key, name in after.items() if key not in before} == READ_TOUCHPOINTS
    assert {name for key, name in after.items() if key in before} == set(before.values()) - READ_TOUCHPOINTS
    for name, params in (("accounts", {"as_of": AS_OF}), ("data_bounds", {})):  # kept anew: the new data's rows
        kept = runner.run(demo_db, name, **params)
        original = result_store.find
        result_store.find = lambda *a, **k: None
        try:
            pd.testing.assert_frame_equal(kept, runner.run(demo_db, name, **params), check_exact=True)
        finally:
            result_store.find = original


def test_a_read_only_database_reads_kept_results(demo_db, tmp_path, monkeypatch):
    result_store.prepare(demo_db, force=True)
    demo_db.release()
    reader = Database(demo_db.path, read_only=True)
    misses = Misses(monkeypatch)
    frame = runner.run(reader, "mrr_movements", as_of=AS_OF, from_month=START)
    assert misses.names == [] and len(frame) == 13
    assert result_store.prepare(reader, force=True) == {"health_days": 0, "results": 0}


def test_a_derived_result_is_not_kept(demo_db):
    assert RESULTS["at_risk"].source == "accounts"
    with pytest.raises(runner.ResultError, match="keep that one"):
        runner.run(demo_db, "at_risk", as_of=AS_OF, keep=True)


def test_a_migration_drops_kept_results(demo_db):
    from dashboard import schema

    result_store.prepare(demo_db, force=True)
    demo_db.write(schema.refresh_kept)
    assert kept_count(demo_db) == kept_tables(demo_db) == 0


def test_prepare_without_usage_or_orders_keeps_what_the_pages_can_show(db, load):
    """An MRR-only workspace: no health measures, no D2C page. Nothing fails; the MRR views are kept and
    read back equal to computing them."""
    load("accounts", "account_id,name,plan\nA,Alpha,Pro\nB,Beta,Basic\n")
    load("mrr", "account_id,month,mrr\nA,2026-08-01,1000.5\nA,2026-09-01,1200\nB,2026-08-01,300\n")
    done = result_store.prepare(db, force=True)
    assert done["health_days"] == 0
    names = db.read(lambda con: [r[0] for r in con.execute("SELECT name FROM kept_results").fetchall()])
    assert "mrr_movements" in names and not [n for n in names if n.startswith("d2c_")]
    as_of = dt.date(2026, 9, 30)  # the data's last day
    kept = runner.run(db, "mrr_movements", as_of=as_of, from_month=dt.date(2025, 9, 1))
    assert kept.set_index("month").loc[pd.Timestamp("2026-09-01"), "end"] == 1200  # B churned, A expanded


@pytest.mark.parametrize("selected", [{"tier": ["Tier1"]}, {"tier": ["Tier2", "Tier3"], "plan": ["ライト"]},
                                      {"tier": ["Tier3"], "owner": ["nobody"]}], ids=["tier1", "tier23_plan", "empty"])
def test_a_tier_filter_reads_its_accounts_from_the_kept_tiers(demo_db, monkeypatch, selected):
    """The accounts a tier filter selects on the pages' days come from the kept account_tiers (no tier is
    worked out): the same ids as the filter's own SQL, with the other columns' filters applied too."""
    from dashboard.results import Scope

    result_store.prepare(demo_db, force=True)
    scope = Scope.of(selected)
    rule = runner.call(demo_db, "tier_rule", as_of=AS_OF)
    prev_end = dt.date(2026, 9, 30)
    queries: list[str] = []
    query = Database.query
    for as_of in (AS_OF, prev_end):
        params = {"as_of": as_of, "t1": rule["thresholds"][0], "t2": rule["thresholds"][1], "manual": False}
        monkeypatch.setattr(Database, "query", lambda self, sql, *a, **k: queries.append(sql) or query(self, sql, *a, **k))
        kept = runner.scope_accounts(demo_db, scope, **params)
        monkeypatch.undo()
        assert not [q for q in queries if "account_tiers(" in q]  # read, not worked out
        monkeypatch.setattr(result_store, "find", lambda *a, **k: None)
        computed = runner.scope_accounts(demo_db, scope, **params)
        monkeypatch.undo()
        assert kept == computed
        if "owner" not in selected:
            assert 0 < len(kept) < len(runner.run(demo_db, "account_tiers", **params))
        else:
            assert kept == []


def test_a_macro_reads_what_the_macros_it_calls_read_at_any_depth():
    # callers before the macros they call: one pass in file order is not enough
    text = ("CREATE OR REPLACE MACRO c() AS TABLE SELECT * FROM b( 1);\n"
            "CREATE OR REPLACE MACRO b(x) AS TABLE SELECT * FROM a() JOIN cur_orders USING (x);\n"
            "CREATE OR REPLACE MACRO a() AS TABLE SELECT * FROM cur_usage;\n"
            "CREATE OR REPLACE MACRO d() AS (SELECT count(*) FROM cur_touchpoints);\n"
            "CREATE OR REPLACE MACRO ab() AS TABLE SELECT 1;\n")  # 'ab' is not a call of a() or b()
    reads = result_store._macro_inputs(text)
    assert reads == {"a": {"usage"}, "b": {"usage", "orders"}, "c": {"usage", "orders"}, "d": {"touchpoints"},
                     "ab": set()}
