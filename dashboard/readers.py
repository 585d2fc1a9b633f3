"""Turning an uploaded file's bytes into a header and rows: CSV (UTF-8, BOM, CP932), .xlsx, Parquet."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import dataclass, field

from dashboard.i18n import t

BOM = b"\xef\xbb\xbf"


class ImportRefused(ValueError):
    """A whole file refused; ``message(lang)`` names the file, row and column."""

    def __init__(self, key: str, **kwargs: object):
        super().__init__(t(key, "en", **kwargs))
        self.key = key
        self.kwargs = kwargs

    def message(self, lang: str | None = None) -> str:
        return t(self.key, lang, **self.kwargs)


@dataclass
class RawTable:
    headers: list[str]
    rows: list[list[object]]
    row_numbers: list[int]  # 1-based row number in the file/sheet of each data row (header row is 1)
    source_format: str
    encoding: str | None = None
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    problems: dict[int, str] = field(default_factory=dict)  # row number -> message key


def detect_format(data: bytes, file_name: str) -> str:
    name = file_name.lower()
    if data[:4] == b"PAR1" or name.endswith(".parquet"):
        return "parquet"
    if data[:2] == b"PK" or name.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    return "csv"


def decode(data: bytes, file_name: str) -> tuple[str, str]:
    """Bytes -> (text, encoding). BOM -> utf-8-sig; valid UTF-8 -> utf-8; else CP932 (not shift_jis: ①)."""
    if data.startswith(BOM):
        return data[len(BOM):].decode("utf-8", errors="strict"), "utf-8-sig"
    for encoding in ("utf-8", "cp932"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ImportRefused("unknown_encoding", file=file_name)


def _header_names(headers: list[object]) -> list[str]:
    """Header cells as trimmed text, without the empty cells a spreadsheet leaves at the right."""
    names = ["" if h is None else str(h).strip() for h in headers]
    while names and names[-1] == "":
        names.pop()
    return names


def read_csv(data: bytes, file_name: str) -> RawTable:
    text, encoding = decode(data, file_name)
    if "\x00" in text:
        raise ImportRefused("not_a_table", file=file_name, detail="binary data")
    sample = text[:20000]
    try:
        delimiter = csv.Sniffer().sniff(sample.split("\n", 1)[0] or sample, delimiters=",\t;").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = list(reader)
    except csv.Error as exc:
        raise ImportRefused("not_a_table", file=file_name, detail=str(exc)) from exc
    numbered = [(i + 1, r) for i, r in enumerate(records) if any(cell.strip() for cell in r)]
    if not numbered:
        raise ImportRefused("empty_file", file=file_name)
    headers = _header_names(numbered[0][1])
    raw = RawTable(headers=headers, rows=[], row_numbers=[], source_format="csv", encoding=encoding)
    for number, record in numbered[1:]:
        if len(record) > len(headers) and any(c.strip() for c in record[len(headers):]):
            raw.problems[number] = "extra_fields"
        raw.rows.append(record[: len(headers)] + [""] * (len(headers) - len(record)))
        raw.row_numbers.append(number)
    return raw


def _cell(value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date()
    return value


def _sheet_table(rows: list[list[object]], sheet: str, sheets: list[str]) -> RawTable | None:
    numbered = [(i + 1, r) for i, r in enumerate(rows) if any(c not in (None, "") for c in r)]
    if not numbered:
        return None
    headers = _header_names(numbered[0][1])
    raw = RawTable(headers=headers, rows=[], row_numbers=[], source_format="xlsx", sheet=sheet, sheets=sheets)
    for number, record in numbered[1:]:
        cells = [_cell(c) for c in record[: len(headers)]]
        raw.rows.append(cells + [None] * (len(headers) - len(cells)))
        raw.row_numbers.append(number)
    return raw


def read_xlsx_sheets(data: bytes, file_name: str) -> list[RawTable]:
    """Every non-empty sheet of a workbook, in order."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = list(workbook.sheet_names)
        tables = []
        for name in names:
            table = _sheet_table(workbook.get_sheet_by_name(name).to_python(skip_empty_area=False), name, names)
            if table is not None:
                tables.append(table)
    except Exception as exc:  # calamine raises several types for damaged zips and XML
        raise ImportRefused("not_a_workbook", file=file_name, detail=type(exc).__name__) from exc
    if not tables:
        raise ImportRefused("empty_file", file=file_name)
    return tables


def read_parquet(data: bytes, file_name: str) -> RawTable:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except Exception as exc:
        raise ImportRefused("not_a_table", file=file_name, detail=str(exc)[:120]) from exc
    columns = table.column_names
    values = [table.column(c).to_pylist() for c in columns]
    rows = [[_cell(col[i]) for col in values] for i in range(table.num_rows)]
    if not columns:
        raise ImportRefused("empty_file", file=file_name)
    return RawTable(headers=[str(c) for c in columns], rows=rows, row_numbers=list(range(2, len(rows) + 2)),
                    source_format="parquet")
