"""Every identifiable citizen shown is one READ event with its purpose; pseudonymised pages are not
identifiable reads."""

from __future__ import annotations

from django.test import override_settings
from django.urls import reverse

from jobtro.audit.models import AuditEvent
from jobtro.testing import PersonaTestCase, make_citizen

# The personas' passwords are hashed in every class's set-up; with the production hasher (slow on
# purpose) that would be most of these tests' run time, and hashing is not what they test.
fast_passwords = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])

IP = "192.0.2.44"


@fast_passwords
class ReadEventsTestCase(PersonaTestCase):
    def reads(self) -> list[AuditEvent]:
        return list(AuditEvent.objects.filter(action=AuditEvent.Action.READ).order_by("id"))

    def test_it_logs_one_read_per_citizen_shown_to_a_caseworker(self) -> None:
        user = self.login("caseworker_a")
        response = self.client.get(reverse("citizen_list"), REMOTE_ADDR=IP)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Anna Andersen")
        self.assertContains(response, "Bo Berg")
        self.assertNotContains(response, "Erik Eriksen")  # no longer A's citizen

        reads = self.reads()
        self.assertEqual(sorted(e.object_id for e in reads), sorted([str(self.citizen_a.pk), str(self.citizen_a2.pk)]))
        for event in reads:
            self.assertEqual(event.object_type, "measurement.Citizen")
            self.assertEqual(event.detail, {"purpose": "citizen list"})
            self.assertEqual((event.actor_id, event.actor_label), (user.pk, "caseworker_a"))
            self.assertEqual(event.ip, IP)
            self.assertEqual(event.path, reverse("citizen_list"))
            self.assertEqual(event.municipality_code, "0740")
            # The event names the citizen by pseudonym, never by name.
            self.assertIn(event.object_repr, {self.citizen_a.pseudonym, self.citizen_a2.pseudonym})

    def test_it_logs_only_the_citizens_on_the_page_shown(self) -> None:
        a = self.personas["caseworker_a"]
        for i in range(53):  # 2 + 53 = 55 citizens: 50 on page 1, 5 on page 2
            make_citizen(self.x, f"{i % 28 + 1:02d}0{i // 28 + 1}80{1000 + i}", f"Borger {i:02d}", a)
        self.login("caseworker_a")
        response = self.client.get(reverse("citizen_list"))
        page_1 = {str(c.pk) for c in response.context["page"].object_list}
        self.assertEqual(len(page_1), 50)
        self.assertEqual({e.object_id for e in self.reads()}, page_1)
        self.assertEqual(len(self.reads()), 50)

        response = self.client.get(reverse("citizen_list"), {"page": "2"})
        page_2 = {str(c.pk) for c in response.context["page"].object_list}
        self.assertEqual(len(page_2), 5)
        self.assertEqual(len(self.reads()), 55)
        self.assertEqual({e.object_id for e in self.reads()}, page_1 | page_2)

    def test_it_logs_each_viewing_again(self) -> None:
        self.login("caseworker_a")
        self.client.get(reverse("citizen_list"))
        self.client.get(reverse("citizen_list"))
        self.assertEqual(len(self.reads()), 4)

    def test_it_logs_the_citizen_page_with_its_purpose(self) -> None:
        self.login("caseworker_a")
        response = self.client.get(reverse("citizen_detail", args=[self.citizen_a.pseudonym]))
        self.assertEqual(response.status_code, 200)
        [event] = self.reads()
        self.assertEqual(event.object_id, str(self.citizen_a.pk))
        self.assertEqual(event.detail, {"purpose": "citizen page"})

    def test_it_logs_nothing_for_a_citizen_outside_the_caseload(self) -> None:
        self.login("caseworker_a")
        response = self.client.get(reverse("citizen_detail", args=[self.citizen_b.pseudonym]))
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.reads(), [])

    def test_it_logs_nothing_for_a_researchers_pseudonymised_list(self) -> None:
        self.login("researcher")
        response = self.client.get(reverse("citizen_list"))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, self.citizen_a.pseudonym)
        self.assertContains(response, self.citizen_y.pseudonym)
        self.assertNotContains(response, "Anna Andersen")
        self.assertEqual(self.reads(), [])

    def test_it_logs_nothing_for_a_researchers_pseudonymised_citizen_page(self) -> None:
        self.login("researcher")
        response = self.client.get(reverse("citizen_detail", args=[self.citizen_a.pseudonym]))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.reads(), [])
