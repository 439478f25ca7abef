"""The .ods guard: learn every table's real extent from content.xml while the zip guard inflates it, and when
a stray cell far from the data would make python-calamine expand the empty rows between (or refuse the file as
damaged past its 100-million-cell limit), cut the stray rows and cells out of a copy calamine reads instead.

Names are matched as written (`table:table-row`), as calamine matches them. The copy keeps every byte of
content.xml except the elements cut, so what calamine reads of the data is exactly what the file says.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from xml.parsers import expat

from reportgen.reading.extent import HEADER_SCAN_ROWS, Block, Extent

MAX_ROWS = 1_048_576  # calamine caps an .ods table at these, so positions past them never exist
MAX_COLUMNS = 16_384
CELLS = ("table:table-cell", "table:covered-table-cell")
VALUES = (
    "office:value",
    "office:string-value",
    "office:date-value",
    "office:time-value",
    "office:boolean-value",
)
READ_SIZE = 64 * 1024


class OdsError(Exception):
    """content.xml is not well-formed, declares entities, or says something impossible."""


class OdsTooLarge(Exception):
    """A table holds more rows than the reader's limit (`total` False), or all tables together hold more
    rows than any review needs (`total` True): stopped while scanning, before anything is allocated."""

    def __init__(self, table: str, count: int, total: bool) -> None:
        super().__init__(table)
        self.table = table
        self.count = count
        self.total = total


@dataclass(slots=True)
class OdsTable:
    """One table of content.xml in document order (calamine's order) and what its cells use."""

    name: str
    extent: Extent = field(default_factory=Extent)
    external_cells: int = 0
    first_external: str | None = None


def _repeat(attrs: dict[str, str], name: str, limit: int) -> int:
    text = attrs.get(name)
    if text is None:
        return 1
    try:
        value = int(text)
    except ValueError as exc:
        raise OdsError(f"{name}={text!r}") from exc
    return max(min(value, limit), 0)


def _external(formula: str) -> bool:
    """A formula that reads another file: ['file:///…/budget.ods'#$Sheet1.A1] or a URL in quotes."""
    return "'file:" in formula or "'http" in formula or "'ftp:" in formula


TABLE, ROW, CELL, COVERED = "table:table", "table:table-row", "table:table-cell", "table:covered-table-cell"
ROWS_REPEATED, COLUMNS_REPEATED = "table:number-rows-repeated", "table:number-columns-repeated"
VALUE_TYPE, FORMULA = "office:value-type", "table:formula"
VALUE_KEYS = frozenset(VALUES)


class OdsScanner:
    """Fed content.xml chunk by chunk (as the zip guard inflates it); never holds more than a chunk.

    Every element of content.xml passes through here, so the handlers are lean: names are interned by the
    parser into the module's own strings and compared by identity."""

    def __init__(self, max_table_rows: int, max_total_rows: int) -> None:
        self.max_table_rows = max_table_rows
        self.max_total_rows = max_total_rows
        self.total_rows = 0
        self.tables: list[OdsTable] = []
        names = (TABLE, ROW, CELL, COVERED, ROWS_REPEATED, COLUMNS_REPEATED, VALUE_TYPE, FORMULA, *VALUES)
        self.parser = expat.ParserCreate(intern={name: name for name in names})
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.parser.EntityDeclHandler = self._entity
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.table: OdsTable | None = None
        self.nested = 0  # depth of tables inside a cell: calamine never sees them as tables
        self.in_row = False  # inside a row of a top-level table: its cells count
        self.outer_in_row = False  # in_row when a nested table began
        self.row = 0  # 0-based index of the current row
        self.row_count = 1
        self.col = 0
        self.row_first = -1
        self.row_last = -1
        self.head = True  # the row may be in the header area: its columns decide the data's width
        self.row_columns: list[tuple[int, int]] = []

    def _doctype(self, *_: object) -> None:
        raise OdsError("content.xml declares a DTD")

    def _entity(self, *_: object) -> None:
        raise OdsError("content.xml declares an entity")

    def feed(self, data: bytes, final: bool = False) -> None:
        try:
            self.parser.Parse(data, final)
        except expat.ExpatError as exc:
            raise OdsError(f"content.xml: {exc}") from exc

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        if name is CELL or name is COVERED:
            if not self.in_row:
                return
            repeat = attrs.get(COLUMNS_REPEATED)
            count = 1 if repeat is None else min(_number(repeat), MAX_COLUMNS - self.col)
            if count and (
                not VALUE_KEYS.isdisjoint(attrs) or attrs.get(VALUE_TYPE) == "string" or FORMULA in attrs
            ):
                last = self.col + count - 1
                if self.row_first < 0:
                    self.row_first = self.col
                self.row_last = last
                if self.head:
                    self.row_columns.append((self.col, last))
                if FORMULA in attrs and _external(attrs[FORMULA]):
                    table = self.table
                    assert table is not None
                    table.external_cells += count * self.row_count
                    if table.first_external is None:
                        table.first_external = _address(self.row, self.col)
            self.col += count
        elif name is ROW:
            if self.table is None or self.nested or self.in_row:
                return
            self.in_row = True
            repeat = attrs.get(ROWS_REPEATED)
            self.row_count = 1 if repeat is None else min(_number(repeat), MAX_ROWS - self.row)
            self.col = 0
            self.row_first = self.row_last = -1
            extent = self.table.extent
            self.head = extent.empty or self.row + 1 <= extent.first_row + HEADER_SCAN_ROWS - 1
            self.row_columns = []
        elif name is TABLE:
            if self.table is not None:
                if not self.nested:
                    self.outer_in_row = self.in_row
                self.nested += 1
                self.in_row = False
            elif "table:name" in attrs:
                self.table = OdsTable(attrs["table:name"])
                self.tables.append(self.table)
                self.row = 0

    def _end(self, name: str) -> None:
        if name is ROW:
            if self.in_row:
                self._row_done()
        elif name is TABLE:
            if self.nested:
                self.nested -= 1
                self.in_row = not self.nested and self.outer_in_row
            else:
                self.table = None

    def _row_done(self) -> None:
        self.in_row = False
        table = self.table
        assert table is not None
        if self.row_first >= 0 and self.row_count:
            extent = table.extent
            extent.add(self.row + 1, self.row_count, self.row_first, self.row_last)
            self.total_rows += self.row_count
            if extent.rows > self.max_table_rows:
                raise OdsTooLarge(table.name, extent.rows, total=False)
            if self.total_rows > self.max_total_rows:
                raise OdsTooLarge(table.name, self.total_rows, total=True)
            if self.row + 1 <= extent.first_row + HEADER_SCAN_ROWS - 1:
                for first, last in self.row_columns:
                    extent.head_columns.update(range(first, last + 1))
        self.row += self.row_count


def _number(text: str) -> int:
    try:
        return max(int(text), 0)
    except ValueError as exc:
        raise OdsError(f"a repeat count of {text!r}") from exc


def _address(row: int, col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row + 1}"


class _Cutter:
    """Copies content.xml to `out`, leaving out each row past its table's block and each cell right of it.

    Decisions are made at an element's start tag; bytes are written once no later start tag can begin
    before them (the last event's position), so only an element being cut is ever held whole."""

    def __init__(self, blocks: list[Block | None], out: IO[bytes]) -> None:
        self.blocks = blocks
        self.out = out
        self.parser = expat.ParserCreate()
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.buffer = bytearray()
        self.base = 0  # file position of buffer[0]
        self.cuts: list[tuple[int, int]] = []
        self.cutting: tuple[int, int] | None = None  # (start position, depth) of the element being cut
        self.depth = 0
        self.table_index = -1
        self.block: Block | None = None
        self.table_depth = 0
        self.row = 0
        self.row_count = 1
        self.in_row = False
        self.col = 0
        self.row_depth = 0
        self.last_event = 0

    def feed(self, data: bytes, final: bool = False) -> None:
        self.buffer += data
        try:
            self.parser.Parse(data, final)
        except expat.ExpatError as exc:
            raise OdsError(f"content.xml: {exc}") from exc
        self._flush(self.base + len(self.buffer) if final else self.last_event)

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        at = self.parser.CurrentByteIndex
        self.last_event = at
        self.depth += 1
        if self.cutting is not None:
            return
        if name == "table:table":
            if self.table_depth == 0 and "table:name" in attrs:
                self.table_index += 1
                self.block = self.blocks[self.table_index] if self.table_index < len(self.blocks) else None
                self.row = 0
                self.table_depth = self.depth
            return
        block = self.block
        if block is None:
            return
        if name == "table:table-row" and not self.in_row:
            if self.row + 1 > block.last_row:
                self.cutting = (at, self.depth)
                return
            self.in_row = True
            self.row_count = _repeat(attrs, "table:number-rows-repeated", MAX_ROWS)
            self.col = 0
            self.row_depth = self.depth
        elif name in CELLS and self.in_row and self.depth == self.row_depth + 1:
            if self.col >= block.width:
                self.cutting = (at, self.depth)
                return
            self.col += _repeat(attrs, "table:number-columns-repeated", MAX_COLUMNS)

    def _end(self, name: str) -> None:
        at = self.parser.CurrentByteIndex
        self.last_event = at
        if self.cutting is not None and self.depth == self.cutting[1]:
            start = self.cutting[0]
            # an empty-element tag (<cell/>) ends with its start tag; otherwise `at` is its end tag's '<'
            end = _tag_end(self.buffer, start - self.base)
            if self.buffer[end - 2] != 0x2F:  # '/'
                end = self.buffer.index(b">", at - self.base) + 1
            self.cuts.append((start, self.base + end))
            self.cutting = None
            if name == "table:table-row":
                self.row = max(self.row, self.block.last_row if self.block else self.row)
        elif self.cutting is None:
            if name == "table:table-row" and self.in_row and self.depth == self.row_depth:
                self.in_row = False
                self.row += self.row_count
            elif name == "table:table" and self.depth == self.table_depth:
                self.block = None
                self.table_depth = 0
        self.depth -= 1

    def _flush(self, upto: int) -> None:
        if self.cutting is not None:
            upto = min(upto, self.cutting[0])
        position = self.base
        for start, end in self.cuts:
            self.out.write(self.buffer[position - self.base : start - self.base])
            position = end
        self.cuts = []
        if upto > position:
            self.out.write(self.buffer[position - self.base : upto - self.base])
            position = upto
        del self.buffer[: position - self.base]
        self.base = position


def _tag_end(buffer: bytearray, at: int) -> int:
    """The position after the '>' that closes the tag starting at `at` ('>' may sit inside a quoted value)."""
    quote = 0
    for index in range(at, len(buffer)):
        byte = buffer[index]
        if quote:
            if byte == quote:
                quote = 0
        elif byte in (0x22, 0x27):
            quote = byte
        elif byte == 0x3E:
            return index + 1
    raise OdsError("content.xml: a tag does not end")


def write_trimmed(source: Path, target: Path, blocks: list[Block | None], content: str) -> None:
    """A copy of the .ods at `source` whose content.xml leaves out what lies outside each table's block;
    every other part is copied as it is, in the same order (mimetype first, stored)."""
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(target, "w") as copy:
        for info in archive.infolist():
            clone = zipfile.ZipInfo(info.filename, info.date_time)
            clone.compress_type = info.compress_type
            clone.external_attr = info.external_attr
            with archive.open(info) as source_part, copy.open(clone, "w") as target_part:
                if info.filename == content:
                    cutter = _Cutter(blocks, target_part)
                    while chunk := source_part.read(READ_SIZE):
                        cutter.feed(chunk)
                    cutter.feed(b"", final=True)
                else:
                    while chunk := source_part.read(READ_SIZE):
                        target_part.write(chunk)
