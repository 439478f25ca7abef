"""`reportgen queue status`'s facts: the workers that answer, the tasks waiting and running, the latest
failures with their reason. Workers are asked through Celery's remote control; the rest is read from Redis."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from reportgen.queue.app import FAILURES_KEY, QUEUE_NAME
from reportgen.queue.client import QueueClient

INSPECT_SECONDS = 1.5
QUEUED_SHOWN = 20
FAILURES_SHOWN = 20


@dataclass(frozen=True, slots=True)
class WorkerState:
    name: str
    concurrency: int | None
    running: int


@dataclass(frozen=True, slots=True)
class TaskState:
    """A task waiting or running: its kind (build, send), the workbook or PDF, the worker and since when."""

    task: str
    workbook: str
    worker: str = ""
    since: float | None = None


@dataclass(frozen=True, slots=True)
class Failure:
    at: str
    task: str
    workbook: str
    reason: str
    worker: str = ""


@dataclass(frozen=True, slots=True)
class QueueStatus:
    url: str
    workers: list[WorkerState] = field(default_factory=list)
    queued: int = 0
    waiting: list[TaskState] = field(default_factory=list)
    running: list[TaskState] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


def _shown_workbook(kwargsrepr: Any) -> str:
    """The workbook a task's `kwargsrepr` names (the front end put it there; never the task's bytes)."""
    if isinstance(kwargsrepr, dict):
        return str(kwargsrepr.get("workbook", ""))
    try:
        return str(json.loads(kwargsrepr).get("workbook", ""))
    except (TypeError, ValueError, AttributeError):
        return ""


def _short(task: str) -> str:
    return task.removeprefix("reportgen.")


def queue_status(client: QueueClient) -> QueueStatus:
    """Ask the workers (they answer within INSPECT_SECONDS) and read Redis."""
    client.check()
    with client.talking():
        inspect = client.app.control.inspect(timeout=INSPECT_SECONDS)
        stats = inspect.stats() or {}
        active = inspect.active(safe=True) or {}
        redis = client.app.backend.client
        queued = int(redis.llen(QUEUE_NAME))
        raw_waiting = redis.lrange(QUEUE_NAME, -QUEUED_SHOWN, -1)  # the next out are at the right end
        raw_failures = redis.lrange(FAILURES_KEY, 0, FAILURES_SHOWN - 1)
    workers = [
        WorkerState(
            name,
            (info.get("pool") or {}).get("max-concurrency") if isinstance(info, dict) else None,
            len(active.get(name) or []),
        )
        for name, info in sorted(stats.items())
    ]
    running = [
        TaskState(
            _short(str(task.get("name"))), _shown_workbook(task.get("kwargs")), name, task.get("time_start")
        )
        for name, tasks in sorted(active.items())
        for task in tasks or []
    ]
    waiting = []
    for raw in reversed(raw_waiting):
        try:
            headers = json.loads(raw).get("headers", {})
        except (TypeError, ValueError):
            continue
        waiting.append(
            TaskState(_short(str(headers.get("task", ""))), _shown_workbook(headers.get("kwargsrepr")))
        )
    failures = []
    for raw in raw_failures:
        try:
            entry = json.loads(raw)
        except (TypeError, ValueError):
            continue
        failures.append(
            Failure(
                str(entry.get("at", "")),
                _short(str(entry.get("task", ""))),
                str(entry.get("workbook", "")),
                str(entry.get("reason", "")),
                str(entry.get("worker", "")),
            )
        )
    return QueueStatus(client.url, workers, queued, waiting, running, failures)
