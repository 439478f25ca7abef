"""`reportgen history` against what a mail server received: a marketing lead builds the sample, mails it to
two addresses, sends it again (a repeat: nobody mailed), sends it once more with --resend, then adds a
reader of Chinese (no Chinese copy was built) and a third address, and sends. Every send line history
prints must be what the server saw: who received the PDF, who was left out and why (had it already, no copy
in their language), a repeat told as a repeat and not as a failure, a --resend told as one."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reportgen.base.errors import ExitCode
from tests.commands import cli
from tests.mailserver import HOST, Handler, smtp_server

ROOT = Path(__file__).resolve().parents[2]
TEAM = "Northwind Growth Team"
BOSS, CFO, WANG = "boss@example.com", "cfo@example.com", "wang@example.cn"


@dataclass(frozen=True)
class Story:
    envelopes: list[tuple[str, ...]]  # each message the server took: its envelope's recipients, in order
    after: list[int]  # how many messages the server had taken after each send
    codes: list[int]  # each send's exit status
    said: list[str]  # and what it said on stderr
    show: str  # `history show`, in English
    show_zh: str  # and in Chinese
    sends: list[dict[str, Any]]  # `history --json`: the version's sends, oldest first


def mail_config(path: Path, port: int, archive: Path, to: list[str], languages: str = "") -> None:
    path.write_text(
        f'team = "{TEAM}"\n\n[archive]\nurl = "sqlite:///{archive}"\n\n'
        f'[email]\nhost = "{HOST}"\nport = {port}\nsecurity = "none"\nsender = "Ops <ops@example.com>"\n'
        # the samples' October has errors, which `send` would hold back: these stories are about the sends
        f"to = {json.dumps(to)}\nattempts = 1\nsend_with_errors = true\n" + languages,
        "utf-8",
    )


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    folder = tmp_path_factory.mktemp("history-sends")
    workbook = shutil.copy(ROOT / "samples" / "northwind-en.xlsx", folder / "northwind-en.xlsx")
    config, archive, pdf = (
        folder / "reportgen.toml",
        folder / "archive.sqlite3",
        folder / "northwind-en-2026-10.pdf",
    )
    handler = Handler()
    with smtp_server(handler) as port:
        mail_config(config, port, archive, [BOSS, CFO])
        built = cli("build", workbook, "--month", "2026-10", "--as-of", "2026-11-03", "--config", config)
        assert built.returncode == 0, built.stderr
        codes, said, after = [], [], []
        for extra in ((), (), ("--resend",), ("zh",)):
            if extra == ("zh",):  # a third address, and the cfo reads Chinese: no Chinese copy was built
                mail_config(
                    config, port, archive, [BOSS, CFO, WANG], f'\n[email.languages]\n"{CFO}" = "zh"\n'
                )
                extra = ()
            sent = cli("send", pdf, "--config", config, *extra)
            codes.append(sent.returncode)
            said.append(sent.stderr)
            after.append(len(handler.received))
    team = ("history", "show", TEAM, "2026-10", "--config", config)
    listed = cli("history", "--json", "--config", config)
    assert listed.returncode == 0, listed.stderr
    (version,) = json.loads(listed.stdout)["versions"]
    sends = [send for build in version["builds"] for send in build["sends"]][::-1]  # oldest first
    yield Story(
        envelopes=[message.rcpt_tos for message in handler.received],
        after=after,
        codes=codes,
        said=said,
        show=cli(*team).stdout,
        show_zh=cli(*team, "--lang", "zh").stdout,
        sends=sends,
    )


def at(send: dict[str, Any]) -> str:
    """A send's moment as history prints it."""
    return dt.datetime.fromisoformat(send["at"]).astimezone().strftime("%Y-%m-%d %H:%M %Z")


def moment(value: str) -> str:
    return dt.datetime.fromisoformat(value).astimezone().strftime("%Y-%m-%d %H:%M %Z")


def test_the_server_saw_what_the_lead_did(story: Story) -> None:
    """The ground truth the other tests read history against."""
    assert story.codes == [ExitCode.OK, ExitCode.DELIVERY_FAILED, ExitCode.OK, ExitCode.DELIVERY_FAILED]
    assert story.after == [1, 1, 2, 3]  # the repeat mailed nobody
    assert [sorted(envelope) for envelope in story.envelopes] == [[BOSS, CFO], [BOSS, CFO], [WANG]]
    assert len(story.sends) == 5  # the last command: the English readers' send, and the Chinese reader's


def test_a_repeat_is_told_as_a_repeat_naming_who_had_it_not_as_a_failure(story: Story) -> None:
    first, repeat = story.sends[0], story.sends[1]
    assert repeat["accepted"] == [] and sorted(repeat["skipped"]["already"]) == [BOSS, CFO]
    had = moment(repeat["skipped"]["already"][BOSS])
    assert had == at(first)
    assert (
        f"to management: send {at(repeat)} was a repeat and sent nothing: {BOSS}, {CFO} had this review "
        f"already (since {had}), so it was not sent to them again" in story.show
    )
    assert "not made: each address had this PDF already, or" not in story.show
    steps = story.show[story.show.index("Steps:") :]
    assert "not sent again: a repeat, every address had it already" in steps
    assert "send failed" not in steps  # nothing failed: the repeat, and the reader without a copy, say what
    assert (
        f"{at(repeat)} 的发送是重复发送，未发出任何邮件："
        f"{BOSS}、{CFO} 已收到过这份报告（{had} 起），因此未再次发送" in story.show_zh
    )
    assert "发送失败" not in story.show_zh


def test_history_json_gives_a_repeat_as_skipped_not_as_failed(story: Story) -> None:
    """`history --json` gave the repeat `"result": "failed"` with `skipped.already` beside it, where
    `history show` says it was a repeat that sent nothing. A repeat now reads "skipped"; the send that left
    the reader of Chinese without a copy is still a failure (nobody it was for got the review)."""
    assert [send["result"] for send in story.sends] == ["sent", "skipped", "sent", "sent", "failed"]
    repeat, no_copy = story.sends[1], story.sends[4]
    assert repeat["accepted"] == [] and sorted(repeat["skipped"]["already"]) == [BOSS, CFO]
    assert f"to management: send {at(repeat)} was a repeat and sent nothing" in story.show
    assert no_copy["skipped"]["no_copy"] == {CFO: "zh"}
    assert f"to management: send {at(no_copy)} sent nothing: not delivered to {CFO}" in story.show


def test_a_resend_says_it_sent_again(story: Story) -> None:
    resent = story.sends[2]
    assert resent["skipped"]["resend"] is True and sorted(resent["accepted"]) == sorted(story.envelopes[1])
    assert (
        f"to management: sent {at(resent)} to {BOSS}, {CFO}; sent again with --resend, also to whoever had "
        "it already" in story.show
    )
    assert "使用 --resend 再次发送" in story.show_zh
    assert story.sends[0]["skipped"]["resend"] is False


def test_a_reader_without_a_copy_in_their_language_is_named_with_why(story: Story) -> None:
    english, chinese = story.sends[3], story.sends[4]
    assert CFO not in story.envelopes[2] and BOSS not in story.envelopes[2]
    assert english["accepted"] == [WANG] and list(english["skipped"]["already"]) == [BOSS]
    had = moment(english["skipped"]["already"][BOSS])
    assert had == at(story.sends[2])  # boss's copy: the --resend's
    assert (
        f"to management: sent {at(english)} to {WANG}; {BOSS} had this review already (since {had}), so it "
        "was not sent to them again" in story.show
    )
    assert chinese["accepted"] == [] and chinese["skipped"]["no_copy"] == {CFO: "zh"}
    assert (
        f"to management: send {at(chinese)} sent nothing: not delivered to {CFO}: they read zh, and no "
        "review in that language was built" in story.show
    )
    assert "not delivered: no review in the reader's language" in story.show[story.show.index("Steps:") :]
    assert f"未送达 {CFO}：他们阅读 zh 版，而该语言的报告未生成" in story.show_zh


def test_the_send_names_as_delivered_only_whom_the_server_took_it_for(story: Story) -> None:
    """The last send mailed wang alone: the boss had the review already, the cfo reads Chinese."""
    assert story.envelopes[2] == (WANG,)
    assert f"delivered to {WANG}; not delivered to {CFO}:" in story.said[3]
    assert f"delivered to {BOSS}" not in story.said[3]


def test_the_reader_left_out_is_named_once(story: Story) -> None:
    """The cfo, a reader of Chinese with no Chinese copy built: one line says whom the send reached and why
    the cfo did not get it, naming the cfo once (it said 'not delivered to cfo@…:' and then
    '  cfo@…: not delivered to cfo@…: it reads zh'); the log's warning names the cfo once too."""
    why = (
        f"not delivered to {CFO}: it reads zh, and no review in that language was built. Build with --email "
        "(it builds every language the targets need), or reportgen build --lang zh."
    )
    lines = story.said[3].splitlines()
    assert f"reportgen: delivered to {WANG}; {why}" in lines, lines
    assert [line for line in lines if CFO in line] == [
        f"WARNING reportgen.pipeline.mailing: {why}",
        f"reportgen: delivered to {WANG}; {why}",
    ]


def test_readers_of_the_reviews_own_language_share_one_message(tmp_path: Path) -> None:
    """A Chinese review; boss reads it as it is and wang is named as a reader of Chinese. Both read the same
    PDF, so one message goes to both, as docs/chat.md promises (one message a language): each used to get a
    message of their own, the same subject and the same PDF."""
    workbook = shutil.copy(ROOT / "samples" / "xinghe-zh.xlsx", tmp_path / "xinghe-zh.xlsx")
    config, archive = tmp_path / "reportgen.toml", tmp_path / "archive.sqlite3"
    handler = Handler()
    with smtp_server(handler) as port:
        mail_config(config, port, archive, [BOSS, WANG], f'\n[email.languages]\n"{WANG}" = "zh"\n')
        built = cli("build", workbook, "--month", "2026-10", "--as-of", "2026-11-03", "--config", config,
                    "-o", tmp_path / "xinghe.pdf")  # fmt: skip
        assert built.returncode == ExitCode.OK, built.stderr
        sent = cli("send", tmp_path / "xinghe.pdf", "--config", config)
        assert sent.returncode == ExitCode.OK, sent.stderr
    assert [sorted(received.rcpt_tos) for received in handler.received] == [sorted([BOSS, WANG])]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_team_in_another_zone_reads_its_history_on_its_own_clock_with_the_zone_named(
    tmp_path: Path, lang: str
) -> None:
    """A Shanghai team ([schedule] timezone) whose reportgen runs on a server in UTC: `history` and `history
    show` printed the server's clock without saying so ("2026-12-07 16:52" for a send at 00:52 in
    Shanghai), while `schedule next` printed Shanghai's with its name. Every time history tells is now on
    the team's clock, named."""
    from zoneinfo import ZoneInfo

    workbook = Path(shutil.copy(ROOT / "samples" / "northwind-en.xlsx", tmp_path / "northwind-en.xlsx"))
    config, archive = tmp_path / "reportgen.toml", tmp_path / "archive.sqlite3"
    schedule = f'\n[schedule]\nworkbooks = "{workbook.name}"\ntimezone = "Asia/Shanghai"\n'
    handler = Handler()
    with smtp_server(handler) as port:
        mail_config(config, port, archive, [BOSS], schedule)
        built = cli("build", workbook, "--month", "2026-10", "--as-of", "2026-11-03", "--config", config)
        assert built.returncode == 0, built.stderr
        sent = cli("send", tmp_path / "northwind-en-2026-10.pdf", "--config", config)
        assert sent.returncode == 0, sent.stderr
    listed = cli("history", "--json", "--config", config)
    (version,) = json.loads(listed.stdout)["versions"]
    (build,) = version["builds"]
    (send,) = build["sends"]
    shanghai = ZoneInfo("Asia/Shanghai")
    moment = dt.datetime.fromisoformat(send["at"])
    assert moment.utcoffset() is not None  # the archive's moment is absolute
    there = moment.astimezone(shanghai)
    told = f"{there:%Y-%m-%d %H:%M} CST"
    shown = cli("history", "show", TEAM, "2026-10", "--config", config, "--lang", lang)
    assert shown.returncode == 0, shown.stderr
    send_lines = [line for line in shown.stdout.splitlines() if BOSS in line]
    assert send_lines and all(told in line for line in send_lines), shown.stdout
    built_at = dt.datetime.fromisoformat(build["at"]).astimezone(shanghai)
    assert f"{built_at:%Y-%m-%d %H:%M} CST" in shown.stdout, shown.stdout
    here = moment.astimezone()
    if here.utcoffset() != there.utcoffset():  # this machine's clock differs: it is never what is told
        assert f"{here:%Y-%m-%d %H:%M}" not in shown.stdout, shown.stdout
