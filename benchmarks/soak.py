"""Soak: does a long-lived `serve` or `worker` keep its memory and leave nothing behind?

- serve: UPLOADS uploads of the English sample, 10 at a time, each checked in serve's pool; the resident
  memory of serve and its pool after the first 20 and at the end; after the retention time, no upload
  folder left; after SIGTERM, no process of its left.
- worker: TASKS build tasks (each its own output name, so none is a repeat of another) through a throwaway
  redis-server to one `reportgen worker --concurrency 2`; its tree's memory after the first 20 and at the end;
  after SIGTERM, no process left.

Not a test and not timed in CI: `.venv/bin/python benchmarks/soak.py [--uploads 200] [--tasks 500]`. The
figures are in benchmarks/README.md ("Soak").
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reportgen.base.config import QueueSettings  # noqa: E402
from reportgen.queue.client import DONE_STATES, QueueClient  # noqa: E402
from reportgen.queue.messages import BuildRequest  # noqa: E402
from tests.servers import free_port, redis_server  # noqa: E402

SAMPLE = ROOT / "samples" / "northwind-en.xlsx"


def tree(pid: int) -> list[int]:
    """The process and every descendant, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        found = re.search(r"VmRSS:\s+(\d+) kB", status)
        total += int(found.group(1)) if found else 0
    return total / 1024


def alive(pids: list[int]) -> list[int]:
    return [pid for pid in pids if Path(f"/proc/{pid}").exists()]


def soak_serve(uploads: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="soak-serve-"))
    config = folder / "reportgen.toml"
    config.write_text("[serve]\nretention_minutes = 1\n", "utf-8")
    port = free_port()
    env = {**os.environ, "TMPDIR": str(folder), "XDG_DATA_HOME": str(folder / "data")}
    server = subprocess.Popen(
        [sys.executable, "-m", "reportgen", "serve", "--port", str(port), "--as-of", "2026-11-03", "--config",
         str(config)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=120) as client:
        for _ in range(300):
            try:
                if client.get("/").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        data = SAMPLE.read_bytes()

        def one(_: int) -> int:
            with httpx.Client(base_url=base, timeout=120) as own:
                page = own.get("/").text
                token = re.search(r'name="token" value="([^"]+)"', page)
                assert token
                workbook = {"workbook": (SAMPLE.name, data, "application/octet-stream")}
                answer = own.post("/upload", data={"token": token.group(1)}, files=workbook)
                return answer.status_code

        started = time.perf_counter()
        with ThreadPoolExecutor(10) as pool:
            first = list(pool.map(one, range(20)))
            after_20 = rss_mb(tree(server.pid))
            rest = list(pool.map(one, range(uploads - 20)))
        seconds = time.perf_counter() - started
    at_end = rss_mb(tree(server.pid))
    statuses = {code: (first + rest).count(code) for code in set(first + rest)}
    time.sleep(75)  # past the one-minute retention and the sweeper's next round
    folders = [path for path in folder.glob("reportgen-serve-*/*") if path.is_dir()]
    pids = tree(server.pid)
    server.send_signal(signal.SIGTERM)
    server.wait(60)
    time.sleep(2)
    growth = (at_end / after_20 - 1) * 100
    print(f"serve: {uploads} uploads in {seconds:.1f} s (answers {statuses}); RSS after 20: {after_20:.0f} "
          f"MB, at the end: {at_end:.0f} MB ({growth:+.1f}%); upload folders left after retention: "
          f"{len(folders)}; processes left after SIGTERM: {len(alive(pids))}")  # fmt: skip


def soak_worker(tasks: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="soak-worker-"))
    with redis_server() as redis:
        env = {**os.environ, "REPORTGEN_QUEUE_URL": redis.url, "XDG_DATA_HOME": str(folder / "data"),
               "TMPDIR": str(folder)}  # fmt: skip
        worker = subprocess.Popen(
            [sys.executable, "-m", "reportgen", "worker", "--concurrency", "2"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        )  # fmt: skip
        client = QueueClient(QueueSettings(redis.url))
        data = SAMPLE.read_bytes()
        started = time.perf_counter()
        after_20 = 0.0
        ids: list[str] = []
        for index in range(tasks):
            request = BuildRequest(workbook_name=SAMPLE.name, shown_path=str(SAMPLE), workbook=data,
                                   as_of=dt.date(2026, 11, 3), stem=f"soak-{index:04}",
                                   month="2026-10")  # fmt: skip
            ids.append(client.submit_build(request))
        done: set[str] = set()
        while len(done) < tasks:
            states = client.states([task for task in ids if task not in done])
            for task, state in states.items():
                if state in DONE_STATES:
                    client.answer(task, "reportgen.build")
                    done.add(task)
            if not after_20 and len(done) >= 20:
                after_20 = rss_mb(tree(worker.pid))
            time.sleep(0.5)
        seconds = time.perf_counter() - started
        at_end = rss_mb(tree(worker.pid))
        pids = tree(worker.pid)
        worker.send_signal(signal.SIGTERM)
        worker.wait(120)
        time.sleep(2)
    print(f"worker: {tasks} builds in {seconds:.0f} s; RSS after 20: {after_20:.0f} MB, at the end: "
          f"{at_end:.0f} MB ({(at_end / after_20 - 1) * 100:+.1f}%); processes left after SIGTERM: "
          f"{len(alive(pids))}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=200)
    parser.add_argument("--tasks", type=int, default=500)
    parser.add_argument("--only", choices=("serve", "worker"))
    args = parser.parse_args()
    if args.only != "worker":
        soak_serve(args.uploads)
    if args.only != "serve":
        soak_worker(args.tasks)


if __name__ == "__main__":
    main()
