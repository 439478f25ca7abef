"""The independent check of a roll-up's claims: standard library only, from the team figures documents.

`check_rollup(document, teams, rates)` takes what `reportgen rollup --json` wrote and, for each team, what the
archive holds (`Team`: its status, version, whether that version was delivered, its month's figures document
and the month before's, as the archive stored them) and returns every disagreement as a sentence. It knows
each `rollup.*` code (docs/claims.md) and re-derives its numbers and cells; an unknown code is a disagreement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

TOLERANCE = 1e-9
BUCKET = {
    "delivered": "delivered",
    "awaiting_approval": "waiting",
    "built": "waiting",
    "blocked": "blocked",
    "rejected": "blocked",
    "missing": "missing",
}
WEIGHT = {"missing": 1.0, "blocked": 0.5, "rejected": 0.5}
ANCHOR = {"gap": "#goals", "completion_drop": "#execution.completion", "on_time_drop": "#execution.on_time"}
CELL = re.compile(r"[^!#]+![A-Z]+[0-9]+(@[0-9]{4}-[0-9]{2})?")  # a sheet's cell (an archived row's: @month)


@dataclass
class Team:
    name: str
    status: str
    version: int | None
    delivered: bool
    current: dict[str, Any] | None
    previous: dict[str, Any] | None


def _claims(doc: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [claim for claim in doc["claims"] if claim["code"] == code]


def _numbers(doc: dict[str, Any] | None) -> Any:
    """A team month's counts, cost, leads and attainments, straight from its document."""
    if doc is None:
        return None
    on_time = _claims(doc, "execution.on_time")
    return {
        "activities": doc["totals"]["activities"],
        "done": doc["totals"]["done"],
        "planned": doc["totals"]["activities"] - doc["totals"]["cancelled"],
        "on_time": on_time[0]["numbers"]["on_time"] if on_time else 0,
        "dated": on_time[0]["numbers"]["dated"] if on_time else 0,
        "cost": Decimal(str(doc["totals"]["cost"])),
        "currency": doc["currency"],
        "leads": Decimal(str(doc["totals"]["leads"])),
        "attainments": [goal["attainment"] for goal in doc["goals"] if goal["attainment"] is not None],
        "no_goal": sum(claim["numbers"]["count"] for claim in _claims(doc, "overlooked.no_goal")),
    }


def _div(a: float, b: float) -> float | None:
    return a / b if b else None


def _rates(n: dict[str, Any] | None) -> dict[str, Any]:
    if n is None:
        return {"completion_rate": None, "on_time_rate": None, "goal_attainment": None}
    return {
        "completion_rate": _div(n["done"], n["planned"]),
        "on_time_rate": _div(n["on_time"], n["dated"]),
        "goal_attainment": _div(sum(n["attainments"]), len(n["attainments"])),
    }


def _department(numbers: list[dict[str, Any]]) -> Any:
    if not numbers:
        return None
    total = {
        key: sum(n[key] for n in numbers)
        for key in ("activities", "done", "planned", "on_time", "dated", "no_goal")
    }
    total["leads"] = sum((n["leads"] for n in numbers), Decimal(0))
    total["attainments"] = [a for n in numbers for a in n["attainments"]]
    cost: dict[str, Decimal] = {}
    for n in numbers:
        cost[n["currency"]] = cost.get(n["currency"], Decimal(0)) + n["cost"]
    total["cost"] = cost
    return total


def _same(ours: Any, theirs: Any) -> bool:
    if ours is None or theirs is None:
        return ours is None and theirs is None
    if isinstance(ours, bool) or isinstance(theirs, bool) or isinstance(ours, str) or isinstance(theirs, str):
        return ours == theirs
    if isinstance(ours, list):
        return isinstance(theirs, list) and len(ours) == len(theirs) and all(map(_same, ours, theirs))
    return abs(float(ours) - float(theirs)) <= max(TOLERANCE * max(1.0, abs(float(ours))), 0.005001)


def _cents(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01")))


def _points(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else (now - before) * 100


def _score(team: Team, now: dict[str, Any] | None, before: dict[str, Any] | None) -> tuple[float, list[str]]:
    parts: list[tuple[str, float]] = []
    if team.status in WEIGHT:
        parts.append((team.status, WEIGHT[team.status]))
    r_now, r_before = _rates(now), _rates(before)
    if r_now["goal_attainment"] is not None and r_now["goal_attainment"] < 1:
        parts.append(("gap", 1 - r_now["goal_attainment"]))
    if now is not None and before is not None:
        for reason, key in (("completion_drop", "completion_rate"), ("on_time_drop", "on_time_rate")):
            if r_now[key] is not None and r_before[key] is not None and r_before[key] > r_now[key]:
                parts.append((reason, r_before[key] - r_now[key]))
    return round(sum(value for _, value in parts), 4), [reason for reason, _ in parts]


def check_rollup(
    document: dict[str, Any],
    teams: list[Team],
    rates: dict[str, Any] | None = None,
    revised: list[str] | None = None,
) -> list[str]:
    """Every disagreement between the roll-up's claims and the team documents, as sentences."""
    problems: list[str] = []
    by_name = {team.name: team for team in teams}
    now = {team.name: _numbers(team.current) for team in teams}
    before = {team.name: _numbers(team.previous) for team in teams}
    dept = _department([n for n in now.values() if n is not None])
    dept_before = _department([n for n in before.values() if n is not None])
    scores = {team.name: _score(team, now[team.name], before[team.name]) for team in teams}
    order = sorted(by_name, key=lambda name: (-scores[name][0], name))

    def expect(claim: dict[str, Any], key: str, value: Any) -> None:
        if not _same(value, claim["numbers"].get(key)):
            problems.append(
                f"{claim['code']} {claim['numbers'].get('team', claim['numbers'].get('kpi', ''))}: "
                f"{key} is {claim['numbers'].get(key)!r}, the documents say {value!r}"
            )

    def cells_of(name: str, code: str) -> list[str]:
        doc = by_name[name].current
        return [f"{name}::{cell}" for claim in _claims(doc, code) for cell in claim["cells"]] if doc else []

    rank = 0
    seen_codes: set[str] = set()
    for claim in document["claims"]:
        code, numbers = claim["code"], claim["numbers"]
        seen_codes.add(code)
        if code == "rollup.status":
            counts = {"delivered": 0, "waiting": 0, "blocked": 0, "missing": 0}
            for team in teams:
                counts[BUCKET[team.status]] += 1
            for key, count in counts.items():
                expect(claim, key, count)
            expect(claim, "teams", len(teams))
        elif code == "rollup.kpi":
            kpi = numbers["kpi"]
            if kpi in ("activities", "leads"):
                value = dept[kpi] if dept else None
                previous = dept_before[kpi] if dept_before else None
                change = None if value is None or previous is None else value - previous
            else:
                value = _rates(dept)[kpi] if dept else None
                previous = _rates(dept_before)[kpi] if dept_before else None
                change = _points(value, previous)
            expect(claim, "value", value)
            expect(claim, "previous", previous)
            expect(claim, "change", change)
        elif code == "rollup.cost":
            if numbers["converted"]:
                assert rates is not None, "a converted cost needs the rates"
                total = sum(
                    (
                        cost * Decimal(str(rates.get(cur, 1) if cur != rates["base"] else 1))
                        for cur, cost in dept["cost"].items()
                    ),
                    Decimal(0),
                )
                expect(claim, "cost", _cents(total))
            else:
                cost = dept["cost"].get(numbers["currency"]) if dept else None
                if cost is None:
                    problems.append(f"rollup.cost names {numbers['currency']}, which no team spends in")
                    continue
                expect(claim, "cost", _cents(cost))
                earlier = dept_before["cost"].get(numbers["currency"]) if dept_before else None
                expect(claim, "previous", _cents(earlier) if earlier is not None else None)
        elif code == "rollup.team":
            name = numbers["team"]
            team = by_name[name]
            n, b = now[name], before[name]
            r, rb = _rates(n), _rates(b)
            expect(claim, "status", team.status)
            expect(claim, "version", team.version)
            expect(claim, "delivered", team.delivered)
            expect(claim, "completion", r["completion_rate"])
            expect(claim, "on_time", r["on_time_rate"])
            expect(claim, "attainment", r["goal_attainment"])
            expect(claim, "completion_change", _points(r["completion_rate"], rb["completion_rate"]))
            expect(claim, "on_time_change", _points(r["on_time_rate"], rb["on_time_rate"]))
            expect(claim, "cost", _cents(n["cost"]) if n else None)
            expect(claim, "leads", n["leads"] if n else None)
            expect(claim, "score", scores[name][0])
            position = document["teams"].index(next(t for t in document["teams"] if t["team"] == name))
            if order[position] != name:
                problems.append(
                    f"rollup.team {name}: in place {position + 1}, the score puts {order[position]} there"
                )
        elif code == "rollup.attention":
            rank += 1
            name = numbers["team"]
            flagged = [each for each in order if scores[each][0] > 0]
            if rank > len(flagged) or flagged[rank - 1] != name:
                problems.append(
                    f"rollup.attention #{rank} is {name}, the scores say {flagged[rank - 1 : rank]}"
                )
            expect(claim, "score", scores[name][0])
            expect(claim, "reasons", scores[name][1])
            # each reason's source: the team review's claim, or the version the archive holds (none: `#-`)
            team = by_name[name]
            version = f"{name}::#v{team.version}" if team.version is not None else f"{name}::#-"
            sources = [
                version if reason in WEIGHT else f"{name}::{ANCHOR[reason]}" for reason in scores[name][1]
            ]
            if claim["cells"] != sources:
                problems.append(
                    f"rollup.attention {name}: cites {claim['cells']}, its reasons rest on {sources}"
                )
        elif code in (
            "rollup.no_goal",
            "rollup.stalled",
            "rollup.miss_no_decision",
            "rollup.paused_while_improving",
        ):
            name = numbers["team"]
            source = code.replace("rollup.", "overlooked.")
            team_claims = _claims(by_name[name].current or {"claims": []}, source)
            if not team_claims:
                problems.append(f"{code} {name}: the team's review makes no {source} claim")
                continue
            if code == "rollup.no_goal":
                expect(claim, "count", team_claims[0]["numbers"]["count"])
                expect(claim, "cost", team_claims[0]["numbers"]["cost"])
            if code == "rollup.miss_no_decision":
                expect(claim, "count", team_claims[0]["numbers"]["count"])
            if code == "rollup.stalled" and not any(
                t["numbers"]["initiative"] == numbers["initiative"]
                and t["numbers"]["days"] == numbers["days"]
                for t in team_claims
            ):
                problems.append(
                    f"rollup.stalled {name}: {numbers['initiative']} is not stalled in the team review"
                )
            if set(claim["cells"]) - set(cells_of(name, source)):
                problems.append(f"{code} {name}: cites cells the team review does not")
            if not claim["cells"] or not all(
                CELL.fullmatch(cell.split("::", 1)[-1]) for cell in claim["cells"]
            ):
                problems.append(f"{code} {name}: rests on the team's rows, cites {claim['cells']}")
        elif code == "rollup.revised":
            expect(claim, "teams", sorted(revised or []))
            expect(claim, "count", len(revised or []))
        elif code == "rollup.missing":
            expect(claim, "teams", sorted(name for name, team in by_name.items() if team.status == "missing"))
        elif code == "rollup.takeaway.missing":
            expect(claim, "missing", sum(1 for t in teams if BUCKET[t.status] == "missing"))
            expect(claim, "blocked", sum(1 for t in teams if BUCKET[t.status] == "blocked"))
            # a missing team is left out of the totals (no document); a blocked one is in them (its latest)
            for bucket in ("missing", "blocked"):
                named = [name for name in order if BUCKET[by_name[name].status] == bucket]
                expect(claim, f"{bucket}_teams", named)
            for name in numbers.get("blocked_teams") or ():
                if by_name[name].current is None or now[name] is None:
                    problems.append(f"rollup.takeaway.missing: {name} is called counted, but has no figures")
        elif code == "rollup.takeaway.largest_gap":
            below = [
                (r["goal_attainment"], name)
                for name in by_name
                if (r := _rates(now[name]))["goal_attainment"] is not None and r["goal_attainment"] < 1
            ]
            worst = min(below)
            expect(claim, "team", worst[1])
            expect(claim, "attainment", worst[0])
        elif code in ("rollup.takeaway.kpi_up", "rollup.takeaway.kpi_down"):
            kpi = numbers["kpi"]
            change = _points(_rates(dept)[kpi], _rates(dept_before)[kpi])
            expect(claim, "change", change)
            others = [
                abs(_points(_rates(dept)[k], _rates(dept_before)[k]) or 0)
                for k in ("goal_attainment", "completion_rate", "on_time_rate")
            ]
            if change is None or abs(change) + TOLERANCE < max(others):
                problems.append(f"{code}: {kpi} did not move most")
            elif abs(change) < 1 - TOLERANCE or (change > 0) != code.endswith("_up"):  # the cards' one point
                problems.append(f"{code}: {kpi} moved {change:+.2f} points")
        elif code == "rollup.takeaway.no_goal":
            expect(claim, "count", dept["no_goal"])
            expect(claim, "share", dept["no_goal"] / dept["activities"])
            if dept["no_goal"] / dept["activities"] <= 0.10:
                problems.append("rollup.takeaway.no_goal: the share is not over 10%")
        else:
            problems.append(f"unknown claim code {code}")
    for name in by_name:
        if not any(c["code"] == "rollup.team" and c["numbers"]["team"] == name for c in document["claims"]):
            problems.append(f"no rollup.team claim for {name}")
    return problems
