"""`reportgen send` and `build --email` as a user runs them: a real SMTP server on 127.0.0.1, and the message
parsed back; the exit codes from a real process, the rest through the command line's `main` in this process.
Expected words come from the figures build embedded and wrote as JSON."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pypdf
import pytest

from reportgen.base.errors import ExitCode
from reportgen.delivery.message import REVIEW_HEADER
from reportgen.figures.document import FIGURES_ATTACHMENT
from tests.commands import cli, run
from tests.mailserver import HOST, Authenticator, Handler, free_port, parts, smtp_server

ROOT = Path(__file__).resolve().parents[2]
MONTH = "2026-10"
AS_OF = "2026-11-03"
PASSWORD = "n0t-in-any-0utput"


def write_config(path: Path, port: int, extra: str = "", email: str = "") -> Path:
    path.write_text(
        extra
        + f'\n[email]\nhost = "{HOST}"\nport = {port}\nsecurity = "none"\nsender = "Ops <ops@example.com>"\n'
        + 'to = ["boss@example.com"]\nattempts = 2\nretry_delay = 0.01\ntimeout = 5\n'
        + email,
        "utf-8",
    )
    return path


@pytest.fixture(scope="module")
def review(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The Chinese sample's October review under a Chinese file name, built once, and its --json figures."""
    folder = tmp_path_factory.mktemp("review")
    pdf = folder / "星河增长-2026-10.pdf"
    figures = folder / "figures.json"
    result = cli(
        "build",
        ROOT / "samples" / "xinghe-zh.xlsx",
        "--month",
        MONTH,
        "--as-of",
        AS_OF,
        "--config",
        ROOT / "samples" / "reportgen.toml",
        "-o",
        pdf,
        "--json",
        figures,
    )
    assert result.returncode == 0, result.stderr
    return pdf, json.loads(figures.read_text("utf-8"))


def embedded(pdf: Path) -> dict[str, Any]:
    attached = pypdf.PdfReader(io.BytesIO(pdf.read_bytes())).attachments[FIGURES_ATTACHMENT]
    document = json.loads(attached[0])
    assert isinstance(document, dict)
    return document


def test_send_delivers_the_review_and_it_parses_back(
    tmp_path: Path, review: tuple[Path, dict[str, Any]]
) -> None:
    pdf, figures = review
    document = embedded(pdf)
    mail = document.pop("mail")
    assert document == figures  # build embeds exactly its --json document, plus what the mail shows
    handler = Handler()
    with smtp_server(handler) as port:
        config = write_config(tmp_path / "reportgen.toml", port)
        # the sample's October has errors, which `send` holds back (the test below): sent anyway
        result = cli("send", pdf, "--config", config, "--cc", "cfo@example.com", "--force")
    assert result.returncode == ExitCode.OK, result.stderr
    assert str(pdf) in result.stdout and "Message-ID" in result.stdout
    (received,) = handler.received
    assert received.rcpt_tos == ("boss@example.com", "cfo@example.com")
    message = received.message
    assert message["To"] == "boss@example.com" and message["Cc"] == "cfo@example.com"
    assert message["Subject"] == f"{mail['team']}：{mail['month_label']}月度复盘"
    assert (
        message["Message-ID"]
        and message["Date"]
        and message[REVIEW_HEADER] == hashlib.sha256(pdf.read_bytes()).hexdigest()[:40]
    )
    text, html, attachments = parts(message)
    assert len(mail["takeaways"]) == 3
    for takeaway in mail["takeaways"]:
        assert takeaway in text
        assert takeaway.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in html
    activities = str(figures["totals"]["activities"])
    assert mail["kpis"][0]["value"] == activities and activities in text.splitlines()[2]
    for card in mail["kpis"]:
        assert card["label"] in html and card["value"] in html
    (attachment,) = attachments
    assert attachment.get_filename() == pdf.name
    assert attachment.get_content() == pdf.read_bytes()


def test_a_failed_send_exits_3_keeps_the_pdf_and_prints_its_path(
    tmp_path: Path, review: tuple[Path, dict[str, Any]]
) -> None:
    pdf, _ = review
    before = pdf.read_bytes()
    config = write_config(tmp_path / "reportgen.toml", free_port())  # nothing listens there
    result = run("send", pdf, "--config", config, "--force")  # past its month's errors, to the server
    assert result.returncode == ExitCode.DELIVERY_FAILED
    assert str(pdf) in result.stderr and "2 attempts" in result.stderr
    assert "Traceback" not in result.stderr
    assert pdf.read_bytes() == before


def test_eml_writes_the_message_and_sends_nothing(
    tmp_path: Path, review: tuple[Path, dict[str, Any]]
) -> None:
    pdf, _ = review
    handler = Handler()
    out = tmp_path / "preview.eml"
    with smtp_server(handler) as port:
        config = write_config(tmp_path / "reportgen.toml", port, email='bcc = ["archive@example.com"]\n')
        result = cli("send", pdf, "--config", config, "--to", "a@example.com,b@example.com", "--eml", out)
    assert result.returncode == ExitCode.OK, result.stderr
    assert handler.mail_calls == 0
    import email
    import email.policy

    message = email.message_from_bytes(out.read_bytes(), policy=email.policy.default)
    assert message["To"] == "a@example.com, b@example.com" and message["Bcc"] is None
    attachments = list(message.iter_attachments())
    assert attachments[0].get_content() == pdf.read_bytes()


def test_a_bad_address_exits_2_before_any_connection(
    tmp_path: Path, review: tuple[Path, dict[str, Any]]
) -> None:
    pdf, _ = review
    handler = Handler()
    with smtp_server(handler) as port:
        config = write_config(tmp_path / "reportgen.toml", port)
        result = run("send", pdf, "--config", config, "--to", "boss@example.com\r\nBcc: evil@example.com")
        bad_config = write_config(tmp_path / "bad.toml", port, email='cc = ["not an address"]\n')
        config_result = run("send", pdf, "--config", bad_config)
    assert result.returncode == ExitCode.USAGE and "not an email address" in result.stderr
    assert config_result.returncode == ExitCode.BAD_INPUT and "email.cc" in config_result.stderr
    assert handler.mail_calls == 0


def test_a_refused_login_never_prints_the_password(
    tmp_path: Path, review: tuple[Path, dict[str, Any]]
) -> None:
    pdf, _ = review
    handler = Handler()
    server = smtp_server(handler, authenticator=Authenticator("ops", "other"), auth_require_tls=False)
    with server as port:
        config = write_config(tmp_path / "reportgen.toml", port, email='username = "ops"\n')
        results = [
            cli(*debug, "send", pdf, "--config", config, "--force", env={"REPORTGEN_SMTP_PASSWORD": PASSWORD})
            for debug in ((), ("--debug",))
        ]
    for result in results:
        assert result.returncode == ExitCode.DELIVERY_FAILED
        assert "535" in result.stderr and str(pdf) in result.stderr
        assert PASSWORD not in result.stdout + result.stderr
    assert handler.received == []


def test_send_refuses_a_review_whose_month_has_errors_as_build_email_does(
    tmp_path: Path, review: tuple[Path, dict[str, Any]]
) -> None:
    """A lead who built the review, then ran `send`, mailed management a month with errors that `build
    --email`, batch, watch and serve would each have held back. `send` reads them from the figures inside the
    PDF and refuses the same way, naming the cells; `--force` or `send_with_errors = true` send it."""
    pdf, figures = review  # the Chinese sample's October: its month has errors
    error_cells = [f"{f['sheet']}!{f['cell']}" for f in figures["findings"] if f["severity"] == "error"]
    assert error_cells
    handler = Handler()
    with smtp_server(handler) as port:
        config = write_config(tmp_path / "reportgen.toml", port)
        refused = cli("send", pdf, "--config", config)
        assert refused.returncode == ExitCode.DELIVERY_FAILED, refused.stderr
        assert all(cell in refused.stderr for cell in error_cells) and "--force" in refused.stderr
        assert handler.mail_calls == 0 and "Traceback" not in refused.stderr
        assert "未发送" in refused.stderr  # no [email] language: the review's, as build --email says it
        allowed = write_config(tmp_path / "allowed.toml", port, email="send_with_errors = true\n")
        sent = cli("send", pdf, "--config", allowed)
        forced = cli("send", pdf, "--config", config, "--force", "--to", "ceo@example.com")
    assert sent.returncode == forced.returncode == ExitCode.OK, sent.stderr + forced.stderr
    assert [each.rcpt_tos for each in handler.received] == [("boss@example.com",), ("ceo@example.com",)]


def test_send_with_errors_lets_build_email_send_as_send_does_and_the_build_says_so(tmp_path: Path) -> None:
    """With `send_with_errors = true`, `send` and batch mailed a review with errors while `build --email`
    refused it, and a plain build warned that `send` would hold it back. Each now does what the setting
    says, and the warning says what will happen."""
    workbook = Path(shutil.copy(ROOT / "samples" / "northwind-en.xlsx", tmp_path / "northwind-en.xlsx"))
    pdf = tmp_path / "review.pdf"
    handler = Handler()
    with smtp_server(handler) as port:
        config = write_config(tmp_path / "reportgen.toml", port, email="send_with_errors = true\n")
        common = ("build", workbook, "--month", MONTH, "--as-of", AS_OF, "--config", config, "-o", pdf)
        built = cli(*common)
        emailed = cli(*common, "--email")
    assert built.returncode == emailed.returncode == ExitCode.OK, built.stderr + emailed.stderr
    assert "errors in its month's rows" in built.stderr and "send_with_errors = true" in built.stderr
    assert "holds it back" not in built.stderr
    (received,) = handler.received
    assert parts(received.message)[2][0].get_content() == pdf.read_bytes()


def test_build_email_refuses_on_error_findings_and_force_sends(tmp_path: Path) -> None:
    workbook = tmp_path / "northwind-en.xlsx"
    shutil.copy(ROOT / "samples" / "northwind-en.xlsx", workbook)
    figures = tmp_path / "figures.json"
    assert (
        cli("build", workbook, "--month", MONTH, "--as-of", AS_OF, "--no-pdf", "--json", figures).returncode
        == 0
    )
    month_errors = [f for f in json.loads(figures.read_text("utf-8"))["findings"] if f["severity"] == "error"]
    error_cells = [f"{f['sheet']}!{f['cell']}" for f in month_errors]
    assert error_cells  # the sample's month has error findings
    check = cli("check", workbook, "--as-of", AS_OF, "--json")
    elsewhere = [
        f"{f['sheet']}!{f['cell']}"
        for f in json.loads(check.stdout)["findings"]
        if f["severity"] == "error" and f"{f['sheet']}!{f['cell']}" not in error_cells
    ]
    assert elsewhere  # and errors on other months' rows, which do not hold this month's review back
    rules = (ROOT / "samples" / "reportgen.toml").read_text("utf-8")
    team = 'team = "Northwind\\r\\nBcc: evil@example.com"\n'  # a team name trying to add a header
    handler = Handler()
    pdf = tmp_path / "review.pdf"
    with smtp_server(handler) as port:
        config = write_config(tmp_path / "reportgen.toml", port, extra=team + rules)
        common = (
            "build",
            workbook,
            "--month",
            MONTH,
            "--as-of",
            AS_OF,
            "--config",
            config,
            "-o",
            pdf,
            "--email",
        )
        refused = cli(*common)
        assert refused.returncode == ExitCode.DELIVERY_FAILED
        assert all(cell in refused.stderr for cell in error_cells) and str(pdf) in refused.stderr
        assert not any(f"{cell}," in refused.stderr or f"{cell})" in refused.stderr for cell in elsewhere)
        assert pdf.exists() and handler.mail_calls == 0
        forced = cli(*common, "--force", "--to", "ceo@example.com")
    assert forced.returncode == ExitCode.OK, forced.stderr
    (received,) = handler.received
    assert received.rcpt_tos == ("ceo@example.com",)
    message = received.message
    assert message["Bcc"] is None and "evil" not in message["To"]
    assert message["Subject"].startswith("Northwind Bcc: evil@example.com: monthly review")
    assert parts(message)[2][0].get_content() == pdf.read_bytes()
