"""The one logging set-up every reportgen process uses: the command line's, and again in each process that
builds away from it (serve's pool workers), so `-v` shows every build's stages whichever process ran it."""

from __future__ import annotations

import logging
import sys

from reportgen.base.errors import UsageError

LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"
LogLevels = tuple[int, int]  # the root logger's level and reportgen's


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
    """reportgen's loggers at WARNING (INFO with -v: a line per stage with its time; DEBUG with -vv; ERROR
    with --quiet), other libraries' at WARNING (ERROR with --quiet), all to stderr. Calling it again
    replaces its handler, so a second `main` in one process logs each line once."""
    if quiet and verbose:
        raise UsageError("verbose_and_quiet")
    level = logging.ERROR if quiet else {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    log_to_stderr((max(level, logging.WARNING), level))


def log_levels() -> LogLevels:
    """This process's logging levels, for the processes it builds in to log at."""
    return logging.getLogger().getEffectiveLevel(), logging.getLogger("reportgen").getEffectiveLevel()


def log_to_stderr(levels: LogLevels) -> None:
    """Log to stderr at `levels` (the root's, reportgen's), replacing an earlier StderrHandler: the set-up
    of the command line, and of a pool process (its initializer) at the levels of the command that made it."""
    root = logging.getLogger()
    for handler in [handler for handler in root.handlers if isinstance(handler, StderrHandler)]:
        root.removeHandler(handler)
    handler = StderrHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(handler)
    root.setLevel(levels[0])
    logging.getLogger("reportgen").setLevel(levels[1])
