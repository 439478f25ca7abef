"""Chat delivery under attack: an outsider who controls workbook cells, a PDF's file name or the network's
answer, and a careless admin. Every bot is a fake on 127.0.0.1 (tests/chatservers.py, or the small
misbehaving webhook below); a test marked xfail(strict) shows a bug that is still there."""

from __future__ import annotations

import http.server
import json
import re
import shutil
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from reportgen.base.errors import ExitCode
from tests.builders import make_workbook
from tests.chatservers import Bot, ChatServers, running_chat_servers
from tests.commands import cli, run
from tests.e2e.test_batch_watch_mail import CLEAN

AS_OF = "2026-11-03"
MONTH = "2026-10"
LINK_SECRET = "a-long-random-link-secret-for-the-attacks"
EVIL_TEAM = "Alpha <!channel> <@U024BE7LH> <@zhangsan> @all <at id=all></at> [x](https://evil.example) *b* &"


# -- helpers ----------------------------------------------------------------------------------------------


def archive_line(folder: Path) -> str:
    return f'[archive]\nurl = "sqlite:///{folder / "archive.sqlite3"}"\n'


def target_lines(targets: dict[str, tuple[str, str]], extra: dict[str, str] | None = None) -> str:
    """`[[targets]]` entries: name → (kind, url); `extra`: name → more lines for that entry."""
    text = ""
    for name, (kind, url) in targets.items():
        text += f'[[targets]]\nname = "{name}"\nkind = "{kind}"\nurl = "{url}"\n'
        text += (extra or {}).get(name, "")
    return text


def write_config(folder: Path, text: str) -> Path:
    path = folder / "reportgen.toml"
    path.write_text(archive_line(folder) + text, "utf-8")
    return path


def build(workbook: Path, pdf: Path, config: Path, *more: str, env: dict[str, str] | None = None) -> Any:
    return cli(
        "build", workbook, "--month", MONTH, "--as-of", AS_OF, "-o", pdf, "--config", config, *more, env=env
    )


def words_of(message: Any) -> list[str]:
    """Every string in a received body."""
    if isinstance(message, dict):
        return [word for value in message.values() for word in words_of(value)]
    if isinstance(message, list):
        return [word for value in message for word in words_of(value)]
    return [message] if isinstance(message, str) else []


def cards(bot: Bot) -> list[Any]:
    return [m.body for m in bot.received if isinstance(m.body, dict) and m.body.get("msgtype") != "file"]


def one_line(text: str) -> str:
    return " ".join(text.split())


def plain_pdf(path: Path) -> Path:
    """A PDF reportgen did not make (any PDF may be sent): its file name stands for the team."""
    path.write_bytes(b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    return path


@pytest.fixture(scope="module")
def review(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One clean review, built once (no delivery): tests copy it and send it with their own archive."""
    folder = tmp_path_factory.mktemp("review")
    workbook = make_workbook(folder, CLEAN, name="alpha.xlsx", title="Alpha Team — log")
    pdf = folder / "alpha.pdf"
    result = build(workbook, pdf, write_config(folder, ""))
    assert result.returncode == ExitCode.OK, result.stderr
    return pdf


def copy_of(review: Path, folder: Path) -> Path:
    return Path(shutil.copy(review, folder / review.name))


# -- a misbehaving webhook --------------------------------------------------------------------------------


@dataclass
class Rogue:
    """A webhook on 127.0.0.1 that answers as `answer(path)` says: ("reply", status, body) after `delay`
    seconds, ("drop",) to close the connection once the request was read, without an answer."""

    answer: Callable[[str], tuple[Any, ...]]
    delay: float = 0.0
    requests: list[tuple[str, bytes]] = field(default_factory=list)
    url: str = ""


@contextmanager
def rogue_webhook(rogue: Rogue, path: str) -> Iterator[Rogue]:
    """Serve `rogue` on a free port of 127.0.0.1; its url is `path` there."""

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            rogue.requests.append((self.path, body))
            what = rogue.answer(self.path)
            time.sleep(rogue.delay)
            if what[0] == "drop":
                self.close_connection = True
                self.connection.shutdown(2)
                return
            _, status, reply = what
            data = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client gave up waiting
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    rogue.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    try:
        yield rogue
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


SLACK_PATH = "/services/TROGUE0000/BROGUE0000/rogue-webhook-token-0123"
WECOM_KEY = "rogue-wecom-key-0000-1111"


def slack_ok(path: str) -> tuple[Any, ...]:
    return ("reply", 200, b"ok")


def archive_text(folder: Path) -> str:
    """Everything the archive holds, as SQL text: where a secret must not be."""
    with sqlite3.connect(folder / "archive.sqlite3") as connection:
        return "\n".join(connection.iterdump())


def send(pdf: Path, config: Path, *more: str, env: dict[str, str] | None = None) -> Any:
    return cli("send", pdf, "--config", config, *more, env=env)


# -- cell text: markup, links, mentions --------------------------------------------------------------------


@dataclass(frozen=True)
class Posted:
    bots: dict[str, Bot]
    result: Any


@pytest.fixture(scope="module")
def evil_cells(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Posted]:
    """A team name and a goal name (which reaches the takeaways) full of mentions, links and markup, built
    and delivered to a bot of every kind."""
    folder = tmp_path_factory.mktemp("evil")
    rows = [list(row) for row in CLEAN]
    rows[0][4] = "G1"
    rows[1][4] = "G1"
    goal = "Leads <!here> <@U1> @all [click](https://evil.example/p) `code` **bold** <font color=red>x</font>"
    workbook = make_workbook(
        folder, rows, name="alpha.xlsx", title=EVIL_TEAM + " — log", goals=[["G1", goal, "Leads", 100]]
    )
    with running_chat_servers() as servers:
        bots = {kind: servers.add_bot(kind) for kind in ("feishu", "dingtalk", "wecom", "slack", "teams")}
        config = write_config(folder, target_lines({k: (k, b.url) for k, b in bots.items()}))
        result = build(workbook, folder / "alpha.pdf", config, "--email")
        yield Posted(bots, result)


def test_evil_cells_still_deliver_everywhere_as_plain_text(evil_cells: Posted) -> None:
    assert evil_cells.result.returncode == ExitCode.OK, evil_cells.result.stderr
    for kind, bot in evil_cells.bots.items():
        assert not bot.refused and len(cards(bot)) == 1, kind
    takeaways = " ".join(words_of(cards(evil_cells.bots["feishu"])[0]))
    assert "Leads" in takeaways and "Largest gap" in takeaways  # the goal's name reached a takeaway


def test_markdown_vendors_neither_mention_nor_link_nor_format(evil_cells: Posted) -> None:
    """DingTalk, WeCom and Teams take markdown: no `<` (Slack-style or WeCom <@userid>, Teams <at>, HTML
    <font>), no `[` opening a link, no unescaped emphasis or code from a cell; DingTalk gets no `at`."""
    for kind in ("dingtalk", "wecom", "teams"):
        (body,) = cards(evil_cells.bots[kind])
        shown = [text for text in words_of(body) if "monthly review" in text or "Largest gap" in text]
        assert shown, kind
        for text in shown:
            if kind == "dingtalk" and text == body.get("markdown", body.get("actionCard", {})).get("title"):
                continue  # the title: the conversation list's plain text
            assert "<" not in text and "](" not in text.replace("\\]", ""), (kind, text)
            assert "`code`" not in text and "**bold**" not in text, (kind, text)
    dingtalk = cards(evil_cells.bots["dingtalk"])[0]
    assert "at" not in dingtalk  # @all in the text notifies nobody without the `at` field


def test_feishu_cards_are_plain_text_only(evil_cells: Posted) -> None:
    """Feishu parses <at id=all> and links only in lark_md: every text in the card is plain_text."""
    (body,) = cards(evil_cells.bots["feishu"])
    tags = re.findall(r'"tag": "([a-z_]+)"', json.dumps(body))
    assert "lark_md" not in tags and "markdown" not in tags and "plain_text" in tags


def test_slack_blocks_escape_what_mrkdwn_reads(evil_cells: Posted) -> None:
    (body,) = cards(evil_cells.bots["slack"])
    for block in body["blocks"]:
        texts = [block.get("text", {})] + block.get("fields", []) + block.get("elements", [])
        for text in texts:
            if isinstance(text, dict) and text.get("type") == "mrkdwn":
                assert "<!" not in text["text"] and "<@" not in text["text"], text


def test_slack_notification_text_carries_no_mention_from_a_cell(evil_cells: Posted) -> None:
    (body,) = cards(evil_cells.bots["slack"])
    assert "<!channel>" not in body["text"] and "<@U024BE7LH>" not in body["text"], body["text"]


# -- a file name: a PDF reportgen did not make -----------------------------------------------------------


def test_a_file_name_cannot_add_lines_to_a_markdown_card(tmp_path: Path, chat_servers: ChatServers) -> None:
    pdf = plain_pdf(tmp_path / "q3\n# URGENT: wire money now\n> signed CEO.pdf")
    wecom = chat_servers.add_bot("wecom")
    config = write_config(tmp_path, target_lines({"ops": ("wecom", wecom.url)}))
    result = send(pdf, config)
    assert result.returncode == ExitCode.OK, result.stderr
    content = cards(wecom)[0]["markdown"]["content"]
    assert not any(line.startswith(("# ", "> ")) for line in content.splitlines()), content


def test_a_file_name_that_is_not_utf8_is_refused_cleanly(tmp_path: Path, chat_servers: ChatServers) -> None:
    pdf = plain_pdf(tmp_path / "review-\udcff.pdf")
    slack = chat_servers.add_bot("slack")
    config = write_config(tmp_path, target_lines({"leads": ("slack", slack.url)}))
    try:
        result = send(pdf, config)
    except UnicodeError as exc:
        pytest.fail(f"send crashed: {exc!r}")
    assert result.returncode in (ExitCode.OK, ExitCode.BAD_INPUT), result.stderr
    assert len(slack.received) <= 1


# -- secrets in outputs ---------------------------------------------------------------------------------


def test_no_secret_or_webhook_token_in_output_logs_history_or_archive(
    tmp_path: Path, review: Path, chat_servers: ChatServers
) -> None:
    """Signed bots (one with the wrong secret), a refusing token, a bot that is down, a WeCom key: with -v
    and -vv, neither the secrets nor any webhook's token appear on stdout/stderr, in `history`, or anywhere
    in the archive's rows."""
    pdf = copy_of(review, tmp_path)
    feishu = chat_servers.add_bot("feishu", secret="feishu-signing-secret-XYZ")
    dingtalk = chat_servers.add_bot("dingtalk", secret="SECdingtalk-signing-secret-XYZ")
    wecom = chat_servers.add_bot("wecom")
    slack = chat_servers.add_bot("slack", down=True)
    teams = chat_servers.add_bot("teams")
    unknown = chat_servers.base_url + "/open-apis/bot/v2/hook/never-registered-token-0000"
    targets = {
        "board": ("feishu", feishu.url),
        "sales": ("dingtalk", dingtalk.url),
        "ops": ("wecom", wecom.url),
        "growth": ("slack", slack.url),
        "lead": ("teams", teams.url),
        "ghost": ("feishu", unknown),
    }
    config = write_config(
        tmp_path, '[serve]\npublic_url = "https://reports.example.com"\n' + target_lines(targets)
    )
    env = {
        "REPORTGEN_SECRET_BOARD": "feishu-signing-secret-XYZ",
        "REPORTGEN_SECRET_SALES": "SECwrong-dingtalk-secret-XYZ",
        "REPORTGEN_LINK_SECRET": LINK_SECRET,
    }
    said = ""
    for verbosity in ("-v", "-vv"):
        result = cli(verbosity, "send", pdf, "--config", config, "--resend", env=env)
        assert result.returncode == ExitCode.DELIVERY_FAILED, result.stderr
        said += result.stdout + result.stderr
    assert "not posted to" in said and "growth" in said and "sales" in said and "ghost" in said, said
    history = cli("history", "--json", "--config", config).stdout + cli("history", "--config", config).stdout
    stored = archive_text(tmp_path)
    secrets = [*env.values(), "SECdingtalk-signing-secret-XYZ"]
    tokens = [bot.token for bot in (feishu, dingtalk, wecom, slack, teams)]
    tokens += ["never-registered-token-0000", teams.url.rsplit("sig=", 1)[1], slack.token.rsplit("/", 1)[1]]
    for where, text in (("output", said), ("history", history), ("archive", stored)):
        for secret in secrets + tokens:
            assert secret not in text, (where, secret)
    assert "HTTP 503" in stored and "19021" in stored or "310000" in stored  # the vendors' answers, kept


# -- the signed link ----------------------------------------------------------------------------------


def test_the_link_cannot_be_forged_replayed_after_expiry_pointed_elsewhere_or_used_on_another_host(
    tmp_path: Path, chat_servers: ChatServers, monkeypatch: pytest.MonkeyPatch
) -> None:
    from itsdangerous import TimestampSigner, URLSafeTimedSerializer
    from starlette.testclient import TestClient

    from reportgen.apps.serve.app import Server
    from reportgen.apps.serve.state import ServeOptions
    from reportgen.base.config import load_config
    from reportgen.delivery.links import SALT

    monkeypatch.setenv("REPORTGEN_LINK_SECRET", LINK_SECRET)
    workbook = make_workbook(tmp_path, CLEAN, name="alpha.xlsx", title="Alpha Team — log")
    slack = chat_servers.add_bot("slack")
    serve = '[serve]\npublic_url = "https://reports.example.com"\nlink_days = 2\n'
    config = write_config(tmp_path, serve + target_lines({"leads": ("slack", slack.url)}))
    pdf = tmp_path / "alpha.pdf"
    assert build(workbook, pdf, config, "--email").returncode == ExitCode.OK
    (body,) = cards(slack)
    (button,) = [e for b in body["blocks"] if b["type"] == "actions" for e in b["elements"]]
    path = urllib.parse.urlsplit(button["url"]).path
    token = path.removeprefix("/r/")

    server = Server(ServeOptions(as_of=None), load_config(config))
    client = TestClient(server.app(), base_url="https://reports.example.com")
    try:
        assert client.get(path).content == pdf.read_bytes()  # the genuine link works

        class DatedSigner(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(time.time()) - 3 * 86_400  # made three days ago: past link_days

        digest = URLSafeTimedSerializer(LINK_SECRET, salt=SALT).loads(token)
        stale = URLSafeTimedSerializer(LINK_SECRET, salt=SALT, signer=DatedSigner).dumps(digest)
        guessed = URLSafeTimedSerializer("guessed-secret", salt=SALT).dumps(digest)
        other_salt = URLSafeTimedSerializer(LINK_SECRET, salt="another-purpose").dumps(digest)
        unheld = URLSafeTimedSerializer(LINK_SECRET, salt=SALT).dumps("0" * 64)
        traversal = URLSafeTimedSerializer(LINK_SECRET, salt=SALT).dumps("../" * 21 + "a")
        for bad in (stale, guessed, other_salt, unheld, traversal, token[:-3], "..%2F..%2Fetc%2Fpasswd"):
            answer = client.get("/r/" + bad)
            assert answer.status_code == 404 and b"%PDF" not in answer.content, bad
        for bad_path in ("/r/../u/x", "/r/" + token + "/../../etc/passwd", "/r/%2e%2e/%2e%2e/etc/passwd"):
            assert b"%PDF" not in client.get(bad_path).content, bad_path
        other_host = client.get(path, headers={"Host": "evil.example.com"})
        assert other_host.status_code >= 400 and b"%PDF" not in other_host.content
    finally:
        server.close_archive()


# -- once only: the network's answers ------------------------------------------------------------------


def rogue_config(folder: Path, rogue: Rogue, kind: str = "slack", extra: str = "") -> Path:
    return write_config(folder, target_lines({"leads": (kind, rogue.url)}, {"leads": extra}))


def test_a_timeout_after_the_request_went_out_is_in_doubt_and_never_reposted(
    tmp_path: Path, review: Path
) -> None:
    pdf = copy_of(review, tmp_path)
    with rogue_webhook(Rogue(slack_ok, delay=2.0), SLACK_PATH) as rogue:
        config = rogue_config(tmp_path, rogue, extra="timeout = 0.5\n")
        first = send(pdf, config)
        assert first.returncode == ExitCode.DELIVERY_FAILED
        assert "may have arrived" in one_line(first.stderr), first.stderr
        again = send(pdf, config)
        time.sleep(2.5)
    assert again.returncode == ExitCode.DELIVERY_FAILED and "leads" in again.stderr
    assert len(rogue.requests) == 1  # not posted again


def test_a_connection_dropped_after_the_request_is_in_doubt_not_reposted(
    tmp_path: Path, review: Path
) -> None:
    pdf = copy_of(review, tmp_path)
    with rogue_webhook(Rogue(lambda path: ("drop",)), SLACK_PATH) as rogue:
        config = rogue_config(tmp_path, rogue)
        first = send(pdf, config)
        assert first.returncode == ExitCode.DELIVERY_FAILED
        send(pdf, config)
    assert len(rogue.requests) == 1, first.stderr


def test_a_200_with_garbage_is_not_taken_for_delivered(tmp_path: Path, review: Path) -> None:
    pdf = copy_of(review, tmp_path)
    garbage = b"<html><body>Welcome to the hotel wifi</body></html>"
    with rogue_webhook(Rogue(lambda path: ("reply", 200, garbage)), "/open-apis/bot/v2/hook/rogue") as rogue:
        config = rogue_config(tmp_path, rogue, kind="feishu")
        first = send(pdf, config)
    assert first.returncode == ExitCode.DELIVERY_FAILED
    said = one_line(first.stderr)
    assert "leads" in said and "HTTP 200" in said and "Traceback" not in said, said


def test_wecom_upload_failing_after_the_card_does_not_repost_the_card(tmp_path: Path, review: Path) -> None:
    pdf = copy_of(review, tmp_path)

    def answer(path: str) -> tuple[Any, ...]:
        if path.startswith("/cgi-bin/webhook/upload_media"):
            return ("reply", 200, {"errcode": 40006, "errmsg": "invalid file size"})
        return ("reply", 200, {"errcode": 0, "errmsg": "ok"})

    with rogue_webhook(Rogue(answer), f"/cgi-bin/webhook/send?key={WECOM_KEY}") as rogue:
        config = rogue_config(tmp_path, rogue, kind="wecom")
        first = send(pdf, config)
        assert first.returncode == ExitCode.DELIVERY_FAILED, first.stderr
        assert "nothing was posted" in one_line(first.stderr)  # the PDF goes up before the card
        send(pdf, config)
    cards_posted = [path for path, _ in rogue.requests if path.startswith("/cgi-bin/webhook/send")]
    assert len(cards_posted) <= 1, (cards_posted, first.stderr)


def test_two_send_processes_at_once_post_once(tmp_path: Path, review: Path) -> None:
    pdf = copy_of(review, tmp_path)
    with rogue_webhook(Rogue(slack_ok, delay=4.0), SLACK_PATH) as rogue:
        config = rogue_config(tmp_path, rogue)
        run("archive", "--help")  # nothing: warms the file cache so both start alike
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda _: run("send", pdf, "--config", config), range(2)))
    assert len(rogue.requests) == 1, [r.stderr for r in results]
    codes = sorted(result.returncode for result in results)
    assert codes == [ExitCode.OK, ExitCode.DELIVERY_FAILED], [r.stderr for r in results]


# -- a failing target among several ---------------------------------------------------------------------


def test_failing_targets_among_several_exit_3_name_each_and_a_rerun_reaches_only_them(
    tmp_path: Path, review: Path, chat_servers: ChatServers
) -> None:
    pdf = copy_of(review, tmp_path)
    bots = {
        "board": chat_servers.add_bot("feishu", secret="right-secret"),
        "sales": chat_servers.add_bot("dingtalk", down=True),
        "ops": chat_servers.add_bot("wecom"),
        "growth": chat_servers.add_bot("slack"),
    }
    config = write_config(tmp_path, target_lines({name: (bot.vendor, bot.url) for name, bot in bots.items()}))
    first = send(pdf, config, env={"REPORTGEN_SECRET_BOARD": "wrong-secret"})
    assert first.returncode == ExitCode.DELIVERY_FAILED
    said = one_line(first.stderr)
    assert "delivered to ops, growth, but not everywhere:" in said, said
    assert "not posted to board (feishu)" in said and "not posted to sales (dingtalk)" in said, said
    told = said[said.index("reportgen: delivered to") :]  # the log's warnings before it name one each
    assert told.count("board") == 1 and told.count("sales") == 1, told  # each named once
    assert "19021" in said and "HTTP 503" in said, said
    assert len(cards(bots["ops"])) == 1 and len(cards(bots["growth"])) == 1
    bots["sales"].down = False
    again = send(pdf, config, env={"REPORTGEN_SECRET_BOARD": "right-secret"})
    assert again.returncode == ExitCode.OK, again.stderr
    assert all(len(cards(bot)) == 1 for bot in bots.values())
    assert len(bots["ops"].files) == 1
