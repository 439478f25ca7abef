"""`serve` with a queue configured builds on a real `reportgen worker` (over a real redis-server): the page
shows the preview, and the download is the very review a local `serve` builds."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from reportgen.apps.serve.app import ServeOptions, Server
from reportgen.base.config import QueueSettings
from tests.e2e.test_web import AS_OF, BASE, SAMPLE, sample_config, token, upload
from tests.queueing import WorkerProcess, wait_until
from tests.servers import RedisServer


def build_and_download(client: TestClient) -> tuple[str, bytes]:
    response = upload(client, SAMPLE.name, SAMPLE.read_bytes())
    assert response.status_code == 303
    uploaded = response.headers["location"]
    built = client.post(
        f"{uploaded}/build",
        data={"token": token(client, uploaded), "month": "2026-10", "lang": "en"},
        follow_redirects=False,
    )
    assert built.status_code == 303, built.text
    preview = client.get(f"{uploaded}/preview")
    assert preview.status_code == 200 and "Northwind" in preview.text
    pdf = client.get(f"{uploaded}/review.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    return uploaded, pdf.content


@pytest.fixture
def worker(tmp_path: Path, redis: RedisServer) -> Iterator[WorkerProcess]:
    redis.flush()
    env = {**os.environ, "REPORTGEN_QUEUE_URL": redis.url, "XDG_DATA_HOME": str(tmp_path / "worker-data")}
    started = WorkerProcess(tmp_path / "worker.log", "--concurrency", "1", env=env)
    yield started
    started.stop()


def test_serve_builds_through_the_queue_the_same_review(
    tmp_path: Path, redis: RedisServer, worker: WorkerProcess
) -> None:
    queued_config = dataclasses.replace(
        sample_config(tmp_path / "serve-archive.sqlite3"), queue=QueueSettings(redis.url)
    )
    with TestClient(Server(ServeOptions(as_of=AS_OF), queued_config).app(), base_url=BASE) as queued:
        _, through_queue = build_and_download(queued)
    assert "build workbook: started" in worker.output()  # the worker built it, not the page's pool
    wait_until(lambda: "archive: recorded" in worker.output(), 10, "the worker recording the build")
    local_config = sample_config(tmp_path / "local-archive.sqlite3")
    with TestClient(Server(ServeOptions(as_of=AS_OF), local_config).app(), base_url=BASE) as local:
        _, built_here = build_and_download(local)
    assert through_queue == built_here
