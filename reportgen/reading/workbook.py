"""Stage 1: read a workbook safely and hand on the sheets that matter as raw cells.

Nothing here trusts the file: its bytes decide its type, a zip guard of our own inflates every entry (counting
real bytes) before any parser sees it, and each worksheet's real extent is learnt in the same pass, so a stray
cell at XFD1048576 never makes python-calamine allocate the empty space between it and the data.
"""

from __future__ import annotations

import codecs
import io
import logging
import os
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import python_calamine

from reportgen.base import vocab
from reportgen.base.errors import InputError
from reportgen.base.model import CellRef, Finding, Severity, SheetTable, WorkbookData, column_letter

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
HEADER_SCAN_ROWS = 30
GUARD_READ = 64 * 1024  # small reads, so compressed input is consumed (and counted) as output comes out
MAX_TAG_BYTES = 64 * 1024  # a row or cell tag is never this long; a longer run without '<' is not a tag

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Bounds that keep a hostile or huge file from costing more than it should."""

    max_rows: int = 200_000
    max_entries: int = 1_000
    max_total_bytes: int = 400 * 1024 * 1024
    max_ratio: int = 100
    ratio_grace_bytes: int = 100 * 1024
    max_dense_cells: int = 12_000_000  # a dense block larger than this is read block-wise, never whole


@dataclass(slots=True)
class SheetExtent:
    """What the streaming scan learnt of one worksheet's XML: rows that hold cells and the widest column."""

    rows: list[int] = field(default_factory=list)
    max_col_letters: str = "A"

    @property
    def max_col(self) -> int:
        index = 0
        for ch in self.max_col_letters:
            index = index * 26 + (ord(ch) - 64)
        return index - 1


# Rows that hold cells (a self-closing <row/> holds none; row attributes never contain '/'), with or without
# a namespace prefix, and every reference to a column of two or three letters, in whatever element it sits.
# Single-letter columns are not tracked: the dense-size check assumes Z. Without r= attributes calamine places
# cells one after another, so they cannot be stray and need no tracking either.
_ROW_NUMBER = re.compile(rb'<row\b[^>]*?\br="(\d+)"[^>/]*>')
_PREFIXED_ROW_NUMBER = re.compile(rb'<\w+:row\b[^>]*?\br="(\d+)"[^>/]*>')
_WIDE_REF = re.compile(rb' r="([A-Z]{2,3})\d')


def read_workbook(path: str | Path, limits: ReadLimits | None = None) -> WorkbookData:
    """Read the activity sheet (and Goals, Rules, Commentary when present) of the workbook at `path`."""
    limits = limits or ReadLimits()
    path = Path(path)
    kind = _sniff(path)
    extents: dict[str, SheetExtent] = {}
    if kind == "zip":
        kind, extents = _guard_zip(path, limits)
    try:
        book = _open_book(path, kind)
    except python_calamine.PasswordError as exc:
        raise InputError(path, "encrypted") from exc
    except Exception as exc:  # calamine raises several types for damaged files; all mean the same to a user
        raise InputError(path, "corrupt", detail=_short(exc)) from exc
    with closing(book):
        return _read_sheets(path, kind, book, extents, limits)


_SUFFIXES = {"xlsx": (".xlsx", ".xlsm"), "xlsb": (".xlsb",), "xls": (".xls",), "ods": (".ods",)}


def _open_book(path: Path, kind: str) -> python_calamine.CalamineWorkbook:
    """Open with the reader the content calls for: python-calamine picks its reader by the name's extension
    (and from_filelike loses PasswordError), so a misnamed file is opened through a correctly named alias."""
    if path.suffix.lower() in _SUFFIXES[kind]:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    with tempfile.TemporaryDirectory(prefix="reportgen-", ignore_cleanup_errors=True) as folder:
        alias = Path(folder) / f"workbook{_SUFFIXES[kind][0]}"
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


def _guard_zip(path: Path, limits: ReadLimits) -> tuple[str, dict[str, SheetExtent]]:
    """Inflate every entry with hard limits before any parser sees the archive; learn worksheet extents."""
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
        names = [entry.filename for entry in entries]
        if len(set(names)) != len(names):
            duplicate = next(name for name in names if names.count(name) > 1)
            raise InputError(path, "zip_duplicate", name=duplicate)
        name_set = set(names)
        if "mimetype" in name_set:
            mimetype = _read_small(archive, "mimetype", 100).strip()
            if mimetype != ODS_MIMETYPE:
                raise InputError(path, "not_workbook_zip")
            kind = "ods"
        elif "xl/workbook.xml" in name_set:
            kind = "xlsx"
        elif "xl/workbook.bin" in name_set:
            kind = "xlsb"
        else:
            raise InputError(path, "not_workbook_zip")
        total = 0
        extents: dict[str, SheetExtent] = {}
        for entry in entries:
            is_sheet = (
                kind == "xlsx"
                and entry.filename.startswith("xl/worksheets/")
                and entry.filename.endswith(".xml")
            )
            extent = SheetExtent() if is_sheet else None
            total += _inflate_entry(path, archive, source, entry, limits, total, extent)
            if extent is not None:
                extents[entry.filename] = extent
        if kind == "ods" and b"encryption-data" in _read_small(archive, "META-INF/manifest.xml"):
            raise InputError(path, "encrypted")
    return kind, extents


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
    extent: SheetExtent | None,
) -> int:
    """Inflate one entry, counting the bytes that really come out; scan a worksheet's rows on the way."""
    inflated = 0
    tail = b""
    try:
        with archive.open(entry) as handle:
            start = source.bytes_read
            while chunk := handle.read(GUARD_READ):
                inflated += len(chunk)
                # the ratio of what came out to the compressed bytes read so far, never the declared sizes
                compressed = max(min(source.bytes_read - start, entry.compress_size), 1)
                if inflated > limits.ratio_grace_bytes and inflated > compressed * limits.max_ratio:
                    raise InputError(path, "zip_ratio", name=entry.filename, limit=limits.max_ratio)
                if total_so_far + inflated > limits.max_total_bytes:
                    raise InputError(path, "zip_total", limit_mb=limits.max_total_bytes // (1024 * 1024))
                if extent is not None:
                    tail = _scan_chunk(tail + chunk, extent)
    except InputError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        # RuntimeError: an entry that needs a password (zip-level encryption)
        raise InputError(path, "corrupt", detail=_short(exc)) from exc
    if extent is not None:
        _scan_chunk(tail, extent, final=True)
    return inflated


def _scan_chunk(data: bytes, extent: SheetExtent, final: bool = False) -> bytes:
    """Record rows that hold cells and the widest column; return the unscanned tail (a tag may straddle)."""
    cut = len(data) if final else data.rfind(b"<")
    if cut < 0:
        return b""  # no tag starts here, so none can straddle into the next chunk
    if cut == 0:
        return data if len(data) <= MAX_TAG_BYTES else b""
    body = data[:cut]
    extent.rows.extend(map(int, _ROW_NUMBER.findall(body)))
    if b":row" in body:
        extent.rows.extend(map(int, _PREFIXED_ROW_NUMBER.findall(body)))
    widest = max(_WIDE_REF.findall(body), key=lambda letters: (len(letters), letters), default=None)
    if widest is not None:
        letters = widest.decode()
        if (len(letters), letters) > (len(extent.max_col_letters), extent.max_col_letters):
            extent.max_col_letters = letters
    return data[cut:]


# --- sheets ---


def _read_sheets(
    path: Path,
    kind: str,
    book: python_calamine.CalamineWorkbook,
    extents: dict[str, SheetExtent],
    limits: ReadLimits,
) -> WorkbookData:
    metadata = [meta for meta in book.sheets_metadata if meta.typ == python_calamine.SheetTypeEnum.WorkSheet]
    if not metadata:
        raise InputError(path, "no_sheets")
    sheet_files = _sheet_files(path) if kind == "xlsx" else {}
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
        return _load_sheet(
            path, book, name, extents.get(sheet_files.get(name, "")), limits, findings, required
        )

    activities = load(activity_name, True)
    assert activities is not None
    tables = {
        role: load(name, False) if (name := named(role)) else None
        for role in ("goals", "rules", "commentary")
    }
    logger.debug(
        "%s: %s; activities from sheet %r (%d rows from row %d); also %s",
        path.name,
        kind,
        activity_name,
        len(activities.rows),
        activities.row_numbers[0] if activities.row_numbers else 0,
        ", ".join(f"{role} {table.name!r}" for role, table in tables.items() if table) or "no other sheet",
    )
    return WorkbookData(
        path=str(path),
        kind=kind,
        activities=activities,
        goals=tables["goals"],
        rules=tables["rules"],
        commentary=tables["commentary"],
        findings=tuple(findings),
    )


def _sheet_files(path: Path) -> dict[str, str]:
    """Sheet name → worksheet part inside an .xlsx, from workbook.xml and its relationships (defusedxml-free:
    both files already passed the zip guard and are parsed with a regex that cannot expand entities)."""
    with zipfile.ZipFile(path) as archive:
        workbook = archive.read("xl/workbook.xml").decode("utf-8", "replace")
        try:
            rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
        except KeyError:
            return {}
    targets = {
        rid: target
        for rid, target in (
            (_attr(tag, "Id"), _attr(tag, "Target"))
            for tag in re.findall(r"<(?:\w+:)?Relationship\b[^>]*>", rels)
        )
        if rid and target
    }
    files: dict[str, str] = {}
    for tag in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", workbook):
        name = _attr(tag, "name")
        rid = re.search(r'\br:id="([^"]*)"|\bid="([^"]*)"', tag)
        target = targets.get((rid.group(1) or rid.group(2)) if rid else "")
        if name and target:
            target = target.lstrip("/")
            files[_unescape(name)] = target if target.startswith("xl/") else f"xl/{target}"
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
    book: python_calamine.CalamineWorkbook,
    name: str,
    extent: SheetExtent | None,
    limits: ReadLimits,
    findings: list[Finding],
    required: bool,
) -> SheetTable | None:
    """Read one sheet's used block, refusing a sheet past the row limit before the memory is spent."""
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
                return _load_sparse_sheet(path, name, extent, limits, findings)
    try:
        sheet = book.get_sheet_by_name(name)
        height = sheet.height
        if height > limits.max_rows + HEADER_SCAN_ROWS:
            raise InputError(path, "too_many_rows", sheet=name, count=height, limit=limits.max_rows)
        start = sheet.start or (0, 0)
        rows = sheet.to_python(skip_empty_area=True)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(path, "corrupt_sheet", sheet=name, detail=_short(exc)) from exc
    if not rows and required:
        raise InputError(path, "empty_sheet", sheet=name)
    return SheetTable(
        name=name,
        first_col=start[1],
        row_numbers=list(range(start[0] + 1, start[0] + 1 + len(rows))),
        rows=rows,
    )


def _load_sparse_sheet(
    path: Path, name: str, extent: SheetExtent, limits: ReadLimits, findings: list[Finding]
) -> SheetTable:
    """A sheet whose used range is mostly empty (a stray cell far from the data): read only the data block,
    streaming, and say which cells were left out."""
    import openpyxl  # only on this rare path: streaming, bounded, and never sized from the declared dimension

    rows_sorted = sorted(set(extent.rows))
    last_row = rows_sorted[0]
    for row in rows_sorted[1:]:
        if row - last_row > 1_000:
            break
        last_row = row
    first_row = rows_sorted[0]
    try:
        # a file object, not the path: openpyxl judges a path by its extension; the bytes decided the type
        with open(path, "rb") as handle:
            workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
            try:
                sheet = workbook[name]
                head_end = min(last_row, first_row + HEADER_SCAN_ROWS - 1)
                head = [
                    list(row)
                    for row in sheet.iter_rows(min_row=first_row, max_row=head_end, values_only=True)
                ]
                widest = _data_width([[_openpyxl_value(value) for value in row] for row in head])
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
        name=name, first_col=0, row_numbers=list(range(first_row, first_row + len(block))), rows=block
    )


def _data_width(block: list[list[Any]]) -> int:
    """Columns up to the last one that the header area or most rows use; a lone far column is not data."""
    counts: dict[int, int] = {}
    for row in block:
        for index, value in enumerate(row):
            if value != "":
                counts[index] = counts.get(index, 0) + 1
    width = 0
    for index in sorted(counts):
        if index - width > 50:
            break
        width = index + 1
    return max(width, 1)


def _openpyxl_value(value: Any) -> Any:
    return "" if value is None else value
