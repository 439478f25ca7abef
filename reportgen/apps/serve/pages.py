"""Drawing the one page (templates/web/page.html) in the request's language, in whatever state the upload
is, with the history of its team from the archive, and every refusal as that page with its message: never a
trace."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from reportgen import __version__
from reportgen.apps.serve.builds import Problem
from reportgen.apps.serve.errors import PageError
from reportgen.apps.serve.history import ArchivedTeam, TeamHistory, read_versions, team_history
from reportgen.apps.serve.identity import Mode, person_of
from reportgen.apps.serve.state import ServeState
from reportgen.apps.serve.uploads import Upload
from reportgen.base.catalogue import LANGUAGES, Catalogue, catalogue
from reportgen.base.config import local_minute
from reportgen.base.errors import ArchiveError
from reportgen.figures.review import severity_counts, worst_first
from reportgen.rendering.templates import environment
from reportgen.rendering.webfonts import PageFonts
from reportgen.wording.text import finding_message

FINDINGS_SHOWN = 200
LANG_COOKIE = "reportgen_lang"
PAGE_TEMPLATE = "web/page.html"


def ui_language(request: Request) -> str:
    """The page's language: ?lang=, else the one chosen before (cookie), else the browser's first match."""
    for choice in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if choice in LANGUAGES:
            return choice
    ranked = []
    for index, part in enumerate(request.headers.get("accept-language", "").split(",")):
        tag, _, quality = part.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            continue
        ranked.append((-weight, index, tag.strip().lower()[:2]))
    for _, _, tag in sorted(ranked):
        if tag in LANGUAGES:
            return tag
    return "en"


class Pages:
    """The page for one server: its forms signed with the server's tokens, its limits from its settings."""

    def __init__(self, state: ServeState) -> None:
        self.state = state
        self.environment = environment()  # the one Jinja environment, shared with the review and the mail
        self.fonts = PageFonts()  # the Chinese a page shows beyond its own words (a sheet's name, a team)

    async def render(
        self, request: Request, status: int = 200, upload: Upload | None = None, **values: Any
    ) -> HTMLResponse:
        """The one page in the request's language, in whatever state the upload is (with its team's history
        from the archive, read in a thread: the page never waits on the database in the event loop)."""
        lang = ui_language(request)
        words = catalogue(lang)
        settings = self.state.settings
        context: dict[str, Any] = {
            "lang": lang,
            "other_lang": "zh" if lang == "en" else "en",
            "t": words.text,
            "token": self.state.tokens.issue(),
            "version": __version__,
            "limit_mb": settings.max_upload_mb,
            "limit_bytes": settings.max_upload_mb * 1024 * 1024,
            "minutes": settings.retention_minutes,
            "upload": upload,
            "error": None,
            "sent": None,
            "send_error": None,
            "send_title": "web.send_failed",
            "here": f"/u/{upload.id}" if upload is not None else "/",
            "history": None,
            "resend": False,
            "approve_error": None,
        }
        context.update(self.people(request))
        if upload is not None:
            context.update(self.upload_context(upload, words))
            context["history"] = await self.history(upload.checked.team, words)
        context.update(values)
        return self._answer(request, PAGE_TEMPLATE, status, context)

    def people(self, request: Request) -> dict[str, Any]:
        """Who is signed in, for the bar at the top (the department's pages and the upload's)."""
        return {"person": person_of(request), "accounts": self.state.mode() == Mode.ACCOUNTS}

    async def draw(self, request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        """One of the department's pages (templates/web/<template>) in the request's language."""
        lang = ui_language(request)
        context: dict[str, Any] = {
            "lang": lang,
            "other_lang": "zh" if lang == "en" else "en",
            "t": catalogue(lang).text,
            "token": self.state.tokens.issue(),
            "version": __version__,
            "here": request.url.path,
            "error": None,
            **self.people(request),
        }
        context.update(values)
        return self._answer(request, template, status, context)

    def _answer(self, request: Request, template: str, status: int, context: dict[str, Any]) -> HTMLResponse:
        html = self.fonts.link(self.environment.get_template(template).render(**context))
        response = HTMLResponse(html, status_code=status)
        if request.query_params.get("lang") in LANGUAGES:
            lang = context["lang"]
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, httponly=True, samesite="strict")
        return response

    def upload_context(self, upload: Upload, words: Catalogue) -> dict[str, Any]:
        """The upload's part of the page: its findings worst first, their counts, the build and send forms."""
        checked = upload.checked
        ordered = worst_first(checked.findings)
        rows = [
            {
                "severity": finding.severity.value,
                "where": finding.where,
                "message": finding_message(finding, words),
            }
            for finding in ordered[:FINDINGS_SHOWN]
        ]
        built = upload.built
        return {
            "findings": rows,
            "counts": severity_counts(checked.findings).as_dict(),
            "total_findings": len(ordered),
            "months": checked.months,
            "chosen_month": built.month if built else checked.default_month,
            "chosen_lang": built.lang if built else checked.sheet_lang,
            "usable": words.text(
                "check.usable",
                activities=checked.activities,
                months=len(checked.months),
                first=checked.months[0],
                last=checked.months[-1],
            ),
            "built": built,
            "pdf_name": built.pdf.name if built else "",
            "recipients": ", ".join(self.state.config.email.to),  # the form starts from [email] to
            "sent": upload.sent,
            "posted": upload.posted,
            "sent_already": self.left_out(upload, "already", words, self.state.config.zone),
            "sent_in_doubt": self.left_out(upload, "in_doubt", words, self.state.config.zone),
        }

    @staticmethod
    def left_out(upload: Upload, why: str, words: Catalogue, zone: dt.tzinfo) -> str | None:
        """Who the last send left out, and since when: they had this PDF already (`already`), or an earlier
        send to them got no answer (`in_doubt`)."""
        sent = upload.sent
        who = (sent.already if why == "already" else sent.in_doubt) if sent is not None else {}
        if not who:
            return None
        addresses = words.text("where.list").join(sorted(who))
        return words.text(f"web.sent_{why}", addresses=addresses, at=local_minute(min(who.values()), zone))

    async def history(self, team: str, words: Catalogue) -> TeamHistory:
        """The team's history panel, or why the archive could not be read."""
        archived: ArchivedTeam | ArchiveError
        try:
            archived = await asyncio.to_thread(self._versions, team)
        except ArchiveError as exc:
            archived = exc
        return team_history(team, archived, words)

    def _versions(self, team: str) -> ArchivedTeam:
        return read_versions(self.state.archive(), team, self.state.config)

    async def error(self, request: Request, error: PageError, upload: Upload | None = None) -> HTMLResponse:
        """The page with a refusal's catalogue message, under its status."""
        message = catalogue(ui_language(request)).text(f"web.{error.code}", **error.params)
        return await self.render(request, error.status, upload, error=message)

    async def problem(self, request: Request, problem: Problem, upload: Upload | None = None) -> HTMLResponse:
        """The page with a workbook's problem (from the pool) in the page's language."""
        return await self.render(
            request, problem.status, upload, error=problem.messages[ui_language(request)]
        )
