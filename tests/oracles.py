"""Reference figures worked out in pandas, row by row, for tests to hold the results' SQL against: not
product code (the app computes these in SQL), kept simple enough to check by eye."""

from __future__ import annotations

import math

import pandas as pd


def band(score: float | None, bands: list[float] | tuple[float, float] = (40, 70)) -> str | None:
    """red < 40, yellow 40–69.99, green >= 70 (the defaults)."""
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return None
    red, green = bands
    return "red" if score < red else "yellow" if score < green else "green"


def roc_auc(scores: pd.Series, churned: pd.Series) -> float | None:
    """How well a higher score separates stayers from churners (Mann–Whitney; 0.5 = no better than chance)."""
    stay, gone = scores[~churned.astype(bool)], scores[churned.astype(bool)]
    if stay.empty or gone.empty:
        return None
    ranks = pd.concat([stay, gone]).rank()
    r_stay = ranks.iloc[: len(stay)].sum()
    return float((r_stay - len(stay) * (len(stay) + 1) / 2) / (len(stay) * len(gone)))
