"""Open a figure's drill-down: the accounts behind one of its values, and that value worked out again from
them. The declarations are in the catalogue (``catalog.DRILLS``); the app's page, the command line
(``python -m dashboard drill``) and the tests all open drill-downs here.

``call(name, **params)`` runs a result (the app's cached ``ui.q``, or ``views.caller(db, scope)``): the
figure and its list are asked for through the same call, so they share the account filters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from dashboard.results.catalog import DRILLS, RESULTS, Drill, Total
from dashboard.results.runner import ResultError

# The type of each parameter a figure or list can take, for values given as text (a URL, the command line).
DATE_PARAMS = {"as_of", "start", "from_month", "d1", "from", "month", "period_start", "cohort"}
INT_PARAMS = {"within_days", "days", "horizon_days", "k"}


@dataclass
class Opened:
    drill: Drill
    column: str
    keys: dict[str, Any]
    figure_value: Any  # the figure's own value for these keys (None when the keys name no row)
    list_value: Any  # the same worked out from the list
    rows: pd.DataFrame  # the accounts behind the value (a rate: its denominator's rows, or its numerator's)
    counted: int  # the rows in the numerator (a rate), else len(rows)


def drill_for(figure: str) -> Drill:
    if figure not in DRILLS:
        raise ResultError(f"there is no drill-down for {figure!r}; choose one of {', '.join(DRILLS)}")
    return DRILLS[figure]


def typed(name: str, value: Any, fmt: str | None = None) -> Any:
    """A parameter or key given as text, as the results take it: dates (2026-09 is 1 September), numbers."""
    if not isinstance(value, str):
        return value
    if name in DATE_PARAMS or fmt in ("date", "month"):
        text = value.strip()
        return dt.date.fromisoformat(text + "-01" if len(text) == 7 else text[:10])
    if name in INT_PARAMS or fmt == "int":
        return int(value)
    return value


def _plain(value: Any) -> Any:
    """A cell as comparable to a key: dates as dates, blanks as "none"."""
    if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return "none"
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if hasattr(value, "item") and not isinstance(value, (str, Decimal)):
        return value.item()
    return value


def _matching(frame: pd.DataFrame, keys: dict[str, Any]) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, value in keys.items():
        mask &= frame[column].map(_plain) == _plain(value)
    return mask


def _where(frame: pd.DataFrame, where: tuple[str, tuple] | None) -> pd.DataFrame:
    if where is None:
        return frame
    column, values = where
    return frame[frame[column].map(_plain).isin([_plain(v) for v in values])]


def value_of(total: Total, frame: pd.DataFrame) -> Any:
    """A figure worked out from its list's rows (None for a rate over nothing, as the figures leave it)."""
    if total.agg == "rate":
        numerator, denominator = (value_of(t, frame) for t in total.of)
        return None if not denominator else float(numerator) / float(denominator)
    rows = _where(frame, total.where)
    if total.agg == "count":
        return len(rows)
    return sum((Decimal(str(v)) for v in rows[total.column] if pd.notna(v)), Decimal(0))


def rows_of(total: Total, frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The rows behind a figure — a count's or a sum's own rows; a rate's denominator rows (or numerator
    rows, as it declares) — and how many of them the numerator counts."""
    if total.agg == "rate":
        numerator = rows_of(total.of[0], frame)[0]
        shown = numerator if total.rows == "numerator" else rows_of(total.of[1], frame)[0]
        return shown, len(numerator)
    rows = _where(frame, total.where)
    return rows, len(rows)


def _columns_of(total: Total) -> set[str]:
    """The list's columns a figure is made from."""
    if total.agg == "rate":
        return _columns_of(total.of[0]) | _columns_of(total.of[1])
    return {c for c in (total.column, total.where[0] if total.where else None) if c}


def figure_params(drill: Drill, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters the figure takes, of those given."""
    result = RESULTS[drill.figure]
    return {k: v for k, v in params.items() if k in result.params or k in result.defaults}


def accounts(call: Callable[..., Any], drill: Drill, keys: dict[str, Any], params: dict[str, Any]) -> pd.DataFrame:
    """Every row of the drill-down list for these keys (before a column's own rows are picked)."""
    result = RESULTS[drill.result]
    taken = {k: v for k, v in keys.items() if k in result.params}
    own = {k: v for k, v in params.items() if k in result.params or k in result.defaults}
    missing = [p for p in result.params if p not in taken and p not in own]
    if missing:
        raise ResultError(f"the drill-down of {drill.figure!r} needs {', '.join(missing)}")
    frame = call(drill.result, **own, **taken)
    rest = {k: v for k, v in keys.items() if k not in result.params}
    return frame[_matching(frame, rest)].reset_index(drop=True) if rest else frame


def open_drill(call: Callable[..., Any], figure: str, column: str | None = None, keys: dict[str, Any] | None = None,
               **params: Any) -> Opened:
    """The accounts behind the figure's ``column`` in the row named by ``keys`` (its first column by
    default), with the figure's value and the list's own working of it."""
    drill = drill_for(figure)
    column = column or next(iter(drill.totals))
    if column not in drill.totals:
        raise ResultError(f"{figure!r} has no drill-down for {column!r}; choose one of {', '.join(drill.totals)}")
    figure_columns = {c.name: c.fmt for c in RESULTS[drill.figure].columns}
    keys = {k: typed(k, v, figure_columns.get(k)) for k, v in (keys or {}).items()}
    unknown = [k for k in keys if k not in drill.keys]
    if unknown:
        raise ResultError(f"{figure!r} rows are named by {', '.join(drill.keys) or 'nothing'}, not {', '.join(unknown)}")
    params = {k: typed(k, v) for k, v in params.items()}
    figure_frame = call(drill.figure, **figure_params(drill, params))
    picked = figure_frame[_matching(figure_frame, keys)] if keys else figure_frame
    total = drill.totals[column]
    if len(picked) == 1:
        figure_value = picked.iloc[0][column]
    elif len(picked) > 1 and total.agg != "rate":  # keys left out: the rows' sum (every band's renewals)
        figure_value = picked[column].sum()
    else:
        figure_value = None
    frame = accounts(call, drill, keys, params)
    rows, counted = rows_of(total, frame)
    used = _columns_of(total)
    shown = [c for c in drill.show if c in rows and (c not in drill.optional or c in used)]
    return Opened(drill, column, keys, None if pd.isna(figure_value) else figure_value, value_of(total, frame),
                  rows[shown].reset_index(drop=True), counted)
