"""Workbooks made at test time: no binary fixtures that can be generated."""

from __future__ import annotations

import datetime as dt
import subprocess
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import openpyxl

EN_HEADERS = ["Date", "Channel", "Activity", "Owner", "Goal", "Status", "Due", "Done on", "Cost", "Leads"]

# Three October rows under EN_HEADERS: done on time, delayed with an unreadable cost ("abc", an error
# finding), done without a due date. End-to-end tests build small workbooks from them.
OCTOBER_ROWS: list[list[Any]] = [
    [
        dt.date(2026, 10, 1),
        "SEO",
        "Keyword page",
        "Ann",
        "",
        "Done",
        dt.date(2026, 10, 5),
        dt.date(2026, 10, 4),
        20,
        2,
    ],
    [dt.date(2026, 10, 2), "Event", "Webinar", "Bo", "", "Delayed", None, None, "abc", 3],
    [dt.date(2026, 10, 9), "Content", "Launch article", "Bo", "", "Done", None, dt.date(2026, 10, 9), 5, 1],
]


def make_workbook(
    tmp_path: Path,
    rows: Sequence[Sequence[Any]],
    headers: Sequence[str | None] = EN_HEADERS,  # None: an empty header cell (the first of two header rows)
    *,
    name: str = "book.xlsx",
    sheet: str = "Activities",
    title: str | None = None,
    goals: Sequence[Sequence[Any]] | None = None,
    goal_headers: Sequence[str] = ("ID", "Name", "Metric", "Target"),
    rules: Sequence[Sequence[Any]] | None = None,
    rule_headers: Sequence[str] = ("Channel", "Keyword", "Goal", "Principle"),
) -> Path:
    """Write an .xlsx with an activity sheet (optionally under a title row), and Goals / Rules sheets."""
    book = openpyxl.Workbook()
    activities = book.active
    assert activities is not None
    activities.title = sheet
    if title is not None:
        activities.append([title])
        activities.append([])
    activities.append(list(headers))
    for row in rows:
        activities.append(list(row))
    if goals is not None:
        goal_sheet = book.create_sheet("Goals")
        goal_sheet.append(list(goal_headers))
        for row in goals:
            goal_sheet.append(list(row))
    if rules is not None:
        rule_sheet = book.create_sheet("Rules")
        rule_sheet.append(list(rule_headers))
        for row in rules:
            rule_sheet.append(list(row))
    path = tmp_path / name
    book.save(path)
    return path


def team_copy(sample: Path, target: Path, team: str) -> Path:
    """A copy of a sample workbook kept by another team: the title above the header row names the team."""
    book = openpyxl.load_workbook(sample)
    sheet = next(ws for ws in book.worksheets if ws.title in ("Activities", "活动"))
    sheet.cell(1, 1).value = f"{team} — Marketing Ops Log 2026"
    target.parent.mkdir(parents=True, exist_ok=True)
    book.save(target)
    return target


# --- an .xlsx written part by part, for tests that shape the zip itself ---


@dataclass(frozen=True)
class Formula:
    """A cell holding a formula and the value Excel saved for it (what every reader shows)."""

    text: str
    cached: float | int


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def sheet_xml(rows: Sequence[Sequence[Any]], first_row: int = 1) -> bytes:
    """A worksheet part: numbers as numbers, booleans as booleans, dates as ISO text, the rest inline text."""
    out = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheetData>'
    ]
    for number, row in enumerate(rows, first_row):
        cells = []
        for index, value in enumerate(row):
            ref = f"{_column(index)}{number}"
            if value is None or value == "":
                continue
            if isinstance(value, Formula):
                cells.append(f'<c r="{ref}"><f>{escape(value.text)}</f><v>{value.cached}</v></c>')
            elif isinstance(value, bool):
                cells.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, int | float):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                text = value.isoformat() if isinstance(value, dt.date) else str(value)
                cells.append(
                    f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>'
                )
        out.append(f'<row r="{number}">{"".join(cells)}</row>')
    out.append("</sheetData></worksheet>")
    return "".join(out).encode()


MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
XLSX_MAIN_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
RELS_TYPE = "application/vnd.openxmlformats-package.relationships+xml"
XLSM_MAIN_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"


def xlsx_parts(
    sheets: Sequence[tuple[str, Sequence[Sequence[Any]]]], *, macros: bool = False
) -> dict[str, bytes]:
    """The parts of a minimal workbook (content types, relationships, workbook, one part per sheet), by name,
    in the order a zip should hold them; `macros` makes it an .xlsm's (the VBA part is the caller's)."""
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{index}.xml" ContentType="{WORKSHEET_TYPE}"/>'
        for index in range(1, len(sheets) + 1)
    )
    main = XLSM_MAIN_TYPE if macros else XLSX_MAIN_TYPE
    vba = '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>' if macros else ""
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Default Extension="rels" ContentType="{RELS_TYPE}"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>{vba}'
            f'<Override PartName="/xl/workbook.xml" ContentType="{main}"/>{overrides}</Types>'
        ).encode(),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ).encode(),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{MAIN_NS}" '
            f'xmlns:r="{REL_NS}"><sheets>'
            + "".join(
                f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{index}" r:id="rId{index}"/>'
                for index, (name, _) in enumerate(sheets, 1)
            )
            + "</sheets></workbook>"
        ).encode(),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{PKG_REL_NS}">'
            + "".join(
                f'<Relationship Id="rId{index}" Type="{REL_NS}/worksheet" '
                f'Target="worksheets/sheet{index}.xml"/>'
                for index in range(1, len(sheets) + 1)
            )
            + "</Relationships>"
        ).encode(),
    }
    for index, (_, rows) in enumerate(sheets, 1):
        parts[f"xl/worksheets/sheet{index}.xml"] = sheet_xml(rows)
    return parts


def write_parts(path: Path, parts: dict[str, bytes], *, separator: str = "/") -> Path:
    """Zip the parts (deflated) under their names, written with `separator` between folders."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name.replace("/", separator), data)
    return path


def libreoffice_convert(source: Path, fmt: str, folder: Path) -> Path:
    """`source` saved by LibreOffice as `fmt` (ods, xls) into `folder`, as a user's LibreOffice would."""
    folder.mkdir(parents=True, exist_ok=True)
    converted = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={(folder / 'lo-profile').as_uri()}",  # private: no clash in parallel
            "--headless",
            "--convert-to",
            fmt,
            "--outdir",
            str(folder),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    target = folder / f"{source.stem}.{fmt}"
    assert converted.returncode == 0 and target.exists(), converted.stderr
    return target
