"""Disclosure control as the views apply it: the threshold is a setting, researchers are exempt."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings

from jobtro.lib.disclosure import Cell, suppress_counts, suppress_total
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
