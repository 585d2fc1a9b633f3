"""Spark next to DuckDB: the results the pages open on, computed by the same result SQL on Spark (local mode,
this machine) and on DuckDB, on the same data, with the figures compared.

    .venv/bin/python benchmarks/spark.py --size M --work /tmp/bench     # writes its table into RESULTS.md

The data is the pages benchmark's database of that size (built the same way, reused from --work). Both
engines get the SQL as the results layer writes it, health scored inside the query (the app's DuckDB path
reads kept health scores instead; see the pages table for that): the comparison is engine against engine.
DuckDB's time is the query through the app's Database into pandas; Spark's is the translated query written
as Parquet and read back by DuckDB into pandas, which is what the store does with a Spark result. The
tier rule and settings every result reads are fetched once beforehand, outside the timings. Also timed:
writing the datasets as Parquet (what an import does with the Spark engine set) and starting Spark.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from benchmarks.imports import machine, write_section  # noqa: E402
from dashboard import periods  # noqa: E402
from dashboard.db import Database  # noqa: E402
from dashboard.results import engines, result_store, runner  # noqa: E402

RESULTS = ROOT / "benchmarks" / "RESULTS.md"
BEGIN, END = "<!-- spark:begin -->", "<!-- spark:end -->"
# Spark's local mode as shipped, but with room for M on the driver (the default 1 GiB is not enough to
# plan and shuffle 10M rows); shuffle partitions as shipped (200, coalesced by adaptive execution).
SPARK_CONF = {"spark.driver.memory": "8g"}


class Timed:
    """Times another engine. It is not DuckDB's engine object, so the runner hands it the SQL as written
    (health scored in the query, nothing kept read): each engine computes every figure in full."""

    def __init__(self, inner: Any):
        self.inner, self.name, self.seconds = inner, inner.name, 0.0

    def query(self, db: Database, sql: str, values: dict[str, Any]) -> pd.DataFrame:
        started = time.perf_counter()
        try:
            return self.inner.query(db, sql, values)
        finally:
            self.seconds = time.perf_counter() - started


def differences(spark: pd.DataFrame, local: pd.DataFrame) -> list[str]:
    """Columns whose values differ (money and counts exactly, doubles within 1e-12), as the parity tests."""
    if list(spark.columns) != list(local.columns) or len(spark) != len(local):
        return [f"shape {list(spark.columns)} × {len(spark)} vs {list(local.columns)} × {len(local)}"]
    out = []
    for column in local.columns:
        a, b = spark[column].reset_index(drop=True), local[column].reset_index(drop=True)
        if pd.api.types.is_float_dtype(a) or pd.api.types.is_float_dtype(b):
            x, y = a.astype("float64"), b.astype("float64")
            same = ((x - y).abs() <= 1e-12) | (x.isna() & y.isna())
            if not same.all():
                out.append(column)
        elif a.astype(object).where(a.notna(), None).tolist() != b.astype(object).where(b.notna(), None).tolist():
            out.append(column)
    return out


def database(size: str, work: Path) -> Path:
    path = work / f"pages_{size}.duckdb"
    if not path.exists():
        from benchmarks import pages

        pages.build(size, work)
    return path


def folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def label(name: str, params: dict) -> str:
    shown = {k: v for k, v in params.items() if k not in ("as_of", "days")}
    return name + (" " + ", ".join(f"{k}={v}" for k, v in shown.items()) if shown else "")


def run(size: str, work: Path, master: str) -> dict:
    path = database(size, work)
    db = Database(path)
    rows = db.read(lambda con: con.execute(
        "SELECT (SELECT count(*) FROM cur_usage), (SELECT count(*) FROM cur_mrr), (SELECT count(*) FROM cur_orders), "
        "(SELECT count(*) FROM cur_accounts)").fetchone())
    out: dict[str, Any] = {"size": size, "rows": rows, "db_bytes": path.stat().st_size, "results": []}

    t0 = time.perf_counter()
    datasets = engines.export_datasets(db, work / f"spark_{size}")
    out["export"] = time.perf_counter() - t0
    out["parquet_bytes"] = folder_bytes(datasets)
    print(f"{size}: datasets written as Parquet in {out['export']:.1f} s ({out['parquet_bytes'] / 2**20:.0f} MiB)", flush=True)

    spark = engines.SparkEngine(datasets, master=master, conf=SPARK_CONF)
    t0 = time.perf_counter()
    spark.spark.sql("SELECT count(*) FROM cur_usage").collect()  # the JVM, the session, the views, a first scan
    out["start"] = time.perf_counter() - t0
    print(f"  Spark {master} started and scanned usage once in {out['start']:.1f} s", flush=True)

    facts: dict[str, Any] = {}

    def fetch(name: str, **params: Any) -> Any:  # the rule and settings each result reads, once, on DuckDB
        key = repr((name, sorted(params.items())))
        if key not in facts:
            with engines.using(engines.DUCKDB):
                facts[key] = runner.call(db, name, fetch=fetch, **params)
        return facts[key]

    bounds = runner.call(db, "data_bounds")
    as_of = runner.call(db, "default_as_of")
    out["as_of"] = as_of
    loaded = db.loaded_datasets()
    duck, on_spark = Timed(engines.DUCKDB), Timed(spark)
    try:
        for name, params in result_store.page_views(as_of, periods.default_start(as_of, bounds["first"])):
            if name.startswith("d2c_") and "orders" not in loaded:
                continue
            figures = {}
            for engine in (duck, on_spark):
                with engines.using(engine):
                    figures[engine.name] = runner.run(db, name, fetch=fetch, **params)
            row = {"result": label(name, params), "rows": len(figures["duckdb"]), "duckdb": duck.seconds,
                   "spark": on_spark.seconds, "differs": differences(figures["spark"], figures["duckdb"])}
            out["results"].append(row)
            print(f"  {row['result'][:60]:<60} duckdb {row['duckdb']:7.2f} s  spark {row['spark']:7.2f} s"
                  f"  {row['rows']:>7,} rows  {'same' if not row['differs'] else 'DIFFERS ' + str(row['differs'])}",
                  flush=True)
    finally:
        spark.stop()
    return out


def table(run_: dict) -> str:
    usage, mrr, orders, accounts = run_["rows"]
    lines = [
        f"{run_['size']}: {accounts:,} accounts, {usage:,} usage rows, {mrr:,} MRR rows, {orders:,} orders "
        f"(database {run_['db_bytes'] / 2**30:.1f} GiB; as Parquet {run_['parquet_bytes'] / 2**20:,.0f} MiB, written in "
        f"{run_['export']:.0f} s). Spark started and scanned usage once in {run_['start']:.0f} s (not in the figures below). "
        f"Pages opened on {run_['as_of']}.",
        "",
        "| result | rows | DuckDB s | Spark local s | Spark / DuckDB | same figures |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in run_["results"]:
        ratio = r["spark"] / r["duckdb"] if r["duckdb"] else float("inf")
        same = "yes" if not r["differs"] else "**no**: " + ", ".join(r["differs"])
        lines.append(f"| {r['result']} | {r['rows']:,} | {r['duckdb']:.2f} | {r['spark']:.2f} | {ratio:.1f} | {same} |")
    duck = sum(r["duckdb"] for r in run_["results"])
    spark = sum(r["spark"] for r in run_["results"])
    lines.append(f"| **all {len(run_['results'])}** | | **{duck:.1f}** | **{spark:.1f}** | **{spark / duck:.1f}** | "
                 f"{sum(not r['differs'] for r in run_['results'])} of {len(run_['results'])} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="M", help="a size of benchmarks/imports.py, or demo")
    parser.add_argument("--work", type=Path, help="where the pages benchmark's databases are (reused) or go")
    parser.add_argument("--master", default="local[*]")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if reason := engines.java_missing():
        sys.exit(f"Spark cannot start here: {reason}")
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        result = run(args.size, work, args.master)
    import pyspark

    section = "\n".join([
        BEGIN,
        f"Run {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} on {machine()}, pyspark {pyspark.__version__} "
        f"(master {args.master}, {', '.join(f'{k}={v}' for k, v in SPARK_CONF.items())}), Java "
        f"{os.environ.get('JAVA_VERSION') or _java()}.",
        f"Command: `.venv/bin/python benchmarks/spark.py --size {args.size}` (each result once per engine).",
        "",
        table(result),
        END,
    ])
    write_section(args.results, BEGIN, END, section, "## Spark next to DuckDB (issue: beyond one machine)")
    print(table(result))
    return result


def _java() -> str:
    import subprocess

    try:
        text = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.SubprocessError):
        return "?"
    return text.splitlines()[0].split('"')[1] if '"' in text else text.strip()


if __name__ == "__main__":
    main()
