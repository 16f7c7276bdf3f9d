"""iCalendar (RFC 5545) feeds of the collaboration's meetings, for calendar clients to subscribe to. Pure: no Django.

The caller (a view per person or per municipality) turns its activities into :class:`FeedEvent` values and
serves :func:`feed`'s bytes as ``text/calendar; charset=utf-8``. :func:`parse_feed` reads a feed back.

What a subscribing client relies on, and so what the caller must keep:

* ``uid`` never changes for a meeting (``activity_uid(pk)`` gives ``activity-<pk>@jobtro``); a client matches
  the events of each refresh by it.
* ``sequence`` goes up by one each time a meeting is moved or cancelled, ``last_modified`` is the activity's
  last change. Clients use them to tell a newer version from an older one.
* A cancelled meeting stays in the feed with ``status="CANCELLED"`` (a meeting that disappears is silently
  deleted by some clients and kept forever by others). Some clients hide cancelled events; a view that wants
  them seen can prefix the summary ("AFLYST: ...").

Times are written as local Copenhagen time with ``TZID=Europe/Copenhagen`` and a VTIMEZONE generated from the
tz database (so a meeting at 9:00 stays at 9:00 across the daylight-saving change); the one-hour repeat at
the end of October is written in UTC, the only way to tell its two 02:30s apart. All-day events are dates
with an exclusive end (RFC 5545: a one-day event on 3 March ends on 4 March).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal, cast, get_args
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vCalAddress, vDuration
from icalendar.enums import STATUS

TZID = "Europe/Copenhagen"
TZ = ZoneInfo(TZID)
PRODID = "-//jobtro//Troen på borgernes jobchance//DA"
MEDIA_TYPE = "text/calendar; charset=utf-8"

Status = Literal["CONFIRMED", "TENTATIVE", "CANCELLED"]
STATUSES: tuple[Status, ...] = get_args(Status)


def activity_uid(pk: int | str) -> str:
    """The stable UID of an activity's event: the same in every feed it appears in."""
    return f"activity-{pk}@jobtro"


# RFC 5545 TEXT may not hold control characters but the tab; a line break is written escaped as \n.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _clean(text: str) -> str:
    """Text as it will come back: CRLF and CR (a browser's textarea) as LF, other control characters dropped."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _local(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime, got naive {value.isoformat()}")
    # Via UTC: astimezone() to the zone a datetime already has returns it unchanged, even a time that does not
    # exist (02:30 as summer time starts). iCalendar has whole seconds only; dropping the microseconds here keeps
    # a round trip equal.
    return value.astimezone(UTC).astimezone(TZ).replace(microsecond=0)


@dataclass(frozen=True)
class FeedEvent:
    """One meeting in a feed.

    ``start``/``end`` are either aware datetimes (normalised to Europe/Copenhagen, whole seconds) or, for an
    all-day event, dates; ``end`` is exclusive and may be left out for a one-day all-day event.
    ``organizer_email`` is a plain address (``mailto:`` is added in the feed). Text loses what iCalendar cannot
    carry: CR and CRLF become LF, other control characters but the tab are dropped."""

    uid: str
    summary: str
    start: datetime | date
    end: datetime | date | None = None
    description: str = ""
    location: str = ""
    sequence: int = 0
    last_modified: datetime | None = None
    status: Status = "CONFIRMED"
    url: str | None = None
    categories: tuple[str, ...] = ()
    organizer_email: str | None = None
    organizer_name: str = ""

    def __post_init__(self) -> None:
        if not self.uid.strip():
            raise ValueError("an event needs a UID")
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {self.status!r}")
        if self.sequence < 0:
            raise ValueError(f"sequence must be 0 or more, got {self.sequence}")
        start, end = self.start, self.end
        if isinstance(start, datetime):
            if not isinstance(end, datetime):
                raise ValueError(f"a timed event ({self.uid}) needs an end datetime, got {end!r}")
            start, end = _local(start, "start"), _local(end, "end")
        else:
            if end is None:
                end = start + timedelta(days=1)
            elif isinstance(end, datetime):
                raise ValueError(f"an all-day event ({self.uid}) needs an end date, got {end!r}")
        if isinstance(start, datetime) and isinstance(end, datetime):
            backwards = end.astimezone(UTC) < start.astimezone(UTC)  # in UTC: local comparison ignores fold
        else:
            backwards = end <= start
        if backwards:
            raise ValueError(f"event {self.uid} ends ({end}) before it starts ({start}); all-day ends are exclusive")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        if self.last_modified is not None:
            object.__setattr__(self, "last_modified", _local(self.last_modified, "last_modified"))
        for name in ("summary", "description", "location", "organizer_name"):
            object.__setattr__(self, name, _clean(getattr(self, name)))
        object.__setattr__(self, "categories", tuple(_clean(c) for c in self.categories))
        if "" in self.categories:
            raise ValueError(f"event {self.uid} has an empty category")

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)


def _ambiguous(value: datetime) -> bool:
    """True for a local time that happens twice (the repeated hour when daylight saving ends)."""
    return value.replace(fold=1 - value.fold).utcoffset() != value.utcoffset()


def _when(value: datetime | date) -> datetime | date:
    if isinstance(value, datetime) and _ambiguous(value):
        return value.astimezone(UTC)
    return value


def _event(item: FeedEvent, stamp: datetime) -> Event:
    assert item.end is not None  # set by __post_init__
    event = Event.new(
        uid=item.uid,
        stamp=stamp,
        summary=item.summary,
        start=_when(item.start),
        end=_when(item.end),
        description=item.description or None,
        location=item.location or None,
        sequence=item.sequence,
        last_modified=item.last_modified.astimezone(UTC) if item.last_modified else None,
        status=STATUS(item.status),
        url=item.url or None,
    )
    if item.categories:  # Event.new(categories=[]) would write an empty CATEGORIES line
        event.categories = list(item.categories)
    if item.organizer_email:
        organizer = vCalAddress(f"mailto:{item.organizer_email}")
        if item.organizer_name:
            organizer.params["CN"] = item.organizer_name
        event.organizer = organizer
    return event


def _timezone(events: list[FeedEvent], stamp: datetime) -> Timezone:
    """The VTIMEZONE, covering every year the feed's events (and today) fall in, whole years around them."""
    years = [stamp.year] + [d.year for e in events for d in (e.start, e.end) if d is not None]
    return Timezone.from_tzid(TZID, first_date=date(min(years), 1, 1), last_date=date(max(years) + 1, 1, 1))


def feed(
    name: str,
    events: Iterable[FeedEvent],
    *,
    description: str = "",
    refresh_hours: int = 12,
    now: datetime | None = None,
) -> bytes:
    """The feed as UTF-8 bytes with CRLF lines folded at 75 octets.

    ``now`` (aware; default the current time) is every event's DTSTAMP: with METHOD:PUBLISH that is when the
    feed was made. Passing it makes the output a pure function of the arguments (an ETag can hash it).
    The VTIMEZONE is always included, so even a feed with no events is a valid calendar (RFC 5545 wants at
    least one component)."""
    if refresh_hours < 1:
        raise ValueError(f"refresh_hours must be at least 1, got {refresh_hours}")
    stamp = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    items = list(events)
    uids = [e.uid for e in items]
    if len(set(uids)) != len(uids):
        duplicated = sorted({u for u in uids if uids.count(u) > 1})
        raise ValueError(f"UIDs must be unique within a feed: {', '.join(duplicated)}")

    calendar = Calendar()
    calendar.prodid = PRODID
    calendar.version = "2.0"
    calendar.calscale = "GREGORIAN"
    calendar.method = "PUBLISH"
    calendar.calendar_name = name  # NAME (RFC 7986) and X-WR-CALNAME
    if description:
        calendar.description = description  # DESCRIPTION and X-WR-CALDESC
    calendar.add("X-WR-TIMEZONE", TZID)
    refresh = timedelta(hours=refresh_hours)
    calendar.add("REFRESH-INTERVAL", refresh, parameters={"VALUE": "DURATION"})  # RFC 7986 requires VALUE
    calendar.add("X-PUBLISHED-TTL", vDuration(refresh))  # the older name Outlook and Apple read
    calendar.add_component(_timezone(items, stamp))
    for item in sorted(items, key=lambda e: (_sort_key(e.start), e.uid)):
        calendar.add_component(_event(item, stamp))
    return bytes(calendar.to_ical())


def _sort_key(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day, tzinfo=TZ)


def _from_feed(value: datetime | date) -> datetime | date:
    if not isinstance(value, datetime):
        return value
    if value.tzinfo is None:  # floating time: read as the feed's X-WR-TIMEZONE, which is ours
        return value.replace(tzinfo=TZ)
    return value.astimezone(TZ)


def _text(event: Event, name: str) -> str:
    value = event.get(name)
    return str(value) if value is not None else ""


def _read(event: Event) -> FeedEvent:
    modified = event.get("LAST-MODIFIED")  # not event.last_modified: that falls back to DTSTAMP
    organizer = event.organizer
    email = None
    if organizer is not None:
        address = str(organizer)
        email = address[7:] if address.lower().startswith("mailto:") else address
    status = str(event.status or "CONFIRMED").upper()
    if status not in STATUSES:
        raise ValueError(f"event {event.uid}: unknown STATUS {status}")
    return FeedEvent(
        uid=str(event.uid),
        summary=_text(event, "SUMMARY"),
        start=_from_feed(event.start),
        end=_from_feed(event.end),
        description=_text(event, "DESCRIPTION"),
        location=_text(event, "LOCATION"),
        sequence=event.sequence,
        last_modified=modified.dt if modified is not None else None,
        status=cast(Status, status),
        url=_text(event, "URL") or None,
        categories=tuple(str(c) for c in event.categories),
        organizer_email=email,
        organizer_name=str(organizer.params.get("CN", "")) if organizer is not None else "",
    )


def parse_feed(data: bytes) -> list[FeedEvent]:
    """The events of a feed, in the feed's order. Raises ValueError on a property the parser could not read
    (the library would otherwise keep it as 'broken' and go on)."""
    calendar = Calendar.from_ical(data)
    broken = [(c.name, error) for c in calendar.walk() for error in c.errors]
    if broken:
        raise ValueError(f"unreadable iCalendar properties: {broken}")
    return [_read(event) for event in calendar.events]
