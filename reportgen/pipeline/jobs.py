"""One way to run builds, wherever they run: a `Runner` takes Jobs and gives Outcomes, here (`LocalRunner`)
or on the queue's workers (`queue.runner.QueueRunner`); `queue.runner.choose_runner` picks one by the same
rule for batch, watch, serve and the schedule.

Locally, a batch or watch build runs in a fresh process forked from a forkserver that has the pipeline's heavy
modules loaded: a crash (a signal, a native abort) ends only that process and is reported as that workbook's
failure, and the process is not daemonic, so the review's charts can still be drawn in a forked child
(`background.py`). A process that is already a build's own (serve's pool worker, the schedule) builds in
itself.

A forkserver child inherits none of the parent's logging set-up, so a worker forwards its log records (at the
parent's levels) through its pipe, and the parent hands them to its own handlers: each line is logged once, by
the process that owns stderr, in the format and at the level the front end chose, and names its workbook.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import multiprocessing
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Protocol

from reportgen.base.catalogue import LANGUAGES, catalogue, language
from reportgen.base.config import ArchiveSettings, Config, load_config
from reportgen.base.errors import ArchiveError, DeliveryError, InputError, ReportgenError
from reportgen.base.logs import LogLevels, log_levels
from reportgen.base.model import Finding
from reportgen.base.scratch import hold_own_folder
from reportgen.base.speed import Switch, cores_taken, every_core_taken, on
from reportgen.delivery.dispatch import sender_insists
from reportgen.figures.review import errors_of, team_name
from reportgen.pipeline.archiving import OpenedArchive, open_for_build
from reportgen.pipeline.build import build_to_files
from reportgen.pipeline.mailing import deliver_review
from reportgen.rendering.background import die_with_parent
from reportgen.wording.text import ErrorLines, error_sentences, finding_lines

BUILT = "built"
SENT = "sent"
NOT_SENT = "not_sent"  # built, but the delivery was refused or failed
ALREADY_SENT = "already_sent"  # built, and this very PDF had already reached every recipient
FAILED = "failed"  # the workbook could not be used (or its build crashed)
PRELOAD = [  # imported once in the forkserver, so a worker costs its build and not the imports
    "reportgen.pipeline.build",
    "reportgen.rendering.render",
    "reportgen.rendering.charts",
    "weasyprint",
    "matplotlib.figure",
    "matplotlib.backends.backend_agg",
    "matplotlib.backends.backend_svg",
]


@dataclass(frozen=True, slots=True)
class Job:
    """One workbook to build: where its review goes and with which options."""

    workbook: Path
    out_dir: Path
    stem: str  # the output's stem: the workbook's, made unique within the run
    as_of: dt.date
    config_path: Path | None = None
    month: str | None = None
    lang: str | None = None
    email: bool = False
    team: str | None = None  # the team as the front end names it, over the config's (serve's upload)
    page: Path | None = None  # where the review's web page goes too (serve's preview)
    shown_name: str | None = None  # what messages call the workbook when it is stored under another name
    config: Config | None = None  # the config a long-lived front end loaded (serve, the schedule), else found


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one workbook; `message` is the catalogue sentence the CLI would print for its error,
    `messages` the same in each language (serve shows the page's)."""

    workbook: Path
    status: str
    team: str | None = None  # the sheet's team (batch's table)
    month: str | None = None
    findings: int = 0
    errors: int = 0
    pdf: Path | None = None
    message: str | None = None
    finding_lines: tuple[str, ...] = field(default=())  # one line per finding, for watch's .log
    seconds: float = 0.0
    messages: Mapping[str, str] | None = None
    review_team: str | None = None  # the name the review and the archive know the team by
    lang: str | None = None  # the review's language
    version: int | None = None  # its version in the archive
    build_id: int | None = None
    # each error of the month as (cell, sentence), in each language (the approver's may not be the review's)
    error_findings: Mapping[str, ErrorLines] = field(default_factory=dict)
    error_cells: tuple[str, ...] = ()  # the cells of the errors as a refusal names them (maybe cut short)
    page: Path | None = None
    unrecorded: bool = False  # built and written, but the archive could not record it (`messages` say why)
    activities: int | None = None  # the month's activity rows
    done: int | None = None  # of them, done: none done is an empty month (never mailed to management unasked)

    def errors_in(self, lang: str) -> ErrorLines:
        """The month's errors as (cell, sentence) in `lang`; in the review's language when the build kept
        none in `lang` (a queue worker of an earlier release sends the review's only)."""
        kept = self.error_findings.get(lang)
        if kept is None:
            kept = self.error_findings.get(self.lang or "", ())
        return kept


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a run of builds stands: workbooks finished (built, or built and mailed), failed, and builds
    running now."""

    done: int
    failed: int
    running: int
    total: int


ArchiveFor = Callable[[ArchiveSettings], OpenedArchive]


def failure(job: Job, exc: ReportgenError, seconds: float = 0.0, pdf: Path | None = None) -> Outcome:
    """A user error as the workbook's failure, its message in the job's language and in each."""
    if isinstance(exc, InputError) and job.shown_name is not None and exc.file == str(job.workbook):
        exc.file = job.shown_name  # name the user's file, not the stored copy
    return Outcome(
        job.workbook,
        FAILED,
        message=exc.message(job.lang),  # as `build` prints it
        messages={lang: exc.message(lang) for lang in LANGUAGES},
        pdf=pdf,
        seconds=seconds,
    )


def build_job(job: Job, lang: str, archive_for: ArchiveFor | None = None) -> Outcome:
    """Build one workbook to files (and mail it with `email`); a user error becomes a failed Outcome. The
    archive comes from `archive_for` (a long-lived process's own), else is opened for this build only."""
    started = time.perf_counter()
    opened: OpenedArchive | None = None
    try:
        config = job.config or load_config(job.config_path, job.workbook)
        if job.team:
            config = dataclasses.replace(config, team=job.team)
        opened = archive_for(config.archive) if archive_for else open_for_build(config.archive)
        built = build_to_files(
            job.workbook,
            config,
            job.as_of,
            month=job.month,
            lang=job.lang,
            out_dir=job.out_dir,
            stem=job.stem,
            html_path=job.page,
            archive=opened,
        )
    except ArchiveError as exc:  # raised after the files were written: the review is there, unrecorded
        kept = [Path(path) for path in exc.kept if str(path).endswith(".pdf")]
        plain = ArchiveError(exc.code, archive=exc.archive, detail=exc.detail)  # without the kept paths
        outcome = failure(job, exc, time.perf_counter() - started, kept[0] if kept else None)
        if kept:
            outcome = dataclasses.replace(
                outcome,
                unrecorded=True,
                page=job.page,
                messages={each: plain.message(each) for each in LANGUAGES},
            )
        return outcome
    except ReportgenError as exc:
        return failure(job, exc, time.perf_counter() - started)
    finally:
        if archive_for is None and opened is not None and opened.archive is not None:
            opened.archive.close()
    review = built.review
    findings = review.findings
    lines = finding_lines(findings, catalogue(job.lang or lang))  # watch's .log speaks the run's language
    errors = errors_of(findings)
    outcome = Outcome(
        job.workbook,
        BUILT,
        team=review.checked.team,
        month=review.month,
        findings=len(findings),
        errors=len(errors),
        pdf=built.pdf,
        finding_lines=lines,
        review_team=team_name(review.checked, config.team),
        lang=review.lang,
        version=built.recorded.version if built.recorded else None,
        build_id=built.recorded.build_id if built.recorded else None,
        error_findings=error_sentences(errors),
        error_cells=tuple(finding.where or "?" for finding in errors),
        page=job.page,
        activities=review.current.totals.activities,
        done=review.current.totals.done,
    )
    if job.email and built.pdf is not None:
        outcome = _mailed(job, outcome, findings, config, archive_for)
    return dataclasses.replace(outcome, seconds=time.perf_counter() - started)


def _mailed(
    job: Job, outcome: Outcome, findings: Sequence[Finding], config: Config, archive_for: ArchiveFor | None
) -> Outcome:
    """The built review delivered to every target through the archive's once-only guard; the PDF is kept
    whatever happens."""
    assert outcome.pdf is not None
    opened = archive_for(config.archive) if archive_for else open_for_build(config.archive)
    if opened.archive is None:  # without the archive nobody knows who has it already: nothing is sent
        assert opened.problem is not None
        return dataclasses.replace(outcome, status=NOT_SENT, message=opened.problem.message(job.lang))
    try:
        deliver_review(
            opened.archive,
            outcome.pdf,
            config,
            findings=findings,
            allow_errors=sender_insists(config.email),
            lang=job.lang or outcome.lang,
        )
        return dataclasses.replace(outcome, status=SENT)
    except DeliveryError as exc:  # refused, failed, or already mailed: the PDF is kept either way
        status = ALREADY_SENT if exc.stage == "already_sent" else NOT_SENT
        return dataclasses.replace(outcome, status=status, message=exc.message(job.lang))
    except ReportgenError as exc:  # a mail setting or the archive that cannot be used
        return dataclasses.replace(outcome, status=NOT_SENT, message=exc.message(job.lang))
    finally:
        if archive_for is None:
            opened.archive.close()


class Runner(Protocol):
    """Builds Jobs, wherever it builds them; Outcomes in the jobs' order, every job tried."""

    kind: str  # "local" or "queue": what `-v` and the docs call it

    def check(self) -> None:
        """Raise the user error that stops every build before the first starts (a queue that does not
        answer); nothing when the runner can build."""

    def run(
        self, jobs: Sequence[Job], lang: str, on_progress: Callable[[Progress], None] = ...
    ) -> list[Outcome]: ...


@dataclass
class LocalRunner:
    """Builds on this machine: each in a fresh worker process, `workers` at a time (batch, watch), or, when
    this process is already a build's own (`isolated=False`: serve's pool worker, the schedule), in itself,
    with the archive `archive_for` gives."""

    workers: int = 1
    isolated: bool = True
    archive_for: ArchiveFor | None = None
    kind: str = "local"

    def check(self) -> None:
        return None

    def run(
        self,
        jobs: Sequence[Job],
        lang: str,
        on_progress: Callable[[Progress], None] = lambda progress: None,
    ) -> list[Outcome]:
        if self.isolated:
            return run_jobs(jobs, self.workers, lang, on_progress=on_progress)
        outcomes: list[Outcome] = []
        for job in jobs:
            on_progress(_progress(outcomes, 1, len(jobs)))
            outcomes.append(build_job(job, lang, self.archive_for))
        on_progress(_progress(outcomes, 0, len(jobs)))
        return outcomes


def _progress(outcomes: Sequence[Outcome], running: int, total: int) -> Progress:
    failures = sum(outcome.status == FAILED for outcome in outcomes)
    return Progress(len(outcomes) - failures, failures, running, total)


Work = Callable[[Job, str], Outcome]


class ForwardingHandler(logging.Handler):
    """In a worker: each record, its message prefixed with the workbook's name, sent to the parent through
    the worker's pipe. A process forked from the worker (the charts' drawing) has no share of that pipe: it
    writes its rare third-party warning to stderr itself."""

    def __init__(self, connection: Connection, prefix: str) -> None:
        super().__init__()
        self.connection = connection
        self.prefix = prefix
        self.pid = os.getpid()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = f"{self.prefix}: {record.getMessage()}"
            if os.getpid() != self.pid:
                sys.stderr.write(f"{record.levelname} {record.name}: {message}\n")
                return
            forwarded = logging.makeLogRecord(record.__dict__)
            forwarded.msg, forwarded.args = message, None  # arguments may not pickle; the text does
            if record.exc_info:
                forwarded.exc_text = logging.Formatter().formatException(record.exc_info)
            forwarded.exc_info = None
            self.connection.send(forwarded)
        except Exception:
            self.handleError(record)


def _forward_logs(connection: Connection, levels: LogLevels, prefix: str) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(ForwardingHandler(connection, prefix))
    root.setLevel(levels[0])
    logging.getLogger("reportgen").setLevel(levels[1])


def _child(
    work: Work, job: Job, lang: str, connection: Connection, levels: LogLevels, crowded: bool = False
) -> None:
    """A worker's life: build one workbook, send its log records and then its Outcome back. Ctrl-C is the
    parent's to handle. It dies with the process that forked it (the forkserver, which ends when the batch or
    watch that started it does, however that ends: SIGTERM, SIGHUP and SIGKILL leave no build behind).
    `crowded`: the workers together take every core, so the build forks no background step."""
    die_with_parent(os.getppid())
    if crowded:
        cores_taken()
    starter = multiprocessing.parent_process()
    if starter is not None and not _alive(starter.pid):  # it ended while this process was being forked
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _forward_logs(connection, levels, job.workbook.name)
    hold_own_folder()
    try:
        outcome = work(job, lang)
    except BaseException as exc:  # a bug: that workbook's failure, with the cause for the report
        outcome = _crashed(job, "".join(traceback.format_exception_only(exc)).strip())
    connection.send(outcome)
    connection.close()


def _alive(pid: int | None) -> bool:
    if pid is None:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's: not the batch, but no reason to stop
        return True
    return True


def _crashed(job: Job, detail: str, seconds: float = 0.0) -> Outcome:
    """A build that died (a signal, a bug) as that workbook's failure, the cause named."""
    messages = {lang: catalogue(lang).text("batch.crashed", detail=detail) for lang in LANGUAGES}
    return Outcome(
        job.workbook, FAILED, message=messages[language(job.lang)], messages=messages, seconds=seconds
    )


def _context() -> Any:
    """forkserver where the platform has it (fresh, single-threaded workers with the pipeline preloaded),
    else spawn; never a plain fork of a parent whose progress bar runs a thread."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        # the guard first: the forkserver dies with this process, and every build with the forkserver
        preload = PRELOAD if on(Switch.PRELOAD_WORKERS) else []
        context.set_forkserver_preload(["reportgen.pipeline.forkserver_guard", *preload])
        return context
    return multiprocessing.get_context("spawn")


def run_jobs(
    jobs: Sequence[Job],
    workers: int,
    lang: str,
    on_progress: Callable[[Progress], None] = lambda progress: None,
    work: Work = build_job,
) -> list[Outcome]:
    """Build every job, at most `workers` at a time, each in its own process; Outcomes in the jobs' order.
    A worker that dies without answering is that job's failure (its exit status named); its log records are
    logged here as they come."""
    context = _context()
    levels = log_levels()
    waiting = list(enumerate(jobs))
    running: dict[int, tuple[Any, Connection, float]] = {}
    outcomes: dict[int, Outcome] = {}
    try:
        while waiting or running:
            while waiting and len(running) < max(1, workers):
                index, job = waiting.pop(0)
                # the builds that will run beside this one take every core: it forks nothing (base/speed.py)
                crowded = every_core_taken(workers, len(running) + 1 + len(waiting))
                receiver, sender = context.Pipe(duplex=False)
                process = context.Process(target=_child, args=(work, job, lang, sender, levels, crowded))
                process.start()
                sender.close()
                running[index] = (process, receiver, time.perf_counter())
                on_progress(_progress(list(outcomes.values()), len(running), len(jobs)))
            ready = wait([receiver for _, receiver, _ in running.values()])
            for index, (process, receiver, started) in list(running.items()):
                if receiver not in ready:
                    continue
                try:
                    message = receiver.recv()
                    if isinstance(message, logging.LogRecord):  # a line of the worker's log: not done yet
                        logging.getLogger(message.name).handle(message)
                        continue
                    outcome: Outcome = message
                except EOFError:  # the worker died before answering
                    process.join()
                    detail = _exit_detail(process.exitcode)
                    outcome = _crashed(jobs[index], detail, time.perf_counter() - started)
                receiver.close()
                process.join()
                del running[index]
                outcomes[index] = outcome
                on_progress(_progress(list(outcomes.values()), len(running), len(jobs)))
    finally:
        for process, receiver, _ in running.values():  # interrupted: stop what still runs
            process.terminate()
            process.join()
            receiver.close()
    return [outcomes[index] for index in range(len(jobs))]


def _exit_detail(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"{signal.Signals(-exitcode).name}"
        except ValueError:
            return f"signal {-exitcode}"
    return f"exit status {exitcode}"


def default_workers() -> int:
    """One worker per CPU."""
    return os.cpu_count() or 1
