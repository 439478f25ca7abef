"""A stop (SIGTERM, SIGHUP) to a command ends it, even where Python cannot raise it but only print it (a
finalizer, a fork's own hooks), and a process the command forks ends by a stop at once, as before."""

from __future__ import annotations

import importlib
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[3]


def main_module() -> ModuleType:
    return importlib.import_module("reportgen.apps.cli.main")


# A finalizer in which the stop arrives: Python prints the exception raised there and goes on.
PROLOGUE = """
import importlib, os, signal, sys, time
main = importlib.import_module("reportgen.apps.cli.main")  # the module (the package names its function)

class StoppedInside:
    def __del__(self):
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(100_000):  # the handler runs here, inside the finalizer
                pass
        except main.Stopped:
            print("stopped inside the finalizer", flush=True)
            raise

def command(then):
    try:
        with main._stops_unwind(["build"]):
            StoppedInside()
            print("went on", flush=True)
            then()
            print("returned", flush=True)
    except main.Stopped as stop:
        print("stopped by", stop.signum, flush=True)
        main._end_by(stop.signum)  # as main does
"""


def run(script: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", PROLOGUE + script], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    return done, time.monotonic() - started


def test_a_stop_raised_in_a_finalizer_is_raised_again_in_the_command() -> None:
    done, seconds = run("command(lambda: time.sleep(20))\n")
    assert done.stdout.splitlines() == [
        "stopped inside the finalizer",  # where Python only prints it, and goes on
        "went on",
        f"stopped by {signal.SIGTERM}",
    ], done.stderr
    assert done.returncode == -signal.SIGTERM
    assert seconds < 15  # not the 20 s the command would have run


def test_a_command_that_returns_before_the_stop_is_raised_again_still_ends_by_it() -> None:
    done, _ = run("command(lambda: None)\nprint('after the command', flush=True)\n")
    assert done.stdout.splitlines() == [
        "stopped inside the finalizer",
        "went on",
        "returned",
        f"stopped by {signal.SIGTERM}",
    ], done.stderr
    assert done.returncode == -signal.SIGTERM  # ended by it: not the exit 0 of a finished command


def test_a_stop_swallowed_every_time_ends_the_process_by_the_signal() -> None:
    done, _ = run(
        "from types import SimpleNamespace\n"
        "with main._stops_unwind(['build']):\n"
        "    for attempt in range(1, 100):\n"
        "        print(attempt, flush=True)\n"
        "        sys.unraisablehook(SimpleNamespace(exc_value=main.Stopped(signal.SIGTERM)))\n"
    )
    assert done.stdout.split() == [str(n) for n in range(1, main_module().STOP_RETRIES + 2)], done.stderr
    assert done.returncode == -signal.SIGTERM


def test_a_forked_process_ends_by_a_stop_at_once() -> None:
    done, _ = run(
        "with main._stops_unwind(['build']):\n"
        "    assert signal.getsignal(signal.SIGTERM) is main._raise_stopped\n"
        "    child = os.fork()\n"
        "    if child == 0:\n"
        "        os._exit(signal.getsignal(signal.SIGTERM) is signal.SIG_DFL)\n"
        "    print('child default:', bool(os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])), flush=True)\n"
    )
    assert done.stdout.splitlines() == ["child default: True"], done.stderr


def test_a_swallowed_stop_wins_over_an_error_the_command_ends_with() -> None:
    done, _ = run("def fail():\n    raise RuntimeError('the command failed')\ncommand(fail)\n")
    assert done.stdout.splitlines() == [
        "stopped inside the finalizer",
        "went on",
        f"stopped by {signal.SIGTERM}",
    ], done.stderr
    assert done.returncode == -signal.SIGTERM  # not the error's exit status


def test_the_callers_alarm_is_left_alone_when_no_stop_was_swallowed() -> None:
    done, _ = run(
        "fired = []\n"
        "signal.signal(signal.SIGALRM, lambda *_: fired.append(True))\n"
        "signal.setitimer(signal.ITIMER_REAL, 0.5)\n"
        "with main._stops_unwind(['build']):\n"
        "    pass\n"
        "print('left', signal.getitimer(signal.ITIMER_REAL)[0] > 0, flush=True)\n"
        "time.sleep(1)\n"
        "print('fired', fired, flush=True)\n"
    )
    assert done.stdout.splitlines() == ["left True", "fired [True]"], done.stderr
