"""What travels through the queue: a build's request and result, a send's request, a task's refusal. Plain
JSON (bytes as base64), so a worker never unpickles what the broker gives it."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from reportgen.base.catalogue import LANGUAGES
from reportgen.base.errors import InputError, RemoteError, ReportgenError

MB = 1_000_000  # the queue's sizes are told in MB, as the README and docs/queue.md say them


def megabytes(size: int) -> str:
    """A size in the one unit the queue's messages use: '20 MB', '20.3 MB'."""
    return f"{size // MB} MB" if size % MB == 0 else f"{size / MB:.1f} MB"


def encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def decode(text: str) -> bytes:
    """Base64 back to bytes, strictly (nothing but the alphabet and its padding); ValueError when the text is
    no base64 (binascii.Error is one), so a damaged message is a refusal, never a crash."""
    if not isinstance(text, str):
        raise ValueError(f"expected base64 text, got {type(text).__name__}")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError(f"not base64: {exc}") from exc


@dataclass(frozen=True, slots=True)
class BuildRequest:
    """One workbook to build on a worker, with everything that decides its review: the workbook's bytes
    under the name the review shows, the config the front end found (its text and where it was), the as-of
    date, month, language and output stem."""

    workbook_name: str  # the file name the review and the archive know (the team may default to it)
    shown_path: str  # the workbook as the user named it: messages name this, never the worker's copy
    workbook: bytes
    as_of: dt.date
    stem: str
    config_text: str | None = None
    config_path: str | None = None
    month: str | None = None
    lang: str | None = None
    team: str | None = None  # serve: the team as the page names it, over the config's
    page: bool = False  # the web page too (serve's preview)

    def key(self) -> str:
        """The build's identity: the workbook's SHA-256 and every option that changes its review. A task
        delivered twice builds once."""
        options = {name: value for name, value in self.to_message().items() if name != "workbook"}
        options["shown_path"] = None  # where the user keeps the file does not change the review
        options["workbook_sha256"] = hashlib.sha256(self.workbook).hexdigest()
        return hashlib.sha256(json.dumps(options, sort_keys=True).encode()).hexdigest()

    def to_message(self) -> dict[str, Any]:
        message = asdict(self)
        message["workbook"] = encode(self.workbook)
        message["as_of"] = self.as_of.isoformat()
        return message

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> BuildRequest:
        values = dict(message)
        try:
            values["workbook"] = decode(values["workbook"])
        except (KeyError, ValueError) as exc:
            shown = values.get("shown_path") or values.get("workbook_name") or "workbook"
            raise InputError(str(shown), "queue_bad_workbook", detail=str(exc)) from exc
        values["as_of"] = dt.date.fromisoformat(values["as_of"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class OutputFile:
    name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class BuildResult:
    """A built review: the PDF (and the attached table, the web page) as bytes, the figures (the `--json`
    document), what the front ends print, and its version in the worker's archive, or why it has none."""

    key: str
    team: str  # the sheet's (what batch's table shows)
    review_team: (
        str  # the one the review and the archive use (the config's, else the sheet's, else the file's)
    )
    month: str
    lang: str
    pdf: OutputFile
    figures: str
    findings: int = 0
    errors: int = 0
    error_cells: tuple[str, ...] = ()
    # each error of the month as (cell, sentence), by language: the approver's draft names them in theirs
    error_findings: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    # every finding as a line of watch's .log, by language: the log speaks the run's, not the review's
    finding_lines: dict[str, tuple[str, ...]] = field(default_factory=dict)
    table: OutputFile | None = None
    page: bytes | None = None
    version: int | None = None
    build_id: int | None = None
    archive_problem: dict[str, str] | None = None
    worker: str = ""
    seconds: float = 0.0

    def size(self) -> int:
        return len(self.pdf.data) + len(self.table.data if self.table else b"") + len(self.page or b"")

    def to_message(self) -> dict[str, Any]:
        message = asdict(self)
        message["pdf"] = {"name": self.pdf.name, "data": encode(self.pdf.data)}
        message["table"] = {"name": self.table.name, "data": encode(self.table.data)} if self.table else None
        message["page"] = encode(self.page) if self.page is not None else None
        message["error_cells"] = list(self.error_cells)
        message["error_findings"] = {
            lang: [list(pair) for pair in pairs] for lang, pairs in self.error_findings.items()
        }
        message["finding_lines"] = {lang: list(lines) for lang, lines in self.finding_lines.items()}
        return message

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> BuildResult:
        """The answer as this release knows it; a field of a later release's worker is left out (upgrading
        the workers first then never breaks the front ends)."""
        known = {each.name for each in fields(cls)}
        values = {name: value for name, value in message.items() if name in known}
        values["pdf"] = OutputFile(values["pdf"]["name"], decode(values["pdf"]["data"]))
        table = values.get("table")
        values["table"] = OutputFile(table["name"], decode(table["data"])) if table else None
        values["page"] = decode(values["page"]) if values.get("page") is not None else None
        values["error_cells"] = tuple(values.get("error_cells", ()))
        values["error_findings"] = {  # none from a worker of an earlier release: the figures' sentences
            str(lang): tuple((str(where), str(sentence)) for where, sentence in pairs)
            for lang, pairs in (values.get("error_findings") or {}).items()
        }
        values["finding_lines"] = {  # none from a worker of an earlier release: the figures' findings
            str(lang): tuple(str(line) for line in lines)
            for lang, lines in (values.get("finding_lines") or {}).items()
        }
        return cls(**values)


@dataclass(frozen=True, slots=True)
class SendRequest:
    """A built review to mail through the archive's once-only guard, with the config that says how."""

    pdf_name: str
    pdf: bytes
    shown_path: str = ""  # where the front end keeps the PDF: a failure's message names it
    config_text: str | None = None
    config_path: str | None = None
    lang: str | None = None

    def to_message(self) -> dict[str, Any]:
        message = asdict(self)
        message["pdf"] = encode(self.pdf)
        return message

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> SendRequest:
        values = dict(message)
        values["pdf"] = decode(values["pdf"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a task failed for good, in every language ("" is the error's own language), with its exit code
    and, for a send, its delivery stage."""

    messages: dict[str, str]
    exit_code: int
    stage: str | None = None
    workbook: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def message(self, lang: str | None) -> str:
        return self.messages.get(lang or "", self.messages.get("", self.messages.get("en", "")))

    def error(self) -> RemoteError:
        """The refusal as the error a front end raises or prints."""
        return RemoteError(self.messages, self.exit_code)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Refusal:
        return cls(**json.loads(text))

    @classmethod
    def of(cls, exc: ReportgenError, *, stage: str | None = None, workbook: str | None = None) -> Refusal:
        messages = {lang: exc.message(lang) for lang in LANGUAGES}
        messages[""] = exc.message(None)
        return cls(messages, int(exc.exit_code), stage, workbook)


class TaskRefused(Exception):  # noqa: N818 (a refusal, not a bug: the name says what the user sees)
    """Raised by a task that must not be run again (a bad workbook, a mail refused for good): Celery records
    it as the task's failure, and the front end reads the Refusal back from its one argument."""

    def __init__(self, refusal_json: str) -> None:
        super().__init__(refusal_json)
        self.refusal_json = refusal_json

    @property
    def refusal(self) -> Refusal:
        return Refusal.from_json(self.refusal_json)

    def __str__(self) -> str:
        return self.refusal.message("en")
