# mypy: disallow-any-explicit, disallow-any-generics, disallow-untyped-defs
"""The cover: the KPI cards (figures/kpis.py `cards`, written here), scope, data quality, takeaways."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from reportgen.base.model import Finding as ModelFinding
from reportgen.figures import claims
from reportgen.figures.kpis import Delta, Kind, Kpi, cards
from reportgen.figures.metrics import (
    shift_month,
)
from reportgen.figures.review import Review, severity_counts
from reportgen.rendering.context.common import Clip, LeadNote, SectionFrame, counted, trend_charts
from reportgen.wording.format import Formatter


@dataclass(frozen=True, slots=True)
class KpiCard:
    label: str
    value: str
    delta: str  # "+12 (+8%)", "+3.2 pp", "new", or ""
    direction: str  # up | down | flat | new | none
    note: str
    tone: str = "neutral"  # good | bad | neutral: more activities or cost is neither good nor bad by itself
    remark: str = ""  # what the figure does not say by itself (work of the month still open)
    trend: str = ""  # the chart of its twelve months, when there are two months to draw


@dataclass(frozen=True, slots=True)
class CoverContext:
    """The cover: scope, KPI cards, takeaways, the intro's lead and notes, the data-quality line, contents."""

    scope: str
    generated: str
    kpis: tuple[KpiCard, ...]
    no_previous: str  # why the cards have no deltas, or ""
    takeaways: tuple[str, ...]
    lead: str
    notes: tuple[LeadNote, ...]
    data_quality: str
    contents: tuple[SectionFrame, ...]  # the numbered sections, in order
    revised: str = ""  # "Revised — replaces the review sent on …", or ""
    trend_note: str = ""  # which months of the trend lines came from the archive, or ""
    cut: bool = False  # a cell's text on it (the team, a takeaway, a note) was cut


def delta_text(kpi: Kpi, delta: Delta, fmt: Formatter) -> str:
    """A KPI's change as its card writes it: "+12 (+8%)", "−$28.20 (−0.04%)", "+3.2 pp", "new" or ""."""
    if delta.direction == "none":
        return ""
    if delta.direction == "new":
        return fmt.words.text("review.kpi_new")
    if delta.points is not None:
        return fmt.points(delta.points)
    difference = delta.difference if delta.difference is not None else Decimal(0)
    absolute = fmt.money(abs(difference)) if kpi.kind is Kind.MONEY else fmt.number(abs(difference))
    sign = "+" if difference > 0 else ("−" if difference < 0 else "±")
    relative = f" ({sign}{fmt.percent(abs(delta.relative))})" if delta.relative is not None else ""
    return f"{sign}{absolute}{relative}"


def kpi_cards(review: Review, fmt: Formatter) -> tuple[KpiCard, ...]:
    """The cover's cards: the registry's (figures/kpis.py), in its order."""
    words = fmt.words
    vs = (
        words.text("review.kpi_vs", month=fmt.month(shift_month(review.month, -1))) if review.previous else ""
    )
    names = trend_charts(review)
    return tuple(
        KpiCard(
            fmt.kpi(card.kpi.name, capital=True),
            fmt.kpi_value(card.kpi, card.value),
            delta_text(card.kpi, card.delta, fmt),
            card.delta.direction,
            vs,
            card.kpi.tone(card.delta.direction),
            words.text(card.kpi.remark.key, count=card.remark, number=fmt.number(card.remark))
            if card.kpi.remark is not None and card.remark
            else "",
            names.get(card.kpi.name, ""),
        )
        for card in cards(review.current, review.previous)
    )


def trend_note(review: Review, fmt: Formatter) -> str:
    """Which months of the trend lines only the archive knew, or ''."""
    trends = review.kpi_trends
    if trends is None or not trends.from_archive:
        return ""
    months = fmt.words.text("where.list").join(fmt.month(month) for month in trends.from_archive)
    return fmt.words.text("review.trend_from_archive", months=months)


def cover_context(
    review: Review,
    findings: Sequence[ModelFinding],
    notes: tuple[LeadNote, ...],
    takeaways: tuple[str, ...],
    contents: tuple[SectionFrame, ...],
    fmt: Formatter,
) -> CoverContext:
    words = fmt.words
    reach = claims.scope(review)
    counts = severity_counts(findings)
    scope_text = words.text(
        "review.cover_scope",
        activities=fmt.number(reach.activities),
        channels=fmt.number(reach.channels),
        owners=fmt.number(reach.owners),
    )
    if reach.unowned:
        scope_text += counted(words, "review.unowned", len(reach.unowned), cost=fmt.money(reach.unowned_cost))
    quality = (
        words.text(
            "review.data_quality_month",
            errors=counted(words, "review.count_error", counts.errors),
            warnings=counted(words, "review.count_warning", counts.warnings),
            infos=counted(words, "review.count_info", counts.infos),
        )
        if findings
        else words.text("review.data_quality_month_clean")
    )
    if review.findings_elsewhere:
        quality += words.text("where.sentence_gap") + counted(
            words, "review.data_quality_elsewhere", review.findings_elsewhere
        )
    return CoverContext(
        scope=scope_text,
        generated=words.text("review.generated", date=fmt.date(review.as_of)),
        kpis=kpi_cards(review, fmt),
        no_previous=""
        if review.previous
        else words.text("review.no_previous", month=fmt.month(shift_month(review.month, -1))),
        takeaways=takeaways,
        lead=words.text("review.lead.intro", month=fmt.month(review.month)),
        notes=notes,
        data_quality=quality,
        contents=contents,
    )


def takeaway_texts(review: Review, fmt: Formatter, clip: Clip) -> tuple[str, ...]:
    """Each takeaway's sentence; a stall with a decision on record asks to confirm it, not to make one."""
    return tuple(
        fmt.say(
            f"takeaway.{item.code}{'_decided' if item.params.get('decided') else ''}",
            clip.params(item.params),
        )
        for item in review.takeaways
    )
