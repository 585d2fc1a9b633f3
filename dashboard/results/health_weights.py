"""The health weights the validation suggests (each measure's weight by how well it separated the accounts
that churned), and the results the Health page asks for to preview them: pure functions of a validation
result and the configuration, in the results layer so that ``prepare`` can keep the preview. Also the
measures as the Health page's editor leaves them (``measures_from_rows``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from dashboard.periods import validation_days

SUGGESTED_TOP_WEIGHT = 3.0


def suggest_weights(auc: pd.DataFrame, config: dict) -> pd.DataFrame:
    """Weights that follow the validation: each measure's weight in proportion to how much better than chance
    it separates the accounts that churned (AUC − 0.5), the best one at 3, rounded to halves; a measure no
    better than chance gets 0 (switched off). Empty when no measure beats chance."""
    current = {m["name"]: float(m.get("weight", 0)) for m in config["measures"]}
    if auc.empty:
        return pd.DataFrame(columns=["measure", "auc", "weight", "suggested"])
    lift = {m: max(0.0, (a or 0.5) - 0.5) for m, a in zip(auc["measure"], auc["auc"], strict=True)}
    best = max(lift.values())
    if best <= 0:
        return pd.DataFrame(columns=["measure", "auc", "weight", "suggested"])
    out = auc.assign(weight=[current.get(m, 0.0) for m in auc["measure"]],
                     suggested=[round(lift[m] / best * SUGGESTED_TOP_WEIGHT * 2) / 2 for m in auc["measure"]])
    return out.sort_values(["suggested", "measure"], ascending=[False, True], ignore_index=True)


def with_weights(config: dict, weights: dict[str, float]) -> dict:
    """The health configuration with new weights for the measures named (the others unchanged)."""
    return {**config, "measures": [{**m, "weight": float(weights.get(m["name"], m.get("weight", 0)))}
                                   for m in config["measures"]]}


def suggested_config(config: dict, suggested: pd.DataFrame) -> dict | None:
    """The configuration with the suggested weights, or None when there is no suggestion or it changes
    nothing."""
    if suggested is None or suggested.empty:
        return None
    weights = dict(zip(suggested["measure"], suggested["suggested"], strict=True))
    proposal = with_weights(config, weights)
    return None if proposal["measures"] == config["measures"] else proposal


def suggestion_views(as_of: dt.date, fetch: Any, horizon_days: int = 90) -> list[tuple[str, dict]]:
    """The results the Health page asks for to preview the suggested weights (the validation under them) on
    ``as_of`` with no filters: none when nothing is suggested. ``prepare`` keeps them beside the page views."""
    config = fetch("health_config")
    params = {"as_of": as_of, "days": validation_days(as_of, horizon_days=horizon_days), "horizon_days": horizon_days}
    if not params["days"] or not config["measures"]:
        return []
    proposal = suggested_config(config, suggest_weights(fetch("health_validation_auc", **params), config))
    if proposal is None:
        return []
    return [(name, {**params, "config": proposal}) for name in ("health_validation_bands", "health_validation_score_auc")]




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
