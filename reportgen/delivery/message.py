"""The review's mail: recipients checked before anything connects, and the message itself (subject, an HTML
and a text summary read back from the figures the PDF carries, the PDF attached). Every header value is one
line, so no text from a cell, the config or a file name can add a header or a recipient."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from reportgen.base.catalogue import catalogue
from reportgen.base.config import EmailSettings, parse_address
from reportgen.base.errors import UsageError
from reportgen.base.states import Audience
from reportgen.delivery.summary import read_pdf, summarize
from reportgen.rendering.templates import environment

# The first 40 hex digits of the PDF's SHA-256 (`sha256sum` shows them; short enough that the header is never
# folded): a second send of one PDF carries the same value, so a recipient or a filter can recognise it.
REVIEW_HEADER = "X-Reportgen-Review"
REVIEW_DIGITS = 40


@dataclass(frozen=True, slots=True)
class Recipients:
    """Validated recipients as header values; bcc goes on the envelope only."""

    to: tuple[str, ...]
    cc: tuple[str, ...]
    bcc: tuple[str, ...]

    @property
    def envelope(self) -> tuple[str, ...]:
        """Every addr-spec once, in order: what RCPT TO names."""
        seen: dict[str, None] = {}
        for text in (*self.to, *self.cc, *self.bcc):
            parsed = parse_address(text)
            if parsed is not None:
                seen.setdefault(parsed[1], None)
        return tuple(seen)


def split_addresses(values: Sequence[str]) -> list[str]:
    """`--to a@x --to b@y,c@z`: repeated options, each possibly a comma-separated list."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def resolve_recipients(
    settings: EmailSettings, to: Sequence[str] | None = None, cc: Sequence[str] | None = None
) -> Recipients:
    """The recipients (command line over config), each address checked before anything connects: a bad one
    from the command line is a usage error (exit 2); the config's were checked when it was read (exit 1)."""
    chosen_to = split_addresses(to) if to else list(settings.to)
    chosen_cc = split_addresses(cc) if cc else list(settings.cc)
    for address in [*(split_addresses(to) if to else []), *(split_addresses(cc) if cc else [])]:
        if parse_address(address) is None:
            raise UsageError("bad_address", address=_shown(address))
    if not chosen_to and not chosen_cc and not settings.bcc:
        raise UsageError("no_recipients")
    if settings.sender is None:
        raise UsageError("no_sender")
    return Recipients(tuple(chosen_to), tuple(chosen_cc), settings.bcc)


def clean_header_text(text: Any) -> str:
    """Text for a header: every line break and control character becomes a space, so nothing from a cell, the
    config or a file name can start a header of its own."""
    return " ".join(re.sub(r"[\x00-\x1f\x7f\u2028\u2029\x85]", " ", str(text)).split())


def _shown(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)[:120]


def header_address(text: str) -> Address:
    """A checked address as a header value, its display name on one line."""
    parsed = parse_address(text)
    if parsed is None:  # resolve_recipients and the config refuse these first; this is the last guard
        raise UsageError("bad_address", address=_shown(text))
    name, addr_spec = parsed
    return Address(display_name=clean_header_text(name), addr_spec=addr_spec)


def compose_message(
    pdf_path: Path,
    settings: EmailSettings,
    *,
    to: Sequence[str] | None = None,
    cc: Sequence[str] | None = None,
    subject: str | None = None,
    preface: str | None = None,
    audience: Audience = Audience.MANAGEMENT,
) -> EmailMessage:
    """The whole message: headers, a text and an HTML summary (KPI cards and takeaways when the PDF carries
    reportgen's figures, else a plain note) and the PDF attached under its own name; `preface` (lines of
    text, e.g. a draft's findings) comes first. `audience`: management's copy, or the approver's draft."""
    recipients = resolve_recipients(settings, to, cc)
    data = read_pdf(pdf_path)
    summary = summarize(data, pdf_path.name, settings.language)
    lang = summary.lang
    words = catalogue(lang)
    team = clean_header_text(summary.team)
    month = clean_header_text(summary.month)
    if subject is not None:
        title = subject
    elif summary.rollup:  # the department's roll-up: named as one, never in a team review's words
        title = words.text("mail.rollup_subject", department=team, month=month)
    elif settings.subject is not None:
        title = settings.subject.format(team=team, month=month)
    else:
        code = "mail.subject" if summary.reportgen else "mail.subject_plain"
        title = words.text(code, team=team, month=month)
    if summary.revised:  # a corrected review says so before anything else, in the subject and the body;
        # an approver's draft of one says first that it is a draft, then that it is a revision
        code = "mail.revised_subject" if audience is Audience.MANAGEMENT else "mail.revised_draft_subject"
        title = words.text(code, subject=title)
    values = {
        "lang": lang,
        "team": team,
        "month": month,
        "kpis": summary.kpis,
        "takeaways": list(summary.takeaways),
        "revised": clean_header_text(summary.revised),
        "preface": [line for line in (preface or "").splitlines()],
        "file_name": summary.file_name,
        "reportgen": summary.reportgen,
        # the department's roll-up opens as one, never in a team review's words
        "heading": words.text("mail.rollup_heading" if summary.rollup else "mail.html_heading", month=month),
        "intro": (
            words.text("mail.rollup_intro", department=team, month=month)
            if summary.rollup
            else words.text("mail.intro", team=team, month=month)
        ),
        "attached": words.text(
            "mail.rollup_attached" if summary.rollup else "mail.attached", name=summary.file_name
        ),
    }

    def t(code: str, **params: Any) -> str:
        return words.text(f"mail.{code}", **params)

    message = EmailMessage()
    sender = header_address(settings.sender or "")
    message["From"] = sender
    if recipients.to:
        message["To"] = [header_address(text) for text in recipients.to]
    if recipients.cc:
        message["Cc"] = [header_address(text) for text in recipients.cc]
    if settings.reply_to:
        message["Reply-To"] = header_address(settings.reply_to)
    message["Subject"] = clean_header_text(title)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.domain)
    message[REVIEW_HEADER] = hashlib.sha256(data).hexdigest()[:REVIEW_DIGITS]
    message.set_content(_plain_text(values, t))
    html = environment().get_template("email.html").render(v=values, t=t)
    message.add_alternative(html, subtype="html")
    message.add_attachment(data, maintype="application", subtype="pdf", filename=summary.file_name)
    return message


def _plain_text(values: dict[str, Any], t: Any) -> str:
    """The text/plain alternative: the same summary, one line per card and takeaway."""
    preface = [*values["preface"], ""] if values["preface"] else []
    if not values["reportgen"]:
        return "\n".join([*preface, t("plain_body", name=values["file_name"]), "", t("signature")]) + "\n"
    lines = [*preface, values["revised"], ""] if values["revised"] else list(preface)
    lines += [values["intro"], ""]
    for card in values["kpis"]:
        lines.append(t("card_line", label=card.label, value=card.value, delta=card.delta).rstrip())
    if values["takeaways"]:
        lines += ["", t("takeaways")]
        lines += [f"{index}. {text}" for index, text in enumerate(values["takeaways"], start=1)]
    lines += ["", values["attached"], "", t("signature")]
    return "\n".join(lines) + "\n"


def compose_notice(settings: EmailSettings, to: Sequence[str], subject: str, text: str) -> EmailMessage:
    """A plain-text message with no attachment (a reminder), from the configured sender."""
    recipients = resolve_recipients(settings, to, ())
    message = EmailMessage()
    sender = header_address(settings.sender or "")
    message["From"] = sender
    message["To"] = [header_address(address) for address in recipients.to]
    if settings.reply_to:
        message["Reply-To"] = header_address(settings.reply_to)
    message["Subject"] = clean_header_text(subject)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.domain)
    message.set_content(text)
    return message
