"""The sentence `schedule run-now` prints for each way a run ends, in both languages: a recorded problem
(itself a sentence, with its full stop) sits inside ours without a doubled stop."""

from __future__ import annotations

import datetime as dt

import pytest

from reportgen.apps.schedule import did_text
from reportgen.archive.records import RunRecord
from reportgen.base.catalogue import catalogue
from reportgen.base.states import RunState

AT = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)


def run(state: str, **detail: object) -> RunRecord:
    return RunRecord(1, "team", "2026-10", AT, "host", state, dict(detail), AT, AT)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(
    ("state", "detail"),
    [
        (RunState.FAILED, {"problem": "not sent again: this PDF already reached lead@example.com."}),
        (RunState.DRAFT_ERRORS, {"problem": "the workbook has no activity sheet.", "to": "lead@example.com"}),
    ],
)
def test_a_recorded_problem_reads_as_one_sentence(lang: str, state: str, detail: dict[str, object]) -> None:
    line = did_text(run(state, **detail), catalogue(lang))
    assert str(detail["problem"]).rstrip(".") in line
    assert ".." not in line and ".。" not in line and ".）" not in line and ".)" not in line, line
