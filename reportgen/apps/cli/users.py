"""`reportgen users`: the accounts that sign in to serve's department page, kept in the archive.

A password is never an argument (it would sit in the shell's history and in `ps`): it is asked for twice on
a terminal, or read as the first line of standard input (`printf '%s\\n' "$PW" | reportgen users add ...`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reportgen.apps.cli.listing import summary
from reportgen.apps.cli.options import config_option, opened_archive
from reportgen.base.catalogue import catalogue, language
from reportgen.base.config import load_config
from reportgen.base.errors import InputError, UsageError

ROLE_HELP = "ROLE:TEAM, ROLE head, lead or viewer, TEAM a team's name or workbook stem, or * (every team)."


def read_password(words_lang: str) -> str:
    """Twice at a terminal's hidden prompt, else the first line of standard input."""
    words = catalogue(words_lang)
    if sys.stdin is not None and sys.stdin.isatty():
        return str(
            click.prompt(
                words.text("users.password_prompt"),
                hide_input=True,
                confirmation_prompt=words.text("users.password_again"),
            )
        )
    line = sys.stdin.readline() if sys.stdin is not None else ""
    password = line.rstrip("\r\n")
    if not password:
        raise UsageError("password_none")
    return password


@click.group(short_help=summary("users"))
def users() -> None:
    """The accounts that sign in to serve's department page, and their roles per team (in the archive)."""


@users.command("add")
@click.argument("name")
@click.option("--role", "role_texts", multiple=True, required=True, metavar="ROLE:TEAM", help=ROLE_HELP)
@config_option
def users_add(name: str, role_texts: tuple[str, ...], config_path: Path | None) -> None:
    """Add an account; its password is asked for (or read from standard input)."""
    from reportgen.archive.accounts import Accounts, check_name, parse_grant

    config = load_config(config_path, None)
    lang = language(config.email.language)
    grants = [parse_grant(text) for text in role_texts]
    folded = check_name(name)
    password = read_password(lang)
    with opened_archive(config) as archive:
        account = Accounts(archive).add(folded, password, grants)
    roles = ", ".join(str(grant) for grant in account.grants)
    click.echo(catalogue(lang).text("users.added", name=account.name, roles=roles))


@users.command("list")
@config_option
def users_list(config_path: Path | None) -> None:
    """Every account with its roles."""
    from reportgen.archive.accounts import Accounts

    config = load_config(config_path, None)
    words = catalogue(language(config.email.language))
    with opened_archive(config) as archive:
        accounts = Accounts(archive).all()
    if not accounts:
        click.echo(words.text("users.none"))
        return
    for account in accounts:
        roles = ", ".join(str(grant) for grant in account.grants) or "-"
        created = account.created_at.date().isoformat()
        click.echo(words.text("users.line", name=account.name, roles=roles, created=created))


@users.command("remove")
@click.argument("name")
@config_option
def users_remove(name: str, config_path: Path | None) -> None:
    """Remove an account; its sessions end at once."""
    from reportgen.archive.accounts import Accounts

    config = load_config(config_path, None)
    words = catalogue(language(config.email.language))
    with opened_archive(config) as archive:
        if not Accounts(archive).remove(name):
            raise InputError(None, "no_such_user", name=name[:100])
    click.echo(words.text("users.removed", name=name))


@users.command("passwd")
@click.argument("name")
@config_option
def users_passwd(name: str, config_path: Path | None) -> None:
    """Set an account's password (asked for, or read from standard input); its sessions end."""
    from reportgen.archive.accounts import Accounts

    config = load_config(config_path, None)
    lang = language(config.email.language)
    with opened_archive(config) as archive:
        accounts = Accounts(archive)
        if accounts.find(name) is None:
            raise InputError(None, "no_such_user", name=name[:100])
        password = read_password(lang)
        accounts.set_password(name, password)
    click.echo(catalogue(lang).text("users.password_set", name=name))


@users.command("roles")
@click.argument("name")
@click.option("--role", "role_texts", multiple=True, required=True, metavar="ROLE:TEAM", help=ROLE_HELP)
@config_option
def users_roles(name: str, role_texts: tuple[str, ...], config_path: Path | None) -> None:
    """Replace an account's roles."""
    from reportgen.archive.accounts import Accounts, parse_grant

    config = load_config(config_path, None)
    grants = [parse_grant(text) for text in role_texts]
    with opened_archive(config) as archive:
        if not Accounts(archive).set_roles(name, grants):
            raise InputError(None, "no_such_user", name=name[:100])
    roles = ", ".join(str(grant) for grant in grants)
    click.echo(catalogue(language(config.email.language)).text("users.roles_set", name=name, roles=roles))
