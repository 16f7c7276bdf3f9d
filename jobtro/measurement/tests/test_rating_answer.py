"""Saving one answer from the rating page: idempotent per request id, the latest answer wins with the
history kept, refused (and nothing stored) after close, for anyone else's citizen, or from anyone but
a caseworker; htmx gets a fragment, a plain form a redirect."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from jobtro.measurement.actions import current_answers, new_version
from jobtro.measurement.instrument_defaults import DEFAULT_ITEMS
from jobtro.measurement.models import Answer
from jobtro.measurement.tests.test_rating_fixtures import RatingTestCase, current, items, make_wave, post_answer

NOT_CASEWORKERS = ["team_leader", "key_person", "data_manager_y", "researcher", "administrator", "outsider"]


class AnswerTest(RatingTestCase):
    def setUp(self) -> None:
        self.login("caseworker_a")

    def test_it_saves_an_answer_and_says_so(self) -> None:
        response = self.answer(self.citizen_a, 4)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["X-Rating-Outcome"], "saved")
        self.assertIn('data-value="4">✓ Gemt', response.content.decode())
        answer = Answer.objects.get()
        self.assertEqual(
            (answer.wave, answer.item, answer.caseworker, answer.citizen, answer.value, answer.dont_know),
            (self.wave, self.items["specific_belief"], self.personas["caseworker_a"], self.citizen_a, 4, False),
        )

    def test_it_stores_dont_know_as_missing_not_as_a_value(self) -> None:
        self.answer(self.citizen_a, "dk")
        answer = Answer.objects.get()
        self.assertTrue(answer.dont_know)
        self.assertIsNone(answer.value)

    def test_it_saves_the_general_items(self) -> None:
        self.assertEqual(self.answer(None, 0, key="general_believes").status_code, 200)
        self.assertEqual(self.answer(None, 35, key="general_share").status_code, 200)
        answers = current_answers(self.wave, self.personas["caseworker_a"])
        self.assertEqual(answers[(self.items["general_believes"].pk, None)].value, 0)
        self.assertEqual(answers[(self.items["general_share"].pk, None)].value, 35)

    def test_it_stores_a_double_post_once(self) -> None:
        request_id = uuid.uuid4()
        first = self.answer(self.citizen_a, 4, request_id=request_id)
        second = self.answer(self.citizen_a, 4, request_id=request_id)
        self.assertEqual((first.status_code, second.status_code), (200, 200))
        self.assertEqual(second["X-Rating-Outcome"], "saved")
        self.assertEqual(Answer.objects.count(), 1)
        # The plain form posted twice (no JavaScript) is just as harmless.
        self.answer(self.citizen_a2, 2, request_id=request_id.hex[::-1], htmx=False)
        again = self.answer(self.citizen_a2, 2, request_id=request_id.hex[::-1], htmx=False)
        self.assertEqual(again.status_code, 302)
        self.assertEqual(Answer.objects.filter(citizen=self.citizen_a2).count(), 1)

    def test_it_lets_the_latest_answer_win_and_keeps_the_history_across_two_tabs(self) -> None:
        tab_1, tab_2 = uuid.uuid4(), uuid.uuid4()
        self.answer(self.citizen_a, 5, request_id=tab_1)
        self.answer(self.citizen_a, 2, request_id=tab_2)
        self.answer(self.citizen_a, 5, request_id=tab_1)  # tab 1 retries its old request: no change
        history = list(Answer.objects.filter(citizen=self.citizen_a).order_by("received_at", "id"))
        self.assertEqual([a.value for a in history], [5, 2])
        answer = current(self.wave, self.items["specific_belief"], self.citizen_a)
        assert answer is not None
        self.assertEqual(answer.value, 2)
        self.assertEqual(
            current_answers(self.wave, self.personas["caseworker_a"])[answer.item_id, answer.citizen_id], answer
        )

    def test_it_refuses_a_request_id_reused_for_a_different_answer(self) -> None:
        request_id = uuid.uuid4()
        self.answer(self.citizen_a, 5, request_id=request_id)
        response = self.answer(self.citizen_a, 3, request_id=request_id)
        self.assertEqual(response.status_code, 409)
        self.assertEqual(response["X-Rating-Outcome"], "rejected")
        self.assertEqual(list(Answer.objects.values_list("value", flat=True)), [5])

    def test_it_refuses_answers_after_the_wave_closed(self) -> None:
        today = timezone.localdate()
        closed = make_wave(self.project, 8, today - timedelta(days=20), today - timedelta(days=1))
        item = items(closed)["specific_belief"]
        response = post_answer(self.client, closed, item, self.citizen_a, 4)
        self.assertEqual(response.status_code, 409)
        self.assertIn("Målingen er lukket, så svaret er ikke gemt.", response.content.decode())
        plain = post_answer(self.client, closed, item, self.citizen_a, 4, htmx=False)
        self.assertRedirects(plain, reverse("rate_wave", args=[closed.pk]), fetch_redirect_response=False)
        self.assertEqual(Answer.objects.count(), 0)

    def test_it_refuses_answers_before_the_wave_opened(self) -> None:
        today = timezone.localdate()
        later = make_wave(self.project, 9, today - timedelta(days=1), today + timedelta(days=9), opened=False)
        response = post_answer(self.client, later, items(later)["specific_belief"], self.citizen_a, 4)
        self.assertEqual(response.status_code, 404)  # nothing frozen yet: no citizen is in the caseload
        response = post_answer(self.client, later, items(later)["general_believes"], None, 1)
        self.assertEqual(response.status_code, 404)
        self.assertEqual(Answer.objects.count(), 0)

    def test_it_refuses_another_caseworkers_citizen_and_stores_nothing(self) -> None:
        for citizen in (self.citizen_b, self.citizen_moved, self.citizen_y):
            self.assertEqual(self.answer(citizen, 4).status_code, 404, citizen)
            self.assertEqual(self.answer(citizen, 4, htmx=False).status_code, 404, citizen)
        self.assertEqual(Answer.objects.count(), 0)

    def test_it_refuses_a_general_answer_from_a_caseworker_outside_the_wave(self) -> None:
        other = make_wave(self.project, 10, timezone.localdate(), timezone.localdate())
        other.caseload.filter(caseworker=self.personas["caseworker_a"]).delete()
        self.assertEqual(post_answer(self.client, other, items(other)["general_believes"], None, 1).status_code, 404)
        self.assertEqual(Answer.objects.count(), 0)

    def test_it_refuses_an_item_of_another_instrument_version(self) -> None:
        version = self.wave.instrument_version
        newer = new_version(version.instrument, DEFAULT_ITEMS, note="test")
        item = newer.items.get(key="specific_belief")
        self.assertEqual(post_answer(self.client, self.wave, item, self.citizen_a, 4).status_code, 404)
        self.assertEqual(Answer.objects.count(), 0)

    def test_it_refuses_values_outside_the_item(self) -> None:
        for citizen, value, key in [
            (self.citizen_a, 6, ""),
            (self.citizen_a, 0, ""),
            (None, "dk", "general_believes"),
            (None, 2, "general_believes"),
            (None, 101, "general_share"),
            (self.citizen_a, "fire", ""),
        ]:
            response = self.answer(citizen, value, key=key) if key else self.answer(citizen, value)
            self.assertEqual(response.status_code, 400, (value, key))
            self.assertEqual(response["X-Rating-Outcome"], "rejected")
        self.assertEqual(self.answer(self.citizen_a, 4, request_id="not-a-uuid").status_code, 400)
        self.assertEqual(Answer.objects.count(), 0)

    def test_it_redirects_a_plain_form_back_to_the_question(self) -> None:
        response = self.answer(self.citizen_a, 3, htmx=False)
        item = self.items["specific_belief"]
        self.assertRedirects(
            response,
            reverse("rate_wave", args=[self.wave.pk]) + f"#q-{item.pk}-{self.citizen_a.pk}",
            fetch_redirect_response=False,
        )
        self.assertEqual(Answer.objects.get().value, 3)

    def test_it_refuses_everyone_but_caseworkers_and_stores_nothing(self) -> None:
        for persona in NOT_CASEWORKERS:
            self.client.logout()
            self.login(persona)
            self.assertEqual(self.answer(self.citizen_a, 4).status_code, 403, persona)
            self.assertEqual(self.answer(None, 1).status_code, 403, persona)
        self.assertEqual(Answer.objects.count(), 0)

    def test_it_asks_a_logged_out_caseworker_to_log_in_again(self) -> None:
        self.client.logout()
        response = self.answer(self.citizen_a, 4)
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response["X-Rating-Outcome"], "logged_out")
        self.assertIn("Du er blevet logget ud.", response.content.decode())
        plain = self.answer(self.citizen_a, 4, htmx=False)
        self.assertRedirects(
            plain,
            f"{reverse('login')}?next={reverse('rate_wave', args=[self.wave.pk])}",
            fetch_redirect_response=False,
        )
        self.assertEqual(Answer.objects.count(), 0)

    def test_it_refuses_a_get(self) -> None:
        self.assertEqual(self.client.get(reverse("rate_answer", args=[self.wave.pk])).status_code, 405)
