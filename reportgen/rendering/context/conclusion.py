# mypy: disallow-any-explicit, disallow-any-generics, disallow-untyped-defs
"""The conclusion: takeaways, planned against done, lessons, next month's plan."""

from __future__ import annotations

from dataclasses import dataclass

from reportgen.base.model import Mapped
from reportgen.figures.metrics import (
    lessons_taught,
    shift_month,
)
from reportgen.figures.review import Review
from reportgen.rendering.context.common import Cells, Clip, LeadNote, more
from reportgen.wording.format import Formatter

LESSONS_LIMIT = 8  # distinct lessons in the conclusion, in sheet order
NEXT_LIMIT = 8  # next month's plan: the conclusion stays on one page


@dataclass(frozen=True, slots=True)
class Lesson:
    """A lesson recorded once, with the activities that taught it and their cells."""

    text: str
    activities: str
    cells: str


@dataclass(frozen=True, slots=True)
class NextMonthRow:
    date: str
    channel: str
    activity: str
    owner: str


@dataclass(frozen=True, slots=True)
class ConclusionContext:
    """The conclusion: takeaways, planned against done, lessons, next month's plan."""

    lead: str
    notes: tuple[LeadNote, ...]
    takeaways: tuple[str, ...]
    planned_done: str
    lessons: tuple[Lesson, ...]
    lessons_more: str
    next_month_title: str
    next_rows: tuple[NextMonthRow, ...]
    next_more: str
    no_next: str
    next_done: str  # "12 activities of November are already done; November's review tells them."
    cut: bool = False  # a cell's text in it was cut


def planned_done(review: Review, fmt: Formatter) -> str:
    """The month's activities by status, in one or two sentences."""
    words = fmt.words
    totals = review.current.totals
    text = words.text(
        "review.conclusion.planned_done_text",
        activities=fmt.number(totals.activities),
        month=fmt.month(review.month),
        done=fmt.number(totals.done),
        in_progress=fmt.number(totals.in_progress),
        delayed=fmt.number(totals.delayed),
        cancelled=fmt.number(totals.cancelled),
        planned=fmt.number(totals.planned),
    )
    if totals.other:
        text += words.text("where.sentence_gap") + words.text(
            "review.conclusion.planned_done_other", other=fmt.number(totals.other)
        )
    return text


def lessons(
    review: Review, cells: Cells, fmt: Formatter, clip: Clip, limit: int = LESSONS_LIMIT
) -> tuple[tuple[Lesson, ...], str]:
    """One entry per lesson, however many activities taught it (teams copy a lesson across rows), and the
    note on how many more there are."""
    words = fmt.words
    taught_by = lessons_taught(review.rows)
    shown = tuple(
        Lesson(
            text=clip(lesson),
            activities=words.text("where.list").join(
                [clip.phrase(row.activity.activity) for row in taught[:2]]
                + ([words.text("review.and_more", count=len(taught) - 2)] if len(taught) > 2 else [])
            ),
            cells=words.text("where.list").join(cells.cite(row, "lesson") for row in taught[:2]),
        )
        for lesson, taught in list(taught_by.items())[:limit]
    )
    return shown, more(len(taught_by), limit, fmt, listed=False)


def next_month_row(row: Mapped, fmt: Formatter, clip: Clip) -> NextMonthRow:
    return NextMonthRow(
        date=fmt.date(row.activity.date),
        channel=fmt.channel(row.activity.channel),
        activity=clip(row.activity.activity),
        owner=clip.phrase(row.activity.owner or "—"),
    )


def conclusion_context(
    review: Review,
    notes: tuple[LeadNote, ...],
    takeaways: tuple[str, ...],
    cells: Cells,
    fmt: Formatter,
    clip: Clip,
) -> ConclusionContext:
    words = fmt.words
    next_month = fmt.month(shift_month(review.month, 1))
    # the conclusion stays on one page: eight lessons and eight planned rows, and for each of the lead's
    # paragraphs three lessons and five planned rows fewer
    next_shown = max(2, NEXT_LIMIT - 5 * len(notes))
    shown_lessons, lessons_more = lessons(review, cells, fmt, clip, max(3, LESSONS_LIMIT - 3 * len(notes)))
    return ConclusionContext(
        lead=words.text("review.lead.conclusion", month=fmt.month(review.month)),
        notes=notes,
        takeaways=takeaways,
        planned_done=planned_done(review, fmt),
        lessons=shown_lessons,
        lessons_more=lessons_more,
        next_month_title=words.text("review.conclusion.next_month", month=next_month),
        next_rows=tuple(next_month_row(row, fmt, clip) for row in review.next_rows[:next_shown]),
        next_more=more(len(review.next_rows), next_shown, fmt, planned=True),
        no_next=words.text(
            "review.conclusion.no_open" if review.next_done else "review.conclusion.no_next", month=next_month
        ),
        next_done=words.text("review.conclusion.next_done", count=review.next_done, month=next_month)
        if review.next_done
        else "",
    )
