"""Who may sign in to serve's department page, and what each may do for which team (the archive's `users`,
`roles`, `sessions` and `login_attempts`, revision 0005).

Passwords are kept only as argon2id hashes (argon2-cffi, RFC 9106's low-memory parameters) and a session only
as the SHA-256 of its key, so a copy of the database signs nobody in. A sign-in runs under one write lock
(SQLite's BEGIN IMMEDIATE, a PostgreSQL advisory lock), so attempts made in parallel cannot get past the limit
together; an unknown name costs the same hash as a known one and is refused in the same words.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from reportgen.archive.schema import events, login_attempts, roles, sessions, users
from reportgen.base.errors import UsageError

if TYPE_CHECKING:
    from argon2 import PasswordHasher

    from reportgen.archive.store import Archive

EVERY_TEAM = "*"
NAME = re.compile(r"[\w.@+-]{1,200}")
SIGN_IN_LOCK = 7007002  # PostgreSQL advisory lock: one sign-in decided at a time
MIN_PASSWORD = 10  # characters


class Role(StrEnum):
    """What a person may do for a team: a head sees every team named (all with "*") and the roll-up; a lead
    uploads and approves (where the schedule names them the approver); a viewer reads."""

    HEAD = "head"
    LEAD = "lead"
    VIEWER = "viewer"


class Outcome(StrEnum):
    """A sign-in attempt as `login_attempts` records it."""

    OK = "ok"
    FAILED = "failed"  # a wrong password, or a name nobody has
    LOCKED = "locked"  # refused before the password was read: too many failures lately


@dataclass(frozen=True, slots=True)
class Grant:
    team: str  # a team's name or workbook stem, or EVERY_TEAM
    role: Role

    def __str__(self) -> str:
        return f"{self.role}:{self.team}"


@dataclass(frozen=True, slots=True)
class Account:
    user_id: int
    name: str
    created_at: dt.datetime
    grants: tuple[Grant, ...]


@dataclass(frozen=True, slots=True)
class Limits:
    """How many failed sign-ins within `minutes` lock an account (`attempts`) or an address
    (`attempts * ADDRESS_FACTOR`, so one mistyping person does not lock out the office behind one NAT)."""

    attempts: int = 5
    minutes: int = 15

    @property
    def per_address(self) -> int:
        return self.attempts * ADDRESS_FACTOR


ADDRESS_FACTOR = 3


@dataclass(frozen=True, slots=True)
class SignIn:
    """A sign-in's answer: the session's key (for the cookie) and account, or why not (`refused`)."""

    key: str | None
    account: Account | None
    refused: Outcome | None
    expires_at: dt.datetime | None = None


def fold_name(name: str) -> str:
    """How a name is kept and compared: trimmed, case-folded."""
    return name.strip().casefold()


def check_name(name: str) -> str:
    folded = fold_name(name)
    if not NAME.fullmatch(folded):
        raise UsageError("user_bad_name", name=name[:100])
    return folded


def parse_grant(text: str) -> Grant:
    """`head:*`, `lead:northwind-en`, `viewer:Xinghe Team`: a role, a colon, a team (or "*")."""
    role, _, team = text.partition(":")
    team = team.strip()
    if role.strip().lower() not in tuple(Role) or not team or len(team) > 200:
        raise UsageError("user_bad_role", role=text[:100])
    return Grant(team, Role(role.strip().lower()))


@cache
def hasher() -> PasswordHasher:
    from argon2 import PasswordHasher  # only for a sign-in or a `users` command

    return PasswordHasher()  # argon2id, RFC 9106 low-memory: t=3, m=64 MiB, p=4


@cache
def _decoy() -> str:
    """A hash to verify an unknown name against, so it takes as long as a known one."""
    return hasher().hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UsageError("password_short", count=MIN_PASSWORD)
    return hasher().hash(password)


def _verify(hashed: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return hasher().verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def session_id(key: str) -> str:
    """What the archive keeps of a session's key."""
    return hashlib.sha256(key.encode()).hexdigest()


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


class Accounts:
    """The accounts of one archive (its engine and clock); every method is one short transaction."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.clock = archive.clock
        # the archive's own transactions: the same write lock, the same translated errors
        self._writing = archive._transaction
        self._reading = archive._reading

    # --- the accounts ---

    def add(self, name: str, password: str, grants: Sequence[Grant]) -> Account:
        """A new account; UsageError if the name is taken or not a name."""
        folded = check_name(name)
        hashed = hash_password(password)
        now = self.clock()
        try:
            with self._writing() as connection:
                user_id = connection.execute(
                    users.insert().values(name=folded, password_hash=hashed, created_at=now)
                ).inserted_primary_key
                assert user_id is not None
                self._grant(connection, int(user_id[0]), grants)
        except IntegrityError as exc:
            raise UsageError("user_exists", name=folded) from exc
        return Account(int(user_id[0]), folded, now, tuple(grants))

    @staticmethod
    def _grant(connection: Connection, user_id: int, grants: Sequence[Grant]) -> None:
        connection.execute(roles.delete().where(roles.c.user_id == user_id))
        unique = {grant.team.casefold(): grant for grant in grants}.values()
        for grant in unique:
            connection.execute(roles.insert().values(user_id=user_id, team=grant.team, role=grant.role.value))

    def set_roles(self, name: str, grants: Sequence[Grant]) -> bool:
        with self._writing() as connection:
            user_id = self._user_id(connection, name)
            if user_id is None:
                return False
            self._grant(connection, user_id, grants)
        return True

    def all(self) -> list[Account]:
        """Every account, by name."""
        with self._reading() as connection:
            user_rows = connection.execute(sa.select(users).order_by(users.c.name)).all()
            role_rows = connection.execute(sa.select(roles).order_by(roles.c.id)).all()
        return [self._account(row, role_rows) for row in user_rows]

    def count(self) -> int:
        with self._reading() as connection:
            return int(connection.execute(sa.select(sa.func.count()).select_from(users)).scalar() or 0)

    def find(self, name: str) -> Account | None:
        with self._reading() as connection:
            row = connection.execute(sa.select(users).where(users.c.name == fold_name(name))).first()
            if row is None:
                return None
            role_rows = connection.execute(sa.select(roles).where(roles.c.user_id == row.id)).all()
        return self._account(row, role_rows)

    @staticmethod
    def _user_id(connection: Connection, name: str) -> int | None:
        """The account's id by its name, any case; None when there is none."""
        found = connection.execute(sa.select(users.c.id).where(users.c.name == fold_name(name))).scalar()
        return None if found is None else int(found)

    @staticmethod
    def _account(row: Any, role_rows: Sequence[Any]) -> Account:
        grants = tuple(Grant(r.team, Role(r.role)) for r in role_rows if r.user_id == row.id)
        return Account(row.id, row.name, _aware(row.created_at), grants)

    def remove(self, name: str) -> bool:
        """Delete the account, its roles and its sessions; False if there was none."""
        with self._writing() as connection:
            user_id = self._user_id(connection, name)
            if user_id is None:
                return False
            connection.execute(sessions.delete().where(sessions.c.user_id == user_id))
            connection.execute(roles.delete().where(roles.c.user_id == user_id))
            connection.execute(users.delete().where(users.c.id == user_id))
        return True

    def set_password(self, name: str, password: str) -> bool:
        """A new password; every session of the account ends (whoever knew the old one is out)."""
        hashed = hash_password(password)
        now = self.clock()
        with self._writing() as connection:
            user_id = self._user_id(connection, name)
            if user_id is None:
                return False
            connection.execute(users.update().where(users.c.id == user_id).values(password_hash=hashed))
            connection.execute(
                sessions.update()
                .where(sessions.c.user_id == user_id, sessions.c.ended_at.is_(None))
                .values(ended_at=now)
            )
        return True

    # --- signing in ---

    def sign_in(self, name: str, password: str, address: str, limits: Limits, hours: float) -> SignIn:
        """Check the password unless the account or the address is locked; record the attempt either way.
        A known name with a wrong password and an unknown name are the same answer (`failed`)."""
        folded = fold_name(name)[:200]
        address = address[:64]
        with self._writing() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(sa.text(f"SELECT pg_advisory_xact_lock({SIGN_IN_LOCK})"))
            now = self.clock()
            if self._locked(connection, folded, address, limits, now):
                self._attempt(connection, folded, address, Outcome.LOCKED, now)
                return SignIn(None, None, Outcome.LOCKED)
            row = connection.execute(sa.select(users).where(users.c.name == folded)).first()
            right = _verify(row.password_hash if row is not None else _decoy(), password)
            if row is None or not right:
                self._attempt(connection, folded, address, Outcome.FAILED, now)
                return SignIn(None, None, Outcome.FAILED)
            self._attempt(connection, folded, address, Outcome.OK, now)
            if hasher().check_needs_rehash(row.password_hash):  # the costs went up since it was set
                rehashed = hasher().hash(password)
                connection.execute(users.update().where(users.c.id == row.id).values(password_hash=rehashed))
            key = secrets.token_urlsafe(32)
            expires = now + dt.timedelta(hours=hours)
            connection.execute(
                sessions.insert().values(
                    id=session_id(key), user_id=row.id, address=address, created_at=now, expires_at=expires
                )
            )
            role_rows = connection.execute(sa.select(roles).where(roles.c.user_id == row.id)).all()
        return SignIn(key, self._account(row, role_rows), None, expires)

    @staticmethod
    def _attempt(connection: Connection, name: str, address: str, outcome: Outcome, now: dt.datetime) -> None:
        connection.execute(
            login_attempts.insert().values(name=name, address=address, outcome=outcome, at=now)
        )

    @staticmethod
    def _locked(connection: Connection, name: str, address: str, limits: Limits, now: dt.datetime) -> bool:
        """Locked: the account has `attempts` failures within the last `minutes` since it last signed in, or
        the address has `per_address` failures within them (whatever names they tried)."""
        since = now - dt.timedelta(minutes=limits.minutes)
        last_ok = connection.execute(
            sa.select(sa.func.max(login_attempts.c.at)).where(
                login_attempts.c.name == name, login_attempts.c.outcome == Outcome.OK
            )
        ).scalar()
        if last_ok is not None:
            since = max(since, _aware(last_ok))
        failed = login_attempts.c.outcome == Outcome.FAILED
        by_name = connection.execute(
            sa.select(sa.func.count()).where(
                login_attempts.c.name == name, failed, login_attempts.c.at > since
            )
        ).scalar()
        window = now - dt.timedelta(minutes=limits.minutes)
        by_address = connection.execute(
            sa.select(sa.func.count()).where(
                login_attempts.c.address == address, failed, login_attempts.c.at > window
            )
        ).scalar()
        return int(by_name or 0) >= limits.attempts or int(by_address or 0) >= limits.per_address

    def session(self, key: str, address: str) -> Account | None:
        """The account a session key signs in, if the session is neither ended nor expired and the request
        comes from the address it was made from; None otherwise (the cookie is then worth nothing)."""
        now = self.clock()
        with self._reading() as connection:
            row = connection.execute(sa.select(sessions).where(sessions.c.id == session_id(key))).first()
            if row is None or row.ended_at is not None or _aware(row.expires_at) <= now:
                return None
            if not hmac.compare_digest(row.address.encode(), address[:64].encode()):
                return None
            user = connection.execute(sa.select(users).where(users.c.id == row.user_id)).first()
            if user is None:
                return None
            role_rows = connection.execute(sa.select(roles).where(roles.c.user_id == user.id)).all()
        return self._account(user, role_rows)

    def end_session(self, key: str) -> None:
        """Sign out: the session's key opens nothing from now on, wherever it was copied to."""
        with self._writing() as connection:
            connection.execute(
                sessions.update()
                .where(sessions.c.id == session_id(key), sessions.c.ended_at.is_(None))
                .values(ended_at=self.clock())
            )

    def note(self, kind: str, team: str, month: str, version: int | None, by: str, **detail: Any) -> None:
        """What a signed-in person did on the page (`page_build`, `page_send`), in the archive's events, so
        `history` and the team's page say who."""
        with self._writing() as connection:
            connection.execute(
                events.insert().values(
                    kind=kind, team=team, month=month, version=version, detail={"by": by, **detail},
                    at=self.clock(),
                )
            )  # fmt: skip

    def forget_old(self, days: int = 30) -> None:
        """Drop attempts and ended or expired sessions older than `days`: they decide nothing any more."""
        before = self.clock() - dt.timedelta(days=days)
        with self._writing() as connection:
            connection.execute(login_attempts.delete().where(login_attempts.c.at < before))
            connection.execute(sessions.delete().where(sessions.c.expires_at < before))
