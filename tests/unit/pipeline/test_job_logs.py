"""A worker's log records reach the parent's handlers once each, at the parent's levels, naming their
workbook; a process forked from a worker never writes into the worker's pipe."""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
from pathlib import Path

import pytest

from reportgen.pipeline.jobs import BUILT, Job, Outcome, run_jobs

LOGGER = "reportgen.tests.worker"


def _grandchild() -> None:
    logging.getLogger(LOGGER).warning("from the grandchild")


def logging_work(job: Job, lang: str) -> Outcome:
    """Logs at three levels; one workbook also forks a child that logs (as background.py's drawing may)."""
    log = logging.getLogger(LOGGER)
    log.debug("debug line")
    log.info("built %s in %.2f s", job.stem, 0.5)
    log.warning("a warning")
    if job.workbook.name == "fork.xlsx":
        child = multiprocessing.get_context("fork").Process(target=_grandchild)
        child.start()
        child.join()
        log.info("after the fork")
    return Outcome(job.workbook, BUILT)


def test_worker_logs_reach_the_parent_once_each_at_its_levels(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="reportgen")
    names = ["one.xlsx", "fork.xlsx", "two.xlsx"]
    jobs = [Job(tmp_path / name, tmp_path, Path(name).stem, dt.date(2026, 11, 3)) for name in names]
    outcomes = run_jobs(jobs, 2, "en", work=logging_work)
    assert [outcome.status for outcome in outcomes] == [BUILT] * 3
    records = [record for record in caplog.records if record.name == LOGGER]
    assert all(record.process != os.getpid() for record in records)  # made in the workers
    messages = sorted(record.getMessage() for record in records)
    expected = [f"{name}: a warning" for name in names]
    expected += [f"{name}: built {Path(name).stem} in 0.50 s" for name in names]
    expected += ["fork.xlsx: after the fork"]
    assert messages == sorted(expected)  # once each; no DEBUG (the parent logs INFO); nothing from the fork


def test_workers_log_nothing_below_the_parents_level(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="reportgen")
    jobs = [Job(tmp_path / "one.xlsx", tmp_path, "one", dt.date(2026, 11, 3))]
    assert run_jobs(jobs, 1, "en", work=logging_work)[0].status == BUILT
    assert [record for record in caplog.records if record.name == LOGGER] == []
