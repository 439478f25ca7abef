"""The built PDFs: no "Easily overlooked" box stands alone at the top of a page, and the activity table
attached to the PDF cites each row's date cell where the sheet has it."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import openpyxl
import pypdf
import pytest

from reportgen.base.catalogue import catalogue
from tests.builders import OCTOBER_ROWS, make_workbook
from tests.golden import ROOT, page_texts

AS_OF = "2026-11-03"


def build(workbook: Path, month: str, lang: str, folder: Path) -> Path:
    pdf = folder / f"{workbook.stem}-{lang}-{month}.pdf"
    command = [sys.executable, "-m", "reportgen", "build", str(workbook), "--month", month, "--as-of", AS_OF]
    command += ["--lang", lang, "-o", str(pdf)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=folder)
    assert result.returncode == 0, result.stderr
    return pdf


@pytest.mark.parametrize("sample", ["northwind-en", "xinghe-zh"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_page_begins_with_an_easily_overlooked_box(sample: str, lang: str, tmp_path: Path) -> None:
    """September's section 1 overflows its page in both samples: its box must take some of the section's
    content along, not sit alone on an otherwise blank page (it did in both English reviews)."""
    heading = catalogue(lang).text("review.easily_overlooked")
    pages = page_texts(build(ROOT / "samples" / f"{sample}.xlsx", "2026-09", lang, tmp_path))
    alone = [number for number, text in enumerate(pages, 1) if text.startswith(heading)]
    assert not alone, f"pages {alone} begin with the box: {[pages[n - 1][:200] for n in alone]}"


def test_attached_table_cites_the_sheets_date_column(tmp_path: Path) -> None:
    """Date in column B, and a cell's text cut on the page, so the complete table travels with the PDF."""
    headers = ["Channel", "Date", "Activity", "Owner", "Goal", "Status", "Due", "Done on", "Cost", "Leads"]
    rows = [[row[1], row[0], *row[2:]] for row in OCTOBER_ROWS]
    rows[0][2] = "A very long activity text. " * 40  # over the page's bound: the table is attached
    pdf = build(make_workbook(tmp_path, rows, headers), "2026-10", "en", tmp_path)
    attached = {
        name: data for name, data in pypdf.PdfReader(pdf).attachments.items() if name.endswith(".xlsx")
    }
    table = next(name for name in attached if name.endswith("-activities.xlsx"))
    sheet = openpyxl.load_workbook(io.BytesIO(attached[table][0])).active
    assert sheet is not None
    cells = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert cells and all(str(cell).startswith("Activities!B") for cell in cells), cells
