"""Tests of jobtro.stats.zph against R's survival::cox.zph (reference values written by results/zph.R into
results/zph_results.py), against the score and information of a Cox model with the time-varying
covariates x g(t) written out row by row, and of its input checks and result object.

Tolerances: chisq (and p) rtol 1e-6, scaled Schoenfeld residuals and their variance rtol 1e-6. The
implementation agrees with R far more closely: chisq to 1e-11 and residuals to 5e-11, except in the
counting-process cases on cox.R's data (chisq 9e-10, residuals 4e-9), where R's coefficients stop about
1e-10 short of the maximum (see test_cox.py); at R's own coefficients those agree to 1e-13.
"""

from __future__ import annotations

import dataclasses
import doctest
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

from jobtro.stats import zph as zph_module
from jobtro.stats.cox import CoxPH, CoxResult, fit_cox
from jobtro.stats.tests.results.zph_results import CASES, EVENTS
from jobtro.stats.zph import TRANSFORMS, ZphResult, cox_zph

DATA = Path(__file__).parent / "results" / "data"
CHISQ_RTOL = 1e-6
RESIDUAL_RTOL = 1e-6


def _data(name: str) -> pl.DataFrame:
    return pl.read_csv(DATA / name)


def _columns(case: dict[str, Any]) -> dict[str, Any]:
    return {key: case[key] for key in ("time", "event", "start", "strata", "weights")}


def _fit(case: dict[str, Any], frame: Any = None) -> CoxResult:
    data = _data(case["data"]) if frame is None else frame
    return fit_cox(data, x=case["x"], ties=case["ties"], **_columns(case))


def _zph(case: dict[str, Any], frame: Any = None, **options: Any) -> ZphResult:
    data = _data(case["data"]) if frame is None else frame
    terms = case["terms"] if case["terms"] is not None else True
    return cox_zph(_fit(case, data), data, **_columns(case), **({"terms": terms} | options))


def _chisq_column(result: ZphResult) -> np.ndarray:
    assert result.global_chisq is not None
    return np.append(result.chisq, result.global_chisq)


# --------------------------------------------------------------------------------------------------
# Against R


@pytest.mark.parametrize("name", list(CASES))
def test_it_matches_r_cox_zph(name: str) -> None:
    case = CASES[name]
    fit = _fit(case)
    np.testing.assert_allclose(fit.params, case["coef"], rtol=1e-6)
    events = EVENTS[case["base"]]
    for transform in TRANSFORMS:
        result = _zph(case, transform=transform)
        chisq, df, p = case[transform]
        assert [*result.terms, "GLOBAL"] == case["names"]
        np.testing.assert_allclose(_chisq_column(result), chisq, rtol=CHISQ_RTOL, atol=0)
        assert [*result.df.tolist(), result.global_df] == df.tolist()
        assert result.global_p is not None
        np.testing.assert_allclose(np.append(result.p, result.global_p), p, rtol=CHISQ_RTOL, atol=0)
        np.testing.assert_array_equal(result.time, events["time_values"])
        if events["strata_codes"] is None:
            assert result.strata is None
        else:
            assert result.strata is not None
            np.testing.assert_array_equal(result.strata, events["strata_codes"])
        expected_x = {
            "km": events["x_km"],
            "rank": events["x_rank"],
            "identity": events["time_values"],
            "log": np.log(events["time_values"]),
        }[transform]
        np.testing.assert_allclose(result.x, expected_x, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", [name for name, case in CASES.items() if "residuals" in case])
def test_the_scaled_schoenfeld_residuals_match_r(name: str) -> None:
    case = CASES[name]
    result = _zph(case)
    expected = np.column_stack(case["residuals"])
    assert result.residuals.shape == expected.shape
    # NaN where R has NA: a covariate constant within the stratum (pilot in site C of the violation data).
    np.testing.assert_array_equal(np.isnan(result.residuals), np.isnan(expected))
    np.testing.assert_allclose(result.residuals, expected, rtol=RESIDUAL_RTOL, atol=0)
    np.testing.assert_allclose(result.var, np.vstack(case["var"]), rtol=RESIDUAL_RTOL, atol=0)


@pytest.mark.parametrize("name", ["counting_strata_weights_efron", "counting_strata_weights_breslow"])
def test_at_r_s_coefficients_it_is_r_s_answer_to_rounding(name: str) -> None:
    case = CASES[name]
    data = _data(case["data"])
    at_r = dataclasses.replace(_fit(case, data), params=case["coef"])
    result = cox_zph(at_r, data, **_columns(case))
    np.testing.assert_allclose(_chisq_column(result), case["km"][0], rtol=1e-12, atol=0)
    np.testing.assert_allclose(result.residuals, np.column_stack(case["residuals"]), rtol=1e-11, atol=0)


@pytest.mark.parametrize("name", [name for name, case in CASES.items() if case["terms"] is not None])
def test_terms_false_tests_every_column_as_r_does(name: str) -> None:
    case = CASES[name]
    result = _zph(case, terms=False)
    assert [*result.terms, "GLOBAL"] == case["x"] + ["GLOBAL"]
    assert len(case["by_column_names"]) == len(result.terms) + 1
    np.testing.assert_allclose(_chisq_column(result), case["by_column_km"][0], rtol=CHISQ_RTOL, atol=0)
    if "by_column_residuals" in case:
        expected = np.column_stack(case["by_column_residuals"])
        np.testing.assert_array_equal(np.isnan(result.residuals), np.isnan(expected))
        np.testing.assert_allclose(result.residuals, expected, rtol=RESIDUAL_RTOL, atol=0)
        np.testing.assert_allclose(result.var, np.vstack(case["by_column_var"]), rtol=RESIDUAL_RTOL, atol=0)


def test_it_finds_the_violation_and_passes_proportional_data() -> None:
    # The effect of treat reverses after week 8 (zph.R): R and jobtro both reject, firmly.
    for ties in ("efron", "breslow"):
        result = _zph(CASES[f"violation_{ties}"])
        assert result.terms[0] == "treat"
        assert result.p[0] < 1e-6 and CASES[f"violation_{ties}"]["km"][2][0] < 1e-6
        assert result.global_p is not None and result.global_p < 1e-4
        assert np.all(result.p[1:] > 0.05)
        # The scaled residuals of treat fall with time: early ones above the fitted (average) effect.
        early = result.time <= 8
        treat = result.residuals[:, 0]
        assert np.mean(treat[early]) > np.mean(treat[~early]) + 1
    proportional = _zph(CASES["weekly_efron"])
    assert proportional.global_p is not None and proportional.global_p > 0.5


def test_a_stratum_where_every_covariate_is_constant_has_no_residuals() -> None:
    # pilot is 0 throughout site C. With pilot alone, R's residual rows fall out of step with the strata
    # (see the module docstring), so this is checked on its own: NaN in site C, numbers elsewhere - as R
    # has them when another covariate varies in site C (the violation case, checked against R above).
    data = _data("zph_violation.csv")
    fit = fit_cox(data, time="time", event="event", x="pilot", strata="site")
    result = cox_zph(fit, data, time="time", event="event", strata="site")
    assert result.strata is not None
    in_c = result.strata == 2
    assert in_c.any() and np.isnan(result.residuals[in_c]).all() and np.isfinite(result.residuals[~in_c]).all()
    with_treat = _zph(CASES["violation_efron"])
    assert np.isfinite(with_treat.residuals[~in_c, 2]).all() and np.isnan(with_treat.residuals[in_c, 2]).all()
    assert np.isfinite(result.chisq).all() and result.var.shape == (1, 1)


def test_split_rows_give_the_same_test_as_the_unsplit_data() -> None:
    # (start, stop] rows cut at weeks 8, 20 and 35 are the same fit, risk sets and Kaplan-Meier curve;
    # only the rank transform (ranks among all rows) changes.
    for ties in ("efron", "breslow"):
        whole, split = CASES[f"violation_{ties}"], CASES[f"violation_split_{ties}"]
        for transform in ("km", "identity", "log"):
            a, b = _zph(whole, transform=transform), _zph(split, transform=transform)
            np.testing.assert_allclose(_chisq_column(b), _chisq_column(a), rtol=1e-10)
            np.testing.assert_allclose(np.sort(b.x), np.sort(a.x), rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------------------------------
# Against the Cox model with x g(t) written out


def _expand(data: pl.DataFrame, case: dict[str, Any], g: dict[float, float]) -> pl.DataFrame:
    """Every row split at the event times it spans, with columns x * g(t) for the interval ending at an
    event time t (0 otherwise): the Cox model of beta(t) = beta + theta g(t) in counting-process form."""
    stop = data[case["time"]].to_numpy().astype(float)
    start = data[case["start"]].to_numpy().astype(float) if case["start"] else np.zeros(len(stop))
    event = data[case["event"]].to_numpy()
    times = np.array(sorted(g))
    first = np.searchsorted(times, start, side="right")  # first event time after the start
    inner = np.searchsorted(times, stop, side="left") - first  # event times strictly inside
    pieces = inner + 1
    row = np.repeat(np.arange(len(stop)), pieces)
    j = np.arange(len(row)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    last = j == inner[row]
    cut = times[np.minimum(first[row] + j, len(times) - 1)]
    end = np.where(last, stop[row], cut)
    begin = np.where(j == 0, start[row], times[np.maximum(first[row] + j - 1, 0)])
    gt = np.array([g.get(t, 0.0) for t in end])
    expanded = data[row].with_columns(
        pl.Series("zph_start", begin), pl.Series("zph_stop", end), pl.Series("zph_event", event[row] * last)
    )
    return expanded.with_columns([(pl.col(x) * gt).alias(f"{x}_g") for x in case["x"]])


@pytest.mark.parametrize(
    ("name", "transform"),
    [
        ("lung_efron", "km"),
        ("lung_breslow", "rank"),
        ("weekly_strata_weights_efron", "km"),
        ("weekly_breslow", "log"),
        ("counting_strata_weights_efron", "identity"),
        ("violation_efron", "km"),
    ],
)
def test_the_score_test_is_that_of_the_time_varying_model(name: str, transform: str) -> None:
    # The score and minus the Hessian of the expanded model at (beta, 0), from jobtro.stats.cox's analytic
    # derivatives, give the same statistics.
    case = CASES[name]
    data = _data(case["data"])
    fit = _fit(case, data)
    result = _zph(case, data, transform=transform)
    g_values = result.x - result.x.mean()
    g = dict(zip(result.time.tolist(), g_values.tolist(), strict=False))
    expanded = _expand(data, case, g)
    model = CoxPH(
        expanded,
        time="zph_stop",
        event="zph_event",
        start="zph_start",
        x=case["x"] + [f"{x}_g" for x in case["x"]],
        strata=case["strata"],
        weights=case["weights"],
        ties=case["ties"],
    )
    p = len(case["x"])
    at = np.concatenate([fit.params, np.zeros(p)])
    score, information = model.score(at), -model.hessian(at)
    assert np.all(np.abs(score[:p]) < 1e-8 * np.abs(score[p:]).max())  # beta is the maximum
    u = np.concatenate([np.zeros(p), score[p:]])
    for t, columns in enumerate(_term_columns(result.terms, case)):
        keep = np.concatenate([np.arange(p), p + np.array(columns)])
        expected = u[keep] @ np.linalg.solve(information[np.ix_(keep, keep)], u[keep])
        np.testing.assert_allclose(result.chisq[t], expected, rtol=1e-9)
    np.testing.assert_allclose(result.global_chisq, u @ np.linalg.solve(information, u), rtol=1e-9)


def _term_columns(terms: tuple[str, ...], case: dict[str, Any]) -> list[list[int]]:
    grouped = case["terms"] or {}
    return [[case["x"].index(c) for c in grouped.get(term, [term])] for term in terms]


# --------------------------------------------------------------------------------------------------
# Inputs


def test_a_model_a_pandas_frame_and_shuffled_rows_give_the_same_result() -> None:
    case = CASES["counting_strata_weights_efron"]
    data = _data(case["data"])
    base = _zph(case, data)
    model = CoxPH(data, x=case["x"], ties=case["ties"], **_columns(case))
    from_model = cox_zph(model, data, **_columns(case))
    np.testing.assert_allclose(_chisq_column(from_model), _chisq_column(base), rtol=1e-12)
    from_pandas = _zph(case, pd.read_csv(DATA / case["data"]))
    np.testing.assert_allclose(_chisq_column(from_pandas), _chisq_column(base), rtol=1e-12)
    np.testing.assert_allclose(from_pandas.residuals, base.residuals, rtol=1e-12)

    shuffled = data.with_row_index("original").sample(fraction=1.0, shuffle=True, seed=5)
    other = _zph(case, shuffled)
    np.testing.assert_allclose(_chisq_column(other), _chisq_column(base), rtol=1e-10)
    # The same residual for each original row (tied events may come in another order).
    original = shuffled["original"].to_numpy()[other.rows]
    np.testing.assert_allclose(other.residuals[np.argsort(original)], base.residuals[np.argsort(base.rows)], rtol=1e-9)


def test_rows_point_at_the_events() -> None:
    case = CASES["weekly_strata_weights_efron"]
    data = _data(case["data"])
    result = _zph(case, data)
    assert result.n_events == int(data["event"].sum())
    assert (data["event"].to_numpy()[result.rows] == 1).all()
    np.testing.assert_array_equal(data["time"].to_numpy()[result.rows], result.time)


def test_a_function_of_time_is_a_transform() -> None:
    case = CASES["lung_efron"]
    for function, name in ((lambda t: t, "identity"), (np.log, "log")):
        result = _zph(case, transform=function)
        assert result.transform == "user"
        np.testing.assert_allclose(_chisq_column(result), case[name][0], rtol=CHISQ_RTOL)


def test_without_the_global_test() -> None:
    result = _zph(CASES["lung_efron"], global_test=False)
    assert result.global_chisq is None and result.global_df is None and result.global_p is None
    assert result.table()["term"].to_list() == ["age", "sex", "ph.ecog"]
    assert "GLOBAL" not in result.summary()


def test_grouped_terms_may_be_listed_in_any_order() -> None:
    case = CASES["violation_efron"]
    result = _zph(case, terms={"group": ["group_c", "group_b"]})
    assert result.terms == ("treat", "age", "pilot", "group")
    np.testing.assert_allclose(_chisq_column(result), case["km"][0], rtol=CHISQ_RTOL)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"weights": None}, "log partial likelihood"),
        ({"strata": None}, "strata"),
        ({"transform": "square"}, "transform must be one of"),
        ({"terms": {"group": ["group_b", "nope"]}}, "must list covariates of the fit"),
        ({"terms": {"group": ["group_b"], "other": ["group_b", "group_c"]}}, "repeats a column"),
        ({"terms": {"age": ["group_b", "group_c"]}}, "has the name of a covariate"),
        ({"transform": lambda t: t[:3]}, "returned 3 values"),
        ({"time": "nope"}, "'nope' not in the data"),
    ],
)
def test_bad_input_is_a_clear_error(change: dict[str, Any], message: str) -> None:
    case = CASES["violation_efron"] | {"weights": "age"}
    data = _data(case["data"])
    fit = _fit(case, data)
    arguments = _columns(case) | {"terms": case["terms"]} | change
    with pytest.raises(ValueError, match=message):
        cox_zph(fit, data, **arguments)


def test_other_data_than_the_fit_is_an_error() -> None:
    case = CASES["lung_efron"]
    data = _data(case["data"])
    fit = _fit(case, data)
    with pytest.raises(ValueError, match="rows but the model was fitted to"):
        cox_zph(fit, data.head(100), **_columns(case))
    with pytest.raises(ValueError, match="events but the model was fitted to"):
        cox_zph(fit, data.with_columns(pl.lit(0).alias("status")), **_columns(case))
    with pytest.raises(ValueError, match="log partial likelihood"):
        cox_zph(fit, data.with_columns(pl.col("age") + pl.col("sex")), **_columns(case))
    with pytest.raises(TypeError, match="CoxResult or a CoxPH"):
        cox_zph("fit", data, **_columns(case))  # type: ignore[arg-type]


def test_log_needs_positive_event_times() -> None:
    data = pl.DataFrame({"t": [0, 1, 2, 3, 4, 5], "e": [1, 1, 0, 1, 1, 0], "x": [1, 0, 1, 0, 2, 1]})
    fit = fit_cox(data, time="t", event="e", x="x")
    with pytest.raises(ValueError, match="positive event times"):
        cox_zph(fit, data, time="t", event="e", transform="log")
    assert cox_zph(fit, data, time="t", event="e").x[0] == 0.0


# --------------------------------------------------------------------------------------------------
# The result


def test_the_result_is_immutable_and_reads_as_r_prints_it() -> None:
    result = _zph(CASES["violation_efron"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.chisq = np.zeros(4)  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        result.residuals[0, 0] = 0.0
    table = result.table()
    assert table.columns == ["term", "chisq", "df", "p"]
    assert table["term"].to_list() == ["treat", "age", "pilot", "group", "GLOBAL"]
    assert table["df"].to_list() == [1, 1, 1, 2, 5]
    text = result.summary()
    assert text.splitlines()[0] == ("Proportional hazards (score test, km transform; efron ties): 398 events, 3 strata")
    assert text.splitlines()[-2].startswith("group") and text.splitlines()[-1].startswith("GLOBAL")
    frame = result.residual_frame()
    assert frame.columns == ["row", "stratum", "time", "x", "treat", "age", "pilot", "group"]
    assert frame["pilot"].null_count() == int((result.strata == 2).sum())  # pilot is constant in site C


def test_docstring_examples() -> None:
    failures, tried = doctest.testmod(zph_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert tried > 0 and failures == 0
