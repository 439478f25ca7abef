"""The front ends' side of the queue: check Redis answers, enqueue a build or a send, learn where each task
stands, read its answer. Every Redis failure becomes a QueueError naming the url (its password hidden)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reportgen.base.catalogue import LANGUAGES, catalogue
from reportgen.base.config import QueueSettings
from reportgen.base.errors import QueueError
from reportgen.queue.app import BUILD_TASK, CONNECT_SECONDS, SEND_TASK, celery_app, queue_url, shown_url
from reportgen.queue.messages import BuildRequest, BuildResult, Refusal, SendRequest, TaskRefused

if TYPE_CHECKING:
    from celery import Celery

PENDING = "PENDING"  # waiting in the queue (or unknown)
STARTED = "STARTED"  # a worker runs it
RETRY = "RETRY"  # waiting to be tried again
SUCCESS = "SUCCESS"
FAILURE = "FAILURE"
DONE_STATES = frozenset({SUCCESS, FAILURE})


@dataclass(frozen=True, slots=True)
class Answer:
    """A finished task: its result (a build's BuildResult, a send's dict), or why it failed."""

    task_id: str
    value: BuildResult | dict[str, Any] | None = None
    refusal: Refusal | None = None


def _detail(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


class QueueClient:
    """One front end's connection to the queue. `check()` first: a Redis that is down is said at once."""

    def __init__(self, settings: QueueSettings) -> None:
        queue_url(settings)
        self.settings = settings
        self.url = shown_url(settings)
        self.app: Celery = celery_app(settings)

    @contextlib.contextmanager
    def talking(self) -> Iterator[None]:
        """Redis (or kombu) failing inside the block: a QueueError naming the url."""
        from kombu.exceptions import OperationalError  # comes with celery
        from redis.exceptions import RedisError

        try:
            yield
        except (RedisError, OperationalError, OSError) as exc:
            raise QueueError("unreachable", url=self.url, detail=_detail(exc)) from exc

    def check(self) -> None:
        """Ask Redis once, quickly: a QueueError naming the url when it does not answer."""
        import redis  # comes with the optional extra

        with self.talking():
            connection = redis.Redis.from_url(
                queue_url(self.settings),
                socket_connect_timeout=CONNECT_SECONDS,
                socket_timeout=CONNECT_SECONDS,
            )
            try:
                connection.ping()
            finally:
                connection.close()

    def submit_build(self, request: BuildRequest) -> str:
        return self._submit(BUILD_TASK, request.to_message(), request.shown_path)

    def submit_send(self, request: SendRequest) -> str:
        return self._submit(SEND_TASK, request.to_message(), request.shown_path or request.pdf_name)

    def _submit(self, task: str, message: dict[str, Any], shown: str) -> str:
        with self.talking():
            result = self.app.send_task(
                task,
                kwargs={"message": message},
                kwargsrepr=json.dumps({"workbook": shown}, ensure_ascii=False),  # what status shows
                argsrepr="()",
            )
        return str(result.id)

    def states(self, task_ids: Sequence[str]) -> dict[str, str]:
        """Where each task stands (PENDING, STARTED, RETRY, SUCCESS, FAILURE), one Redis round trip."""
        if not task_ids:
            return {}
        backend = self.app.backend
        keys = [backend.get_key_for_task(task_id) for task_id in task_ids]
        with self.talking():
            values = backend.client.mget(keys)
        states = {}
        for task_id, value in zip(task_ids, values, strict=True):
            states[task_id] = json.loads(value).get("status", PENDING) if value else PENDING
        return states

    def answer(self, task_id: str, kind: str) -> Answer:
        """A finished task's answer; its stored result is then let go (Redis keeps no PDF longer than
        needed)."""
        with self.talking():
            result = self.app.AsyncResult(task_id)
            state, value = result.state, result.result
            result.forget()
        if state == SUCCESS:
            if kind == BUILD_TASK:
                return Answer(task_id, BuildResult.from_message(value))
            return Answer(task_id, dict(value))
        if isinstance(value, TaskRefused):
            return Answer(task_id, refusal=value.refusal)
        detail = f"{type(value).__name__}: {value}" if isinstance(value, BaseException) else str(value)
        messages = {lang: catalogue(lang).text("batch.crashed", detail=detail) for lang in LANGUAGES}
        messages[""] = messages["en"]
        return Answer(task_id, refusal=Refusal(messages, 1, stage="crash"))
