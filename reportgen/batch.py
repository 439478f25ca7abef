"""Many workbooks at once: each built in its own worker process, so a bad or crashing file stops no other.

Every build runs in a fresh process forked from a forkserver that has the pipeline's heavy modules loaded: a
crash (a signal, a native abort) ends only that process and is reported as that workbook's failure, and the
process is not daemonic, so the review's charts can still be drawn in a forked child (`background.py`).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import signal
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from reportgen.config import Config
from reportgen.errors import ExitCode, ReportgenError
from reportgen.model import Finding, Severity

BUILT = "built"
SENT = "sent"
NOT_SENT = "not_sent"  # built, but the delivery was refused or failed
FAILED = "failed"  # the workbook could not be used (or its build crashed)
PRELOAD = [  # imported once in the forkserver, so a worker costs its build and not the imports
    "reportgen.pipeline",
    "reportgen.render",
    "reportgen.charts",
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


def output_stems(workbooks: Sequence[Path]) -> tuple[list[Path], dict[Path, str]]:
    """The distinct workbooks (a path given twice is built once) and each one's output stem: two inputs with
    the same stem get `<stem>`, `<stem>-2`, … so no output overwrites another in the same run."""
    unique: list[Path] = []
    seen: set[Path] = set()
    for workbook in workbooks:
        key = workbook.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(workbook)
    taken = {workbook.stem.casefold() for workbook in unique}
    used: set[str] = set()
    stems: dict[Path, str] = {}
    for workbook in unique:
        stem = workbook.stem
        if stem.casefold() in used:
            number = 2
            while f"{stem}-{number}".casefold() in taken | used:
                number += 1
            stem = f"{stem}-{number}"
        used.add(stem.casefold())
        stems[workbook] = stem
    return unique, stems


def build_job(job: Job, lang: str) -> Outcome:
    """Build one workbook to files (and mail it with `email`); a user error becomes a failed Outcome."""
    from reportgen.config import load_config
    from reportgen.figures_json import finding_message
    from reportgen.messages import catalogue
    from reportgen.pipeline import build_to_files

    started = time.perf_counter()
    try:
        config = load_config(job.config_path, job.workbook)
        built = build_to_files(
            job.workbook,
            config,
            job.as_of,
            month=job.month,
            lang=job.lang,
            out_dir=job.out_dir,
            stem=job.stem,
        )
    except ReportgenError as exc:
        return Outcome(job.workbook, FAILED, message=exc.message(job.lang))  # as `build` prints it
    review = built.review
    findings = review.checked.findings
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
    if job.email and built.pdf is not None:
        try:
            deliver(built.pdf, findings, config, job.lang or review.lang)
            status = SENT
        except ReportgenError as exc:  # refused, failed, or a mail setting that cannot be used: PDF kept
            status, message = NOT_SENT, exc.message(job.lang)
    return Outcome(
        job.workbook,
        status,
        team=review.checked.team,
        month=review.month,
        findings=len(findings),
        errors=sum(finding.severity is Severity.ERROR for finding in findings),
        pdf=built.pdf,
        message=message,
        finding_lines=lines,
        seconds=time.perf_counter() - started,
    )


def deliver(pdf: Path, findings: Sequence[Finding], config: Config, lang: str | None = None) -> None:
    """Mail a review as `build --email` does: refused when its workbook had errors, unless
    `email.send_with_errors`; raises DeliveryError (exit 3)."""
    from reportgen.deliver import refuse_on_errors, send_review

    refuse_on_errors(pdf, findings, force=config.email.send_with_errors, lang=lang)
    send_review(pdf, config.email)


def check_mail_settings(config: Config) -> None:
    """Refuse --email before any build when the config cannot send (no sender, no or bad recipients)."""
    from reportgen.deliver import resolve_recipients

    resolve_recipients(config.email, (), ())


Work = Callable[[Job, str], Outcome]


def _child(work: Work, job: Job, lang: str, connection: Connection) -> None:
    """A worker's life: build one workbook, send its Outcome back. Ctrl-C is the parent's to handle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        outcome = work(job, lang)
    except BaseException as exc:  # a bug: that workbook's failure, with the cause for the report
        detail = "".join(traceback.format_exception_only(exc)).strip()
        outcome = Outcome(job.workbook, FAILED, message=_crash_message(lang, detail))
    connection.send(outcome)
    connection.close()


def _crash_message(lang: str, detail: str) -> str:
    from reportgen.messages import catalogue

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
    A worker that dies without answering is that job's failure (its exit status named)."""
    context = _context()
    waiting = list(enumerate(jobs))
    running: dict[int, tuple[Any, Connection, float]] = {}
    outcomes: dict[int, Outcome] = {}
    try:
        while waiting or running:
            while waiting and len(running) < max(1, workers):
                index, job = waiting.pop(0)
                receiver, sender = context.Pipe(duplex=False)
                process = context.Process(target=_child, args=(work, job, lang, sender))
                process.start()
                sender.close()
                running[index] = (process, receiver, time.perf_counter())
            ready = wait([receiver for _, receiver, _ in running.values()])
            for index, (process, receiver, started) in list(running.items()):
                if receiver not in ready:
                    continue
                try:
                    outcome: Outcome = receiver.recv()
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


class BatchIncomplete(ReportgenError):
    """Some workbooks got no review (exit 1) or were not mailed (exit 3); raised after all were tried."""

    def __init__(self, exit_code: ExitCode, failed: int, not_sent: int, total: int) -> None:
        self.exit_code = exit_code
        self.counts = {"failed": failed, "not_sent": not_sent, "total": total}
        super().__init__(self.message())

    def message(self, lang: str | None = None) -> str:
        from reportgen.messages import catalogue

        code = "batch.summary_failed" if self.exit_code == ExitCode.BAD_INPUT else "batch.summary_not_sent"
        return catalogue(lang or "en").text(code, **self.counts)


def default_workers() -> int:
    """One worker per CPU."""
    return os.cpu_count() or 1


def raise_for_outcomes(outcomes: Sequence[Outcome]) -> None:
    """SPEC: exit 1 when any workbook was unusable, else 3 when any delivery failed, else 0."""
    failed = sum(outcome.status == FAILED for outcome in outcomes)
    not_sent = sum(outcome.status == NOT_SENT for outcome in outcomes)
    if failed or not_sent:
        code = ExitCode.BAD_INPUT if failed else ExitCode.DELIVERY_FAILED
        raise BatchIncomplete(code, failed, not_sent, len(outcomes))
