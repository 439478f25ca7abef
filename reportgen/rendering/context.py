# mypy: disallow-any-explicit, disallow-any-generics, disallow-untyped-defs
"""What the review page shows, typed: one frozen dataclass per section, each made by one small function from
the `Review`. Every number is formatted here, per locale, with Babel; every sentence comes from the catalogue.
Cell text is kept as plain strings that the template escapes, never put into an attribute, a URL or a style.

The template reads these attributes by name (`review.execution.misses`, `miss.decision`), so a misspelt name
fails mypy here or StrictUndefined there, instead of printing nothing."""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from reportgen import __version__
from reportgen.base import vocab
from reportgen.base.catalogue import Catalogue
from reportgen.base.model import Finding as ModelFinding
from reportgen.base.model import Mapped, Principle, column_letter
from reportgen.figures import claims
from reportgen.figures.changes import FindingChange, Revision, RowChange, iso_date
from reportgen.figures.kpis import Delta, Kind, Kpi, cards, headline_kpis, headline_result, is_kpi, named
from reportgen.figures.metrics import (
    LAYERS,
    ChannelMonth,
    CompoundingTrend,
    GoalFigures,
    Ladder,
    Stage,
    lessons_taught,
    shift_month,
)
from reportgen.figures.overlooked import Overlooked
from reportgen.figures.review import Review, severity_counts, team_name, worst_first
from reportgen.wording.format import Formatter
from reportgen.wording.text import finding_message, source_text

APPENDIX_LIMIT = 300
LADDER_LIMIT = 12
MISSES_LIMIT = 7  # section 2 must end on its page with its "easily overlooked" box
LESSONS_LIMIT = 8  # distinct lessons in the conclusion, in sheet order
NOTES_LIMIT = 3  # the lead's paragraphs per section (Commentary sheet)
NEXT_LIMIT = 8  # next month's plan: the conclusion stays on one page
RUNG_LIMIT = 2  # stages drawn per layer of a ladder
OVERLOOKED_LIMIT = 6  # items in one "easily overlooked" box, the most telling first
FINDINGS_LIMIT = 120  # errors first; `reportgen check` lists them all
REFS_SHOWN = 6
SECTION_ORDER: tuple[Principle, ...] = (
    Principle.CONNECTION,
    Principle.EXECUTION,
    Principle.DEFERRED_PAYOFF,
    Principle.LAYERED,
)


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
MESSAGE_WIDTH = 600  # a finding's sentence as the archive kept it (the page of changes)
CUT_MARK = "…"


def table_name(stem: str, month: str) -> str:
    """The complete activity table's file name, attached to the PDF (and written beside it) when the appendix
    is cut: the appendix's note names it."""
    return f"{stem}-{month}-activities.xlsx"


# ------------------------------------------------------------------------------------------------- the types


@dataclass(frozen=True, slots=True)
class KpiCard:
    label: str
    value: str
    delta: str  # "+12 (+8%)", "+3.2 pp", "new", or ""
    direction: str  # up | down | flat | new | none
    note: str
    tone: str = "neutral"  # good | bad | neutral: more activities or cost is neither good nor bad by itself
    remark: str = ""  # what the figure does not say by itself (work of the month still open)
    trend: str = ""  # the chart of its twelve months, when there are two months to draw


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
class CoverContext:
    """The cover: scope, KPI cards, takeaways, the intro's lead and notes, the data-quality line, contents."""

    scope: str
    generated: str
    kpis: tuple[KpiCard, ...]
    no_previous: str  # why the cards have no deltas, or ""
    takeaways: tuple[str, ...]
    lead: str
    notes: tuple[LeadNote, ...]
    data_quality: str
    contents: tuple[SectionFrame, ...]  # the numbered sections, in order
    revised: str = ""  # "Revised — replaces the review sent on …", or ""
    trend_note: str = ""  # which months of the trend lines came from the archive, or ""
    cut: bool = False  # a cell's text on it (the team, a takeaway, a note) was cut


@dataclass(frozen=True, slots=True)
class GoalRow:
    id: str
    name: str
    metric: str
    target: str
    actual: str
    attainment: str
    activities: str
    cost: str
    channel_mix: str  # "SEO 3, Content 2": the words for the mix when there is no chart


@dataclass(frozen=True, slots=True)
class ConnectionContext:
    """1 Connection: each goal's attainment and channel mix, and how much of the work is tied to a goal."""

    frame: SectionFrame
    goals: tuple[GoalRow, ...]
    coverage: str


@dataclass(frozen=True, slots=True)
class MissRow:
    """A delayed or cancelled activity and the decision recorded behind it (None: no decision recorded)."""

    activity: str
    status: str
    owner: str
    decision: str | None
    cell: str


@dataclass(frozen=True, slots=True)
class ExecutionContext:
    """2 Execution and decisions: completion, on-time and slip sentences, then the misses."""

    frame: SectionFrame
    summary: tuple[str, ...]  # one sentence each: completion, on time, slip
    misses: tuple[MissRow, ...]
    misses_more: str


@dataclass(frozen=True, slots=True)
class TrendMonth:
    month: str
    activities: str
    cost: str
    results: str
    cumulative_cost: str
    cumulative_results: str
    cost_per_result: str


@dataclass(frozen=True, slots=True)
class ChannelTrend:
    """A compounding channel over the trailing months; `label` names it with its result metric."""

    label: str
    months: tuple[TrendMonth, ...]


@dataclass(frozen=True, slots=True)
class DeferredPayoffContext:
    """3 Deferred payoff: cumulative cost and results of the compounding channels, month by month."""

    frame: SectionFrame
    trends: tuple[ChannelTrend, ...]
    no_trends: str


@dataclass(frozen=True, slots=True)
class StageMark:
    """One stage row drawn on a rung: its status (a CSS key and its label) and the cell it is in."""

    status: str
    status_label: str
    cell: str


@dataclass(frozen=True, slots=True)
class Rung:
    """One layer of an initiative's ladder: its latest stages, how many earlier ones were not drawn."""

    layer: str
    stages: tuple[StageMark, ...]
    earlier: int
    skipped: bool
    standing: bool


@dataclass(frozen=True, slots=True)
class LadderRow:
    """An initiative as a ladder: where it stands, what it is on now, and whether it stalled or skipped."""

    initiative: str
    owner: str
    rungs: tuple[Rung, ...]
    standing: str
    now: str
    stalled: str
    skipped: str


@dataclass(frozen=True, slots=True)
class LayeredContext:
    """4 Layered structure: one ladder per initiative, a column per layer."""

    frame: SectionFrame
    layers: tuple[str, ...]
    ladders: tuple[LadderRow, ...]
    ladders_more: str
    no_ladders: str


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


@dataclass(frozen=True, slots=True)
class AppendixRow:
    """An activity of the month with the goal and principle it was mapped to, and what decided each."""

    cell: str
    date: str
    channel: str
    activity: str
    status: str
    goal: str
    goal_source: str
    principle: str
    principle_source: str


@dataclass(frozen=True, slots=True)
class FindingRow:
    """A data-quality finding: severity (a CSS key and its label), cell and sentence."""

    severity: str
    severity_label: str
    cell: str
    message: str


@dataclass(frozen=True, slots=True)
class AppendixContext:
    """The appendices: the activities that fit (the note names the attached table for the rest) and the
    findings, worst first."""

    activities: tuple[AppendixRow, ...]
    activities_note: str  # names the attached complete table when the list was cut, else ""
    findings: tuple[FindingRow, ...]
    findings_note: str  # "The first 120 of 217 findings are listed…", or ""
    table_attached: bool = False  # the complete activity table travels inside the PDF (and beside it)
    activities_cut: bool = False  # a cell's text in appendix A was cut
    findings_cut: bool = False  # a value quoted in appendix B was cut


@dataclass(frozen=True, slots=True)
class ChangeRow:
    """A headline figure as the sent review showed it and as it is now."""

    label: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class RowChangeRow:
    """A row added, removed or changed since the sent review, with its cell and the fields that changed."""

    change: str
    cell: str
    activity: str
    fields: str


@dataclass(frozen=True, slots=True)
class RevisionContext:
    """The appendix page a revision adds: what changed since the review management received."""

    title: str
    intro: str
    figures: tuple[ChangeRow, ...]
    findings_added: tuple[FindingRow, ...]
    findings_removed: tuple[FindingRow, ...]
    rows: tuple[RowChangeRow, ...]
    rows_more: str
    cut: bool = False  # a cell's text in it was cut


@dataclass(frozen=True, slots=True)
class ReviewContext:
    """The whole page: every section's context, already formatted; `charts` (name → image URL) is filled in by
    the caller with `dataclasses.replace` once it knows how the images travel (PDF fetcher or data: URLs)."""

    lang: str
    words: Catalogue
    team: str
    month: str
    month_label: str
    title: str
    generator: str
    cover: CoverContext
    connection: ConnectionContext
    execution: ExecutionContext
    deferred_payoff: DeferredPayoffContext
    layered: LayeredContext
    conclusion: ConclusionContext
    appendix: AppendixContext
    charts: Mapping[str, str] = field(default_factory=dict)
    revision: RevisionContext | None = None  # a revised review's page of changes
    cut_note: str = ""  # where the full text of a cut cell is; each part that cut one shows it


# ---------------------------------------------------------------------------------------------- the helpers

CHANGED_ROWS_LIMIT = 40  # rows listed on the page of changes; the archive's history has the rest


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


def delta_text(kpi: Kpi, delta: Delta, fmt: Formatter) -> str:
    """A KPI's change as its card writes it: "+12 (+8%)", "−$28.20 (−0.04%)", "+3.2 pp", "new" or ""."""
    if delta.direction == "none":
        return ""
    if delta.direction == "new":
        return fmt.words.text("review.kpi_new")
    if delta.points is not None:
        return fmt.points(delta.points)
    difference = delta.difference if delta.difference is not None else Decimal(0)
    absolute = fmt.money(abs(difference)) if kpi.kind is Kind.MONEY else fmt.number(abs(difference))
    sign = "+" if difference > 0 else ("−" if difference < 0 else "±")
    relative = f" ({sign}{fmt.percent(abs(delta.relative))})" if delta.relative is not None else ""
    return f"{sign}{absolute}{relative}"


def kpi_cards(review: Review, fmt: Formatter) -> tuple[KpiCard, ...]:
    """The cover's cards: the registry's (figures/kpis.py), in its order."""
    words = fmt.words
    vs = (
        words.text("review.kpi_vs", month=fmt.month(shift_month(review.month, -1))) if review.previous else ""
    )
    names = trend_charts(review)
    return tuple(
        KpiCard(
            fmt.kpi(card.kpi.name, capital=True),
            fmt.kpi_value(card.kpi, card.value),
            delta_text(card.kpi, card.delta, fmt),
            card.delta.direction,
            vs,
            card.kpi.tone(card.delta.direction),
            words.text(card.kpi.remark.key, count=card.remark, number=fmt.number(card.remark))
            if card.kpi.remark is not None and card.remark
            else "",
            names.get(card.kpi.name, ""),
        )
        for card in cards(review.current, review.previous)
    )


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
        written = fmt.kpi_values(kpi, values)  # one precision for the whole chart
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


def trend_note(review: Review, fmt: Formatter) -> str:
    """Which months of the trend lines only the archive knew, or ''."""
    trends = review.kpi_trends
    if trends is None or not trends.from_archive:
        return ""
    months = fmt.words.text("where.list").join(fmt.month(month) for month in trends.from_archive)
    return fmt.words.text("review.trend_from_archive", months=months)


def counted(words: Catalogue, code: str, count: int, **params: object) -> str:
    """A sentence about `count` things (the catalogue picks the singular form for one)."""
    return words.text(code, count=count, **params)


def words_list(fmt: Formatter, items: Sequence[str]) -> str:
    """Names joined as the review's language lists them."""
    return fmt.words.text("where.list").join(items)


def more(total: int, shown: int, fmt: Formatter, *, planned: bool = False, listed: bool = True) -> str:
    """'… and 12 more; appendix A of this review lists every activity of the month.' when a list was cut,
    else '': management reads the PDF, not the workbook, so the note points into the PDF. Next month's plan
    (`planned`) is in no appendix of this one: next month's review lists it; what appendix A does not list
    (lessons, initiatives: not `listed`) is only counted."""
    code = "review.list_more_next" if planned else "review.list_more" if listed else "review.list_more_plain"
    return fmt.words.text(code, count=total - shown) if total > shown else ""


class Cells:
    """Where a row's value is on the activity sheet: "C7" for the page's cell columns."""

    def __init__(self, review: Review) -> None:
        self.columns = review.checked.columns
        self.activity_column = self.columns.get("activity", self.columns["date"])
        self.archived = claims.Citer(review).archived  # a row the archive supplied

    def of(self, row: Mapped, field_name: str = "activity") -> str:
        """The row's cell of `field_name`, or of its activity when the sheet has no such column."""
        return f"{column_letter(self.columns.get(field_name, self.activity_column))}{row.activity.row}"


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
    for note in review.commentary:
        shown = notes[note.section]
        if len(shown) < NOTES_LIMIT:
            shown.append(LeadNote(clips[note.section](note.text, NOTE_WIDTH, NOTE_LINES), str(note.ref)))
    return {section: tuple(shown) for section, shown in notes.items()}


# ------------------------------------------------------------------------------------------ the sections


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


def cover_context(
    review: Review,
    findings: Sequence[ModelFinding],
    notes: tuple[LeadNote, ...],
    takeaways: tuple[str, ...],
    contents: tuple[SectionFrame, ...],
    fmt: Formatter,
) -> CoverContext:
    words = fmt.words
    reach = claims.scope(review)
    counts = severity_counts(findings)
    scope_text = words.text(
        "review.cover_scope",
        activities=fmt.number(reach.activities),
        channels=fmt.number(reach.channels),
        owners=fmt.number(reach.owners),
    )
    if reach.unowned:
        scope_text += counted(words, "review.unowned", len(reach.unowned), cost=fmt.money(reach.unowned_cost))
    quality = (
        words.text(
            "review.data_quality_month",
            errors=counted(words, "review.count_error", counts.errors),
            warnings=counted(words, "review.count_warning", counts.warnings),
            infos=counted(words, "review.count_info", counts.infos),
        )
        if findings
        else words.text("review.data_quality_month_clean")
    )
    if review.findings_elsewhere:
        quality += words.text("where.sentence_gap") + counted(
            words, "review.data_quality_elsewhere", review.findings_elsewhere
        )
    return CoverContext(
        scope=scope_text,
        generated=words.text("review.generated", date=fmt.date(review.as_of)),
        kpis=kpi_cards(review, fmt),
        no_previous=""
        if review.previous
        else words.text("review.no_previous", month=fmt.month(shift_month(review.month, -1))),
        takeaways=takeaways,
        lead=words.text("review.lead.intro", month=fmt.month(review.month)),
        notes=notes,
        data_quality=quality,
        contents=contents,
    )


def goal_row(goal: GoalFigures, fmt: Formatter, clip: Clip) -> GoalRow:
    return GoalRow(
        id=clip.phrase(goal.id),
        name=clip(goal.name),
        metric=fmt.metric(goal.metric) if goal.metric else "—",
        target=fmt.number(goal.target),
        actual=fmt.number(goal.actual),
        attainment=fmt.percent(goal.attainment),
        activities=fmt.number(goal.activities),
        cost=fmt.money(goal.cost),
        channel_mix=", ".join(f"{fmt.channel(channel)} {count}" for channel, count in goal.channels.items()),
    )


def connection_context(review: Review, frame: SectionFrame, fmt: Formatter, clip: Clip) -> ConnectionContext:
    current = review.current
    attainment = fmt.percents(goal.attainment for goal in current.goals)  # one precision for the column
    return ConnectionContext(
        frame=frame,
        goals=tuple(
            dataclasses.replace(goal_row(goal, fmt, clip), attainment=attainment(goal.attainment))
            for goal in current.goals
        ),
        coverage=fmt.words.text(
            "review.connection.coverage",
            share_activities=fmt.percent(current.goal_coverage),
            share_cost=fmt.percent(current.goal_cost_coverage),
        ),
    )


def execution_summary(run: claims.Execution, fmt: Formatter) -> tuple[str, ...]:
    """Completion, on time, and how far the late ones slipped, as sentences (figures: claims.execution)."""
    words = fmt.words
    sentences = [
        words.text(
            "review.execution.completion",
            done=fmt.number(run.done),
            planned=fmt.number(run.planned),
            rate=fmt.percent(run.completion),
        ),
        words.text(
            "review.execution.on_time",
            on_time=fmt.number(run.on_time),
            dated=fmt.number(run.dated),
            rate=fmt.percent(run.on_time_rate),
        )
        if run.dated
        else words.text("review.execution.on_time_none"),
    ]
    if run.slips:
        sentences.append(
            words.text(
                "review.execution.slip",
                late=fmt.number(len(run.late)),
                average=fmt.number(run.average_slip),
                worst=fmt.number(run.worst_slip),
            )
        )
    elif run.dated:
        sentences.append(words.text("review.execution.no_slip"))
    return tuple(sentences)


def execution_context(
    review: Review, frame: SectionFrame, cells: Cells, fmt: Formatter, clip: Clip
) -> ExecutionContext:
    run = claims.execution(review)
    misses = run.misses  # the unexplained first: they need action
    # the page holds seven misses, or two fewer for each of the lead's paragraphs on it
    shown = max(3, MISSES_LIMIT - 2 * len(frame.notes) - (2 if frame.trends else 0))  # each takes ~2 rows
    decision_field = "decision" if "decision" in cells.columns else "activity"
    return ExecutionContext(
        frame=frame,
        summary=execution_summary(run, fmt),
        misses=tuple(
            MissRow(
                activity=clip(row.activity.activity),
                status=fmt.status(row.activity.status),
                owner=clip.phrase(row.activity.owner or "—"),
                decision=clip(row.activity.decision) if row.activity.decision is not None else None,
                cell=cells.of(row, decision_field),
            )
            for row in misses[:shown]
        ),
        misses_more=more(len(misses), shown, fmt),
    )


def trend_month(entry: ChannelMonth, fmt: Formatter) -> TrendMonth:
    return TrendMonth(
        month=fmt.month_short(entry.month),
        activities=fmt.number(entry.activities),
        cost=fmt.money(entry.cost),
        results=fmt.number(entry.results),
        cumulative_cost=fmt.money(entry.cumulative_cost),
        cumulative_results=fmt.number(entry.cumulative_results),
        cost_per_result=fmt.money(entry.cost_per_result.quantize(Decimal("0.01")))
        if entry.cost_per_result is not None
        else "—",
    )


def channel_trend(trend: CompoundingTrend, fmt: Formatter) -> ChannelTrend:
    return ChannelTrend(
        label=fmt.words.text(
            "review.with_unit", label=fmt.channel(trend.channel), unit=fmt.metric(trend.result_metric)
        ),
        months=tuple(trend_month(entry, fmt) for entry in trend.months),
    )


def deferred_payoff_context(review: Review, frame: SectionFrame, fmt: Formatter) -> DeferredPayoffContext:
    return DeferredPayoffContext(
        frame=frame,
        trends=tuple(channel_trend(trend, fmt) for trend in review.trends),
        no_trends=fmt.words.text(
            "review.deferred.none",
            channels=words_list(fmt, [fmt.channel(channel) for channel in review.compounding]),
        ),
    )


def stage_mark(stage: Stage, cells: Cells, fmt: Formatter) -> StageMark:
    cell = cells.of(stage.row, "stage")
    if cells.archived(stage.row):  # that cell holds something else in today's workbook
        cell = fmt.words.text(
            "review.archived_cell_short", cell=cell, month=fmt.month_short(stage.row.activity.month)
        )
    return StageMark(status=stage.status.value, status_label=fmt.status(stage.status), cell=cell)


def rung(ladder: Ladder, layer: str, cells: Cells, fmt: Formatter) -> Rung:
    on_layer = ladder.stages_on(layer)
    return Rung(
        layer=fmt.layer(layer),
        # the latest rows of a layer tell where it stands; older ones are counted, not drawn
        stages=tuple(stage_mark(stage, cells, fmt) for stage in on_layer[-RUNG_LIMIT:]),
        earlier=max(0, len(on_layer) - RUNG_LIMIT),
        skipped=layer in ladder.skipped,
        standing=layer == ladder.standing,
    )


def ladder_row(ladder: Ladder, cells: Cells, fmt: Formatter, clip: Clip) -> LadderRow:
    words = fmt.words
    if ladder.finished:
        now = words.text("review.layered.all_done")
    elif ladder.current is None:  # every stage so far is done or cancelled; the next layer has no row yet
        now = words.text("review.layered.next_open", layer=fmt.layer(ladder.next_layer))
    elif ladder.current.layer:
        now = fmt.layer(ladder.current.layer)
    else:
        now = clip.phrase(ladder.current.row.activity.stage or "")
    return LadderRow(
        initiative=clip(ladder.initiative),
        owner=clip.phrase(ladder.owner or "—"),
        rungs=tuple(rung(ladder, layer, cells, fmt) for layer in LAYERS),
        standing=fmt.layer(ladder.standing) if ladder.standing else words.text("review.layered.nothing_done"),
        now=now,
        stalled=words.text("review.layered.stalled", days=ladder.stalled_days) if ladder.stalled_days else "",
        skipped=words.text("review.layered.skipped", layers=fmt.value("layers", ladder.skipped))
        if ladder.skipped
        else "",
    )


def layered_context(
    review: Review, frame: SectionFrame, cells: Cells, fmt: Formatter, clip: Clip
) -> LayeredContext:
    return LayeredContext(
        frame=frame,
        layers=tuple(fmt.layer(layer) for layer in LAYERS),
        ladders=tuple(ladder_row(ladder, cells, fmt, clip) for ladder in review.ladders[:LADDER_LIMIT]),
        ladders_more=more(len(review.ladders), LADDER_LIMIT, fmt, listed=False),
        no_ladders=fmt.words.text("review.layered.none", month=fmt.month(review.month)),
    )


def takeaway_texts(review: Review, fmt: Formatter, clip: Clip) -> tuple[str, ...]:
    """Each takeaway's sentence; a stall with a decision on record asks to confirm it, not to make one."""
    return tuple(
        fmt.say(
            f"takeaway.{item.code}{'_decided' if item.params.get('decided') else ''}",
            clip.params(item.params),
        )
        for item in review.takeaways
    )


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
            cells=words.text("where.list").join(cells.of(row, "lesson") for row in taught[:2]),
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


def appendix_row(row: Mapped, cells: Cells, fmt: Formatter, clip: Clip) -> AppendixRow:
    words = fmt.words
    return AppendixRow(
        cell=cells.of(row, "date"),
        date=fmt.day(row.activity.date),
        channel=fmt.channel(row.activity.channel),
        activity=clip(row.activity.activity),
        status=fmt.status(row.activity.status),
        goal=clip.phrase(row.goal_id or "—"),  # the id: section 1's table names each goal once
        goal_source=clip.phrase(source_text(row.goal_decided_by, words, short=True)),
        principle=words.text(f"principle.{row.principle.value}"),
        principle_source=clip.phrase(source_text(row.principle_decided_by, words, short=True)),
    )


def finding_row(finding: ModelFinding, words: Catalogue, clip: Clip) -> FindingRow:
    """A finding's sentence with the cell text it quotes (a 32,767-character value that is not a date)
    bounded; `reportgen check` and the JSON keep it whole."""
    return FindingRow(
        severity=finding.severity.value,
        severity_label=words.text(f"severity.{finding.severity.value}"),
        cell=clip.phrase(finding.where),
        message=finding_message(dataclasses.replace(finding, params=clip.params(finding.params)), words),
    )


def appendix_context(
    review: Review,
    findings: Sequence[ModelFinding],
    table: str,
    cells: Cells,
    fmt: Formatter,
    clip: Clip,
    findings_clip: Clip,
) -> AppendixContext:
    """`table` names the complete activity table, attached when the list is cut at APPENDIX_LIMIT (or, see
    build_context, when a cell's text was cut anywhere)."""
    words = fmt.words
    rows = review.rows
    listed = worst_first(findings)[:FINDINGS_LIMIT]
    activities = tuple(appendix_row(row, cells, fmt, clip) for row in rows[:APPENDIX_LIMIT])
    shown_findings = tuple(finding_row(finding, words, findings_clip) for finding in listed)
    return AppendixContext(
        activities=activities,
        activities_note=words.text(
            "review.appendix.truncated", shown=APPENDIX_LIMIT, total=len(rows), name=table
        )
        if len(rows) > APPENDIX_LIMIT
        else "",
        findings=shown_findings,
        findings_note=words.text("review.appendix.findings_truncated", shown=len(listed), total=len(findings))
        if len(findings) > len(listed)
        else "",
        table_attached=len(rows) > APPENDIX_LIMIT,
        activities_cut=clip.cut,
        findings_cut=findings_clip.cut,
    )


def build_context(
    review: Review,
    team: str | None,
    extra_findings: Sequence[ModelFinding] = (),
    stem: str = "review",
    revision: Revision | None = None,
) -> ReviewContext:
    """The page's context for one review. `extra_findings` are those found while rendering (glyphs); `stem`
    names the complete activity table the appendix points to when it is cut."""
    fmt = Formatter(review.lang, review.checked.currency)
    checked = review.checked
    findings = [*review.findings, *extra_findings]
    # one clip per part of the page: a part that cut a cell's text says where the full text is
    clips = {part: Clip() for part in (*vocab.COMMENTARY_SECTIONS, "takeaways", "appendix", "findings")}
    notes = commentary_notes(review, clips)
    cells = Cells(review)
    takeaways = takeaway_texts(review, fmt, clips["takeaways"])  # on the cover and in the conclusion
    frames = {
        principle: section_frame(
            principle, number, review, notes[principle.value], fmt, clips[principle.value]
        )
        for number, principle in enumerate(SECTION_ORDER, start=1)
    }
    cover = dataclasses.replace(
        cover_context(review, findings, notes["intro"], takeaways, tuple(frames.values()), fmt),
        revised=fmt.words.text("review.revised", date=fmt.date(revision.replaces_sent_on.date()))
        if revision
        else "",
        trend_note=trend_note(review, fmt),
    )
    # one line: the cover's title and atop every page (a title cell's line breaks are spaces there anyway)
    team_shown = clips["intro"](" ".join(team_name(checked, team).split()), TEAM_WIDTH, 1)
    connection = connection_context(review, frames[Principle.CONNECTION], fmt, clips["connection"])
    execution = execution_context(review, frames[Principle.EXECUTION], cells, fmt, clips["execution"])
    deferred_payoff = deferred_payoff_context(review, frames[Principle.DEFERRED_PAYOFF], fmt)
    layered = layered_context(review, frames[Principle.LAYERED], cells, fmt, clips["layered"])
    conclusion = conclusion_context(review, notes["conclusion"], takeaways, cells, fmt, clips["conclusion"])
    table = table_name(stem, review.month)
    appendix = appendix_context(review, findings, table, cells, fmt, clips["appendix"], clips["findings"])
    changes = revision_context(revision, fmt) if revision else None
    cut = any(clip.cut for clip in clips.values()) or (changes is not None and changes.cut)
    return ReviewContext(
        lang=review.lang,
        words=fmt.words,
        team=team_shown,
        month=review.month,
        month_label=fmt.month(review.month),
        title=fmt.words.text("review.title"),
        generator=f"reportgen {__version__}",
        cover=dataclasses.replace(cover, cut=clips["intro"].cut or clips["takeaways"].cut),
        connection=dataclasses.replace(connection, frame=with_cut(connection.frame, clips)),
        execution=dataclasses.replace(execution, frame=with_cut(execution.frame, clips)),
        deferred_payoff=dataclasses.replace(deferred_payoff, frame=with_cut(deferred_payoff.frame, clips)),
        layered=dataclasses.replace(layered, frame=with_cut(layered.frame, clips)),
        conclusion=dataclasses.replace(conclusion, cut=clips["conclusion"].cut or clips["takeaways"].cut),
        # a cut text also makes the complete table travel with the PDF, whatever the number of rows
        appendix=dataclasses.replace(appendix, table_attached=appendix.table_attached or cut),
        revision=changes,
        cut_note=fmt.words.text(
            "review.cut_note", width=CELL_WIDTH, wide=CELL_WIDTH // 2, lines=CELL_LINES, name=table
        )
        if cut
        else "",
    )


def with_cut(frame: SectionFrame, clips: Mapping[str, Clip]) -> SectionFrame:
    """A section's frame, marked when its clip cut a cell's text (in its table, notes or overlooked box)."""
    return dataclasses.replace(frame, cut=clips[frame.key].cut)


def change_value(name: str, value: object, fmt: Formatter) -> str:
    """A figure (a KPI, "goal:<id>" for a goal's attainment) or a row's field (ROW_FIELDS) of a figures
    document (JSON) as the review writes it: rates as percentages, money with the currency, dates as dates,
    channels, statuses and principles in the review's words."""
    words = fmt.words
    if value is None or value == "":
        return "—"
    if name.startswith("goal:"):
        return fmt.percent(float(value))  # type: ignore[arg-type]
    if is_kpi(name):  # a row's cost is money as the KPI is
        return fmt.kpi_value(named(name), Decimal(str(value)))
    if name == "date":
        day = iso_date(value)
        return fmt.date(day) if day else str(value)
    if name in ("channel", "status", "principle"):
        code = {"status": "review.status"}.get(name, name) + f".{value}"  # channel.sem, review.status.done
        return words.text(code) if code in words.templates else str(value)
    if name in ("activity", "owner", "goal"):
        return str(value)
    return fmt.number(Decimal(str(value)))


def revision_context(revision: Revision, fmt: Formatter) -> RevisionContext:
    """The page of changes: only what reads differently on the page (a rate that moved 0.3 points still
    reads 62%, so it is not listed), each changed field of a row as it was and is now."""
    words = fmt.words
    changes = revision.changes
    sent_on = fmt.date(revision.replaces_sent_on.date())
    clip = Clip()

    def finding_row(change: FindingChange) -> FindingRow:
        cell = f"{change.sheet}!{change.cell}" if change.cell else (change.sheet or "")
        # the sentence as the archive kept it, with whatever cell text it quotes
        message = clip(change.message, MESSAGE_WIDTH)
        return FindingRow(
            change.severity, words.text(f"severity.{change.severity}"), clip.phrase(cell), message
        )

    def figure_label(kpi: str) -> str:
        if kpi.startswith("goal:"):
            return words.text("review.changes.goal", goal=clip.phrase(kpi.removeprefix("goal:")))
        return fmt.kpi(kpi)

    def shown(name: str, before: object, after: object) -> tuple[str, str]:
        return change_value(name, before, fmt), change_value(name, after, fmt)

    def row_fields(change: RowChange) -> str:
        texts = [(field.name, *shown(field.name, field.before, field.after)) for field in change.fields]
        return words.text("review.changes.field_separator").join(
            words.text(
                "review.changes.field",
                field=words.text(f"field.{name}"),
                before=clip.phrase(before),
                after=clip.phrase(after),
            )
            for name, before, after in texts
            if before != after
        )

    # listed only when it reads differently: never "62% → 62%", nor a changed row whose values all read alike
    figures = tuple(
        ChangeRow(figure_label(change.kpi), *texts)
        for change in changes.kpis
        if (texts := shown(change.kpi, change.before, change.after))[0] != texts[1]
    )
    rows = [(change, row_fields(change)) for change in changes.rows]
    rows = [(change, fields) for change, fields in rows if change.kind != "changed" or fields]
    nothing = not (figures or changes.findings_added or changes.findings_removed or rows)
    context = RevisionContext(
        title=words.text("review.changes.title", date=sent_on),
        intro=words.text("review.changes.nothing", date=sent_on)
        if nothing
        else words.text("review.changes.intro", date=sent_on, version=revision.version),
        figures=figures,
        findings_added=tuple(finding_row(change) for change in changes.findings_added[:FINDINGS_LIMIT]),
        findings_removed=tuple(finding_row(change) for change in changes.findings_removed[:FINDINGS_LIMIT]),
        rows=tuple(
            RowChangeRow(
                words.text(f"review.changes.row_{change.kind}"), change.cell, clip(change.activity), fields
            )
            for change, fields in rows[:CHANGED_ROWS_LIMIT]
        ),
        rows_more=more(len(rows), CHANGED_ROWS_LIMIT, fmt),
    )
    return dataclasses.replace(context, cut=clip.cut)
