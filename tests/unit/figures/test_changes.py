"""What a revision changed: KPIs, findings added and removed and rows matched by content, computed from two
figures documents made from real workbooks. The page that lists them: rendering/test_revision_page.py."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.base.config import Config
from reportgen.figures.changes import FieldChange, RowChange, review_changes
from reportgen.pipeline.build import build_review, check_workbook
from reportgen.wording.documents import figures_document
from tests.builders import EN_HEADERS, OCTOBER_ROWS, make_workbook

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


HEADERS = [*EN_HEADERS, "Visits", "Initiative", "Stage", "Decision", "Lesson"]
WIDE_ROWS: list[list[Any]] = [
    [*row, 40, "Partner X", "Business", "Budget moved to SEO", "Short titles win"] for row in OCTOBER_ROWS
]
# each column a revision may change without changing what the row is (date, channel, activity), and
# values to change it to
EDITS: dict[str, st.SearchStrategy[Any]] = {
    "Owner": st.sampled_from(["Cy", "Dee"]),
    "Status": st.sampled_from(["Planned", "Cancelled", "In progress"]),
    "Due": st.dates(dt.date(2026, 10, 1), dt.date(2026, 11, 30)),
    "Done on": st.dates(dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
    "Cost": st.integers(1, 900),
    "Leads": st.integers(0, 50),
    "Visits": st.integers(0, 900),
    "Initiative": st.sampled_from(["Partner Y", "Store launch"]),
    "Decision": st.sampled_from(["Paused the ads", "Doubled the budget"]),
    "Lesson": st.sampled_from(["Webinars need two reminders", "Shorter is better"]),
}


def wide_document(folder: Path, rows: list[list[Any]]) -> dict[str, Any]:
    folder.mkdir()
    checked = check_workbook(make_workbook(folder, rows, HEADERS), Config(), AS_OF)
    return figures_document(build_review(checked, "2026-10", AS_OF, "en", Config()))


@settings(max_examples=30, deadline=None)
@given(row=st.integers(0, len(WIDE_ROWS) - 1), column=st.sampled_from(sorted(EDITS)), data=st.data())
def test_every_cell_the_review_reads_that_changed_names_its_row(
    row: int, column: str, data: st.DataObject
) -> None:
    """The page of changes says "below is everything that changed": a cell the review reads, edited in one
    row, names that row as changed, with that field, whatever column it is in."""
    index = HEADERS.index(column)
    value = data.draw(EDITS[column].filter(lambda new: new != WIDE_ROWS[row][index]))
    edited = [list(each) for each in WIDE_ROWS]
    edited[row][index] = value
    with tempfile.TemporaryDirectory() as folder:
        sent = wide_document(Path(folder) / "sent", WIDE_ROWS)
        revised = wide_document(Path(folder) / "revised", edited)
    changes = review_changes(sent, revised)
    (change,) = [each for each in changes.rows if each.cell == f"Activities!A{row + 2}"]
    assert change.kind == "changed", change
    field = {"Done on": "done_on"}.get(column, column.lower())
    assert [each.name for each in change.fields] == [field], change
