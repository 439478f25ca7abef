"""Keep the documentation honest: the site in docs/ builds without a warning, its command-line page (generated
from the click commands) lists every command and option, and every header, setting and module the code knows
is on its page. The README stays a newcomer's page that points into docs/."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from reportgen.apps.cli import cli
from reportgen.base import vocab

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = (ROOT / "README.md").read_text("utf-8")


def page(name: str) -> str:
    return (DOCS / name).read_text("utf-8")


def section(text: str, heading: str) -> str:
    """The text under `heading` up to the next heading of the same or a higher level."""
    level = heading.split(" ", 1)[0]
    body = text.split(f"\n{heading}\n", 1)[1]
    return re.split(rf"\n#{{1,{len(level)}}} ", body, maxsplit=1)[0]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    site = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done, site


def test_mkdocs_builds_strict(built: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    done, site = built
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING" not in done.stdout + done.stderr, done.stdout + done.stderr
    for markdown in DOCS.glob("*.md"):
        assert (site / markdown.stem / "index.html").is_file() or markdown.stem == "index", markdown.name


def commands(
    command: click.Command, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command under the group, loaded the way the group loads them (by name, lazily)."""
    yield path, command
    if isinstance(command, click.Group):
        with click.Context(command) as context:
            for name in command.list_commands(context):
                sub = command.get_command(context, name)
                assert sub is not None, name
                yield from commands(sub, (*path, name))


def test_the_cli_page_is_generated_from_the_commands() -> None:
    directive = page("cli.md").split("::: mkdocs-click", 1)[1]
    assert ":module: reportgen.apps.cli\n" in directive and ":command: cli\n" in directive


def test_every_command_and_option_is_on_the_generated_cli_page(
    built: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    done, site = built
    assert done.returncode == 0, done.stdout + done.stderr
    generated = (site / "cli" / "index.html").read_text("utf-8")
    listed = list(commands(cli))
    assert len(listed) > len(cli.list_commands(click.Context(cli))), "no subcommand was listed"
    for path, command in listed:
        anchor = "-".join(("reportgen", *path))
        assert f'id="{anchor}"' in generated, anchor
        text = html.unescape(re.sub(r"<[^>]+>", "", generated.split(f'id="{anchor}"', 1)[1]))
        own = text.split("¶", 2)[1] if "¶" in text else text  # up to the next heading's permalink
        for parameter in command.params:
            if isinstance(parameter, click.Option) and not parameter.hidden:
                assert any(option in own for option in parameter.opts), (path, parameter.opts)


def table_words(text: str, header: str) -> set[str]:
    table = text.split(header, 1)[1].split("\n\n", 1)[0]
    return {
        vocab.key(word) for line in table.splitlines() for cell in line.split("|") for word in cell.split(",")
    }


def test_every_header_the_reader_understands_is_in_the_column_table() -> None:
    documented = table_words(page("workbook.md"), "| field | canonical headers | also understood |")
    for canonical, synonyms in vocab.ACTIVITY_HEADERS.values():
        for word in canonical + synonyms:
            assert vocab.key(word) in documented, word


@pytest.mark.parametrize(
    ("heading", "headers"),
    [
        ("## The Goals sheet", vocab.GOAL_HEADERS),
        ("## The Rules sheet", vocab.RULE_HEADERS),
        ("## The Commentary sheet", vocab.COMMENTARY_HEADERS),
    ],
)
def test_every_header_of_the_other_sheets_is_in_its_table(
    heading: str, headers: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]
) -> None:
    documented = table_words(section(page("workbook.md"), heading), "| column | headers |")
    for canonical, synonyms in headers.values():
        for word in canonical + synonyms:
            assert vocab.key(word) in documented, (heading, word)


def test_the_starter_workbook_has_its_own_section() -> None:
    starter = section(page("workbook.md"), "## The starter workbook")
    for word in ("reportgen init", "--lang", "--as-of", "--force", "How to use", "Example:", "示例："):
        assert word in starter, word


def test_every_email_setting_is_documented() -> None:
    from reportgen.base.config import EMAIL_KEYS

    email = page("configuration.md").split("\n[email]", 1)[1].split("```", 1)[0]
    for key in EMAIL_KEYS:
        assert f"\n{key} = " in email, key


def test_every_serve_setting_is_documented() -> None:
    from dataclasses import fields

    from reportgen.base.config import ServeSettings

    configuration = page("configuration.md")
    assert "[serve]" in configuration and page("serve.md").startswith("# The local page (`serve`)")
    for setting in fields(ServeSettings):
        assert f"{setting.name} = " in configuration, setting.name


def test_the_page_says_how_it_sends() -> None:
    serve = page("serve.md")
    assert "`[email] to`" in serve and "send_with_errors = true" in serve


def test_watch_section_names_what_the_code_ignores_and_keeps() -> None:
    from reportgen.apps.watch import POLL_ENV, STATE_NAME, SUBFOLDERS, TEMP_SUFFIXES

    watch = section(page("batch.md"), "## watch")
    assert f"{POLL_ENV}=1" in watch and f"INBOX/{STATE_NAME}" in watch
    for folder in SUBFOLDERS:
        assert f"`{folder}/`" in watch, folder
    documented = set(re.findall(r"`(\.[a-z]+)`", watch))
    assert {".tmp", ".part", ".crdownload", ".download", ".swp"} <= documented & set(TEMP_SUFFIXES)


def test_how_the_code_is_laid_out_names_every_layer_and_module() -> None:
    layout = page("code.md")
    short = section(README, "## How the code is laid out")
    package = ROOT / "reportgen"
    for folder in sorted(path for path in package.iterdir() if (path / "__init__.py").is_file()):
        assert f"`{folder.name}/`" in layout and f"`{folder.name}/`" in short, folder.name
        for module in folder.glob("*.py"):
            if module.name != "__init__.py":
                assert f"`{module.name}`" in layout, f"{folder.name}/{module.name}"


def test_the_readme_is_a_newcomers_page_pointing_into_docs() -> None:
    assert len(README.splitlines()) <= 250
    assert "make sample" in README and "make test" in README
    linked = set(re.findall(r"\]\((docs/[^)#]+)", README))
    assert linked, "the README links into docs/"
    for target in linked:
        assert (ROOT / target).is_file(), target
    for markdown in DOCS.glob("*.md"):
        assert f"docs/{markdown.name}" in linked, f"the README does not point at docs/{markdown.name}"


def test_docs_pages_named_in_the_code_exist() -> None:
    """Comments and docstrings cite the contract as docs/<page>.md; each such page must exist."""
    for folder in ("reportgen", "tests"):
        for source in (ROOT / folder).rglob("*.py"):
            for target in re.findall(r"docs/[\w-]+\.md", source.read_text("utf-8")):
                assert (ROOT / target).is_file(), f"{source.relative_to(ROOT)} cites {target}"
