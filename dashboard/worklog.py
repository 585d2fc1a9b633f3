"""The call list as work a CS lead closes: who an account is assigned to, its task (kind and due day), done or
snoozed until a day, and notes — every change one row of ``account_work`` with who made it and when, never
updated or deleted.

The table is the workspace's own, not a dataset's: no import (of any dataset, in any mode) and no restore of a
snapshot touches it, and the database's backups carry it. Editors write (checked here, whoever calls); a
change is no new data version (no figure reads it), and each is one transaction: a write killed halfway
leaves nothing of itself.

An account done or snoozed leaves the call list until the snooze ends (done: for 30 days) or the account
worsens since: its health band drops below the band it had then, or its renewal comes within 30 days when
it was further away then.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd

from dashboard import auth, frames, settings
from dashboard.db import Database

ACTIONS = ("assign", "task", "done", "snooze", "reopen", "note")
MAX_NOTE = 2000
BACK_WITHIN_DAYS = 30  # a set-aside account comes back when its renewal comes this close
DONE_DAYS = 30  # "done" sets an account aside this long; still at risk after it, it is back on the list
BAND_ORDER = {"green": 0, "yellow": 1, "red": 2}


def record(db: Database, account_id: str, action: str, *, by: auth.User, owner: str | None = None,
           task: str | None = None, due: dt.date | None = None, until: dt.date | None = None,
           note: str | None = None, band: str | None = None) -> int:
    """Store one change to an account's work; editors only. Returns its id. ``band``: the account's band when
    it is done or snoozed (it comes back to the call list when the band drops)."""
    auth.require_editor(by)
    account_id = (account_id or "").strip()
    if not account_id:
        raise ValueError("an account id is needed")
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; choose one of {', '.join(ACTIONS)}")
    note = (note or "").strip() or None
    owner = (owner or "").strip() or None
    task = (task or "").strip() or None
    if action == "note" and not note:
        raise ValueError("a note needs text")
    if note and len(note) > MAX_NOTE:
        raise ValueError(f"a note can have at most {MAX_NOTE} characters")
    if action == "assign" and not owner:
        raise ValueError("an assignment needs an owner")
    if action == "task" and not task:
        raise ValueError("a task needs a kind")
    if action == "snooze" and until is None:
        raise ValueError("a snooze needs the day it ends")

    # when, on the workspace's clock (Asia/Tokyo by default), as the pages show it and count days from it
    at = dt.datetime.now(ZoneInfo(settings.get(db, "time_zone"))).replace(tzinfo=None)

    def put(con) -> int:
        return con.execute(
            "INSERT INTO account_work (account_id, action, owner, task, due, until, note, band, by_name, changed_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING work_id",
            [account_id, action, owner, task, due, until, note, band, by.name, at]).fetchone()[0]
    return db.write(put)  # no bump: no figure reads the work


def history(db: Database, account_id: str) -> pd.DataFrame:
    """One account's changes, newest first."""
    return db.read(lambda con: frames.fetch(con, """
        SELECT changed_at, by_name, action, owner, task, due, until, note FROM account_work
        WHERE account_id = $account_id ORDER BY changed_at DESC, work_id DESC""", {"account_id": account_id}))


# Each account's work now: the latest assignment, the latest of task / done / snooze / reopen (its status),
# the task in force, the latest note.
_STATE = """
WITH w AS (SELECT * FROM account_work),
assigned AS (SELECT account_id, arg_max(owner, work_id) AS assigned_owner FROM w WHERE action = 'assign'
             GROUP BY account_id),
status AS (SELECT account_id, arg_max(action, work_id) AS last_action, arg_max(until, work_id) AS until,
                  arg_max(band, work_id) AS band_then, arg_max(changed_at, work_id) AS status_at
           FROM w WHERE action IN ('task', 'done', 'snooze', 'reopen') GROUP BY account_id),
tasks AS (SELECT account_id, arg_max(task, work_id) AS task, arg_max(due, work_id) AS due FROM w
          WHERE action = 'task' GROUP BY account_id),
notes AS (SELECT account_id, arg_max(note, work_id) AS last_note, arg_max(by_name, work_id) AS last_note_by,
                 arg_max(changed_at, work_id) AS last_note_at FROM w WHERE action = 'note' GROUP BY account_id),
ids AS (SELECT DISTINCT account_id FROM w)
SELECT ids.account_id, a.assigned_owner,
       CASE s.last_action WHEN 'task' THEN 'open' WHEN 'done' THEN 'done' WHEN 'snooze' THEN 'snoozed' END AS work_status,
       CASE WHEN s.last_action IN ('task', 'done', 'snooze') THEN t.task END AS task,
       CASE WHEN s.last_action = 'task' THEN t.due END AS due,
       CASE WHEN s.last_action = 'snooze' THEN s.until END AS snoozed_until,
       s.band_then, s.status_at, n.last_note, n.last_note_by, n.last_note_at
FROM ids LEFT JOIN assigned a USING (account_id) LEFT JOIN status s USING (account_id)
LEFT JOIN tasks t USING (account_id) LEFT JOIN notes n USING (account_id)
ORDER BY ids.account_id
"""


def state(db: Database) -> pd.DataFrame:
    """Every worked account's state: assigned owner, status (open / done / snoozed), task, due, snooze end,
    its band when set aside, the latest note with who wrote it and when."""
    return db.read(lambda con: frames.fetch(con, _STATE, {}))


def set_aside(work: pd.DataFrame, listed: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """Of the accounts ``listed`` (the call list's rows: band, renewal_date), those that leave it: done in the
    last 30 days, or snoozed past ``today``, and not worse since — the band no lower than when set aside,
    and the renewal not come within 30 days of ``today`` since (days counted on the calendar, not from the
    data's as-of day). Returns their work rows."""
    if work.empty or listed.empty:
        return work.iloc[0:0]
    rows = listed[["account_id", "band", "renewal_date"]].merge(work, on="account_id")
    recent = (pd.Timestamp(today) - pd.to_datetime(rows["status_at"]).dt.normalize()).dt.days < DONE_DAYS  # calendar days
    waiting = ((rows["work_status"] == "done") & recent) | (
        (rows["work_status"] == "snoozed") & (pd.to_datetime(rows["snoozed_until"]) > pd.Timestamp(today)))
    worse = rows["band"].map(BAND_ORDER).fillna(-1) > rows["band_then"].map(BAND_ORDER).fillna(-1)
    renewal = pd.to_datetime(rows["renewal_date"])
    days_now = (renewal - pd.Timestamp(today)).dt.days
    days_then = (renewal - pd.to_datetime(rows["status_at"]).dt.normalize()).dt.days
    # the renewal came close since: set aside while it was further away (done 20 days before it stays done)
    renewing = (days_now > 0) & (days_now <= BACK_WITHIN_DAYS) & (days_then > BACK_WITHIN_DAYS)
    return rows[waiting & ~worse & ~renewing].drop(columns=["band", "renewal_date"]).reset_index(drop=True)


def with_work(listed: pd.DataFrame, work: pd.DataFrame) -> pd.DataFrame:
    """The call list's rows with each account's work: status, task, due, snooze end, latest note; the owner
    it is assigned to in place of the export's owner."""
    if work.empty:
        return listed.assign(work_status=None, task=None, due=None, snoozed_until=None, last_note=None)
    cols = ["account_id", "assigned_owner", "work_status", "task", "due", "snoozed_until", "last_note"]
    out = listed.merge(work[cols], on="account_id", how="left")
    if "owner" in out:
        out["owner"] = out["assigned_owner"].where(out["assigned_owner"].notna(), out["owner"])
    return out.drop(columns=["assigned_owner"])
