"""Disclosure control (jobtro.lib.disclosure): no shown count is a small number of persons, and no
hidden count can be recovered from a shown total."""

from __future__ import annotations

from django.test import SimpleTestCase
from hypothesis import given
from hypothesis import strategies as st

from jobtro.lib.disclosure import Cell, is_small, suppress_counts, suppress_total

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
