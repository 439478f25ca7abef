# mypy: disallow-any-explicit, disallow-any-generics, disallow-untyped-defs
"""The appendices: A, the month's activities and what mapped each; B, the data-quality findings, worst
first. When A is cut, the complete table travels with the PDF (`table_name`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from reportgen.base.model import Finding as ModelFinding
from reportgen.base.model import Mapped
from reportgen.figures.review import Review, worst_first
from reportgen.rendering.context.common import FINDINGS_LIMIT, Cells, Clip, FindingRow
from reportgen.wording.format import Formatter
from reportgen.wording.text import finding_message, source_text

APPENDIX_LIMIT = 300


def table_name(stem: str, month: str) -> str:
    """The complete activity table's file name, attached to the PDF (and written beside it) when the appendix
    is cut: the appendix's note names it."""
    return f"{stem}-{month}-activities.xlsx"


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


def appendix_row(row: Mapped, cells: Cells, fmt: Formatter, clip: Clip) -> AppendixRow:
    words = fmt.words
    return AppendixRow(
        cell=cells.cite(row, "date"),
        date=fmt.day(row.activity.date),
        channel=fmt.channel(row.activity.channel),
        activity=clip(row.activity.activity),
        status=fmt.status(row.activity.status),
        goal=clip.phrase(row.goal_id or "—"),  # the id: section 1's table names each goal once
        goal_source=clip.phrase(source_text(row.goal_decided_by, words, short=True)),
        principle=words.text(f"principle.{row.principle.value}"),
        principle_source=clip.phrase(source_text(row.principle_decided_by, words, short=True)),
    )


def finding_row(finding: ModelFinding, fmt: Formatter, clip: Clip) -> FindingRow:
    """A finding's sentence with the cell text it quotes (a 32,767-character value that is not a date)
    bounded and its dates written as the rest of the review writes them; `reportgen check` and the JSON keep
    it whole, and ISO."""
    words = fmt.words
    return FindingRow(
        severity=finding.severity.value,
        severity_label=words.text(f"severity.{finding.severity.value}"),
        cell=clip.phrase(finding.where),
        message=finding_message(
            dataclasses.replace(finding, params=clip.params(finding.params)), words, fmt.date
        ),
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
    shown_findings = tuple(finding_row(finding, fmt, findings_clip) for finding in listed)
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
