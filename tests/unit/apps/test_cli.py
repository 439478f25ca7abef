"""The command line's group: every listed command loads from its module, and help costs no heavy import."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

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


NOT_FOR_BUILD = (
    "reportgen.delivery",
    "reportgen.pipeline.mailing",
    "reportgen.apps.cli.delivering",
    "httpx",
    "reportgen.apps.starter",
    "reportgen.apps.cli.starter",
)


def test_a_build_without_email_loads_no_mail_chat_or_starter(tmp_path: Path) -> None:
    """Mail and chat (httpx, the vendors' tables) are imported by a command that delivers, and the starter
    workbook's module by `init`, not by every build: about 0.1 s of a sample build's 4."""
    workbook = Path(__file__).parents[3] / "samples" / "northwind-en.xlsx"
    out = tmp_path / "figures.json"
    probe = (
        "import json, sys\n"
        "from reportgen.apps.cli.main import main\n"
        f"code = main(['build', {str(workbook)!r}, '--no-pdf', '--json', {str(out)!r}])\n"
        "print(json.dumps([code, sorted(sys.modules)]), file=sys.stderr)\n"
    )
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path, env=env
    )
    code, loaded = json.loads(result.stderr.strip().splitlines()[-1])
    assert code == 0 and out.is_file()
    assert "reportgen.pipeline.build" in loaded  # the probe did build
    assert [module for module in loaded if module.startswith(NOT_FOR_BUILD)] == []
