"""The review archive as a user meets it, through the command line: months built in order feed the trend
lines, a corrected workbook re-issues the sent review ("Revised", with what changed), nothing is mailed twice,
`reportgen history` tells all of it, and an archive that fails never costs the PDF."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pypdf
import pytest
import sqlalchemy as sa

from reportgen.base.catalogue import catalogue
from reportgen.base.errors import ExitCode
from tests.commands import cli, run
from tests.mailserver import HOST, Handler, free_port, smtp_server
from tests.servers import PostgresCluster

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2026-11-03"
TEAM = "Northwind Growth Team"
EN = catalogue("en")


def pages(pdf: Path) -> list[str]:
    return [" ".join((page.extract_text() or "").split()) for page in pypdf.PdfReader(pdf).pages]


def words(code: str, **params: object) -> str:
    """A catalogue sentence as the PDF's text extraction gives it (one space between words)."""
    return " ".join(EN.text(code, **params).split())


def sample_copy(folder: Path, keep_months: tuple[str, ...] | None = None) -> Path:
    """The English sample; with `keep_months`, only the activity rows dated in those months are kept (a team
    whose log starts later), title and header rows untouched."""
    target = folder / "northwind.xlsx"
    book = openpyxl.load_workbook(ROOT / "samples" / "northwind-en.xlsx")
    if keep_months is not None:
        sheet = book["Activities"]
        for row in range(sheet.max_row, 3, -1):
            value = sheet.cell(row, 1).value
            dated = isinstance(value, dt.datetime | dt.date)
            typed = isinstance(value, str | int | float) and value != "Total"  # dates typed as text
            if (dated and value.strftime("%Y-%m") not in keep_months) or typed:
                sheet.delete_rows(row)
    book.save(target)
    return target


def set_cell(workbook: Path, activity: str, column: str, value: object) -> str:
    """Change one cell of the row whose activity is `activity`; its reference as the review names it."""
    book = openpyxl.load_workbook(workbook)
    sheet = book["Activities"]
    row = next(row for row in range(4, sheet.max_row + 1) if sheet.cell(row, 3).value == activity)
    sheet[f"{column}{row}"] = value
    book.save(workbook)
    return f"Activities!A{row}"


def october_activity(workbook: Path) -> str:
    """A done SEO activity of October 2026 in the sample: something a corrected workbook would fix."""
    sheet = openpyxl.load_workbook(workbook)["Activities"]
    for row in range(4, sheet.max_row + 1):
        date, channel, activity = (sheet.cell(row, column).value for column in (1, 2, 3))
        if isinstance(date, dt.datetime) and date.strftime("%Y-%m") == "2026-10" and channel == "SEO":
            return str(activity)
    raise AssertionError("the sample has October SEO work")


def test_months_built_in_order_feed_the_trend_lines_and_a_changed_past_month_is_flagged(
    tmp_path: Path,
) -> None:
    full = sample_copy(tmp_path)
    for month in ("2026-08", "2026-09", "2026-10"):
        result = cli("build", full, "--month", month, "--as-of", AS_OF, "-o", tmp_path / f"{month}.pdf")
        assert result.returncode == 0, result.stderr
    later = tmp_path / "later"
    later.mkdir()
    october_only = sample_copy(later, keep_months=("2026-10", "2026-11"))  # the log now starts in October
    result = cli("build", october_only, "--month", "2026-10", "--as-of", AS_OF, "-o", tmp_path / "later.pdf")
    assert result.returncode == 0, result.stderr
    cover = pages(tmp_path / "later.pdf")[0]
    assert words("review.trend_from_archive", months="August 2026, September 2026") in cover
    # the workbook now says September cost something else than the September review did
    september = next(
        str(sheet.cell(row, 3).value)
        for sheet in [openpyxl.load_workbook(full)["Activities"]]
        for row in range(4, sheet.max_row + 1)
        if isinstance(sheet.cell(row, 10).value, int | float)
        and isinstance(sheet.cell(row, 1).value, dt.datetime)
        and sheet.cell(row, 1).value.strftime("%Y-%m") == "2026-09"
    )
    set_cell(full, september, "J", 99_999)
    result = cli("build", full, "--month", "2026-10", "--as-of", AS_OF, "-o", tmp_path / "flagged.pdf")
    assert result.returncode == 0, result.stderr
    flagged = pages(tmp_path / "flagged.pdf")
    section_one = next(page for page in flagged[1:] if "Connection: every piece serves a goal" in page)
    # September's review was built, never sent: the box said "differently from the review sent then"
    said = "differently from that month's archived review (Cost"
    assert f"The workbook now tells September 2026 {said}" in section_one
    listed = json.loads(cli("history", "--json").stdout)
    assert [(v["month"], v["version"]) for v in listed["versions"]] == [
        ("2026-10", 3),
        ("2026-10", 2),
        ("2026-10", 1),
        ("2026-09", 1),
        ("2026-08", 1),
    ]
    chinese = tmp_path / "flagged-zh.pdf"
    result = cli("build", full, "--month", "2026-10", "--as-of", AS_OF, "--lang", "zh", "-o", chinese)
    assert result.returncode == 0, result.stderr
    text = "".join(pages(chinese)).replace(" ", "")
    assert "工作簿中2026年9月的数据与归档中该月的报告不一致（费用）" in text


@pytest.fixture
def mailbox() -> Iterator[tuple[Handler, int]]:
    handler = Handler()
    with smtp_server(handler) as port:
        yield handler, port


def test_a_corrected_workbook_reissues_the_sent_review_and_says_what_changed(
    tmp_path: Path, mailbox: tuple[Handler, int]
) -> None:
    handler, port = mailbox
    config = tmp_path / "reportgen.toml"
    config.write_text(
        f'[email]\nhost = "{HOST}"\nport = {port}\nsecurity = "none"\nsender = "Ops <ops@example.com>"\n'
        'to = ["boss@example.com", "cfo@example.com"]\nattempts = 1\nsend_with_errors = true\n',
        "utf-8",
    )
    workbook = sample_copy(tmp_path)
    first = cli(
        "build",
        workbook,
        "--month",
        "2026-10",
        "--as-of",
        AS_OF,
        "-o",
        tmp_path / "v1.pdf",
        "--email",
        "--force",
    )
    assert first.returncode == 0, first.stderr
    fixed_activity = october_activity(workbook)
    cell = set_cell(workbook, fixed_activity, "J", 12_345)  # the corrected cost
    second = cli(
        "build",
        workbook,
        "--month",
        "2026-10",
        "--as-of",
        AS_OF,
        "-o",
        tmp_path / "v2.pdf",
        "--email",
        "--force",
    )
    assert second.returncode == 0, second.stderr
    assert "This is version 2" in second.stderr
    text = pages(tmp_path / "v2.pdf")
    sent_on = dt.datetime.now().date()
    revised = words("review.revised", date=sent_on.strftime("%b %-d, %Y"))
    assert revised in text[0]
    changes = text[-1]
    assert words("review.changes.title", date=sent_on.strftime("%b %-d, %Y")) in changes
    assert cell in changes and fixed_activity in changes and "Cost" in changes
    subjects = [str(received.message["Subject"]) for received in handler.received]
    assert (
        len(subjects) == 2 and not subjects[0].startswith("Revised") and subjects[1].startswith("Revised: ")
    )
    # the same PDF again: refused, with when; nobody gets a third copy
    again = cli("send", tmp_path / "v2.pdf", "--config", config)
    assert again.returncode == ExitCode.DELIVERY_FAILED and "already reached" in again.stderr
    assert len(handler.received) == 2
    story = cli("history", "show", TEAM, "2026-10").stdout
    assert "Version 1" in story and "Version 2" in story and story.count("sent ") >= 2


def test_history_on_an_empty_archive_says_there_is_nothing_yet() -> None:
    result = cli("history")
    assert result.returncode == 0 and "Nothing in the archive yet" in result.stdout


def built_pdf_kept(result: subprocess.CompletedProcess[str], pdf: Path) -> None:
    assert result.returncode == ExitCode.ARCHIVE_FAILED, result.stderr
    assert "Traceback" not in result.stderr
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF-")
    assert f"kept at {pdf}" in result.stderr


def archive_file(data_home: Path) -> Path:
    return data_home / "reportgen" / "archive.sqlite3"


def test_a_locked_archive_keeps_the_pdf_and_says_so(tmp_path: Path, own_data_folder: Path) -> None:
    assert run("history").returncode == 0  # the archive exists
    holder = sqlite3.connect(archive_file(own_data_folder), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # a backup holding the file
    try:
        result = run(
            "build", sample_copy(tmp_path), "--month", "2026-10", "--as-of", AS_OF, "-o", tmp_path / "r.pdf"
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    built_pdf_kept(result, tmp_path / "r.pdf")
    assert "is locked by another program" in result.stderr


def test_a_read_only_archive_keeps_the_pdf_and_says_so_in_chinese(
    tmp_path: Path, own_data_folder: Path
) -> None:
    assert cli("history").returncode == 0
    path = archive_file(own_data_folder)
    env = {"REPORTGEN_ARCHIVE_URL": f"sqlite:///file:{path}?mode=ro&uri=true"}  # SQLite's own read-only
    result = cli(
        "build", sample_copy(tmp_path), "--month", "2026-10", "--as-of", AS_OF, "-o", tmp_path / "r.pdf",
        "--lang", "zh", env=env,
    )  # fmt: skip
    assert result.returncode == ExitCode.ARCHIVE_FAILED, result.stderr
    assert "是只读的" in result.stderr and (tmp_path / "r.pdf").is_file()


def test_an_archive_from_a_newer_reportgen_keeps_the_pdf(tmp_path: Path, own_data_folder: Path) -> None:
    assert cli("history").returncode == 0
    with sqlite3.connect(archive_file(own_data_folder)) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    result = cli(
        "build", sample_copy(tmp_path), "--month", "2026-10", "--as-of", AS_OF, "-o", tmp_path / "r.pdf"
    )
    built_pdf_kept(result, tmp_path / "r.pdf")
    assert "written by a newer reportgen" in result.stderr
    assert cli("history").returncode == ExitCode.ARCHIVE_FAILED


def test_an_unreachable_postgresql_keeps_the_pdf_and_hides_the_password(tmp_path: Path) -> None:
    env = {"REPORTGEN_ARCHIVE_URL": f"postgresql+psycopg://ops:s3cret@127.0.0.1:{free_port()}/reviews"}
    result = cli(
        "build",
        sample_copy(tmp_path),
        "--month",
        "2026-10",
        "--as-of",
        AS_OF,
        "-o",
        tmp_path / "r.pdf",
        env=env,
    )
    built_pdf_kept(result, tmp_path / "r.pdf")
    assert "could not be reached" in result.stderr and "s3cret" not in result.stderr + result.stdout


def test_a_team_shares_one_postgresql_archive(tmp_path: Path, postgres: PostgresCluster) -> None:
    env = {"REPORTGEN_ARCHIVE_URL": postgres.new_database()}
    workbook = sample_copy(tmp_path)
    for month in ("2026-09", "2026-10"):
        result = cli(
            "build", workbook, "--month", month, "--as-of", AS_OF, "-o", tmp_path / f"{month}.pdf", env=env
        )
        assert result.returncode == 0, result.stderr
    listed = json.loads(cli("history", "--json", "--team", TEAM, env=env).stdout)
    assert [v["month"] for v in listed["versions"]] == ["2026-10", "2026-09"]
    engine = sa.create_engine(env["REPORTGEN_ARCHIVE_URL"])
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM builds")).scalar() == 2
    engine.dispose()
