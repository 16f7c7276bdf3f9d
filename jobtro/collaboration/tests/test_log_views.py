"""Focus areas, initiatives and the experience log (issue 6): every role sees exactly its own
municipality's initiatives and log, another municipality's only once that log is opened, researchers all;
posting, attachments, choosing and switching focus areas, creating initiatives and adding focus areas."""

from __future__ import annotations

from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jobtro.collaboration.forms import MAX_ATTACHMENT_MB
from jobtro.collaboration.models import Experience, FocusArea, FocusAreaChoice, Initiative, LogSharing
from jobtro.collaboration.seed import ensure_focus_areas
from jobtro.testing import PersonaTestCase

IN_X = ["caseworker_a", "caseworker_b", "team_leader", "key_person"]
REFUSED = ["administrator", "outsider"]


class CollaborationTestCase(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        ensure_focus_areas(cls.project)
        cls.area = FocusArea.objects.get(project=cls.project, key="communication")
        cls.other_area = FocusArea.objects.exclude(pk=cls.area.pk).filter(project=cls.project).first()
        cls.initiative_x = Initiative.objects.create(
            project=cls.project,
            municipality=cls.x,
            focus_area=cls.area,
            title="Silkeborgs sparringsmøder",
            what="Ugentlig sparring",
            start=date(2025, 3, 1),
        )
        cls.initiative_y = Initiative.objects.create(
            project=cls.project,
            municipality=cls.y,
            focus_area=cls.area,
            title="Odders borgersamtaler",
            what="Nye samtaler",
            start=date(2025, 3, 1),
        )
        cls.entry_x = Experience.objects.create(
            project=cls.project,
            municipality=cls.x,
            author=cls.personas["caseworker_a"],
            initiative=cls.initiative_x,
            focus_area=cls.area,
            day=date(2025, 4, 1),
            text="Silkeborg-erfaring om sparring",
            attachment_name="notat.txt",
            attachment_type="text/plain",
            attachment=b"hemmeligt notat X",
        )
        cls.entry_y = Experience.objects.create(
            project=cls.project,
            municipality=cls.y,
            author=cls.caseworker_y,
            focus_area=cls.area,
            day=date(2025, 4, 2),
            text="Odder-erfaring om samtaler",
            attachment_name="odder.txt",
            attachment_type="text/plain",
            attachment=b"hemmeligt notat Y",
        )

    def get(self, persona: str, name: str, *args: object) -> tuple[int, str]:
        self.client.logout()
        self.login(persona)
        response = self.client.get(reverse(name, args=args))
        return response.status_code, response.content.decode()

    def open_log(self, municipality: str) -> None:
        LogSharing.objects.update_or_create(project=self.project, municipality_id=municipality, defaults={"open": True})


class ClosedLogTest(CollaborationTestCase):
    def test_a_municipality_never_sees_anothers_closed_log_or_initiatives(self) -> None:
        for persona in IN_X:
            for name in ("areas:log", "areas:initiative_list"):
                status, page = self.get(persona, name)
                self.assertEqual(status, 200, (persona, name))
                self.assertNotIn("Odder-erfaring", page)
                self.assertNotIn("Odders borgersamtaler", page)
            self.assertEqual(self.get(persona, "areas:initiative_detail", self.initiative_y.pk)[0], 404)
            self.assertEqual(self.get(persona, "areas:log_attachment", self.entry_y.pk)[0], 404)
        for name in ("areas:log", "areas:initiative_list"):
            status, page = self.get("data_manager_y", name)
            self.assertEqual(status, 200)
            self.assertNotIn("Silkeborg-erfaring", page)
            self.assertNotIn("Silkeborgs sparringsmøder", page)
        self.assertEqual(self.get("data_manager_y", "areas:initiative_detail", self.initiative_x.pk)[0], 404)
        self.assertEqual(self.get("data_manager_y", "areas:log_attachment", self.entry_x.pk)[0], 404)

    def test_own_municipality_sees_its_log_and_initiatives(self) -> None:
        for persona in IN_X:
            status, page = self.get(persona, "areas:log")
            self.assertEqual(status, 200)
            self.assertIn("Silkeborg-erfaring", page)
            self.assertIn("Silkeborgs sparringsmøder", self.get(persona, "areas:initiative_list")[1])
            self.assertEqual(self.get(persona, "areas:initiative_detail", self.initiative_x.pk)[0], 200)
        page = self.get("data_manager_y", "areas:log")[1]
        self.assertIn("Odder-erfaring", page)

    def test_researchers_see_everything(self) -> None:
        page = self.get("researcher", "areas:log")[1]
        self.assertIn("Silkeborg-erfaring", page)
        self.assertIn("Odder-erfaring", page)
        page = self.get("researcher", "areas:initiative_list")[1]
        self.assertIn("Silkeborgs sparringsmøder", page)
        self.assertIn("Odders borgersamtaler", page)
        self.assertEqual(self.get("researcher", "areas:log_attachment", self.entry_y.pk)[0], 200)

    def test_administrators_and_outsiders_are_refused(self) -> None:
        for persona in REFUSED:
            for name in ("areas:index", "areas:log", "areas:initiative_list"):
                self.assertEqual(self.get(persona, name)[0], 403, (persona, name))
            self.assertEqual(self.get(persona, "areas:log_attachment", self.entry_x.pk)[0], 403)
        self.client.logout()
        self.assertEqual(self.client.get(reverse("areas:log")).status_code, 302)


class OpenLogTest(CollaborationTestCase):
    def test_an_opened_log_shows_its_entries_and_initiatives_to_the_others(self) -> None:
        self.open_log(self.y.code)
        for persona in IN_X:
            self.assertIn("Odder-erfaring", self.get(persona, "areas:log")[1])
            self.assertIn("Odders borgersamtaler", self.get(persona, "areas:initiative_list")[1])
            self.assertEqual(self.get(persona, "areas:initiative_detail", self.initiative_y.pk)[0], 200)
            self.assertEqual(self.get(persona, "areas:log_attachment", self.entry_y.pk)[0], 200)
        # X's log stays closed to Y.
        self.assertNotIn("Silkeborg-erfaring", self.get("data_manager_y", "areas:log")[1])
        self.assertEqual(self.get("data_manager_y", "areas:initiative_detail", self.initiative_x.pk)[0], 404)

    def test_a_key_person_opens_and_closes_the_log(self) -> None:
        self.login("key_person")
        response = self.client.post(reverse("areas:log_sharing"), {"municipality": self.x.code, "open": "1"})
        self.assertEqual(response.status_code, 302)
        self.assertTrue(LogSharing.objects.get(project=self.project, municipality=self.x).open)
        self.assertIn("Silkeborg-erfaring", self.get("data_manager_y", "areas:log")[1])
        self.login("team_leader")
        self.client.post(reverse("areas:log_sharing"), {"municipality": self.x.code, "open": "0"})
        self.assertFalse(LogSharing.objects.get(project=self.project, municipality=self.x).open)
        self.assertNotIn("Silkeborg-erfaring", self.get("data_manager_y", "areas:log")[1])

    def test_only_key_persons_and_team_leaders_of_the_municipality_switch_it(self) -> None:
        for persona in ("caseworker_a", "data_manager_y", "researcher"):
            self.client.logout()
            self.login(persona)
            response = self.client.post(reverse("areas:log_sharing"), {"municipality": self.x.code, "open": "1"})
            self.assertEqual(response.status_code, 403, persona)
        self.login("key_person")
        response = self.client.post(reverse("areas:log_sharing"), {"municipality": self.y.code, "open": "1"})
        self.assertEqual(response.status_code, 404)
        self.assertFalse(LogSharing.objects.filter(open=True).exists())


class PostingTest(CollaborationTestCase):
    def test_a_caseworker_posts_an_experience_with_an_attachment(self) -> None:
        self.login("caseworker_b")
        upload = SimpleUploadedFile("referat.pdf", b"%PDF-1.4 data", content_type="application/pdf")
        response = self.client.post(
            reverse("areas:log"),
            {
                "municipality": self.x.code,
                "day": "2025-05-01",
                "initiative": self.initiative_x.pk,
                "text": "Ny erfaring fra team 2",
                "attachment": upload,
            },
        )
        self.assertEqual(response.status_code, 302)
        entry = Experience.objects.get(text="Ny erfaring fra team 2")
        self.assertEqual(
            (entry.municipality, entry.author, entry.focus_area, entry.attachment_name),
            (self.x, self.personas["caseworker_b"], self.area, "referat.pdf"),
        )
        download = self.client.get(reverse("areas:log_attachment", args=[entry.pk]))
        self.assertEqual(download.status_code, 200)
        self.assertEqual(download.content, b"%PDF-1.4 data")
        self.assertEqual(download["Content-Disposition"], 'attachment; filename="referat.pdf"')
        self.assertEqual(download["Content-Type"], "application/pdf")
        self.assertEqual(self.get("data_manager_y", "areas:log_attachment", entry.pk)[0], 404)

    def test_it_refuses_a_post_in_another_municipality_or_about_its_initiative(self) -> None:
        self.login("caseworker_a")
        data = {"municipality": self.y.code, "day": "2025-05-01", "focus_area": self.area.pk, "text": "x"}
        self.assertEqual(self.client.post(reverse("areas:log"), data).status_code, 200)  # form error
        data = {"municipality": self.x.code, "day": "2025-05-01", "initiative": self.initiative_y.pk, "text": "x"}
        self.assertEqual(self.client.post(reverse("areas:log"), data).status_code, 200)
        self.assertFalse(Experience.objects.filter(text="x").exists())

    def test_it_needs_a_subject_and_a_small_enough_file(self) -> None:
        self.login("caseworker_a")
        data = {"municipality": self.x.code, "day": "2025-05-01", "text": "uden emne"}
        response = self.client.post(reverse("areas:log"), data, HTTP_ACCEPT_LANGUAGE="da")
        self.assertContains(response, "Vælg det fokusområde eller det tiltag, erfaringen handler om.")
        big = SimpleUploadedFile("big.bin", b"0" * (MAX_ATTACHMENT_MB * 1024 * 1024 + 1))
        data = {**data, "focus_area": self.area.pk, "attachment": big}
        response = self.client.post(reverse("areas:log"), data)
        self.assertEqual(response.status_code, 200)
        self.assertFalse(Experience.objects.filter(text="uden emne").exists())

    def test_researchers_and_refused_roles_cannot_post(self) -> None:
        data = {"municipality": self.x.code, "day": "2025-05-01", "focus_area": self.area.pk, "text": "forsøg"}
        for persona in ("researcher", "administrator", "outsider"):
            self.client.logout()
            self.login(persona)
            self.assertEqual(self.client.post(reverse("areas:log"), data).status_code, 403, persona)
        self.assertFalse(Experience.objects.filter(text="forsøg").exists())


class FocusAreaTest(CollaborationTestCase):
    def test_everyone_in_the_project_sees_the_areas_and_every_municipalitys_choices(self) -> None:
        FocusAreaChoice.objects.create(
            project=self.project, municipality=self.y, focus_area=self.area, start=date(2025, 2, 1)
        )
        for persona in [*IN_X, "data_manager_y", "researcher"]:
            status, page = self.get(persona, "areas:index")
            self.assertEqual(status, 200)
            self.assertIn("Kommunikation om borger", page)
            self.assertIn('data-testid="timeline-0727"', page)
        self.client.post(reverse("set_language"), {"language": "en"})
        self.assertContains(self.client.get(reverse("areas:index")), "Communication about the citizen")

    def test_a_key_person_chooses_and_switches_a_focus_area(self) -> None:
        self.login("key_person")
        response = self.client.post(
            reverse("areas:choose"),
            {"municipality": self.x.code, "focus_area": self.area.pk, "start": "2025-02-01"},
        )
        self.assertEqual(response.status_code, 302)
        first = FocusAreaChoice.objects.get(municipality=self.x)
        assert self.other_area is not None
        response = self.client.post(
            reverse("areas:choose"),
            {
                "municipality": self.x.code,
                "focus_area": self.other_area.pk,
                "start": "2025-08-01",
                "replaces": first.pk,
                "builds_on": self.y.code,
            },
        )
        self.assertEqual(response.status_code, 302)
        first.refresh_from_db()
        self.assertEqual(first.end, date(2025, 8, 1))
        second = FocusAreaChoice.objects.get(municipality=self.x, end__isnull=True)
        self.assertEqual(
            (second.focus_area, second.start, second.builds_on), (self.other_area, date(2025, 8, 1), self.y)
        )
        response = self.client.post(reverse("areas:choice_end", args=[second.pk]), {"end": "2026-01-01"})
        self.assertEqual(response.status_code, 302)
        second.refresh_from_db()
        self.assertEqual(second.end, date(2026, 1, 1))

    def test_only_leaders_of_the_municipality_and_researchers_choose(self) -> None:
        data = {"municipality": self.x.code, "focus_area": self.area.pk, "start": "2025-02-01"}
        for persona in ("caseworker_a", "data_manager_y", "administrator"):
            self.client.logout()
            self.login(persona)
            self.assertEqual(self.client.post(reverse("areas:choose"), data).status_code, 403, persona)
        self.login("team_leader")
        data_y = {**data, "municipality": self.y.code}
        self.assertEqual(self.client.post(reverse("areas:choose"), data_y).status_code, 200)  # not offered
        self.assertFalse(FocusAreaChoice.objects.exists())
        self.login("researcher")
        self.assertEqual(self.client.post(reverse("areas:choose"), data_y).status_code, 302)

    def test_a_researcher_adds_a_focus_area_with_sub_topics(self) -> None:
        self.login("researcher")
        response = self.client.post(
            reverse("areas:focus_area_add"),
            {
                "name_da": "Borgerens egne mål",
                "name_en": "The citizen's own goals",
                "subtopics_da": "Mål i samtalen\nOpfølgning",
                "subtopics_en": "Goals in the conversation\nFollow-up",
            },
        )
        self.assertEqual(response.status_code, 302)
        area = FocusArea.objects.get(name_da="Borgerens egne mål")
        self.assertEqual(area.key, "the-citizens-own-goals")
        self.assertEqual(
            list(area.subtopics.values_list("text_da", "text_en")),
            [("Mål i samtalen", "Goals in the conversation"), ("Opfølgning", "Follow-up")],
        )
        response = self.client.post(
            reverse("areas:focus_area_add"), {"name_da": "Ulige", "name_en": "Uneven", "subtopics_da": "a\nb"}
        )
        self.assertEqual(response.status_code, 200)
        self.login("key_person")
        self.assertEqual(self.client.get(reverse("areas:focus_area_add")).status_code, 403)


class InitiativeTest(CollaborationTestCase):
    def test_a_team_leader_creates_and_edits_an_initiative(self) -> None:
        self.login("team_leader")
        response = self.client.post(
            reverse("areas:initiative_create"),
            {
                "municipality": self.x.code,
                "focus_area": self.area.pk,
                "title": "Fælles borgerbillede",
                "what": "Vi beskriver borgerens ressourcer først",
                "why": "Troen følger sproget",
                "owner": self.personas["key_person"].pk,
                "teams": [self.team_x1.pk, self.team_x2.pk],
                "start": "2025-04-01",
                "status": "running",
                "expected_change": "Mere tro",
            },
        )
        self.assertEqual(response.status_code, 302)
        initiative = Initiative.objects.get(title="Fælles borgerbillede")
        self.assertEqual(initiative.municipality, self.x)
        self.assertEqual(set(initiative.teams.all()), {self.team_x1, self.team_x2})
        edit = reverse("areas:initiative_edit", args=[initiative.pk])
        self.assertEqual(self.client.get(edit).status_code, 200)
        data = {
            "focus_area": self.area.pk,
            "title": initiative.title,
            "what": initiative.what,
            "start": "2025-04-01",
            "end": "2025-10-01",
            "status": "completed",
            "what_happened": "Sproget ændrede sig",
        }
        self.assertEqual(self.client.post(edit, data).status_code, 302)
        initiative.refresh_from_db()
        self.assertEqual((initiative.status, initiative.what_happened), ("completed", "Sproget ændrede sig"))
        self.assertEqual(initiative.municipality, self.x)

    def test_teams_and_owner_must_be_of_the_municipality(self) -> None:
        self.login("researcher")
        data = {
            "municipality": self.x.code,
            "focus_area": self.area.pk,
            "title": "Blandet",
            "what": "x",
            "teams": [self.team_y1.pk],
            "owner": self.caseworker_y.pk,
            "start": "2025-04-01",
            "status": "planned",
        }
        response = self.client.post(reverse("areas:initiative_create"), data)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(set(response.context["form"].errors), {"teams", "owner"})
        self.assertFalse(Initiative.objects.filter(title="Blandet").exists())

    def test_caseworkers_and_other_municipalities_cannot_create_or_edit(self) -> None:
        for persona in ("caseworker_a", "data_manager_y", "administrator", "outsider"):
            self.assertEqual(self.get(persona, "areas:initiative_create")[0], 403, persona)
            self.assertEqual(self.get(persona, "areas:initiative_edit", self.initiative_x.pk)[0], 403, persona)
        self.assertEqual(self.get("key_person", "areas:initiative_edit", self.initiative_y.pk)[0], 404)
        self.open_log(self.y.code)  # opening the log shows Y's initiatives, it does not hand over their editing
        self.assertEqual(self.get("key_person", "areas:initiative_edit", self.initiative_y.pk)[0], 404)
