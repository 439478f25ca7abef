"""A real `reportgen serve` in a subprocess on a free port of 127.0.0.1 (browser and concurrency tests)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def running_server(
    tmp_path: Path, *args: str, config: Path = SAMPLES / "reportgen.toml", ready: str = "/"
) -> Iterator[str]:
    """Start the server, wait until it answers, yield its base URL; stop it (and check it stopped) after.
    A server that ends before it answers (its free port taken meanwhile: two pytest-xdist workers take ports
    at the same time) is started again on another port, twice at most."""
    # its upload folders land in tmp_path, so the test can look; its archive in tmp_path/data (a module's
    # server starts before the per-test data folder is set)
    env = {**os.environ, "TMPDIR": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    for attempt in range(3):
        port = free_port()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "reportgen",
                "serve",
                "--port",
                str(port),
                "--as-of",
                "2026-11-03",
                "--config",
                str(config),
                *args,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            if _answers(base, process, last=attempt == 2, ready=ready):
                break
        except BaseException:
            _stop(process)
            raise
    try:
        yield base
    finally:
        _stop(process)
    # a clean stop (uvicorn ends on the SIGTERM it handled) removed every upload folder
    assert process.returncode in (0, -signal.SIGTERM), process.stdout.read() if process.stdout else ""
    assert not list(tmp_path.glob("reportgen-serve-*"))


def _answers(base: str, process: subprocess.Popen[str], last: bool, ready: str = "/") -> bool:
    """Whether the started server answers at `base` within 30 s; False if it ended first (unless `last`);
    RuntimeError with its output if it never answered."""
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + ready, timeout=2) as response:
                if response.status == 200 and process.poll() is None:
                    return True
        except OSError as exc:
            if process.poll() is not None and not last:
                if process.stdout is not None:
                    process.stdout.close()
                return False
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"serve did not start: {process.stdout.read() if process.stdout else ''}"
                ) from exc
        time.sleep(0.2)


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
