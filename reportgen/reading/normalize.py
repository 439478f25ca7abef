"""Stage 2: raw cells → typed Activities, Goals and Rules. A bad cell becomes a Finding, never an exception;
only a sheet that cannot give a review at all (no header row, a required column missing) raises."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial
from operator import itemgetter
from typing import Any

from reportgen.base import vocab
from reportgen.base.config import Config
from reportgen.base.errors import InputError
from reportgen.base.model import (
    METRICS,
    Activity,
    CellRef,
    Channel,
    Commentary,
    Finding,
    Goal,
    Normalized,
    Number,
    Rule,
    Severity,
    SheetTable,
    Source,
    Status,
    WorkbookData,
    column_letter,
    month_key,
)
from reportgen.reading.values import (
    Unreadable,
    cell_text,
    currency_of,
    decimal_of,
    exact,
    is_blank,
    parse_date,
    parse_money,
    parse_month,
    parse_number,
    slashed_parts,
)

HeaderTable = dict[str, tuple[tuple[str, ...], tuple[str, ...]]]
DATE_FIELDS = ("date", "due", "done_on")
TEXT_FIELDS = ("activity", "owner", "goal", "principle", "decision", "initiative", "stage", "lesson")
OUTLIER_DAYS = 400  # a date this far from every other month of the sheet is probably a typo'd year


@dataclass(frozen=True, slots=True)
class Header:
    """Where a table's header is and which column holds each canonical field. A header may take two rows
    (a group label such as Results merged over the Leads and Signups cells below it)."""

    index: int  # position in SheetTable.rows of the (first) header row
    data_start: int  # position in SheetTable.rows of the first row below the header
    row: int  # sheet row of the (first) header row, 1-based
    columns: dict[str, int]  # field → position in the row list
    chinese: int
    english: int

    @property
    def lang(self) -> str:
        return "zh" if self.chinese > self.english else "en"


def normalize_rows(book: WorkbookData, config: Config, as_of: dt.date) -> Normalized:
    """Type every row of the activity sheet and read Goals and Rules; collect every data-quality finding."""
    findings: list[Finding] = list(book.findings)
    table = book.activities
    header = find_header(table, vocab.ACTIVITY_HEADERS, findings, book.path, required=vocab.REQUIRED_FIELDS)
    lang = header.lang
    data_rows = len(table.rows) - header.data_start
    if data_rows > config.max_rows:
        # the reader refused what is past the limit whatever the header; this is the exact count below it
        raise InputError(
            book.path, "too_many_rows", sheet=table.name, lang=lang, count=data_rows, limit=config.max_rows
        )
    table = _fill_merged(table, header, findings)
    sheet = _ActivityColumns.of(table, header)
    currency = config.currency or _dominant_currency(sheet) or ("¥" if lang == "zh" else "$")
    orders = {
        field: _slashed_order(sheet, field, config, findings) for field in DATE_FIELDS if field in sheet.cells
    }
    activities = _activities(sheet, currency, orders, findings)
    _check_activities(sheet, activities, as_of, findings)
    goals = _goals(book.goals, findings, book.path, currency) if book.goals is not None else []
    rules = _rules(book.rules, findings, book.path) if book.rules is not None else []
    commentary = _commentary(book.commentary, findings, book.path) if book.commentary is not None else []
    return Normalized(
        activities=activities,
        activity_sheet=table.name,
        columns={field: table.first_col + position for field, position in header.columns.items()},
        goals=goals,
        rules=rules,
        team=config.team or _title(table, header),
        currency=currency,
        lang=lang,
        findings=findings,
        commentary=commentary,
    )


# --- headers ---


def _header_lookup(headers: HeaderTable) -> dict[str, tuple[str, bool]]:
    """Header key → (field, is canonical); Budget/预算 and the like are left out, so they stay unknown."""
    lookup: dict[str, tuple[str, bool]] = {}
    for field, (canonical, synonyms) in headers.items():
        for word in synonyms:
            lookup.setdefault(vocab.key(word), (field, False))
        for word in canonical:
            lookup[vocab.key(word)] = (field, True)
    for word in vocab.NOT_FIELDS:
        lookup.pop(word, None)
    return lookup


def _known_positions(row: list[Any], lookup: dict[str, tuple[str, bool]]) -> set[int]:
    return {
        position
        for position, value in enumerate(row)
        if isinstance(value, str) and vocab.key(value) in lookup
    }


def _completes(
    main: list[Any], other: list[Any], lookup: dict[str, tuple[str, bool]], above: bool = False
) -> bool:
    """True when `other` is the second row of a two-row header with `main`: it names a known field, holds only
    text, and names fields only in columns where `main` is blank or unknown. A row below must be blank under
    main's fields (a data row has values there); a row above may hold group labels over them (Results)."""
    main_known = _known_positions(main, lookup)
    named = False
    for position, value in enumerate(other):
        if is_blank(value):
            continue
        if not isinstance(value, str):
            return False
        known = vocab.key(value) in lookup
        if position in main_known and (known or not above):
            return False
        named = named or known
    return named


def find_header(
    table: SheetTable,
    headers: HeaderTable,
    findings: list[Finding],
    path: str,
    required: tuple[str, ...] = (),
) -> Header:
    """The row among the first ones that names the most known fields; title rows above it are skipped. A row
    just below (or above) that names more fields in its blank or unknown columns is part of the header."""
    lookup = _header_lookup(headers)
    best: tuple[int, int] | None = None  # (matched fields, index)
    for index, row in enumerate(table.rows[:30]):
        matched = {
            lookup[k][0] for value in row if isinstance(value, str) and (k := vocab.key(value)) in lookup
        }
        if len(matched) >= 2 and (best is None or len(matched) > best[0]):
            best = (len(matched), index)
    if best is None:
        fields = required or tuple(headers)[:3]
        expected = ", ".join(" / ".join(headers[field][0][:2]) for field in fields)
        raise InputError(path, "no_header", sheet=table.name, expected=expected)
    index = best[1]
    first = last = index
    if index + 1 < len(table.rows) and _completes(table.rows[index], table.rows[index + 1], lookup):
        last = index + 1
    elif index > 0 and _completes(table.rows[index], table.rows[index - 1], lookup, above=True):
        first = index - 1
    other = first if first != index else last
    # a group label (Results) over or under a field named in the other header row is not an unknown column
    labelled: dict[int, set[int]] = {index: set()}
    if other != index:
        labelled = {
            index: _known_positions(table.rows[other], lookup),
            other: _known_positions(table.rows[index], lookup),
        }
    candidates: dict[str, list[tuple[bool, int, int]]] = {}  # field → (canonical, position, row index)
    chinese = english = 0
    for row_index in dict.fromkeys((index, other)):  # the chosen row first: its cells win
        row = table.rows[row_index]
        sheet_row = table.row_numbers[row_index]
        for position, value in enumerate(row):
            if is_blank(value):
                continue
            text = cell_text(value)
            k = vocab.key(text)
            if k in lookup:
                field, is_canonical = lookup[k]
                candidates.setdefault(field, []).append((is_canonical, position, row_index))
                if any("\u4e00" <= ch <= "\u9fff" for ch in text):
                    chinese += 1
                else:
                    english += 1
            elif position not in labelled[row_index]:
                ref = table.ref(sheet_row, table.first_col + position)
                findings.append(Finding("unknown_column", Severity.INFO, ref, {"header": text}))
    columns: dict[str, int] = {}
    for field, options in candidates.items():
        # canonical headers first, then sheet order: 渠道 beats 类型, Cost beats Spend
        ordered = sorted(options, key=lambda option: (not option[0], option[1]))
        _, winner, winner_row = ordered[0]
        columns[field] = winner
        winner_cell = f"{column_letter(table.first_col + winner)}{table.row_numbers[winner_row]}"
        for _, loser, loser_row in ordered[1:]:
            ref = table.ref(table.row_numbers[loser_row], table.first_col + loser)
            params = {
                "header": cell_text(table.rows[loser_row][loser]),
                "field": field,
                "winner": winner_cell,
            }
            findings.append(Finding("duplicate_header", Severity.WARNING, ref, params))
    sheet_row = table.row_numbers[first]
    lang = "zh" if chinese > english else "en"
    missing = [field for field in required if field not in columns]
    if missing:
        raise InputError(
            path,
            "missing_column",
            sheet=table.name,
            cell=f"{column_letter(table.first_col)}{sheet_row}",
            lang=lang,
            columns=", ".join(" / ".join(headers[field][0][:2]) for field in missing),
        )
    return Header(first, last + 1, sheet_row, columns, chinese, english)


def _optional_header(
    table: SheetTable, headers: HeaderTable, required: tuple[str, ...], findings: list[Finding], path: str
) -> Header | None:
    """The header of an optional sheet (Goals, Rules, Commentary); an empty or headerless one is an error
    finding naming the sheet, and the review builds without it."""
    name = table.name
    if not any(not is_blank(value) for row in table.rows for value in row):
        findings.append(Finding("sheet_empty", Severity.ERROR, None, {"sheet": name}, sheet=name))
        return None
    try:
        return find_header(table, headers, findings, path, required=required)
    except InputError as error:
        params = {"sheet": name, **error.params}
        if error.code == "missing_column":
            ref = CellRef(name, error.cell) if error.cell else None
            findings.append(Finding("sheet_missing_column", Severity.ERROR, ref, params, sheet=name))
        else:
            findings.append(Finding("sheet_no_header", Severity.ERROR, None, params, sheet=name))
        return None


def _title(table: SheetTable, header: Header) -> str | None:
    """The team name: the first title cell above the header, up to a dash ('Northwind — Ops log')."""
    for row in table.rows[: header.index]:
        for value in row:
            if isinstance(value, str) and value.strip():
                text = value.strip()
                for separator in (" — ", " – ", " - ", " | ", "：", ": "):
                    if separator in text:
                        return text.split(separator, 1)[0].strip()
                return text
    return None


# --- the activity rows ---


def _fill_merged(table: SheetTable, header: Header, findings: list[Finding]) -> SheetTable:
    """Merged cells show their first cell's value on every row they span (Owner D3:D5 showing Ann), but the
    reader gives it to the first row only, so the rows below would have no owner, or no channel and be
    skipped. Each range below the header whose first column is a known field gives that value to the rows it
    spans, as the sheet shows it, and an info finding names the range. Columns beyond the first of a range
    stay empty: the value belongs to the column it was typed in."""
    if not table.merged or header.data_start >= len(table.rows):
        return table
    base = table.row_numbers[0]  # the rows are contiguous: rows[i] is sheet row base + i
    first_data = table.row_numbers[header.data_start]
    known = {table.first_col + position for position in header.columns.values()}
    rows = list(table.rows)
    for first_row, first_col, last_row, _ in sorted(table.merged):
        if last_row <= first_row or first_row < first_data or first_col not in known:
            continue
        top, position = first_row - base, first_col - table.first_col
        if top >= len(rows) or position >= len(rows[top]) or is_blank(value := rows[top][position]):
            continue
        for index in range(top + 1, min(last_row - base, len(rows) - 1) + 1):
            row = rows[index] = list(rows[index])
            row.extend([""] * (position + 1 - len(row)))
            row[position] = value
        cells = f"{column_letter(first_col)}{first_row}:{column_letter(first_col)}{last_row}"
        params = {"range": cells, "value": cell_text(value), "count": last_row - first_row + 1}
        findings.append(Finding("merged_cells", Severity.INFO, table.ref(first_row, first_col), params))
    return replace(table, rows=rows)


def _data_rows(table: SheetTable, header: Header) -> Iterator[tuple[int, list[Any]]]:
    for index in range(header.data_start, len(table.rows)):
        yield table.row_numbers[index], table.rows[index]


@dataclass(frozen=True, slots=True)
class _ActivityColumns:
    """The activity sheet below its header, one tuple of raw cells per known field (C-speed transposition), so
    each field is typed by one comprehension with a fast path for the values calamine already typed."""

    name: str
    first_col: int
    positions: dict[str, int]  # field → position in a row list
    numbers: list[int]  # sheet row of each data row
    rows: list[list[Any]]  # the raw data rows, for blank, totals and duplicate checks
    cells: dict[str, tuple[Any, ...]]  # field → that column's raw cells, aligned with `numbers`
    uncalculated: dict[str, set[int]]  # field → data rows whose cell is a formula without a saved result

    @classmethod
    def of(cls, table: SheetTable, header: Header) -> _ActivityColumns:
        start = header.data_start
        rows = table.rows[start:]
        width = max(header.columns.values()) + 1
        if any(len(row) < width for row in rows):
            rows = [row if len(row) >= width else row + [""] * (width - len(row)) for row in rows]
        fields = list(header.columns)
        if rows:
            picked = map(itemgetter(*(header.columns[field] for field in fields)), rows)
            transposed = list(zip(*picked, strict=True)) if len(fields) > 1 else [tuple(v for (v,) in picked)]
        else:
            transposed = [() for _ in fields]
        numbers = table.row_numbers[start:]
        uncalculated: dict[str, set[int]] = {}
        if table.uncalculated:
            by_column = {table.first_col + position: field for field, position in header.columns.items()}
            by_row = {number: index for index, number in enumerate(numbers)}
            for row, column in table.uncalculated:
                if row in by_row and column in by_column:
                    uncalculated.setdefault(by_column[column], set()).add(by_row[row])
        return cls(
            name=table.name,
            first_col=table.first_col,
            positions=dict(header.columns),
            numbers=numbers,
            rows=rows,
            cells=dict(zip(fields, transposed, strict=True)),
            uncalculated=uncalculated,
        )

    def ref(self, index: int, field: str) -> CellRef:
        return CellRef.at(self.name, self.numbers[index], self.first_col + self.positions[field])


def _dominant_currency(sheet: _ActivityColumns) -> str | None:
    """The currency most money cells (cost, revenue) name (docs/workbook.md: the symbol most cells use)."""
    counts = Counter(
        named
        for field in ("cost", *sorted(vocab.MONEY_METRICS))
        for value in sheet.cells.get(field, ())
        if value.__class__ is str and (named := currency_of(value))
    )
    return counts.most_common(1)[0][0] if counts else None


def _slashed_order(sheet: _ActivityColumns, field: str, config: Config, findings: list[Finding]) -> str:
    """Decide day/month order for `10/5/2026` text once per column (docs/workbook.md "Values")."""
    first_ambiguous: int | None = None
    for index, value in enumerate(sheet.cells[field]):
        if value.__class__ is not str or (parts := slashed_parts(value)) is None:
            continue
        if parts[0] > 12 >= parts[1]:
            return "DMY"
        if parts[1] > 12 >= parts[0]:
            return "MDY"
        if parts[0] != parts[1] and first_ambiguous is None:
            first_ambiguous = index
    order = config.date_order if config.date_order in ("MDY", "DMY") else "MDY"
    if first_ambiguous is not None:
        findings.append(
            Finding("assumed_date_order", Severity.INFO, sheet.ref(first_ambiguous, field), {"order": order})
        )
    return order


class _Typer:
    """Types one field's cells; an unreadable cell becomes a finding and a missing value (None)."""

    def __init__(self, sheet: _ActivityColumns, findings: list[Finding]) -> None:
        self.sheet = sheet
        self.findings = findings

    def report(
        self, code: str, index: int, field: str, value: Any, severity: Severity = Severity.ERROR
    ) -> None:
        params = {"value": cell_text(value)}
        if code == "negative_value":
            params["field"] = field  # the sentence says what cannot be below zero: a cost, leads
        self.findings.append(Finding(code, severity, self.sheet.ref(index, field), params))

    def slow(self, parse: Callable[[Any], Any], index: int, field: str, value: Any) -> Any:
        """The general path: blanks are None, anything else is parsed or reported."""
        if is_blank(value):
            return None
        try:
            return parse(value)
        except Unreadable as problem:
            self.report(problem.code, index, field, value)
            return None

    def column(self, field: str, kept: list[int]) -> Sequence[Any]:
        cells = self.sheet.cells.get(field)
        if cells is None:
            return [""] * len(kept)
        return cells if len(kept) == len(cells) else [cells[index] for index in kept]

    def texts(self, field: str, kept: list[int]) -> list[str | None]:
        """Text cells; a blank word ('-', 'n/a', '无', '暂无') is no value, like an empty cell."""
        cells = self.column(field, kept)
        blanks = _blank_values(cells)
        return [
            None
            if value in blanks
            else (value.strip() or None)
            if value.__class__ is str
            else (cell_text(value) or None)
            for value in cells
        ]

    def dates(self, field: str, kept: list[int], order: str) -> list[dt.date | None]:
        cells = self.column(field, kept)
        typed: list[Any] = [value if value.__class__ is dt.date or value == "" else _SLOW for value in cells]
        parse = partial(parse_date, slashed_order=order)
        return self._finish(typed, cells, kept, field, parse)

    def numbers(self, field: str, kept: list[int], parse: Callable[[Any], Any]) -> list[Number | None]:
        """Cost and metric cells. None of them can be below zero (docs/workbook.md "Findings"): a negative one
        (-300, -$50, (100)) would turn shares of cost into 400% and -300%, so it is left out like an amount
        that cannot be read. Negative numbers leave the fast path for the parser, which refuses them."""
        cells = self.column(field, kept)
        typed: list[Any] = [
            (int(value) if value.is_integer() else decimal_of(value))
            if value.__class__ is float and value >= 0
            else (None if value == "" else _SLOW)
            for value in cells
        ]
        return self._finish(typed, cells, kept, field, partial(_not_negative, parse))

    def _finish(
        self, typed: list[Any], cells: Sequence[Any], kept: list[int], field: str, parse: Callable[[Any], Any]
    ) -> list[Any]:
        """Second pass, only over the cells the fast path left: text to parse, blanks, bad values."""
        if _SLOW not in typed and "" not in typed:
            return typed
        for position, value in enumerate(typed):
            if value is _SLOW:
                typed[position] = self.slow(parse, kept[position], field, cells[position])
            elif value == "":
                typed[position] = None
        return typed

    def words(
        self, field: str, kept: list[int], table: dict[str, Any], unknown: str, missing: str | None = None
    ) -> list[Any]:
        """Channel or status cells through a word table; the key of each distinct text is computed once. A
        blank cell is reported as `missing` when given (a blank channel never gets here: its row was
        rejected)."""
        cache: dict[Any, Any] = {}
        typed = []
        for index, value in zip(kept, self.column(field, kept), strict=True):
            found = cache.get(value, _MISSING)
            if found is _MISSING:
                found = cache[value] = None if is_blank(value) else table.get(vocab.key(cell_text(value)))
            if found is None and field in self.sheet.cells:
                if not is_blank(value):
                    self.report(unknown, index, field, value, Severity.WARNING)
                elif missing is not None:
                    self.report(missing, index, field, value, Severity.WARNING)
            typed.append(found)
        return typed


_MISSING: Any = object()
_SLOW: Any = object()  # a cell the fast path leaves to the general parser


def _activities(
    sheet: _ActivityColumns, currency: str, orders: dict[str, str], findings: list[Finding]
) -> list[Activity]:
    """Type the kept rows field by field, then build the Activities in one map() over the columns: 100,000
    rows must cost a fraction of reading them (benchmarks/bench_figures.py)."""
    typer = _Typer(sheet, findings)
    usable = _usable_rows(sheet, findings)
    dates = []
    kept = []
    parse = partial(parse_date, slashed_order=orders["date"])
    for index, value in zip(usable, typer.column("date", usable), strict=True):
        if value.__class__ is not dt.date:
            try:
                value = parse(value)
            except Unreadable:
                typer.report("bad_date_row_skipped", index, "date", value)
                continue
        kept.append(index)
        dates.append(value)
    _report_unsaved(sheet, kept, findings)
    months = _MonthKeys()
    channels = [
        channel or Channel.OTHER
        for channel in typer.words("channel", kept, vocab.CHANNEL_WORDS, "unknown_channel")
    ]
    statuses = [
        status or Status.OTHER
        for status in typer.words("status", kept, vocab.STATUS_WORDS, "unknown_status", "missing_status")
    ]
    metric_fields = [metric for metric in METRICS if metric in sheet.cells]
    money = partial(parse_money_exact, currency=currency)
    metric_columns = [
        typer.numbers(metric, kept, money if metric in vocab.MONEY_METRICS else parse_number_exact)
        for metric in metric_fields
    ]
    metrics = [dict(zip(metric_fields, values, strict=True)) for values in zip(*metric_columns, strict=True)]
    if not metric_fields:
        metrics = [{} for _ in kept]
    return list(
        map(
            Activity,
            [sheet.numbers[index] for index in kept],
            dates,
            channels,
            [text or "" for text in typer.texts("activity", kept)],
            typer.texts("owner", kept),
            typer.texts("goal", kept),
            typer.texts("principle", kept),
            statuses,
            typer.dates("due", kept, orders.get("due", "MDY")),
            typer.dates("done_on", kept, orders.get("done_on", "MDY")),
            typer.numbers("cost", kept, money),
            metrics,
            typer.texts("decision", kept),
            typer.texts("initiative", kept),
            typer.texts("stage", kept),
            typer.texts("lesson", kept),
            [text or "" for text in typer.texts("channel", kept)],
            [months[day] for day in dates],
        )
    )


def _report_unsaved(sheet: _ActivityColumns, kept: list[int], findings: list[Finding]) -> None:
    """A formula cell of a used row whose result the file never saved reads as blank: say so at the cell,
    or its cost or results would silently count as nothing (a required cell's row was already reported)."""
    if not sheet.uncalculated:
        return
    used = set(kept)
    for field, indexes in sheet.uncalculated.items():
        if field in vocab.REQUIRED_FIELDS:
            continue
        for index in sorted(indexes & used):
            findings.append(
                Finding("formula_no_value", Severity.ERROR, sheet.ref(index, field), {"field": field})
            )


class _MonthKeys(dict[dt.date, str]):
    """date → 'YYYY-MM', computed once per distinct date."""

    def __missing__(self, day: dt.date) -> str:
        key = self[day] = month_key(day)
        return key


def _not_negative(parse: Callable[[Any], Number], value: Any) -> Number:
    """A cost or count as `parse` reads it, refused below zero: no cost or result can be negative."""
    number = parse(value)
    if number < 0:
        raise Unreadable("negative_value")
    return number


def parse_number_exact(value: Any) -> Number:
    return exact(parse_number(value))


def parse_money_exact(value: Any, currency: str) -> Number:
    return exact(parse_money(value, currency))


def _blank_values(cells: Sequence[Any]) -> set[Any]:
    """The distinct cells of a column that count as blank ('', spaces, '-', 'n/a'): few, whatever the rows."""
    return {
        value
        for value in set(cells)
        if value.__class__ is str
        and (len(value) <= 4 or value[0].isspace() or value[-1].isspace())
        and is_blank(value)
    }


def _usable_rows(sheet: _ActivityColumns, findings: list[Finding]) -> list[int]:
    """Indexes of rows that hold every required value; blank runs, totals rows and rows missing a required
    value become findings. Only rows with a blank required cell, or text where the date goes, need a closer
    look, so the rest pass through set lookups."""
    dates, channels, activities = (sheet.cells[field] for field in vocab.REQUIRED_FIELDS)
    blank_dates, blank_channels, blank_activities = map(_blank_values, (dates, channels, activities))
    special = sorted(
        {
            index
            for index, (date, channel, activity) in enumerate(zip(dates, channels, activities, strict=True))
            if date in blank_dates or channel in blank_channels or activity in blank_activities
        }
        | {index for index, date in enumerate(dates) if date.__class__ is str}
    )
    first_col = sheet.first_col
    rejected: set[int] = set()
    blank_run: list[int] = []  # a run of blank rows is one finding, and only when data follows it
    unsaved = sheet.uncalculated
    unsaved_rows = set().union(*unsaved.values())  # rows that only look blank: a formula has no result

    def flush() -> None:
        if blank_run:
            _report_blank_run([sheet.numbers[index] for index in blank_run], sheet.name, first_col, findings)
            blank_run.clear()

    for index in special:
        row = sheet.rows[index]
        if blank_run and index != blank_run[-1] + 1:
            flush()  # rows between the run and this one hold data
        if index not in unsaved_rows and all(is_blank(value) for value in row):
            blank_run.append(index)
            rejected.add(index)
            continue
        flush()
        missing = [
            field
            for field, blanks in zip(
                vocab.REQUIRED_FIELDS, (blank_dates, blank_channels, blank_activities), strict=True
            )
            if sheet.cells[field][index] in blanks
        ]
        if _is_totals_row(row):
            findings.append(
                Finding("totals_row", Severity.INFO, CellRef.at(sheet.name, sheet.numbers[index], first_col))
            )
            rejected.add(index)
        elif missing:
            for field in missing:
                ref = sheet.ref(index, field)
                if index in unsaved.get(field, ()):
                    # the cell is not empty: its formula's result was never saved, which the user can fix
                    params = {"field": field}
                    findings.append(Finding("formula_no_value_row_skipped", Severity.ERROR, ref, params))
                else:
                    findings.append(Finding("missing_required", Severity.ERROR, ref, {"field": field}))
            rejected.add(index)
    if blank_run and blank_run[-1] != len(sheet.rows) - 1:
        flush()
    return [index for index in range(len(sheet.rows)) if index not in rejected]


def _report_blank_run(run: list[int], name: str, first_col: int, findings: list[Finding]) -> None:
    ref = CellRef.at(name, run[0], first_col)
    if len(run) == 1:
        findings.append(Finding("blank_row", Severity.INFO, ref))
    else:
        findings.append(Finding("blank_rows", Severity.INFO, ref, {"count": len(run), "last": run[-1]}))


def _is_totals_row(row: list[Any]) -> bool:
    """A row whose first text cell says Total / 合计 / 总计 / Sum."""
    for value in row:
        if isinstance(value, str) and value.strip():
            return vocab.key(value) in vocab.TOTAL_WORDS
        if not is_blank(value):
            return False
    return False


def _check_activities(
    sheet: _ActivityColumns, activities: list[Activity], as_of: dt.date, findings: list[Finding]
) -> None:
    """Warnings about values that were used but look wrong (docs/workbook.md "Findings")."""
    columns = sheet.positions
    name, first_col = sheet.name, sheet.first_col

    def ref(row: int, field: str) -> CellRef:
        return CellRef.at(name, row, first_col + columns.get(field, columns["date"]))

    raw_by_row = dict(zip(sheet.numbers, sheet.rows, strict=True))
    seen: dict[tuple[Any, ...], int] = {}
    months = Counter(activity.month for activity in activities)
    lone_months = {month for month, count in months.items() if count == 1 and _isolated(month, months)}
    done = Status.DONE
    has_done_on = "done_on" in columns
    if not has_done_on and any(activity.status is done for activity in activities):
        # one note for the sheet, not one per done row: nothing in the sheet could say when work was done
        findings.append(Finding("no_done_on_column", Severity.INFO, None, sheet=name))
    for activity in activities:
        row = activity.row
        day, due, done_on = activity.date, activity.due, activity.done_on
        if due is not None and due < day:
            params = {"due": due.isoformat(), "date": day.isoformat()}
            findings.append(Finding("due_before_start", Severity.WARNING, ref(row, "due"), params))
        if done_on is None:
            if activity.status is done and has_done_on:
                findings.append(Finding("done_without_date", Severity.WARNING, ref(row, "done_on")))
        else:
            if done_on > as_of:
                params = {"done_on": done_on.isoformat(), "as_of": as_of.isoformat()}
                findings.append(Finding("done_in_future", Severity.WARNING, ref(row, "done_on"), params))
            if done_on < day:
                params = {"done_on": done_on.isoformat(), "date": day.isoformat()}
                findings.append(Finding("done_before_start", Severity.WARNING, ref(row, "done_on"), params))
        if activity.month in lone_months:
            params = {"date": day.isoformat()}
            findings.append(Finding("date_outlier", Severity.WARNING, ref(row, "date"), params))
        fingerprint = tuple(raw_by_row[row])
        first = seen.setdefault(fingerprint, row)
        if first != row:
            ref_row = CellRef.at(name, row, first_col)
            findings.append(Finding("duplicate_row", Severity.WARNING, ref_row, {"first": first}))


def _isolated(month: str, months: Counter[str]) -> bool:
    """True when a month is far from every other month that has rows: a typo'd year, usually."""
    index = int(month[:4]) * 12 + int(month[5:7])
    others = [int(other[:4]) * 12 + int(other[5:7]) for other in months if other != month]
    return bool(others) and min(abs(index - other) for other in others) * 30 > OUTLIER_DAYS


# --- goals and rules ---


def _commentary(table: SheetTable, findings: list[Finding], path: str) -> list[Commentary]:
    """The lead's paragraphs by section, in sheet order; a row whose section or month cannot be read is a
    warning at that cell and is left out, so an unusable Commentary sheet never stops the review."""
    header = _optional_header(table, vocab.COMMENTARY_HEADERS, ("section", "text"), findings, path)
    if header is None:
        return []
    columns = header.columns
    notes = []
    for sheet_row, raw in _data_rows(table, header):
        row = raw + [""] * (max(columns.values()) + 1 - len(raw))

        def ref(field: str, sheet_row: int = sheet_row) -> CellRef:
            return table.ref(sheet_row, table.first_col + columns[field])

        text = cell_text(row[columns["text"]]).strip()
        section_cell = row[columns["section"]]
        if not text:
            continue  # a blank row, or a section waiting for its words
        words = vocab.key(cell_text(section_cell))
        section = vocab.SECTION_WORDS.get(words)
        if section is None and words in vocab.PRINCIPLE_WORDS:
            section = vocab.PRINCIPLE_WORDS[words].value
        if section is None:
            params = {"value": cell_text(section_cell)}
            findings.append(Finding("commentary_section", Severity.WARNING, ref("section"), params))
            continue
        month = ""
        if "month" in columns and not is_blank(row[columns["month"]]):
            try:
                month = parse_month(row[columns["month"]])
            except ValueError:
                params = {"value": cell_text(row[columns["month"]])}
                findings.append(Finding("bad_month", Severity.WARNING, ref("month"), params))
                continue
        notes.append(Commentary(section, text, month, ref("text")))
    return notes


def _goals(table: SheetTable, findings: list[Finding], path: str, currency: str) -> list[Goal]:
    """Goals by id, each with its targets per month ('' for the row without a month). A target for a money
    metric (revenue) is read like money, in the activity sheet's currency."""
    header = _optional_header(table, vocab.GOAL_HEADERS, ("id", "metric"), findings, path)
    if header is None:
        return []
    columns = header.columns
    collected: dict[str, dict[str, Any]] = {}
    for sheet_row, raw in _data_rows(table, header):
        row = raw + [""] * (max(columns.values()) + 1 - len(raw))
        if all(is_blank(value) for value in row):
            continue

        def ref(field: str, sheet_row: int = sheet_row) -> CellRef:
            return table.ref(sheet_row, table.first_col + columns[field])

        def cell(field: str, row: list[Any] = row) -> Any:
            return row[columns[field]] if field in columns else ""

        if is_blank(cell("id")):
            findings.append(Finding("goal_missing_id", Severity.WARNING, ref("id")))
            continue
        goal_id = cell_text(cell("id"))
        metric_text = cell_text(cell("metric"))
        metric = vocab.GOAL_METRIC_WORDS.get(vocab.key(metric_text))
        if metric is None:
            findings.append(Finding("goal_bad_metric", Severity.ERROR, ref("metric"), {"value": metric_text}))
        entry = collected.get(goal_id)
        if entry is None:
            # the goal's first row names it, even when its month or target cannot be read
            entry = collected[goal_id] = {
                "name": goal_id if is_blank(cell("name")) else cell_text(cell("name")),
                "metric": metric,
                "targets": {},
                "owner": None if is_blank(cell("owner")) else cell_text(cell("owner")),
                "row": sheet_row,
                "unreadable": False,  # a target was written but could not be used: already a finding
            }
        month = ""
        if not is_blank(cell("month")):
            try:
                month = parse_month(cell("month"))
            except Unreadable:
                params = {"value": cell_text(cell("month"))}
                findings.append(Finding("bad_month", Severity.ERROR, ref("month"), params))
                entry["unreadable"] = entry["unreadable"] or not is_blank(cell("target"))
                continue  # only this target row is lost, not the goal
        target = None
        if not is_blank(cell("target")):
            try:
                if entry["metric"] in vocab.MONEY_METRICS:
                    target = parse_money(cell("target"), currency)
                else:
                    target = parse_number(cell("target"))
            except Unreadable as problem:
                params = {"value": cell_text(cell("target"))}
                findings.append(Finding(problem.code, Severity.ERROR, ref("target"), params))
                entry["unreadable"] = True
        if month in entry["targets"]:
            findings.append(Finding("goal_duplicate", Severity.WARNING, ref("id"), {"goal": goal_id}))
            continue
        entry["targets"][month] = target
    goals = []
    for goal_id, entry in collected.items():
        if not entry["unreadable"] and all(target is None for target in entry["targets"].values()):
            findings.append(
                Finding(
                    "goal_without_target",
                    Severity.WARNING,
                    table.ref(entry["row"], table.first_col + columns.get("target", columns["id"])),
                    {"goal": goal_id},
                )
            )
        goals.append(
            Goal(
                goal_id, entry["name"], entry["metric"] or "", entry["targets"], entry["owner"], entry["row"]
            )
        )
    return goals


def _rules(table: SheetTable, findings: list[Finding], path: str) -> list[Rule]:
    header = _optional_header(table, vocab.RULE_HEADERS, (), findings, path)
    if header is None:
        return []
    columns = header.columns
    rules: list[Rule] = []
    first_row = header.row + header.data_start - header.index  # the sheet row of rule 1
    for sheet_row, raw in _data_rows(table, header):
        row = raw + [""] * (max(columns.values()) + 1 - len(raw))
        if all(is_blank(value) for value in row):
            continue

        def text(field: str, row: list[Any] = row) -> str:
            return (
                ""
                if field not in columns or is_blank(row[columns[field]])
                else cell_text(row[columns[field]])
            )

        def ref(field: str, sheet_row: int = sheet_row) -> CellRef:
            return table.ref(sheet_row, table.first_col + columns.get(field, min(columns.values())))

        channel = None
        if text("channel"):
            channel = vocab.CHANNEL_WORDS.get(vocab.key(text("channel")))
            if channel is None:
                findings.append(
                    Finding("rule_bad_channel", Severity.WARNING, ref("channel"), {"value": text("channel")})
                )
                continue
        principle = None
        if text("principle"):
            principle = vocab.PRINCIPLE_WORDS.get(vocab.key(text("principle")))
            if principle is None:
                findings.append(
                    Finding("bad_principle", Severity.WARNING, ref("principle"), {"value": text("principle")})
                )
        keyword = text("keyword") or None
        goal = text("goal") or None
        if channel is None and keyword is None:
            findings.append(Finding("rule_no_match", Severity.WARNING, ref("channel")))
            continue
        if goal is None and principle is None:
            findings.append(Finding("rule_no_effect", Severity.WARNING, ref("goal")))
            continue
        first_cell = table.ref(sheet_row, table.first_col + min(columns.values()))
        # "rule N": the Nth row under the header, as a reader counts them, blank and refused rows included
        number = sheet_row - first_row + 1
        source = Source("sheet_rule", str(first_cell), number, ref("goal") if goal else None)
        rules.append(Rule(source, channel, keyword, goal, principle))
    return rules
