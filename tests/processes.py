"""Which processes a command left behind: the command is started with a mark of its own in its environment,
which every process it starts inherits (spawned, forked, forked from a forkserver), and /proc is searched for
that mark, whoever the process's parent is now (an orphan's is 1)."""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from pathlib import Path

MARK = "REPORTGEN_TEST_MARK"


def new_mark() -> str:
    return uuid.uuid4().hex


def marked(mark: str) -> dict[int, str]:
    """Every living process whose environment carries `mark`: its pid and command line (zombies, whose
    environment is gone, are not counted: they hold no memory and run nothing)."""
    needle = f"{MARK}={mark}".encode() + b"\0"
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if needle in (entry / "environ").read_bytes() + b"\0":
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                found[int(entry.name)] = command.strip()
    return found


def wait_for_marked(mark: str, count: int, seconds: float) -> dict[int, str]:
    """The marked processes once there are at least `count` of them; AssertionError after `seconds`."""
    deadline = time.monotonic() + seconds
    while len(found := marked(mark)) < count:
        assert time.monotonic() < deadline, f"fewer than {count} processes within {seconds} s: {found}"
        time.sleep(0.1)
    return found


def left_after(mark: str, seconds: float) -> dict[int, str]:
    """The marked processes still alive after up to `seconds` (a process that is ending gets that long)."""
    deadline = time.monotonic() + seconds
    while (found := marked(mark)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def kill_marked(mark: str) -> None:
    """SIGKILL whatever still carries `mark` (a test's clean-up: nothing outlives the suite)."""
    for pid in marked(mark):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def children(pid: int) -> list[int]:
    """The direct children of `pid` (Linux's /proc); none once it has ended (the charts' process ends as soon
    as it has sent them, maybe between being listed and being read here)."""
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def descendants(pid: int) -> set[int]:
    seen: set[int] = set()
    waiting = [pid]
    while waiting:
        for child in children(waiting.pop()):
            if child not in seen:
                seen.add(child)
                waiting.append(child)
    return seen


def alive(pid: int) -> bool:
    """Running, or stopped: a zombie (dead, waiting to be reaped by whoever adopted it) counts as gone."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def open_in(pid: int) -> set[Path]:
    """What `pid` holds open (its /proc/<pid>/fd links); nothing once it has ended."""
    found: set[Path] = set()
    with contextlib.suppress(OSError):
        for descriptor in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                found.add(Path(os.readlink(descriptor)))
    return found
