"""Parsers for values as people type them: dates, money and numbers. Pure functions, no findings here:
each returns a value or raises `Unreadable` with a code, and normalize.py turns that into a finding."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from reportgen.base import vocab

EXCEL_EPOCH = dt.date(1899, 12, 30)
SERIAL_RANGE = (20_000, 80_000)  # 1954 to 2119: a bare number in a date column outside this is not a date
BLANK_WORDS = frozenset({"-", "—", "–", "/", "n/a", "na", "none", "null", "无", "暂无", "空"})


class Unreadable(ValueError):
    """A cell value that cannot be read as what its column holds; `code` names the message."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def is_blank(value: Any) -> bool:
    if value is None or value == "":
        return True
    return isinstance(value, str) and (not value.strip() or value.strip().casefold() in BLANK_WORDS)


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a spurious '.0', dates in ISO form."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return (
            value.isoformat(sep=" ", timespec="minutes")
            if value.time() != dt.time()
            else value.date().isoformat()
        )
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


# --- dates ---

_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_CHINESE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$")
_SLASHED = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
_MONTH_NAMES = ("%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y")


def slashed_parts(text: str) -> tuple[int, int] | None:
    """The two leading parts of a `10/5/2026` form, for the per-column day/month order decision."""
    match = _SLASHED.match(text.strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def parse_date(value: Any, slashed_order: str = "MDY") -> dt.date:
    """A date from an Excel date, a serial number, or text in docs/workbook.md's forms. `slashed_order` (MDY
    or DMY) reads 10/5/2026; 2026/10/5 is always year-month-day."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise Unreadable("bad_date")
    if isinstance(value, int | float):
        return _from_serial(float(value))
    if not isinstance(value, str):
        raise Unreadable("bad_date")
    text = value.strip()
    try:
        if match := _ISO.match(text):
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if match := _CHINESE.match(text):
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if match := _SLASHED.match(text):
            first, second, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
            month, day = (first, second) if slashed_order == "MDY" else (second, first)
            return dt.date(year, month, day)
    except ValueError as exc:
        raise Unreadable("bad_date") from exc
    if _SERIAL.match(text):
        return _from_serial(float(text))
    for form in _MONTH_NAMES:
        try:
            return dt.datetime.strptime(text, form).date()
        except ValueError:
            continue
    raise Unreadable("bad_date")


def _from_serial(serial: float) -> dt.date:
    if not SERIAL_RANGE[0] <= serial <= SERIAL_RANGE[1]:
        raise Unreadable("bad_date")
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


def parse_month(value: Any) -> str:
    """A 'YYYY-MM' month from text like 2026-10, 2026/10, 2026年10月 or a date cell. A fractional number is
    refused: Excel stores a typed 2026.10 as 2026.1, which would otherwise read as January."""
    if isinstance(value, dt.date):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, float) and not value.is_integer():
        raise Unreadable("bad_month")
    text = cell_text(value)
    match = re.match(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$", text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        try:
            day = parse_date(value)
        except Unreadable as exc:
            raise Unreadable("bad_month") from exc
        return f"{day.year:04d}-{day.month:02d}"
    return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}"


# --- numbers and money ---

_CURRENCY_TOKEN = re.compile(r"(rmb|cny|usd|eur|gbp|[¥￥$€£元])", re.IGNORECASE)
_THOUSANDS = re.compile(r"(?<=\d)[,，\s'](?=\d{3}\b)")


def decimal_of(number: float | int) -> Decimal:
    """An exact Decimal of a number as it was typed (never the binary expansion of a float)."""
    if isinstance(number, int):
        return Decimal(number)
    if number.is_integer():
        return Decimal(int(number))
    return Decimal(repr(number))


def exact(number: Decimal) -> int | Decimal:
    """A whole Decimal as an int: counts and round amounts stay ints, which sum exactly and fast."""
    return int(number) if number == number.to_integral_value() else number


def parse_number(value: Any) -> Decimal:
    """A count or amount: numbers, '1,234', '1.2万', '12%'."""
    if isinstance(value, bool):
        raise Unreadable("bad_number")
    if isinstance(value, int | float):
        return decimal_of(value)
    if not isinstance(value, str):
        raise Unreadable("bad_number")
    return _number_text(value.strip())


def _number_text(text: str) -> Decimal:
    scale = Decimal(1)
    if text.endswith("%"):
        text, scale = text[:-1].strip(), Decimal("0.01")
    elif text.endswith("万"):
        text, scale = text[:-1].strip(), Decimal(10_000)
    elif text.endswith("亿"):
        text, scale = text[:-1].strip(), Decimal(100_000_000)
    negative = text.startswith("(") and text.endswith(")")
    if negative:
        text = text[1:-1].strip()
    text = _THOUSANDS.sub("", text)
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise Unreadable("bad_number") from exc
    if not number.is_finite():
        raise Unreadable("bad_number")
    number *= scale
    return -number if negative else number


def currency_of(value: Any) -> str | None:
    """The currency a money cell names, if any (¥ for 元/RMB/CNY)."""
    if not isinstance(value, str):
        return None
    match = _CURRENCY_TOKEN.search(value)
    return vocab.CURRENCY_SYMBOLS[match.group(1).casefold()] if match else None


def parse_money(value: Any, currency: str) -> Decimal:
    """An amount in the sheet's currency; an amount written in another currency is refused, not converted."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return decimal_of(value)
    if not isinstance(value, str):
        raise Unreadable("bad_money")
    named = currency_of(value)
    if named is not None and named != currency:
        raise Unreadable("wrong_currency")
    text = _CURRENCY_TOKEN.sub("", value).strip()
    try:
        return _number_text(text)
    except Unreadable as exc:
        raise Unreadable("bad_money") from exc
