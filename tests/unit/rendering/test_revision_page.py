"""The page of changes a revision adds: only what reads differently, each changed field as it was and is now,
from two figures documents made from real workbooks. The comparison itself: figures/test_changes.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from reportgen.base.catalogue import catalogue
from reportgen.base.config import Config
from reportgen.figures.changes import KpiChange, ReviewChanges, Revision, review_changes
from reportgen.pipeline.build import build_review, check_workbook
from reportgen.rendering.context.changes import RevisionContext, revision_context
from reportgen.wording.documents import figures_document
from reportgen.wording.format import Formatter
from tests.builders import OCTOBER_ROWS, make_workbook

AS_OF = dt.date(2026, 11, 3)


def document(folder: Path, rows: list[list[object]]) -> dict[str, object]:
    folder.mkdir()
    checked = check_workbook(make_workbook(folder, rows), Config(), AS_OF)
    return figures_document(build_review(checked, "2026-10", AS_OF, "en", Config()))


SENT_ON = dt.datetime(2026, 11, 3, 9, 30)


def page(changes: ReviewChanges, lang: str = "en") -> RevisionContext:
    return revision_context(Revision(2, SENT_ON, changes), Formatter(lang, "$"))


def test_a_figure_that_reads_the_same_at_the_precision_shown_is_not_listed() -> None:
    changes = ReviewChanges(
        kpis=(
            KpiChange("completion_rate", 0.6185567010309279, 0.6224489795918368),  # 62% both
            KpiChange("goal:G2", 0.8012, 0.7991),  # 80% both
            KpiChange("cost", 1200.001, 1200.004),  # $1,200 both
            KpiChange("on_time_rate", 0.62, 0.64),  # 62% → 64%: shown
        ),
        findings_added=(),
        findings_removed=(),
        rows=(),
    )
    figures = page(changes).figures
    assert [(row.before, row.after) for row in figures] == [("62%", "64%")]
    assert all(row.before != row.after for row in figures)


def test_a_revision_whose_only_changes_are_too_small_to_show_says_nothing_changed() -> None:
    changes = ReviewChanges((KpiChange("completion_rate", 0.6185, 0.6224),), (), (), ())
    shown = page(changes)
    assert shown.figures == ()
    assert shown.intro == catalogue("en").text("review.changes.nothing", date="Nov 3, 2026")


def edited_webinar(tmp_path: Path, **fields: object) -> ReviewChanges:
    """The Webinar row sent with cost 580, then edited: `fields` by column index (as EN_HEADERS)."""
    rows = [list(row) for row in OCTOBER_ROWS]
    rows[1][8] = 580
    sent = document(tmp_path / "sent", rows)
    edited = [list(row) for row in rows]
    for index, value in fields.items():
        edited[1][int(index.removeprefix("c"))] = value
    return review_changes(sent, document(tmp_path / "revised", edited))


def test_a_changed_row_says_what_each_field_was_and_is_now(tmp_path: Path) -> None:
    changes = edited_webinar(tmp_path, c8=650, c5="In progress")
    assert [(row.kind, row.cell) for row in changes.rows] == [("changed", "Activities!A3")]
    assert page(changes).rows[0].fields == "status delayed → in progress; cost $580 → $650"
    assert page(changes, "zh").rows[0].fields == "状态：延期 → 进行中；成本：$580 → $650"


def test_a_changed_date_or_channel_reads_as_the_same_row_changed(tmp_path: Path) -> None:
    changes = edited_webinar(tmp_path, c0=dt.date(2026, 10, 3), c1="Community")
    assert [(row.kind, row.cell, row.activity) for row in changes.rows] == [
        ("changed", "Activities!A3", "Webinar")
    ]
    assert page(changes).rows[0].fields == (
        "date Oct 2, 2026 → Oct 3, 2026; channel events → community; principle execution → connection"
    )


def test_a_changed_result_or_due_date_reads_as_the_review_writes_it(tmp_path: Path) -> None:
    changes = edited_webinar(tmp_path, c9=7, c6=dt.date(2026, 10, 20))  # leads 3 → 7, a due date set
    assert [(row.kind, row.cell) for row in changes.rows] == [("changed", "Activities!A3")]
    assert page(changes).rows[0].fields == "due date — → Oct 20, 2026; leads 3 → 7"
