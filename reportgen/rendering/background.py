"""Work done in a forked process while the PDF renderer runs: the charts, then the attached table.

matplotlib's import and drawing (about a second cold) overlap WeasyPrint's import, font loading and the start
of the layout on the second core; the complete activity table (openpyxl, a second or more for thousands of
rows) is written there too, since the PDF needs it only when it is written, after the layout. Where fork is
not available (Windows, macOS's default) the steps run in-process when first asked: same order, same bytes.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Callable, Iterator, Mapping
from multiprocessing.connection import Connection
from typing import Any

from reportgen.rendering.pdf import Asset

logger = logging.getLogger(__name__)

Step = Callable[[], Any]


def _timed(step: Step) -> tuple[Any, float]:
    started = time.perf_counter()
    return step(), time.perf_counter() - started


def _run(steps: dict[str, Step], connection: Connection) -> None:
    """The child's work: each step in order, its (picklable) result and time sent as soon as it exists; then
    exit. The parent logs the times, so no log line comes from this short-lived child."""
    try:
        for name, step in steps.items():
            try:
                connection.send((name, "ok", _timed(step)))
            except BaseException as exc:  # a bug: reported to the parent, which raises it
                connection.send((name, "error", f"{type(exc).__name__}: {exc}"))
                return
    finally:
        connection.close()


class Background:
    """Named steps run in order in a forked child; `get` waits for a step's result when first asked."""

    def __init__(self, steps: dict[str, Step]) -> None:
        self._steps = dict(steps)
        self._results: dict[str, Any] = {}
        self._process: Any = None
        self._connection: Connection | None = None
        if self._steps and "fork" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("fork")
            receiver, sender = context.Pipe(duplex=False)
            self._process = context.Process(target=_run, args=(self._steps, sender), daemon=True)
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
                logger.info("background %s: %.2f s (in this process: no fork here)", step, seconds)
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
