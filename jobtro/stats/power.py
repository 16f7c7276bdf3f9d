r"""Power and sample size for a hazard ratio: Schoenfeld's formula with a design effect, and by simulation.

Pure numpy/scipy/polars (no Django). How many citizens, caseworkers and events does a collaboration need
to detect the effect of one step of specific belief, or of a caseworker who generally believes?

Analytic (Schoenfeld 1983; Hsieh and Lavori 2000)
-------------------------------------------------
For a Cox model with covariate :math:`X` of variance :math:`\sigma^2` (adjusted for other covariates
that explain a share :math:`R^2` of its variance), a two-sided Wald or score test at level
:math:`\alpha` has power :math:`1 - \beta` against the log hazard ratio :math:`\log \mathrm{HR}` with

.. math::

   d = \frac{(z_{1-\alpha/2} + z_{1-\beta})^2}{\sigma^2 (1 - R^2) (\log \mathrm{HR})^2}

events, :math:`z_q` the standard normal quantile (:math:`z_{1-\alpha}` for a one-sided test). For a
binary covariate with share :math:`p` (the general belief, "Ja"), :math:`\sigma^2 = p(1-p)` and this is
Schoenfeld's formula, :math:`4(z_{1-\alpha/2} + z_{1-\beta})^2 / (\log\mathrm{HR})^2` for equal groups;
for the 5-step belief :math:`\sigma^2` is the variance of the levels, e.g.
:math:`\sum_k s_k k^2 - (\sum_k s_k k)^2 = 1.197` for the baseline shares 12/35/27/20/6 %
(:func:`levels_variance`), and :math:`\mathrm{HR}` is per step.

Only events carry information; with an expected event probability :math:`\psi` (the share in job or
education within the follow-up) the persons needed are :math:`d/\psi`. Citizens of one caseworker are
not independent: with mean caseload :math:`m` and intraclass correlation :math:`\rho` of the outcome
within a caseload, the variance is inflated by the design effect

.. math::

   \mathrm{DE} = 1 + (m - 1)\rho,
   \qquad n = \frac{d \cdot \mathrm{DE}}{\psi} \text{ persons}, \quad \lceil n / m \rceil \text{ caseworkers}.

The design effect is exact for a covariate constant within a caseload (the general belief) and
conservative for one that varies within it (the specific belief), whose within-caseworker contrast
loses less. Conversely, power for :math:`n` persons is

.. math::

   1 - \beta = \Phi\Bigl(|\log \mathrm{HR}| \sqrt{n \psi \sigma^2 (1 - R^2) / \mathrm{DE}} - z_{1-\alpha/2}\Bigr),

ignoring the negligible probability of rejecting in the wrong direction (so the two formulas are exact
inverses, as in R's ``powerSurvEpi``).

By simulation
-------------
:func:`simulated_power` runs the collaboration simulator (:mod:`jobtro.stats.simulate`) ``replications``
times with independent seeds, builds each replicate's baseline cohort (:func:`baseline_cohort`: the
wave-0 belief and the time to job or education within the horizon), fits a Cox model and counts how
often the Wald test rejects :math:`\beta = 0`. It captures what the formula cannot: frailty between
caseworkers, confounding by prognosis, cluster-robust standard errors. The fitting function is a
parameter: by default the platform's own Cox estimator (:func:`cox_fit`, Efron ties, cluster-robust by
caseworker); statsmodels ``PHReg`` (:func:`phreg_fit`) gives the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final, Protocol

import numpy as np
import polars as pl
from scipy import stats
from statsmodels.duration.hazard_regression import PHReg

from jobtro.stats.simulate import Simulation, SimulationConfig, simulate
from jobtro.stats.spells import first_event

#: Baseline shares of the specific answers 1..5 in the BIP-style data (the simulator's default).
BELIEF_SHARES: Final = (0.12, 0.35, 0.27, 0.20, 0.06)


# --------------------------------------------------------------------------------------------------
# Analytic


def _z(q: float) -> float:
    return float(stats.norm.ppf(q))


def _check_common(hazard_ratio: float, variance: float, alpha: float, sides: int, r_squared: float) -> None:
    if not hazard_ratio > 0 or hazard_ratio == 1:
        raise ValueError(f"hazard_ratio must be positive and not 1, got {hazard_ratio}")
    if not variance > 0:
        raise ValueError(f"variance must be positive, got {variance}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if sides not in (1, 2):
        raise ValueError(f"sides must be 1 or 2, got {sides}")
    if not 0 <= r_squared < 1:
        raise ValueError(f"r_squared must be in [0, 1), got {r_squared}")


def _check_design(event_probability: float, caseload: float, icc: float) -> None:
    if not 0 < event_probability <= 1:
        raise ValueError(f"event_probability must be in (0, 1], got {event_probability}")
    if not caseload >= 1:
        raise ValueError(f"caseload must be at least 1, got {caseload}")
    if not 0 <= icc <= 1:
        raise ValueError(f"icc must be in [0, 1], got {icc}")


def _ceil(x: float) -> int:
    # Round first so that 630.0000000001 (floating-point noise on an exact 630) is not 631.
    return math.ceil(round(x, 9))


def binary_variance(share: float) -> float:
    """Variance :math:`p(1-p)` of a binary covariate with share :math:`p` of ones."""
    if not 0 < share < 1:
        raise ValueError(f"share must be in (0, 1), got {share}")
    return share * (1 - share)


def levels_variance(shares: Sequence[float] = BELIEF_SHARES, levels: Sequence[float] | None = None) -> float:
    """Variance of a discrete covariate taking ``levels`` (default 1, 2, ...) with the given shares.

    Parameters
    ----------
    shares : sequence of float
        Share of each level (summing to 1); default the baseline shares of the 5-step belief.
    levels : sequence of float, optional
        The values; default 1, 2, ..., len(shares).

    Returns
    -------
    float
        :math:`\\sum_k s_k x_k^2 - (\\sum_k s_k x_k)^2`.

    Examples
    --------
    >>> round(levels_variance(), 4)
    1.1971
    """
    s = np.asarray(shares, dtype=np.float64)
    x = np.arange(1, s.shape[0] + 1, dtype=np.float64) if levels is None else np.asarray(levels, dtype=np.float64)
    if s.shape != x.shape or np.any(s < 0) or abs(s.sum() - 1) > 1e-9:
        raise ValueError("shares must be non-negative, sum to 1 and match the levels")
    mean = float(s @ x)
    return float(s @ (x - mean) ** 2)


def design_effect(caseload: float, icc: float) -> float:
    """Design effect :math:`1 + (m - 1)\\rho` of clustering in caseloads of mean size :math:`m`.

    Examples
    --------
    >>> round(design_effect(35, 0.02), 12)
    1.68
    """
    _check_design(1.0, caseload, icc)
    return 1 + (caseload - 1) * icc


def schoenfeld_events(
    hazard_ratio: float,
    *,
    variance: float,
    alpha: float = 0.05,
    power: float = 0.8,
    sides: int = 2,
    r_squared: float = 0.0,
) -> float:
    """Events needed (unrounded, no clustering) to detect a hazard ratio: Schoenfeld / Hsieh–Lavori.

    Parameters
    ----------
    hazard_ratio : float
        Hazard ratio per unit of the covariate (per step of belief; "Ja" against "Nej").
    variance : float
        :math:`\\sigma^2`, the variance of the covariate (:func:`binary_variance`, :func:`levels_variance`).
    alpha : float
        Type I error.
    power : float
        :math:`1 - \\beta`.
    sides : {1, 2}
        Two-sided (default) or one-sided test.
    r_squared : float
        :math:`R^2` of the covariate on the other covariates of the model (0: none).

    Returns
    -------
    float
        :math:`d = (z_{1-\\alpha/\\text{sides}} + z_{1-\\beta})^2 / (\\sigma^2 (1 - R^2) (\\log \\mathrm{HR})^2)`.

    Examples
    --------
    Equal groups, HR 0.75, 80 % power, two-sided 5 %: the textbook 380 events.

    >>> math.ceil(schoenfeld_events(0.75, variance=binary_variance(0.5)))
    380
    """
    _check_common(hazard_ratio, variance, alpha, sides, r_squared)
    if not 0 < power < 1:
        raise ValueError(f"power must be in (0, 1), got {power}")
    z = _z(1 - alpha / sides) + _z(power)
    return z * z / (variance * (1 - r_squared) * math.log(hazard_ratio) ** 2)


@dataclass(frozen=True)
class SampleSize:
    """Required sample size for a hazard ratio; see :func:`sample_size`.

    Attributes
    ----------
    hazard_ratio, variance, alpha, power, sides, r_squared, event_probability, caseload, icc
        The inputs.
    design_effect : float
        :math:`1 + (m - 1)\\rho`.
    events_unclustered : float
        Schoenfeld's :math:`d`, unrounded.
    events : int
        Events needed with clustering, :math:`\\lceil d \\cdot \\mathrm{DE} \\rceil`.
    persons : int
        :math:`\\lceil d \\cdot \\mathrm{DE} / \\psi \\rceil`.
    caseworkers : int
        :math:`\\lceil \\text{persons} / m \\rceil`.
    """

    hazard_ratio: float
    variance: float
    alpha: float
    power: float
    sides: int
    r_squared: float
    event_probability: float
    caseload: float
    icc: float
    design_effect: float
    events_unclustered: float
    events: int
    persons: int
    caseworkers: int


def sample_size(
    hazard_ratio: float,
    *,
    variance: float,
    event_probability: float,
    alpha: float = 0.05,
    power: float = 0.8,
    sides: int = 2,
    r_squared: float = 0.0,
    caseload: float = 1.0,
    icc: float = 0.0,
) -> SampleSize:
    """Events, persons and caseworkers needed to detect a hazard ratio with the given power.

    Parameters
    ----------
    hazard_ratio, variance, alpha, power, sides, r_squared
        As in :func:`schoenfeld_events`.
    event_probability : float
        :math:`\\psi`, the expected share of persons with an event during follow-up (about 0.24 for job or
        education within a year in the BIP population).
    caseload : float
        :math:`m`, mean citizens per caseworker (1: no clustering).
    icc : float
        :math:`\\rho`, intraclass correlation of the outcome within a caseload.

    Returns
    -------
    SampleSize

    Examples
    --------
    One step of specific belief, HR 1.33, 24 % in job or education within a year, caseloads of 35:

    >>> s = sample_size(1.33, variance=levels_variance(), event_probability=0.24, caseload=35, icc=0.02)
    >>> s.events, s.persons, s.caseworkers
    (136, 565, 17)
    """
    d = schoenfeld_events(hazard_ratio, variance=variance, alpha=alpha, power=power, sides=sides, r_squared=r_squared)
    _check_design(event_probability, caseload, icc)
    de = design_effect(caseload, icc)
    persons = _ceil(d * de / event_probability)
    return SampleSize(
        hazard_ratio=hazard_ratio,
        variance=variance,
        alpha=alpha,
        power=power,
        sides=sides,
        r_squared=r_squared,
        event_probability=event_probability,
        caseload=caseload,
        icc=icc,
        design_effect=de,
        events_unclustered=d,
        events=_ceil(d * de),
        persons=persons,
        caseworkers=_ceil(persons / caseload),
    )


def power(
    hazard_ratio: float,
    *,
    persons: float,
    variance: float,
    event_probability: float,
    alpha: float = 0.05,
    sides: int = 2,
    r_squared: float = 0.0,
    caseload: float = 1.0,
    icc: float = 0.0,
) -> float:
    """Power to detect a hazard ratio with a given number of persons (the inverse of :func:`sample_size`).

    Parameters
    ----------
    hazard_ratio, variance, alpha, sides, r_squared, event_probability, caseload, icc
        As in :func:`sample_size`.
    persons : float
        Persons followed.

    Returns
    -------
    float
        :math:`\\Phi(|\\log \\mathrm{HR}| \\sqrt{n \\psi \\sigma^2 (1 - R^2)/\\mathrm{DE}}
        - z_{1-\\alpha/\\text{sides}})`.

    Examples
    --------
    >>> round(power(0.75, persons=760, variance=0.25, event_probability=0.5), 4)
    0.8007
    """
    _check_common(hazard_ratio, variance, alpha, sides, r_squared)
    _check_design(event_probability, caseload, icc)
    if not persons > 0:
        raise ValueError(f"persons must be positive, got {persons}")
    information = persons * event_probability * variance * (1 - r_squared) / design_effect(caseload, icc)
    return float(stats.norm.cdf(abs(math.log(hazard_ratio)) * math.sqrt(information) - _z(1 - alpha / sides)))


# --------------------------------------------------------------------------------------------------
# By simulation


class CoxFit(Protocol):
    """A Cox fit for :func:`simulated_power`: coefficients and standard errors in the order of ``x``.

    The standard errors should be cluster-robust when ``cluster`` is given. The platform's estimator
    plugs in as::

        def cox_fit(data, *, time, event, x, cluster):
            result = fit_cox(data, time=time, event=event, x=list(x), cluster=cluster)
            return result.params, result.robust_se if cluster else result.se
    """

    def __call__(
        self, data: pl.DataFrame, *, time: str, event: str, x: Sequence[str], cluster: str | None
    ) -> tuple[Sequence[float], Sequence[float]]: ...


def phreg_fit(
    data: pl.DataFrame, *, time: str, event: str, x: Sequence[str], cluster: str | None
) -> tuple[Sequence[float], Sequence[float]]:
    """statsmodels ``PHReg`` with Efron ties; robust (sandwich) standard errors by ``cluster`` if given."""
    model = PHReg(
        data.get_column(time).to_numpy().astype(np.float64),
        data.select(x).cast(pl.Float64).to_numpy(),
        status=data.get_column(event).to_numpy().astype(np.float64),
        ties="efron",
    )
    result = model.fit(groups=None if cluster is None else data.get_column(cluster).to_numpy())
    return [float(v) for v in result.params], [float(v) for v in result.bse]


def cox_fit(
    data: pl.DataFrame, *, time: str, event: str, x: Sequence[str], cluster: str | None
) -> tuple[Sequence[float], Sequence[float]]:
    """The platform's Cox estimator (:func:`jobtro.stats.cox.fit_cox`, Efron ties), cluster-robust by
    ``cluster`` if given: the default fit of :func:`simulated_power`."""
    from jobtro.stats.cox import fit_cox

    result = fit_cox(data, time=time, event=event, x=list(x), cluster=cluster)
    return [float(v) for v in result.params], [float(v) for v in result.bse]


def baseline_cohort(sim: Simulation, *, horizon_weeks: int = 52) -> pl.DataFrame:
    """Each citizen's wave-0 belief and time to job or education within the horizon.

    Parameters
    ----------
    sim : Simulation
        A simulated collaboration.
    horizon_weeks : int
        Follow-up from week 0; censored earlier if the simulation has fewer weeks.

    Returns
    -------
    polars.DataFrame
        One row per citizen with a wave-0 answer other than "Ved ikke": ``citizen_id``,
        ``caseworker_id``, ``municipality_code``, ``belief`` (1-5), ``generally_believes`` (0/1, the
        wave-0 caseworker's), ``age``, ``female`` (0/1), ``duration`` (weeks, as
        :func:`jobtro.stats.spells.first_event`), ``event`` (0/1) and ``time`` = ``duration + event``
        (the event week counted as at risk, so every time is positive).
    """
    measurements = sim.specific_beliefs.filter((pl.col("wave") == 0) & pl.col("belief").is_not_null()).select(
        pl.col("citizen_id").alias("person"),
        pl.col("week").cast(pl.Int64).alias("measured_week"),
        "caseworker_id",
        pl.col("belief").cast(pl.Int64),
    )
    status = sim.weekly_status.select(
        pl.col("citizen_id").alias("person"),
        pl.col("week").cast(pl.Int64),
        pl.col("status").cast(pl.String).alias("category"),
    )
    spells = first_event(status, measurements, horizon_weeks=horizon_weeks)
    return (
        spells.rename({"person": "citizen_id"})
        .join(
            sim.caseworkers.select("caseworker_id", pl.col("generally_believes").cast(pl.Int64)),
            on="caseworker_id",
            how="left",
        )
        .join(
            sim.citizens.select("citizen_id", "municipality_code", "age", pl.col("female").cast(pl.Int64)),
            on="citizen_id",
            how="left",
        )
        .select(
            "citizen_id",
            "caseworker_id",
            "municipality_code",
            "belief",
            "generally_believes",
            "age",
            "female",
            pl.col("duration").cast(pl.Int64),
            pl.col("event").cast(pl.Int64),
            (pl.col("duration") + pl.col("event")).cast(pl.Int64).alias("time"),
        )
    )


@dataclass(frozen=True)
class SimulatedPower:
    """Power estimated by simulation; see :func:`simulated_power`.

    Attributes
    ----------
    term : str
        The coefficient tested.
    replications : int
        Simulated data sets.
    alpha : float
        Level of the two-sided Wald test.
    rejections : int
        Replicates with :math:`|\\hat\\beta - \\beta_0| / \\widehat{\\mathrm{se}} > z_{1-\\alpha/2}`.
    power : float
        ``rejections / replications`` (a failed fit counts as no rejection).
    ci_low, ci_high : float
        Clopper–Pearson interval of the power (Monte-Carlo error).
    failures : int
        Fits that raised or gave a non-finite estimate or standard error.
    mean_estimate, sd_estimate, mean_se : float
        Mean and standard deviation of the estimates and mean standard error (successful fits).
    coverage : float
        Share of Wald intervals covering ``truth`` (nan when no truth was given).
    mean_persons, mean_events : float
        Mean cohort size and events per replicate.
    estimates, std_errors : tuple of float
        Per replicate (nan for a failed fit).
    """

    term: str
    replications: int
    alpha: float
    rejections: int
    power: float
    ci_low: float
    ci_high: float
    failures: int
    mean_estimate: float
    sd_estimate: float
    mean_se: float
    coverage: float
    mean_persons: float
    mean_events: float
    estimates: tuple[float, ...]
    std_errors: tuple[float, ...]


def clopper_pearson(successes: int, trials: int, conf_level: float = 0.95) -> tuple[float, float]:
    """Exact binomial confidence interval (R's ``binom.test``)."""
    a = (1 - conf_level) / 2
    low = 0.0 if successes == 0 else float(stats.beta.ppf(a, successes, trials - successes + 1))
    high = 1.0 if successes == trials else float(stats.beta.ppf(1 - a, successes + 1, trials - successes))
    return low, high


def simulated_power(
    config: SimulationConfig,
    *,
    replications: int = 200,
    term: str = "belief",
    x: Sequence[str] = ("belief",),
    cluster: str | None = "caseworker_id",
    alpha: float = 0.05,
    null: float = 0.0,
    truth: float | None = None,
    horizon_weeks: int = 52,
    fit: CoxFit = cox_fit,
    conf_level: float = 0.95,
) -> SimulatedPower:
    """Power of the Wald test of one Cox coefficient, by simulating the collaboration.

    Parameters
    ----------
    config : SimulationConfig
        The design and the true effects (sizes, ``hr_belief``, ``frailty_variance``, ...). Replicate
        :math:`r` simulates ``config`` with the seed
        ``numpy.random.SeedSequence(config.seed).generate_state(replications)[r]``.
    replications : int
        Simulated data sets.
    term : str
        The coefficient tested; one of ``x``.
    x : sequence of str
        Covariates of the Cox model, columns of :func:`baseline_cohort`.
    cluster : str or None
        Column for cluster-robust standard errors (default the caseworker), or None for model-based.
    alpha : float
        Level of the two-sided test.
    null : float
        :math:`\\beta_0`, the log hazard ratio under the null hypothesis.
    truth : float, optional
        The true log hazard ratio, for the coverage of the Wald intervals (note that with frailty the
        marginal effect a model without frailty estimates is smaller than ``log(config.hr_belief)``).
    horizon_weeks : int
        Follow-up of the cohort.
    fit : CoxFit
        The Cox fit (default :func:`phreg_fit`).
    conf_level : float
        Level of the Monte-Carlo interval of the power.

    Returns
    -------
    SimulatedPower
    """
    if replications < 1:
        raise ValueError("replications must be at least 1")
    if term not in x:
        raise ValueError(f"term {term!r} is not among the covariates {list(x)}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    k = list(x).index(term)
    z = _z(1 - alpha / 2)
    seeds = np.random.SeedSequence(config.seed).generate_state(replications)
    estimates = np.full(replications, math.nan)
    std_errors = np.full(replications, math.nan)
    persons = np.zeros(replications)
    events = np.zeros(replications)
    for r, seed in enumerate(seeds):
        cohort = baseline_cohort(simulate(replace(config, seed=int(seed))), horizon_weeks=horizon_weeks)
        persons[r], events[r] = cohort.height, cohort.get_column("event").sum()
        try:
            params, se = fit(cohort, time="time", event="event", x=list(x), cluster=cluster)
            estimates[r], std_errors[r] = float(params[k]), float(se[k])
        except (ValueError, ArithmeticError, np.linalg.LinAlgError):
            continue
    ok = np.isfinite(estimates) & np.isfinite(std_errors) & (std_errors > 0)
    rejections = int((np.abs(estimates[ok] - null) / std_errors[ok] > z).sum())
    low, high = clopper_pearson(rejections, replications, conf_level)
    good = estimates[ok]
    coverage = math.nan
    if truth is not None and ok.any():
        coverage = float((np.abs(good - truth) <= z * std_errors[ok]).mean())
    return SimulatedPower(
        term=term,
        replications=replications,
        alpha=alpha,
        rejections=rejections,
        power=rejections / replications,
        ci_low=low,
        ci_high=high,
        failures=int((~ok).sum()),
        mean_estimate=float(good.mean()) if good.size else math.nan,
        sd_estimate=float(good.std(ddof=1)) if good.size > 1 else math.nan,
        mean_se=float(std_errors[ok].mean()) if good.size else math.nan,
        coverage=coverage,
        mean_persons=float(persons.mean()),
        mean_events=float(events.mean()),
        estimates=tuple(float(v) for v in estimates),
        std_errors=tuple(float(v) for v in std_errors),
    )
