"""The guards that walk a workbook before python-calamine reads it: an .xls's compound file and records, an
.ods's content.xml, and the zip of an .xlsx. Each file is made here, at test time."""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest

from reportgen.base.errors import InputError
from reportgen.reading.extent import Block
from reportgen.reading.ods import _Cutter
from reportgen.reading.workbook import BYTES_PER_ROW, CELLS_PER_ROW, GUARD_READ, ReadLimits, read_workbook
from reportgen.reading.xls import END_OF_CHAIN, FREE_SECTOR, scan_xls
from tests.builders import EN_HEADERS, OCTOBER_ROWS, make_workbook, write_parts, xlsx_parts
from tests.unit.reading.test_workbook import HEADERS, ROWS, cell, make_xls

ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
    f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODS_MIMETYPE}"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def ods(path: Path, tables: str) -> Path:
    """An .ods whose tables are the XML given, as written (repeats, odd but valid markup and all)."""
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NAMESPACES} office:version="1.2">'
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", ODS_MIMETYPE, zipfile.ZIP_STORED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", MANIFEST, zipfile.ZIP_DEFLATED)
    return path


def text(value: str, repeat: int = 1) -> str:
    attrs = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    return f'<table:table-cell office:value-type="string"{attrs}><text:p>{value}</text:p></table:table-cell>'


def number(value: float) -> str:
    value_attrs = f'office:value-type="float" office:value="{value}"'
    return f"<table:table-cell {value_attrs}><text:p>{value}</text:p></table:table-cell>"


def row(*cells: str, repeat: int = 1) -> str:
    attrs = f' table:number-rows-repeated="{repeat}"' if repeat > 1 else ""
    return f"<table:table-row{attrs}>{''.join(cells)}</table:table-row>"


def empty(columns: int) -> str:
    return f'<table:table-cell table:number-columns-repeated="{columns}"/>'


DATA = row(text("Date"), text("Channel"), text("Activity"), text("Cost")) + "".join(
    row(text(f"2026-10-0{day}"), text("SEO"), text(f"Page {day}"), number(10 * day)) for day in (1, 2, 3)
)


def table(name: str, body: str) -> str:
    return f'<table:table table:name="{name}">{body}</table:table>'


# --- .ods ---


def test_ods_stray_cell_far_below_is_cut_before_calamine_expands_the_gap(tmp_path: Path) -> None:
    """LibreOffice writes the empty rows between as one repeated row; calamine would expand them (and refuse
    past 100 million cells). The copy it reads ends with the data; the stray cell is named."""
    body = DATA + row(empty(16_384), repeat=1_048_571) + row(empty(16_383), text("stray"))
    book = read_workbook(ods(tmp_path / "far.ods", table("Activities", body)))
    assert book.activities.row_numbers == [1, 2, 3, 4]
    assert cell(book.activities, "C4") == "Page 3" and cell(book.activities, "D4") == 30
    assert [(f.code, str(f.ref), f.params["block"]) for f in book.findings] == [
        ("stray_cells", "Activities!XFD1048576", "A1:D4")
    ]


def test_ods_stray_cell_far_right_is_cut_from_its_row(tmp_path: Path) -> None:
    """The stray cells sit in a data row, 16,000 empty columns to the right, over 800 rows: 12.8 million cells
    to allocate. They are written in markup of every shape the cutter must keep whole: an empty cell written
    open and closed, a '>' inside a quoted value, a self-closing cell right before the row's end tag."""
    far = (
        '<table:table-cell office:value-type="string" office:string-value="a>b"></table:table-cell>'
        "<table:table-cell></table:table-cell>"
        '<table:table-cell office:value-type="float" office:value="7"/>'
    )
    body = row(text("Date"), text("Channel"), text("Activity"), text("Cost"))
    body += row(text("2026-10-01"), text("SEO"), text("Page 1"), number(10), empty(16_000), far)
    body += row(text("2026-10-02"), text("SEM"), text("Ads"), number(20), empty(3), repeat=800)
    book = read_workbook(ods(tmp_path / "wide.ods", table("Activities", body)))
    assert book.activities.rows[:3] == [
        ["Date", "Channel", "Activity", "Cost"],
        ["2026-10-01", "SEO", "Page 1", 10],
        ["2026-10-02", "SEM", "Ads", 20],
    ]
    assert len(book.activities.rows) == 802 and book.activities.rows[-1] == ["2026-10-02", "SEM", "Ads", 20]
    assert [(f.code, str(f.ref), f.params["block"]) for f in book.findings] == [
        ("stray_cells", "Activities!WQQ2", "A1:D802")  # the 7, in column 16,007
    ]


def test_ods_stray_cell_on_another_sheet_is_cut_too(tmp_path: Path) -> None:
    """calamine parses every table when it opens the file: a stray cell on a sheet the review never reads
    must not cost the memory either (and is not reported: that sheet is not read)."""
    notes = row(text("note")) + row(empty(10), repeat=1_000_000) + row(empty(1_000), text("far"))
    book = read_workbook(ods(tmp_path / "two.ods", table("Notes", notes) + table("Activities", DATA)))
    assert book.activities.name == "Activities" and cell(book.activities, "C2") == "Page 1"
    assert book.findings == ()


def test_ods_rows_repeated_with_values_count_against_the_row_limit(tmp_path: Path) -> None:
    """A repeated row with a value is that many rows: refused from the scan, before anything is allocated."""
    body = DATA + row(text("2026-10-09"), text("SEO"), text("Same"), number(1), repeat=300_000)
    with pytest.raises(InputError) as refused:
        read_workbook(ods(tmp_path / "long.ods", table("Activities", body)))
    assert refused.value.code == "too_many_rows" and refused.value.sheet == "Activities"
    assert refused.value.params["count"] > 200_000


def test_ods_repeated_cells_count_against_the_cell_limit(tmp_path: Path) -> None:
    """150,000 rows of 16,384 repeated values: 2.4 billion cells from a few bytes of XML."""
    body = row(text("x", repeat=16_384), repeat=150_000)
    with pytest.raises(InputError) as refused:
        read_workbook(ods(tmp_path / "wide.ods", table("Activities", body)))
    assert refused.value.code == "too_many_cells" and refused.value.sheet == "Activities"


def test_ods_formula_reading_another_file_is_named(tmp_path: Path) -> None:
    linked = (
        '<table:table-cell table:formula="of:=[&apos;file:///home/ann/budget.ods&apos;#$Sheet1.B2]" '
        'office:value-type="float" office:value="30"><text:p>30</text:p></table:table-cell>'
    )
    body = DATA.replace(number(30), linked)
    book = read_workbook(ods(tmp_path / "linked.ods", table("Activities", body)))
    assert cell(book.activities, "D4") == 30
    assert [(f.code, str(f.ref), f.params["count"]) for f in book.findings] == [
        ("external_formulas", "Activities!D4", 1)
    ]


def test_ods_not_well_formed_is_named_as_damaged(tmp_path: Path) -> None:
    with pytest.raises(InputError) as refused:
        read_workbook(ods(tmp_path / "broken.ods", table("Activities", DATA) + "<table:table"))
    assert refused.value.code == "corrupt" and "content.xml" in refused.value.message()


# --- .xls ---


def compound_with_mini_stream(path: Path, stream: bytes) -> Path:
    """A version-3 compound file whose Workbook stream (under 4096 bytes) lives in the mini stream."""
    assert len(stream) < 4096
    minis = -(-len(stream) // 64)
    container = stream.ljust(minis * 64, b"\0")
    container_sectors = -(-len(container) // 512)
    fat = [0xFFFFFFFD, END_OF_CHAIN, END_OF_CHAIN, *range(4, 3 + container_sectors), END_OF_CHAIN]
    fat += [FREE_SECTOR] * (128 - len(fat))
    mini_fat = [*range(1, minis), END_OF_CHAIN] + [FREE_SECTOR] * (128 - minis)

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        return (
            raw.ljust(64, b"\0")
            + struct.pack("<HBB3I", len(raw), kind, 1, FREE_SECTOR, FREE_SECTOR, child)
            + bytes(36)
            + struct.pack("<IQ", start, size)
        )

    directory = entry("Root Entry", 5, 1, 3, len(container)) + entry(
        "Workbook", 2, FREE_SECTOR, 0, len(stream)
    )
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(16)
        + struct.pack("<5H", 0x3E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<9I", 0, 1, 1, 0, 4096, 2, 1, END_OF_CHAIN, 0)
        + struct.pack("<109I", 0, *([FREE_SECTOR] * 108))
    )
    path.write_bytes(
        header
        + struct.pack("<128I", *fat)
        + directory.ljust(512, b"\0")
        + struct.pack("<128I", *mini_fat)
        + container.ljust(container_sectors * 512, b"\0")
    )
    return path


def workbook_stream(xls: Path) -> bytes:
    """xlwt's Workbook stream without the zeros it pads it with to 4096 bytes."""
    scan = scan_xls(xls)
    return bytes(scan.stream).rstrip(b"\0") + b"\0\0\0"  # the last record, EOF, ends in three zeros


@pytest.mark.parametrize("stray", [False, True])
def test_xls_read_from_a_mini_stream(tmp_path: Path, stray: bool) -> None:
    """A Workbook stream under 4096 bytes is kept in the compound file's mini stream; read it there too."""
    rows: list[Sequence[object]] = [HEADERS, *ROWS]
    plain = make_xls(tmp_path / "plain.xls", {"Activities": rows})
    if stray:
        import xlwt

        book = xlwt.Workbook(encoding="utf-8")
        sheet = book.add_sheet("Activities")
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                sheet.write(r, c, value, xlwt.easyxf(num_format_str="YYYY-MM-DD")) if isinstance(
                    value, dt.date
                ) else sheet.write(r, c, value)
        sheet.write(65_535, 255, "stray")
        book.save(str(plain))
    path = compound_with_mini_stream(tmp_path / "mini.xls", workbook_stream(plain))
    book = read_workbook(path)
    assert book.kind == "xls"
    assert cell(book.activities, "C3") == "Brand campaign" and cell(book.activities, "A2") == dt.date(
        2026, 10, 5
    )
    assert [(f.code, str(f.ref)) for f in book.findings] == (
        [("stray_cells", "Activities!IV65536")] if stray else []
    )


def test_xls_stray_cell_on_another_sheet_costs_nothing(tmp_path: Path) -> None:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    notes = book.add_sheet("Notes")
    notes.write(0, 0, "note")
    notes.write(65_535, 255, "far")
    activities = book.add_sheet("Activities")
    rows: list[Sequence[object]] = [HEADERS, ["2026-10-05", "SEO", "Keyword research", 120.5]]
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            activities.write(r, c, value)
    path = tmp_path / "two.xls"
    book.save(str(path))
    read = read_workbook(path)
    assert cell(read.activities, "C2") == "Keyword research" and read.findings == ()


def test_xls_with_a_broken_sector_chain_is_named_as_damaged(tmp_path: Path) -> None:
    path = make_xls(tmp_path / "log.xls", {"Activities": [HEADERS, *ROWS]})
    data = bytearray(path.read_bytes())
    data[48:52] = struct.pack("<I", 0x00FFFFFF)  # the directory starts at a sector past the end of the file
    path.write_bytes(bytes(data))
    with pytest.raises(InputError) as refused:
        read_workbook(path)
    assert refused.value.code == "corrupt" and "sector 16777215" in refused.value.message()


# --- sheets, cells ---


@pytest.mark.parametrize("kind", ["xlsx", "xls", "ods"])
def test_more_sheets_than_the_limit_are_refused(tmp_path: Path, kind: str) -> None:
    sheets: dict[str, Sequence[Sequence[object]]] = {
        "Activities": [HEADERS, *ROWS],
        "Goals": [["ID"], ["G1"]],
        "Notes": [["a note"]],
    }
    if kind == "xlsx":
        path = write_parts(tmp_path / "book.xlsx", xlsx_parts(list(sheets.items())))
    elif kind == "xls":
        path = make_xls(tmp_path / "book.xls", sheets)
    else:
        body = "".join(
            table(name, "".join(row(*(text(str(v)) for v in r)) for r in rows))
            for name, rows in sheets.items()
        )
        path = ods(tmp_path / "book.ods", body)
    assert read_workbook(path, ReadLimits(max_sheets=3)).activities.name == "Activities"
    with pytest.raises(InputError) as refused:
        read_workbook(path, ReadLimits(max_sheets=2))
    assert refused.value.code == "too_many_sheets" and refused.value.params == {"count": 3, "limit": 2}


def test_text_longer_than_a_cell_holds_is_cut_and_named(tmp_path: Path) -> None:
    rows = [list(values) for values in OCTOBER_ROWS]
    rows[2][2] = "长" * 40_000
    path = write_parts(tmp_path / "long.xlsx", xlsx_parts([("活动", [EN_HEADERS, *rows])]))
    book = read_workbook(path)
    assert cell(book.activities, "C4") == "长" * 32_767
    assert [(f.code, str(f.ref), f.params) for f in book.findings] == [
        ("cell_too_long", "活动!C4", {"count": 40_000, "limit": 32_767})
    ]


# --- the zip ---


def test_part_names_in_another_case_are_found(tmp_path: Path) -> None:
    parts = xlsx_parts([("Activities", [EN_HEADERS, *OCTOBER_ROWS])])
    path = write_parts(
        tmp_path / "upper.xlsx",
        {name.upper() if name.startswith("xl/") else name: data for name, data in parts.items()},
    )
    assert cell(read_workbook(path).activities, "C2") == "Keyword page"


def test_a_dtd_cut_in_two_by_the_guard_s_reads_is_still_found(tmp_path: Path) -> None:
    parts = xlsx_parts([("Activities", [EN_HEADERS, *OCTOBER_ROWS])])
    prefix = b'<?xml version="1.0"?><!--' + b"x" * (GUARD_READ - 30) + b"-->"
    parts["docProps/custom.xml"] = prefix + b'<!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>'
    assert prefix.find(b"-->") < GUARD_READ < len(prefix) + len(b"<!DOCTYPE")
    with pytest.raises(InputError) as refused:
        read_workbook(write_parts(tmp_path / "dtd.xlsx", parts))
    assert refused.value.code == "zip_dtd" and refused.value.params["name"] == "docProps/custom.xml"


def test_ratio_is_held_against_a_part_only_past_the_grace_size(tmp_path: Path) -> None:
    """20 MiB of zeros inflate about 1,000 times their stored size: within the 32 MiB grace that is allowed
    (a sheet of repeated text does the same); past a lower grace it is a bomb."""
    path = make_workbook(tmp_path, OCTOBER_ROWS)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/blank.bmp", bytes(20 << 20))
    assert read_workbook(path).activities.name == "Activities"
    with pytest.raises(InputError) as refused:
        read_workbook(path, ReadLimits(ratio_grace_bytes=1 << 20))
    assert refused.value.code == "zip_ratio" and refused.value.params["name"] == "xl/media/blank.bmp"


def test_ods_cut_is_the_same_whatever_the_chunks(tmp_path: Path) -> None:
    """The cutter writes bytes as soon as no cut can begin before them: fed a byte at a time, seven at a
    time or whole, it writes the same content.xml, which keeps every byte but the elements cut."""
    far = (
        '<table:table-cell office:value-type="string" office:string-value="x>y">'
        "<text:p>far</text:p></table:table-cell>"
    )
    body = DATA.replace("</table:table-row>", empty(30_000) + far + "</table:table-row>", 2)
    body += row(empty(5), repeat=2_000_000) + row(text("stray")) + row(text("more"), empty(3))
    tables = table("Activities", body) + table("Other", DATA)
    content = f"<office:document-content {NAMESPACES}>{tables}</office:document-content>"
    block = Block(first_row=1, last_row=4, width=4, far_cell="A2000006")
    outputs = []
    for size in (1, 7, 4096, len(content)):
        out = io.BytesIO()
        cutter = _Cutter([block, None], out)
        data = content.encode()
        for at in range(0, len(data), size):
            cutter.feed(data[at : at + size])
        cutter.feed(b"", final=True)
        outputs.append(out.getvalue().decode())
    assert outputs[1:] == outputs[:-1]
    expected = content.replace(empty(30_000) + far, "", 2)
    for cut in (row(empty(5), repeat=2_000_000), row(text("stray")), row(text("more"), empty(3))):
        expected = expected.replace(cut, "", 1)
    assert outputs[0] == expected


def test_the_inflated_size_allowed_follows_the_row_limit() -> None:
    """A team that raises [limits] max_rows for a million-row log is not stopped by the byte limit set for
    the default 200,000 rows; a lower row limit never lowers the byte limit below the default."""
    default = ReadLimits()
    assert ReadLimits.for_rows(default.max_rows) == default
    assert ReadLimits.for_rows(10).max_total_bytes == default.max_total_bytes
    million = ReadLimits.for_rows(1_000_000)
    assert million.max_rows == 1_000_000
    assert million.max_total_bytes == 1_000_000 * BYTES_PER_ROW > default.max_total_bytes
    assert million.max_dense_cells == 1_000_000 * CELLS_PER_ROW > default.max_dense_cells
