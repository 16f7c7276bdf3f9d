"""The researchers' answer export: choose waves and a format, download a zip with the data files and
the codebook. Pseudonymised (jobtro.measurement.export); every download is in the audit log."""

from __future__ import annotations

import tempfile
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jobtro.measurement import export
from jobtro.measurement.models import Wave
from jobtro.organisation import access

FORMAT_CHOICES = [
    ("csv", _("CSV (UTF-8, for R, Stata, SPSS, Python …)")),
    ("xlsx", _("Excel (XLSX), one sheet per table and the codebook")),
    ("dta", _("Stata (.dta) with variable and value labels")),
    ("sav", _("SPSS (.sav) with variable and value labels")),
]


def _waves() -> QuerySet[Wave]:
    return (
        Wave.objects.select_related("project", "instrument_version__instrument")
        .annotate(n_answers=Count("answers"))
        .order_by("project__start_date", "project_id", "number")
    )


class WaveChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class ExportForm(forms.Form):
    waves = WaveChoiceField(
        queryset=Wave.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one wave.")},
    )
    format = forms.ChoiceField(
        choices=FORMAT_CHOICES,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a file format."),
            "invalid_choice": _("Choose one of the file formats shown."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["waves"].queryset = _waves()  # type: ignore[attr-defined]


@login_required
def answer_export(request: HttpRequest) -> HttpResponseBase:
    if not access.can_export_answers(request.user):
        raise PermissionDenied
    if request.method == "POST":
        form = ExportForm(request.POST)
        if form.is_valid():
            try:
                return _download(list(form.cleaned_data["waves"]), form.cleaned_data["format"])
            except export.ExportTooLarge as exc:
                message = _(
                    "The export has %(rows)s rows in one table, more than Excel can hold. "
                    "Choose CSV, Stata or SPSS, or fewer waves."
                )
                form.add_error(None, message % {"rows": exc.rows})
    else:
        opened = [w.pk for w in _waves() if w.opened_at is not None]
        form = ExportForm(initial={"waves": opened, "format": "csv"})
    chosen = {str(v) for v in (form["waves"].value() or [])}
    return render(
        request,
        "measurement/export.html",
        {
            "form": form,
            "waves": _waves(),
            "chosen": chosen,
            "chosen_format": form["format"].value(),
            "formats": FORMAT_CHOICES,
        },
    )


def _download(waves: list[Wave], fmt: export.Format) -> FileResponse:
    dataset = export.build_dataset(waves)
    # A temporary file, not memory: a national export is large. It is deleted when the response closes it.
    archive = tempfile.TemporaryFile(prefix="jobtro-export-")  # noqa: SIM115 - closed by FileResponse
    try:
        names = export.write_zip(dataset, fmt, archive)
    except BaseException:
        archive.close()
        raise
    archive.seek(0)
    filename = f"jobtro-svar-{fmt}-{timezone.localtime(dataset.created_at):%Y%m%d-%H%M}.zip"
    export.record_export(dataset, fmt, files=names, destination=filename)
    response = FileResponse(archive, as_attachment=True, filename=filename, content_type="application/zip")
    response["Cache-Control"] = "no-store"
    return response
