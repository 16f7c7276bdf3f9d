r"""Belief over time: how the caseworkers' answers move between waves. Pure numpy/scipy, no Django.

Two models, each checked against R (``jobtro/stats/tests/results/belief.R``):

Linear mixed model with crossed random intercepts (:func:`fit_crossed_lmm`)
---------------------------------------------------------------------------
For answer :math:`i` about citizen :math:`c(i)` given by caseworker :math:`w(i)`

.. math::

   y_i = x_i'\beta + u_{w(i)} + v_{c(i)} + \varepsilon_i,\qquad
   u \sim N(0, \sigma_w^2 I),\; v \sim N(0, \sigma_c^2 I),\; \varepsilon \sim N(0, \sigma^2 I),

the model of ``lme4::lmer(y ~ x + (1 | caseworker) + (1 | citizen))``. Citizens move between
caseworkers, so the two factors are crossed, not nested. The fit follows lme4's profiled deviance: with
relative standard deviations :math:`\theta = (\sigma_w/\sigma, \sigma_c/\sigma)`,
:math:`\Lambda = \operatorname{diag}(\theta_1 I, \theta_2 I)` and :math:`A = \Lambda' Z'Z \Lambda + I`,

.. math::

   d_{ML}(\theta) = \log|A| + n\,\bigl(1 + \log(2\pi r^2(\theta)/n)\bigr),\qquad
   d_{REML}(\theta) = \log|A| + \log|R_X'R_X| + (n-p)\,\bigl(1 + \log(2\pi r^2(\theta)/(n-p))\bigr),

where :math:`r^2` is the penalised residual sum of squares and :math:`R_X'R_X = X'X - X'Z\Lambda A^{-1}
\Lambda'Z'X`. Everything is computed from sufficient statistics per level (counts, sums of :math:`x`
and :math:`y`, the caseworker × citizen count matrix), and :math:`A` is factorised by eliminating the
citizen block, which is diagonal: only a dense caseworker × caseworker matrix is factorised, so the cost
grows with the number of caseworkers, not of answers (national: 10,000 caseworkers, an 800 MB matrix).

Proportional-odds model (:func:`fit_proportional_odds`)
--------------------------------------------------------
For the 5-point answer :math:`Y \in \{1, \dots, K\}`,
:math:`\operatorname{logit} P(Y \le k \mid x) = \alpha_k - x'\beta`, :math:`k = 1, \dots, K-1`: the model
of ``ordinal::clm(factor(y) ~ x, link = "logit")`` (a positive :math:`\beta` means higher answers).
Fitted by Newton's method on the analytic gradient; the information is the finite-difference Jacobian
of that gradient.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import scipy.optimize
import scipy.sparse as sp
from scipy.special import expit

from jobtro.stats._frames import as_polars

FloatArray = npt.NDArray[np.float64]


def _columns(data: pl.DataFrame, names: Sequence[str]) -> FloatArray:
    missing = [n for n in names if n not in data.columns]
    if missing:
        raise ValueError(f"missing column(s): {', '.join(missing)}")
    matrix = data.select([pl.col(n).cast(pl.Float64) for n in names]).to_numpy()
    if np.isnan(matrix).any():
        raise ValueError("the data have missing values; drop or impute them first")
    return np.ascontiguousarray(matrix, dtype=np.float64)


def _codes(data: pl.DataFrame, name: str) -> tuple[npt.NDArray[np.int64], int]:
    if name not in data.columns:
        raise ValueError(f"missing column: {name}")
    codes = data[name].rank("dense").cast(pl.Int64).to_numpy() - 1
    return codes, int(codes.max()) + 1


@dataclass(frozen=True)
class CrossedLMMResult:
    """A fitted crossed random-intercept model. ``variances`` are (caseworker, citizen, residual)."""

    names: tuple[str, ...]
    params: FloatArray
    se: FloatArray
    variances: tuple[float, float, float]
    loglik: float
    reml: bool
    n: int
    n_caseworkers: int
    n_citizens: int
    converged: bool

    def conf_int(self, z: float = 1.959963984540054) -> tuple[FloatArray, FloatArray]:
        return self.params - z * self.se, self.params + z * self.se

    def icc(self) -> tuple[float, float]:
        """Shares of the total variance due to caseworker and to citizen."""
        total = sum(self.variances)
        return self.variances[0] / total, self.variances[1] / total


class _Crossed:
    """Sufficient statistics of the crossed model and its profiled deviance."""

    def __init__(
        self, x: FloatArray, y: FloatArray, w: npt.NDArray[np.int64], c: npt.NDArray[np.int64], q1: int, q2: int
    ):
        self.n, self.p = x.shape
        self.d1 = np.bincount(w, minlength=q1).astype(np.float64)
        self.d2 = np.bincount(c, minlength=q2).astype(np.float64)
        ones = np.ones(self.n)
        self.c12 = sp.csr_matrix((ones, (w, c)), shape=(q1, q2))  # caseworker x citizen answer counts
        xy = np.column_stack([x, y])
        self.z1xy = np.zeros((q1, self.p + 1))
        self.z2xy = np.zeros((q2, self.p + 1))
        np.add.at(self.z1xy, w, xy)
        np.add.at(self.z2xy, c, xy)
        self.xyxy = xy.T @ xy

    def solve(self, theta: FloatArray) -> tuple[float, FloatArray]:
        """(log|A|, M) where M = [X y]'[X y] - [X y]'Z Λ A^{-1} Λ'Z'[X y]."""
        t1, t2 = theta
        a11 = self.d1 * t1 * t1 + 1.0
        b = self.d2 * t2 * t2 + 1.0
        r1, r2 = t1 * self.z1xy, t2 * self.z2xy
        a12 = self.c12 * (t1 * t2)
        scaled = a12.multiply(1.0 / b).tocsr()  # A12 B^-1
        s = np.diag(a11) - (scaled @ a12.T).toarray()
        chol = np.linalg.cholesky(s)
        rhs = r1 - scaled @ r2
        w1 = np.linalg.solve(chol.T, np.linalg.solve(chol, rhs))
        w2 = (r2 - a12.T @ w1) / b[:, None]
        logdet = float(np.log(b).sum() + 2.0 * np.log(np.diag(chol)).sum())
        m = self.xyxy - (r1.T @ w1 + r2.T @ w2)
        return logdet, m

    def deviance(self, theta: FloatArray, reml: bool) -> float:
        logdet, m = self.solve(np.abs(theta))
        return profiled_deviance(logdet, m, p=self.p, n=self.n, reml=reml)


def profiled_deviance(logdet: float, m: FloatArray, *, p: int, n: int, reml: bool) -> float:
    """lme4's profiled deviance (ML or REML) from log|A| and the transformed cross-product matrix ``m`` of
    ``[X y]`` (the fixed effects' block first, y last): beta and the penalised residual sum of squares
    follow from ``m``. Shared by every random-intercept model here and in jobtro.stats.drivers."""
    mxx, mxy, myy = m[:p, :p], m[:p, p], m[p, p]
    beta = np.linalg.solve(mxx, mxy)
    prss = float(myy - mxy @ beta)
    if reml:
        dof = n - p
        return float(logdet + np.linalg.slogdet(mxx)[1] + dof * (1 + np.log(2 * np.pi * prss / dof)))
    return float(logdet + n * (1 + np.log(2 * np.pi * prss / n)))


def fit_crossed_lmm(
    data: Any,
    *,
    y: str,
    x: Sequence[str],
    caseworker: str = "caseworker_id",
    citizen: str = "citizen_id",
    reml: bool = True,
    intercept: bool = True,
) -> CrossedLMMResult:
    """Fit ``y ~ x + (1 | caseworker) + (1 | citizen)`` by REML (default) or ML (see the module docstring).

    Parameters
    ----------
    data : polars.DataFrame or pandas.DataFrame
        One row per answer; ``x`` numeric (dummies made by the caller), no missing values.
    y, x, caseworker, citizen : str
        Column names.
    reml : bool
        REML (lme4's default) or maximum likelihood (for comparing fixed effects by likelihood ratio).

    Returns
    -------
    CrossedLMMResult
    """
    data = as_polars(data)
    names = (("Intercept",) if intercept else ()) + tuple(x)
    design = _columns(data, list(x))
    if intercept:
        design = np.column_stack([np.ones(len(design)), design])
    response = _columns(data, [y])[:, 0]
    w, q1 = _codes(data, caseworker)
    c, q2 = _codes(data, citizen)
    stats = _Crossed(design, response, w, c, q1, q2)
    best = scipy.optimize.minimize(
        stats.deviance, x0=np.array([1.0, 1.0]), args=(reml,), method="L-BFGS-B", bounds=[(0.0, None), (0.0, None)],
        options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 1000},
    )  # fmt: skip
    theta = np.abs(best.x)
    _, m = stats.solve(theta)
    p = stats.p
    mxx, mxy, myy = m[:p, :p], m[:p, p], m[p, p]
    beta: FloatArray = np.asarray(np.linalg.solve(mxx, mxy), dtype=np.float64)
    prss = float(myy - mxy @ beta)
    sigma2 = prss / (stats.n - p if reml else stats.n)
    se = np.sqrt(np.diag(sigma2 * np.linalg.inv(mxx)))
    variances = (float(theta[0] ** 2 * sigma2), float(theta[1] ** 2 * sigma2), float(sigma2))
    return CrossedLMMResult(
        names=names, params=beta, se=se, variances=variances, loglik=-0.5 * float(best.fun), reml=reml,
        n=stats.n, n_caseworkers=q1, n_citizens=q2, converged=bool(best.success),
    )  # fmt: skip


@dataclass(frozen=True)
class ProportionalOddsResult:
    """A fitted proportional-odds model: ``thresholds`` (K-1, increasing) and ``params`` (the β)."""

    names: tuple[str, ...]
    thresholds: FloatArray
    params: FloatArray
    threshold_se: FloatArray
    se: FloatArray
    loglik: float
    n: int
    levels: tuple[int, ...]
    converged: bool

    def odds_ratios(self) -> FloatArray:
        """exp(β): the odds of a higher answer per unit of each covariate."""
        return np.exp(self.params)


def _po_loglik_grad(params: FloatArray, x: FloatArray, y: npt.NDArray[np.int64], k: int) -> tuple[float, FloatArray]:
    alpha, beta = params[: k - 1], params[k - 1 :]
    eta = x @ beta
    upper = np.concatenate([alpha, [np.inf]])[y]  # alpha_y  (y is 0-based)
    lower = np.concatenate([[-np.inf], alpha])[y]  # alpha_{y-1}
    fa, fb = expit(upper - eta), expit(lower - eta)
    prob = np.clip(fa - fb, 1e-300, None)
    da, db = fa * (1 - fa), fb * (1 - fb)  # densities (0 at the infinite ends)
    grad_alpha = np.zeros(k - 1)
    inner = y < k - 1
    np.add.at(grad_alpha, y[inner], da[inner] / prob[inner])
    outer = y > 0
    np.add.at(grad_alpha, y[outer] - 1, -db[outer] / prob[outer])
    grad_beta = x.T @ ((db - da) / prob)
    return float(np.log(prob).sum()), np.concatenate([grad_alpha, grad_beta])


def _jacobian(fun: object, params: FloatArray, step: float = 1e-5) -> FloatArray:
    # Central differences of the analytic gradient: the Hessian to about 1e-10 relative.
    size = len(params)
    hess = np.empty((size, size))
    for j in range(size):
        h = step * max(1.0, abs(params[j]))
        up, down = params.copy(), params.copy()
        up[j] += h
        down[j] -= h
        hess[:, j] = (fun(up)[1] - fun(down)[1]) / (2 * h)  # type: ignore[operator]
    return (hess + hess.T) / 2


def fit_proportional_odds(data: Any, *, y: str, x: Sequence[str]) -> ProportionalOddsResult:
    """Fit ``logit P(Y <= k) = alpha_k - x'beta`` (see the module docstring) by Newton's method.

    ``y`` holds integer answers; every level between its minimum and maximum must occur.
    """
    data = as_polars(data)
    design = _columns(data, list(x))
    raw = data[y].cast(pl.Int64).to_numpy()
    levels = tuple(int(v) for v in np.unique(raw))
    if len(levels) < 2 or levels != tuple(range(levels[0], levels[-1] + 1)):
        raise ValueError(f"{y} must take consecutive integer values, each at least once; found {levels}")
    k = len(levels)
    codes = raw - levels[0]
    cumulative = np.cumsum(np.bincount(codes, minlength=k))[:-1] / len(codes)
    params = np.concatenate([np.log(cumulative / (1 - cumulative)), np.zeros(design.shape[1])])

    def fun(p: FloatArray) -> tuple[float, FloatArray]:
        return _po_loglik_grad(p, design, codes, k)

    converged = False
    for _ in range(100):
        loglik, grad = fun(params)
        hess = _jacobian(fun, params)
        step = np.linalg.solve(hess, grad)
        factor = 1.0
        while factor > 1e-8:  # step halving keeps the thresholds ordered and the likelihood rising
            trial = params - factor * step
            if np.all(np.diff(trial[: k - 1]) > 0) and fun(trial)[0] >= loglik - 1e-12:
                break
            factor /= 2
        params = trial
        if np.max(np.abs(factor * step)) < 1e-10:
            converged = True
            break
    loglik, _ = fun(params)
    cov = np.linalg.inv(-_jacobian(fun, params))
    se = np.sqrt(np.diag(cov))
    return ProportionalOddsResult(
        names=tuple(x), thresholds=params[: k - 1], params=params[k - 1 :], threshold_se=se[: k - 1],
        se=se[k - 1 :], loglik=loglik, n=len(codes), levels=levels, converged=converged,
    )  # fmt: skip
