"""Twenty real sessions against the server (chromium on 127.0.0.1) browse every page while a command-line
import commits: no session sees an error, and every page run shows one data version, the old or the new,
with the figures of that version (never a mix). Every round records (page, data version, figures) for
every session; the rounds run while the import is under way see both versions; the file reads back whole
afterwards."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys

import pytest

from dashboard import sessions
from tests.test_browser import ARGS, CHROMIUM, ROOT, no_exception, start_server, stop_server, wait_idle

pytestmark = pytest.mark.browser
SESSIONS = 20
ORDER = ["overview", "accounts", "tiers", "health", "churn", "d2c", "simulator", "data"]


def state(page) -> tuple[int, tuple[str, ...] | None]:
    """(data version from the sidebar, the values of the page's KPI cards)."""
    caption = page.get_by_text(re.compile(r"Data version \d+")).first.inner_text()
    version = int(re.search(r"Data version (\d+)", caption).group(1))
    return version, tuple(page.locator('[data-testid="stMetricValue"]').all_inner_texts())


# The CLI import as a user runs it, held a few seconds before its commit and, after it, until the test
# has run a round of pages that started after the commit (the work after the commit takes minutes at
# scale): rounds of page runs under way during the import fall on both sides of its commit. A page's
# figures are drawn when it is clicked, so a round's time says nothing of when its pages ran.
_SLOW_IMPORT = """
import pathlib, sys, time
from dashboard.imports import importer
marks = pathlib.Path(sys.argv.pop(1))
commit = importer.commit
def held(*args, **kwargs):
    time.sleep(6)
    result = commit(*args, **kwargs)
    (marks / "committed").touch()
    deadline = time.monotonic() + 240
    while not (marks / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    return result
importer.commit = held
from dashboard.cli import main
sys.exit(main(sys.argv[1:]))
"""
MAX_ROUNDS = 9


@pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(), reason="Debian chromium is not installed")
def test_twenty_sessions_browse_while_an_import_commits(tmp_path, reliability, monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DASHBOARD_USERS", str(tmp_path / "users.toml"))  # the server's users (start_server)
    proc, url = start_server(tmp_path)
    db_file = tmp_path / "app.duckdb"
    try:
        token = sessions.sign("exec", hours=1)
        host = url.split("//")[1].split(":")[0]
        # a corrected billing export: one account-month billed ¥1,000,000 (the Overview's figures must move;
        # the month is the greatest as text, 2026/9, so October now reads as contraction: revenue churn moves)
        rows = [r for r in csv.reader(io.StringIO((tmp_path / "demo" / "請求履歴.csv").read_bytes().decode("cp932"))) if r]
        header, latest = rows[0], max(r[1] for r in rows[1:])
        first = next(r for r in rows[1:] if r[1] == latest)
        first[2] = "1000000"  # upsert replaces that account-month: the total moves by 1,000,000 - what it paid
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows([header, first])
        changed = tmp_path / "請求_翌月.csv"
        changed.write_bytes(out.getvalue().encode("cp932"))
        records: list[tuple[int, bool, str, int, tuple[str, ...]]] = []  # round, during import, page, version, cards
        errors: list[str] = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            pages = []
            for _ in range(SESSIONS):
                context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
                context.add_cookies([{"name": sessions.COOKIE, "value": token, "domain": host, "path": "/",
                                      "httpOnly": True, "sameSite": "Lax"}])
                page = context.new_page()
                page.goto(f"{url}/?lang=en", wait_until="commit")
                pages.append(page)
            importer_proc = None
            # round 0: everybody on the Overview, then the import starts; while it runs, and for one round
            # after it, each session on another page every round (together they cover every page); last
            # round: everybody on the Overview again
            i, after, last = 0, 0, False
            marks = tmp_path / "marks"
            marks.mkdir()
            while True:
                running = importer_proc is not None and importer_proc.poll() is None
                after_commit = (marks / "committed").exists()
                if i and not running:
                    last, after = after >= 1, after + 1
                if i:
                    for k, page in enumerate(pages):  # every session navigates at once, inside its session
                        slug = "overview" if last else ORDER[(k + (i - 1) * 3) % 8]
                        page.locator('[data-testid="stSidebarNav"] a').nth(ORDER.index(slug)).click()
                for k, page in enumerate(pages):
                    slug = "overview" if (i == 0 or last) else ORDER[(k + (i - 1) * 3) % 8]
                    try:
                        wait_idle(page, timeout=180_000)
                        no_exception(page)
                        version, cards = state(page)
                    except Exception as exc:  # noqa: BLE001 - counted, then the test fails below
                        errors.append(f"round {i}, session {k}, {slug}: {type(exc).__name__}: {exc}"[:300])
                        continue
                    records.append((i, running, slug, version, cards))
                if i == 0:  # all sessions are in: the import starts while they browse
                    importer_proc = subprocess.Popen(
                        [sys.executable, "-c", _SLOW_IMPORT, str(marks), "--db", str(db_file), "import",
                         str(changed), "--dataset", "mrr", "--mode", "upsert"], cwd=ROOT,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                if running and after_commit:  # a round under way after the commit is in: let the import end
                    (marks / "release").touch()
                if last or i >= MAX_ROUNDS:
                    break
                i += 1
            out, err = importer_proc.communicate(timeout=300)
            assert importer_proc.returncode == 0, err
            browser.close()
        rounds = i + 1
        versions = sorted({r[3] for r in records})
        during = {r[3] for r in records if r[1]}
        figures: dict[tuple[str, int], set[tuple[str, ...]]] = {}
        for _, _, slug, version, cards in records:
            figures.setdefault((slug, version), set()).add(cards)
        mixed = {pair: sets for pair, sets in figures.items() if len(sets) > 1}
        reliability.count("Two writers and load", "concurrent browser sessions on the server", SESSIONS,
                          f"{len(records)} page runs in {rounds} rounds covering all {len(ORDER)} pages while a CLI "
                          f"import committed; {len(errors)} errors; {len(figures)} (page, data version) pairs, "
                          f"{len(mixed)} with more than one set of figures; rounds during the import saw versions "
                          f"{sorted(during)}")
        assert not errors, errors[:3]
        assert len(versions) == 2, versions  # the old version and the new one, nothing in between
        old, new = versions
        assert during == {old, new}, during  # the rounds under way during the import saw both sides of it
        assert not mixed, mixed  # each (page, version) always with one set of figures, in every session
        assert {s for s, _ in figures} == set(ORDER)  # every page was seen
        assert figures[("overview", old)] != figures[("overview", new)]  # the import moved the figures
        assert records[-1][2:4] == ("overview", new)
    finally:
        stop_server(proc)
    # the file reads back whole: every block of every table, one data version more than before the import
    check = subprocess.run([sys.executable, "-m", "dashboard", "--db", str(db_file), "check"], cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, check.stderr
    assert json.loads(check.stdout)["data_version"] == new
