"""Shared fixtures: the repository root on sys.path so tests can import samples/ and tests/ helpers; every
test gets its own user data folder (so its archive starts empty and never touches the real one); real
servers for the tests that need them."""

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
