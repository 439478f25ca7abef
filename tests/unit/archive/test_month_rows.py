"""The archive keeps each month's rows whole: the figures document of a build lists the month's activities
with all a row needs, `Archive.month_rows` gives back those of each month's newest build (both back ends),
and `archived_rows` rebuilds them as the rows the workbook gave."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from reportgen.archive.records import BuildRecord
from reportgen.archive.store import Archive, open_archive
from reportgen.base.config import ArchiveSettings, Config
from reportgen.base.model import Status
from reportgen.figures.document import dumps
from reportgen.pipeline.archiving import archived_rows
from reportgen.pipeline.build import build_review, check_workbook
from reportgen.wording.documents import figures_document

ROOT = Path(__file__).resolve().parents[3]
AS_OF = dt.date(2026, 11, 3)
NOW = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def archive(archive_url: str) -> Iterator[Archive]:
    opened = open_archive(ArchiveSettings(url=archive_url), clock=lambda: NOW)
    yield opened
    opened.close()


def record(month: str, activities: list[dict[str, Any]], workbook_sha: str, pdf_sha: str) -> BuildRecord:
    return BuildRecord(
        team="Northwind",
        month=month,
        lang="en",
        as_of=AS_OF,
        workbook_name="northwind.xlsx",
        workbook_sha256=workbook_sha,
        pdf_sha256=pdf_sha,
        pdf_path=Path(f"/reviews/northwind-{month}.pdf"),
        kpis={"month": month},
        figures=dumps({"month": month, "activities": activities}),
    )


def test_month_rows_are_those_of_the_newest_build_of_each_month_asked_for(archive: Archive) -> None:
    archive.record_build(record("2026-08", [{"activity": "August"}], "a" * 64, "1" * 64))
    archive.record_build(record("2026-09", [{"activity": "September v1"}], "b" * 64, "2" * 64))
    archive.record_build(record("2026-09", [{"activity": "September v2"}], "c" * 64, "3" * 64))  # revised
    archive.record_build(record("2026-10", [{"activity": "October"}], "d" * 64, "4" * 64))
    rows = archive.month_rows("Northwind", ["2026-07", "2026-08", "2026-09"])
    assert rows == {"2026-08": [{"activity": "August"}], "2026-09": [{"activity": "September v2"}]}
    assert archive.month_rows("Globex", ["2026-08"]) == {}
    assert archive.month_rows("Northwind", []) == {}


def test_a_build_whose_figures_have_no_activities_gives_no_rows(archive: Archive) -> None:
    empty = dataclasses.replace(record("2026-09", [], "a" * 64, "1" * 64), figures=b"{}")
    archive.record_build(empty)
    assert archive.month_rows("Northwind", ["2026-09"]) == {}


def archived_document(month: str) -> list[dict[str, Any]]:
    """The activities of the month's figures document, through JSON as the archive stores them."""
    checked = check_workbook(ROOT / "samples" / "northwind-en.xlsx", Config(), AS_OF)
    document = json.loads(dumps(figures_document(build_review(checked, month, AS_OF, None, Config()))))
    activities: list[dict[str, Any]] = document["activities"]
    return activities


def test_rows_read_back_from_the_figures_document_are_the_rows_the_workbook_gave() -> None:
    checked = check_workbook(ROOT / "samples" / "northwind-en.xlsx", Config(), AS_OF)
    months = ("2026-08", "2026-09")
    rebuilt = archived_rows({month: archived_document(month) for month in reversed(months)})
    original = [row for row in checked.rows if row.activity.month in months]
    assert rebuilt == original  # every field: dates, metrics as Decimals, stage, what decided the mapping
    assert any(row.activity.initiative and row.activity.stage for row in rebuilt)
    assert any(isinstance(row.activity.cost, Decimal) for row in rebuilt)


def test_a_month_recorded_before_rows_were_kept_whole_gives_no_rows() -> None:
    september = archived_document("2026-09")
    old = [
        {key: value for key, value in row.items() if key not in ("metrics", "cost_unrounded")}
        for row in september
    ]
    rows = archived_rows({"2026-08": archived_document("2026-08"), "2026-09": old})
    assert rows and {row.activity.month for row in rows} == {"2026-08"}
    misdated = [dict(row, date="2026-10-01") if n == 0 else row for n, row in enumerate(september)]
    assert archived_rows({"2026-09": misdated}) == []
    assert archived_rows({"2026-09": [dict(september[0], status="finished")]}) == []
    assert all(row.activity.status in Status for row in rows)
