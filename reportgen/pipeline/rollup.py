"""The roll-up's pipeline: read each team's month from the archive (the delivered version, else the latest,
marked so; never a workbook) → figures/rollup.py → rendering/rollup.py → files written atomically → (with
--email) delivered to every target once per version, like a team review.

Where a team's month stands is the cycle's knowledge (cycle/lifecycle.py, a layer above this one): the front
end hands it in as `stage_of(team, month)`, which answers its `month_status`."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from reportgen.archive.records import SentVersion
from reportgen.base.config import Config
from reportgen.base.department import is_rollup
from reportgen.base.errors import UsageError
from reportgen.base.files import write_atomic
from reportgen.figures.document import dumps
from reportgen.figures.metrics import shift_month
from reportgen.figures.rollup import Rates, Replaced, Rollup, TeamSource, TeamStatus, rollup, rollup_document
from reportgen.figures.trends import TREND_MONTHS

if TYPE_CHECKING:  # the store loads SQLAlchemy: only a command that opens the archive pays for it
    from reportgen.archive.store import Archive
    from reportgen.delivery.targets import Target
    from reportgen.pipeline.mailing import TargetResult

log = logging.getLogger(__name__)


class Standing(Protocol):
    """Where a team's month stands, as cycle/lifecycle.MonthStatus tells it (the part the roll-up reads)."""

    @property
    def stage(self) -> StrEnum: ...

    @property
    def delivered(self) -> SentVersion | None: ...


StageOf = Callable[[str, str], Standing]  # (team, month) → cycle/lifecycle.month_status
STAGES = {  # a lifecycle stage, when the month has a review, as the roll-up names it
    "delivered": TeamStatus.DELIVERED,
    "awaiting_approval": TeamStatus.AWAITING_APPROVAL,
    "sending": TeamStatus.AWAITING_APPROVAL,  # approved, on its way: "waiting for approval or sending"
    "blocked": TeamStatus.BLOCKED,
    "rejected": TeamStatus.REJECTED,
    "open": TeamStatus.BUILT,
}


def default_teams(archive: Archive, month: str) -> list[str]:
    """Every team with a review of `month` or of the month before: one that skipped this month is missing.
    The department's own roll-ups (base/department.is_rollup) are not a team."""
    names = {
        summary.team for each in (month, shift_month(month, -1)) for summary in archive.versions(month=each)
    }
    return sorted(name for name in names if not is_rollup(name))


def _chosen(
    archive: Archive, team: str, month: str, standing: Standing | None = None
) -> tuple[dict[str, Any] | None, bool]:
    """The version of `team`'s `month` the roll-up reads: the delivered one, else the latest; and whether it
    is the delivered one. None when the month has no review. `standing`: the month's, when already read."""
    documents = archive.month_documents(team, month)
    if not documents:
        return None, False
    sent = standing.delivered if standing is not None else archive.delivered(team, month)
    if sent is not None:
        for document in documents:
            if document["version"] == sent.version:
                return document, True
        return {"version": sent.version, "pdf_path": None, "figures": sent.figures}, True
    return documents[-1], False


def team_source(archive: Archive, team: str, month: str, stage_of: StageOf) -> TeamSource:
    """What the archive holds of one team for the roll-up."""
    standing = stage_of(team, month)
    chosen, delivered = _chosen(archive, team, month, standing)
    before, _ = _chosen(archive, team, shift_month(month, -1))
    months = [shift_month(month, offset) for offset in range(-(TREND_MONTHS - 1), 1)]
    kept = archive.month_kpis(team, months)
    series = tuple((each, _rate(kept.get(each, {}).get("completion_rate"))) for each in months)
    if chosen is None:
        status = TeamStatus.MISSING
    else:
        status = STAGES.get(standing.stage.value, TeamStatus.BUILT)
        if delivered:
            status = TeamStatus.DELIVERED if status is not TeamStatus.AWAITING_APPROVAL else status
    return TeamSource(
        name=team,
        status=status,
        document=chosen["figures"] if chosen else None,
        previous=before["figures"] if before else None,
        version=chosen["version"] if chosen else None,
        delivered=delivered,
        where=chosen.get("pdf_path") if chosen else None,
        series=series,
        built_at=chosen.get("created_at") if chosen else None,
        takeaways=chosen.get("takeaways") or {} if chosen else {},
    )


def _rate(value: Any) -> float | None:
    return None if value is None else float(value)


def department_rates(config: Config) -> Rates | None:
    department = config.department
    if department is None or not department.rates:
        return None
    return Rates(department.currency or "", dict(department.rates), department.rates_date)


def read_rollup(
    archive: Archive,
    config: Config,
    month: str,
    teams: Sequence[str] | None,
    stage_of: StageOf,
    replaced: Replaced | None = None,
) -> Rollup:
    """The roll-up of `teams` (default: `default_teams`) for `month`, from the archive alone; `replaced`:
    the roll-up of the month that reached management before, so a re-issue names the teams changed."""
    started = time.perf_counter()
    names = list(dict.fromkeys(teams)) if teams else default_teams(archive, month)
    names = [name for name in names if not is_rollup(name)]  # the roll-up never reads itself
    if not names:
        raise UsageError("rollup_no_teams", month=month)
    sources = [team_source(archive, name, month, stage_of) for name in names]
    department = config.department.name if config.department and config.department.name else ""
    result = rollup(department, month, sources, department_rates(config), replaced)
    log.info("rollup: %d teams read and summed in %.2f s", len(sources), time.perf_counter() - started)
    return result


@dataclass(frozen=True, slots=True)
class RollupFiles:
    """What `rollup` wrote."""

    pdf: Path | None
    json: Path | None
    result: Rollup


def write_rollup(
    result: Rollup, config: Config, lang: str, pdf_path: Path | None, json_path: Path | None
) -> RollupFiles:
    """The roll-up as a PDF (rendering/rollup.py) and/or its JSON document, each written atomically."""
    if json_path is not None:
        write_atomic(json_path, dumps(rollup_document(result, lang), pretty=True))
    if pdf_path is not None:
        from reportgen.rendering.rollup import render_rollup  # WeasyPrint: only when a PDF is asked for

        started = time.perf_counter()
        data = render_rollup(result, config, lang)
        write_atomic(pdf_path, data)
        log.info("rollup: PDF %s in %.2f s", pdf_path, time.perf_counter() - started)
    return RollupFiles(pdf_path, json_path, result)


def rollup_in_each_language(
    result: Rollup,
    config: Config,
    lang: str,
    pdf: Path,
    also: Sequence[str] = (),
    announce: Callable[[Path], None] = lambda _: None,
) -> dict[str, Path]:
    """The roll-up written to `pdf` in `lang` and, beside it as `<name>.<language>.pdf` (as a team's build
    writes its readers' copies), in every other language a reader takes (`languages_needed`) and those
    `also` names (its approver's): language → PDF, `lang` first. `announce` is told each copy written."""
    pdfs: dict[str, Path] = {lang: pdf}
    for other in [*rollup_languages(config), *also]:
        if other not in pdfs:
            copy = pdf.with_name(f"{pdf.stem}.{other}.pdf")
            pdfs[other] = write_rollup(result, config, other, copy, None).pdf or copy
            announce(pdfs[other])
    return pdfs


def _audience(config: Config) -> list[Target]:
    """Where the roll-up goes: `[department] to` (else `[email] to`) by mail and every chat target."""
    from reportgen.delivery.links import link_maker
    from reportgen.delivery.targets import targets_of

    audience = list(config.department.to) if config.department else []
    return list(targets_of(config, to=audience or None, link_for=link_maker(config.serve)))


def rollup_languages(config: Config) -> list[str]:
    """The languages the roll-up's readers take by name (`[email.languages]`, a chat target's `language`)."""
    from reportgen.delivery.targets import languages_needed

    return languages_needed(_audience(config))


def rollup_targets(config: Config) -> list[Target]:
    """Where the roll-up goes (`_audience`); refused (a user error) when one cannot be delivered to, so a
    caller can ask before it records anything."""
    from reportgen.delivery.targets import check_targets

    targets = _audience(config)
    try:
        check_targets(targets)
    except UsageError as refused:  # the roll-up has no --to: say where its readers are set
        if refused.code != "no_recipients":
            raise
        raise UsageError("rollup_no_recipients") from refused
    return targets


def deliver_rollup(
    archive: Archive, config: Config, pdfs: dict[str, Path], lang: str, *, resend: bool = False
) -> list[TargetResult]:
    """The roll-up to `rollup_targets`, each in its readers' language (`pdfs`: language → the roll-up in it),
    at most once per version (`deliver_everywhere`'s ledger, keyed by the PDF's bytes: a roll-up whose teams
    changed is a new version and goes out again)."""
    from reportgen.pipeline.mailing import deliver_everywhere

    return deliver_everywhere(archive, pdfs, lang, rollup_targets(config), resend=resend, lang=lang)
