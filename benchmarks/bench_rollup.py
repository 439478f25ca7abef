"""How long the head of marketing's roll-up takes for many teams: an archive of `teams` teams generated
directly (no workbook is built: each team's months are the two samples' archived figures documents under
its name, in its currency, its numbers scaled), then `reportgen rollup` as a fresh process, PDF and JSON.

Run: `.venv/bin/python benchmarks/bench_rollup.py [--teams 200] [--repeat 3] [--keep DIR]`. Target (issue 30):
200 teams in at most 10 s on this machine. `bench_all.py` calls `rollup_cases` for its table.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AS_OF = "2026-11-03"
MONTHS = ("2026-09", "2026-10")
SAMPLES = ("northwind-en", "xinghe-zh")
CURRENCIES = ("$", "¥", "€")


def _sample_documents(folder: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """Each sample's figures document for both months, built once with `reportgen build --json`."""
    documents: dict[str, dict[str, dict[str, Any]]] = {}
    for sample in SAMPLES:
        for month in MONTHS:
            out = folder / f"{sample}-{month}.json"
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "reportgen",
                    "build",
                    str(ROOT / "samples" / f"{sample}.xlsx"),
                    "--month",
                    month,
                    "--as-of",
                    AS_OF,
                    "--json",
                    str(out),
                    "--no-pdf",
                ],
                check=False,
                capture_output=True,
                cwd=folder,
                env={**os.environ, "XDG_DATA_HOME": str(folder / "scratch")},
            )
            documents.setdefault(sample, {})[month] = json.loads(out.read_text("utf-8"))
    return documents


def _team_document(sample: dict[str, Any], team: str, currency: str, factor: float) -> dict[str, Any]:
    """A sample's document as another team's: its name, its currency, cost and leads scaled."""
    document = copy.deepcopy(sample)
    document["team"] = team
    document["currency"] = currency
    document["totals"]["cost"] = round(document["totals"]["cost"] * factor, 2)
    document["totals"]["leads"] = int(document["totals"]["leads"] * factor)
    for goal in document["goals"]:
        if goal.get("attainment") is not None:
            goal["attainment"] = goal["attainment"] * min(factor, 1.6)
    document["mail"] = {"takeaways": [f"{team}: the sample's takeaways, scaled by {factor:.2f}."]}
    return document


def make_archive(folder: Path, teams: int, seed: int = 30) -> Path:
    """An archive of `teams` teams, two months each, recorded directly; the reportgen.toml naming it."""
    from reportgen.archive.records import BuildRecord
    from reportgen.archive.store import open_archive
    from reportgen.base.config import ArchiveSettings

    samples = _sample_documents(folder)
    url = f"sqlite:///{folder / 'archive.sqlite3'}"
    archive = open_archive(ArchiveSettings(url=url))
    chance = random.Random(seed)
    try:
        for number in range(1, teams + 1):
            team = f"Team {number:03d}"
            sample = SAMPLES[number % 2]
            currency = CURRENCIES[number % 3]
            for month in MONTHS:
                if month == "2026-10" and number % 25 == 0:
                    continue  # every 25th team has not sent October: missing
                document = _team_document(samples[sample][month], team, currency, chance.uniform(0.4, 1.8))
                data = json.dumps(document, ensure_ascii=False).encode()
                digest = hashlib.sha256(data).hexdigest()
                kpis = {
                    "month": month,
                    "activities": document["totals"]["activities"],
                    "completion_rate": document["completion_rate"],
                    "on_time_rate": document["on_time_rate"],
                    "goal_coverage": document["goal_coverage"],
                    "cost": str(document["totals"]["cost"]),
                    "metrics": {"leads": str(document["totals"]["leads"])},
                }
                archive.record_build(
                    BuildRecord(
                        team=team,
                        month=month,
                        lang=document["lang"],
                        as_of=dt.date.fromisoformat(AS_OF),
                        workbook_name=f"team-{number:03d}.xlsx",
                        workbook_sha256=digest,
                        pdf_sha256=digest,
                        pdf_path=folder / f"team-{number:03d}-{month}.pdf",
                        kpis=kpis,
                        figures=data,
                    )
                )
    finally:
        archive.close()
    config = folder / "reportgen.toml"
    config.write_text(f'[archive]\nurl = "{url}"\n[department]\nname = "Marketing"\n', "utf-8")
    return config


def rollup_argv(config: Path, out: Path, lang: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "reportgen",
        "rollup",
        "--month",
        "2026-10",
        "--config",
        str(config),
        "-o",
        str(out),
        "--json",
        str(out.with_suffix(".json")),
        "--lang",
        lang,
    ]


def time_rollup(folder: Path, config: Path, lang: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(
            rollup_argv(config, folder / f"rollup-{lang}.pdf", lang), check=True, capture_output=True
        )
        best = min(best, time.perf_counter() - started)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="generate the archive and PDFs here and keep them")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="reportgen-bench-rollup-") as temp:
        folder = args.keep or Path(temp)
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        config = make_archive(folder, args.teams)
        print(f"archive of {args.teams} teams generated in {time.perf_counter() - started:.1f} s")
        for lang in ("en", "zh"):
            seconds = time_rollup(folder, config, lang, args.repeat)
            verdict = "met" if seconds <= 10 else "NOT met"
            print(
                f"rollup of {args.teams} teams ({lang}): {seconds:.2f} s, best of {args.repeat} "
                f"(≤ 10 s: {verdict})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
