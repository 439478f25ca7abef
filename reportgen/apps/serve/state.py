"""What the routes share while the server runs: the config, the uploads by id under their root folder, the
process pool, the page tokens' secret and the access token."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import secrets
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from reportgen.apps.serve.errors import PageError
from reportgen.apps.serve.guards import PageTokens, allowed_hosts, is_loopback
from reportgen.apps.serve.retention import remove_expired
from reportgen.apps.serve.uploads import Upload
from reportgen.base.config import Config

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """The command line's choices: where to listen, which other Host names to accept, the as-of date."""

    host: str = "127.0.0.1"
    port: int = 8000
    allow_hosts: tuple[str, ...] = ()
    as_of: dt.date | None = None  # None: today, read at each upload


class ServeState:
    """The app's state: uploads by id, the pool, the signing secret, the access token."""

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
        )

    @property
    def url(self) -> str:
        host = f"[{self.options.host}]" if ":" in self.options.host else self.options.host
        return f"http://{host}:{self.options.port}/"

    def as_of(self) -> dt.date:
        """The date reviews are built as of: the command line's, else today (read at each request)."""
        return self.options.as_of or dt.date.today()

    def find(self, upload_id: str) -> Upload:
        """The upload by its id; one unknown or already removed is the `expired` message."""
        upload = self.uploads.get(upload_id)
        if upload is None:
            raise PageError(404, "expired", minutes=self.settings.retention_minutes)
        return upload

    def remove_expired(self, now: float) -> list[str]:
        """Delete every upload older than the retention time, folder and all; returns their ids."""
        return remove_expired(self.uploads, self.settings.retention_minutes, now)

    async def in_pool(self, work: Callable[..., T], *args: Any) -> T:
        """Run a pipeline call in the pool: the event loop keeps serving while it builds."""
        assert self.executor is not None
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(work, *args))
