"""How fast `reportgen build --json` is, and how much memory it takes, against a bare python-calamine read.

Measures, for synthetic activity workbooks of 1,000, 10,000 and 100,000 rows (12 months of 2026, realistic
mess: a title row, a few text dates and ¥ text amounts, Goals and Rules sheets):

* ``reportgen build WB --month 2026-10 --as-of 2026-11-03 --json OUT.json`` as a whole process: wall time
  (best of N fresh processes) and peak RSS;
* a bare python-calamine read of the same file as a whole process (open, get the activity sheet,
  ``to_python()``): wall time and peak RSS;
* their ratio, against the issue's targets (ratio <= 1.3 at 100,000 rows, the 1,000-row build < 1 s including
  start-up, peak RSS < 400 MB at 100,000 rows);
* an in-process breakdown of the largest size by pipeline stage (as reportgen.pipeline.build runs them).

Run from the project root:

    .venv/bin/python benchmarks/bench_figures.py [--sizes 1000,10000,100000] [--workdir DIR] [--repeat 3]
                                                 [--profile [N]]

Workbooks are cached in the workdir (default /tmp/reportgen-bench), keyed by size and generator version, so a
re-run does not regenerate them. ``--profile`` adds a cProfile of the in-process build of the largest size.
Nothing is asserted: this prints Markdown tables and says whether each target is met.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import io
import json
import os
import pstats
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

GENERATOR_VERSION = 1  # bump when the generated workbooks change, so cached files are not reused
SEED = 20261103
MONTH = "2026-10"
AS_OF = "2026-11-03"
DEFAULT_SIZES = (1_000, 10_000, 100_000)
DEFAULT_WORKDIR = Path("/tmp/reportgen-bench")
ACTIVITY_SHEET = "Activities"
PROJECT_ROOT = Path(__file__).resolve().parent.parent  # the tree measured, whatever else is installed

TARGET_RATIO = 1.3  # build / bare read at 100,000 rows
TARGET_SMALL_SECONDS = 1.0  # the 1,000-row build, start-up included
TARGET_PEAK_MB = 400.0  # build peak RSS at 100,000 rows

HEADERS = (
    "Date", "Channel", "Activity", "Owner", "Goal", "Principle", "Status", "Due", "Done on", "Cost",
    "Impressions", "Clicks", "Visits", "Signups", "Leads", "Conversions", "Followers", "Revenue",
    "Decision", "Initiative", "Stage", "Lesson",
)  # fmt: skip
GOALS = (
    ("G1", "Grow organic traffic", "visits", 400_000),
    ("G2", "Qualified leads", "leads", 6_000),
    ("G3", "Community growth", "followers", 20_000),
    ("G4", "Event sign-ups", "signups", 9_000),
    ("G5", "Partner revenue", "revenue", 1_500_000),
    ("G6", "Publishing cadence", "activities", 1_500),
)
RULES = (
    ("SEM", "", "G2", "execution"),
    ("", "webinar", "G4", ""),
    ("Community", "", "G3", ""),
    ("", "whitepaper", "G2", "deferred_payoff"),
    ("Partnership", "", "G5", "layered"),
    ("SEO", "", "G1", ""),
)
CHANNELS = (  # channel cell as typed, weight, activity templates
    ("SEO", 18, ("Optimise landing page {n}", "Keyword cluster {n} refresh", "Fix crawl errors batch {n}")),
    ("SEM", 14, ("Baidu search campaign {n}", "Ad group {n} bid review", "Brand keywords test {n}")),
    ("Content", 20, ("Blog post #{n}", "Whitepaper chapter {n}", "Soft article for partner site {n}")),
    ("Event", 10, ("Webinar: growth playbook {n}", "Meetup Shanghai {n}", "Trade show booth {n}")),
    ("Community", 16, ("WeChat group AMA {n}", "Community digest {n}", "Group check-in campaign {n}")),
    ("User ops", 12, ("Onboarding email flow {n}", "Win-back push {n}", "NPS survey wave {n}")),
    ("Partnership", 8, ("Co-marketing with partner {n}", "Integration launch {n}", "Reseller pitch {n}")),
    ("Other", 2, ("Team offsite prep {n}", "Tooling clean-up {n}")),
)
METRIC_PROFILE = {  # channel → metric → (low, high); metrics not named stay blank
    "SEO": {"impressions": (2_000, 60_000), "clicks": (50, 3_000), "visits": (40, 2_500), "leads": (0, 40)},
    "SEM": {
        "impressions": (5_000, 120_000),
        "clicks": (100, 6_000),
        "visits": (80, 5_000),
        "leads": (0, 120),
        "conversions": (0, 30),
    },
    "Content": {"impressions": (500, 40_000), "visits": (20, 3_000), "signups": (0, 60), "leads": (0, 25)},
    "Event": {"signups": (20, 800), "leads": (5, 200), "conversions": (0, 40), "revenue": (0, 50_000)},
    "Community": {"followers": (0, 900), "visits": (10, 1_200), "signups": (0, 80)},
    "User ops": {"visits": (100, 4_000), "conversions": (0, 150), "revenue": (0, 30_000)},
    "Partnership": {"leads": (0, 60), "conversions": (0, 20), "revenue": (0, 200_000)},
    "Other": {},
}
OWNERS = ("Li Wei", "Zhang Min", "Wang Fang", "Chen Jie", "Liu Yang", "Zhao Lei", "Sun Li", "Emma Stone")
STAGES = ("Plan", "Business", "Product", "Tech", "Decision-maker")
DECISIONS = (
    "Budget moved to Q4 launch",
    "Partner asked to postpone",
    "Low CTR in test, stopped",
    "Waiting on legal review",
    "Priority dropped after weekly review",
)
LESSONS = ("Start outreach two weeks earlier", "Reuse the webinar deck", "Short titles win", "")


# --- workbook generation ---


def _weighted_channels() -> list[tuple[str, tuple[str, ...]]]:
    pool: list[tuple[str, tuple[str, ...]]] = []
    for name, weight, templates in CHANNELS:
        pool.extend([(name, templates)] * weight)
    return pool


def _text_date(day: dt.date, rng: random.Random) -> str:
    """A date as people type it: 2026/10/5, 2026年10月5日 or 2026-10-05."""
    form = rng.randrange(3)
    if form == 0:
        return f"{day.year}/{day.month}/{day.day}"
    if form == 1:
        return f"{day.year}年{day.month}月{day.day}日"
    return day.isoformat()


def _status_for(day: dt.date, as_of: dt.date, rng: random.Random) -> str:
    if day > as_of:
        return rng.choice(("planned", "planned", "planned", "in progress"))
    if (as_of - day).days < 21:
        return rng.choices(("done", "in progress", "planned", "delayed", "cancelled"), (45, 35, 10, 6, 4))[0]
    return rng.choices(("done", "in progress", "cancelled", "delayed"), (84, 4, 6, 6))[0]


def activity_rows(size: int, seed: int = SEED) -> Iterator[list[Any]]:
    """`size` deterministic activity rows, in date order over the 12 months of 2026."""
    rng = random.Random(seed)
    channels = _weighted_channels()
    as_of = dt.date.fromisoformat(AS_OF)
    start = dt.date(2026, 1, 1)
    days = (dt.date(2026, 12, 31) - start).days + 1
    for index in range(size):
        day = start + dt.timedelta(days=index * days // size)
        channel, templates = rng.choice(channels)
        activity = rng.choice(templates).format(n=index + 1)
        status = _status_for(day, as_of, rng)
        due = day + dt.timedelta(days=rng.randint(3, 21))
        done_on: dt.date | None = None
        if status == "done" and rng.random() > 0.03:  # a few done rows without a done date
            done_on = due + dt.timedelta(days=rng.choice((-5, -3, -2, -1, 0, 0, 0, 1, 2, 4, 9)))
            done_on = min(max(done_on, day), as_of)
        cost: Any = None
        if rng.random() < 0.8:
            amount = round(rng.uniform(50, 20_000), rng.choice((0, 2)))
            roll = rng.random()
            if roll < 0.02:
                cost = f"¥{amount:,.2f}"
            elif roll < 0.03:
                cost = f"{int(amount)}元"
            else:
                cost = amount
        metrics = dict.fromkeys(HEADERS[10:18])
        if status != "cancelled":
            for metric, (low, high) in METRIC_PROFILE[channel].items():
                if rng.random() < 0.9:
                    metrics[metric.title()] = rng.randint(low, high)
        goal = rng.choice(GOALS)[0] if rng.random() < 0.55 else None
        principle = rng.choice(("connection", "execution", "延迟满足")) if rng.random() < 0.05 else None
        decision = (
            rng.choice(DECISIONS) if status in ("cancelled", "delayed") and rng.random() < 0.7 else None
        )
        initiative = stage = None
        if channel == "Partnership":
            initiative = f"Partner {rng.randint(1, 40):02d} integration"
            stage = rng.choice(STAGES)
        lesson = rng.choice(LESSONS) or None if status == "done" and rng.random() < 0.15 else None
        date_cell: Any = _text_date(day, rng) if rng.random() < 0.01 else day
        due_cell: Any = _text_date(due, rng) if rng.random() < 0.01 else due
        yield [
            date_cell,
            channel,
            activity,
            rng.choice(OWNERS),
            goal,
            principle,
            status,
            due_cell,
            done_on,
            cost,
            *metrics.values(),
            decision,
            initiative,
            stage,
            lesson,
        ]


def workbook_path(workdir: Path, size: int) -> Path:
    return workdir / f"activities-{size}-v{GENERATOR_VERSION}.xlsx"


def ensure_workbook(workdir: Path, size: int) -> tuple[Path, float | None]:
    """The cached workbook of `size` rows, generated (write-only openpyxl) when missing; seconds spent."""
    path = workbook_path(workdir, size)
    if path.is_file():
        return path, None
    import openpyxl

    started = time.perf_counter()
    book = openpyxl.Workbook(write_only=True)
    activities = book.create_sheet(ACTIVITY_SHEET)
    activities.append(["Northwind Growth Team — Marketing Ops Log 2026"])
    activities.append(list(HEADERS))
    for row in activity_rows(size):
        activities.append(row)
    goals = book.create_sheet("Goals")
    goals.append(["ID", "Name", "Metric", "Target"])
    for goal in GOALS:
        goals.append(list(goal))
    rules = book.create_sheet("Rules")
    rules.append(["Channel", "Keyword", "Goal", "Principle"])
    for rule in RULES:
        rules.append([cell or None for cell in rule])
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=workdir)
    os.close(handle)
    try:
        book.save(temp_name)
        os.replace(temp_name, path)
    finally:
        if os.path.exists(temp_name):
            os.unlink(temp_name)
    return path, time.perf_counter() - started


# --- whole-process measurements ---


@dataclass(frozen=True, slots=True)
class Run:
    seconds: float
    peak_mb: float


@dataclass(frozen=True, slots=True)
class Measured:
    best_seconds: float
    peak_mb: float  # the highest peak RSS over the runs


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(PROJECT_ROOT), env.get("PYTHONPATH"))))
    return env


def run_process(argv: list[str], cwd: Path) -> Run:
    """Run `argv` to completion; wall time and this child's own peak RSS (os.wait4 gives per-child rusage,
    unlike RUSAGE_CHILDREN, which is a high-water mark over every child reaped so far)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            argv, cwd=cwd, env=_child_env(), stdout=out, stderr=err, stdin=subprocess.DEVNULL
        )
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            err.seek(0)
            out.seek(0)
            detail = (err.read() or out.read()).decode("utf-8", "replace")[-2000:]
            raise RuntimeError(f"{' '.join(argv)} exited {process.returncode}:\n{detail}")
    peak_kb = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss / 1024
    return Run(elapsed, peak_kb / 1024)


def measure(argv: list[str], cwd: Path, repeat: int) -> Measured:
    runs = [run_process(argv, cwd) for _ in range(repeat)]
    return Measured(min(run.seconds for run in runs), max(run.peak_mb for run in runs))


def build_argv(workbook: Path, out_json: Path) -> list[str]:
    return [
        sys.executable, "-m", "reportgen", "build", str(workbook),
        "--month", MONTH, "--as-of", AS_OF, "--json", str(out_json), "--no-pdf",
    ]  # fmt: skip


BARE_READ = (
    "import sys, python_calamine\n"
    "book = python_calamine.CalamineWorkbook.from_path(sys.argv[1])\n"
    "rows = book.get_sheet_by_name(sys.argv[2]).to_python()\n"
    "print(len(rows))\n"
)


def bare_read_argv(workbook: Path) -> list[str]:
    return [sys.executable, "-c", BARE_READ, str(workbook), ACTIVITY_SHEET]


HEADER_ROW = 1  # 0-based: the generated sheet's title row, then its header (ensure_workbook)
# The fastest reader there is: fastexcel (calamine's engine) straight into Apache Arrow, columns typed, the
# header row named, nothing checked; the figures' anchor in `make bench` (the `bench` extra installs it)
BARE_FASTEXCEL = (
    "import sys, fastexcel\n"
    "sheet = fastexcel.read_excel(sys.argv[1]).load_sheet(sys.argv[2], header_row=int(sys.argv[3]))\n"
    "batch = sheet.to_arrow()\n"
    "print(batch.num_rows)\n"
)


def bare_fastexcel_argv(workbook: Path) -> list[str]:
    return [sys.executable, "-c", BARE_FASTEXCEL, str(workbook), ACTIVITY_SHEET, str(HEADER_ROW)]


@dataclass(frozen=True, slots=True)
class SizeResult:
    rows: int
    workbook_mb: float
    build: Measured
    bare: Measured
    activities: int  # the month's activities in the JSON, a sanity check
    findings: int

    @property
    def ratio(self) -> float:
        return self.build.best_seconds / self.bare.best_seconds


def measure_size(workdir: Path, size: int, repeat: int) -> SizeResult:
    workbook, generated = ensure_workbook(workdir, size)
    if generated is not None:
        print(f"generated {workbook} in {generated:.1f} s", file=sys.stderr)
    out_json = workdir / f"figures-{size}.json"
    build = measure(build_argv(workbook, out_json), workdir, repeat)
    bare = measure(bare_read_argv(workbook), workdir, repeat)
    document = json.loads(out_json.read_text("utf-8"))
    return SizeResult(
        rows=size,
        workbook_mb=workbook.stat().st_size / (1024 * 1024),
        build=build,
        bare=bare,
        activities=int(document["totals"]["activities"]),
        findings=len(document["findings"]),
    )


# --- in-process breakdown ---


def best_of(repeat: int, call: Callable[[], T]) -> tuple[float, T]:
    best = float("inf")
    result: T | None = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - started)
    assert result is not None
    return best, result


def breakdown(workbook: Path, workdir: Path, repeat: int) -> list[tuple[str, float, bool]]:
    """Each stage as reportgen.pipeline.build and the CLI call them, best of `repeat` (one warm process)."""
    from reportgen.base.config import load_config
    from reportgen.base.files import write_atomic
    from reportgen.figures.document import dumps
    from reportgen.figures.metrics import month_figures, rows_by_month, shift_month
    from reportgen.pipeline.build import build_review, check_workbook
    from reportgen.reading.mapping import map_activities
    from reportgen.reading.normalize import normalize_rows
    from reportgen.reading.workbook import ReadLimits, read_workbook
    from reportgen.wording.documents import figures_document

    as_of = dt.date.fromisoformat(AS_OF)
    config = load_config(None, workbook)
    gc.disable()  # as the CLI does for a command's life (reportgen/cli.py main)
    t_read, book = best_of(repeat, lambda: read_workbook(workbook, ReadLimits(max_rows=config.max_rows)))
    t_normalize, normalized = best_of(repeat, lambda: normalize_rows(book, config, as_of))
    t_map, _ = best_of(repeat, lambda: map_activities(normalized, config))
    t_check, checked = best_of(repeat, lambda: check_workbook(workbook, config, as_of))
    by_month = rows_by_month(checked.rows)
    previous = shift_month(MONTH, -1)
    t_month, _ = best_of(repeat, lambda: month_figures(by_month[MONTH], checked.goals, MONTH))
    t_previous, _ = best_of(repeat, lambda: month_figures(by_month[previous], checked.goals, previous))
    t_review, review = best_of(repeat, lambda: build_review(checked, MONTH, as_of, None))
    t_document, document = best_of(repeat, lambda: figures_document(review))
    t_dumps, data = best_of(repeat, lambda: dumps(document))
    t_write, _ = best_of(repeat, lambda: write_atomic(workdir / "breakdown.json", data))
    gc.enable()
    return [  # (stage, seconds, counted in the total: False for a part of the stage above)
        ("read_workbook (zip guard + calamine)", t_read, True),
        ("normalize_rows", t_normalize, True),
        ("map_activities", t_map, True),
        ("  check_workbook as one call (the three above + sorting findings)", t_check, False),
        ("build_review (group by month + 2× month_figures)", t_review, True),
        ("  of which month_figures(2026-10)", t_month, False),
        ("  of which month_figures(2026-09)", t_previous, False),
        ("figures_document", t_document, True),
        ("dumps (reportgen.figures.document.dumps)", t_dumps, True),
        ("write_atomic (fsync)", t_write, True),
    ]


def startup_seconds(workdir: Path, repeat: int) -> float:
    """Interpreter start-up plus the CLI's imports: `python -m reportgen --version`."""
    return measure([sys.executable, "-m", "reportgen", "--version"], workdir, repeat).best_seconds


def profile(workbook: Path, top: int) -> str:
    """cProfile of one in-process build of `workbook` (config → check → review → JSON), top by tottime."""
    from reportgen.base.config import load_config
    from reportgen.figures.document import dumps
    from reportgen.pipeline.build import build_review, check_workbook
    from reportgen.wording.documents import figures_document

    as_of = dt.date.fromisoformat(AS_OF)
    profiler = cProfile.Profile()
    profiler.enable()
    checked = check_workbook(workbook, load_config(None, workbook), as_of)
    dumps(figures_document(build_review(checked, MONTH, as_of, None)))
    profiler.disable()
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return stream.getvalue()


# --- report ---


def results_table(results: list[SizeResult]) -> str:
    lines = [
        "| rows | workbook (MB) | build --json (s) | bare calamine read (s) | ratio "
        "| build peak RSS (MB) | calamine peak RSS (MB) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        lines.append(
            f"| {result.rows:,} | {result.workbook_mb:.2f} | {result.build.best_seconds:.3f} "
            f"| {result.bare.best_seconds:.3f} | {result.ratio:.2f} | {result.build.peak_mb:.0f} "
            f"| {result.bare.peak_mb:.0f} |"
        )
    return "\n".join(lines)


def breakdown_table(rows: int, stages: list[tuple[str, float, bool]], startup: float, whole: float) -> str:
    total = sum(seconds for _, seconds, counted in stages if counted)
    lines = [
        f"In-process breakdown, {rows:,} rows (best of each stage in one warm process):",
        "",
        "| stage | time (s) | share of in-process total |",
        "|---|---:|---:|",
    ]
    for name, seconds, _ in stages:
        lines.append(f"| {name} | {seconds:.3f} | {seconds / total:.0%} |")
    lines.append(f"| **in-process total** | **{total:.3f}** | 100% |")
    lines.append(
        f"| python start-up + CLI imports (`-m reportgen --version`, own process) | {startup:.3f} | – |"
    )
    lines.append(f"| whole `build --json` process (from the table above) | {whole:.3f} | – |")
    return "\n".join(lines)


def verdict(met: bool | None) -> str:
    return "not measured" if met is None else ("met" if met else "NOT met")


def targets(results: list[SizeResult]) -> str:
    by_rows = {result.rows: result for result in results}
    large, small = by_rows.get(100_000), by_rows.get(1_000)
    lines = ["Targets:", ""]
    ratio_met = None if large is None else large.ratio <= TARGET_RATIO
    ratio_value = f"{large.ratio:.2f}" if large else "–"
    lines.append(f"- ratio ≤ {TARGET_RATIO} at 100,000 rows: {ratio_value} → {verdict(ratio_met)}")
    small_met = None if small is None else small.build.best_seconds < TARGET_SMALL_SECONDS
    small_value = f"{small.build.best_seconds:.3f} s" if small else "–"
    lines.append(
        f"- 1,000-row build < {TARGET_SMALL_SECONDS:.0f} s wall incl. start-up: {small_value}"
        f" → {verdict(small_met)}"
    )
    peak_met = None if large is None else large.build.peak_mb < TARGET_PEAK_MB
    peak_value = f"{large.build.peak_mb:.0f} MB" if large else "–"
    lines.append(
        f"- build peak RSS < {TARGET_PEAK_MB:.0f} MB at 100,000 rows: {peak_value} → {verdict(peak_met)}"
    )
    return "\n".join(lines)


def parse_sizes(text: str) -> list[int]:
    sizes = sorted({int(part.replace("_", "")) for part in text.split(",") if part.strip()})
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("sizes are positive row counts, e.g. 1000,10000,100000")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=parse_sizes, default=list(DEFAULT_SIZES), help="row counts")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="workbook cache and outputs")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (best is reported)")
    parser.add_argument(
        "--profile", type=int, nargs="?", const=25, default=0, metavar="N", help="cProfile top N (largest)"
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, str(PROJECT_ROOT))  # the in-process breakdown imports the same tree the CLI runs
    workdir: Path = args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    repeat = max(1, args.repeat)

    results = []
    for size in args.sizes:
        print(f"measuring {size:,} rows…", file=sys.stderr)
        results.append(measure_size(workdir, size, repeat))
    largest = results[-1]
    stages = breakdown(workbook_path(workdir, largest.rows), workdir, repeat)
    startup = startup_seconds(workdir, repeat)

    print(f"python {sys.version.split()[0]} · {MONTH} as of {AS_OF} · best of {repeat} fresh processes\n")
    print(results_table(results))
    print()
    for result in results:
        print(
            f"- {result.rows:,} rows: {MONTH} has {result.activities:,} activities, "
            f"{result.findings:,} findings in the JSON"
        )
    print()
    print(breakdown_table(largest.rows, stages, startup, largest.build.best_seconds))
    print()
    print(targets(results))
    if args.profile:
        print()
        print(f"cProfile, one in-process build of {largest.rows:,} rows:\n")
        print("```")
        print(profile(workbook_path(workdir, largest.rows), args.profile).rstrip())
        print("```")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
