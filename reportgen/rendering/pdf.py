"""Stage 7: HTML → PDF with WeasyPrint.

The fetcher serves only the package's own assets (fonts, stylesheet, charts made for this review) under the
`reportgen:` scheme and refuses everything else, so no cell can make the renderer read a file or reach the
network. The PDF is written to a temp file and renamed."""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from reportgen.base.files import data_uri, write_atomic

SCHEME = "reportgen:"
_IMPORTING: list[threading.Thread] = []  # at most one: WeasyPrint being imported alongside the workbook read


def import_renderer_early() -> None:
    """Start importing WeasyPrint (and its Pango, HarfBuzz and cffi set-up, about 0.6 s) and reading the
    fonts' character map (0.2 s) in a thread while the workbook is read: calamine parses with the GIL
    released, so this work gets the idle interpreter."""
    if not _IMPORTING and "weasyprint" not in sys.modules:
        thread = threading.Thread(target=_prepare_renderer, daemon=True)
        thread.start()
        _IMPORTING.append(thread)


def _prepare_renderer() -> None:
    importlib.import_module("weasyprint")
    drawable_codepoints()


def renderer_imported() -> None:
    """Wait for the early import; call before forking, so no child inherits a half-held import lock."""
    while _IMPORTING:
        _IMPORTING.pop().join()


FONTS = ("NotoSansSC-Regular.otf", "NotoSansSC-Bold.otf")
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


@cache
def drawable_codepoints() -> frozenset[int]:
    """Every character the bundled fonts draw (both weights cover the same set)."""
    from fontTools.ttLib import TTFont

    path = resources.files("reportgen").joinpath("assets", "fonts", FONTS[0])
    with resources.as_file(path) as font_path:
        font = TTFont(str(font_path), lazy=True)
        try:
            return frozenset(font.getBestCmap())
        finally:
            font.close()


def font_bytes(name: str) -> bytes:
    return resources.files("reportgen").joinpath("assets", "fonts", name).read_bytes()


CHART_PREFIX = f"{SCHEME}chart/"


class Assets:
    """Everything the review may load, by URL. Charts are looked up only when WeasyPrint asks for them, so
    they can still be drawing (in another process) while the fonts load and the layout starts."""

    def __init__(self, fixed: dict[str, Asset], charts: Mapping[str, Asset]) -> None:
        self.fixed = fixed
        self.charts = charts

    def get(self, url: str) -> Asset | None:
        if url.startswith(CHART_PREFIX):
            return self.charts.get(url.removeprefix(CHART_PREFIX))
        return self.fixed.get(url)

    def items(self) -> Iterator[tuple[str, Asset]]:
        yield from self.fixed.items()
        for name, asset in self.charts.items():
            yield f"{CHART_PREFIX}{name}", asset


def bundled_assets(stylesheet: str, charts: Mapping[str, Asset]) -> Assets:
    """The bundled fonts, the stylesheet and this review's charts."""
    fixed = {f"{SCHEME}fonts/{name}": Asset(font_bytes(name), MIME[".otf"]) for name in FONTS}
    fixed[f"{SCHEME}review.css"] = Asset(stylesheet.encode("utf-8"), MIME[".css"])
    return Assets(fixed, charts)


class RefusedFetch(ValueError):
    """A URL the review may not load; WeasyPrint logs it and leaves the resource out."""


def make_fetcher(assets: Assets) -> Any:
    """A weasyprint.URLFetcher that answers only from `assets`."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class AssetFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
            asset = assets.get(url)
            if asset is None:
                raise RefusedFetch(f"reportgen refuses to load {url[:80]!r}")
            return URLFetcherResponse(url, body=asset.data, headers={"Content-Type": asset.mime})

    return AssetFetcher()


@contextmanager
def captured_warnings() -> Iterator[list[str]]:
    """WeasyPrint's warnings (a refused URL, a missing font) as a list, instead of on the user's terminal."""
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    logger = logging.getLogger("weasyprint")
    handler = Collect(logging.WARNING)
    previous_propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = previous_propagate


def render_pdf(
    html: str,
    assets: Assets,
    created: dt.date,
    attachments: Callable[[], Sequence[Attachment]] = tuple,
) -> tuple[bytes, list[str]]:
    """The PDF's bytes and WeasyPrint's warnings. Dates are the review's as-of date, so the same inputs give
    the same bytes. The attachments are asked for after the layout, so they can be made meanwhile."""
    renderer_imported()
    import weasyprint

    stamp = dt.datetime(created.year, created.month, created.day, tzinfo=dt.UTC).isoformat()
    html = html.replace(
        "<head>",
        f'<head>\n<meta name="dcterms.created" content="{stamp}">'
        f'\n<meta name="dcterms.modified" content="{stamp}">',
        1,
    )
    with captured_warnings() as warnings:
        document = weasyprint.HTML(string=html, base_url=SCHEME, url_fetcher=make_fetcher(assets)).render()
        pdf_attachments = [
            weasyprint.Attachment(
                string=attachment.data,
                name=attachment.name,
                description=attachment.description,
                created=dt.datetime.fromisoformat(stamp),  # not "now": rebuilds stay byte-identical
                modified=dt.datetime.fromisoformat(stamp),
            )
            for attachment in attachments()
        ]
        data = document.write_pdf(
            attachments=pdf_attachments, pdf_identifier=b"reportgen", uncompressed_pdf=False
        )
    return data, warnings


def write_pdf(path: Path, data: bytes) -> Path:
    return write_atomic(path, data)
