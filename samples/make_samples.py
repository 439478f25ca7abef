#!/usr/bin/env python3
"""Deterministic sample workbooks for reportgen.

    python samples/make_samples.py [OUTDIR]      # default OUTDIR: the folder of this script

writes ``northwind-en.xlsx`` (English headers, $) and ``xinghe-zh.xlsx`` (Chinese headers, ¥): three months
(2026-08 .. 2026-10) of a marketing-ops log plus planned rows for 2026-11, a Goals sheet, a Rules sheet and
the lead's Commentary sheet.
The review month the tests use is 2026-10 with as-of date 2026-11-03.

Importable without writing anything: ``sample_rows(lang)``, ``sample_goals(lang)``, ``sample_rules(lang)``,
``sample_commentary(lang)`` and ``sample_mess(lang)`` return the clean canonical data each workbook is made
from and the deliberate mess written into it (with the cells it sits in), so an independent oracle can compute
what reportgen must report.

No clock is read and every random choice comes from a fixed seed: the same script gives byte-identical files.
"""

from __future__ import annotations

import functools
import io
import random
import re
import sys
import zipfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

AS_OF = date(2026, 11, 3)
REVIEW_MONTH = "2026-10"
MONTHS = ("2026-08", "2026-09", "2026-10", "2026-11")

METRICS = ("impressions", "clicks", "visits", "signups", "leads", "conversions", "followers", "revenue")
FIELDS = (
    "date",
    "channel",
    "activity",
    "owner",
    "goal",
    "principle",
    "status",
    "due",
    "done_on",
    "cost",
    *METRICS,
    "decision",
    "initiative",
    "stage",
    "lesson",
)
COLUMNS = (*FIELDS, "notes")  # "notes" is the unknown column reportgen keeps and ignores
CHANNELS = ("seo", "sem", "content", "event", "community", "user_ops", "partnership", "other")
STATUSES = ("done", "in_progress", "planned", "cancelled", "delayed", "other")
PRINCIPLES = ("connection", "execution", "deferred_payoff", "layered")

TITLE_ROW, SUBTITLE_ROW, HEADER_ROW = 1, 2, 3
FIRST_DATA_ROW = HEADER_ROW + 1

HEADERS = {
    "en": (
        "Date",
        "Channel",
        "Activity",
        "Owner",
        "Goal",
        "Principle",
        "Status",
        "Due",
        "Done on",
        "Cost",
        "Impressions",
        "Clicks",
        "Visits",
        "Signups",
        "Leads",
        "Conversions",
        "Followers",
        "Revenue",
        "Decision",
        "Initiative",
        "Stage",
        "Lesson",
        "Notes",
    ),
    "zh": (
        "日期",
        "渠道",
        "活动",
        "负责人",
        "目标",
        "原则",
        "状态",
        "截止日期",
        "完成日期",
        "费用",
        "曝光",
        "点击",
        "访问",
        "注册",
        "线索",
        "转化",
        "粉丝",
        "收入",
        "决策依据",
        "项目",
        "阶段",
        "复盘",
        "备注",
    ),
}
GOAL_HEADERS = {
    "en": ("ID", "Name", "Metric", "Target", "Owner", "Month"),
    "zh": ("编号", "名称", "指标", "目标值", "负责人", "月份"),
}
RULE_HEADERS = {
    "en": ("Channel", "Keyword", "Goal", "Principle"),
    "zh": ("渠道", "关键词", "目标", "原则"),
}
COMMENTARY_HEADERS = {
    "en": ("Section", "Month", "Text"),
    "zh": ("章节", "月份", "点评"),
}
# The lead's own paragraphs: (section as a lead types it, month or None for every month, text). The September
# note must not appear in October's review.
COMMENTARY = {
    "en": [
        ("2", "2026-10", "The two SEM pauses were my call: that budget moved to the pricing launch in "
         "November. Read the completion rate with that in mind."),
        ("Deferred payoff", "2026-10", "SEO still looks expensive per lead. The glossary pages went live in "
         "September and usually need a quarter before they rank; judge them in January."),
        ("1", "2026-09", "September: the new goals sheet is in place; every task should name its goal."),
        ("Conclusion", None, "We open no new channel until the work in flight is finished, starting with "
         "the partner decisions that have waited longest."),
    ],
    "zh": [
        ("执行", "2026-10", "两次竞价暂停是我的决定：这笔预算挪到了 11 月的定价发布。"
         "看完成率时请考虑这一点。"),
        ("3", "2026-10", "SEO 的单条线索成本仍然偏高。词条页 9 月才上线，"
         "通常要一个季度才有排名，请到 1 月再评判。"),
        ("1", "2026-09", "9 月：目标页已经建好，每项工作都应写明对应的目标。"),
        ("结论", None, "在手上的工作完成之前不开新渠道，先推进等待最久的合作方决策。"),
    ],
}


def col_letter(index: int) -> str:
    """1-based column index -> letters (1 -> A, 27 -> AA)."""
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


COLUMN_LETTER = {name: col_letter(i) for i, name in enumerate(COLUMNS, 1)}


# --------------------------------------------------------------------------------------------- public data


@dataclass(frozen=True)
class SampleInfo:
    lang: str
    filename: str
    team: str
    title: str
    subtitle: str
    currency: str
    readme_sheet: str
    activities_sheet: str
    goals_sheet: str
    rules_sheet: str
    commentary_sheet: str


SAMPLES = {
    "en": SampleInfo(
        lang="en",
        filename="northwind-en.xlsx",
        team="Northwind Growth Team",
        title="Northwind Growth Team — Marketing Ops Log 2026",
        subtitle="One row per task · updated every Friday · amounts in USD",
        currency="$",
        readme_sheet="Read me",
        activities_sheet="Activities",
        goals_sheet="Goals",
        rules_sheet="Rules",
        commentary_sheet="Commentary",
    ),
    "zh": SampleInfo(
        lang="zh",
        filename="xinghe-zh.xlsx",
        team="星河增长团队",
        title="星河增长团队 — 市场运营台账 2026",
        subtitle="每项工作一行 · 每周五更新 · 金额单位：元",
        currency="¥",
        readme_sheet="说明",
        activities_sheet="活动",
        goals_sheet="目标",
        rules_sheet="规则",
        commentary_sheet="点评",
    ),
}


@dataclass(frozen=True)
class SampleRow:
    """One activity row as it was meant (canonical, typed), and where it was written.

    A field named in ``unreadable`` was written as a value reportgen cannot read; its canonical value here is
    None and it counts as missing. ``skipped`` rows (e.g. an impossible date) are not activities at all.
    ``goal`` and ``principle`` are the cell texts as typed (None when blank); ``channel`` and ``status`` are
    the normalised keys of what was typed.
    """

    excel_row: int
    date: date | None
    channel: str
    activity: str
    owner: str | None
    goal: str | None
    principle: str | None
    status: str
    due: date | None
    done_on: date | None
    cost: Decimal | None
    impressions: Decimal | None
    clicks: Decimal | None
    visits: Decimal | None
    signups: Decimal | None
    leads: Decimal | None
    conversions: Decimal | None
    followers: Decimal | None
    revenue: Decimal | None
    decision: str | None
    initiative: str | None
    stage: str | None
    lesson: str | None
    notes: str | None = None
    unreadable: frozenset[str] = frozenset()
    skipped: bool = False

    def value(self, name: str):
        """The value reportgen should use: None when the cell was written unreadable."""
        return None if name in self.unreadable else getattr(self, name)

    def cell(self, name: str) -> str:
        return f"{COLUMN_LETTER[name]}{self.excel_row}"


@dataclass(frozen=True)
class SampleGoal:
    excel_row: int
    id: str
    name: str
    metric: str  # canonical key: one of METRICS or "activities"
    metric_cell: str  # as typed in the sheet (English key or Chinese header)
    target: Decimal | None
    owner: str | None
    month: str | None  # "YYYY-MM" or None


@dataclass(frozen=True)
class SampleRule:
    excel_row: int
    channel: str | None  # canonical key (None: any channel)
    channel_cell: str | None  # as typed in the sheet
    keyword: str | None
    goal: str | None  # cell text (id or name)
    principle: str | None  # cell text (key or name, either language)


@dataclass(frozen=True)
class Mess:
    """A deliberate irregularity written into a workbook.

    ``severity`` is the finding reportgen must report for it (None: nothing to report, the value must simply
    be read right). ``whole_row``: the finding may point at any cell of ``row`` (row-level problems such as a
    duplicate row); otherwise it must point at exactly ``cell``.
    """

    sheet: str
    cell: str
    row: int
    field: str | None
    kind: str
    severity: str | None
    written: str
    note: str
    whole_row: bool = False


# ------------------------------------------------------------------------------------------ text material

TEXT = {
    "en": {
        "owners": ("Alice Chen", "Ben Ortiz", "Chloe Park", "Dev Patel", "Emma Novak", "Farid Haddad"),
        "affinity": {
            "seo": (0, 0, 2),
            "sem": (1, 1, 0),
            "content": (2, 2, 0, 4),
            "event": (3, 3, 5),
            "community": (4, 2),
            "user_ops": (4, 4, 1),
            "partnership": (5, 5, 3),
            "other": (2,),
        },
        "status": {
            "done": ("Done", "Done", "done"),
            "in_progress": ("In progress",),
            "planned": ("Planned",),
            "cancelled": ("Cancelled",),
            "delayed": ("Delayed",),
        },
        "pools": {
            "seo": [
                (("SEO", "SEO", "seo"), "Keyword page: {kw}", "kw"),
                (("SEO",), "Refresh ranking page for '{kw}'", "kw"),
                (("SEO",), "On-page fixes for the '{kw}' cluster", "kw"),
                (("SEO",), "Backlink outreach for '{kw}'", "kw"),
                (("SEO",), "Technical SEO audit: {area}", "area"),
            ],
            "sem": [
                (("SEM", "SEM", "sem"), "Google Ads: {camp} search campaign", "camp"),
                (("SEM",), "Bing Ads: {camp} campaign", "camp"),
                (("SEM",), "Ad copy A/B test: {camp}", "camp"),
                (("SEM",), "Retargeting ads: {camp}", "camp"),
                (("SEM",), "Bid and budget review: {camp}", "camp"),
            ],
            "content": [
                (("Content", "Article"), "Article: {topic}", "topic"),
                (("Article",), "Blog post: {topic}", "topic"),
                (("Content",), "Guest post on {site}", "site"),
                (("Content",), "Case study: {cust}", "cust"),
                (("Content", "content"), "Newsletter #{n}", "n"),
                (("Content",), "Soft article on {site}", "site"),
            ],
            "event": [
                (("Webinar", "Event"), "Webinar: {topic}", "topic"),
                (("Event",), "Offline meetup in {city}", "city"),
                (("Event",), "Booth at {expo}", "expo"),
                (("Event",), "Workshop: {topic}", "topic"),
            ],
            "community": [
                (("Community",), "WeChat group Q&A: {topic}", "topic"),
                (("Community",), "Community challenge: {theme}", "theme"),
                (("Community",), "Group activation push: {group}", "group"),
                (("Community",), "AMA in the user group with {person}", "person"),
                (("Community",), "Live thread in the user group: {topic}", "topic"),
                (("Community",), "Welcome flow review for the {group} group", "group"),
            ],
            "user_ops": [
                (("User ops",), "Onboarding email series v{v}", "v"),
                (("User ops",), "Reactivation campaign: {seg}", "seg"),
                (("User ops",), "NPS follow-up calls: {seg}", "seg"),
                (("User ops",), "In-app tour for {feature}", "feature"),
                (("User ops",), "Upgrade nudge emails: {seg}", "seg"),
                (("User ops",), "Win-back survey: {seg}", "seg"),
                (("User ops",), "Feature adoption emails: {feature}", "feature"),
            ],
            "partnership": [
                (("BD", "Partnership"), "Intro call with {company}", "company"),
                (("BD",), "Partner listing refresh on {market}", "market"),
                (("Partnership",), "Co-selling sync with {company}", "company"),
            ],
        },
        "fill": {
            "kw": (
                "crm for small business",
                "sales pipeline template",
                "lead scoring model",
                "email automation tool",
                "customer onboarding checklist",
                "marketing calendar template",
                "b2b lead generation",
                "churn rate formula",
                "sales forecast template",
                "customer health score",
                "saas pricing page",
                "cold email templates",
                "account based marketing",
                "win loss analysis",
            ),
            "area": (
                "blog templates",
                "docs site",
                "pricing pages",
                "image alt text",
                "Core Web Vitals",
                "sitemap and canonicals",
                "hreflang tags",
                "broken links",
            ),
            "camp": (
                "CRM trial",
                "pipeline templates",
                "competitor terms",
                "brand terms",
                "lead scoring",
                "email automation",
                "pricing page",
                "free tools",
                "enterprise plan",
                "integrations",
                "mobile app",
                "Q4 promo",
            ),
            "topic": (
                "pipeline hygiene",
                "forecasting basics",
                "cold outreach that works",
                "onboarding metrics",
                "churn early warnings",
                "sales and marketing SLAs",
                "lead scoring in practice",
                "account-based marketing",
                "pricing experiments",
                "customer health scores",
                "marketing attribution",
                "QBR templates",
                "territory planning",
                "win-loss interviews",
            ),
            "site": (
                "SaaStr",
                "HubSpot blog",
                "Sales Hacker",
                "Medium",
                "LinkedIn Pulse",
                "Dev.to",
                "G2 Learn Hub",
                "Forbes Tech Council",
                "TechRadar",
                "MarTech Today",
            ),
            "cust": (
                "Brightline Logistics",
                "Cedar Health",
                "Lumen Retail",
                "Orbit Studios",
                "Pinecrest Bank",
                "Quartz Labs",
                "Riverbend Foods",
                "Summit Legal",
                "Tidewater Energy",
                "Vantage Realty",
            ),
            "n": tuple(str(i) for i in range(31, 61)),
            "city": ("Austin", "Chicago", "Denver", "Seattle", "Boston", "Atlanta", "Toronto", "San Diego"),
            "expo": ("SaaS Connect", "MarTech Summit", "B2B Growth Expo", "Sales Tech Week", "Inbound Live"),
            "theme": (
                "30-day pipeline",
                "template swap",
                "dashboard makeover",
                "automation sprint",
                "inbox zero",
                "KPI bingo",
            ),
            "group": (
                "trial users",
                "power users",
                "agency partners",
                "new admins",
                "APAC users",
                "student program",
            ),
            "person": (
                "our CTO",
                "the product lead",
                "a customer admin",
                "the support lead",
                "a partner agency",
            ),
            "v": tuple(str(i) for i in range(2, 10)),
            "seg": (
                "dormant 60-day users",
                "trial drop-offs",
                "churned SMB accounts",
                "inactive admins",
                "free-plan power users",
                "lapsed annual plans",
                "abandoned checkouts",
            ),
            "feature": (
                "pipeline board",
                "email sequences",
                "report builder",
                "mobile app",
                "forecast view",
                "lead scoring",
            ),
            "company": (
                "Hooli",
                "Umbrella Corp",
                "Stark Industries",
                "Wayne Enterprises",
                "Soylent",
                "Vandelay Imports",
                "Pied Piper",
                "Massive Dynamic",
            ),
            "market": (
                "Salesforce AppExchange",
                "HubSpot marketplace",
                "Zapier directory",
                "Shopify app store",
                "Slack app directory",
            ),
        },
        "lessons": (
            "Send the reminder 2 hours before, not 24: show rate doubled",
            "Long-tail pages rank faster when linked from the pillar page",
            "Ad copy with a number beat the generic headline by 18%",
            "Partners move faster when we bring a written plan first",
            "Group Q&A works best on Tuesday evenings",
            "Re-use webinar recordings as three short articles",
            "Cancelled too late; decide go/no-go a week earlier",
            "Segment by last login, not signup date",
            "A named customer quote lifted replies",
            "Daily budget caps kept CPC stable",
            "Get the partner's product team in before tech talks",
            "Soft articles need a clear call to action or they only bring views",
            "Check tracking links before launch",
            "Start SEO refreshes with pages ranking 8-15",
        ),
        "decisions_cancelled": (
            "Speaker dropped out; moved the budget to SEM",
            "Only 35 of 150 seats booked a week out; stopped it",
            "Partner asked to postpone to Q1",
            "CPC stayed above the $9 cap for 5 days; paused",
            "Overlapped with the onboarding series; merged into it",
        ),
        "decisions_delayed": (
            "Waiting for legal review of the copy",
            "Design time moved to the pricing launch",
            "Partner's product team unavailable until next sprint",
            "Tracking bug found in QA; fix first",
            "Holding budget for the Q4 promo",
        ),
        "decisions_done": (
            "Chose LinkedIn over Twitter on last quarter's CPL",
            "Picked the 3 keywords with difficulty under 30",
            "Ran on Tuesday because of last month's open rates",
            "Kept budget flat; CPA within target",
        ),
        "notes": (
            "Check with finance",
            "Reused the Q2 deck",
            "Slides in the shared drive",
            "See Slack thread",
            "Ask design for a banner",
            "Needs legal OK",
        ),
        "podcast": ("Podcast", "Podcast guest spot on the SaaS Growth Show"),
        "initiatives": (
            (
                "Acme CRM integration",
                (
                    ("2026-08-06", "Plan", "Acme: partnership proposal deck", "done", 7, 5),
                    ("2026-08-20", "Business", "Acme: business review with Acme BD", "done", 10, 8),
                    ("2026-09-08", "Product", "Acme: product fit session with Acme PMs", "done", 14, 12),
                    ("2026-09-29", "Tech", "Acme: API scoping with Acme engineering", "done", 14, 15),
                    (
                        "2026-10-19",
                        "Decision-maker",
                        "Acme: exec sponsor meeting with Acme VP Sales",
                        "in_progress",
                        21,
                        None,
                    ),
                    ("2026-11-10", "Decision-maker", "Acme: contract signature", "planned", 14, None),
                ),
            ),
            (
                "Globex co-marketing",
                (
                    ("2026-08-12", "Plan", "Globex: co-marketing plan", "done", 7, 6),
                    (
                        "2026-09-03",
                        "Business",
                        "Globex: joint campaign terms with Globex marketing",
                        "in_progress",
                        14,
                        None,
                    ),
                    (
                        "2026-10-08",
                        "Business",
                        "Globex: follow-up on the joint campaign budget",
                        "delayed",
                        7,
                        None,
                    ),
                ),
            ),
            (
                "Initech reseller program",
                (
                    ("2026-09-14", "Plan", "Initech: reseller program outline", "done", 7, 4),
                    (
                        "2026-09-24",
                        "Business",
                        "Initech: commercial terms with the Initech channel team",
                        "done",
                        14,
                        9,
                    ),
                    ("2026-10-13", "Tech", "Initech: SSO integration test with Initech IT", "done", 10, 9),
                    (
                        "2026-10-27",
                        "Decision-maker",
                        "Initech: pitch to the Initech CEO",
                        "planned",
                        10,
                        None,
                    ),
                ),
            ),
        ),
        "initiative_channel": ("Partnership", "BD"),
        "stalled_decision": "Waiting for Globex's Q4 budget; no spend until they confirm",
    },
    "zh": {
        "owners": ("张伟", "李娜", "王芳", "刘洋", "陈静", "赵磊"),
        "affinity": {
            "seo": (0, 0, 2),
            "sem": (1, 1, 0),
            "content": (2, 2, 0, 4),
            "event": (3, 3, 5),
            "community": (4, 2),
            "user_ops": (4, 4, 1),
            "partnership": (5, 5, 3),
            "other": (2,),
        },
        "status": {
            "done": ("完成", "已完成"),
            "in_progress": ("进行中",),
            "planned": ("计划中", "待办"),
            "cancelled": ("取消",),
            "delayed": ("延期",),
        },
        "pools": {
            "seo": [
                (("SEO",), "关键词落地页：{kw}", "kw"),
                (("SEO",), "排名页更新：{kw}", "kw"),
                (("SEO", "seo"), "{kw} 专题内链优化", "kw"),
                (("SEO",), "外链拓展：{kw}", "kw"),
                (("SEO",), "技术 SEO 巡检：{area}", "area"),
            ],
            "sem": [
                (("竞价",), "百度竞价：{camp}计划", "camp"),
                (("投放",), "巨量引擎投放：{camp}", "camp"),
                (("投放", "竞价"), "广告创意 A/B 测试：{camp}", "camp"),
                (("投放",), "再营销投放：{camp}", "camp"),
                (("竞价",), "出价与预算调整：{camp}", "camp"),
            ],
            "content": [
                (("公众号",), "公众号推文：{topic}", "topic"),
                (("文章", "内容"), "知乎文章：{topic}", "topic"),
                (("软文",), "行业媒体软文：{site}", "site"),
                (("内容",), "客户案例：{cust}", "cust"),
                (("内容", "文章"), "白皮书章节：{topic}", "topic"),
                (("文章",), "行业报告解读：{topic}", "topic"),
            ],
            "event": [
                (("直播",), "直播：{topic}", "topic"),
                (("线下活动",), "{city}线下沙龙", "city"),
                (("会议",), "行业大会展位：{expo}", "expo"),
                (("会议", "线下活动"), "客户闭门会：{topic}", "topic"),
            ],
            "community": [
                (("微信群",), "微信群答疑：{topic}", "topic"),
                (("社群",), "社群打卡活动：{theme}", "theme"),
                (("微信群", "社群"), "社群激活：{group}", "group"),
                (("社群",), "社群嘉宾分享：{person}", "person"),
                (("微信群",), "社群话题讨论：{topic}", "topic"),
                (("社群", "微信群"), "新人欢迎流程：{group}", "group"),
            ],
            "user_ops": [
                (("用户运营",), "新用户引导邮件 v{v}", "v"),
                (("用户运营",), "沉睡用户召回：{seg}", "seg"),
                (("用户运营",), "NPS 回访：{seg}", "seg"),
                (("用户运营",), "产品内引导：{feature}", "feature"),
                (("用户运营",), "升级提醒短信：{seg}", "seg"),
                (("用户运营",), "流失原因问卷：{seg}", "seg"),
                (("用户运营",), "功能使用提醒：{feature}", "feature"),
            ],
            "partnership": [
                (("商务", "合作"), "商务拜访：{company}", "company"),
                (("合作",), "应用市场上架更新：{market}", "market"),
                (("合作",), "联合销售沟通：{company}", "company"),
            ],
        },
        "fill": {
            "kw": (
                "客户管理系统",
                "销售漏斗模板",
                "线索评分",
                "营销自动化",
                "私域运营方法",
                "客户成功指标",
                "SaaS 定价",
                "会员体系搭建",
                "社群裂变",
                "活动策划方案",
                "用户增长模型",
                "数据看板模板",
                "销售预测",
                "客户流失分析",
            ),
            "area": (
                "博客模板",
                "帮助中心",
                "价格页",
                "图片 alt 文本",
                "页面速度",
                "站点地图与规范链接",
                "移动端适配",
                "死链清理",
            ),
            "camp": (
                "免费试用",
                "品牌词",
                "竞品词",
                "行业解决方案",
                "企业版",
                "模板下载",
                "线索评分",
                "私域工具",
                "小程序",
                "双十一预热",
                "销售自动化",
                "数据看板",
            ),
            "topic": (
                "私域流量怎么做",
                "销售线索管理",
                "客户成功体系",
                "增长实验方法",
                "活动复盘模板",
                "内容营销选题",
                "用户分层运营",
                "SaaS 定价策略",
                "数据驱动决策",
                "社群运营 SOP",
                "B2B 获客渠道",
                "客户生命周期",
                "转化漏斗诊断",
                "品牌与效果",
            ),
            "site": (
                "36氪",
                "虎嗅",
                "人人都是产品经理",
                "鸟哥笔记",
                "钛媒体",
                "亿欧",
                "CSDN",
                "少数派",
                "界面新闻",
                "雷锋网",
            ),
            "cust": (
                "蓝海物流",
                "青松医疗",
                "明光零售",
                "星辰影视",
                "松柏银行",
                "石英实验室",
                "川流食品",
                "峰顶律所",
                "潮汐能源",
                "远景地产",
            ),
            "city": ("北京", "上海", "深圳", "杭州", "成都", "广州", "武汉", "南京"),
            "expo": ("SaaS 创新大会", "中国营销科技峰会", "B2B 增长大会", "企业服务博览会", "私域增长大会"),
            "theme": ("30 天增长打卡", "模板互换", "看板改造", "自动化冲刺", "周报挑战", "指标接龙"),
            "group": ("试用用户群", "核心用户群", "代理商群", "新管理员群", "华南用户群", "高校计划群"),
            "person": ("产品负责人", "技术总监", "客户成功经理", "资深用户", "合作伙伴代表"),
            "v": tuple(str(i) for i in range(2, 10)),
            "seg": (
                "60 天未登录用户",
                "试用流失用户",
                "流失中小客户",
                "不活跃管理员",
                "免费版重度用户",
                "到期未续费年付客户",
                "放弃支付用户",
            ),
            "feature": ("销售看板", "邮件序列", "报表生成器", "移动端", "预测视图", "线索评分"),
            "company": (
                "飞鸿软件",
                "金桥科技",
                "万象数据",
                "北辰云",
                "锦程信息",
                "长风网络",
                "极光互动",
                "天衡系统",
            ),
            "market": ("钉钉应用市场", "企业微信应用市场", "飞书应用目录", "阿里云市场", "腾讯云市场"),
        },
        "lessons": (
            "提前 2 小时提醒比提前一天到场率更高",
            "长尾页面挂在专题页下收录更快",
            "带数字的广告标题点击率高 18%",
            "先给合作方一份书面方案，推进更快",
            "周二晚上答疑群最活跃",
            "直播回放拆成三篇短文复用",
            "取消决定太晚，下次提前一周判断",
            "按最后登录时间分层，而不是注册时间",
            "客户原话引用提升了回复率",
            "按天限额让点击成本更稳定",
            "技术对接前先拉上对方产品团队",
            "软文要有明确的行动引导，否则只有阅读量",
            "上线前检查追踪链接",
            "SEO 更新先从排名 8-15 的页面开始",
        ),
        "decisions_cancelled": (
            "嘉宾临时退出，预算转投竞价",
            "提前一周只报名 35/150，及时止损",
            "合作方要求推迟到一季度",
            "点击成本连续 5 天高于 60 元上限，暂停",
            "与新用户引导重复，合并处理",
        ),
        "decisions_delayed": (
            "等待法务审核文案",
            "设计资源优先支持定价上线",
            "合作方产品团队下个迭代才有空",
            "测试发现埋点问题，先修复",
            "预算留给双十一活动",
        ),
        "decisions_done": (
            "根据上季度线索成本选择知乎而非微博",
            "只选难度低于 30 的 3 个关键词",
            "参考上月打开率安排在周二发送",
            "预算持平，获客成本在目标内",
        ),
        "notes": ("和财务确认", "复用二季度材料", "资料在共享盘", "见群聊记录", "找设计要横幅", "需法务确认"),
        "podcast": ("播客", "播客嘉宾：增长黑盒"),
        "initiatives": (
            (
                "腾飞科技 API 合作",
                (
                    ("2026-08-05", "方案", "腾飞科技：合作方案书", "done", 7, 5),
                    ("2026-08-19", "商务", "腾飞科技：与对方商务负责人评审", "done", 10, 8),
                    ("2026-09-09", "产品", "腾飞科技：与产品团队对齐需求", "done", 14, 11),
                    ("2026-09-28", "技术", "腾飞科技：API 对接评估", "done", 14, 16),
                    ("2026-10-20", "决策层", "腾飞科技：拜访对方副总裁", "in_progress", 21, None),
                    ("2026-11-11", "决策层", "腾飞科技：签约", "planned", 14, None),
                ),
            ),
            (
                "云图 联合推广",
                (
                    ("2026-08-13", "方案", "云图：联合推广方案", "done", 7, 6),
                    ("2026-09-02", "商务", "云图：与市场部谈合作条款", "in_progress", 14, None),
                    ("2026-10-09", "商务", "云图：跟进联合推广预算", "delayed", 7, None),
                ),
            ),
            (
                "快达 渠道分销",
                (
                    ("2026-09-15", "方案", "快达：分销方案", "done", 7, 4),
                    ("2026-09-25", "商务", "快达：渠道商务条款", "done", 14, 9),
                    ("2026-10-14", "技术", "快达：单点登录联调", "done", 10, 8),
                    ("2026-10-28", "老板", "快达：向对方老板汇报", "planned", 10, None),
                ),
            ),
        ),
        "initiative_channel": ("合作", "商务"),
        "stalled_decision": "等云图四季度预算确认，确认前不投入",
    },
}

# rows per month (before inserted mess rows), channel weights per month
MONTH_SIZES = {"en": (72, 86, 95, 12), "zh": (68, 84, 100, 14)}
CHANNEL_WEIGHTS = {
    "seo": 16,
    "sem": 14,
    "content": 20,
    "event": 10,
    "community": 14,
    "user_ops": 14,
    "partnership": 4,
}
STATUS_WEIGHTS = (
    {"done": 85, "cancelled": 6, "delayed": 5, "in_progress": 4},
    {"done": 80, "cancelled": 6, "delayed": 7, "in_progress": 7},
    {"done": 62, "in_progress": 17, "planned": 6, "delayed": 9, "cancelled": 6},
    {"planned": 100},
)
GROWTH = (1.0, 1.35, 1.8, 1.0)  # compounding channels grow month over month
NATURAL_GOALS = {
    "seo": ("G1", "G1", "G3"),
    "sem": ("G2",),
    "content": ("G3", "G3", "G1"),
    "event": ("G2", "G1"),
    "community": ("G4",),
    "user_ops": ("G2",),
    "partnership": ("G5",),
}
GOAL_CELL_RATE = {
    "seo": 0.5,
    "sem": 0.6,
    "content": 0.55,
    "event": 0.6,
    "community": 0.5,
    "user_ops": 0.55,
    "partnership": 0.5,
}

GOALS = {
    "en": (
        ("G1", "Organic leads", "leads", "leads", 250, "Alice Chen", None),
        ("G2", "New signups", "signups", "signups", 1400, "Ben Ortiz", None),
        ("G3", "Site traffic", "visits", "visits", 15000, "Chloe Park", None),
        ("G4", "Community growth", "followers", "followers", None, "Emma Novak", None),
        ("G5", "Partner pipeline", "activities", "activities", 8, "Farid Haddad", None),
        ("G2", "New signups", "signups", "signups", 1600, "Ben Ortiz", "2026-10"),
    ),
    "zh": (
        ("G1", "自然线索", "leads", "线索", 200, "张伟", None),
        ("G2", "新增注册", "signups", "注册", 1000, "李娜", None),
        ("G3", "官网流量", "visits", "visits", 25000, "王芳", None),
        ("G4", "社群增长", "followers", "粉丝", None, "陈静", None),
        ("G5", "合作伙伴推进", "activities", "activities", 8, "赵磊", None),
        ("G2", "新增注册", "signups", "注册", 1200, "李娜", "2026-10"),
    ),
}
RULES = {
    # (channel key, channel as typed, keyword, goal cell, principle cell)
    "en": (
        ("seo", "SEO", None, "G1", None),
        (None, None, "webinar", "G2", "execution"),
        ("community", "Community", None, "Community growth", None),
        ("partnership", "Partnership", None, "G5", None),
        (None, None, "newsletter", None, "connection"),
    ),
    "zh": (
        ("seo", "SEO", None, "G1", None),
        (None, None, "直播", "G2", "执行"),
        ("community", "社群", None, "社群增长", None),
        ("partnership", "合作", None, "G5", None),
        (None, None, "推文", None, "连接"),
    ),
}


# ------------------------------------------------------------------------------------------- generation


@dataclass
class _Draft:
    kind: str = "row"  # row | blank | total
    values: dict = field(default_factory=dict)  # canonical values, FIELDS + notes
    raw: dict = field(default_factory=dict)  # field -> what is written when it differs from the default
    unreadable: set = field(default_factory=set)
    skipped: bool = False
    mess: list = field(default_factory=list)  # (field, kind, severity, note, whole_row)

    def month(self) -> str | None:
        d = self.values.get("date")
        return f"{d:%Y-%m}" if d else None


def _excel_serial(d: date) -> int:
    return (d - date(1899, 12, 30)).days


def _month_days(month: str) -> list[date]:
    y, m = map(int, month.split("-"))
    d = date(y, m, 1)
    days = []
    while d.month == m:
        if d.weekday() < 5:
            days.append(d)
        d += timedelta(days=1)
    return days


class _Generator:
    def __init__(self, lang: str):
        self.lang = lang
        self.t = TEXT[lang]
        self.rng = random.Random(f"reportgen-samples-{lang}-2026")
        self.scale = 1 if lang == "en" else 6  # ¥ amounts are bigger numbers
        self.pools: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        self.rounds: dict[str, int] = {}
        self.used_text: set[str] = set()

    def _refill(self, ch: str) -> None:
        """All template x filler combinations, shuffled; later rounds are marked as a second wave."""
        n = self.rounds[ch] = self.rounds.get(ch, 0) + 1
        suffix = "" if n == 1 else (f" (wave {n})" if self.lang == "en" else f"（第{n}期）")
        items = []
        for typed, tpl, key in self.t["pools"][ch]:
            for filler in self.t["fill"][key]:
                items.append((typed, tpl.format(**{key: filler}) + suffix))
        self.rng.shuffle(items)
        self.pools[ch] = items

    # -- one ordinary row
    def _text(self, ch: str) -> tuple[str, str]:
        while True:
            if not self.pools.get(ch):
                self._refill(ch)
            typed, text = self.pools[ch].pop()
            if text not in self.used_text:
                self.used_text.add(text)
                return self.rng.choice(typed), text

    def _owner(self, ch: str) -> str | None:
        if self.rng.random() < 0.04:
            return None
        return self.t["owners"][self.rng.choice(self.t["affinity"][ch])]

    def _goal_cell(self, ch: str, goals: dict[str, str]) -> str | None:
        if ch not in GOAL_CELL_RATE or self.rng.random() >= GOAL_CELL_RATE[ch]:
            return None
        gid = self.rng.choice(NATURAL_GOALS[ch])
        r = self.rng.random()
        if r < 0.62:
            return gid
        if r < 0.70:
            return gid.lower()
        if r < 0.75:
            return f" {gid} "
        if r < 0.92:
            return goals[gid]
        return goals[gid].lower() if self.lang == "en" else goals[gid]

    def _money(self, lo: int, hi: int, cents: bool = False) -> Decimal:
        if cents:
            return Decimal(self.rng.randint(lo * 100, hi * 100) * self.scale) / 100
        return Decimal(self.rng.randint(lo // 10, hi // 10) * 10 * self.scale)

    def _cost(self, ch: str, status: str) -> Decimal | None:
        r = self.rng.random()
        if status == "planned":
            return None
        if status == "cancelled" and r < 0.6:
            return None
        if ch == "seo":
            return None if r < 0.5 else self._money(150, 600)
        if ch == "sem":
            return self._money(800, 4000, cents=True)
        if ch == "content":
            return None if r < 0.4 else self._money(100, 800)
        if ch == "event":
            return self._money(500, 5000)
        if ch == "community":
            return None if r < 0.6 else self._money(50, 300)
        if ch == "user_ops":
            return None if r < 0.5 else self._money(100, 1200, cents=r > 0.8)
        if ch == "partnership":
            return None if r < 0.7 else self._money(200, 1500)
        return None

    def _metrics(self, ch: str, mi: int, status: str, text: str) -> dict[str, int]:
        if status in ("planned", "cancelled"):
            return {}
        r = self.rng
        g = GROWTH[mi]
        part = 0.5 if status in ("in_progress", "delayed") else 1.0
        k = g * part
        m: dict[str, int] = {}
        if ch == "seo":
            m["impressions"] = int(r.randint(3000, 9000) * k)
            m["clicks"] = int(m["impressions"] * r.uniform(0.025, 0.045))
            m["visits"] = int(m["clicks"] * r.uniform(1.0, 1.2))
            m["leads"] = int(r.randint(2, 8) * k)
            if r.random() < 0.4:
                m["signups"] = r.randint(0, 3)
        elif ch == "sem":
            m["impressions"] = int(r.randint(5000, 30000) * part)
            m["clicks"] = int(m["impressions"] * r.uniform(0.02, 0.05))
            m["visits"] = int(m["clicks"] * r.uniform(0.85, 0.95))
            m["signups"] = int(r.randint(10, 60) * part)
            m["conversions"] = int(r.randint(1, 10) * part)
            if r.random() < 0.5:
                m["leads"] = r.randint(0, 5)
        elif ch == "content":
            m["impressions"] = int(r.randint(1500, 8000) * k)
            m["visits"] = int(r.randint(200, 1500) * k)
            m["leads"] = int(r.randint(1, 6) * k)
            if self.lang == "zh" and "公众号" in text or r.random() < 0.3:
                m["followers"] = int(r.randint(20, 200) * k)
        elif ch == "event":
            m["signups"] = int(r.randint(40, 300) * part)
            m["leads"] = int(r.randint(10, 60) * part)
            m["visits"] = int(r.randint(100, 600) * part)
            if r.random() < 0.6:
                m["conversions"] = r.randint(0, 8)
        elif ch == "community":
            m["followers"] = int(r.randint(30, 250) * part)
            if r.random() < 0.6:
                m["leads"] = r.randint(0, 10)
            if r.random() < 0.5:
                m["signups"] = r.randint(0, 15)
        elif ch == "user_ops":
            m["conversions"] = int(r.randint(5, 40) * part)
            m["revenue"] = int(r.randint(50, 800) * 10 * self.scale * part)
            if r.random() < 0.5:
                m["signups"] = r.randint(0, 20)
        elif ch == "partnership" and r.random() < 0.5:
            m["leads"] = r.randint(0, 15)
        return m

    def _status(self, mi: int) -> str:
        weights = STATUS_WEIGHTS[mi]
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def _dates(self, d: date, status: str) -> tuple[date | None, date | None]:
        r = self.rng
        due = None if r.random() < 0.08 else d + timedelta(days=r.choice((3, 5, 7, 7, 10, 14, 14, 21)))
        done_on = None
        if status == "done":
            span = (due - d).days if due else 10
            if r.random() < 0.8:
                done_on = d + timedelta(days=r.randint(0, span))
            else:
                done_on = d + timedelta(days=span + r.randint(1, 7))
            done_on = min(done_on, AS_OF)
        return due, done_on

    def _decision(self, status: str) -> str | None:
        r = self.rng
        if status == "cancelled":
            return r.choice(self.t["decisions_cancelled"]) if r.random() < 0.9 else None
        if status == "delayed":
            return r.choice(self.t["decisions_delayed"]) if r.random() < 0.9 else None
        if status == "done" and r.random() < 0.08:
            return r.choice(self.t["decisions_done"])
        return None

    def row(self, ch: str, d: date, mi: int, goals: dict[str, str]) -> _Draft:
        r = self.rng
        typed, text = self._text(ch)
        status = self._status(mi)
        due, done_on = self._dates(d, status)
        values = {name: None for name in COLUMNS}
        values.update(
            date=d,
            channel=ch,
            activity=text,
            owner=self._owner(ch),
            goal=self._goal_cell(ch, goals),
            status=status,
            due=due,
            done_on=done_on,
            cost=self._cost(ch, status),
            decision=self._decision(status),
            lesson=r.choice(self.t["lessons"]) if status != "planned" and r.random() < 0.1 else None,
            notes=r.choice(self.t["notes"]) if r.random() < 0.08 else None,
        )
        for name, v in self._metrics(ch, mi, status, text).items():
            values[name] = Decimal(v)
        return _Draft(values=values, raw={"channel": typed, "status": r.choice(self.t["status"][status])})

    def initiative_rows(self, goals: dict[str, str]) -> list[_Draft]:
        out = []
        owner = self.t["owners"][5]
        for name, steps in self.t["initiatives"]:
            for when, stage, text, status, due_in, done_in in steps:
                d = date.fromisoformat(when)
                values = {n: None for n in COLUMNS}
                values.update(
                    date=d,
                    channel="partnership",
                    activity=text,
                    owner=owner,
                    initiative=name,
                    stage=stage,
                    status=status,
                    due=d + timedelta(days=due_in),
                    done_on=d + timedelta(days=done_in) if done_in is not None else None,
                    goal="G5" if self.rng.random() < 0.5 else None,
                )
                if status == "done" and self.rng.random() < 0.6:
                    values["leads"] = Decimal(self.rng.randint(2, 12))
                if status == "done" and stage in ("Tech", "技术"):
                    values["cost"] = self._money(300, 900)
                if status == "delayed":
                    values["decision"] = self.t["stalled_decision"]
                self.used_text.add(text)
                typed = self.rng.choice(self.t["initiative_channel"])
                out.append(
                    _Draft(
                        values=values,
                        raw={"channel": typed, "status": self.rng.choice(self.t["status"][status])},
                    )
                )
        return out


def _pick(rows: list[_Draft], used: set[int], pred, at: float = 0.0) -> _Draft:
    """First row from position ``at`` (a fraction of the list) that satisfies pred and is not used yet."""
    start = int(len(rows) * at)
    for d in rows[start:] + rows[:start]:
        if id(d) not in used and d.kind == "row" and d.values.get("initiative") is None and pred(d.values):
            used.add(id(d))
            return d
    raise RuntimeError("no row fits a deliberate mess item")


@functools.cache
def _build(lang: str):
    info = SAMPLES[lang]
    gen = _Generator(lang)
    goal_names = {g[0]: g[1] for g in GOALS[lang]}
    rng = gen.rng

    drafts: list[_Draft] = []
    for mi, month in enumerate(MONTHS):
        days = _month_days(month)
        if month == "2026-11":
            days = [d for d in days if d > AS_OF and d.day <= 27]
        weights = dict(CHANNEL_WEIGHTS)
        if lang == "zh" and month in ("2026-10", "2026-11"):
            weights.pop("seo")  # the compounding channel paused in October (zh sample only)
        for _ in range(MONTH_SIZES[lang][mi]):
            ch = rng.choices(list(weights), weights=list(weights.values()))[0]
            drafts.append(gen.row(ch, rng.choice(days), mi, goal_names))
    drafts.extend(gen.initiative_rows(goal_names))
    drafts.sort(key=lambda d: d.values["date"])  # people log in date order; stable for same-day rows

    used: set[int] = set()
    by_month = {m: [d for d in drafts if d.month() == m] for m in MONTHS}
    sep, octo = by_month["2026-09"], by_month["2026-10"]
    zh = lang == "zh"

    def mess(d: _Draft, fld, kind, severity, note, whole_row=False):
        d.mess.append((fld, kind, severity, note, whole_row))

    # ---- benign mess: values typed as text that reportgen must read right
    d = _pick(octo, used, lambda v: True, 0.03)
    d.raw["date"] = d.values["date"].isoformat()
    mess(d, "date", "text_date_iso", None, "date typed as ISO text")
    d = _pick(octo, used, lambda v: v["date"].day <= 9, 0.06)
    d.raw["date"] = f"{d.values['date'].year}/{d.values['date'].month}/{d.values['date'].day}"
    mess(d, "date", "text_date_slash", None, "date typed as Y/M/D text")
    d = _pick(octo, used, lambda v: True, 0.25)
    d.raw["date"] = str(_excel_serial(d.values["date"]))
    mess(d, "date", "text_date_serial", None, "date typed as an Excel serial number in text")
    d = _pick(sep, used, lambda v: v["date"].day >= 10, 0.5)
    d.raw["date"] = f"{d.values['date'].year}/{d.values['date'].month}/{d.values['date'].day}"
    mess(d, "date", "text_date_slash", None, "date typed as Y/M/D text")
    if zh:
        for rows, at in ((octo, 0.4), (sep, 0.3)):
            d = _pick(rows, used, lambda v: True, at)
            dd = d.values["date"]
            d.raw["date"] = f"{dd.year}年{dd.month}月{dd.day}日"
            mess(d, "date", "text_date_cn", None, "date typed as Chinese date text")
    d = _pick(octo, used, lambda v: v["due"] is not None, 0.45)
    d.raw["due"] = d.values["due"].isoformat()
    mess(d, "due", "text_date_iso", None, "due date typed as ISO text")

    money_text = (
        [
            ("sem", "1200.50", "¥1,200.50"),
            ("event", "1200", "1200元"),
            ("community", "300", "RMB 300"),
            ("content", "2400", "¥2,400"),
        ]
        if zh
        else [
            ("sem", "1200.50", "$1,200.50"),
            ("community", "80", "$80"),
            ("content", "350.75", "$350.75"),
            ("event", "2400", "$2,400"),
        ]
    )
    for i, (ch, amount, written) in enumerate(money_text):
        rows = sep if i == 3 else octo
        d = _pick(rows, used, lambda v, ch=ch: v["channel"] == ch and v["status"] == "done", 0.15 + 0.2 * i)
        d.values["cost"] = Decimal(amount)
        d.raw["cost"] = written
        mess(d, "cost", "money_text", None, "money typed as text")

    d = _pick(octo, used, lambda v: v["channel"] in ("seo", "content") and v["visits"] is not None, 0.5)
    d.values["visits"] = Decimal(1234)
    d.raw["visits"] = "1,234"
    mess(d, "visits", "number_text", None, "number typed as text with a thousands separator")
    d = _pick(sep, used, lambda v: v["channel"] == "seo" and v["impressions"] is not None, 0.2)
    d.values["impressions"] = Decimal(12480)
    d.raw["impressions"] = "12,480"
    mess(d, "impressions", "number_text", None, "number typed as text with a thousands separator")

    # principle cells typed by hand (key or name, either language)
    principle_cells = (
        [
            ("content", "执行"),
            ("event", "连接"),
            ("partnership", "层次"),
            ("community", "延迟满足"),
            ("sem", "execution"),
        ]
        if zh
        else [
            ("content", "execution"),
            ("event", "Connection"),
            ("partnership", "层次"),
            ("community", "deferred_payoff"),
            ("seo", "延迟满足"),
        ]
    )
    for i, (ch, cell) in enumerate(principle_cells):
        rows = (sep, octo)[i % 2]
        d = _pick(rows, used, lambda v, ch=ch: v["channel"] == ch, 0.1 + 0.15 * i)
        d.values["principle"] = cell

    # ---- errors: values that cannot be read
    d = _pick(octo, used, lambda v: v["cost"] is not None, 0.55)
    d.values["cost"] = None
    d.unreadable.add("cost")
    d.raw["cost"] = "abc"
    mess(d, "cost", "unreadable_money", "error", "cost cell holds 'abc'")
    d = _pick(octo, used, lambda v: v["cost"] is not None, 0.7)
    d.values["cost"] = None
    d.unreadable.add("cost")
    d.raw["cost"] = "$80" if zh else "¥80"
    mess(d, "cost", "wrong_currency", "error", "money in another currency than the sheet's; left out of cost")
    d = _pick(sep, used, lambda v: v["leads"] is not None, 0.6)
    d.values["leads"] = None
    d.unreadable.add("leads")
    d.raw["leads"] = "待定" if zh else "tbd"
    mess(d, "leads", "unreadable_number", "error", "metric cell holds a placeholder word")

    # ---- warnings: used but suspicious
    d = _pick(octo, used, lambda v: v["status"] == "done" and v["due"] is not None, 0.42)
    d.values["done_on"] = None
    mess(d, "done_on", "done_without_done_date", "warning", "status done but no done date", True)
    d = _pick(octo, used, lambda v: v["status"] == "done" and v["date"].day >= 26)
    d.values["done_on"] = date(2026, 11, 12)
    d.values["due"] = d.values["date"] + timedelta(days=21)
    mess(d, "done_on", "done_in_future", "warning", "done date after the as-of date 2026-11-03")
    d = _pick(sep, used, lambda v: v["status"] == "done" and v["due"] is not None, 0.7)
    d.values["due"] = d.values["date"] - timedelta(days=4)
    mess(d, "due", "due_before_date", "warning", "due date before the activity date", True)
    d = _pick(octo, used, lambda v: v["goal"] is not None, 0.65)
    d.values["goal"] = "G9"
    mess(d, "goal", "undefined_goal", "warning", "goal cell names G9, which the Goals sheet does not define")

    # misses: make sure a couple in October have no recorded decision, the rest have one
    misses = [
        d for d in octo if d.values["status"] in ("cancelled", "delayed") and d.values["initiative"] is None
    ]
    for i, d in enumerate(misses):
        if i in (1, 4):
            d.values["decision"] = None
        elif d.values["decision"] is None:
            key = "decisions_cancelled" if d.values["status"] == "cancelled" else "decisions_delayed"
            d.values["decision"] = gen.t[key][i % len(gen.t[key])]

    # ---- inserted rows
    # an impossible date (row skipped, error)
    anchor = _pick(octo, used, lambda v: True, 0.5)
    bad = gen.row("sem", anchor.values["date"], 2, goal_names)
    bad.values["date"] = None
    bad.unreadable.add("date")
    bad.skipped = True
    bad.raw["date"] = "31/02/2026"
    mess(bad, "date", "impossible_date", "error", "date 31/02/2026 does not exist; the row cannot be used")
    drafts.insert(drafts.index(anchor) + 1, bad)

    # an unknown channel (warning, mapped to other)
    anchor = _pick(sep, used, lambda v: True, 0.55)
    typed, text = gen.t["podcast"]
    pod = _Draft(
        values={n: None for n in COLUMNS}, raw={"channel": typed, "status": gen.t["status"]["done"][0]}
    )
    pod.values.update(
        date=anchor.values["date"],
        channel="other",
        activity=text,
        owner=gen.t["owners"][2],
        status="done",
        due=anchor.values["date"] + timedelta(days=7),
        done_on=anchor.values["date"] + timedelta(days=6),
        impressions=Decimal(2400 * (1 if lang == "en" else 3)),
        followers=Decimal(35),
    )
    mess(pod, "channel", "unknown_channel", "warning", f"channel '{typed}' is not a known channel (other)")
    drafts.insert(drafts.index(anchor) + 1, pod)

    # a duplicate row (counted twice, warning)
    orig = _pick(
        octo, used, lambda v: v["status"] == "done" and v["goal"] is not None and v["cost"] is not None, 0.3
    )
    dup = _Draft(values=dict(orig.values), raw=dict(orig.raw))
    mess(dup, None, "duplicate_row", "warning", "exact copy of the row above (pasted twice)", True)
    drafts.insert(drafts.index(orig) + 1, dup)

    # a blank row in the middle (info)
    anchor = _pick(sep, used, lambda v: True, 0.4)
    blank = _Draft(kind="blank")
    mess(blank, None, "blank_row", "info", "empty row in the middle of the data", True)
    drafts.insert(drafts.index(anchor) + 1, blank)

    # a totals row at the bottom (info)
    total = _Draft(kind="total")
    total.values["cost"] = sum(
        (d.values["cost"] or Decimal(0) for d in drafts if d.kind == "row" and not d.skipped), Decimal(0)
    )
    mess(total, None, "totals_row", "info", "totals row ('Total' and a SUM of cost) is skipped", True)
    drafts.append(total)

    rows: list[SampleRow] = []
    messes: list[Mess] = []
    sheet = info.activities_sheet
    for i, d in enumerate(drafts):
        excel_row = FIRST_DATA_ROW + i
        for fld, kind, severity, note, whole_row in d.mess:
            column = COLUMN_LETTER[fld] if fld else "A"
            written = d.raw.get(fld) if fld else ""
            if fld and fld not in d.raw:
                written = d.values.get(fld)
            messes.append(
                Mess(
                    sheet=sheet,
                    cell=f"{column}{excel_row}",
                    row=excel_row,
                    field=fld,
                    kind=kind,
                    severity=severity,
                    written="" if written is None else str(written),
                    note=note,
                    whole_row=whole_row,
                )
            )
        if d.kind != "row":
            continue
        v = {n: d.values[n] for n in COLUMNS}
        rows.append(
            SampleRow(excel_row=excel_row, unreadable=frozenset(d.unreadable), skipped=d.skipped, **v)
        )

    notes_col = COLUMN_LETTER["notes"]
    messes.append(
        Mess(
            sheet=sheet,
            cell=f"{notes_col}{HEADER_ROW}",
            row=HEADER_ROW,
            field=None,
            kind="unknown_column",
            severity="info",
            written=HEADERS[lang][-1],
            note="a column reportgen does not know; kept and ignored",
        )
    )

    goals = []
    for i, (gid, name, metric, metric_cell, target, owner, month) in enumerate(GOALS[lang]):
        goals.append(
            SampleGoal(
                excel_row=2 + i,
                id=gid,
                name=name,
                metric=metric,
                metric_cell=metric_cell,
                target=None if target is None else Decimal(target),
                owner=owner,
                month=month,
            )
        )
        if target is None:
            messes.append(
                Mess(
                    sheet=info.goals_sheet,
                    cell=f"D{2 + i}",
                    row=2 + i,
                    field="target",
                    kind="goal_without_target",
                    severity="warning",
                    written="",
                    note=f"goal {gid} has no target",
                    whole_row=True,
                )
            )
    rules = [
        SampleRule(excel_row=2 + i, channel=ch, channel_cell=typed, keyword=kw, goal=goal, principle=pr)
        for i, (ch, typed, kw, goal, pr) in enumerate(RULES[lang])
    ]
    return drafts, rows, goals, rules, messes


def sample_rows(lang: str) -> list[SampleRow]:
    """Every activity row written to the sample's activity sheet, in sheet order (skipped rows included)."""
    return list(_build(lang)[1])


def sample_goals(lang: str) -> list[SampleGoal]:
    return list(_build(lang)[2])


def sample_rules(lang: str) -> list[SampleRule]:
    """The Rules sheet rows, in order (reportgen.toml rules come after them)."""
    return list(_build(lang)[3])


def sample_commentary(lang: str) -> list[tuple[str, str | None, str]]:
    """The Commentary sheet rows, in order: (section as typed, month or None, text)."""
    return list(COMMENTARY[lang])


def sample_mess(lang: str) -> list[Mess]:
    """Every deliberate irregularity, with its sheet and cell; ``severity`` None means 'must just be read'."""
    return list(_build(lang)[4])


# ---------------------------------------------------------------------------------------------- writing


def _written(d: _Draft, name: str, lang: str):
    if name in d.raw:
        return d.raw[name]
    v = d.values.get(name)
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    return v


def build_workbook(lang: str):
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    info = SAMPLES[lang]
    drafts, _rows, goals, rules, _messes = _build(lang)
    zh = lang == "zh"
    wb = Workbook()
    wb.properties.creator = "make_samples.py"
    wb.properties.title = info.title

    readme = wb.active
    readme.title = info.readme_sheet
    lines = (
        (
            "说明",
            "每项工作记一行；渠道、状态按习惯填写即可。",
            "目标填目标编号或名称；原则可留空。",
            "“目标”页写月度目标，“规则”页写自动归类规则。",
        )
        if zh
        else (
            "How to use this log",
            "One row per task; type channel and status the way you usually do.",
            "Goal: the goal's ID or name. Principle: leave blank unless you want to override.",
            "Monthly targets live on the Goals sheet; auto-tagging rules on the Rules sheet.",
        )
    )
    for i, line in enumerate(lines, 1):
        readme.cell(i, 1, line).font = Font(bold=i == 1)
    readme.column_dimensions["A"].width = 90

    ws = wb.create_sheet(info.activities_sheet)
    ncols = len(COLUMNS)
    ws.cell(TITLE_ROW, 1, info.title).font = Font(bold=True, size=14)
    ws.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=ncols)
    ws.cell(SUBTITLE_ROW, 1, info.subtitle).font = Font(italic=True, color="666666")
    ws.merge_cells(start_row=SUBTITLE_ROW, start_column=1, end_row=SUBTITLE_ROW, end_column=8)
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    for c, text in enumerate(HEADERS[lang], 1):
        cell = ws.cell(HEADER_ROW, c, text)
        cell.font = Font(bold=True)
        cell.fill = head_fill
        cell.alignment = Alignment(horizontal="center")
    date_fmt = "yyyy/m/d" if zh else "yyyy-mm-dd"
    done_fmt = 'yyyy"年"m"月"d"日"' if zh else "yyyy-mm-dd"
    money_fmt = '"¥"#,##0.00' if zh else '"$"#,##0.00'
    for i, d in enumerate(drafts):
        r = FIRST_DATA_ROW + i
        if d.kind == "blank":
            continue
        if d.kind == "total":
            ws.cell(r, 1, "合计" if zh else "Total").font = Font(bold=True)
            c = ws.cell(r, COLUMNS.index("cost") + 1, float(d.values["cost"]))
            c.number_format = money_fmt
            c.font = Font(bold=True)
            continue
        for c, name in enumerate(COLUMNS, 1):
            value = _written(d, name, lang)
            if value is None:
                continue
            cell = ws.cell(r, c, value)
            if isinstance(value, date):
                cell.number_format = done_fmt if name == "done_on" else date_fmt
            elif isinstance(value, int | float):
                cell.number_format = money_fmt if name == "cost" else "#,##0"
    last = FIRST_DATA_ROW + len(drafts) - 1
    ws.freeze_panes = ws.cell(FIRST_DATA_ROW, 4)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{col_letter(ncols)}{last - 1}"
    widths = {
        "date": 12,
        "channel": 12,
        "activity": 46,
        "owner": 14,
        "decision": 40,
        "initiative": 26,
        "lesson": 40,
        "notes": 22,
    }
    for name, letter in COLUMN_LETTER.items():
        ws.column_dimensions[letter].width = widths.get(name, 11)

    gs = wb.create_sheet(info.goals_sheet)
    for c, text in enumerate(GOAL_HEADERS[lang], 1):
        gs.cell(1, c, text).font = Font(bold=True)
    for g in goals:
        values = (g.id, g.name, g.metric_cell, None if g.target is None else int(g.target), g.owner, g.month)
        for c, value in enumerate(values, 1):
            if value is not None:
                gs.cell(g.excel_row, c, value)
    gs.column_dimensions["B"].width = 20

    rs = wb.create_sheet(info.rules_sheet)
    for c, text in enumerate(RULE_HEADERS[lang], 1):
        rs.cell(1, c, text).font = Font(bold=True)
    for rule in rules:
        for c, value in enumerate((rule.channel_cell, rule.keyword, rule.goal, rule.principle), 1):
            if value is not None:
                rs.cell(rule.excel_row, c, value)

    cs = wb.create_sheet(info.commentary_sheet)
    for c, text in enumerate(COMMENTARY_HEADERS[lang], 1):
        cs.cell(1, c, text).font = Font(bold=True)
    for r, note in enumerate(COMMENTARY[lang], 2):
        for c, value in enumerate(note, 1):
            if value is not None:
                cs.cell(r, c, value)
    cs.column_dimensions["C"].width = 90

    wb.active = wb.sheetnames.index(info.activities_sheet)
    return wb


_FIXED_TIME = "2026-11-03T00:00:00Z"


def _deterministic_zip(data: bytes) -> bytes:
    """Rewrite the xlsx with fixed timestamps so the same script always gives the same bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                text = content.decode("utf-8")
                text = re.sub(
                    r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)", rf"\g<1>{_FIXED_TIME}\g<3>", text
                )
                content = text.encode("utf-8")
            info = zipfile.ZipInfo(item.filename, date_time=(2026, 11, 3, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, content)
    return out.getvalue()


def write_samples(outdir: Path) -> list[Path]:
    outdir.mkdir(parents=True, exist_ok=True)
    paths = []
    for lang, info in SAMPLES.items():
        buf = io.BytesIO()
        build_workbook(lang).save(buf)
        path = outdir / info.filename
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(_deterministic_zip(buf.getvalue()))
        tmp.replace(path)
        paths.append(path)
    return paths


def main(argv: list[str]) -> int:
    if len(argv) > 1 or (argv and argv[0] in ("-h", "--help")):
        print(__doc__.strip().splitlines()[2])
        return 2 if len(argv) > 1 else 0
    outdir = Path(argv[0]) if argv else Path(__file__).resolve().parent
    for path in write_samples(outdir):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
