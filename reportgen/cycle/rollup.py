"""The department's roll-up in the monthly schedule (docs/cycle.md, "The department's roll-up").

On `[department] day`, at `[schedule] time` in its zone, the roll-up of the month just ended is built from
what the archive holds (each team's delivered version, else its latest, marked; the teams still missing
named) and recorded as a version of the reserved team `DEPARTMENT_TEAM`, so the runs' leases, the approvals,
the once-only ledger and `history` treat it like a team's review. Without `[department] approver` it goes to
`[department] to` and every chat target at once; with one, the approver gets a draft by mail only, and
`reportgen approve department MONTH` delivers exactly that PDF (`reject` records why). When it runs is the
teams' rule (`decide.decide`) over the roll-up's own calendar: its day, no reminder, retried daily until the
month's end after a failure, or after a rejection once a team's review changed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import getpass
import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from reportgen.archive.records import ApprovalRecord, BuildRecord, RecordedBuild, RunRecord
from reportgen.base.catalogue import catalogue, language
from reportgen.base.config import Config, ScheduleSettings, local_day
from reportgen.base.department import DEPARTMENT_TEAM, is_rollup
from reportgen.base.errors import DeliveryError, InputError, ReportgenError
from reportgen.base.states import ApprovalState, Audience, RunState
from reportgen.cycle.calendar import zone_of
from reportgen.cycle.decide import Decision, decide
from reportgen.cycle.lifecycle import Stage, month_status, where_it_stands
from reportgen.cycle.outcomes import problems
from reportgen.cycle.runs import _decided, _settle_run, holder_name, only_to, out_folder
from reportgen.figures.document import dumps
from reportgen.figures.rollup import Rollup, TeamStatus, rollup_document
from reportgen.pipeline.mailing import NOTHING_NEW, TargetResult, language_copies, recorded_pdf, send_once
from reportgen.pipeline.rollup import (
    default_teams,
    deliver_rollup,
    read_rollup,
    rollup_in_each_language,
    rollup_languages,
    write_rollup,
)
from reportgen.wording.text import department_name

if TYPE_CHECKING:  # the store loads SQLAlchemy: only a command that opens the archive pays for it
    from reportgen.archive.store import Archive

logger = logging.getLogger(__name__)

ROLLUP_KIND = "rollup"


def rollup_schedule(config: Config) -> ScheduleSettings | None:
    """The roll-up's calendar: `[schedule]` with `[department] day` and approver, no reminder, retries until
    the month's last day; None when the schedule makes no roll-up (no `[schedule]` or `[department] day`)."""
    department, schedule = config.department, config.schedule
    if schedule is None or department is None or department.day is None:
        return None
    return dataclasses.replace(
        schedule, day=department.day, approver=department.approver, remind_days=0, cutoff_day=31
    )


def is_department(name: str, config: Config) -> bool:
    """Whether a name typed at approve, reject, run-now means the department's roll-up: "department", or
    `[department] name`, in any case."""
    wanted = name.strip().casefold()
    named = config.department.name if config.department and config.department.name else None
    return is_rollup(wanted) or (named is not None and wanted == named.strip().casefold())


def inputs_digest(archive: Archive, month: str) -> str:
    """What the roll-up of `month` would read, as a SHA-256: each team with its stage, its latest version
    and the version management has. A rejected roll-up is drafted again only once this changes."""
    parts = []
    for team in default_teams(archive, month):
        status = month_status(archive, team, month)
        latest = max((each.version for each in archive.versions(team, month)), default=0)
        parts.append([team, status.stage.value, latest, status.delivered.version if status.delivered else 0])
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def rollup_decision(
    now: dt.datetime, settings: ScheduleSettings, attempts: Sequence[RunRecord], inputs: str | None
) -> Decision:
    """What the roll-up needs at `now` (`settings`: `rollup_schedule`'s; `attempts`: the department's runs):
    `decide`'s answer, where the roll-up's inputs stand for a team's workbook."""
    return decide(now, settings, attempts, inputs)


def tick_rollup(
    archive: Archive, config: Config, now: dt.datetime, since: dt.datetime | None
) -> RunRecord | None:
    """The roll-up's part of a tick: built and drafted or delivered when due (a moment scheduled before the
    service first started is not a missed run); None when nothing was due or another service has it."""
    settings = rollup_schedule(config)
    if settings is None:
        return None
    attempts = archive.runs(DEPARTMENT_TEAM)
    decision = rollup_decision(now, settings, attempts, None)
    if decision.kind == "run" and decision.reason == "retry":  # the inputs only matter for a retry
        decision = rollup_decision(now, settings, attempts, inputs_digest(archive, decision.month))
    if decision.kind != "run":
        return None
    if since is not None and decision.reason == "due" and decision.due_at < since:
        return None  # scheduled before this service existed: nothing was missed
    return perform_rollup(archive, config, decision, today=now.astimezone(zone_of(settings)).date())


def perform_rollup(
    archive: Archive, config: Config, decision: Decision, *, today: dt.date, holder: str | None = None
) -> RunRecord | None:
    """Build the roll-up of `decision.month` under the run's lease, record it, then draft it to the approver
    or deliver it; None when another service holds the lease (logged). A failure is recorded (retried at
    the next tick)."""
    settings = rollup_schedule(config)
    assert settings is not None  # only a config with a roll-up day decides a roll-up
    holder = holder or holder_name()
    inputs = inputs_digest(archive, decision.month)
    run = archive.claim_run(DEPARTMENT_TEAM, decision.month, decision.due_at, holder, kind=ROLLUP_KIND,
                            workbook_sha256=inputs, **decision.recorded)  # fmt: skip
    if run is None:
        logger.info("cycle: the roll-up of %s at %s is another service's (lease taken); skipped",
                    decision.month, decision.due_at.isoformat())  # fmt: skip
        return None
    logger.info("cycle: the roll-up of %s (%s)", decision.month, decision.reason or "due")
    try:
        _build_and_deliver(archive, config, settings, run, decision.month, inputs, today)
    except (DeliveryError, ReportgenError) as failure:  # mail down, or nothing to roll up: retried next tick
        said = failure.reason if isinstance(failure, DeliveryError) else failure.message
        problem = said("en")
        archive.finish_run(run, RunState.FAILED, problem=problem, problems=problems(said))
        logger.warning("cycle: the roll-up of %s failed: %s", decision.month, problem)
    except Exception as bug:  # a bug: recorded as failed (retried next tick), then it surfaces
        archive.finish_run(run, RunState.FAILED, problem=f"{type(bug).__name__}: {bug}")
        raise
    return run


def _build_and_deliver(
    archive: Archive,
    config: Config,
    settings: ScheduleSettings,
    run: RunRecord,
    month: str,
    inputs: str,
    today: dt.date,
) -> None:
    lang = language(config.email.language)
    approver = settings.approver
    # the approver reads the draft in their own language (`[email.languages]`), as a team's approver does
    approver_lang = language(config.email.language_of(approver), lang) if approver else lang
    result = read_rollup(archive, config, month, None,
                         lambda team, each: month_status(archive, team, each))  # fmt: skip
    out = out_folder(settings)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(out, "output_unwritable", detail=exc.strerror or str(exc)) from exc
    pdf = out / f"rollup-{month}.pdf"
    write_rollup(result, config, lang, pdf, None)
    recorded, digest = record_rollup(archive, config, result, lang, pdf, inputs, today, also=[approver_lang])
    missing = [row.name for row in result.rows if row.source.status == TeamStatus.MISSING]
    common: dict[str, object] = {"review_team": DEPARTMENT_TEAM, "version": recorded.version, "pdf": str(pdf),
                                 "missing": missing}  # fmt: skip
    if approver is None:
        archive.finish_run(run, RunState.SENT, **common)  # recorded before anyone is told
        deliver(archive, config, pdf)
        return
    approval = archive.request_approval(recorded.build_id, DEPARTMENT_TEAM, DEPARTMENT_TEAM, month, digest,
                                        pdf, approver)  # fmt: skip
    archive.finish_run(run, RunState.AWAITING_APPROVAL, to=approver, approver=approver,
                       approval=approval.approval_id, **common)  # fmt: skip
    audience = ", ".join(config.department.to) if config.department and config.department.to else ""
    try:
        with language_copies(archive, pdf, lang, [approver_lang]) as pdfs:  # the approval stays on `pdf`
            words = catalogue(approver_lang if approver_lang in pdfs else lang)
            lines = [words.text("department_cycle.draft_approve", month=month, to=audience or "—")]
            if missing:
                teams = words.text("where.list").join(missing)
                lines.append(words.text("department_cycle.draft_missing", month=month, teams=teams))
            send_once(archive, pdfs[words.lang], only_to(config.email, approver, words.lang), lang=words.lang,
                      subject=words.text("department_cycle.draft_subject", month=month,
                                         department=department_name(result.department, words)),
                      preface="\n".join(lines), audience=Audience.APPROVER)  # fmt: skip
    except DeliveryError as failure:  # the same teams make the same bytes: the approver has this very PDF
        if failure.stage != NOTHING_NEW:
            raise
        logger.info("cycle: the approver already has this roll-up of %s; it waits for approval again", month)


def record_rollup(
    archive: Archive,
    config: Config,
    result: Rollup,
    lang: str,
    pdf: Path,
    inputs: str,
    today: dt.date,
    also: Sequence[str] = (),
    announce: Callable[[Path], None] = lambda _: None,
) -> tuple[RecordedBuild, str]:
    """The roll-up written to `pdf` recorded as a version of `DEPARTMENT_TEAM`'s month (`inputs`: what it was
    made from, `inputs_digest`), before anyone is told; with it, the roll-up in each other language a reader
    takes, as builds of the same version, so a delivery or an approval later sends exactly this version to
    every reader (`language_copies`). The same inputs are the same version. The record of `pdf`, and its
    SHA-256. `announce` is told each copy written beside `pdf`."""
    recorded: dict[str, tuple[RecordedBuild, str]] = {}
    for language_of, path in rollup_in_each_language(result, config, lang, pdf, also, announce).items():
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        build = archive.record_build(
            BuildRecord(
                team=DEPARTMENT_TEAM,
                month=result.month,
                lang=language_of,
                as_of=result.as_of or today,
                workbook_name=DEPARTMENT_TEAM,
                workbook_sha256=inputs,
                pdf_sha256=digest,
                pdf_path=path,
                kpis={},
                figures=dumps(rollup_document(result, language_of)),
                pdf=data,
            )
        )
        recorded[language_of] = (build, digest)
    return recorded[lang]


def deliver(
    archive: Archive, config: Config, pdf: Path, lang: str | None = None, *, resend: bool = False
) -> list[TargetResult]:
    """The recorded roll-up `pdf` (in `lang`, default the mail's language) to `[department] to` and every
    chat target, each reader in their language (the archive's copies of the same version), once per
    version unless `resend`."""
    lang = lang or language(config.email.language)
    with language_copies(archive, pdf, lang, rollup_languages(config)) as pdfs:
        return deliver_rollup(archive, config, pdfs, lang, resend=resend)


# --- the approver's decision ---


def approve_rollup(
    archive: Archive, config: Config, month: str, *, by: str | None = None
) -> tuple[ApprovalRecord, list[TargetResult]]:
    """Deliver exactly the drafted roll-up (the same SHA-256) to `[department] to` and every chat target;
    the decision is recorded first (of two approvals at once, one delivers, the other is told who did)."""
    approval = _waiting(archive, month, config.zone)
    with recorded_pdf(archive, approval.build_id, approval.pdf_path, approval.pdf_sha256) as pdf:
        if pdf is None:
            raise InputError(approval.pdf_path, "approved_pdf_changed", team=DEPARTMENT_TEAM, month=month)
        by = by or getpass.getuser()
        if not archive.decide(approval, ApprovalState.APPROVED, by=by):
            raise _decided(archive, approval, DEPARTMENT_TEAM, month)
        try:
            results = deliver(archive, config, pdf)
        except DeliveryError as failure:
            reached = failure.params.get("accepted") or failure.params.get("delivered", ["—"]) != ["—"]
            if not reached:  # nobody has it: the draft waits again for an approve
                archive.reopen(approval)
            raise
    _settle_run(archive, approval, RunState.SENT, approved_by=by)
    return approval, results


def _waiting(archive: Archive, month: str, zone: dt.tzinfo) -> ApprovalRecord:
    """The roll-up's draft waiting for the approver; else the InputError saying where the month stands."""
    for approval in archive.approvals(DEPARTMENT_TEAM, month):
        if approval.state == ApprovalState.PENDING:
            return approval
    status = month_status(archive, DEPARTMENT_TEAM, month, zone)
    if status.stage == Stage.DELIVERED and status.delivered is not None:
        raise InputError(None, "rollup_delivered", month=month, version=status.delivered.version,
                         when=local_day(status.delivered.sent_at, zone))  # fmt: skip
    if status.stage == Stage.REJECTED:
        raise where_it_stands(status)
    raise InputError(None, "rollup_nothing_to_approve", month=month)
