"""Accounts on both back ends: argon2id hashes (never the password), roles per team, sessions bound to their
address and ended for good by signing out, a password change or removal, and the lockout per account and per
address; then a Hypothesis state machine holding the sign-in rules against a model of them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from reportgen.archive import accounts as accounts_module
from reportgen.archive.accounts import (
    Accounts,
    Grant,
    Limits,
    Outcome,
    Role,
    parse_grant,
    session_id,
)
from reportgen.archive.schema import sessions, users
from reportgen.archive.store import Archive, open_archive
from reportgen.base.config import ArchiveSettings
from reportgen.base.errors import UsageError

START = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse battery"
LIMITS = Limits(attempts=3, minutes=10)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id still, at the lowest costs: the rules are under test here, not the hash's strength."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(accounts_module, "hasher", lambda: cheap)
    monkeypatch.setattr(accounts_module, "_decoy", lambda: cheap.hash("decoy password"))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def archive(archive_url: str, clock: Clock) -> Iterator[Archive]:
    opened = open_archive(ArchiveSettings(url=archive_url), clock=clock)
    yield opened
    opened.close()


def test_an_account_keeps_an_argon2id_hash_and_its_roles(archive: Archive) -> None:
    accounts = Accounts(archive)
    made = accounts.add("Lead.One", PASSWORD, [Grant("northwind-en", Role.LEAD), Grant("*", Role.VIEWER)])
    assert made.name == "lead.one"
    with archive.engine.connect() as connection:
        stored = connection.execute(sa.select(users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    found = accounts.find("LEAD.ONE")
    assert found is not None
    assert set(found.grants) == {Grant("northwind-en", Role.LEAD), Grant("*", Role.VIEWER)}
    assert [account.name for account in accounts.all()] == ["lead.one"] and accounts.count() == 1
    with pytest.raises(UsageError, match="already an account"):
        accounts.add("lead.one", PASSWORD, [])
    with pytest.raises(UsageError, match="too short"):
        accounts.add("other", "short", [])
    with pytest.raises(UsageError, match="cannot be an account name"):
        accounts.add("two words", PASSWORD, [])
    assert accounts.set_roles("lead.one", [Grant("xinghe-zh", Role.HEAD)])
    found = accounts.find("lead.one")
    assert found is not None and found.grants == (Grant("xinghe-zh", Role.HEAD),)
    assert parse_grant("head:*") == Grant("*", Role.HEAD)
    with pytest.raises(UsageError):
        parse_grant("owner:team")


def test_a_session_opens_only_from_its_address_until_it_ends(archive: Archive, clock: Clock) -> None:
    accounts = Accounts(archive)
    accounts.add("lead", PASSWORD, [Grant("t", Role.LEAD)])
    signed = accounts.sign_in("lead", PASSWORD, "10.0.0.5", LIMITS, hours=8)
    assert signed.key is not None and signed.account is not None and signed.refused is None
    with archive.engine.connect() as connection:
        kept = connection.execute(sa.select(sessions.c.id)).scalar_one()
    assert kept == session_id(signed.key) and signed.key not in kept  # only the key's hash is kept
    assert accounts.session(signed.key, "10.0.0.5") is not None
    assert accounts.session(signed.key, "10.0.0.6") is None  # replayed from elsewhere
    assert accounts.session(signed.key + "x", "10.0.0.5") is None
    clock.now = START + dt.timedelta(hours=8)
    assert accounts.session(signed.key, "10.0.0.5") is None  # expired
    clock.now = START
    accounts.end_session(signed.key)
    assert accounts.session(signed.key, "10.0.0.5") is None  # signed out: the copy is worth nothing


def test_a_new_password_or_removal_ends_every_session(archive: Archive) -> None:
    accounts = Accounts(archive)
    accounts.add("lead", PASSWORD, [])
    first = accounts.sign_in("lead", PASSWORD, "a", LIMITS, hours=8)
    assert first.key is not None
    assert accounts.set_password("lead", "another long password")
    assert accounts.session(first.key, "a") is None
    assert accounts.sign_in("lead", PASSWORD, "a", LIMITS, hours=8).refused is Outcome.FAILED
    second = accounts.sign_in("lead", "another long password", "a", LIMITS, hours=8)
    assert second.key is not None
    assert accounts.remove("lead") and not accounts.remove("lead")
    assert accounts.session(second.key, "a") is None


def test_failures_lock_the_account_then_the_address(archive: Archive, clock: Clock) -> None:
    accounts = Accounts(archive)
    accounts.add("lead", PASSWORD, [])
    for _ in range(LIMITS.attempts):
        assert accounts.sign_in("lead", "wrong password!", "a", LIMITS, 8).refused is Outcome.FAILED
    assert accounts.sign_in("lead", PASSWORD, "a", LIMITS, 8).refused is Outcome.LOCKED  # right, but locked
    assert accounts.sign_in("lead", PASSWORD, "b", LIMITS, 8).refused is Outcome.LOCKED  # from anywhere
    clock.now = START + dt.timedelta(minutes=LIMITS.minutes, seconds=1)
    assert accounts.sign_in("lead", PASSWORD, "a", LIMITS, 8).key is not None
    # an unknown name is refused in the same words, and counts against the address like any other
    for index in range(LIMITS.per_address):
        assert accounts.sign_in(f"nobody{index}", PASSWORD, "c", LIMITS, 8).refused is Outcome.FAILED
    assert accounts.sign_in("lead", PASSWORD, "c", LIMITS, 8).refused is Outcome.LOCKED
    assert accounts.sign_in("lead", PASSWORD, "d", LIMITS, 8).key is not None


class SignInRules(RuleBasedStateMachine):
    """The archive's sign-in against a model: an attempt is refused unread while the account has `attempts`
    failures in the window since it last signed in, or the address has `per_address` failures in it; a
    session opens only from its address, before it expires and until it ends."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = Clock()
        self.archive: Archive | None = None
        self.failures: list[tuple[dt.datetime, str, str]] = []  # (at, name, address)
        self.last_ok: dict[str, dt.datetime] = {}
        self.live: dict[str, tuple[str, dt.datetime]] = {}  # key -> (address, expires)

    @initialize()
    def open(self) -> None:
        self.archive = open_archive(ArchiveSettings(url="sqlite://"), clock=self.clock)
        Accounts(self.archive).add("ann", PASSWORD, [Grant("*", Role.HEAD)])

    def teardown(self) -> None:
        if self.archive is not None:
            self.archive.close()

    def expected_lock(self, name: str, address: str) -> bool:
        window = self.clock.now - dt.timedelta(minutes=LIMITS.minutes)
        since = max(window, self.last_ok.get(name, window))
        by_name = sum(1 for at, who, _ in self.failures if who == name and at > since)
        by_address = sum(1 for at, _, where in self.failures if where == address and at > window)
        return by_name >= LIMITS.attempts or by_address >= LIMITS.per_address

    @rule(
        name=st.sampled_from(["ann", "bob"]),
        right=st.booleans(),
        address=st.sampled_from(["a", "b"]),
    )
    def sign_in(self, name: str, right: bool, address: str) -> None:
        assert self.archive is not None
        locked = self.expected_lock(name, address)
        answer = Accounts(self.archive).sign_in(
            name, PASSWORD if right else "not the password", address, LIMITS, hours=1
        )
        if locked:
            assert answer.refused is Outcome.LOCKED and answer.key is None
        elif right and name == "ann":
            assert answer.key is not None and answer.refused is None
            self.last_ok[name] = self.clock.now
            self.live[answer.key] = (address, self.clock.now + dt.timedelta(hours=1))
        else:
            assert answer.refused is Outcome.FAILED and answer.key is None
            self.failures.append((self.clock.now, name, address))

    @rule(minutes=st.integers(min_value=1, max_value=40))
    def wait(self, minutes: int) -> None:
        self.clock.now += dt.timedelta(minutes=minutes)

    @rule(data=st.data())
    def sign_out(self, data: st.DataObject) -> None:
        assert self.archive is not None
        if self.live:
            key = data.draw(st.sampled_from(sorted(self.live)))
            Accounts(self.archive).end_session(key)
            del self.live[key]

    @invariant()
    def sessions_open_only_where_they_were_made(self) -> None:
        if self.archive is None:
            return
        accounts = Accounts(self.archive)
        for key, (address, expires) in self.live.items():
            alive = self.clock.now < expires
            assert (accounts.session(key, address) is not None) is alive
            assert accounts.session(key, "elsewhere") is None


SignInRules.TestCase.settings = settings(max_examples=25, stateful_step_count=25, deadline=None)
test_sign_in_rules = SignInRules.TestCase
