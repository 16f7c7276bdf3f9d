"""Forms of the researchers' activity pages (issue 6, point 4): adding and editing an activity, inviting
people and recording attendance and km, and the expert talks. Which municipalities and people a form offers
comes from the view; writes go through jobtro.collaboration.actions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from jobtro.collaboration import actions
from jobtro.collaboration.models import Activity, ExpertTalk
from jobtro.organisation.models import Municipality

CENTRE = "centre"  # the invite value's prefix for someone from the research centre (no municipality)


def _select() -> forms.Select:
    return forms.Select(attrs={"class": "form-select input-width-l"})


def _input(width: str = "input-width-l") -> forms.TextInput:
    return forms.TextInput(attrs={"class": f"form-input {width}"})


def _text(rows: int = 4) -> forms.Textarea:
    return forms.Textarea(attrs={"class": "form-input", "rows": rows})


def _time() -> forms.TimeInput:
    return forms.TimeInput(format="%H:%M", attrs={"type": "time", "class": "form-input input-width-xs"})


class ActivityForm(forms.ModelForm):  # type: ignore[type-arg]
    """An activity's fields; ``editing`` adds the minutes and cancelled. ``municipalities`` are those the
    activity can belong to or be held in (the project's)."""

    class Meta:
        model = Activity
        fields = actions.ACTIVITY_FIELDS
        widgets = {
            "kind": _select(),
            "format": _select(),
            "municipality": _select(),
            "title": _input(),
            "day": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", "class": "form-input input-width-xs"}),
            "starts": _time(),
            "ends": _time(),
            "venue": _select(),
            "venue_municipality": _select(),
            "address": _input(),
            "agenda": _text(),
        }
        help_texts = {
            "municipality": _("Empty for a cross-municipal activity."),
            "title": _(
                "For a research visit by agreement, say what it is: observation, interview, taking part in a "
                "meeting or sparring."
            ),
            "day": _("A working day: no weekends or public holidays."),
        }
        labels = {"venue_municipality": _("Venue municipality")}

    def __init__(self, *args: Any, municipalities: QuerySet[Municipality], editing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name in ("municipality", "venue_municipality"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = municipalities
        if editing:
            self.fields["minutes"] = forms.CharField(label=_("Minutes"), required=False, widget=_text(8))
            self.fields["cancelled"] = forms.BooleanField(
                label=_("Cancelled"),
                required=False,
                help_text=_("The meeting stays in the plan and in subscribed calendars, marked as cancelled."),
                widget=forms.CheckboxInput(attrs={"class": "form-checkbox"}),
            )
            self.initial.setdefault("minutes", self.instance.minutes)
            self.initial.setdefault("cancelled", self.instance.cancelled)

    def clean_day(self) -> Any:
        day = self.cleaned_data["day"]
        if self.instance.pk is None or day != self.instance.day:
            actions.check_working_day(day)
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts"), data.get("ends")
        if starts and ends and ends <= starts:
            self.add_error("ends", _("The activity must end after it starts."))
        if data.get("venue") == Activity.Venue.MUNICIPALITY and not data.get("venue_municipality"):
            self.add_error("venue_municipality", _("Choose the municipality the activity is held in."))
        return data

    def _post_clean(self) -> None:
        # The instance is changed only by the actions (which audit and bump the sequence), never by the form.
        pass


class InviteForm(forms.Form):
    """Who is invited: checkboxes grouped by municipality (and the research centre). A value is
    ``<municipality code>:<staff id>`` (``centre:<staff id>`` for a researcher), so the municipality a
    person represents is recorded with the invitation."""

    invited = forms.MultipleChoiceField(
        label=_("Invited"), required=False, widget=forms.CheckboxSelectMultiple(attrs={"class": "form-checkbox"})
    )

    def __init__(self, *args: Any, groups: list[tuple[str, list[tuple[str, str]]]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["invited"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = groups


ATTENDED_CHOICES = [("", _("not recorded")), ("yes", _("yes")), ("no", _("no"))]


class AttendanceForm(forms.Form):
    participant = forms.IntegerField(widget=forms.HiddenInput)
    attended = forms.TypedChoiceField(
        label=_("Attended"),
        choices=ATTENDED_CHOICES,
        required=False,
        coerce=lambda v: v == "yes",
        empty_value=None,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    km = forms.DecimalField(
        label=_("Transport (km)"),
        min_value=Decimal(0),
        max_digits=7,
        decimal_places=1,
        initial=Decimal(0),
        widget=forms.NumberInput(attrs={"class": "form-input input-width-xs", "step": "0.1", "min": "0"}),
    )


AttendanceFormSet = forms.formset_factory(AttendanceForm, extra=0)


class TalkForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = ExpertTalk
        fields = ("expert", "organisation", "topic")
        widgets = {"expert": _input(), "organisation": _input(), "topic": _input()}
