"""The page's send step: the addresses typed, checked as the command line checks them, then the one
delivery every front end shares (`deliver_review`: refused while the workbook has errors unless allowed,
and at most once per recipient, bot and PDF, as the archive remembers, unless `resend`), and on the page why
nothing (or not everything) went out, beside the form and what was typed."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from reportgen.apps.serve.pages import Pages, ui_language
from reportgen.apps.serve.state import ServeState
from reportgen.apps.serve.uploads import Upload
from reportgen.base.catalogue import catalogue
from reportgen.base.errors import ArchiveError, DeliveryError, ReportgenError, UsageError
from reportgen.cycle.runs import approve
from reportgen.delivery.dispatch import sender_insists
from reportgen.delivery.message import resolve_recipients
from reportgen.delivery.smtp import DeliveryReceipt
from reportgen.pipeline.mailing import SendResult, TargetResult, deliver_review


async def send_built(
    request: Request, state: ServeState, upload: Upload, typed: str, resend: bool, pages: Pages
) -> Response:
    """Mail the upload's built review to the addresses typed; back to the page's send step either way."""
    assert upload.built is not None
    settings = state.config.email
    lang = ui_language(request)
    words = catalogue(lang)
    typed = typed.strip()
    to = [part.strip() for part in re.split(r"[,;\r\n]+", typed) if part.strip()]

    async def not_sent(status: int, message: str, title: str = "web.send_failed") -> HTMLResponse:
        """The page with why nothing (or not everything) went out, beside the form and what was typed;
        the catalogue's sentence starts a line of its own here (the CLI puts `reportgen:` before it)."""
        shown = message[:1].upper() + message[1:]
        return await pages.render(
            request, status, upload, send_error=shown, send_title=title, recipients=typed, resend=resend
        )

    if not to:
        return await not_sent(400, words.text("web.no_addresses"))
    try:
        resolve_recipients(settings, to, [])
    except UsageError as exc:  # an address refused, or no sender in [email]
        return await not_sent(400, exc.message(lang))
    pdf = upload.built.pdf
    findings = upload.checked.by_month.get(upload.built.month, upload.checked.findings)

    def mail() -> list[TargetResult]:
        """In a thread: the archive's claims, smtplib's retries and the chat posts block and sleep; the page
        answers on."""
        return deliver_review(
            state.archive(),
            pdf,
            state.config,
            to=to,
            cc=[],
            findings=findings,
            allow_errors=sender_insists(settings),
            resend=resend,
            lang=lang,
        )

    try:
        with state.using(upload):
            results = await asyncio.to_thread(mail)
    except DeliveryError as exc:
        if exc.stage == "check_errors":  # refused: the workbook's error cells, named
            cells = words.text("where.list").join(exc.params["cells"])
            count = exc.params["count"]
            return await not_sent(422, words.text("web.send_check_errors", count=count, cells=cells))
        if exc.stage in ("already_sent", "in_doubt"):  # the archive's guard: when, and how to send anyway
            addresses = words.text("where.list").join(exc.params["addresses"])
            message = words.text(f"web.send_{exc.stage}", addresses=addresses, at=exc.params["at"])
            return await not_sent(409, message, "web.send_not_again")
        title = "web.send_partial" if exc.stage == "partial" else "web.send_failed"
        return await not_sent(502, f"{exc.reason(lang)}\n{words.text('web.send_kept')}", title)
    except ArchiveError as exc:  # the archive could not claim the addresses, or record the answer
        return await not_sent(503, f"{exc.message(lang)}\n{words.text('web.send_kept')}")
    except ReportgenError as exc:
        return await not_sent(422, exc.message(lang))
    upload.sent = mailed(results)
    upload.posted = tuple(f"{each.target.addresses()[0]} ({each.target.kind})" for each in results
                          if each.target.kind != "mail")  # fmt: skip
    return RedirectResponse(f"/u/{upload.id}#send", status_code=303)  # a reload does not send again


def mailed(results: list[TargetResult]) -> SendResult:
    """The mail's part of a delivery, over every reader language (one message each): who has it now, who
    had it already, who is in doubt."""
    mails = [each.result for each in results if each.target.kind == "mail"]
    accepted = tuple(address for result in mails for address in result.receipt.accepted)
    first = mails[0].receipt if mails else DeliveryReceipt(message_id="", accepted=())
    return SendResult(
        replace(first, accepted=accepted),
        {address: at for result in mails for address, at in result.already.items()},
        {address: at for result in mails for address, at in result.in_doubt.items()},
    )


async def approve_draft(
    request: Request, state: ServeState, upload: Upload, month: str, pages: Pages, by: str | None = None
) -> Response:
    """Send the month's draft that waits for approval to management (the same PDF), then back to the page
    with the history panel saying so; why not, beside the panel, when it cannot go."""
    lang = ui_language(request)
    team = upload.checked.team

    def approved() -> None:
        approve(state.archive(), state.config, team, month, by=by)  # by: the signed-in person, if any

    try:
        with state.using(upload):
            await asyncio.to_thread(approved)
    except DeliveryError as exc:
        return await pages.render(request, 502, upload, approve_error=exc.reason(lang))
    except ReportgenError as exc:  # nothing waits (decided meanwhile), or the drafted PDF changed
        return await pages.render(request, 409, upload, approve_error=exc.message(lang))
    return RedirectResponse(f"/u/{upload.id}#history", status_code=303)
