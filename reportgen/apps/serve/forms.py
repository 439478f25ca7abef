"""Reading a request's body: a small url-encoded form (build, send) whole, or a multipart upload streamed
with python-multipart, its workbook straight into the upload's folder and never held in memory; and the answer
to a body too large, sent at once and then the rest of the body read and dropped (`DrainingResponse`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from reportgen.apps.serve.errors import PageError

FORM_LIMIT = 64 * 1024  # bytes of a form that carries no file (build, send)
MULTIPART_OVERHEAD = 64 * 1024  # the form's other fields and boundaries around the workbook
# A refused body is read and dropped after the answer, up to 1 GiB (or 4 x the upload limit, if larger) and
# 120 seconds: a browser reads the answer only once it has sent its body, and a connection closed under a
# client still sending is reset, answer and all. Past the bound the connection is closed.
DRAIN_BYTES = 1024**3
DRAIN_SECONDS = 120.0
BODY_KEY = "reportgen.body"  # where a request's BodyReader is kept in its scope


@dataclass
class BodyReader:
    """A request's body read from the ASGI channel directly, so what was read, and whether the body ended,
    is known when the answer is decided (Starlette's stream keeps that to itself)."""

    receive: Receive
    received: int = 0
    complete: bool = False
    disconnected: bool = False

    async def chunks(self) -> AsyncIterator[bytes]:
        while not self.complete:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                self.disconnected = True
                raise ClientDisconnect()
            body = message.get("body", b"")
            self.received += len(body)
            self.complete = not message.get("more_body", False)
            if body:
                yield body

    async def drain(self, bound: int, seconds: float) -> bool:
        """Read and drop the rest of the body, `bound` bytes and `seconds` at most: True when it ended."""
        start = self.received
        with contextlib.suppress(TimeoutError, ClientDisconnect):
            async with asyncio.timeout(seconds):
                async for _ in self.chunks():
                    if self.received - start > bound:
                        break
        return self.complete


def body_reader(request: Request) -> BodyReader:
    """The request's one BodyReader (made on first use)."""
    reader = request.scope.get(BODY_KEY)
    if reader is None:
        reader = request.scope[BODY_KEY] = BodyReader(request.receive)
    assert isinstance(reader, BodyReader)
    return reader


class DrainingResponse(Response):
    """An answer to a body too large: sent at once (the whole page), then the rest of the body read and
    dropped within the bound, then the connection closed (it says so: `Connection: close`). A client that
    reads early (curl) has its answer at once, one that reads after sending (httpx, browsers) when it is done;
    neither meets a reset, up to the bound."""

    def __init__(self, answer: Response, reader: BodyReader, bound: int) -> None:
        self.status_code = answer.status_code
        self.body = answer.body
        self.background = None
        self.raw_headers = [*answer.raw_headers, (b"connection", b"close")]
        self.reader = reader
        self.bound = bound

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        expecting = (b"expect", b"100-continue") in scope.get("headers", [])
        if self.reader.complete or self.reader.disconnected or (expecting and not self.reader.received):
            # nothing to drain: a client waiting for 100 Continue sends no body after a final answer
            await send({"type": "http.response.body", "body": self.body, "more_body": False})
            return
        await send({"type": "http.response.body", "body": self.body, "more_body": True})
        await self.reader.drain(self.bound, DRAIN_SECONDS)
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def drain_bound(limit: int) -> int:
    """How much of a refused upload is read after the answer (see DRAIN_BYTES)."""
    return max(DRAIN_BYTES, 4 * limit)


def too_large(limit: int) -> PageError:
    return PageError(413, "too_large", limit_mb=limit // (1024 * 1024))


async def small_form(request: Request) -> dict[str, str]:
    """A urlencoded form of a few fields (build, send); anything else, or anything large, is refused before
    it is parsed, so a cross-site multipart post never reaches a parser that spools to disk."""
    content_type, _ = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"application/x-www-form-urlencoded":
        raise PageError(415, "not_form")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > FORM_LIMIT:
        raise PageError(413, "form_too_large")  # answered before a byte is read
    body = bytearray()
    try:
        async for chunk in body_reader(request).chunks():
            body += chunk
            if len(body) > FORM_LIMIT:
                raise PageError(413, "form_too_large")
    except ClientDisconnect as exc:
        raise PageError(400, "not_form") from exc
    try:
        pairs = parse_qsl(body.decode("utf-8"), max_num_fields=20)
    except (UnicodeDecodeError, ValueError) as exc:
        raise PageError(400, "not_form") from exc
    return dict(pairs)


async def receive_workbook(request: Request, target: Path, limit: int) -> tuple[str | None, dict[str, str]]:
    """Stream a multipart upload: the `workbook` part straight into `target` (the folder's fixed name, never
    the client's), other fields as short text. Returns the client's file name (or None) and the fields.
    A body larger than `limit` (and the form around it) is refused as soon as that is known: at once when its
    Content-Length says so, else at the chunk that crosses it; the answer then drains the rest."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in params:
        raise PageError(415, "not_form")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD:
        raise too_large(limit)
    state = _PartState(target, limit)
    parser = MultipartParser(params[b"boundary"], state.callbacks())
    reader = body_reader(request)
    try:
        async for chunk in reader.chunks():
            if reader.received > limit + MULTIPART_OVERHEAD:
                raise too_large(limit)
            parser.write(chunk)
            if state.too_large:
                raise too_large(limit)
        parser.finalize()
    except PageError:
        raise
    except Exception as exc:  # python-multipart's parse errors, a client gone: a form no browser sends
        raise PageError(400, "not_form") from exc
    finally:
        state.close()
    if state.file_name is not None and state.file_size == 0:
        raise PageError(400, "no_file")
    return state.file_name, state.fields


@dataclass
class _PartState:
    """python-multipart's callbacks: headers of the current part, the file being written, the text fields."""

    target: Path
    limit: int
    too_large: bool = False
    file_name: str | None = None
    file_size: int = 0
    fields: dict[str, str] = field(default_factory=dict)
    _header_name: bytearray = field(default_factory=bytearray)
    _header_value: bytearray = field(default_factory=bytearray)
    _headers: dict[str, str] = field(default_factory=dict)
    _name: str | None = None
    _text: bytearray | None = None
    _stream: IO[bytes] | None = None

    def callbacks(self) -> Any:
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": lambda data, start, end: self._header_name.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._header_value.extend(data[start:end]),
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
        }

    def part_begin(self) -> None:
        self._headers = {}
        self._name = None
        self._text = None

    def header_end(self) -> None:
        name = self._header_name.decode("latin-1").lower()
        self._headers[name] = self._header_value.decode("latin-1")  # parse_options_header wants latin-1
        self._header_name.clear()
        self._header_value.clear()

    def headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get("content-disposition", ""))
        name = options.get(b"name", b"").decode("latin-1")
        filename = options.get(b"filename")
        self._name = name
        if name == "workbook" and filename is not None:
            if self._stream is not None:  # one workbook per upload
                raise PageError(400, "not_form")
            self.file_name = filename.decode("utf-8", "replace")  # browsers send the name as UTF-8
            if not self.file_name:  # the form was sent without choosing a file
                self.file_name = None
                return
            self._stream = self.target.open("wb")
        elif filename is None:
            self._text = bytearray()

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self._stream is not None and self._name == "workbook":
            self.file_size += end - start
            if self.file_size > self.limit:
                self.too_large = True
                return
            self._stream.write(data[start:end])
        elif self._text is not None and len(self._text) < 4096:
            self._text.extend(data[start:end])

    def part_end(self) -> None:
        if self._text is not None and self._name:
            self.fields[self._name] = self._text.decode("utf-8", "replace")
        self._text = None
        if self._stream is not None:
            self._stream.close()

    def close(self) -> None:
        if self._stream is not None and not self._stream.closed:
            self._stream.close()
