"""Every value rule on the SQL path (values_sql.py), checked against the expected value worked out by
hand and against the Python parser (parsing.py) on the same text: the two paths must agree."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest

from dashboard import money, parsing, values_sql


@pytest.fixture(scope="module")
def con():
    con = duckdb.connect()
    for statement in values_sql.macros("JPY"):
        con.execute(statement)
    return con


def sql(con, macro: str, text: str | None):
    return con.execute(f"SELECT {macro}(?::VARCHAR)", [text]).fetchone()[0]  # noqa: S608 (test's own names)


MONEY = [
    ("￥120,000", Decimal(120_000)), ("¥120,000", Decimal(120_000)), ("120,000円", Decimal(120_000)),
    ("12万円", Decimal(120_000)), ("1.5万", Decimal(15_000)), ("１２０００", Decimal(12_000)),
    ("1,200", Decimal(1_200)), ("(1,200)", Decimal(-1_200)), ("▲500", Decimal(-500)), ("△500", Decimal(-500)),
    ("-3,000", Decimal(-3_000)), ("2億", Decimal(200_000_000)), ("\\5,000", Decimal(5_000)),
    ("JPY 5,000", Decimal(5_000)), ("5,000円（税込）", Decimal(5_000)), ("3千", Decimal(3_000)),
    ("99.5", Decimal("99.5")), ("12.3456", Decimal("12.3456")), ("0", Decimal(0)), ("+42", Decimal(42)),
    ("", None), ("-", None), ("N/A", None), ("なし", None), ("  ", None), (None, None), ("未設定", None),
]


@pytest.mark.parametrize("text, expected", MONEY)
def test_money_rules(con, text, expected):
    assert sql(con, "v_money", text) == expected
    assert parsing.parse_money(text) == expected


@pytest.mark.parametrize("text, key", [
    ("abc", "not_a_number"), ("12a", "not_a_number"), ("1,2,3円x", "not_a_number"), ("１２万ドル", "not_a_number"),
    ("$29.85", "not_a_number"),  # a dollar amount is no yen amount in a JPY workspace
    ("1e21", "not_a_number"), ("12.34567", "too_many_decimals"), ("1" * 17, "number_too_large"),
    ("100000000000000", "number_too_large"), ("99999999999999億", "number_too_large"), ("9" * 400, "number_too_large"),
])
def test_money_rejections(con, text, key):
    assert sql(con, "v_money", text) is None
    assert sql(con, "v_money_error", text) == key
    with pytest.raises(parsing.ParseError) as info:
        parsing.parse_money(text)
    assert info.value.key == key


@pytest.mark.parametrize("text, expected", [
    ("12", 12.0), ("1,234.5", 1234.5), ("１２", 12.0), ("3万", 30_000.0), ("-7", -7.0), ("0.125", 0.125), ("", None),
])
def test_number_rules(con, text, expected):
    assert sql(con, "v_number", text) == expected
    assert parsing.parse_number(text) == expected


DATES = [
    ("2024/4/1", dt.date(2024, 4, 1)), ("2024-04-01", dt.date(2024, 4, 1)), ("2024年4月1日", dt.date(2024, 4, 1)),
    ("２０２４／０４／０１", dt.date(2024, 4, 1)), ("令和6年4月1日", dt.date(2024, 4, 1)), ("令和元年5月1日", dt.date(2019, 5, 1)),
    ("平成31年4月30日", dt.date(2019, 4, 30)), ("R6.4.1", dt.date(2024, 4, 1)), ("H30/1/2", dt.date(2018, 1, 2)),
    ("20240401", dt.date(2024, 4, 1)), ("45383", dt.date(2024, 4, 1)), ("45383.75", dt.date(2024, 4, 1)),
    ("2024-04-01 10:00:00", dt.date(2024, 4, 1)), ("2024-04-01T10:00", dt.date(2024, 4, 1)),
    ("2024.4.1", dt.date(2024, 4, 1)), ("2024-04", dt.date(2024, 4, 1)), ("2024年4月", dt.date(2024, 4, 1)),
    ("2024年4月1日(月)", dt.date(2024, 4, 1)), ("", None), ("-", None), ("1900-01-01", dt.date(1900, 1, 1)),
    ("9999-12-31", dt.date(9999, 12, 31)),  # "no end" in many Japanese systems: kept
]


@pytest.mark.parametrize("text, expected", DATES)
def test_date_rules(con, text, expected):
    assert sql(con, "v_date", text) == expected
    assert parsing.parse_date(text) == expected


@pytest.mark.parametrize("text", ["2024/13/01", "2024/02/30", "yesterday", "12", "0000-01-01", "2023-02-29",
                                  "令和6年2月30日", "3000000", "2024-00"])
def test_date_rejections(con, text):
    assert sql(con, "v_date", text) is None
    with pytest.raises(parsing.ParseError):
        parsing.parse_date(text)


@pytest.mark.parametrize("text", ["0001-01-01", "0001/01/01", "1899-12-31", "1899年12月31日", "1000-01"])
def test_dates_before_1900_are_their_own_rejection(con, text):
    """A placeholder like 0001/01/01 would stretch every month spine back two thousand years."""
    assert sql(con, "v_date", text) is None and sql(con, "v_month", text) is None
    assert sql(con, "v_date_error", text) == "date_out_of_range"
    with pytest.raises(parsing.ParseError) as caught:
        parsing.parse_date(text)
    assert caught.value.key == "date_out_of_range"


@pytest.mark.parametrize("text, expected", [
    ("2024-04", dt.date(2024, 4, 1)), ("2024/04", dt.date(2024, 4, 1)), ("2024年4月", dt.date(2024, 4, 1)),
    ("202404", dt.date(2024, 4, 1)), ("2024/4/15", dt.date(2024, 4, 1)), ("45397", dt.date(2024, 4, 1)),
    ("令和6年4月15日", dt.date(2024, 4, 1)), ("", None),
])
def test_month_rules(con, text, expected):
    assert sql(con, "v_month", text) == expected
    assert parsing.parse_month(text) == expected


@pytest.mark.parametrize("text", ["0000-01", "2024-13", "2024年13月", "abc"])
def test_month_rejections(con, text):
    assert sql(con, "v_month", text) is None
    with pytest.raises(parsing.ParseError):
        parsing.parse_month(text)


@pytest.mark.parametrize("text, expected", [("Ａ００１", "A001"), (" A-1 ", "A-1"), ("-", None), ("株式会社①", "株式会社①")])
def test_ids_and_text(con, text, expected):
    assert sql(con, "v_id", text) == expected
    assert parsing.parse_id(text) == expected


@pytest.mark.parametrize("code, text, expected", [
    ("USD", "$29.85", Decimal("29.85")), ("USD", "US$1,234.50", Decimal("1234.5")), ("USD", "11.77", Decimal("11.77")),
    ("USD", "$12.00", Decimal(12)), ("USD", "USD 5", Decimal(5)), ("EUR", "€9.99", Decimal("9.99")),
    ("GBP", "£3.50", Decimal("3.5")), ("USD", "¥100", None), ("JPY", "€1", None),
])
def test_the_workspace_currency_decides_the_symbols(code, text, expected):
    con = duckdb.connect()
    for statement in values_sql.macros(code):
        con.execute(statement)
    assert sql(con, "v_money", text) == expected
    money.use(code)
    try:
        if expected is None:
            with pytest.raises(parsing.ParseError):
                parsing.parse_money(text)
        else:
            assert parsing.parse_money(text) == expected
    finally:
        money.use("JPY")


def test_formatting_by_currency():
    money.use("USD")
    try:
        assert (money.fmt(29.85), money.fmt(-1234.5), money.compact(12_345_678)) == ("$29.85", "-$1,234.50", "$12.3M")
        assert money.d3("y") == "$%{y:,.2f}"
    finally:
        money.use("JPY")
    assert (money.fmt(120000), money.fmt(99.5), money.compact(123_456_789, "ja")) == ("¥120,000", "¥100", "¥1.23億")
