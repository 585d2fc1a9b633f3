"""The report: every headline figure in one JSON-ready dict (the CLI prints it; tests pin it)."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pandas as pd

from dashboard import metrics as M
from dashboard import money
from dashboard import results as R
from dashboard.db import Database


def jsonable(value):
    """pandas/numpy/DuckDB values -> plain JSON values (NaN/NA -> None, dates -> ISO)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):  # an exact amount: as a JSON number that reads back to the same value
        if value == value.to_integral_value():
            return int(value)
        return float(value) if Decimal(repr(float(value))) == value else str(value.normalize())
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)  # 120000, not 120000.0
    return value


def records(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    return [jsonable(dict(zip(columns, row, strict=True))) for row in frame[columns].itertuples(index=False)]


CHURN_COLUMNS = ["period_start", "period_end", "customers_at_start", "customers_churned", "customer_churn_rate",
                 "retention_rate", "joined_and_churned", "mrr_at_start", "mrr_churned", "churned_mrr_rate",
                 "complete"]
MOVEMENT_COLUMNS = ["month", "start", "new", "reactivation", "expansion", "contraction", "churn", "end",
                    "gross_revenue_churn_rate", "net_revenue_churn_rate", "quick_ratio", "nrr_12m", "grr_12m"]


def build(db: Database, *, as_of: dt.date | None = None, period: str = "month", start: dt.date | None = None,
          segment_by: str | None = None, thresholds: tuple[float, float] | None = None,
          scope: R.Scope | None = None) -> dict:
    """Every section over the accounts in ``scope`` (all accounts when empty)."""
    as_of = as_of or M.default_as_of(db)
    rule = R.tier_rule(db, as_of)
    if thresholds:
        rule = {**rule, "thresholds": [float(thresholds[0]), float(thresholds[1])], "auto": False}
    accounts = R.run(db, "accounts", scope, as_of=as_of, tier_rule=rule)
    churn = R.run(db, "churn", scope, as_of=as_of, grain=period, start=start, tier_rule=rule)
    movements = M.mrr_movements(db, as_of, start or M.P.add_months(as_of.replace(day=1), -12), scope=scope)
    out: dict = {
        "as_of": as_of.isoformat(),
        "period": period,
        "filters": scope.as_dict() if scope else {},
        "accounts_active": int(len(accounts)),
        "mrr": money.total(accounts["mrr"]),
        "churn": records(churn, CHURN_COLUMNS) if len(churn) else [],
        "mrr_movements": records(movements, MOVEMENT_COLUMNS) if len(movements) else [],
        "tier_rule": rule,
        "tiers": records(R.run(db, "tier_summary", scope, as_of=as_of, tier_rule=rule),
                         ["tier", "accounts", "mrr", "mrr_share"]),
    }
    config = R.health_config(db)
    scores = M.health_scores(db, as_of, config, with_change=False, scope=scope) if config["measures"] else pd.DataFrame()
    out["health"] = {
        "bands": {b: int((scores["band"] == b).sum()) if len(scores) else 0 for b in ("red", "yellow", "green")},
        "accounts": records(scores, ["account_id", "score", "band"]) if len(scores) else [],
        "measures": [m["name"] for m in config["measures"]],
    }
    d2c = M.d2c_summary(db, as_of)
    if d2c:
        out["d2c"] = jsonable({k: d2c[k] for k in ("customers", "orders", "revenue", "aov",
                                                   "purchase_distribution", "repeat_rate", "ltv")})
    if segment_by:
        seg = R.run(db, "churn", scope, as_of=as_of, grain=period, start=start, segment_by=segment_by, tier_rule=rule)
        out["segments"] = {
            "column": segment_by,
            "values": [{"segment": value, "churn": records(group, CHURN_COLUMNS)}
                       for value, group in seg.groupby("segment", sort=True)],
        }
    return out
