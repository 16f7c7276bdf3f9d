"""The researchers' activity pages: adding a research visit (on a working day), editing minutes, cancelling
(SEQUENCE bumped), inviting and recording attendance and km, expert talks; every other role is refused."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

from django.urls import reverse

from jobtro.audit.models import AuditEvent
from jobtro.collaboration.models import Activity, ExpertTalk, Participant
from jobtro.collaboration.tests.test_views import NOT_WORKING, ActivityFixture

VISIT = {
    "kind": Activity.Kind.RESEARCH_VISIT,
    "format": Activity.Format.HALF_DAY,
    "municipality": "0740",
    "title": "Forskningsbesøg: observation af visitationssamtaler",
    "day": "2025-04-08",
    "starts": "09:00",
    "ends": "12:00",
    "venue": Activity.Venue.MUNICIPALITY,
    "venue_municipality": "0740",
    "address": "Jobcenter Silkeborg, Søvej 1",
    "agenda": "Observation og interview med to sagsbehandlere",
}


def _edit_data(activity: Activity, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "kind": activity.kind,
        "format": activity.format,
        "municipality": activity.municipality_id or "",
        "title": activity.title,
        "day": activity.day.isoformat(),
        "starts": activity.starts.strftime("%H:%M") if activity.starts else "",
        "ends": activity.ends.strftime("%H:%M") if activity.ends else "",
        "venue": activity.venue,
        "venue_municipality": activity.venue_municipality_id or "",
        "address": activity.address,
        "agenda": activity.agenda,
        "minutes": activity.minutes,
    }
    if activity.cancelled:
        data["cancelled"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


class CreateActivityTest(ActivityFixture):
    def test_a_researcher_adds_a_research_visit(self) -> None:
        self.login("researcher")
        page = self.client.get(reverse("collaboration:activity_create")).content.decode()
        self.assertIn('data-testid="activity-form"', page)
        response = self.client.post(reverse("collaboration:activity_create"), VISIT, follow=True)
        self.assertEqual(response.status_code, 200)
        visit = Activity.objects.get(title=VISIT["title"])
        self.assertEqual(visit.kind, Activity.Kind.RESEARCH_VISIT)
        self.assertEqual((visit.day, visit.starts, visit.ends), (date(2025, 4, 8), time(9), time(12)))
        self.assertEqual((visit.municipality, visit.venue_municipality), (self.x, self.x))
        self.assertFalse(visit.generated)
        self.assertRedirects(response, reverse("collaboration:activity_detail", args=[visit.pk]))
        self.assertContains(response, "Søvej 1")
        self.assertTrue(AuditEvent.objects.filter(object_id=str(visit.pk)).exists())

    def test_a_weekend_or_a_holiday_is_refused(self) -> None:
        self.login("researcher")
        for day in ("2025-04-12", "2025-04-17"):  # a Saturday; Maundy Thursday
            response = self.client.post(reverse("collaboration:activity_create"), {**VISIT, "day": day})
            self.assertEqual(response.status_code, 200)
            self.assertIn(NOT_WORKING, response.content.decode())
        self.assertFalse(Activity.objects.filter(title=VISIT["title"]).exists())

    def test_it_checks_times_and_the_venue(self) -> None:
        self.login("researcher")
        response = self.client.post(
            reverse("collaboration:activity_create"), {**VISIT, "ends": "08:00", "venue_municipality": ""}
        )
        self.assertEqual(response.status_code, 200)
        self.assertFalse(Activity.objects.filter(title=VISIT["title"]).exists())


class EditActivityTest(ActivityFixture):
    def test_a_researcher_writes_the_minutes_without_bumping_the_sequence(self) -> None:
        self.login("researcher")
        url = reverse("collaboration:activity_edit", args=[self.in_x.pk])
        self.assertContains(self.client.get(url), "Sparring om troen")
        response = self.client.post(url, _edit_data(self.in_x, minutes="Referat: vi talte om troen"))
        self.assertRedirects(response, reverse("collaboration:activity_detail", args=[self.in_x.pk]))
        self.in_x.refresh_from_db()
        self.assertEqual(self.in_x.minutes, "Referat: vi talte om troen")
        self.assertEqual(self.in_x.sequence, 0)

    def test_cancelling_bumps_the_sequence(self) -> None:
        self.login("researcher")
        url = reverse("collaboration:activity_edit", args=[self.cross.pk])
        self.client.post(url, _edit_data(self.cross, cancelled="on"))
        self.cross.refresh_from_db()
        self.assertTrue(self.cross.cancelled)
        self.assertEqual(self.cross.sequence, 1)
        # Saving again unchanged changes nothing.
        self.client.post(url, _edit_data(self.cross))
        self.cross.refresh_from_db()
        self.assertEqual(self.cross.sequence, 1)
        self.assertContains(self.client.get(reverse("collaboration:activity_detail", args=[self.cross.pk])), "aflyst")

    def test_a_new_date_must_be_a_working_day(self) -> None:
        self.login("researcher")
        url = reverse("collaboration:activity_edit", args=[self.in_x.pk])
        response = self.client.post(url, _edit_data(self.in_x, day="2025-03-08"))
        self.assertIn(NOT_WORKING, response.content.decode())
        self.in_x.refresh_from_db()
        self.assertEqual(self.in_x.day, date(2025, 3, 4))


class ParticipantsTest(ActivityFixture):
    def test_a_researcher_invites_people_grouped_by_municipality(self) -> None:
        self.login("researcher")
        url = reverse("collaboration:activity_participants", args=[self.cross.pk])
        page = self.client.get(url).content.decode()
        self.assertIn("Silkeborg", page)
        self.assertIn("Odder", page)
        self.assertIn("Forskningscentret", page)
        self.assertIn("Odder har 1 inviterede", page)  # the timeline's 4-5 rule
        p = self.personas
        invited = [f"0740:{p[n].pk}" for n in ("caseworker_a", "caseworker_b", "team_leader", "key_person")]
        invited += [f"0727:{self.caseworker_y.pk}", f"0727:{p['data_manager_y'].pk}", f"centre:{p['researcher'].pk}"]
        response = self.client.post(url, {"action": "invite", "invited": invited})
        self.assertRedirects(response, url)
        rows = {(r.staff_id, r.municipality_id) for r in Participant.objects.filter(activity=self.cross)}
        self.assertIn((p["data_manager_y"].pk, "0727"), rows)
        self.assertIn((p["researcher"].pk, None), rows)
        self.assertEqual(len(rows), 7)
        # Attendance recorded earlier is kept for those still invited.
        self.assertTrue(Participant.objects.get(activity=self.cross, staff=p["caseworker_a"]).attended)
        # Uninviting removes the row.
        self.client.post(url, {"action": "invite", "invited": invited[:4]})
        self.assertEqual(Participant.objects.filter(activity=self.cross).count(), 4)

    def test_a_researcher_records_attendance_and_km_after_the_day(self) -> None:
        self.login("researcher")
        url = reverse("collaboration:activity_participants", args=[self.cross.pk])
        participants = list(self.cross.participants.order_by("municipality", "pk"))
        data: dict[str, object] = {
            "action": "attendance",
            "attendance-TOTAL_FORMS": len(participants),
            "attendance-INITIAL_FORMS": len(participants),
        }
        for i, participant in enumerate(participants):
            data[f"attendance-{i}-participant"] = participant.pk
            data[f"attendance-{i}-attended"] = "no" if i == 0 else "yes"
            data[f"attendance-{i}-km"] = "42.5"
        self.assertRedirects(self.client.post(url, data), url)
        rows = list(self.cross.participants.order_by("municipality", "pk"))
        self.assertEqual([r.attended for r in rows], [False] + [True] * (len(rows) - 1))
        self.assertTrue(all(r.km == Decimal("42.5") for r in rows))
        # Negative km is refused.
        data["attendance-0-km"] = "-1"
        self.assertEqual(self.client.post(url, data).status_code, 200)
        self.assertEqual(rows[0].km, Participant.objects.get(pk=rows[0].pk).km)

    def test_attendance_waits_for_the_day(self) -> None:
        future = Activity.objects.create(
            project=self.project,
            title="Erfaringsmøde 3",
            kind=Activity.Kind.EXPERIENCE,
            format=Activity.Format.FULL_DAY,
            day=date(2099, 3, 3),
            venue=Activity.Venue.RESEARCH_CENTRE,
        )
        participant = Participant.objects.create(
            activity=future, staff=self.personas["key_person"], municipality=self.x
        )
        self.login("researcher")
        url = reverse("collaboration:activity_participants", args=[future.pk])
        self.assertNotIn('data-testid="attendance-form"', self.client.get(url).content.decode())
        data = {
            "action": "attendance",
            "attendance-TOTAL_FORMS": 1,
            "attendance-INITIAL_FORMS": 1,
            "attendance-0-participant": participant.pk,
            "attendance-0-attended": "yes",
            "attendance-0-km": "10",
        }
        self.client.post(url, data)
        participant.refresh_from_db()
        self.assertIsNone(participant.attended)


class TalksTest(ActivityFixture):
    def test_a_researcher_adds_and_removes_a_talk(self) -> None:
        self.login("researcher")
        url = reverse("collaboration:activity_talks", args=[self.cross.pk])
        self.assertContains(self.client.get(url), "Jens Ekspert")
        data = {"action": "add", "expert": "Anna Forsker", "organisation": "VIVE", "topic": "Forventningers effekt"}
        self.assertRedirects(self.client.post(url, data), url)
        talk = ExpertTalk.objects.get(expert="Anna Forsker")
        self.assertEqual((talk.activity, talk.organisation), (self.cross, "VIVE"))
        self.assertRedirects(self.client.post(url, {"action": "remove", "talk": talk.pk}), url)
        self.assertFalse(ExpertTalk.objects.filter(pk=talk.pk).exists())
        # Another activity's talk is not found here.
        other = ExpertTalk.objects.create(activity=self.in_x, expert="B", topic="C")
        self.assertEqual(self.client.post(url, {"action": "remove", "talk": other.pk}).status_code, 404)


class EditingAccessTest(ActivityFixture):
    def test_only_researchers_edit(self) -> None:
        urls = [
            reverse("collaboration:activity_create"),
            reverse("collaboration:activity_edit", args=[self.in_x.pk]),
            reverse("collaboration:activity_participants", args=[self.cross.pk]),
            reverse("collaboration:activity_talks", args=[self.in_x.pk]),
        ]
        for persona in ("caseworker_a", "key_person", "team_leader", "data_manager_y", "administrator", "outsider"):
            self.login(persona)
            for url in urls:
                self.assertEqual(self.client.get(url).status_code, 403, (persona, url))
            self.assertEqual(self.client.post(urls[0], VISIT).status_code, 403)
            self.assertEqual(self.client.post(urls[3], {"action": "add", "expert": "X", "topic": "Y"}).status_code, 403)
        self.assertFalse(Activity.objects.filter(title=VISIT["title"]).exists())
        self.assertFalse(ExpertTalk.objects.filter(expert="X").exists())
        self.login("researcher")
        for name in ("activity_edit", "activity_participants", "activity_talks"):
            self.assertEqual(self.client.get(reverse(f"collaboration:{name}", args=[999999])).status_code, 404)

    def test_the_activity_page_links_the_editing_pages_for_researchers_only(self) -> None:
        url = reverse("collaboration:activity_detail", args=[self.in_x.pk])
        self.login("researcher")
        self.assertContains(self.client.get(url), 'data-testid="edit-links"')
        self.login("key_person")
        self.assertNotContains(self.client.get(url), 'data-testid="edit-links"')
