"""map_activities: goal from the cell, else the first rule, else none; principle likewise, then defaults."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from reportgen.config import Config, parse_config
from reportgen.mapping import map_activities
from reportgen.model import Mapped, Principle
from reportgen.normalize import normalize_rows
from reportgen.workbook import read_workbook
from tests.builders import make_workbook

HEADERS = ["Date", "Channel", "Activity", "Goal", "Principle", "Initiative", "Stage", "Status"]
OCT = dt.date(2026, 10, 1)


def mapped(
    tmp_path: Path, rows: list[list[object]], rules: list[list[object]], config: Config
) -> list[Mapped]:
    path = make_workbook(
        tmp_path,
        rows,
        HEADERS,
        goals=[["G1", "More leads", "leads", 100], ["G2", "Signups", "signups", 50]],
        rules=rules,
    )
    result, _ = map_activities(normalize_rows(read_workbook(path), config, OCT), config)
    return result


def test_goal_and_principle_sources_in_spec_order(tmp_path: Path) -> None:
    config = parse_config(
        {
            "rules": [
                {"name": "webinars", "keyword": "webinar", "goal": "G2"},
                {"name": "all-seo", "channel": "seo", "goal": "G2", "principle": "layered"},
            ]
        }
    )
    rows = [
        [OCT, "SEO", "Keyword page", "G1", "", "", "", "Done"],  # goal cell wins over every rule
        [OCT, "SEO", "Blog SEO audit", "", "", "", "", "Done"],  # Rules sheet row 1 beats config rules
        [OCT, "Event", "Webinar on pricing", "", "", "", "", "Done"],  # config rule 'webinars'
        [
            OCT,
            "Community",
            "Group Q&A",
            "more leads",
            "执行",
            "",
            "",
            "Done",
        ],  # goal by name, principle by name
        [
            OCT,
            "Partnership",
            "Acme integration",
            "",
            "",
            "Acme",
            "Plan",
            "Done",
        ],  # initiative + stage → layered
        [OCT, "User ops", "Reactivation mail", "G9", "", "", "", "Done"],  # undefined goal: no fall-through
        [OCT, "Content", "Case study", "", "", "", "", "Done"],  # nothing matches: defaults
    ]
    rules = [["SEO", "", "G1", "deferred payoff"], ["", "", "G2", ""]]
    result = mapped(tmp_path, rows, rules, config)
    described = [
        (row.goal_id, row.goal_decided_by.kind, row.principle, row.principle_decided_by.kind)
        for row in result
    ]
    assert described == [
        ("G1", "cell", Principle.DEFERRED_PAYOFF, "sheet_rule"),
        ("G1", "sheet_rule", Principle.DEFERRED_PAYOFF, "sheet_rule"),
        ("G2", "config_rule", Principle.EXECUTION, "channel_default"),
        ("G1", "cell", Principle.EXECUTION, "cell"),
        (None, "none", Principle.LAYERED, "initiative"),
        (None, "undefined_goal", Principle.CONNECTION, "channel_default"),
        (None, "none", Principle.DEFERRED_PAYOFF, "channel_default"),
    ]
    assert str(result[0].goal_decided_by.detail) == "Activities!D2"
    assert result[1].goal_decided_by.number == 1 and result[1].goal_decided_by.detail == "Rules!A2"
    assert result[2].goal_decided_by.detail == "webinars"


def test_undefined_goal_is_a_warning_naming_the_cell(tmp_path: Path) -> None:
    path = make_workbook(
        tmp_path,
        [[OCT, "SEO", "Page", "G9", "", "", "", "Done"]],
        HEADERS,
        goals=[["G1", "Leads", "leads", 1]],
    )
    config = Config()
    _, findings = map_activities(normalize_rows(read_workbook(path), config, OCT), config)
    assert [(finding.code, str(finding.ref)) for finding in findings] == [("goal_undefined", "Activities!D2")]
