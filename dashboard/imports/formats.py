"""The file formats an import reads, in one table: how each is known (its first bytes, else its name), the
names the uploader offers, and which loader of staging.Stage puts its rows into DuckDB. Formats people
export that cannot be read here are in the table too, so they are refused with what to do instead, not
read as garbled text."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a Microsoft compound file: Excel 97–2003, or an encrypted .xlsx


@dataclass(frozen=True)
class Format:
    name: str
    suffixes: tuple[str, ...]  # lower case, with the dot
    magic: tuple[bytes, ...] = ()  # a file starting with one of these is this format whatever its name
    refusal: str | None = None  # the message key (i18n) of a format that cannot be read here


FORMATS: tuple[Format, ...] = (
    Format("parquet", (".parquet",), (b"PAR1",)),
    Format("xlsx", (".xlsx", ".xlsm"), (b"PK\x03\x04",)),
    # Excel 97–2003 (an OLE2 compound file); a text export merely named .xls is read as the text it is
    Format("xls", (".xls",), (OLE2,), refusal="old_excel"),
    # an .xlsx with a password or a sensitivity label is stored encrypted inside an OLE2 file
    Format("protected_workbook", (".xlsx", ".xlsm"), (OLE2,), refusal="protected_workbook"),
    # OpenDocument and Numbers are zip archives like .xlsx: known by their names
    Format("other_spreadsheet", (".ods", ".numbers"), (b"PK\x03\x04",), refusal="other_spreadsheet"),
    Format("csv", (".csv", ".tsv", ".txt")),  # and any other text
)
BY_NAME = {f.name: f for f in FORMATS}
TEXT = BY_NAME["csv"]


def detect(head: bytes, file_name: str) -> Format:
    """The format of a file from its first bytes and its name: the bytes decide (a workbook renamed .csv is
    a workbook); where two formats start alike (zip archives, OLE2 files), or the bytes are no format's (a
    damaged workbook), the name does, except that text named like a refused format is read as text (many
    systems' "Excel export" is a tab-separated text file named .xls); anything else is text."""
    suffix = PurePath(file_name.lower()).suffix
    by_bytes = [f for f in FORMATS if any(head.startswith(m) for m in f.magic)]
    by_name = [f for f in FORMATS if suffix in f.suffixes]
    if by_bytes:
        return next((f for f in by_bytes if f in by_name), by_bytes[0])
    if by_name and by_name[0].refusal and _looks_like_text(head):
        return TEXT
    return by_name[0] if by_name else TEXT


def _looks_like_text(head: bytes) -> bool:
    """No NUL byte in the first 4 KB (UTF-16 text, which has them, starts with its byte-order mark)."""
    return head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" not in head[:4096]


def uploader_types() -> list[str]:
    """The names the uploader accepts, without dots: every format of the table, the refused ones included,
    so that choosing an .xls file shows why it cannot be read instead of the browser's refusal."""
    return list(dict.fromkeys(s.lstrip(".") for f in FORMATS for s in f.suffixes))
