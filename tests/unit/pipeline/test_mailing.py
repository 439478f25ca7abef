"""Mailing at most once per recipient, against a real SMTP server (aiosmtpd on 127.0.0.1) and a real archive:
a repeat is refused and says when, a partial send is completed by a re-run, a lost answer is never resent
without --resend, and aiosmtpd counts who received what."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import ClassVar

import pytest

from reportgen.archive.records import BuildRecord
from reportgen.archive.store import Archive, open_archive
from reportgen.base.config import ArchiveSettings, EmailSettings
from reportgen.base.errors import DeliveryError, ExitCode
from reportgen.delivery.smtp import DeliveryReceipt
from reportgen.pipeline.mailing import deliver_once, send_once
from tests.mailserver import HOST, Handler, make_pdf, smtp_server

RECIPIENTS = ("boss@example.com", "cfo@example.com", "cto@example.com")
AS_OF = dt.date(2026, 11, 3)


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    opened = open_archive(ArchiveSettings(url=f"sqlite:///{tmp_path / 'archive.sqlite3'}"))
    yield opened
    opened.close()


def settings(port: int) -> EmailSettings:
    return EmailSettings(host=HOST, port=port, security="none", sender="Ops <ops@example.com>",
                         to=RECIPIENTS, attempts=2, retry_delay=0.01, timeout=2.0)  # fmt: skip


def deliveries(handler: Handler) -> list[str]:
    return sorted(address for received in handler.received for address in received.rcpt_tos)


def test_a_repeated_send_is_refused_and_says_when(archive: Archive, tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "review.pdf")
    handler = Handler()
    with smtp_server(handler) as port:
        first = send_once(archive, pdf, settings(port))
        assert sorted(first.receipt.accepted) == sorted(RECIPIENTS)
        with pytest.raises(DeliveryError) as caught:
            send_once(archive, pdf, settings(port))
        assert caught.value.exit_code == ExitCode.DELIVERY_FAILED and caught.value.stage == "already_sent"
        assert "boss@example.com" in caught.value.message("en") and "--resend" in caught.value.message("en")
        send_once(
            archive, pdf, settings(port), to=["new@example.com", "boss@example.com"]
        )  # only the new one
        send_once(archive, pdf, settings(port), to=["boss@example.com"], resend=True)
    assert deliveries(handler) == sorted([*RECIPIENTS, "new@example.com", "boss@example.com"])


def test_a_partial_send_is_completed_by_a_rerun_and_nobody_gets_it_twice(
    archive: Archive, tmp_path: Path
) -> None:
    pdf = make_pdf(tmp_path / "review.pdf")
    handler = Handler(rcpt_replies={"cfo@example.com": "550 5.1.1 mailbox unavailable"})
    with smtp_server(handler) as port:
        with pytest.raises(DeliveryError) as caught:
            send_once(archive, pdf, settings(port))
        assert caught.value.stage == "partial"
        handler.rcpt_replies.clear()  # the mailbox is fixed: run the same command again
        rerun = send_once(archive, pdf, settings(port))
    assert rerun.receipt.accepted == ("cfo@example.com",)
    assert set(rerun.already) == {"boss@example.com", "cto@example.com"}
    assert deliveries(handler) == sorted(RECIPIENTS)  # each exactly once
    assert [event.kind for event in archive.events()] == ["send_partial", "send_sent"]


def test_a_send_whose_answer_was_lost_is_not_repeated_without_resend(
    archive: Archive, tmp_path: Path
) -> None:
    pdf = make_pdf(tmp_path / "review.pdf")
    handler = Handler(data_sleep=1.5)
    with smtp_server(handler) as port:
        slow = dataclasses.replace(settings(port), timeout=0.5)
        with pytest.raises(DeliveryError) as first:
            send_once(archive, pdf, slow, to=["boss@example.com"])
        assert first.value.stage == "unknown_outcome"
        with pytest.raises(DeliveryError) as second:
            send_once(archive, pdf, settings(port), to=["boss@example.com"])
        assert second.value.stage == "in_doubt"
        handler.data_sleep = 0.0
        before = len(deliveries(handler))  # the slow message may or may not have been taken by now
        send_once(archive, pdf, settings(port), to=["boss@example.com"], resend=True)
        assert len(deliveries(handler)) == before + 1  # --resend mails it once more, and only then


@dataclasses.dataclass
class NotebookTarget:
    """A delivery target of another kind than mail (as a chat webhook will be): it writes down who got what,
    so the test sees the ledger, not a mail server, decide who is delivered to."""

    kind: ClassVar[str] = "notebook"
    keys: tuple[str, ...]
    got: list[str] = dataclasses.field(default_factory=list)
    language: str | None = None  # its readers read the review's own language

    def addresses(self) -> tuple[str, ...]:
        return self.keys

    def deliver(self, pdf: Path, only: Sequence[str]) -> DeliveryReceipt:
        self.got.extend(only)
        return DeliveryReceipt(message_id=f"<{len(self.got)}@notebook>", accepted=tuple(only))


def test_every_target_kind_is_delivered_once_per_address_and_kinds_do_not_block_each_other(
    archive: Archive, tmp_path: Path
) -> None:
    pdf = make_pdf(tmp_path / "review.pdf")
    notebook = NotebookTarget(("Boss@Example.com", "room-7"))
    deliver_once(archive, pdf, notebook)
    with pytest.raises(DeliveryError) as again:
        deliver_once(archive, pdf, notebook)
    assert again.value.stage == "already_sent"
    assert notebook.got == ["Boss@Example.com", "room-7"]  # a chat's key is kept as it is, not case-folded
    handler = Handler()
    with smtp_server(handler) as port:  # the same address by mail: the notebook's delivery does not count
        mailed = send_once(archive, pdf, settings(port), to=["boss@example.com"])
    assert mailed.receipt.accepted == ("boss@example.com",) and deliveries(handler) == ["boss@example.com"]
    deliver_once(archive, pdf, notebook, resend=True)
    assert notebook.got == ["Boss@Example.com", "room-7"] * 2


def test_the_same_version_in_another_language_is_not_mailed_to_who_had_it(
    archive: Archive, tmp_path: Path
) -> None:
    """Management got version 1 in English; `send` of its Chinese copy (another PDF, the same version) is
    refused for them as already sent, goes to someone new, and goes again only with --resend. A new version
    goes to everyone."""

    def built(name: str, lang: str, workbook: str) -> Path:
        pdf = make_pdf(tmp_path / name, {"lang": lang, "name": name})
        data = pdf.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        record = BuildRecord("T", "2026-10", lang, AS_OF, "t.xlsx", workbook, sha, pdf, {}, b"{}", pdf=data)
        archive.record_build(record)
        return pdf

    english, chinese = built("r.pdf", "en", "w1"), built("r.zh.pdf", "zh", "w1")
    handler = Handler()
    with smtp_server(handler) as port:
        send_once(archive, english, settings(port))
        with pytest.raises(DeliveryError) as caught:
            send_once(archive, chinese, settings(port))
        assert caught.value.stage == "already_sent" and "another language" in caught.value.message("en")
        send_once(archive, chinese, settings(port), to=["boss@example.com", "new@example.com"])
        send_once(archive, chinese, settings(port), to=["cfo@example.com"], resend=True)
        revised = built("r2.pdf", "en", "w2")  # version 2
        send_once(archive, revised, settings(port))
    assert deliveries(handler) == sorted([*RECIPIENTS, "new@example.com", "cfo@example.com", *RECIPIENTS])
