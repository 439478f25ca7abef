"""What a revision changed: KPIs, findings added and removed and rows matched by content, computed from two
figures documents made from real workbooks. The page that lists them: rendering/test_revision_page.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from reportgen.base.config import Config
from reportgen.figures.changes import FieldChange, RowChange, review_changes
from reportgen.pipeline.build import build_review, check_workbook
from reportgen.wording.documents import figures_document
from tests.builders import OCTOBER_ROWS, make_workbook

AS_OF = dt.date(2026, 11, 3)


def document(folder: Path, rows: list[list[object]]) -> dict[str, object]:
    folder.mkdir()
    checked = check_workbook(make_workbook(folder, rows), Config(), AS_OF)
    return figures_document(build_review(checked, "2026-10", AS_OF, "en", Config()))


def test_a_fixed_cell_an_inserted_row_and_the_finding_that_went_away(tmp_path: Path) -> None:
    sent = document(tmp_path / "sent", [list(row) for row in OCTOBER_ROWS])
    fixed = [list(row) for row in OCTOBER_ROWS]
    fixed[1][8] = 30  # the unreadable cost "abc" (an error at I3) is now 30
    fixed.insert(
        1, [dt.date(2026, 10, 1), "SEM", "Brand ads", "Cy", "", "Done", None, dt.date(2026, 10, 2), 7, 0]
    )
    revised = document(tmp_path / "revised", fixed)
    changes = review_changes(sent, revised)
    kpis = {change.kpi: (change.before, change.after) for change in changes.kpis}
    assert kpis["activities"] == (3, 4) and kpis["cost"] == (25, 62) and kpis["done"] == (2, 3)
    assert [(f.cell, f.severity) for f in changes.findings_removed] == [("I3", "error")]
    assert changes.findings_added == ()
    assert changes.rows == (
        RowChange("added", "Activities!A3", "Brand ads"),
        RowChange("changed", "Activities!A4", "Webinar", (FieldChange("cost", None, 30),)),
    )


def test_the_same_document_has_no_changes(tmp_path: Path) -> None:
    sent = document(tmp_path / "sent", [list(row) for row in OCTOBER_ROWS])
    assert review_changes(sent, sent).empty
