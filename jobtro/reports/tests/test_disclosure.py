"""Disclosure control as views apply it (jobtro.reports.disclosure): the threshold is the setting,
researchers see every count, everyone else gets suppression."""

from __future__ import annotations

from datetime import timedelta

from django.test import override_settings
from django.urls import reverse

from jobtro.lib.disclosure import Cell
from jobtro.organisation.models import Membership, Role
from jobtro.reports import disclosure
from jobtro.testing import START, PersonaTestCase

# The personas' passwords are hashed in every class's set-up; with the production hasher (slow on
# purpose) that would be most of these tests' run time, and hashing is not what they test.
fast_passwords = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])

COUNTS = [2, 3, 10, 0]


def values(cells: list[Cell]) -> list[int | None]:
    return [c.value for c in cells]


@fast_passwords
class DisclosureForUsersTestCase(PersonaTestCase):
    def test_it_reads_the_threshold_from_the_setting(self) -> None:
        self.assertEqual(disclosure.threshold(), 5)
        with override_settings(JOBTRO_DISCLOSURE_THRESHOLD=3):
            self.assertEqual(disclosure.threshold(), 3)

    def test_it_suppresses_for_everyone_but_researchers(self) -> None:
        for persona in ("caseworker_a", "team_leader", "key_person", "data_manager_y", "administrator", "outsider"):
            with self.subTest(persona=persona):
                user = self.personas[persona]
                self.assertEqual(values(disclosure.counts_for(user, COUNTS)), [None, None, 10, 0])
                self.assertEqual(disclosure.total_for(user, 4), Cell(None, None))
                self.assertEqual(disclosure.total_for(user, 15), Cell(15, 15))

    def test_it_exempts_researchers(self) -> None:
        researcher = self.personas["researcher"]
        self.assertEqual(disclosure.counts_for(researcher, COUNTS), [Cell(c, c) for c in COUNTS])
        self.assertEqual(disclosure.total_for(researcher, 1), Cell(1, 1))

    def test_it_exempts_a_researcher_who_also_leads_a_team(self) -> None:
        leader = self.personas["team_leader"]
        Membership.objects.create(staff=leader, role=Role.RESEARCHER, start=START)
        self.assertEqual(values(disclosure.counts_for(leader, COUNTS)), COUNTS)

    def test_it_follows_the_threshold_setting(self) -> None:
        leader = self.personas["team_leader"]
        with override_settings(JOBTRO_DISCLOSURE_THRESHOLD=3):
            # 2 is small; with the total shown, the next-smallest (3) is hidden too.
            self.assertEqual(values(disclosure.counts_for(leader, COUNTS)), [None, None, 10, 0])
            self.assertEqual(values(disclosure.counts_for(leader, COUNTS, total_shown=False)), [None, 3, 10, 0])
            self.assertEqual(disclosure.total_for(leader, 3), Cell(3, 3))
        with override_settings(JOBTRO_DISCLOSURE_THRESHOLD=11):
            self.assertEqual(values(disclosure.counts_for(leader, COUNTS)), [None, None, None, 0])
        with override_settings(JOBTRO_DISCLOSURE_THRESHOLD=1):
            self.assertEqual(values(disclosure.counts_for(leader, COUNTS)), COUNTS)

    def test_it_no_longer_exempts_a_former_researcher(self) -> None:
        researcher = self.personas["researcher"]
        Membership.objects.filter(staff=researcher).update(end=START + timedelta(days=1))
        researcher = type(researcher).objects.get(pk=researcher.pk)  # memberships are cached per user object
        self.assertEqual(values(disclosure.counts_for(researcher, COUNTS)), [None, None, 10, 0])


@fast_passwords
class DisclosureInPagesTestCase(PersonaTestCase):
    """Each team in X has 2 citizens in its caseworkers' current caseloads."""

    def team_cells(self) -> list[int | None]:
        response = self.client.get(reverse("home"))
        self.assertEqual(response.status_code, 200)
        [section] = response.context["leader_sections"]
        return [row["citizens"].value for row in section["teams"]]

    def test_it_hides_small_team_counts_from_a_team_leader(self) -> None:
        self.login("team_leader")
        self.assertEqual(self.team_cells(), [None, None])
        with override_settings(JOBTRO_DISCLOSURE_THRESHOLD=2):
            self.assertEqual(self.team_cells(), [2, 2])

    def test_it_hides_a_small_caseload_total_on_the_team_page(self) -> None:
        url = reverse("unit_detail", args=[self.team_x1.pk])
        self.login("key_person")
        self.assertEqual(self.client.get(url).context["caseload_total"], Cell(None, None))
        with override_settings(JOBTRO_DISCLOSURE_THRESHOLD=2):
            self.assertEqual(self.client.get(url).context["caseload_total"], Cell(2, 2))
        self.login("researcher")
        self.assertEqual(self.client.get(url).context["caseload_total"], Cell(2, 2))
