"""Twenty real sessions against the server (chromium on 127.0.0.1) browse every page while a command-line
import commits: no session sees an error, and every page run shows one data version, the old or the new,
with the figures of that version (never a mix)."""

from __future__ import annotations

import csv
import io
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


@pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(), reason="Debian chromium is not installed")
def test_twenty_sessions_browse_while_an_import_commits(tmp_path, reliability, monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DASHBOARD_USERS", str(tmp_path / "users.toml"))  # the server's users (start_server)
    proc, url = start_server(tmp_path)
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
        seen: dict[int, set[str]] = {}
        runs = errors = 0
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
            # round 0: everybody on the Overview; rounds 1-2: each session on another page (together they
            # cover every page); round 3, after the import has finished: the Overview again
            for i in range(4):
                if i:
                    for k, page in enumerate(pages):  # every session navigates at once, inside its session
                        slug = "overview" if i == 3 else ORDER[1 + (k + (i - 1) * 3) % 7]
                        page.locator('[data-testid="stSidebarNav"] a').nth(ORDER.index(slug)).click()
                for page in pages:
                    wait_idle(page, timeout=180_000)
                    try:
                        no_exception(page)
                    except AssertionError:
                        errors += 1
                        raise
                    version, cards = state(page)
                    runs += 1
                    if i in (0, 3):  # on the Overview: its eight cards, MRR among them
                        seen.setdefault(version, set()).add(cards)
                if i == 0:  # all sessions are in: the import starts while they browse
                    importer_proc = subprocess.Popen(
                        [sys.executable, "-m", "dashboard", "--db", str(tmp_path / "app.duckdb"), "import",
                         str(changed), "--dataset", "mrr", "--mode", "upsert"], cwd=ROOT,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                if i == 2:  # before the last round every session must be able to see the new data
                    out, err = importer_proc.communicate(timeout=300)
                    assert importer_proc.returncode == 0, err
            browser.close()
        assert len(seen) == 2, seen  # the old version and the new one, nothing in between
        old, new = sorted(seen)
        assert len(seen[old]) == 1 and len(seen[new]) == 1  # each version always with its own figures
        assert seen[old] != seen[new]
        reliability.count("Two writers and load", "concurrent browser sessions on the server", SESSIONS,
                          f"{runs} page runs covering all {len(ORDER)} pages while a CLI import committed; "
                          f"{errors} errors; each version's Overview cards identical in every session "
                          f"({' / '.join(seen[old].pop())} on version {old}; "
                          f"{' / '.join(seen[new].pop())} on version {new}); 0 mixed")
    finally:
        stop_server(proc)
