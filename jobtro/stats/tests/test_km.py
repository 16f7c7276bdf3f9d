"""Kaplan–Meier against R's ``survival::survfit`` (reference values: ``results/km.R`` -> ``results/km_results.py``).

Tolerances: every number (survival, standard errors, cumulative hazard, pointwise limits, medians and
their limits) to ``rtol=1e-10`` (no absolute slack); counts and times exactly. R's ``NA`` is a null here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

from jobtro.stats.km import KaplanMeier, kaplan_meier
from jobtro.stats.tests.results import km_results as R

DATA = Path(__file__).parent / "results" / "data"
RTOL = 1e-10


def _read(name: str) -> pl.DataFrame:
    return pl.read_csv(DATA / f"km_{name}.csv")


def _values(frame: pl.DataFrame, column: str) -> np.ndarray:
    return frame[column].cast(pl.Float64).fill_null(np.nan).to_numpy()


def _check(fit: Any, ref: dict[str, Any], grouped: bool = True) -> None:
    table = fit.table
    if grouped:
        assert table["group"].to_list() == ref["group"]
        assert fit.medians["group"].to_list() == ref["median_group"]
    else:
        assert "group" not in table.columns
    np.testing.assert_array_equal(_values(table, "time"), ref["time"])
    for column in ("n_risk", "n_event", "n_censor"):
        np.testing.assert_array_equal(_values(table, column), ref[column], err_msg=column)
    for column in ("survival", "se_log", "se", "cumhaz", "lower", "upper"):
        np.testing.assert_allclose(_values(table, column), ref[column], rtol=RTOL, atol=0, err_msg=column)
    medians = fit.medians
    for column in ("records", "n_max", "n_start", "events"):
        np.testing.assert_array_equal(_values(medians, column), ref[column], err_msg=column)
    for column, key in (("median", "median"), ("lower", "median_lower"), ("upper", "median_upper")):
        np.testing.assert_allclose(_values(medians, column), ref[key], rtol=RTOL, atol=0, err_msg=column)


@pytest.mark.parametrize(
    ("ref", "conf_type"),
    [(R.WEEKS_GROUP_LOG, "log"), (R.WEEKS_GROUP_LOGLOG, "log-log"), (R.WEEKS_GROUP_PLAIN, "plain")],
)
def test_weekly_ties_by_group(ref: dict[str, Any], conf_type: Any) -> None:
    fit = KaplanMeier(_read("weeks"), duration="weeks", event="event", group="group").fit(conf_type=conf_type)
    assert fit.conf_type == conf_type
    assert fit.group == "group"
    _check(fit, ref)


def test_one_curve_90_percent() -> None:
    fit = kaplan_meier(_read("weeks"), duration="weeks", event="event", conf_level=0.90)
    _check(fit, R.WEEKS_ALL_LOG90, grouped=False)
    assert fit.medians.columns == ["records", "n_max", "n_start", "events", "median", "lower", "upper"]


@pytest.mark.parametrize(
    ("ref", "conf_type"),
    [(R.SMALL_GROUP_LOG, "log"), (R.SMALL_GROUP_LOGLOG, "log-log"), (R.SMALL_GROUP_PLAIN, "plain")],
)
def test_edge_cases_half_and_zero(ref: dict[str, Any], conf_type: Any) -> None:
    # Group X: S = 1/2 exactly on [2, 3) -> median 2.5; then S = 0 (se_log inf, log limits NA).
    fit = kaplan_meier(_read("small"), duration="weeks", event="event", group="group", conf_type=conf_type)
    _check(fit, ref)
    assert fit.medians["median"].to_list()[0] == pytest.approx(2.5, rel=RTOL)
    assert fit.medians["median"].to_list()[1] is None


@pytest.mark.parametrize(
    ("ref", "grouped", "conf_type"), [(R.ENTRY_GROUP_LOG, True, "log"), (R.ENTRY_ALL_LOGLOG, False, "log-log")]
)
def test_delayed_entry(ref: dict[str, Any], grouped: bool, conf_type: Any) -> None:
    group = "group" if grouped else None
    fit = kaplan_meier(_read("entry"), duration="stop", event="event", entry="start", group=group, conf_type=conf_type)
    _check(fit, ref, grouped=grouped)


@pytest.mark.parametrize(
    ("ref", "data", "kwargs"),
    [
        (R.WEEKS_GROUP_LOG, "weeks", {"duration": "weeks", "group": "group"}),
        (R.WEEKS_ALL_LOG90, "weeks", {"duration": "weeks", "conf_level": 0.90}),
        (R.ENTRY_GROUP_LOG, "entry", {"duration": "stop", "entry": "start", "group": "group"}),
    ],
)
def test_survival_at_times(ref: dict[str, Any], data: str, kwargs: dict[str, Any]) -> None:
    fit = kaplan_meier(_read(data), event="event", **kwargs)
    at = fit.survival_at(ref["at_times"])
    if "group" in kwargs:
        assert at["group"].to_list() == ref["at_group"]
    np.testing.assert_array_equal(_values(at, "time"), ref["at_time"])
    np.testing.assert_array_equal(_values(at, "n_risk"), ref["at_n_risk"])
    for column in ("survival", "se", "lower", "upper"):
        np.testing.assert_allclose(_values(at, column), ref[f"at_{column}"], rtol=RTOL, atol=0, err_msg=column)


def test_pandas_input_and_immutability() -> None:
    frame = _read("weeks")
    from_pandas = kaplan_meier(frame.to_pandas(), duration="weeks", event="event", group="group")
    from_polars = kaplan_meier(frame, duration="weeks", event="event", group="group")
    assert from_pandas.table.equals(from_polars.table)
    with pytest.raises(AttributeError):
        from_polars.conf_level = 0.5  # type: ignore[misc]
    assert "median" in from_polars.summary()


def test_boolean_event_and_integer_groups() -> None:
    frame = _read("weeks").with_columns(pl.col("event").cast(pl.Boolean), (pl.col("group") == "B").cast(pl.Int64))
    fit = kaplan_meier(frame, duration="weeks", event="event", group="group")
    assert fit.table["group"].unique().sort().to_list() == [0, 1]
    np.testing.assert_allclose(_values(fit.table, "survival"), R.WEEKS_GROUP_LOG["survival"], rtol=RTOL)


@pytest.mark.parametrize(
    ("frame", "kwargs", "message"),
    [
        (pd.DataFrame({"t": [1, 2]}), {}, "lacks column 'e'"),
        (pl.DataFrame({"t": [1, None], "e": [1, 0]}), {}, "missing"),
        (pl.DataFrame({"t": [1, 2], "e": [1, 2]}), {}, "0 or 1"),
        (pl.DataFrame({"t": ["1", "2"], "e": [1, 0]}), {}, "numeric"),
        (pl.DataFrame({"t": [1, 2], "e": [1, 0], "s": [1, 0]}), {"entry": "s"}, "s >= t"),
        (pl.DataFrame({"t": [], "e": []}, schema={"t": pl.Float64, "e": pl.Int8}), {}, "no rows"),
    ],
)
def test_bad_input(frame: Any, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        KaplanMeier(frame, duration="t", event="e", **kwargs)


def test_bad_options() -> None:
    model = KaplanMeier(_read("small"), duration="weeks", event="event")
    with pytest.raises(ValueError, match="conf_type"):
        model.fit(conf_type="logit")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="conf_level"):
        model.fit(conf_level=95)
