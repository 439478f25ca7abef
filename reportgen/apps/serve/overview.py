"""What the department page and a team's page show, read from the archive (blocking: call in a thread).

Every team the archive or the schedule knows, each with where the chosen month stands (cycle/lifecycle.py
decides the stage; this module words it with its who, when and why) and the step that moves it on; a team's
page with every month, version, build, delivery and decision. The person's roles choose the teams shown and
the actions offered; the routes check them again on every request.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from dataclasses import dataclass, field

from reportgen.apps.serve.identity import Person
from reportgen.archive.records import ApprovalRecord, Event, RunRecord, VersionSummary
from reportgen.archive.store import Archive
from reportgen.base.catalogue import Catalogue
from reportgen.base.config import Config, local_minute
from reportgen.base.department import is_rollup
from reportgen.base.states import ApprovalState, RunState
from reportgen.cycle.lifecycle import MonthStatus, Stage, month_status
from reportgen.cycle.names import fold
from reportgen.cycle.outcomes import problem_in, refusals_why, send_line
from reportgen.cycle.runs import teams_of
from reportgen.cycle.teams import TeamName, UnknownTeam, resolve_team
from reportgen.figures.metrics import shift_month

CELLS_SHOWN = 8
AUDIENCE_SHOWN = 3


def team_url(team: TeamName, page: str = "/team") -> str:
    return f"{page}?name={urllib.parse.quote(team.review, safe='')}"


def every_team(archive: Archive, config: Config) -> list[TeamName]:
    """Each team once: every review's team, every schedule key and every team a run remembers, by name; the
    department's roll-up (`DEPARTMENT_TEAM`) too, last, once the archive holds one, so its stage is a row of
    the department page (docs/department.md), not an address a head has to type."""
    names = [pair.review or pair.alias for pair in archive.team_names()]
    if config.schedule is not None:
        names += [team.key for team in teams_of(config.schedule, archive.runs())]
    found: dict[str, TeamName] = {}
    for name in names:
        if not name:
            continue
        try:
            team = resolve_team(archive, config, name)
        except UnknownTeam:  # a schedule key only runs remember (its workbook gone, no review yet)
            team = TeamName(name, name, (name,))
        found.setdefault(team.review, team)
    return sorted(found.values(), key=lambda team: (is_rollup(team.review), fold(team.review)))


def months_offered(today: dt.date) -> list[str]:
    """The months the department page offers, newest first: the month just ended and eleven before it."""
    last = shift_month(f"{today.year:04d}-{today.month:02d}", -1)
    return [shift_month(last, -back) for back in range(12)]


@dataclass(frozen=True, slots=True)
class MonthLine:
    """A team's month as a row: its stage (a css class and a label), the sentence with who, when and why,
    and the action that moves it on (None: nothing for this person to do)."""

    team: TeamName
    month: str
    stage: str
    label: str
    sentence: str
    action: str | None
    action_href: str | None
    url: str
    role: str | None = None


def month_line(
    archive: Archive, team: TeamName, month: str, words: Catalogue, person: Person | None, zone: dt.tzinfo
) -> MonthLine:
    status = month_status(archive, team.key or team.review, month)
    versions = archive.versions(team.review, month)
    stage, sentence = _stage_words(archive, status, versions, words, zone)
    action, anchor = _action(stage, acts_on(person, team), words, is_rollup(team.review))
    target = f"#m-{month}" if anchor == "decide" else "#upload"
    href = f"{team_url(team)}&month={month}{target}" if action else None
    role = person.role(team) if person else None
    return MonthLine(team, month, stage, words.text(f"web.dept.label_{stage}"), sentence, action, href,
                     team_url(team), role.value if role else None)  # fmt: skip


def _stage_words(
    archive: Archive, status: MonthStatus, versions: list[VersionSummary], words: Catalogue, zone: dt.tzinfo
) -> tuple[str, str]:
    draft = status.draft
    if status.stage == Stage.DELIVERED and status.delivered is not None:
        audience = archive.management_audience(status.review_team or status.team, status.month)
        who = words.text("where.list").join(audience[:AUDIENCE_SHOWN])
        if len(audience) > AUDIENCE_SHOWN:
            who += words.text("web.dept.and_more", count=len(audience) - AUDIENCE_SHOWN)
        return "delivered", words.text(
            "web.dept.stage_delivered",
            when=local_minute(status.delivered.sent_at, zone),
            who=who or "-",
            version=status.delivered.version,
        )
    if status.stage == Stage.AWAITING_APPROVAL and status.send_failed is not None:
        failed = status.send_failed
        why = refusals_why(failed.refused, words)
        when = local_minute(failed.failed_at, zone)
        return "awaiting", words.text("web.dept.stage_send_failed", by=failed.by, when=when, why=why)
    if status.stage == Stage.AWAITING_APPROVAL and draft is not None:
        return "awaiting", words.text(
            "web.dept.stage_awaiting", approver=draft.approver, when=local_minute(draft.created_at, zone)
        )
    if status.stage == Stage.BLOCKED:
        if draft is not None and draft.state == ApprovalState.PENDING and draft.errors:
            cells = _cells(archive, draft)
            return "blocked", words.text(
                "web.dept.stage_blocked", count=draft.errors, cells=cells or "-", approver=draft.approver
            )
        problem = problem_in(status.last_run.detail, words.lang) if status.last_run else ""
        return "blocked", words.text("web.dept.stage_unusable", problem=problem or "-")
    if status.stage == Stage.SENDING and draft is not None:
        when = local_minute(draft.decided_at, zone) if draft.decided_at else "-"
        return "sending", words.text("web.dept.stage_sending", by=draft.decided_by or "?", when=when)
    if status.stage == Stage.REJECTED and draft is not None:
        when = local_minute(draft.decided_at, zone) if draft.decided_at else "-"
        return "rejected", words.text(
            "web.dept.stage_rejected", by=draft.decided_by or "?", when=when, reason=draft.reason or "-"
        )
    if versions:
        newest = versions[0]
        return "built", words.text(
            "web.dept.stage_built", version=newest.version, when=local_minute(newest.created_at, zone)
        )
    reminded = _reminded(archive, status)
    if reminded is not None:
        why, since = reminded
        return why, words.text(f"web.dept.stage_{why}", since=local_minute(since, zone))
    return "open", words.text("web.dept.stage_open")


def _cells(archive: Archive, draft: ApprovalRecord) -> str:
    for attempt in archive.runs(draft.schedule_team, draft.month):
        if attempt.detail.get("approval") == draft.approval_id:
            cells = [str(cell) for cell in attempt.detail.get("cells", [])]
            shown = ", ".join(cells[:CELLS_SHOWN])
            return shown + (" …" if len(cells) > CELLS_SHOWN else "")
    return ""


def _reminded(archive: Archive, status: MonthStatus) -> tuple[str, dt.datetime] | None:
    """ "missing" or "unchanged", and since when (the first such reminder of the month), if the latest run
    reminded for one of them."""
    runs: list[RunRecord] = [
        run for run in archive.runs(status.team, status.month) if run.state == RunState.REMINDED
    ]
    if not runs:
        return None
    latest = max(runs, key=lambda run: (run.started_at, run.run_id))
    why = latest.detail.get("why")
    if why not in ("missing", "unchanged"):
        return None
    first = min(run.started_at for run in runs if run.detail.get("why") == why)
    return str(why), first


def acts_on(person: Person | None, team: TeamName) -> bool:
    """Whether the page offers the person a team's steps (upload, approve, reject): a lead of it or a head;
    the roll-up's only a head's (the routes check again: department.require_decider)."""
    if person is None:
        return True
    return person.leads(team) and (person.is_head or not is_rollup(team.review))


def _action(stage: str, acts: bool, words: Catalogue, rollup: bool = False) -> tuple[str | None, str]:
    """The step that moves the month on, for someone who may take it; a viewer reads. The roll-up has no
    workbook to upload: its only step is the head's decision."""
    if not acts or (rollup and stage not in ("awaiting", "blocked")):
        return None, ""
    if stage == "awaiting":
        return words.text("web.dept.act_decide"), "decide"
    if stage == "blocked":
        return words.text("web.dept.act_fix"), "decide"
    if stage in ("rejected", "missing", "unchanged", "open"):
        return words.text("web.dept.act_upload"), "upload"
    if stage == "built":
        return words.text("web.dept.act_send"), "upload"
    return None, ""


# --- a team's page ---


@dataclass(frozen=True, slots=True)
class BuildLine:
    build_id: int
    lang: str
    at: str
    findings: str
    pdf_url: str | None
    sends: list[str]


@dataclass(frozen=True, slots=True)
class VersionLine:
    version: int
    created: str
    workbook: str
    builds: list[BuildLine]


@dataclass(frozen=True, slots=True)
class MonthBlock:
    line: MonthLine
    versions: list[VersionLine]
    decisions: list[str]
    waiting: ApprovalRecord | None  # the draft a lead may approve or reject now


@dataclass(frozen=True, slots=True)
class TeamView:
    team: TeamName
    months: list[MonthBlock] = field(default_factory=list)


def team_view(
    archive: Archive, team: TeamName, words: Catalogue, person: Person | None, chosen: str, zone: dt.tzinfo
) -> TeamView:
    """Every month of the team the archive holds (and the chosen one), newest first."""
    versions = archive.versions(team.review)
    decisions = archive.decisions(team.key or team.review)
    if team.key and team.key != team.review:
        decisions += [d for d in archive.decisions(team.review) if d not in decisions]
    done_here = [event for event in archive.events(team.review) if event.kind in PAGE_EVENTS]
    months = sorted({v.month for v in versions} | {d.month for d in decisions} | {chosen}, reverse=True)
    blocks = []
    for month in months:
        line = month_line(archive, team, month, words, person, zone)
        shown = [_version(v, team, words, zone) for v in versions if v.month == month]
        decided = [
            _decision(d, words, zone)
            for d in sorted(decisions, key=lambda d: d.approval_id)
            if d.month == month and d.state != ApprovalState.PENDING  # the waiting one: the stage says it
        ]
        decided += [_done(event, words, zone) for event in done_here if event.month == month]
        waiting = next((d for d in decisions if d.month == month and d.state == ApprovalState.PENDING), None)
        blocks.append(MonthBlock(line, shown, decided, waiting))
    return TeamView(team, blocks)


def _version(version: VersionSummary, team: TeamName, words: Catalogue, zone: dt.tzinfo) -> VersionLine:
    builds = []
    for build in version.builds:
        sends = [send_line(send, words, zone) for send in build.sends]  # `history show`'s line, word for word
        url = f"{team_url(team, '/team/pdf')}&build={build.build_id}" if build.pdf_kept else None
        findings = words.text("web.dept.findings", errors=build.errors, warnings=build.warnings)
        builds.append(
            BuildLine(build.build_id, build.lang, local_minute(build.at, zone), findings, url, sends)
        )
    created = local_minute(version.created_at, zone)
    return VersionLine(version.version, created, version.workbook_name, builds)


PAGE_EVENTS = ("page_build", "page_send")


def _done(event: Event, words: Catalogue, zone: dt.tzinfo) -> str:
    """What someone did on the page: who built a version, who sent it to whom."""
    to = event.detail.get("to") or []
    who = words.text("where.list").join(str(address) for address in to) if isinstance(to, list) else ""
    at = local_minute(event.at, zone)
    return words.text(f"web.dept.did_{event.kind}", by=event.detail.get("by", "?"), at=at,
                      version=event.version or "-", to=who or "-")  # fmt: skip


def _decision(approval: ApprovalRecord, words: Catalogue, zone: dt.tzinfo) -> str:
    at = local_minute(approval.decided_at or approval.created_at, zone)
    return words.text(
        f"web.dept.decision_{approval.state}",
        approver=approval.approver,
        by=approval.decided_by or "?",
        at=at,
        since=local_minute(approval.created_at, zone),
        reason=approval.reason or "-",
    )
