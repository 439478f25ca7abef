"""Which of the months before the reviewed one the archive stands in for (pipeline/build.py
`months_with_archive`): a month the workbook no longer has, or kept only the latest rows of (a log trimmed
from its oldest end), is the archive's; a month the lead corrected (a duplicate deleted, a row moved to the
next month) is the workbook's, so a deleted row never comes back and a moved row is never counted twice."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from reportgen.base.config import Config
from reportgen.figures.metrics import rows_by_month
from reportgen.pipeline.build import check_workbook, months_with_archive
from tests.builders import make_workbook

AS_OF = dt.date(2026, 11, 3)
SEP = [dt.date(2026, 9, day) for day in (2, 9, 16, 23, 30)]
SEPTEMBER: list[list[Any]] = [
    [SEP[0], "SEO", "Keyword page", "Ann", "", "Done", SEP[1], SEP[0], 20, 2],
    [SEP[1], "Event", "Webinar", "Bo", "", "Done", None, SEP[1], 50, 4],
    [SEP[1], "Event", "Webinar", "Bo", "", "Done", None, SEP[1], 50, 4],  # typed twice
    [SEP[2], "Content", "Launch article", "Bo", "", "Done", None, SEP[3], 5, 1],
    [SEP[4], "SEM", "Ads Q4", "Cy", "", "Done", None, SEP[4], 300, 9],
]
OCTOBER: list[list[Any]] = [[dt.date(2026, 10, 5), "SEO", "Title test", "Ann", "", "Done", None, None, 10, 1]]


def september(tmp_path: Path, name: str, rows: list[list[Any]]) -> tuple[list[str], list[str]]:
    """(the workbook's September as the review takes it, the rows of the month the archive stood in for),
    each row as its activity text; the archive holds the first build's September (SEPTEMBER)."""
    sent = check_workbook(make_workbook(tmp_path, SEPTEMBER, name="sent.xlsx"), Config(), AS_OF).rows
    now = check_workbook(make_workbook(tmp_path, rows, name=name), Config(), AS_OF).rows
    by_month, _ = months_with_archive(now, rows_by_month(now), sent, "2026-10")
    stood_in = [row.activity.activity for row in by_month["2026-09"] if row not in now]
    return [row.activity.activity for row in by_month["2026-09"]], stood_in


def test_a_month_the_lead_corrected_is_the_workbooks(tmp_path: Path) -> None:
    corrected = [SEPTEMBER[0], SEPTEMBER[1], SEPTEMBER[3]]  # the duplicate deleted
    ads = [dt.date(2026, 10, 1), *SEPTEMBER[4][1:6], None, dt.date(2026, 10, 1), 300, 9]  # moved to October
    shown, stood_in = september(tmp_path, "corrected.xlsx", [*corrected, ads, *OCTOBER])
    assert shown == ["Keyword page", "Webinar", "Launch article"] and stood_in == []


def test_a_log_trimmed_from_its_oldest_end_has_the_archive_behind_it(tmp_path: Path) -> None:
    shown, stood_in = september(tmp_path, "trimmed.xlsx", [SEPTEMBER[4], *OCTOBER])  # a stray last row kept
    assert shown == ["Keyword page", "Webinar", "Webinar", "Launch article", "Ads Q4"]
    assert stood_in == ["Keyword page", "Webinar", "Webinar", "Launch article"]
    shown, stood_in = september(tmp_path, "gone.xlsx", OCTOBER)  # no September row left
    assert len(shown) == 5 and len(stood_in) == 5
