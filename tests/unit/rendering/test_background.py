"""The background steps: results arrive by name, in order, from a forked child or in-process without fork."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from reportgen.base import speed
from reportgen.rendering import background
from reportgen.rendering.background import Background, LazyCharts
from reportgen.rendering.pdf import Asset


@pytest.fixture(autouse=True)
def spare_core(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests fork: this process is not a crowded batch build here, even in a pytest-xdist worker that
    takes a core of its own (tests/conftest.py)."""
    monkeypatch.setattr(speed, "_spare_core", True)


@pytest.fixture(autouse=True)
def single_threaded() -> None:
    """These steps fork only from a single-threaded process. A test that ran before in this pytest worker
    may still be ending a thread (a mail server's loop closing, a request thread joined with a timeout): wait
    for it, a while, so what is tested is the fork and not the order the tests ran in."""
    deadline = time.monotonic() + 20
    while threading.active_count() > 1 and time.monotonic() < deadline:
        time.sleep(0.05)


def test_results_come_from_a_child_process_by_name() -> None:
    assert background.can_fork(), [thread.name for thread in threading.enumerate()]
    job = Background({"pid": os.getpid, "table": lambda: b"x" * 100_000})
    assert job.get("table") == b"x" * 100_000  # asked out of order: the earlier step is kept meanwhile
    assert job.get("pid") != os.getpid()


def test_a_failing_step_is_raised_in_the_parent_with_its_cause() -> None:
    def broken() -> None:
        raise ValueError("no such chart")

    job = Background({"charts": broken, "table": lambda: b""})
    with pytest.raises(RuntimeError, match="'charts' failed: ValueError: no such chart"):
        job.get("table")


def test_without_fork_the_steps_run_in_this_process_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(background.multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    calls: list[str] = []

    def step(name: str, value: Callable[[], int]) -> Callable[[], int]:
        def run() -> int:
            calls.append(name)
            return value()  # os.getpid: the pid of the process the step runs in

        return run

    job = Background({"a": step("a", os.getpid), "b": step("b", lambda: 2)})
    assert calls == []
    assert job.get("a") == os.getpid()
    assert calls == ["a"]
    assert job.get("b") == 2
    assert calls == ["a", "b"]


def test_with_every_core_taken_the_steps_run_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch worker whose neighbours take every core (base/speed.cores_taken) forks nothing."""
    assert background.can_fork()
    speed.cores_taken()
    assert not speed.spare_core()
    job = Background({"pid": os.getpid})
    assert job.get("pid") == os.getpid()


def test_lazy_charts_is_a_mapping_of_the_charts_step() -> None:
    charts = LazyCharts(Background({"charts": lambda: {"goals": Asset(b"<svg/>", "image/svg+xml")}}))
    assert list(charts) == ["goals"]
    assert charts["goals"].data == b"<svg/>"
    with pytest.raises(KeyError):
        Background({}).get("charts")


def test_a_large_result_waiting_in_the_pipe_does_not_hold_back_the_next_step(tmp_path: Path) -> None:
    """The figures of 100,000 rows wait in the pipe until the PDF is written; the table after them must be
    made meanwhile, not once the parent has asked for the figures."""
    assert background.can_fork(), [thread.name for thread in threading.enumerate()]
    marker = tmp_path / "second-step-ran"
    job = Background({"large": lambda: b"x" * 8_000_000, "second": lambda: marker.write_text("ran")})
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists()  # before anything was asked of the child
    assert len(job.get("large")) == 8_000_000 and job.get("second") == 3


def test_a_result_that_cannot_be_sent_is_that_steps_failure() -> None:
    job = Background({"unpicklable": lambda: threading.Lock()})
    with pytest.raises(RuntimeError, match="unpicklable"):
        job.get("unpicklable")


def test_a_stop_at_the_fork_waits_for_it_and_the_child_takes_signals_as_before() -> None:
    """A stop that arrives while the child is forked is taken after the fork, in the caller's code (inside
    the fork's own hooks Python could only print it), and the child is not left holding signals."""
    taken: list[int] = []
    previous = signal.signal(signal.SIGUSR1, lambda signum, frame: taken.append(signum))
    try:
        before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
        with background.stops_held() as mask:
            assert set(mask) == before
            os.kill(os.getpid(), signal.SIGUSR1)  # not held: taken at once
            assert taken == [signal.SIGUSR1]
            assert signal.pthread_sigmask(signal.SIG_BLOCK, []) >= background.HELD_WHILE_FORKING
        assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == before
        job = Background({"mask": lambda: signal.pthread_sigmask(signal.SIG_BLOCK, [])})
        assert job.get("mask") == before  # forked while held, the child let go
    finally:
        signal.signal(signal.SIGUSR1, previous)


def test_a_stop_taken_as_the_signals_are_held_leaves_the_mask_as_it_was(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """pthread_sigmask runs the handlers of signals pending when it returns: a stop raised there, just after
    the signals were held, must not leave them held for the rest of the process's life."""
    block = signal.pthread_sigmask
    before = block(signal.SIG_BLOCK, [])

    class Stop(Exception):
        pass

    def holds_then_a_handler_raises(how: int, mask: Iterable[int]) -> set[int]:
        previous = block(how, mask)
        if how == signal.SIG_BLOCK and set(mask):
            raise Stop
        return previous

    monkeypatch.setattr(signal, "pthread_sigmask", holds_then_a_handler_raises)
    with pytest.raises(Stop), background.stops_held():
        pass
    assert block(signal.SIG_BLOCK, []) == before
