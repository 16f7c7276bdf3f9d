"""Meeting packs (issue 7, point 8): the list of the meetings whose pack the person may download, a
meeting's pack and the final report as PDF. Who may download what is access.meeting_pack_activities and
access.can_download_final_report; the packs themselves are jobtro.reports.packs. Every download is in the
audit log: a pack holds aggregates only, but it leaves the platform on paper, so who took which is kept."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from jobtro.audit.actions import record
from jobtro.audit.models import AuditEvent
from jobtro.collaboration.models import Activity
from jobtro.organisation import access
from jobtro.organisation.models import current_project
from jobtro.reports import disclosure, packs


@login_required
@require_GET
def pack_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not access.can_view_meeting_packs(user):
        raise PermissionDenied
    project = current_project()
    meetings = (
        access.meeting_pack_activities(user)
        .filter(project=project)
        .select_related("municipality")
        .order_by("day", "pk")
        if project
        else Activity.objects.none()
    )
    today = timezone.localdate()
    upcoming = [m for m in meetings if m.day >= today]
    past = [m for m in meetings if m.day < today][::-1]  # the latest first
    return render(
        request,
        "reports/packs/list.html",
        {
            "project": project,
            "groups": [(_("Coming meetings"), upcoming, "packs-upcoming"), (_("Past meetings"), past, "packs-past")],
            "final": project is not None and access.can_download_final_report(user),
            "threshold": disclosure.threshold(),
        },
    )


@login_required
@require_GET
def pack_activity(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    if not access.can_view_meeting_packs(user):
        raise PermissionDenied
    activity = get_object_or_404(access.meeting_pack_activities(user).select_related("project", "municipality"), pk=pk)
    pack = packs.meeting_pack(activity, user)
    return _download(pack, activity)


@login_required
@require_GET
def pack_final(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not access.can_download_final_report(user):
        raise PermissionDenied
    project = current_project()
    if project is None:
        raise Http404
    pack = packs.final_report(project, user)
    return _download(pack, project)


def _download(pack: packs.Pack, about: Activity | object) -> HttpResponse:
    pdf = packs.render_pdf(pack)
    detail = {"download": "meeting pack", "kind": pack.kind, "file": pack.filename, "bytes": len(pdf)}
    if isinstance(about, Activity):
        record(AuditEvent.Action.BULK, about, detail=detail)
    else:
        record(AuditEvent.Action.BULK, pack.project, detail=detail)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=pack.filename) or ""
    response["Cache-Control"] = "no-store"
    return response
