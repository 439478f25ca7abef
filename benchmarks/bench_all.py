"""`make bench`: every benchmark's headline cases, each against its bare anchor, in one table.

Run: `.venv/bin/python benchmarks/bench_all.py [--repeat 3] [--scale 10000,100000,1000000] [--quick]`. Each
case is a whole fresh process (start-up included), best of `repeat`, with its peak RSS (os.wait4, the
process's own). The anchors are what the work would cost without reportgen: the `weasyprint` command on the
same page (its assets written out as files), a bare fastexcel read of the same sheet into Arrow (the figures'
anchor, with its peak RSS: the `bench` extra, `pip install -e '.[dev,bench]'`, which `make bench` installs),
a bare python-calamine read (the reader reportgen uses), an empty Python,
`batch --jobs 1` for `--jobs 2`, local `batch` for the queue, the default PDF for the archival one. Generated
workbooks are cached in `--workdir` (default /tmp/reportgen-bench); a fresh machine makes them first (the
million rows take a few minutes). `--quick` leaves out the million rows, the queue and the batch.

The per-script benchmarks (bench_build, bench_figures, bench_batch, bench_queue, bench_charts,
bench_standards) print their own detailed tables; this one calls their functions for its rows, and prints,
below the table, where a build's time goes stage by stage, and the slope of time and memory against rows.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_build import AS_OF, MONTH, stages  # noqa: E402
from bench_figures import (  # noqa: E402
    DEFAULT_WORKDIR,
    Measured,
    bare_fastexcel_argv,
    bare_read_argv,
    build_argv,
    ensure_workbook,
    measure,
)

GB = 1024.0  # MB
T = TypeVar("T")


def in_fresh_process(function: Callable[..., T], *args: Any) -> T:
    """Run in-process measurements in a spawned process, so this one stays small: a child forked from it
    would count this process's memory in its own peak RSS."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    seconds: float
    anchor: str
    anchor_seconds: float
    peak_mb: float | None
    target: str
    met: Callable[[Case], bool] | None  # None: measured, no target
    anchor_peak_mb: float | None = None  # the anchor's own peak RSS, where the target compares memory too

    @property
    def ratio(self) -> float:
        return self.seconds / self.anchor_seconds

    @property
    def memory_ratio(self) -> float | None:
        if self.peak_mb is None or not self.anchor_peak_mb:
            return None
        return self.peak_mb / self.anchor_peak_mb

    def verdict(self) -> str:
        if self.met is None:
            return "–"
        return "met" if self.met(self) else "NOT met"


def ratio_at_most(limit: float) -> Callable[[Case], bool]:
    return lambda case: case.ratio <= limit


def figures_met(case: Case) -> bool:
    """The figures' target: at most 1.3 times the bare fastexcel read's time and 1.15 times its memory."""
    return case.ratio <= 1.3 and case.memory_ratio is not None and case.memory_ratio <= 1.15


def build_pdf_argv(workbook: Path, out: Path) -> list[str]:
    return [
        sys.executable, "-m", "reportgen", "build", str(workbook),
        "--month", MONTH, "--as-of", AS_OF, "-o", str(out),
    ]  # fmt: skip


def bare_weasyprint(workbook: Path, workdir: Path, repeat: int) -> tuple[Measured, dict[str, float | str]]:
    """The `weasyprint` command on the page reportgen lays out for this workbook, and the stages of a warm
    in-process build (bench_build.stages), which writes that page out."""
    parts = in_fresh_process(stages, workbook, workdir, 1)
    page = Path(str(parts["page"]))
    weasyprint = shutil.which("weasyprint", path=str(Path(sys.executable).parent)) or "weasyprint"
    return measure([weasyprint, str(page), str(page.with_suffix(".pdf"))], page.parent, repeat), parts


def startup_cases(workdir: Path, repeat: int) -> list[Case]:
    help_run = measure([sys.executable, "-m", "reportgen", "--help"], workdir, max(repeat, 5))
    empty = measure([sys.executable, "-c", "pass"], workdir, max(repeat, 5))
    return [
        Case(
            "reportgen --help",
            help_run.best_seconds,
            "python -c pass",
            empty.best_seconds,
            help_run.peak_mb,
            "< 0.3 s",
            lambda case: case.seconds < 0.3,
        )
    ]


def sample_cases(workdir: Path, repeat: int, profiles: dict[str, dict[str, float | str]]) -> list[Case]:
    cases = []
    for sample in ("northwind-en", "xinghe-zh"):
        workbook = workdir / f"{sample}.xlsx"
        build = measure(build_pdf_argv(workbook, workdir / f"{sample}.pdf"), workdir, repeat)
        bare, parts = bare_weasyprint(workbook, workdir, repeat)
        profiles[sample] = parts
        cases.append(
            Case(
                f"{sample} sample: build",
                build.best_seconds,
                "weasyprint, same page",
                bare.best_seconds,
                build.peak_mb,
                "≤ 1.10×",
                ratio_at_most(1.10),
            )
        )
    return cases


def rows_cases(
    cache: Path, workdir: Path, sizes: list[int], repeat: int, profiles: dict[str, dict[str, float | str]]
) -> tuple[list[Case], list[tuple[int, float, float]]]:
    cases: list[Case] = []
    scale: list[tuple[int, float, float]] = []
    for size in sizes:
        workbook, generated = in_fresh_process(ensure_workbook, cache, size)
        if generated is not None:
            print(f"generated {workbook.name} in {generated:.0f} s", file=sys.stderr, flush=True)
        runs = repeat if size <= 100_000 else 1
        label = f"{size:,} rows"
        figures = measure(build_argv(workbook, workdir / f"figures-{size}.json"), workdir, runs)
        calamine = measure(bare_read_argv(workbook), workdir, runs)
        fastexcel = measure(bare_fastexcel_argv(workbook), workdir, runs)
        cases.append(
            Case(
                f"{label}: figures (--json)",
                figures.best_seconds,
                "bare fastexcel read",
                fastexcel.best_seconds,
                figures.peak_mb,
                "≤ 1.3×, peak RSS ≤ 1.15×" if size >= 100_000 else "peak RSS < 1 GB",
                figures_met if size >= 100_000 else (lambda case: (case.peak_mb or 0) < GB),
                fastexcel.peak_mb,
            )
        )
        cases.append(
            Case(
                f"{label}: figures (--json)",
                figures.best_seconds,
                "bare calamine read",
                calamine.best_seconds,
                figures.peak_mb,
                "(the reader reportgen uses)",
                None,
                calamine.peak_mb,
            )
        )
        build = measure(build_pdf_argv(workbook, workdir / f"rows-{size}.pdf"), workdir, runs)
        scale.append((size, build.best_seconds, build.peak_mb))
        if size == 100_000:
            bare, parts = bare_weasyprint(workbook, workdir, runs)
            profiles[label] = parts
            anchor, anchor_seconds, target, met = "weasyprint, same page", bare.best_seconds, "≤ 1.25×", 1.25
        else:
            anchor, anchor_seconds, target, met = "bare calamine read", calamine.best_seconds, "", None
        cases.append(
            Case(
                f"{label}: build",
                build.best_seconds,
                anchor,
                anchor_seconds,
                build.peak_mb,
                f"{target + ', ' if target else ''}peak RSS < 1 GB",
                (lambda case, m=met: (m is None or case.ratio <= m) and (case.peak_mb or 0) < GB),
            )
        )
        print(f"{label}: done", file=sys.stderr, flush=True)
    return cases, scale


def batch_cases(workdir: Path, count: int) -> list[Case]:
    from bench_batch import make_teams, run_batch

    books = make_teams(workdir / "batch-in", count)
    one = run_batch(books, workdir / "batch-1", 1)
    two = run_batch(books, workdir / "batch-2", 2)
    return [
        Case(
            f"batch, {count} workbooks: --jobs 2",
            two,
            "--jobs 1",
            one,
            None,
            "≤ 0.59× (1.7× faster)" if (os.cpu_count() or 1) >= 2 else "(one core)",
            ratio_at_most(1 / 1.7) if (os.cpu_count() or 1) >= 2 else None,
        )
    ]


def queue_cases(workdir: Path, count: int) -> list[Case]:
    from bench_queue import make_teams, run_batch, run_queued

    from tests.servers import RedisServer

    books = make_teams(workdir / "queue-in", count)
    local = run_batch(books, workdir / "queue-local", workdir / "queue-local-data", "--jobs", "1")
    (workdir / "queue").mkdir()
    redis = RedisServer()
    redis.start()
    try:
        queued = run_queued(books, workdir / "queue", redis, 1)
    finally:
        redis.remove()
    return [
        Case(
            f"queue, {count} workbooks, 1 worker",
            queued,
            "local batch --jobs 1",
            local,
            None,
            "≤ 1.10× (overhead < 10%)",
            ratio_at_most(1.10),
        )
    ]


def standards_cases(workdir: Path, repeat: int) -> list[Case]:
    from bench_standards import build_once

    cases = []
    folder = workdir / "standards"
    folder.mkdir(exist_ok=True)
    best: dict[tuple[str, bool], float] = {}
    for _ in range(repeat):  # interleaved: drift on a shared machine hits both alike
        for sample in ("northwind-en", "xinghe-zh"):
            for both in (False, True):
                seconds, _ = build_once(sample, ("--pdfa", "--pdfua") if both else (), folder)
                best[sample, both] = min(best.get((sample, both), math.inf), seconds)
    for sample in ("northwind-en", "xinghe-zh"):
        cases.append(
            Case(
                f"{sample}: build --pdfa --pdfua",
                best[sample, True],
                "plain build",
                best[sample, False],
                None,
                "(measured; plain stays default)",
                None,
            )
        )
    return cases


def charts_cases(repeat: int) -> list[Case]:
    """bench_charts's page of six charts: SVG (the review's format) against the same page without charts."""
    import weasyprint
    from bench_charts import document, render, six_charts

    from reportgen.rendering import charts

    six_charts("svg", charts.DEFAULT_DPI)  # imports and fonts, as a build's first chart pays
    drawn = six_charts("svg", charts.DEFAULT_DPI)
    sizes = [(chart.width_mm, chart.height_mm) for chart in drawn]
    with_charts = without = math.inf
    for _ in range(repeat):
        started = time.perf_counter()
        made = six_charts("svg", charts.DEFAULT_DPI)
        render(weasyprint, document(made, sizes, False))
        with_charts = min(with_charts, time.perf_counter() - started)
        started = time.perf_counter()
        render(weasyprint, document(None, sizes, False))
        without = min(without, time.perf_counter() - started)
    return [
        Case(
            "six SVG charts: draw and lay out",
            with_charts,
            "same pages, no charts",
            without,
            None,
            "(measured)",
            None,
        )
    ]


def rollup_cases(workdir: Path, repeat: int, teams: int = 200) -> list[Case]:
    """The head of marketing's roll-up of `teams` teams (their archive generated by bench_rollup), PDF and
    JSON, against a bare `python -c pass`: issue 30 asks for at most 10 s."""
    from bench_rollup import make_archive, rollup_argv

    folder = workdir / "rollup"
    folder.mkdir(exist_ok=True)
    config = make_archive(folder, teams)
    empty = measure([sys.executable, "-c", "pass"], workdir, repeat)
    cases = []
    for lang in ("en", "zh"):
        run = measure(rollup_argv(config, folder / f"rollup-{lang}.pdf", lang), folder, repeat)
        cases.append(
            Case(
                f"rollup of {teams} teams ({lang})",
                run.best_seconds,
                "python -c pass",
                empty.best_seconds,
                run.peak_mb,
                "≤ 10 s",
                lambda case: case.seconds <= 10,
            )
        )
    return cases


def table(cases: list[Case]) -> str:
    lines = [
        "| case | reportgen s | anchor | anchor s | ratio | peak RSS MB | anchor's MB | RSS ratio "
        "| target | |",
        "|---|---:|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for case in cases:
        peak = "–" if case.peak_mb is None else f"{case.peak_mb:.0f}"
        anchor_peak = "–" if case.anchor_peak_mb is None else f"{case.anchor_peak_mb:.0f}"
        memory = "–" if case.memory_ratio is None else f"{case.memory_ratio:.2f}"
        lines.append(
            f"| {case.name} | {case.seconds:.2f} | {case.anchor} | {case.anchor_seconds:.2f} | "
            f"{case.ratio:.2f} | {peak} | {anchor_peak} | {memory} | {case.target} | {case.verdict()} |"
        )
    return "\n".join(lines)


def stage_table(profiles: dict[str, dict[str, float | str]]) -> str:
    keys = ("read", "compute", "charts", "html", "pdf", "table")
    lines = [
        "| workbook (warm, in-process) | " + " | ".join(keys) + " |",
        "|---|" + "---:|" * len(keys),
    ]
    for name, parts in profiles.items():
        lines.append(f"| {name} | " + " | ".join(f"{float(parts[key]):.2f}" for key in keys) + " |")
    return "\n".join(lines)


def slope_lines(scale: list[tuple[int, float, float]]) -> list[str]:
    lines = []
    for (rows_a, seconds_a, peak_a), (rows_b, seconds_b, peak_b) in zip(scale, scale[1:], strict=False):
        per_100k = (seconds_b - seconds_a) / (rows_b - rows_a) * 100_000
        memory = (peak_b - peak_a) / (rows_b - rows_a) * 100_000
        lines.append(
            f"- build {rows_a:,} → {rows_b:,} rows: {per_100k:.2f} s and {memory:.0f} MB more "
            "per 100,000 rows "
            f"(×{rows_b / rows_a:.0f} rows, ×{seconds_b / seconds_a:.1f} time, ×{peak_b / peak_a:.1f} memory)"
        )
    return lines


def parse_sizes(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (the best is reported)")
    parser.add_argument("--scale", type=parse_sizes, default=[10_000, 100_000, 1_000_000], help="row counts")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="generated workbooks' cache")
    parser.add_argument("--quick", action="store_true", help="no million rows, no batch, no queue")
    parser.add_argument("--teams", type=int, default=16, help="workbooks for the batch and queue cases")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("fastexcel") is None or importlib.util.find_spec("pyarrow") is None:
        parser.error("the figures' anchor needs fastexcel: make bench, or pip install -e '.[dev,bench]'")
    args.workdir.mkdir(parents=True, exist_ok=True)
    sizes = [size for size in args.scale if not (args.quick and size > 100_000)]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="reportgen-bench-all-") as temp:
        workdir = Path(temp)
        subprocess.run(
            [sys.executable, str(ROOT / "samples" / "make_samples.py"), str(workdir)],
            check=True,
            capture_output=True,
        )
        # generated workbooks up to a million rows: the limits a team would raise for them
        config = (ROOT / "samples" / "reportgen.toml").read_text("utf-8")
        (workdir / "reportgen.toml").write_text(config + "\n[limits]\nmax_rows = 1100000\n", "utf-8")
        os.environ["XDG_DATA_HOME"] = str(workdir / "data")  # a throwaway archive, never the user's
        profiles: dict[str, dict[str, float | str]] = {}
        cases = startup_cases(workdir, args.repeat)
        cases += sample_cases(workdir, args.repeat, profiles)
        print("samples: done", file=sys.stderr, flush=True)
        rows, scale = rows_cases(args.workdir, workdir, sizes, args.repeat, profiles)
        cases += rows
        cases += standards_cases(workdir, args.repeat)
        cases += in_fresh_process(charts_cases, args.repeat)
        cases += rollup_cases(workdir, args.repeat)
        if not args.quick:
            cases += batch_cases(workdir, args.teams)
            print("batch: done", file=sys.stderr, flush=True)
            cases += queue_cases(workdir, args.teams)
    cores, memory = os.cpu_count(), os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    print(
        f"python {sys.version.split()[0]} · {cores} cores · {memory:.0f} GiB · best of {args.repeat} · "
        f"load average {os.getloadavg()[0]:.2f} at the end · {time.perf_counter() - started:.0f} s in all\n"
    )
    print(table(cases))
    print("\nWhere a build's time goes (one warm process; a build draws the charts and writes the table in")
    print("a forked child beside the PDF):\n")
    print(stage_table(profiles))
    if len(scale) > 1:
        print()
        print("\n".join(slope_lines(scale)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
