"""Where a build runs is one rule for every front end: the user's flag, else the config's queue url."""

from __future__ import annotations

import dataclasses

import pytest

from reportgen.base.config import QueueSettings, parse_config
from reportgen.base.errors import ExitCode, QueueError
from reportgen.pipeline.archiving import OpenedArchive
from reportgen.pipeline.jobs import LocalRunner
from reportgen.queue.runner import QueueRunner, choose_runner

URL = "redis://127.0.0.1:1/0"  # never asked: choosing connects to nothing


@pytest.mark.parametrize(
    ("url", "flag", "where"),
    [
        (None, None, "local"),
        (URL, None, "queue"),
        (URL, False, "local"),  # --local: this machine even with a url
        (URL, True, "queue"),
        (None, False, "local"),
    ],
)
def test_the_flag_decides_else_the_url(url: str | None, flag: bool | None, where: str) -> None:
    config = dataclasses.replace(parse_config({}), queue=QueueSettings(url))
    runner = choose_runner(config, queue=flag)
    assert runner.kind == where
    assert isinstance(runner, QueueRunner if where == "queue" else LocalRunner)


def test_queue_without_a_url_says_how_to_give_one() -> None:
    with pytest.raises(QueueError) as raised:
        choose_runner(parse_config({}), queue=True)
    assert raised.value.exit_code == ExitCode.QUEUE_FAILED
    assert "REPORTGEN_QUEUE_URL" in raised.value.message("en")


def test_a_local_runner_keeps_what_the_front_end_asked_for() -> None:
    def archive_for(settings: object) -> OpenedArchive:
        return OpenedArchive(None)

    runner = choose_runner(parse_config({}), workers=3, isolated=False, archive_for=archive_for)
    assert runner == LocalRunner(workers=3, isolated=False, archive_for=archive_for)


def test_one_client_per_queue_in_a_process() -> None:
    config = dataclasses.replace(parse_config({}), queue=QueueSettings(URL))
    first, second = choose_runner(config), choose_runner(config)
    assert isinstance(first, QueueRunner) and isinstance(second, QueueRunner)
    assert first.client is second.client
