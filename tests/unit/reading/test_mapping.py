"""map_activities: goal from the cell, else the first rule, else none; principle likewise, then defaults."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from reportgen.base.config import Config, parse_config
from reportgen.base.model import Mapped, Principle
from reportgen.reading.mapping import map_activities
from reportgen.reading.normalize import normalize_rows
from reportgen.reading.workbook import read_workbook
from tests.builders import make_workbook

HEADERS = ["Date", "Channel", "Activity", "Goal", "Principle", "Initiative", "Stage", "Status"]
OCT = dt.date(2026, 10, 1)


def mapped(
    tmp_path: Path, rows: Sequence[Sequence[object]], rules: Sequence[Sequence[object]], config: Config
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


def test_a_blank_word_goal_cell_is_no_goal_and_lets_the_rules_decide(tmp_path: Path) -> None:
    rows = [
        [OCT, "SEO", "Keyword page", "-", "", "", "", "Done"],
        [OCT, "Event", "Meetup", "暂无", "", "", "", "Done"],
    ]
    path = make_workbook(tmp_path, rows, HEADERS, goals=[["G1", "More leads", "leads", 100]], rules=[])
    config = parse_config({"rules": [{"name": "all-seo", "channel": "seo", "goal": "G1"}]})
    result, findings = map_activities(normalize_rows(read_workbook(path), config, OCT), config)
    assert [(row.goal_id, row.goal_decided_by.kind) for row in result] == [
        ("G1", "config_rule"),
        (None, "none"),
    ]
    assert findings == []  # no goal "-" to be undefined


def test_an_undefined_rule_goal_is_one_warning_per_rule_not_per_row(tmp_path: Path) -> None:
    rows = [[OCT, "SEO", f"Page {day}", "", "", "", "", "Done"] for day in range(1, 6)]
    rules = [["SEO", "", "G9", ""], ["", "page", "G1", ""]]
    path = make_workbook(tmp_path, rows, HEADERS, goals=[["G1", "More leads", "leads", 100]], rules=rules)
    config = parse_config(
        {
            "rules": [
                {"name": "webinars", "keyword": "webinar", "goal": "G8"},
                {"name": "pages", "keyword": "page", "goal": "G1"},
            ]
        }
    )
    result, findings = map_activities(normalize_rows(read_workbook(path), config, OCT), config)
    assert all(row.goal_id is None and row.goal_decided_by.kind == "undefined_goal" for row in result)
    described = [(f.code, str(f.ref) if f.ref else None, f.sheet_name, f.params) for f in findings]
    assert described == [
        ("rule_goal_undefined", "Rules!C2", "Rules", {"goal": "G9"}),
        ("config_rule_goal_undefined", None, None, {"rule": "webinars", "goal": "G8"}),
    ]


def test_rule_n_is_the_nth_row_under_the_rules_header_blank_and_refused_rows_counted(tmp_path: Path) -> None:
    """The appendix says "rule 4" and its key says that is a row of the Rules sheet: a reader counting rows
    under the header must land on it, though a blank row and a refused rule stand above it."""
    rows = [
        [OCT, "SEO", "Keyword page", "", "", "", "", "Done"],
        [OCT, "Event", "Meetup", "", "", "", "", "Done"],
    ]
    rules: list[list[object]] = [
        ["Content", "", "G2", ""],
        [None, None, None, None],
        ["", "blog", "", ""],
        ["Event", "", "G1", ""],
    ]
    event = mapped(tmp_path, rows, rules, Config())[1]
    assert event.goal_decided_by.kind == "sheet_rule" and event.goal_decided_by.detail == "Rules!A5"
    assert event.goal_decided_by.number == 4  # rows A2, A3 (blank), A4 (no goal: refused), A5
