"""The head of marketing's roll-up: one month across every team, computed from what the archive kept of each
team's review (its figures document, delivered version else the latest), never from the workbooks.

Pure: the pipeline hands in each team's documents for the month and the month before, where its month
stands and twelve months of its completion rate; this module sums and weighs them (docs/rollup.md: counts and
cost summed per currency, rates weighted by their denominators, attainment averaged over every goal with a
target), orders the teams by the documented "needs attention" score, gathers the easily overlooked items
the team documents carry and chooses three takeaways. Every statement is a `Claim` (codes `rollup.*`,
docs/claims.md), checked by tests/rollup_oracle.py from the same documents.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from reportgen import __version__
from reportgen.figures.claims import Claim
from reportgen.figures.document import SCHEMA_VERSION, claim_json, claim_value, money, number
from reportgen.figures.kpis import rate_direction
from reportgen.figures.overlooked import Money, Points, Rate

ATTENTION_LIMIT = 10  # the "needs attention" section names at most this many teams
NO_GOAL_SHARE = 0.10  # a takeaway when more than this share of the department's activities serves no goal
SCORE_PLACES = Decimal("0.0001")
CITE = "::"  # a cited cell of a team review: `Northwind::Activities!C172`; `Northwind::#execution.on_time`


class TeamStatus(StrEnum):
    """Where a team's month stands for the roll-up: its lifecycle stage, or missing (no review)."""

    DELIVERED = "delivered"  # management has a version: the roll-up reads that one
    AWAITING_APPROVAL = "awaiting_approval"  # a clean draft waits for the lead: the latest, marked
    BUILT = "built"  # built but not delivered (no approver, no send yet): the latest, marked
    BLOCKED = "blocked"  # the latest draft has errors of its month
    REJECTED = "rejected"  # the lead turned the latest draft down
    MISSING = "missing"  # no review of the month at all


BUCKETS: dict[TeamStatus, str] = {  # the cover's four counts
    TeamStatus.DELIVERED: "delivered",
    TeamStatus.AWAITING_APPROVAL: "waiting",
    TeamStatus.BUILT: "waiting",
    TeamStatus.BLOCKED: "blocked",
    TeamStatus.REJECTED: "blocked",
    TeamStatus.MISSING: "missing",
}
BUCKET_ORDER = ("delivered", "waiting", "blocked", "missing")
STATUS_WEIGHT: dict[TeamStatus, Decimal] = {  # the status part of the "needs attention" score
    TeamStatus.MISSING: Decimal(1),
    TeamStatus.BLOCKED: Decimal("0.5"),
    TeamStatus.REJECTED: Decimal("0.5"),
}


@dataclass(frozen=True, slots=True)
class TeamSource:
    """What the archive holds of one team for the roll-up's month."""

    name: str
    status: TeamStatus
    document: Mapping[str, Any] | None  # the month's figures document (None: missing)
    previous: Mapping[str, Any] | None = None  # the month before's, chosen the same way
    version: int | None = None
    delivered: bool = False  # `document` is the version management has (False: the latest, not delivered)
    where: str | None = None  # where the team's review PDF was written
    series: tuple[tuple[str, float | None], ...] = ()  # twelve months of the completion rate, oldest first
    built_at: dt.datetime | None = None  # when the version read was made: newer than the last roll-up sent?
    takeaways: Mapping[str, str] = field(default_factory=dict)  # language → the team review's first takeaway


@dataclass(frozen=True, slots=True)
class Rates:
    """`[department] rates`: how many units of `base` one unit of each other currency is worth, on `date`."""

    base: str
    rates: Mapping[str, Decimal]
    date: dt.date | None = None

    def convert(self, amount: Decimal, currency: str) -> Decimal | None:
        if currency == self.base:
            return amount
        rate = self.rates.get(currency)
        return None if rate is None else amount * rate


def share(part: float, whole: float) -> float | None:
    """A rate as the roll-up reads it: `part` of `whole`, None when there is nothing to divide by."""
    return part / whole if whole else None


@dataclass(frozen=True, slots=True)
class TeamFigures:
    """The numbers the roll-up reads from one team's figures document."""

    currency: str
    activities: int
    done: int
    planned: int  # activities less the cancelled
    on_time: int
    dated: int  # done with a due and a done date
    cost: Decimal
    leads: Decimal
    attainments: tuple[float, ...]  # each goal's with a target

    @property
    def completion(self) -> float | None:
        return share(self.done, self.planned)

    @property
    def on_time_rate(self) -> float | None:
        return share(self.on_time, self.dated)

    @property
    def attainment(self) -> float | None:
        return sum(self.attainments) / len(self.attainments) if self.attainments else None


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


def claims_of(document: Mapping[str, Any], code: str) -> list[Mapping[str, Any]]:
    return [claim for claim in document.get("claims") or () if claim.get("code") == code]


def team_figures(document: Mapping[str, Any]) -> TeamFigures:
    """The roll-up's numbers of a team's month, as its figures document states them."""
    totals = document.get("totals") or {}
    on_time = claims_of(document, "execution.on_time")
    numbers = on_time[0]["numbers"] if on_time else {}
    return TeamFigures(
        currency=str(document.get("currency") or ""),
        activities=int(totals.get("activities") or 0),
        done=int(totals.get("done") or 0),
        planned=int(totals.get("activities") or 0) - int(totals.get("cancelled") or 0),
        on_time=int(numbers.get("on_time") or 0),
        dated=int(numbers.get("dated") or 0),
        cost=_decimal(totals.get("cost")),
        leads=_decimal(totals.get("leads")),
        attainments=tuple(
            float(goal["attainment"])
            for goal in document.get("goals") or ()
            if goal.get("attainment") is not None
        ),
    )


@dataclass(frozen=True, slots=True)
class DepartmentFigures:
    """The department's month: sums, and rates weighted by their denominators."""

    teams: int
    activities: int
    done: int
    planned: int
    on_time: int
    dated: int
    goals: int
    attainment_sum: float
    cost: dict[str, Decimal]  # per currency, in the order first met
    leads: Decimal
    no_goal: int = 0  # activities tied to no goal

    @property
    def completion(self) -> float | None:
        return share(self.done, self.planned)

    @property
    def on_time_rate(self) -> float | None:
        return share(self.on_time, self.dated)

    @property
    def attainment(self) -> float | None:
        return self.attainment_sum / self.goals if self.goals else None


def department_figures(documents: Sequence[Mapping[str, Any]]) -> DepartmentFigures | None:
    """The department's figures from its teams' documents; None when there is none."""
    if not documents:
        return None
    teams = [team_figures(document) for document in documents]
    cost: dict[str, Decimal] = {}
    for team in teams:
        cost[team.currency] = cost.get(team.currency, Decimal(0)) + team.cost
    no_goal = sum(
        int(claim["numbers"].get("count") or 0)
        for document in documents
        for claim in claims_of(document, "overlooked.no_goal")
    )
    return DepartmentFigures(
        teams=len(teams),
        activities=sum(team.activities for team in teams),
        done=sum(team.done for team in teams),
        planned=sum(team.planned for team in teams),
        on_time=sum(team.on_time for team in teams),
        dated=sum(team.dated for team in teams),
        goals=sum(len(team.attainments) for team in teams),
        attainment_sum=sum(sum(team.attainments) for team in teams),
        cost=cost,
        leads=sum((team.leads for team in teams), Decimal(0)),
        no_goal=no_goal,
    )


@dataclass(frozen=True, slots=True)
class Change:
    """A KPI this month and last; `change` in points for a rate, the difference for a count or money."""

    kpi: str
    kind: str  # count | rate | money
    value: float | Decimal | int | None
    previous: float | Decimal | int | None

    @property
    def change(self) -> float | Decimal | None:
        if self.value is None or self.previous is None:
            return None
        if self.kind == "rate":
            return (float(self.value) - float(self.previous)) * 100
        return Decimal(self.value) - Decimal(self.previous)

    @property
    def direction(self) -> str:
        """up, down, flat; new (not known last month) or none (not known this month)."""
        change = self.change
        if self.value is None:
            return "none"
        if change is None:
            return "new"
        if self.kind == "rate":  # the team reviews' rule, so a point is a change on both
            return rate_direction(float(change))
        return "up" if change > 0 else ("down" if change < 0 else "flat")


RATE_KPIS = ("goal_attainment", "completion_rate", "on_time_rate")


def _kpi_values(figures: DepartmentFigures | TeamFigures | None) -> dict[str, Any]:
    if figures is None:
        return dict.fromkeys(("activities", *RATE_KPIS, "leads"))
    return {
        "activities": figures.activities,
        "goal_attainment": figures.attainment,
        "completion_rate": figures.completion,
        "on_time_rate": figures.on_time_rate,
        "leads": figures.leads,
    }


KPI_KINDS = {
    "activities": "count",
    "goal_attainment": "rate",
    "completion_rate": "rate",
    "on_time_rate": "rate",
    "leads": "count",
}


def changes(current: Any, previous: Any) -> dict[str, Change]:
    now, before = _kpi_values(current), _kpi_values(previous)
    return {kpi: Change(kpi, KPI_KINDS[kpi], now[kpi], before[kpi]) for kpi in KPI_KINDS}


@dataclass(frozen=True, slots=True)
class CostLine:
    """The department's cost in one currency (or converted into the base one), this month and last."""

    currency: str
    cost: Decimal
    previous: Decimal | None
    converted: bool = False

    @property
    def change(self) -> Decimal | None:
        return None if self.previous is None else self.cost - self.previous


@dataclass(frozen=True, slots=True)
class TeamRow:
    """One team side by side with the others."""

    source: TeamSource
    figures: TeamFigures | None
    previous: TeamFigures | None
    kpis: dict[str, Change]
    cost_change: Decimal | None
    score: Decimal
    reasons: tuple[str, ...]  # gap, completion_drop, on_time_drop, and the status when it weighs

    @property
    def name(self) -> str:
        return self.source.name


@dataclass(frozen=True, slots=True)
class Replaced:
    """The roll-up this one replaces: when it reached management, and (when the archive kept it) the version
    of each team it showed, so "changed since" names exactly the teams whose version differs from what the
    head read; without them, the teams whose version was made after it went out."""

    sent_at: dt.datetime
    versions: dict[str, int | None] | None = None

    def changed(self, source: TeamSource) -> bool:
        if self.versions is not None:
            return self.versions.get(source.name) != source.version
        return source.built_at is not None and source.built_at > self.sent_at

    @classmethod
    def of_document(cls, sent_at: dt.datetime, document: dict[str, Any]) -> Replaced:
        """From the figures document (`rollup_document`) of the roll-up that went out."""
        return cls(sent_at, {row["team"]: row["version"] for row in document.get("teams", [])})


@dataclass(frozen=True, slots=True)
class Rollup:
    """The roll-up's figures and every claim it makes, in the order the PDF makes them."""

    department: str
    month: str
    as_of: dt.date | None
    counts: dict[str, int]
    current: DepartmentFigures | None
    previous: DepartmentFigures | None
    kpis: dict[str, Change]
    cost: tuple[CostLine, ...]
    rates: Rates | None
    rows: tuple[TeamRow, ...]  # ordered by "needs attention"
    attention: tuple[TeamRow, ...]
    takeaways: tuple[Claim, ...]
    overlooked: dict[str, tuple[Claim, ...]]
    claims: tuple[Claim, ...] = field(default=())
    revised: Claim | None = None  # the teams whose version differs from the roll-up this one replaces

    def claims_of(self, code: str) -> list[Claim]:
        return [claim for claim in self.claims if claim.code == code]


def attention_score(
    source: TeamSource, now: TeamFigures | None, before: TeamFigures | None
) -> tuple[Decimal, tuple[str, ...]]:
    """docs/rollup.md's "needs attention" score: the status's weight (missing 1, blocked or rejected 0.5),
    plus the goal gap (1 − attainment, when below 1), plus the drops of the completion and on-time rates
    since last month (as fractions); each part that is above zero is a reason."""
    parts: list[tuple[str, Decimal]] = []
    weight = STATUS_WEIGHT.get(source.status, Decimal(0))
    if weight:
        parts.append((source.status.value, weight))
    if now is not None and now.attainment is not None and now.attainment < 1:
        parts.append(("gap", Decimal(str(1 - now.attainment))))
    if now is not None and before is not None:
        for reason, current, previous in (
            ("completion_drop", now.completion, before.completion),
            ("on_time_drop", now.on_time_rate, before.on_time_rate),
        ):
            if current is not None and previous is not None and previous > current:
                parts.append((reason, Decimal(str(previous - current))))
    score = sum((value for _, value in parts), Decimal(0)).quantize(SCORE_PLACES, rounding=ROUND_HALF_UP)
    return score, tuple(reason for reason, _ in parts)


def _rate(value: float | None) -> Rate | None:
    return None if value is None else Rate(value)


def _points(value: Any) -> Points | None:
    return None if value is None else Points(float(value))


def _cited(team: str, cells: Sequence[str]) -> tuple[str, ...]:
    return tuple(f"{team}{CITE}{cell}" for cell in cells)


def _team_cell(source: TeamSource) -> str:
    version = f"v{source.version}" if source.version is not None else "-"
    return f"{source.name}{CITE}#{version}"


def _row(source: TeamSource) -> TeamRow:
    now = team_figures(source.document) if source.document is not None else None
    before = team_figures(source.previous) if source.previous is not None else None
    cost_change = None
    if now is not None and before is not None and now.currency == before.currency:
        cost_change = now.cost - before.cost
    score, reasons = attention_score(source, now, before)
    return TeamRow(source, now, before, changes(now, before), cost_change, score, reasons)


def _team_claim(row: TeamRow) -> Claim:
    now = row.figures
    kpis = row.kpis
    return Claim(
        "rollup.team",
        (_team_cell(row.source),),
        {
            "team": row.name,
            "status": row.source.status.value,
            "version": row.source.version,
            "delivered": row.source.delivered,
            "currency": now.currency if now else None,
            "attainment": _rate(now.attainment) if now else None,
            "attainment_change": _points(kpis["goal_attainment"].change),
            "completion": _rate(now.completion) if now else None,
            "completion_change": _points(kpis["completion_rate"].change),
            "on_time": _rate(now.on_time_rate) if now else None,
            "on_time_change": _points(kpis["on_time_rate"].change),
            "cost": Money(now.cost) if now else None,
            "cost_change": Money(row.cost_change) if row.cost_change is not None else None,
            "leads": now.leads if now else None,
            "leads_change": kpis["leads"].change,
            "score": row.score,
        },
    )


REASON_CLAIMS = {
    "gap": "#goals",
    "completion_drop": "#execution.completion",
    "on_time_drop": "#execution.on_time",
}


def _attention_claim(rank: int, row: TeamRow) -> Claim:
    """The `rank`-th team needing attention, citing what each reason rests on: the team review's claim (its
    goals, completion, on time), and for a missing, blocked or rejected review the version the archive
    holds (`Team::#v2`; `Team::#-`: none of the month)."""
    now = row.figures
    cells = tuple(
        _team_cell(row.source) if reason in STATUS_WEIGHT else f"{row.name}{CITE}{REASON_CLAIMS[reason]}"
        for reason in row.reasons
        if reason in STATUS_WEIGHT or reason in REASON_CLAIMS
    )
    return Claim(
        "rollup.attention",
        cells,
        {
            "rank": rank,
            "team": row.name,
            "score": row.score,
            "status": row.source.status.value,
            "reasons": list(row.reasons),
            "attainment": _rate(now.attainment) if now else None,
            "completion_change": _points(row.kpis["completion_rate"].change),
            "on_time_change": _points(row.kpis["on_time_rate"].change),
        },
    )


def _overlooked(rows: Sequence[TeamRow], rates: Rates | None) -> dict[str, tuple[Claim, ...]]:
    """The team documents' easily overlooked items, gathered across teams: spend tied to no goal (largest
    first), compounding channels paused while improving, stalled partner initiatives (longest first), misses
    with no decision (most first), and the teams whose review is missing."""
    no_goal: list[tuple[Decimal, Claim]] = []
    paused: list[Claim] = []
    stalled: list[tuple[int, Claim]] = []
    misses: list[tuple[int, Claim]] = []
    for row in rows:
        document = row.source.document
        if document is None:
            continue
        currency = str(document.get("currency") or "")
        for claim in claims_of(document, "overlooked.no_goal"):
            numbers = claim["numbers"]
            cost = _decimal(numbers.get("cost"))
            converted = rates.convert(cost, currency) if rates else None
            no_goal.append(
                (
                    converted if converted is not None else cost,
                    Claim(
                        "rollup.no_goal",
                        _cited(row.name, claim["cells"]),
                        {
                            "team": row.name,
                            "count": numbers.get("count"),
                            "cost": Money(cost),
                            "currency": currency,
                            "share": _rate(numbers.get("share")),
                        },
                    ),
                )
            )
        for claim in claims_of(document, "overlooked.paused_while_improving"):
            numbers = claim["numbers"]
            paused.append(
                Claim(
                    "rollup.paused_while_improving",
                    _cited(row.name, claim["cells"]),
                    {
                        "team": row.name,
                        "channel": numbers.get("channel"),
                        "from": Money(_decimal(numbers.get("from"))),
                        "to": Money(_decimal(numbers.get("to"))),
                        "currency": currency,
                    },
                )
            )
        for claim in claims_of(document, "overlooked.stalled"):
            numbers = claim["numbers"]
            days = int(numbers.get("days") or 0)
            stalled.append(
                (
                    days,
                    Claim(
                        "rollup.stalled",
                        _cited(row.name, claim["cells"]),
                        {
                            "team": row.name,
                            "initiative": numbers.get("initiative"),
                            "stage": numbers.get("stage"),
                            "days": days,
                        },
                    ),
                )
            )
        for claim in claims_of(document, "overlooked.miss_no_decision"):
            count = int(claim["numbers"].get("count") or 0)
            misses.append(
                (
                    count,
                    Claim(
                        "rollup.miss_no_decision",
                        _cited(row.name, claim["cells"]),
                        {"team": row.name, "count": count},
                    ),
                )
            )
    missing = [row.name for row in rows if row.source.status is TeamStatus.MISSING]
    return {
        "no_goal": tuple(claim for _, claim in sorted(no_goal, key=lambda pair: -pair[0])),
        "paused_while_improving": tuple(paused),
        "stalled": tuple(claim for _, claim in sorted(stalled, key=lambda pair: -pair[0])),
        "miss_no_decision": tuple(claim for _, claim in sorted(misses, key=lambda pair: -pair[0])),
        "missing": (Claim("rollup.missing", (), {"teams": missing, "count": len(missing)}),)
        if missing
        else (),
    }


def _takeaways(
    counts: Mapping[str, int],
    rows: Sequence[TeamRow],
    kpis: Mapping[str, Change],
    current: DepartmentFigures | None,
) -> tuple[Claim, ...]:
    """Three department takeaways, the first three that apply in this order: teams missing or blocked; the
    team furthest below its goals; the department rate that moved most since last month (a drop before a
    rise of the same size); the share of the department's activities tied to no goal, over 10%.
    The first names the missing teams apart from the blocked ones: a missing team adds nothing to the
    totals, a blocked or rejected one is in them with its latest version (docs/rollup.md)."""
    found: list[Claim] = []
    if counts["missing"] or counts["blocked"]:
        late = [row.name for row in rows if BUCKETS[row.source.status] in ("missing", "blocked")]
        found.append(
            Claim(
                "rollup.takeaway.missing",
                (),
                {
                    "missing": counts["missing"],
                    "blocked": counts["blocked"],
                    "teams": late,
                    "missing_teams": [row.name for row in rows if BUCKETS[row.source.status] == "missing"],
                    "blocked_teams": [row.name for row in rows if BUCKETS[row.source.status] == "blocked"],
                },
            )
        )
    gaps = [
        row
        for row in rows
        if row.figures is not None and row.figures.attainment is not None and row.figures.attainment < 1
    ]
    if gaps:
        worst = min(gaps, key=lambda row: (row.figures.attainment, row.name))  # type: ignore[union-attr]
        assert worst.figures is not None
        found.append(
            Claim(
                "rollup.takeaway.largest_gap",
                (f"{worst.name}{CITE}#goals",),
                {
                    "team": worst.name,
                    "attainment": _rate(worst.figures.attainment),
                    "goals": len(worst.figures.attainments),
                },
            )
        )
    moved = [change for change in kpis.values() if change.kind == "rate" and change.change is not None]
    if moved:
        biggest = max(
            moved, key=lambda change: (abs(float(change.change or 0)), float(change.change or 0) < 0)
        )
        if biggest.direction in ("up", "down"):
            found.append(
                Claim(
                    f"rollup.takeaway.kpi_{biggest.direction}",
                    (),
                    {
                        "kpi": biggest.kpi,
                        "value": _rate(_float(biggest.value)),
                        "previous": _rate(_float(biggest.previous)),
                        "change": _points(biggest.change),
                    },
                )
            )
    if current is not None and current.activities and current.no_goal / current.activities > NO_GOAL_SHARE:
        found.append(
            Claim(
                "rollup.takeaway.no_goal",
                (),
                {
                    "count": current.no_goal,
                    "activities": current.activities,
                    "share": Rate(current.no_goal / current.activities),
                },
            )
        )
    return tuple(found[:3])


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _cost_lines(
    current: DepartmentFigures | None, previous: DepartmentFigures | None, rates: Rates | None
) -> tuple[CostLine, ...]:
    """The department's cost per currency; one line in `rates.base` when the rates convert every currency."""
    if current is None:
        return ()
    before = previous.cost if previous is not None else {}
    if rates is not None:
        converted = _converted(current.cost, rates)
        if converted is not None:
            earlier = _converted(before, rates) if before else None
            return (CostLine(rates.base, converted, earlier, converted=True),)
    return tuple(CostLine(currency, cost, before.get(currency)) for currency, cost in current.cost.items())


def _converted(costs: Mapping[str, Decimal], rates: Rates) -> Decimal | None:
    total = Decimal(0)
    for currency, cost in costs.items():
        value = rates.convert(cost, currency)
        if value is None:
            return None
        total += value
    return total


def rollup(
    department: str,
    month: str,
    sources: Sequence[TeamSource],
    rates: Rates | None = None,
    replaced: Replaced | None = None,
) -> Rollup:
    """The roll-up of `sources` (one per team) for `month`; `replaced`: the roll-up of the month that
    reached management before, so this one says which teams changed since."""
    rows = sorted((_row(source) for source in sources), key=lambda row: (-row.score, row.name))
    counts = dict.fromkeys(BUCKET_ORDER, 0)
    for source in sources:
        counts[BUCKETS[source.status]] += 1
    documents = [source.document for source in sources if source.document is not None]
    previous_documents = [source.previous for source in sources if source.previous is not None]
    current = department_figures(documents)
    previous = department_figures(previous_documents)
    kpis = changes(current, previous)
    cost = _cost_lines(current, previous, rates)
    attention = tuple(row for row in rows if row.score > 0)[:ATTENTION_LIMIT]
    takeaways = _takeaways(counts, rows, kpis, current)
    overlooked = _overlooked(rows, rates)
    as_of = max(
        (dt.date.fromisoformat(str(doc["as_of"])) for doc in documents if doc.get("as_of")), default=None
    )
    claims: list[Claim] = [
        Claim(
            "rollup.status",
            tuple(_team_cell(source) for source in sources),
            {**counts, "teams": len(sources)},
        ),
    ]
    revised = None
    changed = [source for source in sources if replaced is not None and replaced.changed(source)]
    if replaced is not None and changed:
        revised = Claim(
            "rollup.revised",
            tuple(_team_cell(source) for source in changed),
            {"since": replaced.sent_at.date(), "teams": [source.name for source in changed],
             "count": len(changed)},
        )  # fmt: skip
        claims.append(revised)
    for kpi, change in kpis.items():
        value = change.value
        claims.append(
            Claim(
                "rollup.kpi",
                (),
                {
                    "kpi": kpi,
                    "value": _rate(_float(value)) if change.kind == "rate" else value,
                    "previous": _rate(_float(change.previous)) if change.kind == "rate" else change.previous,
                    "change": _points(change.change) if change.kind == "rate" else change.change,
                },
            )
        )
    for line in cost:
        claims.append(
            Claim(
                "rollup.cost",
                (),
                {
                    "currency": line.currency,
                    "cost": Money(line.cost),
                    "previous": Money(line.previous) if line.previous is not None else None,
                    "change": Money(line.change) if line.change is not None else None,
                    "converted": line.converted,
                },
            )
        )
    claims += takeaways
    claims += [_team_claim(row) for row in rows]
    claims += [_attention_claim(rank, row) for rank, row in enumerate(attention, start=1)]
    for items in overlooked.values():
        claims += items
    return Rollup(
        department,
        month,
        as_of,
        counts,
        current,
        previous,
        kpis,
        cost,
        rates,
        tuple(rows),
        attention,
        takeaways,
        overlooked,
        tuple(claims),
        revised,
    )


def _kpis_json(figures: DepartmentFigures | None, cost: Mapping[str, Decimal]) -> dict[str, Any] | None:
    if figures is None:
        return None
    return {
        "teams": figures.teams,
        "activities": figures.activities,
        "done": figures.done,
        "planned": figures.planned,
        "on_time": figures.on_time,
        "dated": figures.dated,
        "goals": figures.goals,
        "completion_rate": figures.completion,
        "on_time_rate": figures.on_time_rate,
        "goal_attainment": figures.attainment,
        "cost": {currency: money(value) for currency, value in cost.items()},
        "leads": number(figures.leads),
        "no_goal": figures.no_goal,
    }


def _team_json(row: TeamRow) -> dict[str, Any]:
    now, source = row.figures, row.source
    return {
        "team": row.name,
        "status": source.status.value,
        "version": source.version,
        "delivered": source.delivered,
        "review": source.where,
        "currency": now.currency if now else None,
        "activities": now.activities if now else None,
        "goal_attainment": now.attainment if now else None,
        "completion_rate": now.completion if now else None,
        "on_time_rate": now.on_time_rate if now else None,
        "cost": money(now.cost) if now else None,
        "leads": number(now.leads) if now else None,
        "changes": {
            kpi: claim_value(_points(change.change) if change.kind == "rate" else change.change)
            for kpi, change in row.kpis.items()
        }
        | {"cost": money(row.cost_change) if row.cost_change is not None else None},
        "attention_score": float(row.score),
        "attention_reasons": list(row.reasons),
        "series": {"completion_rate": [{"month": month, "value": value} for month, value in source.series]},
    }


def rollup_document(result: Rollup, lang: str) -> dict[str, Any]:
    """`rollup --json`: the team figures document's conventions (rates as fractions, changes of a rate in
    points, money to the cent per currency, `claims` as code, cells and numbers)."""
    rates = result.rates
    return {
        "schema_version": SCHEMA_VERSION,
        "reportgen_version": __version__,
        "kind": "rollup",
        "department": result.department,
        "month": result.month,
        "as_of": result.as_of.isoformat() if result.as_of else None,
        "lang": lang,
        "counts": dict(result.counts),
        "rates": {
            "base": rates.base,
            "date": rates.date.isoformat() if rates.date else None,
            "rates": {currency: float(rate) for currency, rate in rates.rates.items()},
        }
        if rates is not None
        else None,
        **(_kpis_json(result.current, result.current.cost if result.current else {}) or {"teams": 0}),
        "cost_lines": [
            {
                "currency": line.currency,
                "cost": money(line.cost),
                "converted": line.converted,
                "previous": money(line.previous) if line.previous is not None else None,
            }
            for line in result.cost
        ],
        "previous": _kpis_json(result.previous, result.previous.cost if result.previous else {}),
        "teams": [_team_json(row) for row in result.rows],
        "attention": [row.name for row in result.attention],
        "revised": claim_json(result.revised) if result.revised is not None else None,
        "takeaways": [claim_json(claim) for claim in result.takeaways],
        "claims": [claim_json(claim) for claim in result.claims],
    }
