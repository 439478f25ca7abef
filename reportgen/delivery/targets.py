"""Where a review goes: a delivery target. Mail is one kind; a chat webhook is another (the next one). Each
knows the addresses it delivers to (the keys the once-only ledger claims: a mail's addr-spec, a chat's
endpoint) and how to deliver the PDF to some of them. The pipeline claims those keys in the archive before it
calls `deliver`, whatever the kind (pipeline/mailing.deliver_once), so "at most once to each" is written once.

To add a kind: a class here with `kind`, `addresses` and `deliver`, built from its config table by
`targets_of`; its sentences in the catalogues; its test server in tests/."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

from reportgen.base.config import Config, EmailSettings
from reportgen.delivery.message import resolve_recipients
from reportgen.delivery.smtp import DeliveryReceipt, send_review


class Target(Protocol):
    """A place a review is delivered to."""

    kind: ClassVar[str]  # the ledger's target column: "mail", ...

    def addresses(self) -> tuple[str, ...]:
        """Every address (or endpoint key) this target delivers to, checked before anything is sent."""
        ...

    def deliver(self, pdf: Path, only: Sequence[str]) -> DeliveryReceipt:
        """Deliver the review to `only` (some of `addresses()`): a DeliveryError (the PDF kept, the refused
        and the unreached named) unless every one of them took it."""
        ...


@dataclass(frozen=True, slots=True)
class MailTarget:
    """The review by mail, as `[email]` says (`to`/`cc` from the command line or the page replace its own)."""

    kind: ClassVar[str] = "mail"
    settings: EmailSettings
    to: Sequence[str] | None = None
    cc: Sequence[str] | None = None
    subject: str | None = None
    preface: str | None = None  # a paragraph before the summary (a draft's findings, say)

    def addresses(self) -> tuple[str, ...]:
        return resolve_recipients(self.settings, self.to, self.cc).envelope

    def deliver(self, pdf: Path, only: Sequence[str]) -> DeliveryReceipt:
        return send_review(
            pdf, self.settings, to=self.to, cc=self.cc, subject=self.subject, only=only, preface=self.preface
        )


def targets_of(config: Config) -> list[Target]:
    """Every target the configuration names, mail first: where management reads the review."""
    return [MailTarget(config.email)]
