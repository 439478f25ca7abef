"""What the commands share: their common options, the edge where --as-of and --month are read, and the
archive a command cannot go on without."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reportgen.base.catalogue import LANGUAGES
from reportgen.base.config import Config
from reportgen.base.errors import DeliveryError, InputError, UsageError

if TYPE_CHECKING:  # the store loads SQLAlchemy: only the commands that open it pay
    from reportgen.archive.store import Archive

workbook_argument = click.argument("workbook", type=click.Path(path_type=Path, dir_okay=True, exists=False))
config_option = click.option(
    "--config", "config_path", type=click.Path(path_type=Path), help="reportgen.toml to use (default: found)."
)
as_of_option = click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="Review date (default: today).")
lang_option = click.option("--lang", type=click.Choice(LANGUAGES), help="Language (default: the sheet's).")
runner_option = click.option(  # the flag queue.runner.choose_runner reads, the same for every front end
    "--queue/--local",
    "use_queue",
    default=None,
    help="Build on the queue's workers, or on this machine (default: the queue when [queue] url is set).",
)


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


@contextmanager
def opened_archive(config: Config) -> Iterator[Archive]:
    """The archive, for a command that cannot go on without it (an ArchiveError, exit 4, otherwise), closed
    when the command is done with it."""
    from reportgen.archive.store import open_archive  # SQLAlchemy: 0.17 s --help never pays

    archive = open_archive(config.archive)
    try:
        yield archive
    finally:
        archive.close()


@contextmanager
def in_team_language(config: Config) -> Iterator[None]:
    """A cycle command's refusal in the team's language (`[email] language`), as its answer is: a team set
    to Chinese got "已批准：…" for an approve and "A draft of 2026-11 … waits" for a refusal. An error that
    knows its own language (a sheet's) keeps it, and `--lang`, where a command has it, still wins."""
    try:
        yield
    except (InputError, DeliveryError) as refused:
        if refused.lang is None:
            refused.lang = config.email.language
        raise
