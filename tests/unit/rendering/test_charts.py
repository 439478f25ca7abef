"""Chart images: every chart in both formats, reproducible, sized as declared, Chinese kept, no warnings."""

from __future__ import annotations

import re
import struct
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from reportgen.base.channels import GREY
from reportgen.base.model import Channel, Status
from reportgen.rendering import charts
from reportgen.wording.format import Formatter

CHINESE = Formatter("zh", "¥")  # month labels and percentages as the Chinese review writes them
MONTHS = ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
CHANNEL_LABELS = {"seo": "搜索优化", "sem": "SEM 投放", "content": "内容", "event": "活动", "other": "其他"}
STATUS_LABELS = {"done": "完成", "in_progress": "进行中", "delayed": "延期", "cancelled": "取消"}


def _goal_attainment(fmt: str) -> charts.Chart:
    rows = [
        ("官网自然搜索流量", 1.32, "13,200 / 10,000"),
        ("新增注册", 0.995, "199 / 200"),
        ("社群活跃度", None, "35"),
    ]
    return charts.goal_attainment(
        rows, percent=CHINESE.percent, target_label="目标", no_target_label="未设目标", fmt=fmt
    )


def _channel_mix(fmt: str) -> charts.Chart:
    rows = [
        ("官网自然搜索流量", {"seo": 8, "content": 5}),
        ("新增注册", {"sem": 4, "event": 2}),
        ("空目标", {}),
    ]
    return charts.channel_mix(rows, CHANNEL_LABELS, percent=CHINESE.percent, fmt=fmt)


def _status_by_channel(fmt: str) -> charts.Chart:
    rows = [("搜索优化", {"done": 12, "in_progress": 3, "delayed": 1}), ("活动", {"done": 2, "cancelled": 1})]
    return charts.status_by_channel(rows, STATUS_LABELS, fmt=fmt)


def _compounding(fmt: str) -> charts.Chart:
    series = [
        charts.CompoundingSeries(
            "搜索优化",
            MONTHS,
            [1e3, 2e3, 3e3, 4e3, 5e3, 6e3],
            [2, 6, 12, 20, 30, 44],
            [500, 333, None, 200, 167, 136],
        ),
        charts.CompoundingSeries(
            "内容", MONTHS, [800, 1600, None, 3000, 3900, 4800], [1, 2, 5, 9, 15, 22], [None] * 6
        ),
    ]
    return charts.compounding(
        series,
        cost_label="累计成本",
        result_label="累计结果",
        cpr_label="单次结果成本",
        currency="¥",
        month_label=CHINESE.month_short,
        fmt=fmt,
    )


def _trend(fmt: str) -> charts.Chart:
    return charts.trend(
        MONTHS, [120, None, 135, 160, None, 190], label="注册", month_label=CHINESE.month_short, fmt=fmt
    )


BUILDERS: dict[str, Callable[[str], charts.Chart]] = {
    "goal_attainment": _goal_attainment,
    "channel_mix": _channel_mix,
    "status_by_channel": _status_by_channel,
    "compounding": _compounding,
    "trend": _trend,
}
CASES = [(name, fmt) for name in BUILDERS for fmt in charts.FORMATS]
Drawn = dict[tuple[str, str], tuple[charts.Chart, charts.Chart, list[str]]]


@pytest.fixture(scope="module")
def drawn() -> Drawn:
    """Each chart drawn twice in each format, once for all tests (drawing is the slow part)."""
    results = {}
    for name, fmt in CASES:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            first, second = BUILDERS[name](fmt), BUILDERS[name](fmt)
        results[name, fmt] = (first, second, [f"{w.category.__name__}: {w.message}" for w in caught])
    return results


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG signature and IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind, width, height = struct.unpack(">I4sII", data[8:24])
    assert (length, kind) == (13, b"IHDR")
    return width, height


@pytest.mark.parametrize(("name", "fmt"), CASES)
def test_each_chart_is_a_nonempty_image_of_its_declared_type(drawn: Drawn, name: str, fmt: str) -> None:
    chart = drawn[name, fmt][0]
    assert chart.mime == charts.FORMATS[fmt]
    assert len(chart.data) > 500
    assert chart.alt
    if fmt == "png":
        png_size(chart.data)
    else:
        assert b"<svg" in chart.data[:1000]
    assert chart.data_uri.startswith(f"data:{chart.mime};base64,")


@pytest.mark.parametrize(("name", "fmt"), CASES)
def test_same_inputs_give_identical_bytes(drawn: Drawn, name: str, fmt: str) -> None:
    first, second, _ = drawn[name, fmt]
    assert first.data == second.data
    assert first == second


@pytest.mark.parametrize("name", BUILDERS)
def test_png_has_the_declared_aspect_at_the_requested_resolution(drawn: Drawn, name: str) -> None:
    chart = drawn[name, "png"][0]
    width, height = png_size(chart.data)
    assert width == pytest.approx(chart.width_mm / 25.4 * charts.DEFAULT_DPI, abs=1)
    assert height == pytest.approx(chart.height_mm / 25.4 * charts.DEFAULT_DPI, abs=1)
    assert width / height == pytest.approx(chart.width_mm / chart.height_mm, rel=0.01)


def test_png_resolution_follows_dpi() -> None:
    chart = charts.trend(MONTHS[:2], [1.0, 2.0], label="x", month_label=charts.month_abbr, fmt="png", dpi=100)
    assert png_size(chart.data) == (round(40 / 25.4 * 100), round(12 / 25.4 * 100))


CHINESE_WORDS = {
    "goal_attainment": ["官网自然搜索流量", "目标", "未设目标"],
    "channel_mix": ["搜索优化", "内容", "空目标"],
    "status_by_channel": ["完成", "延期", "活动"],
    "compounding": ["累计成本", "单次结果成本", "10月"],
    "trend": ["5月", "10月"],
}


@pytest.mark.parametrize(("name", "words"), CHINESE_WORDS.items())
def test_svg_keeps_chinese_labels_as_text_in_the_bundled_family(
    drawn: Drawn, name: str, words: list[str]
) -> None:
    svg = drawn[name, "svg"][0].data.decode("utf-8")
    texts = re.findall(r"<text\b[^>]*>([^<]*)</text>", svg)
    for word in words:
        assert any(word in text for text in texts), word
    assert f"font-family: '{charts.font_family()}'" in svg
    assert "<dc:date>" not in svg  # no date: reproducible


@pytest.mark.parametrize(("name", "fmt"), CASES)
def test_no_warnings_while_drawing(drawn: Drawn, name: str, fmt: str) -> None:
    assert drawn[name, fmt][2] == []


def test_a_missing_glyph_would_be_caught() -> None:
    """The no-warning test above means something: a glyph the bundled font lacks does warn."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        charts.status_by_channel([("\ue000", {"done": 1})], STATUS_LABELS, fmt="png")
    assert any("missing from font" in str(w.message) for w in caught)


def test_matplotlib_draws_with_the_bundled_font_files() -> None:
    from matplotlib import font_manager

    regular, bold = charts.font_paths()
    assert charts.font_family() == "Noto Sans CJK SC"
    for weight, path in (("normal", regular), ("bold", bold)):
        found = font_manager.findfont(font_manager.FontProperties(family=charts.font_family(), weight=weight))
        assert Path(found).resolve() == path.resolve()


def test_rcparams_are_left_as_they_were() -> None:
    import matplotlib

    before = dict(matplotlib.rcParams)
    _trend("svg")
    assert dict(matplotlib.rcParams) == before


def test_palette_covers_every_channel_and_status_with_distinct_hex_colours() -> None:
    assert set(charts.CHANNEL_COLORS) == set(charts.CHANNEL_KEYS) == {c.value for c in Channel}
    assert set(charts.STATUS_COLORS) == set(charts.STATUS_KEYS) == {s.value for s in Status}
    for palette in (
        charts.CHANNEL_COLORS,
        charts.STATUS_COLORS,
        charts.ATTAINMENT_COLORS,
        charts.SERIES_COLORS,
    ):
        assert all(re.fullmatch(r"#[0-9A-F]{6}", colour) for colour in palette.values())
        assert len(set(palette.values())) == len(palette)


def test_alt_text_states_the_figures_without_rounding_past_the_target(drawn: Drawn) -> None:
    alt = drawn["goal_attainment", "png"][0].alt
    assert "新增注册: 99.5% (199 / 200)" in alt
    assert "社群活跃度: 未设目标" in alt
    assert "5月 120, 6月 –" in drawn["trend", "png"][0].alt


def test_bad_requests_are_refused() -> None:
    with pytest.raises(ValueError, match="format"):
        charts.trend(MONTHS, [1.0] * 6, label="x", month_label=charts.month_abbr, fmt="jpeg")
    with pytest.raises(ValueError):
        charts.goal_attainment([], percent=CHINESE.percent, target_label="t", no_target_label="n")
    with pytest.raises(ValueError):
        charts.CompoundingSeries("x", MONTHS, [1.0], [1.0], [1.0])


def test_month_labels() -> None:
    assert charts.month_abbr("2026-08") == "Aug"


def test_default_format_is_one_the_charts_can_draw() -> None:
    assert charts.DEFAULT_FORMAT in charts.FORMATS
    assert _trend(charts.DEFAULT_FORMAT).mime == charts.FORMATS[charts.DEFAULT_FORMAT]


def test_channel_colours_never_reuse_a_status_colour() -> None:
    assert not set(charts.CHANNEL_COLORS.values()) & set(charts.STATUS_COLORS.values()) - {GREY}


def test_goal_chart_names_its_two_colours_when_given_a_legend() -> None:
    rows = [("G1 Leads", 1.2, "120 / 100"), ("G2 Signups", 0.5, "50 / 100")]
    english = Formatter("en", "$").percent
    plain = charts.goal_attainment(
        rows, percent=english, target_label="target", no_target_label="none", fmt="svg"
    )
    named = charts.goal_attainment(
        rows,
        percent=english,
        target_label="target",
        no_target_label="none",
        legend=("target met", "below target"),
        fmt="svg",
    )
    assert b"target met" in named.data and b"below target" in named.data
    assert b"target met" not in plain.data
    assert named.height_mm > plain.height_mm  # the legend gets its own row, it never overlaps a bar


def svg_texts(chart: charts.Chart) -> list[str]:
    return re.findall(r"<text\b[^>]*>([^<]*)</text>", chart.data.decode("utf-8"))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_charts_write_percentages_as_the_tables_do(lang: str) -> None:
    """A goal at 94.12 % reads "94.1%" in its bar as in the goal table beside it, not a rounded "94%"; the
    channel mix's shares and the alt text use the same rule."""
    percent = Formatter(lang, "$").percent
    attainment = charts.goal_attainment(
        [("G1 Leads", 0.9412, "160 / 170"), ("G2 Signups", 0.4, "40 / 100")],
        percent=percent,
        target_label="target",
        no_target_label="none",
        fmt="svg",
    )
    texts = svg_texts(attainment)
    assert percent(0.9412) == "94.1%" and "94.1%" in texts and "94%" not in texts
    assert percent(0.4) in texts and percent(1.0) in texts  # a bar's label and the axis' 100 % tick
    assert "G1 Leads: 94.1% (160 / 170)" in attainment.alt
    mix = charts.channel_mix([("G1", {"seo": 1, "content": 16})], {"seo": "SEO"}, percent=percent, fmt="svg")
    assert percent(16 / 17) == "94.1%" and "94.1%" in svg_texts(mix) and "94.1%" in mix.alt
