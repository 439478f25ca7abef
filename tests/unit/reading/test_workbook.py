"""read_workbook: which sheets it hands on, where their cells sit, how values come back, and how the file's
bytes (never its name) decide how it is read. Every workbook is made here, at test time."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import openpyxl
import pytest
from openpyxl.utils import column_index_from_string

from reportgen.base import vocab
from reportgen.base.errors import InputError
from reportgen.base.model import SheetTable
from reportgen.reading.normalize import find_header
from reportgen.reading.workbook import ReadLimits, read_workbook
from tests.builders import make_workbook

HEADERS = ["Date", "Channel", "Activity", "Cost"]
ROWS: list[list[object]] = [
    [dt.date(2026, 10, 5), "SEO", "Keyword research", 120.5],
    [dt.date(2026, 10, 6), "SEM", "Brand campaign", 80],
]
ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"

Sheet = tuple[str, Sequence[Sequence[Any]], str]  # name, rows, state (visible | hidden | veryHidden)


def xlsx(tmp_path: Path, sheets: Sequence[Sheet], name: str = "book.xlsx") -> Path:
    book = openpyxl.Workbook()
    assert book.active is not None
    book.remove(book.active)
    for title, rows, state in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
        sheet.sheet_state = state
    path = tmp_path / name
    book.save(path)
    return path


def make_ods(path: Path, sheets: dict[str, Sequence[Sequence[Any]]]) -> Path:
    """An OpenDocument spreadsheet written by hand: mimetype first and stored, a manifest, content.xml."""

    def cell(value: Any) -> str:
        if value is None:
            return "<table:table-cell/>"
        if isinstance(value, dt.date):
            return (
                f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
                f"<text:p>{value.isoformat()}</text:p></table:table-cell>"
            )
        if isinstance(value, int | float):
            return (
                f'<table:table-cell office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>"
            )
        text = f"<text:p>{escape(value)}</text:p>"
        return f'<table:table-cell office:value-type="string">{text}</table:table-cell>'

    tables = "".join(
        f'<table:table table:name="{escape(name)}">'
        + "".join("<table:table-row>" + "".join(map(cell, row)) + "</table:table-row>" for row in rows)
        + "</table:table>"
        for name, rows in sheets.items()
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODS_MIMETYPE}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", ODS_MIMETYPE, zipfile.ZIP_STORED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    return path


def make_xls(path: Path, sheets: dict[str, Sequence[Sequence[Any]]]) -> Path:
    """An Excel 97-2003 workbook, written with xlwt (a dev dependency)."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for name, rows in sheets.items():
        sheet = book.add_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, dt.date):
                    sheet.write(r, c, value, date_style)
                elif value is not None:
                    sheet.write(r, c, value)
    book.save(str(path))
    return path


def cell(table: SheetTable, address: str) -> Any:
    """The value at an A1 address of the sheet, through the table's own positions."""
    letters = address.rstrip("0123456789")
    row, col = int(address[len(letters) :]), column_index_from_string(letters) - 1
    values = table.rows[table.row_numbers.index(row)]
    position = col - table.first_col
    return values[position] if 0 <= position < len(values) else ""


# --- which sheet holds the activities ---


@pytest.mark.parametrize("name", ["Activities", "ACTIVITIES", "activities", "Activities ", "活动"])
def test_named_activity_sheet_beats_the_first_sheet(tmp_path: Path, name: str) -> None:
    path = xlsx(
        tmp_path,
        [("Summary", [HEADERS, ["not", "the", "log"]], "visible"), (name, [HEADERS, *ROWS], "visible")],
    )
    book = read_workbook(path)
    assert book.activities.name == name
    assert cell(book.activities, "C2") == "Keyword research"


def test_first_visible_sheet_is_used_when_none_is_named(tmp_path: Path) -> None:
    path = xlsx(
        tmp_path,
        [
            ("Old log", [HEADERS, ["hidden", "rows"]], "hidden"),
            ("Goals", [["ID", "Name", "Metric", "Target"], ["G1", "Leads", "leads", 100]], "visible"),
            ("October", [HEADERS, *ROWS], "visible"),
            ("November", [HEADERS, ["later", "rows"]], "visible"),
        ],
    )
    book = read_workbook(path)
    assert book.activities.name == "October"  # not the hidden one, not the Goals sheet, not a later one
    assert book.goals is not None and book.goals.name == "Goals"


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_hidden_sheet_is_used_when_it_is_named(tmp_path: Path, state: str) -> None:
    path = xlsx(
        tmp_path,
        [("Cover", [["Northwind monthly log"]], "visible"), ("Activities", [HEADERS, *ROWS], state)],
    )
    assert read_workbook(path).activities.name == "Activities"


def test_no_usable_sheet_is_refused_with_the_sheet_names(tmp_path: Path) -> None:
    path = xlsx(
        tmp_path,
        [
            ("Goals", [["ID", "Name", "Metric", "Target"]], "visible"),
            ("Scratch", [HEADERS, *ROWS], "hidden"),
        ],
    )
    with pytest.raises(InputError) as refused:
        read_workbook(path)
    assert refused.value.code == "no_activity_sheet"
    assert "Goals, Scratch" in refused.value.message()


@pytest.mark.parametrize(
    ("goals", "rules", "commentary"),
    [("Goals", "Rules", "Commentary"), ("目标", "规则", "点评"), ("GOALS", "rules", "commentary")],
)
def test_goals_rules_and_commentary_sheets_are_found_by_name(
    tmp_path: Path, goals: str, rules: str, commentary: str
) -> None:
    path = xlsx(
        tmp_path,
        [
            (rules, [["Channel", "Keyword", "Goal", "Principle"], ["SEO", "", "G1", ""]], "visible"),
            ("活动", [HEADERS, *ROWS], "visible"),
            (goals, [["ID", "Name", "Metric", "Target"], ["G1", "Leads", "leads", 100]], "visible"),
            (commentary, [["Section", "Text"], ["intro", "A quiet month."]], "visible"),
        ],
    )
    book = read_workbook(path)
    assert book.activities.name == "活动"
    assert book.goals is not None and book.goals.name == goals and cell(book.goals, "A2") == "G1"
    assert book.rules is not None and book.rules.name == rules and cell(book.rules, "C2") == "G1"
    assert book.commentary is not None and cell(book.commentary, "B2") == "A quiet month."


def test_optional_sheets_are_none_when_absent(tmp_path: Path) -> None:
    book = read_workbook(make_workbook(tmp_path, ROWS, HEADERS))
    assert (book.goals, book.rules, book.commentary) == (None, None, None)
    assert book.kind == "xlsx"
    assert book.findings == ()


# --- where the cells sit ---


def test_header_below_merged_title_rows_keeps_sheet_positions(tmp_path: Path) -> None:
    path = make_workbook(tmp_path, ROWS, HEADERS, title="Northwind — marketing ops log, October 2026")
    book = openpyxl.load_workbook(path)
    book["Activities"].merge_cells("A1:D1")
    book.save(path)

    table = read_workbook(path).activities
    assert table.row_numbers[0] == 1
    assert cell(table, "A1") == "Northwind — marketing ops log, October 2026"
    assert cell(table, "B1") == ""  # the merged-away cells are empty, not copies of the title
    header = find_header(table, vocab.ACTIVITY_HEADERS, [], "book.xlsx", required=vocab.REQUIRED_FIELDS)
    assert header.row == 3
    assert header.columns == {"date": 0, "channel": 1, "activity": 2, "cost": 3}
    assert cell(table, "C5") == "Brand campaign"


def test_table_away_from_a1_keeps_sheet_positions(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Activities"
    table_rows: list[Sequence[object]] = [HEADERS, *ROWS]
    for offset, row in enumerate(table_rows):
        for col, value in enumerate(row):
            sheet.cell(row=4 + offset, column=3 + col, value=value)
    path = tmp_path / "book.xlsx"
    book.save(path)

    table = read_workbook(path).activities
    assert table.first_col == 2
    assert table.row_numbers == [4, 5, 6]
    assert cell(table, "C4") == "Date"
    assert cell(table, "E6") == "Brand campaign"
    assert str(table.ref(6, 4)) == "Activities!E6"


def test_blank_rows_inside_the_table_keep_their_row_numbers(tmp_path: Path) -> None:
    rows: list[list[object]] = [ROWS[0], [], [], ROWS[1]]
    path = make_workbook(tmp_path, rows, HEADERS)
    table = read_workbook(path).activities
    assert table.row_numbers == [1, 2, 3, 4, 5]
    assert all(value == "" for value in table.rows[2])
    assert cell(table, "C5") == "Brand campaign"


# --- how values come back ---


def test_values_come_back_typed(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        [dt.date(2026, 10, 5), "SEO", "Post", 1200.5, dt.datetime(2026, 10, 6, 14, 30), True],
        [dt.date(2026, 10, 6), "SEM", "Ads", 80, None, "¥1,200.50"],
        ["2026/10/5", "活动", "线下沙龙", "1200元", "", ""],
    ]
    table = read_workbook(make_workbook(tmp_path, rows, [*HEADERS, "Done on", "Flag"])).activities
    assert type(cell(table, "A2")) is dt.date and cell(table, "A2") == dt.date(2026, 10, 5)
    assert isinstance(cell(table, "E2"), dt.datetime) and cell(table, "E2") == dt.datetime(
        2026, 10, 6, 14, 30
    )
    assert cell(table, "D2") == 1200.5 and cell(table, "D3") == 80
    assert isinstance(cell(table, "D3"), int | float) and not isinstance(cell(table, "D3"), bool)
    assert cell(table, "F2") is True
    assert cell(table, "E3") == ""  # an empty cell is the empty string
    # text stays text, exactly as typed: parsing dates and money is the next stage's work
    assert [cell(table, f"{col}4") for col in "ABCD"] == ["2026/10/5", "活动", "线下沙龙", "1200元"]
    assert cell(table, "F3") == "¥1,200.50"


def test_ods_is_read_with_dates_and_chinese_sheet_names(tmp_path: Path) -> None:
    path = make_ods(
        tmp_path / "log.ods",
        {
            "说明": [["本表记录十月的运营工作"]],
            "活动": [
                ["日期", "渠道", "活动", "费用"],
                [dt.date(2026, 10, 5), "SEO", "关键词研究", 12.5],
                [None] * 4,
                [dt.date(2026, 10, 7), "社群", "社群答疑", 3],
            ],
            "目标": [["编号", "名称", "指标", "目标值"], ["G1", "线索", "线索", 100]],
        },
    )
    book = read_workbook(path)
    assert book.kind == "ods"
    table = book.activities
    assert table.name == "活动"
    assert table.row_numbers == [1, 2, 3, 4]
    assert cell(table, "A2") == dt.date(2026, 10, 5) and isinstance(cell(table, "A2"), dt.date)
    assert cell(table, "C2") == "关键词研究" and cell(table, "D2") == 12.5
    assert table.rows[2] == ["", "", "", ""]
    assert cell(table, "C4") == "社群答疑"
    assert book.goals is not None and book.goals.name == "目标" and cell(book.goals, "D2") == 100


def test_xls_is_read_with_dates(tmp_path: Path) -> None:
    path = make_xls(
        tmp_path / "log.xls",
        {
            "Cover": [["Northwind"]],
            "Activities": [HEADERS, *ROWS],
            "Goals": [["ID", "Metric", "Target"], ["G1", "leads", 10]],
        },
    )
    book = read_workbook(path)
    assert book.kind == "xls"
    assert book.activities.name == "Activities"
    assert cell(book.activities, "A2") == dt.date(2026, 10, 5) and isinstance(
        cell(book.activities, "A2"), dt.date
    )
    assert cell(book.activities, "C3") == "Brand campaign" and cell(book.activities, "D2") == 120.5
    assert book.goals is not None and cell(book.goals, "A2") == "G1"


# --- the bytes decide the type, not the name ---


@pytest.mark.parametrize("suffix", [".xls", ".ods", ".csv", ".dat", ""])
def test_xlsx_under_another_name_is_read_as_xlsx(tmp_path: Path, suffix: str) -> None:
    source = make_workbook(tmp_path, ROWS, HEADERS)
    path = tmp_path / f"renamed{suffix}"
    shutil.copyfile(source, path)
    book = read_workbook(path)
    assert book.kind == "xlsx"
    assert cell(book.activities, "C3") == "Brand campaign"


@pytest.mark.parametrize("suffix", [".xlsx", ".ods"])
def test_xls_under_another_name_is_read_as_xls(tmp_path: Path, suffix: str) -> None:
    source = make_xls(tmp_path / "log.xls", {"Activities": [HEADERS, *ROWS]})
    path = tmp_path / f"renamed{suffix}"
    shutil.copyfile(source, path)
    book = read_workbook(path)
    assert book.kind == "xls"
    assert cell(book.activities, "C3") == "Brand campaign"


@pytest.mark.parametrize("suffix", [".xlsx", ".xls"])
def test_ods_under_another_name_is_read_as_ods(tmp_path: Path, suffix: str) -> None:
    source = make_ods(tmp_path / "log.ods", {"Activities": [HEADERS, *ROWS]})
    path = tmp_path / f"renamed{suffix}"
    shutil.copyfile(source, path)
    book = read_workbook(path)
    assert book.kind == "ods"
    assert cell(book.activities, "C3") == "Brand campaign"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"Date,Channel,Activity\n2026-10-05,SEO,Post\n", "text_file"),
        ("日期,渠道,活动\n2026-10-05,内容,软文\n".encode("gbk"), "text_file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "not_workbook"),
        (b"", "empty"),
    ],
)
def test_content_that_is_no_workbook_is_refused_whatever_its_name(
    tmp_path: Path, data: bytes, code: str
) -> None:
    path = tmp_path / "book.xlsx"
    path.write_bytes(data)
    with pytest.raises(InputError) as refused:
        read_workbook(path)
    assert refused.value.code == code
    assert refused.value.file == str(path)


@pytest.mark.parametrize(
    "members",
    [
        {"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"},  # a .docx
        {"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<office:document-content/>"},
        {"notes.txt": "an ordinary archive"},
    ],
)
def test_zip_that_is_no_workbook_is_refused(tmp_path: Path, members: dict[str, str]) -> None:
    path = tmp_path / "book.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    with pytest.raises(InputError) as refused:
        read_workbook(path)
    assert refused.value.code == "not_workbook_zip"


def test_one_stray_cell_far_below_the_data_is_not_a_sheet_too_long(tmp_path: Path) -> None:
    """A400000 under 100 rows spans 400,000 rows but 101 hold cells: the data is read, the stray one named."""
    rows = [[dt.date(2026, 10, 1 + index % 28), "SEO", f"Page {index}", 10] for index in range(100)]
    path = make_workbook(tmp_path, rows, HEADERS)
    book = openpyxl.load_workbook(path)
    book["Activities"]["A400000"] = "stray"
    book.save(path)
    read = read_workbook(path)
    assert read.activities.row_numbers == list(range(1, 102))
    assert cell(read.activities, "C101") == "Page 99"
    assert [(f.code, str(f.ref)) for f in read.findings] == [("stray_cells", "Activities!A400000")]
    with pytest.raises(InputError) as refused:  # the count of rows that hold cells still has its limit
        read_workbook(path, ReadLimits(max_rows=50))
    assert refused.value.code == "too_many_rows" and refused.value.params["count"] == 102


def test_formulas_without_a_saved_result_are_found_wherever_the_inflated_chunks_split(tmp_path: Path) -> None:
    """The guard reads sheet XML in chunks: a formula cell cut between two chunks (its value in the second)
    is still judged whole, with or without a namespace prefix, at every split point."""
    from reportgen.reading.workbook import SheetExtent, _scan_chunk

    for x in ("", "x:"):  # the tag prefix
        cells = (
            f'<{x}c r="A2"><{x}f>1+1</{x}f><{x}v>2</{x}v></{x}c>'
            f'<{x}c r="B2"><{x}f>100*3</{x}f><{x}v /></{x}c>'
            f'<{x}c r="C2" t="str"><{x}f>IF(1,"","x")</{x}f><{x}v></{x}v></{x}c>'
            f'<{x}c r="D2" t="str"><{x}f>A1</{x}f></{x}c>'
            f'<{x}c r="E2"><{x}f t="shared" si="0"/></{x}c>'
            f'<{x}c r="F2" t="inlineStr"><{x}is><{x}t>text</{x}t></{x}is></{x}c>'
        )
        xml = f'<{x}sheetData><{x}row r="2">{cells}</{x}row></{x}sheetData>'.encode()
        for size in range(1, len(xml) + 1):
            extent = SheetExtent()
            tail = b""
            for start in range(0, len(xml), size):
                tail = _scan_chunk(tail + xml[start : start + size], extent)
            _scan_chunk(tail, extent, final=True)
            assert extent.uncalculated == ["B2", "D2", "E2"], (x, size)
            assert extent.rows == [2], (x, size)
