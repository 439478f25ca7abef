"""The first module the forkserver of pipeline.jobs imports (its preload list): in that process, importing it
asks Linux to SIGKILL the forkserver when its parent, the batch or watch that started it, ends, and leaves
Ctrl-C to that command (the forkserver ignores SIGINT once it has imported the rest; a Ctrl-C, sent to the
whole process group, during those imports would end it with a traceback and fail the build it was asked for).

The forkserver would otherwise wait for the end of every build it forked (each holds its "alive" pipe open),
and a build waits for the forkserver (it dies with it): both would outlive a batch ended by SIGTERM, SIGHUP
or SIGKILL.

Elsewhere (an import by a tool that loads every module) importing it does nothing."""

from __future__ import annotations

import os
import signal
import sys

from reportgen.rendering.background import die_with_parent


def in_forkserver() -> bool:
    """Whether this process is multiprocessing's forkserver (started as `python -c "from
    multiprocessing.forkserver import main; ..."`) importing its preload list."""
    return sys.argv == ["-c"] and "multiprocessing.forkserver" in sys.modules


if in_forkserver():
    die_with_parent(os.getppid())
    signal.signal(signal.SIGINT, signal.SIG_IGN)
