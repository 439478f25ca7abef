"""What the routes share while the server runs: the config, the uploads by id under their root folder, the
process pool, the archive, the page tokens' secret, the access token and the clock uploads are kept by."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from reportgen.apps.serve.errors import PageError
from reportgen.apps.serve.guards import PageTokens, allowed_hosts, is_loopback, public_hosts
from reportgen.apps.serve.identity import Cookies, Mode, choose_mode
from reportgen.apps.serve.retention import remove_expired
from reportgen.apps.serve.uploads import Upload
from reportgen.archive.accounts import Accounts
from reportgen.archive.store import Archive, open_archive
from reportgen.base.config import Config
from reportgen.base.errors import ArchiveError

T = TypeVar("T")
logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """The command line's choices: where to listen, which other Host names to accept, the as-of date."""

    host: str = "127.0.0.1"
    port: int = 8000
    allow_hosts: tuple[str, ...] = ()
    as_of: dt.date | None = None  # None: today, read at each upload
    use_queue: bool | None = None  # --queue / --local (queue.runner.choose_runner's rule)


class ServeState:
    """The app's state: uploads by id, the pool, the archive, the signing secret, the access token."""

    def __init__(self, options: ServeOptions, config: Config, executor: Executor | None = None) -> None:
        self.options = options
        self.config = config
        self.settings = config.serve
        self.tokens = PageTokens()
        self.access = None if is_loopback(options.host) else secrets.token_urlsafe(24)
        self.uploads: dict[str, Upload] = {}
        self.root: Path | None = None  # made at startup, removed at shutdown
        self.executor = executor
        self.own_executor = executor is None
        self.hosts = allowed_hosts(
            options.host, options.port, [*options.allow_hosts, *self.settings.allow_hosts]
        ) | public_hosts(self.settings.public_url)
        self.clock: Callable[[], float] = time.monotonic  # uploads' last use; a test may set its own
        self._archive: Archive | None = None
        self._archive_lock = threading.Lock()
        self.cookies = Cookies()  # signs the session cookies (accounts)
        self._mode: Mode | None = None

    def resolve_mode(self) -> Mode:
        """Who signs in (identity.choose_mode), decided once (blocking: the archive may be asked whether it
        has accounts). With accounts or a proxy, the access token gives way to signing in."""
        if self._mode is None:
            self._mode = choose_mode(self.settings, self.options.host, self.has_accounts)
            if self._mode != Mode.NONE:
                self.access = None
        return self._mode

    def mode(self) -> Mode:
        return self._mode if self._mode is not None else self.resolve_mode()

    def has_accounts(self) -> bool:
        try:
            return self.accounts().count() > 0
        except ArchiveError:
            return False

    def accounts(self) -> Accounts:
        """The archive's accounts (blocking: call in a thread)."""
        return Accounts(self.archive())

    @property
    def url(self) -> str:
        host = f"[{self.options.host}]" if ":" in self.options.host else self.options.host
        return f"http://{host}:{self.options.port}/"

    def as_of(self) -> dt.date:
        """The date reviews are built as of: the command line's, else today (read at each request)."""
        return self.options.as_of or dt.date.today()

    def find(self, upload_id: str) -> Upload:
        """The upload by its id, its last use now; one unknown or already removed is the `expired` message."""
        upload = self.uploads.get(upload_id)
        if upload is None:
            raise PageError(404, "expired_unused", minutes=self.settings.retention_minutes)
        upload.last_used = self.clock()
        return upload

    @contextlib.contextmanager
    def using(self, upload: Upload) -> Iterator[Upload]:
        """A build or a send under way: the sweeper keeps the upload, and its last use is when it ends."""
        upload.busy += 1
        try:
            yield upload
        finally:
            upload.busy -= 1
            upload.last_used = self.clock()

    def remove_expired(self, now: float) -> list[str]:
        """Delete every upload unused for the retention time, folder and all; returns their ids."""
        return remove_expired(self.uploads, self.settings.retention_minutes, now)

    def archive(self) -> Archive:
        """The archive ([archive] of the config), opened on first use and kept; blocking (call it in a
        thread). A failure is an ArchiveError and the next call tries again (a lock may have gone)."""
        with self._archive_lock:
            if self._archive is None:
                self._archive = open_archive(self.config.archive)
            return self._archive

    def close_archive(self) -> None:
        with self._archive_lock:
            if self._archive is not None:
                self._archive.close()
                self._archive = None

    async def in_pool(self, work: Callable[..., T], *args: Any) -> T:
        """Run a pipeline call in the pool: the event loop keeps serving while it builds. A pool one of
        whose processes died (the out-of-memory killer's usual pick) is broken for good, so serve starts a
        new one: a call that finds it broken runs in the new pool; the call whose process died fails
        (BrokenProcessPool, the "busy" page) and the next one builds. Only the event loop's thread calls
        this, so one pool replaces a broken one however many calls find it broken."""
        executor = self.executor
        assert executor is not None
        loop = asyncio.get_running_loop()
        call = functools.partial(work, *args)
        try:
            running = loop.run_in_executor(executor, call)
        except BrokenProcessPool:  # it broke before this call: nothing of this call was lost
            renewed = self.renew_pool(executor)
            if renewed is None:
                raise
            running = loop.run_in_executor(renewed, call)
        try:
            return await running
        except BrokenProcessPool:
            self.renew_pool(executor)
            raise

    def new_pool(self) -> Executor:
        """The server's own pool (app.Server's); a state given an executor never makes one."""
        raise NotImplementedError

    def renew_pool(self, broken: Executor) -> Executor | None:
        """A new pool in place of `broken`, unless another call has replaced it already; None once serve is
        shutting down, or when the pool is not the server's own (a test's, which the test looks after)."""
        if self.own_executor and self.executor is broken:
            broken.shutdown(wait=False, cancel_futures=True)
            self.executor = self.new_pool()
            logger.warning("serve: a build process died; its pool was replaced by a new one")
        return self.executor if self.own_executor else None
