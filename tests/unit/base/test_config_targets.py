"""reportgen.toml for chat delivery: `[[targets]]` (each bot's name, kind, webhook url, keyword, language),
`[email.languages]` (a reader's own language) and `[serve] public_url`/`link_days`; every refusal names the
file and the key, and a webhook's token never shows in one."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.base.config import ChatSettings, Config, EmailSettings, load_config
from reportgen.base.errors import InputError
from reportgen.base.states import ChatKind

FEISHU = "https://open.feishu.cn/open-apis/bot/v2/hook/0f6c2a9e-1b7d-4c3e-9a55-7d1e2b3c4d5e"
DINGTALK = "https://oapi.dingtalk.com/robot/send?access_token=8f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c"
WECOM = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7a3b-4c2d-9e8f-0a1b2c3d4e5f"


def load(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "reportgen.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def refusal(tmp_path: Path, text: str) -> str:
    with pytest.raises(InputError) as raised:
        load(tmp_path, text)
    message = raised.value.message()
    assert str(tmp_path / "reportgen.toml") in message  # every refusal names the file
    return message


def entry(name: str = "growth", kind: str = "feishu", url: str = FEISHU, extra: str = "") -> str:
    return f'[[targets]]\nname = "{name}"\nkind = "{kind}"\nurl = "{url}"\n{extra}'


def test_targets_are_read_in_the_files_order(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        entry("growth", "Feishu", extra='keyword = "Review"\nlanguage = "zh"\ntimeout = 5\n')
        + entry("ops", "dingtalk", DINGTALK)
        + entry("wecom-ops", "wecom", WECOM, 'language = "en"\n'),
    )
    assert config.targets == (
        ChatSettings("growth", ChatKind.FEISHU, FEISHU, keyword="Review", language="zh", timeout=5.0),
        ChatSettings("ops", ChatKind.DINGTALK, DINGTALK),
        ChatSettings("wecom-ops", ChatKind.WECOM, WECOM, language="en"),
    )
    assert config.target("ops") == config.targets[1]
    assert config.target("nobody") is None
    assert config.targets[2].secret_variable == "REPORTGEN_SECRET_WECOM_OPS"


def test_no_targets_is_mail_only(tmp_path: Path) -> None:
    assert load(tmp_path, 'team = "Growth"\n').targets == ()


@pytest.mark.parametrize("missing", ["name", "kind", "url"])
def test_each_required_key_is_named_when_missing(tmp_path: Path, missing: str) -> None:
    lines = [f'{key} = "{value}"' for key, value in (("name", "g"), ("kind", "slack"), ("url", FEISHU))]
    text = (
        entry("first") + "[[targets]]\n" + "\n".join(line for line in lines if not line.startswith(missing))
    )
    message = refusal(tmp_path, text + "\n")
    assert f"'targets[2].{missing}' is required" in message


def test_a_blank_name_counts_as_missing(tmp_path: Path) -> None:
    assert "'targets[1].name' is required" in refusal(tmp_path, entry("   "))


def test_names_are_unique(tmp_path: Path) -> None:
    message = refusal(tmp_path, entry("growth") + entry("growth", "slack", "https://hooks.slack.com/x"))
    assert "'targets[2].name'" in message
    assert '"growth"' in message
    assert "a name no other [[targets]] entry has" in message


def test_an_unknown_kind_lists_the_kinds(tmp_path: Path) -> None:
    message = refusal(tmp_path, entry(kind="telegram"))
    assert "'targets[1].kind'" in message and '"telegram"' in message
    assert "feishu, dingtalk, wecom, slack, teams" in message


@pytest.mark.parametrize(
    "url",
    [
        "ftp://open.feishu.cn/open-apis/bot/v2/hook/0f6c2a9e-1b7d-4c3e-9a55-7d1e2b3c4d5e",
        "https://open.feishu.cn/open-apis/bot/v2/hook/0f6c2a9e-1b7d-4c3e 9a55-7d1e2b3c4d5e",
        "open.feishu.cn/open-apis/bot/v2/hook/0f6c2a9e-1b7d-4c3e-9a55-7d1e2b3c4d5e",
        "https:///services/T0123/B0123/XXXXXXXXXXXXXXXXXXXXXXXX",
    ],
)
def test_a_bad_url_is_refused_with_its_token_hidden(tmp_path: Path, url: str) -> None:
    message = refusal(tmp_path, entry(url=url))
    assert "'targets[1].url'" in message
    assert "the bot's webhook address" in message
    assert "***" in message
    token = url.rsplit("/", 1)[1]
    assert token not in message
    assert token[8:] not in message  # not even most of it


@pytest.mark.parametrize(
    "url",
    [
        "http//oapi.dingtalk.com/robot/send?access_token=8f3e2d1c0b9a8f7e6d5c",
        "qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7a3b-4c2d",
    ],
)
def test_a_bad_url_hides_a_token_in_its_query(tmp_path: Path, url: str) -> None:
    """(Short enough that the 80-character cut of a shown value leaves the token in, when not hidden.)"""
    message = refusal(tmp_path, entry(url=url))
    assert "'targets[1].url'" in message
    token = url.rsplit("=", 1)[1]
    assert token[8:] not in message


@pytest.mark.parametrize("language", ["fr", "EN", "zh-CN"])
def test_the_language_is_en_or_zh(tmp_path: Path, language: str) -> None:
    message = refusal(tmp_path, entry(extra=f'language = "{language}"\n'))
    assert "'targets[1].language'" in message
    assert "one of: en, zh" in message


@pytest.mark.parametrize(
    ("key", "value"), [("secret", '"SEC123"'), ("webhook", '"https://x/y"'), ("at_all", "true")]
)
def test_an_unknown_key_is_refused_and_named(tmp_path: Path, key: str, value: str) -> None:
    message = refusal(tmp_path, entry(extra=f"{key} = {value}\n"))
    assert f"unknown key 'targets[1].{key}'" in message
    assert "kind" in message and "url" in message  # what is known, listed
    if key == "secret":
        assert "SEC123" not in message


@pytest.mark.parametrize(
    ("extra", "key"),
    [("timeout = 0\n", "timeout"), ("timeout = true\n", "timeout"), ("keyword = 3\n", "keyword")],
)
def test_other_values_are_checked(tmp_path: Path, extra: str, key: str) -> None:
    assert f"'targets[1].{key}'" in refusal(tmp_path, entry(extra=extra))


def test_targets_must_be_an_array_of_tables(tmp_path: Path) -> None:
    assert "'targets'" in refusal(tmp_path, 'targets = "growth"\n')
    assert "'targets[1]'" in refusal(tmp_path, 'targets = ["growth"]\n')


# --- [email.languages]


def test_email_languages_give_each_reader_their_own(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        '[email]\nto = ["boss@example.com", "wang@example.cn"]\n'
        '[email.languages]\n"Wang@Example.CN" = "zh"\n"Ops <ops@example.com>" = "en"\n',
    )
    email = config.email
    assert email.languages == (("Wang@Example.CN", "zh"), ("ops@example.com", "en"))
    assert email.language_of("wang@example.cn") == "zh"
    assert email.language_of("WANG@EXAMPLE.CN") == "zh"
    assert email.language_of("Wang Wei <wang@EXAMPLE.cn>") == "zh"
    assert email.language_of("OPS@example.com") == "en"
    assert email.language_of("boss@example.com") is None
    assert email.language_of("not an address") is None


def test_an_email_languages_address_is_checked(tmp_path: Path) -> None:
    message = refusal(tmp_path, '[email.languages]\n"wang at example" = "zh"\n')
    assert "'email.languages'" in message and "wang at example" in message


def test_an_email_languages_language_is_checked(tmp_path: Path) -> None:
    message = refusal(tmp_path, '[email.languages]\n"wang@example.cn" = "de"\n')
    assert "'email.languages.wang@example.cn'" in message
    assert '"de"' in message and "one of: en, zh" in message


def test_email_languages_must_be_a_table(tmp_path: Path) -> None:
    assert "'email.languages'" in refusal(tmp_path, '[email]\nlanguages = "zh"\n')


# --- [serve] public_url and link_days


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("https://reports.example.com", "https://reports.example.com"),
        ("https://reports.example.com/", "https://reports.example.com"),
        ("  https://example.com/reportgen/  ", "https://example.com/reportgen"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("", None),
    ],
)
def test_public_url_is_kept_without_its_trailing_slash(tmp_path: Path, given: str, kept: str | None) -> None:
    serve = load(tmp_path, f'[serve]\npublic_url = "{given}"\nlink_days = 7\n').serve
    assert serve.public_url == kept
    assert serve.link_days == 7


def test_serve_defaults_have_no_links() -> None:
    serve = Config().serve
    assert serve.public_url is None and serve.link_days == 30


@pytest.mark.parametrize(
    "given",
    [
        "reports.example.com",
        "ftp://reports.example.com",
        "https://user:pw@reports.example.com",
        "https://reports.example.com/?a=1",
        "https://reports.example.com/#top",
        "https://reports example.com",
    ],
)
def test_a_bad_public_url_is_refused(tmp_path: Path, given: str) -> None:
    message = refusal(tmp_path, f'[serve]\npublic_url = "{given}"\n')
    assert "'serve.public_url'" in message
    assert "the address readers open serve at" in message


@pytest.mark.parametrize("days", ["0", "-1", "true", '"30"'])
def test_link_days_is_a_positive_integer(tmp_path: Path, days: str) -> None:
    assert "'serve.link_days'" in refusal(tmp_path, f"[serve]\nlink_days = {days}\n")


# --- the languages a build makes the review in


def test_reader_languages_name_each_language_once_in_order(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        '[email.languages]\n"wang@example.cn" = "zh"\n"li@example.cn" = "zh"\n'
        + entry("growth", extra='language = "en"\n')
        + entry("cn", "dingtalk", DINGTALK, 'language = "zh"\n')
        + entry("any", "slack", "https://hooks.slack.com/services/T1/B1/abcdefgh"),
    )
    assert config.reader_languages == ("zh", "en")


def test_reader_languages_are_empty_when_nobody_names_one() -> None:
    assert Config().reader_languages == ()
    config = Config(
        email=EmailSettings(language="zh"), targets=(ChatSettings("g", ChatKind.SLACK, "https://h/x"),)
    )
    assert config.reader_languages == ()  # [email] language is the mail's, not a reader's


def test_bot_languages_alone_are_reader_languages() -> None:
    targets = (
        ChatSettings("a", ChatKind.TEAMS, "https://h/a", language="en"),
        ChatSettings("b", ChatKind.FEISHU, "https://h/b", language="en"),
    )
    assert Config(targets=targets).reader_languages == ("en",)


@pytest.mark.parametrize(("first", "second"), [("销售群", "市场群"), ("growth-bot", "growth_bot")])
def test_two_bots_never_share_a_secret_variable(tmp_path: Path, first: str, second: str) -> None:
    text = entry(first) + entry(second, "dingtalk", DINGTALK)
    try:
        config = load(tmp_path, text)
    except InputError as error:  # refusing the pair is one right answer
        assert (
            "targets[" in error.message() and ".name'" in error.message()
        )  # the name that cannot be told apart
        return
    assert config.targets[0].secret_variable != config.targets[1].secret_variable
