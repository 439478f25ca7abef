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
    VersionSummary,
)
from reportgen.base.catalogue import Catalogue, catalogue
from reportgen.base.config import local_minute
from reportgen.base.department import is_rollup
from reportgen.base.files import write_atomic
from reportgen.base.states import ApprovalState, Audience
from reportgen.cycle.lifecycle import month_status
from reportgen.cycle.outcomes import (
    approval_text,
    draft_text,
    management_state,
    reached,
    send_line,
    send_result,
    sends_to,
)

if TYPE_CHECKING:  # the store loads SQLAlchemy: only a command that opens the archive pays for it
    from reportgen.archive.store import Archive


def sent_text(version: VersionSummary, words: Catalogue, zone: dt.tzinfo | None) -> str:
    """Management's copies only: when the version first reached management, and how many addresses."""
    state = management_state(version)
    if state != "sent":
        return words.text("history.send_failed" if state == "failed" else "history.not_sent")
    addresses = reached(sends_to(version, Audience.MANAGEMENT))
    first = version.sent_at
    assert first is not None
    return words.text("history.sent", at=local_minute(first, zone), count=len(addresses))


def print_history(
    archive: Archive, team: str | None, month: str | None, as_json: bool, lang: str, zone: dt.tzinfo | None
) -> None:
    """The table (rich), or with `as_json` the same as a JSON document; its times in `zone`, the team's."""
    versions = archive.versions(team, month)
    decided = archive.decisions(team, month)
    if as_json:
        months = sorted({(version.team, version.month) for version in versions})
        # the roll-up's months: what each of its versions was made of (a team's version is made of a workbook)
        inputs = {
            (name, when): rollup_inputs(archive, name, when) for name, when in months if is_rollup(name)
        }
        document = {
            "archive": archive.label,
            # where each team's month stands in its lifecycle (cycle/lifecycle.py), as schedule next says it
            "months": [
                {"team": name, "month": when, "stage": month_status(archive, name, when).stage.value}
                for name, when in months
            ],
            "versions": [
                version_json(
                    version, decided, inputs.get((version.team, version.month), {}).get(version.version)
                )
                for version in versions
            ],
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
        latest = version.own_build  # not a reader's copy in another language built after it
        cells = (
            version.team,
            version.month,
            str(version.version),
            local_minute(latest.at, zone) if latest else "",
            latest.lang if latest else "",
            findings_text(latest, words) if latest and not is_rollup(version.team) else "",
            sent_text(version, words, zone),
            draft_text(version, decided, words, zone),
            latest.pdf_path if latest else "",
        )
        table.add_row(*(escape(cell) for cell in cells))
    console.print(table)


def findings_text(build: BuildSummary, words: Catalogue) -> str:
    return words.text("history.findings", errors=build.errors, warnings=build.warnings, infos=build.infos)


def print_versions(archive: Archive, team: str, month: str, lang: str, zone: dt.tzinfo | None) -> None:
    """Every version of one team's month: its workbook, each PDF built of it, each send and its answers."""
    words = catalogue(lang)
    versions = archive.versions(team, month)
    if not versions:
        print(words.text("history.no_review", team=team, month=month, archive=archive.label))
        return
    decided = archive.decisions(team, month)
    rollup = is_rollup(versions[0].team)
    inputs = rollup_inputs(archive, versions[0].team, month) if rollup else {}
    for version in reversed(versions):  # oldest first: the story in order
        print(version_text(version, inputs, words, zone))
        for build in reversed(version.builds):
            if rollup:  # no workbook, no findings: what it was built of is above
                line = words.text(
                    "history.build_rollup",
                    at=local_minute(build.at, zone),
                    lang=build.lang,
                    pdf=build.pdf_path,
                )
            else:
                line = words.text("history.build", at=local_minute(build.at, zone), lang=build.lang,
                                  pdf=build.pdf_path, findings=findings_text(build, words))  # fmt: skip
            print("  " + line + kept_text(build, words))
            for send in reversed(build.sends):
                print("    " + send_line(send, words, zone))
            for approval in approvals_of_build(build, decided):
                print("    " + words.text("history.approval", state=approval_text(approval, words, zone)))
    events = steps(archive.events(team, month))
    # a version built in two languages (a reader's copy): each of its builds and sends names its language
    bilingual = {version.version for version in versions if len({build.lang for build in version.builds}) > 1}
    if events:
        print(words.text("history.events"))
        for event in events:
            number = f" v{event.version}" if event.version is not None else ""
            text = event_text(event, words)
            if event.version in bilingual and event.detail.get("lang"):
                text = words.text("history.event_in_lang", step=text, lang=event.detail["lang"])
            print(f"  {local_minute(event.at, zone)}{number}  {text}")


def version_text(
    version: VersionSummary,
    inputs: dict[int, list[tuple[str, int]]],
    words: Catalogue,
    zone: dt.tzinfo | None,
) -> str:
    """A version's heading: a team's names its workbook; the department's roll-up (no workbook) names the
    teams' reviews it was made of, as its figures document recorded them (`rollup_inputs`)."""
    at = local_minute(version.created_at, zone)
    if not is_rollup(version.team):
        return words.text("history.version", version=version.version, workbook=version.workbook_name,
                          sha=version.workbook_sha256[:12], at=at)  # fmt: skip
    teams = [f"{name} v{number}" for name, number in inputs.get(version.version, [])]
    return words.text("history.version_rollup", version=version.version, count=len(teams),
                      teams=words.text("where.list").join(teams) or "—", at=at)  # fmt: skip


def rollup_inputs(archive: Archive, team: str, month: str) -> dict[int, list[tuple[str, int]]]:
    """For the department's roll-up: each version's teams, each with the version of its review it read
    (("Northwind", 2): "Northwind v2" in `history show`, `made_of` in `history --json`), as its figures
    document recorded them; a team the roll-up named as missing (no review) is not one of its inputs."""
    found = {}
    for document in archive.month_documents(team, month):
        rows = document["figures"].get("teams", [])
        found[document["version"]] = [
            (row["team"], row["version"]) for row in rows if isinstance(row, dict) and row.get("version")
        ]
    return found


RUN_TOLD = ("run_sent", "run_awaiting_approval", "run_draft_errors", "run_rejected")


def steps(events: Sequence[Event]) -> list[Event]:
    """The steps `history show` lists, in the order they were recorded (the archive's ids: two at the same
    moment stay in the order they happened), each thing that happened once.

    A scheduled run records how it ended (a `run_*` event) beside the events of what it did, so that most
    outcomes were told twice, and in an order that depends on the path: on the direct path the run's "sent"
    is recorded before the send is tried (so a crash still shows what was under way), on the approve path
    after the send answered. A run's event is left out when another event in the same run's stretch (between
    the run events before and after it) already tells its outcome, with the send's own result:

    - `run_sent` (not one saying management had the version already): a send of that version to management;
    - `run_awaiting_approval`, `run_draft_errors`: the send of that version's draft to the approver;
    - `run_rejected` (not one finding the very PDF rejected before): the lead's rejection, with who and why.

    Every other run event tells what nothing else does and stays: failed, reminded, skipped, management had
    it already, the same draft rejected before, a draft nobody could be sent, a `run_sent` whose send was
    never recorded (the process stopped before it answered)."""
    runs = [index for index, event in enumerate(events) if event.kind.startswith("run_")]
    kept = []
    for index, event in enumerate(events):
        if event.kind in RUN_TOLD and not event.detail.get("already") and not event.detail.get("same_as"):
            before = max((each for each in runs if each < index), default=-1)
            after = min((each for each in runs if each > index), default=len(events))
            stretch = [*events[before + 1 : index], *events[index + 1 : after]]
            if any(_tells(event, other) for other in stretch):
                continue
        kept.append(event)
    return kept


def _tells(run: Event, other: Event) -> bool:
    """Whether `other` tells the outcome of the run's event `run` (see `steps`)."""
    if run.kind == "run_rejected":
        return other.kind == ApprovalState.REJECTED
    audience = Audience.MANAGEMENT if run.kind == "run_sent" else Audience.APPROVER
    return (
        other.kind.startswith("send_")
        and other.version == run.version
        and other.detail.get("audience") == audience
    )


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


def version_json(
    version: VersionSummary,
    decided: Sequence[ApprovalRecord] = (),
    made_of: Sequence[tuple[str, int]] | None = None,
) -> dict[str, Any]:
    """The version as `history --json` gives it: `sent_at` and `counts` apart for management's copies and
    the drafts to the approver; each send with its audience, each build with its approvals. A team's version
    names its workbook and each build's findings; the department's roll-up has neither (null) and names
    instead the teams' reviews it was made of (`made_of`, from `rollup_inputs`; null for a team's)."""
    rollup = is_rollup(version.team)
    return {
        "team": version.team,
        "month": version.month,
        "version": version.version,
        "workbook": None if rollup else version.workbook_name,
        "workbook_sha256": None if rollup else version.workbook_sha256,
        "made_of": [{"team": name, "version": number} for name, number in made_of or ()] if rollup else None,
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
                "findings": None
                if rollup
                else {"error": build.errors, "warning": build.warnings, "info": build.infos},
                "sends": [
                    {
                        "at": send.at.isoformat(),
                        "result": send_result(send),  # a repeat: "skipped", not "failed"
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
    archive: Archive, team: str, month: str, version: int | None, out: Path, lang: str, zone: dt.tzinfo | None
) -> None:
    """`history show --pdf`: the PDF of a version (None: the newest) as the archive kept it, written to `out`
    whole or not at all; said in one line."""
    stored = archive.pdf_of(team=team, month=month, version=version)
    write_atomic(out, stored.data)
    words = catalogue(lang)
    print(words.text("history.pdf_written", version=stored.version, month=stored.month, team=stored.team,
                     at=local_minute(stored.built_at, zone), lang=stored.lang, path=out))  # fmt: skip
