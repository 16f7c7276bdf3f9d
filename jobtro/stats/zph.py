r"""Checks of the proportional-hazards assumption of a Cox fit: the score test of R's ``cox.zph`` and the
scaled Schoenfeld residuals to plot against time.

The numbers are those of ``survival::cox.zph`` in survival >= 3.0 (tested against 3.5 to ``rtol`` 1e-6,
agreeing to 1e-9 or better, in ``jobtro/stats/tests/test_zph.py``): Efron or Breslow ties, strata,
(start, stop] data and case weights, as :mod:`jobtro.stats.cox` fits them. Vectorised numpy (about
0.3 s for a million (start, stop] rows, ``bench/zph.py``), no Django.

The test
--------
Notation as in :mod:`jobtro.stats.cox`: event times :math:`t_k` (within strata) with event sets
:math:`D_k` (:math:`d_k` rows), risk sets :math:`R_k`, case weights :math:`w_i`, :math:`r_i =
e^{x_i'\hat\beta}`, Efron's terms :math:`j = 0, \dots, d_k - 1` with :math:`f_{kj} = j / d_k`
(Breslow: one term, :math:`f = 0`), denominators :math:`c_{kj} = \sum_{R_k} w_i r_i - f_{kj}
\sum_{D_k} w_i r_i`, means :math:`A_{kj} = (\sum_{R_k} w_i r_i x_i - f_{kj} \sum_{D_k} w_i r_i x_i) /
c_{kj}` and :math:`\bar w_k = \frac{1}{d_k}\sum_{D_k} w_i` (Breslow: the slot weight is
:math:`\sum_{D_k} w_i`).

Let the coefficients vary with a function of time, :math:`\beta(t) = \beta + \theta\, g(t)`, and test
:math:`\theta = 0` by the score test at :math:`(\hat\beta, 0)`. The time function is a transform
:math:`\tilde g` of the event time, centred over the event rows,
:math:`g_k = \tilde g(t_k) - \frac{1}{D}\sum_{i:\,\delta_i = 1} \tilde g(t_i)` (:math:`D` events,
unweighted), with ``transform``

- ``"km"`` (R's default): :math:`\tilde g(t) = 1 - \hat S(t-)`, the Kaplan–Meier estimate of all rows
  pooled (strata and weights ignored; with (start, stop] rows, at risk on :math:`(a_i, b_i]`) just
  before :math:`t`;
- ``"rank"``: the rank of :math:`t` among the times of all rows (ties averaged);
- ``"identity"``: :math:`t`; ``"log"``: :math:`\log t`; or any function of the row times.

Per event time, the contributions to the score and information of :math:`\beta` are

.. math::

   U_k = \sum_{i \in D_k} w_i x_i - \bar w_k \sum_j A_{kj}, \qquad
   V_k = \bar w_k \sum_j \Big[ \frac{\sum_{i \in R_k} w_i r_i c_{ikj} x_i x_i'}{c_{kj}}
       - A_{kj} A_{kj}' \Big]

(:math:`c_{ikj} = 1 - f_{kj}` for :math:`i \in D_k`, 1 otherwise), and those of :math:`(\beta, \theta)`
are

.. math::

   U = \begin{pmatrix} 0 \\ \sum_k g_k U_k \end{pmatrix}, \qquad
   \mathcal I = \begin{pmatrix} \sum_k V_k & \sum_k g_k V_k \\
                                \sum_k g_k V_k & \sum_k g_k^2 V_k \end{pmatrix}

(the :math:`\beta` part of the score is zero at :math:`\hat\beta`, and is set to zero as R does). For a
term :math:`T` (a covariate, or the columns :math:`J` of one factor), keep all of :math:`\beta` and
:math:`\theta_J`: :math:`\chi^2_T = U_K' \mathcal I_{KK}^{-1} U_K` on :math:`|J|` degrees of freedom,
:math:`K = (\beta, \theta_J)`; the global test uses all of :math:`\theta` (:math:`p` df). This is the
full-information score test of survival >= 3.0, not the older approximation from the residuals alone.

Residuals
---------
The Schoenfeld residual of event row :math:`i` at :math:`t_k` is :math:`s_i = x_i - \bar x_k` with
:math:`\bar x_k = \frac{1}{d_k}\sum_j A_{kj}` (Breslow: :math:`A_{k0}`); unweighted, and
:math:`\sum_k U_k = \sum_i w_i s_i`. Scaled by the average information :math:`\bar V = \sum_k V_k / D`,

.. math::

   s^*_i = \hat\beta + \bar V^{-1} s_i, \qquad \operatorname{E}(s^*_{ij}) \approx \beta_j(t_i)

(Grambsch and Therneau, 1994): a smooth of :math:`s^*_{\cdot j}` against :math:`\tilde g(t)` (``x``)
shows how the log hazard ratio of covariate :math:`j` moves with time; flat at :math:`\hat\beta_j` under
proportional hazards. As in R, a covariate constant within a stratum is left out there: :math:`\bar V_{jl}
= (\sum_k V_k)_{jl} / \sum_s \min(D_{sj}, D_{sl})` with :math:`D_{sj}` the events of stratum :math:`s` if
:math:`x_j` varies in it (0 otherwise); a stratum's residuals are scaled by the block of
:math:`\bar V` of the covariates that vary in it, and the others are NaN (R's NA). A term of several
columns gets one residual, :math:`\sum_{j \in J} \hat\beta_j s_{ij}` scaled by
:math:`\hat\beta_J' \bar V_{JJ} \hat\beta_J`, plus 1 (a multiplier of the term's fitted effect).

Departures from R
-----------------
Only where R's answer is an accident: when *every* covariate is constant within a stratum that has
events, R's rows of residuals fall out of step with the strata after it; here that stratum's residuals
are NaN and the others are right. Text strata are coded in sorted order as :mod:`jobtro.stats.cox`
codes them (byte order), R in its locale's; that changes only the order of the residual rows between
strata, never a number.

Examples
--------
>>> import polars as pl
>>> from jobtro.stats.cox import fit_cox
>>> data = pl.DataFrame({"weeks": [2, 3, 3, 5, 6, 8, 9, 11, 12, 14, 15, 20],
...                      "job": [1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 0],
...                      "belief": [5, 4, 2, 4, 2, 3, 1, 1, 2, 5, 1, 3]})
>>> fit = fit_cox(data, time="weeks", event="job", x="belief")
>>> zph = cox_zph(fit, data, time="weeks", event="job")
>>> print(zph.summary())
Proportional hazards (score test, km transform; efron ties): 8 events
          chisq  df       p
belief    5.678   1  0.0172
GLOBAL    5.678   1  0.0172
>>> zph.residuals.shape, zph.x[:3].round(3).tolist()
((8, 1), [0.0, 0.083, 0.167])

(R: ``cox.zph(coxph(Surv(weeks, job) ~ belief))`` gives chisq 5.677979, p 0.01717915.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, cast, get_args

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy import stats

from jobtro.stats.cox import CoxPH, CoxResult, Ties, _bincount, _Frame, _names, _non_negative, _rank

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
Transform = Literal["km", "rank", "identity", "log"]
TRANSFORMS: Final[tuple[str, ...]] = get_args(Transform)

# The data must give the fit's log partial likelihood at its coefficients to this relative precision
# (it is the same computation, so they agree to rounding; anything else is other data or columns).
LOGLIK_RTOL: Final = 1e-8


@dataclass(frozen=True, eq=False)  # eq=False: arrays compare elementwise, not to a bool
class ZphResult:
    """The proportional-hazards checks of a Cox fit (immutable); see the module docstring.

    Attributes
    ----------
    terms : tuple of str
        The terms tested: the covariates, or the names given to groups of columns.
    chisq, df, p : ndarray
        Per term: the score statistic, its degrees of freedom (columns in the term) and the p-value.
    global_chisq, global_p : float or None
        The global test of all terms together (``None`` without ``global_test``).
    global_df : int or None
    transform : str
        ``"km"``, ``"rank"``, ``"identity"``, ``"log"`` or ``"user"`` (a function).
    ties : {"efron", "breslow"}
    time : ndarray
        The event times, one per event row, by stratum and then time (R's order; tied events in row
        order, or in reverse row order with (start, stop] data, as R).
    x : ndarray
        The transformed event times :math:`\\tilde g(t)` (uncentred), to plot the residuals against.
    residuals : ndarray
        Scaled Schoenfeld residuals, events x terms (NaN for a covariate constant within the stratum).
    var : ndarray
        :math:`\\bar V^{-1}`, terms x terms (R's ``var``).
    rows : ndarray
        The 0-based row of the data of each event.
    strata : ndarray or None
        The stratum (0-based code, levels sorted) of each event; ``None`` without strata.
    n_strata : int
    """

    terms: tuple[str, ...]
    chisq: FloatArray
    df: IntArray
    p: FloatArray
    global_chisq: float | None
    global_df: int | None
    global_p: float | None
    transform: str
    ties: Ties
    time: FloatArray
    x: FloatArray
    residuals: FloatArray
    var: FloatArray
    rows: IntArray
    strata: IntArray | None
    n_strata: int = 1

    def __post_init__(self) -> None:
        for name in ("chisq", "df", "p", "time", "x", "residuals", "var", "rows", "strata"):
            value = getattr(self, name)
            if value is not None:
                value = np.array(value)
                value.flags.writeable = False
                object.__setattr__(self, name, value)

    @property
    def n_events(self) -> int:
        return len(self.time)

    def table(self) -> pl.DataFrame:
        """One row per term, then ``GLOBAL`` (with ``global_test``): ``term``, ``chisq``, ``df``, ``p``."""
        terms, chisq, df, p = list(self.terms), self.chisq.tolist(), self.df.tolist(), self.p.tolist()
        if self.global_chisq is not None:
            terms.append("GLOBAL")
            chisq.append(self.global_chisq)
            df.append(self.global_df)
            p.append(self.global_p)
        return pl.DataFrame({"term": terms, "chisq": chisq, "df": df, "p": p})

    def residual_frame(self) -> pl.DataFrame:
        """For plots: ``row``, ``stratum`` (with strata), ``time``, ``x`` and one column per term."""
        columns: dict[str, Any] = {"row": self.rows}
        if self.strata is not None:
            columns["stratum"] = self.strata
        columns |= {"time": self.time, "x": self.x}
        columns |= {term: self.residuals[:, j] for j, term in enumerate(self.terms)}
        return pl.DataFrame(columns).fill_nan(None)

    def summary(self) -> str:
        """The table as text (R's ``print.cox.zph``)."""
        strata = f", {self.n_strata} strata" if self.n_strata > 1 else ""
        head = (
            f"Proportional hazards (score test, {self.transform} transform; {self.ties} ties): "
            f"{self.n_events} events{strata}"
        )
        table = self.table()
        width = max(6, *(len(term) for term in table["term"]))
        lines = [head, f"{'':<{width}}{'chisq':>9}{'df':>4}{'p':>8}"]
        for term, chisq, df, p in table.iter_rows():
            lines.append(f"{term:<{width}}{chisq:>9.4g}{df:>4}{p:>8.3g}")
        return "\n".join(lines)


def cox_zph(
    fit: CoxResult | CoxPH,
    data: Any,
    *,
    time: str,
    event: str,
    start: str | None = None,
    strata: str | Sequence[str] | None = None,
    weights: str | None = None,
    transform: Transform | Callable[[FloatArray], npt.ArrayLike] = "km",
    terms: bool | Mapping[str, Sequence[str]] = True,
    global_test: bool = True,
) -> ZphResult:
    """Test proportional hazards for each term of a Cox fit and globally (R's ``cox.zph``).

    Parameters
    ----------
    fit : CoxResult or CoxPH
        The fitted model (a :class:`~jobtro.stats.cox.CoxPH` is fitted first). Its covariates and ties
        are used; its clusters play no part (R's test ignores them too).
    data : polars.DataFrame or pandas.DataFrame
        The data the model was fitted to, with the same rows.
    time, event, start, strata, weights : str
        The columns as given to the model (``strata`` may be several). An error if the data and columns
        do not reproduce the fit's log partial likelihood.
    transform : {"km", "rank", "identity", "log"} or callable
        The function of time the coefficients are tested against (see the module docstring); a
        callable gets the ``time`` of every row and returns as many values.
    terms : bool or mapping of str to sequence of str
        ``True`` or ``False``: one test per covariate column. A mapping ``{term: [columns]}`` tests the
        columns of a term jointly (the 0/1 columns of a categorical variable, as R does for a factor
        when ``terms = TRUE``); other columns remain their own terms. Terms are ordered by their first
        column.
    global_test : bool
        Also the global test of all terms.

    Returns
    -------
    ZphResult

    Raises
    ------
    ValueError
        Bad columns or values (as for the model), data that do not match the fit, an unknown
        ``transform``, ``"log"`` with an event at time 0, or ``terms`` naming unknown columns.
    """
    if isinstance(fit, CoxPH):
        fit = fit.fit()
    elif not isinstance(fit, CoxResult):
        raise TypeError(f"fit must be a CoxResult or a CoxPH model, not {type(fit).__name__}")
    if isinstance(transform, str):
        if transform not in TRANSFORMS:
            raise ValueError(f"transform must be one of {', '.join(TRANSFORMS)} or a function, not {transform!r}")
    elif not callable(transform):
        raise ValueError("transform must be a name or a function of the times")
    groups = _term_groups(fit.names, terms)
    rows = _Rows(data, fit, time=time, event=event, start=start, strata=strata, weights=weights)
    tt_events = _transform(transform, rows)
    pieces = _Pieces(rows, np.asarray(fit.params, dtype=np.float64), fit.ties, tt_events - tt_events.mean())
    if abs(pieces.loglik - fit.loglik) > LOGLIK_RTOL * max(1.0, abs(fit.loglik)):
        raise ValueError(
            f"the data do not give the fit's log partial likelihood ({pieces.loglik:.10g}, not {fit.loglik:.10g}): "
            "pass the data, columns, strata and weights the model was fitted to"
        )

    p = len(fit.names)
    u = np.concatenate([np.zeros(p), pieces.u_theta])
    imat = pieces.imat
    chisq = np.empty(len(groups))
    df = np.array([len(columns) for _, columns in groups], dtype=np.intp)
    for t, (_, columns) in enumerate(groups):
        keep = np.concatenate([np.arange(p), p + columns])
        u_keep = u[keep]
        chisq[t] = float(u_keep @ np.linalg.solve(imat[np.ix_(keep, keep)], u_keep))
    global_chisq = global_p = None
    if global_test:
        global_chisq = float(u @ np.linalg.solve(imat, u))
        global_p = float(stats.chi2.sf(global_chisq, p))

    order = pieces.residual_order(counting=rows.entry is not None)
    residuals, var = _scaled_residuals(rows, fit, pieces, groups, order)
    events = rows.events[order]
    return ZphResult(
        terms=tuple(name for name, _ in groups),
        chisq=chisq,
        df=df,
        p=np.asarray(stats.chi2.sf(chisq, df), dtype=np.float64),
        global_chisq=global_chisq,
        global_df=p if global_test else None,
        global_p=global_p,
        transform=transform if isinstance(transform, str) else "user",
        ties=fit.ties,
        time=rows.stop[events],
        x=tt_events[order],
        residuals=residuals,
        var=var,
        rows=events,
        strata=rows.stratum[events] if rows.n_strata > 1 else None,
        n_strata=rows.n_strata,
    )


# --------------------------------------------------------------------------------------------------
# Reading the data


class _Rows:
    """The model's columns, checked as :class:`~jobtro.stats.cox.CoxPH` checks them, and the event times
    indexed: row i is at risk for the event groups (distinct stratum and event time, by stratum then
    time) ``lo[i] <= k < hi[i]``."""

    def __init__(
        self,
        data: Any,
        fit: CoxResult,
        *,
        time: str,
        event: str,
        start: str | None,
        strata: str | Sequence[str] | None,
        weights: str | None,
    ) -> None:
        strata_names = _names(strata, "strata")
        frame = _Frame(data)
        frame.require([time, event, *([start] if start else []), *strata_names, *([weights] if weights else [])])
        frame.require(list(fit.names))
        n = frame.n
        if n != fit.n:
            raise ValueError(f"the data have {n} rows but the model was fitted to {fit.n}")
        self.stop = frame.numeric(time)
        _non_negative(self.stop, time)
        status = frame.numeric(event)
        if not np.isin(status, (0.0, 1.0)).all():
            row = int(np.argmax(~np.isin(status, (0.0, 1.0))))
            raise ValueError(f"column {event!r} must be 0 or 1 (row {row + 1} is {status[row]:g})")
        self.events = np.flatnonzero(status == 1.0)
        if len(self.events) != fit.events:
            raise ValueError(f"the data have {len(self.events)} events but the model was fitted to {fit.events}")
        self.entry: FloatArray | None = None
        if start:
            self.entry = frame.numeric(start)
            _non_negative(self.entry, start)
            if (self.stop <= self.entry).any():
                row = int(np.argmax(self.stop <= self.entry))
                raise ValueError(f"{time!r} must be after {start!r} in every row (row {row + 1} is not)")
        self.weight: FloatArray | None = None
        if weights:
            self.weight = frame.numeric(weights)
            if (self.weight <= 0).any():
                row = int(np.argmax(self.weight <= 0))
                raise ValueError(f"column {weights!r} must be positive (row {row + 1} is {self.weight[row]:g})")
        self.X = np.empty((n, len(fit.names)), dtype=np.float64)
        for j, name in enumerate(fit.names):
            self.X[:, j] = frame.numeric(name)
        # Strata coded as CoxPH codes them: combinations of the columns, levels in sorted order.
        stratum = np.zeros(n, dtype=np.intp)
        self.n_strata = 1
        for name in strata_names:
            codes, levels = frame.codes(name)
            stratum = stratum * levels + codes
        if strata_names:
            uniques, inverse = np.unique(stratum, return_inverse=True)
            stratum = inverse.astype(np.intp)
            self.n_strata = len(uniques)
        if self.n_strata != fit.n_strata:
            raise ValueError(f"the data have {self.n_strata} strata but the model was fitted with {fit.n_strata}")
        self.stratum = stratum
        self._index()

    def _index(self) -> None:
        ev, stop = self.events, self.stop
        self.times = np.unique(stop[ev])  # distinct event times, all strata pooled
        self.rank_stop = _rank(self.times, stop)  # event times <= each row's time
        self.rank_entry = _rank(self.times, self.entry) if self.entry is not None else None
        if self.n_strata == 1:
            self.K = len(self.times)
            self.event_group: IntArray = (self.rank_stop[ev] - 1).astype(np.intp)
            self.hi: IntArray = self.rank_stop.astype(np.intp)
            self.lo: IntArray | None = None if self.rank_entry is None else self.rank_entry.astype(np.intp)
            return
        width = len(self.times) + 1
        base = self.stratum * width
        keys = base[ev] + self.rank_stop[ev]
        groups_upto = np.cumsum(np.bincount(keys, minlength=self.n_strata * width) > 0)
        self.K = int(groups_upto[-1])
        self.event_group = (groups_upto[keys] - 1).astype(np.intp)
        self.hi = groups_upto[base + self.rank_stop].astype(np.intp)
        self.lo = groups_upto[base + (self.rank_entry if self.rank_entry is not None else 0)].astype(np.intp)

    def risk_sums(self, values: FloatArray) -> FloatArray:
        """Sums of ``values`` (n) over the risk set of each event group (K): rows enter at ``lo`` and
        leave at ``hi`` of a difference array, accumulated backwards."""
        diff = _bincount(self.hi, values, self.K + 1)
        if self.lo is not None:
            diff -= _bincount(self.lo, values, self.K + 1)
        return np.cumsum(diff[::-1])[::-1][1:]

    def at_risk_sums(self, per_group: FloatArray) -> FloatArray:
        """For each row, the sums of ``per_group`` (m x K) over the groups it is at risk for (m x n)."""
        cumulative = np.concatenate([np.zeros((per_group.shape[0], 1)), np.cumsum(per_group, axis=1)], axis=1)
        total = cumulative[:, self.hi]
        if self.lo is not None:
            total -= cumulative[:, self.lo]
        return cast(FloatArray, total)


def _term_groups(names: tuple[str, ...], terms: bool | Mapping[str, Sequence[str]]) -> list[tuple[str, IntArray]]:
    """The terms as (name, column indices), ordered by their first column."""
    if isinstance(terms, bool):
        return [(name, np.array([j], dtype=np.intp)) for j, name in enumerate(names)]
    position = {name: j for j, name in enumerate(names)}
    grouped: dict[int, tuple[str, IntArray]] = {}
    seen: set[str] = set()
    for term, columns in terms.items():
        listed = [columns] if isinstance(columns, str) else list(columns)
        unknown = [c for c in listed if c not in position]
        if unknown or not listed:
            raise ValueError(f"term {term!r} must list covariates of the fit ({', '.join(names)}), not {listed}")
        if seen & set(listed) or len(set(listed)) != len(listed):
            raise ValueError(f"term {term!r} repeats a column that is already in a term")
        seen |= set(listed)
        if term in position and listed != [term]:
            raise ValueError(f"term {term!r} has the name of a covariate it does not consist of")
        indices = np.array(sorted(position[c] for c in listed), dtype=np.intp)
        grouped[int(indices[0])] = (term, indices)
    for name, j in position.items():
        if name not in seen:
            grouped[j] = (name, np.array([j], dtype=np.intp))
    return [grouped[j] for j in sorted(grouped)]


def _transform(transform: str | Callable[[FloatArray], npt.ArrayLike], rows: _Rows) -> FloatArray:
    """The transformed time of each event row (in the order of ``rows.events``)."""
    ev, stop = rows.events, rows.stop
    if callable(transform):
        values = np.asarray(transform(stop.copy()), dtype=np.float64)
        if values.shape != stop.shape:
            raise ValueError(
                f"the transform returned {values.shape[0] if values.ndim else 1} values for {len(stop)} rows"
            )
        values = values[ev]
    elif transform == "identity":
        values = stop[ev]
    elif transform == "log":
        if (stop[ev] <= 0).any():
            raise ValueError("transform 'log' needs positive event times (an event is at time 0)")
        values = np.log(stop[ev])
    elif transform == "rank":
        # Average rank among all rows' times: those before, plus the middle of the tied block.
        ordered = np.sort(stop)
        below = np.searchsorted(ordered, rows.times, side="left")
        upto = np.searchsorted(ordered, rows.times, side="right")
        values = (below + (upto - below + 1) / 2.0)[rows.rank_stop[ev] - 1]
    else:  # km: 1 - S(t-) of all rows pooled, unweighted, at risk on (start, stop]
        U = len(rows.times)
        # Rows with stop >= t_m are those whose rank_stop >= m + 1 (and the same for entries).
        at_risk = np.cumsum(np.bincount(rows.rank_stop, minlength=U + 1)[::-1])[::-1][1:]
        if rows.rank_entry is not None:
            at_risk = at_risk - np.cumsum(np.bincount(rows.rank_entry, minlength=U + 1)[::-1])[::-1][1:]
        deaths = np.bincount(rows.rank_stop[ev] - 1, minlength=U)
        survival = np.cumprod(1.0 - deaths / at_risk)
        before = np.concatenate([[1.0], survival[:-1]])
        values = 1.0 - before[rows.rank_stop[ev] - 1]
    if not np.all(np.isfinite(values)):
        raise ValueError("the transformed event times are not all finite")
    return np.ascontiguousarray(values, dtype=np.float64)


# --------------------------------------------------------------------------------------------------
# The computation


class _Pieces:
    """The score for theta, the 2p x 2p information, the Schoenfeld residuals and the log partial
    likelihood at beta, in one pass over the rows (sums over risk sets as in jobtro.stats.cox)."""

    def __init__(self, rows: _Rows, beta: FloatArray, ties: Ties, g_events: FloatArray) -> None:
        ev, eg, K = rows.events, rows.event_group, rows.K
        self.event_group = eg
        X = rows.X - rows.X.mean(axis=0)  # centred (as R): the sums below are then well conditioned
        XT = np.ascontiguousarray(X.T)
        del X
        p = XT.shape[0]
        w = rows.weight if rows.weight is not None else np.ones(len(rows.stop))
        eta = np.einsum("j,jn->n", beta, XT)
        top = float(eta.max())
        shift = top - 300.0 if top > 300.0 else 0.0  # a common shift changes nothing
        v = w * np.exp(eta - shift)
        XT_ev, v_ev, w_ev = XT[:, ev], v[ev], w[ev]

        # Per event group: time function, deaths, risk-set and death-set sums.
        g = np.empty(K)
        g[eg] = g_events
        d = np.bincount(eg, minlength=K)
        w_dead = _bincount(eg, w_ev, K)
        S = rows.risk_sums(v)
        E = _bincount(eg, v_ev, K)
        A = np.stack([rows.risk_sums(row) for row in XT * v])  # p x K
        A2 = np.stack([_bincount(eg, row, K) for row in XT_ev * v_ev])
        if ties == "efron":
            first = np.cumsum(d) - d
            slot = np.repeat(np.arange(K), d)
            f = (np.arange(len(ev)) - first[slot]) / d[slot]
            wt = (w_dead / d)[slot]
            c = S[slot] - f * E[slot]
            q, q2 = wt / c, wt / c**2
            sums = np.stack([_bincount(slot, values, K) for values in (q, q * f, q2, q2 * f, q2 * f * f)])
            loglik_slots = float(np.einsum("s,s->", wt, np.log(c)))
        else:
            zeros = np.zeros(K)
            sums = np.stack([w_dead / S, zeros, w_dead / S**2, zeros, zeros])
            loglik_slots = float(np.einsum("k,k->", w_dead, np.log(S)))
        s0, s1, s2, s3, s4 = sums
        self.loglik = float(np.einsum("m,m->", w_ev, eta[ev] - shift)) - loglik_slots

        # Schoenfeld residuals: x minus the (Efron-averaged) risk-set mean at the event's time.
        mean = (A * s0 - A2 * s1) / w_dead  # p x K
        self.schoenfeld = (XT_ev - mean[:, eg]).T  # events x p, in the order of rows.events
        # Score for theta: sum_k g_k U_k, U_k = sum_D w x - w_dead * mean.
        self.u_theta = np.einsum("jm,m->j", XT_ev, w_ev * g_events) - (A * s0 - A2 * s1) @ g

        # Information blocks sum_k g_k^m V_k, m = 0, 1, 2: the x x' part through per-row weights
        # (exchanging the sums over rows and times), the mean part per event group.
        powers = np.stack([np.ones(K), g, g * g])
        omega = rows.at_risk_sums(powers * s0)
        omega[:, ev] -= (powers * s1)[:, eg]
        omega *= v
        blocks = []
        for m in range(3):
            first_part = np.einsum("jn,kn->jk", XT * omega[m], XT)
            cross = (A * (powers[m] * s3)) @ A2.T
            second = (A * (powers[m] * s2)) @ A.T - cross - cross.T + (A2 * (powers[m] * s4)) @ A2.T
            block = first_part - second
            blocks.append((block + block.T) / 2)
        self.imat = np.block([[blocks[0], blocks[1]], [blocks[1], blocks[2]]])
        self.information = blocks[0]
        self.p = p

    def residual_order(self, *, counting: bool) -> IntArray:
        """Positions in ``rows.events`` in R's order: by event group (stratum, then time); tied events in
        row order, or reversed for (start, stop] data (R's zph2 walks the rows backwards)."""
        eg = self.event_group
        if not counting:
            return np.argsort(eg, kind="stable")
        m = len(eg)
        return cast(IntArray, (m - 1 - np.argsort(eg[::-1], kind="stable")).astype(np.intp))


def _scaled_residuals(
    rows: _Rows, fit: CoxResult, pieces: _Pieces, groups: list[tuple[str, IntArray]], order: IntArray
) -> tuple[FloatArray, FloatArray]:
    """R's scaling of the Schoenfeld residuals by the average information, stratum by stratum."""
    p, n_strata = pieces.p, rows.n_strata
    beta = np.asarray(fit.params, dtype=np.float64)
    ev_stratum = rows.stratum[rows.events]
    events_per_stratum = np.bincount(ev_stratum, minlength=n_strata)
    # used[s, j]: the events of stratum s when covariate j varies in it, else 0.
    if n_strata == 1:
        varies = (rows.X.min(axis=0) != rows.X.max(axis=0))[None, :]
    else:  # compare every row with one row of its stratum (no sort)
        reference = np.empty(n_strata, dtype=np.intp)
        reference[rows.stratum] = np.arange(len(rows.stratum))
        differs = rows.X[reference[rows.stratum]] != rows.X
        varies = np.stack([_bincount(rows.stratum, column, n_strata) > 0 for column in differs.T.astype(np.float64)], 1)
    used = events_per_stratum[:, None] * varies.astype(np.intp)
    for _, columns in groups:
        if len(columns) > 1 and (used[:, columns] == 0).any():
            used[:, columns] = used[:, columns].max(axis=1, keepdims=True)
    weight = np.minimum(used[:, :, None], used[:, None, :]).sum(axis=0)
    vmean = pieces.information / np.where(weight == 0, 1, weight)

    schoenfeld = pieces.schoenfeld[order]
    offset = beta.copy()
    if any(len(columns) > 1 for _, columns in groups):
        combine = np.zeros((p, len(groups)))
        offset = np.ones(len(groups))
        for t, (_, columns) in enumerate(groups):
            if len(columns) == 1:
                combine[columns[0], t] = 1.0
                offset[t] = beta[columns[0]]
            else:
                combine[columns, t] = beta[columns]
        schoenfeld = schoenfeld @ combine
        vmean = combine.T @ vmean @ combine
        used = used[:, [int(columns[0]) for _, columns in groups]]

    residuals = np.full_like(schoenfeld, np.nan)
    stratum_of_row = ev_stratum[order]
    patterns, pattern_of_stratum = np.unique(used > 0, axis=0, return_inverse=True)
    row_pattern = pattern_of_stratum.reshape(-1)[stratum_of_row]
    for index, pattern in enumerate(patterns):
        if not pattern.any():
            continue  # every covariate constant in these strata: no residual (R misaligns these rows)
        keep = np.flatnonzero(pattern)
        selected = row_pattern == index
        block = vmean[np.ix_(keep, keep)]
        residuals[np.ix_(selected, keep)] = np.linalg.solve(block, schoenfeld[np.ix_(selected, keep)].T).T
    residuals += offset
    return residuals, np.linalg.inv(vmean)
