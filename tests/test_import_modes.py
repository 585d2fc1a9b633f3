"""Import modes (replace guarded and confirmed, append twice, upsert), nothing silently ignored (unmapped
headers, 月額(税抜)), money exact to the cent in another currency, and a 1M-row CP932 file in bounded memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard import report
from dashboard import settings as S
from dashboard.auth import LOCAL_USER as EDITOR
from dashboard.cli import main
from dashboard.imports import importer
from dashboard.imports.readers import ImportRefused

ROOT = Path(__file__).resolve().parent.parent
FOUR = "取引先ID,会社名,月額\nA1,一号,1000\nA2,二号,2000\nA3,三号,3000\nA4,四号,4000\n"


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def current(db, dataset, columns="*", order="1"):
    return db.query(f"SELECT {columns} FROM cur_{dataset} ORDER BY {order}").values.tolist()  # noqa: S608 (test's own)


# -- replace ---------------------------------------------------------------------------------------
def test_a_partial_file_does_not_silently_replace_all_accounts(db, tmp_path, capsys):
    (tmp_path / "full.csv").write_text(FOUR)
    (tmp_path / "partial.csv").write_text("取引先ID,会社名,月額\nA1,一号,1500\n")
    dbpath = str(db.path)
    assert run(capsys, "--db", dbpath, "import", str(tmp_path / "full.csv"), "--dataset", "accounts")[0] == 0
    before = db.content_fingerprint()
    code, out, err = run(capsys, "--db", dbpath, "import", str(tmp_path / "partial.csv"), "--dataset", "accounts")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "would remove 3 of the 4 current keys of Accounts (the file has 1)" in err
    assert db.content_fingerprint() == before
    code, out, _ = run(capsys, "--db", dbpath, "import", str(tmp_path / "partial.csv"), "--dataset", "accounts",
                       "--confirm-replace")
    assert code == 0 and json.loads(out)["mode"] == "replace"
    assert current(db, "accounts", "account_id, mrr") == [["A1", 1500]]


def test_replacing_half_or_fewer_needs_no_confirmation(db, load):
    load("accounts", FOUR)
    result = load("accounts", "取引先ID,会社名,月額\nA1,一号,1000\nA2,二号,2000\nA5,五号,5000\n", name="next.csv")
    assert result["rows_loaded"] == 3  # removes A3 and A4: 2 of 4, not more than half
    assert [r[0] for r in current(db, "accounts", "account_id")] == ["A1", "A2", "A5"]


def test_the_plan_shows_the_counts_before_anything_is_written(db, load):
    load("accounts", FOUR)
    plan = importer.plan_import("取引先ID\nA9\n".encode(), "one.csv", "accounts", db=db)
    assert plan.guard == {"current": 4, "incoming": 1, "removed": 4}
    plan.discard()


# -- append ----------------------------------------------------------------------------------------
TOUCH = "取引先ID,接触日,対応種別\nA1,2024/4/1,QBR\nA2,2024/4/3,電話\nA2,2024/4/3,電話\n"


def test_append_adds_new_rows_and_the_same_file_twice_changes_nothing(db, load):
    first = load("touchpoints", TOUCH)
    assert first["rows_loaded"] == 3  # two identical calls on one day are two calls
    second = load("touchpoints", "取引先ID,接触日,対応種別\nA2,2024/4/3,電話\nA3,2024/5/1,メール\n",
                  name="may.csv", mode="append")
    assert (second["mode"], second["rows_loaded"], second["rows_duplicate"]) == ("append", 1, 1)
    again = load("touchpoints", "取引先ID,接触日,対応種別\nA2,2024/4/3,電話\nA3,2024/5/1,メール\n",
                 name="may.csv", mode="append")
    assert (again["unchanged"], again["snapshot"], again["rows_duplicate"]) == (True, second["snapshot"], 2)
    assert current(db, "touchpoints", "account_id, kind", "1, 2") == [
        ["A1", "QBR"], ["A2", "電話"], ["A2", "電話"], ["A3", "メール"]]
    assert len(importer.list_snapshots(db)) == 2
    importer.restore(db, first["snapshot"], by=EDITOR)  # an append's parent is still whole
    assert len(current(db, "touchpoints")) == 3


def test_append_of_a_stored_key_with_other_values_is_a_rejected_row(db, load):
    load("usage", "取引先ID,日付,ログイン数\nA1,2024/4/1,3\n")
    result = load("usage", "取引先ID,日付,ログイン数\nA1,2024/4/1,5\nA1,2024/4/2,7\n", name="u2.csv", mode="append")
    assert (result["rows_loaded"], result["rows_rejected"]) == (1, 1)
    assert current(db, "usage", "account_id, date::VARCHAR, measure, value", "2") == [
        ["A1", "2024-04-01", "logins", 3.0], ["A1", "2024-04-02", "logins", 7.0]]
    stored = importer.rejected_rows(db, result["snapshot"])
    assert "import with upsert" in stored["message"][0] or "upsert" in stored["message"][0]


def test_a_mode_a_dataset_does_not_take_is_refused(db, load):
    with pytest.raises(ImportRefused) as info:
        load("accounts", FOUR, mode="append")
    assert info.value.key == "mode_not_for_dataset"


# -- upsert ----------------------------------------------------------------------------------------
def test_upsert_replaces_rows_by_key_and_adds_new_keys(db, load):
    load("accounts", FOUR)
    result = load("accounts", "取引先ID,会社名,月額\nA2,二号,2500\nA5,五号,5000\nA3,三号,3000\n",
                  name="changes.csv", mode="upsert")
    assert (result["mode"], result["rows_duplicate"]) == ("upsert", 1)
    assert current(db, "accounts", "account_id, mrr") == [["A1", 1000], ["A2", 2500], ["A3", 3000], ["A4", 4000],
                                                          ["A5", 5000]]


def test_mrr_upsert_corrects_one_month(db, load):
    load("mrr", "取引先ID,請求月,請求金額\nA1,2024-04,1000\nA1,2024-05,1000\n")
    load("mrr", "取引先ID,請求月,請求金額\nA1,2024-05,1200\n", name="fix.csv", mode="upsert")
    assert current(db, "mrr", "strftime(month, '%Y-%m'), mrr", "1") == [["2024-04", 1000], ["2024-05", 1200]]


# -- nothing silently ignored ----------------------------------------------------------------------
def test_unmapped_headers_are_listed_and_qualified_headers_map(db, load):
    result = load("accounts", "取引先ID,月額(税抜),備考,初期費用金額\nA1,\"10,000\",よい,50000\n")
    assert result["mapping"] == {"account_id": "取引先ID", "mrr": "月額(税抜)"}
    assert result["unmapped"] == ["備考", "初期費用金額"]
    assert result["warnings"] == ["accounts.csv: these headers look like data but are not mapped to any column: "
                                  "初期費用金額. Change the mapping to import them."]
    assert current(db, "accounts", "mrr") == [[10_000]]


@pytest.mark.parametrize("header", ["月額(税抜)", "月額（税込）", "月額[円]", "MRR【税抜】"])
def test_bracketed_qualifiers_are_ignored_in_matching(load, header):
    assert load("accounts", f"取引先ID,{header}\nA1,100\n")["mapping"]["mrr"] == header


# -- money exact in the workspace currency ---------------------------------------------------------
def test_usd_orders_and_mrr_come_back_exact_to_the_cent(db, load):
    S.put(db, "currency", "USD", by=EDITOR)
    load("orders", "customer_id,order_date,amount\nC1,2024-01-05,11.77\nC1,2024-02-01,$12.00\n"
                   "C2,2024-01-10,29.85\nC3,2024-03-01,\"US$1,234.50\"\n")
    load("mrr", "account_id,month,mrr\nA1,2024-01,29.85\nA1,2024-02,29.85\nA2,2024-01,100.10\nA2,2024-02,100.10\n"
                "A2,2024-03,100.10\n")
    assert current(db, "mrr", "mrr", "account_id, month")[0] == [pytest.approx(29.85)]
    assert db.read(lambda con: con.execute("SELECT sum(amount)::VARCHAR FROM cur_orders").fetchone()[0]) == "1288.1200"
    r = json.loads(json.dumps(report.jsonable(report.build(db, as_of=__import__("datetime").date(2024, 3, 31),
                                                           start=__import__("datetime").date(2024, 3, 1)))))
    assert r["d2c"]["revenue"] == 1288.12 and r["d2c"]["orders"] == 4
    assert r["d2c"]["aov"] == pytest.approx(322.03, abs=1e-9)
    march = r["churn"][-1]
    assert (march["period_start"], march["customers_churned"]) == ("2024-03-01", 1)
    assert (march["mrr_at_start"], march["mrr_churned"]) == (129.95, 29.85)
    assert r["mrr"] == 100.1


def test_yen_amounts_are_no_longer_rounded(db, load):
    load("accounts", "取引先ID,月額\nA1,99.5\nA2,\"1,000.25\"\n")
    assert db.read(lambda con: con.execute("SELECT list(mrr::VARCHAR ORDER BY account_id) FROM cur_accounts")
                   .fetchone()[0]) == ["99.5000", "1000.2500"]


# -- a large CP932 file in bounded memory ------------------------------------------------------------
def test_a_million_row_cp932_file_imports_in_bounded_memory(tmp_path):
    path = tmp_path / "利用状況.csv"
    with path.open("w", encoding="cp932", newline="") as fh:
        fh.write("取引先ID,日付,ログイン数,表示数\r\n")
        for i in range(1_000_000):
            fh.write(f"A{i % 20_000:05d},2024/{1 + i // 20_000 % 12}/{1 + i // 240_000},{i % 17},{i % 101}\r\n")
    code = ("import json, sys; from dashboard.db import Database; from dashboard.imports import importer; "
            "from dashboard.auth import LOCAL_USER as EDITOR; "
            "r = importer.import_file(Database(sys.argv[1]), sys.argv[2], 'usage', by=EDITOR); "
            "out = {k: r[k] for k in ('rows_read', 'rows_loaded', 'rows_rejected', 'encoding')}; "
            # VmHWM: this process's own peak (ru_maxrss would carry the forking test process's watermark)
            "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]; "
            "out['peak_mb'] = int(hwm) / 1024; print(json.dumps(out))")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "big.duckdb"), str(path)], capture_output=True,
                          text=True, cwd=ROOT, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    peak_mb = result.pop("peak_mb")
    assert result == {"rows_read": 1_000_000, "rows_loaded": 1_000_000, "rows_rejected": 0, "encoding": "cp932"}
    assert peak_mb < 1_200, f"peak RSS {peak_mb:.0f} MB"  # the row-by-row importer took 1.4 GB for this


def test_the_replace_guard_names_only_the_modes_the_dataset_has():
    """The guard told an accounts import to choose 「追加」 (append), which accounts imports do not offer."""
    from dashboard.imports.importer import ReplaceNeedsConfirmation

    counts = {"file": "f.csv", "current": 4, "incoming": 1, "removed": 3}
    accounts = ReplaceNeedsConfirmation(dataset="accounts", **counts)
    assert "「追加」" not in accounts.message("ja") and "「更新（upsert）」" in accounts.message("ja")
    assert "現在の顧客のキー" in accounts.message("ja") and "append" not in accounts.message("en")
    mrr = ReplaceNeedsConfirmation(dataset="mrr", **counts)
    assert "「追加」か「更新（upsert）」" in mrr.message("ja") and "請求・MRR履歴" in mrr.message("ja")
