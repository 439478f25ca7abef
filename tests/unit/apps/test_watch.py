"""watch's parts without the loop: which files are candidates, when a file has settled, the state store."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest

from reportgen.apps.watch import Settler, StateStore, digest_of, is_candidate, unique_path, zip_complete
from reportgen.base.errors import InputError


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("name", "candidate"),
    [
        ("team.xlsx", True),
        ("团队台账.xls", True),
        ("notes.txt", True),  # its content decides; the build says it is no workbook
        ("~$team.xlsx", False),
        ("team.xlsx.tmp", False),
        ("download.crdownload", False),
        (".hidden.xlsx", False),
        ("team.xlsx~", False),
        ("team.xlsx.log", False),
    ],
)
def test_candidates_skip_lock_temp_and_hidden_files(name: str, candidate: bool) -> None:
    assert is_candidate(Path("/inbox") / name) is candidate


def test_a_file_settles_after_its_size_and_mtime_stay_unchanged_for_the_quiet_period(tmp_path: Path) -> None:
    clock = Clock()
    settler = Settler(2.0, clock)
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"PK first chunk")
    settler.observe(path)
    assert not settler.settled(path)  # first look: just seen
    clock.now += 1.5
    assert not settler.settled(path)
    with path.open("ab") as stream:  # another chunk arrives: the quiet period starts again
        stream.write(b" second chunk")
    clock.now += 1.0
    assert not settler.settled(path)
    clock.now += 1.9
    assert not settler.settled(path)
    clock.now += 0.2
    assert settler.settled(path)


def test_a_touch_without_a_size_change_restarts_the_quiet_period(tmp_path: Path) -> None:
    clock = Clock()
    settler = Settler(1.0, clock)
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"x" * 10)
    settler.observe(path)
    settler.settled(path)
    clock.now += 1.5
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert not settler.settled(path)
    clock.now += 1.0
    assert settler.settled(path)


def test_a_file_that_disappears_is_forgotten(tmp_path: Path) -> None:
    settler = Settler(1.0, Clock())
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"x")
    settler.observe(path)
    path.unlink()
    assert settler.quiet_for(path) is None
    assert settler.pending() == []


def test_a_half_written_zip_is_incomplete_and_a_whole_one_or_a_non_zip_is_complete(tmp_path: Path) -> None:
    whole = tmp_path / "whole.xlsx"
    with zipfile.ZipFile(whole, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>" * 1000)
    half = tmp_path / "half.xlsx"
    half.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    text = tmp_path / "text.xlsx"
    text.write_text("not a zip")
    assert zip_complete(whole)
    assert not zip_complete(half)
    assert zip_complete(text)


def test_state_store_keys_versions_by_name_and_content_and_survives_a_restart(tmp_path: Path) -> None:
    book = tmp_path / "book.xlsx"
    book.write_bytes(b"version one")
    first = digest_of(book)
    state = StateStore(tmp_path / ".state.json")
    assert state.status("book.xlsx", first) is None
    state.record("book.xlsx", first, "built", tmp_path / "out" / "book-2026-10.pdf")
    book.write_bytes(b"version two")
    second = digest_of(book)
    assert second != first
    reopened = StateStore(tmp_path / ".state.json")  # a restart reads what was recorded
    assert reopened.status("book.xlsx", first) == "built"
    assert reopened.status("book.xlsx", second) is None  # a new version is processed again
    assert reopened.status("other.xlsx", first) is None  # the same bytes under another name too
    document = json.loads((tmp_path / ".state.json").read_text("utf-8"))
    assert document["processed"]["book.xlsx"][first]["pdf"].endswith("book-2026-10.pdf")


def test_a_damaged_state_file_is_refused_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / ".state.json"
    path.write_text("{not json")
    with pytest.raises(InputError) as caught:
        StateStore(path)
    assert str(path) in caught.value.message("en") and "Delete it" in caught.value.message("en")


def test_unique_path_never_overwrites_an_earlier_version(tmp_path: Path) -> None:
    assert unique_path(tmp_path, "book.xlsx") == tmp_path / "book.xlsx"
    (tmp_path / "book.xlsx").write_bytes(b"1")
    assert unique_path(tmp_path, "book.xlsx") == tmp_path / "book-2.xlsx"
    (tmp_path / "book-2.xlsx").write_bytes(b"2")
    assert unique_path(tmp_path, "book.xlsx") == tmp_path / "book-3.xlsx"


def test_a_workbook_that_cannot_be_moved_aside_is_logged_and_never_built_twice(tmp_path: Path) -> None:
    import datetime as dt

    from reportgen.apps.watch import Watcher, WatchOptions

    inbox, out = tmp_path / "inbox", tmp_path / "inbox" / "out"
    inbox.mkdir()
    out.mkdir()
    (inbox / "failed").write_text("a file where the failed/ folder should be")  # any move into it fails
    notes = inbox / "notes.xlsx"
    notes.write_text("date,channel,activity\n")  # not a workbook: its build fails fast
    lines: list[str] = []
    watcher = Watcher(WatchOptions(inbox, out, dt.date(2026, 11, 3)), lines.append)
    watcher.process(notes)  # no exception: a refused move is an event, not the end of the watch
    assert notes.exists()
    assert any("notes.xlsx: could not be moved to failed/" in line for line in lines), lines
    assert "this is a text or CSV file" in (out / "notes.xlsx.log").read_text("utf-8")
    building = sum("building the review" in line for line in lines)
    watcher.process(notes)  # noticed again: the state file knows this version
    assert sum("building the review" in line for line in lines) == building == 1
