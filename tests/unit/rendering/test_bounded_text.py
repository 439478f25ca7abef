"""Cell text is bounded before layout (issue 19, item 8): how much of a cell the page shows, the mark of a
cut, and which parts of the review say where the full text is."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from reportgen.base.config import Config
from reportgen.pipeline.build import build_review, check_workbook
from reportgen.rendering.context import build_context
from reportgen.rendering.context.common import (
    CELL_LINES,
    CELL_WIDTH,
    CUT_MARK,
    PHRASE_WIDTH,
    TEAM_WIDTH,
    Clip,
    bounded,
)
from reportgen.rendering.render import goal_label
from tests.builders import make_workbook

AS_OF = dt.date(2026, 11, 3)
DAY = dt.date(2026, 10, 5)
HEADERS = ["Date", "Channel", "Activity", "Owner", "Status", "Decision"]


def units(text: str) -> int:
    """Naive width: a CJK ideograph or full-width sign counts two."""
    return sum(2 if "\u2e80" <= char <= "\u9fff" or "\uff00" <= char <= "\uffef" else 1 for char in text)


def test_text_that_fits_is_the_same_object_and_text_past_the_bound_ends_with_the_mark() -> None:
    exact = "a" * CELL_WIDTH
    assert bounded(exact) is exact
    over = "a" * (CELL_WIDTH + 1)
    shown = bounded(over)
    assert shown == "a" * (CELL_WIDTH - 1) + CUT_MARK and len(shown) == CELL_WIDTH


def test_a_wide_character_counts_two_and_is_never_split_from_the_mark() -> None:
    chinese = "推广" * CELL_WIDTH
    shown = bounded(chinese)
    assert shown.endswith(CUT_MARK) and chinese.startswith(shown[:-1])
    assert units(shown[:-1]) + 1 <= CELL_WIDTH and len(shown) - 1 == CELL_WIDTH // 2 - 1
    assert bounded("推" * (CELL_WIDTH // 2)) == "推" * (CELL_WIDTH // 2)  # exactly the width: whole


def test_lines_are_bounded_as_well_as_characters() -> None:
    lines = "\n".join(f"line {number}" for number in range(2_000))
    shown = bounded(lines)
    assert shown == "\n".join(f"line {number}" for number in range(CELL_LINES)) + CUT_MARK
    six = "\n".join("x" * CELL_LINES)
    assert bounded(six) is six


def test_only_the_bound_is_read_of_a_huge_cell() -> None:
    huge = "w" * 50_000_000  # a 50 MB word: cut in microseconds, not in a walk over all of it
    assert len(bounded(huge, PHRASE_WIDTH)) == PHRASE_WIDTH


def test_a_clip_remembers_whether_it_cut_anything() -> None:
    clip = Clip()
    assert clip("short") == "short" and clip.phrase("a name") == "a name" and not clip.cut
    params = clip.params({"goal": "g" * 500, "count": 3})
    assert params["count"] == 3 and str(params["goal"]).endswith(CUT_MARK) and clip.cut


def test_a_chart_label_of_a_goal_is_bounded() -> None:
    label = goal_label("G1", "目标" * 20_000)
    assert label.startswith("G1 目标") and label.endswith(CUT_MARK) and units(label) <= PHRASE_WIDTH


def test_only_the_parts_that_cut_a_cell_say_so_and_the_table_then_travels(tmp_path: Path) -> None:
    word = "Supercalifragilistic" * 2_000
    rows: list[list[object]] = [
        [DAY, "SEO", "Guide", "Ann", "Done", None],
        [DAY, "Event", "Meetup", "Bo", "Delayed", word],  # a miss's decision: section 2
    ]
    book = make_workbook(tmp_path, rows, HEADERS, title="T" * 500)
    review = build_review(check_workbook(book, Config(), AS_OF), "2026-10", AS_OF, "en", Config())
    context = build_context(review, None, stem="team")
    assert context.execution.frame.cut and context.execution.misses[0].decision is not None
    assert context.execution.misses[0].decision.endswith(CUT_MARK)
    assert not context.connection.frame.cut and not context.layered.frame.cut
    assert not context.conclusion.cut and not context.appendix.activities_cut
    assert context.cover.cut and len(context.team) <= TEAM_WIDTH  # the title above the header row
    assert context.appendix.table_attached
    assert "team-2026-10-activities.xlsx" in context.cut_note and str(CELL_WIDTH) in context.cut_note

    plain = make_workbook(tmp_path, rows[:1], HEADERS, name="plain.xlsx")
    review = build_review(check_workbook(plain, Config(), AS_OF), "2026-10", AS_OF, "zh", Config())
    context = build_context(review, "Northwind\nGrowth")
    assert context.cut_note == "" and not context.appendix.table_attached and not context.cover.cut
    assert context.team == "Northwind Growth"  # one line, as the cover and the running header show it
