"""Two-way disclosure control as views apply it (jobtro.reports.disclosure.table_for): the table a non-researcher
sees never shows a count under the threshold and never lets a hidden one be worked out from the totals shown -
also for the degenerate tables of one row or one column, which the core refuses; researchers see it whole;
statistics resting on too few persons are not shown (shows_statistic)."""

from __future__ import annotations

from unittest import mock

import pytest
from django.test import SimpleTestCase, override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from jobtro.lib.disclosure import Table, Unknown, determined, suppress_table
from jobtro.organisation import access
from jobtro.reports import disclosure

tables = st.integers(1, 4).flatmap(
    lambda rows: st.integers(1, 5).flatmap(
        lambda cols: st.lists(st.lists(st.integers(0, 14), min_size=cols, max_size=cols), min_size=rows, max_size=rows)
    )
)


def as_leader() -> mock._patch:  # type: ignore[type-arg]
    return mock.patch.object(access, "aggregates_unsuppressed", lambda user: False)


def as_researcher() -> mock._patch:  # type: ignore[type-arg]
    return mock.patch.object(access, "aggregates_unsuppressed", lambda user: True)


def hidden(table: Table) -> set[Unknown]:
    found: set[Unknown] = {("cell", i, j) for i, r in enumerate(table.cells) for j, c in enumerate(r) if c.suppressed}
    found |= {("row", i, 0) for i, c in enumerate(table.row_totals) if c.suppressed}
    found |= {("col", j, 0) for j, c in enumerate(table.column_totals) if c.suppressed}
    return found | ({("total", 0, 0)} if table.total.suppressed else set())


def true_values(counts: list[list[int]]) -> dict[Unknown, int]:
    values: dict[Unknown, int] = {("cell", i, j): v for i, r in enumerate(counts) for j, v in enumerate(r)}
    values.update({("row", i, 0): sum(r) for i, r in enumerate(counts)})
    values.update({("col", j, 0): sum(r[j] for r in counts) for j in range(len(counts[0]))})
    values[("total", 0, 0)] = sum(sum(r) for r in counts)
    return values


def shown(table: Table) -> dict[Unknown, int]:
    values: dict[Unknown, int | None] = {
        ("cell", i, j): c.value for i, r in enumerate(table.cells) for j, c in enumerate(r)
    }
    values.update({("row", i, 0): c.value for i, c in enumerate(table.row_totals)})
    values.update({("col", j, 0): c.value for j, c in enumerate(table.column_totals)})
    values[("total", 0, 0)] = table.total.value
    return {k: v for k, v in values.items() if v is not None}


@settings(max_examples=300, deadline=None)
@given(tables, st.integers(1, 6))
def test_a_leader_never_sees_a_small_count_nor_a_recoverable_one(counts: list[list[int]], threshold: int) -> None:
    with as_leader(), override_settings(JOBTRO_DISCLOSURE_THRESHOLD=threshold):
        table = disclosure.table_for(None, counts)  # type: ignore[arg-type]
    truth = true_values(counts)
    for key, value in shown(table).items():
        assert value == 0 or value >= threshold, (key, value)
        assert value == truth[key]  # what is shown is the truth
    assert determined(counts, hidden(table)) == set()
    if len(counts) >= 2 and len(counts[0]) >= 2:
        assert table == suppress_table(counts, threshold)  # the core's rule, unchanged


@settings(max_examples=100, deadline=None)
@given(tables)
def test_a_researcher_sees_every_count_and_total(counts: list[list[int]]) -> None:
    with as_researcher():
        table = disclosure.table_for(None, counts)  # type: ignore[arg-type]
    assert hidden(table) == set()
    assert shown(table) == true_values(counts)


class TableForTestCase(SimpleTestCase):
    def test_one_row_is_a_list_whose_total_is_shown(self) -> None:
        with as_leader():
            table = disclosure.table_for(None, [[3, 40, 12, 0]])  # type: ignore[arg-type]
        self.assertEqual([c.value for c in table.cells[0]], [None, 40, None, 0])
        self.assertEqual(table.total.value, 55)
        self.assertEqual(table.column_totals, table.cells[0])

    def test_one_column_and_a_small_total(self) -> None:
        with as_leader():
            table = disclosure.table_for(None, [[1], [2], [0]])  # type: ignore[arg-type]
        self.assertEqual([r[0].value for r in table.cells], [None, None, 0])
        self.assertTrue(table.total.suppressed)

    def test_an_empty_table_is_empty(self) -> None:
        with as_leader():
            table = disclosure.table_for(None, [])  # type: ignore[arg-type]
        self.assertEqual((table.cells, table.total.value), ((), 0))

    def test_it_refuses_ragged_and_negative_tables(self) -> None:
        with as_leader():
            with pytest.raises(ValueError, match="same number"):
                disclosure.table_for(None, [[1, 2], [3]])  # type: ignore[arg-type]
            with pytest.raises(ValueError, match="negative"):
                disclosure.table_for(None, [[1, -2], [3, 4]])  # type: ignore[arg-type]

    def test_a_statistic_needs_the_threshold_of_persons_outside_research(self) -> None:
        with as_leader():
            self.assertFalse(disclosure.shows_statistic(None, 4))  # type: ignore[arg-type]
            self.assertTrue(disclosure.shows_statistic(None, 5))  # type: ignore[arg-type]
            with override_settings(JOBTRO_DISCLOSURE_THRESHOLD=10):
                self.assertFalse(disclosure.shows_statistic(None, 9))  # type: ignore[arg-type]
        with as_researcher():
            self.assertTrue(disclosure.shows_statistic(None, 1))  # type: ignore[arg-type]
