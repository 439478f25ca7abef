"""The page's history panel through the real app (Starlette's TestClient, its process pool) over a real
archive (SQLite, written with the archive's own API as builds and sends record themselves): the uploaded
workbook's team, its months newest first, each version built when and sent or not, bounded, in both
languages, as text; an archive that cannot be opened is named, not a trace."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from collections.abc import Iterator, Sequence
from html import unescape
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from reportgen.apps.serve.app import ServeOptions, Server
from reportgen.apps.serve.builds import CheckedUpload, check_upload
from reportgen.archive.records import BuildRecord
from reportgen.archive.store import Archive, open_archive
from reportgen.base.catalogue import catalogue
from reportgen.base.config import ArchiveSettings, Config, EmailSettings
from tests.builders import OCTOBER_ROWS, make_workbook, team_copy
from tests.e2e.test_web import AS_OF, BASE, SAMPLE, sample_config, token, upload
from tests.mailserver import free_port

TEAM = "Northwind Growth Team"  # the title above the sample's header row
UTC = dt.UTC


@pytest.fixture(scope="module")
def archive_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('archive') / 'archive.sqlite3'}"


@pytest.fixture(scope="module")
def archive(archive_url: str) -> Iterator[Archive]:
    """The same archive the server reads, opened by the test to record builds and sends."""
    opened = open_archive(ArchiveSettings(url=archive_url))
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def client(archive_url: str) -> Iterator[TestClient]:
    config = dataclasses.replace(sample_config(), archive=ArchiveSettings(url=archive_url))
    with TestClient(Server(ServeOptions(as_of=AS_OF), config).app(), base_url=BASE) as running:
        yield running


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def record(
    archive: Archive,
    team: str,
    month: str,
    workbook: str,
    built: dt.datetime,
    *,
    lang: str = "en",
    sent: dt.datetime | None = None,
    to: Sequence[str] = (),
    refused: Sequence[str] = (),
) -> None:
    """A build of `workbook` (its version: the archive's rule), and a send of its PDF when `sent` is given:
    accepted by `to`, refused for `refused`."""
    pdf = sha(f"{team}/{month}/{workbook}/{lang}")
    archive.clock = lambda: built
    archive.record_build(
        BuildRecord(
            team=team,
            month=month,
            lang=lang,
            as_of=AS_OF,
            workbook_name=f"{workbook}.xlsx",
            workbook_sha256=sha(f"{team}/{month}/{workbook}"),
            pdf_sha256=pdf,
            pdf_path=Path(f"/reviews/{month}.pdf"),
            kpis={},
            figures=b"{}",
        )
    )
    if sent is not None:
        archive.clock = lambda: sent
        plan = archive.begin_send(pdf, f"{month}.pdf", [*to, *refused])
        archive.finish_send(
            plan,
            accepted=list(to),
            refused={address: "550 5.1.1 No such user here" for address in refused},
            message_id="<m@example.com>" if to else None,
        )


def local(moment: dt.datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M %Z")


def panel(page: str) -> dict[str, list[list[str]]]:
    """The history table as text: each month's rows, each row's cells (the month's own cell left out)."""
    months: dict[str, list[list[str]]] = {}
    for month, body in re.findall(r'<tbody data-month="([^"]+)">(.*?)</tbody>', page, re.S):
        rows = []
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
            cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            rows.append([unescape(re.sub(r"<[^>]+>", " ", cell)).split() for cell in cells])
        months[month] = [[" ".join(words) for words in row] for row in rows]
    return months


def test_the_panel_lists_the_teams_months_newest_first(client: TestClient, archive: Archive) -> None:
    october_1 = dt.datetime(2026, 10, 30, 9, 0, tzinfo=UTC)
    october_sent = dt.datetime(2026, 10, 30, 9, 30, tzinfo=UTC)
    october_2 = dt.datetime(2026, 11, 2, 16, 45, tzinfo=UTC)
    september = dt.datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
    august = dt.datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    record(archive, TEAM, "2026-08", "a", august, sent=august, refused=["gone@example.com"])
    record(archive, TEAM, "2026-09", "b", september, sent=september, to=["boss@example.com"])
    record(archive, TEAM, "2026-10", "c", october_1, sent=october_sent, to=["boss@example.com", "cfo@x.cn"])
    record(archive, TEAM, "2026-10", "d", october_2 - dt.timedelta(minutes=5))
    record(archive, TEAM, "2026-10", "d", october_2, lang="zh")  # the same version again, in Chinese
    record(archive, "Another Team", "2026-10", "e", october_2, sent=october_2, to=["x@example.com"])
    location = upload(client, SAMPLE.name, SAMPLE.read_bytes()).headers["location"]

    english = client.get(location, headers={"Accept-Language": "en"}).text
    words = catalogue("en")
    assert words.text("web.history_title", team=TEAM) in unescape(english)
    shown = panel(english)
    assert list(shown) == ["2026-10", "2026-09", "2026-08"]  # newest first, only this team's
    assert shown["2026-10"] == [
        [
            words.text("web.history_version", version=2),
            f"{words.text('web.history_built', at=local(october_2))} English, Chinese",
            words.text("web.history_not_sent"),
        ],
        [
            words.text("web.history_version", version=1),
            f"{words.text('web.history_built', at=local(october_1))} English",
            words.text("web.history_sent", at=local(october_sent), count=2),
        ],
    ]
    assert shown["2026-09"][0][2] == words.text("web.history_sent_one", at=local(september))
    assert shown["2026-08"][0][2] == words.text("web.history_not_delivered")
    assert "October 2026" in english and "x@example.com" not in english

    chinese = client.get(location, headers={"Accept-Language": "zh-CN"}).text
    zh = catalogue("zh")
    assert zh.text("web.history_title", team=TEAM) in unescape(chinese)
    rows = panel(chinese)["2026-10"]
    assert rows[1] == [
        zh.text("web.history_version", version=1),
        f"{zh.text('web.history_built', at=local(october_1))} 英文",
        zh.text("web.history_sent", at=local(october_sent), count=2),
    ]
    assert "2026年10月" in chinese and zh.text("history.col_sent") in chinese


def test_the_panel_is_bounded(client: TestClient, archive: Archive, tmp_path: Path) -> None:
    team = "Bounded Team"
    built = dt.datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    months = [f"{year}-{month:02d}" for year in (2025, 2026) for month in range(1, 13)][8:22]  # 14 months
    for month in months:
        record(archive, team, month, "v1", built)
    for number in range(2, 8):  # October 2026 has seven versions
        record(archive, team, "2026-10", f"v{number}", built + dt.timedelta(minutes=number))
    workbook = team_copy(SAMPLE, tmp_path / "bounded.xlsx", team)
    location = upload(client, workbook.name, workbook.read_bytes()).headers["location"]
    page = client.get(location).text
    shown = panel(page)
    words = catalogue("en")
    assert list(shown) == months[::-1][:12]  # the latest twelve
    october = shown["2026-10"]
    assert [row[0] for row in october[:5]] == [
        words.text("web.history_version", version=number) for number in (7, 6, 5, 4, 3)
    ]
    assert october[5] == [words.text("web.history_more_versions", count=2)]
    assert words.text("web.history_more_months", count=2) in unescape(page)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_team_with_no_history_says_so_under_the_file_name(
    client: TestClient, tmp_path: Path, lang: str
) -> None:
    """No title and no config team: the team is the workbook's name, as the review names it; once built
    here, the review is in the archive under that name."""
    team = f"acme-ops-{lang}"
    workbook = make_workbook(tmp_path, OCTOBER_ROWS, name=f"{team}.xlsx")
    location = upload(client, workbook.name, workbook.read_bytes()).headers["location"]
    page = client.get(location, headers={"Accept-Language": lang}).text
    words = catalogue(lang)
    assert words.text("web.history_title", team=team) in unescape(page)
    assert words.text("web.history_empty", team=team) in unescape(page)
    assert 'id="history-table"' not in page
    built = client.post(
        f"{location}/build",
        data={"token": token(client, location), "month": "2026-10", "lang": lang},
        follow_redirects=False,
    )
    assert built.status_code == 303
    preview = client.get(f"{location}/preview").text
    assert f'<h1 class="cover-title">{team}</h1>' in preview and ">workbook<" not in preview
    page = client.get(location, headers={"Accept-Language": lang}).text
    assert words.text("web.recorded", version=1) in unescape(page)
    assert [row[0] for row in panel(page)["2026-10"]] == [words.text("web.history_version", version=1)]


def test_the_team_follows_the_reviews_rule(tmp_path: Path) -> None:
    """The config's team, else the sheet's title, else the uploaded file's name (never the stored one's)."""
    titled = team_copy(SAMPLE, tmp_path / "stored", "Sheet Team")
    plain = make_workbook(tmp_path, OCTOBER_ROWS, name="stored-plain")
    config = sample_config()
    named = dataclasses.replace(config, team="Config Team")

    def team(path: Path, config: Config) -> str:
        checked = check_upload(path, "uploaded.xlsx", "uploaded", config, AS_OF)
        assert isinstance(checked, CheckedUpload)
        return checked.team

    assert team(titled, named) == "Config Team" and team(plain, named) == "Config Team"
    assert team(titled, config) == "Sheet Team"
    assert team(plain, config) == "uploaded"


def test_team_names_and_history_are_text(client: TestClient, archive: Archive, tmp_path: Path) -> None:
    team = '<img src=x onerror=alert(1)> & "Co"'
    record(archive, team, "2026-10", "x", dt.datetime(2026, 11, 1, tzinfo=UTC))
    workbook = team_copy(SAMPLE, tmp_path / "hostile.xlsx", team)
    location = upload(client, workbook.name, workbook.read_bytes()).headers["location"]
    page = client.get(location).text
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; &#34;Co&#34;" in page
    assert list(panel(page)) == ["2026-10"]


def test_an_archive_that_cannot_be_opened_is_named_not_a_trace(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the archive's folder should be")
    email = EmailSettings(host="127.0.0.1", port=free_port(), security="none", sender="ops@example.com")
    config = dataclasses.replace(
        sample_config(), archive=ArchiveSettings(url=f"sqlite:///{blocker}/archive.sqlite3"), email=email
    )
    with TestClient(Server(ServeOptions(as_of=AS_OF), config).app(), base_url=BASE) as running:
        location = upload(running, SAMPLE.name, SAMPLE.read_bytes()).headers["location"]
        for lang in ("en", "zh"):
            page = running.get(location, headers={"Accept-Language": lang})
            assert page.status_code == 200  # the check, build and download still work
            text = unescape(page.text)
            words = catalogue(lang)
            shown = re.search(r'id="history-unavailable">.*?<p class="lines">(.*?)</p>', page.text, re.S)
            assert shown and words.text("web.history_unavailable") in text
            opening = words.text("archive.unopenable", archive="\0", detail="").split("\0")[0]
            assert unescape(shown.group(1)).startswith(opening)
            assert "Traceback" not in page.text
        # the review is still built and downloadable; the page says the archive did not record it
        built = running.post(
            f"{location}/build",
            data={"token": token(running, location), "month": "2026-10", "lang": "en"},
            follow_redirects=False,
        )
        assert built.status_code == 303
        html = running.get(location).text
        words = catalogue("en")
        assert words.text("web.not_recorded") in unescape(html)
        problem = re.search(r'id="archive-problem">.*?<p class="lines">(.*?)</p>', html, re.S)
        assert problem and unescape(problem.group(1)).startswith(
            words.text("archive.unopenable", archive="\0", detail="").split("\0")[0]
        )
        assert "reportgen-serve-" not in html  # the upload's folder is not named
        assert running.get(f"{location}/review.pdf").content.startswith(b"%PDF-")
        # a send cannot claim its addresses: nothing goes out, and the page says why
        sent = running.post(
            f"{location}/send",
            data={"token": token(running, location), "to": "ann@example.com"},
            follow_redirects=False,
        )
        assert sent.status_code == 503
        assert words.text("web.send_kept") in unescape(sent.text) and "Traceback" not in sent.text
        assert words.text("archive.unopenable", archive="\0", detail="").split("\0")[0] in unescape(sent.text)


def sends_shown(page: str) -> list[str]:
    """The team page's send lines, as text."""
    return [
        " ".join(unescape(line).split()) for line in re.findall(r'<div class="sent">(.*?)</div>', page, re.S)
    ]


def test_serve_tells_a_repeat_and_a_reader_left_out_as_history_show_does(
    client: TestClient, archive: Archive, tmp_path: Path
) -> None:
    """A send to two addresses, the same PDF sent again (a repeat: nobody mailed), a reader of Chinese with
    no Chinese copy built, as the pipeline records them: the team page says the repeat was a repeat and who
    had the review since when (not 'send … failed'), and names the reader left out and why, in the words of
    `history show`; the upload's panel says a month whose only send left its reader out was not delivered,
    as `reportgen history` does (not 'not sent')."""
    team = "Repeat Team"
    first = dt.datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    again = dt.datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    zh_reader = dt.datetime(2026, 11, 2, 11, 0, tzinfo=UTC)
    boss, cfo, wang = "boss@example.com", "cfo@example.com", "wang@example.cn"
    record(archive, team, "2026-10", "r", first, sent=first, to=[boss, cfo])
    pdf = sha(f"{team}/2026-10/r/en")
    archive.clock = lambda: again
    plan = archive.begin_send(pdf, "2026-10.pdf", [boss, cfo])
    assert not plan.to_send  # everyone had it: what deliver_once records
    archive.finish_send(plan, accepted=[], refused={}, message_id=None, detail="nothing to send")
    archive.clock = lambda: zh_reader
    archive.skip_send(pdf, "2026-10.pdf", {wang: "zh"}, detail="not delivered to wang@example.cn: …")
    # September: its only send left the one reader, of Chinese, without a copy
    record(archive, team, "2026-09", "s", first)
    archive.skip_send(sha(f"{team}/2026-09/s/en"), "2026-09.pdf", {wang: "zh"})

    workbook = team_copy(SAMPLE, tmp_path / "repeat.xlsx", team)
    location = upload(client, workbook.name, workbook.read_bytes()).headers["location"]
    for lang in ("en", "zh"):
        words = catalogue(lang)
        page = client.get(
            f"/team?name={team.replace(' ', '%20')}&month=2026-10", headers={"Accept-Language": lang}
        )
        assert page.status_code == 200, page.text
        lines = sends_shown(page.text)
        had = words.text("history.skipped_already", addresses=words.text("where.list").join([boss, cfo]),
                         when=local(first))  # fmt: skip
        repeat = words.text("history.send_repeat_of", at=local(again), had=had)
        left = words.text(
            "history.send_left_out",
            at=local(zh_reader),
            why=words.text("history.skipped_no_copy", addresses=wang, reads="zh"),
        )
        management = [words.text("history.audience_management", line=line) for line in (repeat, left)]
        assert management[0] in lines and management[1] in lines, lines
        failed = words.text("history.send_failed_line", at=local(again))
        assert not any(failed in line for line in lines), lines
        shown = panel(client.get(location, headers={"Accept-Language": lang}).text)
        assert shown["2026-09"][0][2] == words.text("web.history_not_delivered")
        assert shown["2026-10"][0][2] == words.text("web.history_sent", at=local(first), count=2)
