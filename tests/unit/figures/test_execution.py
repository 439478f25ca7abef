"""Section 2's figures as the claims have them: the misses in the order the page lists them and the slips,
from a real workbook (the sentences: tests/e2e/test_claims.py, against the claim oracle)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from reportgen.base.config import Config
from reportgen.figures import claims
from reportgen.pipeline.build import build_review, check_workbook
from tests.builders import EN_HEADERS, make_workbook

AS_OF = dt.date(2026, 11, 3)
D = dt.date


def test_the_misses_with_no_decision_come_first_and_the_worst_slip_is_the_longest(tmp_path: Path) -> None:
    headers = [*EN_HEADERS, "Decision"]
    rows = [
        [D(2026, 10, 1), "SEO", "Page", "Ann", "", "Done", D(2026, 10, 5), D(2026, 10, 8), 1, 0, None],
        [D(2026, 10, 2), "SEO", "Moved", "Ann", "", "Cancelled", None, None, 1, 0, "budget to Q4"],
        [D(2026, 10, 3), "SEO", "Stuck", "Bo", "", "Delayed", None, None, 1, 0, None],
        [D(2026, 10, 4), "SEO", "Late", "Bo", "", "Done", D(2026, 10, 5), D(2026, 10, 15), 1, 0, None],
        [D(2026, 10, 5), "SEO", "Dropped", "Bo", "", "Cancelled", None, None, 1, 0, None],
    ]
    checked = check_workbook(make_workbook(tmp_path, rows, headers), Config(), AS_OF)
    run = claims.execution(build_review(checked, "2026-10", AS_OF, "en", Config()))
    assert [row.activity.activity for row in run.misses] == ["Stuck", "Dropped", "Moved"]
    assert run.slips == (3, 10) and run.worst_slip == 10 and run.average_slip == 6.5
    assert (run.on_time, run.dated) == (0, 2)


def test_a_cited_cell_of_an_archived_row_names_the_month_that_kept_it() -> None:
    assert claims.cited_place("Activities!C91@2026-09") == ("Activities!C91", "2026-09")
    assert claims.cited_place("Activities!C7") == ("Activities!C7", "")
