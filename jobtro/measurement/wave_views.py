"""Researchers' pages for the barometer - the versioned instrument, the project's waves (plan, edit,
open) and live response rates - and the caseworker's personal single-use link, ``/r/<token>/``.

The link's GET only shows a button; the POST spends it. Mail scanners (Microsoft's Safe Links and
the like) fetch every link in an e-mail before the person does: a link spent by a GET would be used
up before the caseworker ever clicked it.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from jobtro.measurement import invitations
from jobtro.measurement.actions import ITEM_FIELDS, default_instrument_version, new_version, plan_waves, update_wave
from jobtro.measurement.models import InstrumentVersion, Item, Wave
from jobtro.organisation import access
from jobtro.organisation.models import Project, Staff, current_project

# --- forms --------------------------------------------------------------------------------------------


def options_text(options: list[dict[str, Any]]) -> str:
    return "\n".join(f"{o['value']} | {o['label_da']} | {o['label_en']}" for o in options)


class OptionsField(forms.CharField):
    """Answer options as people can type them: one per line, ``value | Danish label | English label``."""

    widget = forms.Textarea(attrs={"rows": 6, "class": "form-input"})

    def to_python(self, value: Any) -> list[dict[str, Any]]:  # type: ignore[override]
        text = super().to_python(value) or ""
        options: list[dict[str, Any]] = []
        seen: set[int] = set()
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) != 3 or not all(parts):
                raise ValidationError(
                    _("Line %(line)s: write value | Danish label | English label, e.g. 5 | Ja, helt sikkert | Yes."),
                    params={"line": number},
                )
            try:
                option_value = int(parts[0])
            except ValueError:
                raise ValidationError(
                    _("Line %(line)s: the value %(value)s is not a whole number."),
                    params={"line": number, "value": parts[0]},
                ) from None
            if option_value in seen:
                raise ValidationError(_("The value %(value)s appears twice."), params={"value": option_value})
            seen.add(option_value)
            options.append({"value": option_value, "label_da": parts[1], "label_en": parts[2]})
        return options

    def has_changed(self, initial: Any, data: Any) -> bool:
        # Compare what the text means, so an untouched empty field in a blank form is no change.
        try:
            return bool(self.to_python(initial or "") != self.to_python(data))
        except ValidationError:
            return True


class ItemForm(forms.Form):
    key = forms.SlugField(label=gettext_lazy("Variable name"), max_length=40)
    scope = forms.ChoiceField(label=gettext_lazy("Scope"), choices=Item.Scope.choices)
    kind = forms.ChoiceField(label=gettext_lazy("Answer type"), choices=Item.Kind.choices)
    position = forms.IntegerField(label=gettext_lazy("Position"), min_value=0, max_value=999)
    text_da = forms.CharField(label=gettext_lazy("Wording (Danish)"), widget=forms.Textarea(attrs={"rows": 2}))
    text_en = forms.CharField(label=gettext_lazy("Wording (English)"), widget=forms.Textarea(attrs={"rows": 2}))
    options = OptionsField(label=gettext_lazy("Answer options"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A variable keeps its name, scope and answer type across versions, so a variable always means
        # the same kind of answer; to change them, remove the item and add a new one.
        self.existing = bool(self.initial.get("key"))
        for name in ("key", "scope", "kind"):
            self.fields[name].disabled = self.existing
        for f in self.fields.values():
            css = "form-select" if isinstance(f.widget, forms.Select) else "form-input"
            f.widget.attrs.setdefault("class", css)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, options = data.get("kind"), data.get("options") or []
        if kind == Item.Kind.PERCENT and options:
            self.add_error("options", _("A percentage has no answer options; leave the field empty."))
        elif kind and kind != Item.Kind.PERCENT and len(options) < 2:  # every other kind is a choice among options
            self.add_error("options", _("This answer type needs at least two answer options."))
        return data


class BaseItemFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].widget.attrs["class"] = "form-checkbox"

    def clean(self) -> None:
        if any(self.errors):
            return
        keys = [f.cleaned_data["key"] for f in self._kept()]
        if not keys:
            raise ValidationError(_("The instrument needs at least one item."))
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise ValidationError(
                _("Each item needs its own variable name: %(keys)s"), params={"keys": ", ".join(twice)}
            )

    def _kept(self) -> list[forms.Form]:
        """The items of the new version: the existing ones not removed, and new ones filled in."""
        return [f for f in self.forms if (f.initial or f.has_changed()) and not f.cleaned_data.get("DELETE")]

    def items(self) -> list[dict[str, Any]]:
        return sorted(
            ({name: f.cleaned_data[name] for name in ITEM_FIELDS} for f in self._kept()),
            key=lambda item: (item["position"], item["key"]),
        )


ItemFormSet = forms.formset_factory(ItemForm, formset=BaseItemFormSet, extra=1, can_delete=True)


class VersionNoteForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("What changed, and why"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-input"}),
    )


class ReminderDaysField(forms.CharField):
    def to_python(self, value: Any) -> list[int]:  # type: ignore[override]
        text = super().to_python(value) or ""
        try:
            days = {int(part) for part in text.replace(";", ",").split(",") if part.strip()}
        except ValueError:
            raise ValidationError(_("Write whole numbers of days separated by commas, e.g. 7, 2.")) from None
        if any(not 0 <= d <= 365 for d in days):
            raise ValidationError(_("Reminder days are between 0 (the closing day) and 365."))
        return sorted(days, reverse=True)

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(str(d) for d in value) if isinstance(value, list) else value


def _reminder_field() -> ReminderDaysField:
    return ReminderDaysField(
        label=gettext_lazy("Reminders (days before closing)"),
        required=False,
        help_text=gettext_lazy("Caseworkers who have not finished get a reminder on these days, e.g. 7, 2."),
        widget=forms.TextInput(attrs={"class": "form-input input-width-s"}),
    )


class PlanForm(forms.Form):
    every_months = forms.IntegerField(
        label=gettext_lazy("Months between waves"),
        min_value=1,
        max_value=12,
        initial=3,
        widget=forms.NumberInput(attrs={"class": "form-input input-width-xs"}),
    )
    open_days = forms.IntegerField(
        label=gettext_lazy("Days each wave is open"),
        min_value=1,
        max_value=92,
        initial=14,
        widget=forms.NumberInput(attrs={"class": "form-input input-width-xs"}),
    )
    reminder_days = _reminder_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reminder_days"].initial = [7, 2]


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d", attrs={"class": "form-input input-width-xs"})


class WaveForm(forms.Form):
    opens_on = forms.DateField(label=gettext_lazy("Opens"), widget=_DateInput())
    closes_on = forms.DateField(label=gettext_lazy("Closes (last day)"), widget=_DateInput())
    reminder_days = _reminder_field()
    instrument_version = forms.ModelChoiceField(
        label=gettext_lazy("Instrument version"),
        queryset=InstrumentVersion.objects.none(),
        empty_label=None,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args: Any, wave: Wave, today: date, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "opens_on": wave.opens_on,
                "closes_on": wave.closes_on,
                "reminder_days": list(wave.reminder_days),
                "instrument_version": wave.instrument_version,
            },
        )
        super().__init__(*args, **kwargs)
        self.wave, self.today = wave, today
        versions = InstrumentVersion.objects.filter(instrument_id=wave.instrument_version.instrument_id)
        field = self.fields["instrument_version"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = versions.select_related("instrument").order_by("-number")
        if wave.opened_at is not None:
            # Opened: its caseloads are frozen and answers point at its items.
            self.fields["opens_on"].disabled = True
            field.disabled = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        opens, closes = data.get("opens_on"), data.get("closes_on")
        if opens and closes and closes < opens:
            self.add_error("closes_on", _("A wave cannot close before it opens."))
        if self.wave.opened_at is not None and closes and closes < self.today:
            self.add_error("closes_on", _("An open wave's closing day cannot be in the past."))
        return data


# --- helpers ------------------------------------------------------------------------------------------


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _post_only(request: HttpRequest) -> HttpResponse | None:
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])


def _base_url(request: HttpRequest) -> str:
    configured: str = getattr(settings, "JOBTRO_BASE_URL", "")
    return configured.rstrip("/") if configured else request.build_absolute_uri("/").rstrip("/")


STATUS_LABELS = {
    "planned": gettext_lazy("Planned"),
    "open": gettext_lazy("Open"),
    "closed": gettext_lazy("Closed"),
    "missed": gettext_lazy("Not opened"),
}


def wave_status(wave: Wave, today: date) -> str:
    if wave.opened_at is None:
        return "missed" if today > wave.closes_on else "planned"
    return "closed" if today > wave.closes_on else "open"


# --- the instrument -----------------------------------------------------------------------------------


@login_required
def instrument_detail(request: HttpRequest) -> HttpResponse:
    _require(access.can_edit_instrument(request.user))
    instrument = default_instrument_version().instrument
    items = Item.objects.order_by("position", "pk").annotate(n_answers=Count("answers"))
    versions = (
        instrument.versions.order_by("-number")
        .select_related("created_by")
        .prefetch_related(Prefetch("items", queryset=items), Prefetch("waves", queryset=Wave.objects.order_by("pk")))
    )
    return render(request, "measurement/instrument_detail.html", {"instrument": instrument, "versions": versions})


def _initial_items(version: InstrumentVersion) -> list[dict[str, Any]]:
    return [
        {**{name: getattr(item, name) for name in ITEM_FIELDS}, "options": options_text(item.options)}
        for item in version.items.order_by("position", "pk")
    ]


def _unchanged(version: InstrumentVersion, items: list[dict[str, Any]]) -> bool:
    current = {item.key: {name: getattr(item, name) for name in ITEM_FIELDS} for item in version.items.all()}
    return current == {item["key"]: item for item in items}


@login_required
def instrument_edit(request: HttpRequest) -> HttpResponse:
    _require(access.can_edit_instrument(request.user))
    latest = default_instrument_version()
    initial = _initial_items(latest)
    if request.method == "POST":
        formset = cast(BaseItemFormSet, ItemFormSet(request.POST, initial=initial, prefix="items"))
        note = VersionNoteForm(request.POST)
        if formset.is_valid() and note.is_valid():
            items = formset.items()
            if _unchanged(latest, items):
                messages.info(request, _("Nothing has changed, so no new version was saved."))
                return redirect("instrument_detail")
            assert isinstance(request.user, Staff)
            version = new_version(latest.instrument, items, note=note.cleaned_data["note"], by=request.user)
            messages.success(
                request,
                _("Version %(number)s is saved. Waves planned from now on use it; earlier answers keep their wording.")
                % {"number": version.number},
            )
            return redirect("instrument_detail")
    else:
        formset = cast(BaseItemFormSet, ItemFormSet(initial=initial, prefix="items"))
        note = VersionNoteForm()
    return render(
        request, "measurement/instrument_edit.html", {"latest": latest, "formset": formset, "note_form": note}
    )


# --- waves --------------------------------------------------------------------------------------------


@login_required
def waves_home(request: HttpRequest) -> HttpResponse:
    """The current project's waves (the menu's entry point)."""
    _require(access.can_plan_waves(request.user))
    project = current_project()
    if project is None:
        return render(request, "measurement/wave_list.html", {"project": None})
    return redirect("wave_list", project_id=project.pk)


def _wave_list(request: HttpRequest, project: Project, plan_form: PlanForm, status: int = 200) -> HttpResponse:
    today = timezone.localdate()
    waves = list(project.waves.select_related("instrument_version__instrument").order_by("number"))
    rates = invitations.response_rates([w for w in waves if w.opened_at is not None])
    rows = [
        {
            "wave": w,
            "status": wave_status(w, today),
            "status_label": STATUS_LABELS[wave_status(w, today)],
            "rate": rates[w.pk].total if w.pk in rates else None,
        }
        for w in waves
    ]
    return render(
        request,
        "measurement/wave_list.html",
        {"project": project, "rows": rows, "plan_form": plan_form, "newest": default_instrument_version()},
        status=status,
    )


@login_required
def wave_list(request: HttpRequest, project_id: int) -> HttpResponse:
    _require(access.can_plan_waves(request.user))
    project = get_object_or_404(Project, pk=project_id)
    return _wave_list(request, project, PlanForm())


@login_required
def wave_plan(request: HttpRequest, project_id: int) -> HttpResponse:
    _require(access.can_plan_waves(request.user))
    if (refused := _post_only(request)) is not None:
        return refused
    project = get_object_or_404(Project, pk=project_id)
    form = PlanForm(request.POST)
    if not form.is_valid():
        return _wave_list(request, project, form, status=400)
    before = project.waves.count()
    waves = plan_waves(
        project,
        every_months=form.cleaned_data["every_months"],
        open_days=form.cleaned_data["open_days"],
        reminder_days=form.cleaned_data["reminder_days"],
    )
    messages.success(
        request,
        _("%(new)s new waves planned; the project has %(total)s.") % {"new": len(waves) - before, "total": len(waves)},
    )
    return redirect("wave_list", project_id=project.pk)


@login_required
def wave_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(access.can_plan_waves(request.user))
    wave = get_object_or_404(Wave.objects.select_related("project", "instrument_version__instrument"), pk=pk)
    today = timezone.localdate()
    if wave_status(wave, today) == "closed":  # a wave never opened may still be moved to new dates
        messages.error(request, _("%(wave)s is over and can no longer be changed.") % {"wave": wave.name})
        return redirect("wave_list", project_id=wave.project_id)
    form = WaveForm(request.POST or None, wave=wave, today=today)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        update_wave(
            wave,
            opens_on=data["opens_on"],
            closes_on=data["closes_on"],
            reminder_days=data["reminder_days"],
            instrument_version=data["instrument_version"],
        )
        messages.success(request, _("%(wave)s is saved.") % {"wave": wave.name})
        return redirect("wave_list", project_id=wave.project_id)
    return render(request, "measurement/wave_edit.html", {"wave": wave, "form": form})


@login_required
def wave_open(request: HttpRequest, pk: int) -> HttpResponse:
    _require(access.can_plan_waves(request.user))
    if (refused := _post_only(request)) is not None:
        return refused
    wave = get_object_or_404(Wave.objects.select_related("project"), pk=pk)
    try:
        opened = invitations.open_and_invite(wave, base_url=_base_url(request))
    except invitations.WaveNotOpenable:
        messages.error(request, _("%(wave)s's closing day has passed: change its dates first.") % {"wave": wave.name})
        return redirect("wave_list", project_id=wave.project_id)
    sending = opened.sending
    messages.success(
        request,
        _(
            "%(wave)s is open: %(citizens)s citizens frozen in the caseloads of %(invited)s caseworkers; "
            "%(sent)s invitations sent now."
        )
        % {"wave": wave.name, "citizens": opened.frozen, "invited": opened.invited, "sent": sending.sent},
    )
    if sending.not_sendable:
        messages.warning(
            request,
            _("%(n)s caseworkers have no e-mail address or no active caseworker role and got no invitation.")
            % {"n": sending.not_sendable},
        )
    if sending.failed:
        messages.error(
            request,
            _("%(n)s invitations could not be sent (the mail server refused); they are retried automatically.")
            % {"n": sending.failed},
        )
    return redirect("wave_list", project_id=wave.project_id)


@login_required
def response_rates(request: HttpRequest, project_id: int) -> HttpResponse:
    _require(access.can_view_response_rates(request.user))
    project = get_object_or_404(Project, pk=project_id)
    today = timezone.localdate()
    waves = list(project.waves.filter(opened_at__isnull=False).order_by("-number"))
    rates = invitations.response_rates(waves)
    sections = [{"rates": rates[w.pk], "status_label": STATUS_LABELS[wave_status(w, today)], "wave": w} for w in waves]
    return render(
        request,
        "measurement/wave_response_rates.html",
        {"project": project, "sections": sections, "now": timezone.now()},
    )


# --- the caseworker's single-use link -----------------------------------------------------------------

LINK_STATUS = {
    invitations.LinkState.READY: 200,
    invitations.LinkState.USED: 410,
    invitations.LinkState.CLOSED: 410,
    invitations.LinkState.INVALID: 404,
}


@never_cache
def invitation_login(request: HttpRequest, token: str) -> HttpResponse:
    now = timezone.now()
    if request.method == "POST":
        link = invitations.redeem(token, now=now)
        if link.state == invitations.LinkState.READY and link.invitation is not None:
            login(request, link.invitation.caseworker, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(invitations.rating_url(link.invitation.wave))
    elif request.method in ("GET", "HEAD"):
        link = invitations.look_up(token, today=timezone.localdate(now))
        mine = link.invitation is not None and request.user.pk == link.invitation.caseworker_id
        if mine and link.state in (invitations.LinkState.READY, invitations.LinkState.USED) and link.invitation:
            # Already logged in as the link's caseworker: the link just leads on (and is not spent).
            return redirect(invitations.rating_url(link.invitation.wave))
    else:
        return HttpResponseNotAllowed(["GET", "POST"])
    wave = link.invitation.wave if link.invitation else None
    login_url = reverse("login")
    if wave is not None:
        login_url += "?" + urlencode({"next": invitations.rating_url(wave)})
    return render(
        request,
        "measurement/wave_link.html",
        {"state": link.state.value, "wave": wave, "login_url": login_url},
        status=LINK_STATUS[link.state],
    )
