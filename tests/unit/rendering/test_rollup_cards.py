"""The roll-up's KPI cards, as the head of marketing reads them: compared with last month only when the
archive holds a team's review of last month; otherwise one line under the cards says there is nothing on
file to compare with, and no card says "new" (the teams' own workbooks may well have had last month)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pypdf
import pytest

from reportgen.base.config import Config
from reportgen.figures.rollup import TeamSource, TeamStatus, rollup
from reportgen.pipeline.build import build_review, check_workbook
from reportgen.rendering.rollup import card_columns, render_rollup, rollup_context
from reportgen.wording.documents import figures_document
from tests.builders import OCTOBER_ROWS, make_workbook

AS_OF = dt.date(2026, 11, 3)
SEPTEMBER_ROWS = [[dt.date(2026, 9, 10), *row[1:6], None, dt.date(2026, 9, 12), 7, 1] for row in OCTOBER_ROWS]


def team_document(folder: Path, month: str) -> dict[str, Any]:
    folder.mkdir()
    checked = check_workbook(make_workbook(folder, [*SEPTEMBER_ROWS, *OCTOBER_ROWS]), Config(), AS_OF)
    return figures_document(build_review(checked, month, AS_OF, "en", Config()))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_cards_compare_only_with_a_month_on_file(tmp_path: Path, lang: str) -> None:
    october = team_document(tmp_path / "oct", "2026-10")
    september = team_document(tmp_path / "sep", "2026-09")
    alone = rollup("M", "2026-10", [TeamSource("Alpha", TeamStatus.DELIVERED, october, None, 1, True)])
    cards = rollup_context(alone, Config(), lang)[0]["cards"]
    said = {
        "en": "No team's review of September 2026 is on file, so the figures are not compared with last "
        "month.",
        "zh": "档案中没有任何团队 2026年9月 的报告，因此不与上月比较。",
    }[lang]
    assert [card.delta for card in cards[:5]] == [""] * 5 and {card.note for card in cards} == {""}, cards
    assert rollup_context(alone, Config(), lang)[0]["compare_line"] == said
    both = rollup("M", "2026-10", [TeamSource("Alpha", TeamStatus.DELIVERED, october, september, 1, True)])
    cards = rollup_context(both, Config(), lang)[0]["cards"]
    compared = {"en": "vs September 2026", "zh": "对比2026年9月"}[lang]
    assert cards[0].delta and {card.note for card in cards} == {compared}, cards
    assert rollup_context(both, Config(), lang)[0]["compare_line"] == ""


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_team_needing_attention_without_last_month_on_file_reads_as_a_sentence(
    tmp_path: Path, lang: str
) -> None:
    """ "Goal attainment 78%; completion — and on time — since last month" was said when no review of last
    month was on file: the sentence now says there is nothing to compare with."""
    october = team_document(tmp_path / "oct", "2026-10")
    blocked = rollup("M", "2026-10", [TeamSource("Alpha", TeamStatus.BLOCKED, october, None, 1, False)])
    attention = rollup_context(blocked, Config(), lang)[0]["attention"]
    assert attention, "a blocked team needs attention"
    for item in attention:
        assert {"en": "since last month", "zh": "较上月"}[lang] not in item.text, item.text
        assert {"en": "no review of last month is on file", "zh": "档案中没有上月的复盘"}[lang] in item.text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_costs_in_two_currencies_are_said_to_stay_apart_without_configuration_advice(
    tmp_path: Path, lang: str
) -> None:
    """The head reads that costs stay in each team's currency; how to set rates is for whoever runs the
    tool (docs/rollup.md), not a line on management's cover."""
    dollars = team_document(tmp_path / "usd", "2026-10")
    yuan = {**dollars, "currency": "¥"}
    teams = [TeamSource(name, TeamStatus.DELIVERED, document, None, 1, True)
             for name, document in (("Alpha", dollars), ("Beta", yuan))]  # fmt: skip
    line = rollup_context(rollup("M", "2026-10", teams), Config(), lang)[0]["rates_line"]
    assert line and "reportgen.toml" not in line and "[department]" not in line, line


def laid_out(tmp_path: Path, lang: str) -> tuple[dict[str, Any], pypdf.PdfReader]:
    """Four teams (one per bucket, costs in two currencies: seven cards): the context and the PDF."""
    october = team_document(tmp_path / "oct", "2026-10")
    yuan = {**october, "currency": "¥"}
    teams = [
        TeamSource("Alpha", TeamStatus.DELIVERED, october, None, 1, True),
        TeamSource("Beta", TeamStatus.AWAITING_APPROVAL, yuan, None, 1, False),
        TeamSource("Gamma", TeamStatus.BLOCKED, october, None, 1, False),
        TeamSource("Delta", TeamStatus.MISSING, None),
    ]
    result = rollup("M", "2026-10", teams)
    context = rollup_context(result, Config(), lang)[0]
    return context, pypdf.PdfReader(io.BytesIO(render_rollup(result, Config(), lang)))


def baselines(page: pypdf.PageObject) -> dict[str, float]:
    """Each run of text on the page and the height it stands at."""
    found: dict[str, float] = {}

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        if text.strip():
            found.setdefault(text.strip(), round(cm[5] + tm[5] * cm[3], 1))

    page.extract_text(visitor_text=visit)
    return found


def test_the_cards_rows_are_balanced() -> None:
    """Seven cards (a cost per currency) were 3 + 3 and a lone cost card on a row of its own: now 4 + 3."""
    assert [card_columns(count) for count in (5, 6, 7, 8, 10)] == [3, 3, 4, 4, 4]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_seven_cards_stand_in_two_rows_and_no_status_label_wraps(tmp_path: Path, lang: str) -> None:
    context, pdf = laid_out(tmp_path, lang)
    assert len(context["cards"]) == 7 and context["card_columns"] == 4
    cover, teams = pdf.pages[0], pdf.pages[1]
    heights = baselines(cover)
    rows = {heights[card.label] for card in context["cards"]}
    assert len(rows) == 2, (rows, heights)
    lines = cover.extract_text().splitlines() + teams.extract_text().splitlines()
    labels = [label for label, _, _ in context["counts"]] + [row.status for row in context["rows"]]
    for label in labels:
        assert any(label in line for line in lines), (label, lines)
