"""Twelve months of the headline KPIs: from the workbook's own rows where it has the month, else from what
the archive remembers of an earlier review. Where both know a past month and disagree, the workbook wins and
the disagreement is an "easily overlooked" item: someone changed history after it was reported. Which KPIs,
and how each is read from a month's figures or the archive's: figures/kpis.py."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reportgen.base.model import Mapped
from reportgen.figures.kpis import MonthKpis, headline_kpis, rows_kpis
from reportgen.figures.kpis import headline_result as headline_result  # the pipeline asks trends for it
from reportgen.figures.metrics import shift_month
from reportgen.figures.overlooked import Overlooked

TREND_MONTHS = 12
RATE_TOLERANCE = 1e-9


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
    def first_known(self) -> int:
        """The index of the first month any KPI is known (0 when none is): the trend lines start there, with
        no empty run on the left."""
        known = [index for index in range(len(self.months)) if any(
            points[index].value is not None for points in self.series.values())]  # fmt: skip
        return known[0] if known else 0

    @property
    def charted(self) -> tuple[str, ...]:
        """The KPIs known in two months or more: those a trend line can be drawn for, in series order."""
        return tuple(
            kpi for kpi, points in self.series.items() if sum(p.value is not None for p in points) >= 2
        )

    def latest(self, kpi: str) -> KpiPoint | None:
        """The latest month `kpi` is known in, with its value; None when it is known in none."""
        return next((point for point in reversed(self.series[kpi]) if point.value is not None), None)

    @property
    def from_archive(self) -> tuple[str, ...]:
        """The months whose figures only the archive had."""
        first = next(iter(self.series.values()), ())
        return tuple(point.month for point in first if point.source == "archive")


def kpi_trends(
    month: str,
    by_month: Mapping[str, Sequence[Mapped]],
    archived: Mapping[str, MonthKpis],
    result_metric: str,
) -> KpiTrends:
    """The trailing twelve months ending with `month`: the workbook's figures where it has rows for a month,
    the archive's where only it has the month; past months both know and disagree on are listed."""
    months = tuple(shift_month(month, offset) for offset in range(-(TREND_MONTHS - 1), 1))
    kpis = [kpi.name for kpi in headline_kpis(result_metric)]
    known: dict[str, tuple[MonthKpis, str]] = {}
    disagreements: list[Disagreement] = []
    for each in months:
        rows = by_month.get(each)
        ours = rows_kpis(rows, each) if rows else None
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
