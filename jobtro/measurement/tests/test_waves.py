"""The researchers' wave pages: planning the default schedule, editing a wave, opening it (frozen
caseloads, invitations), opening due waves from the command and the task, and who may do any of it."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO
from typing import Any

from django.core import mail
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse

from jobtro.audit.models import AuditEvent
from jobtro.measurement import tasks
from jobtro.measurement.actions import default_instrument_version, new_version, plan_waves
from jobtro.measurement.instrument_defaults import DEFAULT_ITEMS
from jobtro.measurement.models import Invitation, Wave, WaveCaseload
from jobtro.measurement.tests.test_waves_fixtures import BASE_URL, URLCONF, WaveTestCase
from jobtro.testing import START

NOT_RESEARCHERS = ["caseworker_a", "team_leader", "key_person", "data_manager_y", "administrator", "outsider"]


def _last_event_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


@override_settings(ROOT_URLCONF=URLCONF)
class PlanWavesTest(WaveTestCase):
    def test_it_plans_a_baseline_and_a_wave_every_three_months_for_two_years(self) -> None:
        self.login("researcher")
        before = _last_event_id()
        response = self.client.post(
            reverse("wave_plan", args=[self.project.pk]), {"every_months": 3, "open_days": 14, "reminder_days": "7, 2"}
        )
        self.assertRedirects(response, reverse("wave_list", args=[self.project.pk]), fetch_redirect_response=False)
        waves = list(self.project.waves.order_by("number"))
        self.assertEqual(len(waves), 9)
        self.assertEqual([w.opens_on for w in waves[:3]], [START, date(2025, 4, 6), date(2025, 7, 6)])
        self.assertEqual(waves[-1].opens_on, date(2027, 1, 6))
        self.assertEqual(waves[0].closes_on, START + timedelta(days=13))
        self.assertEqual((waves[0].name, waves[1].name), ("Baseline", "Måling 2"))
        self.assertTrue(all(w.reminder_days == [7, 2] and w.opened_at is None for w in waves))
        created = AuditEvent.objects.filter(id__gt=before, action="create", object_type="measurement.Wave")
        self.assertEqual(created.count(), 9)

        page = self.client.get(reverse("wave_list", args=[self.project.pk])).content.decode()
        self.assertIn("9 nye målinger planlagt", page)
        self.assertIn("Baseline", page)
        self.assertIn("Ikke åbnet", page)  # the project started in 2025: its early waves were never opened

        # Planning again keeps what exists.
        self.client.post(reverse("wave_plan", args=[self.project.pk]), {"every_months": 3, "open_days": 14})
        self.assertEqual(self.project.waves.count(), 9)

    def test_it_names_bad_planning_input_and_plans_nothing(self) -> None:
        self.login("researcher")
        response = self.client.post(
            reverse("wave_plan", args=[self.project.pk]), {"every_months": 0, "open_days": 14, "reminder_days": "7, x"}
        )
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "Skriv hele antal dage adskilt af komma", status_code=400)
        self.assertFalse(Wave.objects.exists())

    def test_it_lets_only_researchers_plan(self) -> None:
        for persona in NOT_RESEARCHERS:
            self.login(persona)
            response = self.client.post(
                reverse("wave_plan", args=[self.project.pk]), {"every_months": 3, "open_days": 14}
            )
            self.assertEqual(response.status_code, 403, persona)
        self.assertFalse(Wave.objects.exists())

    def test_it_leads_from_the_menu_entry_to_the_current_projects_waves(self) -> None:
        self.login("researcher")
        self.assertRedirects(self.client.get(reverse("waves_home")), reverse("wave_list", args=[self.project.pk]))


@override_settings(ROOT_URLCONF=URLCONF)
class EditWaveTest(WaveTestCase):
    def setUp(self) -> None:
        self.wave = self.make_wave(opens_in=20, closes_in=33)
        self.url = reverse("wave_edit", args=[self.wave.pk])

    def _post(self, **changes: object) -> Any:
        data = {
            "opens_on": self.wave.opens_on.isoformat(),
            "closes_on": self.wave.closes_on.isoformat(),
            "reminder_days": "7, 2",
            "instrument_version": self.wave.instrument_version_id,
        }
        data.update(changes)
        return self.client.post(self.url, data)

    def test_it_changes_a_planned_waves_dates_reminders_and_version(self) -> None:
        v2 = new_version(self.wave.instrument_version.instrument, DEFAULT_ITEMS, note="v2")
        self.login("researcher")
        before = _last_event_id()
        opens, closes = self.today + timedelta(days=21), self.today + timedelta(days=40)
        response = self._post(
            opens_on=opens.isoformat(), closes_on=closes.isoformat(), reminder_days="3; 10, 1", instrument_version=v2.pk
        )
        self.assertRedirects(response, reverse("wave_list", args=[self.project.pk]))
        self.wave.refresh_from_db()
        self.assertEqual((self.wave.opens_on, self.wave.closes_on), (opens, closes))
        self.assertEqual(self.wave.reminder_days, [10, 3, 1])
        self.assertEqual(self.wave.instrument_version, v2)
        event = AuditEvent.objects.get(id__gt=before, action="update", object_type="measurement.Wave")
        self.assertEqual(event.detail["changes"]["closes_on"], [str(self.today + timedelta(days=33)), str(closes)])
        self.assertEqual(event.detail["changes"]["reminder_days"], ["[7, 2]", "[10, 3, 1]"])

    def test_it_refuses_a_wave_that_closes_before_it_opens(self) -> None:
        self.login("researcher")
        response = self._post(closes_on=(self.today + timedelta(days=1)).isoformat())
        self.assertContains(response, "En måling kan ikke lukke, før den åbner.")
        self.wave.refresh_from_db()
        self.assertEqual(self.wave.closes_on, self.today + timedelta(days=33))

    def test_it_lets_only_the_closing_day_and_reminders_change_once_open(self) -> None:
        self.wave.opens_on = self.today
        self.wave.save()
        self.open_now(self.wave)
        v2 = new_version(self.wave.instrument_version.instrument, DEFAULT_ITEMS, note="v2")
        self.login("researcher")
        later = self.today + timedelta(days=40)
        self._post(
            opens_on=(self.today + timedelta(days=5)).isoformat(),
            closes_on=later.isoformat(),
            reminder_days="1",
            instrument_version=v2.pk,
        )
        self.wave.refresh_from_db()
        self.assertEqual((self.wave.opens_on, self.wave.closes_on, self.wave.reminder_days), (self.today, later, [1]))
        self.assertNotEqual(self.wave.instrument_version, v2)
        response = self._post(closes_on=(self.today - timedelta(days=1)).isoformat())
        self.assertContains(response, "Lukkedagen for en åben måling kan ikke ligge i fortiden.")

    def test_it_moves_a_wave_that_was_never_opened_to_new_dates(self) -> None:
        Wave.objects.filter(pk=self.wave.pk).update(
            opens_on=self.today - timedelta(days=20), closes_on=self.today - timedelta(days=6)
        )
        self.login("researcher")
        opens, closes = self.today + timedelta(days=1), self.today + timedelta(days=14)
        self._post(opens_on=opens.isoformat(), closes_on=closes.isoformat())
        self.wave.refresh_from_db()
        self.assertEqual((self.wave.opens_on, self.wave.closes_on), (opens, closes))

    def test_it_keeps_a_closed_wave_as_it_was(self) -> None:
        self.wave.opens_on = self.today
        self.wave.save()
        self.open_now(self.wave)
        Wave.objects.filter(pk=self.wave.pk).update(
            opens_on=self.today - timedelta(days=20), closes_on=self.today - timedelta(days=6)
        )
        self.wave.refresh_from_db()
        self.login("researcher")
        response = self._post(closes_on=(self.today + timedelta(days=3)).isoformat())
        self.assertRedirects(response, reverse("wave_list", args=[self.project.pk]))
        self.wave.refresh_from_db()
        self.assertEqual(self.wave.closes_on, self.today - timedelta(days=6))

    def test_it_lets_only_researchers_edit(self) -> None:
        for persona in NOT_RESEARCHERS:
            self.login(persona)
            self.assertEqual(self._post(reminder_days="1").status_code, 403, persona)
        self.wave.refresh_from_db()
        self.assertEqual(self.wave.reminder_days, [7, 2])


@override_settings(ROOT_URLCONF=URLCONF, JOBTRO_BASE_URL=BASE_URL)
class OpenWaveTest(WaveTestCase):
    def test_it_freezes_the_caseloads_and_invites_every_caseworker(self) -> None:
        wave = self.make_wave()
        self.login("researcher")
        response = self.client.post(reverse("wave_open", args=[wave.pk]), follow=True)
        self.assertContains(response, "5 borgere er låst fast i sagsstammerne hos 3 sagsbehandlere")
        wave.refresh_from_db()
        self.assertIsNotNone(wave.opened_at)
        frozen = set(WaveCaseload.objects.filter(wave=wave).values_list("caseworker__username", "citizen_id"))
        self.assertEqual(
            frozen,
            {
                ("caseworker_a", self.citizen_a.pk),
                ("caseworker_a", self.citizen_a2.pk),
                ("caseworker_b", self.citizen_b.pk),
                ("caseworker_b", self.citizen_moved.pk),  # frozen with their caseworker on the day
                ("caseworker_y", self.citizen_y.pk),
            },
        )
        self.assertEqual(
            set(Invitation.objects.filter(wave=wave).values_list("caseworker__username", flat=True)),
            {"caseworker_a", "caseworker_b", "caseworker_y"},
        )
        self.assertEqual(len(mail.outbox), 3)
        # Opening twice changes nothing and sends nothing more.
        self.client.post(reverse("wave_open", args=[wave.pk]))
        self.assertEqual((WaveCaseload.objects.filter(wave=wave).count(), len(mail.outbox)), (5, 3))

    def test_it_opens_a_wave_planned_for_later_today(self) -> None:
        wave = self.make_wave(opens_in=10, closes_in=24)
        self.login("researcher")
        self.client.post(reverse("wave_open", args=[wave.pk]))
        wave.refresh_from_db()
        self.assertEqual(wave.opens_on, self.today)
        self.assertTrue(wave.accepts_answers(self.today))

    def test_it_refuses_to_open_a_wave_whose_closing_day_has_passed(self) -> None:
        wave = self.make_wave(opens_in=-20, closes_in=-6)
        self.login("researcher")
        response = self.client.post(reverse("wave_open", args=[wave.pk]), follow=True)
        self.assertContains(response, "ret først datoerne")
        wave.refresh_from_db()
        self.assertIsNone(wave.opened_at)
        self.assertEqual(len(mail.outbox), 0)

    def test_it_warns_about_caseworkers_without_an_address(self) -> None:
        self.caseworker_y.email = ""
        self.caseworker_y.save()
        wave = self.make_wave()
        self.login("researcher")
        response = self.client.post(reverse("wave_open", args=[wave.pk]), follow=True)
        self.assertContains(response, "1 sagsbehandlere har ingen e-mailadresse")

    def test_it_lets_only_researchers_open(self) -> None:
        wave = self.make_wave()
        for persona in NOT_RESEARCHERS:
            self.login(persona)
            self.assertEqual(self.client.post(reverse("wave_open", args=[wave.pk])).status_code, 403, persona)
        wave.refresh_from_db()
        self.assertIsNone(wave.opened_at)
        self.assertFalse(WaveCaseload.objects.exists())
        self.assertEqual(len(mail.outbox), 0)


@override_settings(ROOT_URLCONF=URLCONF)
class OpenDueWavesTest(WaveTestCase):
    def test_it_opens_the_waves_whose_day_has_come_once(self) -> None:
        due = self.make_wave(opens_in=0, closes_in=13, number=1)
        future = self.make_wave(opens_in=1, closes_in=14, number=2)
        missed = self.make_wave(opens_in=-20, closes_in=-7, number=3)
        out = StringIO()
        call_command("open-due-waves", "--base-url", BASE_URL, stdout=out)
        self.assertIn("Opened Måling 2", out.getvalue())
        self.assertIn("1 waves opened; 3 invitations sent", out.getvalue())
        for wave in (due, future, missed):
            wave.refresh_from_db()
        self.assertIsNotNone(due.opened_at)
        self.assertIsNone(future.opened_at)
        self.assertIsNone(missed.opened_at)
        self.assertEqual(len(mail.outbox), 3)
        self.assertEqual(mail.outbox[0].body.count("http://testserver/r/"), 1)

        call_command("open-due-waves", "--base-url", BASE_URL, stdout=out)
        self.assertIn("0 waves opened; 0 invitations sent", out.getvalue())
        self.assertEqual(len(mail.outbox), 3)
        events = AuditEvent.objects.filter(action="bulk", object_type="measurement.Wave")
        self.assertEqual(set(events.values_list("actor_label", "via")), {("jobtro open-due-waves", "cli")})

    def test_it_opens_due_waves_from_the_task(self) -> None:
        self.make_wave(opens_in=-1, closes_in=13)
        with override_settings(JOBTRO_BASE_URL=BASE_URL):
            self.assertEqual(tasks.open_due_waves.call(), {"opened": 1, "sent": 3, "not_sendable": 0, "failed": 0})
            self.assertEqual(tasks.open_due_waves.call()["opened"], 0)
        self.assertEqual(len(mail.outbox), 3)

    def test_it_needs_the_sites_address_for_the_links(self) -> None:
        with (
            override_settings(DEBUG=False, JOBTRO_BASE_URL=""),
            self.assertRaisesMessage(CommandError, "JOBTRO_BASE_URL"),
        ):
            call_command("open-due-waves", stdout=StringIO())


@override_settings(ROOT_URLCONF=URLCONF)
class WaveVersionTest(WaveTestCase):
    def test_it_plans_later_waves_with_the_newest_version_and_keeps_each_waves_own(self) -> None:
        first = plan_waves(self.project)
        v1 = default_instrument_version()
        v2 = new_version(v1.instrument, DEFAULT_ITEMS[:2], note="without the specific item")
        self.project.duration_months = 30
        self.project.save()
        waves = plan_waves(self.project)
        self.assertEqual(len(waves), 11)
        self.assertTrue(all(w.instrument_version == v1 for w in waves if w in first))
        self.assertEqual([w.instrument_version for w in waves[9:]], [v2, v2])
