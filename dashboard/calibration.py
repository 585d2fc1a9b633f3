"""Simulator drivers filled from the loaded data, each with where it came from."""

from __future__ import annotations

import datetime as dt

from dashboard import metrics as M
from dashboard.db import Database
from dashboard.results import Scope


def d2c_drivers(db: Database, as_of: dt.date, horizon_days: int = 365) -> dict | None:
    """AOV and purchase-count buckets (1, 2, 3+ with the mean of 3+) from orders over the horizon."""
    customers = M.d2c_customers(db, as_of, horizon_days)
    if customers.empty:
        return None
    n = len(customers)
    counts = customers["orders"]
    three_plus = counts[counts >= 3]
    return {
        "aov": float(customers["revenue"].sum() / counts.sum()),
        "purchases": {1.0: float((counts == 1).sum() / n), 2.0: float((counts == 2).sum() / n),
                      float(three_plus.mean()) if len(three_plus) else 3.0: float(len(three_plus) / n)},
        "customers": n,
        "source": f"orders: {n:,} customers, first order ≤ {as_of:%Y-%m-%d}, {horizon_days}-day horizon",
    }


def saas_drivers(db: Database, as_of: dt.date, scope: Scope | None = None) -> dict | None:
    """ARPA and monthly churn (mean of the last 6 complete months), plus the survival curve from cohorts,
    over the accounts in ``scope``."""
    active = M.active_accounts(db, as_of, scope=scope)
    if active.empty:
        return None
    first_incomplete = (as_of + dt.timedelta(days=1)).replace(day=1)
    start = M.P.add_months(first_incomplete, -6)
    churn = M.churn(db, as_of, "month", start, scope=scope)
    churn = churn[churn["complete"] & churn["customer_churn_rate"].notna()].tail(6)
    monthly_churn = float(churn["customer_churn_rate"].mean()) if len(churn) else None
    cohorts = M.cohorts(db, as_of, scope=scope)
    survival = []
    if len(cohorts):
        # Logo survival by months since cohort, weighted over every cohort that has reached month k.
        by_k = cohorts.groupby("k").agg(active=("logos_active", "sum"), base=("cohort_logos", "sum"))
        survival = (by_k["active"] / by_k["base"]).tolist()
    return {
        "arpa": float(active["mrr"].sum() / len(active)), "mrr": int(active["mrr"].sum()), "accounts": len(active),
        "monthly_churn": monthly_churn, "churn_months": [f"{d:%Y-%m}" for d in churn["period_start"]],
        "survival": survival,
        "source": f"accounts active on {as_of:%Y-%m-%d}: {len(active):,}; churn: mean of "
                  f"{len(churn)} complete months",
    }
