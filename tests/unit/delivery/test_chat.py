"""ChatTarget (reportgen/delivery/chat.py) against the fake vendors of tests/chatservers.py on 127.0.0.1: a
signed post is accepted with the secret from REPORTGEN_SECRET_<NAME>; a wrong secret, a missing keyword and
a bot that is down fail with the vendor's own answer and the target named; a rate-limit answer is waited out
and the post retried; WeCom gets the markdown and then the PDF's very bytes; `post_test` returns the vendor's
answer. The Pacer, on a fake clock, keeps every vendor's pace and the off-peak seconds."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reportgen.base.config import ChatSettings
from reportgen.base.errors import DeliveryError
from reportgen.base.states import ChatKind
from reportgen.delivery.chat import ATTEMPTS, OFF_PEAK_SECONDS, ChatTarget, Pacer
from reportgen.delivery.vendors import VENDORS, Vendor
from tests.chatservers import Bot, ChatServers, running_chat_servers
from tests.mailserver import make_pdf

HALF_HOUR = 1800
CALM = 1_790_000_000 - 1_790_000_000 % HALF_HOUR + 900  # a quarter past: far from :00 and :30
FIGURES = {
    "lang": "en",
    "mail": {
        "team": "Growth",
        "month_label": "October 2026",
        "kpis": [{"label": "Leads", "value": "1,240", "delta": "+96 (+8%)", "tone": "good", "note": ""}],
        "takeaways": ["Leads rose by 8% on SEO articles.", "Paid search spend fell."],
        "revised": "",
        "data_quality": "Data quality: no errors.",
    },
}
SECRET = "SECa1b2c3d4e5f6"


class FakeTime:
    """A clock and a sleep for the Pacer: sleeping moves the clock on (and, with `then`, tells the fake
    server that the time passed) and is recorded."""

    def __init__(self, start: float = CALM, then: Callable[[], None] | None = None) -> None:
        self.now = float(start)
        self.waits: list[float] = []
        self.then = then

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds
        if self.then is not None:
            self.then()

    def pacer(self) -> Pacer:
        return Pacer(clock=self.clock, sleep=self.sleep)


@pytest.fixture(autouse=True)
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """The secret comes from the environment only, never from this machine's keyring."""
    try:
        import keyring
    except ImportError:
        return
    monkeypatch.setattr(keyring, "get_password", lambda *args: None)


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    return make_pdf(tmp_path / "growth-2026-10.pdf", FIGURES)


def settings_for(bot: Bot, name: str = "growth-bot", keyword: str | None = None) -> ChatSettings:
    return ChatSettings(
        name=name, kind=ChatKind(bot.vendor), url=bot.url, keyword=keyword, language="en", timeout=5
    )


def target(bot: Bot, time: FakeTime, **changes: Any) -> ChatTarget:
    return ChatTarget(settings_for(bot, **changes), pacer=time.pacer())


def raw_text(bot: Bot) -> str:
    return "\n".join(message.raw.decode("utf-8") for message in bot.received)


@pytest.mark.parametrize("vendor", ["feishu", "dingtalk"])
def test_a_signed_post_is_accepted_with_the_secret_from_the_environment(
    chat_servers: ChatServers, pdf: Path, monkeypatch: pytest.MonkeyPatch, vendor: Any
) -> None:
    bot = chat_servers.add_bot(vendor, secret=SECRET)
    chat = target(bot, FakeTime())
    assert chat.settings.secret_variable == "REPORTGEN_SECRET_GROWTH_BOT"
    monkeypatch.setenv("REPORTGEN_SECRET_GROWTH_BOT", SECRET)
    receipt = chat.deliver(pdf, ["growth-bot"])
    assert receipt.accepted == ("growth-bot",)
    assert receipt.subject == "Growth: monthly review, October 2026"
    assert not bot.refused
    (message,) = bot.received
    signed = message.body if vendor == "feishu" else message.query
    assert set(signed) >= {"timestamp", "sign"}
    text = json.dumps(message.body, ensure_ascii=False)
    for words in ("Growth", "October 2026", "Leads", "1,240", "Leads rose by 8% on SEO articles."):
        assert words in text
    assert SECRET not in message.raw.decode() + json.dumps(message.query)  # only its signature travels
    assert ("code 0" if vendor == "feishu" else "errcode 0") in receipt.message_id


@pytest.mark.parametrize(
    ("vendor", "code"), [("feishu", "code 19021"), ("dingtalk", "errcode 310000: sign not match")]
)
def test_a_wrong_secret_is_refused_with_the_vendors_code_and_the_target_named(
    chat_servers: ChatServers, pdf: Path, monkeypatch: pytest.MonkeyPatch, vendor: Any, code: str
) -> None:
    bot = chat_servers.add_bot(vendor, secret=SECRET)
    monkeypatch.setenv("REPORTGEN_SECRET_GROWTH_BOT", "SECwrong")
    time = FakeTime()
    with pytest.raises(DeliveryError) as raised:
        target(bot, time).deliver(pdf, ["growth-bot"])
    error = raised.value
    assert error.stage == "chat_refused"
    assert error.server_reply is not None and code in error.server_reply
    assert error.params["target"] == "growth-bot" and error.params["kind"] == vendor
    assert error.refused == {"growth-bot": error.server_reply}
    assert "growth-bot" in error.message() and code in error.message()
    assert "SECwrong" not in error.message()
    assert error.pdf_path == pdf
    assert len(bot.refused) == 1 and not bot.received  # a refusal is not retried
    assert time.waits == []


@pytest.mark.parametrize(("vendor", "code"), [("feishu", "19021"), ("dingtalk", "310000")])
def test_a_signing_bot_refuses_a_post_without_the_secret(
    chat_servers: ChatServers, pdf: Path, monkeypatch: pytest.MonkeyPatch, vendor: Any, code: str
) -> None:
    bot = chat_servers.add_bot(vendor, secret=SECRET)
    monkeypatch.delenv("REPORTGEN_SECRET_GROWTH_BOT", raising=False)
    with pytest.raises(DeliveryError) as raised:
        target(bot, FakeTime()).deliver(pdf, ["growth-bot"])
    assert raised.value.stage == "chat_refused"
    assert code in (raised.value.server_reply or "")
    assert not bot.received


@pytest.mark.parametrize(
    ("vendor", "code"), [("feishu", "code 19024"), ("dingtalk", "errcode 310000: keywords not in content")]
)
def test_a_missing_keyword_is_refused_and_the_configured_one_is_accepted(
    chat_servers: ChatServers, pdf: Path, vendor: Any, code: str
) -> None:
    bot = chat_servers.add_bot(vendor, keyword="KW-Ops")
    with pytest.raises(DeliveryError) as raised:
        target(bot, FakeTime()).deliver(pdf, ["growth-bot"])
    assert raised.value.stage == "chat_refused"
    assert code in (raised.value.server_reply or "")
    assert raised.value.params["target"] == "growth-bot"
    assert not bot.received
    receipt = target(bot, FakeTime(), keyword="KW-Ops").deliver(pdf, ["growth-bot"])
    assert receipt.accepted == ("growth-bot",)
    assert "KW-Ops" in raw_text(bot)


@pytest.mark.parametrize("vendor", ["feishu", "dingtalk", "wecom", "slack", "teams"])
def test_a_bot_that_is_down_fails_after_every_attempt(
    chat_servers: ChatServers, pdf: Path, vendor: Any
) -> None:
    bot = chat_servers.add_bot(vendor, down=True)
    time = FakeTime()
    with pytest.raises(DeliveryError) as raised:
        target(bot, time).deliver(pdf, ["growth-bot"])
    error = raised.value
    assert error.stage == "chat_failed"
    assert error.params["attempts"] == ATTEMPTS == 3
    assert "503" in (error.server_reply or "")
    assert "growth-bot" in error.message()
    assert len(bot.refused) == ATTEMPTS and not bot.received and not bot.files
    assert time.waits == [2.0, 4.0]  # waited between the attempts, doubling, not after the last


def test_a_bot_that_cannot_be_reached_fails_after_every_attempt(pdf: Path) -> None:
    """Nothing listens on the port (the fake is stopped): a connection error, retried, then chat_failed."""
    with running_chat_servers() as servers:
        bot = servers.add_bot("slack")
    time = FakeTime()
    with pytest.raises(DeliveryError) as raised:
        target(bot, time).deliver(pdf, ["growth-bot"])
    assert raised.value.stage == "chat_failed"
    assert "no connection" in (raised.value.server_reply or "")
    assert time.waits == [2.0, 4.0]


@pytest.mark.parametrize(
    ("vendor", "per_minute", "wait"),
    [
        ("slack", 1, 1.0),
        ("teams", 1, 1.0),
        ("feishu", 1, 1.0),
        ("wecom", 2, 60.0),
    ],  # DingTalk: the test below
)
def test_a_rate_limited_post_is_retried_after_the_asked_wait(
    chat_servers: ChatServers, pdf: Path, vendor: Any, per_minute: int, wait: float
) -> None:
    """Another process used the bot's minute (its own Pacer): the vendor says wait, we wait that long (the
    fake sleep tells the fake the time passed) and the second try arrives."""
    bot = chat_servers.add_bot(vendor, per_minute=per_minute, retry_after=1)
    target(bot, FakeTime()).deliver(pdf, ["growth-bot"])  # the minute's quota, used elsewhere
    before = len(bot.received)
    time = FakeTime(then=bot.reset_limits)
    receipt = target(bot, time).deliver(pdf, ["growth-bot"])
    assert time.waits == [wait]
    assert receipt.accepted == ("growth-bot",)
    (refusal,) = bot.refused
    assert refusal.answer.status == (429 if vendor in ("slack", "teams") else 200)
    assert len(bot.received) == before * 2  # the second delivery arrived whole
    assert "Growth" in bot.received[before].raw.decode()


class ServerClock:
    """The fake servers' clock (tests/chatservers.py reads `time.time` and `time.monotonic`), moved on by
    the fake sleep, so a wait the Pacer records is a wait the fake server sees too."""

    def __init__(self) -> None:
        import time as real

        self.real = real
        self.offset = 0.0

    def time(self) -> float:
        return self.real.time() + self.offset

    def monotonic(self) -> float:
        return self.real.monotonic() + self.offset

    def sleep(self, seconds: float) -> None:
        self.real.sleep(seconds)

    def advance(self, seconds: float) -> None:
        self.offset += seconds


def test_dingtalks_ten_minute_throttle_is_not_retried_into(
    chat_servers: ChatServers, pdf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests import chatservers

    server_clock = ServerClock()
    monkeypatch.setattr(chatservers, "time", server_clock)
    bot = chat_servers.add_bot("dingtalk", per_minute=1)
    target(bot, FakeTime()).deliver(pdf, ["growth-bot"])
    time = FakeTime()
    time.then = lambda: server_clock.advance(time.waits[-1])
    with pytest.raises(DeliveryError) as raised:
        target(bot, time).deliver(pdf, ["growth-bot"])
    assert len(bot.refused) >= 1 and "130101" in (raised.value.server_reply or "")
    assert raised.value.stage == "chat_rate_limited"
    assert len(bot.refused) == 1  # nothing posted into the throttle


def test_a_wait_longer_than_the_longest_is_not_waited(chat_servers: ChatServers, pdf: Path) -> None:
    bot = chat_servers.add_bot("slack", per_minute=1, retry_after=120)
    target(bot, FakeTime()).deliver(pdf, ["growth-bot"])
    time = FakeTime()
    with pytest.raises(DeliveryError) as raised:
        target(bot, time).deliver(pdf, ["growth-bot"])
    assert raised.value.stage == "chat_rate_limited"
    assert raised.value.params["seconds"] == 120
    assert time.waits == []  # no sleeping for two minutes in a delivery: the user tries later


def test_wecom_gets_the_markdown_then_the_pdf_itself(chat_servers: ChatServers, pdf: Path) -> None:
    bot = chat_servers.add_bot("wecom")
    receipt = target(bot, FakeTime()).deliver(pdf, ["growth-bot"])
    assert receipt.accepted == ("growth-bot",)
    assert receipt.message_id.count("errcode 0") == 2  # both answers reported
    first, second = bot.received
    assert first.body["msgtype"] == "markdown"
    assert "Growth" in first.body["markdown"]["content"]
    assert second.body["msgtype"] == "file"
    ((message, uploaded),) = bot.file_messages
    assert message is second and first.at <= second.at
    assert uploaded.content == pdf.read_bytes()
    assert uploaded.filename == pdf.name
    assert uploaded.type == "file"
    assert not bot.refused


def test_the_link_carries_the_delivered_pdfs_sha256(chat_servers: ChatServers, pdf: Path) -> None:
    bot = chat_servers.add_bot("feishu")
    asked: list[str] = []

    def link_for(sha: str) -> tuple[str, str]:
        asked.append(sha)
        return f"https://reports.example.com/r/{sha}", "2026-11-30"

    chat = ChatTarget(settings_for(bot), link_for=link_for, pacer=FakeTime().pacer())
    chat.deliver(pdf, ["growth-bot"])
    assert asked == [hashlib.sha256(pdf.read_bytes()).hexdigest()]
    (message,) = bot.received
    (action,) = [e for e in message.body["card"]["elements"] if e["tag"] == "action"]
    assert action["actions"][0]["url"] == f"https://reports.example.com/r/{asked[0]}"
    assert "2026-11-30" in message.raw.decode()


def test_a_pdf_reportgen_did_not_make_goes_under_its_file_name(
    chat_servers: ChatServers, tmp_path: Path
) -> None:
    bot = chat_servers.add_bot("slack")
    receipt = target(bot, FakeTime()).deliver(make_pdf(tmp_path / "q3-ops.pdf"), ["growth-bot"])
    assert receipt.subject == "q3-ops"
    (message,) = bot.received
    assert message.body["blocks"][0]["text"]["text"] == "q3-ops"


def test_nothing_is_posted_for_a_bot_not_asked_for(chat_servers: ChatServers, pdf: Path) -> None:
    bot = chat_servers.add_bot("slack")
    receipt = target(bot, FakeTime()).deliver(pdf, ["someone-else"])
    assert receipt.accepted == ()
    assert not bot.received and not bot.refused


@pytest.mark.parametrize(
    ("vendor", "answer"),
    [
        ("feishu", "code 0 success"),
        ("dingtalk", "errcode 0 ok"),
        ("wecom", "errcode 0 ok"),
        ("slack", "HTTP 200 ok"),
        ("teams", "HTTP 202"),
    ],
)
def test_post_test_gets_the_vendors_answer(
    chat_servers: ChatServers, monkeypatch: pytest.MonkeyPatch, vendor: Any, answer: str
) -> None:
    bot = chat_servers.add_bot(vendor, secret=SECRET)
    monkeypatch.setenv("REPORTGEN_SECRET_GROWTH_BOT", SECRET)
    result = target(bot, FakeTime()).post_test()
    assert result.ok
    assert result.text == answer
    (message,) = bot.received
    assert f"reportgen can post to growth-bot ({vendor})" in message.raw.decode()
    assert not bot.files  # a test message carries no file, even to WeCom


def test_post_test_to_a_wrong_url_raises_with_the_vendors_answer(chat_servers: ChatServers) -> None:
    bot = chat_servers.add_bot("wecom")
    wrong = ChatSettings("growth-bot", ChatKind.WECOM, bot.url.replace(bot.token, "not-a-key"), timeout=5)
    with pytest.raises(DeliveryError) as raised:
        ChatTarget(wrong, pacer=FakeTime().pacer()).post_test()
    assert raised.value.stage == "chat_refused"
    assert "93000" in (raised.value.server_reply or "")
    assert not bot.received


def test_the_fakes_are_only_on_this_machine(chat_servers: ChatServers) -> None:
    assert httpx.URL(chat_servers.add_bot("slack").url).host == "127.0.0.1"


# --- the Pacer, on a fake clock


def posting_times(vendor: Vendor, start: float, gaps: list[float], url: str = "https://bot") -> list[float]:
    """When each post went out: one asked for every gap, the Pacer waiting as it must."""
    time = FakeTime(start)
    pacer = time.pacer()
    sent = []
    for gap in gaps:
        time.now += gap
        pacer.wait_turn(url, vendor)
        sent.append(time.now)
    assert all(wait > 0 for wait in time.waits)
    return sent


@pytest.mark.parametrize("kind", list(VENDORS))
@given(
    start=st.floats(min_value=0, max_value=2 * HALF_HOUR),
    gaps=st.lists(st.floats(min_value=0, max_value=30).map(lambda gap: round(gap, 3)), max_size=60),
)
def test_the_pacer_keeps_the_vendors_pace_and_the_off_peak_seconds(
    kind: ChatKind, start: float, gaps: list[float]
) -> None:
    vendor = VENDORS[kind]
    sent = posting_times(vendor, 1_790_000_000 - 1_790_000_000 % HALF_HOUR + start, gaps)
    assert sent == sorted(sent)
    for first, later in zip(sent, sent[vendor.per_window :], strict=False):
        assert later - first >= vendor.window - 1e-6  # never more than per_window in any window
    if vendor.off_peak:
        for at in sent:
            into = at % HALF_HOUR
            assert OFF_PEAK_SECONDS - 1e-6 <= into <= HALF_HOUR - OFF_PEAK_SECONDS + 1e-6, into


def test_the_pacer_waits_only_as_long_as_it_must() -> None:
    feishu = VENDORS[ChatKind.FEISHU]  # 5 a second
    assert posting_times(feishu, CALM, [0] * 6) == [CALM] * 5 + [CALM + 1]
    slack = VENDORS[ChatKind.SLACK]  # 1 a second, no off-peak rule
    assert posting_times(slack, CALM - 900, [0, 0]) == [CALM - 900, CALM - 899]  # at :00 too
    on_the_hour = CALM - 900  # hh:00:00
    assert posting_times(feishu, on_the_hour + 3, [0]) == [on_the_hour + OFF_PEAK_SECONDS]
    assert posting_times(feishu, on_the_hour - 5, [0]) == [on_the_hour + OFF_PEAK_SECONDS]
    assert posting_times(feishu, on_the_hour + OFF_PEAK_SECONDS, [0]) == [on_the_hour + OFF_PEAK_SECONDS]


def test_each_bot_has_its_own_pace() -> None:
    slack = VENDORS[ChatKind.SLACK]
    time = FakeTime()
    pacer = time.pacer()
    pacer.wait_turn("https://one", slack)
    pacer.wait_turn("https://two", slack)
    assert time.waits == []
    pacer.wait_turn("https://one", slack)
    assert time.waits == [1.0]


@pytest.mark.parametrize("vendor", ["wecom", "slack", "teams", "feishu"])
def test_a_refusal_says_what_to_check_for_its_kind(
    chat_servers: ChatServers, monkeypatch: pytest.MonkeyPatch, vendor: Any
) -> None:
    """Slack, Teams and WeCom carry their token in the url alone: a refusal points at the url, never at a
    secret or a keyword they do not have; Feishu's (and DingTalk's) at the secret and keyword too."""
    bot = chat_servers.add_bot(vendor, secret=SECRET if vendor == "feishu" else None)
    monkeypatch.setenv("REPORTGEN_SECRET_GROWTH_BOT", "SECwrong")
    url = bot.url if vendor == "feishu" else bot.url.replace(bot.token, "not-a-token")
    wrong = ChatSettings("growth-bot", ChatKind(vendor), url, timeout=5)
    with pytest.raises(DeliveryError) as raised:
        ChatTarget(wrong, pacer=FakeTime().pacer()).post_test()
    assert raised.value.stage == "chat_refused"
    for lang in ("en", "zh"):
        said = raised.value.message(lang)
        assert ("REPORTGEN_SECRET_" in said) == (vendor == "feishu"), said
        assert "url" in said and "growth-bot" in said, said
