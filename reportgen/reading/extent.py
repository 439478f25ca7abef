"""Where a sheet's data is, learnt before any reader allocates it: the rows that hold cells, the columns
they use, and, when a stray cell far away would make the sheet's used range mostly empty space, the block of
data to read instead. One rule for every format, so an .xls or .ods gives the review its .xlsx twin gives."""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field

from reportgen.base.model import column_letter

HEADER_SCAN_ROWS = 30  # the header row is looked for in the first 30 rows: they decide the data's width
ROW_GAP = 1_000  # more empty rows than this after the data: what follows is not the table
COLUMN_GAP = 50  # more empty columns than this in the header area: what follows is not the table


def group_end(rows_sorted: list[int]) -> int:
    """The last row of the first group of rows: rows after a gap longer than ROW_GAP are not the table."""
    last = rows_sorted[0]
    for row in rows_sorted[1:]:
        if row - last > ROW_GAP:
            break
        last = row
    return last


def data_width(columns: Iterable[int]) -> int:
    """Columns up to the last one that the header area uses before a gap; a lone far column is not data."""
    width = 0
    for index in sorted(set(columns)):
        if index - width > COLUMN_GAP:
            break
        width = index + 1
    return max(width, 1)


@dataclass(frozen=True, slots=True)
class Block:
    """The part of a sheet that is read when the rest is a stray cell far away: rows first..last (1-based),
    columns A up to `width`. `far_cell` names the farthest cell left out."""

    first_row: int
    last_row: int
    width: int
    far_cell: str

    @property
    def address(self) -> str:
        return f"A{self.first_row}:{column_letter(self.width - 1)}{self.last_row}"

    def holds(self, row: int, col: int) -> bool:
        """Whether the cell at 1-based `row`, 0-based `col` is inside the block."""
        return self.first_row <= row <= self.last_row and col < self.width


@dataclass(slots=True)
class Extent:
    """The rows of one sheet that hold cells, as runs (first row, count) in sheet order (an .ods row may
    stand for many), the columns they use, and the columns the header area uses. Runs live in arrays: a
    sheet of alternating rows must not cost a Python object per row."""

    starts: array[int] = field(default_factory=lambda: array("q"))
    counts: array[int] = field(default_factory=lambda: array("q"))
    rows: int = 0  # rows that hold cells, repeats counted
    min_col: int = 1 << 30
    max_col: int = -1
    max_col_row: int = 0  # the first row that uses max_col
    last_row_col: int = -1  # the last column used in the last row
    head_columns: set[int] = field(default_factory=set)

    def add(self, row: int, count: int, first_col: int, last_col: int) -> None:
        """Rows `row`..`row + count - 1` (1-based, after every row added before) hold cells in columns
        first_col..last_col (0-based)."""
        if self.starts and self.starts[-1] + self.counts[-1] == row:
            self.counts[-1] += count
        else:
            self.starts.append(row)
            self.counts.append(count)
        self.rows += count
        self.min_col = min(self.min_col, first_col)
        if last_col > self.max_col:
            self.max_col, self.max_col_row = last_col, row
        self.last_row_col = last_col

    @property
    def empty(self) -> bool:
        return not self.starts

    @property
    def first_row(self) -> int:
        return self.starts[0]

    @property
    def last_row(self) -> int:
        return self.starts[-1] + self.counts[-1] - 1

    @property
    def cells(self) -> int:
        """The cells of the dense range a reader allocates: from the first used cell to the last."""
        if self.empty:
            return 0
        return (self.last_row - self.first_row + 1) * (self.max_col - self.min_col + 1)

    def group_end(self) -> int:
        """The last row of the first group of runs (a gap longer than ROW_GAP ends it)."""
        last = self.starts[0] + self.counts[0] - 1
        for start, count in zip(self.starts[1:], self.counts[1:], strict=True):
            if start - last > ROW_GAP:
                break
            last = start + count - 1
        return last

    def block(self, max_cells: int, max_rows: int) -> Block | None:
        """The block to read instead of the whole used range, or None when the used range is the data: a
        range past `max_cells` cells or spanning more than `max_rows` rows (while the rows that hold cells
        are within the row limit) is a stray cell far from the data, not a sheet too long to read."""
        if self.empty:
            return None
        span = self.last_row - self.first_row + 1
        if self.cells <= max_cells and span <= max_rows + HEADER_SCAN_ROWS:
            return None
        last_row = self.group_end()
        width = data_width(self.head_columns)
        # the farthest cell left out, a real one: the last of the rows below the block, else the widest
        if self.last_row > last_row or self.max_col < width:
            far_cell = f"{column_letter(self.last_row_col)}{self.last_row}"
        else:
            far_cell = f"{column_letter(self.max_col)}{self.max_col_row}"
        return Block(first_row=self.first_row, last_row=last_row, width=width, far_cell=far_cell)
