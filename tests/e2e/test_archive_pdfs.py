"""Every version keeps its own PDF: two versions of a month built to one path, and `reportgen history show
--version 1 --pdf` still gives version 1 byte for byte; a build recorded before the archive kept PDFs says
where its PDF was written instead."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from reportgen.base.catalogue import catalogue
from reportgen.base.errors import ExitCode
from tests.commands import cli
from tests.e2e.test_archive import AS_OF, TEAM, october_activity, sample_copy, set_cell

MONTH = "2026-10"


def build(workbook: Path, pdf: Path) -> None:
    result = cli("build", workbook, "--month", MONTH, "--as-of", AS_OF, "-o", pdf)
    assert result.returncode == 0, result.stderr


def test_two_versions_built_to_one_path_each_come_back_whole(tmp_path: Path) -> None:
    workbook = sample_copy(tmp_path)
    pdf = tmp_path / "reviews" / "northwind-en-2026-10.pdf"
    pdf.parent.mkdir()
    build(workbook, pdf)
    first = pdf.read_bytes()
    set_cell(workbook, october_activity(workbook), "J", 12_345)  # a corrected workbook: version 2
    build(workbook, pdf)  # written over version 1's file
    second = pdf.read_bytes()
    assert first != second
    story = cli("history", "show", TEAM, MONTH).stdout
    assert story.count(catalogue("en").text("history.pdf_kept")) == 2
    out = tmp_path / "v1.pdf"
    result = cli("history", "show", TEAM, MONTH, "--version", "1", "--pdf", out)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == first
    assert f"Wrote version 1 of {MONTH} for {TEAM}" in result.stdout and str(out) in result.stdout
    newest = cli("history", "show", TEAM, MONTH, "--pdf", tmp_path / "newest.pdf", "--lang", "zh")
    assert newest.returncode == 0, newest.stderr
    assert (tmp_path / "newest.pdf").read_bytes() == second and "第 2 版" in newest.stdout
    missing = cli("history", "show", TEAM, MONTH, "--version", "3", "--pdf", tmp_path / "v3.pdf")
    assert missing.returncode == ExitCode.BAD_INPUT and "(its versions: 1, 2)" in missing.stderr
    assert not (tmp_path / "v3.pdf").exists()
    alone = cli("history", "show", TEAM, MONTH, "--version", "1")
    assert alone.returncode == ExitCode.USAGE and "--pdf OUT.pdf" in alone.stderr


def test_a_build_recorded_before_the_archive_kept_pdfs_names_the_file_it_was_written_to(
    tmp_path: Path, own_data_folder: Path
) -> None:
    pdf = tmp_path / "northwind-en-2026-10.pdf"
    build(sample_copy(tmp_path), pdf)
    with sqlite3.connect(own_data_folder / "reportgen" / "archive.sqlite3") as connection:
        connection.execute("UPDATE builds SET pdf = NULL")  # as an archive migrated from 0003 holds it
    story = cli("history", "show", TEAM, MONTH).stdout
    assert catalogue("en").text("history.pdf_not_kept") in story
    out = tmp_path / "v1.pdf"
    result = cli("history", "show", TEAM, MONTH, "--version", "1", "--pdf", out)
    assert result.returncode == ExitCode.BAD_INPUT and not out.exists()
    assert "was recorded before the archive kept the PDFs themselves" in result.stderr
    assert f"It was written to {pdf.resolve()}" in result.stderr
    chinese = cli("history", "show", TEAM, MONTH, "--pdf", out, "--lang", "zh")
    assert chinese.returncode == ExitCode.BAD_INPUT and f"它当时写在 {pdf.resolve()}" in chinese.stderr
