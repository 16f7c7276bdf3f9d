"""Staggered DiD against R: the group-time effects against ``lm()``, their CR1 standard errors against
``sandwich::vcovCL(type = "HC1")``, and the wild cluster restricted bootstrap p-value against a
brute-force R loop over all 6^5 Webb weight vectors with a full refit each (``results/did.R``).

The fixture ``results/data/did_panel.csv``: five municipalities (take-up in waves 2, 3, 4, two never),
six waves, 30 observations per municipality and wave, a true effect of 0.4 + 0.1 per wave since take-up
and municipality-by-wave shocks. Tolerances: estimates and SEs rtol 1e-9 (both are exact least
squares); the enumerated bootstrap p-value exactly (the same 7,776 draws on both sides).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from jobtro.stats.did import _Design, fit_staggered_did
from jobtro.stats.tests.results import did_results as R

DATA = pl.read_csv(Path(__file__).parent / "results" / "data" / "did_panel.csv")


@pytest.fixture(scope="module")
def fit() -> object:
    return fit_staggered_did(DATA, y="y", period="wave", cluster="municipality", first_treated="first_treated")


def test_group_time_effects_and_their_cr1_errors_match_lm_and_vcovcl(fit: object) -> None:
    from jobtro.stats.did import DiDResult

    assert isinstance(fit, DiDResult)
    np.testing.assert_allclose([e.estimate for e in fit.group_time], R.att, rtol=1e-9)
    np.testing.assert_allclose([e.se_cr1 for e in fit.group_time], R.att_se_cr1, rtol=1e-9)
    assert [e.label for e in fit.group_time][:2] == ["ATT(g=2, t=0)", "ATT(g=2, t=2)"]


def test_the_overall_effect_and_its_wild_bootstrap_p_value_match_the_brute_force_reference(fit: object) -> None:
    from jobtro.stats.did import DiDResult

    assert isinstance(fit, DiDResult)
    np.testing.assert_allclose(fit.overall.estimate, R.overall[0], rtol=1e-9)
    np.testing.assert_allclose(fit.overall.se_cr1, R.overall_se_cr1[0], rtol=1e-9)
    assert fit.overall.p_value == pytest.approx(R.overall_wcr_p[0], abs=1e-12)
    assert fit.enumerated and fit.bootstrap_draws == 6**5
    assert fit.n_clusters == 5 and fit.n_obs == DATA.height
    assert "5 clusters" in fit.caveat and "approximate" in fit.caveat


def test_the_event_study_weights_cohorts_by_observations(fit: object) -> None:
    from jobtro.stats.did import DiDResult

    assert isinstance(fit, DiDResult)
    by_label = {e.label: e for e in fit.group_time}
    e0 = next(e for e in fit.event_study if e.label == "e=0")
    expected = np.mean([by_label[f"ATT(g={g}, t={g})"].estimate for g in (2, 3, 4)])  # equal cell sizes
    assert e0.estimate == pytest.approx(expected, rel=1e-12)
    assert e0.n_obs == 90
    assert "e=-1" not in {e.label for e in fit.event_study}  # the reference period


def test_the_interval_is_where_the_bootstrap_test_stops_rejecting(fit: object) -> None:
    from jobtro.stats.did import DiDResult

    assert isinstance(fit, DiDResult)
    effect = next(e for e in fit.event_study if e.label == "e=1")
    assert effect.ci_low < effect.estimate < effect.ci_high
    assert np.isfinite(effect.ci_low) and np.isfinite(effect.ci_high)
    # Just inside the bounds the test does not reject at 5 %; well outside it does.
    design, a = _rebuild(fit, "e=1")
    weights = np.array(np.meshgrid(*[[-(1.5**0.5), -1, -(0.5**0.5), 0.5**0.5, 1, 1.5**0.5]] * 5)).reshape(5, -1)
    for bound, inward in ((effect.ci_low, 1e-4), (effect.ci_high, -1e-4)):
        theta0 = bound + inward
        t = (effect.estimate - theta0) / effect.se_cr1
        assert design.wcr_p(a, theta0, weights, t) > 0.05


def _rebuild(fit: object, label: str) -> tuple[_Design, np.ndarray]:
    from jobtro.stats.did import DiDResult

    assert isinstance(fit, DiDResult)
    # The same design as the fit's, built the slow, obvious way.
    d = DATA.with_columns(pl.col("municipality").rank("dense").cast(pl.Int64).alias("c") - 1)
    cols = [np.ones(d.height)]
    cols += [(d["c"].to_numpy() == c).astype(float) for c in range(1, 5)]
    cols += [(d["wave"].to_numpy() == t).astype(float) for t in range(1, 6)]
    cells = [n for n in fit.names if n.startswith("ATT")]
    for name in cells:
        g, t = (int(part.split("=")[1]) for part in name[4:-1].split(", "))
        cols.append(((d["first_treated"].to_numpy() == g) & (d["wave"].to_numpy() == t)).astype(float))
    x = np.column_stack(cols)
    design = _Design(x, d["y"].to_numpy(), d["c"].to_numpy(), 5)
    a = np.zeros(x.shape[1])
    offset = x.shape[1] - len(cells)
    for i, name in enumerate(cells):
        g, t = (int(part.split("=")[1]) for part in name[4:-1].split(", "))
        if f"e={t - g}" == label:
            a[offset + i] = 1.0
    return design, a / a.sum()


def test_bad_input_is_refused() -> None:
    kwargs = {"y": "y", "period": "wave", "cluster": "municipality", "first_treated": "first_treated"}
    with pytest.raises(ValueError, match="never-treated"):
        fit_staggered_did(DATA.filter(pl.col("first_treated").is_not_null()), **kwargs)
    with pytest.raises(ValueError, match="same for every row"):
        fit_staggered_did(
            DATA.with_columns(
                pl.when(pl.col("wave") == 0).then(1).otherwise(pl.col("first_treated")).alias("first_treated")
            ),
            **kwargs,
        )
    with pytest.raises(ValueError, match="missing column"):
        fit_staggered_did(DATA, **{**kwargs, "y": "nope"})
