"""Turning an uploaded file's bytes into a header and rows: CSV (UTF-8, BOM, CP932), .xlsx, Parquet."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from dataclasses import dataclass, field

from dashboard import workbook
from dashboard.errors import ImportRefused
from dashboard.workbook import Limits

__all__ = ["ImportRefused", "Limits", "RawTable", "decode", "detect_format", "read_csv", "read_parquet",
           "read_xlsx_sheets"]

BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_KANA = re.compile("[\u3040-\u30ff]")
_HALF_WIDTH_KANA = re.compile("[\uff61-\uff9f]")


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
    warnings: list[tuple[str, dict]] = field(default_factory=list)  # (message key, its values)


def detect_format(data: bytes, file_name: str) -> str:
    name = file_name.lower()
    if data[:4] == b"PAR1" or name.endswith(".parquet"):
        return "parquet"
    if data[:2] == b"PK" or name.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    return "csv"


def _row_of(data: bytes, position: int) -> int:
    """The 1-based line number of a byte position (the header is row 1)."""
    return data.count(b"\n", 0, position) + 1


def _japanese_score(text: str) -> int:
    """Kana read as kana, minus half-width katakana: EUC-JP read as CP932 turns kana into the latter."""
    sample = text[:200_000]
    return len(_KANA.findall(sample)) - len(_HALF_WIDTH_KANA.findall(sample))


def decode(data: bytes, file_name: str) -> tuple[str, str]:
    """Bytes -> (text, encoding): BOM, UTF-16, UTF-8, else CP932 or EUC-JP, whichever reads as Japanese.

    CP932, not shift_jis: ① and 髙 are CP932-only. A file that is partly UTF-8 and partly something else
    (say, rows pasted from another export) is refused with the first row that breaks, not mis-read.
    """
    if data.startswith(BOM):
        body = data[len(BOM):]
        try:
            return body.decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise ImportRefused("mixed_encoding", file=file_name, row=_row_of(body, exc.start)) from exc
    if data[:2] in UTF16_BOMS:
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise ImportRefused("mixed_encoding", file=file_name, row=_row_of(data, exc.start)) from exc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    sample = data[: 2 << 20].decode("utf-8", errors="replace")
    if len(re.findall("[^\x00-\x7f\ufffd]", sample)) > 4 * sample.count("\ufffd"):
        # Mostly valid UTF-8 with a few bytes that are not: two encodings in one file.
        raise ImportRefused("mixed_encoding", file=file_name, row=_row_of(data, utf8_error.start))
    readings = []
    for encoding in ("cp932", "euc_jp"):
        try:
            readings.append((data.decode(encoding), encoding))
        except UnicodeDecodeError:
            continue
    if not readings:
        raise ImportRefused("unknown_encoding", file=file_name)
    return max(readings, key=lambda r: _japanese_score(r[0]))  # a tie keeps CP932, the usual one


def _header_names(headers: list[object], file_name: str, warnings: list) -> list[str]:
    """Header cells as trimmed text, without the empty cells a spreadsheet leaves at the right.

    Two columns with the same header keep both: the later one is renamed "月額 (2)", and a warning
    says so, so no column silently overwrites another.
    """
    names = ["" if h is None else str(h).strip() for h in headers]
    while names and names[-1] == "":
        names.pop()
    seen: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        if name:
            seen.setdefault(name, []).append(i)
    for name, positions in seen.items():
        if len(positions) > 1:
            for n, i in enumerate(positions[1:], start=2):
                names[i] = f"{name} ({n})"
            warnings.append(("duplicate_header", {"file": file_name, "header": name,
                                                  "columns": ", ".join(str(i + 1) for i in positions)}))
    return names


def _check_width(headers: list[str], file_name: str, limits: Limits) -> None:
    if len(headers) > limits.max_columns:
        raise ImportRefused("too_many_columns", file=file_name, n=f"{len(headers):,}",
                            limit=f"{limits.max_columns:,}", where="1")


def read_csv(data: bytes, file_name: str, limits: Limits | None = None) -> RawTable:
    limits = limits or Limits()
    text, encoding = decode(data, file_name)
    if "\x00" in text:
        raise ImportRefused("not_a_table", file=file_name, detail="binary data")
    sample = text[:20000]
    try:
        delimiter = csv.Sniffer().sniff(sample.split("\n", 1)[0] or sample, delimiters=",\t;").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    warnings: list[tuple[str, dict]] = []
    raw: RawTable | None = None
    try:
        for number, record in enumerate(reader, start=1):
            if not any(cell.strip() for cell in record):
                continue
            if raw is None:  # the header: refuse a too-wide file before reading the rest
                headers = _header_names(record, file_name, warnings)
                _check_width(headers, file_name, limits)
                raw = RawTable(headers=headers, rows=[], row_numbers=[], source_format="csv",
                               encoding=encoding, warnings=warnings)
                continue
            width = len(raw.headers)
            if len(record) > width and any(c.strip() for c in record[width:]):
                raw.problems[number] = "extra_fields"
            _check_quotes(record, raw.headers, delimiter, file_name, number)
            raw.rows.append(record[:width] + [""] * (width - len(record)))
            raw.row_numbers.append(number)
    except csv.Error as exc:
        raise ImportRefused("not_a_table", file=file_name, detail=str(exc)) from exc
    if raw is None:
        raise ImportRefused("empty_file", file=file_name)
    return raw


def _check_quotes(record: list[str], headers: list[str], delimiter: str, file_name: str, number: int) -> None:
    """Refuse a quote that is never closed: it swallows the following rows into one cell.

    A cell may hold line breaks (a note), but a cell whose continuation lines look like whole rows
    (as many delimiters as the header) is rows read as one value.
    """
    if len(headers) < 2:
        return
    for i, cell in enumerate(record):
        if "\n" not in cell:
            continue
        lines = cell.split("\n")[1:]
        swallowed = sum(1 for line in lines if line.count(delimiter) >= len(headers) - 1)
        if swallowed:
            column = headers[i] if i < len(headers) else str(i + 1)
            raise ImportRefused("unclosed_quote", file=file_name, row=number, header=column, n=swallowed)


def _cell(value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date()
    return value


def _sheet_table(rows: list[list[object]], sheet: str, sheets: list[str], file_name: str) -> RawTable | None:
    numbered = [(i + 1, r) for i, r in enumerate(rows) if any(c not in (None, "") for c in r)]
    if not numbered:
        return None
    warnings: list[tuple[str, dict]] = []
    headers = _header_names(numbered[0][1], f"{file_name} [{sheet}]", warnings)
    raw = RawTable(headers=headers, rows=[], row_numbers=[], source_format="xlsx", sheet=sheet, sheets=sheets,
                   warnings=warnings)
    for number, record in numbered[1:]:
        cells = [_cell(c) for c in record[: len(headers)]]
        raw.rows.append(cells + [None] * (len(headers) - len(cells)))
        raw.row_numbers.append(number)
    return raw


def read_xlsx_sheets(data: bytes, file_name: str, limits: Limits | None = None) -> list[RawTable]:
    """Every non-empty sheet of a workbook, in order (read by workbook.py, bounded and isolated)."""
    sheets = workbook.read_sheets(data, file_name, limits)
    names = [name for name, _ in sheets]
    tables = [t for name, rows in sheets if (t := _sheet_table(rows, name, names, file_name)) is not None]
    if not tables:
        raise ImportRefused("empty_file", file=file_name)
    return tables


def _column_values(column) -> list[object]:
    """A Parquet column as Python values; a value Python cannot hold (year 10000) becomes its text,
    which the value parser then rejects with the row and column."""
    try:
        return column.to_pylist()
    except (ValueError, OverflowError):
        out = []
        for scalar in column:
            try:
                out.append(scalar.as_py())
            except (ValueError, OverflowError):
                out.append(f"out of range ({scalar.type}: {scalar.cast('int64').as_py()})")
        return out


def read_parquet(data: bytes, file_name: str, limits: Limits | None = None) -> RawTable:
    import pyarrow.parquet as pq

    limits = limits or Limits()
    try:
        source = pq.ParquetFile(io.BytesIO(data))
        _check_width([f.name for f in source.schema_arrow], file_name, limits)
        table = source.read()
    except ImportRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for damaged files
        raise ImportRefused("not_a_table", file=file_name, detail=str(exc)[:120]) from exc
    warnings: list[tuple[str, dict]] = []
    columns = _header_names(table.column_names, file_name, warnings)
    if not columns:
        raise ImportRefused("empty_file", file=file_name)
    values = [_column_values(table.column(i)) for i in range(len(columns))]
    rows = [[_cell(col[i]) for col in values] for i in range(table.num_rows)]
    return RawTable(headers=columns, rows=rows, row_numbers=list(range(2, len(rows) + 2)),
                    source_format="parquet", warnings=warnings)
