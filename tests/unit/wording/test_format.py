"""Locale-aware formatting: numbers, money, rates, dates and sentence parameters per language."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from reportgen.base.model import Channel
from reportgen.figures.overlooked import Money, Points, Rate
from reportgen.wording.format import Formatter


def test_numbers_money_rates_and_dates_per_language() -> None:
    en, zh = Formatter("en", "$"), Formatter("zh", "¥")
    assert en.money(Decimal("353901.74")) == "$353,902" and en.money(Decimal("12.5")) == "$12.50"
    assert zh.money(Decimal(-1200)) == "-¥1,200"
    assert en.percent(0.995) == "99.5%" and en.percent(0.4483) == "45%" and en.percent(None) == "—"
    assert (en.percent(0.925), en.percent(0.075)) == ("92.5%", "7.5%")  # a split reads the same at both ends
    assert en.percent(0.95) == "95%"
    assert en.points(-22.2) == "−22.2 pp" and zh.points(3) == "+3 个百分点"
    assert en.date(dt.date(2026, 10, 5)) == "Oct 5, 2026" and zh.date(dt.date(2026, 10, 5)) == "2026年10月5日"
    assert en.month("2026-10") == "October 2026" and zh.month("2026-10") == "2026年10月"
    assert zh.channel(Channel.SEM) == "投放" and en.metric("signups") == "sign-ups"


def test_sentence_parameters_are_formatted_by_type() -> None:
    zh = Formatter("zh", "¥")
    text = zh.say("overlooked.no_goal", {"count": 7, "cost": Money(Decimal("26557.2")), "share": Rate(0.075)})
    assert text == "7 项工作没有关联任何目标，花费 ¥26,557（占本月费用的 7.5%）。"
    assert "−3 个百分点" in zh.say(
        "takeaway.completion_down", {"rate": Rate(0.6), "previous": Rate(0.63), "change": Points(-3)}
    )
