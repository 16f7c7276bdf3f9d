"""Home pages made for each role: what a caseworker, a leader, a data manager, a researcher and an
administrator each need first. A person with several roles sees a section for each."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jobtro.measurement import identity
from jobtro.measurement.models import CaseworkerAssignment, Citizen
from jobtro.organisation import access
from jobtro.organisation.models import Membership, Municipality, Role, Staff, Unit, current_project
from jobtro.reports import disclosure


def _team_rows(user: access.AnyUser, municipality: Municipality) -> list[dict[str, object]]:
    """Teams in a municipality with caseworker and citizen counts (disclosure-controlled)."""
    teams = list(Unit.objects.filter(municipality=municipality, kind=Unit.Kind.TEAM).order_by("name"))
    caseworkers = dict(
        Membership.objects.active()
        .filter(unit__in=teams, role=Role.CASEWORKER)
        .values("unit_id")
        .annotate(n=Count("staff", distinct=True))
        .values_list("unit_id", "n")
    )
    citizens = dict(
        CaseworkerAssignment.objects.current()
        .filter(
            caseworker__memberships__unit__in=teams,
            caseworker__memberships__role=Role.CASEWORKER,
            caseworker__memberships__end__isnull=True,
        )
        .values("caseworker__memberships__unit_id")
        .annotate(n=Count("citizen", distinct=True))
        .values_list("caseworker__memberships__unit_id", "n")
    )
    cells = disclosure.counts_for(user, [citizens.get(t.pk, 0) for t in teams])
    return [
        {"team": t, "caseworkers": caseworkers.get(t.pk, 0), "citizens": cell}
        for t, cell in zip(teams, cells, strict=True)
    ]


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    roles = access.roles(user)
    project = current_project()
    context: dict[str, object] = {
        "roles": roles,
        "project": project,
        "month": project.month_number() if project else None,
        "threshold": disclosure.threshold(),
    }

    if Role.CASEWORKER in roles:
        caseload = Citizen.objects.filter(assignments__caseworker_id=user.pk, assignments__end__isnull=True)
        context["caseload_size"] = caseload.count()
        context["caseworker_memberships"] = [m for m in access.memberships(user) if m.role == Role.CASEWORKER]

    leader_codes = access.municipality_codes(user, among=[Role.TEAM_LEADER, Role.KEY_PERSON])
    if leader_codes:
        context["leader_sections"] = [
            {"municipality": m, "teams": _team_rows(user, m)}
            for m in Municipality.objects.filter(code__in=leader_codes).order_by("name")
        ]

    manager_codes = access.municipality_codes(user, among=[Role.DATA_MANAGER])
    if manager_codes:
        sections = list(
            Municipality.objects.filter(code__in=manager_codes)
            .annotate(
                n_citizens=Count("citizens", distinct=True),
                n_current=Count("citizens", filter=Q(citizens__assignments__end__isnull=True), distinct=True),
            )
            .order_by("name")
        )
        for m in sections:
            m.outcomes_until = _outcomes_until(m)  # type: ignore[attr-defined]
        context["manager_sections"] = sections

    if Role.RESEARCHER in roles:
        context["research_rows"] = list(
            Municipality.objects.filter(participations__isnull=False)
            .annotate(
                n_teams=Count("units", filter=Q(units__kind=Unit.Kind.TEAM), distinct=True),
                n_citizens=Count("citizens", distinct=True),
            )
            .order_by("name")
        )
        context["n_caseworkers"] = (
            Membership.objects.active().filter(role=Role.CASEWORKER).values("staff").distinct().count()
        )

    if Role.ADMINISTRATOR in roles:
        stale, total = identity.rotation_status()
        context["admin"] = {
            "n_staff": Staff.objects.count(),
            "n_active_staff": Staff.objects.filter(is_active=True).count(),
            "n_keys": len(settings.JOBTRO_ENCRYPTION_KEYS),
            "stale_identities": stale,
            "total_identities": total,
        }
    return render(request, "reports/home.html", context)


def _outcomes_until(municipality: Municipality) -> str | None:
    """The last week of register data the municipality has delivered (ISO label), if any."""
    from jobtro.lib.outcome_files import week_index, week_label
    from jobtro.outcomes.models import OutcomeStore

    weeks = [
        week_index(s.covers_until) if s.covers_until else s.last_week
        for s in OutcomeStore.objects.filter(municipality=municipality).only("covers_until", "last_week")
    ]
    known = [w for w in weeks if w is not None]
    return week_label(max(known)) if known else None
