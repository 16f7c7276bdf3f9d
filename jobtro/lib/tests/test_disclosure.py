"""Disclosure control (jobtro.lib.disclosure): no shown count is a small number of persons, and no
hidden count can be recovered from a shown total - in lists and in two-way tables with row, column and grand
totals (checked against an exact elimination written here, independently of the module's rank test)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from django.test import SimpleTestCase
from hypothesis import given, settings
from hypothesis import strategies as st

from jobtro.lib.disclosure import Cell, Table, is_small, suppress_counts, suppress_table, suppress_total

thresholds = st.integers(min_value=1, max_value=20)
rows = st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=12)


def hidden(cells: list[Cell]) -> list[int]:
    return [i for i, cell in enumerate(cells) if cell.suppressed]


class SuppressCountsTestCase(SimpleTestCase):
    @given(rows, thresholds, st.booleans())
    def test_it_never_shows_a_small_count(self, counts: list[int], threshold: int, total_shown: bool) -> None:
        for cell in suppress_counts(counts, threshold, total_shown=total_shown):
            if not cell.suppressed:
                assert cell.value is not None
                self.assertFalse(1 <= cell.value <= threshold - 1, (counts, threshold))

    @given(rows, thresholds, st.booleans())
    def test_it_shows_what_it_shows_unchanged(self, counts: list[int], threshold: int, total_shown: bool) -> None:
        cells = suppress_counts(counts, threshold, total_shown=total_shown)
        self.assertEqual(len(cells), len(counts))
        for count, cell in zip(counts, cells, strict=True):
            if cell.suppressed:
                self.assertEqual((cell.value, cell.n), (None, None))
            else:
                self.assertEqual((cell.value, cell.n), (count, count))

    @given(rows, thresholds, st.booleans())
    def test_it_always_shows_zeros(self, counts: list[int], threshold: int, total_shown: bool) -> None:
        cells = suppress_counts(counts, threshold, total_shown=total_shown)
        for count, cell in zip(counts, cells, strict=True):
            if count == 0:
                self.assertEqual(cell.value, 0)

    @given(rows, thresholds)
    def test_it_never_leaves_a_single_hidden_cell_beside_a_shown_total(self, counts: list[int], threshold: int) -> None:
        cells = suppress_counts(counts, threshold, total_shown=True)
        total = suppress_total(sum(counts), threshold)
        if not total.suppressed:
            # With the total shown, one hidden cell alone is the total minus the shown cells.
            self.assertNotEqual(len(hidden(cells)), 1, (counts, threshold))

    @given(rows, thresholds, st.booleans())
    def test_it_hides_at_most_one_cell_beyond_the_small_ones(
        self, counts: list[int], threshold: int, total_shown: bool
    ) -> None:
        cells = suppress_counts(counts, threshold, total_shown=total_shown)
        small = [i for i, c in enumerate(counts) if is_small(c, threshold)]
        self.assertLessEqual(set(small), set(hidden(cells)))
        self.assertLessEqual(len(hidden(cells)), len(small) + 1)
        if not total_shown or len(small) != 1:
            self.assertEqual(hidden(cells), small)  # complementary suppression only where it is needed

    def test_it_hides_the_smallest_other_cell_as_the_complement(self) -> None:
        cells = suppress_counts([3, 40, 12, 0, 25], 5)
        self.assertEqual(hidden(cells), [0, 2])
        self.assertEqual([c.value for c in cells], [None, 40, None, 0, 25])

    def test_it_needs_no_complement_without_a_total(self) -> None:
        self.assertEqual(hidden(suppress_counts([3, 40, 12], 5, total_shown=False)), [0])

    def test_it_needs_no_complement_when_two_cells_are_small(self) -> None:
        self.assertEqual(hidden(suppress_counts([3, 40, 4, 12], 5)), [0, 2])

    def test_it_keeps_the_threshold_itself(self) -> None:
        self.assertEqual([c.value for c in suppress_counts([5, 5, 0], 5)], [5, 5, 0])
        self.assertEqual(hidden(suppress_counts([4, 5, 6], 5)), [0, 1])

    def test_it_hides_nothing_with_threshold_one(self) -> None:
        self.assertEqual([c.value for c in suppress_counts([1, 2, 0], 1)], [1, 2, 0])

    def test_it_refuses_a_threshold_below_one(self) -> None:
        with self.assertRaises(ValueError):
            suppress_counts([1, 2], 0)


class SuppressTotalTestCase(SimpleTestCase):
    @given(st.integers(min_value=0, max_value=100), thresholds)
    def test_it_hides_a_small_total_only(self, total: int, threshold: int) -> None:
        cell = suppress_total(total, threshold)
        self.assertEqual(cell.suppressed, 0 < total < threshold)
        if not cell.suppressed:
            self.assertEqual((cell.value, cell.n), (total, total))

    def test_it_shows_a_zero_total(self) -> None:
        self.assertEqual(suppress_total(0, 5), Cell(0, 0))


# --- two-way tables (issue 7, item 9) ----------------------------------------------------------------


def _published(table: Table) -> dict[tuple[str, int, int], int | None]:
    values: dict[tuple[str, int, int], int | None] = {}
    for i, row in enumerate(table.cells):
        for j, c in enumerate(row):
            values[("cell", i, j)] = c.value
    values.update({("row", i, 0): c.value for i, c in enumerate(table.row_totals)})
    values.update({("col", j, 0): c.value for j, c in enumerate(table.column_totals)})
    values[("total", 0, 0)] = table.total.value
    return values


def _exactly_recoverable(table: Table, rows: int, cols: int) -> list[tuple[str, int, int]]:
    """Hidden values the published ones pin down, by exact Gaussian elimination over the rationals -
    written independently of the module's rank test."""
    values = _published(table)
    unknowns = sorted(k for k, v in values.items() if v is None)
    position = {u: k for k, u in enumerate(unknowns)}
    equations: list[list[Fraction]] = []

    def add(terms: list[tuple[tuple[str, int, int], int]]) -> None:
        row = [Fraction(0)] * len(unknowns)
        for key, sign in terms:
            if key in position:
                row[position[key]] += sign
        equations.append(row)

    for i in range(rows):
        add([(("cell", i, j), 1) for j in range(cols)] + [(("row", i, 0), -1)])
    for j in range(cols):
        add([(("cell", i, j), 1) for i in range(rows)] + [(("col", j, 0), -1)])
    add([(("row", i, 0), 1) for i in range(rows)] + [(("total", 0, 0), -1)])
    add([(("col", j, 0), 1) for j in range(cols)] + [(("total", 0, 0), -1)])
    # Reduced row echelon form; an unknown is determined when some row is its unit vector.
    matrix, pivot_row = [r[:] for r in equations], 0
    for col in range(len(unknowns)):
        pivot = next((r for r in range(pivot_row, len(matrix)) if matrix[r][col] != 0), None)
        if pivot is None:
            continue
        matrix[pivot_row], matrix[pivot] = matrix[pivot], matrix[pivot_row]
        lead = matrix[pivot_row][col]
        matrix[pivot_row] = [v / lead for v in matrix[pivot_row]]
        for r in range(len(matrix)):
            if r != pivot_row and matrix[r][col] != 0:
                factor = matrix[r][col]
                matrix[r] = [a - factor * b for a, b in zip(matrix[r], matrix[pivot_row], strict=True)]
        pivot_row += 1
    return [u for u in unknowns if any(r[position[u]] == 1 and sum(v != 0 for v in r) == 1 for r in matrix)]


tables = st.integers(2, 4).flatmap(
    lambda rows: st.integers(2, 4).flatmap(
        lambda cols: st.lists(st.lists(st.integers(0, 14), min_size=cols, max_size=cols), min_size=rows, max_size=rows)
    )
)


@settings(max_examples=300, deadline=None)
@given(tables, st.integers(1, 6))
def test_no_published_count_is_small_and_no_hidden_one_can_be_worked_out(
    counts: list[list[int]], threshold: int
) -> None:
    table = suppress_table(counts, threshold)
    published = [v for v in _published(table).values() if v is not None]
    assert all(v == 0 or v >= threshold for v in published)
    assert _exactly_recoverable(table, len(counts), len(counts[0])) == []
    # What is shown is the truth.
    for i, row in enumerate(table.cells):
        for j, c in enumerate(row):
            assert c.value is None or c.value == counts[i][j]


def test_a_small_cell_gets_a_rectangle_of_non_zero_partners() -> None:
    table = suppress_table([[10, 3, 12], [8, 9, 20], [15, 0, 7]], 5)
    assert [[c.value for c in row] for row in table.cells] == [[None, None, 12], [None, None, 20], [15, 0, 7]]
    assert [c.value for c in table.row_totals] == [25, 37, 22]
    assert table.total.value == 84


def test_a_table_without_small_counts_is_shown_whole() -> None:
    table = suppress_table([[10, 6], [7, 9]], 5)
    assert all(c.value is not None for row in table.cells for c in row)


def test_two_way_tables_need_two_rows_and_two_columns() -> None:
    with pytest.raises(ValueError, match="two rows and two columns"):
        suppress_table([[1, 2, 3]], 5)
    with pytest.raises(ValueError, match="negative"):
        suppress_table([[1, -2], [3, 4]], 5)
