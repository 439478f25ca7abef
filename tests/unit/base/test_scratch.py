"""A command's scratch folder: the temp folder of everything it starts while it runs, gone when it ends; the
folder of a command killed outright is removed by the next command, and a live command's never is."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reportgen.base.scratch import (
    MAKING,
    MAKING_GRACE_SECONDS,
    PREFIX,
    hold_own_folder,
    scratch_folder,
    sweep,
)

HOLD = (
    "import sys, time\n"
    "from reportgen.base.scratch import scratch_folder\n"
    "with scratch_folder() as folder:\n"
    "    (folder / 'workbook.xlsx').write_bytes(b'team data')\n"
    "    print(folder, flush=True)\n"
    "    time.sleep(600)\n"
)


def holder(temp: Path) -> tuple[subprocess.Popen[str], Path]:
    """A process inside its scratch folder, holding it; the folder."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(temp)},
    )
    assert process.stdout is not None
    return process, Path(process.stdout.readline().strip())


@pytest.fixture
def temp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty system temp folder of the test's own, with a short path as /tmp has (tmp_path's is too long
    for a scratch folder: see the last test)."""
    folder = Path(tempfile.mkdtemp(prefix="rg-", dir="/tmp"))
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", None)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_the_folder_is_every_temp_file_s_home_and_goes_with_the_block(temp: Path) -> None:
    with scratch_folder() as folder:
        assert folder.parent == temp and folder.name.startswith(PREFIX)
        assert tempfile.gettempdir() == str(folder) == os.environ["TMPDIR"]
        made = Path(tempfile.mkdtemp(prefix="weasyprint-"))
        assert made.parent == folder
        started = subprocess.run(
            [sys.executable, "-c", "import tempfile; print(tempfile.gettempdir())"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert started.stdout.strip() == str(folder)  # a process it starts writes there too
    assert not folder.exists()
    assert os.environ["TMPDIR"] == str(temp) and tempfile.gettempdir() == str(temp)
    assert list(temp.iterdir()) == []


def test_the_folder_goes_when_the_command_fails(temp: Path) -> None:
    with pytest.raises(KeyError), scratch_folder() as folder:
        (folder / "half.pdf").write_bytes(b"%PDF")
        raise KeyError("the command failed")
    assert list(temp.iterdir()) == []


def test_a_killed_command_s_folder_goes_with_the_next_command_and_a_live_one_s_stays(temp: Path) -> None:
    killed, killed_folder = holder(temp)
    living, living_folder = holder(temp)
    try:
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=30)
        assert (killed_folder / "workbook.xlsx").exists()  # nothing of its own ran after SIGKILL
        with scratch_folder() as mine:
            assert not killed_folder.exists()
            assert (living_folder / "workbook.xlsx").exists()
        assert sorted(temp.iterdir()) == [living_folder]
        assert mine != living_folder
    finally:
        living.kill()
        living.wait(timeout=30)
    assert sweep(temp) == [living_folder]
    assert list(temp.iterdir()) == []


def test_sweep_leaves_what_is_not_a_dead_command_s_folder(temp: Path) -> None:
    elsewhere = temp / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("mine", "utf-8")
    (temp / f"{PREFIX}link").symlink_to(elsewhere, target_is_directory=True)
    (temp / f"{PREFIX}file").write_text("not a folder", "utf-8")
    (temp / "reportgen-task-abc").mkdir()  # not a scratch folder: another program's name
    being_made = temp / f"{MAKING}new"
    being_made.mkdir()  # not locked yet: a command is making it this moment
    dead = temp / f"{PREFIX}dead"
    dead.mkdir()  # its command has ended: nobody holds it
    assert sweep(temp) == [dead]
    assert (elsewhere / "keep.txt").exists() and being_made.exists()
    stale = time.time() - MAKING_GRACE_SECONDS - 5
    os.utime(being_made, (stale, stale))  # its command died before it could take the lock
    assert sweep(temp) == [being_made]
    names = sorted(path.name for path in temp.iterdir())
    assert names == ["elsewhere", f"{PREFIX}file", f"{PREFIX}link", "reportgen-task-abc"]


RACE = (
    "import sys, time\n"
    "from reportgen.base.scratch import scratch_folder\n"
    "lost, end = 0, time.monotonic() + float(sys.argv[1])\n"
    "while time.monotonic() < end:\n"
    "    with scratch_folder() as folder:\n"
    "        try:\n"
    "            (folder / 'page.pdf').write_bytes(b'%PDF')\n"
    "        except OSError:\n"
    "            lost += 1\n"
    "print(lost)\n"
)


def test_commands_starting_together_never_sweep_each_other_s_folder(temp: Path) -> None:
    """Each start sweeps while the others make their folders: a folder is locked before it takes the name a
    sweep looks for (made and locked in two steps under that name, 101 of 15,633 were lost in 8 s)."""
    racers = [
        subprocess.Popen([sys.executable, "-c", RACE, "3"], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    lost = [int(racer.communicate(timeout=120)[0]) for racer in racers]
    assert lost == [0, 0]
    assert list(temp.iterdir()) == []


def test_a_forked_child_leaves_its_parent_s_folder_alone(temp: Path) -> None:
    with scratch_folder() as folder:
        child = os.fork()
        if child:
            _, status = os.waitpid(child, 0)
            assert os.waitstatus_to_exitcode(status) == 0
            assert folder.exists()
    if child == 0:  # the child unwound the block as if it were the command: the folder is still there
        os._exit(0 if folder.exists() else 3)
    assert not folder.exists()


def test_a_build_process_s_own_folder_nests_in_its_command_s_and_goes_at_its_exit(temp: Path) -> None:
    own = (
        "import tempfile\n"
        "from reportgen.base.scratch import hold_own_folder\n"
        "folder = hold_own_folder()\n"
        "assert tempfile.gettempdir() == str(folder)\n"
        "(folder / 'fonts.otf').write_bytes(b'a copy')\n"
        "print(folder)\n"
    )
    with scratch_folder() as command:
        ended = subprocess.run([sys.executable, "-c", own], capture_output=True, text=True, check=True)
        folder = Path(ended.stdout.strip())
        assert folder.parent == command and folder.name.startswith(PREFIX)
        assert list(command.iterdir()) == []  # removed when the process ended normally
    assert list(temp.iterdir()) == []


def test_under_a_long_temp_folder_a_command_uses_it_as_it_is_and_so_do_its_build_processes(
    temp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Too long for a forkserver's socket inside a command's folder: no folder, so none for its builds."""
    long = temp / ("t" * 60)
    long.mkdir()
    monkeypatch.setenv("TMPDIR", str(long))
    with scratch_folder() as folder:
        assert folder == long and tempfile.gettempdir() == str(long)
        assert hold_own_folder() == long
    assert list(long.iterdir()) == []


def test_a_process_that_is_no_command_s_uses_its_temp_folder_as_it_is(temp: Path) -> None:
    assert hold_own_folder() == temp  # a pool a test or an embedding program made: nobody would remove it
    assert list(temp.iterdir()) == []
