"""The import benchmark runs end to end at S (a smoke run: it checks that every import succeeds and that
the results table is written; speed is reported by the benchmark itself, never asserted here)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_benchmark():
    spec = importlib.util.spec_from_file_location("imports_benchmark", ROOT / "benchmarks" / "imports.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_import_benchmark_smoke_run_at_s(tmp_path):
    bench = load_benchmark()
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmarks\n\nText a person wrote stays.\n")
    rows = bench.main(["--sizes", "S", "--results", str(results), "--work", str(tmp_path)])
    assert [(r["dataset"], r["kind"]) for r in rows] == [
        ("accounts", "cp932"), ("usage", "csv"), ("usage", "cp932"), ("mrr", "csv"), ("orders", "csv"),
        ("orders", "parquet"), ("touchpoints", "csv")]
    assert all(r["ok"] for r in rows)
    # the import's own account of its time: the commit, and until ready (the refresh after it included)
    assert all(0 < r["commit_s"] <= r["ready_s"] < r["product_s"] for r in rows), rows
    assert [r["rows"] for r in rows] == [1_000, 100_000, 100_000, 20_000, 50_000, 50_000, 5_000]
    text = results.read_text()
    assert "Text a person wrote stays." in text and "| S | usage | cp932 | 100,000 |" in text
    assert "duckdb" in text and "cores" in text  # the machine and versions are written with the figures
