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
import threading
import time
from pathlib import Path

import pytest

from dashboard import auth
from dashboard.auth import LOCAL_USER as EDITOR
from dashboard.cli import main
from dashboard.db import Database, DatabaseError, backup_path, restore_backup
from dashboard.imports import importer
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


# Columns whose values are the moment of a run, or how long it took, rather than content (two runs of one
# import differ there): every TIMESTAMP column (imported_at, updated_at, changed_at, kept_at, made_at), and:
RUN_DEPENDENT = {("kept_results", "seconds")}


def content(db: Database) -> dict[str, list[tuple]]:
    """Every table in the file (the kept ones, kept_* and kept_result_*, too), its rows sorted, with timestamps
    and RUN_DEPENDENT columns blanked. (Could become a parameter of ``Database.content_fingerprint``, which
    lists schema.ALL_TABLES only.)"""
    def read(con):
        tables = con.execute(
            "SELECT t.table_name, list(c.column_name ORDER BY c.column_index), "
            "list(c.data_type ORDER BY c.column_index) FROM duckdb_tables() t JOIN duckdb_columns() c "
            "USING (table_oid) WHERE t.database_name = current_database() GROUP BY ALL").fetchall()
        out = {}
        for table, names, types in tables:
            values = ", ".join("NULL" if kind.startswith("TIMESTAMP") or (table, name) in RUN_DEPENDENT
                               else f'"{name}"' for name, kind in zip(names, types, strict=True))
            out[table] = con.execute(f'SELECT {values} FROM "{table}" ORDER BY ALL').fetchall()  # noqa: S608 (the file's own names)
        return out
    return db.read(read)


# The tables the work after the import's commit adds to, each of its writes whole: a kept result (its row in
# kept_results and its table kept_result_<key>), or the health scores of some days (their rows in the four kept_health_ tables).
LATER = ("kept_results", "kept_health_days", "kept_health_scores", "kept_health_parts",
         "kept_health_part_days", "kept_ready")


def mix_past_the_commit(now: dict, committed: dict, after: dict) -> list[str]:
    """How ``now`` differs from a state the import can leave once its data transaction has committed: the
    content then (``committed``) plus any of the later writes, each whole, as the reference run made them
    (``after``). Empty: no difference."""
    wrong = [f"{table}: not in the reference run" for table in now.keys() - after.keys()]
    for table, rows in after.items():
        if table in LATER:
            continue
        if table.startswith("kept_result_") and table not in committed:  # one CREATE TABLE AS: all or nothing
            if table in now and now[table] != rows:
                wrong.append(f"{table}: not the reference run's rows")
        elif now.get(table) != rows:
            wrong.append(f"{table}: not the content the import committed")
    listed = {f"kept_result_{row[0]}" for row in now["kept_results"]}
    if listed != {table for table in now if table.startswith("kept_result_")}:
        wrong.append("kept_results does not list the kept_result_ tables there are")
    if list(map(repr, now["kept_results"])) != [repr(row) for row in after["kept_results"]
                                                if f"kept_result_{row[0]}" in listed]:
        wrong.append("kept_results: not the reference run's rows")
    days = {row[:4] for row in now["kept_health_days"]}  # (data, configuration, as-of day, day)
    for table in ("kept_health_days", "kept_health_scores"):
        if list(map(repr, now[table])) != [repr(row) for row in after[table] if row[:4] in days]:
            wrong.append(f"{table}: not the reference run's rows of the days kept")
    parts = {(row[0], row[3], row[4]) for row in now["kept_health_part_days"]}  # (part, as-of day, day)
    if list(map(repr, now["kept_health_parts"])) != [repr(row) for row in after["kept_health_parts"]
                                                     if row[:3] in parts]:
        wrong.append("kept_health_parts: not the reference run's rows of the parts kept")
    if now["kept_ready"] not in (committed["kept_ready"], after["kept_ready"]):
        wrong.append("kept_ready: neither before nor after the refresh")
    return wrong


# The command line's import with dashboard.db's debug lines on stderr ("@ <moment> <write> <message>"), where
# <write> is "import" for the write importer.commit makes (the new snapshot, one transaction) and "other" for
# the ones after it (kept health scores, kept results). Not on stdout: the JSON result goes there, and DuckDB's
# progress bar, written when a query takes over 2 s, which can end mid-line.
LOGGED_IMPORT = """
import logging, sys

def which_write(record):
    frame = sys._getframe()
    while frame and not (frame.f_code.co_name == "write" and frame.f_globals["__name__"] == "dashboard.db"):
        frame = frame.f_back
    caller = frame.f_back if frame else None
    ours = caller and (caller.f_code.co_name, caller.f_globals["__name__"]) == ("commit", "dashboard.imports.importer")
    record.write = "import" if ours else "other"
    return True

handler = logging.StreamHandler(sys.stderr)
handler.addFilter(which_write)
handler.setFormatter(logging.Formatter("@ %(created).6f %(write)s %(message)s"))
logging.getLogger("dashboard.db").addHandler(handler)
logging.getLogger("dashboard.db").setLevel(logging.DEBUG)
from dashboard.cli import main
sys.exit(main(sys.argv[1:]))
"""
LOGGED = re.compile(r"@ (\d+\.\d+) (import|other) (.*)")
BEGAN, COMMITTED = "write transaction began", "write transaction committed"


def _import(path: Path, csv: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-u", "-c", LOGGED_IMPORT, "--db", str(path), "import", str(csv),
                             "--dataset", "usage", "--mode", "append"], cwd=ROOT, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _read(proc: subprocess.Popen, log: list[str], until: tuple[str, str, int] | None = None) -> None:
    """Add the import's stderr lines to ``log``: up to the nth line that ``write`` logged ``message``, for
    ``until`` = (write, message, n), or to the end."""
    seen = 0
    while text := proc.stderr.readline():
        log.append(text)
        if until and (line := LOGGED.search(text)) and line.group(2, 3) == until[:2]:
            seen += 1
            if seen == until[2]:
                return


def _logged(log: list[str], write: str, message: str) -> list[float]:
    """When ``write`` ("import" or "other") logged ``message``."""
    return [float(line[1]) for text in log if (line := LOGGED.search(text)) and line.group(2, 3) == (write, message)]


def _moment(log: list[str], message: str) -> float | None:
    """When the import's own write logged ``message`` (None: it did not)."""
    return next(iter(_logged(log, "import", message)), None)


def _give_up(proc: subprocess.Popen, hung: threading.Event) -> None:
    hung.set()
    proc.kill()


# Where the kills are aimed. After the import's COMMIT, as soon as it logs: the COMMIT (the backup is being
# saved), the BEGIN of the 1st and the 10th write after it (kept health scores, a kept result). Inside: these
# fractions of its shortest write transaction seen so far (0.1 to 0.5 s, with the machine's load) after its
# BEGIN, denser towards the end (a run's transaction is often longer than the shortest: the last tens of ms,
# with the COMMIT, are hit in some runs only). Before: these fractions of the time the reference run took to
# BEGIN (staging and checking the file).
KILLS = [*(("after", line) for line in (("import", COMMITTED, 1), ("other", BEGAN, 1), ("other", BEGAN, 10))),
         *(("inside", f) for f in (0.0, 0.2, 0.4, 0.55, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0, 1.1)),
         ("before", 0.5)]
AT_LEAST_INSIDE = 8  # of the 15 kills, that must land inside the transaction (9 to 11 did in the runs so far)


def test_an_import_killed_at_any_moment_leaves_old_or_new_never_a_mix(loaded, tmp_path, reliability):
    csv = usage_csv(tmp_path / "usage.csv", 400, 500)  # 200,000 rows, 400,000 values: prepared after the commit
    reference = tmp_path / "reference.duckdb"
    reference.write_bytes(loaded.read_bytes())
    before = content(Database(reference))
    log: list[str] = []
    started = time.time()
    proc = _import(reference, csv)
    _read(proc, log)
    assert proc.wait(timeout=300) == 0, "".join(log)
    took = time.time() - started
    began, committed_at = _moment(log, BEGAN), _moment(log, COMMITTED)
    assert began and committed_at, "".join(log)  # the import's own write, logged
    assert len(_logged(log, "other", BEGAN)) >= 10, "".join(log)  # the writes after it, that kills wait for
    to_begin = began - started
    transactions = [committed_at - began]  # how long the import's write transaction took in each run finishing it
    after = content(Database(reference))
    committed = content(Database(backup_path(reference)))  # saved right after the COMMIT, before any later write
    assert before != committed != after  # the import changed the data, the work after it what is kept
    for state in (committed, after):  # else the work after the commit changed (see LATER)
        assert not mix_past_the_commit(state, committed, after), mix_past_the_commit(state, committed, after)
    landed: dict[tuple[str, str], int] = {}
    in_later_write = 0
    for i, (aim, at) in enumerate(KILLS):
        target = tmp_path / f"kill{i}.duckdb"
        target.write_bytes(loaded.read_bytes())
        backup_path(target).write_bytes(backup_path(loaded).read_bytes())
        log = []
        spawned = time.time()
        proc = _import(target, csv)
        hung = threading.Event()  # a hung import fails the test instead of hanging it
        guard = threading.Timer(300, _give_up, (proc, hung))
        guard.start()
        if aim == "before":
            time.sleep(max(0.0, spawned + at * to_begin - time.time()))
        elif aim == "inside":
            _read(proc, log, until=("import", BEGAN, 1))  # the wait counts from when it logged BEGIN
            time.sleep(max(0.0, _moment(log, BEGAN) + at * min(transactions) - time.time()))
        else:
            _read(proc, log, until=at)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        _read(proc, log)  # what it wrote before it died
        guard.cancel()
        assert not hung.is_set(), "".join(log)
        assert proc.returncode == -signal.SIGKILL, f"the import ended ({proc.returncode}) before kill {i}"
        began, committed_at = _moment(log, BEGAN), _moment(log, COMMITTED)
        if began and committed_at:
            transactions.append(committed_at - began)
        where = "after" if committed_at else "inside" if began else "before"
        what = f"kill {i} (aimed {aim}: {at}, landed {where} the import's transaction)"
        db = Database(target)  # opens: DuckDB's WAL is replayed or dropped, never half applied
        now = content(db)
        if now == before:
            outcome = "old"
        else:
            outcome, wrong = "new", mix_past_the_commit(now, committed, after)
            assert not wrong, f"a mix after {what}: {wrong}"
        landed[where, outcome] = landed.get((where, outcome), 0) + 1
        later = _logged(log, "other", BEGAN), _logged(log, "other", COMMITTED)
        in_later_write += len(later[0]) > len(later[1])
        assert where != "before" or outcome == "old", f"new data before the transaction began: {what}"
        assert where != "after" or outcome == "new", f"the committed import was lost: {what}"
        snapshots = db.query("SELECT dataset, count(*) FILTER (WHERE is_current) AS current FROM snapshots "
                             "GROUP BY ALL")
        assert (snapshots["current"] == 1).all(), what  # one current snapshot per dataset, the old or the new
        backup = content(Database(backup_path(target)))  # the backup opens too: old or new
        assert backup in (before, committed), f"the backup is a mix after {what}"
        db.release()
    inside = {outcome: landed.get(("inside", outcome), 0) for outcome in ("old", "new")}
    reliability.count(
        "Faults", "SIGKILL during an import", len(KILLS),
        f"aimed at its write transaction ({min(transactions):.2f}-{max(transactions):.2f} s of a {took:.0f} s "
        f"import): {sum(inside.values())} landed inside it ({inside['old']} left the previous state, "
        f"{inside['new']} the new one), {landed.get(('before', 'old'), 0)} before it (the previous state), "
        f"{landed.get(('after', 'new'), 0)} after its commit (the new one; {in_later_write} inside a later write "
        "of kept health scores or results, kept whole); 0 a mix")
    assert sum(inside.values()) >= AT_LEAST_INSIDE, landed  # the kills did land inside the transaction
    assert ("before", "old") in landed and ("after", "new") in landed, landed  # and on both sides of it


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
