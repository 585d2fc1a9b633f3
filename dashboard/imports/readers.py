"""What a file is before its rows are read: format, text encoding, delimiter, header, and .xlsx sheets.

The rows themselves go straight into DuckDB (staging.py); only a workbook's cells pass through Python,
read by workbook.py in a bounded child process.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import math
import re
from dataclasses import dataclass, field

from dashboard.errors import ImportRefused
from dashboard.imports import workbook
from dashboard.imports.workbook import Limits

__all__ = ["ImportRefused", "Limits", "RawTable", "check_width", "detect_encoding", "header_names", "read_xlsx_sheets", "sniff_delimiter"]

BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_KANA = re.compile("[\u3040-\u30ff]")
_HALF_WIDTH_KANA = re.compile("[\uff61-\uff9f]")


@dataclass
class RawTable:
    """What was found in a file: its headers and how it was read (the rows are staged in DuckDB)."""

    headers: list[str]
    source_format: str
    encoding: str | None = None
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    warnings: list[tuple[str, dict]] = field(default_factory=list)  # (message key, its values)
    rows: list[list[object]] = field(default_factory=list)  # a workbook sheet's cells, until staged
    row_numbers: list[int] = field(default_factory=list)


def _row_of(data: bytes, position: int) -> int:
    """The 1-based line number of a byte position (the header is row 1)."""
    return data.count(b"\n", 0, position) + 1


def _japanese_score(text: str) -> int:
    """Kana read as kana, minus half-width katakana: EUC-JP read as CP932 turns kana into the latter."""
    sample = text[:200_000]
    return len(_KANA.findall(sample)) - len(_HALF_WIDTH_KANA.findall(sample))


def _decode(head: bytes, encoding: str, complete: bool) -> str:
    """Decode a file's first bytes; a character cut at the end of an incomplete sample is no error."""
    return codecs.getincrementaldecoder(encoding)(errors="strict").decode(head, final=complete)


def detect_encoding(head: bytes, file_name: str, *, complete: bool = True) -> str:
    """The encoding of a text file from its first bytes: BOM, UTF-16, UTF-8, else CP932 or EUC-JP,
    whichever reads as Japanese.

    CP932, not shift_jis: ① and 髙 are CP932-only. A file that is partly UTF-8 and partly something else
    (say, rows pasted from another export) is refused with the first row that breaks, not mis-read.
    """
    if head.startswith(BOM):
        try:
            _decode(head[len(BOM):], "utf-8", complete)
        except UnicodeDecodeError as exc:
            raise ImportRefused("mixed_encoding", file=file_name, row=_row_of(head[len(BOM):], exc.start)) from exc
        return "utf-8-sig"
    if head[:2] in UTF16_BOMS:
        try:
            _decode(head, "utf-16", complete)
        except UnicodeDecodeError as exc:
            raise ImportRefused("mixed_encoding", file=file_name, row=_row_of(head, exc.start)) from exc
        return "utf-16"
    try:
        _decode(head, "utf-8", complete)
        return "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    sample = head.decode("utf-8", errors="replace")
    if len(re.findall("[^\\x00-\\x7f\\ufffd]", sample)) > 4 * sample.count("\ufffd"):
        # Mostly valid UTF-8 with a few bytes that are not: two encodings in one file.
        raise ImportRefused("mixed_encoding", file=file_name, row=_row_of(head, utf8_error.start))
    readings = []
    for encoding in ("cp932", "euc_jp"):
        try:
            readings.append((_japanese_score(_decode(head, encoding, complete)), encoding))
        except UnicodeDecodeError:
            continue
    if not readings:
        raise ImportRefused("unknown_encoding", file=file_name)
    return max(readings, key=lambda r: r[0])[1]  # a tie keeps CP932, the usual one


def sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample.split("\n", 1)[0] or sample, delimiters=",\t;").delimiter
    except csv.Error:
        return ","


def header_names(headers: list[object], file_name: str, warnings: list) -> list[str]:
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


def check_width(headers: list[str], file_name: str, limits: Limits) -> None:
    if len(headers) > limits.max_columns:
        raise ImportRefused("too_many_columns", file=file_name, n=f"{len(headers):,}",
                            limit=f"{limits.max_columns:,}", where="1")


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
    headers = header_names(numbered[0][1], f"{file_name} [{sheet}]", warnings)
    raw = RawTable(headers=headers, source_format="xlsx", sheet=sheet, sheets=sheets, warnings=warnings)
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
