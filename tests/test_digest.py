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
from dashboard.results import run

EDITOR = auth.User("lead", "editor")
AS_OF = dt.date(2026, 10, 31)
TODAY = dt.date(2026, 11, 2)
ACCOUNTS = """account_id,name,mrr,contract_start,renewal_date,owner
A,<script>alert(1)</script>,100000,2025-01-01,2026-11-10,佐藤
B,青葉商事,50000,2025-01-01,2027-03-01,鈴木
C,北斗工業,30000,2025-01-01,2026-11-20,鈴木
D,東西物産,20000,2025-01-01,2026-11-30,佐藤
E,南北製作所,10000,2025-01-01,2026-12-01,佐藤
"""


def test_renewals_and_overdue_tasks_for_one_owner_escaped_for_a_mail_client(db, load):
    load("accounts", ACCOUNTS)
    worklog.record(db, "A", "task", by=EDITOR, task="更新前の面談", due=dt.date(2026, 10, 30))
    worklog.record(db, "B", "task", by=EDITOR, task="電話", due=dt.date(2026, 11, 1))  # after the data, before today
    worklog.record(db, "B", "assign", by=EDITOR, owner="佐藤")  # B is 佐藤's now
    worklog.record(db, "C", "task", by=EDITOR, task="訪問", due=dt.date(2026, 10, 1))
    worklog.record(db, "C", "done", by=EDITOR)  # done: not overdue
    worklog.record(db, "D", "task", by=EDITOR, task="提案", due=TODAY)  # due today: not overdue yet
    d = digest.build(views.caller(db), worklog.state(db), AS_OF, TODAY, "ja")
    # renewals within 30 days of the as-of day (10/31): 11/10, 11/20, 11/30 — not 12/01
    assert [r["account_id"] for r in d["renewals"]] == ["A", "C", "D"]
    # overdue: due before today (11/02), the data's day notwithstanding
    assert [(r["account_id"], r["task"], r["owner"]) for r in d["overdue_tasks"]] == [
        ("A", "更新前の面談", "佐藤"), ("B", "電話", "佐藤")]
    kpis = {k["key"]: k for k in d["kpis"]}
    assert kpis["accounts"]["now"] == 5 and kpis["mrr"]["now"] == 210000 and kpis["mrr"]["change"] == 0
    assert kpis["red_accounts"]["now"] is None and not d["scored"]  # no health measures: no red figures
    page = digest.to_html(d, "ja")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "30日以内の契約更新（3社）" in page and "期限切れのタスク（2件）" in page and "更新前の面談" in page
    assert "赤の顧客は数えていません" in page and "期限切れは2026/11/02時点" in page
    mine = digest.build(views.caller(db), worklog.state(db), AS_OF, TODAY, "ja", owner="佐藤")
    assert [r["account_id"] for r in mine["renewals"]] == ["A", "D"]  # B (assigned to her) renews in March
    assert [r["account_id"] for r in mine["overdue_tasks"]] == ["A", "B"]
    assert {k["key"]: k["now"] for k in mine["kpis"]}["accounts"] == 4  # A, B, D, E
    theirs = digest.build(views.caller(db), worklog.state(db), AS_OF, TODAY, "ja", owner="鈴木<b>")
    assert "担当CSM: 鈴木&lt;b&gt;" in digest.to_html(theirs, "ja") and theirs["renewals"] == []
    english = digest.to_html(d, "en")
    assert "Renewals within 30 days (3)" in english and "週次" not in english


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
        assert printed["posted"] == 200 and printed["renewals"] == 2 and out.read_text().startswith("<!DOCTYPE html>")
        kind, body = _Hook.received[-1]
        assert kind.startswith("application/json") and body["owner"] == "佐藤" and body["as_of"] == "2026-10-31"
        assert [r["account_id"] for r in body["renewals"]] == ["A", "D"]
        assert body["renewals"][0]["name"] == "<script>alert(1)</script>"  # JSON carries the text as it is
        assert "30日以内の契約更新 2社" in body["text"] or "2 renewals" in body["text"]  # a chat webhook's line
        settings.put(Database(db.path), "digest_webhook", url.replace("/hook", ":99999/x"), by=EDITOR)  # bad port
        failed = subprocess.run([sys.executable, "-m", "dashboard", "--db", str(db.path), "digest", "--out", str(out)],
                                capture_output=True, text=True)
        assert failed.returncode == 4 and "127.0.0.1" not in failed.stderr  # said, without the secret address
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
    kpis = {k["key"]: k for k in d["kpis"]}
    assert kpis["red_accounts"]["now"] == sum(band.get((a, AS_OF)) == "red" for a in active)
    customers_then = set(run(db, "accounts", as_of=week_before, compare=False)["account_id"])
    for r in d["turned_red"]:  # its band a week before, or that it was no customer then
        then = band.get((r["account_id"], week_before))
        assert r["band_before"] == ("not_customer" if r["account_id"] not in customers_then else then), r
    assert {r["band_before"] for r in d["turned_red"]} == {"yellow", "not_customer"}
