"""The value rules of parsing.py as DuckDB macros, so an import types millions of cells in SQL.

Same results and the same rejection keys as the Python parsers (tests/test_values_sql.py runs both on
every rule, on fixed cells and on fuzzed ones). Each rule has a fast path for the shape real exports use
most (`2024-04-01`, `12000`), checked by one regular expression, and falls back to the full rules only for
the other cells.

The macro text is built here from constants (full-width characters, the workspace currency's
symbols from money.CURRENCIES): no user text ever reaches it.
"""

from __future__ import annotations

import itertools
import re

from dashboard.imports import vocabulary
from dashboard.imports.parsing import MAX_TEXT, MIN_DATE, amount_marks
from dashboard.money import CURRENCIES, Currency

# NFKC for what matters in numbers, dates and IDs: full-width ASCII, the ideographic space, ￥.
_FULL = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000\uffe5"
_HALF = "".join(chr(c) for c in range(0x21, 0x7F)) + " \u00a5"
BLANKS = ("", "-", "ー", "—", "n/a", "na", "null", "none", "nan", "#n/a", "なし", "未設定")
MAX_ABS = "100000000000000"  # 10^14: |amount| must stay below (DECIMAL(18,4))
ID_SHAPE = "[0-9A-Za-z][0-9A-Za-z_.-]*"  # an ID as most exports write it (v_id's fast path)
YEAR_1900 = "(19|[2-9][0-9])[0-9]{2}"  # a year from parsing.MIN_DATE's (1900) on: the date fast paths' years
if (MIN_DATE.year, MIN_DATE.month, MIN_DATE.day) != (1900, 1, 1):
    raise ImportError("YEAR_1900 must follow parsing.MIN_DATE")


def _lit(text: str) -> str:
    """A SQL string literal of constant text."""
    return "'" + text.replace("'", "''") + "'"


def literal(word: str) -> str:
    """A SQL literal of one of vocabulary's canonical words (mapping.implied): refused if it is anything else."""
    if not any(word in values for values in vocabulary.WORDS.values()):
        raise ValueError(word)
    return _lit(word)


def zone_literal(zone: str) -> str:
    """A SQL literal of a time zone name (Asia/Tokyo, UTC), refused unless it is one this machine knows."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not re.fullmatch(r"[A-Za-z0-9_+/-]{1,64}", zone or ""):
        raise ValueError(zone)
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: a folder of zones (Asia)
        raise ValueError(zone) from exc
    return _lit(zone)


def _re2_escape(text: str) -> str:
    return "".join("\\" + ch if ch in r".^$*+?()[]{}|\/-" else ch for ch in text)


def symbols_pattern(currency: Currency) -> str:
    """What an amount may carry besides its number (parsing.amount_marks: currency marks, separators, tax notes)."""
    return "|".join(_re2_escape(m) for m in amount_marks(currency))


def macros(currency_code: str = "JPY") -> list[str]:
    currency = CURRENCIES.get(currency_code, CURRENCIES["JPY"])
    full, half = _lit(_FULL), _lit(_HALF)
    wide = str.maketrans(_HALF, _FULL)
    # every blank word in every mix of widths (n/a, ｎ／ａ, Ｎ/A: 75 in all), so no cell needs folding to be checked
    blanks = ", ".join(_lit(b) for b in sorted({"".join(chars) for word in BLANKS
                                                for chars in itertools.product(*({c, c.translate(wide)} for c in word))}))
    symbols = _lit(symbols_pattern(currency))
    ymd = "'^([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})'"
    return [
        # translate() is slow, and most cells are plain ASCII (byte length = character length) or carry no
        # full-width ASCII at all (髙﨑, ￥): it runs only where a full-width character is present
        "CREATE OR REPLACE MACRO v_fold(s) AS CASE WHEN strlen(s) = length(s) THEN s "
        f"WHEN regexp_matches(s, '[\\x{{FF01}}-\\x{{FF5E}}\\x{{3000}}]') THEN translate(s, {full}, {half}) "
        "ELSE replace(s, '\uffe5', '\u00a5') END",
        # trim with a set of characters is slow: plain trim (spaces) where the cell has no other white space
        "CREATE OR REPLACE MACRO v_trim(s) AS CASE WHEN strlen(s) = length(s) AND NOT contains(s, chr(9)) "
        "AND NOT contains(s, chr(10)) AND NOT contains(s, chr(13)) THEN trim(s) ELSE trim(s, ' \t\r\n\u3000') END",
        "CREATE OR REPLACE MACRO v_norm(s) AS v_trim(v_fold(s))",
        # A blank word is at most 12 bytes (＃ｎ／ａ): a longer cell is looked at only when white space pads it
        # (fixed-width exports: '未設定      '). CASE, not AND / OR: only a CASE leaves unevaluated what a
        # condition ruled out, and a small macro keeps the statements that inline it quick to plan.
        "CREATE OR REPLACE MACRO v_blank(s) AS CASE WHEN s IS NULL THEN true WHEN strlen(s) > 12 AND NOT ("
        "regexp_matches(s, '^[ \t\r\n\u3000]') OR regexp_matches(s, '[ \t\r\n\u3000]$')) THEN false "
        f"ELSE lower(v_trim(s)) IN ({blanks}) END",
        "CREATE OR REPLACE MACRO v_text(s) AS CASE WHEN v_blank(s) THEN NULL ELSE v_trim(s) END",
        # the shape of most IDs (C10001, ACME-01): plain ASCII without white space needs no fold or trim, and
        # is blank only as one of the ASCII blank words (NA, None, null)
        f"CREATE OR REPLACE MACRO v_id(s) AS CASE WHEN regexp_full_match(s, '{ID_SHAPE}') AND lower(s) NOT IN "
        f"({', '.join(_lit(b) for b in BLANKS if re.fullmatch(ID_SHAPE, b))}) THEN s "
        "WHEN v_blank(s) THEN NULL ELSE v_trim(v_fold(s)) END",
        # -- numbers: '¥120,000', '120,000円', '12万円', '１２０００', '(1,200)', '▲500' ----------------
        # One scan per cell, bound once by a lambda (a macro argument used twice would be computed twice):
        # the text without a tax note (5,000円（税込） is 5,000), whether it is negative ((1,200), ▲500),
        # and its parts once the sign marks, currency marks and separators are gone.
        "CREATE OR REPLACE MACRO v_num_scan(s) AS list_transform([v_norm(s)], lambda n: list_transform("
        r"[CASE WHEN contains(n, '税') THEN regexp_replace(n, '\((税込|税抜)\)', '', 'g') ELSE n END], lambda t: "
        "struct_pack(neg := (starts_with(t, '(') AND ends_with(t, ')')) OR starts_with(t, '▲') OR starts_with(t, '△'), "
        f"p := regexp_extract(regexp_replace(trim(t, '()▲△'), {symbols}, '', 'g'), "
        r"'^([+-]?)([0-9]+)(\.[0-9]+)?(万|億|千)?$', ['sign', 'int', 'frac', 'unit'])))[1])[1]",
        # A scan's power of ten (万: 4) and its decimals once trailing zeros are gone (1.50 has one): the bound and
        # the decimals are read from the digits themselves, so no digit is ever rounded away before they are
        # checked. |value| >= 10^14 exactly when the integer digits (leading zeros aside) plus the power reach 15.
        "CREATE OR REPLACE MACRO v_scan_shift(x) AS "
        "CASE x.p.unit WHEN '万' THEN 4 WHEN '億' THEN 8 WHEN '千' THEN 3 ELSE 0 END",
        "CREATE OR REPLACE MACRO v_scan_decimals(x) AS greatest(length(rtrim(x.p.frac, '0')) - 1, 0)",
        "CREATE OR REPLACE MACRO v_scan_error(x) AS CASE WHEN x.p.int = '' THEN 'not_a_number' "
        "WHEN length(x.p.int) > 16 OR length(ltrim(x.p.int, '0')) + v_scan_shift(x) >= "
        f"{len(MAX_ABS)} THEN 'number_too_large' END",
        "CREATE OR REPLACE MACRO v_scan_negative(x) AS x.p.sign = '-' OR x.neg",
        # money: exact to 1/10,000, never rounded; more decimals than that is a rejected cell
        # The plain shape first (12000, -3.5): such a cell is never blank, so the blank check is not needed
        # for it (a third of the time), and every other cell goes through the full rules as before.
        "CREATE OR REPLACE MACRO v_money(s) AS CASE "
        r"WHEN regexp_full_match(s, '-?[0-9]{1,14}(\.[0-9]{1,4})?') THEN try_cast(s AS DECIMAL(18,4)) "
        "WHEN v_blank(s) THEN NULL "
        "ELSE list_transform([v_num_scan(s)], lambda x: CASE WHEN v_scan_error(x) IS NULL "
        "AND v_scan_decimals(x) - v_scan_shift(x) <= 4 THEN (try_cast(x.p.int || rtrim(x.p.frac, '0') "
        "AS DECIMAL(38,12)) * CASE x.p.unit WHEN '万' THEN 10000 WHEN '億' THEN 100000000 WHEN '千' THEN 1000 "
        "ELSE 1 END * CASE WHEN v_scan_negative(x) THEN -1 ELSE 1 END)"
        "::DECIMAL(18,4) END)[1] END",
        "CREATE OR REPLACE MACRO v_money_error(s) AS CASE "
        r"WHEN regexp_full_match(s, '-?[0-9]{1,14}(\.[0-9]{1,4})?') THEN NULL WHEN v_blank(s) THEN NULL "
        "ELSE list_transform([v_num_scan(s)], lambda x: coalesce(v_scan_error(x), "
        "CASE WHEN v_scan_decimals(x) - v_scan_shift(x) > 4 THEN 'too_many_decimals' END))[1] END",
        # measures: any number of decimals, one rounding from the digits to the nearest DOUBLE (as float(Decimal))
        "CREATE OR REPLACE MACRO v_number(s) AS CASE "
        r"WHEN regexp_full_match(s, '-?[0-9]{1,14}(\.[0-9]{1,6})?') THEN try_cast(s AS DOUBLE) "
        "WHEN v_blank(s) THEN NULL "
        "ELSE list_transform([v_num_scan(s)], lambda x: CASE WHEN v_scan_error(x) IS NULL THEN "
        "try_cast(CASE WHEN v_scan_negative(x) THEN '-' ELSE '' END || x.p.int || x.p.frac || 'e' "
        "|| v_scan_shift(x) AS DOUBLE) END)[1] END",
        "CREATE OR REPLACE MACRO v_number_error(s) AS CASE "
        r"WHEN regexp_full_match(s, '-?[0-9]{1,14}(\.[0-9]{1,6})?') THEN NULL WHEN v_blank(s) THEN NULL "
        "ELSE list_transform([v_num_scan(s)], lambda x: v_scan_error(x))[1] END",
        # -- dates: 2024/4/1, 2024-04-01, 2024年4月1日, 令和6年4月1日, 20240401, Excel serial, months ----
        "CREATE OR REPLACE MACRO v_ymd(y, m, d) AS CASE WHEN try_cast(y AS INT) BETWEEN 1 AND 9999 "
        "AND try_cast(m AS INT) BETWEEN 1 AND 12 AND try_cast(d AS INT) BETWEEN 1 AND 31 THEN try_cast(printf("
        "'%04d-%02d-%02d', try_cast(y AS INT), try_cast(m AS INT), try_cast(d AS INT)) AS DATE) END",
        "CREATE OR REPLACE MACRO v_month_text(t) AS CASE "
        "WHEN regexp_matches(t, '^[0-9]{4}[-/.][0-9]{1,2}$') THEN list_transform("
        "[regexp_extract(t, '^([0-9]{4})[-/.]([0-9]{1,2})$', ['y', 'm'])], lambda p: v_ymd(p.y, p.m, '1'))[1] "
        "WHEN regexp_matches(t, '^[0-9]{4}年[0-9]{1,2}月$') THEN list_transform("
        "[regexp_extract(t, '^([0-9]{4})年([0-9]{1,2})月$', ['y', 'm'])], lambda p: v_ymd(p.y, p.m, '1'))[1] "
        "WHEN regexp_matches(t, '^[0-9]{6}$') THEN v_ymd(t[1:4], t[5:6], '1') END",
        "CREATE OR REPLACE MACRO v_date_text(t) AS CASE "
        f"WHEN regexp_matches(t, {ymd[:-1]}([ T].*)?$') THEN list_transform("
        f"[regexp_extract(t, {ymd}, ['y', 'm', 'd'])], lambda p: v_ymd(p.y, p.m, p.d))[1] "
        "WHEN regexp_matches(t, '^[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日.*$') THEN list_transform("
        "[regexp_extract(t, '^([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日', ['y', 'm', 'd'])], lambda p: v_ymd(p.y, p.m, p.d))[1] "
        "WHEN regexp_matches(t, '^[0-9]{8}$') THEN v_ymd(t[1:4], t[5:6], t[7:8]) "
        "WHEN regexp_matches(t, '^(令和|平成|R|H)([0-9]{1,2}|元)[年./-][0-9]{1,2}[月./-][0-9]{1,2}日?$') THEN list_transform("
        "[regexp_extract(t, '^(令和|平成|R|H)([0-9]{1,2}|元)[年./-]([0-9]{1,2})[月./-]([0-9]{1,2})', "
        "['era', 'y', 'm', 'd'])], lambda p: v_ymd(CASE WHEN p.era IN ('令和', 'R') THEN 2018 ELSE 1988 END "
        "+ CASE WHEN p.y = '元' THEN 1 ELSE try_cast(p.y AS INT) END, p.m, p.d))[1] "
        r"WHEN regexp_matches(t, '^[0-9]{5}(\.[0-9]+)?$') THEN CASE WHEN try_cast(t AS DOUBLE) >= 1 "
        "AND try_cast(t AS DOUBLE) < 2958466 THEN DATE '1899-12-30' + floor(try_cast(t AS DOUBLE))::INTEGER END "
        "ELSE v_month_text(t) END",
        f"CREATE OR REPLACE MACRO v_date_any(s) AS CASE WHEN v_blank(s) OR length(s) > {MAX_TEXT} THEN NULL "
        "WHEN regexp_full_match(s, '[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}') THEN try_cast(s AS DATE) "
        "WHEN regexp_full_match(s, '[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}[ T].*') THEN try_cast(s[1:10] AS DATE) "
        "WHEN regexp_full_match(s, '[1-9][0-9]{3}/[0-9]{1,2}/[0-9]{1,2}') THEN try_cast(replace(s, '/', '-') AS DATE) "
        "ELSE list_transform([v_norm(s)], lambda t: v_date_text(t))[1] END",
        "CREATE OR REPLACE MACRO v_month_any(s) AS CASE WHEN v_blank(s) THEN NULL "
        "WHEN regexp_full_match(s, '[1-9][0-9]{3}-[0-9]{2}') THEN try_cast(s || '-01' AS DATE) "
        "ELSE coalesce(list_transform([v_norm(s)], lambda t: v_month_text(t))[1], "
        "date_trunc('month', v_date_any(s))::DATE) END",
        # parsing.MIN_DATE: earlier dates are a rejected cell of their own kind (date_out_of_range). The shapes
        # most exports write (2024-04-01, 2024/4/1, 2024-04) from 1900 on are cast at once: the same answer
        # v_date_any's own first branches give them, without its blank check and range test (a third of
        # the time); every other cell goes through the full rules.
        f"CREATE OR REPLACE MACRO v_date(s) AS CASE WHEN regexp_full_match(s, '{YEAR_1900}-[0-9]{{2}}-[0-9]{{2}}') "
        f"THEN try_cast(s AS DATE) WHEN regexp_full_match(s, '{YEAR_1900}/[0-9]{{1,2}}/[0-9]{{1,2}}') "
        "THEN try_cast(replace(s, '/', '-') AS DATE) ELSE "
        f"list_transform([v_date_any(s)], lambda d: CASE WHEN d >= DATE '{MIN_DATE}' THEN d END)[1] END",
        f"CREATE OR REPLACE MACRO v_month(s) AS CASE WHEN regexp_full_match(s, '{YEAR_1900}-[0-9]{{2}}') "
        "THEN try_cast(s || '-01' AS DATE) ELSE "
        f"list_transform([v_month_any(s)], lambda d: CASE WHEN d >= DATE '{MIN_DATE}' THEN d END)[1] END",
        # A date-time written in UTC (Stripe's "Start (UTC)": 2026-01-31 18:30:00) as the day it was in the
        # workspace's time zone (2026-02-01 in Asia/Tokyo); a date alone, or any other form, as v_date reads it
        "CREATE OR REPLACE MACRO v_date_utc(s, tz) AS CASE WHEN v_date(s) IS NULL THEN NULL "
        r"WHEN regexp_full_match(trim(s), '[1-9][0-9]{3}[-/][0-9]{1,2}[-/][0-9]{1,2}[ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?Z?') "
        "THEN list_transform([timezone(tz, try_cast(replace(rtrim(trim(s), 'Z'), '/', '-') AS TIMESTAMP) AT TIME ZONE 'UTC')::DATE], "
        f"lambda d: CASE WHEN d >= DATE '{MIN_DATE}' AND d <= DATE '9999-12-31' THEN d ELSE v_date(s) END)[1] "
        "ELSE v_date(s) END",  # a day the zone moves out of range (9999-12-31 20:00) stays the day written
        # like the other error macros: NULL for a blank and for a value that is kept
        "CREATE OR REPLACE MACRO v_date_error(s) AS CASE WHEN NOT v_blank(s) THEN list_transform([v_date_any(s)], "
        f"lambda d: CASE WHEN d IS NULL THEN 'not_a_date' WHEN d < DATE '{MIN_DATE}' THEN 'date_out_of_range' END)[1] END",
        "CREATE OR REPLACE MACRO v_month_error(s) AS CASE WHEN NOT v_blank(s) THEN list_transform([v_month_any(s)], "
        f"lambda d: CASE WHEN d IS NULL THEN 'not_a_date' WHEN d < DATE '{MIN_DATE}' THEN 'date_out_of_range' END)[1] END",
    ] + word_macros()


def word_macros() -> list[str]:
    """vocabulary.WORDS as macros: v_<kind>(s) the canonical value (NULL for a blank or an unknown word),
    v_<kind>_error(s) the rejection key of a word it does not know."""
    out = []
    for kind in vocabulary.WORDS:
        cases = " ".join(f"WHEN {_lit(word)} THEN {_lit(value)}" for word, value in vocabulary.lookup(kind).items())
        extra = ""
        if kind == "duration":  # "3", "3ヶ月", "3 months"
            extra = (f"WHEN regexp_full_match(w, {_lit(vocabulary.MONTHS_PATTERN)}) THEN "
                     f"(regexp_extract(w, {_lit(vocabulary.MONTHS_PATTERN)}, 1)::INT)::VARCHAR ")
        word = f"list_transform([lower(v_norm(s))], lambda w: CASE w {cases} ELSE CASE {extra or 'WHEN false THEN NULL '}END END)[1]"
        if kind == "flag":
            word = f"({word}) = 'true'"
        out.append(f"CREATE OR REPLACE MACRO v_{kind}(s) AS CASE WHEN v_blank(s) THEN NULL ELSE {word} END")
        out.append(f"CREATE OR REPLACE MACRO v_{kind}_error(s) AS CASE WHEN v_blank(s) THEN NULL "
                   f"WHEN v_{kind}(s) IS NULL THEN {_lit(vocabulary.ERROR_KEYS[kind])} END")
    pattern = _lit(vocabulary.RATE_PATTERN)
    out.append("CREATE OR REPLACE MACRO v_rate(s) AS CASE WHEN v_blank(s) THEN NULL ELSE list_transform("
               f"[regexp_extract(lower(v_norm(s)), '^' || {pattern} || '$', ['prefix', 'n', 'frac', 'pct'])], "
               "lambda p: list_transform([try_cast(p.n AS DOUBLE)], lambda x: list_transform("
               "[CASE WHEN p.pct <> '' OR x >= 1 THEN x / 100 ELSE x END], lambda r: CASE WHEN r <= 1 THEN r END)[1])[1])[1] END")
    def shape(pattern: str) -> tuple[str, str]:  # (for regexp_full_match, for regexp_extract)
        return _lit(pattern), _lit("^" + pattern + "$")

    (period, period_x), (slashed, slashed_x) = shape(vocabulary.PERIOD_PATTERN), shape(vocabulary.PERIOD_SLASHED)
    month, month_x = shape(vocabulary.PERIOD_MONTH)
    # the two sides (a month: its first and last day), then both must be dates in order
    sides = (f"CASE WHEN regexp_full_match(t, {slashed}) THEN regexp_extract(t, {slashed_x}, ['a', 'sep', 'b']) "
             f"WHEN regexp_full_match(t, {period}) THEN regexp_extract(t, {period_x}, ['a', 'sep', 'b']) "
             f"WHEN regexp_full_match(t, {month}) THEN list_transform("
             f"[regexp_extract(t, {month_x}, ['y', 'sep', 'm'])], lambda p: CASE WHEN try_cast(p.m AS INT) BETWEEN 1 AND 12 "
             "AND try_cast(p.y AS INT) >= 1900 THEN struct_pack(a := p.y || '-' || lpad(p.m, 2, '0') || '-01', sep := '', "
             "b := strftime(last_day(make_date(p.y::INT, p.m::INT, 1)), '%Y-%m-%d')) END)[1] END")
    # the fast path: two dates from 1900 on written YYYY/MM/DD or YYYY-MM-DD around ~ ～ 〜 (what invoice tools
    # export, 10 µs a cell through the full rules), each cast at once: the same answer the full rules give them
    fast_day = f"{YEAR_1900}(-[0-9]{{2}}-|/[0-9]{{2}}/)[0-9]{{2}}"
    fast = _lit(f"{fast_day} *[~\uff5e\u301c] *{fast_day}")
    out.append("CREATE OR REPLACE MACRO v_period(s) AS CASE WHEN regexp_full_match(s, " + fast + ") THEN "
               "list_transform([struct_pack(a := try_cast(replace(left(s, 10), '/', '-') AS DATE), "
               "b := try_cast(replace(right(s, 10), '/', '-') AS DATE))], "
               "lambda d: CASE WHEN d.b >= d.a THEN strftime(d.a, '%Y-%m-%d') || '/' || strftime(d.b, '%Y-%m-%d') END)[1] "
               "WHEN v_blank(s) THEN NULL ELSE list_transform("
               f"[v_norm(s)], lambda t: list_transform([{sides}], lambda p: list_transform("
               "[struct_pack(a := CASE WHEN p.a <> '' THEN v_date(p.a) END, b := CASE WHEN p.b <> '' THEN v_date(p.b) END)], "
               "lambda d: CASE WHEN d.b >= d.a THEN strftime(d.a, '%Y-%m-%d') || '/' || strftime(d.b, '%Y-%m-%d') END)[1])[1])[1] END")
    out.append("CREATE OR REPLACE MACRO v_period_error(s) AS CASE WHEN v_blank(s) THEN NULL "
               "WHEN v_period(s) IS NULL THEN 'not_a_period' END")
    out.append("CREATE OR REPLACE MACRO v_rate_error(s) AS CASE WHEN v_blank(s) THEN NULL "
               "WHEN v_rate(s) IS NULL THEN 'not_a_rate' END")
    return out


# kind (schema.DATASETS) -> (value macro, error macro or the fixed error key)
TYPED = {
    "id": ("v_id", None),
    "text": ("v_text", None),
    "money": ("v_money", "v_money_error"),
    "number": ("v_number", "v_number_error"),
    "date": ("v_date", "v_date_error"),
    "month": ("v_month", "v_month_error"),
    **{kind: (f"v_{kind}", f"v_{kind}_error") for kind in (*vocabulary.WORDS, "rate", "period")},
}
