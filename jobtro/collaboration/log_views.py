"""Focus areas, initiatives and the experience log (issue 6, points 1, 2 and 6).

Who sees and changes what is decided in jobtro.organisation.access ("focus areas, initiatives and the
experience log"): every participant sees the focus areas and which municipality works on which when;
initiatives and log entries are the municipality's own until it opens its log to the others; researchers
see everything. Key persons and team leaders (and researchers) manage choices and initiatives, any
municipal staff member posts in their own municipality's log. Changes are audit-logged by the model
signals (jobtro.audit)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jobtro.collaboration.forms import (
    EndChoiceForm,
    ExperienceForm,
    FocusAreaChoiceForm,
    FocusAreaForm,
    InitiativeForm,
    focus_area_name,
    in_danish,
)
from jobtro.collaboration.models import Experience, FocusArea, FocusAreaChoice, Initiative, LogSharing, SubTopic
from jobtro.organisation import access
from jobtro.organisation.models import Municipality, Project, Staff, current_project

GET_POST = require_http_methods(["GET", "POST"])


def _viewer(request: HttpRequest) -> None:
    if not access.can_view_collaboration(request.user):
        raise PermissionDenied


def _manager(request: HttpRequest) -> None:
    if not access.can_manage_collaboration(request.user):
        raise PermissionDenied


def _project_or_404() -> Project:
    project = current_project()
    if project is None:
        raise Http404
    return project


def _participating(project: Project, municipalities: QuerySet[Municipality]) -> QuerySet[Municipality]:
    return municipalities.filter(participations__project=project).distinct().order_by("name")


def _label_areas(project: Project) -> dict[int, str]:
    return {area.pk: focus_area_name(area) for area in FocusArea.objects.filter(project=project).all()}


# --- focus areas ----------------------------------------------------------------------------------


@dataclass
class AreaRow:
    area: FocusArea
    name: str
    description: str
    subtopics: list[str]


@dataclass
class ChoiceRow:
    choice: FocusAreaChoice
    name: str
    current: bool


@dataclass
class MunicipalityTimeline:
    municipality: Municipality
    manages: bool
    choices: list[ChoiceRow] = field(default_factory=list)


@login_required
@require_GET
def areas(request: HttpRequest) -> HttpResponse:
    """The focus areas with their sub-topics, and which areas each municipality works on over time."""
    _viewer(request)
    project = current_project()
    if project is None:
        return render(request, "collaboration/areas.html", {"project": None})
    danish = in_danish()
    rows = [
        AreaRow(
            area,
            focus_area_name(area),
            (area.description_da if danish else area.description_en or area.description_da),
            [(t.text_da if danish else t.text_en or t.text_da) for t in area.subtopics.all()],
        )
        for area in FocusArea.objects.filter(project=project).prefetch_related(
            Prefetch("subtopics", SubTopic.objects.order_by("position"))
        )
    ]
    names = {row.area.pk: row.name for row in rows}
    today = timezone.localdate()
    managed = set(access.collaboration_manage_municipalities(request.user).values_list("code", flat=True))
    timelines = {
        m.code: MunicipalityTimeline(m, m.code in managed) for m in _participating(project, Municipality.objects.all())
    }
    choices = access.focus_area_choices(request.user).filter(project=project).select_related("builds_on")
    for choice in choices.order_by("start", "pk"):
        if choice.municipality_id in timelines:
            current = choice.start <= today and (choice.end is None or today < choice.end)
            timelines[choice.municipality_id].choices.append(ChoiceRow(choice, names[choice.focus_area_id], current))
    return render(
        request,
        "collaboration/areas.html",
        {
            "project": project,
            "areas": rows,
            "timelines": list(timelines.values()),
            "can_manage": access.can_manage_collaboration(request.user),
            "can_add": access.can_add_focus_area(request.user),
            "end_form": EndChoiceForm(initial={"end": today}),
        },
    )


@login_required
@GET_POST
def choose(request: HttpRequest) -> HttpResponse:
    """Choose a focus area for a municipality, or switch: end a current one and start the new one."""
    _manager(request)
    project = _project_or_404()
    allowed = _participating(project, access.collaboration_manage_municipalities(request.user))
    if request.method == "POST":
        form = FocusAreaChoiceForm(project, allowed, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            with transaction.atomic():
                replaced: FocusAreaChoice | None = data["replaces"]
                if replaced is not None:
                    replaced.end = data["start"]
                    replaced.save(update_fields=["end"])
                FocusAreaChoice.objects.create(
                    project=project,
                    municipality=data["municipality"],
                    focus_area=data["focus_area"],
                    start=data["start"],
                    builds_on=data["builds_on"],
                    note=data["note"],
                )
            messages.success(request, _("The focus area has been chosen."))
            return redirect(reverse("areas:index") + f"#municipality-{data['municipality'].code}")
    else:
        initial: dict[str, Any] = {"start": timezone.localdate()}
        if request.GET.get("municipality"):
            initial["municipality"] = request.GET["municipality"]
        form = FocusAreaChoiceForm(project, allowed, initial=initial)
    return render(request, "collaboration/areas_choose.html", {"project": project, "form": form})


@login_required
@require_POST
def choice_end(request: HttpRequest, pk: int) -> HttpResponse:
    """End a municipality's work on a focus area (without starting another)."""
    _manager(request)
    project = _project_or_404()
    allowed = access.collaboration_manage_municipalities(request.user)
    choice = get_object_or_404(FocusAreaChoice, pk=pk, project=project, municipality__in=allowed, end__isnull=True)
    form = EndChoiceForm(request.POST)
    if not form.is_valid() or form.cleaned_data["end"] <= choice.start:
        messages.error(request, _("The end must come after the start."))
    else:
        choice.end = form.cleaned_data["end"]
        choice.save(update_fields=["end"])
        messages.success(request, _("The municipality's work on the focus area has been ended."))
    return redirect(reverse("areas:index") + f"#municipality-{choice.municipality_id}")


@login_required
@GET_POST
def focus_area_add(request: HttpRequest) -> HttpResponse:
    """A researcher adds a focus area with its sub-topics in Danish and English."""
    if not access.can_add_focus_area(request.user):
        raise PermissionDenied
    project = _project_or_404()
    form = FocusAreaForm(project, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            last = FocusArea.objects.filter(project=project).aggregate(last=Max("position"))["last"]
            area = FocusArea.objects.create(
                project=project,
                key=data["key"],
                name_da=data["name_da"],
                name_en=data["name_en"],
                description_da=data["description_da"],
                description_en=data["description_en"],
                position=(last + 1) if last is not None else 0,
            )
            SubTopic.objects.bulk_create(
                SubTopic(focus_area=area, text_da=da, text_en=en, position=i)
                for i, (da, en) in enumerate(data["subtopics"])
            )
        messages.success(request, _("The focus area has been added."))
        return redirect(reverse("areas:index") + f"#area-{area.pk}")
    return render(request, "collaboration/areas_add.html", {"project": project, "form": form})


# --- initiatives ----------------------------------------------------------------------------------


@login_required
@require_GET
def initiative_list(request: HttpRequest) -> HttpResponse:
    """The initiatives the user may see: the own municipality's, others' opened ones; all for researchers."""
    _viewer(request)
    project = current_project()
    initiatives: list[Initiative] = []
    if project is not None:
        names = _label_areas(project)
        initiatives = list(
            access.initiatives(request.user)
            .filter(project=project)
            .select_related("municipality", "owner")
            .order_by("municipality__name", "start", "pk")
        )
        for initiative in initiatives:
            initiative.focus_label = names.get(initiative.focus_area_id, "")  # type: ignore[attr-defined]
    return render(
        request,
        "collaboration/initiative_list.html",
        {"project": project, "initiatives": initiatives, "can_manage": access.can_manage_collaboration(request.user)},
    )


@login_required
@require_GET
def initiative_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _viewer(request)
    initiative = get_object_or_404(
        access.initiatives(request.user).select_related("municipality", "owner", "focus_area"), pk=pk
    )
    experiences = (
        access.experiences(request.user).filter(initiative=initiative).select_related("author").defer("attachment")
    )
    can_edit = access.collaboration_manage_municipalities(request.user).filter(pk=initiative.municipality_id).exists()
    return render(
        request,
        "collaboration/initiative_detail.html",
        {
            "initiative": initiative,
            "focus_label": focus_area_name(initiative.focus_area),
            "teams": initiative.teams.order_by("name"),
            "experiences": experiences,
            "can_edit": can_edit,
        },
    )


@login_required
@GET_POST
def initiative_create(request: HttpRequest) -> HttpResponse:
    _manager(request)
    project = _project_or_404()
    allowed = _participating(project, access.collaboration_manage_municipalities(request.user))
    form = InitiativeForm(project, allowed, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.instance.project = project
        initiative = form.save()
        messages.success(request, _("The initiative has been created."))
        return redirect("areas:initiative_detail", pk=initiative.pk)
    return render(request, "collaboration/initiative_form.html", {"form": form, "initiative": None})


@login_required
@GET_POST
def initiative_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _manager(request)
    allowed = access.collaboration_manage_municipalities(request.user)
    initiative = get_object_or_404(Initiative.objects.select_related("project"), pk=pk, municipality__in=allowed)
    form = InitiativeForm(initiative.project, allowed, request.POST or None, instance=initiative)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The initiative has been saved."))
        return redirect("areas:initiative_detail", pk=initiative.pk)
    return render(request, "collaboration/initiative_form.html", {"form": form, "initiative": initiative})


# --- the experience log ---------------------------------------------------------------------------


@dataclass
class LogSection:
    municipality: Municipality
    own: bool
    open: bool
    can_share: bool
    entries: list[Experience] = field(default_factory=list)


@login_required
@GET_POST
def log(request: HttpRequest) -> HttpResponse:
    """The experience log: the own municipality's entries, the open logs of the others, the post form and
    the switch that opens the municipality's log to the others."""
    _viewer(request)
    project = current_project()
    if project is None:
        return render(request, "collaboration/log.html", {"project": None})
    user = request.user
    assert isinstance(user, Staff)  # login_required
    postable = _participating(project, access.experience_post_municipalities(user))
    form: ExperienceForm | None = None
    if postable.exists():
        form = ExperienceForm(project, postable, request.POST or None, request.FILES or None)
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            upload = data["attachment"]
            initiative: Initiative | None = data["initiative"]
            Experience.objects.create(
                project=project,
                municipality=data["municipality"],
                author=user,
                focus_area=data["focus_area"] or (initiative.focus_area if initiative else None),
                initiative=initiative,
                day=data["day"],
                text=data["text"],
                attachment_name=upload.name[:255] if upload else "",
                attachment_type=(upload.content_type or "application/octet-stream")[:100] if upload else "",
                attachment=upload.read() if upload else b"",
            )
            messages.success(request, _("Your experience has been added to the log."))
            return redirect(reverse("areas:log") + f"#log-{data['municipality'].code}")

    own = access.municipality_codes(user)
    sharable = set(access.log_sharing_municipalities(user).values_list("code", flat=True))
    opened = set(LogSharing.objects.filter(project=project, open=True).values_list("municipality_id", flat=True))
    names = _label_areas(project)
    entries = (
        access.experiences(user)
        .filter(project=project)
        .select_related("municipality", "author", "initiative")
        .defer("attachment")
        .order_by("-day", "-pk")
    )
    sections: dict[str, LogSection] = {}
    for m in _participating(project, Municipality.objects.filter(code__in=own)):
        sections[m.code] = LogSection(m, True, m.code in opened, m.code in sharable)
    for entry in entries:
        code = entry.municipality_id
        if code not in sections:
            sections[code] = LogSection(entry.municipality, code in own, code in opened, code in sharable)
        entry.focus_label = names.get(entry.focus_area_id or 0, "")  # type: ignore[attr-defined]
        sections[code].entries.append(entry)
    ordered = sorted(sections.values(), key=lambda s: (not s.own, s.municipality.name))
    return render(request, "collaboration/log.html", {"project": project, "sections": ordered, "form": form})


@login_required
@require_POST
def log_sharing(request: HttpRequest) -> HttpResponse:
    """A key person or team leader opens (or closes) the municipality's log to the other municipalities."""
    allowed = access.log_sharing_municipalities(request.user)
    if not allowed.exists():
        raise PermissionDenied
    project = _project_or_404()
    municipality = get_object_or_404(_participating(project, allowed), code=request.POST.get("municipality", ""))
    opening = request.POST.get("open") == "1"
    LogSharing.objects.update_or_create(project=project, municipality=municipality, defaults={"open": opening})
    if opening:
        messages.success(request, _("The log is now open to the project's other municipalities."))
    else:
        messages.success(request, _("The log is now closed to the other municipalities."))
    return redirect(reverse("areas:log") + f"#log-{municipality.code}")


@login_required
@require_GET
def log_attachment(request: HttpRequest, pk: int) -> HttpResponse:
    """An entry's attachment, as a download, to those who may see the entry (otherwise 404)."""
    _viewer(request)
    entry = get_object_or_404(access.experiences(request.user).exclude(attachment_name=""), pk=pk)
    response = HttpResponse(bytes(entry.attachment), content_type=entry.attachment_type or "application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, entry.attachment_name) or "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
