"""A build killed with SIGKILL or SIGTERM leaves nothing behind: within 5 s every process it started is gone
and the caller's pipes reach their end (batch, watch, serve, a queue worker or CI wait on them)."""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.processes import alive, children, descendants

# pages laid out anew: a page recalled from the render memo would end a build before the stop it waits for
pytestmark = pytest.mark.usefixtures("no_render_memo")

ROOT = Path(__file__).resolve().parents[2]
GONE_WITHIN = 5.0


def end_of(stream: int, seconds: float) -> bool:
    """Whether the pipe reaches its end (every writer closed it) within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([stream], [], [], max(0.0, deadline - time.monotonic()))
        if ready and not os.read(stream, 65536):
            return True
    return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("signal_number", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
@pytest.mark.parametrize("moment", [0.0, 0.7, 1.8], ids=["at-fork", "drawing", "laying-out"])
def test_a_killed_build_leaves_no_process_and_no_open_pipe(
    tmp_path: Path, signal_number: int, moment: float
) -> None:
    workbook = tmp_path / "northwind-en.xlsx"
    shutil.copy(ROOT / "samples" / "northwind-en.xlsx", workbook)
    build = subprocess.Popen(
        [sys.executable, "-m", "reportgen", "build", str(workbook), "--month", "2026-10", "--as-of",
         "2026-11-03", "-o", str(tmp_path / "review.pdf")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    assert build.stdout is not None and build.stderr is not None
    deadline = time.monotonic() + 60
    while not children(build.pid):  # the background child (charts, attachments) has been forked
        assert build.poll() is None, build.stderr.read().decode()
        assert time.monotonic() < deadline, "no background process appeared"
        time.sleep(0.01)
    started: set[int] = set()
    until = time.monotonic() + moment
    while True:  # every process the build started, even one that has already finished its work
        started |= descendants(build.pid)
        if time.monotonic() >= until:
            break
        time.sleep(0.01)
    assert started and build.poll() is None, "the build should still be running at this moment"
    build.send_signal(signal_number)
    build.wait(timeout=GONE_WITHIN)
    assert build.returncode == -signal_number
    deadline = time.monotonic() + GONE_WITHIN
    while any(alive(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in started if alive(pid)], "a process of the killed build is still alive"
    assert end_of(build.stdout.fileno(), GONE_WITHIN) and end_of(build.stderr.fileno(), GONE_WITHIN)
    assert not (tmp_path / "review.pdf").exists()  # nothing half-written either
