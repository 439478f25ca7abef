"""Default output names fit the file system (issue 19, item 10): a long workbook name is shortened between
characters, with a short hash so two long names cut alike stay apart; an explicit name that is too long is
refused by name."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reportgen.base.errors import InputError
from reportgen.base.files import name_limit
from reportgen.pipeline.build import check_name_fits, fitting_stem
from reportgen.rendering.context import table_name

MONTH = "2026-10"


def test_a_stem_that_fits_is_kept(tmp_path: Path) -> None:
    assert fitting_stem(tmp_path / "book.xlsx", "book", MONTH, tmp_path) == "book"


@pytest.mark.parametrize("unit", ["最终版 ✓", "🎉x", "é", "a"])
def test_a_long_stem_is_cut_between_characters_to_fit_every_output_name(tmp_path: Path, unit: str) -> None:
    limit = name_limit(tmp_path)
    stem = unit * 300
    shortened = fitting_stem(tmp_path / f"{stem}.xlsx", stem, MONTH, tmp_path)
    kept, digest = shortened.rsplit("~", 1)
    assert stem.startswith(kept) and len(digest) == 6 and int(digest, 16) >= 0
    assert len(os.fsencode(table_name(shortened, MONTH))) <= limit  # the longest name, so the PDF's too
    assert len(os.fsencode(table_name(shortened, MONTH))) > limit - len(os.fsencode(unit)) - 1
    (tmp_path / table_name(shortened, MONTH)).write_bytes(b"")  # the file system takes it


def test_two_long_stems_cut_alike_stay_apart_and_each_is_cut_the_same_way_again(tmp_path: Path) -> None:
    first, second = "最终版" * 100, "最终版" * 100 + "-2"
    one = fitting_stem(tmp_path / "a.xlsx", first, MONTH, tmp_path)
    assert one != fitting_stem(tmp_path / "b.xlsx", second, MONTH, tmp_path)
    assert one == fitting_stem(tmp_path / "a.xlsx", first, MONTH, tmp_path)


def test_the_limit_of_a_folder_still_to_be_made_is_its_parents(tmp_path: Path) -> None:
    assert name_limit(tmp_path / "out" / "deeper") == os.pathconf(tmp_path, "PC_NAME_MAX")


def test_an_explicit_name_too_long_is_refused_with_its_size_and_the_limit(tmp_path: Path) -> None:
    check_name_fits(tmp_path / ("最" * 80 + ".pdf"))  # 244 bytes: fine
    target = tmp_path / ("最" * 90 + ".pdf")
    with pytest.raises(InputError) as refused:
        check_name_fits(target)
    message = refused.value.message("en")
    assert str(target) in message and "274 bytes" in message and f"{name_limit(tmp_path)} bytes" in message
