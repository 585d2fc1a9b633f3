"""Recovery: the automatic backup of the last good state, a damaged database restored from it, and imports
killed with SIGKILL at any moment (the database opens, the previous snapshot is intact and current, no
partial snapshot; each attempt counted in docs/reliability.md)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dashboard import auth, importer
from dashboard.auth import LOCAL_USER as EDITOR
from dashboard.cli import main
from dashboard.db import Database, DatabaseError, backup_path, restore_backup
from tests.reliability import LEDGER

ROOT = Path(__file__).resolve().parent.parent
ACCOUNTS = "取引先ID,会社名,月額,契約開始日\nA1,株式会社①,\"￥120,000\",2024/4/1\nA2,髙﨑商事,80000,2024/5/1\n"


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def loaded(tmp_path) -> Path:
    path = tmp_path / "dash.duckdb"
    csv = tmp_path / "accounts.csv"
    csv.write_text(ACCOUNTS)
    importer.import_file(Database(path), csv, "accounts", by=EDITOR)
    return path


def test_every_import_leaves_a_checked_copy_of_the_last_good_state(loaded, tmp_path):
    backup = backup_path(loaded)
    assert Database(backup).content_fingerprint() == Database(loaded).content_fingerprint()
    more = tmp_path / "more.csv"
    more.write_text("取引先ID,会社名,月額,契約開始日\nA3,新規商事,50000,2024/6/1\n")
    importer.import_file(Database(loaded), more, "accounts", mode="upsert", by=EDITOR)
    copy = Database(backup)
    assert copy.query("SELECT count(*) AS n FROM cur_accounts")["n"][0] == 3  # the new state, WAL folded in
    assert copy.content_fingerprint() == Database(loaded).content_fingerprint()
    assert not list(tmp_path.glob(".dash.duckdb.backup-*"))  # no work files left


def test_a_refused_import_keeps_the_backup_as_it_was(loaded, tmp_path):
    before = backup_path(loaded).read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_text("取引先ID,会社名,月額,契約開始日\nA1,x,abc,2024/4/1\n")
    with pytest.raises(importer.ImportRefused):
        importer.import_file(Database(loaded), bad, "accounts", by=EDITOR)
    assert backup_path(loaded).read_bytes() == before


@pytest.mark.parametrize("damage", ["truncate", "scribble", "header"])
def test_a_damaged_database_is_restored_from_the_backup(loaded, capsys, damage):
    good = Database(loaded).content_fingerprint()
    data = loaded.read_bytes()
    if damage == "truncate":
        damaged = data[: len(data) // 3]
    elif damage == "scribble":
        damaged = data[:8192] + bytes(range(256)) * ((len(data) - 8192) // 256)
    else:
        damaged = b"\0" * 16 + data[16:]
    loaded.write_bytes(damaged)
    code, out, err = run(capsys, "--db", str(loaded), "report")
    assert (code, out) == (3, "")
    assert "last good state was saved automatically at" in err and "backup restore" in err
    assert "Traceback" not in err
    code, out, err = run(capsys, "--db", str(loaded), "backup", "restore")
    assert code == 0, err
    kept = Path(json.loads(out)["damaged_file_kept_as"])
    assert kept.read_bytes() == damaged  # the damaged file is kept, never deleted
    assert Database(loaded).content_fingerprint() == good
    code, out, _ = run(capsys, "--db", str(loaded), "report")
    assert code == 0 and json.loads(out)["mrr"] == 200000
    LEDGER.count("Faults", "damaged database files (truncated, scribbled, header wiped)", 1,
                 "detected with advice; restored from the last good state, content equal to before")


def test_without_a_backup_the_advice_is_to_import_again(tmp_path, capsys):
    path = tmp_path / "none.duckdb"
    code, _, err = run(capsys, "--db", str(path), "backup", "restore")
    assert code == 3 and "no automatic backup" in err


def test_only_an_editor_restores(loaded):
    with pytest.raises(auth.NotAllowed):
        restore_backup(loaded, by=auth.User("exec", "viewer"))


def test_the_app_offers_an_editor_the_restore(loaded, monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DASHBOARD_DB", str(loaded))
    monkeypatch.setenv("DASHBOARD_USERS", str(tmp_path / "users.toml"))
    data = loaded.read_bytes()
    loaded.write_bytes(data[: len(data) // 3])
    at = AppTest.from_file("../app/main.py", default_timeout=60).run()
    assert "自動保存した正常な状態に戻せます" in at.error[0].value
    at.button[-1].click().run()  # the restore button (the sidebar's buttons come first)
    assert "の状態に戻しました" in at.success[0].value
    at.run()
    assert not at.exception and not at.error
    assert len(at.metric) == 8


# -- SIGKILL at any moment -----------------------------------------------------------------------------
def usage_csv(path: Path, accounts: int, days: int) -> Path:
    import datetime as dt

    with path.open("w", encoding="utf-8") as out:
        out.write("account_id,date,logins,page_views\n")
        start = dt.date(2026, 1, 1)
        for a in range(accounts):
            for d in range(days):
                out.write(f"A{a % 2 + 1},{start + dt.timedelta(days=d + a // 2 * days)},{(a * 7 + d) % 13},"
                          f"{(a + d * 3) % 101}\n")
    return path


def content(db: Database) -> list:
    """The database's content without the moments things happened (two runs of one import differ there)."""
    stamp = re.compile(r"datetime\.datetime\([^)]*\)")
    return [(table, sorted(stamp.sub("T", row) for row in rows)) for table, rows in db.content_fingerprint()]


def _import(path: Path, csv: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "dashboard", "--db", str(path), "import", str(csv),
                             "--dataset", "usage", "--mode", "append"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


KILL_POINTS = [0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.72, 0.78, 0.84, 0.88, 0.92, 0.95, 0.98, 1.02]


def test_an_import_killed_at_any_moment_leaves_old_or_new_never_a_mix(loaded, tmp_path, reliability):
    csv = usage_csv(tmp_path / "usage.csv", 400, 500)  # 200,000 rows: a few seconds, long enough to aim
    reference = tmp_path / "reference.duckdb"
    reference.write_bytes(loaded.read_bytes())
    before = content(Database(reference))
    started = time.monotonic()
    assert _import(reference, csv).wait(timeout=300) == 0
    took = time.monotonic() - started
    after = content(Database(reference))
    assert after != before
    outcomes = {"old": 0, "new": 0}
    for i, point in enumerate(KILL_POINTS):
        target = tmp_path / f"kill{i}.duckdb"
        target.write_bytes(loaded.read_bytes())
        backup_path(target).write_bytes(backup_path(loaded).read_bytes())
        proc = _import(target, csv)
        time.sleep(took * point)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        db = Database(target)  # opens: DuckDB's WAL is replayed or dropped, never half applied
        now = content(db)
        assert now in (before, after), f"a mix after a kill at {point:.0%} of the import"
        outcomes["old" if now == before else "new"] += 1
        snapshots = db.query("SELECT dataset, count(*) FILTER (WHERE is_current) AS current FROM snapshots "
                             "GROUP BY ALL")
        assert (snapshots["current"] == 1).all()  # one current snapshot per dataset, the old or the new
        backup = content(Database(backup_path(target)))  # the backup opens too: old or new
        assert backup in (before, after)
        db.release()
    reliability.count("Faults", "SIGKILL during an import", len(KILL_POINTS),
                      f"{outcomes['old']} left the previous state, {outcomes['new']} the new one, 0 a mix")
    assert outcomes["old"] and outcomes["new"]  # the kills did land on both sides of the commit


def test_damaged_database_is_never_a_traceback_in_the_app(loaded, monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DASHBOARD_DB", str(loaded))
    monkeypatch.setenv("DASHBOARD_USERS", str(tmp_path / "users.toml"))
    backup_path(loaded).unlink()
    data = loaded.read_bytes()
    loaded.write_bytes(data[:8192] + bytes(range(256)) * ((len(data) - 8192) // 256))
    at = AppTest.from_file("../app/main.py", default_timeout=60).run()
    assert not at.exception
    assert "壊れているか" in at.error[0].value or "damaged" in at.error[0].value
    with pytest.raises(DatabaseError):
        Database(loaded).content_fingerprint()
