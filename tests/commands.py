"""The command line as a user runs it, output captured: `run` starts `python -m reportgen ...` in a process of
its own; `cli` runs the same command line through `reportgen.apps.cli.main.main` in this process.

`cli` is for tests about what a command says and writes (it saves the 2-3 s of imports a fresh process pays
for each command); `run` stays where the process itself is the point: its exit code (`run` ends a short
command with os._exit), signals, the bytes a real process writes to its stdout and stderr (C libraries
included), environment variables read at import, long-lived commands."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from click.testing import CliRunner


def run(
    *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run reportgen with `args`; `env` adds to (or overrides) this process's environment."""
    return subprocess.run(
        [sys.executable, "-m", "reportgen", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


@contextlib.contextmanager
def _logging_kept() -> Iterator[None]:
    """The root and `reportgen` loggers as they were: `main` sets their levels and its stderr handler."""
    root = logging.getLogger()
    ours = logging.getLogger("reportgen")
    handlers, level, our_level = list(root.handlers), root.level, ours.level
    try:
        yield
    finally:
        for handler in [handler for handler in root.handlers if handler not in handlers]:
            root.removeHandler(handler)
        root.setLevel(level)
        ours.setLevel(our_level)


def cli(
    *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`reportgen args` through `main` in this process, as `run` would run it: `env` added to the environment
    and `cwd` the working folder for the call, stdin empty (or `input`), stdout and stderr captured apart;
    the exit code is the one `main` returns (the one `run` exits with)."""
    from reportgen.apps.cli.main import main

    argv = [str(arg) for arg in args]
    runner = CliRunner()
    with (
        contextlib.chdir(cwd or Path.cwd()),
        _logging_kept(),
        runner.isolation(input=input, env=env) as (stdout, stderr, _),
    ):
        try:
            code = main(argv)
        except SystemExit as exc:  # a command that exits by itself (click's own exits are main's)
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        sys.stdout.flush()
        sys.stderr.flush()
        out, err = (_text(stream.getvalue()) for stream in (stdout, stderr))
    return subprocess.CompletedProcess(["reportgen", *argv], int(code), out, err)


def _text(data: bytes) -> str:
    """Bytes as `run`'s text mode reads a pipe: UTF-8, universal newlines."""
    return data.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")


def rendering_warnings(stderr: str) -> list[str]:
    """What a build logged above INFO but the month's own error cells (`build` names them for any workbook
    with errors, as the samples are): a renderer's warnings, which a build of the bundled templates has
    none of."""
    return [
        line
        for line in stderr.splitlines()
        if not line.startswith("INFO ") and not line.startswith("WARNING reportgen.apps.cli.review:")
    ]
