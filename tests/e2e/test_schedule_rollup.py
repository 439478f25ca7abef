"""The department's roll-up in the schedule, for real: two small teams built into the test's archive with
`reportgen build`, then `reportgen schedule run` as a process whose roll-up day is today and whose time is a
few seconds ahead, mail to aiosmtpd. The tick drafts the roll-up to the approver only (naming the team still
missing); `reportgen approve department MONTH` delivers exactly that PDF to `[department] to` once; a second
approve is refused, saying it was delivered; `history show department MONTH` lists the version."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from reportgen.base.errors import ExitCode
from tests.builders import make_workbook
from tests.commands import cli
from tests.e2e.test_schedule import ScheduleService, tick_ahead, to, wait_for
from tests.mailserver import HOST, Handler, plain_text, smtp_server

APPROVER = "deputy@example.com"
HEAD = "head@example.com"
MANAGEMENT = "boss@example.com"
DEPARTMENT = "Marketing"  # [department] name


def months_before(today: dt.date) -> tuple[dt.date, dt.date]:
    """A day of the month just ended, and of the month before it."""
    last = today.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=10), (last.replace(day=1) - dt.timedelta(days=1)).replace(day=10)


def rows(day: dt.date) -> list[list[object]]:
    return [
        [day, "SEO", "Keyword page", "Ann", "", "Done", day, day, 20, 2],
        [day + dt.timedelta(days=3), "Content", "Launch article", "Bo", "", "Done", day, day, 5, 1],
    ]


def write_config(folder: Path, port: int, tick: dt.datetime) -> Path:
    config = folder / "reportgen.toml"
    other_day = tick.day % 28 + 1  # the teams' own run is another day: only the roll-up is due today
    config.write_text(
        f'[archive]\nurl = "sqlite:///{folder / "archive.sqlite3"}"\n'
        f'[schedule]\nworkbooks = "{folder / "books"}"\nday = {other_day}\n'
        f'time = "{tick.strftime("%H:%M:%S")}"\ntimezone = "UTC"\nremind_days = 0\n'
        f'[department]\nname = "{DEPARTMENT}"\nto = ["{HEAD}"]\nday = {tick.day}\napprover = "{APPROVER}"\n'
        f'[email]\nhost = "{HOST}"\nport = {port}\nsecurity = "none"\nsender = "Ops <ops@example.com>"\n'
        f'to = ["{MANAGEMENT}"]\nattempts = 2\nretry_delay = 0.05\ntimeout = 5\n',
        "utf-8",
    )
    return config


@pytest.fixture
def services() -> Iterator[list[ScheduleService]]:
    started: list[ScheduleService] = []
    yield started
    for service in started:
        service.kill()


def test_the_rollup_is_drafted_on_its_day_and_approve_delivers_it_once(
    tmp_path: Path, services: list[ScheduleService]
) -> None:
    handler = Handler()
    books = tmp_path / "books"
    books.mkdir()
    last, before = months_before(dt.datetime.now(dt.UTC).date())
    month = last.strftime("%Y-%m")
    with smtp_server(handler) as port:
        config = write_config(tmp_path, port, dt.datetime.now(dt.UTC))  # the builds need only its archive
        for stem, title, day in (("alpha", "Alpha Team", last), ("beta", "Beta Team", last),
                                 ("gamma", "Gamma Team", before)):  # fmt: skip
            workbook = make_workbook(tmp_path, rows(day), name=f"{stem}.xlsx", title=f"{title} — log")
            built = cli("build", workbook, "--month", day.strftime("%Y-%m"), "--config", config,
                        "-o", tmp_path / f"{stem}.pdf")  # fmt: skip
            assert built.returncode == 0, built.stderr
        write_config(tmp_path, port, tick_ahead())  # the roll-up's day and time: seconds from now
        log = tmp_path / "service.log"
        services.append(ScheduleService(config, log))
        wait_for(lambda: to(handler, APPROVER), "the roll-up's draft never reached the approver", [log])
        (draft,) = to(handler, APPROVER)
        assert draft.rcpt_tos == (APPROVER,) and not to(handler, HEAD) and not to(handler, MANAGEMENT)
        said = log.read_text("utf-8")  # the start says the roll-up is this service's too, and when it runs
        assert "Schedule running for" in said and "department roll-up: next run" in said, said
        assert draft.message["Subject"] == f"Roll-up for your approval: {DEPARTMENT}, {month}"
        body = plain_text(draft.message)
        assert f"reportgen approve department {month}" in body and "Gamma Team" in body  # still missing
        waiting = cli("schedule", "next", "--config", config)
        assert f"{month}: waiting for {APPROVER} to approve" in waiting.stdout, waiting.stderr
        approved = cli("approve", "department", month, "--config", config)
        assert approved.returncode == 0, approved.stderr
        assert f"the roll-up of {month} went to the department (1 recipient)" in approved.stdout
        (delivered,) = to(handler, HEAD)  # the department's roll-up, named so, not a team review's subject
        assert delivered.message["Subject"] == f"{DEPARTMENT}: monthly roll-up, {last:%B %Y}"
        attachment = next(iter(delivered.message.iter_attachments())).get_content()
        assert attachment == next(iter(draft.message.iter_attachments())).get_content()  # exactly the draft
        again = cli("approve", "department", month, "--config", config)
        assert again.returncode == ExitCode.BAD_INPUT, again.stderr
        assert (
            f"The roll-up of {month} was delivered on" in again.stderr
            and "nothing is sent again" in again.stderr
        )
        assert services[0].stop() == ExitCode.OK
    assert len(to(handler, HEAD)) == 1 and len(to(handler, APPROVER)) == 1 and not to(handler, MANAGEMENT)
    history = cli("history", "show", "department", month, "--config", config)
    assert history.returncode == 0, history.stderr
    assert "approved" in history.stdout and HEAD in history.stdout
