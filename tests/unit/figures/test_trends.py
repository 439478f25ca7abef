"""Twelve months of headline KPIs: the workbook's months, the archive's where the workbook has none, and the
past months on which the two disagree (the workbook wins)."""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import given, settings

from reportgen.base.config import Config
from reportgen.figures.kpis import MonthKpis, month_kpis, rows_kpis
from reportgen.figures.metrics import month_figures, rows_by_month
from reportgen.figures.trends import KpiPoint, KpiTrends, headline_result, kpi_trends
from reportgen.pipeline.build import check_workbook
from tests.builders import make_workbook
from tests.claim_books import raw_rows, write_generated

AS_OF = dt.date(2026, 11, 3)


def row(day: dt.date, status: str, cost: int, leads: int) -> list[object]:
    return [day, "SEO", f"Page {day}", "Ann", "", status, None, None, cost, leads]


def test_the_workbook_wins_and_only_the_archive_fills_the_months_it_lacks(tmp_path: Path) -> None:
    rows = [row(dt.date(2026, 9, 3), "Done", 10, 4), row(dt.date(2026, 10, 2), "Done", 20, 6),
            row(dt.date(2026, 10, 9), "Planned", 5, 0)]  # fmt: skip
    checked = check_workbook(make_workbook(tmp_path, rows), Config(), AS_OF)
    by_month = rows_by_month(checked.rows)
    september = month_kpis(month_figures(by_month["2026-09"], [], "2026-09"))
    archived = {
        "2026-07": MonthKpis("2026-07", 3, 0.5, None, 0.0, Decimal("7.5"), {"leads": Decimal(2)}),
        "2026-09": MonthKpis.from_dict({**september.as_dict(), "cost": "12"}),  # reported as 12, now 10
        "2026-10": MonthKpis("2026-10", 1, 1.0, None, 0.0, Decimal(1), {"leads": Decimal(1)}),  # a revision
    }
    trends = kpi_trends("2026-10", by_month, archived, "leads")
    assert trends.months[0] == "2025-11" and trends.months[-1] == "2026-10" and len(trends.months) == 12
    assert trends.values("cost")[-4:] == [7.5, None, 10.0, 25.0]
    assert trends.values("leads")[-4:] == [2.0, None, 4.0, 6.0]
    assert trends.values("completion_rate")[-1] == 0.5  # 1 done of 2 (none cancelled)
    assert [point.source for point in trends.series["activities"][-4:]] == ["archive", "none", "workbook",
                                                                            "workbook"]  # fmt: skip
    assert trends.from_archive == ("2026-07",)
    assert [(d.month, d.kpis) for d in trends.disagreements] == [("2026-09", ("cost",))]


@settings(max_examples=40)
@given(rows=raw_rows())
def test_a_months_headline_figures_from_its_rows_are_those_of_its_whole_figures(
    rows: list[dict[str, Any]],
) -> None:
    """The trends read eleven months by `rows_kpis`, the reviewed month by `month_kpis(month_figures(…))`:
    the two agree exactly on every month of generated workbooks (goals, cancelled, late and undated rows)."""
    with tempfile.TemporaryDirectory() as folder:
        checked = check_workbook(write_generated(Path(folder), rows), Config(), AS_OF)
    for month, month_rows in rows_by_month(checked.rows).items():
        assert rows_kpis(month_rows, month) == month_kpis(month_figures(month_rows, checked.goals, month))


def test_kpis_survive_the_archive_round_trip_exactly() -> None:
    kpis = MonthKpis("2026-10", 7, 0.75, None, 1 / 3, Decimal("1234.56"), {"leads": Decimal("12.5")})
    assert MonthKpis.from_dict(kpis.as_dict()) == kpis


def test_the_cards_lead_with_the_first_result_the_month_has(tmp_path: Path) -> None:
    headers = ["Date", "Channel", "Activity", "Status", "Visits", "Signups"]
    checked = check_workbook(
        make_workbook(tmp_path, [[dt.date(2026, 10, 1), "SEO", "A", "Done", 30, 0]], headers), Config(), AS_OF
    )
    assert headline_result(month_figures(checked.rows, [], "2026-10")) == "visits"


def test_the_lines_start_at_the_first_month_known_and_need_two_months() -> None:
    months = ("2026-08", "2026-09", "2026-10")

    def series(*values: float | None) -> tuple[KpiPoint, ...]:
        return tuple(
            KpiPoint(m, v, "none" if v is None else "workbook") for m, v in zip(months, values, strict=True)
        )

    trends = KpiTrends(months, {"cost": series(None, 5.0, 7.0), "activities": series(None, None, 3.0)}, ())
    assert trends.first_known == 1 and trends.charted == ("cost",)
    assert trends.latest("cost") == KpiPoint("2026-10", 7.0, "workbook")
    empty = KpiTrends(months, {"cost": series(None, None, None)}, ())
    assert empty.first_known == 0 and empty.charted == () and empty.latest("cost") is None
