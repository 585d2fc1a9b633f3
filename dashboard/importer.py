"""Importing an export: read, map headers, parse values, then commit one snapshot in one transaction.

``plan_import`` does everything but write, so the Data page can preview; ``commit`` writes it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from dashboard import mapping as mp
from dashboard import parsing, readers, schema
from dashboard import settings as S
from dashboard.db import Database
from dashboard.i18n import t
from dashboard.readers import ImportRefused, Limits, RawTable

_ARROW = {"id": pa.string(), "text": pa.string(), "money": pa.int64(), "date": pa.date32(),
          "month": pa.date32(), "number": pa.float64()}


@dataclass
class RowError:
    row: int
    column: str  # the file's header
    key: str
    value: object = None

    def message(self, lang: str | None = None) -> str:
        text = "" if self.value is None else str(self.value)
        return t(self.key, lang, value=text if len(text) <= 60 else text[:57] + "…")

    def as_dict(self, lang: str | None = None) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message(lang)}


@dataclass
class ImportPlan:
    dataset: str
    file_name: str
    content_hash: str
    raw: RawTable
    mapping: dict[str, str]  # canonical column (or usage measure) -> file header
    confidence: dict[str, float]
    mapping_source: str  # "auto", "remembered" or "explicit"
    frame: pd.DataFrame  # rows as they will be stored (canonical columns)
    errors: list[RowError] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)  # one dict per rejected row: row, raw values

    def warnings(self, lang: str | None = None) -> list[str]:
        """What was read but deserves a look (two columns with one header, say), in the user's language."""
        return [t(key, lang, **values) for key, values in self.raw.warnings]

    @property
    def rows_read(self) -> int:
        return len(self.raw.rows)

    @property
    def rows_rejected(self) -> int:
        return len(self.rejected)

    @property
    def rows_loaded(self) -> int:
        return self.rows_read - self.rows_rejected


def _require_dataset(dataset: str) -> None:
    if dataset not in schema.DATASETS:
        raise ImportRefused("unknown_dataset", dataset=dataset)


def limits(db: Database | None) -> Limits:
    """The workspace's import limits (setting ``import_limits``), else the defaults."""
    return Limits.from_settings(S.get(db, "import_limits") if db is not None else None)


def _choose_table(data: bytes, file_name: str, dataset: str, sheet: str | None, bounds: Limits) -> RawTable:
    fmt = readers.detect_format(data, file_name)
    if not data.strip():
        raise ImportRefused("empty_file", file=file_name)
    if fmt == "csv":
        return readers.read_csv(data, file_name, bounds)
    if fmt == "parquet":
        return readers.read_parquet(data, file_name, bounds)
    tables = readers.read_xlsx_sheets(data, file_name, bounds)
    names = tables[0].sheets
    if sheet is not None:
        for table in tables:
            if table.sheet == sheet:
                return table
        raise ImportRefused("no_sheet", file=file_name, sheet=sheet, sheets=", ".join(names))
    for table in tables:  # the first sheet whose headers carry every required column
        found = mp.suggest(dataset, table.headers)
        if all(c in found for c in schema.REQUIRED[dataset]):
            return table
    raise ImportRefused("no_matching_sheet", file=file_name, dataset=dataset, sheets=", ".join(names))


def remembered_mapping(db: Database | None, dataset: str, headers: list[str]) -> dict[str, str] | None:
    if db is None:
        return None
    row = db.read(lambda con: con.execute(
        "SELECT mapping FROM source_mappings WHERE dataset = ? AND source_key = ?",
        [dataset, mp.source_key(headers)]).fetchone())
    if not row:
        return None
    stored = json.loads(row[0])
    return {k: v for k, v in stored.items() if v in headers}


def _mostly_numeric(values: list[object]) -> bool:
    filled = [v for v in values if not parsing.is_blank(v)]
    if not filled:
        return False
    ok = 0
    for v in filled:
        try:
            parsing.parse_number(v)
            ok += 1
        except ValueError:
            pass
    return ok / len(filled) >= 0.8


def resolve_mapping(raw: RawTable, dataset: str, file_name: str, overrides: dict[str, str] | None,
                    remembered: dict[str, str] | None) -> tuple[dict[str, str], dict[str, float], str]:
    columns = schema.DATASETS[dataset]
    if remembered:
        mapping, confidence, source = dict(remembered), dict.fromkeys(remembered, 1.0), "remembered"
    else:
        found = mp.suggest(dataset, raw.headers)
        mapping = {c: h for c, (h, _) in found.items()}
        confidence = {c: s for c, (_, s) in found.items()}
        source = "auto"
    for canonical, header in (overrides or {}).items():
        if dataset != "usage" and canonical not in columns:
            raise ImportRefused("unknown_column", dataset=dataset, column=canonical)
        if header not in raw.headers:
            raise ImportRefused("unknown_header", file=file_name, header=header, column=canonical)
        mapping = {c: h for c, h in mapping.items() if h != header}
        mapping[canonical], confidence[canonical] = header, 1.0
        source = "explicit"
    if dataset == "usage":
        # Measures: the remaining numeric columns (a remembered/explicit mapping names its own).
        used = {mapping.get("account_id"), mapping.get("date")}
        if not any(k not in ("account_id", "date") for k in mapping):
            for i, header in enumerate(raw.headers):
                if header and header not in used and _mostly_numeric([r[i] for r in raw.rows[:500]]):
                    name = mp.measure_name(header)
                    mapping[name], confidence[name] = header, 1.0 if name != header else 0.9
    for required in schema.REQUIRED[dataset]:
        if required not in mapping:
            raise ImportRefused("missing_column", file=file_name, column=required,
                                headers=", ".join(h for h in raw.headers if h))
    if dataset == "usage" and not any(k not in ("account_id", "date") for k in mapping):
        # Without a measure the snapshot would be empty and every account would look silent.
        raise ImportRefused("no_measures", file=file_name, headers=", ".join(h for h in raw.headers if h))
    return mapping, confidence, source


def _parse_rows(raw: RawTable, dataset: str, mapping: dict[str, str], file_name: str):
    columns = schema.DATASETS[dataset]
    index = {h: i for i, h in enumerate(raw.headers)}
    required = schema.REQUIRED[dataset]
    errors: list[RowError] = []
    rejected: list[dict] = []
    good: list[dict] = []
    if dataset == "usage":
        measures = {k: h for k, h in mapping.items() if k not in ("account_id", "date")}
        plain = {"account_id": mapping["account_id"], "date": mapping["date"]}
    else:
        measures, plain = {}, {c: h for c, h in mapping.items() if c in columns}
    required_failures: dict[str, list[RowError]] = {}
    seen: set[tuple] = set()
    key_cols = schema.UNIQUE_KEY.get(dataset)
    for number, cells in zip(raw.row_numbers, raw.rows, strict=True):
        row_errors: list[RowError] = []
        record: dict[str, object] = {}
        if number in raw.problems:
            row_errors.append(RowError(number, "", raw.problems[number]))
        for canonical, header in plain.items():
            value = cells[index[header]]
            kind = columns[canonical]
            try:
                parsed = parsing.PARSERS[kind](value)
            except parsing.ParseError as exc:
                err = RowError(number, header, exc.key, value)
                row_errors.append(err)
                if canonical in required:
                    required_failures.setdefault(canonical, []).append(err)
                continue
            if parsed is None and canonical in required:
                row_errors.append(RowError(number, header, "required_blank"))
            record[canonical] = parsed
        values = {}
        for measure, header in measures.items():
            try:
                parsed = parsing.parse_number(cells[index[header]])
            except parsing.ParseError as exc:
                row_errors.append(RowError(number, header, exc.key, cells[index[header]]))
                continue
            if parsed is not None:
                values[measure] = parsed
        if not row_errors and key_cols and dataset != "usage":
            key = tuple(record.get(k) for k in key_cols)
            if key in seen:
                row_errors.append(RowError(number, mapping[key_cols[0]], "duplicate_key",
                                           " / ".join(str(k) for k in key)))
            seen.add(key)
        if row_errors:
            errors.extend(row_errors)
            rejected.append({"row": number, **{h: cells[i] for h, i in index.items() if h}})
            continue
        if dataset == "usage":
            for measure, value in values.items():
                good.append({**record, "measure": measure, "value": value})
        else:
            good.append(record)
    rows = len(raw.rows)
    for canonical, failures in required_failures.items():
        if rows and len(failures) * 2 > rows:
            first = failures[0]
            kind = "kind_date" if columns[canonical] in ("date", "month") else "kind_number"
            raise ImportRefused("required_unreadable", file=file_name, row=first.row, header=first.column,
                                value=first.value, kind=t(kind, "en"))
    if rows == 0:
        raise ImportRefused("no_rows", file=file_name)
    if len(rejected) == rows:
        first = errors[0]
        raise ImportRefused("all_rows_rejected", file=file_name, row=first.row, header=first.column,
                            message=first.message("en"))
    frame = pd.DataFrame(good, columns=list(columns))
    if dataset == "usage" and len(frame):
        # Several rows of one account/day/measure (e.g. per user) add up.
        frame = frame.groupby(["account_id", "date", "measure"], as_index=False, sort=False)["value"].sum()
    return frame, errors, rejected


def plan_import(data: bytes, file_name: str, dataset: str, *, db: Database | None = None,
                sheet: str | None = None, overrides: dict[str, str] | None = None) -> ImportPlan:
    """Read, map and parse a file without writing anything. Raises ImportRefused."""
    _require_dataset(dataset)
    raw = _choose_table(data, file_name, dataset, sheet, limits(db))
    if not raw.rows:
        raise ImportRefused("no_rows", file=file_name)
    remembered = None if overrides else remembered_mapping(db, dataset, raw.headers)
    mapping, confidence, source = resolve_mapping(raw, dataset, file_name, overrides, remembered)
    frame, errors, rejected = _parse_rows(raw, dataset, mapping, file_name)
    digest = hashlib.sha256(data).hexdigest()
    return ImportPlan(dataset, file_name, digest, raw, mapping, confidence, source, frame, errors, rejected)


def _arrow_table(dataset: str, frame: pd.DataFrame) -> pa.Table:
    columns = schema.DATASETS[dataset]
    arrays = {}
    for column, kind in columns.items():
        values = frame[column].tolist() if column in frame else [None] * len(frame)
        values = [None if v is None or (isinstance(v, float) and v != v and kind != "number") else v
                  for v in values]
        arrays[column] = pa.array(values, type=_ARROW[kind])
    return pa.table(arrays)


def commit(db: Database, plan: ImportPlan, *, imported_by: str | None = None, lang: str | None = None) -> dict:
    """Store the plan as the dataset's new current snapshot (one transaction). Same file twice: no-op."""
    dataset = plan.dataset
    mapping_json = json.dumps(plan.mapping, ensure_ascii=False, sort_keys=True)
    incoming = _arrow_table(dataset, plan.frame)
    raw_by_row = {r["row"]: json.dumps(r, ensure_ascii=False, default=str) for r in plan.rejected}
    rejected = pd.DataFrame([
        {"row_number": e.row, "column_name": e.column, "message": e.message(lang), "raw": raw_by_row.get(e.row, "{}")}
        for e in plan.errors
    ], columns=["row_number", "column_name", "message", "raw"])
    cols = ", ".join(f'"{c}"' for c in schema.DATASETS[dataset])

    def write(con):
        same, unchanged = _find_same(con, dataset, plan, mapping_json)  # again, inside the transaction
        if unchanged:
            return same, True
        snapshot_id = con.execute(
            "INSERT INTO snapshots (dataset, file_name, content_hash, imported_at, imported_by, source_format, "
            "encoding, sheet, rows_read, rows_loaded, rows_rejected, mapping) "
            "VALUES (?, ?, ?, now()::TIMESTAMP, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING snapshot_id",
            [dataset, plan.file_name, plan.content_hash, imported_by, plan.raw.source_format,
             plan.raw.encoding, plan.raw.sheet, plan.rows_read, plan.rows_loaded, plan.rows_rejected,
             mapping_json]).fetchone()[0]
        con.register("incoming", incoming)
        con.execute(f'INSERT INTO "{dataset}" SELECT ?, {cols} FROM incoming', [snapshot_id])  # noqa: S608
        con.unregister("incoming")
        if len(rejected):
            con.register("rejected_in", rejected)
            con.execute("INSERT INTO rejected_rows SELECT ?, row_number, column_name, message, raw::JSON "
                        "FROM rejected_in", [snapshot_id])
            con.unregister("rejected_in")
        con.execute("UPDATE snapshots SET is_current = (snapshot_id = ?) WHERE dataset = ?",
                    [snapshot_id, dataset])
        con.execute("INSERT OR REPLACE INTO source_mappings VALUES (?, ?, ?::JSON, now()::TIMESTAMP)",
                    [dataset, mp.source_key(plan.raw.headers), mapping_json])
        return snapshot_id, False

    # Only bump the data version when something changed; a re-import is a true no-op.
    snapshot_id, unchanged = db.read(lambda con: _find_same(con, dataset, plan, mapping_json))
    if not unchanged:
        snapshot_id, unchanged = db.write(write, bump=True)
    return {
        "dataset": dataset,
        "snapshot": snapshot_id,
        "unchanged": unchanged,
        "file": plan.file_name,
        "format": plan.raw.source_format,
        "encoding": plan.raw.encoding,
        "sheet": plan.raw.sheet,
        "rows_read": plan.rows_read,
        "rows_loaded": plan.rows_loaded,
        "rows_rejected": plan.rows_rejected,
        "mapping": plan.mapping,
        "confidence": plan.confidence,
        "errors": [e.as_dict(lang) for e in plan.errors],
        "warnings": plan.warnings(lang),
    }


def _find_same(con, dataset: str, plan: ImportPlan, mapping_json: str) -> tuple[int | None, bool]:
    row = con.execute(
        "SELECT snapshot_id FROM snapshots WHERE dataset = ? AND is_current AND content_hash = ? "
        "AND coalesce(sheet, '') = ? AND mapping = ?::JSON",
        [dataset, plan.content_hash, plan.raw.sheet or "", mapping_json]).fetchone()
    return (row[0], True) if row else (None, False)


def import_file(db: Database, path: str | Path, dataset: str, *, sheet: str | None = None,
                overrides: dict[str, str] | None = None, imported_by: str | None = None,
                lang: str | None = None) -> dict:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportRefused("not_a_table", file=path.name, detail=exc.strerror or str(exc)) from exc
    plan = plan_import(data, path.name, dataset, db=db, sheet=sheet, overrides=overrides)
    return commit(db, plan, imported_by=imported_by, lang=lang)


def list_snapshots(db: Database) -> pd.DataFrame:
    return db.query(
        "SELECT snapshot_id, dataset, file_name, imported_at, imported_by, source_format, encoding, sheet, "
        "rows_read, rows_loaded, rows_rejected, is_current, content_hash FROM snapshots "
        "ORDER BY snapshot_id DESC")


def restore(db: Database, snapshot_id: int) -> str:
    """Make an earlier snapshot current again for its dataset."""
    def write(con):
        row = con.execute("SELECT dataset FROM snapshots WHERE snapshot_id = ?", [snapshot_id]).fetchone()
        if not row:
            raise KeyError(snapshot_id)
        con.execute("UPDATE snapshots SET is_current = (snapshot_id = ?) WHERE dataset = ?", [snapshot_id, row[0]])
        return row[0]
    return db.write(write, bump=True)


def rejected_rows(db: Database, snapshot_id: int) -> pd.DataFrame:
    return db.query("SELECT row_number, column_name, message, raw FROM rejected_rows WHERE snapshot_id = ? "
                    "ORDER BY row_number", [snapshot_id])


