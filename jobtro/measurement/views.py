"""Citizens: identifiable for their caseworker and their municipality's data manager, by pseudonym
for researchers. Every shown identity is written to the audit log (identity.reveal)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from jobtro.measurement import identity
from jobtro.measurement.models import Citizen
from jobtro.organisation import access
from jobtro.organisation.models import Role


@login_required
def citizen_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not access.can_list_citizens(user):
        raise PermissionDenied
    if access.sees_identities(user):
        citizens = access.identifiable_citizens(user).select_related("municipality")
        page = Paginator(citizens.order_by("pk"), 50).get_page(request.GET.get("page"))
        identities = identity.reveal(user, list(page.object_list), purpose="citizen list")
        rows = sorted(((c, identities[c.pk]) for c in page.object_list), key=lambda row: row[1].name)
        return render(
            request,
            "measurement/citizen_list.html",
            {"page": page, "rows": rows, "identifiable": True, "show_cpr": access.has_role(user, Role.DATA_MANAGER)},
        )
    citizens = access.pseudonymised_citizens(user).select_related("municipality")
    page = Paginator(citizens.order_by("pseudonym"), 50).get_page(request.GET.get("page"))
    pseudonymous: list[tuple[Citizen, None]] = [(c, None) for c in page.object_list]
    return render(request, "measurement/citizen_list.html", {"page": page, "rows": pseudonymous, "identifiable": False})


@login_required
def citizen_detail(request: HttpRequest, pseudonym: str) -> HttpResponse:
    user = request.user
    if not access.can_list_citizens(user):
        raise PermissionDenied
    if access.sees_identities(user):
        citizen = get_object_or_404(
            access.identifiable_citizens(user).select_related("municipality"), pseudonym=pseudonym
        )
        who = identity.reveal(user, [citizen], purpose="citizen page")[citizen.pk]
    else:
        citizen = get_object_or_404(
            access.pseudonymised_citizens(user).select_related("municipality"), pseudonym=pseudonym
        )
        who = None
    assignments = citizen.assignments.select_related("caseworker").order_by("start")
    return render(
        request,
        "measurement/citizen_detail.html",
        {
            "citizen": citizen,
            "who": who,
            "assignments": assignments,
            "show_cpr": who is not None and access.has_role(user, Role.DATA_MANAGER),
        },
    )
