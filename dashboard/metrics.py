"""The metric engine: every number of METRICS.md, computed in DuckDB from the SQL files in sql/.

Each function takes the Database and plain parameters and returns a pandas DataFrame (or dict) small
enough for a chart. The CLI report and the pages call these same functions.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from functools import cache
from pathlib import Path

import pandas as pd

from dashboard import money, schema
from dashboard import periods as P
from dashboard.db import Database

SQL_DIR = Path(__file__).parent / "sql"
TIERS = ("Tier1", "Tier2", "Tier3")

# Coverage model and KPIs per tier, as seeds 003 and 004 describe them.
TIER_PLAYBOOK = {
    "Tier1": {"coverage": "high_touch", "team": "customer_sales",
              "kpis": ["upsell_amount", "pipeline_amount", "pipeline_count", "accounts"]},
    "Tier2": {"coverage": "mixed", "team": "customer_sales_and_marketing",
              "kpis": ["upsell_amount", "churn_rate", "health_mix"]},
    "Tier3": {"coverage": "tech_touch", "team": "customer_marketing",
              "kpis": ["churn_rate", "health_mix", "onboarding"]},
}


@cache
def sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text()


def segment_expr(segment_by: str | None) -> str:
    """A whitelisted SQL expression for a segment column (never user text)."""
    if segment_by is None:
        return "'all'"
    if segment_by not in schema.SEGMENT_COLUMNS:
        raise ValueError(f"cannot segment by {segment_by!r}; choose one of {', '.join(schema.SEGMENT_COLUMNS)}")
    return f'coalesce(attrs."{segment_by}", \'(none)\')'


def data_bounds(db: Database) -> dict:
    """The first and last dates in the loaded data (for default ranges and the as-of date)."""
    row = db.read(lambda con: con.execute("""
        SELECT least((SELECT min(contract_start) FROM cur_accounts), (SELECT min(month) FROM cur_mrr),
                     (SELECT min(order_date) FROM cur_orders)),
               greatest((SELECT max(last_day(month)) FROM cur_mrr), (SELECT max(date) FROM cur_usage),
                        (SELECT max(order_date) FROM cur_orders), (SELECT max(date) FROM cur_touchpoints),
                        (SELECT max(greatest(contract_start, churn_date)) FROM cur_accounts))
    """).fetchone())
    return {"first": row[0], "last": row[1]}


def default_as_of(db: Database) -> dt.date:
    """Today, unless the data ends earlier (a demo or an old export): then the data's last day."""
    last = data_bounds(db)["last"]
    today = dt.date.today()
    return min(today, last) if last else today


# -- customer and revenue churn -----------------------------------------------------------------------
def churn(db: Database, as_of: dt.date, grain: str = "month", start: dt.date | None = None,
          segment_by: str | None = None, fy_start_month: int = 4,
          thresholds: tuple[int, int] | None = None) -> pd.DataFrame:
    """Customer and revenue churn per period [s, e) from ``start`` to ``as_of``."""
    if grain not in P.GRAINS:
        raise ValueError(f"unknown period {grain!r}")
    start = start or P.add_months(as_of.replace(day=1), -12)
    spans = P.periods(start, as_of, grain, fy_start_month)
    if not spans:
        return pd.DataFrame()
    text = sql("churn_by_period")
    params = {"starts": [s for s, _ in spans], "ends": [e for _, e in spans], "as_of": as_of}
    if segment_by == "tier":
        # Tier at the start of each period: the MRR bracket of the account's MRR on day s - 1.
        t1, t2 = thresholds or default_thresholds(active_accounts(db, as_of)["mrr"])
        params |= {"t1": t1, "t2": t2}
        bracket = "CASE WHEN {m} >= $t1 THEN 'Tier1' WHEN {m} >= $t2 THEN 'Tier2' ELSE 'Tier3' END"
        text = text.replace("{segment} AS segment FROM per_account", bracket.format(m="pa.mrr_start")
                            + " AS segment FROM per_account")
        text = text.replace("{segment}", bracket.format(m="coalesce(attrs.mrr, 0)"))
    else:
        text = text.replace("{segment}", segment_expr(segment_by))
    frame = db.query(text, params)
    frame["complete"] = [P.is_complete(_date(s), _date(e), grain)
                         for s, e in zip(frame["period_start"], frame["period_end"], strict=True)]
    return frame


def _date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def mrr_movements(db: Database, as_of: dt.date, start: dt.date | None = None,
                  segment_by: str | None = None) -> pd.DataFrame:
    """Monthly MRR movements with gross/net revenue churn, quick ratio, NRR and GRR (12 months)."""
    from_month = (start or dt.date(1900, 1, 1)).replace(day=1)
    text = sql("mrr_movements").replace("{segment}", segment_expr(segment_by))
    frame = db.query(text, {"as_of": as_of, "from_month": from_month})
    if frame.empty:
        return frame
    start_ = frame["start"].where(frame["start"] > 0)
    frame["gross_revenue_churn_rate"] = (frame["churn"] + frame["contraction"]) / start_
    frame["net_revenue_churn_rate"] = (frame["churn"] + frame["contraction"] - frame["expansion"]) / start_
    losses = (frame["contraction"] + frame["churn"]).where(lambda s: s > 0)
    frame["quick_ratio"] = (frame["new"] + frame["reactivation"] + frame["expansion"]) / losses
    year_ago = frame["year_ago_mrr"].where(frame["year_ago_mrr"] > 0)
    frame["nrr_12m"] = frame["nrr_numerator"] / year_ago
    frame["grr_12m"] = frame["grr_numerator"] / year_ago
    return frame.drop(columns=["nrr_numerator", "grr_numerator", "year_ago_mrr"])


def cohorts(db: Database, as_of: dt.date, start: dt.date | None = None) -> pd.DataFrame:
    """Logo and revenue retention by cohort month and months since (k)."""
    from_month = (start or dt.date(1900, 1, 1)).replace(day=1)
    return db.query(sql("cohorts"), {"as_of": as_of, "from_month": from_month})


# -- active accounts and tiers ------------------------------------------------------------------------
def active_accounts(db: Database, day: dt.date, as_of: dt.date | None = None) -> pd.DataFrame:
    return db.query(sql("active_accounts"), {"day": day, "as_of": as_of or day})


def round_figure(value: float) -> int:
    """A round figure near ``value``: two significant digits (187,300 -> 190,000; 52,345 -> 52,000)."""
    if not value or value <= 0 or math.isnan(value):
        return 0
    digits = int(math.floor(math.log10(value))) - 1
    unit = 10 ** max(digits, 0)
    return int(round(value / unit) * unit)


def default_thresholds(mrr: pd.Series) -> tuple[int, int]:
    """T1/T2: round figures near the 80th/50th percentile of active accounts' MRR."""
    positive = mrr[mrr > 0]
    if positive.empty:
        return 0, 0
    return round_figure(positive.quantile(0.8)), round_figure(positive.quantile(0.5))


def _normalize_tier(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = unicodedata.normalize("NFKC", str(value)).upper()
    for n in "123":
        if n in text:
            return f"Tier{n}"
    return {"A": "Tier1", "B": "Tier2", "C": "Tier3"}.get(text.strip())


def assign_tiers(frame: pd.DataFrame, rule: str = "mrr", thresholds: tuple[int, int] | None = None) -> tuple[pd.DataFrame, dict]:
    """Add a ``tier`` column to active accounts. Returns the frame and the rule in force."""
    t1, t2 = thresholds if thresholds else default_thresholds(frame["mrr"])
    bracket = pd.Series("Tier3", index=frame.index)
    bracket[frame["mrr"] >= t2] = "Tier2"
    bracket[frame["mrr"] >= t1] = "Tier1"
    if rule == "manual" and "tier_column" in frame:
        manual = frame["tier_column"].map(_normalize_tier)
        frame = frame.assign(tier=manual.fillna(bracket))
        rule_info = {"rule": "manual", "fallback": "mrr", "thresholds": [t1, t2],
                     "manual_accounts": int(manual.notna().sum())}
    else:
        frame = frame.assign(tier=bracket)
        rule_info = {"rule": "mrr", "thresholds": [t1, t2], "auto": thresholds is None}
    return frame, rule_info


def tier_summary(accounts: pd.DataFrame) -> pd.DataFrame:
    """Accounts, MRR and MRR share per tier (accounts must carry ``tier``)."""
    total = accounts["mrr"].sum()
    grouped = accounts.groupby("tier")["mrr"].agg(accounts="count", mrr="sum").reindex(TIERS, fill_value=0)
    grouped["mrr_share"] = grouped["mrr"] / total if total else float("nan")
    grouped["arpa"] = grouped["mrr"] / grouped["accounts"].where(grouped["accounts"] > 0)
    return grouped.reset_index().rename(columns={"index": "tier"})


def tier_migration(db: Database, d1: dt.date, d2: dt.date, rule: str = "mrr",
                   thresholds: tuple[int, int] | None = None) -> pd.DataFrame:
    """Counts and MRR moving between tiers from d1 to d2 (seed 004's staircase). 'none' = not a customer."""
    a1 = active_accounts(db, d1, max(d1, d2))
    a2 = active_accounts(db, d2, max(d1, d2))
    if thresholds is None:
        thresholds = default_thresholds(a2["mrr"] if len(a2) else a1["mrr"])
    t1, _ = assign_tiers(a1, rule, thresholds)
    t2, _ = assign_tiers(a2, rule, thresholds)
    merged = t1[["account_id", "tier", "mrr"]].merge(
        t2[["account_id", "tier", "mrr"]], on="account_id", how="outer", suffixes=("_from", "_to"))
    merged["tier_from"] = merged["tier_from"].fillna("none")
    merged["tier_to"] = merged["tier_to"].fillna("none")
    merged[["mrr_from", "mrr_to"]] = merged[["mrr_from", "mrr_to"]].fillna(0).astype("float64")
    out = merged.groupby(["tier_from", "tier_to"], as_index=False).agg(
        accounts=("account_id", "count"), mrr_from=("mrr_from", "sum"), mrr_to=("mrr_to", "sum"))
    return out.sort_values(["tier_from", "tier_to"]).reset_index(drop=True)


# -- health score --------------------------------------------------------------------------------------
def usage_measures(db: Database) -> list[str]:
    rows = db.read(lambda con: con.execute("SELECT DISTINCT measure FROM cur_usage ORDER BY 1").fetchall())
    return [r[0] for r in rows]


def default_health_config(db: Database) -> dict:
    """Every loaded usage measure (page views weighted double, after seed 002) and days since contact."""
    measures = []
    for name in usage_measures(db):
        agg = "avg" if "user" in name or "seat" in name else "sum"
        measures.append({"name": name, "source": "usage", "weight": 2.0 if name == "page_views" else 1.0,
                         "agg": agg, "higher_is_better": True, "method": "percentile",
                         "floor": 0.0, "target": None})
    has_touch = db.read(lambda con: con.execute("SELECT count(*) FROM cur_touchpoints").fetchone()[0])
    if has_touch:
        measures.append({"name": "days_since_contact", "source": "touchpoints", "weight": 1.0, "agg": "last",
                         "higher_is_better": False, "method": "linear", "floor": 90.0, "target": 14.0})
    return {"window_days": 90, "bands": [40, 70], "compare_days": 30, "measures": measures}


def band(score: float | None, bands: list[float] | tuple[float, float] = (40, 70)) -> str | None:
    """red < 40, yellow 40–69.99, green >= 70 (defaults; user-set)."""
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return None
    red, green = bands
    return "red" if score < red else "yellow" if score < green else "green"


def health_details(db: Database, as_of: dt.date, config: dict) -> pd.DataFrame:
    """Per account and measure: raw value, 0–100 score, weight and weighted contribution."""
    measures = [m for m in config["measures"] if m.get("weight", 0) > 0]
    if not measures:
        return pd.DataFrame(columns=["account_id", "measure", "raw", "measure_score", "weight", "contribution"])
    params = {
        "as_of": as_of, "window_days": int(config["window_days"]),
        "names": [m["name"] for m in measures], "sources": [m["source"] for m in measures],
        "aggs": [m.get("agg", "sum") for m in measures], "weights": [float(m["weight"]) for m in measures],
        "higher": [bool(m.get("higher_is_better", True)) for m in measures],
        "methods": [m.get("method", "percentile") for m in measures],
        "floors": [float(m.get("floor") or 0.0) for m in measures],
        "targets": [None if m.get("target") is None else float(m["target"]) for m in measures],
    }
    return db.query(sql("health_scores"), params)


def health_scores(db: Database, as_of: dt.date, config: dict, with_change: bool = True) -> pd.DataFrame:
    """Per active account: score (0–100), band, and the change since ``compare_days`` earlier."""
    details = health_details(db, as_of, config)
    scores = details.groupby("account_id", as_index=False)["contribution"].sum().rename(
        columns={"contribution": "score"})
    scores["band"] = [band(s, config["bands"]) for s in scores["score"]]
    if with_change and len(scores):
        before = as_of - dt.timedelta(days=int(config.get("compare_days", 30)))
        prev = health_details(db, before, config).groupby("account_id")["contribution"].sum()
        scores["previous_score"] = scores["account_id"].map(prev)
        scores["change"] = scores["score"] - scores["previous_score"]
    return scores.sort_values("score").reset_index(drop=True)


def health_validation(db: Database, as_of: dt.date, config: dict, months_back: int = 6,
                      horizon_days: int = 90) -> dict:
    """For past as-of dates: churn in the following 90 days per band, and each measure's ROC AUC."""
    rows, per_measure = [], []
    for k in range(months_back, 0, -1):
        past = P.add_months(as_of.replace(day=1), -k - 3)
        if past + dt.timedelta(days=horizon_days) > as_of:
            continue
        details = health_details(db, past, config)
        if details.empty:
            continue
        churned = db.query(
            "SELECT DISTINCT account_id FROM spells($as_of) WHERE spell_end > $d AND spell_end <= $d2",
            {"as_of": as_of, "d": past, "d2": past + dt.timedelta(days=horizon_days)})["account_id"]
        scores = details.groupby("account_id")["contribution"].sum()
        for account_id, score in scores.items():
            rows.append({"as_of": past, "band": band(score, config["bands"]), "churned": account_id in set(churned)})
        details = details.assign(churned=details["account_id"].isin(set(churned)))
        per_measure.append(details)
    if not rows:
        return {"bands": pd.DataFrame(), "auc": pd.DataFrame()}
    frame = pd.DataFrame(rows)
    bands = frame.groupby("band", as_index=False).agg(accounts=("churned", "size"), churned=("churned", "sum"))
    bands["churn_rate_90d"] = bands["churned"] / bands["accounts"]
    allm = pd.concat(per_measure)
    auc = [{"measure": name, "auc": roc_auc(g["measure_score"], g["churned"])} for name, g in allm.groupby("measure")]
    return {"bands": bands, "auc": pd.DataFrame(auc)}


def roc_auc(scores: pd.Series, churned: pd.Series) -> float | None:
    """How well a higher score separates stayers from churners (Mann–Whitney; 0.5 = no better than chance)."""
    stay, gone = scores[~churned.astype(bool)], scores[churned.astype(bool)]
    if stay.empty or gone.empty:
        return None
    ranks = pd.concat([stay, gone]).rank()
    r_stay = ranks.iloc[: len(stay)].sum()
    return float((r_stay - len(stay) * (len(stay) + 1) / 2) / (len(stay) * len(gone)))


# -- D2C -----------------------------------------------------------------------------------------------
def d2c_customers(db: Database, as_of: dt.date, horizon_days: int = 365, start: dt.date | None = None) -> pd.DataFrame:
    return db.query(sql("d2c_customers"), {"as_of": as_of, "horizon_days": horizon_days,
                                           "from": start or dt.date(1900, 1, 1)})


def d2c_summary(db: Database, as_of: dt.date, horizon_days: int = 365, start: dt.date | None = None,
                mature_only: bool = False) -> dict | None:
    """AOV, purchase-count distribution (1/2/3+ and 1..5/6+), repeat rate and empirical LTV per customer."""
    customers = d2c_customers(db, as_of, horizon_days, start)
    if mature_only:
        customers = customers[customers["horizon_complete"]]
    if customers.empty:
        return None
    n = len(customers)
    orders = int(customers["orders"].sum())
    revenue = money.total(customers["revenue"])
    counts = customers["orders"]
    coarse = {"1": int((counts == 1).sum()), "2": int((counts == 2).sum()), "3+": int((counts >= 3).sum())}
    fine = {str(k): int((counts == k).sum()) for k in range(1, 6)} | {"6+": int((counts >= 6).sum())}
    return {
        "customers": n, "orders": orders, "revenue": revenue, "aov": revenue / orders,
        "purchase_distribution": {k: v / n for k, v in coarse.items()},
        "purchase_counts": coarse, "purchase_distribution_fine": {k: v / n for k, v in fine.items()},
        "repeat_rate": float((counts >= 2).sum() / n), "purchases_per_customer": orders / n,
        "ltv": revenue / n, "horizon_days": horizon_days,
        "mature_customers": int(customers["horizon_complete"].sum()),
    }


def d2c_cohorts(db: Database, as_of: dt.date, start: dt.date | None = None) -> pd.DataFrame:
    return db.query(sql("d2c_cohorts"), {"as_of": as_of, "from": start or dt.date(1900, 1, 1)})


def renewals_due(accounts: pd.DataFrame, as_of: dt.date, days: int = 90) -> pd.DataFrame:
    """Those of the active accounts whose renewal date falls in (as_of, as_of + days]."""
    due = pd.to_datetime(accounts["renewal_date"])
    start, end = pd.Timestamp(as_of), pd.Timestamp(as_of + dt.timedelta(days=days))
    return accounts[due.notna() & (due > start) & (due <= end)]
