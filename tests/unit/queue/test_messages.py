"""What travels through the queue survives JSON unchanged, a build's key names exactly what changes its
review, a refusal carries the user's message in both languages, and `[queue]` is read and checked."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

from reportgen.base.config import QueueSettings, hidden_password, parse_config
from reportgen.base.errors import ExitCode, InputError, RemoteError
from reportgen.queue.messages import BuildRequest, BuildResult, OutputFile, Refusal, SendRequest, TaskRefused

REQUEST = BuildRequest(
    workbook_name="team.xlsx",
    shown_path="/home/lead/team.xlsx",
    workbook=b"PK\x03\x04 any bytes \x00\xff",
    as_of=dt.date(2026, 11, 3),
    stem="team",
    config_text='team = "Alpha"\n',
    config_path="/home/lead/reportgen.toml",
    month="2026-10",
    lang="zh",
)


def over_the_wire(message: dict[str, object]) -> dict[str, object]:
    decoded = json.loads(json.dumps(message))
    assert isinstance(decoded, dict)
    return decoded


def test_a_build_request_and_its_result_survive_json() -> None:
    assert BuildRequest.from_message(over_the_wire(REQUEST.to_message())) == REQUEST
    result = BuildResult(
        key=REQUEST.key(),
        team="Alpha",
        review_team="Alpha",
        month="2026-10",
        lang="zh",
        pdf=OutputFile("team-2026-10.pdf", b"%PDF-1.7 \x00\x01"),
        figures='{"month": "2026-10"}',
        findings=3,
        errors=1,
        error_cells=("活动!C7",),
        error_findings={
            "zh": (("活动!C7", "“abc”不是金额，未计入。"),),
            "en": (("活动!C7", '"abc" is not an amount, so it was not counted.'),),
        },
        finding_lines={
            "zh": ("错误\t活动!C7\t“abc”不是金额，未计入。",),
            "en": ('Error\t活动!C7\t"abc" is not an amount, so it was not counted.',),
        },
        table=OutputFile("team-2026-10-activities.xlsx", b"PK\x03\x04"),
        page="<html>预览</html>".encode(),
        version=2,
        build_id=7,
    )
    assert BuildResult.from_message(over_the_wire(result.to_message())) == result
    bare = dataclasses.replace(result, table=None, page=None, version=None, build_id=None)
    assert BuildResult.from_message(over_the_wire(bare.to_message())) == bare
    earlier = over_the_wire(result.to_message())  # a worker of an earlier release sends neither
    del earlier["error_findings"], earlier["finding_lines"]
    without = dataclasses.replace(result, error_findings={}, finding_lines={})
    assert BuildResult.from_message(earlier) == without
    later = {**over_the_wire(result.to_message()), "a_later_field": {"zh": []}}  # a later release's worker
    assert BuildResult.from_message(later) == result
    send = SendRequest("team-2026-10.pdf", b"%PDF", "/out/team-2026-10.pdf", None, None, "en")
    assert SendRequest.from_message(over_the_wire(send.to_message())) == send


def test_the_key_is_the_workbook_and_every_option_that_changes_the_review() -> None:
    key = REQUEST.key()
    assert key == dataclasses.replace(REQUEST).key()
    assert key == dataclasses.replace(REQUEST, shown_path="/elsewhere/team.xlsx").key()  # same review
    changed = [
        dataclasses.replace(REQUEST, workbook=REQUEST.workbook + b"!"),
        dataclasses.replace(REQUEST, workbook_name="other.xlsx"),
        dataclasses.replace(REQUEST, as_of=dt.date(2026, 11, 4)),
        dataclasses.replace(REQUEST, month="2026-09"),
        dataclasses.replace(REQUEST, lang="en"),
        dataclasses.replace(REQUEST, stem="team-2"),
        dataclasses.replace(REQUEST, team="Beta"),
        dataclasses.replace(REQUEST, page=True),
        dataclasses.replace(REQUEST, config_text='team = "Beta"\n'),
    ]
    keys = {request.key() for request in changed}
    assert key not in keys and len(keys) == len(changed)


def test_a_refusal_carries_the_message_in_each_language_and_its_exit_code() -> None:
    error = InputError(Path("/home/lead/notes.xlsx"), "missing")
    refused = TaskRefused(Refusal.of(error, workbook="/home/lead/notes.xlsx").to_json())
    again = TaskRefused(*json.loads(json.dumps(refused.args)))  # how Celery's JSON backend rebuilds it
    refusal = again.refusal
    assert str(again) == error.message("en")
    assert refusal.message("zh") == error.message("zh") != error.message("en")
    assert refusal.message(None) == error.message(None)
    remote = refusal.error()
    assert isinstance(remote, RemoteError) and remote.exit_code == ExitCode.BAD_INPUT
    assert remote.message("zh") == error.message("zh")


def test_queue_settings_from_the_file_and_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_config({}).queue == QueueSettings()
    table = {"queue": {"url": "redis://queue.lan:6379/0", "visibility_timeout": 7200, "wait_minutes": 5}}
    assert parse_config(table).queue == QueueSettings("redis://queue.lan:6379/0", 7200, 5)
    monkeypatch.setenv("REPORTGEN_QUEUE_URL", "redis://:pw@other:6379/1")
    assert parse_config(table).queue.url == "redis://:pw@other:6379/1"  # the environment wins


def test_a_bad_queue_setting_is_refused_by_its_key_and_never_shows_the_password() -> None:
    with pytest.raises(InputError) as refused:
        parse_config({"queue": {"url": "amqp://user:secret@rabbit:5672//"}}, Path("reportgen.toml"))
    assert "queue.url" in refused.value.message("en") and "secret" not in refused.value.message("en")
    assert "redis://host:6379/0" in refused.value.message("en")
    with pytest.raises(InputError) as socket_url:  # a worker took it and ended in a traceback
        parse_config({"queue": {"url": "redis+socket:///run/redis.sock"}}, Path("reportgen.toml"))
    assert "queue.url" in socket_url.value.message("en")
    for table in ({"visibility_timeout": 0}, {"wait_minutes": "5"}, {"urll": "redis://h/0"}):
        with pytest.raises(InputError) as wrong:
            parse_config({"queue": table}, Path("reportgen.toml"))
        assert "queue." in wrong.value.message("en")


def test_hidden_password() -> None:
    assert hidden_password("redis://:s3cret@host:6379/0") == "redis://:***@host:6379/0"
    assert hidden_password("rediss://user:s3:cr@et@host/0") == "rediss://user:***@host/0"
    assert hidden_password("redis://host:6379/0") == "redis://host:6379/0"
    assert hidden_password("redis://user@host/0") == "redis://user@host/0"


def test_a_name_from_the_queue_stays_inside_the_task_folder() -> None:
    from reportgen.queue.tasks import plain_name

    assert plain_name("星河 月报.xlsx", "workbook") == "星河 月报.xlsx"  # a local build's name, unchanged
    assert plain_name("../../etc/cron.d/x", "workbook") == "x"
    for hostile in ("..", ".", "", "folder/"):
        assert plain_name(hostile, "workbook") == "workbook"
