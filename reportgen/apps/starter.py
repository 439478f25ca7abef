"""`reportgen init`: a starter workbook whose headers, dropdowns and examples are the words the reader
understands, so a team's log starts out as a sheet `check` accepts without findings."""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from reportgen.base import vocab
from reportgen.base.catalogue import Catalogue, catalogue
from reportgen.base.model import METRICS, Channel, Principle, Status, month_key
from reportgen.rendering.spreadsheet import workbook_bytes
from reportgen.rendering.templates import templates_folder

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

LANG_INDEX = {"en": 0, "zh": 1}  # position of a language's canonical header in vocab's tables
VALIDATED_ROWS = 2000  # activity rows 2..2000 carry the dropdowns and checks; new rows below the examples
GOAL_ROWS = 200  # the goal dropdown lists Goals!A2:A200, so a goal added later appears in it
HEADER_FILL = "1F4E79"
HEADER_FONT = "FFFFFF"
FONT = "Calibri"  # openpyxl's default body font, so headers and cells match
MONEY_FORMAT = {"en": '"$"#,##0.00', "zh": '"¥"#,##0.00'}  # the reader's default currency per language
COUNT_FORMAT = "#,##0"
DATE_FORMAT = "yyyy-mm-dd"
DATE_FIELDS = ("date", "due", "done_on")
MONEY_FIELDS = ("cost", *sorted(vocab.MONEY_METRICS))
WRAPPED_FIELDS = ("activity", "decision", "lesson")
WIDTHS = {"activity": 44, "decision": 46, "lesson": 46, "initiative": 24}  # the rest fit their contents
EARLIEST_DATE = dt.date(2000, 1, 1)  # the date checks accept 2000-01-01 .. 2099-12-31
LATEST_DATE = dt.date(2099, 12, 31)


@dataclass(frozen=True, slots=True)
class Dropdown:
    """One list of the Lists sheet: its defined name and each word with the key it stands for."""

    name: str
    header_field: str
    words: tuple[tuple[str, str], ...]  # (word shown, canonical key)


def dropdowns(lang: str) -> tuple[Dropdown, ...]:
    """The channel, status, principle and goal-metric lists, in the review's own words for `lang`."""
    words = catalogue(lang)
    metric_header = {field: _header(vocab.ACTIVITY_HEADERS, field, lang) for field in METRICS}
    return (
        Dropdown("Channels", "channel", tuple((words.text(f"channel.{c}"), c.value) for c in Channel)),
        Dropdown(
            "Statuses",
            "status",
            tuple((words.text(f"review.status.{s}"), s.value) for s in Status if s is not Status.OTHER),
        ),
        Dropdown(
            "Principles", "principle", tuple((words.text(f"principle.{p}"), p.value) for p in Principle)
        ),
        Dropdown(
            "Metrics",
            "metric",
            (
                *((metric_header[field], field) for field in METRICS),
                (words.text("starter.metric_activities"), "activities"),
            ),
        ),
    )


def starter_workbook(lang: str, as_of: dt.date) -> bytes:
    """The starter .xlsx: Activities, Goals, Rules, Commentary, How to use and a hidden Lists sheet; the
    examples are dated in the month of `as_of`. The same version, language and date give the same bytes."""
    import openpyxl
    from openpyxl.workbook.defined_name import DefinedName

    words = catalogue(lang)
    book = openpyxl.Workbook()
    activities = book.active
    assert activities is not None
    activities.title = words.text("starter.sheet.activities")
    goals = book.create_sheet(words.text("starter.sheet.goals"))
    rules = book.create_sheet(words.text("starter.sheet.rules"))
    commentary = book.create_sheet(words.text("starter.sheet.commentary"))
    help_sheet = book.create_sheet(words.text("starter.sheet.help"))
    lists = book.create_sheet(words.text("starter.sheet.lists"))
    lists.sheet_state = "hidden"

    ranges = _write_lists(lists, dropdowns(lang), lang)
    ranges["goal"] = ("GoalIDs", f"{_quoted(goals.title)}!$A$2:$A${GOAL_ROWS}")
    for name, reference in ranges.values():
        book.defined_names[name] = DefinedName(name, attr_text=reference)
    lists_for = {field: name for field, (name, _reference) in ranges.items()}

    _write_activities(activities, words, lang, as_of, lists_for)
    _write_goals(goals, words, lang, lists_for)
    _write_rules(rules, words, lang, lists_for)
    _write_commentary(commentary, words, lang, as_of, lists_for)
    _write_help(help_sheet, words, lang)

    book.active = 0
    return workbook_bytes(book, as_of)


def example_rows(lang: str, as_of: dt.date) -> list[dict[str, Any]]:
    """The example activities, field → value, in the month of `as_of`: done work is done by `as_of` (never
    after it), and every date stays inside the month, so `build` right after `init` reviews this month."""
    words = catalogue(lang)
    start = as_of.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)

    def day(offset: int) -> dt.date:
        return min(start + dt.timedelta(days=offset), end)

    def done_by(offset: int) -> dt.date:
        return min(day(offset), as_of)

    def text(code: str) -> str:
        return words.text(f"starter.{code}")

    def status(value: Status) -> str:
        return words.text(f"review.status.{value}")

    def channel(value: Channel) -> str:
        return words.text(f"channel.{value}")

    owner_a, owner_b = text("owner_a"), text("owner_b")
    initiative = text("example.initiative")
    return [
        {
            "date": start, "channel": channel(Channel.SEO), "activity": text("example.seo"),
            "owner": owner_a, "goal": "G1", "status": status(Status.DONE), "due": day(6),
            "done_on": done_by(4), "cost": Decimal("300"), "impressions": 5200, "clicks": 310,
            "visits": 280, "leads": 12,
        },
        {
            "date": start, "channel": channel(Channel.CONTENT), "activity": text("example.content"),
            "owner": owner_b, "status": status(Status.DONE), "due": day(5), "done_on": done_by(3),
            "cost": Decimal("120"), "impressions": 1800, "visits": 150, "leads": 4,
            "lesson": text("example.lesson"),
        },
        {
            "date": day(9), "channel": channel(Channel.EVENT), "activity": text("example.webinar"),
            "owner": owner_b, "status": status(Status.IN_PROGRESS), "due": day(20), "cost": Decimal("500"),
            "signups": 60,
        },
        {
            "date": day(2), "channel": channel(Channel.SEM), "activity": text("example.sem"),
            "owner": owner_a, "goal": "G2", "status": status(Status.DELAYED), "due": day(7),
            "decision": text("example.sem_decision"),
        },
        {
            "date": start, "channel": channel(Channel.PARTNERSHIP), "activity": text("example.partner_plan"),
            "owner": owner_a, "goal": "G1", "status": status(Status.DONE), "due": day(3),
            "done_on": done_by(2), "initiative": initiative, "stage": words.text("review.layer.plan"),
        },
        {
            "date": day(2), "channel": channel(Channel.PARTNERSHIP),
            "activity": text("example.partner_business"), "owner": owner_a, "goal": "G1",
            "status": status(Status.IN_PROGRESS), "due": day(14), "initiative": initiative,
            "stage": words.text("review.layer.business"),
        },
        {
            "date": day(3), "channel": channel(Channel.COMMUNITY), "activity": text("example.community"),
            "owner": owner_b, "goal": "G2", "principle": words.text(f"principle.{Principle.CONNECTION}"),
            "status": status(Status.CANCELLED), "decision": text("example.community_decision"),
        },
    ]  # fmt: skip


# --- sheets ---


def _header(table: dict[str, tuple[tuple[str, ...], tuple[str, ...]]], field: str, lang: str) -> str:
    """The canonical header of `field` in `lang`: the word the reader ranks first."""
    return table[field][0][LANG_INDEX[lang]]


def _quoted(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def _write_lists(sheet: Worksheet, lists: tuple[Dropdown, ...], lang: str) -> dict[str, tuple[str, str]]:
    """One column per dropdown; returns field → (defined name, its range)."""
    from openpyxl.utils import get_column_letter

    ranges: dict[str, tuple[str, str]] = {}
    for index, dropdown in enumerate(lists, start=1):
        letter = get_column_letter(index)
        headers = vocab.GOAL_HEADERS if dropdown.header_field == "metric" else vocab.ACTIVITY_HEADERS
        sheet.cell(row=1, column=index, value=_header(headers, dropdown.header_field, lang))
        for row, (word, _key) in enumerate(dropdown.words, start=2):
            sheet.cell(row=row, column=index, value=word)
        last = len(dropdown.words) + 1
        ranges[dropdown.header_field] = (
            dropdown.name,
            f"{_quoted(sheet.title)}!${letter}$2:${letter}${last}",
        )
        sheet.column_dimensions[letter].width = 18
    return ranges


def _fit_to_width(sheet: Worksheet, landscape: bool) -> None:
    """Printed or exported to PDF, a sheet is as wide as the page and as long as it needs."""
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1" if landscape else None


def _style_header(sheet: Worksheet, count: int) -> None:
    """Bold white on dark blue, wrapped, frozen: the header stays in view and reads as a header."""
    from openpyxl.styles import Alignment, Font, PatternFill

    for cell in sheet[1][:count]:
        cell.font = Font(name=FONT, bold=True, color=HEADER_FONT)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    sheet.row_dimensions[1].height = 24


def _validations(
    sheet: Worksheet, words: Catalogue, columns: dict[str, str], lists_for: dict[str, str], last_row: int
) -> None:
    """Real Excel data validations: lists by defined name (never inline), dates and plain numbers."""
    from openpyxl.utils.datetime import to_excel
    from openpyxl.worksheet.datavalidation import DataValidation

    def rows(field: str) -> str:
        return f"{columns[field]}2:{columns[field]}{last_row}"

    def add(validation: DataValidation, *fields: str) -> None:
        for field in fields:
            if field in columns:
                validation.add(rows(field))
        if validation.sqref.ranges:
            sheet.add_data_validation(validation)

    text = words.text
    for field in ("channel", "status", "principle", "metric"):
        add(
            DataValidation(
                type="list",
                formula1=lists_for[field],
                allow_blank=True,
                showErrorMessage=True,
                errorStyle="stop",
                errorTitle=text("starter.validation.list_title"),
                error=text("starter.validation.list_error"),
            ),
            field,
        )
    add(
        DataValidation(
            type="list",
            formula1=lists_for["goal"],
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="warning",  # a goal's name is read too, so typing one is allowed after a warning
            errorTitle=text("starter.validation.goal_title"),
            error=text("starter.validation.goal_error"),
        ),
        "goal",
    )
    add(
        DataValidation(
            type="date",
            operator="between",
            formula1=str(int(to_excel(EARLIEST_DATE))),
            formula2=str(int(to_excel(LATEST_DATE))),
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=text("starter.validation.date_title"),
            error=text("starter.validation.date_error"),
        ),
        *DATE_FIELDS,
    )
    add(
        DataValidation(
            type="decimal",
            operator="greaterThanOrEqual",
            formula1="0",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=text("starter.validation.number_title"),
            error=text("starter.validation.number_error"),
        ),
        *MONEY_FIELDS,
        *METRICS,
        "target",
    )


def _formats(field: str, lang: str) -> str | None:
    if field in DATE_FIELDS:
        return DATE_FORMAT
    if field in MONEY_FIELDS:
        return MONEY_FORMAT[lang]
    if field in METRICS or field == "target":
        return COUNT_FORMAT
    return None


def _write_table(
    sheet: Worksheet,
    headers: dict[str, tuple[tuple[str, ...], tuple[str, ...]]],
    fields: tuple[str, ...],
    rows: list[dict[str, Any]],
    words: Catalogue,
    lang: str,
    lists_for: dict[str, str],
    last_row: int,
) -> None:
    """A header row, the rows, column formats and widths, then the validations down to `last_row`."""
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    columns = {field: get_column_letter(index) for index, field in enumerate(fields, start=1)}
    titles = [_header(headers, field, lang) for field in fields]
    sheet.append(titles)
    for row in rows:
        sheet.append([row.get(field) for field in fields])
    wrap = Alignment(vertical="top", wrap_text=True)
    top = Alignment(vertical="top")
    for field, letter in columns.items():
        dimension = sheet.column_dimensions[letter]
        number_format = _formats(field, lang)
        contents = [titles[fields.index(field)], *(row.get(field) for row in rows)]
        dimension.width = WIDTHS.get(field) or _fit(contents, number_format)
        if number_format:
            dimension.number_format = number_format  # new rows typed below the examples get it too
        for (cell,) in sheet.iter_rows(min_row=2, max_row=len(rows) + 1, min_col=fields.index(field) + 1,
                                        max_col=fields.index(field) + 1):  # fmt: skip
            if number_format:
                cell.number_format = number_format
            cell.alignment = wrap if field in WRAPPED_FIELDS else top
    _style_header(sheet, len(fields))
    sheet.freeze_panes = "A2"
    _fit_to_width(sheet, landscape=False)
    _validations(sheet, words, columns, lists_for, last_row)


def _write_activities(
    sheet: Worksheet, words: Catalogue, lang: str, as_of: dt.date, lists_for: dict[str, str]
) -> None:
    fields = tuple(vocab.ACTIVITY_HEADERS)
    rows = example_rows(lang, as_of)
    _write_table(sheet, vocab.ACTIVITY_HEADERS, fields, rows, words, lang, lists_for, VALIDATED_ROWS)
    sheet.freeze_panes = "D2"  # date, channel and activity stay in view when scrolling right
    _fit_to_width(sheet, landscape=True)


def _write_goals(sheet: Worksheet, words: Catalogue, lang: str, lists_for: dict[str, str]) -> None:
    fields = tuple(vocab.GOAL_HEADERS)  # id, name, metric, target, owner, month
    metric = {key: word for word, key in dropdowns(lang)[3].words}
    rows = [
        {"id": "G1", "name": words.text("starter.goal_g1"), "metric": metric["leads"], "target": 40,
         "owner": words.text("starter.owner_a")},
        {"id": "G2", "name": words.text("starter.goal_g2"), "metric": metric["signups"], "target": 150,
         "owner": words.text("starter.owner_b")},
    ]  # fmt: skip
    _write_table(sheet, vocab.GOAL_HEADERS, fields, rows, words, lang, lists_for, GOAL_ROWS)
    sheet.column_dimensions["F"].number_format = "@"  # a month typed as 2026-11 stays text, not a date


def _write_rules(sheet: Worksheet, words: Catalogue, lang: str, lists_for: dict[str, str]) -> None:
    fields = tuple(vocab.RULE_HEADERS)  # channel, keyword, goal, principle
    rows = [
        {"channel": words.text(f"channel.{Channel.CONTENT}"), "goal": "G1",
         "principle": words.text(f"principle.{Principle.DEFERRED_PAYOFF}")},
        {"keyword": words.text("starter.rule_keyword"), "goal": "G2",
         "principle": words.text(f"principle.{Principle.EXECUTION}")},
    ]  # fmt: skip
    _write_table(sheet, vocab.RULE_HEADERS, fields, rows, words, lang, lists_for, GOAL_ROWS)
    sheet.column_dimensions["B"].width = 20


def _write_commentary(
    sheet: Worksheet, words: Catalogue, lang: str, as_of: dt.date, lists_for: dict[str, str]
) -> None:
    """The lead's own paragraphs for the review, one example for the conclusion of the as-of month."""
    from openpyxl.styles import Alignment

    fields = tuple(vocab.COMMENTARY_HEADERS)  # section, text, month
    rows = [
        {"section": words.text("starter.commentary_section"), "month": month_key(as_of),
         "text": words.text("starter.example.commentary")},
    ]  # fmt: skip
    _write_table(sheet, vocab.COMMENTARY_HEADERS, fields, rows, words, lang, lists_for, GOAL_ROWS)
    sheet.column_dimensions["B"].width = 90
    sheet["B2"].alignment = Alignment(vertical="top", wrap_text=True)
    sheet.column_dimensions["C"].number_format = "@"  # a month typed as 2026-11 stays text, not a date


def _write_help(sheet: Worksheet, words: Catalogue, lang: str) -> None:
    """Two columns, label and text, with row heights set for the wrapped text (no merged cells)."""
    from openpyxl.styles import Alignment, Font, PatternFill

    label_width, text_width = 22, 96
    sheet.column_dimensions["A"].width = label_width
    sheet.column_dimensions["B"].width = text_width
    text = words.text
    wrap = Alignment(vertical="top", wrap_text=True)
    heading = Font(name=FONT, bold=True, size=12, color=HEADER_FILL)
    sheet.append([text("starter.help.title")])
    sheet["A1"].font = Font(name=FONT, bold=True, size=16, color=HEADER_FILL)
    sheet.row_dimensions[1].height = 28

    def line(label: str, body: str, *, bold: bool = False) -> None:
        sheet.append([label, body])
        row = sheet.max_row
        for cell in sheet[row]:
            cell.alignment = wrap
        sheet.cell(row=row, column=1).font = Font(name=FONT, bold=True)
        if bold:
            sheet.cell(row=row, column=2).font = Font(name=FONT, bold=True)
        lines = max(_lines(label, label_width), _lines(body, text_width))
        sheet.row_dimensions[row].height = 15 * lines + 3

    def section(title: str) -> None:
        sheet.append([])
        sheet.append([title])
        sheet.cell(row=sheet.max_row, column=1).font = heading
        sheet.row_dimensions[sheet.max_row].height = 20

    line("", text("starter.help.intro"))
    line(text("starter.help.examples_label"), text("starter.help.examples"))
    line(text("starter.help.dropdowns_label"), text("starter.help.dropdowns"))
    section(text("starter.help.columns"))
    line(text("starter.help.column"), text("starter.help.meaning"), bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in sheet[sheet.max_row]:
        cell.fill = fill
    for field in vocab.ACTIVITY_HEADERS:
        line(_header(vocab.ACTIVITY_HEADERS, field, lang), text(f"starter.help.field.{field}"))
    section(text("starter.help.principles"))
    for principle in Principle:
        line(text(f"principle.{principle}"), text(f"starter.help.principle.{principle}"))
    section(text("starter.help.goals_label"))
    line("", text("starter.help.goals"))
    section(text("starter.help.rules_label"))
    line("", text("starter.help.rules"))
    section(text("starter.help.commentary_label"))
    line("", text("starter.help.commentary"))
    section(text("starter.help.commands_label"))
    line("", text("starter.help.commands"))
    sheet.sheet_view.showGridLines = False
    _fit_to_width(sheet, landscape=False)


# --- widths ---


def _display_width(text: str) -> int:
    """Columns a text takes on screen: wide (CJK) characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _lines(text: str, width: int) -> int:
    """Lines a wrapped text takes in a column `width` characters wide: proportional Latin letters are
    narrower than the digit a width counts, CJK characters twice as wide."""
    span = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 0.82 for ch in text)
    return max(1, math.ceil(span / (width * 0.95)))


def _fit(contents: list[Any], number_format: str | None) -> float:
    """A width that shows the header and every example value, within reason."""
    shown = []
    for value in contents:
        if value is None:
            continue
        if isinstance(value, dt.date):
            shown.append(10)
        elif isinstance(value, int | float | Decimal):
            shown.append(
                len(f"{value:,.2f}") + 1 if number_format in MONEY_FORMAT.values() else len(f"{value:,}")
            )
        else:
            shown.append(_display_width(str(value)))
    return min(max([8, *shown]) + 3, 40)


def starter_config(lang: str) -> str:
    """The commented reportgen.toml `init` writes beside the workbook: every setting a team starts with,
    [schedule] included, explained in the starter's language."""
    return (templates_folder() / "starter" / f"reportgen.{lang}.toml").read_text("utf-8")
