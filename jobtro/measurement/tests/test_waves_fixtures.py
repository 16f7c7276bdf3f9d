"""Shared set-up for the wave, invitation and instrument tests: the personas with e-mail addresses,
waves placed around today, answers, and a URL configuration that is sure to have a ``rate_wave``
page (the rating page is another part of the barometer; these tests assert only where links lead).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import date, timedelta

from django.core import mail
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone

from jobtro import urls as project_urls
from jobtro.measurement import invitations
from jobtro.measurement.actions import default_instrument_version, record_answer
from jobtro.measurement.models import Citizen, Item, Wave
from jobtro.organisation.models import Staff
from jobtro.testing import PersonaTestCase

BASE_URL = "http://testserver"
LINK = re.compile(r"http://testserver/r/([A-Za-z0-9_-]+)/")


def _rating_page_stand_in(request: HttpRequest, wave_id: int) -> HttpResponse:
    return HttpResponse(f"rating page for wave {wave_id}")


# The stand-in comes first: reverse() takes the last pattern of a name, so the real page wins if present.
urlpatterns = [path("stand-in/waves/<int:wave_id>/rate/", _rating_page_stand_in, name="rate_wave")]
urlpatterns += project_urls.urlpatterns
URLCONF = __name__


def tokens(messages: list[mail.EmailMessage] | None = None) -> list[str]:
    """The single-use tokens in the given e-mails (default: all sent so far), in order."""
    found = []
    for message in messages if messages is not None else mail.outbox:
        assert isinstance(message.body, str)
        found += LINK.findall(message.body)
    return found


class WaveTestCase(PersonaTestCase):
    """Personas whose caseworkers have e-mail addresses, and helpers for waves around today."""

    caseworker_a: Staff
    caseworker_b: Staff

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        for staff in (cls.personas["caseworker_a"], cls.personas["caseworker_b"], cls.caseworker_y):
            staff.email = f"{staff.username}@example.dk"
            staff.save()
        cls.caseworker_a = cls.personas["caseworker_a"]
        cls.caseworker_b = cls.personas["caseworker_b"]

    @property
    def today(self) -> date:
        return timezone.localdate()

    def make_wave(
        self, *, opens_in: int = -3, closes_in: int = 10, reminder_days: list[int] | None = None, number: int = 1
    ) -> Wave:
        return Wave.objects.create(
            project=self.project,
            number=number,
            name=f"Måling {number + 1}",
            opens_on=self.today + timedelta(days=opens_in),
            closes_on=self.today + timedelta(days=closes_in),
            instrument_version=default_instrument_version(),
            reminder_days=[7, 2] if reminder_days is None else reminder_days,
        )

    def open_now(self, wave: Wave) -> invitations.OpenReport:
        report = invitations.open_and_invite(wave, base_url=BASE_URL)
        wave.refresh_from_db()
        return report

    def answer(
        self,
        wave: Wave,
        caseworker: Staff,
        *,
        citizens: Sequence[Citizen] = (),
        general: bool = True,
        value: int = 4,
        dont_know: bool = False,
    ) -> None:
        """Answer the specific item for each citizen given and, if ``general``, the general items."""
        for item in Item.objects.filter(version=wave.instrument_version):
            if item.scope == Item.Scope.GENERAL and general:
                answer_value = 50 if item.kind == Item.Kind.PERCENT else 1
                record_answer(
                    wave=wave,
                    item=item,
                    caseworker=caseworker,
                    citizen=None,
                    value=answer_value,
                    request_id=uuid.uuid4(),
                )
            if item.scope == Item.Scope.SPECIFIC:
                for citizen in citizens:
                    record_answer(
                        wave=wave,
                        item=item,
                        caseworker=caseworker,
                        citizen=citizen,
                        value=None if dont_know else value,
                        dont_know=dont_know,
                        request_id=uuid.uuid4(),
                    )
