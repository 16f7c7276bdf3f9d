"""The caseworker's personal single-use link and the e-mails that carry it: invitations when a wave
opens, reminders before it closes, the link's one-time login, and the audit trail of all of it."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO
from unittest import mock

from django.core import mail
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from jobtro.audit.models import AuditEvent
from jobtro.measurement import invitations, tasks
from jobtro.measurement.models import Invitation
from jobtro.measurement.tests.test_waves_fixtures import BASE_URL, URLCONF, WaveTestCase, tokens
from jobtro.organisation.models import Membership, Role

DANISH_MONTHS = [
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
]
DANISH_DAYS = ["mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"]


@override_settings(ROOT_URLCONF=URLCONF)
class InvitationEmailTest(WaveTestCase):
    def test_it_emails_each_caseworker_a_personal_link_with_their_wave_closing_day_and_citizens(self) -> None:
        wave = self.make_wave(closes_in=10)
        report = self.open_now(wave)
        self.assertEqual((report.invited, report.sending.sent, report.frozen), (3, 3, 5))
        by_address = {m.to[0]: m for m in mail.outbox}
        self.assertEqual(
            set(by_address), {"caseworker_a@example.dk", "caseworker_b@example.dk", "caseworker_y@example.dk"}
        )

        message = by_address["caseworker_a@example.dk"]
        closes = wave.closes_on
        danish_date = (
            f"{DANISH_DAYS[closes.weekday()]} den {closes.day}. {DANISH_MONTHS[closes.month - 1]} {closes.year}"
        )
        self.assertIn("Måling 2", message.subject)
        self.assertIn(f"{closes.day}. {DANISH_MONTHS[closes.month - 1]}", message.subject)
        self.assertIn("Kære Caseworker_A", message.body)
        self.assertIn("Måling 2", message.body)
        self.assertIn(f"Målingen lukker {danish_date}.", message.body)
        self.assertIn("de 2 borgere i din sagsstamme", message.body)  # Anna and Bo (Erik moved to B)
        self.assertIn("http://testserver/login/", message.body)
        self.assertIn("den ene borger i din sagsstamme", by_address["caseworker_y@example.dk"].body)
        # No citizen's name ever goes by e-mail.
        for name in ("Anna", "Bo Berg", "Carl", "Dorte", "Erik"):
            self.assertNotIn(name, message.body)

    def test_it_stores_only_the_tokens_digest(self) -> None:
        wave = self.make_wave()
        self.open_now(wave)
        found = tokens()
        self.assertEqual(len(found), 3)
        self.assertEqual(len(set(found)), 3)
        digests = set(Invitation.objects.values_list("token_digest", flat=True))
        self.assertEqual(digests, {hashlib.sha256(t.encode()).hexdigest() for t in found})
        for token in found:
            self.assertGreaterEqual(len(token), 43)  # 32 random bytes
            self.assertFalse(Invitation.objects.filter(token_digest=token).exists())
            self.assertFalse(AuditEvent.objects.filter(detail__icontains=token).exists())
        # Nor does the digest land in the audit log's change details.
        for digest in digests:
            self.assertFalse(AuditEvent.objects.filter(detail__icontains=digest).exists())

    def test_it_sends_each_invitation_once_however_often_it_runs(self) -> None:
        wave = self.make_wave()
        self.open_now(wave)
        self.open_now(wave)
        invitations.open_due_waves(base_url=BASE_URL)
        self.assertEqual(len(mail.outbox), 3)
        self.assertEqual(Invitation.objects.filter(wave=wave).count(), 3)

    def test_it_counts_caseworkers_it_cannot_email_and_sends_once_an_address_is_added(self) -> None:
        self.caseworker_y.email = ""
        self.caseworker_y.save()
        wave = self.make_wave()
        report = self.open_now(wave)
        self.assertEqual((report.sending.sent, report.sending.not_sendable), (2, 1))
        self.assertIsNone(Invitation.objects.get(caseworker=self.caseworker_y).sent_at)

        self.caseworker_y.email = "y@example.dk"
        self.caseworker_y.save()
        opened, again = invitations.open_due_waves(base_url=BASE_URL)
        self.assertEqual((opened, again.sent), ([], 1))
        self.assertEqual(mail.outbox[-1].to, ["y@example.dk"])

    def test_it_leaves_an_invitation_unsent_when_the_mail_server_refuses_and_retries_later(self) -> None:
        wave = self.make_wave()
        with mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=OSError("down")):
            report = self.open_now(wave)
        self.assertEqual((report.sending.sent, report.sending.failed), (0, 3))
        self.assertFalse(Invitation.objects.filter(sent_at__isnull=False).exists())
        self.assertEqual(len(mail.outbox), 0)
        _, again = invitations.open_due_waves(base_url=BASE_URL)
        self.assertEqual(again.sent, 3)

    def test_it_records_the_invitations_in_the_audit_log(self) -> None:
        wave = self.make_wave()
        before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        self.open_now(wave)
        events = AuditEvent.objects.filter(id__gt=before)
        bulk = events.filter(action=AuditEvent.Action.BULK, object_type="measurement.Wave", object_id=str(wave.pk))
        self.assertEqual(
            sorted(map(sorted, bulk.values_list("detail", flat=True))),
            [["frozen_caseload_rows", "opened"], ["invitations_created"]],
        )
        sent = events.filter(action=AuditEvent.Action.UPDATE, object_type="measurement.Invitation")
        self.assertEqual(sent.count(), 3)
        self.assertTrue(all(d == {"invitation_sent": True} for d in sent.values_list("detail", flat=True)))


@override_settings(ROOT_URLCONF=URLCONF)
class SingleUseLinkTest(WaveTestCase):
    def setUp(self) -> None:
        self.wave = self.make_wave()
        self.open_now(self.wave)
        message = next(m for m in mail.outbox if m.to == ["caseworker_a@example.dk"])
        (self.token,) = tokens([message])
        self.url = reverse("invitation_login", args=[self.token])
        self.rating = reverse("rate_wave", args=[self.wave.pk])

    def test_it_shows_a_button_and_spends_nothing_on_a_get(self) -> None:
        # Mail scanners fetch links before people do: a GET must neither log in nor use the link up.
        for _ in range(2):
            response = self.client.get(self.url)
            self.assertContains(response, "Log ind og vurdér mine borgere")
            self.assertContains(response, 'method="post"')
        self.assertNotIn("_auth_user_id", self.client.session)
        self.assertIsNone(Invitation.objects.get(caseworker=self.caseworker_a).used_at)

    def test_it_logs_the_caseworker_in_once_and_leads_to_the_rating_page(self) -> None:
        response = self.client.post(self.url)
        self.assertRedirects(response, self.rating, fetch_redirect_response=False)
        self.assertEqual(self.client.session["_auth_user_id"], str(self.caseworker_a.pk))
        self.assertIsNotNone(Invitation.objects.get(caseworker=self.caseworker_a).used_at)

        # The second use, by anyone else (here: a fresh browser), is refused in Danish.
        self.client.logout()
        for method in (self.client.get, self.client.post):
            response = method(self.url)
            self.assertEqual(response.status_code, 410)
            self.assertContains(response, "Linket er brugt", status_code=410)
            self.assertContains(response, "Log ind som normalt", status_code=410)
            login = reverse("login") + "?" + urlencode({"next": self.rating})
            self.assertContains(response, f'href="{login.replace("&", "&amp;")}"', status_code=410)
            self.assertNotIn("_auth_user_id", self.client.session)

    def test_it_leads_the_logged_in_caseworker_on_from_a_used_link(self) -> None:
        self.client.post(self.url)
        self.client.logout()
        self.client.force_login(self.caseworker_a)  # logged in as usual
        self.assertRedirects(self.client.get(self.url), self.rating, fetch_redirect_response=False)
        # ...but never anyone else.
        self.client.force_login(self.caseworker_b)
        self.assertEqual(self.client.get(self.url).status_code, 410)

    def test_it_logs_in_only_once_when_two_requests_race(self) -> None:
        first = invitations.redeem(self.token)
        second = invitations.redeem(self.token)
        self.assertEqual((first.state, second.state), (invitations.LinkState.READY, invitations.LinkState.USED))

    def test_it_says_when_the_wave_has_closed(self) -> None:
        self.wave.closes_on = self.today - timedelta(days=1)
        self.wave.opens_on = self.today - timedelta(days=5)
        self.wave.save()
        for method in (self.client.get, self.client.post):
            response = method(self.url)
            self.assertContains(response, "Målingen er lukket", status_code=410)
            self.assertNotIn("_auth_user_id", self.client.session)

    def test_it_refuses_an_unknown_or_replaced_link(self) -> None:
        for bad in ("nonsense", self.token[:-1] + ("A" if self.token[-1] != "A" else "B"), "x" * 500):
            response = self.client.post(reverse("invitation_login", args=[bad]))
            self.assertContains(response, "Linket er ikke gyldigt", status_code=404)
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_it_never_logs_in_an_inactive_account_or_one_with_administrative_rights(self) -> None:
        self.caseworker_a.is_active = False
        self.caseworker_a.save()
        self.assertEqual(self.client.post(self.url).status_code, 404)
        self.caseworker_a.is_active = True
        self.caseworker_a.save()
        Membership.objects.create(staff=self.caseworker_a, role=Role.ADMINISTRATOR, start=self.today)
        self.assertEqual(self.client.post(self.url).status_code, 404)
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_it_records_the_link_use_and_the_login(self) -> None:
        before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        self.client.post(self.url)
        events = AuditEvent.objects.filter(id__gt=before)
        used = events.get(action=AuditEvent.Action.UPDATE, object_type="measurement.Invitation")
        self.assertEqual(used.detail, {"link_used": True})
        login = events.get(action=AuditEvent.Action.LOGIN)
        self.assertEqual(login.actor_id, self.caseworker_a.pk)


@override_settings(ROOT_URLCONF=URLCONF)
class ReminderTest(WaveTestCase):
    def _invitation(self, caseworker: object) -> Invitation:
        return Invitation.objects.get(caseworker=caseworker)

    def test_it_reminds_only_unfinished_caseworkers_once_per_reminder_day(self) -> None:
        wave = self.make_wave(closes_in=7)  # today is the 7-days-before reminder day
        self.open_now(wave)
        # The invitation went out before the day came; now B finishes, A half-finishes, Y does nothing.
        Invitation.objects.update(reminders_sent=[])
        self.answer(wave, self.caseworker_b, citizens=[self.citizen_b, self.citizen_moved], dont_know=True)
        self.answer(wave, self.caseworker_a, citizens=[self.citizen_a])
        mail.outbox.clear()

        report = invitations.send_reminders(base_url=BASE_URL)
        self.assertEqual(report.sent, 2)
        self.assertEqual(sorted(m.to[0] for m in mail.outbox), ["caseworker_a@example.dk", "caseworker_y@example.dk"])
        self.assertEqual(self._invitation(self.caseworker_a).reminders_sent, [7])
        self.assertEqual(self._invitation(self.caseworker_b).reminders_sent, [])

        for _ in range(3):  # idempotent
            self.assertEqual(invitations.send_reminders(base_url=BASE_URL).sent, 0)
        self.assertEqual(len(mail.outbox), 2)

    def test_it_sends_the_next_reminder_on_its_day_and_nothing_between(self) -> None:
        wave = self.make_wave(closes_in=10)
        self.open_now(wave)
        mail.outbox.clear()
        self.assertEqual(invitations.send_reminders(base_url=BASE_URL).sent, 0)  # 10 days left: none due
        later = timezone.now() + timedelta(days=3)  # 7 days left
        self.assertEqual(invitations.send_reminders(base_url=BASE_URL, now=later).sent, 3)
        for days in (4, 5, 6, 7):  # 6, 5, 4, 3 days left: nothing; 2 days left: the second reminder
            sent = invitations.send_reminders(base_url=BASE_URL, now=timezone.now() + timedelta(days=days)).sent
            self.assertEqual(sent, 0, f"{10 - days} days left")
        self.assertEqual(invitations.send_reminders(base_url=BASE_URL, now=timezone.now() + timedelta(days=8)).sent, 3)
        self.assertEqual(self._invitation(self.caseworker_a).reminders_sent, [7, 2])
        self.assertEqual(len(mail.outbox), 6)
        after_close = timezone.now() + timedelta(days=11)
        self.assertEqual(invitations.send_reminders(base_url=BASE_URL, now=after_close).sent, 0)

    def test_it_catches_up_a_missed_reminder_day_with_one_reminder(self) -> None:
        wave = self.make_wave(closes_in=10)
        self.open_now(wave)
        mail.outbox.clear()
        one_day_left = timezone.now() + timedelta(days=9)
        self.assertEqual(invitations.send_reminders(base_url=BASE_URL, now=one_day_left).sent, 3)
        self.assertEqual(self._invitation(self.caseworker_a).reminders_sent, [7, 2])
        self.assertEqual(invitations.send_reminders(base_url=BASE_URL, now=one_day_left).sent, 0)

    def test_it_counts_a_late_invitation_as_the_reminders_already_due(self) -> None:
        wave = self.make_wave(closes_in=5)  # opened with 5 days left: the 7-day reminder is covered
        self.open_now(wave)
        self.assertEqual(self._invitation(self.caseworker_a).reminders_sent, [7])
        self.assertEqual(invitations.send_reminders(base_url=BASE_URL).sent, 0)
        self.assertEqual(len(mail.outbox), 3)

    def test_it_carries_a_fresh_link_and_retires_the_old_one(self) -> None:
        wave = self.make_wave(closes_in=7)
        self.open_now(wave)
        Invitation.objects.update(reminders_sent=[])
        (old,) = tokens([m for m in mail.outbox if m.to == ["caseworker_a@example.dk"]])
        self.client.post(reverse("invitation_login", args=[old]))  # used once already
        self.client.logout()
        self.answer(wave, self.caseworker_a, citizens=[self.citizen_a])
        mail.outbox.clear()
        invitations.send_reminders(base_url=BASE_URL)

        reminder = next(m for m in mail.outbox if m.to == ["caseworker_a@example.dk"])
        (new,) = tokens([reminder])
        self.assertNotEqual(new, old)
        self.assertIn("Påmindelse: Måling 2", reminder.subject)
        self.assertIn("Kære Caseworker_A", reminder.body)
        self.assertIn("Du mangler at vurdere 1 af dine 2 borgere", reminder.body)
        self.assertEqual(self.client.post(reverse("invitation_login", args=[old])).status_code, 404)
        response = self.client.post(reverse("invitation_login", args=[new]))
        self.assertRedirects(response, reverse("rate_wave", args=[wave.pk]), fetch_redirect_response=False)

    def test_it_reminds_about_the_general_items_too(self) -> None:
        wave = self.make_wave(closes_in=2)
        self.open_now(wave)
        Invitation.objects.update(reminders_sent=[])
        self.answer(wave, self.caseworker_a, citizens=[self.citizen_a, self.citizen_a2], general=False)
        mail.outbox.clear()
        invitations.send_reminders(base_url=BASE_URL)
        reminder = next(m for m in mail.outbox if m.to == ["caseworker_a@example.dk"])
        self.assertIn("mangler at svare på spørgsmålene om dine borgere generelt", reminder.body)

    def test_it_records_each_reminder_in_the_audit_log(self) -> None:
        wave = self.make_wave(closes_in=7)
        self.open_now(wave)
        Invitation.objects.update(reminders_sent=[])
        before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        invitations.send_reminders(base_url=BASE_URL)
        details = list(
            AuditEvent.objects.filter(id__gt=before, object_type="measurement.Invitation").values_list(
                "detail", flat=True
            )
        )
        self.assertEqual(details, [{"reminder_sent": 7, "days_left": 7}] * 3)


@override_settings(ROOT_URLCONF=URLCONF)
class ReminderCommandAndTaskTest(WaveTestCase):
    def test_it_sends_reminders_from_the_command_once(self) -> None:
        wave = self.make_wave(closes_in=2)
        self.open_now(wave)
        Invitation.objects.update(reminders_sent=[])
        mail.outbox.clear()
        out = StringIO()
        call_command("send-reminders", "--base-url", BASE_URL, stdout=out)
        self.assertIn("3 reminders sent", out.getvalue())
        call_command("send-reminders", "--base-url", BASE_URL, stdout=out)
        self.assertIn("0 reminders sent", out.getvalue())
        self.assertEqual(len(mail.outbox), 3)
        self.assertEqual(
            set(
                AuditEvent.objects.filter(
                    object_type="measurement.Invitation", detail__has_key="reminder_sent"
                ).values_list("actor_label", "via")
            ),
            {("jobtro send-reminders", "cli")},
        )

    def test_it_fails_loudly_when_the_mail_server_refuses(self) -> None:
        wave = self.make_wave(closes_in=2)
        self.open_now(wave)
        Invitation.objects.update(reminders_sent=[])
        with (
            mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=OSError("down")),
            self.assertRaisesMessage(CommandError, "3 reminders could not be sent"),
        ):
            call_command("send-reminders", "--base-url", BASE_URL, stdout=StringIO())
        self.assertEqual(Invitation.objects.filter(reminders_sent=[]).count(), 3)  # to be retried

    def test_it_sends_reminders_from_the_task(self) -> None:
        wave = self.make_wave(closes_in=2)
        self.open_now(wave)
        Invitation.objects.update(reminders_sent=[])
        with override_settings(JOBTRO_BASE_URL=BASE_URL):
            self.assertEqual(tasks.send_reminders.call(), {"sent": 3, "not_sendable": 0, "failed": 0})
            self.assertEqual(tasks.send_reminders.call()["sent"], 0)


class MovedCitizenProgressTest(WaveTestCase):
    def test_it_does_not_count_a_citizen_who_moved_to_a_colleague_while_the_wave_was_open(self) -> None:
        from jobtro.measurement.models import CaseworkerAssignment

        wave = self.make_wave()
        self.open_now(wave)
        # Bo Berg moves from A to B after the wave opened: A's rating page no longer shows him.
        CaseworkerAssignment.objects.filter(citizen=self.citizen_a2, end__isnull=True).update(end=self.today)
        CaseworkerAssignment.objects.create(citizen=self.citizen_a2, caseworker=self.caseworker_b, start=self.today)
        self.answer(wave, self.caseworker_a, citizens=[self.citizen_a])
        progress = invitations.progress([wave])[(wave.pk, self.caseworker_a.pk)]
        self.assertEqual(progress.frozen, 1)
        self.assertTrue(progress.complete, progress)
