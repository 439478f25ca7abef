"""The render memo: a PDF recalled by the exact inputs of its rendering, for a test suite that lays out the
same page hundreds of times (docs/speed.md, "The render memo").

Off unless `REPORTGEN_RENDER_MEMO` names a folder (base/speed.py). The key is a SHA-256 of everything
WeasyPrint is given: its version, the page's HTML, every asset's URL, type and bytes (fonts, stylesheet, the
charts as drawn), the date stamped into the PDF, the standards asked for and each attachment's name, bytes,
description and relationship. The same inputs give the same bytes anyway (the samples are built byte-identical
from run to run), so a recalled PDF is the PDF the rendering would have made. A page that loads files from a
`--templates` folder is never recalled: those files are not in the key. Entries are written whole (temp file
and rename), so processes sharing the folder never read half of one.

A review's charts are kept there too (`recall_drawn`), under the SHA-256 of matplotlib's version and the
review itself (pickled: the charts are drawn from it alone), so a page recalled need not wait for matplotlib
to draw them again."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from reportgen.base.files import write_atomic

SUFFIX = ".rendered"
DRAWN_SUFFIX = ".drawn"


def digest(parts: Iterable[str | bytes]) -> str:
    """The SHA-256 of `parts` in order, each preceded by its length, so no two lists of inputs hash alike."""
    hashed = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        hashed.update(len(data).to_bytes(8, "big"))
        hashed.update(data)
    return hashed.hexdigest()


def recall(folder: Path, key: str) -> tuple[bytes, list[str]] | None:
    """The PDF and WeasyPrint's warnings remembered under `key`, or None when there is none."""
    try:
        stored = (folder / f"{key}{SUFFIX}").read_bytes()
    except FileNotFoundError:
        return None
    header, _, data = stored.partition(b"\n")
    warnings: list[str] = json.loads(header)
    return data, warnings


def remember(folder: Path, key: str, data: bytes, warnings: Sequence[str]) -> None:
    """Keep the PDF and its warnings under `key`: one line of JSON, then the PDF's bytes."""
    os.makedirs(folder, exist_ok=True)
    header = json.dumps(list(warnings), ensure_ascii=True).encode("ascii")
    write_atomic(folder / f"{key}{SUFFIX}", header + b"\n" + data)


def recall_drawn(folder: Path, key: str) -> dict[str, tuple[str, bytes]] | None:
    """The drawings (a review's charts) remembered under `key`, by name: (type, bytes); None when none."""
    try:
        stored = (folder / f"{key}{DRAWN_SUFFIX}").read_bytes()
    except FileNotFoundError:
        return None
    header, _, data = stored.partition(b"\n")
    drawn: dict[str, tuple[str, bytes]] = {}
    start = 0
    for name, mime, length in json.loads(header):
        drawn[name] = (mime, data[start : start + length])
        start += length
    return drawn


def remember_drawn(folder: Path, key: str, drawn: Mapping[str, tuple[str, bytes]]) -> None:
    """Keep the drawings under `key`: a line of JSON (each one's name, type and length), then their bytes."""
    os.makedirs(folder, exist_ok=True)
    index = [[name, mime, len(data)] for name, (mime, data) in drawn.items()]
    header = json.dumps(index, ensure_ascii=True).encode("ascii")
    write_atomic(
        folder / f"{key}{DRAWN_SUFFIX}", header + b"\n" + b"".join(data for _, data in drawn.values())
    )
