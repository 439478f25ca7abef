"""The background steps: results arrive by name, in order, from a forked child or in-process without fork."""

from __future__ import annotations

import os
import threading

import pytest

from reportgen.rendering import background
from reportgen.rendering.background import Background, LazyCharts
from reportgen.rendering.pdf import Asset, renderer_imported


def test_results_come_from_a_child_process_by_name() -> None:
    renderer_imported()  # an earlier build may still be importing WeasyPrint in a thread
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
    job = Background({"a": lambda: calls.append("a") or os.getpid(), "b": lambda: calls.append("b") or 2})
    assert calls == []
    assert job.get("a") == os.getpid()
    assert calls == ["a"]
    assert job.get("b") == 2
    assert calls == ["a", "b"]


def test_lazy_charts_is_a_mapping_of_the_charts_step() -> None:
    charts = LazyCharts(Background({"charts": lambda: {"goals": Asset(b"<svg/>", "image/svg+xml")}}))
    assert list(charts) == ["goals"]
    assert charts["goals"].data == b"<svg/>"
    with pytest.raises(KeyError):
        Background({}).get("charts")
