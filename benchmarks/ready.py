"""Import to ready: five exports into one workspace, each until its figures are ready, then the report —
next to DuckDB's own load of each file and a plain pandas script computing the same headline figures.

    .venv/bin/python benchmarks/ready.py --size M      # writes the table into benchmarks/RESULTS.md

What a user waits for is not the commit but the figures: each import runs through the command line as a
user runs it (``python -m dashboard import``, which waits for the refresh: health scored ahead, the pages'
first views kept), one after another into the same database, in the order a workspace fills up
(accounts, MRR history, usage, orders, touchpoints), then ``report``. Last, a small touchpoints append (a
day of new contacts) into the full workspace: the daily refresh. Each is a fresh process: wall time and
peak RSS, and the commit/ready seconds the import reports. The floor is DuckDB loading the same file
(benchmarks/imports.py's FLOOR); the yardstick is a pandas script that reads the five files and works out
MRR movements per month, logo churn per month, health scores and bands, tiers and D2C repeat rates.
The machine is shared and noisy: read the ratios, which hold where absolute times do not.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from imports import FLOOR, RESULTS, SIZES, _measure, generate, machine, write_section  # noqa: E402

BEGIN, END = "<!-- ready:begin -->", "<!-- ready:end -->"
ORDER = [("accounts", "cp932"), ("mrr", "csv"), ("usage", "csv"), ("orders", "parquet"), ("touchpoints", "csv")]

# The same headline figures with pandas, as an analyst would write them (the yardstick).
PANDAS = r"""
import sys, time
import numpy as np, pandas as pd
folder, as_of = sys.argv[1], pd.Timestamp(sys.argv[2])
t0 = time.perf_counter()
acc = pd.read_csv(f"{folder}/accounts.csv", encoding="cp932", dtype=str)
acc["mrr"] = pd.to_numeric(acc["月額"].str.replace(r"[￥,円]", "", regex=True))
acc["start"] = pd.to_datetime(acc["契約開始日"], format="%Y/%m/%d")
acc["churn"] = pd.to_datetime(acc["解約日"], format="%Y年%m月%d日", errors="coerce")
mrr = pd.read_csv(f"{folder}/mrr.csv", dtype={"取引先ID": str})
mrr["month"] = pd.to_datetime(mrr["請求月"], format="%Y-%m")
usage = pd.read_csv(f"{folder}/usage.csv", dtype={"取引先ID": str})
usage["date"] = pd.to_datetime(usage["日付"], format="%Y/%m/%d")
orders = pd.read_parquet(f"{folder}/orders.parquet")
touch = pd.read_csv(f"{folder}/touchpoints.csv", dtype={"取引先ID": str})
touch["date"] = pd.to_datetime(touch["接触日"], format="%Y-%m-%d")
read = time.perf_counter() - t0
# MRR movements per month (new, expansion, contraction, churn) on the account x month grid
grid = mrr.pivot_table(index="取引先ID", columns="month", values="請求金額", aggfunc="sum", fill_value=0)
prev = grid.shift(1, axis=1).fillna(0)
moves = pd.DataFrame({"start": prev.sum(), "new": grid.where((prev == 0) & (grid > 0), 0).sum(),
                      "expansion": (grid - prev).where((prev > 0) & (grid > prev), 0).sum(),
                      "contraction": (prev - grid).where((prev > 0) & (grid > 0) & (grid < prev), 0).sum(),
                      "churn": prev.where((prev > 0) & (grid == 0), 0).sum(), "end": grid.sum()})
# logo churn per month from the accounts file's dates
months = pd.date_range(as_of - pd.DateOffset(months=12), as_of, freq="MS")
churn = [(m, int(((acc["start"] < m) & (acc["churn"].isna() | (acc["churn"] >= m))).sum()),
          int(((acc["churn"] >= m) & (acc["churn"] < m + pd.DateOffset(months=1))).sum())) for m in months]
# health: each usage measure summed over 90 days, percentile among active accounts, days since contact
active = acc[(acc["start"] <= as_of) & (acc["churn"].isna() | (acc["churn"] > as_of))]["取引先ID"]
window = usage[(usage["date"] > as_of - pd.Timedelta(days=90)) & (usage["date"] <= as_of)]
sums = window.groupby("取引先ID")[["ログイン数", "表示数", "アクティブユーザー数"]].sum().reindex(active).fillna(0)
scores = sums.rank(pct=True) * 100
last = touch[touch["date"] <= as_of].groupby("取引先ID")["date"].max().reindex(active)
days = (as_of - last).dt.days
contact = (100 * (1 - (days.fillna(90).clip(14, 90) - 14) / 76)).fillna(0)
health = (scores["ログイン数"] + 2 * scores["表示数"] + scores["アクティブユーザー数"] + contact) / 5
bands = pd.cut(health, [-1, 40, 70, 101], labels=["red", "yellow", "green"]).value_counts()
# tiers: MRR brackets at the 80th and 50th percentile of active accounts
live = acc[acc["取引先ID"].isin(active)]
t1, t2 = live["mrr"].quantile(0.8), live["mrr"].quantile(0.5)
tiers = pd.cut(live["mrr"], [-np.inf, t2, t1, np.inf], right=False).value_counts()
# D2C: customers with a second order within 365 days of their first
orders = orders.sort_values("注文日")
first = orders.groupby("会員ID")["注文日"].transform("min")
repeat = orders[(orders["注文日"] > first) & (orders["注文日"] <= first + pd.Timedelta(days=365))]["会員ID"].nunique()
rate = repeat / orders["会員ID"].nunique()
print(f"{read:.2f} {time.perf_counter() - t0:.2f} {len(moves)} {len(churn)} {bands.sum()} {tiers.sum()} {rate:.4f}")
"""


def run(size_name: str, folder: Path) -> dict:
    size = SIZES[size_name]
    t0 = time.perf_counter()
    files = {(d, k): p for d, k, p in generate(folder, size)}
    print(f"{size_name}: generated in {time.perf_counter() - t0:.0f} s", flush=True)
    db = folder / "workspace.duckdb"
    out = folder / "out.json"
    steps = []
    for dataset, kind in ORDER:
        path = files[(dataset, kind)]
        floor_s, floor_mb, _ = _measure([sys.executable, "-c", FLOOR, str(path), kind, str(folder / "floor.duckdb")])
        for leftover in folder.glob("floor.*"):
            leftover.unlink()
        seconds, peak, code = _measure([sys.executable, "-m", "dashboard", "--db", str(db), "import", str(path),
                                        "--dataset", dataset], out)
        result = json.loads(out.read_text() or "{}") if code == 0 else {}
        steps.append({"step": f"import {dataset} ({kind})", "floor_s": floor_s, "floor_mb": floor_mb,
                      "seconds": seconds, "peak_mb": peak, "commit_s": result.get("commit_seconds"),
                      "ready_s": result.get("ready_seconds"), "ok": code == 0})
        print(f"  {steps[-1]}", flush=True)
    # the daily refresh: a day of new contacts appended into the full workspace
    day = folder / "touchpoints_day.csv"
    day.write_text("取引先ID,接触日,対応種別,メモ\n" + "".join(
        f"C{i:07d},2026-08-31,電話,追加の連絡\n" for i in range(0, size["accounts"], max(1, size["accounts"] // 1000))),
        encoding="utf-8")
    seconds, peak, code = _measure([sys.executable, "-m", "dashboard", "--db", str(db), "import", str(day),
                                    "--dataset", "touchpoints", "--mode", "append"], out)
    result = json.loads(out.read_text() or "{}") if code == 0 else {}
    steps.append({"step": "append a day of touchpoints (1,000 rows)", "floor_s": None, "floor_mb": None,
                  "seconds": seconds, "peak_mb": peak, "commit_s": result.get("commit_seconds"),
                  "ready_s": result.get("ready_seconds"), "ok": code == 0})
    print(f"  {steps[-1]}", flush=True)
    seconds, peak, code = _measure([sys.executable, "-m", "dashboard", "--db", str(db), "report"], out)
    steps.append({"step": "report", "floor_s": None, "floor_mb": None, "seconds": seconds, "peak_mb": peak,
                  "commit_s": None, "ready_s": None, "ok": code == 0})
    print(f"  {steps[-1]}", flush=True)
    pandas_out = folder / "pandas.txt"
    pandas_s, pandas_mb, code = _measure([sys.executable, "-c", PANDAS, str(folder), "2026-08-31"], pandas_out)
    print(f"  pandas {pandas_s:.1f} s {pandas_mb:.0f} MB: {pandas_out.read_text().strip()}", flush=True)
    return {"size": size_name, "steps": steps, "pandas_s": pandas_s, "pandas_mb": pandas_mb, "pandas_ok": code == 0}


def _s(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def table(run_: dict) -> str:
    lines = ["| step | DuckDB load s | import s (CLI returns) | of which commit s | ready s | peak MB | "
             "load ÷ import |", "|---|---:|---:|---:|---:|---:|---:|"]
    for s in run_["steps"]:
        ratio = f"{s['floor_s'] / s['seconds']:.2f}" if s["floor_s"] else "—"
        lines.append(f"| {s['step']}{'' if s['ok'] else ' FAILED'} | {_s(s['floor_s'])} | {s['seconds']:.1f} | "
                     f"{_s(s['commit_s'])} | {_s(s['ready_s'])} | {s['peak_mb']:,.0f} | {ratio} |")
    files_to_figures = sum(s["seconds"] for s in run_["steps"] if not s["step"].startswith("append"))
    peak = max(s["peak_mb"] for s in run_["steps"])
    lines += ["", f"Files to figures (five imports, each until ready, and the report): **{files_to_figures:.0f} s**, "
              f"peak {peak:,.0f} MB. The pandas yardstick (read the five files, movements, logo churn, health and "
              f"bands, tiers, D2C repeat rate): **{run_['pandas_s']:.0f} s**, peak {run_['pandas_mb']:,.0f} MB"
              f"{'' if run_['pandas_ok'] else ' (FAILED)'}. Ratio: {run_['pandas_s'] / files_to_figures:.2f} "
              f"(≥ 1 is faster than pandas); memory {peak / run_['pandas_mb']:.2f} of pandas' peak."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default="M")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--work", type=Path, help="where to write the generated files (default: a temp folder)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        result = run(args.size, Path(tmp))
    section = "\n".join([BEGIN, f"Run {dt.datetime.now():%Y-%m-%d %H:%M} on {machine()}.",
                         f"Command: `.venv/bin/python benchmarks/ready.py --size {args.size}`.", "", table(result), END])
    write_section(args.results, BEGIN, END, section, "## Import to ready (issue 28: files to figures)")
    print(table(result))
    return result


if __name__ == "__main__":
    main()
