"""The one place that knows the order of the stages (WeasyPrint's Document._render is the model):
read → normalize → map (`check_workbook`), figures → overlooked → takeaways (`build_review`), then render and
write (`build_to_files`), the path build, batch, watch and serve share."""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from reportgen.archive.records import RecordedBuild
from reportgen.base import vocab
from reportgen.base.catalogue import catalogue
from reportgen.base.config import Config
from reportgen.base.errors import InputError
from reportgen.base.files import fitted_stem, name_limit, write_atomic
from reportgen.base.model import Commentary, Finding, Mapped, Severity, Status, column_letter
from reportgen.figures.changes import Revision
from reportgen.figures.document import dumps
from reportgen.figures.metrics import (
    compounding_trends,
    default_month,
    initiative_ladders,
    last_day_of,
    month_figures,
    rows_by_month,
    shift_month,
)
from reportgen.figures.overlooked import candidate_takeaways, choose_takeaways, find_overlooked
from reportgen.figures.review import Checked, Review, month_findings, sheet_order, team_name
from reportgen.pipeline.archiving import (
    ArchiveContext,
    OpenedArchive,
    file_digest,
    record_build,
    revision_of,
    with_trends,
)
from reportgen.reading.mapping import map_activities
from reportgen.reading.normalize import normalize_rows
from reportgen.reading.workbook import ReadLimits, read_workbook
from reportgen.rendering.context import table_name
from reportgen.rendering.document import RenderedReview, render_review
from reportgen.rendering.pdf import UnloadableFiles
from reportgen.wording.documents import figures_document

logger = logging.getLogger(__name__)


def check_workbook(path: Path, config: Config, as_of: dt.date) -> Checked:
    """read_workbook → normalize_rows → map_activities, with every finding in sheet order."""
    started = time.perf_counter()
    book = read_workbook(path, ReadLimits.for_rows(config.max_rows))
    read = time.perf_counter()
    logger.info(
        "read: %.2f s (%s, %s, sheet %s: %d rows)",
        read - started,
        path.name,
        book.kind,
        book.activities.name,
        len(book.activities.rows),
    )
    normalized = normalize_rows(book, config, as_of)
    rows, mapping_findings = map_activities(normalized, config)
    findings = sorted(
        [*normalized.findings, *mapping_findings],
        key=lambda finding: (finding.sheet_name != normalized.activity_sheet, *sheet_order(finding)),
    )
    logger.info(
        "check: %.2f s (normalize and map: %d activities, %d findings)",
        time.perf_counter() - read,
        len(rows),
        len(findings),
    )
    mark_unreadable(rows, normalized.columns, findings, normalized.activity_sheet)
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


def mark_unreadable(
    rows: Sequence[Mapped], columns: dict[str, int], findings: Sequence[Finding], sheet: str
) -> None:
    """Each row learns which of its fields an error finding says could not be read, so that a missing
    result there is unknown, not zero, wherever the row goes (the archive keeps it too)."""
    fields = {column_letter(column): name for name, column in columns.items()}
    bad: dict[int, set[str]] = {}
    for finding in findings:
        if finding.severity is Severity.ERROR and finding.ref is not None and finding.ref.sheet == sheet:
            letters = finding.ref.cell.rstrip("0123456789")
            if letters in fields:
                bad.setdefault(int(finding.ref.cell[len(letters) :]), set()).add(fields[letters])
    for row in rows:
        if row.activity.row in bad:
            row.activity.unreadable = frozenset(bad[row.activity.row])


def months_with_archive(
    rows: Sequence[Mapped], ours: dict[str, list[Mapped]], earlier: Sequence[Mapped], month: str
) -> tuple[dict[str, list[Mapped]], list[Mapped]]:
    """Each month's rows, and every row in order (for the initiatives' ladders), for a review of `month`.
    A month before it that the workbook no longer has, or of which it kept only the latest rows (a log
    trimmed from its oldest end but for a stray row), is the archive's rows, with the workbook's own version
    of a row both have and any row only the workbook has. Any other month the workbook has is the
    workbook's, however many rows it has lost: a deleted duplicate or a row moved to another month was the
    lead's correction, not a trim. `ours` is `rows` by month."""
    theirs = rows_by_month(row for row in earlier if row.activity.month < month)
    by_month = dict(ours)
    replaced: list[Mapped] = []
    for each in sorted(theirs):
        archived, own = theirs[each], ours.get(each, [])
        if len(archived) <= len(own) or not _trimmed(archived, own):
            continue
        mine = {_identity(row): row for row in own}
        merged = [mine.pop(_identity(row), row) for row in archived]
        by_month[each] = [*merged, *mine.values()]
        replaced.extend(by_month[each])
    months = {row.activity.month for row in replaced}  # their rows are all in `replaced`
    return by_month, [*replaced, *(row for row in rows if row.activity.month not in months)]


def _trimmed(archived: Sequence[Mapped], own: Sequence[Mapped]) -> bool:
    """The workbook kept only the month's latest rows: every archived row it lacks is dated no later than
    the earliest row it kept (a row it kept twice as often as the archive had it counts once per copy)."""
    if not own:
        return True
    kept = Counter(_identity(row) for row in own)
    first = min(row.activity.date for row in own)
    for row in archived:
        identity = _identity(row)
        if kept[identity] > 0:
            kept[identity] -= 1
        elif row.activity.date > first:
            return False
    return True


def _identity(row: Mapped) -> tuple[object, ...]:
    """A row as the reader knows it, whatever its sheet row: its day, channel and activity."""
    return (row.activity.date, row.activity.channel, " ".join(row.activity.activity.split()).casefold())


def build_review(
    checked: Checked,
    month: str | None,
    as_of: dt.date,
    lang: str | None,
    config: Config | None = None,
    earlier: Sequence[Mapped] = (),
) -> Review:
    """Figures for the chosen month (default: docs/cli.md's) and the month before, then what is easily
    overlooked. `earlier` are the rows of earlier months as the archive kept them (their latest reviews):
    see `months_with_archive` for when they stand in for the workbook's."""
    started = time.perf_counter()
    config = config or Config()
    chosen = month or default_month(checked.rows, as_of)
    by_month = rows_by_month(checked.rows)
    all_rows = list(checked.rows)
    if chosen is not None:
        by_month, all_rows = months_with_archive(checked.rows, by_month, earlier, chosen)
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

    def unreadable(row: Mapped, metric: str) -> bool:
        return metric in row.activity.unreadable

    trends = compounding_trends(
        by_month, chosen, config.compounding_channels, config.result_metric, unreadable
    )
    ladders = initiative_ladders(all_rows, last_day_of(chosen), as_of, vocab.LAYER_WORDS)
    overlooked = find_overlooked(by_month[chosen], current, trends, ladders)
    findings, elsewhere = month_findings(checked, chosen)
    following = by_month.get(shift_month(chosen, 1), [])  # next month: what is still open is its plan
    latest = chosen == undated_notes_month(checked, as_of)
    notes, left_out = notes_shown(
        [note for note in checked.commentary if note.month == chosen or (not note.month and latest)]
    )
    review = Review(
        checked=checked,
        month=chosen,
        as_of=as_of,
        lang=lang or checked.sheet_lang,
        current=current,
        previous=previous,
        rows=by_month[chosen],
        next_rows=[row for row in following if row.activity.status not in (Status.DONE, Status.CANCELLED)],
        next_done=sum(1 for row in following if row.activity.status is Status.DONE),
        trends=trends,
        ladders=ladders,
        overlooked=overlooked,
        takeaways=choose_takeaways(candidate_takeaways(current, previous, overlooked, ladders)),
        commentary=notes,
        findings=[*findings, *left_out],
        findings_elsewhere=elsewhere,
        compounding=tuple(config.compounding_channels),
        months=by_month,
    )
    logger.info(
        "figures: %.2f s (%s: %d activities, %d easily overlooked)",
        time.perf_counter() - started,
        chosen,
        len(review.rows),
        sum(len(items) for items in overlooked.values()),
    )
    return review


def notes_shown(notes: Sequence[Commentary]) -> tuple[list[Commentary], list[Finding]]:
    """The month's Commentary notes the review shows (the first NOTES_PER_PART of each part, in sheet order),
    and a warning at each note left out, so the lead's words never vanish without a word."""
    shown: list[Commentary] = []
    left_out: list[Finding] = []
    per_part: Counter[str] = Counter()
    for note in notes:
        per_part[note.section] += 1
        if per_part[note.section] <= vocab.NOTES_PER_PART:
            shown.append(note)
        else:
            params = {"section": note.section, "limit": vocab.NOTES_PER_PART}
            left_out.append(Finding("commentary_over_limit", Severity.WARNING, note.ref, params))
    return shown, left_out


def undated_notes_month(checked: Checked, as_of: dt.date) -> str:
    """The month a lead's note written without a month speaks of: the latest month of the workbook that
    has ended by the as-of date (what a month-end review is for), else its earliest month. Not every month:
    a note is one month's word."""
    months = sorted({row.activity.month for row in checked.rows})
    ended = [month for month in months if last_day_of(month) <= as_of]
    return ended[-1] if ended else months[0]


@dataclass(frozen=True, slots=True)
class BuiltFiles:
    """What one build wrote: the review it came from and the PDF's path (None with with_pdf=False); with an
    archive, the record of it (its version) and the revision it is, if it replaces a review that was sent."""

    review: Review
    pdf: Path | None
    recorded: RecordedBuild | None = None
    revision: Revision | None = None
    written: tuple[Path, ...] = ()
    copies: dict[str, Path] = field(default_factory=dict)  # language → the same review in it (`languages`)

    @property
    def pdfs(self) -> dict[str, Path]:
        """Each language's PDF of this review: its own, and the copies for readers of the others."""
        return {self.review.lang: self.pdf, **self.copies} if self.pdf is not None else {}


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
    archive: OpenedArchive | None = None,
    languages: Sequence[str] | None = None,
) -> BuiltFiles:
    """check → (archive: version, trends, the rows of earlier months the workbook lacks) → build → render →
    write → record, the one path build, batch, watch and serve share; `announce` hears each file as it is
    written (default PDF: `<stem>-<YYYY-MM>.pdf` in `out_dir`, else beside the workbook). An archive that
    fails raises its ArchiveError only after the files are written, naming them. `languages`: the review
    in each of these too (default: the config's reader languages; the figures computed once), as
    `<name>.<lang>.pdf` beside the PDF, each recorded as a build of the same version."""
    started = time.perf_counter()
    stem = stem or workbook.stem
    for explicit in (pdf_path, html_path, json_path):  # the user's own names: refused before the work
        if explicit is not None:
            check_name_fits(explicit)
    checked = check_workbook(workbook, config, as_of)
    history = ArchiveContext(
        archive.archive if archive else None,
        team_name(checked, config.team),
        file_digest(workbook),
        problem=archive.problem if archive else None,
    )
    chosen = month or default_month(checked.rows, as_of)
    if chosen is not None:  # else build_review says why there is no month to review
        # before the review: the rows of the months the workbook no longer has stand in for them
        history.look_up(chosen, rows_by_month(checked.rows))
    review = build_review(checked, chosen, as_of, lang, config, history.earlier)
    review = with_trends(review, history.archived)
    written: list[Path] = []

    def write(path: Path, data: bytes) -> None:
        written.append(write_atomic(path, data))
        announce(path)

    if json_path is not None:
        write(json_path, dumps(figures_document(review)))
    if not with_pdf and html_path is None:
        return BuiltFiles(review, None, written=tuple(written))
    revision = revision_of(history.plan, review, config.zone) if with_pdf else None
    folder = pdf_path.parent if pdf_path is not None else (out_dir or workbook.parent)
    stem = fitting_stem(workbook, stem, review.month, folder)  # before the attached table is named
    rendered = _render(
        review, config, templates, stem, with_pdf=with_pdf, with_page=html_path is not None, revision=revision
    )
    if html_path is not None and rendered.html is not None:
        write(html_path, rendered.html.encode("utf-8"))
    target = None
    recorded = None
    copies: dict[str, Path] = {}
    if rendered.pdf is not None:
        target = pdf_path or folder / f"{stem}-{review.month}.pdf"
        if rendered.table is not None:  # the complete table travels inside the PDF and beside it
            write(target.with_name(rendered.table.name), rendered.table.data)
        write(target, rendered.pdf)
        recorded = record_build(
            history,
            review,
            workbook,
            target,
            rendered.pdf,
            rendered.figures or b"{}",
            config.archive.keep_workbooks,
        )
        for other in dict.fromkeys(config.reader_languages if languages is None else languages):
            if other == review.lang:
                continue
            translated = replace(review, lang=other)
            copy = _render(
                translated, config, templates, stem, with_pdf=True, with_page=False, revision=revision
            )
            if copy.pdf is None:
                continue
            copies[other] = target.with_name(f"{target.stem}.{other}.pdf")
            write(copies[other], copy.pdf)
            record_build(
                history,
                translated,
                workbook,
                copies[other],
                copy.pdf,
                copy.figures or b"{}",
                config.archive.keep_workbooks,
            )
    logger.info("built: %.2f s in all (%s, %s)", time.perf_counter() - started, workbook.name, review.month)
    if history.problem is not None:
        raise history.problem.keeping(*written)
    return BuiltFiles(review, target, recorded, revision, tuple(written), copies)


def check_name_fits(path: Path) -> None:
    """An output the user named stays their choice: one too long for its file system is refused, by name and
    with the limit, before the review is built."""
    size = len(os.fsencode(path.name))
    limit = name_limit(path.parent)
    if size > limit:
        raise InputError(path, "output_name_too_long", size=size, limit=limit)


def fitting_stem(workbook: Path, stem: str, month: str, folder: Path) -> str:
    """The stem the review's default file names use in `folder`: `stem` when its longest name (the attached
    table's, `<stem>-<YYYY-MM>-activities.xlsx`) fits the file system's limit, else as much of it as fits,
    cut between characters, with `~` and six hex digits of its hash, so that two long names cut alike still
    name different files. The shortening is logged as a warning naming the file."""
    limit = name_limit(folder)
    suffix = table_name("", month)  # the longest default name: the attached table's
    shortened = fitted_stem(stem, suffix, limit)
    if shortened == stem:
        return stem
    logger.warning(
        "output: %s",
        catalogue("en").text(
            "output.name_shortened",
            workbook=workbook.name,
            folder=folder,
            limit=limit,
            name=f"{shortened}-{month}.pdf",
        ),
    )
    return shortened


def _render(
    review: Review,
    config: Config,
    templates: Path | None,
    stem: str,
    *,
    with_pdf: bool,
    with_page: bool,
    revision: Revision | None,
) -> RenderedReview:
    """render_review, with a templates folder's unloadable files as the user's error, in the review's
    language, naming them."""
    try:
        return render_review(
            review, config, templates, stem=stem, with_pdf=with_pdf, with_page=with_page, revision=revision
        )
    except UnloadableFiles as exc:
        lang = review.lang
        if exc.missing:
            raise InputError(exc.folder, "template_file_missing", lang=lang, files=list(exc.missing)) from exc
        raise InputError(exc.folder, "template_url_refused", lang=lang, urls=list(exc.refused)) from exc
