"""Live response rates per wave, municipality and team: the counts, their definitions (a changed
answer counts once; "ved ikke" is an answer), who may see them, and a query count that does not grow
with the number of caseworkers, citizens or answers."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jobtro.measurement import invitations
from jobtro.measurement.actions import new_version, record_answer
from jobtro.measurement.instrument_defaults import DEFAULT_ITEMS
from jobtro.measurement.models import Citizen, Wave
from jobtro.measurement.tests.test_waves_fixtures import URLCONF, WaveTestCase
from jobtro.organisation.models import Membership, Role, Staff
from jobtro.testing import START, make_citizen

NOT_RESEARCHERS = ["caseworker_a", "team_leader", "key_person", "data_manager_y", "administrator", "outsider"]


def _counts(rate: invitations.Rate) -> tuple[int, int, int, int, int]:
    return (rate.invited, rate.started, rate.completed, rate.citizens_rated, rate.citizens_frozen)


@override_settings(ROOT_URLCONF=URLCONF)
class ResponseRatesTest(WaveTestCase):
    def setUp(self) -> None:
        self.wave = self.make_wave()
        self.open_now(self.wave)
        # B finishes (one citizen "ved ikke", one answer changed twice); A rates one of two citizens and
        # the general items; Y has not started.
        self.answer(self.wave, self.caseworker_b, citizens=[self.citizen_b], value=2)
        self.answer(self.wave, self.caseworker_b, citizens=[self.citizen_b], value=3, general=False)
        self.answer(self.wave, self.caseworker_b, citizens=[self.citizen_moved], dont_know=True, general=False)
        self.answer(self.wave, self.caseworker_a, citizens=[self.citizen_a])

    def test_it_counts_invited_started_finished_and_citizens_rated(self) -> None:
        rates = invitations.response_rates([self.wave])[self.wave.pk]
        self.assertEqual(_counts(rates.total), (3, 2, 1, 3, 5))
        self.assertEqual(
            {label: _counts(rate) for label, rate in rates.municipalities},
            {"Silkeborg": (2, 2, 1, 3, 4), "Odder": (1, 0, 0, 0, 1)},
        )
        self.assertEqual(
            {label: _counts(rate) for label, rate in rates.teams},
            {
                "Team 1, Silkeborg": (1, 1, 0, 1, 2),
                "Team 2, Silkeborg": (1, 1, 1, 2, 2),
                "Team 1, Odder": (1, 0, 0, 0, 1),
            },
        )
        self.assertAlmostEqual(rates.total.completed_percent or 0, 100 / 3)
        self.assertEqual(rates.total.citizens_percent, 60)

    def test_it_needs_the_general_items_too_to_count_a_caseworker_finished(self) -> None:
        self.answer(self.wave, self.caseworker_a, citizens=[self.citizen_a2], general=False)
        rate = invitations.response_rates([self.wave])[self.wave.pk].total
        self.assertEqual(_counts(rate), (3, 2, 2, 4, 5))
        progress = invitations.progress([self.wave])
        self.assertTrue(progress[(self.wave.pk, self.caseworker_a.pk)].complete)
        self.assertFalse(progress[(self.wave.pk, self.caseworker_y.pk)].started)

    def test_it_counts_a_changed_answer_once_not_as_a_second_item(self) -> None:
        version = new_version(
            self.wave.instrument_version.instrument,
            [*DEFAULT_ITEMS, {**DEFAULT_ITEMS[2], "key": "specific_effort", "position": 4}],
        )
        wave = self.make_wave(number=2)
        wave.instrument_version = version
        wave.save()
        self.open_now(wave)
        first = version.items.get(key="specific_belief")
        for value in (2, 3, 4):  # one item answered three times; the other not at all
            record_answer(
                wave=wave,
                item=first,
                caseworker=self.caseworker_y,
                citizen=self.citizen_y,
                value=value,
                request_id=uuid.uuid4(),
            )
        self.assertEqual(invitations.progress([wave])[(wave.pk, self.caseworker_y.pk)].rated, 0)
        self.answer(wave, self.caseworker_y, citizens=[self.citizen_y])
        progress = invitations.progress([wave])[(wave.pk, self.caseworker_y.pk)]
        self.assertEqual((progress.rated, progress.complete), (1, True))

    def test_it_places_a_caseworker_in_the_team_they_were_in_when_the_wave_opened(self) -> None:
        tomorrow = self.today + timedelta(days=1)
        Membership.objects.filter(staff=self.caseworker_a, role=Role.CASEWORKER).update(end=tomorrow)
        Membership.objects.create(
            staff=self.caseworker_a, role=Role.CASEWORKER, municipality=self.x, unit=self.team_x2, start=tomorrow
        )
        teams = dict(invitations.response_rates([self.wave])[self.wave.pk].teams)
        self.assertEqual((teams["Team 1, Silkeborg"].invited, teams["Team 2, Silkeborg"].invited), (1, 1))

        later = self.make_wave(number=2, opens_in=-3)
        self.open_now(later)
        Wave.objects.filter(pk=later.pk).update(opened_at=timezone.now() + timedelta(days=2))
        later.refresh_from_db()
        teams = dict(invitations.response_rates([later])[later.pk].teams)
        self.assertNotIn("Team 1, Silkeborg", teams)
        self.assertEqual(teams["Team 2, Silkeborg"].invited, 2)

    def test_it_shows_the_rates_to_researchers(self) -> None:
        self.login("researcher")
        response = self.client.get(reverse("response_rates", args=[self.project.pk]))
        self.assertContains(response, "Måling 2")
        self.assertContains(response, "Team 2, Silkeborg")
        self.assertContains(response, '<td data-title="Færdige" class="num">1 (33 %)</td>', html=False)
        self.assertContains(response, '<td data-title="Borgere vurderet" class="num">3 / 5 (60 %)</td>', html=False)
        wave_list = self.client.get(reverse("wave_list", args=[self.project.pk]))
        self.assertContains(wave_list, "1 / 3 (33 %)")

    def test_it_shows_the_rates_to_researchers_only(self) -> None:
        for persona in NOT_RESEARCHERS:
            self.login(persona)
            response = self.client.get(reverse("response_rates", args=[self.project.pk]))
            self.assertEqual(response.status_code, 403, persona)

    def test_it_aggregates_in_the_database_in_a_fixed_number_of_queries(self) -> None:
        self.login("researcher")
        url = reverse("response_rates", args=[self.project.pk])
        self.client.get(url)  # warm the session and the instrument
        # session, user, roles, project, waves; then item counts, caseloads, answers, invitations, teams
        with self.assertNumQueries(10):
            self.client.get(url)

        # Ten times the caseworkers, citizens and answers, and a second open wave: the same count.
        for n in range(10):
            caseworker = Staff.objects.create(username=f"extra_{n}", email=f"extra_{n}@example.dk")
            Membership.objects.create(
                staff=caseworker, role=Role.CASEWORKER, municipality=self.x, unit=self.team_x1, start=START
            )
            for k in range(3):
                make_citizen(self.x, f"01018{n}{k}23{k}", f"Extra {n} {k}", caseworker)
        second = self.make_wave(number=2)
        self.open_now(second)
        for caseworker in Staff.objects.filter(username__startswith="extra_"):
            citizens = Citizen.objects.filter(wave_caseloads__wave=second, wave_caseloads__caseworker=caseworker)
            self.answer(second, caseworker, citizens=list(citizens))
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(url)
        self.assertEqual(len(queries), 10)
        self.assertContains(response, "Team 1, Silkeborg")
