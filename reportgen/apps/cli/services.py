"""The commands that run for a while: the local page, many workbooks at once, the watched folder, and the
queue's workers with their status."""

from __future__ import annotations

import gc
from pathlib import Path

import click

from reportgen.apps.batch import BatchOptions, run_batch
from reportgen.apps.cli.listing import summary
from reportgen.apps.cli.options import (
    as_of_option,
    config_option,
    lang_option,
    parse_as_of,
    parse_month,
    runner_option,
)
from reportgen.apps.watch import Watcher, WatchOptions
from reportgen.apps.worker import print_status, run_worker
from reportgen.base.catalogue import language
from reportgen.base.config import load_config
from reportgen.base.errors import InputError, UsageError
from reportgen.delivery.targets import check_can_deliver
from reportgen.pipeline.jobs import default_workers
from reportgen.queue.runner import choose_runner


@click.command(short_help=summary("serve"))
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
@runner_option
def serve(
    host: str,
    port: int,
    allow_hosts: tuple[str, ...],
    as_of: str | None,
    config_path: Path | None,
    use_queue: bool | None,
) -> None:
    """A local page: drop a workbook, see its findings, preview, download and send the review."""
    gc.enable()  # a server lives long: the pause that suits a short command would let cycles pile up
    # starlette and uvicorn cost 0.2 s to import: no other command should pay it
    from reportgen.apps.serve import app as web

    config = load_config(config_path, None)
    options = web.ServeOptions(
        host, port, tuple(allow_hosts), parse_as_of(as_of) if as_of else None, use_queue=use_queue
    )
    web.serve(options, config)


@click.command(short_help=summary("batch"))
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
@runner_option
def batch(
    workbooks: tuple[Path, ...],
    out_dir: Path,
    jobs: int | None,
    month: str | None,
    as_of: str | None,
    config_path: Path | None,
    lang: str | None,
    email: bool,
    use_queue: bool | None,
) -> None:
    """Build many workbooks in parallel worker processes; exit 1 if any failed, after all the others."""
    try:
        run_batch(
            BatchOptions(
                workbooks,
                out_dir,
                jobs or default_workers(),
                parse_month(month),
                parse_as_of(as_of),
                config_path,
                lang,
                email,
                use_queue,
            )
        )
    except KeyboardInterrupt:  # the workers are stopped; no traceback for Ctrl-C
        raise click.Abort() from None


@click.command(short_help=summary("watch"))
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
@runner_option
def watch(
    inbox: Path,
    out_dir: Path | None,
    email: bool,
    as_of: str | None,
    config_path: Path | None,
    lang: str | None,
    settle: float,
    poll: bool,
    use_queue: bool | None,
) -> None:
    """Build the review of every workbook dropped into INBOX, once per version, until Ctrl-C."""
    as_of_date = parse_as_of(as_of) if as_of is not None else None
    config = load_config(config_path, inbox / "workbook.xlsx")
    if email:  # no sender or no recipients: refused before watching
        check_can_deliver(config)
    runner = choose_runner(config, queue=use_queue)
    runner.check()  # a queue that does not answer: said before watching
    if not inbox.is_dir():
        raise InputError(inbox, "inbox_missing")
    inbox = inbox.resolve()
    out = (out_dir or inbox / "out").resolve()
    if out == inbox:
        raise UsageError("watch_out_is_inbox")
    options = WatchOptions(inbox, out, as_of_date, config_path, lang, email, settle, poll)
    Watcher(options, lambda line: click.echo(line), runner).run()


@click.command(short_help=summary("worker"))
@click.option("--concurrency", type=click.IntRange(min=1), help="Builds run at once (default: one per CPU).")
@config_option
def worker(concurrency: int | None, config_path: Path | None) -> None:
    """Run builds and sends from the queue ([queue] url) until Ctrl-C or SIGTERM."""
    gc.enable()  # a service lives long: the pause that suits a short command would let cycles pile up
    config = load_config(config_path, None)
    code = run_worker(config, concurrency or default_workers(), lambda line: click.echo(line))
    if code:
        raise click.exceptions.Exit(code)


@click.group(
    short_help=summary("queue"),
)
def queue() -> None:
    """The queue of builds and sends that `reportgen worker`s run ([queue] url)."""


@queue.command("status")
@config_option
@lang_option
def queue_status(config_path: Path | None, lang: str | None) -> None:
    """The workers, the tasks waiting and running, and the latest failures with their reason."""
    config = load_config(config_path, None)
    print_status(config, language(lang, config.email.language), lambda line: click.echo(line))
