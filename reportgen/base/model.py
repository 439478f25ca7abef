"""Plain frozen dataclasses that cross stage boundaries; no library object ever does."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

METRICS: tuple[str, ...] = (
    "impressions",
    "clicks",
    "visits",
    "signups",
    "leads",
    "conversions",
    "followers",
    "revenue",
)
"""The metric fields docs/workbook.md names, in display order."""


class Channel(StrEnum):
    SEO = "seo"
    SEM = "sem"
    CONTENT = "content"
    EVENT = "event"
    COMMUNITY = "community"
    USER_OPS = "user_ops"
    PARTNERSHIP = "partnership"
    OTHER = "other"


class Status(StrEnum):
    DONE = "done"
    IN_PROGRESS = "in_progress"
    PLANNED = "planned"
    CANCELLED = "cancelled"
    DELAYED = "delayed"
    OTHER = "other"


class Principle(StrEnum):
    CONNECTION = "connection"
    EXECUTION = "execution"
    DEFERRED_PAYOFF = "deferred_payoff"
    LAYERED = "layered"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@functools.cache  # a sheet has few columns, and a cell reference is made for every mapped row
def column_letter(index: int) -> str:
    """Excel column letters for a 0-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


@dataclass(frozen=True, slots=True)
class CellRef:
    """A cell address such as 活动!C7; made only where a finding or a mapping source needs one."""

    sheet: str
    cell: str

    @classmethod
    def at(cls, sheet: str, row: int, col: int) -> CellRef:
        """From a 1-based sheet row and a 0-based column index."""
        return cls(sheet, f"{column_letter(col)}{row}")

    def __str__(self) -> str:
        return f"{self.sheet}!{self.cell}"


@dataclass(frozen=True, slots=True)
class Finding:
    """A data-quality problem; its sentence comes from the catalogue by `code` in the review's language."""

    code: str
    severity: Severity
    ref: CellRef | None
    params: dict[str, Any] = field(default_factory=dict)
    sheet: str | None = None  # set when the finding concerns a whole sheet rather than a cell

    @property
    def sheet_name(self) -> str | None:
        return self.ref.sheet if self.ref else self.sheet

    @property
    def where(self) -> str:
        """`活动!C7`, or the sheet for a finding about a whole sheet: how every list shows its place."""
        return str(self.ref) if self.ref else (self.sheet_name or "")


@dataclass(frozen=True, slots=True)
class SheetTable:
    """The used block of one sheet: rows of raw cell values with their sheet positions.

    `rows[i]` is sheet row `row_numbers[i]` (1-based); `rows[i][j]` is column `first_col + j` (0-based).
    """

    name: str
    first_col: int
    row_numbers: list[int]
    rows: list[list[Any]]
    # (sheet row, column) of each formula cell whose result the file never saved: it reads as blank, and the
    # sheet means something else (a file written by a program that does not calculate)
    uncalculated: frozenset[tuple[int, int]] = frozenset()
    # merged ranges as (first row, first column, last row, last column), rows 1-based and columns 0-based:
    # the sheet shows the first cell's value over the whole range, the reader gives it to the first cell only
    merged: tuple[tuple[int, int, int, int], ...] = ()

    def ref(self, row: int, col: int) -> CellRef:
        return CellRef.at(self.name, row, col)


@dataclass(frozen=True, slots=True)
class WorkbookData:
    """What `read_workbook` hands on: the sheets that matter, as raw cells, and reading findings."""

    path: str
    kind: str  # xlsx | xls | ods | xlsb
    activities: SheetTable
    goals: SheetTable | None
    rules: SheetTable | None
    commentary: SheetTable | None
    findings: tuple[Finding, ...]


Number = int | Decimal
"""An exact number: counts and whole amounts stay ints (fast, exact), the rest are Decimals."""


def month_key(day: dt.date) -> str:
    """'2026-10' for any day of October 2026."""
    return f"{day.year:04d}-{day.month:02d}"


@dataclass(slots=True)
class Activity:
    """One usable row of the activity sheet, typed; `row` is its sheet row.

    Not frozen, unlike the other models: building 100,000 frozen instances costs five times as long, and no
    stage changes an Activity after normalize_rows made it.
    """

    row: int
    date: dt.date
    channel: Channel
    activity: str
    owner: str | None = None
    goal_text: str | None = None
    principle_text: str | None = None
    status: Status = Status.OTHER
    due: dt.date | None = None
    done_on: dt.date | None = None
    cost: Number | None = None
    metrics: dict[str, Number | None] = field(default_factory=dict)  # None: empty or unreadable cell
    decision: str | None = None
    initiative: str | None = None
    stage: str | None = None
    lesson: str | None = None
    channel_text: str = ""
    month: str = ""  # filled from `date` when not given
    unreadable: frozenset[str] = frozenset()  # fields whose cell could not be read (an error names it)

    def __post_init__(self) -> None:
        if not self.month:
            self.month = month_key(self.date)


@dataclass(frozen=True, slots=True)
class Commentary:
    """A paragraph the team lead wrote for one part of the review (Commentary sheet); shown as the lead's
    words, apart from the computed text. `month` is '' for a note that holds for every month."""

    section: str  # vocab.COMMENTARY_SECTIONS
    text: str
    month: str
    ref: CellRef


@dataclass(frozen=True, slots=True)
class Goal:
    """A goal from the Goals sheet; `targets` maps 'YYYY-MM' (or '' for every month) to a target."""

    id: str
    name: str
    metric: str  # a METRICS key or "activities"
    targets: dict[str, Decimal | None]
    owner: str | None
    row: int

    def target_for(self, month: str) -> Decimal | None:
        """The month's own target, else the target written without a month (a blank month target does not
        hide it)."""
        target = self.targets.get(month)
        return target if target is not None else self.targets.get("")


@dataclass(frozen=True, slots=True)
class Source:
    """What decided a mapping.

    `kind` is cell, sheet_rule, config_rule, initiative, channel_default, undefined_goal or none;
    `detail` is the cell reference, rule name or channel it names; `number`, a sheet rule's place;
    `goal_cell`, the cell a sheet rule's goal is written in (where a finding about that goal points)."""

    kind: str
    detail: str = ""
    number: int = 0
    goal_cell: CellRef | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Rule:
    """A mapping rule from the Rules sheet or reportgen.toml; `source` says where it was written."""

    source: Source
    channel: Channel | None
    keyword: str | None
    goal: str | None
    principle: Principle | None


@dataclass(frozen=True, slots=True)
class Normalized:
    """Typed rows and definitions, plus everything that went wrong reading them."""

    activities: list[Activity]
    activity_sheet: str
    columns: dict[str, int]  # canonical field → 0-based sheet column
    goals: list[Goal]
    rules: list[Rule]
    team: str | None
    currency: str
    lang: str  # the language of the sheet's headers
    findings: list[Finding]
    commentary: list[Commentary] = field(default_factory=list)


@dataclass(slots=True)
class Mapped:
    """An activity with the goal and principle it serves and what decided each (not frozen, for speed, like
    Activity; nothing changes it after map_activities)."""

    activity: Activity
    goal_id: str | None
    goal_decided_by: Source
    principle: Principle
    principle_decided_by: Source
