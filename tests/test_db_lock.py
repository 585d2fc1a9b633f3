"""DuckDB's lock on the database file holds for as long as this process has the file open, through every
write path: another process is refused the write lock until the writer lets go.

DuckDB's lock is a POSIX record lock, and POSIX drops every lock a process holds on a file as soon as the
process closes *any* descriptor of that file. A plain ``open()`` of the database file in the process that
holds it (a backup copy, a header check) therefore lets a second process (the app, another import) open the
file read-write and corrupt it. Each test here does a write the way the app or the CLI does, keeps the
instance open (as the app's linger does), and asks a second process for the lock.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard import workspace
from dashboard.auth import LOCAL_USER as EDITOR
from dashboard.db import Database, backup_path, holds, restore_backup
from dashboard.imports import importer
from dashboard.results import result_store

ACCOUNTS = "取引先ID,会社名,月額,契約開始日\nA1,株式会社①,\"￥120,000\",2024/4/1\nA2,髙﨑商事,80000,2024/5/1\n"
MRR = "取引先ID,対象月,MRR\nA1,2026/8,120000\nA1,2026/9,120000\nA2,2026/9,80000\n"

# Opens the file read-write in a second process: exit 7 when refused for the lock, 0 when it got in.
_OTHER = """
import sys, duckdb
try:
    duckdb.connect(sys.argv[1]).close()
except duckdb.Error as exc:
    text = str(exc)
    sys.exit(7 if ("Could not set lock" in text or "Conflicting lock" in text) else f"unexpected: {text}")
"""


def other_process_gets_in_while_held(db: Database) -> bool:
    db.is_empty()
    assert holds(db.path)
    return other_process_gets_in(db.path)


def other_process_gets_in(path: Path) -> bool:
    done = subprocess.run([sys.executable, "-c", _OTHER, str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 7), done.stderr
    return done.returncode == 0


@pytest.fixture
def held(tmp_path) -> Database:
    """A loaded database held open by this process the way the app holds it between queries."""
    path = tmp_path / "dash.duckdb"
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    (tmp_path / "mrr.csv").write_text(MRR)
    loader = Database(path)
    workspace.import_file(loader, tmp_path / "accounts.csv", "accounts", by=EDITOR)
    workspace.import_file(loader, tmp_path / "mrr.csv", "mrr", by=EDITOR)
    db = Database(path, linger=600)
    yield db
    db.release()


def _import(db: Database, tmp: Path) -> None:
    (tmp / "more.csv").write_text("取引先ID,会社名,月額,契約開始日\nA3,新規商事,50000,2024/6/1\n")
    workspace.import_file(db, tmp / "more.csv", "accounts", mode="upsert", by=EDITOR)


def _append_again(db: Database, tmp: Path) -> None:
    workspace.import_file(db, tmp / "mrr.csv", "mrr", mode="append", by=EDITOR)


def _settings(db: Database, tmp: Path) -> None:
    workspace.put_setting(db, "fiscal_year_start", 1, by=EDITOR)


def _restore_snapshot(db: Database, tmp: Path) -> None:
    first = int(importer.list_snapshots(db).query("dataset == 'accounts'")["snapshot_id"].min())
    _import(db, tmp)
    workspace.restore(db, first, by=EDITOR)


def _prepare(db: Database, tmp: Path) -> None:
    result_store.prepare(db, force=True)


def _replace(db: Database, tmp: Path) -> None:
    (tmp / "full.csv").write_text("取引先ID,会社名,月額,契約開始日\nA9,別会社,10000,2024/6/1\n")
    workspace.import_file(db, tmp / "full.csv", "accounts", confirm_replace=True, by=EDITOR)


def _restore_backup(db: Database, tmp: Path) -> None:
    # as the app does: the instance is open and idle (lingering) when the editor restores; the restore
    # closes it, moves the file, and the next page run opens the restored file
    assert holds(db.path)
    restore_backup(db.path, by=EDITOR)
    assert not other_process_gets_in_while_held(db)


def _open_again(db: Database, tmp: Path) -> None:
    Database(db.path, linger=600)  # another object for the held file: its header check must not open it


def _check(db: Database, tmp: Path) -> None:
    db.verify()


WRITES = {"import": _import, "append of stored rows": _append_again, "settings": _settings,
          "snapshot restore": _restore_snapshot, "prepare": _prepare, "replace import": _replace,
          "backup restore": _restore_backup, "second Database object": _open_again, "check": _check}


@pytest.mark.parametrize("write", list(WRITES))
def test_another_process_is_refused_the_lock_after_every_write(held, tmp_path, write):
    held.is_empty()  # the instance is open, as between the queries of a page run
    assert holds(held.path)
    assert not other_process_gets_in(held.path)
    WRITES[write](held, tmp_path)
    assert holds(held.path), "the write path let go of the file (the test would prove nothing)"
    assert not other_process_gets_in(held.path), f"the {write} dropped DuckDB's lock on the file"
    held.release()
    assert other_process_gets_in(held.path)  # let go: the other process gets in (the check can pass)


def test_a_plain_copy_in_the_holding_process_drops_the_lock(held, tmp_path):
    """Why the product never open()s the file it holds: the check above sees exactly this."""
    held.is_empty()
    assert not other_process_gets_in(held.path)
    shutil.copyfile(held.path, tmp_path / "copy.duckdb")  # open + close of a descriptor of the held file
    assert other_process_gets_in(held.path)


def test_the_backup_after_an_import_is_a_complete_copy(held, tmp_path):
    _import(held, tmp_path)
    copy = Database(backup_path(held.path))
    assert copy.query("SELECT count(*) AS n FROM cur_accounts")["n"][0] == 3
    backed_up, live = copy.verify()["tables"], held.verify()["tables"]
    # the copy is taken at the commit, before the refresh marks the new data version ready: restored, its
    # refresh is pending and whoever opens it next completes it (tests/test_refresh.py)
    assert backed_up.pop("kept_ready") != live.pop("kept_ready")
    assert backed_up == live
    assert result_store.pending(copy) == copy.data_version() and result_store.pending(held) is None


def test_appending_stored_rows_again_changes_nothing(held, tmp_path):
    version = held.data_version()
    backup = backup_path(held.path).stat().st_mtime_ns
    result = workspace.import_file(held, tmp_path / "mrr.csv", "mrr", mode="append", by=EDITOR)
    assert result["unchanged"] is True
    assert held.data_version() == version  # kept results stay valid
    assert backup_path(held.path).stat().st_mtime_ns == backup  # the backup is not rewritten


def test_a_restore_waits_for_a_writer_in_another_process(held, tmp_path):
    held.release()
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time\n"
                               "con = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(60)",
                               str(held.path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        before = held.path.stat().st_ino
        from dashboard.db import DatabaseBusy

        with pytest.raises(DatabaseBusy):
            restore_backup(held.path, by=EDITOR)
        assert held.path.stat().st_ino == before  # not moved from under the writer
        assert not list(tmp_path.glob("dash.duckdb.damaged-*"))
    finally:
        holder.kill()
        holder.wait()
