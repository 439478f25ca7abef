"""Shared fixtures: the repository root on sys.path so tests can import samples/ and tests/ helpers; every
test gets its own user data folder (so its archive starts empty and never touches the real one); real
servers for the tests that need them.

`make test` runs the tests on two pytest-xdist workers (`-n 2 --dist loadgroup`): each worker is a process
with its own session (its own PostgreSQL cluster, redis-server, temporary folders, free ports). The tests of a
module that share a module-scoped fixture (a built review, a running server, a browser) are kept on one worker
(`pytest_collection_modifyitems` below), so that fixture is made once; every other test goes wherever a worker
is free."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, settings  # noqa: E402

# Generated workbooks: CI runs a fixed seed with at least 300 of them; `make test-deep` runs 5,000.
settings.register_profile(
    "ci",
    max_examples=300,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    print_blob=True,
)
settings.register_profile("deep", parent=settings.get_profile("ci"), max_examples=5000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

from tests.servers import (  # noqa: E402  (after the path line, on purpose)
    PostgresCluster,
    RedisServer,
    postgres_cluster,
    redis_server,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under `--dist loadgroup`, a test that uses a module-scoped fixture joins its module's group: the
    module's tests run on one worker and the fixture is made once, not once per worker."""
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info is None:
            continue
        scopes = {fixture.scope for fixtures in info.name2fixturedefs.values() for fixture in fixtures}
        if scopes & {"module", "class", "package"}:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0]))


@pytest.fixture(scope="session", autouse=True)
def session_data_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """XDG_DATA_HOME for what runs before a test's own folder is set (module-scoped fixtures that build or
    serve): never the user's real archive."""
    patch = pytest.MonkeyPatch()
    folder = tmp_path_factory.mktemp("session-data")
    patch.setenv("XDG_DATA_HOME", str(folder))
    patch.delenv("REPORTGEN_ARCHIVE_URL", raising=False)
    patch.delenv("REPORTGEN_QUEUE_URL", raising=False)
    yield folder
    patch.undo()


@pytest.fixture(autouse=True)
def own_data_folder(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """XDG_DATA_HOME for this test and the processes it starts: the default archive lives there."""
    folder = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("XDG_DATA_HOME", str(folder))
    monkeypatch.delenv("REPORTGEN_ARCHIVE_URL", raising=False)
    monkeypatch.delenv("REPORTGEN_QUEUE_URL", raising=False)
    return folder


@pytest.fixture(params=["sqlite", "postgresql"])
def archive_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty archive on each back end in turn: a SQLite file, and a fresh database on the throwaway
    PostgreSQL cluster."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'archive.sqlite3'}"
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return cluster.new_database()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """One throwaway PostgreSQL cluster for the session; `postgres.new_database()` gives a test its own."""
    with postgres_cluster() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def redis() -> Iterator[RedisServer]:
    """One throwaway Redis for the session (the queue's broker and result store); tests flush it."""
    with redis_server() as server:
        yield server
