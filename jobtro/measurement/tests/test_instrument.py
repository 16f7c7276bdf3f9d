"""The versioned instrument: the page listing its versions, the edit that saves a new version, and the
promise that an edit never changes what a past answer meant."""

from __future__ import annotations

import uuid
from typing import Any

from django.test import override_settings
from django.urls import reverse

from jobtro.audit.models import AuditEvent
from jobtro.measurement.actions import default_instrument_version, plan_waves, record_answer
from jobtro.measurement.instrument_defaults import DEFAULT_ITEMS
from jobtro.measurement.models import Answer, InstrumentVersion, Item
from jobtro.measurement.tests.test_waves_fixtures import URLCONF, WaveTestCase

NOT_RESEARCHERS = ["caseworker_a", "team_leader", "key_person", "data_manager_y", "administrator", "outsider"]
SPECIFIC = 2  # the specific-belief item's row in the edit form (items are in position order)


@override_settings(ROOT_URLCONF=URLCONF)
class InstrumentTest(WaveTestCase):
    def setUp(self) -> None:
        self.v1 = default_instrument_version()
        self.url = reverse("instrument_edit")

    def _form(
        self,
        changes: dict[int, dict[str, Any]] | None = None,
        *,
        new: dict[str, Any] | None = None,
        delete: frozenset[int] = frozenset(),
        note: str = "Ny ordlyd efter pilottest",
    ) -> dict[str, Any]:
        """The edit form as a browser would post it: the current items, with changes."""
        self.login("researcher")
        formset = self.client.get(self.url).context["formset"]
        n = formset.initial_form_count()
        data: dict[str, Any] = {
            "items-TOTAL_FORMS": n + 1,
            "items-INITIAL_FORMS": n,
            "items-MIN_NUM_FORMS": 0,
            "items-MAX_NUM_FORMS": 1000,
            "note": note,
        }
        for i, form in enumerate(formset.forms[:n]):
            for name in ("position", "text_da", "text_en", "options"):
                data[f"items-{i}-{name}"] = form.initial[name]
            for name, value in (changes or {}).get(i, {}).items():
                data[f"items-{i}-{name}"] = value
            if i in delete:
                data[f"items-{i}-DELETE"] = "on"
        for name, value in (new or {}).items():
            data[f"items-{n}-{name}"] = value
        return data

    def _latest(self) -> InstrumentVersion:
        version = self.v1.instrument.latest_version()
        assert version is not None
        return version

    def test_it_lists_each_version_with_its_wording_in_both_languages_and_its_options(self) -> None:
        self.login("researcher")
        response = self.client.get(reverse("instrument_detail"))
        self.assertContains(response, "Version 1")
        self.assertContains(response, "Tror du, at borgeren kommer i job eller uddannelse inden for det næste år?")
        self.assertContains(response, "Do you believe the citizen will get a job or start an education")
        self.assertContains(response, "Ja, helt sikkert")
        self.assertContains(response, "Yes, certainly")
        self.assertContains(response, "ved ikke")
        self.assertContains(response, "general_share")

    def test_it_saves_an_edit_as_a_new_version_and_leaves_the_old_one_alone(self) -> None:
        old = {i.key: (i.text_da, i.options) for i in self.v1.items.all()}
        before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        data = self._form({SPECIFIC: {"text_da": "Kommer borgeren i job eller uddannelse inden for et år?"}})
        response = self.client.post(self.url, data)
        self.assertRedirects(response, reverse("instrument_detail"), fetch_redirect_response=False)

        v2 = self._latest()
        self.assertEqual(v2.number, 2)
        self.assertEqual(v2.note, "Ny ordlyd efter pilottest")
        self.assertEqual(v2.created_by, self.personas["researcher"])
        self.assertEqual(
            v2.items.get(key="specific_belief").text_da, "Kommer borgeren i job eller uddannelse inden for et år?"
        )
        self.assertEqual(v2.items.get(key="specific_belief").options, old["specific_belief"][1])
        self.assertEqual({i.key: (i.text_da, i.options) for i in self.v1.items.all()}, old)

        created = AuditEvent.objects.filter(id__gt=before, action="create")
        self.assertEqual(created.filter(object_type="measurement.InstrumentVersion").count(), 1)
        self.assertEqual(created.filter(object_type="measurement.Item").count(), len(DEFAULT_ITEMS))
        self.assertEqual(set(created.values_list("actor_label", flat=True)), {"researcher"})

    def test_it_leaves_an_old_answers_meaning_intact_after_an_edit(self) -> None:
        wave = self.make_wave()
        self.open_now(wave)
        specific = self.v1.items.get(key="specific_belief")
        record_answer(
            wave=wave,
            item=specific,
            caseworker=self.caseworker_a,
            citizen=self.citizen_a,
            value=5,
            request_id=uuid.uuid4(),
        )
        relabelled = "5 | Ja, med sikkerhed | Yes, surely\n4 | Ja, nok | Yes, likely\n3 | Måske | Maybe\n1 | Nej | No"
        data = self._form(
            {SPECIFIC: {"text_da": "Kommer borgeren i arbejde inden for et år?", "options": relabelled}},
        )
        self.client.post(self.url, data)
        v2 = self._latest()
        self.assertEqual(v2.number, 2)

        answer = Answer.objects.select_related("item__version").get()
        self.assertEqual(answer.item.version, self.v1)
        self.assertEqual(
            answer.item.text_da, "Tror du, at borgeren kommer i job eller uddannelse inden for det næste år?"
        )
        label = {o["value"]: o["label_da"] for o in answer.item.options}[answer.value]
        self.assertEqual(label, "Ja, helt sikkert")
        wave.refresh_from_db()
        self.assertEqual(wave.instrument_version, self.v1)  # the open wave keeps its version

        # The page shows each version with its own wording, the answer counted under version 1.
        page = self.client.get(reverse("instrument_detail")).content.decode()
        v1_section = page[page.index('data-testid="version-1"') :]
        v2_section = page[page.index('data-testid="version-2"') : page.index('data-testid="version-1"')]
        self.assertIn("Ja, helt sikkert", v1_section)
        self.assertIn('class="num">1</td>', v1_section)
        self.assertIn("Kommer borgeren i arbejde inden for et år?", v2_section)
        self.assertIn("Ja, med sikkerhed", v2_section)
        self.assertNotIn("Ja, helt sikkert", v2_section)

        # Waves planned from now on use the new version.
        planned = plan_waves(self.project)
        self.assertTrue(all(w.instrument_version == v2 for w in planned if w.pk != wave.pk))

    def test_it_saves_no_version_when_nothing_changed(self) -> None:
        response = self.client.post(self.url, self._form(), follow=True)
        self.assertContains(response, "Intet er ændret")
        self.assertEqual(self._latest(), self.v1)

    def test_it_names_bad_input_and_saves_nothing(self) -> None:
        cases = [
            ({SPECIFIC: {"options": "5 | Ja"}}, None, "Linje 1: skriv værdi | dansk tekst | engelsk tekst"),
            (
                {SPECIFIC: {"options": "5 | Ja | Yes\nfem | Nej | No"}},
                None,
                "Linje 2: værdien fem er ikke et helt tal.",
            ),
            ({SPECIFIC: {"options": "5 | Ja | Yes\n5 | Nej | No"}}, None, "Værdien 5 står der to gange."),
            ({SPECIFIC: {"options": "5 | Ja | Yes"}}, None, "Denne svartype skal have mindst to svarmuligheder."),
            ({1: {"options": "1 | Ja | Yes\n0 | Nej | No"}}, None, "En procentandel har ingen svarmuligheder"),
            (  # a new staff questionnaire item: an agreement item is a choice among its options too
                None,
                {
                    "key": "market_new",
                    "scope": "staff",
                    "kind": "agree5",
                    "position": 40,
                    "text_da": "x",
                    "text_en": "x",
                },
                "Denne svartype skal have mindst to svarmuligheder.",
            ),
            ({SPECIFIC: {"text_da": ""}}, None, "Dette felt er påkrævet."),
            (
                None,
                {
                    "key": "general_share",
                    "scope": "general",
                    "kind": "percent",
                    "position": 4,
                    "text_da": "x",
                    "text_en": "x",
                },
                "Hvert spørgsmål skal have sit eget variabelnavn: general_share",
            ),
        ]
        for changes, new, message in cases:
            response = self.client.post(self.url, self._form(changes, new=new))
            self.assertContains(response, message, msg_prefix=message)
        data = self._form(delete=frozenset(range(len(DEFAULT_ITEMS))))
        self.assertContains(self.client.post(self.url, data), "Spørgeskemaet skal have mindst ét spørgsmål.")
        self.assertEqual(self._latest(), self.v1)
        self.assertEqual(InstrumentVersion.objects.count(), 1)

    def test_it_keeps_the_name_scope_and_answer_type_of_an_existing_item(self) -> None:
        data = self._form({SPECIFIC: {"key": "renamed", "kind": "percent", "scope": "general", "text_en": "Edited"}})
        self.client.post(self.url, data)
        item = self._latest().items.get(text_en="Edited")
        self.assertEqual((item.key, item.kind, item.scope), ("specific_belief", "scale", "specific"))

    def test_it_adds_and_removes_items(self) -> None:
        new = {
            "key": "job_search",
            "scope": "specific",
            "kind": "yes_no",
            "position": 4,
            "text_da": "Søger borgeren aktivt job?",
            "text_en": "Is the citizen actively looking for a job?",
            "options": "1 | Ja | Yes\n0 | Nej | No",
        }
        self.client.post(self.url, self._form(new=new, delete=frozenset({1})))
        v2 = self._latest()
        self.assertEqual(
            list(v2.items.exclude(scope="staff").order_by("position").values_list("key", flat=True)),
            ["general_believes", "specific_belief", "job_search"],
        )
        self.assertEqual(v2.items.get(key="job_search").options[1], {"value": 0, "label_da": "Nej", "label_en": "No"})
        self.assertEqual(self.v1.items.count(), len(DEFAULT_ITEMS))

    def test_it_lets_only_researchers_see_or_edit_the_instrument(self) -> None:
        data = self._form({SPECIFIC: {"text_da": "Ændret"}})
        for persona in NOT_RESEARCHERS:
            self.login(persona)
            self.assertEqual(self.client.get(reverse("instrument_detail")).status_code, 403, persona)
            self.assertEqual(self.client.post(self.url, data).status_code, 403, persona)
        self.assertEqual(InstrumentVersion.objects.count(), 1)
        self.assertFalse(Item.objects.filter(text_da="Ændret").exists())
