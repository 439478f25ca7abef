# mypy: disallow-any-explicit, disallow-any-generics, disallow-untyped-defs
"""The four numbered sections: 1 Connection (goals), 2 Execution and decisions (completion, on time, slips,
the misses), 3 Deferred payoff (the compounding channels), 4 Layered structure (one ladder per initiative)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal

from reportgen.figures import claims
from reportgen.figures.metrics import (
    LAYERS,
    ChannelMonth,
    CompoundingTrend,
    GoalFigures,
    Ladder,
    Stage,
)
from reportgen.figures.review import Review
from reportgen.rendering.context.appendix import APPENDIX_LIMIT
from reportgen.rendering.context.common import Cells, Clip, SectionFrame, more, words_list
from reportgen.wording.format import Formatter

LADDER_LIMIT = 12
MISSES_LIMIT = 7  # section 2 must end on its page with its "easily overlooked" box
RUNG_LIMIT = 2  # stages drawn per layer of a ladder


@dataclass(frozen=True, slots=True)
class GoalRow:
    id: str
    name: str
    metric: str
    target: str
    actual: str
    attainment: str
    activities: str
    cost: str
    channel_mix: str  # "SEO 3, Content 2": the words for the mix when there is no chart


@dataclass(frozen=True, slots=True)
class ConnectionContext:
    """1 Connection: each goal's attainment and channel mix, and how much of the work is tied to a goal."""

    frame: SectionFrame
    goals: tuple[GoalRow, ...]
    coverage: str


@dataclass(frozen=True, slots=True)
class MissRow:
    """A delayed or cancelled activity and the decision recorded behind it (None: no decision recorded)."""

    activity: str
    status: str
    owner: str
    decision: str | None
    cell: str


@dataclass(frozen=True, slots=True)
class ExecutionContext:
    """2 Execution and decisions: completion, on-time and slip sentences, then the misses."""

    frame: SectionFrame
    summary: tuple[str, ...]  # one sentence each: completion, on time, slip
    misses: tuple[MissRow, ...]
    misses_more: str


@dataclass(frozen=True, slots=True)
class TrendMonth:
    month: str
    activities: str
    cost: str
    results: str
    cumulative_cost: str
    cumulative_results: str
    cost_per_result: str


@dataclass(frozen=True, slots=True)
class ChannelTrend:
    """A compounding channel over the trailing months; `label` names it with its result metric."""

    label: str
    months: tuple[TrendMonth, ...]


@dataclass(frozen=True, slots=True)
class DeferredPayoffContext:
    """3 Deferred payoff: cumulative cost and results of the compounding channels, month by month."""

    frame: SectionFrame
    trends: tuple[ChannelTrend, ...]
    no_trends: str


@dataclass(frozen=True, slots=True)
class StageMark:
    """One stage row drawn on a rung: its status (a CSS key and its label) and the cell it is in."""

    status: str
    status_label: str
    cell: str


@dataclass(frozen=True, slots=True)
class Rung:
    """One layer of an initiative's ladder: its latest stages, how many earlier ones were not drawn."""

    layer: str
    stages: tuple[StageMark, ...]
    earlier: int
    skipped: bool
    standing: bool


@dataclass(frozen=True, slots=True)
class LadderRow:
    """An initiative as a ladder: where it stands, what it is on now, and whether it stalled or skipped."""

    initiative: str
    owner: str
    rungs: tuple[Rung, ...]
    standing: str
    now: str
    stalled: str
    skipped: str


@dataclass(frozen=True, slots=True)
class LayeredContext:
    """4 Layered structure: one ladder per initiative, a column per layer."""

    frame: SectionFrame
    layers: tuple[str, ...]
    ladders: tuple[LadderRow, ...]
    ladders_more: str
    no_ladders: str


def goal_row(goal: GoalFigures, fmt: Formatter, clip: Clip) -> GoalRow:
    return GoalRow(
        id=clip.phrase(goal.id),
        name=clip(goal.name),
        metric=fmt.metric(goal.metric) if goal.metric else "—",
        target=fmt.number(goal.target),
        actual=fmt.number(goal.actual),
        attainment=fmt.percent(goal.attainment),
        activities=fmt.number(goal.activities),
        cost=fmt.money(goal.cost),
        channel_mix=", ".join(f"{fmt.channel(channel)} {count}" for channel, count in goal.channels.items()),
    )


def connection_context(review: Review, frame: SectionFrame, fmt: Formatter, clip: Clip) -> ConnectionContext:
    current = review.current
    attainment = fmt.percents(goal.attainment for goal in current.goals)  # one precision for the column
    return ConnectionContext(
        frame=frame,
        goals=tuple(
            dataclasses.replace(goal_row(goal, fmt, clip), attainment=attainment(goal.attainment))
            for goal in current.goals
        ),
        coverage=fmt.words.text(
            "review.connection.coverage",
            share_activities=fmt.percent(current.goal_coverage),
            share_cost=fmt.percent(current.goal_cost_coverage),
        ),
    )


def execution_summary(run: claims.Execution, fmt: Formatter) -> tuple[str, ...]:
    """Completion, on time, and how far the late ones slipped, as sentences (figures: claims.execution)."""
    words = fmt.words
    sentences = [
        words.text(
            "review.execution.completion",
            done=fmt.number(run.done),
            planned=fmt.number(run.planned),
            rate=fmt.percent(run.completion),
        ),
        words.text(
            "review.execution.on_time",
            on_time=fmt.number(run.on_time),
            dated=fmt.number(run.dated),
            rate=fmt.percent(run.on_time_rate),
        )
        if run.dated
        else words.text("review.execution.on_time_none"),
    ]
    if run.slips:
        sentences.append(
            words.text(
                "review.execution.slip",
                late=fmt.number(len(run.late)),
                average=fmt.number(run.average_slip),
                worst=fmt.number(run.worst_slip),
            )
        )
    elif run.dated:
        sentences.append(words.text("review.execution.no_slip"))
    return tuple(sentences)


def execution_context(
    review: Review, frame: SectionFrame, cells: Cells, fmt: Formatter, clip: Clip
) -> ExecutionContext:
    run = claims.execution(review)
    misses = run.misses  # the unexplained first: they need action
    # the page holds seven misses, or two fewer for each of the lead's paragraphs on it
    shown = max(3, MISSES_LIMIT - 2 * len(frame.notes) - (2 if frame.trends else 0))  # each takes ~2 rows
    decision_field = "decision" if "decision" in cells.columns else "activity"
    return ExecutionContext(
        frame=frame,
        summary=execution_summary(run, fmt),
        misses=tuple(
            MissRow(
                activity=clip(row.activity.activity),
                status=fmt.status(row.activity.status),
                owner=clip.phrase(row.activity.owner or "—"),
                decision=clip(row.activity.decision) if row.activity.decision is not None else None,
                cell=cells.cite(row, decision_field),
            )
            for row in misses[:shown]
        ),
        misses_more=more(
            len(misses), shown, fmt, cut_at=APPENDIX_LIMIT if len(review.rows) > APPENDIX_LIMIT else 0
        ),
    )


def trend_month(entry: ChannelMonth, fmt: Formatter) -> TrendMonth:
    return TrendMonth(
        month=fmt.month_short(entry.month),
        activities=fmt.number(entry.activities),
        cost=fmt.money(entry.cost),
        results=fmt.number(entry.results),
        cumulative_cost=fmt.money(entry.cumulative_cost),
        cumulative_results=fmt.number(entry.cumulative_results),
        cost_per_result=fmt.money(entry.cost_per_result.quantize(Decimal("0.01")))
        if entry.cost_per_result is not None
        else "—",
    )


def channel_trend(trend: CompoundingTrend, fmt: Formatter) -> ChannelTrend:
    return ChannelTrend(
        label=fmt.words.text(
            "review.with_unit", label=fmt.channel(trend.channel), unit=fmt.metric(trend.result_metric)
        ),
        months=tuple(trend_month(entry, fmt) for entry in trend.months),
    )


def deferred_payoff_context(review: Review, frame: SectionFrame, fmt: Formatter) -> DeferredPayoffContext:
    return DeferredPayoffContext(
        frame=frame,
        trends=tuple(channel_trend(trend, fmt) for trend in review.trends),
        no_trends=fmt.words.text(
            "review.deferred.none",
            channels=words_list(fmt, [fmt.channel(channel) for channel in review.compounding]),
        ),
    )


def stage_mark(stage: Stage, cells: Cells, fmt: Formatter) -> StageMark:
    cell = cells.of(stage.row, "stage")
    if cells.archived(stage.row):  # that cell holds something else in today's workbook
        cell = fmt.words.text(
            "review.archived_cell_short", cell=cell, month=fmt.month_short(stage.row.activity.month)
        )
    return StageMark(status=stage.status.value, status_label=fmt.status(stage.status), cell=cell)


def rung(ladder: Ladder, layer: str, cells: Cells, fmt: Formatter) -> Rung:
    on_layer = ladder.stages_on(layer)
    return Rung(
        layer=fmt.layer(layer),
        # the latest rows of a layer tell where it stands; older ones are counted, not drawn
        stages=tuple(stage_mark(stage, cells, fmt) for stage in on_layer[-RUNG_LIMIT:]),
        earlier=max(0, len(on_layer) - RUNG_LIMIT),
        skipped=layer in ladder.skipped,
        standing=layer == ladder.standing,
    )


def ladder_row(ladder: Ladder, cells: Cells, fmt: Formatter, clip: Clip) -> LadderRow:
    words = fmt.words
    if ladder.finished:
        now = words.text("review.layered.all_done")
    elif ladder.current is None:  # every stage so far is done or cancelled; the next layer has no row yet
        now = words.text("review.layered.next_open", layer=fmt.layer(ladder.next_layer))
    elif ladder.current.layer:
        now = fmt.layer(ladder.current.layer)
    else:
        now = clip.phrase(ladder.current.row.activity.stage or "")
    return LadderRow(
        initiative=clip(ladder.initiative),
        owner=clip.phrase(ladder.owner or "—"),
        rungs=tuple(rung(ladder, layer, cells, fmt) for layer in LAYERS),
        standing=fmt.layer(ladder.standing) if ladder.standing else words.text("review.layered.nothing_done"),
        now=now,
        stalled=words.text("review.layered.stalled", days=ladder.stalled_days) if ladder.stalled_days else "",
        skipped=words.text("review.layered.skipped", layers=fmt.value("layers", ladder.skipped))
        if ladder.skipped
        else "",
    )


def layered_context(
    review: Review, frame: SectionFrame, cells: Cells, fmt: Formatter, clip: Clip
) -> LayeredContext:
    return LayeredContext(
        frame=frame,
        layers=tuple(fmt.layer(layer) for layer in LAYERS),
        ladders=tuple(ladder_row(ladder, cells, fmt, clip) for ladder in review.ladders[:LADDER_LIMIT]),
        ladders_more=more(len(review.ladders), LADDER_LIMIT, fmt, listed=False),
        no_ladders=fmt.words.text("review.layered.none", month=fmt.month(review.month)),
    )
