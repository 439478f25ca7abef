"""The review as HTML.

Plain context objects: every number is formatted here,
per locale, with Babel; every sentence comes from the catalogue. Cell text goes into the page only as escaped
text, never into an attribute, a URL or a style."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from markupsafe import Markup

from reportgen import __version__
from reportgen.base import vocab
from reportgen.base.model import CellRef, Channel, Mapped, Principle, Severity, Status, column_letter
from reportgen.base.model import Finding as ModelFinding
from reportgen.figures.metrics import LAYERS, MonthFigures, shift_month
from reportgen.figures.overlooked import Overlooked, Takeaway
from reportgen.figures.review import Review, severity_counts, worst_first
from reportgen.rendering import charts
from reportgen.rendering.pdf import Asset
from reportgen.rendering.templates import environment
from reportgen.wording.format import Formatter
from reportgen.wording.text import finding_message, source_text

TONES = {"up": "good", "down": "bad", "flat": "neutral", "new": "neutral", "none": "neutral"}
APPENDIX_LIMIT = 300
LIST_LIMIT = 20  # rows of a list inside a section; the appendix (or the attached table) has the rest
LADDER_LIMIT = 12
MISSES_LIMIT = 7  # section 2 must end on its page with its "easily overlooked" box
LESSONS_LIMIT = 8  # distinct lessons in the conclusion, in sheet order
NOTES_LIMIT = 3  # the lead's paragraphs per section (Commentary sheet)
NOTE_CHARS = 1200  # of one paragraph; the cell has the rest
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


@dataclass(frozen=True, slots=True)
class KpiCard:
    label: str
    value: str
    delta: str  # "+12 (+8%)", "+3.2 pp", "new", or ""
    direction: str  # up | down | flat | new | none
    note: str
    tone: str = "neutral"  # good | bad | neutral: more activities or cost is neither good nor bad by itself
    remark: str = ""  # what the figure does not say by itself (work of the month still open)


@dataclass(frozen=True, slots=True)
class Finding:
    """An "Easily overlooked" item as the page shows it: the sentence and the cells behind it."""

    text: str
    cells: str


@dataclass
class Context:
    """Everything the template shows, already formatted; charts are filled in by the caller."""

    lang: str
    words: Callable[..., str]
    team: str
    month: str
    month_label: str
    values: dict[str, Any] = field(default_factory=dict)
    charts: dict[str, str] = field(default_factory=dict)  # name → URL served by the PDF's fetcher


def delta_of(
    current: Decimal | int, previous: Decimal | int | None, fmt: Formatter, money: bool = False
) -> tuple[str, str]:
    """A count's or amount's change: absolute and relative, with its direction."""
    if previous is None:
        return fmt.words.text("review.kpi_new"), "new"
    change = Decimal(current) - Decimal(previous)
    absolute = fmt.money(abs(change)) if money else fmt.number(abs(change))
    sign = "+" if change > 0 else ("−" if change < 0 else "±")
    relative = f" ({sign}{fmt.percent(abs(float(change / Decimal(previous))))})" if previous else ""
    return f"{sign}{absolute}{relative}", "up" if change > 0 else ("down" if change < 0 else "flat")


def rate_delta(current: float | None, previous: float | None, fmt: Formatter) -> tuple[str, str]:
    if current is None or previous is None:
        return ("", "none") if current is None else (fmt.words.text("review.kpi_new"), "new")
    change = (current - previous) * 100
    # under a point either way is noise for a month of work, not news
    return fmt.points(change), "up" if change >= 1 else ("down" if change <= -1 else "flat")


def headline_metric(figures: MonthFigures) -> str:
    """The result the cards lead with: the first of leads, signups, visits, clicks the month has."""
    for metric in ("leads", "signups", "visits", "clicks", "followers", "impressions"):
        if figures.totals.metrics.get(metric):
            return metric
    return "leads"


def kpi_cards(review: Review, fmt: Formatter) -> list[KpiCard]:
    current, previous = review.current, review.previous
    words = fmt.words
    vs = words.text("review.kpi_vs", month=fmt.month(shift_month(review.month, -1))) if previous else ""
    cards = []
    delta, direction = delta_of(
        current.totals.activities, previous.totals.activities if previous else None, fmt
    )
    cards.append(
        KpiCard(
            words.text("review.kpi.activities"), fmt.number(current.totals.activities), delta, direction, vs
        )
    )
    totals = current.totals
    still_open = totals.activities - totals.done - totals.cancelled
    for key in ("completion_rate", "on_time_rate", "goal_coverage"):
        value = getattr(current, key)
        delta, direction = rate_delta(value, getattr(previous, key) if previous else None, fmt)
        remark = ""
        if key == "completion_rate" and still_open > 0:  # a low rate may be a month still under way
            remark = words.text("review.kpi_open", count=still_open, number=fmt.number(still_open))
        cards.append(
            KpiCard(
                words.text(f"review.kpi.{key}"),
                fmt.percent(value),
                delta,
                direction,
                vs,
                TONES[direction],
                remark,
            )
        )
    delta, direction = delta_of(
        current.totals.cost, previous.totals.cost if previous else None, fmt, money=True
    )
    cards.append(KpiCard(words.text("review.kpi.cost"), fmt.money(current.totals.cost), delta, direction, vs))
    metric = headline_metric(current)
    delta, direction = delta_of(
        current.totals.metrics[metric], previous.totals.metrics[metric] if previous else None, fmt
    )
    cards.append(
        KpiCard(
            fmt.metric(metric).capitalize(),
            fmt.number(current.totals.metrics[metric]),
            delta,
            direction,
            vs,
            TONES[direction],
        )
    )
    return cards


def more(total: int, shown: int, fmt: Formatter) -> str:
    """'… and 12 more (see appendix A)' when a list was cut, else ''."""
    return fmt.words.text("review.list_more", count=total - shown) if total > shown else ""


def refs_text(rows: Sequence[Mapped], sheet: str, column: int, fmt: Formatter) -> str:
    cells = [str(CellRef.at(sheet, row.activity.row, column)) for row in rows[:REFS_SHOWN]]
    if len(rows) > REFS_SHOWN:
        cells.append(fmt.words.text("review.and_more", count=len(rows) - REFS_SHOWN))
    return fmt.words.text("review.cells", cells=fmt.words.text("where.list").join(cells)) if cells else ""


def overlooked_items(items: Sequence[Overlooked], review: Review, fmt: Formatter) -> list[Finding]:
    sheet = review.checked.sheet
    column = review.checked.columns.get("activity", review.checked.columns["date"])
    return [
        Finding(fmt.say(f"overlooked.{item.code}", item.params), refs_text(item.rows, sheet, column, fmt))
        for item in items
    ]


def takeaway_texts(takeaways: Sequence[Takeaway], fmt: Formatter) -> list[str]:
    return [fmt.say(f"takeaway.{item.code}", item.params) for item in takeaways]


@dataclass(frozen=True, slots=True)
class LeadNote:
    """A paragraph of the Commentary sheet as the page shows it: the lead's words and the cell they are in."""

    text: str
    cell: str


def commentary_notes(review: Review) -> dict[str, list[LeadNote]]:
    """The month's Commentary paragraphs by section, in sheet order; bounded, since a cell may hold a page."""
    notes: dict[str, list[LeadNote]] = {section: [] for section in vocab.COMMENTARY_SECTIONS}
    for note in review.commentary:
        shown = notes[note.section]
        if len(shown) < NOTES_LIMIT:
            text = note.text if len(note.text) <= NOTE_CHARS else note.text[: NOTE_CHARS - 1].rstrip() + "…"
            shown.append(LeadNote(text, str(note.ref)))
    return notes


def build_context(review: Review, team: str | None, extra_findings: Sequence[ModelFinding] = ()) -> Context:
    """The template's context for one review; `extra_findings` are those found while rendering (glyphs)."""
    fmt = Formatter(review.lang, review.checked.currency)
    words = fmt.words
    checked = review.checked
    current = review.current
    columns = checked.columns
    activity_column = columns.get("activity", columns["date"])

    def ref(row: Mapped, field_name: str = "activity") -> str:
        return f"{column_letter(columns.get(field_name, activity_column))}{row.activity.row}"

    all_findings = [*checked.findings, *extra_findings]
    counts = severity_counts(all_findings)
    month_label = fmt.month(review.month)
    values: dict[str, Any] = {}
    values["title"] = words.text("review.title")
    values["generated"] = words.text("review.generated", date=fmt.date(review.as_of))
    values["scope"] = words.text(
        "review.cover_scope",
        activities=fmt.number(current.totals.activities),
        channels=fmt.number(len(current.channels)),
        owners=fmt.number(len([owner for owner in current.owners if owner])),
    )
    values["kpis"] = kpi_cards(review, fmt)
    values["no_previous"] = (
        ""
        if review.previous
        else words.text("review.no_previous", month=fmt.month(shift_month(review.month, -1)))
    )
    values["data_quality"] = (
        words.text(
            "review.data_quality",
            errors=counts.errors,
            warnings=counts.warnings,
            infos=counts.infos,
        )
        if all_findings
        else words.text("review.data_quality_clean")
    )
    values["leads"] = {
        "intro": words.text("review.lead.intro", month=month_label),
        **{principle.value: words.text(f"review.lead.{principle.value}") for principle in SECTION_ORDER},
        "conclusion": words.text("review.lead.conclusion", month=month_label),
    }
    values["commentary"] = commentary_notes(review)
    values["sections"] = [
        {"key": principle.value, "number": number, "title": words.text(f"review.section.{principle.value}")}
        for number, principle in enumerate(SECTION_ORDER, start=1)
    ]
    values["overlooked"] = {
        principle.value: overlooked_items(review.overlooked[principle][:OVERLOOKED_LIMIT], review, fmt)
        for principle in SECTION_ORDER
    }
    values["overlooked_more"] = {
        principle.value: words.text(
            "review.overlooked_more", count=len(review.overlooked[principle]) - OVERLOOKED_LIMIT
        )
        if len(review.overlooked[principle]) > OVERLOOKED_LIMIT
        else ""
        for principle in SECTION_ORDER
    }

    # 1 connection
    values["goals"] = [
        {
            "id": goal.id,
            "name": goal.name,
            "metric": fmt.metric(goal.metric) if goal.metric else "—",
            "target": fmt.number(goal.target),
            "actual": fmt.number(goal.actual),
            "attainment": fmt.percent(goal.attainment),
            "attainment_value": goal.attainment,
            "activities": fmt.number(goal.activities),
            "cost": fmt.money(goal.cost),
            "mix": ", ".join(f"{fmt.channel(channel)} {count}" for channel, count in goal.channels.items()),
        }
        for goal in current.goals
    ]
    values["coverage"] = words.text(
        "review.connection.coverage",
        share_activities=fmt.percent(current.goal_coverage),
        share_cost=fmt.percent(current.goal_cost_coverage),
    )

    # 2 execution
    rows = review.rows
    done = [row for row in rows if row.activity.status is Status.DONE]
    dated = [row for row in done if row.activity.due and row.activity.done_on]
    late = [row for row in dated if row.activity.done_on > row.activity.due]  # type: ignore[operator]
    slips = [(row.activity.done_on - row.activity.due).days for row in late]  # type: ignore[operator]
    planned = current.totals.activities - current.totals.cancelled
    execution = [
        words.text(
            "review.execution.completion",
            done=fmt.number(len(done)),
            planned=fmt.number(planned),
            rate=fmt.percent(current.completion_rate),
        ),
        words.text(
            "review.execution.on_time",
            on_time=fmt.number(len(dated) - len(late)),
            dated=fmt.number(len(dated)),
            rate=fmt.percent(current.on_time_rate),
        )
        if dated
        else words.text("review.execution.on_time_none"),
    ]
    if slips:
        execution.append(
            words.text(
                "review.execution.slip",
                late=fmt.number(len(late)),
                average=fmt.number(round(Decimal(sum(slips)) / len(slips), 1)),
                worst=fmt.number(max(slips)),
            )
        )
    elif dated:
        execution.append(words.text("review.execution.no_slip"))
    values["execution"] = execution
    misses = [row for row in rows if row.activity.status in (Status.DELAYED, Status.CANCELLED)]
    misses.sort(key=lambda row: row.activity.decision is not None)  # the unexplained first: they need action
    # the page holds seven misses, or two fewer for each of the lead's paragraphs on it
    misses_shown = max(3, MISSES_LIMIT - 2 * len(values["commentary"]["execution"]))
    values["misses_more"] = more(len(misses), misses_shown, fmt)
    values["misses"] = [
        {
            "activity": row.activity.activity,
            "status": fmt.status(row.activity.status),
            "owner": row.activity.owner or "—",
            "decision": row.activity.decision,
            "cell": ref(row, "decision" if "decision" in columns else "activity"),
        }
        for row in misses[:misses_shown]
    ]

    # 3 deferred payoff
    values["trends"] = [
        {
            "channel": fmt.channel(trend.channel),
            "metric": fmt.metric(trend.result_metric),
            "months": [
                {
                    "month": fmt.month_short(entry.month),
                    "activities": fmt.number(entry.activities),
                    "cost": fmt.money(entry.cost),
                    "results": fmt.number(entry.results),
                    "cumulative_cost": fmt.money(entry.cumulative_cost),
                    "cumulative_results": fmt.number(entry.cumulative_results),
                    "cost_per_result": fmt.money(entry.cost_per_result.quantize(Decimal("0.01")))
                    if entry.cost_per_result is not None
                    else "—",
                }
                for entry in trend.months
            ],
        }
        for trend in review.trends
    ]
    values["no_trends"] = words.text(
        "review.deferred.none",
        channels=", ".join(fmt.channel(channel) for channel in (Channel.SEO, Channel.CONTENT)),
    )

    # 4 layered
    values["layers"] = [fmt.layer(layer) for layer in LAYERS]
    values["ladders_more"] = more(len(review.ladders), LADDER_LIMIT, fmt)
    values["ladders"] = [
        {
            "initiative": ladder.initiative,
            "owner": ladder.owner or "—",
            "rungs": [
                {
                    "layer": fmt.layer(layer),
                    # the latest rows of a layer tell where it stands; older ones are counted, not drawn
                    "stages": [
                        {
                            "stage": stage.row.activity.stage,
                            "status": stage.status.value,
                            "status_label": fmt.status(stage.status),
                            "cell": ref(stage.row, "stage"),
                        }
                        for stage in [stage for stage in ladder.stages if stage.layer == layer][-RUNG_LIMIT:]
                    ],
                    "earlier": max(0, sum(1 for stage in ladder.stages if stage.layer == layer) - RUNG_LIMIT),
                    "skipped": layer in ladder.skipped,
                    "standing": layer == ladder.standing,
                }
                for layer in LAYERS
            ],
            "extra": [
                {
                    "stage": stage.row.activity.stage,
                    "status": stage.status.value,
                    "status_label": fmt.status(stage.status),
                    "cell": ref(stage.row, "stage"),
                }
                for stage in ladder.stages
                if stage.layer is None
            ],
            "standing": fmt.layer(ladder.standing)
            if ladder.standing
            else words.text("review.layered.nothing_done"),
            "now": (
                fmt.layer(ladder.current.layer) if ladder.current.layer else ladder.current.row.activity.stage
            )
            if ladder.current
            else words.text("review.layered.all_done"),
            "stalled": words.text("review.layered.stalled", days=ladder.stalled_days)
            if ladder.stalled_days
            else "",
            "skipped": words.text("review.layered.skipped", layers=fmt.value("layers", ladder.skipped))
            if ladder.skipped
            else "",
        }
        for ladder in review.ladders[:LADDER_LIMIT]
    ]
    values["no_ladders"] = words.text("review.layered.none", month=month_label)

    # conclusion
    totals = current.totals
    values["planned_done"] = words.text(
        "review.conclusion.planned_done_text",
        activities=fmt.number(totals.activities),
        month=month_label,
        done=fmt.number(totals.done),
        in_progress=fmt.number(totals.in_progress),
        delayed=fmt.number(totals.delayed),
        cancelled=fmt.number(totals.cancelled),
        planned=fmt.number(totals.planned),
    )
    other = totals.activities - (
        totals.done + totals.in_progress + totals.planned + totals.delayed + totals.cancelled
    )
    if other:
        values["planned_done"] += " " + words.text(
            "review.conclusion.planned_done_other", other=fmt.number(other)
        )
    # one entry per lesson, however many activities taught it (teams copy a lesson across rows)
    lessons: dict[str, list[Mapped]] = {}
    for row in rows:
        if row.activity.lesson:
            lessons.setdefault(" ".join(row.activity.lesson.split()), []).append(row)
    values["lessons_more"] = more(len(lessons), LESSONS_LIMIT, fmt)
    values["lessons"] = [
        {
            "lesson": lesson,
            "activities": words.text("where.list").join(
                [row.activity.activity for row in taught[:2]]
                + ([words.text("review.and_more", count=len(taught) - 2)] if len(taught) > 2 else [])
            ),
            "cells": words.text("where.list").join(ref(row, "lesson") for row in taught[:2]),
        }
        for lesson, taught in list(lessons.items())[:LESSONS_LIMIT]
    ]
    next_month = shift_month(review.month, 1)
    values["next_month_title"] = words.text("review.conclusion.next_month", month=fmt.month(next_month))
    values["no_next"] = words.text("review.conclusion.no_next", month=fmt.month(next_month))
    # the conclusion holds eight planned rows on its page, five fewer for each of the lead's paragraphs
    next_shown = max(2, NEXT_LIMIT - 5 * len(values["commentary"]["conclusion"]))
    values["next_rows"] = [
        {
            "date": fmt.date(row.activity.date),
            "channel": fmt.channel(row.activity.channel),
            "activity": row.activity.activity,
            "owner": row.activity.owner or "—",
        }
        for row in review.next_rows[:next_shown]
    ]
    values["next_more"] = more(len(review.next_rows), next_shown, fmt)
    values["takeaways"] = takeaway_texts(review.takeaways, fmt)

    # appendix
    values["appendix"] = [
        {
            "cell": ref(row, "date"),
            "date": fmt.day(row.activity.date),
            "channel": fmt.channel(row.activity.channel),
            "activity": row.activity.activity,
            "status": fmt.status(row.activity.status),
            "goal": row.goal_id or "—",  # the id: section 1's table names each goal once
            "goal_source": source_text(row.goal_decided_by, words, short=True),
            "principle": words.text(f"principle.{row.principle.value}"),
            "principle_source": source_text(row.principle_decided_by, words, short=True),
        }
        for row in rows[:APPENDIX_LIMIT]
    ]
    values["appendix_total"] = len(rows)
    values["appendix_note"] = ""  # set by the pipeline when the complete table is attached
    values["findings"] = [
        {
            "severity": finding.severity.value,
            "severity_label": words.text(f"severity.{finding.severity.value}"),
            "cell": finding.where,
            "message": finding_message(finding, words),
        }
        for finding in worst_first(all_findings)[:FINDINGS_LIMIT]
    ]
    values["findings_total"] = len(all_findings)
    values["generator"] = f"reportgen {__version__}"
    return Context(
        lang=review.lang,
        words=lambda code, **params: words.text(code, **params),
        team=team or checked.team or checked.workbook.stem,
        month=review.month,
        month_label=month_label,
        values=values,
    )


def render_html(
    context: Context, stylesheet_url: str, override: Path | None = None, inline_css: str | None = None
) -> str:
    """The review page. For the PDF the stylesheet and charts are URLs the PDF's fetcher serves; for the web
    page (`inline_css` given) the stylesheet is inlined and the charts are data: URLs."""
    template = environment(override).get_template("review.html")
    css = Markup(inline_css) if inline_css is not None else None  # our stylesheet, never cell text
    return template.render(
        c=context, v=context.values, t=context.words, stylesheet=stylesheet_url, inline_css=css
    )


def chart_names(review: Review) -> list[str]:
    """The charts this review has; one with no data is left out (its section says so in words instead)."""
    names = []
    if review.current.goals:
        names.append("goal_attainment")
        if any(goal.channels for goal in review.current.goals):
            names.append("channel_mix")
    if review.rows:
        names.append("status_by_channel")
    if review.trends:
        names.append("compounding")
    return names


def review_charts(review: Review) -> dict[str, Asset]:
    """The charts the template places, as assets by name (exactly `chart_names(review)`)."""
    fmt = Formatter(review.lang, review.checked.currency)
    words = fmt.words
    current = review.current
    names = chart_names(review)
    made: dict[str, charts.Chart] = {}
    if "goal_attainment" in names:
        made["goal_attainment"] = charts.goal_attainment(
            [
                (
                    f"{goal.id} {goal.name}",
                    goal.attainment,
                    f"{fmt.number(goal.actual)} / {fmt.number(goal.target)}",
                )
                for goal in current.goals
            ],
            target_label=words.text("review.connection.target_line"),
            no_target_label=words.text("review.connection.no_target"),
            legend=(words.text("review.connection.met"), words.text("review.connection.below")),
        )
    if "channel_mix" in names:
        made["channel_mix"] = charts.channel_mix(
            [
                (f"{goal.id} {goal.name}", {c.value: n for c, n in goal.channels.items()})
                for goal in current.goals
            ],
            {channel.value: fmt.channel(channel) for channel in Channel},
        )
    if "status_by_channel" in names:
        by_channel: dict[Channel, dict[str, int]] = {}
        for row in review.rows:
            counts = by_channel.setdefault(row.activity.channel, {})
            counts[row.activity.status.value] = counts.get(row.activity.status.value, 0) + 1
        made["status_by_channel"] = charts.status_by_channel(
            [
                (fmt.channel(channel), counts)
                for channel, counts in sorted(by_channel.items(), key=lambda item: -sum(item[1].values()))
            ],
            {status.value: fmt.status(status) for status in Status},
            width_mm=170,
        )
    if "compounding" in names:
        made["compounding"] = charts.compounding(
            [
                charts.CompoundingSeries(
                    channel=f"{fmt.channel(trend.channel)} · {fmt.metric(trend.result_metric)}",
                    months=[entry.month for entry in trend.months],
                    cumulative_cost=[float(entry.cumulative_cost) for entry in trend.months],
                    cumulative_results=[float(entry.cumulative_results) for entry in trend.months],
                    cost_per_result=[
                        float(entry.cost_per_result) if entry.cost_per_result is not None else None
                        for entry in trend.months
                    ],
                )
                for trend in review.trends
            ],
            cost_label=words.text("review.deferred.cost_label"),
            result_label=words.text("review.deferred.result_label"),
            cpr_label=words.text("review.deferred.cpr_label"),
            currency=review.checked.currency,
            month_label=fmt.month_short,
            unit_label=words.text("review.with_unit", label="{label}", unit="{unit}"),
        )
    return {name: Asset(chart.data, chart.mime) for name, chart in made.items()}


TEXT_FIELDS = ("activity", "owner", "decision", "lesson", "initiative", "stage")


def glyph_findings(review: Review, drawable: frozenset[int]) -> list[ModelFinding]:
    """A warning for every cell of the month whose text has characters the bundled fonts cannot draw; the page
    shows '?' for them instead of an empty box."""
    checked = review.checked
    findings: list[ModelFinding] = []
    rows = [*review.rows, *review.next_rows]
    fields = [name for name in TEXT_FIELDS if name in checked.columns]
    used = set().union(*(getattr(row.activity, name) or "" for row in rows for name in fields))
    if all(ord(char) in drawable or char.isspace() for char in used):
        return findings  # the usual case, decided by one pass over the month's distinct characters
    for row in rows:
        for field_name in fields:
            text = getattr(row.activity, field_name)
            if not text:
                continue
            missing = sorted({char for char in text if ord(char) not in drawable and not char.isspace()})
            if missing:
                ref = CellRef.at(checked.sheet, row.activity.row, checked.columns[field_name])
                findings.append(
                    ModelFinding("missing_glyph", Severity.WARNING, ref, {"chars": " ".join(missing)})
                )
    return findings


def replace_undrawable(html: str, drawable: frozenset[int]) -> str:
    """Characters no bundled font has become '?': markup and our own text are always drawable."""
    missing = {ord(char): "?" for char in set(html) if ord(char) not in drawable and not char.isspace()}
    return html.translate(missing) if missing else html
