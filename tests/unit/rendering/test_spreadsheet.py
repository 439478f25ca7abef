"""The attached activity table: one row per activity, and the same bytes whatever the clock says."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import openpyxl

from reportgen.base.config import Config
from reportgen.pipeline.build import build_review, check_workbook
from reportgen.rendering.spreadsheet import activities_workbook

ROOT = Path(__file__).resolve().parents[3]
AS_OF = dt.date(2026, 11, 3)


def test_table_lists_the_months_rows_and_is_stamped_with_the_as_of_date_not_the_clock() -> None:
    checked = check_workbook(ROOT / "samples" / "northwind-en.xlsx", Config(), AS_OF)
    review = build_review(checked, "2026-10", AS_OF, None)
    data = activities_workbook(review.rows, checked.sheet, "en", AS_OF)
    core = zipfile.ZipFile(io.BytesIO(data)).read("docProps/core.xml").decode()
    assert "2026-11-03T00:00:00Z</dcterms:modified>" in core
    assert "2026-11-03T00:00:00Z</dcterms:created>" in core
    table = openpyxl.load_workbook(io.BytesIO(data)).active
    assert table is not None
    cells = [row[0] for row in table.iter_rows(min_row=2, values_only=True)]
    assert cells == [f"{checked.sheet}!A{row.activity.row}" for row in review.rows]
