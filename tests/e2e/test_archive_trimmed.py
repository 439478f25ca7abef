"""A team trims its workbook to the month it reviews, the earlier months already built into the archive: the
archive then stands in for the rows the workbook no longer has (the previous month's figures, section 3's
trailing months, the earlier stages of section 4's initiatives), so the trimmed workbook gives its month the
same figures as the full one. On both back ends."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import openpyxl

from reportgen.base.config import ArchiveSettings, Config
from reportgen.figures.review import Review
from reportgen.pipeline.archiving import open_for_build
from reportgen.pipeline.build import build_to_files
from tests.claim_oracle import claims_by_activity
from tests.commands import cli
from tests.e2e.test_archive import AS_OF, ROOT, pages, words

MONTHS = ("2026-08", "2026-09", "2026-10")
MONTH_KEYS = (
    "month",
    "totals",
    "completion_rate",
    "on_time_rate",
    "goal_coverage",
    "goal_cost_coverage",
    "goals",
    "principles",
    "channels",
    "owners",
)


def row_month(value: object) -> str | None:
    """The month of an activity row's date cell, dates typed as text included ('2026/9/15')."""
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%Y-%m")
    if isinstance(value, str):
        for pattern in ("%Y/%m/%d", "%Y-%m-%d"):
            try:
                return dt.datetime.strptime(value, pattern).strftime("%Y-%m")
            except ValueError:
                continue
    return None


def trimmed_copy(folder: Path, first_month: str) -> Path:
    """The English sample without the activity rows of the months before `first_month`; the title, the header
    and every other row (later months, the totals row, a row whose date cannot be read) stay as they are."""
    folder.mkdir(exist_ok=True)
    target = folder / "northwind.xlsx"
    book = openpyxl.load_workbook(ROOT / "samples" / "northwind-en.xlsx")
    sheet = book["Activities"]
    for row in range(sheet.max_row, 3, -1):
        month = row_month(sheet.cell(row, 1).value)
        if month is not None and month < first_month:
            sheet.delete_rows(row)
    book.save(target)
    return target


def ladders_of(review: Review) -> list[dict[str, Any]]:
    """Section 4 as it reads, without the sheet rows (which the trimming moved)."""

    def stage(row: Any) -> tuple[str, str, str, str | None]:
        activity = row.activity
        return activity.date.isoformat(), activity.activity, activity.status.value, activity.stage

    return [
        {
            "initiative": ladder.initiative,
            "owner": ladder.owner,
            "standing": ladder.standing,
            "current": stage(ladder.current.row) if ladder.current else None,
            "stalled_days": ladder.stalled_days,
            "skipped": ladder.skipped,
            "stages": [(stage(each.row), each.layer) for each in ladder.stages],
        }
        for ladder in review.ladders
    ]


def trends_of(review: Review) -> list[dict[str, Any]]:
    """Section 3's compounding channels: their trailing months, paused, cost per result falling, and the
    work still maturing (by date and activity: the trimmed workbook numbers its rows anew). A row of an
    archived month whose result cell could not be read keeps that fact in the archive, so it is not
    "maturing" there either."""
    return [
        {
            "channel": trend.channel.value,
            "metric": trend.result_metric,
            "months": [
                (m.month, m.activities, m.cost, m.results, m.cumulative_cost, m.cumulative_results)
                for m in trend.months
            ],
            "paused": trend.paused,
            "falling": trend.cost_per_result_falling,
            "maturing": [(row.activity.date, row.activity.activity) for row in trend.maturing],
        }
        for trend in review.trends
    ]


def review_of(workbook: Path, url: str) -> Review:
    """October built in this process against the archive (no PDF, so nothing is recorded)."""
    opened = open_for_build(ArchiveSettings(url=url))
    assert opened.archive is not None, opened.problem
    try:
        built = build_to_files(
            workbook,
            Config(),
            dt.date.fromisoformat(AS_OF),
            month="2026-10",
            with_pdf=False,
            archive=opened,
        )
    finally:
        opened.archive.close()
    return built.review


def test_a_workbook_trimmed_to_its_last_month_gives_the_same_review_with_the_archive_behind_it(
    tmp_path: Path, archive_url: str
) -> None:
    env = {"REPORTGEN_ARCHIVE_URL": archive_url}
    full_folder = tmp_path / "full"
    full_folder.mkdir()
    full = full_folder / "northwind.xlsx"
    shutil.copyfile(ROOT / "samples" / "northwind-en.xlsx", full)
    for month in MONTHS:
        result = cli(
            "build", full, "--month", month, "--as-of", AS_OF, "-o", full_folder / f"{month}.pdf",
            "--json", full_folder / f"{month}.json", env=env,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    trimmed_folder = tmp_path / "trimmed"
    trimmed = trimmed_copy(trimmed_folder, "2026-10")
    result = cli(
        "build", trimmed, "--month", "2026-10", "--as-of", AS_OF, "-o", trimmed_folder / "2026-10.pdf",
        "--json", trimmed_folder / "2026-10.json", env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr

    whole = json.loads((full_folder / "2026-10.json").read_text("utf-8"))
    cut = json.loads((trimmed_folder / "2026-10.json").read_text("utf-8"))
    assert whole["previous"] is not None and whole["previous"]["month"] == "2026-09"
    assert cut["previous"] == whole["previous"]  # September, from the archive
    assert {key: cut[key] for key in MONTH_KEYS} == {key: whole[key] for key in MONTH_KEYS}

    cover = pages(trimmed_folder / "2026-10.pdf")[0]
    assert words("review.no_previous", month="September 2026") not in cover
    assert words("review.trend_from_archive", months="August 2026, September 2026") in cover

    full_review = review_of(full, archive_url)
    trimmed_review = review_of(trimmed, archive_url)
    assert trimmed_review.previous == full_review.previous
    assert ladders_of(trimmed_review) == ladders_of(full_review)
    initech = next(
        ladder for ladder in full_review.ladders if ladder.initiative == "Initech reseller program"
    )
    assert initech.skipped == ["product"]  # Plan and Business were done in September
    globex = next(ladder for ladder in full_review.ladders if ladder.initiative == "Globex co-marketing")
    assert globex.stalled_days is not None and globex.stalled_days > 50  # in progress since September 3
    assert trends_of(trimmed_review) == trends_of(full_review)
    assert claims_by_activity(cut) == claims_by_activity(
        whole
    )  # the same sentences, citing the same activities
