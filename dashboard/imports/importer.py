"""Importing an export: stage it in DuckDB, map its headers, type and check every value in SQL, then
commit one snapshot in one transaction.

``plan_import`` does everything but write, so the Data page can preview; ``commit`` writes it. Rows
never pass through Python one by one: the file is read by DuckDB (staging.py), values are typed by
the macros of values_sql.py, and rejected rows are found and stored by SQL.

Modes (``--mode``): ``replace`` (a full export; the default) makes the file the dataset's new
snapshot, and asks first when it would remove more than half of the accounts; ``append`` adds the
file's rows to the current snapshot, skipping rows already there; ``upsert`` replaces the rows whose
key is in the file and adds the new keys.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import stat
import unicodedata
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dashboard import auth, money, schema
from dashboard import settings as S
from dashboard.db import Database, backup_path
from dashboard.errors import for_message
from dashboard.i18n import LANGS, MESSAGES, default_lang, integer, one_line, t
from dashboard.imports import mapping as mp
from dashboard.imports import parsing
from dashboard.imports.readers import ImportRefused, Limits, RawTable
from dashboard.imports.staging import Stage, file_hash, quote_ident
from dashboard.imports.values_sql import TYPED
from dashboard.imports.values_sql import literal as values_sql_literal
from dashboard.imports.values_sql import zone_literal as values_sql_zone

MODES = ("replace", "append", "upsert")
MODES_FOR: dict[str, tuple[str, ...]] = {
    "accounts": ("replace", "upsert"),
    "usage": ("replace", "append"),
    "mrr": ("replace", "append", "upsert"),
    "orders": ("replace", "append"),
    "touchpoints": ("replace", "append"),
    "opportunities": ("replace", "append"),
    "subscriptions": ("replace", "append"),
    "invoice_lines": ("replace", "append"),
    "fx_rates": ("replace", "append", "upsert"),
}
# A replace that would remove more than half of these keys asks for confirmation first.
GUARDED_KEY = {"accounts": "account_id", "mrr": "account_id"}
ROW_ERROR_KEYS = ("not_a_number", "number_too_large", "too_many_decimals", "not_a_date", "required_blank",
                  "duplicate_key", "extra_fields", "key_conflict", "date_out_of_range", "negative_amount",
                  "not_a_flag", "not_an_interval", "not_a_line_kind", "not_a_duration", "not_a_rate", "not_a_period")
ERRORS_KEPT = 1_000  # row errors held in memory for the page and the JSON; all are stored
Progress = Callable[[float, str], None]


class ReplaceNeedsConfirmation(ImportRefused):
    """A replace that would remove most of the dataset's keys: nothing changed, confirm to go ahead."""

    def __init__(self, **counts: object):
        # accounts offer upsert only: the advice names only the modes the dataset has (it said 「追加」)
        key = "replace_guard" if "append" in MODES_FOR.get(str(counts.get("dataset")), ()) else "replace_guard_upsert"
        super().__init__(key, **counts)
        self.args = (self.message("en"),)
        self.counts = counts

    def message(self, lang: str | None = None) -> str:
        """The dataset named in the user's language (顧客, not accounts)."""
        return t(self.key, lang, **{**self.kwargs, "dataset": t(f"ds_{self.kwargs.get('dataset')}", lang)})


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
    stage: Stage
    frame: pd.DataFrame  # the first rows as they will be stored (a preview)
    rows_read: int
    rows_rejected: int
    errors: list[RowError] = field(default_factory=list)  # the first ERRORS_KEPT
    unmapped: list[str] = field(default_factory=list)  # headers no column takes
    mode: str = "replace"
    guard: dict | None = None  # counts, when a replace would remove most of the keys
    gaps: dict | None = None  # an MRR history billed every few months (_month_gaps)

    @property
    def rows_loaded(self) -> int:
        return self.rows_read - self.rows_rejected

    def __post_init__(self) -> None:
        # A plan that is never committed (the page moved on) still removes its staged file.
        weakref.finalize(self, self.stage.remove)

    def warnings(self, lang: str | None = None) -> list[str]:
        """What was read but deserves a look, in the user's language."""
        # each on one line, a header with line breaks named as 月額⏎(税抜) (as refusals name it)
        out = [t(key, lang, **{k: for_message(k, v) for k, v in values.items()}) for key, values in self.raw.warnings]
        renamed = {f"{v['header']} (" for k, v in self.raw.warnings if k == "duplicate_header"}
        suspicious = [one_line(h) for h in self.unmapped if mp.looks_like_a_column(h)
                      and not any(h.startswith(prefix) for prefix in renamed)]  # already warned of
        if suspicious:
            out.append(t("unmapped_suspicious", lang, file=for_message("file", self.file_name),
                         headers="、".join(suspicious) if lang == "ja" else ", ".join(suspicious)))
        if self.gaps:
            out.append(t(self.gaps["key"], lang, file=for_message("file", self.file_name),
                         gapped=integer(self.gaps["gapped"]), accounts=integer(self.gaps["accounts"]),
                         months=integer(self.gaps.get("months")), example=self.gaps["example"]))
        if self.dataset == "subscriptions" and "interval" not in self.mapping \
                and "interval" not in mp.implied(self.dataset, self.mapping):
            out.append(t("no_interval_monthly", lang, file=for_message("file", self.file_name),
                         header=one_line(self.mapping["amount"])))
        if "mrr" in schema.DATASETS[self.dataset]:
            taken = self.mapping.get("mrr")
            if taken is not None and mp.says_yearly(taken, self.raw.headers):
                out.append(t("yearly_as_mrr", lang, file=for_message("file", self.file_name), header=one_line(taken)))
            elif taken is None:
                out += [t("yearly_not_mrr", lang, file=for_message("file", self.file_name), header=one_line(h))
                        for h in self.raw.headers if mp.yearly_contract_amount(h, self.raw.headers)]
        return out

    def discard(self) -> None:
        """Remove the staged file (commit does it too)."""
        self.stage.remove()


def _require(dataset: str, mode: str) -> None:
    if dataset not in schema.DATASETS:
        raise ImportRefused("unknown_dataset", dataset=dataset)
    if mode not in MODES_FOR[dataset]:
        raise ImportRefused("mode_not_for_dataset", mode=mode, dataset=dataset, modes=", ".join(MODES_FOR[dataset]))


def limits(db: Database | None) -> Limits:
    """The workspace's import limits (setting ``import_limits``), else the defaults."""
    return Limits.from_settings(S.get(db, "import_limits") if db is not None else None)


def _choose_sheet(tables: list[RawTable], sheet: str | None, dataset: str, file_name: str) -> RawTable:
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


def resolve_mapping(raw: RawTable, stage: Stage, dataset: str, file_name: str, overrides: dict[str, str] | None,
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
                if header and header not in used and _mostly_numeric(stage.sample_column(i)):
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


# A header saying its times are UTC: "Start (UTC)", "created_utc", "開始日時（UTC）"
_UTC = re.compile(r"(?<![A-Za-z])UTC(?![A-Za-z0-9+\-])", re.IGNORECASE)  # not UTC+9: an offset is local time


def _says_utc(header: str) -> bool:
    """Whether a header says its times are UTC (ＵＴＣ in full width too; UTC+09:00 names local time)."""
    return bool(_UTC.search(unicodedata.normalize("NFKC", header or "")))


def _type_rows(stage: Stage, raw: RawTable, dataset: str, mapping: dict[str, str],
               time_zone: str = "Asia/Tokyo") -> list[str]:
    """Type every value in SQL: table ``typed`` (values and error keys), ``errors`` (one row per bad cell,
    with row, header, key and raw value) and ``good`` (the rows to store, with row_no; the value
    columns are the dataset's). Returns good's columns. A date column whose header says UTC (Stripe's
    "Start (UTC)") is read as the day its time was in ``time_zone``, the workspace's."""
    con = stage.con
    columns = schema.DATASETS[dataset]
    required = schema.REQUIRED[dataset]
    index = {h: i for i, h in enumerate(raw.headers)}
    if dataset == "usage":
        plain = {"account_id": mapping["account_id"], "date": mapping["date"]}
        measures = [(name, header) for name, header in mapping.items() if name not in plain]
    else:
        plain = {c: h for c, h in mapping.items() if c in columns}
        measures = []
    # (SQL name of the value, its kind, the raw column, the file's header, required?)
    fields = [(quote_ident(c), columns[c], f"c{index[h]}", h, c in required) for c, h in plain.items()]
    non_negative = {quote_ident(c) for c in schema.NON_NEGATIVE.get(dataset, ()) if c in plain}
    fields += [(f"m{j}", "number", f"c{index[h]}", h, False) for j, (_, h) in enumerate(measures)]
    # One pass types every value and flags the cells that failed (bad_k: text that is no value; blank_k: a
    # required value missing); only the few flagged rows are looked at again, to name what is wrong.
    zone = values_sql_zone(time_zone)
    values = ", ".join(f"v_date_utc({r}, {zone}) AS {name}" if kind == "date" and _says_utc(header)
                       else f"{TYPED[kind][0]}({r}) AS {name}" for name, kind, r, header, _ in fields)
    raws = ", ".join(sorted({r for _, _, r, _, _ in fields}))
    flags, checks = [], []
    for k, (name, kind, r, header, is_required) in enumerate(fields):
        error = TYPED[kind][1]
        if error is not None:
            flags.append(f"({name} IS NULL AND NOT v_blank({r})) AS bad_{k}")
            key = error if error.startswith("'") else f"{error}(r.{r})"
            checks.append((f"bad_{k}", f"SELECT t.row_no, ?, {key}, r.{r} FROM typed t JOIN raw r USING (row_no) "  # noqa: S608
                                       f"WHERE t.bad_{k}", header))
        if name in non_negative:
            flags.append(f"coalesce({name} < 0, false) AS negative_{k}")
            checks.append((f"negative_{k}", f"SELECT t.row_no, ?, 'negative_amount', r.{r} FROM typed t "  # noqa: S608
                                            f"JOIN raw r USING (row_no) WHERE t.negative_{k}", header))
        if is_required:
            flags.append(f"({name} IS NULL AND v_blank({r})) AS blank_{k}")
            checks.append((f"blank_{k}", f"SELECT row_no, ?, 'required_blank', NULL FROM typed WHERE blank_{k}", header))  # noqa: S608
    extra = " OR ".join(f"coalesce(trim({c}), '') <> ''" for c in stage.extra_columns) or "false"
    flags.append(f"({extra}) AS has_extra_fields")
    checks.append(("has_extra_fields", "SELECT row_no, ?, 'extra_fields', NULL FROM typed WHERE has_extra_fields", ""))
    names = ", ".join(name for name, *_ in fields)
    if dataset == "usage":  # typed is temporary (memory, spilling past the limit): good is built from it
        table = "CREATE TEMP TABLE typed"
    else:  # typed becomes good itself once the rejected rows are out: the rows are written once
        said = mp.implied(dataset, mapping)  # 年額 → billed yearly, 金額(税込) → tax included: constants, not user text
        names += "".join(f", {TYPED[columns[c]][0]}({values_sql_literal(said[c])}) AS {quote_ident(c)}" if c in said
                         else f", NULL AS {quote_ident(c)}" for c in columns if c not in plain)
        table = "CREATE TABLE typed"
    con.execute(f"{table} AS SELECT row_no, {names}, {', '.join(flags)} "  # noqa: S608
                f"FROM (SELECT row_no, {values}, {raws}{', ' if stage.extra_columns else ''}"
                f"{', '.join(stage.extra_columns)} FROM raw)")
    con.execute("CREATE TABLE errors (row_no BIGINT, header VARCHAR, key VARCHAR, value VARCHAR)")
    counts = con.execute("SELECT " + ", ".join(f"count(*) FILTER (WHERE {flag})" for flag, _, _ in checks)  # noqa: S608
                         + " FROM typed").fetchone()
    for (_, query, header), n in zip(checks, counts, strict=True):
        if n:
            con.execute("INSERT INTO errors " + query, [header])  # noqa: S608
    key_cols = schema.UNIQUE_KEY.get(dataset) if dataset != "usage" else None
    if key_cols:  # a second row with the same key (among rows without other errors) is a rejected row
        keys = ", ".join(quote_ident(k) for k in key_cols)
        con.execute(
            f"INSERT INTO errors SELECT row_no, ?, 'duplicate_key', concat_ws(' / ', {keys}) FROM ("  # noqa: S608
            f"SELECT row_no, {keys}, row_number() OVER (PARTITION BY {keys} ORDER BY row_no) AS n FROM typed "
            "t WHERE NOT EXISTS (SELECT 1 FROM errors e WHERE e.row_no = t.row_no)) WHERE n > 1", [plain[key_cols[0]]])
    stored = list(columns)
    if dataset == "usage":
        # Several rows of one account and day (per user, say) add up; then one row per measure.
        sums = ", ".join(f"sum(m{j}) AS m{j}" for j in range(len(measures)))
        con.execute(
            f"CREATE TABLE good AS SELECT account_id, date, unnest(?::VARCHAR[]) AS measure, "  # noqa: S608
            f"unnest([{', '.join(f'm{j}' for j in range(len(measures)))}]) AS value, row_no FROM ("
            f"SELECT account_id, date, {sums}, min(row_no) AS row_no FROM typed "
            "t WHERE NOT EXISTS (SELECT 1 FROM errors e WHERE e.row_no = t.row_no) GROUP BY account_id, date)",
            [[name for name, _ in measures]])
        con.execute("DELETE FROM good WHERE value IS NULL")
    else:
        if con.execute("SELECT count(*) FROM errors").fetchone()[0]:
            con.execute("DELETE FROM typed WHERE row_no IN (SELECT row_no FROM errors)")
        con.execute("ALTER TABLE typed RENAME TO good")
    return stored


def _refuse_unreadable(stage: Stage, dataset: str, mapping: dict[str, str], rows: int, rejected: int,
                       file_name: str) -> None:
    """Refuse a file whose required column mostly fails (a wrong mapping) or whose rows all fail."""
    columns = schema.DATASETS[dataset]
    for canonical in schema.REQUIRED[dataset]:
        header = mapping[canonical]
        failures = stage.con.execute(
            "SELECT count(*), min(row_no) FROM errors WHERE header = ? AND key NOT IN "
            "('required_blank', 'duplicate_key', 'extra_fields')", [header]).fetchone()
        if rows and failures[0] * 2 > rows:
            value = stage.con.execute("SELECT value FROM errors WHERE header = ? AND row_no = ?",
                                      [header, failures[1]]).fetchone()[0]
            kind = "kind_date" if columns.get(canonical) in ("date", "month") else "kind_number"
            raise ImportRefused("required_unreadable", file=file_name, row=failures[1], header=header,
                                value=value, kind=t(kind, "en"))
    if rejected == rows:
        first = _first_errors(stage, 1)[0]
        raise ImportRefused("all_rows_rejected", file=file_name, row=first.row, header=first.column,
                            message=first.message("en"))


def _first_errors(stage: Stage, n: int) -> list[RowError]:
    rows = stage.con.execute("SELECT row_no, header, key, value FROM errors ORDER BY row_no, header LIMIT ?",
                             [n]).fetchall()
    return [RowError(int(r), h, k, v) for r, h, k, v in rows]


def _zone(db: Database | None) -> str:
    """The workspace's time zone when this machine knows it (else Asia/Tokyo, the default)."""
    zone = S.get(db, "time_zone") if db is not None else None
    try:
        values_sql_zone(zone)
    except ValueError:
        return "Asia/Tokyo"
    return zone


def plan_import(source: bytes | str | Path, file_name: str, dataset: str, *, db: Database | None = None,
                sheet: str | None = None, overrides: dict[str, str] | None = None, mode: str = "replace",
                progress: Progress | None = None) -> ImportPlan:
    """Stage, map, type and check a file without writing to the database. Raises ImportRefused."""
    _require(dataset, mode)
    progress = progress or (lambda fraction, step: None)
    currency = S.get(db, "currency") if db is not None else money.current().code
    stage = Stage(limits(db), currency)
    try:
        if isinstance(source, bytes):
            path = stage.dir / "upload"  # the uploaded name never becomes a path
            path.write_bytes(source)
            content_hash = hashlib.sha256(source).hexdigest()
        else:
            path = Path(source)
            content_hash = file_hash(path)
        progress(0.05, "reading")
        raw = stage.load(path, file_name, sheet, lambda tables, s: _choose_sheet(tables, s, dataset, file_name))
        if isinstance(source, bytes):
            path.unlink(missing_ok=True)
        rows = stage.count()
        if rows == 0:
            raise ImportRefused("no_rows", file=file_name)
        remembered = None if overrides else remembered_mapping(db, dataset, raw.headers)
        mapping, confidence, mapping_source = resolve_mapping(raw, stage, dataset, file_name, overrides, remembered)
        progress(0.45, "checking")
        zone = _zone(db)
        stored = _type_rows(stage, raw, dataset, mapping, zone)
        if any(_says_utc(h) for c, h in mapping.items() if schema.DATASETS[dataset].get(c) == "date"):
            # its days depend on the workspace's time zone: the same file read in another zone is another snapshot
            content_hash = hashlib.sha256(f"{content_hash}|{zone}".encode()).hexdigest()
        rejected = stage.con.execute("SELECT count(DISTINCT row_no) FROM errors").fetchone()[0]
        _refuse_unreadable(stage, dataset, mapping, rows, rejected, file_name)
        frame = stage.con.execute(
            f"SELECT {', '.join(quote_ident(c) for c in stored)} FROM good ORDER BY row_no LIMIT 20").df()  # noqa: S608
        used = set(mapping.values())
        plan = ImportPlan(dataset, file_name, content_hash, raw, mapping, confidence, mapping_source, stage, frame,
                          rows, rejected, _first_errors(stage, ERRORS_KEPT),
                          [h for h in raw.headers if h and h not in used], mode)
        if mode == "replace" and db is not None and dataset in GUARDED_KEY:
            plan.guard = _replace_counts(db, plan)
        if dataset == "mrr":
            plan.gaps = _month_gaps(stage)
        stage.close()
        progress(0.7, "checked")
        return plan
    except BaseException:
        stage.remove()
        raise


# Share of the accounts (with two billed months or more) whose months have gaps, from which an MRR history
# reads as invoices billed every few months rather than monthly MRR.
GAPPED_SHARE = 0.25


def _month_gaps(stage: Stage) -> dict | None:
    """When many accounts of an MRR history skip months between billed ones, or most have one billed month
    in a file of several (quarterly or yearly invoices: each skipped month would read as churn and the next
    as reactivation): how many, and one example."""
    row = stage.con.execute("""
        WITH billed AS (SELECT DISTINCT account_id, date_trunc('month', month)::DATE AS month FROM good
                        WHERE mrr > 0 AND account_id IS NOT NULL AND month IS NOT NULL),
        steps AS (SELECT account_id, month, lag(month) OVER w AS before,
                         month > lag(month) OVER w + INTERVAL 1 MONTH AS gap
                  FROM billed WINDOW w AS (PARTITION BY account_id ORDER BY month)),
        per AS (SELECT account_id, count(*) AS months, count(*) FILTER (WHERE gap) AS gaps,
                       min(before) FILTER (WHERE gap) AS gap_from, min(month) FILTER (WHERE gap) AS gap_to,
                       min(month) AS first
                FROM steps GROUP BY account_id)
        SELECT count(*) FILTER (WHERE gaps > 0), count(*) FILTER (WHERE months > 1),
               arg_min(account_id, account_id) FILTER (WHERE gaps > 0),
               arg_min(gap_from, account_id) FILTER (WHERE gaps > 0), arg_min(gap_to, account_id) FILTER (WHERE gaps > 0),
               count(*) FILTER (WHERE months = 1), count(*), arg_min(account_id, account_id) FILTER (WHERE months = 1),
               arg_min(first, account_id) FILTER (WHERE months = 1),
               (SELECT datediff('month', min(month), max(month)) + 1 FROM billed)
        FROM per""").fetchone()
    gapped, several, example, start, end, single, accounts, alone, alone_month, span = row
    if several and gapped / several >= GAPPED_SHARE:
        return {"key": "mrr_months_missing", "gapped": gapped, "accounts": several,
                "example": f"{example}: {start:%Y/%m} → {end:%Y/%m}"}
    if accounts and single / accounts >= 0.5 and (span or 0) >= 3:
        return {"key": "mrr_single_months", "gapped": single, "accounts": accounts, "months": span,
                "example": f"{alone}: {alone_month:%Y/%m}"}
    return None


def _replace_counts(db: Database, plan: ImportPlan) -> dict | None:
    """Current, incoming and removed keys when a replace would remove more than half of the keys."""
    key = quote_ident(GUARDED_KEY[plan.dataset])
    # the stored keys handed to the stage as one Arrow table (an executemany of 100k keys took 10 s)
    current = db.read(lambda con: con.sql(
        f'SELECT DISTINCT {key} AS k FROM "cur_{plan.dataset}"').to_arrow_table())  # noqa: S608 (whitelisted)
    if current.num_rows == 0:
        return None
    plan.stage.con.register("current_keys", current)
    try:
        incoming, removed = plan.stage.con.execute(
            f"SELECT (SELECT count(DISTINCT {key}) FROM good), "  # noqa: S608
            f"(SELECT count(*) FROM current_keys c WHERE NOT EXISTS (SELECT 1 FROM good g WHERE g.{key} = c.k))").fetchall()[0]
    finally:
        plan.stage.con.unregister("current_keys")
    stored = current.num_rows
    return {"current": stored, "incoming": incoming, "removed": removed} if removed * 2 > stored else None


def _message_sql(lang: str | None) -> tuple[str, list[str]]:
    """A SQL expression giving each error row's message in the user's language (templates bound)."""
    lang = lang if lang in LANGS else default_lang()
    cases, params = [], []
    for key in ROW_ERROR_KEYS:
        cases.append("WHEN ? THEN replace(?, '{value}', CASE WHEN length(value) > 60 THEN left(value, 57) || '…' "
                     "ELSE coalesce(value, '') END)")
        params += [key, MESSAGES[key][lang]]
    return "CASE key " + " ".join(cases) + " ELSE key END", params


def commit(db: Database, plan: ImportPlan, *, by: auth.User, lang: str | None = None,
           confirm_replace: bool = False, progress: Progress | None = None) -> dict:
    """Store the plan as the dataset's new current snapshot (one transaction). Same file twice: no-op.
    Only the write: what follows it (the pages' views kept ahead) is workspace.py's second step.

    ``by`` is who acts: only an editor may import (checked here, whatever page or command calls this)."""
    auth.require_editor(by)
    imported_by = by.name
    dataset, mode = plan.dataset, plan.mode
    progress = progress or (lambda fraction, step: None)
    mapping_json = json.dumps(plan.mapping, ensure_ascii=False, sort_keys=True)
    columns = list(schema.DATASETS[dataset])
    cols = ", ".join(quote_ident(c) for c in columns)
    alias = f"stage_{uuid.uuid4().hex[:12]}"
    message, message_params = _message_sql(lang)
    headers = [h for h in plan.raw.headers if h]
    raw_json = "json_object('row', r.row_no" + "".join(
        f", ?, r.c{plan.raw.headers.index(h)}" for h in headers) + ")"
    key_cols = [quote_ident(k) for k in schema.UNIQUE_KEY.get(dataset, ())]

    def write(con):
        if mode == "replace":
            same = _find_same(con, dataset, plan, mapping_json)
            if same is not None:
                return same, True, 0, 0, 0
            if dataset in GUARDED_KEY and not confirm_replace:
                counts = _guard_in_transaction(con, dataset, alias)
                if counts:
                    raise ReplaceNeedsConfirmation(file=plan.file_name, dataset=dataset, **counts)
        parent = con.execute("SELECT snapshot_id FROM snapshots WHERE dataset = ? AND is_current",
                             [dataset]).fetchone()
        parent_id = parent[0] if parent else None
        good = f"{alias}.good"
        conflicts = duplicate = 0
        merging = mode in ("append", "upsert") and parent_id is not None
        if merging:  # the incoming rows that are not stored already
            con.execute(f"CREATE TEMP TABLE fresh AS SELECT {cols} FROM {good} "  # noqa: S608
                        f'EXCEPT ALL SELECT {cols} FROM "cur_{dataset}"')
            incoming = con.execute(f"SELECT count(*) FROM {good}").fetchone()[0]  # noqa: S608
            duplicate = incoming - con.execute("SELECT count(*) FROM fresh").fetchone()[0]
        if mode == "append" and key_cols and parent_id is not None:
            # a row whose key is stored with other values is not added (upsert replaces such rows)
            on = " AND ".join(f"f.{k} = c.{k}" for k in key_cols)
            con.execute(f'CREATE TEMP TABLE conflicts AS SELECT f.* FROM fresh f SEMI JOIN "cur_{dataset}" c ON {on}')  # noqa: S608
            on = " AND ".join(f"fresh.{k} = c.{k}" for k in key_cols)
            con.execute(f"DELETE FROM fresh WHERE EXISTS (SELECT 1 FROM conflicts c WHERE {on})")  # noqa: S608
            conflicts = con.execute("SELECT count(*) FROM conflicts").fetchone()[0]
        added = con.execute("SELECT count(*) FROM fresh").fetchone()[0] if merging else plan.rows_loaded
        if merging and added == 0 and conflicts == 0:
            return parent_id, True, duplicate, 0, 0  # every row is already there: nothing changes
        snapshot_id = con.execute(
            "INSERT INTO snapshots (dataset, file_name, content_hash, imported_at, imported_by, source_format, "
            "encoding, sheet, rows_read, rows_loaded, rows_rejected, mapping, mode, parent_id, rows_duplicate) "
            "VALUES (?, ?, ?, now()::TIMESTAMP, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING snapshot_id",
            [dataset, plan.file_name, plan.content_hash, imported_by, plan.raw.source_format,
             plan.raw.encoding, plan.raw.sheet, plan.rows_read, added, plan.rows_rejected + conflicts,
             mapping_json, mode, parent_id, duplicate]).fetchone()[0]
        if mode == "upsert" and parent_id is not None:
            on = " AND ".join(f"g.{k} = c.{k}" for k in key_cols)
            con.execute(f'INSERT INTO "{dataset}" (snapshot_id, {cols}) SELECT ?, {cols} FROM "cur_{dataset}" c '  # noqa: S608
                        f"WHERE NOT EXISTS (SELECT 1 FROM {good} g WHERE {on})", [snapshot_id])
            con.execute(f'INSERT INTO "{dataset}" (snapshot_id, {cols}) SELECT ?, {cols} FROM {good}', [snapshot_id])  # noqa: S608
            members = [snapshot_id]
        else:  # replace (or a first import): the file's rows straight from the stage, no copy in between
            source = "fresh" if merging else good
            con.execute(f'INSERT INTO "{dataset}" (snapshot_id, {cols}) SELECT ?, {cols} FROM {source}', [snapshot_id])  # noqa: S608
            members = [snapshot_id]
            if mode == "append" and parent_id is not None:
                members += [r[0] for r in con.execute(
                    "SELECT member_id FROM snapshot_members WHERE snapshot_id = ?", [parent_id]).fetchall()]
        con.executemany("INSERT INTO snapshot_members VALUES (?, ?)", [[snapshot_id, m] for m in members])
        con.execute(
            f"INSERT INTO rejected_rows SELECT ?, e.row_no, e.header, {message}, {raw_json} "  # noqa: S608
            f"FROM {alias}.errors e JOIN {alias}.raw r USING (row_no) ORDER BY e.row_no",
            [snapshot_id, *message_params, *headers])
        if conflicts:
            keys_text = " || ' / ' || ".join(f"CAST({k} AS VARCHAR)" for k in key_cols)
            conflict_msg = MESSAGES["key_conflict"][lang if lang in LANGS else default_lang()]
            con.execute(f"INSERT INTO rejected_rows SELECT ?, NULL, ?, replace(?, '{{value}}', {keys_text}), "  # noqa: S608
                        "NULL FROM conflicts", [snapshot_id, plan.mapping[schema.UNIQUE_KEY[dataset][0]], conflict_msg])
        con.execute("UPDATE snapshots SET is_current = (snapshot_id = ?) WHERE dataset = ?", [snapshot_id, dataset])
        schema.refresh_kept(con, dataset)  # in this transaction: what is kept never lags the data
        con.execute("INSERT OR REPLACE INTO source_mappings VALUES (?, ?, ?::JSON, now()::TIMESTAMP)",
                    [dataset, mp.source_key(plan.raw.headers), mapping_json])
        return snapshot_id, False, duplicate, conflicts, added

    progress(0.75, "storing")
    try:
        snapshot_id, unchanged = (None, False)
        if mode == "replace":  # a re-import of the same file is a true no-op: no write at all
            snapshot_id = db.read(lambda con: _find_same(con, dataset, plan, mapping_json))
            unchanged = snapshot_id is not None
        duplicate = conflicts = loaded = 0
        if not unchanged:
            snapshot_id, unchanged, duplicate, conflicts, loaded = db.write(
                write, bump=lambda result: not result[1], attach={alias: plan.stage.path}, backup=True)
    finally:
        plan.discard()
    progress(1.0, "done")
    return {
        "dataset": dataset,
        "snapshot": snapshot_id,
        "unchanged": unchanged,
        "mode": mode,
        "file": plan.file_name,
        "format": plan.raw.source_format,
        "encoding": plan.raw.encoding,
        "sheet": plan.raw.sheet,
        "rows_read": plan.rows_read,
        "rows_loaded": loaded,
        "rows_rejected": plan.rows_rejected + conflicts,
        "rows_duplicate": duplicate,
        "mapping": plan.mapping,
        "unmapped": plan.unmapped,
        "confidence": plan.confidence,
        "errors": [e.as_dict(lang) for e in plan.errors],
        "warnings": plan.warnings(lang) + (derivation_warnings(db, lang) if dataset in schema.BILLING else []),
    }


def derivation_warnings(db: Database, lang: str | None = None) -> list[str]:
    """What the MRR derived from billing exports leaves out and why: lines in a currency without a rate for a
    month they are in force (named, with the months), so a missing rate is never a silent churn; lines without
    a service period; periods ending before they start; repeating discounts without their months. Shown after
    a billing import and after a change of the workspace currency."""
    def read(con):
        rates = con.execute(
            "SELECT currency, count(DISTINCT account_id), string_agg(DISTINCT strftime(month, '%Y-%m'), ', ' "
            "ORDER BY strftime(month, '%Y-%m')) FROM mrr_lines() l WHERE rate IS NULL AND kind = 'recurring' "
            "AND NOT EXISTS (SELECT 1 FROM cur_mrr m WHERE m.account_id = l.account_id) "
            "GROUP BY ALL ORDER BY currency").fetchall()
        undated, unread = con.execute(
            "SELECT count(*) FILTER (WHERE NOT period_given), count(*) FILTER (WHERE NOT counted) FROM billing_lines() "
            "WHERE source = 'invoice_lines' AND kind = 'recurring'").fetchone()
        repeating = con.execute(
            "SELECT count(*) FROM cur_subscriptions s WHERE discount_duration = 'repeating' AND discount_months IS NULL "
            "AND (coalesce(discount_percent, 0) <> 0 OR coalesce(discount_amount, 0) <> 0) "
            "AND EXISTS (SELECT 1 FROM billing_lines() b WHERE b.source = 'subscriptions' AND b.account_id = s.account_id) "
            "AND NOT EXISTS (SELECT 1 FROM cur_mrr m WHERE m.account_id = s.account_id)").fetchone()[0]
        return rates, undated, unread, repeating
    rates, undated, unread, repeating = db.read(read)
    out = [t("mrr_no_rate", lang, currency=cur, accounts=integer(n), months=months) for cur, n, months in rates]
    if undated:
        out.append(t("mrr_no_period", lang, n=integer(undated)))
    if unread:
        out.append(t("mrr_bad_period", lang, n=integer(unread)))
    if repeating:
        out.append(t("mrr_repeating_no_months", lang, n=integer(repeating)))
    return out


def _guard_in_transaction(con, dataset: str, alias: str) -> dict | None:
    key = quote_ident(GUARDED_KEY[dataset])
    current, incoming, removed = con.execute(
        f'SELECT (SELECT count(DISTINCT {key}) FROM "cur_{dataset}"), '  # noqa: S608
        f"(SELECT count(DISTINCT {key}) FROM {alias}.good), "
        f'(SELECT count(DISTINCT {key}) FROM "cur_{dataset}" c WHERE {key} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {alias}.good g WHERE g.{key} = c.{key}))'
    ).fetchone()
    return {"current": current, "incoming": incoming, "removed": removed} if current and removed * 2 > current else None


def _find_same(con, dataset: str, plan: ImportPlan, mapping_json: str) -> int | None:
    row = con.execute(
        "SELECT snapshot_id FROM snapshots WHERE dataset = ? AND is_current AND content_hash = ? "
        "AND coalesce(sheet, '') = ? AND mapping = ?::JSON AND coalesce(mode, 'replace') = 'replace'",
        [dataset, plan.content_hash, plan.raw.sheet or "", mapping_json]).fetchone()
    return row[0] if row else None


def import_file(db: Database, path: str | Path, dataset: str, *, sheet: str | None = None,
                overrides: dict[str, str] | None = None, by: auth.User,
                lang: str | None = None, mode: str = "replace", confirm_replace: bool = False,
                progress: Progress | None = None) -> dict:
    auth.require_editor(by)
    path = Path(path)
    _check_source(db, path)
    plan = plan_import(path, path.name, dataset, db=db, sheet=sheet, overrides=overrides, mode=mode,
                       progress=progress)
    return commit(db, plan, by=by, lang=lang, confirm_replace=confirm_replace, progress=progress)


def _check_source(db: Database, path: Path) -> None:
    """Refuse, before anything opens it, a path that is no file to import: one that is not there, a name
    longer than the system allows, or the dashboard's own database, its WAL or its last good copy. Opening
    and closing the database here would not just fail: POSIX drops the lock DuckDB holds on a file when
    its process closes any descriptor of it (see db.py). So it is recognised by stat alone (device and
    inode), whatever name leads to it: the path itself, a hard link, a symlink."""
    try:
        found = path.stat()
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise ImportRefused("file_name_too_long", file=str(path)) from exc
        detail = "no such file" if exc.errno in (errno.ENOENT, errno.ENOTDIR) else exc.strerror or str(exc)
        raise ImportRefused("not_a_table", file=path.name, detail=detail) from exc
    if not stat.S_ISREG(found.st_mode):
        raise ImportRefused("not_a_table", file=path.name, detail="no such file")
    for own in (db.path, db.path.with_name(db.path.name + ".wal"), backup_path(db.path)):
        try:
            same = os.path.samestat(found, own.stat())
        except OSError:  # not there (no WAL, no backup yet)
            continue
        if same:
            raise ImportRefused("own_database", file=path.name)


def list_snapshots(db: Database) -> pd.DataFrame:
    return db.query(
        "SELECT snapshot_id, dataset, file_name, imported_at, imported_by, mode, source_format, encoding, sheet, "
        "rows_read, rows_loaded, rows_rejected, rows_duplicate, is_current, content_hash FROM snapshots "
        "ORDER BY snapshot_id DESC")


def restore(db: Database, snapshot_id: int, *, by: auth.User) -> str:
    """Make an earlier snapshot current again for its dataset (editors only)."""
    auth.require_editor(by)
    def write(con):
        row = con.execute("SELECT dataset FROM snapshots WHERE snapshot_id = ?", [snapshot_id]).fetchone()
        if not row:
            raise KeyError(snapshot_id)
        con.execute("UPDATE snapshots SET is_current = (snapshot_id = ?) WHERE dataset = ?", [snapshot_id, row[0]])
        schema.refresh_kept(con, row[0])
        return row[0]
    return db.write(write, bump=True, backup=True)


def rejected_rows(db: Database, snapshot_id: int) -> pd.DataFrame:
    return db.query("SELECT row_number, column_name, message, raw FROM rejected_rows WHERE snapshot_id = ? "
                    "ORDER BY row_number", [snapshot_id])
