import datetime as dt
from decimal import Decimal

import pytest

from dashboard.imports import parsing


@pytest.mark.parametrize("raw, expected", [
    ("￥120,000", 120_000), ("¥120,000", 120_000), ("120,000円", 120_000), ("12万円", 120_000),
    ("1.5万", 15_000), ("１２０００", 12_000), ("1,200", 1_200), ("(1,200)", -1_200), ("▲500", -500),
    ("-3,000", -3_000), (1200.0, 1_200), (99.5, Decimal("99.5")), ("2億", 200_000_000), ("\\5,000", 5_000),
    ("", None), ("-", None), ("N/A", None), (None, None), ("  ", None),
])
def test_money(raw, expected):
    assert parsing.parse_money(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "12a", "1,2,3円x", "１２万ドル"])
def test_money_refuses_text(raw):
    with pytest.raises(parsing.ParseError):
        parsing.parse_money(raw)


@pytest.mark.parametrize("raw, expected", [
    ("2024/4/1", dt.date(2024, 4, 1)), ("2024-04-01", dt.date(2024, 4, 1)), ("2024年4月1日", dt.date(2024, 4, 1)),
    ("２０２４／０４／０１", dt.date(2024, 4, 1)), ("令和6年4月1日", dt.date(2024, 4, 1)), ("20240401", dt.date(2024, 4, 1)),
    (45383, dt.date(2024, 4, 1)), ("45383", dt.date(2024, 4, 1)), (dt.datetime(2024, 4, 1, 9, 30), dt.date(2024, 4, 1)),
    ("2024-04-01 10:00:00", dt.date(2024, 4, 1)), ("2024-04", dt.date(2024, 4, 1)), ("", None), ("-", None),
])
def test_date(raw, expected):
    assert parsing.parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["2024/13/01", "2024/02/30", "yesterday", "12"])
def test_date_refuses(raw):
    with pytest.raises(parsing.ParseError):
        parsing.parse_date(raw)


@pytest.mark.parametrize("raw, expected", [
    ("2024-04", dt.date(2024, 4, 1)), ("2024/04", dt.date(2024, 4, 1)), ("2024年4月", dt.date(2024, 4, 1)),
    ("202404", dt.date(2024, 4, 1)), ("2024/4/15", dt.date(2024, 4, 1)), (45397, dt.date(2024, 4, 1)),
])
def test_month(raw, expected):
    assert parsing.parse_month(raw) == expected
