"""Chart images for the review: pure functions from plain data (str labels, float values, None for no data)
to a `Chart` (image bytes, MIME type, size in mm, alt text). No reportgen model object is needed and callers
pass labels already translated, and the function that writes a fraction as a percentage (the tables' own,
so a chart never says "94%" beside a table's "94.1%"); matplotlib is imported only when a chart is drawn
(pyplot never), so `check` and `--json` do not pay for it.

Every chart uses the bundled Noto Sans CJK SC (the review's text font), colour-blind-safe palettes (Okabe–Ito
for statuses and results, Paul Tol's muted scheme for channels; exported below, so HTML legends and tables use
the same hex colours), 7–8 pt type, no top/right
spines, no title (the HTML gives headings). The same inputs give byte-identical images: rcParams are set per
chart with `matplotlib.rc_context`, never globally; `svg.hashsalt` is fixed; no date, creator or software
metadata is written.

Format, measured with benchmarks/bench_charts.py (three A4 pages, six charts, best of 5, a shared 2-core VM;
three runs agreed within ±0.1 s):

| format                       | chart generation s | WeasyPrint s | WeasyPrint warnings | PDF size KB |
|------------------------------|-------------------:|-------------:|--------------------:|------------:|
| none (text only, baseline)   |                  – |         0.56 |                   0 |         298 |
| SVG as <img> data URI        |               0.86 |         0.84 |                   0 |         344 |
| inline <svg>                 |               0.87 |         1.16 |                1025 |         344 |
| PNG 150 dpi                  |               0.89 |         0.63 |                   0 |         456 |
| PNG 200 dpi                  |               0.97 |         0.67 |                   0 |         513 |

SVG as an <img> is cheap here: it adds 0.28–0.44 s to WeasyPrint against 0.11–0.19 s for 200-dpi PNG, while
drawing SVG is ~0.1 s faster, so a review costs ~0.1–0.2 s more in all. For that the charts are vector (crisp
at any zoom and in print), their text is real text in the review's own embedded font (selectable, searchable),
and the PDF is ~170 KB smaller. So DEFAULT_FORMAT is "svg". Embed it as `<img src="{{ chart.data_uri }}">`,
never inline: WeasyPrint then reads the SVG's style attributes as HTML CSS and logs a warning for each
(1025 above). The SVG names the family `font_family()` ("Noto Sans CJK SC"): declare the bundled fonts'
@font-face under that name so chart text is set in exactly the embedded font. `fmt="png"` (at DEFAULT_DPI,
200) remains for pixel output.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from reportgen.base.channels import CHANNELS, TOL_MUTED
from reportgen.base.files import data_uri

if TYPE_CHECKING:  # matplotlib is imported lazily: these names are for the type checker only
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

__all__ = [
    "ATTAINMENT_COLORS",
    "CHANNEL_COLORS",
    "CHANNEL_KEYS",
    "DEFAULT_DPI",
    "DEFAULT_FORMAT",
    "FORMATS",
    "FULL_WIDTH_MM",
    "HALF_WIDTH_MM",
    "OKABE_ITO",
    "TOL_MUTED",
    "SERIES_COLORS",
    "STATUS_COLORS",
    "STATUS_KEYS",
    "Chart",
    "CompoundingSeries",
    "channel_mix",
    "channel_mix_alt",
    "compounding",
    "compounding_alt",
    "font_family",
    "font_paths",
    "goal_attainment",
    "goal_attainment_alt",
    "month_abbr",
    "status_by_channel",
    "status_by_channel_alt",
    "trend",
    "trend_alt",
]

FORMATS: Mapping[str, str] = MappingProxyType({"png": "image/png", "svg": "image/svg+xml"})
DEFAULT_FORMAT = "svg"  # measured: see the module docstring
DEFAULT_DPI = 200

FULL_WIDTH_MM = 170.0  # an A4 page column
HALF_WIDTH_MM = 82.0  # half a column, with a gutter
MM_PER_INCH = 25.4
PT_PER_INCH = 72.0

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency.
OKABE_ITO: Mapping[str, str] = MappingProxyType(
    {
        "black": "#000000",
        "orange": "#E69F00",
        "sky_blue": "#56B4E9",
        "bluish_green": "#009E73",
        "yellow": "#F0E442",
        "blue": "#0072B2",
        "vermillion": "#D55E00",
        "reddish_purple": "#CC79A7",
    }
)
# The channels' colours are Paul Tol's "muted" scheme (base/channels.py), also safe for colour-vision
# deficiencies and kept apart from the Okabe–Ito hues that carry meaning here (done green, delayed orange,
# cancelled vermillion), so a channel never reads as a status.
LIGHT_GREY = "#C8C8C8"
INK = "#222222"
INK_SOFT = "#5F5F5F"
GRID = "#E6E6E6"
SPINE = "#9A9A9A"

CHANNEL_KEYS: tuple[str, ...] = tuple(facts.channel.value for facts in CHANNELS)
STATUS_KEYS: tuple[str, ...] = ("done", "in_progress", "planned", "delayed", "cancelled", "other")

CHANNEL_COLORS: Mapping[str, str] = MappingProxyType(
    {facts.channel.value: facts.colour for facts in CHANNELS}
)
# Good news green, work in motion blue, not started light grey, trouble orange/vermillion; unknown mid grey.
STATUS_COLORS: Mapping[str, str] = MappingProxyType(
    {
        "done": OKABE_ITO["bluish_green"],
        "in_progress": OKABE_ITO["sky_blue"],
        "planned": LIGHT_GREY,
        "delayed": OKABE_ITO["orange"],
        "cancelled": OKABE_ITO["vermillion"],
        "other": "#7F7F7F",
    }
)
ATTAINMENT_COLORS: Mapping[str, str] = MappingProxyType(
    {"win": OKABE_ITO["bluish_green"], "gap": "#9AA5B1", "no_target": "#B5B5B5", "target": INK}
)
SERIES_COLORS: Mapping[str, str] = MappingProxyType(
    {"cost": OKABE_ITO["vermillion"], "results": OKABE_ITO["blue"], "cost_per_result": INK}
)

FONT_SIZE = 8.0  # category labels
SMALL_SIZE = 7.0  # ticks, legends, figures on bars: the smallest type that stays legible in print
BAR_HEIGHT = 0.62  # of a row
ATTAINMENT_CAP = 2.0  # bars past 200 % stop at the edge; their label still says the true figure
SVG_HASHSALT = "reportgen-charts"
_FONT_FILES = ("NotoSansSC-Regular.otf", "NotoSansSC-Bold.otf")
_FONT_STACK = contextlib.ExitStack()  # keeps fonts extracted if the package ever runs from a zip


@dataclass(frozen=True, slots=True)
class Chart:
    """An image ready for an <img>: bytes, MIME type, the size it was drawn for, and a text alternative."""

    data: bytes = field(repr=False)
    mime: str
    width_mm: float
    height_mm: float
    alt: str

    @property
    def data_uri(self) -> str:
        """A data: URI, so the HTML needs no file beside it and the URL fetcher no exception."""
        return data_uri(self.data, self.mime)


@dataclass(frozen=True, slots=True)
class CompoundingSeries:
    """One compounding channel over the trailing months; values are cumulative, None where unknown."""

    channel: str
    months: Sequence[str]  # 'YYYY-MM'
    cumulative_cost: Sequence[float | None]
    cumulative_results: Sequence[float | None]
    cost_per_result: Sequence[float | None]

    def __post_init__(self) -> None:
        n = len(self.months)
        if not (len(self.cumulative_cost) == len(self.cumulative_results) == len(self.cost_per_result) == n):
            raise ValueError(f"{self.channel}: months and every series must have the same length")


# ---------------------------------------------------------------------------------------------------- fonts


@cache
def font_paths() -> tuple[Path, ...]:
    """The bundled Regular and Bold font files, found relative to the package (wheel or source tree)."""
    folder = resources.files("reportgen").joinpath("assets", "fonts")
    return tuple(_FONT_STACK.enter_context(resources.as_file(folder.joinpath(name))) for name in _FONT_FILES)


@cache
def font_family() -> str:
    """Register the bundled fonts with matplotlib (once per process) and return their family name.

    A system may carry another font of the same family name (Debian's fonts-noto-cjk does) and matplotlib
    would pick whichever it met first, so the bundled faces go to the front of its list: the charts always use
    the exact font the PDF embeds, installed system fonts or not."""
    from matplotlib import font_manager

    manager = font_manager.fontManager
    paths = {os.fspath(path) for path in font_paths()}
    for path in sorted(paths):
        if not any(os.fspath(entry.fname) == path for entry in manager.ttflist):
            manager.addfont(path)  # clears matplotlib's lookup cache
    ours = [entry for entry in manager.ttflist if os.fspath(entry.fname) in paths]
    manager.ttflist[:] = ours + [entry for entry in manager.ttflist if os.fspath(entry.fname) not in paths]
    names = {entry.name for entry in ours}
    if len(names) != 1:
        raise RuntimeError(f"bundled fonts disagree on their family name: {sorted(names)}")
    return names.pop()


# ---------------------------------------------------------------------------------------------------- style


def _rc() -> dict[RcKeyType, Any]:
    """The charts' look, applied per chart with rc_context: the process's matplotlib settings stay as is."""
    return {
        # matplotlib's own DejaVu Sans only fills in for a glyph the bundled font lacks (Cyrillic, say)
        "font.family": [font_family(), "DejaVu Sans"],
        "font.size": FONT_SIZE,
        "text.color": INK,
        "axes.labelcolor": INK,
        "axes.labelsize": FONT_SIZE,
        "axes.titlesize": FONT_SIZE,
        "axes.edgecolor": SPINE,
        "axes.linewidth": 0.6,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": False,
        "axes.axisbelow": True,
        "axes.unicode_minus": True,
        "grid.color": GRID,
        "grid.linewidth": 0.6,
        "xtick.labelsize": SMALL_SIZE,
        "ytick.labelsize": FONT_SIZE,
        "xtick.color": INK_SOFT,
        "ytick.color": INK_SOFT,
        "xtick.labelcolor": INK_SOFT,
        "ytick.labelcolor": INK,
        "xtick.major.size": 2.0,
        "ytick.major.size": 2.0,
        "xtick.major.width": 0.6,
        "ytick.major.width": 0.6,
        "xtick.major.pad": 2.0,
        "ytick.major.pad": 2.0,
        "legend.fontsize": SMALL_SIZE,
        "legend.frameon": False,
        "legend.handlelength": 1.1,
        "legend.handleheight": 0.8,
        "legend.handletextpad": 0.4,
        "legend.columnspacing": 1.2,
        "legend.borderpad": 0.1,
        "legend.borderaxespad": 0.2,
        "hatch.color": ATTAINMENT_COLORS["no_target"],
        "hatch.linewidth": 0.5,
        "lines.solid_capstyle": "round",
        "figure.facecolor": "white",
        "savefig.facecolor": "white",
        "savefig.bbox": None,  # never "tight": the image must be exactly width_mm × height_mm
        "svg.fonttype": "none",  # text stays text, in the font the HTML declares
        "svg.hashsalt": SVG_HASHSALT,
        "svg.id": None,
        "figure.constrained_layout.w_pad": 1.5 / PT_PER_INCH,
        "figure.constrained_layout.h_pad": 1.5 / PT_PER_INCH,
        "figure.constrained_layout.wspace": 0.03,
        "figure.constrained_layout.hspace": 0.03,
    }


def _check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"chart format must be one of {sorted(FORMATS)}, not {fmt!r}")
    return fmt


@contextlib.contextmanager
def _style() -> Iterator[None]:
    import matplotlib

    with matplotlib.rc_context(_rc()):
        yield


def _figure(width_mm: float, height_mm: float, fmt: str, dpi: int, *, constrained: bool = True) -> Figure:
    """A pyplot-free figure on an Agg canvas (no GUI backend, never registered with pyplot), laid out at the
    output dpi."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(
        figsize=(width_mm / MM_PER_INCH, height_mm / MM_PER_INCH),
        dpi=dpi if fmt == "png" else PT_PER_INCH,
        layout="constrained" if constrained else None,
    )
    FigureCanvasAgg(fig)
    return fig


def _freeze_layout(fig: Figure) -> None:
    """Run the constrained layout once and keep it, so labels placed afterwards fit known widths."""
    fig.draw_without_rendering()
    fig.set_layout_engine("none")


def _save(fig: Figure, fmt: str, dpi: int, width_mm: float, height_mm: float, alt: str) -> Chart:
    buffer = io.BytesIO()
    if fmt == "svg":
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    else:
        fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return Chart(buffer.getvalue(), FORMATS[fmt], width_mm, height_mm, alt)


def _renderer(fig: Figure) -> RendererBase:
    return fig.canvas.get_renderer()  # type: ignore[attr-defined]  # FigureCanvasAgg, attached in _figure


def _text_width_pt(fig: Figure, text: str, size: float, weight: str = "normal") -> float:
    """How wide a text is drawn, in points, measured with the real font."""
    from matplotlib.font_manager import FontProperties

    renderer = _renderer(fig)
    width, _, _ = renderer.get_text_width_height_descent(
        text, FontProperties(family=font_family(), size=size, weight=weight), ismath=False
    )
    return float(width) * PT_PER_INCH / fig.dpi


def _axes_width_pt(fig: Figure, ax: Axes) -> float:
    return float(ax.get_position().width * fig.get_figwidth() * PT_PER_INCH)


def _ink_on(fill: str) -> str:
    """Dark or white text, whichever contrasts more with the fill (WCAG relative luminance)."""
    r, g, b = (int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5))

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    return "white" if (1.05 / (luminance + 0.05)) > ((luminance + 0.05) / 0.0606) else INK


# ---------------------------------------------------------------------------------------------------- text


def _units(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _wrap(label: str, max_units: int, max_lines: int = 2) -> str:
    """Wrap a label to lines of max_units (a CJK character counts 2), breaking Latin at spaces; '…' if cut."""
    tokens = re.findall(r"[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+\s*|\s+|.", " ".join(label.split()))
    lines: list[str] = []
    line = ""
    for token in tokens:
        while token:
            if sum(map(_units, (line + token).rstrip())) <= max_units:
                line += token
                token = ""
            elif line.strip():
                lines.append(line.rstrip())
                line = ""
                token = token.lstrip()
            else:  # a single token longer than a line: cut it
                cut = 0
                while cut < len(token) and sum(map(_units, token[: cut + 1])) <= max_units:
                    cut += 1
                lines.append(token[: max(cut, 1)])
                token = token[max(cut, 1) :]
    if line.strip():
        lines.append(line.rstrip())
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and sum(map(_units, last + "…")) > max_units:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last.rstrip() + "…"]
    return "\n".join(lines)


def _label_units(width_mm: float) -> int:
    """How many units (half a CJK character) a category label may use per line: about 28 % of the chart."""
    return max(10, int(width_mm * 0.28 / 1.35))


def _compact(value: float) -> str:
    """A short axis number: 950, 1.2k, 35k, 1.2M."""
    magnitude = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if magnitude >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


def _plain(value: float) -> str:
    """A number for alt text: grouped, no spurious decimals."""
    if float(value).is_integer() or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def month_abbr(month: str) -> str:
    """'2026-08' → 'Aug' (locale-free, for English reviews)."""
    return _MONTH_ABBR[int(month[5:7]) - 1]


def _legend_columns(fig: Figure, labels: Sequence[str], width_mm: float) -> int:
    """Legend columns that fit the chart's width (a legend never runs off the image), balanced over the rows
    it needs, so six entries read 3 + 3 rather than 5 + 1."""
    entry = max(_text_width_pt(fig, label, SMALL_SIZE) for label in labels) + SMALL_SIZE * (1.1 + 0.4 + 1.2)
    available = width_mm / MM_PER_INCH * PT_PER_INCH - 6
    fitting = max(1, min(len(labels), int(available // entry)))
    return math.ceil(len(labels) / math.ceil(len(labels) / fitting))


def _row_major(count: int, columns: int) -> list[int]:
    """Indices in the order matplotlib's column-first legend needs to read left to right, then down."""
    rows = math.ceil(count / columns)
    return [
        row * columns + column
        for column in range(columns)
        for row in range(rows)
        if row * columns + column < count
    ]


# ---------------------------------------------------------------------------------------------------- charts


def _bar_rows_height(labels: Sequence[str], legend_rows: int, *, extra_mm: float = 0.0) -> float:
    two_lines = any("\n" in label for label in labels)
    row_mm = 7.2 if two_lines else 5.6
    return round(len(labels) * row_mm + 8.0 + legend_rows * 4.0 + extra_mm, 1)


def _style_category_axis(ax: Axes, labels: Sequence[str]) -> None:
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(len(labels) - 0.5, -0.5)  # first row on top
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.grid(axis="x")


def goal_attainment(
    rows: Sequence[tuple[str, float | None, str]],
    *,
    percent: Callable[[float], str],
    target_label: str,
    no_target_label: str,
    legend: tuple[str, str] | None = None,
    width_mm: float = FULL_WIDTH_MM,
    fmt: str = DEFAULT_FORMAT,
    dpi: int = DEFAULT_DPI,
) -> Chart:
    """One bar per goal (label, attainment fraction or None without a target, value text such as "199 / 200"),
    with a line at 100 %: the eye sees at once which goals were met (green) and which fell short (grey).
    `percent` writes a fraction as the review's tables do (bar labels, axis, alt text); `legend` names the two
    colours (met, below target) above the plot."""
    if not rows:
        raise ValueError("goal_attainment needs at least one goal")
    fmt = _check_format(fmt)
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    labels = [_wrap(label, _label_units(width_mm)) for label, _, _ in rows]
    reached = [max(0.0, a) for _, a, _ in rows if a is not None]
    x_max = max(1.12, min(max(reached, default=1.0), ATTAINMENT_CAP) * 1.04)
    height_mm = _bar_rows_height(labels, 1 if legend else 0, extra_mm=2.5)
    with _style():
        fig = _figure(width_mm, height_mm, fmt, dpi)
        ax = fig.add_subplot()
        _style_category_axis(ax, labels)
        if legend is not None:
            from matplotlib.patches import Patch

            handles = [Patch(color=ATTAINMENT_COLORS[key], linewidth=0) for key in ("win", "gap")]
            fig.legend(handles, list(legend), loc="outside upper left", ncols=2)
        ax.set_xlim(0, x_max)
        ax.xaxis.set_major_locator(MultipleLocator(0.25 if x_max <= 1.5 else 0.5))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: percent(value)))
        ax.axvline(1.0, color=ATTAINMENT_COLORS["target"], linewidth=0.8, linestyle=(0, (3, 2)), zorder=3)
        ax.annotate(
            target_label,
            xy=(1.0, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, 1.5),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=SMALL_SIZE,
            color=ATTAINMENT_COLORS["target"],
        )
        for i, (_, attainment, value_text) in enumerate(rows):
            if attainment is None:
                # no bar at all: a full-length outline read as "met" at a glance
                ax.text(
                    0.01,
                    i,
                    no_target_label,
                    ha="left",
                    va="center",
                    fontsize=SMALL_SIZE,
                    color=INK_SOFT,
                    fontstyle="italic",
                )
            else:
                color = ATTAINMENT_COLORS["win" if attainment >= 1.0 else "gap"]
                ax.barh(i, min(max(0.0, attainment), x_max), height=BAR_HEIGHT, color=color, linewidth=0)
            ax.annotate(  # the value column, right of the plot, so it never collides with a bar
                value_text,
                xy=(1.0, i),
                xycoords=("axes fraction", "data"),
                xytext=(8, 0),
                textcoords="offset points",
                ha="left",
                va="center",
                fontsize=SMALL_SIZE,
                color=INK_SOFT,
            )
        _freeze_layout(fig)
        points_per_unit = _axes_width_pt(fig, ax) / x_max
        for i, (_, attainment, _) in enumerate(rows):
            if attainment is None:
                continue
            text = percent(attainment)
            bar_pt = min(max(0.0, attainment), x_max) * points_per_unit
            fill = ATTAINMENT_COLORS["win" if attainment >= 1.0 else "gap"]
            if bar_pt >= _text_width_pt(fig, text, SMALL_SIZE, "bold") + 6:
                xy, dx, ha, color = (min(max(0.0, attainment), x_max), i), -3, "right", _ink_on(fill)
            else:
                xy, dx, ha, color = (max(0.0, attainment), i), 3, "left", INK
            ax.annotate(
                text,
                xy=xy,
                xytext=(dx, 0),
                textcoords="offset points",
                ha=ha,
                va="center",
                fontsize=SMALL_SIZE,
                fontweight="bold",
                color=color,
                zorder=4,
            )
        alt = goal_attainment_alt(rows, percent=percent, no_target_label=no_target_label)
        return _save(fig, fmt, dpi, width_mm, height_mm, alt)


def goal_attainment_alt(
    rows: Sequence[tuple[str, float | None, str]], *, percent: Callable[[float], str], no_target_label: str
) -> str:
    """goal_attainment's data in words (its alt text), without drawing it."""
    return "; ".join(
        f"{label}: {no_target_label if a is None else percent(a)} ({value})" for label, a, value in rows
    )


def _ordered_keys(rows: Sequence[Mapping[str, float]], known: Sequence[str]) -> list[str]:
    """The keys that carry data in the palette's order, unknown keys last (sorted, for stable output)."""
    present = {key for row in rows for key, value in row.items() if value}
    return [key for key in known if key in present] + sorted(present - set(known))


def _stacked_bars(
    rows: Sequence[tuple[str, Mapping[str, float]]],
    *,
    colors: Mapping[str, str],
    known: Sequence[str],
    legend: Mapping[str, str],
    percent: Callable[[float], str] | None,
    width_mm: float,
    fmt: str,
    dpi: int,
    alt: str,
) -> Chart:
    """Horizontal stacked bars with a legend on top and each segment's figure written in it where it fits:
    shares of 100 % written by `percent`, or counts when `percent` is None."""
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    keys = _ordered_keys([values for _, values in rows], known)
    totals = [sum(max(0.0, float(values.get(key, 0) or 0)) for key in keys) for _, values in rows]
    labels = [_wrap(label, _label_units(width_mm)) for label, _ in rows]
    legend_labels = [legend.get(key, key) for key in keys]
    shares = percent is not None
    with _style():
        fig = _figure(width_mm, 10.0, fmt, dpi)
        columns = _legend_columns(fig, legend_labels, width_mm) if keys else 1
        legend_rows = math.ceil(len(keys) / columns) if keys else 0
        height_mm = _bar_rows_height(labels, legend_rows)
        fig.set_size_inches(width_mm / MM_PER_INCH, height_mm / MM_PER_INCH)
        ax = fig.add_subplot()
        _style_category_axis(ax, labels)
        x_max = 1.0 if shares else max(max(totals, default=0.0) * 1.1, 1.0)
        ax.set_xlim(0, x_max)
        if percent is not None:
            ax.xaxis.set_major_locator(MaxNLocator(nbins=4, steps=[2.5, 5, 10]))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: percent(value)))
        else:
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        segments: list[tuple[int, float, float, str, float]] = []  # row, left, width, colour, value
        for i, (_, values) in enumerate(rows):
            left = 0.0
            for key in keys:
                value = max(0.0, float(values.get(key, 0) or 0))
                if not value:
                    continue
                width = value / totals[i] if shares else value
                color = colors.get(key, colors["other"])
                ax.barh(i, width, left=left, height=BAR_HEIGHT, color=color, edgecolor="white", linewidth=0.6)
                segments.append((i, left, width, color, value))
                left += width
        if keys:
            order = _row_major(len(keys), columns)
            handles = [Patch(facecolor=colors.get(keys[i], colors["other"]), linewidth=0) for i in order]
            fig.legend(handles, [legend_labels[i] for i in order], loc="outside upper left", ncols=columns)
        _freeze_layout(fig)
        points_per_unit = _axes_width_pt(fig, ax) / x_max
        for i, left, width, color, value in segments:
            text = percent(width) if percent is not None else f"{value:g}"
            if width * points_per_unit >= _text_width_pt(fig, text, SMALL_SIZE) + 4:
                ax.text(
                    left + width / 2,
                    i,
                    text,
                    ha="center",
                    va="center",
                    fontsize=SMALL_SIZE,
                    color=_ink_on(color),
                    zorder=4,
                )
        for i, total in enumerate(totals):
            # Counts get their total at the bar's end; an empty row says so instead of looking like a fault.
            if not total or not shares:
                ax.annotate(
                    f"{total:g}" if total else "–",
                    xy=(total, i),
                    xytext=(3, 0),
                    textcoords="offset points",
                    ha="left",
                    va="center",
                    fontsize=SMALL_SIZE,
                    color=INK_SOFT,
                )
        return _save(fig, fmt, dpi, width_mm, height_mm, alt)


def _breakdown_alt(
    rows: Sequence[tuple[str, Mapping[str, float]]],
    names: Mapping[str, str],
    known: Sequence[str],
    percent: Callable[[float], str] | None,
) -> str:
    parts = []
    keys = _ordered_keys([values for _, values in rows], known)
    for label, values in rows:
        total = sum(max(0.0, float(values.get(key, 0) or 0)) for key in keys)
        items = [
            f"{names.get(key, key)} {percent(values[key] / total) if percent else _plain(values[key])}"
            for key in keys
            if values.get(key) and total
        ]
        parts.append(f"{label}: {', '.join(items) or '–'}")
    return "; ".join(parts)


def channel_mix(
    rows: Sequence[tuple[str, Mapping[str, float]]],
    channel_labels: Mapping[str, str],
    *,
    percent: Callable[[float], str],
    width_mm: float = FULL_WIDTH_MM,
    fmt: str = DEFAULT_FORMAT,
    dpi: int = DEFAULT_DPI,
) -> Chart:
    """One 100 % bar per goal split by channel (activity counts by channel key): varied work, shown serving
    one goal, each share written by `percent`. A goal with no activities keeps its row, marked "–"."""
    if not rows:
        raise ValueError("channel_mix needs at least one goal")
    fmt = _check_format(fmt)
    return _stacked_bars(
        rows,
        colors=CHANNEL_COLORS,
        known=CHANNEL_KEYS,
        legend=channel_labels,
        percent=percent,
        width_mm=width_mm,
        fmt=fmt,
        dpi=dpi,
        alt=channel_mix_alt(rows, channel_labels, percent=percent),
    )


def channel_mix_alt(
    rows: Sequence[tuple[str, Mapping[str, float]]],
    channel_labels: Mapping[str, str],
    *,
    percent: Callable[[float], str],
) -> str:
    """channel_mix's data in words (its alt text), without drawing it."""
    return _breakdown_alt(rows, channel_labels, CHANNEL_KEYS, percent)


def status_by_channel(
    rows: Sequence[tuple[str, Mapping[str, int]]],
    status_labels: Mapping[str, str],
    *,
    width_mm: float = HALF_WIDTH_MM,
    fmt: str = DEFAULT_FORMAT,
    dpi: int = DEFAULT_DPI,
) -> Chart:
    """Per channel (label, counts by status key), a bar of its activities stacked by status, total at the end:
    where work got done and where it slipped or was dropped."""
    if not rows:
        raise ValueError("status_by_channel needs at least one channel")
    fmt = _check_format(fmt)
    return _stacked_bars(
        rows,
        colors=STATUS_COLORS,
        known=STATUS_KEYS,
        legend=status_labels,
        percent=None,
        width_mm=width_mm,
        fmt=fmt,
        dpi=dpi,
        alt=status_by_channel_alt(rows, status_labels),
    )


def status_by_channel_alt(
    rows: Sequence[tuple[str, Mapping[str, int]]], status_labels: Mapping[str, str]
) -> str:
    """status_by_channel's data in words (its alt text), without drawing it."""
    return _breakdown_alt(rows, status_labels, STATUS_KEYS, None)


def _nan(values: Sequence[float | None]) -> list[float]:
    return [math.nan if value is None else float(value) for value in values]


def _round_ticks(highest: float, steps: int) -> list[float]:
    """Ticks from 0 in `steps` equal steps of a round size (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 10ⁿ), the last
    at or above `highest` and close to it."""
    if highest <= 0:
        return [float(i) for i in range(steps + 1)]
    raw = highest / steps
    power = 10 ** math.floor(math.log10(raw))
    factors = (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10)
    step = next(factor * power for factor in factors if factor * power >= raw * (1 - 1e-9))
    return [step * i for i in range(steps + 1)]


def _month_ticks(count: int, max_labels: int) -> list[int]:
    """Every step-th month, counted back from the latest one so the current month is always labelled."""
    step = max(1, math.ceil(count / max(2, max_labels)))
    return sorted(range(count - 1, -1, -step))


def _plot_gappy(ax: Axes, values: Sequence[float | None], **style: Any) -> None:
    """A line with gaps where a value is None; a point left alone between gaps still shows as a dot."""
    ys = _nan(values)
    ax.plot(range(len(ys)), ys, **style)
    alone = [
        i
        for i, y in enumerate(ys)
        if not math.isnan(y)
        and (i == 0 or math.isnan(ys[i - 1]))
        and (i == len(ys) - 1 or math.isnan(ys[i + 1]))
    ]
    if alone:
        ax.plot(
            alone, [ys[i] for i in alone], linestyle="none", marker="o", markersize=2.2, color=style["color"]
        )


def compounding(
    series: Sequence[CompoundingSeries],
    *,
    cost_label: str,
    result_label: str,
    cpr_label: str,
    currency: str,
    month_label: Callable[[str], str] = month_abbr,
    number_format: Callable[[float], str] = _compact,
    unit_label: str = "{label} ({unit})",
    width_mm: float = FULL_WIDTH_MM,
    height_mm: float = 62.0,
    fmt: str = DEFAULT_FORMAT,
    dpi: int = DEFAULT_DPI,
) -> Chart:
    """Small multiples, one panel per compounding channel: cumulative cost (left axis, solid) against
    cumulative results (right axis, dashed), and beneath each its cost per result, to show value accumulating
    before it pays back. `currency` is a symbol such as "¥"; `number_format` shortens axis numbers
    (default: 1.2k); `unit_label` writes a legend label with its unit, the language's way
    ("{label}（{unit}）")."""
    if not series:
        raise ValueError("compounding needs at least one channel")
    fmt = _check_format(fmt)
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FixedLocator, FuncFormatter

    cost_color, result_color, cpr_color = (
        SERIES_COLORS[key] for key in ("cost", "results", "cost_per_result")
    )
    money = FuncFormatter(lambda value, _: f"{currency}{number_format(value)}")
    count = FuncFormatter(lambda value, _: number_format(value))
    panel_mm = width_mm / len(series)
    with _style():
        fig = _figure(width_mm, height_mm, fmt, dpi)
        grid = fig.add_gridspec(2, len(series), height_ratios=(3.0, 1.25), hspace=0.35)
        for column, one in enumerate(series):
            top = fig.add_subplot(grid[0, column])
            bottom = fig.add_subplot(grid[1, column], sharex=top)
            right = top.twinx()
            xs = range(len(one.months))
            _plot_gappy(top, one.cumulative_cost, color=cost_color, linewidth=1.4)
            _plot_gappy(
                right, one.cumulative_results, color=result_color, linewidth=1.4, linestyle=(0, (4, 1.6))
            )
            _plot_gappy(
                bottom, one.cost_per_result, color=cpr_color, linewidth=1.0, marker="o", markersize=1.8
            )
            top.set_title(one.channel, loc="left", fontsize=FONT_SIZE, fontweight="bold", pad=3)
            # both axes from zero to a round number at or above their highest point, in the same four steps,
            # so the right axis' ticks sit on the left axis' gridlines and no line runs past the last tick
            for axis, formatter, values in (
                (top, money, one.cumulative_cost),
                (right, count, one.cumulative_results),
            ):
                ticks = _round_ticks(max((v for v in values if v is not None), default=0.0), 4)
                axis.set_ylim(0, ticks[-1])
                axis.yaxis.set_major_locator(FixedLocator(ticks))
                axis.yaxis.set_major_formatter(formatter)
                axis.tick_params(axis="y", labelsize=SMALL_SIZE, length=0)
            top.tick_params(axis="y", labelcolor=cost_color)
            right.tick_params(axis="y", labelcolor=result_color)
            right.spines["right"].set_visible(False)
            top.spines["left"].set_visible(False)
            top.grid(axis="y")
            top.tick_params(axis="x", labelbottom=False, length=0)
            # from zero too, so a fall in cost per result looks as large as it is
            cpr_ticks = _round_ticks(max((v for v in one.cost_per_result if v is not None), default=0.0), 2)
            bottom.set_ylim(0, cpr_ticks[-1])
            bottom.yaxis.set_major_locator(FixedLocator(cpr_ticks))
            bottom.yaxis.set_major_formatter(money)
            bottom.tick_params(axis="y", labelsize=SMALL_SIZE, length=0)
            bottom.spines["left"].set_visible(False)
            bottom.grid(axis="y")
            bottom.set_title(cpr_label, loc="left", fontsize=SMALL_SIZE, pad=2, color=INK_SOFT)
            month_ticks = _month_ticks(len(one.months), int(panel_mm / 10))
            bottom.xaxis.set_major_locator(FixedLocator(month_ticks))
            bottom.set_xticklabels([month_label(one.months[i]) for i in month_ticks])
            top.set_xlim(-0.3, max(len(xs) - 0.7, 0.3))
        fig.legend(
            [
                Line2D([], [], color=cost_color, linewidth=1.4),
                Line2D([], [], color=result_color, linewidth=1.4, linestyle=(0, (4, 1.6))),
                Line2D([], [], color=cpr_color, linewidth=1.0, marker="o", markersize=1.8),
            ],
            [
                unit_label.format(label=cost_label, unit=currency),
                result_label,
                unit_label.format(label=cpr_label, unit=currency),
            ],  # fmt: skip
            loc="outside upper left",
            ncols=3,
        )
        alt = compounding_alt(
            series, cost_label=cost_label, result_label=result_label, cpr_label=cpr_label, currency=currency
        )
        return _save(fig, fmt, dpi, width_mm, height_mm, alt)


def compounding_alt(
    series: Sequence[CompoundingSeries], *, cost_label: str, result_label: str, cpr_label: str, currency: str
) -> str:
    """compounding's data in words (its alt text), without drawing it."""
    return "; ".join(_compounding_alt(one, cost_label, result_label, cpr_label, currency) for one in series)


def _last(values: Sequence[float | None]) -> float | None:
    return next((value for value in reversed(values) if value is not None), None)


def _first(values: Sequence[float | None]) -> float | None:
    return next((value for value in values if value is not None), None)


def _compounding_alt(one: CompoundingSeries, cost: str, results: str, cpr: str, currency: str) -> str:
    if not one.months:
        return f"{one.channel}: –"
    span = f"{one.months[0]}–{one.months[-1]}"
    cost_value, result_value = _last(one.cumulative_cost), _last(one.cumulative_results)
    first_cpr, last_cpr = _first(one.cost_per_result), _last(one.cost_per_result)
    parts = [
        f"{cost} {'–' if cost_value is None else currency + _plain(cost_value)}",
        f"{results} {'–' if result_value is None else _plain(result_value)}",
        f"{cpr} {'–' if first_cpr is None else currency + _plain(first_cpr)} → "
        f"{'–' if last_cpr is None else currency + _plain(last_cpr)}",
    ]
    return f"{one.channel} ({span}): {', '.join(parts)}"


def trend(
    months: Sequence[str],
    values: Sequence[float | None],
    *,
    label: str,
    month_label: Callable[[str], str],
    value_text: Callable[[float], str] = _plain,
    width_mm: float = 40.0,
    height_mm: float = 12.0,
    color: str = OKABE_ITO["blue"],
    fmt: str = DEFAULT_FORMAT,
    dpi: int = DEFAULT_DPI,
) -> Chart:
    """A sparkline of one KPI over the trailing months: the shape, the latest point marked, first and last
    month named beneath it, and its scale: the lowest and the highest value written at the left, where an
    axis stands, each on a faint line at its height, by `value_text` (as the review writes the KPI: a rate
    as a percentage, cost as money), so the line's rise or fall has a size. Not at the right: there a label
    sat beside the latest point and read as its value."""
    if len(months) != len(values):
        raise ValueError("trend needs one value per month")
    fmt = _check_format(fmt)
    ys = _nan(values)
    known = [y for y in ys if not math.isnan(y)]
    with _style():
        # Fixed margins, not constrained layout: a 12 mm figure is too small for it to solve reliably.
        fig = _figure(width_mm, height_mm, fmt, dpi, constrained=False)
        label_mm = SMALL_SIZE / PT_PER_INCH * MM_PER_INCH * 1.45 if months else 0.0
        low, high = (min(known), max(known)) if known else (0.0, 0.0)
        scale = [(low, value_text(low))] + ([(high, value_text(high))] if high != low else [])
        scale_mm = (
            max(_text_width_pt(fig, text, SMALL_SIZE) for _, text in scale) / PT_PER_INCH * MM_PER_INCH + 1.0
            if known
            else 0.0
        )
        # half a line of type above the highest label and below the lowest, so neither is cut
        half_mm = SMALL_SIZE / PT_PER_INCH * MM_PER_INCH * 0.6
        left, right, top, bottom = 1.2 + scale_mm, 1.2, max(1.2, half_mm), 0.8 + label_mm
        ax = fig.add_axes(
            (
                left / width_mm,
                bottom / height_mm,
                1 - (left + right) / width_mm,
                1 - (top + bottom) / height_mm,
            )
        )
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_xticks([])
        ax.set_yticks([])
        if months:
            ax.set_xlim(-0.15, max(len(months) - 1, 0) + 0.15)
        if known:
            pad = (high - low) * 0.04 or max(abs(high) * 0.1, 1.0)
            ax.set_ylim(low - pad, high + pad)
            for value, text in scale:
                ax.axhline(value, color=GRID, linewidth=0.6, zorder=1)
                ax.annotate(
                    text,
                    xy=(0.0, value),
                    xycoords=("axes fraction", "data"),
                    xytext=(-2.5, 0),
                    textcoords="offset points",
                    ha="right",
                    va="center",
                    fontsize=SMALL_SIZE,
                    color=INK_SOFT,
                )
            _plot_gappy(ax, values, color=color, linewidth=1.1, zorder=3)
            last = max(i for i, y in enumerate(ys) if not math.isnan(y))
            ax.plot([last], [ys[last]], linestyle="none", marker="o", markersize=2.6, color=color, zorder=4)
        ends = [(0.0, "left", months[0])] if months else []
        if len(months) > 1:
            ends.append((1.0, "right", months[-1]))
        for x, ha, month in ends:
            fig.text(
                (left + x * (width_mm - left - right)) / width_mm,
                0.6 / height_mm,
                month_label(month),
                ha=ha,
                va="bottom",
                fontsize=SMALL_SIZE,
                color=INK_SOFT,
            )
        alt = trend_alt(months, values, label=label, month_label=month_label, value_text=value_text)
        return _save(fig, fmt, dpi, width_mm, height_mm, alt)


def trend_alt(
    months: Sequence[str],
    values: Sequence[float | None],
    *,
    label: str,
    month_label: Callable[[str], str],
    value_text: Callable[[float], str] = _plain,
) -> str:
    """trend's data in words (its alt text), without drawing it; `value_text` writes a value as the review
    does (a rate as a percentage, money with its currency)."""
    return f"{label}: " + (
        ", ".join(
            f"{month_label(m)} {'–' if v is None else value_text(v)}"
            for m, v in zip(months, values, strict=True)
        )
        or "–"
    )
