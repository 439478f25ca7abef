"""The monthly cycle's commands: the archive's history, the schedule, and the lead's approve or reject."""

from __future__ import annotations

import datetime as dt
import gc
from pathlib import Path

import click

from reportgen.apps.cli.listing import summary
from reportgen.apps.cli.options import config_option, lang_option, opened_archive, parse_month
from reportgen.apps.history import print_history, print_versions
from reportgen.apps.schedule import list_lines, next_lines, run_now, run_service, schedule_of
from reportgen.base.catalogue import catalogue, language
from reportgen.base.config import load_config
from reportgen.cycle.runs import approve as approve_draft
from reportgen.cycle.runs import reject as reject_draft


@click.group(short_help=summary("history"), invoke_without_command=True)
@click.option("--team", help="Only this team's reviews.")
@click.option("--month", metavar="YYYY-MM", help="Only this month's reviews.")
@click.option("--json", "as_json", is_flag=True, help="Print the history as JSON.")
@config_option
@lang_option
@click.pass_context
def history(
    context: click.Context,
    team: str | None,
    month: str | None,
    as_json: bool,
    config_path: Path | None,
    lang: str | None,
) -> None:
    """What was built and sent, newest first, from the archive."""
    if context.invoked_subcommand is not None:
        return
    config = load_config(config_path, None)
    with opened_archive(config) as archive:
        print_history(archive, team, parse_month(month), as_json, language(lang))


@history.command("show")
@click.argument("team")
@click.argument("month", metavar="YYYY-MM")
@config_option
@lang_option
def history_show(team: str, month: str, config_path: Path | None, lang: str | None) -> None:
    """The versions of one review and what was sent when."""
    config = load_config(config_path, None)
    with opened_archive(config) as archive:
        print_versions(archive, team, parse_month(month) or month, language(lang))


@click.group(
    short_help=summary("schedule"),
)
def schedule() -> None:
    """The monthly cycle: build on its day, the lead approves, then management gets it ([schedule])."""


@schedule.command("run")
@config_option
def schedule_run(config_path: Path | None) -> None:
    """Run the schedule in the foreground until Ctrl-C (a systemd unit or Task Scheduler keeps it up)."""
    gc.enable()  # a service lives long: the pause that suits a short command would let cycles pile up
    config = load_config(config_path, None)
    schedule_of(config)
    with opened_archive(config) as archive:
        run_service(config.path or config_path, archive, lambda line: click.echo(line))


@schedule.command("next")
@config_option
@lang_option
def schedule_next(config_path: Path | None, lang: str | None) -> None:
    """When each team's next run is (local time), and where its last month stands."""
    config = load_config(config_path, None)
    schedule_of(config)
    with opened_archive(config) as archive:
        lines = next_lines(archive, config, dt.datetime.now(dt.UTC), language(lang, config.email.language))
    for line in lines:
        click.echo(line)


@schedule.command("list")
@config_option
@lang_option
def schedule_list(config_path: Path | None, lang: str | None) -> None:
    """The teams the schedule builds for, with their workbook and when."""
    config = load_config(config_path, None)
    schedule_of(config)
    with opened_archive(config) as archive:
        lines = list_lines(archive, config, language(lang, config.email.language))
    for line in lines:
        click.echo(line)


@schedule.command("run-now")
@click.argument("team")
@config_option
def schedule_run_now(team: str, config_path: Path | None) -> None:
    """Run one team's month now (the month just ended), as the schedule would."""
    config = load_config(config_path, None)
    schedule_of(config)
    with opened_archive(config) as archive:
        run_now(archive, config, team, dt.datetime.now(dt.UTC))
        for line in next_lines(archive, config, dt.datetime.now(dt.UTC), language(config.email.language)):
            click.echo(line)


@click.command(short_help=summary("approve"))
@click.argument("team")
@click.argument("month", metavar="YYYY-MM")
@config_option
def approve(team: str, month: str, config_path: Path | None) -> None:
    """Send the draft waiting for approval, exactly as drafted, to management."""
    config = load_config(config_path, None)
    with opened_archive(config) as archive:
        result = approve_draft(archive, config, team, parse_month(month) or month)
    words = catalogue(language(config.email.language))
    click.echo(words.text("cycle.approved", team=team, month=month, count=len(result.receipt.accepted)))


@click.command(short_help=summary("reject"))
@click.argument("team")
@click.argument("month", metavar="YYYY-MM")
@click.option("--reason", required=True, help="Why the draft is turned down (recorded).")
@config_option
def reject(team: str, month: str, reason: str, config_path: Path | None) -> None:
    """Turn the draft down, with the reason; the next run builds a new version."""
    config = load_config(config_path, None)
    with opened_archive(config) as archive:
        reject_draft(archive, team, parse_month(month) or month, reason)
    click.echo(catalogue(language(config.email.language)).text("cycle.rejected", team=team, month=month))
