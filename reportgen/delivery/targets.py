"""Where a review goes: a delivery target. Mail is one kind, each chat bot of `[[targets]]` another
(delivery/chat.py). Each knows its language (None: the review's), the addresses it delivers to (the keys the
once-only ledger claims: a mail's addr-spec, a bot's name) and how to deliver a PDF to some of them. The
pipeline claims those keys in the archive before it calls `deliver`, whatever the kind
(pipeline/mailing.deliver_once), so "at most once to each" is written once.

To add a kind: a class here (or its own module) with `kind`, `language`, `addresses` and `deliver`, built
from its config by `targets_of`; its sentences in the catalogues; its test server in tests/."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from reportgen.base.config import Config, EmailSettings, parse_address
from reportgen.base.errors import UsageError
from reportgen.base.states import Audience
from reportgen.delivery.chat import ChatTarget, LinkFor
from reportgen.delivery.links import link_maker
from reportgen.delivery.message import resolve_recipients, split_addresses
from reportgen.delivery.smtp import DeliveryReceipt, send_review


class Target(Protocol):
    """A place a review is delivered to."""

    @property
    def kind(self) -> str:
        """The ledger's target column: "mail", "feishu", ..."""
        ...

    @property
    def language(self) -> str | None:
        """The language its readers get the review in; None: the review's own."""
        ...

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

    settings: EmailSettings
    to: Sequence[str] | None = None
    cc: Sequence[str] | None = None
    subject: str | None = None
    preface: str | None = None  # a paragraph before the summary (a draft's findings, say)
    reader_language: str | None = None  # these readers' own language (`[email.languages]`)
    audience: Audience = Audience.MANAGEMENT  # whose copy: management's, or the approver's draft

    @property
    def kind(self) -> str:
        return "mail"

    @property
    def language(self) -> str | None:
        return self.reader_language

    def addresses(self) -> tuple[str, ...]:
        return resolve_recipients(self.settings, self.to, self.cc).envelope

    def deliver(self, pdf: Path, only: Sequence[str]) -> DeliveryReceipt:
        return send_review(pdf, self.settings, to=self.to, cc=self.cc, subject=self.subject, only=only,
                           preface=self.preface, audience=self.audience)  # fmt: skip


def mail_targets(
    settings: EmailSettings,
    to: Sequence[str] | None = None,
    cc: Sequence[str] | None = None,
    subject: str | None = None,
    preface: str | None = None,
) -> list[MailTarget]:
    """The mail, one message per reader language: readers `[email.languages]` names get the PDF in theirs,
    the others the review's own. Without languages, one target, as before."""
    chosen_to = split_addresses(to) if to else list(settings.to)
    chosen_cc = split_addresses(cc) if cc else list(settings.cc)
    if not settings.languages:
        return [MailTarget(settings, to, cc, subject, preface)]
    groups: dict[str | None, dict[str, list[str]]] = {}
    for field_name, addresses in (("to", chosen_to), ("cc", chosen_cc), ("bcc", list(settings.bcc))):
        for address in addresses:
            lang = settings.language_of(address) if parse_address(address) else None
            groups.setdefault(lang, {"to": [], "cc": [], "bcc": []})[field_name].append(address)
    if not groups:  # nobody at all: the one target says so (resolve_recipients' refusal)
        return [MailTarget(settings, to, cc, subject, preface)]
    return [
        MailTarget(
            replace(settings, bcc=tuple(group["bcc"]), language=lang or settings.language),
            to=group["to"],
            cc=group["cc"] or [],
            subject=subject,
            preface=preface,
            reader_language=lang,
        )
        for lang, group in groups.items()
    ]


def one_message_a_language(targets: Sequence[Target], review_lang: str) -> list[Target]:
    """The mail's readers grouped by the language they get, once the review's is known: readers
    `[email.languages]` names in the review's own language share the message of those it names none for
    (the same PDF), instead of a second message of the same review. Bots and one-group mail are as given."""
    merged: list[Target] = []
    at: dict[str, int] = {}  # language -> where its mail stands in `merged`
    for target in targets:
        if not isinstance(target, MailTarget) or target.to is None:
            merged.append(target)
            continue
        lang = target.reader_language or review_lang
        if lang not in at:
            at[lang] = len(merged)
            merged.append(target)
            continue
        first = merged[at[lang]]
        assert isinstance(first, MailTarget) and first.to is not None
        settings = replace(first.settings, bcc=(*first.settings.bcc, *target.settings.bcc), language=lang)
        cc = [*(first.cc or []), *(target.cc or [])]
        merged[at[lang]] = replace(
            first, settings=settings, to=[*first.to, *target.to], cc=cc, reader_language=lang
        )
    return merged


def targets_of(
    config: Config,
    *,
    to: Sequence[str] | None = None,
    cc: Sequence[str] | None = None,
    subject: str | None = None,
    preface: str | None = None,
    link_for: LinkFor | None = None,
    only: str | None = None,
    with_mail: bool = True,
) -> list[Target]:
    """Every target the configuration names, mail first, then each `[[targets]]` bot: where management
    reads the review. `only`: that one target's name ("mail" for the mail). The mail is left out when
    chat bots are configured and `[email]` names nobody; a name no target has is a UsageError."""
    names = ["mail", *(settings.name for settings in config.targets)]
    if only is not None and only not in names:
        raise UsageError("unknown_target", name=only, names=", ".join(names))
    targets: list[Target] = []
    email = config.email
    mail_wanted = bool(to or cc or email.to or email.cc or email.bcc) or not config.targets or only == "mail"
    if with_mail and only in (None, "mail") and mail_wanted:
        targets += mail_targets(email, to, cc, subject, preface)
    mailed = mail_wanted and with_mail  # the cards say the PDF went by mail only when it did
    targets += [
        ChatTarget(settings, link_for, mailed=mailed)
        for settings in config.targets
        if only is None or only == settings.name
    ]
    return targets


def languages_needed(targets: Sequence[Target]) -> list[str]:
    """The languages the targets ask for by name (the review's own language serves the others)."""
    return list(dict.fromkeys(target.language for target in targets if target.language is not None))


def check_can_deliver(config: Config) -> None:
    """Refuse `--email` before any build when the config cannot deliver: no sender or a bad address for the
    mail, no secret for the cards' links."""
    check_targets(targets_of(config, link_for=link_maker(config.serve)))


def check_targets(targets: Sequence[Target]) -> None:
    """Refuse before any build what cannot be delivered: a bad or missing address, no sender."""
    for target in targets:
        target.addresses()
