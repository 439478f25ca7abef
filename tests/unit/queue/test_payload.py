"""A task whose workbook is not valid base64 is refused with the user's message (never an uncaught
binascii.Error and a traceback in the worker log), and the queue's sizes are told in one unit, MB, as
docs/queue.md says them (the issue "Nothing left behind, nothing refused that Excel opens", 5)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from reportgen.base.errors import ExitCode, InputError
from reportgen.queue import messages
from reportgen.queue.app import MAX_RESULT_BYTES, MAX_WORKBOOK_BYTES
from reportgen.queue.messages import BuildRequest, TaskRefused, decode, encode
from reportgen.queue.tasks import build_task, run_build
from tests.unit.queue.test_messages import REQUEST

ROOT = Path(__file__).resolve().parents[3]


def _message(workbook: Any) -> dict[str, Any]:
    message = json.loads(json.dumps(REQUEST.to_message()))
    message["workbook"] = workbook
    return message


@pytest.mark.parametrize("text", ["not base64 at all!", "QUJDRA", "QUJ", "ＡＢＣＤ", None])
def test_decode_refuses_what_is_not_base64(text: Any) -> None:
    with pytest.raises(ValueError):
        decode(text)


def test_decode_reads_what_encode_wrote() -> None:
    assert decode(encode(REQUEST.workbook)) == REQUEST.workbook


def test_a_request_whose_workbook_is_no_base64_is_the_user_s_error() -> None:
    with pytest.raises(InputError) as refused:
        BuildRequest.from_message(_message("PK not base64 !!"))
    assert refused.value.code == "queue_bad_workbook" and refused.value.file == REQUEST.shown_path


def test_the_build_task_refuses_it_in_both_languages() -> None:
    """The task raises TaskRefused (the one exception a worker logs as a line, not a traceback)."""
    task = SimpleNamespace(request=SimpleNamespace(id="t1", hostname="w@h"), app=None)
    with pytest.raises(TaskRefused) as refused:
        build_task(task, _message("@@@@"))  # type: ignore[arg-type]
    refusal = refused.value.refusal
    assert refusal.exit_code == ExitCode.BAD_INPUT
    assert "did not reach the worker whole" in refusal.message("en")
    assert "未能完整传到工作进程" in refusal.message("zh")
    assert REQUEST.shown_path in refusal.message("en")


def test_sizes_are_told_in_mb_as_docs_queue_says() -> None:
    megabytes = messages.megabytes
    assert megabytes(MAX_WORKBOOK_BYTES) == "20 MB" and megabytes(MAX_RESULT_BYTES) == "64 MB"
    assert megabytes(20_300_000) == "20.3 MB"
    docs = (ROOT / "docs/queue.md").read_text(encoding="utf-8")
    assert "at most 20 MB" in docs and "at most 64 MB" in docs


def test_a_workbook_past_the_limit_is_told_the_limit_the_docs_give() -> None:
    """20 MiB was told as 'up to 21.0 MB' while docs/queue.md says 20 MB."""
    big = dataclasses.replace(REQUEST, workbook=b"x" * (MAX_WORKBOOK_BYTES + 1))
    with pytest.raises(TaskRefused) as refused:
        run_build(big)
    message = refused.value.refusal.message("en")
    assert "is 20.0 MB" in message and "up to 20 MB" in message and "21.0" not in message
