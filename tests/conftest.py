"""Fixtures: every test gets its own temporary database."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from dashboard import importer
from dashboard.db import Database


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return Database(tmp_path / "test.duckdb")


@pytest.fixture
def load(db: Database, tmp_path: Path):
    """load(dataset, csv_text, name=..., encoding=...) imports inline CSV text and returns the result."""
    def _load(dataset: str, text: str, name: str | None = None, encoding: str = "utf-8", **kwargs):
        path = tmp_path / (name or f"{dataset}.csv")
        path.write_bytes(text.encode(encoding))
        return importer.import_file(db, path, dataset, **kwargs)
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
