"""No process outlives the command that started it, however the command is stopped: SIGTERM (systemd's stop,
`kill`, a container's stop), SIGINT to the command alone, SIGHUP (its terminal closed), SIGKILL (nothing of
its own runs after it), and Ctrl-C (SIGINT to the whole foreground process group). Each long-running command
is stopped with its processes at work (serve's build pool, a batch's and watch's builds in their forkserver's
children, the worker's pool) and /proc is searched for any process carrying the command's mark. Nor any file:
once the next reportgen command has run, the temp folder holds nothing of the stopped one (a command killed
outright cannot clean up after itself; the next one removes what it left, base/scratch.py)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.webserver import SAMPLES, free_port
from tests.processes import MARK, children, kill_marked, left_after, new_mark, open_in, wait_for_marked
from tests.servers import RedisServer

# pages laid out anew: a page recalled from the render memo would end a build before the stop it waits for
pytestmark = pytest.mark.usefixtures("no_render_memo")

READY_SECONDS = 120.0  # a loaded two-core machine starts a pool of spawned processes slowly
GONE_SECONDS = 5.0  # what may still be ending once the command has (less than a build takes)
STOPS = ["SIGTERM", "SIGINT", "SIGHUP", "SIGKILL", "Ctrl-C"]
# what the temp files and folders of reportgen, WeasyPrint, multiprocessing and tempfile are called
TEMP_NAMES = ("reportgen-", "weasyprint-", "pymp-", "tmp")


STARTED: list[Started] = []  # every command a test started: after it, killed if alive, its temp removed


@pytest.fixture(autouse=True)
def _clean_up_after_the_test() -> Iterator[None]:
    """Whatever a test started, even one that failed before it could stop it: no process, no folder left."""
    yield
    while STARTED:
        started = STARTED.pop()
        kill_marked(started.mark)
        shutil.rmtree(started.temp, ignore_errors=True)


def left_in_temp(temp: Path) -> list[str]:
    return sorted(path.name for path in temp.iterdir() if path.name.startswith(TEMP_NAMES))


def next_command(temp: Path) -> None:
    """Any reportgen command, as the next one on the machine: here `--version`, in the same temp folder."""
    subprocess.run(
        [sys.executable, "-m", "reportgen", "--version"],
        env={**os.environ, "TMPDIR": str(temp)},
        check=True,
        capture_output=True,
        timeout=60,
    )


@dataclass
class Started:
    process: subprocess.Popen[bytes]
    mark: str
    log: Path
    temp: Path
    service: bool  # serve, watch, worker, schedule run: SIGTERM is theirs to handle, SIGHUP ends them at once

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start(tmp_path: Path, *args: str | Path, env: dict[str, str] | None = None) -> Started:
    """The command in a temp folder of its own (TMPDIR): a short one, as /tmp is, so that a forkserver's
    socket path fits inside the command's scratch folder (base/scratch.py)."""
    mark = new_mark()
    log = tmp_path / "output.log"
    temp = Path(tempfile.mkdtemp(prefix="rg-", dir="/tmp"))
    with log.open("wb") as stream:
        process = subprocess.Popen(
            [sys.executable, "-m", "reportgen", *map(str, args)],
            stdout=stream,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "TMPDIR": str(temp), **(env or {}), MARK: mark},
            start_new_session=True,  # a process group of its own, as a shell's foreground job has
        )
    words = [str(arg) for arg in args[:2]]
    service = words[:1] in (["serve"], ["watch"], ["worker"]) or words == ["schedule", "run"]
    STARTED.append(Started(process, mark, log, temp, service))
    return STARTED[-1]


def stop(started: Started, how: str) -> int:
    """Stop the command the way `how` says; its exit status (negative: the signal that ended it)."""
    if how == "Ctrl-C":
        os.killpg(started.process.pid, signal.SIGINT)
    else:
        started.process.send_signal(signal.Signals[how])
    return started.process.wait(timeout=90)


@pytest.fixture
def stopped_clean() -> Iterator[Callable[[Started, str, int], int]]:
    """Stop a started command, then assert none of its processes is left (and kill any that is)."""

    def check(started: Started, how: str, ready: int) -> int:
        at_work = wait_for_marked(started.mark, ready, READY_SECONDS)
        code = stop(started, how)
        left = left_after(started.mark, GONE_SECONDS)
        assert not left, f"after {how}, left of {sorted(at_work)}: {left}\n{started.output()}"
        if how != "SIGKILL" and not (how == "SIGHUP" and started.service):  # it could clean up: it did
            assert left_in_temp(started.temp) == [], f"after {how}"
        next_command(started.temp)
        assert left_in_temp(started.temp) == [], f"after {how} and the next command"
        return code

    yield check  # _clean_up_after_the_test kills what is left


def workbooks(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    copies = []
    for index in range(count):
        copy = folder / f"team{index:02}.xlsx"
        shutil.copyfile(SAMPLES / "northwind-en.xlsx", copy)
        copies.append(copy)
    return copies


def answers(url: str, started: Started) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            assert started.process.poll() is None, started.output()
            assert time.monotonic() < deadline, started.output()
        time.sleep(0.2)


@pytest.mark.parametrize("how", STOPS)
def test_serve_leaves_no_process(tmp_path: Path, how: str, stopped_clean: Callable[..., int]) -> None:
    port = free_port()
    config = SAMPLES / "reportgen.toml"
    started = start(tmp_path, "serve", "--port", str(port), "--as-of", "2026-11-03", "--config", config)
    answers(f"http://127.0.0.1:{port}/", started)
    code = stopped_clean(started, how, 4)  # serve, its two build processes, their resource tracker
    if how in ("SIGTERM", "SIGINT", "Ctrl-C"):  # a stop it was asked for: no error, nothing said about it
        assert code == 0, started.output()
        assert "Aborted" not in started.output() and "Traceback" not in started.output()


@pytest.mark.parametrize("how", STOPS)
def test_batch_leaves_no_process(tmp_path: Path, how: str, stopped_clean: Callable[..., int]) -> None:
    books = workbooks(tmp_path / "in", 6)
    out = tmp_path / "out"
    started = start(tmp_path, "batch", *books, "--jobs", "2", "--out", out, "--as-of", "2026-11-03")
    code = stopped_clean(started, how, 4)  # batch, its forkserver and resource tracker, a build
    if how == "Ctrl-C":
        assert code == 130, started.output()


@pytest.mark.parametrize("how", STOPS)
def test_watch_leaves_no_process(tmp_path: Path, how: str, stopped_clean: Callable[..., int]) -> None:
    inbox = tmp_path / "inbox"
    workbooks(inbox, 4)
    started = start(tmp_path, "watch", inbox, "--settle", "0.2", "--as-of", "2026-11-03")
    code = stopped_clean(started, how, 4)  # watch, its forkserver and resource tracker, a build
    if how in ("SIGTERM", "SIGINT", "Ctrl-C"):
        assert code == 0, started.output()


@pytest.mark.parametrize("how", STOPS)
def test_worker_leaves_no_process(
    tmp_path: Path, how: str, redis: RedisServer, stopped_clean: Callable[..., int]
) -> None:
    config = tmp_path / "reportgen.toml"
    config.write_text(f'[queue]\nurl = "{redis.url}"\n', "utf-8")
    started = start(tmp_path, "worker", "--config", config, "--concurrency", "2")
    deadline = time.monotonic() + READY_SECONDS
    while "waiting for builds and sends" not in started.output():  # it takes tasks
        assert started.process.poll() is None and time.monotonic() < deadline, started.output()
        time.sleep(0.1)
    code = stopped_clean(started, how, 3)  # the worker and its two pool processes
    if how in ("SIGTERM", "SIGINT", "Ctrl-C"):  # a stop it was asked for: Celery's Ctrl-C code is no failure
        assert code == 0 and "gave it up" not in started.output(), started.output()


@pytest.mark.parametrize("how", STOPS)
def test_schedule_run_leaves_no_process(tmp_path: Path, how: str, stopped_clean: Callable[..., int]) -> None:
    (book,) = workbooks(tmp_path / "books", 1)
    tick = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    config = tmp_path / "reportgen.toml"
    config.write_text(
        f'[schedule]\nworkbooks = "{book}"\nday = {min(tick.day, 28)}\ntime = "06:00:00"\ntimezone = "UTC"\n',
        "utf-8",
    )
    started = start(tmp_path, "schedule", "run", "--config", config)
    deadline = time.monotonic() + READY_SECONDS
    while not started.output().strip():  # its first line: it has started
        assert started.process.poll() is None and time.monotonic() < deadline, started.output()
        time.sleep(0.1)
    code = stopped_clean(started, how, 1)
    if how in ("SIGTERM", "SIGINT", "Ctrl-C"):
        assert code == 0, started.output()


def test_a_build_leaves_no_file(tmp_path: Path) -> None:
    pdf = tmp_path / "review.pdf"
    env = {"REPORTGEN_ARCHIVE_URL": f"sqlite:///{tmp_path / 'archive.db'}"}
    finished = start(
        tmp_path, "build", SAMPLES / "northwind-en.xlsx", "--as-of", "2026-11-03", "-o", pdf, env=env
    )
    assert finished.process.wait(timeout=300) == 0, finished.output()
    assert pdf.read_bytes().startswith(b"%PDF")
    assert list(finished.temp.iterdir()) == []  # WeasyPrint's copy of the fonts (18 MB) included


def test_a_batch_leaves_no_file(tmp_path: Path) -> None:
    """Each build process of a batch ends with os._exit: each left WeasyPrint's copy of the fonts."""
    books = workbooks(tmp_path / "in", 2)
    out = tmp_path / "out"
    env = {"REPORTGEN_ARCHIVE_URL": f"sqlite:///{tmp_path / 'archive.db'}"}
    finished = start(tmp_path, "batch", *books, "--jobs", "2", "--out", out, "--as-of", "2026-11-03", env=env)
    assert finished.process.wait(timeout=300) == 0, finished.output()
    assert len(list(out.glob("*.pdf"))) == 2
    assert list(finished.temp.iterdir()) == []


@pytest.mark.parametrize("how", ["SIGTERM", "SIGHUP", "SIGKILL"])
def test_a_build_stopped_mid_layout_leaves_no_file(tmp_path: Path, how: str) -> None:
    """SIGTERM (`timeout` in a cron line, systemd's stop) and SIGHUP unwind the build as Ctrl-C does, then
    end it by that signal as before; after SIGKILL, which nothing survives, the next command cleans up."""
    pdf = tmp_path / "review.pdf"
    env = {"REPORTGEN_ARCHIVE_URL": f"sqlite:///{tmp_path / 'archive.db'}"}
    build = start(
        tmp_path, "build", SAMPLES / "northwind-en.xlsx", "--as-of", "2026-11-03", "-o", pdf, env=env
    )
    deadline = time.monotonic() + READY_SECONDS
    while not list(build.temp.glob("reportgen-scratch-*/weasyprint-*")):  # the page is being laid out
        assert build.process.poll() is None and time.monotonic() < deadline, build.output()
        time.sleep(0.05)
    signum = signal.Signals[how]
    build.process.send_signal(signum)
    assert build.process.wait(timeout=60) == -signum, build.output()
    assert left_after(build.mark, GONE_SECONDS) == {}
    assert not pdf.exists() and "Traceback" not in build.output()
    if how == "SIGKILL":
        assert left_in_temp(build.temp) != []  # nothing of its own ran after SIGKILL
        next_command(build.temp)
    assert left_in_temp(build.temp) == []


def test_a_worker_removes_what_a_killed_build_process_left(
    tmp_path: Path, redis: RedisServer, stopped_clean: Callable[..., int]
) -> None:
    """A pool process killed outright (the out-of-memory killer's usual pick) leaves its folder, with what
    its build had written, inside the running worker's; the process that replaces it removes that folder."""
    config = tmp_path / "reportgen.toml"
    config.write_text(f'[queue]\nurl = "{redis.url}"\n', "utf-8")
    started = start(tmp_path, "worker", "--config", config, "--concurrency", "2")
    wait_for_marked(started.mark, 3, READY_SECONDS)  # the worker and its two pool processes

    def own_folders() -> set[Path]:
        return set(started.temp.glob("reportgen-scratch-*/reportgen-scratch-*"))

    def held() -> dict[int, Path]:
        """Each pool process and the folder of its own it holds open (its lock), from /proc."""
        return {
            pid: folder for pid in children(started.process.pid) for folder in own_folders() & open_in(pid)
        }

    deadline = time.monotonic() + READY_SECONDS
    # a pool process killed before the worker takes tasks makes Celery give the whole worker up (test_queue)
    while len(before := held()) < 2 or "waiting for builds and sends" not in started.output():
        assert time.monotonic() < deadline, f"{before} of {children(started.process.pid)}; {own_folders()}"
        time.sleep(0.1)
    for folder in before.values():
        (folder / "team.xlsx").write_bytes(b"a build's copy of the team workbook")
    killed, living = sorted(before)
    os.kill(killed, signal.SIGKILL)
    deadline = time.monotonic() + READY_SECONDS  # a new pool process, started on a loaded machine
    while before[killed].exists() or len(now := held()) != 2 or set(now.values()) != own_folders():
        assert time.monotonic() < deadline, (
            f"{before} then {held()}; {own_folders()}; the worker's exit status: {started.process.poll()}\n"
            f"{started.output()[-4000:]}"
        )  # a worker gone meanwhile takes its whole scratch folder with it: its output says why
        time.sleep(0.1)
    assert now[living] == before[living] and (before[living] / "team.xlsx").exists()  # the living one's stays
    stopped_clean(started, "SIGTERM", 3)
