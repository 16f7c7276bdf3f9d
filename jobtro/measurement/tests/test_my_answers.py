"""The caseworker's own view: their answers in force over the waves, per citizen and as a distribution
per wave with n; never a colleague's answers, and only caseworkers see it."""

from __future__ import annotations

import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from jobtro.audit.models import AuditEvent
from jobtro.measurement.actions import new_version
from jobtro.measurement.instrument_defaults import DEFAULT_ITEMS
from jobtro.measurement.models import CaseworkerAssignment, Wave
from jobtro.measurement.tests.test_rating_fixtures import RatingTestCase, items, make_wave, post_answer

NOT_CASEWORKERS = ["team_leader", "key_person", "data_manager_y", "researcher", "administrator", "outsider"]


def _rows(page: str, testid: str) -> list[list[str]]:
    """A table's body as text: one list of cells (row header first) per row."""
    table = page[page.index(f'data-testid="{testid}"') :]
    body = table[table.index("<tbody>") : table.index("</tbody>")]
    return [re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


class MyAnswersTest(RatingTestCase):
    earlier: Wave

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        today = timezone.localdate()
        # An earlier wave, on version 1 of the instrument; the current wave gets version 2, whose
        # labels are reworded: an old answer keeps the label it was given under.
        cls.earlier = make_wave(cls.project, 1, today - timedelta(days=10), today + timedelta(days=1))
        reworded = [dict(item) for item in DEFAULT_ITEMS]
        for item in reworded:
            if item["key"] == "specific_belief":
                item["options"] = [dict(o, label_da=o["label_da"] + " (v2)") for o in item["options"]]
        version = new_version(cls.wave.instrument_version.instrument, reworded, note="Ny ordlyd")
        Wave.objects.filter(pk=cls.wave.pk).update(instrument_version=version)
        cls.wave.refresh_from_db()
        cls.items = items(cls.wave)

    def page(self, persona: str = "caseworker_a") -> str:
        self.login(persona)
        response = self.client.get(reverse("my_answers"))
        self.assertEqual(response.status_code, 200)
        return response.content.decode()

    def _answer_both_waves(self) -> None:
        self.login("caseworker_a")
        old = items(self.earlier)
        post_answer(self.client, self.earlier, old["specific_belief"], self.citizen_a, 4)
        post_answer(self.client, self.earlier, old["specific_belief"], self.citizen_a2, 2)
        post_answer(self.client, self.earlier, old["specific_belief"], self.citizen_a2, 3)  # changed: 3 is in force
        post_answer(self.client, self.earlier, old["general_believes"], None, 1)
        self.answer(self.citizen_a, 5)
        self.answer(self.citizen_a2, "dk")
        self.answer(None, 0)
        self.answer(None, 45, key="general_share")
        self.client.logout()
        self.login("caseworker_b")
        self.answer(self.citizen_b, 1)
        self.answer(None, 1)
        self.client.logout()

    def test_it_shows_own_answers_per_citizen_and_wave_with_the_labels_they_had(self) -> None:
        self._answer_both_waves()
        rows = _rows(self.page(), "own-per-citizen")
        self.assertEqual(
            rows,
            [
                ["Anna Andersen", "Ja, sandsynligvis", "Ja, helt sikkert (v2)"],
                ["Bo Berg", "Måske", "Ved ikke"],
            ],
        )

    def test_it_shows_the_distribution_per_wave_with_n(self) -> None:
        self._answer_both_waves()
        page = self.page()
        header = page[page.index('data-testid="own-distribution"') :]
        header = header[: header.index("</thead>")]
        self.assertEqual(
            re.findall(r"<th[^>]*>([^<]*)</th>", header),
            ["Måling", "Ja, helt sikkert (v2)", "Ja, sandsynligvis (v2)", "Måske (v2)",
             "Nej, sandsynligvis ikke (v2)", "Nej, helt sikkert ikke (v2)", "Ved ikke", "n"],
        )  # fmt: skip
        self.assertEqual(
            _rows(page, "own-distribution"),
            [
                [self.earlier.name, "0", "1", "1", "0", "0", "0", "2"],
                [self.wave.name, "1", "0", "0", "0", "0", "1", "2"],
            ],
        )

    def test_it_shows_the_general_answers_per_wave(self) -> None:
        self._answer_both_waves()
        self.assertEqual(
            _rows(self.page(), "own-general"),
            [[self.earlier.name, "Ja", "–"], [self.wave.name, "Nej", "45 %"]],
        )

    def test_it_shows_only_the_caseworkers_own_answers(self) -> None:
        self._answer_both_waves()
        page_a = self.page()
        self.assertNotIn("Carl Clausen", page_a)
        self.assertNotIn("Caseworker_B", page_a.split('<main id="main-content"')[1])
        page_b = self.page("caseworker_b")
        self.assertEqual(_rows(page_b, "own-per-citizen"), [["Carl Clausen", "Nej, helt sikkert ikke (v2)"]])
        self.assertNotIn("Anna Andersen", page_b)
        self.assertEqual(_rows(page_b, "own-distribution"), [[self.wave.name, "0", "0", "0", "0", "1", "0", "1"]])

    def test_it_names_a_citizen_who_has_moved_on_only_as_a_former_citizen(self) -> None:
        self._answer_both_waves()
        today = timezone.localdate()
        CaseworkerAssignment.objects.filter(citizen=self.citizen_a2, end__isnull=True).update(end=today)
        CaseworkerAssignment.objects.create(
            citizen=self.citizen_a2, caseworker=self.personas["caseworker_b"], start=today
        )
        page = self.page()
        self.assertNotIn("Bo Berg", page)
        self.assertIn(["Tidligere borger 1", "Måske", "Ved ikke"], _rows(page, "own-per-citizen"))

    def test_it_logs_the_names_it_shows(self) -> None:
        self._answer_both_waves()
        before = AuditEvent.objects.filter(action=AuditEvent.Action.READ, detail__purpose="own answers").count()
        self.page()
        after = AuditEvent.objects.filter(action=AuditEvent.Action.READ, detail__purpose="own answers")
        self.assertEqual(after.count() - before, 2)

    def test_it_links_to_the_open_waves_and_says_when_nothing_is_answered(self) -> None:
        page = self.page()
        self.assertIn("Du har ikke besvaret nogen målinger endnu.", page)
        self.assertIn(reverse("rate_wave", args=[self.wave.pk]), page)

    def test_it_refuses_everyone_but_caseworkers(self) -> None:
        for persona in NOT_CASEWORKERS:
            self.client.logout()
            self.login(persona)
            self.assertEqual(self.client.get(reverse("my_answers")).status_code, 403, persona)
