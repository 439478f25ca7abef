"""Stage 5: what is easily overlooked, one function per check and section, and the conclusion's takeaways.

Every finding carries the numbers its sentence names and the cells behind them; the sentence itself comes from
the catalogue (`overlooked.<code>`, `takeaway.<code>`) in the review's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from reportgen.base.model import CellRef, Mapped, Principle, Status
from reportgen.figures.metrics import CompoundingTrend, Ladder, MonthFigures, total_cost

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
    refs: tuple[CellRef, ...] = field(default=())


def activity_ref(row: Mapped, sheet: str, column: int) -> CellRef:
    return CellRef.at(sheet, row.activity.row, column)


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
    stuck = [ladder for ladder in ladders if ladder.current is not None and ladder.stalled_days is not None]
    stuck.sort(key=lambda ladder: -(ladder.stalled_days or 0))  # stable: ties keep the sheet's order
    return [
        Overlooked(
            "stalled",
            {
                "initiative": ladder.initiative,
                "stage": ladder.current.layer or ladder.current.row.activity.stage,
                "days": ladder.stalled_days,
            },
            (ladder.current.row,),
        )
        for ladder in stuck
        if ladder.current is not None
    ]


def skipped_layers(ladders: Sequence[Ladder]) -> list[Overlooked]:
    """An initiative that went past a layer without working it: that team can still say no later."""
    return [
        Overlooked("skipped_layer", {"initiative": ladder.initiative, "layers": ladder.skipped})
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


@dataclass(frozen=True, slots=True)
class Takeaway:
    """A sentence for the conclusion, with the weight that ranked it and whether it is good news."""

    code: str
    params: dict[str, Any]
    weight: float
    win: bool


def candidate_takeaways(
    figures: MonthFigures,
    previous: MonthFigures | None,
    overlooked: dict[Principle, list[Overlooked]],
) -> list[Takeaway]:
    """Every takeaway the data supports, each weighted by how large its gap or win is."""
    candidates: list[Takeaway] = []
    measured = [goal for goal in figures.goals if goal.attainment is not None]
    gaps = [goal for goal in measured if goal.attainment is not None and goal.attainment < 1]
    wins = [goal for goal in measured if goal.attainment is not None and goal.attainment >= 1]
    if gaps:
        worst = min(gaps, key=lambda goal: goal.attainment or 0.0)
        params = {
            "goal": worst.name,
            "attainment": Rate(worst.attainment or 0.0),
            "actual": worst.actual,
            "target": worst.target,
            "metric": worst.metric,
        }
        candidates.append(Takeaway("goal_gap", params, (1 - (worst.attainment or 0.0)) * 100, False))
    if wins:
        best = max(wins, key=lambda goal: goal.attainment or 0.0)
        params = {
            "goal": best.name,
            "attainment": Rate(best.attainment or 0.0),
            "actual": best.actual,
            "target": best.target,
            "metric": best.metric,
        }
        candidates.append(Takeaway("goal_win", params, 20 + ((best.attainment or 1.0) - 1) * 50, True))
    if previous is not None and figures.completion_rate is not None and previous.completion_rate is not None:
        change = figures.completion_rate - previous.completion_rate
        params = {"rate": Rate(figures.completion_rate), "change": Points(change * 100)}
        code = "completion_up" if change >= 0 else "completion_down"
        candidates.append(Takeaway(code, params, abs(change) * 100, change >= 0))
    if figures.goal_cost_coverage is not None and 1 - figures.goal_cost_coverage > UNASSIGNED_COST_SHARE:
        share = 1 - figures.goal_cost_coverage
        params = {"share": Rate(share), "cost": Money(figures.totals.cost * Decimal(str(share)))}
        candidates.append(Takeaway("cost_without_goal", params, share * 100, False))
    for principle, weight_each in (
        (Principle.EXECUTION, 8.0),
        (Principle.DEFERRED_PAYOFF, 30.0),
        (Principle.LAYERED, 25.0),
    ):
        for item in overlooked[principle]:
            if item.code in ("miss_no_decision", "paused_while_improving", "stalled", "skipped_layer"):
                count = item.params.get("count", 1)
                candidates.append(Takeaway(item.code, item.params, weight_each * min(count, 5), False))
    return candidates


def choose_takeaways(candidates: Sequence[Takeaway], count: int = 3) -> list[Takeaway]:
    """The heaviest `count` takeaways, one per code, keeping the largest win when the rest are all gaps."""
    ranked: list[Takeaway] = []
    for candidate in sorted(candidates, key=lambda item: -item.weight):
        if all(candidate.code != chosen.code for chosen in ranked):
            ranked.append(candidate)
    chosen = ranked[:count]
    wins = [item for item in ranked if item.win]
    if wins and not any(item.win for item in chosen) and len(chosen) == count:
        chosen[-1] = wins[0]
    return chosen
