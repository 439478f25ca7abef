"""A real SMTP server for the mail tests: aiosmtpd on 127.0.0.1 only, with a handler that records what it
received and injects the faults a test asks for; a private certificate authority made at test time."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import ipaddress
import json
import re
import socket
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"  # never any other address


@dataclass
class Received:
    """One message as the server took it: the envelope and the bytes."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Handler:
    """Records messages; `rcpt_replies` refuses given addresses, `rcpt_queue`/`data_queue` answer the next
    RCPT/DATA with a fault (then accept), the sleeps make the server slow."""

    received: list[Received] = field(default_factory=list)
    mail_calls: int = 0
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    rcpt_queue: list[str] = field(default_factory=list)
    rcpt_always: str | None = None
    data_queue: list[str] = field(default_factory=list)
    rcpt_sleep: float = 0.0
    data_sleep: float = 0.0

    async def handle_MAIL(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        self.mail_calls += 1
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.rcpt_sleep:
            await asyncio.sleep(self.rcpt_sleep)
        if address in self.rcpt_replies:
            return self.rcpt_replies[address]
        if self.rcpt_always:
            return self.rcpt_always
        if self.rcpt_queue:
            return self.rcpt_queue.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.data_sleep:
            await asyncio.sleep(self.data_sleep)
        if self.data_queue:
            return self.data_queue.pop(0)
        self.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), envelope.content))
        return "250 2.0.0 Message accepted"


def free_port() -> int:
    """A port nothing listens on (bound and released), for a server or for 'connection refused'."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server(handler: Handler, **options: Any) -> Iterator[int]:
    """Run aiosmtpd on 127.0.0.1 for the block; yields its port (another free one if the first was taken
    between `free_port` and the start: two pytest-xdist workers take ports at the same time)."""
    for attempt in range(3):
        port = free_port()
        controller = Controller(handler, hostname=HOST, port=port, **options)
        try:
            controller.start()
            break
        except OSError:
            if attempt == 2:
                raise
    try:
        yield port
    finally:
        controller.stop()


class Authenticator:
    """Accepts one login and password; remembers every password it was offered."""

    def __init__(self, login: str, password: str) -> None:
        self.login = login
        self.password = password
        self.offered: list[str] = []

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        self.offered.append(auth_data.password.decode())
        ok = auth_data.login.decode() == self.login and auth_data.password.decode() == self.password
        return AuthResult(success=ok, handled=False)  # not handled: the server sends its own 535


@dataclass(frozen=True)
class Certificates:
    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(self.cert_file), str(self.key_file))
        return context


def make_certificates(folder: Path) -> Certificates:
    """A private CA and a server certificate for 127.0.0.1 and localhost, signed by it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "reportgen test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    certificates = Certificates(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    certificates.ca_file.write_bytes(ca_cert.public_bytes(pem))
    certificates.cert_file.write_bytes(cert.public_bytes(pem))
    certificates.key_file.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return certificates


def make_pdf(path: Path, summary: Mapping[str, object] | None = None) -> Path:
    """A one-page PDF; with `summary`, carrying it as the figures attachment build embeds."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if summary is not None:
        writer.add_attachment("reportgen-figures.json", json.dumps(summary, ensure_ascii=False).encode())
    with path.open("wb") as stream:
        writer.write(stream)
    return path


def plain_text(message: EmailMessage) -> str:
    """The text body of a received message."""
    text = message.get_body(("plain",))
    assert text is not None
    return str(text.get_content())


CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def crowded(text: str, name: str) -> list[str]:
    """Where `name` (Latin) runs into a CJK character on either side ("附件是Orion Team2026年"), each with its
    surroundings: a mail in Chinese sets a Latin name apart with a space, as its catalogue writes names."""
    found = []
    for hit in re.finditer(re.escape(name), text):
        before = text[hit.start() - 1] if hit.start() else ""
        after = text[hit.end()] if hit.end() < len(text) else ""
        if CJK.match(before) or CJK.match(after):
            found.append(text[max(0, hit.start() - 4) : hit.end() + 4])
    return found


def parts(message: EmailMessage) -> tuple[str, str, list[EmailMessage]]:
    """The text body, the HTML body and the attachments of a received message."""
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content()), list(message.iter_attachments())


@dataclass
class Session:
    """How one connection to the scripted server goes: its greeting, and where it cuts the line."""

    greeting: str = "220 scripted ESMTP"
    cut_data_after: int | None = None  # close the connection after this many bytes of DATA


@dataclass
class ScriptedServer:
    """A small SMTP server that misbehaves on cue where aiosmtpd cannot: session N follows `sessions[N]` (the
    last one repeats). It records each message it accepted whole, with its envelope."""

    sessions: list[Session] = field(default_factory=lambda: [Session()])
    received: list[Received] = field(default_factory=list)
    connections: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        script = self.sessions[min(self.connections, len(self.sessions) - 1)]
        self.connections += 1

        async def say(line: str) -> None:
            writer.write(line.encode() + b"\r\n")
            await writer.drain()

        try:
            await say(script.greeting)
            if not script.greeting.startswith("220"):
                return
            mail_from = ""
            rcpts: list[str] = []
            while line := (await reader.readline()).decode("ascii", "replace").strip():
                verb = line.split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    await say("250-scripted\r\n250 8BITMIME")
                elif verb == "MAIL":
                    mail_from, rcpts = line.split(":", 1)[1].strip(" <>").split(">")[0], []
                    await say("250 OK")
                elif verb == "RCPT":
                    rcpts.append(line.split(":", 1)[1].strip(" <>"))
                    await say("250 OK")
                elif verb == "DATA":
                    await say("354 go ahead")
                    data = b""
                    while not data.endswith(b"\r\n.\r\n"):
                        chunk = await reader.read(65536)
                        if not chunk:
                            return
                        data += chunk
                        if script.cut_data_after is not None and len(data) >= script.cut_data_after:
                            writer.transport.abort()  # a reset, mid-message: nothing is delivered
                            return
                    self.received.append(Received(mail_from, tuple(rcpts), data[: -len(b"\r\n.\r\n")]))
                    await say("250 accepted")
                elif verb == "RSET":
                    await say("250 OK")
                elif verb == "QUIT":
                    await say("221 bye")
                    return
                else:
                    await say("502 not here")
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()


@contextmanager
def scripted_server(server: ScriptedServer) -> Iterator[int]:
    """Run the scripted server on 127.0.0.1 in a thread for the block; yields its port."""
    import threading

    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, Any] = {}

    async def serve() -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)  # small: a big DATA must wait
        listener.bind((HOST, 0))
        holder["server"] = await asyncio.start_server(server.handle, sock=listener)
        holder["port"] = holder["server"].sockets[0].getsockname()[1]
        started.set()

    thread = threading.Thread(
        target=lambda: (loop.run_until_complete(serve()), loop.run_forever()), daemon=True
    )
    thread.start()
    started.wait(10)
    try:
        yield int(holder["port"])
    finally:
        loop.call_soon_threadsafe(holder["server"].close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.run_until_complete(holder["server"].wait_closed())
        loop.close()
