"""The characters the review can draw, as a build reads them (reportgen/assets/fonts/codepoints.json, written
by tools/make_fonts.py), are exactly those the bundled fonts' own character maps hold, in both weights: a
font changed without its map written again fails here, not as boxes on a page."""

from __future__ import annotations

from importlib import resources

import pytest
from fontTools.ttLib import TTFont

from reportgen.rendering.pdf import FONTS, drawable_codepoints


@pytest.mark.parametrize("name", FONTS)
def test_the_shipped_character_map_is_the_fonts_own(name: str) -> None:
    path = resources.files("reportgen").joinpath("assets", "fonts", name)
    with resources.as_file(path) as font_path:
        font = TTFont(str(font_path), lazy=True)
        try:
            drawn = frozenset(font.getBestCmap())
        finally:
            font.close()
    assert drawable_codepoints() == drawn
    assert {ord("A"), ord("¥"), ord("复"), ord("，")} <= drawn  # the map is the font's, not an empty one
