"""`reportgen schedule`: the monthly cycle as a service (`run`), and what it will do (`next`, `list`,
`run-now`).

The service is APScheduler 3 with its SQLAlchemy job store on the archive's database: one daily tick at the
schedule's time of day, in its zone, kept across restarts; a tick missed while the machine was off fires once
when the service starts again (coalesced). Each tick asks `cycle.decide` what every team needs and does it
under the archive's lease, so two services on one archive never act twice. The config is re-read when it
changes; one that cannot be used is logged and the last good one kept.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportgen.archive.records import RunRecord
from reportgen.base.catalogue import catalogue, language
from reportgen.base.config import Config, ScheduleSettings, load_config, local_day, local_minute
from reportgen.base.department import DEPARTMENT_TEAM
from reportgen.base.errors import InputError, ReportgenError, RunFailed, UsageError
from reportgen.base.states import ApprovalState, RunState
from reportgen.cycle.calendar import deadline_of, next_run, reviewed_month, zone_of
from reportgen.cycle.decide import Decision, ahead, decide
from reportgen.cycle.lifecycle import (
    Stage,
    Step,
    delivered_from,
    month_status,
    refuse_rejected_again,
    refuse_step,
    where_it_stands,
)
from reportgen.cycle.outcomes import problem_in, refusals_why
from reportgen.cycle.rollup import (
    is_department,
    perform_rollup,
    rollup_decision,
    rollup_schedule,
    tick_rollup,
)
from reportgen.cycle.runs import digest_or_none, out_folder, perform, teams_of
from reportgen.cycle.teams import in_words, resolve_team

if TYPE_CHECKING:  # the store loads SQLAlchemy: only a command that opens the archive pays for it
    from reportgen.archive.store import Archive

logger = logging.getLogger(__name__)

TICK_JOB = "reportgen-cycle"
RELOAD_SECONDS = 30.0


def schedule_of(config: Config) -> ScheduleSettings:
    if config.schedule is None:
        raise UsageError("no_schedule", config=str(config.path or "reportgen.toml"))
    return config.schedule


def local(moment: dt.datetime, settings: ScheduleSettings) -> str:
    """A moment as the schedule's lines tell it: in the schedule's zone, named."""
    return local_minute(moment, zone_of(settings))


def tick_teams(
    archive: Archive, config: Config, now: dt.datetime, since: dt.datetime | None, only: str | None = None
) -> None:
    """One tick: for each team, the reminder before its run when due, and its run when due. A run whose
    scheduled moment came before the service was first started (`since`) is not a missed run. Then the
    department's roll-up, when `[department] day` asks for one (cycle/rollup.py), after the teams: it reads
    what this tick built."""
    settings = schedule_of(config)
    known = archive.runs()
    for team in teams_of(settings, known):
        if only is not None and team.key != only:
            continue
        attempts = [attempt for attempt in known if attempt.team == team.key]
        reminder = ahead(now, settings, attempts)
        if reminder is not None and (since is None or reminder.due_at >= since):
            perform(archive, config, team, reminder, today=now.astimezone(zone_of(settings)).date())
        decision = decide(now, settings, attempts, digest_or_none(team.workbook))
        if decision.kind != "run":
            continue
        if since is not None and decision.reason == "due" and decision.due_at < since:
            continue  # scheduled before this service existed: nothing was missed
        perform(archive, config, team, decision, today=now.astimezone(zone_of(settings)).date())
    if only is None:
        tick_rollup(archive, config, now, since)


@dataclass
class Service:
    """The running schedule: its config (the last good one), the archive, and when it was first started."""

    config_path: Path | None
    config: Config
    archive: Archive
    stop: threading.Event = field(default_factory=threading.Event)
    config_stamp: float = 0.0
    say: Callable[[str], None] = print

    def reload(self) -> None:
        """Read the config again when its file changed; keep the last good one if it cannot be used."""
        path = self.config.path or self.config_path
        if path is None:
            return
        try:
            stamp = path.stat().st_mtime
        except OSError:
            return
        if stamp == self.config_stamp:
            return
        self.config_stamp = stamp
        try:
            fresh = load_config(path, None)
            schedule_of(fresh)
        except ReportgenError as problem:
            logger.warning("schedule: %s", problem.message("en"))
            self.say(self.words.text("cycle.reload_kept", problem=problem.message(self.lang)))
            return
        if fresh != self.config:
            self.config = fresh
            logger.info("schedule: config reloaded from %s", path)
            self.say(self.words.text("cycle.reloaded"))

    @property
    def lang(self) -> str:
        return language(self.config.email.language)

    @property
    def words(self) -> Any:
        return catalogue(self.lang)


_SERVICE: Service | None = None  # the tick job runs in this process; APScheduler stores only its name


def tick(since: str | None = None) -> None:
    """The daily job (APScheduler keeps a reference to it by name, and its `since` argument)."""
    service = _SERVICE
    if service is None:
        return
    service.reload()
    started = dt.datetime.fromisoformat(since) if since else None
    try:
        tick_teams(service.archive, service.config, dt.datetime.now(dt.UTC), started)
    except ReportgenError as problem:  # the archive, a config path: logged, and the next tick tries again
        logger.error("schedule: %s", problem.message("en"))
        service.say(problem.message(service.lang))


def _make_job_table(archive: Archive, store: Any) -> None:
    """APScheduler's table, made before the scheduler starts: under SQLite's write lock (two services starting
    at once would both read, then both write, and one be refused at once: "database is locked"), and on
    PostgreSQL tried again when another service made it at the same moment (a duplicate type name)."""
    from sqlalchemy.exc import DBAPIError  # loaded with the archive already

    for _ in range(5):
        try:
            with archive.engine.connect() as connection, connection.execution_options(writing=True).begin():
                store.jobs_t.create(connection, checkfirst=True)
            return
        except DBAPIError:
            time.sleep(0.2)


def run_service(config_path: Path | None, archive: Archive, say: Callable[[str], None]) -> None:
    """Run until SIGINT or SIGTERM; the daily tick is stored in the archive's database."""
    global _SERVICE
    from apscheduler.jobstores.base import ConflictingIdError  # APScheduler: only the service loads it
    from apscheduler.jobstores.memory import MemoryJobStore
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.cron import CronTrigger

    config = load_config(config_path, None)
    settings = schedule_of(config)
    service = Service(config_path, config, archive, say=say)
    service.config_stamp = config.path.stat().st_mtime if config.path else 0.0
    _SERVICE = service
    zone = zone_of(settings)
    store = SQLAlchemyJobStore(engine=archive.engine)
    _make_job_table(archive, store)
    scheduler = BackgroundScheduler(
        jobstores={"default": store, "memory": MemoryJobStore()},
        timezone=zone,
        job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
    )
    trigger = CronTrigger(
        hour=settings.time.hour, minute=settings.time.minute, second=settings.time.second, timezone=zone
    )
    scheduler.start(paused=True)
    job = scheduler.get_job(TICK_JOB)
    if job is None:  # the first start: nothing before now was missed
        since = dt.datetime.now(dt.UTC).isoformat()
        try:
            scheduler.add_job(tick, trigger, id=TICK_JOB, kwargs={"since": since})
        except ConflictingIdError:  # a second service on this archive, started at the same moment, added it
            logger.info("schedule: the daily tick was just added by another service on this archive; kept")
    elif str(job.trigger) != str(trigger):  # the time or zone changed: keep `since`, move the tick
        scheduler.reschedule_job(TICK_JOB, trigger=trigger)
    scheduler.add_job(service.reload, "interval", seconds=RELOAD_SECONDS, jobstore="memory")
    previous = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    for number in previous:
        signal.signal(number, lambda *_: service.stop.set())
    teams = teams_of(settings, archive.runs())
    first = next_run(dt.datetime.now(dt.UTC), settings)
    say(service.words.text("cycle.started", count=len(teams), when=local(first, settings)))
    rollup = rollup_schedule(config)
    if rollup is not None:  # the department's roll-up runs in this service too: its own day, said
        coming = next_run(dt.datetime.now(dt.UTC), rollup)
        say(service.words.text("department_cycle.next_line", when=local(coming, rollup),
                               month=reviewed_month(coming, rollup), state=""))  # fmt: skip
    if job is None:  # a first start after a run day: the months it will not make on its own are named
        for line in missed_lines(archive, settings, dt.datetime.now(dt.UTC), service.words, rollup):
            say(line)
    scheduler.resume()
    try:
        while not service.stop.wait(0.5):
            pass
    finally:
        scheduler.shutdown(wait=True)
        for number, handler in previous.items():
            signal.signal(number, handler)
        _SERVICE = None
        say(service.words.text("cycle.stopped"))


def missed_lines(
    archive: Archive,
    settings: ScheduleSettings,
    now: dt.datetime,
    words: Any,
    rollup: ScheduleSettings | None = None,
) -> list[str]:
    """At a first start, each team whose month's run day has already passed with nothing built, and the
    roll-up's (`rollup`: its schedule, when the config has one): the schedule counts only what comes after
    its start, so it says how to make that month now."""
    known = archive.runs()
    lines = []
    for team in teams_of(settings, known):
        attempts = [attempt for attempt in known if attempt.team == team.key]
        decision = decide(now, settings, attempts, digest_or_none(team.workbook))
        if decision.missed(now):
            when = local(decision.due_at, settings)
            lines.append(str(words.text("cycle.first_start_missed", team=team.key, month=decision.month,
                                        when=when)))  # fmt: skip
    if rollup is not None:
        decision = rollup_decision(now, rollup, archive.runs(DEPARTMENT_TEAM), None)
        if decision.missed(now):
            when = local(decision.due_at, rollup)
            lines.append(str(words.text("cycle.first_start_missed", team=DEPARTMENT_TEAM,
                                        month=decision.month, when=when)))  # fmt: skip
    return lines


def missed_text(
    archive: Archive, team: str, decision: Decision, settings: ScheduleSettings, words: Any, now: dt.datetime
) -> str:
    """A month whose run day passed with nothing tried (the schedule counts only what comes after its start):
    said with the command that makes it, instead of the next run alone, or as delivered when it was built and
    sent by hand; '' else. `decision`: what a tick with nothing tried decides (a team's, the roll-up's)."""
    if not decision.missed(now):
        return ""
    status = month_status(archive, team, decision.month)
    if status.stage == Stage.DELIVERED and status.delivered is not None:  # built and sent by hand, say
        return str(words.text("cycle.stage_delivered", month=decision.month, version=status.delivered.version,
                              when=local(status.delivered.sent_at, settings)))  # fmt: skip
    if status.stage != Stage.OPEN:
        return ""
    return str(words.text("cycle.stage_missed", team=team, month=decision.month,
                          when=local(decision.due_at, settings)))  # fmt: skip


def next_lines(archive: Archive, config: Config, now: dt.datetime, lang: str) -> list[str]:
    """Each team's next run in the schedule's local time, and where its current month stands."""
    settings = schedule_of(config)
    words = catalogue(lang)
    known = archive.runs()
    lines = []
    if settings.shorter_months_note:
        lines.append(words.text("cycle.note_short_months", day=settings.day))
    coming = next_run(now, settings)
    teams = teams_of(settings, known)
    if not teams:
        lines.append(words.text("cycle.no_teams", workbooks=settings.workbooks))
    for team in teams:
        attempts = [attempt for attempt in known if attempt.team == team.key]
        state = state_text(archive, team.key, attempts, settings, words, now)
        lines.append(
            words.text(
                "cycle.next_line",
                team=team.key,
                when=local(coming, settings),
                month=reviewed_month(coming, settings),
                state=state
                or missed_text(
                    archive,
                    team.key,
                    decide(now, settings, [], digest_or_none(team.workbook)),
                    settings,
                    words,
                    now,
                ),  # fmt: skip
            )
        )
    rollup = rollup_schedule(config)
    if rollup is not None:
        if rollup.shorter_months_note and not settings.shorter_months_note:
            lines.append(words.text("cycle.note_short_months", day=rollup.day))
        coming = next_run(now, rollup)
        state = state_text(archive, DEPARTMENT_TEAM, archive.runs(DEPARTMENT_TEAM), rollup, words, now)
        state = state or missed_text(archive, DEPARTMENT_TEAM, rollup_decision(now, rollup, [], None), rollup,
                                     words, now)  # fmt: skip
        lines.append(words.text("department_cycle.next_line", when=local(coming, rollup),
                                month=reviewed_month(coming, rollup), state=state))  # fmt: skip
    return lines


def state_text(
    archive: Archive,
    team: str,
    attempts: list[RunRecord],
    settings: ScheduleSettings,
    words: Any,
    now: dt.datetime,
) -> str:
    """Where the team's latest month stands (its lifecycle stage, or the last attempt's failure or reminder),
    with the command that moves it on; '' before anything was tried."""
    if not attempts:
        return ""
    last = max(attempts, key=lambda attempt: (attempt.due_at, attempt.run_id))
    when = local(last.finished_at or last.started_at, settings)
    status = month_status(archive, team, last.month)
    deadline = deadline_of(last.due_at, settings)
    common = {"team": team, "month": last.month}
    draft = status.draft
    if last.state == RunState.FAILED:
        return str(words.text("cycle.state_failed", when=when, problem=problem_in(last.detail, words.lang)))
    if status.stage == Stage.DELIVERED and status.delivered is not None:
        return str(words.text("cycle.stage_delivered", when=local(status.delivered.sent_at, settings),
                              version=status.delivered.version, **common))  # fmt: skip
    if status.stage == Stage.AWAITING_APPROVAL and status.send_failed is not None:
        failed = status.send_failed
        why = refusals_why(failed.refused, words)
        return str(words.text("cycle.stage_send_failed", by=failed.by, when=local(failed.failed_at, settings),
                              why=why, **common))  # fmt: skip
    if status.stage == Stage.AWAITING_APPROVAL and draft is not None:
        return str(words.text("cycle.stage_awaiting_approval", approver=draft.approver,
                              since=local(draft.created_at, settings), **common))  # fmt: skip
    if status.stage == Stage.BLOCKED and draft is not None and draft.state == ApprovalState.PENDING:
        return str(words.text("cycle.stage_blocked", approver=draft.approver,
                              since=local(draft.created_at, settings), **common))  # fmt: skip
    if status.stage == Stage.SENDING and draft is not None:
        since = local(draft.decided_at or draft.created_at, settings)
        return str(words.text("cycle.stage_sending", by=draft.decided_by or "?", since=since, **common))
    if status.stage == Stage.REJECTED and draft is not None:
        since = local(draft.decided_at or draft.created_at, settings)
        return str(words.text("cycle.stage_rejected", by=draft.decided_by or "?", since=since,
                              reason=draft.reason or "", **common))  # fmt: skip
    if now.astimezone(zone_of(settings)).date() > deadline:  # nothing usable came in time
        return str(words.text("cycle.stage_past_cutoff", deadline=deadline.isoformat(), **common))
    if status.stage == Stage.BLOCKED:
        return str(words.text("cycle.stage_blocked_unusable", since=when, **common))
    if last.state == RunState.REMINDED:
        return str(words.text("cycle.state_reminded", month=last.month, when=when,
                              deadline=deadline.isoformat()))  # fmt: skip
    return str(words.text("cycle.stage_open", **common))


def list_lines(archive: Archive, config: Config, lang: str) -> list[str]:
    settings = schedule_of(config)
    words = catalogue(lang)
    zone = settings.timezone or str(zone_of(settings))
    return [
        words.text(
            "cycle.list_line",
            team=team.key,
            workbook=team.workbook,
            day=settings.day,
            time=settings.time.strftime("%H:%M"),
            zone=zone,
            approver=settings.approver or "—",
            out=out_folder(settings),
        )
        for team in teams_of(settings, archive.runs())
    ]


def run_now(
    archive: Archive, config: Config, team_key: str, now: dt.datetime, *, revise: bool = False
) -> str:
    """A run of the month just ended for one team, now, under its own lease (the mail guard still holds);
    the sentence saying what it did (RunFailed, exit 3, when its delivery failed). A delivered month is
    revised only when asked (`revise`) and only from a changed workbook; a draft that waits, or that the
    lead rejected, is not drafted again from the same workbook."""
    settings = schedule_of(config)
    words = catalogue(language(config.email.language))
    if is_department(team_key, config):
        return rollup_now(archive, config, now)
    teams = {team.key: team for team in teams_of(settings, archive.runs())}
    named = resolve_team(archive, config, team_key)  # the review's name or the workbook's, in any case
    team = teams.get(named.key or "")
    if team is None:  # a team the archive knows that the schedule does not build for
        raise UsageError("unknown_team", team=team_key, teams=in_words(sorted(teams), words))
    month = reviewed_month(now, settings)
    status = month_status(archive, team.key, month, config.zone)
    sha = digest_or_none(team.workbook)
    refuse_rejected_again(archive, status, sha)  # a rejected draft or revision needs a changed workbook
    if not (revise and status.stage == Stage.DELIVERED):  # the lifecycle table: a delivered or sending month
        refuse_step(status, Step.DRAFTED)  # drafts nothing (a delivered one only a revision, asked for)
    if status.stage == Stage.DELIVERED:
        same = delivered_from(archive, status, sha)
        if same is not None:
            raise InputError(None, "nothing_to_revise", team=team.key, month=month, version=same.version,
                             when=local_day(same.sent_at, config.zone))  # fmt: skip
    elif status.stage in (Stage.AWAITING_APPROVAL, Stage.BLOCKED) and status.draft is not None:
        last = status.last_run
        waiting = last.detail.get("workbook_sha256") if last else None
        reached = last is not None and last.state != RunState.FAILED  # its mail to the approver went out
        if waiting == sha and reached:  # the same workbook: the draft that waits is the answer
            raise where_it_stands(status)
    reason = "revise" if revise else "run-now"
    decision = Decision("run", month, now, deadline_of(now, settings), reason)
    run = perform(archive, config, team, decision, today=now.astimezone(zone_of(settings)).date())
    if run is None:
        return words.text("cycle.did_nothing", team=team.key, month=month)
    done = next(each for each in archive.runs(team.key, month) if each.run_id == run.run_id)
    if done.state == RunState.FAILED:  # recorded (and logged) already; the command itself must fail too
        raise RunFailed(did_text(done, words))
    return did_text(done, words)


def rollup_now(archive: Archive, config: Config, now: dt.datetime) -> str:
    """The department's roll-up of the month just ended, now, under its own lease; what it did (RunFailed,
    exit 3, when its delivery failed). A roll-up delivered, or whose draft reached the approver and waits,
    is not made again (`reportgen rollup --email` re-issues one)."""
    settings = rollup_schedule(config)
    if settings is None:
        raise UsageError("no_rollup_day", config=str(config.path or "reportgen.toml"))
    words = catalogue(language(config.email.language))
    month = reviewed_month(now, settings)
    status = month_status(archive, DEPARTMENT_TEAM, month)
    reached = status.last_run is not None and status.last_run.state != RunState.FAILED  # its mail went out
    if status.stage == Stage.DELIVERED or (status.stage == Stage.AWAITING_APPROVAL and reached):
        raise InputError(None, "rollup_done", month=month, stage=status.stage.value)
    decision = Decision("run", month, now, deadline_of(now, settings), "run-now")
    run = perform_rollup(archive, config, decision, today=now.astimezone(zone_of(settings)).date())
    if run is None:
        return words.text("cycle.did_nothing", team=DEPARTMENT_TEAM, month=month)
    done = next(each for each in archive.runs(DEPARTMENT_TEAM, month) if each.run_id == run.run_id)
    if done.state == RunState.FAILED:  # recorded (and logged) already; the command itself must fail too
        raise RunFailed(rollup_did_text(done, words))
    return rollup_did_text(done, words)


def rollup_did_text(run: RunRecord, words: Any) -> str:
    """What a roll-up run did, in one sentence."""
    detail, month = run.detail, run.month
    if run.state == RunState.SENT:
        return str(words.text("department_cycle.did_sent", month=month, version=detail.get("version")))
    if run.state == RunState.AWAITING_APPROVAL:
        return str(words.text("department_cycle.did_draft", month=month, version=detail.get("version"),
                              to=detail.get("approver") or "—"))  # fmt: skip
    return str(words.text("cycle.did_failed", team=DEPARTMENT_TEAM, month=month,
                          problem=sentence(problem_in(detail, words.lang))))  # fmt: skip


def did_text(run: RunRecord, words: Any) -> str:
    """What a run did, in one sentence: built (which version), to whom, why not to management."""
    detail, common = run.detail, {"team": run.team, "month": run.month}
    to = detail.get("to") or detail.get("approver") or "—"
    if run.state == RunState.SENT and detail.get("already"):  # management had this workbook's version
        return str(words.text("cycle.did_already", version=detail.get("version"), when=detail["already"],
                              **common))  # fmt: skip
    if run.state == RunState.SENT:
        return str(words.text("cycle.did_sent", version=detail.get("version"), **common))
    if detail.get("empty") and run.state in (RunState.AWAITING_APPROVAL, RunState.DRAFT_ERRORS):
        return str(words.text("cycle.did_draft_empty", version=detail.get("version"),
                              count=detail.get("rows", "?"), to=to, **common))  # fmt: skip
    if run.state == RunState.AWAITING_APPROVAL:
        return str(words.text("cycle.did_draft", version=detail.get("version"), to=to, **common))
    if run.state == RunState.DRAFT_ERRORS and "problem" in detail:
        return str(words.text("cycle.did_unusable", problem=sentence(problem_in(detail, words.lang)), to=to,
                              **common))  # fmt: skip
    if run.state == RunState.DRAFT_ERRORS:
        return str(words.text("cycle.did_draft_errors", version=detail.get("version"),
                              count=detail.get("errors"), to=to, **common))  # fmt: skip
    if run.state == RunState.REJECTED and "same_as" in detail:
        return str(words.text("cycle.did_same_as_rejected", by=detail.get("rejected_by") or "?",
                              decided=detail.get("decided", ""), reason=detail.get("reason", ""),
                              **common))  # fmt: skip
    if run.state == RunState.REMINDED:
        deadline = detail.get("deadline", "")
        return str(words.text("cycle.did_reminded", to=to, deadline=deadline, **common))
    return str(words.text("cycle.did_failed", problem=sentence(problem_in(detail, words.lang)), **common))


def sentence(problem: object) -> str:
    """A recorded problem as it stands inside a sentence of ours: without its own closing full stop."""
    return str(problem).rstrip().rstrip(".。")
