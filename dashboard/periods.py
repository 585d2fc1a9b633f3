"""Calendar periods [s, e): day, ISO week, month, quarter and fiscal year (start month configurable)."""

from __future__ import annotations

import datetime as dt

GRAINS = ("day", "week", "month", "quarter", "fiscal_year")


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def default_start(as_of: dt.date, first: dt.date | None) -> dt.date:
    """Where the pages' period begins by default: a year before ``as_of``'s month, not before the data."""
    start = add_months(as_of.replace(day=1), -12)
    return max(start, first) if first else start


def period_start(day: dt.date, grain: str, fy_start_month: int = 4) -> dt.date:
    """The first day of the period containing ``day``. Quarters follow the fiscal year's start month."""
    if grain == "day":
        return day
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())  # ISO week, Monday start
    if grain == "month":
        return day.replace(day=1)
    if grain in ("quarter", "fiscal_year"):
        size = 3 if grain == "quarter" else 12
        offset = (day.month - fy_start_month) % size
        return add_months(day.replace(day=1), -offset)
    raise ValueError(f"unknown grain {grain!r}")


def next_start(start: dt.date, grain: str) -> dt.date:
    if grain == "day":
        return start + dt.timedelta(days=1)
    if grain == "week":
        return start + dt.timedelta(days=7)
    return add_months(start, {"month": 1, "quarter": 3, "fiscal_year": 12}[grain])


def periods(first: dt.date, as_of: dt.date, grain: str, fy_start_month: int = 4) -> list[tuple[dt.date, dt.date]]:
    """Periods from the one containing ``first`` to the one containing ``as_of``.

    The last period is cut at ``as_of + 1 day``: nothing after the as-of date counts yet.
    """
    out = []
    start = period_start(first, grain, fy_start_month)
    limit = as_of + dt.timedelta(days=1)
    while start <= as_of:
        end = next_start(start, grain)
        out.append((start, min(end, limit)))
        start = end
    return out


def is_complete(start: dt.date, end: dt.date, grain: str) -> bool:
    return end == next_start(start, grain)


def fiscal_year_label(start: dt.date, fy_start_month: int = 4) -> str:
    """Japanese convention: the fiscal year is named after the calendar year it starts in (FY2024 = 2024/4–2025/3)."""
    return f"FY{start.year}" if fy_start_month != 1 else str(start.year)


def within_data(as_of: dt.date, data_end: dt.date | None) -> dt.date:
    """The day figures are computed as of: ``as_of``, or the data's last day when ``as_of`` falls in a later
    month. Months after the data's end are unknown, never zero (an MRR trend falling to 0, NRR 0%, churn
    100%); a day later in the data's own last month is kept (exports lag by days: a usage file ending on
    the 10th read on the 15th is the month so far, and renewals count from the day asked for)."""
    if data_end is None or as_of <= data_end or (as_of.year, as_of.month) == (data_end.year, data_end.month):
        return as_of
    return data_end


def today(time_zone: str | None = None) -> dt.date:
    """Today in the workspace's time zone (setting ``time_zone``, Asia/Tokyo by default), not the server's:
    a server in UTC is still on yesterday until 09:00 in Tokyo."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return dt.datetime.now(ZoneInfo(time_zone or "Asia/Tokyo")).date()
    except (ZoneInfoNotFoundError, ValueError):
        return dt.date.today()


# The earliest day any data may have: 'from the beginning'.
EARLIEST = dt.date(1900, 1, 1)


def month_ends(start: dt.date, as_of: dt.date) -> list[dt.date]:
    """The last day of each month from ``start``'s month until before ``as_of``, then ``as_of`` itself."""
    days, month = [], start.replace(day=1)
    while (end := add_months(month, 1) - dt.timedelta(days=1)) < as_of:
        days.append(end)
        month = add_months(month, 1)
    return [*days, as_of]


def validation_days(as_of: dt.date, months_back: int = 6, horizon_days: int = 90) -> list[dt.date]:
    """The past days the validation scores: month starts 4 to 3 + months_back months back whose following
    horizon has fully passed by as_of."""
    return [past for k in range(months_back, 0, -1)
            if (past := add_months(as_of.replace(day=1), -k - 3)) + dt.timedelta(days=horizon_days) <= as_of]


def last_complete_month(as_of: dt.date) -> dt.date:
    """The last month that has fully ended by the as-of day (the as-of month if as_of is its last day)."""
    return add_months((as_of + dt.timedelta(days=1)).replace(day=1), -1)
