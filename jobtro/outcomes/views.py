"""The register upload for municipal data managers: upload a weekly status or event file, follow the
import's progress (the task worker runs it: jobtro.outcomes.tasks), then see either what was imported
or every problem at once, with a download of all of them."""

from __future__ import annotations

import gzip
import io
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from jobtro.audit.actions import record_reads
from jobtro.lib.outcome_files import EVENT_HEADINGS, STATUS_HEADINGS, Problem, week_label
from jobtro.organisation import access
from jobtro.organisation.models import Municipality, Project, Staff, current_project
from jobtro.outcomes import imports
from jobtro.outcomes.models import ImportJob, Kind, OutcomeImport, StatusCodeOverride
from jobtro.outcomes.tasks import run_import_job, steps_of

MAX_UPLOAD_MB = 200  # a municipality's weekly panel for years is tens of MB; this stops accidents
SHOWN_IMPORTS = 50
SHOWN_JOBS = 10

# What each outcome category means, for the data manager reading the status code mapping.
CATEGORY_LABELS = {
    "job": gettext_lazy("Job: in employment or otherwise self-supporting"),
    "education": gettext_lazy("Education: in ordinary education (e.g. on SU)"),
    "benefit_cash": gettext_lazy("Cash benefit (kontanthjælp)"),
    "benefit_education": gettext_lazy("Education benefit (uddannelseshjælp)"),
    "benefit_sickness": gettext_lazy("Sickness benefit (sygedagpenge)"),
    "benefit_unemployment": gettext_lazy("Unemployment benefit (dagpenge)"),
    "benefit_flex": gettext_lazy("Flex job benefits (ledighedsydelse and the like)"),
    "benefit_other": gettext_lazy("Another public benefit"),
    "other": gettext_lazy("Other (e.g. emigrated or dead)"),
}
# Step names (jobtro.outcomes.imports.STATUS_STEPS / EVENT_STEPS) in the user's words.
STEP_LABELS = {
    "read": gettext_lazy("Reading the file"),
    "check": gettext_lazy("Checking every value"),
    "link": gettext_lazy("Pseudonymising and linking"),
    "sort": gettext_lazy("Sorting"),
    "merge": gettext_lazy("Comparing with the data already imported"),
    "save": gettext_lazy("Saving"),
}


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d", attrs={"class": "form-input input-width-xs"})


class OutcomeUploadForm(forms.Form):
    kind = forms.ChoiceField(
        choices=Kind.choices, initial=Kind.STATUS, label=gettext_lazy("What the file holds"), widget=forms.RadioSelect
    )
    municipality = forms.ModelChoiceField(
        queryset=Municipality.objects.none(),
        to_field_name="code",
        empty_label=None,
        label=gettext_lazy("Municipality"),
        widget=forms.Select(attrs={"class": "form-select input-width-l"}),
    )
    file = forms.FileField(
        label=gettext_lazy("File (CSV, Parquet or XLSX)"),
        widget=forms.FileInput(attrs={"accept": ".csv,.txt,.parquet,.xlsx,text/csv"}),
    )
    covers_until = forms.DateField(
        required=False,
        label=gettext_lazy("Data cover up to and including"),
        help_text=gettext_lazy("Job and education events only, and required for them: the extract's last day of data."),
        widget=_DateInput(),
    )
    covers_from = forms.DateField(
        required=False,
        label=gettext_lazy("Data cover from (optional)"),
        help_text=gettext_lazy(
            "Job and education events only. Events already imported for this period are replaced by the file's. "
            "Empty: from the file's first event."
        ),
        widget=_DateInput(),
    )

    def __init__(self, municipalities: QuerySet[Municipality], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["municipality"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = municipalities

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(
                gettext_lazy("The file is larger than %(max)s MB."), params={"max": MAX_UPLOAD_MB}, code="size"
            )
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") != Kind.EVENTS:
            data["covers_from"] = data["covers_until"] = None  # a weekly status file states its own weeks
            return data
        until: date | None = data.get("covers_until")
        start: date | None = data.get("covers_from")
        if until is None and "covers_until" not in self.errors:
            self.add_error(
                "covers_until", gettext_lazy("Give the last day the events file covers (the extract's end of data).")
            )
        elif until is not None and start is not None and start > until:
            self.add_error("covers_from", gettext_lazy("The first day lies after the last day."))
        return data


@dataclass(frozen=True)
class Column:
    heading: str
    aliases: tuple[str, ...]
    description: str


def _column(headings: Any, key: str, description: str) -> Column:
    first, *rest = headings[key]
    return Column(first, tuple(rest), description)


def _formats() -> dict[str, list[Column]]:
    person = [
        _column(STATUS_HEADINGS, "cpr", _("The citizen's CPR number, with or without the hyphen.")),
        _column(
            STATUS_HEADINGS, "pseudonym", _("Instead of the CPR number: the citizen's pseudonym, as jobtro made it.")
        ),
    ]
    return {
        "status": [
            *person,
            _column(
                STATUS_HEADINGS,
                "year_week",
                _("The ISO week as 2025-W07, 2025W07, 2025-07 or 202507, or any date in the week."),
            ),
            _column(STATUS_HEADINGS, "year", _("Or the week in two columns: the ISO year here ...")),
            _column(STATUS_HEADINGS, "week", _("... and the week number (1-53) here.")),
            _column(STATUS_HEADINGS, "code", _("The register's status code for the citizen that week.")),
        ],
        "events": [
            *person,
            _column(EVENT_HEADINGS, "event", _("job or education (also: beskæftigelse, uddannelse).")),
            _column(EVENT_HEADINGS, "date", _("The day the job or education started.")),
        ],
    }


def _mapping_rows(project: Project) -> list[tuple[str, str, str, bool]]:
    """(code, category, what the category means, the project's own mapping?) for every known code."""
    own = set(StatusCodeOverride.objects.filter(project=project).values_list("code", flat=True))
    mapping = imports.project_mapping(project).as_dict()
    return [
        (code, category, str(CATEGORY_LABELS.get(category, category)), code in own)
        for code, category in sorted(mapping.items())
    ]


@dataclass(frozen=True)
class ImportRow:
    record: OutcomeImport
    first_week: str
    last_week: str


def _weeks(index: int | None) -> str:
    return week_label(index) if index is not None else ""


def _earlier_imports(project: Project, allowed: QuerySet[Municipality]) -> list[ImportRow]:
    records = (
        OutcomeImport.objects.filter(store__project=project, store__municipality__in=allowed)
        .select_related("store__municipality", "imported_by")
        .order_by("-imported_at", "-pk")[:SHOWN_IMPORTS]
    )
    return [ImportRow(r, _weeks(r.first_week), _weeks(r.last_week)) for r in records]


@login_required
def outcome_import(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not access.can_import_outcomes(user):
        raise PermissionDenied
    assert isinstance(user, Staff)
    allowed = access.outcome_import_municipalities(user)
    project = current_project()
    if project is None:
        return render(request, "outcomes/import.html", {"project": None, "form": None})
    if request.method == "POST":
        code = request.POST.get("municipality", "")
        if code and not allowed.filter(code=code).exists():
            raise Http404  # another municipality's data: not this user's to import (or to know about)
        form = OutcomeUploadForm(allowed, request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            job = ImportJob.objects.create(
                project=project,
                kind=form.cleaned_data["kind"],
                municipality=form.cleaned_data["municipality"],
                requested_by=user,
                file_name=Path(upload.name or "").name[:255],
                upload=upload.read(),
                covers_from=form.cleaned_data["covers_from"],
                covers_until=form.cleaned_data["covers_until"],
            )
            run_import_job.enqueue(str(job.pk))
            return redirect("outcomes:import_job", job.pk)
    else:
        form = OutcomeUploadForm(allowed)
    jobs = (
        ImportJob.objects.filter(project=project, municipality__in=allowed, requested_by=user)
        .defer("upload", "problems", "problems_csv")
        .select_related("municipality")[:SHOWN_JOBS]
    )
    return render(
        request,
        "outcomes/import.html",
        {
            "project": project,
            "form": form,
            "imports": _earlier_imports(project, allowed),
            "several_municipalities": allowed.count() > 1,
            "jobs": jobs,
            "formats": _formats(),
            "mapping": _mapping_rows(project),
            "max_mb": MAX_UPLOAD_MB,
        },
    )


# --- the job page ---------------------------------------------------------------------------------


def _job(request: HttpRequest, job_id: uuid.UUID) -> ImportJob:
    """The user's job (access.outcome_import_jobs), or 404; never loads the uploaded bytes."""
    jobs = access.outcome_import_jobs(request.user).defer("upload", "problems_csv")
    return get_object_or_404(jobs.select_related("municipality", "requested_by", "result"), pk=job_id)


def _progress(job: ImportJob) -> dict[str, Any]:
    steps = steps_of(job.kind)
    number = steps.index(job.step) + 1 if job.step in steps else 0
    return {
        "step_label": STEP_LABELS.get(job.step, job.step),
        "step_number": number,
        "steps": len(steps),
        "percent": round(100 * job.progress),
        # What the poll sends back, so an unchanged job is answered with "no change" (nothing re-read aloud).
        "seen": f"{job.state}:{job.step}:{job.progress:.3f}",
    }


@login_required
@require_GET
def import_job(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    job = _job(request, job_id)
    problems = [{**p, "message": imports.problem_message(Problem(**p))} for p in job.problems]
    if problems:  # a problem quotes the file's value as written: a CPR number, perhaps
        record_reads([job], purpose="register import problems")
    return render(
        request,
        "outcomes/job.html",
        {
            "job": job,
            "problems": problems,
            "more_problems": job.problem_count > len(problems),
            "unknown_codes": [p["value"] for p in problems if p["code"] == "unknown_code"],
            **_progress(job),
        },
    )


@login_required
@require_GET
def import_job_status(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    """The progress part of the job page, polled by htmx every second while the job runs: "no change"
    (204) while nothing moved, and a reload of the whole page (HX-Refresh) once the job has ended."""
    job = _job(request, job_id)
    context = _progress(job)
    if not job.finished and request.GET.get("seen") == context["seen"]:
        return HttpResponse(status=204)
    response = render(request, "outcomes/job_progress.html", {"job": job, **context})
    if job.finished:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def import_job_problems(request: HttpRequest, job_id: uuid.UUID) -> FileResponse:
    """Every problem of a failed upload as CSV (semicolon-separated, UTF-8 with BOM, for Excel)."""
    job = get_object_or_404(access.outcome_import_jobs(request.user).defer("upload"), pk=job_id)
    if not job.problems_csv:
        raise Http404
    record_reads([job], purpose="register import problems download")
    stem = slugify(Path(job.file_name).stem) or "upload"
    response = FileResponse(
        gzip.GzipFile(fileobj=io.BytesIO(bytes(job.problems_csv))),
        as_attachment=True,
        filename=f"{stem}-{slugify(_('problems'))}.csv",
        content_type="text/csv; charset=utf-8",
    )
    response["Cache-Control"] = "private, no-store"
    return response
