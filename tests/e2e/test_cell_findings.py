"""Cells that read as something other than what the sheet means, as the user meets them in `check --json` and
`build --json`: each is a finding at its cell saying what it holds, and the figures leave out what cannot be
used (docs/workbook.md "Values as people type them" and "Findings")."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from reportgen.base.errors import ExitCode
from tests.builders import make_workbook
from tests.commands import cli

GOALS = [["G1", "Leads", "leads", 10]]


def build_json(workbook: Path, tmp_path: Path, *lang: str) -> dict[str, Any]:
    out = tmp_path / "figures.json"
    result = cli(
        "build",
        workbook,
        "--month",
        "2026-10",
        "--as-of",
        "2026-11-03",
        "--json",
        out,
        "--no-pdf",
        *lang,
        cwd=tmp_path,
    )
    assert result.returncode == ExitCode.OK, result.stderr
    document: dict[str, Any] = json.loads(out.read_text("utf-8"))
    return document


def findings_at(document: dict[str, Any], code: str) -> dict[str, str]:
    """cell → message of the findings with `code`."""
    return {
        finding["cell"]: finding["message"] for finding in document["findings"] if finding["code"] == code
    }


# --- nothing is below zero ---


def negative_book(tmp_path: Path) -> Path:
    october = dt.date(2026, 10, 1)
    rows = [
        [october, "SEO", "Keyword page", "Ann", "G1", "Done", None, october, 100, 5],
        [october, "SEM", "Ads", "Bo", "", "Done", None, october, -300, "-4"],
        [october, "SEM", "More ads", "Bo", "", "Done", None, october, "-$50", 1],
        [october, "SEM", "Refund", "Bo", "", "Done", None, october, "(100)", 1],
    ]
    return make_workbook(tmp_path, rows, goals=GOALS)


def test_a_negative_cost_or_count_is_an_error_at_its_cell_and_left_out(tmp_path: Path) -> None:
    document = build_json(negative_book(tmp_path), tmp_path)
    negative = findings_at(document, "negative_value")
    assert negative == {
        "I3": '"-300" is a negative number, but cost cannot be below zero, so it was not counted. '
        "Correct the cell (write 0 if there was none).",
        "J3": '"-4" is a negative number, but leads cannot be below zero, so it was not counted. '
        "Correct the cell (write 0 if there was none).",
        "I4": '"-$50" is a negative number, but cost cannot be below zero, so it was not counted. '
        "Correct the cell (write 0 if there was none).",
        "I5": '"(100)" is a negative number, but cost cannot be below zero, so it was not counted. '
        "Correct the cell (write 0 if there was none).",
    }
    assert {
        finding["severity"] for finding in document["findings"] if finding["code"] == "negative_value"
    } == {"error"}
    # only the one cost that can be used: the goal's row holds all of it (not -300% or 400% of it)
    assert document["totals"]["cost"] == 100
    assert document["totals"]["leads"] == 7
    assert document["goal_cost_coverage"] == 1


def test_a_negative_cost_is_named_in_chinese_too(tmp_path: Path) -> None:
    book = negative_book(tmp_path)
    result = cli("check", book, "--json", "--as-of", "2026-11-03", "--lang", "zh", cwd=tmp_path)
    assert result.returncode == ExitCode.OK, result.stderr
    document = json.loads(result.stdout)
    assert (
        findings_at(document, "negative_value")["I3"]
        == "“-300”是负数，但成本不能小于 0，未计入。请修正该单元格（没有则填 0）。"
    )
