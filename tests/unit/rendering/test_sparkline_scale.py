"""A KPI card's sparkline writes its scale (lowest, highest) at the left, where an axis stands: at the right
a label sat beside the latest point and read as its value (a card of 62% beside "61.9%")."""

from __future__ import annotations

import re

import pytest

from reportgen.rendering import charts

TEXT = re.compile(r'<text\b[^>]*text-anchor: (\w+)[^>]*\bx="([\d.]+)"[^>]*>([^<]*)</text>')
MARKER = re.compile(r'<use\b[^>]*\bx="([\d.]+)"')
# the plotted line (in the chart's colour): its first point
LINE = re.compile(r'<path d="M ([\d.]+) [^"]*"[^>]*stroke: ' + charts.OKABE_ITO["blue"].lower())


@pytest.mark.parametrize(("width_mm", "values"), [(24.0, [0.914, 0.84, 0.619]), (70.0, [120, None, 95, 160])])
def test_the_scale_stands_left_of_the_line_never_beside_the_latest_point(
    width_mm: float, values: list[float | None]
) -> None:
    months = ["2026-07", "2026-08", "2026-09", "2026-10"][-len(values) :]
    chart = charts.trend(
        months,
        values,
        label="KPI",
        month_label=charts.month_abbr,
        value_text=lambda value: f"{value:.1%}" if value < 1 else f"{value:,.0f}",
        width_mm=width_mm,
        height_mm=12.0,
    )
    svg = chart.data.decode()
    texts = TEXT.findall(svg)
    month_names = {charts.month_abbr(month) for month in months}
    scale = [(anchor, float(x)) for anchor, x, text in texts if text not in month_names]
    assert len(scale) == 2, texts  # the lowest and the highest
    latest = float(MARKER.findall(svg)[-1])
    first = min(float(x) for x in LINE.findall(svg))
    for anchor, x in scale:
        assert anchor == "end" and x <= first < latest, (scale, first, latest)
