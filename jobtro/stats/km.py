r"""Kaplan–Meier survival curves with Greenwood variance, pointwise confidence intervals and medians.

Pure numpy + polars, no Django. The numbers are those of R's ``survival::survfit`` (tested against it to
rtol 1e-10 in ``jobtro/stats/tests/test_km.py``).

Model
-----
Within a group, let :math:`t_1 < t_2 < \dots` be the distinct times at which a row ends (an event or a
censoring), :math:`d_j` the events at :math:`t_j` and :math:`n_j` the number at risk just before
:math:`t_j`: the rows with :math:`t_j \le` ``duration`` or, with delayed entry,
:math:`\text{entry} < t_j \le \text{stop}` (counting-process rows :math:`(\text{entry}, \text{stop}]`).
Then

.. math::

   \hat S(t) = \prod_{t_j \le t} \Bigl(1 - \frac{d_j}{n_j}\Bigr), \qquad
   \hat\sigma^2(t) = \widehat{\operatorname{Var}}\bigl(\log \hat S(t)\bigr)
       = \sum_{t_j \le t} \frac{d_j}{n_j (n_j - d_j)} \quad\text{(Greenwood)},

so :math:`\operatorname{se}\hat S = \hat S\,\hat\sigma` (``se``; ``se_log`` is :math:`\hat\sigma`, R's
``survfit$std.err``; infinite once :math:`\hat S = 0`). The cumulative hazard is the Nelson–Aalen
:math:`\hat\Lambda(t) = \sum_{t_j \le t} d_j / n_j`. With :math:`z = \Phi^{-1}(1 - \alpha/2)` the
pointwise intervals are (``conf_type``):

- ``"log"`` (R's default): :math:`\hat S e^{\pm z\hat\sigma}`, the upper limit capped at 1; undefined
  where :math:`\hat S = 0`;
- ``"log-log"``: :math:`\exp\bigl(-\exp(\log(-\log \hat S) \mp z\hat\sigma/\log\hat S)\bigr)`; undefined
  where :math:`\hat S \in \{0, 1\}`;
- ``"plain"``: :math:`\hat S \pm z\hat S\hat\sigma` clipped to :math:`[0, 1]`.

The median (as R's ``print.survfit``) is the first time with :math:`\hat S(t) \le 1/2`; when
:math:`\hat S` equals 1/2 (within :math:`\sqrt{\epsilon}`) on an interval it is the midpoint of that
interval's start and the next time the curve drops. Its confidence limits are the same rule applied to
the lower and the upper pointwise curve. Undefined values (R's ``NA``) are nulls.

Examples
--------
>>> import polars as pl
>>> data = pl.DataFrame({"weeks": [1, 2, 2, 3, 5], "event": [1, 1, 0, 1, 0]})
>>> fit = KaplanMeier(data, duration="weeks", event="event").fit()
>>> fit.table["survival"].to_list()
[0.8, 0.6000000000000001, 0.30000000000000004, 0.30000000000000004]
>>> fit.medians["median"].to_list()
[3.0]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Final, Literal, get_args

import numpy as np
import numpy.typing as npt
import polars as pl

from jobtro.stats._frames import as_polars

ConfType = Literal["log", "log-log", "plain"]
CONF_TYPES: Final[tuple[str, ...]] = get_args(ConfType)
# R's tolerance for "the curve equals 1/2" in the median (survmean's minmin).
_HALF_TOLERANCE: Final = math.sqrt(np.finfo(float).eps)

FloatArray = npt.NDArray[np.float64]


def _numeric(frame: pl.DataFrame, column: str) -> FloatArray:
    if column not in frame.columns:
        raise ValueError(f"data lacks column {column!r}")
    series = frame[column]
    if not (series.dtype.is_numeric() or series.dtype == pl.Boolean):
        raise ValueError(f"column {column!r} must be numeric, got {series.dtype}")
    if series.null_count():
        raise ValueError(f"column {column!r} has {series.null_count()} missing value(s)")
    values = series.cast(pl.Float64).to_numpy()
    if not np.all(np.isfinite(values)):
        raise ValueError(f"column {column!r} has non-finite values")
    return values


@dataclass(frozen=True, eq=False)  # eq=False: DataFrames compare elementwise, not to a bool
class KaplanMeierResults:
    """A fitted Kaplan–Meier estimate (immutable). Construct with :meth:`KaplanMeier.fit`.

    Attributes
    ----------
    table : polars.DataFrame
        One row per group and distinct end time (events or censorings), sorted by group and time:
        ``group`` (only when grouped), ``time``, ``n_risk``, ``n_event``, ``n_censor``, ``survival``,
        ``se`` (standard error of the survival, Greenwood), ``se_log`` (of :math:`\\log \\hat S`, R's
        ``std.err``; inf once the survival is 0), ``cumhaz`` (Nelson–Aalen), ``lower``, ``upper``.
    medians : polars.DataFrame
        One row per group, as R's ``print.survfit``: ``group`` (when grouped), ``records`` (rows),
        ``n_max`` (largest number at risk), ``n_start`` (at risk at the first time), ``events``,
        ``median``, ``lower``, ``upper`` (null where the curve does not reach 1/2).
    conf_level : float
        Level of the pointwise intervals.
    conf_type : str
        ``"log"``, ``"log-log"`` or ``"plain"``.
    group : str or None
        The grouping column, if any.
    """

    table: pl.DataFrame
    medians: pl.DataFrame
    conf_level: float
    conf_type: str
    group: str | None

    def survival_at(self, times: Sequence[float] | npt.ArrayLike) -> pl.DataFrame:
        """The estimate at given times (R's ``summary(fit, times = ...)``).

        Parameters
        ----------
        times : sequence of float
            Times at which to read the step function; times after a group's last time are left out
            (the curve is not defined there), as R does.

        Returns
        -------
        polars.DataFrame
            ``group`` (when grouped), ``time``, ``n_risk`` (at risk at the first end time at or after
            ``time``), ``survival``, ``se``, ``lower``, ``upper``, sorted by group and time.
        """
        wanted = np.sort(np.asarray(times, dtype=np.float64).ravel())
        parts: list[pl.DataFrame] = []
        groups: list[Any] = self.table["group"].unique(maintain_order=True).to_list() if self.group else [None]
        for g in groups:
            rows = self.table if g is None else self.table.filter(pl.col("group") == g)
            time = rows["time"].to_numpy()
            keep = wanted[wanted <= time[-1]]
            # Step function: the last row at or before t (none: before the first time, S = 1).
            before = np.searchsorted(time, keep, side="right") - 1
            after = np.searchsorted(time, keep, side="left")
            first = before < 0
            idx = np.maximum(before, 0)
            conf_initial = 1.0 if self.conf_type != "log-log" else np.nan
            initial = {"survival": 1.0, "se": 0.0, "lower": conf_initial, "upper": conf_initial}
            picked = {
                name: np.where(first, start, rows[name].cast(pl.Float64).fill_null(np.nan).to_numpy()[idx])
                for name, start in initial.items()
            }
            part = pl.DataFrame({"time": keep, "n_risk": rows["n_risk"].to_numpy()[after], **picked}).fill_nan(None)
            if g is not None:
                part = part.select(pl.lit(g, dtype=self.table.schema["group"]).alias("group"), pl.all())
            parts.append(part)
        return pl.concat(parts)

    def summary(self) -> str:
        """The medians table as text, as R's ``print.survfit``."""
        level = f"{self.conf_level:g}"
        head = f"Kaplan–Meier estimate, {level} pointwise intervals ({self.conf_type}), Greenwood variance\n"
        with pl.Config(tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True):
            return head + str(self.medians)


class KaplanMeier:
    """Kaplan–Meier estimator of the survival function, optionally by group and with delayed entry.

    Parameters
    ----------
    data : polars.DataFrame or pandas.DataFrame
        One row per spell (or counting-process row).
    duration : str
        Column with the end time (the event or censoring time; ``stop`` of a ``(entry, stop]`` row).
    event : str
        Column with 1 (event) or 0 (censored); booleans are accepted.
    group : str, optional
        Column to estimate separately by; groups are sorted (as R's factor levels).
    entry : str, optional
        Column with the entry time for left-truncated / counting-process data; each row is at risk on
        ``(entry, duration]`` and needs ``entry < duration``.

    Examples
    --------
    >>> import polars as pl
    >>> data = pl.DataFrame({"t": [1, 1, 2, 4], "e": [1, 0, 1, 1], "g": ["a", "a", "b", "b"]})
    >>> KaplanMeier(data, duration="t", event="e", group="g").fit().medians["median"].to_list()
    [1.0, 3.0]
    """

    def __init__(
        self,
        data: Any,
        *,
        duration: str,
        event: str,
        group: str | None = None,
        entry: str | None = None,
    ) -> None:
        frame = as_polars(data)
        self.duration_name = duration
        self.event_name = event
        self.group_name = group
        self.entry_name = entry
        self.stop = _numeric(frame, duration)
        ev = _numeric(frame, event)
        if not np.all((ev == 0) | (ev == 1)):
            raise ValueError(f"column {event!r} must be 0 or 1")
        self.event = ev.astype(np.int64)
        if entry is None:
            self.start: FloatArray | None = None
        else:
            self.start = _numeric(frame, entry)
            bad = int(np.sum(self.start >= self.stop))
            if bad:
                raise ValueError(
                    f"{bad} row(s) have {entry} >= {duration}; each row is at risk on ({entry}, {duration}]"
                )
        if group is None:
            self.groups: pl.Series | None = None
            self.group_index = np.zeros(frame.height, dtype=np.int64)
        else:
            if group not in frame.columns:
                raise ValueError(f"data lacks column {group!r}")
            series = frame[group]
            if series.null_count():
                raise ValueError(f"column {group!r} has {series.null_count()} missing value(s)")
            levels = series.unique().sort()
            self.groups = levels
            self.group_index = (
                series.to_frame("g")
                .join(levels.to_frame("g").with_row_index("i"), on="g", how="left", maintain_order="left")["i"]
                .to_numpy()
                .astype(np.int64)
            )
        if frame.height == 0:
            raise ValueError("data has no rows")

    def fit(self, *, conf_level: float = 0.95, conf_type: ConfType = "log") -> KaplanMeierResults:
        """Estimate the survival curves.

        Parameters
        ----------
        conf_level : float
            Level of the pointwise confidence intervals, in (0, 1); default 0.95.
        conf_type : {"log", "log-log", "plain"}
            Scale on which the interval is symmetric; ``"log"`` is R's default.

        Returns
        -------
        KaplanMeierResults
        """
        if conf_type not in CONF_TYPES:
            raise ValueError(f"conf_type must be one of {', '.join(CONF_TYPES)}, got {conf_type!r}")
        if not 0 < conf_level < 1:
            raise ValueError(f"conf_level must lie in (0, 1), got {conf_level}")
        z = NormalDist().inv_cdf(1 - (1 - conf_level) / 2)
        n_groups = 1 if self.groups is None else len(self.groups)
        tables: list[dict[str, FloatArray]] = []
        medians: list[dict[str, float]] = []
        for g in range(n_groups):
            mask = self.group_index == g
            start = None if self.start is None else self.start[mask]
            curve = _curve(self.stop[mask], self.event[mask], start, z, conf_type)
            tables.append(curve)
            medians.append(
                {
                    "records": float(mask.sum()),
                    "n_max": float(curve["n_risk"].max()),
                    "n_start": float(curve["n_risk"][0]),
                    "events": float(curve["n_event"].sum()),
                    "median": _first_half(curve["survival"], curve["time"]),
                    "lower": _first_half(curve["lower"], curve["time"]),
                    "upper": _first_half(curve["upper"], curve["time"]),
                }
            )
        table = pl.concat([_table(t) for t in tables])
        median_table = (
            pl.DataFrame(medians)
            .with_columns(pl.col("records", "n_max", "n_start", "events").cast(pl.Int64))
            .fill_nan(None)
        )
        if self.groups is not None:
            counts = [len(t["time"]) for t in tables]
            table = table.select(self.groups.gather(np.repeat(np.arange(n_groups), counts)).alias("group"), pl.all())
            median_table = median_table.select(self.groups.alias("group"), pl.all())
        return KaplanMeierResults(
            table=table, medians=median_table, conf_level=conf_level, conf_type=conf_type, group=self.group_name
        )


def kaplan_meier(
    data: Any,
    *,
    duration: str,
    event: str,
    group: str | None = None,
    entry: str | None = None,
    conf_level: float = 0.95,
    conf_type: ConfType = "log",
) -> KaplanMeierResults:
    """Kaplan–Meier curves in one call: ``KaplanMeier(data, ...).fit(conf_level=..., conf_type=...)``.

    See :class:`KaplanMeier` and :meth:`KaplanMeier.fit` for the parameters.
    """
    return KaplanMeier(data, duration=duration, event=event, group=group, entry=entry).fit(
        conf_level=conf_level, conf_type=conf_type
    )


def _table(curve: dict[str, FloatArray]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "time": curve["time"],
            "n_risk": curve["n_risk"].astype(np.int64),
            "n_event": curve["n_event"].astype(np.int64),
            "n_censor": curve["n_censor"].astype(np.int64),
            "survival": curve["survival"],
            "se": curve["se"],
            "se_log": curve["se_log"],
            "cumhaz": curve["cumhaz"],
            "lower": curve["lower"],
            "upper": curve["upper"],
        }
    ).with_columns(pl.col("se", "lower", "upper").fill_nan(None))


def _curve(
    stop: FloatArray, event: npt.NDArray[np.int64], start: FloatArray | None, z: float, conf_type: str
) -> dict[str, FloatArray]:
    time, inverse = np.unique(stop, return_inverse=True)
    n_event = np.bincount(inverse, weights=event, minlength=len(time))
    n_end = np.bincount(inverse, minlength=len(time)).astype(np.float64)
    # At risk at t: rows ending at or after t, less (delayed entry) rows entering at or after t.
    n_risk = np.cumsum(n_end[::-1])[::-1]
    if start is not None:
        n_risk = n_risk - (len(start) - np.searchsorted(np.sort(start), time, side="left"))
    survival = np.cumprod((n_risk - n_event) / n_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        greenwood = np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)
        se_log = np.sqrt(np.cumsum(greenwood))
        se = survival * se_log
        lower, upper = _limits(survival, se_log, z, conf_type)
    return {
        "time": time,
        "n_risk": n_risk,
        "n_event": n_event,
        "n_censor": n_end - n_event,
        "survival": survival,
        "se": se,
        "se_log": se_log,
        "cumhaz": np.cumsum(n_event / n_risk),
        "lower": lower,
        "upper": upper,
    }


def _limits(
    p: npt.NDArray[np.floating[Any]], se_log: npt.NDArray[np.floating[Any]], z: float, conf_type: str
) -> tuple[npt.NDArray[np.floating[Any]], npt.NDArray[np.floating[Any]]]:
    """Pointwise limits as R's ``survfit_confint`` (nan where R gives NA)."""
    if conf_type == "plain":
        half = z * se_log * p
        return np.maximum(p - half, 0.0), np.minimum(p + half, 1.0)
    if conf_type == "log":
        xx = np.where(p == 0, np.nan, p)
        return xx * np.exp(-z * se_log), np.minimum(xx * np.exp(z * se_log), 1.0)
    xx = np.where((p == 0) | (p == 1), np.nan, p)
    loglog = np.log(-np.log(xx))
    half = z * se_log / np.log(xx)
    return np.exp(-np.exp(loglog - half)), np.exp(-np.exp(loglog + half))


def _first_half(curve: FloatArray, time: FloatArray) -> float:
    """First time the curve is at or below 1/2 (R's ``survmean`` rule; nan if never)."""
    keep = ~np.isnan(curve) & (curve < 0.5 + _HALF_TOLERANCE)
    if not keep.any():
        return math.nan
    y, x = curve[keep], time[keep]
    if abs(y[0] - 0.5) < _HALF_TOLERANCE and (lower := np.flatnonzero(y < y[0])).size:
        return float((x[0] + x[lower[0]]) / 2)
    return float(x[0])
