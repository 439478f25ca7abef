"""The commands that deliver a review (send, targets), and the delivery `build --email` asks for: mail and
chat are loaded only by a command that delivers, so a plain `build` never imports them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reportgen.apps.cli.listing import summary
from reportgen.apps.cli.options import config_option, opened_archive
from reportgen.base.catalogue import catalogue, language
from reportgen.base.config import Config, load_config, local_day, local_minute
from reportgen.base.errors import InputError, UsageError
from reportgen.base.files import write_atomic
from reportgen.delivery.chat import ChatTarget, chat_secret
from reportgen.delivery.dispatch import errors_refusal, sender_insists
from reportgen.delivery.links import link_maker
from reportgen.delivery.message import compose_message
from reportgen.delivery.summary import read_pdf, summarize
from reportgen.delivery.targets import Target, check_targets, targets_of
from reportgen.delivery.vendors import VENDORS
from reportgen.pipeline.build import BuiltFiles
from reportgen.pipeline.mailing import (
    SendResult,
    TargetResult,
    deliver_everywhere,
    deliver_review,
    pdf_digest,
)

if TYPE_CHECKING:  # the store loads SQLAlchemy: only a command that opens the archive pays for it
    from reportgen.archive.store import Archive


def checked_targets(
    config: Config, to: tuple[str, ...], cc: tuple[str, ...], only: str | None = None
) -> list[Target]:
    """The targets `send` and `build --email` deliver to (`only`: one of them), refused (bad recipients, an
    unknown target, no sender or no link secret) before anything is built or the archive is opened."""
    targets = targets_of(config, to=to or None, cc=cc or None, only=only, link_for=link_maker(config.serve))
    check_targets(targets)
    return targets


def deliver_built(
    archive: Archive, built: BuiltFiles, targets: list[Target], config: Config, *, resend: bool, force: bool
) -> None:
    """`build --email`: the review just built to every target, each once; say who got it."""
    review = built.review
    results = deliver_everywhere(
        archive,
        built.pdfs,
        review.lang,
        targets,
        resend=resend,
        findings=review.findings,
        allow_errors=sender_insists(config.email, force),
        lang=review.lang,
    )
    say_delivered(results, config.email.language or review.lang)


@click.command(short_help=summary("send"))
@click.argument("report", type=click.Path(path_type=Path, dir_okay=True, exists=False))
@click.option(
    "--to", "to", multiple=True, metavar="ADDR", help="Recipient (repeat, or separate with commas)."
)
@click.option("--cc", "cc", multiple=True, metavar="ADDR", help="Copy to (repeat, or separate with commas).")
@click.option("--subject", help="Subject instead of the config's template.")
@config_option
@click.option(
    "--eml", "eml_path", type=click.Path(path_type=Path), help="Write the message here; send nothing."
)
@click.option("--resend", is_flag=True, help="Mail it again to those who already have this PDF.")
@click.option(
    "--force",
    is_flag=True,
    help="Send anyway: a review whose month has errors, or a version a later one replaced (it says which).",
)
@click.option(
    "--target",
    "only",
    metavar="NAME",
    help="Deliver to this one target only: a [[targets]] name, or mail.",
)
def send(
    report: Path,
    to: tuple[str, ...],
    cc: tuple[str, ...],
    subject: str | None,
    config_path: Path | None,
    eml_path: Path | None,
    resend: bool,
    force: bool,
    only: str | None,
) -> None:
    """Deliver a review PDF to every target: the mail (KPI cards and takeaways in the body, the PDF attached)
    and each chat bot of [[targets]]; exit 3 if one was not reached. Each address and bot gets one PDF once:
    a repeat is refused with when it was sent, unless --resend. Readers of another language get the
    archive's copy of the same version in theirs."""
    config = load_config(config_path, report)
    review = summarize(read_pdf(report), report.name)
    lang = language(config.email.language, review.lang)  # as the mail's: the config's, else the review's
    if eml_path is not None:
        message = compose_message(report, config.email, to=to or None, cc=cc or None, subject=subject)
        write_atomic(eml_path, message.as_bytes())
        click.echo(catalogue(lang).text("mail.eml_written", path=eml_path))
        return
    # a bad address, an unknown target or no link secret is a usage error before the archive is opened
    checked_targets(config, to, cc, only)
    # the month's errors hold the review back here as in `build --email`, batch, watch and serve
    refusal = errors_refusal(report, review.error_cells, force=sender_insists(config.email, force), lang=lang)
    if refusal is not None:
        raise refusal
    with opened_archive(config) as archive:
        if not force:
            refuse_superseded(archive, report, config.zone)
        results = deliver_review(archive, report, config, to=to or None, cc=cc or None, subject=subject,
                                 only=only, resend=resend, lang=lang)  # fmt: skip
    say_delivered(results, lang)


@click.group(short_help=summary("targets"))
def targets() -> None:
    """The places a review goes besides the mail: the chat bots of [[targets]] in reportgen.toml."""


@targets.command("list")
@config_option
def targets_list(config_path: Path | None) -> None:
    """Each target: its name, kind, language and whether its signing secret is set (never the secret)."""
    config = load_config(config_path)
    words = catalogue(language(config.email.language))
    if not config.targets:
        click.echo(words.text("chat.no_targets"))
    for settings in config.targets:
        if not VENDORS[settings.kind].signed:  # Slack, Teams and WeCom: the url carries the token alone
            secret = words.text("chat.secret_none")
        else:
            secret = words.text("chat.secret_set" if chat_secret(settings) else "chat.secret_unset",
                                variable=settings.secret_variable)  # fmt: skip
        click.echo(f"{settings.name}\t{settings.kind}\t{settings.language or '-'}\t{secret}")


@targets.command("test")
@click.argument("name")
@config_option
def targets_test(name: str, config_path: Path | None) -> None:
    """Post a small test message to the target NAME and print what the vendor answered; exit 3 if refused."""
    config = load_config(config_path)
    settings = config.target(name)
    if settings is None:
        names = ", ".join(target.name for target in config.targets) or "—"
        raise UsageError("unknown_target", name=name, names=names)
    answer = ChatTarget(settings).post_test()
    words = catalogue(language(config.email.language))  # the operator's language, not the group's
    click.echo(words.text("chat.test_ok", target=settings.name, kind=settings.kind.value, answer=answer.text))


def refuse_superseded(archive: Archive, report: Path, zone: dt.tzinfo | None = None) -> None:
    """A version of a month that a later one replaced at management is not mailed without --force: whoever
    gets it would read figures management no longer has. The message names the version that replaced it."""
    built = archive.build_for_pdf(pdf_digest(report))
    if built is None:
        return
    _, team, month, version = built
    delivered = archive.delivered(team, month)
    if delivered is not None and delivered.version > version:
        raise InputError(report, "superseded_version", team=team, month=month, version=version,
                         newer=delivered.version, when=local_day(delivered.sent_at, zone))  # fmt: skip


def say_delivered(results: list[TargetResult], lang: str) -> None:
    """Each target's part: the mail's recipients (and who had it already), each bot's answer."""
    for each in results:
        if each.target.kind == "mail":
            say_sent(each.pdf, each.result, lang)
        else:
            click.echo(
                catalogue(lang).text(
                    "chat.delivered",
                    path=each.pdf,
                    target=each.target.addresses()[0],
                    kind=each.target.kind,
                    answer=each.result.receipt.message_id,
                )
            )


def say_sent(pdf_path: Path, result: SendResult, lang: str) -> None:
    """Who got it now, and who already had it (never mailed twice without --resend)."""
    words = catalogue(lang)
    receipt = result.receipt
    click.echo(
        words.text("mail.sent", path=pdf_path, count=len(receipt.accepted), message_id=receipt.message_id)
    )
    separator = words.text("where.list")
    if result.already:
        when = local_minute(min(result.already.values()), None)
        click.echo(words.text("mail.already_had", addresses=separator.join(sorted(result.already)), at=when))
    if result.in_doubt:
        when = local_minute(min(result.in_doubt.values()), None)
        click.echo(
            words.text("mail.in_doubt_skipped", addresses=separator.join(sorted(result.in_doubt)), at=when)
        )
