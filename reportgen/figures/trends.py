"""Twelve months of the headline KPIs: from the workbook's own rows where it has the month, else from what
the archive remembers of an earlier review. Where both know a past month and disagree, the workbook wins and
the disagreement is an "easily overlooked" item: someone changed history after it was reported."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from reportgen.base.model import METRICS, Goal, Mapped
from reportgen.figures.metrics import MonthFigures, month_figures, shift_month
from reportgen.figures.overlooked import Overlooked

TREND_MONTHS = 12
HEADLINE_RESULTS = ("leads", "signups", "visits", "clicks", "followers", "impressions")
RATES = ("completion_rate", "on_time_rate", "goal_coverage")
RATE_TOLERANCE = 1e-9


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
        """The KPI by name (`activities`, a rate, `cost` or a metric), as a float for a chart."""
        if kpi == "activities":
            return float(self.activities)
        if kpi in RATES:
            rate: float | None = getattr(self, kpi)
            return rate
        if kpi == "cost":
            return float(self.cost)
        return float(self.metrics[kpi]) if kpi in self.metrics else None

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
class KpiPoint:
    month: str
    value: float | None
    source: str  # workbook | archive | none


@dataclass(frozen=True, slots=True)
class Disagreement:
    """A past month the archive reported differently from what the workbook says now."""

    month: str
    kpis: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class KpiTrends:
    """Each headline KPI over the trailing twelve months (oldest first), and where the sources disagree."""

    months: tuple[str, ...]
    series: dict[str, tuple[KpiPoint, ...]]
    disagreements: tuple[Disagreement, ...]

    def values(self, kpi: str) -> list[float | None]:
        return [point.value for point in self.series[kpi]]

    @property
    def from_archive(self) -> tuple[str, ...]:
        """The months whose figures only the archive had."""
        first = next(iter(self.series.values()), ())
        return tuple(point.month for point in first if point.source == "archive")


def headline_result(figures: MonthFigures) -> str:
    """The result the cards lead with: the first of leads, signups, visits, clicks... the month has."""
    for metric in HEADLINE_RESULTS:
        if figures.totals.metrics.get(metric):
            return metric
    return HEADLINE_RESULTS[0]


def headline_kpis(result_metric: str) -> tuple[str, ...]:
    """The cover's cards, in their order."""
    return ("activities", "completion_rate", "on_time_rate", "goal_coverage", "cost", result_metric)


def kpi_trends(
    month: str,
    by_month: Mapping[str, Sequence[Mapped]],
    goals: Sequence[Goal],
    archived: Mapping[str, MonthKpis],
    result_metric: str,
) -> KpiTrends:
    """The trailing twelve months ending with `month`: the workbook's figures where it has rows for a month,
    the archive's where only it has the month; past months both know and disagree on are listed."""
    months = tuple(shift_month(month, offset) for offset in range(-(TREND_MONTHS - 1), 1))
    kpis = headline_kpis(result_metric)
    known: dict[str, tuple[MonthKpis, str]] = {}
    disagreements: list[Disagreement] = []
    for each in months:
        rows = by_month.get(each)
        ours = month_kpis(month_figures(rows, goals, each)) if rows else None
        theirs = archived.get(each)
        if ours is not None:
            known[each] = (ours, "workbook")
            if theirs is not None and each != month:  # the month itself: a revision, not a disagreement
                differing = tuple(kpi for kpi in kpis if not _same(ours.value(kpi), theirs.value(kpi)))
                if differing:
                    disagreements.append(Disagreement(each, differing))
        elif theirs is not None:
            known[each] = (theirs, "archive")
    series = {
        kpi: tuple(
            KpiPoint(each, known[each][0].value(kpi), known[each][1])
            if each in known
            else KpiPoint(each, None, "none")
            for each in months
        )
        for kpi in kpis
    }
    return KpiTrends(months, series, tuple(disagreements))


def _same(ours: float | None, theirs: float | None) -> bool:
    if ours is None or theirs is None:
        return ours is theirs
    return abs(ours - theirs) <= RATE_TOLERANCE * max(1.0, abs(ours))


def disagreement_items(trends: KpiTrends) -> list[Overlooked]:
    """One "easily overlooked" item per past month the archive reported differently from the workbook now:
    the workbook's figures are the ones shown, and the reader should know an old review no longer holds."""
    return [
        Overlooked("archive_disagrees", {"month": item.month, "kpis": list(item.kpis)})
        for item in trends.disagreements
    ]
