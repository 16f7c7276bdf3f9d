"""Calibration of beliefs against R (``results/calibration.R`` -> ``results/calibration_results.py``).

Tolerances: the concordance, its five pair counts and its infinitesimal-jackknife variance against
``survival::concordance`` to ``rtol=1e-8`` (in fact they agree to rounding); the shares per level and
their limits against ``survfit(conf.type = "log")``, the binomial limits against ``prop.test`` /
``binom.test`` and the Brier scores against the same IPCW formula written with R's reverse
Kaplan–Meier, all to ``rtol=1e-10``. The counting is also checked against an O(n^2) pair loop on random
data with every kind of tie (hypothesis).
"""

from __future__ import annotations

import dataclasses
import doctest
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobtro.stats.calibration import (
    Calibration,
    Concordance,
    brier_score,
    calibrate,
    concordance,
    observed_shares,
)
from jobtro.stats.tests.results import calibration_results as R

DATA = Path(__file__).parent / "results" / "data"
RTOL_C = 1e-8
RTOL = 1e-10


@pytest.fixture(scope="module")
def weeks() -> pl.DataFrame:
    return pl.read_csv(DATA / "calibration_weeks.csv", schema_overrides={"municipality": pl.String})


@pytest.fixture(scope="module")
def continuous() -> pl.DataFrame:
    return pl.read_csv(DATA / "calibration_continuous.csv")


@pytest.fixture(scope="module")
def small() -> pl.DataFrame:
    return pl.read_csv(DATA / "calibration_small.csv")


def _col(frame: pl.DataFrame, name: str) -> np.ndarray:
    return frame[name].to_numpy()


def _assert_same(a: Calibration, b: Calibration) -> None:
    np.testing.assert_equal(dataclasses.asdict(a), dataclasses.asdict(b))  # nan equals nan here


def _check_concordance(c: Concordance, ref: dict[str, Any]) -> None:
    for name in ("concordant", "discordant", "tied_x", "tied_y", "tied_xy", "concordance", "variance"):
        np.testing.assert_allclose(getattr(c, name), ref[name], rtol=RTOL_C, atol=0, err_msg=name)
    assert c.n == ref["n"]


# --------------------------------------------------------------------------------------------------
# Concordance against R


@pytest.mark.parametrize(
    ("ref", "kwargs"),
    [
        (R.CONC_WEEKS, {}),
        (R.CONC_WEEKS_FORWARD, {"reverse": False}),
        (R.CONC_WEEKS_CLUSTER, {"cluster": "caseworker"}),
        (R.CONC_WEEKS_STRATA, {"strata": "municipality"}),
        (R.CONC_WEEKS_WEIGHTS, {"weights": "weight", "cluster": "caseworker"}),
    ],
    ids=["reverse", "forward", "cluster", "strata", "weights+cluster"],
)
def test_concordance_matches_r_on_weekly_spells(
    weeks: pl.DataFrame, ref: dict[str, Any], kwargs: dict[str, Any]
) -> None:
    args = {k: (v if isinstance(v, bool) else _col(weeks, v)) for k, v in kwargs.items()}
    c = concordance(_col(weeks, "time"), _col(weeks, "event"), _col(weeks, "belief"), **args)
    _check_concordance(c, ref)
    assert c.reverse is kwargs.get("reverse", True)


def test_concordance_matches_r_with_complete_follow_up(weeks: pl.DataFrame) -> None:
    c = concordance(_col(weeks, "full_time"), _col(weeks, "full_event"), _col(weeks, "belief"))
    _check_concordance(c, R.CONC_WEEKS_FULL)


@pytest.mark.parametrize(
    ("ref", "kwargs"),
    [
        (R.CONC_CONTINUOUS, {}),
        (R.CONC_CONTINUOUS_FORWARD, {"reverse": False}),
        (R.CONC_CONTINUOUS_ALL, {"strata": "stratum", "weights": "weight", "cluster": "cluster"}),
    ],
    ids=["reverse", "forward", "strata+weights+cluster"],
)
def test_concordance_matches_r_for_a_continuous_predictor(
    continuous: pl.DataFrame, ref: dict[str, Any], kwargs: dict[str, Any]
) -> None:
    args = {k: (v if isinstance(v, bool) else _col(continuous, v)) for k, v in kwargs.items()}
    c = concordance(_col(continuous, "time"), _col(continuous, "event"), _col(continuous, "x"), **args)
    _check_concordance(c, ref)


def test_concordance_matches_r_on_every_kind_of_tie(small: pl.DataFrame) -> None:
    t, e, b = _col(small, "time"), _col(small, "event"), _col(small, "belief")
    _check_concordance(concordance(t, e, b), R.CONC_SMALL)
    _check_concordance(concordance(t, e, b, strata=_col(small, "stratum")), R.CONC_SMALL_STRATA)


def test_the_direction_higher_belief_sooner_gives_c_above_one_half() -> None:
    # Belief 5 leaves first, belief 1 last: perfectly concordant in the platform's direction.
    c = concordance([1, 2, 3, 4, 5], [1, 1, 1, 1, 1], [5, 4, 3, 2, 1])
    assert (c.concordance, c.concordant, c.discordant) == (1.0, 10.0, 0.0)
    assert c.somers_d == 1.0
    backward = concordance([1, 2, 3, 4, 5], [1, 1, 1, 1, 1], [5, 4, 3, 2, 1], reverse=False)
    assert (backward.concordance, backward.concordant, backward.discordant) == (0.0, 0.0, 10.0)


def _pairs(t: np.ndarray, e: np.ndarray, x: np.ndarray, s: np.ndarray, w: np.ndarray) -> tuple[list[float], float]:
    """R's pair definitions by brute force, O(n^2): counts and the IJ variance."""
    n = len(t)
    counts = [0.0] * 5
    infl = np.zeros((n, 3))
    for i in range(n):
        if not e[i]:
            continue
        for j in range(n):
            if j == i or s[i] != s[j]:
                continue
            if t[j] > t[i] or (t[j] == t[i] and not e[j]):
                kind = 0 if x[i] > x[j] else 1 if x[i] < x[j] else 2
                counts[kind] += w[i] * w[j]
                infl[i, kind] += w[j]
                infl[j, kind] += w[i]
            elif t[j] == t[i] and j > i:  # both events at the same time
                counts[4 if x[i] == x[j] else 3] += w[i] * w[j]
    pairs = sum(counts[:3])
    if pairs == 0:
        return counts, math.nan
    somers = (counts[0] - counts[1]) / pairs
    dfbeta = w * ((infl[:, 0] - infl[:, 1]) / pairs - somers / pairs * infl.sum(axis=1))
    return counts, float(dfbeta @ dfbeta) / 4


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 6),  # time: few values, many ties
            st.booleans(),
            st.sampled_from([1.0, 2.0, 3.0, 2.5, -1.0]),
            st.integers(0, 2),
            st.sampled_from([1.0, 2.0, 0.5]),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_counting_equals_the_pair_loop(rows: list[tuple[int, bool, float, int, float]]) -> None:
    t, e, x, s, w = (np.array(c, dtype=np.float64) for c in zip(*rows, strict=True))
    counts, variance = _pairs(t, e, x, s, w)
    c = concordance(t, e, x, strata=s, weights=w)
    np.testing.assert_allclose(
        [c.concordant, c.discordant, c.tied_x, c.tied_y, c.tied_xy], counts, rtol=1e-12, atol=1e-12
    )
    if math.isnan(variance):
        assert math.isnan(c.concordance) and math.isnan(c.variance)
    else:
        np.testing.assert_allclose(c.variance, variance, rtol=1e-9, atol=1e-15)


def test_frequency_weights_equal_the_resampled_data(weeks: pl.DataFrame) -> None:
    # The bootstrap evaluates a replicate as weights on the original rows; that must be the statistic of
    # the resampled data set itself.
    rng = np.random.default_rng(3)
    idx = rng.integers(0, weeks.height, weeks.height)
    draws = np.bincount(idx, minlength=weeks.height).astype(np.float64)
    t, e, b = _col(weeks, "time"), _col(weeks, "event"), _col(weeks, "belief")
    resampled = concordance(t[idx], e[idx], b[idx])
    weighted = concordance(t, e, b, weights=draws)
    for name in ("concordant", "discordant", "tied_x", "concordance"):
        np.testing.assert_allclose(getattr(weighted, name), getattr(resampled, name), rtol=1e-12)
    shares_r = observed_shares(t[idx], e[idx], b[idx])
    shares_w = observed_shares(t, e, b, weights=draws)
    np.testing.assert_allclose([s.share for s in shares_w], [s.share for s in shares_r], rtol=1e-12)
    p = np.array([0.05, 0.1, 0.2, 0.35, 0.6])[b.astype(int) - 1]
    np.testing.assert_allclose(brier_score(t, e, p, weights=draws), brier_score(t[idx], e[idx], p[idx]), rtol=1e-12)


def test_concordance_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="event must be 0 or 1"):
        concordance([1, 2], [1, 2], [1, 2])
    with pytest.raises(ValueError, match="missing"):
        concordance([1, 2], [1, 0], [1, math.nan])
    with pytest.raises(ValueError, match="non-negative"):
        concordance([-1, 2], [1, 0], [1, 2])
    with pytest.raises(ValueError, match="expected 2"):
        concordance([1, 2], [1, 0], [1, 2, 3])


def test_no_comparable_pair_gives_nan() -> None:
    c = concordance([1, 2], [0, 0], [1, 2])
    assert math.isnan(c.concordance) and c.concordant == 0


# --------------------------------------------------------------------------------------------------
# Shares per level


def test_level_shares_match_survfit_at_the_horizon(weeks: pl.DataFrame) -> None:
    t, e, b = _col(weeks, "time"), _col(weeks, "event"), _col(weeks, "belief")
    for conf, ref in ((0.95, R.KM_WEEKS), (0.90, R.KM_WEEKS_90)):
        shares = observed_shares(t, e, b, conf_level=conf)
        assert [s.level for s in shares] == list(ref["level"])
        assert all(s.interval == "greenwood-log" for s in shares)  # every level has early censoring
        np.testing.assert_allclose([1 - s.share for s in shares], ref["survival"], rtol=RTOL)
        np.testing.assert_allclose([1 - s.ci_high for s in shares], ref["lower"], rtol=RTOL)
        np.testing.assert_allclose([1 - s.ci_low for s in shares], ref["upper"], rtol=RTOL)
    weighted = observed_shares(t, e, b, weights=_col(weeks, "weight"))
    np.testing.assert_allclose([1 - s.share for s in weighted], R.KM_WEEKS_WEIGHTED["survival"], rtol=RTOL)
    np.testing.assert_allclose([1 - s.ci_high for s in weighted], R.KM_WEEKS_WEIGHTED["lower"], rtol=RTOL)
    np.testing.assert_allclose([1 - s.ci_low for s in weighted], R.KM_WEEKS_WEIGHTED["upper"], rtol=RTOL)
    (overall,) = observed_shares(t, e, np.zeros_like(t))
    np.testing.assert_allclose(1 - overall.share, R.KM_WEEKS_ALL["survival"], rtol=RTOL)
    np.testing.assert_allclose(
        [1 - overall.ci_high, 1 - overall.ci_low], [R.KM_WEEKS_ALL["lower"], R.KM_WEEKS_ALL["upper"]], rtol=RTOL
    )


def test_level_shares_without_early_censoring_are_binomial(weeks: pl.DataFrame) -> None:
    t, e, b = _col(weeks, "full_time"), _col(weeks, "full_event"), _col(weeks, "belief")
    ref = R.BINOM_WEEKS_FULL
    wilson = observed_shares(t, e, b)
    exact = observed_shares(t, e, b, binomial="exact")
    assert [s.interval for s in wilson] == ["wilson"] * 5 and [s.interval for s in exact] == ["exact"] * 5
    np.testing.assert_array_equal([s.events for s in wilson], ref["x"])
    np.testing.assert_array_equal([s.n for s in wilson], ref["n"])
    assert [s.censored for s in wilson] == [0] * 5
    np.testing.assert_allclose([s.share for s in wilson], ref["x"] / ref["n"], rtol=1e-15)
    np.testing.assert_allclose([s.ci_low for s in wilson], ref["wilson_low"], rtol=RTOL)
    np.testing.assert_allclose([s.ci_high for s in wilson], ref["wilson_high"], rtol=RTOL)
    np.testing.assert_allclose([s.ci_low for s in exact], ref["exact_low"], rtol=RTOL)
    np.testing.assert_allclose([s.ci_high for s in exact], ref["exact_high"], rtol=RTOL)


@pytest.mark.parametrize("k", range(7))
def test_binomial_limits_at_the_edges(k: int) -> None:
    ref = R.BINOM_EDGES
    x, n = int(ref["x"][k]), int(ref["n"][k])
    # x events in week 1 and n - x followed to the horizon: nothing censored early.
    t = np.array([1.0] * x + [52.0] * (n - x))
    e = np.array([1.0] * x + [0.0] * (n - x))
    (wilson,) = observed_shares(t, e, np.ones(n), conf_level=ref["conf"])
    (exact,) = observed_shares(t, e, np.ones(n), conf_level=ref["conf"], binomial="exact")
    np.testing.assert_allclose(
        [wilson.ci_low, wilson.ci_high], [ref["wilson_low"][k], ref["wilson_high"][k]], rtol=RTOL, atol=1e-15
    )
    np.testing.assert_allclose(
        [exact.ci_low, exact.ci_high], [ref["exact_low"][k], ref["exact_high"][k]], rtol=RTOL, atol=1e-15
    )


def test_an_event_after_the_horizon_and_a_censoring_at_it_are_known_no_events() -> None:
    (share,) = observed_shares([3, 52, 60, 10], [1, 0, 1, 1], [1, 1, 1, 1])
    assert (share.n, share.events, share.censored, share.share) == (4, 2, 0, 0.5)
    assert share.interval == "wilson"


# --------------------------------------------------------------------------------------------------
# Brier score


@pytest.mark.parametrize(
    ("time", "event", "weight", "ref"),
    [
        ("time", "event", None, R.BRIER_WEEKS),
        ("time", "event", "weight", R.BRIER_WEEKS_WEIGHTED),
        ("full_time", "full_event", None, R.BRIER_WEEKS_FULL),
    ],
    ids=["censored", "weighted", "complete"],
)
def test_brier_scores_match_r(
    weeks: pl.DataFrame, time: str, event: str, weight: str | None, ref: dict[str, Any]
) -> None:
    cal = calibrate(weeks, time=time, event=event, belief="belief", weights=weight, replications=0)
    np.testing.assert_allclose(cal.brier.estimate, ref["brier"], rtol=RTOL)
    np.testing.assert_allclose(cal.brier_reference.estimate, ref["reference"], rtol=RTOL)
    np.testing.assert_allclose(cal.brier_skill.estimate, 1 - ref["brier"] / ref["reference"], rtol=RTOL)
    given = {1: 0.05, 2: 0.10, 3: 0.20, 4: 0.35, 5: 0.60}
    mapped = calibrate(weeks, time=time, event=event, belief="belief", weights=weight, mapping=given, replications=0)
    np.testing.assert_allclose(mapped.brier.estimate, ref["brier_given"], rtol=RTOL)
    assert mapped.mapping_given and [s.predicted for s in mapped.levels] == list(given.values())
    p = np.array([given[int(v)] for v in _col(weeks, "belief")])
    w = None if weight is None else _col(weeks, weight)
    np.testing.assert_allclose(
        brier_score(_col(weeks, time), _col(weeks, event), p, horizon=30, weights=w), ref["brier_h30"], rtol=RTOL
    )


def test_brier_without_censoring_is_the_plain_mean_and_the_within_level_variance(weeks: pl.DataFrame) -> None:
    t, e, b = _col(weeks, "full_time"), _col(weeks, "full_event"), _col(weeks, "belief")
    y = (e == 1) & (t <= 52)
    p = np.array([0.05, 0.1, 0.2, 0.35, 0.6])[b.astype(int) - 1]
    np.testing.assert_allclose(brier_score(t, e, p), np.mean((y - p) ** 2), rtol=1e-14)
    cal = calibrate(weeks, time="full_time", event="full_event", belief="belief", replications=0)
    within = sum(s.n * s.share * (1 - s.share) for s in cal.levels) / cal.n
    np.testing.assert_allclose(cal.brier.estimate, within, rtol=1e-12)
    np.testing.assert_allclose(cal.brier_reference.estimate, y.mean() * (1 - y.mean()), rtol=1e-12)


def test_brier_by_hand_with_early_censoring() -> None:
    # Censored at 2 (before H = 4): weight 0, and the others are reweighted by 1/G.
    t = np.array([1.0, 2.0, 3.0, 4.0, 6.0])
    e = np.array([1.0, 0.0, 1.0, 0.0, 1.0])
    p = np.full(5, 0.5)
    # Reverse KM: censoring at 2 with 4 at risk -> G(t-) = 1 for t <= 2, 3/4 after.
    expected = (0.25 / 1 + 0.25 / 0.75 + 0.25 / 0.75 + 0.25 / 0.75) / 5
    assert brier_score(t, e, p, horizon=4) == pytest.approx(expected, rel=1e-14)


def test_brier_rejects_probabilities_outside_zero_one() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        brier_score([1, 2], [1, 0], [0.5, 1.5])


# --------------------------------------------------------------------------------------------------
# calibrate: the whole, and the bootstrap


def test_calibrate_puts_the_pieces_together(weeks: pl.DataFrame) -> None:
    cal = calibrate(weeks, time="time", event="event", belief="belief", cluster="caseworker", replications=50, seed=1)
    assert isinstance(cal, Calibration) and cal.n == weeks.height and cal.dropped == 0
    _check_concordance(cal.concordance, R.CONC_WEEKS_CLUSTER)
    assert cal.concordance_boot.estimate == cal.concordance.concordance
    np.testing.assert_allclose([1 - s.share for s in cal.levels], R.KM_WEEKS["survival"], rtol=RTOL)
    np.testing.assert_allclose(1 - cal.overall.share, R.KM_WEEKS_ALL["survival"], rtol=RTOL)
    for interval in (cal.brier, cal.brier_reference, cal.brier_skill, cal.concordance_boot):
        assert interval.ci_low < interval.estimate < interval.ci_high and interval.std_err > 0
    for s in cal.levels:
        assert s.boot_low < s.share < s.boot_high
    # The percentile interval of C is about as wide as the IJ interval (both by caseworker).
    width = cal.concordance_boot.ci_high - cal.concordance_boot.ci_low
    assert 0.5 < width / (2 * 1.96 * cal.concordance.std_err) < 2
    table = cal.table()
    assert table.height == 6 and table["level"].to_list() == [1, 2, 3, 4, 5, None]
    text = cal.summary()
    assert "C-index" in text and "bootstrap 50 by caseworker" in text
    with pytest.raises(dataclasses.FrozenInstanceError):
        cal.n = 1  # type: ignore[misc]


def test_the_bootstrap_is_reproducible_and_depends_on_the_seed_and_the_cluster(weeks: pl.DataFrame) -> None:
    def run(**kwargs: Any) -> Calibration:
        return calibrate(weeks, time="time", event="event", belief="belief", replications=30, **kwargs)

    first, again, other = run(seed=7), run(seed=7), run(seed=8)
    _assert_same(first, again)
    assert first.concordance_boot != other.concordance_boot
    clustered = run(seed=7, cluster="caseworker")
    assert clustered.concordance_boot != first.concordance_boot
    assert clustered.concordance.variance != first.concordance.variance


def test_missing_beliefs_are_left_out_and_counted_for_polars_and_pandas(weeks: pl.DataFrame) -> None:
    holes = weeks.with_columns(
        pl.when(pl.int_range(pl.len()) % 10 == 0).then(None).otherwise(pl.col("belief")).alias("belief")
    )
    from_polars = calibrate(
        holes, time="time", event="event", belief="belief", cluster="municipality", replications=5, seed=2
    )
    from_pandas = calibrate(
        holes.to_pandas(), time="time", event="event", belief="belief", cluster="municipality", replications=5, seed=2
    )
    assert from_polars.dropped == 300 and from_polars.n == 2700
    _assert_same(from_polars, from_pandas)
    kept = weeks.filter(pl.int_range(pl.len()) % 10 != 0)
    direct = concordance(_col(kept, "time"), _col(kept, "event"), _col(kept, "belief"))
    assert from_polars.concordance.concordant == direct.concordant


def test_calibrate_rejects_bad_input(weeks: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match="no column 'nope'"):
        calibrate(weeks, time="nope", event="event", belief="belief", replications=0)
    with pytest.raises(ValueError, match="no probability for level"):
        calibrate(weeks, time="time", event="event", belief="belief", mapping={1: 0.1}, replications=0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        calibrate(
            weeks, time="time", event="event", belief="belief", mapping=dict.fromkeys(range(1, 6), 2.0), replications=0
        )
    with pytest.raises(ValueError, match="replications"):
        calibrate(weeks, time="time", event="event", belief="belief", replications=-1)
    with pytest.raises(ValueError, match="no measurements"):
        calibrate(
            pl.DataFrame({"t": [1.0], "e": [1], "b": [None]}, schema_overrides={"b": pl.Int8}),
            time="t",
            event="e",
            belief="b",
        )
    with pytest.raises(ValueError, match="binomial"):
        observed_shares([1], [1], [1], binomial="jeffreys")  # type: ignore[arg-type]


def test_pandas_and_polars_frames_give_the_same_calibration(small: pl.DataFrame) -> None:
    a = calibrate(small, time="time", event="event", belief="belief", horizon=4, replications=20, seed=3)
    b = calibrate(
        pd.DataFrame(small.to_dict(as_series=False)),
        time="time",
        event="event",
        belief="belief",
        horizon=4,
        replications=20,
        seed=3,
    )
    _assert_same(a, b)


def test_the_docstring_examples_hold() -> None:
    from jobtro.stats import calibration

    assert doctest.testmod(calibration).failed == 0
