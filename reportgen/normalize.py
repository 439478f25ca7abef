"""Stage 2: raw cells → typed Activities, Goals and Rules. A bad cell becomes a Finding, never an exception;
only a sheet that cannot give a review at all (no header row, a required column missing) raises."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from reportgen import vocab
from reportgen.config import Config
from reportgen.errors import InputError
from reportgen.model import (
    METRICS,
    Activity,
    CellRef,
    Channel,
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
from reportgen.values import (
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
    """Where a table's header row is and which column holds each canonical field."""

    index: int  # position in SheetTable.rows
    row: int  # sheet row, 1-based
    columns: dict[str, int]  # field → position in the row list
    chinese: int
    english: int


def normalize_rows(book: WorkbookData, config: Config, as_of: dt.date) -> Normalized:
    """Type every row of the activity sheet and read Goals and Rules; collect every data-quality finding."""
    findings: list[Finding] = list(book.findings)
    table = book.activities
    header = find_header(table, vocab.ACTIVITY_HEADERS, findings, book.path, required=vocab.REQUIRED_FIELDS)
    data_rows = len(table.rows) - header.index - 1
    if data_rows > config.max_rows:
        # the reader refused what is past the limit whatever the header; this is the exact count below it
        raise InputError(book.path, "too_many_rows", sheet=table.name, count=data_rows, limit=config.max_rows)
    lang = "zh" if header.chinese > header.english else "en"
    currency = config.currency or _dominant_currency(table, header) or ("¥" if lang == "zh" else "$")
    orders = {
        field: _slashed_order(table, header, field, config, lang, findings)
        for field in DATE_FIELDS
        if field in header.columns
    }
    activities = _activities(table, header, currency, orders, findings)
    _check_activities(table, header, activities, as_of, findings)
    goals = _goals(book.goals, findings, book.path) if book.goals else []
    rules = _rules(book.rules, findings, book.path) if book.rules else []
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
    )


# --- headers ---


def find_header(
    table: SheetTable,
    headers: HeaderTable,
    findings: list[Finding],
    path: str,
    required: tuple[str, ...] = (),
) -> Header:
    """The row among the first ones that names the most known fields; title rows above it are skipped."""
    lookup: dict[str, tuple[str, bool]] = {}
    for field, (canonical, synonyms) in headers.items():
        for word in synonyms:
            lookup.setdefault(vocab.key(word), (field, False))
        for word in canonical:
            lookup[vocab.key(word)] = (field, True)
    best: tuple[int, int] | None = None  # (matched fields, index)
    for index, row in enumerate(table.rows[:30]):
        matched = {
            lookup[k][0] for value in row if isinstance(value, str) and (k := vocab.key(value)) in lookup
        }
        if len(matched) >= 2 and (best is None or len(matched) > best[0]):
            best = (len(matched), index)
    if best is None:
        expected = ", ".join(headers[field][0][0].title() for field in (required or tuple(headers)[:3]))
        raise InputError(path, "no_header", sheet=table.name, expected=expected)
    index = best[1]
    row = table.rows[index]
    sheet_row = table.row_numbers[index]
    candidates: dict[str, list[tuple[bool, int]]] = {}
    chinese = english = 0
    for position, value in enumerate(row):
        if is_blank(value):
            continue
        text = cell_text(value)
        k = vocab.key(text)
        ref = table.ref(sheet_row, table.first_col + position)
        if k in lookup and k not in vocab.NOT_FIELDS:
            field, is_canonical = lookup[k]
            candidates.setdefault(field, []).append((is_canonical, position))
            if any("\u4e00" <= ch <= "\u9fff" for ch in text):
                chinese += 1
            else:
                english += 1
        else:
            findings.append(Finding("unknown_column", Severity.INFO, ref, {"header": text}))
    columns: dict[str, int] = {}
    for field, options in candidates.items():
        # canonical headers first, then sheet order: 渠道 beats 类型, Cost beats Spend
        ordered = sorted(options, key=lambda option: (not option[0], option[1]))
        columns[field] = ordered[0][1]
        for _, loser in ordered[1:]:
            ref = table.ref(sheet_row, table.first_col + loser)
            winner = column_letter(table.first_col + ordered[0][1])
            findings.append(
                Finding(
                    "duplicate_header",
                    Severity.WARNING,
                    ref,
                    {"header": cell_text(row[loser]), "field": field, "winner": f"{winner}{sheet_row}"},
                )
            )
    missing = [field for field in required if field not in columns]
    if missing:
        raise InputError(
            path,
            "missing_column",
            sheet=table.name,
            cell=f"{column_letter(table.first_col)}{sheet_row}",
            columns=", ".join(
                headers[field][0][0].title() + " / " + headers[field][0][1] for field in missing
            ),
        )
    return Header(index, sheet_row, columns, chinese, english)


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


def _data_rows(table: SheetTable, header: Header) -> Iterator[tuple[int, list[Any]]]:
    for index in range(header.index + 1, len(table.rows)):
        yield table.row_numbers[index], table.rows[index]


def _dominant_currency(table: SheetTable, header: Header) -> str | None:
    """The currency most cost cells name (SPEC: the symbol most cells use)."""
    position = header.columns.get("cost")
    if position is None:
        return None
    counts: Counter[str] = Counter()
    for _, row in _data_rows(table, header):
        if position < len(row) and isinstance(row[position], str) and (named := currency_of(row[position])):
            counts[named] += 1
    return counts.most_common(1)[0][0] if counts else None


def _slashed_order(
    table: SheetTable, header: Header, field: str, config: Config, lang: str, findings: list[Finding]
) -> str:
    """Decide day/month order for `10/5/2026` text once per column (SPEC "Dates")."""
    position = header.columns[field]
    first_ambiguous: int | None = None
    for sheet_row, row in _data_rows(table, header):
        value = row[position] if position < len(row) else ""
        if not isinstance(value, str) or (parts := slashed_parts(value)) is None:
            continue
        if parts[0] > 12 >= parts[1]:
            return "DMY"
        if parts[1] > 12 >= parts[0]:
            return "MDY"
        if parts[0] != parts[1] and first_ambiguous is None:
            first_ambiguous = sheet_row
    order = config.date_order if config.date_order in ("MDY", "DMY") else "MDY"
    if first_ambiguous is not None:
        ref = table.ref(first_ambiguous, table.first_col + position)
        findings.append(Finding("assumed_date_order", Severity.INFO, ref, {"order": order}))
    return order


def _activities(
    table: SheetTable,
    header: Header,
    currency: str,
    orders: dict[str, str],
    findings: list[Finding],
) -> list[Activity]:
    """Type the rows column by column (a fast path for the values calamine already typed), then assemble
    Activities; 100,000 rows must cost well under a second (benchmarks/bench_figures.py)."""
    columns = header.columns
    width = max(columns.values()) + 1
    start = header.index + 1
    data = table.rows[start:]
    numbers = table.row_numbers[start:]
    if any(len(row) < width for row in data):
        data = [row if len(row) >= width else row + [""] * (width - len(row)) for row in data]
    name, first_col = table.name, table.first_col

    def column(field: str) -> list[Any] | None:
        position = columns.get(field)
        return None if position is None else [row[position] for row in data]

    def report(code: str, index: int, field: str, value: Any, severity: Severity = Severity.ERROR) -> None:
        ref = CellRef.at(name, numbers[index], first_col + columns[field])
        findings.append(Finding(code, severity, ref, {"value": cell_text(value)}))

    usable = _usable_rows(data, numbers, columns, name, first_col, findings)
    dates = column("date")
    assert dates is not None
    date_of: dict[int, dt.date] = {}
    for index in usable:
        value = dates[index]
        if value.__class__ is dt.date:
            date_of[index] = value
            continue
        try:
            date_of[index] = parse_date(value, orders["date"])
        except Unreadable:
            report("bad_date_row_skipped", index, "date", value)
    kept = [index for index in usable if index in date_of]

    texts = {field: _typed_column(column(field), kept, _text) for field in TEXT_FIELDS if field in columns}
    channel_words = vocab.CHANNEL_WORDS
    channel_cache: dict[Any, Channel | None] = {}
    channel_cells = column("channel")
    assert channel_cells is not None
    channels: dict[int, Channel] = {}
    for index in kept:
        value = channel_cells[index]
        found = channel_cache.get(value, _MISSING)
        if found is _MISSING:
            found = channel_cache[value] = channel_words.get(vocab.key(cell_text(value)))
        if found is None:
            report("unknown_channel", index, "channel", value, Severity.WARNING)
            found = Channel.OTHER
        channels[index] = found  # type: ignore[assignment]
    statuses = _statuses(column("status"), kept, report)
    due = _typed_column(
        column("due"), kept, partial(_date_or_none, order=orders.get("due", "MDY")), report, "due"
    )
    done_on = _typed_column(
        column("done_on"), kept, partial(_date_or_none, order=orders.get("done_on", "MDY")), report, "done_on"
    )
    costs = _typed_column(column("cost"), kept, partial(_money_or_none, currency=currency), report, "cost")
    metric_columns = [
        (metric, _typed_column(column(metric), kept, _number_or_none, report, metric))
        for metric in METRICS
        if metric in columns
    ]
    empty: dict[int, Any] = {}
    text = {field: texts.get(field, empty) for field in TEXT_FIELDS}
    month_cache: dict[tuple[int, int], str] = {}
    activities = []
    for index in kept:
        day = date_of[index]
        month = month_cache.get((day.year, day.month))
        if month is None:
            month = month_cache[(day.year, day.month)] = month_key(day)
        metrics = {}
        for metric, values in metric_columns:
            value = values.get(index)
            if value is not None:
                metrics[metric] = value
        activities.append(
            Activity(
                numbers[index],
                day,
                channels[index],
                text["activity"].get(index) or "",
                text["owner"].get(index),
                text["goal"].get(index),
                text["principle"].get(index),
                statuses.get(index, Status.OTHER),
                due.get(index),
                done_on.get(index),
                costs.get(index),
                metrics,
                text["decision"].get(index),
                text["initiative"].get(index),
                text["stage"].get(index),
                text["lesson"].get(index),
                cell_text(channel_cells[index]),
                month,
            )
        )
    return activities


_MISSING: Any = object()


def _usable_rows(
    data: list[list[Any]],
    numbers: list[int],
    columns: dict[str, int],
    name: str,
    first_col: int,
    findings: list[Finding],
) -> list[int]:
    """Indexes of rows that hold the required values; blank runs, totals rows and rows missing a required
    value become findings."""
    required = [(field, columns[field]) for field in vocab.REQUIRED_FIELDS]
    usable: list[int] = []
    blank_run: list[int] = []  # a run of blank rows is one finding, and only when data follows it
    for index, row in enumerate(data):
        present = [
            field
            for field, position in required
            if (value := row[position]).__class__ is not str or (value and not is_blank(value))
        ]
        if len(present) == len(required) and not _is_totals_row(row):
            if blank_run:
                _report_blank_run(blank_run, name, first_col, findings)
                blank_run = []
            usable.append(index)
            continue
        if all(is_blank(value) for value in row):
            blank_run.append(numbers[index])
            continue
        if blank_run:
            _report_blank_run(blank_run, name, first_col, findings)
            blank_run = []
        if _is_totals_row(row):
            findings.append(Finding("totals_row", Severity.INFO, CellRef.at(name, numbers[index], first_col)))
            continue
        for field, position in required:
            if field not in present:
                ref = CellRef.at(name, numbers[index], first_col + position)
                findings.append(Finding("missing_required", Severity.ERROR, ref, {"field": field}))
    return usable


def _report_blank_run(run: list[int], name: str, first_col: int, findings: list[Finding]) -> None:
    ref = CellRef.at(name, run[0], first_col)
    if len(run) == 1:
        findings.append(Finding("blank_row", Severity.INFO, ref))
    else:
        findings.append(Finding("blank_rows", Severity.INFO, ref, {"count": len(run), "last": run[-1]}))


Reporter = Callable[..., None]


def _typed_column(
    cells: list[Any] | None,
    kept: list[int],
    parse: Callable[[Any], Any],
    report: Reporter | None = None,
    field: str = "",
) -> dict[int, Any]:
    """index → typed value for the kept rows with a value; an unreadable cell is reported and left out."""
    typed: dict[int, Any] = {}
    if cells is None:
        return typed
    for index in kept:
        value = cells[index]
        if value == "" or value is None:
            continue
        try:
            result = parse(value)
        except Unreadable as problem:
            if report is not None:
                report(problem.code, index, field, value)
            continue
        if result is not None:
            typed[index] = result
    return typed


def _text(value: Any) -> str | None:
    if value.__class__ is str:
        return value.strip() or None
    return cell_text(value) or None


def _date_or_none(value: Any, order: str) -> dt.date | None:
    if value.__class__ is dt.date:
        return value  # type: ignore[no-any-return]
    if is_blank(value):
        return None
    return parse_date(value, order)


def _money_or_none(value: Any, currency: str) -> Number | None:
    if value.__class__ is float:
        return int(value) if value.is_integer() else decimal_of(value)
    if is_blank(value):
        return None
    return exact(parse_money(value, currency))


def _number_or_none(value: Any) -> Number | None:
    if value.__class__ is float:
        return int(value) if value.is_integer() else decimal_of(value)
    if is_blank(value):
        return None
    return exact(parse_number(value))


def _statuses(cells: list[Any] | None, kept: list[int], report: Reporter) -> dict[int, Status]:
    statuses: dict[int, Status] = {}
    if cells is None:
        return statuses
    cache: dict[Any, Status | None] = {}
    words = vocab.STATUS_WORDS
    for index in kept:
        value = cells[index]
        found = cache.get(value, _MISSING)
        if found is _MISSING:
            found = cache[value] = None if is_blank(value) else words.get(vocab.key(cell_text(value)))
        if found is None:
            code = "missing_status" if is_blank(value) else "unknown_status"
            report(code, index, "status", value, Severity.WARNING)
            continue
        statuses[index] = found  # type: ignore[assignment]
    return statuses


def _is_totals_row(row: list[Any]) -> bool:
    """A row whose first text cell says Total / 合计 / 总计 / Sum."""
    for value in row:
        if isinstance(value, str) and value.strip():
            return vocab.key(value) in vocab.TOTAL_WORDS
        if not is_blank(value):
            return False
    return False


def _check_activities(
    table: SheetTable, header: Header, activities: list[Activity], as_of: dt.date, findings: list[Finding]
) -> None:
    """Warnings about values that were used but look wrong (SPEC "Severity")."""
    columns = header.columns
    name, first_col = table.name, table.first_col

    def ref(row: int, field: str) -> CellRef:
        return CellRef.at(name, row, first_col + columns.get(field, columns["date"]))

    raw_by_row = dict(zip(table.row_numbers, table.rows, strict=True))
    seen: dict[tuple[Any, ...], int] = {}
    months = Counter(activity.month for activity in activities)
    lone_months = {month for month, count in months.items() if count == 1 and _isolated(month, months)}
    done = Status.DONE
    for activity in activities:
        row = activity.row
        day, due, done_on = activity.date, activity.due, activity.done_on
        if due is not None and due < day:
            params = {"due": due.isoformat(), "date": day.isoformat()}
            findings.append(Finding("due_before_start", Severity.WARNING, ref(row, "due"), params))
        if done_on is None:
            if activity.status is done:
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


def _goals(table: SheetTable, findings: list[Finding], path: str) -> list[Goal]:
    header = find_header(table, vocab.GOAL_HEADERS, findings, path, required=("id", "metric"))
    columns = header.columns
    collected: dict[str, dict[str, Any]] = {}
    for sheet_row, raw in _data_rows(table, header):
        row = raw + [""] * (max(columns.values()) + 1 - len(raw))
        if all(is_blank(value) for value in row):
            continue

        def ref(field: str, sheet_row: int = sheet_row) -> CellRef:
            return table.ref(sheet_row, table.first_col + columns[field])

        goal_id = cell_text(row[columns["id"]])
        if not goal_id:
            findings.append(Finding("goal_missing_id", Severity.WARNING, ref("id")))
            continue
        metric_text = cell_text(row[columns["metric"]])
        metric = vocab.GOAL_METRIC_WORDS.get(vocab.key(metric_text))
        if metric is None:
            findings.append(Finding("goal_bad_metric", Severity.ERROR, ref("metric"), {"value": metric_text}))
        month = ""
        if "month" in columns and not is_blank(row[columns["month"]]):
            try:
                month = parse_month(row[columns["month"]])
            except Unreadable:
                findings.append(
                    Finding(
                        "bad_month", Severity.ERROR, ref("month"), {"value": cell_text(row[columns["month"]])}
                    )
                )
                continue
        target = None
        if "target" in columns and not is_blank(row[columns["target"]]):
            try:
                target = parse_number(row[columns["target"]])
            except Unreadable:
                findings.append(
                    Finding(
                        "bad_number",
                        Severity.ERROR,
                        ref("target"),
                        {"value": cell_text(row[columns["target"]])},
                    )
                )
        entry = collected.setdefault(
            goal_id,
            {
                "name": cell_text(row[columns["name"]]) if "name" in columns else goal_id,
                "metric": metric,
                "targets": {},
                "owner": cell_text(row[columns["owner"]]) or None if "owner" in columns else None,
                "row": sheet_row,
            },
        )
        if month in entry["targets"]:
            findings.append(Finding("goal_duplicate", Severity.WARNING, ref("id"), {"goal": goal_id}))
            continue
        entry["targets"][month] = target
    goals = []
    for goal_id, entry in collected.items():
        if all(target is None for target in entry["targets"].values()):
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
                goal_id,
                entry["name"] or goal_id,
                entry["metric"] or "",
                entry["targets"],
                entry["owner"],
                entry["row"],
            )
        )
    return goals


def _rules(table: SheetTable, findings: list[Finding], path: str) -> list[Rule]:
    header = find_header(table, vocab.RULE_HEADERS, findings, path)
    columns = header.columns
    rules: list[Rule] = []
    for sheet_row, raw in _data_rows(table, header):
        row = raw + [""] * (max(columns.values()) + 1 - len(raw))
        if all(is_blank(value) for value in row):
            continue

        def text(field: str, row: list[Any] = row) -> str:
            return cell_text(row[columns[field]]) if field in columns else ""

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
        rules.append(
            Rule(Source("sheet_rule", str(first_cell), len(rules) + 1), channel, keyword, goal, principle)
        )
    return rules
