"""The pandas peer of ``bench/outcomes_national.py``: the national outcome pipeline as a competent analyst
would write it in plain pandas, step for step the same as jobtro's (import a weekly status file, store
it, re-import it, spells, counting process) and giving the same results.

"Straightforward" means idiomatic pandas without tricks: ``read_parquet``/``read_csv(dtype=str)``, the
CPR numbers checked (:func:`jobtro.lib.cpr.parse`) and pseudonymised once per distinct value and
``.map``-ped onto the rows, the week labels parsed once per distinct label and ``.map``-ped,
``sort_values``, ``duplicated``, an outer ``merge`` with ``indicator`` for the re-import, and
``to_parquet``. The store keeps the pseudonym as a string column (no integer person ids).

Spells: the first job/education week at or after each measurement is found with a
``groupby("person").apply`` over each person's measurements (vectorised within the person with
``numpy.searchsorted``: about two minutes nationally, so the truly naive form is not needed).
:func:`first_event_asof` does the same with one ``merge_asof`` - what a pandas expert would write - and
is timed beside it (not in the total). The counting-process split is vectorised: split points,
``groupby().shift``, and ``merge_asof`` for the covariates in force. Only k = n = 1 (a single week in
job or education) is implemented, which is what the benchmark uses.

Needs pyarrow (``read_parquet``/``to_parquet``; with it pandas 3 also stores strings in Arrow, its
fast string type). pyarrow is a development dependency for the benchmarks only.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from jobtro.lib import cpr as cprlib
from jobtro.lib.status_codes import IN_JOB_OR_EDUCATION, StatusMapping

EPOCH = date(1970, 1, 5)  # the Monday of week index 0, as in jobtro.lib.outcome_files
YEAR_WEEK = re.compile(r"([0-9]{4})\s*[-/ ]?\s*[wW]?\s*([0-9]{1,2})")
JE = sorted(IN_JOB_OR_EDUCATION)


def week_of_label(label: str) -> int:
    """``2025-W07`` -> weeks since 5 January 1970; ValueError if not an ISO week."""
    match = YEAR_WEEK.fullmatch(label.strip())
    if match is None:
        raise ValueError(label)
    return (date.fromisocalendar(int(match[1]), int(match[2]), 1) - EPOCH).days // 7


def week_of_date(day: date) -> int:
    return (day - EPOCH).days // 7


# --- import ---------------------------------------------------------------------------------------


def read_status(
    path: Path,
    mapping: StatusMapping,
    pseudonymise: Callable[[str], str],
    step: Callable[[str], None],
) -> pd.DataFrame:
    """The weekly status file as a panel: ``person`` (pseudonym), ``week`` (index), ``code``, sorted by
    person and week. Raises ValueError on the first kind of problem found (jobtro lists them all)."""
    step("read")
    if path.suffix == ".parquet":
        df = pd.read_parquet(path)
    else:
        df = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)

    step("check")
    pseudonym = {}
    bad = []
    for value in df["cpr"].unique():
        try:
            pseudonym[value] = pseudonymise(cprlib.parse(value.strip()).number)
        except cprlib.CPRError:
            bad.append(value)
    if bad:
        raise ValueError(f"{len(bad)} invalid CPR number(s)")
    week = {}
    for label in df["year_week"].unique():
        try:
            week[label] = week_of_label(label)
        except ValueError:
            bad.append(label)
    if bad:
        raise ValueError(f"{len(bad)} invalid week(s)")
    unknown = mapping.unknown_codes(df["status"].unique())
    if unknown:
        raise ValueError(f"unknown status code(s): {unknown}")

    step("link")
    df["person"] = df["cpr"].map(pseudonym)
    df["week"] = df["year_week"].map(week)
    df["code"] = df["status"].str.strip()
    panel = df[["person", "week", "code"]]

    step("sort")
    panel = panel.sort_values(["person", "week"], kind="stable", ignore_index=True)
    duplicates = panel.duplicated(["person", "week"])
    if duplicates.any():
        raise ValueError(f"{int(duplicates.sum())} repeated person-week(s)")
    return panel


def merge_status(stored: pd.DataFrame | None, extract: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """The stored panel after ``extract`` replaces the person-weeks it overlaps, and the counts."""
    if stored is None or stored.empty:
        return extract, {"added": len(extract), "changed": 0, "unchanged": 0}
    both = stored.merge(extract, on=["person", "week"], how="outer", suffixes=("_old", ""), indicator=True)
    added = int((both["_merge"] == "right_only").sum())
    changed = int(((both["_merge"] == "both") & (both["code_old"] != both["code"])).sum())
    counts = {"added": added, "changed": changed, "unchanged": len(extract) - added - changed}
    if added == 0 and changed == 0:
        return stored, counts
    both["code"] = both["code"].fillna(both["code_old"])
    merged = both[["person", "week", "code"]].sort_values(["person", "week"], ignore_index=True)
    return merged, counts


def to_parquet(panel: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    panel.to_parquet(buffer, index=False)
    return buffer.getvalue()


def from_parquet(data: bytes) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(data))


# --- spells ---------------------------------------------------------------------------------------


def measurements_and_changes(
    data: Path, start: date, pseudonymise: Callable[[str], str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Specific beliefs with ``person`` (pseudonym) and ``measured_week``; caseworker changes (every
    assignment after a citizen's first) with ``person``, ``change_week`` and ``caseworker_id``."""
    citizens = pd.read_parquet(data / "citizens.parquet", columns=["citizen_id", "cpr"])
    citizens["person"] = citizens["cpr"].map(pseudonymise)
    first = week_of_date(start)
    beliefs = pd.read_parquet(data / "specific_beliefs.parquet")
    measurements = beliefs.merge(citizens[["citizen_id", "person"]], on="citizen_id", how="left")
    measurements["measured_week"] = measurements["week"].astype("int64") + first
    assignments = pd.read_parquet(data / "assignments.parquet")
    later = assignments[assignments.duplicated("citizen_id", keep="first")]
    changes = later.merge(citizens[["citizen_id", "person"]], on="citizen_id")
    changes["change_week"] = changes["from_week"].astype("int64") + first
    return measurements, changes[["person", "change_week", "caseworker_id"]]


def _categorised(panel: pd.DataFrame, mapping: StatusMapping) -> pd.DataFrame:
    return panel.assign(category=panel["code"].map(mapping.as_dict()))


def _finish(measurements: pd.DataFrame, q_week: pd.Series, q_type: pd.Series, last: pd.Series, horizon: int):
    """The spell columns from the first qualifying week (NaN: none) and each person's last week."""
    m = measurements["measured_week"]
    observed = (last + 1 - m).clip(lower=0)
    limit = np.minimum(observed, horizon)
    until = q_week - m
    is_event = until.notna() & (until < limit)
    has_data = last.notna()
    out = measurements.copy()
    out["event_week"] = q_week.where(is_event)
    out["duration"] = until.where(is_event, limit.where(has_data))
    out["event"] = is_event.astype("float64").where(has_data)
    out["event_type"] = q_type.where(is_event)
    return out


def first_event(
    panel: pd.DataFrame, measurements: pd.DataFrame, mapping: StatusMapping, horizon_weeks: int = 52
) -> pd.DataFrame:
    """Weeks from each measurement to the first job/education week (as
    :func:`jobtro.stats.spells.first_event` with k = n = 1), by a groupby-apply over persons."""
    status = _categorised(panel, mapping)
    last = status.groupby("person")["week"].max()
    je = status[status["category"].isin(JE)]
    je_weeks = je.groupby("person")["week"].apply(np.asarray)
    je_types = je.groupby("person")["category"].apply(np.asarray)

    def person_spells(group: pd.DataFrame) -> pd.DataFrame:
        person = group.name
        weeks = je_weeks.get(person, np.empty(0, dtype=np.int64))
        types = je_types.get(person, np.empty(0, dtype=object))
        at = np.searchsorted(weeks, group["measured_week"].to_numpy())
        found = at < len(weeks)
        q_week = np.full(len(group), np.nan)
        q_type = np.full(len(group), None, dtype=object)
        q_week[found] = weeks[at[found]]
        q_type[found] = types[at[found]]
        return pd.DataFrame({"q_week": q_week, "q_type": q_type}, index=group.index)

    found = measurements.groupby("person", group_keys=False)[["measured_week"]].apply(person_spells)
    found = found.reindex(measurements.index)
    return _finish(measurements, found["q_week"], found["q_type"], measurements["person"].map(last), horizon_weeks)


def first_event_asof(
    panel: pd.DataFrame, measurements: pd.DataFrame, mapping: StatusMapping, horizon_weeks: int = 52
) -> pd.DataFrame:
    """:func:`first_event` with one ``merge_asof`` (forward, by person) instead of the groupby-apply."""
    status = _categorised(panel, mapping)
    last = status.groupby("person")["week"].max()
    je = status.loc[status["category"].isin(JE), ["person", "week", "category"]]
    je = je.rename(columns={"week": "q_week", "category": "q_type"}).sort_values("q_week")
    left = measurements[["person", "measured_week"]].reset_index().sort_values("measured_week")
    found = pd.merge_asof(left, je, left_on="measured_week", right_on="q_week", by="person", direction="forward")
    found = found.set_index("index").reindex(measurements.index)
    return _finish(
        measurements,
        found["q_week"].astype("float64"),
        found["q_type"],
        measurements["person"].map(last),
        horizon_weeks,
    )


def counting_process(spells: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """Each person's follow-up from the first measurement split at later measurements and caseworker
    changes (as :func:`jobtro.stats.spells.counting_process` with covariates belief and caseworker_id)."""
    measured = spells.sort_values(["person", "measured_week"], kind="stable")
    # drop_duplicates, not groupby().first(): first() would skip missing values column by column.
    base = measured.drop_duplicates("person", keep="first")
    base = base[base["duration"].notna()]
    base = pd.DataFrame(
        {
            "person": base["person"],
            "t0": base["measured_week"],
            "end": base["duration"].astype("int64"),
            "base_event": base["event"],
            "base_type": base["event_type"],
        }
    )

    def inside(frame: pd.DataFrame, week: str) -> pd.DataFrame:
        joined = frame[["person", week]].merge(base[["person", "t0", "end"]], on="person")
        joined["start"] = joined[week] - joined["t0"]
        return joined.loc[(joined["start"] > 0) & (joined["start"] < joined["end"]), ["person", "start"]]

    points = pd.concat(
        [
            pd.DataFrame({"person": base["person"], "start": 0}),
            pd.DataFrame({"person": base["person"], "start": base["end"]}),
            inside(measured, "measured_week"),
            inside(changes, "change_week"),
        ]
    )
    points = points.drop_duplicates().sort_values(["person", "start"], ignore_index=True)
    points["stop"] = points.groupby("person")["start"].shift(-1)
    rows = points[points["stop"].notna()].astype({"stop": "int64"})
    zero = base.loc[base["end"] == 0, ["person"]].assign(start=0, stop=0)
    rows = pd.concat([rows, zero], ignore_index=True).merge(base, on="person")
    rows["week"] = rows["t0"] + rows["start"]

    beliefs = measured[["person", "measured_week", "belief"]].rename(columns={"measured_week": "week"})
    beliefs = beliefs.drop_duplicates(["person", "week"], keep="last")
    caseworkers = pd.concat(
        [
            changes.rename(columns={"change_week": "week"}).assign(prio=0),
            measured[["person", "measured_week", "caseworker_id"]]
            .rename(columns={"measured_week": "week"})
            .assign(prio=1),
        ],
        ignore_index=True,
    )
    caseworkers = caseworkers.sort_values(["person", "week", "prio"]).drop_duplicates(["person", "week"], keep="last")
    out = pd.merge_asof(
        rows.sort_values("week"), beliefs.sort_values("week"), on="week", by="person", direction="backward"
    )
    out = pd.merge_asof(
        out, caseworkers[["person", "week", "caseworker_id"]].sort_values("week"), on="week", by="person"
    )
    first_change = changes.groupby("person")["change_week"].min().rename("first_change")
    out = out.merge(first_change, left_on="person", right_index=True, how="left")
    is_event = (out["stop"] == out["end"]) & (out["base_event"] == 1)
    out["event"] = is_event.astype("int8")
    out["event_type"] = out["base_type"].where(is_event)
    out["changed"] = (out["first_change"] <= out["week"]).astype("int8")
    columns = ["person", "start", "stop", "event", "event_type", "belief", "caseworker_id", "changed"]
    return out[columns].sort_values(["person", "start"], ignore_index=True)
