"""`reportgen batch`: many teams' workbooks at once, each in its own worker process or on the queue's workers
(`choose_runner`'s rule), with a progress bar and a table of what became of each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reportgen.base.catalogue import catalogue, language
from reportgen.base.config import load_config
from reportgen.base.errors import BatchIncomplete, ExitCode, InputError
from reportgen.delivery.targets import check_can_deliver
from reportgen.pipeline.jobs import FAILED, NOT_SENT, Job, Outcome
from reportgen.pipeline.jobs import Progress as RunProgress
from reportgen.queue.runner import choose_runner


@dataclass(frozen=True, slots=True)
class BatchOptions:
    """What `reportgen batch` was asked for."""

    workbooks: Sequence[Path]
    out_dir: Path
    workers: int
    month: str | None
    as_of: dt.date
    config_path: Path | None
    lang: str | None
    email: bool
    queue: bool | None = None  # --queue / --local; None: the queue when [queue] url is set


def run_batch(options: BatchOptions) -> None:
    """Build every workbook, then print the table; BatchIncomplete (exit 1 or 3) after all were tried."""
    # rich's progress and table cost 80 ms to import: only batch draws them
    from rich.console import Console
    from rich.markup import escape  # every text below may hold [brackets]: `[email]`, a file's name
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.table import Table

    lang = options.lang
    config = load_config(options.config_path, options.workbooks[0])
    if options.email:  # no sender or no recipients: refused before any build
        check_can_deliver(config)
    runner = choose_runner(config, queue=options.queue, workers=options.workers)
    runner.check()  # no url, no extra, or a Redis that does not answer: said before anything is built
    words = catalogue(language(lang))
    try:
        options.out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(options.out_dir, "output_unwritable", detail=exc.strerror or str(exc)) from exc
    unique, stems = output_stems(list(options.workbooks))
    errors = Console(stderr=True, highlight=False)
    firsts: dict[str, Path] = {}
    for workbook in unique:
        first = firsts.setdefault(workbook.stem.casefold(), workbook)
        if first is not workbook:
            errors.print(
                escape(words.text("batch.renamed", workbook=workbook, other=first, stem=stems[workbook]))
            )
    planned = [
        Job(
            workbook,
            options.out_dir,
            stems[workbook],
            options.as_of,
            options.config_path,
            options.month,
            lang,
            options.email,
        )
        for workbook in unique
    ]
    columns: tuple[ProgressColumn, ...] = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[counts]}"),
    )
    with Progress(*columns, console=errors) as progress:
        task = progress.add_task(escape(words.text("batch.progress")), total=len(planned), counts="")

        def show(state: RunProgress) -> None:
            counts = words.text("batch.queue_counts", done=state.done, failed=state.failed,
                                running=state.running)  # fmt: skip
            progress.update(task, completed=state.done + state.failed, counts=escape(counts))

        outcomes = runner.run(planned, language(lang), on_progress=show)
    table = Table(title=escape(words.text("batch.title", total=len(outcomes))), title_justify="left")
    for column in ("workbook", "team", "month", "status", "findings", "output"):
        table.add_column(escape(words.text(f"batch.col_{column}")), overflow="fold")
    for outcome in outcomes:
        style = {FAILED: "bold red", NOT_SENT: "yellow"}.get(outcome.status, "green")
        table.add_row(
            escape(str(outcome.workbook)),
            escape(outcome.team or ""),
            escape(outcome.month or ""),
            f"[{style}]{escape(words.text(f'batch.status_{outcome.status}'))}[/]",
            "" if outcome.status == FAILED else str(outcome.findings),
            escape(str(outcome.pdf) if outcome.status != FAILED else (outcome.message or "")),
        )
    Console(highlight=False).print(table)
    for outcome in outcomes:  # a delivery problem keeps its PDF: say why it was not sent
        if outcome.status == NOT_SENT:
            errors.print(
                escape(words.text("batch.not_sent", workbook=outcome.workbook, problem=outcome.message))
            )
    raise_for_outcomes(outcomes)


def output_stems(workbooks: Sequence[Path]) -> tuple[list[Path], dict[Path, str]]:
    """The distinct workbooks (a path given twice is built once) and each one's output stem: two inputs with
    the same stem get `<stem>`, `<stem>-2`, … so no output overwrites another in the same run."""
    unique: list[Path] = []
    seen: set[Path] = set()
    for workbook in workbooks:
        key = workbook.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(workbook)
    taken = {workbook.stem.casefold() for workbook in unique}
    used: set[str] = set()
    stems: dict[Path, str] = {}
    for workbook in unique:
        stem = workbook.stem
        if stem.casefold() in used:
            number = 2
            while f"{stem}-{number}".casefold() in taken | used:
                number += 1
            stem = f"{stem}-{number}"
        used.add(stem.casefold())
        stems[workbook] = stem
    return unique, stems


def raise_for_outcomes(outcomes: Sequence[Outcome]) -> None:
    """docs/batch.md: exit 1 when any workbook was unusable, else 3 when any delivery failed, else 0."""
    failed = sum(outcome.status == FAILED for outcome in outcomes)
    not_sent = sum(outcome.status == NOT_SENT for outcome in outcomes)
    if failed or not_sent:
        code = ExitCode.BAD_INPUT if failed else ExitCode.DELIVERY_FAILED
        raise BatchIncomplete(code, failed, not_sent, len(outcomes))
