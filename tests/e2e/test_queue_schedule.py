"""The monthly cycle with a queue configured: the team's build is a task on a real `reportgen worker` (over a
real redis-server, recording in the archive the schedule shares), and the draft reaches the approver once,
as the very PDF written to the reviews folder."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from reportgen.base.errors import ExitCode
from tests.commands import run
from tests.e2e.test_batch_watch_mail import pdf_attachment
from tests.e2e.test_schedule import APPROVER, clean_workbook, to, write_config
from tests.mailserver import Handler, smtp_server
from tests.queueing import WorkerProcess
from tests.servers import RedisServer


def test_run_now_builds_the_team_on_a_worker_and_drafts_to_the_approver(
    tmp_path: Path, redis: RedisServer
) -> None:
    redis.flush()
    clean_workbook(tmp_path)
    handler = Handler()
    env = {**os.environ, "REPORTGEN_QUEUE_URL": redis.url}  # the archive: this test's XDG_DATA_HOME, shared
    with smtp_server(handler) as port:
        config = write_config(tmp_path, port, dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
        worker = WorkerProcess(
            tmp_path / "worker.log", "--concurrency", "1", "--config", str(config), env=env
        )
        try:
            result = run("schedule", "run-now", "harbor", "--config", config, env=env)
        finally:
            worker.stop()
        assert result.returncode == ExitCode.OK, result.stdout + result.stderr
        assert "build harbor.xlsx: started" in worker.output()  # built on the worker, not here
        (draft,) = to(handler, APPROVER)
        name, data = pdf_attachment(draft)
        written = tmp_path / "reviews" / name
        assert data == written.read_bytes()
        assert handler.received == [draft]  # management waits for the approval
    history = run("history", "--json", "--config", config, env=env)
    assert "Harbor Growth Team" in history.stdout
