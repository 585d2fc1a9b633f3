"""Reading an untrusted .xlsx without letting it take the app down.

A workbook is a zip of XML, and numbers inside it decide what a reader allocates: calamine builds a
dense grid of rows × columns up to the farthest cell (one stray cell at XFD1048576 asks for 512 GiB and
aborts the process), and pre-sizes the shared-string table from its declared count. So, before reading:
- the zip's unzipped size is bounded (a decompression bomb is refused),
- the cells' extent is measured by streaming the sheets' XML (nothing is allocated in proportion to
  what the file claims) and bounded in cells and columns,
- the shared-string count is bounded,
- the text the cells refer to is bounded as the reader will write it out: a cell holds its own copy of
  the shared string it points to, so a small file whose cells all point to one huge string would
  otherwise expand to gigabytes (each string weighs what its <si> element does in the XML).
Then the workbook is read in a child process with a memory cap, so anything not foreseen here ends
the child with a clear message, never the server every user shares.
"""

from __future__ import annotations

import io
import os
import pickle
import posixpath
import re
import subprocess
import sys
import zipfile
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from dashboard.errors import ImportRefused

_CELL_REF = re.compile(rb'\sr="([A-Z]+)([0-9]+)"')
_SST_COUNT = re.compile(rb'(?:uniqueCount|count)="([0-9]+)"')
# A cell that holds a shared string has t="s"; its value, right after its tag, is the string's index.
# Both are found from the attribute (a fast scan): the same attribute elsewhere only weighs more, and a
# cell whose value is written otherwise (a formula first, say) weighs as much as the longest string.
_SST_ATTR = rb"""t(?<=\st)\s*=\s*(?:"s"|'s')"""  # the attribute t, not the end of text="s"
_SST_CELL = re.compile(_SST_ATTR)
_SST_VALUE = re.compile(_SST_ATTR + rb"""(?:\s+[^\s=/>"']+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*>"""  # the tag's other
                        rb"\s*<(?:[\w.-]+:)?v(?:\s[^>]*)?>\s*([0-9]+)\s*<")  # attributes, as XML has them
_RELATIONSHIP = re.compile(rb"<(?:[\w.-]+:)?Relationship\s[^>]*>")
_SHEET_TYPE = re.compile(rb"""\sType\s*=\s*["'][^"']*/\w*sheet["']""", re.IGNORECASE)  # worksheet, chartsheet…
_REL_TARGET = re.compile(rb"""\sTarget\s*=\s*["']([^"']+)["']""")
_CELL_START = re.compile(rb"<(?:[\w.-]+:)?c\s")
_LONG_TAG = 1 << 16  # no cell of a real workbook is longer than this before its next tag
_CHUNK = 1 << 20
# Classes the child's answer may contain besides plain values (calamine's cell types).
_ALLOWED = {("datetime", "date"), ("datetime", "datetime"), ("datetime", "time"), ("datetime", "timedelta")}


@dataclass(frozen=True)
class Limits:
    """What one uploaded file may ask of the machine (workspace setting ``import_limits``)."""

    max_file_mb: int = 4_096  # one file's size on disk (the page's uploader also stops at server.maxUploadSize)
    max_columns: int = 1_000
    max_cells: int = 20_000_000
    max_unzipped_mb: int = 1_024
    reader_memory_mb: int = 6_144
    reader_seconds: int = 600
    import_memory_mb: int = 1_536  # DuckDB's memory limit while an import types and checks the rows

    # What an editor may set each limit to (settings.put refuses anything else).
    BOUNDS = {"max_file_mb": (1, 1_000_000), "max_columns": (2, 16_384), "max_cells": (100, 10_000_000_000),
              "max_unzipped_mb": (1, 1_000_000), "reader_memory_mb": (256, 1_048_576),
              "reader_seconds": (10, 86_400), "import_memory_mb": (256, 1_048_576)}

    @classmethod
    def from_settings(cls, stored: dict | None) -> Limits:
        known = {k: int(v) for k, v in (stored or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)


def column_number(letters: bytes | str) -> int:
    """'A' -> 1, 'Z' -> 26, 'AA' -> 27, 'XFD' -> 16384."""
    number = 0
    for ch in letters if isinstance(letters, str) else letters.decode("ascii"):
        number = number * 26 + (ord(ch) - 64)
    return number


@dataclass
class _Strings:
    """What each shared string will weigh once a cell holds a copy of it: its UTF-8 bytes by index
    (``exact``), else (a shared-string part the XML parser cannot read) the whole part for any of them."""

    sizes: array = field(default_factory=lambda: array("Q"))
    exact: bool = True
    longest: int = 0

    def weigh(self, indexes: list[bytes], unknown: int) -> int:
        """Bytes of the strings at ``indexes``, and ``unknown`` cells of any (the longest) string."""
        if not self.exact:
            return (len(indexes) + unknown) * self.longest
        try:
            found = sum(map(self.sizes.__getitem__, map(int, indexes)))
        except IndexError:  # an index past the table: no text (the reader finds none there)
            found = sum(self.sizes[i] for i in map(int, indexes) if i < len(self.sizes))
        return found + unknown * self.longest


def _shared_strings(stream, head: bytes, budget: list[int], file_name: str, limits: Limits) -> _Strings:
    """The size of each shared string, read with an XML parser (expat, in chunks): comments, CDATA and
    namespace prefixes cannot shift a string's place. Its text is counted as UTF-8 bytes (calamine keeps
    it so, Python's str takes no more for Japanese)."""
    strings, inside, total = _Strings(), [0], 0
    sizes = strings.sizes

    def start(name: str, _attrs) -> None:
        if name.rpartition(":")[2] == "si":
            if not inside[0]:
                sizes.append(0)
            inside[0] += 1

    def end(name: str) -> None:
        if name.rpartition(":")[2] == "si" and inside[0]:
            inside[0] -= 1

    def text(data: str) -> None:
        if inside[0]:
            sizes[-1] += len(data.encode("utf-8", "surrogatepass"))

    def no_doctype(*_args) -> None:  # entities would have the parser write text out: no workbook has one
        raise ValueError("DOCTYPE")

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, text
    parser.StartDoctypeDeclHandler = no_doctype
    chunk, readable = head, True
    while True:
        budget[0] -= len(chunk)
        if budget[0] < 0:
            raise ImportRefused("workbook_too_big", file=file_name, limit=f"{limits.max_unzipped_mb:,}")
        total += len(chunk)
        if readable:
            try:
                parser.Parse(chunk, not chunk)
            except (expat.ExpatError, ValueError):
                readable = False  # read on to the end: the part's size bounds each string
            if len(sizes) > limits.max_cells:
                raise ImportRefused("workbook_claims", file=file_name, n=f"{len(sizes):,}",
                                    limit=f"{limits.max_cells:,}")
        if not chunk:
            break
        chunk = stream.read(_CHUNK)
    if not readable:
        return _Strings(exact=False, longest=total)
    strings.longest = max(sizes, default=0)
    return strings


def _extent(stream, budget: list[int], file_name: str, limits: Limits,
            strings: _Strings | None = None) -> tuple[int, int, str, int]:
    """(rows, columns, farthest cell reference, bytes of the shared strings its cells hold) of the cells
    in one sheet's XML, read in chunks. Stops early once those bytes are over the unzipped-size limit."""
    max_row, max_letters, tail, text_bytes = 0, b"", b"", 0
    strings = strings or _Strings()
    while True:
        chunk = stream.read(_CHUNK)
        budget[0] -= len(chunk)
        if budget[0] < 0:
            raise ImportRefused("workbook_too_big", file=file_name, limit=f"{limits.max_unzipped_mb:,}")
        text, unknown = tail + chunk, 0
        cut = text.rfind(b"<") if chunk else len(text)  # every tag before the last "<" is complete
        if cut < 0 or len(text) - cut > _LONG_TAG:  # no tag for long (a long text): scan it all
            if cut >= 0 and _CELL_START.match(text, cut):
                unknown += 1  # a cell tag this long is no real one: weigh it as the longest string
            cut = len(text)
        else:  # a shared-string cell whose value lies past the cut is read with the next chunk
            last = None
            for last in _SST_CELL.finditer(text, max(0, cut - 4096), cut):  # noqa: B007 (the last one)
                pass
            if last is not None and cut - last.end() < 512 and not _SST_VALUE.match(text, last.start(), cut):
                cut = max(text.rfind(b"<", 0, last.start()), 0)  # from its tag on
        text, tail = text[:cut], text[cut:]
        refs = _CELL_REF.findall(text)
        if refs:
            letters = max({r[0] for r in refs}, key=lambda b: (len(b), b))
            max_letters = max(max_letters, letters, key=lambda b: (len(b), b))
            max_row = max(max_row, max(int(r[1]) for r in refs))
        indexes = _SST_VALUE.findall(text)
        text_bytes += strings.weigh(indexes, unknown + len(_SST_CELL.findall(text)) - len(indexes))
        if not chunk or text_bytes > limits.max_unzipped_mb * 2**20:
            break
    columns = column_number(max_letters) if max_letters else 0
    return max_row, columns, f"{max_letters.decode('ascii')}{max_row}" if max_letters else "", text_bytes


def _sheet_parts(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo]) -> set[str]:
    """The parts the workbook's relationships name (lower case): the reader finds its sheets there, under
    whatever name, not only in worksheets/sheetN.xml."""
    rels = next((e for e in entries if e.filename.lower() == "xl/_rels/workbook.xml.rels"), None)
    if rels is None or rels.file_size > 16 * 2**20:
        return set()
    try:
        text = archive.read(rels)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError, RuntimeError,
            ValueError):
        return set()
    targets = [_REL_TARGET.search(r) for r in _RELATIONSHIP.findall(text) if _SHEET_TYPE.search(r)]
    names = (t.group(1).decode("utf-8", "replace").lower() for t in targets if t)
    return {n.lstrip("/") if n.startswith("/") else posixpath.normpath("xl/" + n) for n in names}


def inspect(data: bytes, file_name: str, limits: Limits) -> None:
    """Refuse a workbook whose size or extent is beyond the limits, before any reader allocates for it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise ImportRefused("not_a_workbook", file=file_name, detail="not a zip archive") from exc
    declared = sum(e.file_size for e in entries)
    if declared > limits.max_unzipped_mb * 2**20 or len(entries) > 10_000:
        raise ImportRefused("workbook_too_big", file=file_name, limit=f"{limits.max_unzipped_mb:,}")
    budget = [limits.max_unzipped_mb * 2**20]
    strings = _Strings()  # read first: a sheet's cells are weighed by the strings they hold
    text_bytes = 0
    xml = [e for e in entries if e.filename.lower().endswith(".xml")]
    sheets = _sheet_parts(archive, entries)
    for entry in sorted(xml, key=lambda e: not e.filename.lower().endswith("sharedstrings.xml")):
        name = entry.filename.lower()
        try:
            with archive.open(entry) as stream:
                if name.endswith("sharedstrings.xml"):
                    head = stream.read(4096)
                    claims = [int(n) for n in _SST_COUNT.findall(head)]
                    if any(n > limits.max_cells for n in claims):
                        raise ImportRefused("workbook_claims", file=file_name, n=f"{max(claims):,}",
                                            limit=f"{limits.max_cells:,}")
                    found = _shared_strings(stream, head, budget, file_name, limits)
                    if strings.sizes or not strings.exact:  # two tables (odd): any string weighs the longest
                        found = _Strings(exact=False, longest=max(strings.longest, found.longest))
                    strings = found
                elif "sheet" in name or name in sheets:
                    rows, columns, ref, text = _extent(stream, budget, file_name, limits, strings)
                    text_bytes += text
                    if text_bytes > limits.max_unzipped_mb * 2**20:
                        raise ImportRefused("workbook_text_too_big", file=file_name,
                                            mb=f"{text_bytes / 2**20:,.0f}", limit=f"{limits.max_unzipped_mb:,}")
                    if rows * columns > limits.max_cells:
                        raise ImportRefused("workbook_range", file=file_name, ref=ref, rows=f"{rows:,}",
                                            columns=f"{columns:,}", cells=f"{rows * columns:,}",
                                            limit=f"{limits.max_cells:,}")
                    if columns > limits.max_columns:
                        raise ImportRefused("too_many_columns", file=file_name, n=f"{columns:,}",
                                            limit=f"{limits.max_columns:,}", where=ref)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError,
                RuntimeError, ValueError) as exc:
            if isinstance(exc, ImportRefused):
                raise
            raise ImportRefused("not_a_workbook", file=file_name, detail=type(exc).__name__) from exc


class _Unpickler(pickle.Unpickler):
    """Only plain values and calamine's date and time types come back from the child."""

    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed")


def read_sheets(data: bytes, file_name: str, limits: Limits | None = None) -> list[tuple[str, list[list]]]:
    """Every sheet of a workbook as (name, rows of cell values), read in a memory-capped child."""
    limits = limits or Limits()
    inspect(data, file_name, limits)
    package_root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    try:
        done = subprocess.run([sys.executable, "-m", "dashboard.imports.workbook", str(limits.reader_memory_mb)],
                              input=data, capture_output=True, env=env, timeout=limits.reader_seconds)
    except subprocess.TimeoutExpired as exc:
        raise ImportRefused("workbook_reader_failed", file=file_name, detail="timeout") from exc
    if done.returncode == 2:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        raise ImportRefused("not_a_workbook", file=file_name, detail=detail[0][:120])
    if done.returncode != 0:
        detail = f"signal {-done.returncode}" if done.returncode < 0 else f"exit {done.returncode}"
        raise ImportRefused("workbook_reader_failed", file=file_name, detail=detail)
    try:
        return _Unpickler(io.BytesIO(done.stdout)).load()
    except Exception as exc:  # noqa: BLE001 - a damaged answer is a refused file, not a crash
        raise ImportRefused("workbook_reader_failed", file=file_name, detail=type(exc).__name__) from exc


def _child(argv: list[str]) -> int:
    """Read the workbook on stdin under a memory cap; write its sheets to stdout (pickle)."""
    import resource

    cap = int(argv[0]) * 2**20 if argv else 6 * 2**30
    # Never above what this process may already use (a `ulimit -v` lower than the cap): take that one.
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, tuple(cap if now == resource.RLIM_INFINITY else min(cap, now)
                                                 for now in (soft, hard)))
    from python_calamine import CalamineWorkbook

    data = sys.stdin.buffer.read()
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = [(name, workbook.get_sheet_by_name(name).to_python(skip_empty_area=False))
                  for name in workbook.sheet_names]
    except MemoryError:
        return 3
    except Exception as exc:  # noqa: BLE001 - calamine raises several types for damaged zips and XML
        print(f"{type(exc).__name__}: {str(exc)[:100]}", file=sys.stderr)
        return 2
    pickle.dump(sheets, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
