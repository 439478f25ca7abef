"""The JSON documents: `build --json` (docs/metrics.md: rates as fractions, money rounded to 2 decimals) and
`check --json` (the findings). The figures document also travels inside the PDF, where `send` reads it
back, and the archive keeps it (a revision is compared with it: changes.py).

The few sentences a document carries (a finding's, what decided a row's mapping) are the wording layer's: it
hands them in as `Texts`, and wording/documents.py makes the documents in the review's language."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from reportgen import __version__
from reportgen.base.model import METRICS, Finding, Mapped, Number, Source, column_letter
from reportgen.base.vocab import MONEY_METRICS
from reportgen.figures.claims import Claim, review_claims
from reportgen.figures.metrics import GoalFigures, GroupFigures, MonthFigures, Totals
from reportgen.figures.overlooked import Money, Points, Rate
from reportgen.figures.review import Checked, Review, severity_counts

FIGURES_ATTACHMENT = "reportgen-figures.json"  # the figures `build` embeds in the PDF; `send` reads them back
SCHEMA_VERSION = 1
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Texts:
    """The sentences a document carries, in its language (wording/documents.py gives them)."""

    finding: Callable[[Finding], str]  # a finding's sentence
    source: Callable[[Source], str]  # what decided a row's goal or principle


def money(value: Decimal | int) -> int | float:
    """Money as a JSON number rounded to 2 decimals."""
    rounded = Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    return int(rounded) if rounded == rounded.to_integral_value() else float(rounded)


def number(value: Decimal | None) -> int | float | None:
    """A metric as a JSON int when integral, else a float."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def metric_value(name: str, value: Decimal | None) -> int | float | None:
    """A metric's value: rounded like money for money metrics (revenue), else as `number`."""
    if value is not None and name in MONEY_METRICS:
        return money(value)
    return number(value)


def finding_json(finding: Finding, texts: Texts) -> dict[str, Any]:
    return {
        "sheet": finding.sheet_name,
        "cell": finding.ref.cell if finding.ref else None,
        "severity": finding.severity.value,
        "code": finding.code,
        "message": texts.finding(finding),
    }


def _totals(totals: Totals) -> dict[str, Any]:
    return {
        "activities": totals.activities,
        "done": totals.done,
        "cancelled": totals.cancelled,
        "in_progress": totals.in_progress,
        "planned": totals.planned,
        "delayed": totals.delayed,
        "cost": money(totals.cost),
        **{name: metric_value(name, totals.metrics[name]) for name in METRICS},
    }


def _group(group: GroupFigures, with_metrics: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"activities": group.activities, "done": group.done, "cost": money(group.cost)}
    if with_metrics:
        data.update({name: metric_value(name, group.metrics[name]) for name in METRICS})
    return data


def _goal(goal: GoalFigures) -> dict[str, Any]:
    return {
        "id": goal.id,
        "name": goal.name,
        "metric": goal.metric or None,
        "target": metric_value(goal.metric, goal.target),
        "actual": metric_value(goal.metric, goal.actual),
        "attainment": goal.attainment,
        "owner": goal.owner,
        "activities": goal.activities,
        "cost": money(goal.cost),
        "channels": {channel.value: count for channel, count in goal.channels.items()},
    }


def month_json(figures: MonthFigures) -> dict[str, Any]:
    return {
        "month": figures.month,
        "totals": _totals(figures.totals),
        "completion_rate": figures.completion_rate,
        "on_time_rate": figures.on_time_rate,
        "goal_coverage": figures.goal_coverage,
        "goal_cost_coverage": figures.goal_cost_coverage,
        "goals": [_goal(goal) for goal in figures.goals],
        "principles": {key.value: _group(group, False) for key, group in figures.principles.items()},
        "channels": {key.value: _group(group, True) for key, group in figures.channels.items()},
        "owners": [{"owner": owner, **_group(group, False)} for owner, group in figures.owners.items()],
    }


def _exact(value: Number | None) -> int | float | None:
    """A row's number as written: an int, or a float that reads back as the same Decimal."""
    return value if value is None or isinstance(value, int) else number(value)


def _source(source: Source) -> dict[str, Any]:
    return {"kind": source.kind, "detail": source.detail, "number": source.number}


def _activity(row: Mapped, sheet: str, date_column: str, texts: Texts) -> dict[str, Any]:
    """One row of the month, with all a later build needs to rebuild it from the archive once the workbook
    no longer has it: its numbers as written (not rounded), dates, stage, and what decided its mapping."""
    activity = row.activity
    return {
        "sheet": sheet,
        "row": activity.row,
        "cell": f"{date_column}{activity.row}",
        "date": activity.date.isoformat(),
        "channel": activity.channel.value,
        "activity": activity.activity,
        "owner": activity.owner,
        "status": activity.status.value,
        "cost": money(activity.cost) if activity.cost is not None else None,
        "goal": row.goal_id,
        "goal_decided_by": texts.source(row.goal_decided_by),
        "principle": row.principle.value,
        "principle_decided_by": texts.source(row.principle_decided_by),
        "due": activity.due.isoformat() if activity.due is not None else None,
        "done_on": activity.done_on.isoformat() if activity.done_on is not None else None,
        "metrics": {name: _exact(value) for name, value in activity.metrics.items()},
        "initiative": activity.initiative,
        "stage": activity.stage,
        "decision": activity.decision,
        "lesson": activity.lesson,
        "goal_text": activity.goal_text,
        "principle_text": activity.principle_text,
        "channel_text": activity.channel_text,
        "cost_unrounded": _exact(activity.cost),
        "goal_source": _source(row.goal_decided_by),
        "principle_source": _source(row.principle_decided_by),
        "unreadable": sorted(activity.unreadable),
    }


def findings_document(checked: Checked, lang: str, texts: Texts) -> dict[str, Any]:
    """What `check --json` prints: the findings with their cells and counts by severity, `texts` in `lang`."""
    return {
        "schema_version": SCHEMA_VERSION,
        "reportgen_version": __version__,
        "workbook": checked.workbook.name,
        "sheet": checked.sheet,
        "lang": lang,
        "activities": len(checked.rows),
        "counts": severity_counts(checked.findings).as_dict(),
        "findings": [finding_json(finding, texts) for finding in checked.findings],
    }


def figures_document(review: Review, texts: Texts) -> dict[str, Any]:
    """The whole `build --json` document; `previous` has the month's shape or is null; `texts` in the
    review's language."""
    checked = review.checked
    date_column = column_letter(checked.columns["date"])
    return {
        "schema_version": SCHEMA_VERSION,
        "reportgen_version": __version__,
        "workbook": checked.workbook.name,
        "team": checked.team,
        "as_of": review.as_of.isoformat(),
        "lang": review.lang,
        "currency": checked.currency,
        **month_json(review.current),
        "previous": month_json(review.previous) if review.previous else None,
        "activities": [_activity(row, checked.sheet, date_column, texts) for row in review.rows],
        "findings": [finding_json(finding, texts) for finding in review.findings],
        "findings_elsewhere": review.findings_elsewhere,
        "claims": [claim_json(claim) for claim in review_claims(review)],
    }


def claim_value(value: Any) -> Any:
    """A claim's value as JSON: money rounded to cents, rates and points as numbers (fractions and points),
    a channel by its code."""
    if isinstance(value, Money):
        return money(value.value)
    if isinstance(value, Rate | Points):
        return value.value
    if isinstance(value, Decimal):
        return number(value)
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [claim_value(item) for item in value]
    return value


def claim_json(claim: Claim) -> dict[str, Any]:
    return {
        "code": claim.code,
        "cells": list(claim.cells),
        "numbers": {key: claim_value(value) for key, value in claim.values.items()},
    }


def dumps(document: dict[str, Any], pretty: bool = False) -> bytes:
    """UTF-8 JSON; compact by default (indenting forces Python's slow encoder, 4x on a 100,000-row sheet)."""
    if pretty:
        return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return (json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
