"""The page in real headless Chromium (Debian's, driven by Playwright): upload a sample, read its findings,
build, preview, download the PDF and read it back, send it to a real SMTP server on 127.0.0.1; an error state;
English and Chinese; screenshots saved."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from reportgen.archive.records import BuildRecord
from reportgen.archive.store import Archive, open_archive
from reportgen.base.catalogue import catalogue
from reportgen.base.config import ArchiveSettings, load_config
from reportgen.pipeline.build import check_workbook
from tests.builders import team_copy
from tests.e2e.webserver import ROOT, SAMPLES, running_server
from tests.mailserver import HOST, Handler, parts, smtp_server

SHOTS = ROOT / "out" / "screenshots"
AS_OF = dt.date(2026, 11, 3)  # the --as-of the server runs with


@pytest.fixture(scope="module")
def font_rules() -> str:
    """The package's Noto Sans SC among Chromium's fonts (the `browser` fixture, tests/e2e/conftest.py): this
    machine has no CJK font, and every reader of the Chinese page has one (the page asks for the system's), so
    the screenshots show what they see rather than empty boxes."""
    return f"  <dir>{ROOT / 'reportgen' / 'assets' / 'fonts'}</dir>\n"


@pytest.fixture(scope="module")
def mailbox() -> Iterator[tuple[Handler, int]]:
    """The SMTP server the page sends to (aiosmtpd on 127.0.0.1); it refuses nobody@example.com."""
    handler = Handler(rcpt_replies={"nobody@example.com": "550 5.1.1 No such user here"})
    with smtp_server(handler) as port:
        yield handler, port


@pytest.fixture(scope="module")
def archive_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The server's archive, which the history test fills through the archive's own API."""
    return f"sqlite:///{tmp_path_factory.mktemp('archive') / 'archive.sqlite3'}"


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, mailbox: tuple[Handler, int], archive_url: str
) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("serve")
    config = folder / "reportgen.toml"
    email = (
        f'\n[email]\nhost = "{HOST}"\nport = {mailbox[1]}\nsecurity = "none"\n'
        'sender = "Ops <ops@example.com>"\n'
        'to = ["boss@example.com"]\nattempts = 1\ntimeout = 10\nsend_with_errors = true\n'
        f'\n[archive]\nurl = "{archive_url}"\n'
    )
    config.write_text((SAMPLES / "reportgen.toml").read_text("utf-8") + email, "utf-8")
    with running_server(folder, config=config) as base:
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


def test_send_from_the_page_in_both_languages(
    browser: Browser, server: str, mailbox: tuple[Handler, int]
) -> None:
    handler, _ = mailbox
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.goto(server + "/")
    page.set_input_files("#workbook", str(SAMPLES / "northwind-en.xlsx"))
    page.click("#upload-form button[type=submit]")
    page.select_option("#month", "2026-10")
    page.select_option("#review-lang", "en")
    page.click("#build-form button[type=submit]")
    expect(page.locator("#review")).to_be_visible(timeout=60_000)
    expect(page.locator("#to")).to_have_value("boss@example.com")  # [email] to
    download = page.request.get(server + (page.locator("#download").get_attribute("href") or "")).body()

    before = len(handler.received)
    page.fill("#to", "ann@example.com, Bob Lee <bob@example.com>")
    page.click("#send-form button[type=submit]")
    words = catalogue("en")
    sent = words.text("web.sent", accepted="ann@example.com, bob@example.com")
    expect(page.locator("#send-result")).to_have_text(sent, timeout=30_000)
    expect(page.locator("#send-result")).to_be_in_viewport()  # the page opens at the result
    received = handler.received[before:]
    assert [message.rcpt_tos for message in received] == [("ann@example.com", "bob@example.com")]
    _, _, attachments = parts(received[0].message)
    assert attachments[0].get_filename() == "northwind-en-2026-10.pdf"
    assert attachments[0].get_content() == download
    shot(page, "en-4-sent")
    page.click("#switch-lang")
    zh = catalogue("zh")
    expect(page.locator("#send-result")).to_have_text(
        zh.text("web.sent", accepted="ann@example.com、bob@example.com")
    )
    shot(page, "zh-6-sent")

    page.fill("#to", "cara@example.com, nobody@example.com")
    page.click("#send-form button[type=submit]")
    expect(page.locator("#send-error")).to_be_visible(timeout=30_000)
    expect(page.locator("#send-error")).to_be_in_viewport()
    expect(page.locator("#send-error strong")).to_have_text(zh.text("web.send_partial"))
    shown = page.locator("#send-error p").inner_text()
    assert zh.text("delivery.partial", accepted="cara@example.com") in shown
    assert "nobody@example.com" in shown and "550 5.1.1 No such user here" in shown
    assert zh.text("web.send_kept") in shown
    expect(page.locator("#to")).to_have_value("cara@example.com, nobody@example.com")
    assert "Traceback" not in page.content()
    shot(page, "zh-7-send-refused")

    # the archive remembers: the same PDF to ann again is refused with when, unless "send again" is ticked
    before = len(handler.received)
    page.fill("#to", "ann@example.com")
    page.click("#send-form button[type=submit]")
    expect(page.locator("#send-error strong")).to_have_text(zh.text("web.send_not_again"), timeout=30_000)
    assert "ann@example.com" in page.locator("#send-error p").inner_text()
    assert len(handler.received) == before
    shot(page, "zh-8-not-sent-again")
    page.check("#resend")
    page.click("#send-form button[type=submit]")
    expect(page.locator("#send-result")).to_have_text(zh.text("web.sent", accepted="ann@example.com"))
    assert [message.rcpt_tos for message in handler.received[before:]] == [("ann@example.com",)]
    context.close()


def test_the_history_panel_in_both_languages(
    browser: Browser, server: str, archive_url: str, tmp_path: Path
) -> None:
    """The team's past months from the archive (filled with its own API, as builds and sends record
    themselves), newest first, read in English and in Chinese; screenshots to look at. Teams of their own,
    so the other tests' builds of the samples stay out of the picture."""
    archive = open_archive(ArchiveSettings(url=archive_url))
    try:
        for team in ("Harbor Growth Team", "远航增长团队"):
            fill_history(archive, team)
    finally:
        archive.close()
    for lang, locale, sample, team in (
        ("en", "en-US", "northwind-en.xlsx", "Harbor Growth Team"),
        ("zh", "zh-CN", "xinghe-zh.xlsx", "远航增长团队"),
    ):
        words = catalogue(lang)
        workbook = team_copy(SAMPLES / sample, tmp_path / f"harbor-{lang}.xlsx", team)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
        page = context.new_page()
        page.goto(server + "/")
        page.set_input_files("#workbook", str(workbook))
        page.click("#upload-form button[type=submit]")
        expect(page.locator("#history-title")).to_have_text(words.text("web.history_title", team=team))
        months = page.locator("#history-table tbody").evaluate_all(
            "bodies => bodies.map(body => body.dataset.month)"
        )
        assert months == ["2026-10", "2026-09", "2026-08", "2026-07"]
        first = page.locator("#history-table tbody").first
        expect(first.locator("td").nth(2)).to_have_text(words.text("web.history_not_sent"))
        sent = first.locator("tr").nth(1).locator("td").nth(2)
        expect(sent).to_contain_text(words.text("web.history_sent", at="\0", count=3).split("\0")[0].strip())
        page.locator("#history").scroll_into_view_if_needed()
        shot(page, f"{lang}-9-history")
        page.locator("#history").screenshot(path=str(SHOTS / f"{lang}-9-history-panel.png"))
        context.close()


def fill_history(archive: Archive, team: str) -> None:
    """Four months of one team: versions built, sent to some, one delivery refused, one not sent yet."""
    plan: list[tuple[str, str, str, tuple[str, ...], tuple[str, ...]]] = [
        ("2026-07", "a", "en", ("boss@example.com",), ()),
        ("2026-08", "b", "en", ("boss@example.com", "cfo@example.com"), ()),
        ("2026-09", "c", "zh", (), ("gone@example.com",)),
        ("2026-09", "d", "zh", ("boss@example.com",), ()),
        ("2026-10", "e", "en", ("boss@example.com", "cfo@example.com", "lead@example.com"), ()),
        ("2026-10", "f", "en", (), ()),
    ]
    for index, (month, workbook, lang, to, refused) in enumerate(plan):
        # built in the first days after its month ends, a revision a day after the version before
        year, number = int(month[:4]), int(month[5:])
        built = dt.datetime(year, number + 1, 2, 9, 30, tzinfo=dt.UTC) + dt.timedelta(days=index % 2)
        pdf = hashlib.sha256(f"{team}{month}{workbook}".encode()).hexdigest()
        archive.clock = at(built)
        archive.record_build(
            BuildRecord(
                team=team,
                month=month,
                lang=lang,
                as_of=AS_OF,
                workbook_name=f"{workbook}.xlsx",
                workbook_sha256=hashlib.sha256(f"{team}{month}{workbook}".encode()).hexdigest(),
                pdf_sha256=pdf,
                pdf_path=Path(f"/reviews/{month}.pdf"),
                kpis={},
                figures=b"{}",
            )
        )
        if to or refused:
            archive.clock = at(built + dt.timedelta(hours=2))
            send = archive.begin_send(pdf, f"{month}.pdf", [*to, *refused])
            replies = {address: "550 5.1.1 No such user here" for address in refused}
            archive.finish_send(send, accepted=list(to), refused=replies, message_id=None)


def at(moment: dt.datetime) -> Callable[[], dt.datetime]:
    """A clock stopped at `moment` (the archive's, while the test writes its history)."""
    return lambda: moment
