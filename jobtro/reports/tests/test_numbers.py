"""Figures on the insight pages are rounded, not cut off (Django's number_format cuts), in Danish with a
decimal comma and in English with a point."""

from __future__ import annotations

from django.utils import translation

from jobtro.reports.numbers import integer, num, pct


def test_figures_are_rounded_not_cut_off() -> None:
    with translation.override("da"):
        assert num(1.5287) == "1,53"  # number_format alone gives "1,52"
        assert num(1.1578) == "1,16"
        assert pct(0.99999, 0) == "100 %"
        assert pct(0.4226) == "42,3 %"


def test_a_rounded_negative_zero_is_zero_and_missing_is_a_dash() -> None:
    with translation.override("da"):
        assert num(-0.001) == "0,00"
        assert num(None) == "–"
        assert integer(None) == "–"
        assert pct(None) == "–"


def test_english_uses_a_decimal_point_and_danish_groups_thousands() -> None:
    with translation.override("en"):
        assert num(1.5287) == "1.53"
    with translation.override("da"):
        assert integer(2642) == "2.642"
