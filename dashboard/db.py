"""The one owner of the DuckDB file: reads, writes, schema, data version.

Design (after datasette's database.py):
- Nobody else imports duckdb to open the file. Pages and the CLI hand this class a function to run.
- The file is held only while a read or a write runs. DuckDB lets one process at a time open a file
  for writing, and a scheduled ``python -m dashboard import`` while the app is running is a normal day:
  each side waits (with back-off) for the other's short lock instead of failing.
- Inside a process there is one DuckDB instance per file, shared by every call that runs at the same
  time: each call gets its own cursor of it (never a shared connection). In the app the instance stays
  open for a moment after the last call ends (``linger``), so the dozen queries of one page run reuse
  it and its cache instead of opening the file a dozen times; elsewhere it closes with the last call. Another process that needs the file for
  writing (a scheduled import) leaves a ``<db>.write-wanted`` note while it waits: on seeing it, this
  process lets go as soon as its running calls end and starts no new call until the writer has the
  file, so an import gets in even while many sessions keep the app busy. Opening and closing happen under one process-wide lock, because DuckDB's
  instance cache races when one thread attaches a file while another detaches it ("Unique file handle
  conflict"). Writes are serialised and each runs in one transaction; a committed write bumps
  ``data_version``, which keys every cached result.
- Faults of the file itself (a folder, a CSV, a corrupt or truncated file, a read-only file or
  folder, a full disk) become a ``DatabaseError`` whose message says what to do. A read-only file
  is opened read-only: every page and report works, writes are refused with that message.
- DuckDB's lock on the file is a POSIX record lock, and POSIX drops every lock a process holds on a file
  as soon as that process closes *any* descriptor of it. So this process never opens the database file
  (or its WAL) with a plain ``open()`` while DuckDB holds it: the backup copy is made by a child process,
  the header check reads only a file no DuckDB instance of this process has open, and a restore takes the
  lock itself before it moves the file (see ``holds``).
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import errno
import hashlib
import logging
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import duckdb

try:
    import fcntl
except ImportError:  # not POSIX: no record locks to drop or take
    fcntl = None  # type: ignore[assignment]

from dashboard import auth, frames, schema
from dashboard.errors import Explained

T = TypeVar("T")
log = logging.getLogger(__name__)

DEFAULT_DB = Path(__file__).resolve().parent.parent / "data" / "dashboard.duckdb"
ENV_DB = "DASHBOARD_DB"
ENV_MEMORY = "DASHBOARD_MEMORY_MB"
ENV_THREADS = "DASHBOARD_THREADS"
APP_LINGER_SECONDS = 2.0  # how long the app keeps an idle instance open (a page run's queries reuse it)
# Bytes 8..12 of every DuckDB database file.
DUCKDB_MAGIC = b"DUCK"


class DatabaseError(Explained, RuntimeError):
    """A problem with the database file itself; ``message(lang)`` says what happened and what to do."""


class DatabaseBusy(DatabaseError):
    """Another process held the database file for longer than we were willing to wait."""

    def __init__(self, path: object, seconds: float = 60.0):
        super().__init__("db_busy", path=path, seconds=f"{seconds:.0f}")


# ASOF joins always by sort-merge: DuckDB picks a nested loop when it estimates the left side under 64 rows,
# and after unnest/generate_series its estimate can be 35 where there are 900k (the renewal rates at M took
# 327 s in a nested loop, under 2 s without).
CONNECTION_SETTINGS = {"asof_loop_join_threshold": 0}


def memory_limit() -> str:
    """DuckDB's memory limit for the dashboard's database ($DASHBOARD_MEMORY_MB, default 2 GB): past it,
    large imports and queries spill to disk instead of growing with the data."""
    try:
        mb = int(os.environ.get(ENV_MEMORY) or 2048)
    except ValueError:
        mb = 2048
    return f"{max(mb, 256)}MB"


def thread_limit() -> dict:
    """DuckDB's threads when $DASHBOARD_THREADS says ({} otherwise: DuckDB's default, one per core), for the
    dashboard's database and an import's stage. The test suite's fast lane runs three workers of one thread
    each. The small in-memory connections that summarise a fetched result (runner's derived results, the
    Spark engine's) keep DuckDB's default."""
    try:
        threads = int(os.environ.get(ENV_THREADS) or 0)
    except ValueError:
        threads = 0
    return {"threads": threads} if threads > 0 else {}


def limits() -> dict:
    """DuckDB's limits on the dashboard's database: its memory limit and threads."""
    return {"memory_limit": memory_limit(), **thread_limit()}


def default_path() -> Path:
    return Path(os.environ.get(ENV_DB) or DEFAULT_DB)


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text or "database is locked" in text


def _is_disk_full(exc: BaseException) -> bool:
    text = str(exc)
    return "No space left on device" in text or "File too large" in text or (
        isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT))


def _is_read_only_error(exc: BaseException) -> bool:
    text = str(exc)
    return "Read-only file system" in text or "Permission denied" in text or "read-only mode" in text


_ALIAS = re.compile(r"stage_[0-9a-f]{12}")
# What DuckDB says when a block of the file cannot be read back as written.
_DAMAGE_SIGNS = ("corrupt", "checksum", "could not read enough bytes", "not a valid duckdb",
                 "serialization error", "failed to load metadata pointer", "invalid block")


class StoreDamaged(RuntimeError):
    """The file's own bookkeeping read back wrong (a data version that is no number): raised inside a read
    or write, and turned into the "damaged, restore from the last good state" advice like DuckDB's own
    corruption errors."""


def version_in(con: duckdb.DuckDBPyConnection) -> int:
    """The data version stored in this connection's file; StoreDamaged when it is missing or no number."""
    row = con.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()
    text = row[0] if row else None
    if not isinstance(text, str) or not text.isascii() or not text.isdigit():
        raise StoreDamaged(f"data_version reads {text!r}")
    return int(text)


@dataclass
class _Instance:
    """The DuckDB instance of one file in this process, shared by the calls running at the moment."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    root: duckdb.DuckDBPyConnection | None = None
    users: int = 0
    read_only: bool = False
    idle_since: int = 0  # bumped whenever the instance becomes idle; a linger timer closes only its own
    holders: dict[int, int] = field(default_factory=dict)  # thread id -> its holds (Database.held)


_INSTANCES: dict[str, _Instance] = {}
_INSTANCES_LOCK = threading.Lock()


def _instance(path: Path) -> _Instance:
    key = str(path.resolve())
    with _INSTANCES_LOCK:
        return _INSTANCES.setdefault(key, _Instance())


_exiting = threading.Event()


@atexit.register
def _close_all_at_exit() -> None:
    """Close every idle instance in the exiting thread, and keep linger timers away from DuckDB from now on.
    A daemon timer thread inside DuckDB's C++ code (closing a lingering instance) when the interpreter
    finalizes is ended by a forced unwind, which aborts the whole process ("terminate called after
    throwing an instance of '' / FATAL: exception not rethrown", duckdb/duckdb#13904): a test run that
    passed could exit with SIGABRT."""
    _exiting.set()
    with _INSTANCES_LOCK:
        instances = list(_INSTANCES.values())
    for shared in instances:
        with shared.lock:  # a timer closing right now holds it: wait for it to finish
            if shared.users or shared.root is None:
                continue
            root, shared.root = shared.root, None
        with contextlib.suppress(duckdb.Error):
            root.close()
        del root


def holds(path: Path) -> bool:
    """Whether a DuckDB instance of this process has ``path`` open (then nothing here may open() it)."""
    return _instance(path).root is not None


def check_file(path: Path) -> None:
    """Refuse, with advice, a path that cannot be this product's database (before DuckDB sees it).
    The header is read only while no DuckDB instance of this process holds the file (under the instance
    lock, so none opens it meanwhile): closing the descriptor would drop DuckDB's lock. A file DuckDB has
    open here is a DuckDB file already."""
    if path.is_dir():
        raise DatabaseError("db_is_folder", path=path)
    if not path.exists():
        folder = path.parent
        if folder.exists() and not folder.is_dir():
            raise DatabaseError("db_is_folder", path=folder)
        return
    shared = _instance(path)
    with shared.lock:
        if shared.root is not None:
            return
        try:
            with path.open("rb") as fh:
                head = fh.read(12)
        except OSError as exc:
            raise DatabaseError("db_unreadable", path=path, detail=exc.strerror or str(exc)) from exc
    if len(head) == 0:
        return  # an empty file (e.g. made by touch) becomes a new database
    if len(head) < 12 or head[8:12] != DUCKDB_MAGIC:
        if backup_path(path).exists():  # ours, with a good copy beside it: damaged, not a stray CSV
            raise _damaged(path, "the file header is not DuckDB's")
        raise DatabaseError("db_not_duckdb", path=path)


def backup_path(path: Path) -> Path:
    """The automatic copy of the last good state, beside the database (made after every import/restore)."""
    return path.with_name(path.name + ".last-good")


def backup_time(path: Path) -> str | None:
    """When the last good state was saved (local time, minutes), or None without a backup."""
    try:
        return dt.datetime.fromtimestamp(backup_path(path).stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    except OSError:
        return None


def _damaged(path: Path, detail: str) -> DatabaseError:
    """The error for a damaged file: with the backup's time and how to restore it, when there is one."""
    when = backup_time(path)
    if when:
        return DatabaseError("db_corrupt_backup", path=path, detail=detail, when=when)
    return DatabaseError("db_corrupt", path=path, detail=detail)


def restore_backup(path: str | os.PathLike[str], *, by: auth.User) -> Path:
    """Put the last good state back in place of a damaged database (editors only). The damaged file (and
    its WAL) is kept beside it as ``<db>.damaged-<time>``, never deleted. Returns where it was kept."""
    auth.require_editor(by)
    path = Path(path)
    source = backup_path(path)
    if not source.exists():
        raise DatabaseError("db_no_backup", path=path)
    shared = _instance(path)
    with shared.lock:
        if shared.users:
            raise DatabaseBusy(path, 0)
        if shared.root is not None:
            with contextlib.suppress(duckdb.Error):
                shared.root.close()
            shared.root = None
        # No DuckDB instance of this process holds the file now (and none opens it: we hold the lock), so
        # we may open it, and must: another process (a scheduled import) may hold it, and moving the file
        # from under a writer would lose what it writes. The lock DuckDB takes is the one taken here.
        with _file_lock(path):
            kept = path.with_name(f"{path.name}.damaged-{dt.datetime.now():%Y%m%d%H%M%S}")
            tmp = path.with_name(path.name + ".restoring")
            shutil.copyfile(source, tmp)  # the backup: no process holds it (see _save_last_good)
            if path.exists():
                os.replace(path, kept)
            wal = path.with_name(path.name + ".wal")
            if wal.exists():
                os.replace(wal, kept.with_name(kept.name + ".wal"))
            os.replace(tmp, path)
    return kept


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Hold the POSIX write lock DuckDB takes on ``path`` (only when no DuckDB instance of this process
    has it open); DatabaseBusy when another process holds it."""
    if fcntl is None or not path.exists():
        yield
        return
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:  # unreadable or read-only: the restore's own copy step reports it
        yield
        return
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EAGAIN):
                raise DatabaseBusy(path, 0) from exc
            raise
        yield
    finally:
        os.close(fd)  # releases the lock taken above


_COPY_CODE = ("import shutil, sys\n"
              "args = sys.argv[1:]\n"
              "for source, target in zip(args[::2], args[1::2]): shutil.copyfile(source, target)\n")


def _copy_in_child(pairs: list[tuple[Path, Path]]) -> None:
    """Copy files in a child process: its descriptors and their closing are its own, so the locks this
    process holds on them stay held (POSIX record locks belong to a process)."""
    args = [str(p) for pair in pairs for p in pair]
    done = subprocess.run([sys.executable, "-I", "-S", "-c", _COPY_CODE, *args], capture_output=True, text=True,
                          timeout=3600, check=False)
    if done.returncode:
        raise OSError((done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1])


def _writable(path: Path) -> bool:
    """Whether this process may write the database file (and its WAL beside it)."""
    folder = path.parent
    if path.exists():
        return os.access(path, os.W_OK) and os.access(folder, os.W_OK)
    return os.access(folder, os.W_OK)


class Database:
    """The dashboard's DuckDB database file."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, wait_seconds: float = 60.0,
                 read_only: bool | None = None, linger: float = 0.0):
        self.path = Path(path) if path is not None else default_path()
        self.wait_seconds = wait_seconds
        self.linger = linger
        self._noted = False  # this object left a write-wanted note while waiting for the file
        check_file(self.path)
        if not self.path.exists():
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError("db_folder_read_only", path=self.path.parent) from exc
            if not _writable(self.path):
                raise DatabaseError("db_folder_read_only", path=self.path.parent)
        self.read_only = (not _writable(self.path)) if read_only is None else read_only
        self._shared = _instance(self.path)
        if not self.read_only:
            try:
                if self.read(schema.needs_migration):  # a current file is opened without writing
                    self.write(schema.migrate)
                return
            except DatabaseError as exc:
                if exc.key != "db_read_only":
                    raise
                self.read_only = True  # the file system refused a write that os.access allowed
        self.read(self._check_schema)

    def _check_schema(self, con: duckdb.DuckDBPyConnection) -> None:
        if schema.needs_migration(con):
            raise DatabaseError("db_needs_write", path=self.path)

    # -- connections -------------------------------------------------------------------------------
    def _open(self) -> duckdb.DuckDBPyConnection:
        """Open the file (the caller holds the instance lock); wait out another process's lock."""
        deadline = time.monotonic() + self.wait_seconds
        delay = 0.02
        while True:
            try:
                con = duckdb.connect(str(self.path), read_only=self.read_only,
                                     config=CONNECTION_SETTINGS | limits())
            except duckdb.Error as exc:
                transient = _is_lock_error(exc) or "Unique file handle conflict" in str(exc)
                if not transient or time.monotonic() > deadline:
                    self._withdraw_note()
                    raise self._translate(exc, opening=True) from exc
                if not self.read_only and _is_lock_error(exc):
                    self._leave_note()  # ask the process holding the file to let go (see _connect)
                time.sleep(delay + random.random() * delay)
                delay = min(delay * 2, 0.5)
            else:
                self._withdraw_note()
                return con

    def _leave_note(self) -> None:
        with contextlib.suppress(OSError):  # touched on every retry: another waiter may have removed it
            self._wanted_path.touch()
            self._noted = True

    def _withdraw_note(self) -> None:
        if self._noted:
            with contextlib.suppress(OSError):
                self._wanted_path.unlink()
            self._noted = False

    def _translate(self, exc: BaseException, *, opening: bool = False) -> BaseException:
        """The DatabaseError a user can act on for a fault of the file; else the error itself."""
        if isinstance(exc, DatabaseError):
            return exc
        if isinstance(exc, StoreDamaged):
            return _damaged(self.path, str(exc))
        if _is_lock_error(exc):
            return DatabaseBusy(self.path, self.wait_seconds)
        if _is_disk_full(exc):
            return DatabaseError("db_disk_full", path=self.path.parent)
        if _is_read_only_error(exc):
            return DatabaseError("db_read_only", path=self.path)
        text = str(exc)
        if "different configuration than existing connections" in text:  # this process holds it otherwise
            return exc  # a fault of the code, not of the file: never advise moving a good file aside
        if isinstance(exc, duckdb.Error) and (opening or any(sign in text.lower() for sign in _DAMAGE_SIGNS)):
            detail = text.strip().splitlines()[0][:200] if text.strip() else type(exc).__name__
            return _damaged(self.path, detail)
        return exc

    @property
    def _wanted_path(self) -> Path:
        return self.path.with_name(self.path.name + ".write-wanted")

    def _write_wanted(self) -> bool:
        """Whether another process is waiting to write this file (a note younger than its patience)."""
        try:
            age = time.time() - self._wanted_path.stat().st_mtime
        except OSError:
            return False
        return age < self.wait_seconds + 5

    def _close_idle(self, shared: _Instance, generation: int | None = None) -> None:
        """Close the instance if no call uses it (and, for a linger timer, it has stayed idle since)."""
        if generation is not None and _exiting.is_set():  # a timer at exit: _close_all_at_exit closes
            return
        with shared.lock:
            if shared.users == 0 and shared.root is not None and generation in (None, shared.idle_since):
                root, shared.root = shared.root, None
                with contextlib.suppress(duckdb.Error):
                    root.close()  # let go of the file, so another process may write
                del root  # its C++ destructor runs now, under the lock _close_all_at_exit waits for

    @contextlib.contextmanager
    def held(self) -> Iterator[Database]:
        """Keep the file open across the calls inside (a refresh: a hundred reads and writes), instead of
        opening and closing it for each (30-50 ms apiece on a large file). A hold is a user of the file
        without a connection of its own: when another process asks to write (its write-wanted note), the
        next call of the holding thread lets go of the hold, waits for the writer as any call does, and
        takes the hold again, so the writer gets in between two calls as it did without the hold."""
        shared = self._shared
        me = threading.get_ident()
        self._take(shared)
        with shared.lock:
            shared.holders[me] = shared.holders.get(me, 0) + 1
        try:
            yield self
        finally:
            with shared.lock:
                holding = shared.holders.get(me, 0)
                if holding > 1:
                    shared.holders[me] = holding - 1
                else:
                    shared.holders.pop(me, None)
            if holding:
                self._let_go(shared)

    def release(self) -> None:
        """Let go of the file now if no call is running (instead of after the linger)."""
        self._close_idle(self._shared)

    def _take(self, shared: _Instance) -> None:
        with shared.lock:
            if shared.root is None:
                shared.root = self._open()
            shared.users += 1

    def _let_go(self, shared: _Instance) -> None:
        with shared.lock:
            shared.users -= 1
            idle = shared.users == 0
            if idle:
                shared.idle_since += 1
                generation = shared.idle_since
        if idle:
            if self._write_wanted() or self.linger <= 0:
                self._close_idle(shared)
            else:
                timer = threading.Timer(self.linger, self._close_idle, (shared, generation))
                timer.daemon = True
                timer.start()

    def _wait_for_writer(self, shared: _Instance) -> None:
        """Another process waits to write: let it in before starting anything new (close the file as soon as
        no call uses it, and wait until its note is gone, at most our own patience)."""
        deadline = time.monotonic() + self.wait_seconds
        self._close_idle(shared)
        while self._write_wanted() and time.monotonic() < deadline:
            time.sleep(0.02)
            self._close_idle(shared)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        shared = self._shared
        if self._write_wanted():
            me = threading.get_ident()
            with shared.lock:
                holds = shared.holders.pop(me, 0)  # this thread's holds: given up while the writer writes
                shared.users -= holds
            try:
                self._wait_for_writer(shared)
            finally:
                if holds:  # taken again (a failed open leaves them given up: held's end then lets go of nothing)
                    with shared.lock:
                        if shared.root is None:
                            shared.root = self._open()
                        shared.users += holds
                        shared.holders[me] = holds
        with shared.lock:
            if shared.root is None:
                shared.root = self._open()
            cursor = shared.root.cursor()
            shared.users += 1
        try:
            yield cursor
        finally:
            with contextlib.suppress(duckdb.Error):
                cursor.close()
            self._let_go(shared)

    def read(self, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run ``fn(connection)`` for reading; the connection is this call's own."""
        with self._connect() as con:
            try:
                return fn(con)
            except (duckdb.Error, StoreDamaged) as exc:
                translated = self._translate(exc)
                if translated is exc:
                    raise
                raise translated from exc

    def query(self, sql: str, params: dict[str, Any] | list[Any] | None = None):
        """Run one SELECT with bound parameters and return a pandas DataFrame (through Arrow: frames.py)."""
        return self.read(lambda con: frames.fetch(con, sql, params))

    def write(self, fn: Callable[[duckdb.DuckDBPyConnection], T], *, bump: bool | Callable[[T], bool] = False,
              attach: dict[str, Path] | None = None, backup: bool = False) -> T:
        """Run ``fn(connection)`` in one transaction; writes are serialised. ``bump`` marks new data: True,
        or a function of ``fn``'s result saying whether it changed anything (an append of rows that are all
        stored already changes nothing: no new data version, no backup).
        ``attach`` names other database files (an import's staging file) to read from, read-only.
        ``backup`` saves the committed state as the last good one (``<db>.last-good``) before the file
        is let go, so no other write slips in between."""
        if self.read_only:
            raise DatabaseError("db_read_only", path=self.path)
        with self._shared.write_lock, self._connect() as con, self._attached(con, attach or {}):
            con.execute("BEGIN TRANSACTION")
            log.debug("write transaction began")  # the recovery tests aim their kills between these two
            try:
                result = fn(con)
                changed = bump(result) if callable(bump) else bump
                if changed:
                    con.execute("UPDATE meta SET value = ? WHERE key = 'data_version'", [str(version_in(con) + 1)])
                con.execute("COMMIT")
                log.debug("write transaction committed")
            except BaseException as exc:
                # A failed commit (a full disk, say) may have ended the transaction already: the
                # rollback must not replace the real error with "no transaction is active".
                with contextlib.suppress(duckdb.Error):
                    con.execute("ROLLBACK")
                translated = self._translate(exc)
                if translated is exc:
                    raise
                raise translated from exc
            if backup and (changed or not bump):
                self._save_last_good()
            return result

    def _save_last_good(self) -> None:
        """Copy the database (and its WAL) as it stands after a commit, fold the WAL in on the copy, check
        the copy opens, then put it in place of the previous backup in one rename. A failure (a full disk)
        keeps the previous backup and never fails the import that was just committed."""
        target = backup_path(self.path)
        for stale in self.path.parent.glob(f".{self.path.name}.backup-*"):  # left by a killed process
            shutil.rmtree(stale, ignore_errors=True)
        work = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.backup-", dir=self.path.parent))
        try:
            copy = work / "copy.duckdb"
            pairs = [(self.path, copy)]
            wal = self.path.with_name(self.path.name + ".wal")
            if wal.exists():  # a stat, not an open
                pairs.append((wal, work / "copy.duckdb.wal"))
            _copy_in_child(pairs)  # never open() the file here: closing it would drop DuckDB's lock
            con = duckdb.connect(str(copy), config=limits())
            try:
                con.execute("CHECKPOINT")
                if schema.needs_migration(con):
                    raise RuntimeError("the copy does not have the current schema")
                con.execute("SELECT count(*) FROM snapshots").fetchone()
            finally:
                con.close()
            os.replace(copy, target)
        except (OSError, duckdb.Error, RuntimeError, subprocess.SubprocessError) as exc:
            log.warning("the last good state was not saved: %s", exc)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def verify(self) -> dict[str, Any]:
        """Read every value of every table back (each column hashed, so every block is loaded and its
        checksum checked) and the data version: what a damaged file fails with the usual advice. Returns
        the data version and each table's rows and content hash."""
        def run(con):
            version = version_in(con)
            tables = {}
            for (name,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = "
                                       "current_database() AND NOT temporary ORDER BY table_name").fetchall():
                quoted = '"' + name.replace('"', '""') + '"'
                row = con.execute(f"SELECT count(*), bit_xor(hash(COLUMNS(*))) FROM {quoted}").fetchone()  # noqa: S608
                tables[name] = {"rows": row[0], "hash": hashlib.sha256(repr(row[1:]).encode()).hexdigest()[:16]}
            return {"data_version": version, "tables": tables}
        return self.read(run)

    @staticmethod
    @contextlib.contextmanager
    def _attached(con: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> Iterator[None]:
        for alias in files:
            if not _ALIAS.fullmatch(alias):
                raise ValueError(f"not an attach alias: {alias!r}")
        done = []
        try:
            for alias, path in files.items():
                con.execute(f"ATTACH ? AS {alias} (READ_ONLY)", [str(path)])
                done.append(alias)
            yield
        finally:
            for alias in done:
                with contextlib.suppress(duckdb.Error):
                    con.execute(f"DETACH {alias}")

    # -- small reads every page needs ----------------------------------------------------------------
    def data_version(self) -> int:
        """A number that changes with every committed import, restore or settings change."""
        return self.read(version_in)

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
