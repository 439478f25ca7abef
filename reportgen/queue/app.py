"""The Celery app both sides share: Redis as broker and result backend, and the settings that keep a task
alive when its worker dies.

- `task_acks_late`: a task's message is acknowledged only after it ran, so a worker that dies mid-build
  leaves it unacknowledged; `task_reject_on_worker_lost` sends it back when the worker's pool process is
  killed; Redis hands an unacknowledged message to another worker once `visibility_timeout` has passed since
  its delivery, which must therefore be longer than the slowest build (3600 s by default).
- `worker_prefetch_multiplier = 1`: a worker reserves only what it runs, so a long build holds no other
  workbook hostage and a killed worker takes nothing else with it.
- JSON only on the wire (bytes as base64): no pickle, so the broker cannot make a worker run code.

Celery is imported here, inside functions, and only by the commands that use the queue: `reportgen --help`
must not pay its 0.3 s, and without the optional extra everything else still works.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reportgen.base.config import QueueSettings, hidden_password
from reportgen.base.errors import QueueError

if TYPE_CHECKING:
    from celery import Celery

BUILD_TASK = "reportgen.build"
SEND_TASK = "reportgen.send"
QUEUE_NAME = "reportgen"  # the Redis list the tasks wait in
FAILURES_KEY = "reportgen:failures"  # the latest failures, newest first, for `reportgen queue status`
FAILURES_KEPT = 100
BUILT_KEY = "reportgen:built:"  # + a build's key: its result, kept while its message could come again
MAX_WORKBOOK_BYTES = 20_000_000  # a workbook the queue carries: 20 MB, as the README and docs/queue.md say
MAX_RESULT_BYTES = 64_000_000  # a build's PDF, table and page together: 64 MB
CONNECT_SECONDS = 3.0


def queue_url(settings: QueueSettings) -> str:
    """The Redis url, or the error saying how to give one."""
    if not settings.url:
        raise QueueError("no_url")
    return settings.url


def shown_url(settings: QueueSettings) -> str:
    return hidden_password(settings.url or "")


def celery_app(settings: QueueSettings) -> Celery:
    """A Celery app for `settings` (no tasks registered: a front end sends them by name)."""
    url = queue_url(settings)
    try:
        from celery import Celery  # the optional extra, 0.3 s to import: only the queue's commands pay it
    except ImportError as exc:
        raise QueueError("not_installed", url=shown_url(settings)) from exc
    app = Celery("reportgen", broker=url, backend=url, set_as_current=False)
    seconds = settings.visibility_timeout
    app.conf.update(
        task_default_queue=QUEUE_NAME,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_track_started=True,  # a build that is running says so, for the progress bar and status
        worker_prefetch_multiplier=1,
        broker_transport_options={
            "visibility_timeout": seconds,
            # look for messages of dead workers every few seconds (kombu's default: every 100 s)
            "unacked_restore_interval": max(1, min(10, seconds // 10)),
            "unacked_restore_throttle": 1,
            "socket_connect_timeout": CONNECT_SECONDS,
        },
        result_backend_transport_options={"visibility_timeout": seconds},
        redis_socket_connect_timeout=CONNECT_SECONDS,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        result_expires=max(86400, 2 * seconds),
        broker_connection_retry_on_startup=True,
        worker_redirect_stdouts=False,
        worker_hijack_root_logger=False,  # reportgen's own logging set-up stays
        worker_send_task_events=False,
        task_send_sent_event=False,
    )
    return app
