"""How much `reportgen batch` gains from parallel workers: 40 team workbooks with --jobs 1 and --jobs 2.

Run: `.venv/bin/python benchmarks/bench_batch.py [--teams 40] [--jobs 1 2]`. It writes `teams` workbooks (the
two samples, alternately, each under another team's name and with a few rows removed so no two are alike),
builds them all with `reportgen batch --jobs N` as a fresh process for each N in one run, and prints the wall
time, the time per workbook and the speed-up over the first N. The workbooks are built in interleaved rounds
(a quarter of them with --jobs 1 then 2, the next quarter 2 then 1, …) so that a change in the machine's load
does not fall on one N only. Target (issue 7): at least 1.7 on two cores.
Other work on the machine makes the figures noisy; run it on a quiet machine for a fair number.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import openpyxl  # noqa: E402

from tests.builders import team_copy  # noqa: E402

AS_OF = "2026-11-03"
MONTH = "2026-10"
SAMPLES = (ROOT / "samples" / "northwind-en.xlsx", ROOT / "samples" / "xinghe-zh.xlsx")
FIRST_DATA_ROW = 4  # samples/make_samples.py: title, subtitle, header, then data


def make_teams(folder: Path, count: int) -> list[Path]:
    """`count` workbooks: a sample under team N's name, with N % 7 rows removed near the top of the data."""
    books = []
    for number in range(1, count + 1):
        path = team_copy(SAMPLES[number % 2], folder / f"team-{number:02d}.xlsx", f"Team {number:02d}")
        if number % 7:
            book = openpyxl.load_workbook(path)
            sheet = next(ws for ws in book.worksheets if ws.title in ("Activities", "活动"))
            sheet.delete_rows(FIRST_DATA_ROW + 5, number % 7)
            book.save(path)
        books.append(path)
    return books


def run_batch(books: list[Path], out: Path, jobs: int) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "reportgen", "batch", *map(str, books), "--out", str(out), "--jobs", str(jobs)]
        + ["--as-of", AS_OF, "--month", MONTH],
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"batch --jobs {jobs} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=40)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds (fairer under load)")
    args = parser.parse_args()
    walls = dict.fromkeys(args.jobs, 0.0)
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as temp:
        folder = Path(temp)
        books = make_teams(folder / "in", args.teams)
        share = -(-len(books) // args.rounds)
        for round_number in range(args.rounds):
            chunk = books[round_number * share : (round_number + 1) * share]
            order = args.jobs if round_number % 2 == 0 else list(reversed(args.jobs))
            for jobs in order:
                out = folder / f"out-{jobs}"
                wall = run_batch(chunk, out, jobs)
                walls[jobs] += wall
                print(f"round {round_number + 1}, --jobs {jobs}: {wall:.1f} s", file=sys.stderr, flush=True)
        for jobs in args.jobs:
            assert len(list((folder / f"out-{jobs}").glob("*.pdf"))) == len(books)
    load = os.getloadavg()[0]
    print(f"{len(books)} team workbooks in {args.rounds} interleaved rounds, {os.cpu_count()} CPUs, ", end="")
    print(f"load average at the end: {load:.2f}")
    print("| jobs | wall time | per workbook | speed-up |")
    print("|---:|---:|---:|---:|")
    base = walls[args.jobs[0]]
    for jobs, wall in walls.items():
        print(f"| {jobs} | {wall:.1f} s | {wall / len(books):.2f} s | {base / wall:.2f} |")


if __name__ == "__main__":
    main()
