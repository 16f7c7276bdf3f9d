"""The helpers of jobtro.stats.trends: Wilson intervals (against statsmodels), take-up waves and the choice of
comparison for a staggered DiD (never treated, or not yet treated)."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest
from statsmodels.stats.proportion import proportion_confint

from jobtro.stats.did import fit_staggered_did
from jobtro.stats.trends import did_design, take_up_period, wilson_interval


@pytest.mark.parametrize(("x", "n"), [(0, 5), (1, 7), (41, 73), (73, 73), (3, 1000)])
def test_wilson_matches_statsmodels(x: int, n: int) -> None:
    expected = proportion_confint(x, n, alpha=0.05, method="wilson")
    np.testing.assert_allclose(wilson_interval(x, n), expected, rtol=1e-12, atol=1e-15)


def test_wilson_refuses_impossible_counts() -> None:
    with pytest.raises(ValueError):
        wilson_interval(1, 0)
    with pytest.raises(ValueError):
        wilson_interval(5, 4)


def test_take_up_counts_from_the_first_wave_opening_after_the_start() -> None:
    waves = [(0, date(2025, 1, 6)), (1, date(2025, 4, 6)), (2, date(2025, 7, 6))]
    assert take_up_period(date(2025, 1, 6), waves) == 1  # the baseline opening that day measures before
    assert take_up_period(date(2025, 1, 5), waves) == 0
    assert take_up_period(date(2025, 4, 7), waves) == 2
    assert take_up_period(date(2025, 7, 6), waves) is None


def test_never_treated_clusters_are_the_comparison() -> None:
    design = did_design({"a": 2, "b": 3, "c": None, "d": 0}, [0, 1, 2, 3])
    assert design.estimable
    assert design.comparison == "never"
    assert design.periods == (0, 1, 2, 3)
    assert design.first_treated == {"a": 2, "b": 3, "c": None}
    assert design.dropped == {"d": "always treated"}
    assert design.treated == {"a": 2, "b": 3}


def test_take_up_after_the_last_wave_counts_as_never() -> None:
    design = did_design({"a": 2, "b": 9}, [0, 1, 2])
    assert design.comparison == "never"
    assert design.first_treated == {"a": 2, "b": None}


def test_without_never_treated_the_last_cohort_is_the_comparison_until_it_is_treated() -> None:
    design = did_design({"a": 1, "b": 1, "c": 3, "d": 3}, [0, 1, 2, 3, 4])
    assert design.estimable
    assert design.comparison == "not_yet"
    assert design.periods == (0, 1, 2)
    assert design.first_treated == {"a": 1, "b": 1, "c": None, "d": None}


@pytest.mark.parametrize(
    ("first_treated", "periods", "reason"),
    [
        ({"a": 1, "b": 1}, [0, 1, 2], "one_cohort"),
        ({"a": None, "b": None}, [0, 1, 2], "no_treated"),
        ({"a": 0, "b": 0, "c": 1}, [0, 1, 2], "one_cohort"),
        ({"a": 1, "b": 2}, [0], "no_periods"),
        ({"a": 0, "b": 2, "c": None}, [0, 1, 2], ""),
    ],
)
def test_it_says_why_it_cannot_compare(first_treated: dict[str, int | None], periods: list[int], reason: str) -> None:
    design = did_design(first_treated, periods)
    assert design.reason == reason
    assert design.estimable == (reason == "")


def test_a_not_yet_treated_design_recovers_a_planted_effect() -> None:
    rng = np.random.default_rng(3)
    take_up = {"a": 1, "b": 2, "c": 2, "d": 4}
    rows = []
    for cluster, g in take_up.items():
        level = rng.normal(0, 1)
        rows.extend(
            (cluster, t, level + 0.1 * t + (1.0 if t >= g else 0.0) + rng.normal(0, 0.3))
            for t in range(5)
            for _ in range(40)
        )
    frame = pl.DataFrame(rows, schema={"cluster": pl.String, "t": pl.Int64, "y": pl.Float64}, orient="row")
    design = did_design(take_up, range(5))
    assert design.comparison == "not_yet"
    assert design.periods == (0, 1, 2, 3)
    data = frame.filter(pl.col("t").is_in(list(design.periods))).with_columns(
        pl.col("cluster").replace_strict(design.first_treated, return_dtype=pl.Int64, default=None).alias("g")
    )
    fit = fit_staggered_did(data, y="y", period="t", cluster="cluster", first_treated="g", intervals=False)
    assert fit.overall.estimate == pytest.approx(1.0, abs=0.1)
