"""The month's lifecycle as the lead and management meet it, one story each, against a real archive and a
real SMTP server (aiosmtpd on 127.0.0.1): what management's mailbox holds, what each command answers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html as markup
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from reportgen.apps.cli.delivering import refuse_superseded
from reportgen.apps.history import print_history, print_versions
from reportgen.apps.schedule import did_text, missed_lines, next_lines, run_now, schedule_of, tick_teams
from reportgen.apps.schedule import local as schedule_local
from reportgen.archive.store import Archive, open_archive
from reportgen.base.catalogue import catalogue
from reportgen.base.config import (
    ArchiveSettings,
    ChatSettings,
    Config,
    EmailSettings,
    ScheduleSettings,
    load_config,
    local_minute,
)
from reportgen.base.errors import DeliveryError, ExitCode, InputError, ReportgenError, RunFailed, UsageError
from reportgen.base.states import ApprovalState, ChatKind, RunState
from reportgen.cycle.lifecycle import TRANSITIONS, Stage, Step, after, allowed, month_status
from reportgen.cycle.runs import approve, reject
from reportgen.figures.review import errors_of
from reportgen.pipeline.archiving import OpenedArchive
from reportgen.pipeline.build import build_review, build_to_files, check_workbook
from reportgen.pipeline.mailing import deliver_review
from reportgen.wording.text import finding_message
from tests.builders import make_workbook
from tests.chatservers import ChatServers
from tests.commands import cli
from tests.mailserver import CJK, HOST, Handler, Received, crowded, parts, smtp_server

UTC = dt.UTC
RUN = dt.datetime(2026, 11, 3, 9, 0, tzinfo=UTC)  # the November run reviews October
SINCE = dt.datetime(2026, 10, 20, tzinfo=UTC)
MONTH = "2026-10"
LEAD, BOSS, CMO = "lead@example.com", "boss@example.com", "cmo@example.com"
OCT = [dt.date(2026, 10, day) for day in (1, 4, 5, 9, 12)]
CLEAN: list[list[Any]] = [
    [OCT[0], "SEO", "Keyword page", "Ann", "", "Done", OCT[2], OCT[1], 20, 2],
    [OCT[3], "Content", "Launch article", "Bo", "", "Done", None, OCT[3], 5, 1],
]
SEP = dt.date(2026, 9, 14)
WEBINAR = [OCT[4], "Event", "Webinar", "Bo", "", "Delayed", None, None, "abc", 3]  # "abc": an error
WITH_ERROR: list[list[Any]] = [*CLEAN, WEBINAR]
SEPTEMBER_ERROR: list[list[Any]] = [[SEP, "Event", "Meetup", "Bo", "", "Done", None, SEP, "abc", 3], *CLEAN]
EMPTY: list[list[Any]] = [[OCT[0], "SEO", "Keyword page", "Ann", "", "Planned", OCT[2], None, 20, 0]]


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    opened = open_archive(ArchiveSettings(url=f"sqlite:///{tmp_path / 'archive.sqlite3'}"))
    yield opened
    opened.close()


@pytest.fixture
def mail() -> Iterator[tuple[Handler, int]]:
    handler = Handler()
    with smtp_server(handler) as port:
        yield handler, port


def config_for(folder: Path, port: int, approver: str | None = LEAD, to: tuple[str, ...] = (BOSS,)) -> Config:
    schedule = ScheduleSettings(workbooks=folder / "team.xlsx", day=3, timezone="UTC", approver=approver,
                                remind_days=0, cutoff_day=28, out=folder / "reviews")  # fmt: skip
    email = EmailSettings(host=HOST, port=port, security="none", sender="Ops <ops@example.com>", to=to,
                          attempts=1, retry_delay=0.01, timeout=5.0)  # fmt: skip
    return Config(schedule=schedule, email=email)


def to(handler: Handler, address: str) -> list[Received]:
    return [received for received in handler.received if address in received.rcpt_tos]


def pdf_text(received: Received) -> str:
    for part in received.message.iter_attachments():
        if part.get_content_type() == "application/pdf":
            return "".join(page.extract_text() for page in PdfReader(io.BytesIO(part.get_content())).pages)
    raise AssertionError("no PDF attached")


def body(received: Received) -> str:
    part = received.message.get_body(("plain",))
    return str(part.get_content()) if part is not None else ""


def write(folder: Path, rows: list[list[Any]]) -> None:
    make_workbook(folder, rows, name="team.xlsx")


def test_every_step_the_table_allows_leads_somewhere_and_the_others_are_refused() -> None:
    for stage, steps in TRANSITIONS.items():
        for step in Step:
            if step in steps:
                assert after(stage, step) in Stage
            else:
                assert not allowed(stage, step)
                with pytest.raises(ValueError):
                    after(stage, step)
    assert TRANSITIONS[Stage.DELIVERED] == {Step.REVISION: Stage.OPEN}  # nothing else moves a delivered month


def test_managements_first_review_after_an_error_draft_is_not_labelled_revised(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int], capsys: pytest.CaptureFixture[str]
) -> None:
    handler, port = mail
    config = config_for(tmp_path, port)
    write(tmp_path, WITH_ERROR)
    tick_teams(archive, config, RUN, SINCE)
    (draft,) = to(handler, LEAD)
    assert str(draft.message["Subject"]) == "Draft with errors, not sent to management: team, 2026-10"
    assert "NOT sent to management" in body(draft) and "--with-errors" in body(draft)
    assert month_status(archive, "team", MONTH).stage == Stage.BLOCKED
    write(tmp_path, CLEAN)  # fixed
    tick_teams(archive, config, RUN + dt.timedelta(days=1), SINCE)
    assert month_status(archive, "team", MONTH).stage == Stage.AWAITING_APPROVAL
    approve(archive, config, "team", MONTH)
    (review,) = to(handler, BOSS)
    assert not str(review.message["Subject"]).startswith("Revised")
    assert "Revised" not in pdf_text(review) and "replaces" not in pdf_text(review)
    assert month_status(archive, "team", MONTH).stage == Stage.DELIVERED
    print_history(archive, None, None, True, "en", None)  # history --json says the same stage
    (month,) = json.loads(capsys.readouterr().out)["months"]
    assert month == {"team": "team", "month": MONTH, "stage": "delivered"}


def test_a_delivered_month_is_not_sent_again_and_a_revision_is_labelled_and_reaches_everyone(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int]
) -> None:
    handler, port = mail
    write(tmp_path, CLEAN)
    config = config_for(tmp_path, port)
    tick_teams(archive, config, RUN, SINCE)
    approve(archive, config, "team", MONTH)
    before = len(handler.received)
    with pytest.raises(InputError) as delivered:
        run_now(archive, config, "team", RUN + dt.timedelta(days=1))
    said = delivered.value.message("en")
    assert "was delivered to management on" in said and "--revise" in said
    with pytest.raises(InputError) as unchanged:
        run_now(archive, config, "team", RUN + dt.timedelta(days=1), revise=True)
    assert "nothing to revise" in unchanged.value.message("en")
    assert len(handler.received) == before  # neither refusal mailed anyone
    write(tmp_path, [*CLEAN, CLEAN[0]])  # a changed workbook
    cmo_now = config_for(tmp_path, port, to=(CMO,))  # management is the CMO now; the boss had version 1
    line = run_now(archive, cmo_now, "team", RUN + dt.timedelta(days=1), revise=True)
    assert "version 2 built" in line and LEAD in line
    revision_draft = to(handler, LEAD)[-1]
    assert "Revised — replaces the review sent on" in body(revision_draft)
    assert "everyone who had version 1" in body(revision_draft)
    subject = str(revision_draft.message["Subject"])  # a draft first, and then a revision
    assert subject.startswith("Draft for your approval: team") and subject.endswith("(revision)"), subject
    approve(archive, cmo_now, "team", MONTH)
    boss, cmo = to(handler, BOSS), to(handler, CMO)
    assert len(boss) == 2 and len(cmo) == 1 and boss[-1] is cmo[-1]  # one mail, both on it
    assert str(cmo[0].message["Subject"]).startswith("Revised")
    assert "Revised" in pdf_text(cmo[0])


def test_errors_of_a_month_already_delivered_block_nothing_and_a_lead_may_send_errors_knowingly(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int]
) -> None:
    handler, port = mail
    config = config_for(tmp_path, port)
    write(tmp_path, SEPTEMBER_ERROR)
    tick_teams(archive, config, RUN, SINCE)
    # September's error went with September's review: October's draft is clean
    assert month_status(archive, "team", MONTH).stage == Stage.AWAITING_APPROVAL
    reject(archive, "team", MONTH, "wait for the webinar")
    write(tmp_path, WITH_ERROR)
    tick_teams(archive, config, RUN + dt.timedelta(days=1), SINCE)
    with pytest.raises(InputError) as blocked:
        approve(archive, config, "team", MONTH)
    said = blocked.value.message("en")
    assert "1 error in its month's rows" in said and "--with-errors" in said
    assert not to(handler, BOSS)
    approval, _ = approve(archive, config, "team", MONTH, with_errors=True)
    assert approval.errors == 1 and len(to(handler, BOSS)) == 1
    decided = archive.approvals("team", MONTH)[0]
    assert decided.state == "approved" and decided.decided_by


def test_a_rejection_needs_a_reason_and_every_late_decision_says_what_became_of_the_draft(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int]
) -> None:
    handler, port = mail
    config = config_for(tmp_path, port)
    write(tmp_path, CLEAN)
    tick_teams(archive, config, RUN, SINCE)
    with pytest.raises(UsageError):
        reject(archive, "team", MONTH, "   ")
    assert month_status(archive, "team", MONTH).stage == Stage.AWAITING_APPROVAL  # nothing recorded
    results: list[object] = []

    def one() -> None:
        own = open_archive(ArchiveSettings(url=f"sqlite:///{tmp_path / 'archive.sqlite3'}"))
        try:
            results.append(approve(own, config, "team", MONTH))
        except ReportgenError as exc:
            results.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    refused = [result for result in results if isinstance(result, ReportgenError)]
    assert len(refused) == 1 and len(to(handler, BOSS)) == 1  # one sent, once
    assert "--resend" not in refused[0].message("en")  # no advice that would mail a second copy
    with pytest.raises(InputError) as late:
        reject(archive, "team", MONTH, "too late")
    assert "was delivered to management on" in late.value.message("en")


def test_a_rejected_draft_never_waits_again_unless_the_workbook_changed(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int]
) -> None:
    """A lead rejects the draft; someone runs the month again from the same workbook, or from the same
    workbook saved again: the lead is not asked again, the draft does not wait again, and so `approve`
    cannot send management the review that was turned down. The same for a rejected revision."""
    handler, port = mail
    config = config_for(tmp_path, port)
    write(tmp_path, CLEAN)
    run_now(archive, config, "team", RUN)
    reject(archive, "team", MONTH, "the numbers are provisional")
    before = len(handler.received)
    with pytest.raises(InputError) as again:
        run_now(archive, config, "team", RUN + dt.timedelta(hours=1))
    said = again.value.message("en")
    assert "was rejected by" in said and "the numbers are provisional" in said
    assert "Change the workbook" in said
    write(tmp_path, CLEAN)  # saved again, not changed: other bytes, the same review
    line = run_now(archive, config, "team", RUN + dt.timedelta(hours=2))
    assert "came out exactly as the draft" in line and "the numbers are provisional" in line, line
    assert len(handler.received) == before  # nobody was asked again
    assert month_status(archive, "team", MONTH).stage == Stage.REJECTED
    with pytest.raises(InputError):  # nothing waits: nothing to approve, nothing reaches management
        approve(archive, config, "team", MONTH)
    assert not to(handler, BOSS)
    write(tmp_path, [*CLEAN, CLEAN[0]])  # changed: a new draft, then delivered
    assert "version" in run_now(archive, config, "team", RUN + dt.timedelta(days=1))
    approve(archive, config, "team", MONTH)
    write(tmp_path, [*CLEAN, CLEAN[0], CLEAN[1]])
    run_now(archive, config, "team", RUN + dt.timedelta(days=2), revise=True)
    reject(archive, "team", MONTH, "keep the first version")
    before = len(handler.received)
    with pytest.raises(InputError) as revision:
        run_now(archive, config, "team", RUN + dt.timedelta(days=2, hours=1), revise=True)
    said = revision.value.message("en")
    assert "The revision of 2026-10 for team was rejected by" in said and "keep the first version" in said
    assert "Management keeps version" in said
    assert len(handler.received) == before and len(to(handler, BOSS)) == 1
    assert month_status(archive, "team", MONTH).stage == Stage.DELIVERED


def test_an_approver_who_is_also_management_gets_the_draft_and_then_managements_copy(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int]
) -> None:
    """The lead approves and is also on management's list: the draft is not a delivery, so approving sends
    management's copy to everyone on the list, the lead included, and the month is delivered (it used to
    stop at "already reached lead@example.com" and stay waiting for good)."""
    handler, port = mail
    config = config_for(tmp_path, port, to=(BOSS, LEAD))
    write(tmp_path, CLEAN)
    tick_teams(archive, config, RUN, SINCE)
    (draft,) = to(handler, LEAD)
    assert str(draft.message["Subject"]).startswith("Draft for your approval")
    approve(archive, config, "team", MONTH)
    copies = [str(received.message["Subject"]) for received in to(handler, LEAD)]
    assert len(copies) == 2 and not copies[1].startswith("Draft"), copies
    assert len(to(handler, BOSS)) == 1 and to(handler, BOSS)[0] is to(handler, LEAD)[1]
    assert month_status(archive, "team", MONTH).stage == Stage.DELIVERED
    with pytest.raises(InputError):  # and only once
        approve(archive, config, "team", MONTH)
    assert len(handler.received) == 2


def test_an_approval_a_bot_missed_says_how_to_reach_it_and_only_it(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int], chat_servers: ChatServers
) -> None:
    """The lead approves while management's Slack bot is down: management's mail goes, the lead is told the
    draft is approved and which command reaches the rest (approve again would only say it was delivered);
    that command, once the bot is back, posts to Slack alone and mails nobody twice."""
    handler, port = mail
    bot = chat_servers.add_bot("slack", down=True)
    config = dataclasses.replace(
        config_for(tmp_path, port), targets=(ChatSettings("growth", ChatKind(bot.vendor), bot.url),)
    )
    write(tmp_path, CLEAN)
    tick_teams(archive, config, RUN, SINCE)
    with pytest.raises(DeliveryError) as partly:
        approve(archive, config, "team", MONTH)
    said = partly.value.message("en")
    pdf = archive.approvals("team", MONTH)[0].pdf_path
    assert "growth" in said and f'reportgen send "{pdf}"' in said and "approved" in said, said
    assert len(to(handler, BOSS)) == 1 and month_status(archive, "team", MONTH).stage == Stage.DELIVERED
    bot.down = False
    results = deliver_review(archive, pdf, config)
    assert [each.target.kind for each in results if each.result.receipt.accepted] == [bot.vendor]
    assert len(to(handler, BOSS)) == 1 and len(bot.received) == 1


def test_an_approved_draft_whose_send_has_no_answer_yet_says_so_everywhere(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int]
) -> None:
    """The lead approved; the send to management is under way (or its process died before the answer). The
    month used to read "nothing built yet" in `schedule next`, and a second approve was told no draft waits:
    it now reads as being sent, who approved it, and nothing drafts or sends it again meanwhile."""
    handler, port = mail
    config = config_for(tmp_path, port)
    write(tmp_path, CLEAN)
    tick_teams(archive, config, RUN, SINCE)
    (draft,) = archive.approvals("team", MONTH)
    assert archive.decide(draft, ApprovalState.APPROVED, by="lead")  # recorded first; the send not yet back
    assert month_status(archive, "team", MONTH).stage == Stage.SENDING
    (state,) = next_lines(archive, config, RUN + dt.timedelta(hours=1), "en")
    assert "approved by lead" in state and "delivery to management is under way" in state, state
    before = len(handler.received)
    for attempt in (
        lambda: approve(archive, config, "team", MONTH),
        lambda: reject(archive, "team", MONTH, "too late"),
        lambda: run_now(archive, config, "team", RUN + dt.timedelta(hours=2)),
    ):
        with pytest.raises(InputError) as refused:
            attempt()
        said = refused.value.message("en")
        assert "was approved by lead" in said and "Nothing is sent again" in said, said
    assert len(handler.received) == before and not to(handler, BOSS)


def test_an_empty_month_goes_to_the_sender_not_to_management_when_there_is_no_approver(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int]
) -> None:
    handler, port = mail
    config = config_for(tmp_path, port, approver=None)
    write(tmp_path, EMPTY)
    tick_teams(archive, config, RUN, SINCE)
    assert not to(handler, BOSS)
    (draft,) = to(handler, "ops@example.com")
    assert "no activity of 2026-10 is done" in body(draft)
    assert month_status(archive, "team", MONTH).stage == Stage.AWAITING_APPROVAL


def test_run_now_and_schedule_next_say_where_the_month_stands(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int]
) -> None:
    _, port = mail
    config = config_for(tmp_path, port)
    write(tmp_path, WITH_ERROR)
    line = run_now(archive, config, "team", RUN)
    assert line == (
        f"team {MONTH}: version 1 built with 1 error in its month's rows; a draft with the cell went to "
        f"{LEAD}. Not sent to management."
    )
    (state,) = next_lines(archive, config, RUN + dt.timedelta(hours=1), "en")
    assert f"{MONTH}: draft has errors (to {LEAD}" in state and "--with-errors" in state
    reject(archive, "team", MONTH, "the webinar row is wrong")
    (state,) = next_lines(archive, config, RUN + dt.timedelta(hours=2), "en")
    assert "rejected by" in state and "the webinar row is wrong" in state
    with pytest.raises(InputError) as unknown:  # answered in words, not as a Python list
        run_now(archive, config, "nobody", RUN)
    assert unknown.value.message("en") == "There is no team nobody. Known teams: team."
    write(tmp_path, CLEAN)
    assert "version 2 built" in run_now(archive, config, "TEAM", RUN + dt.timedelta(days=1))  # any case
    approve(archive, config, "team", MONTH)
    (state,) = next_lines(archive, config, RUN + dt.timedelta(days=1, hours=1), "en")
    assert f"{MONTH}: delivered to management on" in state


def test_run_now_whose_mail_is_refused_fails_with_the_delivery_status_and_a_later_one_delivers(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int]
) -> None:
    """`schedule run-now` printed "the run failed: …" and exited 0, so a script around it saw success."""
    handler, port = mail
    config = config_for(tmp_path, port, approver=None)
    write(tmp_path, CLEAN)
    handler.rcpt_always = "550 5.1.1 mailbox unavailable"
    with pytest.raises(RunFailed) as failed:
        run_now(archive, config, "team", RUN)
    assert failed.value.exit_code == ExitCode.DELIVERY_FAILED
    said = failed.value.message()
    assert said.startswith(f"team {MONTH}: the run failed: ") and said.endswith("The next tick tries again.")
    assert said.count(BOSS) == 1 and "550 5.1.1 mailbox unavailable" in said
    assert [run.state for run in archive.runs("team", MONTH)] == [RunState.FAILED]  # recorded before said
    assert handler.received == [] and month_status(archive, "team", MONTH).stage == Stage.OPEN
    settings = tmp_path / "history.toml"
    settings.write_text(f'[archive]\nurl = "sqlite:///{tmp_path / "archive.sqlite3"}"\n', "utf-8")
    steps = steps_of(cli("history", "show", "team", MONTH, "--config", settings).stdout)
    # the run's "sending to management" is the send's to tell: "send failed"
    assert steps == ["v1  built", "v1  send failed", "scheduled run failed"]
    handler.rcpt_always = None
    assert run_now(archive, config, "team", RUN + dt.timedelta(hours=1)).startswith(
        f"team {MONTH}: version 1"
    )
    assert [received.rcpt_tos for received in handler.received] == [(BOSS,)]
    steps = steps_of(cli("history", "show", "team", MONTH, "--config", settings).stdout)
    assert steps[3:] == ["v1  built", "v1  sent"]


def test_a_draft_the_approver_never_got_is_drafted_again_by_run_now_not_waited_for(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int]
) -> None:
    """The draft's mail to the lead was refused (run-now: exit 3); with the server back, run-now answered "A
    draft of 2026-10 for team waits for lead@…'s approval since …" and sent nothing: the lead waited for a
    draft that never came, and the month for a decision nobody could make."""
    handler, port = mail
    config = config_for(tmp_path, port)
    write(tmp_path, CLEAN)
    handler.rcpt_always = "550 5.1.1 mailbox unavailable"
    with pytest.raises(RunFailed):
        run_now(archive, config, "team", RUN)
    assert handler.received == []
    handler.rcpt_always = None
    line = run_now(archive, config, "team", RUN + dt.timedelta(hours=1))
    assert line == f"team {MONTH}: version 1 built; a draft went to {LEAD} for approval."
    (draft,) = to(handler, LEAD)
    approve(archive, config, "team", MONTH)
    (review,) = to(handler, BOSS)
    assert pdf_text(review) == pdf_text(draft)  # management got the draft the lead approved
    with pytest.raises(InputError):  # and now the draft that reached the lead is the answer
        run_now(archive, config, "team", RUN + dt.timedelta(hours=2))


def test_a_failed_run_is_told_to_a_chinese_reader_in_chinese_what_went_wrong_too(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int]
) -> None:
    """The run's problem was recorded in English only: run-now, `schedule next` and the department page
    gave a Chinese team "本次运行失败：not sent: the server refused every recipient …"."""
    handler, port = mail
    english = config_for(tmp_path, port, approver=None)
    config = dataclasses.replace(english, email=dataclasses.replace(english.email, language="zh"))
    write(tmp_path, CLEAN)
    handler.rcpt_always = "550 5.1.1 mailbox unavailable"
    with pytest.raises(RunFailed) as failed:
        run_now(archive, config, "team", RUN)
    said = failed.value.message()
    assert said.startswith(f"team {MONTH}：本次运行失败：未发送：服务器拒绝了所有收件人"), said
    assert "not sent" not in said and said.count(BOSS) == 1
    (state,) = next_lines(archive, config, RUN + dt.timedelta(hours=1), "zh")
    assert "上次运行失败" in state and "服务器拒绝了所有收件人" in state and "not sent" not in state, state
    (english_state,) = next_lines(archive, english, RUN + dt.timedelta(hours=1), "en")
    assert "the server refused every recipient" in english_state  # each reader their own language


def test_the_days_a_team_is_told_are_its_own_zones_not_utcs(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int]
) -> None:
    """A Shanghai team's review went out at 00:10 on 4 November there (16:10 UTC on the 3rd). The revision's
    cover said "replaces the review sent on Nov 3" and run-now "management received on 2026-11-03", while
    the review itself was dated the 4th and `schedule next` said "delivered on 2026-11-04 00:10 CST"."""
    handler, port = mail
    utc = config_for(tmp_path, port, approver=None)
    assert utc.schedule is not None
    config = dataclasses.replace(utc, schedule=dataclasses.replace(utc.schedule, timezone="Asia/Shanghai"))
    sent = dt.datetime(2026, 11, 3, 16, 10, tzinfo=UTC)  # 2026-11-04 00:10 in Shanghai
    archive.clock = lambda: sent
    write(tmp_path, CLEAN)
    run_now(archive, config, "team", sent)
    with pytest.raises(InputError) as unchanged:
        run_now(archive, config, "team", sent + dt.timedelta(hours=1), revise=True)
    assert "which management received on 2026-11-04" in unchanged.value.message("en")
    (state,) = next_lines(archive, config, sent + dt.timedelta(hours=1), "en")
    assert "delivered to management on 2026-11-04 00:10 CST" in state
    write(tmp_path, [[*CLEAN[0][:8], 30, 2], CLEAN[1]])  # a corrected cost: a revision
    run_now(archive, config, "team", sent + dt.timedelta(hours=2), revise=True)
    first, revision = handler.received
    assert "replaces the review sent on Nov 4, 2026" in " ".join(pdf_text(revision).split())
    assert "Revised" not in pdf_text(first)


def steps_of(history: str) -> list[str]:
    """The "Steps:" lines of `history show`, each without its time (three words: day, minute and zone): the
    first said "sent to management" before the send had even been tried, and then "send failed"."""
    lines = history.split("Steps:\n", 1)[1].splitlines()
    return [line.strip().split(" ", 3)[3].strip() for line in lines if line.strip()]


def test_a_first_start_after_the_run_day_names_the_month_it_will_not_make(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int]
) -> None:
    _, port = mail
    config = config_for(tmp_path, port)
    write(tmp_path, CLEAN)
    assert config.schedule is not None
    (line,) = missed_lines(archive, config.schedule, RUN + dt.timedelta(days=2), catalogue("en"))
    assert line.startswith(f"team: the run day of {MONTH} passed before the schedule started")
    assert 'reportgen schedule run-now "team"' in line
    run_now(archive, config, "team", RUN + dt.timedelta(days=2))
    assert missed_lines(archive, config.schedule, RUN + dt.timedelta(days=2), catalogue("en")) == []


def test_a_version_a_revision_replaced_is_not_mailed_without_force(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int]
) -> None:
    _, port = mail
    config = config_for(tmp_path, port)
    write(tmp_path, CLEAN)
    tick_teams(archive, config, RUN, SINCE)
    approve(archive, config, "team", MONTH)
    write(tmp_path, [*CLEAN, CLEAN[0]])
    run_now(archive, config, "team", RUN + dt.timedelta(days=1), revise=True)
    refuse_superseded(archive, tmp_path / "reviews" / "team-2026-10.pdf")  # version 2: not delivered yet
    approve(archive, config, "team", MONTH)
    first = archive.pdf_of(team="team", month=MONTH, version=1)
    old = tmp_path / "v1.pdf"
    old.write_bytes(first.data)
    with pytest.raises(InputError) as refused:
        refuse_superseded(archive, old)
    said = refused.value.message("en")
    assert "version 1 of 2026-10 for team, which version 2 replaced at management" in said
    assert "--force" in said
    refuse_superseded(archive, tmp_path / "reviews" / "team-2026-10.pdf")  # the newest: it may go


def config_file(folder: Path, port: int) -> Path:
    """config_for's settings as a reportgen.toml, with the archive of the `archive` fixture: what the command
    line reads."""
    path = folder / "reportgen.toml"
    path.write_text(
        f'[archive]\nurl = "sqlite:///{folder / "archive.sqlite3"}"\n'
        f'[schedule]\nworkbooks = "{folder / "team.xlsx"}"\nday = 3\ntimezone = "UTC"\napprover = "{LEAD}"\n'
        f'remind_days = 0\ncutoff_day = 28\nout = "{folder / "reviews"}"\n'
        f'[email]\nhost = "{HOST}"\nport = {port}\nsecurity = "none"\nsender = "Ops <ops@example.com>"\n'
        f'to = ["{BOSS}"]\nattempts = 1\nretry_delay = 0.01\ntimeout = 5.0\n',
        "utf-8",
    )
    return path


def test_a_team_set_to_chinese_reads_the_refusals_in_chinese_as_it_reads_the_answers(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int]
) -> None:
    """`[email] language = "zh"`: approve answered "已批准：…", and a second approve refused in English ("The
    review of 2026-10 for team was approved by …")."""
    _, port = mail
    path = config_file(tmp_path, port)
    path.write_text(
        path.read_text("utf-8") + 'language = "zh"\n', "utf-8"
    )  # [email] is the file's last table
    write(tmp_path, CLEAN)
    tick_teams(archive, load_config(path), RUN, SINCE)
    first = cli("approve", "team", MONTH, "--config", path)
    assert first.returncode == 0 and first.stdout.startswith("已批准"), (first.stdout, first.stderr)
    again = cli("approve", "team", MONTH, "--config", path)
    assert again.returncode == 1 and again.stderr.startswith("reportgen: "), again.stderr
    assert "已" in again.stderr and "approved by" not in again.stderr and "delivered" not in again.stderr, (
        again.stderr
    )
    rejected = cli("reject", "team", MONTH, "--reason", "late", "--config", path)
    assert rejected.returncode == 1 and "already" not in rejected.stderr, rejected.stderr


def test_approve_says_1_recipient_for_a_draft_with_errors_and_for_a_revision(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int]
) -> None:
    """`reportgen approve` printed "(1 recipients)" for a draft approved --with-errors, and "(1 recipients:
    the configured audience and everyone who had version 1)" for a revision, where the ordinary approve says
    "(1 recipient)"."""
    _, port = mail
    path = config_file(tmp_path, port)
    config = load_config(path)
    write(tmp_path, WITH_ERROR)
    tick_teams(archive, config, RUN, SINCE)
    with_errors = cli("approve", "team", MONTH, "--with-errors", "--config", path)
    assert with_errors.returncode == 0, with_errors.stderr
    assert with_errors.stdout.splitlines()[0] == (
        f"Approved with its errors (1 in its month's rows): the review of {MONTH} for team went to "
        "management (1 recipient)."
    )
    write(tmp_path, CLEAN)
    run_now(archive, config, "team", RUN + dt.timedelta(days=1), revise=True)
    revision = cli("approve", "team", MONTH, "--config", path)
    assert revision.returncode == 0, revision.stderr
    assert revision.stdout.splitlines()[0] == (
        f"Approved: the revision of {MONTH} for team went to management (1 recipient: the configured "
        "audience and everyone who had version 1)."
    )


@pytest.mark.parametrize("title", [None, "Harbor Demand Team — Marketing Ops Log 2026"])
def test_a_month_built_and_sent_by_hand_is_delivered_for_the_schedule_too(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int], title: str | None
) -> None:
    """The lead built October from the schedule's workbook and sent it with `send` before the run day. The
    schedule knew the team only by its workbook's name, so it read the month as never delivered: its run
    drafted the same version to the approver as "a revision: management received version 1", and `schedule
    next` called the month open or blocked (a title row names the review's team apart from the workbook).
    Now every view says delivered and nothing is drafted or sent."""
    handler, port = mail
    config = config_for(tmp_path, port)
    make_workbook(tmp_path, CLEAN, name="team.xlsx", title=title)  # the review's team: the title, or the stem
    built = build_to_files(tmp_path / "team.xlsx", config, RUN.date() - dt.timedelta(days=1), month=MONTH,
                           pdf_path=tmp_path / "by-hand.pdf", archive=OpenedArchive(archive))  # fmt: skip
    assert built.pdf is not None
    deliver_review(archive, built.pdf, config)
    assert len(to(handler, BOSS)) == 1
    status = month_status(archive, "team", MONTH)
    assert status.stage == Stage.DELIVERED and status.delivered is not None
    with pytest.raises(InputError) as refused:
        run_now(archive, config, "team", RUN)
    said = refused.value.message("en")
    assert f"delivered to management on {status.delivered.sent_at.date().isoformat()}" in said, said
    tick_teams(archive, config, RUN, SINCE)  # the schedule's own run of October, on its day
    assert to(handler, LEAD) == [] and len(handler.received) == 1  # no draft, nothing mailed again
    (state,) = next_lines(archive, config, RUN + dt.timedelta(hours=1), "en")
    assert "delivered to management on" in state, state
    (run,) = [each for each in archive.runs("team", MONTH) if each.state != "claimed"]
    assert run.detail.get("already") == status.delivered.sent_at.date().isoformat()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_draft_whose_version_the_lead_sent_by_hand_is_recorded_as_overtaken(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int], lang: str
) -> None:
    """The schedule drafted October to the lead; before deciding, the lead built the same workbook and sent
    it with `reportgen send`, so management has that version. The month read delivered, but the draft's
    approval stayed "pending" in the archive for good, and `history show` said it was waiting for the lead.
    Now the archive records it as overtaken (with the step), before the send answers, and `history show`
    says a send by hand overtook it."""
    handler, port = mail
    path = config_file(tmp_path, port)
    config = load_config(path)
    write(tmp_path, CLEAN)
    tick_teams(archive, config, RUN, SINCE)
    assert (
        len(to(handler, LEAD)) == 1 and month_status(archive, "team", MONTH).stage == Stage.AWAITING_APPROVAL
    )
    pdf = tmp_path / "by-hand.pdf"
    built = cli("build", tmp_path / "team.xlsx", "--month", MONTH, "--as-of", "2026-11-04", "-o", pdf,
                "--config", path)  # fmt: skip
    assert built.returncode == 0, built.stderr
    sent = cli("send", pdf, "--config", path)
    assert sent.returncode == 0, sent.stderr
    assert len(to(handler, BOSS)) == 1 and len(to(handler, LEAD)) == 1
    shown = cli("history", "show", "team", MONTH, "--config", path, "--lang", lang)
    assert shown.returncode == 0, shown.stderr
    (approval,) = archive.approvals("team", MONTH)
    words = catalogue(lang)
    waiting = words.text(
        "history.approval_pending", approver=LEAD, at=local_minute(approval.created_at, config.zone)
    )
    assert waiting not in shown.stdout, shown.stdout
    assert approval.state == ApprovalState.OVERTAKEN and approval.decided_at is not None, approval
    overtaken = words.text("history.approval_overtaken", at=local_minute(approval.decided_at, config.zone))
    assert words.text("history.approval", state=overtaken) in shown.stdout, shown.stdout
    steps = shown.stdout[shown.stdout.index(words.text("history.events")) :]
    assert words.text("history.event_overtaken") in steps, steps
    (step,) = [event for event in archive.events(month=MONTH) if event.kind == ApprovalState.OVERTAKEN]
    (send,) = [event for event in archive.events(month=MONTH) if event.kind == "send_sent"
               and event.detail.get("audience") == "management"]  # fmt: skip
    assert step.version == 1 and step.detail["delivered_version"] == 1 and step.at == send.at
    assert approval.decided_at == step.at  # recorded with the send, before `send` answered
    refused = cli("approve", "team", MONTH, "--config", path)  # nothing left to approve: where it stands
    assert refused.returncode == 1 and "was delivered to management on" in refused.stderr, refused.stderr
    assert len(to(handler, BOSS)) == 1


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_history_says_a_draft_went_to_management_with_its_errors(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int], capsys: pytest.CaptureFixture[str], lang: str
) -> None:
    """`approve --with-errors` sends management a review whose month has errors: `history show` said only
    "approved by lead", as for a clean draft; it now says how many errors went with it."""
    handler, port = mail
    config = config_for(tmp_path, port)
    write(tmp_path, WITH_ERROR)
    tick_teams(archive, config, RUN, SINCE)
    approve(archive, config, "team", MONTH, with_errors=True, by="lead")
    assert len(to(handler, BOSS)) == 1
    (approval,) = archive.approvals("team", MONTH)
    review_team = archive.versions(month=MONTH)[0].team
    print_versions(archive, review_team, MONTH, lang, config.zone)
    shown = capsys.readouterr().out
    words = catalogue(lang)
    at = local_minute(approval.decided_at or approval.created_at, config.zone)
    expected = words.text("history.approval_approved_errors", by="lead", count=approval.errors, at=at)
    assert approval.errors == 1 and expected in shown, shown


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_schedule_next_names_a_month_whose_run_day_passed_with_nothing_made(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int], lang: str
) -> None:
    """Half an hour after October's run day, with no schedule having run: `schedule next` gave only December's
    run, no word that October was never made. It now says so with the command that makes it; once October
    was made (here: built and sent by hand), it says delivered instead."""
    handler, port = mail
    config = config_for(tmp_path, port)
    write(tmp_path, CLEAN)
    words = catalogue(lang)
    (line,) = next_lines(archive, config, RUN + dt.timedelta(minutes=30), lang)
    missed = words.text(
        "cycle.stage_missed", team="team", month=MONTH, when=schedule_local(RUN, schedule_of(config))
    )
    assert missed in line and 'reportgen schedule run-now "team"' in line, line
    built = build_to_files(
        tmp_path / "team.xlsx", config, RUN.date(), month=MONTH, archive=OpenedArchive(archive)
    )
    assert built.pdf is not None
    deliver_review(archive, built.pdf, config)
    (line,) = next_lines(archive, config, RUN + dt.timedelta(hours=1), lang)
    assert missed not in line and MONTH in line, line
    assert len(to(handler, BOSS)) == 1


def attachment_name(received: Received) -> str:
    (pdf,) = [
        part for part in received.message.iter_attachments() if part.get_content_type() == "application/pdf"
    ]
    return str(pdf.get_filename())


def in_chinese_for(config: Config, *addresses: str) -> Config:
    languages = tuple((address, "zh") for address in addresses)
    return dataclasses.replace(config, email=dataclasses.replace(config.email, languages=languages))


TEAM_TITLE = "Orion Growth Team — Marketing Ops Log 2026"


def test_the_approver_reads_the_draft_in_their_language_named_as_managements_review_is(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int]
) -> None:
    """The lead reads Chinese (`[email.languages]`), management English: the draft is the Chinese PDF the
    build made for the lead, its subject and text in Chinese and naming the review's team (as management's
    subject does), its command the schedule's key; approving sends management exactly its English PDF."""
    handler, port = mail
    config = in_chinese_for(config_for(tmp_path, port), LEAD)
    make_workbook(tmp_path, CLEAN, name="team.xlsx", title=TEAM_TITLE)
    tick_teams(archive, config, RUN, SINCE)
    (draft,) = to(handler, LEAD)
    assert str(draft.message["Subject"]) == f"待您审批的草稿：Orion Growth Team，{MONTH}"
    assert attachment_name(draft) == f"team-{MONTH}.zh.pdf"
    assert f'reportgen approve "team" {MONTH}' in body(draft) and "审批" in body(draft)
    approve(archive, config, "team", MONTH)
    (review,) = to(handler, BOSS)
    assert attachment_name(review) == f"team-{MONTH}.pdf"
    assert "Orion Growth Team" in str(review.message["Subject"]) and "审批" not in body(review)
    english = config_for(tmp_path, port)  # an English lead: the same name in the English subject
    make_workbook(tmp_path, [*CLEAN, CLEAN[0]], name="team.xlsx", title=TEAM_TITLE)
    run_now(archive, english, "team", RUN + dt.timedelta(days=1), revise=True)
    revision = to(handler, LEAD)[-1]
    assert (
        str(revision.message["Subject"]) == f"Draft for your approval: Orion Growth Team, {MONTH} (revision)"
    )
    assert attachment_name(revision) == f"team-{MONTH}.pdf"


def test_a_draft_speaks_the_approvers_language_around_its_pdf_too(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int]
) -> None:
    """Management reads Chinese (`[email] language`), the lead English (`[email.languages]`): the draft's
    subject and PDF were English, the mail around them Chinese ("附件是 …", "主要结论：", "由 reportgen
    发送。"). Every word of the draft is now the lead's; management's copy stays Chinese."""
    handler, port = mail
    base = config_for(tmp_path, port)
    email = dataclasses.replace(base.email, language="zh", languages=((LEAD, "en"),))
    config = dataclasses.replace(base, email=email)
    make_workbook(tmp_path, CLEAN, name="team.xlsx", title=TEAM_TITLE)  # English rows, a Latin team name
    tick_teams(archive, config, RUN, SINCE)
    (draft,) = to(handler, LEAD)
    text, html, _ = parts(draft.message)
    assert "Sent with reportgen." in text and CJK.findall(text + markup.unescape(html)) == [], text
    approve(archive, config, "team", MONTH)
    (review,) = to(handler, BOSS)
    assert "附件是 Orion Growth Team" in body(review) and "Sent with reportgen." not in body(review)


def test_a_latin_team_name_stands_apart_from_the_chinese_of_managements_mail(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int]
) -> None:
    """Management, reading Chinese, got "附件是Orion Growth Team2026年10月的复盘报告": the team's
    Latin name ran into the Chinese on both sides, in the mail's text and in its HTML. It now stands apart,
    as the rest of the Chinese catalogue writes a name, in both parts of the mail."""
    handler, port = mail
    config = in_chinese_for(config_for(tmp_path, port, approver=None), BOSS)
    make_workbook(tmp_path, CLEAN, name="team.xlsx", title=TEAM_TITLE)
    tick_teams(archive, config, RUN, SINCE)
    (review,) = to(handler, BOSS)
    team = TEAM_TITLE.split(" — ")[0]
    text, page, _ = parts(review.message)
    assert team in text and team in page
    assert crowded(text, team) == [] and crowded(markup.unescape(page), team) == [], (text, page)
    assert f"{team} {MONTH[:4]}年{int(MONTH[5:])}月" in text  # the month, named after the team, apart too


ZH_HEADERS = ["日期", "渠道", "活动", "负责人", "目标", "状态", "截止日期", "完成日期", "成本", "线索"]


@pytest.mark.parametrize(("team_lang", "reader"), [("en", "zh"), ("zh", "en")])
def test_a_draft_with_errors_names_each_cells_error_in_the_approvers_language(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int], team_lang: str, reader: str
) -> None:
    """A lead who reads Chinese got an English team's draft with errors in Chinese, but each cell's error
    sentence in English ("Sheet Activities, cell I7: …"), and the reverse: every sentence of the mail is
    the reader's, the error of each cell too."""
    handler, port = mail
    plain = config_for(tmp_path, port)
    config = dataclasses.replace(plain, email=dataclasses.replace(plain.email, languages=((LEAD, reader),)))
    if team_lang == "zh":  # a Chinese team: its sheet and headers in Chinese, the review too
        workbook = make_workbook(tmp_path, WITH_ERROR, ZH_HEADERS, name="team.xlsx", sheet="活动")
    else:
        workbook = make_workbook(tmp_path, WITH_ERROR, name="team.xlsx")
    tick_teams(archive, config, RUN, SINCE)
    (draft,) = to(handler, LEAD)
    # the oracle: the month's errors of the workbook as the library reads it, worded in each language
    review = build_review(check_workbook(workbook, Config(), RUN.date()), MONTH, RUN.date(), None)
    assert review.lang == team_lang
    errors = errors_of(review.findings)
    assert errors  # the webinar's cost "abc"
    words, built_words = catalogue(reader), catalogue(team_lang)
    assert str(draft.message["Subject"]) == words.text("cycle.draft_errors_subject", team="team", month=MONTH)
    text = body(draft)
    assert words.text("cycle.draft_errors", count=len(errors)) in text
    for finding in errors:
        theirs, built_in = finding_message(finding, words), finding_message(finding, built_words)
        assert theirs != built_in
        assert f"  {finding.where}: {theirs}" in text.splitlines(), text
        assert built_in not in text, text


def test_reminders_and_the_unusable_workbook_notice_reach_the_lead_in_their_language(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int]
) -> None:
    handler, port = mail
    config = in_chinese_for(config_for(tmp_path, port), LEAD)
    tick_teams(archive, config, RUN, SINCE)  # no workbook yet
    (reminder,) = to(handler, LEAD)
    assert str(reminder.message["Subject"]) == f"team：需要 {MONTH} 的工作簿"
    (tmp_path / "team.xlsx").write_bytes(b"not a workbook")
    tick_teams(archive, config, RUN + dt.timedelta(days=1), SINCE)
    notice = to(handler, LEAD)[-1]
    assert str(notice.message["Subject"]) == f"team：{MONTH} 的工作簿无法使用"


def test_a_revisions_draft_says_once_what_it_replaces(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int]
) -> None:
    """Not "This is a revision: management received version 1 on 2026-11-03" and then "Revised — replaces
    the review sent on Nov 3, 2026": the review's own line says it, once, and the draft adds who gets it."""
    handler, port = mail
    config = config_for(tmp_path, port)
    write(tmp_path, CLEAN)
    tick_teams(archive, config, RUN, SINCE)
    approve(archive, config, "team", MONTH)
    write(tmp_path, [*CLEAN, CLEAN[0]])
    run_now(archive, config, "team", RUN + dt.timedelta(days=1), revise=True)
    text = body(to(handler, LEAD)[-1])
    assert text.count("replaces the review sent on") == 1 and "This is a revision" not in text, text
    assert "everyone who had version 1" in text
    chinese = in_chinese_for(config, LEAD)
    write(tmp_path, [*CLEAN, CLEAN[0], CLEAN[1]])
    run_now(archive, chinese, "team", RUN + dt.timedelta(days=2), revise=True)
    text = body(to(handler, LEAD)[-1])
    assert text.count("修订版：取代") == 1 and "这是一份修订版" not in text, text


def test_run_now_says_an_empty_month_was_held_back_from_management(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int]
) -> None:
    _, port = mail
    config = config_for(tmp_path, port)
    write(tmp_path, [*EMPTY, EMPTY[0]])
    line = run_now(archive, config, "team", RUN)
    assert line == (
        f"team {MONTH}: version 1 built, but no activity of the month is done (2 rows, none done); a draft "
        f"went to {LEAD}. Not sent to management."
    )
    (attempt,) = [run for run in archive.runs("team") if run.month == MONTH]
    assert did_text(attempt, catalogue("zh")) == (
        f"team {MONTH}：已生成第 1 版，但本月没有任何已完成的活动（共 2 行，均未完成）；草稿已发给 {LEAD}。"
        "未发送给管理层。"
    )


def history_steps(tmp_path: Path, lang: str = "en") -> list[str]:
    """What `history show team MONTH` lists under "Steps:", each step without its time."""
    settings = tmp_path / "history.toml"
    settings.write_text(f'[archive]\nurl = "sqlite:///{tmp_path / "archive.sqlite3"}"\n', "utf-8")
    shown = cli("history", "show", "team", MONTH, "--config", settings, "--lang", lang)
    assert shown.returncode == 0, shown.stderr
    return steps_of(shown.stdout.replace(catalogue(lang).text("history.events"), "Steps:"))


def test_history_steps_tell_a_review_sent_without_an_approver_once(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int]
) -> None:
    """Each outcome stood twice: the run's "sending to management" beside the send's own "sent"."""
    handler, port = mail
    write(tmp_path, CLEAN)
    tick_teams(archive, config_for(tmp_path, port, approver=None), RUN, SINCE)
    assert [received.rcpt_tos for received in handler.received] == [(BOSS,)]
    assert history_steps(tmp_path) == ["v1  built", "v1  sent"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_history_steps_tell_a_rejected_draft_and_an_approved_one_once_each_in_order(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int], lang: str
) -> None:
    """The steps repeated every draft ("v1 draft sent for approval" and "v1 draft to the approver: sent"),
    the rejection ("rejected by lead: …" and "v1 draft rejected"), and after the approval printed "v2 sent"
    before "v2 sending to management"."""
    handler, port = mail
    config = config_for(tmp_path, port)
    write(tmp_path, CLEAN)
    tick_teams(archive, config, RUN, SINCE)
    reject(archive, "team", MONTH, "the webinar is missing", by="lead")
    write(tmp_path, WITH_ERROR[:2] + [[*WEBINAR[:8], 7, 3]])  # the webinar added, without its error
    tick_teams(archive, config, RUN + dt.timedelta(days=1), SINCE)
    approve(archive, config, "team", MONTH, by="lead")
    assert [received.rcpt_tos for received in handler.received] == [(LEAD,), (LEAD,), (BOSS,)]
    words = catalogue(lang)
    draft_sent = words.text("history.event_draft", label=words.text("history.event_send_sent"))
    rejected = words.text("history.event_decided_why", label=words.text("history.event_rejected"), by="lead",
                          reason="the webinar is missing")  # fmt: skip
    approved = words.text("history.event_decided", label=words.text("history.event_approved"), by="lead")
    built, sent = words.text("history.event_built"), words.text("history.event_send_sent")
    assert history_steps(tmp_path, lang) == [
        f"v1  {built}",
        f"v1  {draft_sent}",
        rejected,
        f"v2  {built}",
        f"v2  {draft_sent}",
        approved,
        f"v2  {sent}",
    ]


def test_history_steps_tell_a_draft_with_errors_once(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int]
) -> None:
    """The run's "v1 draft with errors sent to the approver" stood beside the send's "v1 draft to the
    approver: sent"."""
    handler, port = mail
    config = config_for(tmp_path, port)
    write(tmp_path, WITH_ERROR)
    tick_teams(archive, config, RUN, SINCE)
    approve(archive, config, "team", MONTH, with_errors=True, by="lead")
    assert len(handler.received) == 2
    assert history_steps(tmp_path) == [
        "v1  built",
        "v1  draft to the approver: sent",
        "approved by lead",
        "v1  sent",
    ]


def test_history_steps_name_the_language_of_each_copy_of_a_review_read_in_two(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int]
) -> None:
    """An English review with a Chinese reader is built and sent twice, in en and in zh: "v1 built" and
    "v1 sent" stood twice each, with nothing telling the copies apart."""
    handler, port = mail
    english = config_for(tmp_path, port, approver=None, to=(BOSS, CMO))
    config = dataclasses.replace(english, email=dataclasses.replace(english.email, languages=((CMO, "zh"),)))
    write(tmp_path, CLEAN)
    tick_teams(archive, config, RUN, SINCE)
    assert sorted(received.rcpt_tos for received in handler.received) == [(BOSS,), (CMO,)]
    assert history_steps(tmp_path) == ["v1  built (en)", "v1  built (zh)", "v1  sent (en)", "v1  sent (zh)"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_lead_whose_approval_reached_nobody_is_told_so_not_asked_to_approve_as_if_never_asked(
    tmp_path: Path, archive: Archive, mail: tuple[Handler, int], lang: str
) -> None:
    """The lead approved; the mail server refused management's address, so the draft waits again (the
    archive reopens it). `schedule next` and the department page then said only "waiting for lead@… to
    approve": the lead, who had approved, read it as a request never answered, with no word of the failed
    send. They now say who approved, that management's copy reached nobody and when, the server's reply,
    and that approving again is what sends it; once it does, the month reads delivered."""
    from reportgen.apps.serve.overview import every_team, month_line
    from reportgen.base.config import local_minute

    handler, port = mail
    config = config_for(tmp_path, port)
    write(tmp_path, CLEAN)
    tick_teams(archive, config, RUN, SINCE)
    handler.rcpt_always = "550 5.1.1 mailbox unavailable"
    with pytest.raises(DeliveryError):
        approve(archive, config, "team", MONTH, by="ann")
    assert to(handler, BOSS) == []
    status = month_status(archive, "team", MONTH)
    assert status.stage == Stage.AWAITING_APPROVAL and status.send_failed is not None
    (failed,) = [event for event in archive.events("team", MONTH) if event.kind == "send_failed"]
    words = catalogue(lang)
    (line,) = next_lines(archive, config, RUN + dt.timedelta(hours=1), lang)
    why = words.text("cycle.send_failed_why", refused=f"{BOSS}: 550 5.1.1 mailbox unavailable")
    told = words.text("cycle.stage_send_failed", by="ann", when=local_minute(failed.at, config.zone), why=why,
                      team="team", month=MONTH)  # fmt: skip
    assert line.endswith(told), line
    assert status.draft is not None
    asked = words.text("cycle.stage_awaiting_approval", approver=LEAD, team="team", month=MONTH,
                       since=local_minute(status.draft.created_at, config.zone))  # fmt: skip
    assert asked not in line, line
    (team,) = every_team(archive, config)
    page = month_line(archive, team, MONTH, words, None, config.zone)
    assert page.sentence == words.text(
        "web.dept.stage_send_failed", by="ann", when=local_minute(failed.at, config.zone), why=why
    ), page
    handler.rcpt_always = None
    approve(archive, config, "team", MONTH, by="ann")
    assert len(to(handler, BOSS)) == 1
    assert month_status(archive, "team", MONTH).send_failed is None
    (line,) = next_lines(archive, config, RUN + dt.timedelta(hours=2), lang)
    assert told not in line and month_status(archive, "team", MONTH).stage == Stage.DELIVERED, line
