"""Disclosure control as the views and exports apply it: the threshold is a setting, researchers are exempt.

Every aggregate shown (or exported) to anyone but a researcher goes through this module: lists of counts
(``counts_for``, ``total_for``), two-way tables with their row, column and grand totals (``table_for``), and
statistics computed from a group of persons (``shows_statistic``: a share, mean or hazard ratio resting on
fewer persons than the threshold is not shown). The rules themselves are :mod:`jobtro.lib.disclosure`.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings

from jobtro.lib.disclosure import Cell, Table, suppress_counts, suppress_table, suppress_total
from jobtro.organisation import access
from jobtro.organisation.access import AnyUser


def threshold() -> int:
    return int(settings.JOBTRO_DISCLOSURE_THRESHOLD)


def counts_for(user: AnyUser, counts: Sequence[int], *, total_shown: bool = True) -> list[Cell]:
    if access.aggregates_unsuppressed(user):
        return [Cell(c, c) for c in counts]
    return suppress_counts(counts, threshold(), total_shown=total_shown)


def total_for(user: AnyUser, total: int) -> Cell:
    if access.aggregates_unsuppressed(user):
        return Cell(total, total)
    return suppress_total(total, threshold())


def shows_statistic(user: AnyUser, n: int) -> bool:
    """Whether a statistic (share, mean, hazard ratio) computed from ``n`` persons may be shown to the user:
    always to researchers, otherwise only from at least the threshold of persons ("for få til at vise")."""
    return access.aggregates_unsuppressed(user) or n >= threshold()


def _whole(counts: Sequence[Sequence[int]]) -> Table:
    rows = [sum(r) for r in counts]
    cols = [sum(r[j] for r in counts) for j in range(len(counts[0]))] if counts else []
    total = sum(rows)
    return Table(
        cells=tuple(tuple(Cell(c, c) for c in r) for r in counts),
        row_totals=tuple(Cell(t, t) for t in rows),
        column_totals=tuple(Cell(t, t) for t in cols),
        total=Cell(total, total),
    )


def table_for(user: AnyUser, rows: Sequence[Sequence[int]]) -> Table:
    """A two-way table of person counts (``rows[i][j]``) as the user may see it, with its row, column and
    grand totals: whole for researchers, otherwise with every count under the threshold hidden and the
    complementary cells that would reveal one from the totals (:func:`jobtro.lib.disclosure.suppress_table`).

    A table of one row or one column is a list with a total: each of its cells is also a total of the
    other dimension, so it is suppressed as a list whose total is shown (``suppress_counts``)."""
    counts = [list(r) for r in rows]
    if any(len(r) != len(counts[0]) for r in counts):
        raise ValueError("every row must have the same number of cells")
    if any(c < 0 for r in counts for c in r):
        raise ValueError("counts cannot be negative")
    if access.aggregates_unsuppressed(user) or not counts or not counts[0]:
        return _whole(counts)
    limit = threshold()
    if len(counts) >= 2 and len(counts[0]) >= 2:
        return suppress_table(counts, limit)
    total = suppress_total(sum(sum(r) for r in counts), limit)
    if len(counts) == 1:
        cells = suppress_counts(counts[0], limit, total_shown=not total.suppressed)
        return Table(cells=(tuple(cells),), row_totals=(total,), column_totals=tuple(cells), total=total)
    column = suppress_counts([r[0] for r in counts], limit, total_shown=not total.suppressed)
    return Table(cells=tuple((c,) for c in column), row_totals=tuple(column), column_totals=(total,), total=total)


# --- downloads ------------------------------------------------------------------------------------------------
#
# Every file the platform hands out, by the module that serves it, and why it obeys disclosure control. An
# aggregate download for anyone but researchers must build its numbers with this module (counts_for,
# table_for, shows_statistic); tests/test_disclosure_exports.py fails on a download module that is neither
# listed here nor uses this module, so a new export cannot slip past the rules.
RESEARCHERS = "researchers"  # row-level, pseudonymised, researchers only (the module's access check says so)
OWN = "own"  # the user's own or their municipality's records, no aggregate across persons
DOWNLOADS: dict[str, str] = {
    "jobtro/measurement/export_views.py": RESEARCHERS,  # answer exports: access.can_export_answers
    "jobtro/outcomes/views.py": OWN,  # the problems of a data manager's own register upload
    "jobtro/collaboration/log_views.py": OWN,  # an attachment to an experience-log entry the user may see
    "jobtro/collaboration/views.py": OWN,  # calendar feeds of the activities the user may see
}
