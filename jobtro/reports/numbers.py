"""Numbers as the insight pages and meeting packs write them, in the active language (Danish: decimal
comma). Django's ``number_format`` cuts decimals off instead of rounding (1.5287 to two places is
"1,52"), so every figure is rounded here first - and a rounded -0.0 is written as 0."""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.translation import get_language


def danish() -> bool:
    return (get_language() or "da").startswith("da")


def decimal_mark() -> str:
    return "," if danish() else "."


def num(value: float | None, digits: int = 2) -> str:
    """``value`` rounded to ``digits`` decimals, without thousands grouping; "–" for a missing value."""
    if value is None:
        return "–"
    return str(number_format(round(float(value), digits) + 0.0, digits, force_grouping=False))


def integer(value: int | None) -> str:
    """A count with thousands grouping (2.642); "–" for a missing value."""
    return "–" if value is None else str(number_format(value, 0, force_grouping=True))


def pct(value: float | None, digits: int = 1) -> str:
    """A share (0..1) as a percentage: ``pct(0.4226)`` is "42,3 %"; "–" for a missing value."""
    return "–" if value is None else f"{num(100 * value, digits)} %"
