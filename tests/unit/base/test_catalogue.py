"""Every sentence exists in both languages with the same fields, and every code the package uses exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

from reportgen.base import vocab
from reportgen.base.catalogue import LANGUAGES, catalogue, language
from reportgen.base.errors import InputError
from reportgen.base.model import Channel

PACKAGE = Path(__file__).resolve().parents[3] / "reportgen"


def fields(template: str) -> set[str]:
    return {name.split("!")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_catalogues_have_the_same_codes_and_fields() -> None:
    english, chinese = (catalogue(lang).templates for lang in LANGUAGES)
    singular = {code for code in english if code.endswith("_one") and code.removesuffix("_one") in english}
    assert set(english) - singular == set(chinese) - singular  # Chinese needs no singular forms
    for code in set(english) - singular:
        assert fields(english[code]) == fields(chinese[code]), code
    for code in singular:  # a singular form takes no field its plural lacks
        assert fields(english[code]) <= fields(english[code.removesuffix("_one")]) | {"count"}, code


def test_every_code_used_in_the_package_is_in_the_catalogue() -> None:
    source = "\n".join(path.read_text("utf-8") for path in PACKAGE.rglob("*.py"))
    templates = catalogue("en").templates
    findings = set(re.findall(r'Finding\(\s*"(\w+)"', source)) | set(re.findall(r'bad\(\s*"(\w+)"', source))
    errors = set(re.findall(r'InputError\(\s*[\w.]+,\s*"(\w+)"', source))
    usages = set(re.findall(r'UsageError\(\s*"(\w+)"', source))
    unreadable = set(re.findall(r'Unreadable\(\s*"(\w+)"', source))
    assert findings and errors and usages and unreadable
    missing = (
        {f"finding.{code}" for code in findings | unreadable}
        | {f"error.{code}" for code in errors}
        | {f"usage.{code}" for code in usages}
    ) - set(templates)
    assert not missing


def test_every_canonical_field_and_date_order_has_a_label_in_both_languages() -> None:
    fields = {
        field
        for table in (
            vocab.ACTIVITY_HEADERS,
            vocab.GOAL_HEADERS,
            vocab.RULE_HEADERS,
            vocab.COMMENTARY_HEADERS,
        )
        for field in table
    }
    for lang in LANGUAGES:
        templates = catalogue(lang).templates
        assert {f"field.{field}" for field in fields} <= set(templates), lang
        assert {"date_order.MDY", "date_order.DMY"} <= set(templates), lang
    assert catalogue("zh").text("field.done_on") == "完成日期"


def test_chinese_wording_of_channels_sources_and_locations() -> None:
    words = catalogue("zh")
    assert words.text("channel.event") == "活动/会议"
    assert words.text("source.channel_default", detail="SEO") == "按渠道默认（SEO）"
    assert words.text("source.none") == "未填目标，也无匹配规则"
    assert vocab.CHANNEL_WORDS[vocab.key("活动")] is Channel.EVENT
    assert vocab.key("活动") not in {vocab.key(word) for word in vocab.ACTIVITY_HEADERS["channel"][1]}


def test_check_summary_has_no_plural_to_get_wrong() -> None:
    words = catalogue("en")
    title = words.text("check.title", workbook="a.xlsx", errors=1, warnings=3, infos=2)
    assert title == "a.xlsx (errors: 1, warnings: 3, notes: 2)"
    usable = words.text("check.usable", activities=1, months=1, first="2026-10", last="2026-10")
    assert "1 months" not in usable and "1 activities" not in usable


def test_error_messages_are_built_in_the_language_of_the_error() -> None:
    error = InputError("book.xlsx", "no_activities", sheet="活动", cell="A3", lang="zh", cells=["A3", "B4"])
    assert error.message() == (
        "book.xlsx，工作表 活动，单元格 A3：活动表中没有一行可用：每一行都有问题（首先是 A3、B4）。"
        "请修正所列单元格后再试；`reportgen check` 会列出全部问题。"
    )
    assert error.message("en").startswith("book.xlsx, sheet 活动, cell A3: no row of the activity sheet")
    assert "(first: A3, B4)" in error.message("en")
    assert (
        InputError("book.xlsx", "missing").message()
        == "book.xlsx: no such file. Check the path and the file name."
    )


def test_one_fallback_rule_for_the_language() -> None:
    """The first choice reportgen speaks wins; nothing usable is English, whatever the call site."""
    assert language("zh", "en") == "zh"
    assert language(None, "", "fr", "zh") == "zh"
    assert language(None) == language() == language("de") == "en"
