"""The one place that knows the order of the stages (WeasyPrint's Document._render is the model)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportgen import pdf as pdf_module
from reportgen import vocab
from reportgen.config import Config
from reportgen.errors import InputError
from reportgen.findings import Overlooked, Takeaway, candidate_takeaways, choose_takeaways, find_overlooked
from reportgen.mapping import map_activities
from reportgen.metrics import (
    CompoundingTrend,
    Ladder,
    MonthFigures,
    compounding_trends,
    default_month,
    initiative_ladders,
    month_figures,
    rows_by_month,
    shift_month,
)
from reportgen.model import Commentary, Finding, Goal, Mapped, Principle, Severity, column_letter
from reportgen.normalize import normalize_rows
from reportgen.outputs import write_atomic
from reportgen.workbook import ReadLimits, read_workbook


@dataclass(frozen=True, slots=True)
class Checked:
    """A workbook read, typed and mapped: what `check` reports and every review starts from."""

    workbook: Path
    sheet: str
    columns: dict[str, int]  # canonical field → 0-based sheet column
    team: str | None
    currency: str
    sheet_lang: str
    rows: list[Mapped]
    goals: list[Goal]
    findings: list[Finding]
    commentary: list[Commentary] = field(default_factory=list)  # the lead's paragraphs, every month's


@dataclass(frozen=True, slots=True)
class Review:
    """The figures of one month, ready for any renderer; nothing here reads a cell again."""

    checked: Checked
    month: str
    as_of: dt.date
    lang: str
    current: MonthFigures
    previous: MonthFigures | None
    rows: list[Mapped]  # the month's activities, in sheet order
    next_rows: list[Mapped]  # next month's activities: what is planned
    trends: list[CompoundingTrend]
    ladders: list[Ladder]
    overlooked: dict[Principle, list[Overlooked]]
    takeaways: list[Takeaway]
    commentary: list[Commentary] = field(default_factory=list)  # the lead's paragraphs for this month


def check_workbook(path: Path, config: Config, as_of: dt.date) -> Checked:
    """read_workbook → normalize_rows → map_activities, with every finding in sheet order."""
    book = read_workbook(path, ReadLimits(max_rows=config.max_rows))
    normalized = normalize_rows(book, config, as_of)
    rows, mapping_findings = map_activities(normalized, config)
    findings = sorted(
        [*normalized.findings, *mapping_findings],
        key=lambda finding: (finding.sheet_name != normalized.activity_sheet, *_finding_order(finding)),
    )
    if not rows:
        sheet = normalized.activity_sheet
        problems = [
            finding.ref.cell
            for finding in findings
            if finding.severity is Severity.ERROR and finding.ref is not None and finding.ref.sheet == sheet
        ]
        if not problems:
            # nothing was rejected: no activity under the header (blank or totals rows at most)
            raise InputError(path, "no_data_rows", sheet=sheet, lang=normalized.lang)
        cells = problems[:5] + (["…"] if len(problems) > 5 else [])
        raise InputError(path, "no_activities", sheet=sheet, lang=normalized.lang, cells=cells)
    return Checked(
        workbook=path,
        sheet=normalized.activity_sheet,
        columns=normalized.columns,
        team=normalized.team,
        currency=normalized.currency,
        sheet_lang=normalized.lang,
        rows=rows,
        goals=normalized.goals,
        findings=findings,
        commentary=normalized.commentary,
    )


def build_review(
    checked: Checked, month: str | None, as_of: dt.date, lang: str | None, config: Config | None = None
) -> Review:
    """Figures for the chosen month (default: SPEC's) and the month before, then what is easily overlooked."""
    config = config or Config()
    chosen = month or default_month(checked.rows, as_of)
    by_month = rows_by_month(checked.rows)
    if chosen is None:
        raise InputError(
            checked.workbook,
            "all_after_as_of",
            sheet=checked.sheet,
            lang=checked.sheet_lang,
            as_of=as_of.isoformat(),
            months=sorted(by_month),
        )
    if chosen not in by_month:
        raise InputError(
            checked.workbook, "month_empty", lang=checked.sheet_lang, month=chosen, months=sorted(by_month)
        )
    previous_month = shift_month(chosen, -1)
    previous_rows = by_month.get(previous_month)
    current = month_figures(by_month[chosen], checked.goals, chosen)
    previous = month_figures(previous_rows, checked.goals, previous_month) if previous_rows else None
    error_cells = {
        finding.ref.cell
        for finding in checked.findings
        if finding.severity is Severity.ERROR
        and finding.ref is not None
        and finding.ref.sheet == checked.sheet
    }

    def unreadable(row: Mapped, metric: str) -> bool:
        column = checked.columns.get(metric)
        return column is not None and f"{column_letter(column)}{row.activity.row}" in error_cells

    trends = compounding_trends(
        by_month, chosen, config.compounding_channels, config.result_metric, unreadable
    )
    ladders = initiative_ladders(checked.rows, month_end(chosen), as_of, vocab.LAYER_WORDS)
    overlooked = find_overlooked(by_month[chosen], current, trends, ladders)
    return Review(
        checked=checked,
        month=chosen,
        as_of=as_of,
        lang=lang or checked.sheet_lang,
        current=current,
        previous=previous,
        rows=by_month[chosen],
        next_rows=by_month.get(shift_month(chosen, 1), []),
        trends=trends,
        ladders=ladders,
        overlooked=overlooked,
        takeaways=choose_takeaways(candidate_takeaways(current, previous, overlooked)),
        commentary=[note for note in checked.commentary if note.month in ("", chosen)],
    )


def month_end(month: str) -> dt.date:
    """The last day of a 'YYYY-MM' month."""
    following = shift_month(month, 1)
    return dt.date(int(following[:4]), int(following[5:]), 1) - dt.timedelta(days=1)


def _finding_order(finding: Finding) -> tuple[str, int, str]:
    """Sheet order: by sheet, then row, then column (A before AA)."""
    if finding.ref is None:
        return (finding.sheet_name or "", 0, "")
    letters = finding.ref.cell.rstrip("0123456789")
    row = int(finding.ref.cell[len(letters) :] or 0)
    return (finding.ref.sheet, row, f"{len(letters):02d}{letters}")


@dataclass(frozen=True, slots=True)
class RenderedReview:
    """The review as a PDF and/or as a self-contained web page (each only when asked for), with WeasyPrint's
    warnings."""

    pdf: bytes | None
    html: str | None
    warnings: list[str]
    table: pdf_module.Attachment | None  # the complete activity table, when the appendix is cut


def render_review(
    review: Review,
    config: Config,
    templates: Path | None = None,
    stem: str = "review",
    *,
    with_pdf: bool = True,
    with_page: bool = False,
) -> RenderedReview:
    """build_context → charts → render_html → render_pdf (and the web page when asked); `stem` names the
    attached table."""
    from reportgen import export, render
    from reportgen.background import Background, LazyCharts

    pdf = pdf_module

    pdf.renderer_imported()  # the early import and character map (a thread), done before the fork below
    drawable = pdf.drawable_codepoints()
    context = render.build_context(review, config.team, render.glyph_findings(review, drawable))
    from reportgen.figures_json import embedded_figures

    # Made in a forked process while WeasyPrint works: the charts first (the layout asks for them), then what
    # is attached to the PDF (needed only when it is written): the figures `send` reads back, and the complete
    # activity table when the appendix is cut.
    steps: dict[str, Callable[[], Any]] = {"charts": lambda: render.review_charts(review)}
    if with_pdf:
        steps["figures"] = lambda: embedded_figures(review, context)
    table_name = f"{stem}-{review.month}-activities.xlsx"
    if len(review.rows) > render.APPENDIX_LIMIT:
        if with_pdf:
            steps["table"] = lambda: export.activities_workbook(
                review.rows, review.checked.sheet, review.lang, review.as_of
            )
        context.values["appendix_note"] = context.words(
            "review.appendix.truncated", shown=render.APPENDIX_LIMIT, total=len(review.rows), name=table_name
        )
    background = Background(steps)

    def table() -> pdf_module.Attachment | None:
        if "table" not in steps:
            return None
        description = context.words("review.section.appendix_activities")
        return pdf.Attachment(table_name, background.get("table"), description)

    def attachments() -> tuple[pdf_module.Attachment, ...]:
        complete = table()
        return (background.get("figures"), *((complete,) if complete else ()))

    charts = LazyCharts(background)
    context.charts.update({name: f"{pdf.SCHEME}chart/{name}" for name in render.chart_names(review)})
    stylesheet = render.stylesheet(templates)
    pdf_bytes: bytes | None = None
    warnings: list[str] = []
    if with_pdf:
        html = render.replace_undrawable(
            render.render_html(context, f"{pdf.SCHEME}review.css", templates), drawable
        )
        assets = pdf.bundled_assets(stylesheet, charts)
        pdf_bytes, warnings = pdf.render_pdf(html, assets, review.as_of, attachments)
    chart_assets = dict(charts)  # also joins the drawing process when no page asked for a chart
    page = None
    if with_page:  # the same context with the stylesheet and charts inlined
        context.charts.update({name: asset.data_uri for name, asset in chart_assets.items()})
        page = render.replace_undrawable(
            render.render_html(context, "", templates, inline_css=render.web_stylesheet(stylesheet)), drawable
        )
    attached_table = table()
    background.close()
    return RenderedReview(pdf_bytes, page, warnings, attached_table)


@dataclass(frozen=True, slots=True)
class BuiltFiles:
    """What one build wrote: the review it came from and the PDF's path (None with with_pdf=False)."""

    review: Review
    pdf: Path | None


def build_to_files(
    workbook: Path,
    config: Config,
    as_of: dt.date,
    *,
    month: str | None = None,
    lang: str | None = None,
    pdf_path: Path | None = None,
    out_dir: Path | None = None,
    stem: str | None = None,
    html_path: Path | None = None,
    json_path: Path | None = None,
    with_pdf: bool = True,
    templates: Path | None = None,
    announce: Callable[[Path], None] = lambda path: None,
) -> BuiltFiles:
    """check → build → render → write, the one path build, batch and watch share; `announce` hears each file
    as it is written (default PDF: `<stem>-<YYYY-MM>.pdf` in `out_dir`, else beside the workbook)."""
    stem = stem or workbook.stem
    checked = check_workbook(workbook, config, as_of)
    review = build_review(checked, month, as_of, lang, config)
    if json_path is not None:
        from reportgen.figures_json import dumps, figures_document

        announce(write_atomic(json_path, dumps(figures_document(review))))
    if not with_pdf and html_path is None:
        return BuiltFiles(review, None)
    rendered = render_review(
        review, config, templates, stem=stem, with_pdf=with_pdf, with_page=html_path is not None
    )
    if html_path is not None and rendered.html is not None:
        announce(write_atomic(html_path, rendered.html.encode("utf-8")))
    target = None
    if rendered.pdf is not None:
        target = pdf_path or (out_dir or workbook.parent) / f"{stem}-{review.month}.pdf"
        if rendered.table is not None:  # the complete table travels inside the PDF and beside it
            announce(write_atomic(target.with_name(rendered.table.name), rendered.table.data))
        announce(write_atomic(target, rendered.pdf))
    return BuiltFiles(review, target)
