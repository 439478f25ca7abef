"""write_atomic: the file is whole or absent, and what a writer killed outright left beside it goes with the
next write of the same file, but never a temp file another writer holds or has just made."""

from __future__ import annotations

import errno
import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reportgen.base import files
from reportgen.base.files import ABANDONED_AFTER_SECONDS, write_atomic


def aged(path: Path, seconds: float) -> Path:
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def stale(path: Path, data: bytes) -> Path:
    """A file last written longer ago than a writer takes to rename it."""
    path.write_bytes(data)
    return aged(path, ABANDONED_AFTER_SECONDS + 1)


def test_the_file_is_written_whole_and_no_temp_file_stays(tmp_path: Path) -> None:
    target = tmp_path / "review.pdf"
    write_atomic(target, b"first")
    write_atomic(target, b"second")
    assert target.read_bytes() == b"second"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["review.pdf"]


def test_a_killed_writers_temp_file_goes_with_the_next_write_of_that_file(tmp_path: Path) -> None:
    """A writer SIGKILLed between writing and renaming: its temp file is one nobody holds."""
    target = tmp_path / "review.pdf"
    writer = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom reportgen.base import files\n"
         "files.os.replace = lambda *a: (print('written', flush=True), time.sleep(60))\n"
         f"files.write_atomic({str(target)!r}, b'half')\n"],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert writer.stdout is not None and writer.stdout.readline() == "written\n"
    (left,) = tmp_path.glob(".review.pdf.*.tmp")
    aged(left, ABANDONED_AFTER_SECONDS + 1)
    write_atomic(tmp_path / "other.pdf", b"x")  # another file's write leaves it alone
    assert left.exists()
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    write_atomic(target, b"whole")
    assert not left.exists() and target.read_bytes() == b"whole"


def test_a_temp_file_another_writer_holds_or_has_just_made_stays(tmp_path: Path) -> None:
    target = tmp_path / "review.pdf"
    held = stale(tmp_path / ".review.pdf.abcd1234.tmp", b"being written")
    young = tmp_path / ".review.pdf.young_01.tmp"
    young.write_bytes(b"about to be renamed")  # its writer has closed it and is renaming it
    lock = os.open(held, os.O_RDONLY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        write_atomic(target, b"x")
        assert held.exists() and young.exists()
    finally:
        os.close(lock)
    write_atomic(target, b"y")
    assert not held.exists() and young.exists()


@pytest.mark.parametrize(
    "name",
    [".review.pdf.notes.txt", ".review.pdf.ABCDEFGH.tmp", ".review.pdf.abc.tmp", "review.pdf.abcd1234.tmp"],
)
def test_only_names_write_atomic_makes_are_removed(tmp_path: Path, name: str) -> None:
    other = stale(tmp_path / name, b"someone else's")
    assert files.remove_abandoned(tmp_path, ".review.pdf.") == []
    assert other.exists()


def test_a_link_is_never_followed_or_removed(tmp_path: Path) -> None:
    outside = stale(tmp_path / "outside", b"keep")
    link = tmp_path / ".review.pdf.abcd1234.tmp"
    link.symlink_to(outside)
    then = time.time() - ABANDONED_AFTER_SECONDS - 1
    os.utime(link, (then, then), follow_symlinks=False)  # the link itself is as old as a killed writer's
    assert files.remove_abandoned(tmp_path, ".review.pdf.") == []
    assert link.is_symlink() and outside.read_bytes() == b"keep"


def test_a_file_system_without_locks_still_takes_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Some network file systems refuse flock (ENOLCK): the output is written all the same, and a temp file
    whose lock cannot be tested is left alone."""

    def no_locks(descriptor: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")

    left = stale(tmp_path / ".review.pdf.abcd1234.tmp", b"a killed writer's")
    monkeypatch.setattr(files.fcntl, "flock", no_locks)
    write_atomic(tmp_path / "review.pdf", b"whole")
    assert (tmp_path / "review.pdf").read_bytes() == b"whole" and left.exists()
