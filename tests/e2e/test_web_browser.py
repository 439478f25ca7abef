"""The page in real headless Chromium (Debian's, driven by Playwright): upload a sample, read its findings,
build, preview, download the PDF and read it back; an error state; English and Chinese; screenshots saved."""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from pypdf import PdfReader

from reportgen.config import load_config
from reportgen.messages import catalogue
from reportgen.pipeline import check_workbook
from tests.e2e.webserver import ROOT, SAMPLES, running_server

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
SHOTS = ROOT / "out" / "screenshots"
AS_OF = dt.date(2026, 11, 3)  # the --as-of the server runs with


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(tmp_path_factory.mktemp("serve")) as base:
        yield base


def shot(page: Page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


def drop(page: Page, workbook: Path) -> None:
    """Drag a file onto the drop zone as a browser does: a drop event whose DataTransfer holds the file."""
    payload = base64.b64encode(workbook.read_bytes()).decode("ascii")
    transfer = page.evaluate_handle(
        """([payload, name]) => {
            const bytes = Uint8Array.from(atob(payload), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name));
            return transfer;
        }""",
        [payload, workbook.name],
    )
    page.dispatch_event("#drop", "dragover", {"dataTransfer": transfer})
    page.dispatch_event("#drop", "drop", {"dataTransfer": transfer})


def test_upload_findings_build_preview_download(browser: Browser, server: str) -> None:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-US", accept_downloads=True
    )
    page = context.new_page()
    page.goto(server + "/")
    words = catalogue("en")
    expect(page.locator("h1")).to_have_text(words.text("web.title"))
    shot(page, "en-1-upload")

    workbook = SAMPLES / "northwind-en.xlsx"
    page.set_input_files("#workbook", str(workbook))
    page.click("#upload-form button[type=submit]")
    expect(page.locator("#findings")).to_be_visible()
    expect(page.locator("#file-name")).to_have_text(workbook.name)
    checked = check_workbook(workbook, load_config(SAMPLES / "reportgen.toml"), AS_OF)
    cells = page.locator("#findings td.cell").all_inner_texts()
    assert cells and set(cells) <= {str(f.ref) if f.ref else (f.sheet_name or "") for f in checked.findings}
    assert any(re.fullmatch(r"[^!]+![A-Z]+\d+", cell) for cell in cells)
    assert len(cells) == min(len(checked.findings), 200)
    shot(page, "en-2-findings")

    page.select_option("#month", "2026-10")
    page.select_option("#review-lang", "en")
    page.click("#build-form button[type=submit]")
    expect(page.locator("#review")).to_be_visible(timeout=60_000)
    preview = page.frame_locator("#preview")
    expect(preview.locator("h1").first).to_be_visible()
    assert page.locator("#preview").get_attribute("sandbox") == ""
    shot(page, "en-3-review")

    with page.expect_download() as waiting:
        page.click("#download")
    download = waiting.value
    assert download.suggested_filename == "northwind-en-2026-10.pdf"
    data = Path(download.path()).read_bytes()
    text = "".join(page_.extract_text() for page_ in PdfReader(io.BytesIO(data)).pages[:2])
    assert "Connection" in text or "connection" in text.lower()
    assert data.startswith(b"%PDF")
    context.close()


def test_chinese_page_error_state_and_narrow_width(browser: Browser, server: str, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    page.goto(server + "/")
    words = catalogue("zh")
    expect(page.locator("h1")).to_have_text(words.text("web.title"))
    shot(page, "zh-1-upload-narrow")

    fake = tmp_path / "活动记录.xlsx"
    fake.write_text("日期,渠道,活动\n2026-10-05,SEO,关键词页\n", encoding="utf-8")
    page.set_input_files("#workbook", str(fake))
    page.click("#upload-form button[type=submit]")
    expect(page.locator("#error")).to_be_visible()
    assert words.text("error.text_file") in page.locator("#error").inner_text()
    assert "Traceback" not in page.content()
    shot(page, "zh-2-error-narrow")

    page.set_input_files("#workbook", str(SAMPLES / "xinghe-zh.xlsx"))
    page.click("#upload-form button[type=submit]")
    expect(page.locator("#findings")).to_be_visible()
    assert page.locator("#findings thead").inner_text().startswith(words.text("check.col_severity"))
    shot(page, "zh-3-findings-narrow")
    page.click("#switch-lang")
    expect(page.locator("h1")).to_have_text(catalogue("en").text("web.title"))
    page.click("#switch-lang")
    page.select_option("#month", "2026-10")
    page.select_option("#review-lang", "zh")
    page.click("#build-form button[type=submit]")
    expect(page.locator("#review")).to_be_visible(timeout=60_000)
    expect(page.frame_locator("#preview").locator("h1").first).to_be_visible()
    context.close()
    wide = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = wide.new_page()
    page.goto(server + "/")
    drop(page, SAMPLES / "xinghe-zh.xlsx")  # dragged onto the page: the script submits it
    expect(page.locator("#findings")).to_be_visible()
    expect(page.locator("#file-name")).to_have_text("xinghe-zh.xlsx")
    shot(page, "zh-4-findings")
    page.select_option("#month", "2026-10")
    page.click("#build-form button[type=submit]")
    expect(page.locator("#review")).to_be_visible(timeout=60_000)
    expect(page.frame_locator("#preview").locator("h1").first).to_be_visible()
    shot(page, "zh-5-review")
    wide.close()
