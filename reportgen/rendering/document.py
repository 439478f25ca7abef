"""The review as documents: context → charts → HTML → PDF (and the self-contained web page when asked), with
what travels inside the PDF (the figures `send` reads back, the complete table when the appendix is cut)."""

from __future__ import annotations

import importlib.metadata
import logging
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from reportgen.base.catalogue import catalogue
from reportgen.base.config import Config
from reportgen.base.speed import render_memo_folder
from reportgen.figures.changes import Revision
from reportgen.figures.document import FIGURES_ATTACHMENT, dumps
from reportgen.figures.review import Review
from reportgen.rendering import memo, pdf, render, spreadsheet, webfonts
from reportgen.rendering.background import Background, LazyCharts
from reportgen.rendering.context import ReviewContext, build_context, table_name
from reportgen.rendering.pdf import Attachment
from reportgen.rendering.templates import stylesheet
from reportgen.wording.documents import figures_document

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RenderedReview:
    """The review as a PDF and/or as a self-contained web page (each only when asked for), with WeasyPrint's
    warnings."""

    pdf: bytes | None
    html: str | None
    warnings: list[str]
    table: Attachment | None  # the complete activity table, when the appendix is cut
    figures: bytes | None = None  # the figures document the PDF carries (what the archive keeps)


def render_review(
    review: Review,
    config: Config,
    templates: Path | None = None,
    stem: str = "review",
    *,
    with_pdf: bool = True,
    with_page: bool = False,
    revision: Revision | None = None,
) -> RenderedReview:
    """build_context → charts → render_html → render_pdf (and the web page when asked); `stem` names the
    attached table; a `revision` adds its banner and its page of changes. `config.pdf` chooses PDF/A-3b
    and/or PDF/UA-1 and whether the workbook travels inside the PDF."""
    # The charts need only the review and the layout asks for them first: their process is forked before
    # anything else, so they are drawn (matplotlib imported, fonts loaded) on the other core while this one
    # imports WeasyPrint, reads the fonts' character map and writes the page.
    drawing = Background({"charts": charts_step(review)})
    drawable = pdf.drawable_codepoints()
    context = build_context(review, config.team, render.glyph_findings(review, drawable), stem, revision)
    # What is attached to the PDF, needed only when it is written, made in a second forked process: the
    # figures `send` reads back, and the complete activity table when the appendix is cut.
    steps: dict[str, Callable[[], Any]] = {}
    if with_pdf:
        steps["figures"] = lambda: embedded_figures(review, context)
    if with_pdf and context.appendix.table_attached:  # past APPENDIX_LIMIT rows, or a cell's text was cut
        steps["table"] = lambda: spreadsheet.activities_workbook(
            review.rows,
            review.checked.sheet,
            review.lang,
            review.as_of,
            date_column=review.checked.columns["date"],
        )
    background = Background(steps)

    def table() -> Attachment | None:
        if "table" not in steps:
            return None
        description = context.words.text("review.section.appendix_activities")
        return Attachment(table_name(stem, review.month), background.get("table"), description, "Supplement")

    def attachments() -> tuple[Attachment, ...]:
        complete = table()
        source = source_workbook(review, stem) if config.pdf.embed_source else None
        return tuple(item for item in (background.get("figures"), complete, source) if item is not None)

    charts = LazyCharts(drawing)
    alts = render.chart_alts(review)  # the charts' data in words: known before they are drawn
    css = stylesheet(templates)
    pdf_bytes: bytes | None = None
    warnings: list[str] = []
    if with_pdf:
        served = {name: f"{pdf.SCHEME}chart/{name}" for name in render.chart_names(review)}
        html = render.replace_undrawable(
            render.render_html(
                replace(context, charts=served), f"{pdf.SCHEME}review.css", templates, chart_alts=alts
            ),
            drawable,
        )
        assets = pdf.bundled_assets(css, charts, templates)
        pdf_bytes, warnings = pdf.render_pdf(html, assets, review.as_of, attachments, config.pdf)
    chart_assets = dict(charts)  # also joins the drawing process when no page asked for a chart
    web_page = None
    if with_page:  # the same context with the stylesheet, its fonts and the charts inlined
        web_page = web_review(context, css, chart_assets, alts, templates, drawable)
    attached_table = table()
    figures = background.get("figures").data if with_pdf else None
    background.close()
    drawing.close()
    return RenderedReview(pdf_bytes, web_page, warnings, attached_table, figures)


def charts_step(review: Review) -> Callable[[], dict[str, pdf.Asset]]:
    """The step that draws the review's charts; with the render memo on (the test suite's), the charts drawn
    for the very same review before, recalled, or drawn and kept (rendering/memo.py)."""
    folder = render_memo_folder()
    if folder is None:
        return lambda: render.review_charts(review)
    key = memo.digest(["charts", importlib.metadata.version("matplotlib"), pickle.dumps(review)])
    recalled = memo.recall(folder, key)
    if recalled is not None:
        charts = {name: pdf.Asset(data, mime) for name, (mime, data) in recalled.items()}
        return lambda: charts

    def drawn() -> dict[str, pdf.Asset]:
        charts = render.review_charts(review)
        memo.remember(folder, key, {name: (asset.mime, asset.data) for name, asset in charts.items()})
        return charts

    return drawn


STYLESHEET_MARK = "/* reportgen: the stylesheet and its fonts go here */"


def web_review(
    context: ReviewContext,
    css: str,
    charts: dict[str, pdf.Asset],
    alts: dict[str, str],
    templates: Path | None,
    drawable: frozenset[int],
) -> str:
    """The review as one self-contained web page: the stylesheet inlined with the bundled fonts cut to the
    page's own characters (data: URLs), and each chart inlined carrying the fonts of its own text, so it
    reads the same on a machine without any Chinese font."""
    started = time.perf_counter()
    inlined = {
        name: (
            pdf.Asset(webfonts.svg_with_fonts(asset.data), asset.mime)
            if asset.mime == pdf.MIME[".svg"]
            else asset
        ).data_uri
        for name, asset in charts.items()
    }
    page = render.replace_undrawable(
        render.render_html(
            replace(context, charts=inlined), "", templates, inline_css=STYLESHEET_MARK, chart_alts=alts
        ),
        drawable,
    )
    # The characters the page draws: its text (the charts' data: URLs add only ASCII) and the stylesheet's
    # generated content (page numbers' " / ", arrows).
    fonts = webfonts.page_fonts(set(page) | set(css))
    page = page.replace(STYLESHEET_MARK, webfonts.inline_fonts(css, fonts), 1)
    logger.info(
        "web page: %.2f s with its fonts (%d KB, of it the page's fonts %d KB)",
        time.perf_counter() - started,
        len(page.encode()) // 1024,
        sum(len(font.data) for font in fonts.values()) * 4 // 3 // 1024,
    )
    return page


def source_workbook(review: Review, stem: str) -> Attachment:
    """The workbook the review was computed from, to travel inside the PDF (`embed_source`) under the review's
    stem and the workbook's suffix: PDF/A-3 names it the review's Source."""
    workbook = review.checked.workbook
    name = f"{stem}{workbook.suffix}"  # serve stores the upload as `workbook`: its name is then the stem
    description = catalogue(review.lang).text("mail.source_description")
    return Attachment(name, workbook.read_bytes(), description, "Source")


def embedded_figures(review: Review, context: ReviewContext) -> Attachment:
    """The `--json` document plus what the mail shows (KPI cards and takeaways, already in the review's
    words), as the attachment `send` reads back from the PDF; deterministic, so rebuilds stay identical."""
    document = figures_document(review)
    document["mail"] = {
        "team": context.team,
        "month_label": context.month_label,
        "kpis": [
            {
                "label": card.label,
                "value": card.value,
                "delta": card.delta,
                "tone": card.tone,
                "note": card.note,
            }
            for card in context.cover.kpis
        ],
        "takeaways": list(context.cover.takeaways),
        "revised": context.cover.revised,  # the mail's subject says so too
        "data_quality": context.cover.data_quality,  # the chat cards' last line
    }
    description = catalogue(review.lang).text("mail.figures_description")
    return Attachment(FIGURES_ATTACHMENT, dumps(document), description, "Data")
