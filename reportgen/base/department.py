"""The department's roll-up as the archive files it: under the reserved team `DEPARTMENT_TEAM`, beside the
teams' reviews (its versions, runs and approvals). The one test of whether a team is the roll-up, here in the
bottom layer, because the pipeline, the cycle and every front end ask it, and asking must not import the
roll-up's figures."""

from __future__ import annotations

# the team key the archive files the department's own roll-ups under (its versions, runs and approvals: the
# schedule's roll-up, cycle/rollup.py); never one of the teams a roll-up reads
DEPARTMENT_TEAM = "department"


def is_rollup(team: str) -> bool:
    """Whether `team` (a review's team, as the archive stores it) is the department's roll-up: no workbook, no
    findings, made of the teams' reviews; drafted by the schedule or `reportgen rollup`, never uploaded."""
    return team == DEPARTMENT_TEAM
