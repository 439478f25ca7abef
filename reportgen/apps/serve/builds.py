"""The work done in the pool's processes: plain data in, plain data out (an exception would not unpickle).

Only the pipeline and what it needs are imported here, so a worker that unpickles these functions never
loads Starlette. A build goes to the Runner `choose_runner` picks: in this process, which opens the archive
once (a database connection does not cross processes) and records every review it builds there, as
`reportgen build` does; or on the queue's `reportgen worker`s (they record it), its files written here.
"""

from __future__ import annotations

import datetime as dt
import signal
from dataclasses import dataclass
from pathlib import Path

from reportgen.base.catalogue import LANGUAGES
from reportgen.base.config import Config
from reportgen.base.errors import InputError, ReportgenError
from reportgen.base.logs import LogLevels, log_to_stderr
from reportgen.base.model import Finding
from reportgen.base.scratch import hold_own_folder
from reportgen.figures.metrics import default_month
from reportgen.figures.review import month_findings
from reportgen.pipeline.archiving import process_archive
from reportgen.pipeline.build import check_workbook
from reportgen.pipeline.jobs import FAILED, Job
from reportgen.queue.runner import choose_runner
from reportgen.rendering.background import die_with_parent


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
    path: Path,
    shown_name: str,
    stem: str,
    team: str,
    config: Config,
    as_of: dt.date,
    month: str,
    lang: str,
    use_queue: bool | None = None,
) -> BuiltReview | Problem:
    """The review of one month and language, built where `choose_runner` says (in this pool process, or on a
    `reportgen worker`), its PDF (named as every build names it, the download's and the mail's name) and
    its page written into the upload's folder; the review names the team as the page does (the stored file
    is called `workbook`)."""
    job = Job(
        path,
        path.parent,
        stem,
        as_of,
        month=month,
        lang=lang,
        team=team,
        page=path.with_name(f"review-{month}-{lang}.html"),
        shown_name=shown_name,
        config=config,
    )
    try:
        runner = choose_runner(config, queue=use_queue, isolated=False, archive_for=process_archive)
        (outcome,) = runner.run([job], lang)
    except ReportgenError as exc:  # the queue cannot be used: the page says so, and to try again
        return Problem({each: exc.message(each) for each in LANGUAGES}, 503)
    if (
        outcome.pdf is not None
        and outcome.page is not None
        and (outcome.status != FAILED or outcome.unrecorded)
    ):
        problem = dict(outcome.messages or {}) if outcome.unrecorded else None
        return BuiltReview(outcome.month or month, outcome.lang or lang, outcome.pdf, outcome.page,
                           outcome.version, problem)  # fmt: skip
    messages = outcome.messages or {}
    return Problem({each: messages.get(each, outcome.message or "") for each in LANGUAGES})


def start_worker(levels: LogLevels, parent: int) -> None:
    """A pool process's start: it dies with the `serve` that made it (Linux's parent-death signal: however
    serve ends, SIGKILL included, no build process outlives it), leaves Ctrl-C to serve (which stops the
    pool), and logs to stderr at serve's levels (`-v serve` shows each build's stages and time)."""
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    log_to_stderr(levels)
    hold_own_folder()


def warm() -> None:
    """Submitted once to each fresh worker: unpickling it imports this module, and with it the pipeline,
    before the first upload needs it."""
