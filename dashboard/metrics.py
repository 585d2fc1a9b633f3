"""Metrics as Python calls: thin names over the results layer (dashboard/results), for the simulator's
calibration, the report and the tests. Every number is computed by a result's SQL; only what is pure
arithmetic on a small result (bands, ROC AUC, D2C summary) is here.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from dashboard import money
from dashboard import results as R
from dashboard import settings as S
from dashboard.db import Database
from dashboard.periods import EARLIEST, month_ends, validation_days  # noqa: F401 - the metrics' names for them
from dashboard.results.health_weights import (  # noqa: F401 - the metrics' names for them
    SUGGESTED_TOP_WEIGHT,
    suggest_weights,
    suggested_config,
    suggestion_views,
    with_weights,
)
from dashboard.results.scope import TIERS as TIER_NAMES

TIERS = TIER_NAMES  # one list of tiers (the filters validate against it)

# Coverage model and KPIs per tier, as seeds 003 and 004 describe them.
TIER_PLAYBOOK = {
    "Tier1": {"coverage": "high_touch", "team": "customer_sales",
              "kpis": ["upsell_amount", "pipeline_amount", "pipeline_count", "accounts"]},
    "Tier2": {"coverage": "mixed", "team": "customer_sales_and_marketing",
              "kpis": ["upsell_amount", "churn_rate", "health_mix"]},
    "Tier3": {"coverage": "tech_touch", "team": "customer_marketing",
              "kpis": ["churn_rate", "health_mix", "onboarding"]},
}



def data_bounds(db: Database) -> dict:
    """The first and last dates in the loaded data (for default ranges and the as-of date)."""
    return R.call(db, "data_bounds")


def default_as_of(db: Database) -> dt.date:
    """Today, unless the data ends earlier (a demo or an old export): then the data's last day."""
    return R.call(db, "default_as_of")


def _rule(db: Database, as_of: dt.date, rule: str | None, thresholds) -> dict | None:
    if rule is None and thresholds is None:
        return None
    info = R.tier_rule(db, as_of)
    if thresholds is not None:
        info = {**info, "thresholds": [float(thresholds[0]), float(thresholds[1])], "auto": False}
    if rule is not None:
        info = {**info, "rule": rule}
    return info


# -- customer and revenue churn -----------------------------------------------------------------------
def churn(db: Database, as_of: dt.date, grain: str = "month", start: dt.date | None = None,
          segment_by: str | None = None, fy_start_month: int | None = None,
          thresholds: tuple[float, float] | None = None, scope: R.Scope | None = None) -> pd.DataFrame:
    """Customer churn and churned MRR per period [s, e) from ``start`` to ``as_of``."""
    extra = {"tier_rule": _rule(db, as_of, None, thresholds)} if thresholds else {}
    return R.run(db, "churn", scope, as_of=as_of, grain=grain, start=start, segment_by=segment_by,
                 fy_start_month=fy_start_month, **extra)


def mrr_movements(db: Database, as_of: dt.date, start: dt.date | None = None,
                  segment_by: str | None = None, scope: R.Scope | None = None) -> pd.DataFrame:
    """Monthly MRR movements with gross/net revenue churn, quick ratio, NRR and GRR (12 months)."""
    return R.run(db, "mrr_movements", scope, as_of=as_of, from_month=(start or EARLIEST).replace(day=1),
                 segment_by=segment_by)


def cohorts(db: Database, as_of: dt.date, start: dt.date | None = None, scope: R.Scope | None = None) -> pd.DataFrame:
    """Logo and revenue retention by cohort month and months since (k)."""
    return R.run(db, "cohorts", scope, as_of=as_of, from_month=(start or EARLIEST).replace(day=1))


# -- active accounts and tiers ------------------------------------------------------------------------
def active_accounts(db: Database, as_of: dt.date, scope: R.Scope | None = None, rule: str | None = None,
                    thresholds: tuple[float, float] | None = None) -> pd.DataFrame:
    """The accounts active on ``as_of`` with tier (rule in force), MRR, health and attributes."""
    extra = {"tier_rule": r} if (r := _rule(db, as_of, rule, thresholds)) else {}
    return R.run(db, "accounts", scope, as_of=as_of, **extra)


def tier_summary(db: Database, as_of: dt.date, scope: R.Scope | None = None) -> pd.DataFrame:
    return R.run(db, "tier_summary", scope, as_of=as_of)


def tier_migration(db: Database, d1: dt.date, d2: dt.date, rule: str | None = None,
                   thresholds: tuple[float, float] | None = None, scope: R.Scope | None = None) -> pd.DataFrame:
    """Counts and MRR moving between tiers from d1 to d2 (seed 004's staircase). 'none' = not a customer."""
    extra = {"tier_rule": r} if (r := _rule(db, d2, rule, thresholds)) else {}
    return R.run(db, "tier_migration", scope, d1=d1, as_of=d2, **extra)


# -- health score --------------------------------------------------------------------------------------
def default_health_config(db: Database) -> dict:
    """Every loaded usage measure (page views weighted double, after seed 002) and days since contact."""
    return R.health_config(db, {**S.get_all(db), "health": None})


def band(score: float | None, bands: list[float] | tuple[float, float] = (40, 70)) -> str | None:
    """red < 40, yellow 40–69.99, green >= 70 (defaults; user-set)."""
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return None
    red, green = bands
    return "red" if score < red else "yellow" if score < green else "green"


def health_details(db: Database, as_of: dt.date, config: dict | None = None,
                   scope: R.Scope | None = None) -> pd.DataFrame:
    """Per account and measure: raw value, 0–100 score, weight and weighted contribution."""
    return R.run(db, "health_details", scope, as_of=as_of, config=config)


def health_scores(db: Database, as_of: dt.date, config: dict | None = None, with_change: bool = True,
                  scope: R.Scope | None = None) -> pd.DataFrame:
    """Per active account: score (0–100), band, and the change since ``compare_days`` earlier."""
    config = config or R.health_config(db)
    before = as_of - dt.timedelta(days=int(config.get("compare_days", 30)))
    days = [as_of, before] if with_change else [as_of]
    frame = R.run(db, "health_scores", scope, as_of=as_of, days=days, config=config)
    scores = frame[frame["day"] == pd.Timestamp(as_of)].drop(columns="day")
    if with_change:
        prev = frame[frame["day"] == pd.Timestamp(before)].set_index("account_id")["score"]
        scores = scores.assign(previous_score=scores["account_id"].map(prev))
        scores["change"] = scores["score"] - scores["previous_score"]
    return scores.reset_index(drop=True)


def band_history(db: Database, as_of: dt.date, start: dt.date, config: dict | None = None,
                 scope: R.Scope | None = None) -> pd.DataFrame:
    """Accounts per band at each month end from ``start`` to ``as_of`` (and at as_of itself)."""
    return R.run(db, "band_history", scope, as_of=as_of, days=month_ends(start, as_of), config=config)


def health_validation(db: Database, as_of: dt.date, config: dict | None = None, months_back: int = 6,
                      horizon_days: int = 90, scope: R.Scope | None = None, fetch: R.runner.Fetch | None = None) -> dict:
    """For past as-of dates: churn in the following 90 days per band, each measure's ROC AUC and the
    score's; the weights the validation suggests, and the same validation under them (``preview``, None when
    they are the weights in force) with whether they validate better (``offered``: else not offered).
    ``fetch``: the caller's cache of what the results build on (the health measures, the accounts a tier
    filter selects), as runner.run takes it."""
    config = config or (fetch("health_config") if fetch else R.health_config(db))
    days = validation_days(as_of, months_back, horizon_days)
    empty = {"bands": pd.DataFrame(), "auc": pd.DataFrame(), "score_auc": None, "suggested": pd.DataFrame(),
             "preview": None, "offered": False}
    if not days or not config["measures"]:
        return empty
    # aggregated in SQL (at M the rows are 2.4M: a second in pandas); roc_auc below is their oracle
    params = {"as_of": as_of, "days": days, "horizon_days": horizon_days}
    bands, score_auc = _validated(db, config, params, scope, fetch)
    if bands.empty:
        return empty
    auc = R.run(db, "health_validation_auc", scope, fetch=fetch, config=config, **params)
    suggested = suggest_weights(auc, config)
    out = {"bands": bands, "auc": auc, "score_auc": score_auc, "suggested": suggested, "preview": None,
           "offered": False}
    proposal = suggested_config(config, suggested)
    if proposal is not None:
        preview = suggestion_preview((bands, score_auc), _validated(db, proposal, params, scope, fetch))
        out |= {"preview": preview, "offered": validates_better(preview)}
    return out


def _validated(db: Database, config: dict, params: dict, scope: R.Scope | None,
               fetch: R.runner.Fetch | None) -> tuple[pd.DataFrame, float | None]:
    """The validation of one set of weights: churn by band and the score's ROC AUC."""
    bands = R.run(db, "health_validation_bands", scope, fetch=fetch, config=config, **params)
    auc = R.run(db, "health_validation_score_auc", scope, fetch=fetch, config=config, **params)["auc"]
    return bands, (None if auc.empty or pd.isna(auc.iloc[0]) else float(auc.iloc[0]))


BANDS = ("red", "yellow", "green")


def suggestion_preview(now: tuple[pd.DataFrame, float | None], suggested: tuple[pd.DataFrame, float | None]) -> dict:
    """The validation of the weights in force beside that of the suggested weights: the score's ROC AUC of
    each (``auc_now``, ``auc_suggested``) and per band (red, yellow, green) the accounts and their 90-day
    churn rate under each (``bands``)."""
    frames = []
    for (bands, _), when in ((now, "now"), (suggested, "suggested")):
        frames.append(bands.set_index("band")[["accounts", "churn_rate_90d"]].rename(
            columns={"accounts": f"accounts_{when}", "churn_rate_90d": f"churn_rate_{when}"}))
    table = pd.concat(frames, axis=1).reindex([b for b in BANDS if any(b in f.index for f in frames)])
    table = table.rename_axis("band").reset_index()
    for when in ("now", "suggested"):
        table[f"accounts_{when}"] = table[f"accounts_{when}"].fillna(0).astype("int64")
    return {"auc_now": now[1], "auc_suggested": suggested[1], "bands": table}


def _red_churn(bands: pd.DataFrame, when: str) -> float | None:
    red = bands[bands["band"] == "red"]
    rate = red[f"churn_rate_{when}"].iloc[0] if len(red) else None
    return None if rate is None or pd.isna(rate) else float(rate)


def validates_better(preview: dict, tolerance: float = 1e-9) -> bool:
    """Whether the suggested weights validate better than the weights in force: on the same past days their
    score separates the accounts that churned at least as well (ROC AUC) and their red band churned at least
    as often in the following 90 days, and one of the two is higher. A figure one side cannot give (no
    churner, no red band) counts below any it can."""
    def compare(now: float | None, new: float | None) -> int:
        a, b = (-1.0 if now is None else now), (-1.0 if new is None else new)
        return 0 if abs(a - b) <= tolerance else (1 if b > a else -1)

    steps = [compare(preview["auc_now"], preview["auc_suggested"]),
             compare(_red_churn(preview["bands"], "now"), _red_churn(preview["bands"], "suggested"))]
    return min(steps) >= 0 and max(steps) > 0


def measures_from_rows(rows: list[dict]) -> list[dict]:
    """Health measures as the editor left them: the source follows the name (days since contact reads
    touchpoints, anything else a usage column), blanks take the defaults; a name given twice counts once."""
    out, seen = [], set()
    for row in rows:
        name = str(row["name"])
        if name in seen:
            continue
        seen.add(name)
        contact = name == "days_since_contact"
        out.append({
            "name": name, "source": "touchpoints" if contact else "usage",
            "weight": float(row.get("weight") if row.get("weight") is not None else 1.0),
            "method": row.get("method") or ("linear" if contact else "percentile"),
            "agg": row.get("agg") or ("last" if contact else "sum"),
            "higher_is_better": bool(row["higher_is_better"]) if row.get("higher_is_better") is not None else not contact,
            "floor": float(row["floor"]) if row.get("floor") is not None else (90.0 if contact else 0.0),
            "target": float(row["target"]) if row.get("target") is not None else (14.0 if contact else None),
        })
    return out


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
    return R.run(db, "d2c_customers", as_of=as_of, horizon_days=horizon_days, **{"from": start or EARLIEST})


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
    return R.run(db, "d2c_cohorts", as_of=as_of, **{"from": start or EARLIEST})


def renewals_due(db: Database, as_of: dt.date, days: int = 90, scope: R.Scope | None = None) -> pd.DataFrame:
    """The active accounts whose renewal date falls in (as_of, as_of + days]."""
    return R.run(db, "renewals_due", scope, as_of=as_of, within_days=days)
