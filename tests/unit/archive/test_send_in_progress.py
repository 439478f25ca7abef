"""A second send of a PDF while the first is still at it is told so: no advice to add --resend, which would
mail a second copy once the first one's answer comes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from reportgen.archive.store import RUNNING, open_archive
from reportgen.base.config import ArchiveSettings


def test_a_send_under_way_is_in_progress_and_an_old_silent_one_in_doubt(tmp_path: Path) -> None:
    now = [dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)]
    archive = open_archive(ArchiveSettings(url=f"sqlite:///{tmp_path / 'archive.sqlite3'}"))
    archive.clock = lambda: now[0]
    try:
        first = archive.begin_send("abc", "r.pdf", ["boss@example.com"])
        assert first.to_send == ("boss@example.com",)
        now[0] += dt.timedelta(seconds=5)
        second = archive.begin_send("abc", "r.pdf", ["Boss@Example.com"])
        assert second.to_send == () and set(second.in_progress) == {"boss@example.com"}
        assert not second.in_doubt
        now[0] += RUNNING  # the first never answered: its process died mid-send, the mail may have gone
        third = archive.begin_send("abc", "r.pdf", ["boss@example.com"])
        assert set(third.in_doubt) == {"boss@example.com"} and not third.in_progress
    finally:
        archive.close()
