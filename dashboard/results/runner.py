"""Run a result by name: read its SQL, include the shared blocks, add the account filters as a ``scope``
CTE, fill in the workspace's rules (tier thresholds, health measures, fiscal year), bind the parameters
and return a DataFrame. The app caches these calls on (result, parameters, filters, data version).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from dashboard import frames, schema
from dashboard import periods as P
from dashboard import settings as S
from dashboard.db import Database
from dashboard.results import engines, health_store, result_store
from dashboard.results.catalog import RESULTS
from dashboard.results.scope import Scope

SQL_DIR = Path(__file__).parent / "sql"
_INCLUDE = re.compile(r"\{include:(_[a-z_]+)\}")
_IN_SCOPE = re.compile(r"\{in_scope:([A-Za-z_][A-Za-z_.]*)\}")
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")

# Whitelisted segment expressions: a column of account_attrs(), never user text.
SEGMENT_COLUMNS = schema.SEGMENT_COLUMNS


class ResultError(ValueError):
    """A result asked for with a missing or impossible parameter."""


@cache
def sql_text(name: str) -> str:
    """The SQL of a result with its building blocks included (our own files only)."""
    path = SQL_DIR / f"{name}.sql"
    if not path.exists():  # a block of the store's (schema.SQL_DIR): the MRR grid it keeps
        path = schema.SQL_DIR / f"{name}.sql"
    text = path.read_text()
    return _INCLUDE.sub(lambda m: sql_text(m.group(1)), text)


def tier_rule(db: Database, as_of: dt.date, conf: dict | None = None) -> dict:
    """The tier rule in force on ``as_of``: the setting's rule and thresholds, else round figures near the
    80th/50th percentile of active MRR that day."""
    conf = conf or S.get_all(db)
    manual = conf["tier_rule"] == "manual"
    row = run(db, "tier_thresholds", as_of=as_of).iloc[0]
    if conf["tier_thresholds"]:
        t1, t2 = (float(v) for v in conf["tier_thresholds"])
        auto = False
    else:
        t1, t2, auto = float(row["t1"]), float(row["t2"]), True
    info: dict[str, Any] = {"rule": "manual" if manual else "mrr", "thresholds": [t1, t2]}
    if manual:
        info |= {"fallback": "mrr", "manual_accounts": int(row["manual_accounts"])}
    else:
        info["auto"] = auto
    return info


def health_params(config: dict, as_of: dt.date) -> dict:
    """A health configuration as the bound lists _health.sql reads."""
    measures = [m for m in config["measures"] if m.get("weight", 0) > 0]
    red, green = config["bands"]
    return {
        "window_days": int(config["window_days"]), "red": float(red), "green": float(green),
        "before": as_of - dt.timedelta(days=int(config.get("compare_days", 30))),
        "names": [m["name"] for m in measures], "sources": [m["source"] for m in measures],
        "aggs": [m.get("agg", "sum") for m in measures], "weights": [float(m["weight"]) for m in measures],
        "higher": [bool(m.get("higher_is_better", True)) for m in measures],
        "methods": [m.get("method", "percentile") for m in measures],
        "floors": [float(m.get("floor") or 0.0) for m in measures],
        "targets": [None if m.get("target") is None else float(m["target"]) for m in measures],
    }


def usage_measures(db: Database) -> list[str]:
    """The measures of the loaded usage (one per imported usage column)."""
    return run(db, "usage_measures")["measure"].tolist()


def health_config(db: Database, conf: dict | None = None) -> dict:
    """The health measures in force: the saved setting, else defaults derived from the loaded data."""
    conf = conf or S.get_all(db)
    if conf["health"]:
        return conf["health"]
    measures = []
    for name in usage_measures(db):
        agg = "avg" if "user" in name or "seat" in name else "sum"
        measures.append({"name": name, "source": "usage", "weight": 2.0 if name == "page_views" else 1.0,
                         "agg": agg, "higher_is_better": True, "method": "percentile",
                         "floor": 0.0, "target": None})
    if db.read(lambda con: con.execute("SELECT count(*) FROM cur_touchpoints").fetchone()[0]):
        measures.append({"name": "days_since_contact", "source": "touchpoints", "weight": 1.0, "agg": "last",
                         "higher_is_better": False, "method": "linear", "floor": 90.0, "target": 14.0})
    return {"window_days": 90, "bands": [40, 70], "compare_days": 30, "measures": measures}


def _segment(segment_by: str | None) -> str:
    if segment_by is None:
        return "'all'"
    if segment_by not in SEGMENT_COLUMNS:
        raise ResultError(f"cannot segment by {segment_by!r}; choose one of {', '.join(SEGMENT_COLUMNS)}")
    return f'coalesce(attrs."{segment_by}", \'(none)\')'


def _periods(params: dict, conf: dict) -> dict:
    grain = params["grain"]
    if grain not in P.GRAINS:
        raise ResultError(f"unknown period {grain!r}; choose one of {', '.join(P.GRAINS)}")
    as_of = params["as_of"]
    start = params.get("start") or P.add_months(as_of.replace(day=1), -12)
    spans = P.periods(start, as_of, grain, int(params.get("fy_start_month") or conf["fiscal_year_start"]))
    return {"starts": [s for s, _ in spans], "ends": [e for _, e in spans],
            "completes": [P.is_complete(s, e, grain) for s, e in spans]}


Fetch = Callable[..., Any]


def run(db: Database, name: str, scope: Scope | None = None, *, fetch: Fetch | None = None, keep: bool = False,
        **params: Any) -> pd.DataFrame | None:
    """Run result ``name`` over the accounts in ``scope`` (every account when empty).

    ``fetch(name, **params)`` supplies what a result builds on (the tier rule, the health measures, the
    result a derived result reads) and is the app's cache there; by default they are computed here.
    A result kept for the current data (result_store.py) is read instead of computed; ``keep`` computes
    it into the store instead of returning it (``result_store.prepare``)."""
    if name not in RESULTS:
        raise ResultError(f"there is no result {name!r}")
    result = RESULTS[name]
    params = {**result.defaults, **params}
    missing = [p for p in result.params if p not in params]
    if missing:
        raise ResultError(f"result {name!r} needs {', '.join(missing)}")
    scope = scope if (scope and result.filters) else Scope()
    fetch = fetch or (lambda other, **p: call(db, other, scope, **p))
    if result.source:
        if keep:
            raise ResultError(f"result {name!r} is derived from {result.source!r}: keep that one")
        return _derived(result, fetch, params)
    engine = engines.current()
    text, values, bound = _build(name, params, scope, fetch, engine)
    if keep:  # computed by the engine in force into the local store (result_store.prepare)
        result_store.keep(db, name, text, values, lambda: _scored(db, text, values, bound, engine), engine)
        return None
    if engine is engines.DUCKDB:  # kept for this data (keyed on the SQL and values, however it was computed)
        if not scope:
            kept = result_store.find(db, name, text, values)
        elif result.rows_by:  # the filter picks rows only: the kept whole result's rows of these accounts
            whole_text, whole_values, _ = _build(name, params, Scope(), fetch, engine)
            kept = result_store.find(db, name, whole_text, whole_values, rows=(result.rows_by, bound["scope_ids"]))
        else:
            kept = None
        if kept is not None:
            return kept
    return engine.query(db, *_scored(db, text, values, bound, engine))


def _build(name: str, params: dict, scope: Scope, fetch: Fetch, engine: Any) -> tuple[str, dict, dict]:
    """A result's final SQL, the values it binds, and everything bound (the health configuration's lists
    included: ``_scored`` reads them)."""
    text = sql_text(name)
    conf = fetch("settings")
    bound: dict[str, Any] = dict(params)

    # The account filters: a scope CTE of account ids, or nothing at all. On DuckDB the ids are resolved
    # once per filter (and as-of day, for a tier filter) through ``fetch`` and bound as a list: a page's
    # results then share them instead of each evaluating the filter (a tier filter computes every
    # account's tier: half a second at M). Elsewhere (Spark) the filter runs inside each query.
    if scope and engine is engines.DUCKDB:
        bound["scope_ids"] = fetch(SCOPE_ACCOUNTS, **_scope_params(scope, bound, fetch))
        cte = "scope AS (SELECT unnest($scope_ids) AS account_id),"
    elif scope:
        cte, values = scope.cte()
        bound |= values
    # A building block kept for the current data is read instead of computed where it covers the as-of day.
    for block in KEPT_BLOCKS:
        if sql_text(block) in text and engine is engines.DUCKDB \
                and _grid_covers(fetch("mrr_grid_through"), bound.get("as_of")):
            text = text.replace(sql_text(block), sql_text(f"{block}_kept"))
    text = text.replace("{scope}", cte if scope else "")
    # the expression comes from our SQL file and matches _IN_SCOPE (a column reference)
    text = _IN_SCOPE.sub(lambda m: f"{m.group(1)} IN (SELECT account_id FROM scope)" if scope else "TRUE", text)  # noqa: S608

    # Segments (whitelisted expressions); by tier, the rule in force at the start of each period.
    if "{segment" in text:
        segment_by = bound.pop("segment_by", None)
        if segment_by == "tier":
            text = text.replace("{segment_at_start}", "tier_of(pa.mrr_start, attrs.tier, $t1, $t2, $manual)")
            text = text.replace("{segment}", "tier_of(coalesce(attrs.mrr, 0), attrs.tier, $t1, $t2, $manual)")
        else:
            text = text.replace("{segment_at_start}", _segment(segment_by)).replace("{segment}", _segment(segment_by))
    if "$starts" in text:  # a result per period (churn, upsell rates): the periods of $grain from $start
        bound |= _periods(bound, conf)

    wanted = set(_PARAM.findall(text))
    if wanted & {"t1", "t2", "manual"} and "t1" not in bound:
        rule = bound.pop("tier_rule", None) or fetch("tier_rule", as_of=bound["as_of"])
        bound |= {"t1": rule["thresholds"][0], "t2": rule["thresholds"][1], "manual": rule["rule"] == "manual"}
    if wanted & {"names", "red"} and "names" not in bound:
        config = bound.pop("config", None) or fetch("health_config")
        bound = {**health_params(config, bound["as_of"]), **bound}
        if bound.pop("compare", True) is False:  # no change column wanted: score the as-of day only
            bound["before"] = None
        bound.setdefault("days", [bound["as_of"]] + ([bound["before"]] if bound["before"] else []))
    absent = sorted(wanted - set(bound))
    if absent:
        raise ResultError(f"result {name!r} needs {', '.join(absent)}")
    return text, {k: v for k, v in bound.items() if k in wanted}, bound


# Building blocks with a variant that reads the kept MRR grid (<block>_kept.sql), used where the grid reaches
# the as-of month: the grid itself (MRR movements) and churn's MRR lookups.
KEPT_BLOCKS = ("_mrr_grid", "_churn_mrr")


def _grid_covers(through: dt.date | None, as_of: Any) -> bool:
    """Whether the kept MRR grid (built through month ``through``) holds every month up to ``as_of``'s."""
    # a month's row is its state at the month's end (a churn later in the month is not known mid-month)
    month_end = isinstance(as_of, dt.date) and (as_of + dt.timedelta(days=1)).day == 1
    return through is not None and month_end and as_of.replace(day=1) <= through


def _grid_through(db: Database) -> dt.date | None:
    """The month the kept MRR grid reaches: the history's last (None without a history or a paid month)."""
    return db.read(lambda con: con.execute("SELECT max(month) FROM kept_mrr_grid").fetchone()[0])


# The account ids a scope selects: asked for through ``fetch`` (the app's cache), like the tier rule.
SCOPE_ACCOUNTS = "scope_accounts"


def _scope_params(scope: Scope, bound: dict, fetch: Fetch) -> dict:
    """What the scope's ids depend on: nothing but its values, and for a tier filter the as-of day and the
    tier rule the result itself is computed under (the report's --tier-thresholds included)."""
    if not scope.get("tier"):
        return {}
    if "as_of" not in bound:
        raise ResultError("a tier filter needs as_of (the day each account's tier is taken on)")
    if "t1" in bound:
        return {"as_of": bound["as_of"], "t1": bound["t1"], "t2": bound["t2"], "manual": bound["manual"]}
    rule = bound.get("tier_rule") or fetch("tier_rule", as_of=bound["as_of"])
    return {"as_of": bound["as_of"], "t1": rule["thresholds"][0], "t2": rule["thresholds"][1],
            "manual": rule["rule"] == "manual"}


def scope_accounts(db: Database, scope: Scope, **params: Any) -> list[str]:
    """The ids of the accounts ``scope`` selects (sorted); ``params``: as _scope_params gives them. A tier
    filter reads its accounts from the kept ``account_tiers`` of that day and rule when there is one."""
    tiers = scope.get("tier")
    if tiers:
        text, values, _ = _build("account_tiers", params, Scope(), lambda other, **p: call(db, other, **p),
                                 engines.DUCKDB)
        kept = result_store.find(db, "account_tiers", text, values, rows=("tier", list(tiers)))
        if kept is not None:
            ids = kept["account_id"].tolist()
            rest = Scope(tuple((c, v) for c, v in scope.values if c != "tier"))
            if not rest:
                return sorted(ids)
            cte, values = rest.cte()
            sql = (f"WITH {cte.rstrip(',')} SELECT account_id FROM scope "  # noqa: S608 - scope.py's whitelist
                   "WHERE account_id IN (SELECT unnest($ids)) ORDER BY account_id")
            return db.query(sql, {**values, "ids": ids})["account_id"].tolist()
    cte, values = scope.cte()
    sql = f"WITH {cte.rstrip(',')} SELECT account_id FROM scope ORDER BY account_id"  # noqa: S608 - scope.py's whitelist
    return db.query(sql, {**values, **params})["account_id"].tolist()


def _scored(db: Database, text: str, values: dict, bound: dict, engine: Any) -> tuple[str, dict]:
    """The SQL to run and its values: on DuckDB, health read from the kept scores when they can be kept
    (health_store.py) instead of scored inside the query; elsewhere as written."""
    scoring = sql_text("_health")
    if engine is not engines.DUCKDB or scoring not in text:
        return text, values
    kept = health_store.ensure(db, bound, bound["as_of"], bound["days"])
    if not kept:
        return text, values
    text = text.replace(sql_text("_health_scores"), sql_text("_health_scores_kept"))  # the scores alone, kept too
    text = text.replace(scoring, sql_text("_health_kept"))
    return text, {k: v for k, v in (bound | kept).items() if k in set(_PARAM.findall(text))}


def _derived(result, fetch: Fetch, params: dict) -> pd.DataFrame:
    """A result over another result (``source``): its SQL reads the source's rows, which the caller has
    usually cached already (the at-risk list is a view of the account list, not a second health run)."""
    parent = RESULTS[result.source]
    own = set(_PARAM.findall(sql_text(result.name)))
    source = fetch(result.source, **{k: v for k, v in params.items()
                                     if k in parent.params or k in parent.defaults or k in ("config", "tier_rule")})
    con = duckdb.connect()
    try:
        con.register(result.source, source)
        return frames.fetch(con, sql_text(result.name), {k: v for k, v in params.items() if k in own})
    finally:
        con.close()


def _data_bounds(db: Database) -> dict:
    row = run(db, "data_bounds").iloc[0]
    return {k: (None if pd.isna(row[k]) else pd.Timestamp(row[k]).date()) for k in ("first", "last", "series_last")}


def _default_as_of(db: Database) -> dt.date:
    """Today, unless the data ends earlier (a demo or an old export): then the data's last day."""
    last = _data_bounds(db)["last"]
    today = P.today(S.get(db, "time_zone"))
    return min(today, last) if last else today


# Facts about the workspace that are not tables: read through the same call (and the same cache).
FACTS = {
    "settings": lambda db: S.get_all(db),
    "health_config": health_config,
    "tier_rule": tier_rule,
    "data_bounds": _data_bounds,
    "default_as_of": _default_as_of,
    "loaded": lambda db: db.loaded_datasets(),
    "last_import": lambda db: db.read(lambda con: con.execute(
        "SELECT max(imported_at) FROM snapshots WHERE is_current").fetchone()[0]),
    "usage_measures": usage_measures,
    "mrr_grid_through": _grid_through,
}


def honours_filters(name: str) -> bool:
    if name == SCOPE_ACCOUNTS:
        return True
    return name in RESULTS and RESULTS[name].filters


def call(db: Database, name: str, scope: Scope | None = None, *, fetch: Fetch | None = None, **params: Any) -> Any:
    """A result (a DataFrame over the accounts in scope) or a fact of the workspace. The summaries computed in
    Python over results (the validation summary, the call list) are answered a layer up, by views.call."""
    if name in FACTS:
        return FACTS[name](db, **params)
    if name == SCOPE_ACCOUNTS:
        return scope_accounts(db, scope or Scope(), **params)
    return run(db, name, scope, fetch=fetch, **params)
