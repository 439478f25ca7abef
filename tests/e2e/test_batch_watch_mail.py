"""`batch --email` and `watch --email` against a real SMTP server on 127.0.0.1 (aiosmtpd): each review is
mailed once, a workbook with error findings is not mailed unless `send_with_errors`, nothing is built when the
config cannot send, and a restarted watch does not mail a version again."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

from reportgen.base.config import Config
from reportgen.base.errors import ExitCode
from reportgen.pipeline.build import check_workbook
from tests.builders import make_workbook
from tests.e2e.test_batch import OCTOBER, run_batch
from tests.e2e.test_send import write_config
from tests.e2e.test_watch import SETTLE, Watch
from tests.mailserver import Handler, Received, free_port, smtp_server

CLEAN = [OCTOBER[0], OCTOBER[2]]  # OCTOBER[1] holds an unreadable cost ("abc"): an error finding


def pdf_attachment(message: Received) -> tuple[str, bytes]:
    (attachment,) = [part for part in message.message.iter_attachments() if part.get_filename()]
    payload = attachment.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return str(attachment.get_filename()), payload


def workbooks(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "alpha": make_workbook(folder, CLEAN, name="alpha.xlsx", title="Alpha Team — log"),
        "gamma": make_workbook(folder, CLEAN[:1], name="gamma.xlsx", title="Gamma Team — log"),
        "errors": make_workbook(folder, OCTOBER, name="errors.xlsx", title="Errors Team — log"),
    }


def test_batch_mails_each_clean_review_and_keeps_the_one_with_errors_unless_told(tmp_path: Path) -> None:
    books = workbooks(tmp_path / "in")
    handler = Handler()
    with smtp_server(handler) as port:
        config = write_config(tmp_path / "reportgen.toml", port)
        out = tmp_path / "out"
        result = run_batch(
            *books.values(), "--out", out, "--jobs", "2", "--config", config, "--email", cwd=tmp_path
        )
        assert result.returncode == ExitCode.DELIVERY_FAILED, result.stderr  # all built, one not mailed
        assert "Traceback" not in result.stderr
        sent = {pdf_attachment(message)[0]: message for message in handler.received}
        assert sorted(sent) == ["alpha-2026-10.pdf", "gamma-2026-10.pdf"]
        for name, message in sent.items():
            assert message.rcpt_tos == ("boss@example.com",)
            assert pdf_attachment(message)[1] == (out / name).read_bytes()
        assert (out / "errors-2026-10.pdf").exists()  # built and kept
        assert "errors.xlsx: the review was built but not mailed" in " ".join(result.stderr.split())
        as_of = dt.date(2026, 11, 3)
        errors = [
            f
            for f in check_workbook(books["errors"], Config(), as_of).findings
            if f.severity.value == "error"
        ]
        assert errors and all(str(finding.ref) in result.stderr for finding in errors)  # the cells are named

        handler.received.clear()
        config = write_config(tmp_path / "reportgen.toml", port, email="send_with_errors = true\n")
        again = run_batch(
            books["errors"], "--out", tmp_path / "out2", "--config", config, "--email", cwd=tmp_path
        )
        assert again.returncode == ExitCode.OK, again.stderr
        assert [pdf_attachment(message)[0] for message in handler.received] == ["errors-2026-10.pdf"]


def test_batch_email_without_a_sender_is_refused_before_any_build(tmp_path: Path) -> None:
    books = workbooks(tmp_path / "in")
    config = tmp_path / "reportgen.toml"
    config.write_text('[email]\nhost = "127.0.0.1"\nto = ["boss@example.com"]\n', "utf-8")
    out = tmp_path / "out"
    result = run_batch(books["alpha"], "--out", out, "--config", config, "--email", cwd=tmp_path)
    assert result.returncode == ExitCode.USAGE, result.stderr
    assert "no sender" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists() or not list(out.glob("*.pdf"))


def test_watch_mails_a_dropped_workbook_once_even_across_a_restart(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    source = make_workbook(tmp_path, CLEAN, name="alpha.xlsx", title="Alpha Team — log")
    handler = Handler()
    log = tmp_path / "watch.log"
    with smtp_server(handler) as port:
        config = write_config(tmp_path / "reportgen.toml", port)
        watch = Watch(inbox, log, "--config", str(config), "--email")
        try:
            (inbox / "alpha.xlsx").write_bytes(source.read_bytes())
            watch.wait_for_line("mailed")
            assert len(handler.received) == 1
            name, data = pdf_attachment(handler.received[0])
            assert data == (inbox / "out" / name).read_bytes()
            assert watch.stop() == 0
            # the same version dropped again after a restart: recognised, not built or mailed again
            restarted = Watch(inbox, log, "--config", str(config), "--email")
            (inbox / "alpha.xlsx").write_bytes(source.read_bytes())
            restarted.wait_for_line("already processed")
            time.sleep(SETTLE)
            assert len(handler.received) == 1
            assert restarted.stop() == 0
        finally:
            watch.kill()


def test_watch_email_without_recipients_is_refused_at_start(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    config = tmp_path / "reportgen.toml"
    config.write_text('[email]\nhost = "127.0.0.1"\nsender = "ops@example.com"\n', "utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "reportgen", "watch", str(inbox), "--config", str(config), "--email"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == ExitCode.USAGE, result.stderr
    assert "nobody to send to" in result.stderr and "Traceback" not in result.stderr
    assert not (inbox / ".reportgen-watch.json").exists()  # the watch never started


def test_batch_email_to_a_closed_port_prints_the_config_section_in_brackets(tmp_path: Path) -> None:
    """What batch prints goes through rich's markup: `[email]` in a message, or brackets in a workbook's
    name, are printed as they are, not eaten as styles."""
    books = workbooks(tmp_path / "in [team]")
    config = write_config(tmp_path / "reportgen.toml", free_port())  # nothing listens there
    result = run_batch(books["alpha"], "--out", tmp_path / "out", "--config", config, "--email", cwd=tmp_path)
    assert result.returncode == ExitCode.DELIVERY_FAILED, result.stderr
    said = " ".join(result.stderr.split())
    assert "Check host and port in [email], or try again later." in said, result.stderr
    assert "in [team]" in said and "Traceback" not in said
