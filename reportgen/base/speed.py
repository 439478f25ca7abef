"""The speed tricks, each behind one named switch, all explained here (docs/speed.md has their numbers).

Every trick is on by default; `REPORTGEN_SPEED_OFF` turns some off for measuring and debugging:
`REPORTGEN_SPEED_OFF=pause_gc,exit_fast`, or `all`. Each switch only changes how fast a command runs, never
what it writes: a build with every switch off writes the same bytes as one with every switch on (the tests
check it). An unknown name is refused with the names there are, so a typo never measures the wrong thing.

The figures below are whole processes, the median over paired runs (switch off against all on, in turn) on
this project's 2-core machine shared with other work (`benchmarks/bench_switches.py`; benchmarks/README.md has
the table). A trick no benchmark justified was removed rather than switched: WeasyPrint's import in a thread
during a large workbook's read (docs/speed.md, "Removed").
"""

from __future__ import annotations

import os
from enum import Enum
from functools import cache
from pathlib import Path

from reportgen.base.errors import InputError

SPEED_OFF_VARIABLE = "REPORTGEN_SPEED_OFF"
ALL = "all"
RENDER_MEMO_VARIABLE = "REPORTGEN_RENDER_MEMO"


class Switch(Enum):
    """One speed trick; its docstring says what it does, why it is safe and the figure that keeps it."""

    PAUSE_GC = (
        "pause_gc",
        """`reportgen.apps.cli.main.main` pauses Python's cyclic garbage collector for the command's life.

        A command is a short pipeline that builds many objects and few reference cycles: the collector would
        only walk them again and again as they pile up. Safe because reference counting still frees
        everything that is not in a cycle, and the collector is enabled again when the command returns
        (serve, watch and batch, which live long, are commands too: their own memory is flat because each
        build runs in a process of its own or frees its objects by reference counting).
        Figure: off, a 100,000-row build takes 1.14× as long (1.13× the CPU, 1.8 s; 4.2 s, 1.26×, in the
        rotating rounds); the sample's, within the noise.""",
    )
    EXIT_FAST = (
        "exit_fast",
        """`reportgen.apps.cli.main.run` ends a short command (build, check, init, send, approve, reject)
        with `os._exit` once its output is flushed, instead of deallocating every object one by one.

        Safe because by then every file is written and renamed into place, the archive's transaction is
        committed and closed, and stdout and stderr are flushed; nothing else is waiting for the interpreter's
        tear-down. Long-lived commands (serve, watch, batch, worker) exit normally.
        Figure: off, a 100,000-row build takes 1.09× as long (1.15×, 4.2 s, in the rotating rounds); the
        sample's, within the noise.""",
    )
    FORK_BACKGROUND = (
        "fork_background",
        """`reportgen.rendering.background.Background` draws the charts, and makes the PDF's attachments (the
        figures document, the complete activity table), in forked child processes while this process lays
        out the PDF, on the machine's second core.

        Safe because the child is forked only from a single-threaded process's main thread (no copied held
        locks), dies with its parent (PR_SET_PDEATHSIG), lets go of the caller's stdout and stderr, and
        sends back picklable results that are the same bytes as the in-process steps; where fork is not
        available the steps run in-process in the same order.
        Figure: off, a 100,000-row build takes 1.4 s longer (1.10×); the sample's gains nothing on a busy
        machine (0.98×), where the second core is not idle. By the same rule a batch's build whose
        neighbours take every core (`cores_taken`, said by pipeline/jobs.run_jobs when more than one worker
        and as many builds as cores run) does not fork: its child would only compete for a core, and the fork
        and the pickling are work of their own (batch of 16, `--jobs 2` on 2 cores: 74 to 75 CPU-s and 38.4
        to 39.2 s forking, 70 CPU-s and 36.5 to 36.7 s not). Switched off, nothing forks anyway.""",
    )
    PRELOAD_WORKERS = (
        "preload_workers",
        """`reportgen.pipeline.jobs` forks each batch and watch build from a forkserver that has imported the
        pipeline, WeasyPrint and matplotlib once (`PRELOAD`); switched off, the forkserver preloads nothing
        and each build's process imports what it needs itself.

        Safe because the forkserver is a fresh single-threaded process of its own (no lock of the front
        end's threads is copied), and each build still runs in a process of its own, so a crash still ends
        only its own workbook. Each build's process is a copy, so nothing a build changes reaches the next.
        Figure: off, a batch of 16 small workbooks (--jobs 2) takes 26 s longer (1.26×), 1.6 s a workbook.""",
    )

    def __new__(cls, key: str, doc: str) -> Switch:
        member = object.__new__(cls)
        member._value_ = key
        member.__doc__ = doc
        return member

    @property
    def key(self) -> str:
        """The switch's name in REPORTGEN_SPEED_OFF."""
        return str(self._value_)


def names() -> tuple[str, ...]:
    """Every name REPORTGEN_SPEED_OFF accepts: the switches' and `all`."""
    return (*(switch.key for switch in Switch), ALL)


@cache
def switched_off(value: str) -> frozenset[Switch]:
    """The switches a REPORTGEN_SPEED_OFF value turns off: names separated by commas (spaces and case do not
    matter, an empty value turns none off), or `all`. InputError naming the accepted names for any other."""
    by_key = {switch.key: switch for switch in Switch}
    off: set[Switch] = set()
    for part in value.split(","):
        name = part.strip().lower()
        if not name:
            continue
        if name == ALL:
            off.update(Switch)
        elif name in by_key:
            off.add(by_key[name])
        else:
            raise InputError(
                None,
                "config_value",
                key=SPEED_OFF_VARIABLE,
                value=f'"{part.strip()}"',
                expect="one_of",
                values=list(names()),
            )
    return frozenset(off)


def on(switch: Switch) -> bool:
    """Whether the trick is used: yes unless REPORTGEN_SPEED_OFF names it (read on every call, so a test or a
    benchmark may set it at any time). InputError when the variable names something that is not a switch."""
    return switch not in switched_off(os.environ.get(SPEED_OFF_VARIABLE, ""))


def render_memo_folder() -> Path | None:
    """The folder `REPORTGEN_RENDER_MEMO` names, or None (the default): the one trick that is off unless asked
    for. With it, a page whose every input was rendered before is recalled instead of laid out again
    (rendering/memo.py). It is for the test suite, which lays out the same pages hundreds of times (tests/
    conftest.py sets it for the session and removes the folder after): a build's own pages differ from month
    to month, so a user gains nothing by it. Its keys hold a page's inputs, not reportgen's code: a folder
    serves one run, never kept across a code change. Read on every call, so a test may unset it.
    Figure: in a whole run of the suite, 92 of 163 layouts (392 of 663 s) were the very same inputs again;
    `make test` took 22 min 26 s with it, 24 to 25 min before (docs/speed.md, "The render memo")."""
    value = os.environ.get(RENDER_MEMO_VARIABLE, "")
    return Path(value) if value else None


_spare_core = True  # one build per process: a worker is told once, before its build (pipeline/jobs.py)


def every_core_taken(workers: int, builds: int) -> bool:
    """Whether `workers` processes building `builds` workbooks between them (one of them asking) take every
    core, so that a build's forked step could only compete for one: more than one worker, and as many
    builds at once as cores. One worker alone leaves the other cores idle, as a plain build does."""
    return workers > 1 and min(workers, builds) >= (os.cpu_count() or 1)


def cores_taken() -> None:
    """Said in a build's process when the builds running beside it take every core: `fork_background` then
    runs its steps in this process, in the same order, with the same bytes."""
    global _spare_core
    _spare_core = False


def spare_core() -> bool:
    """Whether a forked step may find an idle core: yes, unless `cores_taken` was said in this process."""
    return _spare_core
