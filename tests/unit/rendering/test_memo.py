"""The render memo (rendering/memo.py, the suite's REPORTGEN_RENDER_MEMO): a page is recalled only for the
very same inputs, with the warnings its layout gave; any other input is laid out anew; a page that may load a
templates folder's files never is; a review's charts are recalled only for the same review; and with the memo
off nothing is kept."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from reportgen.base.config import PdfSettings
from reportgen.base.speed import RENDER_MEMO_VARIABLE
from reportgen.rendering import memo, pdf
from reportgen.rendering.pdf import Asset, Attachment, bundled_assets, render_pdf

AS_OF = dt.date(2026, 11, 3)
SAMPLE = Path(__file__).resolve().parents[3] / "samples" / "northwind-en.xlsx"
PAGE = (
    '<html lang="en"><head><link rel="stylesheet" href="reportgen:review.css"></head>'
    "<body><p>{text}</p>{image}</body></html>"
)


def page(text: str = "Leads 42", image: str = "") -> str:
    return PAGE.format(text=text, image=image)


@pytest.fixture
def layouts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """The memo in a folder of this test's own; each real layout noted by its page."""
    monkeypatch.setenv(RENDER_MEMO_VARIABLE, str(tmp_path / "memo"))
    laid_out: list[str] = []
    real = pdf._rendered

    def noted(html: str, *args: Any) -> tuple[bytes, list[str]]:
        laid_out.append(html)
        return real(html, *args)

    monkeypatch.setattr(pdf, "_rendered", noted)
    return laid_out


def render(
    html: str,
    charts: dict[str, Asset] | None = None,
    created: dt.date = AS_OF,
    attachments: Callable[[], Sequence[Attachment]] = tuple,
    settings: PdfSettings = PdfSettings(),  # noqa: B008 (frozen)
    folder: Path | None = None,
) -> tuple[bytes, list[str]]:
    return render_pdf(
        html, bundled_assets("p { color: #123; }", charts or {}, folder), created, attachments, settings
    )


def test_the_same_inputs_are_recalled_with_the_bytes_and_warnings_of_their_layout(
    layouts: list[str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    refused = page(image='<img src="https://example.com/x.png">')  # WeasyPrint warns: the fetcher refuses it
    first = render(refused)
    assert first[1] and len(layouts) == 1, first[1]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="reportgen.rendering.pdf"):
        again = render(refused)
    assert again == first and len(layouts) == 1  # no second layout, the same bytes and warnings
    said = [record.getMessage() for record in caplog.records]
    assert any("recalled from the render memo" in line for line in said), said
    assert [line for line in said if line.startswith("WeasyPrint: ")] == [
        f"WeasyPrint: {w}" for w in first[1]
    ]
    (entry,) = (tmp_path / "memo").iterdir()
    assert entry.name.endswith(memo.SUFFIX)


def test_any_other_input_is_laid_out_anew(layouts: list[str]) -> None:
    chart = {
        "mix": Asset(b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', "image/svg+xml")
    }
    other_chart = {
        "mix": Asset(b'<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"/>', "image/svg+xml")
    }
    table = Attachment("table.xlsx", b"one", "the table")
    variants: list[dict[str, Any]] = [
        {},
        {"html": page("Leads 43")},
        {"created": AS_OF + dt.timedelta(days=1)},
        {"charts": chart},
        {"charts": other_chart},  # the same page, a chart drawn differently
        {"attachments": lambda: (table,)},
        {"attachments": lambda: (dataclasses.replace(table, data=b"two"),)},
        {"settings": PdfSettings(accessible=True)},
    ]
    for variant in variants:
        render(**{"html": page(), **variant})
    assert len(layouts) == len(variants)  # each one a layout of its own, even a chart the page does not show


def test_a_page_that_may_load_a_templates_folders_files_is_never_recalled(
    layouts: list[str], tmp_path: Path
) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    render(page(), folder=folder)
    render(page(), folder=folder)
    assert len(layouts) == 2 and not (tmp_path / "memo").exists()


def test_with_the_memo_off_every_page_is_laid_out_and_nothing_kept(
    layouts: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(RENDER_MEMO_VARIABLE)
    assert render(page()) == render(page()) and len(layouts) == 2
    assert not (tmp_path / "memo").exists()


def test_a_reviews_charts_are_recalled_only_for_the_very_same_review(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The charts drawn for a review are kept and recalled for the same review, as drawn; another review
    (another month of the same workbook) is drawn anew."""
    from reportgen.base.config import Config
    from reportgen.pipeline.build import build_review, check_workbook
    from reportgen.rendering import document, render

    monkeypatch.setenv(RENDER_MEMO_VARIABLE, str(tmp_path / "memo"))
    drawings: list[str] = []
    real = render.review_charts

    def noted(review: Any) -> dict[str, Asset]:
        drawings.append(review.month)
        return real(review)

    monkeypatch.setattr(render, "review_charts", noted)
    checked = check_workbook(SAMPLE, Config(), AS_OF)
    october, september = (
        build_review(checked, month, AS_OF, None, Config()) for month in ("2026-10", "2026-09")
    )
    drawn = document.charts_step(october)()
    assert drawn and drawings == ["2026-10"]
    assert document.charts_step(october)() == drawn and drawings == ["2026-10"]  # recalled, the same bytes
    assert document.charts_step(september)() != drawn and drawings == ["2026-10", "2026-09"]
