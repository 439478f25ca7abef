"""A Redis that goes away while a build task runs is waited for, not a failed review: the task's own read
and write in Redis (its stored result) wait for it to come back (the flake this fixes: a batch whose Redis
restarted mid-build reported one workbook as "the build stopped unexpectedly (ConnectionError ...)")."""

from __future__ import annotations

import logging
import threading

import pytest
import redis as redis_client

from reportgen.queue.tasks import patiently
from tests.servers import RedisServer


def test_a_write_waits_for_redis_to_come_back(redis: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    client = redis_client.Redis.from_url(redis.url, socket_connect_timeout=1)
    redis.stop()
    with pytest.raises(redis_client.ConnectionError):  # what the task met before: Redis is really gone
        client.set("reportgen:test", "before")
    back = threading.Timer(2.0, redis.start)
    back.start()
    try:
        with caplog.at_level(logging.WARNING, logger="reportgen.queue.tasks"):
            patiently(lambda: client.set("reportgen:test", "kept"), "team01.xlsx")
    finally:
        back.join()
    assert client.get("reportgen:test") == b"kept"
    waits = [record.getMessage() for record in caplog.records]
    assert waits and all("build team01.xlsx: the queue cannot be reached" in wait for wait in waits)
    client.delete("reportgen:test")
    client.close()


def test_an_error_that_is_not_the_connection_is_not_waited_for(redis: RedisServer) -> None:
    client = redis_client.Redis.from_url(redis.url)
    client.set("reportgen:test", "text")
    with pytest.raises(redis_client.ResponseError):  # INCR on text: a bug, at once, not two minutes later
        patiently(lambda: client.incr("reportgen:test"), "team01.xlsx")
    client.delete("reportgen:test")
    client.close()
