"""What the figures layer hands up: a workbook checked (`Checked`), one month's review (`Review`), and the
one order and count of data-quality findings every front end and renderer shows."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reportgen.base.model import Channel, Commentary, Finding, Goal, Mapped, Principle, Severity
from reportgen.figures.metrics import CompoundingTrend, Ladder, MonthFigures
from reportgen.figures.overlooked import Overlooked, Takeaway
from reportgen.figures.trends import KpiTrends


@dataclass(frozen=True, slots=True)
class Checked:
    """A workbook read, typed and mapped: what `check` reports and every review starts from."""

    workbook: Path
    sheet: str
    columns: dict[str, int]  # canonical field → 0-based sheet column
    team: str | None
    currency: str
    sheet_lang: str
    rows: list[Mapped]
    goals: list[Goal]
    findings: list[Finding]
    commentary: list[Commentary] = field(default_factory=list)  # the lead's paragraphs, every month's


@dataclass(frozen=True, slots=True)
class Review:
    """The figures of one month, ready for any renderer; nothing here reads a cell again."""

    checked: Checked
    month: str
    as_of: dt.date
    lang: str
    current: MonthFigures
    previous: MonthFigures | None
    rows: list[Mapped]  # the month's activities, in sheet order
    next_rows: list[Mapped]  # next month's activities still open (not done or cancelled): what is planned
    trends: list[CompoundingTrend]
    ladders: list[Ladder]
    overlooked: dict[Principle, list[Overlooked]]
    takeaways: list[Takeaway]
    commentary: list[Commentary] = field(default_factory=list)  # the lead's paragraphs for this month
    kpi_trends: KpiTrends | None = None  # twelve months of the headline KPIs (the workbook's, the archive's)
    findings: list[Finding] = field(default_factory=list)  # this month's rows' and the sheet-wide
    findings_elsewhere: int = 0  # findings on other months' rows: counted, never this month's problem
    next_done: int = 0  # next month's activities already done when the review is built
    compounding: tuple[Channel, ...] = ()  # the channels whose value accumulates (config `compounding`)
    months: dict[str, list[Mapped]] = field(default_factory=dict)  # every month's rows, archive's included


def team_name(checked: Checked, configured: str | None) -> str:
    """Whose review it is: the config's `team`, else the title above the header row, else the workbook's
    name. The cover shows it and the archive files the review under it."""
    return configured or checked.team or checked.workbook.stem


SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True, slots=True)
class SeverityCounts:
    """How many findings of each severity: the cover's quality note, `check`'s title, the page's summary."""

    errors: int = 0
    warnings: int = 0
    infos: int = 0

    @property
    def total(self) -> int:
        return self.errors + self.warnings + self.infos

    def as_dict(self) -> dict[str, int]:
        """By severity value ('error', 'warning', 'info'), as `check --json` prints them."""
        return {"error": self.errors, "warning": self.warnings, "info": self.infos}


def severity_counts(findings: Iterable[Finding]) -> SeverityCounts:
    counted = {severity: 0 for severity in Severity}
    for finding in findings:
        counted[finding.severity] += 1
    return SeverityCounts(counted[Severity.ERROR], counted[Severity.WARNING], counted[Severity.INFO])


def worst_first(findings: Iterable[Finding]) -> list[Finding]:
    """Errors, then warnings, then notes; sheet order within each (the sort is stable)."""
    return sorted(findings, key=lambda finding: SEVERITY_RANK[finding.severity])


def errors_of(findings: Iterable[Finding]) -> list[Finding]:
    """The error findings: what stops a review going out unless the sender insists."""
    return [finding for finding in findings if finding.severity is Severity.ERROR]


CELLS_SHOWN = 10  # cells a message names before `…`


def error_cells(findings: Sequence[Finding]) -> list[str]:
    """Where each error finding is (`Sheet!C7`, or the sheet alone), in the findings' order."""
    return [finding.where or "?" for finding in errors_of(findings)]


def shown_cells(cells: Sequence[str]) -> list[str]:
    """The cells a message names: the first CELLS_SHOWN, then `…` when there are more."""
    return list(cells[:CELLS_SHOWN]) + (["…"] if len(cells) > CELLS_SHOWN else [])


def sheet_order(finding: Finding) -> tuple[str, int, str]:
    """Sort key for sheet order: by sheet, then row, then column (A before AA)."""
    if finding.ref is None:
        return (finding.sheet_name or "", 0, "")
    letters = finding.ref.cell.rstrip("0123456789")
    row = int(finding.ref.cell[len(letters) :] or 0)
    return (finding.ref.sheet, row, f"{len(letters):02d}{letters}")


def month_findings(checked: Checked, month: str) -> tuple[list[Finding], int]:
    """The findings a month's review reports, and how many belong to other months.

    A finding on an activity row belongs to that row's month. A row that could not be used (its date is
    unreadable, say) belongs to the month of the usable rows around it: both neighbours' months when they
    differ, so an error on the border is never hidden. Findings on the other sheets, in the configuration,
    above the first activity row, under the last or on no row concern the whole workbook and belong to
    every month."""
    months = {row.activity.row: row.activity.month for row in checked.rows}
    numbers = sorted(months)
    ours: list[Finding] = []
    elsewhere = 0
    for finding in checked.findings:
        if finding.ref is None or finding.ref.sheet != checked.sheet:
            ours.append(finding)
            continue
        row = int(finding.ref.cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ") or 0)
        if row in months:
            owners = {months[row]}
        elif not numbers or not numbers[0] < row < numbers[-1]:
            ours.append(finding)  # above the first activity or under the last (a totals row): sheet-wide
            continue
        else:
            place = bisect.bisect_left(numbers, row)
            owners = {months[numbers[place - 1]], months[numbers[place]]}
        if month in owners:
            ours.append(finding)
        else:
            elsewhere += 1
    return ours, elsewhere
