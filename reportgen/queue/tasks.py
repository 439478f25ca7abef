"""The tasks a `reportgen worker` runs: a build (workbook bytes in; PDF, figures and the rest out) and a send
(a PDF through the archive's once-only guard).

Both are safe to run twice, which Celery's at-least-once delivery asks of them: a build's result is kept
under its key (the workbook's SHA-256 and every option) while its message could be delivered again, and a
repeat returns it without building; a send claims each recipient in the archive before mailing, so a
redelivered send mails nobody twice. A user's error (a bad workbook, a mail refused for good) fails once and
is never retried; trouble that may pass (no connection to the mail server, a 4xx) is retried with a doubling
delay.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import socket
import tempfile
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from reportgen.base.catalogue import LANGUAGES
from reportgen.base.config import Config, parse_config
from reportgen.base.errors import ArchiveError, DeliveryError, InputError, ReportgenError
from reportgen.figures.document import dumps
from reportgen.figures.review import error_cells, shown_cells, team_name
from reportgen.pipeline.archiving import process_archive
from reportgen.pipeline.build import build_to_files
from reportgen.pipeline.mailing import deliver_review
from reportgen.queue.app import (
    BUILD_TASK,
    BUILT_KEY,
    FAILURES_KEPT,
    FAILURES_KEY,
    MAX_RESULT_BYTES,
    MAX_WORKBOOK_BYTES,
    SEND_TASK,
)
from reportgen.queue.messages import (
    BuildRequest,
    BuildResult,
    OutputFile,
    Refusal,
    SendRequest,
    TaskRefused,
    megabytes,
)
from reportgen.wording.documents import figures_document
from reportgen.wording.text import error_sentences, finding_lines_in_each_language

if TYPE_CHECKING:
    from celery import Celery, Task

logger = logging.getLogger(__name__)
T = TypeVar("T")

# DeliveryError stages a later attempt may not meet (smtp.py's transient trouble after its own attempts)
TRANSIENT_STAGES = frozenset({"unreachable", "timeout", "later", "cut", "sender_later", "recipients_later"})
SEND_RETRIES = 5


def request_config(text: str | None, path: str | None) -> Config:
    """The front end's config, as it found it; none: the defaults (this worker's environment still names
    its archive)."""
    where = Path(path) if path else None
    if text is None:
        return parse_config({})
    try:
        return parse_config(tomllib.loads(text), where)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(where, "config_syntax", detail=str(exc)) from exc


def plain_name(name: str, fallback: str) -> str:
    """A file name from a message, as a plain name inside the task's folder: no folder part, no `..`."""
    plain = name.rsplit("/", 1)[-1].rsplit(os.sep, 1)[-1]
    return plain if plain and plain not in (".", "..") else fallback


def refuse(exc: ReportgenError, *, stage: str | None = None, workbook: str | None = None) -> TaskRefused:
    return TaskRefused(Refusal.of(exc, stage=stage, workbook=workbook).to_json())


def run_build(request: BuildRequest, worker: str = "") -> BuildResult:
    """The pipeline's one build path (`build_to_files`, recording in the archive as `build` does) on a copy
    of the workbook under its own name, in a folder of its own removed afterwards."""
    started = time.perf_counter()
    key = request.key()
    if len(request.workbook) > MAX_WORKBOOK_BYTES:  # a front end refuses it first; a worker never trusts that
        too_large = InputError(request.shown_path, "queue_too_large", size=megabytes(len(request.workbook)),
                               limit=megabytes(MAX_WORKBOOK_BYTES))  # fmt: skip
        raise refuse(too_large, workbook=request.shown_path)
    with tempfile.TemporaryDirectory(prefix="reportgen-task-") as folder:
        workbook = Path(folder) / plain_name(request.workbook_name, "workbook")
        workbook.write_bytes(request.workbook)
        out = Path(folder) / "out"
        out.mkdir()
        page = out / "review.html" if request.page else None
        try:
            config = request_config(request.config_text, request.config_path)
            if request.team:
                config = dataclasses.replace(config, team=request.team)
            opened = process_archive(config.archive)
            problem: ArchiveError | None = None
            try:
                built = build_to_files(
                    workbook,
                    config,
                    request.as_of,
                    month=request.month,
                    lang=request.lang,
                    out_dir=out,
                    stem=plain_name(request.stem, "review"),
                    html_path=page,
                    archive=opened,
                )
            except ArchiveError as exc:  # raised after the files were written: the review is there
                if not any(out.glob("*.pdf")):
                    raise
                problem = ArchiveError(exc.code, archive=exc.archive, detail=exc.detail)  # no worker paths
                built = None
        except InputError as exc:
            if exc.file == str(workbook):  # name the user's file, not this worker's copy
                exc.file = request.shown_path
            raise refuse(exc, workbook=request.shown_path) from exc
        except ReportgenError as exc:
            raise refuse(exc, workbook=request.shown_path) from exc
        if built is None:  # the archive failed: what was written is still the review
            return _unrecorded(request, key, out, problem, worker, started)
        assert built.pdf is not None
        review = built.review
        cells = error_cells(review.findings)
        tables = [path for path in built.written if path.suffix == ".xlsx"]
        result = BuildResult(
            key=key,
            team=review.checked.team or "",
            review_team=team_name(review.checked, config.team),
            month=review.month,
            lang=review.lang,
            pdf=OutputFile(built.pdf.name, built.pdf.read_bytes()),
            figures=dumps(figures_document(review)).decode("utf-8"),
            findings=len(review.findings),
            errors=len(cells),
            error_cells=tuple(shown_cells(cells)),
            error_findings=error_sentences(review.findings),
            finding_lines=finding_lines_in_each_language(review.findings),
            table=OutputFile(tables[0].name, tables[0].read_bytes()) if tables else None,
            page=page.read_bytes() if page is not None and page.is_file() else None,
            version=built.recorded.version if built.recorded else None,
            build_id=built.recorded.build_id if built.recorded else None,
            worker=worker,
            seconds=time.perf_counter() - started,
        )
    if result.size() > MAX_RESULT_BYTES:
        too_large = InputError(request.shown_path, "queue_result_too_large", size=megabytes(result.size()),
                               limit=megabytes(MAX_RESULT_BYTES))  # fmt: skip
        raise refuse(too_large, workbook=request.shown_path)
    return result


def _unrecorded(
    request: BuildRequest, key: str, out: Path, problem: ArchiveError | None, worker: str, started: float
) -> BuildResult:
    """A review whose record the archive refused: its files, and why it has no version."""
    pdf = sorted(out.glob("*.pdf"))[0]
    tables = sorted(out.glob("*.xlsx"))
    page = out / "review.html"
    messages = {lang: problem.message(lang) for lang in LANGUAGES} if problem else None
    return BuildResult(
        key=key,
        team="",
        review_team="",
        month=pdf.stem[len(plain_name(request.stem, "review")) + 1 :],  # <stem>-<YYYY-MM>.pdf
        lang=request.lang or "",
        pdf=OutputFile(pdf.name, pdf.read_bytes()),
        figures="{}",
        table=OutputFile(tables[0].name, tables[0].read_bytes()) if tables else None,
        page=page.read_bytes() if page.is_file() else None,
        archive_problem=messages,
        worker=worker,
        seconds=time.perf_counter() - started,
    )


def run_send(request: SendRequest) -> dict[str, Any]:
    """Deliver the PDF (under its own name) to every target through the archive's once-only guard, as
    `send` does."""
    with tempfile.TemporaryDirectory(prefix="reportgen-send-") as folder:
        pdf = Path(folder) / plain_name(request.pdf_name, "review.pdf")
        pdf.write_bytes(request.pdf)
        config = request_config(request.config_text, request.config_path)
        opened = process_archive(config.archive)
        if opened.archive is None:  # without the archive nobody knows who has it already: nothing is sent
            assert opened.problem is not None
            raise opened.problem
        results = deliver_review(opened.archive, pdf, config, lang=request.lang)
    return {
        "accepted": [address for each in results for address in each.result.receipt.accepted],
        "already": sorted(address for each in results for address in each.result.already),
    }


def _hostname(task: Task) -> str:
    return str(getattr(task.request, "hostname", None) or socket.gethostname())


def build_task(task: Task, message: dict[str, Any]) -> dict[str, Any]:
    """The build task: its stored result when this very build already ran (a redelivered message), else
    the build, stored under its key before it is returned."""
    try:
        request = BuildRequest.from_message(message)
    except InputError as exc:  # a workbook that is no base64: the user's file never arrived whole
        logger.info("build %s: refused: %s", exc.file, exc.message("en"))
        raise refuse(exc, workbook=exc.file) from exc
    key = request.key()
    logger.info("build %s: started (task %s, key %s)", request.workbook_name, task.request.id, key[:12])
    client = task.app.backend.client
    name = request.workbook_name
    stored = patiently(lambda: client.get(BUILT_KEY + key), name)
    if stored is not None:
        logger.info("build %s: built before (delivered again): its stored result", name)
        return dict(json.loads(stored))
    result = run_build(request, _hostname(task)).to_message()
    text = json.dumps(result)
    expires = built_seconds(task.app.conf.broker_transport_options["visibility_timeout"])
    patiently(lambda: client.set(BUILT_KEY + key, text, ex=expires), name)
    return result


def built_seconds(visibility_timeout: int) -> int:
    """How long a build's stored result (its PDF) stays in Redis: while its message could come again, that
    is until Redis would hand the unacknowledged message of a worker that died before acknowledging it to
    another (`visibility_timeout` after it was delivered, so before this), and a margin. Not the day Celery
    keeps results for: the client has long had its answer and let Celery's copy go (QueueClient.answer)."""
    return int(visibility_timeout) + BUILT_MARGIN_SECONDS


BUILT_MARGIN_SECONDS = 600
REDIS_RETRIES = 26  # pauses of 1, 2, 4, then 5 s: about two minutes for Redis to come back


def patiently(call: Callable[[], T], workbook: str) -> T:
    """`call` (the build task's own read or write in Redis), retried by redis-py's Retry while Redis refuses
    connections: a Redis restarted while a build runs, or before a prefetched one starts, is waited for
    instead of failing a review that was built or can be (tests/e2e/test_queue.py restarts it mid-batch);
    each wait is logged. A timeout (a Redis that hangs, already waited for by the client's own socket
    timeout), a refused password and any other error are raised at once. (Celery stores the task's state and
    result with a retry of its own, `RedisBackend.ensure`.)"""
    from redis.backoff import ExponentialBackoff  # redis: with celery, the queue's optional extra
    from redis.exceptions import AuthenticationError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.retry import Retry

    def waiting(error: Exception) -> None:
        logger.warning("build %s: the queue cannot be reached (%s); waiting for it", workbook, error)

    retry = Retry(
        ExponentialBackoff(cap=5.0, base=0.5), REDIS_RETRIES, supported_errors=(RedisConnectionError,)
    )
    return retry.call_with_retry(
        call, waiting, is_retryable=lambda error: not isinstance(error, AuthenticationError)
    )


def send_task(task: Task, message: dict[str, Any]) -> dict[str, Any]:
    """The send task: a mail refused for good fails once; trouble that may pass is retried later, with a
    doubling delay (the archive released the claims of the ones not reached, so a retry mails only them)."""
    request = SendRequest.from_message(message)
    logger.info(
        "send %s: started (task %s, try %d)", request.pdf_name, task.request.id, task.request.retries + 1
    )
    try:
        return run_send(request)
    except DeliveryError as exc:
        if exc.pdf_path is not None and request.shown_path:  # the front end's copy, not this worker's
            exc.pdf_path = Path(request.shown_path)
        if exc.stage in TRANSIENT_STAGES and task.request.retries < SEND_RETRIES:
            delay = 2.0 * 2**task.request.retries
            logger.warning("send %s: %s; again in %.0f s", request.pdf_name, exc.reason("en"), delay)
            raise task.retry(countdown=delay, max_retries=SEND_RETRIES) from exc
        raise refuse(exc, stage=exc.stage, workbook=request.pdf_name) from exc
    except ReportgenError as exc:
        if (
            isinstance(exc, InputError)
            and request.shown_path
            and exc.file
            and exc.file.endswith(request.pdf_name)
        ):
            exc.file = request.shown_path
        raise refuse(exc, workbook=request.pdf_name) from exc


def record_failure(
    sender: Task | None = None,
    task_id: str | None = None,
    exception: BaseException | None = None,
    kwargs: dict[str, Any] | None = None,
    **_: Any,
) -> None:
    """A task failed for good: remembered (newest first, the latest FAILURES_KEPT) with its reason, for
    `reportgen queue status`."""
    if sender is None:
        return
    message = (kwargs or {}).get("message") or {}
    workbook = message.get("shown_path") or message.get("workbook_name") or message.get("pdf_name") or ""
    if isinstance(exception, TaskRefused):
        reason = exception.refusal.message("en")
    else:
        reason = f"{type(exception).__name__}: {exception}"
    entry = {
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "task": sender.name,
        "id": task_id,
        "workbook": workbook,
        "reason": reason,
        "worker": _hostname(sender),
    }
    try:
        client = sender.app.backend.client
        client.lpush(FAILURES_KEY, json.dumps(entry, ensure_ascii=False))
        client.ltrim(FAILURES_KEY, 0, FAILURES_KEPT - 1)
    except Exception:  # the record is a courtesy: Redis gone now must not hide the task's own failure
        logger.warning("could not remember the failure of task %s", task_id, exc_info=True)


def register(app: Celery) -> None:
    """Give `app` reportgen's tasks (a worker's app; a front end sends them by name), and remember every
    failure for `queue status`."""
    from celery.signals import task_failure  # celery: the optional extra, imported by the worker only

    expected = (TaskRefused,)  # a user's error: logged as a line, not as a bug's traceback
    app.task(name=BUILD_TASK, bind=True, throws=expected)(build_task)
    app.task(name=SEND_TASK, bind=True, throws=expected)(send_task)
    task_failure.connect(record_failure, weak=False)
