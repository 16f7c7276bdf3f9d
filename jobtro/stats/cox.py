r"""Cox proportional hazards regression: Efron or Breslow ties, strata, (start, stop] data, case weights
and cluster-robust (sandwich) standard errors, fitted by a vectorised Newton–Raphson.

The estimates agree with R's ``survival::coxph`` (tested to ``rtol`` 1e-6 for coefficients and 1e-5
for model-based and robust standard errors, ``jobtro/stats/tests/test_cox.py``). Pure: numpy and
polars (pandas frames are read column by column), no Django.

Model
-----
Row :math:`i` (a subject, or one interval of a subject in counting-process form) is at risk on
:math:`(a_i, b_i]` (``start`` and ``time``; :math:`a_i = 0` and right-censored data without
``start``), in stratum :math:`s_i`, with event indicator :math:`\delta_i`, case weight :math:`w_i`
(1 without ``weights``) and covariates :math:`x_i`. Within each stratum the hazard is
:math:`\lambda_{s}(t)\exp(x_i'\beta)` with an unspecified baseline :math:`\lambda_s`.
Write :math:`\eta_i = x_i'\beta` and :math:`r_i = e^{\eta_i}`. For stratum :math:`s` and each distinct
event time :math:`t_k` in it, :math:`D_k` is the set of rows with an event at :math:`t_k`
(:math:`d_k = |D_k|`), :math:`R_k = \{i : s_i = s,\ a_i < t_k \le b_i\}` the risk set, and

.. math::

   S_k = \sum_{i \in R_k} w_i r_i, \qquad E_k = \sum_{i \in D_k} w_i r_i, \qquad
   \bar w_k = \frac{1}{d_k}\sum_{i \in D_k} w_i .

The log partial likelihood with **Efron's** approximation for tied event times (the default, as in R)
is

.. math::

   \ell(\beta) = \sum_{k} \Big[ \sum_{i \in D_k} w_i \eta_i
       - \bar w_k \sum_{j=0}^{d_k - 1} \log\Big( S_k - \frac{j}{d_k} E_k \Big) \Big],

the sum running over the event times of every stratum. **Breslow's** approximation replaces the inner
sum by :math:`d_k \log S_k`. These are R's formulas, weights included (R's ``coxfit6.c``,
``agfit4.c``).

Score and information
---------------------
Let :math:`c_{kj} = S_k - \tfrac{j}{d_k} E_k`, :math:`f_{kj} = j/d_k` (0 for Breslow) and
:math:`A_{kj} = \big(\sum_{i \in R_k} w_i r_i x_i - f_{kj}\sum_{i \in D_k} w_i r_i x_i\big)/c_{kj}`
(the weighted covariate mean over the risk set with the tied events down-weighted). Then

.. math::

   U(\beta) = \sum_k \Big[ \sum_{i\in D_k} w_i x_i - \bar w_k \sum_j A_{kj} \Big], \qquad
   I(\beta) = \sum_k \bar w_k \sum_j \Big[ \frac{\sum_{i \in R_k} w_i r_i c_{ikj} x_i x_i'}{c_{kj}}
       - A_{kj} A_{kj}' \Big],

with :math:`c_{ikj} = 1 - f_{kj}` for :math:`i \in D_k` and 1 otherwise. Exchanging the sums, the first
part of :math:`I` is :math:`X' \operatorname{diag}(w_i z_i) X` and :math:`U = X'(w \circ (\delta - z))`,
where :math:`z_i = r_i \big(\sum_{k : i \in R_k} h_k - \delta_i g_{k(i)}\big)` with
:math:`h_k = \bar w_k \sum_j 1/c_{kj}` and :math:`g_k = \bar w_k \sum_j f_{kj}/c_{kj}`;
:math:`\delta_i - z_i` is the (Efron) martingale residual. In the second part,
:math:`A_{kj} A_{kj}'` expands into the risk-set and event-set sums :math:`A_k = \sum_{R_k} w_i r_i x_i`,
:math:`A^D_k = \sum_{D_k} w_i r_i x_i` times sums over :math:`j` of :math:`1/c_{kj}^2`,
:math:`f_{kj}/c_{kj}^2` and :math:`f_{kj}^2/c_{kj}^2`, so nothing of size events x covariates is formed.

So one pass over the rows per iteration suffices: risk-set sums are difference arrays over the sorted
event times (each row adds its terms at the first event time it is at risk for and removes them after
the last), accumulated backwards; the sums over the times a row is at risk are differences of a
cumulative sum. Nothing loops over subjects or event times in Python, and no row is sorted.

Cluster-robust variance
-----------------------
With clusters :math:`g` (for example caseworkers), the sandwich variance is
:math:`V \big(\sum_g L_g L_g'\big) V`, :math:`V = I(\hat\beta)^{-1}`, where :math:`L_g = \sum_{i \in g}
w_i L_i` sums the score residuals

.. math::

   L_i = \delta_i \big(x_i - \bar A_{k(i)}\big)
       - r_i \sum_{k : i \in R_k} \bar w_k \sum_j c_{ikj} \frac{x_i - A_{kj}}{c_{kj}},
   \qquad \bar A_k = \frac{1}{d_k} \sum_j A_{kj},

without a small-sample correction: exactly R's ``coxph(..., cluster = id)`` (the grouped, weighted
``dfbeta`` residuals :math:`L_i V`).

Examples
--------
>>> import polars as pl
>>> data = pl.DataFrame({"weeks": [3, 5, 5, 8, 12, 12, 15, 20], "job": [1, 1, 0, 1, 1, 1, 0, 0],
...                      "belief": [4, 3, 5, 2, 4, 1, 2, 1]})
>>> fit = fit_cox(data, time="weeks", event="job", x=["belief"])
>>> print(fit.summary())
Cox proportional hazards (efron ties): n = 8, events = 5
            coef        HR        se         z         p  95% CI for HR
belief    0.3377    1.4018    0.3381     0.999     0.318  (0.7226, 2.7192)
log partial likelihood -7.6294 (null -8.1197); 3 Newton steps

(R: ``coxph(Surv(weeks, job) ~ belief)`` gives coef 0.3377256, HR CI 0.7226085 to 2.719203.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt
import polars as pl

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
Ties = Literal["efron", "breslow"]
TIES: tuple[Ties, ...] = ("efron", "breslow")

# Newton-Raphson: stop when no coefficient would move by more than this (relative to 1 + |beta|).
# Convergence is quadratic, so the returned estimate is far closer to the maximum than that.
STEP_TOLERANCE = 1e-10
MAX_ITERATIONS = 50
MAX_HALVINGS = 30


# --------------------------------------------------------------------------------------------------
# Reading the data frame


class _Frame:
    """Numeric columns and group codes from a polars or pandas DataFrame, with clear errors."""

    def __init__(self, data: Any) -> None:
        if isinstance(data, pl.DataFrame):
            self.kind = "polars"
        elif type(data).__module__.split(".")[0] == "pandas" and type(data).__name__ == "DataFrame":
            self.kind = "pandas"
        else:
            raise ValueError(f"data must be a polars or pandas DataFrame, not {type(data).__name__}")
        self.data = data
        self.columns = [str(c) for c in data.columns]
        self.n = int(data.shape[0])

    def require(self, names: Sequence[str]) -> None:
        missing = [name for name in names if name not in self.columns]
        if missing:
            listed = ", ".join(repr(m) for m in missing)
            available = ", ".join(self.columns[:20]) + (", ..." if len(self.columns) > 20 else "")
            raise ValueError(
                f"{'column' if len(missing) == 1 else 'columns'} {listed} not in the data (columns: {available})"
            )

    def numeric(self, name: str) -> FloatArray:
        """The column as float64; an error for non-numeric, missing (null or NaN) or infinite values."""
        if self.kind == "polars":
            series: pl.Series = self.data[name]
            dtype = series.dtype
            if not (dtype.is_numeric() or dtype == pl.Boolean):
                raise ValueError(f"column {name!r} is not numeric ({dtype}{_first_non_number(series)})")
            if series.null_count():
                raise ValueError(_missing_message(name, series.is_null().to_numpy()))
            values = series.cast(pl.Float64).to_numpy()
        else:
            import pandas as pd

            column = self.data[name]
            if not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)):
                example = _first_non_number(pl.Series(column.astype(str).to_numpy()))
                raise ValueError(f"column {name!r} is not numeric ({column.dtype}{example})")
            isna = column.isna().to_numpy()
            if isna.any():
                raise ValueError(_missing_message(name, isna))
            values = column.to_numpy(dtype=np.float64)
        values = np.ascontiguousarray(values, dtype=np.float64)
        nan = np.isnan(values)
        if nan.any():
            raise ValueError(_missing_message(name, nan))
        infinite = ~np.isfinite(values)
        if infinite.any():
            row = int(np.argmax(infinite))
            raise ValueError(f"column {name!r} has infinite values ({_rows(infinite)}; first: row {row + 1})")
        return values

    def codes(self, name: str) -> tuple[IntArray, int]:
        """Integer codes 0..levels-1 of any column (numbers or text); missing values are an error."""
        if self.kind == "polars":
            series = self.data[name]
            if series.null_count():
                raise ValueError(_missing_message(name, series.is_null().to_numpy()))
            if series.dtype.is_float() and series.is_nan().any():
                raise ValueError(_missing_message(name, series.is_nan().to_numpy()))
            if series.dtype.is_integer():
                return _integer_codes(series.to_numpy())
            ranks = series.rank("dense").to_numpy().astype(np.intp) - 1
            return ranks, int(ranks.max()) + 1 if len(ranks) else 0
        import pandas as pd

        column = self.data[name]
        isna = column.isna().to_numpy()
        if isna.any():
            raise ValueError(_missing_message(name, isna))
        if pd.api.types.is_integer_dtype(column):
            return _integer_codes(column.to_numpy(dtype=np.int64))
        codes, uniques = pd.factorize(column)
        return codes.astype(np.intp), len(uniques)


def _integer_codes(values: npt.NDArray[np.integer[Any]]) -> tuple[IntArray, int]:
    """Codes 0..levels-1 of integers in increasing order: a table lookup (no sort) when the range is
    moderate, as for caseworker ids."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.intp), 0
    low, high = int(values.min()), int(values.max())
    if high - low > 4 * len(values) + 1024:
        uniques, inverse = np.unique(values, return_inverse=True)
        return inverse.astype(np.intp), len(uniques)
    offset = (values - low).astype(np.intp)
    present = np.bincount(offset, minlength=high - low + 1) > 0
    lookup = np.cumsum(present) - 1
    return lookup[offset].astype(np.intp, copy=False), int(lookup[-1]) + 1


def _first_non_number(series: pl.Series) -> str:
    text = series.cast(pl.String, strict=False)
    parsed = text.str.strip_chars().cast(pl.Float64, strict=False)
    bad = (text.is_not_null() & parsed.is_null()).arg_true()
    if len(bad) == 0:
        return ""
    row = int(bad[0])
    return f"; row {row + 1} is {text[row]!r}"


def _rows(mask: npt.NDArray[np.bool_]) -> str:
    count = int(mask.sum())
    return f"{count} {'row' if count == 1 else 'rows'}"


def _missing_message(name: str, missing: npt.NDArray[np.bool_]) -> str:
    first = int(np.argmax(missing)) + 1
    return f"column {name!r} has missing values (null or NaN) in {_rows(missing)} (first: row {first})"


def _bincount(index: IntArray, weights: FloatArray, length: int) -> FloatArray:
    """Sums of ``weights`` by ``index`` (0..length-1): numpy's bincount, typed as the floats it returns."""
    result: FloatArray = np.bincount(index, weights=weights, minlength=length).astype(np.float64, copy=False)
    return result


def _names(value: str | Sequence[str] | None, what: str) -> list[str]:
    if value is None:
        return []
    names = [value] if isinstance(value, str) else list(value)
    if not all(isinstance(n, str) and n for n in names):
        raise ValueError(f"{what} must be column names")
    if len(set(names)) != len(names):
        raise ValueError(f"{what} names a column twice: {', '.join(names)}")
    return names


# --------------------------------------------------------------------------------------------------
# The model


@dataclass(frozen=True)
class _Evaluation:
    """The log partial likelihood and its derivatives at one beta, with what the residuals need.

    Per event time k (the tied-event terms j summed): ``A`` and ``A2`` (p x K) are the risk-set and
    event-set sums of w r x; ``sums`` has rows sum_j wt/c, wt f/c, wt/c^2, wt f/c^2, wt f^2/c^2 with
    c = S_k - f E_k the denominators, f = j/d_k and wt the slot weight.
    """

    loglik: float
    score: FloatArray
    information: FloatArray | None
    r: FloatArray  # exp(eta), possibly shifted by a constant (the likelihood does not change)
    z: FloatArray  # delta - z are the martingale residuals
    A: FloatArray | None
    A2: FloatArray | None
    sums: FloatArray


class CoxPH:
    r"""A Cox proportional hazards model for a data frame (see the module docstring for the formulas).

    Parameters
    ----------
    data : polars.DataFrame or pandas.DataFrame
        One row per subject, or per (start, stop] interval in counting-process form.
    time : str
        Event or censoring time (the interval's end with ``start``); non-negative.
    event : str
        1 (or true) for an event at ``time``, 0 (false) for censoring.
    x : str or sequence of str
        Covariate columns (numeric; code categories as 0/1 columns).
    start : str, optional
        Entry time: the row is at risk on (start, time] (left truncation, time-varying covariates).
        Non-negative, and ``start < time`` in every row. As in R, a row is *not* at risk at its own start.
    strata : str or sequence of str, optional
        Columns whose combinations are strata, each with its own baseline hazard (numbers or text).
    cluster : str, optional
        Cluster identifier (numbers or text) for cluster-robust (sandwich) standard errors.
    weights : str, optional
        Positive case weights (R's ``weights =``).
    ties : {"efron", "breslow"}
        Approximation for tied event times.

    Raises
    ------
    ValueError
        A missing column, a non-numeric value, missing values, negative times, ``time <= start``, an
        event value other than 0/1, non-positive weights, no events, or an unknown ``ties``.
    """

    def __init__(
        self,
        data: Any,
        *,
        time: str,
        event: str,
        x: str | Sequence[str],
        start: str | None = None,
        strata: str | Sequence[str] | None = None,
        cluster: str | None = None,
        weights: str | None = None,
        ties: str = "efron",
    ) -> None:
        if ties not in TIES:
            raise ValueError(f"ties must be 'efron' or 'breslow', not {ties!r}")
        self.ties: Ties = cast(Ties, ties)
        names = _names(x, "x")
        if not names:
            raise ValueError("x must name at least one covariate column")
        strata_names = _names(strata, "strata")
        frame = _Frame(data)
        frame.require(
            [time, event, *names, *([start] if start else []), *strata_names]
            + ([cluster] if cluster else [])
            + ([weights] if weights else [])
        )
        self.names: tuple[str, ...] = tuple(names)
        n = frame.n
        if n == 0:
            raise ValueError("the data have no rows")

        stop = frame.numeric(time)
        _non_negative(stop, time)
        status = frame.numeric(event)
        if not np.isin(status, (0.0, 1.0)).all():
            row = int(np.argmax(~np.isin(status, (0.0, 1.0))))
            raise ValueError(f"column {event!r} must be 0 or 1 (row {row + 1} is {status[row]:g})")
        delta = status == 1.0
        if not delta.any():
            raise ValueError(f"no events: column {event!r} is 0 in every row")
        if start:
            entry = frame.numeric(start)
            _non_negative(entry, start)
            bad = stop <= entry
            if bad.any():
                row = int(np.argmax(bad))
                verb = "has" if bad.sum() == 1 else "have"
                raise ValueError(
                    f"{time!r} must be after {start!r} in every row: {_rows(bad)} {verb} {time} <= {start} "
                    f"(first: row {row + 1}, {start} {entry[row]:g}, {time} {stop[row]:g})"
                )
        X = np.empty((n, len(names)), dtype=np.float64)
        for j, name in enumerate(names):
            X[:, j] = frame.numeric(name)
        if weights:
            w = frame.numeric(weights)
            if (w <= 0).any():
                row = int(np.argmax(w <= 0))
                raise ValueError(f"column {weights!r} must be positive (row {row + 1} is {w[row]:g})")
            self._w: FloatArray | None = w
        else:
            self._w = None
        stratum = np.zeros(n, dtype=np.intp)
        self.n_strata = 1
        for name in strata_names:
            codes, levels = frame.codes(name)
            stratum = stratum * levels + codes  # combinations of several columns (re-coded below)
        if strata_names:
            uniques, stratum_codes = np.unique(stratum, return_inverse=True)
            stratum = stratum_codes.astype(np.intp)
            self.n_strata = len(uniques)
        self._cluster: IntArray | None = None
        self.n_clusters: int | None = None
        if cluster:
            self._cluster, self.n_clusters = frame.codes(cluster)

        self.n = n
        self.events = int(delta.sum())
        # Centre the covariates (the partial likelihood does not change; exp() stays in range). Stored
        # covariate by covariate (p x n), so each covariate's values are contiguous.
        weight = self._w if self._w is not None else np.ones(n)
        self._means = np.einsum("n,nj->j", weight, X) / weight.sum()
        X -= self._means
        self._XT: FloatArray = np.ascontiguousarray(X.T)
        del X
        self._weight = weight
        self._delta = delta.astype(np.float64)
        self._events_idx = np.flatnonzero(delta)
        self._XT_events: FloatArray = np.ascontiguousarray(self._XT[:, self._events_idx])
        self._setup_risk_sets(stop, entry if start else None, stratum)

    def _setup_risk_sets(self, stop: FloatArray, entry: FloatArray | None, stratum: IntArray) -> None:
        """Index the event times: per row the first and (one past) the last event time it is at risk for."""
        ev = self._events_idx
        times = np.unique(stop[ev])
        # Rank of each time among the event times: the number of event times <= it (1..U at event times).
        rank_stop = _rank(times, stop)
        rank_entry = _rank(times, entry) if entry is not None else None
        if self.n_strata == 1:
            # Every event time is a group of its own: group k (0-based) is the event time of rank k + 1.
            K = len(times)
            event_group = rank_stop[ev] - 1
            hi = rank_stop
            lo = rank_entry  # None: every row is at risk from the first event time on
        else:
            # Groups are the distinct (stratum, event time) pairs, ordered by stratum, then time.
            width = len(times) + 1
            base = stratum.astype(np.intp) * width
            event_keys = base[ev] + rank_stop[ev]
            present = np.bincount(event_keys, minlength=self.n_strata * width) > 0
            groups_upto = np.cumsum(present)  # number of groups with key <= each key
            K = int(groups_upto[-1])
            event_group = groups_upto[event_keys] - 1
            hi = groups_upto[base + rank_stop]
            lo = groups_upto[base + (rank_entry if rank_entry is not None else 0)]
        self._n_groups = K
        self._event_group: IntArray = event_group.astype(np.intp, copy=False)
        # Row i is at risk at event times (groups) lo[i] <= k < hi[i] (same stratum by construction).
        self._hi: IntArray = hi.astype(np.intp, copy=False)
        self._lo: IntArray | None = None if lo is None else lo.astype(np.intp, copy=False)

        # Tied events: one "slot" per term of the inner sum over j (Efron), or one per event time (Breslow).
        d = np.bincount(self._event_group, minlength=K)
        w_events = self._weight[ev]
        w_dead = _bincount(self._event_group, w_events, K)
        self._w_dead = w_dead
        if self.ties == "efron":
            m = len(ev)
            first = np.cumsum(d) - d
            self._slot_group: IntArray = np.repeat(np.arange(K), d)
            self._slot_f: FloatArray = (np.arange(m) - first[self._slot_group]) / d[self._slot_group]
            self._slot_wt: FloatArray = (w_dead / d)[self._slot_group]
        else:
            self._slot_group = np.arange(K)
            self._slot_f = np.zeros(K)
            self._slot_wt = w_dead
        self._loglik_events_weight = w_events

    @property
    def k_params(self) -> int:
        return len(self.names)

    def _risk_sums(self, values: FloatArray) -> FloatArray:
        """Sums of ``values`` (a row of n, or p rows of n) over the risk set of every event time.

        A difference array over the event times (each row enters at ``lo`` and leaves at ``hi``),
        accumulated backwards: the result has the shape of ``values`` with n replaced by K.
        """
        K = self._n_groups
        if values.ndim == 2:
            return np.stack([self._risk_sums(row) for row in values])
        diff = _bincount(self._hi, values, K + 1)
        if self._lo is not None:
            diff -= _bincount(self._lo, values, K + 1)
        return np.cumsum(diff[::-1])[::-1][1:]

    def _at_risk_sums(self, per_time: FloatArray) -> FloatArray:
        """For each row, the sum of ``per_time`` (K event times, or p x K) over the times it is at risk."""
        cumulative = np.concatenate([np.zeros((*per_time.shape[:-1], 1)), np.cumsum(per_time, axis=-1)], axis=-1)
        total = cumulative[..., self._hi]
        if self._lo is not None:
            total -= cumulative[..., self._lo]
        return cast(FloatArray, total)

    def _group_sums(self, index: IntArray, values: FloatArray) -> FloatArray:
        """Sums of ``values`` (m, or p x m) by ``index`` into the K event times."""
        K = self._n_groups
        if values.ndim == 1:
            return _bincount(index, values, K)
        return np.stack([_bincount(index, row, K) for row in values])

    def _evaluate(
        self, params: FloatArray, *, information: bool = True, offset: FloatArray | None = None
    ) -> _Evaluation:
        """The log partial likelihood and its derivatives in beta at ``params``; ``offset`` (n) is added to
        the linear predictor (the penalised frailty fit of :mod:`jobtro.stats.frailty` passes the frailties)."""
        # Products over the n rows use einsum, not BLAS: these skinny products gain nothing from
        # OpenBLAS's threads, whose spinning between calls slowed the whole fit 2-3x on a busy 2-core machine.
        beta = np.asarray(params, dtype=np.float64).reshape(self.k_params)
        XT, ev, eg, K = self._XT, self._events_idx, self._event_group, self._n_groups
        weighted = self._w is not None
        efron = self.ties == "efron"
        eta = np.einsum("j,jn->n", beta, XT)
        if offset is not None:
            eta += offset
        top = float(eta.max())
        shift = top - 300.0 if top > 300.0 else 0.0  # the likelihood is invariant to a common shift
        r = np.exp(eta - shift) if shift else np.exp(eta)
        v = self._weight * r if weighted else r
        S = self._risk_sums(v)
        v_events = v[ev]
        sg, sf, swt = self._slot_group, self._slot_f, self._slot_wt
        if efron:
            E = _bincount(eg, v_events, K)
            denominator = S[sg] - sf * E[sg]
        else:
            denominator = S  # one slot per event time, f = 0
        loglik = float(
            np.einsum("m,m->", self._loglik_events_weight, eta[ev] - shift)
            - np.einsum("s,s->", swt, np.log(denominator))
        )
        q = swt / denominator
        q2 = q / denominator
        if efron:
            sums = np.stack([_bincount(sg, values, K) for values in (q, q * sf, q2, q2 * sf, q2 * sf * sf)])
        else:
            zeros = np.zeros(K)
            sums = np.stack([q, zeros, q2, zeros, zeros])
        z = r * self._at_risk_sums(sums[0])
        if efron:
            z[ev] -= r[ev] * sums[1][eg]
        residual = self._delta - z  # martingale residuals
        score = np.einsum("jn,n->j", XT, self._weight * residual if weighted else residual)
        info = A = A2 = None
        if information:
            A = self._risk_sums(XT * v)  # p x K
            wz = self._weight * z if weighted else z
            # sum_k sum_j wt (A - f A2)(A - f A2)' / c^2, expanded.
            info = np.einsum("jn,kn->jk", XT * wz, XT) - (A * sums[2]) @ A.T
            if efron:
                A2 = self._group_sums(eg, self._XT_events * v_events)
                cross = (A * sums[3]) @ A2.T
                info += cross + cross.T - (A2 * sums[4]) @ A2.T
        return _Evaluation(loglik, score, info, r, z, A, A2, sums)

    def loglike(self, params: npt.ArrayLike) -> float:
        """The log partial likelihood at ``params``."""
        return self._evaluate(np.asarray(params, dtype=np.float64), information=False).loglik

    def score(self, params: npt.ArrayLike) -> FloatArray:
        """The gradient of :meth:`loglike` (analytic)."""
        return self._evaluate(np.asarray(params, dtype=np.float64), information=False).score

    def hessian(self, params: npt.ArrayLike) -> FloatArray:
        """The Hessian of :meth:`loglike` (analytic): minus the observed information."""
        info = self._evaluate(np.asarray(params, dtype=np.float64)).information
        assert info is not None
        return -info

    def score_residuals(self, params: npt.ArrayLike) -> FloatArray:
        """Per-row score residuals :math:`L_i` (unweighted; :math:`\\sum_i w_i L_i = U(\\beta)`), R's
        ``residuals(fit, type = "score")``."""
        return self._score_residuals(self._evaluate(np.asarray(params, dtype=np.float64)))

    def _score_residuals(self, at: _Evaluation) -> FloatArray:
        """Score residuals, n x p (see the module docstring)."""
        XT, ev, eg = self._XT, self._events_idx, self._event_group
        assert at.A is not None
        A, A2, sums = at.A, at.A2, at.sums
        # Per event time: sum_j wt A_kj / c_kj, and the weighted mean of A_kj over j.
        at_risk = A * sums[2]
        mean_a = A * sums[0]
        if A2 is not None:
            at_risk -= A2 * sums[3]
            mean_a -= A2 * sums[1]
        mean_a /= self._w_dead
        LT = at.r * self._at_risk_sums(at_risk) - XT * at.z
        correction = self._XT_events - mean_a[:, eg]
        if A2 is not None:  # the tied events' own down-weighted share: sum_j wt f_j A_kj / c_kj
            correction -= at.r[ev] * (A * sums[3] - A2 * sums[4])[:, eg]
        LT[:, ev] += correction
        return LT.T

    def fit(self, start_params: npt.ArrayLike | None = None) -> CoxResult:
        """Maximise the partial likelihood by Newton–Raphson (step halving if the likelihood falls).

        Parameters
        ----------
        start_params : array_like, optional
            Initial coefficients (default zeros; the log likelihood there is ``loglik_null``).

        Returns
        -------
        CoxResult
        """
        p = self.k_params
        beta = np.zeros(p) if start_params is None else np.asarray(start_params, dtype=np.float64).reshape(p)
        current = self._evaluate(beta)
        loglik_null = current.loglik if start_params is None else self.loglike(np.zeros(p))
        converged = False
        iterations = 0
        while True:
            assert current.information is not None
            try:
                step = _solve(current.information, current.score)
            except ValueError:
                if iterations == 0:
                    raise  # singular at the start: collinear or constant covariates
                break  # the information vanishes on the way out: a coefficient diverges (not converged)
            if np.all(np.abs(step) <= STEP_TOLERANCE * (1.0 + np.abs(beta))):
                converged = True
                break
            if iterations == MAX_ITERATIONS:
                break
            iterations += 1
            for _ in range(MAX_HALVINGS):
                candidate = self._evaluate(beta + step)
                if math.isfinite(candidate.loglik) and candidate.loglik >= current.loglik - 1e-12 * abs(current.loglik):
                    break
                step = step / 2
            else:
                break  # no step increases the likelihood: at the maximum to machine precision, or diverging
            beta = beta + step
            current = candidate
        assert current.information is not None
        try:
            cov = np.linalg.inv(current.information)
        except np.linalg.LinAlgError:
            # Only when not converged: a coefficient diverges and the information vanishes (R reports huge SEs).
            cov = np.full((p, p), np.inf)
        cov = (cov + cov.T) / 2
        robust_cov = None
        if self._cluster is not None:
            residuals = self._score_residuals(current).T  # evaluated at beta; p x n
            if self._w is not None:
                residuals = residuals * self._w
            groups = self.n_clusters or 0
            grouped = np.stack([_bincount(self._cluster, row, groups) for row in residuals], axis=1)
            robust_cov = cov @ np.einsum("gj,gk->jk", grouped, grouped) @ cov
            robust_cov = (robust_cov + robust_cov.T) / 2
        return CoxResult(
            names=self.names,
            params=beta,
            cov=cov,
            robust_cov=robust_cov,
            loglik=current.loglik,
            loglik_null=loglik_null,
            score=current.score,
            n=self.n,
            events=self.events,
            ties=self.ties,
            iterations=iterations,
            converged=converged,
            n_strata=self.n_strata,
            n_clusters=self.n_clusters,
        )


def _rank(times: FloatArray, values: FloatArray) -> IntArray:
    """The number of entries of the sorted ``times`` that are <= each value (a table lookup when the
    values are whole numbers of a moderate range, such as weeks; a binary search otherwise)."""
    if len(values) > 4096:
        top = float(values.max())
        if top <= 4 * len(values) and bool(np.all(values == np.floor(values))):
            table = np.searchsorted(times, np.arange(int(top) + 1), side="right")
            return table[values.astype(np.intp)]
    return np.searchsorted(times, values, side="right")


def _non_negative(values: FloatArray, name: str) -> None:
    negative = values < 0
    if negative.any():
        row = int(np.argmax(negative))
        raise ValueError(
            f"column {name!r} has negative times ({_rows(negative)}; first: row {row + 1} is {values[row]:g})"
        )


_SINGULAR = (
    "the information matrix is singular: a covariate is constant (within strata) or the covariates are collinear"
)


def _solve(information: FloatArray, score: FloatArray, *, singular: str = _SINGULAR) -> FloatArray:
    """Solve a symmetric positive-definite system by Cholesky; ``singular`` is the error when it is not."""
    try:
        factor = np.linalg.cholesky(information)
    except np.linalg.LinAlgError:
        raise ValueError(singular) from None
    return cast(FloatArray, np.linalg.solve(factor.T, np.linalg.solve(factor, score)))


# --------------------------------------------------------------------------------------------------
# The result


def _frozen(values: FloatArray) -> FloatArray:
    values = np.array(values, dtype=np.float64)
    values.flags.writeable = False
    return values


@dataclass(frozen=True, eq=False)
class CoxResult:
    """A fitted Cox model (immutable).

    Attributes
    ----------
    names : tuple of str
        Covariate names, in the order of ``params``.
    params : ndarray
        Log hazard ratios :math:`\\hat\\beta`.
    cov, robust_cov : ndarray
        Model-based covariance (inverse information) and, with ``cluster``, the cluster-robust
        sandwich covariance (``None`` otherwise).
    loglik, loglik_null : float
        Log partial likelihood at :math:`\\hat\\beta` and at :math:`\\beta = 0`.
    score : ndarray
        The gradient at :math:`\\hat\\beta` (zero to numerical precision when converged).
    n, events : int
        Rows and events.
    ties : {"efron", "breslow"}
    iterations : int
        Newton–Raphson steps taken.
    converged : bool
    n_strata : int
    n_clusters : int or None
    """

    names: tuple[str, ...]
    params: FloatArray
    cov: FloatArray
    robust_cov: FloatArray | None
    loglik: float
    loglik_null: float
    score: FloatArray
    n: int
    events: int
    ties: Ties
    iterations: int
    converged: bool
    n_strata: int = 1
    n_clusters: int | None = None

    def __post_init__(self) -> None:
        for name in ("params", "cov", "robust_cov", "score"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, _frozen(value))

    @property
    def se(self) -> FloatArray:
        """Model-based standard errors (square roots of the inverse information's diagonal)."""
        return _frozen(np.sqrt(np.diag(self.cov)))

    @property
    def robust_se(self) -> FloatArray | None:
        """Cluster-robust standard errors, or ``None`` without clusters."""
        return None if self.robust_cov is None else _frozen(np.sqrt(np.diag(self.robust_cov)))

    @property
    def bse(self) -> FloatArray:
        """The standard errors inference uses: robust with clusters, model-based otherwise."""
        robust = self.robust_se
        return robust if robust is not None else self.se

    def hr(self) -> FloatArray:
        """Hazard ratios :math:`e^{\\hat\\beta}`."""
        return _frozen(np.exp(self.params))

    def conf_int(self, alpha: float = 0.05) -> FloatArray:
        """Wald confidence intervals on the hazard-ratio scale, rows ``(low, high)`` per covariate.

        From the robust standard errors when the model has clusters (as R's ``summary.coxph``).
        """
        if not 0 < alpha < 1:
            raise ValueError("alpha must be between 0 and 1")
        z = NormalDist().inv_cdf(1 - alpha / 2)
        half = z * self.bse
        return _frozen(np.exp(np.column_stack([self.params - half, self.params + half])))

    def pvalues(self) -> FloatArray:
        """Two-sided Wald p-values (from :attr:`bse`)."""
        z = np.abs(self.params / self.bse)
        return _frozen(np.array([math.erfc(value / math.sqrt(2)) for value in z]))

    def summary_frame(self, alpha: float = 0.05) -> pl.DataFrame:
        """One row per covariate: coef, hr, se, robust_se, z, p and the HR's confidence interval."""
        ci = self.conf_int(alpha)
        robust = self.robust_se
        return pl.DataFrame(
            {
                "name": list(self.names),
                "coef": self.params,
                "hr": self.hr(),
                "se": self.se,
                "robust_se": robust if robust is not None else [None] * len(self.names),
                "z": self.params / self.bse,
                "p": self.pvalues(),
                "ci_low": ci[:, 0],
                "ci_high": ci[:, 1],
            },
            schema_overrides={"robust_se": pl.Float64},
        )

    def summary(self, alpha: float = 0.05) -> str:
        """A readable table, as text."""
        header = (
            f"Cox proportional hazards ({self.ties} ties): n = {self.n}, events = {self.events}"
            + (f", strata = {self.n_strata}" if self.n_strata > 1 else "")
            + (f", clusters = {self.n_clusters}" if self.n_clusters is not None else "")
        )
        robust = self.robust_se
        width = max(6, *(len(name) for name in self.names))
        titles = ["coef", "HR", "se", *(["robust se"] if robust is not None else []), "z", "p"]
        ci_title = f"{100 * (1 - alpha):g}% CI for HR"
        lines = [header, " " * width + "".join(f"{t:>10}" for t in titles) + f"  {ci_title}"]
        ci, hr, se, p = self.conf_int(alpha), self.hr(), self.se, self.pvalues()
        for i, name in enumerate(self.names):
            cells = [self.params[i], hr[i], se[i], *([robust[i]] if robust is not None else [])]
            row = "".join(f"{value:>10.4f}" for value in cells)
            row += f"{self.params[i] / self.bse[i]:>10.3f}{p[i]:>10.3g}  ({ci[i, 0]:.4f}, {ci[i, 1]:.4f})"
            lines.append(f"{name:<{width}}{row}")
        lines.append(
            f"log partial likelihood {self.loglik:.4f} (null {self.loglik_null:.4f}); "
            f"{self.iterations} Newton steps{'' if self.converged else ', NOT converged'}"
        )
        return "\n".join(lines)

    def to_dict(self, alpha: float = 0.05) -> dict[str, Any]:
        """The JSON object of ``jobtro analyse cox --json``: n, events, ties, loglik and per covariate
        coef, se, robust_se (null without clusters), hr, ci_low, ci_high (HR scale)."""
        ci = self.conf_int(alpha)
        robust = self.robust_se
        hr = self.hr()
        se = self.se
        return {
            "n": self.n,
            "events": self.events,
            "ties": self.ties,
            "loglik": _number(self.loglik),
            "params": {
                name: {
                    "coef": _number(self.params[i]),
                    "se": _number(se[i]),
                    "robust_se": None if robust is None else _number(robust[i]),
                    "hr": _number(hr[i]),
                    "ci_low": _number(ci[i, 0]),
                    "ci_high": _number(ci[i, 1]),
                }
                for i, name in enumerate(self.names)
            },
        }


def _number(value: float | np.floating[Any]) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def fit_cox(
    data: Any,
    *,
    time: str,
    event: str,
    x: str | Sequence[str],
    start: str | None = None,
    strata: str | Sequence[str] | None = None,
    cluster: str | None = None,
    weights: str | None = None,
    ties: str = "efron",
) -> CoxResult:
    """Fit a Cox proportional hazards model: ``CoxPH(data, ...).fit()``.

    Parameters
    ----------
    data, time, event, x, start, strata, cluster, weights, ties
        As for :class:`CoxPH`.

    Returns
    -------
    CoxResult

    Examples
    --------
    >>> import polars as pl
    >>> data = pl.DataFrame({"start": [0, 0, 4, 0, 6, 0, 2, 0], "stop": [4, 9, 7, 6, 12, 9, 9, 5],
    ...                      "event": [1, 1, 1, 0, 1, 0, 1, 1], "belief": [2, 4, 3, 1, 5, 2, 3, 4],
    ...                      "caseworker": ["a", "a", "b", "b", "b", "a", "b", "a"]})
    >>> fit = fit_cox(data, time="stop", event="event", x="belief", start="start", cluster="caseworker")
    >>> fit.n, fit.events, fit.n_clusters
    (8, 6, 2)
    >>> round(float(fit.params[0]), 6), round(float(fit.robust_se[0]), 6)  # R: 0.01604893, 0.2939348
    (0.016049, 0.293935)
    """
    model = CoxPH(
        data, time=time, event=event, x=x, start=start, strata=strata, cluster=cluster, weights=weights, ties=ties
    )
    return model.fit()
