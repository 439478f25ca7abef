"""`reportgen init` as a user runs it: the round trip init → check → build in both languages, the refusals,
and the file opened by LibreOffice itself."""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
from pathlib import Path

import openpyxl
import pypdf
import pytest

from reportgen.apps.starter import example_rows
from reportgen.base import vocab
from reportgen.base.catalogue import catalogue
from reportgen.base.errors import ExitCode
from tests.commands import cli, run

AS_OF = "2026-11-03"
LANG_INDEX = {"en": 0, "zh": 1}


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(path).pages)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_round_trip_init_check_build(tmp_path: Path, lang: str) -> None:
    workbook = tmp_path / f"starter-{lang}.xlsx"
    result = cli("init", workbook, "--lang", lang, "--as-of", AS_OF, cwd=tmp_path)
    assert result.returncode == ExitCode.OK, result.stderr
    config = workbook.with_name("reportgen.toml")
    assert result.stdout.splitlines() == [str(workbook), str(config)] and workbook.is_file()
    assert "[schedule]" in config.read_text("utf-8")  # the starter config documents the monthly cycle

    checked = cli("check", workbook, "--json", "--as-of", AS_OF, cwd=tmp_path)
    assert checked.returncode == ExitCode.OK, checked.stderr
    document = json.loads(checked.stdout)
    assert document["counts"] == {"error": 0, "warning": 0, "info": 0}, document["findings"]
    examples = example_rows(lang, dt.date.fromisoformat(AS_OF))
    assert document["activities"] == len(examples)

    pdf, figures = tmp_path / "review.pdf", tmp_path / "review.json"
    built = cli("build", workbook, "--as-of", AS_OF, "-o", pdf, "--json", figures, cwd=tmp_path)
    assert built.returncode == ExitCode.OK, built.stderr
    assert "Traceback" not in built.stderr
    data = json.loads(figures.read_text("utf-8"))
    assert data["month"] == AS_OF[:7] and data["lang"] == lang
    assert data["goal_coverage"] == 1  # every example is tied to a goal, by its cell or by a rule
    assert [goal["id"] for goal in data["goals"]] == ["G1", "G2"]
    text = pdf_text(pdf)
    words = catalogue(lang)
    for code in ("appendix_activities", "connection", "layered", "conclusion"):
        assert words.text(f"review.section.{code}") in text, code
    squeezed = text.replace("\n", "").replace(" ", "")
    for row in examples:  # the appendix lists every example activity (long ones wrap: compare unspaced)
        assert row["activity"].replace(" ", "") in squeezed, row["activity"]
    lesson = next(row["lesson"] for row in examples if row.get("lesson"))
    assert lesson.replace(" ", "") in squeezed


def test_init_without_as_of_puts_the_examples_in_this_month(tmp_path: Path) -> None:
    before = dt.date.today()
    result = cli("init", "book.xlsx", cwd=tmp_path)
    after = dt.date.today()
    assert result.returncode == ExitCode.OK, result.stderr
    sheet = openpyxl.load_workbook(tmp_path / "book.xlsx")["Activities"]
    months = {cell.value.strftime("%Y-%m") for (cell,) in sheet.iter_rows(min_row=2, max_col=1)}
    assert months <= {f"{before:%Y-%m}", f"{after:%Y-%m}"} and len(months) == 1


def test_existing_file_is_kept_without_force_and_replaced_with_it(tmp_path: Path) -> None:
    target = tmp_path / "log.xlsx"
    target.write_bytes(b"the team's real log")
    refused = cli("init", target, cwd=tmp_path)
    assert refused.returncode == ExitCode.BAD_INPUT
    assert (
        "already exists" in refused.stderr and "--force" in refused.stderr and str(target) in refused.stderr
    )
    assert "Traceback" not in refused.stderr
    assert target.read_bytes() == b"the team's real log"
    refused_zh = cli("init", target, "--lang", "zh", cwd=tmp_path)
    assert refused_zh.returncode == ExitCode.BAD_INPUT and "已存在" in refused_zh.stderr

    forced = cli("init", target, "--force", "--as-of", AS_OF, cwd=tmp_path)
    assert forced.returncode == ExitCode.OK, forced.stderr
    assert openpyxl.load_workbook(target).sheetnames[0] == "Activities"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left


def test_same_version_writes_byte_identical_files(tmp_path: Path) -> None:
    for name in ("a.xlsx", "b.xlsx"):
        assert cli("init", name, "--lang", "zh", "--as-of", AS_OF, cwd=tmp_path).returncode == ExitCode.OK
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def test_unwritable_or_missing_folder_exits_1_with_a_message(tmp_path: Path) -> None:
    missing = run("init", tmp_path / "no-such-folder" / "book.xlsx", cwd=tmp_path)
    assert missing.returncode == ExitCode.BAD_INPUT
    assert "cannot be written" in missing.stderr and "Traceback" not in missing.stderr
    folder = tmp_path / "folder.xlsx"
    folder.mkdir()
    onto_folder = run("init", folder, "--force", cwd=tmp_path)
    assert onto_folder.returncode == ExitCode.BAD_INPUT and "Traceback" not in onto_folder.stderr
    assert folder.is_dir()


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    wrong_suffix = run("init", "book.csv", cwd=tmp_path)
    assert wrong_suffix.returncode == ExitCode.USAGE and ".xlsx" in wrong_suffix.stderr
    bad_date = run("init", "book.xlsx", "--as-of", "next week", cwd=tmp_path)
    assert bad_date.returncode == ExitCode.USAGE
    assert not (tmp_path / "book.csv").exists() and not (tmp_path / "book.xlsx").exists()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_libreoffice_opens_it_and_reads_the_headers_and_examples(tmp_path: Path, lang: str) -> None:
    workbook = tmp_path / "starter.xlsx"
    assert cli("init", workbook, "--lang", lang, "--as-of", AS_OF, cwd=tmp_path).returncode == ExitCode.OK
    out = tmp_path / "csv"
    converted = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",  # private: no clash in parallel
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1",  # comma, double quote, UTF-8, from line 1
            "--outdir",
            str(out),
            str(workbook),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert converted.returncode == 0, converted.stderr
    with (out / "starter.csv").open(encoding="utf-8", newline="") as stream:
        table = list(csv.reader(stream))
    assert table[0] == [canonical[LANG_INDEX[lang]] for canonical, _ in vocab.ACTIVITY_HEADERS.values()]
    examples = example_rows(lang, dt.date.fromisoformat(AS_OF))
    rows = [row for row in table[1:] if any(row)]
    assert [row[2] for row in rows] == [example["activity"] for example in examples]
    assert [row[0] for row in rows] == [example["date"].isoformat() for example in examples]
    assert [row[1] for row in rows] == [example["channel"] for example in examples]
