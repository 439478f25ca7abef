"""Real workbooks from other projects (tests/files, README there) and one made at test time in the shape of
calamine's large_strings.xlsx: a single 57 MB sheet part of long repeated text that inflates about 126 times
its stored size. Excel and calamine open such a file; it is no zip bomb."""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

from tests.builders import xlsx_parts

FILES = Path(__file__).resolve().parent / "files"
PACKAGE_FILES = ("minimal_package.xlsx", "wtf_path.xlsx")  # parts not under xl/: found through _rels/.rels
LARGE_ROWS = 2_000
LARGE_CELL_CHARS = 28_500  # under Excel's 32,767, so nothing is cut


def large_strings_sheet() -> bytes:
    """2,000 rows, each one inline string of 25 random words repeated: 57 MB of XML at about 126:1."""
    rnd = random.Random(57)
    rows = []
    for number in range(1, LARGE_ROWS + 1):
        words = ["".join(rnd.choice("abcdefghij") for _ in range(6)) for _ in range(25)]
        text = ((" ".join(words) + " ") * (LARGE_CELL_CHARS // 175 + 1))[:LARGE_CELL_CHARS]
        rows.append(f'<row r="{number}"><c r="A{number}" t="inlineStr"><is><t>{text}</t></is></c></row>')
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        + "".join(rows)
        + "</sheetData></worksheet>"
    ).encode()


def write_large_strings(path: Path) -> Path:
    parts = xlsx_parts([("Sheet1", [["x"]])])
    parts["xl/worksheets/sheet1.xml"] = large_strings_sheet()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path
