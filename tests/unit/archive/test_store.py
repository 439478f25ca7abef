"""The archive on both back ends for real: SQLite in a temporary folder and a throwaway PostgreSQL cluster.

Versions, the duplicate guard (claimed by a partial unique index, so two processes cannot both mail one
address), partial sends completed by a re-run, history, and the faults a user can meet."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from reportgen.archive.records import BuildRecord, TeamAlias
from reportgen.archive.schema import SCHEMA_REVISION
from reportgen.archive.store import Archive, address_key, open_archive
from reportgen.base.config import ArchiveSettings
from reportgen.base.errors import ArchiveError, ExitCode
from reportgen.base.states import ApprovalState, Audience
from reportgen.cycle.names import first_owners, fold
from reportgen.figures.document import dumps
from tests.servers import free_port

NOW = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def url(archive_url: str) -> str:
    return archive_url


@pytest.fixture
def archive(url: str) -> Iterator[Archive]:
    opened = open_archive(ArchiveSettings(url=url), clock=lambda: NOW)
    yield opened
    opened.close()


def record(workbook_sha: str = "a" * 64, pdf_sha: str = "p" * 64, *, month: str = "2026-10",
           team: str = "Northwind", leads: int = 10) -> BuildRecord:  # fmt: skip
    document = {"month": month, "totals": {"leads": leads}, "findings": []}
    return BuildRecord(
        team=team,
        month=month,
        lang="en",
        as_of=dt.date(2026, 11, 3),
        workbook_name="northwind.xlsx",
        workbook_sha256=workbook_sha,
        pdf_sha256=pdf_sha,
        pdf_path=Path("/reviews/northwind-2026-10.pdf"),
        kpis={"month": month, "leads": leads},
        figures=dumps(document),
        errors=1,
    )


def test_first_use_creates_the_schema_and_a_second_open_needs_no_migration(url: str) -> None:
    first = open_archive(ArchiveSettings(url=url))
    assert first.versions() == [] and first.events() == []
    first.close()
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        revision = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        assert revision == SCHEMA_REVISION
        tables = set(sa.inspect(connection).get_table_names())
    engine.dispose()
    assert {"reviews", "builds", "sends", "deliveries", "events"} <= tables
    open_archive(ArchiveSettings(url=url)).close()  # at head: opens without touching the schema


def test_the_same_workbook_keeps_its_version_and_a_changed_one_is_the_next(archive: Archive) -> None:
    plan = archive.plan_version("Northwind", "2026-10", "a" * 64)
    assert (plan.version, plan.new, plan.last_sent) == (1, True, None)
    assert archive.record_build(record("a" * 64)).version == 1
    assert archive.record_build(record("a" * 64, "q" * 64)).version == 1  # rebuilt (another as-of): same
    assert archive.plan_version("Northwind", "2026-10", "a" * 64).new is False
    assert archive.record_build(record("b" * 64, "r" * 64)).version == 2
    assert archive.record_build(record("b" * 64, "s" * 64, team="Xinghe")).version == 1  # teams apart
    (northwind_v2, northwind_v1) = archive.versions(team="Northwind")
    assert (northwind_v2.version, northwind_v1.version) == (2, 1)
    assert len(northwind_v1.builds) == 2 and northwind_v1.builds[0].errors == 1
    assert [event.kind for event in archive.events("Northwind")] == ["built", "built", "built"]


def test_two_builds_of_two_workbooks_at_once_get_two_versions(archive: Archive) -> None:
    results: list[int] = []

    def build(letter: str) -> None:
        results.append(archive.record_build(record(letter * 64, letter * 64)).version)

    threads = [threading.Thread(target=build, args=(letter,)) for letter in "cdef"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [1, 2, 3, 4]


def test_a_pdf_goes_to_an_address_once_and_the_repeat_says_when(archive: Archive) -> None:
    archive.record_build(record())
    plan = archive.begin_send("p" * 64, "review.pdf", ["Boss@Example.com", "cfo@example.com"])
    assert plan.to_send == ("boss@example.com", "cfo@example.com")
    archive.finish_send(plan, accepted=["boss@example.com", "cfo@example.com"], refused={}, message_id="<m1>")
    again = archive.begin_send("p" * 64, "review.pdf", ["boss@example.com", "new@example.com"])
    assert again.to_send == ("new@example.com",)
    assert again.already == {"boss@example.com": NOW}
    sent = archive.plan_version("Northwind", "2026-10", "z" * 64).last_sent
    assert sent is not None and sent.version == 1 and sent.sent_at == NOW
    assert sent.figures["totals"] == {"leads": 10}


def test_managements_copy_overtakes_a_draft_of_its_version_and_no_other(archive: Archive) -> None:
    """A draft of version 1 waits for the lead; the lead builds the same workbook again and sends it to
    management by hand. The draft stayed "pending" for good; the send now records it as overtaken (and the
    step) in its own transaction. A draft to the approver, a repeat that reached nobody, a copy of an older
    version and a send that failed leave a waiting revision waiting; an approved draft stays approved."""
    lead = "lead@example.com"

    def send(pdf_sha: str, to: str, *, reached: bool = True, audience: str = Audience.MANAGEMENT) -> None:
        plan = archive.begin_send(pdf_sha, "review.pdf", [to], audience=audience)
        accepted = list(plan.to_send) if reached else []
        archive.finish_send(plan, accepted=accepted, refused={}, message_id=None,
                            detail=None if accepted else "nothing reached")  # fmt: skip

    def state(approval_id: int) -> str:
        (found,) = [
            each for each in archive.approvals("Northwind", "2026-10") if each.approval_id == approval_id
        ]
        return found.state

    first = archive.record_build(record("a" * 64, "p" * 64))
    draft = archive.request_approval(first.build_id, "Northwind", "northwind", "2026-10", "p" * 64,
                                     Path("/reviews/v1.pdf"), lead)  # fmt: skip
    send("p" * 64, lead, audience=Audience.APPROVER)  # the draft itself: no delivery
    assert state(draft.approval_id) == ApprovalState.PENDING
    assert archive.record_build(record("a" * 64, "q" * 64)).version == 1  # built again by hand
    send("q" * 64, "boss@example.com")
    (overtaken,) = archive.approvals("Northwind", "2026-10")
    assert overtaken.state == ApprovalState.OVERTAKEN and overtaken.decided_at == NOW
    assert overtaken.decided_by is None  # nobody decided it
    step = archive.events()[-1]
    assert (step.kind, step.team, step.month, step.version) == ("overtaken", "Northwind", "2026-10", 1)
    assert step.detail["approval"] == draft.approval_id and step.detail["delivered_version"] == 1

    second = archive.record_build(record("b" * 64, "r" * 64))
    revision = archive.request_approval(second.build_id, "Northwind", "northwind", "2026-10", "r" * 64,
                                        Path("/reviews/v2.pdf"), lead)  # fmt: skip
    send("q" * 64, "boss@example.com")  # a repeat of version 1: nobody reached
    send("q" * 64, "cfo@example.com")  # version 1 to one more reader: management has no version 2
    send("r" * 64, "boss@example.com", reached=False)  # version 2 reached nobody
    assert state(revision.approval_id) == ApprovalState.PENDING
    assert archive.decide(revision, ApprovalState.APPROVED, by="ann")
    send("r" * 64, "boss@example.com")  # the approval's own send
    assert state(revision.approval_id) == ApprovalState.APPROVED
    assert [event.kind for event in archive.events()].count("overtaken") == 1


def test_a_partial_send_is_completed_by_a_rerun_that_mails_only_the_rest(archive: Archive) -> None:
    plan = archive.begin_send("p" * 64, "review.pdf", ["a@x.com", "b@x.com", "c@x.com"])
    archive.finish_send(plan, accepted=["a@x.com"], refused={"b@x.com": "550 no such user"},
                        message_id="<m>", detail="4xx for c")  # fmt: skip
    rerun = archive.begin_send("p" * 64, "review.pdf", ["a@x.com", "b@x.com", "c@x.com"])
    assert rerun.to_send == ("b@x.com", "c@x.com") and set(rerun.already) == {"a@x.com"}
    history = archive.events()
    assert history[-1].kind == "send_partial" and history[-1].detail["refused"] == {
        "b@x.com": "550 no such user"
    }


def test_a_send_without_an_answer_keeps_its_claim_until_resend(archive: Archive) -> None:
    plan = archive.begin_send("p" * 64, "r.pdf", ["a@x.com"])
    archive.finish_send(plan, accepted=[], refused={}, message_id=None, detail="no answer", in_doubt=True)
    assert archive.begin_send("p" * 64, "r.pdf", ["a@x.com"]).in_doubt == {"a@x.com": NOW}
    forced = archive.begin_send("p" * 64, "r.pdf", ["a@x.com"], resend=True)
    assert forced.to_send == ("a@x.com",)
    archive.finish_send(forced, accepted=["a@x.com"], refused={}, message_id="<m>")
    assert archive.begin_send("p" * 64, "r.pdf", ["a@x.com"], resend=True).to_send == ("a@x.com",)


def test_two_processes_claiming_one_address_at_once_claim_it_once(url: str) -> None:
    archives = [open_archive(ArchiveSettings(url=url)) for _ in range(6)]
    claimed: list[tuple[str, ...]] = []
    start = threading.Barrier(len(archives))

    def send(archive: Archive) -> None:
        start.wait()
        claimed.append(archive.begin_send("p" * 64, "r.pdf", ["a@x.com"]).to_send)

    threads = [threading.Thread(target=send, args=(archive,)) for archive in archives]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for archive in archives:
        archive.close()
    assert sorted(claimed) == [()] * 5 + [("a@x.com",)]


def test_month_kpis_come_from_the_newest_version_of_each_month(archive: Archive) -> None:
    archive.record_build(record("a" * 64, "1" * 64, month="2026-08", leads=5))
    archive.record_build(record("b" * 64, "2" * 64, month="2026-09", leads=7))
    archive.record_build(record("c" * 64, "3" * 64, month="2026-09", leads=9))  # September revised
    kpis = archive.month_kpis("Northwind", ["2026-07", "2026-08", "2026-09"])
    assert kpis == {"2026-08": {"month": "2026-08", "leads": 5}, "2026-09": {"month": "2026-09", "leads": 9}}


def test_each_name_a_run_paired_is_one_alias_with_its_first_and_last_moment(url: str) -> None:
    # a team's runs over years are one alias a pairing (not one a run, which made each command that
    # resolves a name read every run); the first pairing still owns the schedule's key
    moments = iter(NOW + dt.timedelta(hours=hour) for hour in range(20))
    archive = open_archive(ArchiveSettings(url=url), clock=lambda: next(moments))
    try:
        for index, built in enumerate(["Team North", None, "Team North", "Renamed North"]):
            run = archive.claim_run("north", "2026-10", NOW + dt.timedelta(days=index), "host")  # hour 2i
            assert run is not None
            archive.finish_run(run, "sent", **({"review_team": built} if built else {}))  # hour 2i + 1
        hour = [NOW + dt.timedelta(hours=each) for each in range(8)]
        assert archive.team_names() == [
            TeamAlias("Renamed North", "north", hour[6], hour[6]),
            TeamAlias("Team North", "north", hour[4], hour[0]),
            TeamAlias(None, "north", hour[2], hour[2]),
        ]
        assert first_owners(archive.team_names())[fold("north")] == "Team North"
    finally:
        archive.close()


def test_addresses_compare_case_folded() -> None:
    assert address_key(" Boss@Example.COM ") == "boss@example.com"


def test_a_schema_newer_than_the_code_is_refused_by_name(url: str) -> None:
    open_archive(ArchiveSettings(url=url)).close()
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(ArchiveError) as caught:
        open_archive(ArchiveSettings(url=url))
    assert caught.value.code == "newer_schema" and caught.value.exit_code == ExitCode.ARCHIVE_FAILED
    assert "newer reportgen (schema 9999)" in caught.value.message("en")
    assert "更新版本的 reportgen" in caught.value.message("zh")


def test_an_unreachable_postgresql_is_named_without_its_password() -> None:
    url = f"postgresql+psycopg://ops:s3cret@127.0.0.1:{free_port()}/reviews"
    with pytest.raises(ArchiveError) as caught:
        open_archive(ArchiveSettings(url=url))
    text = caught.value.message("en")
    assert caught.value.code == "unreachable" and "s3cret" not in text
    assert f"postgresql+psycopg://ops:***@127.0.0.1:{url.split(':')[3].split('/')[0]}/reviews" in text


def test_a_url_that_is_no_database_is_refused_with_the_forms_to_use() -> None:
    with pytest.raises(ArchiveError) as caught:
        open_archive(ArchiveSettings(url="mongodb://localhost/reviews"))
    assert caught.value.code == "bad_url" and "postgresql+psycopg://" in caught.value.message("en")


def test_a_locked_sqlite_file_is_reported_as_locked(tmp_path: Path) -> None:
    path = tmp_path / "archive.sqlite3"
    archive = open_archive(ArchiveSettings(url=f"sqlite:///{path}"))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # a backup, or another program, holding the file
    try:
        with pytest.raises(ArchiveError) as caught:
            archive.record_build(record())
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        archive.close()
    assert caught.value.code == "locked" and str(path) in caught.value.message("en")


def test_the_error_names_what_was_kept() -> None:
    error = ArchiveError("locked", archive="/a.sqlite3", detail="database is locked").keeping(Path("/r.pdf"))
    assert error.message("en").splitlines()[-1] == (
        "The review was written and is kept at /r.pdf; only its record in the archive is missing."
    )


def test_the_figures_a_build_showed_come_back_as_they_were(archive: Archive) -> None:
    document = {"month": "2026-10", "activities": [{"cell": "活动!A7", "activity": "长文" * 2000}]}
    built = dataclasses.replace(record(), figures=dumps(document))
    archive.record_build(built)
    plan = archive.begin_send(built.pdf_sha256, "r.pdf", ["a@x.com"])
    archive.finish_send(plan, accepted=["a@x.com"], refused={}, message_id="<m>")
    sent = archive.plan_version(built.team, built.month, "other" * 12).last_sent
    assert sent is not None and sent.figures == json.loads(json.dumps(document))


def _open_and_close(url: str) -> None:
    open_archive(ArchiveSettings(url=url)).close()


def test_processes_opening_a_new_archive_at_once_all_find_it_ready(url: str) -> None:
    import multiprocessing

    context = multiprocessing.get_context("spawn")  # fresh processes, as batch's workers are
    processes = [context.Process(target=_open_and_close, args=(url,)) for _ in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    assert [process.exitcode for process in processes] == [0, 0, 0, 0]
    assert open_archive(ArchiveSettings(url=url)).versions() == []


def test_a_versions_documents_say_what_each_languages_review_says_first(archive: Archive) -> None:
    """The English review built, then its Chinese copy (the same version, built last): the roll-up reads
    the review in its own language (not the copy built after it) and, for its appendix, each language's
    first takeaway."""
    for lang, sha, first in (("en", "e" * 64, "Completion fell"), ("zh", "z" * 64, "完成率下降")):
        document = {"month": "2026-10", "totals": {}, "findings": [], "mail": {"takeaways": [first]}}
        archive.record_build(dataclasses.replace(record(pdf_sha=sha), lang=lang, figures=dumps(document)))
    (version,) = archive.month_documents("Northwind", "2026-10")
    assert version["lang"] == "en" and version["takeaways"] == {"en": "Completion fell", "zh": "完成率下降"}
