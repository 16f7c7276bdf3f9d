r"""The live BIP dataset: the database meets dataframes here.

From the project's latest :class:`~jobtro.outcomes.models.SpellBuild` (its counting-process rows, built
by jobtro.outcomes.spells from the belief answers, caseworker assignments and outcome data) joined with
the citizens' covariates and the caseworkers' general belief in force. Vectorised polars throughout.

Time scale and rows
-------------------
A spell build's row ``(start, stop]`` counts whole weeks since the citizen's first measurement; the row
covers weeks ``start .. stop-1`` and, when it carries the event, the event week ``stop`` too (a
duration-0 event is the row ``(0, 0]``). Week :math:`w` is read as the interval :math:`(w, w+1]`, so a
row at risk for the event week gets ``stop + event``: a censored row ``(a, b]`` is at risk for events
in weeks ``a .. b-1``, an event row ``(a, D]`` becomes ``(a, D+1]`` with its event in week ``D``.
Rows of zero length (censored in the week of the first measurement) are dropped.

Covariates of a row
-------------------
``belief``
    the specific belief in force, centred at 3 (so a hazard ratio is per step); rows whose belief in
    force is "Ved ikke" are dropped and counted (the citizen re-enters at the next answer);
``general``
    1 when the caseworker in force answered "Ja" to the general item: their latest answer at or before
    the row's calendar week, else their nearest later answer (a stable trait measured every wave);
    rows of a caseworker who never answered are dropped and counted;
``changed``
    1 from the citizen's first caseworker change on (from the build);
controls
    ``age`` (years, calendar year of the first measurement minus birth year), ``female``, one 0/1 column
    per target group but the most common (the reference), and ``log2_prior`` =
    :math:`\log_2(\max(1, \text{prior weeks on benefit})/52)` - left out of the model when no citizen has
    prior weeks recorded; when only some have, the rows of those without are dropped and counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl
from django.db.models import QuerySet

from jobtro.measurement.models import Answer, Citizen
from jobtro.organisation.models import Project
from jobtro.outcomes.models import SpellBuild
from jobtro.outcomes.spells import counting_of, spells_of
from jobtro.stats.bip import target_groups

GENERAL_ITEM = "general_believes"
EFFECTS = ("belief", "general", "changed")
EPOCH = date(1970, 1, 5)  # week index 0 (jobtro.lib.outcome_files.week_index counts from this Monday)


class DatasetError(ValueError):
    """The data cannot make the dataset (no spell build yet, no outcomes, no answers); said in words."""


@dataclass(frozen=True)
class BipDataset:
    """The counting-process rows with covariates, the first spell per citizen (for Kaplan-Meier) and the
    bookkeeping the result reports."""

    build: SpellBuild
    rows: pl.DataFrame  # citizen_id, caseworker_id, municipality, week0, start, stop, event, covariates
    spells: pl.DataFrame  # one per citizen: citizen_id, municipality, belief (1..5), time, event
    covariates: list[str]
    groups: list[str]  # target groups, reference first
    dropped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def counts(self, rows: pl.DataFrame | None = None) -> dict[str, int]:
        frame = self.rows if rows is None else rows
        return {
            "rows": frame.height,
            "citizens": frame["citizen_id"].n_unique() if frame.height else 0,
            "events": int(frame["event"].sum()) if frame.height else 0,
            "caseworkers": frame["caseworker_id"].n_unique() if frame.height else 0,
        }


def frame_of(rows: QuerySet[Any, Any], schema: Mapping[str, Any]) -> pl.DataFrame:
    """A ``values_list`` query as a data frame with these columns, read from the database in chunks."""
    return pl.DataFrame(list(rows.iterator(chunk_size=5000)), schema=schema, orient="row")


def latest_build(project: Project) -> SpellBuild | None:
    """The project's latest spell build with its data (SpellBuild orders newest first)."""
    return SpellBuild.objects.filter(project=project).first()


def _citizens(project: Project) -> pl.DataFrame:
    codes = list(project.participations.values_list("municipality_id", flat=True))
    rows = Citizen.objects.filter(municipality_id__in=codes).values_list(
        "pk", "pseudonym", "municipality_id", "birth_year", "female", "target_group", "prior_weeks_on_benefit"
    )
    return frame_of(
        rows,
        {
            "citizen_id": pl.Int64,
            "person": pl.String,
            "municipality": pl.String,
            "birth_year": pl.Int32,
            "female": pl.Boolean,
            "target_group": pl.String,
            "prior_weeks": pl.Int64,
        },
    )


def general_answers(project: Project) -> pl.DataFrame:
    """caseworker_id, wave, week (calendar week index), general (0/1): the answer in force per wave and
    caseworker (the latest received), "Ved ikke" and missing values left out."""
    rows = (
        Answer.objects.filter(wave__project=project, item__key=GENERAL_ITEM, dont_know=False, value__isnull=False)
        .order_by()
        .values_list("caseworker_id", "wave__number", "received_at", "value", "pk")
    )
    frame = frame_of(
        rows,
        {
            "caseworker_id": pl.Int64,
            "wave": pl.Int64,
            "received_at": pl.Datetime("us", "UTC"),
            "value": pl.Int64,
            "pk": pl.Int64,
        },
    )
    from django.utils import timezone

    local = timezone.get_current_timezone_name()
    return (
        frame.sort("received_at", "pk")
        .unique(["wave", "caseworker_id"], keep="last", maintain_order=True)
        .with_columns(pl.col("received_at").dt.convert_time_zone(local).dt.date().alias("on"))
        .select(
            "caseworker_id",
            "wave",
            ((pl.col("on") - pl.lit(EPOCH)).dt.total_days() // 7).cast(pl.Int64).alias("week"),
            (pl.col("value") > 0).cast(pl.Float64).alias("general"),
        )
        .sort("caseworker_id", "week")
    )


def general_in_force(rows: pl.DataFrame, answers: pl.DataFrame, *, week: str = "__week") -> pl.Series:
    """Per row: the caseworker's latest general answer at or before ``week``, else their nearest later
    one, else null."""
    keyed = rows.select(pl.int_range(pl.len()).alias("__i"), "caseworker_id", pl.col(week).cast(pl.Int64))
    keyed = keyed.sort("caseworker_id", week)
    history = answers.select("caseworker_id", pl.col("week").alias(week), "general").sort("caseworker_id", week)
    before = keyed.join_asof(history, on=week, by="caseworker_id", strategy="backward", check_sortedness=False).rename(
        {"general": "__before"}
    )
    after = before.join_asof(history, on=week, by="caseworker_id", strategy="forward", check_sortedness=False).rename(
        {"general": "__after"}
    )
    return after.sort("__i").select(pl.coalesce("__before", "__after").alias("general"))["general"]


def bip_dataset(project: Project) -> BipDataset:
    """The live BIP dataset of the project (see the module docstring)."""
    build = latest_build(project)
    if build is None:
        raise DatasetError("no spells have been built yet (jobtro build-spells)")
    counting = counting_of(build)
    spells = spells_of(build)
    if counting.height == 0 or int(counting["event"].sum() or 0) == 0:
        raise DatasetError("the spells have no job or education events yet")
    citizens = _citizens(project)
    if citizens.height == 0:
        raise DatasetError("the project has no citizens")
    notes: list[str] = []
    dropped: dict[str, int] = {}

    # Each person's follow-up starts at their first measurement (as the build's counting rows do).
    first = spells.group_by("person").agg(
        pl.col("measured_week").min().cast(pl.Int64).alias("week0"), pl.col("measured_on").min().alias("first_on")
    )
    rows = (
        counting.join(first, on="person", how="inner")
        .join(citizens, on="person", how="inner")
        .with_columns(
            pl.col("start").cast(pl.Int64),
            (pl.col("stop").cast(pl.Int64) + pl.col("event").cast(pl.Int64)).alias("stop"),
            pl.col("event").cast(pl.Int8),
        )
        .filter(pl.col("stop") > pl.col("start"))
        .with_columns((pl.col("week0") + pl.col("start")).alias("__week"))
    )
    before = rows.height
    rows = rows.filter(pl.col("belief").is_not_null())
    dropped["dont_know"] = before - rows.height

    answers = general_answers(project)
    rows = rows.with_columns(general_in_force(rows, answers))
    before = rows.height
    rows = rows.filter(pl.col("general").is_not_null())
    dropped["no_general_belief"] = before - rows.height

    groups = target_groups(citizens.select("target_group"))
    has_prior = citizens["prior_weeks"].null_count() < citizens.height
    if has_prior:
        before = rows.height
        rows = rows.filter(pl.col("prior_weeks").is_not_null())
        dropped["no_prior_weeks"] = before - rows.height
    else:
        notes.append("no_prior_weeks")  # the control is left out: no citizen has prior weeks recorded
    rows = rows.select(
        "citizen_id",
        pl.col("caseworker_id").cast(pl.Int64),
        "municipality",
        "week0",
        "start",
        "stop",
        "event",
        belief=pl.col("belief").cast(pl.Float64) - 3,
        general=pl.col("general"),
        changed=pl.col("changed").cast(pl.Float64),
        age=(pl.col("first_on").dt.year() - pl.col("birth_year")).cast(pl.Float64),
        female=pl.col("female").cast(pl.Float64),
        log2_prior=(pl.col("prior_weeks").clip(lower_bound=1).cast(pl.Float64) / 52).log(2),
        **{f"group_{i}": (pl.col("target_group") == g).cast(pl.Float64) for i, g in enumerate(groups) if i > 0},
    ).sort("citizen_id", "start")
    group_columns = [f"group_{i}" for i in range(1, len(groups)) if rows[f"group_{i}"].sum() > 0]
    covariates = [*EFFECTS, "age", "female", *group_columns, *(["log2_prior"] if has_prior else [])]
    if not has_prior:
        rows = rows.drop("log2_prior")

    # The observed curves: each citizen's first measurement with a belief, on the same time scale.
    first_known = (
        spells.filter(pl.col("belief").is_not_null() & pl.col("duration").is_not_null())
        .sort("person", "measured_week")
        .unique("person", keep="first", maintain_order=True)
        .join(citizens.select("person", "citizen_id", "municipality"), on="person", how="inner")
        .select(
            "citizen_id",
            "municipality",
            pl.col("belief").cast(pl.Int64),
            (pl.col("duration").cast(pl.Int64) + pl.col("event").cast(pl.Int64)).alias("time"),
            pl.col("event").cast(pl.Int64),
        )
        .filter(pl.col("time") > 0)
    )
    return BipDataset(
        build=build,
        rows=rows,
        spells=first_known,
        covariates=covariates,
        groups=groups,
        dropped=dropped,
        notes=notes,
    )


def describe(data: BipDataset) -> dict[str, Any]:
    """The dataset's definition and counts, as the result stores them."""
    return {
        "definition": {
            "k": data.build.k,
            "n": data.build.n,
            "horizon_weeks": data.build.horizon_weeks,
            "spell_build": data.build.pk,
        },
        "n": data.counts(),
        "dropped": data.dropped,
    }
