"""The monthly cycle delivering to chat: the team's build runs on a real `reportgen worker` (queue over a
real redis-server), which records the review in each reader language; the draft goes to the approver by
mail alone; `approve` then delivers exactly the approved version to management's mail readers and to the
Feishu, DingTalk and WeCom bots (signed where a secret is set), each once, in its own language."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from reportgen.base.errors import ExitCode
from tests.chatservers import ChatServers
from tests.commands import run
from tests.e2e.test_batch_watch_mail import pdf_attachment
from tests.e2e.test_chat import EN_TITLE, ZH_TITLE, figures_of, numbers_of, words_of
from tests.e2e.test_schedule import APPROVER, MANAGEMENT, clean_workbook, previous_month, to, write_config
from tests.mailserver import Handler, smtp_server
from tests.queueing import run_now_on_a_worker
from tests.servers import RedisServer

READER_ZH = "wang@example.cn"


def approved_at(history: str, name: str) -> str:
    """The moment `history show` gives the post to `name` (the line's own, to compare the rest exactly)."""
    line = next(line for line in history.splitlines() if f" to {name} (" in line)
    return line.split("posted ", 1)[1].split(" to ", 1)[0]


def test_approve_delivers_the_queued_review_to_every_target_once_in_its_language(
    tmp_path: Path, redis: RedisServer, chat_servers: ChatServers
) -> None:
    redis.flush()
    clean_workbook(tmp_path)
    feishu = chat_servers.add_bot("feishu", secret="feishu-secret")
    dingtalk = chat_servers.add_bot("dingtalk", secret="SECdingtalk")
    wecom = chat_servers.add_bot("wecom")
    env = {
        **os.environ,
        "REPORTGEN_QUEUE_URL": redis.url,
        "REPORTGEN_SECRET_BOARD_FEISHU": "feishu-secret",
        "REPORTGEN_SECRET_BOARD_DINGTALK": "SECdingtalk",
    }
    handler = Handler()
    with smtp_server(handler) as port:
        config = write_config(tmp_path, port, dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
        text = config.read_text("utf-8").replace(
            f'to = ["{MANAGEMENT}"]', f'to = ["{MANAGEMENT}", "{READER_ZH}"]'
        )
        text += f'[email.languages]\n"{READER_ZH}" = "zh"\n'
        for name, bot, lang in (
            ("board feishu", feishu, "zh"),
            ("board dingtalk", dingtalk, "zh"),
            ("ops", wecom, "en"),
        ):
            text += f'[[targets]]\nname = "{name}"\nkind = "{bot.vendor}"\nurl = "{bot.url}"\n'
            text += f'language = "{lang}"\n'
        config.write_text(text, "utf-8")
        run_now_on_a_worker(tmp_path, config, env)
        (draft,) = to(handler, APPROVER)
        assert not feishu.received and not dingtalk.received and not wecom.received  # a draft is no delivery
        month = previous_month(dt.datetime.now(dt.UTC).date()).strftime("%Y-%m")
        approved = run("approve", "harbor", month, "--config", config, env=env)
        assert approved.returncode == ExitCode.OK, approved.stdout + approved.stderr
        approved_pdf = pdf_attachment(draft)[1]
        (boss,) = to(handler, MANAGEMENT)
        (reader,) = to(handler, READER_ZH)
        assert pdf_attachment(boss)[1] == approved_pdf  # exactly the approved version
        chinese = pdf_attachment(reader)[1]
        assert figures_of(chinese)["lang"] == "zh" and figures_of(approved_pdf)["lang"] == "en"
        assert numbers_of(figures_of(chinese)) == numbers_of(figures_of(approved_pdf))
        for bot, title in ((feishu, ZH_TITLE), (dingtalk, ZH_TITLE), (wecom, EN_TITLE)):
            assert not bot.refused, bot.refused
            cards = [
                message for message in bot.received if message.body and message.body.get("msgtype") != "file"
            ]
            assert len(cards) == 1 and title in words_of(cards[0].body)
        assert [file.content for file in wecom.files] == [approved_pdf]
        history = run("history", "show", "Harbor Growth Team", month, "--config", config, env=env)
        posts = (("board feishu", "feishu", "code 0"), ("board dingtalk", "dingtalk", "errcode 0"))
        for name, kind, answer in (*posts, ("ops", "wecom", "errcode 0")):
            assert (
                f"posted {approved_at(history.stdout, name)} to {name} ({kind}), which answered: {answer}"
                in history.stdout
            )
