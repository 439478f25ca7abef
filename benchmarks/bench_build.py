"""How long a whole review takes, stage by stage, against WeasyPrint alone rendering the same page.

Run: `.venv/bin/python benchmarks/bench_build.py [--rows 100000] [--repeat 3] [--workdir DIR]`. For each
sample workbook and a generated 100,000-row workbook (benchmarks/bench_figures.py makes and caches it in the
workdir, default /tmp/reportgen-bench; `--rows 0` leaves it out) it prints, best of `repeat`:

- the whole `reportgen build` as a fresh process (start-up included), and the PDF's size and page count;
- in one warm process: read (read_workbook + normalize + map), compute (figures, overlooked, takeaways),
  charts, HTML (context + template), PDF (WeasyPrint layout and writing) and table (the attached .xlsx past
  300 activities); a real build draws the charts and writes the table in a forked process during the layout;
- `weasyprint` itself as a fresh process on the same HTML, its assets written out as files.

Targets (issue 4): the whole build at most 1.5× the bare `weasyprint` command; the 100,000-row workbook in at
most 10 s; the Chinese sample's PDF under 2 MB; a sample review in about 4 s from a cold start.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_figures import (  # noqa: E402  (the shared timing helper, workbook cache and 100k workbook)
    DEFAULT_WORKDIR,
    best_of,
    ensure_workbook,
)

MONTH = "2026-10"
AS_OF = "2026-11-03"


def timed_process(argv: list[str], cwd: Path, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(argv, cwd=cwd, check=True, capture_output=True)
        best = min(best, time.perf_counter() - started)
    return best


def stages(workbook: Path, workdir: Path, repeat: int) -> dict[str, float | str]:
    """Each stage in one warm process, as rendering.document.render_review runs them; the page for bare
    WeasyPrint."""
    from reportgen.base.config import load_config
    from reportgen.pipeline.build import build_review, check_workbook
    from reportgen.rendering import context as page_context
    from reportgen.rendering import pdf, render, templates
    from reportgen.rendering.context.appendix import APPENDIX_LIMIT

    as_of = dt.date.fromisoformat(AS_OF)
    config = load_config(None, workbook)
    gc.disable()
    t_read, checked = best_of(repeat, lambda: check_workbook(workbook, config, as_of))
    t_compute, review = best_of(repeat, lambda: build_review(checked, MONTH, as_of, None, config))
    drawable = pdf.drawable_codepoints()
    context = page_context.build_context(review, config.team, render.glyph_findings(review, drawable))
    t_charts, charts = best_of(repeat, lambda: render.review_charts(review))
    context = dataclasses.replace(context, charts={name: f"{pdf.SCHEME}chart/{name}" for name in charts})
    stylesheet = templates.stylesheet()
    t_html, html = best_of(repeat, lambda: render.render_html(context, f"{pdf.SCHEME}review.css"))
    assets = pdf.bundled_assets(stylesheet, charts)
    t_pdf, (data, _) = best_of(repeat, lambda: pdf.render_pdf(html, assets, as_of))
    t_table = 0.0
    if len(review.rows) > APPENDIX_LIMIT:  # the attached table: made in the background process
        from reportgen.rendering import spreadsheet as export

        t_table, _ = best_of(
            repeat, lambda: export.activities_workbook(review.rows, review.checked.sheet, review.lang, as_of)
        )
    gc.enable()
    # the same page for the weasyprint command: every reportgen: asset written out as a file beside it
    page_dir = workdir / f"page-{workbook.stem}"
    page_dir.mkdir(exist_ok=True)
    for url, asset in assets.items():
        target = page_dir / url.removeprefix(pdf.SCHEME)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(asset.data)
    (page_dir / "review.html").write_text(html.replace(pdf.SCHEME, ""), "utf-8")
    (page_dir / "review.css").write_text(stylesheet.replace(pdf.SCHEME, ""), "utf-8")
    return {
        "read": t_read,
        "compute": t_compute,
        "charts": t_charts,
        "html": t_html,
        "pdf": t_pdf,
        "table": t_table,
        "page": str(page_dir / "review.html"),
        "size": len(data),
    }


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def pages_of(pdf_path: Path) -> int:
    import pypdf

    return len(pypdf.PdfReader(pdf_path).pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="generated workbook's cache")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="reportgen-bench-build-"))
    subprocess.run(
        [sys.executable, str(ROOT / "samples" / "make_samples.py"), str(workdir)],
        check=True,
        capture_output=True,
    )
    shutil.copy(ROOT / "samples" / "reportgen.toml", workdir / "reportgen.toml")
    workbooks = [workdir / "northwind-en.xlsx", workdir / "xinghe-zh.xlsx"]
    if args.rows:
        big, _ = ensure_workbook(args.workdir, args.rows)
        workbooks.append(big)
    weasyprint = shutil.which("weasyprint", path=str(Path(sys.executable).parent)) or "weasyprint"
    rows = []
    for workbook in workbooks:
        out = workdir / f"{workbook.stem}.pdf"
        whole = timed_process(
            [
                sys.executable,
                "-m",
                "reportgen",
                "build",
                str(workbook),
                "--month",
                MONTH,
                "--as-of",
                AS_OF,
                "-o",
                str(out),
            ],
            workdir,
            args.repeat,
        )
        parts = stages(workbook, workdir, args.repeat)
        page = Path(str(parts["page"]))
        bare = timed_process([weasyprint, str(page), str(page.with_suffix(".pdf"))], page.parent, args.repeat)
        rows.append((workbook.name, whole, parts, bare, out.stat().st_size, pages_of(out)))
    print(f"python {sys.version.split()[0]} · {MONTH} as of {AS_OF} · best of {args.repeat}\n")
    print(
        "| workbook | whole build (s) | read | compute | charts | HTML | PDF | table | bare weasyprint (s) "
        "| ratio | PDF size | pages |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, whole, parts, bare, size, pages in rows:
        print(
            f"| {name} | {whole:.2f} | {parts['read']:.2f} | {parts['compute']:.2f} | {parts['charts']:.2f} "
            f"| {parts['html']:.2f} | {parts['pdf']:.2f} | {parts['table']:.2f} | {bare:.2f} "
            f"| {whole / bare:.2f} "
            f"| {size / 1e6:.2f} MB | {pages} |"
        )
    print()
    worst_ratio = max(whole / bare for _, whole, _, bare, _, _ in rows)
    print(f"- whole build ≤ 1.5× bare weasyprint: worst {worst_ratio:.2f} → {verdict(worst_ratio <= 1.5)}")
    if args.rows:
        big_time = rows[-1][1]
        print(f"- {args.rows:,}-row workbook ≤ 10 s: {big_time:.2f} s → {verdict(big_time <= 10)}")
    zh_size = rows[1][4]
    print(f"- Chinese sample PDF < 2 MB: {zh_size / 1e6:.2f} MB → {'met' if zh_size < 2e6 else 'NOT met'}")
    sample_time = max(rows[0][1], rows[1][1])
    print(f"- sample review in about 4 s: {sample_time:.2f} s → {'met' if sample_time <= 4 else 'NOT met'}")


if __name__ == "__main__":
    main()
