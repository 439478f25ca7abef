"""The monthly cycle's commands: the archive's history, the schedule, and the lead's approve or reject."""

from __future__ import annotations

import datetime as dt
import gc
from pathlib import Path

import click

from reportgen.apps.cli.listing import summary
from reportgen.apps.cli.options import (
    config_option,
    in_team_language,
    lang_option,
    opened_archive,
    parse_month,
)
from reportgen.apps.history import print_history, print_versions, write_version_pdf
from reportgen.apps.schedule import list_lines, next_lines, run_now, run_service, schedule_of
from reportgen.base.catalogue import catalogue, language
from reportgen.base.config import load_config
from reportgen.base.department import DEPARTMENT_TEAM
from reportgen.base.errors import UsageError
from reportgen.cycle.rollup import approve_rollup, is_department
from reportgen.cycle.runs import approve as approve_draft
from reportgen.cycle.runs import reject as reject_draft
from reportgen.cycle.teams import resolve_team


@click.group(short_help=summary("history"), invoke_without_command=True)
@click.option("--team", help="Only this team's reviews (the review's team or its workbook's name).")
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
        named = resolve_team(archive, config, team).review if team is not None else None
        print_history(archive, named, parse_month(month), as_json, language(lang), config.zone)


@history.command("show")
@click.argument("team")
@click.argument("month", metavar="YYYY-MM")
@click.option("--version", "version", type=click.IntRange(min=1), metavar="N",
              help="With --pdf: the version whose PDF to write (default: the newest).")  # fmt: skip
@click.option("--pdf", "pdf_out", type=click.Path(dir_okay=False, path_type=Path), metavar="OUT.pdf",
              help="Write the version's PDF, as the archive kept it, to OUT.pdf (no listing).")  # fmt: skip
@config_option
@lang_option
def history_show(
    team: str, month: str, version: int | None, pdf_out: Path | None, config_path: Path | None,
    lang: str | None,
) -> None:  # fmt: skip
    """The versions of one review and what was sent when (TEAM: the review's team or its workbook's name);
    with --pdf, the PDF of one of them."""
    if version is not None and pdf_out is None:
        raise UsageError("version_without_pdf")
    config = load_config(config_path, None)
    with opened_archive(config) as archive:
        named = resolve_team(archive, config, team).review
        if pdf_out is not None:
            write_version_pdf(archive, named, parse_month(month) or month, version, pdf_out, language(lang),
                              config.zone)  # fmt: skip
            return
        print_versions(archive, named, parse_month(month) or month, language(lang), config.zone)


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
@click.option("--revise", is_flag=True, help="Revise a month management already has (a changed workbook).")
@config_option
def schedule_run_now(team: str, revise: bool, config_path: Path | None) -> None:
    """Run one team's month now (the month just ended), as the schedule would, and say what it did (TEAM
    "department": the department's roll-up, when [department] day is set). A month
    already delivered to management is sent again only as a revision (--revise)."""
    config = load_config(config_path, None)
    schedule_of(config)
    with in_team_language(config), opened_archive(config) as archive:
        line = run_now(archive, config, team, dt.datetime.now(dt.UTC), revise=revise)
    click.echo(line)


@click.command(short_help=summary("approve"))
@click.argument("team")
@click.argument("month", metavar="YYYY-MM")
@click.option("--with-errors", is_flag=True, help="Send a draft whose month has errors as it is (recorded).")
@config_option
def approve(team: str, month: str, with_errors: bool, config_path: Path | None) -> None:
    """Send the draft waiting for approval, exactly as drafted, to management (and, for a revision, to
    everyone who had the earlier version). TEAM "department" (or [department] name) approves the
    department's roll-up: it goes to [department] to and every chat target."""
    config = load_config(config_path, None)
    chosen = parse_month(month) or month
    if is_department(team, config):  # the department's roll-up (cycle/rollup.py)
        with in_team_language(config), opened_archive(config) as archive:
            _, delivered = approve_rollup(archive, config, chosen)
        words = catalogue(language(config.email.language))
        count = sum(len(each.result.receipt.accepted) for each in delivered)
        click.echo(words.text("department_cycle.approved", month=chosen, count=count))
        click.echo(words.text("cycle.recorded_as", by=approval_by()))
        return
    with in_team_language(config), opened_archive(config) as archive:
        named = resolve_team(archive, config, team)  # the review's team or the workbook's name, any case
        team = named.key or named.review
        delivered_before = archive.delivered(named.review, chosen)
        approval, results = approve_draft(archive, config, team, chosen, with_errors=with_errors)
    words = catalogue(language(config.email.language))
    count = sum(len(each.result.receipt.accepted) for each in results)
    if delivered_before is not None:
        line = words.text("cycle.approved_revision", team=team, month=month, count=count,
                          version=delivered_before.version)  # fmt: skip
    elif approval.errors:
        line = words.text("cycle.approved_with_errors", team=team, month=month, count=count,
                          errors=approval.errors)  # fmt: skip
    else:
        line = words.text("cycle.approved", team=team, month=month, count=count)
    click.echo(line)
    click.echo(words.text("cycle.recorded_as", by=approval_by()))


@click.command(short_help=summary("reject"))
@click.argument("team")
@click.argument("month", metavar="YYYY-MM")
@click.option("--reason", required=True, help="Why the draft is turned down (recorded, and shown).")
@config_option
def reject(team: str, month: str, reason: str, config_path: Path | None) -> None:
    """Turn the draft down, with the reason; the next run builds a new version. TEAM "department" (or
    [department] name) turns down the department's roll-up."""
    config = load_config(config_path, None)
    words = catalogue(language(config.email.language))
    if is_department(team, config):  # the department's roll-up: the same decision, its own words
        with in_team_language(config), opened_archive(config) as archive:
            reject_draft(archive, DEPARTMENT_TEAM, parse_month(month) or month, reason)
        click.echo(words.text("department_cycle.rejected", month=month))
        click.echo(words.text("cycle.recorded_as", by=approval_by()))
        return
    with in_team_language(config), opened_archive(config) as archive:
        named = resolve_team(archive, config, team)
        team = named.key or named.review
        reject_draft(archive, team, parse_month(month) or month, reason)
    click.echo(words.text("cycle.rejected", team=team, month=month))
    click.echo(words.text("cycle.recorded_as", by=approval_by()))


def approval_by() -> str:
    """Who the command line records as deciding: the OS user running it (serve's page records the signed-in
    person instead)."""
    import getpass

    return getpass.getuser()
