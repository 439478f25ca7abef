"""The department page's list of teams (`apps/serve/overview.every_team`), from a real archive: a team whose
review was built is listed once, and the department's own roll-up, recorded as a version of the reserved
team, is a row of its own after the teams."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from reportgen.apps.serve.overview import every_team, month_line
from reportgen.archive.records import BuildRecord
from reportgen.archive.store import Archive, open_archive
from reportgen.base.catalogue import catalogue
from reportgen.base.config import ArchiveSettings, Config
from reportgen.base.department import DEPARTMENT_TEAM
from reportgen.base.states import ApprovalState


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    opened = open_archive(ArchiveSettings(url=f"sqlite:///{tmp_path / 'archive.sqlite3'}"))
    yield opened
    opened.close()


def recorded(archive: Archive, folder: Path, team: str, workbook: str, pdf: bytes) -> None:
    archive.record_build(
        BuildRecord(
            team=team,
            month="2026-10",
            lang="en",
            as_of=dt.date(2026, 11, 3),
            workbook_name=workbook,
            workbook_sha256=hashlib.sha256(workbook.encode()).hexdigest(),
            pdf_sha256=hashlib.sha256(pdf).hexdigest(),
            pdf_path=folder / f"{workbook}.pdf",
            kpis={},
            figures=b"{}",
            pdf=pdf,
        )
    )


def test_the_departments_rollup_is_a_row_of_its_own_after_the_teams(tmp_path: Path, archive: Archive) -> None:
    recorded(archive, tmp_path, "Harbor Growth Team", "harbor.xlsx", b"%PDF-team")
    recorded(archive, tmp_path, DEPARTMENT_TEAM, DEPARTMENT_TEAM, b"%PDF-rollup")
    recorded(archive, tmp_path, "Zephyr", "zephyr.xlsx", b"%PDF-zephyr")
    listed = [team.review for team in every_team(archive, Config())]
    assert listed == ["Harbor Growth Team", "Zephyr", DEPARTMENT_TEAM]  # once, last


def test_a_month_approved_and_on_its_way_reads_as_being_sent(tmp_path: Path, archive: Archive) -> None:
    """Approved, its send's answer not back yet: the page says so, with who approved, and offers nothing to
    do (it used to read "Built, not sent" and offer to send it)."""
    recorded(archive, tmp_path, "Harbor Growth Team", "harbor.xlsx", b"%PDF-team")
    sha = hashlib.sha256(b"%PDF-team").hexdigest()
    built = archive.build_for_pdf(sha)
    assert built is not None
    team_name = "Harbor Growth Team"
    approval = archive.request_approval(built[0], team_name, team_name, "2026-10", sha, tmp_path / "h.pdf",
                                        "lead@example.com")  # fmt: skip
    assert archive.decide(approval, ApprovalState.APPROVED, by="lead@example.com")
    (team,) = every_team(archive, Config())
    line = month_line(archive, team, "2026-10", catalogue("en"), None, Config().zone)
    assert (line.stage, line.label) == ("sending", "Being sent"), line
    assert "Approved by lead@example.com" in line.sentence and line.action is None, line
