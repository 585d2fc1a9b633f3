"""The report: every headline figure in one JSON-ready dict (the CLI prints it; tests pin it)."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pandas as pd

from dashboard import money, views
from dashboard import periods as P
from dashboard import results as R
from dashboard.db import Database
from dashboard.i18n import default_lang, t


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
MOVEMENT_COLUMNS = ["month", "start", "new", "reactivation", "expansion", "contraction", "churn", "fx", "end",
                    "gross_revenue_churn_rate", "net_revenue_churn_rate", "quick_ratio", "nrr_12m", "grr_12m"]


def build(db: Database, *, as_of: dt.date | None = None, period: str = "month", start: dt.date | None = None,
          segment_by: str | None = None, thresholds: tuple[float, float] | None = None,
          scope: R.Scope | None = None, lang: str | None = None) -> dict:
    """Every section over the accounts in ``scope`` (all accounts when empty)."""
    requested = as_of or R.call(db, "default_as_of")
    data_end = R.call(db, "data_bounds")["series_last"]
    as_of = P.within_data(requested, data_end)  # after the data's end is unknown, never zero
    rule = R.tier_rule(db, as_of)
    if thresholds:
        rule = {**rule, "thresholds": [float(thresholds[0]), float(thresholds[1])], "auto": False}
    # one caller for every section: each result is computed once, and all of them under the rule in force
    # for this report (the tier filter's accounts included)
    q = views.caller(db, scope, known={"tier_rule": rule})
    accounts = q("accounts", as_of=as_of)
    churn = q("churn", as_of=as_of, grain=period, start=start)
    movements = q("mrr_movements", as_of=as_of,
                  from_month=(start or P.add_months(as_of.replace(day=1), -12)).replace(day=1))
    out: dict = {
        "as_of": as_of.isoformat(),
        "data_ends": data_end.isoformat() if data_end else None,
        "period": period,
        "filters": scope.as_dict() if scope else {},
        "accounts_active": int(len(accounts)),
        "mrr": money.total(accounts["mrr"]),
        "churn": records(churn, CHURN_COLUMNS) if len(churn) else [],
        "mrr_movements": records(movements, MOVEMENT_COLUMNS) if len(movements) else [],
        "tier_rule": rule,
        "tiers": records(q("tier_summary", as_of=as_of), ["tier", "accounts", "mrr", "mrr_share"]),
    }
    config = q("health_config")
    scores = accounts[accounts["score"].notna()].sort_values(["score", "account_id"])
    out["health"] = {
        "bands": {b: int((scores["band"] == b).sum()) if len(scores) else 0 for b in ("red", "yellow", "green")},
        "accounts": records(scores, ["account_id", "score", "band"]) if len(scores) else [],
        "measures": [m["name"] for m in config["measures"]],
    }
    d2c = q("d2c_summary", as_of=as_of)
    if d2c:
        out["d2c"] = jsonable({k: d2c[k] for k in ("customers", "orders", "revenue", "aov",
                                                   "purchase_distribution", "repeat_rate", "ltv")})
    out |= operations(q, as_of, lang or default_lang())
    missing = R.run(db, "accounts_without_mrr", as_of=as_of)
    out["accounts_without_mrr_history"] = list(missing["account_id"])  # counted in no figure above
    if as_of != requested:
        out["as_of_requested"] = requested.isoformat()
        out["warnings"] = [t("as_of_past_data", lang, as_of=f"{requested:%Y/%m/%d}", end=f"{as_of:%Y/%m/%d}")]
    if segment_by:
        seg = R.run(db, "churn", scope, as_of=as_of, grain=period, start=start, segment_by=segment_by, tier_rule=rule)
        out["segments"] = {
            "column": segment_by,
            "values": [{"segment": value, "churn": records(group, CHURN_COLUMNS)}
                       for value, group in seg.groupby("segment", sort=True)],
        }
    return out


AT_RISK_FIELDS = {"account_id": "account_id", "name": "name", "tier": "tier", "owner": "owner", "mrr": "mrr",
                  "score": "score", "band": "band", "score_change": "change", "renewal_date": "renewal_date",
                  "days_to_renewal": "days_to_renewal", "days_since_contact": "days_since_contact",
                  "reasons": "reasons", "next_action": "next_action"}


def operations(q: views.Q, as_of: dt.date, lang: str) -> dict:
    """The CS-operations sections, each present when its data is loaded: at_risk (health can be scored),
    renewals (accounts), coverage (touchpoints), upsell (opportunities)."""
    loaded = q("loaded")
    out: dict = {}
    if q("health_config")["measures"]:  # the call list ranks by health
        calls = views.at_risk_actions(q, as_of, lang)
        out["at_risk"] = [{field: jsonable(row[column]) if field != "reasons" else list(row[column])
                           for field, column in AT_RISK_FIELDS.items()} for _, row in calls.iterrows()]
    windows = views.renewal_windows(q, as_of)
    owners = q("renewals_by_owner", as_of=as_of)
    out["renewals"] = {"due": {str(days): v for days, v in windows.items()},
                       "by_owner": records(owners, ["owner", "due_90_accounts", "due_90_mrr"])}
    if "touchpoints" in loaded:
        accounts = q("accounts", as_of=as_of)
        contacts = views.contacts_180d(q, as_of)
        out["coverage"] = {
            "days_since_contact": [{"account_id": a, "days": jsonable(d)} for a, d in
                                   zip(accounts["account_id"], accounts["days_since_contact"], strict=True)],
            "key_accounts_without_contact": list(q("key_accounts_uncontacted", as_of=as_of)["account_id"]),
            "contacts_180d": {k: v["mean"] for k, v in contacts.items()},
            "by_owner": records(q("coverage_by_owner", as_of=as_of),
                                ["owner", "active_accounts", "contacted_90d", "coverage"]),
        }
    if "opportunities" in loaded:
        pipe = q("pipeline", as_of=as_of)
        by_tier = (pipe.groupby("tier", sort=True)[["open_amount", "open_count"]].sum().reset_index()
                   if len(pipe) else pipe)
        rates = q("upsell_rates", as_of=as_of, grain="quarter", start=P.add_months(as_of.replace(day=1), -12))
        out["upsell"] = {
            "pipeline": records(by_tier, ["tier", "open_amount", "open_count"]) if len(by_tier) else [],
            "rates": records(rates, ["period_start", "tier", "accounts_at_start", "upsell_accounts", "upsell_rate",
                                     "cross_sell_accounts", "cross_sell_rate"]),
        }
    return out
