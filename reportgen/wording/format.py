"""Numbers, money, rates, dates and sentence parameters in the review's locale (Babel), one way for every
surface: the PDF's tables and prose, the charts' labels, the mail's cards."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from reportgen.base.catalogue import catalogue
from reportgen.base.model import Channel, Status
from reportgen.figures.kpis import Figure, Kind, Kpi, named
from reportgen.figures.metrics import LAYERS
from reportgen.figures.overlooked import Money, Points, Rate

LOCALES = {"en": "en_US", "zh": "zh_CN"}
MAX_PLACES = 3  # a percentage smaller than 0.001% reads "<0.001%"


def percent_places(value: float) -> int:
    """The decimals a percentage needs alone: one near either end (under 10%, over 90%), where rounding
    would mislead, else none."""
    return 1 if 0.9 < abs(value) < 1 or 0 < abs(value) < 0.1 else 0


def nonzero_places(value: float) -> int:
    """The fewest decimals with which a percentage that is not zero does not read as 0% (0.04% needs two);
    MAX_PLACES + 1 when even MAX_PLACES is not enough."""
    if value == 0:
        return 0
    for places in range(MAX_PLACES + 1):
        if round(abs(value) * 100, places) != 0:
            return places
    return MAX_PLACES + 1


class Formatter:
    """Numbers, money, rates, dates and months in the review's locale; None is always an em dash."""

    def __init__(self, lang: str, currency: str) -> None:
        self.lang = lang
        self.locale = LOCALES[lang]
        self.currency = currency
        self.words = catalogue(lang)

    def number(self, value: Decimal | int | float | None) -> str:
        if value is None:
            return "—"
        return format_decimal(value, "#,##0.##", locale=self.locale)

    def money(self, value: Decimal | int | None) -> str:
        if value is None:
            return "—"
        amount = Decimal(value)
        pattern = "#,##0" if abs(amount) >= 1000 or amount == amount.to_integral_value() else "#,##0.00"
        sign = "-" if amount < 0 else ""
        return f"{sign}{self.currency}{format_decimal(abs(amount), pattern, locale=self.locale)}"

    def percent(self, value: float | None, places: int | None = None) -> str:
        """A fraction as a percentage. Alone (`places` None): whole, with one decimal where rounding would
        mislead: 99.5% is not 100%, and a 92.5% / 7.5% split must not read as 92% / 7.5%, so both ends (under
        10%, over 90%) keep a decimal. With `places`, exactly that many decimals (what `percents` chose for a
        table or a chart). Either way a value that is not zero never reads as 0%: it gets the decimals it
        needs (0.04%), or reads "<0.001%"."""
        if value is None:
            return "—"
        if 0.995 <= value < 1:
            value = min(value, 0.999)  # a target missed by a hair must not read as met
        fixed = places is not None  # a table's decimals are all written (94.0%); alone, 95% stays 95%
        wanted = max(percent_places(value) if places is None else places, nonzero_places(value))
        if wanted > MAX_PLACES:
            sign = "-" if value < 0 else ""
            smallest = format_percent(
                10 ** -(MAX_PLACES + 2), "0." + "0" * MAX_PLACES + "%", locale=self.locale
            )
            return f"{sign}<{smallest}"
        digit = "0" if fixed else "#"
        pattern = f"#,##0.{digit * wanted}%" if wanted else "#,##0%"
        return format_percent(value, pattern, locale=self.locale)

    def percents(self, values: Iterable[float | None]) -> Callable[[float | None], str]:
        """One way of writing every percentage of a table or a chart: the decimals the most demanding of
        `values` needs (one for all if any needs one), so a column never reads "151%", "94.1%", "77%"."""
        places = min(
            MAX_PLACES,
            max(
                (max(percent_places(value), nonzero_places(value)) for value in values if value is not None),
                default=0,
            ),
        )
        return lambda value: self.percent(value, places)

    def points(self, value: float) -> str:
        """A change in percentage points, signed; one that is not zero never reads as ±0 or −0."""
        text = format_decimal(abs(value), "#,##0.#", locale=self.locale)
        if value and text == "0":
            text = format_decimal(abs(value), "#,##0.##", locale=self.locale)
        sign = "±" if text == "0" else ("+" if value > 0 else "−")
        return f"{sign}{text} pp" if self.lang == "en" else f"{sign}{text} 个百分点"

    def date(self, value: dt.date | None) -> str:
        return "—" if value is None else format_date(value, "medium", locale=self.locale)

    def day(self, value: dt.date) -> str:
        """A date within the review's month, without the year (Oct 5, 10月5日)."""
        return format_date(value, "MMM d" if self.lang == "en" else "M月d日", locale=self.locale)

    def month(self, month: str) -> str:
        day = dt.date(int(month[:4]), int(month[5:7]), 1)
        return format_date(day, "MMMM y" if self.lang == "en" else "y年M月", locale=self.locale)

    def month_short(self, month: str) -> str:
        return format_date(dt.date(int(month[:4]), int(month[5:7]), 1), "LLL", locale=self.locale)

    def channel(self, channel: Channel) -> str:
        return self.words.text(f"channel.{channel.value}")

    def status(self, status: Status) -> str:
        return self.words.text(f"review.status.{status.value}")

    def kpi(self, kpi: str, capital: bool = False) -> str:
        """A headline KPI's name (its catalogue label in figures/kpis.py); `capital` for a card or a caption,
        which starts with it. KeyError for a name that is not a KPI's."""
        label = self.words.text(named(kpi).label)
        return label[:1].upper() + label[1:] if capital else label

    def kpi_value(self, kpi: Kpi, value: Figure) -> str:
        """A KPI's exact value as its card writes it: a rate as a percentage, money with the currency, a
        count as a number."""
        if value is None:
            return "—"
        if kpi.kind is Kind.RATE:
            return self.percent(float(value))
        if kpi.kind is Kind.MONEY:
            return self.money(Decimal(str(value)) if isinstance(value, float) else value)
        return self.number(value)

    def kpi_values(self, kpi: Kpi, values: Sequence[float | None]) -> Callable[[float | None], str]:
        """How a KPI's trend line (its labels, caption and alt text) writes its twelve `values`: each as the
        KPI's card and the sentences write that figure (a rate as `percent` alone, money rounded to the cent,
        a count as a number), one rule for one figure: a card's 62% is never its sparkline's 61.9% because
        another month of the line needed a decimal (91.4%)."""
        if kpi.kind is Kind.RATE:
            return lambda value: self.percent(value)
        if kpi.kind is Kind.MONEY:
            return lambda value: self.money(None if value is None else Decimal(str(round(value, 2))))
        return self.number

    def metric(self, metric: str) -> str:
        return self.words.templates.get(f"review.metric.{metric}", metric)

    def layer(self, layer: str | None) -> str:
        return self.words.text(f"review.layer.{layer or 'unmatched'}")

    def value(self, name: str, value: Any) -> str:
        """A sentence parameter, formatted by its type (and, for keys, by its name)."""
        if isinstance(value, Money):
            return self.money(value.value)
        if isinstance(value, Rate):
            return self.percent(value.value)
        if isinstance(value, Points):
            return self.points(value.value)
        if isinstance(value, Channel):
            return self.channel(value)
        if name == "metric" and isinstance(value, str):
            return self.metric(value)
        if name == "stage" and isinstance(value, str) and value in LAYERS:
            return self.layer(value)
        if name == "kpis" and isinstance(value, list):
            return self.words.text("where.list").join(self.kpi(kpi) for kpi in value)
        if name == "month" and isinstance(value, str) and len(value) == 7 and value[4] == "-":
            return self.month(value)
        if name == "layers" and isinstance(value, list):
            return ("、" if self.lang == "zh" else ", ").join(self.layer(layer) for layer in value)
        if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            return self.number(value)
        if isinstance(value, dt.date):
            return self.date(value)
        return "—" if value is None else str(value)

    def say(self, code: str, params: dict[str, Any]) -> str:
        """A sentence with its parameters formatted (the singular form when its `count` is 1, or, without a
        count, when the one list it names holds one thing: "the Product layer", "the Tech, Product layers";
        the catalogue decides on the raw values, before they are formatted)."""
        formatted: dict[str, Any] = {name: self.value(name, value) for name, value in params.items()}
        lists = [value for value in params.values() if isinstance(value, list | tuple)]
        one = params.get("count") == 1 or ("count" not in params and len(lists) == 1 and len(lists[0]) == 1)
        if one and f"{code}_one" in self.words.templates:
            code = f"{code}_one"
        return self.words.text(code, **formatted)
