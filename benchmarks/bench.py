"""Speed and memory of import and the metric engine on generated data. Rerun: .venv/bin/python benchmarks/bench.py

Generates an MRR history and usage for N accounts (default 20,000 accounts x 36 months), imports them
through the normal path, then times the report and each page's heaviest queries. Prints a table and JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard import report  # noqa: E402
from dashboard import results as R  # noqa: E402
from dashboard import settings as S  # noqa: E402
from dashboard.auth import LOCAL_USER  # noqa: E402
from dashboard.db import Database  # noqa: E402
from dashboard.imports import importer
from dashboard.periods import EARLIEST, add_months  # noqa: E402


def generate(folder: Path, accounts: int, months: int, seed: int = 7) -> dict[str, Path]:
    rng = random.Random(seed)
    first = dt.date(2023, 11, 1)
    mrr_lines, usage_lines = ["取引先ID,請求月,請求金額"], ["取引先ID,対象月,ログイン数,表示数"]
    for i in range(accounts):
        start = rng.randrange(0, months)
        value = rng.choice([30_000, 80_000, 200_000, 500_000])
        for k in range(start, months):
            month = add_months(first, k)
            if rng.random() < 0.015:
                break
            if rng.random() < 0.03:
                value = int(value * 1.3)
            mrr_lines.append(f"C{i},{month:%Y/%m},\"￥{value:,}\"")
            usage_lines.append(f"C{i},{month:%Y-%m},{rng.randrange(0, 300)},{rng.randrange(0, 3000)}")
    files = {"mrr": folder / "mrr.csv", "usage": folder / "usage.csv"}
    files["mrr"].write_bytes(("\r\n".join(mrr_lines) + "\r\n").encode("cp932"))
    files["usage"].write_bytes(("\r\n".join(usage_lines) + "\r\n").encode("cp932"))
    return files


def timed(label: str, fn, results: list) -> object:
    t0 = time.perf_counter()
    value = fn()
    results.append((label, time.perf_counter() - t0))
    return value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--months", type=int, default=36)
    args = parser.parse_args()
    results: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = timed("generate files", lambda: generate(folder, args.accounts, args.months), results)
        db = Database(folder / "bench.duckdb")
        mrr = timed("import mrr (CP932 CSV)", lambda: importer.import_file(db, files["mrr"], "mrr", by=LOCAL_USER), results)
        usage = timed("import usage (CP932 CSV)", lambda: importer.import_file(db, files["usage"], "usage", by=LOCAL_USER), results)
        as_of = R.call(db, "default_as_of")
        timed("report (month)", lambda: report.build(db, as_of=as_of), results)
        timed("churn by day, 1 year", lambda: R.run(db, "churn", as_of=as_of, grain="day", start=as_of - dt.timedelta(days=365)), results)
        timed("mrr movements, all months", lambda: R.run(db, "mrr_movements", as_of=as_of, from_month=EARLIEST), results)
        timed("cohorts", lambda: R.run(db, "cohorts", as_of=as_of, from_month=EARLIEST), results)
        config = R.health_config(db, {**S.get_all(db), "health": None})  # every loaded measure
        timed("health scores, two days", lambda: R.run(db, "health_scores", as_of=as_of, days=[as_of, as_of - dt.timedelta(days=30)],
                                                                config=config), results)
        timed("data_version (every page run)", db.data_version, results)
        size = (folder / "bench.duckdb").stat().st_size
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.accounts:,} accounts x {args.months} months: {mrr['rows_loaded']:,} MRR rows, "
          f"{usage['rows_loaded']:,} usage rows (2 measures each)")
    for label, seconds in results:
        print(f"  {label:<34} {seconds * 1000:>9.0f} ms")
    print(f"  peak memory (RSS)                  {peak_mb:>9.0f} MB")
    print(f"  database file                      {size / 1e6:>9.1f} MB")
    print(json.dumps({"accounts": args.accounts, "months": args.months, "peak_rss_mb": round(peak_mb),
                      "timings_ms": {k: round(v * 1000) for k, v in results}}, ensure_ascii=False))


if __name__ == "__main__":
    main()
