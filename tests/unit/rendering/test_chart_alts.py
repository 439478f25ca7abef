"""Each chart's data in words (the alt text of its image, a tagged PDF's /Alt) in the review's language,
made from the rows the chart is drawn from, without drawing it."""

from __future__ import annotations

import datetime as dt

import pytest

from reportgen.base.catalogue import catalogue
from reportgen.base.config import load_config
from reportgen.pipeline.archiving import with_trends
from reportgen.pipeline.build import build_review, check_workbook
from reportgen.rendering import charts
from reportgen.rendering.context.common import trend_charts
from reportgen.rendering.render import chart_alts, chart_names
from reportgen.wording.format import Formatter
from tests.e2e.webserver import SAMPLES

AS_OF = dt.date(2026, 11, 3)


@pytest.mark.parametrize(("sample", "lang"), [("northwind-en.xlsx", "en"), ("xinghe-zh.xlsx", "zh")])
def test_every_chart_has_its_data_in_words(sample: str, lang: str) -> None:
    config = load_config(SAMPLES / "reportgen.toml")
    checked = check_workbook(SAMPLES / sample, config, AS_OF)
    review = with_trends(build_review(checked, "2026-10", AS_OF, lang, config), {})  # the workbook's months
    alts = chart_alts(review)
    assert set(alts) == set(chart_names(review))
    words, fmt = catalogue(lang), Formatter(lang, review.checked.currency)
    for name, alt in alts.items():
        kind = "trend" if name.startswith("trend_") else name
        assert alt.startswith(words.text(f"review.chart_alt.{kind}", data="|").split("|")[0]), (name, alt)
    column = fmt.percents(goal.attainment for goal in review.current.goals)  # one precision per table
    for goal in review.current.goals:  # each goal, its attainment as the goal table writes it
        assert f"{goal.id} {goal.name}" in alts["goal_attainment"]
        if goal.attainment is not None:
            assert column(goal.attainment) in alts["goal_attainment"]
    assert all(fmt.channel(trend.channel) in alts["compounding"] for trend in review.trends)
    assert review.checked.currency in alts["compounding"]
    trends = review.kpi_trends
    assert trends is not None
    rate = trends.values("completion_rate")[-1]
    # the latest month as its cover card writes it (one rule for one figure: test_kpi_precision.py)
    assert rate is not None and fmt.percent(rate) in alts[trend_charts(review)["completion_rate"]]
    assert fmt.month_short(trends.months[-1]) in alts[trend_charts(review, wide=True)["completion_rate"]]


def test_the_words_are_the_drawn_charts_own() -> None:
    """The alt text computed without drawing is the text the drawn chart carries."""
    rows = [("G1 Leads", 0.941, "94 / 100"), ("G2 Signups", None, "3 / –")]
    drawn = charts.goal_attainment(
        rows, percent=lambda v: f"{v:.1%}", no_target_label="no target", target_label="target"
    )
    assert drawn.alt == charts.goal_attainment_alt(
        rows, percent=lambda v: f"{v:.1%}", no_target_label="no target"
    )
    assert drawn.alt == "G1 Leads: 94.1% (94 / 100); G2 Signups: no target (3 / –)"
    line = charts.trend(["2026-09", "2026-10"], [0.5, None], label="Rate", month_label=charts.month_abbr)
    assert line.alt == charts.trend_alt(
        ["2026-09", "2026-10"], [0.5, None], label="Rate", month_label=charts.month_abbr
    )
