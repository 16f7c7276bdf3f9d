r"""Time-to-job spells from weekly status, and their counting-process form. Pure polars, no Django.

Definitions
-----------
Weeks are integer indices (consecutive calendar weeks map to consecutive integers). For a person the
*data* run from their first to their last observed week :math:`L`; a week missing inside that range is
treated as **not** in job or education (a gap in a register extract is not evidence of work).

A week is *in job or education* when its category is ``job`` or ``education``
(:data:`jobtro.lib.status_codes.IN_JOB_OR_EDUCATION`). Under the **k-of-n rule** a week :math:`t`
*qualifies* when

- week :math:`t` itself is in job or education (so the event starts with a job/education week and has
  a type), and
- at least :math:`k` of the :math:`n` consecutive weeks :math:`t, \dots, t+n-1` are in job or
  education, and
- all those :math:`n` weeks lie inside the data, :math:`t+n-1 \le L` (a run cut off by the end of the
  data cannot be confirmed, so it is not an event).

:math:`k = n = 1` is "a single week in job or education".

For a measurement in week :math:`m` with horizon :math:`H` weeks, the person is observed for
:math:`O = \max(0, L + 1 - m)` weeks (weeks :math:`m, \dots, L`). With :math:`t^*` the first qualifying
week :math:`\ge m`:

- if :math:`t^*` exists and :math:`t^* - m < \min(H, O)`: ``event`` = 1, ``duration`` =
  :math:`t^* - m`, ``event_type`` = the category of week :math:`t^*`. **An event in the measurement week
  itself has duration 0**: duration counts the whole weeks *before* the event week.
- otherwise ``event`` = 0 and ``duration`` = :math:`\min(H, O)`: censored at the horizon or at the end
  of the data, whichever comes first. Duration then counts the weeks observed without an event.

The first event counts: a return to benefit after the qualifying week does not undo it. Measurements of
a person with no status rows at all get null ``duration``/``event`` (no outcome data).

Counting-process form
---------------------
:func:`counting_process` follows each person from their *first* measurement (week :math:`m_0`) to that
measurement's event or censoring time :math:`D` (so the horizon counts from the first measurement), on
the time scale :math:`s = \text{week} - m_0`. The follow-up is split into rows :math:`(start, stop]` at
every later measurement (wave) and every caseworker change with :math:`0 < s < D`; the covariates of a
row are those in force in week :math:`m_0 + start`: the latest measurement at or before it, the latest
caseworker (from a measurement or a change), and ``changed`` = 1 from the first caseworker change on.
The last row carries the event. A duration-0 event gives the single row :math:`(0, 0]`; tools that need
``start < stop`` can shift both by one (count the event week as at risk).

Everything is vectorised (sorts, group-bys and as-of joins); there are no Python loops over persons.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from jobtro.lib.status_codes import IN_JOB_OR_EDUCATION

_OUTPUT = ("event_week", "duration", "event", "event_type")
# Sorted so the expression is deterministic; is_in works on String, Categorical and Enum columns alike.
_JE = sorted(IN_JOB_OR_EDUCATION)


def _require(frame: pl.DataFrame, name: str, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks column(s): {', '.join(missing)}")


def qualifying_weeks(status: pl.DataFrame, *, k: int = 1, n: int = 1) -> pl.LazyFrame:
    """The weeks that qualify as the start of a job-or-education run under the k-of-n rule.

    Parameters
    ----------
    status : polars.DataFrame
        ``person``, ``week`` (int), ``category`` (str, Categorical or Enum); one row per person and week.
    k, n : int
        At least ``k`` of the ``n`` weeks ``t .. t+n-1`` in job or education, week ``t`` itself in job or
        education and ``t+n-1`` inside the person's data (see the module docstring).

    Returns
    -------
    polars.LazyFrame
        ``person``, ``week`` (Int64), ``category`` (str), sorted by person and week.
    """
    if not 1 <= k <= n:
        raise ValueError(f"need 1 <= k <= n, got k={k}, n={n}")
    # Only the job/education rows are sorted - usually a minority of the panel, and sorting is the cost.
    je = (
        status.lazy()
        .filter(pl.col("category").is_in(_JE))
        .select("person", pl.col("week").cast(pl.Int64), pl.col("category").cast(pl.String))
        .sort("person", "week")
    )
    if n == 1:
        return je
    last = status.lazy().group_by("person").agg(pl.col("week").max().cast(pl.Int64).alias("__last"))
    # Count of job/education weeks in [t, t+n-1] = (row index of the last such week <= t+n-1) - (own row
    # index) + 1, because rows are consecutive job/education weeks of the person; missing weeks and
    # benefit weeks simply are not rows. The as-of join finds that last row per person.
    indexed = je.with_row_index("__idx").with_columns(pl.col("__idx").cast(pl.Int64))
    ends = indexed.select("person", pl.col("week").alias("__end_week"), pl.col("__idx").alias("__idx_end"))
    return (
        indexed.with_columns((pl.col("week") + (n - 1)).alias("__end"))
        .join_asof(
            ends,
            left_on="__end",
            right_on="__end_week",
            by="person",
            strategy="backward",
            check_sortedness=False,  # sorted by (person, week) above; polars cannot check with `by`
        )
        .join(last, on="person", how="left", maintain_order="left")
        .filter((pl.col("__idx_end") - pl.col("__idx") + 1 >= k) & (pl.col("__end") <= pl.col("__last")))
        .select("person", "week", "category")
    )


def first_event(
    status: pl.DataFrame,
    measurements: pl.DataFrame,
    *,
    horizon_weeks: int = 52,
    k: int = 1,
    n: int = 1,
) -> pl.DataFrame:
    """Weeks from each measurement to the first job-or-education run, censored at horizon or end of data.

    Parameters
    ----------
    status : polars.DataFrame
        Weekly status: ``person`` (any id type), ``week`` (int index), ``category`` (str, Categorical or
        Enum of :data:`jobtro.lib.status_codes.CATEGORIES`); at most one row per person and week.
    measurements : polars.DataFrame
        ``person`` (same type as in ``status``), ``measured_week`` (int) and any further columns, which
        are carried through.
    horizon_weeks : int
        :math:`H`, the longest follow-up; default 52.
    k, n : int
        The k-of-n rule: at least ``k`` of ``n`` consecutive weeks in job or education (default a single
        week).

    Returns
    -------
    polars.DataFrame
        The measurements in their original order with ``event_week`` (first qualifying week, null if
        censored), ``duration`` (weeks), ``event`` (1 = job or education, 0 = censored) and
        ``event_type`` (``"job"``/``"education"``, null if censored). See the module docstring for the
        exact definitions.
    """
    _require(status, "status", ("person", "week", "category"))
    _require(measurements, "measurements", ("person", "measured_week"))
    clash = [
        c for c in (*_OUTPUT, *(c for c in measurements.columns if c.startswith("__"))) if c in measurements.columns
    ]
    if clash:
        raise ValueError(f"measurements already has column(s) {', '.join(clash)}")
    if horizon_weeks < 1:
        raise ValueError(f"horizon_weeks must be >= 1, got {horizon_weeks}")
    qualifying = qualifying_weeks(status, k=k, n=n).select(
        "person", pl.col("week").alias("__q_week"), pl.col("category").alias("__q_category")
    )
    last = status.lazy().group_by("person").agg(pl.col("week").max().cast(pl.Int64).alias("__last"))
    week = pl.col("measured_week").cast(pl.Int64)
    observed = (pl.col("__last") + 1 - week).clip(lower_bound=0)
    limit = pl.min_horizontal(observed, pl.lit(horizon_weeks, pl.Int64))
    until = pl.col("__q_week") - week
    is_event = until.is_not_null() & (until < limit)
    result = (
        measurements.lazy()
        .with_row_index("__order")
        .with_columns(week.alias("__m_week"))
        .sort("person", "__m_week")
        .join(last, on="person", how="left", maintain_order="left")
        .join_asof(
            qualifying,
            left_on="__m_week",
            right_on="__q_week",
            by="person",
            strategy="forward",
            check_sortedness=False,  # both sides sorted by (person, week); polars cannot check with `by`
            coalesce=False,
        )
        .with_columns(
            pl.when(is_event).then(pl.col("__q_week")).alias("event_week"),
            pl.when(is_event).then(until).when(pl.col("__last").is_not_null()).then(limit).alias("duration"),
            # Null when the person has no status rows (no outcome data), else 0/1.
            pl.when(pl.col("__last").is_not_null()).then(is_event.cast(pl.Int8)).alias("event"),
            pl.when(is_event).then(pl.col("__q_category")).alias("event_type"),
        )
        .sort("__order")
        .select(*measurements.columns, *_OUTPUT)
    )
    return result.collect()


def _in_force(rows: pl.LazyFrame, history: pl.LazyFrame) -> pl.LazyFrame:
    # Both sides are sorted by (person, __week); polars cannot check sortedness within `by` groups.
    return rows.join_asof(history, on="__week", by="person", strategy="backward", check_sortedness=False)


def counting_process(
    spells: pl.DataFrame,
    changes: pl.DataFrame,
    *,
    covariates: Sequence[str] = ("belief", "caseworker_id"),
) -> pl.DataFrame:
    """Split each person's follow-up from the first measurement into (start, stop] rows.

    Parameters
    ----------
    spells : polars.DataFrame
        The output of :func:`first_event` for *all* measurements: ``person``, ``measured_week``,
        ``duration``, ``event``, ``event_type`` and the ``covariates`` measured. The spell of each
        person's first measurement defines the follow-up; later measurements only change covariates.
        Persons whose first spell has null duration (no outcome data) are left out.
    changes : polars.DataFrame
        Caseworker changes: ``person``, ``change_week`` and optionally ``caseworker_id`` (the new
        caseworker), which then updates ``caseworker_id`` between measurements.
    covariates : sequence of str
        Measurement columns carried as "in force" (latest measurement at or before the row's start).

    Returns
    -------
    polars.DataFrame
        ``person``, ``start``, ``stop`` (weeks since the first measurement; the row covers (start, stop]),
        ``event`` (1 only on the last row of a spell with an event), ``event_type``, the covariates and
        ``changed`` (0/1: on or after the person's first caseworker change), sorted by person and start.
        Per person, the sum of ``stop - start`` equals the first spell's duration and the sum of ``event``
        its event.
    """
    covariates = list(covariates)
    _require(spells, "spells", ("person", "measured_week", "duration", "event", "event_type", *covariates))
    _require(changes, "changes", ("person", "change_week"))
    measured = spells.lazy().with_columns(pl.col("measured_week").cast(pl.Int64)).sort("person", "measured_week")
    base = (
        measured.group_by("person", maintain_order=True)
        .first()
        .filter(pl.col("duration").is_not_null())
        .select(
            "person",
            pl.col("measured_week").alias("__t0"),
            pl.col("duration").cast(pl.Int64).alias("__end"),
            pl.col("event").alias("__event"),
            pl.col("event_type").alias("__type"),
        )
    )
    change_weeks = changes.lazy().select("person", pl.col("change_week").cast(pl.Int64))

    def split_points(frame: pl.LazyFrame, week: str) -> pl.LazyFrame:
        # Times strictly inside the follow-up; 0 and the end are added separately.
        return (
            frame.join(base, on="person", how="inner")
            .select("person", (pl.col(week) - pl.col("__t0")).alias("start"), "__end")
            .filter((pl.col("start") > 0) & (pl.col("start") < pl.col("__end")))
            .select("person", "start")
        )

    points = (
        pl.concat(
            [
                base.select("person", pl.lit(0, pl.Int64).alias("start")),
                base.select("person", pl.col("__end").alias("start")),
                split_points(measured, "measured_week"),
                split_points(change_weeks, "change_week"),
            ]
        )
        .unique()
        .sort("person", "start")
    )
    # Consecutive points of the same person make a row; the shift is global (no per-group window), and
    # the person comparison drops the pair that straddles two persons.
    rows = points.with_columns(
        pl.col("start").shift(-1).alias("stop"), (pl.col("person").shift(-1) == pl.col("person")).alias("__same")
    ).filter(pl.col("__same"))
    zero = base.filter(pl.col("__end") == 0).select(
        "person", pl.lit(0, pl.Int64).alias("start"), pl.lit(0, pl.Int64).alias("stop")
    )
    rows = (
        pl.concat([rows.select("person", "start", "stop"), zero])
        .join(base, on="person", how="inner")
        .with_columns((pl.col("__t0") + pl.col("start")).alias("__week"))
        .sort("person", "__week")
    )
    in_force = measured.select("person", pl.col("measured_week").alias("__week"), *covariates)
    changed_columns = changes.columns
    if "caseworker_id" in covariates and "caseworker_id" in changed_columns:
        # The caseworker is taken from its own history (measurements and changes), latest wins; at the same
        # week a measurement wins over a change (the measurement names who rated the citizen).
        in_force = in_force.drop("caseworker_id")
        caseworker = (
            pl.concat(
                [
                    changes.lazy().select(
                        "person",
                        pl.col("change_week").cast(pl.Int64).alias("__week"),
                        "caseworker_id",
                        pl.lit(0).alias("__prio"),
                    ),
                    measured.select(
                        "person", pl.col("measured_week").alias("__week"), "caseworker_id", pl.lit(1).alias("__prio")
                    ),
                ],
                how="vertical_relaxed",
            )
            .sort("person", "__week", "__prio")
            .unique(["person", "__week"], keep="last", maintain_order=True)
        )
    else:
        caseworker = None
    # Measurements sharing a week: keep the last so the as-of join is deterministic.
    in_force = in_force.unique(["person", "__week"], keep="last", maintain_order=True)
    out = _in_force(rows, in_force)
    if caseworker is not None:
        out = _in_force(out, caseworker.drop("__prio"))
    first_change = change_weeks.group_by("person").agg(pl.col("change_week").min().alias("__first_change"))
    out = (
        out.join(first_change, on="person", how="left")
        .with_columns(
            pl.when((pl.col("stop") == pl.col("__end")) & (pl.col("__event") == 1))
            .then(pl.lit(1, pl.Int8))
            .otherwise(pl.lit(0, pl.Int8))
            .alias("event"),
            pl.when((pl.col("stop") == pl.col("__end")) & (pl.col("__event") == 1))
            .then(pl.col("__type"))
            .alias("event_type"),
            (pl.col("__first_change") <= pl.col("__week")).fill_null(False).cast(pl.Int8).alias("changed"),
        )
        .select("person", "start", "stop", "event", "event_type", *covariates, "changed")
        .sort("person", "start")
    )
    return out.collect()
