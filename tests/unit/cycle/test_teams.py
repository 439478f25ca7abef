"""One team, two names: the review's team and the workbook's stem (the schedule's key) name the same team in
any case, from what the schedule and the archive (on both back ends) know; a name nobody knows is answered
with the known teams in words, in English and in Chinese."""

from __future__ import annotations

import datetime as dt
import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest

from reportgen.archive.records import BuildRecord
from reportgen.archive.store import Archive, open_archive
from reportgen.base.config import ArchiveSettings, Config, ScheduleSettings
from reportgen.base.errors import ExitCode, InputError
from reportgen.base.states import RunState
from reportgen.cycle.teams import TeamName, UnknownTeam, in_words, resolve_team
from reportgen.figures.document import dumps

NOW = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)
NORTHWIND = "Northwind Growth Team"


@pytest.fixture
def archive(archive_url: str) -> Iterator[Archive]:
    opened = open_archive(ArchiveSettings(url=archive_url), clock=lambda: NOW)
    yield opened
    opened.close()


def build(archive: Archive, team: str, workbook: str, sha: str = "a") -> int:
    record = BuildRecord(
        team=team,
        month="2026-10",
        lang="en",
        as_of=dt.date(2026, 11, 3),
        workbook_name=workbook,
        workbook_sha256=sha * 64,
        pdf_sha256=sha.upper() * 64,
        pdf_path=Path(f"/reviews/{workbook}.pdf"),
        kpis={},
        figures=dumps({"month": "2026-10"}),
    )
    return archive.record_build(record).build_id


def schedule_of(folder: Path) -> Config:
    """A schedule whose folder holds northwind-en.xlsx and a team that has built nothing yet."""
    folder.mkdir(exist_ok=True)
    for name in ("northwind-en.xlsx", "Harbor.xlsx"):
        (folder / name).write_bytes(b"")
    return Config(schedule=ScheduleSettings(workbooks=folder, timezone="UTC"))


def test_the_review_team_and_the_workbook_stem_name_one_team_in_any_case(
    archive: Archive, tmp_path: Path
) -> None:
    config = schedule_of(tmp_path / "books")
    build(archive, NORTHWIND, "northwind-en.xlsx")
    run = archive.claim_run("northwind-en", "2026-10", NOW, "host:1")
    assert run is not None
    archive.finish_run(run, RunState.SENT, review_team=NORTHWIND, version=1)
    expected = TeamName(NORTHWIND, "northwind-en", (NORTHWIND, "northwind-en"))
    for name in (NORTHWIND, "northwind growth team", "northwind-en", "NORTHWIND-EN", "  Northwind-En "):
        assert resolve_team(archive, config, name) == expected, name
    assert str(expected) == NORTHWIND  # printed, a team is its review's name


def test_a_scheduled_team_that_built_nothing_yet_is_its_key(archive: Archive, tmp_path: Path) -> None:
    config = schedule_of(tmp_path / "books")
    assert resolve_team(archive, config, "harbor") == TeamName("Harbor", "Harbor", ("Harbor",))


def test_without_a_schedule_the_archive_still_knows_the_workbook_stem(archive: Archive) -> None:
    build(archive, NORTHWIND, "northwind-en.xlsx")  # built by hand: `reportgen build northwind-en.xlsx`
    team = resolve_team(archive, Config(), "Northwind-EN")
    assert (team.review, team.key) == (NORTHWIND, None)  # no schedule builds it
    assert "northwind-en" in team.aliases


def test_an_approval_pairs_the_schedule_key_with_the_review_team(archive: Archive, tmp_path: Path) -> None:
    build_id = build(archive, NORTHWIND, "some-export.xlsx")  # the stem says nothing
    archive.request_approval(
        build_id, NORTHWIND, "nw", "2026-10", "A" * 64, Path("/r.pdf"), "lead@example.com"
    )
    team = resolve_team(archive, Config(), "NW")
    assert team.review == NORTHWIND and {"nw", "some-export"} <= set(team.aliases)


def test_a_role_names_the_team_a_workbook_name_was_first_built_for_never_a_copy_built_under_it(
    archive: Archive, tmp_path: Path
) -> None:
    """docs/department.md: a head builds a copy of Northwind's workbook saved as Harbor.xlsx (the schedule's
    key of another team): Northwind is found by that name too, but a role on "Harbor" (or "harbor-old", the
    name Harbor's workbook had first) still covers Harbor only, and Northwind keeps its own key."""
    config = schedule_of(tmp_path / "books")
    archive.clock = lambda: NOW - dt.timedelta(days=60)
    build(archive, "Harbor Marketing", "harbor-old.xlsx", "b")
    archive.clock = lambda: NOW - dt.timedelta(days=30)
    build(archive, "Harbor Marketing", "Harbor.xlsx", "c")  # renamed: the schedule's workbook now
    archive.clock = lambda: NOW - dt.timedelta(days=20)
    build(archive, NORTHWIND, "northwind-en.xlsx")
    archive.clock = lambda: NOW
    build(archive, NORTHWIND, "Harbor.xlsx", "d")  # the renamed copy
    northwind = resolve_team(archive, config, NORTHWIND)
    harbor = resolve_team(archive, config, "Harbor Marketing")
    assert "Harbor" in northwind.aliases and northwind.key == "northwind-en"
    assert northwind.role_names() == {"northwind growth team", "northwind-en"}
    assert harbor.key == "Harbor" and harbor.role_names() == {"harbor marketing", "harbor", "harbor-old"}


def test_an_unknown_name_lists_the_known_teams_in_words_in_both_languages(
    archive: Archive, tmp_path: Path
) -> None:
    config = schedule_of(tmp_path / "books")
    build(archive, NORTHWIND, "northwind-en.xlsx")
    build(archive, "Atlas", "Atlas.xlsx", sha="b")  # its stem is its name: said once
    with pytest.raises(InputError) as raised:
        resolve_team(archive, config, "Southwind")
    error = raised.value
    assert error.exit_code == ExitCode.BAD_INPUT
    assert error.message("en") == (
        "There is no team Southwind. Known teams: Atlas, Harbor and Northwind Growth Team (northwind-en)."
    )
    assert (
        error.message("zh")
        == "没有团队 Southwind。已知团队：Atlas、Harbor和Northwind Growth Team (northwind-en)。"
    )
    assert "[" not in error.message("en")  # never a Python list
    again = pickle.loads(pickle.dumps(error))  # crosses a process boundary intact
    assert isinstance(again, UnknownTeam) and again.message("en") == error.message("en")


def test_with_nothing_known_the_answer_says_so(archive: Archive) -> None:
    with pytest.raises(UnknownTeam) as raised:
        resolve_team(archive, Config(), "Northwind")
    assert "neither the schedule nor the archive knows a team yet" in raised.value.message("en")
    assert "定时任务和归档中都还没有任何团队" in raised.value.message("zh")


def test_lists_in_words() -> None:
    from reportgen.base.catalogue import catalogue

    english, chinese = catalogue("en"), catalogue("zh")
    assert in_words([], english) == "" and in_words(["A"], english) == "A"
    assert in_words(["A", "B"], english) == "A and B"
    assert in_words(["A", "B", "C"], english) == "A, B and C"
    assert in_words(["甲", "乙", "丙"], chinese) == "甲、乙和丙"
