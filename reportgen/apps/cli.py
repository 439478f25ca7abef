"""The command line: a thin click layer over the pipeline, and the only place errors become exit codes."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reportgen import __version__
from reportgen.apps.batch import BatchOptions, run_batch
from reportgen.apps.history import print_history, print_versions
from reportgen.apps.schedule import list_lines, next_lines, run_now, run_service, schedule_of
from reportgen.apps.starter import starter_config, starter_workbook
from reportgen.apps.watch import Watcher, WatchOptions
from reportgen.apps.worker import print_status, run_worker
from reportgen.base.catalogue import catalogue
from reportgen.base.config import CONFIG_NAME, Config, load_config
from reportgen.base.errors import ExitCode, InputError, ReportgenError, UsageError
from reportgen.base.files import write_atomic
from reportgen.base.model import Severity
from reportgen.cycle.runs import approve as approve_draft
from reportgen.cycle.runs import reject as reject_draft
from reportgen.delivery.dispatch import check_can_send
from reportgen.delivery.message import compose_message, resolve_recipients
from reportgen.figures.review import severity_counts, worst_first
from reportgen.pipeline.archiving import open_for_build
from reportgen.pipeline.build import build_to_files, check_workbook
from reportgen.pipeline.jobs import default_workers
from reportgen.pipeline.mailing import SendResult, send_once
from reportgen.rendering.pdf import import_renderer_early, renderer_imported
from reportgen.wording.documents import dumps, findings_document
from reportgen.wording.text import finding_message

if TYPE_CHECKING:  # the store loads SQLAlchemy: only a command that opens the archive pays for it
    from reportgen.archive.store import Archive

CHECK_TABLE_LIMIT = 200
SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "dim"}
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


class StderrHandler(logging.Handler):
    """Writes each record to whatever sys.stderr is when it comes (batch's progress display and click's test
    runner swap it), not to the stream of the moment the handler was made."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:
            self.handleError(record)


def configure_logging(verbose: int, quiet: bool) -> None:
    """The only logging set-up: reportgen's loggers at WARNING (INFO with -v: a line per stage with its time;
    DEBUG with -vv; ERROR with --quiet), other libraries' at WARNING (ERROR with --quiet), all to stderr.
    Calling it again replaces its handler, so a second `main` in one process logs each line once."""
    if quiet and verbose:
        raise UsageError("verbose_and_quiet")
    level = logging.ERROR if quiet else {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    root = logging.getLogger()
    for handler in [handler for handler in root.handlers if isinstance(handler, StderrHandler)]:
        root.removeHandler(handler)
    handler = StderrHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(handler)
    root.setLevel(max(level, logging.WARNING))
    logging.getLogger("reportgen").setLevel(level)


def _as_of(value: str | None) -> dt.date:
    """The as-of date: --as-of, else today (read here, at the edge, never inside a stage)."""
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise UsageError("bad_as_of", value=value) from exc


def _month(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.strptime(value, "%Y-%m")
    except ValueError as exc:
        raise UsageError("bad_month", value=value) from exc
    return f"{parsed.year:04d}-{parsed.month:02d}"


workbook_argument = click.argument("workbook", type=click.Path(path_type=Path, dir_okay=True, exists=False))
config_option = click.option(
    "--config", "config_path", type=click.Path(path_type=Path), help="reportgen.toml to use (default: found)."
)
as_of_option = click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="Review date (default: today).")
lang_option = click.option("--lang", type=click.Choice(["en", "zh"]), help="Language (default: the sheet's).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reportgen")
@click.option("--debug", is_flag=True, help="Show the cause of a user error as a traceback.")
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="Log each stage with its time on stderr (-vv: more detail).",
)
@click.option("-q", "--quiet", is_flag=True, help="Log only errors: no warnings on stderr.")
def cli(debug: bool, verbose: int, quiet: bool) -> None:
    """Turn a marketing-ops workbook into a monthly review."""
    configure_logging(verbose, quiet)


@cli.command()
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
    checked = check_workbook(workbook, config, _as_of(as_of))
    lang = lang or checked.sheet_lang
    if as_json:
        sys.stdout.buffer.write(dumps(findings_document(checked, lang), pretty=True))
        return
    # rich's tables cost 50 ms to import: only `check` draws them
    from rich.console import Console
    from rich.table import Table

    words = catalogue(lang)
    counts = severity_counts(checked.findings)
    console = Console(highlight=False, soft_wrap=False)
    table = Table(
        title=words.text(
            "check.title",
            workbook=workbook.name,
            errors=counts.errors,
            warnings=counts.warnings,
            infos=counts.infos,
        ),
        title_justify="left",
        show_lines=False,
    )
    table.add_column(words.text("check.col_severity"), no_wrap=True)
    table.add_column(words.text("check.col_cell"), no_wrap=True)
    table.add_column(words.text("check.col_message"), overflow="fold")
    ordered = worst_first(checked.findings)
    for finding in ordered[:CHECK_TABLE_LIMIT]:
        table.add_row(
            f"[{SEVERITY_STYLE[finding.severity]}]{words.text(f'severity.{finding.severity.value}')}[/]",
            finding.where,
            finding_message(finding, words),
        )
    if checked.findings:
        console.print(table)
    if len(ordered) > CHECK_TABLE_LIMIT:
        console.print(words.text("check.shown", shown=CHECK_TABLE_LIMIT, total=len(ordered)))
    months = sorted({row.activity.month for row in checked.rows})
    console.print(
        words.text(
            "check.usable", activities=len(checked.rows), months=len(months), first=months[0], last=months[-1]
        )
    )


@cli.command()
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
    chosen_month = _month(month)
    as_of_date = _as_of(as_of)
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
    if email:  # bad recipients or no sender are refused before the review is built
        resolve_recipients(config.email, to, cc)
    if not no_pdf:
        import_renderer_early()
    opened = open_for_build(config.archive) if not no_pdf else None
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
        archive=opened,
    )
    if built.revision is not None:  # worth a word: management will see "Revised" on the cover and the mail
        words = catalogue(lang or built.review.lang)
        sent_on = built.revision.replaces_sent_on.astimezone().strftime("%Y-%m-%d")
        click.echo(words.text("history.revises", version=built.revision.version, date=sent_on), err=True)
    if email and built.pdf is not None and opened is not None and opened.archive is not None:
        review = built.review
        result = send_once(
            opened.archive,
            built.pdf,
            config.email,
            to=to or None,
            cc=cc or None,
            resend=resend,
            findings=review.checked.findings,
            allow_errors=force,
            lang=review.lang,
        )
        _say_sent(built.pdf, result, config.email.language or review.lang)


def _say_sent(pdf_path: Path, result: SendResult, lang: str) -> None:
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


@cli.command()
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
def send(
    report: Path,
    to: tuple[str, ...],
    cc: tuple[str, ...],
    subject: str | None,
    config_path: Path | None,
    eml_path: Path | None,
    resend: bool,
) -> None:
    """Mail a review PDF: KPI cards and takeaways in the body, the PDF attached; exit 3 if not delivered.
    Each address gets one PDF once: a repeat is refused with when it was sent, unless --resend."""
    config = load_config(config_path, report)
    lang = config.email.language or "en"
    if eml_path is not None:
        message = compose_message(report, config.email, to=to or None, cc=cc or None, subject=subject)
        write_atomic(eml_path, message.as_bytes())
        click.echo(catalogue(lang).text("mail.eml_written", path=eml_path))
        return
    resolve_recipients(config.email, to, cc)  # a bad address is a usage error before the archive is opened
    archive = _open_archive(config)
    try:
        result = send_once(
            archive,
            report,
            config.email,
            to=to or None,
            cc=cc or None,
            subject=subject,
            resend=resend,
            lang=lang,
        )
    finally:
        archive.close()
    _say_sent(report, result, lang)


def _open_archive(config: Config) -> Archive:
    """The archive, for a command that cannot go on without it (an ArchiveError, exit 4, otherwise)."""
    from reportgen.archive.store import open_archive  # SQLAlchemy: 0.17 s that --help and check never pay

    return open_archive(config.archive)


@cli.command()
@click.argument("output", type=click.Path(path_type=Path))
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
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
    as_of_date = _as_of(as_of)
    if not force and (output.exists() or output.is_symlink()):
        raise InputError(output, "output_exists", lang=lang)
    write_atomic(output, starter_workbook(lang, as_of_date))
    click.echo(str(output))
    config = output.with_name(CONFIG_NAME)
    if not config.exists():  # a team's own settings are never replaced
        write_atomic(config, starter_config(lang).encode("utf-8"))
        click.echo(str(config))


def _language_of(argv: Sequence[str]) -> str | None:
    for index, arg in enumerate(argv):
        if arg == "--lang" and index + 1 < len(argv):
            return argv[index + 1] if argv[index + 1] in ("en", "zh") else "en"
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1] if arg.split("=", 1)[1] in ("en", "zh") else "en"
    return None


# Commands that end when their outputs are written: their objects need no tearing down.
SHORT_COMMANDS = frozenset({"build", "check", "init", "send", "approve", "reject"})


def run() -> None:
    """The console entry point: `main`, then, after a short command, the process ends without deallocating
    what it built one object at a time (0.6 s for a 100,000-row review); its files are already written and
    renamed, and its output is flushed first. Long-lived commands (serve, watch, batch) exit normally."""
    code = main()
    if SHORT_COMMANDS.intersection(sys.argv[1:2]):
        with contextlib.suppress(OSError):  # a closed pipe is no reason to tear everything down after all
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)
    raise SystemExit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the command and turn a user error into its message and exit code, once."""
    args = list(sys.argv[1:] if argv is None else argv)
    # A command is a short pipeline that builds many objects and no reference cycles: the cyclic collector
    # would only re-walk them (10% of a 100,000-row build), so it is paused for the command's life.
    gc.disable()
    try:
        cli.main(args=args, prog_name="reportgen", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return ExitCode.USAGE if isinstance(exc, click.UsageError) else int(exc.exit_code)
    except click.Abort:
        click.echo("Aborted.", err=True)
        return ExitCode.BAD_INPUT
    except ReportgenError as exc:
        if "--debug" in args:
            traceback.print_exception(exc)
        click.echo(f"reportgen: {exc.message(_language_of(args))}", err=True)
        return int(exc.exit_code)
    finally:
        gc.enable()
        renderer_imported()  # a build that failed early may still be importing WeasyPrint: let it finish
    return ExitCode.OK


@cli.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback unless told)."
)
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on."
)
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="NAME",
    help="Also answer requests for this host name (repeatable).",
)
@as_of_option
@config_option
def serve(
    host: str, port: int, allow_hosts: tuple[str, ...], as_of: str | None, config_path: Path | None
) -> None:
    """A local page: drop a workbook, see its findings, preview, download and send the review."""
    gc.enable()  # a server lives long: the pause that suits a short command would let cycles pile up
    # starlette and uvicorn cost 0.2 s to import: no other command should pay it
    from reportgen.apps.serve import app as web

    config = load_config(config_path, None)
    options = web.ServeOptions(host, port, tuple(allow_hosts), _as_of(as_of) if as_of else None)
    web.serve(options, config)


@cli.command()
@click.argument("workbooks", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the reviews (<stem>-<YYYY-MM>.pdf each).",
)
@click.option("--jobs", type=click.IntRange(min=1), help="Workbooks built at once (default: CPU count).")
@click.option("--month", metavar="YYYY-MM", help="Month to review (default: each workbook's latest).")
@as_of_option
@config_option
@lang_option
@click.option("--email", is_flag=True, help="Mail each review (as build --email does).")
@click.option("--queue", "use_queue", is_flag=True, help="Build on the queue's workers ([queue] url).")
def batch(
    workbooks: tuple[Path, ...],
    out_dir: Path,
    jobs: int | None,
    month: str | None,
    as_of: str | None,
    config_path: Path | None,
    lang: str | None,
    email: bool,
    use_queue: bool,
) -> None:
    """Build many workbooks in parallel worker processes; exit 1 if any failed, after all the others."""
    try:
        run_batch(
            BatchOptions(
                workbooks,
                out_dir,
                jobs or default_workers(),
                _month(month),
                _as_of(as_of),
                config_path,
                lang,
                email,
                use_queue,
            )
        )
    except KeyboardInterrupt:  # the workers are stopped; no traceback for Ctrl-C
        raise click.Abort() from None


@cli.command()
@click.argument("inbox", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the reviews (default: INBOX/out).",
)
@click.option("--email", is_flag=True, help="Mail each review (as build --email does).")
@as_of_option
@config_option
@lang_option
@click.option(
    "--settle",
    type=click.FloatRange(min=0.1),
    default=2.0,
    show_default=True,
    help="Seconds a file must stay unchanged before it is read.",
)
@click.option("--poll", is_flag=True, help="Poll the folder instead of using filesystem events.")
def watch(
    inbox: Path,
    out_dir: Path | None,
    email: bool,
    as_of: str | None,
    config_path: Path | None,
    lang: str | None,
    settle: float,
    poll: bool,
) -> None:
    """Build the review of every workbook dropped into INBOX, once per version, until Ctrl-C."""
    as_of_date = _as_of(as_of) if as_of is not None else None
    if email:  # no sender or no recipients: refused before watching
        check_can_send(load_config(config_path, inbox / "workbook.xlsx").email)
    if not inbox.is_dir():
        raise InputError(inbox, "inbox_missing")
    inbox = inbox.resolve()
    out = (out_dir or inbox / "out").resolve()
    if out == inbox:
        raise UsageError("watch_out_is_inbox")
    options = WatchOptions(inbox, out, as_of_date, config_path, lang, email, settle, poll)
    Watcher(options, lambda line: click.echo(line)).run()


@cli.group(invoke_without_command=True)
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
    archive = _open_archive(config)
    try:
        print_history(archive, team, _month(month), as_json, lang or "en")
    finally:
        archive.close()


@history.command("show")
@click.argument("team")
@click.argument("month", metavar="YYYY-MM")
@config_option
@lang_option
def history_show(team: str, month: str, config_path: Path | None, lang: str | None) -> None:
    """The versions of one review and what was sent when."""
    config = load_config(config_path, None)
    archive = _open_archive(config)
    try:
        print_versions(archive, team, _month(month) or month, lang or "en")
    finally:
        archive.close()


@cli.command()
@click.option("--concurrency", type=click.IntRange(min=1), help="Builds run at once (default: one per CPU).")
@config_option
def worker(concurrency: int | None, config_path: Path | None) -> None:
    """Run builds and sends from the queue ([queue] url) until Ctrl-C or SIGTERM."""
    gc.enable()  # a service lives long: the pause that suits a short command would let cycles pile up
    config = load_config(config_path, None)
    code = run_worker(config, concurrency or default_workers(), lambda line: click.echo(line))
    if code:
        raise click.exceptions.Exit(code)


@cli.group()
def queue() -> None:
    """The queue of builds and sends that `reportgen worker`s run ([queue] url)."""


@queue.command("status")
@config_option
@lang_option
def queue_status(config_path: Path | None, lang: str | None) -> None:
    """The workers, the tasks waiting and running, and the latest failures with their reason."""
    config = load_config(config_path, None)
    print_status(config, lang or config.email.language or "en", lambda line: click.echo(line))


@cli.group()
def schedule() -> None:
    """The monthly cycle: build on its day, the lead approves, then management gets it ([schedule])."""


@schedule.command("run")
@config_option
def schedule_run(config_path: Path | None) -> None:
    """Run the schedule in the foreground until Ctrl-C (a systemd unit or Task Scheduler keeps it up)."""
    gc.enable()  # a service lives long: the pause that suits a short command would let cycles pile up
    config = load_config(config_path, None)
    schedule_of(config)
    archive = _open_archive(config)
    try:
        run_service(config.path or config_path, archive, lambda line: click.echo(line))
    finally:
        archive.close()


@schedule.command("next")
@config_option
@lang_option
def schedule_next(config_path: Path | None, lang: str | None) -> None:
    """When each team's next run is (local time), and where its last month stands."""
    config = load_config(config_path, None)
    schedule_of(config)
    archive = _open_archive(config)
    try:
        lines = next_lines(archive, config, dt.datetime.now(dt.UTC), lang or config.email.language or "en")
    finally:
        archive.close()
    for line in lines:
        click.echo(line)


@schedule.command("list")
@config_option
@lang_option
def schedule_list(config_path: Path | None, lang: str | None) -> None:
    """The teams the schedule builds for, with their workbook and when."""
    config = load_config(config_path, None)
    schedule_of(config)
    archive = _open_archive(config)
    try:
        lines = list_lines(archive, config, lang or config.email.language or "en")
    finally:
        archive.close()
    for line in lines:
        click.echo(line)


@schedule.command("run-now")
@click.argument("team")
@config_option
def schedule_run_now(team: str, config_path: Path | None) -> None:
    """Run one team's month now (the month just ended), as the schedule would."""
    config = load_config(config_path, None)
    schedule_of(config)
    archive = _open_archive(config)
    try:
        run_now(archive, config, team, dt.datetime.now(dt.UTC))
        for line in next_lines(archive, config, dt.datetime.now(dt.UTC), config.email.language or "en"):
            click.echo(line)
    finally:
        archive.close()


@cli.command()
@click.argument("team")
@click.argument("month", metavar="YYYY-MM")
@config_option
def approve(team: str, month: str, config_path: Path | None) -> None:
    """Send the draft waiting for approval, exactly as drafted, to management."""
    config = load_config(config_path, None)
    archive = _open_archive(config)
    try:
        result = approve_draft(archive, config, team, _month(month) or month)
    finally:
        archive.close()
    words = catalogue(config.email.language or "en")
    click.echo(words.text("cycle.approved", team=team, month=month, count=len(result.receipt.accepted)))


@cli.command()
@click.argument("team")
@click.argument("month", metavar="YYYY-MM")
@click.option("--reason", required=True, help="Why the draft is turned down (recorded).")
@config_option
def reject(team: str, month: str, reason: str, config_path: Path | None) -> None:
    """Turn the draft down, with the reason; the next run builds a new version."""
    config = load_config(config_path, None)
    archive = _open_archive(config)
    try:
        reject_draft(archive, team, _month(month) or month, reason)
    finally:
        archive.close()
    click.echo(catalogue(config.email.language or "en").text("cycle.rejected", team=team, month=month))
