"""Writing outputs: a temporary file in the target folder, then os.replace, so nothing is half-written; and
what a writer killed outright left (its temp file) goes with the next write of the same file."""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import logging
import os
import re
import tempfile
import time
from pathlib import Path

from reportgen.base.errors import InputError

logger = logging.getLogger(__name__)

TEMP_SUFFIX = ".tmp"
TEMP_NAME_CHARS = re.compile(r"[a-z0-9_]{8}")  # what tempfile.mkstemp puts between prefix and suffix
ABANDONED_AFTER_SECONDS = 60.0  # an unheld temp file this old is a killed writer's, not one about to rename


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write `data` to `path` via a temp file beside it; a failure leaves the old file (or nothing) behind.
    The temp file is locked while it is written; first, the temp files of this same file that nobody holds
    and that are older than a minute (a writer killed outright by SIGKILL or a power cut left them) are
    removed."""
    target = Path(path)
    prefix = f".{target.name[:32]}."  # bounded: a name near the file system's limit fits
    remove_abandoned(target.parent, prefix)
    try:
        handle, temp_name = tempfile.mkstemp(prefix=prefix, suffix=TEMP_SUFFIX, dir=target.parent)
    except OSError as exc:
        raise InputError(target, "output_unwritable", detail=exc.strerror or str(exc)) from exc
    try:
        with contextlib.suppress(OSError):  # a file system without locks (ENOLCK): the age alone protects it
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when it is closed, just before the rename
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise InputError(target, "output_unwritable", detail=exc.strerror or str(exc)) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    return target


def remove_abandoned(folder: Path, prefix: str) -> list[Path]:
    """Remove the temp files `write_atomic` made in `folder` with `prefix` that nobody holds and that are
    older than ABANDONED_AFTER_SECONDS; those removed. Another user's files, links and any other name are
    left alone."""
    removed: list[Path] = []
    try:
        entries = [entry for entry in os.scandir(folder) if entry.name.startswith(prefix)]
    except OSError:
        return removed
    for entry in entries:
        middle = entry.name[len(prefix) : -len(TEMP_SUFFIX)]
        if not entry.name.endswith(TEMP_SUFFIX) or not TEMP_NAME_CHARS.fullmatch(middle):
            continue
        with contextlib.suppress(OSError):
            status = entry.stat(follow_symlinks=False)
            if not entry.is_file(follow_symlinks=False) or status.st_uid != os.getuid():
                continue
            if time.time() - status.st_mtime >= ABANDONED_AFTER_SECONDS and nobody_holds(Path(entry.path)):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    if removed:
        logger.info("removed %d temp file(s) a killed write left in %s", len(removed), folder)
    return removed


def nobody_holds(path: Path) -> bool:
    """No process holds `path`'s lock (flock): whoever took it has ended or let go."""
    lock = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(lock)
    return True


def data_uri(data: bytes, mime: str) -> str:
    """A data: URI, so a page needs no file beside it (the web page's charts)."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def fitted_stem(stem: str, suffix: str, limit: int) -> str:
    """`stem` when `stem + suffix` fits `limit` bytes (UTF-8), else as much of it as fits, cut between whole
    characters, with `~` and six hex digits of its hash, so two long names cut alike stay apart."""
    if len(os.fsencode(stem + suffix)) <= limit:
        return stem
    digest = "~" + hashlib.sha256(os.fsencode(stem)).hexdigest()[:6]
    room = limit - len(os.fsencode(digest + suffix))
    kept, size = 0, 0
    for char in stem:  # whole characters only: a name is never cut inside a UTF-8 sequence
        size += len(os.fsencode(char))
        if size > room:
            break
        kept += 1
    return stem[:kept].rstrip(" .-") + digest


def name_limit(folder: Path) -> int:
    """The longest file name, in bytes, the folder's file system takes (its nearest existing folder's; 255,
    the common limit, when it cannot say)."""
    for candidate in (folder, *folder.parents):
        try:
            return os.pathconf(candidate, "PC_NAME_MAX")
        except (OSError, ValueError):
            continue
    return 255
