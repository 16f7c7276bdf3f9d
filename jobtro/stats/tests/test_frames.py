"""pandas input works without pyarrow (a development dependency only), and gives the polars results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from jobtro.stats._frames import as_polars
from jobtro.stats.belief import fit_proportional_odds
from jobtro.stats.tests.test_belief import DATA, X


def _needs_pyarrow(*args: object, **kwargs: object) -> pl.DataFrame:
    raise ImportError("pyarrow is not installed")


def test_pandas_converts_without_pyarrow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pl, "from_pandas", _needs_pyarrow)  # what a production install (no pyarrow) would do
    frame = pd.DataFrame({"n": [1, 2], "text": ["x", None], "x": [1.5, float("nan")], "flag": [True, False]})
    converted = as_polars(frame)
    assert converted.to_dict(as_series=False) == {
        "n": [1, 2],
        "text": ["x", None],
        "x": [1.5, None],
        "flag": [True, False],
    }
    with pytest.raises(TypeError, match="polars or pandas"):
        as_polars([1, 2])


def test_an_estimator_gives_the_same_numbers_from_pandas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pl, "from_pandas", _needs_pyarrow)
    from_polars = fit_proportional_odds(DATA, y="belief", x=X)
    from_pandas = fit_proportional_odds(pd.DataFrame(DATA.to_dict(as_series=False)), y="belief", x=X)
    np.testing.assert_array_equal(from_pandas.params, from_polars.params)
    assert isinstance(as_polars(DATA), pl.DataFrame)
