"""Words people type in headers and cells, mapped to canonical keys. Data tables only: no logic but `key`."""

from __future__ import annotations

import re

from reportgen.base.channels import CHANNELS
from reportgen.base.model import Channel, Principle, Status

_NOISE = re.compile(r"[\s_\-./:：·,，()（）\[\]【】#*'\"]+")


def key(text: str) -> str:
    """The form words are compared in: case-, space- and punctuation-insensitive."""
    return _NOISE.sub("", text).casefold()


# Activity-sheet headers. The first tuple of each field holds its canonical headers, which beat the synonyms
# in the second tuple when both are present (docs/workbook.md: 渠道 beats 类型, 活动 beats 标题, Cost beats
# Spend). The first canonical header of each field is written as messages name it ("Done on", "ID"); `key`
# ignores case.
ACTIVITY_HEADERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "date": (
        ("Date", "日期"),
        ("day", "start date", "start", "publish date", "开始日期", "发布日期", "时间"),
    ),
    "channel": (("Channel", "渠道"), ("type", "category", "类型", "类别", "渠道类型")),
    "activity": (
        ("Activity", "活动"),
        ("title", "task", "item", "activity name", "标题", "任务", "事项", "活动名称", "工作内容"),
    ),
    "owner": (("Owner", "负责人"), ("assignee", "responsible", "pic", "执行人", "责任人")),
    "goal": (("Goal", "目标"), ("objective", "goal id", "目标编号", "对应目标")),
    "principle": (("Principle", "原则"), ()),
    "status": (("Status", "状态"), ("state", "进度")),
    "due": (("Due", "截止日期"), ("deadline", "due date", "截止", "截止时间", "计划完成日期")),
    "done_on": (
        ("Done on", "完成日期"),
        (
            "completed",
            "completed on",
            "completion date",
            "done date",
            "done",
            "finished on",
            "实际完成日期",
            "完成时间",
        ),
    ),
    "cost": (("Cost", "成本"), ("spend", "费用", "花费", "支出", "expense", "expenses")),
    "impressions": (("Impressions", "曝光"), ("曝光量", "展现", "展示量", "views")),
    "clicks": (("Clicks", "点击"), ("点击量",)),
    "visits": (("Visits", "访问"), ("sessions", "traffic", "访问量", "流量", "uv")),
    "signups": (("Signups", "注册"), ("sign ups", "registrations", "注册数", "报名")),
    "leads": (("Leads", "线索"), ("线索数", "留资")),
    "conversions": (("Conversions", "转化"), ("转化数", "成交")),
    "followers": (("Followers", "粉丝"), ("new followers", "新增粉丝", "涨粉", "关注")),
    "revenue": (("Revenue", "收入"), ("营收", "销售额", "gmv")),
    "decision": (("Decision", "决策依据"), ("decisions", "rationale", "why", "决策", "原因")),
    "initiative": (("Initiative", "项目"), ("project", "合作项目")),
    "stage": (("Stage", "阶段"), ("phase", "step", "环节")),
    "lesson": (("Lesson", "复盘"), ("lessons", "lessons learned", "learnings", "经验", "教训", "总结")),
}

REQUIRED_FIELDS: tuple[str, ...] = ("date", "channel", "activity")

# Metric fields that hold money: read with the money parser (currency symbols, wrong currency refused) and
# written to JSON rounded like cost.
MONEY_METRICS: frozenset[str] = frozenset({"revenue"})

# Headers that look like a field but are not it: kept as unknown columns. Budget is a plan, not a cost.
NOT_FIELDS: frozenset[str] = frozenset(key(word) for word in ("budget", "预算"))

GOAL_HEADERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "id": (("ID", "编号"), ("goal id", "目标编号", "code")),
    "name": (("Name", "名称"), ("goal", "目标", "目标名称", "goal name")),
    "metric": (("Metric", "指标"), ("kpi",)),
    "target": (("Target", "目标值"), ("monthly target", "月度目标", "月目标")),
    "owner": (("Owner", "负责人"), ()),
    "month": (("Month", "月份"), ("月",)),
}

RULE_HEADERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "channel": (("Channel", "渠道"), ("type", "类型")),
    "keyword": (("Keyword", "关键词"), ("keywords", "关键字", "contains", "包含")),
    "goal": (("Goal", "目标"), ()),
    "principle": (("Principle", "原则"), ()),
}

COMMENTARY_HEADERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "section": (("Section", "章节"), ("部分",)),
    "text": (("Text", "点评"), ("comment", "commentary", "内容", "评论")),
    "month": (("Month", "月份"), ("月",)),
}

# Where a Commentary row's paragraph goes: the review's parts by key, number or name, in either language; the
# four principles' own words (PRINCIPLE_WORDS) name sections 1-4 too.
COMMENTARY_SECTIONS: tuple[str, ...] = (
    "intro",
    "connection",
    "execution",
    "deferred_payoff",
    "layered",
    "conclusion",
)
NOTES_PER_PART = 3  # the lead's Commentary paragraphs the review shows in one part of one month
SECTION_WORDS: dict[str, str] = {
    key(word): section
    for section, words in {
        "intro": ("intro", "introduction", "overview", "0", "概述", "导言", "引言", "总览"),
        "connection": ("1", "section 1", "第1节", "第一节"),
        "execution": ("2", "section 2", "第2节", "第二节"),
        "deferred_payoff": ("3", "section 3", "第3节", "第三节"),
        "layered": ("4", "section 4", "第4节", "第四节"),
        "conclusion": ("conclusion", "summary", "结论", "总结", "结语"),
    }.items()
    for word in words
}

SHEET_NAMES: dict[str, tuple[str, ...]] = {
    "activities": ("activities", "活动"),
    "goals": ("goals", "目标"),
    "rules": ("rules", "规则"),
    "commentary": ("commentary", "点评"),
}

STATUS_WORDS: dict[str, Status] = {
    key(word): status
    for status, words in {
        Status.DONE: (
            "done",
            "complete",
            "completed",
            "finished",
            "closed",
            "完成",
            "已完成",
            "完结",
            "已上线",
        ),
        Status.IN_PROGRESS: (
            "in progress",
            "ongoing",
            "doing",
            "wip",
            "started",
            "active",
            "进行中",
            "执行中",
            "处理中",
        ),
        Status.PLANNED: (
            "planned",
            "plan",
            "todo",
            "to do",
            "not started",
            "backlog",
            "scheduled",
            "计划中",
            "计划",
            "待办",
            "未开始",
            "待开始",
        ),
        Status.CANCELLED: ("cancelled", "canceled", "dropped", "取消", "已取消"),
        Status.DELAYED: (
            "delayed",
            "late",
            "blocked",
            "on hold",
            "postponed",
            "延期",
            "延迟",
            "推迟",
            "搁置",
        ),
        Status.OTHER: ("other", "其他"),
    }.items()
    for word in words
}

CHANNEL_WORDS: dict[str, Channel] = {
    key(word): facts.channel for facts in CHANNELS for word in (facts.channel.value, *facts.words)
}

PRINCIPLE_WORDS: dict[str, Principle] = {
    key(word): principle
    for principle, words in {
        Principle.CONNECTION: ("connection", "连接"),
        Principle.EXECUTION: ("execution", "执行"),
        Principle.DEFERRED_PAYOFF: (
            "deferred_payoff",
            "deferred payoff",
            "delayed gratification",
            "延迟满足",
        ),
        Principle.LAYERED: ("layered", "layers", "层次", "分层", "分层推进"),
    }.items()
    for word in words
}

GOAL_METRIC_WORDS: dict[str, str] = {
    key("activities"): "activities",
    key("activity count"): "activities",
    key("活动数"): "activities",
    key("活动"): "activities",
    **{
        key(word): field
        for field, (canonical, synonyms) in ACTIVITY_HEADERS.items()
        if field
        in ("impressions", "clicks", "visits", "signups", "leads", "conversions", "followers", "revenue")
        for word in (field, *canonical, *synonyms)
    },
}

TOTAL_WORDS: frozenset[str] = frozenset(
    key(word)
    for word in ("total", "totals", "sum", "grand total", "subtotal", "合计", "总计", "小计", "汇总")
)

# Layers of a partnership push, in order (docs/metrics.md "Sections 3 and 4").
LAYER_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("plan", ("plan", "proposal", "方案")),
    ("business", ("business", "商务")),
    ("product", ("product", "产品")),
    ("tech", ("tech", "technical", "engineering", "技术")),
    ("decision_maker", ("decision-maker", "decision maker", "boss", "executive", "决策层", "老板")),
)

CURRENCY_SYMBOLS: dict[str, str] = {
    "¥": "¥",
    "￥": "¥",
    "元": "¥",
    "rmb": "¥",
    "cny": "¥",
    "$": "$",
    "usd": "$",
    "€": "€",
    "eur": "€",
    "£": "£",
    "gbp": "£",
}
