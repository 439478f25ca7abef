"""Values as people type them: dates, money and numbers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from reportgen.reading.values import Unreadable, cell_text, parse_date, parse_money, parse_month, parse_number


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (dt.date(2026, 10, 5), dt.date(2026, 10, 5)),
        (dt.datetime(2026, 10, 5, 13, 30), dt.date(2026, 10, 5)),
        ("2026-10-05", dt.date(2026, 10, 5)),
        ("2026/10/5", dt.date(2026, 10, 5)),
        ("2026.10.5", dt.date(2026, 10, 5)),
        ("2026-10-05 13:30", dt.date(2026, 10, 5)),
        ("2026年10月5日", dt.date(2026, 10, 5)),
        ("2026 年 10 月 5 号", dt.date(2026, 10, 5)),
        ("Oct 5, 2026", dt.date(2026, 10, 5)),
        ("46300", dt.date(1899, 12, 30) + dt.timedelta(days=46300)),
        (46300.0, dt.date(1899, 12, 30) + dt.timedelta(days=46300)),
    ],
)
def test_dates_in_every_form_spec_names(typed: object, expected: dt.date) -> None:
    assert parse_date(typed) == expected


def test_slashed_dates_follow_the_column_order() -> None:
    assert parse_date("10/5/2026", "MDY") == dt.date(2026, 10, 5)
    assert parse_date("10/5/2026", "DMY") == dt.date(2026, 5, 10)


@pytest.mark.parametrize("typed", ["31/02/2026", "2026-02-30", "soon", "", 12.5, True, "13/13/2026"])
def test_impossible_dates_are_unreadable(typed: object) -> None:
    with pytest.raises(Unreadable) as problem:
        parse_date(typed, "DMY")
    assert problem.value.code == "bad_date"


@pytest.mark.parametrize(
    ("typed", "currency", "expected"),
    [
        (1200.5, "¥", Decimal("1200.5")),
        (300, "$", Decimal(300)),
        ("¥1,200.50", "¥", Decimal("1200.50")),
        ("￥1,200.50", "¥", Decimal("1200.50")),
        ("1200元", "¥", Decimal(1200)),
        ("RMB 300", "¥", Decimal(300)),
        ("$80", "$", Decimal(80)),
        ("1.2万", "¥", Decimal(12000)),
        ("(50)", "$", Decimal(-50)),
    ],
)
def test_money_as_typed(typed: object, currency: str, expected: Decimal) -> None:
    assert parse_money(typed, currency) == expected


def test_money_in_another_currency_is_refused_not_converted() -> None:
    with pytest.raises(Unreadable) as problem:
        parse_money("$80", "¥")
    assert problem.value.code == "wrong_currency"
    with pytest.raises(Unreadable) as problem:
        parse_money("abc", "¥")
    assert problem.value.code == "bad_money"


def test_numbers_as_text() -> None:
    assert parse_number("1,234") == Decimal(1234)
    assert parse_number("12%") == Decimal("0.12")
    assert parse_number(0.1) == Decimal("0.1")  # never the binary expansion of the float
    with pytest.raises(Unreadable):
        parse_number("tbd")
    with pytest.raises(Unreadable):
        parse_number("NaN")


def test_months_and_cell_text() -> None:
    assert parse_month("2026-10") == "2026-10"
    assert parse_month("2026年9月") == "2026-09"
    assert parse_month(dt.date(2026, 10, 1)) == "2026-10"
    with pytest.raises(Unreadable):
        parse_month("October")
    assert cell_text(3.0) == "3"
    assert cell_text(dt.datetime(2026, 10, 5)) == "2026-10-05"


@pytest.mark.parametrize("typed", [2026.1, 2026.12, 2026.5])
def test_a_fractional_month_number_is_refused_not_read_as_january(typed: float) -> None:
    """Excel stores a typed 2026.10 as the number 2026.1: no reading of it can be trusted."""
    with pytest.raises(Unreadable) as refused:
        parse_month(typed)
    assert refused.value.code == "bad_month"
    assert parse_month("2026.10") == "2026-10"  # the same typed as text is unambiguous
