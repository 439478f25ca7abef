"""Claims: every sentence of the review that states a count, names cells or says something about rows, as
data. A claim is what it asserts (`code`), the rows it cites (`cells`, `Sheet!C7`, the row's activity cell)
and the numbers it states; the renderer words a claim and never counts on its own. The figures JSON carries
them (`claims`), so anyone can check a review against the workbook without reportgen: docs/claims.md lists
each code and the predicate its cells satisfy, and tests/claim_oracle.py checks them from the raw rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from reportgen.base.model import CellRef, Mapped, Status
from reportgen.figures.metrics import total_cost
from reportgen.figures.overlooked import MISSES, Money, Overlooked, Rate, Takeaway
from reportgen.figures.review import Review, severity_counts


@dataclass(frozen=True, slots=True)
class Claim:
    """One assertion of the review: its code, the rows it cites and the values its sentence states (as the
    figures layer has them: Money, Rate, Points, Decimal, int, str, or a list of those)."""

    code: str
    cells: tuple[str, ...]
    values: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Execution:
    """Section 2's opening sentences: completion, on time and how far the late ones slipped."""

    done: int
    planned: int  # activities less the cancelled ones
    completion: float | None
    dated: int  # done rows with a due and a done date
    on_time: int
    on_time_rate: float | None
    late: tuple[Mapped, ...]
    slips: tuple[int, ...]  # days late, one per late row
    misses: tuple[Mapped, ...] = ()  # delayed or cancelled, those with no decision recorded first

    @property
    def average_slip(self) -> Decimal | None:
        return round(Decimal(sum(self.slips)) / len(self.slips), 1) if self.slips else None

    @property
    def worst_slip(self) -> int | None:
        return max(self.slips) if self.slips else None


def execution(review: Review) -> Execution:
    rows = review.rows
    done = [row for row in rows if row.activity.status is Status.DONE]
    dated = [row for row in done if row.activity.due is not None and row.activity.done_on is not None]
    late = [row for row in dated if row.activity.done_on > row.activity.due]  # type: ignore[operator]
    current = review.current
    misses = [row for row in rows if row.activity.status in MISSES]
    misses.sort(key=lambda row: row.activity.decision is not None)  # the unexplained first: they need action
    return Execution(
        done=len(done),
        planned=current.totals.activities - current.totals.cancelled,
        completion=current.completion_rate,
        dated=len(dated),
        on_time=len(dated) - len(late),
        on_time_rate=current.on_time_rate,
        late=tuple(late),
        slips=tuple((row.activity.done_on - row.activity.due).days for row in late),  # type: ignore[operator]
        misses=tuple(misses),
    )


@dataclass(frozen=True, slots=True)
class Scope:
    """The cover's scope: how many activities, channels and named owners, and the work nobody owns."""

    activities: int
    channels: int
    owners: int
    unowned: tuple[Mapped, ...]

    @property
    def unowned_cost(self) -> Decimal:
        return total_cost(self.unowned)


def scope(review: Review) -> Scope:
    current = review.current
    return Scope(
        activities=current.totals.activities,
        channels=len(current.channels),
        owners=len([owner for owner in current.owners if owner]),
        unowned=tuple(row for row in review.rows if not row.activity.owner),
    )


ARCHIVED = "@"  # `Activities!C91@2026-09`: a row of a month the workbook no longer has, kept by the archive


class Citer:
    """The cell a claim cites for a row: its activity cell (its date cell when the sheet has no activity
    column), on the activity sheet. A row the archive supplied is cited with the month whose review kept
    it, since that cell now holds something else (or nothing) in the workbook."""

    def __init__(self, review: Review) -> None:
        columns = review.checked.columns
        self.sheet = review.checked.sheet
        self.column = columns.get("activity", columns["date"])
        self.workbook_rows = {id(row) for row in review.checked.rows}

    def archived(self, row: Mapped) -> bool:
        """The row came from the archive: its cell holds something else (or nothing) in today's workbook."""
        return id(row) not in self.workbook_rows

    def cell(self, row: Mapped) -> str:
        cell = str(CellRef.at(self.sheet, row.activity.row, self.column))
        return f"{cell}{ARCHIVED}{row.activity.month}" if self.archived(row) else cell

    def __call__(self, rows: Iterable[Mapped]) -> tuple[str, ...]:
        return tuple(self.cell(row) for row in rows)


def cited_place(cited: str) -> tuple[str, str]:
    """A cited cell's place and, for an archived row, the month whose review kept it ("" for a workbook's):
    `Activities!C91@2026-09` is ("Activities!C91", "2026-09")."""
    place, _, month = cited.partition(ARCHIVED)
    return place, month


def _overlooked(item: Overlooked, cite: Citer) -> Claim:
    return Claim(f"overlooked.{item.code}", cite(item.rows), dict(item.params))


def _takeaway(item: Takeaway, cite: Citer) -> Claim:
    return Claim(f"takeaway.{item.code}", (), dict(item.params))


def review_claims(review: Review) -> list[Claim]:
    """Every claim of the review, in the order the review makes them: cover, sections, conclusion."""
    cite = Citer(review)
    reach = scope(review)
    counts = severity_counts(review.findings)
    totals = review.current.totals
    run = execution(review)
    claims = [
        Claim(
            "scope",
            cite(reach.unowned),
            {
                "activities": reach.activities,
                "channels": reach.channels,
                "owners": reach.owners,
                "unowned": len(reach.unowned),
                "unowned_cost": Money(reach.unowned_cost),
            },
        ),
        Claim(
            "quality",
            tuple(finding.where for finding in review.findings),
            {
                "errors": counts.errors,
                "warnings": counts.warnings,
                "infos": counts.infos,
                "elsewhere": review.findings_elsewhere,
            },
        ),
        *(_takeaway(item, cite) for item in review.takeaways),
    ]
    for items in review.overlooked.values():
        claims.extend(_overlooked(item, cite) for item in items)
    claims.append(
        Claim(
            "execution.completion",
            (),
            {"done": run.done, "planned": run.planned, "rate": _rate(run.completion)},
        )
    )
    if run.dated:
        claims.append(
            Claim(
                "execution.on_time",
                (),
                {"on_time": run.on_time, "dated": run.dated, "rate": _rate(run.on_time_rate)},
            )
        )
    if run.slips:
        claims.append(
            Claim(
                "execution.slip",
                cite(run.late),
                {"late": len(run.late), "average": run.average_slip, "worst": run.worst_slip},
            )
        )
    claims.append(
        Claim(
            "status_counts",
            (),
            {
                "activities": totals.activities,
                "done": totals.done,
                "in_progress": totals.in_progress,
                "delayed": totals.delayed,
                "cancelled": totals.cancelled,
                "planned": totals.planned,
            },
        )
    )
    return claims


def _rate(value: float | None) -> Rate | None:
    return Rate(value) if value is not None else None
