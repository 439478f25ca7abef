"""A workbook whose cells hold Excel's maximum of 32,767 characters wherever the review quotes cell text
(issue 19, item 8): a long Chinese activity, one unbroken word, a 2,000-line cell, and the same in the owner,
decision, initiative, stage, lesson, goal name, team title, commentary and unreadable date and cost cells.
Made at test time (about 190 KB; the 2,000 numbered lines compress least)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl

EXCEL_CELL_CHARS = 32_767
HEADERS = [
    "Date", "Channel", "Activity", "Owner", "Goal", "Status", "Due", "Done on", "Cost", "Leads",
    "Decision", "Initiative", "Stage", "Lesson",
]  # fmt: skip


def full(unit: str) -> str:
    """`unit` repeated to exactly Excel's limit of characters in a cell."""
    return (unit * (EXCEL_CELL_CHARS // len(unit) + 1))[:EXCEL_CELL_CHARS]


CHINESE = full("本月在华东地区联合三家合作伙伴开展的线下品牌推广与社群拉新活动，")
WORD = full("Supercalifragilisticexpialidocious")  # no space, no break opportunity
LINES = "\n".join(f"第{number}行 line {number}" for number in range(1, 2_001))[:EXCEL_CELL_CHARS]
TEXTS = (CHINESE, WORD, LINES)


def long_cells_workbook(folder: Path, name: str = "long-cells.xlsx") -> Path:
    """October 2026 (and a planned November row) with every quoted text field at 32,767 characters."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Activities"
    sheet.append([WORD])  # the title above the header row names the team
    sheet.append([])
    sheet.append(HEADERS)
    rows: list[list[Any]] = []
    for index, text in enumerate(TEXTS):
        day = dt.date(2026, 10, 1 + index)
        rows += [
            [day, "SEO", text, text, "G1", "Done", day, day, 100, 3, None, None, None, text],
            [day, "Event", text, "Ann", "", "Delayed", day, None, 50, 0, text, None, None, None],
            [day, "Content", text, "Bo", "G2", "Cancelled", None, None, 10, 0, None, None, None, text],
            [day, "Partnership", text, "Cy", "", "In progress", None, None, 0, 0, None, text, text, None],
            [day, "Partnership", "Plan " + str(index), "Cy", "", "Done", None, day, 0, 0, None, text,
             "方案", None],
        ]  # fmt: skip
    # a due date and a cost that cannot be read: their findings quote the cells' text
    rows.append(
        [dt.date(2026, 10, 4), "SEO", "Audit", "Ann", "G1", "Done", CHINESE, None, WORD, 1] + [None] * 4
    )
    rows.append([dt.date(2026, 9, 10), "SEO", CHINESE, "Ann", "G1", "Done", None, None, 20, 1] + [None] * 4)
    rows.append([dt.date(2026, 11, 3), "SEO", LINES, WORD, "G1", "Planned", None, None, 0, 0] + [None] * 4)
    for row in rows:
        sheet.append(row)
    goals = book.create_sheet("Goals")
    goals.append(["ID", "Name", "Metric", "Target"])
    goals.append(["G1", CHINESE, "leads", 100])
    goals.append(["G2", WORD, "activities", 5])
    goals.append(["G3", LINES, "leads", 10])  # served by nothing: "easily overlooked" names it
    commentary = book.create_sheet("Commentary")
    commentary.append(["Section", "Text"])
    for section in ("intro", "1", "2", "4", "conclusion"):
        commentary.append([section, LINES])
    path = folder / name
    book.save(path)
    return path
