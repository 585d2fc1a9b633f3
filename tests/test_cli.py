import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dashboard.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_import_prints_json_and_refusal_exits_nonzero(tmp_path, capsys):
    db = str(tmp_path / "c.duckdb")
    csv = tmp_path / "顧客.csv"
    csv.write_bytes("取引先ID,月額,契約開始日\r\nA1,\"￥1,000\",2024/4/1\r\nA2,x,2024/4/1\r\n".encode("cp932"))
    code, out, _ = run(capsys, "--db", db, "import", str(csv), "--dataset", "accounts")
    result = json.loads(out)
    assert code == 0
    assert {k: result[k] for k in ("dataset", "rows_read", "rows_loaded", "rows_rejected")} == {
        "dataset": "accounts", "rows_read": 2, "rows_loaded": 1, "rows_rejected": 1}
    assert result["mapping"] == {"account_id": "取引先ID", "mrr": "月額", "contract_start": "契約開始日"}
    assert result["errors"][0]["row"] == 3 and result["errors"][0]["column"] == "月額"
    rejected = tmp_path / "rejected.csv"
    code, _, _ = run(capsys, "--db", db, "export", "rejected", "--snapshot", str(result["snapshot"]), "--out", str(rejected))
    lines = rejected.read_bytes().decode("utf-8-sig").splitlines()
    assert code == 0 and lines[0] == "row_number,column_name,message,raw" and lines[1].startswith("3,月額,")
    bad = tmp_path / "bad.csv"
    bad.write_text("会社名\nAcme\n")
    code, out, err = run(capsys, "--db", db, "import", str(bad), "--dataset", "accounts")
    assert code == 2 and out == "" and "bad.csv" in err and "account_id" in err and err.count("\n") == 1


def test_explicit_map_and_sheet(tmp_path, capsys):
    from tests.conftest import xlsx_bytes
    db = str(tmp_path / "c.duckdb")
    book = tmp_path / "b.xlsx"
    book.write_bytes(xlsx_bytes({"A": [["x"]], "B": [["コード", "金額"], ["K1", 5000]]}))
    code, out, _ = run(capsys, "--db", db, "import", str(book), "--dataset", "accounts", "--sheet", "B",
                       "--map", "account_id=コード", "--map", "mrr=金額")
    assert code == 0 and json.loads(out)["sheet"] == "B"


def test_report_shape_and_values(tmp_path, capsys):
    db = str(tmp_path / "c.duckdb")
    f = tmp_path / "a.csv"
    f.write_text("id,mrr,contract_start,churn_date,plan\nA,1000,2024-01-01,2024-03-15,x\nB,3000,2024-01-01,,y\n")
    run(capsys, "--db", db, "import", str(f), "--dataset", "accounts")
    code, out, _ = run(capsys, "--db", db, "report", "--as-of", "2024-03-31", "--from", "2024-03-01",
                       "--segment-by", "plan", "--tier-thresholds", "3000,2000")
    r = json.loads(out)
    assert code == 0
    assert (r["as_of"], r["accounts_active"], r["mrr"]) == ("2024-03-31", 1, 3000)
    march = r["churn"][0]
    assert (march["period_start"], march["customers_at_start"], march["customers_churned"]) == ("2024-03-01", 2, 1)
    assert march["customer_churn_rate"] == 0.5 and march["churned_mrr_rate"] == 0.25
    assert r["mrr_movements"][-1]["month"] == "2024-03-01" and r["mrr_movements"][-1]["churn"] == 1000
    assert r["tiers"][0] == {"tier": "Tier1", "accounts": 1, "mrr": 3000, "mrr_share": 1.0}
    assert [s["segment"] for s in r["segments"]["values"]] == ["x", "y"]
    assert "d2c" not in r and set(r["health"]) == {"bands", "accounts", "measures"}


def test_export_neutralizes_formulas_in_cp932(tmp_path, capsys):
    db = str(tmp_path / "c.duckdb")
    f = tmp_path / "a.csv"
    f.write_text('id,name,mrr,contract_start\nA,"=HYPERLINK(""http://x"")",1000,2024-01-01\nB,株式会社①髙﨑,2000,2024-01-01\n')
    run(capsys, "--db", db, "import", str(f), "--dataset", "accounts")
    out = tmp_path / "out.csv"
    code, _, _ = run(capsys, "--db", db, "export", "accounts", "--out", str(out), "--encoding", "cp932",
                     "--as-of", "2024-02-01")
    text = out.read_bytes().decode("cp932")
    assert code == 0 and "'=HYPERLINK" in text and "株式会社①髙﨑" in text and "\r\n" in text
    code, _, _ = run(capsys, "--db", db, "export", "accounts", "--out", str(out), "--as-of", "2024-02-01")
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize("args, expected", [
    (["d2c", "--aov", "8000", "--purchases", "1:0.7,2:0.2,3.5:0.1", "--gross-margin", "0.5", "--lead-conversion", "0.2"],
     {"purchases_per_customer": 1.45, "ltv": 11600, "gross_profit_ltv": 5800, "allowable_cpa": 5800,
      "allowable_cost_per_lead": 1160}),
    (["saas", "--arpa", "50000", "--monthly-churn", "0.02", "--gross-margin", "0.8", "--cac", "400000"],
     {"ltv": 2_000_000, "ltv_to_cac": 5.0, "cac_payback_months": 10.0}),
    (["cs-roi", "--cost-per-month", "1000000", "--new-mrr-per-month", "130000", "--monthly-churn", "0.02"],
     {"ltv_created_per_month": 6_500_000, "roi": 6.5}),
    (["renewal", "--annual-value", "1200000", "--renewal-rate", "0.3"], {"expected_years": 1 / 0.7}),
])
def test_simulate(capsys, args, expected):
    code, out, _ = run(capsys, "simulate", *args)
    result = json.loads(out)
    assert code == 0
    for key, value in expected.items():
        assert result[key] == pytest.approx(value)


def test_import_waits_for_another_process_holding_the_file(tmp_path):
    """A scheduled import while another process writes: it waits for the lock, then succeeds."""
    db = tmp_path / "shared.duckdb"
    f = tmp_path / "a.csv"
    f.write_text("id,mrr\nA,100\n")
    holder = subprocess.Popen([sys.executable, "-c", (
        "import duckdb, time, sys; con = duckdb.connect(sys.argv[1]); print('held', flush=True); "
        "time.sleep(2); con.close()"), str(db)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "dashboard", "--db", str(db), "import", str(f), "--dataset",
                           "accounts"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    holder.wait(timeout=10)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rows_loaded"] == 1
    assert time.monotonic() - started > 1  # it did wait for the holder


def test_engine_shows_and_refuses_spark_without_its_data_folder(tmp_path, capsys):
    db = str(tmp_path / "e.duckdb")
    code, out, _ = run(capsys, "--db", db, "engine")
    assert code == 0 and json.loads(out) == {"engine": {"name": "duckdb"}}
    code, out, err = run(capsys, "--db", db, "engine", "spark")
    assert code == 2 and "--spark-data" in err and not out
    code, out, _ = run(capsys, "--db", db, "engine", "duckdb")
    assert code == 0 and json.loads(out) == {"engine": {"name": "duckdb"}}


def test_import_reports_commit_and_ready_seconds(tmp_path, capsys, monkeypatch):
    """What a user waits for is the import until its figures are ready, the refresh after the commit
    included: ready_seconds counts it; --no-wait returns after the commit and says nothing is ready."""
    from dashboard import workspace

    refreshed = []

    def slow_refresh(db, **kwargs):
        refreshed.append(kwargs)
        time.sleep(0.4)
        return True

    monkeypatch.setattr(workspace, "refresh", slow_refresh)
    db = str(tmp_path / "c.duckdb")
    csv = tmp_path / "accounts.csv"
    csv.write_text("account_id,mrr,contract_start\nA1,1000,2024-04-01\n")
    code, out, _ = run(capsys, "--db", db, "import", str(csv), "--dataset", "accounts")
    result = json.loads(out)
    assert code == 0 and len(refreshed) == 1
    assert result["ready_seconds"] - result["commit_seconds"] >= 0.39  # the 0.4 s refresh, to the rounding
    csv.write_text("account_id,mrr,contract_start\nA1,1000,2024-04-01\nA2,2000,2024-05-01\n")
    code, out, _ = run(capsys, "--db", db, "import", str(csv), "--dataset", "accounts", "--no-wait")
    result = json.loads(out)
    assert code == 0 and len(refreshed) == 1 and result["ready_seconds"] is None and result["commit_seconds"] > 0
    assert result["ready"] is False


@pytest.mark.parametrize("fault", ["prepare", "busy"])
def test_an_import_whose_refresh_failed_is_committed_and_says_it_is_not_ready(tmp_path, capsys, monkeypatch, fault):
    """The refresh after a commit fails (a fault while keeping the pages' first views, or the file held by
    another process's long write past our patience): logged, never raised, since the data is in. The import
    does not claim its figures are ready, and the refresh is still pending for whoever reads the data next."""
    from dashboard.db import Database, DatabaseBusy
    from dashboard.results import result_store

    def broken(db, **kwargs):
        raise RuntimeError("a fault while keeping the pages' first views")

    def busy(self):
        raise DatabaseBusy(self.path, self.wait_seconds)

    db = str(tmp_path / "c.duckdb")
    csv = tmp_path / "accounts.csv"
    csv.write_text("account_id,mrr,contract_start\nA1,1000,2024-04-01\n")
    if fault == "prepare":
        monkeypatch.setattr(result_store, "prepare", broken)
    else:
        monkeypatch.setattr(Database, "held", busy)
    code, out, err = run(capsys, "--db", db, "import", str(csv), "--dataset", "accounts")
    result = json.loads(out)
    assert code == 0 and result["rows_loaded"] == 1
    assert result["ready"] is False and result["ready_seconds"] is None and result["commit_seconds"] > 0
    monkeypatch.undo()
    assert result_store.pending(Database(db)) is not None


def test_an_unchanged_import_completes_a_refresh_an_earlier_import_left(tmp_path, capsys):
    """A batch imported with --no-wait, then the same file again as the last of it: nothing changes, but
    the earlier refresh is still pending, so this import completes it before it says ready."""
    from dashboard.db import Database
    from dashboard.results import result_store

    db = str(tmp_path / "c.duckdb")
    csv = tmp_path / "accounts.csv"
    csv.write_text("account_id,mrr,contract_start\nA1,1000,2024-04-01\n")
    code, out, _ = run(capsys, "--db", db, "import", str(csv), "--dataset", "accounts", "--no-wait")
    assert code == 0 and json.loads(out)["ready"] is False
    assert result_store.pending(Database(db)) is not None
    code, out, _ = run(capsys, "--db", db, "import", str(csv), "--dataset", "accounts")
    result = json.loads(out)
    assert code == 0 and result["unchanged"] is True and result["ready"] is True
    assert result_store.pending(Database(db)) is None
