"""Where builds run, decided once for every front end: `choose_runner` gives batch, watch, serve and the
schedule a Runner (pipeline/jobs.py) by one rule, and `QueueRunner` is the Runner that builds on the queue's
`reportgen worker`s.

The rule (docs/queue.md): `--queue` builds on the queue (its url must be configured), `--local` on this
machine; without either, on the queue when `[queue] url` is set, else here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reportgen.base.config import Config, QueueSettings
from reportgen.pipeline.jobs import ArchiveFor, Job, LocalRunner, Outcome, Progress, Runner
from reportgen.queue.batches import run_queued_jobs
from reportgen.queue.client import QueueClient

_clients: dict[QueueSettings, QueueClient] = {}  # this process's connection to each queue, made once


def queue_client(settings: QueueSettings) -> QueueClient:
    """This process's client of the queue `settings` name (a QueueError when it names none)."""
    client = _clients.get(settings)
    if client is None:
        client = _clients[settings] = QueueClient(settings)
    return client


@dataclass
class QueueRunner:
    """Builds on the queue's workers: the workbooks' bytes and the config's text go, the files come back
    where a local build writes them; the workers record each review in the archive they share."""

    client: QueueClient
    kind: str = "queue"

    def check(self) -> None:
        """Redis must answer before anything is enqueued: a QueueError naming the url."""
        self.client.check()

    def run(
        self,
        jobs: Sequence[Job],
        lang: str,
        on_progress: Callable[[Progress], None] = lambda progress: None,
    ) -> list[Outcome]:
        return run_queued_jobs(jobs, self.client, lang, on_progress=on_progress)


def choose_runner(
    config: Config,
    *,
    queue: bool | None = None,
    workers: int = 1,
    isolated: bool = True,
    archive_for: ArchiveFor | None = None,
) -> Runner:
    """The one rule: `queue` True (`--queue`) or False (`--local`) when the user said; else the queue when
    the config names one. A local runner builds each job in a fresh process (`isolated`, `workers` at a time)
    or in this one with the archive `archive_for` gives."""
    on_queue = bool(config.queue.url) if queue is None else queue
    if on_queue:  # no url configured: the QueueError saying how to give one
        return QueueRunner(queue_client(config.queue))
    return LocalRunner(workers=workers, isolated=isolated, archive_for=archive_for)
