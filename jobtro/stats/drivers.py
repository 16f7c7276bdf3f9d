r"""What shapes belief: caseworkers' general and specific belief related to the factors of the staff
questionnaire (own view, colleagues and sparring, leadership, organisation, knowledge of the labour
market) and to the municipality's focus areas. Pure numpy/scipy/polars, no Django.

Inputs, one polars (or pandas) DataFrame each:

- ``staff``: one row per staff-questionnaire answer in force, columns ``caseworker_id``, ``wave``,
  ``theme`` and ``value`` (1-5; null for "don't know").
- ``general``: one row per caseworker and wave, ``caseworker_id``, ``wave``, ``share_pct`` (0-100) and
  ``believes`` (0/1), either may be null.
- ``specific``: one row per specific-belief answer, ``caseworker_id``, ``citizen_id``, ``wave`` and
  ``belief`` (1-5; "don't know" rows left out by the caller).
- ``covariates`` (optional): ``caseworker_id``, ``wave`` and numeric columns, e.g. one 0/1 column per
  focus area that the caseworker's municipality had taken up at the wave.

A theme's score for a caseworker in a wave is the mean of the theme's answered items; the scores are
standardised over all caseworker-waves, so every coefficient is "per standard deviation of the factor".

Models
------
*Levels.* For general belief (the share, in percentage points, and the yes/no as a linear probability in
percentage points) of caseworker :math:`w` in wave :math:`t`

.. math:: y_{wt} = \alpha_t + z_{wt}'\beta + c_{wt}'\gamma + u_w + \varepsilon_{wt},\qquad u_w \sim N(0, \sigma_u^2),

where :math:`c_{wt}` are the covariates (focus areas, and adjust-only columns such as municipality
indicators), fitted by REML (:func:`fit_random_intercept`, the model of ``lme4::lmer(y ~ x + (1 | caseworker))``,
checked against statsmodels' MixedLM). For specific belief (answer :math:`i` about citizen :math:`c`)
the same right-hand side with crossed caseworker and citizen random intercepts,
:func:`jobtro.stats.belief.fit_crossed_lmm`.

*Changes.* Which factors move together with belief over the waves: within each caseworker, between
consecutive waves the caseworker answered, :math:`\Delta y = \delta + \Delta z'\beta + \Delta c'\gamma + e`,
by least squares with standard errors clustered by caseworker (CR1, t with G-1 degrees of freedom, as
statsmodels' ``cov_type="cluster"``). The outcomes are the changes in the general share, in the yes/no and
in the caseworker's mean specific belief. Stable traits cancel, so this is closer to "when a caseworker's
view of their colleagues improves, does their belief rise too" - still an association, not a cause.

Every estimate carries a 95 % confidence interval and the n it rests on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import scipy.optimize
import scipy.stats

from jobtro.stats._frames import as_polars
from jobtro.stats.belief import fit_crossed_lmm, profiled_deviance
from jobtro.stats.trends import Z95

FloatArray = npt.NDArray[np.float64]

# Below these the models are not fitted (the estimates would be noise with a confident face).
MIN_CASEWORKERS = 10
MIN_ROWS = 20


@dataclass(frozen=True)
class Estimate:
    name: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p: float


@dataclass(frozen=True)
class ModelFit:
    """One fitted model: ``estimates`` are the factors' and covariates' (wave effects are adjusted for
    but not listed). ``reason`` is set, and ``estimates`` empty, when the model could not be fitted."""

    outcome: str  # "general_share", "general_believes", "specific_belief"
    design: str  # "levels" or "changes"
    estimates: tuple[Estimate, ...]
    n_rows: int
    n_caseworkers: int
    n_citizens: int | None = None
    variances: dict[str, float] = field(default_factory=dict)
    converged: bool = True
    reason: str | None = None


@dataclass(frozen=True)
class ThemeSummary:
    """A theme's raw mean score (1-5) in one wave, over caseworkers, with a t-interval."""

    theme: str
    wave: int
    mean: float
    ci_low: float
    ci_high: float
    n: int


@dataclass(frozen=True)
class DriversResult:
    themes: tuple[str, ...]
    covariates: tuple[str, ...]
    models: tuple[ModelFit, ...]
    summaries: tuple[ThemeSummary, ...]
    alphas: dict[str, float | None]  # Cronbach's alpha per theme (None with fewer than two items)
    standardisation: dict[str, tuple[float, float]]  # theme -> (mean, sd) of the raw scores

    def model(self, outcome: str, design: str) -> ModelFit:
        return next(m for m in self.models if m.outcome == outcome and m.design == design)


# --- the random-intercept model -------------------------------------------------------------------


@dataclass(frozen=True)
class RandomInterceptResult:
    """A fitted ``y ~ x + (1 | group)``; ``variances`` are (group, residual)."""

    names: tuple[str, ...]
    params: FloatArray
    se: FloatArray
    variances: tuple[float, float]
    loglik: float
    reml: bool
    n: int
    n_groups: int
    converged: bool

    def conf_int(self, z: float = Z95) -> tuple[FloatArray, FloatArray]:
        return self.params - z * self.se, self.params + z * self.se


class _OneFactor:
    r"""Profiled deviance of the one-factor model. With :math:`\theta = \sigma_u/\sigma` and group sizes
    :math:`n_g`, :math:`A = \theta^2 Z'Z + I` is diagonal, and :math:`V^{-1/2}` is quasi-demeaning within
    each group by :math:`1 - 1/\sqrt{1 + n_g\theta^2}`; the rest is lme4's formula (see belief.py)."""

    def __init__(self, x: FloatArray, y: FloatArray, g: npt.NDArray[np.int64], q: int) -> None:
        self.x, self.y, self.g = x, y, g
        self.n, self.p = x.shape
        self.sizes = np.bincount(g, minlength=q).astype(np.float64)
        xy = np.column_stack([x, y])
        sums = np.zeros((q, self.p + 1))
        np.add.at(sums, g, xy)
        self.means = sums / self.sizes[:, None]
        self.xy = xy

    def transformed(self, theta: float) -> tuple[float, FloatArray]:
        a = self.sizes * theta * theta + 1.0
        shrink = 1.0 - 1.0 / np.sqrt(a)
        star = self.xy - shrink[self.g, None] * self.means[self.g]
        return float(np.log(a).sum()), star.T @ star

    def deviance(self, theta: float, reml: bool) -> float:
        logdet, m = self.transformed(abs(theta))
        return profiled_deviance(logdet, m, p=self.p, n=self.n, reml=reml)


def fit_random_intercept(
    data: Any, *, y: str, x: Sequence[str], group: str = "caseworker_id", reml: bool = True, intercept: bool = True
) -> RandomInterceptResult:
    """Fit ``y ~ x + (1 | group)`` by REML (default) or ML.

    Parameters
    ----------
    data : polars.DataFrame or pandas.DataFrame
        One row per observation; ``x`` numeric, no missing values.
    y, x, group : str
        Column names.

    Returns
    -------
    RandomInterceptResult
    """
    frame = as_polars(data)
    names = (("Intercept",) if intercept else ()) + tuple(x)
    design = frame.select([pl.col(n).cast(pl.Float64) for n in x]).to_numpy() if x else np.empty((frame.height, 0))
    if intercept:
        design = np.column_stack([np.ones(frame.height), design])
    design = np.ascontiguousarray(design, dtype=np.float64)
    response = frame[y].cast(pl.Float64).to_numpy()
    if np.isnan(design).any() or np.isnan(response).any():
        raise ValueError("the data have missing values; drop or impute them first")
    codes = frame[group].rank("dense").cast(pl.Int64).to_numpy() - 1
    q = int(codes.max()) + 1
    stats = _OneFactor(design, response, codes, q)
    best = scipy.optimize.minimize_scalar(
        lambda t: stats.deviance(t, reml), bounds=(0.0, 100.0), method="bounded", options={"xatol": 1e-10}
    )
    theta = abs(float(best.x))
    _, m = stats.transformed(theta)
    p = stats.p
    mxx, mxy, myy = m[:p, :p], m[:p, p], m[p, p]
    beta = np.asarray(np.linalg.solve(mxx, mxy), dtype=np.float64)
    prss = float(myy - mxy @ beta)
    sigma2 = prss / (stats.n - p if reml else stats.n)
    se = np.sqrt(np.diag(sigma2 * np.linalg.inv(mxx)))
    return RandomInterceptResult(
        names=names,
        params=beta,
        se=se,
        variances=(theta * theta * sigma2, sigma2),
        loglik=-0.5 * float(best.fun),
        reml=reml,
        n=stats.n,
        n_groups=q,
        converged=bool(best.success),
    )


# --- least squares with caseworker-clustered errors ----------------------------------------------


@dataclass(frozen=True)
class ClusteredOLSResult:
    names: tuple[str, ...]
    params: FloatArray
    se: FloatArray
    df: int  # G - 1, for the t-intervals
    n: int
    n_clusters: int

    def conf_int(self) -> tuple[FloatArray, FloatArray]:
        t = float(scipy.stats.t.ppf(0.975, self.df))
        return self.params - t * self.se, self.params + t * self.se

    def pvalues(self) -> FloatArray:
        return np.asarray(2 * scipy.stats.t.sf(np.abs(self.params / self.se), self.df), dtype=np.float64)


def fit_clustered_ols(
    data: Any, *, y: str, x: Sequence[str], cluster: str = "caseworker_id", intercept: bool = True
) -> ClusteredOLSResult:
    r"""Least squares with CR1 cluster-robust standard errors: the sandwich
    :math:`(X'X)^{-1} \sum_g X_g'e_g e_g'X_g (X'X)^{-1}` times :math:`\frac{G}{G-1}\frac{N-1}{N-K}`."""
    frame = as_polars(data)
    names = (("Intercept",) if intercept else ()) + tuple(x)
    design = frame.select([pl.col(n).cast(pl.Float64) for n in x]).to_numpy() if x else np.empty((frame.height, 0))
    if intercept:
        design = np.column_stack([np.ones(frame.height), design])
    response = frame[y].cast(pl.Float64).to_numpy()
    codes = frame[cluster].rank("dense").cast(pl.Int64).to_numpy() - 1
    n_clusters = int(codes.max()) + 1
    n, k = design.shape
    bread = np.linalg.inv(design.T @ design)
    beta = bread @ design.T @ response
    scores = np.zeros((n_clusters, k))
    np.add.at(scores, codes, design * (response - design @ beta)[:, None])
    meat = scores.T @ scores
    factor = n_clusters / (n_clusters - 1) * (n - 1) / (n - k)
    cov = factor * bread @ meat @ bread
    return ClusteredOLSResult(
        names=names, params=beta, se=np.sqrt(np.diag(cov)), df=n_clusters - 1, n=n, n_clusters=n_clusters
    )


# --- the analysis ---------------------------------------------------------------------------------


def theme_scores(staff: pl.DataFrame, themes: Sequence[str]) -> pl.DataFrame:
    """Raw theme scores per caseworker and wave: the mean of each theme's answered items (null when the
    caseworker answered none of them, or only "don't know")."""
    answered = staff.filter(pl.col("value").is_not_null() & pl.col("theme").is_in(list(themes)))
    wide = (
        answered.group_by("caseworker_id", "wave", "theme")
        .agg(pl.col("value").cast(pl.Float64).mean().alias("score"))
        .pivot(on="theme", index=["caseworker_id", "wave"], values="score")
    )
    for theme in themes:
        if theme not in wide.columns:
            wide = wide.with_columns(pl.lit(None, dtype=pl.Float64).alias(theme))
    return wide.select("caseworker_id", "wave", *themes).sort("caseworker_id", "wave")


def cronbach_alpha(staff: pl.DataFrame, theme: str, item: str = "item") -> float | None:
    """Cronbach's alpha of a theme's items over the caseworker-waves that answered all of them."""
    rows = staff.filter((pl.col("theme") == theme) & pl.col("value").is_not_null())
    if item not in rows.columns or rows.is_empty():
        return None
    wide = rows.pivot(on=item, index=["caseworker_id", "wave"], values="value", aggregate_function="mean").drop_nulls()
    matrix = wide.drop("caseworker_id", "wave").to_numpy().astype(np.float64)
    k = matrix.shape[1]
    if k < 2 or matrix.shape[0] < 3:
        return None
    total = matrix.sum(axis=1).var(ddof=1)
    if total <= 0:
        return None
    return float(k / (k - 1) * (1 - matrix.var(axis=0, ddof=1).sum() / total))


def _independent(matrix: FloatArray, names: list[str]) -> list[str]:
    """The columns (in order) that are not constant and add to the rank of those kept before them: a
    focus area every municipality took up at the same time is absorbed by the wave effects."""
    kept: list[int] = []
    base = np.ones((matrix.shape[0], 1))
    for j in range(matrix.shape[1]):
        column = matrix[:, j]
        if np.nanstd(column) < 1e-12:
            continue
        trial = np.column_stack([base, matrix[:, [*kept, j]]])
        if np.linalg.matrix_rank(trial) == trial.shape[1]:
            kept.append(j)
    return [names[j] for j in kept]


def _estimates(
    names: Sequence[str], params: FloatArray, se: FloatArray, wanted: Sequence[str], *, df: int | None
) -> tuple[Estimate, ...]:
    crit = Z95 if df is None else float(scipy.stats.t.ppf(0.975, df))
    out = []
    for name in wanted:
        j = list(names).index(name)
        b, s = float(params[j]), float(se[j])
        stat = abs(b / s) if s > 0 else math.inf
        p = float(2 * scipy.stats.norm.sf(stat)) if df is None else float(2 * scipy.stats.t.sf(stat, df))
        out.append(Estimate(name, b, s, b - crit * s, b + crit * s, p))
    return tuple(out)


def _wave_dummies(frame: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    waves = sorted(frame["wave"].unique().to_list())
    names = [f"wave_{w}" for w in waves[1:]]
    frame = frame.with_columns([(pl.col("wave") == w).cast(pl.Float64).alias(f"wave_{w}") for w in waves[1:]])
    return frame, names


def _dummies(hidden: list[str]) -> list[str]:
    """The adjust-only columns, the first left out as the reference (the intercept is there)."""
    return hidden[1:]


def _not_fitted(outcome: str, design: str, frame: pl.DataFrame, reason: str) -> ModelFit:
    n_cw = frame["caseworker_id"].n_unique() if frame.height else 0
    return ModelFit(outcome, design, (), frame.height, n_cw, reason=reason)


def _too_few(frame: pl.DataFrame) -> str | None:
    caseworkers = frame["caseworker_id"].n_unique() if frame.height else 0
    if frame.height < MIN_ROWS or caseworkers < MIN_CASEWORKERS:
        return f"too few answers: {frame.height} rows from {caseworkers} caseworkers"
    return None


def _levels_general(frame: pl.DataFrame, outcome: str, column: str, factors: list[str], hidden: list[str]) -> ModelFit:
    data = frame.filter(pl.col(column).is_not_null()).drop_nulls(factors)
    if reason := _too_few(data):
        return _not_fitted(outcome, "levels", data, reason)
    data, waves = _wave_dummies(data)
    base = waves + _dummies(hidden)
    usable = _independent(data.select(base + factors).to_numpy().astype(np.float64), base + factors)
    fit = fit_random_intercept(data, y=column, x=usable)
    wanted = [f for f in factors if f in usable]
    return ModelFit(
        outcome, "levels", _estimates(fit.names, fit.params, fit.se, wanted, df=None), fit.n, fit.n_groups,
        variances={"caseworker": fit.variances[0], "residual": fit.variances[1]}, converged=fit.converged,
    )  # fmt: skip


def _levels_specific(frame: pl.DataFrame, factors: list[str], hidden: list[str]) -> ModelFit:
    data = frame.drop_nulls(["belief", *factors])
    if reason := _too_few(data):
        return _not_fitted("specific_belief", "levels", data, reason)
    data, waves = _wave_dummies(data)
    base = waves + _dummies(hidden)
    usable = _independent(data.select(base + factors).to_numpy().astype(np.float64), base + factors)
    fit = fit_crossed_lmm(data, y="belief", x=usable)
    wanted = [f for f in factors if f in usable]
    variances = dict(zip(("caseworker", "citizen", "residual"), fit.variances, strict=True))
    return ModelFit(
        "specific_belief", "levels", _estimates(fit.names, fit.params, fit.se, wanted, df=None), fit.n,
        fit.n_caseworkers, fit.n_citizens, variances, fit.converged,
    )  # fmt: skip


def _changes(frame: pl.DataFrame, outcome: str, column: str, factors: list[str]) -> ModelFit:
    """Differences between consecutive answered waves of the same caseworker."""
    data = frame.filter(pl.col(column).is_not_null()).drop_nulls(factors).sort("caseworker_id", "wave")
    cols = [column, *factors]
    diffs = data.with_columns(
        [(pl.col(c) - pl.col(c).shift(1).over("caseworker_id")).alias(f"d_{c}") for c in cols]
    ).drop_nulls([f"d_{c}" for c in cols])
    if reason := _too_few(diffs):
        return _not_fitted(outcome, "changes", diffs, reason)
    if not diffs[f"d_{column}"].abs().max():  # e.g. a yes/no nobody changed
        return _not_fitted(outcome, "changes", diffs, "no caseworker changed this answer between waves")
    names = [f"d_{f}" for f in factors]
    usable = _independent(diffs.select(names).to_numpy().astype(np.float64), names)
    fit = fit_clustered_ols(diffs, y=f"d_{column}", x=usable)
    wanted = [n for n in names if n in usable]
    estimates = _estimates(fit.names, fit.params, fit.se, wanted, df=fit.df)
    # Report under the factors' own names: the change model's coefficient is per SD of change.
    estimates = tuple(Estimate(e.name[2:], e.estimate, e.se, e.ci_low, e.ci_high, e.p) for e in estimates)
    return ModelFit(outcome, "changes", estimates, fit.n, fit.n_clusters)


def _summaries(scores: pl.DataFrame, themes: Sequence[str]) -> list[ThemeSummary]:
    out = []
    for wave in sorted(scores["wave"].unique().to_list()):
        in_wave = scores.filter(pl.col("wave") == wave)
        for theme in themes:
            values = in_wave[theme].drop_nulls().to_numpy().astype(np.float64)
            n = len(values)
            if n < 2:
                continue
            mean = float(values.mean())
            half = float(scipy.stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / math.sqrt(n))
            out.append(ThemeSummary(theme, int(wave), mean, mean - half, mean + half, n))
    return out


def analyse(
    staff: Any,
    general: Any,
    specific: Any,
    *,
    themes: Sequence[str],
    covariates: Any | None = None,
    adjust: Sequence[str] = (),
) -> DriversResult:
    """Fit every drivers model (see the module docstring) and summarise the themes per wave.

    ``adjust`` names columns of ``covariates`` that the models include but do not report, e.g. one 0/1
    column per municipality: with them a focus area's estimate rests on the change when a municipality
    took it up (against the waves' common trend), not on how municipalities differ anyway."""
    staff = as_polars(staff)
    general = as_polars(general)
    specific = as_polars(specific)
    themes = [t for t in themes if t in set(staff["theme"].to_list())]
    if not themes:
        raise ValueError("no staff-questionnaire answers with a theme")
    raw = theme_scores(staff, themes)
    standardisation: dict[str, tuple[float, float]] = {}
    columns = []
    for theme in themes:
        values = raw[theme].drop_nulls().to_numpy().astype(np.float64)
        mean = float(values.mean()) if len(values) else 0.0
        sd = float(values.std(ddof=1)) if len(values) > 1 else 0.0
        standardisation[theme] = (mean, sd)
        columns.append(((pl.col(theme) - mean) / (sd if sd > 0 else 1.0)).alias(theme))
    scores = raw.with_columns(columns)
    key = ["caseworker_id", "wave"]
    extra: list[str] = []
    if covariates is not None:
        cov = as_polars(covariates)
        columns_in = [c for c in cov.columns if c not in key]
        scores = scores.join(cov.select(*key, *[pl.col(c).cast(pl.Float64) for c in columns_in]), on=key, how="left")
        scores = scores.with_columns([pl.col(c).fill_null(0.0) for c in columns_in])
        extra = [c for c in columns_in if c not in set(adjust)]
    hidden = [c for c in adjust if c in scores.columns]
    factors = [*themes, *extra]

    per_caseworker = general.select(
        *key, pl.col("share_pct").cast(pl.Float64), (pl.col("believes").cast(pl.Float64) * 100).alias("believes")
    ).join(scores, on=key, how="inner")
    answers = specific.select(*key, "citizen_id", pl.col("belief").cast(pl.Float64)).join(scores, on=key, how="inner")
    mean_specific = (
        specific.group_by(key).agg(pl.col("belief").cast(pl.Float64).mean().alias("belief")).join(scores, on=key)
    )
    models = [
        _levels_general(per_caseworker, "general_share", "share_pct", factors, hidden),
        _levels_general(per_caseworker, "general_believes", "believes", factors, hidden),
        _levels_specific(answers, factors, hidden),
        _changes(per_caseworker, "general_share", "share_pct", factors),
        _changes(per_caseworker, "general_believes", "believes", factors),
        _changes(mean_specific, "specific_belief", "belief", factors),
    ]
    alphas = {t: cronbach_alpha(staff, t) for t in themes}
    return DriversResult(
        themes=tuple(themes),
        covariates=tuple(extra),
        models=tuple(models),
        summaries=tuple(_summaries(raw, themes)),
        alphas=alphas,
        standardisation=standardisation,
    )
