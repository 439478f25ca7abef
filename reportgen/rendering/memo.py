"""The render memo: a PDF recalled by the exact inputs of its rendering, for a test suite that lays out the
same page hundreds of times (docs/speed.md, "The render memo").

Off unless `REPORTGEN_RENDER_MEMO` names a folder (base/speed.py). The key is a SHA-256 of everything
WeasyPrint is given: its version, the page's HTML, every asset's URL, type and bytes (fonts, stylesheet, the
charts as drawn), the date stamped into the PDF, the standards asked for and each attachment's name, bytes,
description and relationship. The same inputs give the same bytes anyway (the samples are built byte-identical
from run to run), so a recalled PDF is the PDF the rendering would have made. A page that loads files from a
`--templates` folder is never recalled: those files are not in the key. Entries are written whole (temp file
and rename), so processes sharing the folder never read half of one.

A review's charts are kept there too, under the SHA-256 of matplotlib's version and the
review itself (pickled: the charts are drawn from it alone), so a page recalled need not wait for matplotlib
to draw them again."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from reportgen.base.files import write_atomic

SUFFIX = ".memo"


def digest(parts: Iterable[str | bytes]) -> str:
    """The SHA-256 of `parts` in order, each preceded by its length, so no two lists of inputs hash alike."""
    hashed = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        hashed.update(len(data).to_bytes(8, "big"))
        hashed.update(data)
    return hashed.hexdigest()


def recall(folder: Path, key: str) -> dict[str, tuple[str, bytes]] | None:
    """What was remembered under `key`, by name: (type, bytes); None when nothing was."""
    try:
        stored = (folder / f"{key}{SUFFIX}").read_bytes()
    except FileNotFoundError:
        return None
    header, _, data = stored.partition(b"\n")
    entries: dict[str, tuple[str, bytes]] = {}
    start = 0
    for name, mime, length in json.loads(header):
        entries[name] = (mime, data[start : start + length])
        start += length
    return entries


def remember(folder: Path, key: str, entries: Mapping[str, tuple[str, bytes]]) -> None:
    """Keep `entries` (by name: type, bytes) under `key`: a line of JSON (each one's name, type and length),
    then their bytes, written whole."""
    os.makedirs(folder, exist_ok=True)
    index = [[name, mime, len(data)] for name, (mime, data) in entries.items()]
    header = json.dumps(index, ensure_ascii=True).encode("ascii")
    write_atomic(folder / f"{key}{SUFFIX}", header + b"\n" + b"".join(data for _, data in entries.values()))
