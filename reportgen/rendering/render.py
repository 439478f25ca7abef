"""The review as HTML: the typed context (context/) through the one Jinja environment, and the charts the
page places. Cell text goes into the page only as escaped text, never into an attribute, a URL or a style."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from markupsafe import Markup

from reportgen.base.model import CellRef, Channel, Severity, Status
from reportgen.base.model import Finding as ModelFinding
from reportgen.figures.kpis import named
from reportgen.figures.review import Review
from reportgen.figures.trends import KpiTrends
from reportgen.rendering import charts
from reportgen.rendering.context import ReviewContext
from reportgen.rendering.context.common import PHRASE_LINES, PHRASE_WIDTH, bounded, trend_charts
from reportgen.rendering.pdf import Asset
from reportgen.rendering.templates import environment
from reportgen.wording.format import Formatter


def render_html(
    context: ReviewContext,
    stylesheet_url: str,
    override: Path | None = None,
    inline_css: str | None = None,
    chart_alts: Mapping[str, str] | None = None,
) -> str:
    """The review page. For the PDF the stylesheet and charts are URLs the PDF's fetcher serves; for the web
    page (`inline_css` given) the stylesheet is inlined and the charts are data: URLs. The template sees the
    context as `review`, the catalogue's sentences as `text(code, **params)` and each chart's alt text (its
    data in words, `chart_alts(review)`) as `chart_alts[name]`."""
    template = environment(override).get_template("review.html")
    css = Markup(inline_css) if inline_css is not None else None  # our stylesheet, never cell text
    return template.render(
        review=context,
        text=context.words.text,
        stylesheet=stylesheet_url,
        inline_css=css,
        chart_alts=chart_alts or {},
    )


def chart_names(review: Review) -> list[str]:
    """The charts this review has; one with no data is left out (its section says so in words instead)."""
    names = []
    if review.current.goals:
        names.append("goal_attainment")
        if any(goal.channels for goal in review.current.goals):
            names.append("channel_mix")
    if review.rows:
        names.append("status_by_channel")
    if review.trends:
        names.append("compounding")
    names += [*trend_charts(review).values(), *trend_charts(review, wide=True).values()]
    return names


def goal_label(goal_id: str, name: str) -> str:
    """A goal as a chart labels it: its id and name, bounded like a name in a sentence (the chart wraps it
    to two lines; a Goals cell of 32,767 characters must not reach matplotlib's layout or the alt text)."""
    return bounded(f"{goal_id} {name}", PHRASE_WIDTH, PHRASE_LINES)


def _goal_percent(review: Review, fmt: Formatter) -> Callable[[float], str]:
    """The goal chart's percentages: the goal table's one precision (connection_context), which the whole
    chart keeps, axis included (100.0% beside 94.1%, never 100% beside 94.1%)."""
    return fmt.percents(goal.attainment for goal in review.current.goals)


def _mix_percent(review: Review, fmt: Formatter) -> Callable[[float], str]:
    """The channel-mix chart's percentages: every share of every goal, and the axis, with one precision."""
    shares = [
        count / total
        for goal in review.current.goals
        if (total := sum(goal.channels.values()))
        for count in goal.channels.values()
    ]
    return fmt.percents(shares)


def _goal_rows(review: Review, fmt: Formatter) -> list[tuple[str, float | None, str]]:
    return [
        (
            goal_label(goal.id, goal.name),
            goal.attainment,
            f"{fmt.number(goal.actual)} / {fmt.number(goal.target)}",
        )
        for goal in review.current.goals
    ]


def _mix_rows(review: Review) -> list[tuple[str, dict[str, float]]]:
    return [
        (goal_label(goal.id, goal.name), {c.value: n for c, n in goal.channels.items()})
        for goal in review.current.goals
    ]


def _status_rows(review: Review, fmt: Formatter) -> list[tuple[str, dict[str, int]]]:
    by_channel: dict[Channel, dict[str, int]] = {}
    for row in review.rows:
        counts = by_channel.setdefault(row.activity.channel, {})
        counts[row.activity.status.value] = counts.get(row.activity.status.value, 0) + 1
    ordered = sorted(by_channel.items(), key=lambda item: -sum(item[1].values()))
    return [(fmt.channel(channel), counts) for channel, counts in ordered]


def _compounding_series(review: Review, fmt: Formatter) -> list[charts.CompoundingSeries]:
    return [
        charts.CompoundingSeries(
            channel=f"{fmt.channel(trend.channel)} · {fmt.metric(trend.result_metric)}",
            months=[entry.month for entry in trend.months],
            cumulative_cost=[float(entry.cumulative_cost) for entry in trend.months],
            cumulative_results=[float(entry.cumulative_results) for entry in trend.months],
            cost_per_result=[
                float(entry.cost_per_result) if entry.cost_per_result is not None else None
                for entry in trend.months
            ],
        )
        for trend in review.trends
    ]


def review_charts(review: Review) -> dict[str, Asset]:
    """The charts the template places, as assets by name (exactly `chart_names(review)`)."""
    fmt = Formatter(review.lang, review.checked.currency)
    words = fmt.words
    names = chart_names(review)
    made: dict[str, charts.Chart] = {}
    if "goal_attainment" in names:
        made["goal_attainment"] = charts.goal_attainment(
            _goal_rows(review, fmt),
            percent=_goal_percent(review, fmt),  # the goal table's: the bar says 94.1% where the table does
            target_label=words.text("review.connection.target_line"),
            no_target_label=words.text("review.connection.no_target"),
            legend=(words.text("review.connection.met"), words.text("review.connection.below")),
        )
    if "channel_mix" in names:
        made["channel_mix"] = charts.channel_mix(
            _mix_rows(review),
            {channel.value: fmt.channel(channel) for channel in Channel},
            percent=_mix_percent(review, fmt),
        )
    if "status_by_channel" in names:
        made["status_by_channel"] = charts.status_by_channel(
            _status_rows(review, fmt), {status.value: fmt.status(status) for status in Status}, width_mm=170
        )
    if "compounding" in names:
        made["compounding"] = charts.compounding(
            _compounding_series(review, fmt),
            cost_label=words.text("review.deferred.cost_label"),
            result_label=words.text("review.deferred.result_label"),
            cpr_label=words.text("review.deferred.cpr_label"),
            currency=review.checked.currency,
            month_label=fmt.month_short,
            unit_label=words.text("review.with_unit", label="{label}", unit="{unit}"),
        )
    if review.kpi_trends is not None:
        made.update(kpi_trend_charts(review, review.kpi_trends, fmt))
    return {name: Asset(chart.data, chart.mime) for name, chart in made.items()}


def chart_alts(review: Review) -> dict[str, str]:
    """Each chart's data in words, in the review's language, by chart name: the alt text of its <img> (a
    tagged PDF's /Alt, what a screen reader says), computed from the same rows the chart is drawn from but
    without drawing it, so the page can be written while the charts are still being drawn."""
    fmt = Formatter(review.lang, review.checked.currency)
    words = fmt.words
    names = chart_names(review)
    data: dict[str, str] = {}
    if "goal_attainment" in names:
        data["goal_attainment"] = charts.goal_attainment_alt(
            _goal_rows(review, fmt),
            percent=_goal_percent(review, fmt),
            no_target_label=words.text("review.connection.no_target"),
        )
    if "channel_mix" in names:
        labels = {channel.value: fmt.channel(channel) for channel in Channel}
        data["channel_mix"] = charts.channel_mix_alt(
            _mix_rows(review), labels, percent=_mix_percent(review, fmt)
        )
    if "status_by_channel" in names:
        labels = {status.value: fmt.status(status) for status in Status}
        data["status_by_channel"] = charts.status_by_channel_alt(_status_rows(review, fmt), labels)
    if "compounding" in names:
        data["compounding"] = charts.compounding_alt(
            _compounding_series(review, fmt),
            cost_label=words.text("review.deferred.cost_label"),
            result_label=words.text("review.deferred.result_label"),
            cpr_label=words.text("review.deferred.cpr_label"),
            currency=review.checked.currency,
        )
    alts = {name: words.text(f"review.chart_alt.{name}", data=text) for name, text in data.items()}
    if review.kpi_trends is not None:
        trends = review.kpi_trends
        start = trends.first_known
        for wide in (False, True):
            for kpi, name in trend_charts(review, wide=wide).items():
                text = charts.trend_alt(
                    list(trends.months[start:]),
                    trends.values(kpi)[start:],
                    label=fmt.kpi(kpi),
                    month_label=fmt.month_short,
                    value_text=fmt.kpi_values(named(kpi), trends.values(kpi)),
                )
                alts[name] = words.text("review.chart_alt.trend", data=text)
    return alts


CARD_TREND_MM = (24.0, 12.0)  # a cover card's sparkline (review.css: figure.kpi-trend img)
SECTION_TREND_MM = (70.0, 12.0)  # a section's trend line (review.css: figure.trend-chart img)


def kpi_trend_charts(review: Review, trends: KpiTrends, fmt: Formatter) -> dict[str, charts.Chart]:
    """Each headline KPI's twelve months: a sparkline for its cover card, a wider line for its section."""
    made: dict[str, charts.Chart] = {}
    start = trends.first_known
    for wide, size in ((False, CARD_TREND_MM), (True, SECTION_TREND_MM)):
        for kpi, name in trend_charts(review, wide=wide).items():
            made[name] = charts.trend(
                list(trends.months[start:]),
                trends.values(kpi)[start:],
                label=fmt.kpi(kpi),
                month_label=fmt.month_short,
                value_text=fmt.kpi_values(named(kpi), trends.values(kpi)),
                width_mm=size[0],
                height_mm=size[1],
            )
    return made


TEXT_FIELDS = ("activity", "owner", "decision", "lesson", "initiative", "stage")


def glyph_findings(review: Review, drawable: frozenset[int]) -> list[ModelFinding]:
    """A warning for every cell of the month whose text has characters the bundled fonts cannot draw; the page
    shows '?' for them instead of an empty box."""
    checked = review.checked
    findings: list[ModelFinding] = []
    rows = [*review.rows, *review.next_rows]
    fields = [name for name in TEXT_FIELDS if name in checked.columns]
    used = set().union(*(getattr(row.activity, name) or "" for row in rows for name in fields))
    if all(ord(char) in drawable or char.isspace() for char in used):
        return findings  # the usual case, decided by one pass over the month's distinct characters
    for row in rows:
        for field_name in fields:
            text = getattr(row.activity, field_name)
            if not text:
                continue
            missing = sorted({char for char in text if ord(char) not in drawable and not char.isspace()})
            if missing:
                ref = CellRef.at(checked.sheet, row.activity.row, checked.columns[field_name])
                findings.append(
                    ModelFinding("missing_glyph", Severity.WARNING, ref, {"chars": " ".join(missing)})
                )
    return findings


def replace_undrawable(html: str, drawable: frozenset[int]) -> str:
    """Characters no bundled font has become '?': markup and our own text are always drawable."""
    missing = {ord(char): "?" for char in set(html) if ord(char) not in drawable and not char.isspace()}
    return html.translate(missing) if missing else html
