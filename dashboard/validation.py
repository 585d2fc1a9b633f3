"""The health score's validation, as the Health page shows it: for past as-of days, the churn in the
following 90 days per band and each measure's ROC AUC (aggregated in the results' SQL), the weights that
validation suggests, and the same validation under them beside the one in force."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard import results as R
from dashboard.db import Database
from dashboard.periods import validation_days
from dashboard.results.health_weights import suggest_weights, suggested_config

BANDS = ("red", "yellow", "green")


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
    # aggregated in SQL (at M the rows are 2.4M: a second in pandas); tests/oracles.roc_auc is their oracle
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
