"""The collaboration's two-year activity plan: which meetings are held, where and when. Pure: no Django.

Where the rules come from
-------------------------
The seed (``shared/seed/troen-paa-borgernes-jobchance.da.txt``, "Aktiviteter og roller i projektet")
names four kinds of activity:

* **Start-up meetings** ("individuelle opstartsmøder"), one in each municipality, individually, for
  leaders and staff, full day. Issue 6 adds: *within the first two months* after the municipality joins.
* **Local meetings** ("lokale møder ... hvert halve år"), every half year in each municipality, for key
  persons representing leaders and the staff groups, half day.
* **Cross-municipal experience meetings** ("tværkommunale erfaringsmøder hhv. inden for ½ år, efter
  1 år og ved afslutning"), within the first half year, after one year and at the end, for 4-5 selected
  representatives from each municipality, full day, with expert talks.
* **Research activities** (observation, interviews, taking part in meetings, sparring) are held
  locally "efter aftale", by agreement. They have no rule to derive a date from, so the generator
  makes none; researchers add them by hand.

How dates are chosen
--------------------
Each meeting has a *natural* date and a *window* ``[earliest, latest]`` (the rule it must obey):

==============  ==============================================  ============================================
meeting         natural date                                    window
==============  ==============================================  ============================================
start-up        joined + 3 weeks + 1 week x the municipality's  joined .. the day before joined + 2 months
                index (0, 1, 2 ... in join order, then code)    (and before the project end)
local *k*       joined + 6k months (k = 1, 2, ... while that    joined + 6k - 1 months .. the day before
                is before the project end)                      joined + 6k + 1 months (and before the end)
experience 1    start + 5 months                                start .. the day before start + 6 months
experience 2    start + 12 months (the first anniversary)       start + 12 months .. the day before + 13
experience 3    end - 14 days                                   the last month: end - 1 month .. end - 1 day
==============  ==============================================  ============================================

The project period is ``[start, end)``: ``end`` itself is not part of it. Months are calendar months,
clamped to the month's last day (31 January + 1 month is 28 or 29 February).

A meeting is placed on the first **free working day** on or after its natural date that is still in its
window; if there is none (the deadline would be passed) it moves **backward** instead, to the last free
working day before the natural date. "Free" means no other generated meeting that day: the research
centre plans and facilitates every one of these meetings (seed, "Roller"), so it can hold one a day.
This is what staggers the municipalities: start-ups a week apart, local meetings on consecutive working
days. Only if every working day in a window is taken does a meeting share a day (the first working day
found the same way), which needs a project with about twenty municipalities joining together.

Experience meetings are placed first and do not depend on the municipalities, so a municipality joining
late never moves them. Municipalities are then placed in join order (ties by code), each taking its
start-up and local meetings, so a late joiner never moves the meetings of those who joined before it.
:func:`plan_for_municipality` places one municipality alone around days already taken (``busy``), which
is how the Django layer adds a late joiner to a plan whose meetings researchers may have moved.

An intermediate experience meeting whose window reaches into the last month is dropped for projects too
short to hold it apart from the closing one (under 14 months); the seed's project lasts two years.
"""

from __future__ import annotations

import calendar
import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import holidays

Kind = Literal["startup", "local", "experience"]
Format = Literal["full_day", "half_day"]

KINDS: tuple[Kind, ...] = ("startup", "local", "experience")
FORMATS: dict[Kind, Format] = {"startup": "full_day", "local": "half_day", "experience": "full_day"}

#: Days that are not public holidays in law but on which workplaces are closed (or close at noon, which
#: rules out a full- or half-day meeting): Grundlovsdag, Christmas Eve, New Year's Eve.
CLOSED_DAYS: tuple[tuple[int, int], ...] = ((6, 5), (12, 24), (12, 31))

STARTUP_WITHIN_MONTHS = 2
STARTUP_AFTER = timedelta(weeks=3)
STARTUP_STAGGER = timedelta(weeks=1)
LOCAL_EVERY_MONTHS = 6
LOCAL_SLACK_MONTHS = 1
FINAL_BEFORE_END = timedelta(days=14)

_EXPERIENCE_TITLES = {
    1: ("Tværkommunalt erfaringsmøde – første halve år", "Cross-municipal experience meeting – first half-year"),
    2: ("Tværkommunalt erfaringsmøde – efter et år", "Cross-municipal experience meeting – after one year"),
    3: ("Tværkommunalt erfaringsmøde – afslutning", "Cross-municipal experience meeting – closing"),
}


# --- working days ---------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _closed(year: int) -> frozenset[date]:
    """Public holidays (from the ``holidays`` library, category public) plus :data:`CLOSED_DAYS`."""
    public = holidays.country_holidays("DK", years=year)
    return frozenset(public) | {date(year, month, day) for month, day in CLOSED_DAYS}


def is_working_day(day: date) -> bool:
    """Whether a meeting can be held on ``day``.

    A working day is Monday to Friday and not closed. Closed days are:

    * Danish public holidays ("helligdage") as the maintained ``holidays`` library knows them, including
      that Store Bededag (the fourth Friday after Easter) was abolished from 2024 (Lov nr. 203 af
      28/02/2023): it is closed in 2023 and earlier, a working day from 2024.
    * Grundlovsdag (5 June), Christmas Eve (24 December) and New Year's Eve (31 December). None of them is
      a public holiday in law, but most workplaces, municipal ones included, are closed or close at noon
      under agreements, so no meeting is planned on them.

    1 May is not closed: it is not a general day off in the public sector.

    Parameters
    ----------
    day : datetime.date
        The day to check.

    Returns
    -------
    bool
    """
    return day.weekday() < 5 and day not in _closed(day.year)


def next_working_day(day: date) -> date:
    """``day`` itself when it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def previous_working_day(day: date) -> date:
    """``day`` itself when it is a working day, else the last working day before it."""
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole calendar months (negative moves back), clamped to the month's last day."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    month = month0 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- the plan ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedActivity:
    """One generated meeting.

    Attributes
    ----------
    kind : {"startup", "local", "experience"}
    format : {"full_day", "half_day"}
        Start-up and experience meetings are full day, local meetings half day (seed).
    municipality : str or None
        The municipality's code; None for a cross-municipal (experience) meeting.
    day : datetime.date
        Always a working day (:func:`is_working_day`) inside ``[earliest, latest]``.
    sequence : int
        1st, 2nd, ... of its kind for that municipality (start-up, local) or for the project (experience).
    title_da, title_en : str
        A title in Danish and in English.
    earliest, latest : datetime.date or None
        The window the rule allows (both inclusive), so a caller can warn when a researcher moves the
        meeting outside it. Always set by the generator.
    """

    kind: Kind
    format: Format
    municipality: str | None
    day: date
    sequence: int
    title_da: str
    title_en: str
    earliest: date | None = None
    latest: date | None = None


def _place(natural: date, earliest: date, deadline: date, busy: Collection[date]) -> date | None:
    """Choose the day for a meeting whose window is ``[earliest, deadline)``; None if it has no working day.

    Forward from the natural date to the first free working day before the deadline; else backward to the
    last free one not before ``earliest``; else (all taken) the same search ignoring ``busy``.
    """
    natural = min(max(natural, earliest), deadline - timedelta(days=1))
    for respect_busy in (True, False):
        day = natural
        while day < deadline:
            if is_working_day(day) and not (respect_busy and day in busy):
                return day
            day += timedelta(days=1)
        day = natural - timedelta(days=1)
        while day >= earliest:
            if is_working_day(day) and not (respect_busy and day in busy):
                return day
            day -= timedelta(days=1)
    return None


def _activity(
    kind: Kind,
    municipality: str | None,
    sequence: int,
    natural: date,
    earliest: date,
    deadline: date,
    busy: set[date],
    titles: tuple[str, str],
) -> PlannedActivity | None:
    day = _place(natural, earliest, deadline, busy)
    if day is None:
        return None
    busy.add(day)
    return PlannedActivity(
        kind=kind,
        format=FORMATS[kind],
        municipality=municipality,
        day=day,
        sequence=sequence,
        title_da=titles[0],
        title_en=titles[1],
        earliest=earliest,
        latest=deadline - timedelta(days=1),
    )


def _check_period(start: date, end: date) -> None:
    if end <= start:
        raise ValueError(f"the project must end after it starts (start {start}, end {end})")


def experience_meetings(start: date, end: date, *, busy: Collection[date] = frozenset()) -> list[PlannedActivity]:
    """The project's cross-municipal experience meetings (see the module docstring for the rules).

    Parameters
    ----------
    start, end : datetime.date
        The project period ``[start, end)``.
    busy : collection of datetime.date, optional
        Days already taken by other meetings.

    Returns
    -------
    list of PlannedActivity
        Up to three, in order; the first two are left out when the project is too short to hold them
        before its last month.
    """
    _check_period(start, end)
    taken = set(busy)
    last_month = max(add_months(end, -1), start)
    rules = [
        (1, add_months(start, 5), start, add_months(start, 6)),
        (2, add_months(start, 12), add_months(start, 12), add_months(start, 13)),
        (3, end - FINAL_BEFORE_END, last_month, end),
    ]
    out = []
    for sequence, natural, earliest, deadline in rules:
        if sequence < 3:
            # The first two must fit before the last month. Compared by days, not by the rule's month
            # arithmetic: month ends are clamped (29 Dec + 14 months is 28 Feb, less a month 28 Jan,
            # while 29 Dec + 13 months is 29 Jan), so the window is cut at the last month instead.
            if earliest >= last_month:
                continue
            deadline = min(deadline, last_month)
        activity = _activity(
            "experience", None, sequence, natural, earliest, deadline, taken, _EXPERIENCE_TITLES[sequence]
        )
        if activity is not None:
            out.append(activity)
    return out


def plan_for_municipality(
    start: date,
    end: date,
    code: str,
    joined: date,
    index: int,
    *,
    busy: Collection[date] = frozenset(),
) -> list[PlannedActivity]:
    """One municipality's start-up meeting and local meetings (see the module docstring for the rules).

    Used by :func:`generate_plan` for every municipality, and alone for a municipality that joins after
    the plan was made.

    Parameters
    ----------
    start, end : datetime.date
        The project period ``[start, end)``.
    code : str
        The municipality's code.
    joined : datetime.date
        The day it joined; ``start <= joined < end``.
    index : int
        Its place in join order (0 for the first), which staggers the start-ups a week apart.
    busy : collection of datetime.date, optional
        Days already taken by other meetings (other municipalities', the experience meetings); the new
        meetings avoid them while their windows allow.

    Returns
    -------
    list of PlannedActivity
        The start-up meeting, then local meetings 1, 2, ... in date order.

    Raises
    ------
    ValueError
        If ``joined`` is outside the project, ``index`` is negative, or no working day is left for the
        start-up meeting before the project ends.
    """
    _check_period(start, end)
    if not start <= joined < end:
        raise ValueError(f"municipality {code} joined on {joined}, outside the project period {start} to {end}")
    if index < 0:
        raise ValueError(f"index must be 0 or more, not {index}")
    taken = set(busy)
    deadline = min(add_months(joined, STARTUP_WITHIN_MONTHS), end)
    startup = _activity(
        "startup",
        code,
        1,
        joined + STARTUP_AFTER + index * STARTUP_STAGGER,
        joined,
        deadline,
        taken,
        ("Opstartsmøde", "Start-up meeting"),
    )
    if startup is None:
        raise ValueError(f"municipality {code} joined on {joined}: no working day left for its start-up before {end}")
    out = [startup]
    sequence = 1
    while (natural := add_months(joined, LOCAL_EVERY_MONTHS * sequence)) < end:
        months = LOCAL_EVERY_MONTHS * sequence
        earliest = add_months(joined, months - LOCAL_SLACK_MONTHS)
        local_deadline = min(add_months(joined, months + LOCAL_SLACK_MONTHS), end)
        titles = (f"Lokalt møde {sequence}", f"Local meeting {sequence}")
        local = _activity("local", code, sequence, natural, earliest, local_deadline, taken, titles)
        if local is not None:
            out.append(local)
        sequence += 1
    return out


def _sort_key(activity: PlannedActivity) -> tuple[date, int, str, int]:
    return activity.day, KINDS.index(activity.kind), activity.municipality or "", activity.sequence


def generate_plan(start: date, end: date, municipalities: Sequence[tuple[str, date]]) -> list[PlannedActivity]:
    """The whole project's plan: experience meetings, then each municipality's start-up and local meetings.

    Parameters
    ----------
    start, end : datetime.date
        The project period ``[start, end)``; the seed's project runs two years.
    municipalities : sequence of (str, datetime.date)
        Each municipality's code and the day it joined (``start`` for the founding ones). Their order does
        not matter: they are taken in join order, ties by code.

    Returns
    -------
    list of PlannedActivity
        Sorted by day (then kind, municipality, sequence). Deterministic: the same input gives the same
        plan.

    Raises
    ------
    ValueError
        If the period is empty, a code appears twice, or a municipality joined outside the period.
    """
    _check_period(start, end)
    codes = [code for code, _ in municipalities]
    if len(set(codes)) != len(codes):
        raise ValueError("a municipality appears more than once")
    plan = experience_meetings(start, end)
    busy = {activity.day for activity in plan}
    for index, (code, joined) in enumerate(sorted(municipalities, key=lambda item: (item[1], item[0]))):
        own = plan_for_municipality(start, end, code, joined, index, busy=busy)
        busy.update(activity.day for activity in own)
        plan.extend(own)
    return sorted(plan, key=_sort_key)
