"""Jobs through the queue, as the QueueRunner runs them: every workbook enqueued at once, each answer written
where a local build writes it (`<stem>-<YYYY-MM>.pdf` in the out folder, the complete table beside it, the
page where the job asks), each review mailed by a send task when asked, and an Outcome per workbook in the
jobs' order, the same a local run gives."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import stat
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from reportgen.base.catalogue import LANGUAGES, catalogue, language
from reportgen.base.config import Config, find_config, load_config
from reportgen.base.errors import InputError, QueueError, ReportgenError
from reportgen.base.files import write_atomic
from reportgen.delivery.dispatch import errors_refusal, sender_insists
from reportgen.delivery.summary import finding_where
from reportgen.pipeline.jobs import (
    ALREADY_SENT,
    BUILT,
    FAILED,
    NOT_SENT,
    SENT,
    Job,
    Outcome,
    Progress,
    failure,
)
from reportgen.queue.app import BUILD_TASK, MAX_WORKBOOK_BYTES, SEND_TASK
from reportgen.queue.client import DONE_STATES, PENDING, STARTED, Answer, QueueClient
from reportgen.queue.messages import BuildRequest, BuildResult, SendRequest, megabytes

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.25


def read_for_queue(workbook: Path, shown: str | None = None) -> bytes:
    """The workbook's bytes, refused as a local build would refuse the file, and above the queue's limit;
    messages name it `shown` (the user's name for a stored upload)."""
    name = shown or workbook
    try:
        info = os.stat(workbook)
    except FileNotFoundError as exc:
        raise InputError(name, "missing") from exc
    except OSError as exc:
        raise InputError(name, "unreadable", detail=exc.strerror or str(exc)) from exc
    if stat.S_ISDIR(info.st_mode):
        raise InputError(name, "directory")
    if info.st_size > MAX_WORKBOOK_BYTES:
        raise InputError(
            name, "queue_too_large", size=megabytes(info.st_size), limit=megabytes(MAX_WORKBOOK_BYTES)
        )
    try:
        return workbook.read_bytes()
    except OSError as exc:
        raise InputError(name, "unreadable", detail=exc.strerror or str(exc)) from exc


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


def job_config(job: Job) -> ConfigFound:
    """The config a job's build uses and what the worker is sent of it: the front end's own (its file's
    text), else the one found as a local build would find it."""
    if job.config is None:
        return config_for(job.config_path, job.workbook)
    path = job.config.path
    try:
        text = path.read_text("utf-8") if path is not None else None
    except OSError as exc:  # the file went away since the front end started
        raise InputError(path, "config_unreadable", detail=exc.strerror or str(exc)) from exc
    return ConfigFound(job.config, text, str(path.resolve()) if path is not None else None)


def build_request(job: Job, found: ConfigFound) -> BuildRequest:
    shown = job.shown_name or str(job.workbook)
    return BuildRequest(
        workbook_name=job.workbook.name,
        shown_path=shown,
        workbook=read_for_queue(job.workbook, shown),
        as_of=job.as_of,
        stem=job.stem,
        config_text=found.text,
        config_path=found.path,
        month=job.month,
        lang=job.lang,
        team=job.team,
        page=job.page is not None,
    )


def write_outputs(result: BuildResult, job: Job) -> Path:
    """The review's files where a local build writes them (temporary file, then renamed); the PDF's path."""
    pdf = job.out_dir / Path(result.pdf.name).name  # a plain name: nothing from a worker chooses a folder
    if result.table is not None:
        write_atomic(job.out_dir / Path(result.table.name).name, result.table.data)
    write_atomic(pdf, result.pdf.data)
    if job.page is not None:
        write_atomic(job.page, result.page or b"")
    return pdf


def wait_for_answer(client: QueueClient, task_id: str, kind: str) -> Answer:
    """Wait for one task (at most `wait_minutes`); a QueueError when no answer came."""
    deadline = time.monotonic() + client.settings.wait_minutes * 60
    while time.monotonic() < deadline:
        if client.states([task_id])[task_id] in DONE_STATES:
            return client.answer(task_id, kind)
        time.sleep(POLL_SECONDS)
    raise QueueError("no_answer", url=client.url, minutes=client.settings.wait_minutes)


@dataclass
class _Pending:
    index: int
    kind: str
    found: ConfigFound | None = None
    built: Outcome | None = None  # the build's outcome, while its send runs
    request: BuildRequest | SendRequest | None = None  # what was enqueued, to enqueue again if it is lost


def run_queued_jobs(
    jobs: Sequence[Job],
    client: QueueClient,
    lang: str,
    on_progress: Callable[[Progress], None] = lambda progress: None,
) -> list[Outcome]:
    """Enqueue every job's build, then wait: each answer is written as it comes (and, with `email`, its
    send enqueued); Outcomes in the jobs' order. A workbook that cannot be sent (unreadable, too large, a bad
    config) fails alone, as it would locally; a queue that gives no answer for `wait_minutes` fails the
    workbooks still waiting.

    A broker that goes away meanwhile (Redis restarted) is waited for, as the workers wait for it; once it
    answers again, every task it no longer knows is enqueued again. That is safe: a build is keyed by its
    inputs (a worker that has it returns the stored result) and a send claims each address in the archive."""
    client.check()
    outcomes: dict[int, Outcome] = {}
    pending: dict[str, _Pending] = {}
    started = time.perf_counter()
    for index, job in enumerate(jobs):
        try:
            found = job_config(job)
            request = build_request(job, found)
        except ReportgenError as exc:
            outcomes[index] = failure(job, exc)
            continue
        pending[client.submit_build(request)] = _Pending(index, BUILD_TASK, found, request=request)
    quiet_since = time.monotonic()
    broker_lost = False
    while pending:
        try:
            if broker_lost:  # it answers again: what it lost (state unknown to it) goes again
                _enqueue_again(client, pending)
                broker_lost = False
            states = client.states(list(pending))
            for task_id, state in states.items():
                if state not in DONE_STATES:
                    continue
                waiting = pending[task_id]
                job = jobs[waiting.index]
                answer = client.answer(task_id, waiting.kind)
                del pending[task_id]
                if waiting.kind == BUILD_TASK:
                    outcome, send = _built(job, waiting, answer, started, lang)
                    if send is not None:
                        waiting.request = send
                        pending[client.submit_send(send)] = waiting
                        continue
                else:
                    outcome = _sent(job, waiting, answer, started)
                outcomes[waiting.index] = outcome
                quiet_since = time.monotonic()
        except QueueError as lost:  # the broker went away: wait for it (within wait_minutes), as workers do
            if not broker_lost:
                logger.warning("queue: %s; waiting for it to come back", lost.message("en"))
            broker_lost, states = True, {}
        failed = sum(outcome.status == FAILED for outcome in outcomes.values())
        running = sum(state == STARTED for state in states.values())
        on_progress(Progress(len(outcomes) - failed, failed, running, len(jobs)))
        if not pending:
            break
        if time.monotonic() - quiet_since > client.settings.wait_minutes * 60:
            problem = QueueError("no_answer", url=client.url, minutes=client.settings.wait_minutes)
            for waiting in pending.values():
                outcomes[waiting.index] = failure(jobs[waiting.index], problem)
            break
        time.sleep(POLL_SECONDS)
    return [outcomes[index] for index in range(len(jobs))]


def _enqueue_again(client: QueueClient, pending: dict[str, _Pending]) -> None:
    """After the broker came back: each task it does not know (no state: PENDING) is enqueued again."""
    again = 0
    for task_id, state in client.states(list(pending)).items():
        request = pending[task_id].request
        if state != PENDING or request is None:
            continue
        waiting = pending.pop(task_id)
        if isinstance(request, BuildRequest):
            pending[client.submit_build(request)] = waiting
        else:
            pending[client.submit_send(request)] = waiting
        again += 1
    logger.warning("queue: back; %d tasks it no longer knew enqueued again", again)


def _built(
    job: Job, waiting: _Pending, answer: Answer, started: float, lang: str
) -> tuple[Outcome, SendRequest | None]:
    """A build's answer: its files written; with `email`, the send to enqueue (unless its errors forbid);
    `lang` the run's."""
    if answer.refusal is not None or not isinstance(answer.value, BuildResult):
        refusal = answer.refusal
        return Outcome(
            job.workbook,
            FAILED,
            message=refusal.message(job.lang) if refusal else None,
            messages={lang: refusal.message(lang) for lang in LANGUAGES} if refusal else None,
            seconds=time.perf_counter() - started,
        ), None
    result = answer.value
    pdf = write_outputs(result, job)
    figures = Figures.of(result)
    outcome = Outcome(
        job.workbook,
        BUILT,
        team=result.team or None,
        month=result.month,
        findings=result.findings,
        errors=result.errors,
        pdf=pdf,
        seconds=time.perf_counter() - started,
        review_team=result.review_team or None,
        lang=result.lang,
        version=result.version,
        build_id=result.build_id,
        error_findings=result.error_findings or {result.lang: figures.error_findings()},
        error_cells=result.error_cells,
        page=job.page,
        finding_lines=result.finding_lines.get(language(job.lang or lang))
        or figures.finding_lines(
            job.lang or result.lang
        ),  # a worker of an earlier release: the review's words
        activities=figures.total("activities"),
        done=figures.total("done"),
    )
    if result.archive_problem is not None:  # built and written, but not recorded: as a local build says
        kept = catalogue(language(job.lang)).text("archive.kept", path=str(pdf))
        problem = result.archive_problem.get(language(job.lang), "")
        return Outcome(job.workbook, FAILED, message=f"{problem}\n{kept}", pdf=pdf, page=job.page,
                       messages=result.archive_problem, unrecorded=True), None  # fmt: skip
    if not job.email:
        return outcome, None
    assert waiting.found is not None
    email = waiting.found.config.email
    refused = errors_refusal(pdf, result.error_cells, force=sender_insists(email), count=result.errors,
                             lang=job.lang or result.lang)  # fmt: skip
    if refused is not None:
        return _with(outcome, NOT_SENT, refused.message(job.lang)), None
    waiting.built, waiting.kind = outcome, SEND_TASK
    send = SendRequest(
        pdf_name=pdf.name,
        pdf=result.pdf.data,
        shown_path=str(pdf),
        config_text=waiting.found.text,
        config_path=waiting.found.path,
        lang=job.lang or result.lang,
    )
    return outcome, send


@dataclass(frozen=True, slots=True)
class Figures:
    """The figures document a worker sent with its review (`--json`'s), read once: what a local Outcome
    takes from the Review itself."""

    totals: dict[str, object]
    findings: tuple[dict[str, object], ...]

    @classmethod
    def of(cls, result: BuildResult) -> Figures:
        document = json.loads(result.figures)
        findings = document.get("findings", [])
        return cls(document.get("totals", {}), tuple(each for each in findings if isinstance(each, dict)))

    def total(self, name: str) -> int | None:
        """One of the month's totals (`activities`, `done`)."""
        value = self.totals.get(name)
        return value if isinstance(value, int) else None

    def error_findings(self) -> tuple[tuple[str, str], ...]:
        """Each error of the review's month as (cell, sentence), in the review's language (a worker of an
        earlier release sends them in no other)."""
        return tuple(
            (finding_where(finding), str(finding.get("message", "")))
            for finding in self.findings
            if finding.get("severity") == "error"
        )

    def finding_lines(self, lang: str) -> tuple[str, ...]:
        """The findings as watch's .log lists them (severity, cell, sentence)."""
        words = catalogue(language(lang))
        return tuple(
            "\t".join(
                (
                    words.text(f"severity.{finding.get('severity')}"),
                    finding_where(finding),
                    str(finding.get("message", "")),
                )
            )
            for finding in self.findings
        )


def _sent(job: Job, waiting: _Pending, answer: Answer, started: float) -> Outcome:
    assert waiting.built is not None
    outcome = dataclasses.replace(waiting.built, status=SENT, seconds=time.perf_counter() - started)
    if answer.refusal is None:
        return outcome
    status = ALREADY_SENT if answer.refusal.stage == "already_sent" else NOT_SENT
    return _with(outcome, status, answer.refusal.message(job.lang))


def _with(outcome: Outcome, status: str, message: str | None) -> Outcome:
    return dataclasses.replace(outcome, status=status, message=message)
