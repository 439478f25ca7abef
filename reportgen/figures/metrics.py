"""Stage 4: the month's figures exactly as docs/metrics.md says, one small pure function each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from reportgen.base.model import METRICS, Channel, Goal, Mapped, Principle, Status, month_key

ZERO = Decimal(0)
K = TypeVar("K")


@dataclass(frozen=True, slots=True)
class Totals:
    """Counts by status, cost and every metric over one month's rows."""

    activities: int
    done: int
    cancelled: int
    in_progress: int
    planned: int
    delayed: int
    cost: Decimal
    metrics: dict[str, Decimal]

    @property
    def other(self) -> int:
        """Activities of none of the five statuses counted here."""
        return self.activities - (self.done + self.in_progress + self.planned + self.delayed + self.cancelled)


@dataclass(frozen=True, slots=True)
class GroupFigures:
    """Activities, done and cost of one principle, channel or owner; metrics where a section needs them."""

    activities: int
    done: int
    cost: Decimal
    metrics: dict[str, Decimal]


@dataclass(frozen=True, slots=True)
class GoalFigures:
    """A goal's attainment for the month and the channel mix of the activities that served it."""

    id: str
    name: str
    metric: str
    target: Decimal | None
    actual: Decimal | None
    attainment: float | None
    owner: str | None
    activities: int
    cost: Decimal
    channels: dict[Channel, int]


@dataclass(frozen=True, slots=True)
class MonthFigures:
    """Everything docs/metrics.md defines for one month; `previous` in the review has this same shape."""

    month: str
    totals: Totals
    completion_rate: float | None
    on_time_rate: float | None
    goal_coverage: float | None
    goal_cost_coverage: float | None
    goals: list[GoalFigures]
    principles: dict[Principle, GroupFigures]
    channels: dict[Channel, GroupFigures]
    owners: dict[str | None, GroupFigures]


def shift_month(month: str, delta: int) -> str:
    """'2026-01' shifted by -1 is '2025-12'."""
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def default_month(rows: Iterable[Mapped], as_of: dt.date) -> str | None:
    """The latest month with activities that does not start after the as-of date (docs/cli.md)."""
    limit = month_key(as_of)
    months = {row.activity.month for row in rows}
    eligible = [month for month in months if month <= limit]
    return max(eligible) if eligible else None


def rows_by_month(rows: Iterable[Mapped]) -> dict[str, list[Mapped]]:
    """Each month's rows in sheet order, grouped in one pass."""
    months: dict[str, list[Mapped]] = {}
    for row in rows:
        months.setdefault(row.activity.month, []).append(row)
    return months


def ratio(numerator: int | Decimal, denominator: int | Decimal) -> float | None:
    """A rate as a fraction; None when the denominator is 0 (shown as — in the review)."""
    return None if not denominator else float(Decimal(numerator) / Decimal(denominator))


def sum_metrics(rows: Sequence[Mapped]) -> dict[str, Decimal]:
    sums = dict.fromkeys(METRICS, ZERO)
    for row in rows:
        for name, value in row.activity.metrics.items():
            if value is not None:
                sums[name] += value
    return sums


def metric_total(rows: Sequence[Mapped], metric: str) -> Decimal:
    """One metric summed over the rows (an empty or unreadable cell counts as nothing)."""
    return ZERO + sum(row.activity.metrics.get(metric) or 0 for row in rows)


def total_cost(rows: Sequence[Mapped]) -> Decimal:
    return Decimal(ZERO + sum(row.activity.cost for row in rows if row.activity.cost is not None))


def count_status(rows: Sequence[Mapped], status: Status) -> int:
    return sum(1 for row in rows if row.activity.status is status)


def totals(rows: Sequence[Mapped]) -> Totals:
    return Totals(
        activities=len(rows),
        done=count_status(rows, Status.DONE),
        cancelled=count_status(rows, Status.CANCELLED),
        in_progress=count_status(rows, Status.IN_PROGRESS),
        planned=count_status(rows, Status.PLANNED),
        delayed=count_status(rows, Status.DELAYED),
        cost=total_cost(rows),
        metrics=sum_metrics(rows),
    )


def completion_rate(rows: Sequence[Mapped]) -> float | None:
    """done / (activities − cancelled)."""
    return ratio(count_status(rows, Status.DONE), len(rows) - count_status(rows, Status.CANCELLED))


def on_time_rate(rows: Sequence[Mapped]) -> float | None:
    """Done rows with done_on ≤ due, over done rows that have both dates."""
    pairs = [
        (row.activity.done_on, row.activity.due)
        for row in rows
        if row.activity.status is Status.DONE
        and row.activity.due is not None
        and row.activity.done_on is not None
    ]
    on_time = sum(1 for done_on, due in pairs if done_on is not None and due is not None and done_on <= due)
    return ratio(on_time, len(pairs))


def goal_coverage(rows: Sequence[Mapped]) -> float | None:
    """Rows with a resolved goal, over activities."""
    return ratio(sum(1 for row in rows if row.goal_id is not None), len(rows))


def goal_cost_coverage(rows: Sequence[Mapped]) -> float | None:
    """Cost of rows with a resolved goal, over all cost."""
    return ratio(total_cost([row for row in rows if row.goal_id is not None]), total_cost(rows))


def goal_figures(goal: Goal, rows: Sequence[Mapped], month: str) -> GoalFigures:
    """A goal's actual is its metric summed over the rows mapped to it (a count for `activities`)."""
    served = [row for row in rows if row.goal_id == goal.id]
    target = goal.target_for(month)
    actual: Decimal | None
    if goal.metric == "activities":
        actual = Decimal(len(served))
    elif goal.metric:
        actual = metric_total(served, goal.metric)
    else:
        actual = None
    channels: dict[Channel, int] = {}
    for row in served:
        channels[row.activity.channel] = channels.get(row.activity.channel, 0) + 1
    return GoalFigures(
        id=goal.id,
        name=goal.name,
        metric=goal.metric,
        target=target,
        actual=actual,
        attainment=ratio(actual, target) if actual is not None and target is not None else None,
        owner=goal.owner,
        activities=len(served),
        cost=total_cost(served),
        channels=dict(sorted(channels.items(), key=lambda item: (-item[1], item[0].value))),
    )


def grouped(rows: Sequence[Mapped], key_of: Callable[[Mapped], K]) -> dict[K, list[Mapped]]:
    groups: dict[K, list[Mapped]] = {}
    for row in rows:
        groups.setdefault(key_of(row), []).append(row)
    return groups


def owner_names(rows: Sequence[Mapped]) -> Callable[[Mapped], str | None]:
    """A row's owner as counted: names that differ only in case or spacing ("Ann", "ann", "Ann  Lee" and
    "Ann Lee") are one person, under the spelling met first in sheet order with its spaces tidied."""
    spelled: dict[str, str] = {}
    for row in rows:
        if row.activity.owner:
            tidy = " ".join(row.activity.owner.split())
            spelled.setdefault(tidy.casefold(), tidy)

    def name(row: Mapped) -> str | None:
        owner = row.activity.owner
        return spelled[" ".join(owner.split()).casefold()] if owner else None

    return name


def month_figures(current: Sequence[Mapped], goals: Sequence[Goal], month: str) -> MonthFigures:
    """All of docs/metrics.md's figures for `month` from that month's mapped rows."""
    by_principle = grouped(current, lambda row: row.principle)
    by_channel = grouped(current, lambda row: row.activity.channel)
    by_owner = grouped(current, owner_names(current))
    return MonthFigures(
        month=month,
        totals=totals(current),
        completion_rate=completion_rate(current),
        on_time_rate=on_time_rate(current),
        goal_coverage=goal_coverage(current),
        goal_cost_coverage=goal_cost_coverage(current),
        goals=[goal_figures(goal, current, month) for goal in goals],
        principles={principle: _group(by_principle.get(principle, [])) for principle in Principle},
        channels={channel: _group(by_channel[channel]) for channel in Channel if channel in by_channel},
        owners={
            owner: _group(owner_rows)
            for owner, owner_rows in sorted(
                by_owner.items(), key=lambda item: (-len(item[1]), item[0] is None, str(item[0] or ""))
            )
        },
    )


def _group(rows: Sequence[Mapped]) -> GroupFigures:
    return GroupFigures(len(rows), count_status(rows, Status.DONE), total_cost(rows), sum_metrics(rows))


# --- section 3: deferred payoff ---

RESULT_METRICS: tuple[str, ...] = ("leads", "signups", "visits", "clicks")
TRAILING_MONTHS = 6
MATURING_MONTHS = 3


@dataclass(frozen=True, slots=True)
class ChannelMonth:
    """One month of a compounding channel: its own cost and results, and the running totals since the window
    opened (cost per result is cumulative: what each result has cost so far)."""

    month: str
    activities: int
    cost: Decimal
    results: Decimal
    cumulative_cost: Decimal
    cumulative_results: Decimal

    @property
    def cost_per_result(self) -> Decimal | None:
        return self.cumulative_cost / self.cumulative_results if self.cumulative_results else None


@dataclass(frozen=True, slots=True)
class CompoundingTrend:
    """A channel whose value accumulates (docs/metrics.md): trailing months, whether it was paused this month,
    whether its cost per result was falling, the work that has not paid back yet, and the rows its cumulative
    cost and results are summed from (the channel's rows in the window, oldest month first)."""

    channel: Channel
    result_metric: str
    months: list[ChannelMonth]
    paused: bool
    cost_per_result_falling: bool
    maturing: list[Mapped]
    rows: tuple[Mapped, ...] = ()


def result_metric_for(channel: Channel, rows: Sequence[Mapped], configured: dict[Channel, str]) -> str:
    """The configured result metric, else the first of leads, signups, visits, clicks that the rows have."""
    if channel in configured:
        return configured[channel]
    for metric in RESULT_METRICS:
        if any(row.activity.metrics.get(metric) for row in rows):
            return metric
    return RESULT_METRICS[0]


def compounding_trends(
    by_month: dict[str, list[Mapped]],
    month: str,
    channels: Sequence[Channel],
    configured: dict[Channel, str],
    unreadable: Callable[[Mapped, str], bool] = lambda row, metric: False,
) -> list[CompoundingTrend]:
    """Cumulative cost and results over up to six trailing months for each compounding channel with data.
    `unreadable(row, metric)` says the row's metric cell could not be read: such a row is not "maturing"
    (its result is unknown, not zero), and its error finding already names the cell."""
    window = [shift_month(month, offset) for offset in range(-(TRAILING_MONTHS - 1), 1)]
    window = [candidate for candidate in window if candidate in by_month or candidate == month]
    trends = []
    for channel in channels:
        channel_rows = {
            candidate: [row for row in by_month.get(candidate, []) if row.activity.channel is channel]
            for candidate in window
        }
        if not any(channel_rows.values()):
            continue
        metric = result_metric_for(
            channel, [row for rows in channel_rows.values() for row in rows], configured
        )
        months = []
        cumulative_cost = cumulative_results = ZERO
        for candidate in window:
            rows = channel_rows[candidate]
            cost = total_cost(rows)
            results = metric_total(rows, metric)
            cumulative_cost += cost
            cumulative_results += results
            months.append(
                ChannelMonth(candidate, len(rows), cost, results, cumulative_cost, cumulative_results)
            )
        previous = shift_month(month, -1)
        paused = bool(channel_rows.get(previous)) and not channel_rows[month]
        ratios = [
            entry.cost_per_result
            for entry in months
            if entry.activities and entry.cost_per_result is not None
        ]
        falling = len(ratios) >= 2 and ratios[-1] < ratios[-2]
        recent = [candidate for candidate in window if candidate >= shift_month(month, 1 - MATURING_MONTHS)]
        # done, and no result on its row yet; open or planned work is not "maturing" (it is not done)
        maturing = [
            row
            for candidate in recent
            for row in channel_rows[candidate]
            if row.activity.status is Status.DONE
            and not row.activity.metrics.get(metric)
            and not unreadable(row, metric)
        ]
        summed = tuple(row for candidate in window for row in channel_rows[candidate])
        trends.append(CompoundingTrend(channel, metric, months, paused, falling, maturing, summed))
    return trends


# --- section 4: layered pushing ---

LAYERS: tuple[str, ...] = ("plan", "business", "product", "tech", "decision_maker")
STALL_DAYS = 30


@dataclass(frozen=True, slots=True)
class Stage:
    """One rung of an initiative's ladder: the row, its layer (None when the stage names none) and status."""

    row: Mapped
    layer: str | None

    @property
    def status(self) -> Status:
        return self.row.activity.status


@dataclass(frozen=True, slots=True)
class Ladder:
    """An initiative as ordered stages: the layer it stands on, where it is now, stalls and skipped layers."""

    initiative: str
    owner: str | None
    stages: list[Stage]
    standing: str | None  # the highest layer completed
    current: Stage | None  # the first open layer's first row since its last done or cancelled one
    stalled_days: int | None  # days the current layer has been stuck at work, when over STALL_DAYS
    skipped: list[str]
    counted_to: dt.date  # the day stalls are counted to: the month's end, or the as-of date inside it
    stalled_since: Stage | None = None  # the row a stall is counted from: the layer's first open row at work

    @property
    def finished(self) -> bool:
        """No stage is open and the top layer is done."""
        return self.current is None and self.standing == LAYERS[-1]

    @property
    def next_layer(self) -> str | None:
        """With no stage open and the ladder not finished: the layer above the one it stands on (the first
        when none is done), which has no row yet. Otherwise None."""
        if self.current is not None or self.finished:
            return None
        return LAYERS[LAYERS.index(self.standing) + 1] if self.standing else LAYERS[0]

    def stages_on(self, layer: str) -> list[Stage]:
        """The stages of `layer`, in ladder order (the latest last)."""
        return [stage for stage in self.stages if stage.layer == layer]

    def open_rows(self) -> list[Stage]:
        """The current layer's rows from `current` on: none of them done or cancelled (a stage that names no
        layer is a step of its own)."""
        if self.current is None:
            return []
        if self.current.layer is None:
            return [self.current]
        on_layer = self.stages_on(self.current.layer)
        return on_layer[next(index for index, stage in enumerate(on_layer) if stage is self.current) :]


def layer_of(stage_text: str, words: Sequence[tuple[str, Sequence[str]]]) -> str | None:
    """Match a stage cell to a layer by the words docs/metrics.md lists, in either language."""
    text = stage_text.casefold()
    for layer, layer_words in reversed(words):  # decision-maker before business: "business decision-maker"
        if any(word.casefold() in text for word in layer_words):
            return layer
    return None


def initiative_ladders(
    rows: Sequence[Mapped], month_end: dt.date, as_of: dt.date, words: Sequence[tuple[str, Sequence[str]]]
) -> list[Ladder]:
    """Every initiative with a row dated up to the end of the month, its stages ordered by layer (stages that
    name no layer keep their sheet order after the stage before them). A stall is counted to the month's
    end, or to the as-of date inside the month: a review speaks of its month, so a re-issue built a week
    later says the same."""
    until = min(as_of, month_end)
    by_initiative: dict[str, list[Mapped]] = {}
    for row in rows:
        activity = row.activity
        if activity.initiative and activity.stage and activity.date <= month_end:
            by_initiative.setdefault(activity.initiative, []).append(row)
    ladders = []
    for initiative, members in by_initiative.items():
        stages: list[tuple[int, int, Stage]] = []
        last_layer_index = -1
        for position, row in enumerate(members):
            layer = layer_of(row.activity.stage or "", words)
            if layer is not None:
                last_layer_index = LAYERS.index(layer)
            stages.append((last_layer_index, position, Stage(row, layer)))
        keyed = sorted(stages, key=lambda item: (item[0], item[1]))
        ordered = [stage for _, _, stage in keyed]
        done_layers = {stage.layer for stage in ordered if stage.status is Status.DONE and stage.layer}
        standing = max(done_layers, key=LAYERS.index) if done_layers else None
        current, since, stalled_days = _where_it_stands(keyed, standing, until)
        present = {stage.layer for stage in ordered if stage.layer}
        highest_done = LAYERS.index(standing) if standing else -1
        skipped = [layer for layer in LAYERS[: max(highest_done, 0)] if layer not in present]
        owners = [stage.row.activity.owner for stage in ordered if stage.row.activity.owner]
        ladders.append(
            Ladder(
                initiative,
                owners[-1] if owners else None,
                ordered,
                standing,
                current,
                stalled_days,
                skipped,
                until,
                since,
            )
        )
    return sorted(ladders, key=lambda ladder: ladder.initiative)


CLOSED = (Status.DONE, Status.CANCELLED)
AT_WORK = (Status.IN_PROGRESS, Status.DELAYED)


def _where_it_stands(
    keyed: Sequence[tuple[int, int, Stage]], standing: str | None, until: dt.date
) -> tuple[Stage | None, Stage | None, int | None]:
    """An initiative's current stage, the stage its stall is counted from, and the stall's days (over
    STALL_DAYS, else None), from its stages in ladder order (`keyed`: the index of the layer each stands
    under, its sheet position, the stage).

    Each layer is a step (a stage that names no layer, a step of its own), and its latest row says where it
    is: a layer whose latest row is done or cancelled is closed, however long its earlier rows were open.
    The current step is the first open one; its open rows are those since its last done or cancelled row,
    and `current` is the first of them. It is stalled when its latest row is in progress or delayed, the
    initiative stands on no layer above it (one that stands higher has moved past it: a row left open
    below is no stall), and over STALL_DAYS days have passed to `until` since the first open row at work
    (in progress or delayed): planned work is not stuck, and the count starts when the work did."""
    steps: dict[tuple[str, int], list[tuple[int, Stage]]] = {}
    for level, position, stage in keyed:
        key = ("layer", LAYERS.index(stage.layer)) if stage.layer else ("row", position)
        steps.setdefault(key, []).append((level, stage))
    for members in steps.values():  # in ladder order: a step stands where its first row does
        closed = [index for index, (_, stage) in enumerate(members) if stage.status in CLOSED]
        run = members[closed[-1] + 1 :] if closed else members
        if not run:
            continue
        level, current = run[0]
        working = [stage for _, stage in run if stage.status in AT_WORK]
        passed = standing is not None and LAYERS.index(standing) > level
        if run[-1][1].status not in AT_WORK or passed or not working:
            return current, None, None
        days = (until - working[0].row.activity.date).days
        return (current, working[0], days) if days > STALL_DAYS else (current, None, None)
    return None, None, None


def last_day_of(month: str) -> dt.date:
    """The last day of a 'YYYY-MM' month."""
    following = shift_month(month, 1)
    return dt.date(int(following[:4]), int(following[5:]), 1) - dt.timedelta(days=1)


# --- the conclusion ---


def lessons_taught(rows: Iterable[Mapped]) -> dict[str, list[Mapped]]:
    """Each lesson recorded, once however many rows repeat it (teams copy a lesson across rows; its spacing
    does not count), with the rows that taught it: lessons and rows in sheet order."""
    taught_by: dict[str, list[Mapped]] = {}
    for row in rows:
        if row.activity.lesson:
            taught_by.setdefault(" ".join(row.activity.lesson.split()), []).append(row)
    return taught_by
