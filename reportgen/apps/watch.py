"""`reportgen watch`: a workbook dropped into an inbox's top level gets its review, once per version.

Filesystem events (watchfiles) only say where to look; a file is built when it has settled (same size and
mtime for `settle` seconds, and a zip-based workbook's zip opens), by the Runner the command chose (a worker
process of its own, or the queue's workers) so that no bad file stops the watch. Versions already processed
are kept in a JSON state file in the inbox, so a restart neither rebuilds nor resends them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import signal
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportgen.base.catalogue import catalogue, language
from reportgen.base.errors import InputError
from reportgen.base.files import fitted_stem, name_limit, write_atomic
from reportgen.pipeline.jobs import FAILED, NOT_SENT, SENT, Job, LocalRunner, Outcome, Runner

STATE_NAME = ".reportgen-watch.json"
SUBFOLDERS = ("out", "done", "failed")  # never input: only the inbox's top-level files are
TEMP_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".swp", ".lock", ".log")
POLL_ENV = "REPORTGEN_WATCH_POLL"  # set to 1 to force polling (network drives, containers without inotify)
ZIP_MAGIC = b"PK\x03\x04"
INCOMPLETE_GRACE = 10  # a zip that stays unopenable this many settle periods is built anyway (and fails)


def is_candidate(path: Path) -> bool:
    """A file in the inbox that may be a workbook: not hidden, not an Office lock file, not a temp file."""
    name = path.name
    if name.startswith((".", "~$")) or name.endswith("~"):
        return False
    return not name.lower().endswith(TEMP_SUFFIXES)


def zip_complete(path: Path) -> bool:
    """Whether a file that starts like a zip has its central directory yet (a half-copied one has not);
    any other file counts as complete, its content is judged by the build."""
    try:
        with path.open("rb") as stream:
            if stream.read(4) != ZIP_MAGIC:
                return True
        with zipfile.ZipFile(path):
            return True
    except (OSError, zipfile.BadZipFile):
        return False


@dataclass(slots=True)
class _Seen:
    size: int
    mtime_ns: int
    since: float


class Settler:
    """Which files have stopped changing: the same size and mtime for `quiet` seconds."""

    def __init__(self, quiet: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.quiet = quiet
        self.clock = clock
        self._seen: dict[Path, _Seen] = {}

    def observe(self, path: Path) -> None:
        """Note a file (new, or changed by an event); its quiet period starts when it stops changing."""
        self._seen.setdefault(path, _Seen(-1, -1, self.clock()))

    def forget(self, path: Path) -> None:
        self._seen.pop(path, None)

    def pending(self) -> list[Path]:
        return list(self._seen)

    def quiet_for(self, path: Path) -> float | None:
        """Seconds the file has kept its size and mtime (0 when it just changed); None when it is gone."""
        try:
            stat = path.stat()
        except OSError:
            self.forget(path)
            return None
        seen = self._seen.get(path)
        now = self.clock()
        if seen is None or (seen.size, seen.mtime_ns) != (stat.st_size, stat.st_mtime_ns):
            self._seen[path] = _Seen(stat.st_size, stat.st_mtime_ns, now)
            return 0.0
        return now - seen.since

    def settled(self, path: Path) -> bool:
        """Unchanged for the quiet period."""
        quiet = self.quiet_for(path)
        return quiet is not None and quiet >= self.quiet


class StateStore:
    """Versions already processed, by file name and content digest, kept in a JSON file written atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._processed: dict[str, dict[str, dict[str, Any]]] = {}
        if path.exists():
            try:
                document = json.loads(path.read_text("utf-8"))
                self._processed = dict(document["processed"])
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise InputError(path, "watch_state", detail=str(exc)) from exc

    def status(self, name: str, digest: str) -> str | None:
        """The status recorded for this version of `name`, or None when it was never processed."""
        entry = self._processed.get(name, {}).get(digest)
        return None if entry is None else str(entry["status"])

    def record(self, name: str, digest: str, status: str, pdf: Path | None) -> None:
        """Remember a processed version (written to disk before the workbook is moved)."""
        self._processed.setdefault(name, {})[digest] = {
            "status": status,
            "pdf": str(pdf) if pdf else None,
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        document = {"version": 1, "processed": self._processed}
        write_atomic(self.path, json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8"))


def digest_of(path: Path) -> str:
    """The version of a file: the SHA-256 of its bytes."""
    hasher = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            hasher.update(block)
    return hasher.hexdigest()


def unique_path(folder: Path, name: str) -> Path:
    """`folder/name`, or `folder/<stem>-2<suffix>`… when an earlier version already lies there."""
    target = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    number = 2
    while target.exists() or target.with_name(target.name + ".log").exists():
        target = folder / f"{stem}-{number}{suffix}"
        number += 1
    return target


@dataclass(frozen=True, slots=True)
class WatchOptions:
    """What `reportgen watch` was asked to do."""

    inbox: Path
    out_dir: Path
    as_of: dt.date | None  # None: each build uses the day it runs
    config_path: Path | None = None
    lang: str | None = None  # the review's language (default: the sheet's) and the log's (default: English)
    email: bool = False
    settle: float = 2.0
    poll: bool = False


class Watcher:
    """The watch loop: find candidates, let them settle, build each new version once, move it aside."""

    def __init__(
        self, options: WatchOptions, log: Callable[[str], None], runner: Runner | None = None
    ) -> None:
        self.options = options
        self.runner = runner or LocalRunner()
        self.words = catalogue(language(options.lang))
        self.log_line = log
        self.state = StateStore(options.inbox / STATE_NAME)
        self.settler = Settler(options.settle)
        self.stop = threading.Event()

    def log(self, code: str, **params: Any) -> None:
        stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        self.log_line(f"{stamp} {self.words.text(f'watch.{code}', **params)}")

    def run(self) -> None:
        """Watch until SIGINT or SIGTERM, then log that it stopped."""
        options = self.options
        for name in SUBFOLDERS[1:]:
            (options.inbox / name).mkdir(exist_ok=True)
        options.out_dir.mkdir(parents=True, exist_ok=True)
        stopping = (signal.SIGINT, signal.SIGTERM)
        previous = {signum: signal.signal(signum, lambda *_: self.stop.set()) for signum in stopping}
        try:
            self._scan()
            for changed in self._changes():
                for path in changed:
                    if path.parent == options.inbox and is_candidate(path) and path.is_file():
                        self.settler.observe(path)
                self._process_settled()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        self.log("stopped")

    def _scan(self) -> None:
        """Every candidate now in the inbox's top level (dropped while nobody watched, or polled)."""
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.options.inbox):
                if entry.is_file(follow_symlinks=False) and is_candidate(Path(entry.path)):
                    self.settler.observe(Path(entry.path))

    def _changes(self) -> Iterator[set[Path]]:
        """Paths that changed, or an empty set at least every tick; ends when asked to stop."""
        tick = min(0.5, self.options.settle / 2)
        mode = "polling" if self.options.poll or os.environ.get(POLL_ENV, "") not in ("", "0") else "events"
        if mode == "events":
            try:
                import watchfiles

                watcher = watchfiles.watch(
                    self.options.inbox,
                    watch_filter=None,
                    recursive=False,
                    debounce=int(tick * 1000),
                    rust_timeout=int(tick * 1000),
                    yield_on_timeout=True,
                    stop_event=self.stop,
                    raise_interrupt=False,
                    force_polling=False,
                )
                first = next(watcher)  # starts the watcher: fails here when events are unavailable
            except (ImportError, OSError, RuntimeError) as exc:
                self.log("fallback", detail=str(exc) or type(exc).__name__)
                mode = "polling"
            else:
                self.log("started", inbox=self.options.inbox, out=self.options.out_dir, mode=self._mode(mode))
                self._scan()  # what arrived between the first scan and the watcher's start
                yield {Path(path) for _, path in first}
                for changes in watcher:
                    yield {Path(path) for _, path in changes}
                return
        self.log("started", inbox=self.options.inbox, out=self.options.out_dir, mode=self._mode(mode, tick))
        while not self.stop.wait(tick):
            self._scan()
            yield set()

    def _mode(self, mode: str, tick: float = 0.0) -> str:
        return self.words.text(f"watch.mode_{mode}", seconds=tick)

    def _process_settled(self) -> None:
        for path in sorted(self.settler.pending()):
            if self.stop.is_set():
                return
            quiet = self.settler.quiet_for(path)
            if quiet is None or quiet < self.options.settle:
                continue
            if not zip_complete(path) and quiet < self.options.settle * INCOMPLETE_GRACE:
                continue
            self.settler.forget(path)
            self.process(path)

    def process(self, path: Path) -> None:
        """One settled file: build it unless this version was processed already, then move it aside."""
        try:
            digest = digest_of(path)
        except OSError:
            return  # gone or unreadable meanwhile; a later event brings it back
        done_status = self.state.status(path.name, digest)
        if done_status is not None:
            moved = self._move(path, "failed" if done_status == FAILED else "done")
            status = self.words.text(f"batch.status_{done_status}")
            if moved is not None:
                self.log("already", name=path.name, status=status, moved=self._shown(moved))
            return
        self.log("building", name=path.name)
        job = Job(
            path,
            self.options.out_dir,
            path.stem,
            self.options.as_of or dt.date.today(),
            config_path=self.options.config_path,
            lang=self.options.lang,
            email=self.options.email,
        )
        (outcome,) = self.runner.run([job], language(self.options.lang))
        self.state.record(path.name, digest, outcome.status, outcome.pdf)
        moved = self._move(path, "failed" if outcome.status == FAILED else "done")
        kept = moved or path  # a workbook that could not be moved stays where it is, and is not built again
        beside = moved or self.options.out_dir / path.name
        log_path = beside.with_name(
            fitted_stem((moved or path).name, ".log", name_limit(beside.parent)) + ".log"
        )
        try:
            write_atomic(log_path, self._log_text(path, outcome).encode("utf-8"))
        except OSError as exc:
            self.log("log_unwritable", name=path.name, path=log_path, detail=exc.strerror or str(exc))
        shown = {"name": path.name, "moved": self._shown(kept), "findings": outcome.findings}
        if outcome.status == FAILED:
            self.log("failed", problem=outcome.message, **shown)
        elif outcome.status == NOT_SENT:
            self.log("not_sent", pdf=self._shown(outcome.pdf), problem=outcome.message, **shown)
        else:
            self.log("sent" if outcome.status == SENT else "built", pdf=self._shown(outcome.pdf), **shown)

    def _shown(self, path: Path | None) -> str:
        """A path as the log shows it: relative to the inbox when inside it."""
        if path is None:
            return ""
        try:
            return str(path.relative_to(self.options.inbox))
        except ValueError:
            return str(path)

    def _move(self, path: Path, folder: str) -> Path | None:
        """Move a processed workbook into done/ or failed/; a move the file system refuses is logged, never a
        reason to stop watching (the state file already keeps this version from being built again)."""
        target = unique_path(self.options.inbox / folder, path.name)
        try:
            os.replace(path, target)
        except OSError as exc:
            self.log("move_failed", name=path.name, folder=folder, detail=exc.strerror or str(exc))
            return None
        return target

    def _log_text(self, path: Path, outcome: Outcome) -> str:
        """The .log beside a processed workbook: its findings, or its error, and where the review went."""
        words = self.words
        lines = [words.text("watch.log_workbook", name=path.name)]
        if outcome.status == FAILED:
            lines.append(words.text("watch.log_error", problem=outcome.message))
        else:
            lines.append(words.text("watch.log_review", pdf=outcome.pdf))
            if outcome.status == SENT:
                lines.append(words.text("watch.log_sent"))
            elif outcome.status == NOT_SENT:
                lines.append(words.text("watch.log_not_sent", problem=outcome.message))
            lines.append(words.text("watch.log_findings", count=outcome.findings))
            lines.extend(outcome.finding_lines)
        return "\n".join(lines) + "\n"
