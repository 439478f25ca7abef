"""Chinese on every web surface, in real Chromium with no CJK font at all: serve's page (Chinese, and the
English page's 中文 switch), the review it previews, and the page `build --html` writes each carry the bundled
Noto Sans SC themselves.

Chromium runs with a fontconfig that rejects every font able to draw 一 (U+4E00), so the machine's fonts
(this one has none; another may) cannot stand in: a Chinese glyph on these pages can only come from a font
the page brought. The proof is twofold: `document.fonts` has the family's faces loaded and
`document.fonts.check` holds for Chinese text, and two different characters drawn in the family differ while
drawn in the system's fonts they are the same empty box."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from reportgen.base.catalogue import catalogue
from reportgen.rendering.webfonts import FAMILY
from tests.e2e.webserver import ROOT, SAMPLES, running_server

SHOTS = ROOT / "out" / "screenshots"
NO_CJK_RULES = """  <selectfont><rejectfont><pattern>
    <patelt name="charset"><charset><int>0x4e00</int></charset></patelt>
  </pattern></rejectfont></selectfont>
"""

# Draws two characters in a font on canvases and says whether the pictures differ: a font that has both
# draws two glyphs; none has them, and both become the same .notdef box.
GLYPHS_DIFFER = """([font, first, second]) => {
    const draw = (char) => {
        const canvas = document.createElement('canvas');
        canvas.width = 64; canvas.height = 64;
        const context = canvas.getContext('2d');
        context.font = font;
        context.fillStyle = '#000';
        context.fillText(char, 8, 48);
        return canvas.toDataURL();
    };
    return draw(first) !== draw(second);
}"""

FONT_STATE = """async ([family, text]) => {
    await document.fonts.ready;
    await document.fonts.load(`16px "${family}"`, text);
    const faces = [...document.fonts].filter((face) => face.family.replace(/"/g, '') === family);
    return {
        check: document.fonts.check(`16px "${family}"`, text),
        loaded: faces.filter((face) => face.status === 'loaded').map((face) => face.weight),
    };
}"""


@pytest.fixture(scope="module")
def font_rules() -> str:
    """The `browser` fixture's Chromium (tests/e2e/conftest.py) sees the machine's fonts except any that can
    draw Chinese."""
    return NO_CJK_RULES


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(tmp_path_factory.mktemp("serve")) as base:
        yield base


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


def drawn_with(page: Page, selector: str) -> list[dict[str, Any]]:
    """The fonts Chromium drew a node's text with (DevTools' CSS.getPlatformFontsForNode): family, whether it
    came from the page (a web font) and how many glyphs it drew."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]
    node = cdp.send("DOM.querySelector", {"nodeId": root["nodeId"], "selector": selector})
    fonts: list[dict[str, Any]] = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
    cdp.detach()
    return fonts


def assert_carries_chinese(page: Page, selector: str) -> None:
    """The node's Chinese text is drawn in the page's own copy of the bundled family, which the system's
    fonts could not do."""
    where = page.main_frame
    text = where.locator(selector).first.inner_text()
    assert any("\u4e00" <= char <= "\u9fff" for char in text), text
    state: dict[str, Any] = where.evaluate(FONT_STATE, [FAMILY, text])
    assert state["check"], state
    assert state["loaded"], state
    fonts = drawn_with(page, selector)
    assert all(font["isCustomFont"] for font in fonts if font["familyName"] == FAMILY), fonts
    chinese = [char for char in text if "\u3000" <= char <= "\uffef"]
    from_page = sum(
        font["glyphCount"] for font in fonts if font["isCustomFont"] and font["familyName"] == FAMILY
    )
    assert from_page >= len(chinese), (fonts, text)
    first, second = chinese[0], next(char for char in chinese if char != chinese[0])
    assert not where.evaluate(GLYPHS_DIFFER, ["32px sans-serif", first, second]), (
        "a system font draws Chinese"
    )


def test_serve_page_carries_its_chinese_font(browser: Browser, server: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    fonts: list[tuple[str, int, str]] = []
    page.on("response", lambda r: fonts.append((r.url, r.status, r.headers.get("content-type", ""))))
    page.goto(server + "/?lang=zh")
    zh = catalogue("zh")
    expect(page.locator("h1")).to_have_text(zh.text("web.title"))
    assert_carries_chinese(page, "h1")
    assert_carries_chinese(page, ".tagline")
    served = [entry for entry in fonts if "/static/fonts/" in entry[0]]
    assert served and all(status == 200 and kind == "font/woff2" for _, status, kind in served), served
    shot(page, "fonts-zh-serve")

    page.goto(server + "/?lang=en")  # the English page: its 中文 switch is drawn in the same font
    expect(page.locator("h1")).to_have_text(catalogue("en").text("web.title"))
    assert_carries_chinese(page, "#switch-lang")
    shot(page, "fonts-en-serve")
    context.close()


def test_serve_font_route(server: str) -> None:
    """Only the interface's two fonts and the pages' own sets are served; a reload revalidates by ETag (304,
    no body)."""
    import httpx

    with httpx.Client(base_url=server) as client:
        regular = client.get("/static/fonts/NotoSansSC-Regular.woff2")
        assert regular.status_code == 200 and regular.content.startswith(b"wOF2")
        assert regular.headers["cache-control"] == "no-cache"
        again = client.get(
            "/static/fonts/NotoSansSC-Regular.woff2", headers={"If-None-Match": regular.headers["etag"]}
        )
        assert again.status_code == 304 and not again.content
        assert client.get("/static/fonts/NotoSansSC-Bold.woff2").content.startswith(b"wOF2")
        assert client.get("/static/fonts/NotoSansSC-Regular.otf").status_code == 404
        assert client.get("/static/fonts/..%2Freview.css").status_code == 404
        assert client.get("/static/fonts/page-0123456789abcdef0123.css").status_code == 404  # never given
        assert client.get("/static/fonts/page-0123456789abcdef0123-Regular.woff2").status_code == 404


def test_serve_preview_carries_its_chinese_font(browser: Browser, server: str) -> None:
    """A Chinese workbook's page draws the sheet's and the team's names in the font of its own characters,
    and the preview of its review (the built page, in its sandboxed frame) draws Chinese itself."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(server + "/?lang=zh")
    page.set_input_files("#workbook", str(SAMPLES / "xinghe-zh.xlsx"))
    page.click("#upload-form button[type=submit]")
    expect(page.locator("#findings")).to_be_visible()
    # the workbook's own Chinese (its sheet's name in every finding's cell) is beyond the page's own words:
    # the page links a font of exactly those characters
    assert page.locator('link[href^="/static/fonts/page-"]').count() == 1
    assert_carries_chinese(page, "#findings td.cell")
    page.select_option("#month", "2026-10")
    page.select_option("#review-lang", "zh")
    page.click("#build-form button[type=submit]")
    expect(page.locator("#review")).to_be_visible(timeout=60_000)
    assert_carries_chinese(page, "#history-title")  # the team's name
    expect(page.frame_locator("#preview").locator("h1").first).to_be_visible()
    shot(page, "fonts-zh-serve-preview")
    address = page.locator("#preview").get_attribute("src")
    assert address
    alone = context.new_page()  # the framed document on its own (a sandboxed frame is a process of its own)
    alone.goto(server + address if address.startswith("/") else address)
    assert_carries_chinese(alone, "h1")
    assert_carries_chinese(alone, "h2")
    context.close()


def built_page(tmp_path: Path, workbook: str) -> Path:
    out = tmp_path / "review.html"
    subprocess.run(
        [sys.executable, "-m", "reportgen", "build", str(SAMPLES / workbook), "--month", "2026-10"]
        + ["--as-of", "2026-11-03", "--no-pdf", "--html", str(out)],
        check=True,
        capture_output=True,
    )
    return out


def test_html_review_carries_its_fonts(browser: Browser, tmp_path: Path) -> None:
    """`build --html` on the Chinese sample: one file that draws its Chinese, and its charts', itself."""
    html = built_page(tmp_path, "xinghe-zh.xlsx")
    text = html.read_text("utf-8")
    assert "local(" not in text and "reportgen:fonts" not in text
    context = browser.new_context(viewport={"width": 900, "height": 1200}, locale="zh-CN")
    page = context.new_page()
    page.goto(html.as_uri())
    assert_carries_chinese(page, "h1")
    assert_carries_chinese(page, "h2")
    assert_carries_chinese(page, "td")
    # Each chart is an SVG image, a document of its own: it draws its labels with the fonts it carries. The
    # same image with its @font-face rules taken out draws them as boxes: the pictures differ.
    differ = page.evaluate(
        """async () => {
            const draw = (src) => new Promise((resolve) => {
                const image = new Image();
                image.onload = () => {
                    const canvas = document.createElement('canvas');
                    canvas.width = image.naturalWidth * 2; canvas.height = image.naturalHeight * 2;
                    canvas.getContext('2d').drawImage(image, 0, 0, canvas.width, canvas.height);
                    resolve(canvas.toDataURL());
                };
                image.src = src;
            });
            const results = [];
            for (const image of document.querySelectorAll('figure img')) {
                const svg = atob(image.src.split(',')[1]);
                const bare = svg.replace(/@font-face\\{[^}]*\\}/g, '');
                const encode = (s) => 'data:image/svg+xml;base64,' + btoa(s);
                const changed = (await draw(image.src)) !== (await draw(encode(bare)));
                results.push([svg.includes('@font-face'), changed]);
            }
            return results;
        }"""
    )
    assert differ and all(carries for carries, _ in differ), differ
    assert sum(changed for _, changed in differ) >= len(differ) // 2, differ  # charts with Chinese labels
    alts = page.locator("figure img").evaluate_all("(images) => images.map((image) => image.alt)")
    assert alts and all(alt for alt in alts)
    shot(page, "fonts-zh-html")
    context.close()


def test_english_html_review_fonts_stay_small(tmp_path: Path) -> None:
    """The English page carries only the Latin it uses: its fonts add little to the file."""
    text = built_page(tmp_path, "northwind-en.xlsx").read_text("utf-8")
    fonts = [part.split('"', 1)[0] for part in text.split('url("data:font/woff2;base64,')[1:]]
    assert len(fonts) == 2 and all(len(font) < 40_000 for font in fonts), [len(font) for font in fonts]
