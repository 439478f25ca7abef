"""What changed between the review management received and its revision: both as figures documents (the
`--json` shape the PDF embeds and the archive keeps), compared KPI by KPI, finding by finding and row by row
(rows matched in sheet order, so one inserted row reads as one added row, not as every later row changed)."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

KPI_PATHS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("activities", ("totals", "activities")),
    ("done", ("totals", "done")),
    ("cancelled", ("totals", "cancelled")),
    ("completion_rate", ("completion_rate",)),
    ("on_time_rate", ("on_time_rate",)),
    ("goal_coverage", ("goal_coverage",)),
    ("cost", ("totals", "cost")),
    ("impressions", ("totals", "impressions")),
    ("clicks", ("totals", "clicks")),
    ("visits", ("totals", "visits")),
    ("signups", ("totals", "signups")),
    ("leads", ("totals", "leads")),
    ("conversions", ("totals", "conversions")),
    ("followers", ("totals", "followers")),
    ("revenue", ("totals", "revenue")),
)
ROW_FIELDS = ("date", "channel", "activity", "owner", "status", "cost", "goal", "principle")


@dataclass(frozen=True, slots=True)
class KpiChange:
    kpi: str  # a KPI_PATHS name, or "goal:<id>" for a goal's attainment
    before: Any
    after: Any


@dataclass(frozen=True, slots=True)
class FindingChange:
    sheet: str | None
    cell: str | None
    severity: str
    message: str


@dataclass(frozen=True, slots=True)
class RowChange:
    """A row added, removed, or changed in some fields; `cell` is where it is now (or was, when removed)."""

    kind: str  # added | removed | changed
    cell: str
    activity: str
    fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReviewChanges:
    kpis: tuple[KpiChange, ...]
    findings_added: tuple[FindingChange, ...]
    findings_removed: tuple[FindingChange, ...]
    rows: tuple[RowChange, ...]

    @property
    def empty(self) -> bool:
        return not (self.kpis or self.findings_added or self.findings_removed or self.rows)


def _at(document: Mapping[str, Any], path: Sequence[str]) -> Any:
    value: Any = document
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def kpi_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[KpiChange]:
    changes = [
        KpiChange(name, _at(before, path), _at(after, path))
        for name, path in KPI_PATHS
        if _at(before, path) != _at(after, path)
    ]
    goals_before = {goal.get("id"): goal for goal in before.get("goals") or []}
    for goal in after.get("goals") or []:
        old = goals_before.get(goal.get("id"))
        if old is None or old.get("attainment") != goal.get("attainment"):
            changes.append(KpiChange(f"goal:{goal.get('id')}", (old or {}).get("attainment"),
                                     goal.get("attainment")))  # fmt: skip
    return changes


def _finding(entry: Mapping[str, Any]) -> FindingChange:
    return FindingChange(
        entry.get("sheet"), entry.get("cell"), str(entry.get("severity")), str(entry.get("message"))
    )


def _finding_key(entry: Mapping[str, Any]) -> tuple[Any, ...]:
    return (entry.get("sheet"), entry.get("cell"), entry.get("code"), entry.get("severity"))


def finding_changes(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[list[FindingChange], list[FindingChange]]:
    """(added, removed): a finding is the same when its sheet, cell, code and severity are."""
    old = {_finding_key(entry): entry for entry in before.get("findings") or []}
    new = {_finding_key(entry): entry for entry in after.get("findings") or []}
    added = [_finding(entry) for key, entry in new.items() if key not in old]
    removed = [_finding(entry) for key, entry in old.items() if key not in new]
    return added, removed


def _row_cell(row: Mapping[str, Any]) -> str:
    return f"{row.get('sheet')}!{row.get('cell')}"


def _activity(row: Mapping[str, Any]) -> str:
    return str(row.get("activity") or "")


def _changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> RowChange:
    fields = tuple(name for name in ROW_FIELDS if old.get(name) != new.get(name))
    return RowChange("changed", _row_cell(new), _activity(new), fields)


def row_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[RowChange]:
    """The month's rows compared in sheet order: runs that are equal in every field are skipped; what is
    left is matched again by date and activity, so an edited row reads as changed (with its fields) and an
    inserted one as added, whatever moved around them."""
    old_rows = list(before.get("activities") or [])
    new_rows = list(after.get("activities") or [])
    exact = difflib.SequenceMatcher(
        a=[tuple(row.get(name) for name in ROW_FIELDS) for row in old_rows],
        b=[tuple(row.get(name) for name in ROW_FIELDS) for row in new_rows],
        autojunk=False,
    )
    changes: list[RowChange] = []
    for tag, a0, a1, b0, b1 in exact.get_opcodes():
        if tag != "equal":
            changes += _unequal_run(old_rows[a0:a1], new_rows[b0:b1])
    return changes


def _unequal_run(
    old_rows: Sequence[Mapping[str, Any]], new_rows: Sequence[Mapping[str, Any]]
) -> list[RowChange]:
    by_identity = difflib.SequenceMatcher(
        a=[(row.get("date"), row.get("activity")) for row in old_rows],
        b=[(row.get("date"), row.get("activity")) for row in new_rows],
        autojunk=False,
    )
    changes: list[RowChange] = []
    for tag, a0, a1, b0, b1 in by_identity.get_opcodes():
        if tag == "equal" or (tag == "replace" and a1 - a0 == b1 - b0):
            pairs = zip(old_rows[a0:a1], new_rows[b0:b1], strict=True)
            changes += [_changed(old, new) for old, new in pairs]
            continue
        changes += [RowChange("removed", _row_cell(row), _activity(row)) for row in old_rows[a0:a1]]
        changes += [RowChange("added", _row_cell(row), _activity(row)) for row in new_rows[b0:b1]]
    return changes


def review_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> ReviewChanges:
    """Everything a revision changed, from the sent version's figures document to the new one."""
    added, removed = finding_changes(before, after)
    return ReviewChanges(tuple(kpi_changes(before, after)), tuple(added), tuple(removed),
                         tuple(row_changes(before, after)))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Revision:
    """This build replaces a review that was sent: which version this is, when the one it replaces first went
    out, and what changed since."""

    version: int
    replaces_sent_on: dt.datetime
    changes: ReviewChanges
