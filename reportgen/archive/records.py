"""What goes into the archive and what comes out of it, as plain dataclasses: importing them costs nothing
(the database machinery lives in store.py, which only a command that opens the archive loads)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportgen.base.states import Audience


@dataclass(frozen=True, slots=True)
class BuildRecord:
    """What a build hands the archive: who and when, the workbook's fingerprint, the PDF and its figures."""

    team: str
    month: str
    lang: str
    as_of: dt.date
    workbook_name: str
    workbook_sha256: str
    pdf_sha256: str
    pdf_path: Path
    kpis: dict[str, Any]  # the month's headline figures (figures.trends.MonthKpis.as_dict)
    figures: bytes  # the figures document (JSON), as embedded in the PDF
    errors: int = 0
    warnings: int = 0
    infos: int = 0
    workbook: bytes | None = None  # kept only with `keep_workbooks`
    pdf: bytes | None = None  # the PDF's own bytes (SHA-256 `pdf_sha256`): each version keeps its own


@dataclass(frozen=True, slots=True)
class StoredPdf:
    """A build's PDF as the archive kept it: which version, where it was written, and its bytes (checked
    against the SHA-256 recorded when it was built)."""

    build_id: int
    team: str
    month: str
    version: int
    lang: str
    built_at: dt.datetime
    pdf_path: Path  # where the build wrote it (a later version may have written over that file since)
    pdf_sha256: str
    data: bytes


@dataclass(frozen=True, slots=True)
class SentVersion:
    """A version of a team's month that reached someone: when it first did, and the figures it showed."""

    version: int
    sent_at: dt.datetime
    figures: dict[str, Any]


@dataclass(frozen=True, slots=True)
class VersionPlan:
    """What a build of this workbook will be: its version, whether that is new, and the version already
    sent to someone (the one a revision replaces), if any."""

    version: int
    new: bool
    last_sent: SentVersion | None


@dataclass(frozen=True, slots=True)
class RecordedBuild:
    build_id: int
    review_id: int
    version: int


@dataclass(frozen=True, slots=True)
class SendPlan:
    """A send under way: the addresses claimed for it, and why the others are not mailed this time (already
    received on a date, or an earlier send whose outcome is unknown)."""

    send_id: int
    pdf_sha256: str
    to_send: tuple[str, ...]
    already: dict[str, dt.datetime] = field(default_factory=dict)
    in_doubt: dict[str, dt.datetime] = field(default_factory=dict)
    target: str = "mail"  # the kind of target the addresses are of
    in_progress: dict[str, dt.datetime] = field(default_factory=dict)  # another send claimed them just now
    resend: bool = False  # sent again to those who had it (--resend)


@dataclass(frozen=True, slots=True)
class Skipped:
    """Whom a send left out, and why (the `sends.plan` column): each address that had this PDF already, or
    that an earlier send left without an answer, or that another send was at, with when; each reader of a
    language no copy of the review was built in, with that language; and whether it was a --resend."""

    already: dict[str, dt.datetime] = field(default_factory=dict)
    in_doubt: dict[str, dt.datetime] = field(default_factory=dict)
    in_progress: dict[str, dt.datetime] = field(default_factory=dict)
    no_copy: dict[str, str] = field(default_factory=dict)  # address → the language it reads
    resend: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "already": {key: at.isoformat() for key, at in self.already.items()},
            "in_doubt": {key: at.isoformat() for key, at in self.in_doubt.items()},
            "in_progress": {key: at.isoformat() for key, at in self.in_progress.items()},
            "no_copy": dict(self.no_copy),
            "resend": self.resend,
        }

    @classmethod
    def from_json(cls, plan: Any) -> Skipped | None:
        """A send's recorded plan; None for a send recorded before 0007 (or a plan that cannot be read)."""
        if not isinstance(plan, dict):
            return None

        def moments(name: str) -> dict[str, dt.datetime]:
            found = plan.get(name)
            if not isinstance(found, dict):
                return {}
            return {str(key): dt.datetime.fromisoformat(str(at)) for key, at in found.items()}

        no_copy = plan.get("no_copy")
        no_copy = no_copy if isinstance(no_copy, dict) else {}
        return cls(
            already=moments("already"),
            in_doubt=moments("in_doubt"),
            in_progress=moments("in_progress"),
            no_copy={str(key): str(lang) for key, lang in no_copy.items()},
            resend=bool(plan.get("resend")),
        )


@dataclass(frozen=True, slots=True)
class SendSummary:
    at: dt.datetime
    result: str
    accepted: tuple[str, ...]
    refused: dict[str, str]
    subject: str | None
    message_id: str | None
    audience: str = Audience.MANAGEMENT  # whose copy: management's review, or a draft to the approver
    detail: str | None = None  # the failure, as the user was told it
    claimed: int = 0  # the addresses this send claimed (none: each had the PDF already, or was in doubt)
    target: str = "mail"  # the kind of target it went to: "mail", or a chat bot's vendor
    skipped: Skipped | None = None  # whom it left out and why; None: recorded before the archive kept it


@dataclass(frozen=True, slots=True)
class BuildSummary:
    build_id: int
    at: dt.datetime
    lang: str
    as_of: dt.date
    pdf_path: str
    pdf_sha256: str
    errors: int
    warnings: int
    infos: int
    sends: tuple[SendSummary, ...]
    pdf_kept: bool = False  # the archive holds the PDF's bytes (builds recorded before 0004 do not)


@dataclass(frozen=True, slots=True)
class VersionSummary:
    """One version of a team's month as `reportgen history` shows it."""

    team: str
    month: str
    version: int
    workbook_name: str
    workbook_sha256: str
    created_at: dt.datetime
    builds: tuple[BuildSummary, ...]

    @property
    def own_build(self) -> BuildSummary | None:
        """The version's newest build in its own language: the language of its first build (a reader's copy
        in another language is always recorded after the build it copies), so a copy built last does not
        stand for the review in `history`'s table (Archive.own_language is the same rule)."""
        if not self.builds:
            return None
        own = self.builds[-1].lang  # builds: newest first
        return next(build for build in self.builds if build.lang == own)

    @property
    def sent_at(self) -> dt.datetime | None:
        """When this version first reached management, or None: a draft to the approver is no delivery."""
        times = [
            send.at
            for build in self.builds
            for send in build.sends
            if send.accepted and send.audience == Audience.MANAGEMENT
        ]
        return min(times) if times else None


@dataclass(frozen=True, slots=True)
class TeamAlias:
    """One record's names of a team: the review's team (None where the record does not know it: a run
    that built nothing) and the schedule's key or the workbook's stem (None where there is none)."""

    review: str | None
    alias: str | None
    at: dt.datetime  # when the record was made (the newest of its kind): the newest pairing wins
    first: dt.datetime | None = None  # the oldest record of the pairing (None: `at`): a role's name
    # covers the team it was first paired with (cycle/teams.py, `TeamName.owned`)


@dataclass(frozen=True, slots=True)
class Event:
    at: dt.datetime
    team: str | None
    month: str | None
    version: int | None
    kind: str
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One scheduled attempt of a team's month: when it was due, who did it, how it ended."""

    run_id: int
    team: str
    month: str
    due_at: dt.datetime
    holder: str
    state: str
    detail: dict[str, Any]
    started_at: dt.datetime
    finished_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class ApprovalRecord:
    """A draft waiting for the lead (or decided): exactly which PDF management would get."""

    approval_id: int
    build_id: int
    team: str
    schedule_team: str
    month: str
    pdf_sha256: str
    pdf_path: Path
    approver: str
    state: str
    reason: str | None
    created_at: dt.datetime
    decided_at: dt.datetime | None
    decided_by: str | None = None  # who approved or rejected it
    errors: int = 0  # the errors of its month the draft was built with
