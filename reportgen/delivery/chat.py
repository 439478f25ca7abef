"""Posting the review to a chat group's bot (a `[[targets]]` entry): the vendor's message
(delivery/vendors.py) signed with the bot's secret, paced under the vendor's rate limit, retried after the
wait a rate-limit answer asks for, and every answer reported as the vendor gave it. The once-only ledger
(pipeline/mailing.py) keys a bot by its name: one post per bot and PDF.

The secret is read when posting, from REPORTGEN_SECRET_<NAME> or the OS keyring (service `reportgen`, user
`target:<name>`); it appears in no message, log or exception."""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from reportgen.base.catalogue import catalogue, language
from reportgen.base.config import ChatSettings
from reportgen.base.errors import DeliveryError
from reportgen.delivery.smtp import KEYRING_SERVICE, DeliveryReceipt
from reportgen.delivery.summary import ReviewSummary, heading, read_pdf, summarize
from reportgen.delivery.vendors import VENDORS, Answer, Vendor, encode, fitted, signed_url, upload_url

logger = logging.getLogger(__name__)

ATTEMPTS = 3  # a post that could not connect, or a 5xx or a rate-limit answer, is tried this often
LONGEST_WAIT = 90.0  # a rate-limit wait beyond this fails the post (try again later) instead of blocking
OFF_PEAK_SECONDS = 10  # so many seconds either side of :00 and :30 are kept clear
LinkFor = Callable[[str], tuple[str, str] | None]  # the PDF's SHA-256 → (signed link, until when), or None


def chat_secret(settings: ChatSettings) -> str | None:
    """The bot's signing secret: its environment variable, else the OS keyring, else None (unsigned)."""
    secret = os.environ.get(settings.secret_variable)
    if secret:
        return secret
    try:
        import keyring  # optional, as for the SMTP password
    except ImportError:
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, f"target:{settings.name}")  # type: ignore[no-any-return]
    except Exception:  # no usable backend: as if nothing were stored
        return None


class Pacer:
    """At most a vendor's `per_window` posts to one bot in its `window`, within this process, and none in the
    seconds around the hour and the half-hour for vendors whose bots are busiest then."""

    def __init__(self, clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep):
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._sent: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)

    def wait_turn(self, url: str, vendor: Vendor) -> None:
        with self._lock:
            while True:
                now = self.clock()
                recent = self._sent[url]
                while recent and recent[0] <= now - vendor.window:
                    recent.popleft()
                wait = recent[0] + vendor.window - now if len(recent) >= vendor.per_window else 0.0
                if vendor.off_peak:
                    wait = max(wait, peak_wait(now))
                if wait <= 0:
                    recent.append(now)
                    return
                logger.info("waiting %.1f s before posting to %s (%s's pace)", wait, vendor.kind, vendor.kind)
                self.sleep(wait)


def peak_wait(now: float) -> float:
    """Seconds until `now` is clear of the hour's and the half-hour's busiest seconds (0 when it is)."""
    into_half_hour = now % 1800
    if into_half_hour < OFF_PEAK_SECONDS:
        return OFF_PEAK_SECONDS - into_half_hour
    if into_half_hour > 1800 - OFF_PEAK_SECONDS:
        return 1800 - into_half_hour + OFF_PEAK_SECONDS
    return 0.0


PACER = Pacer()


@dataclass(frozen=True, slots=True)
class ChatTarget:
    """The review posted to one bot, in the bot's language (a PDF in that language is handed to it)."""

    settings: ChatSettings
    link_for: LinkFor | None = None
    pacer: Pacer = PACER
    mailed: bool = True  # the review goes by mail too: a card without a link may say so

    @property
    def kind(self) -> str:
        return self.settings.kind.value

    @property
    def language(self) -> str | None:
        return self.settings.language

    def addresses(self) -> tuple[str, ...]:
        return (self.settings.name,)

    def deliver(self, pdf: Path, only: Sequence[str]) -> DeliveryReceipt:
        if self.settings.name not in only:
            return DeliveryReceipt(message_id="", accepted=())
        data = read_pdf(pdf)
        summary = summarize(data, pdf.name, self.settings.language)
        linked = self.link_for(hashlib.sha256(data).hexdigest()) if self.link_for else None
        link, until = linked if linked else (None, "")
        vendor = VENDORS[self.settings.kind]
        body = fitted(vendor, summary, link, until, self.settings.keyword, mailed=self.mailed)
        # WeCom: the PDF is uploaded before the card goes, so an upload that fails leaves nothing posted
        media_id = self._upload(pdf, vendor, data, summary) if vendor.carries_files else None
        answers = [self._post(pdf, vendor, body)]
        if media_id is not None:
            try:
                answers.append(self._post(pdf, vendor, {"msgtype": "file", "file": {"media_id": media_id}}))
            except DeliveryError as failure:  # the card is there: not posted again without --resend
                reply = Answer(False, failure.server_reply or failure.stage)
                raise self._failure(pdf, reply, "chat_file_after_card") from failure
        return DeliveryReceipt(
            message_id="; ".join(answer.text for answer in answers),
            accepted=(self.settings.name,),
            subject=_title(summary),
        )

    def post_test(self) -> Answer:
        """A small test message (`reportgen targets test NAME`): the vendor's answer, or a DeliveryError."""
        words = catalogue(language(self.settings.language))
        summary = ReviewSummary(
            lang=words.lang,
            team=words.text("chat.test_title"),
            month="",
            takeaways=(words.text("chat.test_text", name=self.settings.name, kind=self.kind),),
        )
        vendor = VENDORS[self.settings.kind]
        body = fitted(vendor, summary, None, "", self.settings.keyword)
        return self._post(None, vendor, body)

    def _upload(self, pdf: Path, vendor: Vendor, data: bytes, summary: ReviewSummary) -> str:
        """WeCom: the PDF uploaded (upload_media, field `media`): its media_id for the file message."""
        try:
            answer, reply = self._request(
                pdf,
                vendor,
                upload_url(self.settings.url),
                files={"media": (summary.file_name, data, "application/pdf")},
            )
        except DeliveryError as failure:  # refused: say it was the PDF; down or slow: as any post
            if failure.stage != "chat_refused":
                raise
            reply = Answer(False, failure.server_reply or failure.stage)
            raise self._failure(pdf, reply, "chat_upload") from failure
        media_id = reply.get("media_id") if isinstance(reply, dict) else None
        if not isinstance(media_id, str) or not media_id:
            raise self._failure(pdf, Answer(False, answer.text), "chat_upload")
        return media_id

    def _post(self, pdf: Path | None, vendor: Vendor, body: dict[str, Any]) -> Answer:
        return self._request(pdf, vendor, self.settings.url, body=body)[0]

    def _request(
        self,
        pdf: Path | None,
        vendor: Vendor,
        url: str,
        *,
        body: dict[str, Any] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> tuple[Answer, Any]:
        """One request, tried up to ATTEMPTS times: again after a connection that failed, a 5xx, or the wait
        a rate-limit answer asked for. A timeout after the request went out is not retried: it may have
        arrived (the ledger then holds the bot as in doubt)."""
        secret = chat_secret(self.settings)
        answer = Answer(False, "")
        for attempt in range(1, ATTEMPTS + 1):
            self.pacer.wait_turn(self.settings.url, vendor)
            fields, query = vendor.sign(secret, time.time()) if secret and files is None else ({}, {})
            try:
                with httpx.Client(
                    timeout=self.settings.timeout, follow_redirects=False, trust_env=False
                ) as client:
                    if files is not None:
                        response = client.post(url, files=files)
                    else:
                        response = client.post(
                            signed_url(url, query),
                            content=encode({**(body or {}), **fields}),
                            headers={"Content-Type": "application/json; charset=utf-8"},
                        )
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:  # nothing went out: safe to try again
                answer = Answer(False, f"no connection: {type(exc).__name__}", 2.0**attempt)
                logger.warning("%s %s: %s (attempt %d)", self.kind, self.settings.name, answer.text, attempt)
            except httpx.HTTPError as exc:  # a timeout, a connection dropped: the request may have arrived
                reply = Answer(False, f"{type(exc).__name__}: {exc}"[:200])
                raise self._failure(pdf, reply, "chat_unknown_outcome", attempt) from exc
            else:
                headers = {key.lower(): value for key, value in response.headers.items()}
                answer = vendor.read(response.status_code, response.text, headers)
                logger.info("%s %s answered: %s", self.kind, self.settings.name, answer.text)
                if answer.ok:
                    return answer, _json_or_none(response)
                if answer.wait is None and response.status_code < 500:
                    raise self._failure(pdf, answer, "chat_refused", attempt)
                if answer.wait is None:
                    answer = Answer(False, answer.text, 2.0**attempt)
            if attempt == ATTEMPTS or (answer.wait or 0) > LONGEST_WAIT:
                break
            self.pacer.sleep(answer.wait or 0)
        stage = "chat_rate_limited" if (answer.wait or 0) > LONGEST_WAIT else "chat_failed"
        raise self._failure(pdf, answer, stage)

    def _failure(
        self, pdf: Path | None, answer: Answer, stage: str, attempts: int = ATTEMPTS
    ) -> DeliveryError:
        return DeliveryError(
            pdf,
            stage,
            answer.text,
            refused={self.settings.name: answer.text} if stage == "chat_refused" else {},
            target=self.settings.name,
            kind=self.kind,
            attempts=attempts,
            seconds=round(answer.wait or 0),
            variant=None if VENDORS[self.settings.kind].signed else "unsigned",  # its url alone to check
        )


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _title(summary: ReviewSummary) -> str:
    title = heading(summary)
    return catalogue(summary.lang).text("mail.revised_subject", subject=title) if summary.revised else title


def link_until(days: int, now: dt.datetime | None = None) -> str:
    """The last day a link made now answers, as the card says it."""
    return ((now or dt.datetime.now().astimezone()) + dt.timedelta(days=days)).strftime("%Y-%m-%d")
