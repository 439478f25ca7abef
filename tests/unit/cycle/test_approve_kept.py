"""Approving a draft whose file a later build wrote over: management gets exactly the approved PDF, from the
archive's own copy of that build, under the file's name; the later version at the path is left alone."""

from __future__ import annotations

import hashlib
from pathlib import Path

from reportgen.apps.schedule import tick_teams
from reportgen.archive.store import Archive
from reportgen.cycle.runs import approve
from tests.builders import make_workbook
from tests.mailserver import Handler, parts, smtp_server
from tests.unit.cycle.test_runs import BOSS, CLEAN_OCTOBER, RUN, SINCE, archive, config_for

__all__ = ["archive"]  # the fixture


def test_a_draft_written_over_since_is_sent_from_the_archives_copy(tmp_path: Path, archive: Archive) -> None:
    make_workbook(tmp_path, CLEAN_OCTOBER, name="team.xlsx")
    handler = Handler()
    with smtp_server(handler) as port:
        config = config_for(tmp_path, port)
        tick_teams(archive, config, RUN, SINCE)  # the draft waits for the lead
        (approval,) = archive.approvals("team", "2026-10")
        drafted = approval.pdf_path.read_bytes()
        assert hashlib.sha256(drafted).hexdigest() == approval.pdf_sha256
        later = b"%PDF-1.7\n% a later version of the month, written to the same path\n%%EOF\n"
        approval.pdf_path.write_bytes(later)
        approve(archive, config, "team", "2026-10")
    (mail,) = [received for received in handler.received if BOSS in received.rcpt_tos]
    _, _, attachments = parts(mail.message)
    (attachment,) = [part for part in attachments if part.get_filename() == approval.pdf_path.name]
    assert attachment.get_content() == drafted
    assert approval.pdf_path.read_bytes() == later
    assert [a.state for a in archive.approvals("team", "2026-10")] == ["approved"]
