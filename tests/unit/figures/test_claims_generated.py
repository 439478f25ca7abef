"""The claims of reviews of generated workbooks hold against the rows that were written: Hypothesis writes
workbooks (statuses, dates before and after the month, missing results, owners, goals, initiatives and their
stages), reportgen reviews a month of each, and tests/claim_oracle.py checks every claim from the raw rows.
CI runs 300 with a fixed seed; `make test-deep` runs 5,000."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from reportgen.base.config import Config
from reportgen.pipeline.archiving import archived_rows
from reportgen.pipeline.build import build_review, check_workbook
from reportgen.wording.documents import figures_document
from tests.claim_books import MONTHS, generated_book, raw_rows, write_generated
from tests.claim_oracle import check_claims, claims_by_activity


@given(rows=raw_rows(), month=st.sampled_from(MONTHS[1:4]), as_of_day=st.integers(min_value=1, max_value=40))
def test_generated_claims_hold(rows: list[dict[str, Any]], month: str, as_of_day: int) -> None:
    months = {f"{row['date']:%Y-%m}" for row in rows}
    month = month if month in months else min(months)
    as_of = dt.date(int(month[:4]), int(month[5:]), 1) + dt.timedelta(days=as_of_day)
    with tempfile.TemporaryDirectory() as folder:
        workbook = write_generated(Path(folder), rows)
        checked = check_workbook(workbook, Config(), as_of)
        review = build_review(checked, month, as_of, "en", Config())
        document = figures_document(review)
    assert check_claims(document, generated_book(rows, as_of)) == []


MONTH_KEYS = ("month", "totals", "completion_rate", "on_time_rate", "goal_coverage", "goal_cost_coverage",
              "goals", "principles", "channels", "owners", "previous")  # fmt: skip


@settings(max_examples=100)
@given(rows=raw_rows(), as_of_day=st.integers(min_value=1, max_value=40), stray=st.booleans())
def test_a_trimmed_workbook_with_the_archive_behind_it_says_the_same(
    rows: list[dict[str, Any]], as_of_day: int, stray: bool
) -> None:
    """The earlier months' reviews are in the archive (their figures documents, as a build records them);
    the workbook keeps only the month and what follows, and perhaps one stray row of an earlier month (a log
    trimmed carelessly). Its review has the same figures and claims, and every claim holds against the
    rows, the archived ones cited with their month."""
    months = sorted({f"{row['date']:%Y-%m}" for row in rows})
    assume(len(months) >= 2)
    month = months[-1] if len(months) == 2 else months[-2]
    as_of = dt.date(int(month[:4]), int(month[5:]), 1) + dt.timedelta(days=as_of_day)
    earlier_ones = [row for row in rows if f"{row['date']:%Y-%m}" < month]
    left = earlier_ones[-1:] if stray else []  # the last earlier row stays in the trimmed workbook
    kept = [*left, *(row for row in rows if f"{row['date']:%Y-%m}" >= month)]
    with tempfile.TemporaryDirectory() as folder:
        full_checked = check_workbook(write_generated(Path(folder), rows, "full.xlsx"), Config(), as_of)
        whole = figures_document(build_review(full_checked, month, as_of, "en", Config()))
        archived = {
            earlier: figures_document(build_review(full_checked, earlier, as_of, "en", Config()))[
                "activities"
            ]
            for earlier in months
            if earlier < month
        }
        trimmed_checked = check_workbook(write_generated(Path(folder), kept, "trimmed.xlsx"), Config(), as_of)
        earlier_rows = archived_rows(archived)
        cut = figures_document(build_review(trimmed_checked, month, as_of, "en", Config(), earlier_rows))
    assert {key: cut[key] for key in MONTH_KEYS} == {key: whole[key] for key in MONTH_KEYS}
    if left:  # the stray row is cited by its cell in the trimmed workbook: compare what the claims say
        assert [(c["code"], c["numbers"]) for c in cut["claims"] if c["code"] != "quality"] == [
            (c["code"], c["numbers"]) for c in whole["claims"] if c["code"] != "quality"
        ]
    else:
        assert claims_by_activity(cut) == claims_by_activity(whole)
    full_book = generated_book(rows, as_of)
    trimmed_book = generated_book(kept, as_of)
    stray_names = {row["activity"] for row in left}
    book = dataclasses.replace(
        trimmed_book,
        rows=[
            dataclasses.replace(row, archived=True)
            for row in full_book.rows
            if row.month < month and row.activity not in stray_names
        ]
        + trimmed_book.rows,
    )
    assert check_claims(cut, book) == []


def _written(date: dt.date, status: str, number: int) -> dict[str, Any]:
    """One row of a hand-written generated workbook (the columns `raw_rows` draws)."""
    return {
        "date": date, "channel": "sem", "owner": "Ann", "goal": "G1", "status": status, "due": None,
        "done_on": None, "cost": None, "leads": None, "signups": None, "decision": None, "initiative": None,
        "stage": None, "activity": f"Activity {number}",
    }  # fmt: skip


def _review_holds(rows: list[dict[str, Any]], month: str, as_of: dt.date) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        checked = check_workbook(write_generated(Path(folder), rows), Config(), as_of)
        document = figures_document(build_review(checked, month, as_of, "en", Config()))
    assert check_claims(document, generated_book(rows, as_of)) == []
    return document


def test_a_completion_change_under_a_point_is_no_fall() -> None:
    """September 1 of 2 done (50%), October 99 of 199 (49.7%, −0.3 pp): the card shows it flat, and the
    takeaways said 'Completion fell from 50% to 50%'."""
    days = [dt.date(2026, 9, 3), dt.date(2026, 9, 4)] + [dt.date(2026, 10, 1 + n % 28) for n in range(199)]
    statuses = ["done", "planned"] + ["done" if n < 99 else "planned" for n in range(199)]
    rows = [_written(day, status, n) for n, (day, status) in enumerate(zip(days, statuses, strict=True), 1)]
    document = _review_holds(rows, "2026-10", dt.date(2026, 11, 3))
    assert not [claim for claim in document["claims"] if claim["code"].startswith("takeaway.completion_")]


def test_a_layer_done_since_is_not_stuck() -> None:
    """Xco's Business was in progress on Sep 1 and done on Oct 10 (Product planned); Yco's Tech has been in
    progress since Aug 20 but its decision-maker signed on Oct 5. The October review said both were stuck
    (60 and 72 days); neither is, and a real stall (Zco, at work on Business since Sep 10) still is."""
    stages = [
        (dt.date(2026, 9, 1), "in_progress", "Xco", "Business review"),
        (dt.date(2026, 10, 10), "done", "Xco", "Business review"),
        (dt.date(2026, 10, 12), "planned", "Xco", "Product fit"),
        (dt.date(2026, 8, 20), "in_progress", "Yco", "Tech integration"),
        (dt.date(2026, 10, 5), "done", "Yco", "Decision-maker sign-off"),
        (dt.date(2026, 7, 1), "done", "Zco", "Plan"),
        (dt.date(2026, 7, 20), "planned", "Zco", "Business review"),
        (dt.date(2026, 9, 10), "in_progress", "Zco", "Business review"),
        (dt.date(2026, 10, 15), "delayed", "Zco", "Business review"),
    ]
    rows = [
        {**_written(day, status, number), "initiative": name, "stage": stage}
        for number, (day, status, name, stage) in enumerate(sorted(stages), start=1)
    ]
    document = _review_holds(rows, "2026-10", dt.date(2026, 11, 3))
    stalls = [claim for claim in document["claims"] if claim["code"] == "overlooked.stalled"]
    assert [(claim["numbers"]["initiative"], claim["numbers"]["days"]) for claim in stalls] == [("Zco", 51)]


def test_a_channels_result_metric_is_the_trailing_months_not_the_months() -> None:
    """Content's September piece brought 4 leads, October's only 3 sign-ups so far. The result metric is the
    first the channel's rows of the trailing months have (leads), as section 3 charts it: taken from October's
    rows alone it would be sign-ups, and September's piece, which paid back, would be 'still maturing'."""
    rows = [
        {**_written(dt.date(2026, 9, 5), "done", 1), "channel": "content", "leads": 4},
        {**_written(dt.date(2026, 10, 5), "done", 2), "channel": "content", "signups": 3},
    ]
    document = _review_holds(rows, "2026-10", dt.date(2026, 11, 3))
    (maturing,) = [claim for claim in document["claims"] if claim["code"] == "overlooked.maturing"]
    assert maturing["numbers"]["metric"] == "leads" and maturing["cells"] == ["Activities!C3"]
