"""Health scores kept in the database, so a page reads them instead of scoring again.

Scoring health reads every usage value in each account's trailing window: at the benchmark's M size
(30M stored usage values) that is several seconds per day scored, on every cold page run. The scores
depend only on the data (the current snapshots), the health configuration, the as-of day (which
accounts are customers) and the day scored, never on the account filters (a filter selects accounts,
it never re-ranks them). So each (data, configuration, as-of day, day) is scored once, in a short write,
and kept (``kept_health_parts``, ``kept_health_scores``); every result that reads health then reads those rows.

- ``ensure`` scores the days not kept yet (all of them in one pass over usage) and says which rows to read.
  A score is made of parts, the measures of one dataset each (usage, touchpoints), kept apart under the
  snapshots that part reads: a touchpoints import scores the contact measure again, not the usage ones.
- ``score_page_days`` scores the days the pages open on, right after an import (``result_store.prepare``),
  so the first visit is fast. Each account's score per day (the sum of its measures' rows) is kept beside
  them (``kept_health_scores``): bands, trends and one account's history read a quarter of the rows.
- Kept rows of data that is no longer current are dropped at the next write, once they are older than
  ``KEEP_STALE``: a page run that began before an import still finds the rows it asked for.
- A read-only database (or one busy with another process's write) scores inside the query itself, as
  before: the same SQL block, the same figures.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from functools import cache
from typing import Any

from dashboard import periods as P
from dashboard import schema
from dashboard.db import Database, DatabaseError

log = logging.getLogger(__name__)

# The parameters of _health.sql that decide a score (besides the days and the as-of day).
CONFIG_PARAMS = ("window_days", "names", "sources", "aggs", "weights", "higher", "methods", "floors", "targets")
KEEP_STALE = dt.timedelta(minutes=10)

# The data a score reads: the current snapshots of these datasets (orders and deals do not move it).
DATA_KEY_SQL = ("SELECT coalesce(string_agg(snapshot_id::VARCHAR, ',' ORDER BY snapshot_id), '') "
                "FROM snapshots WHERE is_current AND dataset IN ('accounts', 'mrr', 'subscriptions', 'invoice_lines', "
                "'fx_rates', 'usage', 'touchpoints')")


@cache
def _scoring_code() -> str:
    """The scoring and combining blocks and the macros they call, once per process: a new formula never reads
    old rows (nor carries them over to new data)."""
    from dashboard.results.runner import sql_text

    return "\n".join([*(sql_text(block) for block in ("_health", "_health_combined", "_health_kept")),
                      schema.schema_hash()])


def config_key(params: dict) -> str:
    """Identifies a health configuration and the code that scores it (a changed formula is a new key)."""
    text = json.dumps({k: params[k] for k in CONFIG_PARAMS}, sort_keys=True, default=str)
    return hashlib.sha256(f"{text}\n{_scoring_code()}".encode()).hexdigest()[:16]


def ensure(db: Database, params: dict, as_of: dt.date, days: list[dt.date]) -> dict[str, Any] | None:
    """Make sure the scores of ``days`` (as of ``as_of``) under the configuration in ``params`` are kept;
    return the parameters that select them (``health_data``, ``health_key``, and ``health_parts``: the parts
    _health_kept.sql combines under the weights), or None when the scores
    cannot be kept (a read-only database): the caller then scores inside its own query."""
    if db.read_only or not days or not params.get("names"):
        return None
    key = config_key(params)
    wanted = sorted(set(days))

    def missing(con) -> tuple[str, dict[str, tuple[str, str, dict]], list[dt.date]]:
        data = con.execute(DATA_KEY_SQL).fetchone()[0]
        have = {r[0] for r in con.execute(
            "SELECT day FROM kept_health_days WHERE data_key = ? AND config_key = ? AND as_of = ?",
            [data, key, as_of]).fetchall()}
        return data, _parts(con, params), [d for d in wanted if d not in have]

    data, parts, todo = db.read(missing)
    if todo:
        try:
            data, parts = db.write(lambda con: _score_and_keep(con, params, key, as_of, missing))
        except DatabaseError as exc:  # busy with another process's import, a full disk: score in the query
            log.warning("health scores were not kept: %s", exc.message("en"))
            return None
    return {"health_data": data, "health_key": key, "health_parts": [k for k, _, _ in parts.values()]}


# The datasets each part of a score reads besides its own: who is a customer on a day (spells).
_CUSTOMERS = ("accounts", *schema.MRR_SOURCES)
PART_DATA_SQL = ("SELECT coalesce(string_agg(snapshot_id::VARCHAR, ',' ORDER BY snapshot_id), '') "
                 "FROM snapshots WHERE is_current AND list_contains($datasets::VARCHAR[], dataset)")


def _part_data(con, source: str) -> str:
    """The current snapshots a part scored from ``source`` reads: the customers' and its own dataset's."""
    return con.execute(PART_DATA_SQL, {"datasets": [*_CUSTOMERS, source]}).fetchone()[0]


def _parts(con, params: dict) -> dict[str, tuple[str, str, dict]]:
    """The parts of a score under ``params``: source -> (its key, its data, its bound measure lists). A
    part's key is its measures' definitions (weights left out: a raw value and its percentile do not
    depend on them), the scoring code and the current snapshots of what it reads (its data)."""
    out = {}
    for source in dict.fromkeys(params["sources"]):
        keep = [i for i, s in enumerate(params["sources"]) if s == source]
        own = {k: ([params[k][i] for i in keep] if isinstance(params[k], list) else params[k]) for k in CONFIG_PARAMS}
        own["weights"] = [1.0] * len(keep)  # scored with unit weights: the part's weight column says "has data"
        data = _part_data(con, source)
        out[source] = (_part_key(source, data, own), data, own)
    return out


def _part_key(source: str, data: str, own: dict) -> str:
    return hashlib.sha256(f"{source}\n{data}\n{config_key(own)}".encode()).hexdigest()[:16]


def _score_and_keep(con, params: dict, key: str, as_of: dt.date, missing) -> tuple[str, dict]:
    """Score the days ``missing`` says are not kept: each part (the usage measures, the contact measure)
    only where its own inputs changed, then each account's score per day, the parts combined under this
    configuration's weights (_health_kept.sql: the measure rows are combined when read, not kept again).
    After an append, the days before its first new row are carried over from what was kept before it."""
    from dashboard.results.runner import sql_text

    data, parts, todo = missing(con)  # again inside the write: another session may have kept them meanwhile
    if not todo:
        return data, parts
    now = dt.datetime.now()
    part_keys = [k for k, _, _ in parts.values()]
    # carried over first: what was kept before the append may be old enough to be dropped below
    appends = _appends(con)
    to_score = {}
    for source, (part, part_data, own) in parts.items():
        have = {r[0] for r in con.execute("SELECT day FROM kept_health_part_days WHERE part_key = ? AND as_of = ?",
                                          [part, as_of]).fetchall()}
        days = [d for d in todo if d not in have]
        carried = _carry_part(con, source, appends.get(source), part, part_data, own, as_of, days, now) if days else []
        to_score[source] = [d for d in days if d not in carried]
        if days:
            log.info("health part %s: %d days scored, %d carried over", source, len(days) - len(carried), len(carried))
    scores_carried = _carry_scores(con, appends, data, key, as_of, todo, now)
    combined = [d for d in todo if d not in scores_carried]
    log.info("health scores: %d days combined, %d carried over", len(combined), len(scores_carried))
    stale = ("SELECT data_key, config_key, as_of, day FROM kept_health_days WHERE data_key <> $data "
             "AND kept_at < $before")
    when = {"data": data, "before": now - KEEP_STALE}
    con.execute(f"DELETE FROM kept_health_scores WHERE (data_key, config_key, as_of, day) IN ({stale})", when)  # noqa: S608
    con.execute("DELETE FROM kept_health_days WHERE data_key <> $data AND kept_at < $before", when)
    # parts of data no longer current (any configuration's: another one's parts of current data stay)
    current = {"current": [f"{source}\n{_part_data(con, source)}" for source in ("usage", "touchpoints")],
               "before": now - KEEP_STALE}
    old = ("SELECT part_key, as_of, day FROM kept_health_part_days "
           "WHERE NOT list_contains($current, source || chr(10) || data) AND kept_at < $before")
    con.execute(f"DELETE FROM kept_health_parts WHERE (part_key, as_of, day) IN ({old})", current)  # noqa: S608
    con.execute("DELETE FROM kept_health_part_days "
                "WHERE NOT list_contains($current, source || chr(10) || data) AND kept_at < $before", current)
    for source, (part, part_data, own) in parts.items():
        days = to_score[source]
        if not days:
            continue
        con.execute(
            "INSERT INTO kept_health_parts SELECT $part, $as_of, day, account_id, measure, source, raw, "  # noqa: S608
            f"measure_score, weight FROM ({sql_text('_health')})",  # our own SQL file, values bound
            own | {"as_of": as_of, "days": days, "part": part})
        con.executemany("INSERT INTO kept_health_part_days VALUES (?, ?, ?, ?, ?, ?)",
                        [[part, source, part_data, as_of, d, now] for d in days])
    # the parts now read by this combination live as long as it does: stale rows are dropped by their kept_at
    # (10 minutes after data stops being current), and a combination's must not outlive its parts'
    con.execute("UPDATE kept_health_part_days SET kept_at = $now WHERE list_contains($parts, part_key) "
                "AND as_of = $as_of AND day IN (SELECT unnest($days::DATE[]))",
                {"now": now, "parts": part_keys, "as_of": as_of, "days": todo})
    if combined:
        con.execute(
            "INSERT INTO kept_health_scores SELECT $kept_data, $kept_key, $as_of, day, account_id, score "  # noqa: S608
            f"FROM ({sql_text('_health_combined')})",
            {"kept_data": data, "kept_key": key, "as_of": as_of, "days": combined, "health_parts": part_keys,
             "names": params["names"], "weights": [float(w) for w in params["weights"]]})  # our own SQL, values bound
        con.executemany("INSERT INTO kept_health_days VALUES (?, ?, ?, ?, ?)",
                        [[data, key, as_of, d, now] for d in combined])
    return data, parts


def _appends(con) -> dict[str, tuple[int, int, dt.date | None]]:
    """The health datasets whose current snapshot appended rows to the one before it: dataset -> (its
    snapshot, the one before, the first day of the appended rows; None: no rows). A part's or a score's rows
    of a day depend only on its datasets' rows up to that day, so the rows kept for the days before the first
    appended one are the same before and after the append."""
    out = {}
    for dataset, new, parent in con.execute(
            "SELECT dataset, snapshot_id, parent_id FROM snapshots WHERE is_current AND mode = 'append' "
            "AND parent_id IS NOT NULL AND dataset IN ('usage', 'touchpoints')").fetchall():
        first = con.execute(f'SELECT min(date) FROM "{dataset}" WHERE snapshot_id = ?', [new]).fetchone()[0]  # noqa: S608 (usage or touchpoints)
        out[dataset] = (new, parent, first)
    return out


def _carried_days(data: str, append: tuple[int, int, dt.date | None] | None, days: list[dt.date],
                  kept_before) -> tuple[str, list[dt.date]]:
    """The ``data`` (snapshot ids) as it read before ``append``, and which of ``days`` can be carried over
    from what was kept under it (``kept_before(old_data)``: its kept days); ('', []) when none can."""
    ids = {int(i) for i in data.split(",") if i}
    if append is None or append[0] not in ids:
        return "", []
    new, parent, first = append
    old_data = ",".join(str(i) for i in sorted(ids - {new} | {parent}))
    kept = kept_before(old_data)
    return old_data, [d for d in days if d in kept and (first is None or d < first)]


def _carry_part(con, source: str, append, part: str, part_data: str, own: dict, as_of: dt.date,
                days: list[dt.date], now: dt.datetime) -> list[dt.date]:
    """Keep under ``part`` the rows of the ``days`` before an append's first new row (of its own dataset)
    as they were kept for the snapshot before it; return those days."""
    def kept_before(old_data: str) -> set:
        old = _part_key(source, old_data, own)
        return {r[0] for r in con.execute("SELECT day FROM kept_health_part_days WHERE part_key = ? AND as_of = ?",
                                          [old, as_of]).fetchall()}
    old_data, carry = _carried_days(part_data, append, days, kept_before)
    if carry:
        con.execute("INSERT INTO kept_health_parts SELECT $part, as_of, day, account_id, measure, source, raw, "
                    "measure_score, has_data FROM kept_health_parts WHERE part_key = $old AND as_of = $as_of "
                    "AND day IN (SELECT unnest($days::DATE[]))",
                    {"part": part, "old": _part_key(source, old_data, own), "as_of": as_of, "days": carry})
        con.executemany("INSERT INTO kept_health_part_days VALUES (?, ?, ?, ?, ?, ?)",
                        [[part, source, part_data, as_of, d, now] for d in carry])
    return carry


def _carry_scores(con, appends: dict, data: str, key: str, as_of: dt.date, days: list[dt.date],
                  now: dt.datetime) -> list[dt.date]:
    """The same for each account's score per day: the days before an append's first new row (of usage or
    touchpoints: whichever is the newer, its parent is what was kept) keep the scores kept for the data before
    it; return those days."""
    def kept_before(old_data: str) -> set:
        return {r[0] for r in con.execute("SELECT day FROM kept_health_days WHERE data_key = ? AND config_key = ? "
                                          "AND as_of = ?", [old_data, key, as_of]).fetchall()}
    for append in appends.values():
        old_data, carry = _carried_days(data, append, days, kept_before)
        if carry:
            con.execute("INSERT INTO kept_health_scores SELECT $data, config_key, as_of, day, account_id, score "
                        "FROM kept_health_scores WHERE data_key = $old AND config_key = $key AND as_of = $as_of "
                        "AND day IN (SELECT unnest($days::DATE[]))",
                        {"data": data, "old": old_data, "key": key, "as_of": as_of, "days": carry})
            con.executemany("INSERT INTO kept_health_days VALUES (?, ?, ?, ?, ?)",
                            [[data, key, as_of, d, now] for d in carry])
            return carry
    return []


def page_days(as_of: dt.date, first: dt.date | None, config: dict) -> dict[dt.date, list[dt.date]]:
    """The (as-of day -> days) the pages score when opened on ``as_of`` with the default period: the
    account list and its change (as_of and as_of - compare days), the KPI cards' previous month end, the
    band trend's month ends over the last year, and the validation's past days."""
    from dashboard.periods import month_ends, validation_days

    start = P.default_start(as_of, first)
    prev = as_of.replace(day=1) - dt.timedelta(days=1)
    own = {as_of, as_of - dt.timedelta(days=int(config.get("compare_days", 30)))}
    own |= set(month_ends(min(start, as_of), as_of)) | set(validation_days(as_of))
    return {as_of: sorted(own), prev: [prev]}


def score_page_days(db: Database, as_of: dt.date, first: dt.date | None) -> int:
    """Score and keep the days the pages open on (``result_store.prepare`` calls this right after an
    import); returns how many days are kept for them."""
    from dashboard.results import runner

    config = runner.health_config(db)
    if not [m for m in config["measures"] if m.get("weight", 0) > 0]:
        return 0
    scored = 0
    for day, days in page_days(as_of, first, config).items():
        params = runner.health_params(config, day)
        if ensure(db, params, day, days) is not None:
            scored += len(days)
    return scored
