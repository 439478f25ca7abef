"""Delivering the message over SMTP (stdlib `smtplib`).

Transient trouble (no connection, 421 and other 4xx, a timeout before the message went out) is retried a
bounded number of times with a doubling delay; a permanent answer (5xx) is not. Nothing is half-sent silently:
each refused recipient is named with the server's answer, and every failure keeps the PDF and prints its path.
The password is read when sending and appears in no message, log or exception."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import smtplib
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path
from typing import Any

from reportgen.base.config import EmailSettings
from reportgen.base.errors import DeliveryError
from reportgen.base.states import Audience
from reportgen.delivery.message import (
    clean_header_text,
    compose_message,
    compose_notice,
    header_address,
    resolve_recipients,
)

logger = logging.getLogger(__name__)

PASSWORD_VARIABLE = "REPORTGEN_SMTP_PASSWORD"
KEYRING_SERVICE = "reportgen"
REPLY_LIMIT = 300


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    """What the server accepted: the Message-ID, the accepted and refused addresses, the attempts it took."""

    message_id: str
    accepted: tuple[str, ...]
    subject: str = ""
    refused: dict[str, str] = field(default_factory=dict)
    attempts: int = 1


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
    line = f"{code} {clean_header_text(decoded)}".strip()
    if secret:
        line = line.replace(secret, "***")
    return line[:REPLY_LIMIT]


def _detail(exc: BaseException, secret: str | None) -> str:
    text = (
        clean_header_text(exc.strerror if isinstance(exc, OSError) and exc.strerror else exc)
        or type(exc).__name__
    )
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
    only: Sequence[str] | None = None,
    preface: str | None = None,
    audience: Audience = Audience.MANAGEMENT,
    sleep: Any = time.sleep,
) -> DeliveryReceipt:
    """Mail the review; a DeliveryError (the PDF kept and named) unless every recipient accepted it.
    Recipients refused for good are named after the message went to the others. `only` narrows the envelope
    to those addresses (compared case-folded), e.g. the ones a partial send did not reach; the headers still
    name every recipient, as the first send's did. `preface` is a paragraph before the summary (a draft's
    findings and how to approve it); `audience`, whose copy it is (compose_message)."""
    message = compose_message(
        pdf_path, settings, to=to, cc=cc, subject=subject, preface=preface, audience=audience
    )
    recipients = resolve_recipients(settings, to, cc)
    return transmit(message, recipients.envelope, settings, pdf_path, only=only, sleep=sleep)


def send_notice(
    settings: EmailSettings, to: Sequence[str], subject: str, text: str, *, sleep: Any = time.sleep
) -> DeliveryReceipt:
    """A short plain mail with no review attached (a reminder that the workbook is due), with the same
    server, retries and checks as a review."""
    message = compose_notice(settings, to, subject, text)
    return transmit(message, resolve_recipients(settings, to, ()).envelope, settings, None, sleep=sleep)


def transmit(
    message: EmailMessage,
    envelope: Sequence[str],
    settings: EmailSettings,
    pdf_path: Path | None,
    *,
    only: Sequence[str] | None = None,
    sleep: Any = time.sleep,
) -> DeliveryReceipt:
    """Hand a composed message to the server for `envelope` (narrowed by `only`), retrying what may pass
    later; a DeliveryError naming `pdf_path` (kept) unless every recipient accepted it."""
    started = time.perf_counter()
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
    sender = header_address(settings.sender or "").addr_spec
    wanted = None if only is None else {address.casefold() for address in only}
    chosen = [address for address in envelope if wanted is None or address.casefold() in wanted]
    pending: dict[str, str] = dict.fromkeys(chosen, "")  # address → its last 4xx answer
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
            delay = settings.retry_delay * 2 ** (attempt - 1)
            logger.info(
                "send: attempt %d of %d left %d recipients to try again (%s); next in %.1f s",
                attempt,
                settings.attempts,
                len(pending),
                last.stage,
                delay,
            )
            sleep(delay)
    message_id = str(message["Message-ID"])
    # counts and the server only: never an address list, the password or the server's replies
    logger.info(
        "send: %.2f s (%s:%d, %d recipients, %d accepted, %d refused, %d attempts, %.2f MB)",
        time.perf_counter() - started,
        settings.host,
        settings.smtp_port,
        len(chosen),
        len(accepted),
        len(refused) + len(pending),
        attempts,
        len(payload) / 1e6,
    )
    if not pending and not refused:
        return DeliveryReceipt(message_id, tuple(accepted), str(message["Subject"]), {}, attempts)
    if not accepted and not refused and not any(pending.values()):
        # no recipient ever got an answer of its own: the server could not be reached or kept deferring
        raise DeliveryError(
            pdf_path, last.stage, last.reply, attempts=attempts, host=settings.host, port=settings.smtp_port,
            lang=lang,
        )  # fmt: skip
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
    pdf_path: Path | None,
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
            _login(smtp, settings, secret, pdf_path, lang)
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
        if code == 530 and settings.security == "none" and smtp.has_extn("starttls"):
            raise DeliveryError(pdf_path, "needs_starttls", host=settings.host, lang=lang)
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
        stage = "data_sending"  # cut off before the final dot, the server must drop it: worth a retry
        smtp.send(_quoted_data(payload))
        stage = "data_sent"  # from here on the server may have the message: a lost answer is not retried
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
        if stage == "data_sending":
            raise _Transient("cut", _detail(exc, secret)) from None
        if stage == "data_sent":
            raise DeliveryError(pdf_path, "unknown_outcome", seconds=settings.timeout, lang=lang) from None
        if isinstance(exc.__context__, TimeoutError):  # smtplib reports a read timeout as a disconnection
            raise _Transient("timeout", _detail(exc.__context__, secret)) from None
        raise _Transient("unreachable", _detail(exc, secret)) from None
    finally:
        if smtp is not None:
            with contextlib.suppress(Exception):
                smtp.close()


# smtplib.login's order of preference; reportgen tries only the first one the server offers
AUTH_MECHANISMS = ("CRAM-MD5", "PLAIN", "LOGIN")


def _login(
    smtp: smtplib.SMTP, settings: EmailSettings, secret: str | None, pdf_path: Path | None, lang: str | None
) -> None:
    """Log in with ONE mechanism, the one smtplib.login would try first. smtplib's login tries each offered
    mechanism in turn, so one wrong password cost two refused logins a send (PLAIN, then LOGIN) and brought
    an account lockout twice as near. A server offering no login but STARTTLS, on a plain connection, wants
    TLS first: said so, with the setting that gives it."""
    username = settings.username or ""
    offered = smtp.esmtp_features.get("auth", "").upper().split()
    mechanism = next((name for name in AUTH_MECHANISMS if name in offered), None)
    if mechanism is None:
        if settings.security == "none" and smtp.has_extn("starttls"):
            raise DeliveryError(pdf_path, "needs_starttls", host=settings.host, lang=lang)
        raise DeliveryError(pdf_path, "login_unsupported", host=settings.host, lang=lang)
    smtp.user, smtp.password = username, secret or ""
    method = getattr(smtp, "auth_" + mechanism.lower().replace("-", "_"))
    try:
        smtp.auth(mechanism, method)
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(
            pdf_path,
            "login",
            _reply(exc.smtp_code, exc.smtp_error, secret),
            username=username,
            mechanism=mechanism,
            variable=PASSWORD_VARIABLE,
            lang=lang,
        ) from None
    finally:
        smtp.password = ""  # not kept on the connection object once used


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
