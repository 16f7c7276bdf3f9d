r"""Cox regression with a shared gamma frailty per group (caseworker), fitted exactly as R's
``coxph(Surv(...) ~ x + frailty(group, distribution = "gamma"))``: a penalised partial likelihood for the
frailties, with the frailty variance chosen by survival's ``method = "em"`` search on the integrated
likelihood.

The estimates agree with R's ``survival`` 3.5 (``jobtro/stats/tests/test_frailty.py``, reference values
from ``tests/results/frailty.R``). Pure numpy and polars; the partial likelihood and its derivatives in
the covariates are :class:`jobtro.stats.cox.CoxPH`'s (Efron or Breslow ties, strata, (start, stop] data).

Model
-----
Row :math:`i` of group :math:`g(i)` has hazard :math:`\lambda_{s(i)}(t)\, w_{g(i)} \exp(x_i'\beta)` with
frailties :math:`w_g` independent gamma with mean 1 and variance :math:`\theta`. Write
:math:`u_g = \log w_g` and :math:`\nu = 1/\theta`. For fixed :math:`\theta` the frailties are fitted as
coefficients of group indicators with the **penalised partial likelihood**

.. math::

   \mathrm{PPL}(\beta, u) = \ell(\beta, u) - \nu \sum_g \big(e^{u_g} - u_g\big),

:math:`\ell` the Cox log partial likelihood with linear predictor :math:`x_i'\beta + u_{g(i)}` (see
:mod:`jobtro.stats.cox`). Since :math:`\ell` does not change when a constant is added to every
:math:`u_g`, survival re-centres the frailties at every evaluation so that :math:`\sum_g e^{u_g} = G`
(the penalty's own optimum along that direction) and reports the penalised log likelihood as
:math:`\ell + \nu\sum_g u_g` (the same up to the constant :math:`-\nu G`).

The frailty variance maximises the **integrated (marginal) log likelihood**, which for the gamma
frailty is the maximised PPL plus a correction depending only on :math:`\nu` and the events
:math:`d_g` of each group (Therneau, Grambsch & Pankratz 2003; survival's ``frailty.gammacon``):

.. math::

   \ell_I(\theta) = \max_{\beta,u} \mathrm{PPL} + \sum_g \Big[ d_g + \nu \log\frac{\nu}{\nu + d_g}
       + \log\frac{\Gamma(\nu + d_g)}{\Gamma(\nu)} - d_g \log(\nu + d_g) \Big].

Algorithm (survival's, step for step)
-------------------------------------
*Outer loop* (``frailty.controlgam``): fit at :math:`\theta = 0` (the plain Cox model), then at
:math:`\theta = 1`, then at the midpoint 0.5 if :math:`\ell_I` rose by less than 1, else at 2; from then
on the next :math:`\theta` is a parabolic (Brent-type) step on :math:`\sqrt\theta` through the best value
and its neighbours (``frailty.brent``), or twice the largest :math:`\theta` while the largest is best.
It stops when :math:`|1 - \ell_I^{(k)}/\ell_I^{(k-1)}| <` ``frailty_eps`` (1e-5) or after ``outer_max``
(10) fits; the result is the *last* fit (its :math:`\theta` is the one R prints as "Variance of random
effect"). Each fit starts from the coefficients of the earlier fit with the closest :math:`\theta`.
When the best :math:`\theta` is small the parabolic steps crawl towards it and 10 fits may not be
enough (on ``bench/frailty.py``'s data with 100 citizens per caseworker, 18-20 are needed): R then
returns the last :math:`\theta` tried without a word, and so does this function, with ``converged``
false; ``outer_max=30`` gives R's ``coxph.control(outer.max = 30)`` fit.

*Inner loop* (``coxfit5.c`` / ``agfit5.c``): Newton–Raphson on the PPL in which the information's
frailty-frailty block is replaced by its **diagonal** (survival's sparse approximation, used when there
are more than 5 groups; with 5 or fewer the full block is used, R's ``sparse = FALSE``). It stops when
the PPL changes by a relative ``eps`` (1e-9), or after ``iter_max`` (20) steps (then the fit is taken as
it is, as R does - R warns "Inner loop failed to converge"; ``converged`` reports the final fit only); a
step that lowers the PPL is halved. Matching these stopping rules, not just the maximum, is what makes
the estimates agree with R's to 1e-11 rather than to the accuracy of R's search.

With the information written in blocks, :math:`J = \begin{pmatrix} D & B \\ B' & A \end{pmatrix}`
(:math:`D` diagonal, G x G; :math:`B` G x p; :math:`A` p x p), every Newton step and the variances use
the Schur complement :math:`S = A - B'D^{-1}B` (p x p): nothing of size G x G is formed.

* :math:`D_g = \sum_{k,j} \big(\pi_{gkj} - \pi_{gkj}^2\big) + \nu e^{u_g}`, :math:`\pi_{gkj}` the
  (Efron-weighted) share of group :math:`g` in the risk set of the :math:`j`-th tied event at time
  :math:`k`. The first sum is the group's sum of expected events :math:`\sum_{i \in g} z_i`; the second
  needs :math:`a_g(k) = \sum_{i \in g \cap R_k} r_i`, a step function of :math:`k` with a jump where a
  member enters or leaves: one sort of the rows' entry and exit positions by (group, position) at set-up,
  then a cumulative sum per evaluation, O(n) (never a G x K table).
* :math:`B_g = \sum_{i \in g} z_i x_i - \sum_k a_g(k)\,T_k + \sum_k a^D_g(k)\,T^D_k` with the risk-set
  sums :math:`T, T^D` of :mod:`jobtro.stats.cox`; the first two are sums over the rows of a group, the
  last over its events.

Variances (``coxpenal.df``): ``cov`` is the covariate block of :math:`J^{-1}`, :math:`S^{-1}` - R's
``var``, printed as ``se(coef)``; ``cov2`` is :math:`J^{-1}(J - P)J^{-1}` there (:math:`P` the penalty's
second derivative), R's ``var2`` (``se2``). ``df_frailty`` is R's degrees of freedom of the frailty term,
:math:`G - \operatorname{tr}(P J^{-1})`. With more than 5 groups :math:`J` is the sparse (diagonal
frailty block) information, as in R, so ``se`` is R's ``se(coef)`` exactly - an approximation to the
inverse of the full penalised information.

Examples
--------
>>> from pathlib import Path
>>> import polars as pl
>>> import jobtro.stats
>>> kidney = pl.read_csv(Path(jobtro.stats.__file__).parent / "tests/results/data/frailty_kidney.csv")
>>> fit = fit_cox_frailty(kidney, time="time", event="status", x=["age", "sex"], group="id")
>>> print(fit.summary())
Cox proportional hazards with a shared gamma frailty (efron ties): n = 76, events = 58, groups = 38
            coef        HR        se       se2         z         p  95% CI for HR
age       0.0053    1.0053    0.0119    0.0088     0.442     0.659  (0.9821, 1.0290)
sex      -1.5875    0.2044    0.4606    0.3520    -3.447  0.000567  (0.0829, 0.5042)
frailty variance 0.4122 (df 13.0); integrated log likelihood -181.6388; 7 outer, 65 Newton steps

(R: ``coxph(Surv(time, status) ~ age + sex + frailty(id, distribution = "gamma"), kidney)`` prints sex
-1.58749, se(coef) 0.46055, se2 0.35200, variance of random effect 0.412, I-likelihood -181.6, df 13.0;
7 outer, 65 Newton-Raphson iterations.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, cast

import numpy as np
import polars as pl

from jobtro.stats.cox import CoxPH, FloatArray, IntArray, Ties, _bincount, _frozen, _number, _solve

# survival's defaults: coxph.control(eps = 1e-9, iter.max = 20, outer.max = 10), frailty(eps = 1e-5).
EPS = 1e-9
ITER_MAX = 20
OUTER_MAX = 10
FRAILTY_EPS = 1e-5
SPARSE_ABOVE = 5  # frailty.gamma(sparse = nclass > 5)


# --------------------------------------------------------------------------------------------------
# survival's outer loop: the gamma correction and the search for theta


def gamma_correction(events: FloatArray, nu: float) -> float:
    """survival's ``frailty.gammacon(d, nu)``: the integrated minus the penalised log likelihood for
    gamma frailties with variance 1/nu and ``events`` events per group."""
    d = np.asarray(events, dtype=np.float64)
    maxd = int(d.max())
    large = nu > 1e7 * maxd  # survival's switch to the first-order term, for tiny theta
    term1 = float(np.sum(d * d)) / nu if large else float(np.sum(d + nu * np.log(nu / (nu + d))))
    if maxd == 0:
        return term1
    counts = np.bincount(d[d > 0].astype(np.intp), minlength=maxd + 1)[1:]  # groups with exactly 1..maxd
    at_least = np.cumsum(counts[::-1])[::-1]  # groups with at least 1..maxd
    levels = np.arange(1, maxd + 1, dtype=np.float64)
    numerator = np.repeat(nu + levels - 1, at_least)
    denominator = np.repeat(nu + levels, counts * np.arange(1, maxd + 1))
    return term1 + float(np.sum(np.log(numerator / denominator)))


def _brent(x: FloatArray, y: FloatArray, lower: float = 0.0) -> float:
    """survival's ``frailty.brent(x, y, lower)``: the next guess for the maximum of y(x) from the points
    so far - a parabola through the best point and its neighbours, guarded."""
    n = len(x)
    if n < 3:
        return float(np.mean(x))
    order = np.argsort(x, kind="stable")
    xx, yy = x[order], y[order]
    best = np.flatnonzero(yy == y.max())
    if len(best) > 1:
        raise ValueError("the integrated likelihood is tied at two values of theta (survival: 'I surrender')")
    b = int(best[0])
    if b == 0:
        new = float(xx[0] - 3 * (xx[1] - xx[0]))
        if new < lower:
            new = lower + (float(xx[xx > lower].min()) - lower) / 10
        return new
    if b == n - 1:
        return float(xx[n - 1] + 3 * (xx[n - 1] - xx[n - 2]))
    x3, y3 = xx[b - 1 : b + 2], yy[b - 1 : b + 2]
    temp1 = (x3[1] - x3[0]) ** 2 * (y3[1] - y3[2]) - (x3[1] - x3[2]) ** 2 * (y3[1] - y3[0])
    temp2 = (x3[1] - x3[0]) * (y3[1] - y3[2]) - (x3[1] - x3[2]) * (y3[1] - y3[0])
    new = float(x3[1] - 0.5 * temp1 / temp2)
    if new < x3[0] or new > x3[2] or (n > 4 and (new - x[n - 1]) > 0.5 * abs(x[n - 2] - x[n - 3])):
        if (x3[1] - x3[0]) > (x3[2] - x3[1]):
            return float(x3[1] - 0.38 * (x3[1] - x3[0]))
        return float(x3[1] + 0.32 * (x3[2] - x3[1]))
    return new


def _next_theta(history: list[tuple[float, float, float]], eps: float) -> tuple[float, bool]:
    """survival's ``frailty.controlgam`` (method "em"): the next theta and whether the search is done,
    from the (theta, penalised loglik, integrated loglik) of the fits so far."""
    k = len(history)
    if k == 1:
        return 1.0, False
    if k == 2:
        (theta0, _, c0), (theta1, _, c1) = history
        return ((theta0 + theta1) / 2, False) if c1 < c0 + 1 else (2 * theta1, False)
    x = np.array([h[0] for h in history])
    y = np.array([h[2] for h in history])
    done = bool(abs(1 - y[-1] / y[-2]) < eps)
    if y[-1] == y.max() and x[-1] == x.max():
        return float(2 * x.max()), done
    return _brent(np.sqrt(x), y, lower=0.0) ** 2, done


# --------------------------------------------------------------------------------------------------
# The penalised fit for one theta


@dataclass(frozen=True)
class _Point:
    """The PPL at one (beta, u) and what a Newton step and the variances need (survival's coxfit5_b)."""

    beta: FloatArray
    frail: FloatArray  # re-centred
    ppl: float  # survival's penalised loglik: ell + nu sum(u)
    loglik: float  # ell, the Cox log partial likelihood at (beta, u)
    score_beta: FloatArray
    score_frail: FloatArray
    A: FloatArray  # p x p
    B: FloatArray  # G x p
    D: FloatArray  # G: the frailty block's diagonal (penalty included)
    penalty: FloatArray  # G: the penalty's second derivative, nu e^u (0 with theta = 0)
    full: FloatArray | None  # G x G frailty block (penalty included), for the non-sparse fit


@dataclass(frozen=True)
class _Inner:
    point: _Point
    iterations: int
    converged: bool


class _Frailty:
    """The Cox part of the PPL's derivatives in the frailties, on top of a :class:`CoxPH` model."""

    def __init__(self, model: CoxPH, groups: IntArray, n_groups: int, sparse: bool) -> None:
        self.model = model
        self.groups = groups
        self.G = n_groups
        self.sparse = sparse
        self.events_per_group = _bincount(groups, model._delta, n_groups)
        K = model._n_groups
        ev = model._events_idx
        self._ev_groups = groups[ev]
        # a_g(k), the risk-set sum of a group, is a step function of the event time k: every row adds its
        # r at its first event time (lo) and removes it after its last (hi). Sort these 2n jumps by
        # (group, position) once; each evaluation is then one cumulative sum.
        lo = model._lo if model._lo is not None else np.zeros(model.n, dtype=np.intp)
        hi = model._hi
        rows = np.flatnonzero(lo < hi)
        span = K + 1
        keys = np.concatenate([groups[rows] * span + lo[rows], groups[rows] * span + hi[rows]])
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        self._jump_rows: IntArray = np.concatenate([rows, rows])[order]
        self._jump_sign: FloatArray = np.concatenate([np.ones(len(rows)), -np.ones(len(rows))])[order]
        jump_group = sorted_keys // span
        position = sorted_keys % span
        first = np.ones(len(sorted_keys), dtype=bool)
        first[1:] = jump_group[1:] != jump_group[:-1]
        # index (into the cumulative sum with a leading 0) of the value just before each group's first jump
        self._jump_base: IntArray = np.maximum.accumulate(np.where(first, np.arange(len(first)), 0))
        same = np.flatnonzero(~first[1:])  # jump m and m + 1 in the same group: a_g is constant between them
        self._piece: IntArray = same
        self._piece_from: IntArray = position[same]
        self._piece_to: IntArray = position[same + 1]
        self._piece_group: IntArray = jump_group[same]
        # (group, event time) pairs with events, for the tied events' own share (Efron).
        pair_keys, self._pair_of_event = np.unique(self._ev_groups * span + model._event_group, return_inverse=True)
        self._pair_jump: IntArray = np.asarray(np.searchsorted(sorted_keys, pair_keys, side="right") - 1)
        self._pair_group: IntArray = pair_keys // span
        self._pair_time: IntArray = pair_keys % span

    def point(self, beta: FloatArray, frail: FloatArray, theta: float) -> _Point:
        """Evaluate at (beta, frail) - re-centring the frailties first (survival's ``pfun``)."""
        model, g, G = self.model, self.groups, self.G
        nu = 1 / theta if theta > 0 else 0.0
        if theta > 0:
            frail = frail - math.log(float(np.mean(np.exp(frail))))
        at = model._evaluate(beta, offset=frail[g])
        assert at.information is not None and at.A is not None
        r, z, A, A2, sums = at.r, at.z, at.A, at.A2, at.sums
        efron = A2 is not None
        ev = model._events_idx
        XT = model._XT
        # Score and the diagonal of the frailty block (the Cox part).
        score_frail = _bincount(g, model._delta - z, G)
        expected = _bincount(g, z, G)
        run = self._risk_set_steps(r)
        cumulative = np.concatenate([[0.0], np.cumsum(sums[2])])
        steps = run[self._piece]
        square = _bincount(
            self._piece_group, steps * steps * (cumulative[self._piece_to] - cumulative[self._piece_from]), G
        )
        if efron:
            a_pair = run[self._pair_jump]
            a2_pair = _bincount(self._pair_of_event, r[ev], len(self._pair_jump))
            k = self._pair_time
            square += _bincount(self._pair_group, a2_pair * (a2_pair * sums[4][k] - 2 * a_pair * sums[3][k]), G)
        D = expected - square
        # The cross block.
        T = A * sums[2]
        if efron:
            assert A2 is not None
            T -= A2 * sums[3]
        at_risk = model._at_risk_sums(T)  # p x n
        B = np.stack([_bincount(g, XT[j] * z - r * at_risk[j], G) for j in range(len(beta))], axis=1)
        if efron:
            assert A2 is not None
            TD = (A * sums[3] - A2 * sums[4])[:, model._event_group]  # p x events
            B += np.stack([_bincount(self._ev_groups, r[ev] * TD[j], G) for j in range(len(beta))], axis=1)
        full = None
        if not self.sparse:
            full = self._frailty_block(r, z, sums, efron)
        ppl = at.loglik
        if theta > 0:
            expu = np.exp(frail)
            penalty = expu * nu
            score_frail = score_frail - (expu - 1) * nu
            D = D + penalty
            if full is not None:
                full = full + np.diag(penalty)
            ppl += nu * float(np.sum(frail))
        else:  # survival fixes the frailties at their start (zero) with theta = 0
            penalty = np.zeros(G)
            score_frail = np.zeros(G)
            D = np.ones(G)
            B = np.zeros_like(B)
            if full is not None:
                full = np.eye(G)
        return _Point(
            beta=beta,
            frail=frail,
            ppl=ppl,
            loglik=at.loglik,
            score_beta=at.score,
            score_frail=score_frail,
            A=at.information,
            B=B,
            D=D,
            penalty=penalty,
            full=full,
        )

    def _risk_set_steps(self, r: FloatArray) -> FloatArray:
        """a_g(k) after each jump of the sorted (group, position) list (see ``__init__``)."""
        total = np.concatenate([[0.0], np.cumsum(r[self._jump_rows] * self._jump_sign)])
        return cast(FloatArray, total[1:] - total[self._jump_base])

    def _frailty_block(self, r: FloatArray, z: FloatArray, sums: FloatArray, efron: bool) -> FloatArray:
        """The full G x G Cox information of the group indicators (only for few groups: survival's
        non-sparse fit)."""
        model, g, G = self.model, self.groups, self.G
        onehot = (g[None, :] == np.arange(G)[:, None]).astype(np.float64)
        a = model._risk_sums(onehot * r)  # G x K
        block = np.diag(_bincount(g, z, G)) - (a * sums[2]) @ a.T
        if efron:
            ev = model._events_idx
            a2 = model._group_sums(model._event_group, onehot[:, ev] * r[ev])
            cross = (a * sums[3]) @ a2.T
            block += cross + cross.T - (a2 * sums[4]) @ a2.T
        return cast(FloatArray, block)

    def step(self, at: _Point) -> tuple[FloatArray, FloatArray]:
        """The Newton step J^{-1} U (survival's cholesky3 + chsolve3), via the p x p Schur complement."""
        if at.full is not None:
            J = np.block([[at.full, at.B], [at.B.T, at.A]])
            solution = _solve_spd(J, np.concatenate([at.score_frail, at.score_beta]))
            return solution[self.G :], solution[: self.G]
        scaled = at.B / at.D[:, None]
        schur = at.A - at.B.T @ scaled
        step_beta = _solve_spd(schur, at.score_beta - scaled.T @ at.score_frail)
        step_frail = (at.score_frail - at.B @ step_beta) / at.D
        return step_beta, step_frail

    def fit(self, beta: FloatArray, frail: FloatArray, theta: float, eps: float, iter_max: int) -> _Inner:
        """survival's inner loop (coxfit5_b / agfit5_b) for one theta, from (beta, frail)."""
        beta, frail = beta.copy(), frail.copy()
        old_beta, old_frail = beta.copy(), frail.copy()
        previous = 0.0  # R starts the comparison from a log likelihood of 0
        halving = False
        for iteration in range(iter_max + 1):
            at = self.point(beta, frail, theta)
            frail = at.frail
            if abs(1 - previous / at.ppl) <= eps and not halving:
                return _Inner(at, iteration, True)
            if iteration == iter_max:
                break
            if iteration > 0 and at.ppl < previous:  # not converging: halve the step
                halving = True
                beta = (old_beta + beta) / 2
                frail = (old_frail + frail) / 2
            else:
                halving = False
                previous = at.ppl
                step_beta, step_frail = self.step(at)
                old_beta, old_frail = beta, frail
                beta = beta + step_beta
                frail = frail + step_frail
        return _Inner(at, iter_max, False)

    def variances(self, at: _Point) -> tuple[FloatArray, FloatArray, float]:
        """R's ``var`` and ``var2`` of the coefficients and the frailty term's degrees of freedom."""
        G, P = self.G, at.penalty
        if at.full is not None:
            J = np.block([[at.full, at.B], [at.B.T, at.A]])
            V = _inverse(J)
            V2 = V @ (J - np.diag(np.concatenate([P, np.zeros(len(at.beta))]))) @ V
            Vuu = V[:G, :G]
            df = float(np.trace(np.linalg.solve(Vuu, V2[:G, :G]))) if np.any(P) else 0.0
            return V[G:, G:], V2[G:, G:], df
        scaled = at.B / at.D[:, None]  # D^-1 B
        cov = _inverse(at.A - at.B.T @ scaled)
        W = scaled @ cov  # -(frailty x covariate block of J^-1)
        frail_var = 1 / at.D + np.einsum("gj,gj->g", W, scaled)  # diagonal of the frailty block of J^-1
        cov2 = cov - W.T @ (P[:, None] * W)
        df = G - float(np.sum(frail_var * P)) if np.any(P) else 0.0
        return cov, (cov2 + cov2.T) / 2, df


def _solve_spd(matrix: FloatArray, rhs: FloatArray) -> FloatArray:
    return _solve(
        matrix,
        rhs,
        singular="the penalised information matrix is singular: a covariate is constant (within strata or within "
        "every group) or the covariates are collinear",
    )


def _inverse(matrix: FloatArray) -> FloatArray:
    try:
        inverse = np.linalg.inv(matrix)
    except np.linalg.LinAlgError:
        return np.full(matrix.shape, np.inf)
    symmetric: FloatArray = (inverse + inverse.T) / 2
    return symmetric


# --------------------------------------------------------------------------------------------------
# The result


@dataclass(frozen=True, eq=False)
class FrailtyResult:
    """A fitted Cox model with a shared gamma frailty (immutable).

    Attributes
    ----------
    names : tuple of str
        Covariate names, in the order of ``params``.
    params : ndarray
        Log hazard ratios :math:`\\hat\\beta`, conditional on the frailty (within-group effects).
    cov, cov2 : ndarray
        R's ``var`` (the covariate block of the inverse penalised information; :attr:`se` is R's
        ``se(coef)``, used for the confidence intervals) and ``var2`` (:attr:`se2`, R's ``se2``).
    theta : float
        The frailty variance of the final fit (R's "Variance of random effect").
    loglik : float
        R's integrated log likelihood ("I-likelihood") at ``theta``: the quantity maximised over theta.
    loglik_partial, loglik_null : float
        R's ``loglik``: the Cox log partial likelihood at the estimates (frailties included, no penalty)
        and with all coefficients and frailties zero.
    df_frailty : float
        Degrees of freedom of the frailty term (R's ``df`` for it).
    frailties : ndarray
        Estimated log frailties :math:`\\hat u_g` (R's ``frail``), in the order of the group codes (sorted
        values for numbers and polars text columns), re-centred so that their exponentials average 1.
    history : tuple of (theta, penalised loglik, integrated loglik)
        Every fit of the search for theta (R's ``history[[1]]$history``).
    n, events, n_groups, n_strata : int
    ties : {"efron", "breslow"}
    iterations, newton_iterations : int
        Fits of the outer search, and Newton steps over all of them (R's ``iter``).
    converged : bool
        The search for theta met its criterion and the last penalised fit converged.
    """

    names: tuple[str, ...]
    params: FloatArray
    cov: FloatArray
    cov2: FloatArray
    theta: float
    loglik: float
    loglik_partial: float
    loglik_null: float
    df_frailty: float
    frailties: FloatArray
    history: tuple[tuple[float, float, float], ...]
    n: int
    events: int
    n_groups: int
    ties: Ties
    iterations: int
    newton_iterations: int
    converged: bool
    n_strata: int = 1

    def __post_init__(self) -> None:
        for name in ("params", "cov", "cov2", "frailties"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    @property
    def se(self) -> FloatArray:
        """Standard errors, R's ``se(coef)``: square roots of the diagonal of ``cov``."""
        return _frozen(np.sqrt(np.diag(self.cov)))

    @property
    def se2(self) -> FloatArray:
        """R's ``se2``: square roots of the diagonal of ``cov2``."""
        return _frozen(np.sqrt(np.diag(self.cov2)))

    def hr(self) -> FloatArray:
        """Hazard ratios :math:`e^{\\hat\\beta}`."""
        return _frozen(np.exp(self.params))

    def conf_int(self, alpha: float = 0.05) -> FloatArray:
        """Wald confidence intervals on the hazard-ratio scale from :attr:`se` (as R's
        ``summary.coxph.penal``), rows ``(low, high)`` per covariate."""
        if not 0 < alpha < 1:
            raise ValueError("alpha must be between 0 and 1")
        half = NormalDist().inv_cdf(1 - alpha / 2) * self.se
        return _frozen(np.exp(np.column_stack([self.params - half, self.params + half])))

    def pvalues(self) -> FloatArray:
        """Two-sided Wald p-values (R's chi-square on 1 df)."""
        z = np.abs(self.params / self.se)
        return _frozen(np.array([math.erfc(value / math.sqrt(2)) for value in z]))

    def summary_frame(self, alpha: float = 0.05) -> pl.DataFrame:
        """One row per covariate: coef, hr, se, se2, z, p and the HR's confidence interval."""
        ci = self.conf_int(alpha)
        return pl.DataFrame(
            {
                "name": list(self.names),
                "coef": self.params,
                "hr": self.hr(),
                "se": self.se,
                "se2": self.se2,
                "z": self.params / self.se,
                "p": self.pvalues(),
                "ci_low": ci[:, 0],
                "ci_high": ci[:, 1],
            }
        )

    def summary(self, alpha: float = 0.05) -> str:
        """A readable table, as text."""
        header = (
            f"Cox proportional hazards with a shared gamma frailty ({self.ties} ties): n = {self.n}, "
            f"events = {self.events}, groups = {self.n_groups}"
            + (f", strata = {self.n_strata}" if self.n_strata > 1 else "")
        )
        width = max(6, *(len(name) for name in self.names))
        titles = ["coef", "HR", "se", "se2", "z", "p"]
        lines = [header, " " * width + "".join(f"{t:>10}" for t in titles) + f"  {100 * (1 - alpha):g}% CI for HR"]
        ci, hr, se, se2, p = self.conf_int(alpha), self.hr(), self.se, self.se2, self.pvalues()
        for i, name in enumerate(self.names):
            row = "".join(f"{value:>10.4f}" for value in (self.params[i], hr[i], se[i], se2[i]))
            row += f"{self.params[i] / se[i]:>10.3f}{p[i]:>10.3g}  ({ci[i, 0]:.4f}, {ci[i, 1]:.4f})"
            lines.append(f"{name:<{width}}{row}")
        lines.append(
            f"frailty variance {self.theta:.4g} (df {self.df_frailty:.1f}); integrated log likelihood "
            f"{self.loglik:.4f}; {self.iterations} outer, {self.newton_iterations} Newton steps"
            + ("" if self.converged else ", NOT converged")
        )
        return "\n".join(lines)

    def to_dict(self, alpha: float = 0.05) -> dict[str, Any]:
        """The JSON object of ``jobtro analyse cox --frailty COL --json``: as :meth:`CoxResult.to_dict`
        (``robust_se`` null; ``loglik`` the integrated log likelihood) plus ``theta``."""
        ci = self.conf_int(alpha)
        hr, se = self.hr(), self.se
        return {
            "n": self.n,
            "events": self.events,
            "ties": self.ties,
            "loglik": _number(self.loglik),
            "params": {
                name: {
                    "coef": _number(self.params[i]),
                    "se": _number(se[i]),
                    "robust_se": None,
                    "hr": _number(hr[i]),
                    "ci_low": _number(ci[i, 0]),
                    "ci_high": _number(ci[i, 1]),
                }
                for i, name in enumerate(self.names)
            },
            "theta": _number(self.theta),
        }


# --------------------------------------------------------------------------------------------------
# The fit


def fit_cox_frailty(
    data: Any,
    *,
    time: str,
    event: str,
    x: str | Sequence[str],
    group: str,
    start: str | None = None,
    strata: str | Sequence[str] | None = None,
    ties: str = "efron",
    theta: float | None = None,
    sparse: bool | None = None,
    eps: float = EPS,
    iter_max: int = ITER_MAX,
    outer_max: int = OUTER_MAX,
    frailty_eps: float = FRAILTY_EPS,
) -> FrailtyResult:
    """Fit a Cox model with a shared gamma frailty per ``group``, as R's
    ``coxph(Surv(...) ~ x + frailty(group, distribution = "gamma"), ties = )`` (see the module docstring).

    Parameters
    ----------
    data, time, event, x, start, strata, ties
        As for :class:`jobtro.stats.cox.CoxPH` (case weights are not supported).
    group : str
        The column whose values share a frailty (numbers or text), for example the caseworker.
    theta : float, optional
        Fix the frailty variance instead of estimating it (R's ``frailty(group, theta = )``).
    sparse : bool, optional
        Approximate the frailty block of the information by its diagonal; by default when there are
        more than 5 groups, as R.
    eps, iter_max, outer_max : float, int, int
        R's ``coxph.control``: relative change of the penalised log likelihood for the inner Newton
        iterations (at most ``iter_max`` steps), and at most ``outer_max`` values of theta.
    frailty_eps : float
        R's ``frailty(eps = )``: the search for theta stops when the integrated log likelihood changes
        by less than this, relatively.

    Returns
    -------
    FrailtyResult

    Raises
    ------
    ValueError
        As :class:`CoxPH`; also a ``group`` column with fewer than two values, or a negative ``theta``.
    """
    if not isinstance(group, str) or not group:
        raise ValueError("group must be a column name")
    if theta is not None and not (math.isfinite(theta) and theta >= 0):
        raise ValueError(f"theta must be a non-negative number, not {theta!r}")
    model = CoxPH(data, time=time, event=event, x=x, start=start, strata=strata, cluster=group, ties=ties)
    assert model._cluster is not None and model.n_clusters is not None  # the group codes
    G = model.n_clusters
    if G < 2:
        raise ValueError(f"the frailty needs at least two groups: column {group!r} has {G} value")
    frailty = _Frailty(model, model._cluster, G, sparse=G > SPARSE_ABOVE if sparse is None else sparse)
    p = model.k_params
    loglik_null = model.loglike(np.zeros(p))

    history: list[tuple[float, float, float]] = []
    current = theta if theta is not None else 0.0
    beta, frail = np.zeros(p), np.zeros(G)
    saved: list[tuple[float, FloatArray, FloatArray]] = []  # (theta, beta, frailties) of each fit
    newton = 0
    done = False
    inner: _Inner | None = None
    for _ in range(outer_max):
        inner = frailty.fit(beta, frail, current, eps, iter_max)
        newton += inner.iterations
        at = inner.point
        correction = gamma_correction(frailty.events_per_group, 1 / current) if current > 0 else 0.0
        history.append((current, at.ppl, at.ppl + correction))
        saved.append((current, at.beta, at.frail))
        if theta is not None:
            done = True
            break
        current, done = _next_theta(history, frailty_eps)
        if done:
            break
        # Start the next fit from the earlier fit with the closest theta (the first of equals), as R.
        closest = min(range(len(saved)), key=lambda i: (saved[i][0] - current) ** 2)
        beta, frail = saved[closest][1], saved[closest][2]
    assert inner is not None
    at = inner.point
    cov, cov2, df = frailty.variances(at)
    return FrailtyResult(
        names=model.names,
        params=at.beta,
        cov=cov,
        cov2=cov2,
        theta=history[-1][0],
        loglik=history[-1][2],
        loglik_partial=at.loglik,
        loglik_null=loglik_null,
        df_frailty=df,
        frailties=at.frail,
        history=tuple(history),
        n=model.n,
        events=model.events,
        n_groups=G,
        ties=model.ties,
        iterations=len(history),
        newton_iterations=newton,
        converged=done and inner.converged,
        n_strata=model.n_strata,
    )
