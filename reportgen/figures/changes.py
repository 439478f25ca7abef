"""What changed between the review management received and its revision: both as figures documents (the
`--json` shape the PDF embeds and the archive keeps), compared KPI by KPI, finding by finding and row by row.

Rows and findings are matched by what they are, never by where they are: a row by its date, channel and
activity text, a finding by its code, column and the row it is on (or, off the month's rows, its sentence).
So one row inserted mid-month reads as one added row, not as every later row and finding moved."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reportgen.base.model import METRICS
from reportgen.figures.kpis import KPIS

KPI_PATHS: tuple[tuple[str, tuple[str, ...]], ...] = tuple((kpi.name, kpi.path) for kpi in KPIS if kpi.path)
"""Each KPI the figures document has, by name and where (figures/kpis.py), in the registry's order."""
ROW_FIELDS = ("date", "channel", "activity", "owner", "status", "cost", "goal", "principle", "due", "done_on",
              "initiative", "stage", "decision", "lesson")  # fmt: skip
"""A row's fields a revision compares, besides each metric (METRICS): every column the review reads."""
ROW_IDENTITY = ("date", "channel", "activity")  # what a row is, wherever it stands on the sheet
CELL = re.compile(r"([A-Za-z]+)([0-9]+)")
NUMBER = re.compile(r"\b[0-9]+\b")  # a standalone number in a finding's sentence ("repeats row 204")


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
class FieldChange:
    """One field of a changed row, as the figures documents hold it (ISO date, channel and status keys)."""

    name: str  # a ROW_FIELDS or METRICS name
    before: Any
    after: Any


@dataclass(frozen=True, slots=True)
class RowChange:
    """A row added, removed, or changed in some fields; `cell` is where it is now (or was, when removed)."""

    kind: str  # added | removed | changed
    cell: str
    activity: str
    fields: tuple[FieldChange, ...] = ()


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
    """Every KPI whose value differs at all; the page lists those that differ as it writes them."""
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


# --- rows ---


def _identity(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(row.get(name) for name in ROW_IDENTITY)


def _fields(row: Mapping[str, Any]) -> dict[str, Any]:
    """Every field of a row a revision compares, by name (ROW_FIELDS, then METRICS); a field the document
    does not hold (an archive's document written before it was kept) is left out, so never "changed"."""
    fields = {name: row.get(name) for name in ROW_FIELDS if name in row}
    metrics = row.get("metrics")
    if isinstance(metrics, Mapping):
        fields.update((name, metrics.get(name)) for name in METRICS)
    return fields


def _content(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(_fields(row).items())


def _pair_in_order(
    old: Sequence[int], new: Sequence[int], key: Callable[[int], Hashable], new_key: Callable[[int], Hashable]
) -> tuple[dict[int, int], list[int], list[int]]:
    """Pairs old and new indexes with equal keys, the first with the first; (pairs, old left, new left)."""
    waiting: dict[Hashable, list[int]] = defaultdict(list)
    for index in new:
        waiting[new_key(index)].append(index)
    pairs: dict[int, int] = {}
    for index in old:
        candidates = waiting.get(key(index))
        if candidates:
            pairs[index] = candidates.pop(0)
    taken = set(pairs.values())
    return pairs, [i for i in old if i not in pairs], [j for j in new if j not in taken]


def match_rows(
    old_rows: Sequence[Mapping[str, Any]], new_rows: Sequence[Mapping[str, Any]]
) -> dict[int, int]:
    """Which old row (by index) is which new row. The same date, channel and activity text is the same row:
    rows equal in every field pair first, then the rest of those in sheet order (duplicates keep their
    order). A row left over pairs with one left over at the same place among the matched rows (its date or
    text was edited): by activity text, or in order when both sides left the same number there."""
    everything = range(len(old_rows)), range(len(new_rows))
    pairs, old_left, new_left = _pair_in_order(
        *everything, lambda i: _content(old_rows[i]), lambda j: _content(new_rows[j])
    )
    more, old_left, new_left = _pair_in_order(
        old_left, new_left, lambda i: _identity(old_rows[i]), lambda j: _identity(new_rows[j])
    )
    pairs.update(more)
    # the rows left over, grouped by the matched row above them (the old one's partner, for new rows)
    old_of_new = {j: i for i, j in pairs.items()}
    gaps_old: dict[int, list[int]] = defaultdict(list)
    gaps_new: dict[int, list[int]] = defaultdict(list)
    above = -1
    for i in range(len(old_rows)):
        if i in pairs:
            above = i
        else:
            gaps_old[above].append(i)
    above = -1
    for j in range(len(new_rows)):
        if j in old_of_new:
            above = old_of_new[j]
        else:
            gaps_new[above].append(j)
    for gap, olds in gaps_old.items():
        news = gaps_new.get(gap, [])
        by_text, olds, news = _pair_in_order(
            olds, news, lambda i: old_rows[i].get("activity"), lambda j: new_rows[j].get("activity")
        )
        pairs.update(by_text)
        if len(olds) == len(news):
            pairs.update(zip(olds, news, strict=True))
    return pairs


def _row_cell(row: Mapping[str, Any]) -> str:
    return f"{row.get('sheet')}!{row.get('cell')}"


def _activity(row: Mapping[str, Any]) -> str:
    return str(row.get("activity") or "")


def _changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> RowChange:
    before, after = _fields(old), _fields(new)
    fields = tuple(
        FieldChange(name, before[name], after[name])
        for name in after
        if name in before and before[name] != after[name]
    )
    return RowChange("changed", _row_cell(new), _activity(new), fields)


def row_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], pairs: Mapping[int, int] | None = None
) -> list[RowChange]:
    """The month's rows added, removed or changed (with each field's old and new value), in the revised
    sheet's order; a removed row stands where it was, after the row that was above it. `pairs`: the rows
    as `match_rows` matched them, when known."""
    old_rows = list(before.get("activities") or [])
    new_rows = list(after.get("activities") or [])
    pairs = match_rows(old_rows, new_rows) if pairs is None else pairs
    old_of_new = {j: i for i, j in pairs.items()}
    placed: list[tuple[tuple[int, int, int], RowChange]] = []
    for j, row in enumerate(new_rows):
        if j not in old_of_new:
            placed.append(((j, 0, 0), RowChange("added", _row_cell(row), _activity(row))))
        elif (changed := _changed(old_rows[old_of_new[j]], row)).fields:
            placed.append(((j, 0, 0), changed))
    above = -1
    for i, row in enumerate(old_rows):
        if i in pairs:
            above = pairs[i]
        else:
            placed.append(((above, 1, i), RowChange("removed", _row_cell(row), _activity(row))))
    return [change for _, change in sorted(placed, key=lambda item: item[0])]


# --- findings ---


def _finding(entry: Mapping[str, Any]) -> FindingChange:
    return FindingChange(
        entry.get("sheet"), entry.get("cell"), str(entry.get("severity")), str(entry.get("message"))
    )


def _where(entry: Mapping[str, Any]) -> tuple[str, int | None]:
    """A finding's column letters and row number; ("", None) for a finding on no cell."""
    found = CELL.fullmatch(str(entry.get("cell") or ""))
    return (found.group(1).upper(), int(found.group(2))) if found else ("", None)


def _rows_by_number(document: Mapping[str, Any]) -> dict[tuple[Any, Any], int]:
    """(sheet, row number) → index in the document's activities."""
    return {
        (row.get("sheet"), row.get("row")): index
        for index, row in enumerate(document.get("activities") or [])
    }


def finding_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], pairs: Mapping[int, int] | None = None
) -> tuple[list[FindingChange], list[FindingChange]]:
    """(added, removed). A finding is the same when its sheet, code, severity and column are and it is on
    the same row, the row known by what it holds: on one of the month's rows, the row matched as the rows
    are; elsewhere (another month's row, a skipped row, another sheet), by its sentence, then by its
    sentence with numbers left out (a duplicate row's "repeats row 204" once a row was inserted above)."""
    old_entries = list(before.get("findings") or [])
    new_entries = list(after.get("findings") or [])
    if pairs is None:
        pairs = match_rows(before.get("activities") or [], after.get("activities") or [])
    old_rows, new_rows = _rows_by_number(before), _rows_by_number(after)
    old_of_new = {j: i for i, j in pairs.items()}

    def key(entry: Mapping[str, Any], row: object) -> tuple[Any, ...]:
        return (entry.get("sheet"), entry.get("code"), entry.get("severity"), _where(entry)[0], row)

    def old_row(index: int) -> object:
        entry = old_entries[index]
        at = old_rows.get((entry.get("sheet"), _where(entry)[1]))
        return None if at is None else ("row", at if at in pairs else ("removed", at))

    def new_row(index: int) -> object:
        entry = new_entries[index]
        at = new_rows.get((entry.get("sheet"), _where(entry)[1]))
        return None if at is None else ("row", old_of_new.get(at, ("added", at)))

    def keyed(
        entries: Sequence[Mapping[str, Any]], row_of: Callable[[int], object], masked: bool
    ) -> Callable[[int], Hashable]:
        def at(index: int) -> Hashable:
            row = row_of(index)
            if row is None:
                text = str(entries[index].get("message"))
                row = ("message", NUMBER.sub("#", text) if masked else text)
            return key(entries[index], row)

        return at

    old_left, new_left = list(range(len(old_entries))), list(range(len(new_entries)))
    for masked in (False, True):
        _, old_left, new_left = _pair_in_order(
            old_left, new_left, keyed(old_entries, old_row, masked), keyed(new_entries, new_row, masked)
        )
    added = [_finding(new_entries[j]) for j in new_left]
    removed = [_finding(old_entries[i]) for i in old_left]
    return added, removed


def review_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> ReviewChanges:
    """Everything a revision changed, from the sent version's figures document to the new one."""
    pairs = match_rows(before.get("activities") or [], after.get("activities") or [])
    added, removed = finding_changes(before, after, pairs)
    return ReviewChanges(tuple(kpi_changes(before, after)), tuple(added), tuple(removed),
                         tuple(row_changes(before, after, pairs)))  # fmt: skip


def iso_date(value: object) -> dt.date | None:
    """A row's date as the figures document writes it (ISO), back as a date; None if it is not one."""
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Revision:
    """This build replaces a review that was sent: which version this is, when the one it replaces first went
    out, and what changed since."""

    version: int
    replaces_sent_on: dt.datetime
    changes: ReviewChanges
