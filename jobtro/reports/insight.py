"""The insight pages as one main-menu item: which of them a person may open (each asks the access
module), the index page that lists them, and the sub-navigation between them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jobtro.organisation import access


@dataclass(frozen=True)
class Section:
    url_name: str
    title: str | Promise
    description: str | Promise
    allowed: Callable[[access.AnyUser], bool]


SECTIONS: tuple[Section, ...] = (
    Section(
        "insight:feedback",
        _("My expectation feedback"),
        _("How often the citizens you rated at each belief level got a job or education."),
        access.can_view_own_feedback,
    ),
    Section(
        "insight:bip",
        _("Belief and jobs"),
        _("The BIP analysis on the project's own data: hazard ratios with confidence intervals, and what they mean."),
        access.can_view_bip,
    ),
    Section(
        "insight:belief",
        _("Has belief moved?"),
        _("Belief over the waves per municipality, team and focus area, and the estimated effect of the focus areas."),
        access.can_view_belief_trends,
    ),
    Section(
        "insight:drivers",
        _("What shapes belief?"),
        _("How the caseworkers' belief goes together with the staff questionnaire's factors."),
        access.can_view_drivers,
    ),
    Section(
        "insight:calibration",
        _("Calibration"),
        _("How well the belief forecasts who gets a job or education: calibration curves and Brier scores."),
        access.can_view_calibration,
    ),
    Section(
        "insight:packs",
        _("Meeting packs"),
        _("PDF packs for local and cross-municipal meetings, and the final report."),
        access.can_view_meeting_packs,
    ),
    Section(
        "insight:analyses",
        _("Stored analyses"),
        _("Every analysis with its data fingerprint, state and progress; run again when data have changed."),
        access.can_view_analyses,
    ),
)


def sections_for(user: access.AnyUser) -> list[Section]:
    return [s for s in SECTIONS if s.allowed(user)]


@login_required
def index(request: HttpRequest) -> HttpResponse:
    sections = sections_for(request.user)
    if not sections:
        raise PermissionDenied
    return render(request, "reports/insight/index.html", {"sections": sections})
