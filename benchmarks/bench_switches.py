"""Each speed switch (reportgen/base/speed.py) on against off: what every trick is worth, as whole processes.

Run: `.venv/bin/python benchmarks/bench_switches.py [--repeat 5] [--rows 100000] [--teams 16] [--only CASE]`.

Cases, each a fresh `python -m reportgen` process from start to exit:

- `sample`: `build samples/northwind-en.xlsx --month 2026-10 --as-of 2026-11-03 -o OUT.pdf`;
- `rows`: the same build of the generated 100,000-row workbook (benchmarks/bench_figures.py makes and caches
  it in /tmp/reportgen-bench);
- `batch`: `batch --jobs 2` of `--teams` small team workbooks (benchmarks/bench_batch.py makes them).

Each round runs every variant of a case once: all switches on, each switch off alone
(`REPORTGEN_SPEED_OFF=<name>`), and all off; the order rotates from round to round, so a change in a shared
machine's load falls on every variant alike. A switch's figure is paired: the median over rounds of (switch
off − all on) in the same round, beside the best of each. Every run has an archive of its own variant
(XDG_DATA_HOME), warmed by one run that is not counted.

Until reportgen/pipeline/jobs.py reads the `preload_workers` switch itself, the batch's runs start through a
two-line runner that empties `jobs.PRELOAD` when the switch is off: the forkserver then preloads nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_build import AS_OF, MONTH  # noqa: E402
from bench_figures import DEFAULT_WORKDIR, ensure_workbook  # noqa: E402

from reportgen.base.speed import ALL, SPEED_OFF_VARIABLE, Switch  # noqa: E402

ON = "all on"

# `reportgen` with jobs.PRELOAD emptied when REPORTGEN_SPEED_OFF turns preload_workers off
RUNNER = (
    "import sys\n"
    "from reportgen.base import speed\n"
    "from reportgen.pipeline import jobs\n"
    "if not speed.on(speed.Switch.PRELOAD_WORKERS):\n"
    "    jobs.PRELOAD.clear()\n"
    "from reportgen.apps.cli.main import run\n"
    "sys.argv[0] = 'reportgen'\n"
    "run()\n"
)


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    label: str
    argv: list[str]  # after `python -m reportgen`
    variants: list[str]  # ON, switch keys, ALL
    runner: bool = False


@dataclass(frozen=True, slots=True)
class Run:
    seconds: float
    peak_mb: float


def run_once(case: Case, variant: str, home: Path) -> Run:
    env = dict(os.environ, XDG_DATA_HOME=str(home), PYTHONPATH=str(ROOT))
    env.pop(SPEED_OFF_VARIABLE, None)
    if variant != ON:
        env[SPEED_OFF_VARIABLE] = variant
    start = [sys.executable, "-c", RUNNER] if case.runner else [sys.executable, "-m", "reportgen"]
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            [*start, *case.argv], env=env, stdout=out, stderr=out, stdin=subprocess.DEVNULL, cwd=ROOT
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            out.seek(0)
            sys.exit(f"{case.name} ({variant}) failed:\n{out.read().decode('utf-8', 'replace')[-2000:]}")
    return Run(seconds, usage.ru_maxrss / 1024)


def measure(case: Case, repeat: int, workdir: Path) -> dict[str, list[Run]]:
    homes = {variant: workdir / "data" / case.name / variant.replace(" ", "-") for variant in case.variants}
    for variant in case.variants:  # the archive made and migrated, the disk cache warm: not counted
        run_once(case, variant, homes[variant])
    runs: dict[str, list[Run]] = {variant: [] for variant in case.variants}
    for round_number in range(repeat):
        shift = round_number % len(case.variants)
        for variant in case.variants[shift:] + case.variants[:shift]:
            runs[variant].append(run_once(case, variant, homes[variant]))
        print(f"{case.name}: round {round_number + 1} of {repeat}", file=sys.stderr, flush=True)
    return runs


def rows_of(case: Case, runs: dict[str, list[Run]]) -> list[str]:
    base = runs[ON]
    best_on = min(run.seconds for run in base)
    lines = [f"| {case.label} | {ON} | {best_on:.2f} | – | – | – | {max(run.peak_mb for run in base):.0f} |"]
    for variant in case.variants[1:]:
        mine = runs[variant]
        saved = statistics.median(off.seconds - on.seconds for off, on in zip(mine, base, strict=True))
        ratio = statistics.median(off.seconds / on.seconds for off, on in zip(mine, base, strict=True))
        best_off = min(run.seconds for run in mine)
        name = f"`{variant}` off" if variant != ALL else "all off"
        lines.append(
            f"| {case.label} | {name} | {best_on:.2f} | {best_off:.2f} | {saved:+.2f} | {ratio:.2f} | "
            f"{max(run.peak_mb for run in mine):.0f} |"
        )
    return lines


def cases(workdir: Path, rows: int, teams: int) -> list[Case]:
    build_switches = [Switch.PAUSE_GC.key, Switch.EXIT_FAST.key, Switch.FORK_BACKGROUND.key]
    sample = Case(
        "sample",
        "northwind-en sample: build",
        ["build", str(ROOT / "samples" / "northwind-en.xlsx"), "--month", MONTH, "--as-of", AS_OF]
        + ["-o", str(workdir / "sample.pdf")],
        [ON, *build_switches, ALL],
    )
    made = [sample]
    if rows:
        workbook, generated = ensure_workbook(DEFAULT_WORKDIR, rows)
        if generated is not None:
            print(f"generated {workbook.name} in {generated:.0f} s", file=sys.stderr, flush=True)
        made.append(
            Case(
                "rows",
                f"{rows:,} rows: build",
                ["build", str(workbook), "--month", MONTH, "--as-of", AS_OF, "-o", str(workdir / "rows.pdf")],
                [ON, *build_switches, ALL],
            )
        )
    if teams:
        from bench_batch import make_teams

        books = make_teams(workdir / "teams", teams)
        made.append(
            Case(
                "batch",
                f"batch, {teams} workbooks, --jobs 2",
                ["batch", *map(str, books), "--out", str(workdir / "batch-out"), "--jobs", "2"]
                + ["--as-of", AS_OF, "--month", MONTH],
                [ON, Switch.PRELOAD_WORKERS.key],
                runner=True,
            )
        )
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=5, help="rounds (every variant once per round)")
    parser.add_argument("--rows", type=int, default=100_000, help="generated workbook's rows (0: none)")
    parser.add_argument("--teams", type=int, default=16, help="workbooks for the batch case (0: none)")
    parser.add_argument("--only", choices=["sample", "rows", "batch"], action="append", help="these cases")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    lines = []
    with tempfile.TemporaryDirectory(prefix="reportgen-bench-switches-") as temp:
        wanted = set(args.only or ["sample", "rows", "batch"])
        rows = args.rows if "rows" in wanted else 0
        for case in cases(Path(temp), rows, args.teams if "batch" in wanted else 0):
            if case.name not in wanted:
                continue
            lines += rows_of(case, measure(case, args.repeat, Path(temp)))
    print(
        f"python {sys.version.split()[0]} · {os.cpu_count()} cores · {args.repeat} rounds · load average "
        f"{os.getloadavg()[0]:.2f} at the end · {time.perf_counter() - started:.0f} s in all\n"
    )
    print(
        "| case | variant | all on, best s | off, best s | off − on, median s | off / on, median "
        "| peak RSS MB |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
