"""Writing outputs: a temporary file in the target folder, then os.replace, so nothing is half-written."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

from reportgen.base.errors import InputError


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write `data` to `path` via a temp file beside it; a failure leaves the old file (or nothing) behind."""
    target = Path(path)
    try:
        handle, temp_name = tempfile.mkstemp(  # a bounded prefix: a name near the file system's limit fits
            prefix=f".{target.name[:32]}.", suffix=".tmp", dir=target.parent or "."
        )
    except OSError as exc:
        raise InputError(target, "output_unwritable", detail=exc.strerror or str(exc)) from exc
    try:
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
