"""The command line as a user runs it: `python -m reportgen ...` in a process of its own, output captured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run(
    *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run reportgen with `args`; `env` adds to (or overrides) this process's environment."""
    return subprocess.run(
        [sys.executable, "-m", "reportgen", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )
