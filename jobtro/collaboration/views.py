"""The activity plan on the web (issue 6, point 4): the project's timeline, an activity's page, a person's
calendar and the iCalendar feeds calendar clients subscribe to. What a user sees is access.py's decision."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import groupby

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from jobtro.collaboration import actions
from jobtro.collaboration.models import Activity, CalendarToken, Participant
from jobtro.lib import ical
from jobtro.organisation import access
from jobtro.organisation.models import Participation, Project, Staff, current_project

# The seed: 4-5 selected representatives from each municipality at a cross-municipal experience meeting.
REPRESENTATIVES = (4, 5)
# Length of a meeting whose start time is known but its end is not (full day 7.4 h, half day 3.7 h).
FORMAT_HOURS = {Activity.Format.FULL_DAY: 7.4, Activity.Format.HALF_DAY: 3.7}


def _require_timeline(request: HttpRequest) -> None:
    if not access.can_view_timeline(request.user):
        raise PermissionDenied


def venue_text(activity: Activity) -> str:
    if activity.venue == Activity.Venue.MUNICIPALITY and activity.venue_municipality is not None:
        place = activity.venue_municipality.name
    else:
        place = str(activity.get_venue_display())
    return f"{place}, {activity.address}" if activity.address else place


class MoveForm(forms.Form):
    day = forms.DateField(
        label=gettext_lazy("New date"),
        widget=forms.DateInput(attrs={"type": "date", "class": "form-input input-width-xs"}, format="%Y-%m-%d"),
    )


@dataclass
class Row:
    activity: Activity
    venue: str
    invited: int
    attended: int
    past: bool
    # Experience meetings: (municipality name, invited, message) for each municipality off the 4-5 rule.
    rule_warnings: list[str] = field(default_factory=list)
    rule_checked: bool = False


def representative_warnings(
    activity: Activity, invited: Counter[str], participations: Iterable[Participation], visible: set[str]
) -> list[str]:
    """An experience meeting's warnings under the seed's 4-5 representatives rule: one for each municipality
    taking part on the day (among ``visible``) whose number of invited (``invited``, by municipality code) is
    off the rule."""
    warnings = []
    for p in participations:
        if p.municipality_id not in visible or p.joined > activity.day or (p.left and p.left <= activity.day):
            continue
        n = invited[p.municipality_id]
        if not REPRESENTATIVES[0] <= n <= REPRESENTATIVES[1]:
            warnings.append(
                _("%(municipality)s has %(n)s invited; the rule is 4-5 representatives.")
                % {"municipality": p.municipality.name, "n": n}
            )
    return warnings


def _rows(user: Staff, activities: QuerySet[Activity], project: Project | None) -> list[Row]:
    today = timezone.localdate()
    annotated = activities.select_related("municipality", "venue_municipality").annotate(
        n_invited=Count("participants", distinct=True),
        n_attended=Count("participants", filter=Q(participants__attended=True), distinct=True),
    )
    items = list(annotated)
    experience = [a.pk for a in items if a.kind == Activity.Kind.EXPERIENCE]
    per_municipality: dict[int, Counter[str]] = defaultdict(Counter)
    for activity_id, code in Participant.objects.filter(activity_id__in=experience).values_list(
        "activity_id", "municipality_id"
    ):
        if code:
            per_municipality[activity_id][code] += 1
    visible = set(access.municipalities(user).values_list("code", flat=True))
    participations = list(project.participations.all()) if project is not None else []
    rows = []
    for a in items:
        row = Row(a, venue_text(a), a.n_invited, a.n_attended, a.day < today)
        if a.kind == Activity.Kind.EXPERIENCE and a.project_id == (project.pk if project else None):
            row.rule_checked = True
            row.rule_warnings = representative_warnings(a, per_municipality[a.pk], participations, visible)
        rows.append(row)
    return rows


def _by_month(rows: list[Row]) -> list[tuple[date, list[Row]]]:
    return [(month, list(group)) for month, group in groupby(rows, key=lambda r: r.activity.day.replace(day=1))]


@login_required
@require_GET
def timeline(request: HttpRequest) -> HttpResponse:
    _require_timeline(request)
    user = request.user
    assert isinstance(user, Staff)
    project = current_project()
    scope = access.activities(user)
    if project is not None:
        scope = scope.filter(project=project)
    rows = _rows(user, scope.order_by("day", "starts", "pk"), project)
    return render(
        request,
        "collaboration/timeline.html",
        {
            "project": project,
            "months": _by_month(rows),
            "can_move": access.can_move_activities(user),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_GET
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_timeline(request)
    user = request.user
    assert isinstance(user, Staff)
    activity = get_object_or_404(
        access.activities(user).select_related("municipality", "venue_municipality", "project"), pk=pk
    )
    participants = list(activity.participants.select_related("staff", "municipality").order_by("municipality", "pk"))
    named = [p for p in participants if access.sees_participant_name(user, p)]
    others = Counter(p.municipality.name if p.municipality else _("the research centre") for p in participants)
    for p in named:
        others[p.municipality.name if p.municipality else _("the research centre")] -= 1
    return render(
        request,
        "collaboration/activity.html",
        {
            "activity": activity,
            "venue": venue_text(activity),
            "named": named,
            "others": sorted((name, n) for name, n in others.items() if n > 0),
            "invited": len(participants),
            "attended": sum(1 for p in participants if p.attended),
            "past": activity.day < timezone.localdate(),
            "talks": activity.talks.all(),
            "can_move": access.can_move_activities(user),
            "can_edit": access.can_edit_activities(user),
            "form": MoveForm(initial={"day": activity.day}),
        },
    )


@login_required
def activity_move(request: HttpRequest, pk: int) -> HttpResponse:
    if not access.can_move_activities(request.user):
        raise PermissionDenied
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "POST"})
    user = request.user
    assert isinstance(user, Staff)
    activity = get_object_or_404(access.activities(user), pk=pk)
    back = request.POST.get("next", "")
    target = reverse("collaboration:activity_detail", args=[pk]) if back == "detail" else None
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the new date as a date."))
    else:
        try:
            moved = actions.move_activity(activity, form.cleaned_data["day"], user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("%(title)s is moved to %(day)s.") % {"title": moved.title, "day": date_format(moved.day, "l j. F Y")},
            )
    return redirect(target or reverse("collaboration:timeline") + f"#activity-{pk}")


def _own_activities(user: Staff) -> QuerySet[Activity]:
    return (
        access.activities(user)
        .filter(participants__staff_id=user.pk)
        .select_related("municipality", "venue_municipality")
        .order_by("day", "starts", "pk")
    )


def _municipality_activities(token: CalendarToken) -> QuerySet[Activity]:
    assert token.municipality is not None
    projects = token.municipality.participations.values("project_id")
    return (
        Activity.objects.filter(project_id__in=projects)
        .filter(Q(municipality=token.municipality) | Q(municipality__isnull=True))
        .select_related("municipality", "venue_municipality")
        .order_by("day", "starts", "pk")
    )


@login_required
@never_cache
def my_calendar(request: HttpRequest) -> HttpResponse:
    """The user's own activities by month, and the addresses to subscribe to them (shown once, when made)."""
    _require_timeline(request)
    user = request.user
    assert isinstance(user, Staff)
    feed_municipalities = list(access.calendar_feed_municipalities(user).order_by("name"))
    new_url = ""
    if request.method == "POST":
        code = request.POST.get("municipality", "")
        municipality = None
        if code:
            municipality = next((m for m in feed_municipalities if m.code == code), None)
            if municipality is None:
                raise Http404
        if request.POST.get("action") == "revoke":
            actions.revoke_calendar_token(user, municipality)
            messages.success(request, _("The calendar address no longer works."))
            return redirect("collaboration:my_calendar")
        token = actions.new_calendar_token(user, municipality)
        name = "collaboration:municipality_feed" if municipality else "collaboration:calendar_feed"
        new_url = request.build_absolute_uri(reverse(name, args=[token]))
    elif request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    existing = {t.municipality_id: t for t in CalendarToken.objects.filter(staff=user)}
    rows = _rows(user, _own_activities(user), None)
    return render(
        request,
        "collaboration/calendar.html",
        {
            "months": _by_month(rows),
            "personal_token": existing.get(None),
            "feeds": [(m, existing.get(m.code)) for m in feed_municipalities],
            "new_url": new_url,
            "webcal_url": new_url.replace("https://", "webcal://").replace("http://", "webcal://"),
            "today": timezone.localdate(),
        },
    )


# --- the iCalendar feeds -----------------------------------------------------------------------------


def feed_event(activity: Activity, url: str) -> ical.FeedEvent:
    start: datetime | date
    end: datetime | date | None
    if activity.starts is not None:
        start = datetime.combine(activity.day, activity.starts, tzinfo=ical.TZ)
        if activity.ends is not None and activity.ends > activity.starts:
            end = datetime.combine(activity.day, activity.ends, tzinfo=ical.TZ)
        else:
            end = start + timedelta(hours=FORMAT_HOURS.get(Activity.Format(activity.format), 7.4))
    else:
        start, end = activity.day, None
    kind = str(activity.get_kind_display())
    lines = [f"{kind.capitalize()}, {activity.get_format_display()}"]
    if activity.municipality is not None:
        lines.append(activity.municipality.name)
    else:
        lines.append(_("Cross-municipal"))
    if activity.agenda:
        lines += ["", activity.agenda]
    summary = activity.title
    if activity.cancelled:
        summary = _("CANCELLED: %(title)s") % {"title": activity.title}
    return ical.FeedEvent(
        uid=ical.activity_uid(activity.pk),
        summary=summary,
        start=start,
        end=end,
        description="\n".join(lines),
        location=venue_text(activity),
        sequence=activity.sequence,
        last_modified=activity.updated_at,
        status="CANCELLED" if activity.cancelled else "CONFIRMED",
        url=url,
        categories=(kind,),
    )


def _feed_response(request: HttpRequest, name: str, activities: QuerySet[Activity]) -> HttpResponse:
    with translation.override("da"):
        events = [
            feed_event(a, request.build_absolute_uri(reverse("collaboration:activity_detail", args=[a.pk])))
            for a in activities
        ]
        body = ical.feed(name, events, description=_("Troen på borgernes jobchance: meetings and visits"))
    response = HttpResponse(body, content_type=ical.MEDIA_TYPE)
    response["Content-Disposition"] = 'inline; filename="jobtro.ics"'
    response["X-Robots-Tag"] = "noindex"
    patch_cache_control(response, private=True, max_age=900)
    return response


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    owner = actions.token_owner(token, municipal=False)
    if owner is None:
        raise Http404
    with translation.override("da"):
        name = _("Troen på borgernes jobchance: %(name)s") % {"name": owner.staff.get_full_name() or owner.staff}
    return _feed_response(request, name, _own_activities(owner.staff))


@require_GET
def municipality_feed(request: HttpRequest, token: str) -> HttpResponse:
    owner = actions.token_owner(token, municipal=True)
    if owner is None or owner.municipality is None:
        raise Http404
    with translation.override("da"):
        name = _("Troen på borgernes jobchance: %(name)s") % {"name": owner.municipality.name}
    return _feed_response(request, name, _municipality_activities(owner))
