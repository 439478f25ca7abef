"""`init`: a starter workbook and reportgen.toml for a team that has none yet (its own module, so that `build`
never loads the starter's templates)."""

from __future__ import annotations

from pathlib import Path

import click

from reportgen.apps.cli.listing import summary
from reportgen.apps.cli.options import parse_as_of
from reportgen.apps.starter import starter_config, starter_workbook
from reportgen.base.catalogue import LANGUAGES
from reportgen.base.config import CONFIG_NAME
from reportgen.base.errors import InputError, UsageError
from reportgen.base.files import write_atomic


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
