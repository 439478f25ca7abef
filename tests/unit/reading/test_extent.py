"""The one rule that decides, for every format, whether a sheet's used range is its data or a stray cell far
from it, and which block is read then."""

from __future__ import annotations

from reportgen.reading.extent import Block, Extent, data_width, group_end


def test_rows_after_a_long_gap_are_not_the_table() -> None:
    assert group_end([1, 2, 3, 900, 1_900]) == 1_900  # gaps of 1,000 rows or less: still the table
    assert group_end([1, 2, 3, 1_004, 1_005]) == 3  # a gap of 1,001 rows ends it
    assert group_end([7]) == 7


def test_a_lone_far_column_is_not_data() -> None:
    assert data_width([0, 1, 2, 9]) == 10
    assert data_width([0, 1, 2, 60]) == 3  # 57 empty columns before it: not the table
    assert data_width([]) == 1


def test_runs_merge_and_count_repeats() -> None:
    extent = Extent()
    extent.add(1, 1, 0, 9)
    extent.add(2, 3, 0, 4)  # an .ods row repeated three times
    extent.add(9, 1, 2, 2)
    assert list(zip(extent.starts, extent.counts, strict=True)) == [(1, 4), (9, 1)]
    assert (extent.rows, extent.first_row, extent.last_row) == (5, 1, 9)
    assert (extent.min_col, extent.max_col, extent.cells) == (0, 9, 90)


def test_a_small_used_range_is_read_whole() -> None:
    extent = Extent()
    extent.add(1, 400, 0, 25)
    extent.head_columns.update(range(26))
    assert extent.block(max_cells=12_000_000, max_rows=200_000) is None


def test_a_stray_cell_far_away_makes_a_block_of_the_data() -> None:
    extent = Extent()
    extent.add(1, 4, 0, 9)
    extent.head_columns.update(range(10))
    extent.add(65_536, 1, 255, 255)
    block = extent.block(max_cells=12_000_000, max_rows=200_000)
    assert block == Block(first_row=1, last_row=4, width=10, far_cell="IV65536")
    assert block.address == "A1:J4"
    assert block.holds(4, 9) and not block.holds(5, 0) and not block.holds(1, 10)


def test_a_stray_cell_far_below_in_the_first_column_spans_past_the_row_limit() -> None:
    """A400000 under 100 rows: few cells, but a span past the row limit."""
    extent = Extent()
    extent.add(1, 101, 0, 3)
    extent.head_columns.update(range(4))
    extent.add(400_000, 1, 0, 0)
    block = extent.block(max_cells=12_000_000, max_rows=200_000)
    assert block is not None and (block.last_row, block.far_cell) == (101, "A400000")
