"""Mailing the review: the message (subject, HTML and text summary, the PDF attached) and its delivery.

stdlib `email` builds the message and `smtplib` sends it. Transient trouble (no connection, 421 and other 4xx,
a timeout before the message went out) is retried a bounded number of times with a doubling delay; a permanent
answer (5xx) is not. Nothing is half-sent silently: each refused recipient is named with the server's answer,
and every failure keeps the PDF and prints its path. The password is read when sending and appears in no
message, log or exception."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import smtplib
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

import jinja2

from reportgen.config import EmailSettings, parse_address
from reportgen.errors import ExitCode, InputError, ReportgenError, UsageError, joined_lists
from reportgen.messages import catalogue
from reportgen.model import Finding, Severity

FIGURES_ATTACHMENT = "reportgen-figures.json"  # the figures `build` embeds in the PDF, read back here
# The first 40 hex digits of the PDF's SHA-256 (`sha256sum` shows them; short enough that the header is never
# folded): a second send of one PDF carries the same value, so a recipient or a filter can recognise it.
REVIEW_HEADER = "X-Reportgen-Review"
REVIEW_DIGITS = 40
PASSWORD_VARIABLE = "REPORTGEN_SMTP_PASSWORD"
KEYRING_SERVICE = "reportgen"
REPLY_LIMIT = 300
CELLS_SHOWN = 10


class DeliveryError(ReportgenError):
    """The review was not (or not wholly) delivered; the PDF stays at `pdf_path`, which the message names.

    `stage` is where it failed (connect, starttls, login, size, sender, data, partial, ...), `server_reply`
    the server's answer quoted as it came, `refused` each refused address with its answer."""

    exit_code = ExitCode.DELIVERY_FAILED

    def __init__(
        self,
        pdf_path: str | Path,
        stage: str,
        server_reply: str | None = None,
        *,
        refused: dict[str, str] | None = None,
        lang: str | None = None,
        **params: Any,
    ) -> None:
        self.pdf_path = Path(pdf_path)
        self.stage = stage
        self.server_reply = server_reply
        self.refused = dict(refused or {})
        self.lang = lang
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str | None = None) -> str:
        words = catalogue(lang or self.lang or "en")
        return self.reason(lang) + "\n" + words.text("delivery.kept", path=str(self.pdf_path))

    def reason(self, lang: str | None = None) -> str:
        """What went wrong and each refused address, without where the PDF is (serve offers its download)."""
        words = catalogue(lang or self.lang or "en")
        params = joined_lists(self.params, words)
        lines = [words.text(f"delivery.{self.stage}", reply=self.server_reply or "", **params)]
        lines += [words.text("delivery.refused_address", address=a, reply=r) for a, r in self.refused.items()]
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    """What the server accepted: the Message-ID, the accepted and refused addresses, the attempts it took."""

    message_id: str
    accepted: tuple[str, ...]
    refused: dict[str, str] = field(default_factory=dict)
    attempts: int = 1


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


def refuse_on_errors(
    pdf_path: Path, findings: Sequence[Finding], *, force: bool, lang: str | None = None
) -> None:
    """Refuse to mail a review whose workbook has error findings, naming their cells, unless forced."""
    errors = [finding for finding in findings if finding.severity is Severity.ERROR]
    if not errors or force:
        return
    cells = [finding.where or "?" for finding in errors]
    shown = cells[:CELLS_SHOWN] + (["…"] if len(cells) > CELLS_SHOWN else [])
    raise DeliveryError(pdf_path, "check_errors", count=len(errors), cells=shown, lang=lang)


def read_summary(pdf: bytes) -> dict[str, Any] | None:
    """The figures document `build` embedded in the PDF, or None for a PDF reportgen did not make."""
    from pypdf import PdfReader

    try:
        attached = PdfReader(io.BytesIO(pdf)).attachments.get(FIGURES_ATTACHMENT)
        document = json.loads(attached[0]) if attached else None
    except Exception:  # any PDF at all may be sent: one pypdf cannot read is simply not reportgen's
        return None
    if not isinstance(document, dict) or not isinstance(document.get("mail"), dict):
        return None
    return document


def _clean(text: Any) -> str:
    """Text for a header: every line break and control character becomes a space, so nothing from a cell, the
    config or a file name can start a header of its own."""
    return " ".join(re.sub(r"[\x00-\x1f\x7f\u2028\u2029\x85]", " ", str(text)).split())


def _shown(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)[:120]


def _address(text: str) -> Address:
    parsed = parse_address(text)
    if parsed is None:  # resolve_recipients and the config refuse these first; this is the last guard
        raise UsageError("bad_address", address=_shown(text))
    name, addr_spec = parsed
    return Address(display_name=_clean(name), addr_spec=addr_spec)


def _read_pdf(pdf_path: Path) -> bytes:
    try:
        data = pdf_path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(pdf_path, "missing") from exc
    except IsADirectoryError as exc:
        raise InputError(pdf_path, "send_not_pdf") from exc
    except OSError as exc:
        raise InputError(pdf_path, "unreadable", detail=exc.strerror or str(exc)) from exc
    if not data.startswith(b"%PDF-"):
        raise InputError(pdf_path, "send_not_pdf")
    return data


def _environment() -> jinja2.Environment:
    from reportgen.render import templates_folder

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_folder())),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _texts(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


def _cards(value: Any) -> list[dict[str, str]]:
    cards = []
    for card in value if isinstance(value, list) else []:
        if isinstance(card, dict):
            cards.append(
                {key: str(card.get(key) or "") for key in ("label", "value", "delta", "tone", "note")}
            )
    return cards


def compose_message(
    pdf_path: Path,
    settings: EmailSettings,
    *,
    to: Sequence[str] | None = None,
    cc: Sequence[str] | None = None,
    subject: str | None = None,
) -> EmailMessage:
    """The whole message: headers, a text and an HTML summary (KPI cards and takeaways when the PDF carries
    reportgen's figures, else a plain note) and the PDF attached under its own name."""
    recipients = resolve_recipients(settings, to, cc)
    data = _read_pdf(pdf_path)
    summary = read_summary(data)
    mail = summary["mail"] if summary else {}
    lang = settings.language or (summary.get("lang") if summary else None) or "en"
    lang = lang if lang in ("en", "zh") else "en"
    words = catalogue(lang)
    team = _clean(mail.get("team") or pdf_path.stem)
    month = _clean(mail.get("month_label") or "")
    if subject is not None:
        title = subject
    elif settings.subject is not None:
        title = settings.subject.format(team=team, month=month)
    else:
        title = words.text("mail.subject" if summary else "mail.subject_plain", team=team, month=month)
    file_name = _clean(pdf_path.name) or "review.pdf"
    values = {
        "lang": lang,
        "team": team,
        "month": month,
        "kpis": _cards(mail.get("kpis")),
        "takeaways": _texts(mail.get("takeaways")),
        "file_name": file_name,
        "reportgen": summary is not None,
    }

    def t(code: str, **params: Any) -> str:
        return words.text(f"mail.{code}", **params)

    message = EmailMessage()
    sender = _address(settings.sender or "")
    message["From"] = sender
    if recipients.to:
        message["To"] = [_address(text) for text in recipients.to]
    if recipients.cc:
        message["Cc"] = [_address(text) for text in recipients.cc]
    if settings.reply_to:
        message["Reply-To"] = _address(settings.reply_to)
    message["Subject"] = _clean(title)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.domain)
    message[REVIEW_HEADER] = hashlib.sha256(data).hexdigest()[:REVIEW_DIGITS]
    message.set_content(_plain_text(values, t))
    html = _environment().get_template("email.html").render(v=values, t=t)
    message.add_alternative(html, subtype="html")
    message.add_attachment(data, maintype="application", subtype="pdf", filename=file_name)
    return message


def _plain_text(values: dict[str, Any], t: Any) -> str:
    """The text/plain alternative: the same summary, one line per card and takeaway."""
    if not values["reportgen"]:
        return t("plain_body", name=values["file_name"]) + "\n\n" + t("signature") + "\n"
    lines = [t("intro", team=values["team"], month=values["month"]), ""]
    for card in values["kpis"]:
        lines.append(t("card_line", label=card["label"], value=card["value"], delta=card["delta"]).rstrip())
    if values["takeaways"]:
        lines += ["", t("takeaways")]
        lines += [f"{index}. {text}" for index, text in enumerate(values["takeaways"], start=1)]
    lines += ["", t("attached", name=values["file_name"]), "", t("signature")]
    return "\n".join(lines) + "\n"


def smtp_password(settings: EmailSettings) -> str | None:
    """REPORTGEN_SMTP_PASSWORD, else the OS keyring (service `reportgen`, the username) when the optional
    `keyring` package is installed and has a usable backend, else None."""
    password = os.environ.get(PASSWORD_VARIABLE)
    if password:
        return password
    if settings.username is None:
        return None
    try:
        import keyring  # optional: on Linux it pulls in D-Bus and a Secret Service that servers rarely have
    except ImportError:
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, settings.username)  # type: ignore[no-any-return]
    except Exception:  # no usable backend (a headless server): as if nothing were stored
        return None


class _Transient(Exception):
    """Trouble worth another attempt; carries what the user is told if no attempt succeeds."""

    def __init__(self, stage: str, reply: str) -> None:
        super().__init__(stage, reply)
        self.stage = stage
        self.reply = reply


def _reply(code: int, text: bytes | str, secret: str | None) -> str:
    """A server's answer as one quoted line; the password is blanked even if a server echoed it."""
    decoded = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    line = f"{code} {_clean(decoded)}".strip()
    if secret:
        line = line.replace(secret, "***")
    return line[:REPLY_LIMIT]


def _detail(exc: BaseException, secret: str | None) -> str:
    text = _clean(exc.strerror if isinstance(exc, OSError) and exc.strerror else exc) or type(exc).__name__
    return text.replace(secret, "***")[:REPLY_LIMIT] if secret else text[:REPLY_LIMIT]


def _tls_context(settings: EmailSettings) -> ssl.SSLContext:
    """Certificate and host name checks always on; `ca_file` adds a private certificate authority."""
    context = ssl.create_default_context()
    if settings.ca_file is not None:
        context.load_verify_locations(cafile=str(settings.ca_file))
    return context


def _quoted_data(payload: bytes) -> bytes:
    """The DATA body: leading dots doubled, ended by CRLF.CRLF (what smtplib.data does)."""
    quoted = re.sub(rb"(?m)^\.", b"..", payload)
    if not quoted.endswith(b"\r\n"):
        quoted += b"\r\n"
    return quoted + b".\r\n"


def send_review(
    pdf_path: Path,
    settings: EmailSettings,
    *,
    to: Sequence[str] | None = None,
    cc: Sequence[str] | None = None,
    subject: str | None = None,
    sleep: Any = time.sleep,
) -> DeliveryReceipt:
    """Mail the review; a DeliveryError (the PDF kept and named) unless every recipient accepted it.
    Recipients refused for good are named after the message went to the others."""
    message = compose_message(pdf_path, settings, to=to, cc=cc, subject=subject)
    recipients = resolve_recipients(settings, to, cc)
    lang = settings.language or None
    payload = message.as_bytes(policy=SMTP_POLICY)
    if settings.max_size is not None and len(payload) > settings.max_size:
        raise DeliveryError(
            pdf_path,
            "too_large",
            size=len(payload),
            limit=settings.max_size,
            lang=lang,
        )
    secret = smtp_password(settings)
    if settings.username is not None and not secret:
        raise DeliveryError(pdf_path, "no_password", variable=PASSWORD_VARIABLE, lang=lang)
    sender = _address(settings.sender or "").addr_spec
    pending: dict[str, str] = dict.fromkeys(recipients.envelope, "")  # address → its last 4xx answer
    accepted: list[str] = []
    refused: dict[str, str] = {}
    last = _Transient("unreachable", "")
    attempts = 0
    for attempt in range(1, settings.attempts + 1):
        attempts = attempt
        try:
            pending = _attempt(settings, secret, sender, pending, payload, accepted, refused, pdf_path, lang)
        except _Transient as trouble:
            last = trouble
        if not pending:
            break
        if attempt < settings.attempts:
            sleep(settings.retry_delay * 2 ** (attempt - 1))
    message_id = str(message["Message-ID"])
    if not pending and not refused:
        return DeliveryReceipt(message_id, tuple(accepted), {}, attempts)
    if not accepted and not refused and not any(pending.values()):
        # no recipient ever got an answer of its own: the server could not be reached or kept deferring
        raise DeliveryError(pdf_path, last.stage, last.reply, attempts=attempts, lang=lang)
    refused.update({address: reply or last.reply for address, reply in pending.items()})
    stage = "partial" if accepted else "rejected"
    raise DeliveryError(
        pdf_path, stage, refused=refused, accepted=list(accepted), attempts=attempts, lang=lang
    )


def _connect(settings: EmailSettings) -> smtplib.SMTP:
    if settings.security == "ssl":
        return smtplib.SMTP_SSL(
            settings.host, settings.smtp_port, timeout=settings.timeout, context=_tls_context(settings)
        )
    return smtplib.SMTP(settings.host, settings.smtp_port, timeout=settings.timeout)


def _attempt(
    settings: EmailSettings,
    secret: str | None,
    sender: str,
    pending: dict[str, str],
    payload: bytes,
    accepted: list[str],
    refused: dict[str, str],
    pdf_path: Path,
    lang: str | None,
) -> dict[str, str]:
    """One session: returns the recipients to try again with their 4xx answers; `accepted` and `refused`
    (refused for good) grow.
    Raises _Transient for trouble that a later attempt may not meet, DeliveryError for a permanent failure."""
    stage = "connect"
    smtp: smtplib.SMTP | None = None
    try:
        smtp = _connect(settings)
        stage = "greeting"
        smtp.ehlo()
        if settings.security == "starttls":
            if not smtp.has_extn("starttls"):
                raise DeliveryError(pdf_path, "no_starttls", host=settings.host, lang=lang)
            stage = "starttls"
            smtp.starttls(context=_tls_context(settings))
            smtp.ehlo()
        if settings.username is not None:
            stage = "login"
            try:
                smtp.login(settings.username, secret or "")
            except smtplib.SMTPAuthenticationError as exc:
                raise DeliveryError(
                    pdf_path, "login", _reply(exc.smtp_code, exc.smtp_error, secret), lang=lang
                ) from None
            except smtplib.SMTPNotSupportedError:
                raise DeliveryError(pdf_path, "login_unsupported", host=settings.host, lang=lang) from None
        advertised = smtp.esmtp_features.get("size", "").strip()
        if advertised.isdigit() and int(advertised) > 0 and len(payload) > int(advertised):
            raise DeliveryError(
                pdf_path,
                "too_large_server",
                size=len(payload),
                limit=int(advertised),
                host=settings.host,
                lang=lang,
            )
        stage = "sender"
        options = [f"SIZE={len(payload)}"] if advertised else []
        code, text = smtp.mail(sender, options)
        if code == 421 or 400 <= code < 500:
            raise _Transient("sender_later", _reply(code, text, secret))
        if code != 250:
            raise DeliveryError(pdf_path, "sender", _reply(code, text, secret), lang=lang)
        stage = "recipients"
        this_round: list[str] = []
        deferred: dict[str, str] = {}
        for address in pending:
            code, text = smtp.rcpt(address)
            if code in (250, 251):
                this_round.append(address)
            elif code == 421:
                raise _Transient("recipients_later", _reply(code, text, secret))
            elif 400 <= code < 500:
                deferred[address] = _reply(code, text, secret)
            else:
                refused[address] = _reply(code, text, secret)
        if not this_round:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.rset()
            return deferred
        stage = "data"
        code, text = smtp.docmd("DATA")
        if code != 354:
            return _after_data(code, text, this_round, deferred, refused, secret)
        stage = "data_sent"  # from here on the server may have the message: a lost answer is not retried
        smtp.send(_quoted_data(payload))
        code, text = smtp.getreply()
        remaining = _after_data(code, text, this_round, deferred, refused, secret)
        if code == 250:
            accepted.extend(this_round)
        with contextlib.suppress(smtplib.SMTPException, OSError):
            smtp.quit()
        return remaining
    except DeliveryError:
        raise
    except TimeoutError as exc:
        if stage == "data_sent":
            raise DeliveryError(pdf_path, "unknown_outcome", seconds=settings.timeout, lang=lang) from None
        raise _Transient("timeout", _detail(exc, secret) or str(settings.timeout)) from None
    except ssl.SSLCertVerificationError as exc:
        raise DeliveryError(pdf_path, "tls", detail=_detail(exc, secret), lang=lang) from None
    except smtplib.SMTPResponseException as exc:
        reply = _reply(exc.smtp_code, exc.smtp_error, secret)
        if 400 <= exc.smtp_code < 500:
            raise _Transient("later", reply) from None
        raise DeliveryError(pdf_path, "server", reply, lang=lang) from None
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError) as exc:
        if stage == "data_sent":
            raise DeliveryError(pdf_path, "unknown_outcome", seconds=settings.timeout, lang=lang) from None
        if isinstance(exc.__context__, TimeoutError):  # smtplib reports a read timeout as a disconnection
            raise _Transient("timeout", _detail(exc.__context__, secret)) from None
        raise _Transient("unreachable", _detail(exc, secret)) from None
    finally:
        if smtp is not None:
            with contextlib.suppress(Exception):
                smtp.close()


def _after_data(
    code: int,
    text: bytes,
    this_round: list[str],
    deferred: dict[str, str],
    refused: dict[str, str],
    secret: str | None,
) -> dict[str, str]:
    """The end of DATA: 250 delivers this round; 4xx defers it (tried again); 5xx refuses it for good."""
    if code == 250:
        return deferred
    reply = _reply(code, text, secret)
    if 400 <= code < 500:
        return {**deferred, **dict.fromkeys(this_round, reply)}
    refused.update(dict.fromkeys(this_round, reply))
    return deferred
