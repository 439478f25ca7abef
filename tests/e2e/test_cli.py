"""The command line as a user runs it: exit codes, messages, files written or not. Exit codes, stdout and
stderr apart and the logging levels are a real process's (`run`); what a command says and writes is checked
through `main` in this process (`cli`)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from reportgen import __version__
from reportgen.base.errors import ExitCode
from reportgen.rendering.templates import templates_folder
from tests.builders import OCTOBER_ROWS, make_workbook
from tests.commands import cli, run

ROWS = [
    [dt.date(2026, 9, 28), "SEO", "September page", "Ann", "", "Done", None, None, 10, 1],
    *OCTOBER_ROWS[:2],
    [dt.date(2026, 11, 20), "Content", "Next month's article", "Bo", "", "Planned", None, None, None, None],
]


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return make_workbook(tmp_path, ROWS)


def test_exit_ok_check_prints_findings_with_cells(workbook: Path) -> None:
    result = cli("check", workbook, "--as-of", "2026-11-03")
    assert result.returncode == ExitCode.OK
    assert "Activities!I4" in result.stdout and "not an amount" in result.stdout
    assert "Activities: 4; months: 3 (2026-09 to 2026-11)" in result.stdout


def test_check_json_lists_every_finding(workbook: Path) -> None:
    result = cli("check", workbook, "--json", "--as-of", "2026-11-03")
    assert result.returncode == ExitCode.OK
    document = json.loads(result.stdout)
    assert document["activities"] == len(ROWS)
    assert {"sheet": "Activities", "cell": "I4", "severity": "error", "code": "bad_money"}.items() <= next(
        finding for finding in document["findings"] if finding["code"] == "bad_money"
    ).items()
    assert document["counts"]["error"] == 1


def test_build_json_defaults_to_the_latest_month_not_after_as_of(workbook: Path, tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    result = cli("build", workbook, "--as-of", "2026-10-31", "--json", out, "--no-pdf")
    assert result.returncode == ExitCode.OK, result.stderr
    figures = json.loads(out.read_text("utf-8"))
    october = [row for row in ROWS if isinstance(row[0], dt.date) and row[0].month == 10]
    assert figures["month"] == "2026-10"
    assert figures["totals"]["activities"] == len(october)
    assert figures["totals"]["cost"] == 20  # "abc" is unreadable and left out
    assert figures["previous"]["month"] == "2026-09"
    assert figures["previous"]["totals"]["activities"] == 1
    assert figures["schema_version"] == 1 and figures["reportgen_version"] == __version__
    assert [a["cell"] for a in figures["activities"]] == ["A3", "A4"]


def test_exit_bad_input_for_a_month_without_activities(workbook: Path, tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    result = run("build", workbook, "--month", "2026-07", "--json", out)
    assert result.returncode == ExitCode.BAD_INPUT
    assert "no activities in 2026-07" in result.stderr and "2026-09, 2026-10, 2026-11" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_exit_usage_for_bad_options(workbook: Path, tmp_path: Path) -> None:
    nothing = run("build", workbook, "--no-pdf")
    assert nothing.returncode == ExitCode.USAGE and "leaves nothing to write" in nothing.stderr
    result = run("build", workbook, "--month", "October", "--json", tmp_path / "f.json")
    assert result.returncode == ExitCode.USAGE and "--month must look like 2026-10" in result.stderr
    assert run("frobnicate").returncode == ExitCode.USAGE
    assert run("check").returncode == ExitCode.USAGE


def test_version_and_debug(tmp_path: Path) -> None:
    version = run("--version")
    assert version.returncode == 0 and __version__ in version.stdout
    plain = run("check", tmp_path / "missing.xlsx")
    debug = run("--debug", "check", tmp_path / "missing.xlsx")
    assert plain.returncode == debug.returncode == ExitCode.BAD_INPUT
    assert "Traceback" not in plain.stderr and "Traceback" in debug.stderr
    assert "no such file" in plain.stderr


def test_messages_follow_lang(tmp_path: Path) -> None:
    result = cli("check", tmp_path / "missing.xlsx", "--lang", "zh")
    assert result.returncode == ExitCode.BAD_INPUT and "文件不存在" in result.stderr


def test_check_summary_reads_well_for_one_of_each(tmp_path: Path) -> None:
    path = make_workbook(tmp_path, [ROWS[2]])
    result = cli("check", path, "--as-of", "2026-11-03")
    assert result.returncode == ExitCode.OK, result.stderr
    assert "book.xlsx (errors: 1, warnings: 0, notes: 0)" in result.stdout
    assert "Activities: 1; months: 1 (2026-10 to 2026-10)" in result.stdout


def test_revenue_is_money_in_the_json(tmp_path: Path) -> None:
    headers = ["Date", "Channel", "Activity", "Goal", "Cost", "Revenue"]
    rows = [
        [dt.date(2026, 10, 1), "SEO", "Page", "G1", "$10", "$1,000.125"],
        [dt.date(2026, 10, 2), "SEM", "Ads", "G1", 5, 0.1 + 0.2],
        [dt.date(2026, 10, 3), "SEM", "Ads in euros", "G1", 5, "€50"],
    ]
    goals = [["G1", "Sales", "revenue", "$2,000.505"]]
    path = make_workbook(tmp_path, rows, headers, goals=goals)
    out = tmp_path / "figures.json"
    result = cli("build", path, "--as-of", "2026-11-03", "--json", out, "--no-pdf")
    assert result.returncode == ExitCode.OK, result.stderr
    figures = json.loads(out.read_text("utf-8"))
    assert figures["currency"] == "$"
    assert figures["totals"]["revenue"] == 1000.43  # 1000.125 + 0.3, rounded like money; €50 left out
    assert figures["channels"]["sem"]["revenue"] == 0.3
    (goal,) = figures["goals"]
    assert (goal["target"], goal["actual"]) == (2000.51, 1000.43)
    codes = {(finding["cell"], finding["code"]) for finding in figures["findings"]}
    assert ("F4", "wrong_currency") in codes


STAGE_LINES = {  # stage → its INFO line on stderr with -v, with the time it took
    stage: re.compile(rf"^INFO reportgen\.[\w.]+: {stage}: \d+\.\d\d s\b", re.MULTILINE)
    for stage in ("read", "check", "figures", "background charts", "pdf", "built")
}


@pytest.mark.usefixtures("no_render_memo")  # each stage done, not recalled
def test_verbose_logs_each_stage_with_its_time_on_stderr_and_leaves_stdout_alone(
    workbook: Path, tmp_path: Path
) -> None:
    pdf = tmp_path / "review.pdf"
    plain = run("build", workbook, "--as-of", "2026-10-31", "-o", pdf)
    verbose = run("-v", "build", workbook, "--as-of", "2026-10-31", "-o", pdf)
    assert plain.returncode == verbose.returncode == ExitCode.OK, plain.stderr + verbose.stderr
    assert plain.stdout == verbose.stdout == f"{pdf}\n"  # the command's own output is unchanged
    # by default no log line below a warning (the month's error cells are one, as for any build with them)
    assert not re.search(r"^(INFO|DEBUG) ", plain.stderr, re.M), plain.stderr
    for stage, line in STAGE_LINES.items():
        assert len(line.findall(verbose.stderr)) == 1, (stage, verbose.stderr)
    assert "DEBUG" not in verbose.stderr


def test_two_v_add_debug_lines_and_the_check_table_stays_on_stdout(workbook: Path) -> None:
    plain = run("check", workbook, "--as-of", "2026-11-03")
    debug = run("-vv", "check", workbook, "--as-of", "2026-11-03")
    assert plain.returncode == debug.returncode == ExitCode.OK
    assert plain.stdout == debug.stdout and plain.stderr == ""
    assert re.search(
        r"^DEBUG reportgen\.reading\.workbook: book\.xlsx: xlsx; activities from sheet", debug.stderr, re.M
    )
    assert STAGE_LINES["read"].search(debug.stderr) and STAGE_LINES["check"].search(debug.stderr)
    assert not STAGE_LINES["pdf"].search(debug.stderr)  # check builds no review


def test_quiet_hides_warnings_but_not_errors(workbook: Path, tmp_path: Path) -> None:
    """A stylesheet WeasyPrint warns about: the warning is logged by default, and hidden with --quiet."""
    templates = tmp_path / "brand"
    templates.mkdir()
    (templates / "review.css").write_text(
        (templates_folder() / "review.css").read_text("utf-8") + "\n.cover-title { colr: red; }\n", "utf-8"
    )
    pdf = tmp_path / "review.pdf"
    args = ("build", workbook, "--as-of", "2026-10-31", "-o", pdf, "--templates", templates)
    warned = run(*args)
    quiet = run("--quiet", *args)
    assert warned.returncode == quiet.returncode == ExitCode.OK, warned.stderr + quiet.stderr
    assert re.search(r"^WARNING reportgen\.rendering\.pdf: WeasyPrint: .*colr", warned.stderr, re.M)
    assert quiet.stderr == "" and quiet.stdout == warned.stdout == f"{pdf}\n"
    failed = run("-q", "build", workbook, "--month", "2026-07", "--json", tmp_path / "f.json")
    assert failed.returncode == ExitCode.BAD_INPUT and "no activities in 2026-07" in failed.stderr
    both = run("-v", "--quiet", "check", workbook)
    assert both.returncode == ExitCode.USAGE and "contradict" in both.stderr


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_build_with_errors_in_its_month_says_so_before_anyone_sends_it(tmp_path: Path, lang: str) -> None:
    """`build` printed only the PDF's path although the month's rows had errors, and `send` then mailed the
    review as it was: the build now names the error cells (the ones `check` lists) on stderr."""
    broken = [
        *OCTOBER_ROWS[:2],
        [dt.date(2026, 10, 20), "SEO", "Audit", "Ann", "", "Done", None, None, "abc", 1],
    ]
    workbook = make_workbook(tmp_path, broken)
    pdf = tmp_path / "review.pdf"
    built = run("build", workbook, "--as-of", "2026-10-31", "--lang", lang, "-o", pdf)
    checked = json.loads(run("check", workbook, "--as-of", "2026-10-31", "--json").stdout)
    cells = [f"{each['sheet']}!{each['cell']}" for each in checked["findings"] if each["severity"] == "error"]
    assert built.returncode == ExitCode.OK and built.stdout == f"{pdf}\n"
    assert cells and all(cell in built.stderr for cell in cells), (cells, built.stderr)
    assert ("reportgen send" in built.stderr) and (
        ("error" in built.stderr) if lang == "en" else ("错误" in built.stderr)
    )
