"""`jobtro build-spells`: from the belief measurements and the outcome data to the spells every analysis
uses - for each measurement the weeks until the first job-or-education week (or censoring), and each
person's follow-up split at later waves and caseworker changes (counting-process form).

The definitions are in :mod:`jobtro.stats.spells`; this module gathers the inputs from the database
and stores the result as a :class:`SpellBuild` (Parquet in the database, like the outcome data).

Inputs
------
- **Measurements**: the specific-belief answers in force (the latest received per wave, caseworker and
  citizen), each measured in the ISO week of the day it was given; "Ved ikke" is a measurement with
  ``belief`` null. Citizens appear by pseudonym only.
- **Weekly status**: every status store of the project; where two scopes hold the same person-week,
  the most recently updated store wins.
- **Events** (for municipalities that deliver start dates instead of weekly status): an event file has
  no end dates, so an event's kind lasts from its week until the person's next event or the end of
  data, and every citizen of the municipality is observed up to the store's end of data
  (``covers_until``). An event file thus gives the spells of a register in which job and education,
  once started, last - and a measurement taken after a job started has duration 0, as it would have
  from weekly status. (Two events in one week: job before education, alphabetically.)
  A person with both weekly status and events is taken from the weekly status.
- **Caseworker changes**: every caseworker assignment after a citizen's first.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import polars as pl
from django.db import transaction
from django.utils import timezone

from jobtro.audit.actions import record
from jobtro.audit.models import AuditEvent
from jobtro.lib.outcome_files import Panel, merge_status, week_index
from jobtro.lib.status_codes import StatusMapping
from jobtro.measurement.models import Answer, CaseworkerAssignment, Citizen
from jobtro.organisation.models import Project, Staff
from jobtro.outcomes.imports import project_mapping, stored_events, stored_panel
from jobtro.outcomes.models import Kind, OutcomeImport, OutcomeStore, SpellBuild
from jobtro.stats.spells import counting_process, first_event

SPECIFIC_BELIEF = "specific_belief"
STEPS = ("measurements", "status", "events", "spells", "counting", "save")

SPELL_COLUMNS = (
    "person",
    "citizen_id",
    "wave",
    "caseworker_id",
    "measured_on",
    "measured_week",
    "belief",
    "dont_know",
    "event_week",
    "duration",
    "event",
    "event_type",
)


class SpellError(ValueError):
    """The spells cannot be built (a stored status code the mapping no longer knows)."""


@dataclass(frozen=True)
class Definition:
    """How an event is defined: at least ``k`` of ``n`` consecutive weeks in job or education, followed
    for at most ``horizon_weeks`` weeks."""

    k: int = 1
    n: int = 1
    horizon_weeks: int = 52

    def __post_init__(self) -> None:
        if not 1 <= self.k <= self.n:
            raise ValueError(f"need 1 <= k <= n, got k={self.k}, n={self.n}")
        if not 1 <= self.horizon_weeks <= 520:
            raise ValueError(f"the horizon must be 1-520 weeks, got {self.horizon_weeks}")


def measurements(project: Project) -> pl.DataFrame:
    """The specific-belief measurements in force: person (pseudonym), citizen_id, wave (number),
    caseworker_id, measured_on, measured_week, belief (null for "Ved ikke"), dont_know."""
    rows = (
        Answer.objects.filter(wave__project=project, item__key=SPECIFIC_BELIEF, citizen__isnull=False)
        .order_by()
        .values_list(
            "citizen_id",
            "citizen__pseudonym",
            "wave__number",
            "caseworker_id",
            "received_at",
            "value",
            "dont_know",
            "id",
        )
    )
    schema: dict[str, pl.DataType] = {
        "citizen_id": pl.Int64(),
        "person": pl.String(),
        "wave": pl.Int64(),
        "caseworker_id": pl.Int64(),
        "received_at": pl.Datetime("us", "UTC"),
        "belief": pl.Int8(),
        "dont_know": pl.Boolean(),
        "id": pl.Int64(),
    }
    frame = pl.DataFrame(list(rows.iterator(chunk_size=5000)), schema=schema, orient="row")
    local = timezone.get_current_timezone_name()
    return (
        frame.sort("received_at", "id")
        .unique(["wave", "caseworker_id", "citizen_id"], keep="last", maintain_order=True)
        .with_columns(pl.col("received_at").dt.convert_time_zone(local).dt.date().alias("measured_on"))
        .with_columns(
            ((pl.col("measured_on") - pl.lit(date(1970, 1, 5))).dt.total_days() // 7)
            .cast(pl.Int32)
            .alias("measured_week")
        )
        .select("person", "citizen_id", "wave", "caseworker_id", "measured_on", "measured_week", "belief", "dont_know")
        .sort("citizen_id", "measured_on", "wave")
    )


def caseworker_changes(project: Project) -> pl.DataFrame:
    """person (pseudonym), change_week, caseworker_id: every assignment after a citizen's first, for the
    citizens of the project's municipalities."""
    rows = (
        CaseworkerAssignment.objects.filter(citizen__municipality__projects=project)
        .order_by()
        .values_list("citizen__pseudonym", "caseworker_id", "start", "id")
    )
    frame = pl.DataFrame(
        list(rows.iterator(chunk_size=5000)),
        schema={"person": pl.String, "caseworker_id": pl.Int64, "start": pl.Date, "id": pl.Int64},
        orient="row",
    )
    return (
        frame.sort("person", "start", "id")
        .filter(pl.col("person") == pl.col("person").shift(1))  # not the first assignment
        .select(
            "person",
            ((pl.col("start") - pl.lit(date(1970, 1, 5))).dt.total_days() // 7).cast(pl.Int32).alias("change_week"),
            "caseworker_id",
        )
    )


def _status(project: Project, mapping: StatusMapping) -> tuple[pl.Series, pl.DataFrame]:
    """(persons, categorised status with person = position in persons) over all status stores."""
    panel: Panel | None = None
    for store in OutcomeStore.objects.filter(project=project, kind=Kind.STATUS).order_by("updated_at", "pk"):
        stored = stored_panel(store)
        if stored is not None:
            panel = stored if panel is None else merge_status(panel, stored)[0]
    if panel is None:
        panel = Panel.empty()
    try:
        return panel.persons, panel.categorised(mapping)
    except KeyError as exc:
        raise SpellError("stored status codes the project's mapping does not know: " + ", ".join(exc.args[0])) from None


def _event_weeks(project: Project, definition: Definition) -> pl.DataFrame:
    """person (pseudonym), week, category synthesised from the event stores (see the module docstring)."""
    frames = []
    for store in OutcomeStore.objects.filter(project=project, kind=Kind.EVENTS, covers_until__isnull=False):
        assert store.covers_until is not None
        last = week_index(store.covers_until)
        events = stored_events(store)
        if events is not None and events.height:
            # An event has no end date: its kind lasts until the person's next event or the end of data.
            frames.append(
                events.filter(pl.col("week") <= last)
                .sort("person", "week", "kind")
                .unique(["person", "week"], keep="first", maintain_order=True)
                .with_columns(pl.col("week").shift(-1).over("person").fill_null(last + 1).alias("__until"))
                .select(
                    "person",
                    pl.int_ranges("week", "__until", dtype=pl.Int32).alias("week"),
                    pl.col("kind").alias("category"),
                )
                .explode("week")
            )
        citizens = Citizen.objects.filter(municipality_id=store.municipality_id).values_list("pseudonym", flat=True)
        observed = pl.DataFrame({"person": list(citizens)}, schema={"person": pl.String})
        if events is not None:
            observed = pl.concat([observed, events.select("person")]).unique()
        # The end of data: a week that is neither job nor education, so every citizen is followed to it.
        frames.append(observed.with_columns(pl.lit(last, pl.Int32).alias("week"), pl.lit("other").alias("category")))
    if not frames:
        return pl.DataFrame(schema={"person": pl.String, "week": pl.Int32, "category": pl.String})
    # Sorted so that of two rows for one person-week the job/education row is kept, not the end-of-data row.
    return (
        pl.concat(frames, how="vertical_relaxed")
        .with_columns((pl.col("category") == "other").alias("__end"))
        .sort("person", "week", "__end")
        .unique(["person", "week"], keep="first", maintain_order=True)
        .drop("__end")
    )


def build_spells(
    project: Project,
    definition: Definition | None = None,
    *,
    user: Staff | None = None,
    progress: Callable[[str], None] | None = None,
) -> SpellBuild:
    """Build and store the spells and the counting-process rows of every measurement of the project."""
    definition = definition or Definition()
    step = progress or (lambda _name: None)
    step("measurements")
    measured = measurements(project)
    changes = caseworker_changes(project)
    step("status")
    persons, status = _status(project, project_mapping(project))
    step("events")
    events = _event_weeks(project, definition)
    # One integer id per person: the status panel's pid, then new ids for persons known only from events
    # or only from measurements (who get no outcome: null duration).
    known = pl.DataFrame({"person": persons, "pid": pl.int_range(len(persons), dtype=pl.Int64, eager=True)})
    others = (
        pl.concat([events.select("person"), measured.select("person"), changes.select("person")])
        .unique()
        .join(known, on="person", how="anti")
        .sort("person")
    )
    ids = pl.concat([known, others.with_columns((pl.int_range(pl.len(), dtype=pl.Int64) + len(persons)).alias("pid"))])
    if events.height:
        from_events = (
            events.join(ids, on="person", how="left")
            .select(pl.col("pid").alias("person"), "week", "category")
            .join(status.select("person").unique(), on="person", how="anti")  # weekly status wins
        )
        status = pl.concat([status.with_columns(pl.col("person").cast(pl.Int64)), from_events], how="vertical_relaxed")
    else:
        status = status.with_columns(pl.col("person").cast(pl.Int64))
    to_pid = {"person": "pseudonym"}
    measured_ids = measured.rename(to_pid).join(ids.rename(to_pid), on="pseudonym", how="left", maintain_order="left")
    step("spells")
    spells = first_event(
        status,
        measured_ids.rename({"pid": "person"}),
        horizon_weeks=definition.horizon_weeks,
        k=definition.k,
        n=definition.n,
    )
    step("counting")
    change_ids = changes.rename(to_pid).join(ids.rename(to_pid), on="pseudonym", how="left").rename({"pid": "person"})
    counting = counting_process(spells, change_ids.drop("pseudonym"), covariates=("belief", "caseworker_id", "wave"))
    pseudonyms = ids.select(pl.col("pid").alias("person"), pl.col("person").alias("pseudonym"))
    spells_out = spells.drop("person").rename({"pseudonym": "person"}).select(SPELL_COLUMNS)
    counting_out = (
        counting.join(pseudonyms, on="person", how="left", maintain_order="left")
        .drop("person")
        .rename({"pseudonym": "person"})
        .select("person", "start", "stop", "event", "event_type", "belief", "caseworker_id", "wave", "changed")
    )
    step("save")
    with_outcome = spells_out.filter(pl.col("duration").is_not_null())
    buffers = io.BytesIO(), io.BytesIO()
    spells_out.write_parquet(buffers[0])
    counting_out.write_parquet(buffers[1])
    with transaction.atomic():
        build = SpellBuild.objects.create(
            project=project,
            k=definition.k,
            n=definition.n,
            horizon_weeks=definition.horizon_weeks,
            measurements=spells_out.height,
            with_outcome=with_outcome.height,
            events=int(with_outcome["event"].sum() or 0),
            persons=spells_out["person"].n_unique(),
            caseworker_changes=changes.height,
            counting_rows=counting_out.height,
            spells_parquet=buffers[0].getvalue(),
            counting_parquet=buffers[1].getvalue(),
            sources=list(
                OutcomeImport.objects.filter(store__project=project).order_by("pk").values_list("pk", flat=True)
            ),
            built_by=user,
        )
        record(
            AuditEvent.Action.BULK,
            build,
            detail={
                "k": definition.k,
                "n": definition.n,
                "horizon_weeks": definition.horizon_weeks,
                "measurements": build.measurements,
                "events": build.events,
                "counting_rows": build.counting_rows,
            },
        )
    return build


def spells_of(build: SpellBuild) -> pl.DataFrame:
    return pl.read_parquet(io.BytesIO(bytes(build.spells_parquet)))


def counting_of(build: SpellBuild) -> pl.DataFrame:
    return pl.read_parquet(io.BytesIO(bytes(build.counting_parquet)))
