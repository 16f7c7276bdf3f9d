"""Disclosure control for aggregates shown outside the research role.

Primary suppression hides every count of persons below the threshold (but above zero - a zero
reveals nobody). Complementary suppression then hides the next-smallest cell in a row whose total
is shown, so a hidden cell can't be recovered by subtraction (DOMAIN.md, "Disclosure control").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Cell:
    value: int | None  # None when suppressed
    n: int | None  # persons the cell rests on; None when suppressed

    @property
    def suppressed(self) -> bool:
        return self.value is None


def is_small(count: int, threshold: int) -> bool:
    return 0 < count < threshold


def suppress_counts(counts: Sequence[int], threshold: int, *, total_shown: bool = True) -> list[Cell]:
    """Suppress a row of person counts that (when ``total_shown``) adds up to a published total."""
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    hidden = [is_small(c, threshold) for c in counts]
    if total_shown and sum(hidden) == 1 and len(counts) > 1:
        # One hidden cell alone is total minus the others: hide the smallest other non-zero cell too.
        candidates = [i for i, c in enumerate(counts) if not hidden[i] and c > 0]
        if candidates:
            hidden[min(candidates, key=lambda i: counts[i])] = True
    return [Cell(None, None) if h else Cell(c, c) for c, h in zip(counts, hidden, strict=True)]


def suppress_total(total: int, threshold: int) -> Cell:
    return Cell(None, None) if is_small(total, threshold) else Cell(total, total)


# --- two-way tables -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A two-way table of person counts as it may be published: ``cells[i][j]``, the row totals, the
    column totals and the grand total, each a :class:`Cell` (``None`` when suppressed)."""

    cells: tuple[tuple[Cell, ...], ...]
    row_totals: tuple[Cell, ...]
    column_totals: tuple[Cell, ...]
    total: Cell


Unknown = tuple[str, int, int]  # ("cell", i, j), ("row", i, 0), ("col", j, 0) or ("total", 0, 0)


def determined(counts: Sequence[Sequence[int]], hidden: set[Unknown]) -> set[Unknown]:
    """The hidden values (cells and totals) that the published ones determine exactly.

    Every row and column gives an equation (its cells add up to its total) and so does the grand total
    (the row totals add up to it, and so do the column totals); published values are constants. A hidden
    value is determined exactly when its unit vector lies in the row space of the equations over the hidden
    values - checked by comparing ranks. Tables that are published are small, so this exact test is cheap.
    """
    rows, cols = len(counts), len(counts[0])
    unknowns = sorted(hidden)
    if not unknowns:
        return set()
    index = {u: k for k, u in enumerate(unknowns)}
    equations = []

    def equation(terms: list[tuple[Unknown, int]]) -> None:
        row = np.zeros(len(unknowns))
        for unknown, sign in terms:
            if unknown in index:
                row[index[unknown]] += sign
        if row.any():
            equations.append(row)

    for i in range(rows):
        equation([(("cell", i, j), 1) for j in range(cols)] + [(("row", i, 0), -1)])
    for j in range(cols):
        equation([(("cell", i, j), 1) for i in range(rows)] + [(("col", j, 0), -1)])
    equation([(("row", i, 0), 1) for i in range(rows)] + [(("total", 0, 0), -1)])
    equation([(("col", j, 0), 1) for j in range(cols)] + [(("total", 0, 0), -1)])
    if not equations:
        return set()
    matrix = np.array(equations)
    rank = np.linalg.matrix_rank(matrix)
    found = set()
    for unknown, k in index.items():
        unit = np.zeros(len(unknowns))
        unit[k] = 1.0
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            found.add(unknown)
    return found


def suppress_table(counts: Sequence[Sequence[int]], threshold: int) -> Table:
    """Suppress a two-way table of person counts published with its row, column and grand totals.

    Primary suppression hides every count (cell or total) below the threshold but above zero.
    Complementary suppression then hides further values, smallest first, until no hidden value can be
    worked out exactly from what is published (:func:`determined`): a determined cell gets a partner in
    its row or column (the one that leaves the fewest values determined, smallest first), a determined
    total another total of its kind. A table with one row or one column is a list: use :func:`suppress_counts`.
    """
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    rows, cols = len(counts), len(counts[0]) if counts else 0
    if any(len(r) != cols for r in counts):
        raise ValueError("every row must have the same number of cells")
    if min(rows, cols) < 2:
        raise ValueError("a two-way table needs at least two rows and two columns; use suppress_counts")
    if any(c < 0 for r in counts for c in r):
        raise ValueError("counts cannot be negative")
    values: dict[Unknown, int] = {("cell", i, j): counts[i][j] for i in range(rows) for j in range(cols)}
    values.update({("row", i, 0): sum(counts[i]) for i in range(rows)})
    values.update({("col", j, 0): sum(counts[i][j] for i in range(rows)) for j in range(cols)})
    values[("total", 0, 0)] = sum(values[("row", i, 0)] for i in range(rows))
    hidden = {u for u, v in values.items() if is_small(v, threshold)}

    def partners(unknown: Unknown) -> list[Unknown]:
        kind, a, b = unknown
        if kind == "cell":
            pool: list[Unknown] = [("cell", a, j) for j in range(cols)] + [("cell", i, b) for i in range(rows)]
        elif kind == "row":
            pool = [("row", i, 0) for i in range(rows)]
        elif kind == "col":
            pool = [("col", j, 0) for j in range(cols)]
        else:
            pool = []
        # Smallest first; a hidden zero can only go up, so non-zero values make better partners.
        return sorted((u for u in pool if u not in hidden), key=lambda u: (values[u] == 0, values[u], u))

    while found := determined(counts, hidden):
        target = min(found, key=lambda u: (values[u], u))
        options = partners(target)
        if not options:  # nothing left beside it: hide the grand total (and so the last equation)
            hidden.add(("total", 0, 0))
            if ("total", 0, 0) in found or target == ("total", 0, 0):
                # Even so determined: hide every total of the target's kind as a last resort.
                hidden.update(u for u in values if u[0] in ("row", "col"))
            continue
        if target[0] == "cell":
            # The classic partner set: the cheapest rectangle through the cell (its corners hidden, the cell
            # sits on a cycle of equations and can move up and down with them).
            _, i, j = target
            rectangles: list[list[Unknown]] = [
                [u for u in (("cell", i, j2), ("cell", i2, j), ("cell", i2, j2)) if u not in hidden]
                for i2 in range(rows)
                for j2 in range(cols)
                if i2 != i and j2 != j
            ]
            useful: list[list[Unknown]] = [
                r for r in rectangles if r and target not in determined(counts, hidden | set(r))
            ]
            if useful:
                # Zero corners only let the cell move one way (its true value would be the bound), so
                # rectangles without them come first, then the cheapest.
                def cost(r: list[Unknown]) -> tuple[int, int, int, list[Unknown]]:
                    return (sum(values[u] == 0 for u in r), sum(values[u] for u in r), len(r), r)

                best: list[Unknown] = min(useful, key=cost)
                hidden.update(best)
                continue
        # Otherwise one partner at a time: the one that leaves the fewest values determined (ties: the
        # smallest); the loop ends because every round hides at least one more value.
        hidden.add(min(options, key=lambda o: (len(determined(counts, hidden | {o})), options.index(o))))

    def cell(unknown: Unknown) -> Cell:
        return Cell(None, None) if unknown in hidden else Cell(values[unknown], values[unknown])

    return Table(
        cells=tuple(tuple(cell(("cell", i, j)) for j in range(cols)) for i in range(rows)),
        row_totals=tuple(cell(("row", i, 0)) for i in range(rows)),
        column_totals=tuple(cell(("col", j, 0)) for j in range(cols)),
        total=cell(("total", 0, 0)),
    )
