"""Parsing the values real exports contain: yen strings, Japanese dates, Excel serials, blanks.

Each parser takes a raw cell (str, number, date or None) and returns the typed value, ``None`` for a
blank, or raises ``ValueError`` with a message key (see i18n) for text it cannot read.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from decimal import Decimal

from dashboard import money
from dashboard.imports import vocabulary

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


# The folding values_sql.py does (v_fold, v_trim), and no more: full-width ASCII and the ideographic space to
# ASCII, ￥ to ¥; trimmed of spaces, tabs, line breaks and ideographic spaces. Not NFKC: ①, ² or 𝟙 is no digit
# (and digits are ASCII 0-9 in every pattern below, never \d, which takes ٣ or ३ too).
_FOLD = str.maketrans({**{chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)}, "\u3000": " ", "\uffe5": "\u00a5"})
SPACES = " \t\r\n\u3000"


def normalize_text(value: object) -> str:
    """Full-width ASCII to ASCII (１２０００, Ｎ／Ａ), trimmed of white space (SPACES)."""
    return str(value).translate(_FOLD).strip(SPACES)


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
    text = str(value).strip(SPACES)
    return text or None


def parse_id(value: object) -> str | None:
    """Text with its width folded, as normalize_text does (Ａ００１ -> A001)."""
    text = parse_text(value)
    return normalize_text(text) if text is not None else None


_SHIFTS = {"万": 4, "億": 8, "千": 3, None: 0}  # powers of ten
_NUMBER_RE = re.compile(r"([+-]?)([0-9]+(?:\.[0-9]+)?)(万|億|千)?")


def amount_marks(currency: money.Currency) -> list[str]:
    """What an amount may carry besides its number, longest first: the currency's symbols and its code (either
    case), separators, tax notes. All are taken out in one pass (values_sql.py uses the same list), so taking
    one out never joins two others into a third (1税,込 stays no number)."""
    marks = sorted({*currency.accepted, currency.code, currency.code.lower()}, key=lambda m: (-len(m), m))
    return [*marks, ",", " ", "税込", "税抜"]


def _bounded(number: Decimal, value: object) -> Decimal:
    if number.copy_abs() >= MAX_ABS:
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
    # the workspace currency decides which marks an amount may carry
    text = re.sub("|".join(map(re.escape, amount_marks(money.current()))), "", text)
    m = _NUMBER_RE.fullmatch(text)
    if not m:
        raise ParseError("not_a_number", value)
    sign, digits, unit = m.groups()
    if len(digits.split(".")[0]) > 16:  # far beyond the bound, before any arithmetic on it
        raise ParseError("number_too_large", value)
    # exact, whatever the length: Decimal arithmetic (*, -, abs) would round to the context's 28 digits
    number = Decimal(f"{digits}e{_SHIFTS[unit]}")
    if sign == "-" or negative:
        number = number.copy_negate()
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


# (fullmatch: a pattern's end is the text's end, not a line's; ".*" stops at a line break, as in the SQL rules)
_DATE_PATTERNS = [
    re.compile(r"([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})(?:[ T].*)?"),
    re.compile(r"([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日.*"),
    re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})"),
]
_MONTH_PATTERNS = [
    re.compile(r"([0-9]{4})[-/.]([0-9]{1,2})"),
    re.compile(r"([0-9]{4})年([0-9]{1,2})月"),
    re.compile(r"([0-9]{4})([0-9]{2})"),
]
_ERA = {"令和": 2018, "R": 2018, "平成": 1988, "H": 1988}
_ERA_RE = re.compile(r"(令和|平成|R|H)([0-9]{1,2}|元)[年./-]([0-9]{1,2})[月./-]([0-9]{1,2})日?")


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
        m = pattern.fullmatch(text)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            try:
                return dt.date(y, mo, d)
            except ValueError as exc:
                raise ParseError("not_a_date", value) from exc
    m = _ERA_RE.fullmatch(text)
    if m:
        era, year, mo, d = m.groups()
        try:
            return dt.date(_ERA[era] + (1 if year == "元" else int(year)), int(mo), int(d))
        except ValueError as exc:
            raise ParseError("not_a_date", value) from exc
    if re.fullmatch(r"[0-9]{5}(\.[0-9]+)?", text):
        return _excel_serial(float(text))
    month = _parse_month_text(text)
    if month is not None:
        return month
    raise ParseError("not_a_date", value)


def _parse_month_text(text: str) -> dt.date | None:
    for pattern in _MONTH_PATTERNS:
        m = pattern.fullmatch(text)
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


def _word(kind: str):
    """A parser of one of vocabulary.WORDS' kinds: the canonical value of a word it lists."""
    words = vocabulary.lookup(kind)
    key = vocabulary.ERROR_KEYS[kind]

    def parse(value: object) -> str | None:
        if is_blank(value):
            return None
        text = normalize_text(value).lower()
        if text in words:
            return words[text]
        if kind == "duration":
            m = re.fullmatch(vocabulary.MONTHS_PATTERN, text)
            if m:
                return str(int(m.group(1)))
        raise ParseError(key, value)
    parse.__name__ = f"parse_{kind}"
    return parse


parse_interval = _word("interval")
parse_line_kind = _word("line_kind")
parse_duration = _word("duration")
_parse_flag_word = _word("flag")


def parse_flag(value: object) -> bool | None:
    """yes/no: true, 1, はい, ○, 税込 … (vocabulary.WORDS['flag'])."""
    word = _parse_flag_word(value)
    return None if word is None else word == "true"


def parse_rate(value: object) -> float | None:
    """A tax or discount rate as a fraction: '10%', '８％', '0.1', '10', '軽減8%' -> 0.1 / 0.08. A number of 1 or
    more without % is a percentage (1 is 1%); a rate above 100% is refused."""
    if is_blank(value):
        return None
    m = re.fullmatch(vocabulary.RATE_PATTERN, normalize_text(value).lower())
    if not m:
        raise ParseError("not_a_rate", value)
    number = float(m.group(2))
    rate = number / 100 if m.group(4) or number >= 1 else number
    if rate > 1:
        raise ParseError("not_a_rate", value)
    return rate


def parse_period(value: object) -> str | None:
    """A service period in one cell ('2026/04/01～2026/04/30', '2026年4月1日〜2026年4月30日', '2026/04/01-2026/04/30',
    or a month: '2026年4月分', '2026/04') as 'YYYY-MM-DD/YYYY-MM-DD'; refused when a side is no date or it ends
    before it starts."""
    if is_blank(value):
        return None
    text = normalize_text(value)
    m = re.fullmatch(vocabulary.PERIOD_SLASHED, text) or re.fullmatch(vocabulary.PERIOD_PATTERN, text)
    month = re.fullmatch(vocabulary.PERIOD_MONTH, text)
    try:
        if m:
            start, end = parse_date(m.group(1)), parse_date(m.group(3))
        elif month and 1 <= int(month.group(3)) <= 12 and int(month.group(1)) >= 1900:
            start = dt.date(int(month.group(1)), int(month.group(3)), 1)
            end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        else:
            start = end = None
    except ParseError:
        start = end = None
    if start is None or end is None or end < start:
        raise ParseError("not_a_period", value)
    return f"{start.isoformat()}/{end.isoformat()}"


PARSERS = {
    "id": parse_id,
    "text": parse_text,
    "money": parse_money,
    "number": parse_number,
    "date": parse_date,
    "month": parse_month,
    "flag": parse_flag,
    "interval": parse_interval,
    "line_kind": parse_line_kind,
    "duration": parse_duration,
    "rate": parse_rate,
    "period": parse_period,
}
