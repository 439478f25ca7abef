"""The history panel: what the archive holds for the upload's team, month by month, newest first; each
version with when it was built, whether (and to how many) it reached management, and apart from that the
drafts to the approver with what the lead decided (who, when, why). Read-only, bounded, plain text."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from reportgen.archive.records import ApprovalRecord, VersionSummary
from reportgen.archive.store import Archive
from reportgen.base.catalogue import LANGUAGES, Catalogue
from reportgen.base.config import Config, local_minute
from reportgen.base.errors import ArchiveError, InputError
from reportgen.base.states import ApprovalState, Audience
from reportgen.cycle.outcomes import approvals_of, draft_text, management_state, reached, sends_to
from reportgen.cycle.teams import resolve_team
from reportgen.wording.format import Formatter

MONTHS_SHOWN = 12  # the team's latest months in the archive
VERSIONS_SHOWN = 5  # per month, newest first; older ones are counted


@dataclass(frozen=True, slots=True)
class VersionLine:
    """One version of a month as the panel shows it: every field already text."""

    version: int
    built: str  # the latest build's time, or the version's own
    langs: str  # the languages it was built in
    sent: str  # sent to management when and to how many, or not sent
    state: str  # sent | not_sent | failed: the line's mark
    draft: str = ""  # the drafts to the approver and the lead's decision (who, when, why); empty: none
    decision: str = ""  # pending | approved | rejected | superseded (an ApprovalState), or empty


@dataclass(frozen=True, slots=True)
class MonthLines:
    month: str  # YYYY-MM
    title: str  # October 2026 / 2026年10月
    versions: tuple[VersionLine, ...]
    more: int  # older versions not shown
    awaiting: str = ""  # "a draft waits for lead@… since …": the month's Approve button shows with it


@dataclass(frozen=True, slots=True)
class TeamHistory:
    """The panel: the team's months, or why the archive could not be read."""

    team: str
    months: tuple[MonthLines, ...] = ()
    more_months: int = 0  # months older than those shown
    unavailable: str | None = None


@dataclass(frozen=True, slots=True)
class ArchivedTeam:
    """What the archive holds for a team: its versions, and the drafts waiting for approval by month."""

    versions: list[VersionSummary]
    pending: dict[str, ApprovalRecord]
    decided: tuple[ApprovalRecord, ...] = ()  # every approval of the team, oldest first
    zone: dt.tzinfo | None = None  # the team's time zone (Config.zone): its times are told there


def read_versions(archive: Archive, team: str, config: Config | None = None) -> ArchivedTeam:
    """Every version of the team's reviews (the team named by its review or its workbook: cycle/teams.py),
    newest month first, the approvals asked for them, and the pending drafts of the months shown (blocking:
    call it in a thread). A team nobody knows yet has no history."""
    if config is not None:
        try:
            team = resolve_team(archive, config, team).review
        except InputError:
            return ArchivedTeam([], {}, zone=config.zone)
    versions = archive.versions(team)
    decided = tuple(archive.decisions(team))
    months = sorted({version.month for version in versions}, reverse=True)[:MONTHS_SHOWN]
    pending = {}
    for month in months:
        waiting = [
            approval
            for approval in reversed(decided)
            if approval.month == month and approval.state == ApprovalState.PENDING
        ]
        if waiting:
            pending[month] = waiting[0]
    return ArchivedTeam(versions, pending, decided, config.zone if config is not None else None)


def team_history(team: str, archived: ArchivedTeam | ArchiveError, words: Catalogue) -> TeamHistory:
    """The panel in `words`' language: the latest MONTHS_SHOWN months, VERSIONS_SHOWN versions each."""
    if isinstance(archived, ArchiveError):
        return TeamHistory(team, unavailable=archived.message(words.lang))
    versions = archived.versions
    by_month: dict[str, list[VersionSummary]] = {}
    for version in versions:
        by_month.setdefault(version.month, []).append(version)
    months = sorted(by_month, reverse=True)
    formatter = Formatter(words.lang, "")
    shown = tuple(
        MonthLines(
            month=month,
            title=formatter.month(month),
            versions=tuple(
                version_line(version, words, archived.decided, archived.zone)
                for version in sorted(by_month[month], key=lambda item: -item.version)[:VERSIONS_SHOWN]
            ),
            more=max(0, len(by_month[month]) - VERSIONS_SHOWN),
            awaiting=words.text(
                "web.history_awaiting",
                approver=archived.pending[month].approver,
                at=local_minute(archived.pending[month].created_at, archived.zone),
            )
            if month in archived.pending
            else "",
        )
        for month in months[:MONTHS_SHOWN]
    )
    return TeamHistory(team, shown, max(0, len(months) - MONTHS_SHOWN))


def version_line(
    version: VersionSummary,
    words: Catalogue,
    decided: tuple[ApprovalRecord, ...] = (),
    zone: dt.tzinfo | None = None,
) -> VersionLine:
    """The version's line: management's copies only in `sent`; the drafts to the approver and the lead's
    decision in `draft` (the wording of `reportgen history`'s draft column)."""
    latest = version.builds[0] if version.builds else None
    langs = sorted({build.lang for build in version.builds})
    names = words.text("where.list").join(
        words.text(f"web.lang_{lang}") for lang in langs if lang in LANGUAGES
    )
    state = management_state(version)  # `reportgen history`'s sent column: a reader left out, not delivered
    if state == "sent":
        first = version.sent_at
        assert first is not None
        count = len(reached(sends_to(version, Audience.MANAGEMENT)))
        code = "web.history_sent_one" if count == 1 else "web.history_sent"
        sent = words.text(code, at=local_minute(first, zone), count=count)
    else:
        sent = words.text("web.history_not_delivered" if state == "failed" else "web.history_not_sent")
    approvals = approvals_of(version, decided)
    return VersionLine(
        version=version.version,
        built=local_minute(latest.at if latest else version.created_at, zone),
        langs=names,
        sent=sent,
        state=state,
        draft=draft_text(version, decided, words, zone),
        decision=str(approvals[-1].state) if approvals else "",
    )
