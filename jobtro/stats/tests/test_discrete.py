"""Discrete-time hazard models against R, and the collapsed cells against the expanded person-periods.

Reference values: ``results/discrete.R`` fits ``glm(y ~ ..., family = binomial(link))`` on the EXPANDED
person-period data and takes ``sandwich::vcovCL(fit, cluster = ~cluster)`` (its glm default, HC0 with
G/(G-1)) and ``vcovCL(..., type = "HC1")``; it writes ``results/discrete_results.py``.

Tolerances (the issue's for GLMs): coefficients ``rtol=1e-5``, standard errors (model and both robust
types) ``rtol=1e-4``, log-likelihood ``rtol=1e-8``; counts exactly. Achieved: coefficients within 2e-8,
SEs within 3e-7 (R stops at its own convergence criterion; the rest is that). Collapsed against
expanded data in Python ``rtol=1e-10``; against statsmodels GLM on the expanded data ``rtol=1e-6`` (its
convergence criterion; robust SEs under logit only, see the test).
"""

from __future__ import annotations

from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm

from jobtro.stats.discrete import (
    DEFAULT_BANDS,
    DiscreteHazard,
    PersonPeriods,
    fit_discrete_hazard,
    person_periods,
)
from jobtro.stats.tests.results import discrete_results as R

DATA = Path(__file__).parent / "results" / "data"
BANDS = (0, 4, 8, 13)  # as in discrete.R
COEF_RTOL = 1e-5
SE_RTOL = 1e-4
SAME = 1e-10  # the same likelihood fitted twice (collapsed vs expanded)


@pytest.fixture(scope="module")
def spells() -> pl.DataFrame:
    return pl.read_csv(DATA / "discrete_spells.csv")


@pytest.fixture(scope="module")
def counting() -> pl.DataFrame:
    return pl.read_csv(DATA / "discrete_counting.csv")


def _expand(rows: pl.DataFrame, start: str | None, stop: str) -> pl.DataFrame:
    """Person-periods the slow, obvious way: one row per period at risk (the R script's expansion)."""
    begin = pl.col(start) if start else pl.lit(0)
    return (
        rows.with_columns(pl.int_ranges(begin, pl.col(stop) + pl.col("event")).alias("period"))
        .explode("period")
        .drop_nulls("period")
        .with_columns(((pl.col("period") == pl.col(stop)) & (pl.col("event") == 1)).cast(pl.Int8).alias("y"))
    )


def _check_r(fit: Any, ref: dict[str, Any], *, hc1: Any = None) -> None:
    assert fit.names == tuple(ref["names"])
    assert (fit.n_obs, fit.n_events, fit.n_clusters) == (ref["nobs"], ref["events"], ref["clusters"])
    np.testing.assert_allclose(fit.coef, ref["coef"], rtol=COEF_RTOL, atol=0)
    np.testing.assert_allclose(fit.se, ref["se"], rtol=SE_RTOL, atol=0)
    np.testing.assert_allclose(fit.robust_se, ref["se_cluster_hc0"], rtol=SE_RTOL, atol=0)
    np.testing.assert_allclose(fit.loglik, ref["loglik"], rtol=1e-8)
    np.testing.assert_allclose(fit.deviance, ref["deviance"], rtol=1e-8)
    if hc1 is not None:
        np.testing.assert_allclose(hc1.robust_se, ref["se_cluster_hc1"], rtol=SE_RTOL, atol=0)
        np.testing.assert_allclose(hc1.coef, fit.coef, rtol=0, atol=0)


SPELL_CASES = [
    (R.SPELLS_LOGIT_BANDS, "bands"),
    (R.SPELLS_CLOGLOG_BANDS, "bands"),
    (R.SPELLS_LOGIT_LINEAR, "linear"),
    (R.SPELLS_CLOGLOG_LOG, "log"),
    (R.SPELLS_LOGIT_QUADRATIC, "quadratic"),
    (R.SPELLS_CLOGLOG_CATEGORICAL, "categorical"),
]


@pytest.mark.parametrize(("ref", "time"), SPELL_CASES, ids=[f"{r['link']}-{t}" for r, t in SPELL_CASES])
def test_spells_against_r(spells: pl.DataFrame, ref: dict[str, Any], time: Any) -> None:
    kwargs: dict[str, Any] = {
        "duration": "duration",
        "event": "event",
        "covariates": ["x1", "grp", "age"],
        "cluster": "cluster",
        "link": ref["link"],
        "time": time,
        "bands": BANDS,
    }
    _check_r(fit_discrete_hazard(spells, **kwargs), ref, hc1=fit_discrete_hazard(spells, **kwargs, robust_type="HC1"))


@pytest.mark.parametrize(("ref", "time"), [(R.COUNTING_LOGIT_BANDS, "bands"), (R.COUNTING_CLOGLOG_LINEAR, "linear")])
def test_counting_process_rows_against_r(counting: pl.DataFrame, ref: dict[str, Any], time: Any) -> None:
    # (start, stop] rows with a time-varying belief and a cluster that changes within persons.
    periods = person_periods(
        counting,
        duration="stop",
        event="event",
        entry="start",
        covariates=["belief", "x1"],
        cluster="cluster",
        bands=BANDS if time == "bands" else None,
    )
    model = DiscreteHazard(periods, link=ref["link"], time=time)
    _check_r(model.fit(), ref, hc1=model.fit(robust_type="HC1"))


@pytest.mark.parametrize("bands", [None, BANDS, (0, 1, 2, 3, 5, 8, 13, 21)])
def test_cells_equal_expanded_person_periods(spells: pl.DataFrame, bands: Any) -> None:
    periods = person_periods(
        spells, duration="duration", event="event", covariates=["x1", "grp"], cluster="cluster", bands=bands
    )
    expanded = _expand(spells, None, "duration")
    assert periods.person_periods == expanded.height == R.SPELLS_LOGIT_BANDS["nobs"]
    assert periods.events == expanded["y"].sum()
    assert periods.rows == spells.filter(pl.col("duration") + pl.col("event") > 0).height
    time = "period"
    if bands is not None:
        cuts = np.asarray(bands)
        band = cuts[np.searchsorted(cuts, expanded["period"].to_numpy(), side="right") - 1]
        expanded = expanded.with_columns(pl.Series("band", band))
        time = "band"
    by_hand = (
        expanded.group_by("cluster", time, "x1", "grp")
        .agg(pl.len().cast(pl.Int64).alias("at_risk"), pl.col("y").sum().cast(pl.Int64).alias("events"))
        .sort("cluster", time, "x1", "grp")
    )
    assert periods.cells.columns == ["cluster", time, "x1", "grp", "at_risk", "events"]
    assert periods.cells.equals(by_hand)
    if bands is None:  # kept as runs of consecutive periods, expanded to cells on demand
        runs = periods.table
        assert runs.columns == ["cluster", "x1", "grp", "period", "last", "at_risk", "events"]
        assert runs.height < periods.cells.height
        assert (runs["at_risk"] * (runs["last"] - runs["period"] + 1)).sum() == expanded.height
    else:
        assert periods.table is periods.cells
    # expand() gives the person-periods back.
    again = periods.expand().group_by("cluster", time, "x1", "grp").agg(pl.len(), pl.col("y").sum())
    assert again.sort("cluster", time, "x1", "grp")["y"].to_list() == by_hand["events"].to_list()


@pytest.mark.parametrize("link", ["logit", "cloglog"])
def test_collapsed_fit_equals_expanded_fit(spells: pl.DataFrame, link: Any) -> None:
    collapsed = person_periods(
        spells, duration="duration", event="event", covariates=["x1", "grp", "age"], cluster="cluster"
    )
    # The expanded data as runs of one person-period each (no collapsing at all).
    rows = (
        _expand(spells, None, "duration")
        .select(
            "cluster",
            "x1",
            "grp",
            "age",
            "period",
            pl.col("period").alias("last"),
            pl.lit(1, pl.Int64).alias("at_risk"),
            pl.col("y").cast(pl.Int64).alias("events"),
        )
        .sort("cluster")
    )
    expanded = PersonPeriods(
        table=rows, time="period", bands=None, covariates=("x1", "grp", "age"), cluster="cluster", rows=rows.height
    )
    assert collapsed.table.height < collapsed.cells.height < expanded.table.height
    for time in ("bands", "linear", "log", "quadratic", "categorical"):
        a = DiscreteHazard(collapsed, link=link, time=time, bands=BANDS).fit(robust_type="HC1")
        b = DiscreteHazard(expanded, link=link, time=time, bands=BANDS).fit(robust_type="HC1")
        assert a.names == b.names
        np.testing.assert_allclose(a.coef, b.coef, rtol=SAME)
        np.testing.assert_allclose(a.cov, b.cov, rtol=SAME)
        assert a.robust_se is not None
        np.testing.assert_allclose(a.robust_se, b.robust_se, rtol=SAME)
        np.testing.assert_allclose(a.loglik, b.loglik, rtol=SAME)
        assert (a.n_obs, a.n_events, a.n_clusters) == (b.n_obs, b.n_events, b.n_clusters)


def test_band_cells_equal_period_cells_mapped_to_bands(spells: pl.DataFrame) -> None:
    common: dict[str, Any] = {
        "duration": "duration",
        "event": "event",
        "covariates": ["x1", "grp"],
        "cluster": "cluster",
    }
    by_band = DiscreteHazard(person_periods(spells, **common, bands=BANDS), link="cloglog").fit()
    by_period = DiscreteHazard(person_periods(spells, **common), link="cloglog", time="bands", bands=BANDS).fit()
    assert by_band.n_cells < by_period.n_cells
    np.testing.assert_allclose(by_band.coef, by_period.coef, rtol=SAME)
    np.testing.assert_allclose(by_band.cov_robust, by_period.cov_robust, rtol=SAME)


@pytest.mark.parametrize("link", ["logit", "cloglog"])
def test_against_statsmodels_on_expanded_data(spells: pl.DataFrame, link: str) -> None:
    # A second established implementation: statsmodels GLM with its default cluster correction
    # (G/(G-1) * (n-1)/(n-k), our HC1).
    expanded = _expand(spells, None, "duration").sort("id", "period")
    exog = np.column_stack(
        [
            np.ones(expanded.height),
            expanded["period"].to_numpy().astype(float),
            expanded["x1"].to_numpy().astype(float),
            (expanded["grp"] == "b").to_numpy().astype(float),
            (expanded["grp"] == "c").to_numpy().astype(float),
            expanded["age"].to_numpy(),
        ]
    )
    sm_link = sm.families.links.Logit() if link == "logit" else sm.families.links.CLogLog()
    peer = sm.GLM(expanded["y"].to_numpy(), exog, family=sm.families.Binomial(link=sm_link)).fit(
        cov_type="cluster", cov_kwds={"groups": expanded["cluster"].to_numpy()}, tol=1e-13
    )
    ours = fit_discrete_hazard(
        spells,
        duration="duration",
        event="event",
        covariates=["x1", "grp", "age"],
        cluster="cluster",
        link=link,  # type: ignore[arg-type]
        time="linear",
        robust_type="HC1",
    )
    # statsmodels stops on the deviance's relative change, so its cloglog coefficients are good to ~1e-8.
    np.testing.assert_allclose(ours.coef, peer.params, rtol=1e-6)
    if link == "logit":
        # Under cloglog statsmodels' sandwich uses the observed information as the bread, R's sandwich
        # (and we) the expected one, as glm's IRLS does; under the canonical logit link the two coincide.
        np.testing.assert_allclose(ours.robust_se, peer.bse, rtol=1e-6)
    np.testing.assert_allclose(ours.loglik, peer.llf, rtol=1e-10)


@pytest.mark.parametrize("link", ["logit", "cloglog"])
@pytest.mark.parametrize("time", ["linear", "quadratic", "bands"])  # runs of periods; cells
def test_score_is_the_gradient_and_information_the_hessian(spells: pl.DataFrame, link: Any, time: Any) -> None:
    periods = person_periods(
        spells, duration="duration", event="event", covariates=["x1", "grp", "age"], cluster="cluster"
    )
    model = DiscreteHazard(periods, link=link, time=time, bands=BANDS)
    fit = model.fit()
    rng = np.random.default_rng(5)
    beta = fit.coef + rng.normal(0, 0.05, fit.coef.size) * np.abs(fit.coef)

    def loglik(b: np.ndarray) -> float:
        return model.loglik_score_information(b)[0]

    def score(b: np.ndarray) -> np.ndarray:
        return model.loglik_score_information(b)[1]

    _, analytic, info = model.loglik_score_information(beta)
    h = 1e-3 / np.sqrt(np.diag(info))  # a thousandth of a standard error: steps on each term's own scale
    eye = np.eye(beta.size)
    numeric = np.array(
        [(loglik(beta + h[j] * eye[j]) - loglik(beta - h[j] * eye[j])) / (2 * h[j]) for j in range(beta.size)]
    )
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-6 * np.abs(analytic).max())
    # At the estimate the score vanishes.
    assert np.abs(score(fit.coef)).max() < 1e-6
    hessian = np.column_stack(
        [(score(beta + h[j] * eye[j]) - score(beta - h[j] * eye[j])) / (2 * h[j]) for j in range(beta.size)]
    )
    if link == "logit":  # canonical link: Fisher information = observed information = -Hessian
        np.testing.assert_allclose(info, -hessian, rtol=1e-6, atol=1e-8 * np.abs(info).max())
    else:  # Fisher scoring uses the expected information; the observed one differs, but not by much
        assert not np.allclose(info, -hessian, rtol=1e-4)
        np.testing.assert_allclose(info, -hessian, rtol=0.2, atol=0.02 * np.abs(info).max())


def test_duration_forms_agree(spells: pl.DataFrame, counting: pl.DataFrame) -> None:
    # "periods": stop = periods observed, the event in the last one.
    a = person_periods(spells, duration="duration", event="event", covariates=["x1"], cluster="cluster")
    shifted = spells.with_columns((pl.col("duration") + pl.col("event")).alias("observed"))
    b = person_periods(
        shifted, duration="observed", event="event", covariates=["x1"], cluster="cluster", duration_form="periods"
    )
    assert a.cells.equals(b.cells)
    # A duration-0 event is one period; a censored duration 0 none.
    tiny = pl.DataFrame({"d": [0, 0, 2], "e": [1, 0, 0]})
    cells = person_periods(tiny, duration="d", event="e").cells
    assert cells.to_dicts() == [
        {"period": 0, "at_risk": 2, "events": 1},
        {"period": 1, "at_risk": 1, "events": 0},
    ]
    # Counting-process rows of one person give the same cells as the person's whole spell.
    whole = counting.group_by("id").agg(pl.col("stop").max(), pl.col("event").max(), pl.col("x1").first())
    rows = person_periods(counting, duration="stop", event="event", entry="start", covariates=["x1"], bands=BANDS)
    spell = person_periods(whole, duration="stop", event="event", covariates=["x1"], bands=BANDS)
    assert rows.cells.equals(spell.cells)


def test_without_clusters_pandas_and_booleans(spells: pl.DataFrame) -> None:
    frame = spells.with_columns((pl.col("x1") == 1).alias("x1")).to_pandas()
    fit = fit_discrete_hazard(
        frame, duration="duration", event="event", covariates=["x1", "grp", "age"], time="bands", bands=BANDS
    )
    assert fit.n_clusters == 0 and fit.robust_se is None and fit.cov_robust is None
    assert fit.params["robust_se"].null_count() == len(fit.names)
    np.testing.assert_allclose(fit.coef, R.SPELLS_LOGIT_BANDS["coef"], rtol=COEF_RTOL)
    np.testing.assert_allclose(fit.se, R.SPELLS_LOGIT_BANDS["se"], rtol=SE_RTOL)
    row = fit.params.row(by_predicate=pl.col("term") == "x1", named=True)
    assert row["ci_low"] == pytest.approx(row["coef"] - 1.959963984540054 * row["se"])
    assert row["exp_coef"] == pytest.approx(np.exp(row["coef"]))
    assert row["p_value"] == pytest.approx(2 * (1 - NormalDist().cdf(row["coef"] / row["se"])), rel=1e-9)
    assert "odds ratio" in fit.summary()
    with pytest.raises(AttributeError):
        fit.loglik = 0.0  # type: ignore[misc]


def test_params_use_robust_se_when_clustered(spells: pl.DataFrame) -> None:
    fit = fit_discrete_hazard(
        spells, duration="duration", event="event", covariates=["x1"], cluster="cluster", link="cloglog"
    )
    # DEFAULT_BANDS, of which the fixture's 18 weeks reach the first four.
    assert DEFAULT_BANDS[:4] == BANDS
    assert fit.time == "bands" and fit.names == ("Intercept", "band[T.4]", "band[T.8]", "band[T.13]", "x1")
    table = fit.params
    np.testing.assert_allclose(table["z"].to_numpy(), fit.coef / fit.robust_se)
    np.testing.assert_allclose(table["ci_high"].to_numpy(), fit.coef + 1.959963984540054 * fit.robust_se)
    assert "hazard ratio" in fit.summary() and "40 clusters (HC0)" in fit.summary()


@pytest.mark.parametrize(
    ("frame", "kwargs", "message"),
    [
        (pl.DataFrame({"d": [1]}), {}, "lacks column 'e'"),
        (pl.DataFrame({"d": [1], "e": [1]}), {"covariates": ["x"]}, "lacks column"),
        (pl.DataFrame({"d": [1, None], "e": [1, 0]}), {}, "missing"),
        (pl.DataFrame({"d": [1.5], "e": [1]}), {}, "whole numbers"),
        (pl.DataFrame({"d": ["1"], "e": [1]}), {}, "numeric"),
        (pl.DataFrame({"d": [1], "e": [2]}), {}, "0 or 1"),
        (pl.DataFrame({"d": [1], "e": [1], "s": [2]}), {"entry": "s"}, "d < s"),
        (pl.DataFrame({"d": [1], "e": [1], "s": [-1]}), {"entry": "s"}, "negative"),
        (
            pl.DataFrame({"d": [1], "e": [1], "x": [None]}, schema_overrides={"x": pl.Int64}),
            {"covariates": ["x"]},
            "missing values in: x",
        ),
        (pl.DataFrame({"d": [1], "e": [1], "at_risk": [1]}), {"covariates": ["at_risk"]}, "reserved"),
        (pl.DataFrame({"d": [1], "e": [1]}), {"bands": (1, 4)}, "start at 0"),
        (pl.DataFrame({"d": [1], "e": [1]}), {"bands": (0, 4, 4)}, "increase strictly"),
        (pl.DataFrame({"d": [0], "e": [1]}), {"duration_form": "periods"}, "at least one period"),
        (pl.DataFrame({"d": [1], "e": [1]}), {"duration_form": "weeks"}, "duration_form"),
        (pl.DataFrame({"d": [1], "e": [1], "c": [1]}), {"cluster": "c", "covariates": ["c"]}, "distinct"),
    ],
)
def test_bad_person_period_input(frame: pl.DataFrame, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        person_periods(frame, duration="d", event="e", **kwargs)


def test_bad_models(spells: pl.DataFrame) -> None:
    banded = person_periods(
        spells, duration="duration", event="event", covariates=["x1"], cluster="cluster", bands=BANDS
    )
    with pytest.raises(ValueError, match="needs the exact period"):
        DiscreteHazard(banded, time="linear")
    with pytest.raises(ValueError, match="link"):
        DiscreteHazard(banded, link="probit")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="time must be"):
        DiscreteHazard(banded, time="spline")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not covariates"):
        DiscreteHazard(banded, covariates=["age"])
    with pytest.raises(ValueError, match="robust_type"):
        DiscreteHazard(banded).fit(robust_type="HC3")  # type: ignore[arg-type]
    doubled = spells.with_columns((2 * pl.col("x1")).alias("x2"))
    with pytest.raises(ValueError, match="rank deficient"):
        DiscreteHazard(
            person_periods(doubled, duration="duration", event="event", covariates=["x1", "x2"], bands=BANDS)
        )
    no_events = spells.with_columns(pl.lit(0).alias("event"))
    with pytest.raises(ValueError, match="need events"):
        DiscreteHazard(person_periods(no_events, duration="duration", event="event", bands=BANDS)).fit()
    one_cluster = spells.with_columns(pl.lit(1).alias("cluster"))
    with pytest.raises(ValueError, match="at least 2 clusters"):
        DiscreteHazard(
            person_periods(one_cluster, duration="duration", event="event", cluster="cluster", bands=BANDS)
        ).fit()
    empty = pl.DataFrame({"d": [0], "e": [0]})
    with pytest.raises(ValueError, match="no person-periods"):
        DiscreteHazard(person_periods(empty, duration="d", event="e"))
    with pytest.raises(RuntimeError, match="did not converge"):
        DiscreteHazard(banded).fit(max_iter=1)
