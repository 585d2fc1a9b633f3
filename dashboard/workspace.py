"""Changes to the workspace and what follows them, in one order: write, then refresh.

The importer, the settings and the schema only write (each change in one transaction, the data version
bumped when figures may move). What is worked out from the data afterwards — health scored ahead, the
results the pages open on kept (results/result_store.py) — is this module's second step, so no lower
module reaches up into the results layer and every caller (the Data page, the command line, the demo)
gets the same order. An import reports how long its commit took and how long until its figures were
ready; ``wait=False`` returns after the commit (whoever opens the data next computes what is not kept).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dashboard import auth, settings
from dashboard.db import Database, DatabaseError
from dashboard.imports import importer
from dashboard.results import result_store

log = logging.getLogger(__name__)


def refresh(db: Database, *, work_ahead: bool = True, progress: result_store.Progress | None = None) -> bool:
    """Bring what is kept up to date with the committed data: drop what the change made stale and, for
    large data, keep the pages' first views again (only those whose inputs changed are computed). False
    when that failed (logged): the change stands, and the pages compute what is not kept on their visit."""
    try:
        with db.held():  # one open of the file for the refresh's many short reads and writes
            return result_store.prepare_after_commit(db, work_ahead=work_ahead, progress=progress)
    except DatabaseError:  # the file stayed busy (another process's long write) past our patience
        log.exception("the pages' first views were not prepared after the change")
        return False


@dataclass
class Refresh:
    """A refresh running in this process for one data version, and how far it is."""
    version: int
    fraction: float = 0.0
    done: bool = False
    finished: float = 0.0  # time.monotonic() when it ended
    thread: threading.Thread | None = field(default=None, repr=False)

    def wait(self, seconds: float | None = None) -> bool:
        if self.thread is not None:
            self.thread.join(seconds)
        return self.done


_refreshes: dict[str, Refresh] = {}
_refreshes_lock = threading.Lock()
RETRY_SECONDS = 30.0  # a refresh that ended with its version still pending (it failed) is tried again after this


def pending_refresh(db: Database) -> Refresh | None:
    """The refresh of the newest data version when an import committed without it (``--no-wait``):
    started here, in a thread of this process, the first time anyone asks (one per database and version);
    its progress while it runs; None when the kept results are those of the newest data."""
    version = None if db.read_only else result_store.pending(db)
    with _refreshes_lock:
        running = _refreshes.get(str(db.path))
        if version is None:
            return running if running is not None and not running.done else None
        if running is not None and not running.done:
            return running  # this version's, or an earlier one's still running (it leaves this one pending)
        if running is not None and running.version == version and time.monotonic() - running.finished < RETRY_SECONDS:
            return None  # it ended and the version is still pending: it failed (logged); pages compute meanwhile
        state = Refresh(version)

        def work() -> None:
            def progress(fraction: float, step: str) -> None:
                state.fraction = fraction
            try:
                refresh(db, progress=progress)
            finally:
                state.finished, state.done = time.monotonic(), True

        state.thread = threading.Thread(target=work, name=f"refresh-{version}", daemon=True)
        _refreshes[str(db.path)] = state
        state.thread.start()
        return state


def _timed(change, db: Database, wait: bool, progress: importer.Progress | None) -> dict:
    started = time.monotonic()
    result = change()
    committed = time.monotonic()
    # an unchanged import is ready when nothing is pending (an earlier --no-wait import may have left a refresh)
    ready = result["unchanged"] and (db.read_only or result_store.pending(db) is None)
    if wait and not ready:
        if progress:
            progress(0.9, "preparing")
        ready = refresh(db)
    result["commit_seconds"] = round(committed - started, 3)
    result["ready"] = ready  # False: --no-wait, or the refresh failed (logged); the pages compute on their visit
    result["ready_seconds"] = round(time.monotonic() - started, 3) if ready else None
    return result


def import_file(db: Database, path: str | Path, dataset: str, *, by: auth.User, wait: bool = True,
                progress: importer.Progress | None = None, **options: Any) -> dict:
    """Import a file as a new snapshot of ``dataset`` (importer.import_file), then refresh."""
    return _timed(lambda: importer.import_file(db, path, dataset, by=by, progress=progress, **options),
                  db, wait, progress)


def commit(db: Database, plan: importer.ImportPlan, *, by: auth.User, wait: bool = True,
           progress: importer.Progress | None = None, **options: Any) -> dict:
    """Commit a staged import the user has confirmed (the Data page), then refresh."""
    return _timed(lambda: importer.commit(db, plan, by=by, progress=progress, **options), db, wait, progress)


def restore(db: Database, snapshot_id: int, *, by: auth.User) -> str:
    """Make an earlier snapshot current again, then refresh."""
    dataset = importer.restore(db, snapshot_id, by=by)
    refresh(db)
    return dataset


def put_setting(db: Database, key: str, value: Any, *, by: auth.User) -> None:
    """Change a workspace setting, then refresh: a setting figures read (health, tier rule, fiscal year,
    engine, and the currency billing exports are converted into) has the pages' views kept again; any other
    leaves every kept result as it is."""
    settings.put(db, key, value, by=by)
    refresh(db, work_ahead=key in settings.FIGURE_SETTINGS)
