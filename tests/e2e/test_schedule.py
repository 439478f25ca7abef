"""The monthly cycle for real: `reportgen schedule run` as a process with its tick a few seconds ahead, mail
to aiosmtpd. The draft reaches the approver, `reportgen approve` sends exactly it to management once, and
stopping and starting the service between the steps loses nothing; two services on one archive (SQLite, and
PostgreSQL) send one draft, not two."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reportgen.base.errors import ExitCode
from tests.builders import make_workbook
from tests.commands import cli
from tests.mailserver import HOST, Handler, Received, smtp_server
from tests.servers import PostgresCluster

APPROVER = "lead@example.com"
MANAGEMENT = "boss@example.com"
LEAD_SECONDS = 15  # the tick this far ahead of the service's start (which may take seconds on a busy machine)
WAIT = 120.0


def previous_month(today: dt.date) -> dt.date:
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=10)


def clean_workbook(folder: Path) -> Path:
    """A team's workbook with last month's work, nothing wrong in it."""
    day = previous_month(dt.datetime.now(dt.UTC).date())
    rows = [
        [day, "SEO", "Keyword page", "Ann", "", "Done", day, day, 20, 2],
        [day + dt.timedelta(days=3), "Content", "Launch article", "Bo", "", "Done", day, day, 5, 1],
    ]
    return make_workbook(folder, rows, name="harbor.xlsx", title="Harbor Growth Team — log")


def write_config(folder: Path, port: int, tick: dt.datetime, approver: bool = True) -> Path:
    config = folder / "reportgen.toml"
    config.write_text(
        "[schedule]\n"
        f'workbooks = "{folder / "harbor.xlsx"}"\n'
        f"day = {tick.day}\n"
        f'time = "{tick.strftime("%H:%M:%S")}"\n'
        'timezone = "UTC"\n'
        "remind_days = 0\n"
        + (f'approver = "{APPROVER}"\n' if approver else "")
        + f'\n[email]\nhost = "{HOST}"\nport = {port}\nsecurity = "none"\nsender = "Ops <ops@example.com>"\n'
        f'to = ["{MANAGEMENT}"]\nattempts = 2\nretry_delay = 0.05\ntimeout = 5\n',
        "utf-8",
    )
    return config


def tick_ahead() -> dt.datetime:
    """A moment a few seconds ahead, on the same UTC day (waits out the last minute of a day)."""
    now = dt.datetime.now(dt.UTC)
    if (now + dt.timedelta(seconds=LEAD_SECONDS + 60)).date() != now.date():
        time.sleep(LEAD_SECONDS + 61)
        now = dt.datetime.now(dt.UTC)
    return (now + dt.timedelta(seconds=LEAD_SECONDS)).replace(microsecond=0)


class ScheduleService:
    """A `reportgen schedule run` process; its output goes to a file the test reads."""

    def __init__(self, config: Path, log: Path, env: dict[str, str] | None = None) -> None:
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "reportgen", "-v", "schedule", "run", "--config", str(config)],
            stdout=log.open("a"),
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def services() -> Iterator[list[ScheduleService]]:
    started: list[ScheduleService] = []
    yield started
    for service in started:
        service.kill()


def to(handler: Handler, address: str) -> list[Received]:
    return [received for received in handler.received if address in received.rcpt_tos]


def wait_for(condition: object, what: str, logs: list[Path]) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(what + "\n" + "\n".join(log.read_text() for log in logs if log.exists()))
        time.sleep(0.2)


def test_the_draft_goes_to_the_approver_and_approve_sends_exactly_it_once(
    tmp_path: Path, services: list[ScheduleService]
) -> None:
    handler = Handler()
    with smtp_server(handler) as port:
        clean_workbook(tmp_path)
        config = write_config(tmp_path, port, tick_ahead())
        log = tmp_path / "service.log"
        services.append(ScheduleService(config, log))
        wait_for(lambda: to(handler, APPROVER), "the draft never reached the approver", [log])
        assert services[0].stop() == ExitCode.OK
        draft = to(handler, APPROVER)[0]
        assert draft.message["Subject"].startswith("Draft for your approval") and not to(handler, MANAGEMENT)
        assert draft.rcpt_tos == (APPROVER,)  # a draft never reaches management, not even by bcc
        month = previous_month(dt.datetime.now(dt.UTC).date()).strftime("%Y-%m")
        waiting = cli("schedule", "next", "--config", config)
        assert f"{month}: waiting for {APPROVER} to approve" in waiting.stdout, waiting.stderr
        services.append(ScheduleService(config, log))  # a restart between the steps
        time.sleep(3)
        approved = cli("approve", "harbor", month, "--config", config)
        assert approved.returncode == 0, approved.stderr
        wait_for(lambda: to(handler, MANAGEMENT), "management never got the review", [log])
        attachment = next(iter(to(handler, MANAGEMENT)[0].message.iter_attachments())).get_content()
        drafted = next(iter(draft.message.iter_attachments())).get_content()
        assert attachment == drafted  # exactly the PDF the lead approved
        again = cli("approve", "harbor", month, "--config", config)
        assert again.returncode == ExitCode.BAD_INPUT, again.stderr
        assert "was delivered to management on" in again.stderr and "--revise" in again.stderr
        time.sleep(2)
        assert services[1].stop() == ExitCode.OK
    assert len(to(handler, MANAGEMENT)) == 1 and len(to(handler, APPROVER)) == 1
    history = cli("history", "show", "Harbor Growth Team", month, "--config", config).stdout
    assert "approved" in history and "sent" in history


@pytest.mark.parametrize("back_end", ["sqlite", "postgresql"])
def test_two_services_on_one_archive_send_one_draft(
    tmp_path: Path, services: list[ScheduleService], back_end: str, request: pytest.FixtureRequest
) -> None:
    env: dict[str, str] = {}
    if back_end == "postgresql":
        cluster: PostgresCluster = request.getfixturevalue("postgres")
        env["REPORTGEN_ARCHIVE_URL"] = cluster.new_database()
    handler = Handler()
    with smtp_server(handler) as port:
        clean_workbook(tmp_path)
        assert cli("history", env=env).returncode == 0  # the archive exists before both start
        config = write_config(tmp_path, port, tick_ahead())  # after that command, however long it took
        logs = [tmp_path / "one.log", tmp_path / "two.log"]
        services.extend(ScheduleService(config, log, env) for log in logs)
        wait_for(lambda: to(handler, APPROVER), "no draft reached the approver", logs)
        time.sleep(6)  # time for a second draft, were there one
        for service in services:
            assert service.stop() == ExitCode.OK, service.log.read_text()
    assert len(to(handler, APPROVER)) == 1 and not to(handler, MANAGEMENT)
    said = "".join(log.read_text() for log in logs)
    assert "lease taken" in said or said.count("cycle: harbor") == 1
