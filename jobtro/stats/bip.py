r"""The BIP analysis: does the caseworker's belief predict the citizen's time to job or education?

The Employment Indicator Project's two headline numbers are hazard ratios: one step up on the 5-step
specific belief (about 1.33) and a caseworker who generally believes (about 1.32), with a caseworker
change and the citizen's characteristics as controls. This module builds that analysis dataset from
the tables :mod:`jobtro.stats.simulate` writes (or the same tables from the platform) and fits it.
Pure polars/numpy, no Django.

The dataset (:func:`bip_dataset`)
---------------------------------
Counting-process rows :math:`(start, stop]` on the week scale of the tables: week :math:`t` is the
interval :math:`(t, t+1]`. A citizen is at risk from week 0 until the week they leave benefit
(inclusive) or the end of the data; each wave (a new specific belief) and each caseworker change starts
a new row, with the covariates then in force:

``belief``
    the latest specific belief, centred at 3 (so a hazard ratio is per step); person-time whose latest
    answer is "Ved ikke" is left out (answers are missing at random, and the citizen re-enters at the
    next wave);
``general``
    1 if the caseworker in force generally believes in the citizens' chances;
``changed``
    1 from the citizen's first caseworker change on;
controls
    age (per year), female, target group (the first group is the reference) and :math:`\log_2` of prior
    weeks on benefit over 52.

The event is in the row that contains the exit week.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import polars as pl

BIP_TABLES = ("citizens", "caseworkers", "assignments", "specific_beliefs", "weekly_status")
EFFECTS = ("belief", "general", "changed")
CONTROLS = ("age", "female", "log2_prior")


def read_tables(directory: Path) -> dict[str, pl.DataFrame]:
    """The tables the analysis needs from ``jobtro simulate --out DIR`` (Parquet, else CSV)."""
    tables: dict[str, pl.DataFrame] = {}
    for name in BIP_TABLES:
        parquet, csv = directory / f"{name}.parquet", directory / f"{name}.csv"
        if parquet.exists():
            tables[name] = pl.read_parquet(parquet)
        elif csv.exists():
            tables[name] = pl.read_csv(csv, infer_schema_length=None, schema_overrides={"cpr": pl.String})
        else:
            raise FileNotFoundError(f"{directory} has neither {parquet.name} nor {csv.name}")
    return tables


def bip_dataset(tables: Mapping[str, pl.DataFrame], *, groups: Sequence[str] | None = None) -> pl.DataFrame:
    """Counting-process rows with the BIP covariates (see the module docstring).

    ``groups`` orders the target groups, the first being the reference; by default the most common
    group is the reference and the rest follow by size.

    Returns
    -------
    polars.DataFrame
        ``citizen_id``, ``caseworker_id``, ``start``, ``stop``, ``event`` (bool), ``belief`` (centred),
        ``general``, ``changed``, ``age``, ``female``, ``log2_prior`` and one 0/1 column per non-reference
        target group (``group_1``, ``group_2``, ...), sorted by citizen and start.
    """
    status, citizens = tables["weekly_status"], tables["citizens"]
    weeks = int(status["week"].max()) + 1  # type: ignore[arg-type]
    exits = (
        status.filter(pl.col("status").cast(pl.String) != "benefit")
        .group_by("citizen_id")
        .agg(pl.col("week").min().cast(pl.Int32).alias("exit_week"))
    )
    ends = (
        citizens.select("citizen_id")
        .join(exits, on="citizen_id", how="left")
        .with_columns(
            end=pl.coalesce(pl.col("exit_week") + 1, pl.lit(weeks)).cast(pl.Int32),
            left=pl.col("exit_week").is_not_null(),
        )
    )
    assignments = tables["assignments"]
    first_change = (
        assignments.filter(pl.col("from_week") > 0)
        .group_by("citizen_id")
        .agg(pl.col("from_week").min().cast(pl.Int32).alias("first_change"))
    )
    beliefs = tables["specific_beliefs"].select("citizen_id", pl.col("week").cast(pl.Int32).alias("start"), "belief")
    caseworkers = assignments.select("citizen_id", pl.col("from_week").cast(pl.Int32).alias("start"), "caseworker_id")
    starts = pl.concat([beliefs.select("citizen_id", "start"), caseworkers.select("citizen_id", "start")])
    if groups is None:
        groups = target_groups(citizens)
    rows = (
        starts.unique()
        .join(ends.select("citizen_id", "end", "left"), on="citizen_id")
        .filter(pl.col("start") < pl.col("end"))
        .sort("citizen_id", "start")
        .with_columns(stop=pl.col("start").shift(-1).over("citizen_id"))
        .with_columns(event=pl.col("left") & pl.col("stop").is_null(), stop=pl.coalesce("stop", "end"))
        .join_asof(beliefs.sort("citizen_id", "start"), on="start", by="citizen_id", check_sortedness=False)
        .join_asof(caseworkers.sort("citizen_id", "start"), on="start", by="citizen_id", check_sortedness=False)
        .join(tables["caseworkers"].select("caseworker_id", "generally_believes"), on="caseworker_id")
        .join(first_change, on="citizen_id", how="left")
        .join(citizens, on="citizen_id")
        .filter(pl.col("belief").is_not_null())
    )
    return rows.select(
        "citizen_id",
        "caseworker_id",
        "start",
        "stop",
        "event",
        belief=pl.col("belief").cast(pl.Float64) - 3,
        general=pl.col("generally_believes").cast(pl.Float64),
        changed=(pl.col("start") >= pl.col("first_change")).fill_null(False).cast(pl.Float64),
        age=pl.col("age").cast(pl.Float64),
        female=pl.col("female").cast(pl.Float64),
        log2_prior=(pl.col("prior_weeks_on_benefit").cast(pl.Float64) / 52).log(2),
        **{f"group_{i}": (pl.col("target_group") == g).cast(pl.Float64) for i, g in enumerate(groups) if i > 0},
    ).sort("citizen_id", "start")


def target_groups(citizens: pl.DataFrame) -> list[str]:
    """The target groups, the reference (the most common) first, then by size."""
    sizes = citizens.group_by("target_group").len().sort(["len", "target_group"], descending=[True, False])
    return [str(g) for g in sizes["target_group"].to_list()]


def covariates(rows: pl.DataFrame) -> list[str]:
    """The model's covariates in order: the three effects, then the controls."""
    return [*EFFECTS, *CONTROLS[:2], *sorted(c for c in rows.columns if c.startswith("group_")), CONTROLS[2]]


# --------------------------------------------------------------------------------------------------
# The analysis

LABELS: Final = {
    "belief": "specific belief, one step up (of 5)",
    "general": "caseworker generally believes",
    "changed": "after a caseworker change",
    "age": "age, per year",
    "female": "female",
    "log2_prior": "prior time on benefit, doubled",
}

EXPLANATION: Final = (
    "The population-average hazard ratios compare citizens across all caseworkers (a Cox model with "
    "standard errors robust to clustering by caseworker); the within-caseworker ones compare citizens of "
    "the same caseworker (a shared gamma frailty per caseworker). Caseworkers differ in how effective they "
    "are in ways no variable records, and averaging over those differences pulls every hazard ratio "
    "towards 1: a hazard ratio is not collapsible. So the population-average effects are a little smaller "
    "than the within-caseworker ones - with a frailty variance of 0.2, one step of specific belief is "
    "about 1.31 on average when it is 1.33 within a caseworker. Both are right; they answer different "
    "questions (what a citizen can expect anywhere, and what the belief means for a given caseworker)."
)


@dataclass(frozen=True)
class BipEffect:
    """One row of the BIP table: a covariate's hazard ratio, population-average and within-caseworker."""

    name: str
    label: str
    hr: float
    ci_low: float
    ci_high: float
    hr_within: float | None
    ci_low_within: float | None
    ci_high_within: float | None


@dataclass(frozen=True)
class BipResult:
    """The BIP analysis: the population-average fit (cluster-robust Cox) and, when fitted, the
    within-caseworker one (gamma frailty), on the same counting-process rows."""

    effects: tuple[BipEffect, ...]
    rows: int
    citizens: int
    events: int
    caseworkers: int
    theta: float | None  # the frailty variance, when the within-caseworker model was fitted
    within_converged: bool | None
    reference_group: str  # the target group the others are compared with
    population: Any
    within: Any | None

    @property
    def explanation(self) -> str:
        return EXPLANATION

    def table(self) -> pl.DataFrame:
        return pl.DataFrame([e.__dict__ for e in self.effects])

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "citizens": self.citizens,
            "events": self.events,
            "caseworkers": self.caseworkers,
            "theta": self.theta,
            "reference_group": self.reference_group,
            "within_converged": self.within_converged,
            "effects": {e.name: {k: v for k, v in e.__dict__.items() if k != "name"} for e in self.effects},
        }


def bip_analysis(
    tables: Mapping[str, pl.DataFrame], *, within: bool = True, groups: Sequence[str] | None = None
) -> BipResult:
    """The seed's analysis in one call: hazard ratios of specific belief (per step), general belief and a
    caseworker change, with controls; population-average (Cox, Efron ties, standard errors robust to
    clustering by caseworker) and, with ``within``, within-caseworker (Cox with a shared gamma frailty
    per caseworker). See :data:`EXPLANATION` for why the two differ."""
    from jobtro.stats.cox import fit_cox

    groups = list(groups) if groups is not None else target_groups(tables["citizens"])
    rows = bip_dataset(tables, groups=groups)
    x = covariates(rows)
    population = fit_cox(rows, time="stop", event="event", start="start", x=x, cluster="caseworker_id")
    within_fit = None
    if within:
        from jobtro.stats.frailty import fit_cox_frailty

        # 30 outer steps for theta, as coxph.control(outer.max = 30): R's default of 10 can stop short of
        # the maximum on large data (jobtro.stats.frailty); whether it converged is reported.
        within_fit = fit_cox_frailty(
            rows, time="stop", event="event", start="start", x=x, group="caseworker_id", outer_max=30
        )
    ci = population.conf_int()
    ci_within = within_fit.conf_int() if within_fit is not None else None
    effects = []
    for i, name in enumerate(x):
        label = LABELS.get(name) or f"target group: {groups[int(name.split('_')[1])]}"
        effects.append(
            BipEffect(
                name=name,
                label=label,
                hr=float(np.exp(population.params[i])),
                ci_low=float(ci[i, 0]),
                ci_high=float(ci[i, 1]),
                hr_within=None if within_fit is None else float(np.exp(within_fit.params[i])),
                ci_low_within=None if ci_within is None else float(ci_within[i, 0]),
                ci_high_within=None if ci_within is None else float(ci_within[i, 1]),
            )
        )
    return BipResult(
        effects=tuple(effects),
        rows=rows.height,
        citizens=rows["citizen_id"].n_unique(),
        events=int(rows["event"].sum()),
        caseworkers=rows["caseworker_id"].n_unique(),
        theta=None if within_fit is None else float(within_fit.theta),
        reference_group=groups[0],
        within_converged=None if within_fit is None else bool(within_fit.converged),
        population=population,
        within=within_fit,
    )
