r"""Calibration of caseworkers' beliefs against outcomes: observed shares, Brier score, C-index.

Pure numpy/scipy (no Django). The question is how well the 5-step specific belief, given at a
measurement, foretells whether the citizen is in job or education within the horizon :math:`H`
(52 weeks by default): the observed share per belief level, the Brier score of the probability the
belief implies, and Harrell's concordance between the belief and the time to the event — each with a
bootstrap confidence interval that may resample caseworkers rather than measurements.

Data and time convention
------------------------
One row per measurement: ``time`` :math:`T_i > 0` (weeks), ``event`` :math:`\delta_i` (1 = job or
education at :math:`T_i`, 0 = censored at :math:`T_i`), the belief :math:`B_i`, optionally a case weight
:math:`w_i`. Ties follow the usual survival convention: an event at :math:`t` happens *before* a
censoring at :math:`t`, so a person censored at :math:`t` is still at risk at :math:`t` and has a known
status *at* :math:`t`. With spells from :func:`jobtro.stats.spells.first_event` (event week
:math:`m + d` for duration :math:`d`, censored after :math:`d` weeks observed) use
``time = duration + event``: the event week :math:`t` is the interval :math:`(t, t+1]`, so an event in
week 51 has time 52 and counts within :math:`H = 52`, and a spell censored at the 52-week horizon has
time 52 and a known status (no event) at :math:`H`. Using ``duration`` itself would put a person censored
after :math:`d` weeks into the risk set of an event in week :math:`d` that they were not observed in.

Observed share per level
------------------------
For each belief level :math:`k`, the share in job or education by :math:`H` is the Kaplan–Meier
estimate :math:`\hat F_k(H) = 1 - \hat S_k(H)`, :math:`\hat S_k(H) = \prod_{t \le H}(1 - d_t/n_t)` with
:math:`n_t` the (weighted) number at risk (:math:`T_i \ge t`) and :math:`d_t` the events at :math:`t`.
The KM is a minimal private one evaluated at :math:`H` only (:mod:`jobtro.stats.km` is the full
estimator). When nobody in the level is censored before :math:`H`, :math:`\hat F_k(H)` is exactly the
events-by-:math:`H` share :math:`x/n` and the interval is binomial: Wilson's score interval (R's
``prop.test(x, n, correct = FALSE)``) or the Clopper–Pearson exact interval (R's ``binom.test``).
Otherwise it is Greenwood's on the log scale, as R's ``survfit(conf.type = "log")``:
:math:`\hat S \exp(\pm z\,\widehat{\mathrm{se}})` with
:math:`\widehat{\mathrm{se}}^2 = \sum_{t \le H} d_t / (n_t (n_t - d_t))`, the upper limit capped at 1.

Brier score
-----------
The belief implies a probability :math:`p_i = \pi(B_i)` of the event by :math:`H`: by default the
level's observed share :math:`\hat F_{B_i}(H)` (in-sample), or a given mapping :math:`\pi`. With
:math:`Y_i = 1\{T_i \le H, \delta_i = 1\}` and inverse probability of censoring weights (Graf et al.
1999),

.. math::

   \mathrm{BS}(H) = \frac{1}{\sum_i w_i} \sum_i w_i \left[
       \frac{1\{T_i \le H, \delta_i = 1\}\,(1 - p_i)^2}{\hat G(T_i-)}
     + \frac{1\{T_i > H \text{ or } (T_i = H, \delta_i = 0)\}\, p_i^2}{\hat G(H-)} \right],

where :math:`\hat G(t-) = \prod_{s < t} (1 - c_s / n_s)` is the reverse Kaplan–Meier estimate of
:math:`P(C \ge t)` (:math:`c_s` censorings at :math:`s`, :math:`n_s` at risk — R's
``survfit(Surv(time, 1 - event) ~ 1)`` just before :math:`t`). A person whose status at :math:`H` is
known is weighted by the inverse probability of being observed that long; a person censored before
:math:`H` gets weight 0. :math:`P(C \ge H)` rather than the textbook :math:`P(C > H)` because a spell
censored exactly at the horizon has a known status there (the textbook version divides by 0 when
everyone still at risk is censored at :math:`H`). Without censoring before :math:`H` every weight is 1 and
BS is the plain mean of :math:`(Y_i - p_i)^2`. The reference is the same score for the overall share
(:math:`p_i = \hat F(H)` for everyone); the skill is :math:`1 - \mathrm{BS}/\mathrm{BS}_{ref}`.

Concordance (Harrell's C)
-------------------------
A pair :math:`(i, j)` in the same stratum is *comparable* when :math:`\delta_i = 1` and
:math:`T_j > T_i`, or :math:`T_j = T_i` and :math:`\delta_j = 0` (censored at the event time: still at
risk). Higher belief should mean a *shorter* time, so the pair is concordant when :math:`B_i > B_j`,
discordant when :math:`B_i < B_j`, and tied on :math:`x` when :math:`B_i = B_j`; two events at the same
time are tied on :math:`y` (``tied_y`` when the beliefs differ, ``tied_xy`` when equal) and do not enter
the index. A pair counts :math:`w_i w_j`. Then

.. math::

   C = \frac{\text{concordant} + \text{tied}_x / 2}{\text{concordant} + \text{discordant} + \text{tied}_x}.

This is exactly R's ``survival::concordance(Surv(time, event) ~ belief, reverse = TRUE)`` with its
default ``timewt = "n"`` (R's default ``reverse = FALSE`` is the opposite direction, larger predictor =
longer time, and gives :math:`1 - C` with concordant and discordant swapped; pass ``reverse=False`` for
that). The variance is R's infinitesimal jackknife: with :math:`I^c_k, I^d_k, I^t_k` the weighted counts
of concordant, discordant and :math:`x`-tied pairs that observation :math:`k` belongs to,
:math:`N = \text{concordant} + \text{discordant} + \text{tied}_x` and Somers'
:math:`D = (\text{concordant} - \text{discordant})/N`,

.. math::

   \mathrm{Var}(C) = \frac14 \sum_g \Bigl( \sum_{k \in g} w_k \Bigl[\frac{I^c_k - I^d_k}{N}
                     - \frac{D}{N}(I^c_k + I^d_k + I^t_k)\Bigr] \Bigr)^2

over clusters :math:`g` (every observation its own cluster when none is given) — R's ``var`` with
``cluster``.

The counting is :math:`O(n \log n)`: one sort by (stratum, time descending, censored first), then for
every event the weight of its comparable set below, equal to and above its belief — a prefix of the
sorted order — answered for all events at once by a wavelet matrix over the predictor's ranks
(:math:`\lceil \log_2 K \rceil` vectorised passes for :math:`K` distinct values; 3 for the belief
scale). No pair is ever formed, so 2 million measurements take seconds. Times and predictor values are
compared exactly (R's ``timefix`` also merges times that differ by rounding error only; integer weeks
are unaffected).

Bootstrap
---------
A bootstrap replicate draws measurements (or, with ``cluster``, whole caseworkers) with replacement;
it is evaluated as frequency weights on the original rows, which gives exactly the statistics of the
resampled data set (a row drawn twice forms a pair with its copy that is tied on both time and belief,
which no statistic counts) without re-sorting. The interval is the percentile interval; the
generator is ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy import stats

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

BinomialInterval = Literal["wilson", "exact"]
DEFAULT_HORIZON_WEEKS: Final = 52


# --------------------------------------------------------------------------------------------------
# Result objects


@dataclass(frozen=True)
class Concordance:
    """Harrell's concordance with R's pair counts and infinitesimal-jackknife variance.

    Attributes
    ----------
    concordance : float
        :math:`C`; see the module docstring for the direction (``reverse``).
    concordant, discordant, tied_x, tied_y, tied_xy : float
        Weighted pair counts, as R's ``concordance()$count`` (in R's order for the same ``reverse``).
    n : int
        Observations.
    variance : float
        Infinitesimal-jackknife variance of :math:`C` (R's ``var``), by cluster when one was given.
    reverse : bool
        True: a higher predictor means a shorter time (R's ``reverse = TRUE``).
    """

    concordance: float
    concordant: float
    discordant: float
    tied_x: float
    tied_y: float
    tied_xy: float
    n: int
    variance: float
    reverse: bool

    @property
    def std_err(self) -> float:
        return math.sqrt(self.variance)

    @property
    def somers_d(self) -> float:
        """Somers' :math:`D = 2C - 1`."""
        return 2 * self.concordance - 1


@dataclass(frozen=True)
class LevelShare:
    """Observed share in job or education by the horizon for one belief level.

    Attributes
    ----------
    level : float
        The belief level (1-5 for the specific belief).
    n : float
        (Weighted) measurements at this level.
    events : float
        Events at or before the horizon.
    censored : float
        Censored before the horizon (status at the horizon unknown).
    share : float
        Kaplan–Meier :math:`1 - \\hat S(H)`; equals ``events / n`` when ``censored`` is 0.
    ci_low, ci_high : float
        Confidence interval of ``share`` (``interval`` says which).
    interval : str
        ``"wilson"`` or ``"exact"`` (binomial, nobody censored before the horizon) or ``"greenwood-log"``.
    predicted : float
        The probability the Brier score used for this level (the share itself unless a mapping was given).
    boot_low, boot_high : float
        Bootstrap percentile interval of ``share`` (nan without bootstrap).
    """

    level: float
    n: float
    events: float
    censored: float
    share: float
    ci_low: float
    ci_high: float
    interval: str
    predicted: float = math.nan
    boot_low: float = math.nan
    boot_high: float = math.nan


@dataclass(frozen=True)
class Interval:
    """A statistic with its bootstrap percentile interval.

    Attributes
    ----------
    estimate : float
        The statistic on the data.
    ci_low, ci_high : float
        Percentile interval over the bootstrap replicates (nan without bootstrap).
    std_err : float
        Standard deviation of the replicates (nan without bootstrap).
    """

    estimate: float
    ci_low: float = math.nan
    ci_high: float = math.nan
    std_err: float = math.nan


@dataclass(frozen=True)
class Calibration:
    """Calibration of beliefs against outcomes; see :func:`calibrate`.

    Attributes
    ----------
    horizon : float
        :math:`H` (weeks).
    n : int
        Measurements used.
    dropped : int
        Measurements without a belief ("Ved ikke"), left out.
    levels : tuple of LevelShare
        One per observed belief level, ascending.
    overall : LevelShare
        All levels together (``level`` nan).
    brier : Interval
        Brier score of the belief-implied probability.
    brier_reference : Interval
        Brier score of the overall share for everyone.
    brier_skill : Interval
        :math:`1 - \\mathrm{BS}/\\mathrm{BS}_{ref}`.
    concordance : Concordance
        Harrell's C with R's counts and IJ variance (by cluster when given).
    concordance_boot : Interval
        C with its bootstrap interval.
    replications : int
        Bootstrap replicates (0: none).
    cluster : str or None
        Column resampled as whole clusters, or None for measurements.
    conf_level : float
        Level of every interval.
    mapping_given : bool
        Whether the Brier score used a given mapping rather than the observed shares.
    """

    horizon: float
    n: int
    dropped: int
    levels: tuple[LevelShare, ...]
    overall: LevelShare
    brier: Interval
    brier_reference: Interval
    brier_skill: Interval
    concordance: Concordance
    concordance_boot: Interval
    replications: int
    cluster: str | None
    conf_level: float
    mapping_given: bool

    def table(self) -> pl.DataFrame:
        """The level shares as a DataFrame, one row per level and a last row for all (level null)."""
        rows = [*self.levels, self.overall]
        return pl.DataFrame(
            {
                "level": [None if math.isnan(r.level) else r.level for r in rows],
                **{
                    name: [getattr(r, name) for r in rows]
                    for name in ("n", "events", "censored", "share", "ci_low", "ci_high", "interval")
                },
                **{name: [getattr(r, name) for r in rows] for name in ("predicted", "boot_low", "boot_high")},
            }
        )

    def summary(self) -> str:
        """A plain-text summary."""
        pct = 100 * self.conf_level
        lines = [f"Calibration at {self.horizon:g} weeks: {self.n} measurements ({self.dropped} without a belief)"]
        lines.append(f"{'level':>5} {'n':>9} {'events':>8} {'share':>7}  {pct:g} % CI")
        for r in (*self.levels, self.overall):
            label = "all" if math.isnan(r.level) else f"{r.level:g}"
            lines.append(
                f"{label:>5} {r.n:9.0f} {r.events:8.0f} {r.share:7.3f}  [{r.ci_low:.3f}, {r.ci_high:.3f}] {r.interval}"
            )
        boot = f"bootstrap {self.replications}" + (f" by {self.cluster}" if self.cluster else "")
        for name, value in (("Brier", self.brier), ("Brier (overall share)", self.brier_reference)):
            lines.append(f"{name}: {value.estimate:.4f} [{value.ci_low:.4f}, {value.ci_high:.4f}] ({boot})")
        lines.append(f"Brier skill: {self.brier_skill.estimate:.4f}")
        c = self.concordance_boot
        lines.append(
            f"C-index: {c.estimate:.4f} [{c.ci_low:.4f}, {c.ci_high:.4f}] ({boot}); "
            f"IJ s.e. {self.concordance.std_err:.4f}"
        )
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# Input checks


def _vector(name: str, values: Any, n: int | None = None) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if n is not None and array.shape[0] != n:
        raise ValueError(f"{name} has {array.shape[0]} values, expected {n}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} has {int((~np.isfinite(array)).sum())} missing or infinite value(s)")
    return array


def _survival_inputs(time: Any, event: Any, weights: Any) -> tuple[FloatArray, FloatArray, FloatArray]:
    t = _vector("time", time)
    n = t.shape[0]
    if n == 0:
        raise ValueError("no observations")
    e = _vector("event", event, n)
    if not np.all((e == 0) | (e == 1)):
        raise ValueError("event must be 0 or 1")
    if np.any(t < 0):
        raise ValueError("time must be non-negative")
    w = np.ones(n) if weights is None else _vector("weights", weights, n)
    if np.any(w < 0):
        raise ValueError("weights must be non-negative")
    return t, e, w


def _codes(name: str, values: Any, n: int) -> IntArray:
    """0-based codes of any labels (ints, strings), in sorted order of the labels."""
    array = np.asarray(values)
    if array.ndim != 1 or array.shape[0] != n:
        raise ValueError(f"{name} must be one-dimensional with {n} values")
    if array.dtype.kind == "f" and np.isnan(array).any():
        raise ValueError(f"{name} has missing values")
    if array.dtype == object and any(v is None for v in array):
        raise ValueError(f"{name} has missing values")
    _, inverse = np.unique(array, return_inverse=True)
    return inverse.astype(np.int64).reshape(-1)


# --------------------------------------------------------------------------------------------------
# Concordance


def _range_counts(
    ranks: IntArray, weights: FloatArray, start: IntArray, stop: IntArray, query: IntArray, n_values: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """For each query q the weight of ``ranks[start[q]:stop[q]]`` below, equal to and above ``query[q]``.

    A wavelet matrix built and queried level by level (most significant bit first): at each level the
    elements are stably partitioned by the bit, and every query's range moves into the half holding its
    own bit, adding the zero half's weight when its bit is one. O((n + queries) log K), no pairs.
    """
    cum = np.concatenate(([0.0], np.cumsum(weights)))
    total = cum[stop] - cum[start]
    less = np.zeros(query.shape[0])
    s, e = start.copy(), stop.copy()
    cur_r, cur_w = ranks, weights
    for b in reversed(range(max(1, (n_values - 1).bit_length()))):
        one = ((cur_r >> b) & 1).astype(bool)
        zero = ~one
        zeros_before = np.concatenate(([0], np.cumsum(zero)))
        zero_weight = np.concatenate(([0.0], np.cumsum(np.where(zero, cur_w, 0.0))))
        n_zero = zeros_before[-1]
        q_one = ((query >> b) & 1).astype(bool)
        zs, ze = zeros_before[s], zeros_before[e]
        less += np.where(q_one, zero_weight[e] - zero_weight[s], 0.0)
        s = np.where(q_one, n_zero + s - zs, zs)
        e = np.where(q_one, n_zero + e - ze, ze)
        order = np.concatenate((np.flatnonzero(zero), np.flatnonzero(one)))
        cur_r, cur_w = cur_r[order], cur_w[order]
    cum = np.concatenate(([0.0], np.cumsum(cur_w)))
    equal = cum[e] - cum[s]
    return less, equal, total - less - equal


@dataclass(frozen=True, eq=False)
class _Sorted:
    """The data sorted by (stratum, time descending, censored first) with the ranges the counts need."""

    order: IntArray  # sorted position -> original row
    ranks: IntArray  # dense rank of the predictor, in sorted order
    n_values: int
    event: npt.NDArray[np.bool_]  # in sorted order
    stratum_start: IntArray  # per sorted position
    stratum_stop: IntArray
    group_start: IntArray  # per sorted position: first row of its (stratum, time, event) group
    group_stop: IntArray
    tie_group: IntArray  # id of the (stratum, time, event) group
    tie_group_x: IntArray  # id of the (stratum, time, event, predictor) group


def _sort(time: FloatArray, event: FloatArray, predictor: FloatArray, strata: IntArray) -> _Sorted:
    values, rank = np.unique(predictor, return_inverse=True)
    order = np.lexsort((event, -time, strata)).astype(np.int64)
    st, tt, ev, rk = strata[order], time[order], event[order] == 1, rank.reshape(-1)[order].astype(np.int64)
    n = order.shape[0]

    def runs(new: npt.NDArray[np.bool_]) -> tuple[IntArray, IntArray, IntArray]:
        starts = np.flatnonzero(new)
        ids = np.cumsum(new) - 1
        stops = np.append(starts[1:], n)
        return starts[ids], stops[ids], ids

    new_stratum = np.append(True, st[1:] != st[:-1]) if n else np.zeros(0, dtype=bool)
    new_group = new_stratum | np.append(True, (tt[1:] != tt[:-1]) | (ev[1:] != ev[:-1]))[:n]
    s_start, s_stop, _ = runs(new_stratum)
    g_start, g_stop, g_id = runs(new_group)
    # Within a (stratum, time, event) group the predictor is in no order: number the (group, value) pairs.
    _, gx_id = np.unique(g_id * values.shape[0] + rk, return_inverse=True)
    return _Sorted(order, rk, int(values.shape[0]), ev, s_start, s_stop, g_start, g_stop, g_id, gx_id.reshape(-1))


def _pair_weight(group: IntArray, w: FloatArray) -> float:
    """Sum over groups of sum_{i<j} w_i w_j."""
    total = np.bincount(group, weights=w)
    squares = np.bincount(group, weights=w * w)
    return float(((total * total - squares) / 2).sum())


def _counts(
    srt: _Sorted, w: FloatArray, *, influence: bool
) -> tuple[tuple[float, float, float, float, float], FloatArray | None]:
    """(R's) concordant, discordant, tied.x, tied.y, tied.xy for reverse = TRUE, and the influence counts.

    ``w`` is in sorted order. The influence matrix (sorted order) has columns concordant, discordant,
    tied.x: the weight of the partners in each kind of pair an observation belongs to.
    """
    events = np.flatnonzero(srt.event)
    # An event's comparable set: rows before its (stratum, time, event) group within the stratum, i.e.
    # longer times and the censored at the same time (they sort first within a time).
    below, equal, above = _range_counts(
        srt.ranks, w, srt.stratum_start[events], srt.group_start[events], srt.ranks[events], srt.n_values
    )
    we = w[events]
    concordant, discordant, tied_x = float(we @ below), float(we @ above), float(we @ equal)
    ew = np.where(srt.event, w, 0.0)
    ties = srt.event
    tied_all = _pair_weight(srt.tie_group[ties], w[ties])
    tied_xy = _pair_weight(srt.tie_group_x[ties], w[ties])
    counts = (concordant, discordant, tied_x, tied_all - tied_xy, tied_xy)
    if not influence:
        return counts, None
    imat = np.zeros((w.shape[0], 3))
    imat[events, 0], imat[events, 1], imat[events, 2] = below, above, equal
    # As the longer-lived partner: the events after the row's own group within the stratum (for a
    # censored row every later event; for an event the later events not tied with it in time).
    n = w.shape[0]
    pos = np.arange(n, dtype=np.int64)
    start = np.where(srt.event, srt.group_stop, pos + 1)
    b2, e2, a2 = _range_counts(srt.ranks, ew, start, srt.stratum_stop, srt.ranks, srt.n_values)
    imat[:, 0] += a2  # an event with a higher predictor than this row: concordant
    imat[:, 1] += b2
    imat[:, 2] += e2
    return counts, imat


def _c_index(counts: tuple[float, float, float, float, float]) -> float:
    concordant, discordant, tied_x = counts[:3]
    pairs = concordant + discordant + tied_x
    return (concordant + tied_x / 2) / pairs if pairs > 0 else math.nan


def concordance(
    time: Any,
    event: Any,
    predictor: Any,
    *,
    strata: Any = None,
    weights: Any = None,
    cluster: Any = None,
    reverse: bool = True,
) -> Concordance:
    """Harrell's C between a predictor and a censored time, as R's ``survival::concordance``.

    Parameters
    ----------
    time : array_like
        Follow-up time (non-negative).
    event : array_like
        1 = event, 0 = censored.
    predictor : array_like
        The predictor (e.g. the 5-step belief); compared exactly (no rounding).
    strata : array_like, optional
        Only pairs within the same stratum are compared (R's ``+ strata(s)``).
    weights : array_like, optional
        Case weights; a pair counts :math:`w_i w_j`.
    cluster : array_like, optional
        Cluster labels for the infinitesimal-jackknife variance (R's ``cluster = ``).
    reverse : bool
        True (default): a higher predictor means a shorter time, R's ``reverse = TRUE`` — the direction
        of the belief. False: a higher predictor means a longer time (R's default).

    Returns
    -------
    Concordance
        C, R's five pair counts and its variance.

    Examples
    --------
    >>> c = concordance([1, 2, 3, 4], [1, 1, 0, 1], [4, 2, 3, 1])
    >>> c.concordant, c.discordant, round(c.concordance, 4)
    (4.0, 1.0, 0.8)
    """
    t, e, w = _survival_inputs(time, event, weights)
    n = t.shape[0]
    x = _vector("predictor", predictor, n)
    s = np.zeros(n, dtype=np.int64) if strata is None else _codes("strata", strata, n)
    srt = _sort(t, e, x, s)
    ws = w[srt.order]
    counts, imat = _counts(srt, ws, influence=True)
    assert imat is not None
    concordant, discordant, tied_x = counts[:3]
    pairs = concordant + discordant + tied_x
    if pairs > 0:
        somers = (concordant - discordant) / pairs
        dfbeta_sorted = ws * ((imat[:, 0] - imat[:, 1]) / pairs - somers / pairs * imat.sum(axis=1))
        dfbeta = np.empty(n)
        dfbeta[srt.order] = dfbeta_sorted
        if cluster is not None:
            dfbeta = np.asarray(np.bincount(_codes("cluster", cluster, n), weights=dfbeta), dtype=np.float64)
        variance = float(dfbeta @ dfbeta) / 4
    else:
        variance = math.nan
    if not reverse:
        counts = (counts[1], counts[0], *counts[2:])
    return Concordance(_c_index(counts), *counts, n=n, variance=variance, reverse=reverse)


# --------------------------------------------------------------------------------------------------
# Kaplan–Meier at the horizon, binomial intervals, Brier score


@dataclass(frozen=True, eq=False)
class _Times:
    """Distinct times and each row's index into them; the same for every bootstrap replicate."""

    values: FloatArray
    index: IntArray


def _times(time: FloatArray) -> _Times:
    values, index = np.unique(time, return_inverse=True)
    return _Times(values, index.reshape(-1).astype(np.int64))


def _km_at(
    times: _Times, event: FloatArray, w: FloatArray, horizon: float, groups: IntArray, n_groups: int
) -> tuple[FloatArray, FloatArray]:
    """Per group: KM survival at the horizon and the Greenwood sum for se(log S) (R's survfit)."""
    k = times.values.shape[0]
    flat = groups * k + times.index
    at_time = np.bincount(flat, weights=w, minlength=n_groups * k).reshape(n_groups, k)
    deaths = np.bincount(flat, weights=w * event, minlength=n_groups * k).reshape(n_groups, k)
    at_risk = np.cumsum(at_time[:, ::-1], axis=1)[:, ::-1]
    use = (times.values <= horizon)[None, :] & (deaths > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(use, 1 - deaths / np.where(use, at_risk, 1.0), 1.0)
        green = np.where(use, deaths / (at_risk * (at_risk - deaths)), 0.0)
    return np.prod(factor, axis=1), green.sum(axis=1)


def _wilson(x: float, n: float, z: float) -> tuple[float, float]:
    p = x / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


def _exact(x: float, n: float, conf_level: float) -> tuple[float, float]:
    a = (1 - conf_level) / 2
    low = 0.0 if x == 0 else float(stats.beta.ppf(a, x, n - x + 1))
    high = 1.0 if x == n else float(stats.beta.ppf(1 - a, x + 1, n - x))
    return low, high


def _level_share(
    level: float,
    n: float,
    events: float,
    censored: float,
    surv: float,
    greenwood: float,
    conf_level: float,
    binomial: BinomialInterval,
) -> LevelShare:
    n, events, censored, surv, greenwood = float(n), float(events), float(censored), float(surv), float(greenwood)
    z = float(stats.norm.ppf((1 + conf_level) / 2))
    if censored == 0 and n > 0:
        share = events / n
        interval: str = binomial
        low, high = _wilson(events, n, z) if binomial == "wilson" else _exact(events, n, conf_level)
    else:
        share = 1 - surv
        interval = "greenwood-log"
        if surv > 0:
            se = math.sqrt(greenwood)
            low, high = 1 - min(1.0, surv * math.exp(z * se)), 1 - surv * math.exp(-z * se)
        else:
            low = high = math.nan
    return LevelShare(float(level), n, events, censored, share, low, high, interval)


def observed_shares(
    time: Any,
    event: Any,
    level: Any,
    *,
    horizon: float = DEFAULT_HORIZON_WEEKS,
    weights: Any = None,
    conf_level: float = 0.95,
    binomial: BinomialInterval = "wilson",
) -> tuple[LevelShare, ...]:
    """Share in job or education by the horizon per belief level, with confidence intervals.

    Parameters
    ----------
    time, event : array_like
        Time and event indicator (see the module docstring for the convention).
    level : array_like
        The belief level of each measurement (no missing values).
    horizon : float
        :math:`H`, default 52 weeks.
    weights : array_like, optional
        Case weights.
    conf_level : float
        Level of the intervals.
    binomial : {"wilson", "exact"}
        Interval when nobody in the level is censored before the horizon.

    Returns
    -------
    tuple of LevelShare
        One per distinct level, ascending.
    """
    t, e, w = _survival_inputs(time, event, weights)
    lv = _vector("level", level, t.shape[0])
    values, groups = np.unique(lv, return_inverse=True)
    groups = groups.reshape(-1).astype(np.int64)
    return _shares(_times(t), t, e, w, groups, values, horizon, conf_level, binomial)


def _shares(
    times: _Times,
    t: FloatArray,
    e: FloatArray,
    w: FloatArray,
    groups: IntArray,
    values: FloatArray,
    horizon: float,
    conf_level: float,
    binomial: BinomialInterval,
) -> tuple[LevelShare, ...]:
    if binomial not in ("wilson", "exact"):
        raise ValueError(f"binomial must be 'wilson' or 'exact', got {binomial!r}")
    if not 0 < conf_level < 1:
        raise ValueError("conf_level must be in (0, 1)")
    g = values.shape[0]
    surv, green = _km_at(times, e, w, horizon, groups, g)
    n = np.bincount(groups, weights=w, minlength=g)
    events = np.bincount(groups, weights=w * ((e == 1) & (t <= horizon)), minlength=g)
    censored = np.bincount(groups, weights=w * ((e == 0) & (t < horizon)), minlength=g)
    return tuple(
        _level_share(values[k], n[k], events[k], censored[k], surv[k], green[k], conf_level, binomial) for k in range(g)
    )


def _censoring_before(times: _Times, event: FloatArray, w: FloatArray) -> FloatArray:
    """Reverse KM :math:`\\hat G(t_k-)` for the distinct times :math:`t_0 < t_1 < \\dots` and, last, after them all.

    R's ``survfit(Surv(time, 1 - event) ~ 1)`` just before each time: element k is the product over the
    censorings at times before :math:`t_k`; element K (one past the last) the product over all.
    """
    k = times.values.shape[0]
    at_time = np.bincount(times.index, weights=w, minlength=k)
    censored = np.bincount(times.index, weights=w * (1 - event), minlength=k)
    at_risk = np.cumsum(at_time[::-1])[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(censored > 0, 1 - censored / np.where(censored > 0, at_risk, 1.0), 1.0)
    return np.concatenate(([1.0], np.cumprod(factor)))


def _brier(times: _Times, t: FloatArray, e: FloatArray, w: FloatArray, p: FloatArray, horizon: float) -> float:
    g_before = _censoring_before(times, e, w)
    g_horizon = float(g_before[np.searchsorted(times.values, horizon, side="left")])  # P(C >= H)
    case = (e == 1) & (t <= horizon)
    known_free = (t > horizon) | ((t == horizon) & (e == 0))
    g_case = g_before[times.index]
    with np.errstate(divide="ignore", invalid="ignore"):
        contrib = np.where(case, (1 - p) ** 2 / np.where(case, g_case, 1.0), 0.0)
    if g_horizon > 0:
        contrib = contrib + np.where(known_free, p * p / g_horizon, 0.0)
    return float((w * contrib).sum() / w.sum())


def brier_score(
    time: Any, event: Any, predicted: Any, *, horizon: float = DEFAULT_HORIZON_WEEKS, weights: Any = None
) -> float:
    """Brier score of predicted probabilities of the event by the horizon, with censoring weights.

    Parameters
    ----------
    time, event : array_like
        Time and event indicator (see the module docstring for the convention).
    predicted : array_like
        Each measurement's predicted probability of the event by the horizon, in [0, 1].
    horizon : float
        :math:`H`, default 52 weeks.
    weights : array_like, optional
        Case weights.

    Returns
    -------
    float
        :math:`\\mathrm{BS}(H)` as in the module docstring (IPCW, Graf et al. 1999).
    """
    t, e, w = _survival_inputs(time, event, weights)
    p = _vector("predicted", predicted, t.shape[0])
    if np.any((p < 0) | (p > 1)):
        raise ValueError("predicted probabilities must lie in [0, 1]")
    return _brier(_times(t), t, e, w, p, horizon)


# --------------------------------------------------------------------------------------------------
# Everything together, with the bootstrap


def _column(data: Any, name: str, *, numeric: bool = True) -> npt.NDArray[Any]:
    """A column of a polars or pandas DataFrame as numpy (missing numbers as nan)."""
    if name not in data.columns:
        raise ValueError(f"no column {name!r}")
    if isinstance(data, pl.DataFrame):
        series = data.get_column(name)
        if numeric:
            return series.cast(pl.Float64).fill_null(math.nan).to_numpy()
        return series.to_numpy()
    column = data[name]
    if numeric:
        return np.asarray(column.to_numpy(dtype=np.float64, na_value=math.nan))
    return np.asarray(column.to_numpy())


def _percentile(values: FloatArray, conf_level: float) -> tuple[float, float, float]:
    finite = values[np.isfinite(values)]
    if finite.shape[0] < 2:
        return math.nan, math.nan, math.nan
    a = (1 - conf_level) / 2
    low, high = np.quantile(finite, [a, 1 - a])
    return float(low), float(high), float(finite.std(ddof=1))


def calibrate(
    data: Any,
    *,
    time: str,
    event: str,
    belief: str,
    horizon: float = DEFAULT_HORIZON_WEEKS,
    cluster: str | None = None,
    weights: str | None = None,
    mapping: Mapping[float, float] | None = None,
    replications: int = 1000,
    seed: int | None = None,
    conf_level: float = 0.95,
    binomial: BinomialInterval = "wilson",
) -> Calibration:
    """Calibration of beliefs against outcomes: shares per level, Brier score and C-index with bootstrap CIs.

    Parameters
    ----------
    data : polars.DataFrame or pandas.DataFrame
        One row per measurement.
    time, event : str
        Columns of the time (weeks; for spells use ``duration + event``, see the module docstring) and
        the event indicator (1 = job or education).
    belief : str
        Column of the belief level (1-5); rows where it is missing ("Ved ikke") are left out and counted.
    horizon : float
        :math:`H`, default 52 weeks.
    cluster : str, optional
        Column of the caseworker (or any cluster): the bootstrap then draws whole clusters, and the
        C-index's infinitesimal-jackknife variance sums within clusters.
    weights : str, optional
        Column of case weights.
    mapping : mapping of level to probability, optional
        The probability each belief level implies, for the Brier score; default the observed share of
        the level (refitted in every bootstrap replicate).
    replications : int
        Bootstrap replicates; 0 for none.
    seed : int, optional
        Seed of ``numpy.random.default_rng``.
    conf_level : float
        Level of every interval.
    binomial : {"wilson", "exact"}
        Interval for a level's share when nobody in it is censored before the horizon.

    Returns
    -------
    Calibration

    Examples
    --------
    >>> import polars as pl
    >>> d = pl.DataFrame({"time": [3, 52, 10, 52, 20, 52], "event": [1, 0, 1, 0, 1, 1],
    ...                   "belief": [5, 1, 4, 2, 3, None]})
    >>> cal = calibrate(d, time="time", event="event", belief="belief", replications=0)
    >>> cal.n, cal.dropped, [r.share for r in cal.levels]
    (5, 1, [0.0, 0.0, 1.0, 1.0, 1.0])
    """
    if replications < 0:
        raise ValueError("replications must be >= 0")
    b_all = _column(data, belief)
    keep = ~np.isnan(b_all)
    dropped = int((~keep).sum())
    if not keep.any():
        raise ValueError("no measurements with a belief")
    t, e, w = _survival_inputs(
        _column(data, time)[keep], _column(data, event)[keep], None if weights is None else _column(data, weights)[keep]
    )
    n = t.shape[0]
    b = b_all[keep]
    clusters = None if cluster is None else _codes(cluster, _column(data, cluster, numeric=False)[keep], n)
    levels, groups = np.unique(b, return_inverse=True)
    groups = groups.reshape(-1).astype(np.int64)
    times = _times(t)
    one_group = np.zeros(n, dtype=np.int64)
    if mapping is not None:
        missing = [f"{v:g}" for v in levels if float(v) not in mapping]
        if missing:
            raise ValueError(f"mapping has no probability for level(s) {', '.join(missing)}")
        given = np.array([mapping[float(v)] for v in levels], dtype=np.float64)
        if np.any((given < 0) | (given > 1)):
            raise ValueError("mapping probabilities must lie in [0, 1]")

    def statistics(weight: FloatArray) -> tuple[FloatArray, float, float, float]:
        surv, _ = _km_at(times, e, weight, horizon, groups, levels.shape[0])
        # A level without any drawn row (possible when whole caseworkers are drawn) has no share.
        share = np.where(np.bincount(groups, weights=weight, minlength=levels.shape[0]) > 0, 1 - surv, math.nan)
        (overall_surv,), _ = _km_at(times, e, weight, horizon, one_group, 1)
        p_level = share if mapping is None else given
        p = np.where(weight > 0, np.nan_to_num(p_level[groups]), 0.0)
        brier = _brier(times, t, e, weight, p, horizon)
        reference = _brier(times, t, e, weight, np.full(n, 1 - overall_surv), horizon)
        return share, 1 - float(overall_surv), brier, reference

    shares = _shares(times, t, e, w, groups, levels, horizon, conf_level, binomial)
    (overall,) = _shares(times, t, e, w, one_group, np.array([math.nan]), horizon, conf_level, binomial)
    _, _, brier, reference = statistics(w)
    conc = concordance(t, e, b, weights=w, cluster=clusters)

    srt = _sort(t, e, b, one_group)
    rng = np.random.default_rng(seed)
    boot = np.full((replications, levels.shape[0] + 4), math.nan)
    for r in range(replications):
        if clusters is None:
            draws = np.bincount(rng.integers(0, n, n), minlength=n)
        else:
            n_clusters = int(clusters.max()) + 1
            draws = np.bincount(rng.integers(0, n_clusters, n_clusters), minlength=n_clusters)[clusters]
        wb = w * draws
        share_b, _, brier_b, reference_b = statistics(wb)
        counts, _ = _counts(srt, wb[srt.order], influence=False)
        boot[r, : levels.shape[0]] = share_b
        boot[r, -3:] = brier_b, reference_b, _c_index(counts)
        boot[r, -4] = 1 - brier_b / reference_b if reference_b > 0 else math.nan

    def interval(estimate: float, column: int) -> Interval:
        if replications == 0:
            return Interval(estimate)
        return Interval(estimate, *_percentile(boot[:, column], conf_level))

    predicted = [s.share for s in shares] if mapping is None else [float(v) for v in given]
    levels_out = []
    for k, s in enumerate(shares):
        low, high, _ = _percentile(boot[:, k], conf_level) if replications else (math.nan, math.nan, math.nan)
        levels_out.append(
            LevelShare(
                s.level,
                s.n,
                s.events,
                s.censored,
                s.share,
                s.ci_low,
                s.ci_high,
                s.interval,
                float(predicted[k]),
                low,
                high,
            )
        )
    skill = 1 - brier / reference if reference > 0 else math.nan
    return Calibration(
        horizon=float(horizon),
        n=n,
        dropped=dropped,
        levels=tuple(levels_out),
        overall=overall,
        brier=interval(brier, -3),
        brier_reference=interval(reference, -2),
        brier_skill=interval(skill, -4),
        concordance=conc,
        concordance_boot=interval(conc.concordance, -1),
        replications=replications,
        cluster=cluster,
        conf_level=conf_level,
        mapping_given=mapping is not None,
    )
