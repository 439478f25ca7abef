"""What the commands share: their common options, the edge where --as-of and --month are read, the archive a
command cannot go on without, and the words after a send."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reportgen.base.catalogue import catalogue
from reportgen.base.config import Config
from reportgen.base.errors import UsageError

if TYPE_CHECKING:  # the store loads SQLAlchemy and the send result the mail stack: only their commands pay
    from reportgen.archive.store import Archive
    from reportgen.pipeline.mailing import SendResult

workbook_argument = click.argument("workbook", type=click.Path(path_type=Path, dir_okay=True, exists=False))
config_option = click.option(
    "--config", "config_path", type=click.Path(path_type=Path), help="reportgen.toml to use (default: found)."
)
as_of_option = click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="Review date (default: today).")
lang_option = click.option("--lang", type=click.Choice(["en", "zh"]), help="Language (default: the sheet's).")


def parse_as_of(value: str | None) -> dt.date:
    """The as-of date: --as-of, else today (read here, at the edge, never inside a stage)."""
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise UsageError("bad_as_of", value=value) from exc


def parse_month(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.strptime(value, "%Y-%m")
    except ValueError as exc:
        raise UsageError("bad_month", value=value) from exc
    return f"{parsed.year:04d}-{parsed.month:02d}"


def open_archive(config: Config) -> Archive:
    """The archive, for a command that cannot go on without it (an ArchiveError, exit 4, otherwise)."""
    from reportgen.archive.store import open_archive as open_store  # SQLAlchemy: 0.17 s --help never pays

    return open_store(config.archive)


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
