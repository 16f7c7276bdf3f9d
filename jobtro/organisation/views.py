"""The project, its municipalities, units (teams) and staff, each scoped by access.py."""

from __future__ import annotations

from collections import Counter

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from jobtro.measurement.models import CaseworkerAssignment
from jobtro.organisation import access
from jobtro.organisation.models import Membership, Role, Unit, current_project
from jobtro.reports import disclosure


def _require_role(request: HttpRequest) -> None:
    if not access.can_view_project(request.user):
        raise PermissionDenied


@login_required
def project(request: HttpRequest) -> HttpResponse:
    _require_role(request)
    proj = current_project()
    return render(
        request,
        "organisation/project.html",
        {"project": proj, "month": proj.month_number() if proj else None, "today": timezone.localdate()},
    )


@login_required
def municipality_list(request: HttpRequest) -> HttpResponse:
    _require_role(request)
    participating = access.municipalities(request.user).filter(participations__isnull=False).distinct()
    rows = participating.annotate(n_units=Count("units", distinct=True)).order_by("name")
    return render(request, "organisation/municipality_list.html", {"municipalities": rows})


def _tree(units: list[Unit]) -> list[tuple[Unit, int]]:
    """Units in depth-first order with their depth, for an indented list."""
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    ordered: list[tuple[Unit, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for unit in sorted(children.get(parent, []), key=lambda u: u.name):
            ordered.append((unit, depth))
            walk(unit.pk, depth + 1)

    walk(None, 0)
    return ordered


@login_required
def municipality_detail(request: HttpRequest, code: str) -> HttpResponse:
    _require_role(request)
    municipality = get_object_or_404(access.municipalities(request.user), code=code)
    units = list(access.units(request.user).filter(municipality=municipality))
    staff_per_unit = Counter(Membership.objects.active().filter(unit__in=units).values_list("unit_id", flat=True))
    tree = [(unit, depth, staff_per_unit.get(unit.pk, 0)) for unit, depth in _tree(units)]
    participations = municipality.participations.select_related("project")
    return render(
        request,
        "organisation/municipality_detail.html",
        {"municipality": municipality, "tree": tree, "participations": participations},
    )


@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_role(request)
    unit = get_object_or_404(access.units(request.user).select_related("municipality", "parent"), pk=pk)
    members = (
        Membership.objects.active().filter(unit=unit).select_related("staff").order_by("staff__first_name", "role")
    )
    caseworker_ids = [m.staff_id for m in members if m.role == Role.CASEWORKER]
    # Citizens per caseworker is an aggregate: disclosure control applies outside the research role.
    per_caseworker = Counter(
        CaseworkerAssignment.objects.current()
        .filter(caseworker_id__in=caseworker_ids, citizen__municipality=unit.municipality)
        .values_list("caseworker_id", flat=True)
    )
    caseload_total = disclosure.total_for(request.user, sum(per_caseworker.values()))
    return render(
        request,
        "organisation/unit_detail.html",
        {
            "unit": unit,
            "members": members,
            "children": unit.children.all(),
            "caseload_total": caseload_total,
            "n_caseworkers": len(set(caseworker_ids)),
        },
    )


@login_required
def staff_list(request: HttpRequest) -> HttpResponse:
    _require_role(request)
    active = access.memberships_visible(request.user).select_related("municipality", "unit")
    people = access.staff(request.user).prefetch_related(Prefetch("memberships", queryset=active, to_attr="shown"))
    page = Paginator(people.order_by("first_name", "last_name", "username"), 50).get_page(request.GET.get("page"))
    return render(request, "organisation/staff_list.html", {"page": page})
