r"""Deterministic simulation of the belief collaboration: municipalities, teams, caseworkers, citizens.

The simulator produces the registers an analyst of the BIP-style study would hold — the organisation,
every citizen's caseworker over time, the caseworkers' general and specific beliefs measured every
``wave_every_weeks`` weeks, and a weekly job/education/benefit status — from a proportional-hazards
model whose true parameters are known. It is the ground truth the platform's analyses are tested
against, and the fixture data for demos. It is pure (numpy + polars, no Django) and deterministic: the
same :class:`SimulationConfig` (including ``seed``) gives identical tables.

Notation: citizen :math:`i`, caseworker :math:`j`, team, municipality :math:`m`; week
:math:`t = 0, \dots, W-1` (``weeks``); wave :math:`w = 0, 1, \dots` measured at week :math:`13w`
(``wave_every_weeks``); :math:`\operatorname{expit}(x) = 1/(1+e^{-x})`.

Organisation
------------
Municipality :math:`m` has ``teams`` teams and ``caseworkers`` caseworkers dealt over its teams as evenly
as possible (team sizes differ by at most one). At week 0 its ``citizens`` are dealt over its caseworkers
as evenly as possible in random order (caseloads differ by at most one). Caseworkers do not leave.

Caseworkers
-----------
* General belief (the dichotomous item, "Ja"): :math:`G_j \sim \text{Bernoulli}(1 - \texttt{share\_not\_believing})`,
  a stable trait, identical in every wave.
* Latent optimism :math:`\delta_j \sim N(0, \texttt{optimism\_sd}^2)`; the column ``optimism`` is the
  caseworker's total shift of the latent specific belief,
  :math:`o_j = \delta_j + \kappa G_j` with :math:`\kappa` = ``general_belief_shift``.
* General share answer (0-100 %): a stable trait
  :math:`s_j = lo + (hi - lo)\,\operatorname{expit}(0.8\,\delta_j/\texttt{optimism\_sd} + 0.6\,\zeta_j)`,
  :math:`\zeta_j \sim N(0,1)`, with :math:`[lo, hi] = [25, 90]` for "Ja" and :math:`[2, 24]` for "Nej"
  (so the share is always consistent with the dichotomous answer). The answer in a wave is
  :math:`\operatorname{round}(s_j + N(0, \texttt{share\_noise\_sd}^2))` clipped to :math:`[lo, hi]`;
  ``caseworkers.general_share_pct`` is the baseline (wave 0) answer.
* Log-frailty :math:`u_j \sim N(-\sigma^2/2, \sigma^2)`, :math:`\sigma^2` = ``frailty_variance``
  (so :math:`E[e^{u_j}] = 1`; 0 switches it off). It is independent of :math:`G_j` and :math:`\delta_j`:
  caseworkers differ in unobserved effectiveness, but that does not confound their beliefs.

Citizens (fixed covariates :math:`x_i`)
---------------------------------------
Target group :math:`g_i` from ``target_groups`` (default: 77 % "aktivitetsparat kontanthjælpsmodtager",
ages 30-64; 15 % "aktivitetsparat uddannelseshjælpsmodtager", 18-29; 8 % "aktivitetsparat modtager af
selvforsørgelses- og hjemrejseydelse", 18-64). Age at start: the group's band, drawn as
:math:`\lfloor \text{min} + (\text{max} - \text{min} + 1)\,\text{Beta}(1.4, 1.6) \rfloor`; birth date
uniform over the days that give that age at ``start``. Sex: female with probability 1/2. Prior weeks
on benefit :math:`P_i = \operatorname{round}(\text{LogNormal}(\log \text{median}_g, 0.9^2))` clipped to
:math:`[1, \max(4, 52(\text{age}_i - 17))]`. The covariate part of the log hazard (the citizen's
observable prognosis) is

.. math::

   x_i'\gamma = \gamma_{age}\,\frac{\text{age}_i - 40}{10} + \gamma_{female}\,\text{female}_i
              + \gamma_{g_i} + \gamma_{prior}\,\log_2\!\frac{P_i}{52}

with defaults :math:`\gamma_{age} = -0.15` (``log_hr_age_per_10_years``), :math:`\gamma_{female} = -0.10`
(``log_hr_female``), :math:`\gamma_{prior} = -0.20` per doubling (``log_hr_prior_per_doubling``) and
:math:`\gamma_g` = 0 (kontanthjælp, reference), +0.20 (uddannelseshjælp), −0.10 (hjemrejseydelse).

CPR numbers come from :func:`jobtro.lib.cpr.build` and are unique. Numbers issued since October 2007 may
fail modulus 11; a group-specific share (``TargetGroup.post2007_cpr_share``: 1 %, 1 %, 20 %, about 2.5 %
overall) gets such a number (``modulus11=False``), and half of those the birth date 1 January of their
birth year, as is common for people whose exact birth date was unknown on arrival.

Specific beliefs
----------------
At wave :math:`w` every citizen still at risk (see Outcome) is rated by the *current* caseworker
:math:`j`. The latent belief is

.. math::

   L_i(w) = a\,z_i + o_j + \nu_{ij} + e_{iw}

where :math:`z_i` is :math:`x_i'\gamma` standardised over the simulated citizens, :math:`a` =
``belief_prognosis_weight``, :math:`\nu_{ij} \sim N(0, \texttt{impression\_sd}^2)` is the caseworker's
persistent impression of the citizen (redrawn when the citizen changes caseworker) and
:math:`e_{iw} \sim N(0, \texttt{wave\_noise\_sd}^2)`. The category is
:math:`B_i(w) = 1 + \#\{k : L_i(w) \ge c_k\}` with cut points :math:`c_1 < \dots < c_4` the empirical
quantiles of the baseline latents at the cumulative ``belief_shares`` (12 %, 47 %, 74 %, 94 %), so the
baseline shares of 1..5 are 12/35/27/20/6 % (press figures: 6 % "unconditionally yes", 20 % "good
chances", about half doubtful or negative); later waves drift down as the citizens rated highly leave.
Every term of :math:`L` is either observed (:math:`x_i`, :math:`G_j`) or has no effect on the outcome
(:math:`\delta_j, \nu_{ij}, e_{iw}`), so the belief is not confounded by anything unobserved.
The *reported* answer is :math:`B_i(w)`, or null ("Ved ikke") with probability ``dont_know_share``
independently of everything else (missing completely at random); the hazard always uses the true
:math:`B`.

Outcome (job or education)
--------------------------
Week :math:`t` is the interval :math:`(t, t+1]`. A citizen is *at risk* in week :math:`t` when their
status in week :math:`t-1` was "benefit" (everyone at :math:`t = 0`). The hazard is constant within a
week:

.. math::

   h_i(t) = h_0 \exp\bigl(\beta_B (B_i(t) - 3) + \beta_G G_{j(i,t)} + \beta_C C_i(t) + x_i'\gamma\bigr)
            \, e^{u_{j(i,t)}},
   \qquad P(\text{exit in week } t \mid \text{at risk}) = 1 - e^{-h_i(t)}

with :math:`\beta_B = \log` ``hr_belief`` (per step), :math:`\beta_G = \log` ``hr_general_belief``,
:math:`\beta_C = \log` ``hr_caseworker_change``; :math:`B_i(t)` the most recent wave's (true) belief — the
rating stays in force until the next wave even if the caseworker changes in between;
:math:`j(i,t)` the caseworker in week :math:`t`; :math:`C_i(t) = 1` from the week of the first
caseworker change on. :math:`h_0` = ``baseline_weekly_hazard`` (0.0064, constant over time) gives a
one-year job-or-education share of about 23-24 % for the default population (21-27 % across seeds of
the demo config) and about 39 % within two years. An exit is "education" with
probability :math:`\operatorname{expit}(-1.0 - 0.18(\text{age}_i - 25))` (56 % at 18, 27 % at 25, 13 % at
30, 2 % at 40; ``education_logit_at_25``, ``education_logit_per_year``), otherwise "job".

Status is *absorbing*: the week of exit and every later week carry "job" or "education"; returns to
benefit are not modelled. The cohort is closed: every citizen is on benefit at week 0 and nobody enters
later, so caseloads shrink over the two years. The exit week's status is the exit kind, so an analyst's event for week
:math:`t` is "status in week :math:`t` is not benefit".

Caseworker changes
------------------
At the start of each week :math:`t \ge 1` a citizen at risk changes caseworker with probability
:math:`q`, independently of everything else. The new caseworker is, with probability
``change_within_team_share`` (0.75), another member of the same team, otherwise a member of another team
of the same municipality (uniform; whichever exists when only one does). Citizens in a municipality with
a single caseworker never change. :math:`q` is calibrated deterministically so that the expected share
of citizens with at least one change within ``weeks`` weeks is ``caseworker_change_share``: with
:math:`\lambda_i` the citizen's baseline weekly hazard (week-0 belief and caseworker, no change) and
:math:`c_i` = 1 if they can change,

.. math::

   \frac{1}{N}\sum_i c_i \sum_{t=1}^{W-1} q(1-q)^{t-1} e^{-t\lambda_i}
   = \frac{1}{N}\sum_i c_i\, q e^{-\lambda_i} \frac{1 - r_i^{W-1}}{1 - r_i},
   \quad r_i = (1-q)e^{-\lambda_i},

solved for :math:`q` by bisection. Before a citizen's first change only the belief updates at later
waves move :math:`\lambda_i`, so the approximation is close (within about a percentage point).

Order within a week :math:`t`: (1) caseworker changes take effect, (2) in a wave week the beliefs are
measured (a new caseworker gives the rating), (3) the exit in week :math:`t` is drawn with the covariates
then in force.

Tables
------
``assignments`` rows run ``[from_week, to_week)``; the first row of a citizen starts at week 0, every
later row is a change. The case is closed when the citizen leaves benefit (``to_week`` = exit week + 1);
``to_week`` null means still in the caseload at the end. ``specific_beliefs`` has a row for each citizen
at risk at each wave (``belief`` null = "Ved ikke"); ``general_beliefs`` a row per caseworker and wave.
Ids are 1-based integers.

Random streams: every component draws from its own ``numpy.random.Generator(PCG64([seed, stream]))``,
so changing one part of the model (say, names) does not reshuffle the outcomes.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from statistics import NormalDist
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl
from numpy.random import PCG64, Generator

from jobtro.lib import cpr as cprlib
from jobtro.lib.municipalities import all_municipalities, by_code
from jobtro.stats import _names

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

STATUSES: Final = ("benefit", "job", "education")
STATUS_DTYPE: Final = pl.Enum(list(STATUSES))
_BENEFIT, _JOB, _EDUCATION = 0, 1, 2

TABLES: Final = (
    "municipalities",
    "teams",
    "caseworkers",
    "citizens",
    "assignments",
    "general_beliefs",
    "specific_beliefs",
    "weekly_status",
)
FORMATS: Final = ("parquet", "csv")

# A "Ja" caseworker's share answer is at least this, a "Nej" caseworker's below it: keeps the two
# general items consistent with each other.
GENERAL_SHARE_CUT: Final = 25
_SHARE_RANGE: Final = {True: (GENERAL_SHARE_CUT, 90), False: (2, GENERAL_SHARE_CUT - 1)}

# Reference point of the covariates (the prognosis is 0 here): a 40-year-old man on kontanthjælp for a year.
REFERENCE_AGE: Final = 40
REFERENCE_PRIOR_WEEKS: Final = 52

# Random streams, one per model component (see the module docstring).
_S_CASEWORKERS, _S_CITIZENS, _S_NAMES, _S_CPR, _S_BELIEFS, _S_CHANGES, _S_OUTCOMES = range(2, 9)

# Share of caseworkers who are women (job-centre caseworkers are mostly women); only affects names.
_CASEWORKER_FEMALE_SHARE: Final = 0.8
# Of the citizens with a post-2007 CPR number, the share registered with birth date 1 January.
_UNKNOWN_BIRTHDAY_SHARE: Final = 0.5
_PRIOR_WEEKS_LOG_SD: Final = 0.9
_AGE_BETA: Final = (1.4, 1.6)


@dataclass(frozen=True)
class MunicipalitySize:
    """Size of one municipality in the simulation.

    Parameters
    ----------
    code : str
        Four-digit register code, e.g. ``"0740"``.
    name : str
        Municipality name.
    citizens : int
        Citizens in the target group at week 0.
    caseworkers : int
        Caseworkers (at least ``teams``).
    teams : int
        Teams (at least one).
    """

    code: str
    name: str
    citizens: int
    caseworkers: int
    teams: int


@dataclass(frozen=True)
class TargetGroup:
    """A target group of citizens, with what differs between groups.

    Parameters
    ----------
    name : str
        Danish label as the job centres use it.
    share : float
        Share of the simulated citizens (the shares of all groups sum to 1).
    min_age, max_age : int
        Age band at start, inclusive.
    log_hr : float
        Log hazard ratio against the reference group (log_hr 0).
    prior_weeks_median : float
        Median of the prior weeks on benefit at start.
    post2007_cpr_share : float
        Share with a CPR number issued after October 2007 that fails modulus 11.
    """

    name: str
    share: float
    min_age: int
    max_age: int
    log_hr: float
    prior_weeks_median: float
    post2007_cpr_share: float


DEFAULT_TARGET_GROUPS: Final = (
    TargetGroup("aktivitetsparat kontanthjælpsmodtager", 0.77, 30, 64, 0.0, 200.0, 0.01),
    TargetGroup("aktivitetsparat uddannelseshjælpsmodtager", 0.15, 18, 29, 0.20, 60.0, 0.01),
    TargetGroup("aktivitetsparat modtager af selvforsørgelses- og hjemrejseydelse", 0.08, 18, 64, -0.10, 80.0, 0.20),
)


@dataclass(frozen=True)
class SimulationConfig:
    """All parameters of a simulation; see the module docstring for the model they enter.

    Parameters
    ----------
    municipalities : tuple of MunicipalitySize
        The municipalities (codes unique).
    seed : int
        Seed of every random stream (non-negative).
    start : date
        Monday of week 0.
    weeks : int
        Number of simulated weeks.
    wave_every_weeks : int
        Weeks between belief measurements; wave 0 is at week 0.
    hr_belief : float
        Hazard ratio per step on the 5-point specific belief.
    hr_general_belief : float
        Hazard ratio when the current caseworker generally believes ("Ja").
    hr_caseworker_change : float
        Hazard ratio from the citizen's first caseworker change on.
    frailty_variance : float
        Variance of the caseworker log-frailty; 0 switches it off.
    share_not_believing : float
        Expected share of caseworkers answering "Nej" to the general item.
    caseworker_change_share : float
        Target share of citizens with at least one caseworker change within ``weeks``.
    dont_know_share : float
        Share of specific answers that are "Ved ikke" (missing completely at random).
    baseline_weekly_hazard : float
        :math:`h_0`, the weekly hazard at the reference covariates, belief 3, a "Nej" caseworker and no
        change.
    log_hr_age_per_10_years, log_hr_female, log_hr_prior_per_doubling : float
        Covariate log hazard ratios (age centred at 40, prior weeks on benefit as log2(weeks / 52)).
    target_groups : tuple of TargetGroup
        Target groups with their shares and effects.
    belief_shares : tuple of float
        Baseline shares of the specific answers 1..5 (sum 1).
    belief_prognosis_weight : float
        Weight :math:`a` of the standardised prognosis in the latent belief.
    optimism_sd : float
        Standard deviation of the caseworker optimism :math:`\\delta_j`.
    general_belief_shift : float
        Shift :math:`\\kappa` of the latent specific belief for a caseworker who generally believes.
    impression_sd : float
        Standard deviation of the caseworker's persistent impression of a citizen.
    wave_noise_sd : float
        Standard deviation of the wave-to-wave noise in the latent belief.
    share_noise_sd : float
        Standard deviation (percentage points) of the wave-to-wave noise in the general share answer.
    change_within_team_share : float
        Probability that a new caseworker is from the same team.
    education_logit_at_25, education_logit_per_year : float
        Logit of the probability that an exit is to education, at age 25 and per year of age.
    """

    municipalities: tuple[MunicipalitySize, ...]
    seed: int = 2026
    start: date = date(2025, 1, 6)
    weeks: int = 104
    wave_every_weeks: int = 13
    hr_belief: float = 1.33
    hr_general_belief: float = 1.32
    hr_caseworker_change: float = 0.78
    frailty_variance: float = 0.2
    share_not_believing: float = 0.5
    caseworker_change_share: float = 0.40
    dont_know_share: float = 0.03
    baseline_weekly_hazard: float = 0.0064
    log_hr_age_per_10_years: float = -0.15
    log_hr_female: float = -0.10
    log_hr_prior_per_doubling: float = -0.20
    target_groups: tuple[TargetGroup, ...] = DEFAULT_TARGET_GROUPS
    belief_shares: tuple[float, float, float, float, float] = (0.12, 0.35, 0.27, 0.20, 0.06)
    belief_prognosis_weight: float = 0.7
    optimism_sd: float = 0.5
    general_belief_shift: float = 0.5
    impression_sd: float = 0.6
    wave_noise_sd: float = 0.4
    share_noise_sd: float = 3.0
    change_within_team_share: float = 0.75
    education_logit_at_25: float = -1.0
    education_logit_per_year: float = -0.18

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not self.municipalities:
            problems.append("at least one municipality is needed")
        codes = [m.code for m in self.municipalities]
        if len(set(codes)) != len(codes):
            problems.append("municipality codes must be unique")
        problems += [
            f"{m.code}: need citizens >= 1, teams >= 1 and caseworkers >= teams"
            for m in self.municipalities
            if m.teams < 1 or m.caseworkers < m.teams or m.citizens < 1
        ]
        if self.seed < 0:
            problems.append("seed must be non-negative")
        if self.start.weekday() != 0:
            problems.append("start must be a Monday")
        if self.weeks < 1 or self.wave_every_weeks < 1:
            problems.append("weeks and wave_every_weeks must be positive")
        positive = ("hr_belief", "hr_general_belief", "hr_caseworker_change", "baseline_weekly_hazard")
        problems += [f"{name} must be positive" for name in positive if not getattr(self, name) > 0]
        shares = ("share_not_believing", "caseworker_change_share", "dont_know_share", "change_within_team_share")
        problems += [f"{name} must be in [0, 1)" for name in shares if not 0 <= getattr(self, name) < 1]
        spreads = ("frailty_variance", "optimism_sd", "impression_sd", "wave_noise_sd", "share_noise_sd")
        problems += [f"{name} must be non-negative" for name in spreads if getattr(self, name) < 0]
        if abs(sum(self.belief_shares) - 1) > 1e-9 or min(self.belief_shares) <= 0:
            problems.append("belief_shares must be positive and sum to 1")
        if not self.target_groups or abs(sum(g.share for g in self.target_groups) - 1) > 1e-9:
            problems.append("target group shares must sum to 1")
        problems += [
            f"{g.name}: age band must lie within 15..80"
            for g in self.target_groups
            if not 15 <= g.min_age <= g.max_age <= 80
        ]
        if problems:
            raise ValueError("invalid SimulationConfig: " + "; ".join(problems))

    @property
    def waves(self) -> int:
        """Number of belief waves (weeks 0, ``wave_every_weeks``, ... below ``weeks``)."""
        return -(-self.weeks // self.wave_every_weeks)

    @property
    def total_citizens(self) -> int:
        return sum(m.citizens for m in self.municipalities)

    @property
    def total_caseworkers(self) -> int:
        return sum(m.caseworkers for m in self.municipalities)


@dataclass(frozen=True, eq=False)  # eq=False: comparing DataFrames with == is elementwise, not a bool
class Simulation:
    """The simulated registers (polars DataFrames) and the config that made them.

    Ids are 1-based; weeks count from ``config.start`` (week 0). See the module docstring for the model.

    Attributes
    ----------
    config : SimulationConfig
        The configuration simulated.
    municipalities : polars.DataFrame
        ``code`` (str, "0740"), ``name``.
    teams : polars.DataFrame
        ``team_id``, ``municipality_code``, ``name`` ("Team 1", numbered within the municipality).
    caseworkers : polars.DataFrame
        ``caseworker_id``, ``team_id``, ``municipality_code``, ``first_name``, ``last_name``, ``email``
        (unique), ``generally_believes`` (bool), ``general_share_pct`` (baseline answer, 0-100),
        ``optimism`` (latent shift of their specific beliefs).
    citizens : polars.DataFrame
        ``citizen_id``, ``municipality_code``, ``cpr`` (10 digits), ``first_name``, ``last_name``,
        ``birth_date``, ``female``, ``age`` (at start), ``target_group``, ``prior_weeks_on_benefit``.
    assignments : polars.DataFrame
        ``citizen_id``, ``caseworker_id``, ``from_week``, ``to_week`` (exclusive; null = still assigned at
        the end; exit week + 1 when the citizen left benefit).
    general_beliefs : polars.DataFrame
        ``caseworker_id``, ``wave``, ``week``, ``generally_believes``, ``share_pct``.
    specific_beliefs : polars.DataFrame
        ``citizen_id``, ``caseworker_id`` (current at the wave), ``wave``, ``week``, ``belief`` (Int8 1-5,
        null = "Ved ikke"); only citizens still on benefit at the wave.
    weekly_status : polars.DataFrame
        ``citizen_id``, ``week``, ``iso_year``, ``iso_week``, ``status`` (Enum benefit/job/education;
        absorbing from the exit week on).
    change_probability : float
        The calibrated weekly probability of a caseworker change (a diagnostic, not a table).
    """

    config: SimulationConfig
    municipalities: pl.DataFrame
    teams: pl.DataFrame
    caseworkers: pl.DataFrame
    citizens: pl.DataFrame
    assignments: pl.DataFrame
    general_beliefs: pl.DataFrame
    specific_beliefs: pl.DataFrame
    weekly_status: pl.DataFrame
    change_probability: float = 0.0

    def tables(self) -> dict[str, pl.DataFrame]:
        """The tables by name, in :data:`TABLES` order."""
        return {name: getattr(self, name) for name in TABLES}


# --------------------------------------------------------------------------------------------------
# Configurations


def _sizes(code: str, citizens: int, caseload: float, team_size: float) -> MunicipalitySize:
    caseworkers = max(1, round(citizens / caseload))
    teams = max(1, min(caseworkers, round(caseworkers / team_size)))
    return MunicipalitySize(code, by_code()[code].name, citizens, caseworkers, teams)


def demo_config(seed: int = 2026) -> SimulationConfig:
    """The four municipalities of the collaboration at realistic sizes.

    The target group (aktivitetsparate cash-benefit recipients) is about 1 % of the population; caseloads
    are about 35 citizens per caseworker, teams about 6-7 caseworkers.

    Parameters
    ----------
    seed : int
        Seed of the simulation.

    Returns
    -------
    SimulationConfig
        Silkeborg (0740), Odder (0727), Sønderborg (0540), Frederiksberg (0147); 2,660 citizens, 76
        caseworkers, 11 teams.
    """
    sizes = (("0740", 950), ("0727", 230), ("0540", 780), ("0147", 700))
    return SimulationConfig(
        municipalities=tuple(_sizes(code, n, caseload=35.0, team_size=6.5) for code, n in sizes), seed=seed
    )


NATIONAL_CITIZENS: Final = 300_000
NATIONAL_CASELOAD: Final = 30.0
# Log-scale spread of municipality sizes: with 98 municipalities the largest is ~90x the smallest,
# roughly the spread of Danish municipalities' populations.
NATIONAL_SIZE_SIGMA: Final = 1.0


def national_municipalities(
    total_citizens: int = NATIONAL_CITIZENS,
    caseload: float = NATIONAL_CASELOAD,
    team_size: float = 6.5,
    weights: Mapping[str, float] | None = None,
) -> tuple[MunicipalitySize, ...]:
    """All 98 municipalities with sizes from a deterministic skewed distribution.

    No population data is shipped, so by default the sizes are the lognormal quantiles
    :math:`\\exp(\\sigma\\,\\Phi^{-1}(1 - (r - 1/2)/98))` for ranks :math:`r = 1..98`
    (:math:`\\sigma` = ``NATIONAL_SIZE_SIGMA``), København taking rank 1 and the other ranks going to the
    municipalities in the fixed but *arbitrary* order of a SHA-256 hash of their code. The spread is
    realistic, which municipality gets which size is not (pass ``weights`` for that). Citizens are
    apportioned by largest remainder so that they total ``total_citizens`` exactly; caseworkers are
    ``round(citizens / caseload)`` (at least 1), teams ``round(caseworkers / team_size)`` (at least 1).

    Parameters
    ----------
    total_citizens : int
        Citizens in total.
    caseload : float
        Citizens per caseworker.
    team_size : float
        Caseworkers per team.
    weights : mapping of str to float, optional
        Relative size by municipality code (e.g. populations) to use instead of the default ranks;
        must cover every municipality with a positive weight.

    Returns
    -------
    tuple of MunicipalitySize
        In the shipped list's order.
    """
    records = all_municipalities()
    others = sorted((m.code for m in records if m.code != "0101"), key=lambda c: hashlib.sha256(c.encode()).hexdigest())
    ranked = ["0101", *others]
    n = len(ranked)
    if weights is None:
        normal = NormalDist()
        size = np.array([math.exp(NATIONAL_SIZE_SIGMA * normal.inv_cdf(1 - (r + 0.5) / n)) for r in range(n)])
    else:
        missing = sorted(set(ranked) - {c for c, w in weights.items() if w > 0})
        if missing:
            raise ValueError(f"weights must be positive for every municipality; missing or not positive: {missing}")
        size = np.array([float(weights[c]) for c in ranked])
    exact = size / size.sum() * total_citizens
    counts = np.floor(exact).astype(np.int64)
    # Largest remainder: hand the leftover citizens to the largest fractional parts (stable ties by rank).
    leftover = total_citizens - int(counts.sum())
    counts[np.argsort(-(exact - counts), kind="stable")[:leftover]] += 1
    by_rank = dict(zip(ranked, counts.tolist(), strict=True))
    return tuple(_sizes(m.code, by_rank[m.code], caseload, team_size) for m in records)


def national_config(seed: int = 2026) -> SimulationConfig:
    """All 98 municipalities, 300,000 citizens and about 10,000 caseworkers (a scale test).

    Parameters
    ----------
    seed : int
        Seed of the simulation.

    Returns
    -------
    SimulationConfig
        See :func:`national_municipalities` for the sizes.
    """
    return SimulationConfig(municipalities=national_municipalities(), seed=seed)


# --------------------------------------------------------------------------------------------------
# Helpers


def _rng(seed: int, stream: int) -> Generator:
    return Generator(PCG64([seed, stream]))


def _expit(x: FloatArray) -> FloatArray:
    return 1.0 / (1.0 + np.exp(-x))


def ascii_fold(text: str) -> str:
    """Lower-case ASCII form of a Danish name for e-mail addresses and domains (æ→ae, ø→oe, å→aa).

    Parameters
    ----------
    text : str
        A name.

    Returns
    -------
    str
        Lower case, Danish letters spelled out, other accents dropped, spaces as hyphens.
    """
    text = text.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "-".join(text.split())


def _shift_years(day: date, years: int) -> date:
    # 29 February maps to 28 February in years without it.
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _weighted_choice(rng: Generator, options: tuple[tuple[str, float], ...], size: int) -> IntArray:
    weights = np.array([w for _, w in options])
    return rng.choice(len(options), size=size, p=weights / weights.sum()).astype(np.int64)


def _draw_names(rng: Generator, female: BoolArray) -> tuple[pl.Series, pl.Series]:
    n = len(female)
    women = pl.Series([name for name, _ in _names.FEMALE_FIRST])
    men = pl.Series([name for name, _ in _names.MALE_FIRST])
    last = pl.Series([name for name, _ in _names.LAST])
    f_idx = _weighted_choice(rng, _names.FEMALE_FIRST, n)
    m_idx = _weighted_choice(rng, _names.MALE_FIRST, n)
    l_idx = _weighted_choice(rng, _names.LAST, n)
    first = pl.select(pl.when(pl.Series(female)).then(women.gather(f_idx)).otherwise(men.gather(m_idx))).to_series()
    return first, last.gather(l_idx)


# --------------------------------------------------------------------------------------------------
# Organisation


@dataclass(frozen=True)
class _Org:
    team_muni: IntArray  # municipality index of each team
    cw_team: IntArray  # team index of each caseworker (caseworkers are contiguous by team)
    cw_muni: IntArray
    team_start: IntArray  # first caseworker index of each team
    team_size: IntArray
    muni_start: IntArray  # first caseworker index of each municipality
    muni_size: IntArray


def _organisation(config: SimulationConfig) -> _Org:
    team_muni: list[int] = []
    team_size: list[int] = []
    for m, size in enumerate(config.municipalities):
        base, extra = divmod(size.caseworkers, size.teams)
        for k in range(size.teams):
            team_muni.append(m)
            team_size.append(base + (1 if k < extra else 0))
    tm = np.array(team_muni, dtype=np.int64)
    ts = np.array(team_size, dtype=np.int64)
    cw_team = np.repeat(np.arange(len(ts), dtype=np.int64), ts)
    muni_size = np.array([m.caseworkers for m in config.municipalities], dtype=np.int64)
    return _Org(
        team_muni=tm,
        cw_team=cw_team,
        cw_muni=tm[cw_team],
        team_start=np.concatenate([[0], np.cumsum(ts)[:-1]]).astype(np.int64),
        team_size=ts,
        muni_start=np.concatenate([[0], np.cumsum(muni_size)[:-1]]).astype(np.int64),
        muni_size=muni_size,
    )


def _new_caseworker(rng: Generator, org: _Org, current: IntArray, within_share: float) -> IntArray:
    """A different caseworker of the same municipality for each citizen changing (uniform draws)."""
    k = len(current)
    team = org.cw_team[current]
    t_start, t_size = org.team_start[team], org.team_size[team]
    muni = org.cw_muni[current]
    m_start, m_size = org.muni_start[muni], org.muni_size[muni]
    in_team, outside = t_size - 1, m_size - t_size
    within = rng.random(k) < within_share
    # Fall back to whichever pool exists; callers never pass citizens whose municipality has one caseworker.
    within = np.where(outside == 0, True, np.where(in_team == 0, False, within))
    u_same, u_other = rng.random(k), rng.random(k)
    # Same team: pick among the other members by skipping over the current caseworker's slot.
    r_same = np.floor(u_same * in_team).astype(np.int64)
    r_same += r_same >= current - t_start
    # Other team: pick among the municipality's caseworkers by skipping over the whole own team.
    r_other = np.floor(u_other * outside).astype(np.int64)
    r_other += np.where(r_other >= t_start - m_start, t_size, 0)
    return np.where(within, t_start + r_same, m_start + r_other)


# --------------------------------------------------------------------------------------------------
# Citizens


@dataclass(frozen=True)
class _Citizens:
    muni: IntArray
    group: IntArray
    age: IntArray
    female: BoolArray
    birth_ordinal: IntArray
    post2007: BoolArray
    prior_weeks: IntArray
    prognosis: FloatArray  # x_i'gamma


def _draw_citizens(config: SimulationConfig) -> _Citizens:
    rng = _rng(config.seed, _S_CITIZENS)
    sizes = np.array([m.citizens for m in config.municipalities], dtype=np.int64)
    n = int(sizes.sum())
    groups = config.target_groups
    shares = np.array([g.share for g in groups])
    group = rng.choice(len(groups), size=n, p=shares / shares.sum()).astype(np.int64)
    lo = np.array([g.min_age for g in groups])[group]
    hi = np.array([g.max_age for g in groups])[group]
    age = np.minimum(hi, lo + np.floor((hi - lo + 1) * rng.beta(*_AGE_BETA, size=n))).astype(np.int64)
    female = rng.random(n) < 0.5
    post2007 = rng.random(n) < np.array([g.post2007_cpr_share for g in groups])[group]
    unknown_birthday = post2007 & (rng.random(n) < _UNKNOWN_BIRTHDAY_SHARE)
    # Birth date: uniform over (start - (age+1) years, start - age years], which gives exactly `age`.
    ages = np.unique(age)
    upper = {int(a): _shift_years(config.start, -int(a)).toordinal() for a in ages}
    lower = {int(a): _shift_years(config.start, -int(a) - 1).toordinal() for a in ages}
    hi_ord = np.array([upper[int(a)] for a in ages])[np.searchsorted(ages, age)]
    lo_ord = np.array([lower[int(a)] for a in ages])[np.searchsorted(ages, age)]
    birth = lo_ord + 1 + np.floor(rng.random(n) * (hi_ord - lo_ord)).astype(np.int64)
    # 1 January of the year (start.year - age) is on or before the age-th birthday, so the age holds.
    jan1 = np.array([date(config.start.year - int(a), 1, 1).toordinal() for a in ages])[np.searchsorted(ages, age)]
    birth = np.where(unknown_birthday, jan1, birth)
    median = np.array([g.prior_weeks_median for g in groups])[group]
    prior = np.rint(np.exp(np.log(median) + _PRIOR_WEEKS_LOG_SD * rng.standard_normal(n)))
    prior = np.clip(prior, 1, np.maximum(4, 52 * (age - 17))).astype(np.int64)
    prognosis = (
        config.log_hr_age_per_10_years * (age - REFERENCE_AGE) / 10
        + config.log_hr_female * female
        + np.array([g.log_hr for g in groups])[group]
        + config.log_hr_prior_per_doubling * np.log2(prior / REFERENCE_PRIOR_WEEKS)
    )
    return _Citizens(
        muni=np.repeat(np.arange(len(sizes), dtype=np.int64), sizes),
        group=group,
        age=age,
        female=female,
        birth_ordinal=birth,
        post2007=post2007,
        prior_weeks=prior,
        prognosis=prognosis.astype(np.float64),
    )


def _cprs(config: SimulationConfig, cit: _Citizens) -> list[str]:
    """Unique CPR numbers via :func:`jobtro.lib.cpr.build`.

    Citizens sharing birth date, sex and modulus-11 status walk the build serials in order from a random
    offset, each continuing after the slot the previous one used, so no number is handed out twice.
    """
    rng = _rng(config.seed, _S_CPR)
    offsets = rng.integers(0, 1_000_000, size=len(cit.age))
    next_serial: dict[tuple[int, bool, bool], int] = {}
    used: set[str] = set()
    numbers: list[str] = []
    digits_cache: dict[int, tuple[int, ...]] = {}
    for i, (ordinal, female, post) in enumerate(
        zip(cit.birth_ordinal.tolist(), cit.female.tolist(), cit.post2007.tolist(), strict=True)
    ):
        born = date.fromordinal(ordinal)
        digits = digits_cache.get(born.year)
        if digits is None:
            digits = digits_cache[born.year] = cprlib.seventh_digits_for(born.year)
        pool = len(digits) * 100
        key = (ordinal, female, post)
        serial = next_serial.get(key, int(offsets[i]) % pool)
        for _ in range(pool + 1):
            number = cprlib.build(born, female, serial, modulus11=not post)
            slot = digits.index(int(number[6])) * 100 + int(number[7:9])
            serial = (slot + 1) % pool
            if number not in used:
                break
        else:  # pragma: no cover - needs hundreds of citizens sharing one birth date and sex
            raise ValueError(f"CPR numbers exhausted for {born} (female={female})")
        next_serial[key] = serial
        used.add(number)
        numbers.append(number)
    return numbers


# --------------------------------------------------------------------------------------------------
# Dynamics


def _calibrate_change_probability(rate: FloatArray, can_change: BoolArray, weeks: int, target: float) -> float:
    """Weekly change probability q giving the target expected share with >= 1 change (module docstring)."""
    if weeks < 2 or target <= 0:
        return 0.0
    survive = np.exp(-rate)

    def share(q: float) -> float:
        r = (1 - q) * survive
        # q e^{-lambda} (1 - r^{W-1}) / (1 - r); r < 1 whenever q > 0 or lambda > 0.
        with np.errstate(divide="ignore", invalid="ignore"):
            geometric = np.where(r < 1, (1 - r ** (weeks - 1)) / (1 - r), weeks - 1)
        return float(np.mean(can_change * q * survive * geometric))

    lo, hi = 0.0, 1.0
    if share(hi) <= target:
        return hi
    for _ in range(60):
        mid = (lo + hi) / 2
        if share(mid) < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


@dataclass
class _Dynamics:
    exit_week: IntArray  # -1: still on benefit at the end
    exit_kind: IntArray  # _JOB / _EDUCATION where exited
    assign_citizen: IntArray
    assign_caseworker: IntArray
    assign_from: IntArray
    belief_citizen: IntArray
    belief_caseworker: IntArray
    belief_wave: IntArray
    belief_value: IntArray  # true category 1..5
    belief_dont_know: BoolArray
    change_probability: float


def _run(
    config: SimulationConfig,
    org: _Org,
    cit: _Citizens,
    believes: BoolArray,
    optimism: FloatArray,
    log_frailty: FloatArray,
) -> _Dynamics:
    n = len(cit.age)
    rng_b = _rng(config.seed, _S_BELIEFS)
    rng_c = _rng(config.seed, _S_CHANGES)
    rng_o = _rng(config.seed, _S_OUTCOMES)

    # Week-0 caseloads: deal a random order of each municipality's citizens round-robin over its caseworkers.
    cw = np.empty(n, dtype=np.int64)
    muni_first = np.concatenate([[0], np.cumsum([m.citizens for m in config.municipalities])[:-1]])
    for m, size in enumerate(config.municipalities):
        order = rng_c.permutation(size.citizens)
        cw[muni_first[m] + order] = org.muni_start[m] + np.arange(size.citizens) % size.caseworkers
    can_change = org.muni_size[cit.muni] > 1

    sd = float(np.std(cit.prognosis))
    z = (cit.prognosis - cit.prognosis.mean()) / sd if sd > 0 else np.zeros(n)
    impression = rng_b.normal(0.0, config.impression_sd, n)
    beta_b, beta_g, beta_c = np.log([config.hr_belief, config.hr_general_belief, config.hr_caseworker_change])
    general_term = beta_g * believes + log_frailty  # per caseworker
    p_education = _expit(
        np.asarray(config.education_logit_at_25 + config.education_logit_per_year * (cit.age - 25.0), dtype=np.float64)
    )
    cum_shares = np.cumsum(config.belief_shares)[:-1]

    exit_week = np.full(n, -1, dtype=np.int64)
    exit_kind = np.zeros(n, dtype=np.int64)
    changed = np.zeros(n, dtype=bool)
    belief = np.full(n, 3, dtype=np.int64)
    cuts = np.zeros(4)
    q = 0.0
    a_cit, a_cw, a_from = [np.arange(n)], [cw.copy()], [np.zeros(n, dtype=np.int64)]
    b_cit: list[IntArray] = []
    b_cw: list[IntArray] = []
    b_wave: list[IntArray] = []
    b_val: list[IntArray] = []
    b_dk: list[BoolArray] = []

    for t in range(config.weeks):
        at_risk = exit_week < 0
        if t >= 1 and q > 0:
            # Draw for everyone every week so the stream does not depend on who happens to be at risk.
            moving = np.flatnonzero(at_risk & can_change & (rng_c.random(n) < q))
            if len(moving):
                new = _new_caseworker(rng_c, org, cw[moving], config.change_within_team_share)
                cw[moving] = new
                changed[moving] = True
                impression[moving] = rng_c.normal(0.0, config.impression_sd, len(moving))
                a_cit.append(moving)
                a_cw.append(new)
                a_from.append(np.full(len(moving), t, dtype=np.int64))
        if t % config.wave_every_weeks == 0:
            latent = (
                config.belief_prognosis_weight * z
                + optimism[cw]
                + impression
                + rng_b.normal(0.0, config.wave_noise_sd, n)
            )
            dont_know = rng_b.random(n) < config.dont_know_share
            if t == 0:
                cuts = np.quantile(latent, cum_shares)
            rated = np.flatnonzero(at_risk)
            belief[rated] = np.searchsorted(cuts, latent[rated], side="right") + 1
            b_cit.append(rated)
            b_cw.append(cw[rated])
            b_wave.append(np.full(len(rated), t // config.wave_every_weeks, dtype=np.int64))
            b_val.append(belief[rated].copy())
            b_dk.append(dont_know[rated])
        log_hazard = beta_b * (belief - 3) + general_term[cw] + beta_c * changed + cit.prognosis
        rate = config.baseline_weekly_hazard * np.exp(log_hazard)
        if t == 0:
            q = _calibrate_change_probability(rate, can_change, config.weeks, config.caseworker_change_share)
        leaving = at_risk & (rng_o.random(n) < -np.expm1(-rate))
        to_education = rng_o.random(n) < p_education
        exit_week[leaving] = t
        exit_kind[leaving] = np.where(to_education[leaving], _EDUCATION, _JOB)

    return _Dynamics(
        exit_week=exit_week,
        exit_kind=exit_kind,
        assign_citizen=np.concatenate(a_cit),
        assign_caseworker=np.concatenate(a_cw),
        assign_from=np.concatenate(a_from),
        belief_citizen=np.concatenate(b_cit),
        belief_caseworker=np.concatenate(b_cw),
        belief_wave=np.concatenate(b_wave),
        belief_value=np.concatenate(b_val),
        belief_dont_know=np.concatenate(b_dk),
        change_probability=q,
    )


# --------------------------------------------------------------------------------------------------
# Tables


def _municipality_frames(config: SimulationConfig, org: _Org) -> tuple[pl.DataFrame, pl.DataFrame]:
    municipalities = pl.DataFrame(
        {"code": [m.code for m in config.municipalities], "name": [m.name for m in config.municipalities]},
        schema={"code": pl.String, "name": pl.String},
    )
    numbers = [k + 1 for m in config.municipalities for k in range(m.teams)]
    teams = pl.DataFrame(
        {
            "team_id": np.arange(1, len(org.team_muni) + 1, dtype=np.int32),
            "municipality_code": [config.municipalities[m].code for m in org.team_muni.tolist()],
            "name": [f"Team {k}" for k in numbers],
        }
    )
    return municipalities, teams


def _general_share(
    rng: Generator, believes: BoolArray, delta: FloatArray, config: SimulationConfig
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Each caseworker's share trait and the bounds that keep it consistent with the Ja/Nej answer."""
    lo = np.where(believes, _SHARE_RANGE[True][0], _SHARE_RANGE[False][0]).astype(np.float64)
    hi = np.where(believes, _SHARE_RANGE[True][1], _SHARE_RANGE[False][1]).astype(np.float64)
    scaled = delta / config.optimism_sd if config.optimism_sd > 0 else np.zeros_like(delta)
    trait = lo + (hi - lo) * _expit(0.8 * scaled + 0.6 * rng.standard_normal(len(delta)))
    return trait, lo, hi


def simulate(config: SimulationConfig) -> Simulation:
    """Simulate the collaboration for one configuration.

    Parameters
    ----------
    config : SimulationConfig
        Sizes, seed and model parameters.

    Returns
    -------
    Simulation
        The tables described in the module docstring; identical for identical configs.
    """
    org = _organisation(config)
    n_cw = len(org.cw_team)
    munis = config.municipalities

    # Caseworkers: general belief, optimism, frailty, share answers.
    rng_w = _rng(config.seed, _S_CASEWORKERS)
    believes = rng_w.random(n_cw) >= config.share_not_believing
    delta = rng_w.normal(0.0, config.optimism_sd, n_cw)
    optimism = delta + config.general_belief_shift * believes
    sigma2 = config.frailty_variance
    log_frailty = rng_w.normal(-sigma2 / 2, math.sqrt(sigma2), n_cw) if sigma2 > 0 else np.zeros(n_cw)
    trait, share_lo, share_hi = _general_share(rng_w, believes, delta, config)
    share_noise = rng_w.normal(0.0, config.share_noise_sd, (config.waves, n_cw))
    share_pct = np.clip(np.rint(trait + share_noise), share_lo, share_hi).astype(np.int16)

    cit = _draw_citizens(config)
    dyn = _run(config, org, cit, believes, optimism, log_frailty)

    municipalities, teams = _municipality_frames(config, org)
    codes = pl.Series([m.code for m in munis])
    slugs = pl.Series([ascii_fold(m.name) for m in munis])

    rng_n = _rng(config.seed, _S_NAMES)
    cw_female = rng_n.random(n_cw) < _CASEWORKER_FEMALE_SHARE
    cw_first, cw_last = _draw_names(rng_n, cw_female)
    caseworker_id = np.arange(1, n_cw + 1, dtype=np.int32)
    caseworkers = pl.DataFrame(
        {
            "caseworker_id": caseworker_id,
            "team_id": (org.cw_team + 1).astype(np.int32),
            "municipality_code": codes.gather(org.cw_muni),
            "first_name": cw_first,
            "last_name": cw_last,
            "slug": slugs.gather(org.cw_muni),
            "generally_believes": believes,
            "general_share_pct": share_pct[0],
            "optimism": optimism,
        }
    ).with_columns(
        email=pl.concat_str(
            pl.col("first_name").map_elements(ascii_fold, return_dtype=pl.String),
            pl.col("last_name").map_elements(ascii_fold, return_dtype=pl.String),
            pl.col("caseworker_id").cast(pl.String),
            separator=".",
        )
        + "@"
        + pl.col("slug")
        + ".kommune.dk"
    ).select(
        "caseworker_id", "team_id", "municipality_code", "first_name", "last_name", "email",
        "generally_believes", "general_share_pct", "optimism",
    )  # fmt: skip

    waves = config.waves
    general_beliefs = pl.DataFrame(
        {
            "caseworker_id": np.repeat(caseworker_id, waves),
            "wave": np.tile(np.arange(waves, dtype=np.int16), n_cw),
            "week": np.tile(np.arange(waves, dtype=np.int16) * config.wave_every_weeks, n_cw),
            "generally_believes": np.repeat(believes, waves),
            "share_pct": share_pct.T.ravel(),
        }
    )

    n = len(cit.age)
    citizen_id = np.arange(1, n + 1, dtype=np.int32)
    first, last = _draw_names(rng_n, cit.female)
    epoch = date(1970, 1, 1).toordinal()
    citizens = pl.DataFrame(
        {
            "citizen_id": citizen_id,
            "municipality_code": codes.gather(cit.muni),
            "cpr": _cprs(config, cit),
            "first_name": first,
            "last_name": last,
            "birth_date": (cit.birth_ordinal - epoch).astype("datetime64[D]"),
            "female": cit.female,
            "age": cit.age.astype(np.int16),
            "target_group": pl.Series([g.name for g in config.target_groups]).gather(cit.group),
            "prior_weeks_on_benefit": cit.prior_weeks.astype(np.int32),
        }
    )

    assignments = _assignments(dyn, config.weeks)
    order = np.lexsort((dyn.belief_wave, dyn.belief_citizen))
    specific_beliefs = pl.DataFrame(
        {
            "citizen_id": (dyn.belief_citizen[order] + 1).astype(np.int32),
            "caseworker_id": (dyn.belief_caseworker[order] + 1).astype(np.int32),
            "wave": dyn.belief_wave[order].astype(np.int16),
            "week": (dyn.belief_wave[order] * config.wave_every_weeks).astype(np.int16),
            "belief": dyn.belief_value[order].astype(np.int8),
            "dont_know": dyn.belief_dont_know[order],
        }
    ).select(
        "citizen_id", "caseworker_id", "wave", "week",
        pl.when(pl.col("dont_know")).then(None).otherwise(pl.col("belief")).alias("belief"),
    )  # fmt: skip

    return Simulation(
        config=config,
        municipalities=municipalities,
        teams=teams,
        caseworkers=caseworkers,
        citizens=citizens,
        assignments=assignments,
        general_beliefs=general_beliefs,
        specific_beliefs=specific_beliefs,
        weekly_status=_weekly_status(config, dyn),
        change_probability=dyn.change_probability,
    )


def _assignments(dyn: _Dynamics, weeks: int) -> pl.DataFrame:
    order = np.lexsort((dyn.assign_from, dyn.assign_citizen))
    citizen, caseworker, start = dyn.assign_citizen[order], dyn.assign_caseworker[order], dyn.assign_from[order]
    # A row ends where the citizen's next row starts; the last row at the exit (case closed) or never.
    last = np.ones(len(citizen), dtype=bool)
    last[:-1] = citizen[1:] != citizen[:-1]
    next_start = np.empty_like(start)
    next_start[:-1] = start[1:]
    exited = dyn.exit_week[citizen]
    end = np.where(last, np.where(exited >= 0, exited + 1, -1), next_start)
    return pl.DataFrame(
        {
            "citizen_id": (citizen + 1).astype(np.int32),
            "caseworker_id": (caseworker + 1).astype(np.int32),
            "from_week": start.astype(np.int16),
            "end": end.astype(np.int16),
        }
    ).select(
        "citizen_id", "caseworker_id", "from_week",
        pl.when(pl.col("end") < 0).then(None).otherwise(pl.col("end")).alias("to_week"),
    )  # fmt: skip


def _weekly_status(config: SimulationConfig, dyn: _Dynamics) -> pl.DataFrame:
    n, weeks = len(dyn.exit_week), config.weeks
    iso = [(config.start + timedelta(weeks=w)).isocalendar() for w in range(weeks)]
    week = np.arange(weeks, dtype=np.int16)
    # Absorbing: benefit (code 0) before the exit week, the exit kind from it on. Built in uint8 because
    # the panel is citizens x weeks (31M cells nationally).
    exit_week = np.where(dyn.exit_week < 0, weeks, dyn.exit_week)
    code = (week[None, :] >= exit_week[:, None]).astype(np.uint8)
    code *= dyn.exit_kind.astype(np.uint8)[:, None]
    return pl.DataFrame(
        {
            "citizen_id": np.repeat(np.arange(1, n + 1, dtype=np.int32), weeks),
            "week": np.tile(week, n),
            "iso_year": np.tile(np.array([d.year for d in iso], dtype=np.int16), n),
            "iso_week": np.tile(np.array([d.week for d in iso], dtype=np.int8), n),
            # The codes are the Enum's physical values: a zero-copy view (replace_strict would need ~250 MB
            # nationally). `cat.to` is marked unstable in polars 2.1, which the project pins exactly.
            "status": pl.Series(code.ravel()).cat.to(STATUS_DTYPE),
        }
    )


# --------------------------------------------------------------------------------------------------
# Output

REGISTER_EXTRACT: Final = "status_register"
"""File name (without extension) of the register-style extract :func:`write` adds beside the tables."""


def register_extract(sim: Simulation, *, until_week: int | None = None) -> pl.DataFrame:
    """The weekly status as a municipality would receive it from the outcome register: ``cpr``,
    ``year_week`` (ISO label, ``2025-W07``) and ``status`` (the simulator's codes, which the default
    status-code mapping knows), sorted by CPR number and week. ``until_week`` keeps weeks before it
    only (an extract taken mid-way). This is what `jobtro import-status` reads, so the demo and the
    benchmarks go through the same import as real data."""
    status = sim.weekly_status
    if until_week is not None:
        status = status.filter(pl.col("week") < until_week)
    labels = (
        status.select("iso_year", "iso_week")
        .unique()
        .with_columns(
            (pl.col("iso_year").cast(pl.String) + "-W" + pl.col("iso_week").cast(pl.String).str.zfill(2)).alias(
                "year_week"
            )
        )
    )
    return (
        status.join(sim.citizens.select("citizen_id", "cpr"), on="citizen_id", how="left", maintain_order="left")
        .join(labels, on=["iso_year", "iso_week"], how="left", maintain_order="left")
        .select("cpr", "year_week", pl.col("status").cast(pl.String))
    )


def write(sim: Simulation, out_dir: Path, formats: Sequence[str] = FORMATS) -> list[Path]:
    """Write every table as ``<table>.parquet`` and/or ``<table>.csv`` in ``out_dir``.

    Parameters
    ----------
    sim : Simulation
        The simulation to write.
    out_dir : Path
        Directory, created if missing; existing files of the same names are replaced.
    formats : sequence of str
        Any of ``"parquet"`` and ``"csv"``.

    Returns
    -------
    list of Path
        The written files, table by table in :data:`TABLES` order, formats in the given order, and then
        the register extract (:func:`register_extract`) as ``status_register.<format>``.

    Raises
    ------
    ValueError
        For an unknown format.
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown format(s) {unknown}; expected any of {list(FORMATS)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for name, frame in sim.tables().items():
        for fmt in formats:
            path = out_dir / f"{name}.{fmt}"
            if fmt == "parquet":
                frame.write_parquet(path)
            else:
                frame.write_csv(path)
            paths.append(path)
    extract = register_extract(sim)
    for fmt in formats:
        path = out_dir / f"{REGISTER_EXTRACT}.{fmt}"
        if fmt == "parquet":
            extract.write_parquet(path)
        else:
            extract.write_csv(path, separator=";")  # as Danish Excel and register extracts write it
        paths.append(path)
    return paths
