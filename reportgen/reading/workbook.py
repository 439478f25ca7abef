"""Stage 1: read a workbook safely and hand on the sheets that matter as raw cells.

Nothing here trusts the file: its bytes decide its type, and before python-calamine sees it every format is
walked by a guard of our own that learns each sheet's real extent. A zip (.xlsx/.xlsm, .ods) has every entry
inflated with hard limits (counting real bytes); an .xls has its records walked (xls.py). A stray cell at
IV65536 or XFD1048576 therefore never makes the reader allocate the empty space between it and the data:
an .xlsx reads only the data block, and an .xls or .ods (which calamine parses whole when it opens) is read
from a copy without the stray cells (xls.py, ods.py).
"""

from __future__ import annotations

import codecs
import io
import logging
import os
import posixpath
import re
import shutil
import stat
import struct
import tempfile
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

import python_calamine

from reportgen.base import vocab
from reportgen.base.errors import InputError
from reportgen.base.model import CellRef, Finding, Severity, SheetTable, WorkbookData, column_letter
from reportgen.reading.extent import HEADER_SCAN_ROWS, Block, Extent, data_width, group_end
from reportgen.reading.ods import OdsError, OdsScanner, OdsTooLarge, write_trimmed
from reportgen.reading.xls import XlsError, XlsSheet, patch_xls, scan_xls, write_compound_file

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
GUARD_READ = 64 * 1024  # small reads, so compressed input is consumed (and counted) as output comes out
MAX_TAG_BYTES = 64 * 1024  # a row or cell tag is never this long; a longer run without '<' is not a tag
MIB = 1024 * 1024
DEFAULT_TOTAL_BYTES = 400 * MIB
DEFAULT_DENSE_CELLS = 12_000_000
CELLS_PER_ROW = 60  # the dense block read whole grows with max_rows: 12 million cells at 200,000 rows
BYTES_PER_ROW = 2 * 1024  # inflated sheet XML a row may take, for the byte limit that follows max_rows
# What one part may inflate to, and at what ratio. Up to 32 MiB: any ratio (a blank image, a small sheet of
# one phrase). Up to the part budget, a quarter of what the whole workbook may inflate to (100 MiB at the
# default 200,000 rows, growing with max_rows): up to 250:1, since real sheet XML of repeated text compresses
# past 100:1 (calamine's large_strings.xlsx: one 57 MB sheet at 121:1) while a bomb inflates 400:1 (one short
# phrase repeated) to 1,000:1 (zeros, deflate's ceiling). Past the budget: up to 100:1. So a bomb is stopped
# after 32 MiB, and a part crafted just under 250:1 after 100 MiB, a quarter of a second of inflating.
PART_BUDGET_SHARE = 4
# No workbook part declares a DTD (OPC and ODF forbid it); one that does is an entity-expansion attack
DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")
XLS_DECLARED_CELLS = 1_000_000  # an .xls DIMENSIONS declaring more than it holds past this is rewritten

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Bounds that keep a hostile or huge file from costing more than it should (README, "Safety")."""

    max_rows: int = 200_000
    max_sheets: int = 20_000
    max_entries: int = 60_000
    max_total_bytes: int = DEFAULT_TOTAL_BYTES  # inflated, all parts together; also the largest .xls read
    max_ratio: int = 100
    ratio_grace_bytes: int = 32 * MIB  # an entry may inflate at any ratio up to this (POI's grace entry size)
    part_budget_bytes: int = DEFAULT_TOTAL_BYTES // PART_BUDGET_SHARE  # max_text_ratio to it, then max_ratio
    max_text_ratio: int = 250  # between grace and budget: real repeated text ~120:1, a bomb 400-1,000:1
    max_dense_cells: int = DEFAULT_DENSE_CELLS  # a dense block past this is read block-wise, never whole
    max_cell_chars: int = 32_767  # Excel's own limit for one cell

    @classmethod
    def for_rows(cls, max_rows: int) -> ReadLimits:
        """The limits for a sheet of up to `max_rows` rows ([limits] max_rows): the inflated size allowed
        grows with it, 2 KiB a row (400 MiB at the default 200,000), and so do what one part may inflate to
        at any ratio (a quarter of that) and the dense block read whole, 60 cells a row, so a team that raises
        the row limit for a million-row log is neither stopped by a byte limit made for a fifth of it nor sent
        down the slow block-wise path meant for stray cells."""
        total = max(DEFAULT_TOTAL_BYTES, max_rows * BYTES_PER_ROW)
        return cls(
            max_rows=max_rows,
            max_total_bytes=total,
            part_budget_bytes=total // PART_BUDGET_SHARE,
            max_dense_cells=max(DEFAULT_DENSE_CELLS, max_rows * CELLS_PER_ROW),
        )


@dataclass(slots=True)
class SheetExtent:
    """What the streaming scan learnt of one worksheet's XML: rows that hold cells and the widest column,
    the cells whose formula reads another workbook, and those whose formula has no saved result."""

    rows: list[int] = field(default_factory=list)
    max_col_letters: str = "A"
    external_cells: int = 0
    first_external: str | None = None
    uncalculated: list[str] = field(default_factory=list)  # cell references, such as I2
    prefix: bytes | None = None  # the sheet's tag prefix (b"" or b"x:"), once its first tag was seen
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # as SheetTable.merged

    @property
    def max_col(self) -> int:
        index = 0
        for ch in self.max_col_letters:
            index = index * 26 + (ord(ch) - 64)
        return index - 1


@dataclass(slots=True)
class Prepared:
    """What the guard learnt and left for the readers: the file they read (the workbook itself, or a copy
    without what must not be read), each sheet's extent or block, and workbook-wide notes."""

    kind: str
    readable: Path
    extents: dict[str, SheetExtent] = field(default_factory=dict)  # .xlsx: by part name, lower case
    blocks: dict[int, Block] = field(default_factory=dict)  # .xls/.ods: by position in calamine's sheet list
    external: dict[int, tuple[int, str]] = field(default_factory=dict)  # .ods: position → (cells, first cell)
    external_files: list[str] = field(default_factory=list)
    macros: bool = False


# Rows that hold cells (a self-closing <row/> holds none; row attributes never contain '/'), with or without
# a namespace prefix, and every reference to a column of two or three letters, in whatever element it sits.
# Single-letter columns are not tracked: the dense-size check assumes Z. Without r= attributes calamine places
# cells one after another, so they cannot be stray and need no tracking either.
_ROW_NUMBER = re.compile(rb'<row\b[^>]*?\br="(\d+)"[^>/]*>')
_PREFIXED_ROW_NUMBER = re.compile(rb'<\w+:row\b[^>]*?\br="(\d+)"[^>/]*>')
_WIDE_REF = re.compile(rb' r="([A-Z]{2,3})\d')
# A cell whose formula names an external workbook by its index: <c r="D5" …><f>[1]Budget!B2</f>
_EXTERNAL_FORMULA = re.compile(
    rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3}\d+)"[^>]*>\s*<(?:\w+:)?f\b[^>]*>[^<]*\[\d+\]'
)
_SHEET_TAG = (b"<sheet ", b":sheet ")
# A formula without a saved result: <c r="I2"><f>100*3</f><v /></c>, or no <v> at all. openpyxl and other
# writers that do not calculate leave it so; every reader then sees a blank cell. Group 1 is the (empty) value
# element if there is one. Found from the formula (a literal start, so the scan runs at C speed); the cell's
# start tag just before it gives its reference and type. The second form is for sheets with prefixed tags.
_UNSAVED_FORMULA = re.compile(rb"<f\b[^>]*(?:/>|>[^<]*</f>)\s*(<v\b[^>]*(?:/>|>\s*</v>)\s*)?</c>")
_UNSAVED_PREFIXED = re.compile(
    rb"<(?:\w+:)?f\b[^>]*(?:/>|>[^<]*</(?:\w+:)?f>)\s*(<(?:\w+:)?v\b[^>]*(?:/>|>\s*</(?:\w+:)?v>)\s*)?"
    rb"</(?:\w+:)?c>"
)
_ROOT_TAG = re.compile(rb"<(\w+:)?(?:worksheet|sheetData|row)\b")
_CELL_TAG = re.compile(rb"<(?:\w+:)?c\b[^>]*>\s*$")
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3}\d+)"')
_CELL_TYPE = re.compile(rb'\bt="(\w+)"')
_MERGE_CELL = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]{1,3})(\d+):([A-Z]{1,3})(\d+)"')


def read_workbook(path: str | Path, limits: ReadLimits | None = None) -> WorkbookData:
    """Read the activity sheet (and Goals, Rules, Commentary when present) of the workbook at `path`."""
    limits = limits or ReadLimits()
    path = Path(path)
    kind = _sniff(path)
    with _scratch(path) as folder:
        if kind == "zip":
            prepared = _guard_zip(path, limits, folder)
        elif kind == "xls":
            prepared = _guard_xls(path, limits, folder)
        else:
            prepared = Prepared(kind, path)
        try:
            book = _open_book(prepared.readable, prepared.kind, folder)
        except python_calamine.PasswordError as exc:
            raise InputError(path, "encrypted") from exc
        except Exception as exc:  # calamine raises several types for damaged files; all mean one thing
            raise InputError(path, "corrupt", detail=_short(exc)) from exc
        with closing(book):
            return _read_sheets(path, prepared, book, limits)


@contextmanager
def _scratch(path: Path) -> Iterator[Path]:
    """A private temporary folder for the copies the readers may need, removed afterwards."""
    try:
        folder = tempfile.TemporaryDirectory(prefix="reportgen-", ignore_cleanup_errors=True)
    except OSError as exc:
        raise InputError(path, "scratch_unwritable", detail=exc.strerror or str(exc)) from exc
    with folder as name:
        yield Path(name)


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Writing a working copy: a full or read-only temporary folder is said as such, not as a damaged file."""
    try:
        yield
    except OSError as exc:
        raise InputError(path, "scratch_unwritable", detail=exc.strerror or str(exc)) from exc


_SUFFIXES = {"xlsx": (".xlsx", ".xlsm"), "xlsb": (".xlsb",), "xls": (".xls",), "ods": (".ods",)}


def _open_book(path: Path, kind: str, folder: Path) -> python_calamine.CalamineWorkbook:
    """Open with the reader the content calls for: python-calamine picks its reader by the name's extension
    (and from_filelike loses PasswordError), so a misnamed file is opened through a correctly named alias."""
    if path.suffix.lower() in _SUFFIXES[kind]:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    alias = folder / f"alias{_SUFFIXES[kind][0]}"
    try:
        os.symlink(path.resolve(), alias)
    except OSError:
        shutil.copyfile(path, alias)
    return python_calamine.CalamineWorkbook.from_path(str(alias))


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


# --- what kind of file is this ---


def _sniff(path: Path) -> str:
    """Decide the file's type from its bytes; refuse anything that is not a regular, readable workbook."""
    try:
        info = os.stat(path)
    except FileNotFoundError as exc:
        raise InputError(path, "missing") from exc
    except OSError as exc:
        raise InputError(path, "unreadable", detail=exc.strerror or str(exc)) from exc
    if stat.S_ISDIR(info.st_mode):
        raise InputError(path, "directory")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(path, "not_regular")
    if info.st_size == 0:
        raise InputError(path, "empty")
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise InputError(path, "unreadable", detail=exc.strerror or str(exc)) from exc
    if head.startswith(ZIP_MAGIC):
        return "zip"  # refined to xlsx / ods by the zip guard, which must run before anything opens it
    if head.startswith(OLE2_MAGIC):
        return _sniff_ole2(path)
    if _looks_like_text(head):
        raise InputError(path, "text_file")
    raise InputError(path, "not_workbook")


def _sniff_ole2(path: Path) -> str:
    """An OLE2 file is an old .xls, or an encrypted .xlsx (Office wraps those in OLE2 with EncryptionInfo)."""
    # Stream names live in the directory sectors as UTF-16LE; the file is a few MB at most in practice, but
    # it is read in bounded chunks so a huge file costs no memory.
    encryption = "EncryptionInfo".encode("utf-16-le")
    workbook_streams = ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le"))
    found_workbook = False
    tail = b""
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            window = tail + chunk
            if encryption in window:
                raise InputError(path, "encrypted")
            found_workbook = found_workbook or any(name in window for name in workbook_streams)
            tail = window[-64:]
    if not found_workbook:
        raise InputError(path, "not_workbook_ole2")
    return "xls"


def _looks_like_text(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True  # Excel's and WPS's "Unicode Text" export
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            # incremental, not final: the head may end inside a multi-byte character
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
            return True
        except UnicodeDecodeError:
            continue
    return False


# --- the zip guard ---


def _guard_zip(path: Path, limits: ReadLimits, folder: Path) -> Prepared:
    """Inflate every entry with hard limits before any parser sees the archive; learn each sheet's extent."""
    directory_start = _check_directory(path, limits)
    try:
        source = _CountingFile(path)
    except OSError as exc:
        raise InputError(path, "unreadable", detail=exc.strerror or str(exc)) from exc
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        source.close()
        raise InputError(path, "corrupt", detail=_short(exc)) from exc
    with source, archive:
        entries = archive.infolist()
        if len(entries) > limits.max_entries:
            raise InputError(path, "zip_entries", count=len(entries), limit=limits.max_entries)
        # Parts are found as Excel and calamine find them: '\' and '/' alike, any case
        canonical = [_canonical(entry.filename) for entry in entries]
        counts = Counter(canonical)
        if len(counts) != len(canonical):
            duplicate = next(entry.filename for entry in entries if counts[_canonical(entry.filename)] > 1)
            raise InputError(path, "zip_duplicate", name=duplicate)
        _check_overlap(path, entries, directory_start)
        names = dict(zip(canonical, (entry.filename for entry in entries), strict=True))
        package = _Package("ods", "", "")
        if "mimetype" in names:
            mimetype = _read_small(archive, names["mimetype"], 100).strip()
            if mimetype != ODS_MIMETYPE:
                raise InputError(path, "not_workbook_zip")
            if b"encryption-data" in _read_small(archive, names.get("meta-inf/manifest.xml", "")):
                raise InputError(path, "encrypted")
            kind = "ods"
        else:
            found = _find_package(archive, names)
            if found is None:
                raise InputError(path, "not_workbook_zip")
            package, kind = found, found.kind
        office = kind != "ods"
        macros = office and any(name.startswith(f"{package.folder}vbaproject") for name in names)
        prepared = Prepared(kind, path, macros=macros)
        has_external = office and any(name.startswith(f"{package.folder}externallinks/") for name in names)
        ods = None
        if kind == "ods":
            ods = OdsScanner(limits.max_rows + HEADER_SCAN_ROWS, limits.max_dense_cells)
        total = 0
        sheets = 0
        sheet_parts = set(package.sheets.values())
        for entry, name in zip(entries, canonical, strict=True):
            is_sheet = kind == "xlsx" and name in sheet_parts
            scan = _EntryScan(
                extent=SheetExtent() if is_sheet else None,
                external=has_external and is_sheet,
                ods=ods if kind == "ods" and name == "content.xml" else None,
                xml=name.endswith((".xml", ".rels")),
                count_sheets=kind == "xlsx" and name == package.workbook,
            )
            total += _inflate_entry(path, archive, source, entry, limits, total, scan)
            sheets += scan.sheets
            if scan.extent is not None:
                prepared.extents[name] = scan.extent
        if ods is not None:
            sheets = len(ods.tables)
        if sheets > limits.max_sheets:
            raise InputError(path, "too_many_sheets", count=sheets, limit=limits.max_sheets)
        if has_external:
            prepared.external_files = _external_files(archive, names, package.folder)
    if any("\\" in entry.filename for entry in entries):
        with _writing(path):
            prepared.readable = _with_slashes(path, entries, directory_start, folder / f"slashes.{kind}")
    if ods is not None:
        _plan_ods(path, ods, limits, prepared, names.get("content.xml", "content.xml"), folder)
    return prepared


@dataclass(frozen=True, slots=True)
class _Package:
    """Where an Office package keeps its workbook, found as Excel finds it: the package's relationships
    (_rels/.rels) name the workbook part, [Content_Types].xml says it is one, and the workbook part's own
    relationships name its worksheets. Part names are canonical (lower case, '/'); `folder` ends in '/'."""

    kind: str
    workbook: str
    folder: str
    sheets: dict[str, str] = field(default_factory=dict)  # relationship id → worksheet part


_REL_TAG = re.compile(r"<(?:\w+:)?Relationship\b[^>]*>")
_MAIN_TYPES = ("spreadsheetml.sheet.main", "spreadsheetml.template.main", "ms-excel.")


def _find_package(archive: zipfile.ZipFile, names: dict[str, str]) -> _Package | None:
    """The workbook part of an .xlsx/.xlsm/.xlsb package, wherever it lives (not only xl/workbook.xml:
    some writers use another folder, or none), or None when the package holds no workbook."""
    workbook = None
    for rel in _relationships(archive, names, "_rels/.rels"):
        if rel[1].endswith("/officedocument"):
            workbook = _resolve("", rel[2], names)
            break
    if workbook is None or workbook not in names:
        # no package relationships: the usual place, as calamine looks when they are missing
        workbook = next((name for name in ("xl/workbook.xml", "xl/workbook.bin") if name in names), None)
        if workbook is None:
            return None
    content_type = _content_type(archive, names, workbook)
    if content_type is None:
        if workbook.rsplit("/", 1)[-1] not in ("workbook.xml", "workbook.bin"):
            return None
    elif "main" not in content_type or not any(main in content_type for main in _MAIN_TYPES):
        return None  # a Word document or a presentation: its main part is no workbook
    binary = workbook.endswith(".bin") or (content_type is not None and "binary" in content_type)
    folder = workbook.rsplit("/", 1)[0] + "/" if "/" in workbook else ""
    rels = f"{folder}_rels/{workbook.rsplit('/', 1)[-1]}.rels"
    sheets = {
        rid: _resolve(folder, target, names)
        for rid, rel_type, target in _relationships(archive, names, rels)
        if rel_type.endswith("/worksheet")
    }
    return _Package("xlsb" if binary else "xlsx", workbook, folder, sheets)


def _relationships(archive: zipfile.ZipFile, names: dict[str, str], part: str) -> list[tuple[str, str, str]]:
    """(Id, Type in lower case, Target) of each relationship in a .rels part (a regex: no entity expands)."""
    if part not in names:
        return []
    text = _read_small(archive, names[part], 16 * MIB).decode("utf-8", "replace")
    found = []
    for tag in _REL_TAG.findall(text):
        rid, rel_type, target = _attr(tag, "Id"), _attr(tag, "Type"), _attr(tag, "Target")
        if target and _attr(tag, "TargetMode") != "External":
            found.append((rid or "", (rel_type or "").lower(), _unescape(target)))
    return found


def _resolve(folder: str, target: str, names: dict[str, str]) -> str:
    """A relationship's target as a canonical part name: relative to the folder of the part whose
    relationships name it, or to the package when it starts with '/'. A target that only makes sense from
    the package root (some writers put 'xl/worksheets/…' in xl/'s relationships) is taken from there."""
    target = target.replace("\\", "/")
    base = "" if target.startswith("/") else folder
    resolved = posixpath.normpath(posixpath.join("/", base, target)).lstrip("/").lower()
    if resolved not in names:
        rooted = posixpath.normpath(posixpath.join("/", target)).lstrip("/").lower()
        if rooted in names:
            return rooted
    return resolved


def _content_type(archive: zipfile.ZipFile, names: dict[str, str], part: str) -> str | None:
    """The content type [Content_Types].xml gives a part (its override, else its extension's default)."""
    if "[content_types].xml" not in names:
        return None
    text = _read_small(archive, names["[content_types].xml"]).decode("utf-8", "replace")
    default = None
    extension = part.rsplit(".", 1)[-1]
    for tag in re.findall(r"<(?:\w+:)?(?:Override|Default)\b[^>]*>", text):
        content_type = (_attr(tag, "ContentType") or "").lower()
        part_name = _attr(tag, "PartName")
        if part_name is not None and _unescape(part_name).lstrip("/").lower() == part:
            return content_type
        if (_attr(tag, "Extension") or "").lower() == extension:
            default = content_type
    return default


def _canonical(name: str) -> str:
    return name.replace("\\", "/").lower()


@dataclass(slots=True)
class _EntryScan:
    """What to learn of one entry while it inflates."""

    extent: SheetExtent | None = None
    external: bool = False
    ods: OdsScanner | None = None
    xml: bool = False
    count_sheets: bool = False
    sheets: int = 0


def _check_directory(path: Path, limits: ReadLimits) -> int:
    """Read the end of central directory record before zipfile does: zipfile builds an object for every
    entry the directory holds, so a directory of millions of entries is refused here, from its size.
    Returns where the central directory starts (zipfile finds the entries; this only bounds them)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(size - 65_557, 0))
            tail = handle.read()
            at = tail.rfind(b"PK\x05\x06")
            if at < 0 or len(tail) - at < 22:
                return 0  # zipfile says what is wrong
            entries, directory_size, directory_offset = struct.unpack_from("<2xH2I", tail, at + 8)
            end_record = size - len(tail) + at
            if entries == 0xFFFF or directory_size == 0xFFFFFFFF or directory_offset == 0xFFFFFFFF:
                locator = tail[at - 20 : at] if at >= 20 else b""
                if locator[:4] == b"PK\x06\x07":
                    end_record = struct.unpack_from("<Q", locator, 8)[0]
                    handle.seek(end_record)
                    record = handle.read(56)
                    if record[:4] == b"PK\x06\x06" and len(record) == 56:
                        entries, directory_size = struct.unpack_from("<2Q", record, 32)
    except OSError as exc:
        raise InputError(path, "unreadable", detail=exc.strerror or str(exc)) from exc
    if entries > limits.max_entries:
        raise InputError(path, "zip_entries", count=entries, limit=limits.max_entries)
    # an entry's directory record is 46 bytes plus its name, extra field and comment: 4 KiB is generous
    if directory_size > limits.max_entries * 4096:
        raise InputError(path, "corrupt", detail=f"a central directory of {directory_size} bytes")
    return max(end_record - directory_size, 0)


def _check_overlap(path: Path, entries: list[zipfile.ZipInfo], directory_start: int) -> None:
    """Refuse entries whose data overlap: a zip bomb's trick (one compressed kernel inflated by every
    entry that points into it); no archiver writes them."""
    ordered = sorted(entries, key=lambda entry: entry.header_offset)
    ends = [entry.header_offset for entry in ordered[1:]] + [directory_start or 1 << 62]
    for entry, following in zip(ordered, ends, strict=True):
        name = entry.orig_filename.encode("utf-8" if entry.flag_bits & 0x800 else "cp437", "replace")
        if entry.header_offset + 30 + len(name) + entry.compress_size > following:
            raise InputError(path, "zip_overlap", name=entry.filename)


def _read_small(archive: zipfile.ZipFile, name: str, size: int = 1 << 20) -> bytes:
    """At most `size` bytes of an entry: never inflates more than it returns."""
    try:
        with archive.open(name) as handle:
            return handle.read(size)
    except (KeyError, zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError):
        return b""


class _CountingFile(io.FileIO):
    """The archive's file, counting the bytes read from it: the compressed input an entry really used."""

    bytes_read = 0

    def read(self, size: int | None = -1, /) -> bytes:
        data = super().read(size) or b""
        self.bytes_read += len(data)
        return data


def _inflate_entry(
    path: Path,
    archive: zipfile.ZipFile,
    source: _CountingFile,
    entry: zipfile.ZipInfo,
    limits: ReadLimits,
    total_so_far: int,
    scan: _EntryScan,
) -> int:
    """Inflate one entry, counting the bytes that really come out; learn what `scan` asks on the way."""
    inflated = 0
    tail = b""
    edge = b""  # the last bytes of the previous chunk: a marker may straddle two chunks
    sheet_edge = b""
    try:
        with archive.open(entry) as handle:
            start = source.bytes_read
            while chunk := handle.read(GUARD_READ):
                inflated += len(chunk)
                if total_so_far + inflated > limits.max_total_bytes:
                    raise InputError(path, "zip_total", limit_mb=limits.max_total_bytes // MIB)
                if inflated > limits.ratio_grace_bytes:
                    # the ratio of what came out to the compressed bytes read so far, never the declared sizes
                    compressed = max(min(source.bytes_read - start, entry.compress_size), 1)
                    within = inflated <= limits.part_budget_bytes
                    ratio = limits.max_text_ratio if within else limits.max_ratio
                    if inflated > compressed * ratio:  # it inflates more than max_ratio times, as said
                        raise InputError(path, "zip_ratio", name=entry.filename, limit=limits.max_ratio)
                if scan.xml:
                    window = edge + chunk[:16] if edge else b""
                    if any(marker in chunk or marker in window for marker in DTD_MARKERS):
                        raise InputError(path, "zip_dtd", name=entry.filename)
                    edge = chunk[-16:]
                if scan.count_sheets:
                    window = sheet_edge + chunk  # six bytes: a whole tag never fits, so none counts twice
                    scan.sheets += sum(window.count(tag) for tag in _SHEET_TAG)
                    sheet_edge = chunk[-6:]
                if scan.extent is not None:
                    tail = _scan_chunk(tail + chunk, scan.extent, scan.external)
                if scan.ods is not None:
                    scan.ods.feed(chunk)
            if scan.ods is not None:
                scan.ods.feed(b"", final=True)
    except InputError:
        raise
    except OdsTooLarge as exc:
        code = "too_many_cells" if exc.total else "too_many_rows"
        limit = limits.max_dense_cells if exc.total else limits.max_rows
        raise InputError(path, code, sheet=exc.table, count=exc.count, limit=limit) from exc
    except OdsError as exc:
        raise InputError(path, "corrupt", detail=_short(exc)) from exc
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        # RuntimeError: an entry that needs a password (zip-level encryption)
        raise InputError(path, "corrupt", detail=_short(exc)) from exc
    if scan.extent is not None:
        _scan_chunk(tail, scan.extent, scan.external, final=True)
    return inflated


def _scan_chunk(data: bytes, extent: SheetExtent, external: bool = False, final: bool = False) -> bytes:
    """Record rows that hold cells and the widest column; return the unscanned tail (a tag may straddle)."""
    cut = len(data) if final else data.rfind(b"<")
    if cut < 0:
        return b""  # no tag starts here, so none can straddle into the next chunk
    if cut == 0:
        return data if len(data) <= MAX_TAG_BYTES else b""
    if extent.prefix is None and (root := _ROOT_TAG.search(data)) is not None:
        extent.prefix = root.group(1) or b""
    prefix = extent.prefix or b""
    if not final:
        # a formula cell is judged whole (its value may follow in the next chunk): the last cell waits too,
        # unless it is longer than a tag may be (a long text, never a formula without a value)
        cell = data.rfind(b"<" + prefix + b"c ", 0, cut + 1)
        if 0 <= cell < cut and len(data) - cell <= MAX_TAG_BYTES:
            if cell == 0:
                return data
            cut = cell
    body = data[:cut]
    extent.rows.extend(map(int, _ROW_NUMBER.findall(body)))
    if b":row" in body:
        extent.rows.extend(map(int, _PREFIXED_ROW_NUMBER.findall(body)))
    widest = max(_WIDE_REF.findall(body), key=lambda letters: (len(letters), letters), default=None)
    if widest is not None:
        letters = widest.decode()
        if (len(letters), letters) > (len(extent.max_col_letters), extent.max_col_letters):
            extent.max_col_letters = letters
    if external and b"[" in body:
        cells = _EXTERNAL_FORMULA.findall(body)
        if cells:
            extent.external_cells += len(cells)
            extent.first_external = extent.first_external or cells[0].decode()
    extent.uncalculated.extend(_unsaved_formulas(body, _UNSAVED_PREFIXED if prefix else _UNSAVED_FORMULA))
    if b"mergeCell" in body:
        extent.merged.extend(
            (int(first_row), _column_index(first_col), int(last_row), _column_index(last_col))
            for first_col, first_row, last_col, last_row in _MERGE_CELL.findall(body)
        )
    return data[cut:]


def _column_index(letters: bytes | str) -> int:
    """The 0-based column of letters such as D or AB."""
    index = 0
    for letter in letters.decode() if isinstance(letters, bytes) else letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def _unsaved_formulas(body: bytes, pattern: re.Pattern[bytes]) -> Iterator[str]:
    """The cells of `body` whose formula has no saved result. An empty value of a text cell (t="str") is a
    saved result, the empty text a formula such as =IF(A2="","",…) gives; a cell without r= is not named."""
    for match in pattern.finditer(body):
        opening = body.rfind(b"<", 0, match.start())
        tag = body[opening : match.start()] if opening >= 0 else b""
        ref = _CELL_REF.search(tag)
        if ref is None or not _CELL_TAG.match(tag):
            continue
        typ = _CELL_TYPE.search(tag)
        if match.group(1) and typ is not None and typ.group(1) == b"str":
            continue
        yield ref.group(1).decode()


def _external_files(archive: zipfile.ZipFile, names: dict[str, str], folder: str) -> list[str]:
    """The workbooks an .xlsx's external links point to, by file name, as their relationships say."""
    files: list[str] = []
    for name, actual in sorted(names.items()):
        if name.startswith(f"{folder}externallinks/_rels/") and name.endswith(".rels"):
            text = _read_small(archive, actual, 64 * 1024).decode("utf-8", "replace")
            for tag in re.findall(r"<(?:\w+:)?Relationship\b[^>]*>", text):
                target = _attr(tag, "Target")
                if target:
                    file = _unescape(target).replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
                    if file and file not in files:
                        files.append(file)
    return files


def _with_slashes(path: Path, entries: list[zipfile.ZipInfo], directory_start: int, target: Path) -> Path:
    """A copy of the archive whose entry names use '/' where the file used '\' (some exporters do; Excel
    and calamine read them, zipfile and openpyxl do not). A name keeps its length, so nothing moves."""
    shutil.copyfile(path, target)
    with open(target, "r+b") as handle:
        for entry in entries:
            if "\\" in entry.filename:
                handle.seek(entry.header_offset + 26)
                length = struct.unpack("<H", handle.read(2))[0]
                _replace_backslashes(handle, entry.header_offset + 30, length)
        handle.seek(directory_start)
        for _ in entries:
            at = handle.tell()
            record = handle.read(46)
            if len(record) < 46 or record[:4] != b"PK\x01\x02":
                break
            name, extra, comment = struct.unpack_from("<3H", record, 28)
            _replace_backslashes(handle, at + 46, name)
            handle.seek(at + 46 + name + extra + comment)
    return target


def _replace_backslashes(handle: io.BufferedRandom, at: int, length: int) -> None:
    handle.seek(at)
    name = handle.read(length)
    handle.seek(at)
    handle.write(name.replace(b"\\", b"/"))


# --- .xls and .ods: calamine reads every sheet when it opens, so each is planned before ---


def _guard_xls(path: Path, limits: ReadLimits, folder: Path) -> Prepared:
    """Walk the .xls records; when a sheet holds a stray cell or declares more than it holds, hand calamine
    a copy without the stray cells."""
    prepared = Prepared("xls", path)
    size = path.stat().st_size
    if size > limits.max_total_bytes:
        raise InputError(path, "too_large", size_mb=size // MIB, limit_mb=limits.max_total_bytes // MIB)
    try:
        scan = scan_xls(path)
    except XlsError as exc:
        raise InputError(path, "corrupt", detail=_short(exc)) from exc
    if scan.encrypted:
        return prepared  # calamine raises PasswordError, which is named as such
    if len(scan.sheets) > limits.max_sheets:
        raise InputError(path, "too_many_sheets", count=len(scan.sheets), limit=limits.max_sheets)
    _plan_blocks(path, [(sheet.name, sheet.extent) for sheet in scan.sheets], limits, prepared)

    def rewrite(sheet: XlsSheet) -> bool:
        return sheet.block is not None or sheet.declared_cells > max(sheet.extent.cells, XLS_DECLARED_CELLS)

    for index, sheet in enumerate(scan.sheets):
        sheet.block = prepared.blocks.get(index)
    if any(rewrite(sheet) for sheet in scan.sheets):
        prepared.readable = folder / "trimmed.xls"
        try:
            with _writing(path):
                write_compound_file(prepared.readable, patch_xls(scan, rewrite))
        except XlsError as exc:
            raise InputError(path, "corrupt", detail=_short(exc)) from exc
    return prepared


def _plan_ods(
    path: Path, ods: OdsScanner, limits: ReadLimits, prepared: Prepared, content: str, folder: Path
) -> None:
    _plan_blocks(path, [(table.name, table.extent) for table in ods.tables], limits, prepared)
    for index, table in enumerate(ods.tables):
        if table.external_cells and table.first_external:
            prepared.external[index] = (table.external_cells, table.first_external)
    if prepared.blocks:
        source = prepared.readable
        prepared.readable = folder / "trimmed.ods"
        blocks = [prepared.blocks.get(index) for index in range(len(ods.tables))]
        try:
            with _writing(path):
                write_trimmed(source, prepared.readable, blocks, content)
        except (OdsError, zipfile.BadZipFile, zlib.error, EOFError, ValueError) as exc:
            raise InputError(path, "corrupt", detail=_short(exc)) from exc


def _plan_blocks(
    path: Path, sheets: list[tuple[str, Extent]], limits: ReadLimits, prepared: Prepared
) -> None:
    """Each sheet's block when a stray cell makes its used range mostly empty; refuse a sheet past the row
    limit and a workbook whose sheets together would be allocated past the cell limit."""
    total = 0
    for index, (name, extent) in enumerate(sheets):
        if extent.rows > limits.max_rows + HEADER_SCAN_ROWS:
            raise InputError(path, "too_many_rows", sheet=name, count=extent.rows, limit=limits.max_rows)
        block = extent.block(limits.max_dense_cells, limits.max_rows)
        if block is not None:
            prepared.blocks[index] = block
            total += (block.last_row - block.first_row + 1) * block.width
        else:
            total += extent.cells
        if total > limits.max_dense_cells:
            raise InputError(path, "too_many_cells", sheet=name, count=total, limit=limits.max_dense_cells)


# --- sheets ---


@dataclass(slots=True)
class _Notes:
    """What the guard learnt of one sheet, found by the sheet's name."""

    extent: SheetExtent | None = None
    block: Block | None = None
    external: tuple[int, str] | None = None  # cells whose formula reads another file, and the first


def _read_sheets(
    path: Path, prepared: Prepared, book: python_calamine.CalamineWorkbook, limits: ReadLimits
) -> WorkbookData:
    every = book.sheets_metadata
    metadata = [meta for meta in every if meta.typ == python_calamine.SheetTypeEnum.WorkSheet]
    if not metadata:
        raise InputError(path, "no_sheets")
    notes = _sheet_notes(prepared, [meta.name for meta in every])
    findings: list[Finding] = []

    def named(role: str) -> str | None:
        wanted = {vocab.key(name) for name in vocab.SHEET_NAMES[role]}
        return next((meta.name for meta in metadata if vocab.key(meta.name) in wanted), None)

    activity_name = named("activities")
    if activity_name is None:
        visible = [meta.name for meta in metadata if meta.visible == python_calamine.SheetVisibleEnum.Visible]
        other_roles = {named(role) for role in ("goals", "rules", "commentary")}
        candidates = [name for name in visible if name not in other_roles]
        if not candidates:
            raise InputError(path, "no_activity_sheet", sheets=", ".join(meta.name for meta in metadata))
        activity_name = candidates[0]

    def load(name: str, required: bool) -> SheetTable | None:
        sheet_notes = notes.get(name, _Notes())
        table = _load_sheet(path, prepared, book, name, sheet_notes, limits, findings, required)
        if sheet_notes.external is not None:
            count, cell = sheet_notes.external
            files = prepared.external_files or ["?"]
            params = {"count": count, "files": ", ".join(files[:3]) + (", …" if len(files) > 3 else "")}
            findings.append(Finding("external_formulas", Severity.WARNING, CellRef(name, cell), params))
        return table

    activities = load(activity_name, True)
    assert activities is not None
    tables = {
        role: load(name, False) if (name := named(role)) else None
        for role in ("goals", "rules", "commentary")
    }
    logger.debug(
        "%s: %s; activities from sheet %r (%d rows from row %d); also %s",
        path.name,
        prepared.kind,
        activity_name,
        len(activities.rows),
        activities.row_numbers[0] if activities.row_numbers else 0,
        ", ".join(f"{role} {table.name!r}" for role, table in tables.items() if table) or "no other sheet",
    )
    if prepared.macros:
        findings.append(Finding("macros_ignored", Severity.INFO, None, {}))
    return WorkbookData(
        path=str(path),
        kind=prepared.kind,
        activities=activities,
        goals=tables["goals"],
        rules=tables["rules"],
        commentary=tables["commentary"],
        findings=tuple(findings),
    )


def _sheet_notes(prepared: Prepared, names: list[str]) -> dict[str, _Notes]:
    """The guard's notes by sheet name: an .xlsx's by its worksheet part, the others' by position."""
    if prepared.kind == "xlsx":
        notes: dict[str, _Notes] = {}
        for name, part in _sheet_files(prepared.readable).items():
            extent = prepared.extents.get(part.lower())
            if extent is not None:
                external = (extent.external_cells, extent.first_external) if extent.first_external else None
                notes[name] = _Notes(extent=extent, external=external)
        return notes
    return {
        name: _Notes(block=prepared.blocks.get(index), external=prepared.external.get(index))
        for index, name in enumerate(names)
    }


def _sheet_files(path: Path) -> dict[str, str]:
    """Sheet name → worksheet part (canonical) inside an .xlsx, from the workbook part and its relationships,
    found as the guard found them (defusedxml-free: both already passed the zip guard and are parsed with a
    regex that cannot expand entities)."""
    with zipfile.ZipFile(path) as archive:
        names = {_canonical(entry.filename): entry.filename for entry in archive.infolist()}
        package = _find_package(archive, names)
        if package is None:
            return {}
        workbook = archive.read(names[package.workbook]).decode("utf-8", "replace")
    files: dict[str, str] = {}
    for tag in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", workbook):
        name = _attr(tag, "name")
        rid = re.search(r'\br:id="([^"]*)"|\bid="([^"]*)"', tag)
        target = package.sheets.get((rid.group(1) or rid.group(2)) if rid else "")
        if name and target:
            files[_unescape(name)] = target
    return files


def _attr(tag: str, name: str) -> str | None:
    match = re.search(rf'\b{name}="([^"]*)"', tag)
    return match.group(1) if match else None


def _unescape(text: str) -> str:
    return (
        text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&amp;", "&")
    )


def _load_sheet(
    path: Path,
    prepared: Prepared,
    book: python_calamine.CalamineWorkbook,
    name: str,
    notes: _Notes,
    limits: ReadLimits,
    findings: list[Finding],
    required: bool,
) -> SheetTable | None:
    """Read one sheet's used block, refusing a sheet past the row limit before the memory is spent."""
    extent = notes.extent
    if extent is not None:
        data_rows = len(extent.rows)
        if data_rows > limits.max_rows + HEADER_SCAN_ROWS:
            raise InputError(path, "too_many_rows", sheet=name, count=data_rows, limit=limits.max_rows)
        if extent.rows:
            span = max(extent.rows) - min(extent.rows) + 1
            # single-letter columns are not tracked (that would cost a scan of every cell): assume Z
            dense = span * (max(extent.max_col, 25) + 1)
            # a span past the row limit while the rows that hold cells are within it: a stray cell far below
            # the data (A400000 under 100 rows), not a sheet too long to read
            if dense > limits.max_dense_cells or span > limits.max_rows + HEADER_SCAN_ROWS:
                table = _load_sparse_sheet(path, prepared.readable, name, extent, limits, findings)
                return _cut_long_cells(table, limits, findings)
    try:
        sheet = book.get_sheet_by_name(name)
        height = sheet.height
        if height > limits.max_rows + HEADER_SCAN_ROWS:
            raise InputError(path, "too_many_rows", sheet=name, count=height, limit=limits.max_rows)
        start = sheet.start or (0, 0)
        rows = sheet.to_python(skip_empty_area=True)
        merged = tuple(extent.merged) if extent is not None else _merged(sheet)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(path, "corrupt_sheet", sheet=name, detail=_short(exc)) from exc
    if not rows and required:
        raise InputError(path, "empty_sheet", sheet=name)
    if notes.block is not None:
        params = {"cell": notes.block.far_cell, "block": notes.block.address}
        findings.append(Finding("stray_cells", Severity.WARNING, CellRef(name, notes.block.far_cell), params))
    table = SheetTable(
        name=name,
        first_col=start[1],
        row_numbers=list(range(start[0] + 1, start[0] + 1 + len(rows))),
        rows=rows,
        uncalculated=_positions(extent.uncalculated if extent else []),
        merged=merged,
    )
    return _cut_long_cells(table, limits, findings)


def _positions(refs: list[str]) -> frozenset[tuple[int, int]]:
    """(sheet row, 0-based column) of each cell reference such as I2."""
    positions = set()
    for ref in refs:
        letters = ref.rstrip("0123456789")
        positions.add((int(ref[len(letters) :]), _column_index(letters)))
    return frozenset(positions)


def _merged(sheet: python_calamine.CalamineSheet) -> tuple[tuple[int, int, int, int], ...]:
    """An .xls sheet's merged ranges as calamine gives them (0-based), as SheetTable.merged (rows 1-based);
    none where calamine gives none (an .ods)."""
    ranges = getattr(sheet, "merged_cell_ranges", None) or ()
    return tuple((top + 1, left, bottom + 1, right) for (top, left), (bottom, right) in ranges)


def _load_sparse_sheet(
    path: Path, readable: Path, name: str, extent: SheetExtent, limits: ReadLimits, findings: list[Finding]
) -> SheetTable:
    """A sheet whose used range is mostly empty (a stray cell far from the data): read only the data block,
    streaming, and say which cells were left out."""
    import openpyxl  # only on this rare path: streaming, bounded, and never sized from the declared dimension

    rows_sorted = sorted(set(extent.rows))
    first_row = rows_sorted[0]
    last_row = group_end(rows_sorted)
    try:
        # a file object, not the path: openpyxl judges a path by its extension; the bytes decided the type
        with open(readable, "rb") as handle:
            workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
            try:
                sheet = workbook[name]
                head_end = min(last_row, first_row + HEADER_SCAN_ROWS - 1)
                head = sheet.iter_rows(min_row=first_row, max_row=head_end, values_only=True)
                widest = data_width(
                    index for row in head for index, value in enumerate(row) if value not in (None, "")
                )
                block = [
                    [_openpyxl_value(value) for value in row]
                    for row in sheet.iter_rows(
                        min_row=first_row, max_row=last_row, max_col=widest, values_only=True
                    )
                ]
            finally:
                workbook.close()
    except Exception as exc:
        raise InputError(path, "corrupt_sheet", sheet=name, detail=_short(exc)) from exc
    far_cell = f"{extent.max_col_letters}{rows_sorted[-1]}"
    params = {"cell": far_cell, "block": f"A{first_row}:{column_letter(widest - 1)}{last_row}"}
    findings.append(Finding("stray_cells", Severity.WARNING, CellRef(name, far_cell), params))
    return SheetTable(
        name=name,
        first_col=0,
        row_numbers=list(range(first_row, first_row + len(block))),
        rows=block,
        uncalculated=_positions(extent.uncalculated),
        merged=tuple(extent.merged),
    )


def _cut_long_cells(table: SheetTable, limits: ReadLimits, findings: list[Finding]) -> SheetTable:
    """Cut text longer than a cell can hold in Excel (32,767 characters) and say where: no stage after this
    one ever handles more than Excel itself would. The longest text is found first at C speed (0.1 s for
    100,000 rows of 22 cells, against 0.4 s for the loop that names the cells), and is nearly always short."""
    limit = limits.max_cell_chars
    if max(map(len, filter(str.__instancecheck__, chain.from_iterable(table.rows))), default=0) <= limit:
        return table
    for row_number, row in zip(table.row_numbers, table.rows, strict=True):
        for index, value in enumerate(row):
            if type(value) is str and len(value) > limit:
                ref = CellRef.at(table.name, row_number, table.first_col + index)
                params = {"count": len(value), "limit": limit}
                findings.append(Finding("cell_too_long", Severity.WARNING, ref, params))
                row[index] = value[:limit]
    return table


def _openpyxl_value(value: Any) -> Any:
    return "" if value is None else value
