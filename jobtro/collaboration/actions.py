"""Changes to the activity plan made from the web pages (the plan generator is planning.py), and the calendar
feeds' secret tokens. Every change is audit-logged by the model signals."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from jobtro.collaboration.models import Activity, CalendarToken
from jobtro.lib.plan import is_working_day
from jobtro.organisation import access
from jobtro.organisation.models import Municipality, Staff


def move_activity(activity: Activity, new_day: date, user: Staff) -> Activity:
    """Move an activity to ``new_day`` (a researcher's decision). Refuses a weekend or a closed day. The move
    bumps the iCalendar SEQUENCE, so subscribed calendars take the new date; a generated meeting stays
    marked as generated (it is still the plan's meeting, only on another day)."""
    if not access.can_move_activities(user):
        raise PermissionDenied
    if not is_working_day(new_day):
        raise ValidationError(
            _("%(day)s is not a working day (a weekend or a public holiday); choose another date.")
            % {"day": date_format(new_day, "l j. F Y")},
            code="not_working_day",
        )
    with transaction.atomic():
        locked = Activity.objects.select_for_update().get(pk=activity.pk)
        if locked.day == new_day:
            return locked
        locked.day = new_day
        locked.sequence += 1
        locked.save(update_fields=["day", "sequence", "updated_at"])
    activity.refresh_from_db()
    return activity


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
