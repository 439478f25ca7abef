"""The chat cards' signed, expiring links (reportgen/delivery/links.py): made only with REPORTGEN_LINK_SECRET,
a made link's token gives back the PDF's SHA-256, and an altered token, one signed with another secret, one
older than `link_days` or one carrying anything but a SHA-256 gives None."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from reportgen.base.config import ServeSettings
from reportgen.base.errors import UsageError
from reportgen.delivery.chat import LinkFor
from reportgen.delivery.links import LINK_SECRET_VARIABLE, ROUTE, SALT, link_maker, linked_pdf

SERVE = ServeSettings(public_url="https://reports.example.com", link_days=30)
SHA = hashlib.sha256(b"%PDF-1.7 the delivered review").hexdigest()
DAY = 86_400


@pytest.fixture(autouse=True)
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """The secret comes from the environment only, never from this machine's keyring."""
    try:
        import keyring
    except ImportError:
        return
    monkeypatch.setattr(keyring, "get_password", lambda *args: None)


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(LINK_SECRET_VARIABLE, "link-secret-1")
    return "link-secret-1"


def maker(settings: ServeSettings = SERVE) -> Callable[[str], tuple[str, str]]:
    """The settings' link maker, which always makes a link (it gives one for every PDF)."""
    made: LinkFor | None = link_maker(settings)
    assert made is not None

    def link_for(sha: str) -> tuple[str, str]:
        assert made is not None
        link = made(sha)
        assert link is not None
        return link

    return link_for


def token_of(link: str) -> str:
    base, token = link.split(ROUTE)
    assert base == SERVE.public_url
    return token


def at(monkeypatch: pytest.MonkeyPatch, seconds_from_now: int) -> None:
    """itsdangerous' clock, moved on (its signatures carry whole seconds)."""
    now = int(time.time()) + seconds_from_now
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: now)


def test_no_secret_refuses_before_anything_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LINK_SECRET_VARIABLE, raising=False)
    with pytest.raises(UsageError) as raised:
        link_maker(SERVE)
    assert raised.value.code == "no_link_secret"
    assert LINK_SECRET_VARIABLE in raised.value.message()
    monkeypatch.setenv(LINK_SECRET_VARIABLE, "")  # set but empty: no secret either
    with pytest.raises(UsageError):
        link_maker(SERVE)


def test_without_a_public_url_there_are_no_links(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LINK_SECRET_VARIABLE, raising=False)
    assert link_maker(ServeSettings()) is None  # no secret needed then


def test_a_made_link_round_trips(secret: str) -> None:
    link, until = maker()(SHA)
    assert link.startswith("https://reports.example.com/r/")
    token = token_of(link)
    assert "/" not in token and "?" not in token and "#" not in token  # one path segment
    assert linked_pdf(token, SERVE) == SHA
    assert until == (dt.datetime.now().astimezone() + dt.timedelta(days=30)).strftime("%Y-%m-%d")


def test_link_days_set_the_date_the_card_shows(secret: str) -> None:
    _, until = maker(ServeSettings(public_url="https://r.example.com/reportgen", link_days=3))(SHA)
    assert until == (dt.datetime.now().astimezone() + dt.timedelta(days=3)).strftime("%Y-%m-%d")


def test_an_altered_token_gives_nothing(secret: str) -> None:
    token = token_of(maker()(SHA)[0])
    payload, stamp, signature = token.rsplit(".", 2)
    flipped = "A" if signature[0] != "A" else "B"
    assert linked_pdf(f"{payload}.{stamp}.{flipped}{signature[1:]}", SERVE) is None
    other = token_of(maker()(hashlib.sha256(b"another review").hexdigest())[0])
    assert linked_pdf(f"{other.rsplit('.', 2)[0]}.{stamp}.{signature}", SERVE) is None  # another payload
    assert linked_pdf(token[:-1], SERVE) is None
    assert linked_pdf("", SERVE) is None
    assert linked_pdf("not-a-token", SERVE) is None
    assert linked_pdf(token, SERVE) == SHA  # the genuine one still works


def test_another_secret_gives_nothing(secret: str, monkeypatch: pytest.MonkeyPatch) -> None:
    token = token_of(maker()(SHA)[0])
    monkeypatch.setenv(LINK_SECRET_VARIABLE, "another-secret")
    assert linked_pdf(token, SERVE) is None
    monkeypatch.delenv(LINK_SECRET_VARIABLE)
    assert linked_pdf(token, SERVE) is None  # no secret: nothing is genuine


def test_a_token_made_without_the_salt_gives_nothing(secret: str) -> None:
    unsalted = URLSafeTimedSerializer(secret).dumps(SHA)
    assert linked_pdf(unsalted, SERVE) is None


def test_a_link_answers_for_link_days_and_not_after(secret: str, monkeypatch: pytest.MonkeyPatch) -> None:
    token = token_of(maker()(SHA)[0])
    at(monkeypatch, 30 * DAY - 60)
    assert linked_pdf(token, SERVE) == SHA
    at(monkeypatch, 30 * DAY + 60)
    assert linked_pdf(token, SERVE) is None
    assert linked_pdf(token, ServeSettings(public_url=SERVE.public_url, link_days=31)) == SHA


def test_only_a_sha256_is_ever_answered(secret: str) -> None:
    signer = URLSafeTimedSerializer(secret, salt=SALT)
    assert linked_pdf(signer.dumps(SHA), SERVE) == SHA  # the way links are made
    assert linked_pdf(signer.dumps("../../etc/passwd"), SERVE) is None
    assert linked_pdf(signer.dumps(SHA[:63]), SERVE) is None
    assert linked_pdf(signer.dumps({"sha": SHA}), SERVE) is None
    assert linked_pdf(signer.dumps(64), SERVE) is None
