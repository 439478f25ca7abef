"""Stage 5: what is easily overlooked, one function per check and section, and the conclusion's takeaways.

Every finding carries the numbers its sentence names and the cells behind them; the sentence itself comes from
the catalogue (`overlooked.<code>`, `takeaway.<code>`) in the review's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from reportgen.base.model import Mapped, Principle, Status
from reportgen.figures.kpis import rate_direction
from reportgen.figures.metrics import ZERO, CompoundingTrend, Ladder, MonthFigures, total_cost

SECTIONS: tuple[Principle, ...] = tuple(Principle)
MISSES = (Status.DELAYED, Status.CANCELLED)
UNASSIGNED_COST_SHARE = 0.10  # a takeaway when more than this share of cost serves no goal


@dataclass(frozen=True, slots=True)
class Money:
    """An amount the renderer formats in the sheet's currency."""

    value: Decimal


@dataclass(frozen=True, slots=True)
class Rate:
    """A fraction the renderer formats as a percentage."""

    value: float


@dataclass(frozen=True, slots=True)
class Points:
    """A change of a rate, in percentage points, signed."""

    value: float


@dataclass(frozen=True, slots=True)
class Overlooked:
    """An easily-overlooked fact: its catalogue code, the values its sentence names, the rows behind it."""

    code: str
    params: dict[str, Any]
    rows: tuple[Mapped, ...] = ()


# --- section 1: connection ---


def unassigned_work(rows: Sequence[Mapped], cost: Decimal) -> list[Overlooked]:
    """Activities tied to no goal: varied work that has become chaotic."""
    loose = [row for row in rows if row.goal_id is None]
    if not loose:
        return []
    loose_cost = total_cost(loose)
    share = Rate(float(loose_cost / cost)) if cost else None
    return [
        Overlooked("no_goal", {"count": len(loose), "cost": Money(loose_cost), "share": share}, tuple(loose))
    ]


def unserved_goals(figures: MonthFigures) -> list[Overlooked]:
    """Goals that no activity served this month."""
    idle = [goal for goal in figures.goals if goal.activities == 0]
    if not idle:
        return []
    return [Overlooked("goal_unserved", {"count": len(idle), "goals": ", ".join(goal.name for goal in idle)})]


# --- section 2: execution and decisions ---


def misses_without_decision(rows: Sequence[Mapped]) -> list[Overlooked]:
    """Delayed or cancelled work with no decision recorded behind it: the weak link nobody can learn from."""
    silent = [row for row in rows if row.activity.status in MISSES and not row.activity.decision]
    if not silent:
        return []
    return [Overlooked("miss_no_decision", {"count": len(silent)}, tuple(silent))]


def unmeasured_done(rows: Sequence[Mapped]) -> list[Overlooked]:
    """Done work whose timeliness cannot be judged because a due or done date is missing."""
    done = [row for row in rows if row.activity.status is Status.DONE]
    blind = [row for row in done if row.activity.due is None or row.activity.done_on is None]
    if not blind:
        return []
    return [Overlooked("on_time_unmeasured", {"count": len(blind), "done": len(done)}, tuple(blind))]


# --- section 3: deferred payoff ---


def paused_while_improving(trends: Sequence[CompoundingTrend]) -> list[Overlooked]:
    """A compounding channel stopped in the very month its cost per result was falling."""
    found = []
    for trend in trends:
        if trend.paused and trend.cost_per_result_falling:
            ratios = [
                month.cost_per_result
                for month in trend.months
                if month.activities and month.cost_per_result is not None
            ]
            found.append(
                Overlooked(
                    "paused_while_improving",
                    {"channel": trend.channel, "from": Money(ratios[-2]), "to": Money(ratios[-1])},
                    trend.rows,  # the rows whose cost and results make the cost per result
                )
            )
        elif trend.paused:
            found.append(Overlooked("paused", {"channel": trend.channel}))
    return found


def still_maturing(trends: Sequence[CompoundingTrend]) -> list[Overlooked]:
    """Done compounding work with no result yet: value not yet visible, easy to write off too early."""
    return [
        Overlooked(
            "maturing",
            {"channel": trend.channel, "count": len(trend.maturing), "metric": trend.result_metric},
            tuple(trend.maturing),
        )
        for trend in trends
        if trend.maturing
    ]


# --- section 4: layered pushing ---


def stalled_initiatives(ladders: Sequence[Ladder]) -> list[Overlooked]:
    """An initiative stuck on one layer for over a month, the longest stuck first."""
    stuck = [
        ladder for ladder in ladders if ladder.stalled_since is not None and ladder.stalled_days is not None
    ]
    stuck.sort(key=lambda ladder: -(ladder.stalled_days or 0))  # stable: ties keep the sheet's order
    return [
        Overlooked(
            "stalled",
            {
                "initiative": ladder.initiative,
                "stage": ladder.stalled_since.layer or ladder.stalled_since.row.activity.stage,
                "days": ladder.stalled_days,
                "until": ladder.counted_to,
                "decided": any(  # a decision on record for the stuck layer: on any of its open rows
                    stage.row.activity.decision for stage in ladder.open_rows()
                ),
            },
            (ladder.stalled_since.row,),  # the row the days are counted from
        )
        for ladder in stuck
        if ladder.stalled_since is not None
    ]


def skipped_layers(ladders: Sequence[Ladder]) -> list[Overlooked]:
    """An initiative that went past a layer without working it: that team can still say no later."""
    return [
        Overlooked(
            "skipped_layer",
            {"initiative": ladder.initiative, "layers": ladder.skipped},
            tuple(stage.row for stage in ladder.stages),
        )
        for ladder in ladders
        if ladder.skipped
    ]


def find_overlooked(
    rows: Sequence[Mapped],
    figures: MonthFigures,
    trends: Sequence[CompoundingTrend],
    ladders: Sequence[Ladder],
) -> dict[Principle, list[Overlooked]]:
    """Each section's "Easily overlooked" findings, in the order the review shows them."""
    return {
        Principle.CONNECTION: unassigned_work(rows, figures.totals.cost) + unserved_goals(figures),
        Principle.EXECUTION: misses_without_decision(rows) + unmeasured_done(rows),
        Principle.DEFERRED_PAYOFF: paused_while_improving(trends) + still_maturing(trends),
        Principle.LAYERED: stalled_initiatives(ladders) + skipped_layers(ladders),
    }


# --- the conclusion's takeaways ---


class Kind(StrEnum):
    """What a takeaway reports: a shortfall, a success, or a change against last month."""

    GAP = "gap"
    WIN = "win"
    DROP = "drop"  # a rate that fell against last month
    RISE = "rise"  # a rate that rose against last month


@dataclass(frozen=True, slots=True)
class Takeaway:
    """A sentence for the conclusion and the cover, with the size that ranked it.

    `size` is one measure for every kind, so that unlike things are never weighed against each other by
    hand-set weights: the share of what the item is measured against that it concerns, as a fraction. A goal
    gap: the share of its target missed; a win: the share by which its target was exceeded; a change: the
    rate's change in points over 100; cost with no goal: its share of the month's cost; misses with no
    decision: their share of the month's activities; stalled or skipped-layer initiatives: their share of the
    month's initiatives; a paused channel: its share of last month's cost."""

    code: str
    params: dict[str, Any]
    kind: Kind
    size: float

    @property
    def win(self) -> bool:
        return self.kind in (Kind.WIN, Kind.RISE)


RATE_CHANGES: tuple[tuple[str, str], ...] = (("completion_rate", "completion"), ("on_time_rate", "on_time"))


def _goal_params(goal: Any) -> dict[str, Any]:
    return {
        "goal": goal.name,
        "attainment": Rate(goal.attainment or 0.0),
        "actual": goal.actual,
        "target": goal.target,
        "metric": goal.metric,
    }


def candidate_takeaways(
    figures: MonthFigures,
    previous: MonthFigures | None,
    overlooked: dict[Principle, list[Overlooked]],
    ladders: Sequence[Ladder] = (),
) -> list[Takeaway]:
    """Every takeaway the data supports, each sized by the one measure `Takeaway` documents."""
    candidates: list[Takeaway] = []
    measured = [goal for goal in figures.goals if goal.attainment is not None]
    gaps = [goal for goal in measured if (goal.attainment or 0.0) < 1]
    wins = [goal for goal in measured if (goal.attainment or 0.0) >= 1]
    if gaps:
        worst = min(gaps, key=lambda goal: goal.attainment or 0.0)
        candidates.append(Takeaway("goal_gap", _goal_params(worst), Kind.GAP, 1 - (worst.attainment or 0.0)))
    if wins:
        best = max(wins, key=lambda goal: goal.attainment or 0.0)
        candidates.append(Takeaway("goal_win", _goal_params(best), Kind.WIN, (best.attainment or 1.0) - 1))
    if previous is not None:
        for field_name, stem in RATE_CHANGES:
            now, before = getattr(figures, field_name), getattr(previous, field_name)
            if now is None or before is None:
                continue
            change = now - before
            direction = rate_direction(change * 100)  # the cards' rule: under a point either way is flat
            if direction == "flat":
                continue
            params = {"rate": Rate(now), "previous": Rate(before), "change": Points(change * 100)}
            up = direction == "up"
            candidates.append(
                Takeaway(f"{stem}_{direction}", params, Kind.RISE if up else Kind.DROP, abs(change))
            )
    if figures.goal_cost_coverage is not None and 1 - figures.goal_cost_coverage > UNASSIGNED_COST_SHARE:
        share = 1 - figures.goal_cost_coverage
        params = {"share": Rate(share), "cost": Money(figures.totals.cost * Decimal(str(share)))}
        candidates.append(Takeaway("cost_without_goal", params, Kind.GAP, share))
    activities = figures.totals.activities
    initiatives = len(ladders)
    last_cost = previous.totals.cost if previous is not None else ZERO
    for items in overlooked.values():
        for item in items:
            if item.code == "miss_no_decision" and activities:
                candidates.append(
                    Takeaway(item.code, item.params, Kind.GAP, item.params["count"] / activities)
                )
            elif item.code == "stalled" and initiatives:
                stalled = sum(1 for entry in items if entry.code == "stalled")
                params = {**item.params, "count": stalled}
                candidates.append(Takeaway(item.code, params, Kind.GAP, stalled / initiatives))
            elif item.code == "skipped_layer" and initiatives:
                skipped = sum(1 for entry in items if entry.code == "skipped_layer")
                candidates.append(Takeaway(item.code, item.params, Kind.GAP, skipped / initiatives))
            elif item.code == "paused_while_improving" and previous is not None and last_cost:
                channel = previous.channels.get(item.params["channel"])
                share = float(channel.cost / last_cost) if channel is not None else 0.0
                candidates.append(Takeaway(item.code, item.params, Kind.GAP, share))
    return candidates


def choose_takeaways(candidates: Sequence[Takeaway], count: int = 3) -> list[Takeaway]:
    """Three takeaways by rule: the largest drop against last month (so the cover and the mail never hide
    it), the largest gap, the largest win; then the largest of the rest. One per code; a stall or a skipped
    layer names the first (the longest stuck) of its kind. Shown gap first, then the drop, then the win."""
    ranked = sorted(candidates, key=lambda item: -item.size)  # stable: ties keep the order found
    chosen: list[Takeaway] = []

    def take(item: Takeaway | None) -> None:
        if item is not None and len(chosen) < count and all(item.code != other.code for other in chosen):
            chosen.append(item)

    take(next((item for item in ranked if item.kind is Kind.GAP), None))
    take(next((item for item in ranked if item.kind is Kind.DROP), None))
    take(next((item for item in ranked if item.kind is Kind.WIN), None))
    for item in ranked:
        take(item)
    return chosen
