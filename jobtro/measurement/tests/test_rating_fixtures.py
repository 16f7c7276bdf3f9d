"""An open wave for the rating tests (no tests of its own).

The personas of jobtro.testing plus a wave that is open today: caseworker A's frozen caseload is Anna
and Bo, B's is Carl and Erik (Erik moved from A to B before the wave opened).
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jobtro.lib.municipalities import all_municipalities
from jobtro.measurement.actions import default_instrument_version, open_wave
from jobtro.measurement.models import Answer, Citizen, Item, Wave
from jobtro.organisation.models import Municipality, Project
from jobtro.testing import PersonaTestCase


def make_wave(project: Project, number: int, opens: date, closes: date, *, opened: bool = True) -> Wave:
    wave = Wave.objects.create(
        project=project,
        number=number,
        name=f"Måling {number + 1}",
        opens_on=opens,
        closes_on=closes,
        instrument_version=default_instrument_version(),
    )
    if opened:
        open_wave(wave)
        wave.refresh_from_db()
    return wave


def make_open_wave(project: Project, number: int = 5) -> Wave:
    today = timezone.localdate()
    return make_wave(project, number, today - timedelta(days=3), today + timedelta(days=10))


def items(wave: Wave) -> dict[str, Item]:
    return {item.key: item for item in Item.objects.filter(version_id=wave.instrument_version_id)}


def post_answer(
    client: Client,
    wave: Wave,
    item: Item,
    citizen: Citizen | None,
    value: int | str,
    *,
    request_id: uuid.UUID | str | None = None,
    htmx: bool = True,
) -> HttpResponse:
    data: dict[str, Any] = {"item": item.pk, "value": value, "request_id": str(request_id or uuid.uuid4())}
    if citizen is not None:
        data["citizen"] = citizen.pk
    headers = {"HX-Request": "true"} if htmx else {}
    response: HttpResponse = client.post(reverse("rate_answer", args=[wave.pk]), data, headers=headers)
    return response


def current(wave: Wave, item: Item, citizen: Citizen | None) -> Answer | None:
    """The answer in force: the latest received."""
    return Answer.objects.filter(wave=wave, item=item, citizen=citizen).order_by("-received_at", "-id").first()


def load_municipalities() -> None:
    """What migration organisation/0002 loads: a transactional test's flush removed them."""
    if Municipality.objects.exists():
        return
    Municipality.objects.bulk_create(
        Municipality(code=m.code, name=m.name, region_code=m.region_code, region=m.region) for m in all_municipalities()
    )


class RatingTestCase(PersonaTestCase):
    wave: Wave
    items: dict[str, Item]

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.wave = make_open_wave(cls.project)
        cls.items = items(cls.wave)

    def answer(self, citizen: Citizen | None, value: int | str, **kwargs: Any) -> HttpResponse:
        key = "specific_belief" if citizen is not None else kwargs.pop("key", "general_believes")
        return post_answer(self.client, kwargs.pop("wave", self.wave), self.items[key], citizen, value, **kwargs)
