"""What became of a version, in words: management's copies and the drafts to the approver apart (a draft
is never a delivery), and each draft's approval: waiting for whom, or approved or rejected by whom, when and
why. One wording for `reportgen history` (apps/history.py) and serve's history panel (apps/serve/history.py),
which may not import each other."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from reportgen.archive.records import ApprovalRecord, SendSummary, VersionSummary
from reportgen.base.catalogue import Catalogue
from reportgen.base.states import ApprovalState, Audience, SendOutcome


def local(moment: dt.datetime) -> str:
    """A moment in this machine's time zone, to the minute (as `reportgen history` prints it)."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


UNDELIVERED = (SendOutcome.FAILED, SendOutcome.PARTIAL, SendOutcome.IN_DOUBT)


def sends_to(version: VersionSummary, audience: Audience) -> list[SendSummary]:
    """The version's sends of one audience: management's copies, or the drafts to the approver."""
    return [send for build in version.builds for send in build.sends if send.audience == audience]


def reached(sends: Sequence[SendSummary]) -> list[str]:
    """Every address these sends reached, once each."""
    return sorted({address for send in sends for address in send.accepted})


def draft_text(version: VersionSummary, decided: Sequence[ApprovalRecord], words: Catalogue) -> str:
    """The drafts to the approver (how many, to whom, the last when) and what became of the newest one
    awaiting a decision; empty for a version no draft was made of."""
    drafts = sends_to(version, Audience.APPROVER)
    delivered = [send for send in drafts if send.accepted]
    parts = []
    if delivered:
        to = words.text("where.list").join(reached(delivered))
        last = max(send.at for send in delivered)
        parts.append(words.text("history.draft", count=len(delivered), to=to, at=local(last)))
    elif drafts:
        parts.append(words.text("history.draft_failed"))
    approvals = approvals_of(version, decided)
    if approvals:
        parts.append(approval_text(approvals[-1], words))
    return "; ".join(parts)


def approvals_of(version: VersionSummary, decided: Sequence[ApprovalRecord]) -> list[ApprovalRecord]:
    """The approvals asked for the version's builds, oldest first."""
    builds = {build.build_id for build in version.builds}
    return [approval for approval in decided if approval.build_id in builds]


def approval_text(approval: ApprovalRecord, words: Catalogue) -> str:
    """A draft's fate: waiting for whom since when, or approved / rejected (why) by whom and when."""
    if approval.state == ApprovalState.PENDING:
        return words.text(
            "history.approval_pending", approver=approval.approver, at=local(approval.created_at)
        )
    at = local(approval.decided_at or approval.created_at)
    by = approval.decided_by or words.text("history.nobody_recorded")
    if approval.state == ApprovalState.APPROVED:
        return words.text("history.approval_approved", by=by, at=at)
    if approval.state == ApprovalState.REJECTED:
        reason = approval.reason or words.text("history.no_reason")
        return words.text("history.approval_rejected", by=by, at=at, reason=reason)
    if approval.state == ApprovalState.SUPERSEDED:
        return words.text("history.approval_superseded", at=at)
    return approval.state  # a newer state: its name
