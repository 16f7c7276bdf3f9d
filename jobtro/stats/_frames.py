"""Taking a polars or pandas DataFrame without needing pyarrow (a development dependency only)."""

from __future__ import annotations

from typing import Any

import polars as pl


def as_polars(data: Any) -> pl.DataFrame:
    """``data`` as a polars DataFrame; a pandas DataFrame is converted column by column through numpy
    (``pl.from_pandas`` needs pyarrow, which production installs do not have), NaN becoming null.

    Raises
    ------
    TypeError
        If ``data`` is neither.
    """
    if isinstance(data, pl.DataFrame):
        return data
    module = type(data).__module__.split(".")[0]
    if module != "pandas" or type(data).__name__ != "DataFrame":
        raise TypeError(f"data must be a polars or pandas DataFrame, got {type(data).__name__}")
    columns = []
    for name in data.columns:
        column = data[name]
        values = column.to_numpy()
        if values.dtype.kind == "O":  # text (pandas' missing text is NaN or None): a list, missing as None
            columns.append(pl.Series(str(name), [None if m else v for v, m in zip(values, column.isna(), strict=True)]))
        else:
            columns.append(pl.Series(str(name), values, nan_to_null=True))
    return pl.DataFrame(columns)
