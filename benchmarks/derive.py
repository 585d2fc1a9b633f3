"""Deriving the MRR history from billing exports (issue 27): 1M invoice lines (100k accounts, 3 years) and 100k
subscriptions, each imported through the command line as a user runs it, next to DuckDB's own load of the same
file, and the derivation alone (sql/base_macros.sql mrr_lines into derived_mrr, then the kept history rebuilt
from it) timed in a process of its own.

    .venv/bin/python benchmarks/derive.py      # writes the table into benchmarks/RESULTS.md

Target: the derivation adds at most the load's own time again; peak memory ≤ 2 GB. The machine is shared and
noisy: read the ratios, which hold where absolute times do not.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from imports import FLOOR, RESULTS, _measure, machine, write_section  # noqa: E402

BEGIN, END = "<!-- derive:begin -->", "<!-- derive:end -->"
ACCOUNTS = 100_000

# Invoice lines of a Japanese invoice tool: 40% of the accounts on yearly contracts (3 invoices in 3 years),
# 40% quarterly (12), 20% monthly for their last year (12), and a setup fee each: ~940k lines.
INVOICES = f"""
COPY (
  WITH acct AS (SELECT i, 'A' || lpad(i::VARCHAR, 6, '0') AS id, i % 5 AS kind FROM range({ACCOUNTS}) t(i)),
  periods AS (
    SELECT id, i, CASE WHEN kind < 2 THEN 12 WHEN kind < 4 THEN 3 ELSE 1 END AS months,
           unnest(CASE WHEN kind < 2 THEN range(0, 36, 12) WHEN kind < 4 THEN range(0, 36, 3) ELSE range(24, 36) END) AS k
    FROM acct
  )
  SELECT 'INV' || i || '-' || k AS "請求書番号", strftime(DATE '2023-11-01' + to_months(k::INT), '%Y/%m/%d') AS "請求日",
         id AS "取引先コード", CASE months WHEN 12 THEN '年間利用料' WHEN 3 THEN '四半期利用料' ELSE '月額利用料' END AS "品目",
         1 AS "数量", (10000 + (i % 50) * 1000) * months AS "金額(税抜)", (10000 + (i % 50) * 1000) * months / 10 AS "消費税",
         strftime(DATE '2023-11-01' + to_months(k::INT), '%Y/%m/%d') || '～'
           || strftime(DATE '2023-11-01' + to_months(k::INT + months) - INTERVAL 1 DAY, '%Y/%m/%d') AS "利用期間"
  FROM periods
  UNION ALL
  SELECT 'SET' || i, '2023/11/01', id, '初期費用', 1, 100000, 10000, '' FROM acct
) TO '{{path}}' (HEADER, DELIMITER ',')
"""

# Stripe's subscription export: monthly and yearly plans, seats, trials, cancellations.
SUBSCRIPTIONS = f"""
COPY (
  SELECT 'sub_' || i AS id, 'A' || lpad(i::VARCHAR, 6, '0') AS "Customer ID", CASE WHEN i % 3 = 0 THEN 'annual' ELSE 'monthly' END AS "Plan",
         1 + i % 7 AS "Quantity", 'jpy' AS "Currency", CASE WHEN i % 3 = 0 THEN 'year' ELSE 'month' END AS "Interval",
         CASE WHEN i % 3 = 0 THEN 120000 ELSE 10000 END AS "Amount",
         CASE WHEN i % 10 = 0 THEN 'canceled' ELSE 'active' END AS "Status",
         strftime(DATE '2023-11-01' + INTERVAL (i % 1000) DAY, '%Y-%m-%d 00:00:00') AS "Start (UTC)",
         strftime(DATE '2026-10-01', '%Y-%m-%d 00:00:00') AS "Current Period Start (UTC)",
         strftime(DATE '2026-11-01', '%Y-%m-%d 00:00:00') AS "Current Period End (UTC)",
         CASE WHEN i % 9 = 0 THEN strftime(DATE '2023-11-01' + INTERVAL (i % 1000 + 14) DAY, '%Y-%m-%d 00:00:00') END AS "Trial End (UTC)",
         CASE WHEN i % 10 = 0 THEN strftime(DATE '2026-01-01' + INTERVAL (i % 200) DAY, '%Y-%m-%d 00:00:00') END AS "Canceled At (UTC)",
         CASE WHEN i % 20 = 0 THEN 'true' ELSE 'false' END AS "Cancel At Period End",
         CASE WHEN i % 10 = 0 AND i % 20 <> 0 THEN strftime(DATE '2026-01-01' + INTERVAL (i % 200) DAY, '%Y-%m-%d 00:00:00') END AS "Ended At (UTC)"
  FROM range({ACCOUNTS}) t(i)
) TO '{{path}}' (HEADER, DELIMITER ',')
"""

# The derivation alone, in a process of its own: derived_mrr from the billing lines, then the kept history.
DERIVE = """
import json, sys, time
from dashboard import schema
from dashboard.db import Database
db = Database(sys.argv[1])
def work(con):
    t0 = time.perf_counter(); schema.derive_mrr(con); t1 = time.perf_counter()
    schema.refresh_kept(con, sys.argv[2]); t2 = time.perf_counter()
    return {"derive": t1 - t0, "kept": t2 - t1, "rows": con.execute("SELECT count(*) FROM derived_mrr").fetchone()[0]}
print(json.dumps(db.write(work)))
"""


def run(folder: Path) -> list[dict]:
    rows = []
    for dataset, sql in (("invoice_lines", INVOICES), ("subscriptions", SUBSCRIPTIONS)):
        path = folder / f"{dataset}.csv"
        duckdb.sql(sql.format(path=path))
        lines = sum(1 for _ in path.open("rb")) - 1
        floor = min(_measure([sys.executable, "-c", FLOOR, str(path), "csv", str(folder / f"floor-{dataset}-{i}.duckdb")])[:2]
                    for i in range(3))
        db = folder / f"{dataset}.duckdb"
        imports = []
        for i in range(3):
            db.unlink(missing_ok=True)
            out = folder / f"{dataset}.{i}.json"
            seconds, rss, code = _measure([sys.executable, "-m", "dashboard", "--db", str(db), "import", str(path),
                                           "--dataset", dataset], out)
            assert code == 0, f"import of {dataset} failed"
            result = json.loads(out.read_text())
            imports.append((seconds, rss, result["commit_seconds"], result["ready_seconds"]))
        alone = []
        for i in range(3):
            out = folder / f"{dataset}.derive{i}.json"
            seconds, rss, code = _measure([sys.executable, "-c", DERIVE, str(db), dataset], out)
            assert code == 0
            alone.append((json.loads(out.read_text()), rss))
        med = sorted(imports)[1]
        derive = sorted(alone, key=lambda a: a[0]["derive"])[1]
        rows.append({"dataset": dataset, "lines": lines, "floor": floor[0], "floor_mb": floor[1],
                     "import": med[0], "import_mb": med[1], "commit": med[2], "ready": med[3],
                     "derive": derive[0]["derive"], "kept": derive[0]["kept"], "derive_mb": derive[1],
                     "derived_rows": derive[0]["rows"]})
        print(rows[-1], flush=True)
    return rows


def write(rows: list[dict]) -> None:
    lines = [BEGIN, f"Run {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} on {machine()}.",
             "Command: `.venv/bin/python benchmarks/derive.py` (median of 3 each).", "",
             "| export | lines | DuckDB load | import until ready (commit) | derivation alone | derivation ÷ load | "
             "kept history rebuilt | peak memory (import / derivation) | account-months derived |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['dataset']} | {r['lines']:,} | {r['floor']:.1f} s | {r['ready'] or r['import']:.1f} s "
                     f"({r['commit']:.1f} s) | {r['derive']:.1f} s | {r['derive'] / r['floor']:.2f}× | {r['kept']:.1f} s | "
                     f"{r['import_mb']:,.0f} / {r['derive_mb']:,.0f} MB | {r['derived_rows']:,} |")
    lines += ["", "The derivation (billing_lines → mrr_lines → derived_mrr) runs in the import's transaction; the kept "
              "history (runs, months, grid) is rebuilt from it in the same transaction. Target: the derivation adds "
              "at most the load's own time again (derivation ÷ load ≤ 1×), peak memory ≤ 2 GB.", END]
    write_section(RESULTS, BEGIN, END, "\n".join(lines), "## MRR from billing exports (issue 27)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, help="where to write the generated files (default: a temp folder)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        write(run(Path(tmp)))


if __name__ == "__main__":
    main()
