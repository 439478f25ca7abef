"""The fake chat webhooks (tests/chatservers.py) answer as the vendors document: a correct, signed message is
accepted and recorded; each documented refusal comes back with the vendor's status and code; a WeCom upload
then file message works; the rate limits trigger; the server leaves no thread or socket behind."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from tests.chatservers import (
    VENDORS,
    Bot,
    ChatServers,
    Vendor,
    dingtalk_sign,
    dingtalk_url,
    feishu_sign,
    running_chat_servers,
)

CARD = {
    "type": "message",
    "attachments": [
        {
            "contentType": "application/vnd.microsoft.card.adaptive",
            "content": {
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": [{"type": "TextBlock", "text": "x"}],
            },
        }
    ],
}


def feishu_body(
    bot: Bot, text: str = "Monthly review", *, at: int | None = None, secret: str | None = None
) -> dict:
    body: dict[str, Any] = {
        "msg_type": "interactive",
        "card": {"elements": [{"tag": "markdown", "content": text}]},
    }
    key = secret or bot.secret
    if key is not None:
        stamp = int(time.time()) if at is None else at
        body |= {"timestamp": str(stamp), "sign": feishu_sign(key, stamp)}
    return body


def dingtalk_body(text: str = "Monthly review") -> dict:
    return {"msgtype": "markdown", "markdown": {"title": "Review", "text": text}}


def minimal(vendor: Vendor) -> dict:
    return {
        "feishu": {"msg_type": "text", "content": {"text": "hello"}},
        "dingtalk": dingtalk_body(),
        "wecom": {"msgtype": "markdown", "markdown": {"content": "hello"}},
        "slack": {"text": "hello"},
        "teams": CARD,
    }[vendor]


# -- Feishu / Lark --


def test_feishu_accepts_a_signed_card_and_records_it(chat_servers: ChatServers) -> None:
    bot = chat_servers.add_bot("feishu", secret="s3cret", keyword="review")
    assert bot.url.startswith(f"http://127.0.0.1:{chat_servers.port}/open-apis/bot/v2/hook/")
    answer = httpx.post(bot.url, json=feishu_body(bot, "Monthly review"))
    assert answer.status_code == 200
    assert answer.json()["code"] == 0 and answer.json()["msg"] == "success"
    assert [message.body["msg_type"] for message in bot.received] == ["interactive"]
    assert bot.received[0].headers["content-type"] == "application/json"
    assert not bot.refused


@pytest.mark.parametrize(
    ("case", "code"),
    [("wrong secret", 19021), ("stale timestamp", 19021), ("no sign", 19021), ("no keyword", 19024)],
)
def test_feishu_refuses_bad_signatures_and_a_missing_keyword(
    chat_servers: ChatServers, case: str, code: int
) -> None:
    bot = chat_servers.add_bot("feishu", secret="s3cret", keyword="review")
    body = {
        "wrong secret": feishu_body(bot, "Monthly review", secret="other"),
        "stale timestamp": feishu_body(bot, "Monthly review", at=int(time.time()) - 3700),
        "no sign": {"msg_type": "text", "content": {"text": "Monthly review"}},
        "no keyword": feishu_body(bot, "Monthly report"),
    }[case]
    answer = httpx.post(bot.url, json=body)
    assert answer.status_code == 200
    assert answer.json()["code"] == code
    assert not bot.received and bot.refused[0].answer.code == code


def test_feishu_refuses_a_body_over_20_kb_and_an_unknown_token(chat_servers: ChatServers) -> None:
    bot = chat_servers.add_bot("feishu")
    answer = httpx.post(bot.url, json=feishu_body(bot, "x" * 21000))
    assert (answer.status_code, answer.json()["code"], answer.json()["msg"]) == (400, 9499, "Bad Request")
    unknown = httpx.post(bot.url.rsplit("/", 1)[0] + "/not-a-bot", json=feishu_body(bot))
    assert unknown.json() == {
        "code": 19001,
        "data": {},
        "msg": "param invalid: incoming webhook access token invalid",
    }


def test_feishu_rate_limit(chat_servers: ChatServers) -> None:
    bot = chat_servers.add_bot("feishu", per_minute=2)
    codes = [httpx.post(bot.url, json=feishu_body(bot)).json()["code"] for _ in range(3)]
    assert codes == [0, 0, 11232]
    assert len(bot.received) == 2


# -- DingTalk --


def test_dingtalk_accepts_a_signed_markdown(chat_servers: ChatServers) -> None:
    bot = chat_servers.add_bot("dingtalk", secret="SEC0123", keyword="review")
    answer = httpx.post(dingtalk_url(bot), json=dingtalk_body("Monthly review"))
    assert answer.json() == {"errcode": 0, "errmsg": "ok"}
    assert bot.received[0].query["access_token"] == bot.token
    assert bot.received[0].query["timestamp"].isdigit()


@pytest.mark.parametrize(
    ("case", "errmsg"),
    [
        ("wrong secret", "sign not match"),
        ("stale timestamp", "invalid timestamp"),
        ("no sign", "invalid timestamp"),
        ("unencoded sign", "sign not match"),
        ("no keyword", "keywords not in content"),
    ],
)
def test_dingtalk_refusals_are_310000(chat_servers: ChatServers, case: str, errmsg: str) -> None:
    bot = chat_servers.add_bot("dingtalk", secret="SEC0123", keyword="review")
    stale = int(time.time() * 1000) - 3_700_000
    now = int(time.time() * 1000)
    plus = next(stamp for stamp in range(now, now - 5000, -1) if "+" in dingtalk_sign("SEC0123", stamp))
    urls = {
        "wrong secret": dingtalk_url(Bot("dingtalk", bot.token, bot.url, secret="SECother")),
        "stale timestamp": dingtalk_url(bot, stale),
        "no sign": bot.url,
        "unencoded sign": f"{bot.url}&timestamp={plus}&sign={dingtalk_sign('SEC0123', plus)}",
        "no keyword": dingtalk_url(bot),
    }
    text = "Monthly report" if case == "no keyword" else "Monthly review"
    answer = httpx.post(urls[case], json=dingtalk_body(text))
    assert answer.status_code == 200
    assert answer.json() == {"errcode": 310000, "errmsg": errmsg}


def test_dingtalk_size_token_and_rate_limit(chat_servers: ChatServers) -> None:
    bot = chat_servers.add_bot("dingtalk", per_minute=2)
    big = httpx.post(bot.url, json=dingtalk_body("x" * 20001)).json()
    assert big["errcode"] == 460101
    unknown = httpx.post(bot.url.replace(bot.token, "0" * 64), json=dingtalk_body()).json()
    assert unknown == {"errcode": 300005, "errmsg": "token is not exist"}
    codes = [httpx.post(bot.url, json=dingtalk_body()).json()["errcode"] for _ in range(4)]
    assert codes == [0, 0, 130101, 130101]  # over the limit: throttled (for 10 minutes)
    bot.reset_limits()
    assert httpx.post(bot.url, json=dingtalk_body()).json()["errcode"] == 0


# -- WeCom --


def test_wecom_upload_then_file_message(chat_servers: ChatServers) -> None:
    bot = chat_servers.add_bot("wecom")
    pdf = b"%PDF-1.7\n" + b"0" * 1000
    uploaded = httpx.post(bot.upload_url, files={"media": ("2024-05 review.pdf", pdf, "application/pdf")})
    reply = uploaded.json()
    assert (reply["errcode"], reply["errmsg"], reply["type"]) == (0, "ok", "file")
    assert reply["created_at"].isdigit()
    sent = httpx.post(bot.url, json={"msgtype": "file", "file": {"media_id": reply["media_id"]}})
    assert sent.json() == {"errcode": 0, "errmsg": "ok"}
    [(message, file)] = bot.file_messages
    assert (file.filename, file.content, file.media_id) == ("2024-05 review.pdf", pdf, reply["media_id"])


def test_wecom_refusals(chat_servers: ChatServers) -> None:
    bot = chat_servers.add_bot("wecom")
    other = chat_servers.add_bot("wecom")
    theirs = httpx.post(other.upload_url, files={"media": ("a.pdf", b"%PDF-xxxx", "application/pdf")}).json()

    def code(url: str, **kwargs: Any) -> int:
        return int(httpx.post(url, **kwargs).json()["errcode"])

    at_limit = "表" * 1365 + "x"  # 4,096 bytes of UTF-8
    assert code(bot.url, json={"msgtype": "markdown", "markdown": {"content": at_limit}}) == 0
    assert code(bot.url, json={"msgtype": "markdown", "markdown": {"content": at_limit + "x"}}) == 40058
    assert code(bot.url, json={"msgtype": "file", "file": {"media_id": theirs["media_id"]}}) == 40007
    assert code(bot.upload_url, files={"media": ("a.pdf", b"12345", "application/pdf")}) == 40006
    assert code(bot.url.replace(bot.token, "nope"), json=minimal("wecom")) == 93000
    refusal = bot.refused[0].answer.body["errmsg"]
    assert refusal.startswith("markdown.content exceed max length 4096")
    assert "open.work.weixin.qq.com/devtool/query?e=40058" in refusal


def test_wecom_rate_limit_counts_messages_not_uploads(chat_servers: ChatServers) -> None:
    bot = chat_servers.add_bot("wecom", per_minute=1)
    upload = httpx.post(bot.upload_url, files={"media": ("a.pdf", b"%PDF-xxxx", "application/pdf")}).json()
    assert upload["errcode"] == 0
    file_message = {"msgtype": "file", "file": {"media_id": upload["media_id"]}}
    assert httpx.post(bot.url, json=file_message).json()["errcode"] == 0
    limited = httpx.post(bot.url, json=minimal("wecom")).json()
    assert limited["errcode"] == 45009 and limited["errmsg"].startswith("api freq out of limit")


# -- Slack --


def test_slack_accepts_text_and_blocks(chat_servers: ChatServers) -> None:
    bot = chat_servers.add_bot("slack")
    assert "/services/T" in bot.url
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": "May"}}]
    answer = httpx.post(bot.url, json={"text": "May review", "blocks": blocks})
    assert (answer.status_code, answer.text) == (200, "ok")
    assert bot.received[0].body["blocks"] == blocks


def test_slack_refusals(chat_servers: ChatServers) -> None:
    bot = chat_servers.add_bot("slack")
    bad_json = httpx.post(bot.url, content=b"{", headers={"content-type": "application/json"})
    assert (bad_json.status_code, bad_json.text) == (400, "invalid_payload")
    no_text = httpx.post(bot.url, json={"username": "x"})
    assert (no_text.status_code, no_text.text) == (400, "no_text")
    too_many = httpx.post(bot.url, json={"text": "x", "blocks": [{"type": "divider"}] * 51})
    assert (too_many.status_code, too_many.text) == (400, "invalid_blocks")
    team, service, _ = bot.token.split("/")
    gone = httpx.post(f"{chat_servers.base_url}/services/{team}/{service}/wrong", json={"text": "x"})
    assert (gone.status_code, gone.text) == (404, "no_service")
    nobody = httpx.post(f"{chat_servers.base_url}/services/TX/BX/wrong", json={"text": "x"})
    assert (nobody.status_code, nobody.text) == (404, "no_team")


def test_slack_rate_limit_is_a_429_with_retry_after(chat_servers: ChatServers) -> None:
    fixed = chat_servers.add_bot("slack", per_minute=1, retry_after=7)
    computed = chat_servers.add_bot("slack", per_second=1)
    for bot, expected in ((fixed, "7"), (computed, "1")):
        assert httpx.post(bot.url, json={"text": "x"}).status_code == 200
        limited = httpx.post(bot.url, json={"text": "x"})
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == expected
        assert bot.refused[0].answer.headers["retry-after"] == expected


# -- Teams (Workflows) --


def test_teams_accepts_an_adaptive_card_with_202(chat_servers: ChatServers) -> None:
    bot = chat_servers.add_bot("teams")
    assert "/workflows/" in bot.url and "sig=" in bot.url and "api-version=" in bot.url
    answer = httpx.post(bot.url, json=CARD)
    assert (answer.status_code, answer.content) == (202, b"")
    assert bot.received[0].body == CARD


def test_teams_refusals(chat_servers: ChatServers) -> None:
    bot = chat_servers.add_bot("teams")
    wrong = httpx.post(bot.url.rsplit("sig=", 1)[0] + "sig=wrong", json=CARD)
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "DirectApiInvalidAuthorizationSignature"
    missing = httpx.post(bot.url.rsplit("&sig=", 1)[0], json=CARD)
    assert (missing.status_code, missing.json()["error"]["code"]) == (401, "DirectApiAuthorizationRequired")
    unknown = httpx.post(bot.url.replace(bot.token, "0" * 32), json=CARD)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "WorkflowNotFound")


def test_teams_card_over_28_kb_is_accepted_then_never_posted(chat_servers: ChatServers) -> None:
    bot = chat_servers.add_bot("teams")
    big = {**CARD, "attachments": [{**CARD["attachments"][0], "padding": "x" * 29_000}]}  # type: ignore[dict-item]
    answer = httpx.post(bot.url, json=big)
    assert answer.status_code == 202  # the sender cannot tell: the flow run fails after the 202
    assert not bot.received
    assert bot.refused[0].answer.code == "RequestEntityTooLarge"


def test_teams_rate_limit_is_a_429_with_retry_after(chat_servers: ChatServers) -> None:
    bot = chat_servers.add_bot("teams", per_minute=1, retry_after=30)
    assert httpx.post(bot.url, json=CARD).status_code == 202
    limited = httpx.post(bot.url, json=CARD)
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "30")


# -- every vendor --


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_bot_that_is_down_answers_503(chat_servers: ChatServers, vendor: Vendor) -> None:
    bot = chat_servers.add_bot(vendor, down=True)
    answer = httpx.post(bot.url, json=minimal(vendor))
    assert answer.status_code == 503
    bot.down = False
    assert httpx.post(bot.url, json=minimal(vendor)).status_code in (200, 202)
    assert len(bot.received) == 1 and len(bot.refused) == 1


def test_the_server_leaves_no_thread_and_no_listening_port() -> None:
    with running_chat_servers() as servers:
        bot = servers.add_bot("slack")
        assert httpx.post(bot.url, json={"text": "x"}).status_code == 200
        port = servers.port
    assert not [thread for thread in threading.enumerate() if thread.name == "chatservers"]
    with pytest.raises(httpx.ConnectError):
        httpx.post(f"http://127.0.0.1:{port}/services/x/y/z", json={"text": "x"}, timeout=2)
