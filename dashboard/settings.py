"""Workspace settings stored in the database, with the defaults METRICS.md names."""

from __future__ import annotations

import json
from typing import Any

from dashboard import auth, schema, sessions
from dashboard.db import Database
from dashboard.imports.workbook import Limits

DEFAULTS: dict[str, Any] = {
    "currency": "JPY",
    "time_zone": "Asia/Tokyo",
    "fiscal_year_start": 4,  # April, as is common in Japan; 1 = calendar year
    "tier_rule": "mrr",  # "mrr" brackets, or "manual" (the export's tier column)
    "tier_thresholds": None,  # [T1, T2] in yen; None = round figures near the 80th/50th percentile
    "health": None,  # None = defaults derived from the loaded data (see health.default_config)
    "action_rules": None,  # None = actions.DEFAULT_RULES (the call list's next actions, first match wins)
    # What one file may ask of the machine: max_columns, max_cells, max_unzipped_mb, reader_memory_mb,
    # reader_seconds (see workbook.Limits for the defaults). Empty = the defaults.
    "import_limits": {},
    "session_hours": 7 * 24,  # how long a login lasts in a browser (a signed cookie; see sessions.py)
    # Where the pages' first views are computed after an import: None = DuckDB here; or
    # {"name": "spark", "data": <Parquet folder the cluster reads>, "master": …, "remote": …,
    #  "timeout": <seconds to reach the cluster, 30 when unset>} (results/engines.py)
    "engine": None,
    # Where `python -m dashboard digest` also posts the weekly summary as JSON (http or https), None = nowhere.
    "digest_webhook": None,
}
MAX_ENGINE_TIMEOUT = 3600  # seconds: the engine setting's "timeout" (reaching a Spark cluster)
# The settings that change figures the pages compute (the others change how they are shown or used); the
# currency does when the MRR history is derived from billing exports in other currencies.
FIGURE_SETTINGS = ("fiscal_year_start", "tier_rule", "tier_thresholds", "health", "engine", "currency")


def get_all(db: Database) -> dict[str, Any]:
    rows = db.read(lambda con: con.execute("SELECT key, value FROM settings").fetchall())
    stored = {k: json.loads(v) for k, v in rows}
    return {**DEFAULTS, **{k: v for k, v in stored.items() if k in DEFAULTS}}


def get(db: Database, key: str) -> Any:
    return get_all(db)[key]


def put(db: Database, key: str, value: Any, *, by: auth.User) -> None:
    """Change a workspace setting; only an editor may (checked here, whoever calls)."""
    auth.require_editor(by)
    if key not in DEFAULTS:
        raise KeyError(key)
    _check(key, value)
    text = json.dumps(value, ensure_ascii=False)

    def change(con) -> None:  # the value and who changed it, in one transaction
        con.execute("INSERT OR REPLACE INTO settings VALUES (?, ?::JSON)", [key, text])
        con.execute("INSERT INTO settings_log VALUES (now()::TIMESTAMP, ?, ?, ?::JSON)", [by.name, key, text])
        if key == "currency" and schema.derives_mrr(con):
            # billing lines are converted into the workspace currency: the history is derived again, and
            # everything kept from it is rebuilt or dropped (a rare change; the kept keys do not name it)
            schema.refresh_kept(con)
    db.write(change, bump=True)  # only the write: workspace.put_setting refreshes what is kept after it


def _check(key: str, value: Any) -> None:
    """Values a setting cannot take, refused with the setting's name (the page shows the message)."""
    if key == "session_hours" and not (isinstance(value, (int, float)) and 1 <= value <= sessions.MAX_HOURS):
        raise ValueError(f"session_hours: between 1 and {sessions.MAX_HOURS}")
    if key == "engine":
        _check_engine(value)
    if key == "digest_webhook" and value is not None and not (
            isinstance(value, str) and value.startswith(("http://", "https://")) and len(value) <= 2000):
        raise ValueError("digest_webhook: an http:// or https:// address")
    if key == "import_limits":
        if not isinstance(value, dict):
            raise ValueError("import_limits: a mapping of limit name to number")
        for name, number in value.items():
            if name not in Limits.BOUNDS:
                raise ValueError(f"import_limits: unknown limit {name!r}")
            low, high = Limits.BOUNDS[name]
            if not isinstance(number, int) or isinstance(number, bool) or not low <= number <= high:
                raise ValueError(f"import_limits.{name}: a whole number between {low:,} and {high:,}")


def _check_engine(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, dict) or value.get("name") not in ("duckdb", "spark"):
        raise ValueError("engine: {\"name\": \"duckdb\"} or {\"name\": \"spark\", \"data\": folder, …}")
    unknown = set(value) - {"name", "data", "master", "remote", "timeout"}
    if unknown:
        raise ValueError(f"engine: unknown key {sorted(unknown)[0]!r}")
    if value["name"] == "spark" and not (isinstance(value.get("data"), str) and value["data"].strip()):
        raise ValueError("engine.data: the folder of Parquet datasets Spark reads")
    for key in ("master", "remote"):
        if value.get(key) is not None and not isinstance(value[key], str):
            raise ValueError(f"engine.{key}: text")
    timeout = value.get("timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                or not 1 <= timeout <= MAX_ENGINE_TIMEOUT):
        raise ValueError(f"engine.timeout: seconds to reach the cluster, between 1 and {MAX_ENGINE_TIMEOUT}")


def history(db: Database, limit: int = 200) -> list[dict]:
    """The latest settings changes, newest first: when, who, which setting, the value it got."""
    rows = db.read(lambda con: con.execute(
        "SELECT changed_at, changed_by, key, value FROM settings_log ORDER BY changed_at DESC, rowid DESC LIMIT ?",
        [limit]).fetchall())
    return [{"changed_at": at, "changed_by": who, "key": key, "value": json.loads(value)} for at, who, key, value in rows]
