"""The caseload import page for municipal data managers: upload a CSV or XLSX export, see either what
was imported or every error at once (the same import as `jobtro import-caseload`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from jobtro.measurement.caseload_import import CASELOAD, import_caseload
from jobtro.organisation import access
from jobtro.organisation.models import Municipality

MAX_UPLOAD_MB = 20  # a caseload of thousands is well under 1 MB; this only stops accidents


class CaseloadImportForm(forms.Form):
    municipality = forms.ModelChoiceField(
        queryset=Municipality.objects.none(),
        to_field_name="code",
        empty_label=None,
        label=gettext_lazy("Municipality"),
        widget=forms.Select(attrs={"class": "form-select input-width-l"}),
    )
    file = forms.FileField(
        label=gettext_lazy("File (CSV or XLSX)"),
        widget=forms.FileInput(attrs={"accept": ".csv,.txt,.xlsx,text/csv"}),
    )
    complete = forms.BooleanField(
        required=False,
        label=gettext_lazy("The file is the whole caseload: citizens not in it leave their caseworker's caseload"),
        widget=forms.CheckboxInput(attrs={"class": "form-checkbox"}),
    )
    dry_run = forms.BooleanField(
        required=False,
        label=gettext_lazy("Test run: check the file and show the result, but save nothing"),
        widget=forms.CheckboxInput(attrs={"class": "form-checkbox"}),
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


@login_required
def caseload_import(request: HttpRequest) -> HttpResponse:
    if not access.can_import_caseload(request.user):
        raise PermissionDenied
    allowed = access.caseload_import_municipalities(request.user)
    result = None
    if request.method == "POST":
        code = request.POST.get("municipality", "")
        if code and not allowed.filter(code=code).exists():
            raise Http404  # another municipality's caseload: not this user's to import (or to know about)
        form = CaseloadImportForm(allowed, request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            result = import_caseload(
                upload.read(),
                form.cleaned_data["municipality"],
                dry_run=form.cleaned_data["dry_run"],
                complete=form.cleaned_data["complete"],
            )
    else:
        form = CaseloadImportForm(allowed)
    return render(
        request, "measurement/import_caseload.html", {"form": form, "result": result, "columns": CASELOAD.columns}
    )
