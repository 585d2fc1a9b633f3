"""The workspace currency: which symbols an amount may carry on the way in, and how it is shown.

Amounts are stored exactly (DECIMAL(18,4)) in the workspace currency; nothing here converts between
currencies. The currency in force is a context variable, set once per app run or command from the
workspace setting, so formatting functions need no extra argument and threads do not share it.
"""

from __future__ import annotations

import contextvars
import math
from dataclasses import dataclass
from decimal import Decimal

# Storage type of every amount, and its bound (|amount| < 10^14): exact to 1/10,000 of the unit.
SQL_TYPE = "DECIMAL(18,4)"
SCALE = 4


@dataclass(frozen=True)
class Currency:
    code: str
    symbol: str  # shown before the amount
    decimals: int  # minor unit digits shown
    accepted: tuple[str, ...]  # what the parser strips from an amount (besides the code itself)
    label_ja: str
    label_en: str


CURRENCIES: dict[str, Currency] = {c.code: c for c in (
    Currency("JPY", "¥", 0, ("¥", "￥", "\\", "円"), "日本円 (¥)", "Japanese yen (¥)"),
    Currency("USD", "$", 2, ("US$", "$", "＄", "ドル"), "米ドル ($)", "US dollar ($)"),
    Currency("EUR", "€", 2, ("€", "ユーロ"), "ユーロ (€)", "Euro (€)"),
    Currency("GBP", "£", 2, ("£", "￡", "ポンド"), "英ポンド (£)", "Pound sterling (£)"),
    Currency("KRW", "₩", 0, ("₩", "￦", "ウォン"), "韓国ウォン (₩)", "Korean won (₩)"),
)}
DEFAULT = "JPY"

_current: contextvars.ContextVar[str] = contextvars.ContextVar("currency", default=DEFAULT)


def use(code: str | None) -> Currency:
    """Make ``code`` the currency of this run (unknown codes fall back to the default)."""
    currency = CURRENCIES.get(code or DEFAULT, CURRENCIES[DEFAULT])
    _current.set(currency.code)
    return currency


def current() -> Currency:
    return CURRENCIES[_current.get()]


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt(value: float | int | Decimal | None, lang: str = "ja") -> str:
    """12345.6 -> '¥12,346' (JPY) or '$12,345.60' (USD); '—' for no value."""
    if _missing(value):
        return "—"
    c = current()
    number = float(value)
    text = f"{abs(number):,.{c.decimals}f}"
    return f"-{c.symbol}{text}" if number < 0 and text.strip("0.,") else f"{c.symbol}{text}"


def compact(value: float | int | Decimal | None, lang: str = "ja") -> str:
    """Large amounts where space is short: '¥1.20億' / '¥3,450万' (yen in Japanese), else '$12.3M'."""
    if _missing(value):
        return "—"
    c = current()
    number = float(value)
    sign = "-" if number < 0 else ""
    v = abs(number)
    if lang == "ja" and c.code == "JPY":
        if v >= 1e8:
            return f"{sign}¥{v / 1e8:,.2f}億"
        if v >= 1e6:
            return f"{sign}¥{v / 1e4:,.0f}万"
        if v >= 1e4:  # one decimal below 100万: ¥1.4万 and ¥1.0万 are different cohorts, not both ¥1万
            return f"{sign}¥{v / 1e4:,.1f}".removesuffix(".0") + "万"
        return f"{sign}¥{v:,.0f}"
    for size, unit in ((1e9, "B"), (1e6, "M")):
        if v >= size:
            return f"{sign}{c.symbol}{v / size:,.{1 if unit == 'M' else 2}f}{unit}"
    if v >= 1e4:
        return f"{sign}{c.symbol}{v / 1e3:,.0f}K"
    return f"{sign}{c.symbol}{v:,.{c.decimals}f}"


def card(value: float | int | Decimal | None, lang: str = "ja", width: int = 9) -> str:
    """A KPI card's value: exact when it fits in ``width`` characters ('$1,334.60'), else compact
    ('¥3,990万'); the card's help carries the exact figure."""
    exact = fmt(value, lang)
    return exact if len(exact) <= width else compact(value, lang)


def card_with_delta(value: float | int | Decimal | None, delta: float | int | Decimal | None, lang: str = "ja",
                    width: int = 9) -> tuple[str, str]:
    """A KPI card's value and its change in one form: both exact when the value fits ('¥874,000' and
    '-¥12,000'), else both compact ('¥3,990万' and '-¥12万'); never '¥874,000' over '¥87万'."""
    exact = fmt(value, lang)
    if len(exact) <= width:
        return exact, fmt(delta, lang)
    return compact(value, lang), compact(delta, lang)


def d3(field: str) -> str:
    """A Plotly hover/text template for an amount: '¥%{y:,.0f}' or '$%{y:,.2f}'."""
    c = current()
    return f"{c.symbol}%{{{field}:,.{c.decimals}f}}"


def ticks(low: float, high: float, lang: str = "ja", count: int = 4) -> tuple[list[float], list[str]]:
    """Round tick values spanning [low, high] (about ``count`` of them) and their labels in the form the
    cards use ('¥3,600万', '$1.2M'), so an axis and the card above it read in one unit."""
    values = round_ticks(low, high, count)
    return values, axis_labels(values, lang)


def axis_labels(values: list[float], lang: str = "ja") -> list[str]:
    """Labels for the ticks of one axis, all in one unit chosen by the largest ('¥0, ¥50万, ¥100万',
    never '¥5,000' beside '¥1万'), with as few decimals as tell them apart exactly."""
    c = current()
    big = max((abs(float(v)) for v in values), default=0.0)
    if lang == "ja" and c.code == "JPY":
        units = ((2e8, 1e8, "億"), (1e5, 1e4, "万"))
    else:
        units = ((1e9, 1e9, "B"), (1e6, 1e6, "M"), (1e4, 1e3, "K"))
    size, unit = next(((size, unit) for start, size, unit in units if big >= start), (1.0, ""))
    scaled = [float(v) / size for v in values]
    decimals = next((d for d in range(3) if all(abs(x - round(x, d)) < 1e-9 for x in scaled)), 3)
    return [f"{'-' if x < 0 else ''}{c.symbol}{abs(x):,.{decimals}f}{unit}" if x else f"{c.symbol}0" for x in scaled]


def round_ticks(low: float, high: float, count: int = 5, least_step: float = 0.0) -> list[float]:
    """Tick values from below ``low`` to above ``high``, a round step apart (d3's rule: a power of ten
    times 1, 2 or 5, nearest (high - low) / count), the step at least ``least_step`` (1 for counts)."""
    low, high = float(low), float(high)
    if not math.isfinite(low) or not math.isfinite(high) or high <= low:
        high = low + 1.0
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    error = raw / power
    step = power * (10 if error >= math.sqrt(50) else 5 if error >= math.sqrt(10) else 2 if error >= math.sqrt(2) else 1)
    step = max(step, least_step)
    first = math.floor(low / step) * step
    return [round(first + i * step, 6) for i in range(int(math.ceil((high - first) / step)) + 1)]


def total(values) -> float:
    """The sum of amounts that reached pandas as floats, back to 4 decimals (0.1 + 0.2 -> 0.3)."""
    return round(float(sum(values) if not hasattr(values, "sum") else values.sum()), SCALE) + 0.0


def column_format() -> str:
    """The format of an amount column in a table (Streamlit's presets where one exists)."""
    code = current().code
    presets = {"JPY": "yen", "USD": "dollar", "EUR": "euro"}
    return presets.get(code) or f"{current().symbol}%,.{current().decimals}f"  # ",": Streamlit's thousands flag


def currency_name(code: object, lang: str = "ja") -> str:
    """A currency as the user reads it: 日本円, 米ドル, US dollar (a code no workspace uses stays the file's code)."""
    known = CURRENCIES.get(str(code).upper())
    if known is None:
        return str(code)
    return {"ja": known.label_ja}.get(lang, known.label_en).split(" (")[0]
