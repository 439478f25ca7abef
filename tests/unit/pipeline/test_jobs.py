"""Builds in worker processes: a crash or a bug is that workbook's failure, and the others finish."""

from __future__ import annotations

import datetime as dt
import os
import signal
from pathlib import Path

from reportgen.pipeline.jobs import BUILT, FAILED, Job, Outcome, Progress, run_jobs


def crash_on_bad(job: Job, lang: str) -> Outcome:
    """A worker that dies by a signal on one workbook, raises a bug on another, and succeeds otherwise."""
    if job.workbook.name == "crash.xlsx":
        os.kill(os.getpid(), signal.SIGKILL)
    if job.workbook.name == "bug.xlsx":
        raise RuntimeError("a bug in a stage")
    return Outcome(job.workbook, BUILT, seconds=0.0)


def test_a_crashed_or_buggy_worker_is_that_workbooks_failure_and_the_others_finish(tmp_path: Path) -> None:
    names = ["one.xlsx", "crash.xlsx", "two.xlsx", "bug.xlsx", "three.xlsx"]
    jobs = [Job(tmp_path / name, tmp_path, Path(name).stem, dt.date(2026, 11, 3)) for name in names]
    seen: list[Progress] = []
    outcomes = run_jobs(jobs, 2, "en", on_progress=seen.append, work=crash_on_bad)
    assert [result.workbook.name for result in outcomes] == names  # in the jobs' order
    assert max(progress.running for progress in seen) == 2  # never more than the workers at once
    assert seen[-1] == Progress(done=3, failed=2, running=0, total=5)
    finished = [progress.done + progress.failed for progress in seen]
    assert finished == sorted(finished)  # each step told, none taken back
    by_name = {result.workbook.name: result for result in outcomes}
    assert by_name["crash.xlsx"].status == FAILED and "SIGKILL" in (by_name["crash.xlsx"].message or "")
    assert by_name["bug.xlsx"].status == FAILED and "a bug in a stage" in (by_name["bug.xlsx"].message or "")
    assert all(by_name[name].status == BUILT for name in ("one.xlsx", "two.xlsx", "three.xlsx"))
