"""The monthly cycle with a queue configured: the team's build is a task on a real `reportgen worker` (over a
real redis-server, recording in the archive the schedule shares), and the draft reaches the approver once,
as the very PDF written to the reviews folder."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import openpyxl

from reportgen.base.catalogue import catalogue
from reportgen.base.config import Config
from reportgen.figures.review import errors_of
from reportgen.pipeline.build import build_review, check_workbook
from reportgen.wording.text import finding_message
from tests.commands import run
from tests.e2e.test_batch_watch_mail import pdf_attachment
from tests.e2e.test_schedule import APPROVER, clean_workbook, previous_month, to, write_config
from tests.mailserver import Handler, smtp_server
from tests.queueing import run_now_on_a_worker
from tests.servers import RedisServer


def test_run_now_builds_the_team_on_a_worker_and_drafts_to_the_approver(
    tmp_path: Path, redis: RedisServer
) -> None:
    redis.flush()
    clean_workbook(tmp_path)
    handler = Handler()
    env = {**os.environ, "REPORTGEN_QUEUE_URL": redis.url}  # the archive: this test's XDG_DATA_HOME, shared
    with smtp_server(handler) as port:
        config = write_config(tmp_path, port, dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
        run_now_on_a_worker(tmp_path, config, env)
        (draft,) = to(handler, APPROVER)
        name, data = pdf_attachment(draft)
        written = tmp_path / "reviews" / name
        assert data == written.read_bytes()
        assert handler.received == [draft]  # management waits for the approval
    history = run("history", "--json", "--config", config, env=env)
    assert "Harbor Growth Team" in history.stdout


def test_a_draft_with_errors_built_on_a_worker_names_each_cells_error_in_the_approvers_language(
    tmp_path: Path, redis: RedisServer
) -> None:
    """The worker's review is English, its lead reads Chinese: the errors the worker found reach the lead
    worded in Chinese, as a local build's do (the worker sends each cell's error in every language)."""
    redis.flush()
    workbook = clean_workbook(tmp_path)
    book = openpyxl.load_workbook(workbook)
    sheet = book.active
    assert sheet is not None
    day = previous_month(dt.datetime.now(dt.UTC).date())
    sheet.append([day, "Event", "Webinar", "Bo", "", "Delayed", None, None, "abc", 3])  # "abc": an error
    book.save(workbook)
    handler = Handler()
    env = {**os.environ, "REPORTGEN_QUEUE_URL": redis.url}
    with smtp_server(handler) as port:
        config = write_config(tmp_path, port, dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
        config.write_text(config.read_text("utf-8") + f'\n[email.languages]\n"{APPROVER}" = "zh"\n', "utf-8")
        run_now_on_a_worker(tmp_path, config, env)
        (draft,) = to(handler, APPROVER)
    month = day.strftime("%Y-%m")
    review = build_review(check_workbook(workbook, Config(), dt.date.today()), month, dt.date.today(), None)
    errors = errors_of(review.findings)
    assert review.lang == "en" and errors
    part = draft.message.get_body(("plain",))
    assert part is not None
    text = str(part.get_content())
    assert catalogue("zh").text("cycle.draft_errors", count=len(errors)) in text, text
    for finding in errors:
        assert f"  {finding.where}: {finding_message(finding, catalogue('zh'))}" in text.splitlines(), text
        assert finding_message(finding, catalogue("en")) not in text, text
