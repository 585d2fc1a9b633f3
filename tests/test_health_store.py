"""Kept health scores (results/health_store.py): every result that reads health gives the same figures
from the kept rows as scored inside its own query, over filters, other configurations and new data; the
scores of a new import or configuration are never read from an older one."""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest

from dashboard import importer, metrics, views
from dashboard import settings as S
from dashboard.auth import LOCAL_USER as EDITOR
from dashboard.db import Database
from dashboard.results import Scope, health_store, run

AS_OF = dt.date(2026, 10, 31)
START = dt.date(2025, 11, 1)
CALLS = [
    ("accounts", {"as_of": AS_OF}),
    ("accounts", {"as_of": dt.date(2026, 9, 30), "compare": False}),
    ("health_scores", {"as_of": AS_OF, "days": metrics.month_ends(START, AS_OF)}),
    ("band_history", {"as_of": AS_OF, "days": metrics.month_ends(START, AS_OF)}),
    ("health_details", {"as_of": AS_OF}),
    ("lowest_health", {"as_of": AS_OF}),
    ("tier_health_mix", {"as_of": AS_OF}),
    ("health_validation", {"as_of": AS_OF, "days": metrics.validation_days(AS_OF), "horizon_days": 90}),
]


@pytest.fixture
def demo_db(demo_file, tmp_path) -> Database:
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_file, path)
    return Database(path)


def same(got: pd.DataFrame, expected: pd.DataFrame, name: str = "") -> None:
    """Equal figures: money and counts exactly; scores to 1e-12 (a sum of doubles in another order)."""
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12, atol=1e-12, obj=name or "frame")


def scored_inline(monkeypatch, db, name, scope=None, **params) -> pd.DataFrame:
    with monkeypatch.context() as m:
        m.setattr(health_store, "ensure", lambda *a, **k: None)
        return views.caller(db, scope)(name, **params)


def kept_days(db) -> int:
    return db.read(lambda con: con.execute("SELECT count(*) FROM kept_health_days").fetchone()[0])


@pytest.mark.parametrize("scope", [Scope(), Scope.of({"tier": ["Tier1"]}), Scope.of({"owner": ["佐藤", "鈴木"]})],
                         ids=["all", "tier1", "two-owners"])
def test_kept_scores_give_the_figures_scored_in_the_query(demo_db, monkeypatch, scope):
    assert kept_days(demo_db) == 0
    for name, params in CALLS:
        inline = scored_inline(monkeypatch, demo_db, name, scope, **params)
        kept = views.caller(demo_db, scope)(name, **params)
        assert len(inline) > 0, name
        same(kept, inline, name)
    # 2 + 1 + 13 month ends (as_of among them) + 6 validation days, each kept once per as-of day
    assert kept_days(demo_db) == len({AS_OF, AS_OF - dt.timedelta(days=30), *metrics.month_ends(START, AS_OF),
                                      *metrics.validation_days(AS_OF)}) + 1


def test_a_second_run_reads_the_kept_rows_without_writing(demo_db, monkeypatch):
    first = views.caller(demo_db)("accounts", as_of=AS_OF)
    monkeypatch.setattr(Database, "write", lambda *a, **k: pytest.fail("kept scores were scored again"))
    again = views.caller(demo_db)("accounts", as_of=AS_OF)
    same(first, again)


def test_prepare_keeps_the_days_the_pages_open_on(demo_db, monkeypatch):
    assert health_store.prepare(demo_db) == 0  # the demo is small: its pages score on the first visit
    assert health_store.prepare(demo_db, force=True) == 21
    as_of = views.caller(demo_db)("default_as_of")
    assert as_of == AS_OF  # the demo's last day
    monkeypatch.setattr(Database, "write", lambda *a, **k: pytest.fail("a page's default day was not prepared"))
    q = views.caller(demo_db)
    views.kpis(q, AS_OF)
    q("health_scores", as_of=AS_OF, days=metrics.month_ends(START, AS_OF))
    metrics.health_validation(demo_db, AS_OF)


def test_new_data_is_scored_anew(demo_db, tmp_path, monkeypatch):
    before = views.caller(demo_db)("accounts", as_of=AS_OF).set_index("account_id")["score"]
    # one account stops using the product for the whole window: its score must fall, and only the
    # new data's scores are read
    account = before.idxmax()
    usage = demo_db.query("SELECT account_id, date, measure, value FROM cur_usage")
    usage = usage[~((usage["account_id"] == account) & (usage["date"] > pd.Timestamp(AS_OF - dt.timedelta(days=90))))]
    wide = usage.pivot_table(index=["account_id", "date"], columns="measure", values="value").reset_index()
    path = tmp_path / "usage.csv"
    wide.to_csv(path, index=False)
    importer.import_file(demo_db, path, "usage", by=EDITOR)
    after = views.caller(demo_db)("accounts", as_of=AS_OF).set_index("account_id")["score"]
    inline = scored_inline(monkeypatch, demo_db, "accounts", as_of=AS_OF).set_index("account_id")["score"]
    pd.testing.assert_series_equal(after, inline, check_exact=False, rtol=1e-12, atol=1e-12)
    assert after[account] < before[account]
    keys = demo_db.query("SELECT DISTINCT data_key FROM kept_health_days")
    assert len(keys) == 2  # the old data's rows stay for a moment (a page run that began before the import)


def test_rows_of_old_data_are_dropped_at_the_next_write(demo_db, monkeypatch):
    views.caller(demo_db)("accounts", as_of=AS_OF)
    snapshot = int(demo_db.query("SELECT max(snapshot_id) AS s FROM snapshots WHERE dataset = 'usage'")["s"][0])
    older = int(demo_db.query("SELECT min(snapshot_id) AS s FROM snapshots WHERE dataset = 'accounts'")["s"][0])
    assert snapshot and older
    monkeypatch.setattr(health_store, "KEEP_STALE", dt.timedelta(0))
    importer.restore(demo_db, older, by=EDITOR)  # the same accounts file again: new current snapshot set
    views.caller(demo_db)("accounts", as_of=AS_OF)
    assert len(demo_db.query("SELECT DISTINCT data_key FROM kept_health")) == 1
    assert len(demo_db.query("SELECT DISTINCT data_key FROM kept_health_days")) == 1


def test_another_configuration_is_scored_anew(demo_db, monkeypatch):
    q = views.caller(demo_db)
    first = q("accounts", as_of=AS_OF)
    config = q("health_config")
    S.put(demo_db, "health", metrics.with_weights(config, {m["name"]: (5.0 if i == 0 else 1.0)
                                                           for i, m in enumerate(config["measures"])}), by=EDITOR)
    second = views.caller(demo_db)("accounts", as_of=AS_OF)
    inline = scored_inline(monkeypatch, demo_db, "accounts", as_of=AS_OF)
    same(second, inline)
    assert not second["score"].equals(first["score"])
    assert len(demo_db.query("SELECT DISTINCT config_key FROM kept_health_days")) == 2


def test_a_read_only_database_scores_in_the_query(demo_db, monkeypatch):
    expected = scored_inline(monkeypatch, demo_db, "accounts", as_of=AS_OF)
    reader = Database(demo_db.path, read_only=True)
    got = run(reader, "accounts", as_of=AS_OF)
    same(got, expected)
    assert kept_days(reader) == 0
