"""Reading an untrusted .xlsx without letting it take the app down.

A workbook is a zip of XML, and numbers inside it decide what a reader allocates: calamine builds a
dense grid of rows × columns up to the farthest cell (one stray cell at XFD1048576 asks for 512 GiB and
aborts the process), and pre-sizes the shared-string table from its declared count. So, before reading:
- the zip's unzipped size is bounded (a decompression bomb is refused),
- the cells' extent is measured by streaming the sheets' XML (nothing is allocated in proportion to
  what the file claims) and bounded in cells and columns,
- the shared-string count is bounded.
Then the workbook is read in a child process with a memory cap, so anything not foreseen here ends
the child with a clear message, never the server every user shares.
"""

from __future__ import annotations

import io
import os
import pickle
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from dashboard.errors import ImportRefused

_CELL_REF = re.compile(rb'\sr="([A-Z]+)([0-9]+)"')
_SST_COUNT = re.compile(rb'(?:uniqueCount|count)="([0-9]+)"')
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


def _extent(stream, budget: list[int], file_name: str, limits: Limits) -> tuple[int, int, str]:
    """(rows, columns, farthest cell reference) of the cells in one sheet's XML, read in chunks."""
    max_row, max_letters, tail = 0, b"", b""
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        budget[0] -= len(chunk)
        if budget[0] < 0:
            raise ImportRefused("workbook_too_big", file=file_name, limit=f"{limits.max_unzipped_mb:,}")
        text = tail + chunk
        cut = text.rfind(b">") + 1  # a reference is never split: scan up to the last complete tag
        text, tail = text[:cut], text[cut:]
        refs = _CELL_REF.findall(text)
        if refs:
            letters = max({r[0] for r in refs}, key=lambda b: (len(b), b))
            max_letters = max(max_letters, letters, key=lambda b: (len(b), b))
            max_row = max(max_row, max(int(r[1]) for r in refs))
    columns = column_number(max_letters) if max_letters else 0
    return max_row, columns, f"{max_letters.decode('ascii')}{max_row}" if max_letters else ""


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
    for entry in entries:
        name = entry.filename.lower()
        if not name.endswith(".xml"):
            continue
        try:
            with archive.open(entry) as stream:
                if name.endswith("sharedstrings.xml"):
                    head = stream.read(4096)
                    claims = [int(n) for n in _SST_COUNT.findall(head)]
                    if any(n > limits.max_cells for n in claims):
                        raise ImportRefused("workbook_claims", file=file_name, n=f"{max(claims):,}",
                                            limit=f"{limits.max_cells:,}")
                elif "sheet" in name:
                    rows, columns, ref = _extent(stream, budget, file_name, limits)
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
        done = subprocess.run([sys.executable, "-m", "dashboard.workbook", str(limits.reader_memory_mb)],
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
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
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
