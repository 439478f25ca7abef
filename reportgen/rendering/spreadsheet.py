"""The month's complete activity table as an .xlsx: attached to the PDF (and written beside it) when the
appendix has more rows than a readable PDF should carry. Byte-identical for the same review."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from typing import TYPE_CHECKING

from reportgen.base.catalogue import catalogue
from reportgen.base.model import Mapped, column_letter
from reportgen.wording.text import source_text

if TYPE_CHECKING:
    from openpyxl import Workbook

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def activities_workbook(
    rows: Sequence[Mapped], sheet: str, lang: str, as_of: dt.date, *, date_column: int = 0
) -> bytes:
    """One row per activity with the goal and principle it was mapped to and what decided each. Its Cell
    column names each row's date cell, in `date_column` (0-based, the sheet's: `Checked.columns["date"]`),
    as appendix A and the JSON do."""
    import openpyxl
    from openpyxl.styles import Font

    words = catalogue(lang)
    book = openpyxl.Workbook()
    table = book.active
    assert table is not None
    table.title = words.text("review.appendix.activity")[:31]
    headers = [
        words.text("review.appendix.cell"), words.text("review.appendix.date"),
        words.text("review.appendix.channel"), words.text("review.appendix.activity"),
        words.text("review.execution.owner"), words.text("review.appendix.status"),
        words.text("review.appendix.goal"), words.text("review.appendix.goal_source"),
        words.text("review.appendix.principle"), words.text("review.appendix.principle_source"),
    ]  # fmt: skip
    table.append(headers)
    for cell in table[1]:
        cell.font = Font(bold=True)
    letter = column_letter(date_column)
    for row in rows:
        activity = row.activity
        table.append([
            f"{sheet}!{letter}{activity.row}", activity.date, words.text(f"channel.{activity.channel.value}"),
            activity.activity, activity.owner or "", words.text(f"review.status.{activity.status.value}"),
            row.goal_id or "", source_text(row.goal_decided_by, words),
            words.text(f"principle.{row.principle.value}"), source_text(row.principle_decided_by, words),
        ])  # fmt: skip
    for column, width in zip("ABCDEFGHIJ", (14, 12, 12, 40, 12, 10, 8, 28, 14, 28), strict=True):
        table.column_dimensions[column].width = width
    table.freeze_panes = "A2"
    return workbook_bytes(book, as_of)


def workbook_bytes(book: Workbook, as_of: dt.date) -> bytes:
    """An openpyxl workbook as .xlsx bytes, stamped with `as_of` instead of the clock, so the same content
    gives the same bytes."""
    from openpyxl.writer.excel import ExcelWriter

    stamp = dt.datetime(as_of.year, as_of.month, as_of.day)
    book.properties.created = stamp
    book.properties.modified = stamp
    book.properties.creator = "reportgen"
    book.properties.lastModifiedBy = None
    buffer = io.BytesIO()
    # ExcelWriter, not book.save: save_workbook stamps `modified` with the clock, so no two files would match
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).save()
    return reproducible_zip(buffer.getvalue())


def reproducible_zip(data: bytes) -> bytes:
    """The same archive with fixed entry times, so the same content gives the same bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(entry.filename))
    return out.getvalue()
