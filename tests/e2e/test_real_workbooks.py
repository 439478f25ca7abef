"""Real workbooks that Excel and python-calamine open, through `reportgen check`: none is an activity log,
so each gets the header-row message (exit 1), not a refusal of the file (the zip-guard issue, item 4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_bad_input import assert_refused, check
from tests.realbooks import FILES, PACKAGE_FILES, write_large_strings

HEADER_WORDS = ("no header row found in the first 30 rows", "Add a header row")
REFUSALS = ("zip bomb", "not a workbook", "refused as unsafe")


def _answers_header_row(tmp_path: Path, path: Path) -> None:
    result = check(tmp_path, path, timeout=120)
    assert_refused(result, path, *HEADER_WORDS)
    assert not any(word in result.stderr for word in REFUSALS), result.stderr


@pytest.mark.parametrize("name", PACKAGE_FILES)
def test_a_package_whose_parts_are_not_under_xl_gets_the_header_row_message(
    tmp_path: Path, name: str
) -> None:
    _answers_header_row(tmp_path, FILES / name)


def test_a_57_mb_sheet_at_126_to_1_gets_the_header_row_message(tmp_path: Path) -> None:
    _answers_header_row(tmp_path, write_large_strings(tmp_path / "large_strings.xlsx"))
