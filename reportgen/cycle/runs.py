"""What a scheduled run does for one team, and the lead's approval after it.

A run takes its lease in the archive first (another service holding it means this one does nothing), then:
no workbook, or the same one as last month → a reminder to the approver (or the sender) with the deadline;
a workbook whose check finds errors → a draft to the approver with the cells, never to management; a clean
one → the review to management, or, with an approver, a draft that waits for `reportgen approve`. Every
step is written to the archive before anyone is told, and every mail goes through the once-only guard.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import getpass
import hashlib
import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reportgen.archive.records import ApprovalRecord, RunRecord
from reportgen.base.catalogue import catalogue, language
from reportgen.base.config import Config, EmailSettings, ScheduleSettings, local_day
from reportgen.base.errors import DeliveryError, ExitCode, InputError, RemoteError, ReportgenError, UsageError
from reportgen.base.states import ApprovalState, Audience, RunState
from reportgen.cycle.decide import REMIND_AHEAD, Decision
from reportgen.cycle.lifecycle import Stage, delivered_from, drafting_run, month_status, where_it_stands
from reportgen.cycle.outcomes import problems
from reportgen.delivery.smtp import send_notice
from reportgen.figures.metrics import shift_month
from reportgen.pipeline.archiving import OpenedArchive
from reportgen.pipeline.jobs import FAILED, Job, Outcome
from reportgen.pipeline.mailing import TargetResult, deliver_review, language_copies, recorded_pdf, send_once
from reportgen.queue.runner import choose_runner

if TYPE_CHECKING:  # the store loads SQLAlchemy: only a command that opens the archive pays for it
    from reportgen.archive.store import Archive

logger = logging.getLogger(__name__)

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
CELLS_IN_DRAFT = 20


@dataclass(frozen=True, slots=True)
class Team:
    """A team the schedule builds for: named by its workbook's stem."""

    key: str
    workbook: Path


def holder_name() -> str:
    """Which service took a lease: host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def teams_of(settings: ScheduleSettings, known: Sequence[RunRecord] = ()) -> list[Team]:
    """The schedule's teams: its one workbook, or each workbook in its folder; a team seen in earlier runs
    whose workbook is gone is still a team (it gets its reminder)."""
    if settings.workbooks.suffix.lower() in WORKBOOK_SUFFIXES or settings.workbooks.is_file():
        return [Team(settings.workbooks.stem, settings.workbooks)]
    found: dict[str, Team] = {}
    if settings.workbooks.is_dir():
        for path in sorted(settings.workbooks.iterdir()):
            if (
                path.is_file()
                and path.suffix.lower() in WORKBOOK_SUFFIXES
                and not path.name.startswith((".", "~$"))
            ):
                found.setdefault(path.stem, Team(path.stem, path))
    for attempt in known:
        workbook = attempt.detail.get("workbook")
        if attempt.team not in found and isinstance(workbook, str):
            found[attempt.team] = Team(attempt.team, Path(workbook))
    return [found[key] for key in sorted(found)]


def out_folder(settings: ScheduleSettings) -> Path:
    if settings.out is not None:
        return settings.out
    base = settings.workbooks if settings.workbooks.is_dir() else settings.workbooks.parent
    return base / "reviews"


def digest_or_none(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def contact(config: Config) -> str | None:
    """Who hears about drafts and reminders: the approver, else the sender."""
    schedule = config.schedule
    return (schedule.approver if schedule else None) or config.email.sender


def only_to(settings: EmailSettings, address: str, lang: str) -> EmailSettings:
    """Mail settings that reach `address` alone, in `lang` (the draft's, so the mail around the PDF speaks
    its language): a draft must never reach management, not even by bcc."""
    return dataclasses.replace(settings, to=(address,), cc=(), bcc=(), language=lang)


def perform(
    archive: Archive,
    config: Config,
    team: Team,
    decision: Decision,
    *,
    today: dt.date,
    holder: str | None = None,
) -> RunRecord | None:
    """Carry out `decision` for `team` under a lease; None when another service holds it (logged)."""
    holder = holder or holder_name()
    sha = digest_or_none(team.workbook)
    detail = {
        "kind": decision.kind,
        "workbook": str(team.workbook),
        "workbook_sha256": sha,
        **decision.recorded,
    }
    run = archive.claim_run(team.key, decision.month, decision.due_at, holder, **detail)
    if run is None:
        logger.info(
            "cycle: %s %s at %s is another service's (lease taken); skipped",
            team.key,
            decision.month,
            decision.due_at.isoformat(),
        )
        return None
    logger.info("cycle: %s %s: %s (%s)", team.key, decision.month, decision.kind, decision.reason or "due")
    try:
        if decision.kind == REMIND_AHEAD:
            return _remind(archive, config, team, run, decision, "ahead")
        if sha is None:
            return _remind(archive, config, team, run, decision, "missing")
        if sha == _last_months_workbook(archive, team, decision.month):
            return _remind(archive, config, team, run, decision, "unchanged")
        status = month_status(archive, team.key, decision.month, config.zone)
        has = delivered_from(archive, status, sha)
        if has is not None:  # sent by hand from this very workbook: nothing new to draft or send
            archive.finish_run(run, RunState.SENT, version=has.version, review_team=status.review_team,
                               already=local_day(has.sent_at, config.zone))  # fmt: skip
            logger.info("cycle: %s %s: management has had version %d of this workbook since %s; nothing sent",
                        team.key, decision.month, has.version, has.sent_at.isoformat())  # fmt: skip
            return run
        return _build_and_deliver(archive, config, team, run, decision, today)
    except DeliveryError as failure:  # the server is down or refused: recorded, retried at the next tick
        archive.finish_run(run, RunState.FAILED, problem=failure.reason("en"),
                           problems=problems(failure.reason))  # fmt: skip
        logger.warning("cycle: %s %s: mail failed: %s", team.key, decision.month, failure.reason("en"))
        return run
    except Exception as bug:  # a bug: the attempt is recorded as failed (retried next tick), then it surfaces
        archive.finish_run(run, RunState.FAILED, problem=f"{type(bug).__name__}: {bug}")
        raise


def _last_months_workbook(archive: Archive, team: Team, month: str) -> str | None:
    """The workbook last month's run used, when that run got as far as a review."""
    earlier = [
        attempt
        for attempt in archive.runs(team.key, shift_month(month, -1))
        if attempt.state in (RunState.SENT, RunState.AWAITING_APPROVAL, RunState.DRAFT_ERRORS)
    ]
    return earlier[0].detail.get("workbook_sha256") if earlier else None


def _language(config: Config) -> str:
    return language(config.email.language)


def _reader_language(config: Config, address: str, otherwise: str | None = None) -> str:
    """The language `address` reads (`[email.languages]`), else `otherwise` (the review's), else the
    config's: the approver's drafts, reminders and notices are in it, like every other reader's mail."""
    return language(config.email.language_of(address), otherwise, config.email.language)


def _remind(
    archive: Archive, config: Config, team: Team, run: RunRecord, decision: Decision, why: str
) -> RunRecord:
    to = contact(config)
    words = catalogue(_reader_language(config, to) if to else _language(config))
    deadline = decision.deadline.isoformat()
    month = decision.month
    if to is None:  # nobody to tell: the record and the log say it
        archive.finish_run(run, RunState.REMINDED, why=why, to=None)
        return run
    text = words.text(
        f"cycle.remind_{why}", team=team.key, month=month, deadline=deadline, workbook=team.workbook
    )
    subject = words.text("cycle.remind_subject", team=team.key, month=month)
    receipt = send_notice(config.email, [to], subject, text + "\n\n" + words.text("mail.signature"))
    archive.finish_run(run, RunState.REMINDED, why=why, to=to, message_id=receipt.message_id)
    return run


def _build_and_deliver(
    archive: Archive, config: Config, team: Team, run: RunRecord, decision: Decision, today: dt.date
) -> RunRecord:
    schedule = config.schedule
    assert schedule is not None  # a run exists only for a config with a schedule
    try:
        out = out_folder(schedule)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(out, "output_unwritable", detail=exc.strerror or str(exc)) from exc
        built = _built(archive, config, team, decision.month, today, out)
    except (
        ReportgenError
    ) as problem:  # an unusable workbook: the team is told why, and the run waits for a fix
        to = contact(config)
        if to is not None:
            words = catalogue(_reader_language(config, to))
            text = words.text(
                "cycle.unusable",
                team=team.key,
                month=decision.month,
                problem=problem.message(words.lang),
                deadline=decision.deadline.isoformat(),
            )
            send_notice(
                config.email,
                [to],
                words.text("cycle.unusable_subject", team=team.key, month=decision.month),
                text,
            )
        archive.finish_run(run, RunState.DRAFT_ERRORS, problem=problem.message("en"),
                           problems=problems(problem.message))  # fmt: skip
        return run
    assert built.pdf is not None and built.build_id is not None  # `_built` raised otherwise
    review_team = built.review_team or team.key
    common: dict[str, object] = {"review_team": review_team, "version": built.version, "pdf": str(built.pdf)}
    errors = built.errors_in(language(built.lang))
    empty = not errors and not built.done  # nothing of the month done: never to management unasked
    if empty:  # the run says why it was held back: none of the month's rows done
        common["rows"] = built.activities or 0
    to = schedule.approver if schedule.approver and not errors else contact(config)
    if errors or empty or schedule.approver:
        if to is None:  # nobody to draft to: the record says so, management gets nothing
            archive.finish_run(run, RunState.DRAFT_ERRORS, to=None, errors=len(errors), empty=empty, **common)
            return run
        # the draft in the approver's language: the build made the review in it too (`reader_languages`);
        # the review's own when no copy was kept. The approval stays keyed by management's PDF
        with language_copies(archive, built.pdf, language(built.lang),
                             [_reader_language(config, to, built.lang)]) as pdfs:  # fmt: skip
            return _draft(archive, config, team, run, decision, built, to, pdfs, common)
    archive.finish_run(run, RunState.SENT, **common)  # recorded before anyone is told
    deliver_review(archive, built.pdf, config, lang=language(built.lang),
                   to=revision_audience(archive, config.email, review_team, decision.month))  # fmt: skip
    return run


def _draft(
    archive: Archive,
    config: Config,
    team: Team,
    run: RunRecord,
    decision: Decision,
    built: Outcome,
    to: str,
    pdfs: dict[str, Path],
    common: dict[str, object],
) -> RunRecord:
    """The draft to `to` (the approver, or the sender): `pdfs` the review by language, the approver's own
    when there is one; the lines before its summary say why it waits and how to approve it."""
    assert built.pdf is not None and built.build_id is not None
    review_team = str(common["review_team"])
    wanted = _reader_language(config, to, built.lang)
    lang = wanted if wanted in pdfs else language(built.lang)
    words = catalogue(lang)
    delivered = archive.delivered(review_team, decision.month)  # a build now revises what management has
    errors = built.errors_in(words.lang)  # each cell's error in the words around it: the approver's
    empty = not errors and not built.done  # nothing of the month done: never to management unasked
    lines: list[str] = []
    if errors:
        lines.append(words.text("cycle.draft_errors", count=len(errors)))
        lines += [f"  {where}: {message}" for where, message in errors[:CELLS_IN_DRAFT]]
        lines.append(words.text("cycle.draft_errors_approve", team=team.key, month=decision.month))
        common["cells"] = [where for where, _ in errors[:CELLS_IN_DRAFT]]
    elif empty:
        lines.append(words.text("cycle.draft_empty", team=team.key, month=decision.month,
                                count=built.activities or 0))  # fmt: skip
    else:
        lines.append(words.text("cycle.draft_approve", team=team.key, month=decision.month))
    if delivered is not None:
        # (the date it replaces is the review's own "Revised" line, below: said once, as the review says it)
        lines.append(words.text("cycle.draft_revision", version=delivered.version))
    pdf_sha256 = hashlib.sha256(built.pdf.read_bytes()).hexdigest()
    turned_down = _rejected_as(archive, team.key, decision.month, pdf_sha256)
    if turned_down is not None:  # the very review the lead rejected (a workbook saved again unchanged)
        decided = local_day(turned_down.decided_at, config.zone) if turned_down.decided_at else ""
        archive.finish_run(run, RunState.REJECTED, same_as=turned_down.approval_id, decided=decided,
                           rejected_by=turned_down.decided_by or "", reason=turned_down.reason or "",
                           **common)  # fmt: skip
        logger.info("cycle: %s %s: the same review as draft %d, rejected; nothing sent", team.key,
                    decision.month, turned_down.approval_id)  # fmt: skip
        return run
    approval = archive.request_approval(built.build_id, review_team, team.key, decision.month, pdf_sha256,
                                        built.pdf, to, errors=len(errors))  # fmt: skip
    state = RunState.DRAFT_ERRORS if errors else RunState.AWAITING_APPROVAL
    archive.finish_run(run, state, to=to, approver=to, approval=approval.approval_id, errors=len(errors),
                       empty=empty, **common)  # fmt: skip
    send_once(
        archive,
        pdfs[lang],
        only_to(config.email, to, lang),
        lang=lang,
        subject=words.text(
            "cycle.draft_errors_subject" if errors else "cycle.draft_subject",
            team=review_team,
            month=decision.month,
        ),  # fmt: skip
        preface="\n".join(lines),
        audience=Audience.APPROVER,
    )
    return run


def _rejected_as(archive: Archive, team: str, month: str, pdf_sha256: str) -> ApprovalRecord | None:
    """A draft of the month with exactly these PDF bytes that the lead rejected, if there is one: it is
    not put before the lead again, so approving can never send what was turned down."""
    for approval in archive.approvals(team, month):
        if approval.state == ApprovalState.REJECTED and approval.pdf_sha256 == pdf_sha256:
            return approval
    return None


def revision_audience(
    archive: Archive, settings: EmailSettings, review_team: str, month: str
) -> list[str] | None:
    """Who a version of the month goes to: the configured audience, and, for a revision, everyone who had
    an earlier version (None: the configured audience alone, as no one else had it)."""
    earlier = archive.management_audience(review_team, month)
    configured = {address.casefold() for address in (*settings.to, *settings.cc, *settings.bcc)}
    extra = [address for address in earlier if address.casefold() not in configured]
    if not extra:
        return None
    return [*settings.to, *extra]


def _built(archive: Archive, config: Config, team: Team, month: str, today: dt.date, out: Path) -> Outcome:
    """The team's review, built where `choose_runner` says: here, recorded in the schedule's archive, or as
    one task on the queue (its worker records it in the archive the schedule and the workers share); its
    files in the out folder. A workbook that cannot be used, or a review the archive did not record, is the
    user error the run reports."""
    job = Job(team.workbook, out, team.workbook.stem, today, config.path, month, config=config)
    runner = choose_runner(config, isolated=False, archive_for=lambda settings: OpenedArchive(archive))
    (outcome,) = runner.run([job], _language(config))
    if outcome.status == FAILED or outcome.pdf is None or outcome.version is None or outcome.build_id is None:
        messages = dict(outcome.messages or {"en": outcome.message or ""})
        code = ExitCode.ARCHIVE_FAILED if outcome.unrecorded else ExitCode.BAD_INPUT
        raise RemoteError(messages, code)
    return outcome


# --- the lead's decision ---


def approve(
    archive: Archive,
    config: Config,
    team: str,
    month: str,
    *,
    with_errors: bool = False,
    by: str | None = None,
) -> tuple[ApprovalRecord, list[TargetResult]]:
    """Send exactly the approved PDF (the same SHA-256 as the draft) to management, and to everyone who had
    an earlier version when it is a revision. The decision is recorded first, by whoever makes it (`by`: the
    signed-in person on serve's page; the OS user for the command line): of two approvals at once, one sends
    and the other is told who approved. A draft with errors of its month needs `with_errors`."""
    approval = _waiting(archive, team, month, config.zone)
    if approval.errors and not with_errors:
        cells = _cells_of(archive, approval)
        raise InputError(None, "draft_has_errors", team=team, month=month, count=approval.errors, cells=cells)
    # the approved bytes: the file, or the archive's copy of that build once a later version wrote over it
    with recorded_pdf(archive, approval.build_id, approval.pdf_path, approval.pdf_sha256) as pdf:
        if pdf is None:
            raise InputError(approval.pdf_path, "approved_pdf_changed", team=team, month=month)
        by = by or getpass.getuser()
        if not archive.decide(approval, ApprovalState.APPROVED, by=by):  # decided meanwhile by someone else
            raise _decided(archive, approval, team, month)
        to = revision_audience(archive, config.email, approval.team, month)
        try:
            results = deliver_review(archive, pdf, config, lang=_language(config), to=to)
        except DeliveryError as failure:
            reached = failure.params.get("accepted") or failure.params.get("delivered", ["—"]) != ["—"]
            if not reached:  # nobody has it: the draft waits again for an approve
                archive.reopen(approval)
                raise
            # approved and delivered to some: `send` of the same PDF reaches the rest, never twice
            raise failure.then("delivery.approved_partly", pdf=str(approval.pdf_path)) from None
    _settle_run(archive, approval, RunState.SENT, approved_by=by, with_errors=bool(approval.errors))
    return approval, results


def reject(archive: Archive, team: str, month: str, reason: str, *, by: str | None = None) -> ApprovalRecord:
    """Record why the draft was turned down, and who did (`by`, else the OS user); the next run builds a new
    version once the workbook changes. A reason is required: it is what everyone who looks at the month
    will read."""
    if not reason.strip():
        raise UsageError("reason_needed")
    approval = _waiting(archive, team, month)
    by = by or getpass.getuser()
    if not archive.decide(approval, ApprovalState.REJECTED, by=by, reason=reason.strip()):
        raise _decided(archive, approval, team, month)
    _settle_run(archive, approval, RunState.REJECTED, reason=reason.strip(), rejected_by=by)
    return approval


def _waiting(archive: Archive, team: str, month: str, zone: dt.tzinfo | None = None) -> ApprovalRecord:
    """The draft waiting for the lead; else the InputError that says where the month stands instead (its
    days in `zone`, the team's)."""
    status = month_status(archive, team, month, zone)
    for approval in archive.approvals(team, month):
        if approval.state == ApprovalState.PENDING and status.stage != Stage.DELIVERED:
            return approval  # (a draft whose version management got by hand meanwhile waits for nothing)
    if status.stage in (Stage.DELIVERED, Stage.REJECTED, Stage.BLOCKED, Stage.SENDING):
        raise where_it_stands(status)
    raise InputError(None, "nothing_to_approve", team=team, month=month)


def _decided(archive: Archive, approval: ApprovalRecord, team: str, month: str) -> InputError:
    now = next(each for each in archive.approvals(team, month) if each.approval_id == approval.approval_id)
    when = now.decided_at.date().isoformat() if now.decided_at else ""
    return InputError(None, "already_decided", team=team, month=month, state=now.state,
                      by=now.decided_by or "?", when=when)  # fmt: skip


def _cells_of(archive: Archive, approval: ApprovalRecord) -> str:
    drafted = drafting_run(archive, approval)
    return ", ".join(str(cell) for cell in drafted.detail.get("cells", [])) if drafted else ""


def _settle_run(archive: Archive, approval: ApprovalRecord, state: str, **detail: object) -> None:
    for attempt in archive.runs(approval.schedule_team, approval.month):
        if (
            attempt.detail.get("approval") == approval.approval_id
            or attempt.state == RunState.AWAITING_APPROVAL
        ):
            archive.finish_run(attempt, state, **detail)
            return
