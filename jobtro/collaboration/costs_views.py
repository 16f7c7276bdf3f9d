"""The costs page (issue 6): the research centre's shared costs, the fees they give each municipality and
their history, and the municipalities' resource use (hours by role, transport). Who sees which part is
access.py's decision ("costs"); the writes go through :mod:`jobtro.collaboration.costs`."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from jobtro.collaboration import costs
from jobtro.collaboration.forms import DateInput
from jobtro.collaboration.models import Activity, FeeRecord, SharedCost
from jobtro.lib.costs import HOURS, ResourceUse
from jobtro.organisation import access
from jobtro.organisation.models import Municipality, Project, Role, Staff, current_project


class SharedCostForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = SharedCost
        fields = ["category", "description", "amount", "day", "activity"]
        widgets = {
            "category": forms.Select(attrs={"class": "form-select"}),
            "description": forms.TextInput(attrs={"class": "form-input input-width-xl"}),
            "amount": forms.NumberInput(attrs={"class": "form-input input-width-s"}),
            "day": DateInput(),
            "activity": forms.Select(attrs={"class": "form-select input-width-xl"}),
        }

    def __init__(self, project: Project, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        activity = self.fields["activity"]
        assert isinstance(activity, forms.ModelChoiceField)
        activity.queryset = Activity.objects.filter(project=project, cancelled=False).order_by("day", "pk")
        activity.label = gettext_lazy("Activity (optional)")
        self.fields["day"].initial = timezone.localdate()


class KmRateForm(forms.Form):
    km_rate = forms.DecimalField(
        label=gettext_lazy("Transport rate (DKK per km)"),
        min_value=Decimal(0),
        max_digits=6,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"class": "form-input input-width-xs"}),
    )


@dataclass
class UseRow:
    name: str
    use: ResourceUse
    roles: list[tuple[str, Decimal]]


def _role_label(role: str) -> str:
    try:
        return str(Role(role).label)
    except ValueError:
        return _("other")


def _use_row(name: str, use: ResourceUse) -> UseRow:
    return UseRow(name, use, [(_role_label(role), hours) for role, hours in use.hours_by_role.items()])


def _fee_rows(record: FeeRecord, names: dict[str, str]) -> list[tuple[str, Decimal]]:
    return [(names.get(code, code), Decimal(fee)) for code, fee in record.municipalities.items()]


def _post(request: HttpRequest, project: Project) -> tuple[SharedCostForm | None, KmRateForm | None]:
    """Carry out a researcher's change; returns the form to show again when it was invalid."""
    if not access.can_manage_costs(request.user):
        raise PermissionDenied
    action = request.POST.get("action")
    if action == "add":
        form = SharedCostForm(project, request.POST)
        if not form.is_valid():
            return form, None
        data = form.cleaned_data
        costs.add_shared_cost(
            project,
            category=data["category"],
            description=data["description"],
            amount=data["amount"],
            day=data["day"],
            activity=data["activity"],
        )
        messages.success(request, _("The shared cost has been added and the fees recomputed."))
    elif action == "remove":
        cost = get_object_or_404(SharedCost, project=project, pk=request.POST.get("cost") or 0)
        costs.remove_shared_cost(cost)
        messages.success(request, _("The shared cost has been removed and the fees recomputed."))
    elif action == "rate":
        rate_form = KmRateForm(request.POST)
        if not rate_form.is_valid():
            return None, rate_form
        try:
            costs.set_km_rate(project, rate_form.cleaned_data["km_rate"])
        except (ValueError, ValidationError):
            rate_form.add_error("km_rate", _("Enter a rate of 0 or more."))
            return None, rate_form
        messages.success(request, _("The transport rate has been changed."))
    else:
        raise PermissionDenied
    return None, None


@login_required
@require_http_methods(["GET", "POST"])
def costs_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, Staff)
    if not access.can_view_costs(user):
        raise PermissionDenied
    project = current_project()
    if project is None:
        return render(request, "collaboration/costs.html", {"project": None})
    cost_form: SharedCostForm | None = None
    rate_form: KmRateForm | None = None
    if request.method == "POST":
        cost_form, rate_form = _post(request, project)
        if cost_form is None and rate_form is None:
            return redirect("collaboration:costs")
    manage = access.can_manage_costs(user)
    rate = costs.km_rate(project)
    if manage:
        cost_form = cost_form or SharedCostForm(project)
        rate_form = rate_form or KmRateForm(initial={"km_rate": rate})

    names = dict(Municipality.objects.values_list("code", "name"))
    sees_items = access.sees_cost_items(user)
    categories = []
    if sees_items:
        items = list(SharedCost.objects.filter(project=project).select_related("activity").order_by("day", "pk"))
        for value, label in SharedCost.Category.choices:
            rows = [c for c in items if c.category == value]
            if rows:
                categories.append((label, rows, sum((c.amount for c in rows), Decimal("0.00"))))

    records = list(FeeRecord.objects.filter(project=project))
    history = [(record, _fee_rows(record, names)) for record in records]
    latest = history[0] if history else None

    summary = costs.resource_summary(project)
    if access.sees_project_resource_use(user):
        visible = list(summary.by_municipality)
        project_use: UseRow | None = _use_row(_("The whole project"), summary.project)
    else:
        visible = sorted(access.resource_use_municipalities(user))
        project_use = None
    use_rows = [
        _use_row(names.get(code, code), summary.by_municipality[code])
        for code in visible
        if code in summary.by_municipality
    ]
    missing = [names.get(code, code) for code in visible if code not in summary.by_municipality]

    return render(
        request,
        "collaboration/costs.html",
        {
            "project": project,
            "can_manage": manage,
            "sees_items": sees_items,
            "categories": categories,
            "total": costs.shared_costs_total(project),
            "latest": latest,
            "history": history,
            "use_rows": use_rows,
            "no_use": missing,
            "project_use": project_use,
            "km_rate": rate,
            "full_day_hours": HOURS["full_day"],
            "half_day_hours": HOURS["half_day"],
            "cost_form": cost_form,
            "rate_form": rate_form,
        },
    )
