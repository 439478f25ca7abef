"""Each chat vendor's protocol, in one table (`VENDORS`): the message it takes, how it is signed, the size and
rate it allows, and how to read its answer. Pure functions of the review's summary: the posting (pacing,
retries, the ledger) is delivery/chat.py's. The values follow each vendor's documentation, summarised with
the sources in docs/chat-vendors.md; the test servers in tests/chatservers.py implement the same documents.

Cell text (the team, the takeaways) is data: it goes out as plain text where the vendor has it, and escaped
where the message is markdown, so no cell can add a link, a mention or formatting."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reportgen.base.catalogue import catalogue
from reportgen.base.states import ChatKind
from reportgen.delivery.summary import ReviewSummary, heading

TAKEAWAY_CUTS = (None, 240, 120, 60, 0)  # each takeaway at most this long, until the message fits


@dataclass(frozen=True, slots=True)
class Post:
    """One HTTP request to a bot: the JSON body, and query parameters the signature adds to the url."""

    body: dict[str, Any]
    query: dict[str, str]

    def size(self) -> int:
        return len(encode(self.body))


@dataclass(frozen=True, slots=True)
class Answer:
    """What the vendor said: accepted, or its code and message; `wait` seconds when it asks us to slow
    down (a rate limit), None otherwise."""

    ok: bool
    text: str
    wait: float | None = None


@dataclass(frozen=True, slots=True)
class Card:
    """The words of one message, in the reader's language, before a vendor shapes them."""

    title: str
    revised: str
    kpis: tuple[tuple[str, str], ...]  # (label, "value  delta")
    takeaways_heading: str
    takeaways: tuple[str, ...]
    quality: str
    button: str
    link: str | None
    footer: str  # "the PDF went by mail", or when the link ends
    keyword: str | None


@dataclass(frozen=True, slots=True)
class Vendor:
    """One vendor's protocol. `per_window`: at most that many posts in `window` seconds to one bot;
    `limit`: the largest message in bytes (the whole JSON body, or the markdown for WeCom);
    `rate_wait`: seconds to wait when it answers "too fast" without saying how long."""

    kind: ChatKind
    shape: Callable[[Card], dict[str, Any]]
    sign: Callable[[str, float], tuple[dict[str, str], dict[str, str]]]  # → (body fields, query)
    read: Callable[[int, str, dict[str, str]], Answer]
    limit: int
    measured: Callable[[dict[str, Any]], int]
    per_window: int
    window: float
    rate_wait: float
    off_peak: bool = False  # keep off the hour and the half-hour, when the vendor's bots are busiest
    carries_files: bool = False  # the PDF itself follows the message (WeCom)

    @property
    def signed(self) -> bool:
        """Its bots take a signing secret (and a keyword): Feishu and DingTalk; the others' token is in the
        url alone."""
        return self.sign is not unsigned


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def footer_of(summary: ReviewSummary, link: str | None, until: str, *, with_file: bool, mailed: bool) -> str:
    """Where the reader finds the whole review, truly: the link (until when), the PDF following in this
    chat (WeCom), the mail (only when the mail went too), or that it is not here."""
    words = catalogue(summary.lang)
    if link:
        return words.text("chat.link_until", date=until)
    if with_file:
        return words.text("chat.pdf_follows")
    return words.text("chat.by_mail" if mailed else "chat.pdf_elsewhere")


def card_of(
    summary: ReviewSummary, link: str | None, footer: str, keyword: str | None, cut: int | None
) -> Card:
    """The message's words from the review's summary; takeaways cut to `cut` characters (0: left out)."""
    words = catalogue(summary.lang)
    title = heading(summary)
    takeaways = summary.takeaways if cut != 0 else ()
    if cut:
        takeaways = tuple(text if len(text) <= cut else text[: cut - 1].rstrip() + "…" for text in takeaways)
    return Card(
        title=title,
        revised=summary.revised,
        kpis=tuple(
            (card.label, "  ".join(part for part in (card.value, card.delta) if part))
            for card in summary.kpis
        ),
        takeaways_heading=words.text("chat.takeaways"),
        takeaways=takeaways,
        quality=summary.data_quality,
        button=words.text("chat.open"),
        link=link,
        footer=footer,
        keyword=keyword if keyword and keyword not in title else None,
    )


def fitted(
    vendor: Vendor,
    summary: ReviewSummary,
    link: str | None,
    until: str,
    keyword: str | None,
    *,
    mailed: bool = True,
) -> dict[str, Any]:
    """The vendor's message, its takeaways shortened (then left out) until it is under the vendor's limit;
    `mailed`: the mail went too (the card may say so)."""
    footer = footer_of(summary, link, until, with_file=vendor.carries_files, mailed=mailed)
    body: dict[str, Any] = {}
    for cut in TAKEAWAY_CUTS:
        body = vendor.shape(card_of(summary, link, footer, keyword, cut))
        if vendor.measured(body) <= vendor.limit:
            return body
    return body  # the cards alone: far below every limit


def whole_body(body: dict[str, Any]) -> int:
    return len(encode(body))


# --- markup

_MARKDOWN = re.compile(r"([\\`*_\[\]~|])")


def md(text: str) -> str:
    """Cell text inside markdown: the characters that open emphasis, code, links and tables escaped (without
    `[` no link can start), angle brackets (HTML in WeCom's and DingTalk's markdown) as their full-width
    look-alikes, so the text shows as written and does nothing."""
    return _MARKDOWN.sub(r"\\\1", text).replace("<", "＜").replace(">", "＞")


def slack_text(text: str) -> str:
    """Text inside Slack's mrkdwn: the three characters Slack asks to escape (&, <, >)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _heading(card: Card) -> str:
    keyword = f"{card.keyword} · " if card.keyword else ""
    return keyword + card.title


def _markdown_lines(card: Card, escape: Callable[[str], str], bold: Callable[[str], str]) -> list[str]:
    lines = [f"### {escape(_heading(card))}"]
    if card.revised:
        lines.append(bold(escape(card.revised)))
    lines.append("")
    lines += [f"- {escape(label)}: {bold(escape(value))}" for label, value in card.kpis]
    if card.takeaways:
        lines += ["", bold(escape(card.takeaways_heading))]
        lines += [f"{number}. {escape(text)}" for number, text in enumerate(card.takeaways, start=1)]
    if card.quality:
        lines += ["", escape(card.quality)]
    lines += ["", escape(card.footer)]
    return lines


# --- Feishu / Lark: an interactive card, plain_text everywhere


def _plain(text: str) -> dict[str, str]:
    return {"tag": "plain_text", "content": text}


def feishu_card(card: Card) -> dict[str, Any]:
    elements: list[dict[str, Any]] = []
    if card.revised:
        elements.append({"tag": "div", "text": _plain(card.revised)})
    elements.append(
        {
            "tag": "div",
            "fields": [{"is_short": True, "text": _plain(f"{label}\n{value}")} for label, value in card.kpis],
        }
    )
    if card.takeaways:
        numbered = [f"{number}. {text}" for number, text in enumerate(card.takeaways, start=1)]
        elements += [
            {"tag": "hr"},
            {"tag": "div", "text": _plain("\n".join([card.takeaways_heading, *numbered]))},
        ]
    if card.quality:
        elements.append({"tag": "note", "elements": [_plain(card.quality)]})
    if card.link:
        button = {"tag": "button", "text": _plain(card.button), "type": "primary", "url": card.link}
        elements.append({"tag": "action", "actions": [button]})
    elements.append({"tag": "note", "elements": [_plain(card.footer)]})
    header = {"title": _plain(_heading(card)), "template": "orange" if card.revised else "blue"}
    return {
        "msg_type": "interactive",
        "card": {"config": {"wide_screen_mode": True}, "header": header, "elements": elements},
    }


def feishu_sign(secret: str, now: float) -> tuple[dict[str, str], dict[str, str]]:
    """`timestamp` (seconds) and `sign` = base64(HMAC-SHA256 keyed "{timestamp}\\n{secret}" over nothing)."""
    timestamp = str(int(now))
    key = f"{timestamp}\n{secret}".encode()
    sign = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    return {"timestamp": timestamp, "sign": sign}, {}


def _json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


FEISHU_RATE_CODES = {9499, 11232, 11233}  # "too many request", "frequency limited"


def feishu_read(status: int, text: str, headers: dict[str, str]) -> Answer:
    answer = _json(text)
    code = answer.get("code", answer.get("StatusCode"))
    message = answer.get("msg", answer.get("StatusMessage", text[:200]))
    if status == 200 and code == 0:
        return Answer(True, f"code 0 {message}")
    wait = 1.0 if code in FEISHU_RATE_CODES or status == 429 else None
    return Answer(False, f"HTTP {status}, code {code}: {message}", wait)


# --- DingTalk: an actionCard (markdown with one button), or markdown without a link


def dingtalk_message(card: Card) -> dict[str, Any]:
    text = "\n".join(_markdown_lines(card, md, lambda text: f"**{text}**"))
    title = _heading(card)
    if card.link:
        action = {
            "title": title,
            "text": text,
            "btnOrientation": "0",
            "singleTitle": card.button,
            "singleURL": card.link,
        }
        return {"msgtype": "actionCard", "actionCard": action}
    return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}


def dingtalk_sign(secret: str, now: float) -> tuple[dict[str, str], dict[str, str]]:
    """`timestamp` (milliseconds) and `sign` = base64(HMAC-SHA256 keyed secret over "{timestamp}\\n{secret}"),
    both on the url (urlencoded by the client)."""
    timestamp = str(int(now * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return {}, {"timestamp": timestamp, "sign": base64.b64encode(digest).decode()}


DINGTALK_RATE_CODES = {130101, 410100}  # "send too fast", "exceed 20 per minute"
DINGTALK_THROTTLE = 600.0  # over 20 a minute, the robot is refused for 10 minutes: not retried into


def errcode_read(rate_codes: set[int], rate_wait: float) -> Callable[[int, str, dict[str, str]], Answer]:
    """DingTalk's and WeCom's answers: {"errcode": 0, "errmsg": "ok"} or an error code."""

    def read(status: int, text: str, headers: dict[str, str]) -> Answer:
        answer = _json(text)
        code = answer.get("errcode")
        message = answer.get("errmsg", text[:200])
        if status == 200 and code == 0:
            return Answer(True, f"errcode 0 {message}")
        wait = rate_wait if code in rate_codes or status == 429 else None
        return Answer(False, f"HTTP {status}, errcode {code}: {message}", wait)

    return read


# --- WeCom: markdown (4,096 bytes of content), then the PDF as a file


def wecom_markdown(card: Card) -> dict[str, Any]:
    lines = _markdown_lines(card, md, lambda text: f"**{text}**")
    if card.link:
        lines.append(f"[{md(card.button)}]({card.link})")
    return {"msgtype": "markdown", "markdown": {"content": "\n".join(lines)}}


def wecom_content(body: dict[str, Any]) -> int:
    return len(str(body.get("markdown", {}).get("content", "")).encode("utf-8"))


WECOM_RATE_CODES = {45009, 45033}  # "api freq out of limit"


# --- Slack: Block Kit


def slack_blocks(card: Card) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _heading(card)[:150]}}
    ]
    if card.revised:
        blocks.append({"type": "section", "text": {"type": "plain_text", "text": card.revised}})
    fields = [
        {"type": "mrkdwn", "text": f"*{slack_text(label)}*\n{slack_text(value)}"}
        for label, value in card.kpis
    ]
    for start in range(0, len(fields), 10):  # a section holds at most 10 fields
        blocks.append({"type": "section", "fields": fields[start : start + 10]})
    if card.takeaways:
        numbered = [f"{number}. {text}" for number, text in enumerate(card.takeaways, start=1)]
        text = "\n".join([card.takeaways_heading, *numbered])
        blocks += [{"type": "divider"}, {"type": "section", "text": {"type": "plain_text", "text": text}}]
    if card.quality:
        blocks.append({"type": "context", "elements": [{"type": "plain_text", "text": card.quality[:2000]}]})
    if card.link:
        button = {"type": "button", "text": {"type": "plain_text", "text": card.button}, "url": card.link}
        blocks.append({"type": "actions", "elements": [button]})
    blocks.append({"type": "context", "elements": [{"type": "plain_text", "text": card.footer}]})
    return {"text": slack_text(_heading(card)), "blocks": blocks}  # the notification: mrkdwn, escaped


SLACK_SECTION_TEXT = 3_000  # characters in one section's text


def slack_size(body: dict[str, Any]) -> int:
    """The body's bytes, or past any limit when a section's text is longer than Slack takes (so `fitted`
    shortens the takeaways instead of Slack refusing the message)."""
    longest = max(
        (
            len(block.get("text", {}).get("text", ""))
            for block in body.get("blocks", [])
            if block["type"] == "section"
        ),
        default=0,
    )
    return whole_body(body) if longest <= SLACK_SECTION_TEXT else 1 << 30


def status_read(status: int, text: str, headers: dict[str, str]) -> Answer:
    """Slack's and Teams' answers: HTTP 200/202 is taken; 429 says how long to wait (Retry-After)."""
    if status in (200, 202):
        return Answer(True, f"HTTP {status} {text[:100]}".strip())
    wait = None
    if status == 429:
        try:
            wait = float(headers.get("retry-after", "1"))
        except ValueError:
            wait = 1.0
    return Answer(False, f"HTTP {status}: {text[:200]}", wait)


# --- Microsoft Teams: a Workflows webhook carrying an Adaptive Card


def teams_card(card: Card) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": md(_heading(card)), "size": "Large", "weight": "Bolder", "wrap": True}
    ]
    if card.revised:
        body.append({"type": "TextBlock", "text": md(card.revised), "color": "Warning", "wrap": True})
    body.append(
        {"type": "FactSet", "facts": [{"title": label, "value": value} for label, value in card.kpis]}
    )
    if card.takeaways:
        body.append(
            {"type": "TextBlock", "text": md(card.takeaways_heading), "weight": "Bolder", "wrap": True}
        )
        body += [
            {"type": "TextBlock", "text": f"{number}. {md(text)}", "wrap": True}
            for number, text in enumerate(card.takeaways, start=1)
        ]
    if card.quality:
        body.append({"type": "TextBlock", "text": md(card.quality), "isSubtle": True, "wrap": True})
    body.append({"type": "TextBlock", "text": md(card.footer), "isSubtle": True, "wrap": True})
    adaptive: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if card.link:
        adaptive["actions"] = [{"type": "Action.OpenUrl", "title": card.button, "url": card.link}]
    attachment = {
        "contentType": "application/vnd.microsoft.card.adaptive",
        "contentUrl": None,
        "content": adaptive,
    }
    return {"type": "message", "attachments": [attachment]}


def unsigned(secret: str, now: float) -> tuple[dict[str, str], dict[str, str]]:
    return {}, {}


VENDORS: dict[ChatKind, Vendor] = {
    ChatKind.FEISHU: Vendor(
        ChatKind.FEISHU, feishu_card, feishu_sign, feishu_read, 20_000, whole_body, 5, 1.0, 1.0, off_peak=True
    ),
    ChatKind.DINGTALK: Vendor(
        ChatKind.DINGTALK,
        dingtalk_message,
        dingtalk_sign,
        errcode_read(DINGTALK_RATE_CODES, DINGTALK_THROTTLE),
        20_000,
        whole_body,
        20,
        60.0,
        DINGTALK_THROTTLE,
        off_peak=True,
    ),
    ChatKind.WECOM: Vendor(
        ChatKind.WECOM,
        wecom_markdown,
        unsigned,
        errcode_read(WECOM_RATE_CODES, 60.0),
        4_096,
        wecom_content,
        20,
        60.0,
        60.0,
        off_peak=True,
        carries_files=True,
    ),
    ChatKind.SLACK: Vendor(
        ChatKind.SLACK, slack_blocks, unsigned, status_read, 40_000, slack_size, 1, 1.0, 1.0
    ),
    ChatKind.TEAMS: Vendor(
        ChatKind.TEAMS, teams_card, unsigned, status_read, 28_000, whole_body, 4, 1.0, 1.0
    ),
}


def signed_url(url: str, query: dict[str, str]) -> str:
    """The webhook url with the signature's parameters added (urlencoded) to its own query."""
    if not query:
        return url
    return url + ("&" if "?" in url else "?") + urllib.parse.urlencode(query)


def upload_url(url: str) -> str:
    """WeCom's upload address beside its send address: …/webhook/send?key=K becomes
    …/webhook/upload_media?key=K&type=file."""
    parts = urllib.parse.urlsplit(url)
    path = re.sub(r"/send$", "/upload_media", parts.path)
    query = parts.query + ("&" if parts.query else "") + "type=file"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, query, ""))
