"""Tests for jobtro.lib.plan: the seed's two-year activity plan on Danish working days."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from itertools import pairwise

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobtro.lib.plan import (
    PlannedActivity,
    add_months,
    experience_meetings,
    generate_plan,
    is_working_day,
    next_working_day,
    plan_for_municipality,
    previous_working_day,
)

START = date(2025, 1, 6)  # a Monday
END = add_months(START, 24)  # 2027-01-06, exclusive
CODES = ("0740", "0727", "0540", "0147")  # Silkeborg, Odder, Sønderborg, Frederiksberg
FOUR = [(code, START) for code in CODES]


def of_kind(plan: list[PlannedActivity], kind: str, municipality: str | None = None) -> list[PlannedActivity]:
    return [a for a in plan if a.kind == kind and (municipality is None or a.municipality == municipality)]


def not_holiday(day: date) -> bool:
    """Checked independently of the module: weekday, not a DK public holiday, not 5/6, 24/12, 31/12."""
    public = holidays.country_holidays("DK", years=day.year)
    return day.weekday() < 5 and day not in public and (day.month, day.day) not in {(6, 5), (12, 24), (12, 31)}


def assert_valid(plan: list[PlannedActivity], start: date, end: date) -> None:
    for activity in plan:
        assert not_holiday(activity.day), activity
        assert activity.earliest is not None and activity.latest is not None
        assert activity.earliest <= activity.day <= activity.latest, activity
        assert start <= activity.day < end, activity
    assert plan == sorted(plan, key=lambda a: a.day)


# --- working days -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 1, 6), True),  # Monday
        (date(2025, 1, 4), False),  # Saturday
        (date(2025, 1, 5), False),  # Sunday
        (date(2025, 1, 1), False),  # Nytårsdag
        (date(2025, 4, 17), False),  # Skærtorsdag
        (date(2025, 4, 18), False),  # Langfredag
        (date(2025, 4, 21), False),  # Anden påskedag
        (date(2025, 5, 29), False),  # Kristi himmelfartsdag
        (date(2025, 6, 9), False),  # Anden pinsedag
        (date(2025, 6, 5), False),  # Grundlovsdag: not a helligdag, but workplaces close
        (date(2025, 12, 24), False),  # Juleaftensdag: closed for meetings
        (date(2025, 12, 25), False),
        (date(2025, 12, 26), False),
        (date(2025, 12, 31), False),  # Nytårsaftensdag: closed for meetings
        (date(2025, 5, 1), True),  # 1 May is a working day
        (date(2023, 5, 5), False),  # Store Bededag 2023, the last one
        (date(2024, 4, 26), True),  # would have been Store Bededag; abolished from 2024
        (date(2025, 5, 16), True),  # likewise
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert is_working_day(day) is working


def test_next_and_previous_working_day() -> None:
    assert next_working_day(date(2025, 4, 17)) == date(2025, 4, 22)  # Easter: Thu, Fri, Sat, Sun, Mon
    assert previous_working_day(date(2025, 4, 21)) == date(2025, 4, 16)
    assert next_working_day(date(2025, 12, 24)) == date(2025, 12, 29)
    assert previous_working_day(date(2026, 1, 1)) == date(2025, 12, 30)
    assert next_working_day(date(2025, 1, 6)) == date(2025, 1, 6)


def test_add_months_clamps() -> None:
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 11, 15), 3) == date(2026, 2, 15)
    assert add_months(date(2025, 1, 15), -1) == date(2024, 12, 15)


# --- the four-municipality project -----------------------------------------------------------------------


def test_four_municipalities_counts() -> None:
    plan = generate_plan(START, END, FOUR)
    assert Counter(a.kind for a in plan) == {"startup": 4, "local": 12, "experience": 3}
    assert len(plan) == 19
    assert_valid(plan, START, END)


def test_startups_within_two_months_on_distinct_days() -> None:
    startups = of_kind(generate_plan(START, END, FOUR), "startup")
    assert sorted(a.municipality or "" for a in startups) == sorted(CODES)
    assert len({a.day for a in startups}) == 4
    for a in startups:
        assert START <= a.day < add_months(START, 2)
        assert a.format == "full_day" and a.sequence == 1
        assert (a.title_da, a.title_en) == ("Opstartsmøde", "Start-up meeting")
    # Staggered a week apart from three weeks in, in code order (all joined the same day).
    assert [a.municipality for a in startups] == sorted(CODES)
    assert [a.day for a in startups] == [START + timedelta(weeks=3 + i) for i in range(4)]


def test_local_meetings_every_half_year() -> None:
    plan = generate_plan(START, END, FOUR)
    for code in CODES:
        local = of_kind(plan, "local", code)
        assert [a.sequence for a in local] == [1, 2, 3]
        assert all(a.format == "half_day" for a in local)
        for a in local:
            target = add_months(START, 6 * a.sequence)
            assert abs((a.day - target).days) <= 10, a
        gaps = [(b.day - a.day).days for a, b in pairwise(local)]
        assert all(170 <= gap <= 195 for gap in gaps), gaps
        assert local[-1].day < END


def test_experience_meetings() -> None:
    plan = generate_plan(START, END, FOUR)
    first, second, third = of_kind(plan, "experience")
    assert all(a.municipality is None and a.format == "full_day" for a in (first, second, third))
    assert [a.sequence for a in (first, second, third)] == [1, 2, 3]
    assert START < first.day < add_months(START, 6)
    assert add_months(START, 12) <= second.day < add_months(START, 13)
    assert add_months(END, -1) <= third.day < END
    # All of them after every start-up.
    assert first.day > max(a.day for a in of_kind(plan, "startup"))


def test_one_meeting_a_day() -> None:
    plan = generate_plan(START, END, FOUR)
    assert len({a.day for a in plan}) == len(plan)


def test_deterministic_and_order_independent() -> None:
    assert generate_plan(START, END, FOUR) == generate_plan(START, END, list(reversed(FOUR)))


# --- moved off holidays ------------------------------------------------------------------------------------


def test_easter_monday_moved_forward() -> None:
    # Natural start-up date: joined + 3 weeks = Easter Monday 2025-04-21.
    (startup, *_) = plan_for_municipality(date(2025, 1, 1), date(2027, 1, 1), "0740", date(2025, 3, 31), 0)
    assert startup.day == date(2025, 4, 22)


def test_experience_on_easter_monday_moved() -> None:
    # First experience meeting's natural date is start + 5 months = 2025-04-21.
    first = experience_meetings(date(2024, 11, 21), date(2026, 11, 21))[0]
    assert first.day == date(2025, 4, 22)


def test_christmas_moved() -> None:
    # Local meeting 1's natural date: joined + 6 months = Christmas Day 2025 -> Monday 29 December.
    plan = plan_for_municipality(date(2025, 6, 1), date(2027, 6, 1), "0740", date(2025, 6, 25), 0)
    assert of_kind(plan, "local")[0].day == date(2025, 12, 29)


def test_grundlovsdag_moved() -> None:
    # Local meeting 1's natural date: joined + 6 months = Grundlovsdag 2025.
    plan = plan_for_municipality(date(2024, 12, 1), date(2026, 12, 1), "0740", date(2024, 12, 5), 0)
    assert of_kind(plan, "local")[0].day == date(2025, 6, 6)


def test_moved_backward_when_forward_passes_the_deadline() -> None:
    # A late index pushes the natural start-up past the two months (deadline 2025-12-27): clamped to
    # 26 December (a holiday), forward hits the deadline, so backward past the 25th and Christmas Eve.
    (startup, *_) = plan_for_municipality(date(2025, 1, 1), date(2027, 1, 1), "0740", date(2025, 10, 27), 8)
    assert startup.day == date(2025, 12, 23)
    assert startup.latest == date(2025, 12, 26)


def test_busy_days_are_avoided() -> None:
    free = plan_for_municipality(START, END, "0740", START, 0)
    busy = {a.day for a in free}
    again = plan_for_municipality(START, END, "0740", START, 0, busy=busy)
    assert not busy & {a.day for a in again}
    assert [a.kind for a in again] == [a.kind for a in free]


# --- a late joiner ------------------------------------------------------------------------------------------


def test_late_joiner() -> None:
    joined = add_months(START, 7)  # 2025-08-06
    base = generate_plan(START, END, FOUR)
    plan = generate_plan(START, END, [*FOUR, ("0999", joined)])
    # Nothing that was planned before moves, experience meetings included.
    assert [a for a in plan if a.municipality != "0999"] == base
    own = [a for a in plan if a.municipality == "0999"]
    (startup,) = of_kind(own, "startup")
    assert joined <= startup.day < add_months(joined, 2)
    local = of_kind(own, "local")
    assert [a.sequence for a in local] == [1, 2]  # 6 and 12 months after joining; 18 would pass the end
    for a in local:
        assert abs((a.day - add_months(joined, 6 * a.sequence)).days) <= 10
        assert a.day < END
    assert len({a.day for a in plan}) == len(plan)
    assert_valid(plan, START, END)


def test_late_joiner_alone_matches_generate_plan() -> None:
    joined = add_months(START, 7)
    base = generate_plan(START, END, FOUR)
    alone = plan_for_municipality(START, END, "0999", joined, 4, busy={a.day for a in base})
    full = generate_plan(START, END, [*FOUR, ("0999", joined)])
    assert alone == [a for a in full if a.municipality == "0999"]


def test_joining_in_the_last_weeks() -> None:
    plan = plan_for_municipality(START, END, "0999", date(2026, 12, 20), 0)
    assert [a.kind for a in plan] == ["startup"]
    assert date(2026, 12, 20) <= plan[0].day < END


# --- errors and short projects -----------------------------------------------------------------------------


def test_errors() -> None:
    with pytest.raises(ValueError, match="end after it starts"):
        generate_plan(START, START, FOUR)
    with pytest.raises(ValueError, match="more than once"):
        generate_plan(START, END, [("0740", START), ("0740", START)])
    with pytest.raises(ValueError, match="outside the project period"):
        generate_plan(START, END, [("0740", START - timedelta(days=1))])
    with pytest.raises(ValueError, match="outside the project period"):
        plan_for_municipality(START, END, "0740", END, 0)
    with pytest.raises(ValueError, match="index"):
        plan_for_municipality(START, END, "0740", START, -1)
    with pytest.raises(ValueError, match="no working day left"):
        plan_for_municipality(date(2026, 12, 1), date(2027, 1, 1), "0740", date(2026, 12, 31), 0)


def test_short_project_keeps_the_closing_meeting() -> None:
    plan = experience_meetings(START, add_months(START, 12))
    assert [a.sequence for a in plan] == [1, 3]
    assert [a.sequence for a in experience_meetings(START, add_months(START, 14))] == [1, 2, 3]


def test_empty_municipalities() -> None:
    plan = generate_plan(START, END, [])
    assert [a.kind for a in plan] == ["experience"] * 3


# --- property -----------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    start=st.dates(min_value=date(2015, 1, 1), max_value=date(2045, 12, 31)),
    months=st.integers(min_value=14, max_value=36),
    offsets=st.lists(st.integers(min_value=0, max_value=900), min_size=1, max_size=8),
)
def test_property_every_day_a_working_day_in_its_window(start: date, months: int, offsets: list[int]) -> None:
    end = add_months(start, months)
    span = (end - start).days
    municipalities = [(f"{i:04d}", start + timedelta(days=offset % (span - 40))) for i, offset in enumerate(offsets)]
    plan = generate_plan(start, end, municipalities)
    assert_valid(plan, start, end)
    assert len({a.day for a in plan}) == len(plan)
    assert len(of_kind(plan, "experience")) == 3
    for code, joined in municipalities:
        own = [a for a in plan if a.municipality == code]
        (startup,) = of_kind(own, "startup")
        assert joined <= startup.day < add_months(joined, 2)
        local = of_kind(own, "local")
        assert [a.sequence for a in local] == [k for k in range(1, 7) if add_months(joined, 6 * k) < end]
        for a in local:
            assert add_months(joined, 6 * a.sequence - 1) <= a.day < add_months(joined, 6 * a.sequence + 1)


def test_a_14_month_project_starting_at_a_month_end_holds_all_three_experience_meetings() -> None:
    # Found by the property test above: 29 Dec + 14 months is clamped to 28 Feb, so "a month before the
    # end" (28 Jan) came a day before the second meeting's month-13 deadline (29 Jan) and it was dropped.
    start = date(2015, 12, 29)
    plan = generate_plan(start, add_months(start, 14), [("0001", start)])
    assert [a.sequence for a in of_kind(plan, "experience")] == [1, 2, 3]
