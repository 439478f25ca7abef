"""`reportgen history`: what was built and sent, newest first, from the archive; `history show TEAM MONTH`:
the versions of one review and what was sent when.

Each send says whose copy it was: the review to management (a delivery, counted in the "sent" column) or a
draft to the approver (never a delivery: its own column, with what the lead decided, who, when and why)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportgen.archive.records import (
    ApprovalRecord,
    BuildSummary,
    Event,
    SendSummary,
    Skipped,
    VersionSummary,
)
from reportgen.base.catalogue import Catalogue, catalogue
from reportgen.base.files import write_atomic
from reportgen.base.states import ApprovalState, Audience, SendOutcome
from reportgen.cycle.lifecycle import month_status
from reportgen.cycle.outcomes import UNDELIVERED, approval_text, draft_text, reached, sends_to

if TYPE_CHECKING:  # the store loads SQLAlchemy: only a command that opens the archive pays for it
    from reportgen.archive.store import Archive


def local(moment: dt.datetime) -> str:
    """A moment in this machine's time zone, to the minute."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def sent_text(version: VersionSummary, words: Catalogue) -> str:
    """Management's copies only: when the version first reached management, and how many addresses."""
    sends = sends_to(version, Audience.MANAGEMENT)
    addresses = reached(sends)
    if not addresses:
        failed = any(send.result in UNDELIVERED and (send.claimed or left_out(send)) for send in sends)
        return words.text("history.send_failed" if failed else "history.not_sent")
    first = version.sent_at
    assert first is not None
    return words.text("history.sent", at=local(first), count=len(addresses))


def left_out(send: SendSummary) -> bool:
    """A send that left readers of a language no copy was built in without the review: not delivered."""
    return send.skipped is not None and bool(send.skipped.no_copy)


def print_history(archive: Archive, team: str | None, month: str | None, as_json: bool, lang: str) -> None:
    """The table (rich), or with `as_json` the same as a JSON document."""
    versions = archive.versions(team, month)
    decided = archive.decisions(team, month)
    if as_json:
        months = sorted({(version.team, version.month) for version in versions})
        document = {
            "archive": archive.label,
            # where each team's month stands in its lifecycle (cycle/lifecycle.py), as schedule next says it
            "months": [
                {"team": name, "month": when, "stage": month_status(archive, name, when).stage.value}
                for name, when in months
            ],
            "versions": [version_json(version, decided) for version in versions],
        }
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return
    # rich's tables cost 50 ms to import: only the commands that draw one pay it
    from rich.console import Console
    from rich.markup import escape  # a team's name or a path may hold [brackets]
    from rich.table import Table

    words = catalogue(lang)
    console = Console(highlight=False)
    if not versions:
        console.print(escape(words.text("history.empty", archive=archive.label)))
        return
    table = Table(title=escape(words.text("history.title", archive=archive.label)), title_justify="left")
    for column in ("team", "month", "version", "built", "lang", "findings", "sent", "draft", "pdf"):
        table.add_column(escape(words.text(f"history.col_{column}")), overflow="fold")
    for version in versions:
        latest = version.builds[0] if version.builds else None
        cells = (
            version.team,
            version.month,
            str(version.version),
            local(latest.at) if latest else "",
            latest.lang if latest else "",
            findings_text(latest, words) if latest else "",
            sent_text(version, words),
            draft_text(version, decided, words),
            latest.pdf_path if latest else "",
        )
        table.add_row(*(escape(cell) for cell in cells))
    console.print(table)


def findings_text(build: BuildSummary, words: Catalogue) -> str:
    return words.text("history.findings", errors=build.errors, warnings=build.warnings, infos=build.infos)


def print_versions(archive: Archive, team: str, month: str, lang: str) -> None:
    """Every version of one team's month: its workbook, each PDF built of it, each send and its answers."""
    words = catalogue(lang)
    versions = archive.versions(team, month)
    if not versions:
        print(words.text("history.no_review", team=team, month=month, archive=archive.label))
        return
    decided = archive.decisions(team, month)
    for version in reversed(versions):  # oldest first: the story in order
        print(words.text("history.version", version=version.version, workbook=version.workbook_name,
                         sha=version.workbook_sha256[:12], at=local(version.created_at)))  # fmt: skip
        for build in reversed(version.builds):
            print("  " + words.text("history.build", at=local(build.at), lang=build.lang, pdf=build.pdf_path,
                                    findings=findings_text(build, words))
                  + kept_text(build, words))  # fmt: skip
            for send in reversed(build.sends):
                print("    " + send_line(send, words))
            for approval in approvals_of_build(build, decided):
                print("    " + words.text("history.approval", state=approval_text(approval, words)))
    events = archive.events(team, month)
    if events:
        print(words.text("history.events"))
        for event in events:
            number = f" v{event.version}" if event.version is not None else ""
            print(f"  {local(event.at)}{number}  {event_text(event, words)}")


def approvals_of_build(build: BuildSummary, decided: Sequence[ApprovalRecord]) -> list[ApprovalRecord]:
    return [approval for approval in decided if approval.build_id == build.build_id]


def event_text(event: Event, words: Catalogue) -> str:
    """A step's label; an approval or a rejection with who decided it and why."""
    label = words.templates.get(f"history.event_{event.kind}", event.kind)  # a newer kind: its name
    if event.kind in (ApprovalState.APPROVED, ApprovalState.REJECTED) and event.detail.get("by"):
        by, reason = event.detail["by"], event.detail.get("reason")
        if reason:
            return words.text("history.event_decided_why", label=label, by=by, reason=reason)
        return words.text("history.event_decided", label=label, by=by)
    if event.kind in ("page_build", "page_send") and event.detail.get("by"):  # serve's department page
        return words.text("history.event_decided", label=label, by=event.detail["by"])
    if event.kind.startswith("send_") and event.detail.get("audience") == Audience.APPROVER:
        return words.text("history.event_draft", label=label)
    return label


def skipped_parts(skipped: Skipped, words: Catalogue) -> list[str]:
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
            by_when.setdefault(local(moment), []).append(address)
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


def send_line(send: SendSummary, words: Catalogue) -> str:
    """One send: whose copy it was (management's review or a draft to the approver), how it ended (a repeat
    refused because everyone had the PDF says so, and to whom), whom it left out and why (had it already, in
    doubt, no copy in their language), whether it was a --resend, and each refusal with the server's reply."""
    separator = words.text("where.list")
    at = local(send.at)
    skipped = send.skipped
    parts = skipped_parts(skipped, words) if skipped is not None else []
    if send.result == SendOutcome.FAILED and not send.claimed and parts:
        assert skipped is not None
        if skipped.already and not (skipped.in_doubt or skipped.in_progress or skipped.no_copy):
            line = words.text("history.send_repeat_of", at=at, had="; ".join(parts))
        else:
            line = words.text("history.send_left_out", at=at, why="; ".join(parts))
        parts = []
    elif send.result == SendOutcome.FAILED and not send.claimed:  # recorded before the archive kept whom
        line = words.text("history.send_repeat", at=at)
    elif send.result == SendOutcome.FAILED and send.detail:
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


def approval_json(approval: ApprovalRecord) -> dict[str, Any]:
    return {
        "state": approval.state,
        "approver": approval.approver,
        "requested_at": approval.created_at.isoformat(),
        "decided_at": approval.decided_at.isoformat() if approval.decided_at else None,
        "decided_by": approval.decided_by,
        "reason": approval.reason,
        "errors": approval.errors,
        "pdf_sha256": approval.pdf_sha256,
    }


def version_json(version: VersionSummary, decided: Sequence[ApprovalRecord] = ()) -> dict[str, Any]:
    """The version as `history --json` gives it: `sent_at` and `counts` apart for management's copies and
    the drafts to the approver; each send with its audience, each build with its approvals."""
    return {
        "team": version.team,
        "month": version.month,
        "version": version.version,
        "workbook": version.workbook_name,
        "workbook_sha256": version.workbook_sha256,
        "created_at": version.created_at.isoformat(),
        "sent_at": version.sent_at.isoformat() if version.sent_at else None,
        "counts": {
            audience.value: {
                "addresses": len(reached(sends_to(version, audience))),
                "sends": len([send for send in sends_to(version, audience) if send.accepted]),
            }
            for audience in Audience
        },
        "builds": [
            {
                "at": build.at.isoformat(),
                "lang": build.lang,
                "as_of": build.as_of.isoformat(),
                "pdf": build.pdf_path,
                "pdf_sha256": build.pdf_sha256,
                "pdf_kept": build.pdf_kept,
                "findings": {"error": build.errors, "warning": build.warnings, "info": build.infos},
                "sends": [
                    {
                        "at": send.at.isoformat(),
                        "result": send.result,
                        "accepted": list(send.accepted),
                        "refused": send.refused,
                        "subject": send.subject,
                        "message_id": send.message_id,
                        "audience": send.audience,
                        "target": send.target,  # "mail", or the bot's vendor (its answer: message_id)
                        "detail": send.detail,
                        # whom it left out and why, and whether it was a --resend (None: not recorded)
                        "skipped": send.skipped.as_json() if send.skipped is not None else None,
                    }
                    for send in build.sends
                ],
                "approvals": [approval_json(approval) for approval in approvals_of_build(build, decided)],
            }
            for build in version.builds
        ],
    }


def kept_text(build: BuildSummary, words: Catalogue) -> str:
    """Whether the archive holds this build's PDF (`history show --pdf` writes it out), or only its path."""
    return words.text("history.pdf_kept") if build.pdf_kept else words.text("history.pdf_not_kept")


def write_version_pdf(
    archive: Archive, team: str, month: str, version: int | None, out: Path, lang: str
) -> None:
    """`history show --pdf`: the PDF of a version (None: the newest) as the archive kept it, written to `out`
    whole or not at all; said in one line."""
    stored = archive.pdf_of(team=team, month=month, version=version)
    write_atomic(out, stored.data)
    words = catalogue(lang)
    print(words.text("history.pdf_written", version=stored.version, month=stored.month, team=stored.team,
                     at=local(stored.built_at), lang=stored.lang, path=out))  # fmt: skip
