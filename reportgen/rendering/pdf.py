"""Stage 7: HTML → PDF with WeasyPrint.

The fetcher serves the package's own assets (fonts, stylesheet, charts made for this review) under the
`reportgen:` scheme and, for a `--templates` folder, the regular files inside that folder (resolved: no `..`
and no symlink leads out of it); it refuses everything else, so no cell can make the renderer read a file or
reach the network. A file a templates folder names but does not have stops the build (`UnloadableFiles`)
instead of leaving a hole in the review. WeasyPrint's own warnings are logged under reportgen's logger."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import logging
import mimetypes
import shutil
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from reportgen.base.config import PdfSettings
from reportgen.base.files import data_uri
from reportgen.base.speed import render_memo_folder
from reportgen.rendering import memo

logger = logging.getLogger(__name__)

SCHEME = "reportgen:"
STYLESHEET_URL = f"{SCHEME}review.css"


FONTS = ("NotoSansSC-Regular.otf", "NotoSansSC-Bold.otf")
CODEPOINTS = "codepoints.json"  # the characters FONTS draw (tools/make_fonts.py)
MIME = {".otf": "font/otf", ".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml"}


@dataclass(frozen=True, slots=True)
class Asset:
    data: bytes
    mime: str

    @property
    def data_uri(self) -> str:
        return data_uri(self.data, self.mime)


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file carried inside the PDF (the complete activity table when the appendix is cut)."""

    name: str
    data: bytes
    description: str
    relationship: str = "Unspecified"  # PDF/A-3's AFRelationship: Data, Source, Supplement


@cache
def drawable_codepoints() -> frozenset[int]:
    """Every character the bundled fonts draw (both weights cover the same set): the ranges
    tools/make_fonts.py wrote beside them, 0.01 s to read where decoding the font's own map took 0.25 s of
    every build (tests/unit/rendering/test_codepoints.py holds the two equal)."""
    text = resources.files("reportgen").joinpath("assets", "fonts", CODEPOINTS).read_text("utf-8")
    return frozenset(code for first, last in json.loads(text)["ranges"] for code in range(first, last + 1))


def font_bytes(name: str) -> bytes:
    return resources.files("reportgen").joinpath("assets", "fonts", name).read_bytes()


CHART_PREFIX = f"{SCHEME}chart/"


class Assets:
    """Everything the review may load, by URL. Charts are looked up only when WeasyPrint asks for them, so
    they can still be drawing (in another process) while the fonts load and the layout starts. `folder` is a
    `--templates` folder whose own files (a logo, an imported stylesheet, a font) may be loaded too."""

    def __init__(
        self, fixed: dict[str, Asset], charts: Mapping[str, Asset], folder: Path | None = None
    ) -> None:
        self.fixed = fixed
        self.charts = charts
        self.folder = folder.resolve() if folder is not None else None

    def get(self, url: str) -> Asset | None:
        if url.startswith(CHART_PREFIX):
            return self.charts.get(url.removeprefix(CHART_PREFIX))
        return self.fixed.get(url)

    def items(self) -> Iterator[tuple[str, Asset]]:
        yield from self.fixed.items()
        for name, asset in self.charts.items():
            yield f"{CHART_PREFIX}{name}", asset


def bundled_assets(stylesheet: str, charts: Mapping[str, Asset], folder: Path | None = None) -> Assets:
    """The bundled fonts, the stylesheet and this review's charts (and a `--templates` folder's files)."""
    fixed = {f"{SCHEME}fonts/{name}": Asset(font_bytes(name), MIME[".otf"]) for name in FONTS}
    fixed[STYLESHEET_URL] = Asset(stylesheet.encode("utf-8"), MIME[".css"])
    return Assets(fixed, charts, folder)


class RefusedFetch(ValueError):
    """A URL the review may not load; WeasyPrint logs it and leaves the resource out."""


class MissingFile(RefusedFetch):
    """A file inside the templates folder that is not there (or is not a regular file); `name` is its path
    relative to the folder."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} is not in the templates folder")
        self.name = name


class UnloadableFiles(Exception):
    """What a `--templates` folder's templates named but the review could not load: files inside the folder
    that are missing (names relative to it), and URLs the fetcher refuses (outside the folder, web, data:).
    The pipeline turns it into an InputError in the review's language."""

    def __init__(self, folder: Path, missing: Sequence[str], refused: Sequence[str]) -> None:
        super().__init__(f"{folder}: missing {list(missing)}, refused {list(refused)}")
        self.folder = folder
        self.missing = tuple(missing)
        self.refused = tuple(refused)


@dataclass(slots=True)
class Unloaded:
    """What the fetcher could not serve during one rendering, in the order it was asked for."""

    missing: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def folder_file(folder: Path, url: str) -> Path:
    """The regular file inside `folder` (already resolved) that a `file:` URL names; RefusedFetch for any
    other URL or a path that leads out of the folder (by `..` or a symlink), MissingFile if it is absent."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        raise RefusedFetch(f"reportgen refuses to load {url[:80]!r}")
    path = Path(url2pathname(parts.path))
    try:
        resolved = path.resolve(strict=False)
    except (OSError, ValueError) as exc:  # a NUL byte, a symlink loop
        raise RefusedFetch(f"reportgen refuses to load {url[:80]!r}") from exc
    if not path.is_absolute() or not resolved.is_relative_to(folder):
        raise RefusedFetch(f"reportgen refuses to load {url[:80]!r}: it is not inside {folder}")
    try:
        is_file = resolved.is_file()
    except OSError:  # a name too long, say: no file of the folder either
        is_file = False
    if not is_file:
        raise MissingFile(resolved.relative_to(folder).as_posix())
    return resolved


def _shown(url: str) -> str:
    """A refused URL as the user wrote it, near enough: a local file as its path, anything else cut short."""
    parts = urlsplit(url)
    if parts.scheme == "file" and parts.netloc in ("", "localhost"):
        return url2pathname(parts.path)[:200]
    return url[:80]


def make_fetcher(assets: Assets, unloaded: Unloaded | None = None) -> Any:
    """A weasyprint.URLFetcher that answers only from `assets` (and their templates folder); each URL it
    cannot serve is noted in `unloaded`."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    folder = assets.folder
    # An overriding stylesheet is served under its folder's URL, so the names it uses (url("logo.png"),
    # @import "brand.css") resolve inside that folder; the bundled one only names reportgen: URLs.
    stylesheet_base = (
        (folder / "review.css").as_uri()
        if folder is not None and (folder / "review.css").is_file()
        else STYLESHEET_URL
    )

    class AssetFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
            asset = assets.get(url)
            if asset is not None:
                base = stylesheet_base if url == STYLESHEET_URL else url
                return URLFetcherResponse(base, body=asset.data, headers={"Content-Type": asset.mime})
            try:
                if folder is None:
                    raise RefusedFetch(f"reportgen refuses to load {url[:80]!r}")
                path = folder_file(folder, url)
            except MissingFile as missing:
                if unloaded is not None:
                    unloaded.missing.append(missing.name)
                raise
            except RefusedFetch:
                if unloaded is not None:
                    unloaded.refused.append(_shown(url))
                raise
            try:
                body = path.read_bytes()
            except OSError:  # there, but not readable: as good as missing
                if unloaded is not None:
                    unloaded.missing.append(path.relative_to(folder).as_posix())
                raise
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body=body, headers={"Content-Type": mime})

    return AssetFetcher()


@contextmanager
def captured_warnings() -> Iterator[list[str]]:
    """WeasyPrint's warnings (a refused URL, a missing font) as a list, each also logged as a warning under
    reportgen's logger (so -v/--quiet and the log format apply) instead of through WeasyPrint's own."""
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage()
            messages.append(message)
            logger.warning("WeasyPrint: %s", message)

    weasyprint_logger = logging.getLogger("weasyprint")
    handler = Collect(logging.WARNING)
    previous_propagate = weasyprint_logger.propagate
    weasyprint_logger.addHandler(handler)
    weasyprint_logger.propagate = False  # logged once, ours, not also through the root logger's handlers
    try:
        yield messages
    finally:
        weasyprint_logger.removeHandler(handler)
        weasyprint_logger.propagate = previous_propagate


PDFUA_XMP = (
    b'<rdf:Description rdf:about="" xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/" pdfuaid:part="1"/>'
)


def standard_options(settings: PdfSettings) -> dict[str, Any]:
    """WeasyPrint's options for the standards asked for; none for the plain PDF, which stays as it was.
    PDF/A-3b and PDF/UA-1 together are WeasyPrint's PDF/A-3b variant, tagged, with PDF/UA's identification
    added to the XMP by `finish_standards` (WeasyPrint takes one variant at a time)."""
    if settings.archival:
        return {"pdf_variant": "pdf/a-3b", "pdf_tags": settings.accessible}
    if settings.accessible:
        return {"pdf_variant": "pdf/ua-1"}
    return {}


def finish_standards(settings: PdfSettings) -> Callable[[Any, Any], None] | None:
    """A write_pdf finisher for PDF/A (each associated file listed once in the catalogue's /AF, which
    WeasyPrint fills from two places) and, with PDF/UA on top of it, `pdfuaid:part="1"` added to the XMP
    WeasyPrint's PDF/A variant wrote; None for a PDF that keeps no standard or PDF/UA alone."""
    if not settings.archival:
        return None

    def finish(document: Any, pdf: Any) -> None:
        if "AF" in pdf.catalog:
            associated = list(dict.fromkeys(pdf.catalog["AF"]))
            pdf.catalog["AF"].clear()
            pdf.catalog["AF"].extend(associated)
        if settings.accessible:
            reference = pdf.catalog["Metadata"]  # b"12 0 R"
            number = int((reference.decode() if isinstance(reference, bytes) else str(reference)).split()[0])
            stream = pdf.objects[number]
            xmp = b"".join(part if isinstance(part, bytes) else str(part).encode() for part in stream.stream)
            stream.stream = [xmp.replace(b"</rdf:RDF>", PDFUA_XMP + b"</rdf:RDF>", 1)]

    return finish


@contextmanager
def fonts_released(fonts: Any) -> Iterator[None]:
    """Remove the folder WeasyPrint copies each @font-face font into (about 18 MB for the bundled fonts) when
    the PDF is written. Only the FontConfiguration's finalizer removes it otherwise, which a process that
    ends with os._exit while the copy is still referenced (a batch's or watch's build process; a paused
    collector, base/speed.py `pause_gc`, keeps it referenced) never runs: each left one in the temp folder."""
    try:
        yield
    finally:
        folder = getattr(fonts, "_folder", None)  # WeasyPrint's own name; tests/e2e check nothing is left
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
            fonts._folder = None


def render_pdf(
    html: str,
    assets: Assets,
    created: dt.date,
    attachments: Callable[[], Sequence[Attachment]] = tuple,
    settings: PdfSettings = PdfSettings(),  # noqa: B008 (frozen, so one shared default is safe)
) -> tuple[bytes, list[str]]:
    """The PDF's bytes and WeasyPrint's warnings. Dates are the review's as-of date, so the same inputs give
    the same bytes. The attachments are asked for after the layout, so they can be made meanwhile.
    `settings` chooses PDF/A-3b (the attachments become associated files with their relationship) and/or
    PDF/UA-1 (tagged). UnloadableFiles, before anything is written, when a templates folder's templates name
    a file that cannot be loaded. With the render memo on (the test suite's), a page rendered before from the
    very same inputs is recalled instead (rendering/memo.py)."""
    folder = render_memo_folder()
    if folder is None or assets.folder is not None:  # a templates folder's files are not in the key
        return _rendered(html, assets, created, attachments, settings)
    started = time.perf_counter()
    made = tuple(attachments())
    key = memo_key(html, assets, created, made, settings)
    recalled = memo.recall(folder, key)
    if recalled is None:
        data, warnings = _rendered(html, assets, created, lambda: made, settings)
        said = json.dumps(warnings).encode("utf-8")
        memo.remember(folder, key, {"pdf": ("application/pdf", data), "warnings": ("application/json", said)})
        return data, warnings
    data, warnings = recalled["pdf"][1], json.loads(recalled["warnings"][1])
    for message in warnings:  # said as the rendering would have said them
        logger.warning("WeasyPrint: %s", message)
    seconds = time.perf_counter() - started
    logger.info("pdf: %.2f s (recalled from the render memo, %.2f MB)", seconds, len(data) / 1e6)
    return data, warnings


def memo_key(
    html: str, assets: Assets, created: dt.date, attachments: Sequence[Attachment], settings: PdfSettings
) -> str:
    """Every input of one rendering, hashed (rendering/memo.py): WeasyPrint's version, the page, every asset
    by URL (asking for the charts waits for their drawing), the date, the standards and the attachments."""
    version = importlib.metadata.version("weasyprint")  # not its import: a page recalled needs no WeasyPrint
    parts: list[str | bytes] = [version, html, created.isoformat(), repr(settings)]
    for url, asset in sorted(assets.items(), key=lambda item: item[0]):
        parts += [url, asset.mime, asset.data]
    for attachment in attachments:
        parts += [attachment.name, attachment.data, attachment.description, attachment.relationship]
    return memo.digest(parts)


def _rendered(
    html: str,
    assets: Assets,
    created: dt.date,
    attachments: Callable[[], Sequence[Attachment]],
    settings: PdfSettings,
) -> tuple[bytes, list[str]]:
    """render_pdf's work: the layout, then the attachments asked for, then the PDF written."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    started = time.perf_counter()
    stamp = dt.datetime(created.year, created.month, created.day, tzinfo=dt.UTC).isoformat()
    html = html.replace(
        "<head>",
        f'<head>\n<meta name="dcterms.created" content="{stamp}">'
        f'\n<meta name="dcterms.modified" content="{stamp}">',
        1,
    )
    # relative names in an overriding review.html (<img src="logo.png">) are files of its folder
    base_url = f"{assets.folder.as_uri()}/" if assets.folder is not None else SCHEME
    unloaded = Unloaded()
    options = standard_options(settings)
    with captured_warnings() as warnings, fonts_released(fonts := FontConfiguration()):
        document = weasyprint.HTML(
            string=html, base_url=base_url, url_fetcher=make_fetcher(assets, unloaded)
        ).render(font_config=fonts, **options)
        laid_out = time.perf_counter()
        if assets.folder is not None and (unloaded.missing or unloaded.refused):
            raise UnloadableFiles(
                assets.folder, tuple(dict.fromkeys(unloaded.missing)), tuple(dict.fromkeys(unloaded.refused))
            )
        pdf_attachments = [
            weasyprint.Attachment(
                string=attachment.data,
                name=attachment.name,
                description=attachment.description,
                created=dt.datetime.fromisoformat(stamp),  # not "now": rebuilds stay byte-identical
                modified=dt.datetime.fromisoformat(stamp),
                relationship=attachment.relationship,
            )
            for attachment in attachments()
        ]
        data = document.write_pdf(
            attachments=pdf_attachments,
            pdf_identifier=b"reportgen",
            uncompressed_pdf=False,
            finisher=finish_standards(settings),
            **options,
        )
    finished = time.perf_counter()
    logger.info(
        "pdf: %.2f s (layout %.2f s, attachments and writing %.2f s; %d pages, %.2f MB)",
        finished - started,
        laid_out - started,
        finished - laid_out,
        len(document.pages),
        len(data) / 1e6,
    )
    return data, warnings
