"""The .xls guard: learn every sheet's real extent from the BIFF records before python-calamine reads them.

calamine parses every sheet of an .xls when the workbook opens, reserves room for the cells its DIMENSIONS
record declares (a lying one aborts the process) and allocates each sheet's range densely, so one stray cell
at IV65536 costs about 1.2 GB. This module reads the compound file's Workbook stream itself, walks its records
(positions only, no values), and when a sheet holds a stray cell far from the data or declares more than it
holds, writes a copy for calamine in which those cell records are renamed to a record type every reader skips
and DIMENSIONS says what is really there. Record lengths never change, so every offset stays valid.
"""

from __future__ import annotations

import struct
import sys
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from reportgen.reading.extent import Block, Extent

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_REGULAR_SECTOR = 0xFFFFFFFA
END_OF_CHAIN = 0xFFFFFFFE
FREE_SECTOR = 0xFFFFFFFF
FAT_SECTOR = 0xFFFFFFFD
NO_STREAM = 0xFFFFFFFF
MINI_SECTOR = 64
STREAM_NAMES = ("Workbook", "Book", "WORKBOOK", "BOOK")  # the names calamine tries, in its order

BOF, EOF, FILEPASS, CODEPAGE, BOUNDSHEET = 0x0809, 0x000A, 0x002F, 0x0042, 0x0085
DIMENSIONS, FORMULA, STRING, MULRK = 0x0200, 0x0006, 0x0207, 0x00BD
# NUMBER, LABEL, RSTRING, BOOLERR, RK, LABELSST: one cell each, row and column first
SINGLE_CELLS = frozenset({0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD})
CELL_RECORDS = SINGLE_CELLS | {FORMULA, MULRK}
IGNORED = 0x0000  # no BIFF5/8 record has this type: calamine (and any reader) skips it


class XlsError(Exception):
    """The compound file or its records cannot be walked: the file is damaged."""


@dataclass(slots=True)
class XlsSheet:
    """One BOUNDSHEET: where its records start, its name, what its cells use and what it declares."""

    offset: int
    name: str
    extent: Extent = field(default_factory=Extent)
    dimensions: list[int] = field(default_factory=list)  # offsets of DIMENSIONS records' data
    declared_cells: int = 0
    block: Block | None = None


@dataclass(slots=True)
class XlsScan:
    """What the walk learnt: the sheets in BOUNDSHEET order (calamine's order); whether it is encrypted."""

    stream: bytearray
    sheets: list[XlsSheet]
    encrypted: bool = False


# --- the compound file ---


class _CompoundFile:
    """Just enough of MS-CFB to read one stream, with every chain bounded by the file's size."""

    def __init__(self, handle: BinaryIO, size: int) -> None:
        self.handle = handle
        header = handle.read(512)
        if len(header) < 512 or not header.startswith(OLE2_MAGIC):
            raise XlsError("not a compound file")
        shift, mini_shift = struct.unpack_from("<HH", header, 30)
        if shift not in (9, 12) or mini_shift != 6:
            raise XlsError(f"sector shift {shift}")
        self.sector_size = 1 << shift
        self.sectors = max((size - self.sector_size + self.sector_size - 1) // self.sector_size, 0)
        (self.dir_start, _, self.mini_cutoff, mini_fat_start, mini_fat_count, difat_start, _) = (
            struct.unpack_from("<7I", header, 48)
        )
        difat = list(struct.unpack_from("<109I", header, 76))
        sector = difat_start
        for _ in range(self.sectors + 1):
            if sector >= MAX_REGULAR_SECTOR:
                break
            entries = struct.unpack(f"<{self.sector_size // 4}I", self._sector(sector))
            difat.extend(entries[:-1])
            sector = entries[-1]
        else:
            raise XlsError("the DIFAT chain loops")
        self.fat = array("I")
        for sector in difat:
            if sector < MAX_REGULAR_SECTOR:
                self.fat.frombytes(self._sector(sector))
            if len(self.fat) > self.sectors + self.sector_size:
                break
        if sys.byteorder == "big":  # the file's numbers are little-endian
            self.fat.byteswap()
        directory = self._chain(self.dir_start, None)
        self.entries = [directory[at : at + 128] for at in range(0, len(directory) - 127, 128)]
        if not self.entries:
            raise XlsError("no directory")
        self.mini_fat = array("I", self._chain(mini_fat_start, None)) if mini_fat_count else array("I")
        if sys.byteorder == "big":
            self.mini_fat.byteswap()
        root_start, root_size = self._place(self.entries[0])
        self.mini_stream = self._chain(root_start, root_size) if mini_fat_count else b""

    def _sector(self, sector: int) -> bytes:
        if sector >= self.sectors:
            raise XlsError(f"sector {sector} points past the end of the file")
        self.handle.seek((sector + 1) * self.sector_size)
        return self.handle.read(self.sector_size).ljust(self.sector_size, b"\0")

    def _chain(self, start: int, size: int | None) -> bytes:
        parts: list[bytes] = []
        sector, total = start, 0
        for _ in range(len(self.fat) + 1):
            if sector >= MAX_REGULAR_SECTOR or (size is not None and total >= size):
                break
            if sector >= len(self.fat):
                raise XlsError(f"sector {sector} is outside the allocation table")
            parts.append(self._sector(sector))
            total += self.sector_size
            sector = self.fat[sector]
        else:
            raise XlsError("a sector chain loops")
        data = b"".join(parts)
        return data if size is None else data[:size]

    def _mini_chain(self, start: int, size: int) -> bytes:
        parts: list[bytes] = []
        sector, total = start, 0
        for _ in range(len(self.mini_fat) + 1):
            if sector >= MAX_REGULAR_SECTOR or total >= size:
                break
            if sector >= len(self.mini_fat) or (sector + 1) * MINI_SECTOR > len(self.mini_stream):
                raise XlsError(f"mini sector {sector} is outside the mini stream")
            parts.append(self.mini_stream[sector * MINI_SECTOR : (sector + 1) * MINI_SECTOR])
            total += MINI_SECTOR
            sector = self.mini_fat[sector]
        else:
            raise XlsError("a mini sector chain loops")
        return b"".join(parts)[:size]

    def _place(self, entry: bytes) -> tuple[int, int]:
        start, size = struct.unpack_from("<IQ", entry, 116)
        if self.sector_size == 512:
            size &= 0xFFFFFFFF  # version 3 files may leave garbage in the high half
        return start, min(size, (self.sectors + 1) * self.sector_size)

    def stream(self, names: tuple[str, ...]) -> bytes | None:
        """The first stream named as calamine looks for it, or None."""
        found: dict[str, bytes] = {}
        for entry in self.entries:
            length = min(struct.unpack_from("<H", entry, 64)[0], 64)
            if entry[66] != 2 or length < 2:
                continue
            found.setdefault(entry[: length - 2].decode("utf-16-le", "replace"), entry)
        for name in names:
            if name in found:
                start, size = self._place(found[name])
                return self._mini_chain(start, size) if size < self.mini_cutoff else self._chain(start, size)
        return None


def write_compound_file(path: Path, stream: bytes | bytearray, name: str = "Workbook") -> None:
    """A version-4 compound file (4096-byte sectors) holding one stream: what calamine needs of an .xls."""
    size = 4096
    data = bytes(stream).ljust(max(len(stream), size), b"\0")  # under 4096 bytes would need a mini stream
    stream_sectors = -(-len(data) // size)
    fat_sectors = 1
    while fat_sectors * (size // 4) < fat_sectors + 1 + stream_sectors:
        fat_sectors += 1
    if fat_sectors > 109:
        raise XlsError("the workbook stream is too large to rewrite")
    directory_sector = fat_sectors
    first = fat_sectors + 1
    fat = [FAT_SECTOR] * fat_sectors + [END_OF_CHAIN]
    fat += [*range(first + 1, first + stream_sectors), END_OF_CHAIN]
    fat += [FREE_SECTOR] * (fat_sectors * (size // 4) - len(fat))

    def entry(label: str, kind: int, child: int, start: int, length: int) -> bytes:
        raw = label.encode("utf-16-le") + b"\0\0"
        return (
            raw.ljust(64, b"\0")
            + struct.pack("<HBB3I", len(raw), kind, 1, NO_STREAM, NO_STREAM, child)
            + bytes(36)
            + struct.pack("<IQ", start, length)
        )

    # calamine refuses a version-4 root whose start is END_OF_CHAIN; with no mini FAT it never reads it
    directory = entry("Root Entry", 5, 1, first, 0) + entry(name, 2, NO_STREAM, first, len(data))
    header = (
        OLE2_MAGIC
        + bytes(16)
        + struct.pack("<5H", 0x3E, 4, 0xFFFE, 12, 6)
        + bytes(6)
        + struct.pack("<9I", 1, fat_sectors, directory_sector, 0, 4096, END_OF_CHAIN, 0, END_OF_CHAIN, 0)
        + struct.pack("<109I", *range(fat_sectors), *([FREE_SECTOR] * (109 - fat_sectors)))
    )
    with open(path, "wb") as out:
        out.write(header.ljust(size, b"\0"))
        out.write(struct.pack(f"<{len(fat)}I", *fat))
        out.write(directory.ljust(size, b"\0"))
        out.write(data.ljust(stream_sectors * size, b"\0"))


# --- the records ---


def scan_xls(path: Path) -> XlsScan:
    """Read the Workbook stream and learn, for every sheet, the rows and columns its cell records use."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(0)
            stream = _CompoundFile(handle, size).stream(STREAM_NAMES)
    except (OSError, struct.error) as exc:
        raise XlsError(str(exc)) from exc
    if stream is None:
        raise XlsError("no Workbook stream")
    data = bytearray(stream)
    scan = XlsScan(stream=data, sheets=[])
    codepage = "cp1252"
    biff8 = True
    for typ, start, end in _RecordWalk(data, 0):
        if typ == BOF and end - start >= 2:
            biff8 = struct.unpack_from("<H", data, start)[0] >= 0x0600
        elif typ == FILEPASS:
            scan.encrypted = True  # calamine names it; nothing past this point can be read
            return scan
        elif typ == CODEPAGE and end - start >= 2:
            codepage = _codepage(struct.unpack_from("<H", data, start)[0])
        elif typ == BOUNDSHEET and end - start >= 8:
            offset = struct.unpack_from("<I", data, start)[0]
            scan.sheets.append(XlsSheet(offset, _sheet_name(data[start + 6 : end], biff8, codepage)))
        elif typ == EOF:
            break
    for sheet in scan.sheets:
        _scan_sheet(data, sheet)
    return scan


class _RecordWalk:
    """(type, data start, data end) of each record from `offset`, stopping where the stream ends."""

    def __init__(self, data: bytearray, offset: int) -> None:
        self.data = data
        self.offset = offset

    def __iter__(self) -> _RecordWalk:
        return self

    def __next__(self) -> tuple[int, int, int]:
        at = self.offset
        if at + 4 > len(self.data):
            raise StopIteration
        typ, length = struct.unpack_from("<HH", self.data, at)
        end = at + 4 + length
        if end > len(self.data):
            raise StopIteration  # a truncated record: calamine reports the damage
        self.offset = end
        return typ, at + 4, end


def _codepage(number: int) -> str:
    if number in (1200, 0x8000, 0x8001):
        return "cp1252"  # Unicode (BIFF8 strings say their own encoding) or Mac Roman/Apple: close enough
    name = f"cp{number}"
    try:
        "".encode(name)
    except LookupError:
        return "cp1252"
    return name


def _sheet_name(raw: bytes | bytearray, biff8: bool, codepage: str) -> str:
    """The BOUNDSHEET's name, used only to name a sheet in a message before calamine opens the file."""
    if not raw:
        return "?"
    count = raw[0]
    if biff8 and len(raw) >= 2:
        wide = raw[1] & 1
        text = raw[2 : 2 + count * (2 if wide else 1)]
        return bytes(text).decode("utf-16-le" if wide else "latin-1", "replace").replace("\0", "")
    return bytes(raw[1 : 1 + count]).decode(codepage, "replace").replace("\0", "")


class _CellWalk:
    """(record start, type, row, first column, last column) of each cell record of one sheet's substream,
    skipping embedded substreams (charts) as calamine does, up to the sheet's EOF. DIMENSIONS records come
    through with row -1."""

    def __init__(self, data: bytearray, offset: int) -> None:
        self.records = _RecordWalk(data, offset)
        self.data = data
        self.depth = 0
        self.seen_bof = False

    def __iter__(self) -> _CellWalk:
        return self

    def __next__(self) -> tuple[int, int, int, int, int]:
        data = self.data
        for typ, start, end in self.records:
            if self.depth:
                if typ == BOF:
                    self.depth += 1
                elif typ == EOF:
                    self.depth -= 1
                continue
            if typ in SINGLE_CELLS or typ == FORMULA:
                if end - start >= 4:
                    row, col = struct.unpack_from("<HH", data, start)
                    return start - 4, typ, row, col, col
            elif typ == MULRK:
                if end - start >= 6:
                    row, first = struct.unpack_from("<HH", data, start)
                    last = struct.unpack_from("<H", data, end - 2)[0]
                    return start - 4, typ, row, first, max(first, last)
            elif typ == STRING:
                return start - 4, typ, -1, 0, 0  # the text result of the FORMULA before it
            elif typ == DIMENSIONS:
                return start - 4, typ, -1, 0, 0
            elif typ == BOF:
                if self.seen_bof:
                    self.depth += 1
                self.seen_bof = True
            elif typ == EOF:
                break
        raise StopIteration


def _scan_sheet(data: bytearray, sheet: XlsSheet) -> None:
    """First pass: the rows that hold cells (with their column span) and what DIMENSIONS declares. It runs on
    every record of every .xls, so it is one flat loop (the same walk as _CellWalk, inlined)."""
    unpack = struct.unpack_from
    size = len(data)
    at = sheet.offset
    depth = 0
    seen_bof = False
    firsts: dict[int, int] = {}
    lasts: dict[int, int] = {}
    while at + 4 <= size:
        typ, length = unpack("<HH", data, at)
        start = at + 4
        at = start + length
        if at > size:
            break
        if typ in CELL_RECORDS:
            if depth or length < 4:
                continue
            row, first = unpack("<HH", data, start)
            last = max(first, unpack("<H", data, at - 2)[0]) if typ == MULRK else first
            known = lasts.get(row)
            if known is None:
                firsts[row], lasts[row] = first, last
            else:
                if last > known:
                    lasts[row] = last
                if first < firsts[row]:
                    firsts[row] = first
        elif typ == BOF:
            if seen_bof:
                depth += 1
            seen_bof = True
        elif typ == EOF:
            if not depth:
                break
            depth -= 1
        elif typ == DIMENSIONS and not depth:
            sheet.dimensions.append(start)
            sheet.declared_cells = max(sheet.declared_cells, _declared_cells(data, start))
    head_end = min(firsts) + 30 if firsts else 0
    for row in sorted(firsts):
        first, last = firsts[row], lasts[row]
        sheet.extent.add(row + 1, 1, first, last)
        if row < head_end:
            sheet.extent.head_columns.update(range(first, last + 1))


def _declared_cells(data: bytearray, at: int) -> int:
    length = struct.unpack_from("<H", data, at - 2)[0]
    if length >= 14:
        first_row, end_row, first_col, end_col = struct.unpack_from("<IIHH", data, at)
    elif length >= 10:
        first_row, end_row, first_col, end_col = struct.unpack_from("<4H", data, at)
    else:
        return 0
    return max(end_row - first_row, 1) * max(end_col - first_col, 1)


def patch_xls(scan: XlsScan, wanted: Callable[[XlsSheet], bool]) -> bytearray:
    """The stream with each sheet's cells outside its block renamed away and every DIMENSIONS record saying
    what the sheet really holds (`wanted` says which sheets need it)."""
    data = bytearray(scan.stream)
    for sheet in scan.sheets:
        if not wanted(sheet) or sheet.offset >= len(data):
            continue
        block = sheet.block
        rows = [1 << 32, -1]
        cols = [1 << 16, -1]
        dropped_formula = False
        for at, typ, row, first, last in _CellWalk(data, sheet.offset):
            if typ == DIMENSIONS:
                continue
            if typ == STRING:
                if dropped_formula:
                    struct.pack_into("<H", data, at, IGNORED)
                continue
            if block is not None and not block.holds(row + 1, first):
                struct.pack_into("<H", data, at, IGNORED)
                dropped_formula = typ == FORMULA
                continue
            dropped_formula = False
            rows[0], rows[1] = min(rows[0], row), max(rows[1], row)
            cols[0], cols[1] = min(cols[0], first), max(cols[1], last)
        for at in sheet.dimensions:
            _write_dimensions(data, at, (rows[0], rows[1] + 1), (cols[0], cols[1] + 1))
    return data


def _write_dimensions(data: bytearray, at: int, rows: tuple[int, int], cols: tuple[int, int]) -> None:
    """DIMENSIONS as the rows and columns really used (first, last + 1); all zero for an empty sheet."""
    length = struct.unpack_from("<H", data, at - 2)[0]
    if rows[1] <= rows[0]:
        rows, cols = (0, 0), (0, 0)
    if length >= 14:
        struct.pack_into("<IIHH", data, at, rows[0], rows[1], cols[0], cols[1])
    elif length >= 10:
        struct.pack_into("<4H", data, at, rows[0], min(rows[1], 0xFFFF), cols[0], cols[1])
