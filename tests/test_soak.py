"""Soak: app sessions read the database for minutes while command-line imports commit again and again (the
README's scheduled refresh). No read fails, every read sees one data version with that version's figures,
and afterwards the file reads back whole (every block of every table, `python -m dashboard check` in a
fresh process) with one data version per import and one snapshot per import.

Found by an independent run before the lock fix (issue 30): the import's backup copy dropped DuckDB's lock,
the app opened the file read-write while the CLI still wrote it, and 2 runs in 7 damaged the file.
DASHBOARD_SOAK_SECONDS sets how long (default 150 s)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest

from dashboard import results
from dashboard.db import APP_LINGER_SECONDS, Database, version_in

pytestmark = pytest.mark.system
ROOT = Path(__file__).resolve().parent.parent
SECONDS = float(os.environ.get("DASHBOARD_SOAK_SECONDS") or 150)
SESSIONS = 4


def _bill(path: Path, amount: int) -> Path:
    """One account-month re-billed: an upsert that moves the MRR total by a known amount."""
    path.write_text(f"取引先ID,対象月,MRR\nSOAK1,2026/10,{amount}\nSOAK2,2026/10,{amount * 2}\n", encoding="utf-8")
    return path


def test_app_sessions_and_repeated_imports_leave_a_whole_file(demo_file, tmp_path, reliability):
    path = tmp_path / "soak.duckdb"
    shutil.copy(demo_file, path)
    files = [_bill(tmp_path / "a.csv", 100_000), _bill(tmp_path / "b.csv", 300_000)]
    app = Database(path, linger=APP_LINGER_SECONDS)  # one object shared by the sessions, as in the app
    start_version = app.data_version()
    def one(sql: str):
        return app.read(lambda con: con.execute(sql).fetchone()[0])
    base = one("SELECT sum(mrr) FROM mrr_history WHERE account_id NOT LIKE 'SOAK%'")  # exact: a Decimal
    figures_of = {start_version: one("SELECT sum(mrr) FROM mrr_history")}
    as_of = one("SELECT max(month) FROM mrr_history")
    stop = threading.Event()
    seen: dict[int, set[Decimal]] = {}
    reads = [0]
    errors: list[str] = []
    lock = threading.Lock()

    def session(k: int) -> None:
        last = -1
        while not stop.is_set():
            try:
                version, total = app.read(lambda con: (version_in(con), con.execute(
                    "SELECT sum(mrr) FROM mrr_history").fetchone()[0]))
                # a page's own results, on whatever data is current (the load of a page run)
                name = ("mrr_movements", "accounts", "tier_summary", "churn")[reads[0] % 4]
                params = {"as_of": as_of, "from_month": dt.date(2025, 11, 1), "start": dt.date(2025, 11, 1),
                          "grain": "month"}
                wanted = {p: params[p] for p in results.RESULTS[name].params if p in params}
                results.run(app, name, **wanted)
            except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
                with lock:
                    errors.append(f"session {k}: {type(exc).__name__}: {exc}")
                time.sleep(0.2)
                continue
            with lock:
                reads[0] += 1
                seen.setdefault(version, set()).add(total)
                if version < last:
                    errors.append(f"session {k}: version went back {last} -> {version}")
            last = version

    threads = [threading.Thread(target=session, args=(k,), daemon=True) for k in range(SESSIONS)]
    for thread in threads:
        thread.start()
    imports = 0
    deadline = time.monotonic() + SECONDS
    try:
        while time.monotonic() < deadline and len(errors) < 20:
            csv = files[imports % 2]
            done = subprocess.run([sys.executable, "-m", "dashboard", "--db", str(path), "import", str(csv),
                                   "--dataset", "mrr", "--mode", "upsert"], cwd=ROOT, capture_output=True,
                                  text=True, timeout=300)
            assert done.returncode == 0, done.stderr
            assert json.loads(done.stdout)["unchanged"] is False
            imports += 1
            amount = 100_000 if csv is files[0] else 300_000
            figures_of[start_version + imports] = base + Decimal(amount * 3)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
        app.release()
    assert not errors, errors[:5]
    assert imports >= 3 and reads[0] >= imports
    # every read saw one version and exactly that version's total (never a mix, never another version's)
    for version, totals in seen.items():
        assert totals == {figures_of[version]}, (version, totals, figures_of[version])
    assert len(seen) >= 2  # the sessions did read while imports committed
    # the file reads back whole in a fresh process, with one data version and one snapshot per import
    check = subprocess.run([sys.executable, "-m", "dashboard", "--db", str(path), "check"], cwd=ROOT,
                           capture_output=True, text=True, timeout=600)
    assert check.returncode == 0, check.stderr
    checked = json.loads(check.stdout)
    assert checked["data_version"] == start_version + imports
    after = Database(path)
    snaps = after.query("SELECT snapshot_id, is_current FROM snapshots WHERE dataset = 'mrr' ORDER BY snapshot_id")
    assert int(snaps["is_current"].sum()) == 1 and bool(snaps["is_current"].iloc[-1])
    assert snaps["snapshot_id"].is_monotonic_increasing and len(snaps) == 1 + imports
    reliability.count("Two writers and load", "soak: CLI imports committed while app sessions read", imports,
                      f"{SESSIONS} sessions, {SECONDS:.0f} s, {reads[0]:,} page reads over {len(seen)} data "
                      f"versions, each with its own figures; {len(errors)} errors; every table read back "
                      f"whole afterwards (`check`), data version {start_version} -> {start_version + imports}")
