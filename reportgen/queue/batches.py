"""Many workbooks through the queue, as `batch --queue` runs them: every workbook enqueued at once, each
answer written where local `batch` writes it (`<stem>-<YYYY-MM>.pdf` in the out folder, the complete table
beside it), each review mailed by a send task when asked, and an Outcome per workbook in the jobs' order,
the same a local batch gives. Also: one build enqueued and waited for (serve, the schedule)."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from reportgen.base.catalogue import catalogue, language
from reportgen.base.config import Config, find_config, load_config
from reportgen.base.errors import DeliveryError, InputError, QueueError, ReportgenError
from reportgen.base.files import write_atomic
from reportgen.pipeline.jobs import ALREADY_SENT, BUILT, FAILED, NOT_SENT, SENT, Job, Outcome
from reportgen.queue.app import BUILD_TASK, MAX_WORKBOOK_BYTES, SEND_TASK
from reportgen.queue.client import DONE_STATES, STARTED, Answer, QueueClient
from reportgen.queue.messages import BuildRequest, BuildResult, SendRequest

POLL_SECONDS = 0.25


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a queued batch stands: workbooks finished (built, or built and mailed), failed, and tasks a
    worker is running now."""

    done: int
    failed: int
    running: int
    total: int


def read_for_queue(workbook: Path) -> bytes:
    """The workbook's bytes, refused as a local build would refuse the file, and above the queue's limit."""
    try:
        info = os.stat(workbook)
    except FileNotFoundError as exc:
        raise InputError(workbook, "missing") from exc
    except OSError as exc:
        raise InputError(workbook, "unreadable", detail=exc.strerror or str(exc)) from exc
    if stat.S_ISDIR(info.st_mode):
        raise InputError(workbook, "directory")
    if info.st_size > MAX_WORKBOOK_BYTES:
        raise InputError(workbook, "queue_too_large", size=_mb(info.st_size), limit=_mb(MAX_WORKBOOK_BYTES))
    try:
        return workbook.read_bytes()
    except OSError as exc:
        raise InputError(workbook, "unreadable", detail=exc.strerror or str(exc)) from exc


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


@dataclass(frozen=True, slots=True)
class ConfigFound:
    """The config a workbook's build uses: validated here, sent as its text with where it was found."""

    config: Config
    text: str | None
    path: str | None


def config_for(explicit: Path | None, workbook: Path | None) -> ConfigFound:
    found = find_config(explicit, workbook)
    config = load_config(explicit, workbook)
    if found is None:
        return ConfigFound(config, None, None)
    return ConfigFound(config, found.read_text("utf-8"), str(found.resolve()))


def build_request(job: Job, found: ConfigFound) -> BuildRequest:
    return BuildRequest(
        workbook_name=job.workbook.name,
        shown_path=str(job.workbook),
        workbook=read_for_queue(job.workbook),
        as_of=job.as_of,
        stem=job.stem,
        config_text=found.text,
        config_path=found.path,
        month=job.month,
        lang=job.lang,
    )


def write_outputs(result: BuildResult, out_dir: Path) -> Path:
    """The review's files where local batch writes them (temporary file, then renamed); the PDF's path."""
    pdf = out_dir / Path(result.pdf.name).name  # a plain name: nothing from a worker chooses a folder
    if result.table is not None:
        write_atomic(out_dir / Path(result.table.name).name, result.table.data)
    write_atomic(pdf, result.pdf.data)
    return pdf


def wait_for_answer(client: QueueClient, task_id: str, kind: str) -> Answer:
    """Wait for one task (at most `wait_minutes`); a QueueError when no answer came."""
    deadline = time.monotonic() + client.settings.wait_minutes * 60
    while time.monotonic() < deadline:
        if client.states([task_id])[task_id] in DONE_STATES:
            return client.answer(task_id, kind)
        time.sleep(POLL_SECONDS)
    raise QueueError("no_answer", url=client.url, minutes=client.settings.wait_minutes)


def build_and_wait(client: QueueClient, request: BuildRequest) -> Answer:
    """One build through the queue: enqueued, then waited for."""
    return wait_for_answer(client, client.submit_build(request), BUILD_TASK)


@dataclass
class _Pending:
    index: int
    kind: str
    found: ConfigFound | None = None
    result: BuildResult | None = None
    pdf: Path | None = None


def run_queued_jobs(
    jobs: Sequence[Job],
    client: QueueClient,
    lang: str,
    on_progress: Callable[[Progress], None] = lambda progress: None,
) -> list[Outcome]:
    """Enqueue every job's build, then wait: each answer is written as it comes (and, with `email`, its
    send enqueued); Outcomes in the jobs' order. A workbook that cannot be sent (unreadable, too large, a bad
    config) fails alone, as it would locally; a queue that gives no answer for `wait_minutes` fails the
    workbooks still waiting."""
    client.check()
    outcomes: dict[int, Outcome] = {}
    pending: dict[str, _Pending] = {}
    started = time.perf_counter()
    for index, job in enumerate(jobs):
        try:
            found = config_for(job.config_path, job.workbook)
            request = build_request(job, found)
        except ReportgenError as exc:
            outcomes[index] = Outcome(job.workbook, FAILED, message=exc.message(job.lang))
            continue
        pending[client.submit_build(request)] = _Pending(index, BUILD_TASK, found)
    quiet_since = time.monotonic()
    while pending:
        states = client.states(list(pending))
        for task_id, state in states.items():
            if state not in DONE_STATES:
                continue
            waiting = pending.pop(task_id)
            job = jobs[waiting.index]
            answer = client.answer(task_id, waiting.kind)
            if waiting.kind == BUILD_TASK:
                outcome, send = _built(job, waiting, answer, started)
                if send is not None:
                    pending[client.submit_send(send)] = waiting
                    continue
            else:
                outcome = _sent(job, waiting, answer, started)
            outcomes[waiting.index] = outcome
            quiet_since = time.monotonic()
        failed = sum(outcome.status == FAILED for outcome in outcomes.values())
        running = sum(state == STARTED for state in states.values())
        on_progress(Progress(len(outcomes) - failed, failed, running, len(jobs)))
        if not pending:
            break
        if time.monotonic() - quiet_since > client.settings.wait_minutes * 60:
            problem = QueueError("no_answer", url=client.url, minutes=client.settings.wait_minutes)
            for waiting in pending.values():
                job = jobs[waiting.index]
                outcomes[waiting.index] = Outcome(
                    job.workbook, FAILED, message=problem.message(job.lang or lang)
                )
            break
        time.sleep(POLL_SECONDS)
    return [outcomes[index] for index in range(len(jobs))]


def _built(job: Job, waiting: _Pending, answer: Answer, started: float) -> tuple[Outcome, SendRequest | None]:
    """A build's answer: its files written; with `email`, the send to enqueue (unless its errors forbid)."""
    if answer.refusal is not None or not isinstance(answer.value, BuildResult):
        message = answer.refusal.message(job.lang) if answer.refusal else None
        return Outcome(job.workbook, FAILED, message=message, seconds=time.perf_counter() - started), None
    result = answer.value
    pdf = write_outputs(result, job.out_dir)
    outcome = Outcome(
        job.workbook,
        BUILT,
        team=result.team or None,
        month=result.month,
        findings=result.findings,
        errors=result.errors,
        pdf=pdf,
        seconds=time.perf_counter() - started,
    )
    if result.archive_problem is not None:  # built and written, but not recorded: as a local build says
        kept = catalogue(language(job.lang)).text("archive.kept", path=str(pdf))
        problem = result.archive_problem.get(language(job.lang), "")
        return Outcome(job.workbook, FAILED, message=f"{problem}\n{kept}", pdf=pdf), None
    if not job.email:
        return outcome, None
    assert waiting.found is not None
    email = waiting.found.config.email
    if result.errors and not email.send_with_errors:
        refused = DeliveryError(pdf, "check_errors", count=result.errors, cells=list(result.error_cells),
                                lang=job.lang or result.lang)  # fmt: skip
        return _with(outcome, NOT_SENT, refused.message(job.lang)), None
    waiting.result, waiting.pdf, waiting.kind = result, pdf, SEND_TASK
    send = SendRequest(
        pdf_name=pdf.name,
        pdf=result.pdf.data,
        shown_path=str(pdf),
        config_text=waiting.found.text,
        config_path=waiting.found.path,
        lang=job.lang or result.lang,
    )
    return outcome, send


def _sent(job: Job, waiting: _Pending, answer: Answer, started: float) -> Outcome:
    result = waiting.result
    assert result is not None
    outcome = Outcome(
        job.workbook,
        SENT,
        team=result.team or None,
        month=result.month,
        findings=result.findings,
        errors=result.errors,
        pdf=waiting.pdf,
        seconds=time.perf_counter() - started,
    )
    if answer.refusal is None:
        return outcome
    status = ALREADY_SENT if answer.refusal.stage == "already_sent" else NOT_SENT
    return _with(outcome, status, answer.refusal.message(job.lang))


def _with(outcome: Outcome, status: str, message: str | None) -> Outcome:
    return Outcome(
        outcome.workbook,
        status,
        team=outcome.team,
        month=outcome.month,
        findings=outcome.findings,
        errors=outcome.errors,
        pdf=outcome.pdf,
        message=message,
        seconds=outcome.seconds,
    )
