"""Fixtures: every test gets its own temporary database."""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path

import pytest

from dashboard import demo
from dashboard.auth import LOCAL_USER as EDITOR
from dashboard.db import Database
from dashboard.imports import importer
from tests.reliability import LEDGER


@pytest.fixture(scope="session", autouse=True)
def session_secret(tmp_path_factory):
    """The signing secret of login cookies lives outside the repository; in tests, in a temporary folder
    (set in the environment, so servers the tests start use it too)."""
    import os

    path = tmp_path_factory.mktemp("secret") / "session_secret"
    os.environ["DASHBOARD_SECRET_FILE"] = str(path)
    return path


@pytest.fixture(scope="session")
def empty_file(tmp_path_factory) -> Path:
    """A new, empty database made once per session: making one runs every CREATE and macro (a quarter of a
    second), which a thousand tests would each pay; a copy of the closed file is the same database."""
    path = tmp_path_factory.mktemp("empty") / "empty.duckdb"
    Database(path).release()
    return path


@pytest.fixture
def db(empty_file: Path, tmp_path: Path) -> Database:
    path = tmp_path / "test.duckdb"
    shutil.copy(empty_file, path)
    return Database(path)


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    demo.load(Database(path), by=EDITOR)
    return path


@pytest.fixture
def app_db(demo_file, tmp_path, monkeypatch):
    """A fresh copy of the demo database for each test, and no users file (local editor)."""
    path = tmp_path / "app.duckdb"
    shutil.copy(demo_file, path)
    monkeypatch.setenv("DASHBOARD_DB", str(path))
    monkeypatch.setenv("DASHBOARD_USERS", str(tmp_path / "users.toml"))
    monkeypatch.setenv("DASHBOARD_LANG", "ja")
    return path


@pytest.fixture
def load(db: Database, tmp_path: Path):
    """load(dataset, csv_text, name=..., encoding=...) imports inline CSV text and returns the result."""
    def _load(dataset: str, text: str, name: str | None = None, encoding: str = "utf-8", **kwargs):
        path = tmp_path / (name or f"{dataset}.csv")
        path.write_bytes(text.encode(encoding))
        return importer.import_file(db, path, dataset, **kwargs, by=EDITOR)
    return _load


def xlsx_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


_CT = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
       '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
       '<Default Extension="xml" ContentType="application/xml"/>'
       '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
       '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
       '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
       '</Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
         'Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
             'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
             '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    '</Relationships>')
_EMPTY_SST = '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"/>'


def crafted_xlsx(cells: dict[str, object], *, dimension: str | None = None, sst: str = _EMPTY_SST) -> bytes:
    """A workbook written XML by hand, so a test can say exactly what it claims: cells by reference
    ({"A1": "取引先ID", "XFD1048576": 1}), the <dimension> and the shared-string table."""
    import re
    import zipfile
    from collections import defaultdict
    from xml.sax.saxutils import escape

    rows: dict[int, list[str]] = defaultdict(list)
    for ref, value in cells.items():
        row = int(re.sub(r"[A-Z]", "", ref))
        if isinstance(value, str):
            rows[row].append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
        else:
            rows[row].append(f'<c r="{ref}"><v>{value}</v></c>')
    body = "".join(f'<row r="{r}">{"".join(c)}</row>' for r, c in sorted(rows.items()))
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             f'spreadsheetml/2006/main">{dim}<sheetData>{body}</sheetData></worksheet>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
        z.writestr("xl/sharedStrings.xml", sst)
    return buf.getvalue()


# -- docs/reliability.md: figures counted by the tests, written after a complete passing run -----------


@pytest.fixture(scope="session")
def reliability():
    return LEDGER


# Skips that mean a part of the product went untested because the machine lacks a tool (chromium, Java).
# scripts/test.sh installs both when it runs as root and then sets DASHBOARD_NO_SKIPS=1: such a skip fails
# the run instead of passing green with the browser or Spark tests left out.
MISSING_TOOL_SKIPS = ("Debian chromium is not installed", "Spark engine")
_tool_skips: list[str] = []


def pytest_runtest_logreport(report):
    LEDGER.record(report)
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""  # a skip's reason, not its path
    if report.skipped and any(str(reason).startswith(("Skipped: " + w, w)) for w in MISSING_TOOL_SKIPS):
        _tool_skips.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    import os

    if _tool_skips and os.environ.get("DASHBOARD_NO_SKIPS") == "1":
        print(f"\n{len(_tool_skips)} tests skipped for a missing tool (first: {_tool_skips[0]}); "
              "DASHBOARD_NO_SKIPS=1 makes that a failure", file=sys.stderr)
        session.exitstatus = 1
        return
    if exitstatus != 0:
        return
    done, why = LEDGER.complete()
    if done:
        LEDGER.write()
    else:
        print(f"\ndocs/reliability.md not rewritten: {why}", file=sys.stderr)


# The daily lane (scripts/test.sh --fast): the modules of pure functions, SQL definitions against hand-worked
# figures, the command line and the import rules — a few minutes on this 2-core machine. Every other module
# (pages in AppTest, kept results, the hostile corpus, faults and recovery, Spark, the browser, load and soak)
# is marked slow and runs in the full suite (CI, the README's command).
FAST_MODULES = {"test_text", "test_display", "test_layers", "test_metrics", "test_views", "test_simulator",
                "test_parsing", "test_frames", "test_sessions", "test_cli", "test_import", "test_values_sql",
                "test_import_modes", "test_one_timeline", "test_billing_mrr", "test_account_page", "test_drill", "test_worklog", "test_digest"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.module.__name__.rsplit(".", 1)[-1] not in FAST_MODULES:
            item.add_marker(pytest.mark.slow)
