"""A mail server that refuses recipients (aiosmtpd answering RCPT TO with 550), as the lead meets it:
`reportgen send` exits 3 naming each address once, with the server's reply, and `history show` then says
the same; a scheduled run that meets it logs each address once. In English and Chinese, for every
recipient refused and for one of three. Before, send printed a warning listing each address with its reply
and then the error listing them again, history gave the error's lines and then 'refused for …' for each
address, and the schedule logged the mail's warning and then its own."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import shutil
from pathlib import Path

import pytest

from reportgen.apps.schedule import tick_teams
from reportgen.archive.store import open_archive
from reportgen.base.catalogue import catalogue
from reportgen.base.config import ArchiveSettings, Config, EmailSettings, ScheduleSettings
from reportgen.base.errors import ExitCode
from tests.builders import make_workbook
from tests.commands import cli
from tests.mailserver import HOST, Handler, smtp_server

ROOT = Path(__file__).resolve().parents[2]
TEAM = "Northwind Growth Team"
BOSS, CFO, CMO = "boss@example.com", "cfo@example.com", "cmo@example.com"
EVERYONE = (BOSS, CFO, CMO)  # the envelope's order: to, then cc
REPLY = "550 5.1.1 Mailbox unknown here"


@dataclasses.dataclass(frozen=True)
class Built:
    """The sample's October review and the archive that recorded its build (copied for each send)."""

    pdf: Path
    archive: Path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    folder = tmp_path_factory.mktemp("refused")
    workbook = shutil.copy(ROOT / "samples" / "northwind-en.xlsx", folder / "northwind-en.xlsx")
    archive, pdf = folder / "archive.sqlite3", folder / "northwind-en-2026-10.pdf"
    config = write_config(folder / "reportgen.toml", 25, archive, "en")  # the build mails nobody
    done = cli(
        "build", workbook, "--month", "2026-10", "--as-of", "2026-11-03", "--config", config, "-o", pdf
    )
    assert done.returncode == ExitCode.OK, done.stderr
    return Built(pdf, archive)


def write_config(path: Path, port: int, archive: Path, lang: str) -> Path:
    path.write_text(
        f'team = "{TEAM}"\n\n[archive]\nurl = "sqlite:///{archive}"\n\n'
        f'[email]\nhost = "{HOST}"\nport = {port}\nsecurity = "none"\nsender = "Ops <ops@example.com>"\n'
        # the sample's October has errors, which `send` would hold back: these stories are about the sends
        f'to = {json.dumps([BOSS, CFO])}\ncc = ["{CMO}"]\nattempts = 1\nlanguage = "{lang}"\n'
        "send_with_errors = true\n",
        "utf-8",
    )
    return path


def send_and_show(built: Built, tmp_path: Path, handler: Handler, lang: str) -> tuple[int, str, str]:
    """`reportgen send` of the review to boss, cfo and cmo on its own copy of the archive, then `history
    show` of the month: the exit status, what send said on stderr, what history printed."""
    archive = Path(shutil.copy(built.archive, tmp_path / "archive.sqlite3"))
    with smtp_server(handler) as port:
        config = write_config(tmp_path / "reportgen.toml", port, archive, lang)
        sent = cli("send", built.pdf, "--config", config)
    shown = cli("history", "show", TEAM, "2026-10", "--config", config, "--lang", lang)
    assert shown.returncode == ExitCode.OK, shown.stderr
    return sent.returncode, sent.stderr, shown.stdout


def once_each(text: str, addresses: tuple[str, ...] = EVERYONE) -> dict[str, int]:
    return {address: text.count(address) for address in addresses}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_recipient_refused_names_each_address_once_with_its_reply(
    built: Built, tmp_path: Path, lang: str
) -> None:
    words = catalogue(lang)
    handler = Handler(rcpt_always=REPLY)
    code, said, history = send_and_show(built, tmp_path, handler, lang)
    assert code == ExitCode.DELIVERY_FAILED and not handler.received
    assert once_each(said) == dict.fromkeys(EVERYONE, 1), said
    assert said.splitlines()[:4] == [
        "reportgen: " + words.text("delivery.rejected", attempts=1),
        *(words.text("delivery.refused_address", address=address, reply=REPLY) for address in EVERYONE),
    ], said
    assert once_each(history) == dict.fromkeys(EVERYONE, 1), history
    refusals = "; ".join(words.text("history.refused", address=address, reply=REPLY) for address in EVERYONE)
    (line,) = [line for line in history.splitlines() if BOSS in line]
    assert line.endswith(refusals), line
    assert "\n  " + BOSS not in history  # the send is one line of history, not the error's lines


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_one_recipient_refused_names_whom_it_reached_and_the_refused_one_once(
    built: Built, tmp_path: Path, lang: str
) -> None:
    words = catalogue(lang)
    handler = Handler(rcpt_replies={CFO: REPLY})
    code, said, history = send_and_show(built, tmp_path, handler, lang)
    (received,) = handler.received
    assert code == ExitCode.DELIVERY_FAILED and received.rcpt_tos == (BOSS, CMO)
    assert once_each(said) == dict.fromkeys(EVERYONE, 1), said
    reached = words.text("where.list").join([BOSS, CMO])
    assert said.splitlines()[:2] == [
        "reportgen: " + words.text("delivery.partial", accepted=reached),
        words.text("delivery.refused_address", address=CFO, reply=REPLY),
    ], said
    assert once_each(history) == dict.fromkeys(EVERYONE, 1), history
    assert words.text("history.refused", address=CFO, reply=REPLY) in history


def test_a_scheduled_run_logs_each_refused_address_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The schedule's tick sends a clean month straight to management (no approver); the server refuses
    both: the log names each with the reply once, and the run records it."""
    october = [dt.date(2026, 10, day) for day in (1, 4, 5, 9)]
    make_workbook(
        tmp_path,
        [
            [october[0], "SEO", "Keyword page", "Ann", "", "Done", october[2], october[1], 20, 2],
            [october[3], "Content", "Launch article", "Bo", "", "Done", None, october[3], 5, 1],
        ],
        name="team.xlsx",
    )
    run_at = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)
    archive = open_archive(ArchiveSettings(url=f"sqlite:///{tmp_path / 'archive.sqlite3'}"))
    handler = Handler(rcpt_always=REPLY)
    caplog.set_level(logging.WARNING, logger="reportgen")
    try:
        with smtp_server(handler) as port:
            config = Config(
                schedule=ScheduleSettings(
                    workbooks=tmp_path / "team.xlsx", day=3, timezone="UTC", remind_days=0, cutoff_day=6
                ),
                email=EmailSettings(
                    host=HOST,
                    port=port,
                    security="none",
                    sender="Ops <ops@example.com>",
                    to=(BOSS, CFO),
                    attempts=1,
                    timeout=5.0,
                ),
            )
            tick_teams(archive, config, run_at, run_at - dt.timedelta(days=14))
        (run,) = archive.runs()
    finally:
        archive.close()
    assert run.state == "failed" and REPLY in str(run.detail["problem"]) and not handler.received
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert once_each(logged, (BOSS, CFO)) == {BOSS: 1, CFO: 1}, logged
    for address in (BOSS, CFO):
        assert f"{address}: {REPLY}" in logged
