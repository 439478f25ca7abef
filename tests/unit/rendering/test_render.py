"""The review's HTML: cell text always escaped, undrawable characters, and what the context says."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from reportgen.base.model import Principle
from reportgen.rendering.render import replace_undrawable
from reportgen.rendering.templates import environment
from reportgen.wording.format import Formatter


def test_cell_text_is_escaped_by_the_environment() -> None:
    template = environment().from_string("<td>{{ cell }}</td>")
    assert template.render(cell='<img src="file:///etc/hostname">') == (
        "<td>&lt;img src=&#34;file:///etc/hostname&#34;&gt;</td>"
    )


def test_undrawable_characters_become_question_marks() -> None:
    drawable = frozenset(map(ord, "<p>abc</p> "))
    assert replace_undrawable("<p>a🎉c</p>", drawable) == "<p>a?c</p>"


def test_completion_card_says_how_much_of_the_month_is_still_open(tmp_path: Path) -> None:
    from reportgen.base.config import Config
    from reportgen.pipeline.build import build_review, check_workbook
    from reportgen.rendering.render import kpi_cards
    from tests.builders import make_workbook

    day = dt.date(2026, 10, 5)
    rows = [
        [day, "SEO", "Guide", "Ann", "", "Done", day, day, 10, 1],
        [day, "SEO", "Audit", "Ann", "", "In progress", day, None, 10, 0],
        [day, "Event", "Meetup", "Bo", "", "Planned", day, None, 10, 0],
        [day, "Event", "Webinar", "Bo", "", "Cancelled", day, None, 0, 0],
    ]
    as_of = dt.date(2026, 11, 3)
    checked = check_workbook(make_workbook(tmp_path, rows), Config(), as_of)
    review = build_review(checked, "2026-10", as_of, "en", Config())
    cards = {card.label: card for card in kpi_cards(review, Formatter("en", "$"))}
    assert cards["Completion rate"].remark == "2 not done yet"  # in progress + planned; cancelled is not open
    assert cards["On-time rate"].remark == ""
    done_only = check_workbook(make_workbook(tmp_path, rows[:1], name="done.xlsx"), Config(), as_of)
    cards = {
        card.label: card
        for card in kpi_cards(build_review(done_only, "2026-10", as_of, "en"), Formatter("en", "$"))
    }
    assert cards["Completion rate"].remark == ""


def test_an_easily_overlooked_box_shows_six_items_and_counts_the_rest(tmp_path: Path) -> None:
    from reportgen.base.config import Config
    from reportgen.pipeline.build import build_review, check_workbook
    from reportgen.rendering.render import OVERLOOKED_LIMIT, build_context
    from tests.builders import make_workbook

    headers = ["Date", "Channel", "Activity", "Owner", "Status", "Initiative", "Stage"]
    stuck = [(f"Partner {n}", dt.date(2026, 10, 1) - dt.timedelta(days=40 + n)) for n in range(9)]
    rows = [[day, "BD", f"Talk to {name}", "Bo", "In progress", name, "Business"] for name, day in stuck]
    rows.append([dt.date(2026, 10, 2), "SEO", "Guide", "Ann", "Done", None, None])
    as_of = dt.date(2026, 11, 3)
    checked = check_workbook(make_workbook(tmp_path, rows, headers), Config(), as_of)
    review = build_review(checked, "2026-10", as_of, "en", Config())
    assert len(review.overlooked[Principle.LAYERED]) == len(stuck)
    values = build_context(review, None).values
    shown = values["overlooked"]["layered"]
    assert len(shown) == OVERLOOKED_LIMIT
    assert shown[0].text.startswith("Partner 8 ")  # stuck the longest
    assert values["overlooked_more"]["layered"] == f"… and {len(stuck) - OVERLOOKED_LIMIT} more like these."
    assert values["overlooked_more"]["connection"] == ""


def test_round_ticks_reach_the_highest_point_in_equal_round_steps() -> None:
    from reportgen.rendering.charts import _round_ticks

    for highest, steps in ((303, 4), (22_200, 4), (267, 4), (0.7, 2), (100, 4), (0, 4)):
        ticks = _round_ticks(highest, steps)
        assert len(ticks) == steps + 1 and ticks[0] == 0 and ticks[-1] >= highest
        step = ticks[1]
        assert ticks[-1] <= max(highest * 1.34, steps)  # round, and close to the data
        assert all(abs(b - a - step) < 1e-9 for a, b in zip(ticks, ticks[1:], strict=False))
    assert _round_ticks(303, 4) == [0, 80, 160, 240, 320] and _round_ticks(240, 4)[-1] == 240


def test_lessons_are_listed_once_with_the_activities_that_taught_them(tmp_path: Path) -> None:
    from reportgen.base.config import Config
    from reportgen.pipeline.build import build_review, check_workbook
    from reportgen.rendering.render import build_context
    from tests.builders import make_workbook

    headers = ["Date", "Channel", "Activity", "Owner", "Status", "Lesson"]
    day = dt.date(2026, 10, 5)
    rows = [
        [day, "SEO", "Guide A", "Ann", "Done", "Caps keep CPC stable"],
        [day, "SEO", "Guide B", "Ann", "Done", "Caps  keep CPC stable"],
        [day, "SEO", "Guide C", "Ann", "Done", "Caps keep CPC stable"],
        [day, "SEM", "Ads", "Bo", "Done", "Test copy first"],
    ]
    as_of = dt.date(2026, 11, 3)
    checked = check_workbook(make_workbook(tmp_path, rows, headers), Config(), as_of)
    lessons = build_context(build_review(checked, "2026-10", as_of, "en", Config()), None).values["lessons"]
    assert [lesson["lesson"] for lesson in lessons] == ["Caps keep CPC stable", "Test copy first"]
    assert lessons[0]["activities"] == "Guide A, Guide B, and 1 more"
    assert lessons[0]["cells"] == "F2, F3" and lessons[1]["activities"] == "Ads"
