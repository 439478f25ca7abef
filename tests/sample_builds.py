"""The sample reviews as the CLI builds them, built once per test run however many test modules read them.

`sample_build` runs `reportgen build <workbook> --month 2026-10 --as-of 2026-11-03 <options> -o X.pdf --json
X.json` in a process of its own, in an empty working folder and with an empty archive (XDG_DATA_HOME) of its
own, as tests/golden.py's `build` does. The result is kept under a key made of everything that decides its
bytes: the workbook's name and bytes, the bytes of the reportgen.toml beside it, the options. So two modules
share a build only where the same command on the same files would have run twice (test_page_text.py's golden
texts and test_pdf.py's checks ask for the same four reviews: test_pdf.py's workbooks, which make_samples.py
writes at test time, are byte for byte the committed samples; were they ever not, each module would get its
own build).

Under pytest-xdist the workers of a run share the folder (the run's temporary root) and take a file lock per
key: the first to ask builds, a second waits for that build instead of making its own."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

MONTH = "2026-10"
AS_OF = "2026-11-03"


@dataclass(frozen=True)
class SampleBuild:
    pdf: Path  # shared with other tests: read it, do not change it
    figures: dict[str, Any]  # the --json document of the same build
    stderr: str


def shared_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder every worker of this run sees: the run's temporary root (a worker's own is inside it)."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = root / "sample-builds"
    folder.mkdir(exist_ok=True)
    return folder


def _key(workbook: Path, options: tuple[str, ...]) -> str:
    config = workbook.parent / "reportgen.toml"
    parts = [workbook.name.encode(), workbook.read_bytes(), config.read_bytes() if config.is_file() else b"-"]
    parts.append("\0".join(options).encode())
    return hashlib.sha256(b"".join(hashlib.sha256(part).digest() for part in parts)).hexdigest()[:24]


def sample_build(tmp_path_factory: pytest.TempPathFactory, workbook: Path, *options: str) -> SampleBuild:
    folder = shared_folder(tmp_path_factory)
    key = _key(workbook, options)
    entry = folder / key
    pdf, figures = entry / f"{workbook.stem}.pdf", entry / f"{workbook.stem}.json"
    with (folder / f"{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the process ends
        if not (entry / "stderr.txt").is_file():  # written last: a build that did not finish is made again
            shutil.rmtree(entry, ignore_errors=True)
            (entry / "cwd").mkdir(parents=True)
            command = [sys.executable, "-m", "reportgen", "build", str(workbook), "--month", MONTH, "--as-of",
                       AS_OF, *options, "-o", str(pdf), "--json", str(figures)]  # fmt: skip
            result = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=300,
                cwd=entry / "cwd",
                env={**os.environ, "XDG_DATA_HOME": str(entry / "data")},
            )
            assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stderr}"
            (entry / "stderr.txt").write_text(result.stderr, "utf-8")
    return SampleBuild(pdf, json.loads(figures.read_text("utf-8")), (entry / "stderr.txt").read_text("utf-8"))
