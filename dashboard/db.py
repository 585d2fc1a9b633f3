"""The one owner of the DuckDB file: reads, writes, schema, data version.

Design (after datasette's database.py):
- Nobody else imports duckdb to open the file. Pages and the CLI hand this class a function to run.
- The file is held only while a read or a write runs. DuckDB lets one process at a time open a file
  for writing, and a scheduled ``python -m dashboard import`` while the app is running is a normal day:
  each side waits (with back-off) for the other's short lock instead of failing.
- Inside a process, connections to the same path share one database instance, so every call gets its
  own connection (a cursor per thread, never a shared one). Writes are serialised by a lock and each
  runs in one transaction; a committed write bumps ``data_version``, which keys every cached result.
"""

from __future__ import annotations

import contextlib
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from dashboard import schema

T = TypeVar("T")

DEFAULT_DB = Path(__file__).resolve().parent.parent / "data" / "dashboard.duckdb"
ENV_DB = "DASHBOARD_DB"


class DatabaseBusy(RuntimeError):
    """Another process held the database file for longer than we were willing to wait."""


def default_path() -> Path:
    return Path(os.environ.get(ENV_DB) or DEFAULT_DB)


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text or "database is locked" in text


class Database:
    """The dashboard's DuckDB database file."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, wait_seconds: float = 60.0):
        self.path = Path(path) if path is not None else default_path()
        self.wait_seconds = wait_seconds
        self._write_lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.write(schema.migrate)

    # -- connections -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        deadline = time.monotonic() + self.wait_seconds
        delay = 0.02
        while True:
            try:
                con = duckdb.connect(str(self.path))
                break
            except duckdb.Error as exc:  # the other process holds the file
                if not _is_lock_error(exc) or time.monotonic() > deadline:
                    if _is_lock_error(exc):
                        raise DatabaseBusy(
                            f"{self.path} is held by another process for over {self.wait_seconds:.0f}s"
                        ) from exc
                    raise
                time.sleep(delay + random.random() * delay)
                delay = min(delay * 2, 0.5)
        try:
            yield con
        finally:
            con.close()

    def read(self, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run ``fn(connection)`` for reading; the connection is this call's own."""
        with self._connect() as con:
            return fn(con)

    def query(self, sql: str, params: dict[str, Any] | list[Any] | None = None):
        """Run one SELECT with bound parameters and return a pandas DataFrame."""
        return self.read(lambda con: con.execute(sql, params or {}).df())

    def write(self, fn: Callable[[duckdb.DuckDBPyConnection], T], *, bump: bool = False) -> T:
        """Run ``fn(connection)`` in one transaction; writes are serialised. ``bump`` marks new data."""
        with self._write_lock, self._connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                result = fn(con)
                if bump:
                    con.execute("UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS VARCHAR) "
                                "WHERE key = 'data_version'")
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            return result

    # -- small reads every page needs ----------------------------------------------------------------
    def data_version(self) -> int:
        """A number that changes with every committed import, restore or settings change."""
        return int(self.read(lambda con: con.execute(
            "SELECT value FROM meta WHERE key = 'data_version'").fetchone()[0]))

    def is_empty(self) -> bool:
        return not self.read(lambda con: con.execute(
            "SELECT count(*) FROM snapshots WHERE is_current").fetchone()[0])

    def loaded_datasets(self) -> set[str]:
        rows = self.read(lambda con: con.execute(
            "SELECT DISTINCT dataset FROM snapshots WHERE is_current").fetchall())
        return {r[0] for r in rows}

    def content_fingerprint(self) -> list[tuple]:
        """Every user table's rows, sorted: two equal fingerprints mean equal content (for tests)."""
        def run(con):
            out = []
            for table in schema.ALL_TABLES:
                rows = con.execute(f'SELECT * FROM "{table}"').fetchall()  # noqa: S608 (whitelisted name)
                out.append((table, sorted(map(repr, rows))))
            return out
        return self.read(run)
