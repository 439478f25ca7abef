"""Signed, expiring links to a delivered review, for the chat cards' button: `{public_url}/r/<token>`, where
the token carries the PDF's SHA-256, signed with REPORTGEN_LINK_SECRET (or the OS keyring: service
`reportgen`, user `links`) and dated, so serve answers it with exactly that PDF from the archive for
`[serve] link_days` days, and refuses a token anyone altered or made without the secret."""

from __future__ import annotations

import datetime as dt
import os

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from reportgen.base.config import ServeSettings
from reportgen.base.errors import UsageError
from reportgen.delivery.chat import LinkFor
from reportgen.delivery.smtp import KEYRING_SERVICE

LINK_SECRET_VARIABLE = "REPORTGEN_LINK_SECRET"
SALT = "reportgen.review-link"
ROUTE = "/r/"


def link_secret() -> str | None:
    secret = os.environ.get(LINK_SECRET_VARIABLE)
    if secret:
        return secret
    try:
        import keyring
    except ImportError:
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, "links")  # type: ignore[no-any-return]
    except Exception:
        return None


def _signer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT)


def link_maker(settings: ServeSettings) -> LinkFor | None:
    """The cards' link maker when `[serve] public_url` is set (None: the cards say the PDF went by mail);
    refused before anything is sent when there is no secret to sign with."""
    if settings.public_url is None:
        return None
    secret = link_secret()
    if secret is None:
        raise UsageError("no_link_secret")
    signer = _signer(secret)
    base = settings.public_url

    def link_for(pdf_sha256: str) -> tuple[str, str]:
        until = dt.datetime.now().astimezone() + dt.timedelta(days=settings.link_days)
        return f"{base}{ROUTE}{signer.dumps(pdf_sha256)}", until.strftime("%Y-%m-%d")

    return link_for


def linked_pdf(token: str, settings: ServeSettings) -> str | None:
    """The SHA-256 a link's token carries, when it is genuine and younger than `link_days`; else None."""
    secret = link_secret()
    if secret is None:
        return None
    try:
        value = _signer(secret).loads(token, max_age=settings.link_days * 86_400)
    except (SignatureExpired, BadSignature):
        return None
    return value if isinstance(value, str) and len(value) == 64 else None
