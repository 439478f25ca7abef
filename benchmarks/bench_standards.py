"""What the archival and accessible PDF cost, and what the web page's own fonts cost (issue 20).

Run: `.venv/bin/python benchmarks/bench_standards.py [--repeat 3]`. For both samples it prints, best of
`repeat`, the whole `reportgen build` as a fresh process and the PDF's size for the default PDF, `--pdfa`,
`--pdfua` and both; the same renderings in one warm process (wall and CPU time, the steadier measure on a
shared machine); then, in one warm process, what `build --html` spends on its fonts (both weights cut to
the page's characters, and each chart's own) and the page's size with them.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reportgen.base.config import PdfSettings, load_config  # noqa: E402
from reportgen.pipeline.archiving import with_trends  # noqa: E402
from reportgen.pipeline.build import build_review, check_workbook  # noqa: E402
from reportgen.rendering import webfonts  # noqa: E402
from reportgen.rendering.document import render_review  # noqa: E402
from reportgen.rendering.render import review_charts  # noqa: E402

MONTH = "2026-10"
AS_OF = "2026-11-03"
SAMPLES = ("northwind-en", "xinghe-zh")
VARIANTS = {"default": (), "--pdfa": ("--pdfa",), "--pdfua": ("--pdfua",), "both": ("--pdfa", "--pdfua")}


def build_once(sample: str, options: tuple[str, ...], folder: Path) -> tuple[float, int]:
    pdf = folder / f"{sample}.pdf"
    workbook = ROOT / "samples" / f"{sample}.xlsx"
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "reportgen", "build", str(workbook), "--month", MONTH, "--as-of", AS_OF]
        + ["-o", str(pdf), *options],
        check=True,
        capture_output=True,
        env={**os.environ, "XDG_DATA_HOME": str(folder / "data")},
    )
    return time.perf_counter() - started, pdf.stat().st_size


def pdf_table(repeat: int) -> None:
    print(f"| sample | PDF | build s (best of {repeat}) | vs default | size KB | vs default |")
    print("|---|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for sample in SAMPLES:
            results = {}
            for _ in range(repeat):  # interleaved, so drift on a shared machine hits every variant alike
                for label, options in VARIANTS.items():
                    seconds, size = build_once(sample, options, folder)
                    best = results.get(label, (float("inf"), size))[0]
                    results[label] = (min(best, seconds), size)
            base_seconds, base_size = results["default"]
            for label, (seconds, size) in results.items():
                print(
                    f"| {sample} | {label} | {seconds:.2f} | {seconds - base_seconds:+.2f} s | "
                    f"{size / 1024:.0f} | {100 * (size - base_size) / base_size:+.0f}% |"
                )


SETTINGS = {
    "default": PdfSettings(),
    "--pdfa": PdfSettings(archival=True),
    "--pdfua": PdfSettings(accessible=True),
    "both": PdfSettings(archival=True, accessible=True),
}


def warm_table(repeat: int) -> None:
    """render_review in one warm process: wall time, and the CPU time of this process alone (the layout and
    the writing; the charts are drawn in a forked child), which other work on a shared machine does not
    inflate the way it inflates wall time."""
    print()
    print(f"| sample | PDF | warm render s (best of {repeat}) | its CPU s | CPU vs default |")
    print("|---|---|---:|---:|---:|")
    config = load_config(ROOT / "samples" / "reportgen.toml")
    as_of = dt.date.fromisoformat(AS_OF)
    for sample in SAMPLES:
        checked = check_workbook(ROOT / "samples" / f"{sample}.xlsx", config, as_of)
        review = with_trends(build_review(checked, MONTH, as_of, checked.sheet_lang, config), {})
        render_review(review, config)  # warm: imports, fonts, caches
        best: dict[str, tuple[float, float]] = {}
        for _ in range(repeat):
            for label, settings in SETTINGS.items():
                wall, cpu = time.perf_counter(), time.process_time()
                render_review(review, dataclasses.replace(config, pdf=settings))
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                old = best.get(label, (float("inf"), float("inf")))
                best[label] = (min(old[0], wall), min(old[1], cpu))
        for label, (wall, cpu) in best.items():
            print(f"| {sample} | {label} | {wall:.2f} | {cpu:.2f} | {cpu - best['default'][1]:+.2f} s |")


def font_table(repeat: int) -> None:
    print()
    print("| sample | page fonts s | chart fonts s | page KB | of it fonts KB |")
    print("|---|---:|---:|---:|---:|")
    config = load_config(ROOT / "samples" / "reportgen.toml")
    as_of = dt.date.fromisoformat(AS_OF)
    webfonts.page_fonts("字")  # HarfBuzz's faces opened once, as in a build
    for sample in SAMPLES:
        checked = check_workbook(ROOT / "samples" / f"{sample}.xlsx", config, as_of)
        review = with_trends(build_review(checked, MONTH, as_of, checked.sheet_lang, config), {})
        page = render_review(review, config, with_pdf=False, with_page=True).html or ""
        charts = review_charts(review)
        page_best = chart_best = float("inf")
        for _ in range(repeat):
            started = time.perf_counter()
            fonts = webfonts.page_fonts(set(page))
            page_best = min(page_best, time.perf_counter() - started)
            started = time.perf_counter()
            carried = [webfonts.svg_with_fonts(asset.data) for asset in charts.values()]
            chart_best = min(chart_best, time.perf_counter() - started)
        font_bytes = sum(len(font.data) for font in fonts.values()) + sum(
            len(svg) - len(asset.data) for svg, asset in zip(carried, charts.values(), strict=True)
        )
        print(
            f"| {sample} | {page_best:.2f} | {chart_best:.2f} | {len(page.encode()) / 1024:.0f} | "
            f"{font_bytes * 4 / 3 / 1024:.0f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    pdf_table(arguments.repeat)
    warm_table(max(arguments.repeat, 5))
    font_table(arguments.repeat)


if __name__ == "__main__":
    main()
