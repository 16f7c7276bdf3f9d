"""Tests of spell construction: hand-worked weekly sequences, a pure-Python reference, counting process.

Sequences are written one letter per week from week 0: ``B`` benefit (kontanthjælp), ``S`` sickness
benefit, ``J`` job, ``E`` education, ``.`` a missing week (no row).
"""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobtro.lib.status_codes import StatusMapping
from jobtro.stats.simulate import demo_config, simulate
from jobtro.stats.spells import counting_process, first_event

LETTERS = {"B": "benefit_cash", "S": "benefit_sickness", "J": "job", "E": "education"}


def status_frame(people: dict[object, str]) -> pl.DataFrame:
    rows = [
        (person, week, LETTERS[letter])
        for person, sequence in people.items()
        for week, letter in enumerate(sequence)
        if letter != "."
    ]
    return pl.DataFrame(rows, schema=["person", "week", "category"], orient="row")


def one(sequence: str, measured_week: int = 0, **kwargs: int) -> tuple[int, int, str | None]:
    spells = first_event(
        status_frame({1: sequence}), pl.DataFrame({"person": [1], "measured_week": [measured_week]}), **kwargs
    )
    row = spells.row(0, named=True)
    return row["duration"], row["event"], row["event_type"]


@pytest.mark.parametrize(
    ("sequence", "measured_week", "kwargs", "expected"),
    [
        # duration = weeks before the first job/education week
        ("BBBJJB", 0, {}, (3, 1, "job")),
        # event in the measurement week itself: duration 0
        ("JBB", 0, {}, (0, 1, "job")),
        ("BBJB", 2, {}, (0, 1, "job")),
        # censored at end of data: weeks observed = last week + 1 - measured week
        ("BBBBBB", 0, {}, (6, 0, None)),
        ("BBBBBB", 2, {}, (4, 0, None)),
        # measured after the data end: nothing observed
        ("BB", 5, {}, (0, 0, None)),
        # censored at the horizon, which comes before the event / the end of data
        ("BBBBBJ", 0, {"horizon_weeks": 3}, (3, 0, None)),
        ("BBBJ", 0, {"horizon_weeks": 3}, (3, 0, None)),  # event at duration 3 is outside weeks 0..2
        ("BBJ", 0, {"horizon_weeks": 3}, (2, 1, "job")),
        ("BBBBB", 0, {"horizon_weeks": 4}, (4, 0, None)),  # horizon 4 < 5 weeks observed
        ("BBB", 0, {"horizon_weeks": 4}, (3, 0, None)),  # end of data 3 < horizon 4
        # education vs job: the category of the first qualifying week
        ("BEJ", 0, {}, (1, 1, "education")),
        ("BSJE", 0, {}, (2, 1, "job")),
        # re-entry to benefit after a job does not undo the event...
        ("BJBBB", 0, {}, (1, 1, "job")),
        # ...but a measurement after the return sees no new event
        ("BJBBB", 2, {}, (3, 0, None)),
        # k of n: 2 of 3
        ("BJBJJB", 0, {"k": 2, "n": 3}, (1, 1, "job")),  # weeks 1-3 = J B J
        ("BJBBJJB", 0, {"k": 2, "n": 3}, (4, 1, "job")),  # week 1 alone is not enough
        ("BBJJB", 0, {"k": 2, "n": 3}, (2, 1, "job")),
        ("BBJJ", 0, {"k": 2, "n": 3}, (4, 0, None)),  # run needs week 4, beyond the data: censored
        ("BBBJE", 0, {"k": 2, "n": 2}, (3, 1, "job")),  # job and education both count towards k
        # 3 of 3
        ("BJBJJB", 0, {"k": 3, "n": 3}, (6, 0, None)),
        ("BJBJJJ", 0, {"k": 3, "n": 3}, (3, 1, "job")),
        ("BBBJJ", 0, {"k": 3, "n": 3}, (5, 0, None)),  # cut off by the end of data
        ("BJJJ", 0, {"k": 3, "n": 3, "horizon_weeks": 1}, (1, 0, None)),
        # the qualifying week itself must be job/education: B J J (2 of 3 from week 0) starts at week 1
        ("BJJB", 0, {"k": 2, "n": 3}, (1, 1, "job")),
        # missing weeks count as not in job
        ("B.J", 0, {}, (2, 1, "job")),
        ("BJ.J", 0, {"k": 2, "n": 2}, (4, 0, None)),
        ("J.JJ", 0, {"k": 3, "n": 3}, (4, 0, None)),
        ("J.JJB", 0, {"k": 2, "n": 3}, (0, 1, "job")),
        ("BB.J", 2, {}, (1, 1, "job")),  # measured in a missing week
    ],
)
def test_hand_worked(
    sequence: str, measured_week: int, kwargs: dict[str, int], expected: tuple[int, int, str | None]
) -> None:
    assert one(sequence, measured_week, **kwargs) == expected


def test_several_measurements_order_and_carried_columns() -> None:
    status = status_frame({"a": "BBBBJJ", "b": "BBEB"})
    measurements = pl.DataFrame(
        {"person": ["b", "a", "a", "a", "c"], "measured_week": [1, 0, 4, 5, 0], "belief": [5, 1, 2, 3, 4]}
    )
    spells = first_event(status, measurements)
    assert spells.columns == ["person", "measured_week", "belief", "event_week", "duration", "event", "event_type"]
    assert spells["person"].to_list() == ["b", "a", "a", "a", "c"]
    assert spells["belief"].to_list() == [5, 1, 2, 3, 4]
    assert spells["event_week"].to_list() == [2, 4, 4, 5, None]
    assert spells["duration"].to_list() == [1, 4, 0, 0, None]  # "c" has no status rows: no outcome data
    assert spells["event"].to_list() == [1, 1, 1, 1, None]
    assert spells["event_type"].to_list() == ["education", "job", "job", "job", None]


def test_enum_and_categorical_categories() -> None:
    status = status_frame({1: "BBJ", 2: "BEB"})
    measurements = pl.DataFrame({"person": [1, 2], "measured_week": [0, 0]})
    expected = first_event(status, measurements)
    for dtype in (pl.Enum(["benefit_cash", "job", "education"]), pl.Categorical()):
        got = first_event(status.with_columns(pl.col("category").cast(dtype)), measurements)
        assert got.equals(expected)


def test_rejects_bad_arguments() -> None:
    status = status_frame({1: "B"})
    measurements = pl.DataFrame({"person": [1], "measured_week": [0]})
    with pytest.raises(ValueError, match="k <= n"):
        first_event(status, measurements, k=3, n=2)
    with pytest.raises(ValueError, match="horizon"):
        first_event(status, measurements, horizon_weeks=0)
    with pytest.raises(ValueError, match="lacks"):
        first_event(status.drop("category"), measurements)
    with pytest.raises(ValueError, match="already has"):
        first_event(status, measurements.with_columns(duration=pl.lit(1)))


def reference(sequence: str, measured_week: int, horizon: int, k: int, n: int) -> tuple[int, int, str | None]:
    """The module docstring's definition, literally, one person at a time."""
    last = max(i for i, c in enumerate(sequence) if c != ".")
    in_je = [c in "JE" for c in sequence]
    limit = min(horizon, max(0, last + 1 - measured_week))
    for t in range(measured_week, last - n + 2):
        if in_je[t] and sum(in_je[t : t + n]) >= k:
            if t - measured_week < limit:
                return t - measured_week, 1, LETTERS[sequence[t]]
            break
    return limit, 0, None


sequences = st.text(alphabet="BSJE.", min_size=1, max_size=14).filter(lambda s: s.strip(".") != "")


@settings(max_examples=200, deadline=None)
@given(
    people=st.lists(sequences, min_size=1, max_size=5),
    data=st.data(),
    horizon=st.integers(1, 15),
    n=st.integers(1, 4),
    k_minus=st.integers(0, 3),
)
def test_matches_reference(people: list[str], data: st.DataObject, horizon: int, n: int, k_minus: int) -> None:
    k = max(1, n - k_minus)
    measurements = data.draw(
        st.lists(st.tuples(st.integers(0, len(people) - 1), st.integers(0, 16)), min_size=1, max_size=10)
    )
    status = status_frame(dict(enumerate(people)))
    frame = pl.DataFrame(measurements, schema=["person", "measured_week"], orient="row")
    spells = first_event(status, frame, horizon_weeks=horizon, k=k, n=n)
    got = list(zip(spells["duration"], spells["event"], spells["event_type"], strict=True))
    assert got == [reference(people[p], m, horizon, k, n) for p, m in measurements]


def test_counting_process_caseworker_change_mid_spell() -> None:
    status = status_frame({1: "BBBBBBJ", 2: "BBB", 3: "J", 4: "BBB"})
    measurements = pl.DataFrame(
        {
            "person": [1, 1, 2, 3, 4],
            "measured_week": [0, 4, 1, 0, 0],
            "belief": [2, 4, 3, 5, 1],
            "caseworker_id": [10, 11, 20, 30, 40],
        }
    )
    changes = pl.DataFrame(
        {
            "person": [1, 2, 4],
            "change_week": [2, 0, 3],  # 2: before its first measurement; 4: at the end of follow-up
            "caseworker_id": [12, 21, 41],
        }
    )
    spells = first_event(status, measurements)
    rows = counting_process(spells, changes)
    assert rows.rows() == [
        # person 1: change at week 2 and a wave at week 4 split the spell; event at duration 6
        (1, 0, 2, 0, None, 2, 10, 0),
        (1, 2, 4, 0, None, 2, 12, 1),
        (1, 4, 6, 1, "job", 4, 11, 1),
        # person 2: follow-up from week 1; the earlier change counts as "changed"
        (2, 0, 2, 0, None, 3, 20, 1),
        # person 3: event in the measurement week
        (3, 0, 0, 1, "job", 5, 30, 0),
        # person 4: change at the censoring time does not split or count
        (4, 0, 3, 0, None, 1, 40, 0),
    ]
    # Without the new caseworker in the changes, the caseworker comes from the latest measurement.
    rows = counting_process(spells, changes.drop("caseworker_id"))
    assert rows.filter(pl.col("person") == 1)["caseworker_id"].to_list() == [10, 10, 11]
    assert rows.filter(pl.col("person") == 1)["changed"].to_list() == [0, 1, 1]


@pytest.fixture(scope="module")
def demo() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    sim = simulate(demo_config())
    mapping = StatusMapping().as_dict()
    status = sim.weekly_status.select(
        pl.col("citizen_id").alias("person"),
        "week",
        pl.col("status").cast(pl.String).replace_strict(mapping).alias("category"),
    )
    measurements = sim.specific_beliefs.select(
        pl.col("citizen_id").alias("person"), pl.col("week").alias("measured_week"), "wave", "belief", "caseworker_id"
    )
    changes = sim.assignments.filter(pl.col("from_week") > 0).select(
        pl.col("citizen_id").alias("person"), pl.col("from_week").alias("change_week"), "caseworker_id"
    )
    return status, measurements, changes


@pytest.mark.parametrize(("k", "n"), [(1, 1), (2, 3)])
def test_counting_process_agrees_with_spells_on_demo(
    demo: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame], k: int, n: int
) -> None:
    status, measurements, changes = demo
    spells = first_event(status, measurements, k=k, n=n)
    assert spells["duration"].null_count() == 0
    rows = counting_process(spells, changes)
    first = spells.sort("person", "measured_week").group_by("person", maintain_order=True).first()
    totals = rows.group_by("person").agg(
        (pl.col("stop") - pl.col("start")).sum().alias("time"),
        pl.col("event").cast(pl.Int64).sum().alias("events"),
        pl.col("start").first().alias("first_start"),
        (pl.col("start").shift(-1) != pl.col("stop")).sum().alias("gaps"),  # rows must be contiguous
        (pl.col("changed").diff() < 0).sum().alias("unchanged_again"),
    )
    joined = first.join(totals, on="person", how="left")
    assert joined.height == measurements["person"].n_unique()
    assert (joined["time"] == joined["duration"]).all()
    assert (joined["events"] == joined["event"].cast(pl.Int64)).all()
    assert (joined["first_start"] == 0).all()
    assert (joined["gaps"] == 0).all() and (joined["unchanged_again"] == 0).all()
    assert ((rows["start"] < rows["stop"]) | ((rows["start"] == 0) & (rows["stop"] == 0))).all()
    assert rows["event"].sum() > 100 and rows["changed"].sum() > 100  # the demo exercises both
    # the belief in force on the first row is the first measurement's
    assert (
        rows.group_by("person")
        .agg(pl.col("belief").first())
        .sort("person")["belief"]
        .equals(first.sort("person")["belief"], null_equal=True)
    )


def test_demo_spells_match_the_simulated_exits(demo: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]) -> None:
    # The simulator closes a case at the exit week + 1 and the status is absorbing from the exit week, so
    # from wave 0 (week 0) the first job/education week is the exit week, and the spell is censored at 52.
    status, measurements, _ = demo
    sim = simulate(demo_config())
    # The last assignment row's to_week is exit week + 1, or null while still on benefit.
    exits = sim.assignments.group_by("citizen_id").agg(
        (pl.col("to_week").sort_by("from_week").last() - 1).alias("exit_week")
    )
    wave0 = first_event(status, measurements.filter(pl.col("wave") == 0)).join(
        exits, left_on="person", right_on="citizen_id"
    )
    assert wave0.height == sim.citizens.height
    expected_event = wave0["exit_week"].is_not_null() & (wave0["exit_week"] < 52)
    assert (wave0["event"].cast(pl.Boolean) == expected_event).all()
    with_event = wave0.filter(pl.col("event") == 1)
    assert (with_event["duration"] == with_event["exit_week"]).all()
    assert (wave0.filter(pl.col("event") == 0)["duration"] == 52).all()
