"""The review's finishing touches: the attached table cites each row's real date cell, one table or chart
writes every percentage with the same decimals, no change reads as a signed zero, a count of one reads
singular, sparklines carry their scale and say which months they cover, and a cut list says where in the
PDF the rest is."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from reportgen.base.catalogue import catalogue
from reportgen.base.config import Config
from reportgen.base.model import Principle
from reportgen.figures.kpis import kpi_delta, named
from reportgen.figures.review import Review
from reportgen.pipeline.archiving import with_trends
from reportgen.pipeline.build import build_review, check_workbook
from reportgen.rendering import charts
from reportgen.rendering.context import build_context
from reportgen.rendering.context.common import more, section_trends
from reportgen.rendering.context.cover import delta_text
from reportgen.rendering.render import chart_alts
from reportgen.rendering.spreadsheet import activities_workbook
from reportgen.wording.format import Formatter
from tests.builders import OCTOBER_ROWS, make_workbook

ROOT = Path(__file__).resolve().parents[3]
AS_OF = dt.date(2026, 11, 3)
PERCENT = re.compile(r"(\d[\d,]*(?:\.(\d+))?)%")


def sample_review(lang: str = "en", month: str = "2026-10") -> Review:
    checked = check_workbook(ROOT / "samples" / "northwind-en.xlsx", Config(), AS_OF)
    return with_trends(build_review(checked, month, AS_OF, lang), {})  # the workbook's months only


def decimals(texts: list[str]) -> set[int]:
    """How many decimals each percentage in `texts` has."""
    return {len(match.group(2) or "") for text in texts for match in PERCENT.finditer(text)}


# 1 ------------------------------------------------------------------------------------------------------


def test_attached_table_cites_the_date_column_of_the_sheet(tmp_path: Path) -> None:
    """Date in column B (Channel first): the table's Cell column says B7, as appendix A and the JSON do."""
    headers = ["Channel", "Date", "Activity", "Owner", "Goal", "Status", "Due", "Done on", "Cost", "Leads"]
    rows = [[row[1], row[0], *row[2:]] for row in OCTOBER_ROWS]
    checked = check_workbook(make_workbook(tmp_path, rows, headers), Config(), AS_OF)
    review = build_review(checked, "2026-10", AS_OF, "en")
    assert checked.columns["date"] == 1
    data = activities_workbook(review.rows, checked.sheet, "en", AS_OF, date_column=checked.columns["date"])
    table = openpyxl.load_workbook(io.BytesIO(data)).active
    assert table is not None
    cells = [row[0] for row in table.iter_rows(min_row=2, values_only=True)]
    assert cells == [f"{checked.sheet}!B{row.activity.row}" for row in review.rows]
    appendix = build_context(review, None).appendix.activities
    assert [row.cell for row in appendix] == cells  # as appendix A cites them


# 2 ------------------------------------------------------------------------------------------------------


def test_one_table_writes_every_percentage_with_the_same_decimals() -> None:
    en = Formatter("en", "$")
    written = en.percents([1.51, 0.941, 0.77, None])
    assert [written(value) for value in (1.51, 0.941, 0.77, None)] == ["151.0%", "94.1%", "77.0%", "—"]
    whole = en.percents([1.51, 1.2, 0.77])
    assert [whole(value) for value in (1.51, 1.2, 0.77)] == ["151%", "120%", "77%"]
    assert Formatter("zh", "¥").percents([0.5, 0.075])(0.5) == "50.0%"


@pytest.mark.parametrize("month", ["2026-08", "2026-09", "2026-10"])
def test_goal_table_goal_chart_and_channel_mix_each_keep_one_precision(month: str) -> None:
    review = sample_review(month=month)
    table = [goal.attainment for goal in build_context(review, None).connection.goals]
    assert len(decimals(table)) == 1, table
    alts = chart_alts(review)
    # the goal chart says what the table says, with the same decimals
    assert decimals([alts["goal_attainment"]]) == decimals(table)
    for text in table:
        if text != "—":
            assert text in alts["goal_attainment"]
    assert len(decimals([alts["channel_mix"]])) == 1, alts["channel_mix"]


def test_the_sparkline_and_its_caption_write_rates_alike() -> None:
    review = sample_review()
    fmt = Formatter("en", "$")
    trends = review.kpi_trends
    assert trends is not None
    values = [value for value in trends.values("completion_rate") if value is not None]
    (line, *_) = section_trends(Principle.EXECUTION, review, fmt)
    # each figure as its card writes it: the latest 62%, not the 61.9% another month's 91.4% once asked for
    assert f"latest {fmt.percent(values[-1])} in" in line.caption


# 3 ------------------------------------------------------------------------------------------------------


def test_a_change_too_small_to_round_is_never_a_signed_zero() -> None:
    en = Formatter("en", "$")
    cost = named("cost")
    change = kpi_delta(cost, Decimal("74414.80"), Decimal("74443.00"))
    delta = delta_text(cost, change, en)
    assert (delta, change.direction) == ("−$28.20 (−0.04%)", "down")
    assert not re.search(r"[−+-]0(\.0+)?%", delta)
    assert en.percent(0.0004) == "0.04%" and en.percent(1e-9) == "<0.001%" and en.percent(0) == "0%"
    assert en.points(-0.02) == "−0.02 pp" and en.points(0.001) == "±0 pp"


# 4 ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "params", "one", "two"),
    [
        (
            "overlooked.miss_no_decision",
            {},
            "1 delayed or cancelled activity has no decision recorded behind it",
            "2 delayed or cancelled activities have no decision recorded behind them",
        ),
        ("overlooked.no_goal", {"cost": 5, "share": 0.5}, "1 activity is tied", "2 activities are tied"),
        ("overlooked.goal_unserved", {"goals": "G1"}, "1 goal had", "2 goals had"),
        (
            "overlooked.on_time_unmeasured",
            {"done": 4},
            "1 of 4 done activities lacks",
            "2 of 4 done activities lack",
        ),
        (
            "overlooked.maturing",
            {"channel": "SEO", "metric": "leads"},
            "1 piece of SEO work is",
            "2 pieces of SEO",
        ),
        ("takeaway.miss_no_decision", {}, "1 miss has", "2 misses have"),
    ],
)
def test_a_count_of_one_reads_singular(code: str, params: dict[str, object], one: str, two: str) -> None:
    en = Formatter("en", "$")
    assert en.say(code, {"count": 1, **params}).startswith(one)
    assert en.say(code, {"count": 2, **params}).startswith(two)
    zh = Formatter("zh", "¥")  # no plural in Chinese, but a singular form all the same (fields alike)
    assert "1" in zh.say(code, {"count": 1, **params}) and "2" in zh.say(code, {"count": 2, **params})


def test_every_singular_form_has_the_fields_of_its_plural() -> None:
    """A `_one` form says everything its plural does: the same fields, its count written or as "1" (a form
    chosen by a list of one, "the Product layer", has no count to write)."""
    for lang in ("en", "zh"):
        templates = catalogue(lang).templates
        for code in templates:
            if code.endswith("_one") and (plural := code.removesuffix("_one")) in templates:
                fields = set(re.findall(r"{(\w+)", templates[plural]))
                assert fields - {"count"} <= set(re.findall(r"{(\w+)", templates[code])), code
                if "count" in fields:
                    assert "{count}" in templates[code] or "1" in templates[code], code


# 6 ------------------------------------------------------------------------------------------------------


def test_a_sparkline_labels_its_lowest_and_highest_value() -> None:
    chart = charts.trend(
        ["2026-08", "2026-09", "2026-10"],
        [0.84, None, 0.619],
        label="Completion rate",
        month_label=charts.month_abbr,
        value_text=lambda value: f"{value:.1%}",
        width_mm=24.0,
        height_mm=12.0,
    )
    svg = chart.data.decode()
    for text in ("84.0%", "61.9%", "Aug", "Oct"):
        assert f">{text}<" in svg, text


def test_a_section_caption_names_its_months_and_latest_value() -> None:
    review = sample_review()
    (line, *_) = section_trends(Principle.EXECUTION, review, Formatter("en", "$"))
    assert line.caption.startswith(
        "Completion rate by month, August 2026 to October 2026 (3 months); latest "
    )
    assert line.caption.endswith(" in October 2026")
    (zh_line, *_) = section_trends(Principle.EXECUTION, review, Formatter("zh", "$"))
    assert "2026年8月至2026年10月（3 个月）" in zh_line.caption


# 7 ------------------------------------------------------------------------------------------------------


def test_a_cut_list_points_into_the_pdf_not_the_workbook() -> None:
    for lang, where in (("en", "appendix A"), ("zh", "附录 A")):
        fmt = Formatter(lang, "$")
        text = more(20, 10, fmt)
        assert "10" in text and where in text
        assert "workbook" not in text and "工作簿" not in text
        planned = more(20, 10, fmt, planned=True)
        assert "10" in planned and "workbook" not in planned and "工作簿" not in planned
    assert more(10, 10, Formatter("en", "$")) == ""
