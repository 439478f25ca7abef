"""A command's own scratch folder, so that nothing it writes for itself outlives it, however it is stopped.

Every temporary file or folder reportgen makes (a queued task's copy of a team workbook, serve's uploads, a
roll-up's downloads, the reader's scratch copies) goes through `tempfile`, and a command runs inside
`scratch_folder()`: one folder in the system temp folder, made the default of `tempfile` and of the
processes it starts (TMPDIR), removed when the command ends. A command killed outright (SIGKILL, the OOM
killer, a power cut) cannot remove it, so the next reportgen command on the machine does: each folder holds
a lock its command (and every process forked from it) keeps for its life, which the kernel drops when the
last of them is gone, and `sweep` removes the folders whose lock is free (docs/safety.md "Files left
behind").
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

logger = logging.getLogger(__name__)

PREFIX = "reportgen-scratch-"
LOCK = ".held"
MULTIPROCESSING_TEMP_PRIORITY = -100  # the exit priority multiprocessing.util removes its pymp-* folder with
UNLOCKED_GRACE_SECONDS = 60.0  # a folder whose lock is not yet made: another command is making it
# A forkserver's socket (batch, watch, serve) is <temp>/pymp-xxxxxxxx/listener-xxxxxxxx, and a Unix socket's
# path is at most 107 bytes on Linux: under a long TMPDIR it would not fit inside the scratch folder.
FORKSERVER_SOCKET = "/pymp-xxxxxxxx/listener-xxxxxxxx"
SOCKET_PATH_MAX = 107


@contextlib.contextmanager
def scratch_folder() -> Iterator[Path]:
    """Sweep the dead commands' folders, then make this command's and send `tempfile` (and TMPDIR, for the
    processes it starts) there until the block ends. Only the process that made it removes it: a forked
    child that unwinds this block (it should not) leaves its parent's folder alone. Under a TMPDIR too long
    for a forkserver's socket inside the folder (more than about 50 characters), the temp folder is used as
    it is."""
    root = Path(tempfile.gettempdir())
    sweep(root)
    if len(os.fsencode(root / f"{PREFIX}xxxxxxxx")) + len(FORKSERVER_SOCKET) > SOCKET_PATH_MAX:
        yield root  # too long to hold a forkserver's socket inside: the temp folder itself, as it is
        return
    folder = Path(tempfile.mkdtemp(prefix=PREFIX, dir=root))
    held = os.open(folder / LOCK, os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0o600)
    fcntl.flock(held, fcntl.LOCK_EX)  # forked children share it; exec'd programs do not (O_CLOEXEC)
    owner = os.getpid()
    previous_default, previous_env = tempfile.tempdir, os.environ.get("TMPDIR")
    tempfile.tempdir = str(folder)
    os.environ["TMPDIR"] = str(folder)
    try:
        yield folder
    finally:
        if os.getpid() == owner:
            tempfile.tempdir = previous_default
            if previous_env is None:
                os.environ.pop("TMPDIR", None)
            else:
                os.environ["TMPDIR"] = previous_env
            _remove(folder, held)


_HELD: list[contextlib.ExitStack] = []  # build processes' own folders, held until the process ends


def hold_own_folder() -> Path:
    """A build process of a long-running command (a worker's pool process, serve's, a batch's or watch's
    build) takes a scratch folder of its own inside its command's, for the rest of its life, after removing
    those of its siblings that died: a build killed outright (the out-of-memory killer's usual pick) left
    its fonts' copy and workbook there, which the command, still running and holding its own folder, would
    otherwise keep until it stops. The command removes them all when it ends."""
    held = contextlib.ExitStack()
    folder = held.enter_context(scratch_folder())
    _HELD.append(held)
    return folder


def _remove(folder: Path, held: int) -> None:
    """Remove the folder and let go of its lock; when multiprocessing made its own temp folder in it (pymp-*,
    which it removes at exit and cannot find gone), after multiprocessing's own clean-up at exit instead,
    still holding the lock until then."""
    processes = sys.modules.get("multiprocessing.util")
    if processes is not None and any(folder.glob("pymp-*")):
        processes.Finalize(
            None, _remove_now, args=(folder, held), exitpriority=MULTIPROCESSING_TEMP_PRIORITY - 1
        )
        return
    _remove_now(folder, held)


def _remove_now(folder: Path, held: int) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    with contextlib.suppress(OSError):
        os.close(held)


def sweep(root: Path) -> list[Path]:
    """Remove the scratch folders in `root` that no live command holds; the folders removed. Another user's
    folder, a symbolic link or a folder being made this minute is left alone."""
    removed: list[Path] = []
    try:
        entries = [entry for entry in os.scandir(root) if entry.name.startswith(PREFIX)]
    except OSError:
        return removed
    for entry in entries:
        try:
            if (
                not entry.is_dir(follow_symlinks=False)
                or entry.stat(follow_symlinks=False).st_uid != os.getuid()
            ):
                continue
            folder = Path(entry.path)
            if _abandoned(folder):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
        except OSError:
            continue
    if removed:
        logger.info(
            "scratch: removed %d folder(s) of commands that ended without removing them", len(removed)
        )
    return removed


def _abandoned(folder: Path) -> bool:
    try:
        lock = os.open(folder / LOCK, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except FileNotFoundError:
        return time.time() - folder.stat().st_mtime > UNLOCKED_GRACE_SECONDS
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(lock)
    return True
