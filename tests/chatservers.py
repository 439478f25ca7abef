"""Fake chat webhooks for the delivery tests: Feishu/Lark custom bots, DingTalk custom robots, WeCom group
robots, Slack incoming webhooks and Microsoft Teams Workflows webhooks, all in one Starlette app served by
uvicorn in a background thread on 127.0.0.1 (a free port, nothing else).

Each vendor answers the way its documentation says (docs/chat-vendors.md has the facts, their sources, and
the choices made where the documentation is silent): the same paths, the token in the same place, the same
signature check and time window, the same keyword rule, size and rate limits, and the same HTTP status and
JSON (or text) body on every refusal.

    with running_chat_servers() as servers:          # or the `chat_servers` fixture (tests/conftest.py)
        bot = servers.add_bot("dingtalk", secret="SEC...", keyword="Review")
        ...  # put bot.url (and bot.secret) into reportgen.toml, deliver
        assert bot.received[0].body["msgtype"] == "markdown"
        assert not bot.refused

`down=True` (or setting `bot.down` later) makes that bot's endpoints answer HTTP 503; a token never added
gets the vendor's answer for a bad token. The helpers `feishu_sign`, `dingtalk_sign` and `dingtalk_url`
compute what a correct sender sends, for tests of the fakes themselves."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import secrets
import socket
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, get_args

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

HOST = "127.0.0.1"  # never any other address

Vendor = Literal["feishu", "dingtalk", "wecom", "slack", "teams"]
VENDORS: tuple[Vendor, ...] = get_args(Vendor)

# Limits as documented (docs/chat-vendors.md gives the source of each).
FEISHU_MAX_BODY = 20 * 1024  # "请求体的数据大小不能超过 20 KB"
FEISHU_WINDOW = 3600  # timestamp within one hour of now, in seconds
FEISHU_PER_SECOND = 5
FEISHU_PER_MINUTE = 100
DINGTALK_MAX_BODY = 20000  # "请保持大小在 20000bytes 以内"
DINGTALK_WINDOW_MS = 3600 * 1000  # timestamp (ms) within one hour of the server's time
DINGTALK_PER_MINUTE = 20
DINGTALK_BLOCK_SECONDS = 600  # over 20 a minute: throttled for 10 minutes
WECOM_MARKDOWN_MAX = 4096  # markdown.content, bytes of UTF-8
WECOM_TEXT_MAX = 2048  # text.content, bytes of UTF-8
WECOM_FILE_MIN = 5  # every file must be larger than 5 bytes
WECOM_FILE_MAX = 20 * 1024 * 1024  # a plain file: at most 20 MB
WECOM_VOICE_MAX = 2 * 1024 * 1024
WECOM_PER_MINUTE = 20
SLACK_PER_MINUTE = 60  # "1 per second, short bursts allowed": 60 in any rolling minute (the fake's choice)
SLACK_MAX_BLOCKS = 50
SLACK_SECTION_TEXT_MAX = 3000
SLACK_HEADER_TEXT_MAX = 150
SLACK_MAX_ATTACHMENTS = 100
TEAMS_MAX_MESSAGE = 28 * 1024  # "about 28 KB": the post-to-channel action fails above it
TEAMS_PER_SECOND = 4  # Teams' documented webhook figure (the fake's choice for Workflows too)


# -- what the fakes record ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    """One request as a fake received it: the parsed JSON body (None when it was not JSON, or for an upload),
    the raw bytes, the query parameters, the headers (lower-case names) and the arrival time (time.time())."""

    body: Any
    raw: bytes
    query: dict[str, str]
    headers: dict[str, str]
    path: str
    at: float


@dataclass(frozen=True)
class Answer:
    """What a fake answered: the HTTP status, the body (parsed JSON, or text), the headers it set."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def code(self) -> Any:
        """The vendor's own error code: Feishu `code`, DingTalk/WeCom `errcode`, Teams `error.code`, Slack
        the text body."""
        if isinstance(self.body, dict):
            if "errcode" in self.body:
                return self.body["errcode"]
            if "code" in self.body:
                return self.body["code"]
            error = self.body.get("error")
            if isinstance(error, dict):
                return error.get("code")
        return self.body


class Refusal(NamedTuple):
    """A request the vendor would not have delivered, and the answer it gave (for Teams, a 202 whose flow run
    then failed: see `Bot.refused`)."""

    message: Message
    answer: Answer


@dataclass(frozen=True)
class UploadedFile:
    """A file uploaded to a WeCom robot's upload_media."""

    media_id: str
    filename: str
    content: bytes
    content_type: str
    type: str
    at: float


@dataclass
class Bot:
    """One webhook. `url` is what goes into reportgen.toml; `secret` is the signing secret (Feishu, DingTalk)
    or None. `received` holds the accepted messages, `refused` every refusal with the vendor's answer, `files`
    (WeCom) the uploaded files. The settings may be changed while the server runs (e.g. `bot.down = True`)."""

    vendor: Vendor
    token: str
    url: str
    secret: str | None = None
    keyword: str | None = None
    per_minute: int | None = None
    per_second: int | None = None
    down: bool = False
    retry_after: int | None = None
    received: list[Message] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    files: list[UploadedFile] = field(default_factory=list)
    _accepted: deque[float] = field(default_factory=deque, repr=False)
    _blocked_until: float = field(default=0.0, repr=False)

    @property
    def upload_url(self) -> str:
        """WeCom: the robot's upload_media address for a plain file (the send URL's key, `type=file`)."""
        if self.vendor != "wecom":
            raise AttributeError("only a WeCom robot has an upload_media address")
        return self.url.replace("/cgi-bin/webhook/send?", "/cgi-bin/webhook/upload_media?") + "&type=file"

    @property
    def file_messages(self) -> list[tuple[Message, UploadedFile]]:
        """WeCom: each accepted `msgtype: file` message with the uploaded file its media_id names."""
        by_id = {uploaded.media_id: uploaded for uploaded in self.files}
        found = []
        for message in self.received:
            if isinstance(message.body, dict) and message.body.get("msgtype") == "file":
                found.append((message, by_id[message.body["file"]["media_id"]]))
        return found

    def reset_limits(self) -> None:
        """Forget the sends counted against the rate limit (and DingTalk's 10-minute throttle)."""
        self._accepted.clear()
        self._blocked_until = 0.0

    def _limited(self) -> float | None:
        """Seconds until one more message would be accepted, or None when it is accepted now (and counted).
        Only accepted messages count; DingTalk, once over its limit, refuses everything for 10 minutes."""
        now = time.monotonic()
        if now < self._blocked_until:
            return self._blocked_until - now
        while self._accepted and now - self._accepted[0] >= 60:
            self._accepted.popleft()
        waits = []
        if self.per_minute is not None and len(self._accepted) >= self.per_minute:
            waits.append(60 - (now - self._accepted[-self.per_minute]))
        if self.per_second is not None:
            recent = [t for t in self._accepted if now - t < 1]
            if len(recent) >= self.per_second:
                waits.append(1 - (now - recent[-self.per_second]))
        if waits:
            if self.vendor == "dingtalk":
                self._blocked_until = now + DINGTALK_BLOCK_SECONDS
                return float(DINGTALK_BLOCK_SECONDS)
            return max(waits)
        self._accepted.append(now)
        return None


# -- signatures, as a correct sender computes them -------------------------------------------------------


def feishu_sign(secret: str, timestamp: int) -> str:
    """Feishu/Lark: base64(HMAC-SHA256 keyed with "{timestamp}\\n{secret}" over an empty message)."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk: base64(HMAC-SHA256 keyed with the secret over "{timestamp}\\n{secret}"), not URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def dingtalk_url(bot: Bot, timestamp_ms: int | None = None) -> str:
    """The bot's URL with `&timestamp=...&sign=...` appended (the sign URL-encoded), as DingTalk asks."""
    if bot.secret is None:
        return bot.url
    stamp = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    sign = urllib.parse.quote_plus(dingtalk_sign(bot.secret, stamp))
    return f"{bot.url}&timestamp={stamp}&sign={sign}"


# -- the vendors' answers ------------------------------------------------------------------------------------


def _wecom_error(code: int, text: str) -> dict[str, Any]:
    """WeCom's refusal: the reason, then a hint, the caller's address and the look-up link."""
    hint = secrets.token_hex(10)
    return {
        "errcode": code,
        "errmsg": f"{text}, hint: [{hint}], from ip: {HOST}, "
        f"more info at https://open.work.weixin.qq.com/devtool/query?e={code}",
    }


def _teams_error(code: str, text: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": text}}


FEISHU_OK = {"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"}
FEISHU_BAD_TOKEN = {"code": 19001, "data": {}, "msg": "param invalid: incoming webhook access token invalid"}
FEISHU_BAD_REQUEST = {"code": 9499, "data": {}, "msg": "Bad Request"}
FEISHU_BAD_SIGN = {
    "code": 19021,
    "data": {},
    "msg": "sign match fail or timestamp is not within one hour from current time",
}
FEISHU_NO_KEYWORD = {"code": 19024, "data": {}, "msg": "Key Words Not Found"}
FEISHU_BAD_MSG_TYPE = {"code": 19002, "data": {}, "msg": "param invalid: msg_type"}
FEISHU_LIMITED = {
    "code": 11232,
    "data": {},
    "msg": "frequency limited psm[lark.oapi.app_platform_runtime]appID[1500]",
}
FEISHU_MSG_TYPES = {"text", "post", "image", "share_chat", "interactive"}

DINGTALK_OK = {"errcode": 0, "errmsg": "ok"}
DINGTALK_BAD_TOKEN = {"errcode": 300005, "errmsg": "token is not exist"}
DINGTALK_BAD_SIGN = {"errcode": 310000, "errmsg": "sign not match"}
DINGTALK_BAD_TIMESTAMP = {"errcode": 310000, "errmsg": "invalid timestamp"}
DINGTALK_NO_KEYWORD = {"errcode": 310000, "errmsg": "keywords not in content"}
DINGTALK_TOO_LARGE = {
    "errcode": 460101,
    "errmsg": "description: body 大小不合法;solution:请保持大小在 20000bytes 以内;",
}
DINGTALK_LIMITED = {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
DINGTALK_BAD_PARAM = {"errcode": 300001, "errmsg": "param error"}
DINGTALK_BAD_MSGTYPE = {"errcode": 300001, "errmsg": "message msgtype not support"}
DINGTALK_MSGTYPES = {"text", "link", "markdown", "actionCard", "feedCard"}

WECOM_OK = {"errcode": 0, "errmsg": "ok"}
WECOM_INVALID_INPUT = "Invalid input invalid Request Parameter"
WECOM_MSGTYPES = {"text", "markdown", "markdown_v2", "image", "news", "file", "voice", "template_card"}

UNAVAILABLE = Answer(503, "Service Unavailable", {"content-type": "text/plain; charset=utf-8"})


def _json(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Answer:
    return Answer(status, body, {"content-type": "application/json", **(headers or {})})


def _text(status: int, body: str, headers: Mapping[str, str] | None = None) -> Answer:
    return Answer(status, body, {"content-type": "text/plain; charset=utf-8", **(headers or {})})


def _utf8_len(value: Any) -> int:
    return len(str(value).encode("utf-8")) if value is not None else 0


def _content(body: Mapping[str, Any], leave_out: tuple[str, ...] = ()) -> str:
    """The message as text, for the keyword rule: its JSON without the signature fields."""
    kept = {key: value for key, value in body.items() if key not in leave_out}
    return json.dumps(kept, ensure_ascii=False)


def _retry_after(bot: Bot, wait: float) -> str:
    return str(bot.retry_after if bot.retry_after is not None else max(1, math.ceil(wait)))


# -- the server ----------------------------------------------------------------------------------------------


class ChatServers:
    """The five fakes on one server. `add_bot` registers a webhook and gives its URL; `start`/`stop` (or
    `running_chat_servers()`) run uvicorn in a background thread on 127.0.0.1."""

    def __init__(self) -> None:
        self._bots: dict[tuple[Vendor, str], Bot] = {}
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.port = 0
        self.app = Starlette(
            routes=[
                Route("/open-apis/bot/v2/hook/{token}", self._feishu, methods=["POST"]),
                Route("/robot/send", self._dingtalk, methods=["POST"]),
                Route("/cgi-bin/webhook/send", self._wecom_send, methods=["POST"]),
                Route("/cgi-bin/webhook/upload_media", self._wecom_upload, methods=["POST"]),
                Route("/services/{team}/{service}/{token}", self._slack, methods=["POST"]),
                Route("/workflows/{workflow}/triggers/manual/paths/invoke", self._teams, methods=["POST"]),
            ]
        )

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def bots(self) -> list[Bot]:
        with self._lock:
            return list(self._bots.values())

    def add_bot(
        self,
        vendor: Vendor,
        *,
        secret: str | None = None,
        keyword: str | None = None,
        per_minute: int | None = None,
        per_second: int | None = None,
        down: bool = False,
        retry_after: int | None = None,
    ) -> Bot:
        """Register a webhook of `vendor` with a fresh token. `secret` turns on signing (Feishu, DingTalk;
        ignored elsewhere), `keyword` the keyword rule (Feishu, DingTalk). `per_minute`/`per_second` replace
        the vendor's documented rate limit (None keeps it); `retry_after` fixes the Retry-After seconds of
        Slack's and Teams' 429 (None: the seconds until the window frees). `down=True`: HTTP 503."""
        if vendor not in VENDORS:
            raise ValueError(f"unknown vendor {vendor!r}; one of {', '.join(VENDORS)}")
        if self.port == 0:
            raise RuntimeError("start the servers first (running_chat_servers() or the chat_servers fixture)")
        defaults: dict[Vendor, tuple[int | None, int | None]] = {
            "feishu": (FEISHU_PER_MINUTE, FEISHU_PER_SECOND),
            "dingtalk": (DINGTALK_PER_MINUTE, None),
            "wecom": (WECOM_PER_MINUTE, None),
            "slack": (SLACK_PER_MINUTE, None),
            "teams": (None, TEAMS_PER_SECOND),
        }
        minute, second = defaults[vendor]
        if per_minute is not None or per_second is not None:
            minute, second = per_minute, per_second
        base = self.base_url
        if vendor == "feishu":
            token = _uuid()
            url = f"{base}/open-apis/bot/v2/hook/{token}"
        elif vendor == "dingtalk":
            token = secrets.token_hex(32)
            url = f"{base}/robot/send?access_token={token}"
        elif vendor == "wecom":
            token = _uuid()
            url = f"{base}/cgi-bin/webhook/send?key={token}"
        elif vendor == "slack":
            team = "T" + _upper(10)
            service = "B" + _upper(10)
            token = f"{team}/{service}/{secrets.token_urlsafe(18)[:24]}"
            url = f"{base}/services/{token}"
        else:
            workflow = secrets.token_hex(16)
            sig = secrets.token_urlsafe(32)[:43]
            token = workflow
            url = (
                f"{base}/workflows/{workflow}/triggers/manual/paths/invoke"
                f"?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={sig}"
            )
        bot = Bot(
            vendor=vendor,
            token=token,
            url=url,
            secret=secret if vendor in ("feishu", "dingtalk") else None,
            keyword=keyword if vendor in ("feishu", "dingtalk") else None,
            per_minute=minute,
            per_second=second,
            down=down,
            retry_after=retry_after,
        )
        with self._lock:
            self._bots[(vendor, token)] = bot
        return bot

    def _bot(self, vendor: Vendor, token: str | None) -> Bot | None:
        with self._lock:
            return self._bots.get((vendor, token or ""))

    # -- lifecycle --

    def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, 0))
        self._socket = sock
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off")
        self._server = server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="chatservers", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the fake chat servers did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            if self._thread.is_alive():
                raise RuntimeError("the fake chat servers did not stop")
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    # -- what every endpoint does first --

    @staticmethod
    async def _message(request: Request, *, parse: bool = True) -> Message:
        raw = b"" if not parse else await request.body()
        body: Any = None
        if parse and raw:
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                body = None
        return Message(
            body=body,
            raw=raw,
            query=dict(request.query_params),
            headers={key.lower(): value for key, value in request.headers.items()},
            path=request.url.path,
            at=time.time(),
        )

    @staticmethod
    def _respond(answer: Answer) -> Response:
        headers = {k: v for k, v in answer.headers.items() if k != "content-type"}
        if isinstance(answer.body, str):
            return PlainTextResponse(answer.body, status_code=answer.status, headers=headers)
        if answer.body is None:
            return Response(status_code=answer.status, headers=headers)
        return JSONResponse(answer.body, status_code=answer.status, headers=headers)

    def _refuse(self, bot: Bot | None, message: Message, answer: Answer) -> Response:
        if bot is not None:
            bot.refused.append(Refusal(message, answer))
        return self._respond(answer)

    def _accept(self, bot: Bot, message: Message, answer: Answer) -> Response:
        bot.received.append(message)
        return self._respond(answer)

    # -- Feishu / Lark custom bot --

    async def _feishu(self, request: Request) -> Response:
        message = await self._message(request)
        bot = self._bot("feishu", request.path_params["token"])
        if bot is None:
            return self._refuse(None, message, _json(200, FEISHU_BAD_TOKEN))
        if bot.down:
            return self._refuse(bot, message, UNAVAILABLE)
        body = message.body
        if len(message.raw) > FEISHU_MAX_BODY or not isinstance(body, dict):
            return self._refuse(bot, message, _json(400, FEISHU_BAD_REQUEST))
        if bot.secret is not None:
            stamp = body.get("timestamp")
            try:
                seconds = int(str(stamp))
            except ValueError:
                return self._refuse(bot, message, _json(200, FEISHU_BAD_SIGN))
            fresh = abs(time.time() - seconds) <= FEISHU_WINDOW
            expected = feishu_sign(bot.secret, seconds)
            if not fresh or not hmac.compare_digest(str(body.get("sign", "")), expected):
                return self._refuse(bot, message, _json(200, FEISHU_BAD_SIGN))
        if bot.keyword is not None and bot.keyword not in _content(body, ("timestamp", "sign")):
            return self._refuse(bot, message, _json(200, FEISHU_NO_KEYWORD))
        msg_type = body.get("msg_type")
        if msg_type not in FEISHU_MSG_TYPES:
            return self._refuse(bot, message, _json(200, FEISHU_BAD_MSG_TYPE))
        if msg_type == "interactive" and not isinstance(body.get("card"), dict | str):
            return self._refuse(bot, message, _json(400, FEISHU_BAD_REQUEST))
        if msg_type != "interactive" and not isinstance(body.get("content"), dict):
            return self._refuse(bot, message, _json(400, FEISHU_BAD_REQUEST))
        if bot._limited() is not None:
            return self._refuse(bot, message, _json(200, FEISHU_LIMITED))
        return self._accept(bot, message, _json(200, FEISHU_OK))

    # -- DingTalk custom robot --

    async def _dingtalk(self, request: Request) -> Response:
        message = await self._message(request)
        bot = self._bot("dingtalk", message.query.get("access_token"))
        if bot is None:
            return self._refuse(None, message, _json(200, DINGTALK_BAD_TOKEN))
        if bot.down:
            return self._refuse(bot, message, UNAVAILABLE)
        if bot.secret is not None:
            stamp = message.query.get("timestamp", "")
            if not stamp.isdigit() or abs(time.time() * 1000 - int(stamp)) > DINGTALK_WINDOW_MS:
                return self._refuse(bot, message, _json(200, DINGTALK_BAD_TIMESTAMP))
            expected = dingtalk_sign(bot.secret, int(stamp))
            if not hmac.compare_digest(message.query.get("sign", ""), expected):
                return self._refuse(bot, message, _json(200, DINGTALK_BAD_SIGN))
        if len(message.raw) > DINGTALK_MAX_BODY:
            return self._refuse(bot, message, _json(200, DINGTALK_TOO_LARGE))
        body = message.body
        if not isinstance(body, dict):
            return self._refuse(bot, message, _json(200, DINGTALK_BAD_PARAM))
        msgtype = body.get("msgtype")
        if msgtype not in DINGTALK_MSGTYPES:
            return self._refuse(bot, message, _json(200, DINGTALK_BAD_MSGTYPE))
        part = body.get(msgtype)
        if not isinstance(part, dict) or (
            msgtype in ("markdown", "actionCard") and not (part.get("title") and part.get("text"))
        ):
            return self._refuse(bot, message, _json(200, DINGTALK_BAD_PARAM))
        if bot.keyword is not None and bot.keyword not in _content(body):
            return self._refuse(bot, message, _json(200, DINGTALK_NO_KEYWORD))
        if bot._limited() is not None:
            return self._refuse(bot, message, _json(200, DINGTALK_LIMITED))
        return self._accept(bot, message, _json(200, DINGTALK_OK))

    # -- WeCom group robot --

    async def _wecom_send(self, request: Request) -> Response:
        message = await self._message(request)
        bot = self._bot("wecom", message.query.get("key"))
        if bot is None:
            return self._refuse(None, message, _json(200, _wecom_error(93000, "invalid webhook url")))
        if bot.down:
            return self._refuse(bot, message, UNAVAILABLE)
        body = message.body
        if not isinstance(body, dict):
            return self._refuse(bot, message, _json(200, _wecom_error(40016, "invalid json")))
        msgtype = body.get("msgtype")
        if msgtype not in WECOM_MSGTYPES:
            return self._refuse(bot, message, _json(200, _wecom_error(40008, "invalid message type")))
        part = body.get(msgtype)
        if not isinstance(part, dict):
            return self._refuse(bot, message, _json(200, _wecom_error(40008, "invalid message type")))
        if msgtype in ("markdown", "markdown_v2") and _utf8_len(part.get("content")) > WECOM_MARKDOWN_MAX:
            text = f"{msgtype}.content exceed max length {WECOM_MARKDOWN_MAX}. {WECOM_INVALID_INPUT}"
            return self._refuse(bot, message, _json(200, _wecom_error(40058, text)))
        if msgtype == "text" and _utf8_len(part.get("content")) > WECOM_TEXT_MAX:
            text = f"text.content exceed max length {WECOM_TEXT_MAX}. {WECOM_INVALID_INPUT}"
            return self._refuse(bot, message, _json(200, _wecom_error(40058, text)))
        if msgtype in ("file", "voice"):
            media_id = part.get("media_id")
            if not any(uploaded.media_id == media_id for uploaded in bot.files):
                return self._refuse(bot, message, _json(200, _wecom_error(40007, "invalid media_id")))
        if bot._limited() is not None:
            return self._refuse(bot, message, _json(200, _wecom_error(45009, "api freq out of limit")))
        return self._accept(bot, message, _json(200, WECOM_OK))

    async def _wecom_upload(self, request: Request) -> Response:
        message = await self._message(request, parse=False)
        bot = self._bot("wecom", message.query.get("key"))
        if bot is None:
            return self._refuse(None, message, _json(200, _wecom_error(93000, "invalid webhook url")))
        if bot.down:
            return self._refuse(bot, message, UNAVAILABLE)
        kind = message.query.get("type", "")
        if kind not in ("file", "voice"):
            return self._refuse(bot, message, _json(200, _wecom_error(40004, "invalid media type")))
        try:
            async with request.form(max_part_size=WECOM_FILE_MAX + 1) as form:
                media = form.get("media")
                if media is None or isinstance(media, str):
                    answer = _json(200, _wecom_error(41008, "missing media"))
                    return self._refuse(bot, message, answer)
                content = await media.read()
                filename = media.filename or ""
                content_type = media.content_type or "application/octet-stream"
        except Exception:  # python-multipart refuses what is not multipart/form-data
            return self._refuse(bot, message, _json(200, _wecom_error(41008, "missing media")))
        limit = WECOM_FILE_MAX if kind == "file" else WECOM_VOICE_MAX
        if len(content) <= WECOM_FILE_MIN or len(content) > limit:
            return self._refuse(bot, message, _json(200, _wecom_error(40006, "invalid file size")))
        created = int(time.time())
        media_id = "3" + secrets.token_urlsafe(48).replace("-", "a").replace("_", "b")[:63]
        bot.files.append(UploadedFile(media_id, filename, content, content_type, kind, time.time()))
        reply = {
            "errcode": 0,
            "errmsg": "ok",
            "type": kind,
            "media_id": media_id,
            "created_at": str(created),
        }
        return self._respond(_json(200, reply))

    # -- Slack incoming webhook --

    async def _slack(self, request: Request) -> Response:
        message = await self._message(request)
        params = request.path_params
        bot = self._bot("slack", f"{params['team']}/{params['service']}/{params['token']}")
        if bot is None:
            known_team = any(
                b.token.startswith(params["team"] + "/") for b in self.bots if b.vendor == "slack"
            )
            return self._refuse(None, message, _text(404, "no_service" if known_team else "no_team"))
        if bot.down:
            return self._refuse(bot, message, UNAVAILABLE)
        body = message.body
        if body is None and message.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):  # the older form: payload={json}
            form = urllib.parse.parse_qs(message.raw.decode("utf-8", "replace"))
            try:
                body = json.loads(form.get("payload", [""])[0])
            except ValueError:
                body = None
            message = Message(body, message.raw, message.query, message.headers, message.path, message.at)
        if not isinstance(body, dict):
            return self._refuse(bot, message, _text(400, "invalid_payload"))
        if not body.get("text") and not body.get("blocks") and not body.get("attachments"):
            return self._refuse(bot, message, _text(400, "no_text"))
        attachments = body.get("attachments")
        if isinstance(attachments, list) and len(attachments) > SLACK_MAX_ATTACHMENTS:
            return self._refuse(bot, message, _text(400, "too_many_attachments"))
        if "blocks" in body and not _slack_blocks_valid(body["blocks"]):
            return self._refuse(bot, message, _text(400, "invalid_blocks"))
        wait = bot._limited()
        if wait is not None:
            answer = _text(429, "rate_limited", {"retry-after": _retry_after(bot, wait)})
            return self._refuse(bot, message, answer)
        return self._accept(bot, message, _text(200, "ok"))

    # -- Microsoft Teams, Workflows ("Send webhook alerts to a channel") --

    async def _teams(self, request: Request) -> Response:
        message = await self._message(request)
        bot = self._bot("teams", request.path_params["workflow"])
        if bot is None:
            answer = _json(404, _teams_error("WorkflowNotFound", "The workflow could not be found."))
            return self._refuse(None, message, answer)
        if bot.down:
            return self._refuse(bot, message, UNAVAILABLE)
        query = message.query
        if "api-version" not in query:
            text = "The api-version query parameter (?api-version=) is required for all requests."
            return self._refuse(bot, message, _json(400, _teams_error("MissingApiVersionParameter", text)))
        expected_sig = urllib.parse.parse_qs(urllib.parse.urlsplit(bot.url).query)["sig"][0]
        if "sig" not in query:
            text = "The request must be authenticated only by Shared Access scheme."
            return self._refuse(
                bot, message, _json(401, _teams_error("DirectApiAuthorizationRequired", text))
            )
        if not hmac.compare_digest(query["sig"], expected_sig):
            text = "The provided authorization signature is not valid."
            answer = _json(401, _teams_error("DirectApiInvalidAuthorizationSignature", text))
            return self._refuse(bot, message, answer)
        if message.body is None:
            text = "The request content is not valid and could not be deserialized."
            return self._refuse(bot, message, _json(400, _teams_error("InvalidRequestContent", text)))
        wait = bot._limited()
        if wait is not None:
            seconds = _retry_after(bot, wait)
            text = f"Rate limit is exceeded. Try again in {seconds} seconds."
            answer = _json(429, _teams_error("TooManyRequests", text), {"retry-after": seconds})
            return self._refuse(bot, message, answer)
        # The trigger answers 202 before the flow posts; a message the post step cannot post is lost after
        # that, so it is recorded as refused with the flow run's failure, and the sender still sees 202.
        failure = _teams_post_failure(message)
        if failure is not None:
            bot.refused.append(Refusal(message, _json(202, failure)))
            return self._respond(Answer(202, None))
        return self._accept(bot, message, Answer(202, None))


def _teams_post_failure(message: Message) -> dict[str, Any] | None:
    """Why the template's "Post card in a chat or channel" step would fail on this request, or None."""
    body = message.body
    if len(message.raw) > TEAMS_MAX_MESSAGE:
        return _teams_error("RequestEntityTooLarge", "Request Entity too large")
    attachments = body.get("attachments") if isinstance(body, dict) else None
    if not isinstance(attachments, list) or not attachments:
        return _teams_error("InvalidTemplate", "The message has no attachments to post.")
    for attachment in attachments:
        content = attachment.get("content") if isinstance(attachment, dict) else None
        if (
            not isinstance(attachment, dict)
            or attachment.get("contentType") != "application/vnd.microsoft.card.adaptive"
            or not isinstance(content, dict)
            or content.get("type") != "AdaptiveCard"
        ):
            return _teams_error("BadRequest", "The attachment is not an Adaptive Card.")
    return None


def _slack_blocks_valid(blocks: Any) -> bool:
    if not isinstance(blocks, list) or len(blocks) > SLACK_MAX_BLOCKS:
        return False
    for block in blocks:
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            return False
        text = block.get("text")
        words = text.get("text", "") if isinstance(text, dict) else ""
        if block["type"] == "section" and len(words) > SLACK_SECTION_TEXT_MAX:
            return False
        if block["type"] == "header" and len(words) > SLACK_HEADER_TEXT_MAX:
            return False
    return True


def _uuid() -> str:
    raw = secrets.token_hex(16)
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"


def _upper(count: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(count))


@contextmanager
def running_chat_servers() -> Iterator[ChatServers]:
    """The fakes, started on a free port of 127.0.0.1 and stopped (thread joined, socket closed) after."""
    servers = ChatServers()
    servers.start()
    try:
        yield servers
    finally:
        servers.stop()


__all__ = [
    "VENDORS",
    "Answer",
    "Bot",
    "ChatServers",
    "Message",
    "Refusal",
    "UploadedFile",
    "Vendor",
    "dingtalk_sign",
    "dingtalk_url",
    "feishu_sign",
    "running_chat_servers",
]
