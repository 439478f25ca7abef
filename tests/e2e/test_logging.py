"""Logging as a user sees it on stderr: batch's worker processes log each stage once, naming the workbook;
a send logs its time and counts, never an address or the password. stdout stays what it was."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from reportgen.base.errors import ExitCode
from tests.builders import OCTOBER_ROWS, make_workbook
from tests.commands import run
from tests.e2e.test_web_concurrency import token, upload
from tests.e2e.webserver import SAMPLES, free_port
from tests.mailserver import HOST, Authenticator, Handler, make_pdf, smtp_server

# each stage logged as done, not recalled from the render memo
pytestmark = pytest.mark.usefixtures("no_render_memo")

AS_OF = "2026-11-03"
PASSWORD = "n0t-in-any-l0g"


def test_batch_workers_log_each_stage_once_naming_the_workbook(tmp_path: Path) -> None:
    first = make_workbook(tmp_path, OCTOBER_ROWS, name="alpha.xlsx")
    second = make_workbook(tmp_path, OCTOBER_ROWS[:2], name="beta.xlsx")
    out = tmp_path / "out"
    args = ("batch", first, second, "--out", out, "--jobs", "2", "--as-of", AS_OF)
    plain = run(*args)
    verbose = run("-v", *args)
    assert plain.returncode == verbose.returncode == ExitCode.OK, plain.stderr + verbose.stderr
    assert plain.stdout == verbose.stdout  # the table of outcomes is unchanged
    assert not re.search(r"^(INFO|WARNING|ERROR) ", plain.stderr, re.M)  # the progress bar only
    for name in ("alpha.xlsx", "beta.xlsx"):
        for stage in ("read", "check", "figures", "background charts", "pdf", "built"):
            pattern = rf"^INFO reportgen\.[\w.]+: {re.escape(name)}: {stage}: \d+\.\d\d s"
            assert len(re.findall(pattern, verbose.stderr, re.M)) == 1, (name, stage, verbose.stderr)


def test_send_logs_its_time_and_counts_never_the_password_or_an_address(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "review.pdf")
    handler = Handler()
    with smtp_server(handler, authenticator=Authenticator("ops", PASSWORD), auth_require_tls=False) as port:
        config = tmp_path / "reportgen.toml"
        config.write_text(
            f'[email]\nhost = "{HOST}"\nport = {port}\nsecurity = "none"\nusername = "ops"\n'
            'sender = "Ops <ops@example.com>"\nto = ["boss@example.com"]\n',
            "utf-8",
        )
        env = {"REPORTGEN_SMTP_PASSWORD": PASSWORD}
        plain = run("send", pdf, "--config", config, env=env)
        verbose = run("-vv", "send", pdf, "--config", config, "--cc", "cfo@example.com", "--resend", env=env)
    assert plain.returncode == verbose.returncode == ExitCode.OK, plain.stderr + verbose.stderr
    assert len(handler.received) == 2
    assert plain.stderr == ""
    counts = "2 recipients, 2 accepted, 0 refused, 1 attempts"
    line = rf"^INFO reportgen\.delivery\.smtp: send: \d+\.\d\d s \({HOST}:{port}, {counts}"
    assert re.search(line, verbose.stderr, re.M), verbose.stderr
    for secret in (PASSWORD, "boss@example.com", "cfo@example.com", "ops@example.com"):
        assert secret not in verbose.stderr
    assert PASSWORD not in plain.stdout + verbose.stdout


def test_serve_verbose_logs_each_build_in_its_pool_process(tmp_path: Path) -> None:
    """`-v serve`: the build runs in one of serve's pool processes, and its stages and time still reach
    serve's stderr, at serve's level, in the one format."""
    port = free_port()
    env = {**os.environ, "TMPDIR": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    server = subprocess.Popen(
        [sys.executable, "-m", "reportgen", "-v", "serve", "--port", str(port), "--as-of", AS_OF,
         "--config", str(SAMPLES / "reportgen.toml")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )  # fmt: skip
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            wait_for_page(client, server)
            uploaded = upload(client, SAMPLES / "northwind-en.xlsx")
            assert uploaded.status_code == 303, uploaded.text
            built = client.post(
                f"{uploaded.headers['location']}/build",
                data={"token": token(client), "month": "2026-10", "lang": "en"},
            )
            assert built.status_code == 303, built.text
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    assert re.search(r"^INFO reportgen\.pipeline\.build: built: \d+\.\d\d s in all \(workbook, 2026-10\)",
                     stderr, re.M), stderr  # fmt: skip
    for stage in ("read", "check", "figures", "pdf"):
        assert re.search(rf"^INFO reportgen\.[\w.]+: {stage}: \d+\.\d\d s", stderr, re.M), (stage, stderr)


def wait_for_page(client: httpx.Client, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "serve stopped before it answered"
        try:
            if client.get("/").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("serve did not answer within 60 s")
