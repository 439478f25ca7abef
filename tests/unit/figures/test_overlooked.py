"""Sections 3 and 4 figures and the "easily overlooked" checks, on hand-made rows; expectations come from the
rows in each test, not from the code under test."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from reportgen.base import vocab
from reportgen.base.model import Activity, Channel, Mapped, Number, Principle, Source, Status
from reportgen.figures.metrics import compounding_trends, initiative_ladders, month_figures, rows_by_month
from reportgen.figures.overlooked import (
    Kind,
    Rate,
    Takeaway,
    choose_takeaways,
    find_overlooked,
    misses_without_decision,
    unassigned_work,
)

D = dt.date


def mapped(
    day: dt.date,
    channel: Channel,
    status: Status,
    *,
    row: int = 2,
    goal: str | None = None,
    cost: Number | None = None,
    metrics: dict[str, Number | None] | None = None,
    decision: str | None = None,
    initiative: str | None = None,
    stage: str | None = None,
) -> Mapped:
    activity = Activity(
        row=row,
        date=day,
        channel=channel,
        activity="x",
        status=status,
        cost=cost,
        metrics={} if metrics is None else metrics,
        decision=decision,
        initiative=initiative,
        stage=stage,
    )
    return Mapped(activity, goal, Source("cell"), Principle.CONNECTION, Source("cell"))


def test_compounding_trend_is_cumulative_and_notices_a_pause_while_improving() -> None:
    rows = [
        mapped(D(2026, 8, 3), Channel.SEO, Status.DONE, cost=Decimal(300), metrics={"leads": 1}),
        mapped(D(2026, 9, 3), Channel.SEO, Status.DONE, cost=Decimal(300), metrics={"leads": 5}),
        mapped(D(2026, 10, 3), Channel.CONTENT, Status.DONE, cost=Decimal(50), metrics={"leads": 0}),
    ]
    by_month = rows_by_month(rows)
    seo, content = compounding_trends(by_month, "2026-10", (Channel.SEO, Channel.CONTENT), {})
    assert [entry.cumulative_cost for entry in seo.months] == [300, 600, 600]
    assert [entry.cumulative_results for entry in seo.months] == [1, 6, 6]
    first = seo.months[0].cost_per_result
    assert first is not None and seo.months[1].cost_per_result == Decimal(600) / 6 < first
    assert seo.paused and seo.cost_per_result_falling and not content.paused
    assert [row.activity.channel for row in content.maturing] == [Channel.CONTENT]  # done, no leads yet
    figures = month_figures(by_month["2026-10"], [], "2026-10")
    overlooked = find_overlooked(by_month["2026-10"], figures, [seo, content], [])
    codes = [item.code for item in overlooked[Principle.DEFERRED_PAYOFF]]
    assert codes == ["paused_while_improving", "maturing"]
    paused = overlooked[Principle.DEFERRED_PAYOFF][0]
    assert paused.params["from"].value == Decimal(300) and paused.params["to"].value == Decimal(100)


def test_ladder_orders_layers_and_finds_stalls_and_skips() -> None:
    rows = [
        mapped(D(2026, 8, 1), Channel.PARTNERSHIP, Status.DONE, initiative="Acme", stage="技术对接", row=5),
        mapped(
            D(2026, 7, 1), Channel.PARTNERSHIP, Status.DONE, initiative="Acme", stage="Plan for Acme", row=3
        ),
        mapped(
            D(2026, 9, 1), Channel.PARTNERSHIP, Status.IN_PROGRESS, initiative="Acme", stage="老板拍板", row=7
        ),
        mapped(
            D(2026, 10, 20),
            Channel.PARTNERSHIP,
            Status.IN_PROGRESS,
            initiative="Beta",
            stage="Business",
            row=9,
        ),
    ]
    as_of = D(2026, 11, 3)
    acme, beta = initiative_ladders(rows, D(2026, 10, 31), as_of, vocab.LAYER_WORDS)
    assert [stage.layer for stage in acme.stages] == ["plan", "tech", "decision_maker"]
    assert acme.standing == "tech"
    assert acme.skipped == ["business", "product"]  # a later layer is done and these have no row
    assert acme.current is not None and acme.current.row.activity.stage == "老板拍板"
    assert acme.stalled_days == (D(2026, 10, 31) - D(2026, 9, 1)).days  # to the month's end, not the build
    assert beta.stalled_days is None and beta.standing is None and beta.skipped == []


def test_goal_and_decision_checks() -> None:
    rows = [
        mapped(D(2026, 10, 1), Channel.SEO, Status.DONE, goal="G1", cost=Decimal(90)),
        mapped(D(2026, 10, 2), Channel.SEM, Status.DELAYED, cost=Decimal(10)),
        mapped(D(2026, 10, 3), Channel.EVENT, Status.CANCELLED, decision="budget moved to Q4"),
    ]
    (loose,) = unassigned_work(rows, Decimal(100))
    assert loose.params["count"] == 2 and loose.params["cost"].value == Decimal(10)
    assert loose.params["share"] == Rate(0.1)
    (silent,) = misses_without_decision(rows)
    assert silent.params["count"] == 1 and silent.rows[0].activity.channel is Channel.SEM


def test_takeaways_are_the_largest_gap_drop_and_win_then_the_largest_rest() -> None:
    candidates = [
        Takeaway("goal_gap", {}, Kind.GAP, 0.60),
        Takeaway("stalled", {}, Kind.GAP, 0.50),
        Takeaway("stalled", {}, Kind.GAP, 0.45),
        Takeaway("cost_without_goal", {}, Kind.GAP, 0.40),
        Takeaway("goal_win", {}, Kind.WIN, 0.20),
        Takeaway("completion_down", {}, Kind.DROP, 0.10),
    ]
    assert [item.code for item in choose_takeaways(candidates)] == ["goal_gap", "completion_down", "goal_win"]
    assert [item.code for item in choose_takeaways(candidates[:4])] == [
        "goal_gap",
        "stalled",
        "cost_without_goal",
    ]


def test_the_months_largest_drop_is_never_outranked() -> None:
    """October's completion fell 22 points: a stall or a skipped layer must not push it off the cover."""
    candidates = [
        Takeaway("stalled", {}, Kind.GAP, 1.0),
        Takeaway("skipped_layer", {}, Kind.GAP, 1.0),
        Takeaway("goal_win", {}, Kind.WIN, 0.51),
        Takeaway("on_time_down", {}, Kind.DROP, 0.05),
        Takeaway("completion_down", {}, Kind.DROP, 0.222),
    ]
    assert "completion_down" in [item.code for item in choose_takeaways(candidates)]


def test_stalled_initiatives_are_listed_longest_stuck_first() -> None:
    from reportgen.figures.overlooked import stalled_initiatives

    starts = {"Short": D(2026, 9, 25), "Longest": D(2026, 7, 1), "Middle": D(2026, 8, 15)}
    rows = [
        mapped(day, Channel.PARTNERSHIP, Status.IN_PROGRESS, initiative=name, stage="Business", row=index)
        for index, (name, day) in enumerate(starts.items(), start=2)
    ]
    as_of = D(2026, 11, 3)
    items = stalled_initiatives(initiative_ladders(rows, D(2026, 10, 31), as_of, vocab.LAYER_WORDS))
    assert [item.params["initiative"] for item in items] == ["Longest", "Middle", "Short"]
    assert [item.params["days"] for item in items] == [
        (D(2026, 10, 31) - starts[name]).days for name in ("Longest", "Middle", "Short")
    ]


def test_done_work_whose_result_cell_was_unreadable_is_not_called_maturing() -> None:
    rows = [
        mapped(D(2026, 10, 3), Channel.SEO, Status.DONE, cost=Decimal(10), metrics={"leads": None}, row=2),
        mapped(D(2026, 10, 4), Channel.SEO, Status.DONE, cost=Decimal(10), metrics={"leads": None}, row=3),
        mapped(D(2026, 10, 5), Channel.SEO, Status.DONE, cost=Decimal(10), metrics={"leads": 4}, row=4),
    ]
    (seo,) = compounding_trends(
        rows_by_month(rows), "2026-10", (Channel.SEO,), {}, lambda row, metric: row.activity.row == 3
    )
    assert [row.activity.row for row in seo.maturing] == [2]  # row 3's leads cell was an error, not a zero


def test_a_rate_change_the_cards_call_flat_is_no_takeaway() -> None:
    """September 1 of 2 done (50%), October 99 of 199 (49.7%): the completion card shows −0.3 pp as flat, so
    no takeaway may say completion fell; a change of a point or more is a rise or a fall on both."""
    from reportgen.figures.kpis import cards
    from reportgen.figures.overlooked import candidate_takeaways

    def month(day: dt.date, done: int, total: int) -> list[Mapped]:
        return [
            mapped(day, Channel.SEM, Status.DONE if index < done else Status.PLANNED, row=index + 2)
            for index in range(total)
        ]

    september = month_figures(month(D(2026, 9, 3), 1, 2), [], "2026-09")
    for done, total, direction in ((99, 199, "flat"), (51, 100, "up"), (49, 100, "down"), (97, 199, "down")):
        october = month_figures(month(D(2026, 10, 3), done, total), [], "2026-10")
        (card,) = [card for card in cards(october, september) if card.kpi.name == "completion_rate"]
        codes = [item.code for item in candidate_takeaways(october, september, {})]
        completion = [code for code in codes if code.startswith("completion_")]
        assert card.delta.direction == direction, (done, total)
        assert completion == ([] if direction == "flat" else [f"completion_{direction}"]), (done, total)


def test_a_layer_its_latest_row_shows_done_is_not_stuck() -> None:
    """Xco: Business in progress on Sep 1, done on Oct 10, Product planned: it stands on Business and is at
    Product, not 'stuck at the Business stage for 60 days'. Yco: Tech in progress since Aug 20, but its
    decision-maker signed on Oct 5: it went past Tech, so the row left open there is no stall. Zco: Business
    planned in July, at work since Sep 10 and still delayed: stuck from Sep 10, the day the work started."""
    from reportgen.figures.overlooked import stalled_initiatives

    def stage(day: dt.date, status: Status, name: str, text: str, row: int) -> Mapped:
        return mapped(day, Channel.PARTNERSHIP, status, initiative=name, stage=text, row=row)

    rows = [
        stage(D(2026, 9, 1), Status.IN_PROGRESS, "Xco", "Business", 2),
        stage(D(2026, 10, 10), Status.DONE, "Xco", "Business", 3),
        stage(D(2026, 10, 12), Status.PLANNED, "Xco", "Product", 4),
        stage(D(2026, 8, 20), Status.IN_PROGRESS, "Yco", "Tech", 5),
        stage(D(2026, 10, 5), Status.DONE, "Yco", "Decision-maker", 6),
        stage(D(2026, 7, 1), Status.DONE, "Zco", "Plan", 7),
        stage(D(2026, 7, 20), Status.PLANNED, "Zco", "Business", 8),
        stage(D(2026, 9, 10), Status.IN_PROGRESS, "Zco", "Business", 9),
        stage(D(2026, 10, 15), Status.DELAYED, "Zco", "Business", 10),
    ]
    xco, yco, zco = initiative_ladders(rows, D(2026, 10, 31), D(2026, 11, 3), vocab.LAYER_WORDS)
    assert xco.standing == "business" and xco.current is not None and xco.current.layer == "product"
    assert xco.stalled_days is None
    assert yco.standing == "decision_maker" and yco.stalled_days is None
    assert zco.current is not None and zco.current.row.activity.row == 8  # the layer's first open row
    assert zco.stalled_days == (D(2026, 10, 31) - D(2026, 9, 10)).days
    (stall,) = stalled_initiatives([xco, yco, zco])
    assert stall.params["initiative"] == "Zco" and stall.params["stage"] == "business"
    assert [row.activity.row for row in stall.rows] == [9]  # the row the days are counted from
