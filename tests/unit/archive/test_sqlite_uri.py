"""A SQLite url in SQLite's own URI form (`sqlite:///file:<path>?mode=ro&uri=true`, how a read-only archive is
given) names the file at <path>: its folder is the one made, never a folder named `file:` in the working
folder (a test run once left one in the checkout)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.archive.store import open_archive
from reportgen.base.config import ArchiveSettings
from reportgen.base.errors import ArchiveError


def test_a_sqlite_uri_makes_its_own_folder_and_nothing_in_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    working = tmp_path / "working"
    working.mkdir()
    monkeypatch.chdir(working)
    target = tmp_path / "data" / "reportgen" / "archive.sqlite3"
    archive = open_archive(ArchiveSettings(url=f"sqlite:///file:{target}?mode=rwc&uri=true"))
    archive.close()
    assert target.is_file()
    assert list(working.iterdir()) == []


def test_a_read_only_sqlite_uri_of_a_missing_file_is_refused_and_makes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///file:{tmp_path / 'gone' / 'a.sqlite3'}?mode=ro&uri=true"
    with pytest.raises(ArchiveError):
        open_archive(ArchiveSettings(url=url))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["gone"]
