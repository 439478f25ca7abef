"""A delivery to several targets that failed for some: whom it reached and each target's failure, every
address and bot named once, in English and Chinese (a target's own sentence names it already: it was
named again before it, and in the line above)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.base.catalogue import catalogue
from reportgen.base.errors import DeliveryError

PDF = Path("/reviews/northwind-2026-10.pdf")
CFO, WANG, BOSS = "cfo@example.com", "wang@example.cn", "boss@example.com"


def no_copy(lang: str) -> DeliveryError:
    return DeliveryError(PDF, "no_language_copy", target=CFO, reads="zh", lang=lang)


def bot_down(lang: str) -> DeliveryError:
    return DeliveryError(
        PDF, "chat_failed", "HTTP 503", target="growth", kind="dingtalk", attempts=3, lang=lang
    )


def mail_down(lang: str) -> DeliveryError:
    return DeliveryError(PDF, "unreachable", "connection refused", host="smtp.example.com", port=587,
                         attempts=2, lang=lang)  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_one_target_left_out_reads_as_one_line_naming_it_once(lang: str) -> None:
    words = catalogue(lang)
    composed = DeliveryError(
        PDF, "some_targets", delivered=[WANG], failures=[(CFO, no_copy(lang))], lang=lang
    )
    why = no_copy(lang).reason(lang)
    assert composed.reason(lang) == words.text("delivery.some_targets_single", delivered=WANG, reason=why)
    expected = {
        "en": f"delivered to {WANG}; not delivered to {CFO}: it reads zh, and no review in that language "
        "was built. Build with --email (it builds every language the targets need), or reportgen build "
        "--lang zh.",
        "zh": f"已送达 {WANG}；未发给 {CFO}：它使用 zh，但没有生成这种语言的报告。"
        "请用 --email 生成（会生成各目标需要的每种语言），或运行 reportgen build --lang zh。",
    }
    assert composed.reason(lang) == expected[lang]
    assert composed.reason(lang).count(CFO) == 1


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_several_targets_each_named_once_on_a_line(lang: str) -> None:
    words = catalogue(lang)
    failures = [(CFO, no_copy(lang)), ("growth", bot_down(lang)), (BOSS, mail_down(lang))]
    composed = DeliveryError(PDF, "some_targets", delivered=[WANG, "board"], failures=failures, lang=lang)
    lines = composed.reason(lang).splitlines()
    assert lines == [
        words.text("delivery.some_targets", delivered=words.text("where.list").join([WANG, "board"])),
        "  " + no_copy(lang).reason(lang),
        "  " + bot_down(lang).reason(lang),
        "  " + words.text("delivery.target_reason", target=BOSS, reason=mail_down(lang).reason(lang)),
    ]
    text = composed.message(lang)
    assert text.count(CFO) == 1 and text.count("growth") == 1 and text.count(BOSS) == 1
    if lang == "en":
        assert lines[2] == "  not posted to growth (dingtalk) after 3 attempts: HTTP 503. Try again later."
        assert lines[3].startswith(f"  {BOSS}: not sent: the mail server smtp.example.com:587 could not be")
    nothing = DeliveryError(PDF, "some_targets", delivered=[], failures=failures[:2], lang=lang)
    assert nothing.reason(lang).splitlines()[0] == words.text("delivery.some_targets_none")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_bots_refusal_names_the_bot_and_its_answer_once(lang: str) -> None:
    """The refusal's sentence quotes the bot's answer; its refused line ('  board: code 19021 …', kept for
    the archive) said it again."""
    reply = "HTTP 200, code 19021: sign match fail"
    refused = DeliveryError(
        PDF, "chat_refused", reply, refused={"board": reply}, target="board", kind="feishu", lang=lang
    )
    composed = DeliveryError(PDF, "some_targets", delivered=[WANG], failures=[("board", refused)], lang=lang)
    for text in (refused.reason(lang), composed.reason(lang)):
        assert text.count("board") == 1 and text.count(reply) == 1, text
    assert refused.refused == {"board": reply}  # the archive still records the bot's answer
