"""Independent oracle for the sample workbooks.

Computes, from the clean data ``samples/make_samples.py`` writes (``sample_rows``, ``sample_goals``,
``sample_rules``) and the ``[[rules]]`` of ``samples/reportgen.toml``, the figures docs/metrics.md's "Metric
definitions" and "Edge figures" promise for a month. Deliberately naive and written without reportgen:
it imports only the standard library and the sample generator, so a bug in reportgen cannot hide in here.

``figures(lang, month)`` mirrors the ``--json`` document of ``reportgen build`` (month, totals, rates, goals,
principles, channels, owners, previous). Money and metrics are Decimals, rates floats (None when the
denominator is 0).
"""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES_DIR = ROOT / "samples"
CONFIG = SAMPLES_DIR / "reportgen.toml"


def _load_samples():
    name = "reportgen_sample_maker"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SAMPLES_DIR / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


samples = _load_samples()

METRICS = ("impressions", "clicks", "visits", "signups", "leads", "conversions", "followers", "revenue")
PRINCIPLES = ("connection", "execution", "deferred_payoff", "layered")
STATUS_TOTALS = ("done", "cancelled", "in_progress", "planned", "delayed")
PRINCIPLE_WORDS = {
    "connection": "connection",
    "连接": "connection",
    "execution": "execution",
    "执行": "execution",
    "deferred_payoff": "deferred_payoff",
    "延迟满足": "deferred_payoff",
    "layered": "layered",
    "层次": "layered",
}
CHANNEL_DEFAULT_PRINCIPLE = {
    "seo": "deferred_payoff",
    "content": "deferred_payoff",
    "event": "execution",
    "sem": "execution",
}
ZERO = Decimal(0)


@dataclass(frozen=True)
class Rule:
    source: str  # "sheet" or "config"
    name: str  # sheet rule: "Rules!A3"; config rule: its name
    channel: str | None
    keyword: str | None
    goal: str | None
    principle: str | None


def _norm(text: str) -> str:
    return text.strip().casefold()


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def config_rules(path: Path = CONFIG) -> list[Rule]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        Rule("config", r["name"], r.get("channel"), r.get("keyword"), r.get("goal"), r.get("principle"))
        for r in data.get("rules", [])
    ]


def all_rules(lang: str) -> list[Rule]:
    sheet = samples.SAMPLES[lang].rules_sheet
    out = [
        Rule("sheet", f"{sheet}!A{r.excel_row}", r.channel, r.keyword, r.goal, r.principle)
        for r in samples.sample_rules(lang)
    ]
    return out + config_rules()


def goal_lookup(lang: str) -> dict[str, str]:
    """Normalised goal id or name -> goal id."""
    table: dict[str, str] = {}
    for g in samples.sample_goals(lang):
        table[_norm(g.id)] = g.id
        table[_norm(g.name)] = g.id
    return table


def _rule_matches(rule: Rule, row) -> bool:
    if rule.channel is not None and rule.channel != row.channel:
        return False
    return rule.keyword is None or rule.keyword.casefold() in (row.activity or "").casefold()


def map_row(lang: str, row) -> dict:
    """Goal and principle of one row and what decided them."""
    lookup = goal_lookup(lang)
    rules = all_rules(lang)

    goal, goal_by = None, None
    cell = row.value("goal")
    if not _blank(cell):
        goal, goal_by = lookup.get(_norm(cell)), "cell"  # an undefined goal stays unresolved, no fall-through
    else:
        for rule in rules:
            if rule.goal is not None and not _blank(rule.goal) and _rule_matches(rule, row):
                goal, goal_by = lookup[_norm(rule.goal)], f"{rule.source}:{rule.name}"
                break

    principle, principle_by = None, None
    cell = row.value("principle")
    if not _blank(cell):
        principle, principle_by = PRINCIPLE_WORDS[_norm(cell)], "cell"
    else:
        for rule in rules:
            if rule.principle is not None and not _blank(rule.principle) and _rule_matches(rule, row):
                principle, principle_by = PRINCIPLE_WORDS[_norm(rule.principle)], f"{rule.source}:{rule.name}"
                break
    if principle is None:
        if not _blank(row.value("initiative")) and not _blank(row.value("stage")):
            principle, principle_by = "layered", "initiative"
        else:
            principle, principle_by = CHANNEL_DEFAULT_PRINCIPLE.get(row.channel, "connection"), "channel"
    return {"goal": goal, "goal_by": goal_by, "principle": principle, "principle_by": principle_by}


def month_rows(lang: str, month: str) -> list:
    out = []
    for row in samples.sample_rows(lang):
        if row.skipped:
            continue
        d = row.value("date")
        if d is not None and f"{d:%Y-%m}" == month:
            out.append(row)
    return out


def previous_month(month: str) -> str:
    y, m = map(int, month.split("-"))
    return f"{y - 1}-12" if m == 1 else f"{y}-{m - 1:02d}"


def _num(row, name: str) -> Decimal:
    v = row.value(name)
    return ZERO if v is None else Decimal(v)


def _ratio(num, den) -> float | None:
    if not den:
        return None
    return float(Decimal(num) / Decimal(den))


def activities(lang: str, month: str) -> dict[int, dict]:
    """Per activity row of the month (keyed by sheet row): what reportgen must list in its appendix."""
    out = {}
    for row in month_rows(lang, month):
        m = map_row(lang, row)
        out[row.excel_row] = {
            "date": row.value("date").isoformat(),
            "channel": row.channel,
            "activity": row.activity,
            "owner": row.owner,
            "status": row.status,
            **m,
        }
    return out


def figures(lang: str, month: str, with_previous: bool = True) -> dict:
    rows = month_rows(lang, month)
    mapped = [(row, map_row(lang, row)) for row in rows]
    n = len(rows)

    totals: dict = {"activities": n}
    for status in STATUS_TOTALS:
        totals[status] = sum(1 for r in rows if r.status == status)
    totals["cost"] = sum((_num(r, "cost") for r in rows), ZERO)
    for metric in METRICS:
        totals[metric] = sum((_num(r, metric) for r in rows), ZERO)

    done_rows = [r for r in rows if r.status == "done"]
    timed = [r for r in done_rows if r.value("done_on") is not None and r.value("due") is not None]
    with_goal = [(r, m) for r, m in mapped if m["goal"] is not None]

    goals = []
    goal_rows = samples.sample_goals(lang)
    for gid in dict.fromkeys(g.id for g in goal_rows):
        versions = [g for g in goal_rows if g.id == gid]
        general = next((g for g in versions if g.month is None), None)
        for_month = next((g for g in versions if g.month == month), None)
        target = for_month.target if for_month else (general.target if general else None)
        base = general or versions[0]
        mine = [r for r, m in mapped if m["goal"] == gid]
        if base.metric == "activities":
            actual = Decimal(len(mine))
        else:
            actual = sum((_num(r, base.metric) for r in mine), ZERO)
        goal_channels: dict[str, int] = defaultdict(int)
        for r in mine:
            goal_channels[r.channel] += 1
        goals.append(
            {
                "id": gid,
                "name": base.name,
                "metric": base.metric,
                "target": target,
                "actual": actual,
                "attainment": _ratio(actual, target) if target else None,
                "owner": base.owner,
                "activities": len(mine),
                "cost": sum((_num(r, "cost") for r in mine), ZERO),
                "channels": dict(goal_channels),
            }
        )

    principles: dict[str, dict[str, int | Decimal]] = {
        key: {"activities": 0, "done": 0, "cost": ZERO} for key in PRINCIPLES
    }
    channels: dict[str, dict[str, int | Decimal]] = {}
    owners: dict[str | None, dict[str, int | Decimal]] = {}
    first_spelling: dict[str, str] = {}  # one person however the case and spaces of their name vary
    for r, _ in mapped:
        if r.owner:
            first_spelling.setdefault(" ".join(r.owner.split()).casefold(), " ".join(r.owner.split()))
    for r, m in mapped:
        for bucket in (
            principles[m["principle"]],
            channels.setdefault(
                r.channel, {"activities": 0, "done": 0, "cost": ZERO, **{k: ZERO for k in METRICS}}
            ),
            owners.setdefault(
                first_spelling[" ".join(r.owner.split()).casefold()] if r.owner else None,
                {"activities": 0, "done": 0, "cost": ZERO},
            ),
        ):
            bucket["activities"] += 1
            bucket["done"] += r.status == "done"
            bucket["cost"] += _num(r, "cost")
        for metric in METRICS:
            channels[r.channel][metric] += _num(r, metric)

    result = {
        "month": month,
        "totals": totals,
        "completion_rate": _ratio(totals["done"], n - totals["cancelled"]),
        "on_time_rate": _ratio(sum(1 for r in timed if r.value("done_on") <= r.value("due")), len(timed)),
        "goal_coverage": _ratio(len(with_goal), n),
        "goal_cost_coverage": _ratio(sum((_num(r, "cost") for r, _ in with_goal), ZERO), totals["cost"]),
        "goals": goals,
        "principles": principles,
        "channels": channels,
        "owners": owners,
    }
    if with_previous:
        result["previous"] = figures(lang, previous_month(month), with_previous=False)
    return result


def config_decided(lang: str) -> list[tuple[int, str, str]]:
    """(sheet row, 'goal'|'principle', rule name) for every row a reportgen.toml rule decided."""
    out = []
    for row in samples.sample_rows(lang):
        if row.skipped:
            continue
        m = map_row(lang, row)
        for what in ("goal", "principle"):
            by = m[f"{what}_by"] or ""
            if by.startswith("config:"):
                out.append((row.excel_row, what, by.split(":", 1)[1]))
    return out


if __name__ == "__main__":  # a quick look: python tests/oracle.py en 2026-10
    import json

    args = sys.argv[1:]
    lang_arg = args[0] if args else "en"
    month_arg = args[1] if len(args) > 1 else "2026-10"
    print(json.dumps(figures(lang_arg, month_arg), default=str, ensure_ascii=False, indent=1))
