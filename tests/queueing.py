"""`reportgen worker` as a real subprocess for the queue tests: in a process group of its own (so the test
can kill it and every pool process with one SIGKILL, as a machine that dies would), its output in a file."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reportgen.base.errors import ExitCode
from tests.commands import run

STOP_SECONDS = 30


class WorkerProcess:
    def __init__(self, log: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.log = log
        self._stream = log.open("wb")
        # its tasks' working folders in the test's own folder: a worker killed mid-build (as a machine that
        # dies) cannot remove them, and the suite leaves no file behind
        temp = log.with_name(f"{log.stem}-tmp")
        temp.mkdir(exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "reportgen", "worker", *args],
            stdout=self._stream,
            stderr=subprocess.STDOUT,
            env={**(os.environ if env is None else env), "TMPDIR": str(temp)},
            start_new_session=True,  # its own process group: the test can kill it with its pool
        )

    @property
    def name(self) -> str:
        """The name the worker gives itself (reportgen-<pid>@<host>)."""
        return f"reportgen-{self.process.pid}@{socket.gethostname()}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL to the worker and its pool processes at once."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """SIGTERM (a warm shutdown), then SIGKILL if it does not end."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._stream.close()


@contextmanager
def workers(folder: Path, count: int, *args: str) -> Iterator[list[WorkerProcess]]:
    started = [WorkerProcess(folder / f"worker-{index}.log", *args) for index in range(count)]
    try:
        yield started
    finally:
        for worker in started:
            worker.stop()


def run_now_on_a_worker(folder: Path, config: Path, env: dict[str, str], team: str = "harbor") -> str:
    """`schedule run-now TEAM` with one real worker up for it; asserts it succeeded and that the worker, not
    this process, built the workbook. What run-now printed."""
    worker = WorkerProcess(folder / "worker.log", "--concurrency", "1", "--config", str(config), env=env)
    try:
        result = run("schedule", "run-now", team, "--config", config, env=env)
    finally:
        worker.stop()
    assert result.returncode == ExitCode.OK, result.stdout + result.stderr
    assert f"build {team}.xlsx: started" in worker.output()  # built on the worker, not here
    return result.stdout


def wait_until(condition: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds} s: {what}")
