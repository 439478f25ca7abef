"""`reportgen history`: what was built and sent, newest first, from the archive; `history show TEAM MONTH`:
the versions of one review and what was sent when."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import TYPE_CHECKING, Any

from reportgen.archive.records import BuildSummary, SendSummary, VersionSummary
from reportgen.base.catalogue import Catalogue, catalogue

if TYPE_CHECKING:  # the store loads SQLAlchemy: only a command that opens the archive pays for it
    from reportgen.archive.store import Archive


def local(moment: dt.datetime) -> str:
    """A moment in this machine's time zone, to the minute."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def sent_text(version: VersionSummary, words: Catalogue) -> str:
    sends = [send for build in version.builds for send in build.sends]
    reached = sorted({address for send in sends for address in send.accepted})
    if not reached:
        failed = any(send.result in ("failed", "partial", "in_doubt") for send in sends)
        return words.text("history.send_failed" if failed else "history.not_sent")
    first = version.sent_at
    assert first is not None
    return words.text("history.sent", at=local(first), count=len(reached))


def print_history(archive: Archive, team: str | None, month: str | None, as_json: bool, lang: str) -> None:
    """The table (rich), or with `as_json` the same as a JSON document."""
    versions = archive.versions(team, month)
    if as_json:
        document = {"archive": archive.label, "versions": [version_json(version) for version in versions]}
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return
    # rich's tables cost 50 ms to import: only the commands that draw one pay it
    from rich.console import Console
    from rich.table import Table

    words = catalogue(lang)
    console = Console(highlight=False)
    if not versions:
        console.print(words.text("history.empty", archive=archive.label))
        return
    table = Table(title=words.text("history.title", archive=archive.label), title_justify="left")
    for column in ("team", "month", "version", "built", "lang", "findings", "sent", "pdf"):
        table.add_column(words.text(f"history.col_{column}"), overflow="fold")
    for version in versions:
        latest = version.builds[0] if version.builds else None
        table.add_row(
            version.team,
            version.month,
            str(version.version),
            local(latest.at) if latest else "",
            latest.lang if latest else "",
            findings_text(latest, words) if latest else "",
            sent_text(version, words),
            latest.pdf_path if latest else "",
        )
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
    for version in reversed(versions):  # oldest first: the story in order
        print(words.text("history.version", version=version.version, workbook=version.workbook_name,
                         sha=version.workbook_sha256[:12], at=local(version.created_at)))  # fmt: skip
        for build in reversed(version.builds):
            print("  " + words.text("history.build", at=local(build.at), lang=build.lang, pdf=build.pdf_path,
                                    findings=findings_text(build, words)))  # fmt: skip
            for send in reversed(build.sends):
                print("    " + send_line(send, words))
    events = archive.events(team, month)
    if events:
        print(words.text("history.events"))
        for event in events:
            number = f" v{event.version}" if event.version is not None else ""
            label = words.templates.get(f"history.event_{event.kind}", event.kind)  # a newer kind: its name
            print(f"  {local(event.at)}{number}  {label}")


def send_line(send: SendSummary, words: Catalogue) -> str:
    separator = words.text("where.list")
    code = "send_failed_line" if send.result == "failed" else f"send_{send.result}"
    line = words.text(
        f"history.{code}",
        at=local(send.at),
        accepted=separator.join(send.accepted) or "—",
        count=len(send.accepted),
    )
    refused = [
        words.text("history.refused", address=name, reply=reply) for name, reply in send.refused.items()
    ]
    return "; ".join([line, *refused])


def version_json(version: VersionSummary) -> dict[str, Any]:
    return {
        "team": version.team,
        "month": version.month,
        "version": version.version,
        "workbook": version.workbook_name,
        "workbook_sha256": version.workbook_sha256,
        "created_at": version.created_at.isoformat(),
        "sent_at": version.sent_at.isoformat() if version.sent_at else None,
        "builds": [
            {
                "at": build.at.isoformat(),
                "lang": build.lang,
                "as_of": build.as_of.isoformat(),
                "pdf": build.pdf_path,
                "pdf_sha256": build.pdf_sha256,
                "findings": {"error": build.errors, "warning": build.warnings, "info": build.infos},
                "sends": [
                    {
                        "at": send.at.isoformat(),
                        "result": send.result,
                        "accepted": list(send.accepted),
                        "refused": send.refused,
                        "subject": send.subject,
                        "message_id": send.message_id,
                    }
                    for send in build.sends
                ],
            }
            for build in version.builds
        ],
    }
