"""What a scheduled run does, against a real archive and a real SMTP server (aiosmtpd on 127.0.0.1): the
reminder for a missing or unchanged workbook (once, with the deadline), the draft of a workbook with errors
(to the approver only), a mail server down (recorded, reported, retried at the next tick), the lead's
decision, and a config reload that keeps the last good one. Moments are passed in, or frozen with
time-machine where the command line reads the clock."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from click.testing import CliRunner

from reportgen.apps.cli import cli
from reportgen.apps.schedule import Service, next_lines, tick_teams
from reportgen.archive.store import Archive, open_archive
from reportgen.base.config import ArchiveSettings, Config, EmailSettings, ScheduleSettings, load_config
from reportgen.cycle.runs import approve, reject
from tests.builders import OCTOBER_ROWS, make_workbook
from tests.mailserver import HOST, Handler, free_port, plain_text, smtp_server

UTC = dt.UTC
RUN = dt.datetime(2026, 11, 3, 9, 0, tzinfo=UTC)  # the November run reviews October
SINCE = dt.datetime(2026, 10, 20, tzinfo=UTC)  # the service was started before it
LEAD, BOSS = "lead@example.com", "boss@example.com"
OCT = [dt.date(2026, 10, day) for day in (1, 4, 5, 9)]
CLEAN_OCTOBER = [  # two done activities, nothing wrong in them
    [OCT[0], "SEO", "Keyword page", "Ann", "", "Done", OCT[2], OCT[1], 20, 2],
    [OCT[3], "Content", "Launch article", "Bo", "", "Done", None, OCT[3], 5, 1],
]


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    opened = open_archive(ArchiveSettings(url=f"sqlite:///{tmp_path / 'archive.sqlite3'}"))
    yield opened
    opened.close()


def config_for(folder: Path, port: int, approver: str | None = LEAD) -> Config:
    schedule = ScheduleSettings(workbooks=folder / "team.xlsx", day=3, timezone="UTC", approver=approver,
                                remind_days=0, cutoff_day=6)  # fmt: skip
    email = EmailSettings(host=HOST, port=port, security="none", sender="Ops <ops@example.com>", to=(BOSS,),
                          attempts=2, retry_delay=0.01, timeout=2.0)  # fmt: skip
    return Config(schedule=schedule, email=email)


def received_by(handler: Handler, address: str) -> list[str]:
    return [str(received.message["Subject"]) for received in handler.received if address in received.rcpt_tos]


def states(archive: Archive) -> list[str]:
    return [run.state for run in reversed(archive.runs())]


def test_a_missing_workbook_is_reminded_once_with_its_deadline_then_built_when_it_comes(
    tmp_path: Path, archive: Archive
) -> None:
    handler = Handler()
    with smtp_server(handler) as port:
        config = config_for(tmp_path, port)
        tick_teams(archive, config, RUN, SINCE)  # the schedule names team.xlsx, which is not there yet
        reminders = received_by(handler, LEAD)
        assert reminders == ["team: the workbook for 2026-10 is needed"]
        assert "2026-11-06" in plain_text(handler.received[-1].message)  # the deadline
        tick_teams(archive, config, RUN + dt.timedelta(hours=2), SINCE)  # the same day: nothing new
        tick_teams(archive, config, RUN + dt.timedelta(days=1), SINCE)  # the next day, still missing: no spam
        assert len(received_by(handler, LEAD)) == 1
        make_workbook(tmp_path, CLEAN_OCTOBER, name="team.xlsx")
        tick_teams(archive, config, RUN + dt.timedelta(days=2), SINCE)  # it came: built, drafted
    assert (
        received_by(handler, LEAD)[-1].startswith("Draft for your approval")
        and received_by(handler, BOSS) == []
    )
    assert states(archive)[-2:] == ["reminded", "awaiting_approval"]


def test_a_workbook_with_errors_goes_to_the_approver_as_a_draft_never_to_management(
    tmp_path: Path, archive: Archive
) -> None:
    handler = Handler()
    make_workbook(
        tmp_path, [list(row) for row in OCTOBER_ROWS], name="team.xlsx"
    )  # "abc" in a cost: an error
    with smtp_server(handler) as port:
        config = config_for(tmp_path, port, approver=None)  # without an approver the sender hears of it
        tick_teams(archive, config, RUN, SINCE)
    (draft,) = [received for received in handler.received]
    assert draft.rcpt_tos == ("ops@example.com",)
    body = plain_text(draft.message)
    assert "NOT sent to management" in body and "Activities!I3" in body
    assert states(archive) == ["draft_errors"]


def test_a_mail_server_down_is_recorded_reported_and_retried_at_the_next_tick(
    tmp_path: Path, archive: Archive
) -> None:
    make_workbook(tmp_path, CLEAN_OCTOBER, name="team.xlsx")
    down = config_for(tmp_path, free_port(), approver=None)
    tick_teams(archive, down, RUN, SINCE)
    assert states(archive) == ["failed"]
    lines = next_lines(archive, down, RUN + dt.timedelta(hours=1), "en")
    assert "the last run failed" in lines[0] and "could not be reached" in lines[0]
    handler = Handler()
    with smtp_server(handler) as port:
        tick_teams(archive, dataclasses.replace(down, email=dataclasses.replace(down.email, port=port)),
                   RUN + dt.timedelta(days=1), SINCE)  # fmt: skip
    assert received_by(handler, BOSS) and states(archive) == ["failed", "sent"]


def test_a_late_first_run_that_failed_is_tried_again_at_the_next_tick_not_at_the_same_one(
    tmp_path: Path, archive: Archive
) -> None:
    """The machine was off on the 3rd: the run made on the 5th is keyed by the 3rd's moment. It failed; the
    5th's tick decided again (a second service, a tick fired twice) makes no second attempt; the 6th's does
    make one."""
    make_workbook(tmp_path, CLEAN_OCTOBER, name="team.xlsx")
    down = config_for(tmp_path, free_port(), approver=None)
    late = RUN + dt.timedelta(days=2)
    tick_teams(archive, down, late, SINCE)
    tick_teams(archive, down, late + dt.timedelta(minutes=5), SINCE)
    assert states(archive) == ["failed"] and archive.runs()[0].due_at == RUN
    handler = Handler()
    with smtp_server(handler) as port:
        up = dataclasses.replace(down, email=dataclasses.replace(down.email, port=port))
        tick_teams(archive, up, late, SINCE)
        assert states(archive) == ["failed"] and not handler.received
        tick_teams(archive, up, late + dt.timedelta(days=1), SINCE)
    assert received_by(handler, BOSS) and states(archive) == ["failed", "sent"]


def test_the_lead_approves_the_draft_or_rejects_it_with_a_reason(tmp_path: Path, archive: Archive) -> None:
    make_workbook(tmp_path, CLEAN_OCTOBER, name="team.xlsx")
    handler = Handler()
    with smtp_server(handler) as port:
        config = config_for(tmp_path, port)
        tick_teams(archive, config, RUN, SINCE)
        rejected = reject(archive, "team", "2026-10", "Q3 numbers are still provisional")
        assert rejected.state == "pending"  # the record as it was; the archive holds the decision
        assert [a.state for a in archive.approvals("team", "2026-10")] == ["rejected"]
        tick_teams(archive, config, RUN + dt.timedelta(days=1), SINCE)  # same workbook: no new draft
        assert len(received_by(handler, LEAD)) == 1
        make_workbook(tmp_path, [*CLEAN_OCTOBER, CLEAN_OCTOBER[0]], name="team.xlsx")  # a fixed workbook
        tick_teams(archive, config, RUN + dt.timedelta(days=2), SINCE)
        assert len(received_by(handler, LEAD)) == 2  # a new version, drafted again
        approval, results = approve(archive, config, "team", "2026-10")
    assert approval.month == "2026-10" and [each.result.receipt.accepted for each in results] == [(BOSS,)]
    assert len(received_by(handler, BOSS)) == 1
    assert [event.kind for event in archive.events() if event.kind in ("rejected", "approved")] == [
        "rejected",
        "approved",
    ]


def test_a_bad_config_on_reload_keeps_the_last_good_one(tmp_path: Path, archive: Archive) -> None:
    path = tmp_path / "reportgen.toml"
    path.write_text('[schedule]\nworkbooks = "team.xlsx"\nday = 3\n', "utf-8")
    said: list[str] = []
    service = Service(path, load_config(path), archive, say=said.append)
    path.write_text('[schedule]\nworkbooks = "team.xlsx"\nday = 3\ntimezone = "Mars/Olympus"\n', "utf-8")
    service.reload()
    assert service.config.schedule is not None and service.config.schedule.timezone is None
    assert said and "the last good one stays" in said[0] and "Mars/Olympus" in said[0]
    path.write_text('[schedule]\nworkbooks = "team.xlsx"\nday = 5\n', "utf-8")
    os.utime(path, (1e9, 1e9 + 1))  # a different modification time, whatever the clock's resolution
    service.reload()
    assert service.config.schedule is not None and service.config.schedule.day == 5


def test_schedule_next_reads_the_clock_at_the_edge(tmp_path: Path) -> None:
    (tmp_path / "reportgen.toml").write_text(
        '[schedule]\nworkbooks = "team.xlsx"\nday = 31\ntime = "09:30"\ntimezone = "Asia/Shanghai"\n', "utf-8"
    )
    make_workbook(tmp_path, CLEAN_OCTOBER, name="team.xlsx")
    with time_machine.travel(dt.datetime(2027, 2, 10, 12, 0, tzinfo=UTC), tick=False):
        result = CliRunner().invoke(cli, ["schedule", "next", "--config", str(tmp_path / "reportgen.toml")])
    assert result.exit_code == 0, result.output
    assert "Day 31 runs on the last day of shorter months." in result.output
    assert "team: next run 2027-02-28 09:30 CST (reviews 2027-01)" in result.output
