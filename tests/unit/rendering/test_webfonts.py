"""The bundled font cut for web pages: exactly the characters asked for, as WOFF or WOFF2, inlined into the
stylesheet and each chart, and serve's sets for a page's own Chinese."""

from __future__ import annotations

import base64
import io
import re

from fontTools.ttLib import TTFont

from reportgen.rendering import webfonts
from reportgen.rendering.templates import templates_folder


def cmap(data: bytes) -> set[int]:
    return set(TTFont(io.BytesIO(data)).getBestCmap())


def test_a_subset_keeps_exactly_the_characters_asked_for() -> None:
    font = webfonts.subset_font("NotoSansSC-Regular.otf", "星河增长团队 ¥€", "woff")
    assert font.data.startswith(b"wOFF") and font.mime == "font/woff" and font.weight == 400
    assert cmap(font.data) == {ord(char) for char in "星河增长团队¥€"} | {ord(c) for c in webfonts.ALWAYS}
    bare = webfonts.subset_font("NotoSansSC-Bold.otf", "星河", "woff2", always=False, drop=("GPOS", "GSUB"))
    assert (
        bare.data.startswith(b"wOF2") and bare.weight == 700 and bare.served_name == "NotoSansSC-Bold.woff2"
    )
    assert cmap(bare.data) == {ord("星"), ord("河"), ord(" ")}
    assert not {"GPOS", "GSUB"} & set(TTFont(io.BytesIO(bare.data)).keys())


def test_fonttools_cuts_the_same_characters_as_harfbuzz() -> None:
    """Where HarfBuzz's subsetter is missing, fontTools does the work: the same characters come out."""
    keep = webfonts.codepoints("复盘报告")
    by_fonttools = webfonts._fonttools_subset("NotoSansSC-Regular.otf", keep)
    assert set(TTFont(io.BytesIO(by_fonttools)).getBestCmap()) == set(keep)
    assert webfonts._harfbuzz() is not None  # this machine has libharfbuzz-subset (tools/system-deps.sh)


def test_the_stylesheet_gets_its_fonts_as_data_urls() -> None:
    css = '@font-face { src: url("reportgen:fonts/NotoSansSC-Regular.otf"); }\n' + (
        '@font-face { src: url("reportgen:fonts/NotoSansSC-Bold.otf"); }'
    )
    fonts = webfonts.page_fonts("月度复盘")
    inlined = webfonts.inline_fonts(css, fonts)
    assert "reportgen:fonts" not in inlined and inlined.count('format("woff2")') == 2
    first = re.search(r"data:font/woff2;base64,([^\"]+)", inlined)
    assert first and {ord(char) for char in "月度复盘"} <= cmap(base64.b64decode(first[1]))
    assert all(font.data.startswith(b"wOF2") for font in fonts.values())  # brotli: 11 % under WOFF's zlib


def test_a_chart_carries_the_weights_and_characters_of_its_own_text() -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg"><defs><style type="text/css">*{}</style></defs>'
        '<text style="font-size: 7px">8月 &amp; 9月</text>'
        '<text style="font-weight: 700; font-size: 7px">目标</text></svg>'
    ).encode()
    carried = webfonts.svg_with_fonts(svg).decode()
    rules = re.findall(
        r"font-weight:(\d+);src:url\(\"data:font/woff2;base64,([^\"]+)\"\) format\(\"woff2\"\)", carried
    )
    assert [weight for weight, _ in rules] == ["400", "700"]
    assert cmap(base64.b64decode(rules[0][1])) == {ord(char) for char in "8月 &9"}
    assert cmap(base64.b64decode(rules[1][1])) == {ord(char) for char in "目标 "}
    assert webfonts.svg_with_fonts(b"<svg><path d='M 0 0'/></svg>") == b"<svg><path d='M 0 0'/></svg>"


def test_serve_fonts_hold_every_character_of_its_words() -> None:
    fonts = webfonts.interface_fonts()
    assert sorted(fonts) == ["NotoSansSC-Bold.woff2", "NotoSansSC-Regular.woff2"]
    wanted = {ord(char) for char in webfonts.interface_text() if "\u4e00" <= char <= "\u9fff"}
    assert wanted and wanted <= cmap(fonts["NotoSansSC-Regular.woff2"].data)
    assert fonts["NotoSansSC-Regular.woff2"].data.startswith(b"wOF2")


def test_web_css_draws_the_same_ranges_the_page_fonts_cover() -> None:
    css = (templates_folder() / "web" / "web.css").read_text("utf-8")
    ranges = set(re.findall(r"unicode-range:\s*([^;]+);", css))
    assert ranges == {", ".join(f"U+{low:X}-{high:X}" for low, high in webfonts.CJK_RANGES)}


def test_a_page_with_chinese_beyond_the_interface_gets_its_own_set() -> None:
    fonts = webfonts.PageFonts(limit=2)
    assert fonts.key_for("<h1>月度复盘</h1> plain text") is None  # the interface's own words
    key = fonts.key_for("<td>活动!C7</td><h2>星河增长团队</h2>")
    assert key is not None
    css = fonts.stylesheet(key)
    assert css is not None and css.count("@font-face") == 2
    extra = {char for char in "活动星河增长团队" if ord(char) not in webfonts.interface_codepoints()}
    assert re.findall(r"unicode-range: ([^;]+);", css)[0] == webfonts.unicode_range(map(ord, extra))
    regular = fonts.font(key, "Regular")
    assert regular is not None and cmap(regular.data) == {ord(char) for char in extra} | {ord(" ")}
    assert fonts.font(key, "Italic") is None and fonts.font("0" * 20, "Regular") is None
    page = fonts.link("<html><head><title>x</title></head><body>星河</body></html>")
    assert f'<link rel="stylesheet" href="/static/fonts/page-{fonts.key_for("星河")}.css">' in page
    fonts.key_for("鲸")
    fonts.key_for("鲨")
    assert fonts.stylesheet(key) is None  # forgotten past the limit


def test_unicode_ranges_join_runs() -> None:
    assert webfonts.unicode_range([0x4E01, 0x4E00, 0x4E02, 0x4E10]) == "U+4E00-4E02, U+4E10"
