"""The package's layer order, as the code obeys it: a module imports only modules of its own layer or
below (at the top of the file or inside a function alike). An upward import makes a low module depend on
what it should know nothing of (the importer on the pages' results, the schema on the metrics): this test
fails on any, naming it."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "dashboard"

# Lowest first. Within a layer modules may import each other.
LAYERS: list[set[str]] = [
    # values and words: no data, no database
    {"errors", "i18n", "money", "periods", "frames", "auth", "sessions", "simulator", "actions",
     "imports", "imports.parsing", "imports.workbook", "imports.values_sql", "imports.vocabulary", "imports.formats"},
    # the store: tables, the connection, reading files
    {"schema", "db", "imports.readers", "imports.mapping", "imports.staging"},
    # writes to the store
    {"settings", "imports.importer", "scenarios", "worklog"},
    # the results layer: SQL, its catalogue, kept results
    {"results", "results.catalog", "results.scope", "results.spark_sql", "results.engines", "results.runner",
     "results.drills",
     "results.health_store", "results.health_weights", "results.result_store"},
    # figures and words made from results
    {"views", "validation", "d2c", "report", "calibration", "figures", "export", "definitions", "derivation",
     "digest"},
    # write, then refresh
    {"workspace", "demo"},
    # the app and the command line
    {"ui", "cli", "__main__"},
]
LAYER = {module: level for level, modules in enumerate(LAYERS) for module in modules}

# Known upward imports still to remove, each with why it is there. Keep this short (it is empty: the last,
# the runner's summaries found by name in the figures layer, moved up into views.SUMMARIES).
PENDING: set[tuple[str, str]] = set()


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__") or "__init__"


def imported(path: Path) -> set[str]:
    """The package modules a file imports, wherever the import statement is."""
    out = set()
    package = module_name(path).split(".")[:-1] if path.is_relative_to(PACKAGE) else []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:  # relative: from . import x, from ..metrics import y
            parts = package[: len(package) - (node.level - 1)] + (node.module.split(".") if node.module else [])
            base = ".".join(parts)
            for alias in node.names:
                name = f"{base}.{alias.name}".lstrip(".")
                out.add(name if name in LAYER else base)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module":
            out.add("<dynamic>")  # by a computed name: listed in _dynamic()
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "dashboard":
            base = node.module.removeprefix("dashboard").lstrip(".")
            for alias in node.names:
                name = f"{base}.{alias.name}".lstrip(".")
                out.add(name if name in LAYER else base)
        elif isinstance(node, ast.Import):
            out |= {a.name.removeprefix("dashboard.") for a in node.names if a.name.startswith("dashboard.")}
    return out - {""}


def test_every_module_has_a_layer():
    modules = {module_name(p) for p in PACKAGE.rglob("*.py")} - {"__init__"}
    assert modules - set(LAYER) == set(), "give each new module its place in LAYERS"


def test_no_module_imports_a_higher_layer():
    upward = set()
    for path in PACKAGE.rglob("*.py"):
        module = module_name(path)
        if module == "__init__":
            continue
        found = imported(path)
        # a module found by a computed name hides its layer from this test: name it in an import instead
        assert "<dynamic>" not in found, f"{module} imports by a computed name"
        for other in found:
            if other in LAYER and LAYER[other] > LAYER[module]:
                upward.add((module, other))
    assert upward - PENDING == set(), "upward imports"
    assert PENDING - upward == set(), "fixed: remove from PENDING"


def test_an_upward_import_is_caught(tmp_path):
    """The check reads imports inside functions too (where the old ones hid)."""
    source = tmp_path / "probe.py"
    source.write_text("def f():\n    from dashboard.results import result_store\n    from dashboard import report\n"
                      "    import dashboard.views\n    importlib.import_module('dashboard.' + name)\n")
    assert imported(source) == {"results.result_store", "report", "views", "<dynamic>"}
    inside = PACKAGE / "results" / "probe_layers.py"  # a relative import, as a module of the package reads it
    inside.write_text("from ..views import call\nfrom . import runner\n")
    try:
        assert imported(inside) == {"views", "results.runner"}
    finally:
        inside.unlink()


def test_no_sql_of_ours_filters_by_not_in_a_subquery():
    """DuckDB 2.0 can hang for good on `x NOT IN (SELECT …)` (a mark join) beside another scan of the same
    source: all threads park and an interrupt is never honoured (duckdb/duckdb#24961). It hung the refresh
    after an MRR replace at M (accounts_without_mrr: EXISTS (SELECT 1 FROM mrr_history) AND account_id NOT IN
    (SELECT account_id FROM mrr_history)), data-dependently, so no small test reproduces it. Our keys are never
    NULL, so NOT EXISTS (an anti join) says the same: write that."""
    import re

    pattern = re.compile(r"NOT\s+IN\s*\(\s*SELECT\b", re.IGNORECASE)
    found = [f"{path.relative_to(PACKAGE.parent)}:{text[:m.start()].count(chr(10)) + 1}"
             for path in sorted([*PACKAGE.rglob("*.sql"), *PACKAGE.rglob("*.py")])
             for text in [path.read_text(encoding="utf-8")] for m in pattern.finditer(text)]
    assert found == []
