"""The roll-up's aggregation rules (figures/rollup.py) on generated team sets, each claim confirmed by
tests/rollup_oracle.py from the same documents."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from reportgen.figures.document import dumps
from reportgen.figures.kpis import kpi_delta, named
from reportgen.figures.rollup import Change, Rates, Replaced, TeamSource, TeamStatus, rollup, rollup_document
from tests.rollup_oracle import Team, check_rollup

CURRENCIES = ("$", "¥", "€")


@st.composite
def documents(draw: st.DrawFn, team: str, month: str) -> dict[str, Any]:
    """A team figures document with the fields the roll-up reads, as `build --json` writes them."""
    activities = draw(st.integers(0, 60))
    cancelled = draw(st.integers(0, activities))
    done = draw(st.integers(0, activities - cancelled))
    dated = draw(st.integers(0, done))
    on_time = draw(st.integers(0, dated))
    cost = draw(st.decimals(0, 100000, places=2))
    goals = draw(st.lists(st.one_of(st.none(), st.floats(0, 2.5, allow_nan=False)), max_size=4))
    claims: list[dict[str, Any]] = []
    if dated:
        claims.append(
            {
                "code": "execution.on_time",
                "cells": [],
                "numbers": {"on_time": on_time, "dated": dated, "rate": on_time / dated},
            }
        )
    no_goal = draw(st.integers(0, activities))
    if no_goal:
        claims.append(
            {
                "code": "overlooked.no_goal",
                "cells": [f"Activities!C{i + 2}" for i in range(no_goal)],
                "numbers": {"count": no_goal, "cost": float(cost / 3), "share": 0.33},
            }
        )
    if draw(st.booleans()):
        claims.append(
            {
                "code": "overlooked.stalled",
                "cells": ["Activities!C9"],
                "numbers": {
                    "initiative": "Partner X",
                    "stage": "business",
                    "days": draw(st.integers(31, 90)),
                },
            }
        )
    if draw(st.booleans()):
        claims.append(
            {"code": "overlooked.miss_no_decision", "cells": ["Activities!C4"], "numbers": {"count": 1}}
        )
    return {
        "team": team,
        "month": month,
        "as_of": "2026-11-03",
        "currency": draw(st.sampled_from(CURRENCIES)),
        "totals": {
            "activities": activities,
            "done": done,
            "cancelled": cancelled,
            "cost": float(cost),
            "leads": draw(st.integers(0, 500)),
        },
        "goals": [{"id": f"G{i}", "attainment": value} for i, value in enumerate(goals)],
        "claims": claims,
    }


STATUSES = [status for status in TeamStatus if status is not TeamStatus.MISSING]


@st.composite
def team_sets(draw: st.DrawFn) -> list[Team]:
    count = draw(st.integers(1, 8))
    teams = []
    for index in range(count):
        name = f"Team {index:02d}"
        missing = draw(st.booleans()) and draw(st.booleans())
        status = "missing" if missing else draw(st.sampled_from(STATUSES)).value
        current = None if missing else draw(documents(name, "2026-10"))
        previous = draw(st.one_of(st.none(), documents(name, "2026-09")))
        delivered = status == "delivered"
        teams.append(Team(name, status, None if missing else 1, delivered, current, previous))
    return teams


def _as_stored(document: dict[str, Any] | None) -> dict[str, Any] | None:
    """A document as the archive hands it back: through JSON."""
    return None if document is None else json.loads(json.dumps(document))


def _sources(teams: list[Team]) -> list[TeamSource]:
    return [
        TeamSource(
            team.name,
            TeamStatus(team.status),
            _as_stored(team.current),
            _as_stored(team.previous),
            team.version,
            team.delivered,
        )
        for team in teams
    ]


@given(teams=team_sets(), data=st.data())
def test_a_reissue_names_exactly_the_teams_whose_version_differs_from_what_the_head_read(
    teams: list[Team], data: st.DataObject
) -> None:
    """The roll-up replaced showed each team at some version (or not at all); the re-issue names the teams
    shown now at another version, whenever those versions were made."""
    for team in teams:  # the version read now: the first, a revision, or none (missing)
        if team.version is not None:
            team.version = data.draw(st.integers(1, 3))
    shown = {team.name: data.draw(st.sampled_from([None, 1, 2])) for team in teams}
    sent_at = dt.datetime(2026, 11, 5, 9, 0, tzinfo=dt.UTC)
    replaced = Replaced.of_document(sent_at, {"teams": [{"team": n, "version": v} for n, v in shown.items()]})
    document = json.loads(
        dumps(rollup_document(rollup("M", "2026-10", _sources(teams), None, replaced), "en"))
    )
    expected = [team.name for team in teams if shown[team.name] != team.version]
    assert check_rollup(document, teams, revised=expected) == []
    if expected:
        assert document["revised"]["numbers"]["since"] == "2026-11-05"
    else:
        assert document["revised"] is None


def test_without_the_versions_shown_a_reissue_names_the_teams_made_after_it_went_out() -> None:
    """A roll-up of some teams is not kept in the archive: only when it went out is known."""
    sent_at = dt.datetime(2026, 11, 5, 9, 0, tzinfo=dt.UTC)
    teams = [
        TeamSource("Before", TeamStatus.BUILT, {}, version=1, built_at=sent_at - dt.timedelta(minutes=1)),
        TeamSource("After", TeamStatus.BUILT, {}, version=2, built_at=sent_at + dt.timedelta(minutes=1)),
    ]
    assert [each.changed(team) for each in [Replaced(sent_at)] for team in teams] == [False, True]


@given(team_sets())
def test_every_claim_agrees_with_the_team_documents(teams: list[Team]) -> None:
    result = rollup("Marketing", "2026-10", _sources(teams))
    document = json.loads(dumps(rollup_document(result, "en")))
    assert check_rollup(document, teams) == []
    assert len(result.takeaways) <= 3
    assert [row.name for row in result.rows] == [team["team"] for team in document["teams"]]


@given(team_sets())
def test_department_totals_are_the_sums_of_the_teams(teams: list[Team]) -> None:
    document = json.loads(dumps(rollup_document(rollup("M", "2026-10", _sources(teams)), "en")))
    present = [team.current for team in teams if team.current is not None]
    if not present:
        assert document["teams"] and document.get("activities") is None
        return
    assert document["activities"] == sum(doc["totals"]["activities"] for doc in present)
    assert document["leads"] == sum(doc["totals"]["leads"] for doc in present)
    for currency in {doc["currency"] for doc in present}:
        expected = sum(Decimal(str(doc["totals"]["cost"])) for doc in present if doc["currency"] == currency)
        assert Decimal(str(document["cost"][currency])) == expected


@given(team_sets())
def test_currencies_stay_apart_unless_every_one_converts(teams: list[Team]) -> None:
    rates = Rates("$", {"¥": Decimal("0.14")}, dt.date(2026, 10, 31))
    result = rollup("M", "2026-10", _sources(teams), rates)
    spent = {team.current["currency"] for team in teams if team.current is not None}
    if spent <= {"$", "¥"} and spent:
        assert [line.currency for line in result.cost] == ["$"] and result.cost[0].converted
        expected = sum(
            Decimal(str(t.current["totals"]["cost"]))
            * (Decimal("0.14") if t.current["currency"] == "¥" else 1)
            for t in teams
            if t.current is not None
        )
        assert result.cost[0].cost == expected
    else:
        assert not any(line.converted for line in result.cost)
        assert {line.currency for line in result.cost} == spent


def test_rates_weighted_by_their_denominators() -> None:
    big = {
        "team": "A",
        "as_of": "2026-11-03",
        "currency": "$",
        "goals": [{"attainment": 0.5}, {"attainment": 1.5}],
        "totals": {"activities": 100, "done": 90, "cancelled": 0, "cost": 10, "leads": 1},
        "claims": [{"code": "execution.on_time", "cells": [], "numbers": {"on_time": 80, "dated": 80}}],
    }
    small = {
        "team": "B",
        "as_of": "2026-11-03",
        "currency": "$",
        "goals": [{"attainment": 0.1}],
        "totals": {"activities": 10, "done": 0, "cancelled": 0, "cost": 5, "leads": 2},
        "claims": [{"code": "execution.on_time", "cells": [], "numbers": {"on_time": 0, "dated": 20}}],
    }
    result = rollup(
        "M",
        "2026-10",
        [
            TeamSource("A", TeamStatus.DELIVERED, big, None, 1, True),
            TeamSource("B", TeamStatus.DELIVERED, small, None, 1, True),
        ],
    )
    assert result.kpis["completion_rate"].value == 90 / 110  # not the mean of 0.9 and 0
    assert result.kpis["on_time_rate"].value == 80 / 100
    assert result.kpis["goal_attainment"].value == (0.5 + 1.5 + 0.1) / 3
    assert result.cost[0].cost == Decimal(15)
    assert [row.name for row in result.rows] == ["B", "A"]  # B: gap 0.9; A: gap 0 (mean 1.0)


@given(before=st.integers(0, 200), moved=st.integers(-300, 300))
@example(before=0, moved=4)  # 0% to 1%: exactly one point
def test_a_department_rate_moves_when_a_team_card_would_say_it_moved(before: int, moved: int) -> None:
    """The roll-up's cards and takeaways call a rate up or down by the team reviews' rule (one point),
    so the head never reads "up" of a change a team's card shows flat, nor "flat" of one it shows up."""
    previous, value = before / 200, (before + moved / 2) / 200
    department = Change("completion_rate", "rate", value, previous).direction
    team = kpi_delta(named("completion_rate"), value, previous).direction
    assert department == team, (value, previous)
