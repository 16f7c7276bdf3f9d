"""Belief over time against R: the crossed random-intercept model against ``lme4::lmer`` (REML and ML)
and the proportional-odds model against ``ordinal::clm``, on a subset of the demo simulation.

The reference values are ``results/belief_results.py``, written by ``results/belief.R``; the fixture
``results/data/belief_panel.csv`` was written from ``simulate(replace(demo_config(seed=11), weeks=60))``:
specific beliefs (not "Ved ikke") of caseworkers 1-24 with the citizen's age ((age - 40) / 10), sex and
the caseworker's general belief.

Tolerances (the issue's "mixed models 1e-5 / 1e-4"): LMM fixed effects rtol 1e-5, their SEs and the
variance components rtol 1e-4 (both fits stop at their optimiser's tolerance in theta), log-likelihood
rtol 1e-9; proportional odds rtol 1e-7 for everything (both are Newton fits to machine precision).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from jobtro.stats.belief import _po_loglik_grad, fit_crossed_lmm, fit_proportional_odds
from jobtro.stats.tests.results import belief_results as R

DATA = pl.read_csv(Path(__file__).parent / "results" / "data" / "belief_panel.csv")
X = ["wave", "age10", "female", "general"]


@pytest.mark.parametrize("reml", [True, False], ids=["reml", "ml"])
def test_the_crossed_model_matches_lme4(reml: bool) -> None:
    tag = "lmm_reml" if reml else "lmm_ml"
    fit = fit_crossed_lmm(DATA, y="belief", x=X, reml=reml)
    assert fit.converged
    assert fit.names == ("Intercept", *X)
    np.testing.assert_allclose(fit.params, getattr(R, f"{tag}_params"), rtol=1e-5)
    np.testing.assert_allclose(fit.se, getattr(R, f"{tag}_se"), rtol=1e-4)
    np.testing.assert_allclose(fit.variances, getattr(R, f"{tag}_variances"), rtol=1e-4)
    np.testing.assert_allclose(fit.loglik, getattr(R, f"{tag}_loglik")[0], rtol=1e-9)
    assert (fit.n, fit.n_caseworkers, fit.n_citizens) == (DATA.height, 24, DATA["citizen_id"].n_unique())


def test_the_crossed_model_recovers_known_variances() -> None:
    rng = np.random.default_rng(5)
    caseworker = np.repeat(np.arange(60), 200)
    citizen = rng.integers(0, 3000, size=caseworker.size)  # crossed: citizens spread over caseworkers
    x = rng.normal(size=caseworker.size)
    y = (
        1.0
        + 0.5 * x
        + rng.normal(0, 0.7, 60)[caseworker]
        + rng.normal(0, 0.4, 3000)[citizen]
        + rng.normal(0, 1, x.size)
    )
    data = pl.DataFrame({"y": y, "x": x, "caseworker_id": caseworker, "citizen_id": citizen})
    fit = fit_crossed_lmm(data, y="y", x=["x"])
    np.testing.assert_allclose(fit.params, [1.0, 0.5], atol=0.25)
    np.testing.assert_allclose(np.sqrt(fit.variances), [0.7, 0.4, 1.0], rtol=0.2)
    assert 0 < fit.icc()[0] < 1


def test_the_proportional_odds_model_matches_clm() -> None:
    fit = fit_proportional_odds(DATA, y="belief", x=X)
    assert fit.converged and fit.levels == (1, 2, 3, 4, 5)
    np.testing.assert_allclose(fit.thresholds, R.clm_thresholds, rtol=1e-7)
    np.testing.assert_allclose(fit.params, R.clm_beta, rtol=1e-7)
    np.testing.assert_allclose(fit.threshold_se, R.clm_threshold_se, rtol=1e-7)
    np.testing.assert_allclose(fit.se, R.clm_beta_se, rtol=1e-7)
    np.testing.assert_allclose(fit.loglik, R.clm_loglik[0], rtol=1e-10)
    np.testing.assert_allclose(fit.odds_ratios(), np.exp(R.clm_beta), rtol=1e-7)


def test_the_analytic_gradient_of_the_proportional_odds_likelihood_is_the_numerical_one() -> None:
    design = DATA.select(X).to_numpy().astype(float)
    codes = DATA["belief"].to_numpy() - 1
    params = np.array([-2.0, -0.1, 1.3, 3.0, -0.05, -0.6, -0.3, 1.0])
    _, grad = _po_loglik_grad(params, design, codes, 5)
    numerical = np.empty_like(params)
    for j in range(len(params)):
        h = 1e-6
        up, down = params.copy(), params.copy()
        up[j] += h
        down[j] -= h
        numerical[j] = (_po_loglik_grad(up, design, codes, 5)[0] - _po_loglik_grad(down, design, codes, 5)[0]) / (2 * h)
    np.testing.assert_allclose(grad, numerical, rtol=1e-6, atol=1e-6)


def test_bad_input_is_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="missing column"):
        fit_crossed_lmm(DATA, y="belief", x=["nope"])
    with pytest.raises(ValueError, match="consecutive"):
        fit_proportional_odds(DATA.filter(pl.col("belief") != 3), y="belief", x=X)
    with pytest.raises(ValueError, match="missing values"):
        fit_proportional_odds(DATA.with_columns(pl.lit(None, pl.Float64).alias("age10")), y="belief", x=X)
