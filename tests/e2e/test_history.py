"""`reportgen history` tells drafts from deliveries: a draft to the approver is shown as a draft, with what
the lead decided (who, when, why), never as a send to management; management's copies are counted apart;
a repeat refused because everyone had the PDF says so. The team is named by its review or its workbook."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from reportgen.archive.records import BuildRecord
from reportgen.archive.store import Archive, open_archive
from reportgen.base.config import ArchiveSettings
from reportgen.base.errors import ExitCode
from reportgen.base.states import ApprovalState, Audience, RunState
from reportgen.figures.document import dumps
from tests.commands import cli

NOW = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)
TEAM = "Northwind Growth Team"
LEAD, BOSS, CFO = "lead@example.com", "boss@example.com", "cfo@example.com"
REASON = "The trade fair's cost is wrong"


def built(archive: Archive, sha: str) -> tuple[int, str]:
    record = BuildRecord(
        team=TEAM,
        month="2026-10",
        lang="en",
        as_of=dt.date(2026, 11, 3),
        workbook_name="northwind-en.xlsx",
        workbook_sha256=sha * 64,
        pdf_sha256=sha.upper() * 64,
        pdf_path=Path(f"/reviews/northwind-v{sha}.pdf"),
        kpis={},
        figures=dumps({"month": "2026-10"}),
    )
    return archive.record_build(record).build_id, record.pdf_sha256


def sent(archive: Archive, pdf_sha: str, to: list[str], audience: Audience) -> None:
    plan = archive.begin_send(pdf_sha, "review.pdf", to, audience=audience)
    detail = None if plan.to_send else "nothing to send"  # as send_once records a refused repeat
    archive.finish_send(plan, accepted=list(plan.to_send), refused={}, message_id=None, detail=detail)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """October of Northwind, as the schedule made it: version 1 drafted to the lead and rejected with a
    reason; version 2 drafted, approved, sent to management (two addresses), and a repeat that found
    everyone had it."""
    url = f"sqlite:///{tmp_path / 'archive.sqlite3'}"
    archive = open_archive(ArchiveSettings(url=url), clock=lambda: NOW)
    try:
        first, first_pdf = built(archive, "a")
        sent(archive, first_pdf, [LEAD], Audience.APPROVER)
        rejected = archive.request_approval(first, TEAM, "northwind-en", "2026-10", first_pdf,
                                            Path("/reviews/v1.pdf"), LEAD)  # fmt: skip
        archive.decide(rejected, ApprovalState.REJECTED, by="ann", reason=REASON)
        second, second_pdf = built(archive, "b")
        sent(archive, second_pdf, [LEAD], Audience.APPROVER)
        approved = archive.request_approval(second, TEAM, "northwind-en", "2026-10", second_pdf,
                                            Path("/reviews/v2.pdf"), LEAD)  # fmt: skip
        archive.decide(approved, ApprovalState.APPROVED, by="bo")
        sent(archive, second_pdf, [BOSS, CFO], Audience.MANAGEMENT)
        sent(archive, second_pdf, [BOSS], Audience.MANAGEMENT)  # refused: boss has it already
        run = archive.claim_run("northwind-en", "2026-10", NOW, "host:1")
        assert run is not None
        archive.finish_run(run, RunState.SENT, review_team=TEAM, version=2)
    finally:
        archive.close()
    path = tmp_path / "reportgen.toml"
    path.write_text(
        f'[archive]\nurl = "{url}"\n\n[schedule]\nworkbooks = "{tmp_path / "northwind-en.xlsx"}"\n', "utf-8"
    )
    return path


def test_history_json_shows_the_rejected_draft_as_a_draft_with_its_reason_and_decider(config: Path) -> None:
    result = cli("history", "--json", "--team", "northwind-en", "--config", config)  # the workbook's name
    assert result.returncode == 0, result.stderr
    second, first = json.loads(result.stdout)["versions"]
    assert first["team"] == TEAM and first["version"] == 1
    assert first["sent_at"] is None  # the draft reached the lead: not a delivery
    assert first["counts"] == {
        "management": {"addresses": 0, "sends": 0},
        "approver": {"addresses": 1, "sends": 1},
    }
    (send,) = first["builds"][0]["sends"]
    assert send["audience"] == "approver" and send["accepted"] == [LEAD]
    (approval,) = first["builds"][0]["approvals"]
    assert (
        approval["state"] == "rejected" and approval["decided_by"] == "ann" and approval["reason"] == REASON
    )
    assert approval["approver"] == LEAD and approval["decided_at"] is not None
    assert second["sent_at"] is not None
    assert second["counts"] == {
        "management": {"addresses": 2, "sends": 1},
        "approver": {"addresses": 1, "sends": 1},
    }
    audiences = [(send["audience"], send["result"]) for send in second["builds"][0]["sends"]]
    assert audiences == [
        ("management", "skipped"),  # the repeat: boss had it already
        ("management", "sent"),
        ("approver", "sent"),
    ]  # newest first
    assert second["builds"][0]["sends"][0]["detail"] == "nothing to send"
    (approval,) = second["builds"][0]["approvals"]
    assert (approval["state"], approval["decided_by"], approval["reason"]) == ("approved", "bo", None)


def test_history_json_gives_a_held_send_as_skipped_and_the_silent_one_as_in_doubt(tmp_path: Path) -> None:
    """A send whose server went silent (in doubt), then a second send of the PDF, held back for it: `history
    show` says the second sent nothing and why, `history --json` gave it "failed"; it is "skipped" now, with
    `skipped.in_doubt` saying since when, and the first one stays "in_doubt"."""
    url = f"sqlite:///{tmp_path / 'archive.sqlite3'}"
    archive = open_archive(ArchiveSettings(url=url), clock=lambda: NOW)
    try:
        _, pdf = built(archive, "a")
        silent = archive.begin_send(pdf, "review.pdf", [BOSS])
        archive.finish_send(
            silent, accepted=[], refused={}, message_id=None, detail="no answer", in_doubt=True
        )
        sent(archive, pdf, [BOSS], Audience.MANAGEMENT)  # held: the first may have arrived
    finally:
        archive.close()
    path = tmp_path / "reportgen.toml"
    path.write_text(f'[archive]\nurl = "{url}"\n', "utf-8")
    listed = cli("history", "--json", "--config", path)
    assert listed.returncode == 0, listed.stderr
    (version,) = json.loads(listed.stdout)["versions"]
    held, first = version["builds"][0]["sends"]  # newest first
    assert (first["result"], held["result"]) == ("in_doubt", "skipped")
    assert list(held["skipped"]["in_doubt"]) == [BOSS] and held["accepted"] == []
    shown = cli("history", "show", TEAM, "2026-10", "--config", path).stdout
    assert f"send 2026-11-03 {local_nine()} sent nothing: {BOSS}: an earlier send" in shown, shown


def test_history_table_counts_management_apart_from_drafts(config: Path) -> None:
    result = cli("history", "--team", "NORTHWIND GROWTH TEAM", "--config", config, env={"COLUMNS": "400"})
    assert result.returncode == 0, result.stderr
    table = result.stdout
    assert "Draft" in table
    assert "to 2 recipients (management)" in table  # boss and cfo; the lead is not counted
    assert "not sent" in table  # version 1 never reached management
    assert "rejected by ann" in table and "bo" in table and "approved by bo" in table


def test_history_show_tells_the_draft_the_decision_and_the_delivery_apart(config: Path) -> None:
    result = cli("history", "show", "Northwind-EN", "2026-10", "--config", config)
    assert result.returncode == 0, result.stderr
    story = result.stdout
    version_one = story[story.index("Version 1") : story.index("Version 2")]
    assert f"draft to the approver: sent 2026-11-03 {local_nine()} to {LEAD}" in version_one
    assert f"approval: rejected by ann, 2026-11-03 {local_nine()}: {REASON}" in version_one
    assert "to management" not in version_one
    version_two = story[story.index("Version 2") : story.index("Steps:")]
    assert f"to management: sent 2026-11-03 {local_nine()} to {BOSS}, {CFO}" in version_two
    assert (
        f"to management: send 2026-11-03 {local_nine()} was a repeat and sent nothing: {BOSS} had this "
        f"review already (since 2026-11-03 {local_nine()})" in version_two
    )
    assert "approval: approved by bo" in version_two
    steps = story[story.index("Steps:") :]
    assert f"rejected by ann: {REASON}" in steps and "approved by bo" in steps
    assert "v1  draft to the approver: sent" in steps and "v1  sent" not in steps


def test_history_show_in_chinese(config: Path) -> None:
    story = cli("history", "show", "northwind-en", "2026-10", "--config", config, "--lang", "zh").stdout
    assert "发给审批人的草稿" in story and f"ann 于 2026-11-03 {local_nine()} 退回：{REASON}" in story
    assert "发给管理层" in story


def test_an_unknown_team_is_answered_with_the_known_teams_in_words(config: Path) -> None:
    result = cli("history", "--team", "Southwind", "--config", config)
    assert result.returncode == ExitCode.BAD_INPUT
    assert "There is no team Southwind. Known teams: Northwind Growth Team (northwind-en)." in result.stderr
    chinese = cli("history", "show", "Southwind", "2026-10", "--config", config, "--lang", "zh")
    assert chinese.returncode == ExitCode.BAD_INPUT
    assert "没有团队 Southwind。已知团队：Northwind Growth Team (northwind-en)。" in chinese.stderr


def local_nine() -> str:
    """09:00 UTC in this machine's zone, as history prints it: the time and the zone's name (these teams name
    no zone of their own)."""
    return NOW.astimezone().strftime("%H:%M %Z")


def test_serve_panel_shows_the_draft_and_the_decision_apart_from_the_delivery(config: Path) -> None:
    from reportgen.apps.serve.history import read_versions, team_history
    from reportgen.base.catalogue import catalogue
    from reportgen.base.config import load_config

    settings = load_config(config, None)
    archive = open_archive(settings.archive)
    try:
        archived = read_versions(archive, "NORTHWIND-EN", settings)  # the workbook's name finds the team
        assert read_versions(archive, "Southwind", settings).versions == []  # unknown: no history, no error
    finally:
        archive.close()
    (month,) = team_history(TEAM, archived, catalogue("en")).months
    second, first = month.versions
    assert (first.state, first.sent) == ("not_sent", "not sent")  # the rejected draft: never "sent"
    assert (
        first.decision == "rejected"
        and f"rejected by ann, 2026-11-03 {local_nine()}: {REASON}" in first.draft
    )
    assert f"draft to {LEAD}" in first.draft
    assert second.state == "sent" and "to 2 recipients" in second.sent  # management only
    assert second.decision == "approved" and "approved by bo" in second.draft
