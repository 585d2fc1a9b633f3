"""An import that does not wait for its figures (``--no-wait``) leaves its refresh pending: the next reader
completes it — the app in a thread of its own, with the progress on show, the command line before a report."""

from __future__ import annotations

import threading

import pandas as pd
from streamlit.testing.v1 import AppTest

from dashboard import workspace
from dashboard.auth import LOCAL_USER as EDITOR
from dashboard.cli import main
from dashboard.db import Database
from dashboard.results import result_store

APP = "../app/main.py"


def _touchpoints(db: Database, tmp_path) -> str:
    """The demo's touchpoints with one more contact: a new snapshot of a dataset health reads."""
    touch = db.query("SELECT * FROM cur_touchpoints")
    path = tmp_path / "touchpoints.csv"
    pd.concat([touch, touch.iloc[[0]].assign(date=touch["date"].max())]).to_csv(path, index=False)
    return str(path)


def test_waiting_imports_are_ready_and_one_without_waiting_is_pending(app_db, tmp_path):
    db = Database(app_db)
    assert result_store.pending(db) is None  # the demo was loaded waiting for each import
    result = workspace.import_file(db, _touchpoints(db, tmp_path), "touchpoints", by=EDITOR, wait=False)
    version = db.data_version()
    assert result["ready_seconds"] is None and result_store.pending(db) == version
    workspace.refresh(db)
    assert result_store.pending(db) is None
    # a settings change nothing reads and an import waiting for its refresh leave nothing pending
    workspace.put_setting(db, "session_hours", 4, by=EDITOR)
    workspace.import_file(db, _touchpoints(db, tmp_path), "touchpoints", by=EDITOR, mode="append")
    assert result_store.pending(db) is None


def test_the_app_shows_the_refresh_in_progress_and_completes_it(app_db, tmp_path, monkeypatch):
    db = Database(app_db)
    workspace.import_file(db, _touchpoints(db, tmp_path), "touchpoints", by=EDITOR, wait=False)
    version = db.data_version()
    release = threading.Event()
    real = workspace.refresh

    def held(database, **kwargs):  # the refresh takes as long as the test says
        kwargs["progress"](0.4, "accounts")
        release.wait(60)
        real(database, **kwargs)
    monkeypatch.setattr(workspace, "refresh", held)
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    shown = [e.proto.text for e in at.get("progress")]
    assert any(f"データ版 {version} の集計を準備しています（" in text for text in shown), shown
    assert at.metric and at.metric[0].value  # the figures are on show meanwhile, computed from the new data
    state = workspace.pending_refresh(db)
    assert state is not None and state.version == version and not state.done
    at.run()  # the thread has said how far it is by now: the notice shows it
    assert any(f"データ版 {version} の集計を準備しています（40%）" in e.proto.text for e in at.get("progress"))
    release.set()
    assert state.wait(60)
    assert result_store.pending(db) is None
    at.run()
    assert not at.get("progress")


def test_a_report_completes_a_pending_refresh_first(app_db, tmp_path, monkeypatch, capsys):
    db = Database(app_db)
    workspace.import_file(db, _touchpoints(db, tmp_path), "touchpoints", by=EDITOR, wait=False)
    db.release()
    assert main(["--db", str(app_db), "report"]) == 0
    capsys.readouterr()
    assert result_store.pending(Database(app_db)) is None


def test_a_refresh_that_fails_is_tried_again_not_reported_ready(app_db, tmp_path, monkeypatch):
    db = Database(app_db)
    workspace.import_file(db, _touchpoints(db, tmp_path), "touchpoints", by=EDITOR, wait=False)
    calls = []

    def failing(database, **kwargs):  # prepare_after_commit logs a failure and never marks the version ready
        calls.append(1)
    monkeypatch.setattr(workspace, "refresh", failing)
    first = workspace.pending_refresh(db)
    assert first is not None and first.wait(30)
    assert workspace.pending_refresh(db) is None  # ended, still pending: the pages compute, no notice
    monkeypatch.setattr(workspace, "RETRY_SECONDS", 0.0)
    monkeypatch.setattr(workspace, "refresh", lambda database, **kwargs: (calls.append(2), result_store.prepare(database)))
    again = workspace.pending_refresh(db)
    assert again is not None and again is not first and again.wait(30)
    assert calls == [1, 2] and result_store.pending(db) is None


def test_a_refresh_opens_the_file_once_for_all_its_reads_and_writes(app_db, tmp_path, monkeypatch):
    db = Database(app_db)
    workspace.import_file(db, _touchpoints(db, tmp_path), "touchpoints", by=EDITOR, wait=False)
    opened = []
    real_open = Database._open
    monkeypatch.setattr(Database, "_open", lambda self: opened.append(1) or real_open(self))
    workspace.refresh(db)
    assert len(opened) == 1  # held across the refresh; each of its dozens of calls opened it before
    assert result_store.pending(db) is None


_WRITER = ("import sys\nfrom dashboard.db import Database\n"
           "db = Database(sys.argv[1], wait_seconds=60)\n"  # its own first read (the schema check) comes first
           "print('ready', flush=True)\nsys.stdin.readline()\n"
           "db.write(lambda con: con.execute(\"INSERT OR REPLACE INTO meta VALUES ('probe', 'written')\"))\n")


def test_a_writer_from_another_process_gets_in_between_two_calls_of_a_hold(app_db):
    """A hold (a refresh) keeps the file open between its calls; another process asking to write leaves its
    note, and the holder's next call lets it in, then goes on: the write lands inside the hold, not after it
    (nor after the writer's patience ran out)."""
    import subprocess
    import sys
    import time

    db = Database(app_db)
    note = app_db.with_name(app_db.name + ".write-wanted")
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(app_db)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # the writer opens the database (a read) before the hold: its one write is then the call that must get in
    assert writer.stdout.readline().strip() == "ready", writer.stderr.read()
    with db.held():
        writer.stdin.write("go\n")
        writer.stdin.flush()
        for _ in range(3000):  # its note says it is waiting (the file is held open here)
            if note.exists() or writer.poll() is not None:
                break
            time.sleep(0.01)
        assert note.exists() and writer.poll() is None
        probe = db.read(lambda con: con.execute("SELECT value FROM meta WHERE key = 'probe'").fetchone())
        assert probe == ("written",)  # the call let the writer in first, and read after its commit
        assert writer.wait(timeout=60) == 0, writer.stderr.read()
        assert db.read(lambda con: con.execute("SELECT 42").fetchone()[0]) == 42  # and the hold goes on
