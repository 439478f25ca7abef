"""The headline KPIs' one home (figures/kpis.py): every KPI is named in both catalogues, a name it does not
know raises instead of reading as nothing, each KPI's value is the figure it names (against tests/oracle.py,
which recomputes the samples' figures without reportgen) and sits where its path says in the figures
document, and the cover's cards and trend series follow the registry's order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from reportgen.base.catalogue import catalogue
from reportgen.base.config import load_config
from reportgen.figures.document import month_json
from reportgen.figures.kpis import (
    HEADLINE_RESULTS,
    KPIS,
    RESULT,
    Better,
    Delta,
    MonthKpis,
    cards,
    headline_kpis,
    headline_result,
    kpi_delta,
    month_kpis,
    named,
)
from reportgen.figures.review import Review
from reportgen.pipeline.archiving import with_trends
from reportgen.pipeline.build import build_review, check_workbook
from reportgen.rendering.context.cover import kpi_cards
from reportgen.wording.format import Formatter
from tests import oracle

ROOT = Path(__file__).resolve().parents[3]
AS_OF = dt.date(2026, 11, 3)
MONTH = "2026-10"
LANGS = ("en", "zh")


@pytest.fixture(scope="module", params=LANGS)
def review(request: pytest.FixtureRequest) -> Review:
    """The sample workbook of a language (northwind-en, xinghe-zh) reviewed for October, with its rules."""
    workbook = ROOT / "samples" / oracle.samples.SAMPLES[request.param].filename
    checked = check_workbook(workbook, load_config(workbook=workbook), AS_OF)
    return with_trends(build_review(checked, MONTH, AS_OF, request.param), {})


def at(document: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        document = document[key]
    return document


def same(value: object, expected: object) -> bool:
    if isinstance(expected, float) or isinstance(value, float):
        return value == pytest.approx(expected, rel=1e-12)
    return value == expected


@pytest.mark.parametrize("lang", LANGS)
def test_every_kpi_has_its_label_in_both_catalogues(lang: str) -> None:
    templates = catalogue(lang).templates
    missing = [kpi.name for kpi in KPIS if kpi.label not in templates]
    missing += [kpi.name for kpi in KPIS if kpi.remark is not None and kpi.remark.key not in templates]
    assert missing == []
    # what a card or a trend line is called: every result the cards may lead with, too
    fmt = Formatter(lang, "$")
    assert all(fmt.kpi(kpi.name) for result in HEADLINE_RESULTS for kpi in headline_kpis(result))


def test_an_unknown_name_raises_instead_of_reading_as_nothing() -> None:
    with pytest.raises(KeyError, match="cost_per_lead"):
        named("cost_per_lead")
    kept = MonthKpis("2026-10", 3, 0.5, None, 0.0, Decimal("7.5"), {"leads": Decimal(2)})
    with pytest.raises(KeyError):
        kept.value("cost_per_lead")
    with pytest.raises(KeyError):
        kept.value("done")  # a KPI the archive does not keep for trends
    with pytest.raises(KeyError):
        Formatter("en", "$").kpi("cost_per_lead")
    assert kept.value("signups") is None  # a metric this archived month did not record: known, not there


def test_every_kpi_is_the_figure_it_names_in_october(review: Review) -> None:
    figures = review.current
    expected = oracle.figures(review.lang, MONTH)
    document = month_json(figures)
    for kpi in KPIS:
        if kpi is RESULT:
            continue
        value = kpi.of(figures)
        assert same(value, at(expected, kpi.path)), kpi.name
        written = at(document, kpi.path)  # the figures document holds it where the page of changes looks
        assert written is None if value is None else written == pytest.approx(float(value)), kpi.name
    result = headline_result(figures)
    assert result == next(name for name in HEADLINE_RESULTS if expected["totals"][name])
    assert RESULT.of(figures) == expected["totals"][result]
    # what the archive keeps gives the same figures back for later months' trend lines
    kept = MonthKpis.from_dict(month_kpis(figures).as_dict())
    for kpi in headline_kpis(result):
        value = kpi.of(figures)
        assert kept.value(kpi.name) == (None if value is None else float(value)), kpi.name


def test_the_cards_and_trend_series_follow_the_registry(review: Review) -> None:
    fmt = Formatter(review.lang, review.checked.currency)
    result = headline_result(review.current)
    words = catalogue(review.lang)
    labels = [
        words.text(f"review.metric.{result}" if kpi is RESULT else kpi.label) for kpi in KPIS if kpi.card
    ]
    cards = kpi_cards(review, fmt)
    assert [card.label for card in cards] == [label[:1].upper() + label[1:] for label in labels]
    shown = headline_kpis(result)
    assert [card.value for card in cards] == [fmt.kpi_value(kpi, kpi.of(review.current)) for kpi in shown]
    assert review.kpi_trends is not None
    assert list(review.kpi_trends.series) == [kpi.name for kpi in shown]
    if review.lang == "en":
        assert [card.label for card in cards] == [
            "Activities",
            "Completion rate",
            "On-time rate",
            "Tied to a goal",
            "Cost",
            result.capitalize(),
        ]


def test_a_card_is_toned_by_which_way_is_better() -> None:
    assert [named("completion_rate").tone(d) for d in ("up", "down", "flat", "new", "none")] == [
        "good",
        "bad",
        "neutral",
        "neutral",
        "neutral",
    ]
    assert {named("cost").tone(d) for d in ("up", "down")} == {"neutral"}  # more spend is not bad by itself
    assert named("activities").better is Better.NEITHER
    assert RESULT.as_result("leads").tone("up") == "good" and RESULT.as_result("leads").card


def test_a_change_is_measured_as_its_kind_says() -> None:
    rate, cost = named("on_time_rate"), named("cost")
    assert kpi_delta(rate, 0.625, 0.62) == Delta("flat", points=(0.625 - 0.62) * 100)  # under a point
    assert kpi_delta(rate, 0.70, 0.62).direction == "up" and kpi_delta(rate, 0.5, 0.62).direction == "down"
    assert kpi_delta(cost, Decimal(30), Decimal(40)) == Delta("down", Decimal(-10), -0.25)
    assert kpi_delta(cost, Decimal(30), Decimal(0)) == Delta("up", Decimal(30), None)  # no share of nothing
    assert kpi_delta(cost, Decimal(30), None) == Delta("new") and kpi_delta(rate, None, 0.5) == Delta("none")


def test_the_cards_carry_the_remark_count_of_the_work_still_open(review: Review) -> None:
    made = {card.kpi.name: card for card in cards(review.current, review.previous)}
    totals = review.current.totals
    assert made["completion_rate"].remark == totals.activities - totals.done - totals.cancelled
    assert made["cost"].remark == 0
