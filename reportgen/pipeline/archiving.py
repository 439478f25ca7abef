"""A build and the archive: what the archive tells the review before it is drawn (its version, the version
already sent, the months the workbook no longer has), and the record of the PDF once it is written.

An archive that cannot be opened, read or written never costs the user the review: the build goes on
without what the archive would have added, the PDF is written, and the ArchiveError (exit 4) is raised
after, naming what was kept."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportgen.archive.records import BuildRecord, RecordedBuild, VersionPlan
from reportgen.base.config import ArchiveSettings
from reportgen.base.errors import ArchiveError, InputError
from reportgen.base.model import Activity, Channel, Mapped, Number, Principle, Source, Status
from reportgen.figures.changes import Revision, review_changes
from reportgen.figures.kpis import MonthKpis, month_kpis
from reportgen.figures.metrics import rows_by_month, shift_month
from reportgen.figures.review import Review, severity_counts
from reportgen.figures.trends import TREND_MONTHS, disagreement_items, headline_result, kpi_trends
from reportgen.wording.documents import figures_document

if TYPE_CHECKING:  # the store loads SQLAlchemy: only a command that opens the archive pays for it
    from reportgen.archive.store import Archive

logger = logging.getLogger(__name__)

EARLIER_MONTHS = 24
"""How far back a build looks in the archive for the months its workbook no longer has: the previous month
and section 3's six trailing months, and two years of an initiative's earlier stages."""


@dataclass(frozen=True, slots=True)
class OpenedArchive:
    """The archive, or why it could not be opened (the build goes on without it and says so after)."""

    archive: Archive | None
    problem: ArchiveError | None = None


def open_for_build(settings: ArchiveSettings) -> OpenedArchive:
    """Open the archive a build records into; a failure is kept, not raised, so the review is still made."""
    from reportgen.archive.store import open_archive  # SQLAlchemy: 0.17 s that --help and check never pay

    try:
        return OpenedArchive(open_archive(settings))
    except ArchiveError as problem:
        logger.warning("archive: %s", problem.message("en"))
        return OpenedArchive(None, problem)


_opened: dict[ArchiveSettings, OpenedArchive] = {}  # this process's archive, opened on its first build


def process_archive(settings: ArchiveSettings) -> OpenedArchive:
    """The archive a long-lived build process (a serve pool worker, a queue worker) records into, opened once
    (a database connection does not cross a fork); one that could not be opened is tried again at the next
    build (a lock may have gone), and meanwhile the build goes on without it."""
    opened = _opened.get(settings)
    if opened is None or opened.archive is None:
        opened = open_for_build(settings)
        if opened.archive is not None:
            _opened[settings] = opened
    return opened


def file_digest(path: Path) -> str:
    try:
        with path.open("rb") as stream:
            return hashlib.file_digest(stream, "sha256").hexdigest()
    except OSError as exc:
        raise InputError(path, "unreadable", detail=exc.strerror or str(exc)) from exc


@dataclass(slots=True)
class ArchiveContext:
    """What a build learns from the archive and what it owes it; `problem` is the first archive failure."""

    archive: Archive | None
    team: str
    workbook_sha256: str
    plan: VersionPlan | None = None
    archived: dict[str, MonthKpis] = field(default_factory=dict)
    earlier: list[Mapped] = field(default_factory=list)
    problem: ArchiveError | None = None

    def look_up(self, month: str, workbook_months: Collection[str] = ()) -> None:
        """This workbook's version of the month, the version sent, the trailing months on file, and the rows
        of the months before it that the workbook lacks (`earlier`, for build_review: the previous month,
        section 3's trailing months, the earlier stages of section 4's initiatives)."""
        if self.archive is None:
            return
        months = [shift_month(month, offset) for offset in range(-(TREND_MONTHS - 1), 1)]
        # every earlier month the archive has: it stands in for a month the workbook lacks or has kept only
        # part of (build.months_with_archive decides)
        missing = [shift_month(month, -offset) for offset in range(1, EARLIER_MONTHS + 1)]
        try:
            self.plan = self.archive.plan_version(self.team, month, self.workbook_sha256)
            self.archived = {
                each: MonthKpis.from_dict(kpis)
                for each, kpis in self.archive.month_kpis(self.team, months).items()
            }
            if missing:
                self.earlier = archived_rows(self.archive.month_rows(self.team, missing))
        except ArchiveError as problem:
            self.fail(problem)

    def fail(self, problem: ArchiveError) -> None:
        logger.warning("archive: %s", problem.message("en"))
        self.problem = self.problem or problem
        self.archive = None


def with_trends(review: Review, archived: dict[str, MonthKpis]) -> Review:
    """The review with its twelve months of headline KPIs; a past month the archive reported differently is
    an "easily overlooked" item of section 1."""
    checked = review.checked
    # the workbook's own months; a month the archive stood in for is the archive's (its review's figures)
    ours = {id(row) for row in checked.rows}
    months = {
        month: rows
        for month, rows in (review.months or rows_by_month(checked.rows)).items()
        if all(id(row) in ours for row in rows)
    }
    trends = kpi_trends(review.month, months, archived, headline_result(review.current))
    overlooked = dict(review.overlooked)
    overlooked[Principle.CONNECTION] = [*overlooked[Principle.CONNECTION], *disagreement_items(trends)]
    return dataclasses.replace(review, kpi_trends=trends, overlooked=overlooked)


def revision_of(plan: VersionPlan | None, review: Review, zone: dt.tzinfo) -> Revision | None:
    """A build of a workbook other than the one whose review was sent revises it: what changed since. The
    send's moment in the team's `zone`, whose day the cover gives, as the review's own date is."""
    if plan is None or plan.last_sent is None or plan.last_sent.version == plan.version:
        return None
    changes = review_changes(plan.last_sent.figures, figures_document(review))
    return Revision(plan.version, plan.last_sent.sent_at.astimezone(zone), changes)


def record_build(
    context: ArchiveContext,
    review: Review,
    workbook: Path,
    pdf_path: Path,
    pdf: bytes,
    figures: bytes,
    keep_workbook: bool,
) -> RecordedBuild | None:
    """Remember the PDF just written, its bytes with it; a failure is kept on the context (the PDF stays where
    it is)."""
    if context.archive is None:
        return None
    counts = severity_counts(review.findings)
    try:
        recorded = context.archive.record_build(
            BuildRecord(
                team=context.team,
                month=review.month,
                lang=review.lang,
                as_of=review.as_of,
                workbook_name=workbook.name,
                workbook_sha256=context.workbook_sha256,
                pdf_sha256=hashlib.sha256(pdf).hexdigest(),
                pdf_path=pdf_path.resolve(),
                kpis=month_kpis(review.current).as_dict(),
                figures=figures,
                errors=counts.errors,
                warnings=counts.warnings,
                infos=counts.infos,
                workbook=workbook.read_bytes() if keep_workbook else None,
                pdf=pdf,  # each version keeps its own bytes, whatever later writes over pdf_path
            )
        )
        logger.info("archive: recorded %s %s as version %d", context.team, review.month, recorded.version)
        return recorded
    except ArchiveError as problem:
        context.fail(problem)
        return None


def archived_rows(months: Mapping[str, list[dict[str, Any]]]) -> list[Mapped]:
    """The rows the archive kept of each month (its latest build's figures document: `activities`), rebuilt
    as the workbook once gave them, months in order and each in sheet order. A month recorded by a reportgen
    that did not keep whole rows yet (no metrics), or whose rows cannot be read back, gives none: better no
    previous month than one with wrong figures."""
    rows: list[Mapped] = []
    for month in sorted(months):
        try:
            rebuilt = [_row(entry) for entry in months[month]]
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            logger.info("archive: the rows of %s were not kept whole (%s); not used", month, exc)
            continue
        if any(row.activity.month != month for row in rebuilt):
            logger.info("archive: the rows of %s are not all dated in it; not used", month)
            continue
        rows.extend(rebuilt)
    return rows


def _row(entry: Mapping[str, Any]) -> Mapped:
    """One activity of a figures document back as the Mapped row it was written from."""
    activity = Activity(
        row=int(entry["row"]),
        date=dt.date.fromisoformat(entry["date"]),
        channel=Channel(entry["channel"]),
        activity=str(entry["activity"]),
        owner=_text(entry.get("owner")),
        goal_text=_text(entry.get("goal_text")),
        principle_text=_text(entry.get("principle_text")),
        status=Status(entry["status"]),
        due=_date(entry.get("due")),
        done_on=_date(entry.get("done_on")),
        cost=_number(entry["cost_unrounded"]),
        metrics={str(name): _number(value) for name, value in dict(entry["metrics"]).items()},
        decision=_text(entry.get("decision")),
        initiative=_text(entry.get("initiative")),
        stage=_text(entry.get("stage")),
        lesson=_text(entry.get("lesson")),
        channel_text=str(entry.get("channel_text") or ""),
        unreadable=frozenset(str(name) for name in entry.get("unreadable") or ()),
    )
    return Mapped(
        activity,
        _text(entry.get("goal")),
        _source(entry["goal_source"]),
        Principle(entry["principle"]),
        _source(entry["principle_source"]),
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _date(value: Any) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(value)


def _number(value: Any) -> Number | None:
    """A number as the workbook gave it: an int, else the Decimal the JSON float was written from."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"not a number: {value!r}")
    return value if isinstance(value, int) else Decimal(repr(value))


def _source(value: Mapping[str, Any]) -> Source:
    return Source(str(value["kind"]), str(value.get("detail") or ""), int(value.get("number") or 0))
