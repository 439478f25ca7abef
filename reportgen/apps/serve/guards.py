"""The web's own duty: a local server that can mail files is a target for any page the user visits.

Host allow-list (DNS rebinding), Origin / Sec-Fetch-Site on every POST, a signed token in every page's
forms, the access token when bound beyond loopback, and the headers every answer carries.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
import time
import urllib.parse
from collections.abc import Sequence
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reportgen.apps.serve.errors import PageError
from reportgen.base.catalogue import catalogue

ACCESS_COOKIE = "reportgen_access"
TOKEN_AGE = 12 * 3600  # seconds a page's token stays valid
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "frame-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# the review page: its own inline stylesheet and data: charts, no script, no fetch, and a sandbox of its own
PREVIEW_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'self'; sandbox"
)


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses: the only binds that need no access token."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str, port: int, extra: Sequence[str]) -> frozenset[str]:
    """Host header values accepted (DNS rebinding): the bound address, localhost, 127.0.0.1 and [::1] with the
    port, plus each --allow-host / serve.allow_hosts name with the port or, when it names one, as given."""
    bound = f"[{host}]" if ":" in host else host
    names = {bound.lower(), "localhost", "127.0.0.1", "[::1]"}
    accepted = set()
    for name in [*names, *(name.lower() for name in extra)]:
        accepted.add(f"{name}:{port}")
        if re.search(r":\d+$", name) and not name.endswith("]"):
            accepted.add(name)
        if port == 80:
            accepted.add(name)
    return frozenset(accepted)


def public_hosts(public_url: str | None) -> frozenset[str]:
    """The Host a proxy in front of serve passes on for `[serve] public_url` (the chat cards' links): its
    host as the url names it, with or without the port."""
    if public_url is None:
        return frozenset()
    netloc = urllib.parse.urlsplit(public_url).netloc.lower()
    return frozenset({netloc, netloc.rsplit(":", 1)[0] if re.search(r":\d+$", netloc) else netloc})


class PageTokens:
    """The token in each page's forms: a nonce and its time, signed with this process's secret."""

    def __init__(self) -> None:
        self.secret = secrets.token_bytes(32)

    def issue(self) -> str:
        """A fresh token for one page's forms."""
        body = f"{secrets.token_hex(8)}.{int(time.time())}"
        return f"{body}.{self._sign(body)}"

    def _sign(self, body: str) -> str:
        return hmac.new(self.secret, body.encode(), hashlib.sha256).hexdigest()[:32]

    def valid(self, token: str | None) -> bool:
        if not token or token.count(".") != 2:
            return False
        body, _, signature = token.rpartition(".")
        if not hmac.compare_digest(self._sign(body), signature):
            return False
        issued = body.split(".")[1]
        return issued.isdigit() and time.time() - int(issued) < TOKEN_AGE


def require_access(request: Request, access: str | None) -> None:
    """Bound beyond loopback, a build, a send or an upload's pages need the access token printed at start
    (the address with `?access=` sets it as a cookie)."""
    if access is None:
        return
    given = request.cookies.get(ACCESS_COOKIE) or request.query_params.get("access")
    if not given or not hmac.compare_digest(given, access):
        raise PageError(403, "access")


DEFAULT_PORTS = {"http": ":80", "https": ":443"}


def require_origin(request: Request) -> None:
    """A POST must come from this page: its Origin (when the browser sends one) is this server, the host the
    request names (which SecurityHeaders has already found allowed), over http or, behind the https proxy
    docs/department.md describes, https."""
    origin = request.headers.get("origin")
    if origin is not None:
        parts = urlsplit(origin)
        port = DEFAULT_PORTS.get(parts.scheme)
        host = request.headers.get("host", "").lower()
        if port is None or parts.netloc.lower().removesuffix(port) != host.removesuffix(port):
            raise PageError(403, "forbidden")
    elif request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        raise PageError(403, "forbidden")


def require_token(tokens: PageTokens, token: str | None) -> None:
    """...and it carries a token this process signed for one of its pages (a cross-site page can neither
    read nor forge one)."""
    if not tokens.valid(token):
        raise PageError(403, "forbidden")


class SecurityHeaders:
    """ASGI middleware: refuse an unknown Host before any route runs, and give every answer its headers."""

    def __init__(self, app: ASGIApp, hosts: frozenset[str], url: str) -> None:
        self.app = app
        self.hosts = hosts
        self.url = url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        host = headers.get(b"host", b"").decode("latin-1").lower()
        if host not in self.hosts:
            words = catalogue("en")
            text = words.text("web.bad_host", host=host[:100] or "-", url=self.url)
            await PlainTextResponse(text, status_code=421, headers=base_headers())(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [
                    (name.encode(), value.encode())
                    for name, value in base_headers().items()
                    if name.lower().encode() not in present
                ]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def base_headers() -> dict[str, str]:
    """The headers every answer carries unless its route set its own (the preview sets a stricter policy)."""
    return {
        "Content-Security-Policy": PAGE_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",  # no-referrer would make our own POSTs carry `Origin: null`
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
    }
