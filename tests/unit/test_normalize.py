"""normalize_rows: headers matched in either language, values typed, every problem a finding with its cell."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from reportgen.config import Config
from reportgen.errors import InputError
from reportgen.model import Channel, Normalized, Severity, Status
from reportgen.normalize import normalize_rows
from reportgen.workbook import read_workbook
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
    rows = [
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
    rows = [
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
