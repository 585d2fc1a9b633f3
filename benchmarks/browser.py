"""In a real browser: the time from navigating to the Overview until its first chart is drawn, on the demo and
at M, with the server started as the README starts it.

    .venv/bin/python benchmarks/browser.py --sizes demo M --work /tmp/bench   # writes into RESULTS.md

The databases are the pages benchmark's (built the same way, reused from --work), copied so the server
owns its file. Playwright drives Debian's chromium headless, one new browser context (a new session, as a
new visitor) per visit. First visit: right after the server started (nothing cached in the process; what
`prepare` kept after the import is in the file). Later visits: new sessions on the running server. Each
visit records when Streamlit's page shell appears, when the page title is drawn (the script has started),
and when the first Plotly chart has drawn its SVG. The floor, in the same run: a bare Streamlit app with a
title, one metric and one three-point Plotly chart, no data at all, visited the same way: what the framework
and the browser need on this machine before any figure of ours.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.imports import machine, write_section  # noqa: E402

RESULTS = ROOT / "benchmarks" / "RESULTS.md"
BEGIN, END = "<!-- browser:begin -->", "<!-- browser:end -->"
TARGETS = {"demo": 2.0, "M": 3.0}  # seconds from navigation to the Overview's first chart (the issue)
FLOOR_APP = """import plotly.graph_objects as go
import streamlit as st

st.set_page_config(layout="wide")
st.title("Floor")
st.columns(4)[0].metric("A", "1", delta="1", border=True)
st.plotly_chart(go.Figure(go.Scatter(x=[1, 2, 3], y=[1, 3, 2])))
"""


def visit(browser, url: str) -> dict:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="ja-JP")
    page = context.new_page()
    try:
        t0 = time.perf_counter()
        page.goto(f"{url}/", wait_until="commit")
        page.wait_for_selector('[data-testid="stApp"]', timeout=120_000)
        shell = time.perf_counter() - t0
        page.wait_for_selector("h1", timeout=120_000)
        title = time.perf_counter() - t0
        page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg', state="attached", timeout=120_000)
        chart = time.perf_counter() - t0
        return {"shell": shell, "title": title, "chart": chart}
    finally:
        context.close()


def run(size: str, work: Path, repeat: int, browser) -> dict:
    from benchmarks import pages
    from tests.test_browser import stop_server

    # Built by the pages benchmark, or reused from --work and prepared again: a database from older code is
    # migrated on opening, which drops what was kept, so without this the "first visit" would compute
    # every result instead of reading what an import's prepare step keeps.
    source = pages.build(size, work)
    tmp = Path(tempfile.mkdtemp(prefix=f"browser-{size}-"))
    try:
        shutil.copy(source, tmp / "app.duckdb")
        proc, url = _local_server(tmp)
        try:
            first = visit(browser, url)
            later = [visit(browser, url) for _ in range(repeat)]
        finally:
            stop_server(proc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    median = {k: statistics.median(v[k] for v in later) for k in first}
    print(f"{size}: first visit {first['chart']:.2f} s to the first chart (shell {first['shell']:.2f} s); "
          f"later visits {median['chart']:.2f} s (shell {median['shell']:.2f} s)", flush=True)
    return {"size": size, "first": first, "later": median}


def floor(repeat: int, browser) -> dict:
    """The bare app's visits: the first after its server started, then the median of ``repeat`` more."""
    import subprocess

    from tests.test_browser import free_port, stop_server

    tmp = Path(tempfile.mkdtemp(prefix="browser-floor-"))
    try:
        (tmp / "floor.py").write_text(FLOOR_APP)
        port = free_port()
        proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "streamlit"), "run", str(tmp / "floor.py"),
                                 "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1"],
                                cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            url = _healthy(proc, f"http://127.0.0.1:{port}", tmp / "none.log")
            first = visit(browser, url)
            later = [visit(browser, url) for _ in range(repeat)]
        finally:
            stop_server(proc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"size": "floor", "first": first, "later": {k: statistics.median(v[k] for v in later) for k in first}}


def _healthy(proc, url: str, log: Path) -> str:
    import urllib.request

    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                return url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(log.read_text() if log.exists() else f"{url} did not start")


def _local_server(tmp: Path):
    """The server as scripts/start.sh starts it, for the one local user (no users file: no login to time)."""
    import os
    import subprocess

    from tests.test_browser import free_port

    port = free_port()
    env = {**os.environ, "DASHBOARD_DB": str(tmp / "app.duckdb"), "DASHBOARD_USERS": str(tmp / "no-users.toml")}
    log = open(tmp / "server.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(["bash", "scripts/start.sh", "--server.port", str(port), "--server.address", "127.0.0.1"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return proc, _healthy(proc, f"http://127.0.0.1:{port}", tmp / "server.log")


def table(rows: list[dict]) -> str:
    floor_ = next((r for r in rows if r["size"] == "floor"), None)
    out = ["| app | visit | shell s | title s | first chart s | chart / floor | target |",
           "|---|---|---:|---:|---:|---:|---|"]
    for r in rows:
        for when, label in (("first", "first, right after the server started"), ("later", "later (new session), median")):
            v = r[when]
            ratio = f"{v['chart'] / floor_[when]['chart']:.1f}" if floor_ else ""
            if r["size"] == "floor":
                name, target = "floor: bare Streamlit, title + metric + chart", ""
            else:
                name, limit = f"Overview, {r['size']}", TARGETS.get(r["size"], 3.0)
                target = f"{'✅' if v['chart'] < limit else '❌'} < {limit:.0f} s"
            out.append(f"| {name} | {label} | {v['shell']:.2f} | {v['title']:.2f} | {v['chart']:.2f} | {ratio} | {target} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["demo", "M"])
    parser.add_argument("--work", type=Path, help="where the pages benchmark's databases are (reused) or go")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from tests.test_browser import ARGS, CHROMIUM

    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        chromium = browser.version
        try:
            rows = [floor(args.repeat, browser)] + [run(size, work, args.repeat, browser) for size in args.sizes]
        finally:
            browser.close()
    from importlib.metadata import version

    section = "\n".join([
        BEGIN,
        f"Run {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} on {machine()}, streamlit {version('streamlit')}, "
        f"playwright {version('playwright')}, Debian chromium {chromium} (headless), server and browser on this "
        "machine.",
        f"Command: `.venv/bin/python benchmarks/browser.py --sizes {' '.join(args.sizes)} --repeat {args.repeat}`.",
        "",
        table(rows),
        END,
    ])
    write_section(args.results, BEGIN, END, section, "## In the browser (issue: one way from data to every figure)")
    print(table(rows))
    return rows


if __name__ == "__main__":
    main()
