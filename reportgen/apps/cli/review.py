"""One workbook's commands: check it, build its review, mail a review, and write a starter workbook."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reportgen.apps.cli.listing import summary
from reportgen.apps.cli.options import (
    as_of_option,
    config_option,
    lang_option,
    opened_archive,
    parse_as_of,
    parse_month,
    workbook_argument,
)
from reportgen.apps.starter import starter_config, starter_workbook
from reportgen.base.catalogue import LANGUAGES, catalogue, language
from reportgen.base.config import CONFIG_NAME, load_config
from reportgen.base.errors import InputError, UsageError
from reportgen.base.files import write_atomic
from reportgen.base.model import Severity
from reportgen.delivery.chat import ChatTarget, chat_secret
from reportgen.delivery.links import link_maker
from reportgen.delivery.message import compose_message
from reportgen.delivery.targets import Target, check_targets, targets_of
from reportgen.figures.document import dumps
from reportgen.figures.review import severity_counts, worst_first
from reportgen.pipeline.archiving import open_for_build
from reportgen.pipeline.build import build_to_files, check_workbook
from reportgen.pipeline.mailing import (
    SendResult,
    TargetResult,
    deliver_everywhere,
    deliver_review,
    pdf_digest,
)
from reportgen.wording.documents import findings_document
from reportgen.wording.text import finding_message

if TYPE_CHECKING:  # the store loads SQLAlchemy: only a command that opens the archive pays for it
    from reportgen.archive.store import Archive

CHECK_TABLE_LIMIT = 200
SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "dim"}


@click.command(short_help=summary("check"))
@workbook_argument
@config_option
@as_of_option
@lang_option
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def check(
    workbook: Path, config_path: Path | None, as_of: str | None, lang: str | None, as_json: bool
) -> None:
    """Report data-quality findings with sheet!cell references; exit 0 when the workbook is usable."""
    config = load_config(config_path, workbook)
    checked = check_workbook(workbook, config, parse_as_of(as_of))
    lang = lang or checked.sheet_lang
    if as_json:
        sys.stdout.buffer.write(dumps(findings_document(checked, lang), pretty=True))
        return
    # rich's tables cost 50 ms to import: only `check` draws them
    from rich.console import Console
    from rich.markup import escape  # a cell's text or a sheet's name may hold [brackets]
    from rich.table import Table

    words = catalogue(lang)
    counts = severity_counts(checked.findings)
    console = Console(highlight=False, soft_wrap=False)
    table = Table(
        title=escape(
            words.text(
                "check.title",
                workbook=workbook.name,
                errors=counts.errors,
                warnings=counts.warnings,
                infos=counts.infos,
            )
        ),
        title_justify="left",
        show_lines=False,
    )
    table.add_column(escape(words.text("check.col_severity")), no_wrap=True)
    table.add_column(escape(words.text("check.col_cell")), no_wrap=True)
    table.add_column(escape(words.text("check.col_message")), overflow="fold")
    ordered = worst_first(checked.findings)
    for finding in ordered[:CHECK_TABLE_LIMIT]:
        table.add_row(
            f"[{SEVERITY_STYLE[finding.severity]}]{escape(words.text(f'severity.{finding.severity.value}'))}[/]",
            escape(finding.where),
            escape(finding_message(finding, words)),
        )
    if checked.findings:
        console.print(table)
    if len(ordered) > CHECK_TABLE_LIMIT:
        console.print(escape(words.text("check.shown", shown=CHECK_TABLE_LIMIT, total=len(ordered))))
    months = sorted({row.activity.month for row in checked.rows})
    console.print(
        escape(
            words.text(
                "check.usable",
                activities=len(checked.rows),
                months=len(months),
                first=months[0],
                last=months[-1],
            )
        )
    )


@click.command(short_help=summary("build"))
@workbook_argument
@click.option("--month", metavar="YYYY-MM", help="Month to review (default: the latest with activities).")
@as_of_option
@click.option(
    "-o",
    "--output",
    "pdf_path",
    type=click.Path(path_type=Path),
    help="PDF to write (default: <workbook stem>-<YYYY-MM>.pdf beside the workbook).",
)
@click.option(
    "--html", "html_path", type=click.Path(path_type=Path), help="Also write the review as a web page."
)
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Also write the figures as JSON.")
@click.option("--no-pdf", is_flag=True, help="Skip the PDF (with --json or --html).")
@click.option(
    "--pdfa", is_flag=True, help="Write an archival PDF/A-3b, the figures inside as associated data."
)
@click.option(
    "--pdfua", is_flag=True, help="Write an accessible PDF/UA-1: tagged, every chart's data in words."
)
@click.option(
    "--embed-source", is_flag=True, help="Carry the workbook inside the PDF (with --pdfa: as Source)."
)
@click.option(
    "--templates",
    "templates",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Folder with review.html / review.css overriding the bundled ones (branding).",
)
@config_option
@lang_option
@click.option("--email", is_flag=True, help="Mail the PDF as [email] in reportgen.toml says.")
@click.option(
    "--to", "to", multiple=True, metavar="ADDR", help="With --email: recipients instead of the config's."
)
@click.option(
    "--cc", "cc", multiple=True, metavar="ADDR", help="With --email: copies instead of the config's."
)
@click.option("--force", is_flag=True, help="With --email: send even when check found errors.")
@click.option("--resend", is_flag=True, help="With --email: mail it again to those who already have it.")
def build(
    workbook: Path,
    month: str | None,
    as_of: str | None,
    pdf_path: Path | None,
    html_path: Path | None,
    json_path: Path | None,
    no_pdf: bool,
    pdfa: bool,
    pdfua: bool,
    embed_source: bool,
    templates: Path | None,
    config_path: Path | None,
    lang: str | None,
    email: bool,
    to: tuple[str, ...],
    cc: tuple[str, ...],
    force: bool,
    resend: bool,
) -> None:
    """Build the month's review: the PDF, and the figures as JSON or the page as HTML when asked; the archive
    remembers it (a changed workbook is the next version)."""
    if no_pdf and json_path is None and html_path is None:
        raise UsageError("nothing_to_write")
    if email and no_pdf:
        raise UsageError("email_without_pdf")
    chosen_month = parse_month(month)
    as_of_date = parse_as_of(as_of)
    config = load_config(config_path, workbook)
    if pdfa or pdfua or embed_source:  # the options add to what [pdf] in reportgen.toml asks for
        chosen = config.pdf
        config = replace(
            config,
            pdf=replace(
                chosen,
                archival=chosen.archival or pdfa,
                accessible=chosen.accessible or pdfua,
                embed_source=chosen.embed_source or embed_source,
            ),
        )
    targets: list[Target] = []
    if email:  # bad recipients, no sender or no link secret are refused before the review is built
        targets = targets_of(config, to=to or None, cc=cc or None, link_for=link_maker(config.serve))
        check_targets(targets)
    # the archive even without a PDF: it holds the months a trimmed workbook lacks (nothing is recorded)
    opened = open_for_build(config.archive)
    built = build_to_files(
        workbook,
        config,
        as_of_date,
        month=chosen_month,
        lang=lang,
        pdf_path=pdf_path,
        html_path=html_path,
        json_path=json_path,
        with_pdf=not no_pdf,
        templates=templates,
        announce=lambda path: click.echo(str(path)),
        archive=opened,  # and the review in each reader language the config names (build_to_files)
    )
    if built.revision is not None:  # worth a word: management will see "Revised" on the cover and the mail
        words = catalogue(lang or built.review.lang)
        sent_on = built.revision.replaces_sent_on.astimezone().strftime("%Y-%m-%d")
        click.echo(words.text("history.revises", version=built.revision.version, date=sent_on), err=True)
    if email and built.pdf is not None and opened is not None and opened.archive is not None:
        review = built.review
        results = deliver_everywhere(
            opened.archive,
            built.pdfs,
            review.lang,
            targets,
            resend=resend,
            findings=review.findings,
            allow_errors=force,
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
@click.option("--force", is_flag=True, help="Send a version a later one replaced (it says which).")
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
    lang = language(config.email.language)
    if eml_path is not None:
        message = compose_message(report, config.email, to=to or None, cc=cc or None, subject=subject)
        write_atomic(eml_path, message.as_bytes())
        click.echo(catalogue(lang).text("mail.eml_written", path=eml_path))
        return
    # a bad address, an unknown target or no link secret is a usage error before the archive is opened
    check_targets(
        targets_of(config, to=to or None, cc=cc or None, only=only, link_for=link_maker(config.serve))
    )
    with opened_archive(config) as archive:
        if not force:
            refuse_superseded(archive, report)
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
    words = catalogue(language(settings.language, config.email.language))
    click.echo(words.text("chat.test_ok", target=settings.name, kind=settings.kind.value, answer=answer.text))


@click.command(short_help=summary("init"))
@click.argument("output", type=click.Path(path_type=Path))
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default="en",
    show_default=True,
    help="Language of the sheets, headers, dropdowns and examples.",
)
@click.option("--force", is_flag=True, help="Replace OUTPUT if it exists.")
@click.option(
    "--as-of",
    "as_of",
    metavar="YYYY-MM-DD",
    help="The example rows sit in this date's month (default: today).",
)
def init(output: Path, lang: str, force: bool, as_of: str | None) -> None:
    """Write a starter workbook (headers, dropdowns, Goals and Rules sheets, examples, a how-to) and, when
    the folder has none, a commented reportgen.toml (mail, archive, the monthly schedule)."""
    if output.suffix.lower() != ".xlsx":
        raise UsageError("init_suffix", path=str(output))
    as_of_date = parse_as_of(as_of)
    if not force and (output.exists() or output.is_symlink()):
        raise InputError(output, "output_exists", lang=lang)
    write_atomic(output, starter_workbook(lang, as_of_date))
    click.echo(str(output))
    config = output.with_name(CONFIG_NAME)
    if not config.exists():  # a team's own settings are never replaced
        write_atomic(config, starter_config(lang).encode("utf-8"))
        click.echo(str(config))


def refuse_superseded(archive: Archive, report: Path) -> None:
    """A version of a month that a later one replaced at management is not mailed without --force: whoever
    gets it would read figures management no longer has. The message names the version that replaced it."""
    built = archive.build_for_pdf(pdf_digest(report))
    if built is None:
        return
    _, team, month, version = built
    delivered = archive.delivered(team, month)
    if delivered is not None and delivered.version > version:
        raise InputError(report, "superseded_version", team=team, month=month, version=version,
                         newer=delivered.version, when=delivered.sent_at.date().isoformat())  # fmt: skip


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
        when = min(result.already.values()).astimezone().strftime("%Y-%m-%d %H:%M")
        click.echo(words.text("mail.already_had", addresses=separator.join(sorted(result.already)), at=when))
    if result.in_doubt:
        when = min(result.in_doubt.values()).astimezone().strftime("%Y-%m-%d %H:%M")
        click.echo(
            words.text("mail.in_doubt_skipped", addresses=separator.join(sorted(result.in_doubt)), at=when)
        )
