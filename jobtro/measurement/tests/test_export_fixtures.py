"""Answers to export, shared by the export tests (no tests of its own).

Two waves: the baseline on instrument version 1 and wave 1 on version 2, whose specific item has new
wording. Answers include superseded ones (stored out of order, so the latest *received* must win, not
the latest stored), "Ved ikke" before and after a value, and a citizen nobody rated.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from django.test import override_settings

from jobtro.measurement.actions import default_instrument_version, new_version, open_wave, plan_waves, record_answer
from jobtro.measurement.instrument_defaults import DEFAULT_ITEMS
from jobtro.measurement.models import Citizen, Item, Wave
from jobtro.organisation.models import Staff
from jobtro.testing import PersonaTestCase

fast_passwords = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])

V2_WORDING = "Tror du, at borgeren kommer i arbejde eller uddannelse inden for 12 måneder?"
# Everything that must never leave in an export: the personas' citizens' CPR numbers (with and
# without the hyphen) and names, and the staff's names and user names.
CITIZEN_SECRETS = [
    "0101901235", "010190-1235", "0202851236", "020285-1236", "0303801237", "030380-1237",
    "0404751238", "040475-1238", "0505701239", "050570-1239",
    "Anna Andersen", "Andersen", "Bo Berg", "Carl Clausen", "Clausen", "Dorte Dahl", "Erik Eriksen", "Eriksen",
]  # fmt: skip
STAFF_SECRETS = ["caseworker_a", "caseworker_b", "caseworker_y", "Caseworker_A", "Caseworker_B", "Caseworker_Y"]


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=UTC)


@fast_passwords
class ExportFixture(PersonaTestCase):
    wave0: Wave
    wave1: Wave
    a: Staff
    b: Staff

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        v1 = default_instrument_version()
        items_v2 = [dict(item) for item in DEFAULT_ITEMS]
        for item in items_v2:
            if item["key"] == "specific_belief":
                item["text_da"] = V2_WORDING
        v2 = new_version(v1.instrument, items_v2, note="Ny ordlyd")
        waves = plan_waves(cls.project, version=v1)
        cls.wave0, cls.wave1 = waves[0], waves[1]
        cls.wave1.instrument_version = v2
        cls.wave1.save()
        open_wave(cls.wave0, now=at(1, 6, 7))
        open_wave(cls.wave1, now=at(4, 6, 7))
        cls.wave0.refresh_from_db()
        cls.wave1.refresh_from_db()
        cls.a, cls.b = cls.personas["caseworker_a"], cls.personas["caseworker_b"]

        w0 = cls.wave0
        # A's citizen: 4 received on the 8th is stored *before* 2 received on the 7th; 4 is in force.
        cls.answer(w0, "specific_belief", cls.a, cls.citizen_a, 4, when=at(1, 8))
        cls.answer(w0, "specific_belief", cls.a, cls.citizen_a, 2, when=at(1, 7))
        # A's second citizen: a value, then "Ved ikke": "Ved ikke" is in force.
        cls.answer(w0, "specific_belief", cls.a, cls.citizen_a2, 3, when=at(1, 7, 9, 5))
        cls.answer(w0, "specific_belief", cls.a, cls.citizen_a2, None, when=at(1, 9))
        # B's citizen: "Ved ikke", then 5: 5 is in force.
        cls.answer(w0, "specific_belief", cls.b, cls.citizen_b, None, when=at(1, 6, 12))
        cls.answer(w0, "specific_belief", cls.b, cls.citizen_b, 5, when=at(1, 7))
        # The citizen in Y is in a frozen caseload but nobody rated them.
        cls.answer(w0, "general_believes", cls.a, None, 1, when=at(1, 7))
        cls.answer(w0, "general_share", cls.a, None, 40, when=at(1, 7))
        cls.answer(w0, "general_share", cls.a, None, 60, when=at(1, 10, 14, 30))
        cls.answer(w0, "general_believes", cls.b, None, 0, when=at(1, 7))
        # Wave 1 asks the specific item with version 2's wording.
        cls.answer(cls.wave1, "specific_belief", cls.a, cls.citizen_a, 5, when=at(4, 7))

    @classmethod
    def answer(
        cls, wave: Wave, key: str, caseworker: Staff, citizen: Citizen | None, value: int | None, *, when: datetime
    ) -> None:
        item = Item.objects.get(version=wave.instrument_version, key=key)
        record_answer(
            wave=wave,
            item=item,
            caseworker=caseworker,
            citizen=citizen,
            value=value,
            dont_know=value is None,
            request_id=uuid.uuid4(),
            now=when,
        )
