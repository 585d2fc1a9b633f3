"""Parsing the values real exports contain: yen strings, Japanese dates, Excel serials, blanks.

Each parser takes a raw cell (str, number, date or None) and returns the typed value, ``None`` for a
blank, or raises ``ValueError`` with a message key (see i18n) for text it cannot read.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata
from decimal import Decimal

from dashboard import money

BLANKS = {"", "-", "ー", "－", "—", "n/a", "na", "null", "none", "nan", "#n/a", "なし", "未設定"}
EXCEL_EPOCH = dt.date(1899, 12, 30)


# Amounts and measures at or beyond 10^14 (100兆) are no real figure: rejected, never overflowing storage
# (amounts are DECIMAL(18,4): exact to 1/10,000 of the currency unit, never rounded on the way in).
MAX_ABS = Decimal(10) ** 14
MONEY_SCALE = 4
MAX_TEXT = 100  # characters; longer text is no date


class ParseError(ValueError):
    def __init__(self, key: str, value: object):
        super().__init__(key)
        self.key = key
        self.value = value


def _guarded(key: str):
    """Whatever a parser meets, it answers with a value or a ParseError naming the value: an overflow,
    an invalid decimal operation or an impossible date in the standard library is the cell's problem,
    not the import's (so one odd cell becomes a rejected row with its row and column, not a traceback)."""
    def wrap(parser):
        @functools.wraps(parser)
        def run(value: object):
            try:
                return parser(value)
            except ParseError:
                raise
            except (ValueError, ArithmeticError, TypeError) as exc:  # OverflowError, InvalidOperation too
                raise ParseError(key, value) from exc
        return run
    return wrap


def normalize_text(value: object) -> str:
    """NFKC (full-width digits and letters to ASCII), trimmed."""
    return unicodedata.normalize("NFKC", str(value)).strip()


def is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str):
        return normalize_text(value).lower() in BLANKS
    return False


def parse_text(value: object) -> str | None:
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an ID typed as a number in Excel
    text = str(value).strip()
    return text or None


# Width folding for IDs, as the SQL path does it: full-width ASCII and the ideographic space (Ａ００１ -> A001).
_WIDTH = str.maketrans({**{chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)}, "\u3000": " "})


def parse_id(value: object) -> str | None:
    text = parse_text(value)
    return text.translate(_WIDTH).strip() if text is not None else None


_MULTIPLIERS = {"万": Decimal(10_000), "億": Decimal(100_000_000), "千": Decimal(1_000)}
_NUMBER_RE = re.compile(r"^([+-]?)(\d+(?:\.\d+)?)(万|億|千)?$")


def _bounded(number: Decimal, value: object) -> Decimal:
    if abs(number) >= MAX_ABS:
        raise ParseError("number_too_large", value)
    return number


@_guarded("not_a_number")
def parse_decimal(value: object) -> Decimal | None:
    """'¥120,000', '120,000円', '12万円', '１２０００', '(1,200)', 1200.0 -> Decimal."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ParseError("not_a_number", value)
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ParseError("not_a_number", value)
        return _bounded(Decimal(repr(value)) if isinstance(value, float) else Decimal(value), value)
    text = re.sub(r"\((税込|税抜)\)", "", normalize_text(value))  # 5,000円（税込）: a note, not a sign
    negative = text.startswith("(") and text.endswith(")") or text.startswith("▲") or text.startswith("△")
    text = text.strip("()▲△")
    currency = money.current()  # the workspace currency decides which marks an amount may carry
    for token in sorted({*currency.accepted, currency.code, currency.code.lower()}, key=len, reverse=True):
        text = text.replace(token, "")
    for token in (",", " ", "税込", "税抜"):
        text = text.replace(token, "")
    m = _NUMBER_RE.match(text)
    if not m:
        raise ParseError("not_a_number", value)
    sign, digits, unit = m.groups()
    if len(digits.split(".")[0]) > 16:  # far beyond the bound, before any arithmetic on it
        raise ParseError("number_too_large", value)
    number = Decimal(digits) * _MULTIPLIERS.get(unit, Decimal(1))
    if sign == "-" or negative:
        number = -number
    return _bounded(number, value)


@_guarded("not_a_number")
def parse_money(value: object) -> Decimal | None:
    """An exact amount in the workspace currency: never rounded; more than 4 decimals is refused."""
    number = parse_decimal(value)
    if number is None:
        return None
    if number != number.quantize(Decimal(1).scaleb(-MONEY_SCALE)):
        raise ParseError("too_many_decimals", value)
    return number.quantize(Decimal(1).scaleb(-MONEY_SCALE)).normalize() if number else Decimal(0)


@_guarded("not_a_number")
def parse_number(value: object) -> float | None:
    number = parse_decimal(value)
    return float(number) if number is not None else None


_DATE_PATTERNS = [
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日(?:.*)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]
_MONTH_PATTERNS = [
    re.compile(r"^(\d{4})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月$"),
    re.compile(r"^(\d{4})(\d{2})$"),
]
_ERA = {"令和": 2018, "R": 2018, "平成": 1988, "H": 1988}
_ERA_RE = re.compile(r"^(令和|平成|R|H)(\d{1,2}|元)[年./-](\d{1,2})[月./-](\d{1,2})日?$")


def _excel_serial(number: float) -> dt.date:
    if not 1 <= number < 2_958_466:  # 1900-01-01 .. 9999-12-31
        raise ParseError("not_a_date", number)
    return EXCEL_EPOCH + dt.timedelta(days=int(number))


# The earliest date a value may hold: a contract or an order before 1900 is a typo or a placeholder
# (0001/01/01), and would stretch every month spine back to it. Later dates (9999/12/31 = "no end") are kept.
MIN_DATE = dt.date(1900, 1, 1)


def _in_range(parser):
    @functools.wraps(parser)
    def run(value: object):
        day = parser(value)
        if day is not None and day < MIN_DATE:
            raise ParseError("date_out_of_range", value)
        return day
    return run


@_in_range
@_guarded("not_a_date")
def parse_date(value: object) -> dt.date | None:
    """2024/4/1, 2024-04-01, 2024年4月1日, 令和6年4月1日, 20240401, Excel serial 45383 -> date."""
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _excel_serial(float(value))
    if len(str(value)) > MAX_TEXT:
        raise ParseError("not_a_date", value)
    text = normalize_text(value)
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            try:
                return dt.date(y, mo, d)
            except ValueError as exc:
                raise ParseError("not_a_date", value) from exc
    m = _ERA_RE.match(text)
    if m:
        era, year, mo, d = m.groups()
        try:
            return dt.date(_ERA[era] + (1 if year == "元" else int(year)), int(mo), int(d))
        except ValueError as exc:
            raise ParseError("not_a_date", value) from exc
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return _excel_serial(float(text))
    month = _parse_month_text(text)
    if month is not None:
        return month
    raise ParseError("not_a_date", value)


def _parse_month_text(text: str) -> dt.date | None:
    for pattern in _MONTH_PATTERNS:
        m = pattern.match(text)
        if m:
            y, mo = (int(g) for g in m.groups())
            if 1 <= mo <= 12:
                return dt.date(y, mo, 1)
    return None


@_in_range
@_guarded("not_a_date")
def parse_month(value: object) -> dt.date | None:
    """'2024-04', '2024年4月', '202404' or any date -> the first day of its month."""
    if is_blank(value):
        return None
    if isinstance(value, str):
        month = _parse_month_text(normalize_text(value))
        if month is not None:
            return month
    day = parse_date(value)
    return day.replace(day=1) if day else None


PARSERS = {
    "id": parse_id,
    "text": parse_text,
    "money": parse_money,
    "number": parse_number,
    "date": parse_date,
    "month": parse_month,
}
