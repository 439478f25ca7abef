"""The work done in the pool's processes: plain data in, plain data out (an exception would not unpickle).

Only the pipeline and what it needs are imported here, so a worker that unpickles these functions never
loads Starlette. Each worker opens the archive once (a database connection does not cross processes) and
records every review it builds there, as `reportgen build` does. With a queue configured ([queue] url), a
build is enqueued for the `reportgen worker`s instead (they record it), and its files are written here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from reportgen.base.catalogue import LANGUAGES
from reportgen.base.config import ArchiveSettings, Config, QueueSettings
from reportgen.base.errors import ArchiveError, InputError, ReportgenError
from reportgen.base.files import write_atomic
from reportgen.base.model import Finding
from reportgen.figures.metrics import default_month
from reportgen.figures.review import month_findings
from reportgen.pipeline.archiving import OpenedArchive, open_for_build
from reportgen.pipeline.build import build_to_files, check_workbook
from reportgen.queue.batches import build_and_wait, read_for_queue
from reportgen.queue.client import QueueClient
from reportgen.queue.messages import BuildRequest, BuildResult

_archives: dict[ArchiveSettings, OpenedArchive] = {}  # this worker's archive, opened on its first build
_queues: dict[QueueSettings, QueueClient] = {}  # this worker's queue, when one is configured


@dataclass(frozen=True, slots=True)
class Problem:
    """A user error as its sentence in each language, with the HTTP status it is shown with."""

    messages: dict[str, str]
    status: int = 422


@dataclass(frozen=True, slots=True)
class CheckedUpload:
    """What the page shows after the check: the findings and the months there is a review for."""

    sheet_lang: str
    team: str  # the name the review and the archive know the team by
    activities: int
    months: tuple[str, ...]
    default_month: str
    findings: tuple[Finding, ...]
    by_month: dict[str, tuple[Finding, ...]]  # what each month's review reports (and its send gate counts)


@dataclass(frozen=True, slots=True)
class BuiltReview:
    """A review built for one month and language: its PDF and its web page, inside the upload's folder; its
    version in the archive, or why the archive could not record it (in each language)."""

    month: str
    lang: str
    pdf: Path
    page: Path
    version: int | None = None
    archive_problem: dict[str, str] | None = None


def _problem(exc: ReportgenError, shown_name: str) -> Problem:
    """The error's sentences with the upload's own name where the message would name the temporary file."""
    if isinstance(exc, InputError) and exc.file is not None:
        exc.file = shown_name
    return Problem({lang: exc.message(lang) for lang in LANGUAGES})


def check_upload(
    path: Path, shown_name: str, stem: str, config: Config, as_of: dt.date
) -> CheckedUpload | Problem:
    """check_workbook, reduced to what the page shows. The team follows the review's rule (the config's team,
    else the sheet's, else the workbook's name) with the name the user uploaded, not the stored file's."""
    try:
        checked = check_workbook(path, config, as_of)
    except ReportgenError as exc:
        return _problem(exc, shown_name)
    months = tuple(sorted({row.activity.month for row in checked.rows}))
    return CheckedUpload(
        sheet_lang=checked.sheet_lang,
        team=config.team or checked.team or stem,
        activities=len(checked.rows),
        months=months,
        default_month=default_month(checked.rows, as_of) or months[-1],
        findings=tuple(checked.findings),
        by_month={month: tuple(month_findings(checked, month)[0]) for month in months},
    )


def build_upload(
    path: Path, shown_name: str, stem: str, team: str, config: Config, as_of: dt.date, month: str, lang: str
) -> BuiltReview | Problem:
    """The pipeline's one build path (`build_to_files`), writing the PDF and the page into the upload's
    folder; the review names the team as the page does (the stored file is called `workbook`)."""
    page = path.with_name(f"review-{month}-{lang}.html")
    pdf = pdf_path(path.parent, stem, month)
    if config.queue.url:
        short_stem = pdf.stem[: -len(month) - 1]  # as pdf_path shortened it
        return _build_on_queue(path, shown_name, short_stem, team, config, as_of, month, lang)
    try:
        built = build_to_files(
            path,
            dataclasses.replace(config, team=team),
            as_of,
            month=month,
            lang=lang,
            pdf_path=pdf,
            stem=stem,
            html_path=page,
            archive=worker_archive(config.archive),
        )
    except ArchiveError as exc:  # raised after the files were written: the review is there, unrecorded
        if not (pdf.is_file() and page.is_file()):
            return _problem(exc, shown_name)
        plain = ArchiveError(exc.code, archive=exc.archive, detail=exc.detail)  # no server paths on the page
        return BuiltReview(month, lang, pdf, page, None, {each: plain.message(each) for each in LANGUAGES})
    except ReportgenError as exc:
        return _problem(exc, shown_name)
    assert built.pdf is not None  # a PDF was asked for
    version = built.recorded.version if built.recorded is not None else None
    return BuiltReview(built.review.month, built.review.lang, built.pdf, page, version)


def _build_on_queue(
    path: Path, shown_name: str, stem: str, team: str, config: Config, as_of: dt.date, month: str, lang: str
) -> BuiltReview | Problem:
    """The same build on a `reportgen worker`: the upload's bytes and the config's text go, the PDF (and its
    table) and the page come back into the upload's folder."""
    page = path.with_name(f"review-{month}-{lang}.html")
    try:
        client = _queues.get(config.queue) or _queues.setdefault(config.queue, QueueClient(config.queue))
        text = config.path.read_text("utf-8") if config.path is not None else None
        request = BuildRequest(
            workbook_name=path.name,
            shown_path=shown_name,
            workbook=read_for_queue(path),
            as_of=as_of,
            stem=stem,
            config_text=text,
            config_path=str(config.path.resolve()) if config.path is not None else None,
            month=month,
            lang=lang,
            team=team,
            page=True,
        )
        answer = build_and_wait(client, request)
    except ReportgenError as exc:
        return _problem(exc, shown_name) if isinstance(exc, InputError) else Problem(_messages(exc), 503)
    except OSError as exc:  # the config could not be read again
        return _problem(InputError(config.path, "config_unreadable", detail=str(exc)), shown_name)
    if answer.refusal is not None or not isinstance(answer.value, BuildResult):
        messages = answer.refusal.messages if answer.refusal else {}
        return Problem({each: messages.get(each, messages.get("en", "")) for each in LANGUAGES})
    result = answer.value
    pdf = path.parent / Path(result.pdf.name).name
    if result.table is not None:
        write_atomic(pdf.with_name(Path(result.table.name).name), result.table.data)
    write_atomic(pdf, result.pdf.data)
    write_atomic(page, result.page or b"")
    return BuiltReview(result.month, result.lang, pdf, page, result.version, result.archive_problem)


def _messages(exc: ReportgenError) -> dict[str, str]:
    return {lang: exc.message(lang) for lang in LANGUAGES}


def worker_archive(settings: ArchiveSettings) -> OpenedArchive:
    """The archive this worker records into, opened once; one that could not be opened is tried again at
    the next build (a lock may have gone), and meanwhile the build goes on without it."""
    opened = _archives.get(settings)
    if opened is None or opened.archive is None:
        opened = open_for_build(settings)
        if opened.archive is not None:
            _archives[settings] = opened
    return opened


def pdf_path(folder: Path, stem: str, month: str) -> Path:
    """The PDF in the upload's folder under the name the user knows (`<stem>-<YYYY-MM>.pdf`, the download's
    name), since the mail attaches it by its file name; a stem too long for a file name is shortened."""
    while len(f"{stem}-{month}.pdf".encode()) > 200:
        stem = stem[:-1]
    return folder / f"{stem}-{month}.pdf"


def warm() -> None:
    """Submitted once to each fresh worker: unpickling it imports this module, and with it the pipeline,
    before the first upload needs it."""
