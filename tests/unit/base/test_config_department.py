"""`[department]` in reportgen.toml: the roll-up's name, audience and rates; a wrong key or value is named."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from reportgen.base.config import parse_config
from reportgen.base.errors import InputError


def test_the_department_table_is_read() -> None:
    config = parse_config(
        {
            "department": {
                "name": "Marketing",
                "to": ["head@example.com"],
                "currency": "USD",
                "rates": {"CNY": 0.1381, "€": 1.08},
                "rates_date": dt.date(2026, 10, 31),
            }
        }
    )
    department = config.department
    assert department is not None
    assert department.name == "Marketing" and department.to == ("head@example.com",)
    assert department.currency == "$"
    assert dict(department.rates) == {"¥": Decimal("0.1381"), "€": Decimal("1.08")}
    assert department.rates_date == dt.date(2026, 10, 31)
    assert parse_config({}).department is None


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ({"nmae": "x"}, "department.nmae"),
        ({"rates": {"CNY": -1}, "currency": "$"}, "department.rates.CNY"),
        ({"rates": {"CNY": "abc"}, "currency": "$"}, "department.rates.CNY"),
        ({"rates": {"CNY": 0.14}}, "department.currency"),
        ({"rates_date": "yesterday"}, "department.rates_date"),
        ({"to": "head@example.com"}, "department.to"),
    ],
)
def test_a_wrong_key_or_value_is_named(table: dict[str, object], named: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_config({"department": table})
    assert named in caught.value.message("en")
