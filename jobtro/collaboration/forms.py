"""Forms of the focus-area, initiative and experience-log pages (issue 6). Which municipalities, teams and
people a form offers comes from the view (jobtro.organisation.access); the forms check that the pieces
belong together (a team or owner of the chosen municipality, an initiative of the municipality)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from jobtro.collaboration.models import FocusArea, FocusAreaChoice, Initiative
from jobtro.organisation.models import Membership, Municipality, Project, Staff, Unit

MAX_ATTACHMENT_MB = 10


def in_danish() -> bool:
    return (get_language() or "da").startswith("da")


def focus_area_name(area: FocusArea) -> str:
    """The focus area's name in the UI language (Danish unless the user chose English)."""
    return area.name_da if in_danish() else (area.name_en or area.name_da)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d", attrs={"class": "form-input input-width-xs"})


class FocusAreaField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return focus_area_name(obj)


class LabelledChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A model choice whose options are labelled by ``labeller`` (set by the form)."""

    labeller: Callable[[Any], str] = str

    def label_from_instance(self, obj: Any) -> str:
        return self.labeller(obj)


class LabelledMultipleChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    labeller: Callable[[Any], str] = str

    def label_from_instance(self, obj: Any) -> str:
        return self.labeller(obj)


def _select() -> forms.Select:
    return forms.Select(attrs={"class": "form-select input-width-l"})


def _text(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"class": "form-input", "rows": rows})


def _set_queryset(form: forms.BaseForm, name: str, queryset: QuerySet[Any]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = queryset


class FocusAreaChoiceForm(forms.Form):
    """Start working on a focus area; optionally ending one the municipality works on (a switch)."""

    municipality = forms.ModelChoiceField(
        queryset=Municipality.objects.none(),
        to_field_name="code",
        empty_label=None,
        label=_("Municipality"),
        widget=_select(),
    )
    focus_area = FocusAreaField(
        queryset=FocusArea.objects.none(), empty_label=None, label=_("Focus area"), widget=_select()
    )
    start = forms.DateField(label=_("From"), widget=DateInput())
    replaces = LabelledChoiceField(
        queryset=FocusAreaChoice.objects.none(),
        required=False,
        label=_("Instead of (optional)"),
        help_text=_("A focus area the municipality works on now: it ends the day the new one starts."),
        widget=_select(),
    )
    builds_on = forms.ModelChoiceField(
        queryset=Municipality.objects.none(),
        to_field_name="code",
        required=False,
        label=_("Builds on the experience of (optional)"),
        widget=_select(),
    )
    note = forms.CharField(required=False, label=_("Note"), widget=_text())

    def __init__(self, project: Project, municipalities: QuerySet[Municipality], *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"start": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.project = project
        _set_queryset(self, "municipality", municipalities)
        _set_queryset(self, "focus_area", FocusArea.objects.filter(project=project))
        _set_queryset(self, "builds_on", project.municipalities.all().distinct())
        current = FocusAreaChoice.objects.filter(project=project, municipality__in=municipalities, end__isnull=True)
        _set_queryset(self, "replaces", current.select_related("municipality", "focus_area"))
        replaces = self.fields["replaces"]
        assert isinstance(replaces, LabelledChoiceField)
        replaces.labeller = lambda c: f"{c.municipality.name}: {focus_area_name(c.focus_area)}"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        municipality: Municipality | None = data.get("municipality")
        start: date | None = data.get("start")
        replaces: FocusAreaChoice | None = data.get("replaces")
        area: FocusArea | None = data.get("focus_area")
        if municipality is None or start is None:
            return data
        if replaces is not None:
            if replaces.municipality_id != municipality.pk:
                self.add_error("replaces", _("That focus area is another municipality's."))
            elif start <= replaces.start:
                self.add_error("start", _("The new focus area must start after the one it replaces began."))
        if data.get("builds_on") == municipality:
            self.add_error("builds_on", _("A municipality builds on another municipality's experience."))
        if area is not None and (replaces is None or replaces.focus_area_id != area.pk):
            running = FocusAreaChoice.objects.filter(
                project=self.project, municipality=municipality, focus_area=area, end__isnull=True
            )
            if running.exists():
                self.add_error("focus_area", _("The municipality already works on this focus area."))
        return data


class EndChoiceForm(forms.Form):
    end = forms.DateField(label=_("Until"), widget=DateInput())


class FocusAreaForm(forms.Form):
    """A researcher's new focus area, with sub-topics one per line in both languages."""

    name_da = forms.CharField(
        max_length=200, label=_("Name (Danish)"), widget=forms.TextInput(attrs={"class": "form-input"})
    )
    name_en = forms.CharField(
        max_length=200, label=_("Name (English)"), widget=forms.TextInput(attrs={"class": "form-input"})
    )
    description_da = forms.CharField(required=False, label=_("Description (Danish)"), widget=_text())
    description_en = forms.CharField(required=False, label=_("Description (English)"), widget=_text())
    subtopics_da = forms.CharField(
        required=False, label=_("Sub-topics (Danish)"), help_text=_("One per line."), widget=_text(5)
    )
    subtopics_en = forms.CharField(
        required=False,
        label=_("Sub-topics (English)"),
        help_text=_("One per line, in the same order as the Danish."),
        widget=_text(5),
    )

    def __init__(self, project: Project, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.project = project

    @staticmethod
    def _lines(text: str) -> list[str]:
        return [line.strip() for line in text.splitlines() if line.strip()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        da, en = self._lines(data.get("subtopics_da", "")), self._lines(data.get("subtopics_en", ""))
        if len(da) != len(en):
            message = _("Give as many English sub-topics as Danish ones (%(da)s Danish, %(en)s English).")
            self.add_error("subtopics_en", forms.ValidationError(message, params={"da": len(da), "en": len(en)}))
        data["subtopics"] = list(zip(da, en, strict=False))
        name = data.get("name_en") or data.get("name_da") or ""
        key = slugify(name)[:50] or "area"
        taken = set(FocusArea.objects.filter(project=self.project, key__startswith=key).values_list("key", flat=True))
        candidate, n = key, 2
        while candidate in taken:
            candidate, n = f"{key}-{n}", n + 1
        data["key"] = candidate
        if name and FocusArea.objects.filter(project=self.project, name_da__iexact=data.get("name_da", "")).exists():
            self.add_error("name_da", _("The project already has a focus area of that name."))
        return data


class InitiativeForm(forms.ModelForm):  # type: ignore[type-arg]
    """An initiative; the municipality is fixed once made, its teams and owner must be of it."""

    municipality = forms.ModelChoiceField(
        queryset=Municipality.objects.none(),
        to_field_name="code",
        empty_label=None,
        label=_("Municipality"),
        widget=_select(),
    )
    focus_area = FocusAreaField(
        queryset=FocusArea.objects.none(), empty_label=None, label=_("Focus area"), widget=_select()
    )
    owner = LabelledChoiceField(queryset=Staff.objects.none(), required=False, label=_("Owner"), widget=_select())
    teams = LabelledMultipleChoiceField(
        queryset=Unit.objects.none(), required=False, label=_("Teams"), widget=forms.CheckboxSelectMultiple()
    )

    class Meta:
        model = Initiative
        fields = [
            "municipality",
            "focus_area",
            "title",
            "what",
            "why",
            "owner",
            "teams",
            "start",
            "end",
            "status",
            "expected_change",
            "what_happened",
        ]
        widgets = {
            "title": forms.TextInput(attrs={"class": "form-input"}),
            "what": forms.Textarea(attrs={"class": "form-input", "rows": 4}),
            "why": forms.Textarea(attrs={"class": "form-input", "rows": 3}),
            "expected_change": forms.Textarea(attrs={"class": "form-input", "rows": 3}),
            "what_happened": forms.Textarea(attrs={"class": "form-input", "rows": 3}),
            "status": forms.Select(attrs={"class": "form-select"}),
        }

    def __init__(self, project: Project, municipalities: QuerySet[Municipality], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.project = project
        if self.instance.pk:
            municipalities = municipalities.filter(pk=self.instance.municipality_id)
            self.fields["municipality"].disabled = True
        else:
            self.fields["start"].initial = timezone.localdate()
        _set_queryset(self, "municipality", municipalities)
        _set_queryset(self, "focus_area", FocusArea.objects.filter(project=project))
        codes = list(municipalities.values_list("code", flat=True))
        staff_ids = Membership.objects.active().filter(municipality__code__in=codes).values("staff_id")
        _set_queryset(self, "owner", Staff.objects.filter(pk__in=staff_ids).order_by("first_name", "last_name"))
        _set_queryset(self, "teams", Unit.objects.filter(municipality__code__in=codes).select_related("municipality"))
        for name in ("start", "end"):
            self.fields[name].widget = DateInput()
        owner = self.fields["owner"]
        assert isinstance(owner, LabelledChoiceField)
        owner.labeller = lambda s: str(s.get_full_name() or s.username)
        teams = self.fields["teams"]
        assert isinstance(teams, LabelledMultipleChoiceField)
        if len(codes) > 1:
            teams.labeller = lambda u: f"{u.municipality.name}: {u.name}"
        else:
            teams.labeller = lambda u: str(u.name)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        municipality: Municipality | None = data.get("municipality")
        if municipality is None:
            return data
        if any(team.municipality_id != municipality.pk for team in data.get("teams") or []):
            self.add_error("teams", _("Choose teams of the initiative's municipality."))
        owner: Staff | None = data.get("owner")
        if (
            owner is not None
            and not Membership.objects.active().filter(staff=owner, municipality=municipality).exists()
        ):
            self.add_error("owner", _("The owner must work in the initiative's municipality."))
        start, end = data.get("start"), data.get("end")
        if start is not None and end is not None and end <= start:
            self.add_error("end", _("The end must come after the start."))
        return data


class ExperienceForm(forms.Form):
    """An entry in the municipality's experience log, about a focus area or one of its initiatives."""

    municipality = forms.ModelChoiceField(
        queryset=Municipality.objects.none(),
        to_field_name="code",
        empty_label=None,
        label=_("Municipality"),
        widget=_select(),
    )
    day = forms.DateField(label=_("Date"), widget=DateInput())
    focus_area = FocusAreaField(
        queryset=FocusArea.objects.none(), required=False, label=_("Focus area"), widget=_select()
    )
    initiative = forms.ModelChoiceField(
        queryset=Initiative.objects.none(), required=False, label=_("Initiative"), widget=_select()
    )
    text = forms.CharField(label=_("Experience"), widget=_text(6))
    attachment = forms.FileField(
        required=False,
        label=_("Attachment (optional)"),
        help_text=_("Up to 10 MB."),
    )

    def __init__(self, project: Project, municipalities: QuerySet[Municipality], *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"day": timezone.localdate()})
        super().__init__(*args, **kwargs)
        _set_queryset(self, "municipality", municipalities)
        _set_queryset(self, "focus_area", FocusArea.objects.filter(project=project))
        _set_queryset(
            self,
            "initiative",
            Initiative.objects.filter(project=project, municipality__in=municipalities).select_related("municipality"),
        )

    def clean_attachment(self) -> Any:
        upload = self.cleaned_data.get("attachment")
        if upload and upload.size > MAX_ATTACHMENT_MB * 1024 * 1024:
            raise forms.ValidationError(
                _("The file is larger than %(max)s MB."), params={"max": MAX_ATTACHMENT_MB}, code="size"
            )
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        initiative: Initiative | None = data.get("initiative")
        municipality: Municipality | None = data.get("municipality")
        if not data.get("focus_area") and initiative is None and not self.has_error("initiative"):
            self.add_error("focus_area", _("Choose the focus area or the initiative the experience is about."))
        if initiative is not None and municipality is not None and initiative.municipality_id != municipality.pk:
            self.add_error("initiative", _("Choose one of the municipality's own initiatives."))
        return data
