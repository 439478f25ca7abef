"""Work done in forked processes while the PDF renderer runs: the charts in one, what the PDF carries (the
figures, the attached table) in another (rendering.document forks both).

matplotlib's import and drawing (about a second cold) overlap WeasyPrint's import, font loading and the start
of the layout on the second core; the complete activity table (openpyxl, a second or more for thousands of
rows) is written beside the layout too, since the PDF needs it only when it is written. Where fork is
not available (Windows, macOS's default), or another thread runs (a fork would copy its held locks), or the
builds beside this one take every core (a batch's workers: base/speed.cores_taken), or the `fork_background`
switch of base/speed.py is off, the steps run in-process when first asked: same order, same bytes.

The child never outlives the build: it asks Linux to kill it when its parent dies (PR_SET_PDEATHSIG, and
checks the parent did not die before that took effect), closes the inherited read end of its result pipe (so
a parent that is gone makes its writes fail instead of block), and lets go of the caller's stdout and stderr
(so whoever reads the build's output sees the end of it when the build ends).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from multiprocessing.connection import Connection
from typing import Any

from reportgen.base.speed import Switch, on, spare_core
from reportgen.rendering.pdf import Asset

logger = logging.getLogger(__name__)

Step = Callable[[], Any]


PR_SET_PDEATHSIG = 1  # prctl option: the signal this process gets when its parent dies


def die_with_parent(parent: int) -> None:
    """Ask the kernel to SIGKILL this process when its parent ends (Linux); exit now if it already has."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died between the fork and the prctl
        os._exit(1)


def let_go_of_caller_streams() -> None:
    """Point stdin, stdout and stderr at /dev/null: the child has nothing to say, and holding the caller's
    pipes open would keep whoever reads them waiting after the build has ended."""
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_RDWR)
        for descriptor in (0, 1, 2):
            os.dup2(null, descriptor)
        os.close(null)


HELD_WHILE_FORKING = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGHUP})  # Ctrl-C and the stops


@contextlib.contextmanager
def stops_held() -> Iterator[Iterable[int]]:
    """Hold Ctrl-C and stop signals while a child is forked, and yield the mask to restore in it: one that
    arrived at that moment would be raised inside the fork's own hooks (logging's, which then kept its
    lock), where Python only prints it; held, it is taken when the fork is made, in the caller's code."""
    if not hasattr(signal, "pthread_sigmask"):
        yield set()
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, ())  # read: a handler run here has nothing to undo
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, HELD_WHILE_FORKING)  # one run here: the finally undoes it
        yield previous
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _timed(step: Step) -> tuple[Any, float]:
    started = time.perf_counter()
    return step(), time.perf_counter() - started


def _run(
    steps: dict[str, Step],
    connection: Connection,
    receiver: Connection,
    parent: int,
    mask: Iterable[int],
) -> None:
    """The child's work: each step in order, its (picklable) result and time sent as soon as it exists; then
    exit. A thread sends while the next step runs: a large result (the figures of 100,000 rows) waits in the
    pipe until the parent asks for it, and the step after it must not wait with it (it cost a 100,000-row
    build 1.1 s). The parent logs the times, so no log line comes from this short-lived child."""
    if hasattr(signal, "pthread_sigmask"):  # the parent held them while it forked (stops_held)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    die_with_parent(parent)
    receiver.close()  # the parent's end: with it closed here, a dead parent means a broken pipe, not a hang
    let_go_of_caller_streams()
    outbox: queue.SimpleQueue[tuple[str, str, Any] | None] = queue.SimpleQueue()
    sender = threading.Thread(target=_send_all, args=(outbox, connection))
    sender.start()
    try:
        for name, step in steps.items():
            try:
                outbox.put((name, "ok", _timed(step)))
            except BaseException as exc:  # a bug: reported to the parent, which raises it
                outbox.put((name, "error", f"{type(exc).__name__}: {exc}"))
                return
    finally:
        outbox.put(None)
        sender.join()
        connection.close()


def _send_all(outbox: queue.SimpleQueue[tuple[str, str, Any] | None], connection: Connection) -> None:
    """The child's sending thread: each result in order, until the end mark; a parent gone ends it."""
    while (message := outbox.get()) is not None:
        try:
            connection.send(message)
        except OSError:  # the parent has gone (and this process goes with it)
            return
        except Exception as exc:  # a result that cannot be sent (not picklable): that step's failure
            with contextlib.suppress(OSError):
                connection.send((message[0], "error", f"{type(exc).__name__}: {exc}"))
            return


def can_fork() -> bool:
    """Fork only where it exists and only from a single-threaded process's main thread: a fork copies the
    locks other threads hold, and Linux's parent-death signal follows the forking thread, not the process."""
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and threading.current_thread() is threading.main_thread()
        and threading.active_count() == 1
    )


class Background:
    """Named steps run in order in a forked child (the `fork_background` switch, where a fork can be made);
    `get` waits for a step's result when first asked."""

    def __init__(self, steps: dict[str, Step]) -> None:
        self._steps = dict(steps)
        self._results: dict[str, Any] = {}
        self._process: Any = None
        self._connection: Connection | None = None
        if self._steps and on(Switch.FORK_BACKGROUND) and spare_core() and can_fork():
            context = multiprocessing.get_context("fork")
            receiver, sender = context.Pipe(duplex=False)
            with stops_held() as mask:
                self._process = context.Process(
                    target=_run, args=(self._steps, sender, receiver, os.getpid(), mask), daemon=True
                )
                self._process.start()
            sender.close()
            self._connection = receiver

    def get(self, name: str) -> Any:
        if name not in self._steps:
            raise KeyError(name)
        while name not in self._results:
            if self._connection is None:  # no fork: run the steps in order, in this process
                step = next(step for step in self._steps if step not in self._results)
                self._results[step], seconds = _timed(self._steps[step])
                logger.info("background %s: %.2f s (in this process: no fork)", step, seconds)
                continue
            step, status, payload = self._connection.recv()
            if status != "ok":
                self.close()
                raise RuntimeError(f"background step {step!r} failed: {payload}")
            self._results[step], seconds = payload
            logger.info("background %s: %.2f s (in a forked process, beside the layout)", step, seconds)
        if len(self._results) == len(self._steps):
            self.close()
        return self._results[name]

    def close(self) -> None:
        """Stop waiting: the child has sent everything (or failed); reap it."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
            self._process.join()


class LazyCharts(Mapping[str, Asset]):
    """The review's charts by name, from a background step; the first lookup waits for the drawing."""

    def __init__(self, background: Background, step: str = "charts") -> None:
        self._background = background
        self._step = step

    def _charts(self) -> dict[str, Asset]:
        charts: dict[str, Asset] = self._background.get(self._step)
        return charts

    def __getitem__(self, name: str) -> Asset:
        return self._charts()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._charts())

    def __len__(self) -> int:
        return len(self._charts())
