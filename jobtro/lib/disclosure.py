"""Disclosure control for aggregates shown outside the research role.

Primary suppression hides every count of persons below the threshold (but above zero - a zero
reveals nobody). Complementary suppression then hides the next-smallest cell in a row whose total
is shown, so a hidden cell can't be recovered by subtraction (DOMAIN.md, "Disclosure control").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


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
