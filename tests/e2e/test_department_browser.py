"""The department page with accounts, in real headless Chromium (Debian's, driven by Playwright) against a
real `reportgen serve`: a head, two leads and a viewer sign in and each sees what is theirs; a lead gets
403 on another team's page, PDF and approve URL; a viewer's approve is refused; a lead approves and rejects as
themselves; wrong passwords lock out; a session cookie replayed from another address or after sign-out is
refused; the proxy's header is believed only from the proxy. Screenshots in both languages and at phone
width are saved to out/screenshots/.

The archive holds the two samples (built for real: "built, not sent", and one waiting for its approver) and
generated teams in every other stage: delivered, rejected, blocked by errors, workbook missing, unchanged."""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import re
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from reportgen.archive.accounts import Accounts, Grant, Role
from reportgen.archive.records import BuildRecord
from reportgen.archive.store import Archive, open_archive
from reportgen.base.catalogue import catalogue
from reportgen.base.config import ArchiveSettings
from reportgen.base.states import RunState
from tests.e2e.webserver import ROOT, SAMPLES, running_server
from tests.mailserver import HOST, Handler, smtp_server

SHOTS = ROOT / "out" / "screenshots"
MONTH = "2026-10"  # serve runs --as-of 2026-11-03: the department page opens on October
OTHER = "2026-12"  # Northwind's other draft, waiting for lead.north: lead.also tries to approve it
PASSWORDS = {
    "head": "head password 1",
    "lead.north": "north password 1",
    "lead.two": "second lead password",
    "viewer": "viewer password 1",
    "locked.one": "locked password 1",
    "lead.also": "also password 1",
}
ATTEMPTS = 3  # [serve] login_attempts of this module's server
NORTHWIND = "Northwind Growth Team"


@pytest.fixture(scope="module")
def font_rules() -> str:
    """The package's Noto Sans SC among Chromium's fonts, as in test_web_browser.py."""
    return f"  <dir>{ROOT / 'reportgen' / 'assets' / 'fonts'}</dir>\n"


@pytest.fixture(scope="module")
def mailbox() -> Iterator[tuple[Handler, int]]:
    handler = Handler()
    with smtp_server(handler) as port:
        yield handler, port


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def record(
    archive: Archive,
    team: str,
    stem: str,
    at: dt.datetime,
    pdf: bytes = b"%PDF-1.7 fake\n",
    month: str = MONTH,
) -> int:
    archive.clock = lambda: at
    recorded = archive.record_build(
        BuildRecord(
            team=team, month=month, lang="en", as_of=dt.date(2026, 11, 3), workbook_name=f"{stem}.xlsx",
            workbook_sha256=sha(f"{team}{at}".encode()), pdf_sha256=sha(pdf + team.encode()),
            pdf_path=Path(f"/reviews/{stem}-{month}.pdf"), kpis={}, figures=b"{}", errors=0,
            pdf=pdf + team.encode(),
        )
    )  # fmt: skip
    return recorded.build_id


def seed(archive: Archive, folder: Path, config: Path) -> None:
    """The two samples built for real (their PDFs kept), Northwind's draft waiting for lead.north; the
    generated teams in the other stages; the accounts."""
    for stem in ("northwind-en", "xinghe-zh"):
        out = folder / f"{stem}-{MONTH}.pdf"
        built = subprocess.run(
            [sys.executable, "-m", "reportgen", "build", str(SAMPLES / f"{stem}.xlsx"), "--month", MONTH,
             "--as-of", "2026-11-03", "--config", str(config), "-o", str(out)],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert built.returncode == 0, built.stderr
    (northwind,) = [v for v in archive.versions(NORTHWIND, MONTH)]
    build = northwind.builds[0]
    archive.clock = lambda: dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    archive.request_approval(build.build_id, NORTHWIND, "northwind-en", MONTH, build.pdf_sha256,
                             Path(build.pdf_path), "lead.north")  # fmt: skip

    day = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)
    # Harbor: delivered to management
    harbor = record(archive, "Harbor", "harbor", day)
    archive.clock = lambda: day + dt.timedelta(hours=1)
    pdf = archive.pdf_of(harbor)
    plan = archive.begin_send(sha(pdf.data), "harbor.pdf", ["boss@example.com", "cfo@example.com"])
    archive.finish_send(
        plan, accepted=["boss@example.com", "cfo@example.com"], refused={}, message_id="<m@x>"
    )
    # Delta: rejected with a reason
    delta = record(archive, "Delta", "delta", day)
    approval = archive.request_approval(delta, "Delta", "delta", MONTH, sha(archive.pdf_of(delta).data),
                                        Path("/reviews/delta.pdf"), "lead.two")  # fmt: skip
    archive.clock = lambda: day + dt.timedelta(days=1)
    archive.decide(approval, "rejected", by="head", reason="The event costs are missing")
    # Echo: a draft blocked by errors, with its cells
    echo = record(archive, "Echo", "echo", day)
    waiting = archive.request_approval(echo, "Echo", "echo", MONTH, sha(archive.pdf_of(echo).data),
                                       Path("/reviews/echo.pdf"), "lead.two", errors=2)  # fmt: skip
    run = archive.claim_run("echo", MONTH, day, "test")
    assert run is not None
    archive.finish_run(run, RunState.DRAFT_ERRORS, approval=waiting.approval_id, cells=["活动!C7", "活动!D9"],
                       errors=2, review_team="Echo")  # fmt: skip
    # Foxtrot: its workbook missing; Golf: unchanged since last month
    for team, why in (("foxtrot", "missing"), ("golf", "unchanged")):
        reminded = archive.claim_run(team, MONTH, day, "test", workbook=f"/books/{team}.xlsx")
        assert reminded is not None
        archive.finish_run(reminded, RunState.REMINDED, why=why, to="ops@example.com")

    # Northwind's December draft, waiting for lead.north (lead.also leads the team but does not approve)
    other = record(archive, NORTHWIND, "northwind-en", day - dt.timedelta(days=30), month=OTHER)
    digest = sha(archive.pdf_of(other).data)
    archive.request_approval(other, NORTHWIND, "northwind-en", OTHER, digest,
                             Path(f"/reviews/northwind-en-{OTHER}.pdf"), "lead.north")  # fmt: skip
    # the department's roll-up of October, drafted by the schedule and waiting for the head
    rollup = record(archive, "department", "department", day + dt.timedelta(days=1))
    archive.request_approval(rollup, "department", "department", MONTH, sha(archive.pdf_of(rollup).data),
                             Path(f"/reviews/department-{MONTH}.pdf"), "head")  # fmt: skip

    accounts = Accounts(archive)
    grants = {
        "head": [Grant("*", Role.HEAD)],
        "lead.north": [Grant("northwind-en", Role.LEAD)],
        "lead.two": [
            Grant("Harbor", Role.LEAD),
            Grant("xinghe-zh", Role.LEAD),
            Grant("Echo", Role.LEAD),
            Grant("delta", Role.LEAD),
        ],  # fmt: skip
        "viewer": [Grant(NORTHWIND, Role.VIEWER), Grant("harbor", Role.VIEWER)],
        "locked.one": [Grant("*", Role.VIEWER)],
        "lead.also": [Grant("northwind-en", Role.LEAD)],
    }
    for name, password in PASSWORDS.items():
        accounts.add(name, password, grants[name])


def write_config(folder: Path, archive_url: str, port: int, serve: str) -> Path:
    config = folder / "reportgen.toml"
    email = (
        f'\n[email]\nhost = "{HOST}"\nport = {port}\nsecurity = "none"\nsender = "Ops <ops@example.com>"\n'
        'to = ["boss@example.com"]\nattempts = 1\ntimeout = 10\n'
        f'\n[archive]\nurl = "{archive_url}"\n\n[serve]\n{serve}'
    )
    config.write_text((SAMPLES / "reportgen.toml").read_text("utf-8") + email, "utf-8")
    return config


@pytest.fixture(scope="module")
def archive_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('archive') / 'archive.sqlite3'}"


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, mailbox: tuple[Handler, int], archive_url: str
) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("department")
    config = write_config(
        folder, archive_url, mailbox[1], f"login_attempts = {ATTEMPTS}\nlockout_minutes = 15\n"
    )
    archive = open_archive(ArchiveSettings(url=archive_url))
    try:
        seed(archive, folder, config)
    finally:
        archive.close()
    with running_server(folder, config=config) as base:
        yield base


def shot(page: Page, name: str, full: bool = True) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full)
    return path


def signed_in(browser: Browser, server: str, name: str, locale: str = "en-US", width: int = 1280) -> Page:
    context = browser.new_context(
        viewport={"width": width, "height": 900}, locale=locale, accept_downloads=True
    )
    page = context.new_page()
    page.goto(server + "/")
    expect(page).to_have_url(re.compile(r"/signin"))
    page.fill("#name", name)
    page.fill("#password", PASSWORDS[name])
    page.click("#signin-form button[type=submit]")
    expect(page.locator("#who")).to_have_text(name)
    return page


def teams_shown(page: Page) -> dict[str, str]:
    rows = page.locator("#teams li")
    return {
        rows.nth(i).get_attribute("data-team") or "": rows.nth(i).get_attribute("data-stage") or ""
        for i in range(rows.count())
    }


def status_of(context: BrowserContext, url: str, form: dict[str, str | float | bool] | None = None) -> int:
    """A request with the context's cookies (and, for a form, the page's token): its status."""
    if form is None:
        return context.request.get(url, max_redirects=0).status
    return context.request.post(
        url, form=form, headers={"Origin": url.split("/team")[0]}, max_redirects=0
    ).status


def token_of(page: Page) -> str:
    return page.locator("input[name=token]").first.get_attribute("value") or ""


def test_the_head_sees_every_team_in_its_stage(browser: Browser, server: str) -> None:
    page = signed_in(browser, server, "head")
    assert teams_shown(page) == {
        "Delta": "rejected",
        "Echo": "blocked",
        "foxtrot": "missing",
        "golf": "unchanged",
        "Harbor": "delivered",
        NORTHWIND: "awaiting",
        "星河增长团队": "built",
        "department": "awaiting",  # the roll-up the schedule drafted: a row of its own, for the head
    }
    rollup_row = page.locator("#teams li").last  # after the teams
    expect(rollup_row).to_have_attribute("data-team", "department")
    expect(rollup_row).to_contain_text("Waiting for approval by head")
    expect(rollup_row.locator("a.button")).to_have_attribute(
        "href", f"/team?name=department&month={MONTH}#m-{MONTH}"
    )
    text = page.locator("#teams").inner_text()
    assert "boss@example.com, cfo@example.com" in text  # delivered: to whom
    assert "lead.north" in text  # waiting: for whom
    assert "活动!C7, 活动!D9" in text  # blocked: which cells
    assert "The event costs are missing" in text and "head" in text  # rejected: by whom and why
    assert "missing since" in text and "not changed since last month" in text
    assert "has not been sent" in text
    expect(page.locator("#rollup")).to_contain_text(f"reportgen rollup --month {MONTH}")  # the head's roll-up
    shot(page, "department-en")
    page.click("#switch-lang")
    expect(page.locator("h1")).to_have_text(catalogue("zh").text("web.dept.title"))
    shot(page, "department-zh")
    page.goto(f"{server}/team?name=department&month={MONTH}")  # the row's page: the head decides there
    expect(page.locator(f"#approve-{MONTH}")).to_be_visible()
    page.context.close()


def test_a_phone_sees_the_department_page_in_one_column(browser: Browser, server: str) -> None:
    page = signed_in(browser, server, "head", width=390)
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths  # nothing wider than the phone
    shot(page, "department-phone")
    page.goto(server + "/team?name=" + urllib.parse.quote(NORTHWIND))
    shot(page, "team-phone")
    page.context.close()


def test_a_lead_sees_only_their_teams_and_is_refused_the_others(browser: Browser, server: str) -> None:
    page = signed_in(browser, server, "lead.two")
    assert set(teams_shown(page)) == {"Delta", "Echo", "Harbor", "星河增长团队"}
    assert page.locator("#rollup").count() == 0
    context = page.context
    north = urllib.parse.quote(NORTHWIND)
    assert status_of(context, f"{server}/team?name={north}") == 403
    head = signed_in(browser, server, "head")
    head.goto(f"{server}/team?name={north}")
    pdf_href = head.locator("a.pdf").first.get_attribute("href") or ""
    assert pdf_href.startswith("/team/pdf")
    assert head.request.get(server + pdf_href).body().startswith(b"%PDF")
    head.context.close()
    assert status_of(context, server + pdf_href) == 403  # another team's PDF
    page.goto(server + "/team?name=Harbor")
    form: dict[str, str | float | bool] = {"token": token_of(page), "team": NORTHWIND, "month": MONTH}
    assert status_of(context, f"{server}/team/approve", form) == 403  # another team's approve
    assert status_of(context, f"{server}/team?name=nobody-knows") == 403  # unknown: not told apart
    shot(page, "team-en")
    page.click("#switch-lang")
    shot(page, "team-zh")
    context.close()


def test_a_viewer_reads_but_cannot_approve(browser: Browser, server: str) -> None:
    page = signed_in(browser, server, "viewer")
    assert set(teams_shown(page)) == {NORTHWIND, "Harbor"}
    assert page.locator("#teams a.button").count() == 0  # no action for a reader
    page.goto(server + "/team?name=" + urllib.parse.quote(NORTHWIND))
    assert page.locator("form.approve").count() == 0 and page.locator("#upload").count() == 0
    form: dict[str, str | float | bool] = {"token": token_of(page), "team": NORTHWIND, "month": MONTH}
    assert status_of(page.context, f"{server}/team/approve", form) == 403
    page.context.close()


def test_the_approver_approves_as_themselves_and_another_lead_rejects(
    browser: Browser, server: str, mailbox: tuple[Handler, int]
) -> None:
    page = signed_in(browser, server, "lead.north")
    assert set(teams_shown(page)) == {NORTHWIND}
    page.click(f"#teams li[data-team='{NORTHWIND}'] a.button")
    expect(page.locator(f"#approve-{MONTH}")).to_be_visible()
    page.click(f"#approve-{MONTH}")
    expect(page.locator(f"#m-{MONTH} .where")).to_contain_text("boss@example.com")
    assert "Approved by lead.north" in page.locator(f"#m-{MONTH} .decisions").inner_text()
    handler = mailbox[0]
    assert any("boss@example.com" in envelope.rcpt_tos for envelope in handler.received)
    page.context.close()
    # Echo is blocked: lead.two rejects it with a reason, recorded under their name
    two = signed_in(browser, server, "lead.two")
    two.goto(server + "/team?name=Echo&month=" + MONTH)
    two.fill(f"#reason-{MONTH}", "Fix C7 and D9 first")
    two.click(f"#reject-{MONTH}")
    expect(two.locator(f"#m-{MONTH} .decisions")).to_contain_text("Rejected by lead.two")
    two.context.close()


def test_a_lead_uploads_their_teams_workbook_but_not_anothers(browser: Browser, server: str) -> None:
    page = signed_in(browser, server, "lead.north")
    page.goto(server + "/team?name=northwind-en")
    page.set_input_files("#workbook", str(SAMPLES / "northwind-en.xlsx"))
    page.click("#upload-form button[type=submit]")
    expect(page.locator("#findings")).to_be_visible(timeout=60_000)
    page.select_option("#month", MONTH)
    page.click("#build-form button[type=submit]")
    expect(page.locator("#review")).to_be_visible(timeout=120_000)
    page.goto(server + "/team?name=northwind-en")  # the build is recorded under the lead's name
    expect(page.locator(f"#m-{MONTH} .decisions")).to_contain_text("built on the page by lead.north")
    page.context.close()
    two = signed_in(browser, server, "lead.two")
    two.goto(server + "/team?name=Harbor")
    two.set_input_files("#workbook", str(SAMPLES / "northwind-en.xlsx"))
    two.click("#upload-form button[type=submit]")
    expect(two.locator("#error")).to_contain_text(catalogue("en").text("web.dept.other_team", team=NORTHWIND))
    two.context.close()


def test_a_lead_who_is_not_the_approver_is_refused_on_both_approve_paths(
    browser: Browser, server: str, mailbox: tuple[Handler, int]
) -> None:
    """lead.also leads Northwind, but its December draft waits for lead.north: the team page's Approve and
    the upload page's (after uploading Northwind's workbook) are refused alike, and nothing is sent."""
    handler = mailbox[0]
    before = len(handler.received)
    refusal = catalogue("en").text("web.dept.not_approver", approver="lead.north")
    page = signed_in(browser, server, "lead.also")
    page.goto(server + "/team?name=northwind-en")
    form: dict[str, str | float | bool] = {"token": token_of(page), "team": NORTHWIND, "month": OTHER}
    answer = page.context.request.post(
        f"{server}/team/approve", form=form, headers={"Origin": server}, max_redirects=0
    )
    assert answer.status == 403 and refusal in answer.text()
    page.set_input_files("#workbook", str(SAMPLES / "northwind-en.xlsx"))
    page.click("#upload-form button[type=submit]")
    expect(page.locator("#findings")).to_be_visible(timeout=60_000)
    upload = page.url.split("#")[0]
    form = {"token": token_of(page), "month": OTHER}
    answer = page.context.request.post(
        f"{upload}/approve", form=form, headers={"Origin": server}, max_redirects=0
    )
    assert answer.status == 403 and refusal in answer.text()
    assert len(handler.received) == before  # management got nothing
    page.goto(f"{server}/team?name=northwind-en&month={OTHER}")
    expect(page.locator(f"#m-{OTHER} .stage-chip")).to_have_text(
        catalogue("en").text("web.dept.label_awaiting")
    )  # the draft still waits for lead.north
    page.context.close()


def test_the_team_is_the_one_the_workbook_names_never_the_file_name(
    browser: Browser, server: str, tmp_path: Path
) -> None:
    """A copy of Northwind's workbook whose title names Kestrel Team, a team nobody knows yet, still called
    northwind-en.xlsx: Northwind's lead is refused (the file's name gives no role), a head may upload it."""
    kestrel = tmp_path / "northwind-en.xlsx"
    book = openpyxl.load_workbook(SAMPLES / "northwind-en.xlsx")
    book["Activities"]["A1"] = "Kestrel Team — Marketing Ops Log 2026"
    book.save(kestrel)
    page = signed_in(browser, server, "lead.north")
    page.goto(server + "/team?name=northwind-en")
    page.set_input_files("#workbook", str(kestrel))
    page.click("#upload-form button[type=submit]")
    expect(page.locator("#error")).to_contain_text(
        catalogue("en").text("web.dept.new_team", team="Kestrel Team")
    )
    assert page.locator("#findings").count() == 0
    page.context.close()
    head = signed_in(browser, server, "head")
    head.goto(server + "/team?name=northwind-en")
    head.set_input_files("#workbook", str(kestrel))
    head.click("#upload-form button[type=submit]")
    expect(head.locator("#findings")).to_be_visible(timeout=60_000)
    head.context.close()


def request_from(server: str, path: str, source: str, headers: dict[str, str]) -> tuple[int, str]:
    """A GET from a chosen source address on the loopback network (127.0.0.2 is another machine to serve)."""
    parts = urllib.parse.urlsplit(server)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10,
                                            source_address=(source, 0))  # fmt: skip
    try:
        connection.request("GET", path, headers=headers)
        answer = connection.getresponse()
        return answer.status, answer.read().decode("utf-8", "replace")
    finally:
        connection.close()


def test_a_session_replayed_elsewhere_or_after_sign_out_is_refused(browser: Browser, server: str) -> None:
    page = signed_in(browser, server, "head")
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "reportgen_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["expires"] > 0
    jar = {"Cookie": f"reportgen_session={cookie['value']}"}
    assert request_from(server, "/", "127.0.0.1", jar)[0] == 200
    assert request_from(server, "/", "127.0.0.2", jar)[0] == 303  # stolen: to the sign-in page
    page.click("#signout")
    expect(page).to_have_url(re.compile(r"/signin"))
    assert request_from(server, "/", "127.0.0.1", jar)[0] == 303  # signed out: worth nothing
    page.context.close()


def test_wrong_passwords_lock_the_account_out(browser: Browser, server: str) -> None:
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(server + "/signin")
    shot(page, "signin-en")
    words = catalogue("en")
    for _ in range(ATTEMPTS):
        page.fill("#name", "locked.one")
        page.fill("#password", "not the password")
        page.click("#signin-form button[type=submit]")
        expect(page.locator("#error")).to_contain_text(words.text("web.dept.signin_failed"))
    page.fill("#name", "locked.one")
    page.fill("#password", PASSWORDS["locked.one"])
    page.click("#signin-form button[type=submit]")  # the right password, too late
    expect(page.locator("#error")).to_contain_text("Too many failed sign-ins")
    page.fill("#name", "nobody.at.all")
    page.fill("#password", "whatever it is")
    page.click("#signin-form button[type=submit]")  # an unknown name: the same words as a wrong password
    expect(page.locator("#error")).to_contain_text(words.text("web.dept.signin_failed"))
    page.goto(server + "/signin?lang=zh")
    shot(page, "signin-zh")
    context.close()


def test_the_proxy_header_counts_only_from_the_proxy(
    tmp_path: Path, archive_url: str, mailbox: tuple[Handler, int], server: str
) -> None:
    proxy = 'auth = "proxy"\nproxy_header = "X-Remote-User"\nproxy_addresses = ["127.0.0.2"]\n'
    config = write_config(tmp_path, archive_url, mailbox[1], proxy)
    with running_server(tmp_path, config=config, ready="/static/web.css") as proxied:
        header = {"X-Remote-User": "lead.north"}
        status, _ = request_from(proxied, "/", "127.0.0.1", header)
        assert status == 403  # not from the proxy: ignored
        status, body = request_from(proxied, "/", "127.0.0.2", header)
        assert status == 200 and NORTHWIND in body and "Harbor" not in body
        status, _ = request_from(proxied, "/", "127.0.0.2", {"X-Remote-User": "stranger"})
        assert status == 403  # named by the proxy, but no account here
