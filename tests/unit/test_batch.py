"""batch's parts: output names that never clobber, exit codes, and worker failures reported per workbook."""

from __future__ import annotations

import datetime as dt
import os
import signal
from pathlib import Path

import pytest

from reportgen.batch import (
    BUILT,
    FAILED,
    NOT_SENT,
    BatchIncomplete,
    Job,
    Outcome,
    output_stems,
    raise_for_outcomes,
    run_jobs,
)
from reportgen.errors import ExitCode


def test_same_stems_from_different_folders_get_distinct_output_names(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a" / "team.xlsx", tmp_path / "b" / "team.xlsx", tmp_path / "c" / "Team.xls"
    other = tmp_path / "team-2.xlsx"  # a real stem the renaming must not take
    unique, stems = output_stems([a, b, a, other, c])
    assert unique == [a, b, other, c]  # the same path twice is built once
    assert stems[a] == "team"
    assert len({stem.casefold() for stem in stems.values()}) == len(unique)
    assert stems[other] == "team-2" and stems[b] == "team-3" and stems[c] == "Team-4"


def outcome(status: str) -> Outcome:
    return Outcome(Path(f"{status}.xlsx"), status)


def test_exit_codes_follow_spec_failed_beats_not_sent() -> None:
    raise_for_outcomes([outcome(BUILT), outcome(BUILT)])  # all fine: nothing raised
    with pytest.raises(BatchIncomplete) as caught:
        raise_for_outcomes([outcome(BUILT), outcome(NOT_SENT)])
    assert caught.value.exit_code == ExitCode.DELIVERY_FAILED
    with pytest.raises(BatchIncomplete) as caught:
        raise_for_outcomes([outcome(FAILED), outcome(NOT_SENT), outcome(BUILT)])
    assert caught.value.exit_code == ExitCode.BAD_INPUT
    assert "1 of 3" in caught.value.message("en") and "3 个工作簿中有 1 个" in caught.value.message("zh")


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
    finished: list[str] = []
    outcomes = run_jobs(
        jobs, 2, "en", on_done=lambda done: finished.append(done.workbook.name), work=crash_on_bad
    )
    assert [result.workbook.name for result in outcomes] == names  # in the jobs' order
    assert sorted(finished) == sorted(names)
    by_name = {result.workbook.name: result for result in outcomes}
    assert by_name["crash.xlsx"].status == FAILED and "SIGKILL" in (by_name["crash.xlsx"].message or "")
    assert by_name["bug.xlsx"].status == FAILED and "a bug in a stage" in (by_name["bug.xlsx"].message or "")
    assert all(by_name[name].status == BUILT for name in ("one.xlsx", "two.xlsx", "three.xlsx"))
