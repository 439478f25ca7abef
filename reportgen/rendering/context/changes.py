# mypy: disallow-any-explicit, disallow-any-generics, disallow-untyped-defs
"""The page a revised review adds: what changed since the review management received (the comparison
itself: figures/changes.py), only what reads differently on the page."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal

from reportgen.figures.changes import FindingChange, Revision, RowChange, iso_date
from reportgen.figures.kpis import is_kpi, named
from reportgen.rendering.context.common import FINDINGS_LIMIT, Clip, FindingRow, more
from reportgen.wording.format import Formatter

MESSAGE_WIDTH = 600  # a finding's sentence as the archive kept it (the page of changes)
CHANGED_ROWS_LIMIT = 40  # rows listed on the page of changes; the archive's history has the rest


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


def change_value(name: str, value: object, fmt: Formatter) -> str:
    """A figure (a KPI, "goal:<id>" for a goal's attainment) or a row's field (ROW_FIELDS, METRICS) of a
    figures document (JSON) as the review writes it: rates as percentages, money with the currency, dates as
    dates, channels, statuses and principles in the review's words."""
    words = fmt.words
    if value is None or value == "":
        return "—"
    if name.startswith("goal:"):
        return fmt.percent(float(value))  # type: ignore[arg-type]
    if is_kpi(name):  # a row's cost is money as the KPI is
        return fmt.kpi_value(named(name), Decimal(str(value)))
    if name in ("date", "due", "done_on"):
        day = iso_date(value)
        return fmt.date(day) if day else str(value)
    if name in ("channel", "status", "principle"):
        code = {"status": "review.status"}.get(name, name) + f".{value}"  # channel.sem, review.status.done
        return words.text(code) if code in words.templates else str(value)
    if name in ("activity", "owner", "goal", "initiative", "stage", "decision", "lesson"):
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
