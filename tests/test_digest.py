"""The weekly digest (issue 29): one HTML page for a mail client and the same as JSON to a webhook — KPIs against
a week before, the accounts that turned red, renewals within 30 days and overdue tasks, for everyone or one
owner."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from dashboard import auth, digest, settings, views, worklog
from dashboard.db import Database
from dashboard.results import Scope, run

EDITOR = auth.User("lead", "editor")
AS_OF = dt.date(2026, 10, 31)
TODAY = dt.date(2026, 11, 2)
ACCOUNTS = """account_id,name,mrr,contract_start,renewal_date,owner
A,<script>alert(1)</script>,100000,2025-01-01,2026-11-10,佐藤
B,青葉商事,50000,2025-01-01,2027-03-01,鈴木
C,北斗工業,30000,2025-01-01,2026-11-20,鈴木
"""


def test_renewals_and_overdue_tasks_for_one_owner_escaped_for_a_mail_client(db, load):
    load("accounts", ACCOUNTS)
    worklog.record(db, "A", "task", by=EDITOR, task="更新前の面談", due=dt.date(2026, 10, 30))  # overdue on 11/02
    worklog.record(db, "B", "task", by=EDITOR, task="電話", due=dt.date(2026, 11, 5))  # not yet due
    worklog.record(db, "C", "task", by=EDITOR, task="訪問", due=dt.date(2026, 10, 1))
    worklog.record(db, "C", "done", by=EDITOR)  # done: not overdue
    d = digest.build(views.caller(db), worklog.state(db), AS_OF, TODAY, "ja")
    assert [r["account_id"] for r in d["renewals"]] == ["A", "C"]  # 11/10 and 11/20: within 30 days of 10/31
    assert [(r["account_id"], r["task"]) for r in d["overdue_tasks"]] == [("A", "更新前の面談")]
    kpis = {k["key"]: k for k in d["kpis"]}
    assert kpis["accounts"]["now"] == 3 and kpis["mrr"]["now"] == 180000 and kpis["mrr"]["change"] == 0
    page = digest.to_html(d, "ja")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "30日以内の契約更新（2社）" in page and "期限切れのタスク（1件）" in page and "更新前の面談" in page
    mine = digest.build(views.caller(db, Scope.of(owner=["鈴木"])), worklog.state(db), AS_OF, TODAY, "ja", owner="鈴木")
    assert [r["account_id"] for r in mine["renewals"]] == ["C"] and mine["overdue_tasks"] == []
    assert "担当CSM: 鈴木" in digest.to_html(mine, "ja")
    english = digest.to_html(d, "en")
    assert "Renewals within 30 days (2)" in english and "週次" not in english


class _Hook(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 - the http.server name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append((self.headers["Content-Type"], json.loads(body)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_the_command_line_writes_the_page_and_posts_the_same_to_the_webhook(db, load, tmp_path):
    load("accounts", ACCOUNTS)
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        with pytest.raises(ValueError, match="digest_webhook"):
            settings.put(db, "digest_webhook", "file:///etc/passwd", by=EDITOR)
        settings.put(db, "digest_webhook", url, by=EDITOR)
        db.release()
        out = tmp_path / "digest.html"
        done = subprocess.run([sys.executable, "-m", "dashboard", "--db", str(db.path), "digest", "--out", str(out),
                               "--as-of", "2026-10-31", "--owner", "佐藤"], capture_output=True, text=True, check=True)
        printed = json.loads(done.stdout)
        assert printed["posted"] == 200 and printed["renewals"] == 1 and out.read_text().startswith("<!DOCTYPE html>")
        kind, body = _Hook.received[-1]
        assert kind.startswith("application/json") and body["owner"] == "佐藤" and body["as_of"] == "2026-10-31"
        assert [r["account_id"] for r in body["renewals"]] == ["A"] and body["renewals"][0]["name"] == "<script>alert(1)</script>"
    finally:
        server.shutdown()


@pytest.mark.slow
def test_the_digest_lists_exactly_the_accounts_that_turned_red(app_db):
    db = Database(app_db)
    week_before = AS_OF - dt.timedelta(days=7)
    d = digest.build(views.caller(db), worklog.state(db), AS_OF, TODAY, "ja")
    # worked out apart from the digest: each account's band on the two days from the scores themselves
    scores = run(db, "health_scores", as_of=AS_OF, days=[week_before, AS_OF])
    band = {(r.account_id, r.day.date()): r.band for r in scores.itertuples()}
    active = set(run(db, "accounts", as_of=AS_OF)["account_id"])
    expected = sorted(a for a in active if band.get((a, AS_OF)) == "red" and band.get((a, week_before)) != "red")
    assert sorted(r["account_id"] for r in d["turned_red"]) == expected and len(expected) == 6
    assert all(r["band_before"] == band.get((r["account_id"], week_before)) for r in d["turned_red"])
