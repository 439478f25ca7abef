"""A command's own scratch folder, so that nothing it writes for itself outlives it, however it is stopped.

Every temporary file or folder reportgen makes (a queued task's copy of a team workbook, serve's uploads, a
roll-up's downloads, the reader's scratch copies) goes through `tempfile`, and a command runs inside
`scratch_folder()`: one folder in the system temp folder, made the default of `tempfile` and of the
processes it starts (TMPDIR), removed when the command ends. A command killed outright (SIGKILL, the OOM
killer, a power cut) cannot remove it, so the next reportgen command on the machine does: each folder is
locked (`flock` on the folder itself) by its command, and every process forked from it, for their life; the
kernel lets go when the last of them is gone, and `sweep` removes the folders nobody holds (docs/safety.md
"Files left behind"). A folder is made under another name and locked before it takes its swept name, so a
sweep never sees one that is not yet held; systemd-tmpfiles, which ages /tmp, also leaves a locked folder
alone.
"""

from __future__ import annotations

import atexit
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

from reportgen.base.files import nobody_holds

logger = logging.getLogger(__name__)

PREFIX = "reportgen-scratch-"
MAKING = "reportgen-making-"  # a folder being made: not yet locked, never in use
MAKING_GRACE_SECONDS = 60.0  # a MAKING folder older than this belongs to a command that died making it
MULTIPROCESSING_TEMP_PRIORITY = -100  # the exit priority multiprocessing.util removes its pymp-* folder with
# A forkserver's socket (batch, watch, serve) is <temp>/pymp-xxxxxxxx/listener-xxxxxxxx, and a Unix socket's
# path is at most 107 bytes on Linux: under a long TMPDIR it would not fit inside a command's scratch folder.
FORKSERVER_SOCKET = "/pymp-xxxxxxxx/listener-xxxxxxxx"
SOCKET_PATH_MAX = 107


@contextlib.contextmanager
def scratch_folder(sockets: bool = True) -> Iterator[Path]:
    """Sweep the dead commands' folders, then make this command's and send `tempfile` (and TMPDIR, for the
    processes it starts) there until the block ends. Only the process that made it removes it: a forked
    child that unwinds this block (it should not) leaves its parent's folder alone. The temp folder is used
    as it is where no folder can be made (a full or read-only disk is not the command's problem to solve
    here) or, with `sockets`, under a TMPDIR too long for a forkserver's socket inside the folder (more than
    about 50 characters)."""
    root = Path(tempfile.gettempdir())
    sweep(root)
    too_long = len(os.fsencode(root / f"{PREFIX}xxxxxxxx")) + len(FORKSERVER_SOCKET) > SOCKET_PATH_MAX
    made = None if sockets and too_long else _make(root)
    if made is None:
        yield root
        return
    folder, held = made
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


def _make(root: Path) -> tuple[Path, int] | None:
    """A new folder in `root` under its swept name, locked by this process (and what it forks; not what it
    execs); None, logged, where none can be made."""
    try:
        making = Path(tempfile.mkdtemp(prefix=MAKING, dir=root))
    except OSError as exc:
        logger.warning("scratch: no folder of its own in %s (%s): the command uses it as it is", root, exc)
        return None
    held = os.open(making, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    fcntl.flock(held, fcntl.LOCK_EX)
    folder = root / f"{PREFIX}{making.name.removeprefix(MAKING)}"
    os.rename(making, folder)  # the lock is the folder's (its inode's): it goes with it
    return folder, held


_HELD: list[contextlib.ExitStack] = []  # build processes' own folders, held until the process ends


def hold_own_folder() -> Path:
    """A build process of a long-running command (a worker's pool process, serve's, a batch's or watch's
    build) takes a scratch folder of its own inside its command's, for the rest of its life, after removing
    those of its siblings that died: a build killed outright (the out-of-memory killer's usual pick) left
    its fonts' copy and workbook there, which the command, still running and holding its own folder, would
    otherwise keep until it stops. A process that ends normally removes its folder at exit; one that ends
    with os._exit (Celery's, a forkserver's children) leaves it to the next sibling or to its command. A
    process that is not a command's (a pool an embedding program or a test made) uses its temp folder as it
    is: no command would ever remove what it left."""
    root = Path(tempfile.gettempdir())
    if not root.name.startswith(PREFIX):
        return root
    held = contextlib.ExitStack()
    folder = held.enter_context(scratch_folder(sockets=False))  # a build process hosts no forkserver
    _HELD.append(held)
    atexit.register(held.close)
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
    folder, a symbolic link, a folder being made, and anything not named as a scratch folder are left
    alone."""
    removed: list[Path] = []
    try:
        entries = [entry for entry in os.scandir(root) if entry.name.startswith((PREFIX, MAKING))]
    except OSError:
        return removed
    for entry in entries:
        try:
            mine = entry.stat(follow_symlinks=False).st_uid == os.getuid()
            if not entry.is_dir(follow_symlinks=False) or not mine:
                continue
            folder = Path(entry.path)
            if entry.name.startswith(MAKING) and time.time() - folder.stat().st_mtime < MAKING_GRACE_SECONDS:
                continue  # a command is making it this moment
            if nobody_holds(folder):  # every process of the command that made it has ended
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
        except OSError:
            continue
    if removed:
        logger.info("scratch: removed %d folder(s) of commands that ended without it", len(removed))
    return removed
