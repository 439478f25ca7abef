"""One lifecycle per team and month: where a month stands, and the only steps that move it on.

A month is OPEN until its first review is built; a draft then waits for the lead (AWAITING_APPROVAL), or is
BLOCKED by errors of its month (fix the workbook, or approve it as it is with `--with-errors`); the lead's
decision makes it DELIVERED (management has it) or REJECTED (the reason recorded, a new version needed).
A DELIVERED month is done: nothing drafts or delivers it again unless a revision is asked for
(`schedule run-now --revise`), and a revision goes out labelled as one, to everyone who had the earlier
version. A draft to the approver is never a delivery.

The stage is read from the archive's records (the schedule's runs, the approvals, the sends to management),
never kept beside them, so every service and command sees the same month; the steps are checked against
TRANSITIONS before anything is recorded or anyone is told.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from reportgen.archive.records import ApprovalRecord, RunRecord, SentVersion
from reportgen.base.config import local_day
from reportgen.base.errors import InputError
from reportgen.base.states import ApprovalState, RunState
from reportgen.cycle.names import first_owners, fold

if TYPE_CHECKING:  # the store loads SQLAlchemy: only a command that opens the archive pays for it
    from reportgen.archive.store import Archive


class Stage(StrEnum):
    """Where a team's month stands."""

    OPEN = "open"  # no review built yet (reminders may have gone)
    BLOCKED = "blocked"  # the latest draft has errors of its month, or the workbook could not be used
    AWAITING_APPROVAL = "awaiting_approval"  # a clean draft waits for the lead
    REJECTED = "rejected"  # the lead turned the latest draft down: a changed workbook makes the next
    SENDING = "sending"  # approved: its delivery to management is under way (or stopped with no answer)
    DELIVERED = "delivered"  # management has a version: done, unless a revision is asked for


class Step(StrEnum):
    """What can happen to a month."""

    DRAFTED = "drafted"  # a clean draft to the approver
    DRAFTED_WITH_ERRORS = (
        "drafted_with_errors"  # a draft with errors (or an unusable workbook) to the approver
    )
    DELIVERED = "delivered"  # the review to management (no approver: straight after the build)
    APPROVED = "approved"  # the lead approved the draft: it goes to management
    REJECTED = "rejected"
    REVISION = "revision"  # someone asked for a revision of a delivered month


TRANSITIONS: dict[Stage, dict[Step, Stage]] = {
    Stage.OPEN: {
        Step.DRAFTED: Stage.AWAITING_APPROVAL,
        Step.DRAFTED_WITH_ERRORS: Stage.BLOCKED,
        Step.DELIVERED: Stage.DELIVERED,
    },
    Stage.BLOCKED: {
        Step.DRAFTED: Stage.AWAITING_APPROVAL,
        Step.DRAFTED_WITH_ERRORS: Stage.BLOCKED,
        Step.DELIVERED: Stage.DELIVERED,
        Step.APPROVED: Stage.DELIVERED,  # `approve --with-errors`
        Step.REJECTED: Stage.REJECTED,
    },
    Stage.AWAITING_APPROVAL: {
        Step.DRAFTED: Stage.AWAITING_APPROVAL,  # a changed workbook: the newer draft supersedes
        Step.DRAFTED_WITH_ERRORS: Stage.BLOCKED,
        Step.APPROVED: Stage.DELIVERED,
        Step.REJECTED: Stage.REJECTED,
    },
    Stage.REJECTED: {
        Step.DRAFTED: Stage.AWAITING_APPROVAL,
        Step.DRAFTED_WITH_ERRORS: Stage.BLOCKED,
        Step.DELIVERED: Stage.DELIVERED,
    },
    Stage.SENDING: {},  # the send's answer moves it: delivered, or (nobody reached) waiting again
    Stage.DELIVERED: {
        Step.REVISION: Stage.OPEN,  # the revision is then drafted (or delivered) like a first review
    },
}


def after(stage: Stage, step: Step) -> Stage:
    """The stage `step` leads to from `stage`; ValueError for a step the lifecycle does not allow (a bug in
    the caller: the commands check `allowed` first and say why not)."""
    following = TRANSITIONS[stage].get(step)
    if following is None:
        raise ValueError(f"{step} is not a step a month can take when {stage}")
    return following


def allowed(stage: Stage, step: Step) -> bool:
    return step in TRANSITIONS[stage]


@dataclass(frozen=True, slots=True)
class FailedApproval:
    """A draft the lead approved whose send to management then reached nobody, so it waits again: who
    approved, when the send failed, and each address refused with the server's reply."""

    by: str
    failed_at: dt.datetime
    refused: dict[str, str]  # empty: the server was not reached, or refused the message as a whole


@dataclass(frozen=True, slots=True)
class MonthStatus:
    """A team's month as the archive tells it: its stage, the draft waiting (or last decided), the version
    management has (when it first got it), and the latest scheduled attempt."""

    team: str  # the schedule's name for the team
    month: str
    stage: Stage
    delivered: SentVersion | None = None
    draft: ApprovalRecord | None = None  # the pending draft, or the latest decided one
    last_run: RunRecord | None = None
    review_team: str | None = None
    zone: dt.tzinfo | None = None  # the team's, whose days the month's answers give (None: this machine's)
    send_failed: FailedApproval | None = None  # the pending draft was approved, then its send reached nobody

    @property
    def revising(self) -> bool:
        """A draft or build of this month now would replace a version management already has."""
        return self.delivered is not None


def review_team_of(runs: list[RunRecord]) -> str | None:
    """The review's name for the schedule's team, from the latest attempt that built."""
    for attempt in sorted(runs, key=lambda run: (run.started_at, run.run_id), reverse=True):
        name = attempt.detail.get("review_team")
        if isinstance(name, str) and name:
            return name
    return None


def month_status(archive: Archive, team: str, month: str, zone: dt.tzinfo | None = None) -> MonthStatus:
    """Where `team`'s `month` stands (`team`: the schedule's name for it, or the review's team); `zone` the
    team's (Config.zone), whose days `where_it_stands` gives."""
    team_runs = archive.runs(team)
    this_month = [run for run in team_runs if run.month == month]
    review_team = review_team_of(this_month) or review_team_of(team_runs) or _named(archive, team)
    runs = [run for run in team_runs if run.month == month and run.state != RunState.CLAIMED]
    last_run = max(runs, key=lambda run: (run.started_at, run.run_id), default=None)
    approvals = archive.approvals(team, month)  # newest first
    delivered = archive.delivered(review_team, month) if review_team else None
    latest = approvals[0] if approvals else None
    unsent = (
        latest is not None
        and latest.state in (ApprovalState.APPROVED, ApprovalState.PENDING)
        and _not_yet_delivered(archive, latest, delivered)
    )
    at = _stage(latest, delivered, last_run, draft_unsent=unsent)
    failed = _failed_approval(archive, latest) if at == Stage.AWAITING_APPROVAL and latest else None
    return MonthStatus(team, month, at, delivered, latest, last_run, review_team, zone, failed)


def _failed_approval(archive: Archive, draft: ApprovalRecord) -> FailedApproval | None:
    """The approval of this very draft whose send to management reached nobody (runs.approve reopens it),
    from the month's steps: a lead told only "waiting for you to approve" had approved, and would not know
    the mail failed or that approving again is what sends it."""
    approved_by: str | None = None
    failed: FailedApproval | None = None
    reopened: FailedApproval | None = None
    for event in archive.events(draft.team, draft.month):  # oldest first
        if event.at < draft.created_at:
            continue
        same = event.detail.get("pdf_sha256") == draft.pdf_sha256
        if event.kind == ApprovalState.APPROVED and same:
            approved_by, failed = str(event.detail.get("by") or "?"), None
        elif event.kind == "send_failed" and event.detail.get("audience") == "management" and approved_by:
            refused = event.detail.get("refused")
            refusals = {str(k): str(v) for k, v in refused.items()} if isinstance(refused, dict) else {}
            failed = FailedApproval(approved_by, event.at, refusals)
        elif event.kind == "reopened" and same and failed is not None:
            reopened, approved_by = failed, None
    return reopened


def _named(archive: Archive, team: str) -> str:
    """The review's team a name means when no scheduled attempt built under it: the team the archive first
    paired it with (a workbook built and sent by hand: `northwind-en` is "Northwind Growth Team"), else the
    name itself. Without it a month sent outside the schedule read as never delivered, and the schedule
    drafted it again as a revision of itself."""
    return first_owners(archive.team_names()).get(fold(team), team)


def _not_yet_delivered(archive: Archive, approval: ApprovalRecord, delivered: SentVersion | None) -> bool:
    """The draft's version has not reached management yet: an approved one's send is under way, or stopped
    before an answer was recorded; a pending one is a first review or a revision of what management has (not
    a version management got meanwhile by hand)."""
    built = archive.build_for_pdf(approval.pdf_sha256)
    return built is not None and (delivered is None or delivered.version < built[3])


def _stage(
    latest: ApprovalRecord | None,
    delivered: SentVersion | None,
    last_run: RunRecord | None,
    *,
    draft_unsent: bool,
) -> Stage:
    """Every rule of where a month stands, in order. `latest`: the newest draft; `draft_unsent`: its version
    has not reached management (an approved one's send is under way, or stopped before its answer)."""
    if latest is not None and latest.state == ApprovalState.APPROVED and draft_unsent:
        return Stage.SENDING
    if latest is not None and latest.state == ApprovalState.PENDING:
        if delivered is not None and not draft_unsent:
            # the draft's version reached management by hand (`send`): nothing to approve. Such a send now
            # records the draft as overtaken (Archive.finish_send); this reads those an older one left pending
            return Stage.DELIVERED
        return Stage.BLOCKED if latest.errors else Stage.AWAITING_APPROVAL
    if latest is not None and latest.state == ApprovalState.REJECTED and delivered is None:
        return Stage.REJECTED  # (a rejected revision leaves management with what it has: delivered)
    if delivered is not None:
        return Stage.DELIVERED
    if last_run is not None and last_run.state == RunState.DRAFT_ERRORS:
        return Stage.BLOCKED  # the workbook could not be used: nothing to approve, a fixed workbook needed
    return Stage.OPEN


def delivered_from(archive: Archive, status: MonthStatus, workbook_sha256: str | None) -> SentVersion | None:
    """The version management has, when it was made from this very workbook (by the schedule, or built and
    sent by hand): a run of the month would build nothing new. None when management has nothing yet, or a
    version of another workbook (a run then drafts a revision of it)."""
    delivered = status.delivered
    if delivered is None or status.review_team is None or workbook_sha256 is None:
        return None
    kept = [
        each
        for each in archive.versions(status.review_team, status.month)
        if each.version == delivered.version
    ]
    return delivered if kept and kept[0].workbook_sha256 == workbook_sha256 else None


def refuse_step(status: MonthStatus, step: Step) -> None:
    """An InputError (exit 1) saying why `step` cannot be taken now and what would move the month on."""
    if not allowed(status.stage, step):
        raise where_it_stands(status)


def where_it_stands(status: MonthStatus) -> InputError:
    """The month's stage as the user error a command answers with when the month cannot move as asked:
    when it was delivered, who waits since when, who rejected it and why, and the command that moves it."""
    when = local_day(status.delivered.sent_at, status.zone) if status.delivered else ""
    version = status.delivered.version if status.delivered else 0
    draft = status.draft
    return InputError(
        None,
        f"month_{status.stage.value}",
        team=status.team,
        month=status.month,
        when=when,
        version=version,
        approver=draft.approver if draft else "",
        since=local_day(draft.created_at, status.zone) if draft else "",
        decided=local_day(draft.decided_at, status.zone) if draft and draft.decided_at else "",
        reason=(draft.reason or "") if draft else "",
        by=(draft.decided_by or "") if draft else "",
    )


def drafting_run(archive: Archive, approval: ApprovalRecord) -> RunRecord | None:
    """The scheduled attempt that drafted `approval` (its workbook, the cells it named)."""
    for attempt in archive.runs(approval.schedule_team, approval.month):
        if attempt.detail.get("approval") == approval.approval_id:
            return attempt
    return None


def refuse_rejected_again(archive: Archive, status: MonthStatus, workbook_sha256: str | None) -> None:
    """A draft the lead turned down is not drafted again from the same workbook (it would be the same
    review, waiting to be approved after all): the InputError saying who rejected it, when and why, and
    what management keeps when it was a revision."""
    draft = status.draft
    if draft is None or draft.state != ApprovalState.REJECTED:
        return
    drafted = drafting_run(archive, draft)
    if drafted is None or drafted.detail.get("workbook_sha256") != workbook_sha256:
        return
    if status.delivered is None:
        raise where_it_stands(status)
    raise InputError(
        None,
        "revision_rejected",
        team=status.team,
        month=status.month,
        by=draft.decided_by or "",
        decided=local_day(draft.decided_at, status.zone) if draft.decided_at else "",
        reason=draft.reason or "",
        version=status.delivered.version,
        when=local_day(status.delivered.sent_at, status.zone),
    )
