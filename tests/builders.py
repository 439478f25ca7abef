"""Workbooks made at test time: no binary fixtures that can be generated."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl

EN_HEADERS = ["Date", "Channel", "Activity", "Owner", "Goal", "Status", "Due", "Done on", "Cost", "Leads"]

# Three October rows under EN_HEADERS: done on time, delayed with an unreadable cost ("abc", an error
# finding), done without a due date. End-to-end tests build small workbooks from them.
OCTOBER_ROWS: list[list[Any]] = [
    [
        dt.date(2026, 10, 1),
        "SEO",
        "Keyword page",
        "Ann",
        "",
        "Done",
        dt.date(2026, 10, 5),
        dt.date(2026, 10, 4),
        20,
        2,
    ],
    [dt.date(2026, 10, 2), "Event", "Webinar", "Bo", "", "Delayed", None, None, "abc", 3],
    [dt.date(2026, 10, 9), "Content", "Launch article", "Bo", "", "Done", None, dt.date(2026, 10, 9), 5, 1],
]


def make_workbook(
    tmp_path: Path,
    rows: Sequence[Sequence[Any]],
    headers: Sequence[str] = EN_HEADERS,
    *,
    name: str = "book.xlsx",
    sheet: str = "Activities",
    title: str | None = None,
    goals: Sequence[Sequence[Any]] | None = None,
    goal_headers: Sequence[str] = ("ID", "Name", "Metric", "Target"),
    rules: Sequence[Sequence[Any]] | None = None,
    rule_headers: Sequence[str] = ("Channel", "Keyword", "Goal", "Principle"),
) -> Path:
    """Write an .xlsx with an activity sheet (optionally under a title row), and Goals / Rules sheets."""
    book = openpyxl.Workbook()
    activities = book.active
    assert activities is not None
    activities.title = sheet
    if title is not None:
        activities.append([title])
        activities.append([])
    activities.append(list(headers))
    for row in rows:
        activities.append(list(row))
    if goals is not None:
        goal_sheet = book.create_sheet("Goals")
        goal_sheet.append(list(goal_headers))
        for row in goals:
            goal_sheet.append(list(row))
    if rules is not None:
        rule_sheet = book.create_sheet("Rules")
        rule_sheet.append(list(rule_headers))
        for row in rules:
            rule_sheet.append(list(row))
    path = tmp_path / name
    book.save(path)
    return path


def team_copy(sample: Path, target: Path, team: str) -> Path:
    """A copy of a sample workbook kept by another team: the title above the header row names the team."""
    book = openpyxl.load_workbook(sample)
    sheet = next(ws for ws in book.worksheets if ws.title in ("Activities", "活动"))
    sheet.cell(1, 1).value = f"{team} — Marketing Ops Log 2026"
    target.parent.mkdir(parents=True, exist_ok=True)
    book.save(target)
    return target
