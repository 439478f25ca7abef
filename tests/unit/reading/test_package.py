"""The workbook part is found as Excel finds it, through the package's relationships, and a part may
inflate at any ratio up to a budget drawn from the read limits (docs/safety.md, "The zip guard")."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from reportgen.base.errors import InputError
from reportgen.reading.workbook import MIB, ReadLimits, read_workbook
from tests.builders import EN_HEADERS, xlsx_parts
from tests.realbooks import FILES, LARGE_CELL_CHARS, LARGE_ROWS, PACKAGE_FILES, write_large_strings

ROWS: list[Sequence[Any]] = [
    EN_HEADERS,
    ["2026-10-01", "SEO", "Keyword page", "Ann", "", "done", None, None, 100, 2],
]


@pytest.mark.parametrize("name", PACKAGE_FILES)
def test_a_workbook_outside_xl_is_read(name: str) -> None:
    """calamine's minimal_package.xlsx keeps its parts at the package root, SheetJS's wtf_path.xlsx under
    wtf/; Excel and calamine open both, and so does the guard."""
    book = read_workbook(FILES / name)
    assert book.kind == "xlsx" and book.activities.rows


def test_wtf_path_sheets_are_the_parts_its_relationships_name() -> None:
    """The guard learns the extent of the worksheet parts the workbook's relationships name, wherever they
    are: the sheets of wtf_path.xlsx are wtf/worksheets/sheet1.xml and sheet2.xml."""
    book = read_workbook(FILES / "wtf_path.xlsx")
    assert book.activities.name == "SheetJS"
    assert book.activities.row_numbers[0] == 1 and book.activities.rows[0][:3] == [1.0, 2.0, 3.0]


def _moved(tmp_path: Path, folder: str) -> Path:
    """The builder's workbook with xl/ renamed to `folder` (and the package relationships following it)."""
    parts = xlsx_parts([("Activities", ROWS)])
    moved = {}
    for name, data in parts.items():
        if name in ("_rels/.rels", "[Content_Types].xml"):
            data = data.replace(b"/xl/", f"/{folder}".encode()).replace(b'"xl/', f'"{folder}'.encode())
        moved[folder + name[3:] if name.startswith("xl/") else name] = data
    path = tmp_path / "moved.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in moved.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize("folder", ["book/", "Deep/Er/", ""])
def test_the_workbook_is_where_the_package_relationships_say(tmp_path: Path, folder: str) -> None:
    book = read_workbook(_moved(tmp_path, folder))
    assert book.activities.name == "Activities" and book.activities.rows[1][2] == "Keyword page"


def test_a_word_document_with_its_relationships_is_no_workbook(tmp_path: Path) -> None:
    """A real .docx names its main part in _rels/.rels too: its content type says it is no workbook."""
    path = tmp_path / "letter.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        )
        archive.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(InputError) as refused:
        read_workbook(path)
    assert refused.value.code == "not_workbook_zip"


def test_a_57_mb_sheet_at_126_to_1_is_read(tmp_path: Path) -> None:
    """calamine's large_strings.xlsx in shape: one sheet part of 57 MB that inflates 126 times its stored
    size. Past the old 32 MiB grace that ratio was taken for a bomb; within the part budget it is read."""
    path = write_large_strings(tmp_path / "large_strings.xlsx")
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    assert info.file_size > 57_000_000 and info.file_size > 120 * info.compress_size
    book = read_workbook(path)
    assert len(book.activities.rows) == LARGE_ROWS
    assert len(book.activities.rows[-1][0]) == LARGE_CELL_CHARS and not book.findings


def test_the_part_budget_is_a_quarter_of_the_total_and_grows_with_the_rows() -> None:
    assert ReadLimits().part_budget_bytes == ReadLimits().max_total_bytes // 4 == 100 * MIB
    assert ReadLimits.for_rows(200_000) == ReadLimits()
    million = ReadLimits.for_rows(1_000_000)
    assert million.part_budget_bytes == million.max_total_bytes // 4 > 100 * MIB


def test_a_part_past_its_budget_at_more_than_100_to_1_is_refused(tmp_path: Path) -> None:
    """The same sheet with a budget below its size: past the budget 126:1 is more than a part may take."""
    path = write_large_strings(tmp_path / "large_strings.xlsx")
    with pytest.raises(InputError) as refused:
        read_workbook(path, ReadLimits(part_budget_bytes=40 * MIB))
    assert refused.value.code == "zip_ratio"
    assert refused.value.params["name"] == "xl/worksheets/sheet1.xml"
