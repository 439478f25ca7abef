"""What the browser tests share: Debian's Chromium (driven by Playwright, no `playwright install`) under a
fontconfig of the test module's own.

A module that takes the `browser` fixture defines a module-scoped `font_rules` fixture: the fontconfig
elements that decide which fonts its Chromium may use (test_web_browser.py adds the bundled Noto Sans SC,
test_web_fonts.py rejects every font that can draw Chinese). The machine's own fonts.conf is included first,
and the font cache goes to a folder of the module's own."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def fontconfig(font_rules: str, cache: Path) -> str:
    """A fonts.conf: the system's configuration, then `font_rules`, with the font cache in `cache`."""
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        f"{font_rules}"
        f"  <cachedir>{cache}</cachedir>\n</fontconfig>\n"
    )


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory, font_rules: str) -> Iterator[Browser]:
    """Chromium that sees the fonts the module's `font_rules` leave it."""
    from playwright.sync_api import sync_playwright

    folder = tmp_path_factory.mktemp("fonts")
    conf = folder / "fonts.conf"
    conf.write_text(fontconfig(font_rules, folder / "cache"), "utf-8")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=ARGS, env={**os.environ, "FONTCONFIG_FILE": str(conf)}
        )
        yield launched
        launched.close()
