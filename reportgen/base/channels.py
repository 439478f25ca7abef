"""Every channel's facts in one table: the words people type for it (either language), the principle a row of
it serves when nothing else decides, whether its value accumulates by default (`[channels] compounding`), its
colour in the charts. Its label is the catalogue's `channel.<value>`. To add a channel: a `Channel` member in
model.py, a row here, and its label in both catalogues."""

from __future__ import annotations

from dataclasses import dataclass

from reportgen.base.model import Channel, Principle

# Paul Tol's muted scheme (colour-blind safe); `other` is the charts' neutral grey
TOL_MUTED = {
    "indigo": "#332288",
    "cyan": "#88CCEE",
    "teal": "#44AA99",
    "green": "#117733",
    "olive": "#999933",
    "sand": "#DDCC77",
    "rose": "#CC6677",
    "wine": "#882255",
    "purple": "#AA4499",
}
GREY = "#999999"


@dataclass(frozen=True, slots=True)
class ChannelFacts:
    channel: Channel
    words: tuple[str, ...]  # what a channel cell may say, besides the channel's own code
    principle: Principle  # the principle a row serves when no cell or rule decides it
    compounding: bool  # its value accumulates: section 3 follows it unless `[channels] compounding` says else
    colour: str


CHANNELS: tuple[ChannelFacts, ...] = (
    ChannelFacts(
        Channel.SEO,
        ("seo", "organic search", "搜索优化", "自然搜索"),
        Principle.DEFERRED_PAYOFF,
        compounding=True,
        colour=TOL_MUTED["indigo"],
    ),
    ChannelFacts(
        Channel.SEM,
        ("sem", "ppc", "paid search", "ads", "paid", "投放", "竞价", "广告", "信息流"),
        Principle.EXECUTION,
        compounding=False,
        colour=TOL_MUTED["rose"],
    ),
    ChannelFacts(
        Channel.CONTENT,
        (
            "content",
            "article",
            "articles",
            "blog",
            "soft article",
            "文章",
            "内容",
            "公众号",
            "软文",
            "公众号文章",
        ),
        Principle.DEFERRED_PAYOFF,
        compounding=True,
        colour=TOL_MUTED["olive"],
    ),
    ChannelFacts(
        Channel.EVENT,
        (
            "event",
            "events",
            "webinar",
            "conference",
            "meetup",
            "live",
            "livestream",
            "会议",
            "活动",  # a channel cell, never a header: the activity column's header 活动 is matched elsewhere
            "直播",
            "线下活动",
            "沙龙",
            "展会",
            "活动/会议",  # the review's own name for the channel
        ),  # fmt: skip
        Principle.EXECUTION,
        compounding=False,
        colour=TOL_MUTED["wine"],
    ),
    ChannelFacts(
        Channel.COMMUNITY,
        ("community", "wechat group", "group", "groups", "微信群", "社群", "社区"),
        Principle.CONNECTION,
        compounding=False,
        colour=TOL_MUTED["cyan"],
    ),
    ChannelFacts(
        Channel.USER_OPS,
        ("user ops", "user operations", "userops", "crm", "lifecycle", "用户运营", "会员运营"),
        Principle.CONNECTION,
        compounding=False,
        colour=TOL_MUTED["purple"],
    ),
    ChannelFacts(
        Channel.PARTNERSHIP,
        (
            "partnership",
            "partnerships",
            "partner",
            "bd",
            "business development",
            "商务",
            "合作",
            "渠道合作",
            "商务合作",  # the review's own name for the channel
        ),  # fmt: skip
        Principle.CONNECTION,
        compounding=False,
        colour=TOL_MUTED["sand"],
    ),
    ChannelFacts(Channel.OTHER, ("other", "其他"), Principle.CONNECTION, compounding=False, colour=GREY),
)
FACTS: dict[Channel, ChannelFacts] = {facts.channel: facts for facts in CHANNELS}
COMPOUNDING: tuple[Channel, ...] = tuple(facts.channel for facts in CHANNELS if facts.compounding)
"""The default of `[channels] compounding`."""
