"""Keep the README honest: every command, option and header the code knows is documented."""

from __future__ import annotations

import re
from pathlib import Path

import click

from reportgen.apps.cli import cli
from reportgen.base import vocab

README = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")


def test_every_command_and_option_is_documented() -> None:
    assert isinstance(cli, click.Group)
    with click.Context(cli) as context:
        commands = {name: cli.get_command(context, name) for name in cli.list_commands(context)}
    for name, command in commands.items():
        assert command is not None, name
        assert f"reportgen {name}" in README, name
        for parameter in command.params:
            if isinstance(parameter, click.Option):
                assert any(option in README for option in parameter.opts), (name, parameter.opts)


def test_every_header_the_reader_understands_is_in_the_column_table() -> None:
    table = README.split("| field | canonical headers | also understood |", 1)[1].split("\n\n", 1)[0]
    documented = {
        vocab.key(word) for line in table.splitlines() for cell in line.split("|") for word in cell.split(",")
    }
    for canonical, synonyms in vocab.ACTIVITY_HEADERS.values():
        for word in canonical + synonyms:
            assert vocab.key(word) in documented, word


def test_the_starter_workbook_has_its_own_section() -> None:
    section = README.split("## The starter workbook", 1)[1].split("\n## ", 1)[0]
    for word in ("reportgen init", "--lang", "--as-of", "--force", "How to use", "Example:", "示例："):
        assert word in section, word


def test_every_email_setting_is_documented() -> None:
    from reportgen.base.config import EMAIL_KEYS

    section = README.split("\n[email]", 1)[1].split("```", 1)[0]
    for key in EMAIL_KEYS:
        assert f"\n{key} = " in section, key


def test_every_serve_setting_is_documented() -> None:
    from dataclasses import fields

    from reportgen.base.config import ServeSettings

    assert "[serve]" in README and "## The local page (`serve`)" in README
    for setting in fields(ServeSettings):
        assert f"{setting.name} = " in README, setting.name


def test_the_page_says_how_it_sends() -> None:
    section = README.split("## The local page (`serve`)", 1)[1].split("\n## ", 1)[0]
    assert "`[email] to`" in section and "send_with_errors = true" in section


def test_watch_section_names_what_the_code_ignores_and_keeps() -> None:
    from reportgen.apps.watch import POLL_ENV, STATE_NAME, SUBFOLDERS, TEMP_SUFFIXES

    section = README.split("## Many workbooks: batch and watch", 1)[1].split("\n## ", 1)[0]
    assert f"{POLL_ENV}=1" in section and f"INBOX/{STATE_NAME}" in section
    for folder in SUBFOLDERS:
        assert f"`{folder}/`" in section, folder
    documented = set(re.findall(r"`(\.[a-z]+)`", section))
    assert {".tmp", ".part", ".crdownload", ".download", ".swp"} <= documented & set(TEMP_SUFFIXES)


def test_how_the_code_is_laid_out_names_every_layer_and_module() -> None:
    section = README.split("## How the code is laid out", 1)[1].split("\n## ", 1)[0]
    package = Path(__file__).resolve().parent.parent / "reportgen"
    for folder in sorted(path for path in package.iterdir() if (path / "__init__.py").is_file()):
        assert f"`{folder.name}/`" in section, folder.name
        for module in folder.glob("*.py"):
            if module.name != "__init__.py":
                assert f"`{module.name}`" in section, f"{folder.name}/{module.name}"
