"""The command line: a thin click layer over the pipeline, and the only place errors become exit codes.

The group knows its commands by name (`listing.COMMANDS`) and imports a command's module only to run it:
`reportgen --help` and `--version` answer without loading the pipeline.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import gc
import importlib
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import click

from reportgen import __version__
from reportgen.apps.cli.listing import COMMANDS
from reportgen.base.catalogue import language
from reportgen.base.errors import ExitCode, ReportgenError
from reportgen.base.logs import configure_logging
from reportgen.base.scratch import scratch_folder
from reportgen.base.speed import Switch, on


class ListedGroup(click.Group):
    """A group whose commands are loaded by name when they run, and listed in its help from the table."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        listed = COMMANDS.get(cmd_name)
        if listed is None:
            return None
        command = getattr(importlib.import_module(listed.module), listed.attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{listed.module}.{listed.attribute} is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, listed.summary) for name, listed in COMMANDS.items()])


@click.group(cls=ListedGroup, context_settings={"help_option_names": ["-h", "--help"]})
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


def _language_of(argv: Sequence[str]) -> str | None:
    for index, arg in enumerate(argv):
        if arg == "--lang" and index + 1 < len(argv):
            return language(argv[index + 1])
        if arg.startswith("--lang="):
            return language(arg.split("=", 1)[1])
    return None


# Commands that end when their outputs are written: their objects need no tearing down.
SHORT_COMMANDS = frozenset({"build", "check", "init", "send", "approve", "reject"})
# Commands that run until they are stopped and handle SIGTERM themselves, each its own way (a graceful stop):
# the words that name them (`schedule next` and `schedule run-now` are not services; `schedule run` is).
SERVICES = frozenset({("serve",), ("watch",), ("worker",), ("schedule", "run")})
STOPS = (signal.SIGTERM, signal.SIGHUP)  # `kill`, systemd's stop, `timeout`; a closed terminal
STOP_RETRY_SECONDS = 0.05  # a stop Python could only print is raised again this much later
STOP_RETRIES = 40  # ... this many times (two seconds), then the process ends by the signal at once


class Stopped(BaseException):
    """SIGTERM or SIGHUP to a command (to a service: SIGTERM until it is ready), raised where the command
    is, so it unwinds as after Ctrl-C: its scratch folder and half-written temp files are removed, an
    archive transaction rolls back, its build processes are stopped. Then the process ends by that signal,
    as it did before."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_stopped(signum: int, frame: object) -> None:
    for each in STOPS:  # a second stop while this one unwinds ends the process at once, as before
        signal.signal(each, signal.SIG_DFL)
    raise Stopped(signum)


def _stops_end_a_forked_child() -> None:
    """In a process forked from the command (a build's background drawing), a stop ends it at once, as
    before: it has nothing of its own to remove, and its parent, unwinding, stops it and waits for it (a
    child that unwound instead could wait forever on a thread sending to that parent)."""
    for signum in STOPS:
        if signal.getsignal(signum) is _raise_stopped:
            signal.signal(signum, signal.SIG_DFL)


@functools.cache
def _fork_hook_registered() -> None:
    os.register_at_fork(after_in_child=_stops_end_a_forked_child)


class _SwallowedStops:
    """sys.unraisablehook while a command runs. A stop raised where Python cannot raise, only print (a
    finalizer, a fork's own hooks: a stop at the moment a build forked went on to the end of the build), is
    raised again a moment later (SIGALRM), in the command's own code, or when the command ends, if it ends
    first (even by an error: the stop wins); after STOP_RETRIES, the process ends by the signal at once.
    Anything else goes to the hook that was there. SIGALRM and the timer are the caller's until a stop is
    swallowed."""

    def __init__(self, previous: Callable[[Any], object]) -> None:
        self.previous = previous
        self.pending: int | None = None
        self.attempts = 0
        self.alarm: Any = None  # SIGALRM's handler before this took it, once it has

    def __call__(self, unraisable: Any) -> None:
        stop = unraisable.exc_value
        if not isinstance(stop, Stopped) or threading.current_thread() is not threading.main_thread():
            self.previous(unraisable)
            return
        self.attempts += 1
        if self.attempts > STOP_RETRIES:
            _flush()
            _killed_by(stop.signum)
            return
        self.pending = stop.signum
        if self.attempts == 1:
            self.alarm = signal.signal(signal.SIGALRM, self.raise_pending)
        signal.setitimer(signal.ITIMER_REAL, STOP_RETRY_SECONDS)

    def give_back_alarm(self) -> None:
        if self.attempts:
            signal.setitimer(signal.ITIMER_REAL, 0)
            if self.alarm is not None:
                signal.signal(signal.SIGALRM, self.alarm)

    def raise_pending(self, alarm: int = 0, frame: object = None) -> None:
        if self.pending is not None:
            signum, self.pending = self.pending, None
            raise Stopped(signum)


def _is_service(args: Sequence[str]) -> bool:
    words = tuple(arg for arg in args if not arg.startswith("-"))  # the group's own options are all flags
    return any(words[: len(service)] == service for service in SERVICES)


@contextlib.contextmanager
def _stops_unwind(args: Sequence[str]) -> Iterator[None]:
    """SIGTERM and SIGHUP raise Stopped while the command runs, where they would end it at once: for a
    service, SIGTERM only, until it installs its own handling; not off the main thread (only it can take a
    signal handler); and a signal the process was started ignoring (`nohup`) stays ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    # a service takes SIGTERM over once it is ready (this handler covers its start); SIGHUP stays its own
    stops = (signal.SIGTERM,) if _is_service(args) else STOPS
    replaced = [signum for signum in stops if signal.getsignal(signum) is signal.SIG_DFL]
    if not replaced:
        yield
        return
    _fork_hook_registered()
    unraisable_hook = sys.unraisablehook
    swallowed = sys.unraisablehook = _SwallowedStops(unraisable_hook)
    for signum in replaced:
        signal.signal(signum, _raise_stopped)
    try:
        yield
    finally:
        for signum in replaced:
            signal.signal(signum, signal.SIG_DFL)
        swallowed.give_back_alarm()
        sys.unraisablehook = unraisable_hook
        swallowed.raise_pending()  # the command ended before the stop could be raised again


def _end_by(signum: int) -> None:
    """End the process by `signum`, as it would have ended without the handler (a shell reports 143 for
    SIGTERM), now that the command has unwound: after the exit hooks a normal exit runs (multiprocessing's
    clean-up of its pymp- folder, and the scratch folder's removal that waits for it)."""
    _flush()
    with contextlib.suppress(Exception):
        atexit._run_exitfuncs()
    _killed_by(signum)


def _killed_by(signum: int) -> None:
    """The signal's default action, now: the process ends by it."""
    signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, (signum,))  # whatever held it, it ends the process now
    os.kill(os.getpid(), signum)


def _flush() -> None:
    with contextlib.suppress(OSError):  # a closed pipe is no reason to tear everything down after all
        sys.stdout.flush()
        sys.stderr.flush()


def run() -> None:
    """The console entry point: `main`, then, after a short command, the process ends without deallocating
    what it built one object at a time (the `exit_fast` switch of base/speed.py); its files are already
    written and renamed, and its output is flushed first. Long-lived commands (serve, watch, batch) exit
    normally."""
    code = main()
    if SHORT_COMMANDS.intersection(sys.argv[1:2]) and _exits_fast():
        _flush()
        os._exit(code)
    raise SystemExit(code)


def _exits_fast() -> bool:
    try:
        return on(Switch.EXIT_FAST)
    except ReportgenError:  # a REPORTGEN_SPEED_OFF that names no switch: `main` has said so already
        return False


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the command and turn a user error into its message and exit code, once."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        # the `pause_gc` switch of base/speed.py: the cyclic collector paused for the command's life
        if on(Switch.PAUSE_GC):
            gc.disable()
        with scratch_folder(), _stops_unwind(args):  # what it writes for itself goes away with it
            code = cli.main(args=args, prog_name="reportgen", standalone_mode=False)
        if isinstance(code, int):  # a command's click.exceptions.Exit(code): click returns the code
            return code
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return ExitCode.USAGE if isinstance(exc, click.UsageError) else int(exc.exit_code)
    except (click.Abort, KeyboardInterrupt):  # Ctrl-C: 130, as a shell reports a command it interrupted
        click.echo("Aborted.", err=True)
        return ExitCode.INTERRUPTED
    except Stopped as stop:
        _end_by(stop.signum)
        return 128 + stop.signum  # not reached: the signal ends the process
    except ReportgenError as exc:
        if "--debug" in args:
            traceback.print_exception(exc)
        click.echo(f"reportgen: {exc.message(_language_of(args))}", err=True)
        return int(exc.exit_code)
    finally:
        gc.enable()
    return ExitCode.OK
