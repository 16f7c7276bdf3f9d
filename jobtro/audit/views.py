"""The audit log, for researchers: paged and filtered, never editable."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from jobtro.audit.models import AuditEvent
from jobtro.organisation import access


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    if not access.can_view_audit_log(request.user):
        raise PermissionDenied
    events = AuditEvent.objects.all()
    f = request.GET
    if f.get("action") in AuditEvent.Action.values:
        events = events.filter(action=f["action"])
    if f.get("who"):
        events = events.filter(actor_label__icontains=f["who"].strip())
    if f.get("object"):
        term = f["object"].strip()
        events = events.filter(object_type__icontains=term) | events.filter(object_repr__icontains=term)
    if f.get("municipality"):
        events = events.filter(municipality_code=f["municipality"].strip())
    tz = timezone.get_current_timezone()
    if (start := _day(f.get("from"))) is not None:
        events = events.filter(at__gte=datetime.combine(start, time.min, tzinfo=tz))
    if (end := _day(f.get("to"))) is not None:
        events = events.filter(at__lt=datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz))
    page = Paginator(events.order_by("-at", "-id"), 50).get_page(f.get("page"))
    query = f.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/audit_log.html",
        {"page": page, "actions": AuditEvent.Action.choices, "filters": f, "query": query.urlencode()},
    )
