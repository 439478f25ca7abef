"""batch's own rules: output names that never clobber each other, and docs/batch.md's exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.apps.batch import output_stems, raise_for_outcomes
from reportgen.base.errors import BatchIncomplete, ExitCode
from reportgen.pipeline.jobs import BUILT, FAILED, NOT_SENT, Outcome


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
