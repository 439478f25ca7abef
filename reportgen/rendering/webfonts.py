"""The bundled Noto Sans SC for web pages: subsets a browser can load, so Chinese never shows as boxes on a
machine without a CJK font.

Three pages carry it. `build --html` inlines, as data: URIs, a subset of exactly the characters the page
uses (`page_fonts`), and each chart's SVG carries its own (`svg_with_fonts`: an SVG shown as an <img> cannot
use the page's fonts). `serve` sends one WOFF2 per weight of the characters its catalogues and templates use
(`interface_fonts`, made once per process and kept in memory) and, for a page whose text (a sheet's name, a
team, a cell quoted in a finding) has Chinese beyond those, a second pair cut to exactly those characters
(`PageFonts`), which the page links to.

Subsetting goes through HarfBuzz's subsetter (libharfbuzz-subset, which WeasyPrint needs for the PDF too)
through cffi, about 0.04 s for a page of Chinese; without that library fontTools does it in about 1.5 s.
Every subset is WOFF2: for the Chinese sample's page its brotli (at its best setting, as fontTools writes
it) makes the two weights 11 % smaller than WOFF's zlib (150 KB instead of 168 KB each), for about 1.5 s
per weight, the two made side by side (brotli lets go of the GIL while it compresses)."""

from __future__ import annotations

import hashlib
import html
import io
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from reportgen.base.catalogue import LANGUAGES
from reportgen.base.files import data_uri
from reportgen.rendering.pdf import FONTS, drawable_codepoints, font_bytes
from reportgen.rendering.templates import templates_folder

FAMILY = "Noto Sans CJK SC"  # the family review.css and the charts' SVG name
WEIGHTS = {"NotoSansSC-Regular.otf": 400, "NotoSansSC-Bold.otf": 700}
MIME = {"woff": "font/woff", "woff2": "font/woff2"}
# Always in a subset, whatever the text: what a browser draws without being asked (a space, a hyphen from a
# line break, the ellipsis of a cut) and the ASCII a reader may type into a field.
ALWAYS = frozenset(chr(code) for code in range(0x20, 0x7F)) | frozenset(
    "\u00a0\u2026\u2010\u2011\u2013\u2014"
)


@dataclass(frozen=True, slots=True)
class WebFont:
    """One weight's subset, ready to send or inline."""

    name: str  # the bundled file it comes from, e.g. NotoSansSC-Regular.otf
    weight: int
    data: bytes
    flavor: str  # woff | woff2

    @property
    def mime(self) -> str:
        return MIME[self.flavor]

    @property
    def served_name(self) -> str:
        """Its name under serve's /static/fonts/: the bundled name with the web format's extension."""
        return self.name.rsplit(".", 1)[0] + "." + self.flavor

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.data).hexdigest()[:32] + '"'


def codepoints(text: Iterable[str], always: bool = True) -> list[int]:
    """The characters to keep, sorted: those of `text` (and ALWAYS), without controls."""
    return sorted({ord(char) for char in {*text, *(ALWAYS if always else " ")} if char >= " "})


# What a chart's font can do without: its text is placed by matplotlib, which neither substitutes nor
# kerns, and is never vertical.
CHART_DROPPED_TABLES = ("GSUB", "GPOS", "vhea", "vmtx", "VORG")


# ------------------------------------------------------------------------------------------------ subsetting

_HB_DECLARATIONS = """
typedef struct hb_blob_t hb_blob_t;
typedef struct hb_face_t hb_face_t;
typedef struct hb_set_t hb_set_t;
typedef struct hb_subset_input_t hb_subset_input_t;
typedef uint32_t hb_codepoint_t;
hb_blob_t *hb_blob_create(const char *data, unsigned int length, int mode, void *user_data, void *destroy);
void hb_blob_destroy(hb_blob_t *blob);
const char *hb_blob_get_data(hb_blob_t *blob, unsigned int *length);
hb_face_t *hb_face_create(hb_blob_t *blob, unsigned int index);
void hb_face_destroy(hb_face_t *face);
hb_blob_t *hb_face_reference_blob(hb_face_t *face);
void hb_set_add(hb_set_t *set, hb_codepoint_t codepoint);
hb_set_t *hb_subset_input_set(hb_subset_input_t *input, int set_type);
hb_subset_input_t *hb_subset_input_create_or_fail(void);
void hb_subset_input_destroy(hb_subset_input_t *input);
hb_set_t *hb_subset_input_unicode_set(hb_subset_input_t *input);
hb_face_t *hb_subset_or_fail(hb_face_t *source, const hb_subset_input_t *input);
"""
_HB_MEMORY_MODE_READONLY = 1
_HB_SUBSET_SETS_DROP_TABLE_TAG = 3
_HB_NAMES = {
    "harfbuzz": ("harfbuzz", "libharfbuzz.so.0", "libharfbuzz-0", "libharfbuzz.0.dylib"),
    "harfbuzz-subset": (
        "harfbuzz-subset",
        "libharfbuzz-subset.so.0",
        "libharfbuzz-subset-0",
        "libharfbuzz-subset.0.dylib",
    ),
}
_LOCK = threading.Lock()  # one subset at a time per process: the HarfBuzz faces below are shared


class _HarfBuzz:
    """libharfbuzz and libharfbuzz-subset through cffi, with each bundled font's face kept open."""

    def __init__(self) -> None:
        import cffi  # WeasyPrint's own dependency; loaded only when a web font is made

        self.ffi = cffi.FFI()
        self.ffi.cdef(_HB_DECLARATIONS)
        self.hb = _dlopen(self.ffi, _HB_NAMES["harfbuzz"])
        self.subset_lib = _dlopen(self.ffi, _HB_NAMES["harfbuzz-subset"])
        self.faces: dict[str, tuple[Any, Any]] = {}

    def face(self, name: str) -> Any:
        if name not in self.faces:
            data = self.ffi.from_buffer(font_bytes(name))  # kept beside the face: HarfBuzz reads it in place
            blob = self.hb.hb_blob_create(
                data, len(data), _HB_MEMORY_MODE_READONLY, self.ffi.NULL, self.ffi.NULL
            )
            face = self.ffi.gc(self.hb.hb_face_create(blob, 0), self.hb.hb_face_destroy)
            self.hb.hb_blob_destroy(blob)  # the face holds its own reference
            self.faces[name] = (face, data)
        return self.faces[name][0]

    def subset(self, name: str, keep: list[int], drop: Iterable[str] = ()) -> bytes | None:
        ffi, hb, lib = self.ffi, self.hb, self.subset_lib
        wanted = ffi.gc(lib.hb_subset_input_create_or_fail(), lib.hb_subset_input_destroy)
        if wanted == ffi.NULL:
            return None
        unicodes = lib.hb_subset_input_unicode_set(wanted)
        for code in keep:
            hb.hb_set_add(unicodes, code)
        dropped = lib.hb_subset_input_set(wanted, _HB_SUBSET_SETS_DROP_TABLE_TAG)
        for tag in drop:
            hb.hb_set_add(dropped, int.from_bytes(tag.encode("ascii"), "big"))
        made = lib.hb_subset_or_fail(self.face(name), wanted)
        if made == ffi.NULL:
            return None
        try:
            blob = hb.hb_face_reference_blob(made)
            length = ffi.new("unsigned int *")
            pointer = hb.hb_blob_get_data(blob, length)
            data = bytes(ffi.buffer(pointer, length[0])) if length[0] else None
            hb.hb_blob_destroy(blob)
            return data
        finally:
            hb.hb_face_destroy(made)


def _dlopen(ffi: Any, names: Iterable[str]) -> Any:
    for name in names:
        try:
            return ffi.dlopen(name)
        except OSError:
            continue
    raise OSError(f"none of {list(names)} could be loaded")


@cache
def _harfbuzz() -> _HarfBuzz | None:
    """HarfBuzz when this machine has it (Debian: libharfbuzz-subset0); None: fontTools does the work."""
    try:
        return _HarfBuzz()
    except (OSError, ImportError, AttributeError):
        return None


def _fonttools_subset(name: str, keep: list[int], drop: Iterable[str] = ()) -> bytes:
    from fontTools import subset  # only where HarfBuzz's subsetter is missing

    options = subset.Options(layout_features=["*"], notdef_outline=True, ignore_missing_unicodes=True)
    options.drop_tables += list(drop)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=keep)
    with resources.as_file(resources.files("reportgen").joinpath("assets", "fonts", name)) as path:
        from fontTools.ttLib import TTFont

        font = TTFont(str(path), lazy=True)
        try:
            subsetter.subset(font)
            buffer = io.BytesIO()
            font.save(buffer)
            return buffer.getvalue()
        finally:
            font.close()


def subset_font(
    name: str, text: Iterable[str], flavor: str = "woff2", *, always: bool = True, drop: Iterable[str] = ()
) -> WebFont:
    """One bundled font cut down to the characters of `text` (and ALWAYS unless told not to), without the
    tables `drop` names, as WOFF or WOFF2."""
    from fontTools.ttLib import TTFont  # wraps the subset as WOFF/WOFF2 (brotli comes with fonttools[woff])

    keep = codepoints(text, always)
    with _LOCK:
        harfbuzz = _harfbuzz()
        sfnt = harfbuzz.subset(name, keep, drop) if harfbuzz is not None else None
    if sfnt is None:
        sfnt = _fonttools_subset(name, keep, drop)
    font = TTFont(io.BytesIO(sfnt), lazy=True)  # lazy: the tables are copied as they are, not recompiled
    font.flavor = flavor
    buffer = io.BytesIO()
    font.save(buffer, reorderTables=False)
    return WebFont(name, WEIGHTS[name], buffer.getvalue(), flavor)


# ------------------------------------------------------------------------------------- build --html's page


def page_fonts(text: Iterable[str]) -> dict[str, WebFont]:
    """Both weights cut to a page's characters as WOFF2, by bundled file name (what review.css's URLs name);
    the two are compressed in parallel."""
    chars = frozenset(text)
    with ThreadPoolExecutor(max_workers=len(FONTS)) as pool:
        made = list(pool.map(lambda name: subset_font(name, chars), FONTS))
    return {font.name: font for font in made}


FONT_URL = re.compile(r'url\("reportgen:fonts/(?P<name>[^"]+)"\)')


def inline_fonts(css: str, fonts: Mapping[str, WebFont]) -> str:
    """The stylesheet with each `url("reportgen:fonts/NAME")` replaced by its subset as a data: URL."""

    def inlined(match: re.Match[str]) -> str:
        font = fonts.get(match["name"])
        if font is None:  # a font this page does not carry: the reader's own fonts fill in
            return 'local("Noto Sans SC"), local("Noto Sans CJK SC")'
        return f'url("{data_uri(font.data, font.mime)}") format("{font.flavor}")'

    return FONT_URL.sub(inlined, css)


SVG_TEXT = re.compile(r"<text\b(?P<attributes>[^>]*)>(?P<content>.*?)</text>", re.DOTALL)
SVG_BOLD = re.compile(r"font-weight:\s*(?:bold|[6-9]00)")


def svg_with_fonts(svg: bytes) -> bytes:
    """A chart's SVG carrying @font-face rules for the bundled family, each weight its text uses cut to
    the characters it has in that weight. An SVG shown through <img> is a document of its own that may not
    use the page's fonts, so without them its text falls back to the reader's fonts."""
    text = svg.decode("utf-8")
    chars: dict[str, set[str]] = {}
    for match in SVG_TEXT.finditer(text):
        name = "NotoSansSC-Bold.otf" if SVG_BOLD.search(match["attributes"]) else "NotoSansSC-Regular.otf"
        chars.setdefault(name, set()).update(html.unescape(re.sub(r"<[^>]*>", "", match["content"])))
    if not chars:
        return svg
    fonts = (
        subset_font(name, chars[name], always=False, drop=CHART_DROPPED_TABLES)
        for name in FONTS
        if name in chars
    )
    rules = "".join(
        f'@font-face{{font-family:"{FAMILY}";font-weight:{font.weight};'
        f'src:url("{data_uri(font.data, font.mime)}") format("{font.flavor}")}}'
        for font in fonts
    )
    style = '<style type="text/css">'
    if style in text:
        return text.replace(style, style + rules, 1).encode("utf-8")
    return re.sub(r"(<svg\b[^>]*>)", rf"\1<defs>{style}{rules}</style></defs>", text, count=1).encode("utf-8")


# ------------------------------------------------------------------------------------------ serve's page


def interface_text() -> str:
    """Every character serve's page can say on its own: both catalogues and the web templates."""
    messages = resources.files("reportgen").joinpath("messages")
    parts = [messages.joinpath(f"{lang}.toml").read_text("utf-8") for lang in LANGUAGES]
    web = templates_folder() / "web"
    parts += [
        path.read_text("utf-8") for path in sorted(web.iterdir()) if path.suffix in (".html", ".css", ".js")
    ]
    return "".join(parts)


_INTERFACE_LOCK = threading.Lock()


@cache
def _interface_fonts() -> dict[str, WebFont]:
    chars = set(interface_text())
    fonts = (subset_font(name, chars, "woff2") for name in FONTS)
    return {font.served_name: font for font in fonts}


def interface_fonts() -> dict[str, WebFont]:
    """serve's fonts by served name (NotoSansSC-Regular.woff2, NotoSansSC-Bold.woff2): made on first use,
    then kept for the life of the process (the catalogues do not change while it runs)."""
    with _INTERFACE_LOCK:  # two first requests at once make them once
        return _interface_fonts()


# The ranges serve's page draws in the bundled family (web.css's unicode-range says the same): CJK's
# radicals, punctuation, ideographs, compatibility ideographs and full-width forms. Everything else is the
# reader's own sans-serif.
CJK_RANGES = (
    (0x2E80, 0x2FDF),
    (0x3000, 0x33FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0xFE30, 0xFE4F),
    (0xFF00, 0xFFEF),
)


def in_cjk_ranges(code: int) -> bool:
    return any(low <= code <= high for low, high in CJK_RANGES)


def unicode_range(codes: Iterable[int]) -> str:
    """A CSS unicode-range for these code points, runs written as ranges."""
    runs: list[list[int]] = []
    for code in sorted(set(codes)):
        if runs and code == runs[-1][1] + 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return ", ".join(f"U+{low:X}" if low == high else f"U+{low:X}-{high:X}" for low, high in runs)


@cache
def interface_codepoints() -> frozenset[int]:
    return frozenset(ord(char) for char in interface_text())


class PageFonts:
    """serve's fonts for the Chinese a page shows beyond its own words: each page whose text has such
    characters is given a key (a hash of them); `/static/fonts/page-KEY.css` declares the family for exactly
    those characters, and its two weights are cut on first request. The last `limit` sets are remembered;
    a page whose set was forgotten falls back to the reader's fonts for those characters."""

    WEIGHT_NAMES = {"Regular": "NotoSansSC-Regular.otf", "Bold": "NotoSansSC-Bold.otf"}

    def __init__(self, limit: int = 256) -> None:
        self.limit = limit
        self.sets: OrderedDict[str, str] = OrderedDict()
        self.fonts: OrderedDict[tuple[str, str], WebFont] = OrderedDict()
        self.lock = threading.Lock()

    def key_for(self, text: str) -> str | None:
        """The key of the characters of `text` that the interface's fonts lack (None when there are none)."""
        known, drawable = interface_codepoints(), drawable_codepoints()
        extra = "".join(
            sorted(
                {
                    char
                    for char in set(text)
                    if ord(char) not in known and ord(char) in drawable and in_cjk_ranges(ord(char))
                }
            )
        )
        if not extra:
            return None
        key = hashlib.sha256(extra.encode("utf-8")).hexdigest()[:20]
        with self.lock:
            self.sets[key] = extra
            self.sets.move_to_end(key)
            while len(self.sets) > self.limit:
                self.sets.popitem(last=False)
        return key

    def link(self, page: str) -> str:
        """The page with a link to its own fonts in its head, when its text needs them."""
        key = self.key_for(page)
        if key is None:
            return page
        return page.replace(
            "</head>", f'<link rel="stylesheet" href="/static/fonts/page-{key}.css">\n</head>', 1
        )

    def stylesheet(self, key: str) -> str | None:
        with self.lock:
            chars = self.sets.get(key)
        if chars is None:
            return None
        ranges = unicode_range(ord(char) for char in chars)
        return "".join(
            f'@font-face {{ font-family: "{FAMILY}"; font-weight: {WEIGHTS[name]}; font-display: swap; '
            f'src: url("/static/fonts/page-{key}-{weight}.woff2") format("woff2"); '
            f"unicode-range: {ranges}; }}\n"
            for weight, name in self.WEIGHT_NAMES.items()
        )

    def font(self, key: str, weight: str) -> WebFont | None:
        """One weight of a page's set as WOFF2, cut on first request and kept beside the set."""
        name = self.WEIGHT_NAMES.get(weight)
        with self.lock:
            chars = self.sets.get(key)
            made = self.fonts.get((key, weight))
        if name is None or chars is None:
            return None
        if made is None:
            made = subset_font(name, chars, "woff2", always=False, drop=CHART_DROPPED_TABLES)
            with self.lock:
                self.fonts[(key, weight)] = made
                while len(self.fonts) > 2 * self.limit:
                    self.fonts.popitem(last=False)
        return made
