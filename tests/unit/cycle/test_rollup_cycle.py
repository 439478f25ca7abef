"""The department's roll-up in the schedule (cycle/rollup.py): when it runs (its day, the month just ended,
once; retried after a failure; drafted again after a rejection only when a team's review changed), and what a
tick does against a real archive and a real SMTP server (aiosmtpd): nothing before the day, the roll-up to
the department on the day without an approver, a draft to the approver with one, nothing twice. Moments are
frozen with time-machine, so nothing reads the real clock's day."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import html as markup
import io
import json
import shutil
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
import time_machine
from click.testing import CliRunner
from pypdf import PdfReader

from reportgen.apps.cli import cli
from reportgen.apps.schedule import missed_lines, next_lines, run_now, tick_teams
from reportgen.archive.records import RunRecord
from reportgen.archive.store import Archive, open_archive
from reportgen.base.catalogue import catalogue
from reportgen.base.config import (
    ArchiveSettings,
    Config,
    DepartmentSettings,
    EmailSettings,
    ScheduleSettings,
    load_config,
)
from reportgen.base.department import DEPARTMENT_TEAM
from reportgen.base.errors import ExitCode, InputError, RunFailed
from reportgen.base.states import RunState
from reportgen.cycle.rollup import approve_rollup, rollup_decision, rollup_schedule, tick_rollup
from reportgen.cycle.runs import reject
from reportgen.pipeline.rollup import default_teams
from tests.builders import make_workbook
from tests.mailserver import HOST, Handler, crowded, parts, plain_text, smtp_server
from tests.pdfobjects import pdf_dict

UTC = dt.UTC
TEAMS_RUN = dt.datetime(2026, 11, 3, 9, 0, tzinfo=UTC)  # the teams' run reviews October
DAY = dt.datetime(2026, 11, 5, 9, 0, tzinfo=UTC)  # the department's day: the roll-up of October
SINCE = dt.datetime(2026, 9, 20, tzinfo=UTC)  # the teams' service was started before all of it
STARTED = dt.datetime(2026, 10, 20, tzinfo=UTC)  # the roll-up's: after September's roll-up day
HEAD, BOSS, LEAD = "head@example.com", "boss@example.com", "deputy@example.com"


def rows(year: int, month: int) -> list[list[object]]:
    day = dt.date(year, month, 4)
    return [
        [day, "SEO", "Keyword page", "Ann", "", "Done", day, day, 20, 2],
        [day + dt.timedelta(days=3), "Content", "Launch article", "Bo", "", "Done", day, day, 5, 1],
    ]


def config_for(folder: Path, port: int, *, approver: str | None = None, day: int | None = 5) -> Config:
    schedule = ScheduleSettings(workbooks=folder / "books", day=3, timezone="UTC", remind_days=0,
                                cutoff_day=4)  # fmt: skip
    email = EmailSettings(host=HOST, port=port, security="none", sender="Ops <ops@example.com>", to=(BOSS,),
                          attempts=2, retry_delay=0.01, timeout=2.0)  # fmt: skip
    department = DepartmentSettings(name="Marketing", to=(HEAD,), day=day, approver=approver)
    return Config(schedule=schedule, email=email, department=department)


@pytest.fixture(scope="module")
def teams_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive where Alpha and Beta delivered October, and Gamma, which sent September, is missing."""
    folder = tmp_path_factory.mktemp("teams")
    books = folder / "books"
    books.mkdir()
    url = f"sqlite:///{folder / 'archive.sqlite3'}"
    archive = open_archive(ArchiveSettings(url=url))
    handler = Handler()
    try:
        with smtp_server(handler) as port:
            config = config_for(folder, port, day=None)
            make_workbook(books, rows(2026, 9), name="gamma.xlsx", title="Gamma Team — log")
            tick_teams(archive, config, dt.datetime(2026, 10, 3, 9, 0, tzinfo=UTC), SINCE)
            make_workbook(books, rows(2026, 10), name="alpha.xlsx", title="Alpha Team — log")
            make_workbook(books, rows(2026, 10), name="beta.xlsx", title="Beta Team — log")
            tick_teams(archive, config, TEAMS_RUN, SINCE)
    finally:
        archive.close()
    return folder


@pytest.fixture
def folder(teams_archive: Path, tmp_path: Path) -> Path:
    shutil.copytree(teams_archive, tmp_path, dirs_exist_ok=True)
    return tmp_path


@pytest.fixture
def archive(folder: Path) -> Iterator[Archive]:
    opened = open_archive(ArchiveSettings(url=f"sqlite:///{folder / 'archive.sqlite3'}"))
    yield opened
    opened.close()


def received_by(handler: Handler, address: str) -> list[str]:
    return [str(each.message["Subject"]) for each in handler.received if address in each.rcpt_tos]


def run(month: str, due: dt.datetime, state: str, inputs: str = "a") -> RunRecord:
    detail = {"kind": "rollup", "workbook_sha256": inputs}
    return RunRecord(1, DEPARTMENT_TEAM, month, due, "here:1", state, detail, due, due)


# --- the decision, as a pure function ---


def test_no_department_day_means_no_scheduled_rollup(tmp_path: Path) -> None:
    assert rollup_schedule(config_for(tmp_path, 25, day=None)) is None
    assert rollup_schedule(Config(department=DepartmentSettings(day=5))) is None  # no [schedule]


@pytest.mark.parametrize(
    ("now", "month", "due"),
    [
        # a minute before the day: the last roll-up day is October's (September's roll-up)
        (DAY - dt.timedelta(minutes=1), "2026-09", dt.datetime(2026, 10, 5, 9, 0, tzinfo=UTC)),
        (DAY, "2026-10", DAY),  # on the day, at the time
        (DAY + dt.timedelta(days=3), "2026-10", DAY),  # after it, not made yet: caught up, keyed the same
    ],
)
def test_the_rollup_is_due_on_its_day_for_the_month_just_ended(
    tmp_path: Path, now: dt.datetime, month: str, due: dt.datetime
) -> None:
    settings = rollup_schedule(config_for(tmp_path, 25))
    assert settings is not None
    with time_machine.travel(now, tick=False):
        decision = rollup_decision(dt.datetime.now(UTC), settings, [], None)
    assert (decision.kind, decision.month, decision.due_at, decision.reason) == ("run", month, due, "due")


def test_a_rollup_delivered_or_waiting_is_not_made_again_a_failed_one_is_retried_next_day(
    tmp_path: Path,
) -> None:
    settings = rollup_schedule(config_for(tmp_path, 25, approver=LEAD))
    assert settings is not None
    later = DAY + dt.timedelta(days=1)
    for state in (RunState.SENT, RunState.AWAITING_APPROVAL):
        decision = rollup_decision(later, settings, [run("2026-10", DAY, state)], "a")
        assert (decision.kind, decision.reason) == ("wait", "done")
    assert rollup_decision(DAY + dt.timedelta(hours=3), settings, [run("2026-10", DAY, RunState.FAILED)],
                           "a").reason == "tried_today"  # fmt: skip
    retried = rollup_decision(later, settings, [run("2026-10", DAY, RunState.FAILED)], "a")
    assert (retried.kind, retried.due_at) == ("run", DAY + dt.timedelta(days=1))
    rejected = [run("2026-10", DAY, RunState.REJECTED, inputs="a")]
    assert rollup_decision(later, settings, rejected, "a").reason == "unchanged"  # the same teams: no redraft
    assert rollup_decision(later, settings, rejected, "b").kind == "run"  # a team's review changed


def test_day_31_rolls_up_on_the_last_day_of_a_shorter_month(tmp_path: Path) -> None:
    settings = rollup_schedule(config_for(tmp_path, 25, day=31))
    assert settings is not None
    decision = rollup_decision(dt.datetime(2026, 11, 30, 9, 0, tzinfo=UTC), settings, [], None)
    assert (decision.month, decision.due_at.date()) == ("2026-10", dt.date(2026, 11, 30))


# --- a tick, against a real archive and mail server ---


def test_before_the_day_nothing_on_the_day_to_the_department_once_naming_the_missing_team(
    folder: Path, archive: Archive
) -> None:
    handler = Handler()
    with smtp_server(handler) as port:
        config = config_for(folder, port)
        # the day before: September's roll-up day came before the service started, October's is not yet
        assert tick_rollup(archive, config, DAY - dt.timedelta(hours=1), STARTED) is None
        assert archive.runs(DEPARTMENT_TEAM) == []
        assert tick_rollup(archive, config, DAY, STARTED) is not None
        assert tick_rollup(archive, config, DAY + dt.timedelta(hours=2), STARTED) is None  # a second tick
        assert tick_rollup(archive, config, DAY + dt.timedelta(days=1), STARTED) is None  # and the next day
    (mail,) = handler.received
    assert mail.rcpt_tos == (HEAD,)  # [department] to, not the teams' management
    (attempt,) = archive.runs(DEPARTMENT_TEAM)
    assert (attempt.state, attempt.month) == (RunState.SENT, "2026-10")
    assert attempt.detail["missing"] == ["Gamma Team"]
    assert archive.delivered(DEPARTMENT_TEAM, "2026-10") is not None
    (version,) = archive.versions(DEPARTMENT_TEAM, "2026-10")
    assert version.builds[0].sends[0].accepted == (HEAD,)
    assert default_teams(archive, "2026-10") == ["Alpha Team", "Beta Team", "Gamma Team"]  # not itself


def test_with_an_approver_the_rollup_is_a_draft_to_the_approver_only(folder: Path, archive: Archive) -> None:
    handler = Handler()
    with smtp_server(handler) as port:
        config = config_for(folder, port, approver=LEAD)
        tick_teams(archive, config, DAY, STARTED)  # the whole tick: the teams have nothing to do
        tick_teams(archive, config, DAY + dt.timedelta(minutes=30), STARTED)
        lines = next_lines(archive, config, DAY + dt.timedelta(hours=1), "en")
    (draft,) = handler.received
    assert draft.rcpt_tos == (LEAD,) and received_by(handler, HEAD) == []
    assert config.department is not None
    assert str(draft.message["Subject"]) == f"Roll-up for your approval: {config.department.name}, 2026-10"
    body = plain_text(draft.message)
    assert "reportgen approve department 2026-10" in body and "Gamma Team" in body
    assert archive.runs(DEPARTMENT_TEAM)[0].state == RunState.AWAITING_APPROVAL
    assert archive.delivered(DEPARTMENT_TEAM, "2026-10") is None  # a draft is never a delivery
    rollup_line = lines[-1]
    assert rollup_line.startswith("department roll-up: next run 2026-12-05 09:00 UTC (rolls up 2026-11)")
    assert f"2026-10: waiting for {LEAD} to approve" in rollup_line


def test_schedule_next_names_a_rollup_whose_day_passed_before_the_schedule_started(
    folder: Path, archive: Archive
) -> None:
    """The teams' lines said "2026-10: not made … run-now"; the roll-up's said only its next run, though the
    schedule does not make a roll-up whose day passed before it started either."""
    config = config_for(folder, 1)
    (rollup_line,) = [line for line in next_lines(archive, config, DAY + dt.timedelta(days=1), "en")
                      if line.startswith("department roll-up")]  # fmt: skip
    assert (
        "2026-10: not made: its run day (2026-11-05 09:00 UTC) passed before the schedule started"
        in rollup_line
    )
    assert 'reportgen schedule run-now "department"' in rollup_line
    (zh_line,) = [line for line in next_lines(archive, config, DAY + dt.timedelta(days=1), "zh")
                  if "department" in line and "run-now" in line]  # fmt: skip
    assert "2026-10：尚未生成" in zh_line
    assert config.schedule is not None
    at_start = missed_lines(
        archive, config.schedule, DAY + dt.timedelta(days=1), catalogue("en"), rollup_schedule(config)
    )
    assert any(line.startswith("department: the run day of 2026-10 passed before the schedule started")
               and 'run-now "department"' in line for line in at_start), at_start  # fmt: skip


def test_a_rollup_draft_the_approver_never_got_is_made_again_by_run_now(
    folder: Path, archive: Archive
) -> None:
    """The roll-up's draft to the approver was refused; run-now then said it "waits for approval" and made
    nothing, and the failed run-now itself had exited 0."""
    handler = Handler(rcpt_always="550 5.1.1 mailbox unavailable")
    with smtp_server(handler) as port:
        config = config_for(folder, port, approver=LEAD)
        with pytest.raises(RunFailed) as failed:
            run_now(archive, config, "department", DAY)
        assert (
            failed.value.exit_code == ExitCode.DELIVERY_FAILED and "the run failed" in failed.value.message()
        )
        handler.rcpt_always = None
        said = run_now(archive, config, "department", DAY + dt.timedelta(hours=1))
        assert LEAD in said, said
        (draft,) = handler.received
        assert draft.rcpt_tos == (LEAD,)
        with pytest.raises(InputError):  # the draft that reached the approver now waits: not made again
            run_now(archive, config, "department", DAY + dt.timedelta(hours=2))


def test_a_mail_server_down_is_recorded_and_retried_the_next_day(folder: Path, archive: Archive) -> None:
    handler = Handler()
    with smtp_server(handler) as port:
        config = config_for(folder, port)
    tick_rollup(archive, config, DAY, STARTED)  # the server is gone
    assert [each.state for each in archive.runs(DEPARTMENT_TEAM)] == [RunState.FAILED]
    with smtp_server(handler) as port:
        live = dataclasses.replace(config, email=dataclasses.replace(config.email, port=port))
        tick_rollup(archive, live, DAY + dt.timedelta(days=1), STARTED)
    assert received_by(handler, HEAD) and archive.runs(DEPARTMENT_TEAM)[0].state == RunState.SENT


def test_schedule_next_names_the_rollups_day(tmp_path: Path) -> None:
    (tmp_path / "reportgen.toml").write_text(
        '[schedule]\nworkbooks = "team.xlsx"\nday = 3\ntime = "09:30"\ntimezone = "Asia/Shanghai"\n'
        '[department]\nto = ["head@example.com"]\nday = 31\napprover = "deputy@example.com"\n'
        f'[archive]\nurl = "sqlite:///{tmp_path / "a.sqlite3"}"\n',
        "utf-8",
    )
    config = load_config(tmp_path / "reportgen.toml")
    assert config.department is not None and config.department.approver == LEAD
    with time_machine.travel(dt.datetime(2027, 2, 10, 12, 0, tzinfo=UTC), tick=False):
        result = CliRunner().invoke(cli, ["schedule", "next", "--config", str(tmp_path / "reportgen.toml")])
    assert result.exit_code == 0, result.output
    assert "Day 31 runs on the last day of shorter months." in result.output
    assert "department roll-up: next run 2027-02-28 09:30 CST (rolls up 2027-01)" in result.output


@pytest.mark.parametrize(("key", "value"), [("day", "0"), ("day", "32"), ("approver", '"not an address"')])
def test_a_bad_department_day_or_approver_is_refused_naming_the_key(
    tmp_path: Path, key: str, value: str
) -> None:
    path = tmp_path / "reportgen.toml"
    path.write_text(f"[department]\n{key} = {value}\n", "utf-8")
    with pytest.raises(InputError) as refused:
        load_config(path)
    assert refused.value.exit_code == 1 and f"'department.{key}'" in refused.value.message("en")


def test_the_approvers_decision_on_the_rollup(folder: Path, archive: Archive) -> None:
    handler = Handler()
    with smtp_server(handler) as port:
        config = config_for(folder, port, approver=LEAD)
        with pytest.raises(InputError) as nothing:
            approve_rollup(archive, config, "2026-10")
        assert "No roll-up of 2026-10 waits for approval" in nothing.value.message("en")
        tick_rollup(archive, config, DAY, STARTED)
        reject(archive, DEPARTMENT_TEAM, "2026-10", "Gamma has not sent yet")
        tick_rollup(archive, config, DAY + dt.timedelta(days=1), STARTED)  # the same teams: no new draft
        assert len(received_by(handler, LEAD)) == 1 and received_by(handler, HEAD) == []
        with time_machine.travel(DAY + dt.timedelta(days=2, hours=1)):
            said = run_now(archive, config, "Marketing", dt.datetime.now(UTC))  # [department] name works too
        assert said == f"department 2026-10: roll-up version 1 built; a draft went to {LEAD} for approval."
        approval, results = approve_rollup(archive, config, "2026-10", by="head")
        assert [each.result.receipt.accepted for each in results] == [(HEAD,)]
        with pytest.raises(InputError) as done:
            run_now(archive, config, "department", DAY + dt.timedelta(days=3))
        assert "already delivered" in done.value.message("en")
    # the same teams made the same PDF: the approver, who has it, is not mailed it again
    assert len(received_by(handler, HEAD)) == 1 and len(received_by(handler, LEAD)) == 1
    assert approval.pdf_sha256 == archive.approvals(DEPARTMENT_TEAM, "2026-10")[0].pdf_sha256
    assert [each.state for each in archive.approvals(DEPARTMENT_TEAM, "2026-10")] == ["approved", "rejected"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_history_lists_the_rollup_newest_first_and_says_what_it_was_made_of(
    folder: Path, archive: Archive, capsys: pytest.CaptureFixture[str], lang: str
) -> None:
    """`history` said newest first but put the roll-up, built after every team's version, below them (the
    versions were sorted by month, version number and name), and `history show department MONTH` told the
    roll-up as a team's review: "Version 1: workbook department (39d66717427f…)", "(0 errors, 0 warnings,
    0 notes)". The roll-up now stands first, and its heading names the teams' reviews it was made of."""
    from reportgen.apps.history import print_history, print_versions
    from reportgen.base.catalogue import catalogue
    from reportgen.base.config import local_minute

    handler = Handler()
    with smtp_server(handler) as port:
        config = config_for(folder, port)
        assert tick_rollup(archive, config, DAY, STARTED) is not None
    print_history(archive, None, None, True, lang, config.zone)
    document = json.loads(capsys.readouterr().out)
    listed = [(each["team"], each["version"], each["created_at"]) for each in document["versions"]]
    assert listed[0][:2] == (DEPARTMENT_TEAM, 1), listed
    assert [each[2] for each in listed] == sorted((each[2] for each in listed), reverse=True), listed
    print_versions(archive, DEPARTMENT_TEAM, "2026-10", lang, config.zone)
    shown = capsys.readouterr().out
    (version,) = archive.versions(DEPARTMENT_TEAM, "2026-10")
    words = catalogue(lang)
    at = local_minute(version.created_at, config.zone)
    heading = words.text("history.version_rollup", version=1, count=2, at=at,
                         teams=words.text("where.list").join(["Alpha Team v1", "Beta Team v1"]))  # fmt: skip
    assert shown.splitlines()[0] == heading, shown
    assert (
        "roll-up of 2 teams' reviews (Alpha Team v1, Beta Team v1)"
        if lang == "en"
        else "汇总了 2 个团队的报告"
    ) in heading
    assert "workbook" not in shown and "工作簿" not in shown and version.workbook_sha256[:12] not in shown, (
        shown
    )
    assert words.text("history.findings", errors=0, warnings=0, infos=0) not in shown, shown


def test_history_json_tells_a_rollup_by_the_teams_reviews_it_was_made_of(
    folder: Path, archive: Archive, capsys: pytest.CaptureFixture[str]
) -> None:
    """`history --json` gave each roll-up version a team's fields: "workbook": "department", a
    "workbook_sha256" (the digest of what it read) and each build's "findings" (0 errors, 0 warnings, 0
    notes), though a roll-up has no workbook and no findings; and it never said which teams' reviews it was
    made of, which `history show` tells. A roll-up's version now has no workbook and no findings (null), and
    `made_of` lists the teams' reviews it read; a team's version keeps its workbook and findings."""
    from reportgen.apps.history import print_history

    handler = Handler()
    with smtp_server(handler) as port:
        config = config_for(folder, port, approver=LEAD)
        tick_rollup(archive, config, DAY, STARTED)  # version 1: Alpha and Beta, Gamma missing
        reject(archive, DEPARTMENT_TEAM, "2026-10", "Gamma has not sent yet")
        make_workbook(folder / "books", rows(2026, 10), name="gamma.xlsx", title="Gamma Team — log")
        run_now(archive, config, "gamma", DAY + dt.timedelta(hours=1))  # Gamma's October, at last
        tick_rollup(archive, config, DAY + dt.timedelta(days=1), STARTED)  # version 2: Gamma's review too
    print_history(archive, None, None, True, "en", config.zone)
    document = json.loads(capsys.readouterr().out)
    rollups = [each for each in document["versions"] if each["team"] == DEPARTMENT_TEAM]
    teams = [each for each in document["versions"] if each["team"] != DEPARTMENT_TEAM]
    assert [each["version"] for each in rollups] == [2, 1], rollups
    # the oracle, from the archive's own records: each team's versions of October made before the roll-up
    # version (one each here, so the delivered one and the latest are the same)
    recorded = {each.version: each.created_at for each in archive.versions(DEPARTMENT_TEAM, "2026-10")}
    october = [each for each in archive.versions(month="2026-10") if each.team != DEPARTMENT_TEAM]
    assert len({each.team for each in october}) == len(october) == 3, october
    for each in rollups:
        made = recorded[each["version"]]
        expected = sorted((team.team, team.version) for team in october if team.created_at < made)
        assert sorted((row["team"], row["version"]) for row in each["made_of"]) == expected, each
        assert each["workbook"] is None and each["workbook_sha256"] is None, each
        assert each["builds"] and all(build["findings"] is None for build in each["builds"]), each
    assert [len(each["made_of"]) for each in rollups] == [3, 2]  # Gamma's review came between them
    for each in teams:  # a team's review: its workbook and findings, made of nothing
        assert each["made_of"] is None, each
        assert each["workbook"] and len(each["workbook_sha256"]) == 64, each
        assert all(set(build["findings"]) == {"error", "warning", "info"} for build in each["builds"]), each


# --- what the approver and the department read: the roll-up named as the department's ---


def month_label(month: str, lang: str) -> str:
    """The month as the mail's subject writes it: "October 2026", "2026年10月"."""
    year, number = int(month[:4]), int(month[5:7])
    return f"{dt.date(year, number, 1):%B %Y}" if lang == "en" else f"{year}年{number}月"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_rollups_draft_and_managements_mail_name_the_department_as_its_rollup(
    folder: Path, archive: Archive, lang: str
) -> None:
    """An approver of several departments got "Roll-up for your approval: 2026-10" from each, not knowing
    whose; the department then got "Marketing: monthly review, October 2026", a team review's subject. The
    draft's subject now names the department, and management's says it is the department's roll-up; in
    Chinese the Latin name stands apart from the Chinese around it in the mail's text too."""
    handler = Handler()
    month = "2026-10"
    with smtp_server(handler) as port:
        base = config_for(folder, port, approver=LEAD)
        assert base.department is not None
        config = dataclasses.replace(
            base,
            email=dataclasses.replace(base.email, language=lang),
            department=dataclasses.replace(base.department, name="Northwind Marketing"),
        )
        assert config.department is not None and config.department.name is not None
        name = config.department.name
        tick_rollup(archive, config, DAY, STARTED)
        (draft,) = [each for each in handler.received if LEAD in each.rcpt_tos]
        approve_rollup(archive, config, month, by="head")
    (delivered,) = [each for each in handler.received if HEAD in each.rcpt_tos]
    label = month_label(month, lang)
    if lang == "en":
        draft_subject = f"Roll-up for your approval: {name}, {month}"
        rollup_subject = f"{name}: monthly roll-up, {label}"
        opening, heading = f"The roll-up of {label} for {name} is attached.", f"Monthly roll-up, {label}"
        team_words = (f"The review of {label}", f"Monthly review, {label}")
    else:
        draft_subject = f"待您审批的部门汇总：{name}，{month}"
        rollup_subject = f"{name}：{label}部门汇总"
        opening, heading = f"附件是 {name} {label}的部门汇总。", f"{label}部门汇总"
        team_words = (f"{label}的复盘报告", f"{label}月度复盘")
    subjects = [str(draft.message["Subject"]), str(delivered.message["Subject"])]
    assert subjects == [draft_subject, rollup_subject]  # both shown when either is wrong
    for received in (draft, delivered):
        text, html, _ = parts(received.message)
        assert name in text and name in html
        # the body opens as the department's roll-up too, never in a team review's words
        assert opening in text and opening in markup.unescape(html) and heading in markup.unescape(html), text
        assert not [words for words in team_words if words in text + markup.unescape(html)], text
        assert crowded(text, name) == [] and crowded(markup.unescape(html), name) == [], (text, html)


def pdf_language(part: EmailMessage) -> str:
    """The attached PDF's own language (its catalogue's /Lang, which the page's lang attribute sets)."""
    return str(pdf_dict(PdfReader(io.BytesIO(part.get_content())).trailer["/Root"])["/Lang"])


def test_a_readers_copy_of_the_rollup_is_a_file_beside_it_as_a_teams_is(
    folder: Path, archive: Archive, capsys: pytest.CaptureFixture[str]
) -> None:
    """The roll-up in a reader's other language was written to a temporary folder, recorded at that path and
    removed, so `history show department MONTH` named a file that never existed for the user. It is now
    written beside the roll-up as `<name>.<lang>.pdf`, as a team's build writes its readers' copies, and
    every build history lists is that file, holding the bytes the archive recorded."""
    from reportgen.apps.history import print_versions

    handler = Handler()
    with smtp_server(handler) as port:
        base = config_for(folder, port)
        email = dataclasses.replace(base.email, language="en", languages=((HEAD, "zh"),))
        config = dataclasses.replace(base, email=email)
        assert tick_rollup(archive, config, DAY, STARTED) is not None
    (version,) = archive.versions(DEPARTMENT_TEAM, "2026-10")
    builds = {build.lang: build for build in version.builds}
    assert set(builds) == {"en", "zh"}, builds
    english, chinese = Path(builds["en"].pdf_path), Path(builds["zh"].pdf_path)
    assert chinese == english.with_name(f"{english.stem}.zh.pdf"), (english, chinese)
    for build in builds.values():
        assert hashlib.sha256(Path(build.pdf_path).read_bytes()).hexdigest() == build.pdf_sha256
    print_versions(archive, DEPARTMENT_TEAM, "2026-10", "en", config.zone)
    shown = capsys.readouterr().out
    assert str(chinese) in shown and str(english) in shown, shown


@pytest.mark.parametrize(("department", "approver"), [("en", "zh"), ("zh", "en")])
def test_the_rollups_approver_reads_the_draft_in_their_language_and_the_department_gets_its_own(
    folder: Path, archive: Archive, department: str, approver: str
) -> None:
    """A head of marketing who reads Chinese (`[email.languages]`) got the roll-up's draft in English, the
    department's language, as no team's approver does; one who reads English, of a department mailed in
    Chinese, got an English PDF inside a Chinese mail ("附件是 …", "主要结论："). The draft, its PDF and
    every word around it, is now the approver's; what the approval delivers is still the department's
    roll-up in the department's language, the very PDF the approval holds."""
    handler = Handler()
    with smtp_server(handler) as port:
        base = config_for(folder, port, approver=LEAD)
        email = dataclasses.replace(base.email, language=department, languages=((LEAD, approver),))
        config = dataclasses.replace(base, email=email)
        tick_rollup(archive, config, DAY, STARTED)
        (draft,) = [each for each in handler.received if LEAD in each.rcpt_tos]
        approval, _ = approve_rollup(archive, config, "2026-10", by="head")
    (delivered,) = [each for each in handler.received if HEAD in each.rcpt_tos]
    expected = {
        "zh": (
            "待您审批的部门汇总：Marketing，2026-10",
            "Marketing：2026年10月部门汇总",
            "附件是 Marketing 2026年10月的部门汇总。",
        ),
        "en": (
            "Roll-up for your approval: Marketing, 2026-10",
            "Marketing: monthly roll-up, October 2026",
            "The roll-up of October 2026 for Marketing is attached.",
        ),
    }
    for received, lang, subject in ((draft, approver, 0), (delivered, department, 1)):
        # a reader's copy in another language is the file beside the roll-up, as a team's is
        name = "rollup-2026-10.pdf" if lang == department else f"rollup-2026-10.{lang}.pdf"
        frame = {
            "zh": (f"完整汇总见附件：{name}", "由 reportgen 发送"),
            "en": (f"The full roll-up is attached: {name}", "Sent with reportgen."),
        }
        assert str(received.message["Subject"]) == expected[lang][subject]
        text, html, (pdf,) = parts(received.message)
        assert expected[lang][2] in text and all(words in text for words in frame[lang]), text
        other = "en" if lang == "zh" else "zh"  # not a word of the other language's frame
        assert not [words for words in (*frame[other], expected[other][2]) if words in text + html], text
        assert pdf_language(pdf) == {"zh": "zh-CN", "en": "en"}[lang]
        if received is delivered:
            assert hashlib.sha256(pdf.get_content()).hexdigest() == approval.pdf_sha256
