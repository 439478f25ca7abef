"""docs/metrics.md's definitions on hand-made mapped rows; expectations are recomputed from the rows here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from reportgen.base.model import Activity, Channel, Goal, Mapped, Number, Principle, Source, Status
from reportgen.figures.metrics import (
    LAYERS,
    Ladder,
    Stage,
    default_month,
    lessons_taught,
    month_figures,
    rows_by_month,
    shift_month,
    totals,
)

D = dt.date


def row(
    day: dt.date,
    status: Status,
    *,
    goal: str | None = None,
    cost: str | None = None,
    leads: int = 0,
    due: dt.date | None = None,
    done_on: dt.date | None = None,
    channel: Channel = Channel.SEO,
    owner: str | None = "Ann",
    principle: Principle = Principle.CONNECTION,
) -> Mapped:
    activity = Activity(
        row=2,
        date=day,
        channel=channel,
        activity="x",
        owner=owner,
        status=status,
        due=due,
        done_on=done_on,
        cost=Decimal(cost) if cost else None,
        metrics={"leads": Decimal(leads)} if leads else {},
    )
    return Mapped(activity, goal, Source("cell"), principle, Source("cell"))


ROWS = [
    row(
        D(2026, 10, 1),
        Status.DONE,
        goal="G1",
        cost="100.10",
        leads=5,
        due=D(2026, 10, 5),
        done_on=D(2026, 10, 4),
    ),
    row(
        D(2026, 10, 2), Status.DONE, goal="G1", cost="50", leads=3, due=D(2026, 10, 5), done_on=D(2026, 10, 9)
    ),
    row(D(2026, 10, 3), Status.DONE, cost="10", leads=1, channel=Channel.EVENT, owner=None),  # no dates
    row(D(2026, 10, 4), Status.CANCELLED, goal="G2", principle=Principle.EXECUTION),
    row(D(2026, 10, 5), Status.DELAYED, goal="G2", cost="40", principle=Principle.EXECUTION),
    row(D(2026, 9, 30), Status.DONE, goal="G1", cost="7", leads=100),  # previous month
]
GOALS = [
    Goal("G1", "Leads", "leads", {"": Decimal(10), "2026-10": Decimal(16)}, None, 2),
    Goal("G2", "Busy", "activities", {"": Decimal(4)}, None, 3),
    Goal("G3", "No target", "leads", {"": None}, None, 4),
]


def _leads(row: Mapped) -> Number:
    """The row's leads, 0 when it has none (the test rows never leave the cell unreadable)."""
    leads = row.activity.metrics.get("leads", 0)
    assert leads is not None
    return leads


def test_month_figures_follow_spec_definitions() -> None:
    october = [r for r in ROWS if r.activity.month == "2026-10"]
    figures = month_figures(rows_by_month(ROWS)["2026-10"], GOALS, "2026-10")
    done = [r for r in october if r.activity.status is Status.DONE]
    cancelled = [r for r in october if r.activity.status is Status.CANCELLED]
    assert figures.totals.activities == len(october)
    assert figures.totals.done == len(done)
    assert figures.completion_rate == len(done) / (len(october) - len(cancelled))
    dated = [(r.activity.done_on, r.activity.due) for r in done if r.activity.due and r.activity.done_on]
    assert figures.on_time_rate == sum(done_on <= due for done_on, due in dated) / len(dated)
    assert figures.totals.cost == sum((r.activity.cost or Decimal(0) for r in october), Decimal(0))
    assert figures.totals.metrics["leads"] == sum(_leads(r) for r in october)
    assert figures.goal_coverage == sum(r.goal_id is not None for r in october) / len(october)
    goal_cost = sum((r.activity.cost or Decimal(0) for r in october if r.goal_id), Decimal(0))
    assert figures.goal_cost_coverage == float(goal_cost / figures.totals.cost)
    g1, g2, g3 = figures.goals
    assert g1.target == Decimal(16)  # the month's own target beats the every-month one
    assert g1.actual == sum(_leads(r) for r in october if r.goal_id == "G1")
    assert g1.target is not None and g1.attainment == float(g1.actual / g1.target)
    assert g2.actual == sum(1 for r in october if r.goal_id == "G2")
    assert g3.attainment is None and g3.actual == 0
    assert figures.principles[Principle.EXECUTION].activities == 2
    assert figures.principles[Principle.LAYERED].activities == 0
    assert set(figures.channels) == {Channel.SEO, Channel.EVENT}
    assert list(figures.owners) == ["Ann", None]


def test_rates_with_no_denominator_are_none() -> None:
    figures = month_figures([row(D(2026, 10, 4), Status.CANCELLED)], [], "2026-10")
    assert figures.completion_rate is None
    assert figures.on_time_rate is None
    assert figures.goal_cost_coverage is None


def test_default_month_ignores_months_after_the_as_of_date() -> None:
    rows = [*ROWS, row(D(2026, 11, 20), Status.PLANNED)]
    assert default_month(rows, D(2026, 11, 3)) == "2026-11"
    assert default_month(rows, D(2026, 10, 31)) == "2026-10"
    assert default_month(rows, D(2026, 1, 1)) is None
    assert shift_month("2026-01", -1) == "2025-12"


def test_activities_of_no_counted_status_are_the_others() -> None:
    month = [*ROWS[:5], row(D(2026, 10, 6), Status.OTHER), row(D(2026, 10, 7), Status.PLANNED)]
    assert totals(month).other == 1


def test_lessons_are_counted_once_however_many_rows_repeat_them() -> None:
    taught = [row(D(2026, 10, day), Status.DONE) for day in (1, 2, 3)]
    taught[0].activity.lesson = "Ship  early"
    taught[2].activity.lesson = "Ship early\n"
    assert lessons_taught([*taught, row(D(2026, 10, 4), Status.DONE)]) == {
        "Ship early": [taught[0], taught[2]]
    }


def ladder(*stages: tuple[str, Status]) -> Ladder:
    made = [Stage(row(D(2026, 10, 1), status), layer) for layer, status in stages]
    done = [stage.layer for stage in made if stage.status is Status.DONE and stage.layer]
    current = next((stage for stage in made if stage.status not in (Status.DONE, Status.CANCELLED)), None)
    standing = max(done, key=LAYERS.index) if done else None
    return Ladder("Acme", None, made, standing, current, None, [], D(2026, 10, 31))


def test_a_ladder_says_whether_it_is_finished_and_which_layer_is_next() -> None:
    top = ladder(*((layer, Status.DONE) for layer in LAYERS))
    assert top.finished and top.next_layer is None
    halfway = ladder(("plan", Status.DONE), ("business", Status.DONE), ("business", Status.CANCELLED))
    assert not halfway.finished and halfway.next_layer == "product"
    assert ladder(("plan", Status.CANCELLED)).next_layer == LAYERS[0]  # nothing done: the first layer
    working = ladder(("plan", Status.DONE), ("business", Status.IN_PROGRESS))
    assert not working.finished and working.next_layer is None  # a stage is open
    assert [stage.status for stage in halfway.stages_on("business")] == [Status.DONE, Status.CANCELLED]


def test_an_owner_written_with_another_case_or_spacing_is_one_person() -> None:
    """The cover said "by 6 people" of Ann, ann, ANN, "Ann  Lee", "Ann Lee" and Bob: three people. Each is
    counted under the spelling met first, its spaces tidied; someone else stays someone else."""
    names = ["Ann", "ann", "ANN", "Ann  Lee", "Ann Lee", "Bob", None]
    rows = [row(D(2026, 10, day), Status.DONE, owner=name) for day, name in enumerate(names, start=1)]
    owners = month_figures(rows, [], "2026-10").owners
    assert {name: group.activities for name, group in owners.items()} == {
        "Ann": 3,
        "Ann Lee": 2,
        "Bob": 1,
        None: 1,
    }
