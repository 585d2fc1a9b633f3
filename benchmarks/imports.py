"""Import speed and memory at S, M and L, next to plain DuckDB loading the same file (the floor).

    .venv/bin/python benchmarks/imports.py --sizes S M L      # writes the table into benchmarks/RESULTS.md

For each size it generates exports the way they arrive (Japanese headers; CP932 for the accounts file and
a CP932 copy of the usage file; yen strings; Parquet for orders), then for every file runs, each in a
fresh process and into a fresh database file:
- the product: ``python -m dashboard import FILE --dataset X`` (stage, map, type and check in SQL, commit);
- the floor: DuckDB's own ``CREATE TABLE t AS SELECT * FROM read_csv(FILE)`` (``read_parquet`` for
  Parquet; for CP932 the Python codec decoding to UTF-8 in chunks first, since DuckDB cannot read CP932
  here), timed the same way.
and records wall time and the process's peak RSS. The machine is shared and noisy: read the ratio
(floor time / product time, 1.0 = as fast as the floor), which holds where absolute times do not.
"""

from __future__ import annotations

import argparse
import codecs
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
BEGIN, END = "<!-- imports:begin -->", "<!-- imports:end -->"

# accounts, daily usage days, MRR months, orders, touchpoints
SIZES = {
    "S": dict(accounts=1_000, usage_days=100, mrr_months=20, orders=50_000, touchpoints=5_000),
    "M": dict(accounts=100_000, usage_days=100, mrr_months=20, orders=5_000_000, touchpoints=500_000),
    "L": dict(accounts=1_000_000, usage_days=50, mrr_months=12, orders=20_000_000, touchpoints=5_000_000),
}
# What the ratio must reach (issue: import at the speed of DuckDB).
TARGET = {"csv": 0.5, "parquet": 0.5, "cp932": 0.33}


def generate(folder: Path, size: dict) -> list[tuple[str, str, Path]]:
    """(dataset, kind, path) for every export of one size, written by DuckDB (fast and repeatable).
    Usage, MRR history and touchpoints all end on 2026-08-31, so the pages' default as-of day (the data's
    last day) has a full usage window behind it, as with a real export."""
    con = duckdb.connect()
    n, days, months = size["accounts"], size["usage_days"], size["mrr_months"]
    files: list[tuple[str, str, Path]] = []

    def copy(sql: str, path: Path, fmt: str = "CSV") -> Path:
        options = "(FORMAT PARQUET)" if fmt == "PARQUET" else "(HEADER, DELIMITER ',')"
        con.execute(f"COPY ({sql}) TO '{path}' {options}")  # noqa: S608 (the benchmark's own constants)
        return path

    accounts_utf8 = copy(f"""
        SELECT 'C' || lpad(i::VARCHAR, 7, '0') AS "取引先ID",
               '株式会社' || (['東京', '髙﨑', '大阪', '名古屋'])[i % 4 + 1] || 'テック①' || i AS "会社名",
               CASE i % 3 WHEN 0 THEN '￥' || format('{{:,}}', (i % 50 + 1) * 10000)
                          WHEN 1 THEN ((i % 50 + 1) * 10000)::VARCHAR || '円'
                          ELSE ((i % 50 + 1) * 10000)::VARCHAR END AS "月額",
               strftime(DATE '2023-01-01' + (i % 700)::INTEGER, '%Y/%m/%d') AS "契約開始日",
               CASE WHEN i % 9 = 0 THEN strftime(DATE '2025-01-01' + (i % 300)::INTEGER, '%Y年%m月%d日') END AS "解約日",
               (['佐藤', '鈴木', '髙橋', '田中'])[i % 4 + 1] AS "担当CSM",
               (['ライト', 'スタンダード', 'プロ'])[i % 3 + 1] AS "プラン"
        FROM range({n}) t(i)""", folder / "accounts_utf8.csv")
    files.append(("accounts", "cp932", _to_cp932(accounts_utf8, folder / "accounts.csv")))
    accounts_utf8.unlink()
    usage = copy(f"""
        SELECT 'C' || lpad((i % {n})::VARCHAR, 7, '0') AS "取引先ID",
               strftime(DATE '2026-09-01' - {days} + (i // {n})::INTEGER, '%Y/%m/%d') AS "日付",
               (i * 7) % 23 AS "ログイン数", (i * 13) % 401 AS "表示数", (i * 3) % 11 AS "アクティブユーザー数"
        FROM range({n * days}) t(i)""", folder / "usage.csv")
    files.append(("usage", "csv", usage))
    files.append(("usage", "cp932", _to_cp932(usage, folder / "usage_cp932.csv")))
    files.append(("mrr", "csv", copy(f"""
        SELECT 'C' || lpad((i % {n})::VARCHAR, 7, '0') AS "取引先ID",
               strftime(DATE '2026-09-01' - to_months({months}) + to_months((i // {n})::INTEGER), '%Y-%m') AS "請求月",
               ((i % {n}) % 50 + 1) * 10000 + (i // {n}) * 100 AS "請求金額"
        FROM range({n * months}) t(i)""", folder / "mrr.csv")))
    orders_sql = f"""
        SELECT 'M' || lpad((i % ({n} * 3))::VARCHAR, 8, '0') AS "会員ID",
               DATE '2024-01-01' + (i % 700)::INTEGER AS "注文日",
               round(((i * 7919) % 2000000) / 100 + 500, 2) AS "注文金額",
               'O' || i AS "注文番号"
        FROM range({size['orders']}) t(i)"""
    files.append(("orders", "csv", copy(orders_sql, folder / "orders.csv")))
    files.append(("orders", "parquet", copy(orders_sql, folder / "orders.parquet", "PARQUET")))
    files.append(("touchpoints", "csv", copy(f"""
        SELECT 'C' || lpad((i % {n})::VARCHAR, 7, '0') AS "取引先ID",
               strftime(DATE '2026-09-01' - 500 + (i % 500)::INTEGER, '%Y-%m-%d') AS "接触日",
               (['QBR', '電話', 'メール', '訪問'])[i % 4 + 1] AS "対応種別",
               '定例, 次回は' || (i % 12 + 1) || '月' AS "メモ"
        FROM range({size['touchpoints']}) t(i)""", folder / "touchpoints.csv")))
    return files


def _to_cp932(source: Path, target: Path) -> Path:
    with source.open("r", encoding="utf-8", newline="") as fin, target.open("w", encoding="cp932", newline="") as fout:
        while block := fin.read(8 << 20):
            fout.write(block)
    return target


def _measure(argv: list[str], out: Path | None = None) -> tuple[float, float, int]:
    """(seconds, peak RSS in MB, exit code) of one fresh process; its standard output into ``out``."""
    start = time.perf_counter()
    with (out.open("wb") if out else open(os.devnull, "wb")) as sink:
        proc = subprocess.Popen(argv, cwd=ROOT, stdout=sink, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        print(proc.stderr.read().decode()[-2000:], file=sys.stderr)
    return seconds, usage.ru_maxrss / 1024, proc.returncode


FLOOR = """
import codecs, sys, duckdb, pathlib
path, kind, db = sys.argv[1], sys.argv[2], sys.argv[3]
con = duckdb.connect(db)
if kind == "parquet":
    con.execute("CREATE TABLE t AS SELECT * FROM read_parquet(?)", [path])
else:
    if kind == "cp932":
        out = pathlib.Path(db).with_suffix(".utf8.csv")
        decoder = codecs.getincrementaldecoder("cp932")()
        with open(path, "rb") as fin, open(out, "w", encoding="utf-8", newline="") as fout:
            while block := fin.read(8 << 20):
                fout.write(decoder.decode(block))
            fout.write(decoder.decode(b"", final=True))
        path = str(out)
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [path])
con.close()
"""


def run_size(name: str, folder: Path) -> list[dict]:
    size = SIZES[name]
    t0 = time.perf_counter()
    files = generate(folder, size)
    print(f"{name}: generated {len(files)} files in {time.perf_counter() - t0:.0f} s", flush=True)
    rows = []
    for dataset, kind, path in files:
        rows_in_file = _count_lines(path) if kind != "parquet" else duckdb.sql(
            f"SELECT count(*) FROM read_parquet('{path}')").fetchall()[0][0]  # noqa: S608 (own path)
        floor_db, product_db = folder / f"floor_{path.stem}.duckdb", folder / f"product_{path.stem}.duckdb"
        floor_s, floor_mb, _ = _measure([sys.executable, "-c", FLOOR, str(path), kind, str(floor_db)])
        printed = folder / "import.json"
        product_s, product_mb, code = _measure([sys.executable, "-m", "dashboard", "--db", str(product_db), "import",
                                                str(path), "--dataset", dataset], printed)
        report = json.loads(printed.read_text() or "{}") if code == 0 else {}
        row = {"size": name, "dataset": dataset, "kind": kind, "rows": rows_in_file,
               "file_mb": path.stat().st_size / 2**20, "floor_s": floor_s, "floor_mb": floor_mb,
               "product_s": product_s, "product_mb": product_mb, "ok": code == 0,
               # inside the CLI: the write, and until the pages' first views are kept (the refresh included)
               "commit_s": report.get("commit_seconds"), "ready_s": report.get("ready_seconds"),
               "ratio": floor_s / product_s if product_s else 0.0}
        rows.append(row)
        print(f"  {dataset:<12} {kind:<8} {rows_in_file:>12,} rows  floor {floor_s:7.1f} s {floor_mb:7.0f} MB  "
              f"product {product_s:7.1f} s {product_mb:7.0f} MB  ratio {row['ratio']:.2f}"
              f"{'' if code == 0 else '  FAILED'}", flush=True)
        for db in (floor_db, product_db):
            for leftover in db.parent.glob(db.name + "*"):
                leftover.unlink()
            db.with_suffix(".utf8.csv").unlink(missing_ok=True)
        path.unlink()
    return rows


def _count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(block.count(b"\n") for block in iter(lambda: fh.read(8 << 20), b"")) - 1


def table(rows: list[dict]) -> str:
    lines = ["| size | dataset | file | rows | MB | DuckDB floor s | floor peak MB | import s (CLI returns) | "
             "of which commit s | of which ready s | import peak MB | speed vs floor | target |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        target = TARGET[r["kind"]]
        verdict = ("✅" if r["ratio"] >= target else "❌") + f" ≥ {target}"
        if not r["ok"]:
            verdict = "FAILED"
        lines.append(f"| {r['size']} | {r['dataset']} | {r['kind']} | {r['rows']:,} | {r['file_mb']:,.0f} | "
                     f"{r['floor_s']:.1f} | {r['floor_mb']:,.0f} | {r['product_s']:.1f} | "
                     f"{_seconds(r.get('commit_s'))} | {_seconds(r.get('ready_s'))} | {r['product_mb']:,.0f} | "
                     f"{r['ratio']:.2f} | {verdict} |")
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def machine() -> str:
    import pandas
    import pyarrow

    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, {platform.system()} "
            f"{platform.release()}; Python {platform.python_version()}, duckdb {duckdb.__version__}, "
            f"pyarrow {pyarrow.__version__}, pandas {pandas.__version__}")


def write_results(rows: list[dict], sizes: list[str], path: Path = RESULTS) -> None:
    section = "\n".join([
        BEGIN,
        f"Run {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} on {machine()}.",
        f"Command: `.venv/bin/python benchmarks/imports.py --sizes {' '.join(sizes)}`.",
        "",
        table(rows),
        END,
    ])
    write_section(path, BEGIN, END, section, "## Import (issue: import at the speed of DuckDB)")


def write_section(path: Path, begin: str, end: str, section: str, heading: str) -> None:
    """Replace the part of the results file between ``begin`` and ``end`` (or append it under ``heading``)."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if begin in text and end in text:
        text = text[: text.index(begin)] + section + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + f"\n\n{heading}\n\n" + section + "\n"
    path.write_text(text)


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=["S", "M"])
    parser.add_argument("--results", type=Path, default=RESULTS, help="the Markdown file to update")
    parser.add_argument("--work", type=Path, help="where to write the generated files (default: a temp folder)")
    args = parser.parse_args(argv)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        for name in args.sizes:
            rows += run_size(name, Path(tmp))
    write_results(rows, args.sizes, args.results)
    print(table(rows))
    return rows


if __name__ == "__main__":
    codecs.lookup("cp932")
    main()
