"""The activity plan's pages: who sees which activity, who is named, the 4-5 representatives rule, and
moving a meeting (researchers only, to a working day, bumping the iCalendar SEQUENCE)."""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from jobtro.audit.models import AuditEvent
from jobtro.collaboration.models import Activity, ExpertTalk, Participant
from jobtro.organisation.models import Municipality, Staff
from jobtro.testing import PersonaTestCase

NOT_WORKING = "ikke en arbejdsdag"


class ActivityFixture(PersonaTestCase):
    in_x: Activity
    in_y: Activity
    cross: Activity

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()

        def activity(title: str, municipality: Municipality | None, day: date, **extra: object) -> Activity:
            return Activity.objects.create(
                project=cls.project,
                title=title,
                kind=Activity.Kind.LOCAL if municipality else Activity.Kind.EXPERIENCE,
                format=Activity.Format.HALF_DAY if municipality else Activity.Format.FULL_DAY,
                municipality=municipality,
                day=day,
                venue=Activity.Venue.RESEARCH_CENTRE,
                **extra,
            )

        cls.in_x = activity("Lokalt møde Silkeborg", cls.x, date(2025, 3, 4), agenda="Sparring om troen")
        cls.in_y = activity("Lokalt møde Odder", cls.y, date(2025, 3, 5))
        cls.cross = activity("Erfaringsmøde 1", None, date(2025, 5, 6), minutes="Referat: godt møde", generated=True)
        ExpertTalk.objects.create(activity=cls.cross, expert="Jens Ekspert", topic="Tro og forventninger")
        p = cls.personas
        for staff in (p["caseworker_a"], p["caseworker_b"], p["team_leader"], p["key_person"]):
            Participant.objects.create(activity=cls.cross, staff=staff, municipality=cls.x, attended=True)
        Participant.objects.create(activity=cls.cross, staff=cls.caseworker_y, municipality=cls.y, attended=False)
        Participant.objects.create(activity=cls.in_x, staff=p["caseworker_a"], municipality=cls.x)


class TimelineAccessTest(ActivityFixture):
    def _page(self, persona: str) -> str:
        self.login(persona)
        response = self.client.get(reverse("collaboration:timeline"))
        self.assertEqual(response.status_code, 200)
        return response.content.decode()

    def test_it_shows_the_centre_every_activity(self) -> None:
        for persona in ("researcher", "administrator"):
            page = self._page(persona)
            for title in ("Lokalt møde Silkeborg", "Lokalt møde Odder", "Erfaringsmøde 1"):
                self.assertIn(title, page)

    def test_it_never_shows_municipality_x_the_individual_activities_of_y(self) -> None:
        for persona in ("caseworker_a", "caseworker_b", "team_leader", "key_person"):
            page = self._page(persona)
            self.assertIn("Lokalt møde Silkeborg", page)
            self.assertIn("Erfaringsmøde 1", page)
            self.assertNotIn("Lokalt møde Odder", page)
        page = self._page("data_manager_y")
        self.assertIn("Lokalt møde Odder", page)
        self.assertIn("Erfaringsmøde 1", page)
        self.assertNotIn("Lokalt møde Silkeborg", page)

    def test_it_shows_a_participant_without_a_role_only_what_they_are_invited_to(self) -> None:
        self.assertEqual(self.client.get(reverse("collaboration:timeline")).status_code, 302)
        self.login("outsider")
        self.assertEqual(self.client.get(reverse("collaboration:timeline")).status_code, 403)
        Participant.objects.create(activity=self.in_y, staff=self.personas["outsider"])
        page = self._page("outsider")
        self.assertIn("Lokalt møde Odder", page)
        self.assertNotIn("Lokalt møde Silkeborg", page)
        self.assertNotIn("Erfaringsmøde 1", page)
        url = reverse("collaboration:activity_detail", args=[self.in_x.pk])
        self.assertEqual(self.client.get(url).status_code, 404)

    def test_it_shows_attendance_minutes_and_the_representatives_rule(self) -> None:
        page = self._page("researcher")
        self.assertIn("4 af 5 deltog", page)
        self.assertIn("Referat skrevet", page)
        # X invited 4 (within the rule), Y only 1: a warning for Y, none for X.
        self.assertIn("Odder har 1 inviterede", page)
        self.assertNotIn("Silkeborg har", page)
        # X's staff see only their own municipality checked.
        page = self._page("key_person")
        self.assertNotIn("Odder har", page)
        self.assertIn("4-5 repræsentanter fra hver kommune", page)

    def test_it_gives_only_researchers_the_move_control(self) -> None:
        self.assertIn('data-testid="move-form"', self._page("researcher"))
        for persona in ("administrator", "key_person", "data_manager_y"):
            self.assertNotIn('data-testid="move-form"', self._page(persona))


class ActivityDetailTest(ActivityFixture):
    def test_it_names_own_municipalitys_people_and_counts_the_others(self) -> None:
        url = reverse("collaboration:activity_detail", args=[self.cross.pk])
        self.login("key_person")
        page = self.client.get(url).content.decode()
        self.assertIn("Caseworker_A", page)
        self.assertNotIn("Caseworker_Y", page)
        self.assertIn("Odder: 1 person", page)
        self.assertIn("Jens Ekspert", page)
        self.assertIn("Referat: godt møde", page)

        self.login("data_manager_y")
        page = self.client.get(url).content.decode()
        self.assertIn("Caseworker_Y", page)
        self.assertNotIn("Caseworker_A", page)
        self.assertIn("Silkeborg: 4 personer", page)

        self.login("researcher")
        page = self.client.get(url).content.decode()
        self.assertIn("Caseworker_A", page)
        self.assertIn("Caseworker_Y", page)

    def test_it_hides_other_municipalities_activities(self) -> None:
        self.login("caseworker_a")
        self.assertEqual(
            self.client.get(reverse("collaboration:activity_detail", args=[self.in_y.pk])).status_code, 404
        )
        self.assertContains(self.client.get(reverse("collaboration:activity_detail", args=[self.in_x.pk])), "Sparring")


class MoveActivityTest(ActivityFixture):
    def _move(self, persona: str, activity: Activity, day: str) -> tuple[int, str]:
        self.login(persona)
        response = self.client.post(
            reverse("collaboration:activity_move", args=[activity.pk]), {"day": day}, follow=True
        )
        return response.status_code, response.content.decode()

    def test_a_researcher_moves_a_meeting_to_a_working_day(self) -> None:
        status, page = self._move("researcher", self.cross, "2025-05-13")
        self.assertEqual(status, 200)
        self.assertIn("er flyttet til", page)
        self.cross.refresh_from_db()
        self.assertEqual(self.cross.day, date(2025, 5, 13))
        self.assertEqual(self.cross.sequence, 1)
        self.assertTrue(self.cross.generated, "a moved generated meeting stays the plan's meeting")
        self.assertTrue(
            AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE, detail__changes__day__isnull=False).exists()
        )
        self._move("researcher", self.cross, "2025-05-14")
        self.cross.refresh_from_db()
        self.assertEqual(self.cross.sequence, 2)

    def test_it_refuses_a_saturday_and_a_holiday(self) -> None:
        for day in ("2025-05-10", "2025-12-25", "2025-12-24"):
            status, page = self._move("researcher", self.cross, day)
            self.assertEqual(status, 200)
            self.assertIn(NOT_WORKING, page, day)
            self.cross.refresh_from_db()
            self.assertEqual(self.cross.day, date(2025, 5, 6))
            self.assertEqual(self.cross.sequence, 0)

    def test_nobody_else_moves(self) -> None:
        for persona in ("administrator", "key_person", "caseworker_a", "data_manager_y", "outsider"):
            status, _ = self._move(persona, self.in_x, "2025-03-11")
            self.assertEqual(status, 403, persona)
        self.in_x.refresh_from_db()
        self.assertEqual(self.in_x.day, date(2025, 3, 4))
        self.client.logout()
        response = self.client.post(reverse("collaboration:activity_move", args=[self.in_x.pk]), {"day": "2025-03-11"})
        self.assertEqual(response.status_code, 302)
        self.in_x.refresh_from_db()
        self.assertEqual(self.in_x.day, date(2025, 3, 4))


class MyCalendarTest(ActivityFixture):
    def test_it_lists_only_the_users_own_activities(self) -> None:
        self.login("caseworker_a")
        page = self.client.get(reverse("collaboration:my_calendar")).content.decode()
        self.assertIn("Lokalt møde Silkeborg", page)
        self.assertIn("Erfaringsmøde 1", page)
        self.login("team_leader")
        page = self.client.get(reverse("collaboration:my_calendar")).content.decode()
        self.assertIn("Erfaringsmøde 1", page)
        self.assertNotIn("Lokalt møde Silkeborg", page)

    def test_it_offers_a_municipal_feed_only_for_own_municipalities(self) -> None:
        self.login("key_person")
        page = self.client.get(reverse("collaboration:my_calendar")).content.decode()
        self.assertIn('value="0740"', page)
        self.assertNotIn('value="0727"', page)
        response = self.client.post(reverse("collaboration:my_calendar"), {"action": "new", "municipality": "0727"})
        self.assertEqual(response.status_code, 404)
        self.login("researcher")
        self.assertNotIn('name="municipality"', self.client.get(reverse("collaboration:my_calendar")).content.decode())

    def test_staff_are_staff(self) -> None:
        self.assertIsInstance(self.personas["researcher"], Staff)
