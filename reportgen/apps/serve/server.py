"""serve: one local page to drop a workbook, read its findings, preview, download and send the review.

No logic of its own: the pipeline checks and builds (in a process pool, off the event loop), the catalogue
says every sentence, the templates under templates/web/ draw the page. What lives here is the web's own
duty: Host and Origin checks (a local server that can mail files is a target for any page the user visits),
a signed per-page token, the upload limit, and per-upload folders removed after `serve.retention_minutes`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import hashlib
import hmac
import ipaddress
import multiprocessing
import re
import secrets
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar
from urllib.parse import quote, urlsplit

import jinja2
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reportgen import __version__
from reportgen.base.catalogue import LANGUAGES, catalogue
from reportgen.base.config import Config
from reportgen.base.errors import DeliveryError, InputError, ReportgenError, UsageError
from reportgen.base.model import Finding, Severity
from reportgen.delivery.dispatch import refuse_on_errors
from reportgen.delivery.message import resolve_recipients
from reportgen.delivery.smtp import DeliveryReceipt, send_review
from reportgen.figures.metrics import default_month
from reportgen.pipeline.build import build_to_files, check_workbook
from reportgen.rendering.templates import templates_folder
from reportgen.wording.text import finding_message

WORKERS = 2  # builds at once; a third waits in the pool's queue, the page itself never waits
FORM_LIMIT = 64 * 1024  # bytes of a form that carries no file (build, send)
MULTIPART_OVERHEAD = 64 * 1024  # the form's other fields and boundaries around the workbook
FINDINGS_SHOWN = 200
NAME_LIMIT = 120
LANG_COOKIE = "reportgen_lang"
ACCESS_COOKIE = "reportgen_access"
TOKEN_AGE = 12 * 3600  # seconds a page's token stays valid
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# the review page: its own inline stylesheet and data: charts, no script, no fetch, and a sandbox of its own
PREVIEW_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'self'; sandbox"
)
STATIC = {"web.css": "text/css; charset=utf-8", "web.js": "text/javascript; charset=utf-8"}
T = TypeVar("T")


# --- work done in the pool's processes: plain data in, plain data out (an exception would not unpickle) ---


@dataclass(frozen=True, slots=True)
class Problem:
    """A user error as its sentence in each language, with the HTTP status it is shown with."""

    messages: dict[str, str]
    status: int = 422


@dataclass(frozen=True, slots=True)
class CheckedUpload:
    """What the page shows after the check: the findings and the months there is a review for."""

    sheet_lang: str
    activities: int
    months: tuple[str, ...]
    default_month: str
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class BuiltReview:
    """A review built for one month and language: its PDF and its web page, inside the upload's folder."""

    month: str
    lang: str
    pdf: Path
    page: Path


def _problem(exc: ReportgenError, shown_name: str) -> Problem:
    """The error's sentences with the upload's own name where the message would name the temporary file."""
    if isinstance(exc, InputError) and exc.file is not None:
        exc.file = shown_name
    return Problem({lang: exc.message(lang) for lang in LANGUAGES})


def check_upload(path: Path, shown_name: str, config: Config, as_of: dt.date) -> CheckedUpload | Problem:
    """check_workbook, reduced to what the page shows."""
    try:
        checked = check_workbook(path, config, as_of)
    except ReportgenError as exc:
        return _problem(exc, shown_name)
    months = tuple(sorted({row.activity.month for row in checked.rows}))
    return CheckedUpload(
        sheet_lang=checked.sheet_lang,
        activities=len(checked.rows),
        months=months,
        default_month=default_month(checked.rows, as_of) or months[-1],
        findings=tuple(checked.findings),
    )


def build_upload(
    path: Path, shown_name: str, stem: str, config: Config, as_of: dt.date, month: str, lang: str
) -> BuiltReview | Problem:
    """The pipeline's one build path (`build_to_files`), writing the PDF and the page into the upload's
    folder."""
    page = path.with_name(f"review-{month}-{lang}.html")
    try:
        built = build_to_files(
            path,
            config,
            as_of,
            month=month,
            lang=lang,
            pdf_path=pdf_path(path.parent, stem, month),
            stem=stem,
            html_path=page,
        )
    except ReportgenError as exc:
        return _problem(exc, shown_name)
    assert built.pdf is not None  # a PDF was asked for
    return BuiltReview(built.review.month, built.review.lang, built.pdf, page)


def pdf_path(folder: Path, stem: str, month: str) -> Path:
    """The PDF in the upload's folder under the name the user knows (`<stem>-<YYYY-MM>.pdf`, the download's
    name), since the mail attaches it by its file name; a stem too long for a file name is shortened."""
    while len(f"{stem}-{month}.pdf".encode()) > 200:
        stem = stem[:-1]
    return folder / f"{stem}-{month}.pdf"


def _warm() -> None:
    """Import the pipeline in a fresh worker before the first upload needs it."""
    import reportgen.rendering.render  # noqa: F401


# --- the web's own rules ---


class PageError(Exception):
    """A request the page answers with a message (`web.<code>` of the catalogue) and a 4xx status."""

    def __init__(self, status: int, code: str, **params: Any) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.params = params


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """The command line's choices: where to listen, which other Host names to accept, the as-of date."""

    host: str = "127.0.0.1"
    port: int = 8000
    allow_hosts: tuple[str, ...] = ()
    as_of: dt.date | None = None  # None: today, read at each upload


@dataclass
class Upload:
    """One uploaded workbook: its folder (a random name) and the name the user knows it by (shown only)."""

    id: str
    folder: Path
    shown_name: str
    created: float
    checked: CheckedUpload
    built: BuiltReview | None = None
    sent: DeliveryReceipt | None = None  # the last send of the review built now

    @property
    def workbook(self) -> Path:
        return self.folder / "workbook"


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses: the only binds that need no access token."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str, port: int, extra: Sequence[str]) -> frozenset[str]:
    """Host header values accepted (DNS rebinding): the bound address, localhost, 127.0.0.1 and [::1] with the
    port, plus each --allow-host / serve.allow_hosts name with the port or, when it names one, as given."""
    bound = f"[{host}]" if ":" in host else host
    names = {bound.lower(), "localhost", "127.0.0.1", "[::1]"}
    accepted = set()
    for name in [*names, *(name.lower() for name in extra)]:
        accepted.add(f"{name}:{port}")
        if re.search(r":\d+$", name) and not name.endswith("]"):
            accepted.add(name)
        if port == 80:
            accepted.add(name)
    return frozenset(accepted)


def shown_file_name(raw: str) -> str:
    """The uploaded file's name as it may be shown: its last path part, no control characters, bounded."""
    name = re.split(r"[\\/]", raw)[-1]
    name = "".join(char for char in name if char.isprintable()).strip()
    if len(name) > NAME_LIMIT:
        name = name[: NAME_LIMIT - 1] + "…"
    return name or "workbook"


def download_name(shown_name: str, month: str) -> str:
    """`<stem>-<YYYY-MM>.pdf`, the name `build` would give the PDF."""
    stem = shown_name.rsplit(".", 1)[0] if "." in shown_name[1:] else shown_name
    return f"{stem}-{month}.pdf"


def content_disposition(name: str) -> str:
    """An attachment header with an ASCII fallback and the real name as RFC 5987 `filename*`."""
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._-")
    if not fallback[:1].isalpha():  # a name with no ASCII stem: still a name the reader recognises
        fallback = f"review-{fallback}" if fallback else "review.pdf"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def ui_language(request: Request) -> str:
    """The page's language: ?lang=, else the one chosen before (cookie), else the browser's first match."""
    for choice in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if choice in LANGUAGES:
            return choice
    ranked = []
    for index, part in enumerate(request.headers.get("accept-language", "").split(",")):
        tag, _, quality = part.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            continue
        ranked.append((-weight, index, tag.strip().lower()[:2]))
    for _, _, tag in sorted(ranked):
        if tag in LANGUAGES:
            return tag
    return "en"


class SecurityHeaders:
    """ASGI middleware: refuse an unknown Host before any route runs, and give every answer its headers."""

    def __init__(self, app: ASGIApp, hosts: frozenset[str], url: str) -> None:
        self.app = app
        self.hosts = hosts
        self.url = url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        host = headers.get(b"host", b"").decode("latin-1").lower()
        if host not in self.hosts:
            words = catalogue("en")
            text = words.text("web.bad_host", host=host[:100] or "-", url=self.url)
            await PlainTextResponse(text, status_code=421, headers=base_headers())(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [
                    (name.encode(), value.encode())
                    for name, value in base_headers().items()
                    if name.lower().encode() not in present
                ]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def base_headers() -> dict[str, str]:
    """The headers every answer carries unless its route set its own (the preview sets a stricter policy)."""
    return {
        "Content-Security-Policy": PAGE_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",  # no-referrer would make our own POSTs carry `Origin: null`
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
    }


class Server:
    """The app's state and its routes: uploads by id, the pool, the signing secret, the access token."""

    def __init__(self, options: ServeOptions, config: Config, executor: Executor | None = None) -> None:
        self.options = options
        self.config = config
        self.settings = config.serve
        self.secret = secrets.token_bytes(32)
        self.access = None if is_loopback(options.host) else secrets.token_urlsafe(24)
        self.uploads: dict[str, Upload] = {}
        self.root: Path | None = None
        self.executor = executor
        self.own_executor = executor is None
        self.environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(web_templates())),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.hosts = allowed_hosts(
            options.host, options.port, [*options.allow_hosts, *self.settings.allow_hosts]
        )

    @property
    def url(self) -> str:
        host = f"[{self.options.host}]" if ":" in self.options.host else self.options.host
        return f"http://{host}:{self.options.port}/"

    def app(self) -> ASGIApp:
        """The Starlette app, wrapped in the Host and header middleware."""
        routes = [
            Route("/", self.home, methods=["GET"]),
            Route("/static/{name}", self.static, methods=["GET"]),
            Route("/upload", self.upload, methods=["POST"]),
            Route("/u/{upload_id}", self.show, methods=["GET"]),
            Route("/u/{upload_id}/build", self.build, methods=["POST"]),
            Route("/u/{upload_id}/preview", self.preview, methods=["GET"]),
            Route("/u/{upload_id}/review.pdf", self.download, methods=["GET"]),
            Route("/u/{upload_id}/send", self.send, methods=["POST"]),
        ]
        starlette = Starlette(
            routes=routes,
            lifespan=self.lifespan,
            exception_handlers={404: self.not_found, 405: self.not_allowed, 500: self.internal},
        )
        return SecurityHeaders(starlette, self.hosts, self.url)

    # --- life: a temporary root, the pool, the sweeper; all gone at shutdown ---

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        self.root = Path(tempfile.mkdtemp(prefix="reportgen-serve-"))
        if self.executor is None:
            self.executor = ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("spawn"))
            for _ in range(WORKERS):
                self.executor.submit(_warm)
        sweeper = asyncio.create_task(self.sweep_forever())
        try:
            yield
        finally:
            sweeper.cancel()
            if self.own_executor and self.executor is not None:
                self.executor.shutdown(wait=False, cancel_futures=True)
                self.executor = None
            shutil.rmtree(self.root, ignore_errors=True)
            self.uploads.clear()

    async def sweep_forever(self) -> None:
        interval = min(60.0, self.settings.retention_minutes * 15.0)
        while True:
            await asyncio.sleep(interval)
            self.remove_expired(time.monotonic())

    def remove_expired(self, now: float) -> list[str]:
        """Delete every upload older than the retention time, folder and all; returns their ids."""
        limit = self.settings.retention_minutes * 60
        expired = [upload_id for upload_id, upload in self.uploads.items() if now - upload.created >= limit]
        for upload_id in expired:
            shutil.rmtree(self.uploads.pop(upload_id).folder, ignore_errors=True)
        return expired

    async def in_pool(self, work: Callable[..., T], *args: Any) -> T:
        """Run a pipeline call in the pool: the event loop keeps serving while it builds."""
        assert self.executor is not None
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(work, *args))

    # --- tokens ---

    def page_token(self) -> str:
        """A fresh token for one page's forms: a nonce and its time, signed with this process's secret."""
        body = f"{secrets.token_hex(8)}.{int(time.time())}"
        return f"{body}.{self._sign(body)}"

    def _sign(self, body: str) -> str:
        return hmac.new(self.secret, body.encode(), hashlib.sha256).hexdigest()[:32]

    def token_valid(self, token: str | None) -> bool:
        if not token or token.count(".") != 2:
            return False
        body, _, signature = token.rpartition(".")
        if not hmac.compare_digest(self._sign(body), signature):
            return False
        issued = body.split(".")[1]
        return issued.isdigit() and time.time() - int(issued) < TOKEN_AGE

    def require_access(self, request: Request) -> None:
        """Bound beyond loopback, a build, a send or an upload's pages need the access token printed at start
        (the address with `?access=` sets it as a cookie)."""
        if self.access is None:
            return
        given = request.cookies.get(ACCESS_COOKIE) or request.query_params.get("access")
        if not given or not hmac.compare_digest(given, self.access):
            raise PageError(403, "access")

    def require_origin(self, request: Request) -> None:
        """A POST must come from this page: its Origin (when the browser sends one) is this server."""
        origin = request.headers.get("origin")
        if origin is not None:
            parts = urlsplit(origin)
            if parts.scheme != "http" or parts.netloc.lower() != request.headers.get("host", "").lower():
                raise PageError(403, "forbidden")
        elif request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            raise PageError(403, "forbidden")

    def require_token(self, token: str | None) -> None:
        """...and it carries a token this process signed for one of its pages (a cross-site page can neither
        read nor forge one)."""
        if not self.token_valid(token):
            raise PageError(403, "forbidden")

    # --- the page ---

    def render(
        self, request: Request, status: int = 200, upload: Upload | None = None, **values: Any
    ) -> HTMLResponse:
        """The one page in the request's language, in whatever state the upload is."""
        lang = ui_language(request)
        words = catalogue(lang)
        context: dict[str, Any] = {
            "lang": lang,
            "other_lang": "zh" if lang == "en" else "en",
            "t": words.text,
            "token": self.page_token(),
            "version": __version__,
            "limit_mb": self.settings.max_upload_mb,
            "limit_bytes": self.settings.max_upload_mb * 1024 * 1024,
            "minutes": self.settings.retention_minutes,
            "upload": upload,
            "error": None,
            "sent": None,
            "send_error": None,
            "send_title": "web.send_failed",
            "here": f"/u/{upload.id}" if upload is not None else "/",
        }
        if upload is not None:
            context.update(self.upload_context(upload, words, lang))
        context.update(values)
        html = self.environment.get_template("page.html").render(**context)
        response = HTMLResponse(html, status_code=status)
        if request.query_params.get("lang") in LANGUAGES:
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, httponly=True, samesite="strict")
        return response

    def upload_context(self, upload: Upload, words: Any, lang: str) -> dict[str, Any]:
        checked = upload.checked
        order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
        ordered = sorted(checked.findings, key=lambda finding: order[finding.severity])
        counts = {severity.value: 0 for severity in Severity}
        for finding in checked.findings:
            counts[finding.severity.value] += 1
        rows = [
            {
                "severity": finding.severity.value,
                "where": finding.where,
                "message": finding_message(finding, words),
            }
            for finding in ordered[:FINDINGS_SHOWN]
        ]
        built = upload.built
        return {
            "findings": rows,
            "counts": counts,
            "total_findings": len(ordered),
            "months": checked.months,
            "chosen_month": built.month if built else checked.default_month,
            "chosen_lang": built.lang if built else checked.sheet_lang,
            "usable": words.text(
                "check.usable",
                activities=checked.activities,
                months=len(checked.months),
                first=checked.months[0],
                last=checked.months[-1],
            ),
            "built": built,
            "pdf_name": download_name(upload.shown_name, built.month) if built else "",
            "recipients": ", ".join(self.config.email.to),  # the form starts from [email] to
            "sent": upload.sent,
        }

    def page_error(self, request: Request, error: PageError, upload: Upload | None = None) -> HTMLResponse:
        lang = ui_language(request)
        message = catalogue(lang).text(f"web.{error.code}", **error.params)
        return self.render(request, error.status, upload, error=message)

    def problem(self, request: Request, problem: Problem, upload: Upload | None = None) -> HTMLResponse:
        return self.render(request, problem.status, upload, error=problem.messages[ui_language(request)])

    def find(self, request: Request) -> Upload:
        upload = self.uploads.get(request.path_params["upload_id"])
        if upload is None:
            raise PageError(404, "expired", minutes=self.settings.retention_minutes)
        return upload

    async def guarded(self, request: Request, handler: Callable[[], Awaitable[Response]]) -> Response:
        """Run a route; a PageError becomes the page with its message, never a stack trace."""
        try:
            return await handler()
        except PageError as error:
            upload = self.uploads.get(request.path_params.get("upload_id", ""))
            return self.page_error(
                request, error, upload if error.code not in ("access", "expired") else None
            )

    async def home(self, request: Request) -> Response:
        given = request.query_params.get("access")
        if self.access is not None and given is not None:
            if not hmac.compare_digest(given, self.access):
                return self.page_error(request, PageError(403, "access"))
            response = RedirectResponse("/", status_code=303)
            response.set_cookie(ACCESS_COOKIE, self.access, httponly=True, samesite="strict")
            return response
        return self.render(request)

    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return await self.not_found(request, None)
        data = (web_templates() / name).read_bytes()
        return Response(data, media_type=STATIC[name], headers={"Cache-Control": "no-cache"})

    async def upload(self, request: Request) -> Response:
        return await self.guarded(request, lambda: self._upload(request))

    async def _upload(self, request: Request) -> Response:
        assert self.root is not None
        upload_id = secrets.token_hex(16)  # the folder's name and the page's address: unguessable
        folder = self.root / upload_id
        folder.mkdir(mode=0o700)
        try:
            self.require_access(request)
            self.require_origin(request)  # before a byte is stored; the token comes with the form
            raw_name, fields = await receive_workbook(
                request, folder / "workbook", self.settings.max_upload_mb * 1024 * 1024
            )
            self.require_token(fields.get("token"))
            if raw_name is None:
                raise PageError(400, "no_file")
            shown = shown_file_name(raw_name)
            as_of = self.options.as_of or dt.date.today()
            outcome = await self.in_pool(check_upload, folder / "workbook", shown, self.config, as_of)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        if isinstance(outcome, Problem):
            shutil.rmtree(folder, ignore_errors=True)
            return self.problem(request, outcome)
        self.uploads[upload_id] = Upload(upload_id, folder, shown, time.monotonic(), outcome)
        return RedirectResponse(f"/u/{upload_id}", status_code=303)

    async def show(self, request: Request) -> Response:
        async def handler() -> Response:
            self.require_access(request)
            return self.render(request, upload=self.find(request))

        return await self.guarded(request, handler)

    async def build(self, request: Request) -> Response:
        return await self.guarded(request, lambda: self._build(request))

    async def _build(self, request: Request) -> Response:
        self.require_access(request)
        self.require_origin(request)
        fields = await small_form(request)
        self.require_token(fields.get("token"))
        upload = self.find(request)
        month, lang = fields.get("month"), fields.get("lang")
        if month not in upload.checked.months:
            raise PageError(400, "bad_month")
        if lang not in LANGUAGES:
            raise PageError(400, "bad_lang")
        as_of = self.options.as_of or dt.date.today()
        stem = download_name(upload.shown_name, month)[: -len(f"-{month}.pdf")]
        outcome = await self.in_pool(
            build_upload, upload.workbook, upload.shown_name, stem, self.config, as_of, month, lang
        )
        if isinstance(outcome, Problem):
            return self.problem(request, outcome, upload)
        upload.built = outcome
        upload.sent = None
        return RedirectResponse(f"/u/{upload.id}#review", status_code=303)

    async def preview(self, request: Request) -> Response:
        async def handler() -> Response:
            self.require_access(request)
            upload = self.find(request)
            if upload.built is None:
                raise PageError(404, "not_built")
            headers = {"Content-Security-Policy": PREVIEW_POLICY, "X-Frame-Options": "SAMEORIGIN"}
            return HTMLResponse(upload.built.page.read_bytes(), headers=headers)

        return await self.guarded(request, handler)

    async def download(self, request: Request) -> Response:
        async def handler() -> Response:
            self.require_access(request)
            upload = self.find(request)
            if upload.built is None:
                raise PageError(404, "not_built")
            name = download_name(upload.shown_name, upload.built.month)
            headers = {"Content-Disposition": content_disposition(name)}
            return Response(upload.built.pdf.read_bytes(), media_type="application/pdf", headers=headers)

        return await self.guarded(request, handler)

    async def send(self, request: Request) -> Response:
        return await self.guarded(request, lambda: self._send(request))

    async def _send(self, request: Request) -> Response:
        self.require_access(request)
        self.require_origin(request)
        fields = await small_form(request)
        self.require_token(fields.get("token"))
        upload = self.find(request)
        if upload.built is None:
            raise PageError(409, "not_built")
        built, settings = upload.built, self.config.email
        lang = ui_language(request)
        words = catalogue(lang)
        typed = fields.get("to", "").strip()
        to = [part.strip() for part in re.split(r"[,;\r\n]+", typed) if part.strip()]

        def not_sent(status: int, message: str, title: str = "web.send_failed") -> HTMLResponse:
            """The page with why nothing (or not everything) went out, beside the form and what was typed;
            the catalogue's sentence starts a line of its own here (the CLI puts `reportgen:` before it)."""
            shown = message[:1].upper() + message[1:]
            return self.render(request, status, upload, send_error=shown, send_title=title, recipients=typed)

        if not to:
            return not_sent(400, words.text("web.no_addresses"))
        try:
            resolve_recipients(settings, to, [])
        except UsageError as exc:  # an address refused, or no sender in [email]
            return not_sent(400, exc.message(lang))
        try:
            refuse_on_errors(built.pdf, upload.checked.findings, force=settings.send_with_errors, lang=lang)
        except DeliveryError as exc:
            cells = words.text("where.list").join(exc.params["cells"])
            return not_sent(422, words.text("web.send_check_errors", count=exc.params["count"], cells=cells))
        try:  # smtplib blocks, retries and sleeps between attempts: a thread, so the page keeps answering
            receipt = await asyncio.to_thread(send_review, built.pdf, settings, to=to, cc=[])
        except DeliveryError as exc:
            title = "web.send_partial" if exc.stage == "partial" else "web.send_failed"
            return not_sent(502, f"{exc.reason(lang)}\n{words.text('web.send_kept')}", title)
        except ReportgenError as exc:
            return not_sent(422, exc.message(lang))
        upload.sent = receipt
        return RedirectResponse(f"/u/{upload.id}#send", status_code=303)  # a reload does not send again

    # --- errors: the page with a message, never a trace ---

    async def not_found(self, request: Request, exc: Exception | None) -> Response:
        return self.page_error(request, PageError(404, "not_found"))

    async def not_allowed(self, request: Request, exc: Exception | None) -> Response:
        return self.page_error(request, PageError(405, "not_allowed"))

    async def internal(self, request: Request, exc: Exception) -> Response:
        print(f"reportgen serve: {type(exc).__name__}: {exc}", file=sys.stderr)
        code = "busy" if isinstance(exc, BrokenProcessPool) else "internal"
        return self.page_error(request, PageError(500, code))


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
    from urllib.parse import parse_qsl

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


def web_templates() -> Path:
    """templates/web/: the page, its stylesheet and its small script."""
    return templates_folder() / "web"


def serve(options: ServeOptions, config: Config) -> None:
    """Listen until Ctrl+C; print the address (with the access token when bound beyond loopback)."""
    import uvicorn

    server = Server(options, config)
    listening = bind(options.host, options.port)
    words = catalogue("en")
    url = server.url + (f"?access={server.access}" if server.access else "")
    print(words.text("web.listening", url=url), flush=True)
    if server.access is not None:
        print(words.text("web.exposed", host=options.host), file=sys.stderr, flush=True)
    uvicorn.Server(
        uvicorn.Config(
            server.app(),
            host=options.host,
            port=options.port,
            log_level="warning",
            access_log=False,
            server_header=False,
            lifespan="on",
            timeout_graceful_shutdown=3,
        )
    ).run(sockets=[listening])


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before the address is printed: a port in use is a message, not a log."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        listening = socket.socket(family, socket.SOCK_STREAM)
    except OSError as exc:
        raise _bind_error(host, port, exc) from exc
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind((host, port))
    except OSError as exc:
        listening.close()
        raise _bind_error(host, port, exc) from exc
    return listening


def _bind_error(host: str, port: int, exc: OSError) -> InputError:
    return InputError(None, "serve_bind", address=f"{host}:{port}", detail=exc.strerror or str(exc))
