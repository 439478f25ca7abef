"""What each chart format costs a review: chart generation, WeasyPrint time and PDF size.

Builds a three-page A4 document shaped like the review (headline cards with two KPI sparklines, goal
attainment, channel mix, status by channel beside text, compounding small multiples, an appendix table) that
holds six charts from reportgen.rendering.charts, loads the bundled fonts with @font-face (file:// URLs), and
renders it in-process with ``weasyprint.HTML(string=...).render().write_pdf()``. Formats: SVG as an <img> data
URI, inline <svg>, PNG at 150 and 200 dpi, against a baseline with no chart (empty boxes, same sizes).
For each:

* chart generation: the six charts drawn, best of N (after a first, cold round: imports and font loading);
* WeasyPrint: the whole document to PDF bytes, best of N, and how much of that the charts add to the
  text-only baseline;
* the PDF's size and page count, and how many warnings WeasyPrint logged.

Rounds interleave the formats and each timed run starts after ``gc.collect()``. Run from the project root:

    .venv/bin/python benchmarks/bench_charts.py [--repeat 3] [--out DIR]

``--out DIR`` also writes each PDF there (look at a page with ``pdftoppm -r 100 -png``). Nothing is asserted:
this prints a Markdown table.
"""

from __future__ import annotations

import argparse
import gc
import html
import itertools
import logging
import math
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

PROJECT_ROOT = Path(__file__).resolve().parent.parent  # the tree measured, whatever else is installed
sys.path.insert(0, str(PROJECT_ROOT))

from reportgen.rendering import charts  # noqa: E402  (after the path line, on purpose)
from reportgen.wording.format import Formatter  # noqa: E402

CHINESE = Formatter("zh", "¥")  # month labels and percentages as the Chinese review writes them

T = TypeVar("T")

CHANNEL_LABELS = {
    "seo": "SEO",
    "sem": "SEM 投放",
    "content": "内容",
    "event": "活动",
    "community": "社群",
    "user_ops": "用户运营",
    "partnership": "合作",
    "other": "其他",
}
STATUS_LABELS = {
    "done": "完成",
    "in_progress": "进行中",
    "planned": "计划中",
    "delayed": "延期",
    "cancelled": "取消",
    "other": "其他",
}
MONTHS = [f"2025-{m:02d}" for m in (11, 12)] + [f"2026-{m:02d}" for m in range(1, 11)]


@dataclass(frozen=True)  # hashable: a key of the result tables
class Variant:
    name: str
    fmt: str | None  # None: the baseline without charts
    dpi: int = charts.DEFAULT_DPI
    inline: bool = False


VARIANTS = (
    Variant("none (text only, baseline)", None),
    Variant("SVG as <img> data URI", "svg"),
    Variant("inline SVG", "svg", inline=True),
    Variant("PNG 150 dpi", "png", 150),
    Variant("PNG 200 dpi", "png", 200),
)


def six_charts(fmt: str, dpi: int) -> list[charts.Chart]:
    """The six charts of the document, Chinese labels and a few gaps, as the review would ask for them."""
    cost = list(itertools.accumulate([3000, 3200, 2800, 3500, 3000, 3100, 2900, 3300, 3000, 3200, 0, 3100]))
    results = list(itertools.accumulate([5, 12, 20, 35, 50, 80, 110, 150, 200, 260, 300, 380]))
    cpr: list[float | None] = [c / r if r else None for c, r in zip(cost, results, strict=True)]
    cpr[4] = None
    return [
        charts.trend(
            MONTHS[-6:],
            [120, 135, None, 160, 158, 190],
            label="注册",
            month_label=CHINESE.month_short,
            fmt=fmt,
            dpi=dpi,
        ),
        charts.trend(
            MONTHS[-6:],
            [0.61, 0.7, 0.66, 0.72, 0.8, 0.78],
            label="完成率",
            month_label=CHINESE.month_short,
            fmt=fmt,
            dpi=dpi,
        ),
        charts.goal_attainment(
            [
                ("官网自然搜索流量提升", 1.32, "13,200 / 10,000"),
                ("新增注册用户", 0.995, "199 / 200"),
                ("合作伙伴线上研讨会带来的有效线索", 0.42, "21 / 50"),
                ("社群活跃度", None, "35 / –"),
                ("品牌曝光", 3.4, "340万 / 100万"),
            ],
            percent=CHINESE.percent,
            target_label="目标",
            no_target_label="未设目标",
            fmt=fmt,
            dpi=dpi,
        ),
        charts.channel_mix(
            [
                ("官网自然搜索流量提升", {"seo": 8, "content": 5, "sem": 1}),
                ("新增注册用户", {"sem": 4, "event": 2, "community": 3, "user_ops": 3, "partnership": 1}),
                ("合作伙伴线上研讨会带来的有效线索", {"partnership": 6, "event": 3}),
                ("社群活跃度", {"community": 9, "user_ops": 2, "other": 1}),
                ("品牌曝光", {"sem": 3, "content": 4, "event": 1}),
            ],
            CHANNEL_LABELS,
            percent=CHINESE.percent,
            fmt=fmt,
            dpi=dpi,
        ),
        charts.status_by_channel(
            [
                ("SEO", {"done": 12, "in_progress": 3, "planned": 2, "delayed": 1}),
                ("内容", {"done": 8, "cancelled": 2, "delayed": 3}),
                ("活动", {"done": 2, "planned": 5}),
                ("社群", {"done": 9, "in_progress": 2}),
                ("用户运营", {"done": 20, "in_progress": 6, "other": 1}),
            ],
            STATUS_LABELS,
            fmt=fmt,
            dpi=dpi,
        ),
        charts.compounding(
            [
                charts.CompoundingSeries("SEO", MONTHS, cost, results, cpr),
                charts.CompoundingSeries(
                    "内容",
                    MONTHS,
                    [c * 1.7 for c in cost],
                    [r * 0.6 for r in results],
                    [None if v is None else v * 2.8 for v in cpr],
                ),
            ],
            cost_label="累计成本",
            result_label="累计结果",
            cpr_label="单次结果成本",
            currency="¥",
            month_label=CHINESE.month_short,
            fmt=fmt,
            dpi=dpi,
        ),
    ]


def embed(chart: charts.Chart | None, size: tuple[float, float], inline: bool) -> str:
    """One chart as the review would place it: sized in mm; an empty box of that size for the baseline."""
    width, height = size
    if chart is None:
        return f'<div class="chart" style="width: {width}mm; height: {height}mm"></div>'
    if inline:
        svg = chart.data.decode("utf-8")
        svg = re.sub(r"^\s*<\?xml[^>]*>\s*<!DOCTYPE[^>]*>\s*", "", svg)
        svg = re.sub(r'width="[^"]*" height="[^"]*"', f'width="{width}mm" height="{height}mm"', svg, count=1)
        return f'<div class="chart" role="img" aria-label="{html.escape(chart.alt)}">{svg}</div>'
    return (
        f'<img class="chart" src="{chart.data_uri}" alt="{html.escape(chart.alt)}" '
        f'style="width: {width}mm; height: {height}mm">'
    )


PARAGRAPH = (
    "本月团队围绕四个目标推进了各渠道的工作：搜索优化与内容持续积累，投放与活动按计划执行，社群与用户运营保持节奏。"
    "The team kept its compounding channels running while paid search and events carried the month's "
    "targets; two deliveries slipped and one was cancelled after the partner changed its plans. "
)


def document(
    chart_list: Sequence[charts.Chart] | None, sizes: Sequence[tuple[float, float]], inline: bool
) -> str:
    """A three-page A4 review-like document holding the six charts (or their empty boxes)."""
    fonts = charts.font_paths()
    family = charts.font_family()
    items = [
        embed(None if chart_list is None else chart_list[i], sizes[i], inline) for i in range(len(sizes))
    ]
    cards = "".join(
        f'<div class="card"><div class="kpi">{name}</div><div class="value">{value}</div>{spark}</div>'
        for (name, value), spark in zip(
            [("注册", "190"), ("完成率", "78%"), ("成本", "¥38,400"), ("目标覆盖", "86%")],
            [items[0], items[1], "", ""],
            strict=True,
        )
    )
    rows = "".join(
        f"<tr><td>2026-10-{day:02d}</td><td>{CHANNEL_LABELS[key]}</td>"
        f"<td>第 {day} 项活动：{PARAGRAPH[:28]}</td>"
        f"<td>{STATUS_LABELS[status]}</td><td>¥{day * 137:,}</td></tr>"
        for day, key, status in zip(
            range(1, 32),
            itertools.cycle(charts.CHANNEL_KEYS),
            itertools.cycle(charts.STATUS_KEYS),
            strict=False,
        )
    )
    return f"""<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><style>
@font-face {{ font-family: "{family}"; src: url("{fonts[0].as_uri()}"); font-weight: 400; }}
@font-face {{ font-family: "{family}"; src: url("{fonts[1].as_uri()}"); font-weight: 700; }}
@page {{ size: A4; margin: 18mm 20mm; }}
body {{ font-family: "{family}"; font-size: 9.5pt; line-height: 1.5; color: #222; }}
h1 {{ font-size: 18pt; margin: 0 0 4mm; }} h2 {{ font-size: 12pt; margin: 5mm 0 2mm; }}
.cards {{ display: flex; gap: 4mm; }} .card {{ border: 0.3mm solid #ddd; padding: 2mm 3mm; width: 40mm; }}
.kpi {{ font-size: 8pt; color: #666; }} .value {{ font-size: 14pt; font-weight: 700; }}
.chart {{ display: block; margin: 2mm 0; }}
.half {{ display: flex; gap: 6mm; }} .half > p {{ width: 82mm; margin: 0; }}
table {{ border-collapse: collapse; width: 100%; font-size: 8pt; }} td {{ border-bottom: 0.2mm solid #eee; }}
.break {{ break-before: page; }}
</style></head><body>
<h1>2026 年 10 月 市场运营月度复盘</h1>
<div class="cards">{cards}</div>
<p>{PARAGRAPH * 2}</p>
<h2>1 连接：目标达成</h2>{items[2]}
<h2>渠道构成</h2>{items[3]}
<h2 class="break">2 执行与决策</h2>
<div class="half">{items[4]}<p>{PARAGRAPH * 2}</p></div>
<h2>3 延迟满足：复利渠道</h2>{items[5]}
<p>{PARAGRAPH * 3}</p>
<h2 class="break">附录：本月活动</h2>
<table>{rows}</table>
</body></html>"""


class WarningCounter(logging.Handler):
    """Counts what WeasyPrint logs at WARNING or above: the review's end-to-end tests allow none."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def timed(action: Callable[[], T]) -> tuple[float, T]:
    """Wall seconds of one run, after a full collection so no earlier garbage is paid for here."""
    gc.collect()
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def render(weasyprint: Any, source: str) -> tuple[int, bytes]:
    """HTML to PDF bytes in-process, as `HTML(string=...).write_pdf()` does, keeping the page count."""
    rendered = weasyprint.HTML(string=source).render()
    return len(rendered.pages), rendered.write_pdf()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, help="write each variant's PDF here")
    args = parser.parse_args(argv)

    import weasyprint

    cold, reference = timed(partial(six_charts, "png", charts.DEFAULT_DPI))  # imports, font loading
    sizes = [(chart.width_mm, chart.height_mm) for chart in reference]
    counter = WarningCounter()
    logging.getLogger("weasyprint").addHandler(counter)

    # Rounds interleave the variants, so a busy moment on a shared machine does not land on one format only.
    generation = dict.fromkeys(VARIANTS, math.inf)
    rendering = dict.fromkeys(VARIANTS, math.inf)
    outputs: dict[Variant, tuple[int, bytes, int]] = {}
    for _ in range(args.repeat):
        for variant in VARIANTS:
            chart_list: list[charts.Chart] | None = None
            if variant.fmt is not None:
                seconds, chart_list = timed(partial(six_charts, variant.fmt, variant.dpi))
                generation[variant] = min(generation[variant], seconds)
            source = document(chart_list, sizes, variant.inline)
            counter.count = 0
            seconds, (pages, pdf) = timed(partial(render, weasyprint, source))
            rendering[variant] = min(rendering[variant], seconds)
            outputs[variant] = (pages, pdf, counter.count)

    text_only = rendering[VARIANTS[0]]
    print(f"WeasyPrint {weasyprint.__version__}, best of {args.repeat}, six charts on three A4 pages\n")
    print(
        "| format | chart generation s | WeasyPrint s | charts' share of WeasyPrint s | PDF size KB | pages "
        "| WeasyPrint warnings |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for variant in VARIANTS:
        pages, pdf, warned = outputs[variant]
        made = "–" if variant.fmt is None else f"{generation[variant]:.2f}"
        print(
            f"| {variant.name} | {made} | {rendering[variant]:.2f} | {rendering[variant] - text_only:+.2f} "
            f"| {len(pdf) / 1024:.0f} | {pages} | {warned} |"
        )
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            slug = re.sub(r"[^a-z0-9]+", "-", variant.name.lower()).strip("-")
            (args.out / f"charts-{slug}.pdf").write_bytes(pdf)
    print(f"\nFirst six charts in a fresh process (matplotlib import, font loading, PNG): {cold:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
