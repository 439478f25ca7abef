"""Mailing a review at most once per recipient: the archive claims each address before the mail goes out
and records what the server answered, so a repeated send is refused (and says when it was sent), a partial
send is completed by a re-run that mails only the ones not reached, and two processes never both mail one
address. `send`, `build --email`, batch, watch and serve all send through here, whatever the target's kind
(delivery/targets.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from reportgen.base.config import Config, EmailSettings, local_minute
from reportgen.base.errors import DeliveryError, InputError
from reportgen.base.files import write_atomic
from reportgen.base.model import Finding
from reportgen.base.states import Audience
from reportgen.delivery.dispatch import refuse_on_errors
from reportgen.delivery.links import link_maker
from reportgen.delivery.smtp import DeliveryReceipt
from reportgen.delivery.summary import read_pdf, summarize
from reportgen.delivery.targets import (
    MailTarget,
    Target,
    check_targets,
    languages_needed,
    one_message_a_language,
    targets_of,
)

if TYPE_CHECKING:  # the store loads SQLAlchemy: only a command that opens the archive pays for it
    from reportgen.archive.store import Archive

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SendResult:
    """What a send did: the receipt for the addresses mailed this time; those that had this PDF already
    (with when), and those an earlier send left without an answer (not mailed again without --resend)."""

    receipt: DeliveryReceipt
    already: dict[str, dt.datetime] = field(default_factory=dict)
    in_doubt: dict[str, dt.datetime] = field(default_factory=dict)


def pdf_digest(pdf_path: Path) -> str:
    try:
        return hashlib.sha256(pdf_path.read_bytes()).hexdigest()
    except FileNotFoundError as exc:
        raise InputError(pdf_path, "missing") from exc
    except OSError as exc:
        raise InputError(pdf_path, "unreadable", detail=exc.strerror or str(exc)) from exc


@contextmanager
def recorded_pdf(archive: Archive, build_id: int, pdf_path: Path, pdf_sha256: str) -> Iterator[Path | None]:
    """The PDF a build wrote, exactly (SHA-256 `pdf_sha256`), as a file to send: the file at `pdf_path` while
    it still has those bytes; once a later version wrote over it, the archive's own copy of that build,
    written to a temporary folder under the same name (the attachment is named alike) and removed after.
    None when neither has them (a build recorded before the archive kept PDFs, its file changed or gone); an
    archive copy that no longer matches its SHA-256 is the store's ArchiveError."""
    if _holds(pdf_path, pdf_sha256):  # else gone, unreadable or written over: the archive's copy, if any
        yield pdf_path
        return
    try:
        stored = archive.pdf_of(build_id)
    except InputError:  # not kept (recorded before 0004), or no such build
        stored = None
    if stored is None or stored.pdf_sha256 != pdf_sha256:
        yield None
        return
    log.info("%s was written over since build %d: sending the archive's copy", pdf_path, build_id)
    with tempfile.TemporaryDirectory(prefix="reportgen-recorded-") as folder:
        yield write_atomic(Path(folder) / pdf_path.name, stored.data)


@contextmanager
def language_copies(
    archive: Archive, pdf_path: Path, review_lang: str, needed: Sequence[str]
) -> Iterator[dict[str, Path]]:
    """The PDF by language: itself in the review's language, and for each other language readers need, the
    same version in it: the file its build wrote when it is still that PDF, else the archive's copy
    (written to a temporary folder, removed after). A language the
    archive has no copy in is missing from the answer: `deliver_everywhere` then says so for its targets."""
    pdfs = {review_lang: pdf_path}
    with tempfile.TemporaryDirectory(prefix="reportgen-languages-") as folder:
        digest = pdf_digest(pdf_path) if any(lang != review_lang for lang in needed) else ""
        for lang in dict.fromkeys(needed):
            if lang == review_lang:
                continue
            stored = archive.sibling_pdf(digest, lang)
            if stored is None:
                continue
            if _holds(stored.pdf_path, stored.pdf_sha256):  # the copy the build wrote, still as it was
                pdfs[lang] = stored.pdf_path  # what the command then names is a file the user has
            else:
                pdfs[lang] = write_atomic(Path(folder) / stored.pdf_path.name, stored.data)
        yield pdfs


def _holds(path: Path, pdf_sha256: str) -> bool:
    """The file at `path` is still that PDF (not when it is gone, unreadable or written over)."""
    try:
        return pdf_digest(path) == pdf_sha256
    except InputError:
        return False


def send_once(
    archive: Archive,
    pdf_path: Path,
    settings: EmailSettings,
    *,
    to: Sequence[str] | None = None,
    cc: Sequence[str] | None = None,
    subject: str | None = None,
    resend: bool = False,
    findings: Sequence[Finding] | None = None,
    allow_errors: bool = True,
    lang: str | None = None,
    preface: str | None = None,
    audience: Audience = Audience.MANAGEMENT,
) -> SendResult:
    """The review by mail, at most once to each address (`deliver_once` to a MailTarget)."""
    target = MailTarget(settings, to=to, cc=cc, subject=subject, preface=preface, audience=audience)
    return deliver_once(
        archive,
        pdf_path,
        target,
        resend=resend,
        findings=findings,
        allow_errors=allow_errors,
        lang=lang,
        audience=audience,
    )


def deliver_once(
    archive: Archive,
    pdf_path: Path,
    target: Target,
    *,
    resend: bool = False,
    findings: Sequence[Finding] | None = None,
    allow_errors: bool = True,
    lang: str | None = None,
    audience: Audience = Audience.MANAGEMENT,
) -> SendResult:
    """Refuse while the review's month has errors (unless allowed), claim each of the target's addresses in
    the archive, deliver to the ones claimed, record the answer. A DeliveryError (exit 3, the PDF kept) when
    somebody was not reached, or when nobody was left to deliver to (all had it already, or an earlier
    delivery's outcome is unknown): it says when. `audience`: management's copy, or a draft for the approver
    (which never makes the month delivered)."""
    if findings is not None:
        refuse_on_errors(pdf_path, findings, force=allow_errors, lang=lang)
    addresses = target.addresses()
    digest = pdf_digest(pdf_path)
    plan = archive.begin_send(
        digest, pdf_path.name, addresses, resend=resend, target=target.kind, audience=audience
    )
    if not plan.to_send:
        archive.finish_send(plan, accepted=[], refused={}, message_id=None, detail="nothing to send")
        if plan.in_progress:  # another send is at it right now: wait for its answer, do not resend
            raise DeliveryError(pdf_path, "in_progress", addresses=sorted(plan.in_progress),
                                at=local_minute(min(plan.in_progress.values()), None), lang=lang)  # fmt: skip
        if plan.in_doubt:  # an earlier send stopped without an answer: it may have arrived
            raise DeliveryError(pdf_path, "in_doubt", addresses=sorted(plan.in_doubt),
                                at=local_minute(min(plan.in_doubt.values()), None), lang=lang)  # fmt: skip
        raise DeliveryError(pdf_path, "already_sent", addresses=sorted(plan.already),
                            at=local_minute(min(plan.already.values()), None), lang=lang)  # fmt: skip
    try:
        receipt = target.deliver(pdf_path, plan.to_send)
    except DeliveryError as failure:
        accepted = failure.params.get("accepted", [])
        archive.finish_send(
            plan,
            accepted=list(accepted) if isinstance(accepted, list | tuple) else [],
            refused=failure.refused,
            message_id=None,
            detail=failure.reason("en"),
            in_doubt=failure.stage in IN_DOUBT_STAGES,
        )
        raise
    archive.finish_send(
        plan, accepted=receipt.accepted, refused={}, message_id=receipt.message_id, subject=receipt.subject
    )
    log.info(
        "sent %s by %s to %d (%d had it already)",
        pdf_path.name,
        target.kind,
        len(receipt.accepted),
        len(plan.already),
    )
    return SendResult(receipt, dict(plan.already), dict(plan.in_doubt))


# the message went out and no answer came, or a bot has the card but not the PDF: kept, not sent again
IN_DOUBT_STAGES = ("unknown_outcome", "chat_unknown_outcome", "chat_file_after_card")
NOTHING_NEW = "already_sent"  # a target that had this PDF: no failure when others got it now


@dataclass(frozen=True, slots=True)
class TargetResult:
    """One target's part of a delivery: what it took, in which file (the PDF in its readers' language)."""

    target: Target
    pdf: Path
    result: SendResult


def deliver_everywhere(
    archive: Archive,
    pdfs: Mapping[str, Path],
    review_lang: str,
    targets: Sequence[Target],
    *,
    resend: bool = False,
    findings: Sequence[Finding] | None = None,
    allow_errors: bool = True,
    lang: str | None = None,
    audience: Audience = Audience.MANAGEMENT,
) -> list[TargetResult]:
    """The review to every target, each in its readers' language (`pdfs`: language → the PDF in it; the
    review's own language serves a target that names none), each at most once (`deliver_once`). One
    target's failure never stops the others: after all were tried, a single failure is raised as it
    came, several as one DeliveryError naming each target and why, and the ones delivered. A target's
    failure is logged as it happens only when there are others to try (the log says which failed meanwhile);
    a lone target's is not: whoever catches it says it (send prints it, the schedule logs it), so the user
    reads each refused address once, not in a warning and again in the error."""
    main = pdfs[review_lang]
    if findings is not None:
        refuse_on_errors(main, findings, force=allow_errors, lang=lang)
    done: list[TargetResult] = []
    nothing_new: list[DeliveryError] = []
    failed: list[tuple[Target, DeliveryError]] = []
    chosen = one_message_a_language(targets, review_lang)
    for target in chosen:
        wanted = target.language or review_lang
        pdf = pdfs.get(wanted)
        try:
            if pdf is None:
                missing = DeliveryError(main, "no_language_copy", target=_label(target), reads=wanted,
                                        lang=lang)  # fmt: skip
                # recorded, so history names who was left out and why (nobody is claimed: a later send
                # with the copy reaches them)
                archive.skip_send(pdf_digest(main), main.name, dict.fromkeys(target.addresses(), wanted),
                                  target=target.kind, audience=audience,
                                  detail=missing.reason("en"))  # fmt: skip
                raise missing
            done.append(TargetResult(target, pdf, deliver_once(archive, pdf, target, resend=resend, lang=lang,
                                                               audience=audience)))  # fmt: skip
        except DeliveryError as failure:
            if failure.stage == NOTHING_NEW:
                nothing_new.append(failure)
            else:
                failed.append((target, failure))
                if len(chosen) > 1:  # a lone target's failure is the error raised: said once, by its catcher
                    log.warning("%s", failure.naming(_label(target), "en"))  # each target named once
    if len(failed) == 1 and not done and not nothing_new:
        raise failed[0][1]
    if failed:
        # who this send reached, not every address of the targets: one that had it already was not mailed
        reached = [_reached(each) for each in done if each.result.receipt.accepted]
        raise DeliveryError(
            main,
            "some_targets",
            delivered=reached,
            failures=[(_label(target), failure) for target, failure in failed],
            lang=lang,
        )
    if not done and nothing_new:  # every target had it already: name them all, from the first time
        had = [address for failure in nothing_new for address in failure.params.get("addresses", [])]
        first = min(str(failure.params.get("at", "")) for failure in nothing_new)
        raise DeliveryError(main, NOTHING_NEW, addresses=had, at=first, lang=lang)
    return done


def deliver_review(
    archive: Archive,
    pdf_path: Path,
    config: Config,
    *,
    to: Sequence[str] | None = None,
    cc: Sequence[str] | None = None,
    subject: str | None = None,
    only: str | None = None,
    resend: bool = False,
    findings: Sequence[Finding] | None = None,
    allow_errors: bool = True,
    lang: str | None = None,
) -> list[TargetResult]:
    """A built review (its PDF) to every target the config names, management's copy: the mail (`to`/`cc`
    over `[email]`'s) and each chat bot, readers of another language getting the archive's copy of the same
    version in theirs. What `send`, approve, the schedule, batch, watch, serve and the queue's send task
    do."""
    targets = targets_of(config, to=to, cc=cc, subject=subject, only=only, link_for=link_maker(config.serve))
    check_targets(targets)
    review_lang = summarize(read_pdf(pdf_path), pdf_path.name).lang
    with language_copies(archive, pdf_path, review_lang, languages_needed(targets)) as pdfs:
        return deliver_everywhere(archive, pdfs, review_lang, targets, resend=resend, findings=findings,
                                  allow_errors=allow_errors, lang=lang)  # fmt: skip


def _label(target: Target) -> str:
    """How a message names a target: a bot by its name, the mail by its addresses."""
    if target.kind == "mail":
        return (
            ", ".join(target.addresses())
            if len(target.addresses()) <= 3
            else f"mail ({len(target.addresses())})"
        )
    return target.addresses()[0]


def _reached(each: TargetResult) -> str:
    """How a message names whom a target's delivery reached: a bot by its name, the mail by the addresses
    the server accepted (not those that had the PDF already)."""
    accepted = each.result.receipt.accepted
    if each.target.kind == "mail" and len(accepted) > 3:
        return f"mail ({len(accepted)})"
    return ", ".join(accepted)
