"""The review's HTML: cell text always escaped, undrawable characters, what the typed context says, and the
--templates folder taken first for the page and each of its partials."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from reportgen.base.config import Config
from reportgen.base.model import Principle
from reportgen.figures.review import Review
from reportgen.pipeline.build import build_review, check_workbook
from reportgen.rendering import templates
from reportgen.rendering.context import ReviewContext, build_context
from reportgen.rendering.context.appendix import APPENDIX_LIMIT
from reportgen.rendering.context.common import OVERLOOKED_LIMIT
from reportgen.rendering.context.cover import kpi_cards
from reportgen.rendering.render import render_html, replace_undrawable
from reportgen.rendering.templates import environment
from reportgen.wording.format import Formatter
from tests.builders import EN_HEADERS, OCTOBER_ROWS, make_workbook

AS_OF = dt.date(2026, 11, 3)


def review_of(
    tmp_path: Path, rows: list[list[object]], headers: list[str] = EN_HEADERS, name: str = "book.xlsx"
) -> Review:
    book = make_workbook(tmp_path, rows, headers, name=name)
    return build_review(check_workbook(book, Config(), AS_OF), "2026-10", AS_OF, "en", Config())


def test_the_bundled_templates_are_compiled_once_and_an_edited_one_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # one environment for the bundled templates per process (a batch, a worker, serve), yet a template
    # file edited while it runs is seen at the next page; a --templates folder gets its own each time
    # (test_the_templates_folder_is_taken_first_for_the_page_and_each_partial adds a file to one)
    folder = tmp_path / "bundled"
    folder.mkdir()
    page = folder / "note.html"
    page.write_text("first {{ v }}", "utf-8")
    monkeypatch.setattr(templates, "templates_folder", lambda: folder)
    templates._bundled.cache_clear()
    try:
        assert environment() is environment() is not environment(tmp_path)
        assert environment().get_template("note.html").render(v=1) == "first 1"
        page.write_text("second {{ v }}", "utf-8")
        stat = page.stat()
        os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
        assert environment().get_template("note.html").render(v=2) == "second 2"
    finally:
        templates._bundled.cache_clear()


def test_cell_text_is_escaped_by_the_environment() -> None:
    template = environment().from_string("<td>{{ cell }}</td>")
    assert template.render(cell='<img src="file:///etc/hostname">') == (
        "<td>&lt;img src=&#34;file:///etc/hostname&#34;&gt;</td>"
    )


def test_undrawable_characters_become_question_marks() -> None:
    drawable = frozenset(map(ord, "<p>abc</p> "))
    assert replace_undrawable("<p>a🎉c</p>", drawable) == "<p>a?c</p>"


def test_completion_card_says_how_much_of_the_month_is_still_open(tmp_path: Path) -> None:
    day = dt.date(2026, 10, 5)
    rows: list[list[object]] = [
        [day, "SEO", "Guide", "Ann", "", "Done", day, day, 10, 1],
        [day, "SEO", "Audit", "Ann", "", "In progress", day, None, 10, 0],
        [day, "Event", "Meetup", "Bo", "", "Planned", day, None, 10, 0],
        [day, "Event", "Webinar", "Bo", "", "Cancelled", day, None, 0, 0],
    ]
    cards = {card.label: card for card in kpi_cards(review_of(tmp_path, rows), Formatter("en", "$"))}
    assert cards["Completion rate"].remark == "2 not done yet"  # in progress + planned; cancelled is not open
    assert cards["On-time rate"].remark == ""
    done_only = review_of(tmp_path, rows[:1], name="done.xlsx")
    cards = {card.label: card for card in kpi_cards(done_only, Formatter("en", "$"))}
    assert cards["Completion rate"].remark == ""


def test_an_easily_overlooked_box_shows_six_items_and_counts_the_rest(tmp_path: Path) -> None:
    headers = ["Date", "Channel", "Activity", "Owner", "Status", "Initiative", "Stage"]
    stuck = [(f"Partner {n}", dt.date(2026, 10, 1) - dt.timedelta(days=40 + n)) for n in range(9)]
    rows: list[list[object]] = [
        [day, "BD", f"Talk to {name}", "Bo", "In progress", name, "Business"] for name, day in stuck
    ]
    rows.append([dt.date(2026, 10, 2), "SEO", "Guide", "Ann", "Done", None, None])
    review = review_of(tmp_path, rows, headers)
    assert len(review.overlooked[Principle.LAYERED]) == len(stuck)
    context = build_context(review, None)
    layered = context.layered.frame
    assert len(layered.overlooked) == OVERLOOKED_LIMIT
    assert "Partner 8 had been stuck" in layered.overlooked[0].text  # stuck the longest
    assert layered.overlooked_more == f"… and {len(stuck) - OVERLOOKED_LIMIT} more like these."
    assert context.connection.frame.overlooked_more == ""


def test_lessons_are_listed_once_with_the_activities_that_taught_them(tmp_path: Path) -> None:
    headers = ["Date", "Channel", "Activity", "Owner", "Status", "Lesson"]
    day = dt.date(2026, 10, 5)
    rows: list[list[object]] = [
        [day, "SEO", "Guide A", "Ann", "Done", "Caps keep CPC stable"],
        [day, "SEO", "Guide B", "Ann", "Done", "Caps  keep CPC stable"],
        [day, "SEO", "Guide C", "Ann", "Done", "Caps keep CPC stable"],
        [day, "SEM", "Ads", "Bo", "Done", "Test copy first"],
    ]
    lessons = build_context(review_of(tmp_path, rows, headers), None).conclusion.lessons
    assert [lesson.text for lesson in lessons] == ["Caps keep CPC stable", "Test copy first"]
    assert lessons[0].activities == "Guide A, Guide B, and 1 more"
    assert lessons[0].cells == "Activities!F2, Activities!F3" and lessons[1].activities == "Ads"


def test_the_appendix_names_the_attached_table_only_when_the_list_is_cut(tmp_path: Path) -> None:
    day = dt.date(2026, 10, 5)
    many: list[list[object]] = [
        [day, "SEO", f"Page {n}", "Ann", "", "Done", day, day, 1, 0] for n in range(APPENDIX_LIMIT + 1)
    ]
    cut = build_context(review_of(tmp_path, many), None, stem="northwind").appendix
    assert len(cut.activities) == APPENDIX_LIMIT
    assert "northwind-2026-10-activities.xlsx" in cut.activities_note
    assert f"{APPENDIX_LIMIT} of {len(many)}" in cut.activities_note
    whole = build_context(review_of(tmp_path, many[:3], name="few.xlsx"), None, stem="northwind").appendix
    assert len(whole.activities) == 3 and whole.activities_note == ""


def test_the_page_reads_the_context_by_name(tmp_path: Path) -> None:
    context = build_context(review_of(tmp_path, [list(row) for row in OCTOBER_ROWS]), "Team <b>")
    html = render_html(
        dataclasses.replace(context, charts={"status_by_channel": "chart:status"}), "style.css"
    )
    assert f"<title>Team &lt;b&gt; · {context.title} · October 2026</title>" in html
    assert '<img src="chart:status" alt="">' in html and "chart:goal_attainment" not in html
    for frame in context.cover.contents:
        assert f'<section class="section" id="{frame.key}">' in html
        assert f'<span class="number">{frame.number}</span>{frame.title}</h2>' in html
    assert html.count('<aside class="overlooked">') == 4
    assert all(sentence in html for sentence in context.execution.summary)
    assert "Keyword page" in html and "Webinar" in html  # the appendix's activities


def test_the_templates_folder_is_taken_first_for_the_page_and_each_partial(tmp_path: Path) -> None:
    context = build_context(review_of(tmp_path, [list(row) for row in OCTOBER_ROWS]), "Northwind")
    override = tmp_path / "templates"
    (override / "review").mkdir(parents=True)
    (override / "review" / "cover.html").write_text(
        '<section class="cover">Our own cover for {{ review.team }}</section>', "utf-8"
    )
    html = render_html(context, "style.css", override)
    assert '<section class="cover">Our own cover for Northwind</section>' in html
    assert 'class="cover-kicker"' not in html  # the bundled cover was not used
    assert '<section class="section" id="connection">' in html  # the other partials are the bundled ones
    (override / "review.html").write_text(
        '<p>{{ text("review.contents") }}</p>{% include "review/cover.html" %}'
        '{% include "review/appendix.html" %}',
        "utf-8",
    )
    html = render_html(context, "style.css", override)
    assert html.startswith('<p>Contents</p><section class="cover">Our own cover for Northwind</section>')
    assert 'id="appendix-activities"' in html and 'id="connection"' not in html


BARE = (dict, list, tuple, set, frozenset, Mapping, Sequence, Callable)


def _named_types(hint: object) -> Iterator[type]:
    """The dataclasses a type hint holds, asserting on the way that it names every type: no Any, no bare
    container (`tuple` without what it holds)."""
    assert hint is not typing.Any
    arguments = typing.get_args(hint)
    if typing.get_origin(hint) is None:
        assert hint not in BARE, hint
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            yield hint
    for argument in arguments:
        if argument is not Ellipsis:
            yield from _named_types(argument)


def test_the_context_types_name_every_type_they_hold() -> None:
    """The template reads only attributes whose type is written down, from the page's context to its smallest
    row, all frozen (mypy checks the same by the module's own settings: no explicit Any, no bare generics)."""
    seen: set[type] = set()
    pending: list[type] = [ReviewContext]
    while pending:
        kind = pending.pop()
        if kind in seen:
            continue
        seen.add(kind)
        assert kind.__dataclass_params__.frozen, kind  # type: ignore[attr-defined]
        for name, hint in typing.get_type_hints(kind).items():
            try:
                pending.extend(_named_types(hint))
            except AssertionError as error:
                raise AssertionError(f"{kind.__name__}.{name}: {hint}") from error
    names = {kind.__name__ for kind in seen}
    assert {
        "CoverContext",
        "AppendixContext",
        "GoalRow",
        "MissRow",
        "Rung",
        "StageMark",
        "FindingRow",
    } <= names
