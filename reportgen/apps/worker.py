"""`reportgen worker`: a Celery worker that runs reportgen's builds and sends from the queue, and `reportgen
queue status`: what the queue is doing.

The worker checks Redis answers before it starts (a clear error naming the url, where Celery alone would
retry for ever), imports the pipeline once so each pool process costs its builds and not the imports, and
asks Linux to end every pool process with it: no build outlives the worker that started it.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import multiprocessing
import os
import socket
from collections.abc import Callable
from typing import Any

from reportgen.base.catalogue import catalogue, language
from reportgen.base.config import Config
from reportgen.base.errors import ExitCode
from reportgen.base.scratch import hold_own_folder
from reportgen.pipeline.jobs import PRELOAD
from reportgen.queue.app import QUEUE_NAME, celery_app
from reportgen.queue.client import QueueClient
from reportgen.queue.status import QueueStatus, queue_status
from reportgen.queue.tasks import register
from reportgen.rendering.background import die_with_parent

logger = logging.getLogger(__name__)


def worker_name() -> str:
    """Unique on its machine (two workers on one host must not share a name): reportgen-<pid>@<host>."""
    return f"reportgen-{os.getpid()}@{socket.gethostname()}"


def _pool_process_started(**_: Any) -> None:
    """A pool process dies with the worker (Linux's parent-death signal), so it need not be daemonic, which
    multiprocessing holds against the review's forked chart drawing ("daemonic processes are not allowed to
    have children"); that child in turn dies with this process."""
    die_with_parent(os.getppid())
    multiprocessing.current_process()._config["daemon"] = False  # type: ignore[attr-defined]
    hold_own_folder()


def run_worker(config: Config, concurrency: int, say: Callable[[str], None] = print) -> int:
    """Run a worker until SIGTERM or Ctrl-C (a warm shutdown: running tasks finish first); its exit code:
    0 after a stop, QUEUE_FAILED when Celery gave the worker up (a pool process that died before the worker
    was ready is one way), so that a service manager starts it again."""
    from celery.bootsteps import RUN  # the optional extra: only the worker imports it
    from celery.signals import worker_process_init, worker_ready, worker_shutting_down

    QueueClient(config.queue).check()
    app = celery_app(config.queue)
    register(app)
    for module in PRELOAD:  # once, here: every pool process forked from this one has them
        importlib.import_module(module)
    worker_process_init.connect(_pool_process_started, weak=False)
    reportgen_logger = logging.getLogger("reportgen")
    if (
        reportgen_logger.getEffectiveLevel() > logging.INFO
        and reportgen_logger.getEffectiveLevel() < logging.ERROR
    ):
        reportgen_logger.setLevel(logging.INFO)  # a service: a line per task unless --quiet
    name = worker_name()
    words = catalogue(language(config.email.language))
    worker = app.Worker(
        hostname=name,
        concurrency=concurrency,
        queues=[QUEUE_NAME],
        pool_cls="prefork",
        without_gossip=True,
        without_mingle=True,
        quiet=True,
        loglevel="WARNING",
    )
    url = QueueClient(config.queue).url

    def ready(sender: Any, **_: Any) -> None:
        """Said from the event loop's first turn, once Celery has checked its pool: when it takes tasks (a
        loop closed at once runs what was waiting, hence the state)."""

        def say_ready() -> None:
            if sender.blueprint.state == RUN:
                say(words.text("queue.worker_ready", name=name, concurrency=concurrency, url=url))

        if sender.hub is None:
            say_ready()
        else:
            sender.hub.call_soon(say_ready)

    asked: list[str] = []  # the stops it was sent (Ctrl-C, SIGTERM): a stop asked for is no failure

    def stopping(sig: str, **_: Any) -> None:
        asked.append(sig)

    worker_ready.connect(ready, weak=False)
    worker_shutting_down.connect(stopping, weak=False)
    try:
        worker.start()
    finally:
        worker_ready.disconnect(ready)
        worker_shutting_down.disconnect(stopping)
    if worker.exitcode and not asked:  # Celery's Ctrl-C sets 1 too: only a worker it gave up on failed
        say(words.text("queue.worker_gave_up", name=name, status=worker.exitcode))
        return int(ExitCode.QUEUE_FAILED)
    return int(ExitCode.OK)


def status_lines(status: QueueStatus, lang: str) -> list[str]:
    """`queue status` as lines: workers, waiting and running tasks, the latest failures with their reason."""
    words = catalogue(lang)
    lines = [words.text("queue.status_title", url=status.url)]
    lines.append(words.text("queue.status_workers", count=len(status.workers)))
    for worker in status.workers:
        lines.append(
            "  "
            + words.text(
                "queue.status_worker",
                name=worker.name,
                concurrency=worker.concurrency if worker.concurrency is not None else "?",
                running=worker.running,
            )
        )
    if not status.workers:
        lines.append("  " + words.text("queue.status_no_workers"))
    lines.append(words.text("queue.status_queued", count=status.queued))
    for task in status.waiting:
        lines.append(f"  {task.task}: {task.workbook}")
    lines.append(words.text("queue.status_running", count=len(status.running)))
    now = dt.datetime.now(dt.UTC).timestamp()
    for task in status.running:
        seconds = int(now - task.since) if task.since else 0
        lines.append("  " + words.text("queue.status_running_task", task=task.task, workbook=task.workbook,
                                       worker=task.worker, seconds=seconds))  # fmt: skip
    lines.append(words.text("queue.status_failures", count=len(status.failures)))
    for failure in status.failures:
        lines.append(f"  {failure.at}  {failure.task}: {failure.workbook}")
        lines.extend(f"    {line}" for line in failure.reason.splitlines())
    return lines


def print_status(config: Config, lang: str, say: Callable[[str], None] = print) -> None:
    for line in status_lines(queue_status(QueueClient(config.queue)), lang):
        say(line)
