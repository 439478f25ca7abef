"""Real servers the tests start and stop themselves, each on a free port of 127.0.0.1 with its own temporary
folder: a throwaway PostgreSQL cluster (Debian's `postgresql`) and a Redis server for the queue (Debian's
`redis-server`), both installed by `tools/system-deps.sh --test`.

Where a server's program is missing, its tests skip with the reason, except in CI (`CI` set), where a missing
program fails them: CI installs everything the tests need, so a skip there would hide a broken set-up.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

POSTGRES_BIN = Path("/usr/lib/postgresql")
START_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def missing(program: str, package: str) -> None:
    """Skip (or, in CI, fail) a test whose server program is not installed."""
    reason = f"{program} is not installed (Debian package {package}; `bash tools/system-deps.sh --test`)"
    if os.environ.get("CI"):
        pytest.fail(f"CI must have it: {reason}")
    pytest.skip(reason)


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder."""
    found = sorted(POSTGRES_BIN.glob("*/bin/postgres"), key=lambda path: int(path.parts[-3]))
    return found[-1].parent if found else None


def _as_server_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the `postgres` user Debian's package creates."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


class StoppedAtStart(RuntimeError):
    """The server ended before it listened (its port taken between `free_port` and its start, say)."""


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StoppedAtStart(f"the server stopped at start:\n{log.read_text(errors='replace')}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            if process.poll() is None:  # ours that answers, not another one's on the same port
                return
        time.sleep(0.05)
    raise RuntimeError(f"the server did not listen on {port} in {START_SECONDS} s")


START_TRIES = 3  # two pytest-xdist workers take free ports at the same time: a port can go twice


def _started(start: Callable[[], None], retry: Callable[[], None]) -> None:
    """`start()`; if the server stopped at start, `retry()` (a new port) and start again, a few times."""
    for attempt in range(START_TRIES):
        try:
            start()
            return
        except StoppedAtStart:
            if attempt == START_TRIES - 1:
                raise
            retry()


class PostgresCluster:
    """A throwaway cluster: initdb in a temporary folder, `postgres` on a free port, trust on loopback."""

    def __init__(self, bin_folder: Path) -> None:
        self.bin = bin_folder
        self.folder = Path(tempfile.mkdtemp(prefix="reportgen-pg-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._databases = 0

    def start(self) -> None:
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        data = self.folder / "data"
        subprocess.run(
            _as_server_user(
                [
                    str(self.bin / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                    "--no-instructions",
                ]
            ),  # fmt: skip
            check=True,
            capture_output=True,
        )
        log = self.folder / "server.log"
        settings = {
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(self.folder),
            "fsync": "off",  # a throwaway cluster: speed over durability
            "full_page_writes": "off",
            "synchronous_commit": "off",
        }
        options = [part for name, value in settings.items() for part in ("-c", f"{name}={value}")]

        def start() -> None:
            with log.open("wb") as stream:
                self.process = subprocess.Popen(
                    _as_server_user([str(self.bin / "postgres"), "-D", str(data), "-p", str(self.port),
                                     *options]),
                    stdout=subprocess.DEVNULL,
                    stderr=stream,
                )  # fmt: skip
            _wait_for_port(self.port, self.process, log)

        def new_port() -> None:
            self.port = free_port()

        _started(start, new_port)
        self._accepting()

    def _accepting(self) -> None:
        """Wait until the server takes connections: it listens before its start-up ends, and answers "the
        database system is starting up" until then (a loaded machine's first test on PostgreSQL failed so)."""
        import psycopg

        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                                     connect_timeout=5):  # fmt: skip
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self, template: str | None = None) -> str:
        """A fresh, empty database on the cluster (or a copy of the database `template`, a url this method
        gave, which nobody may be connected to); its url."""
        import psycopg

        self._databases += 1
        name = f"archive_{self._databases}"
        copy = f' TEMPLATE "{template.rsplit("/", 1)[1]}"' if template else ""
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as connection:  # fmt: skip
            connection.execute(f'CREATE DATABASE "{name}"{copy}')
        return self.url(name)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            # fast shutdown through pg_ctl: runuser, in between as root, does not pass signals on
            subprocess.run(
                _as_server_user([str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "stop", "-m",
                                 "fast", "-w", "-t", "20"]),
                capture_output=True,
            )  # fmt: skip
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    bin_folder = postgres_bin()
    if bin_folder is None:
        missing("postgres", "postgresql")
        raise AssertionError  # not reached: missing() skips or fails
    cluster = PostgresCluster(bin_folder)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


REDIS_SERVER = Path("/usr/bin/redis-server")


class RedisServer:
    """A throwaway Redis: `redis-server` on a free port of 127.0.0.1, its files in a temporary folder, nothing
    saved to disk, no unix socket. `stop()` and `start()` again on the same port (a broker that goes away)."""

    def __init__(self, program: Path = REDIS_SERVER) -> None:
        self.program = program
        self.folder = Path(tempfile.mkdtemp(prefix="reportgen-redis-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start on this server's port (again, after `stop`); a first start takes another free port if its
        own was taken in the meantime."""
        if self.process is None and not (self.folder / "server.log").exists():

            def new_port() -> None:
                self.port = free_port()

            _started(self._start, new_port)
        else:
            self._start()

    def _start(self) -> None:
        log = self.folder / "server.log"
        command = [
            str(self.program),
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--dir", str(self.folder),
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--protected-mode", "yes",
            "--logfile", str(log),
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        log.touch()
        _wait_for_port(self.port, self.process, log)

    def flush(self) -> None:
        """Empty every database: a test starts from an empty queue."""
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port)
        try:
            client.flushall()
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def redis_server() -> Iterator[RedisServer]:
    if not REDIS_SERVER.is_file():
        missing("redis-server", "redis-server")
    server = RedisServer()
    try:
        server.start()
        yield server
    finally:
        server.remove()
