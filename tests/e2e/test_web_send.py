"""The page's send step against a real SMTP server (aiosmtpd on 127.0.0.1) through the real app (Starlette's
TestClient, its real process pool): the mail that arrives, the refusal on error cells, partial delivery, bad
addresses, no sender, a server that is down, a refused login, and a send that never blocks the page."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from reportgen.apps.serve.app import ServeOptions, Server
from reportgen.base.catalogue import catalogue
from reportgen.base.config import ArchiveSettings, ChatSettings, EmailSettings, load_config
from reportgen.base.model import Severity
from reportgen.base.states import ChatKind
from reportgen.figures.review import month_findings
from reportgen.pipeline.build import check_workbook
from tests.chatservers import ChatServers
from tests.e2e.test_web import AS_OF, BASE, SAMPLE, build_upload, sample_config, token, upload
from tests.e2e.test_web_history import panel
from tests.e2e.webserver import SAMPLES
from tests.mailserver import HOST, Authenticator, Handler, free_port, parts, smtp_server

PASSWORD = "n0t-on-the-page"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Server:
    archive = tmp_path_factory.mktemp("archive") / "archive.sqlite3"
    return Server(ServeOptions(as_of=AS_OF), sample_config(archive))


@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[TestClient]:
    with TestClient(server.app(), base_url=BASE) as running:
        yield running


@pytest.fixture(scope="module")
def built(client: TestClient) -> str:
    """The English sample uploaded and its October review built: the upload's /u/<id> path."""
    uploaded: Any = upload(client, SAMPLE.name, SAMPLE.read_bytes())
    location = uploaded.headers["location"]
    response = client.post(
        f"{location}/build",
        data={"token": token(client, location), "month": "2026-10", "lang": "en"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return str(location)


@contextmanager
def mail_settings(server: Server, port: int, **changes: Any) -> Iterator[None]:
    """The server's [email] for one test: the test SMTP server, no TLS, quick retries; and an archive of its
    own, so what one test sent is not refused as a repeat in the next."""
    email = EmailSettings(
        host=HOST,
        port=port,
        security="none",
        sender="Ops <ops@example.com>",
        to=("boss@example.com",),
        attempts=2,
        retry_delay=0.01,
        timeout=5,
    )
    before = server.config
    with tempfile.TemporaryDirectory() as folder:
        archive = ArchiveSettings(url=f"sqlite:///{folder}/archive.sqlite3")
        email = dataclasses.replace(email, **changes)
        server.close_archive()  # the next use opens this test's
        server.config = dataclasses.replace(before, email=email, archive=archive)
        try:
            yield
        finally:
            server.close_archive()
            server.config = before


def send(client: TestClient, built: str, to: str, **headers: str) -> Any:
    return client.post(
        f"{built}/send",
        data={"token": token(client, built), "to": to},
        headers=headers,
        follow_redirects=False,
    )


def send_error(text: str) -> str:
    """The send section's message as the reader sees it."""
    found = re.search(r'id="send-error">.*?<p class="lines">(.*?)</p>', text, re.S)
    assert found, text
    return unescape(found.group(1))


def line(text: str) -> str:
    """A catalogue sentence as the page starts a line with it (the CLI puts `reportgen:` before it)."""
    return text[:1].upper() + text[1:]


def error_cells() -> list[str]:
    """The error cells of the month the page builds (October): another month's errors do not hold it back."""
    checked = check_workbook(SAMPLE, load_config(SAMPLES / "reportgen.toml"), AS_OF)
    october, _ = month_findings(checked, "2026-10")
    return [str(f.ref) for f in october if f.severity is Severity.ERROR]


def test_the_form_starts_from_the_configured_recipients(
    client: TestClient, server: Server, built: str
) -> None:
    with mail_settings(server, free_port(), to=("boss@example.com", "Lead <lead@example.com>")):
        page = client.get(built).text
    assert 'value="boss@example.com, Lead &lt;lead@example.com&gt;"' in page
    assert 'action="' + built + '/send#send"' in page


def test_a_send_mails_the_built_pdf_to_the_addresses_typed(
    client: TestClient, server: Server, built: str
) -> None:
    handler = Handler()
    with smtp_server(handler) as port, mail_settings(server, port, send_with_errors=True):
        response = send(client, built, "ann@example.com, Bob Lee <bob@example.com>")
        assert response.status_code == 303 and response.headers["location"] == f"{built}#send"
        page = client.get(built)
    assert [received.rcpt_tos for received in handler.received] == [("ann@example.com", "bob@example.com")]
    message = handler.received[0].message
    assert message["To"] == "ann@example.com, Bob Lee <bob@example.com>"
    assert message["From"] == "Ops <ops@example.com>"
    _, _, attachments = parts(message)
    download = client.get(f"{built}/review.pdf").content
    assert [a.get_filename() for a in attachments] == ["northwind-en-2026-10.pdf"]
    assert attachments[0].get_content() == download and download.startswith(b"%PDF-")
    sent = catalogue("en").text("web.sent", accepted="ann@example.com, bob@example.com")
    assert sent in unescape(page.text)
    assert 'id="send-error"' not in page.text
    chinese = client.get(built, headers={"Accept-Language": "zh-CN"}).text
    assert catalogue("zh").text("web.sent", accepted="ann@example.com、bob@example.com") in unescape(chinese)


def test_error_cells_refuse_the_send_unless_send_with_errors(
    client: TestClient, server: Server, built: str
) -> None:
    cells = error_cells()
    assert cells  # the sample has error findings
    handler = Handler()
    with smtp_server(handler) as port:
        with mail_settings(server, port, send_with_errors=False):
            refused = send(client, built, "ann@example.com")
            chinese = send(client, built, "ann@example.com", **{"Accept-Language": "zh-CN"})
        assert handler.mail_calls == 0 and handler.received == []
        with mail_settings(server, port, send_with_errors=True):
            allowed = send(client, built, "ann@example.com")
    assert refused.status_code == 422
    for lang, response in (("en", refused), ("zh", chinese)):
        words = catalogue(lang)
        shown = words.text("where.list").join(cells)
        expected = words.text("web.send_check_errors", count=len(cells), cells=shown)
        assert send_error(response.text) == expected
    assert 'value="ann@example.com"' in refused.text  # what was typed stays in the field
    assert allowed.status_code == 303
    assert [received.rcpt_tos for received in handler.received] == [("ann@example.com",)]


def test_a_refused_recipient_is_named_beside_the_delivered_one(
    client: TestClient, server: Server, built: str
) -> None:
    handler = Handler(rcpt_replies={"bob@example.com": "550 5.1.1 No such user here"})
    with smtp_server(handler) as port, mail_settings(server, port, send_with_errors=True):
        response = send(client, built, "ann@example.com, bob@example.com")
    assert response.status_code == 502
    words = catalogue("en")
    shown = send_error(response.text)
    assert shown.splitlines() == [
        line(words.text("delivery.partial", accepted="ann@example.com")),
        words.text(
            "delivery.refused_address", address="bob@example.com", reply="550 5.1.1 No such user here"
        ),
        words.text("web.send_kept"),
    ]
    assert words.text("web.send_partial") in response.text
    assert [received.rcpt_tos for received in handler.received] == [("ann@example.com",)]
    assert server.root is not None and str(server.root) not in response.text  # no server path on the page
    assert "Traceback" not in response.text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_bad_address_or_no_sender_is_a_400_with_the_message(
    client: TestClient, server: Server, built: str, lang: str
) -> None:
    words = catalogue(lang)
    handler = Handler()
    with smtp_server(handler) as port:
        with mail_settings(server, port):
            bad = send(client, built, "ann@example.com; not-an-address", **{"Accept-Language": lang})
            empty = send(client, built, " , ", **{"Accept-Language": lang})
        with mail_settings(server, port, sender=None):
            no_sender = send(client, built, "ann@example.com", **{"Accept-Language": lang})
    assert bad.status_code == 400
    assert send_error(bad.text) == line(words.text("usage.bad_address", address='"not-an-address"'))
    assert 'value="ann@example.com; not-an-address"' in bad.text
    assert empty.status_code == 400 and send_error(empty.text) == words.text("web.no_addresses")
    assert no_sender.status_code == 400 and send_error(no_sender.text) == line(words.text("usage.no_sender"))
    assert handler.mail_calls == 0


def test_a_server_that_is_down_keeps_the_pdf_downloadable(
    client: TestClient, server: Server, built: str
) -> None:
    before = client.get(f"{built}/review.pdf").content
    port = free_port()
    with mail_settings(server, port, send_with_errors=True):  # nothing listens there
        response = send(client, built, "ann@example.com")
    assert response.status_code == 502
    words = catalogue("en")
    lines = send_error(response.text).splitlines()
    opening = words.text("delivery.unreachable", attempts=2, reply="\0", host=HOST, port=port).split("\0")[0]
    assert lines[0].startswith(line(opening)) and lines[-1] == words.text("web.send_kept")
    after = client.get(f"{built}/review.pdf")
    assert after.status_code == 200 and after.content == before


def test_the_smtp_password_never_reaches_the_page(
    client: TestClient, server: Server, built: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPORTGEN_SMTP_PASSWORD", PASSWORD)
    words = catalogue("en")
    for accepted, status in ((PASSWORD, 303), ("another-one", 502)):
        handler = Handler()
        authenticator = Authenticator("ops", accepted)
        running = smtp_server(handler, authenticator=authenticator, auth_require_tls=False)
        with running as port, mail_settings(server, port, username="ops", send_with_errors=True):
            response = send(client, built, "ann@example.com")
            page = client.get(built).text
        assert response.status_code == status and set(authenticator.offered) == {PASSWORD}
        assert PASSWORD not in response.text + page
        if status == 502:
            opening = words.text(
                "delivery.login", username="ops", mechanism="PLAIN", variable="", reply="\0"
            ).split("\0")[0]
            assert send_error(response.text).startswith(line(opening) + "535")
            assert handler.received == []
        else:
            assert len(handler.received) == 1


def test_a_slow_send_does_not_block_the_page(client: TestClient, server: Server, built: str) -> None:
    handler = Handler(data_sleep=2.0)
    outcome: list[int] = []
    with smtp_server(handler) as port, mail_settings(server, port, send_with_errors=True):
        page_token = token(client, built)
        sending = threading.Thread(
            target=lambda: outcome.append(
                client.post(f"{built}/send", data={"token": page_token, "to": "ann@example.com"}).status_code
            )
        )
        sending.start()
        time.sleep(0.5)  # the send is in the server's DATA pause now
        started = time.monotonic()
        assert client.get("/").status_code == 200
        answered = time.monotonic() - started
        still_sending = sending.is_alive()
        sending.join(timeout=30)
    assert still_sending and answered < 1.0, answered
    assert outcome == [200] and len(handler.received) == 1  # the redirect followed to the page


def send_again(client: TestClient, built: str, to: str, **headers: str) -> Any:
    """The send form with its "send again" box ticked."""
    return client.post(
        f"{built}/send",
        data={"token": token(client, built), "to": to, "resend": "1"},
        headers=headers,
        follow_redirects=False,
    )


def sent_at(text: str) -> dt.datetime:
    """The moment a refusal says the PDF was sent (this machine's time, to the minute, its zone named)."""
    found = re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", text)
    assert found, text
    return dt.datetime.strptime(found.group(0), "%Y-%m-%d %H:%M")


def test_a_second_send_of_the_same_pdf_is_refused_with_its_date_unless_sent_again(
    client: TestClient, server: Server, built: str
) -> None:
    handler = Handler()
    with smtp_server(handler) as port, mail_settings(server, port, send_with_errors=True):
        first = send(client, built, "ann@example.com")
        again = send(client, built, "ann@example.com")
        chinese = send(client, built, "Ann <ann@example.com>", **{"Accept-Language": "zh-CN"})
        after_refusals = len(handler.received)
        mixed = send(client, built, "ann@example.com, bob@example.com")
        mixed_page = client.get(built).text
        forced = send_again(client, built, "ann@example.com")
        forced_page = client.get(built).text
    assert first.status_code == 303 and after_refusals == 1  # the repeats reached no server
    assert again.status_code == 409 and chinese.status_code == 409
    for lang, response in (("en", again), ("zh", chinese)):
        words = catalogue(lang)
        shown = send_error(response.text)
        when = sent_at(shown)
        assert abs(dt.datetime.now() - when) < dt.timedelta(minutes=2)
        at = when.astimezone().strftime("%Y-%m-%d %H:%M %Z")
        assert shown == words.text("web.send_already_sent", addresses="ann@example.com", at=at)
        assert words.text("web.send_not_again") in unescape(response.text)
        assert words.text("web.resend_label") in unescape(response.text)
    assert 'value="Ann &lt;ann@example.com&gt;"' in chinese.text  # what was typed stays in the field
    # ann had it: only bob is mailed, and the page says who was left out and since when
    assert mixed.status_code == 303
    words = catalogue("en")
    assert words.text("web.sent", accepted="bob@example.com") in unescape(mixed_page)
    left_out = re.search(r'id="send-already">(.*?)</p>', mixed_page, re.S)
    assert left_out and "ann@example.com" in unescape(left_out.group(1))
    # ticked: ann gets it once more
    assert forced.status_code == 303
    assert words.text("web.sent", accepted="ann@example.com") in unescape(forced_page)
    assert [received.rcpt_tos for received in handler.received] == [
        ("ann@example.com",),
        ("bob@example.com",),
        ("ann@example.com",),
    ]
    attachment = parts(handler.received[-1].message)[2][0]
    assert attachment.get_content() == client.get(f"{built}/review.pdf").content


def test_the_error_guard_still_comes_first_and_claims_nobody(
    client: TestClient, server: Server, built: str
) -> None:
    """A send refused for the workbook's errors claims no address: once allowed, it goes out."""
    handler = Handler()
    with smtp_server(handler) as port, mail_settings(server, port, send_with_errors=False):
        refused = send(client, built, "cara@example.com")
        email = dataclasses.replace(server.config.email, send_with_errors=True)
        server.config = dataclasses.replace(server.config, email=email)  # the same archive
        allowed = send(client, built, "cara@example.com")
    assert refused.status_code == 422 and allowed.status_code == 303
    assert [received.rcpt_tos for received in handler.received] == [("cara@example.com",)]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_send_without_an_answer_is_not_repeated_unless_sent_again(
    client: TestClient, server: Server, built: str, lang: str
) -> None:
    """The server took the message but its answer never came: it may have arrived, so the page does not
    mail it again on its own; it says when, and the ticked box sends it."""
    handler = Handler(data_sleep=1.5)
    words = catalogue(lang)
    header = {"Accept-Language": lang}
    with smtp_server(handler) as port, mail_settings(server, port, send_with_errors=True, timeout=0.5):
        lost = send(client, built, "dora@example.com", **header)
        doubted = send(client, built, "dora@example.com", **header)
        handler.data_sleep = 0.0
        before = len(handler.received)  # the slow message may or may not have been taken by now
        forced = send_again(client, built, "dora@example.com", **header)
        after = len(handler.received)
    assert lost.status_code == 502
    assert doubted.status_code == 409
    shown = send_error(doubted.text)
    at = sent_at(shown).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    assert shown == words.text("web.send_in_doubt", addresses="dora@example.com", at=at)
    assert forced.status_code == 303 and after == before + 1


def test_a_review_built_and_sent_here_shows_in_the_history(client: TestClient, server: Server) -> None:
    """The page's own build is recorded (version 1) and its send with it: the panel says sent, to whom."""
    handler = Handler()
    words = catalogue("en")
    with smtp_server(handler) as port, mail_settings(server, port, send_with_errors=True):
        location: str = upload(client, SAMPLE.name, SAMPLE.read_bytes()).headers["location"]
        built = client.post(
            f"{location}/build",
            data={"token": token(client, location), "month": "2026-10", "lang": "en"},
            follow_redirects=False,
        )
        before = client.get(location).text
        sent = send(client, location, "ann@example.com, bob@example.com")
        after = client.get(location).text
        chinese = client.get(location, headers={"Accept-Language": "zh-CN"}).text
    assert built.status_code == 303 and sent.status_code == 303
    assert words.text("web.recorded", version=1) in unescape(before)
    assert panel(before)["2026-10"][0][-1] == words.text("web.history_not_sent")
    row = panel(after)["2026-10"][0]
    assert row[0] == words.text("web.history_version", version=1)
    when = sent_at(row[-1]).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    assert row[-1] == words.text("web.history_sent", at=when, count=2)
    assert panel(chinese)["2026-10"][0][-1] == catalogue("zh").text("web.history_sent", at=when, count=2)
    assert [received.rcpt_tos for received in handler.received] == [("ann@example.com", "bob@example.com")]


def test_the_lead_approves_a_waiting_draft_from_the_page(client: TestClient, server: Server) -> None:
    """A draft the schedule sent for approval shows with an Approve button; pressing it sends exactly that PDF
    to management (once), with the guards of every other POST."""
    handler = Handler()
    words = catalogue("en")
    with smtp_server(handler) as port, mail_settings(server, port, send_with_errors=True):
        location: str = upload(client, SAMPLE.name, SAMPLE.read_bytes()).headers["location"]
        client.post(
            f"{location}/build",
            data={"token": token(client, location), "month": "2026-10", "lang": "en"},
            follow_redirects=False,
        )
        archive = server.archive()
        (version,) = archive.versions(month="2026-10")
        build = version.builds[0]
        archive.request_approval(
            build.build_id,
            version.team,
            "northwind-en",
            "2026-10",
            build.pdf_sha256,
            Path(build.pdf_path),
            "lead@example.com",
        )  # as the schedule's run does
        waiting = unescape(client.get(location).text)
        assert (
            "A draft waits for lead@example.com since" in waiting
            and words.text("web.approve_button") in waiting
        )
        refused = client.post(f"{location}/approve", data={"month": "2026-10"}, follow_redirects=False)
        cross_site = client.post(
            f"{location}/approve",
            data={"token": token(client, location), "month": "2026-10"},
            headers={"Origin": "https://evil.example"},
            follow_redirects=False,
        )
        assert refused.status_code == 403 and cross_site.status_code == 403 and not handler.received
        approved = client.post(
            f"{location}/approve", data={"token": token(client, location), "month": "2026-10"},
            follow_redirects=False,
        )  # fmt: skip
        assert approved.status_code == 303, approved.text
        again = client.post(
            f"{location}/approve", data={"token": token(client, location), "month": "2026-10"},
            follow_redirects=False,
        )  # fmt: skip
        after = unescape(client.get(location).text)
    # the month is delivered: a second press says when, and sends nothing
    assert again.status_code == 409 and "was delivered to management on" in unescape(again.text)
    assert [received.rcpt_tos for received in handler.received] == [("boss@example.com",)]
    attached = next(iter(handler.received[0].message.iter_attachments())).get_content()
    assert hashlib.sha256(attached).hexdigest() == build.pdf_sha256  # exactly the drafted PDF
    assert "A draft waits" not in after


def test_the_page_send_reaches_the_chat_groups_and_each_reader_in_their_language(
    client: TestClient, server: Server, chat_servers: ChatServers
) -> None:
    """A send from the page goes where every other send goes: each typed reader in their language (the
    review in Chinese for the reader `[email.languages]` names), and every chat bot, which the page lists."""
    slack = chat_servers.add_bot("slack")
    handler = Handler()
    targets = (ChatSettings("leads", ChatKind.SLACK, slack.url),)
    with smtp_server(handler) as port, mail_settings(server, port, send_with_errors=True,
                                                      languages=(("wang@example.cn", "zh"),)):  # fmt: skip
        server.config = dataclasses.replace(server.config, targets=targets)
        rebuilt = built_upload(client)  # built under this config: the Chinese copy is made and recorded too
        response = send(client, rebuilt, "ann@example.com, wang@example.cn")
        assert response.status_code == 303, response.text
        page = unescape(client.get(rebuilt).text)
    by_reader = {
        received.rcpt_tos: parts(received.message)[2][0].get_filename() for received in handler.received
    }
    assert by_reader == {
        ("ann@example.com",): "northwind-en-2026-10.pdf",
        ("wang@example.cn",): "northwind-en-2026-10.zh.pdf",
    }
    assert len(slack.received) == 1 and not slack.refused
    assert catalogue("en").text("web.sent", accepted="ann@example.com, wang@example.cn") in page
    assert catalogue("en").text("web.posted", targets="leads (slack)") in page


def built_upload(client: TestClient) -> str:
    """The English sample uploaded and built again, under the server's config as it is now."""
    uploaded: Any = upload(client, SAMPLE.name, SAMPLE.read_bytes())
    return build_upload(client, str(uploaded.headers["location"]))
