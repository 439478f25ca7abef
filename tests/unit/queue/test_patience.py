"""A Redis that goes away while a build task runs is waited for, not a failed review: the task's own read
and write in Redis (its stored result) wait for it to come back (the flake this fixes: a batch whose Redis
restarted mid-build reported one workbook as "the build stopped unexpectedly (ConnectionError ...)"). Only a
refused connection is waited for: any other error is the task's at once."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import pytest
import redis as redis_client
from redis.exceptions import AuthenticationError

from reportgen.queue.tasks import patiently
from tests.servers import RedisServer

WAITING = "build team01.xlsx: the queue cannot be reached"


def test_a_write_waits_for_redis_to_come_back(redis: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    client = redis_client.Redis.from_url(redis.url, socket_connect_timeout=1)
    redis.stop()
    back = threading.Timer(2.0, redis.start)
    try:
        with pytest.raises(redis_client.ConnectionError):  # what the task met before: Redis is really gone
            client.set("reportgen:test", "before")
        back.start()
        with caplog.at_level(logging.WARNING, logger="reportgen.queue.tasks"):
            patiently(lambda: client.set("reportgen:test", "kept"), "team01.xlsx")
    finally:
        if back.ident is None:  # never started: the session's Redis must run again for the tests after
            redis.start()
        back.join()
    assert client.get("reportgen:test") == b"kept"
    waits = [record.getMessage() for record in caplog.records]
    assert waits and all(WAITING in wait for wait in waits)
    client.delete("reportgen:test")
    client.close()


def _raise(error: Exception) -> Callable[[], None]:
    def call() -> None:
        raise error

    return call


@pytest.mark.parametrize(
    "error",
    [
        redis_client.ResponseError("WRONGTYPE"),  # a bug in the call
        AuthenticationError("invalid password"),  # a ConnectionError, but waiting cannot mend it
        redis_client.TimeoutError("Timeout reading from socket"),  # the socket timeout has waited already
    ],
    ids=["response", "password", "timeout"],
)
def test_any_other_error_is_raised_at_once(error: Exception, caplog: pytest.LogCaptureFixture) -> None:
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="reportgen.queue.tasks"), pytest.raises(type(error)):
        patiently(_raise(error), "team01.xlsx")
    assert time.monotonic() - started < 0.5  # not after the first pause of a second
    assert not [record for record in caplog.records if WAITING in record.getMessage()]
