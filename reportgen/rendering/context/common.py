# mypy: disallow-any-explicit, disallow-any-generics, disallow-untyped-defs
"""What every part of the page shares: cell text bounded before layout (`bounded`, `Clip`), where a row's
cells are (`Cells`), cited cells and the notes on lists that were cut, and each numbered section's frame (its
heading, the lead's notes, its "Easily overlooked" box and its KPIs' trend lines)."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reportgen.base import vocab
from reportgen.base.catalogue import Catalogue
from reportgen.base.model import CellRef, Mapped, Principle, column_letter
from reportgen.figures import claims
from reportgen.figures.kpis import headline_kpis, headline_result
from reportgen.figures.overlooked import Overlooked
from reportgen.figures.review import Review
from reportgen.wording.format import Formatter

OVERLOOKED_LIMIT = 6  # items in one "easily overlooked" box, the most telling first
FINDINGS_LIMIT = 120  # errors first; `reportgen check` lists them all
REFS_SHOWN = 6
# Cell text is bounded before layout: a pasted paragraph of 32,767 characters, one unbroken word or a
# 2,000-line cell kept WeasyPrint measuring one table for over 15 minutes (issue 19). Widths count units: a
# character is one, a wide (Chinese) character two, so a bound reads about as long in either language.
CELL_WIDTH = 300  # a table cell's text: 300 letters or 150 Chinese characters
CELL_LINES = 6  # lines of a cell's text (a 2,000-line cell shows its first six)
PHRASE_WIDTH = 120  # a name quoted in a sentence or a narrow column: a goal, an initiative, an owner
PHRASE_LINES = 2
TEAM_WIDTH = 60  # the team (the title cell when the config names none): the cover's title, atop every page
NOTE_WIDTH = 1200  # one paragraph of the lead's (Commentary sheet)
NOTE_LINES = 12
CUT_MARK = "…"


@dataclass(frozen=True, slots=True)
class LeadNote:
    """A paragraph of the Commentary sheet as the page shows it: the lead's words and the cell they are in."""

    text: str
    cell: str


@dataclass(frozen=True, slots=True)
class OverlookedItem:
    """An "Easily overlooked" item as the page shows it: the sentence and the cells behind it."""

    text: str
    cells: str


@dataclass(frozen=True, slots=True)
class TrendLine:
    """One KPI over twelve months in a section: the chart's name and a caption with its first and last."""

    chart: str
    caption: str


@dataclass(frozen=True, slots=True)
class SectionFrame:
    """What every numbered section has around its own content: heading, lead, the lead's notes and its
    "Easily overlooked" box (the most telling items, and how many more there are)."""

    key: str  # the principle: the section's anchor, and the table of contents' link to it
    number: int
    title: str
    lead: str
    notes: tuple[LeadNote, ...]
    overlooked: tuple[OverlookedItem, ...]
    overlooked_more: str  # "… and 3 more like these." or ""
    trends: tuple[TrendLine, ...] = ()  # the section's KPIs over twelve months
    cut: bool = False  # a cell's text in it was cut: it says where the full text is (review.cut_note)


@dataclass(frozen=True, slots=True)
class FindingRow:
    """A data-quality finding: severity (a CSS key and its label), cell and sentence."""

    severity: str
    severity_label: str
    cell: str
    message: str


def bounded(text: str, width: int = CELL_WIDTH, lines: int = CELL_LINES) -> str:
    """`text` as the page shows it: itself when it fits in `width` units (a wide character counts two) and
    `lines` lines, else cut before the first unit or line past the bound and marked "…" (within the width).
    Only as much of the text is read as the bound needs, whatever the cell holds."""
    units = 0
    breaks = 0
    fits = 0  # how many characters fit with room for the mark
    for index, char in enumerate(text):
        if char == "\n":
            breaks += 1
            if breaks >= lines:
                return text[:index].rstrip() + CUT_MARK
        units += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
        if units > width:
            return text[:fits].rstrip() + CUT_MARK
        if units < width:  # the mark takes one unit
            fits = index + 1
    return text


class Clip:
    """Bounds the cell text of one part of the page and remembers whether it cut any, so that part can say
    where the full text is. Made afresh for each part by `build_context`, never kept."""

    def __init__(self) -> None:
        self.cut = False

    def __call__(self, text: str, width: int = CELL_WIDTH, lines: int = CELL_LINES) -> str:
        shown = bounded(text, width, lines)
        if shown is not text:
            self.cut = True
        return shown

    def phrase(self, text: str) -> str:
        """A name in a sentence or a narrow column."""
        return self(text, PHRASE_WIDTH, PHRASE_LINES)

    def params(self, params: Mapping[str, object]) -> dict[str, object]:
        """A sentence's parameters with their text (names from cells, a cell's value) bounded as phrases."""
        return {
            name: self.phrase(value) if isinstance(value, str) else value for name, value in params.items()
        }


def trend_charts(review: Review, wide: bool = False) -> dict[str, str]:
    """The headline KPIs that have a twelve-month chart (two months or more to draw), by KPI: the chart's
    name (`trend_<kpi>` on the cover, `trend_wide_<kpi>` in the sections)."""
    trends = review.kpi_trends
    if trends is None:
        return {}
    prefix = "trend_wide_" if wide else "trend_"
    return {kpi: f"{prefix}{kpi}" for kpi in trends.charted}


def section_trends(principle: Principle, review: Review, fmt: Formatter) -> tuple[TrendLine, ...]:
    """A section's KPIs over twelve months (those the registry places in it, in its order): each chart with a
    caption naming the months it covers and its latest value (the chart itself labels its lowest and
    highest), written as the chart writes them."""
    trends = review.kpi_trends
    if trends is None:
        return ()
    names = trend_charts(review, wide=True)
    # the charts start at the first month any KPI is known (render.kpi_trend_charts), so every caption does
    months = trends.months[trends.first_known :]
    lines = []
    for kpi in headline_kpis(headline_result(review.current)):
        last = trends.latest(kpi.name)
        if kpi.section is not principle or kpi.name not in names or last is None:
            continue
        values = trends.values(kpi.name)
        written = fmt.kpi_values(kpi, values)  # as the chart and the card write each figure
        lines.append(
            TrendLine(
                chart=names[kpi.name],
                caption=fmt.words.text(
                    "review.trend_caption",
                    label=fmt.kpi(kpi.name, capital=True),
                    first_month=fmt.month(months[0]),
                    last_month=fmt.month(months[-1]),
                    months=len(months),
                    last=written(last.value),
                    latest_month=fmt.month(last.month),
                ),
            )
        )
    return tuple(lines)


def counted(words: Catalogue, code: str, count: int, **params: object) -> str:
    """A sentence about `count` things (the catalogue picks the singular form for one)."""
    return words.text(code, count=count, **params)


def words_list(fmt: Formatter, items: Sequence[str]) -> str:
    """Names joined as the review's language lists them."""
    return fmt.words.text("where.list").join(items)


def more(
    total: int, shown: int, fmt: Formatter, *, planned: bool = False, listed: bool = True, cut_at: int = 0
) -> str:
    """'… and 12 more; appendix A of this review lists every activity of the month.' when a list was cut,
    else '': management reads the PDF, not the workbook, so the note points into the PDF. Next month's plan
    (`planned`) is in no appendix of this one: next month's review lists it; what appendix A does not list
    (lessons, initiatives: not `listed`) is only counted. `cut_at`: appendix A itself lists only the first
    that many activities, so the note points to the complete table attached to the PDF."""
    if total <= shown:
        return ""
    if planned:
        return fmt.words.text("review.list_more_next", count=total - shown)
    if listed and cut_at:
        return fmt.words.text("review.list_more_attached", count=total - shown, limit=fmt.number(cut_at))
    return fmt.words.text("review.list_more" if listed else "review.list_more_plain", count=total - shown)


class Cells:
    """Where a row's value is on the activity sheet: "C7" where the page has no room for more (a stage's chip
    in section 4), "Activities!C7" in a cell column or a list of cells, as every other citation reads."""

    def __init__(self, review: Review) -> None:
        self.sheet = review.checked.sheet
        self.columns = review.checked.columns
        self.activity_column = self.columns.get("activity", self.columns["date"])
        self.archived = claims.Citer(review).archived  # a row the archive supplied

    def of(self, row: Mapped, field_name: str = "activity") -> str:
        """The row's cell of `field_name`, or of its activity when the sheet has no such column."""
        return f"{column_letter(self.columns.get(field_name, self.activity_column))}{row.activity.row}"

    def cite(self, row: Mapped, field_name: str = "activity") -> str:
        """The row's cell of `field_name` with its sheet ("Activities!C7"), as appendix B and the "Easily
        overlooked" boxes cite cells."""
        return str(CellRef(self.sheet, self.of(row, field_name)))


def cell_text(cell: str, fmt: Formatter) -> str:
    """A cited cell as the page shows it: an archived row's with the review that kept it."""
    place, month = claims.cited_place(cell)
    return fmt.words.text("review.archived_cell", cell=place, month=fmt.month(month)) if month else place


def refs_text(cited: Sequence[str], fmt: Formatter) -> str:
    cells = [cell_text(cell, fmt) for cell in cited[:REFS_SHOWN]]
    rows = cited
    if len(rows) > REFS_SHOWN:
        cells.append(fmt.words.text("review.and_more", count=len(rows) - REFS_SHOWN))
    return fmt.words.text("review.cells", cells=fmt.words.text("where.list").join(cells)) if cells else ""


def overlooked_items(
    items: Sequence[Overlooked], review: Review, fmt: Formatter, clip: Clip
) -> tuple[OverlookedItem, ...]:
    cite = claims.Citer(review)
    return tuple(
        OverlookedItem(
            fmt.say(f"overlooked.{item.code}", clip.params(item.params)),
            refs_text(cite(item.rows), fmt),
        )
        for item in items
    )


def commentary_notes(review: Review, clips: Mapping[str, Clip]) -> dict[str, tuple[LeadNote, ...]]:
    """The month's Commentary paragraphs by section, in sheet order; bounded, since a cell may hold a page
    (each by the clip of the part it stands in)."""
    notes: dict[str, list[LeadNote]] = {section: [] for section in vocab.COMMENTARY_SECTIONS}
    for note in review.commentary:  # at most NOTES_PER_PART a part: build_review kept them, and said so
        text = clips[note.section](note.text, NOTE_WIDTH, NOTE_LINES)
        notes[note.section].append(LeadNote(text, str(note.ref)))
    return {section: tuple(shown) for section, shown in notes.items()}


def section_frame(
    principle: Principle, number: int, review: Review, notes: tuple[LeadNote, ...], fmt: Formatter, clip: Clip
) -> SectionFrame:
    words = fmt.words
    overlooked = review.overlooked[principle]
    return SectionFrame(
        key=principle.value,
        number=number,
        title=words.text(f"review.section.{principle.value}"),
        lead=words.text(f"review.lead.{principle.value}"),
        notes=notes,
        overlooked=overlooked_items(overlooked[:OVERLOOKED_LIMIT], review, fmt, clip),
        overlooked_more=words.text("review.overlooked_more", count=len(overlooked) - OVERLOOKED_LIMIT)
        if len(overlooked) > OVERLOOKED_LIMIT
        else "",
        trends=section_trends(principle, review, fmt),
    )
