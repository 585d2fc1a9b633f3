"""Simulator drivers filled from the loaded data, each with the facts of where it came from (counts, days,
months), and those facts in words (``sources``)."""

from __future__ import annotations

import datetime as dt

from dashboard import periods as P
from dashboard import results as R
from dashboard.db import Database
from dashboard.periods import EARLIEST
from dashboard.results import Scope


def d2c_drivers(db: Database, as_of: dt.date, horizon_days: int = 365,
                fetch: R.runner.Fetch | None = None) -> dict | None:
    """AOV and purchase-count buckets (1, 2, 3+ with the mean of 3+) from orders over the horizon.
    ``fetch``: the caller's cache of what the results build on, as runner.run takes it."""
    customers = R.run(db, "d2c_customers", fetch=fetch, as_of=as_of, horizon_days=horizon_days,
                      **{"from": EARLIEST})
    if customers.empty:
        return None
    n = len(customers)
    counts = customers["orders"]
    three_plus = counts[counts >= 3]
    return {
        "aov": float(customers["revenue"].sum() / counts.sum()),
        "purchases": {1.0: float((counts == 1).sum() / n), 2.0: float((counts == 2).sum() / n),
                      float(three_plus.mean()) if len(three_plus) else 3.0: float(len(three_plus) / n)},
        "customers": n, "as_of": as_of, "horizon_days": horizon_days,
    }


def saas_drivers(db: Database, as_of: dt.date, scope: Scope | None = None,
                 fetch: R.runner.Fetch | None = None) -> dict | None:
    """ARPA and monthly churn (mean of the last 6 complete months), plus the survival curve from cohorts,
    over the accounts in ``scope``."""
    active = R.run(db, "accounts", scope, fetch=fetch, as_of=as_of)
    if active.empty:
        return None
    first_incomplete = (as_of + dt.timedelta(days=1)).replace(day=1)
    start = P.add_months(first_incomplete, -6)
    churn = R.run(db, "churn", scope, fetch=fetch, as_of=as_of, grain="month", start=start)
    churn = churn[churn["complete"] & churn["customer_churn_rate"].notna()].tail(6)
    monthly_churn = float(churn["customer_churn_rate"].mean()) if len(churn) else None
    cohorts = R.run(db, "cohorts", scope, fetch=fetch, as_of=as_of, from_month=EARLIEST)
    survival = []
    if len(cohorts):
        # Logo survival by months since cohort, weighted over every cohort that has reached month k.
        by_k = cohorts.groupby("k").agg(active=("logos_active", "sum"), base=("cohort_logos", "sum"))
        survival = (by_k["active"] / by_k["base"]).tolist()
    return {
        "arpa": float(active["mrr"].sum() / len(active)), "mrr": int(active["mrr"].sum()), "accounts": len(active),
        "monthly_churn": monthly_churn, "churn_months": [f"{d:%Y-%m}" for d in churn["period_start"]],
        "survival": survival, "as_of": as_of,
    }


def sources(d2c: dict | None, saas: dict | None, lang: str) -> list[tuple[str, str]]:
    """Where the calibrated drivers came from, in the user's language: (which drivers, from what) pairs,
    made from the facts ``d2c_drivers`` and ``saas_drivers`` return."""
    from dashboard import i18n

    out = []
    if d2c:
        out.append((i18n.t("sim_source_d2c_drivers", lang),
                    i18n.t("sim_source_d2c", lang, n=i18n.integer(d2c["customers"]), as_of=f"{d2c['as_of']:%Y/%m/%d}",
                           days=i18n.integer(d2c["horizon_days"]))))
    if saas:
        months = saas["churn_months"]
        churn = (i18n.t("sim_source_churn", lang, n=len(months), first=months[0].replace("-", "/"),
                        last=months[-1].replace("-", "/")) if months and saas["monthly_churn"] is not None
                 else i18n.t("sim_source_no_churn", lang))
        out.append((i18n.t("sim_source_saas_drivers", lang),
                    i18n.t("sim_source_saas", lang, n=i18n.integer(saas["accounts"]),
                           as_of=f"{saas['as_of']:%Y/%m/%d}", churn=churn)))
    return out
