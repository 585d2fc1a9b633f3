"""Faults of the database file and of concurrency: each ends in one clear message, never a traceback,
and nothing stored changes (issue: crashes and silent damage found by hostile testing, items 2 and 5)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from dashboard.auth import LOCAL_USER as EDITOR
from dashboard.cli import main
from dashboard.db import Database, DatabaseError
from dashboard.imports import importer
from tests.reliability import LEDGER

ACCOUNTS = "取引先ID,会社名,月額,契約開始日\nA1,株式会社①,\"￥120,000\",2024/4/1\nA2,髙﨑商事,80000,2024/5/1\n"


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def loaded_db(folder: Path) -> Path:
    path = folder / "dash.duckdb"
    csv = folder / "accounts.csv"
    csv.write_text(ACCOUNTS)
    importer.import_file(Database(path), csv, "accounts", by=EDITOR)
    return path


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder holding a loaded database, then made read-only (a read-only mount as root)."""
    src = tmp_path / "src"
    src.mkdir()
    path = loaded_db(src)
    if not is_root():
        os.chmod(path, 0o444)
        os.chmod(src, 0o555)
        yield src, path
        os.chmod(src, 0o755)
        return
    ro = tmp_path / "ro"
    ro.mkdir()
    subprocess.run(["mount", "--bind", str(src), str(ro)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(ro)], check=True)
        yield ro, ro / path.name
    finally:
        subprocess.run(["umount", "-l", str(ro)], check=False)  # lazy: a DuckDB file may still be open


# -- item 2: concurrent sessions ----------------------------------------------------------------------
def test_twenty_threads_reading_and_writing_see_no_error(db):
    """Before: duckdb.connect raced in DuckDB's instance cache ('Unique file handle conflict')."""
    errors: list[str] = []

    def reader():
        for _ in range(60):
            try:
                db.data_version()
                db.query("SELECT count(*) FROM cur_accounts")
            except Exception as exc:  # noqa: BLE001 - every error is the failure we look for
                errors.append(repr(exc)[:200])

    def writer():
        for i in range(10):
            try:
                db.write(lambda con, i=i: con.execute("INSERT OR REPLACE INTO settings VALUES ('probe', ?::JSON)",
                                                      [json.dumps(i)]), bump=True)
            except Exception as exc:  # noqa: BLE001
                errors.append(repr(exc)[:200])

    threads = [threading.Thread(target=reader) for _ in range(19)] + [threading.Thread(target=writer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert db.data_version() == 10
    LEDGER.count("Two writers and load", "threads on one database file at once", 20,
                 "19 readers × 60 rounds, 1 writer × 10 commits: 0 errors")


def test_two_database_objects_on_one_file_in_threads(tmp_path):
    path = tmp_path / "shared.duckdb"
    first, second = Database(path), Database(path)
    errors: list[str] = []

    def work(database):
        for _ in range(100):
            try:
                database.data_version()
            except Exception as exc:  # noqa: BLE001
                errors.append(repr(exc)[:200])

    threads = [threading.Thread(target=work, args=(d,)) for d in (first, second) * 5]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []


# -- item 5: faults of the file ---------------------------------------------------------------------
def test_db_pointing_at_a_folder(tmp_path, capsys):
    code, out, err = run(capsys, "--db", str(tmp_path), "report")
    assert (code, out) == (3, "")
    assert "is a folder" in err and "--db" in err and "Traceback" not in err


def test_db_pointing_at_a_csv_is_refused_and_the_csv_untouched(tmp_path, capsys):
    csv = tmp_path / "accounts.csv"
    csv.write_text(ACCOUNTS)
    code, out, err = run(capsys, "--db", str(csv), "report")
    assert (code, out) == (3, "")
    assert "not a dashboard database" in err
    assert csv.read_text() == ACCOUNTS


@pytest.mark.parametrize("damage", ["truncate", "scribble"])
def test_damaged_database_gives_advice(tmp_path, capsys, damage):
    path = loaded_db(tmp_path)
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 3])
    else:  # keep the header, overwrite the blocks after it
        path.write_bytes(data[:8192] + bytes(range(256)) * ((len(data) - 8192) // 256))
    code, out, err = run(capsys, "--db", str(path), "report")
    assert (code, out) == (3, "")
    assert "damaged or truncated" in err and "backup" in err and "Traceback" not in err


def test_a_file_this_process_holds_with_other_settings_is_not_called_damaged(tmp_path):
    import duckdb

    path = loaded_db(tmp_path)
    other = duckdb.connect(str(path), config={"threads": 1})  # held open with other settings
    try:
        with pytest.raises(duckdb.Error, match="different configuration") as caught:
            Database(path)
        assert not isinstance(caught.value, DatabaseError)  # not "damaged or truncated: restore a backup"
    finally:
        other.close()
    assert Database(path).read(lambda con: con.execute("SELECT count(*) FROM cur_accounts").fetchone()[0]) == 2


def test_report_works_on_a_read_only_database_and_writes_are_refused(read_only_folder, tmp_path, capsys):
    folder, path = read_only_folder
    before = (tmp_path / "src" / path.name).read_bytes()
    code, out, err = run(capsys, "--db", str(path), "report", "--as-of", "2024-06-30")
    assert code == 0, err
    report = json.loads(out)
    assert (report["accounts_active"], report["mrr"]) == (2, 200_000)
    csv = tmp_path / "more.csv"
    csv.write_text("取引先ID,月額\nA9,1000\n")
    code, out, err = run(capsys, "--db", str(path), "import", str(csv), "--dataset", "accounts")
    assert (code, out) == (3, "")
    assert "read-only" in err
    assert (tmp_path / "src" / path.name).read_bytes() == before


def test_new_database_in_a_read_only_folder(read_only_folder, capsys):
    folder, _ = read_only_folder
    code, out, err = run(capsys, "--db", str(folder / "new.duckdb"), "report")
    assert (code, out) == (3, "")
    assert "not writable" in err


def test_database_error_has_japanese_advice(tmp_path):
    with pytest.raises(DatabaseError) as info:
        Database(tmp_path)
    assert "フォルダです" in info.value.message("ja")


@pytest.mark.skipif(not is_root() or shutil.which("mount") is None, reason="a small tmpfs needs root")
def test_full_disk_gives_a_clear_message_and_changes_nothing(tmp_path, capsys):
    small = tmp_path / "small"
    small.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(small)], check=True)
    try:
        path = loaded_db(small)
        before = Database(path).content_fingerprint()
        big = tmp_path / "big.csv"  # on the roomy disk: only the database is short of space
        with big.open("w") as fh:
            fh.write("取引先ID,会社名,月額\n")
            for i in range(200_000):
                fh.write(f"B{i:07d},{os.urandom(24).hex()},{i}\n")
        code, out, err = run(capsys, "--db", str(path), "import", str(big), "--dataset", "accounts", "--mode", "upsert")
        assert (code, out) == (3, "")
        assert "disk" in err and "full" in err and "no transaction" not in err
        assert Database(path).content_fingerprint() == before
        LEDGER.count("Faults", "imports into a full disk (3 MB tmpfs)", 1, "clear message, content unchanged")
    finally:
        subprocess.run(["umount", "-l", str(small)], check=False)  # lazy: a file may still be open


def test_an_import_gets_in_while_the_app_keeps_the_file_busy(tmp_path):
    """The app keeps its instance open between queries (linger); sessions reading without pause never leave
    it idle. A command-line import in another process still gets the file (its note asks the app to let go),
    and the app sees the new data version afterwards without a restart."""
    import sys

    path = loaded_db(tmp_path)
    app = Database(path, linger=30)
    before = app.data_version()
    stop, errors, reads = threading.Event(), [], [0]

    def browse():
        while not stop.is_set():
            try:
                app.query("SELECT count(*) AS n FROM cur_accounts")
                reads[0] += 1
            except Exception as exc:  # noqa: BLE001 - counted, the test fails on any
                errors.append(exc)

    threads = [threading.Thread(target=browse) for _ in range(4)]
    for thread in threads:
        thread.start()
    csv = tmp_path / "more.csv"
    csv.write_text("取引先ID,会社名,月額,契約開始日\nA3,新規商事,50000,2024/6/1\n")
    done = subprocess.run([sys.executable, "-m", "dashboard", "--db", str(path), "import", str(csv),
                           "--dataset", "accounts", "--mode", "upsert"], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent, timeout=120)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    assert done.returncode == 0, done.stderr
    assert not errors and reads[0] > 10
    assert app.data_version() > before
    assert app.query("SELECT count(*) AS n FROM cur_accounts")["n"][0] == 3
    assert not path.with_name(path.name + ".write-wanted").exists()
    app.release()


EXIT_WHILE_CLOSING = """
import sys, time
from dashboard.db import Database
db = Database(sys.argv[1], linger=0.05)
db.write(lambda con: con.execute("CREATE TABLE big AS SELECT range AS i, md5(range::VARCHAR) AS s FROM range(300000)"))
db.query("SELECT count(*) FROM big")
time.sleep(0.055)  # exit just as the linger timer closes the instance (a checkpoint: tens of ms)
"""


def test_a_process_exiting_while_its_instance_closes_exits_cleanly(tmp_path):
    """The app's instance is closed by a linger timer (a daemon thread). Exiting while that thread was inside
    DuckDB aborted the process ("terminate called after throwing an instance of ''", exit code 134; every
    time in this script before the fix), which could fail a test run that had passed: now the exiting thread
    closes every instance itself (db._close_all_at_exit) and a timer's instance is released under its lock."""
    import sys

    for attempt in range(5):
        path = tmp_path / f"exit{attempt}.duckdb"
        done = subprocess.run([sys.executable, "-c", EXIT_WHILE_CLOSING, str(path)], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parent.parent, timeout=120)
        assert done.returncode == 0, done.stderr[-500:]
        check = Database(path)
        assert check.query("SELECT count(*) AS n FROM big")["n"][0] == 300_000  # what was written is there
        check.release()


@pytest.mark.parametrize("version", ["3,8,12,19", "", "-1", None])
def test_a_damaged_data_version_gives_the_restore_advice(tmp_path, capsys, version):
    """Seen in a damaged file: meta's data_version read back as '3,8,12,19' and the CLI ended in a ValueError
    traceback. Every reader of the data version says the file is damaged, with the backup's time."""
    path = loaded_db(tmp_path)
    raw = __import__("duckdb").connect(str(path))
    raw.execute("UPDATE meta SET value = ? WHERE key = 'data_version'", [version])
    raw.close()
    for command in (["report"], ["prepare", "--force"], ["check"]):
        code, out, err = run(capsys, "--db", str(path), *command)
        assert (code, out) == (3, ""), (command, err)
        assert "last good state was saved automatically at" in err and "data_version" in err
        assert "Traceback" not in err
    with pytest.raises(DatabaseError) as info:
        Database(path).data_version()
    assert info.value.key == "db_corrupt_backup"


@pytest.mark.parametrize("message", [
    "INTERNAL Error: Corrupted bitpacking segment: unknown bitpacking mode",
    "IO Error: Failed to load metadata pointer (id 12, idx 3, ptr 1234)",
    "Serialization Error: Failed to deserialize: field id mismatch"])
def test_duckdb_corruption_errors_give_the_restore_advice(tmp_path, message):
    path = loaded_db(tmp_path)
    db = Database(path)

    def fails(con):
        raise __import__("duckdb").InternalException(message)
    with pytest.raises(DatabaseError) as info:
        db.read(fails)
    assert info.value.key == "db_corrupt_backup"


def test_check_reads_every_table_back(tmp_path, capsys):
    path = loaded_db(tmp_path)
    code, out, err = run(capsys, "--db", str(path), "check")
    assert code == 0, err
    checked = json.loads(out)
    assert checked["data_version"] == 1
    assert checked["tables"]["accounts"]["rows"] == 2 and checked["tables"]["snapshots"]["rows"] == 1
    assert {"kept_mrr_grid", "meta", "settings"} <= set(checked["tables"])


@pytest.mark.parametrize(("setting", "threads"), [("1", 1), ("3", 3), ("", None), ("many", None), ("0", None)])
def test_the_threads_setting_limits_the_database_and_the_import_stage(tmp_path, monkeypatch, setting, threads):
    """$DASHBOARD_THREADS caps DuckDB's threads on the database and on an import's stage; empty, not a number
    or 0 leaves DuckDB's own default (one per core)."""
    import duckdb

    from dashboard.imports.readers import Limits
    from dashboard.imports.staging import Stage

    default = duckdb.connect().execute("SELECT current_setting('threads')").fetchone()[0]
    monkeypatch.setenv("DASHBOARD_THREADS", setting)
    db = Database(tmp_path / "t.duckdb")
    assert db.read(lambda con: con.execute("SELECT current_setting('threads')").fetchone()[0]) == (threads or default)
    stage = Stage(Limits())
    try:
        assert stage.con.execute("SELECT current_setting('threads')").fetchone()[0] == (threads or default)
    finally:
        stage.close()
