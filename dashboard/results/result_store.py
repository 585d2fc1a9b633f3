"""Whole results kept in the database for the views the pages open on, computed right after an import.

A page opened without link parameters asks for the same results every time until the data changes: the
account list on the data's last day, a year of MRR movements, churn by month... At the benchmark's M
size each takes 0.3–3 s to compute, so a first visit after an import would wait seconds. ``prepare``
computes them once, right after the import (in the importing process, while nobody is looking), each
into a table of its own (``kept_result_<key>``); the runner then reads that table instead of running the
result's SQL. The table is made by ``CREATE TABLE … AS <the result's SQL>``, so reading it returns what
the query would have returned, column types included.

The key is the result's name, its final SQL (filters, segments and kept health included), its bound
values (every setting a result reads reaches it as a bound value: the tier rule, the health measures and
weights, the fiscal periods) and its inputs: the current snapshot of exactly the datasets its SQL reads
(``inputs_of``). An import or restore of touchpoints makes stale only what reads touchpoints; a setting
no result reads (the session length, the import limits) makes nothing stale. (A change of the currency
while billing exports are converted into it derives the history again and drops what is kept: settings.put.)
Stale ones are dropped after the next commit. Only ``prepare`` writes them; a page run only reads, so what a page shows never depends on
how long a query happened to take.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import hashlib
import json
import logging
import re
from collections.abc import Callable
from typing import Any

import pandas as pd

from dashboard import frames
from dashboard import periods as P
from dashboard.db import Database, version_in
from dashboard.schema import MRR_SOURCES, drop_kept_results, kept_result_table

log = logging.getLogger(__name__)

# prepare() works ahead only from this many stored rows of usage, MRR and orders: below it every page
# computes its first view in well under a second (the 300-account demo: 0.2-0.9 s cold).
PREPARE_FROM_ROWS = 250_000

# What each kind of table a result's SQL names is made from: a dataset's current rows (cur_<dataset>), or
# what is kept from them (the MRR history's runs and grid; health scores, which read every dataset the
# health measures may come from). Macros of base_macros.sql read tables too: their names count as theirs.
_TABLE = re.compile(r"\b(cur_[a-z_]+|mrr_history|kept_mrr_[a-z_]+|kept_health[a-z_]*)\b")
_HEALTH_INPUTS = ("accounts", *MRR_SOURCES, "usage", "touchpoints", "opportunities")


def _tables_of(text: str) -> set[str]:
    found = set()
    for table in _TABLE.findall(text):
        if table.startswith("cur_"):
            found.add(table.removeprefix("cur_"))
        elif table == "mrr_history":  # imported, or derived from billing exports
            found.update(MRR_SOURCES)
        elif table.startswith("kept_mrr_"):
            found.update((*MRR_SOURCES, "accounts"))  # the accounts file's churn dates end months of the history
        else:
            found.update(_HEALTH_INPUTS)
    return found


def _macro_inputs(text: str | None = None) -> dict[str, set[str]]:
    """Each macro of base_macros.sql (or of ``text``) and the datasets it reads, through the macros it calls
    too."""
    from dashboard.schema import SQL_DIR

    text = text if text is not None else (SQL_DIR / "base_macros.sql").read_text()
    parts = re.split(r"CREATE OR REPLACE MACRO (\w+)", text)
    bodies = dict(zip(parts[1::2], parts[2::2], strict=True))
    reads = {name: _tables_of(body) for name, body in bodies.items()}
    calls = {name: set(re.findall(r"\b(\w+)\s*\(", body)) & bodies.keys() - {name} for name, body in bodies.items()}
    changed = True
    while changed:  # through macros calling macros, until nothing more is added
        changed = False
        for name, called in calls.items():
            more = set().union(*(reads[other] for other in called)) - reads[name]
            if more:
                reads[name] |= more
                changed = True
    return reads


_MACROS = _macro_inputs()


@functools.lru_cache(maxsize=1024)  # asked on every lookup of a kept result: a page run's SQL texts repeat
def inputs_of(sql: str) -> tuple[str, ...]:
    """The datasets a result's final SQL reads, directly or through a macro: what its kept copy depends on."""
    found = _tables_of(sql)
    for name, reads in _MACROS.items():
        if reads and re.search(rf"\b{name}\s*\(", sql):
            found |= reads
    return tuple(sorted(found))


def current_snapshots(con) -> dict[str, int]:
    """The current snapshot of each dataset that has one (an append's is its newest)."""
    return dict(con.execute("SELECT dataset, max(snapshot_id) FROM snapshots WHERE is_current GROUP BY dataset").fetchall())


def _inputs(con, sql: str) -> str:
    """The inputs part of a key: each dataset the SQL reads and its current snapshot (none: null)."""
    now = current_snapshots(con)
    return json.dumps({dataset: now.get(dataset) for dataset in inputs_of(sql)}, sort_keys=True)


def _key(inputs: str, name: str, sql: str, values: dict[str, Any]) -> str:
    text = json.dumps([inputs, name, sql, sorted(values.items())], default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def find(db: Database, name: str, sql: str, values: dict[str, Any],
         rows: tuple[str, list[str]] | None = None) -> pd.DataFrame | None:
    """The kept rows of this result under the current data, or None (then the caller runs ``sql``).
    ``rows=(column, ids)``: only the rows whose ``column`` is one of ``ids``, in the kept order."""
    def read(con):
        key = _key(_inputs(con, sql), name, sql, values)
        if not con.execute("SELECT count(*) FROM kept_results WHERE key = ?", [key]).fetchone()[0]:
            return None
        if rows is None:
            return frames.fetch(con, f'SELECT * FROM "{kept_result_table(key)}"')  # noqa: S608 - a hex key, see schema.kept_result_table
        column, ids = rows  # column: a catalog declaration (Result.rows_by), quoted; ids: bound
        return frames.fetch(con, f'SELECT * FROM "{kept_result_table(key)}" WHERE "{column}" IN (SELECT unnest($ids)) '  # noqa: S608
                                 "ORDER BY rowid", {"ids": ids})

    return db.read(read)


def keep(db: Database, name: str, sql: str, values: dict[str, Any], compute: Any = None, engine: Any = None) -> bool:
    """Compute this result into a kept table (unless kept already); True when it was computed now.
    ``sql`` and ``values`` are the key (and what runs when ``compute`` is not given); ``compute()`` gives
    the SQL and values to run instead (health read from kept scores); ``engine``: where it runs (Spark's
    rows come back as Arrow and are written into the table here)."""
    from dashboard.results import engines

    def kept(con, key: str) -> bool:
        return bool(con.execute("SELECT count(*) FROM kept_results WHERE key = ?", [key]).fetchall()[0][0])

    inputs_before = db.read(lambda con: _inputs(con, sql))
    key = _key(inputs_before, name, sql, values)
    marked = _MARKED.get()
    if marked is not None:  # prepare is marking what the pages ask for now
        marked.add(key)
    if db.read(lambda con: kept(con, key)):
        return False
    run_sql, run_values = compute() if compute else (sql, values)
    engine = engine or engines.DUCKDB
    spark = None if engine is engines.DUCKDB else engine.rows(db, run_sql, run_values)

    def write(con) -> bool:  # every result fetched in full: registering Spark's rows needs an idle connection
        version, inputs = version_in(con), _inputs(con, sql)
        if inputs != inputs_before:  # an import committed while the rows were made (kept health, Spark):
            return False             # they may be the old data's; keep nothing rather than mislabel them
        if kept(con, key):
            return False
        t0 = dt.datetime.now()
        table = kept_result_table(key)
        if spark is None:  # our own SQL file, values bound
            con.execute(f'CREATE TABLE "{table}" AS {run_sql}', run_values)
        else:
            con.register("spark_rows", spark.table)
            try:
                con.execute(f'CREATE TABLE "{table}" AS SELECT * FROM spark_rows')  # noqa: S608 - our key's hash
            finally:
                con.unregister("spark_rows")
        rows = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608
        seconds = (dt.datetime.now() - t0).total_seconds() + (spark.seconds if spark else 0.0)
        con.execute("INSERT INTO kept_results (key, version, name, made_at, seconds, rows, inputs) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)", [key, version, name, t0, seconds, rows, inputs])
        return True

    return db.write(write)


def _stale(con) -> list[str]:
    """The kept results made from a snapshot that is no longer current (for any dataset they read)."""
    now = current_snapshots(con)
    return [key for key, inputs in con.execute("SELECT key, inputs FROM kept_results").fetchall()
            if inputs is None or any(now.get(d) != s for d, s in json.loads(inputs).items())]


def drop_stale(con) -> int:
    """Drop the kept results whose inputs changed (inside the caller's write); how many."""
    return drop_kept_results(con, _stale(con))


def has_stale(db: Database) -> bool:
    return bool(db.read(_stale))


Progress = Callable[[float, str], None]  # (fraction done, the result being kept)


def pending(db: Database) -> int | None:
    """The data version whose refresh has not run yet (an import with ``--no-wait``), else None."""
    def read(con) -> int | None:
        ready = con.execute("SELECT max(version) FROM kept_ready").fetchone()[0]
        version = version_in(con)
        return version if ready is not None and ready < version else None

    return db.read(read)


def _mark_ready(db: Database, version: int) -> None:
    def mark(con) -> None:
        if (con.execute("SELECT max(version) FROM kept_ready").fetchone()[0] or 0) < version:
            con.execute("DELETE FROM kept_ready")
            con.execute("INSERT INTO kept_ready VALUES (?)", [version])
    db.write(mark)


def prepare(db: Database, *, force: bool = False, work_ahead: bool = True,
            progress: Progress | None = None) -> dict[str, int]:
    """Work ahead for the pages' first views, right after an import (large data only, or ``force``):
    score health for the days they open on, then keep the results they ask for. Drops what is kept for
    earlier data in any case (and only that without ``work_ahead``). Then the data version it began on is
    marked ready (``pending``). Returns how many health days and results are kept for the current data."""
    if db.read_only:
        return {"health_days": 0, "results": 0}
    version = db.data_version()
    done = _prepare(db, force=force, work_ahead=work_ahead, progress=progress or (lambda *_: None))
    _mark_ready(db, version)
    return done


def _prepare(db: Database, *, force: bool, work_ahead: bool, progress: Progress) -> dict[str, int]:
    from dashboard import settings
    from dashboard.results import engines

    done = {"health_days": 0, "results": 0}
    if has_stale(db):
        db.write(drop_stale)
    if not work_ahead or db.is_empty():
        return done
    setting = settings.get(db, "engine")
    spark = bool(setting) and setting.get("name") == "spark"  # asked for: worked ahead at any size
    rows = db.read(lambda con: con.execute(
        "SELECT (SELECT count(*) FROM cur_usage) + (SELECT count(*) FROM mrr_history) + (SELECT count(*) FROM cur_orders)"
    ).fetchone()[0])
    if rows < PREPARE_FROM_ROWS and not (force or spark):
        return done
    engine = engines.from_setting(db, setting)  # Spark: the datasets exported as Parquet first
    try:
        with engines.using(engine):
            _work_ahead(db, engine, done, progress)
    finally:
        if engine is not engines.DUCKDB:
            engine.stop()
    done["results"] = db.read(lambda con: con.execute("SELECT count(*) FROM kept_results").fetchone()[0]
                              - len(_stale(con)))
    return done


# The keys prepare asked for in this run (set while it works ahead): kept results outside it are for
# settings no longer in force (a tier rule, health weights, fiscal year before a change) and are dropped.
_MARKED: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar("marked", default=None)


def _work_ahead(db: Database, engine: Any, done: dict[str, int], progress: Progress) -> None:
    marked: set[str] = set()
    token = _MARKED.set(marked)
    try:
        _keep_page_views(db, engine, done, progress)
    finally:
        _MARKED.reset(token)
    db.write(lambda con: drop_kept_results(con, [k for (k,) in con.execute("SELECT key FROM kept_results").fetchall()
                                     if k not in marked]))


def _keep_page_views(db: Database, engine: Any, done: dict[str, int], progress: Progress) -> None:
    from dashboard.results import engines, health_store, runner

    bounds = runner.call(db, "data_bounds")
    as_of = runner.call(db, "default_as_of")
    if engine is engines.DUCKDB:  # on Spark, health is scored inside each result's query
        progress(0.0, "health_scores")
        done["health_days"] = health_store.score_page_days(db, as_of, bounds["first"])
    facts: dict[str, Any] = {}

    def fetch(name: str, **params: Any) -> Any:  # the tier rule, the settings: once for all the results
        key = json.dumps([name, sorted(params.items())], default=str)
        if key not in facts:
            facts[key] = runner.call(db, name, fetch=fetch, **params)
        return facts[key]

    loaded = db.loaded_datasets()
    views = [(name, params) for name, params in page_views(as_of, P.default_start(as_of, bounds["first"]))
             if not (name.startswith("d2c_") and "orders" not in loaded)]  # no D2C page without orders
    for i, (name, params) in enumerate(views):
        progress(0.3 + 0.65 * i / len(views), name)  # health scored: about the first third of the time
        runner.run(db, name, fetch=fetch, keep=True, **params)
    progress(0.95, "health_weights")
    for name, params in extra_views(as_of, fetch):
        runner.run(db, name, fetch=fetch, keep=True, **params)
    progress(1.0, "")


def extra_views(as_of: dt.date, fetch: Any) -> list[tuple[str, dict[str, Any]]]:
    """What the pages also ask for on ``as_of`` that depends on the data, so page_views cannot list it: the
    Health page's preview of the weights its validation suggests (the validation under them)."""
    from dashboard.results.health_weights import suggestion_views

    return suggestion_views(as_of, fetch)


def prepare_after_commit(db: Database, *, work_ahead: bool = True, progress: Progress | None = None) -> bool:
    """``prepare`` after a committed import, restore or settings change: a failure is logged, never
    raised (the change is in place; the pages then compute on their first visit). Whether it prepared."""
    try:
        prepare(db, work_ahead=work_ahead, progress=progress)
    except Exception:  # noqa: BLE001 - never fail a change that has been committed
        log.exception("the pages' first views were not prepared after the change")
        return False
    return True


# Results about one account the user picks (the explain section's score history): a few hundred rows from
# the kept health scores, computed when asked; page_views has no way to know which account.
ON_DEMAND = ("score_history",)


def page_views(as_of: dt.date, start: dt.date) -> list[tuple[str, dict[str, Any]]]:
    """The results (name, parameters) the pages ask for when opened on ``as_of`` with the period from
    ``start`` and no filters: the sidebar's defaults; with ``extra_views``, what depends on the data.
    tests/test_result_store.py opens every page and checks that it asks for nothing else, so this list
    cannot drift from the pages."""
    from dashboard.periods import EARLIEST, last_complete_month, month_ends, validation_days

    month = start.replace(day=1)
    prev_end = as_of.replace(day=1) - dt.timedelta(days=1)
    # the KPI cards' churn: the last complete month and the one before it (on a month's last day that is
    # the as-of month; mid-month, the month before)
    card_churn_from = P.add_months(last_complete_month(as_of), -1)
    ends = month_ends(start, as_of)
    return [
        ("data_bounds", {}),
        ("accounts_without_mrr", {"as_of": as_of}),  # the Overview's notice
        ("filter_values", {}),
        # the tier rule in force (a fact every tier figure reads), and a month ago (the KPI cards)
        ("tier_thresholds", {"as_of": as_of}),
        ("tier_thresholds", {"as_of": prev_end}),
        # every account's tier then: what a tier filter selects on (runner.scope_accounts)
        ("account_tiers", {"as_of": as_of}),
        ("account_tiers", {"as_of": prev_end}),
        # the account list now and a month ago (the KPI cards). Results derived from another (the at-risk
        # list, renewals, the band trend: RESULTS[name].source) are not kept: they read their source's rows.
        ("accounts", {"as_of": as_of}),
        ("accounts", {"as_of": prev_end, "compare": False}),
        ("tier_summary", {"as_of": as_of}),
        ("mrr_movements", {"as_of": as_of, "from_month": month}),
        ("churn", {"as_of": as_of, "grain": "month", "start": card_churn_from}),
        ("churn", {"as_of": as_of, "grain": "month", "start": start}),
        ("churn", {"as_of": as_of, "grain": "month", "start": start, "segment_by": "tier"}),
        ("churn", {"as_of": as_of, "grain": "month", "start": start, "segment_by": "plan"}),
        ("cohorts", {"as_of": as_of, "from_month": month}),
        ("tier_migration", {"as_of": as_of, "d1": max(start, as_of - dt.timedelta(days=365))}),
        ("tier_opportunities", {"as_of": as_of, "start": start}),
        ("usage_measures", {}),
        ("band_history", {"as_of": as_of, "days": ends}),
        ("health_details", {"as_of": as_of}),
        ("health_validation_bands", {"as_of": as_of, "days": validation_days(as_of), "horizon_days": 90}),
        ("health_validation_auc", {"as_of": as_of, "days": validation_days(as_of), "horizon_days": 90}),
        ("health_validation_score_auc", {"as_of": as_of, "days": validation_days(as_of), "horizon_days": 90}),
        ("d2c_channels", {"as_of": as_of, "horizon_days": 365}),
        ("d2c_cohorts", {"as_of": as_of, "from": month}),
        ("d2c_customers", {"as_of": as_of, "horizon_days": 365, "from": EARLIEST}),  # the cards, the simulator
    ]
