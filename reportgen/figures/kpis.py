"""The headline KPIs in one place: every figure the review's cover cards, trend lines, mail cards and page of
changes name, with what kind of number it is (which says how it is written and how its change is measured),
how a month's figures give it, how the archive keeps it for later months' trends, which way is better (the
card's tone), where the figures document (`--json`) has it and which catalogue sentence names it.

Everything else looks a KPI up here by name (`named`, which raises KeyError for a name it does not know) or
walks `KPIS` in order; nothing above this module tests a KPI's name. To put a figure on the cards, add a `Kpi`
with `card=True` where its card should stand and its label to both catalogues; if the figures document does
not have it yet, give it a place there (figures/document.py) and its `path` (docs/code.md)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from typing import Any

from reportgen.base.model import METRICS, Mapped, Principle
from reportgen.base.vocab import MONEY_METRICS
from reportgen.figures.metrics import (
    MonthFigures,
    completion_rate,
    goal_coverage,
    on_time_rate,
    totals,
)

Figure = Decimal | int | float | None
"""A KPI's value: a count (int or Decimal), money (Decimal), a rate (float); None where it is not defined."""

HEADLINE_RESULTS = ("leads", "signups", "visits", "clicks", "followers", "impressions")


class Kind(StrEnum):
    """How a KPI is written (a number, a percentage, an amount) and how its change is measured."""

    COUNT = "count"  # change as +n (+p%)
    RATE = "rate"  # change in percentage points; under one point either way is flat
    MONEY = "money"  # change as +amount (+p%)


class Better(StrEnum):
    """Which way a KPI's change is good news: the tone of its card's change."""

    UP = "up"
    DOWN = "down"
    NEITHER = "neither"  # more activities or cost is neither good nor bad by itself


@dataclass(frozen=True, slots=True)
class MonthKpis:
    """One month's headline figures, as the archive keeps them for later months' trends."""

    month: str
    activities: int
    completion_rate: float | None
    on_time_rate: float | None
    goal_coverage: float | None
    cost: Decimal
    metrics: dict[str, Decimal]

    def value(self, kpi: str) -> float | None:
        """The KPI by name, as a float for a chart; KeyError for a name the registry does not know or a KPI
        the archive does not keep."""
        kept = named(kpi).kept
        if kept is None:
            raise KeyError(f"the archive does not keep the KPI {kpi!r}")
        return kept(self)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: money and metrics as strings, so nothing is rounded on the way to the archive."""
        return {
            "month": self.month,
            "activities": self.activities,
            "completion_rate": self.completion_rate,
            "on_time_rate": self.on_time_rate,
            "goal_coverage": self.goal_coverage,
            "cost": str(self.cost),
            "metrics": {name: str(value) for name, value in self.metrics.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MonthKpis:
        return cls(
            month=str(data["month"]),
            activities=int(data["activities"]),
            completion_rate=_rate(data.get("completion_rate")),
            on_time_rate=_rate(data.get("on_time_rate")),
            goal_coverage=_rate(data.get("goal_coverage")),
            cost=Decimal(str(data.get("cost", "0"))),
            metrics={name: Decimal(str(value)) for name, value in dict(data.get("metrics", {})).items()},
        )


def _rate(value: Any) -> float | None:
    return None if value is None else float(value)


def month_kpis(figures: MonthFigures) -> MonthKpis:
    """The headline figures of a month whose whole figures are made (the reviewed month, for the archive)."""
    return MonthKpis(
        month=figures.month,
        activities=figures.totals.activities,
        completion_rate=figures.completion_rate,
        on_time_rate=figures.on_time_rate,
        goal_coverage=figures.goal_coverage,
        cost=figures.totals.cost,
        metrics={name: figures.totals.metrics[name] for name in METRICS},
    )


@dataclass(frozen=True, slots=True)
class Remark:
    """What a card adds when its figure does not say it by itself: a catalogue sentence given `count` (and
    `number`, the count written), shown when the month's count is above zero."""

    key: str
    count: Callable[[MonthFigures], int]


@dataclass(frozen=True, slots=True)
class Kpi:
    """One headline figure; see the module's docstring."""

    name: str  # also the key of its trend series and the `trend_<name>` chart
    kind: Kind
    of: Callable[[MonthFigures], Figure]  # its value in a month's figures
    better: Better
    path: tuple[str, ...]  # where the figures document has it (the page of changes compares it); () nowhere
    label: str  # the catalogue key of its name
    kept: Callable[[MonthKpis], float | None] | None = None  # from an archived month (trends); None: not kept
    card: bool = False  # on the cover, in registry order, with a twelve-month sparkline
    section: Principle | None = None  # the section that draws its twelve months as a trend line
    remark: Remark | None = None
    choose: Callable[[MonthFigures], str] | None = None  # the result slot: which metric it is this month

    def tone(self, direction: str) -> str:
        """The tone of a change `direction` (up, down, flat, new, none): good, bad or neutral."""
        if self.better is Better.NEITHER or direction not in ("up", "down"):
            return "neutral"
        return "good" if (direction == "up") == (self.better is Better.UP) else "bad"

    def as_result(self, metric: str) -> Kpi:
        """The result slot filled with `metric`: that metric's figure, in the slot's place (card, section,
        tone, remark). Any other KPI is itself."""
        if self.choose is None:
            return self
        chosen = named(metric)
        return replace(chosen, card=self.card, section=self.section, better=self.better, remark=self.remark)


def headline_result(figures: MonthFigures) -> str:
    """The result the cards lead with: the first of leads, signups, visits, clicks... the month has."""
    for metric in HEADLINE_RESULTS:
        if figures.totals.metrics.get(metric):
            return metric
    return HEADLINE_RESULTS[0]


def _still_open(figures: MonthFigures) -> int:
    totals = figures.totals
    return totals.activities - totals.done - totals.cancelled


def _metric(metric: str) -> Kpi:
    """A workbook metric's month total: compared by the page of changes, and the result card's figure when
    it is the one the month leads with."""
    return Kpi(
        metric,
        Kind.MONEY if metric in MONEY_METRICS else Kind.COUNT,
        lambda figures: figures.totals.metrics[metric],
        Better.UP,
        ("totals", metric),
        f"review.metric.{metric}",
        kept=lambda kpis: float(kpis.metrics[metric]) if metric in kpis.metrics else None,
    )


RESULT = Kpi(
    "result",
    Kind.COUNT,
    lambda figures: figures.totals.metrics[headline_result(figures)],
    Better.UP,
    (),  # the chosen metric's (as_result)
    "review.kpi.result",
    card=True,
    section=Principle.DEFERRED_PAYOFF,
    choose=headline_result,
)

KPIS: tuple[Kpi, ...] = (
    Kpi(
        "activities",
        Kind.COUNT,
        lambda figures: figures.totals.activities,
        Better.NEITHER,
        ("totals", "activities"),
        "review.kpi.activities",
        kept=lambda kpis: float(kpis.activities),
        card=True,
    ),
    Kpi(
        "done",
        Kind.COUNT,
        lambda figures: figures.totals.done,
        Better.UP,
        ("totals", "done"),
        "review.status.done",
    ),
    Kpi(
        "cancelled",
        Kind.COUNT,
        lambda figures: figures.totals.cancelled,
        Better.NEITHER,
        ("totals", "cancelled"),
        "review.status.cancelled",
    ),
    Kpi(
        "completion_rate",
        Kind.RATE,
        lambda figures: figures.completion_rate,
        Better.UP,
        ("completion_rate",),
        "review.kpi.completion_rate",
        kept=lambda kpis: kpis.completion_rate,
        card=True,
        section=Principle.EXECUTION,
        remark=Remark("review.kpi_open", _still_open),  # a low rate may be a month still under way
    ),
    Kpi(
        "on_time_rate",
        Kind.RATE,
        lambda figures: figures.on_time_rate,
        Better.UP,
        ("on_time_rate",),
        "review.kpi.on_time_rate",
        kept=lambda kpis: kpis.on_time_rate,
        card=True,
        section=Principle.EXECUTION,
    ),
    Kpi(
        "goal_coverage",
        Kind.RATE,
        lambda figures: figures.goal_coverage,
        Better.UP,
        ("goal_coverage",),
        "review.kpi.goal_coverage",
        kept=lambda kpis: kpis.goal_coverage,
        card=True,
        section=Principle.CONNECTION,
    ),
    Kpi(
        "cost",
        Kind.MONEY,
        lambda figures: figures.totals.cost,
        Better.NEITHER,
        ("totals", "cost"),
        "review.kpi.cost",
        kept=lambda kpis: float(kpis.cost),
        card=True,
        section=Principle.DEFERRED_PAYOFF,
    ),
    RESULT,
    *(_metric(metric) for metric in METRICS),
)
"""In the order of the cover's cards and of the page of changes."""

_BY_NAME: dict[str, Kpi] = {kpi.name: kpi for kpi in KPIS}
assert len(_BY_NAME) == len(KPIS), "two KPIs share a name"


def named(name: str) -> Kpi:
    """The KPI called `name`; KeyError for a name the registry does not know."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no headline KPI is called {name!r} (figures/kpis.py: KPIS)") from None


def is_kpi(name: str) -> bool:
    """Whether `name` is a KPI's (a row's field of the same name, cost, is written the same way)."""
    return name in _BY_NAME


def headline_kpis(result_metric: str) -> tuple[Kpi, ...]:
    """The cover's cards, in registry order, the result slot filled with `result_metric`."""
    return tuple(kpi.as_result(result_metric) for kpi in KPIS if kpi.card)


RATE_NOISE = (
    1.0  # points: a rate that moved less than one point either way is flat (noise for a month of work)
)


def rate_direction(points: float) -> str:
    """Which way a rate moved by `points` (percentage points, signed): up, down, or flat when it moved less
    than RATE_NOISE either way. The one rule for a rate's change: the cover's cards and the takeaways that
    say a rate rose or fell both ask it, so a change a card shows as flat is never called a rise or a fall."""
    return "up" if points >= RATE_NOISE else ("down" if points <= -RATE_NOISE else "flat")


@dataclass(frozen=True, slots=True)
class Delta:
    """A KPI's change from last month, measured as its kind says. `direction`: up, down or flat; new (last
    month did not have it) or none (this month does not). A count or money: the `difference` and its share of
    last month's (`relative`, None when last month's was 0); a rate: the difference in `points`."""

    direction: str
    difference: Decimal | None = None
    relative: float | None = None
    points: float | None = None


def kpi_delta(kpi: Kpi, current: Figure, previous: Figure) -> Delta:
    """`kpi`'s change from `previous` (None: not known last month) to `current`."""
    if current is None:
        return Delta("none")
    if previous is None:
        return Delta("new")
    if kpi.kind is Kind.RATE:
        points = (float(current) - float(previous)) * 100
        return Delta(rate_direction(points), points=points)
    difference = Decimal(current) - Decimal(previous)
    relative = float(difference / Decimal(previous)) if previous else None
    direction = "up" if difference > 0 else ("down" if difference < 0 else "flat")
    return Delta(direction, difference=difference, relative=relative)


@dataclass(frozen=True, slots=True)
class Card:
    """A cover card's figures: its KPI (the result slot filled), the month's value, the change from last
    month, and the count its remark gives (0: the card has no remark this month)."""

    kpi: Kpi
    value: Figure
    delta: Delta
    remark: int = 0


def cards(current: MonthFigures, previous: MonthFigures | None) -> tuple[Card, ...]:
    """The cover's cards, in registry order (`headline_kpis`), with the month's result in the result slot."""
    made = []
    for kpi in headline_kpis(headline_result(current)):
        value = kpi.of(current)
        delta = kpi_delta(kpi, value, kpi.of(previous) if previous else None)
        remark = kpi.remark.count(current) if kpi.remark is not None else 0
        made.append(Card(kpi, value, delta, max(remark, 0)))
    return tuple(made)


def rows_kpis(rows: Sequence[Mapped], month: str) -> MonthKpis:
    """The headline figures of a month straight from its rows, by the same functions as `month_figures`,
    so equal to `month_kpis(month_figures(rows, …))`: the trends need them for eleven more months, whose
    breakdowns by goal, principle, channel and owner (most of the cost at 100,000 rows) would be thrown
    away."""
    sums = totals(rows)
    return MonthKpis(
        month=month,
        activities=sums.activities,
        completion_rate=completion_rate(rows),
        on_time_rate=on_time_rate(rows),
        goal_coverage=goal_coverage(rows),
        cost=sums.cost,
        metrics={name: sums.metrics[name] for name in METRICS},
    )
