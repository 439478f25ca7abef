"""The page of changes a revised review ends with, as a user meets it: a row inserted mid-month in the sample
is one added row (not every later row and finding moved), and an edited row says what each field was and
is now, in the review's words."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pypdf
import pytest

from reportgen.figures.changes import review_changes
from tests.commands import cli
from tests.mailserver import HOST, Handler, smtp_server

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "northwind-en.xlsx"
AS_OF = "2026-11-03"
INSERTED = "Inserted: LinkedIn carousel on onboarding checklists"


def october_rows(sheet: Any) -> list[int]:
    return [
        row
        for row in range(4, sheet.max_row + 1)
        if isinstance(sheet.cell(row, 1).value, dt.datetime)
        and sheet.cell(row, 1).value.strftime("%Y-%m") == "2026-10"
    ]


def with_inserted_row(folder: Path, cost: object = 120) -> Path:
    """The sample with one activity inserted mid-October (a copy of the row it is put above, its activity
    text and cost changed), every later row one down."""
    folder.mkdir()
    shutil.copy(ROOT / "samples" / "reportgen.toml", folder / "reportgen.toml")
    book = openpyxl.load_workbook(SAMPLE)
    sheet = book["Activities"]
    rows = october_rows(sheet)
    at = rows[len(rows) // 3]  # early enough that most of the month's findings are below it
    values = [cell.value for cell in sheet[at]]
    sheet.insert_rows(at)
    for column, value in enumerate(values, 1):
        sheet.cell(at, column).value = value
    sheet.cell(at, 3).value = INSERTED
    sheet.cell(at, 10).value = cost
    target = folder / "northwind.xlsx"
    book.save(target)
    return target


def figures(workbook: Path, folder: Path) -> dict[str, Any]:
    target = folder / f"{workbook.parent.name}.json"
    result = cli("build", workbook, "--month", "2026-10", "--as-of", AS_OF, "--json", target, "--no-pdf")
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(target.read_text("utf-8"))
    return document


def test_a_row_inserted_mid_month_is_one_added_row_and_no_finding_moves(tmp_path: Path) -> None:
    sent = figures(SAMPLE, tmp_path)
    revised = figures(with_inserted_row(tmp_path / "inserted"), tmp_path)
    later = [f for f in sent["findings"] if f["sheet"] == "Activities" and int(f["cell"][1:]) > 200]
    assert len(later) >= 5  # the findings below the inserted row all moved one row down
    changes = review_changes(sent, revised)
    assert [(row.kind, row.activity) for row in changes.rows] == [("added", INSERTED)]
    assert changes.findings_added == () and changes.findings_removed == ()


def test_an_inserted_row_with_a_problem_adds_its_own_finding_and_no_other(tmp_path: Path) -> None:
    sent = figures(SAMPLE, tmp_path)
    workbook = with_inserted_row(tmp_path / "inserted", cost="abc")
    revised = figures(workbook, tmp_path)
    inserted = next(row for row in revised["activities"] if row["activity"] == INSERTED)
    changes = review_changes(sent, revised)
    assert [(row.kind, row.cell) for row in changes.rows] == [("added", f"Activities!{inserted['cell']}")]
    assert [(f.cell, f.severity) for f in changes.findings_added] == [(f"J{inserted['row']}", "error")]
    assert changes.findings_removed == ()


@pytest.fixture
def mailbox() -> Iterator[tuple[Handler, int]]:
    handler = Handler()
    with smtp_server(handler) as port:
        yield handler, port


def test_the_revised_review_says_what_each_changed_field_was_and_is(
    tmp_path: Path, mailbox: tuple[Handler, int]
) -> None:
    _, port = mailbox
    rules = (ROOT / "samples" / "reportgen.toml").read_text("utf-8")
    (tmp_path / "reportgen.toml").write_text(
        f'[email]\nhost = "{HOST}"\nport = {port}\nsecurity = "none"\nsender = "Ops <ops@example.com>"\n'
        'to = ["boss@example.com"]\nattempts = 1\nsend_with_errors = true\n\n' + rules,
        "utf-8",
    )
    workbook = tmp_path / "northwind.xlsx"
    shutil.copy(SAMPLE, workbook)
    build = ("build", workbook, "--month", "2026-10", "--as-of", AS_OF, "--email", "--force", "-o")
    first = cli(*build, tmp_path / "v1.pdf")
    assert first.returncode == 0, first.stderr
    book = openpyxl.load_workbook(workbook)
    sheet = book["Activities"]
    row = next(
        row
        for row in october_rows(sheet)
        if isinstance(sheet.cell(row, 10).value, int | float)
        and str(sheet.cell(row, 7).value).strip().lower() == "done"
    )
    activity = str(sheet.cell(row, 3).value)
    old_cost = sheet.cell(row, 10).value
    sheet.cell(row, 10).value = old_cost + 70
    sheet.cell(row, 7).value = "In progress"
    book.save(workbook)
    second = cli(*build, tmp_path / "v2.pdf")
    assert second.returncode == 0, second.stderr
    page = " ".join((pypdf.PdfReader(tmp_path / "v2.pdf").pages[-1].extract_text() or "").split())
    assert "What changed since the review sent on" in page
    assert activity[:20] in page and f"Activities!A{row}" in page
    assert f"status done → in progress; cost ${old_cost:,.0f} → ${old_cost + 70:,.0f}" in page
    assert page.count("Activities!A") == 1  # the one row edited, nothing else
    assert "New findings" not in page and "Findings resolved" not in page
