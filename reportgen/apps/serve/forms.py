"""Reading a request's body: a small url-encoded form (build, send) whole, or a multipart upload streamed
with python-multipart, its workbook straight into the upload's folder and never held in memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from reportgen.apps.serve.errors import PageError

FORM_LIMIT = 64 * 1024  # bytes of a form that carries no file (build, send)
MULTIPART_OVERHEAD = 64 * 1024  # the form's other fields and boundaries around the workbook


async def small_form(request: Request) -> dict[str, str]:
    """A urlencoded form of a few fields (build, send); anything else, or anything large, is refused before
    it is parsed, so a cross-site multipart post never reaches a parser that spools to disk."""
    content_type, _ = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"application/x-www-form-urlencoded":
        raise PageError(415, "not_form")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > FORM_LIMIT:
            raise PageError(413, "form_too_large")
    try:
        pairs = parse_qsl(body.decode("utf-8"), max_num_fields=20)
    except (UnicodeDecodeError, ValueError) as exc:
        raise PageError(400, "not_form") from exc
    return dict(pairs)


async def receive_workbook(request: Request, target: Path, limit: int) -> tuple[str | None, dict[str, str]]:
    """Stream a multipart upload: the `workbook` part straight into `target` (the folder's fixed name, never
    the client's), other fields as short text. Returns the client's file name (or None) and the fields.
    Past `limit` the rest is read and dropped up to a bound, so the browser gets the message, not a reset."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in params:
        raise PageError(415, "not_form")
    declared = request.headers.get("content-length", "")
    hard_limit = max(4 * limit, 100 * 1024 * 1024)
    if declared.isdigit() and int(declared) > hard_limit:
        raise PageError(413, "too_large", limit_mb=limit // (1024 * 1024))
    state = _PartState(target, limit)
    parser = MultipartParser(params[b"boundary"], state.callbacks())
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > hard_limit:
                raise PageError(413, "too_large", limit_mb=limit // (1024 * 1024))
            if state.too_large or received > limit + MULTIPART_OVERHEAD:
                state.too_large = True
                continue  # drain: the answer reaches the browser only once it has sent its body
            parser.write(chunk)
        if not state.too_large:
            parser.finalize()
    except PageError:
        raise
    except Exception as exc:  # python-multipart's parse errors: a form no browser sends
        raise PageError(400, "not_form") from exc
    finally:
        state.close()
    if state.too_large:
        raise PageError(413, "too_large", limit_mb=limit // (1024 * 1024))
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
