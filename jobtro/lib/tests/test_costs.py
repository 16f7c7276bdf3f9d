"""Tests for jobtro.lib.costs: the participation fee and each municipality's own resource use."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobtro.lib.costs import (
    HOURS,
    Attendance,
    FeeEvent,
    fee_history,
    fee_per_municipality,
    fee_split,
    fees_for,
    resource_use,
    summary,
    total_shared_costs,
)

D = Decimal
CODES = ["0740", "0727", "0540", "0147"]


# --- the fee ---------------------------------------------------------------------------------------------


def test_hours() -> None:
    assert HOURS["full_day"] == D("7.4")
    assert HOURS["half_day"] == D("3.7")
    assert set(HOURS) == {"full_day", "half_day"}


def test_fee_even_split() -> None:
    assert fee_per_municipality(D("200000.00"), 4) == D("50000.00")
    assert fee_split(D("200000.00"), 4) == [D("50000.00")] * 4


def test_fee_rounds_half_up_and_split_sums_exactly() -> None:
    assert fee_per_municipality(D("100.00"), 3) == D("33.33")
    assert fee_split(D("100.00"), 3) == [D("33.34"), D("33.33"), D("33.33")]
    assert fee_per_municipality(D("200.00"), 3) == D("66.67")
    assert fee_split(D("200.00"), 3) == [D("66.67"), D("66.67"), D("66.66")]
    assert fee_per_municipality(D("0.10"), 4) == D("0.03")  # 0.025 -> 0.03: half up, not banker's 0.02
    assert fee_split(D("0.10"), 4) == [D("0.03"), D("0.03"), D("0.02"), D("0.02")]


def test_recomputed_with_five() -> None:
    total = total_shared_costs(
        [("venue", D("40000.00")), ("catering", D("18500.50")), ("experts", D("60000.00")), ("materials", D("1234.57"))]
    )
    assert total == D("119735.07")
    four = fees_for(CODES, total)
    assert sum(four.values()) == total
    assert four == dict.fromkeys(CODES[:3], D("29933.77")) | {"0147": D("29933.76")}
    five = fees_for([*CODES, "0999"], total)
    assert sum(five.values()) == total
    assert set(five.values()) == {D("23947.01"), D("23947.02")}
    assert list(five.values()).count(D("23947.02")) == 2  # 7 øre over 5: the first two take the extra øre
    assert fee_per_municipality(total, 5) == D("23947.01")


@given(
    total=st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False, allow_infinity=False),
    n=st.integers(min_value=1, max_value=50),
)
def test_split_always_sums_to_total(total: Decimal, n: int) -> None:
    parts = fee_split(total, n)
    assert len(parts) == n
    assert sum(parts, D(0)) == total
    assert max(parts) - min(parts) <= D("0.01")
    assert fee_per_municipality(total, n) in parts


@pytest.mark.parametrize(
    ("total", "n", "error", "match"),
    [
        (D("-1.00"), 4, ValueError, "negative"),
        (D("100.00"), 0, ValueError, "at least one"),
        (D("100.005"), 4, ValueError, "whole øre"),
        (D("NaN"), 4, ValueError, "finite"),
        (100.0, 4, TypeError, "Decimal"),
    ],
)
def test_fee_errors(total: Decimal, n: int, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        fee_per_municipality(total, n)
    with pytest.raises(error, match=match):
        fee_split(total, n)


def test_other_errors() -> None:
    with pytest.raises(ValueError, match="more than once"):
        fees_for(["0740", "0740"], D("10.00"))
    with pytest.raises(ValueError, match="unknown cost category"):
        total_shared_costs([("travel", D("1.00"))])
    with pytest.raises(ValueError, match="negative"):
        total_shared_costs([("venue", D("-1.00"))])


def test_fee_history() -> None:
    start = date(2025, 1, 6)
    events = [
        FeeEvent(start, "cost", amount=D("100000.00"), note="budget"),
        *(FeeEvent(start, "join", code) for code in CODES),
        FeeEvent(date(2025, 8, 6), "join", "0999"),
        FeeEvent(date(2025, 9, 1), "cost", amount=D("20000.00"), note="extra expert"),
        FeeEvent(date(2026, 3, 1), "leave", "0540"),
        FeeEvent(date(2026, 4, 1), "cost", amount=D("-5000.00"), note="venue at a municipality"),
    ]
    history = fee_history(list(reversed(events)))  # order of days does not matter
    assert [h.day for h in history] == [start, date(2025, 8, 6), date(2025, 9, 1), date(2026, 3, 1), date(2026, 4, 1)]
    assert [h.fee for h in history] == [D("25000.00"), D("20000.00"), D("24000.00"), D("30000.00"), D("28750.00")]
    assert history[0].municipalities == tuple(reversed(CODES))  # same day: the order given
    assert history[1].municipalities[-1] == "0999"
    assert "0540" not in history[3].municipalities
    totals = ["100000.00", "100000.00", "120000.00", "120000.00", "115000.00"]
    assert [h.total_shared_costs for h in history] == [D(t) for t in totals]
    for h in history:
        assert sum(h.fees.values()) == h.total_shared_costs
    assert history[2].events[0].note == "extra expert"


def test_fee_history_without_members_and_errors() -> None:
    (first,) = fee_history([FeeEvent(date(2025, 1, 1), "cost", amount=D("10.00"))])
    assert first.fee is None and first.fees == {}
    with pytest.raises(ValueError, match="already takes part"):
        fee_history([FeeEvent(date(2025, 1, 1), "join", "0740"), FeeEvent(date(2025, 2, 1), "join", "0740")])
    with pytest.raises(ValueError, match="does not take part"):
        fee_history([FeeEvent(date(2025, 1, 1), "leave", "0740")])
    with pytest.raises(ValueError, match="negative"):
        fee_history([FeeEvent(date(2025, 1, 1), "cost", amount=D("-1.00"))])
    with pytest.raises(ValueError, match="needs a municipality"):
        fee_history([FeeEvent(date(2025, 1, 1), "join")])


# --- resource use ------------------------------------------------------------------------------------------


def attendances() -> list[Attendance]:
    return [
        # Silkeborg: start-up (full day, 2 leaders + 3 caseworkers at home), local meeting (half day, 2 key persons)
        *[Attendance("leader", "full_day", D(0), "0740")] * 2,
        *[Attendance("caseworker", "full_day", D(0), "0740")] * 3,
        *[Attendance("key_person", "half_day", D(0), "0740")] * 2,
        # experience meeting at the research centre: 2 from Silkeborg drive 84.5 km each way
        *[Attendance("caseworker", "full_day", D("169.0"), "0740")] * 2,
        # Odder: 1 leader at the experience meeting, 123.4 km there and back
        Attendance("leader", "full_day", D("123.4"), "0727"),
    ]


def test_resource_use_sums() -> None:
    rate = D("3.81")
    use = resource_use((a for a in attendances() if a.municipality == "0740"), rate)
    assert use.hours_by_role == {"leader": D("14.8"), "caseworker": D("37.0"), "key_person": D("7.4")}
    assert use.hours_total == D("59.2")
    assert use.km_total == D("338.0")
    assert use.transport_cost == D("1287.78")  # 338 x 3.81
    assert use.attendances == 9
    odder = resource_use([a for a in attendances() if a.municipality == "0727"], rate)
    assert odder.transport_cost == D("470.15")  # 123.4 x 3.81 = 470.154 -> 470.15
    assert odder.hours_total == D("7.4")


def test_resource_use_half_up() -> None:
    use = resource_use([Attendance("leader", "half_day", D("1.5"))], D("0.01"))  # 0.015 -> 0.02
    assert use.transport_cost == D("0.02")
    assert use.hours_total == D("3.7")


def test_summary_per_municipality_and_project() -> None:
    result = summary(attendances(), D("3.81"))
    assert list(result.by_municipality) == ["0727", "0740"]
    project = result.project
    assert project.hours_by_role == {"leader": D("22.2"), "caseworker": D("37.0"), "key_person": D("7.4")}
    assert project.hours_total == D("66.6")
    assert project.km_total == D("461.4")
    assert project.transport_cost == D("1287.78") + D("470.15")
    assert project.attendances == 10
    assert project.transport_cost == sum((u.transport_cost for u in result.by_municipality.values()), D(0))


def test_resource_use_empty_and_errors() -> None:
    empty = resource_use([], D("3.81"))
    assert empty.hours_total == 0 and empty.transport_cost == 0 and empty.hours_by_role == {}
    with pytest.raises(ValueError, match="format"):
        resource_use([Attendance("leader", "two_days", D(0))], D("3.81"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="negative"):
        resource_use([Attendance("leader", "full_day", D(-1))], D("3.81"))
    with pytest.raises(ValueError, match="negative"):
        resource_use([], D("-3.81"))
    with pytest.raises(ValueError, match="role"):
        resource_use([Attendance("", "full_day")], D("3.81"))
    with pytest.raises(ValueError, match="no municipality"):
        summary([Attendance("leader", "full_day")], D("3.81"))
