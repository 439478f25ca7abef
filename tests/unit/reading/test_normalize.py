"""normalize_rows: headers matched in either language, values typed, every problem a finding with its cell."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from reportgen.base.catalogue import catalogue
from reportgen.base.config import Config
from reportgen.base.errors import InputError
from reportgen.base.model import Channel, Normalized, Severity, Status
from reportgen.reading.normalize import normalize_rows
from reportgen.reading.workbook import read_workbook
from reportgen.wording.text import finding_message
from tests.builders import make_workbook

AS_OF = dt.date(2026, 11, 3)


def normalized(path: Path, config: Config | None = None) -> Normalized:
    return normalize_rows(read_workbook(path), config or Config(), AS_OF)


def codes_at(result: Normalized) -> dict[tuple[str, str], Severity]:
    return {
        (finding.code, finding.ref.cell if finding.ref else ""): finding.severity
        for finding in result.findings
    }


def test_chinese_headers_statuses_and_channels(tmp_path: Path) -> None:
    headers = [
        "日期",
        "类型",
        "标题",
        "负责人",
        "状态",
        "截止日期",
        "完成日期",
        "费用",
        "线索",
        "决策依据",
        "复盘",
    ]
    rows: list[list[object]] = [
        [
            dt.date(2026, 10, 5),
            "公众号",
            "十月软文",
            "张三",
            "已完成",
            "2026年10月10日",
            "2026/10/9",
            "¥1,200.50",
            12,
            "",
            "标题要短",
        ],
        ["2026/10/7", "竞价", "百度投放", "李四", "延期", "", "", "800元", "1,234", "预算被砍", ""],
        ["2026-10-08", "微信群", "社群答疑", "王五", "进行中", "", "", "", "", "", ""],
    ]
    result = normalized(make_workbook(tmp_path, rows, headers, sheet="活动", title="星河增长团队 — 台账"))
    assert result.lang == "zh"
    assert result.currency == "¥"
    assert result.team == "星河增长团队"
    first, second, third = result.activities
    assert (first.channel, first.status, first.cost) == (Channel.CONTENT, Status.DONE, Decimal("1200.50"))
    assert first.due == dt.date(2026, 10, 10) and first.done_on == dt.date(2026, 10, 9)
    assert first.lesson == "标题要短"
    assert (second.channel, second.status, second.cost) == (Channel.SEM, Status.DELAYED, Decimal(800))
    assert second.metrics == {"leads": Decimal(1234)} and second.decision == "预算被砍"
    assert (third.channel, third.status, third.cost) == (Channel.COMMUNITY, Status.IN_PROGRESS, None)
    assert first.row == 4  # title row, blank row, header row above it


def test_canonical_header_beats_synonym_and_budget_is_not_cost(tmp_path: Path) -> None:
    headers = ["Date", "Type", "Channel", "Activity", "Spend", "Cost", "Budget"]
    rows = [[dt.date(2026, 10, 1), "Webinar", "SEO", "Keyword page", 50, 70, 1000]]
    result = normalized(make_workbook(tmp_path, rows, headers))
    activity = result.activities[0]
    assert activity.channel is Channel.SEO  # Channel beats Type
    assert activity.cost == Decimal(70)  # Cost beats Spend; Budget is never cost
    found = codes_at(result)
    assert found[("duplicate_header", "B1")] is Severity.WARNING
    assert found[("duplicate_header", "E1")] is Severity.WARNING
    assert found[("unknown_column", "G1")] is Severity.INFO


def test_every_bad_cell_is_a_finding_and_the_rest_still_reads(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        [
            dt.date(2026, 10, 1),
            "SEO",
            "Keyword page",
            "Ann",
            "",
            "Done",
            dt.date(2026, 10, 5),
            None,
            "abc",
            "tbd",
        ],
        ["31/02/2026", "SEO", "Bad date", "Ann", "", "Done", None, None, 10, 1],
        [
            dt.date(2026, 10, 2),
            "Podcast",
            "Episode",
            "Bo",
            "",
            "Finito",
            dt.date(2026, 9, 30),
            None,
            "¥80",
            2,
        ],
        [dt.date(2026, 10, 3), "", "No channel", "Bo", "", "Done", None, dt.date(2026, 12, 1), 5, 1],
        [],
        [dt.date(2026, 10, 4), "Event", "Meetup", "Cy", "", "Cancelled", None, None, 5, 1],
        [dt.date(2026, 10, 4), "Event", "Meetup", "Cy", "", "Cancelled", None, None, 5, 1],
        ["Total", None, None, None, None, None, None, None, 999, None],
    ]
    result = normalized(make_workbook(tmp_path, rows), Config(currency="$"))
    found = codes_at(result)
    assert found[("bad_money", "I2")] is Severity.ERROR
    assert found[("bad_number", "J2")] is Severity.ERROR
    assert found[("done_without_date", "H2")] is Severity.WARNING
    assert found[("bad_date_row_skipped", "A3")] is Severity.ERROR
    assert found[("unknown_channel", "B4")] is Severity.WARNING
    assert found[("unknown_status", "F4")] is Severity.WARNING
    assert found[("due_before_start", "G4")] is Severity.WARNING
    assert found[("wrong_currency", "I4")] is Severity.ERROR  # the configured currency decides
    assert found[("missing_required", "B5")] is Severity.ERROR
    assert found[("blank_row", "A6")] is Severity.INFO
    assert found[("duplicate_row", "A8")] is Severity.WARNING
    assert found[("totals_row", "A9")] is Severity.INFO
    kept = [activity.activity for activity in result.activities]
    assert kept == ["Keyword page", "Episode", "Meetup", "Meetup"]
    keyword_page = result.activities[0]
    assert keyword_page.cost is None and keyword_page.metrics.get("leads") is None
    assert result.activities[1].channel is Channel.OTHER and result.activities[1].status is Status.OTHER


def test_done_date_after_as_of_is_a_warning(tmp_path: Path) -> None:
    rows = [[dt.date(2026, 10, 1), "SEO", "Page", "Ann", "", "Done", None, dt.date(2026, 12, 1), 5, 1]]
    found = codes_at(normalized(make_workbook(tmp_path, rows)))
    assert found[("done_in_future", "H2")] is Severity.WARNING


def test_slashed_dates_decided_per_column(tmp_path: Path) -> None:
    rows = [
        ["10/5/2026", "SEO", "Ambiguous", "Ann", "", "Done", None, None, 1, 1],
        ["25/10/2026", "SEO", "Decides day first", "Ann", "", "Done", None, None, 1, 1],
    ]
    result = normalized(make_workbook(tmp_path, rows))
    assert [activity.date for activity in result.activities] == [dt.date(2026, 5, 10), dt.date(2026, 10, 25)]
    undecided = [["10/5/2026", "SEO", "Ambiguous", "Ann", "", "Done", None, None, 1, 1]]
    result = normalized(make_workbook(tmp_path, undecided, name="b.xlsx"))
    assert result.activities[0].date == dt.date(2026, 10, 5)  # MDY by default
    assert codes_at(result)[("assumed_date_order", "A2")] is Severity.INFO
    result = normalized(make_workbook(tmp_path, undecided, name="c.xlsx"), Config(date_order="DMY"))
    assert result.activities[0].date == dt.date(2026, 5, 10)


def test_currency_is_what_most_cells_use(tmp_path: Path) -> None:
    rows = [
        [dt.date(2026, 10, 1), "SEO", "A", "Ann", "", "Done", None, None, "¥100", 1],
        [dt.date(2026, 10, 2), "SEO", "B", "Ann", "", "Done", None, None, "¥200", 1],
        [dt.date(2026, 10, 3), "SEO", "C", "Ann", "", "Done", None, None, "$5", 1],
    ]
    result = normalized(make_workbook(tmp_path, rows))
    assert result.currency == "¥"
    assert [activity.cost for activity in result.activities] == [Decimal(100), Decimal(200), None]
    assert (
        result.currency
        == normalized(make_workbook(tmp_path, rows, name="d.xlsx"), Config(currency="¥")).currency
    )


def test_missing_required_column_names_sheet_and_header_cell(tmp_path: Path) -> None:
    path = make_workbook(tmp_path, [[dt.date(2026, 10, 1), "SEO"]], ["Date", "Channel", "Owner"], title="Log")
    with pytest.raises(InputError) as error:
        normalized(path)
    message = error.value.message()
    assert "sheet Activities" in message and "cell A3" in message and "Activity" in message


def test_goals_with_month_specific_targets_and_chinese_metrics(tmp_path: Path) -> None:
    path = make_workbook(
        tmp_path,
        [[dt.date(2026, 10, 1), "SEO", "Page", "Ann", "G1", "Done", None, None, 1, 1]],
        goals=[
            ["G1", "Leads", "线索", 100, None],
            ["G1", "Leads", "线索", 150, "2026-10"],
            ["G2", "Reach", "曝光", None, None],
        ],
        goal_headers=("ID", "Name", "Metric", "Target", "Month"),
    )
    result = normalized(path)
    goals = {goal.id: goal for goal in result.goals}
    assert goals["G1"].metric == "leads"
    assert goals["G1"].target_for("2026-10") == Decimal(150)
    assert goals["G1"].target_for("2026-09") == Decimal(100)
    assert goals["G2"].metric == "impressions" and goals["G2"].target_for("2026-10") is None
    assert codes_at(result)[("goal_without_target", "D4")] is Severity.WARNING


def test_a_run_of_blank_rows_is_one_finding_and_trailing_blanks_none(tmp_path: Path) -> None:
    rows: list[list[object]] = [[dt.date(2026, 10, 1), "SEO", "A", "Ann", "", "Done", None, None, 1, 1]]
    rows += [[]] * 5
    rows += [[dt.date(2026, 10, 2), "SEO", "B", "Ann", "", "Done", None, None, 1, 1]]
    rows += [[]] * 3 + [[None, None, None, None, None, None, None, None, None, " "]]
    result = normalized(make_workbook(tmp_path, rows))
    blank = [finding for finding in result.findings if finding.code.startswith("blank_row")]
    assert [(finding.code, finding.ref.cell if finding.ref else "", finding.params) for finding in blank] == [
        ("blank_rows", "A3", {"count": 5, "last": 7})
    ]


# --- review fixes: blank words, month targets, revenue, two-row headers, optional sheets ---


def findings_of(result: Normalized, code: str) -> list[tuple[str, str | None]]:
    return [(str(f.ref) if f.ref else "", f.sheet) for f in result.findings if f.code == code]


def test_blank_words_in_text_cells_are_no_value(tmp_path: Path) -> None:
    headers = ["Date", "Channel", "Activity", "Owner", "Goal", "Principle", "Decision", "Lesson"]
    rows = [
        [dt.date(2026, 10, 1), "SEO", "Page", "n/a", "-", " — ", "无", "暂无"],
        [dt.date(2026, 10, 2), "SEO", "Post", "Ann", "G1", "execution", "Budget cut", "Shorter titles"],
    ]
    result = normalized(make_workbook(tmp_path, rows, headers))
    blank, filled = result.activities
    assert (blank.owner, blank.goal_text, blank.principle_text, blank.decision, blank.lesson) == (None,) * 5
    assert (filled.owner, filled.goal_text, filled.decision) == ("Ann", "G1", "Budget cut")


def test_month_targets_fall_back_and_a_bad_month_keeps_the_goal(tmp_path: Path) -> None:
    path = make_workbook(
        tmp_path,
        [[dt.date(2026, 10, 1), "SEO", "Page", "Ann", "G1", "Done", None, None, 1, 1]],
        goals=[
            ["G1", "Leads", "leads", 100, None],
            ["G1", "Leads", "leads", None, "2026-10"],  # a blank month target does not hide the 100
            ["G2", "Reach", "impressions", 500, "Oct"],  # unreadable month: the goal stays, this row does not
            ["G3", "Visits", "visits", 70, 2026.1],  # Excel's 2026.10: never January
            ["G3", "Visits", "visits", 80, None],
        ],
        goal_headers=("ID", "Name", "Metric", "Target", "Month"),
    )
    result = normalized(path)
    goals = {goal.id: goal for goal in result.goals}
    assert goals["G1"].target_for("2026-10") == Decimal(100)
    assert goals["G2"].metric == "impressions" and goals["G2"].target_for("2026-10") is None
    assert goals["G3"].targets == {"": Decimal(80)} and goals["G3"].target_for("2026-01") == Decimal(80)
    assert findings_of(result, "bad_month") == [("Goals!E4", None), ("Goals!E5", None)]
    assert findings_of(result, "goal_without_target") == []  # G2's target was written; its month is the error


def test_unreadable_target_is_one_finding_not_two(tmp_path: Path) -> None:
    path = make_workbook(
        tmp_path,
        [[dt.date(2026, 10, 1), "SEO", "Page", "Ann", "G1", "Done", None, None, 1, 1]],
        goals=[["G1", "Leads", "leads", "lots"], ["G2", "Reach", "impressions", None]],
    )
    result = normalized(path)
    assert findings_of(result, "bad_number") == [("Goals!D2", None)]
    assert findings_of(result, "goal_without_target") == [("Goals!D3", None)]


def test_revenue_is_money_and_so_is_a_revenue_target(tmp_path: Path) -> None:
    headers = ["Date", "Channel", "Activity", "Cost", "Revenue"]
    rows = [
        [dt.date(2026, 10, 1), "SEO", "A", "¥100", "¥1,200.50"],
        [dt.date(2026, 10, 2), "SEO", "B", 50, "3000元"],
        [dt.date(2026, 10, 3), "SEO", "C", 50, "$80"],
        [dt.date(2026, 10, 4), "SEO", "D", 50, 99.5],
    ]
    path = make_workbook(
        tmp_path,
        rows,
        headers,
        goals=[["G1", "Sales", "revenue", "¥5,000"], ["G2", "Sales US", "revenue", "$10"]],
    )
    result = normalized(path)
    assert result.currency == "¥"
    revenue = [activity.metrics["revenue"] for activity in result.activities]
    assert revenue == [Decimal("1200.50"), Decimal(3000), None, Decimal("99.5")]
    assert findings_of(result, "wrong_currency") == [("Activities!E4", None), ("Goals!D3", None)]
    goals = {goal.id: goal for goal in result.goals}
    assert goals["G1"].target_for("2026-10") == Decimal(5000)
    assert goals["G2"].target_for("2026-10") is None
    assert findings_of(result, "goal_without_target") == []  # G2's target is an error already


def test_two_row_header_under_a_merged_group_label(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Activities"
    sheet.append(["Date", "Channel", "Activity", "Results", None, "Cost"])
    sheet.merge_cells("D1:E1")
    sheet.append([None, None, None, "Leads", "Signups", None])
    sheet.append([dt.date(2026, 10, 1), "SEO", "Page", 3, 4, 10])
    sheet.append([dt.date(2026, 10, 2), "SEM", "Ads", 5, None, 20])
    path = tmp_path / "two.xlsx"
    book.save(path)
    result = normalized(path)
    assert result.columns == {
        "date": 0,
        "channel": 1,
        "activity": 2,
        "leads": 3,
        "signups": 4,
        "cost": 5,
    }
    assert [(a.row, a.metrics, a.cost) for a in result.activities] == [
        (3, {"leads": 3, "signups": 4}, 10),
        (4, {"leads": 5, "signups": None}, 20),
    ]
    assert result.findings == []  # no missing_required on row 2, no unknown column for Results


def test_two_row_header_whose_second_row_names_more_fields(tmp_path: Path) -> None:
    headers = ["Date", "Channel", "Activity", "Results", None, None, None]
    rows: list[list[object]] = [
        [None, None, None, "Impressions", "Clicks", "Leads", "Signups"],
        [dt.date(2026, 10, 1), "SEO", "Page", 100, 10, 2, 1],
    ]
    path = make_workbook(tmp_path, rows, headers, title="Northwind — Ops log")
    result = normalized(path)
    assert result.team == "Northwind"
    assert [(a.row, a.channel, a.metrics["clicks"]) for a in result.activities] == [(5, Channel.SEO, 10)]
    assert [f.code for f in result.findings] == []


def test_a_data_row_is_never_taken_for_a_second_header_row(tmp_path: Path) -> None:
    headers = ["Date", "Channel", "Activity", "Notes"]
    rows = [[dt.date(2026, 10, 1), "SEO", "Page", "Leads"], [dt.date(2026, 10, 2), "SEO", "Post", ""]]
    result = normalized(make_workbook(tmp_path, rows, headers))
    assert [a.activity for a in result.activities] == ["Page", "Post"]
    assert "leads" not in result.columns


def test_empty_or_headerless_optional_sheets_are_findings_not_failures(tmp_path: Path) -> None:
    path = make_workbook(
        tmp_path, [[dt.date(2026, 10, 1), "SEO", "Page", "Ann", "", "Done", None, None, 1, 1]]
    )
    book = openpyxl.load_workbook(path)
    book.create_sheet("Goals").append(["ID", "Name", "Target"])  # no Metric column
    book.create_sheet("Rules").append(["just a note"])
    book.create_sheet("Commentary")  # empty
    book.save(path)
    result = normalized(path)
    assert result.goals == [] and result.rules == [] and len(result.activities) == 1
    problems = {f.code: f for f in result.findings if f.severity is Severity.ERROR}
    assert problems["sheet_empty"].sheet_name == "Commentary" and problems["sheet_empty"].ref is None
    assert problems["sheet_no_header"].sheet_name == "Rules"
    assert str(problems["sheet_missing_column"].ref) == "Goals!A1"
    words = catalogue("en")
    assert "Sheet Commentary is empty" in finding_message(problems["sheet_empty"], words)
    assert "Sheet Rules has no header row" in finding_message(problems["sheet_no_header"], words)
    missing = finding_message(problems["sheet_missing_column"], words)
    assert "Sheet Goals has no column for Metric / 指标" in missing


def test_goals_without_header_name_the_headers_as_written(tmp_path: Path) -> None:
    path = make_workbook(
        tmp_path,
        [[dt.date(2026, 10, 1), "SEO", "Page", "Ann", "", "Done", None, None, 1, 1]],
        goals=[["G1", "Leads", "leads", 100]],
        goal_headers=("Goal #", "What", "Aim", "Notes"),
    )
    (finding,) = [f for f in normalized(path).findings if f.code == "sheet_no_header"]
    assert "at least ID / 编号, Metric / 指标" in finding_message(finding, catalogue("en"))


def test_no_done_on_column_is_one_note_for_the_sheet(tmp_path: Path) -> None:
    headers = ["Date", "Channel", "Activity", "Status", "Due"]
    rows = [
        [dt.date(2026, 10, day), "SEO", f"Page {day}", "Done", dt.date(2026, 10, 20)] for day in (1, 2, 3)
    ]
    result = normalized(make_workbook(tmp_path, rows, headers))
    assert findings_of(result, "done_without_date") == []
    (note,) = [f for f in result.findings if f.code == "no_done_on_column"]
    assert (note.severity, note.ref, note.sheet_name) == (Severity.INFO, None, "Activities")
    with_column = normalized(
        make_workbook(tmp_path, [[*rows[0], None]], [*headers, "Done on"], name="b.xlsx")
    )
    assert findings_of(with_column, "done_without_date") == [("Activities!F2", None)]
    assert findings_of(with_column, "no_done_on_column") == []


def test_duplicate_header_names_the_field_in_the_sheet_language(tmp_path: Path) -> None:
    headers = ["日期", "类型", "渠道", "活动", "完成日期", "完成时间"]
    rows = [[dt.date(2026, 10, 1), "会议", "活动", "线下沙龙", None, None]]
    result = normalized(make_workbook(tmp_path, rows, headers, sheet="活动"))
    assert result.activities[0].channel is Channel.EVENT  # 活动 in a channel cell is the event channel
    messages = [finding_message(f, catalogue("zh")) for f in result.findings if f.code == "duplicate_header"]
    assert messages == [
        "列“类型”也表示渠道；已使用 C1 处的列，本列被忽略。",
        "列“完成时间”也表示完成日期；已使用 E1 处的列，本列被忽略。",
    ]


def test_assumed_date_order_is_named_in_words(tmp_path: Path) -> None:
    rows = [["10/5/2026", "SEO", "Ambiguous", "Ann", "", "Done", None, None, 1, 1]]
    (finding,) = [
        f for f in normalized(make_workbook(tmp_path, rows)).findings if f.code == "assumed_date_order"
    ]
    assert "month/day/year" in finding_message(finding, catalogue("en"))
    assert "月/日/年" in finding_message(finding, catalogue("zh"))


def test_input_errors_after_the_header_speak_the_sheet_language(tmp_path: Path) -> None:
    path = make_workbook(tmp_path, [[dt.date(2026, 10, 1), "SEO"]], ["日期", "渠道", "负责人"], sheet="活动")
    with pytest.raises(InputError) as error:
        normalized(path)
    assert error.value.lang == "zh"
    assert error.value.message() == (
        f"{path}，工作表 活动，单元格 A1：表头缺少 Activity / 活动 列。"
        "请添加该列（可用列名见 docs/workbook.md）。"
    )
    assert error.value.message("en").startswith(f"{path}, sheet 活动, cell A1: the header row has no column")


def test_commentary_rows_are_read_by_section_word_number_or_principle_in_either_language(
    tmp_path: Path,
) -> None:
    path = make_workbook(
        tmp_path, [[dt.date(2026, 10, 1), "SEO", "Page", "Ann", "", "Done", None, None, 1, 1]]
    )
    book = openpyxl.load_workbook(path)
    sheet = book.create_sheet("点评")
    for row in (
        ["章节", "月份", "点评"],
        ["概述", None, "Every month."],
        ["2", "2026-10", "October's misses were planned."],
        ["延迟满足", "2026/9", "September only."],
        ["Layered", None, "Partners."],
        ["Conclusion", None, "   "],  # no words yet: not a note, not a finding
        [None, None, None],
        ["Appendix", None, "Nowhere to go."],
        ["结论", "Oct", "Bad month."],
    ):
        sheet.append(row)
    book.save(path)
    result = normalized(path)
    notes = [(note.section, note.month, note.text, str(note.ref)) for note in result.commentary]
    assert notes == [
        ("intro", "", "Every month.", "点评!C2"),
        ("execution", "2026-10", "October's misses were planned.", "点评!C3"),
        ("deferred_payoff", "2026-09", "September only.", "点评!C4"),
        ("layered", "", "Partners.", "点评!C5"),
    ]
    found = codes_at(result)
    assert found[("commentary_section", "A8")] is Severity.WARNING
    assert found[("bad_month", "B9")] is Severity.WARNING
    assert not [f for f in result.findings if f.sheet_name == "点评" and f.severity is Severity.ERROR]
