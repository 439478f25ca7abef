"""Which columnar engine the activity sheet should be typed with: polars or pyarrow.compute (issue 32's first
step, "measure both and choose with the numbers"). Nothing of reportgen is changed by it.

Each engine runs the same sketch of what reading does, on the generated workbook of bench_figures.py:

1. fastexcel reads the activity sheet into Arrow (the anchor: that read alone);
2. the dates (`Date`, `Due`: strings, since the column mixes date cells and text dates) are parsed in one
   vectorised pass as ISO dates; what that pass cannot read goes to reportgen's own `parse_date`, one cell at
   a time, as a finding would name it;
3. `Cost` (numbers and text such as `¥1,234.50` or `4479元`) is cast to a number in one pass; the rest goes
   to `parse_money` one cell at a time;
4. `Status` and `Channel` are looked up in reportgen's own vocabularies after `vocab.key`'s folding; a word
   that is in neither is a finding naming its cell;
5. the month's figures: activities, done, cost and leads for each month of the year.

Every variant runs in a fresh process (best of `--repeat`), with its peak RSS (`ru_maxrss` of the child).
Both engines must agree on every figure and on the cells they would name; the script checks that.

    .venv/bin/python benchmarks/bench_columns.py [--sizes 100000,1000000] [--repeat 3]

polars and pyarrow come with the `bench` extra (`make bench` installs it).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_figures import ACTIVITY_SHEET, DEFAULT_WORKDIR, HEADER_ROW, ensure_workbook  # noqa: E402

ENGINES = ("bare", "pyarrow", "polars")


def _words() -> tuple[str, dict[str, str], dict[str, str]]:
    from reportgen.base import vocab

    statuses = {word: status.value for word, status in vocab.STATUS_WORDS.items()}
    channels = {word: channel.value for word, channel in vocab.CHANNEL_WORDS.items()}
    return vocab._NOISE.pattern, statuses, channels


def _read(workbook: str) -> Any:
    import fastexcel

    sheet = fastexcel.read_excel(workbook).load_sheet(
        ACTIVITY_SHEET, header_row=HEADER_ROW, dtypes={"Date": "string", "Due": "string", "Cost": "string"}
    )
    return sheet.to_arrow()


def _slow_dates(values: list[Any], rows: list[int]) -> tuple[dict[int, Any], list[str]]:
    from reportgen.reading.values import Unreadable, parse_date

    parsed, bad = {}, []
    for row, value in zip(rows, values, strict=True):
        try:
            parsed[row] = parse_date(value)
        except Unreadable:
            bad.append(f"A{row + HEADER_ROW + 2}")
    return parsed, bad


def _slow_money(values: list[Any], rows: list[int]) -> tuple[dict[int, float], list[str]]:
    from reportgen.reading.values import Unreadable, parse_money

    parsed, bad = {}, []
    for row, value in zip(rows, values, strict=True):
        try:
            parsed[row] = float(parse_money(value, "¥"))
        except Unreadable:
            bad.append(f"J{row + HEADER_ROW + 2}")
    return parsed, bad


def with_pyarrow(workbook: str) -> dict[str, Any]:
    import pyarrow as pa
    import pyarrow.compute as pc

    noise, statuses, channels = _words()
    table = _read(workbook)
    date_text = pc.utf8_trim_whitespace(table.column("Date"))
    dates = pc.strptime(
        pc.utf8_slice_codeunits(date_text, 0, 10), format="%Y-%m-%d", unit="s", error_is_null=True
    )
    missed = pc.and_(pc.is_null(dates), pc.is_valid(date_text))
    rows = pc.indices_nonzero(missed).to_pylist()
    slow_dates, bad_dates = _slow_dates(pc.take(date_text, rows).to_pylist(), rows)
    months = pc.strftime(dates, format="%Y-%m").to_pylist()
    for row, day in slow_dates.items():
        months[row] = f"{day.year:04d}-{day.month:02d}"
    cost_text = table.column("Cost")
    cost = _number(cost_text)
    missed = pc.and_(pc.is_null(cost), pc.is_valid(cost_text))
    rows = pc.indices_nonzero(missed).to_pylist()
    slow_cost, bad_cost = _slow_money(pc.take(cost_text, rows).to_pylist(), rows)
    costs = cost.to_pylist()
    for row, amount in slow_cost.items():
        costs[row] = amount

    def folded(name: str) -> Any:
        return pc.utf8_lower(pc.replace_substring_regex(table.column(name), pattern=noise, replacement=""))

    status = pc.index_in(folded("Status"), value_set=pa.array(list(statuses)))
    channel = pc.index_in(folded("Channel"), value_set=pa.array(list(channels)))
    status_names = pa.array(list(statuses.values()))
    done = pc.equal(pc.take(status_names, status), "done")
    unknown = [f"G{row + HEADER_ROW + 2}" for row in pc.indices_nonzero(pc.is_null(status)).to_pylist()]
    unknown += [f"B{row + HEADER_ROW + 2}" for row in pc.indices_nonzero(pc.is_null(channel)).to_pylist()]
    grouped = (
        pa.table(
            {
                "month": months,
                "done": pc.cast(done, pa.int64()),
                "cost": costs,
                "leads": table.column("Leads"),
            }
        )
        .group_by("month")
        .aggregate([("month", "count"), ("done", "sum"), ("cost", "sum"), ("leads", "sum")])
    )
    return _figures(grouped.to_pylist(), bad_dates + bad_cost + unknown, len(slow_dates) + len(slow_cost))


def _number(text: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    trimmed = pc.utf8_trim_whitespace(text)
    numeric = pc.match_substring_regex(trimmed, pattern=r"^-?\d+(\.\d+)?$")
    return pc.if_else(numeric, pc.cast(pc.if_else(numeric, trimmed, "0"), pa.float64()), None)


def with_polars(workbook: str) -> dict[str, Any]:
    import polars as pl

    noise, statuses, channels = _words()
    frame = pl.from_arrow(_read(workbook))
    assert isinstance(frame, pl.DataFrame)
    frame = (
        frame.with_row_index("row")
        .with_columns(
            date_text=pl.col("Date").str.strip_chars(),
            cost_text=pl.col("Cost"),
        )
        .with_columns(
            date=pl.col("date_text").str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False),
            cost=pl.col("cost_text").str.strip_chars().cast(pl.Float64, strict=False),
            status=pl.col("Status")
            .str.replace_all(noise, "")
            .str.to_lowercase()
            .replace_strict(statuses, default=None),
            channel=pl.col("Channel")
            .str.replace_all(noise, "")
            .str.to_lowercase()
            .replace_strict(channels, default=None),
        )
    )
    missed = frame.filter(pl.col("date").is_null() & pl.col("date_text").is_not_null())
    slow_dates, bad_dates = _slow_dates(missed["date_text"].to_list(), missed["row"].to_list())
    missed = frame.filter(pl.col("cost").is_null() & pl.col("cost_text").is_not_null())
    slow_cost, bad_cost = _slow_money(missed["cost_text"].to_list(), missed["row"].to_list())
    if slow_dates:
        fixed = pl.DataFrame({"row": list(slow_dates), "late": list(slow_dates.values())},
                             schema={"row": pl.UInt32, "late": pl.Date})  # fmt: skip
        frame = frame.join(fixed, on="row", how="left").with_columns(date=pl.coalesce("date", "late"))
    if slow_cost:
        fixed = pl.DataFrame({"row": list(slow_cost), "late_cost": list(slow_cost.values())},
                             schema={"row": pl.UInt32, "late_cost": pl.Float64})  # fmt: skip
        frame = frame.join(fixed, on="row", how="left").with_columns(cost=pl.coalesce("cost", "late_cost"))
    unknown = [f"G{row + HEADER_ROW + 2}" for row in frame.filter(pl.col("status").is_null())["row"]]
    unknown += [f"B{row + HEADER_ROW + 2}" for row in frame.filter(pl.col("channel").is_null())["row"]]
    grouped = frame.group_by(month=pl.col("date").dt.strftime("%Y-%m")).agg(
        month_count=pl.len(),
        done_sum=(pl.col("status") == "done").sum(),
        cost_sum=pl.col("cost").sum(),
        leads_sum=pl.col("Leads").sum(),
    )
    return _figures(grouped.to_dicts(), bad_dates + bad_cost + unknown, len(slow_dates) + len(slow_cost))


def _figures(groups: list[dict[str, Any]], cells: list[str], one_by_one: int) -> dict[str, Any]:
    """The month's figures and the cells a finding would name, in one form for both engines; `one_by_one`:
    the cells that took reportgen's own parsers."""
    months = {
        group["month"]: [
            group["month_count"],
            group["done_sum"],
            round(group["cost_sum"] or 0, 2),
            round(group["leads_sum"] or 0),
        ]  # fmt: skip
        for group in groups
    }
    ordered = dict(sorted(months.items(), key=lambda item: str(item[0])))
    return {"months": ordered, "cells": sorted(cells), "one_by_one": one_by_one}


def child(engine: str, workbook: str) -> None:
    started = time.perf_counter()
    if engine == "bare":
        result: dict[str, Any] = {"rows": _read(workbook).num_rows}
    else:
        result = (with_pyarrow if engine == "pyarrow" else with_polars)(workbook)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "result": result}))


def run(engine: str, workbook: Path) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", engine, str(workbook)],
        capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": str(Path.cwd())},
    )  # fmt: skip
    measured = json.loads(done.stdout)
    measured["wall"] = time.perf_counter() - started
    return measured


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "WORKBOOK"))
    options = parser.parse_args()
    if options.child:
        child(*options.child)
        return 0
    options.workdir.mkdir(parents=True, exist_ok=True)
    print(
        "| rows | engine | best s (whole process) | in-process s | peak RSS MB | × bare read | RSS × bare |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|")
    for size in (int(text) for text in options.sizes.split(",")):
        workbook, _ = ensure_workbook(options.workdir, size)
        best: dict[str, dict[str, Any]] = {}
        for _ in range(options.repeat):
            for engine in ENGINES:  # in turn, so a slow moment of the machine is shared
                measured = run(engine, workbook)
                if engine not in best or measured["wall"] < best[engine]["wall"]:
                    best[engine] = measured
        if best["pyarrow"]["result"] != best["polars"]["result"]:
            print(f"the engines disagree at {size} rows", file=sys.stderr)
            return 1
        bare = best["bare"]
        for engine in ENGINES:
            each = best[engine]
            print(
                f"| {size:,} | {engine} | {each['wall']:.2f} | {each['seconds']:.2f} | {each['peak_mb']:.0f} "
                f"| {each['wall'] / bare['wall']:.2f} | {each['peak_mb'] / bare['peak_mb']:.2f} |"
            )
        result = best["polars"]["result"]
        print(
            f"\n{size:,} rows: both engines give the same figures for every month; {result['one_by_one']:,} "
            f"cells read one by one by reportgen's parsers, {len(result['cells'])} named as unreadable\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
