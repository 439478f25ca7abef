"""The handlers: the home page, the static files, and each upload's page, build, preview, download and send.

Each is guarded: a PageError becomes the page with its message, never a stack trace. Every POST checks
Origin and the page token before it reads a form, and the access token when bound beyond loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import re
import secrets
import shutil
import sys
from collections.abc import Awaitable, Callable
from concurrent.futures.process import BrokenProcessPool

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from reportgen.apps.serve.builds import Problem, build_upload, check_upload
from reportgen.apps.serve.department import Department, require_decider
from reportgen.apps.serve.errors import PageError
from reportgen.apps.serve.forms import (
    DrainingResponse,
    body_reader,
    drain_bound,
    receive_workbook,
    small_form,
)
from reportgen.apps.serve.guards import (
    ACCESS_COOKIE,
    PREVIEW_POLICY,
    require_access,
    require_origin,
    require_token,
)
from reportgen.apps.serve.identity import Mode, Person, person_of
from reportgen.apps.serve.pages import Pages
from reportgen.apps.serve.sending import approve_draft, send_built
from reportgen.apps.serve.state import ServeState
from reportgen.apps.serve.uploads import (
    Upload,
    content_disposition,
    shown_file_name,
    shown_stem,
)
from reportgen.archive.records import StoredPdf
from reportgen.base.catalogue import LANGUAGES
from reportgen.base.errors import ArchiveError, InputError
from reportgen.cycle.teams import TeamName, UnknownTeam, resolve_team
from reportgen.delivery.links import ROUTE, linked_pdf
from reportgen.rendering.templates import templates_folder
from reportgen.rendering.webfonts import interface_fonts

PAGE_FONT = re.compile(r"page-(?P<key>[0-9a-f]{20})-(?P<weight>Regular|Bold)\.woff2")
STATIC = {"web.css": "text/css; charset=utf-8", "web.js": "text/javascript; charset=utf-8"}
Handler = Callable[["Routes", Request], Awaitable[Response]]


def guarded(handler: Handler) -> Handler:
    """Run a route; a PageError becomes the page with its message (and the upload, unless the refusal is
    that the upload is not the requester's or not there), never a stack trace. A body too large is answered
    at once and the rest of it drained after, so the browser shows the answer instead of a reset."""

    @functools.wraps(handler)
    async def run(self: Routes, request: Request) -> Response:
        try:
            return await handler(self, request)
        except PageError as error:
            upload = self.state.uploads.get(request.path_params.get("upload_id", ""))
            shown = upload if error.code not in ("access", "expired_unused") else None
            page = await self.pages.error(request, error, shown)
            if error.status != 413:
                return page
            limit = self.state.settings.max_upload_mb * 1024 * 1024
            return DrainingResponse(page, body_reader(request), drain_bound(limit))

    return run


class Routes:
    """The routes of one server, over its state."""

    def __init__(self, state: ServeState) -> None:
        self.state = state
        self.pages = Pages(state)
        self.department = Department(state, self.pages)

    def table(self) -> list[Route]:
        return [
            Route("/", self.home, methods=["GET"]),
            Route("/static/{name}", self.static, methods=["GET"]),
            Route("/static/fonts/{name}", self.font, methods=["GET"]),
            Route("/upload", self.upload, methods=["POST"]),
            Route("/u/{upload_id}", self.show, methods=["GET"]),
            Route("/u/{upload_id}/build", self.build, methods=["POST"]),
            Route("/u/{upload_id}/preview", self.preview, methods=["GET"]),
            Route("/u/{upload_id}/review.pdf", self.download, methods=["GET"]),
            Route("/u/{upload_id}/send", self.send, methods=["POST"]),
            Route("/u/{upload_id}/approve", self.approve, methods=["POST"]),
            Route(ROUTE + "{token}", self.linked_review, methods=["GET"]),
            *self.department.table(),
        ]

    def find(self, request: Request) -> Upload:
        """The upload by its id; with accounts, only for the person who uploaded it (anyone else is told
        it is not there, as for an id that never was)."""
        upload = self.state.find(request.path_params["upload_id"])
        person = person_of(request)
        if person is not None and upload.owner != person.name:
            raise PageError(404, "expired_unused", minutes=self.state.settings.retention_minutes)
        return upload

    async def team_of_upload(self, team: str) -> tuple[TeamName, bool]:
        """The team a checked workbook's review is filed under (the name the archive and history use), as
        the archive and the schedule know it, and whether they know it. Never the uploaded file's name:
        anyone can call a workbook northwind-en.xlsx, and a role on northwind-en must not cover it."""

        def resolved() -> tuple[TeamName, bool]:
            try:
                return resolve_team(self.state.archive(), self.state.config, team), True
            except UnknownTeam:  # a team nobody knows yet: only a role naming it (or a head) covers it
                return TeamName(team, None, (team,)), False

        return await asyncio.to_thread(resolved)

    async def home(self, request: Request) -> Response:
        """The upload form (the department's page with accounts or a proxy); with `?access=` (bound beyond
        loopback), the access token's cookie first."""
        if self.state.mode() != Mode.NONE:
            return await self.department.home(request)
        access, given = self.state.access, request.query_params.get("access")
        if access is not None and given is not None:
            if not hmac.compare_digest(given, access):
                return await self.pages.error(request, PageError(403, "access"))
            response = RedirectResponse("/", status_code=303)
            response.set_cookie(ACCESS_COOKIE, access, httponly=True, samesite="strict")
            return response
        return await self.pages.render(request)

    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return await self.not_found(request, None)
        data = (templates_folder() / "web" / name).read_bytes()
        return Response(data, media_type=STATIC[name], headers={"Cache-Control": "no-cache"})

    async def font(self, request: Request) -> Response:
        """The bundled Noto Sans SC as WOFF2: the pair cut to the characters of the page's own words (made
        once per process, in a thread), and a page's own pair with its stylesheet (`page-KEY.css`) for the
        Chinese it shows beyond them. Revalidated by ETag, so a reload costs a 304."""
        name = request.path_params["name"]
        page_font = PAGE_FONT.fullmatch(name)
        if name.startswith("page-") and name.endswith(".css"):
            css = self.pages.fonts.stylesheet(name.removeprefix("page-").removesuffix(".css"))
            if css is None:
                return await self.not_found(request, None)
            return Response(css, media_type="text/css; charset=utf-8", headers={"Cache-Control": "no-cache"})
        if page_font is not None:
            font = await asyncio.to_thread(self.pages.fonts.font, page_font["key"], page_font["weight"])
        else:
            font = (await asyncio.to_thread(interface_fonts)).get(name)
        if font is None:
            return await self.not_found(request, None)
        headers = {"Cache-Control": "no-cache", "ETag": font.etag}
        if request.headers.get("if-none-match") == font.etag:
            return Response(status_code=304, headers=headers)
        return Response(font.data, media_type=font.mime, headers=headers)

    @guarded
    async def upload(self, request: Request) -> Response:
        """Store the workbook in a folder of its own and check it in the pool; a refused one leaves none."""
        state = self.state
        assert state.root is not None
        upload_id = secrets.token_hex(16)  # the folder's name and the page's address: unguessable
        folder = state.root / upload_id
        folder.mkdir(mode=0o700)
        person = person_of(request)
        try:
            require_access(request, state.access)
            require_origin(request)  # before a byte is stored; the token comes with the form
            if person is not None and not person.uploads:
                raise PageError(403, "dept.not_lead", team="-")
            limit = state.settings.max_upload_mb * 1024 * 1024
            raw_name, fields = await receive_workbook(request, folder / "workbook", limit)
            require_token(state.tokens, fields.get("token"))
            if raw_name is None:
                raise PageError(400, "no_file")
            shown = shown_file_name(raw_name)
            as_of = state.as_of()
            work = (folder / "workbook", shown, shown_stem(shown), state.config, as_of)
            outcome = await state.in_pool(check_upload, *work)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        if isinstance(outcome, Problem):
            shutil.rmtree(folder, ignore_errors=True)
            return await self.pages.problem(request, outcome)
        if person is not None:
            team, known = await self.team_of_upload(outcome.team)
            if not person.leads(team):  # a workbook of a team the person does not lead is not kept
                shutil.rmtree(folder, ignore_errors=True)
                raise PageError(403, "dept.other_team" if known else "dept.new_team", team=team.review)
        owner = person.name if person is not None else None
        state.uploads[upload_id] = Upload(upload_id, folder, shown, state.clock(), outcome, owner=owner)
        return RedirectResponse(f"/u/{upload_id}", status_code=303)

    @guarded
    async def show(self, request: Request) -> Response:
        require_access(request, self.state.access)
        return await self.pages.render(request, upload=self.find(request))

    @guarded
    async def build(self, request: Request) -> Response:
        """Build the month and language chosen, in the pool; the page then shows its preview."""
        require_access(request, self.state.access)
        require_origin(request)
        fields = await small_form(request)
        require_token(self.state.tokens, fields.get("token"))
        upload = self.find(request)
        month, lang = fields.get("month"), fields.get("lang")
        if month not in upload.checked.months:
            raise PageError(400, "bad_month")
        if lang not in LANGUAGES:
            raise PageError(400, "bad_lang")
        stem = shown_stem(upload.shown_name)
        config, as_of = self.state.config, self.state.as_of()
        work = (upload.workbook, upload.shown_name, stem, upload.checked.team, config, as_of, month, lang,
                self.state.options.use_queue)  # fmt: skip
        with self.state.using(upload):
            outcome = await self.state.in_pool(build_upload, *work)
        if isinstance(outcome, Problem):
            return await self.pages.problem(request, outcome, upload)
        upload.built = outcome
        upload.sent, upload.posted = None, ()
        person = person_of(request)
        if person is not None and outcome.version is not None:  # who built it, for history and the team page
            await self.noted("page_build", upload, month, outcome.version, person, lang=lang)
        return RedirectResponse(f"/u/{upload.id}#review", status_code=303)

    @guarded
    async def preview(self, request: Request) -> Response:
        require_access(request, self.state.access)
        upload = self.find(request)
        if upload.built is None:
            raise PageError(404, "not_built")
        headers = {"Content-Security-Policy": PREVIEW_POLICY, "X-Frame-Options": "SAMEORIGIN"}
        return HTMLResponse(upload.built.page.read_bytes(), headers=headers)

    @guarded
    async def download(self, request: Request) -> Response:
        require_access(request, self.state.access)
        upload = self.find(request)
        if upload.built is None:
            raise PageError(404, "not_built")
        # the PDF's own name: the one every build gives it, and the mail's attachment
        headers = {"Content-Disposition": content_disposition(upload.built.pdf.name)}
        return Response(upload.built.pdf.read_bytes(), media_type="application/pdf", headers=headers)

    @guarded
    async def linked_review(self, request: Request) -> Response:
        """A chat card's button: the signed token is the key (no page token), and it opens exactly the
        delivered PDF, from the archive, for `[serve] link_days` days; any other token is a 404."""
        digest = linked_pdf(request.path_params["token"], self.state.config.serve)
        if digest is None:
            raise PageError(404, "link_invalid")

        def stored() -> StoredPdf | None:
            archive = self.state.archive()
            found = archive.build_for_pdf(digest)
            return archive.pdf_of(found[0]) if found is not None else None

        try:
            pdf = await asyncio.to_thread(stored)
        except InputError:  # recorded before the archive kept PDFs
            pdf = None
        if pdf is None:
            raise PageError(404, "link_invalid")
        headers = {
            "Content-Disposition": content_disposition(pdf.pdf_path.name).replace("attachment", "inline", 1)
        }
        return Response(pdf.data, media_type="application/pdf", headers=headers)

    @guarded
    async def send(self, request: Request) -> Response:
        require_access(request, self.state.access)
        require_origin(request)
        fields = await small_form(request)
        require_token(self.state.tokens, fields.get("token"))
        upload = self.find(request)
        if upload.built is None:
            raise PageError(409, "not_built")
        resend = fields.get("resend") == "1"
        answer = await send_built(request, self.state, upload, fields.get("to", ""), resend, self.pages)
        person, built = person_of(request), upload.built
        if person is not None and upload.sent is not None and answer.status_code == 303:
            to = list(upload.sent.receipt.accepted)
            await self.noted("page_send", upload, built.month, built.version, person, to=to)
        return answer

    async def noted(
        self, kind: str, upload: Upload, month: str, version: int | None, person: Person, **detail: object
    ) -> None:
        """Record what the signed-in person did (an archive that cannot be written loses only the note)."""
        with contextlib.suppress(ArchiveError):
            await asyncio.to_thread(
                self.state.accounts().note, kind, upload.checked.team, month, version, person.name, **detail
            )

    @guarded
    async def approve(self, request: Request) -> Response:
        """The lead's Approve button: the draft of the month waiting in the archive goes to management,
        exactly as drafted (`reportgen approve`), with the guards of every other POST."""
        require_access(request, self.state.access)
        require_origin(request)
        fields = await small_form(request)
        require_token(self.state.tokens, fields.get("token"))
        upload = self.find(request)
        person = person_of(request)
        month = fields.get("month", "")
        if person is not None:  # the team page's rule (department.require_decider), not a looser one
            team, _ = await self.team_of_upload(upload.checked.team)

            def decider() -> None:
                require_decider(self.state.archive(), self.state.config, person, team, month)

            await asyncio.to_thread(decider)
        by = person.name if person is not None else None
        return await approve_draft(request, self.state, upload, month, self.pages, by)

    # --- errors Starlette raises itself: the page with a message, never a trace ---

    async def not_found(self, request: Request, exc: Exception | None) -> Response:
        return await self.pages.error(request, PageError(404, "not_found"))

    async def not_allowed(self, request: Request, exc: Exception | None) -> Response:
        return await self.pages.error(request, PageError(405, "not_allowed"))

    async def internal(self, request: Request, exc: Exception) -> Response:
        print(f"reportgen serve: {type(exc).__name__}: {exc}", file=sys.stderr)
        code = "busy" if isinstance(exc, BrokenProcessPool) else "internal"
        return await self.pages.error(request, PageError(500, code))
