"""One pasted paragraph must not stop a month's review (issue 19, items 8 and 10), end to end through the CLI:

- a workbook whose cells hold Excel's maximum of 32,767 characters (a long Chinese text, one unbroken word, a
  2,000-line cell) builds in seconds (it took over 15 minutes in WeasyPrint's table layout): the page shows a
  bounded part of each cell with a "…" and says where the full text is, and the full text is in the table
  attached to the PDF and in --json;
- a workbook whose name is too long for a file name with the month added gets shortened output names (the
  PDF, the attached table beside it, batch's outputs) and a line on stderr naming them; an explicit -o that is
  too long is the user's error, named.

The timeouts below are hang guards, not timings: performance is measured, never asserted."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pypdf

from reportgen.figures.document import FIGURES_ATTACHMENT
from tests.builders import OCTOBER_ROWS, make_workbook
from tests.e2e.long_cells import CHINESE, LINES, TEXTS, WORD, long_cells_workbook

ROOT = Path(__file__).resolve().parents[2]
HANG_GUARD = 120  # seconds; the build takes a few
LONG_STEM = "最终版 ✓" * 19  # 247 bytes of UTF-8: with ".xlsx" a 252-byte file name, as people save them


def run_cli(folder: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """The CLI of this tree in `folder`, with no user config folder to pick a reportgen.toml from."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["XDG_CONFIG_HOME"] = str(folder / "no-user-config")
    return subprocess.run(
        [sys.executable, "-m", "reportgen", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=folder,
        env=env,
        timeout=HANG_GUARD,
    )


def page_texts(pdf: Path) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(pdf).pages]


def attached_activities(pdf: Path, name: str) -> list[str]:
    """The Activity column of the complete table attached to the PDF, read back with openpyxl."""
    (data,) = pypdf.PdfReader(pdf).attachments[name]
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    column = rows[0].index("Activity")
    return [str(row[column]) for row in rows[1:]]


def test_cells_of_32767_characters_build_in_seconds_cut_on_the_page_and_whole_in_the_data(
    tmp_path: Path,
) -> None:
    book = long_cells_workbook(tmp_path)
    figures = tmp_path / "figures.json"
    result = run_cli(tmp_path, "build", book, "--as-of", "2026-10-31", "--lang", "en", "--json", figures)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    pdf = tmp_path / "long-cells-2026-10.pdf"
    table = tmp_path / "long-cells-2026-10-activities.xlsx"
    assert pdf.is_file()
    assert table.is_file(), (
        "a review with a cut cell carries the complete table, and writes it beside the PDF"
    )

    pages = page_texts(pdf)
    whole = "\n".join(pages)
    assert "…" in whole
    note = "is cut where “…” marks it"
    assert note in whole
    assert table.name in whole.replace("\n", "")
    # the note stands on each part that cut a cell: the cover, sections 1, 2 and 4, conclusion, appendices
    assert sum(note in page for page in pages) >= 6
    # bounded: the 18 long cells hold about 600,000 characters, the pages a small part of them
    assert len(whole) < 60_000, len(whole)
    assert WORD not in whole.replace("\n", "") and CHINESE[:400] not in whole.replace("\n", "")

    activities = attached_activities(pdf, table.name)
    for text in TEXTS:
        assert activities.count(text) == 4, "each long text is kept whole in the attached table"
    assert openpyxl.load_workbook(table, read_only=True).worksheets[0].max_row == len(activities) + 1

    document = json.loads(figures.read_text("utf-8"))
    listed = [activity["activity"] for activity in document["activities"]]
    assert all(listed.count(text) == 4 for text in TEXTS)
    assert {goal["name"] for goal in document["goals"]} >= {CHINESE, WORD}
    lines_goal = next(goal for goal in document["goals"] if goal["id"] == "G3")
    assert lines_goal["name"] == LINES and LINES.count("\n") > 1_500


def test_the_chinese_review_says_where_the_full_text_is_in_chinese(tmp_path: Path) -> None:
    book = long_cells_workbook(tmp_path)
    result = run_cli(
        tmp_path, "build", book, "--as-of", "2026-10-31", "--lang", "zh", "-o", tmp_path / "zh.pdf"
    )
    assert result.returncode == 0, result.stderr
    whole = "\n".join(page_texts(tmp_path / "zh.pdf")).replace("\n", "")
    assert "在“…”处截断" in whole
    assert "long-cells-2026-10-activities.xlsx" in whole
    assert (tmp_path / "long-cells-2026-10-activities.xlsx").is_file()  # named after the workbook, beside -o


def test_a_short_review_attaches_no_table_and_says_nothing_about_cuts(tmp_path: Path) -> None:
    book = make_workbook(tmp_path, OCTOBER_ROWS)
    result = run_cli(tmp_path, "build", book, "--as-of", "2026-11-03")
    assert result.returncode == 0, result.stderr
    pdf = tmp_path / "book-2026-10.pdf"
    assert "marks it" not in "\n".join(page_texts(pdf))
    assert list(pypdf.PdfReader(pdf).attachments) == [FIGURES_ATTACHMENT]
    assert not (tmp_path / "book-2026-10-activities.xlsx").exists()


def long_named(folder: Path) -> Path:
    """The long-cells workbook (so the complete table is attached too) under a 252-byte Chinese name."""
    folder.mkdir(parents=True, exist_ok=True)
    book = long_cells_workbook(folder, f"{LONG_STEM}.xlsx")
    assert len(os.fsencode(book.name)) == 252
    return book


def test_a_long_workbook_name_gets_shortened_output_names_and_says_so(tmp_path: Path) -> None:
    book = long_named(tmp_path)
    result = run_cli(tmp_path, "build", book, "--as-of", "2026-10-31")
    assert result.returncode == 0, result.stderr
    limit = os.pathconf(tmp_path, "PC_NAME_MAX")
    (pdf,) = tmp_path.glob("*.pdf")
    (table,) = tmp_path.glob("*-activities.xlsx")
    stem = pdf.name.removesuffix("-2026-10.pdf")
    assert table.name == f"{stem}-2026-10-activities.xlsx"
    assert len(os.fsencode(table.name)) <= limit and len(os.fsencode(pdf.name)) <= limit
    assert LONG_STEM.startswith(stem.rsplit("~", 1)[0]) and len(stem.rsplit("~", 1)[1]) == 6
    assert str(pdf) in result.stdout
    assert pdf.name in result.stderr and "too long" in result.stderr
    assert table.name in pypdf.PdfReader(pdf).attachments  # the table is attached under the name beside it
    # the same workbook builds to the same names again
    again = run_cli(
        tmp_path, "build", book, "--as-of", "2026-10-31", "--no-pdf", "--json", tmp_path / "f.json"
    )
    assert again.returncode == 0, again.stderr
    assert sorted(path.name for path in tmp_path.glob("*.pdf")) == [pdf.name]


def test_an_explicit_output_name_that_is_too_long_is_the_users_error(tmp_path: Path) -> None:
    book = make_workbook(tmp_path, OCTOBER_ROWS)
    target = tmp_path / f"{LONG_STEM}最终版.pdf"  # 260 bytes
    result = run_cli(tmp_path, "build", book, "--as-of", "2026-11-03", "-o", target)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert str(target) in result.stderr
    assert "260 bytes" in result.stderr and "Choose a shorter name" in result.stderr
    assert not list(tmp_path.glob("*.pdf")) and not list(tmp_path.glob(".*.tmp"))


def test_batch_shortens_two_long_names_from_two_folders_to_two_files(tmp_path: Path) -> None:
    first = long_named(tmp_path / "north")
    second = tmp_path / "south" / first.name
    second.parent.mkdir()
    shutil.copy(first, second)
    out = tmp_path / "out"
    result = run_cli(tmp_path, "batch", first, second, "--out", out, "--as-of", "2026-10-31", "--jobs", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    pdfs = sorted(out.glob("*.pdf"))
    assert len(pdfs) == 2, pdfs  # the second's "-2" stem is shortened to a name of its own
    limit = os.pathconf(out, "PC_NAME_MAX")
    assert all(len(os.fsencode(path.name)) <= limit for path in out.iterdir())
    assert len(list(out.glob("*-activities.xlsx"))) == 2
