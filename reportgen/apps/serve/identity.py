"""Who is asking: serve's sign-in modes, the person a request comes from and what their roles let them do.

- `accounts`: the archive's accounts (`reportgen users`); a session's key travels in a signed, HttpOnly,
  SameSite=Strict cookie that expires, is kept server-side as a hash (so signing out ends it wherever the
  cookie was copied) and opens only from the address it was made from.
- `proxy`: a reverse proxy (oauth2-proxy and the like) signs people in and names them in a header
  (`[serve] proxy_header`), believed only from `[serve] proxy_addresses`; their roles are still the archive's.
- `none`: today's one-person page (loopback, or the access token beyond it).

The gate below runs before any route: without a person, a page answers with the sign-in page (accounts) or a
refusal (proxy). The roles are checked by the routes, per team.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import secrets
import urllib.parse
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from itsdangerous import BadSignature, TimestampSigner
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from reportgen.apps.serve.guards import is_loopback
from reportgen.archive.accounts import EVERY_TEAM, Accounts, Grant, Role
from reportgen.base.config import ServeSettings
from reportgen.base.errors import ArchiveError
from reportgen.cycle.names import fold
from reportgen.cycle.teams import TeamName

SESSION_COOKIE = "reportgen_session"
SESSION_SECRET_VARIABLE = "REPORTGEN_SESSION_SECRET"
OPEN_PATHS = (
    "/signin",
    "/static/",
    "/r/",
)  # the sign-in page, its style and fonts, a chat card's signed link
RANK = {Role.VIEWER: 1, Role.LEAD: 2, Role.HEAD: 3}


class Mode(StrEnum):
    ACCOUNTS = "accounts"
    PROXY = "proxy"
    NONE = "none"


def choose_mode(settings: ServeSettings, host: str, has_accounts: Callable[[], bool]) -> Mode:
    """`[serve] auth` when set; else accounts when any exists or serve listens beyond loopback, else none."""
    if settings.auth is not None:
        return Mode(settings.auth)
    if not is_loopback(host):
        return Mode.ACCOUNTS
    return Mode.ACCOUNTS if has_accounts() else Mode.NONE


@dataclass(frozen=True, slots=True)
class Person:
    """A signed-in person and their grants; `session` is their cookie's key (None behind a proxy)."""

    name: str
    grants: tuple[Grant, ...]
    session: str | None = None

    def role(self, team: TeamName) -> Role | None:
        """The strongest role a grant gives on `team` (by its review's name, a workbook stem or schedule key
        that was its first, or "*"; never by the name of a copy of its workbook: `TeamName.owned`)."""
        names = team.role_names()
        found = [g.role for g in self.grants if g.team == EVERY_TEAM or fold(g.team) in names]
        return max(found, key=RANK.__getitem__, default=None)

    def sees(self, team: TeamName) -> bool:
        return self.role(team) is not None

    def leads(self, team: TeamName) -> bool:
        """Uploads and decides for the team: a lead of it, or a head (who may do what a lead does)."""
        return self.role(team) in (Role.LEAD, Role.HEAD)

    @property
    def is_head(self) -> bool:
        return any(grant.role == Role.HEAD for grant in self.grants)

    @property
    def uploads(self) -> bool:
        return any(grant.role in (Role.LEAD, Role.HEAD) for grant in self.grants)


class Cookies:
    """The session cookie's value: the session's key, signed and dated with this server's secret
    (`REPORTGEN_SESSION_SECRET`, the same for every serve of one archive; else a secret of this process, so
    a restart signs everyone out)."""

    def __init__(self, secret: str | None = None) -> None:
        chosen = secret or os.environ.get(SESSION_SECRET_VARIABLE) or secrets.token_urlsafe(32)
        self.signer = TimestampSigner(chosen, salt="reportgen.session")

    def value(self, key: str) -> str:
        return self.signer.sign(key).decode("ascii")

    def key(self, value: str | None, max_age: int) -> str | None:
        if not value:
            return None
        try:
            return self.signer.unsign(value, max_age=max_age).decode("ascii")
        except (BadSignature, UnicodeDecodeError):
            return None


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else ""


def from_proxy(address: str, networks: Sequence[str]) -> bool:
    """True when `address` is one of the configured proxies (an address or a network)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(network, strict=False) for network in networks)


class Gate:
    """ASGI middleware: with accounts or a proxy, find the person before any route runs (in a thread: the
    archive is read) and put them in `scope["state"]["person"]`; without one, a page's GET goes to the
    sign-in page and anything else gets `refuse`'s answer. The open paths need nobody."""

    def __init__(
        self,
        app: ASGIApp,
        mode: Callable[[], Mode],
        accounts: Callable[[], Accounts],
        settings: ServeSettings,
        cookies: Cookies,
        refuse: Callable[[Request], Awaitable[Response]],
    ) -> None:
        self.app = app
        self.mode = mode
        self.accounts = accounts
        self.settings = settings
        self.cookies = cookies
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        mode = self.mode() if scope["type"] == "http" else Mode.NONE
        if mode == Mode.NONE:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            person = await asyncio.to_thread(self.person, request, mode)
        except ArchiveError:  # nobody can be told apart: signed out, and the sign-in page says why
            person = None
        scope.setdefault("state", {})["person"] = person
        path = request.url.path
        if person is not None or path.startswith(OPEN_PATHS):
            await self.app(scope, receive, send)
            return
        if mode == Mode.ACCOUNTS and request.method == "GET":
            wanted = path + (f"?{request.url.query}" if request.url.query else "")
            target = "/signin" + ("?next=" + urllib.parse.quote(wanted, safe="") if path != "/" else "")
            await RedirectResponse(target, status_code=303)(scope, receive, send)
            return
        await (await self.refuse(request))(scope, receive, send)

    def person(self, request: Request, mode: Mode) -> Person | None:
        """The person the request comes from, or None (blocking: the archive is read)."""
        address = client_address(request.scope)
        if mode == Mode.PROXY:
            name = request.headers.get(self.settings.proxy_header)
            if not name or not from_proxy(address, self.settings.proxy_addresses):
                return None  # a header from anyone but the proxy is ignored
            account = self.accounts().find(name)
            return Person(account.name, account.grants) if account is not None else None
        key = self.cookies.key(request.cookies.get(SESSION_COOKIE), self.settings.session_hours * 3600)
        if key is None:
            return None
        account = self.accounts().session(key, address)
        return Person(account.name, account.grants, key) if account is not None else None


def person_of(request: Request) -> Person | None:
    """The person the gate found (None on the one-person page)."""
    state = request.scope.get("state") or {}
    found = state.get("person")
    return found if isinstance(found, Person) else None
