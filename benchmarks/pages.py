"""Page speed: every page's server run cold (right after an import) and warm, and a simulator slider move,
next to the floor: the same SQL the page ran, replayed on a bare DuckDB connection.

    .venv/bin/python benchmarks/pages.py --sizes demo M      # writes the table into benchmarks/RESULTS.md

A page run is the real entry script, sidebar and page, driven by streamlit.testing.v1.AppTest in this
process and timed around the script's execution (server time, without AppTest's polling). Cold: the result cache is cleared first, as a committed import does. Warm: the same run again.
The floor records every query the cold run sent to DuckDB (through Database.query) and runs them again,
one after another, on one plain connection, fetching all rows: the time DuckDB itself needs for the
figures. The ratio cold / floor is what the layer (runner, pandas, Streamlit) adds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from benchmarks.imports import SIZES, generate, machine, write_section  # noqa: E402
from dashboard import demo, ui  # noqa: E402
from dashboard.auth import LOCAL_USER  # noqa: E402
from dashboard.db import CONNECTION_SETTINGS, Database, memory_limit  # noqa: E402
from dashboard.imports import importer  # noqa: E402
from dashboard.results import result_store  # noqa: E402

RESULTS = ROOT / "benchmarks" / "RESULTS.md"
BEGIN, END = "<!-- pages:begin -->", "<!-- pages:end -->"
PAGES = ["overview", "accounts", "tiers", "health", "churn", "d2c", "simulator", "data"]
# Pages open as a user opens them: no link parameters, so on the data's last day (the generated exports
# all end on 2026-08-31) with a year of history; the pages' results for that view were kept by the
# import's prepare step. Then, at M, the same pages filtered to Tier1: a view nobody worked ahead for,
# so every result is computed on the visit.
LINKS: dict[str, list[dict[str, str]]] = {"M": [{}, {"tier": "Tier1"}]}
APP = str(ROOT / "app" / "main.py")
PREPARED: dict[str, dict] = {}  # size -> what prepare did after the imports, and its seconds


def build(size: str, folder: Path) -> Path:
    """A database with the demo data, or the import benchmark's generated exports of that size."""
    path = folder / f"pages_{size}.duckdb"
    db = Database(path)
    if size == "demo":
        if db.is_empty():
            demo.load(db, folder / "demo", by=LOCAL_USER)
        return path
    if not db.is_empty():  # built by an earlier run (--work): prepare again in case the code changed
        _prepare(size, db, reused=True)
        return path
    for dataset, kind, file in generate(folder, SIZES[size]):
        if kind in ("csv", "cp932") and not (dataset == "usage" and kind == "cp932"):
            t0 = time.perf_counter()
            importer.import_file(db, file, dataset, by=LOCAL_USER, mode="replace",
                                 confirm_replace=True)  # a batch: only the writes, prepared once below
            print(f"  imported {dataset} ({kind}) in {time.perf_counter() - t0:.0f} s", flush=True)
        file.unlink()
    _prepare(size, db)
    return path


def _prepare(size: str, db: Database, reused: bool = False) -> None:
    t0 = time.perf_counter()
    PREPARED[size] = result_store.prepare(db) | {"seconds": time.perf_counter() - t0, "reused": reused}
    db.release()
    print(f"  prepared {PREPARED[size]}", flush=True)


class Recorder:
    """Records the SQL a page run sends to DuckDB (to replay it as the floor), and for a result read from
    the kept results, the SQL that computes it: the floor is always the cost of computing the figures."""

    def __init__(self):
        self.queries: list[tuple[str, object]] = []
        self.kept = 0
        self._query, self._find = Database.query, result_store.find

    def __enter__(self):
        recorder, query_, find_ = self, self._query, self._find

        def query(db, sql, params=None):
            recorder.queries.append((sql, params))
            return query_(db, sql, params)

        def find(db, name, sql, values, rows=None):
            found = find_(db, name, sql, values, rows)
            if found is not None:
                if rows is not None:  # a filtered view read from the kept whole result: computing it filtered
                    column, ids = rows
                    sql, values = (f'SELECT * FROM ({sql}) WHERE "{column}" IN (SELECT unnest($ids_))',  # noqa: S608
                                   {**values, "ids_": ids})
                recorder.queries.append((sql, values))
                recorder.kept += 1
            return found
        Database.query, result_store.find = query, find
        return self

    def __exit__(self, *exc):
        Database.query, result_store.find = self._query, self._find


def floor(path: Path, queries, tries: int = 3) -> float:
    """The recorded queries on one bare connection, each fetched in full (best of ``tries``)."""
    best = float("inf")
    for _ in range(tries):
        # the same configuration as the app's instance (DuckDB shares one instance per file in a process)
        con = duckdb.connect(str(path), config=CONNECTION_SETTINGS | {"memory_limit": memory_limit()})
        t0 = time.perf_counter()
        for sql, params in queries:
            con.execute(sql, params or {}).fetchall()
        best = min(best, time.perf_counter() - t0)
        con.close()
    return best


class ScriptClock:
    """The server time of each script run: AppTest runs the script in a thread and polls it, so the time
    around at.run() includes its polling; this wraps the script's own execution instead."""

    def __init__(self):
        from streamlit.runtime.scriptrunner import script_runner

        self.module, self.last = script_runner, 0.0
        original = script_runner.exec_func_with_error_handling

        def timed(func, ctx):
            t0 = time.perf_counter()
            try:
                return original(func, ctx)
            finally:
                self.last = time.perf_counter() - t0
        script_runner.exec_func_with_error_handling = timed

    def run(self, at) -> float:
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        return self.last


FRAGMENT_TIMES: dict[str, float] = {}


def time_fragments(st) -> None:
    """A widget inside an st.fragment reruns only that fragment on a real server (AppTest reruns the whole
    script): record each fragment function's own time, which is the server time of such a move."""
    original = st.fragment

    def fragment(func=None, **kwargs):
        if func is None:
            return lambda f: fragment(f, **kwargs)

        def timed(*args, **kw):
            t0 = time.perf_counter()
            try:
                return func(*args, **kw)
            finally:
                FRAGMENT_TIMES[func.__name__] = time.perf_counter() - t0
        timed.__name__ = timed.__qualname__ = func.__name__
        return original(timed, **kwargs)
    st.fragment = fragment


def time_pages(path: Path, repeat: int = 3, link: dict | None = None) -> list[dict]:
    import logging

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    logging.getLogger("streamlit").setLevel(logging.ERROR)  # AppTest outside a server warns on every call
    os.environ["DASHBOARD_DB"] = str(path)
    os.environ["DASHBOARD_USERS"] = str(path.parent / "no-users.toml")
    clock = ScriptClock()
    time_fragments(st)
    # A server compiles each script once and keeps the bytecode (ScriptCache); AppTest makes a new cache
    # for every run, which would add the compile (and magic) of main.py and the page to every warm run.
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test

    shared = ScriptCache()
    app_test.ScriptCache = lambda: shared
    rows = []
    for page in PAGES:
        colds, warms, floors, counts, kept = [], [], [], [], []
        for _ in range(repeat):
            at = AppTest.from_file(APP, default_timeout=600)
            for key, value in (link or {}).items():
                at.query_params[key] = value
            at.run()
            if page != "overview":
                at.switch_page(str(ROOT / "pages" / f"{page}.py")).run()
            assert not at.exception, [e.message for e in at.exception]
            ui.clear_caches()  # what a committed import does to every cached result (and figure)
            with Recorder() as rec:
                colds.append(clock.run(at))
            warms.append(clock.run(at))
            floors.append(floor(path, rec.queries, tries=min(repeat, 3)))
            counts.append(len(rec.queries))
            kept.append(rec.kept)
        row = {"page": page, "cold": statistics.median(colds), "warm": statistics.median(warms),
               "floor": statistics.median(floors), "queries": counts[0], "kept": kept[0]}
        if page == "simulator":
            moves = []
            for value in (5000, 7000, 9000):
                at.slider(key="sim_aov").set_value(value)
                clock.run(at)
                moves.append(FRAGMENT_TIMES["_d2c_tab"])
            row["slider"] = statistics.median(moves)
        rows.append(row)
        print(f"  {page:<10} cold {row['cold']:6.2f} s  floor {row['floor']:6.2f} s  warm {row['warm'] * 1000:6.0f} ms"
              f"  ({row['queries']} queries, {row['kept']} kept)" + (f"  slider {row['slider'] * 1000:.0f} ms" if "slider" in row else ""),
              flush=True)
    return rows


def table(rows: list[dict]) -> str:
    out = ["| size | page | queries (kept) | floor s | cold s | cold / floor | target cold | warm ms | target warm | slider ms |",
           "|---|---|---:|---:|---:|---:|---|---:|---|---:|"]
    for r in rows:
        ratio = r["cold"] / r["floor"] if r["floor"] else float("inf")
        cold_ok = "✅" if ratio <= 3 and r["cold"] < 1 else "❌"
        warm_ok = "✅" if r["warm"] < 0.05 else "❌"
        slider = f"{r['slider'] * 1000:.0f} {'✅' if r['slider'] < 0.1 else '❌'}" if "slider" in r else ""
        out.append(f"| {r['size']} | {r['page']} | {r['queries']} ({r['kept']}) | {r['floor']:.2f} | {r['cold']:.2f} | {ratio:.1f} | "
                   f"{cold_ok} ≤ 3× and < 1 s | {r['warm'] * 1000:.0f} | {warm_ok} < 50 | {slider} |")
    return "\n".join(out)


def write_results(rows: list[dict], sizes: list[str], path: Path = RESULTS, repeat: int = 3) -> None:
    import streamlit

    section = "\n".join([
        BEGIN,
        f"Run {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} on {machine()}, streamlit {streamlit.__version__}.",
        f"Command: `.venv/bin/python benchmarks/pages.py --sizes {' '.join(sizes)} --repeat {repeat}` "
        f"(median of {repeat} run{'s' if repeat > 1 else ''}).",
        "",
        table(rows),
        *([""] + [f"After the imports ({size}): `prepare` (part of an import's run) scored health for "
                  f"{p['health_days']} days and kept {p['results']} results in {p['seconds']:.0f} s"
                  + (" (a database built by an earlier run: what it had kept for the same data and SQL was "
                     "reused, so this is not the time from scratch)." if p.get("reused") else ".")
                  for size, p in PREPARED.items()]),
        END,
    ])
    write_section(path, BEGIN, END, section, "## Pages (issue: one way from data to every figure)")


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", choices=["demo", *SIZES], default=["demo", "M"])
    parser.add_argument("--work", type=Path, help="keep the built databases here (reused by the next run)")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.work or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for size in args.sizes:
            t0 = time.perf_counter()
            path = build(size, folder)
            print(f"{size}: database ready in {time.perf_counter() - t0:.0f} s", flush=True)
            for link in LINKS.get(size, [{}]):
                label = " · ".join([size, *(f"{k}={v}" for k, v in link.items())])
                print(f"{label}:", flush=True)
                rows += [{"size": label, **r} for r in time_pages(path, args.repeat, link)]
    write_results(rows, args.sizes, args.results, args.repeat)
    print(table(rows))
    return rows


if __name__ == "__main__":
    main()
