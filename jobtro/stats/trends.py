"""Small pure helpers for belief over the waves: the Wilson interval of a share, the wave in which a
municipality's take-up of a focus area first counts, and which municipalities and waves a staggered
difference-in-differences (:func:`jobtro.stats.did.fit_staggered_did`) can compare. No Django.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Z95 = 1.959963984540054


def wilson_interval(successes: float, n: float, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of ``successes / n`` (good at small n and near 0 or 1, unlike Wald's);
    the counts may be fractional (an effective n, e.g. Kaplan-Meier's)."""
    if n <= 0:
        raise ValueError("n must be positive")
    if not 0 <= successes <= n:
        raise ValueError("successes must be between 0 and n")
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def take_up_period(start: date, periods: Sequence[tuple[int, date]]) -> int | None:
    """The first period (wave number) that opens strictly after ``start``: the first measurement that
    can show the work on a focus area begun on ``start`` (a wave opening on the very day the work begins
    measures belief from before it). ``periods`` are (number, opening day); None if none opens later."""
    later = [number for number, opens in periods if opens > start]
    return min(later) if later else None


Comparison = Literal["never", "not_yet"]


@dataclass(frozen=True)
class DiDDesign:
    """Which clusters and periods a staggered DiD compares, or why it cannot be estimated.

    ``first_treated`` maps every cluster kept to the period its treatment starts, None for the comparison
    clusters (never treated, or in a not-yet-treated design the last cohort, before it is treated).
    """

    estimable: bool
    reason: str = ""
    comparison: Comparison | None = None
    periods: tuple[int, ...] = ()
    first_treated: dict[str, int | None] = field(default_factory=dict)
    dropped: dict[str, str] = field(default_factory=dict)  # cluster -> why it is left out

    @property
    def clusters(self) -> int:
        return len(self.first_treated)

    @property
    def treated(self) -> dict[str, int]:
        return {c: g for c, g in self.first_treated.items() if g is not None}


def did_design(first_treated: Mapping[str, int | None], periods: Sequence[int]) -> DiDDesign:
    """Choose the comparison for a staggered DiD of absorbing treatments.

    A cluster treated from the first period on has no period before take-up to compare with: it is left
    out (``"always treated"``). A cluster treated only after the last period counts as never treated.
    With never-treated clusters they are the comparison; without any, the last cohort to be treated is
    the comparison while it is not yet treated (periods from its take-up on are left out), as in
    Callaway and Sant'Anna's not-yet-treated design. Reasons are short English phrases for logs; pages
    show their own words (by the keys ``"no_periods"``, ``"no_treated"``, ``"one_cohort"``,
    ``"too_few_clusters"``).
    """
    ordered = sorted(set(periods))
    if len(ordered) < 2:
        return DiDDesign(False, "no_periods")
    first, last = ordered[0], ordered[-1]
    kept: dict[str, int | None] = {}
    dropped: dict[str, str] = {}
    for cluster, g in sorted(first_treated.items()):
        if g is not None and g <= first:
            dropped[cluster] = "always treated"
        else:
            kept[cluster] = None if g is None or g > last else g
    cohorts = sorted({g for g in kept.values() if g is not None})
    if not cohorts:
        return DiDDesign(False, "no_treated", dropped=dropped)
    if any(g is None for g in kept.values()):
        comparison: Comparison = "never"
        used = tuple(ordered)
    else:
        if len(cohorts) < 2:
            return DiDDesign(False, "one_cohort", dropped=dropped)
        comparison = "not_yet"
        last_cohort = cohorts[-1]
        used = tuple(p for p in ordered if p < last_cohort)
        kept = {c: (None if g == last_cohort else g) for c, g in kept.items()}
    if len(kept) < 2:
        return DiDDesign(False, "too_few_clusters", dropped=dropped)
    return DiDDesign(True, "", comparison, used, kept, dropped)
