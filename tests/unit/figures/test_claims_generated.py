"""The claims of reviews of generated workbooks hold against the rows that were written: Hypothesis writes
workbooks (statuses, dates before and after the month, missing results, owners, goals, initiatives and their
stages), reportgen reviews a month of each, and tests/claim_oracle.py checks every claim from the raw rows.
CI runs 300 with a fixed seed; `make test-deep` runs 5,000."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from reportgen.base.config import Config
from reportgen.pipeline.build import build_review, check_workbook
from reportgen.wording.documents import figures_document
from tests.claim_books import MONTHS, generated_book, raw_rows, write_generated
from tests.claim_oracle import check_claims


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
