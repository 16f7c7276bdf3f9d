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
from pathlib import Path

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
        sizes = citizens.group_by("target_group").len().sort(["len", "target_group"], descending=[True, False])
        groups = sizes["target_group"].to_list()
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


def covariates(rows: pl.DataFrame) -> list[str]:
    """The model's covariates in order: the three effects, then the controls."""
    return [*EFFECTS, *CONTROLS[:2], *sorted(c for c in rows.columns if c.startswith("group_")), CONTROLS[2]]
