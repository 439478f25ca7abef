"""The queue end to end: a real redis-server (tests/servers.py), real `reportgen worker` subprocesses, real
mail to aiosmtpd on 127.0.0.1.

- Two workers build 8 workbooks; one is killed with SIGKILL in the middle of a build. Its task is run again
  by the other worker; every workbook ends with exactly one PDF, byte-identical to a local build's, and each
  review reaches the mail server exactly once.
- A bad workbook fails once, with its message, and is not run again; `queue status` names it and why.
- Redis down: a clear error naming the url (its password hidden), and `batch --local` still works.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import redis as redis_lib
from aiosmtpd.controller import Controller

from reportgen.base.catalogue import catalogue
from reportgen.base.config import QueueSettings
from reportgen.base.errors import ExitCode
from reportgen.pipeline.jobs import Job, build_job
from reportgen.queue.app import BUILT_KEY
from reportgen.queue.batches import run_queued_jobs
from reportgen.queue.client import QueueClient
from reportgen.queue.status import queue_status
from reportgen.queue.tasks import built_seconds
from tests.builders import OCTOBER_ROWS, make_workbook
from tests.e2e.test_batch_watch_mail import pdf_attachment
from tests.e2e.test_send import write_config
from tests.mailserver import HOST, Handler, smtp_server
from tests.queueing import WorkerProcess, wait_until, workers
from tests.servers import RedisServer, free_port
from tests.unit.cycle.test_lifecycle import ZH_HEADERS

AS_OF = "2026-11-03"
CLEAN = [OCTOBER_ROWS[0], OCTOBER_ROWS[2]]  # OCTOBER_ROWS[1] holds an unreadable cost: an error finding
VISIBILITY_SECONDS = 20  # longer than the slowest build here (2-8 s), short enough to see a redelivery
# enough that both workers are busy when one dies and the survivor still has work of its own until the killed
# task comes back (VISIBILITY_SECONDS after it was handed out); each one more is a build, a send and a local
# build more (20 took two minutes)
BOOKS = 8


def reportgen(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "reportgen", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env={**(env or os.environ), "COLUMNS": "400"},
    )


def finished(process: subprocess.Popen[str], seconds: float = 600) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=seconds)
    return process.returncode, out, err


def team_workbooks(folder: Path, count: int) -> list[Path]:
    """`count` teams' workbooks: the same clean rows under each team's own title (so each review differs)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        make_workbook(folder, CLEAN, name=f"team{index:02}.xlsx", title=f"Team {index:02} — log")
        for index in range(1, count + 1)
    ]


def queue_config(path: Path, redis: RedisServer, smtp_port: int) -> Path:
    extra = f'[queue]\nurl = "{redis.url}"\nvisibility_timeout = {VISIBILITY_SECONDS}\nwait_minutes = 5\n'
    return write_config(path, smtp_port, extra=extra)


@pytest.mark.usefixtures("no_render_memo")  # builds laid out, killed mid-way
def test_two_workers_one_killed_mid_build_every_review_once(tmp_path: Path, redis: RedisServer) -> None:
    redis.flush()
    books = team_workbooks(tmp_path / "in", BOOKS)
    handler = Handler()
    with smtp_server(handler) as smtp_port:
        config = queue_config(tmp_path / "reportgen.toml", redis, smtp_port)
        out = tmp_path / "out"
        with workers(tmp_path, 2, "--concurrency", "1", "--config", str(config)) as (first, second):
            batch = reportgen("batch", *books, "--out", out, "--queue", "--email", "--config", config,
                              "--as-of", AS_OF, "--month", "2026-10", cwd=tmp_path)  # fmt: skip
            building: list[str] = []

            def first_is_building() -> bool:
                """Mid-build: the worker's last task has read its workbook and not yet written the PDF."""
                log = first.output()
                started = re.findall(r"build (\S+\.xlsx): started", log)
                if not started:
                    return False
                name = started[-1]
                building[:] = [name]
                return f"({name}, xlsx" in log and f"({name}, 2026-10)" not in log

            wait_until(first_is_building, 120, "the first worker building a workbook")
            first.kill()
            (killed,) = building
            code, stdout, stderr = finished(batch)
            assert code == ExitCode.OK, stdout + stderr
            assert "Traceback" not in stderr
            assert second.process.poll() is None  # the survivor still runs
            assert f"build {killed}: started" in second.output()  # the killed task ran again, on the other
            assert f"done {BOOKS} · failed 0 · running 0" in stderr  # the progress bar's last word
        pdfs = sorted(path.name for path in out.iterdir())
        assert pdfs == sorted(f"{book.stem}-2026-10.pdf" for book in books)  # exactly one each
        # Redis keeps each build's PDF only while its message could come again, and no answer once taken
        stored = redis_lib.Redis.from_url(redis.url)
        built = list(stored.scan_iter(f"{BUILT_KEY}*"))
        assert len(built) >= BOOKS
        assert all(0 < stored.ttl(key) <= built_seconds(VISIBILITY_SECONDS) for key in built)
        assert list(stored.scan_iter("celery-task-meta-*")) == []
        # each review reached the mail server exactly once, as the very PDF written
        mailed = Counter(pdf_attachment(message)[0] for message in handler.received)
        assert mailed == Counter(pdfs)
        for message in handler.received:
            name, data = pdf_attachment(message)
            assert data == (out / name).read_bytes()
            assert message.rcpt_tos == ("boss@example.com",)

    # the killed workbook and another built here, with an archive of their own: the same bytes (each of the
    # eight laid out again would prove no more, at 2-3 s a page)
    compared = [book for book in books if book.name == killed] + [
        book for book in books if book.name != killed
    ][:1]
    local_out = tmp_path / "local"
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "local-data")}
    local = reportgen("batch", *compared, "--out", local_out, "--local", "--jobs", "2", "--as-of", AS_OF,
                      "--month", "2026-10", "--config", config, cwd=tmp_path, env=env)  # fmt: skip
    code, stdout, stderr = finished(local)
    assert code == ExitCode.OK, stdout + stderr
    assert len(compared) == 2
    for name in (f"{book.stem}-2026-10.pdf" for book in compared):
        assert (out / name).read_bytes() == (local_out / name).read_bytes(), name


def test_a_bad_workbook_fails_once_with_its_message_and_status_names_it(
    tmp_path: Path, redis: RedisServer
) -> None:
    redis.flush()
    (good,) = team_workbooks(tmp_path / "in", 1)
    bad = tmp_path / "in" / "notes.xlsx"
    bad.write_text("date,channel,activity\n2026-10-01,SEO,page\n")
    config = queue_config(tmp_path / "reportgen.toml", redis, free_port())
    out = tmp_path / "out"
    with workers(tmp_path, 1, "--concurrency", "1", "--config", str(config)) as (worker,):
        batch = reportgen("batch", good, bad, "--out", out, "--queue", "--config", config, "--as-of", AS_OF,
                          cwd=tmp_path)  # fmt: skip
        code, stdout, stderr = finished(batch)
        assert code == ExitCode.BAD_INPUT, stdout + stderr
        assert "Traceback" not in stdout + stderr
        flat = " ".join(stdout.split())
        assert "this is a text or CSV file, not a workbook" in flat  # local batch's own words
        assert "reportgen-task-" not in stdout  # the user's path, never the worker's copy
        assert (out / "team01-2026-10.pdf").is_file()
        assert not (out / "notes-2026-10.pdf").exists()
        status = reportgen("queue", "status", "--config", config, cwd=tmp_path)
        code, shown, err = finished(status, 60)
        assert code == ExitCode.OK, err
        assert worker.name in shown
        assert f"build: {bad}" in shown
        assert "this is a text or CSV file, not a workbook" in shown
        time.sleep(3)  # a retry would have come by now
        assert worker.output().count("build notes.xlsx: started") == 1

        # the same build again: the stored result, not a second build (a redelivered message costs nothing)
        second_out = tmp_path / "again"
        again = reportgen("batch", good, "--out", second_out, "--queue", "--config", config, "--as-of", AS_OF,
                          cwd=tmp_path)  # fmt: skip
        code, stdout, stderr = finished(again)
        assert code == ExitCode.OK, stdout + stderr
        assert "build team01.xlsx: built before" in worker.output()
        assert (second_out / "team01-2026-10.pdf").read_bytes() == (out / "team01-2026-10.pdf").read_bytes()


def test_redis_down_is_said_with_the_url_and_batch_local_still_works(tmp_path: Path) -> None:
    (book,) = team_workbooks(tmp_path / "in", 1)
    url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"  # nothing listens there
    env = {**os.environ, "REPORTGEN_QUEUE_URL": url}
    shown = url.replace("hunter2", "***")
    for args in (
        ("batch", book, "--out", tmp_path / "queued", "--queue", "--as-of", AS_OF),
        ("batch", book, "--out", tmp_path / "queued", "--as-of", AS_OF),  # a url set: the queue, as serve's
        ("watch", tmp_path / "in", "--as-of", AS_OF),
        ("worker", "--concurrency", "1"),
        ("queue", "status"),
    ):
        code, stdout, stderr = finished(reportgen(*args, cwd=tmp_path, env=env), 120)
        assert code == ExitCode.QUEUE_FAILED, (args, stdout, stderr)
        assert f"The queue at {shown} cannot be reached" in stderr
        assert "hunter2" not in stdout + stderr
        assert "Traceback" not in stderr
    assert not (tmp_path / "queued" / "team01-2026-10.pdf").exists()
    code, stdout, stderr = finished(reportgen("batch", book, "--out", tmp_path / "here", "--local",
                                              "--as-of", AS_OF, cwd=tmp_path, env=env))  # fmt: skip
    assert code == ExitCode.OK, stdout + stderr
    assert (tmp_path / "here" / "team01-2026-10.pdf").is_file()


def test_without_a_url_the_queue_commands_say_how_to_give_one(tmp_path: Path) -> None:
    (book,) = team_workbooks(tmp_path / "in", 1)
    code, stdout, stderr = finished(
        reportgen("batch", book, "--out", tmp_path / "out", "--queue", "--as-of", AS_OF, cwd=tmp_path), 120
    )
    assert code == ExitCode.QUEUE_FAILED
    assert "No queue is configured" in stderr and "REPORTGEN_QUEUE_URL" in stderr


def test_worker_output_names_itself(tmp_path: Path, redis: RedisServer) -> None:
    """A started worker says its name, concurrency and the url, and answers `queue status`."""
    redis.flush()
    env = {**os.environ, "REPORTGEN_QUEUE_URL": redis.url}
    worker = WorkerProcess(tmp_path / "worker.log", "--concurrency", "2", env=env)
    try:
        wait_until(lambda: "waiting for builds and sends" in worker.output(), 60, "the worker's first line")
        assert f"reportgen worker {worker.name}: 2 at once" in worker.output()
        client = QueueClient(QueueSettings(redis.url))
        wait_until(lambda: any(w.name == worker.name for w in queue_status(client).workers), 60, "its answer")
        (shown,) = [w for w in queue_status(client).workers if w.name == worker.name]
        assert shown.concurrency == 2 and shown.running == 0
    finally:
        worker.stop()
    assert worker.process.returncode == 0  # SIGTERM: a warm shutdown, exit 0


# A pool process killed before the worker takes tasks (the out-of-memory killer at a bad moment): Celery gives
# the whole worker up. The race is made certain, not left to timing: the first pool process kills itself as
# it starts, and the worker checks its pool only once that death can be seen.
DIES_AT_START = """
import os, signal, sys, time
import billiard.pool
from celery.signals import worker_process_init
import multiprocessing

def die(**_):
    if multiprocessing.current_process().index == 0:
        os.kill(os.getpid(), signal.SIGKILL)

def after_the_death(pool):
    while all(process.exitcode is None for process in pool._pool):
        time.sleep(0.01)
    return checked(pool)

checked, billiard.pool.Pool.did_start_ok = billiard.pool.Pool.did_start_ok, after_the_death
worker_process_init.connect(die, weak=False)
from reportgen.apps.cli.main import run
sys.argv = ["reportgen", "worker", "--concurrency", "2"]
run()
"""


def test_a_worker_celery_gives_up_exits_with_the_queue_status_and_says_so(
    tmp_path: Path, redis: RedisServer
) -> None:
    """A supervisor (systemd's Restart=on-failure) starts a worker again only if its exit status says it
    failed; and the worker never said it was waiting for tasks it could not take."""
    env = {**os.environ, "REPORTGEN_QUEUE_URL": redis.url, "TMPDIR": str(tmp_path)}
    process = subprocess.run(
        [sys.executable, "-c", DIES_AT_START], capture_output=True, text=True, env=env, timeout=120
    )
    output = process.stdout + process.stderr
    assert process.returncode == ExitCode.QUEUE_FAILED, output
    assert "Could not start worker processes" in output
    name = f"reportgen-{process_id(output)}@"
    assert f"reportgen worker {name}" in output and "stopped: Celery gave it up (exit status 1" in output
    assert "waiting for builds and sends" not in output
    assert list(tmp_path.iterdir()) == []  # its scratch folder, the dead pool process's inside it, is gone


def process_id(output: str) -> str:
    found = re.search(r"reportgen worker reportgen-(\d+)@", output)
    assert found, output
    return found.group(1)


def test_a_send_that_cannot_connect_yet_is_retried_and_arrives_once(
    tmp_path: Path, redis: RedisServer
) -> None:
    redis.flush()
    (book,) = team_workbooks(tmp_path / "in", 1)
    port = free_port()  # no mail server there yet: the send's first try cannot connect
    config = queue_config(tmp_path / "reportgen.toml", redis, port)
    out = tmp_path / "out"
    handler = Handler()
    with workers(tmp_path, 1, "--concurrency", "1", "--config", str(config)) as (worker,):
        batch = reportgen("batch", book, "--out", out, "--queue", "--email", "--config", config,
                          "--as-of", AS_OF, cwd=tmp_path)  # fmt: skip
        wait_until(lambda: "again in" in worker.output(), 120, "the send's first try failing")
        controller = Controller(handler, hostname=HOST, port=port)
        controller.start()
        try:
            code, stdout, stderr = finished(batch)
        finally:
            controller.stop()
        assert code == ExitCode.OK, stdout + stderr
        assert "send team01-2026-10.pdf: started (task" in worker.output()
        assert "try 2)" in worker.output()
    (message,) = handler.received
    assert pdf_attachment(message)[1] == (out / "team01-2026-10.pdf").read_bytes()


def test_a_send_refused_for_good_fails_once(tmp_path: Path, redis: RedisServer) -> None:
    redis.flush()
    (book,) = team_workbooks(tmp_path / "in", 1)
    handler = Handler(rcpt_always="550 5.1.1 no such mailbox")
    out = tmp_path / "out"
    with smtp_server(handler) as port:
        config = queue_config(tmp_path / "reportgen.toml", redis, port)
        with workers(tmp_path, 1, "--concurrency", "1", "--config", str(config)) as (worker,):
            batch = reportgen("batch", book, "--out", out, "--queue", "--email", "--config", config,
                              "--as-of", AS_OF, cwd=tmp_path)  # fmt: skip
            code, stdout, stderr = finished(batch)
            time.sleep(3)  # a retry would have come by now
            assert worker.output().count("send team01-2026-10.pdf: started") == 1
    assert code == ExitCode.DELIVERY_FAILED, stdout + stderr
    said = " ".join(stderr.split())
    assert "550 5.1.1 no such mailbox" in said
    assert str(out / "team01-2026-10.pdf") in said  # the front end's copy is named as kept
    assert not handler.received


def test_a_redis_restart_mid_batch_loses_no_workbook(tmp_path: Path, redis: RedisServer) -> None:
    """Redis killed while a batch runs and started again empty on its port: the workers reconnect by
    themselves, and the batch waits for it and enqueues again what it lost; every review comes back."""
    redis.flush()
    books = team_workbooks(tmp_path / "in", 6)
    with smtp_server(Handler()) as smtp_port:
        config = queue_config(tmp_path / "reportgen.toml", redis, smtp_port)
        out = tmp_path / "out"
        with workers(tmp_path, 2, "--concurrency", "1", "--config", str(config)) as started:
            batch = reportgen("batch", *books, "--out", out, "--queue", "--config", config, "--as-of", AS_OF,
                              "--month", "2026-10", cwd=tmp_path)  # fmt: skip
            wait_until(lambda: "build team" in started[0].output(), 120, "a worker building")
            redis.stop()  # everything it held is gone: queued tasks, results, stored builds
            time.sleep(3)
            redis.start()
            code, stdout, stderr = finished(batch)
            assert code == ExitCode.OK, stdout + stderr
            assert "Traceback" not in stderr
            assert all(worker.process.poll() is None for worker in started)  # both reconnected
    expected = sorted(f"{book.stem}-2026-10.pdf" for book in books)
    assert sorted(path.name for path in out.glob("*.pdf")) == expected
    assert "waiting for it to come back" in stderr and "enqueued again" in stderr


def test_a_queued_build_lists_its_findings_in_the_runs_language_as_a_local_build_does(
    tmp_path: Path, redis: RedisServer
) -> None:
    """watch's .log for a Chinese workbook, in a run in English: through the queue, each finding's severity
    was in Chinese and its sentence in Chinese, the review's language, beside the log's English lines; a
    local build lists them in the run's language. The oracle is the local build's lines."""
    redis.flush()
    book = make_workbook(tmp_path, OCTOBER_ROWS, ZH_HEADERS, name="xinghe.xlsx", sheet="活动")
    for out in ("local", "queued"):
        (tmp_path / out).mkdir()
    job = Job(book, tmp_path / "local", "xinghe", dt.date.fromisoformat(AS_OF))
    local = build_job(job, "en")
    worker = WorkerProcess(
        tmp_path / "worker.log", "--concurrency", "1", env={**os.environ, "REPORTGEN_QUEUE_URL": redis.url}
    )
    try:
        client = QueueClient(QueueSettings(redis.url))
        (queued,) = run_queued_jobs([dataclasses.replace(job, out_dir=tmp_path / "queued")], client, "en")
    finally:
        worker.stop()
    assert local.lang == queued.lang == "zh" and local.errors == queued.errors == 1, (local, queued)
    assert queued.finding_lines == local.finding_lines != ()
    english = catalogue("en")
    for line in queued.finding_lines:
        severity, where, sentence = line.split("\t")
        assert severity in {english.text(f"severity.{each}") for each in ("error", "warning", "info")}, line
        assert where.startswith("活动!") and not re.search(r"[\u4e00-\u9fff]", sentence), line
