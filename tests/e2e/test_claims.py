"""Every claim of the sample reviews holds against the rows make_samples.py meant, for each month and
language, through `reportgen build --json` (its `main`, in this process)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.claim_books import SAMPLE_MONTHS, SAMPLES, sample_book
from tests.claim_oracle import check_claims
from tests.commands import cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("month", SAMPLE_MONTHS)
def test_sample_claims_hold(tmp_path: Path, lang: str, month: str) -> None:
    out = tmp_path / "figures.json"
    workbook = ROOT / "samples" / SAMPLES[lang][0]
    done = cli(
        "build", str(workbook), "--month", month, "--as-of", "2026-11-03", "--no-pdf", "--json", str(out)
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text("utf-8"))
    assert document["claims"], "the review makes claims"
    assert check_claims(document, sample_book(lang)) == []
