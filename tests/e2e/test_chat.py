"""Chat delivery as management gets it: `build --email` and `send` to mail readers and to Feishu, DingTalk,
WeCom, Slack and Teams bots (the fakes of tests/chatservers.py on 127.0.0.1, which check signatures, keywords
and limits as the vendors document them), each reader in their own language; what arrived is read back and
checked against the PDFs' own figures (read from the PDFs, not from the code that wrote the cards)."""

from __future__ import annotations

import io
import json
import subprocess
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from reportgen.base.errors import ExitCode
from reportgen.figures.document import FIGURES_ATTACHMENT
from tests.builders import make_workbook
from tests.chatservers import Bot, ChatServers
from tests.commands import cli
from tests.e2e.test_batch import OCTOBER
from tests.e2e.test_batch_watch_mail import CLEAN, pdf_attachment
from tests.mailserver import Handler, smtp_server

AS_OF = "2026-11-03"
MONTH = "2026-10"
ZH_TITLE = "月度复盘"  # the chat.title of zh
EN_TITLE = "monthly review"


def figures_of(pdf: bytes) -> dict[str, Any]:
    """The figures document a PDF carries, as `send` reads it back."""
    attached = PdfReader(io.BytesIO(pdf)).attachments[FIGURES_ATTACHMENT]
    document = json.loads(attached[0])
    assert isinstance(document, dict)
    return document


def build_email(
    workbook: Path, pdf: Path, config: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`reportgen build WORKBOOK --month 2026-10 -o PDF --config CONFIG --email`, in this process."""
    return cli(
        "build",
        workbook,
        "--month",
        MONTH,
        "--as-of",
        AS_OF,
        "-o",
        pdf,
        "--config",
        config,
        "--email",
        env=env,
    )


def numbers_of(document: Any) -> Any:
    """A figures document without what is worded (its language, the mail's words, why a row got its goal
    and principle): the figures themselves."""
    worded = ("lang", "mail", "goal_decided_by", "principle_decided_by", "message")
    if isinstance(document, dict):
        return {key: numbers_of(value) for key, value in document.items() if key not in worded}
    if isinstance(document, list):
        return [numbers_of(value) for value in document]
    return document


def config_with(tmp_path: Path, port: int, bots: dict[str, tuple[Bot, str | None]], extra: str = "") -> Path:
    """A reportgen.toml: mail to boss (English) and wang (Chinese), the archive in tmp_path, and each bot as
    a [[targets]] entry with its language."""
    text = (
        f'[archive]\nurl = "sqlite:///{tmp_path / "archive.sqlite3"}"\n'
        f'[email]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\nsender = "Ops <ops@example.com>"\n'
        'to = ["boss@example.com", "wang@example.cn"]\nattempts = 2\nretry_delay = 0.01\ntimeout = 5\n'
        '[email.languages]\n"wang@example.cn" = "zh"\n' + extra
    )
    for name, (bot, lang) in bots.items():
        text += f'[[targets]]\nname = "{name}"\nkind = "{bot.vendor}"\nurl = "{bot.url}"\n'
        text += f'language = "{lang}"\n' if lang else ""
        text += f'keyword = "{bot.keyword}"\n' if bot.keyword else ""
    path = tmp_path / "reportgen.toml"
    path.write_text(text, "utf-8")
    return path


def secrets_env(bots: dict[str, tuple[Bot, str | None]]) -> dict[str, str]:
    return {f"REPORTGEN_SECRET_{name.upper()}": bot.secret for name, (bot, _) in bots.items() if bot.secret}


def words_of(message: Any) -> str:
    """Every string in a received body, joined: what the group reads."""
    if isinstance(message, dict):
        return "\n".join(words_of(value) for value in message.values())
    if isinstance(message, list):
        return "\n".join(words_of(value) for value in message)
    return message if isinstance(message, str) else ""


def test_one_build_reaches_every_reader_once_each_in_their_own_language(
    tmp_path: Path, chat_servers: ChatServers
) -> None:
    workbook = make_workbook(tmp_path, CLEAN, name="alpha.xlsx", title="Alpha Team — log")
    bots = {
        "feishu": (chat_servers.add_bot("feishu", secret="feishu-secret", keyword="Alpha"), "zh"),
        "dingtalk": (chat_servers.add_bot("dingtalk", secret="SECdingtalk-secret"), "zh"),
        "wecom": (chat_servers.add_bot("wecom"), "en"),
        "slack": (chat_servers.add_bot("slack"), None),
        "teams": (chat_servers.add_bot("teams"), "en"),
    }
    handler = Handler()
    with smtp_server(handler) as port:
        config = config_with(tmp_path, port, bots)
        pdf = tmp_path / "alpha.pdf"
        result = build_email(workbook, pdf, config, env=secrets_env(bots))
        assert result.returncode == ExitCode.OK, result.stderr
        chinese = tmp_path / "alpha.zh.pdf"
        assert chinese.is_file()

        # the mail: one message each, the PDF in the reader's language
        by_reader = {message.rcpt_tos: pdf_attachment(message) for message in handler.received}
        assert by_reader == {
            ("boss@example.com",): ("alpha.pdf", pdf.read_bytes()),
            ("wang@example.cn",): ("alpha.zh.pdf", chinese.read_bytes()),
        }
        # the two PDFs: identical figures, each in its language
        english, zh = figures_of(pdf.read_bytes()), figures_of(chinese.read_bytes())
        assert (english["lang"], zh["lang"]) == ("en", "zh")
        assert numbers_of(english) == numbers_of(zh)

        # each bot: exactly one message, nothing refused, in its language, with the cards of its PDF
        for name, (bot, lang) in bots.items():
            assert not bot.refused, (name, bot.refused)
            messages = [
                message for message in bot.received if message.body and message.body.get("msgtype") != "file"
            ]
            assert len(messages) == 1, name
            text = words_of(messages[0].body)
            summary = (zh if lang == "zh" else english)["mail"]
            assert (ZH_TITLE if lang == "zh" else EN_TITLE) in text, name
            for card in summary["kpis"]:
                assert card["label"] in text and card["value"] in text, (name, card)
            assert all(takeaway[:30] in text.replace("\\", "") for takeaway in summary["takeaways"]), name
            assert summary["data_quality"] in text.replace("\\", ""), name
        assert "Alpha" in words_of(bots["feishu"][0].received[0].body)  # the keyword the bot requires
        wecom = bots["wecom"][0]
        assert [(file.filename, file.content) for file in wecom.files] == [("alpha.pdf", pdf.read_bytes())]
        assert len(wecom.file_messages) == 1

        # once: the same PDF again reaches nobody, and says when each had it
        handler.received.clear()
        again = cli("send", pdf, "--config", config, env=secrets_env(bots))
        assert again.returncode == ExitCode.DELIVERY_FAILED
        assert "already reached" in again.stderr
        for reader in ("boss@example.com", "wang@example.cn", *bots):  # every one that had it, bots too
            assert reader in again.stderr, (reader, again.stderr)
        assert not handler.received
        assert all(len(bot.received) == (2 if name == "wecom" else 1) for name, (bot, _) in bots.items())


def test_a_bot_that_is_down_stops_no_one_else_and_gets_the_review_on_the_next_send(
    tmp_path: Path, chat_servers: ChatServers
) -> None:
    workbook = make_workbook(tmp_path, CLEAN, name="alpha.xlsx", title="Alpha Team — log")
    down = chat_servers.add_bot("dingtalk", down=True)
    slack = chat_servers.add_bot("slack")
    bots: dict[str, tuple[Bot, str | None]] = {"growth": (down, None), "leads": (slack, None)}
    handler = Handler()
    with smtp_server(handler) as port:
        config = config_with(tmp_path, port, bots)
        pdf = tmp_path / "alpha.pdf"
        result = build_email(workbook, pdf, config)
        assert result.returncode == ExitCode.DELIVERY_FAILED
        said = " ".join(result.stderr.split())
        told = [line for line in result.stderr.splitlines() if line.startswith("reportgen: delivered to")]
        assert len(told) == 1 and "; not posted to growth (dingtalk) after" in told[0], said
        assert told[0].count("growth") == 1 and "HTTP 503" in told[0], said  # the bot named once
        assert len(handler.received) == 2 and len(slack.received) == 1 and not down.received

        down.down = False
        handler.received.clear()
        retried = cli("send", pdf, "--config", config)
        assert retried.returncode == ExitCode.OK, retried.stderr
        assert (
            len(down.received) == 1 and len(slack.received) == 1 and not handler.received
        )  # only the missing

        # a changed workbook is a new version: every bot gets it once more, labelled a revision
        revised = make_workbook(tmp_path, CLEAN[:1], name="alpha.xlsx", title="Alpha Team — log")
        again = build_email(revised, pdf, config)
        assert again.returncode == ExitCode.OK, again.stderr
        for bot in (down, slack):
            assert len(bot.received) == 2
            assert "Revised" in words_of(bot.received[1].body) and "Revised" not in words_of(
                bot.received[0].body
            )


def test_a_wrong_secret_is_refused_with_the_vendors_answer_and_named(
    tmp_path: Path, chat_servers: ChatServers
) -> None:
    workbook = make_workbook(tmp_path, CLEAN, name="alpha.xlsx", title="Alpha Team — log")
    feishu = chat_servers.add_bot("feishu", secret="the-real-secret")
    bots: dict[str, tuple[Bot, str | None]] = {"board": (feishu, None)}
    handler = Handler()
    with smtp_server(handler) as port:
        config = config_with(tmp_path, port, bots)
        pdf = tmp_path / "alpha.pdf"
        result = build_email(workbook, pdf, config, env={"REPORTGEN_SECRET_BOARD": "not-the-secret"})
    assert result.returncode == ExitCode.DELIVERY_FAILED
    said = " ".join(result.stderr.split())
    assert "board" in said and "19021" in said and "REPORTGEN_SECRET_" in said, said
    assert "not-the-secret" not in result.stderr + result.stdout
    assert [refusal.answer.code for refusal in feishu.refused] == [19021] and not feishu.received
    assert len(handler.received) == 2  # the mail went all the same


def test_the_cards_button_opens_exactly_the_delivered_pdf_until_it_expires(
    tmp_path: Path, chat_servers: ChatServers, monkeypatch: pytest.MonkeyPatch
) -> None:
    from starlette.testclient import TestClient

    from reportgen.apps.serve.app import Server
    from reportgen.apps.serve.state import ServeOptions
    from reportgen.base.config import load_config

    monkeypatch.setenv("REPORTGEN_LINK_SECRET", "a-long-random-link-secret")
    workbook = make_workbook(tmp_path, CLEAN, name="alpha.xlsx", title="Alpha Team — log")
    slack = chat_servers.add_bot("slack")
    handler = Handler()
    with smtp_server(handler) as port:
        extra = '[serve]\npublic_url = "https://reports.example.com"\nallow_hosts = ["reports.example.com"]\n'
        config = config_with(tmp_path, port, {"leads": (slack, None)}, extra)
        pdf = tmp_path / "alpha.pdf"
        assert build_email(workbook, pdf, config).returncode == ExitCode.OK
    (message,) = slack.received
    assert message.body is not None
    (button,) = [
        element
        for block in message.body["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    link = urllib.parse.urlsplit(button["url"])
    assert (link.scheme, link.netloc) == ("https", "reports.example.com")
    server = Server(ServeOptions(as_of=None), load_config(config))
    client = TestClient(server.app(), base_url="https://reports.example.com")
    answer = client.get(link.path)
    assert answer.status_code == 200 and answer.content == pdf.read_bytes()
    assert answer.headers["content-type"] == "application/pdf"
    signed, signature = link.path.rsplit(".", 1)  # its first character: the last carries padding bits
    tampered = f"{signed}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    assert client.get(tampered).status_code == 404
    monkeypatch.setenv("REPORTGEN_LINK_SECRET", "another-secret")  # a token made without this secret
    assert client.get(link.path).status_code == 404
    server.close_archive()


def test_targets_test_posts_a_small_message_and_says_what_the_vendor_answered(
    tmp_path: Path, chat_servers: ChatServers
) -> None:
    dingtalk = chat_servers.add_bot("dingtalk", keyword="reportgen")
    config = tmp_path / "reportgen.toml"
    config.write_text(
        f'[[targets]]\nname = "ops"\nkind = "dingtalk"\nurl = "{dingtalk.url}"\nkeyword = "reportgen"\n'
    )
    result = cli("targets", "test", "ops", "--config", config)
    assert result.returncode == ExitCode.OK, result.stderr
    assert "errcode 0" in result.stdout and len(dingtalk.received) == 1
    unknown = cli("targets", "test", "nobody", "--config", config)
    assert unknown.returncode == ExitCode.USAGE and "ops" in unknown.stderr


def test_targets_speak_the_operators_language_and_ask_only_for_a_secret_a_kind_takes(
    tmp_path: Path, chat_servers: ChatServers
) -> None:
    """The group reads Chinese; the operator running `targets` reads the config's language (English): the
    test's answer is in English. `targets list` asks for a signing secret only where the kind takes one."""
    feishu = chat_servers.add_bot("feishu", keyword="reportgen")
    slack = chat_servers.add_bot("slack")
    config = tmp_path / "reportgen.toml"
    config.write_text(
        f'[[targets]]\nname = "growth"\nkind = "feishu"\nurl = "{feishu.url}"\nkeyword = "reportgen"\n'
        'language = "zh"\n'
        f'[[targets]]\nname = "leads"\nkind = "slack"\nurl = "{slack.url}"\n'
    )
    tested = cli("targets", "test", "growth", "--config", config)
    assert tested.returncode == ExitCode.OK, tested.stderr
    assert "growth (feishu) took the test message" in tested.stdout, tested.stdout
    listed = cli("targets", "list", "--config", config).stdout.splitlines()
    growth, leads = (next(line for line in listed if line.startswith(name)) for name in ("growth", "leads"))
    assert "REPORTGEN_SECRET_GROWTH" in growth and "REPORTGEN_SECRET" not in leads, listed
    assert "takes no signing secret" in leads, listed


def test_errors_block_every_target_not_only_the_mail(tmp_path: Path, chat_servers: ChatServers) -> None:
    workbook = make_workbook(tmp_path, OCTOBER, name="errors.xlsx", title="Errors Team — log")
    slack = chat_servers.add_bot("slack")
    handler = Handler()
    with smtp_server(handler) as port:
        config = config_with(tmp_path, port, {"leads": (slack, None)})
        pdf = tmp_path / "errors.pdf"
        result = build_email(workbook, pdf, config)
    assert result.returncode == ExitCode.DELIVERY_FAILED
    assert "error" in result.stderr and not slack.received and not handler.received


def test_batch_email_posts_each_clean_review_once_to_the_bot(
    tmp_path: Path, chat_servers: ChatServers
) -> None:
    from tests.e2e.test_batch import run_batch
    from tests.e2e.test_batch_watch_mail import workbooks

    books = workbooks(tmp_path / "in")
    slack = chat_servers.add_bot("slack")
    handler = Handler()
    with smtp_server(handler) as port:
        config = config_with(tmp_path, port, {"leads": (slack, None)})
        out = tmp_path / "out"
        result = run_batch(
            *books.values(), "--out", out, "--jobs", "2", "--config", config, "--email", cwd=tmp_path
        )
    assert result.returncode == ExitCode.DELIVERY_FAILED, result.stderr  # the one with errors is held
    headers = sorted(words_of(message.body).split("\n")[0] for message in slack.received)
    assert headers == ["Alpha Team: monthly review, October 2026", "Gamma Team: monthly review, October 2026"]
    assert {message.rcpt_tos for message in handler.received} == {("boss@example.com",), ("wang@example.cn",)}
    assert len(handler.received) == 4  # two reviews, each to both readers in their language


def test_send_names_the_language_copy_the_user_has(tmp_path: Path, chat_servers: ChatServers) -> None:
    """A review built, then sent: the Chinese group gets the Chinese copy the build wrote beside it, and the
    line that says so names that file, not a copy in a temporary folder gone when the command ends."""
    workbook = make_workbook(tmp_path, CLEAN, name="alpha.xlsx", title="Alpha Team — log")
    bots: dict[str, tuple[Bot, str | None]] = {
        "feishu": (chat_servers.add_bot("feishu", secret="feishu-secret", keyword="Alpha"), "zh")
    }
    handler = Handler()
    with smtp_server(handler) as port:
        config = config_with(tmp_path, port, bots)
        pdf = tmp_path / "alpha.pdf"
        built = cli("build", workbook, "--month", MONTH, "--as-of", AS_OF, "-o", pdf, "--config", config)
        assert built.returncode == ExitCode.OK, built.stderr
        sent = cli("send", pdf, "--config", config, env=secrets_env(bots))
    assert sent.returncode == ExitCode.OK, sent.stderr
    chinese = (tmp_path / "alpha.zh.pdf").resolve()
    assert f"Posted {chinese} to" in sent.stdout and "reportgen-languages" not in sent.stdout, sent.stdout
    assert len(bots["feishu"][0].received) == 1
