"""Stage 3: give every activity a goal and a principle and say what decided each (docs/workbook.md)."""

from __future__ import annotations

from reportgen.base import vocab
from reportgen.base.channels import FACTS
from reportgen.base.config import Config
from reportgen.base.model import (
    Activity,
    CellRef,
    Channel,
    Finding,
    Goal,
    Mapped,
    Normalized,
    Principle,
    Rule,
    Severity,
    Source,
)

INITIATIVE_SOURCE = Source("initiative")
CHANNEL_SOURCES = {channel: Source("channel_default", channel.value) for channel in Channel}
NO_GOAL_SOURCE = Source("none")


def all_rules(normalized: Normalized, config: Config) -> list[Rule]:
    """Rules sheet rows first, in order, then `[[rules]]` from the config, in order (first match wins)."""
    config_rules = [
        Rule(Source("config_rule", rule.name), rule.channel, rule.keyword, rule.goal, rule.principle)
        for rule in config.rules
    ]
    return [*normalized.rules, *config_rules]


def map_activities(normalized: Normalized, config: Config) -> tuple[list[Mapped], list[Finding]]:
    """Map each activity; a goal cell naming no defined goal is a warning and leaves the row unassigned."""
    goal_index = _goal_index(normalized.goals)
    rules = all_rules(normalized, config)
    # the rules that can match each channel, in order; keyword tests are the only per-row work left
    by_channel = {
        channel: [
            (rule, rule.keyword.casefold() if rule.keyword else None)
            for rule in rules
            if rule.channel is None or rule.channel is channel
        ]
        for channel in Channel
    }
    goal_column = normalized.columns.get("goal")
    principle_column = normalized.columns.get("principle")
    sheet = normalized.activity_sheet
    findings = _undefined_rule_goals(rules, goal_index)
    mapped: list[Mapped] = []
    for activity in normalized.activities:
        candidates = by_channel[activity.channel]
        if candidates:
            text = activity.activity.casefold()
            matching = [rule for rule, keyword in candidates if keyword is None or keyword in text]
        else:
            matching = []
        goal_id, goal_source = _goal(activity, goal_index, matching, sheet, goal_column, findings)
        principle, principle_source = _principle(activity, matching, sheet, principle_column, findings)
        mapped.append(Mapped(activity, goal_id, goal_source, principle, principle_source))
    return mapped, findings


class _GoalIndex(dict[str, str | None]):
    """Goal cell text → goal id, by id or name in any case and spacing; remembers what it looked up."""

    def __init__(self, by_key: dict[str, str]) -> None:
        super().__init__()
        self.by_key = by_key

    def __missing__(self, text: str) -> str | None:
        found = self[text] = self.by_key.get(vocab.key(text))
        return found


def _goal_index(goals: list[Goal]) -> _GoalIndex:
    index: dict[str, str] = {}
    for goal in goals:
        index.setdefault(vocab.key(goal.name), goal.id)
    for goal in goals:
        index[vocab.key(goal.id)] = goal.id  # an id beats a name that happens to look like it
    return _GoalIndex(index)


def _undefined_rule_goals(rules: list[Rule], goal_index: _GoalIndex) -> list[Finding]:
    """One warning per rule whose goal is not defined, at the rule's goal cell (a config rule has no cell:
    the finding names the rule), however many rows the rule matches."""
    findings = []
    for rule in rules:
        if rule.goal is None or goal_index[rule.goal] is not None:
            continue
        if rule.source.kind == "config_rule":
            params = {"rule": rule.source.detail, "goal": rule.goal}
            findings.append(Finding("config_rule_goal_undefined", Severity.WARNING, None, params))
        else:
            ref = rule.source.goal_cell
            findings.append(Finding("rule_goal_undefined", Severity.WARNING, ref, {"goal": rule.goal}))
    return findings


def _goal(
    activity: Activity,
    goal_index: _GoalIndex,
    matching: list[Rule],
    sheet: str,
    column: int | None,
    findings: list[Finding],
) -> tuple[str | None, Source]:
    if activity.goal_text:
        assert column is not None
        ref = CellRef.at(sheet, activity.row, column)
        goal_id = goal_index[activity.goal_text]
        if goal_id is None:
            findings.append(Finding("goal_undefined", Severity.WARNING, ref, {"goal": activity.goal_text}))
            return None, Source("undefined_goal", str(ref))
        return goal_id, Source("cell", str(ref))
    for rule in matching:
        if rule.goal:
            goal_id = goal_index[rule.goal]
            if goal_id is None:
                return None, Source("undefined_goal", rule.source.detail)
            return goal_id, rule.source
    return None, NO_GOAL_SOURCE


def _principle(
    activity: Activity,
    matching: list[Rule],
    sheet: str,
    column: int | None,
    findings: list[Finding],
) -> tuple[Principle, Source]:
    if activity.principle_text:
        assert column is not None
        ref = CellRef.at(sheet, activity.row, column)
        principle = vocab.PRINCIPLE_WORDS.get(vocab.key(activity.principle_text))
        if principle is not None:
            return principle, Source("cell", str(ref))
        findings.append(Finding("bad_principle", Severity.WARNING, ref, {"value": activity.principle_text}))
    for rule in matching:
        if rule.principle:
            return rule.principle, rule.source
    if activity.initiative and activity.stage:
        return Principle.LAYERED, INITIATIVE_SOURCE
    return FACTS[activity.channel].principle, CHANNEL_SOURCES[activity.channel]
