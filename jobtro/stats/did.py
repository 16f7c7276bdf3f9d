r"""Staggered difference-in-differences for a collaboration of a handful of municipalities, with wild
cluster bootstrap inference. Pure numpy/polars, no Django.

The setting: municipalities (the clusters, :math:`c`) take up a focus area at different waves
:math:`g_c` (or never); an outcome is observed for many units (answers, citizens) per municipality and
wave :math:`t`.

Estimator
---------
A regression with municipality and wave fixed effects and one indicator per *cohort and event time*
(the interaction-weighted event study of Sun and Abraham, 2021):

.. math::

   y_{it} = \alpha_{c(i)} + \lambda_t + \sum_{g} \sum_{e \ne -1} \delta_{g,e}\,
            \mathbf 1\{g_{c(i)} = g,\ t - g = e\} + \varepsilon_{it}.

With never-treated municipalities as the comparison, :math:`\delta_{g,e}` is the group-time effect
:math:`ATT(g, g+e)` relative to the wave before take-up (:math:`e = -1`); leads (:math:`e < 0`) test
for pre-trends. Event-study effects :math:`\theta_e = \sum_g w_{g,e}\,\delta_{g,e}` weight cohorts by
their number of observations at that event time, and the overall effect averages all
:math:`\delta_{g,e}`, :math:`e \ge 0`, by observations. Every effect is a linear combination
:math:`a'\beta` of the coefficients.

Inference
---------
With four municipalities, cluster-robust standard errors are badly biased and their t-tests
over-reject, so inference is the **wild cluster restricted bootstrap** (WCR; Cameron, Gelbach and
Miller 2008; MacKinnon and Webb 2017) with **Webb's six-point weights**
(:math:`\pm\sqrt{1/2}, \pm 1, \pm\sqrt{3/2}`, each with probability 1/6): under
:math:`H_0: a'\beta = \theta_0` the restricted fit's residuals are multiplied by one weight per
municipality, the model refitted and the CR1 t-statistic recomputed; the p-value is the share of
bootstrap :math:`|t^*|` at least the observed :math:`|t|`. With :math:`G` clusters there are only
:math:`6^G` distinct weight vectors; up to :data:`ENUMERATE_UP_TO` they are all enumerated (the exact
bootstrap distribution, no simulation noise), beyond it ``draws`` are sampled. Confidence intervals
are found by inverting the test (the :math:`\theta_0` where the p-value crosses :math:`\alpha`).

Refits are not done one by one: with :math:`S` the matrix of per-cluster scores
:math:`X_c'\hat\varepsilon_{r,c}`, a bootstrap coefficient is :math:`\beta_r + (X'X)^{-1} S w`, and the
per-cluster score of the tested combination is affine in :math:`w`, so all draws are a few
:math:`G \times B` matrix products.

Every result states the number of clusters it rests on; with fewer than :data:`FEW_CLUSTERS` the
result says so in words. With so few clusters the bootstrap p-value need not fall to zero far from the
estimate, so an interval can be very wide, or unbounded (reported as infinite): that is the honest
answer, not a numerical failure.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from jobtro.stats._frames import as_polars

FloatArray = npt.NDArray[np.float64]

WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
ENUMERATE_UP_TO = 6**6  # 46,656 weight vectors: every one is used up to six clusters
FEW_CLUSTERS = 10


@dataclass(frozen=True)
class Effect:
    """One effect (a group-time, event-time or overall effect) with its WCR inference."""

    label: str
    estimate: float
    se_cr1: float
    p_value: float
    ci_low: float
    ci_high: float
    n_obs: int


@dataclass(frozen=True)
class DiDResult:
    """Group-time effects, the event study and the overall effect; see the module docstring."""

    group_time: tuple[Effect, ...]
    event_study: tuple[Effect, ...]
    overall: Effect
    n_clusters: int
    n_obs: int
    bootstrap_draws: int
    enumerated: bool
    names: tuple[str, ...]
    params: FloatArray

    @property
    def caveat(self) -> str:
        """What the inference rests on, in plain words."""
        how = "every one of the" if self.enumerated else "a random sample of the"
        count = 6**self.n_clusters if self.enumerated else self.bootstrap_draws
        text = (
            f"Inference rests on {self.n_clusters} clusters (municipalities): wild cluster restricted bootstrap "
            f"with Webb weights, {how} {count} weight vectors."
        )
        if self.n_clusters < FEW_CLUSTERS:
            text += (
                f" With only {self.n_clusters} clusters even this is approximate: read the p-values and intervals "
                "as rough, and look at the effects one municipality at a time."
            )
        return text


class _Design:
    def __init__(self, x: FloatArray, y: FloatArray, cluster: npt.NDArray[np.int64], n_clusters: int):
        self.x, self.y, self.cluster, self.g = x, y, cluster, n_clusters
        self.n, self.k = x.shape
        self.xtx_inv = np.linalg.inv(x.T @ x)
        self.beta = self.xtx_inv @ (x.T @ y)
        # Per-cluster cross products, for the bootstrap's scores.
        self.a_g = np.stack([x[cluster == c].T @ x[cluster == c] for c in range(n_clusters)])
        self.small = n_clusters / (n_clusters - 1) * (self.n - 1) / (self.n - self.k)

    def cluster_sums(self, values: FloatArray) -> FloatArray:
        out = np.zeros((self.g, values.shape[1]))
        np.add.at(out, self.cluster, values)
        return out

    def cr1_se(self, a: FloatArray, residuals: FloatArray) -> float:
        q = self.xtx_inv @ a
        u = self.cluster_sums((self.x @ q * residuals)[:, None])[:, 0]
        return float(np.sqrt(self.small * (u @ u)))

    def wcr_p(self, a: FloatArray, theta0: float, weights: FloatArray, t_observed: float) -> float:
        """Share of bootstrap |t*| >= |t| under H0: a'beta = theta0 (weights: G x B)."""
        q = self.xtx_inv @ a
        aq = float(a @ q)
        beta_r = self.beta - q * ((a @ self.beta - theta0) / aq)
        fitted_r = self.x @ beta_r
        resid_r = self.y - fitted_r
        s = self.cluster_sums(self.x * resid_r[:, None]).T  # k x G scores
        m = self.xtx_inv @ s  # beta* = beta_r + m w
        t_g = self.cluster_sums(self.x * fitted_r[:, None])  # G x k
        aq_g = self.a_g @ q  # G x k: A_g q
        # u_g(w) = q't_g + w_g q's_g - (A_g q)'(beta_r + m w)
        const = t_g @ q - aq_g @ beta_r
        slope = np.diag(s.T @ q) - aq_g @ m
        u = const[:, None] + slope @ weights
        se = np.sqrt(self.small * (u * u).sum(axis=0))
        estimate = a @ beta_r + (a @ m) @ weights
        t_star = (estimate - theta0) / se
        return float(np.mean(np.abs(t_star) >= abs(t_observed) - 1e-12))


def _weights(g: int, draws: int, seed: int) -> tuple[FloatArray, bool]:
    if 6**g <= ENUMERATE_UP_TO:
        return np.array(list(itertools.product(WEBB, repeat=g))).T, True
    rng = np.random.default_rng(seed)
    return WEBB[rng.integers(0, 6, size=(g, draws))], False


def _interval(design: _Design, a: FloatArray, weights: FloatArray, alpha: float, se: float) -> tuple[float, float]:
    estimate = float(a @ design.beta)

    def p_at(theta0: float) -> float:
        t = (estimate - theta0) / se
        return design.wcr_p(a, theta0, weights, t)

    def crossing(inside: float, outside: float) -> float:
        for _ in range(60):
            mid = (inside + outside) / 2
            if p_at(mid) > alpha:
                inside = mid
            else:
                outside = mid
        return (inside + outside) / 2

    bounds = []
    for direction in (-1.0, 1.0):
        step = max(se, 1e-8)
        outside = estimate + direction * step
        for _ in range(60):  # widen until the test rejects (it may never, with very few clusters)
            if p_at(outside) <= alpha:
                break
            step *= 2
            outside = estimate + direction * step
        else:
            bounds.append(direction * np.inf)
            continue
        bounds.append(crossing(estimate, outside))
    return bounds[0], bounds[1]


def fit_staggered_did(
    data: Any,
    *,
    y: str,
    period: str,
    cluster: str,
    first_treated: str,
    draws: int = 9999,
    alpha: float = 0.05,
    seed: int = 2026,
    intervals: bool = True,
) -> DiDResult:
    """Staggered DiD with WCR inference (see the module docstring).

    Parameters
    ----------
    data : polars.DataFrame or pandas.DataFrame
        One row per observation: outcome ``y``, integer ``period``, ``cluster`` (the municipality) and
        ``first_treated``: the period the cluster took up the focus area, null if never. It must be
        constant within a cluster.
    draws : int
        Bootstrap draws when the weight vectors are too many to enumerate.
    """
    data = as_polars(data)
    for name in (y, period, cluster, first_treated):
        if name not in data.columns:
            raise ValueError(f"missing column: {name}")
    frame = data.select(
        pl.col(y).cast(pl.Float64).alias("y"),
        pl.col(period).cast(pl.Int64).alias("t"),
        pl.col(cluster).alias("c"),
        pl.col(first_treated).cast(pl.Int64).alias("g"),
    )
    if frame.select(pl.col("y").is_null().any() | pl.col("t").is_null().any()).item():
        raise ValueError("the outcome and the period must not be missing")
    if frame.group_by("c").agg(pl.col("g").n_unique()).filter(pl.col("g") > 1).height:
        raise ValueError(f"{first_treated} must be the same for every row of a cluster")
    clusters = frame["c"].unique().sort()
    n_clusters = len(clusters)
    if n_clusters < 2:
        raise ValueError("need at least two clusters")
    if frame.filter(pl.col("g").is_null()).is_empty():
        raise ValueError("need at least one never-treated cluster as the comparison")
    cluster_code = frame["c"].rank("dense").cast(pl.Int64).to_numpy() - 1
    periods = sorted(frame["t"].unique().to_list())
    t_values = frame["t"].to_numpy()
    g_values = frame["g"].to_numpy()
    columns: list[FloatArray] = [np.ones(frame.height)]
    names = ["Intercept"]
    for c in range(1, n_clusters):
        columns.append((cluster_code == c).astype(float))
        names.append(f"cluster[{clusters[c]}]")
    for p in periods[1:]:
        columns.append((t_values == p).astype(float))
        names.append(f"period[{p}]")
    cells: list[tuple[int, int]] = []
    treated = ~frame["g"].is_null().to_numpy()
    g_filled = np.where(treated, g_values, 0)
    for g in sorted(frame["g"].drop_nulls().unique().to_list()):
        for p in periods:
            e = p - g
            if e == -1:
                continue
            mask = treated & (g_filled == g) & (t_values == p)
            if mask.any():
                columns.append(mask.astype(float))
                names.append(f"ATT(g={g}, t={p})")
                cells.append((g, p))
    x = np.column_stack(columns)
    if np.linalg.matrix_rank(x) < x.shape[1]:
        raise ValueError("the design is not identified (a cohort lacks the wave before take-up, or a period is empty)")
    design = _Design(x, frame["y"].to_numpy(), cluster_code, n_clusters)
    weights, enumerated = _weights(n_clusters, draws, seed)
    residuals = design.y - x @ design.beta
    first_cell = len(names) - len(cells)
    counts = {cell: int(x[:, first_cell + i].sum()) for i, cell in enumerate(cells)}

    def effect(label: str, a: FloatArray, n_obs: int) -> Effect:
        estimate = float(a @ design.beta)
        se = design.cr1_se(a, residuals)
        p = design.wcr_p(a, 0.0, weights, estimate / se) if se > 0 else float("nan")
        low, high = _interval(design, a, weights, alpha, se) if intervals and se > 0 else (float("nan"),) * 2
        return Effect(label, estimate, se, p, low, high, n_obs)

    def combo(selected: Sequence[tuple[int, int]]) -> FloatArray:
        a = np.zeros(x.shape[1])
        total = sum(counts[c] for c in selected)
        for c in selected:
            a[first_cell + cells.index(c)] = counts[c] / total
        return a

    group_time = tuple(effect(names[first_cell + i], combo([cell]), counts[cell]) for i, cell in enumerate(cells))
    event_times = sorted({p - g for g, p in cells})
    event_study = tuple(
        effect(
            f"e={e}", combo([c for c in cells if c[1] - c[0] == e]), sum(counts[c] for c in cells if c[1] - c[0] == e)
        )
        for e in event_times
    )
    post = [c for c in cells if c[1] >= c[0]]
    if not post:
        raise ValueError("no cohort is observed after take-up")
    overall = effect("overall", combo(post), sum(counts[c] for c in post))
    return DiDResult(
        group_time=group_time, event_study=event_study, overall=overall, n_clusters=n_clusters, n_obs=frame.height,
        bootstrap_draws=weights.shape[1], enumerated=enumerated, names=tuple(names), params=design.beta,
    )  # fmt: skip
