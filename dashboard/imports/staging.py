"""Getting an export into DuckDB as text, fast and in bounded memory, before it is typed in SQL.

A ``Stage`` is a temporary DuckDB database (its own file, so planning an import never holds the
dashboard's database): the file lands in table ``raw`` as VARCHAR columns ``c0…cN`` with ``row_no``,
its row number as a spreadsheet shows it (the header is row 1).
- CSV: DuckDB's ``read_csv`` reads UTF-8 directly; CP932, EUC-JP and UTF-16 are first decoded to
  UTF-8 in a streaming pass (the Python codec in chunks), so memory does not grow with the file.
- Parquet: ``read_parquet``, each column cast to text.
- .xlsx: read by workbook.py (bounded, in a child process) and handed to DuckDB as Arrow.

A stage is removed when its import commits or is discarded (or its plan is collected). A process that
dies first (killed, out of memory) cannot remove it, so each stage's owner file is locked by its process
while it lives, and making a stage removes the folders whose lock is free: an abandoned stage holds a
whole export.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa

try:
    import fcntl
except ImportError:  # not POSIX: abandoned stages are removed by age only
    fcntl = None  # type: ignore[assignment]

from dashboard.db import thread_limit
from dashboard.errors import ImportRefused
from dashboard.imports import formats, readers, values_sql
from dashboard.imports.readers import Limits, RawTable

SAMPLE_BYTES = 1 << 20
_CHUNK = 8 << 20
SPARE_COLUMNS = 4  # fields beyond the header a row may carry (a rejected row) before the file is refused
_LINE_RE = re.compile(r"Line: (\d+)")
STAGE_PREFIX = "dashboard-import-"
OWNER_FILE = "owner.lock"  # locked by the importing process for as long as it lives (its pid inside, to read)
ORPHAN_SECONDS = 24 * 3600  # a folder with no owner file (being made, or an older version's) is left this long


def _take_ownership(stage_dir: Path) -> int:
    """Lock the stage's owner file; the kernel lets go of the lock when this process ends, however it ends.
    The file is locked under another name and then renamed, so a sweep never finds it unlocked."""
    pending = stage_dir / f".{OWNER_FILE}"
    fd = os.open(pending, os.O_RDWR | os.O_CREAT, 0o600)  # not inherited by child processes
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.write(fd, str(os.getpid()).encode())
    os.replace(pending, stage_dir / OWNER_FILE)
    return fd


def _owner_gone(stage_dir: Path) -> bool | None:
    """Whether the process that made a stage is gone (its owner file is not locked); None when the folder
    has no owner file. A lock works across containers that share the temp folder, where a pid does not."""
    if fcntl is None:
        return None
    try:
        fd = os.open(stage_dir / OWNER_FILE, os.O_RDWR)
    except FileNotFoundError:
        return None
    except OSError:  # another user's stage: not ours to remove
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # locked: its import is running (in this process or another)
    finally:
        os.close(fd)
    return True


def sweep_abandoned(folder: Path | None = None) -> list[Path]:
    """Remove the stage folders whose process is gone (or, with no owner file, older than a day); return
    those removed."""
    removed = []
    for stage_dir in Path(folder or tempfile.gettempdir()).glob(f"{STAGE_PREFIX}*"):
        gone = _owner_gone(stage_dir)
        if gone is None:
            try:
                gone = stage_dir.is_dir() and time.time() - stage_dir.stat().st_mtime > ORPHAN_SECONDS
            except OSError:
                continue
        if gone:
            shutil.rmtree(stage_dir, ignore_errors=True)
            if not stage_dir.exists():
                removed.append(stage_dir)
    return removed


def quote_ident(name: str) -> str:
    """A SQL identifier for a column name taken from a file: quoted, inner quotes doubled."""
    return '"' + str(name).replace('"', '""') + '"'


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


class Stage:
    """A temporary DuckDB database holding one file being imported."""

    def __init__(self, limits: Limits, currency: str = "JPY"):
        sweep_abandoned()
        self.dir = Path(tempfile.mkdtemp(prefix=STAGE_PREFIX))
        self._owner = _take_ownership(self.dir)
        self.path = self.dir / "stage.duckdb"
        self.limits = limits
        self.con: duckdb.DuckDBPyConnection | None = duckdb.connect(str(self.path), config={
            "memory_limit": f"{limits.import_memory_mb}MB", "temp_directory": str(self.dir / "spill"),
            "preserve_insertion_order": True, **thread_limit()})
        self.con.execute("SET enable_progress_bar = false")  # never mixed into a command's JSON output
        for statement in values_sql.macros(currency):
            self.con.execute(statement)
        self.first_data_row = 2

    # -- lifetime ------------------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection (the file stays, for the commit to attach)."""
        if self.con is not None:
            with contextlib.suppress(duckdb.Error):
                self.con.execute("CHECKPOINT")
            self.con.close()
            self.con = None

    def remove(self) -> None:
        self.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        if self._owner is not None:
            os.close(self._owner)
            self._owner = None

    # -- loading ---------------------------------------------------------------------------------------
    def load(self, path: Path, file_name: str, sheet: str | None = None,
             choose_sheet=None) -> RawTable:
        """Put the file at ``path`` into ``raw`` and return what was found (headers, format, encoding)."""
        size = path.stat().st_size
        if size > self.limits.max_file_mb * 1024 * 1024:
            raise ImportRefused("file_too_large", file=file_name, mb=f"{size / 1024 / 1024:,.0f}",
                                limit=f"{self.limits.max_file_mb:,}")
        with path.open("rb") as fh:
            head = fh.read(SAMPLE_BYTES)
        if not head.strip():
            raise ImportRefused("empty_file", file=file_name)
        fmt = formats.detect(head, file_name)
        if fmt.refusal:
            raise ImportRefused(fmt.refusal, file=file_name)
        if fmt.name == "parquet":
            return self._load_parquet(path, file_name)
        if fmt.name == "xlsx":
            return self._load_xlsx(path.read_bytes(), file_name, sheet, choose_sheet)
        return self._load_csv(path, head, file_name)

    def _load_csv(self, path: Path, head: bytes, file_name: str) -> RawTable:
        complete = path.stat().st_size <= len(head)
        encoding = readers.detect_encoding(head, file_name, complete=complete)
        sample = head.decode(_codec(encoding), errors="ignore")
        if "\x00" in sample:
            raise ImportRefused("binary_file", file=file_name)
        delimiter = readers.sniff_delimiter(sample)
        first = next((r for r in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
                      if any(c.strip() for c in r)), None)
        if first is None:
            raise ImportRefused("empty_file", file=file_name)
        warnings: list = []
        headers = readers.header_names(first, file_name, warnings)
        readers.check_width(headers, file_name, self.limits)
        source = path
        if encoding not in ("utf-8", "utf-8-sig"):
            source = self.dir / "utf8.csv"
            _transcode(path, source, encoding, file_name)
        width = max(len(first), 1) + SPARE_COLUMNS
        columns = {f"c{i}": "VARCHAR" for i in range(width)}
        try:
            self._read_csv(source, columns, delimiter, file_name, headers)
        finally:
            if source != path:
                source.unlink(missing_ok=True)
        # raw: the data rows with their row number (the header is row 1)
        self.con.execute("CREATE VIEW raw AS SELECT rowid + 1 AS row_no, * FROM raw_file WHERE rowid > 0")
        spare = [f"c{i}" for i in range(len(headers), width)]
        self.extra_columns = spare
        self._drop_empty_spares(spare)
        return RawTable(headers=headers, source_format="csv", encoding=encoding, warnings=warnings)

    def _read_csv(self, source: Path, columns: dict, delimiter: str, file_name: str, headers: list[str]) -> None:
        read = source
        try:
            self._scan(source, columns, delimiter)
        except duckdb.Error as exc:
            read = self._read_evened(source, columns, delimiter, exc, file_name, headers)
        try:
            self._check_swallowed_rows(headers, delimiter, file_name)
            self._check_cut_off(read, headers, delimiter, file_name)
        finally:
            if read != source:
                read.unlink(missing_ok=True)

    def _scan(self, source: Path, columns: dict, delimiter: str) -> None:
        # Rows keep the file's order (preserve_insertion_order), so rowid + 1 is the row number: cheaper
        # than a window over the whole file.
        sql = ("CREATE TABLE raw_file AS SELECT * FROM read_csv(?, header = false, "
               "auto_detect = false, columns = ?, delim = ?, quote = '\"', escape = '\"', null_padding = true, "
               "strict_mode = true, all_varchar = true, parallel = ?)")
        try:
            self.con.execute(sql, [str(source), columns, delimiter, True])
        except duckdb.Error as exc:
            if "parallel scanner does not support null_padding" not in str(exc):
                raise
            # cells with line breaks (notes): DuckDB reads those files with one thread
            self.con.execute(sql, [str(source), columns, delimiter, False])

    def _read_evened(self, source: Path, columns: dict, delimiter: str, exc: duckdb.Error, file_name: str,
                     headers: list[str]) -> Path:
        """Read again a file DuckDB could not read, from a copy whose rows all end in LF.

        DuckDB takes one kind of line break for a whole file, the first it meets (even one inside a quoted
        header cell), and fails on a row that ends in another: a CRLF header over LF rows, rows pasted from
        another export, a lone CR. In the copy every row ends in LF, and so does the first line break
        DuckDB meets. Returns the copy (the caller removes it); a file that fails again is refused with
        that failure's message."""
        even = self.dir / "lines.csv"
        try:
            if not _even_line_breaks(source, even) and "invalid state" not in str(exc):  # it would fail again
                raise _csv_refusal(exc, file_name, headers, delimiter) from exc
            try:
                self._scan(even, columns, delimiter)
            except duckdb.Error as again:
                raise _csv_refusal(again, file_name, headers, delimiter) from again
        except BaseException:
            even.unlink(missing_ok=True)
            raise
        return even

    def _check_cut_off(self, source: Path, headers: list[str], delimiter: str, file_name: str) -> None:
        """Refuse a file that ends in the middle of a row (no line break at the end and fewer fields than
        the header): a download or copy cut off, whose last row would load with a shortened value."""
        size = source.stat().st_size
        with source.open("rb") as fh:
            fh.seek(max(0, size - 65536))
            tail = fh.read()
        if not tail or tail.endswith((b"\n", b"\r")):
            return
        last = tail.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n").rsplit("\n", 1)[-1]
        fields = next(csv.reader([last], delimiter=delimiter), [])
        if len(fields) < len(headers):
            row = self.con.execute("SELECT count(*) FROM raw_file").fetchone()[0]
            raise ImportRefused("cut_off", file=file_name, row=row, header=headers[len(fields)] if fields else headers[0])

    def _check_swallowed_rows(self, headers: list[str], delimiter: str, file_name: str) -> None:
        """Refuse a cell whose continuation lines look like whole rows (as many delimiters as the header):
        an unclosed quote that a later quote closed, swallowing the rows between. A note with line
        breaks is fine."""
        if len(headers) < 2:
            return
        line = f"\n([^\n]*{re.escape(delimiter)}){{{len(headers) - 1}}}"
        for i, header in enumerate(headers):
            hit = self.con.execute(
                f"SELECT rowid + 1, c{i} FROM raw_file WHERE c{i} LIKE '%' || chr(10) || '%' "  # noqa: S608 (c0…cN)
                "AND regexp_matches(c" + str(i) + ", ?) ORDER BY 1 LIMIT 1", [line]).fetchone()
            if hit:
                swallowed = sum(1 for part in hit[1].split("\n")[1:] if part.count(delimiter) >= len(headers) - 1)
                raise ImportRefused("unclosed_quote", file=file_name, row=hit[0], header=header, n=swallowed)

    def _drop_empty_spares(self, spare: list[str]) -> None:
        """Spare columns that no row uses are dropped; the others mark rows with extra fields."""
        if not spare:
            return
        used = self.con.execute("SELECT " + ", ".join(f"bool_or({c} IS NOT NULL AND trim({c}) <> '')"  # noqa: S608 (c0…cN)
                                                    for c in spare) + " FROM raw_file").fetchone()
        self.extra_columns = [c for c, in_use in zip(spare, used, strict=True) if in_use]

    def _load_parquet(self, path: Path, file_name: str) -> RawTable:
        try:
            names = [d[0] for d in self.con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()]
        except duckdb.Error as exc:
            raise ImportRefused("not_a_table", file=file_name, detail=str(exc).splitlines()[0][:120]) from exc
        readers.check_width(names, file_name, self.limits)
        warnings: list = []
        headers = readers.header_names(names, file_name, warnings)
        if not headers:
            raise ImportRefused("empty_file", file=file_name)
        select = ", ".join(f"CAST({quote_ident(n)} AS VARCHAR) AS c{i}" for i, n in enumerate(names[: len(headers)]))
        try:
            self.con.execute(f"CREATE TABLE raw_file AS SELECT {select} FROM read_parquet(?)", [str(path)])  # noqa: S608
            self.con.execute("CREATE VIEW raw AS SELECT rowid + 2 AS row_no, * FROM raw_file")  # the header is row 1
        except duckdb.Error as exc:
            raise ImportRefused("not_a_table", file=file_name, detail=str(exc).splitlines()[0][:120]) from exc
        self.extra_columns = []
        return RawTable(headers=headers, source_format="parquet", warnings=warnings)

    def _load_xlsx(self, data: bytes, file_name: str, sheet: str | None, choose_sheet) -> RawTable:
        sheets = readers.read_xlsx_sheets(data, file_name, self.limits)
        table = choose_sheet(sheets, sheet) if choose_sheet else sheets[0]
        width = len(table.headers)
        arrays = {"row_no": pa.array(table.row_numbers, pa.int64())}
        for i in range(width):
            arrays[f"c{i}"] = pa.array([_text(r[i]) for r in table.rows], pa.string())
        self.con.register("sheet_rows", pa.table(arrays))
        self.con.execute("CREATE TABLE raw AS SELECT * FROM sheet_rows")
        self.con.unregister("sheet_rows")
        self.extra_columns = []
        table.rows, table.row_numbers = [], []  # the rows live in DuckDB now
        return table

    # -- small reads -----------------------------------------------------------------------------------
    def count(self) -> int:
        return self.con.execute("SELECT count(*) FROM raw").fetchone()[0]

    def sample_column(self, index: int, n: int = 500) -> list[str | None]:
        return [r[0] for r in self.con.execute(f"SELECT c{int(index)} FROM raw ORDER BY row_no LIMIT ?",  # noqa: S608
                                               [n]).fetchall()]


def _codec(encoding: str) -> str:
    return {"utf-8-sig": "utf-8", "utf-16": "utf-16"}.get(encoding, encoding)


def _transcode(source: Path, target: Path, encoding: str, file_name: str) -> None:
    """Decode ``source`` chunk by chunk into UTF-8 at ``target`` (memory stays flat)."""
    decoder = codecs.getincrementaldecoder(_codec(encoding))(errors="strict")
    lines = 0
    with source.open("rb") as fin, target.open("w", encoding="utf-8", newline="") as fout:
        while True:
            block = fin.read(_CHUNK)
            try:
                text = decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                row = lines + block.count(b"\n", 0, max(exc.start, 0)) + 1
                raise ImportRefused("mixed_encoding", file=file_name, row=row) from exc
            fout.write(text)
            lines += block.count(b"\n")
            if not block:
                break


def _even_line_breaks(source: Path, target: Path) -> bool:
    """Copy ``source`` to ``target`` with every row ending in LF: CRLF and a lone CR outside quotes become
    LF. A line break inside a quoted cell is the cell's text and stays as it is, except in the header
    (read apart, from the first bytes), whose breaks all become LF: DuckDB takes the first one it meets
    for the file's. Works on the UTF-8 bytes in chunks (a quote, CR or LF byte is never part of a longer
    character). Returns whether DuckDB may read the copy where it failed on the file: the rows ended in
    more than one way, or a header cell held a line break (Excel's CRLF rows under a header cell with LF
    in it read as one unclosed quote)."""
    quoted, header, header_break = False, True, False
    kinds: set[str] = set()
    held = b""  # a CR at the end of a chunk: its LF may start the next one
    with source.open("rb") as fin, target.open("wb") as fout:
        while True:
            block = fin.read(_CHUNK)
            data, held = held + block, b""
            if block and data.endswith(b"\r"):
                data, held = data[:-1], b"\r"
            parts = data.split(b'"')
            for i, part in enumerate(parts):
                if i:
                    quoted = not quoted  # a doubled quote inside a cell flips twice
                if quoted and not header:
                    continue
                header_break = header_break or (quoted and (b"\r" in part or b"\n" in part))
                if not quoted:
                    crlf = part.count(b"\r\n")
                    kinds.update(kind for kind, n in (("crlf", crlf), ("cr", part.count(b"\r") - crlf),
                                                      ("lf", part.count(b"\n") - crlf)) if n)
                    header = header and not kinds
                if b"\r" in part:
                    parts[i] = part.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            fout.write(b'"'.join(parts))
            if not block:
                return len(kinds) > 1 or header_break


def _text(value: object) -> str | None:
    """A spreadsheet cell as the text a CSV export of it would hold."""
    import datetime as dt

    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value != value:
            return None
        if abs(value) >= 1e15:
            return f"{value:.0f}"  # all its digits: an absurd amount is "too large", not "not a number"
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _csv_refusal(exc: duckdb.Error, file_name: str, headers: list[str], delimiter: str) -> ImportRefused:
    """DuckDB's CSV error as the product's message, naming the row (and the column where it can)."""
    text = str(exc)
    match = _LINE_RE.search(text)
    row = int(match.group(1)) if match else 0
    if "unterminated quote" in text:
        block = text.split("Original Line:", 1)[-1].split("Value with unterminated quote", 1)[0]
        lines = [part for part in block.strip("\n").split("\n") if part.strip()]
        first_line = lines[0] if lines else ""
        column = first_line[: first_line.find('"')].count(delimiter) if '"' in first_line else 0
        swallowed = max(len(lines) - 1, 1)
        header = headers[column] if column < len(headers) else str(column + 1)
        return ImportRefused("unclosed_quote", file=file_name, row=row, header=header, n=swallowed)
    if "Invalid unicode" in text or "not utf-8" in text:
        return ImportRefused("mixed_encoding", file=file_name, row=row)
    if "Maximum line size" in text:
        size = re.search(r"Actual Size:\s*(\d+)", text)
        return ImportRefused("line_too_long", file=file_name, row=row,
                             mb=f"{int(size.group(1)) / 1e6:,.1f}" if size else "?")
    if "invalid state" in text:  # even with every row ending in LF (see Stage._read_evened)
        return ImportRefused("csv_unreadable", file=file_name)
    if "Expected Number of Columns" in text:
        return ImportRefused("too_many_fields", file=file_name, row=row, limit=len(headers) + SPARE_COLUMNS)
    return ImportRefused("not_a_table", file=file_name, detail=text.strip().splitlines()[0][:160])

