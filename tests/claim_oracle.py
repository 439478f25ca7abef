"""The independent check of a review's claims: standard library only, from the raw rows.

`check_claims(document, book)` takes the figures document `reportgen build --json` writes (its `claims`) and
the rows as they were meant (`Book`: typed by the test that wrote them, never by reportgen) and returns every
disagreement as a sentence. For each claim code it knows the predicate the cited rows must satisfy and
re-derives the cells and numbers; a code it does not know is a disagreement too, so a new sentence cannot
slip past it. docs/claims.md states the same predicates in words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

LAYERS = ("plan", "business", "product", "tech", "decision_maker")
LAYER_WORDS = (  # what a stage cell must contain to name a layer (docs/metrics.md), either language
    ("plan", ("plan", "proposal", "方案")),
    ("business", ("business", "商务")),
    ("product", ("product", "产品")),
    ("tech", ("tech", "technical", "engineering", "技术")),
    ("decision_maker", ("decision-maker", "decision maker", "boss", "executive", "决策层", "老板")),
)
RESULT_METRICS = ("leads", "signups", "visits", "clicks")
STALL_DAYS = 30
MATURING_MONTHS = 3
TRAILING_MONTHS = 6
UNASSIGNED_COST_SHARE = 0.10
RATE_NOISE_POINTS = 1.0  # a rate that moved less than one point either way did not move (docs/review.md)
CENT = Decimal("0.01")
TOLERANCE = 1e-9


@dataclass(frozen=True)
class Row:
    """One usable activity row as it was meant: canonical codes (`seo`, `done`), typed values."""

    row: int
    date: dt.date
    channel: str
    activity: str
    owner: str | None
    goal: str | None  # the goal id the row serves, or None
    status: str
    due: dt.date | None = None
    done_on: dt.date | None = None
    cost: Decimal | None = None
    metrics: dict[str, Decimal | None] = field(default_factory=dict)
    decision: str | None = None
    initiative: str | None = None
    stage: str | None = None
    unreadable: frozenset[str] = frozenset()  # fields written as something reportgen cannot read
    archived: bool = False  # a row of a month the workbook no longer has: the archive supplied it

    @property
    def month(self) -> str:
        return f"{self.date:%Y-%m}"


def _on_time(row: Row) -> bool:
    """A row Oracle.dated kept (both dates set) done on or before its due date."""
    assert row.done_on is not None and row.due is not None
    return row.done_on <= row.due


def _slip_days(row: Row) -> int:
    """Days a row Oracle.dated kept was done after its due date."""
    assert row.done_on is not None and row.due is not None
    return (row.done_on - row.due).days


@dataclass(frozen=True)
class GoalDef:
    id: str
    name: str
    metric: str
    targets: dict[str, Decimal]  # '' for every month

    def target(self, month: str) -> Decimal | None:
        return self.targets.get(month, self.targets.get(""))


@dataclass(frozen=True)
class Book:
    """What the review was made from: every usable row of every month, the goals, the settings."""

    sheet: str
    activity_column: str
    rows: list[Row]
    goals: list[GoalDef]
    as_of: dt.date
    compounding: tuple[str, ...] = ("seo", "content")
    result_metric: dict[str, str] = field(default_factory=dict)


def shift(month: str, delta: int) -> str:
    year, number = int(month[:4]), int(month[5:])
    index = year * 12 + number - 1 + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_end(month: str) -> dt.date:
    following = shift(month, 1)
    return dt.date(int(following[:4]), int(following[5:]), 1) - dt.timedelta(days=1)


def money(value: Decimal) -> float:
    return float(value.quantize(CENT, rounding=ROUND_HALF_UP))


def ratio(numerator: Any, denominator: Any) -> float | None:
    return None if not denominator else float(Decimal(numerator) / Decimal(denominator))


def same(ours: Any, theirs: Any) -> bool:
    """Numbers equal (floats within rounding), everything else exactly."""
    if isinstance(ours, float) or isinstance(theirs, float):
        return ours is not None and theirs is not None and abs(float(ours) - float(theirs)) <= 1e-6
    if isinstance(ours, Decimal) or isinstance(theirs, Decimal):
        return ours is not None and theirs is not None and Decimal(str(ours)) == Decimal(str(theirs))
    return bool(ours == theirs)


class Oracle:
    """The month's facts, derived once from the raw rows."""

    def __init__(self, book: Book, month: str) -> None:
        self.book = book
        self.month = month
        self.rows = [row for row in book.rows if row.month == month]
        self.by_row = {row.row: row for row in book.rows}
        self.by_row = {row.row: row for row in book.rows if not row.archived}
        self.cell_of = {self.cite(row): row for row in book.rows}

    def cite(self, row: Row) -> str:
        """`Activities!C7`; a row the archive supplied carries its month (`Activities!C7@2026-09`), since
        that cell of today's workbook holds something else."""
        cell = f"{self.book.sheet}!{self.book.activity_column}{row.row}"
        return f"{cell}@{row.month}" if row.archived else cell

    def cells(self, rows: Iterable[Row]) -> list[str]:
        return [self.cite(row) for row in rows]

    def of_month(self, month: str) -> list[Row]:
        return [row for row in self.book.rows if row.month == month]

    # --- rates

    @staticmethod
    def completion(rows: list[Row]) -> float | None:
        done = sum(1 for row in rows if row.status == "done")
        return ratio(done, len(rows) - sum(1 for row in rows if row.status == "cancelled"))

    @staticmethod
    def dated(rows: list[Row]) -> list[Row]:
        return [row for row in rows if row.status == "done" and row.due and row.done_on]

    def on_time(self, rows: list[Row]) -> float | None:
        dated = self.dated(rows)
        return ratio(sum(1 for row in dated if _on_time(row)), len(dated))

    # --- goals

    def attainments(self) -> list[tuple[GoalDef, Decimal, Decimal, float]]:
        out = []
        for goal in self.book.goals:
            target = goal.target(self.month)
            served = [row for row in self.rows if row.goal == goal.id]
            if goal.metric == "activities":
                actual = Decimal(len(served))
            else:
                actual = sum((row.metrics.get(goal.metric) or Decimal(0) for row in served), Decimal(0))
            if target:
                out.append((goal, actual, target, float(actual / target)))
        return out

    # --- deferred payoff

    def result_metric(self, channel: str, rows: list[Row]) -> str:
        if channel in self.book.result_metric:
            return self.book.result_metric[channel]
        for metric in RESULT_METRICS:
            if any(row.metrics.get(metric) for row in rows):
                return metric
        return RESULT_METRICS[0]

    def window(self) -> list[str]:
        months = {row.month for row in self.book.rows}
        candidates = [shift(self.month, offset) for offset in range(1 - TRAILING_MONTHS, 1)]
        return [month for month in candidates if month in months or month == self.month]

    def compounding(self) -> dict[str, tuple[str, list[Row]]]:
        """Each compounding channel with rows in the window: its result metric and its maturing rows."""
        out = {}
        window = self.window()
        recent = {shift(self.month, offset) for offset in range(1 - MATURING_MONTHS, 1)}
        for channel in self.book.compounding:
            rows = [row for row in self.book.rows if row.channel == channel and row.month in window]
            if not rows:
                continue
            metric = self.result_metric(channel, rows)
            maturing = [
                row
                for row in rows
                if row.month in recent
                and row.status == "done"
                and not row.metrics.get(metric)
                and metric not in row.unreadable
            ]
            out[channel] = (metric, maturing)
        return out

    # --- layered pushing

    def ladders(self) -> dict[str, dict[str, Any]]:
        end = month_end(self.month)
        until = min(self.book.as_of, end)
        members: dict[str, list[Row]] = {}
        for row in self.book.rows:  # sheet order (archived months first, as their rows came first)
            if row.initiative and row.stage and row.date <= end:
                members.setdefault(row.initiative, []).append(row)
        ladders = {}
        for name, rows in members.items():
            keyed = []
            last = -1
            for position, row in enumerate(rows):
                layer = layer_of(row.stage or "")
                if layer is not None:
                    last = LAYERS.index(layer)
                keyed.append((last, position, row, layer))
            ordered = sorted(keyed, key=lambda item: (item[0], item[1]))
            done = {layer for _, _, row, layer in ordered if row.status == "done" and layer}
            standing = max(done, key=LAYERS.index) if done else None
            stuck = self.stuck(ordered, until)
            present = {layer for _, _, _, layer in ordered if layer}
            highest = LAYERS.index(standing) if standing else -1
            skipped = [layer for layer in LAYERS[: max(highest, 0)] if layer not in present]
            ladders[name] = {
                "stalled": stuck[1] if stuck else None,
                "since": stuck[0] if stuck else None,
                "open": stuck[2] if stuck else [],
                "skipped": skipped,
                "rows": rows,
            }
        return ladders

    @staticmethod
    def stuck(
        ordered: list[tuple[int, int, Row, str | None]], until: dt.date
    ) -> tuple[tuple[Row, str | None], int, list[Row]] | None:
        """Where an initiative is stuck, if it is: (the row counted from and its layer, the days, the open
        rows of its layer). Its layers in ladder order (a stage naming none is a layer of its own); a layer's
        rows after its last done or cancelled one are open; the first layer with open rows is where the
        initiative is. Stuck: that layer's latest row is in progress or delayed, no higher layer has a done
        row (else the initiative went past it), and the first of its open rows in progress or delayed is
        dated over 30 days before the month's end (or the as-of date inside the month)."""
        names: list[Any] = []
        rows_of: dict[Any, list[tuple[int, Row, str | None]]] = {}
        for level, position, row, layer in ordered:
            name = layer if layer is not None else ("unnamed", position)
            if name not in rows_of:
                names.append(name)
                rows_of[name] = []
            rows_of[name].append((level, row, layer))
        for name in names:
            members = rows_of[name]
            last_closed = max(
                (i for i, (_, row, _) in enumerate(members) if row.status in ("done", "cancelled")),
                default=-1,
            )
            still_open = members[last_closed + 1 :]
            if not still_open:
                continue  # this layer's latest row is done or cancelled: nobody is stuck on it
            level = still_open[0][0]
            gone_past = any(
                row.status == "done" and layer is not None and LAYERS.index(layer) > level
                for _, _, row, layer in ordered
            )
            at_work = [
                (row, layer) for _, row, layer in still_open if row.status in ("in_progress", "delayed")
            ]
            if gone_past or not at_work or still_open[-1][1].status not in ("in_progress", "delayed"):
                return None
            days = (until - at_work[0][0].date).days
            return (at_work[0], days, [row for _, row, _ in still_open]) if days > STALL_DAYS else None
        return None


def layer_of(text: str) -> str | None:
    folded = text.casefold()
    for layer, words in reversed(LAYER_WORDS):
        if any(word.casefold() in folded for word in words):
            return layer
    return None


def check_claims(document: dict[str, Any], book: Book) -> list[str]:
    """Every way the document's claims disagree with the raw rows; empty when all hold."""
    oracle = Oracle(book, document["month"])
    problems: list[str] = []
    seen: set[str] = set()

    def expect(claim: dict[str, Any], name: str, value: Any) -> None:
        stated = claim["numbers"].get(name)
        if not same(value, stated):
            problems.append(f"{claim['code']}: {name} is {stated!r}, the rows say {value!r}")

    def expect_cells(claim: dict[str, Any], rows: Iterable[Row]) -> None:
        wanted, stated = sorted(oracle.cells(rows)), sorted(claim["cells"])
        if wanted != stated:
            problems.append(f"{claim['code']}: cites {stated}, the rows that satisfy it are {wanted}")

    for claim in document["claims"]:
        code = claim["code"]
        seen.add(code)
        checker = CHECKS.get(code)
        if checker is None:
            problems.append(f"{code}: the oracle does not know this claim")
            continue
        checker(oracle, claim, expect, expect_cells, problems)
    problems.extend(_missing(oracle, seen, document))
    return problems


# --- one predicate per claim code


def _scope(oracle: Oracle, claim: dict, expect: Any, expect_cells: Any, problems: list[str]) -> None:
    rows = oracle.rows
    unowned = [row for row in rows if not row.owner]
    expect(claim, "activities", len(rows))
    expect(claim, "channels", len({row.channel for row in rows}))
    expect(claim, "owners", len({" ".join(row.owner.split()).casefold() for row in rows if row.owner}))
    expect(claim, "unowned", len(unowned))
    expect(claim, "unowned_cost", money(sum((row.cost or Decimal(0) for row in unowned), Decimal(0))))
    expect_cells(claim, unowned)


def _quality(oracle: Oracle, claim: dict, expect: Any, expect_cells: Any, problems: list[str]) -> None:
    """A finding the month reports is on one of its rows, on a row that is no activity, or off the sheet."""
    prefix = f"{oracle.book.sheet}!"
    for cell in claim["cells"]:
        if not cell.startswith(prefix):
            continue
        number = int("".join(ch for ch in cell[len(prefix) :] if ch.isdigit()) or 0)
        row = oracle.by_row.get(number)
        if row is not None and row.month != oracle.month:
            problems.append(f"quality: the {oracle.month} review reports {cell}, a row of {row.month}")
    counted = claim["numbers"]["errors"] + claim["numbers"]["warnings"] + claim["numbers"]["infos"]
    if counted != len(claim["cells"]):
        problems.append(f"quality: counts {counted} findings but lists {len(claim['cells'])}")


def _execution_completion(
    oracle: Oracle, claim: dict, expect: Any, expect_cells: Any, problems: list
) -> None:
    rows = oracle.rows
    expect(claim, "done", sum(1 for row in rows if row.status == "done"))
    expect(claim, "planned", len(rows) - sum(1 for row in rows if row.status == "cancelled"))
    expect(claim, "rate", oracle.completion(rows))


def _execution_on_time(oracle: Oracle, claim: dict, expect: Any, expect_cells: Any, problems: list) -> None:
    dated = oracle.dated(oracle.rows)
    expect(claim, "dated", len(dated))
    expect(claim, "on_time", sum(1 for row in dated if _on_time(row)))
    expect(claim, "rate", oracle.on_time(oracle.rows))


def _execution_slip(oracle: Oracle, claim: dict, expect: Any, expect_cells: Any, problems: list) -> None:
    late = [row for row in oracle.dated(oracle.rows) if not _on_time(row)]
    slips = [_slip_days(row) for row in late]
    expect_cells(claim, late)
    expect(claim, "late", len(late))
    if slips:
        expect(claim, "worst", max(slips))
        average = (Decimal(sum(slips)) / len(slips)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        if abs(Decimal(str(claim["numbers"]["average"])) - average) > Decimal("0.05"):
            problems.append(f"execution.slip: average {claim['numbers']['average']}, the rows say {average}")


def _status_counts(oracle: Oracle, claim: dict, expect: Any, expect_cells: Any, problems: list) -> None:
    expect(claim, "activities", len(oracle.rows))
    for status in ("done", "in_progress", "delayed", "cancelled", "planned"):
        expect(claim, status, sum(1 for row in oracle.rows if row.status == status))


def _no_goal(oracle: Oracle, claim: dict, expect: Any, expect_cells: Any, problems: list) -> None:
    loose = [row for row in oracle.rows if row.goal is None]
    cost = sum((row.cost or Decimal(0) for row in loose), Decimal(0))
    total = sum((row.cost or Decimal(0) for row in oracle.rows), Decimal(0))
    expect_cells(claim, loose)
    expect(claim, "count", len(loose))
    expect(claim, "cost", money(cost))
    expect(claim, "share", ratio(cost, total))


def _goal_unserved(oracle: Oracle, claim: dict, expect: Any, expect_cells: Any, problems: list) -> None:
    served = {row.goal for row in oracle.rows}
    idle = [goal for goal in oracle.book.goals if goal.id not in served]
    expect(claim, "count", len(idle))


def _misses(oracle: Oracle) -> list[Row]:
    return [row for row in oracle.rows if row.status in ("delayed", "cancelled") and not row.decision]


def _miss_no_decision(oracle: Oracle, claim: dict, expect: Any, expect_cells: Any, problems: list) -> None:
    expect_cells(claim, _misses(oracle))
    expect(claim, "count", len(_misses(oracle)))


def _unmeasured(oracle: Oracle) -> tuple[list[Row], int]:
    done = [row for row in oracle.rows if row.status == "done"]
    return [row for row in done if row.due is None or row.done_on is None], len(done)


def _on_time_unmeasured(oracle: Oracle, claim: dict, expect: Any, expect_cells: Any, problems: list) -> None:
    blind, done = _unmeasured(oracle)
    expect_cells(claim, blind)
    expect(claim, "count", len(blind))
    expect(claim, "done", done)


def _maturing(oracle: Oracle, claim: dict, expect: Any, expect_cells: Any, problems: list) -> None:
    channel = claim["numbers"]["channel"]
    found = oracle.compounding().get(channel)
    if found is None:
        problems.append(f"overlooked.maturing: {channel} is not a compounding channel with rows")
        return
    metric, maturing = found
    expect_cells(claim, maturing)
    expect(claim, "count", len(maturing))
    expect(claim, "metric", metric)
    for cell in claim["cells"]:
        row = oracle.cell_of.get(cell)
        if row is None or row.status != "done" or row.metrics.get(metric):
            problems.append(f"overlooked.maturing: {cell} is not done work without {metric}")


def _paused(oracle: Oracle, claim: dict, expect: Any, expect_cells: Any, problems: list) -> None:
    channel = claim["numbers"]["channel"]
    before = [row for row in oracle.of_month(shift(oracle.month, -1)) if row.channel == channel]
    now = [row for row in oracle.rows if row.channel == channel]
    if not before or now or channel not in oracle.book.compounding:
        problems.append(f"{claim['code']}: {channel} was not paused this month")
    if claim["code"] == "overlooked.paused_while_improving":  # its cost per result is summed from these
        window = oracle.window()
        expect_cells(
            claim, [row for row in oracle.book.rows if row.channel == channel and row.month in window]
        )


def _stalled(oracle: Oracle, claim: dict, expect: Any, expect_cells: Any, problems: list) -> None:
    name = claim["numbers"]["initiative"]
    ladder = oracle.ladders().get(name)
    if ladder is None or ladder["stalled"] is None:
        problems.append(f"{claim['code']}: {name} is not stalled at the month's end")
        return
    row, layer = ladder["since"]
    expect(claim, "days", ladder["stalled"])
    expect(claim, "stage", layer or row.stage)
    expect(claim, "decided", any(bool(open_row.decision) for open_row in ladder["open"]))
    if claim["code"].startswith("overlooked."):
        expect_cells(claim, [row])


def _skipped(oracle: Oracle, claim: dict, expect: Any, expect_cells: Any, problems: list) -> None:
    name = claim["numbers"]["initiative"]
    ladder = oracle.ladders().get(name)
    if ladder is None or not ladder["skipped"]:
        problems.append(f"{claim['code']}: {name} skipped no layer")
        return
    expect(claim, "layers", ladder["skipped"])
    if claim["code"].startswith("overlooked."):
        expect_cells(claim, ladder["rows"])


def _goal_gap(oracle: Oracle, claim: dict, expect: Any, expect_cells: Any, problems: list) -> None:
    gaps = [item for item in oracle.attainments() if item[3] < 1]
    if not gaps:
        problems.append("takeaway.goal_gap: no goal is below its target")
        return
    goal, actual, target, attainment = min(gaps, key=lambda item: item[3])
    expect(claim, "attainment", attainment)
    expect(claim, "actual", actual)
    expect(claim, "target", target)


def _goal_win(oracle: Oracle, claim: dict, expect: Any, expect_cells: Any, problems: list) -> None:
    wins = [item for item in oracle.attainments() if item[3] >= 1]
    if not wins:
        problems.append("takeaway.goal_win: no goal reached its target")
        return
    goal, actual, target, attainment = max(wins, key=lambda item: item[3])
    expect(claim, "attainment", attainment)
    expect(claim, "actual", actual)
    expect(claim, "target", target)


def _rate_changes(oracle: Oracle) -> dict[str, tuple[float, float]]:
    """The rates that rose or fell against last month: by a point or more either way; a smaller change is
    flat, as the cover's cards show it, and no takeaway may call it a rise or a fall."""
    before = oracle.of_month(shift(oracle.month, -1))
    out = {}
    if before:
        for stem, rate in (("completion", oracle.completion), ("on_time", oracle.on_time)):
            now, then = rate(oracle.rows), rate(before)
            if now is not None and then is not None and abs((now - then) * 100) >= RATE_NOISE_POINTS:
                out[stem] = (now, then)
    return out


def _rate_change(oracle: Oracle, claim: dict, expect: Any, expect_cells: Any, problems: list) -> None:
    stem, direction = claim["code"].removeprefix("takeaway.").rsplit("_", 1)
    found = _rate_changes(oracle).get(stem)
    if found is None:
        problems.append(f"{claim['code']}: the rate did not move a point or more against last month")
        return
    now, then = found
    if (now > then) != (direction == "up"):
        problems.append(f"{claim['code']}: the rate went from {then} to {now}")
    expect(claim, "rate", now)
    expect(claim, "previous", then)
    expect(claim, "change", (now - then) * 100)


def _cost_without_goal(oracle: Oracle, claim: dict, expect: Any, expect_cells: Any, problems: list) -> None:
    total = sum((row.cost or Decimal(0) for row in oracle.rows), Decimal(0))
    loose = sum((row.cost or Decimal(0) for row in oracle.rows if row.goal is None), Decimal(0))
    share = float(loose / total) if total else 0.0
    if share <= UNASSIGNED_COST_SHARE:
        problems.append(f"takeaway.cost_without_goal: only {share:.3f} of the cost serves no goal")
    expect(claim, "share", share)


def _takeaway_misses(oracle: Oracle, claim: dict, expect: Any, expect_cells: Any, problems: list) -> None:
    expect(claim, "count", len(_misses(oracle)))


def _takeaway_stalled(oracle: Oracle, claim: dict, expect: Any, expect_cells: Any, problems: list) -> None:
    stalled = [(name, ladder["stalled"]) for name, ladder in oracle.ladders().items() if ladder["stalled"]]
    _stalled(oracle, claim, expect, expect_cells, problems)
    if stalled and claim["numbers"]["days"] != max(days for _, days in stalled):
        problems.append("takeaway.stalled: names a stall that is not the longest")
    expect(claim, "count", len(stalled))


def _archive_disagrees(oracle: Oracle, claim: dict, expect: Any, expect_cells: Any, problems: list) -> None:
    if claim["cells"]:
        problems.append("overlooked.archive_disagrees: cites rows, but it speaks of an archived month")


CHECKS = {
    "scope": _scope,
    "quality": _quality,
    "execution.completion": _execution_completion,
    "execution.on_time": _execution_on_time,
    "execution.slip": _execution_slip,
    "status_counts": _status_counts,
    "overlooked.no_goal": _no_goal,
    "overlooked.goal_unserved": _goal_unserved,
    "overlooked.miss_no_decision": _miss_no_decision,
    "overlooked.on_time_unmeasured": _on_time_unmeasured,
    "overlooked.maturing": _maturing,
    "overlooked.paused": _paused,
    "overlooked.paused_while_improving": _paused,
    "overlooked.stalled": _stalled,
    "overlooked.skipped_layer": _skipped,
    "overlooked.archive_disagrees": _archive_disagrees,
    "takeaway.goal_gap": _goal_gap,
    "takeaway.goal_win": _goal_win,
    "takeaway.completion_up": _rate_change,
    "takeaway.completion_down": _rate_change,
    "takeaway.on_time_up": _rate_change,
    "takeaway.on_time_down": _rate_change,
    "takeaway.cost_without_goal": _cost_without_goal,
    "takeaway.miss_no_decision": _takeaway_misses,
    "takeaway.stalled": _takeaway_stalled,
    "takeaway.skipped_layer": _skipped,
    "takeaway.paused_while_improving": _paused,
}


def _missing(oracle: Oracle, seen: set[str], document: dict[str, Any]) -> list[str]:
    """What the rows say that the review must say and did not: the other direction of the check."""
    problems = []
    wanted = {
        "scope": True,
        "execution.completion": True,
        "status_counts": True,
        "overlooked.no_goal": any(row.goal is None for row in oracle.rows),
        "overlooked.miss_no_decision": bool(_misses(oracle)),
        "overlooked.on_time_unmeasured": bool(_unmeasured(oracle)[0]),
        "overlooked.stalled": any(ladder["stalled"] for ladder in oracle.ladders().values()),
        "overlooked.skipped_layer": any(ladder["skipped"] for ladder in oracle.ladders().values()),
        "execution.on_time": bool(oracle.dated(oracle.rows)),
    }
    for code, must in wanted.items():
        if must and code not in seen:
            problems.append(f"{code}: the rows call for this claim and the review does not make it")
    maturing = {channel for channel, (_, rows) in oracle.compounding().items() if rows}
    stated = {
        claim["numbers"]["channel"] for claim in document["claims"] if claim["code"] == "overlooked.maturing"
    }
    if maturing != stated:
        problems.append(
            f"overlooked.maturing: stated for {sorted(stated)}, the rows call for {sorted(maturing)}"
        )
    drops = {stem: now - then for stem, (now, then) in _rate_changes(oracle).items() if now < then}
    if drops:
        largest = min(drops, key=lambda stem: drops[stem])
        if f"takeaway.{largest}_down" not in seen:
            problems.append(f"takeaway.{largest}_down: the month's largest drop is not among the takeaways")
    return problems


def claims_by_activity(document: dict[str, Any]) -> list[tuple[str, Any, list[str]]]:
    """The claims with the activities behind their cells, to compare a trimmed workbook's review with the
    full one's: this month's rows by their text (a trimmed workbook numbers them anew), an archived row by
    the cell the archive kept. Not `quality`: a trimmed workbook's findings are its own rows'."""
    texts = {f"{a['sheet']}!C{a['row']}": a["activity"] for a in document["activities"]}
    return [
        (
            claim["code"],
            claim["numbers"],
            sorted(texts.get(cell, cell.partition("@")[0]) for cell in claim["cells"]),
        )
        for claim in document["claims"]
        if claim["code"] != "quality"
    ]
