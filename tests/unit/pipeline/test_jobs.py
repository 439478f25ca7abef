"""Builds in worker processes: a crash or a bug is that workbook's failure, and the others finish."""

from __future__ import annotations

import datetime as dt
import os
import signal
from pathlib import Path

from reportgen.base.speed import spare_core
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


def tell_spare_core(job: Job, lang: str) -> Outcome:
    """A worker that says whether its build would fork its background steps (base/speed.spare_core)."""
    return Outcome(job.workbook, BUILT, message=str(spare_core()), seconds=0.0)


def test_a_build_forks_its_charts_only_when_its_neighbours_leave_a_core_idle(tmp_path: Path) -> None:
    """As many workers as cores, with a job for each (all started before any ends): no build forks, its
    child would only compete for a core. One worker, or fewer jobs than cores: every build may, as a plain
    `build` does."""
    cores = os.cpu_count() or 1
    before = spare_core()  # this process's own (a pytest-xdist worker may be crowded itself)
    jobs = [Job(tmp_path / f"{n}.xlsx", tmp_path, str(n), dt.date(2026, 11, 3)) for n in range(cores + 1)]
    crowded = run_jobs(jobs[:cores], cores, "en", work=tell_spare_core)
    assert [outcome.message for outcome in crowded] == [str(cores == 1)] * cores
    one_worker = run_jobs(jobs, 1, "en", work=tell_spare_core)
    assert [outcome.message for outcome in one_worker] == ["True"] * len(jobs)
    if cores > 1:
        fewer_jobs = run_jobs(jobs[: cores - 1], cores, "en", work=tell_spare_core)
        assert [outcome.message for outcome in fewer_jobs] == ["True"] * (cores - 1)
    assert spare_core() == before  # this process was told nothing


def test_a_builds_errors_are_kept_in_each_language_and_else_in_the_reviews() -> None:
    """The approver's draft names each cell's error in the approver's language; a worker of an earlier
    release sent them in the review's alone, which is what a reader of another language then gets."""
    english = (("Activities!I4", '"abc" is not an amount'),)
    chinese = (("Activities!I4", "“abc”不是金额"),)
    both = Outcome(Path("team.xlsx"), BUILT, lang="en", error_findings={"en": english, "zh": chinese})
    assert both.errors_in("zh") == chinese and both.errors_in("en") == english
    earlier = Outcome(Path("team.xlsx"), BUILT, lang="en", error_findings={"en": english})
    assert earlier.errors_in("zh") == english
    assert Outcome(Path("team.xlsx"), BUILT, lang="en").errors_in("zh") == ()
