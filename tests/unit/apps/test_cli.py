"""The command line's group: every listed command loads from its module, and help costs no heavy import."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import click
import pytest

from reportgen.apps.cli import cli
from reportgen.apps.cli.listing import COMMANDS

HEAVY = (
    "weasyprint",
    "matplotlib",
    "sqlalchemy",
    "celery",
    "calamine",
    "reportgen.pipeline",
    "reportgen.rendering",
)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_listed_command_is_defined_where_the_table_says(name: str) -> None:
    listed = COMMANDS[name]
    command = getattr(importlib.import_module(listed.module), listed.attribute)
    assert isinstance(command, click.Command)
    assert command.name == name
    assert command.get_short_help_str(limit=200) == listed.summary
    with click.Context(cli) as context:
        assert cli.get_command(context, name) is command


def test_an_unknown_command_is_a_usage_error() -> None:
    with click.Context(cli) as context:
        assert cli.get_command(context, "buidl") is None
    result = subprocess.run([sys.executable, "-m", "reportgen", "buidl"], capture_output=True, text=True)
    assert result.returncode == 2 and "No such command" in result.stderr


@pytest.mark.parametrize("args", [["--help"], ["--version"], []])
def test_help_lists_every_command_without_importing_the_pipeline(args: list[str]) -> None:
    probe = (
        "import json, sys\n"
        "from reportgen.apps.cli import main\n"
        f"code = main({args!r})\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = json.loads(result.stderr.strip().splitlines()[-1])
    assert not [module for module in loaded if module.startswith(HEAVY)]
    shown = result.stdout + result.stderr  # with no command at all, click shows the help as a usage error
    if args != ["--version"]:
        for name, listed in COMMANDS.items():
            assert f"  {name}" in shown and listed.summary in shown, name
