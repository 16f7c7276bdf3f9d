"""Logging in, logging out and failing to log in are audit events, with the IP they came from."""

from __future__ import annotations

from django.test import override_settings
from django.urls import reverse

from jobtro.audit.models import AuditEvent
from jobtro.testing import PASSWORD, PersonaTestCase

# The personas' passwords are hashed in every class's set-up; with the production hasher (slow on
# purpose) that would be most of these tests' run time, and hashing is not what they test.
fast_passwords = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])

IP = "198.51.100.7"


@fast_passwords
class LoginEventsTestCase(PersonaTestCase):
    def setUp(self) -> None:
        self.mark = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    def new_events(self) -> list[AuditEvent]:
        return list(AuditEvent.objects.filter(id__gt=self.mark).order_by("id"))

    def test_it_logs_a_login_with_ip(self) -> None:
        user = self.personas["caseworker_a"]
        response = self.client.post(
            reverse("login"), {"username": "caseworker_a", "password": PASSWORD}, REMOTE_ADDR=IP
        )
        self.assertRedirects(response, reverse("home"), fetch_redirect_response=False)
        [event] = self.new_events()  # last_login changes too, but that is not a separate event
        self.assertEqual(event.action, AuditEvent.Action.LOGIN)
        self.assertEqual((event.actor_id, event.actor_label), (user.pk, "caseworker_a"))
        self.assertEqual((event.object_type, event.object_id), ("organisation.Staff", str(user.pk)))
        self.assertEqual(event.ip, IP)
        self.assertEqual(event.path, reverse("login"))

    def test_it_logs_a_logout_with_ip(self) -> None:
        user = self.login("caseworker_a")
        self.mark = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        response = self.client.post(reverse("logout"), REMOTE_ADDR=IP)
        self.assertEqual(response.status_code, 302)
        [event] = self.new_events()
        self.assertEqual(event.action, AuditEvent.Action.LOGOUT)
        self.assertEqual((event.actor_id, event.actor_label), (user.pk, "caseworker_a"))
        self.assertEqual(event.object_id, str(user.pk))
        self.assertEqual(event.ip, IP)
        # Logged out for real: the next page asks for a login again.
        self.assertEqual(self.client.get(reverse("home")).status_code, 302)

    def test_it_writes_nothing_for_a_logout_without_a_session(self) -> None:
        self.client.post(reverse("logout"), REMOTE_ADDR=IP)
        self.assertEqual(self.new_events(), [])

    def test_it_logs_a_failed_login_with_ip_and_the_attempted_username_but_not_the_password(self) -> None:
        wrong = "not-the-password-42"
        response = self.client.post(reverse("login"), {"username": "caseworker_a", "password": wrong}, REMOTE_ADDR=IP)
        self.assertEqual(response.status_code, 200)  # the form again, with an error
        [event] = self.new_events()
        self.assertEqual(event.action, AuditEvent.Action.LOGIN_FAILED)
        self.assertIsNone(event.actor_id)
        self.assertEqual(event.actor_label, "anonymous")
        self.assertEqual(event.object_type, "organisation.Staff")
        self.assertEqual(event.object_repr, "caseworker_a")
        self.assertEqual(event.ip, IP)
        self.assertNotIn(wrong, str(event.detail) + event.object_repr + event.path)

    def test_it_logs_a_failed_login_for_an_unknown_username(self) -> None:
        self.client.post(reverse("login"), {"username": "nobody", "password": "whatever-123"}, REMOTE_ADDR=IP)
        [event] = self.new_events()
        self.assertEqual((event.action, event.object_repr, event.ip), (AuditEvent.Action.LOGIN_FAILED, "nobody", IP))
