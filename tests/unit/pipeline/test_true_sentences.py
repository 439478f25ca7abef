"""What the review says is true of the month it reviews (issue 25's list, item by item), on the samples
as a new user tries them. Each test failed on the code before the fix."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from reportgen.base.catalogue import catalogue
from reportgen.base.config import Config, load_config, parse_config
from reportgen.base.model import Severity, Status
from reportgen.figures.review import Review
from reportgen.pipeline.build import build_review, check_workbook
from reportgen.rendering.context import build_context
from reportgen.wording.format import Formatter
from reportgen.wording.text import finding_message
from tests.builders import make_workbook

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = {"en": ROOT / "samples" / "northwind-en.xlsx", "zh": ROOT / "samples" / "xinghe-zh.xlsx"}
AS_OF = dt.date(2026, 11, 3)


def review_of(lang: str, month: str, as_of: dt.date = AS_OF) -> Review:
    workbook = SAMPLES[lang]
    config = load_config(None, workbook)
    return build_review(check_workbook(workbook, config, as_of), month, as_of, None, config)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("month", ["2026-08", "2026-09", "2026-10"])
def test_work_called_done_but_not_paid_back_is_done(lang: str, month: str) -> None:
    """Item 1: "5 pieces of SEO work are done but show no leads yet" cited four rows in progress and one
    planned, four of them with leads."""
    review = review_of(lang, month)
    for trend in review.trends:
        for row in trend.maturing:
            assert row.activity.status is Status.DONE, (trend.channel, row.activity.row)
            assert not row.activity.metrics.get(trend.result_metric), (trend.channel, row.activity.row)


def test_a_stall_is_counted_to_the_months_end_whenever_the_review_is_built() -> None:
    """Item 4: the September review said "stuck at Business for 94 days" (3 Sep to the day of the build);
    a re-issue a month later must say the same."""
    for month, end in (("2026-09", dt.date(2026, 9, 30)), ("2026-10", dt.date(2026, 10, 31))):
        early, late = review_of("en", month, AS_OF), review_of("en", month, dt.date(2026, 12, 6))
        stalls = {ladder.initiative: ladder.stalled_days for ladder in early.ladders if ladder.stalled_days}
        assert stalls == {
            ladder.initiative: ladder.stalled_days for ladder in late.ladders if ladder.stalled_days
        }
        for ladder in early.ladders:
            if ladder.current is not None and ladder.current.status in (Status.IN_PROGRESS, Status.DELAYED):
                days = (end - ladder.current.row.activity.date).days
                assert ladder.stalled_days == (days if days > 30 else None), ladder.initiative
    october = review_of("en", "2026-10")
    assert any(ladder.stalled_days for ladder in october.ladders), "October's sample has a stall"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_largest_drop_is_among_the_takeaways(lang: str) -> None:
    """Item 5: October's completion fell 84% → 62% and the takeaways left it out for a stall."""
    review = review_of(lang, "2026-10")
    assert review.previous is not None
    drops = {
        name: getattr(review.current, field) - getattr(review.previous, field)
        for name, field in (("completion", "completion_rate"), ("on_time", "on_time_rate"))
        if getattr(review.current, field) is not None and getattr(review.previous, field) is not None
    }
    largest = min(drops, key=lambda name: drops[name])
    assert drops[largest] < 0, "the sample's October has a drop"
    assert f"{largest}_down" in [item.code for item in review.takeaways]


def test_no_compounding_activity_names_the_configured_channels(tmp_path: Path) -> None:
    """Item 6: "No activity in the compounding channels (SEO, content)" whatever `compounding` said."""
    rows = [[dt.date(2026, 10, 2), "Event", "Webinar", "Ann", "", "Done", None, None, 10, 1]]
    workbook = make_workbook(tmp_path, rows)
    config = parse_config({"channels": {"compounding": ["community", "partnership"]}})
    review = build_review(check_workbook(workbook, config, AS_OF), "2026-10", AS_OF, "en", config)
    sentence = build_context(review, None).deferred_payoff.no_trends
    assert "community" in sentence.casefold() and "partnership" in sentence.casefold()
    assert "seo" not in sentence.casefold() and "content" not in sentence.casefold()


def test_a_note_without_a_month_speaks_of_the_month_just_ended_only() -> None:
    """Item 9: a lead's note with no month was printed in every month's review. Built on 3 November, it is
    October's (the month just ended), not August's, September's or November's."""
    reviews = {month: review_of("en", month) for month in ("2026-08", "2026-09", "2026-10", "2026-11")}
    undated = {month for month, review in reviews.items() for note in review.commentary if not note.month}
    assert undated == {"2026-10"}
    for month, review in reviews.items():
        assert all(note.month in ("", month) for note in review.commentary)


def test_the_cover_names_the_work_nobody_owns() -> None:
    """Item 9: nine October activities with no owner ($6,158.66) went unmentioned beside "by 6 people"."""
    review = review_of("en", "2026-10")
    unowned = [row for row in review.rows if not row.activity.owner]
    assert unowned, "the sample's October has work with no owner"
    scope = build_context(review, None).cover.scope
    cost = Formatter("en", review.checked.currency).money(sum(row.activity.cost or 0 for row in unowned))
    assert f"{len(unowned)} activities ({cost}) have no owner" in scope


def test_a_cover_with_every_owner_named_says_nothing_of_owners() -> None:
    review = review_of("zh", "2026-10")
    assert all(row.activity.owner for row in review.rows)
    assert "负责人" not in build_context(review, None).cover.scope


def test_default_config_is_what_the_samples_use() -> None:
    assert Config().compounding_channels == load_config(None, SAMPLES["en"]).compounding_channels


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_misses_list_points_where_every_activity_is_listed(tmp_path: Path, lang: str) -> None:
    """Past 300 activities appendix A lists the first 300: the cut list of misses must not say appendix A
    lists every activity of the month, but point to the complete table attached to the PDF."""
    day = dt.date(2026, 10, 5)
    rows = [[day, "SEO", f"Page {n}", "Ann", "", "Delayed" if n % 3 else "Done", None, None, 10, 1]
            for n in range(320)]  # fmt: skip
    checked = check_workbook(make_workbook(tmp_path, rows), Config(), AS_OF)
    said = build_context(build_review(checked, "2026-10", AS_OF, lang, Config()), None).execution.misses_more
    whole = {"en": "appendix A of this review lists every activity", "zh": "附录 A 列出了本月的全部工作"}
    attached = {"en": "the activity table attached to this PDF lists every activity", "zh": "附带的工作表"}
    assert said and whole[lang] not in said and attached[lang] in said, said


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_note_past_the_three_a_part_shows_is_a_warning_at_its_cell(tmp_path: Path, lang: str) -> None:
    """The lead wrote four notes for the conclusion: the review shows three, and says at the fourth's cell
    that it was left out, instead of dropping the lead's words without a word."""
    workbook = make_workbook(
        tmp_path, [[dt.date(2026, 10, 5), "SEO", "Page", "Ann", "", "Done", None, None, 1, 1]]
    )
    book = openpyxl.load_workbook(workbook)
    sheet = book.create_sheet("Commentary")
    sheet.append(["Section", "Month", "Text"])
    for number in range(1, 5):
        sheet.append(["conclusion", "2026-10", f"NOTE-{number}"])
    sheet.append(["intro", "2026-10", "NOTE-intro"])  # another part: its own three
    book.save(workbook)
    review = build_review(check_workbook(workbook, Config(), AS_OF), "2026-10", AS_OF, lang, Config())
    assert [note.text for note in review.commentary] == ["NOTE-1", "NOTE-2", "NOTE-3", "NOTE-intro"]
    (left,) = [finding for finding in review.findings if finding.code == "commentary_over_limit"]
    assert str(left.ref) == "Commentary!C5" and left.severity == Severity.WARNING
    said = finding_message(left, catalogue(lang))
    assert catalogue(lang).text("review.section.conclusion") in said and "3" in said, said
