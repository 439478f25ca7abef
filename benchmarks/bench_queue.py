"""What the queue costs and gains: generated workbooks through local `batch --jobs N` and through `batch
--queue` with 1, 2 and 4 `reportgen worker`s (each `--concurrency 1`) over a real redis-server.

Run: `.venv/bin/python benchmarks/bench_queue.py [--count 200] [--jobs 1 2] [--workers 1 2 4]`. It writes
`count` small team workbooks (a month of a dozen activities each, every one under its own team's name),
starts a throwaway redis-server on a free port of 127.0.0.1, and times each run as a fresh `reportgen batch`
process, the workers already started and answering (their start-up is not counted). Each run has an archive
of its own. It prints throughput (workbooks/s), the queue's overhead per task against a local build (the
one-worker queue against `--jobs 1`, both one build at a time), and the scaling ratio of each worker count
over one worker. Target (issue 17): overhead under 10% of a build; throughput grows with workers up to the
machine's cores. Other work on the machine makes the figures noisy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reportgen.base.config import QueueSettings  # noqa: E402
from reportgen.queue.client import QueueClient  # noqa: E402
from reportgen.queue.status import queue_status  # noqa: E402
from tests.builders import make_workbook  # noqa: E402
from tests.queueing import WorkerProcess, wait_until  # noqa: E402
from tests.servers import RedisServer  # noqa: E402

AS_OF = "2026-11-03"
MONTH = "2026-10"
CHANNELS = ("SEO", "Content", "Event", "SEM", "Community", "Partnership")
STATUSES = ("Done", "Done", "In progress", "Delayed", "Done", "Cancelled")


def make_teams(folder: Path, count: int) -> list[Path]:
    """`count` workbooks: September and October rows, different for each team (costs, leads, statuses)."""
    folder.mkdir(parents=True, exist_ok=True)
    books = []
    for number in range(1, count + 1):
        rows = []
        for index in range(12 + number % 5):
            month = 9 if index % 3 == 0 else 10
            day = dt.date(2026, month, 1 + (index * 2 + number) % 27)
            rows.append(
                [
                    day,
                    CHANNELS[(index + number) % len(CHANNELS)],
                    f"Activity {index + 1} of team {number}",
                    ("Ann", "Bo", "Cy")[index % 3],
                    "",
                    STATUSES[(index + number) % len(STATUSES)],
                    day + dt.timedelta(days=5),
                    day + dt.timedelta(days=4 + index % 3),
                    100 + 10 * index + number,
                    index % 4 + number % 3,
                ]
            )
        books.append(
            make_workbook(folder, rows, name=f"team-{number:03d}.xlsx", title=f"Team {number:03d} — log")
        )
    return books


def run_batch(books: list[Path], out: Path, data: Path, *extra: str) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "reportgen", "batch", *map(str, books), "--out", str(out), *extra]
        + ["--as-of", AS_OF, "--month", MONTH],
        capture_output=True,
        text=True,
        env={**os.environ, "XDG_DATA_HOME": str(data)},
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"batch {' '.join(extra)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    assert len(list(out.glob("*.pdf"))) == len(books)
    return elapsed


def run_queued(books: list[Path], folder: Path, redis: RedisServer, workers: int) -> float:
    redis.flush()
    data = folder / f"data-q{workers}"
    env = {**os.environ, "REPORTGEN_QUEUE_URL": redis.url, "XDG_DATA_HOME": str(data)}
    started = [
        WorkerProcess(folder / f"worker-{workers}-{index}.log", "--concurrency", "1", env=env)
        for index in range(workers)
    ]
    try:
        client = QueueClient(QueueSettings(redis.url))
        names = {worker.name for worker in started}
        wait_until(lambda: names <= {w.name for w in queue_status(client).workers}, 120, "the workers")
        os.environ["REPORTGEN_QUEUE_URL"] = redis.url
        try:
            return run_batch(books, folder / f"out-q{workers}", data, "--queue")
        finally:
            del os.environ["REPORTGEN_QUEUE_URL"]
    finally:
        for worker in started:
            worker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    local: dict[int, float] = {}
    queued: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-queue-") as temp:
        folder = Path(temp)
        books = make_teams(folder / "in", args.count)
        redis = RedisServer()
        redis.start()
        try:
            for jobs in args.jobs:
                local[jobs] = run_batch(
                    books, folder / f"out-{jobs}", folder / f"data-{jobs}", "--jobs", str(jobs)
                )
                print(f"local --jobs {jobs}: {local[jobs]:.1f} s", file=sys.stderr, flush=True)
            for workers in args.workers:
                queued[workers] = run_queued(books, folder, redis, workers)
                print(f"queue, {workers} workers: {queued[workers]:.1f} s", file=sys.stderr, flush=True)
        finally:
            redis.remove()
        built_seconds = [
            float(seconds)
            for log in folder.glob("worker-1-*.log")
            for seconds in re.findall(r"built: (\d+\.\d+) s in all", log.read_text(errors="replace"))
        ]
        first = args.jobs[0]
        identical = all(
            (folder / f"out-q{args.workers[0]}" / pdf.name).read_bytes() == pdf.read_bytes()
            for pdf in (folder / f"out-{first}").glob("*.pdf")
        )
    count = len(books)
    load = os.getloadavg()[0]
    print(f"{count} generated workbooks, {os.cpu_count()} CPUs, load average at the end: {load:.2f}")
    print(f"every queued PDF identical to the local one: {identical}")
    print("| run | wall time | per workbook | throughput | scaling |")
    print("|---|---:|---:|---:|---:|")
    for jobs, wall in local.items():
        print(f"| local batch --jobs {jobs} | {wall:.1f} s | {wall / count:.2f} s | {count / wall:.2f} /s | "
              f"{local[first] / wall:.2f} |")  # fmt: skip
    base = queued[args.workers[0]]
    for workers, wall in queued.items():
        plural = "s" if workers > 1 else ""
        print(f"| queue, {workers} worker{plural} | {wall:.1f} s | {wall / count:.2f} s | "
              f"{count / wall:.2f} /s | {base / wall:.2f} |")  # fmt: skip
    if 1 in local and 1 in queued:
        build = local[1] / count
        overhead = (queued[1] - local[1]) / count
        print(f"queue against local, per workbook (1 worker against --jobs 1): {overhead * 1000:+.0f} ms, "
              f"{overhead / build:+.1%} of a local build's {build:.2f} s")  # fmt: skip
        inside = sum(built_seconds)
        beyond = (queued[1] - inside) / count
        print(f"queue overhead per task beyond the build itself (1 worker: wall time less the {inside:.1f} s "
              f"its builds took): {beyond * 1000:.0f} ms, {beyond / (inside / count):.1%} of a build's "
              f"{inside / count:.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
