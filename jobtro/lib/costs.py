"""The collaboration's money and time: the participation fee and each municipality's own resource use. Pure.

Where the rules come from
-------------------------
The seed ("Pris for deltagelse"): a modest participation fee per municipality covers the project's
meetings, workshops and other activities, and "the final price is set from the number of participating
municipalities"; the municipalities must also budget their own resources, "hours, transport and the
like", for their leaders' and staff's part in the activities. Issue 6 item 5 makes that concrete:

* The fee is the research centre's shared costs (venue, catering, experts, materials) split evenly over
  the participating municipalities, recomputed, with history, when one joins or leaves or the costs
  change (:func:`fees_for`, :func:`fee_history`).
* A municipality's own resource use comes from attendance: a full-day meeting counts 7.4 hours and a
  half-day meeting 3.7 (DOMAIN.md: a Danish working day is 7.4 hours, a 37-hour week), by role, plus
  transport at kilometres x a configurable rate (:func:`resource_use`, :func:`summary`).

Money is :class:`decimal.Decimal` in kroner with two decimals (øre); floats are refused. Rounding is half
up (the everyday rule for kroner and øre, not banker's rounding). A fee split always sums to the total to
the øre: everyone pays the total divided evenly, rounded down to the øre, and the øre left over go one
each to the first municipalities in the order given (join order, in practice). The nominal fee quoted
per municipality (:func:`fee_per_municipality`) is the even share rounded half up, so it equals either
the larger or the smaller of the split amounts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Literal

Format = Literal["full_day", "half_day"]

#: Hours a person spends on a meeting of each format (DOMAIN.md: a working day is 7.4 h, a half 3.7 h).
HOURS: dict[str, Decimal] = {"full_day": Decimal("7.4"), "half_day": Decimal("3.7")}

#: What the research centre's shared costs are spent on (issue 6).
COST_CATEGORIES = ("venue", "catering", "experts", "materials", "other")

ORE = Decimal("0.01")
ZERO = Decimal("0.00")


def _money(value: Decimal | int, what: str, *, negative: bool = False) -> Decimal:
    """Check an amount in kroner: a finite Decimal (not float) in whole øre, not negative unless allowed."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{what} must be a Decimal (or int), not {type(value).__name__}")
    value = Decimal(value)
    if not value.is_finite():
        raise ValueError(f"{what} must be a finite amount, not {value}")
    if value != value.quantize(ORE):
        raise ValueError(f"{what} must be in whole øre (two decimals), not {value}")
    if value < 0 and not negative:
        raise ValueError(f"{what} must not be negative, not {value}")
    return value.quantize(ORE)


def _quantity(value: Decimal | int, what: str) -> Decimal:
    """Check a non-negative finite Decimal or int (kilometres, a rate)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{what} must be a Decimal (or int), not {type(value).__name__}")
    value = Decimal(value)
    if not value.is_finite() or value < 0:
        raise ValueError(f"{what} must be a finite number, not negative, not {value}")
    return value


def _round(value: Decimal) -> Decimal:
    return value.quantize(ORE, rounding=ROUND_HALF_UP)


# --- the fee -----------------------------------------------------------------------------------------------


def _check_count(municipalities: int) -> None:
    if isinstance(municipalities, bool) or not isinstance(municipalities, int):
        raise TypeError(f"the number of municipalities must be an int, not {type(municipalities).__name__}")
    if municipalities < 1:
        raise ValueError(f"the fee needs at least one participating municipality, not {municipalities}")


def fee_per_municipality(total_shared_costs: Decimal, municipalities: int) -> Decimal:
    """The nominal fee: the shared costs split evenly, rounded half up to the øre.

    For the amounts that sum exactly to the total, use :func:`fee_split` or :func:`fees_for`.

    Parameters
    ----------
    total_shared_costs : decimal.Decimal
        The research centre's shared costs in kroner, whole øre, not negative.
    municipalities : int
        How many municipalities take part, at least 1.

    Returns
    -------
    decimal.Decimal

    Raises
    ------
    ValueError
        Negative, non-finite or sub-øre costs, or fewer than one municipality.
    """
    total = _money(total_shared_costs, "the shared costs")
    _check_count(municipalities)
    return _round(total / municipalities)


def fee_split(total_shared_costs: Decimal, municipalities: int) -> list[Decimal]:
    """The fee of each municipality, summing exactly to the total.

    Each pays the even share rounded down to the øre; the øre left over (fewer than ``municipalities``)
    go one each to the first municipalities. 100.00 kr over 3 gives 33.34, 33.33, 33.33.

    Raises
    ------
    ValueError
        As :func:`fee_per_municipality`.
    """
    total = _money(total_shared_costs, "the shared costs")
    _check_count(municipalities)
    base = (total / municipalities).quantize(ORE, rounding=ROUND_DOWN)
    left_over = int((total - base * municipalities) / ORE)
    return [base + ORE if i < left_over else base for i in range(municipalities)]


def fees_for(municipalities: Sequence[str], total_shared_costs: Decimal) -> dict[str, Decimal]:
    """The fee of each participating municipality (by code), summing exactly to the total.

    Parameters
    ----------
    municipalities : sequence of str
        The participating municipalities' codes in join order: the first ones take the left-over øre.
    total_shared_costs : decimal.Decimal
        The shared costs in kroner.

    Raises
    ------
    ValueError
        As :func:`fee_per_municipality`, or a code appears twice.
    """
    if len(set(municipalities)) != len(municipalities):
        raise ValueError("a municipality appears more than once")
    return dict(zip(municipalities, fee_split(total_shared_costs, len(municipalities)), strict=True))


def total_shared_costs(costs: Iterable[tuple[str, Decimal]]) -> Decimal:
    """The sum of ``(category, amount)`` shared costs; categories from :data:`COST_CATEGORIES`.

    Raises
    ------
    ValueError
        An unknown category, or a negative or sub-øre amount.
    """
    total = ZERO
    for category, amount in costs:
        if category not in COST_CATEGORIES:
            raise ValueError(f"unknown cost category {category!r}; expected one of {', '.join(COST_CATEGORIES)}")
        total += _money(amount, f"the {category} cost")
    return total


@dataclass(frozen=True)
class FeeEvent:
    """Something that changes the fee.

    Attributes
    ----------
    day : datetime.date
    kind : {"join", "leave", "cost"}
        A municipality joins or leaves, or the shared costs change by ``amount`` (negative for a
        correction or a saving).
    municipality : str or None
        The municipality's code, for ``join`` and ``leave``.
    amount : decimal.Decimal
        The change in shared costs, for ``cost``.
    note : str
        Free text kept in the history (e.g. "expert fee for the closing meeting").
    """

    day: date
    kind: Literal["join", "leave", "cost"]
    municipality: str | None = None
    amount: Decimal = ZERO
    note: str = ""


@dataclass(frozen=True)
class FeeChange:
    """The fee as it stands from ``day`` until the next change.

    Attributes
    ----------
    day : datetime.date
    municipalities : tuple of str
        Participating municipalities in join order.
    total_shared_costs : decimal.Decimal
    fee : decimal.Decimal or None
        The nominal fee (:func:`fee_per_municipality`); None while no municipality takes part.
    fees : dict of str to decimal.Decimal
        Each municipality's exact share (:func:`fees_for`).
    events : tuple of FeeEvent
        The events of that day that led to the change.
    """

    day: date
    municipalities: tuple[str, ...]
    total_shared_costs: Decimal
    fee: Decimal | None
    fees: Mapping[str, Decimal] = field(default_factory=dict)
    events: tuple[FeeEvent, ...] = ()


def fee_history(events: Sequence[FeeEvent]) -> list[FeeChange]:
    """Replay joins, leaves and cost changes into the fee's history, one entry per day with events.

    Events are taken in day order; events of the same day in the order given, and the day gives one
    :class:`FeeChange` showing the state after all of them.

    Raises
    ------
    ValueError
        A municipality joins twice or leaves without having joined, a join/leave without a municipality,
        a cost change that would make the shared costs negative, or an invalid amount.
    """
    members: list[str] = []
    total = ZERO
    history: list[FeeChange] = []
    ordered = sorted(enumerate(events), key=lambda item: (item[1].day, item[0]))
    i = 0
    while i < len(ordered):
        day = ordered[i][1].day
        todays: list[FeeEvent] = []
        while i < len(ordered) and ordered[i][1].day == day:
            event = ordered[i][1]
            todays.append(event)
            i += 1
            if event.kind == "cost":
                total += _money(event.amount, f"the cost change on {day}", negative=True)
                if total < 0:
                    raise ValueError(f"the shared costs would become negative ({total}) on {day}")
                continue
            if event.kind not in ("join", "leave"):
                raise ValueError(f"unknown fee event kind {event.kind!r}")
            if not event.municipality:
                raise ValueError(f"a {event.kind} event on {day} needs a municipality")
            if event.kind == "join":
                if event.municipality in members:
                    raise ValueError(f"municipality {event.municipality} joins on {day} but already takes part")
                members.append(event.municipality)
            else:
                if event.municipality not in members:
                    raise ValueError(f"municipality {event.municipality} leaves on {day} but does not take part")
                members.remove(event.municipality)
        fee = fee_per_municipality(total, len(members)) if members else None
        fees = fees_for(members, total) if members else {}
        history.append(FeeChange(day, tuple(members), total, fee, fees, tuple(todays)))
    return history


# --- resource use ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attendance:
    """One person's attendance at one meeting.

    Attributes
    ----------
    role : str
        E.g. ``"leader"``, ``"caseworker"``, ``"key_person"``; hours are summed per role.
    format : {"full_day", "half_day"}
        The meeting's format, which sets the hours (:data:`HOURS`).
    km : decimal.Decimal
        Kilometres driven for it (there and back); 0 for a meeting at the person's own workplace.
    municipality : str or None
        The person's municipality, needed by :func:`summary`.
    """

    role: str
    format: Format
    km: Decimal = Decimal(0)
    municipality: str | None = None


@dataclass(frozen=True)
class ResourceUse:
    """Hours and transport from a set of attendances.

    Attributes
    ----------
    hours_by_role : dict of str to decimal.Decimal
        Roles in first-seen order.
    hours_total : decimal.Decimal
    km_total : decimal.Decimal
    transport_cost : decimal.Decimal
        Kroner, rounded half up to the øre.
    attendances : int
    """

    hours_by_role: Mapping[str, Decimal]
    hours_total: Decimal
    km_total: Decimal
    transport_cost: Decimal
    attendances: int

    def __add__(self, other: ResourceUse) -> ResourceUse:
        hours = dict(self.hours_by_role)
        for role, value in other.hours_by_role.items():
            hours[role] = hours.get(role, Decimal(0)) + value
        return ResourceUse(
            hours,
            self.hours_total + other.hours_total,
            self.km_total + other.km_total,
            self.transport_cost + other.transport_cost,
            self.attendances + other.attendances,
        )


EMPTY = ResourceUse({}, Decimal("0.0"), Decimal(0), ZERO, 0)


def resource_use(attendances: Iterable[Attendance], km_rate: Decimal) -> ResourceUse:
    """Sum attendances into hours by role, kilometres and transport cost.

    Parameters
    ----------
    attendances : iterable of Attendance
    km_rate : decimal.Decimal
        Kroner per kilometre (configurable; e.g. the state's tax-free rate).

    Returns
    -------
    ResourceUse
        ``transport_cost`` is ``km_total x km_rate`` rounded half up to the øre once, at the end.

    Raises
    ------
    ValueError
        An unknown format, an empty role, or negative kilometres or rate.
    """
    rate = _quantity(km_rate, "the kilometre rate")
    hours: dict[str, Decimal] = {}
    km_total = Decimal(0)
    count = 0
    for attendance in attendances:
        if attendance.format not in HOURS:
            raise ValueError(f"unknown meeting format {attendance.format!r}; expected one of {', '.join(HOURS)}")
        if not attendance.role:
            raise ValueError("an attendance needs a role")
        hours[attendance.role] = hours.get(attendance.role, Decimal(0)) + HOURS[attendance.format]
        km_total += _quantity(attendance.km, "kilometres")
        count += 1
    hours_total = sum(hours.values(), Decimal("0.0"))
    return ResourceUse(hours, hours_total, km_total, _round(km_total * rate), count)


@dataclass(frozen=True)
class ResourceSummary:
    """Resource use per municipality and for the whole project.

    Attributes
    ----------
    by_municipality : dict of str to ResourceUse
        In code order.
    project : ResourceUse
        The sum of the municipality rows (so a table of them adds up to the øre).
    """

    by_municipality: Mapping[str, ResourceUse]
    project: ResourceUse


def summary(attendances: Iterable[Attendance], km_rate: Decimal) -> ResourceSummary:
    """:func:`resource_use` per municipality and in total.

    Raises
    ------
    ValueError
        An attendance without a municipality, or as :func:`resource_use`.
    """
    grouped: dict[str, list[Attendance]] = {}
    for attendance in attendances:
        if not attendance.municipality:
            raise ValueError(f"an attendance ({attendance.role}, {attendance.format}) has no municipality")
        grouped.setdefault(attendance.municipality, []).append(attendance)
    rate = _quantity(km_rate, "the kilometre rate")
    by_municipality = {code: resource_use(grouped[code], rate) for code in sorted(grouped)}
    project = sum(by_municipality.values(), EMPTY)
    return ResourceSummary(by_municipality, project)
