"""Books for the claim oracle: the samples as make_samples.py meant them, and workbooks Hypothesis makes.

Rows are typed here, by the test that writes them, and never by reportgen; `tests/claim_oracle.py` checks a
review's claims against them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
from hypothesis import strategies as st

from tests import oracle as sample_oracle
from tests.claim_oracle import Book, GoalDef, Row

METRICS = sample_oracle.METRICS
SAMPLE_AS_OF = dt.date(2026, 11, 3)
SAMPLE_MONTHS = ("2026-08", "2026-09", "2026-10")
SAMPLES = {"en": ("northwind-en.xlsx", "Activities"), "zh": ("xinghe-zh.xlsx", "活动")}


def sample_book(lang: str, as_of: dt.date = SAMPLE_AS_OF, months: Sequence[str] | None = None) -> Book:
    """A sample workbook's rows as make_samples.py meant them (its goals resolved by the sample oracle)."""
    samples = sample_oracle.samples
    rows = []
    for sample in samples.sample_rows(lang):
        if sample.skipped or sample.date is None:
            continue
        if months is not None and f"{sample.date:%Y-%m}" not in months:
            continue
        mapped = sample_oracle.map_row(lang, sample)
        rows.append(
            Row(
                row=sample.excel_row,
                date=sample.date,
                channel=sample.channel,
                activity=sample.activity,
                owner=sample.owner,
                goal=mapped["goal"],
                status=sample.status,
                due=sample.value("due"),
                done_on=sample.value("done_on"),
                cost=sample.value("cost"),
                metrics={name: sample.value(name) for name in METRICS},
                decision=sample.decision,
                initiative=sample.initiative,
                stage=sample.stage,
                unreadable=frozenset(sample.unreadable),
            )
        )
    goals: dict[str, GoalDef] = {}
    for goal in samples.sample_goals(lang):
        known = goals.get(goal.id)
        targets = dict(known.targets) if known else {}
        if goal.target is not None:
            targets[goal.month or ""] = goal.target
        name = known.name if known and goal.month else goal.name
        metric = known.metric if known and goal.month else goal.metric
        goals[goal.id] = GoalDef(goal.id, name, metric, targets)
    return Book(
        sheet=SAMPLES[lang][1],
        activity_column=samples.COLUMN_LETTER["activity"],
        rows=rows,
        goals=list(goals.values()),
        as_of=as_of,
    )


# --- generated workbooks

HEADERS = [
    "Date", "Channel", "Activity", "Owner", "Goal", "Status", "Due", "Done on", "Cost", "Leads",
    "Signups", "Decision", "Initiative", "Stage",
]  # fmt: skip
CHANNEL_WORDS = {
    "seo": "SEO", "sem": "SEM", "content": "Content", "event": "Event", "community": "Community",
    "user_ops": "User ops", "partnership": "Partnership",
}  # fmt: skip
STATUS_WORDS = {
    "done": "Done", "in_progress": "In progress", "planned": "Planned", "delayed": "Delayed",
    "cancelled": "Cancelled",
}  # fmt: skip
STAGE_WORDS = ("Plan", "Business review", "Product fit", "Tech integration", "Decision-maker sign-off")
GOALS = (
    GoalDef("G1", "Organic leads", "leads", {"": Decimal(20)}),
    GoalDef("G2", "Sign-ups", "signups", {"": Decimal(8)}),
)
MONTHS = ("2026-07", "2026-08", "2026-09", "2026-10", "2026-11")
FIRST_ROW = 2  # under the header


def _day(month: str, day: int) -> dt.date:
    return dt.date(int(month[:4]), int(month[5:]), day)


@st.composite
def raw_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Activity rows across five months in sheet order (by date), as a team might write them."""
    count = draw(st.integers(min_value=1, max_value=28))
    rows: list[dict[str, Any]] = []
    for _ in range(count):
        month = draw(st.sampled_from(MONTHS))
        date = _day(month, draw(st.integers(min_value=1, max_value=28)))
        status = draw(st.sampled_from(tuple(STATUS_WORDS)))
        due_in = draw(st.none() | st.integers(min_value=-5, max_value=20))
        due = None if due_in is None else date + dt.timedelta(days=due_in)
        done_in = draw(st.none() | st.integers(min_value=0, max_value=25)) if status == "done" else None
        done_on = None if done_in is None else date + dt.timedelta(days=done_in)
        initiative = draw(st.none() | st.sampled_from(("Alpha partnership", "Beta reseller")))
        rows.append(
            {
                "date": date,
                "channel": draw(st.sampled_from(tuple(CHANNEL_WORDS))),
                # one person may be written several ways: "ann", "Ann  Lee" and "Ann Lee" are one each
                "owner": draw(
                    st.none() | st.sampled_from(("Ann", "Bo", "Cy", "ann", "BO", "Ann Lee", "Ann  Lee"))
                ),
                "goal": draw(st.none() | st.sampled_from(("G1", "G2"))),
                "status": status,
                "due": due,
                "done_on": done_on,
                "cost": draw(st.none() | st.decimals(min_value=0, max_value=5000, places=2)),
                "leads": draw(st.none() | st.integers(min_value=0, max_value=12)),
                "signups": draw(st.none() | st.integers(min_value=0, max_value=6)),
                "decision": draw(st.none() | st.just("Chose to move it")),
                "initiative": initiative,
                "stage": draw(st.sampled_from(STAGE_WORDS)) if initiative else None,
            }
        )
    rows.sort(key=lambda row: row["date"])
    for number, row in enumerate(rows, start=1):
        row["activity"] = f"Activity {number}"  # its name stays when a trimmed copy numbers rows anew
    return rows


def write_generated(folder: Path, rows: Sequence[dict[str, Any]], name: str = "generated.xlsx") -> Path:
    """The rows as an .xlsx under HEADERS, with a Goals sheet; written by openpyxl, read by reportgen."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Activities"
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(
            [
                row["date"],
                CHANNEL_WORDS[row["channel"]],
                row["activity"],
                row["owner"],
                row["goal"],
                STATUS_WORDS[row["status"]],
                row["due"],
                row["done_on"],
                row["cost"],
                row["leads"],
                row["signups"],
                row["decision"],
                row["initiative"],
                row["stage"],
            ]
        )
    goals = book.create_sheet("Goals")
    goals.append(["ID", "Name", "Metric", "Target"])
    for goal in GOALS:
        goals.append([goal.id, goal.name, goal.metric, int(goal.targets[""])])
    path = folder / name
    book.save(path)
    return path


def generated_book(rows: Sequence[dict[str, Any]], as_of: dt.date) -> Book:
    return Book(
        sheet="Activities",
        activity_column="C",
        rows=[
            Row(
                row=FIRST_ROW + number,
                date=row["date"],
                channel=row["channel"],
                activity=row["activity"],
                owner=row["owner"],
                goal=row["goal"],
                status=row["status"],
                due=row["due"],
                done_on=row["done_on"],
                cost=row["cost"],
                metrics={
                    "leads": None if row["leads"] is None else Decimal(row["leads"]),
                    "signups": None if row["signups"] is None else Decimal(row["signups"]),
                },
                decision=row["decision"],
                initiative=row["initiative"],
                stage=row["stage"],
            )
            for number, row in enumerate(rows)
        ],
        goals=list(GOALS),
        as_of=as_of,
    )
