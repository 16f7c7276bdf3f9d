r"""Discrete-time hazard models: logit and complementary log-log on person-period data, cluster-robust.

Pure numpy + polars, no Django. The estimates and the cluster-robust standard errors are those of R's
``glm(y ~ ..., family = binomial(link))`` on the expanded person-period data with
``sandwich::vcovCL(fit, cluster = ~cluster)`` (tested in ``jobtro/stats/tests/test_discrete.py``) — but
the person-periods are never materialised.

Person-period data
------------------
A spell (or a counting-process row :math:`(\text{start}, \text{stop}]`, ``start`` = 0 for a spell) with
event indicator :math:`e` is at risk in the periods (weeks) :math:`t = \text{start}, \dots,
\text{stop} - 1`, and also in :math:`t = \text{stop}` when :math:`e = 1`: that is the event period
(the convention of :mod:`jobtro.stats.spells`, where ``duration`` counts the whole weeks *before* the
event week, so a duration-0 event is one period and a censored duration 0 none). With
``duration_form="periods"`` the row is at risk in :math:`\text{start}, \dots, \text{stop} - 1` and the
event, if any, is in period :math:`\text{stop} - 1` (``stop`` = periods observed). Periods count from 0.

Model
-----
For person-period :math:`(i, t)` with outcome :math:`y_{it} = 1` in the event period and 0 before,

.. math::

   P(y_{it} = 1 \mid \text{at risk}) = \mu_{it} = g^{-1}\bigl(\alpha(t) + x_{it}'\beta\bigr),
   \qquad g = \operatorname{logit} \text{ or } g(\mu) = \log(-\log(1 - \mu)) \text{ (cloglog)},

with the baseline :math:`\alpha(t)` (``time``): ``"bands"`` piecewise constant on week bands
:math:`[c_k, c_{k+1})` (an intercept and a dummy per band after the first), ``"categorical"`` a dummy
per period, ``"linear"`` :math:`\alpha_0 + \alpha_1 t`, ``"log"`` :math:`\alpha_0 + \alpha_1\log(t+1)`,
``"quadratic"`` :math:`\alpha_0 + \alpha_1 t + \alpha_2 t^2`. Numeric and boolean covariates enter
linearly; string, categorical and enum covariates as treatment dummies, the first level (sorted) the
reference. Under cloglog, :math:`e^{\beta}` is the hazard ratio of a proportional-hazards model for the
underlying continuous time observed in weekly intervals (grouped-time Cox); under logit an odds ratio.

Sufficient statistics
---------------------
The Bernoulli log-likelihood :math:`\sum y\log\mu + (1-y)\log(1-\mu)` depends on the person-periods
only through the cells with equal design row: for cell :math:`c` with :math:`n_c` person-periods at risk
and :math:`d_c` events it is :math:`\sum_c d_c\log\mu_c + (n_c - d_c)\log(1 - \mu_c)`, a binomial GLM.
Cluster-robust standard errors need each cluster's score sum, so the cluster is part of the cell key:
cells are cluster × time (period or band) × covariate pattern. :func:`person_periods` builds them
straight from the spells, never one row per person-period:

- with week **bands**, each row's overlap with each band it spans (rows spanning several bands are
  split), summed per cluster, band and pattern;
- with the exact **period**, by a difference array (+1 where a row's periods begin, −1 after they end,
  events at the end, cumulated per cluster and pattern over the sorted breakpoints) as *runs*:
  consecutive periods of one cluster and pattern with the same number at risk, all events in the run's
  first period.

With a cluster in the key and citizen-level covariates the cells of exact periods are nearly as many as
the person-periods, so the baselines that need the period and have few terms (``"linear"``, ``"log"``,
``"quadratic"``) are fitted on the runs: the per-period terms are scalars evaluated per slot, and the
information is assembled from per-run sums (see ``_Runs``), so no design row per person-period is ever
formed. ``"categorical"`` (and ``"bands"`` on exact periods) expand the runs to cells.

Estimation
----------
Fisher scoring (IRLS) for the binomial GLM on the cells, as R's ``glm.fit``: with
:math:`\dot\mu = d\mu/d\eta` and :math:`w_c = n_c\dot\mu_c^2/(\mu_c(1-\mu_c))`, each step solves
:math:`X'WX\,\beta = X'W z` with :math:`z = \eta + (d/n - \mu)/\dot\mu`, from the intercept-only rate,
until the largest change in a coefficient is below ``tol``:math:`(1 + |\beta|)`. The model covariance is
the inverse Fisher information :math:`A^{-1} = (X'WX)^{-1}` (observed = expected under logit). With
clusters :math:`g = 1..G`, cell scores :math:`u_c = x_c (d_c - n_c\mu_c)\dot\mu_c/(\mu_c(1-\mu_c))` and
:math:`S_g = \sum_{c \in g} u_c`,

.. math::

   V_{\text{HC0}} = \frac{G}{G-1} A^{-1}\Bigl(\sum_g S_g S_g'\Bigr) A^{-1}, \qquad
   V_{\text{HC1}} = \frac{n-1}{n-k} V_{\text{HC0}},

:math:`n` the number of person-periods and :math:`k` of coefficients. HC0 is ``sandwich::vcovCL``'s
default for a ``glm`` (type "HC0", ``cadjust = TRUE``); HC1 is ``vcovCL(type = "HC1")``, Stata's and
statsmodels' default cluster correction.

Examples
--------
>>> import polars as pl
>>> spells = pl.DataFrame(
...     {"weeks": [0, 3, 5, 2, 7, 1], "event": [1, 1, 0, 1, 0, 1], "x": [1, 0, 0, 1, 0, 1], "cw": [1, 1, 2, 2, 3, 3]}
... )
>>> pp = person_periods(spells, duration="weeks", event="event", covariates=["x"], cluster="cw")
>>> pp.person_periods, pp.events
(22, 4)
>>> fit = fit_discrete_hazard(spells, duration="weeks", event="event", covariates=["x"], cluster="cw", time="linear")
>>> fit.names
('Intercept', 'period', 'x')
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from statistics import NormalDist
from typing import Any, Final, Literal, get_args

import numpy as np
import numpy.typing as npt
import polars as pl

from jobtro.stats._frames import as_polars

Link = Literal["logit", "cloglog"]
TimeTerm = Literal["bands", "categorical", "linear", "log", "quadratic"]
RobustType = Literal["HC0", "HC1"]
DurationForm = Literal["spells", "periods"]
LINKS: Final[tuple[str, ...]] = get_args(Link)
TIME_TERMS: Final[tuple[str, ...]] = get_args(TimeTerm)
ROBUST_TYPES: Final[tuple[str, ...]] = get_args(RobustType)
# Weeks: four-week bands in the first quarter, then quarters, then half-years.
DEFAULT_BANDS: Final = (0, 4, 8, 13, 26, 39, 52, 78)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
_EPS: Final = float(np.finfo(float).eps)
# Reserved column names of the cells table.
_AT_RISK: Final = "at_risk"
_EVENTS: Final = "events"


def _whole(frame: pl.DataFrame, column: str) -> pl.Expr:
    """The column as Int64, after checking it is numeric, complete and whole."""
    if column not in frame.columns:
        raise ValueError(f"data lacks column {column!r}")
    series = frame[column]
    if not (series.dtype.is_numeric() or series.dtype == pl.Boolean):
        raise ValueError(f"column {column!r} must be numeric, got {series.dtype}")
    if series.null_count():
        raise ValueError(f"column {column!r} has {series.null_count()} missing value(s)")
    if series.dtype.is_float():
        values = series.to_numpy()
        if not np.all(np.isfinite(values)) or not np.all(values == np.round(values)):
            raise ValueError(f"column {column!r} must hold whole numbers of periods")
    return pl.col(column).cast(pl.Int64)


@dataclass(frozen=True, eq=False)  # eq=False: DataFrames compare elementwise, not to a bool
class PersonPeriods:
    """Person-period data collapsed to cells (immutable). Build with :func:`person_periods`.

    Attributes
    ----------
    table : polars.DataFrame
        The compact form. With bands, the cells: the cluster column (if any), ``band`` (the band's first
        period), the covariates, ``at_risk`` (person-periods) and ``events``, sorted by those keys. With
        exact periods, *runs*: the cluster column (if any), the covariates, ``period`` (first) and
        ``last`` (inclusive) — consecutive periods of one cluster and pattern with the same number
        ``at_risk`` in each — and ``events`` (all in the run's first period), sorted by the keys and
        ``period``.
    time : {"period", "band"}
        Whether the cells keep the exact period or only its band.
    bands : tuple of int or None
        The band cut points (first periods of the bands) when ``time == "band"``.
    covariates : tuple of str
        The covariate columns.
    cluster : str or None
        The cluster column.
    rows : int
        Input rows with at least one period at risk.
    """

    table: pl.DataFrame
    time: Literal["period", "band"]
    bands: tuple[int, ...] | None
    covariates: tuple[str, ...]
    cluster: str | None
    rows: int

    @cached_property
    def cells(self) -> pl.DataFrame:
        """One row per cluster × time × covariate pattern with at least one person-period.

        The cluster column (if any), ``period`` (0-based) or ``band``, the covariates, ``at_risk`` and
        ``events``, sorted by the key columns. With exact periods the runs are expanded to their
        periods here (as large as the data when cluster and pattern are nearly unique per person).
        """
        if self.time == "band":
            return self.table
        keys = [*((self.cluster,) if self.cluster else ()), "period", *self.covariates]
        lengths = pl.col("last") - pl.col("period") + 1
        return (
            self.table.with_columns(pl.int_ranges(0, lengths).alias("__i"))
            .explode("__i")
            .with_columns(
                pl.when(pl.col("__i") == 0).then(pl.col(_EVENTS)).otherwise(0).alias(_EVENTS),
                (pl.col("period") + pl.col("__i")).alias("period"),
            )
            .sort(keys)
            .select(*keys, _AT_RISK, _EVENTS)
        )

    @property
    def person_periods(self) -> int:
        """Number of person-periods at risk (the expanded data's rows)."""
        if self.time == "band":
            return int(self.table[_AT_RISK].sum())
        return int((self.table[_AT_RISK] * (self.table["last"] - self.table["period"] + 1)).sum())

    @property
    def events(self) -> int:
        """Number of events."""
        return int(self.table[_EVENTS].sum())

    def expand(self) -> pl.DataFrame:
        """The person-periods themselves, one row each with ``y`` (0/1) — for checks on small data only.

        Returns
        -------
        polars.DataFrame
            The cells' key columns and ``y``; a cell with :math:`n` at risk and :math:`d` events gives
            :math:`d` rows with ``y = 1`` and :math:`n - d` with ``y = 0``.
        """
        cells = self.cells
        keys = [c for c in cells.columns if c not in (_AT_RISK, _EVENTS)]
        return (
            cells.with_columns(pl.int_ranges(0, pl.col(_AT_RISK)).alias("__i"))
            .explode("__i")
            .select(*keys, (pl.col("__i") < pl.col(_EVENTS)).cast(pl.Int8).alias("y"))
        )


def person_periods(
    data: Any,
    *,
    duration: str,
    event: str,
    covariates: Sequence[str] = (),
    cluster: str | None = None,
    entry: str | None = None,
    bands: Sequence[int] | None = None,
    duration_form: DurationForm = "spells",
) -> PersonPeriods:
    """Expand spells to person-period counts, directly in collapsed form.

    Parameters
    ----------
    data : polars.DataFrame or pandas.DataFrame
        One row per spell or counting-process row.
    duration : str
        End of the row in periods (``stop``; a spell's ``duration``), a whole number.
    event : str
        1 if the row ends in an event, else 0 (booleans accepted).
    covariates : sequence of str
        Columns that enter the model (any type; they are part of the cell key, so discrete covariates
        collapse best).
    cluster : str, optional
        Column identifying the cluster (e.g. the caseworker) for cluster-robust standard errors; may vary
        between the rows of a person (the row's value counts).
    entry : str, optional
        Start of a counting-process row (default 0: every row is a whole spell).
    bands : sequence of int, optional
        Cut points :math:`0 = c_0 < c_1 < \\dots`: keep only the band :math:`[c_k, c_{k+1})` of each
        period (for a piecewise-constant baseline; far fewer cells). Default: keep the exact period.
    duration_form : {"spells", "periods"}
        Which periods a row covers; see the module docstring.

    Returns
    -------
    PersonPeriods
    """
    frame = as_polars(data)
    covariates = tuple(covariates)
    key_columns = ((cluster,) if cluster else ()) + covariates
    missing = [c for c in key_columns if c not in frame.columns]
    if missing:
        raise ValueError(f"data lacks column(s): {', '.join(missing)}")
    reserved = {_AT_RISK, _EVENTS, "period", "band", *(c for c in key_columns if c.startswith("__"))}
    clash = sorted(reserved & set(key_columns))
    if clash:
        raise ValueError(f"column name(s) reserved for the cells: {', '.join(clash)}")
    if len(set(key_columns)) != len(key_columns):
        raise ValueError("cluster and covariates must be distinct columns")
    nulls = [c for c in key_columns if frame[c].null_count()]
    if nulls:
        raise ValueError(f"missing values in: {', '.join(nulls)}")
    if duration_form not in ("spells", "periods"):
        raise ValueError(f"duration_form must be 'spells' or 'periods', got {duration_form!r}")
    stop = _whole(frame, duration)
    ev = _whole(frame, event)
    start = _whole(frame, entry) if entry else pl.lit(0, pl.Int64)
    checked = frame.select(stop.alias("stop"), ev.alias("e"), start.alias("a"))
    if not checked["e"].is_in([0, 1]).all():
        raise ValueError(f"column {event!r} must be 0 or 1")
    if (checked["a"] < 0).any():
        raise ValueError(f"column {entry!r} has negative values")
    if (checked["stop"] < checked["a"]).any():
        raise ValueError(f"{duration} < {entry or 0} in some rows")
    if duration_form == "periods" and ((checked["stop"] == checked["a"]) & (checked["e"] == 1)).any():
        raise ValueError(f"an event needs at least one period: {duration} > {entry or 0} where {event} = 1")

    # Each row covers periods a..last; the event (if any) is in period `last`.
    last = (stop + ev - 1) if duration_form == "spells" else (stop - 1)
    rows = (
        frame.lazy()
        .select(*key_columns, start.alias("__a"), last.alias("__last"), ev.alias("__e"))
        .filter(pl.col("__last") >= pl.col("__a"))
    )
    keys = list(key_columns)
    n_rows = int(rows.select(pl.len()).collect().item())
    if bands is not None:
        cuts = _cuts(bands)
        sort_keys = [*((cluster,) if cluster else ()), "band", *covariates]
        cells = _band_cells(rows, keys, cuts).sort(sort_keys).collect().select(*sort_keys, _AT_RISK, _EVENTS)
        return PersonPeriods(table=cells, time="band", bands=cuts, covariates=covariates, cluster=cluster, rows=n_rows)
    runs = _period_runs(rows, keys).collect()
    return PersonPeriods(table=runs, time="period", bands=None, covariates=covariates, cluster=cluster, rows=n_rows)


def _cuts(bands: Sequence[int]) -> tuple[int, ...]:
    cuts = tuple(int(b) for b in bands)
    if not cuts or cuts[0] != 0 or any(b >= c for b, c in itertools.pairwise(cuts)):
        raise ValueError(f"bands must start at 0 and increase strictly, got {list(bands)}")
    return cuts


def _band_cells(rows: pl.LazyFrame, keys: list[str], cuts: tuple[int, ...]) -> pl.LazyFrame:
    # Band index of a period: the last cut at or below it. A row spans bands k(a)..k(last); its overlap
    # with band k is min(last, hi_k) - max(a, lo_k) + 1 periods, and its event falls in band k(last).
    def band_of(column: str) -> pl.Expr:
        return (
            pl.sum_horizontal([(pl.col(column) >= c).cast(pl.Int32) for c in cuts[1:]])
            if len(cuts) > 1
            else pl.lit(0, pl.Int32)
        )

    limits = pl.LazyFrame(
        {
            "__k": list(range(len(cuts))),
            "band": list(cuts),
            "__hi": [*(c - 1 for c in cuts[1:]), 2**62],
        },
        schema={"__k": pl.Int32, "band": pl.Int64, "__hi": pl.Int64},
    )
    return (
        rows.with_columns(band_of("__a").alias("__ka"), band_of("__last").alias("__kb"))
        .with_columns(pl.int_ranges(pl.col("__ka"), pl.col("__kb") + 1, dtype=pl.Int32).alias("__k"))
        .explode("__k")
        .join(limits, on="__k", how="left")
        .with_columns(
            (
                pl.min_horizontal(pl.col("__last"), pl.col("__hi"))
                - pl.max_horizontal(pl.col("__a"), pl.col("band"))
                + 1
            ).alias(_AT_RISK),
            pl.when(pl.col("__k") == pl.col("__kb")).then(pl.col("__e")).otherwise(0).alias(_EVENTS),
        )
        .group_by(*keys, "band")
        .agg(pl.col(_AT_RISK).sum(), pl.col(_EVENTS).sum())
    )


def _period_runs(rows: pl.LazyFrame, keys: list[str]) -> pl.LazyFrame:
    # Difference array per key (cluster and covariates): +1 at a row's first period, -1 after its last,
    # events at the last; cumulated over the sorted breakpoints the count is constant up to the next
    # breakpoint. Event periods are breakpoints, so a run's events are all in its first period.
    breaks = (
        pl.concat(
            [
                rows.select(
                    *keys,
                    pl.col("__a").alias("period"),
                    pl.lit(1, pl.Int64).alias("__delta"),
                    pl.lit(0, pl.Int64).alias(_EVENTS),
                ),
                rows.select(
                    *keys,
                    (pl.col("__last") + 1).alias("period"),
                    pl.lit(-1, pl.Int64).alias("__delta"),
                    pl.lit(0, pl.Int64).alias(_EVENTS),
                ),
                rows.filter(pl.col("__e") == 1).select(
                    *keys,
                    pl.col("__last").alias("period"),
                    pl.lit(0, pl.Int64).alias("__delta"),
                    pl.col("__e").cast(pl.Int64).alias(_EVENTS),
                ),
            ]
        )
        .group_by(*keys, "period")
        .agg(pl.col("__delta").sum(), pl.col(_EVENTS).sum())
        .sort(*keys, "period")
    )
    if keys:
        runs = breaks.with_columns(
            pl.col("__delta").cum_sum().over(keys).alias(_AT_RISK),
            pl.col("period").shift(-1).over(keys).alias("__next"),
        )
    else:
        runs = breaks.with_columns(
            pl.col("__delta").cum_sum().alias(_AT_RISK), pl.col("period").shift(-1).alias("__next")
        )
    return runs.filter(pl.col(_AT_RISK) > 0).select(
        *keys, "period", (pl.col("__next") - 1).alias("last"), _AT_RISK, _EVENTS
    )


# --------------------------------------------------------------------------------------------------
# Links


def _inverse(link: str, eta: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """mu, dmu/deta, log(mu), log(1 - mu); mu kept inside [eps, 1 - eps] as R's binomial() does."""
    if link == "logit":
        eta = np.clip(eta, -30.0, 30.0)
        log_mu = -np.logaddexp(0.0, -eta)
        log_1mu = -np.logaddexp(0.0, eta)
        mu = np.exp(log_mu)
        mu_eta = np.exp(log_mu + log_1mu)
    else:
        eta = np.minimum(eta, 700.0)
        exp_eta = np.exp(eta)
        mu = -np.expm1(-exp_eta)
        log_1mu = -exp_eta
        log_mu = np.log(np.maximum(mu, _EPS))
        mu_eta = np.maximum(np.exp(eta - exp_eta), _EPS)
    mu = np.clip(mu, _EPS, 1 - _EPS)
    return mu, mu_eta, log_mu, log_1mu


def _link(link: str, mu: float) -> float:
    return math.log(mu / (1 - mu)) if link == "logit" else math.log(-math.log1p(-mu))


class _Cells:
    """The likelihood on cells with a full design row each: :math:`X` (cells × k), events, at risk."""

    def __init__(self, x: FloatArray, events: FloatArray, at_risk: FloatArray, clusters: IntArray | None) -> None:
        self.x, self.events, self.at_risk = x, events, at_risk
        # Cells sorted by cluster first: the first cell of each cluster (None: no clusters).
        self.cluster_starts = None if clusters is None else np.flatnonzero(np.r_[True, clusters[1:] != clusters[:-1]])

    def evaluate(self, link: str, beta: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        mu, mu_eta, log_mu, log_1mu = _inverse(link, self.x @ beta)
        loglik = float(self.events @ log_mu + (self.at_risk - self.events) @ log_1mu)
        h = mu_eta / (mu * (1 - mu))
        residual = (self.events - self.at_risk * mu) * h
        scaled = self.x * np.sqrt(self.at_risk * mu_eta * h)[:, None]
        return loglik, self.x.T @ residual, scaled.T @ scaled

    def cluster_scores(self, link: str, beta: FloatArray) -> FloatArray:
        assert self.cluster_starts is not None
        mu, mu_eta, _, _ = _inverse(link, self.x @ beta)
        residual = (self.events - self.at_risk * mu) * mu_eta / (mu * (1 - mu))
        scores: FloatArray = np.add.reduceat(self.x * residual[:, None], self.cluster_starts, axis=0)
        return scores


class _Runs:
    r"""The likelihood on runs of periods, for a baseline :math:`g(t)'\alpha` with few terms.

    Run :math:`r` (cluster and pattern :math:`z_r`, periods :math:`p_r .. l_r`, :math:`c_r` at risk in
    each, :math:`d_r` events in :math:`p_r`) has :math:`\eta_{rt} = z_r'\gamma + g(t)'\alpha`. The
    per-period terms are scalars (no design row per person-period); the information is assembled from
    per-run sums: :math:`\sum_r W_r z_r z_r'` with :math:`W_r = \sum_t c_r w_{rt}`,
    :math:`\sum_r z_r (\sum_t c_r w_{rt} g(t))'` and :math:`\sum_{r,t} c_r w_{rt} g(t) g(t)'`.
    """

    def __init__(
        self,
        z: FloatArray,
        g: FloatArray,
        first: IntArray,
        last: IntArray,
        at_risk: FloatArray,
        events: FloatArray,
        clusters: IntArray | None,
        z_index: IntArray,
        g_index: IntArray,
    ) -> None:
        self.z = z
        self.events = events
        self.z_index, self.g_index = z_index, g_index
        self.k = len(z_index) + len(g_index)
        self.lengths = last - first + 1
        self.starts = np.r_[0, np.cumsum(self.lengths)[:-1]].astype(np.intp)
        self.run = np.repeat(np.arange(len(first), dtype=np.intp), self.lengths)
        # Period of each person-period slot: the run's first period plus the offset within the run.
        period = first[self.run] + (np.arange(self.run.size, dtype=np.intp) - self.starts[self.run])
        self.at_risk = at_risk[self.run]
        self.gt = np.asfortranarray(g[period])  # g(t) of every slot, one contiguous column per term
        del period
        self.cluster_starts = None if clusters is None else np.flatnonzero(np.r_[True, clusters[1:] != clusters[:-1]])
        # Work arrays, one value per slot, reused by every evaluation (fresh pages cost more than the math).
        self._eta, self._e, self._mu, self._tmp, self._residual, self._weight = (
            np.empty(self.run.size) for _ in range(6)
        )

    def _terms(self, link: str, beta: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        r"""Log-likelihood, per-slot score factor :math:`(y - c\mu)h` and weight :math:`c\dot\mu h`
        (:math:`h = \dot\mu/(\mu(1-\mu))`), with as few transcendental functions per slot as the link
        allows. The two arrays are work arrays, overwritten by the next call."""
        eta, e, mu, tmp, residual, weight = self._eta, self._e, self._mu, self._tmp, self._residual, self._weight
        np.take(self.z @ beta[self.z_index], self.run, out=eta)
        for column, coef in zip(self.gt.T, beta[self.g_index], strict=True):
            np.multiply(column, coef, out=tmp)
            eta += tmp
        c, starts = self.at_risk, self.starts
        h_starts: FloatArray | float
        if link == "logit":  # h = 1
            np.clip(eta, -30.0, 30.0, out=eta)
            np.exp(eta, out=e)
            np.log1p(e, out=tmp)  # -log(1 - mu)
            log_1mu_sum = -float(c @ tmp)
            log_mu_starts = eta[starts] - tmp[starts]
            log_1mu_starts = -tmp[starts]
            np.add(e, 1.0, out=mu)
            np.divide(e, mu, out=mu)
            np.subtract(1.0, mu, out=weight)
            weight *= mu
            weight *= c
            np.multiply(c, mu, out=residual)
            h_starts = 1.0
        else:  # mu = 1 - exp(-e) with e = exp(eta): log(1 - mu) = -e, h = e / mu, c mu h = c e
            np.minimum(eta, 700.0, out=eta)
            np.exp(eta, out=e)
            np.negative(e, out=mu)
            np.expm1(mu, out=mu)
            np.negative(mu, out=mu)
            np.clip(mu, _EPS, 1 - _EPS, out=mu)
            log_1mu_sum = -float(c @ e)
            log_mu_starts = np.log(mu[starts])
            log_1mu_starts = -e[starts]
            np.divide(e, mu, out=tmp)  # h
            h_starts = tmp[starts]
            np.subtract(1.0, mu, out=weight)
            weight *= tmp
            weight *= e
            weight *= c
            np.multiply(c, e, out=residual)
        np.negative(residual, out=residual)
        loglik = log_1mu_sum + float(self.events @ (log_mu_starts - log_1mu_starts))
        residual[starts] += self.events * h_starts
        return loglik, residual, weight

    def _run_sums(self, values: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Per-run sums of ``values`` and of ``values * g(t)`` (runs × time terms)."""
        plain: FloatArray = np.add.reduceat(values, self.starts)
        timed = np.column_stack(
            [np.add.reduceat(np.multiply(values, g, out=self._tmp), self.starts) for g in self.gt.T]
        )
        return plain, timed

    def evaluate(self, link: str, beta: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        loglik, residual, weight = self._terms(link, beta)
        r0, r1 = self._run_sums(residual)
        w0, w1 = self._run_sums(weight)
        score = np.empty(self.k)
        score[self.z_index] = self.z.T @ r0
        score[self.g_index] = r1.sum(axis=0)
        info = np.empty((self.k, self.k))
        scaled = self.z * np.sqrt(w0)[:, None]
        info[np.ix_(self.z_index, self.z_index)] = scaled.T @ scaled
        cross = self.z.T @ w1
        info[np.ix_(self.z_index, self.g_index)] = cross
        info[np.ix_(self.g_index, self.z_index)] = cross.T
        info[np.ix_(self.g_index, self.g_index)] = [[(weight * a) @ b for b in self.gt.T] for a in self.gt.T]
        return loglik, score, info

    def cluster_scores(self, link: str, beta: FloatArray) -> FloatArray:
        assert self.cluster_starts is not None
        _, residual, _ = self._terms(link, beta)
        r0, r1 = self._run_sums(residual)
        per_run = np.empty((r0.size, self.k))
        per_run[:, self.z_index] = self.z * r0[:, None]
        per_run[:, self.g_index] = r1
        scores: FloatArray = np.add.reduceat(per_run, self.cluster_starts, axis=0)
        return scores


# --------------------------------------------------------------------------------------------------
# Model and results


@dataclass(frozen=True, eq=False)
class DiscreteHazardResults:
    """A fitted discrete-time hazard model (immutable). Construct with :meth:`DiscreteHazard.fit`.

    Attributes
    ----------
    params : polars.DataFrame
        ``term``, ``coef``, ``exp_coef`` (hazard ratio under cloglog, odds ratio under logit), ``se``
        (model), ``robust_se`` (cluster-robust; null without clusters), ``z``, ``p_value``, ``ci_low``,
        ``ci_high`` (on the coefficient scale; from the robust SE when clustered).
    names : tuple of str
        Coefficient names: ``Intercept``, the time terms (``band[T.4]``, ``period[T.3]``, ``period``,
        ``log(period+1)``, ``period^2``), then the covariates (``x``, ``grp[T.b]``).
    coef : numpy.ndarray
        Coefficients.
    cov : numpy.ndarray
        Model covariance (inverse Fisher information).
    cov_robust : numpy.ndarray or None
        Cluster-robust covariance (``robust_type``), or None without clusters.
    link, time, robust_type : str
        The link, the baseline form and the small-sample correction of ``cov_robust``.
    loglik : float
        Log-likelihood of the person-period (Bernoulli) data; R's ``logLik`` on the expanded data.
    deviance : float
        :math:`-2` ``loglik`` (the expanded data's deviance).
    n_obs, n_events, n_cells, n_clusters : int
        Person-periods, events, cells (or runs of periods) fitted, clusters (0 without).
    iterations : int
        Scoring iterations.
    conf_level : float
        Level of ``ci_low``/``ci_high``.
    """

    params: pl.DataFrame
    names: tuple[str, ...]
    coef: FloatArray
    cov: FloatArray
    cov_robust: FloatArray | None
    link: str
    time: str
    robust_type: str
    loglik: float
    deviance: float
    n_obs: int
    n_events: int
    n_cells: int
    n_clusters: int
    iterations: int
    conf_level: float

    @property
    def se(self) -> FloatArray:
        """Model standard errors."""
        return np.sqrt(np.diag(self.cov))

    @property
    def robust_se(self) -> FloatArray | None:
        """Cluster-robust standard errors, or None without clusters."""
        return None if self.cov_robust is None else np.sqrt(np.diag(self.cov_robust))

    def summary(self) -> str:
        """The coefficient table with the fit's size, as text."""
        kind = "hazard ratio (grouped-time PH)" if self.link == "cloglog" else "odds ratio"
        clusters = f", {self.n_clusters:,} clusters ({self.robust_type})" if self.n_clusters else ""
        head = (
            f"Discrete-time hazard, {self.link} link (exp(coef): {kind}), baseline: {self.time}\n"
            f"{self.n_obs:,} person-periods in {self.n_cells:,} cells, {self.n_events:,} events{clusters}; "
            f"log-likelihood {self.loglik:.4f}\n"
        )
        with pl.Config(tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True, tbl_rows=-1, fmt_float="mixed"):
            return head + str(self.params)


class DiscreteHazard:
    """Binomial GLM (logit or cloglog) on collapsed person-period cells (or runs of periods).

    Parameters
    ----------
    periods : PersonPeriods
        From :func:`person_periods`.
    link : {"logit", "cloglog"}
        Link function.
    time : {"bands", "categorical", "linear", "log", "quadratic"}, optional
        Baseline :math:`\\alpha(t)`; see the module docstring. Default: ``"bands"`` when the cells keep
        bands, else ``"categorical"``. Cells with bands allow only ``"bands"``.
    bands : sequence of int, optional
        Cut points for ``time="bands"`` on cells that keep the exact period (default
        :data:`DEFAULT_BANDS`).
    covariates : sequence of str, optional
        Subset of the cells' covariates to use (default all).
    """

    def __init__(
        self,
        periods: PersonPeriods,
        *,
        link: Link = "logit",
        time: TimeTerm | None = None,
        bands: Sequence[int] | None = None,
        covariates: Sequence[str] | None = None,
    ) -> None:
        if link not in LINKS:
            raise ValueError(f"link must be one of {', '.join(LINKS)}, got {link!r}")
        if time is None:
            time = "bands" if periods.time == "band" else "categorical"
        if time not in TIME_TERMS:
            raise ValueError(f"time must be one of {', '.join(TIME_TERMS)}, got {time!r}")
        if periods.time == "band" and time != "bands":
            raise ValueError(f"time={time!r} needs the exact period; build the cells without bands")
        covariates = periods.covariates if covariates is None else tuple(covariates)
        unknown = [c for c in covariates if c not in periods.covariates]
        if unknown:
            raise ValueError(f"not covariates of the cells: {', '.join(unknown)}")
        if periods.table.height == 0:
            raise ValueError("no person-periods at risk")
        self.periods = periods
        self.link: Link = link
        self.time: TimeTerm = time
        cluster_codes = None
        if periods.time == "period" and time in ("linear", "log", "quadratic"):
            runs = periods.table
            period = np.arange(int(runs["last"].to_numpy().max()) + 1, dtype=np.float64)
            time_columns, time_names = _time_terms(time, period)
            z_columns: list[FloatArray] = [np.ones(runs.height)]
            z_names = ["Intercept"]
            _covariate_columns(runs, covariates, z_columns, z_names)
            k_time = len(time_names)
            self.names = (z_names[0], *time_names, *z_names[1:])
            if periods.cluster is not None:
                cluster_codes = _codes(runs[periods.cluster])
            self._likelihood: _Cells | _Runs = _Runs(
                z=np.column_stack(z_columns),
                g=np.column_stack(time_columns),
                first=runs["period"].to_numpy().astype(np.intp),
                last=runs["last"].to_numpy().astype(np.intp),
                at_risk=runs[_AT_RISK].cast(pl.Float64).to_numpy(),
                events=runs[_EVENTS].cast(pl.Float64).to_numpy(),
                clusters=cluster_codes,
                z_index=np.r_[0, np.arange(1 + k_time, len(self.names))].astype(np.intp),
                g_index=np.arange(1, 1 + k_time, dtype=np.intp),
            )
        else:
            cells = periods.cells
            columns: list[FloatArray] = [np.ones(cells.height)]
            names: list[str] = ["Intercept"]
            if periods.time == "band":
                _dummies(cells["band"], "band", columns, names)
            elif time == "bands":
                cuts = _cuts(DEFAULT_BANDS if bands is None else bands)
                period_int = cells["period"].to_numpy()
                band = pl.Series("band", np.asarray(cuts)[np.searchsorted(cuts, period_int, side="right") - 1])
                _dummies(band, "band", columns, names)
            elif time == "categorical":
                _dummies(cells["period"], "period", columns, names)
            else:
                extra, extra_names = _time_terms(time, cells["period"].cast(pl.Float64).to_numpy())
                columns += extra
                names += extra_names
            _covariate_columns(cells, covariates, columns, names)
            self.names = tuple(names)
            if periods.cluster is not None:
                cluster_codes = _codes(cells[periods.cluster])
            self._likelihood = _Cells(
                np.column_stack(columns),
                cells[_EVENTS].cast(pl.Float64).to_numpy(),
                cells[_AT_RISK].cast(pl.Float64).to_numpy(),
                cluster_codes,
            )
        self.n_obs = periods.person_periods
        self.n_events = periods.events
        self.n_cells = periods.table.height if isinstance(self._likelihood, _Runs) else periods.cells.height
        # Rank from the information at the start (all weights positive), scaled to unit diagonal.
        start = self._start()
        self._initial = (start, self.loglik_score_information(start))  # also the first scoring step's
        info = self._initial[1][2]
        scale = 1 / np.sqrt(np.diag(info))
        rank = np.linalg.matrix_rank(info * np.outer(scale, scale), hermitian=True)
        if rank < len(self.names):
            raise ValueError(
                f"the design is rank deficient (rank {rank} of {len(self.names)} columns): {', '.join(self.names)}"
            )

    def _start(self) -> FloatArray:
        if not 0 < self.n_events < self.n_obs:
            raise ValueError(f"need events and non-events: {self.n_events} events in {self.n_obs} person-periods")
        beta = np.zeros(len(self.names))
        beta[0] = _link(self.link, self.n_events / self.n_obs)
        return beta

    def loglik_score_information(self, beta: npt.ArrayLike) -> tuple[float, FloatArray, FloatArray]:
        """Log-likelihood (of the person-period data), score and Fisher information at ``beta``.

        Parameters
        ----------
        beta : array_like
            Coefficients in the order of ``names``.

        Returns
        -------
        tuple of (float, numpy.ndarray, numpy.ndarray)
        """
        return self._likelihood.evaluate(self.link, np.asarray(beta, dtype=np.float64))

    def fit(
        self,
        *,
        robust_type: RobustType = "HC0",
        conf_level: float = 0.95,
        tol: float = 1e-10,
        max_iter: int = 50,
    ) -> DiscreteHazardResults:
        """Fit by Fisher scoring (IRLS).

        Parameters
        ----------
        robust_type : {"HC0", "HC1"}
            Small-sample correction of the cluster-robust covariance: ``"HC0"`` is :math:`G/(G-1)`
            (``sandwich::vcovCL``'s default for glm), ``"HC1"`` also :math:`(n-1)/(n-k)`.
        conf_level : float
            Level of the confidence intervals in ``params``.
        tol : float
            Stop when no coefficient changes by more than ``tol * (1 + |coef|)``.
        max_iter : int
            Raise if not converged after this many iterations.

        Returns
        -------
        DiscreteHazardResults
        """
        if robust_type not in ROBUST_TYPES:
            raise ValueError(f"robust_type must be one of {', '.join(ROBUST_TYPES)}, got {robust_type!r}")
        if not 0 < conf_level < 1:
            raise ValueError(f"conf_level must lie in (0, 1), got {conf_level}")
        beta = self._initial[0].copy()
        loglik, score, info = self._initial[1]
        iteration = 0
        converged = False
        while not converged:
            iteration += 1
            if iteration > max_iter:
                raise RuntimeError(f"scoring did not converge in {max_iter} iterations")
            step = np.linalg.solve(info, score)
            # Step halving if the log-likelihood falls (rare; R's glm.fit only halves on invalid values).
            for _ in range(30):
                trial = beta + step
                new_loglik, new_score, new_info = self.loglik_score_information(trial)
                if np.isfinite(new_loglik) and new_loglik >= loglik - 1e-9 * (abs(loglik) + 1):
                    break
                step = step / 2
            beta, loglik, score, info = trial, new_loglik, new_score, new_info
            converged = bool(np.all(np.abs(step) <= tol * (1 + np.abs(beta))))
        cov = np.linalg.inv(info)
        cov = (cov + cov.T) / 2
        cov_robust = None
        n_clusters = 0
        if self._likelihood.cluster_starts is not None:
            sums = self._likelihood.cluster_scores(self.link, beta)
            n_clusters = sums.shape[0]
            if n_clusters < 2:
                raise ValueError("cluster-robust standard errors need at least 2 clusters")
            adjust = n_clusters / (n_clusters - 1)
            if robust_type == "HC1":
                adjust *= (self.n_obs - 1) / (self.n_obs - len(beta))
            cov_robust = adjust * cov @ (sums.T @ sums) @ cov
            cov_robust = (cov_robust + cov_robust.T) / 2
        return DiscreteHazardResults(
            params=_params(self.names, beta, cov, cov_robust, conf_level),
            names=self.names,
            coef=beta,
            cov=cov,
            cov_robust=cov_robust,
            link=self.link,
            time=self.time,
            robust_type=robust_type,
            loglik=loglik,
            deviance=-2 * loglik,
            n_obs=self.n_obs,
            n_events=self.n_events,
            n_cells=self.n_cells,
            n_clusters=n_clusters,
            iterations=iteration,
            conf_level=conf_level,
        )


def fit_discrete_hazard(
    data: Any,
    *,
    duration: str,
    event: str,
    covariates: Sequence[str] = (),
    cluster: str | None = None,
    entry: str | None = None,
    link: Link = "logit",
    time: TimeTerm = "bands",
    bands: Sequence[int] = DEFAULT_BANDS,
    duration_form: DurationForm = "spells",
    robust_type: RobustType = "HC0",
    conf_level: float = 0.95,
) -> DiscreteHazardResults:
    """Discrete-time hazard model from spells in one call.

    Builds the cells with :func:`person_periods` (keeping only the band when ``time="bands"``) and fits
    :class:`DiscreteHazard`. Parameters as there; ``bands`` is used only with ``time="bands"``.

    Returns
    -------
    DiscreteHazardResults
    """
    periods = person_periods(
        data,
        duration=duration,
        event=event,
        covariates=covariates,
        cluster=cluster,
        entry=entry,
        bands=bands if time == "bands" else None,
        duration_form=duration_form,
    )
    return DiscreteHazard(periods, link=link, time=time).fit(robust_type=robust_type, conf_level=conf_level)


def _time_terms(time: str, period: FloatArray) -> tuple[list[FloatArray], list[str]]:
    if time == "log":
        return [np.log(period + 1)], ["log(period+1)"]
    if time == "linear":
        return [period], ["period"]
    return [period, period**2], ["period", "period^2"]


def _covariate_columns(
    frame: pl.DataFrame, covariates: Sequence[str], columns: list[FloatArray], names: list[str]
) -> None:
    for name in covariates:
        series = frame[name]
        if series.dtype.is_numeric() or series.dtype == pl.Boolean:
            columns.append(series.cast(pl.Float64).to_numpy())
            names.append(name)
        else:
            _dummies(series, name, columns, names)


def _codes(series: pl.Series) -> IntArray:
    return series.rank("dense").cast(pl.Int64).to_numpy().astype(np.intp) - 1


def _dummies(series: pl.Series, name: str, columns: list[FloatArray], names: list[str]) -> None:
    """Treatment dummies of the sorted levels present, the first the reference."""
    levels = series.unique().sort()
    for level in levels.to_list()[1:]:
        columns.append((series == level).cast(pl.Float64).to_numpy())
        names.append(f"{name}[T.{level}]")


def _params(
    names: tuple[str, ...], beta: FloatArray, cov: FloatArray, cov_robust: FloatArray | None, conf_level: float
) -> pl.DataFrame:
    se = np.sqrt(np.diag(cov))
    robust = None if cov_robust is None else np.sqrt(np.diag(cov_robust))
    used = se if robust is None else robust
    z = beta / used
    p = np.array([math.erfc(abs(v) / math.sqrt(2)) for v in z])
    q = NormalDist().inv_cdf(1 - (1 - conf_level) / 2)
    return pl.DataFrame(
        {
            "term": list(names),
            "coef": beta,
            "exp_coef": np.exp(beta),
            "se": se,
            "robust_se": pl.Series(robust, dtype=pl.Float64)
            if robust is not None
            else pl.Series([None] * len(names), dtype=pl.Float64),
            "z": z,
            "p_value": p,
            "ci_low": beta - q * used,
            "ci_high": beta + q * used,
        }
    )
