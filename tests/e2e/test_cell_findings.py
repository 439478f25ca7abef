"""Cells that read as something other than what the sheet means, as the user meets them in `check --json` and
`build --json`: each is a finding at its cell saying what it holds, and the figures leave out what cannot be
used (docs/workbook.md "Values as people type them" and "Findings")."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from reportgen.base.errors import ExitCode
from tests.builders import MAIN_NS, libreoffice_convert, make_workbook, write_parts, xlsx_parts
from tests.commands import cli

GOALS = [["G1", "Leads", "leads", 10]]


def build_json(workbook: Path, tmp_path: Path, *lang: str) -> dict[str, Any]:
    out = tmp_path / "figures.json"
    result = cli(
        "build",
        workbook,
        "--month",
        "2026-10",
        "--as-of",
        "2026-11-03",
        "--json",
        out,
        "--no-pdf",
        *lang,
        cwd=tmp_path,
    )
    assert result.returncode == ExitCode.OK, result.stderr
    document: dict[str, Any] = json.loads(out.read_text("utf-8"))
    return document


def findings_at(document: dict[str, Any], code: str) -> dict[str, str]:
    """cell → message of the findings with `code`."""
    return {
        finding["cell"]: finding["message"] for finding in document["findings"] if finding["code"] == code
    }


# --- nothing is below zero ---


def negative_book(tmp_path: Path) -> Path:
    october = dt.date(2026, 10, 1)
    rows = [
        [october, "SEO", "Keyword page", "Ann", "G1", "Done", None, october, 100, 5],
        [october, "SEM", "Ads", "Bo", "", "Done", None, october, -300, "-4"],
        [october, "SEM", "More ads", "Bo", "", "Done", None, october, "-$50", 1],
        [october, "SEM", "Refund", "Bo", "", "Done", None, october, "(100)", 1],
    ]
    return make_workbook(tmp_path, rows, goals=GOALS)


def test_a_negative_cost_or_count_is_an_error_at_its_cell_and_left_out(tmp_path: Path) -> None:
    document = build_json(negative_book(tmp_path), tmp_path)
    negative = findings_at(document, "negative_value")
    assert negative == {
        "I3": '"-300" is a negative number, but cost cannot be below zero, so it was not counted. '
        "Correct the cell (write 0 if there was none).",
        "J3": '"-4" is a negative number, but leads cannot be below zero, so it was not counted. '
        "Correct the cell (write 0 if there was none).",
        "I4": '"-$50" is a negative number, but cost cannot be below zero, so it was not counted. '
        "Correct the cell (write 0 if there was none).",
        "I5": '"(100)" is a negative number, but cost cannot be below zero, so it was not counted. '
        "Correct the cell (write 0 if there was none).",
    }
    assert {
        finding["severity"] for finding in document["findings"] if finding["code"] == "negative_value"
    } == {"error"}
    # only the one cost that can be used: the goal's row holds all of it (not -300% or 400% of it)
    assert document["totals"]["cost"] == 100
    assert document["totals"]["leads"] == 7
    assert document["goal_cost_coverage"] == 1


def test_a_negative_cost_is_named_in_chinese_too(tmp_path: Path) -> None:
    book = negative_book(tmp_path)
    result = cli("check", book, "--json", "--as-of", "2026-11-03", "--lang", "zh", cwd=tmp_path)
    assert result.returncode == ExitCode.OK, result.stderr
    document = json.loads(result.stdout)
    assert (
        findings_at(document, "negative_value")["I3"]
        == "“-300”是负数，但成本不能小于 0，未计入。请修正该单元格（没有则填 0）。"
    )


# --- a formula whose result the file never saved ---

UNSAVED = (
    "The cell holds a formula, but the file has no saved result for it (the program that wrote the file "
    "does not calculate), so {what}. Open the file in Excel or LibreOffice and save it: that calculates the "
    "formula and saves its result."
)


def test_a_formula_without_a_saved_result_is_named_at_its_cell(tmp_path: Path) -> None:
    """openpyxl stores no result with a formula: the cells read blank, and the user is told why and what to do
    instead of 'The row has no date' or nothing at all."""
    october = dt.date(2026, 10, 1)
    rows: list[list[Any]] = [
        [october, "SEO", "Keyword page", "Ann", "G1", "Done", None, october, "=100*3", 5],
        [october, "SEM", "Ads", "=D2", "", "Done", None, october, 50, "=2+2"],
        ["=DATE(2026,10,5)", "SEM", "Dated by a formula", "Bo", "", "Done", None, None, 70, 1],
        [october, "Content", "Article", "Bo", "", "Done", None, october, 20, 1],
    ]
    document = build_json(make_workbook(tmp_path, rows, goals=GOALS), tmp_path)
    assert findings_at(document, "formula_no_value") == {
        "I2": UNSAVED.format(what="this cost cell was read as empty"),
        "D3": UNSAVED.format(what="this owner cell was read as empty"),
        "J3": UNSAVED.format(what="this leads cell was read as empty"),
    }
    assert findings_at(document, "formula_no_value_row_skipped") == {
        "A4": UNSAVED.format(
            what="the row has no date and was skipped (its cost and results are not counted)"
        ),
    }
    assert not findings_at(document, "missing_required")
    assert {finding["severity"] for finding in document["findings"] if "formula" in finding["code"]} == {
        "error"
    }
    assert document["totals"]["activities"] == 3


def test_a_saved_formula_result_and_a_formula_giving_empty_text_are_no_finding(tmp_path: Path) -> None:
    """What Excel and LibreOffice write: a formula with its value, and =IF(…,"",…) saved as empty text."""
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{MAIN_NS}"><sheetData>'
        + '<row r="1">'
        + "".join(
            f'<c r="{letter}1" t="inlineStr"><is><t>{header}</t></is></c>'
            for letter, header in zip("ABCDE", ("Date", "Channel", "Activity", "Owner", "Cost"), strict=True)
        )
        + '</row><row r="2"><c r="A2"><v>46296</v></c><c r="B2" t="inlineStr"><is><t>SEO</t></is></c>'
        '<c r="C2" t="inlineStr"><is><t>Page</t></is></c><c r="D2" t="str"><f>IF(1,"","x")</f><v></v></c>'
        '<c r="E2"><f aca="false">100*3</f><v>300</v></c></row></sheetData></worksheet>'
    )
    parts = xlsx_parts([("Activities", [])])
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    document = build_json(write_parts(tmp_path / "saved.xlsx", parts), tmp_path)
    assert not [finding for finding in document["findings"] if "formula" in finding["code"]]
    assert document["totals"]["cost"] == 300


# --- merged cells count as the sheet shows them ---


@pytest.mark.parametrize("form", ["xlsx", "xlsx with a stray cell", "xls"])
def test_vertically_merged_cells_count_on_every_row_they_span(tmp_path: Path, form: str) -> None:
    """Owner, goal and channel merged over rows 2-4 show one value on three rows; each row gets it, and a note
    names the range. A merge across columns leaves the other columns alone. The same in an .xlsx read block
    by block (a stray cell far below) and in an .xls saved by LibreOffice."""
    october = dt.date(2026, 10, 1)
    rows: list[list[Any]] = [
        [october, "SEO", "Keyword page", "Ann", "G1", "Done", None, october, 100, 5],
        [october, None, "Second page", None, None, "Done", None, october, 50, 1],
        [october, None, "Third page", None, None, "Done", None, october, 50, 1],
        [october, "SEM", "Ads, merged into the owner's cell", None, "", "Done", None, october, 10, 1],
    ]
    path = make_workbook(tmp_path, rows, goals=GOALS)
    book = openpyxl.load_workbook(path)
    sheet = book["Activities"]
    for cells in ("B2:B4", "D2:D4", "E2:E4", "C5:D5"):
        sheet.merge_cells(cells)
    if form == "xlsx with a stray cell":
        sheet["A300000"] = "stray"
    book.save(path)
    if form == "xls":
        path = libreoffice_convert(path, "xls", tmp_path / "xls")
    document = build_json(path, tmp_path)
    assert findings_at(document, "merged_cells") == {
        "B2": 'Cells B2:B4 are merged and show "SEO"; that value was read for each of the 3 rows they span.',
        "D2": 'Cells D2:D4 are merged and show "Ann"; that value was read for each of the 3 rows they span.',
        "E2": 'Cells E2:E4 are merged and show "G1"; that value was read for each of the 3 rows they span.',
    }
    assert {finding["severity"] for finding in document["findings"] if finding["code"] != "stray_cells"} == {
        "info"
    }
    assert document["totals"]["activities"] == 4
    assert document["channels"]["seo"]["activities"] == 3
    assert {owner["owner"]: owner["activities"] for owner in document["owners"]}["Ann"] == 3
    goal = next(goal for goal in document["goals"] if goal["id"] == "G1")
    assert (goal["activities"], goal["actual"]) == (3, 7)
    assert document["goal_coverage"] == 3 / 4
    last = next(activity for activity in document["activities"] if activity["row"] == 5)
    assert last["owner"] is None


def test_merged_cells_are_named_in_chinese(tmp_path: Path) -> None:
    october = dt.date(2026, 10, 1)
    rows = [
        [october, "SEO", "Keyword page", "Ann", "", "Done", None, october, 100, 5],
        [october, "SEO", "Second page", None, "", "Done", None, october, 50, 1],
    ]
    path = make_workbook(tmp_path, rows)
    book = openpyxl.load_workbook(path)
    book["Activities"].merge_cells("D2:D3")
    book.save(path)
    result = cli("check", path, "--json", "--as-of", "2026-11-03", "--lang", "zh", cwd=tmp_path)
    assert result.returncode == ExitCode.OK, result.stderr
    document = json.loads(result.stdout)
    assert findings_at(document, "merged_cells") == {
        "D2": "单元格 D2:D3 已合并，显示“Ann”；该值已用于其跨越的全部 2 行。"
    }
