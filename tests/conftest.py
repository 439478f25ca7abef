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
import shutil
import signal
import subprocess
import sys
import tempfile
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

from reportgen.base.speed import RENDER_MEMO_VARIABLE, cores_taken, every_core_taken  # noqa: E402
from tests.chatservers import ChatServers, running_chat_servers  # noqa: E402
from tests.servers import (  # noqa: E402  (after the path line, on purpose)
    PostgresCluster,
    RedisServer,
    postgres_cluster,
    redis_server,
)


def _untracked() -> set[str]:
    """What the checkout holds that git neither tracks nor ignores: each untracked file, and each top-level
    entry (an empty folder, which git does not list, shows there)."""
    listed = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all", "-z"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if listed.returncode != 0:  # not a git checkout (an unpacked sdist): nothing to compare
        return set()
    found = {entry[3:] for entry in listed.stdout.split("\0") if entry.startswith("?? ")}
    top = [entry.name for entry in ROOT.iterdir() if entry.name != ".git"]
    ignored = subprocess.run(
        ["git", "check-ignore", "--stdin", "-z"],
        cwd=ROOT, input="\0".join(top), capture_output=True, text=True, check=False,
    ).stdout.split("\0")  # fmt: skip
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout
    tops = {path.split("/", 1)[0] for path in tracked.split("\0") if path}
    return found | {name for name in top if name not in ignored and name not in tops}


_AT_START: list[set[str]] = []  # what was untracked when the session started (the controller's)


def _stop_signals_as_a_terminal_gives_them() -> None:
    """A suite started in the background (`make test &` starts it with SIGINT ignored, `nohup` with SIGHUP
    ignored) would hand that on to every command it starts, and a command that ignores Ctrl-C or a closed
    terminal cannot show what it does when they come (tests/e2e/test_nothing_left.py). An ignored signal stays
    ignored across exec, a handled one does not: so this process handles SIGINT as Python does by default,
    and SIGHUP takes its default action."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if signal.getsignal(signal.SIGHUP) is signal.SIG_IGN:
        signal.signal(signal.SIGHUP, signal.SIG_DFL)


_stop_signals_as_a_terminal_gives_them()  # in the controller before it starts the workers, and in each


_MEMO_MADE: list[str] = []  # the render memo's folder, when this process made it (the controller)


def pytest_configure(config: pytest.Config) -> None:
    """The render memo for the whole run (base/speed.py, `render_memo_folder`): a page laid out once is
    recalled by every later test, process and worker that renders the very same inputs. Made here, in the
    controller before pytest-xdist starts its workers, so they and every command a test starts inherit it; a
    test about the rendering itself asks for `no_render_memo`. Always a new folder, even when one is named
    already: its keys hold a page's inputs, not reportgen's code, so a folder kept across an edit would recall
    pages of the code before it."""
    if hasattr(config, "workerinput"):
        return
    folder = tempfile.mkdtemp(prefix="reportgen-render-memo-")
    os.environ[RENDER_MEMO_VARIABLE] = folder
    _MEMO_MADE.append(folder)


def pytest_unconfigure(config: pytest.Config) -> None:
    """The run leaves no file: the memo's folder goes with it."""
    while _MEMO_MADE:
        shutil.rmtree(_MEMO_MADE.pop(), ignore_errors=True)
        os.environ.pop(RENDER_MEMO_VARIABLE, None)


@pytest.fixture
def no_render_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every page of this test, and of the commands it starts, is laid out anew: for tests of the rendering
    and of what a command leaves when it is stopped mid-way (a recalled page would end the build early)."""
    monkeypatch.delenv(RENDER_MEMO_VARIABLE, raising=False)


def pytest_sessionstart(session: pytest.Session) -> None:
    # pytest-xdist's workers taking every core are a crowded batch: a build made in a worker's own process
    # draws its charts there instead of forking a child that could only compete for a core, as a batch's
    # build does (base/speed.cores_taken; same bytes, tests/e2e/test_speed.py). 7% less CPU and wall time
    # for test_pdf, test_bad_input and test_rollup together; a `reportgen` subprocess still forks.
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if hasattr(session.config, "workerinput") and every_core_taken(workers, workers):
        cores_taken()
    if not hasattr(session.config, "workerinput"):  # the controller (or a run without xdist) checks
        _AT_START.append(_untracked())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A test run writes nothing into the checkout: every file or folder it makes belongs in a temporary
    folder (one once left a folder named `file:` in the repository root). Only paths that were not there
    at the start count, so work in progress does not fail the run."""
    if hasattr(session.config, "workerinput") or not _AT_START:
        return
    before = _AT_START[0]
    new = sorted(path for path in _untracked() - before if not _under(path, before))
    if new:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = "the test run left in the checkout: " + ", ".join(new)
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(message, red=True)
        else:
            print(message, file=sys.stderr)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _under(path: str, folders: set[str]) -> bool:
    """Whether `path` lies in a folder that was already there, untracked, at the start."""
    return any(path.startswith(folder.rstrip("/") + "/") for folder in folders)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under `--dist loadgroup`, a test that uses a module-scoped fixture joins its module's group: the
    module's tests run on one worker and the fixture is made once, not once per worker. A test marked
    `xdist_group(name)` joins that group.

    The loadgroup scheduler groups by the `@group` suffix of the node ids a worker collected. pytest-xdist
    3.8 adds that suffix for an `xdist_group` mark by setting `item._nodeid`, which pytest 9 no longer
    reads (a node's id is `item._id`): the mark alone changed nothing, and every module-scoped fixture was
    made on both workers (test_pdf_standards.py's six builds twice, at the same time). So the suffix is
    set here, on the workers of a loadgroup run only, the way xdist means to set it."""
    if not (hasattr(config, "workerinput") and config.getvalue("loadgroup")):
        return
    for item in items:
        if "@" in item.nodeid.rpartition("]")[2]:  # a pytest-xdist that did set it
            continue
        marked = [str(mark.args[0]) for mark in item.iter_markers("xdist_group") if mark.args]
        info = getattr(item, "_fixtureinfo", None)
        scopes = {fixture.scope for fixtures in info.name2fixturedefs.values() for fixture in fixtures} if (
            info is not None) else set()  # fmt: skip
        if marked:  # a test that asks for a group by name (tests/unit/cycle/test_lifecycle_model.py)
            _join_group(item, "_".join(sorted(set(marked))))
        elif scopes & {"module", "class", "package"}:
            _join_group(item, item.nodeid.split("::", 1)[0])


def _join_group(item: pytest.Item, group: str) -> None:
    """`item`'s node id with `@group` after it (xdist's `_split_scope` reads the group from there)."""
    nodeid = f"{item.nodeid}@{group}"
    current = getattr(item, "_id", None)
    if current is not None and hasattr(type(current), "parse"):  # pytest >= 9: a structured NodeId
        item._id = type(current).parse(nodeid)
    else:  # the pytest-xdist was written for
        item._nodeid = nodeid  # type: ignore[attr-defined]


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


@pytest.fixture
def chat_servers() -> Iterator[ChatServers]:
    """Fake Feishu, DingTalk, WeCom, Slack and Teams webhooks on 127.0.0.1 for one test
    (tests/chatservers.py): `chat_servers.add_bot("wecom")` gives a bot whose `.url` goes into
    reportgen.toml and whose `.received`/`.refused`/`.files` say what arrived."""
    with running_chat_servers() as servers:
        yield servers
