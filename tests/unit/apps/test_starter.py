"""The starter workbook: real Excel validations whose words the reader reads back as meant, canonical headers,
examples that show every feature and give no finding, and the same bytes for the same inputs."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import range_boundaries
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from reportgen.apps.starter import GOAL_ROWS, VALIDATED_ROWS, starter_config, starter_workbook
from reportgen.base import vocab
from reportgen.base.catalogue import catalogue
from reportgen.base.config import Config, load_config
from reportgen.base.model import METRICS, Channel, Principle, Severity, Status
from reportgen.pipeline.build import check_workbook
from tests.builders import make_workbook

AS_OF = dt.date(2026, 11, 3)
LANG_INDEX = {"en": 0, "zh": 1}


def load(data: bytes) -> Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def save(tmp_path: Path, lang: str, as_of: dt.date = AS_OF) -> Path:
    path = tmp_path / f"starter-{lang}-{as_of}.xlsx"
    path.write_bytes(starter_workbook(lang, as_of))
    return path


def activity_sheet(book: Workbook, lang: str) -> Worksheet:
    names = {vocab.key(name): name for name in book.sheetnames}
    return book[names[vocab.key(vocab.SHEET_NAMES["activities"][LANG_INDEX[lang]])]]


def column_of(sheet: Worksheet, header: str) -> str:
    for cell in sheet[1]:
        if cell.value == header:
            return str(cell.column_letter)
    raise AssertionError(f"no column {header!r} on {sheet.title}")


def list_validation(sheet: Worksheet, column: str) -> Any:
    """The list validation covering column's rows 2..; fails when there is none."""
    for validation in sheet.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            min_col, min_row, max_col, max_row = range_boundaries(cell_range.coord)
            if cell_range.coord.startswith(column) and min_col == max_col and min_row == 2:
                return validation, max_row
    raise AssertionError(f"no validation on {sheet.title}!{column}")


def resolve(book: Workbook, formula: str) -> tuple[Worksheet, str]:
    """A validation's list formula → the sheet and range it names (a defined name, never an inline list)."""
    assert not formula.startswith('"'), "an inline list"
    defined = book.defined_names[formula.lstrip("=")]
    ((sheet_name, cells),) = list(defined.destinations)
    return book[sheet_name], cells.replace("$", "")


def dropdown_words(book: Workbook, sheet: Worksheet, header: str) -> list[str]:
    validation, _ = list_validation(sheet, column_of(sheet, header))
    source, cells = resolve(book, validation.formula1)
    return [row[0].value for row in source[cells] if row[0].value is not None]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_validations_are_real_excel_list_validations_by_range(lang: str) -> None:
    book = load(starter_workbook(lang, AS_OF))
    sheet = activity_sheet(book, lang)
    goals_title = vocab.SHEET_NAMES["goals"][LANG_INDEX[lang]]
    for field in ("channel", "status", "principle", "goal"):
        header = vocab.ACTIVITY_HEADERS[field][0][LANG_INDEX[lang]]
        validation, last_row = list_validation(sheet, column_of(sheet, header))
        assert validation.type == "list" and validation.showErrorMessage
        assert last_row == VALIDATED_ROWS
        source, cells = resolve(book, validation.formula1)
        if field == "goal":  # bound to the Goals sheet's ID column, generously sized
            assert vocab.key(source.title) == vocab.key(goals_title)
            assert cells == f"A2:A{GOAL_ROWS}"
            assert source["A1"].value == vocab.GOAL_HEADERS["id"][0][LANG_INDEX[lang]]
        else:
            assert source.sheet_state == "hidden"
    for field in ("date", "due", "done_on"):
        header = vocab.ACTIVITY_HEADERS[field][0][LANG_INDEX[lang]]
        column = column_of(sheet, header)
        kinds = {v.type for v in sheet.data_validations.dataValidation if column + "2" in str(v.sqref)}
        assert kinds == {"date"}, field


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_dropdown_word_is_read_back_as_the_channel_status_and_principle_it_means(
    tmp_path: Path, lang: str
) -> None:
    book = load(starter_workbook(lang, AS_OF))
    sheet = activity_sheet(book, lang)
    headers = {field: vocab.ACTIVITY_HEADERS[field][0][LANG_INDEX[lang]] for field in vocab.ACTIVITY_HEADERS}
    channels = dropdown_words(book, sheet, headers["channel"])
    statuses = dropdown_words(book, sheet, headers["status"])
    principles = dropdown_words(book, sheet, headers["principle"])
    assert len(channels) == len(Channel) and len(statuses) == len(Status) - 1 and len(principles) == 4
    rows: list[list[Any]] = []
    intended: list[tuple[Channel, Status, Principle]] = []
    for index, channel in enumerate(channels):
        status_index, principle_index = index % len(statuses), index % len(principles)
        rows.append([AS_OF, channel, f"row {index}", statuses[status_index], principles[principle_index]])
        intended.append((list(Channel)[index], list(Status)[status_index], list(Principle)[principle_index]))
    for index, status in enumerate(statuses):  # every status and principle at least once
        rows.append([AS_OF, channels[0], f"status {index}", status, principles[index % 4]])
        intended.append((list(Channel)[0], list(Status)[index], list(Principle)[index % 4]))
    goal_sheet = book[book.sheetnames[1]]
    metrics = dropdown_words(book, goal_sheet, vocab.GOAL_HEADERS["metric"][0][LANG_INDEX[lang]])
    goals = [[f"G{index}", f"goal {index}", metric, 10] for index, metric in enumerate(metrics)]
    path = make_workbook(
        tmp_path,
        rows,
        [headers[field] for field in ("date", "channel", "activity", "status", "principle")],
        goals=goals,
        goal_headers=[
            vocab.GOAL_HEADERS[field][0][LANG_INDEX[lang]] for field in ("id", "name", "metric", "target")
        ],
    )
    checked = check_workbook(path, Config(), AS_OF)
    assert [(row.activity.channel, row.activity.status, row.principle) for row in checked.rows] == intended
    assert [goal.metric for goal in checked.goals] == [*METRICS, "activities"]
    assert [f.code for f in checked.findings if f.severity is not Severity.INFO] == []  # nothing unknown


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_headers_and_sheet_names_are_the_canonical_words(lang: str) -> None:
    book = load(starter_workbook(lang, AS_OF))
    index = LANG_INDEX[lang]
    assert [vocab.key(name) for name in book.sheetnames[:3]] == [
        vocab.key(vocab.SHEET_NAMES[role][index]) for role in ("activities", "goals", "rules")
    ]
    assert book.active is not None and book.active.title == book.sheetnames[0]
    for sheet, table in zip(
        book.worksheets[:3], (vocab.ACTIVITY_HEADERS, vocab.GOAL_HEADERS, vocab.RULE_HEADERS), strict=True
    ):
        assert [cell.value for cell in sheet[1]] == [canonical[index] for canonical, _ in table.values()]
        assert sheet.freeze_panes in ("A2", "D2")
        assert all(cell.font.bold for cell in sheet[1])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_formats_and_widths(lang: str) -> None:
    book = load(starter_workbook(lang, AS_OF))
    sheet = activity_sheet(book, lang)
    index = LANG_INDEX[lang]

    def column(field: str) -> str:
        return column_of(sheet, vocab.ACTIVITY_HEADERS[field][0][index])

    assert sheet[f"{column('date')}2"].number_format == "yyyy-mm-dd"
    assert sheet.column_dimensions[column("due")].number_format == "yyyy-mm-dd"  # rows typed later too
    money = sheet[f"{column('cost')}2"].number_format
    assert "#,##0.00" in money and ("$" if lang == "en" else "¥") in money
    assert sheet.column_dimensions[column("activity")].width >= 40
    for field in vocab.ACTIVITY_HEADERS:
        header = vocab.ACTIVITY_HEADERS[field][0][index]
        assert sheet.column_dimensions[column(field)].width >= len(header), field


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(
    "as_of", [AS_OF, dt.date(2026, 11, 1), dt.date(2027, 2, 28), dt.date(2028, 2, 29), dt.date(2026, 12, 31)]
)
def test_examples_show_every_feature_in_the_as_of_month_and_give_no_finding(
    tmp_path: Path, lang: str, as_of: dt.date
) -> None:
    checked = check_workbook(save(tmp_path, lang, as_of), Config(), as_of)
    assert checked.findings == []
    assert all(finding.severity is not Severity.ERROR for finding in checked.findings)
    prefix = "Example:" if lang == "en" else "示例："
    rows = checked.rows
    assert rows and all(row.activity.activity.startswith(prefix) for row in rows)
    assert {row.activity.month for row in rows} == {f"{as_of:%Y-%m}"}
    assert all(row.activity.done_on is None or row.activity.done_on <= as_of for row in rows)
    kinds = {row.goal_decided_by.kind for row in rows}
    assert {"cell", "sheet_rule"} <= kinds  # a goal by its id, and goals decided by a rule
    assert all(row.goal_id in {"G1", "G2"} for row in rows)
    misses = [row for row in rows if row.activity.status in (Status.DELAYED, Status.CANCELLED)]
    assert misses and all(row.activity.decision for row in misses)
    staged = [row for row in rows if row.activity.initiative and row.activity.stage]
    assert len({row.activity.stage for row in staged}) >= 2 and all(
        row.principle is Principle.LAYERED for row in staged
    )
    assert any(row.activity.lesson for row in rows)
    assert {goal.id for goal in checked.goals} == {"G1", "G2"}
    assert all(goal.target_for(f"{as_of:%Y-%m}") for goal in checked.goals)
    notes = [(note.section, note.month) for note in checked.commentary]
    assert notes == [("conclusion", f"{as_of:%Y-%m}")]  # the lead's note, for the review's conclusion
    assert all(note.text.startswith(prefix) for note in checked.commentary)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_how_to_sheet_explains_every_column_and_principle(lang: str) -> None:
    book = load(starter_workbook(lang, AS_OF))
    words = catalogue(lang)
    help_sheet = book[words.text("starter.sheet.help")]
    labels = {row[0].value for row in help_sheet.iter_rows()}
    texts = " ".join(str(row[1].value) for row in help_sheet.iter_rows() if len(row) > 1 and row[1].value)
    for canonical, _ in vocab.ACTIVITY_HEADERS.values():
        assert canonical[LANG_INDEX[lang]] in labels
    for principle in Principle:
        assert words.text(f"principle.{principle}") in labels
    assert ("Example:" if lang == "en" else "示例：") in texts


def test_same_inputs_give_the_same_bytes() -> None:
    first = starter_workbook("zh", AS_OF)
    assert starter_workbook("zh", AS_OF) == first
    assert starter_workbook("zh", dt.date(2026, 12, 3)) != first
    assert starter_workbook("en", AS_OF) != first
    props = load(first).properties
    assert props.created == props.modified == dt.datetime(2026, 11, 3)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_starter_config_documents_a_schedule_that_loads_once_uncommented(
    lang: str, tmp_path: Path
) -> None:
    text = starter_config(lang)
    assert load_config(_written(tmp_path / "commented.toml", text)).schedule is None  # all of it is comments
    schedule_block = text.split("# [schedule]", 1)[1]
    uncommented = "[schedule]\n" + "\n".join(line.removeprefix("# ") for line in schedule_block.splitlines())
    loaded = load_config(_written(tmp_path / "reportgen.toml", uncommented)).schedule
    assert loaded is not None and loaded.day == 3 and loaded.timezone == "Asia/Shanghai"
    assert loaded.approver == "lead@example.com" and loaded.cutoff_day == 10


def _written(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path
