"""`reportgen batch` as a user runs it: real workbooks in worker processes, a bad one, a duplicate stem."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from reportgen.base.config import load_config
from reportgen.base.errors import ExitCode
from reportgen.figures.review import month_findings
from reportgen.pipeline.build import check_workbook
from tests.builders import OCTOBER_ROWS, make_workbook, team_copy

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
AS_OF = "2026-11-03"
OCTOBER = OCTOBER_ROWS


def run_batch(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reportgen", "batch", *map(str, args), "--as-of", AS_OF, "--month", "2026-10"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "400"},  # one table row per line
    )


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two samples, a copy of one kept by another team, two small workbooks named team.xlsx, a text file."""
    folder = tmp_path_factory.mktemp("inputs")
    bad = folder / "notes.xlsx"
    bad.write_text("date,channel,activity\n2026-10-01,SEO,page\n")
    (folder / "a").mkdir()
    (folder / "b").mkdir()
    return {
        "northwind": SAMPLES / "northwind-en.xlsx",
        "xinghe": SAMPLES / "xinghe-zh.xlsx",
        "acme": team_copy(SAMPLES / "northwind-en.xlsx", folder / "acme" / "acme-growth.xlsx", "Acme Growth"),
        "alpha": make_workbook(folder / "a", OCTOBER, name="team.xlsx", title="Alpha Team — log"),
        "beta": make_workbook(folder / "b", OCTOBER[:2], name="team.xlsx", title="Beta Team — log"),
        "bad": bad,
    }


@pytest.fixture(scope="module")
def two_jobs(
    inputs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    out = tmp_path_factory.mktemp("out-2-jobs")
    order = ["northwind", "alpha", "bad", "xinghe", "beta", "acme"]
    return out, run_batch(*(inputs[name] for name in order), "--out", out, "--jobs", "2", cwd=out)


def table_row(stdout: str, workbook: Path) -> str:
    rows = [line for line in stdout.splitlines() if f" {workbook} " in line]
    assert len(rows) == 1, stdout
    return rows[0]


def test_every_good_workbook_is_built_and_listed_and_the_bad_one_fails_with_exit_1(
    inputs: dict[str, Path], two_jobs: tuple[Path, subprocess.CompletedProcess[str]]
) -> None:
    out, result = two_jobs
    assert result.returncode == ExitCode.BAD_INPUT, result.stderr
    assert "Traceback" not in result.stderr
    assert "1 of 6 workbooks got no review" in result.stderr
    expected = {
        "northwind": ("Northwind Growth Team", "northwind-en-2026-10.pdf"),
        "xinghe": ("星河增长团队", "xinghe-zh-2026-10.pdf"),
        "acme": ("Acme Growth", "acme-growth-2026-10.pdf"),
        "alpha": ("Alpha Team", "team-2026-10.pdf"),
        "beta": ("Beta Team", "team-2-2026-10.pdf"),  # same stem from another folder: not clobbered
    }
    for name, (team, pdf_name) in expected.items():
        pdf = out / pdf_name
        assert pdf.read_bytes().startswith(b"%PDF-"), name
        reader = PdfReader(pdf)
        assert len(reader.pages) >= 2
        assert team.split()[0] in reader.pages[0].extract_text(), (name, team)  # the right team's review
        row = table_row(result.stdout, inputs[name])
        checked = check_workbook(inputs[name], load_config(None, inputs[name]), dt.date.fromisoformat(AS_OF))
        october, _ = month_findings(checked, "2026-10")  # the month's rows' findings and the sheet-wide ones
        cells = [cell.strip() for cell in row.split("│")]
        assert cells[2:7] == [team, "2026-10", "built", str(len(october)), str(pdf)], row
    assert sorted(path.name for path in out.glob("*.pdf")) == sorted(pdf for _, pdf in expected.values())
    bad_row = table_row(result.stdout, inputs["bad"])
    assert "failed" in bad_row and "this is a text or CSV file, not a workbook" in bad_row
    assert (
        f"{inputs['beta']} has the same name as {inputs['alpha']}: its review is named team-2-YYYY-MM.pdf"
        in (result.stderr)
    )


@pytest.mark.usefixtures("no_render_memo")  # laid out in each, not recalled
def test_one_job_and_two_jobs_give_byte_identical_pdfs(
    inputs: dict[str, Path], two_jobs: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    out_two, _ = two_jobs
    result = run_batch(
        inputs["alpha"], inputs["beta"], inputs["xinghe"], "--out", tmp_path, "--jobs", "1", cwd=tmp_path
    )
    assert result.returncode == ExitCode.OK, result.stderr
    names = ["team-2026-10.pdf", "team-2-2026-10.pdf", "xinghe-zh-2026-10.pdf"]
    assert sorted(path.name for path in tmp_path.glob("*.pdf")) == sorted(names)
    for name in names:
        assert (tmp_path / name).read_bytes() == (out_two / name).read_bytes(), name
    single = tmp_path / "single.pdf"  # and the same bytes as `reportgen build` writes
    build = subprocess.run(
        [sys.executable, "-m", "reportgen", "build", str(inputs["xinghe"]), "-o", str(single)]
        + ["--as-of", AS_OF, "--month", "2026-10"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == ExitCode.OK, build.stderr
    assert single.read_bytes() == (tmp_path / "xinghe-zh-2026-10.pdf").read_bytes()


def test_usage_errors_exit_2_without_a_traceback(tmp_path: Path) -> None:
    result = run_batch(SAMPLES / "northwind-en.xlsx", cwd=tmp_path)  # no --out
    assert result.returncode == ExitCode.USAGE and "--out" in result.stderr
    result = run_batch(SAMPLES / "northwind-en.xlsx", "--out", tmp_path, "--jobs", "0", cwd=tmp_path)
    assert result.returncode == ExitCode.USAGE and "Traceback" not in result.stderr
