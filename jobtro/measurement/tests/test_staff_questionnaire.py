"""The staff questionnaire (issue 7, point 4): its default item bank in the versioned instrument, its
answers through the rating page's idempotent endpoint, the caseworker's own view of them, and the
migration that adds it to an installation whose instrument predates it."""

from __future__ import annotations

import importlib
import uuid
from datetime import datetime, time, timedelta

from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from jobtro.measurement.actions import AnswerRejected, default_instrument_version, new_version, record_answer
from jobtro.measurement.instrument_defaults import (
    DEFAULT_INSTRUMENT_NAME,
    DEFAULT_ITEMS,
    STAFF_ITEMS,
    THEMES,
    theme_of,
)
from jobtro.measurement.models import Answer, Instrument, Item, Wave
from jobtro.measurement.tests.test_rating_fixtures import RatingTestCase, post_answer
from jobtro.testing import PersonaTestCase

MIGRATION = importlib.import_module("jobtro.measurement.migrations.0005_staff_questionnaire")


class ItemBankTest(PersonaTestCase):
    def test_it_covers_every_theme_with_two_or_three_agreement_items_in_both_languages(self) -> None:
        version = default_instrument_version()
        staff = list(version.items.filter(scope=Item.Scope.STAFF))
        themes = [theme_of(i.key) for i in staff if i.kind == Item.Kind.AGREE5]
        for theme in THEMES:
            self.assertIn(themes.count(theme), (2, 3), theme)
        for item in staff:
            self.assertTrue(item.text_da and item.text_en and item.text_da != item.text_en)
        agree = next(i for i in staff if i.kind == Item.Kind.AGREE5)
        self.assertEqual([o["value"] for o in agree.options], [5, 4, 3, 2, 1])
        self.assertEqual(agree.options[0]["label_da"], "Helt enig")
        self.assertEqual(agree.options[-1]["label_en"], "Strongly disagree")
        self.assertTrue(agree.has_dont_know)
        background = {i.key: i for i in staff if theme_of(i.key) is None}
        self.assertEqual(set(background), {"bg_years", "bg_education"})
        self.assertFalse(background["bg_education"].has_dont_know)
        self.assertIn("Socialrådgiver", [o["label_da"] for o in background["bg_education"].options])

    def test_it_creates_the_default_version_once(self) -> None:
        first = default_instrument_version()
        second = default_instrument_version()
        self.assertEqual(first.pk, second.pk)
        self.assertEqual(Instrument.objects.filter(name=DEFAULT_INSTRUMENT_NAME).count(), 1)
        self.assertEqual(first.items.count(), len(DEFAULT_ITEMS))

    def test_a_theme_is_the_prefix_of_the_variable_name(self) -> None:
        self.assertEqual(theme_of("colleagues_sparring"), "colleagues")
        self.assertEqual(theme_of("market_new_item"), "market")  # a researcher's own item joins its theme
        self.assertIsNone(theme_of("bg_years"))
        self.assertIsNone(theme_of("ownership"))  # a prefix is a whole word

    def test_the_instrument_editor_keeps_the_new_kinds(self) -> None:
        default_instrument_version()
        self.login("researcher")
        page = self.client.get(reverse("instrument_edit")).content.decode()
        self.assertIn("Helt enig", page)
        self.assertIn('value="agree5"', page)
        self.assertIn('value="staff"', page)


class StaffAnswerTest(RatingTestCase):
    def test_it_takes_dont_know_on_agreement_items_only(self) -> None:
        caseworker = self.personas["caseworker_a"]
        agree = self.items["colleagues_sparring"]
        saved = record_answer(
            wave=self.wave, item=agree, caseworker=caseworker, citizen=None, value=None, dont_know=True,
            request_id=uuid.uuid4(),
        )  # fmt: skip
        self.assertTrue(saved.answer.dont_know)
        with self.assertRaises(AnswerRejected):
            record_answer(
                wave=self.wave, item=self.items["bg_years"], caseworker=caseworker, citizen=None, value=None,
                dont_know=True, request_id=uuid.uuid4(),
            )  # fmt: skip
        with self.assertRaises(AnswerRejected):  # about the caseworker, never about a citizen
            record_answer(
                wave=self.wave, item=agree, caseworker=caseworker, citizen=self.citizen_a, value=4,
                request_id=uuid.uuid4(),
            )  # fmt: skip
        with self.assertRaises(AnswerRejected):
            record_answer(
                wave=self.wave, item=agree, caseworker=caseworker, citizen=None, value=6, request_id=uuid.uuid4()
            )

    def test_the_rating_page_asks_it_beside_the_general_items_and_saves_each_answer_once(self) -> None:
        self.login("caseworker_a")
        page = self.client.get(reverse("rate_wave", args=[self.wave.pk])).content.decode()
        self.assertIn('data-testid="rating-staff"', page)
        self.assertIn("Dig og dit arbejde", page)
        self.assertLess(page.index("rating-general-heading"), page.index("rating-staff-heading"))
        self.assertLess(page.index("rating-staff-heading"), page.index("rating-citizens-heading"))
        self.assertIn("Jeg kan altid få sparring hos mine kolleger", page)

        request_id = uuid.uuid4()
        item = self.items["market_company_needs"]
        for _ in range(2):  # a double click
            response = post_answer(self.client, self.wave, item, None, 4, request_id=request_id)
            self.assertEqual(response.status_code, 200)
        self.assertEqual(Answer.objects.filter(item=item).count(), 1)
        self.assertEqual(post_answer(self.client, self.wave, item, None, "dk").status_code, 200)
        self.assertEqual(post_answer(self.client, self.wave, item, self.citizen_a, 4).status_code, 404)
        self.assertEqual(post_answer(self.client, self.wave, self.items["bg_education"], None, "dk").status_code, 400)

    def test_the_caseworker_sees_their_own_staff_answers(self) -> None:
        self.login("caseworker_a")
        post_answer(self.client, self.wave, self.items["leadership_backs"], None, 2)
        post_answer(self.client, self.wave, self.items["bg_years"], None, 3)
        page = self.client.get(reverse("my_answers")).content.decode()
        self.assertIn('data-testid="own-staff"', page)
        self.assertIn("Min leder bakker mig op", page)
        self.assertIn("Delvis uenig", page)
        self.assertIn("3-5 år", page)
        general = page[page.index('data-testid="own-general"') :] if 'data-testid="own-general"' in page else ""
        self.assertNotIn("Min leder bakker mig op", general.split("</table>")[0])


class MigrationTest(PersonaTestCase):
    def test_it_adds_the_questionnaire_to_an_older_instrument_and_moves_the_unopened_waves(self) -> None:
        instrument = Instrument.objects.create(name=DEFAULT_INSTRUMENT_NAME)
        belief_items = [i for i in DEFAULT_ITEMS if i["scope"] != "staff"]
        v1 = new_version(instrument, belief_items, note="before issue 7")
        today = timezone.localdate()

        def wave(number: int, opened: bool) -> Wave:
            opens = today + timedelta(days=30 * number)
            return Wave.objects.create(
                project=self.project, number=number, name=f"Måling {number}", opens_on=opens,
                closes_on=opens + timedelta(days=13), instrument_version=v1,
                opened_at=datetime.combine(opens, time(7), tzinfo=timezone.get_current_timezone()) if opened else None,
            )  # fmt: skip

        opened, planned = wave(0, True), wave(1, False)
        MIGRATION.add_staff_questionnaire(apps, None)
        v2 = instrument.latest_version()
        assert v2 is not None
        self.assertEqual(v2.number, 2)
        self.assertEqual(v2.items.count(), len(belief_items) + len(STAFF_ITEMS))
        self.assertEqual(v1.items.count(), len(belief_items))
        opened.refresh_from_db()
        planned.refresh_from_db()
        self.assertEqual(opened.instrument_version, v1)  # its answers point at v1's items
        self.assertEqual(planned.instrument_version, v2)
        MIGRATION.add_staff_questionnaire(apps, None)
        self.assertEqual(instrument.versions.count(), 2)  # once only
        self.assertEqual(default_instrument_version(), v2)

    def test_it_leaves_a_new_installation_alone(self) -> None:
        MIGRATION.add_staff_questionnaire(apps, None)
        self.assertFalse(Instrument.objects.exists())
