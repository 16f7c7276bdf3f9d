"""The rating page: the caseworker's own frozen caseload on one page, general items first, identities
audit-logged, progress shown, calm messages outside the wave's open days, and a constant number of
queries however large the caseload."""

from __future__ import annotations

import re
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jobtro.audit.models import AuditEvent
from jobtro.measurement.instrument_defaults import STAFF_ITEMS
from jobtro.measurement.models import CaseworkerAssignment, Wave
from jobtro.measurement.tests.test_rating_fixtures import RatingTestCase, make_open_wave, make_wave
from jobtro.organisation.models import Membership, Role, Staff
from jobtro.testing import START, make_citizen

S = len(STAFF_ITEMS)  # the staff questionnaire, asked once per caseworker like the general items
NOT_CASEWORKERS = ["team_leader", "key_person", "data_manager_y", "researcher", "administrator", "outsider"]


class RatingPageTest(RatingTestCase):
    def page(self, persona: str = "caseworker_a", wave_id: int | None = None) -> str:
        self.login(persona)
        response = self.client.get(reverse("rate_wave", args=[wave_id or self.wave.pk]))
        self.assertEqual(response.status_code, 200)
        return response.content.decode()

    def test_it_shows_the_own_frozen_caseload_by_name_and_birth_date(self) -> None:
        page = self.page()
        self.assertIn("Anna Andersen", page)
        self.assertIn("født 01.01.1990", page)
        self.assertIn("Bo Berg", page)
        self.assertIn("født 02.02.1985", page)
        for foreign in ("Carl Clausen", "Dorte Dahl", "Erik Eriksen", "0101901235", "010190-1235"):
            self.assertNotIn(foreign, page)
        page_b = self.page("caseworker_b")
        self.assertIn("Carl Clausen", page_b)
        self.assertIn("Erik Eriksen", page_b)  # moved to B before the wave opened: B's to rate
        self.assertNotIn("Anna Andersen", page_b)

    def test_it_offers_the_five_options_and_dont_know_as_buttons_for_each_citizen(self) -> None:
        page = self.page()
        for label in (
            "Ja, helt sikkert",
            "Ja, sandsynligvis",
            "Måske",
            "Nej, sandsynligvis ikke",
            "Nej, helt sikkert ikke",
        ):
            self.assertEqual(page.count(f'<span class="rating-label">{label}</span>'), 2)
        agree = sum(item["kind"] == "agree5" for item in STAFF_ITEMS)  # the staff items have "ved ikke" too
        self.assertEqual(page.count('<span class="rating-label">Ved ikke</span>'), 2 + agree)
        self.assertEqual(page.count('name="value" value="dk"'), 2 + agree)
        self.assertIn('aria-keyshortcuts="0 V"', page)

    def test_it_puts_the_general_items_at_the_top(self) -> None:
        page = self.page()
        general = page.index("Tror du generelt, at dine borgere kan komme i job inden for et år?")
        share = page.index("Hvor stor en andel af de borgere, du har ansvaret for")
        first_citizen = min(page.index("Anna Andersen"), page.index("Bo Berg"))
        self.assertLess(general, share)
        self.assertLess(share, first_citizen)
        self.assertIn('type="number" name="value"', page)

    def test_it_lists_the_citizens_in_danish_alphabetical_order(self) -> None:
        a = self.personas["caseworker_a"]
        make_citizen(self.x, "0606901232", "Åse Ørsted", a)
        make_citizen(self.x, "0707901233", "Ærlige Zenia", a)
        wave = make_open_wave(self.project, number=6)
        page = self.page(wave_id=wave.pk)
        names = re.findall(r'<span class="rating-name">([^<]+)</span>', page)
        self.assertEqual(names, ["Anna Andersen", "Bo Berg", "Ærlige Zenia", "Åse Ørsted"])

    def test_it_writes_one_read_event_per_shown_citizen(self) -> None:
        before = AuditEvent.objects.filter(action=AuditEvent.Action.READ).count()
        self.page()
        reads = AuditEvent.objects.filter(action=AuditEvent.Action.READ).order_by("pk")[before:]
        self.assertEqual(sorted(e.object_id for e in reads), sorted([str(self.citizen_a.pk), str(self.citizen_a2.pk)]))
        self.assertEqual({e.detail["purpose"] for e in reads}, {"rating page"})
        self.assertEqual({e.actor_id for e in reads}, {self.personas["caseworker_a"].pk})

    def test_it_shows_how_many_questions_are_left(self) -> None:
        # two general items, the staff questionnaire, two citizens
        self.assertIn(f"{4 + S} af {4 + S} spørgsmål mangler svar.", self.page())
        self.answer(self.citizen_a, 4)
        response = self.answer(None, 1)
        self.assertIn(f"{2 + S} af {4 + S} spørgsmål mangler svar.", response.content.decode())  # out of band
        self.assertIn(f"{2 + S} af {4 + S} spørgsmål mangler svar.", self.page())
        self.answer(self.citizen_a2, "dk")  # "ved ikke" is an answer
        self.answer(None, 40, key="general_share")
        self.assertIn(f"{S} af {4 + S} spørgsmål mangler svar.", self.page())
        for item in STAFF_ITEMS:
            self.answer(None, "dk" if item["kind"] == "agree5" else 1, key=item["key"])
        self.assertIn(f"Alle {4 + S} spørgsmål er besvaret.", self.page())

    def test_it_marks_the_answer_in_force_and_the_share(self) -> None:
        self.login("caseworker_a")
        self.answer(self.citizen_a, 5)
        self.answer(self.citizen_a, 2)
        self.answer(None, 35, key="general_share")
        page = self.page()
        item = self.items["specific_belief"]
        form = page[page.index(f'id="q-{item.pk}-{self.citizen_a.pk}"') :]
        form = form[: form.index("</form>")]
        pressed = re.findall(r'value="(\w+)" class="rating-option" aria-pressed="true"', form)
        self.assertEqual(pressed, ["2"])
        self.assertIn("✓ Gemt", form)
        self.assertIn('value="35"', page)

    def test_it_refuses_everyone_but_caseworkers(self) -> None:
        for persona in NOT_CASEWORKERS:
            self.client.logout()
            self.login(persona)
            self.assertEqual(self.client.get(reverse("rate_wave", args=[self.wave.pk])).status_code, 403, persona)
        self.client.logout()
        response = self.client.get(reverse("rate_wave", args=[self.wave.pk]))
        self.assertRedirects(response, f"{reverse('login')}?next={reverse('rate_wave', args=[self.wave.pk])}")

    def test_it_shows_a_calm_message_and_no_form_before_the_wave_opens(self) -> None:
        today = timezone.localdate()
        later = make_wave(self.project, 7, today + timedelta(days=5), today + timedelta(days=20), opened=False)
        reads = AuditEvent.objects.filter(action=AuditEvent.Action.READ).count()
        page = self.page(wave_id=later.pk)
        self.assertIn("Målingen er ikke åbnet endnu. Den åbner", page)
        self.assertNotIn('<form class="rating-group"', page)
        self.assertNotIn("Anna Andersen", page)
        self.assertEqual(AuditEvent.objects.filter(action=AuditEvent.Action.READ).count(), reads)

    def test_it_shows_a_calm_message_and_no_form_after_the_wave_closed(self) -> None:
        today = timezone.localdate()
        closed = make_wave(self.project, 8, today - timedelta(days=20), today - timedelta(days=1))
        page = self.page(wave_id=closed.pk)
        self.assertIn("Målingens sidste dag var", page)
        self.assertNotIn('<form class="rating-group"', page)
        self.assertNotIn("Anna Andersen", page)

    def test_it_tells_a_caseworker_without_a_frozen_caseload_there_is_nothing_to_rate(self) -> None:
        newcomer = Staff.objects.create(username="newcomer")
        Membership.objects.create(staff=newcomer, role=Role.CASEWORKER, municipality=self.x, start=START)
        self.client.force_login(newcomer)
        page = self.client.get(reverse("rate_wave", args=[self.wave.pk])).content.decode()
        self.assertIn("Du havde ingen borgere i din sagsstamme, da målingen åbnede", page)
        self.assertNotIn('<form class="rating-group"', page)

    def test_it_leaves_out_a_citizen_who_moved_to_a_colleague_after_the_wave_opened(self) -> None:
        CaseworkerAssignment.objects.filter(citizen=self.citizen_a2, end__isnull=True).update(end=timezone.localdate())
        CaseworkerAssignment.objects.create(
            citizen=self.citizen_a2, caseworker=self.personas["caseworker_b"], start=timezone.localdate()
        )
        page = self.page()
        self.assertIn("Anna Andersen", page)
        self.assertNotIn("Bo Berg", page)
        self.assertIn("1 borger fra din sagsstamme, da målingen åbnede, er siden flyttet", page)
        self.assertIn(f"{3 + S} af {3 + S} spørgsmål mangler svar.", page)
        self.assertEqual(self.answer(self.citizen_a2, 3).status_code, 404)

    def test_it_documents_the_keys(self) -> None:
        page = self.page()
        self.assertIn("Brug af tastaturet", page)
        self.assertIn("Tasterne 1 til 5 vælger et svar", page)
        self.assertIn("0 eller V betyder ved ikke", page)

    def test_it_is_never_cached(self) -> None:
        self.login("caseworker_a")
        response = self.client.get(reverse("rate_wave", args=[self.wave.pk]))
        self.assertIn("no-store", response["Cache-Control"])

    def test_it_speaks_english_with_the_english_wording(self) -> None:
        self.login("caseworker_a")
        self.client.cookies["django_language"] = "en"
        page = self.client.get(reverse("rate_wave", args=[self.wave.pk]), headers={"accept-language": "en"})
        text = page.content.decode()
        self.assertIn("Rate your citizens", text)
        self.assertIn("Yes, probably", text)
        self.assertIn("Don&#x27;t know", text)
        self.assertIn("Do you believe the citizen will get a job", text)

    def test_it_works_as_plain_forms_without_javascript(self) -> None:
        page = self.page()
        self.assertIn(f'method="post" action="{reverse("rate_answer", args=[self.wave.pk])}"', page)
        self.assertEqual(len(re.findall(r'name="request_id" value="[0-9a-f-]{36}"', page)), 4 + S)


class RatingPageQueriesTest(RatingTestCase):
    """However large the caseload, the page costs the same queries (no N+1): identities are decrypted
    in one pass, answers read in one query and the audit events written in one insert."""

    def _queries(self, wave_id: int) -> int:
        self.client.force_login(self.personas["caseworker_a"])
        self.client.get(reverse("rate_wave", args=[wave_id]))  # warm caches (content types, templates)
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(reverse("rate_wave", args=[wave_id]))
        self.assertEqual(response.status_code, 200)
        return len(queries)

    def test_it_renders_a_caseload_of_60_in_a_constant_number_of_queries(self) -> None:
        small = self._queries(self.wave.pk)
        a = self.personas["caseworker_a"]
        for n in range(58):
            make_citizen(self.x, f"{1 + n % 28:02d}{1 + n % 12:02d}{70 + n % 20:02d}{n:04d}", f"Borger {n:02d}", a)
        big = make_open_wave(self.project, number=6)
        for citizen in list(a.wave_caseloads.filter(wave=big).select_related("citizen"))[:30]:
            self.answer(citizen.citizen, 3, wave=big)
        self.assertEqual(big.caseload.filter(caseworker=a).count(), 60)
        self.assertEqual(self._queries(big.pk), small)
        # session, user, roles, wave, frozen caseload, identity check, audit insert, items, answers
        self.client.force_login(a)
        with self.assertNumQueries(small):
            page = self.client.get(reverse("rate_wave", args=[big.pk])).content.decode()
        self.assertEqual(page.count('class="rating-name"'), 60)
        self.assertLessEqual(small, 10)

    def test_it_saves_an_answer_in_a_constant_number_of_queries(self) -> None:
        def queries(wave: Wave) -> int:
            with CaptureQueriesContext(connection) as captured:
                self.assertEqual(self.answer(self.citizen_a, 2, wave=wave).status_code, 200)
            return len(captured)

        self.client.force_login(self.personas["caseworker_a"])
        small = queries(self.wave)
        a = self.personas["caseworker_a"]
        for n in range(58):
            make_citizen(self.x, f"{1 + n % 28:02d}{1 + n % 12:02d}{70 + n % 20:02d}{n:04d}", f"Borger {n:02d}", a)
        self.assertEqual(queries(make_open_wave(self.project, number=6)), small)
        self.assertLessEqual(small, 14)
