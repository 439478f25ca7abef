"""The archive itself: open (creating or migrating the schema), record builds and sends, answer history.

Every method runs in its own short transaction and turns a database failure into an ArchiveError that names
the archive (a PostgreSQL url with its password hidden) in the user's language; nothing here ever holds a
lock while a PDF is laid out or a mail is sent.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import urllib.parse
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, SQLAlchemyError

from reportgen import __version__
from reportgen.archive.records import (
    ApprovalRecord,
    BuildRecord,
    BuildSummary,
    Event,
    RecordedBuild,
    RunRecord,
    SendPlan,
    SendSummary,
    SentVersion,
    Skipped,
    StoredPdf,
    TeamAlias,
    VersionPlan,
    VersionSummary,
)
from reportgen.archive.schema import (
    KNOWN_REVISIONS,
    SCHEMA_REVISION,
    approvals,
    builds,
    deliveries,
    events,
    reviews,
    runs,
    sends,
)
from reportgen.base.config import ArchiveSettings
from reportgen.base.errors import ArchiveError, InputError
from reportgen.base.states import (
    LIVE_DELIVERIES,
    REACHED,
    ApprovalState,
    Audience,
    DeliveryState,
    RunState,
    SendOutcome,
)

log = logging.getLogger(__name__)

RUNNING = dt.timedelta(minutes=10)
"""A claim younger than this whose send has no answer yet belongs to a send still running (a mail server's
answer takes seconds, a slow one a few minutes): a second send is told so, not to add --resend."""

ARCHIVE_FILE = "archive.sqlite3"
SQLITE_BUSY_SECONDS = 5  # how long a write waits for another process's before "locked"
CONNECT_SECONDS = 5  # how long a PostgreSQL connection may take before "unreachable"
Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def default_url() -> str:
    """A SQLite file in the user's data folder (platformdirs: ~/.local/share/reportgen on Linux)."""
    from platformdirs import user_data_path  # only when no url is configured

    return f"sqlite:///{user_data_path('reportgen') / ARCHIVE_FILE}"


def _approval(r: Any) -> ApprovalRecord:
    """An `approvals` row as the record the cycle reads."""
    return ApprovalRecord(
        r.id,
        r.build_id,
        r.team,
        r.schedule_team,
        r.month,
        r.pdf_sha256,
        Path(r.pdf_path),
        r.approver,
        r.state,
        r.reason,
        _aware(r.created_at),
        _aware(r.decided_at) if r.decided_at else None,
        r.decided_by,
        r.errors,
    )


def _running(result: str, age: dt.timedelta) -> bool:
    return result == SendOutcome.SENDING and age < RUNNING


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite gives back naive datetimes: everything is written in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _new_id(result: sa.CursorResult[Any]) -> int:
    """The primary key an INSERT just made."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


MAIL = "mail"  # the target kind of every mail (delivery/targets.py); the ledger's default


def address_key(address: str) -> str:
    """The form an address is compared in: the addr-spec, case-folded."""
    return address.strip().casefold()


def own_language(rows: Sequence[Any]) -> str:
    """A version's own language: its first build's. A reader's copy in another language (build_to_files
    `languages`) is recorded after the build it copies, so the review's own PDF is the newest build in this
    language, never a copy that happens to be newer."""
    return str(min(rows, key=lambda row: row.id).lang)


class Archive:
    """One archive database. Use `open_archive`; methods are safe to call from several processes at once."""

    def __init__(self, engine: Engine, label: str, *, clock: Clock = utc_now) -> None:
        self.engine = engine
        self.label = label  # the SQLite file, or the url with its password hidden
        self.clock = clock

    # --- plumbing ---

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        """A short transaction that may write (on SQLite it takes the write lock at once: BEGIN IMMEDIATE)."""
        with (
            translated_errors(self.label),
            self.engine.connect() as connection,
            connection.execution_options(writing=True).begin(),
        ):
            yield connection

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        """A read-only transaction (works on a read-only SQLite file too)."""
        with translated_errors(self.label), self.engine.connect() as connection, connection.begin():
            yield connection

    def close(self) -> None:
        self.engine.dispose()

    # --- builds ---

    def plan_version(self, team: str, month: str, workbook_sha256: str) -> VersionPlan:
        """The version a build of this workbook is (the same workbook: its version; another: the next), and
        the latest version that was sent. Read-only: `record_build` claims the version."""
        with self._reading() as connection:
            rows = connection.execute(
                sa.select(reviews.c.version, reviews.c.workbook_sha256)
                .where(reviews.c.team == team, reviews.c.month == month)
                .order_by(reviews.c.version)
            ).all()
            same = [row.version for row in rows if row.workbook_sha256 == workbook_sha256]
            version, new = (same[-1], False) if same else ((rows[-1].version + 1 if rows else 1), True)
            last_sent = self._last_sent(connection, team, month)
        return VersionPlan(version, new, last_sent)

    def delivered(self, team: str, month: str, below: int | None = None) -> SentVersion | None:
        """The newest version of a team's month (older than version `below`, when given) that reached
        management (when it first did), or None: a draft to the approver is never a delivery."""
        with self._reading() as connection:
            return self._last_sent(connection, team, month, below)

    def last_reached(self, pdf_name: str) -> dt.datetime | None:
        """When a PDF of this file name last reached management (any target), or None: a roll-up of some
        teams, which is not a version of the month's roll-up, learns from it when it went out before."""
        with self._reading() as connection:
            moment = connection.execute(
                sa.select(sa.func.max(sends.c.started_at))
                .join(deliveries, deliveries.c.send_id == sends.c.id)
                .where(
                    sends.c.pdf_name == pdf_name,
                    sends.c.audience == Audience.MANAGEMENT,
                    deliveries.c.state.in_(REACHED),
                )
            ).scalar_one_or_none()
        return _aware(moment) if moment is not None else None

    def management_audience(self, team: str, month: str) -> list[str]:
        """Every address (a mail's, case-folded) that received a version of the team's month as management's
        review, in the order first reached: a revision goes to each of them."""
        with self._reading() as connection:
            rows = connection.execute(
                sa.select(deliveries.c.address, sa.func.min(deliveries.c.updated_at).label("first"))
                .join(sends, sends.c.id == deliveries.c.send_id)
                .join(builds, builds.c.id == sends.c.build_id)
                .join(reviews, reviews.c.id == builds.c.review_id)
                .where(
                    reviews.c.team == team,
                    reviews.c.month == month,
                    sends.c.audience == Audience.MANAGEMENT,
                    deliveries.c.target == MAIL,
                    deliveries.c.state.in_(REACHED),
                )
                .group_by(deliveries.c.address)
                .order_by("first", deliveries.c.address)
            ).all()
        return [row.address for row in rows]

    def _last_sent(
        self, connection: Connection, team: str, month: str, below: int | None = None
    ) -> SentVersion | None:
        accepted = (
            sa.select(reviews.c.version, builds.c.figures, sends.c.started_at)
            .join(builds, builds.c.review_id == reviews.c.id)
            .join(sends, sends.c.build_id == builds.c.id)
            .join(deliveries, deliveries.c.send_id == sends.c.id)
            .where(
                reviews.c.team == team,
                reviews.c.month == month,
                sends.c.audience == Audience.MANAGEMENT,  # a draft to the approver is not a delivery
                deliveries.c.state.in_(REACHED),
                reviews.c.version < below if below is not None else sa.true(),
            )
            .order_by(reviews.c.version.desc(), sends.c.started_at)
        )
        row = connection.execute(accepted).first()
        if row is None:
            return None
        first_send = connection.execute(
            sa.select(sa.func.min(sends.c.started_at))
            .join(builds, builds.c.id == sends.c.build_id)
            .join(reviews, reviews.c.id == builds.c.review_id)
            .join(deliveries, deliveries.c.send_id == sends.c.id)
            .where(
                reviews.c.team == team,
                reviews.c.month == month,
                reviews.c.version == row.version,
                sends.c.audience == Audience.MANAGEMENT,
                deliveries.c.state.in_(REACHED),
            )
        ).scalar_one()
        return SentVersion(row.version, _aware(first_send), json.loads(zlib.decompress(row.figures)))

    def record_build(self, record: BuildRecord) -> RecordedBuild:
        """Remember a PDF: its version (the workbook's, or the next one: claimed by a unique constraint, so
        two builds of two workbooks at once get two versions), the figures it showed, and its bytes (once per
        SHA-256: a rebuild that wrote the very same bytes finds them in the earlier build's row)."""
        if record.pdf is not None and hashlib.sha256(record.pdf).hexdigest() != record.pdf_sha256:
            raise ValueError(f"the PDF's bytes are not those of SHA-256 {record.pdf_sha256}")
        now = self.clock()
        for _ in range(5):  # another build may take the version first: then ours is the next
            try:
                with self._transaction() as connection:
                    review_id, version = self._review_for(connection, record, now)
                    kept = record.pdf is not None and self._pdf_row(connection, record.pdf_sha256) is not None
                    build_id = _new_id(
                        connection.execute(
                            builds.insert().values(
                                review_id=review_id,
                                lang=record.lang,
                                as_of=record.as_of,
                                pdf_sha256=record.pdf_sha256,
                                pdf_path=str(record.pdf_path),
                                kpis=record.kpis,
                                figures=zlib.compress(record.figures, 6),
                                errors=record.errors,
                                warnings=record.warnings,
                                infos=record.infos,
                                reportgen_version=__version__,
                                created_at=now,
                                pdf=None if kept else record.pdf,
                            )
                        )
                    )
                    self._event(connection, "built", record.team, record.month, version, now,
                                lang=record.lang, pdf=str(record.pdf_path), errors=record.errors)  # fmt: skip
                log.info("archive: %s %s version %d recorded (build %d)", record.team, record.month, version,
                         build_id)  # fmt: skip
                return RecordedBuild(build_id, review_id, version)
            except IntegrityError:
                continue
        raise ArchiveError("busy", archive=self.label)

    def _review_for(self, connection: Connection, record: BuildRecord, now: dt.datetime) -> tuple[int, int]:
        rows = connection.execute(
            sa.select(reviews.c.id, reviews.c.version, reviews.c.workbook_sha256)
            .where(reviews.c.team == record.team, reviews.c.month == record.month)
            .order_by(reviews.c.version)
        ).all()
        for row in reversed(rows):
            if row.workbook_sha256 == record.workbook_sha256:
                return row.id, row.version
        version = rows[-1].version + 1 if rows else 1
        review_id = _new_id(
            connection.execute(
                reviews.insert().values(
                    team=record.team,
                    month=record.month,
                    version=version,
                    workbook_name=record.workbook_name,
                    workbook_sha256=record.workbook_sha256,
                    workbook=record.workbook,
                    created_at=now,
                )
            )
        )
        return review_id, version

    def build_for_pdf(self, pdf_sha256: str) -> tuple[int, str, str, int] | None:
        """(build id, team, month, version) of the newest build that wrote this PDF, or None."""
        with self._reading() as connection:
            row = connection.execute(
                sa.select(builds.c.id, reviews.c.team, reviews.c.month, reviews.c.version)
                .join(reviews, reviews.c.id == builds.c.review_id)
                .where(builds.c.pdf_sha256 == pdf_sha256)
                .order_by(builds.c.id.desc())
            ).first()
        return None if row is None else (row.id, row.team, row.month, row.version)

    def _other_languages(self, build_id: int, pdf_sha256: str) -> list[str]:
        """The PDFs of the same version of the month in its other languages (builds of one review)."""
        same = builds.alias("same")
        with self._reading() as connection:
            return list(
                connection.execute(
                    sa.select(same.c.pdf_sha256)
                    .join(builds, builds.c.review_id == same.c.review_id)
                    .where(builds.c.id == build_id, same.c.pdf_sha256 != pdf_sha256)
                    .distinct()
                ).scalars()
            )

    def _pdf_row(self, connection: Connection, pdf_sha256: str) -> int | None:
        """The build whose row holds the bytes of the PDF of this SHA-256, or None."""
        found = connection.execute(
            sa.select(builds.c.id)
            .where(builds.c.pdf_sha256 == pdf_sha256, builds.c.pdf.is_not(None))
            .order_by(builds.c.id)
            .limit(1)
        ).scalar()
        return None if found is None else int(found)

    def pdf_of(
        self,
        build_id: int | None = None,
        *,
        team: str | None = None,
        month: str | None = None,
        version: int | None = None,
    ) -> StoredPdf:
        """The PDF a build wrote, as the archive kept it: the build `build_id`, or the newest build of
        `team`'s `month` in `version` (None: the newest version) in that version's own language. Its bytes
        are checked against the SHA-256 recorded at the build: bytes that differ are an ArchiveError
        (`pdf_damaged`), never given out. No such build, or one recorded before the archive kept PDFs
        (schema 0004), is an InputError that says so (the latter naming the file it was written to)."""
        query = (
            sa.select(
                builds.c.id,
                reviews.c.team,
                reviews.c.month,
                reviews.c.version,
                builds.c.lang,
                builds.c.created_at,
                builds.c.pdf_path,
                builds.c.pdf_sha256,
            )  # fmt: skip
            .join(reviews, reviews.c.id == builds.c.review_id)
            .order_by(reviews.c.version.desc(), builds.c.id.desc())
        )
        if build_id is not None:
            query = query.where(builds.c.id == build_id)
        elif team is None or month is None:
            raise ValueError("pdf_of needs a build id, or a team and a month")
        if team is not None:
            query = query.where(reviews.c.team == team)
        if month is not None:
            query = query.where(reviews.c.month == month)
        with self._reading() as connection:
            rows = connection.execute(query).all()
            chosen = [row for row in rows if version is None or row.version == version]
            if not chosen:
                raise _no_version(build_id, team, month, version, sorted({row.version for row in rows}))
            row = chosen[0]
            if build_id is None:  # the version's newest build in its own language, not a reader's copy
                of_version = [each for each in chosen if each.version == row.version]
                row = next(each for each in of_version if each.lang == own_language(of_version))
            holder = self._pdf_row(connection, row.pdf_sha256)
            data = None
            if holder is not None:
                data = connection.execute(sa.select(builds.c.pdf).where(builds.c.id == holder)).scalar()
        if data is None:
            raise InputError(None, "pdf_not_kept", team=row.team, month=row.month, version=row.version,
                             path=row.pdf_path)  # fmt: skip
        data = bytes(data)  # PostgreSQL's driver may give a memoryview
        if hashlib.sha256(data).hexdigest() != row.pdf_sha256:
            raise ArchiveError("pdf_damaged", archive=self.label,
                               detail=f"{row.team} {row.month} v{row.version}, build {row.id}")  # fmt: skip
        return StoredPdf(row.id, row.team, row.month, row.version, row.lang, _aware(row.created_at),
                         Path(row.pdf_path), row.pdf_sha256, data)  # fmt: skip

    def sibling_pdf(self, pdf_sha256: str, lang: str) -> StoredPdf | None:
        """The same review (team, month, version) as the PDF of this SHA-256, in `lang`: the newest build of
        it in that language whose bytes the archive kept, or None (reader languages: build_to_files
        `languages` records each copy as a build of the same version)."""
        with self._reading() as connection:
            review_id = connection.execute(
                sa.select(builds.c.review_id)
                .where(builds.c.pdf_sha256 == pdf_sha256)
                .order_by(builds.c.id.desc())
            ).scalar()
            if review_id is None:
                return None
            found = connection.execute(
                sa.select(builds.c.id)
                .where(builds.c.review_id == review_id, builds.c.lang == lang)
                .order_by(builds.c.id.desc())
                .limit(1)
            ).scalar()
        if found is None:
            return None
        try:
            return self.pdf_of(int(found))
        except InputError:  # recorded before the archive kept PDFs
            return None

    def month_kpis(self, team: str, months: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The headline figures of each month asked for that the archive has: the newest build of its newest
        version (a revision replaces what it revised)."""
        with self._reading() as connection:
            kpis = _newest_by_month(connection, team, months, builds.c.kpis)
        return {month: dict(value) for month, value in kpis.items()}

    def month_rows(self, team: str, months: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """The activity rows of each month asked for that the archive has, as its figures document listed
        them: those of the newest build of its newest version (like `month_kpis`). Only that build's figures
        are read and unpacked."""
        with self._reading() as connection:
            chosen: dict[str, int] = _newest_by_month(connection, team, months, builds.c.id)
            if not chosen:
                return {}
            stored = connection.execute(
                sa.select(builds.c.id, builds.c.figures).where(builds.c.id.in_(list(chosen.values())))
            ).all()
        figures = {row.id: row.figures for row in stored}
        found: dict[str, list[dict[str, Any]]] = {}
        for month, build_id in sorted(chosen.items()):
            try:
                document = json.loads(zlib.decompress(figures[build_id]))
            except (zlib.error, ValueError) as exc:
                log.warning("archive: the figures of %s %s cannot be read (%s)", team, month, exc)
                continue
            activities = document.get("activities") if isinstance(document, dict) else None
            if isinstance(activities, list):
                found[month] = [row for row in activities if isinstance(row, dict)]
        return found

    def month_documents(self, team: str, month: str) -> list[dict[str, Any]]:
        """Each version of a team's month, oldest first, as its newest build in its own language left it
        (not a reader's copy in another language built after it; see own_language): `version`, `pdf_path`,
        `lang`, `created_at` (the version's) and `figures` (the figures document; a version whose document
        cannot be read is left out).
        The roll-up reads the delivered version, else the latest, from here."""
        with self._reading() as connection:
            rows = connection.execute(
                sa.select(
                    reviews.c.version,
                    reviews.c.created_at,
                    builds.c.pdf_path,
                    builds.c.lang,
                    builds.c.figures,
                )
                .join(builds, builds.c.review_id == reviews.c.id)
                .where(reviews.c.team == team, reviews.c.month == month)
                .order_by(reviews.c.version, builds.c.id)
            ).all()
        in_language: dict[int, dict[str, Any]] = {}  # the version's newest build in each language
        own: dict[int, str] = {}  # the version's own language: its first build's (own_language)
        for row in rows:
            in_language.setdefault(row.version, {})[row.lang] = row
            own.setdefault(row.version, row.lang)
        newest = {version: in_language[version][lang] for version, lang in own.items()}
        found: list[dict[str, Any]] = []
        for version, row in sorted(newest.items()):
            document = self._document(row.figures, team, month, version)
            if document is None:
                continue
            takeaways = {}  # what each language's review says first: the roll-up's appendix quotes it
            for lang, each in in_language[version].items():
                copy = document if each is row else self._document(each.figures, team, month, version)
                mail = (copy or {}).get("mail")
                said = mail.get("takeaways") if isinstance(mail, dict) else None
                if isinstance(said, list) and said:
                    takeaways[lang] = str(said[0])
            found.append({"version": version, "pdf_path": row.pdf_path, "lang": row.lang,
                          "created_at": _aware(row.created_at), "figures": document,
                          "takeaways": takeaways})  # fmt: skip
        return found

    @staticmethod
    def _document(figures: bytes, team: str, month: str, version: int) -> dict[str, Any] | None:
        """A build's figures document, or None when it cannot be read (logged)."""
        try:
            document = json.loads(zlib.decompress(figures))
        except (zlib.error, ValueError) as exc:
            log.warning("archive: the figures of %s %s v%d cannot be read (%s)", team, month, version, exc)
            return None
        return document if isinstance(document, dict) else None

    # --- sends ---

    def begin_send(
        self,
        pdf_sha256: str,
        pdf_name: str,
        addresses: Sequence[str],
        *,
        resend: bool = False,
        target: str = MAIL,
        audience: str = Audience.MANAGEMENT,
    ) -> SendPlan:
        """Record a send and claim each address (of the `target` kind: a mail's address, a chat's endpoint
        key) for it, for its `audience`. An address that already received this PDF as that audience, or that
        an earlier send claimed and never finished, is not claimed (unless `resend`): the partial unique index
        decides, so two processes sending at once never both claim one address. A draft the approver got
        does not stand in the way of management's copy to the same address; the same version in another
        language that reached an address does (once per version), unless `resend`."""
        now = self.clock()
        build = self.build_for_pdf(pdf_sha256)
        copies = self._other_languages(build[0], pdf_sha256) if build is not None and not resend else []
        keys = list(
            dict.fromkeys(address_key(address) if target == MAIL else address for address in addresses)
        )
        with self._transaction() as connection:
            send_id = _new_id(
                connection.execute(
                    sends.insert().values(
                        build_id=build[0] if build else None,
                        pdf_sha256=pdf_sha256,
                        pdf_name=pdf_name,
                        recipients=keys,
                        result=SendOutcome.SENDING,
                        started_at=now,
                        audience=audience,
                    )
                )
            )
        to_send: list[str] = []
        already: dict[str, dt.datetime] = {}
        in_doubt: dict[str, dt.datetime] = {}
        in_progress: dict[str, dt.datetime] = {}
        for key in keys:
            with self._transaction() as connection:
                if resend:  # what was sent before stays in the history, no longer in the way
                    connection.execute(
                        deliveries.update()
                        .where(
                            deliveries.c.pdf_sha256 == pdf_sha256,
                            deliveries.c.target == target,
                            deliveries.c.address == key,
                            deliveries.c.audience == audience,
                            deliveries.c.state.in_(LIVE_DELIVERIES),
                        )
                        .values(state=DeliveryState.SUPERSEDED, updated_at=now)
                    )
                had_copy = (
                    connection.execute(
                        sa.select(sa.func.min(deliveries.c.updated_at)).where(
                            deliveries.c.pdf_sha256.in_(copies),
                            deliveries.c.target == target,
                            deliveries.c.address == key,
                            deliveries.c.audience == audience,
                            deliveries.c.state == DeliveryState.ACCEPTED,
                        )
                    ).scalar()
                    if copies
                    else None
                )
                if had_copy is not None:  # this version reached it in another language: once per version
                    already[key] = _aware(had_copy)
                    continue
                try:
                    with connection.begin_nested():
                        connection.execute(
                            deliveries.insert().values(
                                send_id=send_id,
                                pdf_sha256=pdf_sha256,
                                target=target,
                                address=key,
                                state=DeliveryState.CLAIMED,
                                updated_at=now,
                                audience=audience,
                            )  # fmt: skip
                        )
                    to_send.append(key)
                except IntegrityError:
                    holder = connection.execute(
                        sa.select(deliveries.c.state, deliveries.c.updated_at, sends.c.result)
                        .join(sends, sends.c.id == deliveries.c.send_id)
                        .where(
                            deliveries.c.pdf_sha256 == pdf_sha256,
                            deliveries.c.target == target,
                            deliveries.c.address == key,
                            deliveries.c.audience == audience,
                            deliveries.c.state.in_(LIVE_DELIVERIES),
                        )
                    ).first()
                    claimed = _aware(holder.updated_at) if holder is not None else now
                    if holder is not None and holder.state == DeliveryState.ACCEPTED:
                        already[key] = claimed
                    elif holder is not None and _running(holder.result, now - claimed):
                        in_progress[key] = claimed  # another send is at it now: its answer is still to come
                    else:
                        in_doubt[key] = claimed
        return SendPlan(send_id, pdf_sha256, tuple(to_send), already, in_doubt, target, in_progress, resend)

    def skip_send(
        self,
        pdf_sha256: str,
        pdf_name: str,
        reads: dict[str, str],
        *,
        target: str = MAIL,
        audience: str = Audience.MANAGEMENT,
        detail: str | None = None,
    ) -> None:
        """Record a send of this PDF that could not be made for its readers of another language (`reads`:
        each address, or a bot's name, and the language it reads), because no copy of the review was built in
        that language: nobody is claimed, so a later send with the copy reaches them; history names them."""
        now = self.clock()
        build = self.build_for_pdf(pdf_sha256)
        key_of = address_key if target == MAIL else str
        keys = {key_of(address): lang for address, lang in reads.items()}
        with self._transaction() as connection:
            connection.execute(
                sends.insert().values(
                    build_id=build[0] if build else None,
                    pdf_sha256=pdf_sha256,
                    pdf_name=pdf_name,
                    recipients=list(keys),
                    result=SendOutcome.FAILED,
                    detail=detail,
                    started_at=now,
                    finished_at=now,
                    audience=audience,
                    plan=Skipped(no_copy=keys).as_json(),
                )
            )
            team, month, version = (build[1], build[2], build[3]) if build else (None, None, None)
            self._event(connection, "send_no_copy", team, month, version, now, accepted=[], refused={},
                        no_copy=keys, audience=audience)  # fmt: skip

    def finish_send(
        self,
        plan: SendPlan,
        *,
        accepted: Sequence[str],
        refused: dict[str, str],
        message_id: str | None,
        detail: str | None = None,
        in_doubt: bool = False,
        subject: str | None = None,
    ) -> None:
        """Record what the server said for each claimed address: accepted, refused for good, or not reached
        (claim released, so a re-run tries it). `in_doubt` (no answer after the message went out) keeps
        the claims: nobody is mailed again without --resend."""
        now = self.clock()
        key_of = address_key if plan.target == MAIL else str
        accepted_keys = {key_of(address) for address in accepted}
        refused_keys = {key_of(address): reply for address, reply in refused.items()}
        with self._transaction() as connection:
            for key in plan.to_send:
                where = (deliveries.c.send_id == plan.send_id, deliveries.c.address == key)
                if key in accepted_keys:
                    values: dict[str, Any] = {"state": DeliveryState.ACCEPTED}
                elif key in refused_keys:
                    values = {"state": DeliveryState.REFUSED, "reply": refused_keys[key][:1000]}
                elif in_doubt:
                    continue
                else:
                    values = {"state": DeliveryState.FAILED, "reply": (detail or "")[:1000]}
                connection.execute(deliveries.update().where(*where).values(updated_at=now, **values))
            result = (
                SendOutcome.SENT
                if plan.to_send and not refused_keys and len(accepted_keys) == len(plan.to_send)
                else (
                    SendOutcome.PARTIAL
                    if accepted_keys
                    else (SendOutcome.IN_DOUBT if in_doubt else SendOutcome.FAILED)
                )
            )
            skipped = Skipped(plan.already, plan.in_doubt, plan.in_progress, resend=plan.resend)
            connection.execute(
                sends.update()
                .where(sends.c.id == plan.send_id)
                .values(
                    result=result,
                    message_id=message_id,
                    subject=subject,
                    detail=detail,
                    finished_at=now,
                    plan=skipped.as_json(),
                )  # fmt: skip
            )
            build = connection.execute(
                sa.select(reviews.c.team, reviews.c.month, reviews.c.version, sends.c.audience, builds.c.lang)
                .join(builds, builds.c.review_id == reviews.c.id)
                .join(sends, sends.c.build_id == builds.c.id)
                .where(sends.c.id == plan.send_id)
            ).first()
            team, month, version = (build.team, build.month, build.version) if build else (None, None, None)
            # a send that claimed nobody because each address had the PDF already is a repeat, not a failure;
            # one held back by an earlier send without an answer (or one under way) is held, not failed
            kind = f"send_{result}"
            if not plan.to_send and (plan.in_doubt or plan.in_progress):
                kind = "send_held"
            elif not plan.to_send and plan.already:
                kind = "send_repeat"
            self._event(connection, kind, team, month, version, now,
                        accepted=sorted(accepted_keys), refused=refused_keys,
                        audience=build.audience if build else None,
                        lang=build.lang if build else None)  # fmt: skip
            overtaken: list[tuple[int, int]] = []
            if build is not None and build.audience == Audience.MANAGEMENT and accepted_keys:
                overtaken = self._overtake(connection, build.team, build.month, build.version, now,
                                           plan.send_id)  # fmt: skip
        log.info("archive: send %d %s (%d accepted, %d refused)", plan.send_id, result, len(accepted_keys),
                 len(refused_keys))  # fmt: skip
        for approval_id, drafted in overtaken:
            log.info("archive: %s %s: the draft of version %d (approval %d) no longer waits for the lead: "
                     "send %d gave management version %d outside the approval", team, month, drafted,
                     approval_id, plan.send_id, version)  # fmt: skip

    def _overtake(
        self, connection: Connection, team: str, month: str, version: int, now: dt.datetime, send_id: int
    ) -> list[tuple[int, int]]:
        """Record as overtaken each draft of the month still waiting for the lead whose version management
        now has (`version`, or an older one, as `month_status` reads it), in the send's own transaction:
        otherwise its approval stayed "pending" for good and `history` said it waited, though approving it
        could send management nothing new. A waiting revision (a later version) keeps waiting. Each
        (approval id, its version) overtaken; an approval decided meanwhile is left as decided."""
        waiting = connection.execute(
            sa.select(approvals.c.id, approvals.c.pdf_sha256, reviews.c.version)
            .join(builds, builds.c.id == approvals.c.build_id)
            .join(reviews, reviews.c.id == builds.c.review_id)
            .where(
                reviews.c.team == team,
                reviews.c.month == month,
                reviews.c.version <= version,
                approvals.c.state == ApprovalState.PENDING,
            )
            .order_by(approvals.c.id)
        ).all()
        overtaken = []
        for row in waiting:
            changed = connection.execute(
                approvals.update()
                .where(approvals.c.id == row.id, approvals.c.state == ApprovalState.PENDING)
                .values(state=ApprovalState.OVERTAKEN, decided_at=now)
            ).rowcount
            if changed:
                self._event(connection, ApprovalState.OVERTAKEN, team, month, row.version, now,
                            approval=row.id, send=send_id, delivered_version=version,
                            pdf_sha256=row.pdf_sha256)  # fmt: skip
                overtaken.append((row.id, row.version))
        return overtaken

    # --- the monthly cycle ---

    def claim_run(
        self, team: str, month: str, due_at: dt.datetime, holder: str, **detail: Any
    ) -> RunRecord | None:
        """Take the lease on one attempt of a team's month (None: another service has it). A unique
        constraint decides, so two services that try at the same moment cannot both win."""
        now = self.clock()
        try:
            with self._transaction() as connection:
                run_id = _new_id(
                    connection.execute(
                        runs.insert().values(
                            team=team,
                            month=month,
                            due_at=due_at,
                            holder=holder,
                            state=RunState.CLAIMED,
                            detail=detail,
                            started_at=now,
                        )  # fmt: skip
                    )
                )
        except IntegrityError:
            return None
        return RunRecord(run_id, team, month, due_at, holder, RunState.CLAIMED, detail, now, None)

    def finish_run(self, run: RunRecord, state: str, **detail: Any) -> None:
        """How the attempt ended (reminded, draft sent, sent, failed...), with what the user should know."""
        now = self.clock()
        with self._transaction() as connection:
            connection.execute(
                runs.update()
                .where(runs.c.id == run.run_id)
                .values(state=state, detail={**run.detail, **detail}, finished_at=now)
            )
            merged = {**run.detail, **detail}
            facts = {name: value for name, value in detail.items() if name not in ("review_team", "version")}
            self._event(connection, f"run_{state}", merged.get("review_team") or run.team, run.month,
                        merged.get("version"), now, schedule_team=run.team, **facts)  # fmt: skip

    def runs(self, team: str | None = None, month: str | None = None) -> list[RunRecord]:
        """The attempts, newest first."""
        with self._reading() as connection:
            query = sa.select(runs).order_by(runs.c.due_at.desc(), runs.c.id.desc())
            if team is not None:
                query = query.where(runs.c.team == team)
            if month is not None:
                query = query.where(runs.c.month == month)
            rows = connection.execute(query).all()
        return [
            RunRecord(
                r.id,
                r.team,
                r.month,
                _aware(r.due_at),
                r.holder,
                r.state,
                dict(r.detail),
                _aware(r.started_at),
                _aware(r.finished_at) if r.finished_at else None,
            )  # fmt: skip
            for r in rows
        ]

    def request_approval(
        self, build_id: int, team: str, schedule_team: str, month: str, pdf_sha256: str, pdf_path: Path,
        approver: str, errors: int = 0,
    ) -> ApprovalRecord:  # fmt: skip
        """A draft now waits for the lead; an older pending draft of the month is superseded by it."""
        now = self.clock()
        with self._transaction() as connection:
            connection.execute(
                approvals.update()
                .where(
                    approvals.c.schedule_team == schedule_team,
                    approvals.c.month == month,
                    approvals.c.state == ApprovalState.PENDING,
                )  # fmt: skip
                .values(state=ApprovalState.SUPERSEDED, decided_at=now)
            )
            approval_id = _new_id(
                connection.execute(
                    approvals.insert().values(
                        build_id=build_id,
                        team=team,
                        schedule_team=schedule_team,
                        month=month,
                        pdf_sha256=pdf_sha256,
                        pdf_path=str(pdf_path),
                        approver=approver,
                        state=ApprovalState.PENDING,
                        created_at=now,
                        errors=errors,
                    )  # fmt: skip
                )
            )
        return ApprovalRecord(approval_id, build_id, team, schedule_team, month, pdf_sha256, pdf_path,
                              approver, ApprovalState.PENDING, None, now, None, None, errors)  # fmt: skip

    def approvals(self, team: str, month: str) -> list[ApprovalRecord]:
        """A team's approvals of a month, newest first; `team` is the review's team or the schedule's name."""
        with self._reading() as connection:
            rows = connection.execute(
                sa.select(approvals)
                .where(
                    sa.or_(approvals.c.team == team, approvals.c.schedule_team == team),
                    approvals.c.month == month,
                )  # fmt: skip
                .order_by(approvals.c.id.desc())
            ).all()
        return [_approval(row) for row in rows]

    def decide(self, approval: ApprovalRecord, state: str, *, by: str, reason: str | None = None) -> bool:
        """Approve or reject a pending draft; False when it was no longer pending (decided meanwhile)."""
        now = self.clock()
        with self._transaction() as connection:
            changed = connection.execute(
                approvals.update()
                .where(approvals.c.id == approval.approval_id, approvals.c.state == ApprovalState.PENDING)
                .values(state=state, reason=reason, decided_at=now, decided_by=by)
            ).rowcount
            if changed:
                self._event(connection, state, approval.team, approval.month, None, now, by=by,
                            reason=reason or "", pdf_sha256=approval.pdf_sha256)  # fmt: skip
        return bool(changed)

    def reopen(self, approval: ApprovalRecord) -> None:
        """An approval whose send reached nobody waits again (the event says so): approving it later sends."""
        now = self.clock()
        with self._transaction() as connection:
            connection.execute(
                approvals.update()
                .where(approvals.c.id == approval.approval_id, approvals.c.state == ApprovalState.APPROVED)
                .values(state=ApprovalState.PENDING, decided_at=None, decided_by=None)
            )
            self._event(connection, "reopened", approval.team, approval.month, None, now,
                        pdf_sha256=approval.pdf_sha256)  # fmt: skip

    # --- history ---

    def versions(self, team: str | None = None, month: str | None = None) -> list[VersionSummary]:
        """Every version, newest first: by when it was first built (a roll-up made after the teams' versions
        comes before them, whatever its team's name), the later recorded first of two at the same moment;
        with its builds and their sends, narrowed by team and/or month."""
        with self._reading() as connection:
            query = sa.select(reviews).order_by(reviews.c.created_at.desc(), reviews.c.id.desc())
            if team is not None:
                query = query.where(reviews.c.team == team)
            if month is not None:
                query = query.where(reviews.c.month == month)
            review_rows = connection.execute(query).all()
            ids = [row.id for row in review_rows]
            build_rows = connection.execute(
                sa.select(
                    builds.c.id,
                    builds.c.review_id,
                    builds.c.created_at,
                    builds.c.lang,
                    builds.c.as_of,
                    builds.c.pdf_path,
                    builds.c.pdf_sha256,
                    builds.c.errors,
                    builds.c.warnings,
                    builds.c.infos,
                )  # fmt: skip
                .where(builds.c.review_id.in_(ids))
                .order_by(builds.c.id.desc())
            ).all()
            build_ids = [row.id for row in build_rows]
            kept = set(
                connection.execute(
                    sa.select(builds.c.pdf_sha256)
                    .where(builds.c.pdf_sha256.in_({row.pdf_sha256 for row in build_rows}))
                    .where(builds.c.pdf.is_not(None))
                    .distinct()
                ).scalars()
            )
            send_rows = connection.execute(
                sa.select(sends).where(sends.c.build_id.in_(build_ids)).order_by(sends.c.id.desc())
            ).all()
            delivery_rows = connection.execute(
                sa.select(
                    deliveries.c.send_id,
                    deliveries.c.address,
                    deliveries.c.state,
                    deliveries.c.reply,
                    deliveries.c.target,
                ).where(deliveries.c.send_id.in_([row.id for row in send_rows]))
            ).all()
        by_send: dict[int, list[Any]] = {}
        for delivery in delivery_rows:
            by_send.setdefault(delivery.send_id, []).append(delivery)
        sends_by_build: dict[int, list[SendSummary]] = {}
        for send in send_rows:
            reached = by_send.get(send.id, [])
            sends_by_build.setdefault(send.build_id, []).append(
                SendSummary(
                    at=_aware(send.started_at),
                    result=send.result,
                    accepted=tuple(r.address for r in reached if r.state in REACHED),
                    refused={r.address: r.reply or "" for r in reached if r.state == DeliveryState.REFUSED},
                    subject=send.subject,
                    message_id=send.message_id,
                    audience=send.audience,
                    detail=send.detail,
                    claimed=len(reached),
                    target=reached[0].target if reached else MAIL,
                    skipped=Skipped.from_json(send.plan),
                )
            )
        builds_by_review: dict[int, list[BuildSummary]] = {}
        for build in build_rows:
            builds_by_review.setdefault(build.review_id, []).append(
                BuildSummary(
                    build_id=build.id,
                    at=_aware(build.created_at),
                    lang=build.lang,
                    as_of=build.as_of,
                    pdf_path=build.pdf_path,
                    pdf_sha256=build.pdf_sha256,
                    errors=build.errors,
                    warnings=build.warnings,
                    infos=build.infos,
                    sends=tuple(sends_by_build.get(build.id, [])),
                    pdf_kept=build.pdf_sha256 in kept,
                )
            )
        return [
            VersionSummary(
                team=row.team,
                month=row.month,
                version=row.version,
                workbook_name=row.workbook_name,
                workbook_sha256=row.workbook_sha256,
                created_at=_aware(row.created_at),
                builds=tuple(builds_by_review.get(row.id, [])),
            )
            for row in review_rows
        ]

    def events(self, team: str | None = None, month: str | None = None) -> list[Event]:
        """The cycle's steps, oldest first."""
        with self._reading() as connection:
            query = sa.select(events).order_by(events.c.id)
            if team is not None:
                query = query.where(events.c.team == team)
            if month is not None:
                query = query.where(events.c.month == month)
            rows = connection.execute(query).all()
        return [Event(_aware(r.at), r.team, r.month, r.version, r.kind, dict(r.detail)) for r in rows]

    def decisions(self, team: str | None = None, month: str | None = None) -> list[ApprovalRecord]:
        """The approvals (every state), oldest first, narrowed by team (the review's or the schedule's name)
        and/or month: what `history` shows of each draft's fate."""
        with self._reading() as connection:
            query = sa.select(approvals).order_by(approvals.c.id)
            if team is not None:
                query = query.where(sa.or_(approvals.c.team == team, approvals.c.schedule_team == team))
            if month is not None:
                query = query.where(approvals.c.month == month)
            rows = connection.execute(query).all()
        return [_approval(row) for row in rows]

    def team_names(self) -> list[TeamAlias]:
        """Every pairing of a team's names the archive holds, newest first: each review's team with its
        workbook's stem, each approval's team with the schedule's key, each run's key with the review's
        team it built (none for a run that built nothing), with when each pairing was last and first made.
        cycle/teams.py resolves a name with them, and says which team a role's name covers."""
        with self._reading() as connection:
            review_rows = connection.execute(
                sa.select(
                    reviews.c.team,
                    reviews.c.workbook_name,
                    sa.func.max(reviews.c.created_at).label("at"),
                    sa.func.min(reviews.c.created_at).label("first"),
                ).group_by(reviews.c.team, reviews.c.workbook_name)
            ).all()
            approval_rows = connection.execute(
                sa.select(
                    approvals.c.team,
                    approvals.c.schedule_team,
                    sa.func.max(approvals.c.created_at).label("at"),
                    sa.func.min(approvals.c.created_at).label("first"),
                ).group_by(approvals.c.team, approvals.c.schedule_team)
            ).all()
            built = runs.c.detail["review_team"].as_string()  # one row a pairing, not one a run
            run_rows = connection.execute(
                sa.select(
                    runs.c.team,
                    built.label("built"),
                    sa.func.max(runs.c.started_at).label("at"),
                    sa.func.min(runs.c.started_at).label("first"),
                ).group_by(runs.c.team, built)
            ).all()
        found = [
            TeamAlias(r.team, Path(r.workbook_name).stem or None, _aware(r.at), _aware(r.first))
            for r in review_rows
        ]
        found += [TeamAlias(r.team, r.schedule_team, _aware(r.at), _aware(r.first)) for r in approval_rows]
        found += [TeamAlias(r.built or None, r.team, _aware(r.at), _aware(r.first)) for r in run_rows]
        return sorted(found, key=lambda alias: alias.at, reverse=True)

    def _event(
        self,
        connection: Connection,
        kind: str,
        team: str | None,
        month: str | None,
        version: int | None,
        at: dt.datetime,
        **detail: Any,
    ) -> None:
        connection.execute(
            events.insert().values(kind=kind, team=team, month=month, version=version, detail=detail, at=at)
        )


def _no_version(
    build_id: int | None, team: str | None, month: str | None, version: int | None, versions: list[int]
) -> InputError:
    """What was asked for is not in the archive: no such build, no such version, or no review at all."""
    if build_id is not None:
        return InputError(None, "pdf_no_build", build=build_id)
    if not versions:
        return InputError(None, "pdf_no_review", team=team, month=month)
    return InputError(None, "pdf_no_version", team=team, month=month, version=version,
                      versions=[str(number) for number in versions])  # fmt: skip


# --- opening ---


def _newest_by_month(
    connection: Connection, team: str, months: Sequence[str], column: sa.ColumnElement[Any]
) -> dict[str, Any]:
    """`column` of the newest build of the newest version of each month asked for that the archive has."""
    rows = connection.execute(
        sa.select(reviews.c.month, column.label("value"))
        .join(builds, builds.c.review_id == reviews.c.id)
        .where(reviews.c.team == team, reviews.c.month.in_(list(months)))
        .order_by(reviews.c.month, reviews.c.version, builds.c.id)
    ).all()
    return {row.month: row.value for row in rows}  # later rows (newer) win


def archive_label(url: sa.URL) -> str:
    """How the archive is named to the user: the SQLite file, or the url without its password."""
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    return url.render_as_string(hide_password=True)


@contextmanager
def translated_errors(label: str) -> Iterator[None]:
    """A database failure becomes the ArchiveError the user reads (locked, read-only, unreachable...)."""
    try:
        yield
    except ArchiveError:
        raise
    except IntegrityError:
        raise  # the callers decide: a claimed version or address
    except SQLAlchemyError as exc:
        raise ArchiveError(_failure_code(exc), archive=label, detail=_detail(exc)) from exc
    except OSError as exc:
        raise ArchiveError("unopenable", archive=label, detail=exc.strerror or str(exc)) from exc


def _failure_code(exc: SQLAlchemyError) -> str:
    text = str(getattr(exc, "orig", exc)).lower()
    if "locked" in text or "busy" in text:
        return "locked"
    if "readonly" in text or "read-only" in text or "read only" in text:
        return "read_only"
    if "unable to open" in text or "disk i/o" in text:
        return "unopenable"
    if "connection" in text or "could not" in text or "timeout" in text or "refused" in text:
        return "unreachable"
    return "failed"


def _detail(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    return " ".join(str(original).split())[:300]


def open_archive(settings: ArchiveSettings, *, clock: Clock = utc_now) -> Archive:
    """The archive `settings` name, its schema created on first use and migrated when older; a schema newer
    than this reportgen, a url that cannot be used, a locked, read-only or unreachable database are each an
    ArchiveError."""
    url_text = settings.url or default_url()
    try:
        url = sa.make_url(url_text)
    except ArgumentError as exc:
        raise ArchiveError("bad_url", archive=url_text[:200], detail=_detail(exc)) from exc
    label = archive_label(url)
    engine = _engine(url, label)
    with translated_errors(label), engine.connect() as connection:
        current = _revision(connection)
    if current == SCHEMA_REVISION:
        return Archive(engine, label, clock=clock)
    if current is not None and current not in KNOWN_REVISIONS:
        engine.dispose()
        raise ArchiveError("newer_schema", archive=label, detail=current)
    upgrade(engine, label)
    return Archive(engine, label, clock=clock)


def _engine(url: sa.URL, label: str) -> Engine:
    options: dict[str, Any] = {}
    if url.get_backend_name() == "sqlite":
        path = _sqlite_file(url)
        if path is not None:
            try:
                path.expanduser().parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ArchiveError("unopenable", archive=label, detail=exc.strerror or str(exc)) from exc
        options["connect_args"] = {"timeout": SQLITE_BUSY_SECONDS}
    elif url.get_backend_name() == "postgresql":
        options["connect_args"] = {"connect_timeout": CONNECT_SECONDS}
        options["pool_pre_ping"] = True
    try:
        engine = sa.create_engine(url, **options)
    except ImportError as exc:  # the url names a driver that is not installed (psycopg: the extra)
        raise ArchiveError("driver_missing", archive=label, detail=exc.name or str(exc)) from exc
    except (ArgumentError, NoSuchModuleError) as exc:
        raise ArchiveError("bad_url", archive=label, detail=_detail(exc)) from exc
    if url.get_backend_name() == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_file(url: sa.URL) -> Path | None:
    """The file a SQLite url names: its database, or with `?uri=true` the path of SQLite's own `file:` URI
    (whose folder is then made, not a folder named `file:` in the working folder); None for memory."""
    database = url.database
    if not database or database == ":memory:":
        return None
    if str(url.query.get("uri", "")).lower() in ("true", "1") and database.startswith("file:"):
        path = urllib.parse.urlsplit(database).path
        return Path(urllib.parse.unquote(path)) if path and path != ":memory:" else None
    return Path(database)


def _sqlite_connect(dbapi_connection: Any, record: Any) -> None:
    """Foreign keys on; a write-ahead log, so readers never wait for a writer (two services on one file);
    transactions begun by us, not by the driver (SQLAlchemy's recipe for SQLite), so a write transaction can
    take its lock up front and savepoints work."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys = ON")
        with contextlib.suppress(Exception):  # a read-only file keeps its journal: reading still works
            cursor.execute("PRAGMA journal_mode = WAL")
    finally:
        cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    """A writing transaction takes the write lock at once (waiting up to the busy timeout), so reading then
    writing can never fail half-way because another process wrote in between."""
    immediate = connection.get_execution_options().get("writing", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _revision(connection: Connection) -> str | None:
    """The schema revision the database is at (Alembic's table), or None for an empty database."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine, label: str, revision: str = "head") -> None:
    """Run Alembic's migrations up to `revision` on this engine (the same migrations on both back ends).
    Several processes may open a new archive at once (batch's workers): the migration runs inside a write
    lock (SQLite's BEGIN IMMEDIATE, PostgreSQL's advisory lock), and whoever comes second finds it done."""
    from alembic import command  # 0.3 s: only when the schema must be created or changed

    log.info("archive: migrating %s to %s", label, revision)
    with (
        translated_errors(label),
        engine.connect() as connection,
        connection.execution_options(writing=True).begin(),
    ):
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(7007001)"))
        if revision == "head" and _revision(connection) == SCHEMA_REVISION:
            return
        command.upgrade(alembic_config(connection), revision)


def downgrade(engine: Engine, label: str, revision: str) -> None:
    """Alembic's downgrade to `revision` (for an administrator going back one release)."""
    from alembic import command

    with translated_errors(label), engine.begin() as connection:
        command.downgrade(alembic_config(connection), revision)


def alembic_config(connection: Connection) -> Any:
    """Alembic's configuration for our migrations, on `connection` (env.py reads it from the attributes)."""
    from alembic.config import Config as AlembicConfig  # with the migrations' other imports

    config = AlembicConfig()
    config.set_main_option("script_location", str(Path(__file__).resolve().parent / "migrations"))
    config.attributes["connection"] = connection
    return config
