"""The D2C page's summary of customers' purchases: arithmetic on the ``d2c_customers`` result (one row per
customer, aggregated in SQL)."""

from __future__ import annotations

import datetime as dt

from dashboard import money
from dashboard import results as R
from dashboard.db import Database
from dashboard.periods import EARLIEST


def d2c_summary(db: Database, as_of: dt.date, horizon_days: int = 365, start: dt.date | None = None,
                mature_only: bool = False, fetch: R.runner.Fetch | None = None) -> dict | None:
    """AOV, purchase-count distribution (1/2/3+ and 1..5/6+), repeat rate and empirical LTV per customer."""
    customers = R.run(db, "d2c_customers", fetch=fetch, as_of=as_of, horizon_days=horizon_days,
                      **{"from": start or EARLIEST})
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
