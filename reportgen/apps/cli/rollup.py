"""`reportgen rollup`: the head of marketing's roll-up of every team's month, from the archive alone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reportgen.apps.cli.listing import summary
from reportgen.apps.cli.options import config_option, opened_archive, parse_month
from reportgen.base.catalogue import LANGUAGES, language
from reportgen.base.config import Config, load_config
from reportgen.base.errors import UsageError

if TYPE_CHECKING:  # the store loads SQLAlchemy: only a command that opens the archive pays for it
    from reportgen.archive.store import Archive
    from reportgen.figures.rollup import Replaced, Rollup
    from reportgen.pipeline.mailing import TargetResult


def _team_names(values: tuple[str, ...]) -> list[str]:
    """--teams A,B --teams C: the names in order, each once."""
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    return list(dict.fromkeys(names))


def _resolved(archive: Archive, config: Config, names: list[str]) -> list[str]:
    """Each name as the archive files the team's reviews (an unknown one is refused, with the known teams)."""
    if not names:
        return []
    from reportgen.cycle.teams import resolve_team  # the schedule's machinery: only when teams are named

    return [resolve_team(archive, config, name).review for name in names]


@click.command(short_help=summary("rollup"))
@click.option("--month", required=True, metavar="YYYY-MM", help="The month to roll up.")
@click.option("--teams", "teams", multiple=True, metavar="A,B,…",
              help="Only these teams (the review's team or its workbook's name; default: every team with "
                   "a review of the month or the month before).")  # fmt: skip
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, path_type=Path),
              help="PDF to write (default: rollup-<YYYY-MM>.pdf here).")  # fmt: skip
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the roll-up's figures and claims as JSON.")  # fmt: skip
@click.option("--no-pdf", is_flag=True, help="Skip the PDF (with --json).")
@click.option("--email", is_flag=True, help="Deliver the PDF to [department] to and every chat target, once.")
@click.option("--resend", is_flag=True, help="With --email: deliver it again to those who already have it.")
@config_option
@click.option("--lang", type=click.Choice(LANGUAGES), help="Language of the roll-up (default: English).")
def rollup(
    month: str,
    teams: tuple[str, ...],
    output: Path | None,
    json_path: Path | None,
    no_pdf: bool,
    email: bool,
    resend: bool,
    config_path: Path | None,
    lang: str | None,
) -> None:
    """One review of every team's month for the head of marketing: teams delivered, waiting, blocked and
    missing, the department's KPIs, the teams side by side, what needs attention; read from the archive
    (the delivered version of each team's month, else the latest, marked so), never the workbooks."""
    from reportgen.cycle.lifecycle import month_status
    from reportgen.cycle.rollup import deliver, inputs_digest, record_rollup
    from reportgen.pipeline.rollup import read_rollup, rollup_targets, write_rollup

    chosen_month = parse_month(month) or month
    if no_pdf and json_path is None:
        raise UsageError("nothing_to_write")
    if email and no_pdf:
        raise UsageError("email_without_pdf")
    lang_chosen = language(lang)
    config = load_config(config_path, None)
    pdf_path = None if no_pdf else (output or Path(f"rollup-{chosen_month}.pdf"))
    with opened_archive(config) as archive:
        names = _resolved(archive, config, _team_names(teams))
        # the roll-up of every team is a version of the month's roll-up, recorded before anyone is told (as
        # the schedule does); a roll-up of some teams only is delivered, not recorded
        inputs = inputs_digest(archive, chosen_month) if email and not names else None  # before reading
        if email:
            rollup_targets(config)  # refused before anything is written or recorded
        replaced = _replaced(archive, chosen_month, inputs, pdf_path) if email else None
        result = read_rollup(
            archive, config, chosen_month, names,
            lambda team, each: month_status(archive, team, each), replaced,
        )  # fmt: skip
        written = write_rollup(result, config, lang_chosen, pdf_path, json_path)
        for path in (written.pdf, written.json):
            if path is not None:
                click.echo(path)
        if email and written.pdf is not None:
            from reportgen.apps.cli.delivering import say_delivered

            if inputs is not None:
                today = dt.date.today()  # each reader's copy written beside the PDF is named, as build does
                record_rollup(
                    archive, config, result, lang_chosen, written.pdf, inputs, today, announce=click.echo
                )
                delivered = deliver(archive, config, written.pdf, lang_chosen, resend=resend)
            else:
                delivered = _deliver_unrecorded(archive, config, result, written.pdf, lang_chosen, resend)
            say_delivered(delivered, lang_chosen)


def _replaced(archive: Archive, month: str, inputs: str | None, pdf: Path | None) -> Replaced | None:
    """The roll-up this one replaces, so a re-issue names the teams changed since: for the month's roll-up
    (`inputs`), the newest version before its own that was delivered, with the team versions it showed
    (sending a version again keeps its label); for a roll-up of some teams, which the archive does not
    keep, when the last PDF of the same name went out."""
    from reportgen.base.department import DEPARTMENT_TEAM
    from reportgen.figures.rollup import Replaced

    if inputs is not None:
        plan = archive.plan_version(DEPARTMENT_TEAM, month, inputs)
        before = archive.delivered(DEPARTMENT_TEAM, month, below=plan.version)
        return Replaced.of_document(before.sent_at, before.figures) if before is not None else None
    sent_at = archive.last_reached(pdf.name) if pdf is not None else None
    return Replaced(sent_at) if sent_at is not None else None


def _deliver_unrecorded(
    archive: Archive, config: Config, result: Rollup, pdf: Path, lang: str, resend: bool
) -> list[TargetResult]:
    """A roll-up of some teams to every reader, each in their language (copies written beside it, not
    recorded)."""
    from reportgen.pipeline.rollup import deliver_rollup, rollup_in_each_language

    pdfs = rollup_in_each_language(result, config, lang, pdf, announce=click.echo)
    return deliver_rollup(archive, config, pdfs, lang, resend=resend)
