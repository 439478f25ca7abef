"""deliver.py against a real SMTP server (aiosmtpd on 127.0.0.1): what arrives, and each fault a server can
raise, injected by its handler."""

from __future__ import annotations

import dataclasses
from email.message import Message
from pathlib import Path
from typing import TypedDict

import pytest

from reportgen.base.config import EmailSettings
from reportgen.base.errors import DeliveryError, ExitCode, UsageError
from reportgen.base.model import CellRef, Finding, Severity
from reportgen.delivery.dispatch import refuse_on_errors, sender_insists
from reportgen.delivery.message import REVIEW_HEADER, compose_message, resolve_recipients
from reportgen.delivery.smtp import send_review
from reportgen.delivery.summary import read_summary, summarize
from tests.mailserver import (
    HOST,
    Authenticator,
    Certificates,
    Handler,
    ScriptedServer,
    Session,
    free_port,
    make_certificates,
    make_pdf,
    parts,
    scripted_server,
    smtp_server,
)


class MailKpi(TypedDict):
    label: str
    value: str
    delta: str
    tone: str
    note: str


class Mail(TypedDict):
    team: str
    month_label: str
    kpis: list[MailKpi]
    takeaways: list[str]


class Summary(TypedDict):
    """The part of the figures JSON embedded in the PDF that the mail is written from."""

    lang: str
    month: str
    mail: Mail


SUMMARY: Summary = {
    "lang": "en",
    "month": "2026-10",
    "mail": {
        "team": "Northwind",
        "month_label": "October 2026",
        "kpis": [
            {"label": "Activities", "value": "42", "delta": "+5", "tone": "neutral", "note": "vs September"},
            {"label": "Completion rate", "value": "71%", "delta": "+3 pp", "tone": "good", "note": ""},
        ],
        "takeaways": ["First takeaway.", "Second <b>takeaway</b>.", "Third takeaway."],
    },
}
INJECTION = "\r\nBcc: evil@example.com"


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("ca"))


def settings(port: int, **changes: object) -> EmailSettings:
    base = EmailSettings(
        host=HOST,
        port=port,
        security="none",
        sender="Ops Team <ops@example.com>",
        to=("boss@example.com",),
        attempts=3,
        retry_delay=0.01,
        timeout=2.0,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


class Sleeps:
    """Records the backoff delays instead of sleeping them."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def test_the_message_arrives_whole_with_bcc_only_on_the_envelope(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "星河增长-2026-10.pdf", SUMMARY)
    handler = Handler()
    with smtp_server(handler) as port:
        receipt = send_review(
            pdf,
            settings(
                port, cc=("cfo@example.com",), bcc=("archive@example.com",), reply_to="lead@example.com"
            ),
            subject=None,
        )
    assert len(handler.received) == 1
    got = handler.received[0]
    assert got.mail_from == "ops@example.com"
    assert got.rcpt_tos == ("boss@example.com", "cfo@example.com", "archive@example.com")
    message = got.message
    assert message["To"] == "boss@example.com" and message["Cc"] == "cfo@example.com"
    assert message["Bcc"] is None and b"archive@example.com" not in got.content
    assert message["Reply-To"] == "lead@example.com"
    assert message["Subject"] == "Northwind: monthly review, October 2026"
    assert message["Message-ID"] == receipt.message_id and message["Date"]
    text, html, attachments = parts(message)
    for takeaway in ("First takeaway.", "Third takeaway."):
        assert takeaway in text and takeaway in html
    assert "42" in html and "Completion rate" in html and "Activities: 42 +5" in text
    assert "Second &lt;b&gt;takeaway&lt;/b&gt;." in html  # cell text is escaped, never markup
    assert len(attachments) == 1
    assert attachments[0].get_filename() == "星河增长-2026-10.pdf"
    assert attachments[0].get_content() == pdf.read_bytes()
    assert receipt.accepted == got.rcpt_tos and receipt.attempts == 1 and receipt.refused == {}


def test_a_second_send_of_one_pdf_carries_the_same_review_header(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", SUMMARY)
    other = make_pdf(tmp_path / "b.pdf", {**SUMMARY, "month": "2026-09"})
    handler = Handler()
    with smtp_server(handler) as port:
        for path in (pdf, pdf, other):
            send_review(path, settings(port))
    first, second, third = (received.message for received in handler.received)
    assert first[REVIEW_HEADER] == second[REVIEW_HEADER] != third[REVIEW_HEADER]
    assert first["Message-ID"] != second["Message-ID"]


def test_a_pdf_reportgen_did_not_make_goes_with_a_plain_body(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "minutes.pdf")
    handler = Handler()
    with smtp_server(handler) as port:
        send_review(pdf, settings(port, language="zh"))
    message = handler.received[0].message
    text, html, attachments = parts(message)
    assert "minutes.pdf" in text and "minutes.pdf" in html and "附件" in text
    assert message["Subject"] == "复盘报告：minutes"
    assert attachments[0].get_content() == pdf.read_bytes()


def test_one_pdf_read_again_gives_its_own_document_each_time(tmp_path: Path) -> None:
    # the figures attachment is kept for the last few PDFs (a send reads one PDF several times): what a
    # caller does with the document it got never reaches the next one, and other bytes are read anew
    pdf = make_pdf(tmp_path / "a.pdf", SUMMARY).read_bytes()
    first = read_summary(pdf)
    assert first is not None and first["mail"]["team"] == "Northwind"
    first["mail"]["team"] = "changed"
    again = read_summary(pdf)
    assert again is not None and again["mail"]["team"] == "Northwind"
    other = make_pdf(tmp_path / "b.pdf", {**SUMMARY, "mail": {**SUMMARY["mail"], "team": "Xinghe"}})
    assert summarize(other.read_bytes(), "b.pdf").team == "Xinghe"
    assert read_summary(make_pdf(tmp_path / "plain.pdf").read_bytes()) is None
    assert read_summary(pdf[: len(pdf) // 2]) is None  # a damaged PDF is simply not reportgen's


def test_header_injection_through_subject_team_or_cell_text_adds_nothing(tmp_path: Path) -> None:
    evil: Summary = {
        **SUMMARY,
        "mail": {**SUMMARY["mail"], "team": "Northwind" + INJECTION, "month_label": "Oct" + INJECTION},
    }
    evil["mail"]["takeaways"] = ["Cell" + INJECTION + "\r\n\r\nbody"]
    pdf = make_pdf(tmp_path / ("review" + "\nBcc: evil@example.com.pdf"), evil)
    handler = Handler()
    with smtp_server(handler) as port:
        send_review(pdf, settings(port))  # team and month reach the subject through the template
        send_review(pdf, settings(port, subject="{team} {month}" + INJECTION))
        send_review(pdf, settings(port), subject="Hi" + INJECTION)
    assert len(handler.received) == 3
    for received in handler.received:
        assert received.rcpt_tos == ("boss@example.com",)
        message = received.message
        assert message["Bcc"] is None
        assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
        header_names = [name.lower() for name in message]
        assert header_names.count("bcc") == 0 and header_names.count("subject") == 1
        assert "evil@example.com" not in "".join(f"{k}:{v}" for k, v in message.items() if k != "Subject")
        payload = message.get_payload()
        assert isinstance(payload, list) and isinstance(payload[1], Message)
        assert "\n" not in (payload[1].get_filename() or "")


@pytest.mark.parametrize(
    "address",
    [
        "boss@example.com" + INJECTION,
        "no-at-sign",
        "a@b@c.com",
        "Boss <boss@example.com",
        "a b@c.com",
        "boss@-example.com",
    ],
)
def test_bad_addresses_are_refused_before_any_connection(tmp_path: Path, address: str) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", SUMMARY)
    handler = Handler()
    with smtp_server(handler) as port, pytest.raises(UsageError) as caught:
        send_review(pdf, settings(port), to=[address, "ok@example.com"])
    assert caught.value.exit_code == ExitCode.USAGE
    assert handler.mail_calls == 0 and handler.received == []
    assert resolve_recipients(settings(1), to=["Boss <boss@example.com>, cfo@example.com"]).envelope == (
        "boss@example.com",
        "cfo@example.com",
    )


def test_connection_refused_is_retried_with_backoff_then_exit_3(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", SUMMARY)
    sleeps = Sleeps()
    with pytest.raises(DeliveryError) as caught:
        send_review(pdf, settings(free_port(), attempts=3, retry_delay=0.5), sleep=sleeps)
    error = caught.value
    assert error.exit_code == ExitCode.DELIVERY_FAILED and error.stage == "unreachable"
    assert sleeps.delays == [0.5, 1.0]  # three attempts, the delay doubling between them
    assert "3 attempts" in error.message() and str(pdf) in error.message()
    assert f"{HOST}:{error.params['port']}" in error.message("en")  # which server could not be reached
    assert f"{HOST}:{error.params['port']}" in error.message("zh")
    assert pdf.exists()


def test_a_421_is_retried_and_the_second_attempt_delivers(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", SUMMARY)
    handler = Handler(rcpt_queue=["421 4.3.2 Service shutting down, try later"])
    with smtp_server(handler) as port:
        receipt = send_review(pdf, settings(port))
    assert handler.mail_calls == 2 and receipt.attempts == 2 and len(handler.received) == 1


def test_a_4xx_that_never_clears_stops_after_the_configured_attempts(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", SUMMARY)
    handler = Handler(rcpt_always="450 4.2.1 Mailbox busy")
    with smtp_server(handler) as port, pytest.raises(DeliveryError) as caught:
        send_review(pdf, settings(port, attempts=4))
    assert handler.mail_calls == 4 and handler.received == []
    assert "boss@example.com: 450 4.2.1 Mailbox busy" in caught.value.message()


def test_a_550_is_not_retried_and_partial_delivery_names_the_refused_address(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", SUMMARY)
    handler = Handler(rcpt_replies={"gone@example.com": "550 5.1.1 No such user here"})
    with smtp_server(handler) as port, pytest.raises(DeliveryError) as caught:
        send_review(pdf, settings(port), to=["boss@example.com", "gone@example.com"])
    assert handler.mail_calls == 1
    assert [received.rcpt_tos for received in handler.received] == [("boss@example.com",)]
    error = caught.value
    assert error.stage == "partial" and error.refused == {"gone@example.com": "550 5.1.1 No such user here"}
    assert "boss@example.com" in error.message() and "gone@example.com: 550 5.1.1" in error.message()


def test_a_552_at_the_end_of_data_is_quoted_and_not_retried(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", SUMMARY)
    handler = Handler(data_queue=["552 5.3.4 Message size exceeds fixed limit"])
    with smtp_server(handler) as port, pytest.raises(DeliveryError) as caught:
        send_review(pdf, settings(port))
    assert handler.mail_calls == 1 and handler.received == []
    assert caught.value.stage == "rejected"
    assert "552 5.3.4 Message size exceeds fixed limit" in caught.value.message()


def test_a_failed_login_never_shows_the_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    password = "Tr0ub4dor&3-secret"
    monkeypatch.setenv("REPORTGEN_SMTP_PASSWORD", password)
    pdf = make_pdf(tmp_path / "a.pdf", SUMMARY)
    authenticator = Authenticator("ops", "the-right-one")
    handler = Handler()
    server = smtp_server(handler, authenticator=authenticator, auth_require_tls=False)
    with server as port, pytest.raises(DeliveryError) as caught:
        send_review(pdf, settings(port, username="ops"))
    assert authenticator.offered == [password]  # one login a send: no second mechanism towards a lockout
    error = caught.value
    assert error.stage == "login" and "535" in error.message()
    assert 'user "ops" (PLAIN)' in error.message("en") and '用户 "ops"' in error.message("zh")
    for text in (
        str(error),
        error.message("en"),
        error.message("zh"),
        repr(error.args),
        repr(error.__cause__),
    ):
        assert password not in text
    assert handler.mail_calls == 0


def test_login_with_the_password_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPORTGEN_SMTP_PASSWORD", "the-right-one")
    pdf = make_pdf(tmp_path / "a.pdf", SUMMARY)
    handler = Handler()
    authenticator = Authenticator("ops", "the-right-one")
    with smtp_server(handler, authenticator=authenticator, auth_require_tls=False) as port:
        send_review(pdf, settings(port, username="ops"))
    assert len(handler.received) == 1 and authenticator.offered == ["the-right-one"]


def test_a_server_that_wants_tls_before_a_login_says_starttls_is_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, certificates: Certificates
) -> None:
    """No AUTH on a plain connection but STARTTLS offered: the server requires TLS, and the message names
    the setting that gives it, in both languages."""
    monkeypatch.setenv("REPORTGEN_SMTP_PASSWORD", "the-right-one")
    pdf = make_pdf(tmp_path / "a.pdf", SUMMARY)
    handler = Handler()
    authenticator = Authenticator("ops", "the-right-one")
    context = certificates.server_context()
    with smtp_server(
        handler, authenticator=authenticator, tls_context=context, require_starttls=True
    ) as port:
        with pytest.raises(DeliveryError) as caught:
            send_review(pdf, settings(port, username="ops"))
        error = caught.value
        assert error.stage == "needs_starttls" and authenticator.offered == []
        assert "requires TLS" in error.message("en") and 'security = "starttls"' in error.message("en")
        assert 'security = "starttls"' in error.message("zh")
        with pytest.raises(DeliveryError) as caught:  # no login asked for: the MAIL's 530 says the same
            send_review(pdf, settings(port))
        assert caught.value.stage == "needs_starttls"
        send_review(pdf, settings(port, username="ops", security="starttls", ca_file=certificates.ca_file))
    assert len(handler.received) == 1 and authenticator.offered == ["the-right-one"]


def test_a_username_without_any_password_is_refused_before_connecting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REPORTGEN_SMTP_PASSWORD", raising=False)
    pdf = make_pdf(tmp_path / "a.pdf", SUMMARY)
    with pytest.raises(DeliveryError) as caught:
        send_review(pdf, settings(free_port(), username="ops"))
    assert caught.value.stage == "no_password" and "REPORTGEN_SMTP_PASSWORD" in caught.value.message()


def test_starttls_required_but_not_offered_sends_nothing(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", SUMMARY)
    handler = Handler()
    with smtp_server(handler) as port, pytest.raises(DeliveryError) as caught:
        send_review(pdf, settings(port, security="starttls"))
    assert caught.value.stage == "no_starttls" and handler.mail_calls == 0


def test_starttls_and_ssl_with_a_private_ca(tmp_path: Path, certificates: Certificates) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", SUMMARY)
    handler = Handler()
    context = certificates.server_context()
    with smtp_server(handler, tls_context=context, require_starttls=True) as port:
        send_review(pdf, settings(port, security="starttls", ca_file=certificates.ca_file))
        with pytest.raises(DeliveryError) as caught:  # without the CA the certificate is not trusted
            send_review(pdf, settings(port, security="starttls"))
    assert caught.value.stage == "tls"
    with smtp_server(handler, ssl_context=context) as port:
        send_review(pdf, settings(port, security="ssl", ca_file=certificates.ca_file))
    assert len(handler.received) == 2


def test_a_slow_server_times_out(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", SUMMARY)
    slow_rcpt = Handler(rcpt_sleep=1.5)
    with smtp_server(slow_rcpt) as port, pytest.raises(DeliveryError) as caught:
        send_review(pdf, settings(port, timeout=0.3, attempts=2))
    assert caught.value.stage == "timeout" and slow_rcpt.mail_calls == 2  # before DATA: retried
    slow_data = Handler(data_sleep=1.5)
    with smtp_server(slow_data) as port, pytest.raises(DeliveryError) as caught:
        send_review(pdf, settings(port, timeout=0.3, attempts=3))
    # after the message went out a lost answer is not retried: the server may have it
    assert caught.value.stage == "unknown_outcome" and slow_data.mail_calls == 1
    assert REVIEW_HEADER in caught.value.message()


def test_a_message_over_the_size_limit_is_refused_before_sending(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", SUMMARY)
    handler = Handler()
    with smtp_server(handler, data_size_limit=1000) as port, pytest.raises(DeliveryError) as caught:
        send_review(pdf, settings(port))
    assert caught.value.stage == "too_large_server" and "1000" in caught.value.message()
    assert handler.mail_calls == 0
    with pytest.raises(DeliveryError) as caught:  # a configured limit: refused before connecting at all
        send_review(pdf, settings(free_port(), max_size=500, attempts=1))
    assert caught.value.stage == "too_large" and "email.max_size" in caught.value.message()


def test_refuse_on_errors_names_the_cells_unless_forced(tmp_path: Path) -> None:
    findings = [
        Finding("bad_amount", Severity.ERROR, CellRef("Activities", "I4")),
        Finding("unknown_status", Severity.WARNING, CellRef("Activities", "F5")),
        Finding("bad_date", Severity.ERROR, CellRef("活动", "A9")),
    ]
    pdf = tmp_path / "a.pdf"
    with pytest.raises(DeliveryError) as caught:
        refuse_on_errors(pdf, findings, force=False)
    text = caught.value.message()
    assert "Activities!I4" in text and "活动!A9" in text and "F5" not in text and str(pdf) in text
    assert caught.value.exit_code == ExitCode.DELIVERY_FAILED
    refuse_on_errors(pdf, findings, force=True)
    refuse_on_errors(pdf, findings[1:2], force=False)


@pytest.mark.parametrize("configured", [False, True])
@pytest.mark.parametrize("forced", [False, True])
def test_a_review_with_errors_goes_only_when_the_sender_insists(forced: bool, configured: bool) -> None:
    """--force on the command, or send_with_errors in [email]: either lets it go, neither holds it back."""
    email = settings(1, send_with_errors=configured)
    assert sender_insists(email, forced) is (forced or configured)
    assert sender_insists(email) is configured  # a front end without --force: the setting alone


def test_compose_without_sender_or_recipients_is_a_usage_error(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", SUMMARY)
    with pytest.raises(UsageError, match="sender"):
        compose_message(pdf, settings(1, sender=None))
    with pytest.raises(UsageError, match="nobody"):
        compose_message(pdf, settings(1, to=()))


def test_a_421_greeting_server_busy_is_retried_and_then_delivers(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", SUMMARY)
    server = ScriptedServer([Session(greeting="421 4.3.2 too busy, try later"), Session()])
    sleeps = Sleeps()
    with scripted_server(server) as port:
        receipt = send_review(pdf, settings(port, retry_delay=0.2), sleep=sleeps)
    assert server.connections == 2 and receipt.attempts == 2 and sleeps.delays == [0.2]
    assert [received.rcpt_tos for received in server.received] == [("boss@example.com",)]


def test_a_server_that_stays_busy_is_named_with_its_answer(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", SUMMARY)
    server = ScriptedServer([Session(greeting="421 4.3.2 too busy, try later")])
    with scripted_server(server) as port, pytest.raises(DeliveryError) as caught:
        send_review(pdf, settings(port, attempts=2))
    assert server.connections == 2 and server.received == []
    assert "421 4.3.2 too busy" in caught.value.message("en") and str(pdf) in caught.value.message("en")


def test_a_4xx_for_one_recipient_retries_that_one_only(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", SUMMARY)
    handler = Handler(rcpt_queue=["450 4.2.1 Mailbox busy"])  # the first RCPT of the first session
    sleeps = Sleeps()
    recipients = ["boss@example.com", "cfo@example.com", "cto@example.com"]
    with smtp_server(handler) as port:
        receipt = send_review(pdf, settings(port, retry_delay=0.3), to=recipients, sleep=sleeps)
    assert sorted(receipt.accepted) == recipients and sleeps.delays == [0.3]
    assert [received.rcpt_tos for received in handler.received] == [
        ("cfo@example.com", "cto@example.com"),  # delivered at once to the ones accepted
        ("boss@example.com",),  # then, after the backoff, to the deferred one alone
    ]


def test_a_5xx_for_one_of_several_the_others_still_receive_it_and_the_user_is_told(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", SUMMARY)
    handler = Handler(rcpt_replies={"cfo@example.com": "550 5.1.1 No such user"})
    recipients = ["boss@example.com", "cfo@example.com", "cto@example.com"]
    with smtp_server(handler) as port, pytest.raises(DeliveryError) as caught:
        send_review(pdf, settings(port), to=recipients)
    assert [received.rcpt_tos for received in handler.received] == [("boss@example.com", "cto@example.com")]
    error = caught.value
    assert error.stage == "partial" and error.refused == {"cfo@example.com": "550 5.1.1 No such user"}
    text = error.message("en")
    assert "boss@example.com" in text and "cto@example.com" in text and "cfo@example.com: 550 5.1.1" in text


def big_pdf(path: Path) -> Path:
    """A review with a large attachment: a message far bigger than the sockets' buffers."""
    import os

    from pypdf import PdfReader, PdfWriter

    small = make_pdf(path, SUMMARY)
    writer = PdfWriter(clone_from=PdfReader(small))
    writer.add_attachment("table.bin", os.urandom(8_000_000))  # past loopback's send buffer
    with path.open("wb") as stream:
        writer.write(stream)
    return path


def test_a_connection_cut_in_the_middle_of_data_is_retried_and_delivered_once(tmp_path: Path) -> None:
    pdf = big_pdf(tmp_path / "a.pdf")
    server = ScriptedServer([Session(cut_data_after=200_000), Session()])
    with scripted_server(server) as port:
        receipt = send_review(pdf, settings(port, timeout=10.0))
    assert server.connections == 2 and receipt.attempts == 2
    assert len(server.received) == 1  # the cut message was never delivered; the retry was, once


def test_a_connection_cut_every_time_in_data_is_reported_with_the_server(tmp_path: Path) -> None:
    pdf = big_pdf(tmp_path / "a.pdf")
    server = ScriptedServer([Session(cut_data_after=200_000)])
    with scripted_server(server) as port, pytest.raises(DeliveryError) as caught:
        send_review(pdf, settings(port, timeout=10.0, attempts=2))
    assert caught.value.stage == "cut" and server.received == []
    assert f"{HOST}:{port} cut the connection" in caught.value.message("en")
