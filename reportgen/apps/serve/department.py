"""The department's pages, with accounts or behind a proxy: sign in and out, every team's month at a glance,
a team's page (every month, version, delivery and decision, each version's PDF, the upload form, approve
and reject), each refused with a 403 for a team the person has no role on.

Every POST keeps the page's guards (Origin, the page token); approve and reject record the signed-in person
(cycle/runs.py's `by`). The archive is read in a thread, never in the event loop.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from reportgen.apps.serve.errors import PageError
from reportgen.apps.serve.forms import small_form
from reportgen.apps.serve.guards import require_access, require_origin, require_token
from reportgen.apps.serve.identity import SESSION_COOKIE, Mode, Person, client_address, person_of
from reportgen.apps.serve.overview import (
    acts_on,
    every_team,
    month_line,
    months_offered,
    team_url,
    team_view,
)
from reportgen.apps.serve.pages import Pages, ui_language
from reportgen.apps.serve.state import ServeState
from reportgen.apps.serve.uploads import content_disposition
from reportgen.archive.accounts import Accounts, Limits, Outcome
from reportgen.base.catalogue import catalogue
from reportgen.base.config import Config
from reportgen.base.department import is_rollup
from reportgen.base.errors import ArchiveError, DeliveryError, InputError, ReportgenError
from reportgen.base.states import ApprovalState
from reportgen.cycle.names import fold
from reportgen.cycle.rollup import approve_rollup, is_department
from reportgen.cycle.runs import approve, reject
from reportgen.cycle.teams import TeamName, UnknownTeam, resolve_team

if TYPE_CHECKING:  # the store loads SQLAlchemy: only the annotation needs it here
    from reportgen.archive.store import Archive

Handler = Callable[["Department", Request], Awaitable[Response]]
ROLLUP_HINT = True  # the head's page names `reportgen rollup` (apps/cli/rollup.py) for the month


def refused_page(handler: Handler) -> Handler:
    """A PageError or an archive that cannot be read becomes the department's page with its message."""

    @functools.wraps(handler)
    async def run(self: Department, request: Request) -> Response:
        try:
            return await handler(self, request)
        except PageError as error:
            message = catalogue(ui_language(request)).text(f"web.{error.code}", **error.params)
            return await self.pages.draw(request, "web/refused.html", error.status, message=message)
        except ArchiveError as error:
            message = error.message(ui_language(request))
            return await self.pages.draw(request, "web/refused.html", 503, message=message)

    return run


class Department:
    """The department's routes over the server's state."""

    def __init__(self, state: ServeState, pages: Pages) -> None:
        self.state = state
        self.pages = pages

    def table(self) -> list[Route]:
        return [
            Route("/signin", self.signin_page, methods=["GET"]),
            Route("/signin", self.signin, methods=["POST"]),
            Route("/signout", self.signout, methods=["POST"]),
            Route("/team", self.team, methods=["GET"]),
            Route("/team/pdf", self.pdf, methods=["GET"]),
            Route("/team/approve", self.approve, methods=["POST"]),
            Route("/team/reject", self.reject, methods=["POST"]),
        ]

    async def refused(self, request: Request) -> Response:
        """The gate's answer to a request without a person (a POST signed out, or no proxy identity)."""
        code = "dept.no_identity" if self.state.mode() == Mode.PROXY else "dept.signed_out"
        message = catalogue(ui_language(request)).text(f"web.{code}")
        return await self.pages.draw(request, "web/refused.html", 403, message=message)

    # --- signing in and out ---

    async def signin_page(self, request: Request) -> Response:
        if self.state.mode() != Mode.ACCOUNTS:
            return await self.refused(request) if person_of(request) is None else RedirectResponse("/", 303)
        wanted = _next(request.query_params.get("next"))
        return await self.pages.draw(request, "web/signin.html", next=wanted, name="")

    async def signin(self, request: Request) -> Response:
        """Check the name and password (the same words for an unknown name and a wrong password; a lock
        says only that there were too many attempts), then the session's cookie and on to `next`."""
        if self.state.mode() != Mode.ACCOUNTS:
            return await self.refused(request)
        try:
            require_origin(request)
            fields = await small_form(request)
            require_token(self.state.tokens, fields.get("token"))
        except PageError as error:
            message = catalogue(ui_language(request)).text(f"web.{error.code}", **error.params)
            return await self.pages.draw(
                request, "web/signin.html", error.status, error=message, next="/", name=""
            )
        settings = self.state.settings
        limits = Limits(settings.login_attempts, settings.lockout_minutes)
        name, password = fields.get("name", "")[:200], fields.get("password", "")[:1000]
        address = client_address(request.scope)
        wanted = _next(fields.get("next"))

        def signing_in() -> Any:
            return self.state.accounts().sign_in(name, password, address, limits, settings.session_hours)

        try:
            answer = await asyncio.to_thread(signing_in)
        except ArchiveError as exc:
            message = exc.message(ui_language(request))
            return await self.pages.draw(
                request, "web/signin.html", 503, error=message, next=wanted, name=name
            )
        if answer.key is None:
            words = catalogue(ui_language(request))
            if answer.refused == Outcome.LOCKED:
                message, status = words.text("web.dept.locked", minutes=settings.lockout_minutes), 429
            else:
                message, status = words.text("web.dept.signin_failed"), 401
            return await self.pages.draw(
                request, "web/signin.html", status, error=message, next=wanted, name=name
            )
        response = RedirectResponse(wanted, status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            self.state.cookies.value(answer.key),
            max_age=settings.session_hours * 3600,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https" or (settings.public_url or "").startswith("https:"),
        )
        return response

    async def signout(self, request: Request) -> Response:
        person = person_of(request)
        require_origin(request)
        fields = await small_form(request)
        require_token(self.state.tokens, fields.get("token"))
        if person is not None and person.session is not None:
            await asyncio.to_thread(self.state.accounts().end_session, person.session)
        response = RedirectResponse("/signin", status_code=303)
        response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="strict")
        return response

    # --- the pages ---

    @refused_page
    async def home(self, request: Request) -> Response:
        """Every team the person has a role on, with where the chosen month stands."""
        require_access(request, self.state.access)
        person = person_of(request)
        offered = months_offered(self.state.as_of())
        month = request.query_params.get("month")
        month = month if month in offered else offered[0]
        words = catalogue(ui_language(request))

        def lines() -> list[Any]:
            archive = self.state.archive()
            teams = every_team(archive, self.state.config)
            shown = [team for team in teams if person is None or person.sees(team)]
            return [month_line(archive, team, month, words, person, self.state.config.zone) for team in shown]

        rows = await asyncio.to_thread(lines)
        counts: dict[str, int] = {}
        for row in rows:
            counts[row.stage] = counts.get(row.stage, 0) + 1
        rollup = person is not None and person.is_head and ROLLUP_HINT
        return await self.pages.draw(
            request, "web/department.html", rows=rows, month=month, months=offered, counts=counts,
            rollup=rollup, here=f"/?month={month}",
        )  # fmt: skip

    @refused_page
    async def team(self, request: Request) -> Response:
        person = person_of(request)
        team = await self.team_for(request, request.query_params.get("name"), person)
        offered = months_offered(self.state.as_of())
        chosen = request.query_params.get("month")
        chosen = chosen if chosen in offered else offered[0]
        words = catalogue(ui_language(request))

        def view() -> Any:
            return team_view(self.state.archive(), team, words, person, chosen, self.state.config.zone)

        shown = await asyncio.to_thread(view)
        return await self.pages.draw(
            request, "web/team.html", view=shown, leads=acts_on(person, team),
            rollup=is_rollup(team.review),
            here=team_url(team),
            limit_mb=self.state.settings.max_upload_mb,
            limit_bytes=self.state.settings.max_upload_mb * 1024 * 1024,
            decide_error=None, decide_month=None,
        )  # fmt: skip

    @refused_page
    async def pdf(self, request: Request) -> Response:
        """A version's PDF as the archive kept it: only a build of this team's reviews."""
        person = person_of(request)
        team = await self.team_for(request, request.query_params.get("name"), person)
        build = request.query_params.get("build", "")
        if not build.isdigit():
            raise PageError(404, "not_found")

        def stored() -> Any:
            try:
                return self.state.archive().pdf_of(int(build))
            except InputError:
                return None

        pdf = await asyncio.to_thread(stored)
        if pdf is None or fold(pdf.team) != fold(team.review):
            raise PageError(404, "not_found")
        headers = {"Content-Disposition": content_disposition(pdf.pdf_path.name)}
        return Response(pdf.data, media_type="application/pdf", headers=headers)

    @refused_page
    async def approve(self, request: Request) -> Response:
        return await self.decide(request, approving=True)

    @refused_page
    async def reject(self, request: Request) -> Response:
        return await self.decide(request, approving=False)

    async def decide(self, request: Request, approving: bool) -> Response:
        """Approve (the draft goes to management) or reject (with the reason) as the signed-in person; a
        viewer, or a lead of another team, or a lead who is not the draft's named approver, is refused."""
        person = person_of(request)
        require_origin(request)
        fields = await small_form(request)
        require_token(self.state.tokens, fields.get("token"))
        team = await self.team_for(request, fields.get("team"), person)
        month = fields.get("month", "")
        config = self.state.config
        by = person.name if person is not None else None

        def decided() -> None:
            archive = self.state.archive()
            name = team.key or team.review
            require_decider(archive, config, person, team, month)
            if approving and is_department(team.review, config):  # the roll-up: cycle/rollup.py delivers it
                approve_rollup(archive, config, month, by=by)
            elif approving:
                approve(archive, config, name, month, with_errors=fields.get("with_errors") == "1", by=by)
            else:
                reject(archive, name, month, fields.get("reason", ""), by=by)

        lang = ui_language(request)
        try:
            await asyncio.to_thread(decided)
        except DeliveryError as exc:
            return await self._team_with_error(request, team, person, month, exc.reason(lang), 502)
        except PageError:
            raise
        except ReportgenError as exc:  # nothing waits, decided meanwhile, no reason given, errors
            message = exc.message(lang) if hasattr(exc, "message") else str(exc)
            return await self._team_with_error(request, team, person, month, message, 409)
        return RedirectResponse(f"{team_url(team)}&month={month}#m-{month}", status_code=303)

    async def _team_with_error(
        self, request: Request, team: TeamName, person: Person | None, month: str, message: str, status: int
    ) -> Response:
        words = catalogue(ui_language(request))
        shown = await asyncio.to_thread(
            team_view, self.state.archive(), team, words, person, month, self.state.config.zone
        )
        return await self.pages.draw(
            request, "web/team.html", status, view=shown, leads=acts_on(person, team),
            rollup=is_rollup(team.review),
            here=team_url(team),
            limit_mb=self.state.settings.max_upload_mb,
            limit_bytes=self.state.settings.max_upload_mb * 1024 * 1024,
            decide_error=message, decide_month=month,
        )  # fmt: skip

    def remembered(self, name: str) -> TeamName | None:
        """A team only the schedule's runs remember (no review yet): the department page lists it too."""
        archive = self.state.archive()
        found = next(
            (team for team in every_team(archive, self.state.config) if fold(team.review) == fold(name)), None
        )
        return found

    async def team_for(self, request: Request, name: str | None, person: Person | None) -> TeamName:
        """The team a request names (any of its names); 404 if nobody knows it, 403 if the person has no
        role on it (the same page for a team they may not see: its stage is not told). Without accounts,
        beyond loopback, the access token is needed as for every other page."""
        require_access(request, self.state.access)
        if not name:
            raise PageError(404, "not_found")

        def resolved() -> TeamName:
            return resolve_team(self.state.archive(), self.state.config, name[:200])

        try:
            team = await asyncio.to_thread(resolved)
        except UnknownTeam:
            known = await asyncio.to_thread(self.remembered, name[:200])
            if known is not None and (person is None or person.sees(known)):
                return known
            if person is not None and not person.is_head:
                raise PageError(403, "dept.forbidden") from None
            raise PageError(404, "not_found") from None
        if person is not None and not person.sees(team):
            raise PageError(403, "dept.forbidden")
        return team


def require_decider(
    archive: Archive, config: Config, person: Person | None, team: TeamName, month: str
) -> None:
    """The one rule for approving or rejecting a team's draft of `month`, whichever page's button asks (the
    team page's or an upload's): a lead of the team or a head; the roll-up only a head; and a lead only
    when the draft waits for them, or for someone who has no account here. PageError 403 otherwise.
    Nobody signed in (the one-person page) decides. Blocking: the archive is read."""
    if person is None:
        return
    if not person.leads(team):
        raise PageError(403, "dept.not_lead", team=team.review)
    if person.is_head:
        return
    if is_department(team.review, config):  # the roll-up is the heads' to decide
        raise PageError(403, "dept.not_lead", team=team.review)
    names = {team.review, *([team.key] if team.key else [])}
    waiting = [
        a for name in names for a in archive.approvals(name, month) if a.state == ApprovalState.PENDING
    ]
    named = waiting[0].approver if waiting else None
    if named and fold(named) != fold(person.name) and Accounts(archive).find(named) is not None:
        raise PageError(403, "dept.not_approver", approver=named)


def _next(value: str | None) -> str:
    """Where to go after signing in: a path of this server only (never `//host` or a scheme)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value[:500]
    return "/"
