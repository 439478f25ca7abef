"""Uploads larger than serve.max_upload_mb against a real `reportgen serve` (uvicorn in a subprocess) and a
real client (httpx, streaming the body): every size gets the 413 page in the reader's language, never a
reset, and the server goes on answering."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import httpx
import pytest

from reportgen.base.catalogue import catalogue
from tests.e2e.webserver import SAMPLES, running_server

MB = 1024 * 1024
BOUNDARY = "reportgen-test-boundary"
CHUNK = b"\0" * (64 * 1024)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The server with a 1 MB limit; its base URL and the folder its upload folders are made in."""
    folder = tmp_path_factory.mktemp("oversize")
    config = folder / "reportgen.toml"
    config.write_text("[serve]\nmax_upload_mb = 1\n", "utf-8")
    with running_server(folder, config=config) as base:
        yield base, folder


def page_token(base: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', httpx.get(base + "/").text)
    assert found
    return found.group(1)


def uploads(folder: Path) -> set[Path]:
    """The upload folders the server keeps."""
    return {path for root in folder.glob("reportgen-serve-*") for path in root.iterdir()}


def multipart(token: str, size: int) -> tuple[bytes, bytes, int]:
    """The form around a workbook of `size` zero bytes: its head, its tail and its whole length."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="token"\r\n\r\n{token}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="workbook"; filename="big.xlsx"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    return head, tail, len(head) + size + len(tail)


def streamed(head: bytes, size: int, tail: bytes) -> Iterator[bytes]:
    """The body as a browser streams it from disk: never whole in memory."""
    yield head
    left = size
    while left > 0:
        yield CHUNK[: min(left, len(CHUNK))]
        left -= len(CHUNK)
    yield tail


@pytest.mark.parametrize("factor", [1.5, 5, 20])
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_an_oversize_upload_gets_the_413_page_in_the_readers_language(
    server: tuple[str, Path], factor: float, lang: str, declared: bool
) -> None:
    base, folder = server
    size = int(factor * MB)
    head, tail, length = multipart(page_token(base), size)
    headers = {
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "Accept-Language": "zh-CN,zh;q=0.9" if lang == "zh" else "en-US,en;q=0.9",
    }
    if declared:  # as browsers send it; without it httpx sends the body chunked
        headers["Content-Length"] = str(length)
    before = uploads(folder)
    started = time.monotonic()
    with httpx.Client(base_url=base, timeout=60) as client:
        response = client.post("/upload", content=streamed(head, size, tail), headers=headers)
    seconds = time.monotonic() - started
    print(f"{factor} x 1 MB, {lang}, {'declared' if declared else 'chunked'}: {seconds:.2f} s")
    assert response.status_code == 413
    assert catalogue(lang).text("web.too_large", limit_mb=1) in unescape(response.text)
    assert response.headers["connection"] == "close"
    assert "Traceback" not in response.text
    # nothing of it was kept, and the server answers the next request (a real upload)
    assert uploads(folder) == before
    with httpx.Client(base_url=base, timeout=60) as client:
        assert client.get("/").status_code == 200
        sample = SAMPLES / "northwind-en.xlsx"
        accepted = client.post(
            "/upload",
            data={"token": page_token(base)},
            files={"workbook": (sample.name, sample.read_bytes(), "application/octet-stream")},
        )
        assert accepted.status_code == 303


def test_a_content_length_over_the_limit_is_answered_before_the_body_is_sent(
    server: tuple[str, Path],
) -> None:
    """The declared length is enough: the 413 arrives while the client has sent none of the 20 MB."""
    base, _ = server
    port = int(base.rsplit(":", 1)[1])
    head, _, length = multipart(page_token(base), 20 * MB)
    request = (
        f"POST /upload HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {length}\r\n"
        "Accept-Language: zh-CN\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request + head)
        answer = b""
        while b"</html>" not in answer:
            data = connection.recv(65536)
            if not data:
                break
            answer += data
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 413 ")
    text = unescape(rest.decode("utf-8"))
    assert catalogue("zh").text("web.too_large", limit_mb=1) in text
    assert "connection: close" in text.lower()
