"""`reportgen watch` as a user runs it: a real process on a real folder, files dropped the way people do."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
from pypdf import PdfReader

from reportgen.base.errors import ExitCode
from tests.builders import OCTOBER_ROWS, make_workbook

SETTLE = 1.5  # seconds a file must stay unchanged; the slow writer pauses well below it
TIMEOUT = 180.0  # bounded waits: builds are slow on a loaded two-core machine
OCTOBER = OCTOBER_ROWS[:2]


class Watch:
    """A `reportgen watch` process whose log lines are read from a file."""

    def __init__(self, inbox: Path, log: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.log = log
        self.offset = log.stat().st_size if log.exists() else 0
        self.stderr = log.with_suffix(".err")
        with log.open("a") as out, self.stderr.open("a") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "reportgen", "watch", str(inbox), "--settle", str(SETTLE)]
                + ["--as-of", "2026-11-03", *args],
                stdout=out,
                stderr=err,
                env={**os.environ, **(env or {})},
            )

    def lines(self) -> list[str]:
        return self.log.read_text("utf-8")[self.offset :].splitlines()

    def wait_for(self, what: Callable[[], bool], timeout: float = TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not what():
            assert self.process.poll() is None, (self.lines(), self.stderr.read_text("utf-8"))
            assert time.monotonic() < deadline, self.lines()
            time.sleep(0.1)

    def wait_for_line(self, text: str, count: int = 1) -> None:
        self.wait_for(lambda: sum(text in line for line in self.lines()) >= count)

    def stop(self, signum: int = signal.SIGINT) -> int:
        self.process.send_signal(signum)
        return self.process.wait(timeout=60)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def watches() -> Iterator[list[Watch]]:
    started: list[Watch] = []
    yield started
    for watch in started:
        watch.kill()


def write_slowly(data: bytes, target: Path, chunks: int = 8, pause: float = 0.3) -> None:
    """Write a workbook the way a slow copy does: in chunks, with pauses shorter than the settle time."""
    size = len(data) // chunks + 1
    with target.open("wb") as stream:
        for start in range(0, len(data), size):
            stream.write(data[start : start + size])
            stream.flush()
            time.sleep(pause)


def test_watch_builds_each_settled_workbook_once_ignores_the_rest_and_survives_a_restart(
    tmp_path: Path, watches: list[Watch]
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    log = tmp_path / "watch.log"
    source = make_workbook(tmp_path, OCTOBER, name="source.xlsx", title="Alpha Team — log")
    data = source.read_bytes()
    watch = Watch(inbox, log)
    watches.append(watch)
    watch.wait_for_line("Watching")
    assert "filesystem events" in watch.lines()[0]
    (inbox / "~$alpha.xlsx").write_bytes(data)  # Office's lock file
    (inbox / "alpha.xlsx.tmp").write_bytes(data[:100])  # a copy in progress under a temporary name
    (inbox / "sub").mkdir()
    (inbox / "sub" / "nested.xlsx").write_bytes(data)  # below the top level: never input
    (inbox / "bad.xlsx").write_text("not a workbook at all\n")
    write_slowly(data, inbox / "alpha.xlsx")
    watch.wait_for(lambda: (inbox / "done" / "alpha.xlsx.log").exists())
    watch.wait_for(lambda: (inbox / "failed" / "bad.xlsx.log").exists())

    pdf = inbox / "out" / "alpha-2026-10.pdf"
    assert len(PdfReader(pdf).pages) >= 2
    assert (inbox / "done" / "alpha.xlsx").read_bytes() == data  # moved whole, never read half-written
    done_log = (inbox / "done" / "alpha.xlsx.log").read_text("utf-8")
    assert (
        f"Review: {pdf}" in done_log
        and "Findings: " in done_log
        and 'error\tActivities!I5\t"abc" is not an amount' in done_log
    )
    failed_log = (inbox / "failed" / "bad.xlsx.log").read_text("utf-8")
    assert "this is a text or CSV file, not a workbook" in failed_log
    lines = watch.lines()
    assert sum("alpha.xlsx: building" in line for line in lines) == 1
    assert sum("bad.xlsx: building" in line for line in lines) == 1
    assert any("bad.xlsx: no review:" in line and "failed/bad.xlsx" in line for line in lines)
    assert any("alpha.xlsx: review written to out/alpha-2026-10.pdf" in line for line in lines)
    assert not any("~$" in line or ".tmp" in line or "nested" in line for line in lines)
    left = {".reportgen-watch.json", "~$alpha.xlsx", "alpha.xlsx.tmp", "sub", "out", "done", "failed"}
    assert {path.name for path in inbox.iterdir()} == left  # ignored files stay where they were
    assert [path.name for path in (inbox / "sub").iterdir()] == ["nested.xlsx"]
    assert list((inbox / "out").iterdir()) == [pdf]

    assert watch.stop(signal.SIGINT) == ExitCode.OK
    assert watch.lines()[-1].endswith("Stopped watching.")
    assert "Traceback" not in watch.stderr.read_text("utf-8")

    # A restart: the same version dropped again is not rebuilt; a new version of the same name is.
    built_at = pdf.stat().st_mtime_ns
    (inbox / "alpha.xlsx").write_bytes(data)
    again = Watch(inbox, log)
    watches.append(again)
    again.wait_for_line("alpha.xlsx: this version was already processed")
    assert not any(": building" in line for line in again.lines())
    assert pdf.stat().st_mtime_ns == built_at
    assert (inbox / "done" / "alpha-2.xlsx").read_bytes() == data
    newer = make_workbook(tmp_path, OCTOBER[:1], name="newer.xlsx", title="Alpha Team — log")
    (inbox / "alpha.xlsx").write_bytes(newer.read_bytes())
    again.wait_for(lambda: (inbox / "done" / "alpha-3.xlsx.log").exists())
    assert sum("alpha.xlsx: building" in line for line in again.lines()) == 1
    assert pdf.stat().st_mtime_ns != built_at
    assert "Findings: " in (inbox / "done" / "alpha-3.xlsx.log").read_text("utf-8")
    assert again.stop(signal.SIGTERM) == ExitCode.OK
    assert again.lines()[-1].endswith("Stopped watching.")


def test_polling_fallback_finds_files_dropped_before_and_after_the_start(
    tmp_path: Path, watches: list[Watch]
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    out = tmp_path / "reviews"
    (inbox / "early.xlsx").write_text("dropped while nobody watched\n")
    watch = Watch(inbox, tmp_path / "watch.log", "--out", str(out), env={"REPORTGEN_WATCH_POLL": "1"})
    watches.append(watch)
    watch.wait_for_line("Watching")
    assert "polling every" in watch.lines()[0]
    make_workbook(tmp_path, OCTOBER, name="late.xlsx", title="Late Team — log")
    write_slowly((tmp_path / "late.xlsx").read_bytes(), inbox / "late.xlsx", chunks=4)
    watch.wait_for(lambda: (inbox / "done" / "late.xlsx.log").exists())
    watch.wait_for(lambda: (inbox / "failed" / "early.xlsx.log").exists())
    assert (out / "late-2026-10.pdf").read_bytes().startswith(b"%PDF-")
    assert watch.stop() == ExitCode.OK


def test_watch_refuses_a_missing_inbox_and_an_out_folder_that_is_the_inbox(tmp_path: Path) -> None:
    for args, code, text in (
        ([str(tmp_path / "nowhere")], ExitCode.BAD_INPUT, "this folder does not exist"),
        ([str(tmp_path), "--out", str(tmp_path)], ExitCode.USAGE, "--out must not be the inbox itself"),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "reportgen", "watch", *args], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == code and text in result.stderr and "Traceback" not in result.stderr


def said_any(watch: Watch, texts: list[str]) -> bool:
    """Whether any line the watch wrote holds one of `texts`."""
    return any(text in line for line in watch.lines() for text in texts)


class InotifyHog:
    """Every inotify instance this user may have, held open: the real condition in which filesystem events
    are unavailable (a machine whose `fs.inotify.max_user_instances` is used up; a network share is the other
    common one). Linux only; released as soon as the watch has started."""

    def __init__(self) -> None:
        import ctypes

        self.libc = ctypes.CDLL(None, use_errno=True)
        self.descriptors: list[int] = []

    def __enter__(self) -> InotifyHog:
        while len(self.descriptors) < 100_000:
            descriptor = self.libc.inotify_init1(os.O_CLOEXEC)
            if descriptor < 0:
                break
            self.descriptors.append(descriptor)
        return self

    def release(self) -> None:
        for descriptor in self.descriptors:
            os.close(descriptor)
        self.descriptors.clear()

    def __exit__(self, *exc: object) -> None:
        self.release()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")
def test_without_filesystem_events_watch_says_so_and_polls(tmp_path: Path, watches: list[Watch]) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    unavailable, available = "Filesystem events are not available", "(filesystem events)"
    for attempt in range(5):
        with InotifyHog() as hog:
            assert hog.descriptors, "could not take any inotify instance"
            watch = Watch(inbox, tmp_path / f"watch-{attempt}.log")
            watches.append(watch)
            chosen = [unavailable, available]
            watch.wait_for(partial(said_any, watch, chosen))
            hog.release()  # the watch has chosen; the machine gets its instances back
        if any(unavailable in line for line in watch.lines()):
            break
        # Another process (the other test worker's Chromium, say) let an instance go between the hog's last
        # grab and the watch's start, so events were available: not the condition under test. Again.
        assert watch.stop() == ExitCode.OK
    else:
        pytest.fail("every inotify instance was never held while a watch started (5 attempts)")
    fallback = next(line for line in watch.lines() if unavailable in line)
    assert "Too many open files" in fallback  # the reason, as the system gave it
    watch.wait_for_line("polling every")
    make_workbook(tmp_path, OCTOBER, name="alpha.xlsx").rename(inbox / "alpha.xlsx")
    watch.wait_for_line("alpha.xlsx: review written to")
    assert (inbox / "out" / "alpha-2026-10.pdf").is_file()
    assert watch.stop() == ExitCode.OK
