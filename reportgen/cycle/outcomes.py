"""What became of a version, in words: management's copies and the drafts to the approver apart (a draft
is never a delivery), each send (a repeat told as a repeat, whom it left out and why, a --resend), and each
draft's approval: waiting for whom, or approved or rejected by whom, when and why. One wording for
`reportgen history` (apps/history.py) and serve's history panel and team page (apps/serve/history.py,
apps/serve/overview.py), which may not import each other."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from reportgen.archive.records import ApprovalRecord, SendSummary, Skipped, VersionSummary
from reportgen.base.catalogue import LANGUAGES, Catalogue
from reportgen.base.config import local_minute
from reportgen.base.states import ApprovalState, Audience, SendOutcome

PROBLEMS = "problems"  # in a run's detail: its problem in each language (`problem` keeps the English one)


def problems(message: Callable[[str], str]) -> dict[str, str]:
    """A failure's sentence in every language reportgen speaks, recorded with the run: whoever reads it
    later (`schedule next`, `run-now`, the department page) reads it in their own, not in English."""
    return {lang: message(lang) for lang in LANGUAGES}


def problem_in(detail: Mapping[str, Any], lang: str) -> str:
    """A run's recorded problem in `lang`; a run recorded before problems were kept in each language has
    only its English one."""
    kept = detail.get(PROBLEMS)
    if isinstance(kept, dict) and isinstance(kept.get(lang), str):
        return str(kept[lang])
    return str(detail.get("problem", ""))


UNDELIVERED = (SendOutcome.FAILED, SendOutcome.PARTIAL, SendOutcome.IN_DOUBT)


def refusals_why(refused: Mapping[str, str], words: Catalogue) -> str:
    """Each address a failed send's server refused, with its reply, as the sentence that tells the failure
    puts it (" (boss@…: 550 …)"); empty when no address was refused one by one."""
    listed = "; ".join(f"{address}: {reply}" for address, reply in sorted(refused.items()))
    return words.text("cycle.send_failed_why", refused=listed) if listed else ""


def sends_to(version: VersionSummary, audience: Audience) -> list[SendSummary]:
    """The version's sends of one audience: management's copies, or the drafts to the approver."""
    return [send for build in version.builds for send in build.sends if send.audience == audience]


def reached(sends: Sequence[SendSummary]) -> list[str]:
    """Every address these sends reached, once each."""
    return sorted({address for send in sends for address in send.accepted})


def left_out(send: SendSummary) -> bool:
    """A send that left readers of a language no copy was built in without the review: not delivered."""
    return send.skipped is not None and bool(send.skipped.no_copy)


def skipped_send(send: SendSummary) -> bool:
    """A send that claimed nobody because each address had this PDF already (a repeat), or an earlier send
    to it has no answer yet or is under way: the archive records it "failed" (no address reached), but it
    tried nobody, and `send_line` tells it as a repeat or as "sent nothing", not as a failure. A reader left
    without a copy in their language is not delivered: that send stays a failure."""
    return send.result == SendOutcome.FAILED and not send.claimed and not left_out(send)


def send_result(send: SendSummary) -> str:
    """How a send ended, as `history --json` gives it: its recorded outcome, or "skipped" for a repeat or a
    send held back (its `skipped` says who had it, or was in doubt, since when). A repeat is no failure: a
    script reading "failed" beside `skipped.already` took a repeat for a send that reached nobody."""
    return SendOutcome.SKIPPED if skipped_send(send) else send.result


def management_state(version: VersionSummary) -> str:
    """Where management's copies of the version stand: "sent" (it reached an address), "failed" (a send
    claimed addresses and reached none, or left a reader without a copy in their language: not delivered),
    or "not_sent" (nothing made: no send, or only repeats of what had reached everyone already)."""
    sends = sends_to(version, Audience.MANAGEMENT)
    if reached(sends):
        return "sent"
    if any(send.result in UNDELIVERED and (send.claimed or left_out(send)) for send in sends):
        return "failed"
    return "not_sent"


def skipped_parts(skipped: Skipped, words: Catalogue, zone: dt.tzinfo | None) -> list[str]:
    """Whom a send left out and why, one part per reason and moment: those who had the review already,
    those an earlier send left without an answer or another send was at, the readers of a language no copy
    was built in."""
    separator = words.text("where.list")
    parts = []
    for code, moments in (
        ("already", skipped.already),
        ("in_doubt", skipped.in_doubt),
        ("in_progress", skipped.in_progress),
    ):
        by_when: dict[str, list[str]] = {}
        for address, moment in sorted(moments.items(), key=lambda item: (item[1], item[0])):
            by_when.setdefault(local_minute(moment, zone), []).append(address)
        parts += [
            words.text(f"history.skipped_{code}", addresses=separator.join(addresses), when=when)
            for when, addresses in by_when.items()
        ]
    by_language: dict[str, list[str]] = {}
    for address, reads in sorted(skipped.no_copy.items()):
        by_language.setdefault(reads, []).append(address)
    parts += [
        words.text("history.skipped_no_copy", addresses=separator.join(addresses), reads=reads)
        for reads, addresses in by_language.items()
    ]
    return parts


def send_line(send: SendSummary, words: Catalogue, zone: dt.tzinfo | None) -> str:
    """One send: whose copy it was (management's review or a draft to the approver), how it ended (a repeat
    refused because everyone had the PDF says so, and to whom), whom it left out and why (had it already, in
    doubt, no copy in their language), whether it was a --resend, and each refusal with the server's reply.
    A failure with refusals reads as failed and each refusal, without its recorded detail: that (English)
    error names each refused address with its reply too, so every address stood twice on the line.
    `history show` prints it; serve's team page shows it."""
    separator = words.text("where.list")
    at = local_minute(send.at, zone)
    skipped = send.skipped
    parts = skipped_parts(skipped, words, zone) if skipped is not None else []
    if send.result == SendOutcome.FAILED and not send.claimed and parts:
        assert skipped is not None
        if skipped.already and not (skipped.in_doubt or skipped.in_progress or skipped.no_copy):
            line = words.text("history.send_repeat_of", at=at, had="; ".join(parts))
        else:
            line = words.text("history.send_left_out", at=at, why="; ".join(parts))
        parts = []
    elif send.result == SendOutcome.FAILED and not send.claimed:  # recorded before the archive kept whom
        line = words.text("history.send_repeat", at=at)
    elif send.result == SendOutcome.FAILED and send.detail and not send.refused:
        line = words.text("history.send_failed_why", at=at, detail=send.detail)
    elif send.target != "mail" and send.result == SendOutcome.SENT:  # a bot: its kind and what it answered
        line = words.text("history.send_posted", at=at, accepted=separator.join(send.accepted),
                          kind=send.target, answer=send.message_id or "")  # fmt: skip
    else:
        code = "send_failed_line" if send.result == SendOutcome.FAILED else f"send_{send.result}"
        line = words.text(
            f"history.{code}", at=at, accepted=separator.join(send.accepted) or "—", count=len(send.accepted)
        )
    whose = "audience_approver" if send.audience == Audience.APPROVER else "audience_management"
    if skipped is not None and skipped.resend and send.accepted:
        parts.append(words.text("history.resend"))
    refused = [
        words.text("history.refused", address=name, reply=reply) for name, reply in send.refused.items()
    ]
    return "; ".join([words.text(f"history.{whose}", line=line), *parts, *refused])


def draft_text(
    version: VersionSummary, decided: Sequence[ApprovalRecord], words: Catalogue, zone: dt.tzinfo | None
) -> str:
    """The drafts to the approver (how many, to whom, the last when) and what became of the newest one
    awaiting a decision; empty for a version no draft was made of."""
    drafts = sends_to(version, Audience.APPROVER)
    delivered = [send for send in drafts if send.accepted]
    parts = []
    if delivered:
        to = words.text("where.list").join(reached(delivered))
        last = max(send.at for send in delivered)
        parts.append(words.text("history.draft", count=len(delivered), to=to, at=local_minute(last, zone)))
    elif drafts:
        parts.append(words.text("history.draft_failed"))
    approvals = approvals_of(version, decided)
    if approvals:
        parts.append(approval_text(approvals[-1], words, zone))
    return "; ".join(parts)


def approvals_of(version: VersionSummary, decided: Sequence[ApprovalRecord]) -> list[ApprovalRecord]:
    """The approvals asked for the version's builds, oldest first."""
    builds = {build.build_id for build in version.builds}
    return [approval for approval in decided if approval.build_id in builds]


def approval_text(approval: ApprovalRecord, words: Catalogue, zone: dt.tzinfo | None) -> str:
    """A draft's fate: waiting for whom since when, approved / rejected (why) by whom and when, replaced by
    a newer draft, or overtaken by a send by hand that gave management the month first."""
    if approval.state == ApprovalState.PENDING:
        return words.text(
            "history.approval_pending", approver=approval.approver, at=local_minute(approval.created_at, zone)
        )
    at = local_minute(approval.decided_at or approval.created_at, zone)
    by = approval.decided_by or words.text("history.nobody_recorded")
    if approval.state == ApprovalState.APPROVED and approval.errors:  # management got it with its errors
        return words.text("history.approval_approved_errors", by=by, at=at, count=approval.errors)
    if approval.state == ApprovalState.APPROVED:
        return words.text("history.approval_approved", by=by, at=at)
    if approval.state == ApprovalState.REJECTED:
        reason = approval.reason or words.text("history.no_reason")
        return words.text("history.approval_rejected", by=by, at=at, reason=reason)
    if approval.state == ApprovalState.SUPERSEDED:
        return words.text("history.approval_superseded", at=at)
    if approval.state == ApprovalState.OVERTAKEN:  # management got the month by hand before the lead decided
        return words.text("history.approval_overtaken", at=at)
    return approval.state  # a newer state: its name
