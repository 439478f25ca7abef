"""Drawing the charts in a forked process while the PDF renderer starts.

matplotlib's import and drawing (about a second cold) then overlap WeasyPrint's import, font loading and
layout on the second core. Where fork is not available (Windows, macOS's default) the charts are drawn
in-process: same order, same bytes.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Mapping
from multiprocessing.connection import Connection
from typing import Any

from reportgen.pdf import Asset

Drawing = Callable[[], dict[str, Asset]]


def _draw(draw: Drawing, connection: Connection) -> None:
    """The child's work: draw, send plain bytes back, exit. Under fork nothing is pickled on the way in."""
    try:
        charts = draw()
        connection.send(("ok", {name: (asset.data, asset.mime) for name, asset in charts.items()}))
    except BaseException as exc:  # a bug: report it to the parent, which raises it
        connection.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        connection.close()


class ChartJob(Mapping[str, Asset]):
    """The review's charts by name; the first lookup waits for the drawing to finish."""

    def __init__(self, draw: Drawing) -> None:
        self._result: dict[str, Asset] | None = None
        self._process: Any = None
        self._connection: Connection | None = None
        if "fork" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("fork")
            receiver, sender = context.Pipe(duplex=False)
            self._process = context.Process(target=_draw, args=(draw, sender), daemon=True)
            self._process.start()
            sender.close()
            self._connection = receiver
        else:
            self._result = draw()

    def result(self) -> dict[str, Asset]:
        if self._result is None:
            assert self._connection is not None
            status, payload = self._connection.recv()
            self._connection.close()
            self._process.join()
            if status != "ok":
                raise RuntimeError(f"drawing the charts failed: {payload}")
            self._result = {name: Asset(data, mime) for name, (data, mime) in payload.items()}
        return self._result

    def __getitem__(self, name: str) -> Asset:
        return self.result()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.result())

    def __len__(self) -> int:
        return len(self.result())
