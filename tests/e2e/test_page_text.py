"""The four sample reviews say the same words on the same pages as their golden texts (tests/e2e/golden/).

A failure shows each changed page as a diff. If the change was meant (a sentence reworded, a layout moved),
run `.venv/bin/python tools/golden_pages.py` and commit the new texts, saying which lines changed."""

from __future__ import annotations

import difflib

import pytest

from tests.golden import CASES, ROOT, format_pages, golden_file, page_texts, parse_pages
from tests.sample_builds import sample_build


def page_diffs(expected: list[str], actual: list[str], name: str) -> list[str]:
    """A unified diff for each page whose text differs, named by its page number."""
    diffs = []
    for number in range(1, max(len(expected), len(actual)) + 1):
        want, got = expected[number - 1 : number], actual[number - 1 : number]
        if want != got:
            diffs.append(
                "\n".join(
                    difflib.unified_diff(
                        want[0].splitlines() if want else [],
                        got[0].splitlines() if got else [],
                        f"{name} page {number} (golden)",
                        f"{name} page {number} (built now)",
                        lineterm="",
                    )
                )
            )
    return diffs


def test_golden_files_read_back_as_the_pages_they_were_written_from() -> None:
    pages = ["Cover\nNorthwind", "", "1 Connection\n=== not a mark\nlast line"]
    assert parse_pages(format_pages(pages)) == pages
    assert page_diffs(pages, [*pages[:2], "1 Connection\nlast line"], "x") == [
        "--- x page 3 (golden)\n+++ x page 3 (built now)\n@@ -1,3 +1,2 @@\n 1 Connection\n-=== not a mark\n"
        " last line"
    ]


@pytest.mark.parametrize(("sample", "lang"), CASES)
def test_every_page_says_what_its_golden_text_says(
    tmp_path_factory: pytest.TempPathFactory, sample: str, lang: str
) -> None:
    golden = golden_file(sample, lang)
    expected = parse_pages(golden.read_text("utf-8"))
    # tests/golden.py's `build` (the command tools/golden_pages.py writes the texts from), made once a run
    actual = page_texts(
        sample_build(tmp_path_factory, ROOT / "samples" / f"{sample}.xlsx", "--lang", lang).pdf
    )
    diffs = page_diffs(expected, actual, golden.name)
    assert not diffs, (
        f"{golden.name}: {len(actual)} pages built, {len(expected)} in the golden text; changed pages:\n\n"
        + "\n\n".join(diffs)
        + "\n\nIf this change is meant, run `.venv/bin/python tools/golden_pages.py` and commit the texts."
    )
