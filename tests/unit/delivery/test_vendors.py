"""Each chat vendor's message (reportgen/delivery/vendors.py) built from a review's summary: it carries the
team, the month, every KPI, every takeaway, the data-quality line, the revision and either the button with
its link or the by-mail footer; however long the takeaways, it fits under the vendor's limit and cell text
never becomes markup. The signatures agree with the independent helpers of tests/chatservers.py (written
from the vendors' documentation), and the urls the signature and WeCom's upload need are built right."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reportgen.base.catalogue import catalogue
from reportgen.base.states import ChatKind
from reportgen.delivery import vendors
from reportgen.delivery.summary import CardLine, ReviewSummary
from reportgen.delivery.vendors import VENDORS, Vendor, fitted, md, signed_url, upload_url
from tests import chatservers
from tests.chatservers import Bot

LINK = "https://reports.example.com/r/eyJhIjoiYiJ9.token-part_1"
UNTIL = "2026-11-30"
KPIS = (
    CardLine("Leads", "1,240", "+96 (+8%)", "good"),
    CardLine("Spend", "¥3,400", "−5%", "bad"),
    CardLine("Cost per lead", "¥2.74"),
)
TAKEAWAYS = ("Leads rose by 8% on SEO articles.", "Paid search spend fell for the second month.")
REVISED = "Revised — replaces the review sent on 2026-11-04"
QUALITY = "Data quality: 2 warnings, no errors."


def summary(lang: str = "en", **changes: Any) -> ReviewSummary:
    fields: dict[str, Any] = {
        "lang": lang,
        "team": "Growth",
        "month": "October 2026",
        "kpis": KPIS,
        "takeaways": TAKEAWAYS,
        "revised": "",
        "data_quality": QUALITY,
        "file_name": "growth-2026-10.pdf",
        "reportgen": True,
    }
    fields.update(changes)
    return ReviewSummary(**fields)


def strings(value: Any) -> Iterator[str]:
    """Every string in a JSON body, keys left out."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def text_of(body: dict[str, Any]) -> str:
    return "\n".join(strings(body))


def dicts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from dicts(item)
    elif isinstance(value, list):
        for item in value:
            yield from dicts(item)


def markdown_of(kind: ChatKind, body: dict[str, Any]) -> str:
    if kind is ChatKind.DINGTALK:
        return str(body[body["msgtype"]]["text"])
    assert kind is ChatKind.WECOM
    return str(body["markdown"]["content"])


def button_of(kind: ChatKind, body: dict[str, Any]) -> tuple[str, str] | None:
    """The message's button (its words, its url), read the vendor's way; None when it has none."""
    if kind is ChatKind.FEISHU:
        actions = [e for e in body["card"]["elements"] if e["tag"] == "action"]
        if not actions:
            return None
        (button,) = actions[0]["actions"]
        return button["text"]["content"], button["url"]
    if kind is ChatKind.DINGTALK:
        if body["msgtype"] != "actionCard":
            return None
        return body["actionCard"]["singleTitle"], body["actionCard"]["singleURL"]
    if kind is ChatKind.WECOM:
        last = body["markdown"]["content"].splitlines()[-1]
        found = re.fullmatch(r"\[(.*)\]\((\S+)\)", last)
        return (found[1], found[2]) if found else None
    if kind is ChatKind.SLACK:
        actions = [b for b in body["blocks"] if b["type"] == "actions"]
        if not actions:
            return None
        (button,) = actions[0]["elements"]
        return button["text"]["text"], button["url"]
    content = body["attachments"][0]["content"]
    if "actions" not in content:
        return None
    (action,) = content["actions"]
    assert action["type"] == "Action.OpenUrl"
    return action["title"], action["url"]


ALL = list(VENDORS)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("kind", ALL)
def test_the_message_carries_the_whole_summary_and_the_button(kind: ChatKind, lang: str) -> None:
    vendor = VENDORS[kind]
    words = catalogue(lang)
    body = fitted(vendor, summary(lang, revised=REVISED), LINK, UNTIL, None)
    text = text_of(body)
    assert words.text("chat.title", team="Growth", month="October 2026") in text
    for card in KPIS:
        assert card.label in text
        assert card.value in text
        if card.delta:
            assert card.delta in text
    for takeaway in TAKEAWAYS:
        assert takeaway in text
    assert QUALITY in text
    assert REVISED in text
    assert button_of(kind, body) == (words.text("chat.open"), LINK)
    assert words.text("chat.link_until", date=UNTIL) in text
    assert words.text("chat.by_mail") not in text
    assert vendor.measured(body) <= vendor.limit


@pytest.mark.parametrize("kind", ALL)
def test_without_a_link_the_message_says_the_pdf_went_by_mail_and_has_no_button(kind: ChatKind) -> None:
    body = fitted(VENDORS[kind], summary(), None, "", None)
    text = text_of(body)
    words = catalogue("en")
    assert button_of(kind, body) is None
    # where the whole review is, truly: WeCom carries the PDF itself, the others say it went by mail
    assert words.text("chat.pdf_follows" if kind is ChatKind.WECOM else "chat.by_mail") in text
    assert words.text("chat.open") not in text
    assert "Revised" not in text  # not revised: nothing says so
    urls = [text for text in strings(body) if "://" in text]
    assert urls == (["http://adaptivecards.io/schemas/adaptive-card.json"] if kind is ChatKind.TEAMS else [])
    for takeaway in TAKEAWAYS:
        assert takeaway in text


@pytest.mark.parametrize("kind", [kind for kind in ALL if kind is not ChatKind.WECOM])
def test_without_the_mail_the_card_never_says_the_pdf_went_by_mail(kind: ChatKind) -> None:
    text = text_of(fitted(VENDORS[kind], summary(), None, "", None, mailed=False))
    words = catalogue("en")
    assert words.text("chat.by_mail") not in text and words.text("chat.pdf_elsewhere") in text


def test_feishu_marks_a_revised_review_in_its_header_colour() -> None:
    plain = fitted(VENDORS[ChatKind.FEISHU], summary(), None, "", None)
    revised = fitted(VENDORS[ChatKind.FEISHU], summary(revised=REVISED), None, "", None)
    assert plain["card"]["header"]["template"] == "blue"
    assert revised["card"]["header"]["template"] == "orange"


@pytest.mark.parametrize("kind", ALL)
def test_the_keyword_heads_the_message_unless_the_title_has_it(kind: ChatKind) -> None:
    vendor = VENDORS[kind]
    with_keyword = text_of(fitted(vendor, summary(), None, "", "KW-Ops"))
    assert "KW-Ops" in with_keyword
    already = text_of(fitted(vendor, summary(), None, "", "Growth"))
    assert "Growth · " not in already  # the title has it: not added again


@pytest.mark.parametrize("kind", ALL)
def test_takeaways_too_long_are_cut_before_they_are_left_out(kind: ChatKind) -> None:
    """Just over the limit: each takeaway keeps its start (and an ellipsis) rather than all going."""
    vendor = VENDORS[kind]
    # just over each limit: WeCom's 4,096 bytes, Slack's 3,000 characters of one section, the others' bodies
    count = {ChatKind.WECOM: 12, ChatKind.SLACK: 10}.get(kind, 60)
    length = 400 if kind is ChatKind.WECOM else 1000
    takeaways = tuple(f"T{number:02d} " + "word " * (length // 5) for number in range(count))
    body = fitted(vendor, summary(takeaways=takeaways), LINK, UNTIL, None)
    assert vendor.measured(body) <= vendor.limit
    text = text_of(body)
    for takeaway in takeaways:
        assert takeaway[:50] in text
        assert takeaway not in text  # cut
    assert text.count("…") >= count


@pytest.mark.parametrize("kind", ALL)
def test_a_huge_takeaway_is_left_out_and_the_cards_remain(kind: ChatKind) -> None:
    vendor = VENDORS[kind]
    takeaways = tuple("增长" * 3000 for _ in range(40))
    body = fitted(vendor, summary(takeaways=takeaways), LINK, UNTIL, None)
    assert vendor.measured(body) <= vendor.limit
    text = text_of(body)
    for card in KPIS:
        assert card.label in text and card.value in text
    assert QUALITY in text
    assert button_of(kind, body) == (catalogue("en").text("chat.open"), LINK)


# --- generated cell text: always under the limit, never markup

NASTY = st.sampled_from(
    [
        "[x](http://e)",
        "[x]",
        "](",
        "<b>bold</b>",
        "<",
        ">",
        "<@U0123>",
        "<!channel>",
        "@all",
        "*",
        "**",
        "_",
        "`",
        "```",
        "~",
        "|",
        "\\",
        "#",
        "&amp;",
        "&",
        "销售线索增长了百分之八",
        "（全角）",
        "😀",
        " ",
    ]
)
CHARS = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"))
PIECE = st.one_of(NASTY, st.text(CHARS, max_size=12))
CELL = st.lists(PIECE, max_size=30).map("".join)
LONG_CELL = st.one_of(
    CELL,
    st.builds(
        lambda text, times: text * times,
        st.lists(PIECE, min_size=1, max_size=6).map("".join),
        st.integers(1, 600),
    ),
)

ESCAPED_IN_MARKDOWN = "[]`|~_"


def unescaped(text: str, characters: str) -> list[str]:
    """The characters of `characters` in markdown `text` that no backslash escapes."""
    found = []
    index = 0
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] in characters:
            found.append(text[index])
        index += 1
    return found


def assert_no_markup(kind: ChatKind, body: dict[str, Any], link: str | None) -> None:
    words = catalogue("en")
    if kind is ChatKind.FEISHU:
        tags = {d["tag"] for d in dicts(body) if "tag" in d}
        assert not tags & {"lark_md", "markdown", "a", "at"}
        for d in dicts(body):
            if "content" in d:
                assert d["tag"] == "plain_text", d
    elif kind in (ChatKind.DINGTALK, ChatKind.WECOM):
        text = markdown_of(kind, body)
        if kind is ChatKind.WECOM and link:
            lines = text.splitlines()
            assert lines[-1] == f"[{md(words.text('chat.open'))}]({link})"
            text = "\n".join(lines[:-1])
        assert unescaped(text, ESCAPED_IN_MARKDOWN) == []
        assert "<" not in text and ">" not in text  # no HTML (both render some)
    elif kind is ChatKind.SLACK:
        fields = {f"*{card.label}*\n{'  '.join(p for p in (card.value, card.delta) if p)}" for card in KPIS}
        for d in dicts(body):
            if d.get("type") == "mrkdwn":
                assert d["text"] in fields  # only the KPI cards are mrkdwn, never cell text
        assert chatservers._slack_blocks_valid(body["blocks"])
    else:
        content = body["attachments"][0]["content"]
        for block in content["body"]:
            if block["type"] == "TextBlock":
                assert unescaped(block["text"], ESCAPED_IN_MARKDOWN + "*") == [], block["text"]
                assert "<" not in block["text"] and ">" not in block["text"]


@pytest.mark.parametrize("kind", ALL)
@given(
    team=CELL.filter(lambda text: text.strip() != ""),
    takeaways=st.lists(LONG_CELL, max_size=40),
    link=st.sampled_from([None, LINK]),
    revised=st.sampled_from(["", REVISED]),
)
def test_generated_takeaways_always_fit_and_never_become_markup(
    kind: ChatKind, team: str, takeaways: list[str], link: str | None, revised: str
) -> None:
    vendor: Vendor = VENDORS[kind]
    body = fitted(vendor, summary(team=team, takeaways=tuple(takeaways), revised=revised), link, UNTIL, None)
    assert vendor.measured(body) <= vendor.limit
    assert_no_markup(kind, body, link)
    text = text_of(body)
    for card in KPIS:
        assert card.value in text


# --- signatures, checked against tests/chatservers.py (written from the vendors' documentation)

SECRETS = st.text(st.characters(codec="utf-8"), min_size=1, max_size=80)
NOWS = st.floats(min_value=1_500_000_000, max_value=2_500_000_000, allow_nan=False)


@given(secret=SECRETS, now=NOWS)
def test_feishu_signature_agrees_with_the_documented_one(secret: str, now: float) -> None:
    fields, query = vendors.feishu_sign(secret, now)
    assert query == {}
    assert fields == {"timestamp": str(int(now)), "sign": chatservers.feishu_sign(secret, int(now))}


@given(secret=SECRETS, now=NOWS)
def test_dingtalk_signature_agrees_with_the_documented_one(secret: str, now: float) -> None:
    fields, query = vendors.dingtalk_sign(secret, now)
    stamp = int(now * 1000)
    assert fields == {}
    assert query == {"timestamp": str(stamp), "sign": chatservers.dingtalk_sign(secret, stamp)}
    bot = Bot("dingtalk", "abc", "https://oapi.dingtalk.com/robot/send?access_token=abc", secret=secret)
    # the signed url is the one a correct sender builds (sign url-encoded, after the token)
    assert signed_url(bot.url, query) == chatservers.dingtalk_url(bot, stamp)


def test_the_other_vendors_sign_nothing() -> None:
    for kind in (ChatKind.WECOM, ChatKind.SLACK, ChatKind.TEAMS):
        assert VENDORS[kind].sign("secret", 1_800_000_000.0) == ({}, {})


def test_signed_url_adds_the_query_url_encoded() -> None:
    assert signed_url("https://h/p?a=1", {}) == "https://h/p?a=1"
    url = signed_url("https://h/robot/send", {"timestamp": "1", "sign": "a+b/c=="})
    assert url == "https://h/robot/send?timestamp=1&sign=a%2Bb%2Fc%3D%3D"
    parsed = urllib.parse.urlsplit(signed_url("https://h/robot/send?access_token=T", {"sign": "a+b/c=="}))
    assert urllib.parse.parse_qs(parsed.query) == {"access_token": ["T"], "sign": ["a+b/c=="]}


def test_upload_url_sits_beside_the_send_url() -> None:
    send = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx"
    assert (
        upload_url(send)
        == "https://qyapi.weixin.qq.com/cgi-bin/webhook/upload_media?key=693a91f6-7xxx&type=file"
    )
    bot = Bot("wecom", "693a91f6-7xxx", send)
    assert upload_url(send) == bot.upload_url  # the fake's idea of it, too
    assert upload_url("http://127.0.0.1:9/cgi-bin/webhook/send") == (
        "http://127.0.0.1:9/cgi-bin/webhook/upload_media?type=file"
    )


# --- reading the answers


def test_answers_are_read_the_vendors_way() -> None:
    feishu, dingtalk, wecom = (VENDORS[k].read for k in (ChatKind.FEISHU, ChatKind.DINGTALK, ChatKind.WECOM))
    slack = VENDORS[ChatKind.SLACK].read
    ok = feishu(200, '{"StatusCode":0,"code":0,"msg":"success"}', {})
    assert ok.ok and ok.wait is None
    limited = feishu(200, '{"code":11232,"msg":"frequency limited"}', {})
    assert (limited.ok, limited.wait) == (False, 1.0) and "11232" in limited.text
    refused = feishu(200, '{"code":19021,"msg":"sign match fail"}', {})
    assert (refused.ok, refused.wait) == (False, None) and "19021" in refused.text
    assert dingtalk(200, '{"errcode":0,"errmsg":"ok"}', {}).ok
    assert (
        dingtalk(200, '{"errcode":130101,"errmsg":"send too fast"}', {}).wait == 600.0
    )  # its 10-minute throttle
    assert wecom(200, '{"errcode":45009,"errmsg":"api freq out of limit"}', {}).wait == 60.0
    bad = wecom(200, '{"errcode":93000,"errmsg":"invalid webhook url"}', {})
    assert not bad.ok and bad.wait is None and "93000" in bad.text
    assert slack(200, "ok", {}).ok
    assert slack(429, "rate_limited", {"retry-after": "7"}).wait == 7.0
    assert slack(404, "no_service", {}) == vendors.Answer(False, "HTTP 404: no_service", None)
    assert VENDORS[ChatKind.TEAMS].read(202, "", {}).ok
    assert not feishu(503, "Service Unavailable", {}).ok
