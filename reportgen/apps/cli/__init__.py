"""The command line. `main` runs it; each command lives with its kind (`review`, `services`, `cycle`) and is
loaded only when it runs."""

from reportgen.apps.cli.main import cli, main, run

__all__ = ["cli", "main", "run"]
