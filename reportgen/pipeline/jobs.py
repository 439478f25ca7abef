"""Builds in worker processes, so a bad or crashing workbook stops no other (batch and watch share this).

Every build runs in a fresh process forked from a forkserver that has the pipeline's heavy modules loaded: a
crash (a signal, a native abort) ends only that process and is reported as that workbook's failure, and the
process is not daemonic, so the review's charts can still be drawn in a forked child (`background.py`).

A forkserver child inherits none of the parent's logging set-up, so a worker forwards its log records (at the
parent's levels) through its pipe, and the parent hands them to its own handlers: each line is logged once, by
the process that owns stderr, in the format and at the level the front end chose, and names its workbook.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from reportgen.base.catalogue import catalogue
from reportgen.base.config import load_config
from reportgen.base.errors import DeliveryError, ReportgenError
from reportgen.figures.review import errors_of
from reportgen.pipeline.archiving import OpenedArchive, open_for_build
from reportgen.pipeline.build import build_to_files
from reportgen.pipeline.mailing import send_once
from reportgen.wording.text import finding_message

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


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one workbook; `message` is the catalogue sentence the CLI would print for its error."""

    workbook: Path
    status: str
    team: str | None = None
    month: str | None = None
    findings: int = 0
    errors: int = 0
    pdf: Path | None = None
    message: str | None = None
    finding_lines: tuple[str, ...] = field(default=())  # one line per finding, for watch's .log
    seconds: float = 0.0


def build_job(job: Job, lang: str) -> Outcome:
    """Build one workbook to files (and mail it with `email`); a user error becomes a failed Outcome."""
    started = time.perf_counter()
    opened: OpenedArchive | None = None
    try:
        config = load_config(job.config_path, job.workbook)
        opened = open_for_build(config.archive)
        built = build_to_files(
            job.workbook,
            config,
            job.as_of,
            month=job.month,
            lang=job.lang,
            out_dir=job.out_dir,
            stem=job.stem,
            archive=opened,
        )
    except ReportgenError as exc:
        if opened is not None and opened.archive is not None:
            opened.archive.close()
        return Outcome(job.workbook, FAILED, message=exc.message(job.lang))  # as `build` prints it
    review = built.review
    findings = review.findings
    words = catalogue(job.lang or lang)
    lines = tuple(
        "\t".join(
            (
                words.text(f"severity.{finding.severity.value}"),
                finding.where,
                finding_message(finding, words),
            )
        )
        for finding in findings
    )
    status, message = BUILT, None
    if job.email and built.pdf is not None and opened.archive is not None:
        try:
            send_once(
                opened.archive,
                built.pdf,
                config.email,
                findings=findings,
                allow_errors=config.email.send_with_errors,
                lang=job.lang or review.lang,
            )
            status = SENT
        except DeliveryError as exc:  # refused, failed, or already mailed: the PDF is kept either way
            status = ALREADY_SENT if exc.stage == "already_sent" else NOT_SENT
            message = exc.message(job.lang)
        except ReportgenError as exc:  # a mail setting or the archive that cannot be used
            status, message = NOT_SENT, exc.message(job.lang)
    if opened.archive is not None:
        opened.archive.close()
    return Outcome(
        job.workbook,
        status,
        team=review.checked.team,
        month=review.month,
        findings=len(findings),
        errors=len(errors_of(findings)),
        pdf=built.pdf,
        message=message,
        finding_lines=lines,
        seconds=time.perf_counter() - started,
    )


Work = Callable[[Job, str], Outcome]
LogLevels = tuple[int, int]  # the root logger's level and reportgen's


def log_levels() -> LogLevels:
    """This process's logging levels, for its workers to log at."""
    return logging.getLogger().getEffectiveLevel(), logging.getLogger("reportgen").getEffectiveLevel()


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


def _child(work: Work, job: Job, lang: str, connection: Connection, levels: LogLevels) -> None:
    """A worker's life: build one workbook, send its log records and then its Outcome back. Ctrl-C is the
    parent's to handle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _forward_logs(connection, levels, job.workbook.name)
    try:
        outcome = work(job, lang)
    except BaseException as exc:  # a bug: that workbook's failure, with the cause for the report
        detail = "".join(traceback.format_exception_only(exc)).strip()
        outcome = Outcome(job.workbook, FAILED, message=_crash_message(lang, detail))
    connection.send(outcome)
    connection.close()


def _crash_message(lang: str, detail: str) -> str:
    return catalogue(lang).text("batch.crashed", detail=detail)


def _context() -> Any:
    """forkserver where the platform has it (fresh, single-threaded workers with the pipeline preloaded),
    else spawn; never a plain fork of a parent whose progress bar runs a thread."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return context
    return multiprocessing.get_context("spawn")


def run_jobs(
    jobs: Sequence[Job],
    workers: int,
    lang: str,
    on_done: Callable[[Outcome], None] = lambda outcome: None,
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
                receiver, sender = context.Pipe(duplex=False)
                process = context.Process(target=_child, args=(work, job, lang, sender, levels))
                process.start()
                sender.close()
                running[index] = (process, receiver, time.perf_counter())
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
                    outcome = Outcome(
                        jobs[index].workbook,
                        FAILED,
                        message=_crash_message(lang, detail),
                        seconds=time.perf_counter() - started,
                    )
                receiver.close()
                process.join()
                del running[index]
                outcomes[index] = outcome
                on_done(outcome)
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
