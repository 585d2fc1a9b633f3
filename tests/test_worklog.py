"""The call list as work a CS lead closes (issue 29): assignments, tasks, done / snooze and notes stored with who
and when in a table of their own, never lost by a re-import of any dataset, a restore or a kill during the
write; editors only; done or snoozed accounts leave the call list until the snooze ends or the account
worsens; the account page and the call list show the work and the CSV carries it."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from dashboard import auth, schema, worklog, workspace
from dashboard.db import Database
from tests.test_pages import users  # noqa: F401 - the users file fixture

EDITOR = auth.User("lead", "editor")
VIEWER = auth.User("exec", "viewer")


def test_each_change_is_stored_with_who_and_when_and_the_state_follows(db):
    worklog.record(db, "A", "task", by=EDITOR, task="電話で状況確認", due=dt.date(2026, 11, 5))
    worklog.record(db, "A", "note", by=EDITOR, note="担当者が異動、後任に連絡")
    worklog.record(db, "A", "assign", by=auth.User("sato", "editor"), owner="佐藤")
    worklog.record(db, "B", "snooze", by=EDITOR, until=dt.date(2026, 11, 30), band="red")
    worklog.record(db, "C", "task", by=EDITOR, task="訪問", due=dt.date(2026, 11, 10))
    worklog.record(db, "C", "done", by=EDITOR, band="yellow")
    state = worklog.state(db).set_index("account_id")
    assert state.loc["A", "work_status"] == "open" and state.loc["A", "task"] == "電話で状況確認"
    assert state.loc["A", "due"].date() == dt.date(2026, 11, 5) and state.loc["A", "assigned_owner"] == "佐藤"
    assert state.loc["A", "last_note"] == "担当者が異動、後任に連絡" and state.loc["A", "last_note_by"] == "lead"
    assert state.loc["B", "work_status"] == "snoozed" and state.loc["B", "snoozed_until"].date() == dt.date(2026, 11, 30)
    assert state.loc["C", "work_status"] == "done" and pd.isna(state.loc["C", "due"]) and state.loc["C", "band_then"] == "yellow"
    worklog.record(db, "C", "reopen", by=EDITOR)
    assert pd.isna(worklog.state(db).set_index("account_id").loc["C", "work_status"])
    log = worklog.history(db, "A")
    assert log["action"].tolist() == ["assign", "note", "task"]  # newest first, each with who and when
    assert log["by_name"].tolist() == ["sato", "lead", "lead"] and log["changed_at"].notna().all()


def test_only_editors_record_work_and_bad_changes_are_refused(db):
    with pytest.raises(auth.NotAllowed):
        worklog.record(db, "A", "note", by=VIEWER, note="見ただけ")
    with pytest.raises(auth.NotAllowed):
        worklog.record(db, "A", "note", by=None, note="誰でもない")
    for kwargs, message in ((dict(action="note", note="  "), "needs text"), (dict(action="snooze"), "the day it ends"),
                            (dict(action="task"), "needs a kind"), (dict(action="assign"), "needs an owner"),
                            (dict(action="delete"), "unknown action"),
                            (dict(action="note", note="x" * (worklog.MAX_NOTE + 1)), "at most")):
        with pytest.raises(ValueError, match=message):
            worklog.record(db, "A", by=EDITOR, **kwargs)
    assert worklog.state(db).empty


def test_done_or_snoozed_accounts_leave_the_list_until_they_worsen():
    today = dt.date(2026, 11, 1)
    cases = [  # account, status, snoozed until, band then, set aside (days ago), renewal (days from today), band now
        ("done", "done", None, "red", 3, 200, "red"),
        ("done_worse", "done", None, "yellow", 3, 200, "red"),  # yellow when done, red now: back
        ("done_30_days_ago", "done", None, "red", 30, 200, "red"),  # done lasts 30 days
        ("done_29_days_ago", "done", None, "red", 29, 200, "red"),
        ("snoozed", "snoozed", "2026-11-15", "red", 3, 200, "red"),
        ("snooze_over", "snoozed", "2026-11-01", "red", 3, 200, "red"),  # ends today: back
        ("renewal_came_close", "snoozed", "2026-12-01", "red", 20, 20, "red"),  # 40 days away then, 20 now: back
        ("renewal_at_30", "snoozed", "2026-12-01", "red", 5, 30, "red"),  # 35 days away then, 30 now: back
        ("renewal_was_close", "done", None, "red", 0, 20, "red"),  # done 20 days before it: stays done
        ("renewal_passed", "done", None, "red", 40, -3, "red"),  # the renewal day is past: no renewal to come
        ("no_score_now", "done", None, "red", 3, 200, None),  # lost its score: not worse
        ("open", "open", None, None, 3, 200, "red"),
    ]
    listed = pd.DataFrame({
        "account_id": [c[0] for c in cases] + ["none"], "band": [c[6] for c in cases] + ["red"],
        "renewal_date": [today + dt.timedelta(days=c[5]) for c in cases] + [None]})
    work = pd.DataFrame({
        "account_id": [c[0] for c in cases], "work_status": [c[1] for c in cases],
        "snoozed_until": pd.to_datetime([c[2] for c in cases]), "band_then": [c[3] for c in cases],
        "status_at": [pd.Timestamp(today) - pd.Timedelta(days=c[4]) + pd.Timedelta(hours=9) for c in cases]})
    aside = worklog.set_aside(work, listed, today)
    assert sorted(aside["account_id"]) == ["done", "done_29_days_ago", "no_score_now", "renewal_was_close", "snoozed"]
    only_done = work[work["work_status"] == "done"].assign(snoozed_until=None)  # no snooze day at all
    assert sorted(worklog.set_aside(only_done, listed, today)["account_id"]) == [
        "done", "done_29_days_ago", "no_score_now", "renewal_was_close"]


def test_the_state_read_back_sets_aside_as_recorded(db):
    """The rules over the state as stored (not a hand-built frame): snoozed and done leave, a reopened account
    comes back."""
    today = dt.date.today()
    for account in ("S", "D", "R"):
        worklog.record(db, account, "task", by=EDITOR, task="電話", due=today)
    worklog.record(db, "S", "snooze", by=EDITOR, until=today + dt.timedelta(days=7), band="red")
    worklog.record(db, "D", "done", by=EDITOR, band="red")
    worklog.record(db, "R", "done", by=EDITOR, band="red")
    worklog.record(db, "R", "reopen", by=EDITOR)
    listed = pd.DataFrame({"account_id": ["S", "D", "R"], "band": ["red"] * 3,
                           "renewal_date": [today + dt.timedelta(days=200)] * 3})
    assert sorted(worklog.set_aside(worklog.state(db), listed, today)["account_id"]) == ["D", "S"]
    stamped = worklog.history(db, "S")["changed_at"].iloc[0]  # on the workspace's clock (Asia/Tokyo)
    tokyo = dt.datetime.now(dt.timezone(dt.timedelta(hours=9))).replace(tzinfo=None)
    assert abs((tokyo - stamped.to_pydatetime()).total_seconds()) < 120


def _minimal_csv(dataset: str, month: int) -> str:
    """A one-row file of the dataset's required columns (and what a valid row needs)."""
    value = {"id": "A1", "text": "x", "money": "1000", "date": f"2026-{month:02d}-01", "month": f"2026-{month:02d}-01",
             "number": "1", "flag": "true", "interval": "month", "line_kind": "recurring", "duration": "forever",
             "rate": "0.1", "period": f"2026/{month:02d}/01～2026/{month:02d}/28"}
    columns = dict.fromkeys(schema.REQUIRED[dataset])
    if dataset == "fx_rates":
        return f"month,currency,rate\n2026-{month:02d}-01,USD,150\n"
    if dataset == "usage":
        return f"account_id,date,logins\nA1,2026-{month:02d}-01,5\n"
    return ",".join(columns) + "\n" + ",".join(
        "A1" if c in ("account_id", "customer_id") else value[schema.DATASETS[dataset][c]] for c in columns) + "\n"


@pytest.mark.slow  # 20 imports and 10 restores (about 23 s): the full suite's
def test_work_survives_every_reimport_and_restore(db, load):
    worklog.record(db, "A1", "task", by=EDITOR, task="電話", due=dt.date(2026, 11, 5))
    worklog.record(db, "Z9", "note", by=EDITOR, note="どのファイルにもない顧客")  # in no file: kept too
    notes = 0
    for dataset in schema.DATASETS:
        first = load(dataset, _minimal_csv(dataset, 1), name=f"{dataset}_1.csv")
        assert first["rows_loaded"] == 1, (dataset, first["errors"])
        worklog.record(db, "A1", "note", by=EDITOR, note=f"{dataset} の取り込み後")  # after the snapshot restored below
        notes += 1
        before = worklog.state(db)
        load(dataset, _minimal_csv(dataset, 2), name=f"{dataset}_2.csv", confirm_replace=True)
        workspace.restore(db, first["snapshot"], by=EDITOR)  # a restore of data does not roll back notes
        pd.testing.assert_frame_equal(worklog.state(db), before, check_dtype=False)
    assert len(worklog.history(db, "A1")) == 1 + notes and len(worklog.history(db, "Z9")) == 1
    assert "account_work" in schema.ALL_TABLES  # read back by `check` and carried by backups


WRITER = """
import sys
from dashboard import auth, worklog
from dashboard.db import Database
db = Database(sys.argv[1])
i = 0
while True:
    worklog.record(db, f"A{i % 7}", "note", by=auth.User("lead", "editor"), note=f"note {i} " + "あ" * 500)
    i += 1
    print(i, flush=True)
"""


@pytest.mark.slow
def test_a_kill_during_writes_leaves_every_stored_change_whole(tmp_path):
    path = tmp_path / "work.duckdb"
    Database(path).release()
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True,
                            cwd=os.path.dirname(os.path.dirname(__file__)))
    written = 0
    deadline = time.monotonic() + 60
    while written < 40 and time.monotonic() < deadline:  # kill while it is writing, after some are stored
        written = int(proc.stdout.readline() or 0) or written
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    db = Database(path)
    rows = db.read(lambda con: con.execute("SELECT account_id, note, by_name, changed_at FROM account_work").fetchall())
    assert db.verify()["tables"]["account_work"]["rows"] == len(rows)  # every block reads back
    assert len(rows) >= 40  # every change reported written is there
    numbers = sorted(int(note.split()[1]) for _, note, _, _ in rows)
    assert numbers == list(range(len(rows)))  # no change lost in between, none half-written
    assert all(note == f"note {n} " + "あ" * 500 and by == "lead" and at is not None
               for (_, note, by, at), n in zip(sorted(rows, key=lambda r: int(r[1].split()[1])), numbers, strict=True))


@pytest.mark.slow
def test_the_account_page_records_work_and_the_call_list_follows(app_db):
    from tests.test_pages import open_page

    at = open_page("accounts")
    calls = at.dataframe[0].value
    first = calls["account_id"].iloc[0]
    before = len(calls)
    at.query_params["account"] = first
    at.switch_page("../pages/account.py").run()
    assert not at.exception, [e.message for e in at.exception]
    at.text_area[0].set_value("先方の役員と面談を設定")  # in a form: sent with its submit button
    at.button(key="FormSubmitter:work_note-メモを追加").click().run()
    assert not at.exception, [e.message for e in at.exception]
    frames = [d.value for d in at.dataframe]
    assert [list(f.columns) for f in frames if "detail" in f], [list(f.columns) for f in frames]
    history = next(f for f in frames if "detail" in f)
    assert history["detail"].tolist() == ["先方の役員と面談を設定"] and history["by_name"].tolist() == ["local"]
    done = next(b for b in at.button if b.label == "完了にする")
    done.click().run()
    state = worklog.state(Database(app_db)).set_index("account_id")
    assert state.loc[first, "work_status"] == "done" and state.loc[first, "last_note"] == "先方の役員と面談を設定"
    at.switch_page("../pages/accounts.py").run()
    assert not at.exception, [e.message for e in at.exception]
    after = at.dataframe[0].value
    assert first not in after["account_id"].tolist() and len(after) == before - 1  # done: off the list
    assert any("一覧から外している顧客（1社）" in e.label for e in at.expander)
    # a task on the next account: its status in words, its due day and no English in the list
    second = after["account_id"].iloc[0]
    at.query_params["account"] = second
    at.switch_page("../pages/account.py").run()
    at.button(key="FormSubmitter:work_task-タスクを設定").click().run()
    assert not at.exception, [e.message for e in at.exception]
    at.switch_page("../pages/accounts.py").run()
    row = at.dataframe[0].value.set_index("account_id").loc[second]
    assert row["work_status"] == "対応中" and pd.notna(row["due"])


@pytest.mark.slow
def test_a_viewer_sees_the_work_but_has_nothing_to_change_it_with(app_db, users):  # noqa: F811 - the fixture
    from tests.test_pages import open_page

    at = open_page("overview", user=auth.User("exec", "viewer"))
    at.query_params["account"] = "C20005"
    at.switch_page("../pages/account.py").run()
    assert not at.exception
    assert "閲覧のみの権限" in " ".join(c.value for c in at.caption)
    assert not at.text_area and "完了にする" not in [b.label for b in at.button]
