"""The /audit/ page: 50 events a page, newest first, filtered by action, who, object, municipality
and date range - and nothing on it edits or deletes an event."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from django.contrib import admin
from django.test import override_settings
from django.urls import reverse

from jobtro.audit.models import AuditEvent
from jobtro.testing import PersonaTestCase

# The personas' passwords are hashed in every class's set-up; with the production hasher (slow on
# purpose) that would be most of these tests' run time, and hashing is not what they test.
fast_passwords = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])

T0 = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


def event(repr_: str, *, at: datetime = T0, **fields: object) -> AuditEvent:
    values: dict[str, object] = {
        "at": at,
        "actor_label": "tst-default",
        "action": AuditEvent.Action.UPDATE,
        "object_type": "organisation.Unit",
        "object_repr": repr_,
        "via": "web",
    }
    values.update(fields)
    return AuditEvent(**values)


@fast_passwords
class AuditLogViewTestCase(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        AuditEvent.objects.bulk_create(
            [
                event("row-read", action=AuditEvent.Action.READ, object_type="measurement.Citizen"),
                event("row-delete", action=AuditEvent.Action.DELETE, municipality_code="0727"),
                event("row-login", action=AuditEvent.Action.LOGIN, actor_label="tst-Jens Hansen"),
                event("row-odder", municipality_code="0727", actor_label="tst-odder-import"),
                event("row-silkeborg", municipality_code="0740", actor_label="tst-silkeborg-import"),
                event("row-assign", object_type="measurement.CaseworkerAssignment"),
                # Local dates (Europe/Copenhagen): 23:30 UTC on 1 March is 00:30 on 2 March there.
                event("day-feb28", at=datetime(2025, 2, 28, 12, 0, tzinfo=UTC), actor_label="tst-dated"),
                event("day-mar01", at=datetime(2025, 3, 1, 12, 0, tzinfo=UTC), actor_label="tst-dated"),
                event("day-mar02-early", at=datetime(2025, 3, 1, 23, 30, tzinfo=UTC), actor_label="tst-dated"),
                event("day-mar03", at=datetime(2025, 3, 3, 8, 0, tzinfo=UTC), actor_label="tst-dated"),
            ]
        )

    def setUp(self) -> None:
        self.login("researcher")

    def shown(self, **query: str) -> list[str]:
        """The object_repr of every event on the page, in order (by default only this test's events,
        all by an actor whose label starts with "tst-"; the set-up has logged its own)."""
        query.setdefault("who", "tst-")
        response = self.client.get(reverse("audit_log"), query)
        self.assertEqual(response.status_code, 200)
        return [e.object_repr for e in response.context["page"].object_list]

    def test_it_pages_by_fifty_newest_first(self) -> None:
        AuditEvent.objects.bulk_create(
            event(f"pager-{i:03d}", actor_label="pager-bot", at=T0 + timedelta(minutes=i)) for i in range(120)
        )
        response = self.client.get(reverse("audit_log"), {"who": "pager-bot"})
        page = response.context["page"]
        self.assertEqual((page.paginator.count, page.paginator.num_pages), (120, 3))
        self.assertEqual(self.shown(who="pager-bot"), [f"pager-{i:03d}" for i in range(119, 69, -1)])
        self.assertContains(response, "pager-119")
        self.assertNotContains(response, "pager-069")
        # The next-page link keeps the filter.
        self.assertRegex(response.content.decode(), r'href="\?[^"]*who=pager-bot[^"]*page=2"')
        self.assertEqual(self.shown(who="pager-bot", page="2"), [f"pager-{i:03d}" for i in range(69, 19, -1)])
        self.assertEqual(self.shown(who="pager-bot", page="3"), [f"pager-{i:03d}" for i in range(19, -1, -1)])
        # A page number past the end or not a number gives a real page, not an error.
        self.assertEqual(len(self.shown(who="pager-bot", page="99")), 20)
        self.assertEqual(len(self.shown(who="pager-bot", page="x")), 50)

    def test_it_filters_by_action(self) -> None:
        shown = self.shown(action="delete")
        self.assertEqual(shown, ["row-delete"])
        shown = self.shown(action="read")
        self.assertEqual(shown, ["row-read"])
        self.assertIn("row-read", self.shown(action="not-an-action"))  # an unknown action filters nothing
        self.assertIn("row-delete", self.shown(action="not-an-action"))

    def test_it_filters_by_who(self) -> None:
        self.assertEqual(self.shown(who="jens"), ["row-login"])  # part of the name, any case
        self.assertEqual(self.shown(who="  Odder-Import "), ["row-odder"])

    def test_it_filters_by_object_type_or_description(self) -> None:
        self.assertEqual(self.shown(object="CaseworkerAssignment"), ["row-assign"])
        self.assertEqual(self.shown(object="measurement.citizen"), ["row-read"])
        self.assertEqual(sorted(self.shown(object="row-s")), ["row-silkeborg"])

    def test_it_filters_by_municipality(self) -> None:
        self.assertEqual(sorted(self.shown(municipality="0727")), ["row-delete", "row-odder"])
        self.assertEqual(self.shown(municipality="0740", who="tst-"), ["row-silkeborg"])

    def test_it_filters_by_date_range_in_local_days(self) -> None:
        self.assertEqual(self.shown(who="dated", **{"from": "2025-03-01", "to": "2025-03-01"}), ["day-mar01"])
        self.assertEqual(self.shown(who="dated", **{"from": "2025-03-02", "to": "2025-03-02"}), ["day-mar02-early"])
        self.assertEqual(self.shown(who="dated", **{"from": "2025-03-02"}), ["day-mar03", "day-mar02-early"])
        self.assertEqual(self.shown(who="dated", to="2025-02-28"), ["day-feb28"])
        self.assertEqual(len(self.shown(who="dated", **{"from": "not-a-date"})), 4)  # ignored, not an error

    def test_it_combines_filters(self) -> None:
        self.assertEqual(self.shown(action="update", municipality="0727"), ["row-odder"])
        self.assertEqual(self.shown(action="delete", who="jens"), [])

    def test_it_shows_all_events_unfiltered(self) -> None:
        response = self.client.get(reverse("audit_log"))
        self.assertEqual(response.context["page"].paginator.count, AuditEvent.objects.count())
        self.assertGreater(AuditEvent.objects.count(), 10)

    def test_it_has_no_form_to_edit_or_delete(self) -> None:
        response = self.client.get(reverse("audit_log"))
        html = response.content.decode()
        forms = re.findall(r"<form\b[^>]*>", html)
        post_forms = [f for f in forms if re.search(r'method="post"', f, re.IGNORECASE)]
        # The only POST forms are the page frame's log-out and language buttons.
        targets = [m.group(1) for f in post_forms if (m := re.search(r'action="([^"]*)"', f))]
        self.assertEqual(len(targets), len(post_forms), post_forms)  # every POST form names its target
        self.assertLessEqual(set(targets), {reverse("logout"), reverse("set_language")})
        self.assertTrue(all('method="get"' in f for f in forms if f not in post_forms))
        self.assertNotIn("/delete/", html)
        self.assertNotIn("/change/", html)

    def test_it_changes_nothing_on_post(self) -> None:
        before = list(AuditEvent.objects.values_list("id", "object_repr", "action"))
        self.client.post(reverse("audit_log"), {"action": "delete", "id": str(before[0][0])})
        after = list(AuditEvent.objects.values_list("id", "object_repr", "action"))
        self.assertEqual(after[: len(before)], before)

    def test_it_is_not_in_the_admin(self) -> None:
        self.assertFalse(admin.site.is_registered(AuditEvent))
        self.login("administrator")
        self.assertEqual(self.client.get("/admin/audit/auditevent/").status_code, 404)

    def test_it_is_for_researchers_and_administrators_only(self) -> None:
        self.assertEqual(self.client.get(reverse("audit_log")).status_code, 200)
        self.login("administrator")
        self.assertEqual(self.client.get(reverse("audit_log")).status_code, 200)
        for persona in ("caseworker_a", "team_leader", "key_person", "data_manager_y", "outsider"):
            self.login(persona)
            self.assertEqual(self.client.get(reverse("audit_log")).status_code, 403, persona)
