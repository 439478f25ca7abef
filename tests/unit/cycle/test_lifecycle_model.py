"""The monthly cycle as management lives it, proven by a model: Hypothesis drives random sequences of what
happens in a month (the lead edits the workbook, the schedule ticks, someone runs `run-now` with or without
`--revise`, approves (twice at once, too), rejects, the audience changes, the lead builds and sends the
month by hand before the schedule made it) through the library calls the
commands use, against a real archive (SQLite, and a database of the throwaway PostgreSQL) and a real SMTP
server (aiosmtpd on 127.0.0.1). After every step the mailboxes and the archive must tell one story:

- management gets at most one unlabelled review of the month; every later copy says "Revised";
- a revision reaches everyone who had an earlier version;
- a draft to the approver never counts as a delivery: the month is delivered exactly when management's
  mailbox has it, and a draft never reaches management;
- the stage the archive gives (`month_status`, which `schedule next` and the refusals read) is the stage the
  mailboxes and the decisions say.

Rendering a page of HTML into a PDF is the one thing memoised (by the exact inputs of `render_review`): the
same review drawn twice gives the same bytes anyway, and a few hundred sequences then take minutes, not
hours. Everything else (reading, figures, the archive, the mail) runs for real at every step.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import pickle
import shutil
import threading
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from reportgen.apps.schedule import run_now, tick_teams
from reportgen.archive.store import open_archive
from reportgen.base.config import ArchiveSettings, Config, EmailSettings, ScheduleSettings
from reportgen.base.errors import ReportgenError
from reportgen.base.states import ApprovalState
from reportgen.cycle.lifecycle import Stage, month_status
from reportgen.cycle.runs import approve, reject
from reportgen.pipeline import build
from reportgen.pipeline.archiving import OpenedArchive
from reportgen.pipeline.mailing import deliver_review
from tests.builders import make_workbook
from tests.mailserver import HOST, Handler, smtp_server

UTC = dt.UTC
RUN = dt.datetime(2026, 11, 3, 9, 0, tzinfo=UTC)  # the November run reviews October
SINCE = dt.datetime(2026, 10, 20, tzinfo=UTC)
MONTH = "2026-10"
LEAD, BOSS, CMO = "lead@example.com", "boss@example.com", "cmo@example.com"
OCT = [dt.date(2026, 10, day) for day in (1, 4, 5, 9, 12)]
SEP = dt.date(2026, 9, 14)


def rows(variant: str, value: int) -> list[list[Any]]:
    """The team's log in one of the states a lead leaves it in; `value` changes a number (a new version)."""
    done = [
        [OCT[0], "SEO", "Keyword page", "Ann", "", "Done", OCT[2], OCT[1], 20 + value, 2],
        [OCT[3], "Content", "Launch article", "Bo", "", "Done", None, OCT[3], 5, 1],
    ]
    if variant == "clean":
        return done
    if variant == "error_this_month":
        return [*done, [OCT[4], "Event", "Webinar", "Bo", "", "Delayed", None, None, "abc", 3]]
    if variant == "error_earlier_month":  # delivered with September's review: not this month's business
        return [[SEP, "Event", "Meetup", "Bo", "", "Done", None, SEP, "abc", 3], *done]
    assert variant == "empty"  # nothing of the month done
    return [[OCT[0], "SEO", "Keyword page", "Ann", "", "Planned", OCT[2], None, 20 + value, 0]]


VARIANTS = ("clean", "error_this_month", "error_earlier_month", "empty")
BEFORE_DELIVERY = (Stage.OPEN, Stage.AWAITING_APPROVAL, Stage.BLOCKED)  # when a lead may send a month by hand
_rendered: dict[str, Any] = {}


def memoised(render: Callable[..., Any]) -> Callable[..., Any]:
    def cached(*args: Any, **kwargs: Any) -> Any:
        key = hashlib.sha256(pickle.dumps((args, sorted(kwargs.items())))).hexdigest()
        if key not in _rendered:
            _rendered[key] = render(*args, **kwargs)
        return _rendered[key]

    return cached


class Month(RuleBasedStateMachine):
    """One team's October, from the first tick to its revisions."""

    url: str = ""  # the archive's url (a fresh database per sequence), set by the test
    folder: Path = Path()
    handler: Handler = Handler()
    port: int = 0

    @initialize()
    def start(self) -> None:
        self.handler.received.clear()
        self.parsed: list[tuple[tuple[str, ...], EmailMessage]] = []
        self.archive_url = type(self).url_for_sequence()  # type: ignore[attr-defined]
        self.archive = open_archive(ArchiveSettings(url=self.archive_url))
        self.variant, self.value = "clean", 0
        self.write()
        self.audience: tuple[str, ...] = (BOSS,)
        self.expected = Stage.OPEN
        self.days = 0
        self.turned_down: set[str] = set()  # the PDFs of the drafts the lead rejected

    def teardown(self) -> None:
        self.archive.close()

    def config(self) -> Config:
        schedule = ScheduleSettings(workbooks=self.folder / "team.xlsx", day=3, timezone="UTC", approver=LEAD,
                                    remind_days=0, cutoff_day=28, out=self.folder / "reviews")  # fmt: skip
        email = EmailSettings(host=HOST, port=self.port, security="none", sender="Ops <ops@example.com>",
                              to=self.audience, attempts=1, retry_delay=0.01, timeout=5.0)  # fmt: skip
        return Config(schedule=schedule, email=email)

    def write(self) -> None:
        make_workbook(self.folder, rows(self.variant, self.value), name="team.xlsx")

    def received(self) -> list[tuple[tuple[str, ...], EmailMessage]]:
        """Each message the server took, its envelope's recipients and the message parsed once: the
        invariants read the mailboxes after every step, and parsing every PDF-carrying message again each
        time was a sixth of the test's time."""
        for received in self.handler.received[len(self.parsed) :]:
            self.parsed.append((received.rcpt_tos, received.message))
        return self.parsed

    def management(self) -> list[EmailMessage]:
        return [message for rcpt_tos, message in self.received() if set(rcpt_tos) & {BOSS, CMO}]

    def drafts(self) -> list[EmailMessage]:
        return [message for rcpt_tos, message in self.received() if rcpt_tos == (LEAD,)]

    def observe(self, before_management: int, before_drafts: int) -> None:
        """The stage the mailboxes say, after a step that may have mailed."""
        if len(self.management()) > before_management:
            self.expected = Stage.DELIVERED
        elif len(self.drafts()) > before_drafts:
            body = self.drafts()[-1].get_body(("plain",))
            text = body.get_content() if body is not None else ""
            self.expected = Stage.BLOCKED if "errors in this month" in text or "error in this" in text else (
                Stage.AWAITING_APPROVAL)  # fmt: skip

    def counts(self) -> tuple[int, int]:
        return len(self.management()), len(self.drafts())

    # --- what happens in a month ---

    @rule(variant=st.sampled_from(VARIANTS), bump=st.booleans())
    def edit_workbook(self, variant: str, bump: bool) -> None:
        self.variant, self.value = variant, (self.value + int(bump)) % 2  # few distinct pages: see above
        self.write()

    @rule()
    def tick(self) -> None:
        before = self.counts()
        self.days += 1
        tick_teams(self.archive, self.config(), RUN + dt.timedelta(days=self.days), SINCE)
        self.observe(*before)

    @rule(revise=st.booleans())
    def someone_runs_now(self, revise: bool) -> None:
        before = self.counts()
        stage = month_status(self.archive, "team", MONTH).stage
        try:
            run_now(self.archive, self.config(), "team", RUN + dt.timedelta(days=self.days), revise=revise)
        except ReportgenError as refused:
            assert self.counts() == before, "a refused run-now mailed someone"
            assert stage in (Stage.DELIVERED, Stage.AWAITING_APPROVAL, Stage.BLOCKED, Stage.REJECTED), (
                refused.message("en"))  # fmt: skip
            return
        assert stage != Stage.DELIVERED or revise, "a delivered month was drafted again without --revise"
        if stage == Stage.DELIVERED:  # management keeps what it has unless a revision's draft now waits
            self.expected = Stage.DELIVERED
        self.observe(*before)

    @rule(with_errors=st.booleans(), twice=st.booleans())
    def lead_approves(self, with_errors: bool, twice: bool) -> None:
        before = self.counts()
        stage = month_status(self.archive, "team", MONTH).stage
        outcomes: list[object] = []

        def one() -> None:
            archive = open_archive(ArchiveSettings(url=self.archive_url))
            try:
                outcomes.append(approve(archive, self.config(), "team", MONTH, with_errors=with_errors))
            except ReportgenError as refused:
                outcomes.append(refused)
            finally:
                archive.close()

        threads = [threading.Thread(target=one) for _ in range(2 if twice else 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        sent = [outcome for outcome in outcomes if not isinstance(outcome, ReportgenError)]
        assert len(sent) <= 1, "two approvals both sent"
        if sent:
            assert stage == Stage.AWAITING_APPROVAL or (stage == Stage.BLOCKED and with_errors)
            assert self.counts()[0] > before[0], "approved, yet management got nothing"
            self.expected = Stage.DELIVERED
        else:
            assert self.counts() == before, "a refused approval mailed someone"

    @rule(reason=st.sampled_from(["", "  ", "Q3 numbers are provisional"]))
    def lead_rejects(self, reason: str) -> None:
        before = self.counts()
        stage = month_status(self.archive, "team", MONTH).stage
        try:
            reject(self.archive, "team", MONTH, reason)
        except ReportgenError:
            assert self.counts() == before
            return
        assert reason.strip(), "a rejection without a reason was recorded"
        assert stage in (Stage.AWAITING_APPROVAL, Stage.BLOCKED)
        self.turned_down.add(attachment_digest(self.drafts()[-1]))
        # a rejected revision leaves management with what it has: the month stays delivered
        self.expected = Stage.DELIVERED if self.management() else Stage.REJECTED

    @precondition(lambda self: month_status(self.archive, "team", MONTH).stage in BEFORE_DELIVERY)
    @rule()
    def lead_sends_by_hand(self) -> None:
        """Before management has October, the lead builds it and sends it with `send`, also while a draft
        waits for approval: from then on the month is delivered for the schedule too (a draft of that version
        waits for nothing; the schedule drafts again only a revision, from a changed workbook), and
        management's later copies say "Revised"."""
        before = self.counts()
        today = (RUN + dt.timedelta(days=self.days)).date()
        built = build.build_to_files(self.folder / "team.xlsx", self.config(), today, month=MONTH,
                                     out_dir=self.folder, stem=f"by-hand-{self.days}",
                                     archive=OpenedArchive(self.archive))  # fmt: skip
        assert built.pdf is not None
        deliver_review(self.archive, built.pdf, self.config())
        assert self.counts()[0] == before[0] + 1, "a review sent by hand did not reach management"
        self.observe(*before)

    @rule()
    def cmo_joins(self) -> None:
        self.audience = (CMO,) if self.audience == (BOSS,) else (BOSS, CMO)

    # --- what must hold after every step ---

    @invariant()
    def one_unlabelled_review_then_revisions(self) -> None:
        subjects = [str(message["Subject"]) for message in self.management()]
        firsts = [subject for subject in subjects if not subject.startswith("Revised")]
        assert len(firsts) <= 1, subjects
        if subjects:
            assert not subjects[0].startswith("Revised"), f"management's first copy says Revised: {subjects}"

    @invariant()
    def drafts_are_not_deliveries(self) -> None:
        delivered = self.archive.delivered("team", MONTH)
        assert (delivered is not None) == bool(self.management())
        for rcpt_tos, message in self.received():
            if rcpt_tos == (LEAD,):
                subject = str(message["Subject"])
                assert subject.startswith(("Draft for your approval", "Draft with errors")), subject

    @invariant()
    def a_revision_reaches_everyone_who_had_the_month(self) -> None:
        """Whoever had any version of the month has the newest one management got."""
        last: dict[str, str] = {}
        for rcpt_tos, message in self.received():
            for address in set(rcpt_tos) & {BOSS, CMO}:
                last[address] = attachment_digest(message)
        assert len(set(last.values())) <= 1, last

    @invariant()
    def management_never_gets_what_the_lead_rejected(self) -> None:
        for message in self.management():
            assert attachment_digest(message) not in self.turned_down, "a rejected draft reached management"

    @invariant()
    def a_draft_waits_only_while_the_month_waits_for_it(self) -> None:
        """An approval the archive keeps as pending is one the lead can still decide: a draft whose version
        management got meanwhile (sent by hand) stayed pending for good, and `history` said it waited."""
        stage = month_status(self.archive, "team", MONTH).stage
        waiting = [
            each for each in self.archive.approvals("team", MONTH) if each.state == ApprovalState.PENDING
        ]
        assert not waiting or stage in (Stage.AWAITING_APPROVAL, Stage.BLOCKED), (stage, waiting)

    @invariant()
    def the_archive_tells_the_stage_the_mailboxes_tell(self) -> None:
        status = month_status(self.archive, "team", MONTH)
        expected = self.expected
        if expected == Stage.OPEN and status.stage == Stage.BLOCKED and status.draft is None:
            expected = Stage.BLOCKED  # an unusable workbook: the notice is not a draft
        assert status.stage == expected, (status, self.expected)


def attachment_digest(message: EmailMessage) -> str:
    for part in message.iter_attachments():
        if part.get_content_type() == "application/pdf":
            return hashlib.sha256(part.get_content()).hexdigest()
    raise AssertionError("a review without its PDF")


def run_model(tmp_path: Path, url_for_sequence: Callable[[], str], examples: int) -> None:
    handler = Handler()
    with smtp_server(handler) as port:
        model = type("Bound", (Month,), {})  # a class per test: its own folder, mail server and archives
        model.folder, model.handler, model.port = tmp_path, handler, port  # type: ignore[attr-defined]
        model.url_for_sequence = staticmethod(url_for_sequence)  # type: ignore[attr-defined]
        run_state_machine_as_test(
            model,
            settings=settings(
                max_examples=examples,
                stateful_step_count=6,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )


@pytest.fixture
def fast_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """The memo outlives the test (the pages are the same for both back ends); the patch does not."""
    monkeypatch.setattr(build, "render_review", memoised(build.render_review))


@pytest.mark.usefixtures("fast_pages")
@pytest.mark.xdist_group("lifecycle_model")  # both back ends in one worker: the second draws no page again
@pytest.mark.parametrize("back_end", ["sqlite", "postgresql"])
def test_management_mailbox_tells_one_story(
    tmp_path: Path, back_end: str, request: pytest.FixtureRequest
) -> None:
    # Each sequence gets an archive of its own: a copy of one made (its schema migrated) once here. The
    # month's story starts from an empty archive either way; the migrations, which took a sixth of the time
    # when each sequence ran them again, are tested in tests/unit/archive/.
    counter = iter(range(10**6))
    if back_end == "sqlite":
        template = tmp_path / "template.sqlite3"
        open_archive(ArchiveSettings(url=f"sqlite:///{template}")).close()
        assert not template.with_name(template.name + "-wal").exists()  # all of it in the one file

        def url() -> str:
            path = tmp_path / f"archive-{next(counter)}.sqlite3"
            shutil.copyfile(template, path)
            return f"sqlite:///{path}"

    else:
        cluster = request.getfixturevalue("postgres")
        empty = cluster.new_database()
        open_archive(ArchiveSettings(url=empty)).close()

        def url() -> str:
            return str(cluster.new_database(template=empty))

    # CI: 200 sequences on SQLite, 40 on PostgreSQL (fixed seed: the ci profile); `make test-deep` more
    examples = int(os.environ.get("MODEL_EXAMPLES", "200" if back_end == "sqlite" else "40"))
    run_model(tmp_path, url, examples)
