"""The roll-up's first takeaway says of each team what the totals did with it (docs/rollup.md): a missing team
is left out of them, a blocked or rejected one is in them with its latest version. It said "Left out of the
totals: 星河增长团队 (without a review: 0; blocked: 1)" of a blocked team whose activities, leads and cost the
totals counted."""

from __future__ import annotations

from typing import Any

import pytest

from reportgen.figures.rollup import TeamSource, TeamStatus, rollup, rollup_document
from reportgen.rendering.rollup import Words


def _document(team: str, activities: int, leads: int) -> dict[str, Any]:
    return {
        "team": team,
        "month": "2026-10",
        "currency": "$",
        "totals": {
            "activities": activities,
            "done": activities,
            "cancelled": 0,
            "cost": 100.0,
            "leads": leads,
        },
        "goals": [],
        "claims": [],
    }


def _source(name: str, status: TeamStatus, activities: int = 10, leads: int = 5) -> TeamSource:
    missing = status is TeamStatus.MISSING
    return TeamSource(name, status, None if missing else _document(name, activities, leads), version=None)


CASES = {
    "blocked": (
        [_source("Alpha", TeamStatus.DELIVERED, 10, 5), _source("Beta", TeamStatus.BLOCKED, 7, 3)],
        "In the totals though not approved: Beta, blocked by errors or rejected; their latest version is "
        "counted and may still change. Ask them first.",
        "合计中已计入 Beta，但尚未获批（因错误阻塞或已驳回）：用的是其最新版本，数字可能还会变。请先催办。",
    ),
    "missing": (
        [_source("Alpha", TeamStatus.DELIVERED, 10, 5), _source("Gamma", TeamStatus.MISSING)],
        "Left out of the totals: Gamma, with no review of the month. Ask them first.",
        "合计中不含 Gamma：本月没有复盘。请先催办。",
    ),
    "both": (
        [
            _source("Alpha", TeamStatus.DELIVERED, 10, 5),
            _source("Beta", TeamStatus.REJECTED, 7, 3),
            _source("Gamma", TeamStatus.MISSING),
        ],
        "Left out of the totals: Gamma, with no review of the month. In the totals though not approved: "
        "Beta, blocked by errors or rejected (their latest version is counted). Ask them first.",
        "合计中不含 Gamma：本月没有复盘。已计入但尚未获批（因错误阻塞或已驳回）：Beta，"
        "用的是其最新版本。请先催办。",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_the_first_takeaway_says_which_teams_the_totals_leave_out_and_which_they_count(case: str) -> None:
    sources, english, chinese = CASES[case]
    result = rollup("Marketing", "2026-10", sources)
    counted = [source.document for source in sources if source.document is not None]
    document = rollup_document(result, "en")
    assert document["activities"] == sum(each["totals"]["activities"] for each in counted)
    assert document["leads"] == sum(each["totals"]["leads"] for each in counted)
    first = result.takeaways[0]
    assert Words("en").say(first) == english
    assert Words("zh").say(first) == chinese
