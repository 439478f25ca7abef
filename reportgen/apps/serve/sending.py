"""The page's send step: the addresses typed, checked as the command line checks them, then the one
refuse-then-send decision every front end shares (`send_unless_errors`), and on the page why nothing (or not
everything) went out, beside the form and what was typed."""

from __future__ import annotations

import asyncio
import re

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from reportgen.apps.serve.pages import Pages, ui_language
from reportgen.apps.serve.uploads import Upload
from reportgen.base.catalogue import catalogue
from reportgen.base.config import EmailSettings
from reportgen.base.errors import DeliveryError, ReportgenError, UsageError
from reportgen.delivery.dispatch import send_unless_errors
from reportgen.delivery.message import resolve_recipients


async def send_built(
    request: Request, upload: Upload, typed: str, settings: EmailSettings, pages: Pages
) -> Response:
    """Mail the upload's built review to the addresses typed; back to the page's send step either way."""
    assert upload.built is not None
    lang = ui_language(request)
    words = catalogue(lang)
    typed = typed.strip()
    to = [part.strip() for part in re.split(r"[,;\r\n]+", typed) if part.strip()]

    def not_sent(status: int, message: str, title: str = "web.send_failed") -> HTMLResponse:
        """The page with why nothing (or not everything) went out, beside the form and what was typed;
        the catalogue's sentence starts a line of its own here (the CLI puts `reportgen:` before it)."""
        shown = message[:1].upper() + message[1:]
        return pages.render(request, status, upload, send_error=shown, send_title=title, recipients=typed)

    if not to:
        return not_sent(400, words.text("web.no_addresses"))
    try:
        resolve_recipients(settings, to, [])
    except UsageError as exc:  # an address refused, or no sender in [email]
        return not_sent(400, exc.message(lang))
    try:  # smtplib blocks, retries and sleeps between attempts: a thread, so the page keeps answering
        receipt = await asyncio.to_thread(
            send_unless_errors,
            upload.built.pdf,
            upload.checked.findings,
            settings,
            allow_errors=settings.send_with_errors,
            to=to,
            cc=[],
            lang=lang,
        )
    except DeliveryError as exc:
        if exc.stage == "check_errors":  # refused: the workbook's error cells, named
            cells = words.text("where.list").join(exc.params["cells"])
            count = exc.params["count"]
            return not_sent(422, words.text("web.send_check_errors", count=count, cells=cells))
        title = "web.send_partial" if exc.stage == "partial" else "web.send_failed"
        return not_sent(502, f"{exc.reason(lang)}\n{words.text('web.send_kept')}", title)
    except ReportgenError as exc:
        return not_sent(422, exc.message(lang))
    upload.sent = receipt
    return RedirectResponse(f"/u/{upload.id}#send", status_code=303)  # a reload does not send again
