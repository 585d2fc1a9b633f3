"""docs/reliability.md, written by the test run: what the product promises, which tests hold it to that, and
the figures those tests counted (inputs tried, faults injected, sessions held, bypass attempts).

Tests add figures through the ``reliability`` fixture: ``reliability.count(section, what, n, detail)``.
The file is rewritten only after a run in which every test named below ran and passed (a partial run,
``-k`` or a skipped browser, leaves the last complete figures in place).
"""

from __future__ import annotations

import datetime as dt
import platform
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "reliability.md"

# section -> (the promise, in the words a user would use; the test files that hold it)
PROMISES: dict[str, tuple[str, tuple[str, ...]]] = {
    "Bad input": (
        "Every file is loaded correctly or refused with one clear message naming the file (and the row and "
        "column where there is one). No traceback; on a refusal the stored data is unchanged (compared by "
        "content). Limits (file size, columns, cells, memory) are settings with defaults.",
        ("tests/test_hostile_corpus.py", "tests/test_hostile_input.py", "tests/test_values_sql.py")),
    "Faults": (
        "An import killed at any moment leaves the database openable with either the previous state or the "
        "new one, never a partial one. A full disk or a read-only folder gives a clear message and changes "
        "nothing. A damaged database is detected with advice, and the last good state (saved after every "
        "import) can be put back. While a process has the database open for writing, no other process can "
        "open it for writing, through every write path (imports, settings, restores, backups).",
        ("tests/test_recovery.py", "tests/test_db_faults.py", "tests/test_db_lock.py")),
    "Two writers and load": (
        "A command-line import while the app is in use succeeds, and the app shows the new data without a "
        "restart. Concurrent sessions browsing every page while an import commits see no error, and each page "
        "run shows one data version: the old one or the new one, never a mix. Minutes of app sessions and "
        "repeated imports leave a file that reads back whole.",
        ("tests/test_load.py", "tests/test_db_faults.py", "tests/test_soak.py")),
    "Access": (
        "A login lasts across reloads and bookmarks for a set time (signed, expiring HttpOnly cookie; secret "
        "outside the repository) and ends at logout; failed logins lock a name; passwords have 12+ "
        "characters. With users configured, no page, download or write is reached without the right role, "
        "tested by driving the server as an anonymous user and as a viewer.",
        ("tests/test_sessions.py", "tests/test_browser.py", "tests/test_pages.py")),
    "Output safety": (
        "Names with HTML or script show as text everywhere; every CSV download neutralises formula-looking "
        "cells; uploaded file names never become paths.",
        ("tests/test_hostile_corpus.py", "tests/test_operations.py", "tests/test_pages.py")),
}


@dataclass
class Ledger:
    figures: dict[str, list[tuple[str, int, str]]] = field(default_factory=lambda: defaultdict(list))
    outcomes: dict[str, str] = field(default_factory=dict)  # nodeid -> passed / failed / skipped

    def count(self, section: str, what: str, n: int, detail: str = "") -> None:
        assert section in PROMISES, section
        self.figures[section].append((what, n, detail))

    # -- pytest hooks (called from conftest.py) -------------------------------------------------------
    def record(self, report) -> None:
        if report.when == "call" or report.outcome != "passed":
            previous = self.outcomes.get(report.nodeid)
            if previous != "failed":
                self.outcomes[report.nodeid] = report.outcome

    def complete(self) -> tuple[bool, str]:
        for _, files in PROMISES.values():
            for file in files:
                ran = {k: v for k, v in self.outcomes.items() if k.startswith(file + "::")}
                if not ran:
                    return False, f"{file} did not run"
                bad = [k for k, v in ran.items() if v != "passed"]
                if bad:
                    return False, f"{bad[0]} {ran[bad[0]]}"
        return True, ""

    def write(self) -> Path:
        import duckdb
        import streamlit

        lines = ["# Reliability: what is promised, how it is tested, what the tests counted", "",
                 "Written by the test run (`tests/reliability.py`), not by hand: rerun the tests to refresh it.",
                 f"Last complete run: {dt.datetime.now():%Y-%m-%d %H:%M}, {platform.node()}, "
                 f"Python {sys.version.split()[0]}, DuckDB {duckdb.__version__}, Streamlit {streamlit.__version__}.",
                 ""]
        for section, (promise, files) in PROMISES.items():
            lines += [f"## {section}", "", promise, "", "| figure | count | detail |", "|---|---:|---|"]
            merged: dict[str, list] = {}  # a figure counted in several tests (or examples) adds up
            for what, n, detail in self.figures.get(section, []):
                merged.setdefault(what, [0, detail])[0] += n
                merged[what][1] = detail
            for what, (n, detail) in merged.items():
                lines.append(f"| {what} | {n:,} | {detail.replace('|', '/')} |")
            tests = sorted(k for k in self.outcomes if k.startswith(files))
            lines += ["", f"Tests ({len(tests)}, all passed in this run):", ""]
            for file in files:
                names = sorted({k.split("::", 1)[1].split("[", 1)[0] for k in tests if k.startswith(file + "::")})
                lines.append(f"- `{file}`: " + ", ".join(f"`{n}`" for n in names))
            lines.append("")
        DOC.parent.mkdir(exist_ok=True)
        DOC.write_text("\n".join(lines), encoding="utf-8")
        return DOC


LEDGER = Ledger()
