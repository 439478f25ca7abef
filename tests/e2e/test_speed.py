"""The speed switches change how fast a build runs, never what it writes: the sample built with every switch
off writes the same PDF and JSON, byte for byte, as with every switch on."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.base.speed import SPEED_OFF_VARIABLE
from tests.commands import run

# the switches' bytes compared as rendered, not as recalled from the render memo
pytestmark = pytest.mark.usefixtures("no_render_memo")

ROOT = Path(__file__).resolve().parents[2]


def test_all_switches_off_writes_the_same_bytes_as_all_on(tmp_path: Path) -> None:
    written = {}
    for off in ("", "all"):
        out = tmp_path / (off or "on")
        out.mkdir()
        done = run(
            "-v", "build", ROOT / "samples" / "northwind-en.xlsx",
            "--month", "2026-10", "--as-of", "2026-11-03",
            "-o", out / "review.pdf", "--json", out / "review.json",
            env={SPEED_OFF_VARIABLE: off, "XDG_DATA_HOME": str(out / "data")},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        # the switch was read: the charts are drawn in this process only with everything off
        assert ("background charts" in done.stderr) and (("no fork" in done.stderr) == (off == "all"))
        written[off] = ((out / "review.pdf").read_bytes(), (out / "review.json").read_bytes())
    assert written[""][0] == written["all"][0]
    assert written[""][1] == written["all"][1]
