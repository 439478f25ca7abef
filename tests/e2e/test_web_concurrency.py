"""Builds run in a process pool: while one slow build runs, the page answers and another upload is checked."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from reportgen.base.errors import ExitCode
from tests.e2e.webserver import SAMPLES, running_server
from tests.processes import children

# a slow build is a laid-out one, not a recalled one
pytestmark = pytest.mark.usefixtures("no_render_memo")


def token(client: httpx.Client) -> str:
    found = re.search(r'name="token" value="([^"]+)"', client.get("/").text)
    assert found
    return found.group(1)


def upload(client: httpx.Client, workbook: Path) -> httpx.Response:
    return client.post(
        "/upload",
        data={"token": token(client)},
        files={"workbook": (workbook.name, workbook.read_bytes(), "application/octet-stream")},
    )


def test_a_slow_build_blocks_neither_the_page_nor_another_upload(tmp_path: Path) -> None:
    with running_server(tmp_path) as base, httpx.Client(base_url=base, timeout=120) as client:
        first = upload(client, SAMPLES / "northwind-en.xlsx")
        assert first.status_code == 303
        location = first.headers["location"]
        finished: dict[str, float] = {}

        def build() -> None:
            response = client.post(
                f"{location}/build", data={"token": token(client), "month": "2026-10", "lang": "en"}
            )
            assert response.status_code == 303
            finished["build"] = time.monotonic()

        started = time.monotonic()
        worker = threading.Thread(target=build)
        worker.start()
        time.sleep(0.5)  # the build is under way in the pool
        before = time.monotonic()
        page = client.get("/")
        page_seconds = time.monotonic() - before
        second = upload(client, SAMPLES / "xinghe-zh.xlsx")
        upload_done = time.monotonic()
        worker.join(120)
        assert page.status_code == 200 and second.status_code == 303
        assert "build" in finished, "the build did not finish"
        build_seconds = finished["build"] - started
        print(
            f"build {build_seconds:.2f} s; page during it {page_seconds:.3f} s; "
            f"second upload checked {upload_done - started:.2f} s after the build began"
        )
        assert upload_done < finished["build"]  # the second upload did not wait for the build
        assert page_seconds < 1.0 < build_seconds


def serve_pool(port: int) -> list[int]:
    """The build processes of the serve on `port`: its spawned children, not the resource tracker."""
    (server,) = [pid for pid, line in commands().items() if " serve " in line and f"--port {port}" in line]
    return [pid for pid in children(server) if "spawn_main" in commands().get(pid, "")]


def commands() -> dict[int, str]:
    """Every process's command line, by pid."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    return found


def test_serve_builds_again_after_a_build_process_is_killed(tmp_path: Path) -> None:
    """A pool whose process died is broken for good; serve starts a new one (it answered 500 to every build
    after that, until restarted)."""
    with running_server(tmp_path) as base, httpx.Client(base_url=base, timeout=120) as client:
        port = int(base.rsplit(":", 1)[1])

        def upload_and_build(workbook: Path) -> int:
            response = upload(client, workbook)
            assert response.status_code == 303, response.text
            location = response.headers["location"]
            built = client.post(
                f"{location}/build", data={"token": token(client), "month": "2026-10", "lang": "en"}
            )
            return built.status_code

        assert upload_and_build(SAMPLES / "northwind-en.xlsx") == 303
        (killed, *_) = serve_pool(port)
        os.kill(killed, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while Path(f"/proc/{killed}").exists():  # reaped: the pool has marked itself broken before that
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert upload_and_build(SAMPLES / "xinghe-zh.xlsx") == 303
        assert upload_and_build(SAMPLES / "northwind-en.xlsx") == 303
        assert killed not in serve_pool(port) and len(serve_pool(port)) == 2


def test_a_port_in_use_is_a_message_and_exit_1(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "reportgen", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
    assert result.returncode == ExitCode.BAD_INPUT
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr and "open http" not in result.stdout
