"""The roll-up as a PDF, in the team review's style: the figures (figures/rollup.py) worded from the catalogue
(`[rollup]`), laid out by templates/rollup.html over review.css and rollup.css, through the same WeasyPrint
set-up as a review. The charts are cheap on purpose so 200 teams stay fast: each team's sparkline is a small
SVG written here, and the attainment chart is bars in HTML, grouped by page."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from reportgen import __version__
from reportgen.base.config import Config
from reportgen.base.model import Channel
from reportgen.figures.claims import Claim
from reportgen.figures.document import FIGURES_ATTACHMENT, dumps
from reportgen.figures.overlooked import Money
from reportgen.figures.rollup import (
    BUCKET_ORDER,
    CITE,
    Change,
    Rollup,
    TeamRow,
    TeamStatus,
    rollup_document,
)
from reportgen.rendering import pdf
from reportgen.rendering.background import Background, LazyCharts
from reportgen.rendering.context.common import bounded, cell_text
from reportgen.rendering.templates import environment, templates_folder
from reportgen.wording.format import Formatter
from reportgen.wording.text import department_name

CHART_GROUP = 45  # teams per attainment chart: one chart fills a page, more teams get more charts
SPARK_SIZE = (18.0, 6.0)  # mm
CELLS_SHOWN = 4  # cited cells of a team written under an item; the rest counted
OVERLOOKED_SHOWN = 12  # items of one "easily overlooked" list on the page; the JSON has them all
TEAMS_NAMED = 6  # a sentence naming teams names this many, then "and N more"
TEAM_LISTS = ("teams", "missing_teams", "blocked_teams")  # a claim's lists of team names, named so
NAME_WIDTH = 40  # a team's name is cut with "…" past this many characters in the tables


@dataclass(frozen=True, slots=True)
class Card:
    label: str
    value: str
    delta: str
    tone: str
    direction: str
    note: str


@dataclass(frozen=True, slots=True)
class Measure:
    """A table cell: the value and its change."""

    value: str
    delta: str
    tone: str


@dataclass(frozen=True, slots=True)
class Row:
    rank: int
    team: str
    status: str
    status_class: str
    marked: bool  # the latest version, not delivered
    attainment: Measure
    completion: Measure
    on_time: Measure
    cost: Measure
    leads: Measure
    spark: str | None  # the sparkline's URL
    score: str


@dataclass(frozen=True, slots=True)
class Bar:
    team: str
    width: float  # percent of the chart's width
    value: str
    met: bool
    known: bool


@dataclass(frozen=True, slots=True)
class Item:
    text: str
    sources: tuple[str, ...]  # where it comes from, labelled (`_sources`): one line each


@dataclass(frozen=True, slots=True)
class Group:
    title: str
    items: tuple[Item, ...]
    more: str = ""  # "… and 40 more", when the list is cut


@dataclass(frozen=True, slots=True)
class Appendix:
    team: str
    status: str
    takeaway: str
    where: str


class Words:
    """The roll-up's sentences in one language; money in each team's own currency."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.fmt = Formatter(lang, "")
        self.text = self.fmt.words.text

    def money(self, value: Decimal | None, currency: str) -> str:
        return Formatter(self.lang, currency).money(value)

    def signed_money(self, value: Decimal | None, currency: str) -> str:
        if value is None:
            return ""
        text = self.money(abs(value), currency)
        return ("+" if value > 0 else ("−" if value < 0 else "±")) + text

    def signed_number(self, value: Any) -> str:
        if value is None:
            return ""
        number = Decimal(value)
        text = self.fmt.number(abs(number))
        return ("+" if number > 0 else ("−" if number < 0 else "±")) + text

    def status(self, status: str) -> str:
        return self.text(f"rollup.status.{status}")

    def kpi(self, kpi: str) -> str:
        return self.text(f"rollup.kpi.{kpi}")

    def say(self, claim: Claim) -> str:
        """A claim's sentence: `rollup.claim.<code>` with its numbers written as the review writes them."""
        params = dict(claim.values)
        currency = str(params.get("currency") or "")
        for name, value in list(params.items()):
            if isinstance(value, Money):
                params[name] = self.money(value.value, currency)
            elif name == "kpi" and isinstance(value, str):
                label = self.kpi(value)  # inside a sentence: "the department's completion rate"
                params[name] = label[:1].lower() + label[1:] if self.lang == "en" else label
            elif name == "status" and isinstance(value, str):
                params[name] = self.status(value)
            elif name == "channel" and isinstance(value, str) and value in Channel._value2member_map_:
                params[name] = Channel(value)
            elif name in TEAM_LISTS and isinstance(value, list):
                named = [bounded_name(team) for team in value[:TEAMS_NAMED]]
                if len(value) > TEAMS_NAMED:
                    named.append(self.text("review.and_more", count=len(value) - TEAMS_NAMED))
                params[name] = self.text("where.list").join(named)
            elif name == "team" and isinstance(value, str):
                params[name] = bounded_name(value)
            elif name == "reasons" and isinstance(value, list):
                params[name] = self.text("where.list").join(self.text(f"rollup.reason.{r}") for r in value)
        code = claim.code.removeprefix("rollup.")
        if code == "attention" and claim.values.get("status") == "missing":
            code = "attention_missing"  # nothing to measure: the sentence says the review is missing
        elif code == "attention" and all(claim.values.get(key) is None for key in CHANGES):
            code = "attention_unchanged"  # no earlier month on file: no "completion — since last month"
        if code == "takeaway.missing" and claim.values.get("blocked"):
            # a blocked team is in the totals (its latest version), a missing one is not: each said as it is
            code = "takeaway.missing_and_blocked" if claim.values.get("missing") else "takeaway.blocked"
        return self.fmt.say(f"rollup.claim.{code}", params)


CHANGES = ("completion_change", "on_time_change")  # an attention claim's moves since last month


def bounded_name(name: str) -> str:
    """A team's name as a table shows it: cut with "…" when long (the JSON keeps it whole)."""
    return name if len(name) <= NAME_WIDTH else name[: NAME_WIDTH - 1] + "…"


def _tone(change: Change) -> str:
    direction = change.direction
    if direction not in ("up", "down") or change.kpi == "activities":
        return "neutral"
    return "good" if direction == "up" else "bad"


def _delta(words: Words, change: Change) -> str:
    if change.direction == "none":
        return ""
    if change.direction == "new":
        return words.text("review.kpi_new")
    if change.kind == "rate":
        return words.fmt.points(float(change.change or 0))
    return words.signed_number(change.change)


def _measure(words: Words, change: Change) -> Measure:
    value = change.value
    text = (
        words.fmt.percent(float(value))
        if change.kind == "rate" and value is not None
        else words.fmt.number(value)
    )
    return Measure(text, _delta(words, change), _tone(change))


def _cards(result: Rollup, words: Words) -> list[Card]:
    # no team's review of last month on file: nothing to compare with (compare_line says so once), which
    # is not "new": the teams' own workbooks may well have had last month
    compared = result.previous is not None
    last_month = words.fmt.month(_previous_month(result.month))
    before = words.text("review.kpi_vs", month=last_month) if compared else ""
    cards = []
    for kpi in ("activities", "goal_attainment", "completion_rate", "on_time_rate", "leads"):
        change = result.kpis[kpi]
        measure = _measure(words, change)
        delta = measure.delta if compared else ""
        cards.append(Card(words.kpi(kpi), measure.value, delta, measure.tone, change.direction, before))
    for line in result.cost:
        change_text = words.signed_money(line.change, line.currency)
        direction = (
            "none"
            if line.change is None
            else ("up" if line.change > 0 else "down" if line.change < 0 else "flat")
        )
        label = words.text("rollup.kpi.cost_in", currency=line.currency)
        cards.append(
            Card(label, words.money(line.cost, line.currency), change_text, "neutral", direction, before)
        )
    return cards


def card_columns(count: int) -> int:
    """How many cards a row of the cover holds: three, or four when that fills the last row better (seven
    cards, one cost per currency: 4 + 3, not 3 + 3 and a lone card on a row of its own)."""
    return max((3, 4), key=lambda columns: ((count % columns or columns) / columns, -columns))


def _previous_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year - 1:04d}-12" if number == 1 else f"{year:04d}-{number - 1:02d}"


def _row(rank: int, row: TeamRow, words: Words, spark: str | None) -> Row:
    now = row.figures
    currency = now.currency if now else ""
    cost = Measure(
        words.money(now.cost, currency) if now else "—",
        words.signed_money(row.cost_change, currency),
        "neutral",
    )
    status = row.source.status
    return Row(
        rank=rank,
        team=bounded_name(row.name),
        status=words.status(status.value),
        status_class=status.value,
        marked=row.source.document is not None and not row.source.delivered,
        attainment=_measure(words, row.kpis["goal_attainment"]),
        completion=_measure(words, row.kpis["completion_rate"]),
        on_time=_measure(words, row.kpis["on_time_rate"]),
        cost=cost,
        leads=_measure(words, row.kpis["leads"]),
        spark=spark,
        score=words.fmt.number(row.score),
    )


def sparkline(
    values: Sequence[float | None], width_mm: float = SPARK_SIZE[0], height_mm: float = SPARK_SIZE[1]
) -> bytes:
    """A twelve-month line as a small SVG: the known months joined, the latest marked; empty when fewer
    than two months are known (nothing to draw a line through)."""
    width, height = width_mm * 4, height_mm * 4
    known = [(index, value) for index, value in enumerate(values) if value is not None]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" preserveAspectRatio="none">'
    ]
    if len(known) >= 2:
        low = min(value for _, value in known)
        high = max(value for _, value in known)
        span = (high - low) or 1.0
        step = width / max(len(values) - 1, 1)

        def point(index: int, value: float) -> tuple[float, float]:
            return index * step, height - 2 - (value - low) / span * (height - 4)

        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, v) for i, v in known))
        parts.append(f'<polyline points="{points}" fill="none" stroke="#0072b2" stroke-width="1.6"/>')
        x, y = point(*known[-1])
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="#1f3a5f"/>')
    parts.append("</svg>")
    return "".join(parts).encode()


def _bars(result: Rollup, words: Words) -> list[list[Bar]]:
    """The attainment chart's bars, teams in the table's order, `CHART_GROUP` to a chart."""
    values = [(row.name, row.figures.attainment if row.figures else None) for row in result.rows]
    top = max([1.0, *(value for _, value in values if value is not None)])
    bars = [
        Bar(
            bounded_name(name),
            (min(value, top) / top * 100) if value is not None else 0.0,
            words.fmt.percent(value) if value is not None else words.text("rollup.no_goals"),
            value is not None and value >= 1,
            value is not None,
        )
        for name, value in values
    ]
    return [bars[start : start + CHART_GROUP] for start in range(0, len(bars), CHART_GROUP)]


BAR_WIDTH_MM = 178.0
BAR_ROW_MM = 5.0
LABEL_MM, VALUE_MM = 48.0, 20.0
BAR_DPI = 150
COLOURS = {
    "met": (0, 158, 115),
    "below": (154, 165, 177),
    "track": (232, 238, 245),
    "ink": (29, 35, 41),
    "line": (31, 58, 95),
}


def bar_chart(bars: Sequence[Bar], top: float) -> bytes:
    """One group of the attainment chart as a PNG: a label, a bar (green at or above 100%, grey below) and
    its value per team, and a line where 100% is. Drawn with Pillow in the bundled font: WeasyPrint lays out
    an SVG's every text (or a row of boxes per team) far more slowly, and 200 teams must stay fast."""
    from PIL import Image, ImageDraw, ImageFont

    from reportgen.rendering.charts import font_paths

    def px(mm: float) -> int:
        return round(mm / 25.4 * BAR_DPI)

    height = BAR_ROW_MM * len(bars) + 2
    image = Image.new("RGB", (px(BAR_WIDTH_MM), px(height)), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(font_paths()[0]), px(2.6))
    track = BAR_WIDTH_MM - LABEL_MM - VALUE_MM
    for index, bar in enumerate(bars):
        y = 1 + index * BAR_ROW_MM
        draw.text((0, px(y + 2.5)), bar.team, font=font, fill=COLOURS["ink"], anchor="lm")
        draw.rectangle((px(LABEL_MM), px(y + 1), px(LABEL_MM + track), px(y + 4)), fill=COLOURS["track"])
        if bar.known and bar.width > 0:
            end = LABEL_MM + track * bar.width / 100
            draw.rectangle(
                (px(LABEL_MM), px(y + 1), px(end), px(y + 4)), fill=COLOURS["met" if bar.met else "below"]
            )
        draw.text((px(BAR_WIDTH_MM) - 1, px(y + 2.5)), bar.value, font=font, fill=COLOURS["ink"], anchor="rm")
    goal = px(LABEL_MM + track / top)
    for start in range(0, px(height), px(1.8)):  # dashed: where 100% is
        draw.line((goal, start, goal, start + px(1)), fill=COLOURS["line"], width=max(1, px(0.3)))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1, dpi=(BAR_DPI, BAR_DPI))
    return out.getvalue()


ANCHORS = {"#goals": "goals", "#execution.completion": "completion", "#execution.on_time": "on_time"}


def _sources(words: Words, cited: Sequence[str], month: str) -> tuple[str, ...]:
    """Where an item comes from, each kind labelled as what it is, with its team named: the cells of the
    team's workbook the team review cites (`Team::Activities!C172`), the team review's claims it rests on
    (`Team::#goals`: its goal attainment), the version the archive holds (`Team::#v2`), or none of the month
    (`Team::#-`). One line per team and kind, in the order first cited."""
    cells: dict[str, list[str]] = {}
    claims: dict[str, list[str]] = {}
    absent: list[str] = []
    for each in cited:
        team, _, ref = each.rpartition(CITE)
        if ref == "#-":
            absent.append(team)
        elif ref.startswith("#v"):
            claims.setdefault(team, []).append(words.text("rollup.source.version", version=ref[2:]))
        elif ref.startswith("#"):
            anchor = ANCHORS.get(ref)
            label = words.text(f"rollup.source.{anchor}") if anchor else ref.removeprefix("#")
            claims.setdefault(team, []).append(label)
        else:
            cells.setdefault(team, []).append(cell_text(ref, words.fmt))
    lines = []
    for team, refs in cells.items():
        shown = refs[:CELLS_SHOWN]
        more = len(refs) - len(shown)
        text = ", ".join(shown) + (f" {words.text('review.and_more', count=more)}" if more else "")
        lines.append(words.text("rollup.source.cells", team=bounded_name(team), cells=text))
    for team, labels in claims.items():
        claim_list = words.text("where.list").join(labels)
        lines.append(words.text("rollup.source.claims", team=bounded_name(team), claims=claim_list))
    named = words.fmt.month(month)
    lines += [words.text("rollup.source.no_review", team=bounded_name(team), month=named) for team in absent]
    return tuple(lines)


OVERLOOKED_ORDER = ("no_goal", "paused_while_improving", "stalled", "miss_no_decision", "missing")


def _overlooked(result: Rollup, words: Words) -> list[Group]:
    """Each list across teams, its largest items first, at most `OVERLOOKED_SHOWN` on the page (the JSON
    attached to the PDF and `--json` have them all)."""
    groups = []
    for key in OVERLOOKED_ORDER:
        claims = result.overlooked[key]
        shown = tuple(
            Item(words.say(claim), _sources(words, claim.cells, result.month))
            for claim in claims[:OVERLOOKED_SHOWN]
        )
        more = len(claims) - len(shown)
        groups.append(
            Group(
                words.text(f"rollup.overlooked.{key}"),
                shown,
                words.text("rollup.overlooked_more", count=more) if more else "",
            )
        )
    return groups


def _appendix(result: Rollup, words: Words) -> list[Appendix]:
    lines = []
    for row in sorted(result.rows, key=lambda each: each.name):
        source = row.source
        # in the roll-up's language only: the team's review in it, when one was built (never another's words)
        takeaway = "—"
        if source.takeaways:
            takeaway = source.takeaways.get(words.lang) or words.text("rollup.appendix.not_in_language")
        if source.document is None:
            where = words.text("rollup.appendix.no_review")
        else:
            where = words.text(
                "rollup.appendix.where", version=source.version or "—", path=source.where or "—"
            )
        status = words.status(source.status.value)
        if source.document is not None and not source.delivered and source.status is not TeamStatus.BUILT:
            status = words.text("rollup.latest_mark", status=status)
        lines.append(Appendix(row.name, status, bounded(takeaway, 180), where))
    return lines


def rollup_context(result: Rollup, config: Config, lang: str) -> tuple[dict[str, Any], dict[str, pdf.Asset]]:
    """Everything the template shows, worded, and the sparklines it places (by URL)."""
    words = Words(lang)
    department = department_name(result.department, words.fmt.words)
    charts: dict[str, pdf.Asset] = {}
    rows = []
    for rank, row in enumerate(result.rows, start=1):
        values = [value for _, value in row.source.series]
        url = None
        if sum(value is not None for value in values) >= 2:
            name = f"spark-{rank}"
            charts[name] = pdf.Asset(sparkline(values), pdf.MIME[".svg"])
            url = f"{pdf.CHART_PREFIX}{name}"
        rows.append(_row(rank, row, words, url))
    groups = _bars(result, words)
    top = max(
        [1.0, *(row.figures.attainment for row in result.rows if row.figures and row.figures.attainment)]
    )
    bar_charts = []
    for number, _group in enumerate(groups, start=1):
        bar_charts.append(f"{pdf.CHART_PREFIX}bars-{number}")
    status_claim = next(claim for claim in result.claims if claim.code == "rollup.status")
    rates = result.rates
    rates_line = ""
    if rates is not None and any(line.converted for line in result.cost):
        pairs = words.text("where.list").join(
            words.text("rollup.rate_pair", currency=currency, rate=f"{rates.base}{rate.normalize():f}")
            for currency, rate in rates.rates.items()
        )
        rates_line = words.text(
            "rollup.rates",
            base=rates.base,
            rates=pairs,
            date=words.fmt.date(rates.date) if rates.date else "—",
        )
    elif len(result.cost) > 1:
        rates_line = words.text("rollup.currencies_apart")
    attention = [
        Item(words.say(claim), _sources(words, claim.cells, result.month))
        for claim in result.claims
        if claim.code == "rollup.attention"
    ]
    context = {
        "lang": lang,
        "department": department,
        "title": words.text("rollup.title"),
        "month_label": words.fmt.month(result.month),
        "generated": words.text("rollup.generated", date=words.fmt.date(result.as_of))
        if result.as_of
        else "",
        "status_line": words.say(status_claim),
        "counts": [
            (words.text(f"rollup.bucket.{bucket}"), result.counts[bucket], bucket) for bucket in BUCKET_ORDER
        ],
        "cards": (cards := _cards(result, words)),
        "card_columns": card_columns(len(cards)),
        "compare_line": ""
        if result.previous is not None
        else words.text("rollup.kpi.none_before", month=words.fmt.month(_previous_month(result.month))),
        "rates_line": rates_line,
        "takeaways": [words.say(claim) for claim in result.takeaways],
        "rows": rows,
        "bar_groups": bar_charts,
        "attention": attention,
        "overlooked": _overlooked(result, words),
        "appendix": _appendix(result, words),
        "generator": f"reportgen {__version__}",
        "marked_note": words.text("rollup.marked_note") if any(row.marked for row in rows) else "",
        "revised": words.say(result.revised) if result.revised is not None else "",
        "bar_data": (groups, top),
    }
    return context, charts


def mail_summary(context: dict[str, Any]) -> dict[str, Any]:
    """What a mail and a chat card show of the roll-up (delivery/summary.py reads it back from the PDF)."""
    return {
        "team": context["department"],
        "month_label": context["month_label"],
        "kpis": [
            {
                "label": card.label,
                "value": card.value,
                "delta": card.delta,
                "tone": card.tone,
                "note": card.note,
            }
            for card in context["cards"]
        ],
        "takeaways": list(context["takeaways"]),
        "revised": context["revised"],  # the mail's subject then says so too
        "data_quality": context["status_line"],
    }


def render_rollup_html(context: dict[str, Any], templates: Path | None = None) -> str:
    template = environment(templates).get_template("rollup.html")
    words = Formatter(context["lang"], "").words
    return template.render(
        r=context, text=words.text, stylesheet=pdf.STYLESHEET_URL, rollup_stylesheet=ROLLUP_CSS_URL
    )


ROLLUP_CSS_URL = f"{pdf.SCHEME}rollup.css"


def render_rollup(result: Rollup, config: Config, lang: str) -> bytes:
    """The roll-up's PDF; the roll-up's JSON document (and what the mail shows) travels inside it, as a
    review's figures do, so `send` and the chat cards read it back."""
    context, charts = rollup_context(result, config, lang)
    groups, top = context["bar_data"]
    # the attainment charts are drawn in a forked child while WeasyPrint starts the layout here
    drawing = Background(
        {
            "bars": lambda: {
                f"bars-{number}": pdf.Asset(bar_chart(group, top), pdf.MIME[".png"])
                for number, group in enumerate(groups, start=1)
            }
        }
    )
    html = render_rollup_html(context)
    assets = pdf.bundled_assets(
        "", _Charts(charts, LazyCharts(drawing, "bars"))
    )  # review.css: see rollup.css
    css = (templates_folder() / "rollup.css").read_bytes()
    assets.fixed[ROLLUP_CSS_URL] = pdf.Asset(css, pdf.MIME[".css"])
    document = rollup_document(result, lang)
    document["mail"] = mail_summary(context)
    words = Formatter(lang, "").words
    attachment = pdf.Attachment(
        FIGURES_ATTACHMENT, dumps(document), words.text("rollup.figures_description"), "Data"
    )
    created = result.as_of or dt.date(int(result.month[:4]), int(result.month[5:7]), 1)
    try:
        data, _warnings = pdf.render_pdf(html, assets, created, lambda: (attachment,), config.pdf)
    finally:
        drawing.close()
    return data


class _Charts(Mapping[str, pdf.Asset]):
    """The sparklines (made here) and the attainment charts (from the background step), as one mapping."""

    def __init__(self, made: dict[str, pdf.Asset], drawn: Mapping[str, pdf.Asset]) -> None:
        self.made = made
        self.drawn = drawn

    def __getitem__(self, name: str) -> pdf.Asset:
        return self.made[name] if name in self.made else self.drawn[name]

    def __iter__(self) -> Iterator[str]:
        yield from self.made
        yield from self.drawn

    def __len__(self) -> int:
        return len(self.made) + len(self.drawn)
