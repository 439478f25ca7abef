"""Writing outputs: a temporary file in the target folder, then os.replace, so nothing is half-written."""

from __future__ import annotations

import base64
import contextlib
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
