"""One workbook's commands: check it and build its review (delivering it: apps/cli/delivering.py; a starter
workbook: apps/cli/starter.py)."""

from __future__ import annotations

import logging
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
    parse_as_of,
    parse_month,
    workbook_argument,
)
from reportgen.base.catalogue import catalogue
from reportgen.base.config import load_config
from reportgen.base.errors import UsageError
from reportgen.base.model import Severity
from reportgen.figures.document import dumps
from reportgen.figures.review import error_cells, severity_counts, shown_cells, worst_first
from reportgen.pipeline.archiving import open_for_build
from reportgen.pipeline.build import build_to_files, check_workbook
from reportgen.wording.documents import findings_document
from reportgen.wording.text import finding_message

logger = logging.getLogger(__name__)

if TYPE_CHECKING:  # delivery is imported by `build --email` only
    from reportgen.delivery.targets import Target

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
        from reportgen.apps.cli import delivering  # mail and chat: loaded only when asked for

        targets = delivering.checked_targets(config, to, cc)
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
        sent_on = built.revision.replaces_sent_on.date().isoformat()  # in the team's zone, as on the cover
        click.echo(words.text("history.revises", version=built.revision.version, date=sent_on), err=True)
    cells = error_cells(built.review.findings)
    if cells and built.pdf is not None and not email:  # worth a word before anyone sends it (--email refuses)
        words = catalogue(lang or built.review.lang)
        logger.warning(
            "%s",
            words.text(
                "history.built_with_errors",
                month=built.review.month,
                count=len(cells),
                cells=", ".join(shown_cells(cells)),
                send=words.text(
                    "history.send_mails_as_is" if config.email.send_with_errors else "history.send_holds_back"
                ),
            ),
        )  # fmt: skip (--quiet hides it)
    if email and built.pdf is not None and opened is not None and opened.archive is not None:
        delivering.deliver_built(opened.archive, built, targets, config, resend=resend, force=force)
