"""serve: one local page to drop a workbook, read its findings, preview, download and send the review.

No logic of its own: the pipeline checks and builds (in a process pool, off the event loop), the catalogue
says every sentence, the templates under templates/web/ draw the page. This module builds the Starlette app
(routes.py) inside the Host and header middleware (guards.py), runs its life (a temporary root for the
uploads, the pool, the retention sweeper, the archive; all gone or closed at shutdown) and listens.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path

from starlette.applications import Starlette
from starlette.types import ASGIApp

from reportgen.apps.serve.builds import start_worker, warm
from reportgen.apps.serve.guards import SecurityHeaders
from reportgen.apps.serve.identity import Gate, Mode
from reportgen.apps.serve.retention import sweep_forever
from reportgen.apps.serve.routes import Routes
from reportgen.apps.serve.state import ServeOptions, ServeState
from reportgen.base.catalogue import catalogue
from reportgen.base.config import Config
from reportgen.base.errors import ArchiveError, InputError
from reportgen.base.logs import log_levels
from reportgen.rendering.webfonts import interface_fonts

__all__ = ["ServeOptions", "Server", "bind", "serve"]

WORKERS = 2  # builds at once; a third waits in the pool's queue, the page itself never waits


class Server(ServeState):
    """The state, and the app that serves it: `app()` for uvicorn (or Starlette's TestClient)."""

    def app(self) -> ASGIApp:
        """The Starlette app, wrapped in the Host and header middleware."""
        routes = Routes(self)
        starlette = Starlette(
            routes=routes.table(),
            lifespan=self.lifespan,
            exception_handlers={404: routes.not_found, 405: routes.not_allowed, 500: routes.internal},
        )
        gated = Gate(
            starlette, self.mode, self.accounts, self.settings, self.cookies, routes.department.refused
        )
        return SecurityHeaders(gated, self.hosts, self.url)

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        """A temporary root, the pool, the sweeper, the archive (opened now, so the first page does not wait
        for a migration); all gone or closed at shutdown."""
        self.root = Path(tempfile.mkdtemp(prefix="reportgen-serve-"))
        if self.executor is None:
            self.executor = self.new_pool()
        fonts = asyncio.create_task(asyncio.to_thread(interface_fonts))  # made beside the first page
        try:
            await asyncio.to_thread(self.archive)
        except ArchiveError as exc:  # the page still checks and builds; history and sends say why not
            print(f"reportgen serve: {exc.message('en')}", file=sys.stderr, flush=True)
        await asyncio.to_thread(self.resolve_mode)
        sweeper = asyncio.create_task(
            sweep_forever(self.uploads, self.settings.retention_minutes, lambda: self.clock())
        )
        try:
            yield
        finally:
            sweeper.cancel()
            fonts.cancel()
            await asyncio.to_thread(self.close_archive)
            if self.own_executor and self.executor is not None:
                pool, self.executor = self.executor, None  # a build that fails now renews no pool
                await asyncio.to_thread(stop_pool, pool)
            shutil.rmtree(self.root, ignore_errors=True)
            self.uploads.clear()

    def new_pool(self) -> ProcessPoolExecutor:
        """WORKERS build processes, started now with Ctrl-C ignored (serve stops them), each dying with
        this process."""
        with _ctrl_c_held():
            pool = ProcessPoolExecutor(
                WORKERS,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=start_worker,
                initargs=(log_levels(), os.getpid()),
            )
            for _ in range(WORKERS):
                pool.submit(warm)  # starts them: the pool spawns its processes on submit
        return pool


def stop_pool(pool: Executor) -> None:
    """Serve's pool at shutdown, gone when this returns: its processes are stopped (a build still at work is
    ended; its page goes with serve's temporary root, removed next) and the pool's own threads are waited
    for. Shut down without waiting, those threads and a build process lived on for as long as the build took,
    inside a process that runs on (a program embedding serve, a test)."""
    # Python 3.14 has terminate_workers(); 3.11 has only the pool's own table of its processes
    working = list((pool._processes or {}).values()) if isinstance(pool, ProcessPoolExecutor) else []
    for process in working:
        process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """SIGINT ignored while the pool's processes are spawned (the few milliseconds of the submits), which
    keep it ignored (an ignored signal stays ignored across exec; a blocked mask does not survive spawn's):
    a Ctrl-C, sent to the whole process group, while they still import prints no traceback of each; serve
    shuts them down."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread (an embedding server): its processes handle Ctrl-C themselves
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def serve(options: ServeOptions, config: Config) -> None:
    """Listen until Ctrl+C or SIGTERM (then stop the pool and return: a stop asked for is no error); print
    the address (with the access token when bound beyond loopback)."""
    import uvicorn  # 0.07 s to import, needed only to listen: the tests run the app without it

    class Uvicorn(uvicorn.Server):
        """uvicorn's server, except that the SIGINT or SIGTERM it shut down gracefully for is not raised
        again once it has (uvicorn does, so the process would end as if killed: Ctrl-C as "Aborted." and
        exit 1, SIGTERM as exit -15)."""

        async def _serve(self, sockets: list[socket.socket] | None = None) -> None:
            await super()._serve(sockets)
            self._captured_signals.clear()

    server = Server(options, config)
    listening = bind(options.host, options.port)
    words = catalogue("en")
    mode = server.resolve_mode()
    url = server.url + (f"?access={server.access}" if server.access else "")
    print(words.text("web.listening", url=url), flush=True)
    if server.access is not None:
        print(words.text("web.exposed", host=options.host), file=sys.stderr, flush=True)
    if mode == Mode.ACCOUNTS and not server.has_accounts():
        print(words.text("web.dept.first_run"), file=sys.stderr, flush=True)
    elif mode != Mode.NONE:
        print(words.text(f"web.dept.mode_{mode.value}"), file=sys.stderr, flush=True)
    Uvicorn(
        uvicorn.Config(
            server.app(),
            host=options.host,
            port=options.port,
            log_level="warning",
            access_log=False,
            server_header=False,
            lifespan="on",
            timeout_graceful_shutdown=3,
        )
    ).run(sockets=[listening])


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before the address is printed: a port in use is a message, not a log."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        listening = socket.socket(family, socket.SOCK_STREAM)
    except OSError as exc:
        raise _bind_error(host, port, exc) from exc
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind((host, port))
    except OSError as exc:
        listening.close()
        raise _bind_error(host, port, exc) from exc
    return listening


def _bind_error(host: str, port: int, exc: OSError) -> InputError:
    return InputError(None, "serve_bind", address=f"{host}:{port}", detail=exc.strerror or str(exc))
