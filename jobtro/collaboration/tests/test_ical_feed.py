"""The iCalendar feeds: a person's and a municipality's, behind a secret token whose digest alone is kept.
They parse back (jobtro.lib.ical.parse_feed) with the same events as the person's calendar page, a moved
meeting's SEQUENCE goes up, and a revoked or replaced token is not found."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from urllib.parse import urlparse

from django.urls import reverse

from jobtro.collaboration import actions
from jobtro.collaboration.models import Activity, CalendarToken, Participant
from jobtro.collaboration.tests.test_views import ActivityFixture
from jobtro.lib.ical import MEDIA_TYPE, TZ, FeedEvent, activity_uid, parse_feed


class FeedTest(ActivityFixture):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.in_x.starts, cls.in_x.ends = time(9, 0), time(12, 30)
        cls.in_x.save()

    def _new_feed(self, persona: str, municipality: str = "") -> str:
        """Make a feed address as the user does on the calendar page; the path of the address shown once."""
        self.login(persona)
        response = self.client.post(
            reverse("collaboration:my_calendar"), {"action": "new", "municipality": municipality}
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("no-store", response["Cache-Control"])
        found = re.search(r'data-testid="feed-url">([^<]+)<', response.content.decode())
        assert found is not None
        return urlparse(found[1]).path

    def _events(self, path: str) -> list[FeedEvent]:
        self.client.logout()  # calendar clients do not log in
        response = self.client.get(path)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], MEDIA_TYPE)
        self.assertIn("private", response["Cache-Control"])
        return parse_feed(response.content)

    def test_the_personal_feed_has_the_same_events_as_the_calendar_page(self) -> None:
        path = self._new_feed("caseworker_a")
        page = self.client.get(reverse("collaboration:my_calendar")).content.decode()
        events = self._events(path)
        shown = [a for a in (self.in_x, self.cross) if a.title in page]
        self.assertEqual(len(shown), 2)
        self.assertNotIn(self.in_y.title, page)
        self.assertEqual(
            [(e.uid, e.start, e.summary) for e in events],
            [
                (activity_uid(self.in_x.pk), datetime(2025, 3, 4, 9, 0, tzinfo=TZ), "Lokalt møde Silkeborg"),
                (activity_uid(self.cross.pk), date(2025, 5, 6), "Erfaringsmøde 1"),
            ],
        )
        self.assertEqual(events[0].end, datetime(2025, 3, 4, 12, 30, tzinfo=TZ))
        self.assertEqual(events[1].end, date(2025, 5, 7))
        self.assertIn("Sparring om troen", events[0].description)
        self.assertTrue(events[0].url and events[0].url.endswith(f"/plan/{self.in_x.pk}/"))

    def test_a_moved_meetings_sequence_goes_up(self) -> None:
        path = self._new_feed("caseworker_a")
        before = {e.uid: e for e in self._events(path)}[activity_uid(self.cross.pk)]
        self.assertEqual(before.sequence, 0)
        actions.move_activity(self.cross, date(2025, 5, 13), self.personas["researcher"])
        after = {e.uid: e for e in self._events(path)}[activity_uid(self.cross.pk)]
        self.assertEqual(after.sequence, 1)
        self.assertEqual(after.start, date(2025, 5, 13))

    def test_a_cancelled_meeting_stays_in_the_feed_as_cancelled(self) -> None:
        Activity.objects.filter(pk=self.cross.pk).update(cancelled=True)
        path = self._new_feed("caseworker_a")
        event = {e.uid: e for e in self._events(path)}[activity_uid(self.cross.pk)]
        self.assertEqual(event.status, "CANCELLED")
        self.assertEqual(event.summary, "AFLYST: Erfaringsmøde 1")

    def test_only_the_digest_is_kept_and_a_revoked_or_replaced_token_is_not_found(self) -> None:
        first = self._new_feed("caseworker_a")
        token = first.rsplit("/", 1)[1].removesuffix(".ics")
        stored = CalendarToken.objects.get(staff=self.personas["caseworker_a"])
        self.assertEqual(stored.token_digest, actions.token_digest(token))
        self.assertNotIn(token, stored.token_digest)

        second = self._new_feed("caseworker_a")
        self.assertNotEqual(first, second)
        self.assertEqual(CalendarToken.objects.filter(staff=self.personas["caseworker_a"]).count(), 1)
        self.assertEqual(self.client.get(first).status_code, 404)
        self._events(second)

        self.login("caseworker_a")
        self.client.post(reverse("collaboration:my_calendar"), {"action": "revoke"})
        self.client.logout()
        self.assertEqual(self.client.get(second).status_code, 404)

    def test_a_personal_token_does_not_open_a_municipal_feed_and_a_deactivated_user_loses_it(self) -> None:
        path = self._new_feed("caseworker_a")
        token = path.rsplit("/", 1)[1].removesuffix(".ics")
        self.assertEqual(self.client.get(reverse("collaboration:municipality_feed", args=[token])).status_code, 404)
        user = self.personas["caseworker_a"]
        user.is_active = False
        user.save()
        self.assertEqual(self.client.get(path).status_code, 404)

    def test_the_municipal_feed_holds_the_municipalitys_and_the_cross_municipal_activities(self) -> None:
        events = self._events(self._new_feed("key_person", municipality="0740"))
        self.assertEqual([e.uid for e in events], [activity_uid(self.in_x.pk), activity_uid(self.cross.pk)])
        events = self._events(self._new_feed("data_manager_y", municipality="0727"))
        self.assertEqual([e.uid for e in events], [activity_uid(self.in_y.pk), activity_uid(self.cross.pk)])

    def test_the_municipal_feed_stops_when_the_role_ends(self) -> None:
        path = self._new_feed("key_person", municipality="0740")
        self.personas["key_person"].memberships.update(end=date(2025, 2, 1))
        self.assertEqual(self.client.get(path).status_code, 404)

    def test_a_person_with_nothing_gets_a_valid_empty_feed(self) -> None:
        Participant.objects.filter(staff=self.personas["team_leader"]).delete()
        self.assertEqual(self._events(self._new_feed("team_leader")), [])
