"""Home pages made for each role: what a caseworker, a leader, a data manager, a researcher and an
administrator each need first. A person with several roles sees a section for each.

The sections are dashboards (issue 7, point 6); their numbers come from :mod:`jobtro.reports.dashboard`, and
every aggregate shown outside the researcher role goes through :mod:`jobtro.reports.disclosure`. The page runs
a fixed number of queries whatever the number of teams, caseworkers and citizens
(jobtro/reports/tests/test_dashboard.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jobtro.collaboration.models import Initiative
from jobtro.measurement import identity
from jobtro.measurement.models import Answer, CaseworkerAssignment, Citizen
from jobtro.organisation import access
from jobtro.organisation.models import Membership, Municipality, Project, Role, Staff, Unit, current_project
from jobtro.reports import dashboard, disclosure

MAX_LISTED = 5  # initiatives and meetings on a dashboard; the full lists are a click away


def _team_rows(user: access.AnyUser, municipality: Municipality) -> tuple[list[dict[str, object]], dict[str, object]]:
    """Teams in a municipality with caseworker and citizen counts; the citizen counts are a one-column table
    whose total is shown, disclosure-controlled (disclosure.table_for)."""
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
    table = disclosure.table_for(user, [[citizens.get(t.pk, 0)] for t in teams])
    rows: list[dict[str, object]] = [
        {"team": t, "caseworkers": caseworkers.get(t.pk, 0), "citizens": cells[0]}
        for t, cells in zip(teams, table.cells, strict=True)
    ]
    return rows, {"caseworkers": sum(caseworkers.get(t.pk, 0) for t in teams), "citizens": table.total}


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
        # In Python, not a template tag: {% translate %} doubles a "%" before looking the text up.
        "ci_label": _("95 % CI"),
    }

    today = timezone.localdate()

    if Role.CASEWORKER in roles:
        assert isinstance(user, Staff)
        caseload = Citizen.objects.filter(assignments__caseworker_id=user.pk, assignments__end__isnull=True)
        context["caseload_size"] = caseload.count()
        context["caseworker_memberships"] = [m for m in access.memberships(user) if m.role == Role.CASEWORKER]
        context["own_waves"] = dashboard.caseworker_waves(user, project, today) if project else []
        # Expectation feedback: linked when it is open to the caseworker.
        if access.can_view_own_feedback(user):
            context["feedback_url"] = reverse("insight:feedback")

    leader_codes = access.municipality_codes(user, among=[Role.TEAM_LEADER, Role.KEY_PERSON])
    if leader_codes:
        context["leader_sections"] = [
            _leader_section(user, m, project, today)
            for m in Municipality.objects.filter(code__in=leader_codes).order_by("name")
        ]
        if project:
            context["bip"] = dashboard.bip_headlines(user, project)

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
        until = dashboard.outcomes_until(sections)
        for m in sections:
            m.outcomes_until = until[m.code]  # type: ignore[attr-defined]
        context["manager_sections"] = sections

    if Role.RESEARCHER in roles:
        research_rows = list(
            Municipality.objects.filter(participations__isnull=False)
            .annotate(
                n_teams=Count("units", filter=Q(units__kind=Unit.Kind.TEAM), distinct=True),
                n_citizens=Count("citizens", distinct=True),
            )
            .order_by("name")
        )
        context["research_rows"] = research_rows
        context["n_caseworkers"] = (
            Membership.objects.active().filter(role=Role.CASEWORKER).values("staff").distinct().count()
        )
        if project:
            context["research"] = _research_section(user, project, research_rows)

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


def _leader_section(
    user: access.AnyUser, municipality: Municipality, project: Project | None, today: date
) -> dict[str, object]:
    """A team leader's or key person's dashboard for one municipality: teams, the current wave's response
    and belief per team (two-way tables, disclosure-controlled), belief over the waves, the municipality's
    initiatives and its next meetings."""
    team_rows, total = _team_rows(user, municipality)
    section: dict[str, object] = {"municipality": municipality, "teams": team_rows, "teams_total": total}
    if project is None:
        return section
    wave = dashboard.current_wave(project, today)
    if wave is not None:
        teams, placed = dashboard.team_placements(wave, municipality)
        response = dashboard.team_response(user, wave, teams, placed)
        section["response"] = response
        shown = [t for t in response.teams if t.share is not None]
        section["response_plot"] = dashboard.response_plot(
            [t.label for t in shown],
            [t.share for t in shown if t.share is not None],
            _("Caseworkers who have finished %(wave)s, per team") % {"wave": wave.name},
        )
        section["beliefs"] = dashboard.team_beliefs(user, wave, municipality, teams, placed)
    over_waves = dashboard.belief_by_wave(user, project, municipality)
    section["belief_waves"] = over_waves
    if over_waves is not None:
        section["belief_plot"] = dashboard.belief_plot(
            over_waves, _("Specific belief per wave in %(name)s") % {"name": municipality.name}
        )
    section["initiatives"] = list(
        access.initiatives(user)
        .filter(project=project, municipality=municipality)
        .exclude(status__in=[Initiative.Status.COMPLETED, Initiative.Status.STOPPED])
        .select_related("focus_area")
        .order_by("start", "pk")[:MAX_LISTED]
    )
    section["meetings"] = list(
        access.activities(user)
        .filter(project=project, day__gte=today, cancelled=False)
        .filter(Q(municipality=municipality) | Q(municipality__isnull=True))
        .select_related("municipality")
        .order_by("day", "starts", "pk")[:MAX_LISTED]
    )
    return section


def _research_section(
    user: access.AnyUser, project: Project, municipalities: Sequence[Municipality]
) -> dict[str, object]:
    """The researchers' overview: response per municipality and wave, belief per wave, data freshness and the
    stored analyses with their staleness. Unsuppressed (access.aggregates_unsuppressed)."""
    waves, rows, totals = dashboard.response_matrix(project)
    section: dict[str, object] = {"waves": waves, "response_rows": rows, "response_totals": totals}
    if waves:
        latest = [(r.label, r.cells[-1]) for r in rows if r.cells[-1] is not None]
        section["response_plot"] = dashboard.response_plot(
            [label for label, _share in latest],
            [share for _label, share in latest if share is not None],
            _("Caseworkers who have finished %(wave)s, per municipality") % {"wave": waves[-1].name},
        )
    beliefs = dashboard.belief_by_wave(user, project, None)
    section["belief_waves"] = beliefs
    if beliefs is not None:
        section["belief_plot"] = dashboard.belief_plot(beliefs, _("Specific belief per wave, all municipalities"))
    section["freshness"] = dashboard.freshness(municipalities)
    section["spell_build"] = dashboard.latest_spell_build(project)
    section["analyses"] = dashboard.analyses(project)
    section["analyses_url"] = reverse("insight:analyses")
    section["n_answers"] = (
        Answer.objects.filter(wave__project=project).values("wave", "caseworker", "item", "citizen").distinct().count()
    )
    return section
