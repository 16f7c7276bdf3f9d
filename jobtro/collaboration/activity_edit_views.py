"""The researchers' activity pages (issue 6, point 4): add an activity (typically a research visit by
agreement), edit it (minutes, cancelling), invite people and record attendance and km, and the expert
talks. Only researchers (access.can_edit_activities, else 403); which activity is access.activities' decision
(an unknown one is a 404). Every write is an action in jobtro.collaboration.actions."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from jobtro.collaboration import actions
from jobtro.collaboration.activity_forms import CENTRE, ActivityForm, AttendanceFormSet, InviteForm, TalkForm
from jobtro.collaboration.models import Activity, Participant
from jobtro.collaboration.views import representative_warnings, venue_text
from jobtro.organisation import access
from jobtro.organisation.models import MUNICIPAL_ROLES, Membership, Municipality, Role, Staff, current_project


def _editor(request: HttpRequest) -> Staff:
    user = request.user
    if not access.can_edit_activities(user):
        raise PermissionDenied
    assert isinstance(user, Staff)
    return user


def _activity(user: Staff, pk: int) -> Activity:
    return get_object_or_404(
        access.activities(user).select_related("project", "municipality", "venue_municipality"), pk=pk
    )


def _project_municipalities(project_id: int) -> QuerySet[Municipality]:
    return Municipality.objects.filter(participations__project_id=project_id).order_by("name").distinct()


@login_required
@require_http_methods(["GET", "POST"])
def activity_create(request: HttpRequest) -> HttpResponse:
    user = _editor(request)
    project = current_project()
    if project is None:
        raise Http404
    municipalities = _project_municipalities(project.pk)
    initial = {"kind": Activity.Kind.RESEARCH_VISIT, "format": Activity.Format.HALF_DAY}
    form = ActivityForm(request.POST or None, initial=initial, municipalities=municipalities)
    if request.method == "POST" and form.is_valid():
        try:
            activity = actions.create_activity(project, form.cleaned_data, user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The activity is added to the plan."))
            return redirect("collaboration:activity_detail", activity.pk)
    return render(request, "collaboration/activity_form.html", {"form": form, "activity": None})


@login_required
@require_http_methods(["GET", "POST"])
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _editor(request)
    activity = _activity(user, pk)
    municipalities = _project_municipalities(activity.project_id)
    form = ActivityForm(request.POST or None, instance=activity, municipalities=municipalities, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_activity(activity, form.cleaned_data, user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The activity is saved."))
            return redirect("collaboration:activity_detail", activity.pk)
    return render(request, "collaboration/activity_form.html", {"form": form, "activity": activity})


def _label(staff: Staff) -> str:
    return staff.get_full_name() or staff.username


def invite_groups(activity: Activity, participants: list[Participant]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The people who can be invited, grouped: staff of the participating municipalities (the activity's own
    municipality for an individual meeting or visit; every municipality taking part on the day for a
    cross-municipal one), then the research centre's researchers. Anyone already invited is kept on the list."""
    day = activity.day
    participations = activity.project.participations.select_related("municipality").order_by("municipality__name")
    if activity.municipality_id is not None:
        participations = participations.filter(municipality_id=activity.municipality_id)
    groups: dict[str, dict[str, str]] = {}
    names: dict[str, str] = {}
    for participation in participations:
        if activity.municipality_id is None and not participation.is_active(day):
            continue
        municipality = participation.municipality
        names[municipality.code] = municipality.name
        people = groups.setdefault(municipality.code, {})
        memberships = (
            Membership.objects.active(day)
            .filter(municipality=municipality, role__in=MUNICIPAL_ROLES, staff__is_active=True)
            .select_related("staff")
            .order_by("staff__first_name", "staff__last_name", "staff__username")
        )
        for m in memberships:
            people[f"{municipality.code}:{m.staff_id}"] = _label(m.staff)
    centre = groups.setdefault(CENTRE, {})
    for m in (
        Membership.objects.active(day)
        .filter(role=Role.RESEARCHER, staff__is_active=True)
        .select_related("staff")
        .order_by("staff__first_name", "staff__username")
    ):
        centre[f"{CENTRE}:{m.staff_id}"] = _label(m.staff)
    for p in participants:
        code = p.municipality_id or CENTRE
        if code != CENTRE and p.municipality is not None:
            names.setdefault(code, p.municipality.name)
        groups.setdefault(code, {}).setdefault(f"{code}:{p.staff_id}", _label(p.staff))
    names[CENTRE] = _("The research centre")
    return [(names[code], sorted(people.items(), key=lambda kv: kv[1])) for code, people in groups.items() if people]


def _parse_invited(values: list[str]) -> list[tuple[Staff, Municipality | None]]:
    pairs = [value.split(":", 1) for value in values]
    staff = Staff.objects.in_bulk([int(pk) for _code, pk in pairs])
    municipalities = Municipality.objects.in_bulk([code for code, _pk in pairs if code != CENTRE])
    return [(staff[int(pk)], None if code == CENTRE else municipalities[code]) for code, pk in pairs]


def _attended_initial(participant: Participant) -> str:
    return "" if participant.attended is None else ("yes" if participant.attended else "no")


@login_required
@require_http_methods(["GET", "POST"])
def activity_participants(request: HttpRequest, pk: int) -> HttpResponse:
    user = _editor(request)
    activity = _activity(user, pk)
    participants = list(activity.participants.select_related("staff", "municipality").order_by("municipality", "pk"))
    groups = invite_groups(activity, participants)
    action = request.POST.get("action") if request.method == "POST" else None
    invite = InviteForm(
        request.POST if action == "invite" else None,
        groups=groups,
        initial={"invited": [f"{p.municipality_id or CENTRE}:{p.staff_id}" for p in participants]},
    )
    attendance = AttendanceFormSet(
        request.POST if action == "attendance" else None,
        prefix="attendance",
        initial=[{"participant": p.pk, "attended": _attended_initial(p), "km": p.km} for p in participants],
    )
    if action == "invite" and invite.is_valid():
        actions.set_invited(activity, _parse_invited(invite.cleaned_data["invited"]), user)
        messages.success(request, _("The invitations are saved."))
        return redirect("collaboration:activity_participants", activity.pk)
    if action == "attendance" and attendance.is_valid():
        rows: dict[int, tuple[bool | None, Decimal]] = {
            f.cleaned_data["participant"]: (f.cleaned_data["attended"], f.cleaned_data["km"])
            for f in attendance.forms
            if f.cleaned_data
        }
        try:
            actions.record_attendance(activity, rows, user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Attendance and transport are saved."))
            return redirect("collaboration:activity_participants", activity.pk)
    warnings: list[str] = []
    if activity.kind == Activity.Kind.EXPERIENCE:
        counts: Counter[str] = Counter(p.municipality_id for p in participants if p.municipality_id)
        visible = set(access.municipalities(user).values_list("code", flat=True))
        warnings = representative_warnings(activity, counts, activity.project.participations.all(), visible)
    context: dict[str, Any] = {
        "activity": activity,
        "venue": venue_text(activity),
        "invite": invite,
        "attendance": attendance,
        "rows": list(zip(participants, attendance.forms, strict=True)),
        "after_the_day": activity.day <= timezone.localdate(),
        "rule_checked": activity.kind == Activity.Kind.EXPERIENCE,
        "rule_warnings": warnings,
    }
    return render(request, "collaboration/activity_participants.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def activity_talks(request: HttpRequest, pk: int) -> HttpResponse:
    user = _editor(request)
    activity = _activity(user, pk)
    form = TalkForm(request.POST if request.POST.get("action") == "add" else None)
    if request.method == "POST":
        if request.POST.get("action") == "remove":
            talk_id = request.POST.get("talk", "")
            if not talk_id.isdigit() or not actions.remove_expert_talk(activity, int(talk_id), user):
                raise Http404
            messages.success(request, _("The talk is removed."))
            return redirect("collaboration:activity_talks", activity.pk)
        if form.is_valid():
            data = form.cleaned_data
            actions.add_expert_talk(activity, data["expert"], data["organisation"], data["topic"], user)
            messages.success(request, _("The talk is added."))
            return redirect("collaboration:activity_talks", activity.pk)
    return render(
        request,
        "collaboration/activity_talks.html",
        {"activity": activity, "talks": activity.talks.all(), "form": form},
    )
