"""Tests for jobtro.lib.ical: the meetings feed parses back to the same events, and is RFC 5545 on the wire.

Only one iCalendar parser is installed (icalendar itself; no vobject or ics), so besides a strict parse with the
library, the raw bytes are checked by a small hand-written content-line reader below (unfolding, CRLF, 75
octets, BEGIN/END nesting, required properties), which shares no code with the library.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar, Event

from jobtro.lib.ical import PRODID, FeedEvent, activity_uid, feed, parse_feed

CPH = ZoneInfo("Europe/Copenhagen")
NOW = datetime(2026, 2, 1, 8, 30, tzinfo=UTC)

DANISH = (
    'Dagsorden:\n1. Velkomst ved Søren Ærø-Østergård\n2. Oplæg: "Troen på borgernes jobchance"; spørgsmål, svar\n'
    "3. Frokost i kantinen (æblegrød, rødgrød med fløde)\\slut\nÅÅÅ ÆÆÆ ØØØ æøå — en meget lang linje " * 3
)

EVENTS = [
    FeedEvent(  # a two-day seminar across the start of summer time (29 March 2026, 02:00 → 03:00)
        uid=activity_uid(1),
        summary="Tværkommunalt erfaringsmøde",
        start=datetime(2026, 3, 28, 10, 0, tzinfo=CPH),
        end=datetime(2026, 3, 29, 14, 0, tzinfo=CPH),
        description=DANISH,
        location="Forskningscentret, Ålborggade 7; lokale 2, 2100 København Ø",
        sequence=2,
        last_modified=datetime(2026, 1, 15, 13, 45, 12, tzinfo=CPH),
        url="https://jobtro.example/aktiviteter/1/?vis=dagsorden&sprog=da",
        categories=("erfaringsmøde", "heldag, tværkommunalt"),
        organizer_email="forsker@jobtro.example",
        organizer_name="Anne Ørsted",
    ),
    FeedEvent(  # a summer meeting: +02:00
        uid=activity_uid(2),
        summary="Lokalt møde for nøglepersoner, Aarhus",
        start=datetime(2026, 6, 10, 9, 0, tzinfo=CPH),
        end=datetime(2026, 6, 10, 12, 42, tzinfo=CPH),
        location="Aarhus Rådhus",
        last_modified=datetime(2026, 1, 20, 9, 0, tzinfo=UTC),
        categories=("lokalt møde",),
    ),
    FeedEvent(  # across the end of summer time (25 October 2026, 03:00 → 02:00)
        uid=activity_uid(3),
        summary="Forskningsbesøg: observation",
        start=datetime(2026, 10, 24, 20, 0, tzinfo=CPH),
        end=datetime(2026, 10, 25, 9, 0, tzinfo=CPH),
    ),
    FeedEvent(uid=activity_uid(4), summary="Opstartsdag i Høje-Taastrup", start=date(2026, 4, 14)),
    FeedEvent(  # moved twice, then cancelled
        uid=activity_uid(5),
        summary="Aflyst: opfølgningsmøde",
        start=datetime(2026, 11, 3, 12, 30, tzinfo=CPH),
        end=datetime(2026, 11, 3, 16, 12, tzinfo=CPH),
        sequence=3,
        status="CANCELLED",
        last_modified=datetime(2026, 1, 31, 23, 59, 59, tzinfo=UTC),
    ),
]


def make(events: list[FeedEvent] = EVENTS, **kwargs: object) -> bytes:
    return feed("Møder i Troen på borgernes jobchance – Aarhus Kommune", events, now=NOW, **kwargs)  # type: ignore[arg-type]


# --- an independent reader of the raw bytes --------------------------------------------------------------------

CONTENT_LINE = re.compile(r'^[A-Za-z0-9-]+(;[A-Za-z0-9-]+=("[^"]*"|[^";:,]*)(,("[^"]*"|[^";:,]*))*)*:.*$')


def unfold(data: bytes) -> list[str]:
    """RFC 5545 §3.1: CRLF line ends; a line starting with a space or tab continues the previous one."""
    assert data.endswith(b"\r\n")
    physical = data[:-2].split(b"\r\n")
    for line in physical:
        assert b"\r" not in line and b"\n" not in line, line
        assert len(line) <= 75, (len(line), line)
        line.decode("utf-8")  # folding never cuts a multi-byte character in two
        assert not re.search(rb"[\x00-\x08\x0a-\x1f\x7f]", line), line  # no CONTROL but HTAB (§3.3.11)
    logical: list[bytes] = []
    for line in physical:
        if line[:1] in (b" ", b"\t"):
            logical[-1] += line[1:]
        else:
            logical.append(line)
    return [line.decode("utf-8") for line in logical]


def components(lines: list[str]) -> list[tuple[str, dict[str, list[str]]]]:
    """Every component with its own property lines (name → raw lines), checking BEGIN/END nesting."""
    stack: list[tuple[str, dict[str, list[str]]]] = []
    done: list[tuple[str, dict[str, list[str]]]] = []
    for line in lines:
        assert CONTENT_LINE.match(line), line
        name = re.split("[;:]", line, maxsplit=1)[0].upper()
        value = line.split(":", 1)[1]
        if name == "BEGIN":
            stack.append((value.upper(), {}))
        elif name == "END":
            assert stack and stack[-1][0] == value.upper(), (line, stack)
            done.append(stack.pop())
        else:
            assert stack, line
            stack[-1][1].setdefault(name, []).append(line)
    assert not stack
    assert done[-1][0] == "VCALENDAR"
    return done


def check_structure(data: bytes) -> list[tuple[str, dict[str, list[str]]]]:
    found = components(unfold(data))
    calendar = found[-1][1]
    for once in ("PRODID", "VERSION", "CALSCALE", "METHOD"):
        assert len(calendar[once]) == 1, once
    for name, props in found:
        if name == "VEVENT":
            for once in ("UID", "DTSTAMP", "DTSTART"):
                assert len(props.get(once, [])) == 1, (once, props)
            assert props["DTSTAMP"][0].endswith("Z")
    assert sum(name == "VTIMEZONE" for name, _ in found) == 1
    return found


# --- round trip ------------------------------------------------------------------------------------------------


def test_events_parse_back_equal() -> None:
    back = parse_feed(make())
    assert sorted(back, key=lambda e: e.uid) == sorted(EVENTS, key=lambda e: e.uid)
    assert [e.uid for e in back] == [activity_uid(n) for n in (1, 4, 2, 3, 5)]  # in order of start


def test_times_come_back_aware_in_copenhagen_across_daylight_saving() -> None:
    back = {e.uid: e for e in parse_feed(make())}
    for event in back.values():
        for moment in (event.start, event.end):
            if isinstance(moment, datetime):
                assert moment.tzinfo == CPH
    seminar = back[activity_uid(1)]
    assert isinstance(seminar.start, datetime) and isinstance(seminar.end, datetime)
    assert seminar.start.utcoffset() == timedelta(hours=1) and seminar.end.utcoffset() == timedelta(hours=2)
    assert seminar.end.astimezone(UTC) - seminar.start.astimezone(UTC) == timedelta(hours=27)  # an hour lost
    visit = back[activity_uid(3)]
    assert isinstance(visit.start, datetime) and isinstance(visit.end, datetime)
    assert visit.end.astimezone(UTC) - visit.start.astimezone(UTC) == timedelta(hours=14)  # an hour gained
    summer = back[activity_uid(2)]
    assert isinstance(summer.start, datetime)
    assert summer.start.astimezone(UTC) == datetime(2026, 6, 10, 7, 0, tzinfo=UTC)


def test_times_are_written_as_local_wall_clock_time() -> None:
    text = make().decode()
    assert "DTSTART;TZID=Europe/Copenhagen:20260328T100000\r\n" in text
    assert "DTEND;TZID=Europe/Copenhagen:20260329T140000\r\n" in text
    assert "DTEND;TZID=Europe/Copenhagen:20261025T090000\r\n" in text
    assert "LAST-MODIFIED:20260115T124512Z\r\n" in text  # UTC, as RFC 5545 requires


def test_all_day_event_is_a_date_with_exclusive_end() -> None:
    text = make().decode()
    assert "DTSTART;VALUE=DATE:20260414\r\nDTEND;VALUE=DATE:20260415\r\n" in text
    (day,) = [e for e in parse_feed(make()) if e.all_day]
    assert day.start == date(2026, 4, 14) and day.end == date(2026, 4, 15)
    assert not isinstance(day.start, datetime)


def test_cancelled_event_keeps_its_uid_status_and_sequence() -> None:
    (cancelled,) = [e for e in parse_feed(make()) if e.status == "CANCELLED"]
    assert cancelled.uid == activity_uid(5) and cancelled.sequence == 3
    assert "STATUS:CANCELLED\r\n" in make().decode()


def test_danish_text_survives_escaping_and_folding() -> None:
    data = make()
    (seminar,) = [e for e in parse_feed(data) if e.uid == activity_uid(1)]
    assert seminar.description == DANISH
    assert seminar.location == "Forskningscentret, Ålborggade 7; lokale 2, 2100 København Ø"
    assert seminar.categories == ("erfaringsmøde", "heldag, tværkommunalt")
    assert seminar.organizer_email == "forsker@jobtro.example" and seminar.organizer_name == "Anne Ørsted"
    assert "PRODID:-//jobtro//Troen på borgernes jobchance//DA\r\n".encode() in data  # UTF-8, not escaped
    assert "Søren Ærø-Østergård".encode() in data.replace(b"\r\n ", b"")


def test_ambiguous_hour_when_summer_time_ends_keeps_its_instant() -> None:
    first = datetime(2026, 10, 25, 2, 30, tzinfo=CPH, fold=0)  # 00:30 UTC
    second = datetime(2026, 10, 25, 2, 30, tzinfo=CPH, fold=1)  # 01:30 UTC
    events = [
        FeedEvent(uid="a", summary="første", start=first, end=second),
        FeedEvent(uid="b", summary="anden", start=second, end=second + timedelta(hours=2)),
    ]
    back = {e.uid: e for e in parse_feed(make(events))}
    for event in events:
        got = back[event.uid]
        assert isinstance(got.start, datetime) and isinstance(event.start, datetime)
        assert got.start.astimezone(UTC) == event.start.astimezone(UTC)
        assert isinstance(got.end, datetime) and isinstance(event.end, datetime)
        assert got.end.astimezone(UTC) == event.end.astimezone(UTC)


# --- the calendar as a whole -----------------------------------------------------------------------------------


def test_calendar_properties() -> None:
    calendar = Calendar.from_ical(make(description="Alle møder i samarbejdet"))
    assert str(calendar["PRODID"]) == PRODID
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "Møder i Troen på borgernes jobchance – Aarhus Kommune"
    assert str(calendar["X-WR-CALDESC"]) == "Alle møder i samarbejdet"
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Copenhagen"
    assert calendar.refresh_interval == timedelta(hours=12)
    text = make(refresh_hours=48).decode()
    assert "REFRESH-INTERVAL;VALUE=DURATION:P2D\r\n" in text and "X-PUBLISHED-TTL:P2D\r\n" in text


def test_every_event_has_uid_and_dtstamp() -> None:
    calendar = Calendar.from_ical(make())
    assert len(calendar.events) == len(EVENTS)
    for event in calendar.events:
        assert event.get("UID") and event.get("DTSTAMP")
        assert event.DTSTAMP == NOW


def test_vtimezone_is_present_and_matches_the_tz_database() -> None:
    data = make()
    (timezone,) = Calendar.from_ical(data).timezones
    assert timezone.tz_name == "Europe/Copenhagen"
    assert {c.name for c in timezone.subcomponents} == {"STANDARD", "DAYLIGHT"}
    # Rename the zone so the library has to build it from our VTIMEZONE instead of its tz database.
    renamed = Calendar.from_ical(data.replace(b"Europe/Copenhagen", b"Jobtro/Kobenhavn"))
    timed = 0
    for got, want in zip(renamed.events, Calendar.from_ical(data).events, strict=True):
        assert got.start == want.start and got.end == want.end
        for mine, tzdb in ((got.start, want.start), (got.end, want.end)):
            if isinstance(mine, datetime) and isinstance(tzdb, datetime):
                assert "Jobtro/Kobenhavn" in repr(mine.tzinfo)
                assert mine.utcoffset() == tzdb.utcoffset()
                timed += 1
    assert timed == 8


def test_wire_format_is_rfc5545() -> None:
    check_structure(make())


def test_strict_parse_with_the_library(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Event, "ignore_exceptions", False)  # raise instead of keeping broken properties
    calendar = Calendar.from_ical(make())
    calendar.validate()
    assert all(not component.errors for component in calendar.walk())
    assert calendar.get_missing_tzids() == set()


def test_empty_feed_is_valid() -> None:
    data = make([])
    assert parse_feed(data) == []
    found = check_structure(data)
    assert [name for name, _ in found if name in ("VEVENT", "VTIMEZONE")] == ["VTIMEZONE"]
    Calendar.from_ical(data).validate()  # RFC 5545 needs one component; the VTIMEZONE is it


def test_output_is_a_pure_function_of_its_arguments() -> None:
    assert make() == make() == make(list(reversed(EVENTS)))


# --- FeedEvent's checks and normalisation -----------------------------------------------------------------------


def test_event_is_normalised_to_copenhagen_whole_seconds() -> None:
    event = FeedEvent(
        uid="x",
        summary="s",
        start=datetime(2026, 5, 1, 7, 0, 0, 123456, tzinfo=UTC),
        end=datetime(2026, 5, 1, 8, 0, tzinfo=UTC),
        last_modified=datetime(2026, 4, 1, 12, 0, 0, 999999, tzinfo=UTC),
    )
    assert event.start == datetime(2026, 5, 1, 9, 0, tzinfo=CPH)
    assert isinstance(event.start, datetime) and event.start.tzinfo == CPH
    assert event.last_modified is not None and event.last_modified.microsecond == 0
    assert parse_feed(make([event])) == [event]
    assert FeedEvent(uid="d", summary="s", start=date(2026, 1, 2)).end == date(2026, 1, 3)


def test_a_time_that_does_not_exist_becomes_the_real_one() -> None:
    event = FeedEvent(  # 02:30 on 29 March 2026 is skipped: the clock goes from 02:00 to 03:00
        uid="x", summary="s", start=datetime(2026, 3, 29, 2, 30, tzinfo=CPH), end=datetime(2026, 3, 29, 4, tzinfo=CPH)
    )
    assert isinstance(event.start, datetime)
    assert (event.start.hour, event.start.utcoffset()) == (3, timedelta(hours=2))
    assert parse_feed(make([event])) == [event]


def test_text_is_cleaned_to_what_icalendar_can_carry() -> None:
    event = FeedEvent(
        uid="x",
        summary="Møde\r\nom\x00 ledelse\x1b",
        start=date(2026, 1, 2),
        description="Linje 1\r\nLinje 2\rLinje 3\tmed tab",
        categories=("a\x07b",),
    )
    assert (event.summary, event.description) == ("Møde\nom ledelse", "Linje 1\nLinje 2\nLinje 3\tmed tab")
    assert event.categories == ("ab",)
    assert parse_feed(make([event])) == [event]
    with pytest.raises(ValueError, match="empty category"):
        FeedEvent(uid="x", summary="s", start=date(2026, 1, 2), categories=("\x00",))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": datetime(2026, 5, 1, 9), "end": datetime(2026, 5, 1, 10)}, "aware"),
        ({"start": datetime(2026, 5, 1, 9, tzinfo=CPH)}, "needs an end datetime"),
        ({"start": datetime(2026, 5, 1, 9, tzinfo=CPH), "end": date(2026, 5, 2)}, "needs an end datetime"),
        ({"start": date(2026, 5, 1), "end": datetime(2026, 5, 2, tzinfo=CPH)}, "needs an end date"),
        ({"start": datetime(2026, 5, 1, 9, tzinfo=CPH), "end": datetime(2026, 5, 1, 8, tzinfo=CPH)}, "before"),
        ({"start": date(2026, 5, 1), "end": date(2026, 5, 1)}, "exclusive"),
        ({"start": date(2026, 5, 1), "status": "AFLYST"}, "status"),
        ({"start": date(2026, 5, 1), "sequence": -1}, "sequence"),
        ({"start": date(2026, 5, 1), "uid": " "}, "UID"),
    ],
)
def test_bad_events_are_refused(kwargs: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"uid": "x", "summary": "s", **kwargs}
    with pytest.raises(ValueError, match=message):
        FeedEvent(**fields)  # type: ignore[arg-type]


def test_duplicate_uids_and_bad_refresh_are_refused() -> None:
    one = FeedEvent(uid="x", summary="s", start=date(2026, 5, 1))
    with pytest.raises(ValueError, match="unique"):
        make([one, one])
    with pytest.raises(ValueError, match="refresh_hours"):
        make([one], refresh_hours=0)


# --- reading feeds written by someone else ----------------------------------------------------------------------


def test_parse_feed_reads_utc_floating_duration_and_missing_end() -> None:
    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//andre//DA\r\n"
        b"BEGIN:VEVENT\r\nUID:utc\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:UTC\r\n"
        b"DTSTART:20260701T070000Z\r\nDURATION:PT3H42M\r\nEND:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nUID:floating\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Flydende\r\n"
        b"DTSTART:20260102T090000\r\nDTEND:20260102T100000\r\nSTATUS:TENTATIVE\r\nEND:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nUID:day\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Dag\r\nDTSTART;VALUE=DATE:20260105\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    utc, floating, day = parse_feed(data)
    assert utc.start == datetime(2026, 7, 1, 9, 0, tzinfo=CPH) and utc.end == datetime(2026, 7, 1, 12, 42, tzinfo=CPH)
    assert isinstance(utc.start, datetime) and utc.start.tzinfo == CPH
    assert floating.start == datetime(2026, 1, 2, 9, 0, tzinfo=CPH) and floating.status == "TENTATIVE"
    assert utc.status == "CONFIRMED" and utc.last_modified is None and utc.description == "" and utc.url is None
    assert day.start == date(2026, 1, 5) and day.end == date(2026, 1, 6)


def test_parse_feed_refuses_unreadable_properties() -> None:
    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//andre//DA\r\nBEGIN:VEVENT\r\nUID:x\r\n"
        b"DTSTAMP:20260101T000000Z\r\nDTSTART:20260102T090000Z\r\nDTEND:i morgen\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    with pytest.raises(ValueError, match="DTEND"):
        parse_feed(data)


# --- any text and any time --------------------------------------------------------------------------------------

TEXT = st.text(st.characters(codec="utf-8") | st.sampled_from('\r\n\t\x00\x7f\x85\u2028,;:\\"æøåÆØÅ'))


@settings(max_examples=150, deadline=None)
@given(
    summary=TEXT,
    description=TEXT,
    location=TEXT,
    category=TEXT.filter(lambda s: re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", s) != ""),
    start=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 1), timezones=st.just(CPH)),
    minutes=st.integers(min_value=0, max_value=60 * 24 * 3),
    sequence=st.integers(min_value=0, max_value=1000),
)
def test_any_text_and_time_round_trips(
    summary: str, description: str, location: str, category: str, start: datetime, minutes: int, sequence: int
) -> None:
    event = FeedEvent(
        uid=activity_uid(sequence),
        summary=summary,
        start=start,
        end=(start.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(CPH),
        description=description,
        location=location,
        sequence=sequence,
        categories=(category,),
    )
    data = make([event])
    check_structure(data)
    (back,) = parse_feed(data)
    assert back == event
    assert isinstance(back.start, datetime) and isinstance(event.start, datetime)
    assert back.start.astimezone(UTC) == event.start.astimezone(UTC)
