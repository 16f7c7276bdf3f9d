"""Changes to the activity plan made from the web pages (the plan generator is planning.py), and the calendar
feeds' secret tokens. Every change is audit-logged by the model signals."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from jobtro.collaboration.models import Activity, CalendarToken, ExpertTalk, Participant
from jobtro.lib.plan import is_working_day
from jobtro.organisation import access
from jobtro.organisation.models import Municipality, Project, Staff


def check_working_day(day: date) -> None:
    """Refuse a weekend or a closed day (Danish public holidays and the like) for a meeting."""
    if not is_working_day(day):
        raise ValidationError(
            _("%(day)s is not a working day (a weekend or a public holiday); choose another date.")
            % {"day": date_format(day, "l j. F Y")},
            code="not_working_day",
        )


def move_activity(activity: Activity, new_day: date, user: Staff) -> Activity:
    """Move an activity to ``new_day`` (a researcher's decision). Refuses a weekend or a closed day. The move
    bumps the iCalendar SEQUENCE, so subscribed calendars take the new date; a generated meeting stays
    marked as generated (it is still the plan's meeting, only on another day)."""
    if not access.can_move_activities(user):
        raise PermissionDenied
    check_working_day(new_day)
    with transaction.atomic():
        locked = Activity.objects.select_for_update().get(pk=activity.pk)
        if locked.day == new_day:
            return locked
        locked.day = new_day
        locked.sequence += 1
        locked.save(update_fields=["day", "sequence", "updated_at"])
    activity.refresh_from_db()
    return activity


# --- adding and editing activities (researchers) -------------------------------------------------------

# The fields a researcher sets on an activity's form; minutes and cancelled only once it exists.
ACTIVITY_FIELDS = (
    "kind",
    "format",
    "municipality",
    "title",
    "day",
    "starts",
    "ends",
    "venue",
    "venue_municipality",
    "address",
    "agenda",
)
EDIT_FIELDS = (*ACTIVITY_FIELDS, "minutes", "cancelled")
# A change to any of these changes the event in a subscribed calendar: the iCalendar SEQUENCE is bumped so
# clients replace their copy (RFC 5545, 3.8.7.4). Cancelling (or un-cancelling) is one of them: the feed then
# sends STATUS:CANCELLED with a higher SEQUENCE, and clients strike the meeting out instead of keeping it.
SCHEDULE_FIELDS = ("day", "starts", "ends", "venue", "venue_municipality", "address", "cancelled")


def _require_editor(user: Staff) -> None:
    if not access.can_edit_activities(user):
        raise PermissionDenied


def create_activity(project: Project, data: Mapping[str, Any], user: Staff) -> Activity:
    """Add an activity to the plan (typically a research visit by agreement), on a working day."""
    _require_editor(user)
    check_working_day(data["day"])
    activity = Activity(project=project, **{name: data[name] for name in ACTIVITY_FIELDS if name in data})
    activity.full_clean()
    activity.save()
    return activity


def update_activity(activity: Activity, data: Mapping[str, Any], user: Staff) -> Activity:
    """Change an activity's fields (and minutes, cancelled). A new date must be a working day; a change to the
    date, time, place or cancellation bumps the iCalendar SEQUENCE."""
    _require_editor(user)
    with transaction.atomic():
        locked = Activity.objects.select_for_update().get(pk=activity.pk)
        changed = [name for name in EDIT_FIELDS if name in data and getattr(locked, name) != data[name]]
        if not changed:
            return locked
        if "day" in changed:
            check_working_day(data["day"])
        for name in changed:
            setattr(locked, name, data[name])
        if any(name in SCHEDULE_FIELDS for name in changed):
            locked.sequence += 1  # calendar clients take the new date, time, place or the cancellation
        locked.full_clean()
        locked.save(update_fields=[*changed, "sequence", "updated_at"])
    return locked


def set_invited(activity: Activity, invited: Iterable[tuple[Staff, Municipality | None]], user: Staff) -> None:
    """Make exactly these people (each with the municipality they represent, None for the research centre) the
    activity's invited. Someone already invited keeps their attendance and km."""
    _require_editor(user)
    wanted = {staff.pk: municipality for staff, municipality in invited}
    with transaction.atomic():
        current = {p.staff_id: p for p in Participant.objects.select_for_update().filter(activity=activity)}
        for staff_id, participant in current.items():
            if staff_id not in wanted:
                participant.delete()  # one by one, so the audit signal records it
                continue
            municipality = wanted[staff_id]
            if participant.municipality_id != (municipality.pk if municipality is not None else None):
                participant.municipality = municipality
                participant.save(update_fields=["municipality"])
        for staff_id, municipality in wanted.items():
            if staff_id not in current:
                Participant.objects.create(activity=activity, staff_id=staff_id, municipality=municipality)


def record_attendance(
    activity: Activity, rows: Mapping[int, tuple[bool | None, Decimal]], user: Staff, today: date | None = None
) -> int:
    """Record, after the day, who of the invited attended and how many km each travelled (participant id ->
    (attended, km)). Returns how many rows changed."""
    _require_editor(user)
    if activity.day > (today or timezone.localdate()):
        raise ValidationError(_("Attendance is recorded after the day of the activity."), code="not_yet")
    changed = 0
    with transaction.atomic():
        for participant in Participant.objects.select_for_update().filter(activity=activity, pk__in=list(rows)):
            attended, km = rows[participant.pk]
            if participant.attended == attended and participant.km == km:
                continue
            participant.attended, participant.km = attended, km
            participant.save(update_fields=["attended", "km"])
            changed += 1
    return changed


def add_expert_talk(activity: Activity, expert: str, organisation: str, topic: str, user: Staff) -> ExpertTalk:
    _require_editor(user)
    talk = ExpertTalk(activity=activity, expert=expert, organisation=organisation, topic=topic)
    talk.full_clean()
    talk.save()
    return talk


def remove_expert_talk(activity: Activity, talk_id: int, user: Staff) -> bool:
    """Remove one of the activity's talks; False when there is no such talk on this activity."""
    _require_editor(user)
    talk = ExpertTalk.objects.filter(activity=activity, pk=talk_id).first()
    if talk is None:
        return False
    talk.delete()  # one by one, so the audit signal records it
    return True


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_calendar_token(user: Staff, municipality: Municipality | None = None) -> str:
    """Make the user's feed token (personal, or the municipality's) and return it; only its digest is kept.
    An earlier token for the same feed stops working."""
    if municipality is not None and not access.calendar_feed_municipalities(user).filter(pk=municipality.pk).exists():
        raise PermissionDenied
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        CalendarToken.objects.filter(staff=user, municipality=municipality).delete()
        CalendarToken.objects.create(staff=user, municipality=municipality, token_digest=token_digest(token))
    return token


def revoke_calendar_token(user: Staff, municipality: Municipality | None = None) -> None:
    CalendarToken.objects.filter(staff=user, municipality=municipality).delete()


def token_owner(token: str, *, municipal: bool) -> CalendarToken | None:
    """The live token behind a feed address, or None (unknown, revoked, or its owner no longer allowed)."""
    if not token or len(token) > 100:
        return None
    found = (
        CalendarToken.objects.select_related("staff", "municipality")
        .filter(token_digest=token_digest(token), municipality__isnull=not municipal)
        .first()
    )
    if found is None or not found.staff.is_active:
        return None
    if found.municipality is not None:
        if not access.calendar_feed_municipalities(found.staff).filter(pk=found.municipality.pk).exists():
            return None
    elif not access.can_view_timeline(found.staff):
        return None
    return found
