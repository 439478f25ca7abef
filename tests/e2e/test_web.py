"""Every route of `reportgen serve` over HTTP (Starlette's TestClient, the real app, its real process pool):
uploads good and bad, the Host, Origin and token checks, the build, preview, download and the clean-up."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import re
import threading
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from httpx2 import Response
from pypdf import PdfReader
from starlette.testclient import TestClient

from reportgen.apps.serve.app import ServeOptions, Server
from reportgen.apps.serve.guards import PREVIEW_POLICY, allowed_hosts, is_loopback
from reportgen.apps.serve.uploads import content_disposition, shown_file_name
from reportgen.base.catalogue import catalogue
from reportgen.base.config import ArchiveSettings, Config, ServeSettings, load_config
from reportgen.pipeline.build import check_workbook
from tests.e2e.webserver import SAMPLES

AS_OF = dt.date(2026, 11, 3)
BASE = "http://127.0.0.1:8000"
SAMPLE = SAMPLES / "northwind-en.xlsx"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sample_config(archive: Path | None = None, **serve: Any) -> Config:
    """The samples' config; with `archive`, that SQLite file as the archive (a module's server starts before
    the per-test data folder is set, so it is given its own)."""
    config = load_config(SAMPLES / "reportgen.toml")
    if serve:
        config = dataclasses.replace(config, serve=ServeSettings(**serve))
    if archive is not None:
        config = dataclasses.replace(config, archive=ArchiveSettings(url=f"sqlite:///{archive}"))
    return config


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Server:
    archive = tmp_path_factory.mktemp("archive") / "archive.sqlite3"
    return Server(ServeOptions(as_of=AS_OF), sample_config(archive))


@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[TestClient]:
    with TestClient(server.app(), base_url=BASE) as running:
        yield running


def token(client: TestClient, path: str = "/") -> str:
    page = client.get(path)
    found = re.search(r'name="token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def upload(client: TestClient, name: str, data: bytes, **headers: str) -> Response:
    return client.post(
        "/upload",
        data={"token": token(client)},
        files={"workbook": (name, data, XLSX)},
        headers=headers,
        follow_redirects=False,
    )


@pytest.fixture(scope="module")
def uploaded(client: TestClient) -> str:
    """The English sample, uploaded once: its /u/<id> path."""
    response = upload(client, SAMPLE.name, SAMPLE.read_bytes())
    assert response.status_code == 303
    return response.headers["location"]


def build_upload(client: TestClient, location: str) -> str:
    """The upload at `location` built (October 2026, in English) through the page's form; its location."""
    response = client.post(
        f"{location}/build",
        data={"token": token(client, location), "month": "2026-10", "lang": "en"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return location


@pytest.fixture(scope="module")
def built(client: TestClient, uploaded: str) -> str:
    return build_upload(client, uploaded)


def assert_no_trace(text: str) -> None:
    assert "Traceback" not in text and 'File "' not in text


# --- the page and its language ---


def test_home_speaks_the_browser_language_and_switches(client: TestClient) -> None:
    english, chinese = catalogue("en"), catalogue("zh")
    assert english.text("web.drop_here") in client.get("/", headers={"Accept-Language": "fr"}).text
    assert (
        chinese.text("web.drop_here") in client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text
    )
    assert (
        english.text("web.drop_here")
        in client.get("/", headers={"Accept-Language": "de;q=1, en;q=0.8, zh;q=0.5"}).text
    )
    switched = client.get("/?lang=zh", headers={"Accept-Language": "en"})
    assert chinese.text("web.drop_here") in switched.text
    assert "reportgen_lang=zh" in switched.headers["set-cookie"]
    assert (
        chinese.text("web.drop_here") in client.get("/", headers={"Accept-Language": "en"}).text
    )  # remembered
    client.get("/?lang=en")


def test_every_answer_carries_the_security_headers(client: TestClient) -> None:
    for path in ("/", "/static/web.css", "/no-such-page"):
        headers = client.get(path).headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["x-frame-options"] == "DENY"


def test_static_files_and_unknown_pages(client: TestClient) -> None:
    assert client.get("/static/web.js").headers["content-type"].startswith("text/javascript")
    missing = client.get("/static/../../pyproject.toml")
    assert missing.status_code == 404
    unknown = client.get("/static/page.html")
    assert unknown.status_code == 404 and catalogue("en").text("web.not_found") in unescape(unknown.text)
    assert client.get("/upload").status_code == 405


# --- Host (DNS rebinding) ---


def test_only_the_hosts_spec_lists_are_answered(client: TestClient) -> None:
    for host in ("127.0.0.1:8000", "localhost:8000", "[::1]:8000", "LOCALHOST:8000"):
        assert client.get("/", headers={"Host": host}).status_code == 200, host
    for host in ("evil.example:8000", "127.0.0.1:9999", "localhost", "attacker.localhost:8000", ""):
        refused = client.get("/", headers={"Host": host})
        assert refused.status_code == 421, host
        assert "http://127.0.0.1:8000/" in refused.text
    assert allowed_hosts("0.0.0.0", 8000, ["box.lan"]) >= {"0.0.0.0:8000", "box.lan:8000", "localhost:8000"}
    assert "[::]:8000" in allowed_hosts("::", 8000, [])


def test_allow_host_adds_a_name(server: Server) -> None:
    extra = Server(ServeOptions(allow_hosts=("reports.lan",), as_of=AS_OF), sample_config())
    with TestClient(extra.app(), base_url="http://reports.lan:8000") as named:
        assert named.get("/").status_code == 200
        assert named.get("/", headers={"Host": "other.lan:8000"}).status_code == 421


# --- uploads ---


def test_upload_shows_the_findings_with_their_cells(client: TestClient, uploaded: str) -> None:
    page = client.get(uploaded)
    assert page.status_code == 200
    checked = check_workbook(SAMPLE, sample_config(), AS_OF)
    for finding in checked.findings:
        assert (str(finding.ref) if finding.ref else finding.sheet_name or "") in page.text
    months = sorted({row.activity.month for row in checked.rows})
    for month in months:
        assert f'<option value="{month}"' in page.text
    assert catalogue("en").text("check.col_cell") in unescape(page.text)
    assert SAMPLE.name in page.text


def test_the_file_name_is_text_never_a_path(client: TestClient, server: Server) -> None:
    name = '../../<img src=x onerror=alert(1)>"evil.xlsx'
    response = upload(client, name, SAMPLE.read_bytes())
    assert response.status_code == 303
    upload_id = response.headers["location"].rsplit("/", 1)[1]
    record = server.uploads[upload_id]
    assert sorted(path.name for path in record.folder.iterdir()) == ["workbook"]
    assert record.folder.parent == server.root
    page = client.get(response.headers["location"]).text
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # the client sent the quote as %22
    assert shown_file_name("C:\\fakepath\\月报.xlsx") == "月报.xlsx"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_csv_renamed_xlsx_is_refused_with_the_catalogue_message(client: TestClient, lang: str) -> None:
    client.get(f"/?lang={lang}")
    response = upload(client, "log.xlsx", b"Date,Channel,Activity\n2026-10-05,SEO,Page\n")
    assert response.status_code == 422
    assert catalogue(lang).text("error.text_file") in unescape(response.text)
    assert "log.xlsx" in response.text and "/tmp" not in response.text
    assert_no_trace(response.text)
    client.get("/?lang=en")


def test_corrupt_and_truncated_workbooks_are_refused(client: TestClient) -> None:
    truncated = upload(client, "cut.xlsx", SAMPLE.read_bytes()[:4000])
    assert truncated.status_code == 422
    assert catalogue("en").text("error.corrupt", detail="").split("(")[0] in unescape(truncated.text)
    assert_no_trace(truncated.text)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    not_a_book = upload(client, "report.xlsx", buffer.getvalue())
    assert not_a_book.status_code == 422
    assert catalogue("en").text("error.not_workbook_zip") in unescape(not_a_book.text)
    random_bytes = upload(client, "noise.ods", bytes(range(256)) * 40)
    assert random_bytes.status_code == 422
    assert_no_trace(random_bytes.text)


def test_a_failed_upload_leaves_no_folder(client: TestClient, server: Server) -> None:
    assert server.root is not None
    before = set(server.root.iterdir())
    upload(client, "log.xlsx", b"a,b\n1,2\n")
    assert set(server.root.iterdir()) == before


def test_too_large_is_refused_with_the_limit() -> None:
    small = Server(ServeOptions(as_of=AS_OF), sample_config(max_upload_mb=1))
    with TestClient(small.app(), base_url=BASE) as limited:
        response = upload(limited, "big.xlsx", b"PK" + b"\0" * (1024 * 1024 + 10))
        assert response.status_code == 413
        assert catalogue("en").text("web.too_large", limit_mb=1) in unescape(response.text)
        assert small.root is not None and list(small.root.iterdir()) == []
        assert 'data-limit="1048576"' in limited.get("/").text  # the page refuses it before sending, too


def test_an_upload_without_a_file_or_not_as_a_form(client: TestClient) -> None:
    empty = client.post("/upload", data={"token": token(client)}, files={"workbook": ("", b"", XLSX)})
    assert empty.status_code == 400 and catalogue("en").text("web.no_file") in unescape(empty.text)
    plain = client.post("/upload", content=b"hello", headers={"Content-Type": "text/plain"})
    assert plain.status_code == 415 and catalogue("en").text("web.not_form") in unescape(plain.text)


# --- cross-site requests ---


def test_cross_site_posts_are_refused_before_anything_is_stored(client: TestClient, server: Server) -> None:
    assert server.root is not None
    before = set(server.root.iterdir())
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}):
        response = upload(client, SAMPLE.name, SAMPLE.read_bytes(), **headers)
        assert response.status_code == 403, headers
        assert catalogue("en").text("web.forbidden") in unescape(response.text)
    assert upload(client, SAMPLE.name, SAMPLE.read_bytes(), Origin=BASE).status_code == 303
    after = set(server.root.iterdir())
    assert len(after - before) == 1  # only the same-origin upload


def test_a_post_without_a_signed_token_is_refused(client: TestClient, uploaded: str) -> None:
    forged = token(client)[:-4] + "0000"
    for value in ("", "abc", forged):
        response = client.post(
            "/upload", data={"token": value}, files={"workbook": ("a.xlsx", SAMPLE.read_bytes(), XLSX)}
        )
        assert response.status_code == 403
        build = client.post(f"{uploaded}/build", data={"token": value, "month": "2026-10", "lang": "en"})
        assert build.status_code == 403


def test_build_and_send_take_only_small_url_encoded_forms(client: TestClient, uploaded: str) -> None:
    multipart = client.post(
        f"{uploaded}/build",
        data={"token": token(client)},
        files={"x": ("x.bin", b"x" * 10, "application/octet-stream")},
    )
    assert multipart.status_code == 415
    large = client.post(f"{uploaded}/send", data={"token": token(client), "to": "a@b.example" * 10000})
    assert large.status_code == 413


# --- access token beyond loopback ---


def test_bound_beyond_loopback_without_accounts_asks_for_a_sign_in(tmp_path: Path) -> None:
    """No `[serve] auth`: beyond loopback serve signs people in (docs/department.md), token or not."""
    archive = ArchiveSettings(url=f"sqlite:///{tmp_path / 'a.db'}")
    config = dataclasses.replace(sample_config(), archive=archive)
    exposed = Server(ServeOptions(host="0.0.0.0", allow_hosts=("127.0.0.1",), as_of=AS_OF), config)
    with TestClient(exposed.app(), base_url="http://0.0.0.0:8000") as remote:
        assert exposed.access is None
        home = remote.get("/", follow_redirects=False)
        assert home.status_code == 303 and home.headers["location"] == "/signin"
        refused = upload(remote, SAMPLE.name, SAMPLE.read_bytes())
        assert refused.status_code == 403
        assert catalogue("en").text("web.dept.signed_out") in unescape(refused.text)


def test_bound_beyond_loopback_every_upload_needs_the_access_token() -> None:
    """`[serve] auth = "none"` beyond loopback: the one-person page behind its access token."""
    config = sample_config()
    config = dataclasses.replace(config, serve=dataclasses.replace(config.serve, auth="none"))
    exposed = Server(ServeOptions(host="0.0.0.0", allow_hosts=("127.0.0.1",), as_of=AS_OF), config)
    assert exposed.access
    with TestClient(exposed.app(), base_url="http://0.0.0.0:8000") as remote:
        refused = upload(remote, SAMPLE.name, SAMPLE.read_bytes())
        assert refused.status_code == 403 and catalogue("en").text("web.access") in unescape(refused.text)
        assert remote.get("/?access=wrong").status_code == 403
        entered = remote.get(f"/?access={exposed.access}", follow_redirects=False)
        assert entered.status_code == 303 and "HttpOnly" in entered.headers["set-cookie"]
        remote.cookies.set("reportgen_access", exposed.access)
        accepted = upload(remote, SAMPLE.name, SAMPLE.read_bytes())
        assert accepted.status_code == 303
        remote.cookies.clear()
        assert remote.get(accepted.headers["location"]).status_code == 403


# --- build, preview, download ---


def test_build_shows_the_preview_and_the_download(client: TestClient, built: str) -> None:
    page = client.get(built)
    assert f'src="{built}/preview' in page.text and "sandbox" in page.text
    assert f'href="{built}/review.pdf"' in page.text
    preview = client.get(f"{built}/preview")
    assert preview.status_code == 200
    assert preview.headers["content-security-policy"] == PREVIEW_POLICY
    assert "sandbox" in PREVIEW_POLICY and "script-src" not in PREVIEW_POLICY
    assert preview.headers["x-frame-options"] == "SAMEORIGIN"
    assert "Northwind" in preview.text
    assert "<script" not in preview.text.lower()


def test_the_pdf_downloads_under_the_workbook_name(client: TestClient, built: str) -> None:
    response = client.get(f"{built}/review.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"northwind-en-2026-10.pdf\"; filename*=UTF-8''northwind-en-2026-10.pdf"
    )
    reader = PdfReader(io.BytesIO(response.content))
    first = reader.pages[0].extract_text()
    assert "October 2026" in first
    assert "Northwind" in first


def test_a_chinese_file_name_reaches_the_download_as_rfc_5987() -> None:
    header = content_disposition("星河 月报-2026-10.pdf")
    fallback, encoded = header.split("; filename*=UTF-8''")
    assert fallback == 'attachment; filename="review-2026-10.pdf"'
    assert unquote(encoded) == "星河 月报-2026-10.pdf"
    assert "\n" not in content_disposition('a"\r\nSet-Cookie: x=1.pdf')
    assert content_disposition('a"b.pdf').startswith(
        "attachment; filename=\"a_b.pdf\"; filename*=UTF-8''a%22b.pdf"
    )


def test_a_month_or_language_not_offered_is_refused(client: TestClient, uploaded: str) -> None:
    for month, lang, code in (("2031-01", "en", "web.bad_month"), ("2026-10", "fr", "web.bad_lang")):
        response = client.post(
            f"{uploaded}/build", data={"token": token(client), "month": month, "lang": lang}
        )
        assert response.status_code == 400
        assert catalogue("en").text(code) in unescape(response.text)


def test_preview_and_download_before_a_build(client: TestClient) -> None:
    fresh = upload(client, SAMPLE.name, SAMPLE.read_bytes()).headers["location"]
    for path in (f"{fresh}/preview", f"{fresh}/review.pdf"):
        response = client.get(path)
        assert response.status_code == 404 and catalogue("en").text("web.not_built") in unescape(
            response.text
        )
    send = client.post(f"{fresh}/send", data={"token": token(client), "to": "a@b.example"})
    assert send.status_code == 409


def test_send_checks_the_addresses_before_anything_else(client: TestClient, built: str) -> None:
    missing = client.post(f"{built}/send", data={"token": token(client), "to": " , "})
    assert missing.status_code == 400 and catalogue("en").text("web.no_addresses") in unescape(missing.text)
    bad = client.post(f"{built}/send", data={"token": token(client), "to": "ann@example.com, not-an-address"})
    assert bad.status_code == 400
    assert catalogue("en").text("usage.bad_address", address='"not-an-address"') in unescape(bad.text)
    unset = client.post(f"{built}/send", data={"token": token(client), "to": "ann@example.com"})
    assert unset.status_code == 400  # the samples' reportgen.toml has no [email] sender
    assert "N" + catalogue("en").text("usage.no_sender")[1:] in unescape(unset.text)  # starts a line here


# --- clean-up ---


def test_uploads_are_removed_after_the_retention_time(client: TestClient, server: Server) -> None:
    location = upload(client, SAMPLE.name, SAMPLE.read_bytes()).headers["location"]
    upload_id = location.rsplit("/", 1)[1]
    folder = server.uploads[upload_id].folder
    assert server.remove_expired(time.monotonic()) == []
    removed = server.remove_expired(time.monotonic() + server.settings.retention_minutes * 60 + 1)
    assert upload_id in removed and not folder.exists()
    gone = client.get(location)
    assert gone.status_code == 404
    assert catalogue("en").text("web.expired_unused", minutes=server.settings.retention_minutes) in unescape(
        gone.text
    )


def test_retention_counts_from_the_last_use_not_the_upload() -> None:
    """A reader in the middle of a review keeps it: every request that touches an upload (its page, a build,
    the preview, the download) starts its retention again; an untouched one goes at its time."""
    kept = Server(ServeOptions(as_of=AS_OF), sample_config())
    now = [1000.0]
    kept.clock = lambda: now[0]  # the server's clock for its uploads' last use
    limit = kept.settings.retention_minutes * 60
    with TestClient(kept.app(), base_url=BASE) as running:
        used = upload(running, SAMPLE.name, SAMPLE.read_bytes()).headers["location"]
        idle = upload(running, SAMPLE.name, SAMPLE.read_bytes()).headers["location"]
        used_id, idle_id = used.rsplit("/", 1)[1], idle.rsplit("/", 1)[1]
        now[0] += limit - 60  # a minute before both would expire, the reader comes back
        assert running.get(used).status_code == 200
        last_use = now[0]
        now[0] += 120  # the retention time has passed since both uploads, not since the page
        assert kept.remove_expired(now[0]) == [idle_id]
        assert running.get(idle).status_code == 404
        steps = [
            lambda: running.post(
                f"{used}/build",
                data={"token": token(running, "/"), "month": "2026-10", "lang": "en"},
                follow_redirects=False,
            ),
            lambda: running.get(f"{used}/preview"),
            lambda: running.get(f"{used}/review.pdf"),
        ]
        for step in steps:  # each a second before the upload would expire: it starts the time again
            now[0] = last_use + limit - 1
            assert kept.remove_expired(now[0]) == []
            assert step().status_code in (200, 303)
            last_use = now[0]
        assert kept.remove_expired(last_use + limit - 1) == []
        folder = kept.uploads[used_id].folder
        with kept.using(kept.uploads[used_id]):  # a build or a send under way is never swept
            assert kept.remove_expired(last_use + 10 * limit) == []
            now[0] = last_use  # it ends now
        assert kept.remove_expired(last_use + limit) == [used_id] and not folder.exists()


def test_shutdown_removes_every_upload() -> None:
    short = Server(ServeOptions(as_of=AS_OF), sample_config())
    with TestClient(short.app(), base_url=BASE) as running:
        assert upload(running, SAMPLE.name, SAMPLE.read_bytes()).status_code == 303
        root = short.root
        assert root is not None and any(root.iterdir())
    assert not root.exists()


def test_unknown_upload_ids_are_a_page_not_a_path(client: TestClient) -> None:
    for path in ("/u/..%2F..%2Fetc", "/u/nope", "/u/nope/review.pdf"):
        response = client.get(path)
        assert response.status_code == 404
        assert_no_trace(response.text)


def test_only_loopback_binds_go_without_an_access_token() -> None:
    assert all(is_loopback(host) for host in ("127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"))
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("reports.lan")
    assert Server(ServeOptions(), sample_config()).access is None
    assert Server(ServeOptions(host="192.168.1.5"), sample_config()).access


def test_a_long_workbook_name_downloads_under_the_name_the_mail_attaches(
    client: TestClient, server: Server
) -> None:
    """One output-name rule: the PDF file, its download and its mail attachment share one name, however
    long the workbook's name."""
    long_name = "Northwind " + "quarterly growth " * 20 + ".xlsx"
    page = upload(client, long_name, SAMPLE.read_bytes())
    assert page.status_code == 303
    location = page.headers["location"]
    built = client.post(
        f"{location}/build",
        data={"token": token(client, location), "month": "2026-10", "lang": "en"},
        follow_redirects=False,
    )
    assert built.status_code == 303, built.text
    response = client.get(f"{location}/review.pdf")
    encoded = response.headers["content-disposition"].split("filename*=UTF-8''")[1]
    name = unquote(encoded)
    assert name.startswith("Northwind quarterly growth") and name.endswith("-2026-10.pdf")
    assert server.root is not None
    (pdf,) = server.root.rglob(name)  # the upload's PDF: the file the mail attaches, by its name
    assert pdf.read_bytes() == response.content
    assert len(os.fsencode(name)) <= os.pathconf(pdf.parent, "PC_NAME_MAX")


def test_stopping_serve_ends_the_build_still_at_work_and_leaves_no_pool_behind(tmp_path: Path) -> None:
    """A build still running when serve stops is ended with it: once the app's shutdown returns, its build
    processes are gone and no thread of the pool runs on in the process that embedded it (a test, here)."""
    server = Server(ServeOptions(as_of=AS_OF), sample_config(tmp_path / "archive.sqlite3"))
    threads_before = set(threading.enumerate())
    with TestClient(server.app(), base_url=BASE):
        pool = server.executor
        assert isinstance(pool, ProcessPoolExecutor)
        at_work = pool.submit(time.sleep, 120)  # stands for a build far longer than the test
        processes = list(pool._processes.values())
        assert len(processes) >= 1
    assert server.executor is None
    assert at_work.done()  # ended, not left running
    assert [process.pid for process in processes if process.is_alive()] == []
    left = [thread.name for thread in set(threading.enumerate()) - threads_before if thread.is_alive()]
    assert left == []
