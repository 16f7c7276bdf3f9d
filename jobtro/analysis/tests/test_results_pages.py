"""The stored-analyses pages and the BIP page (/insight/analyses/, /insight/bip/) on the demo: who sees
what, the staleness warning, the run button and the run's page, and disclosure control for leaders."""

from __future__ import annotations

import uuid
from datetime import date

from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from jobtro.analysis import runs
from jobtro.analysis.models import AnalysisResult
from jobtro.measurement.models import Answer
from jobtro.organisation.demo import load_demo
from jobtro.organisation.models import Project, Staff

TODAY = date(2026, 11, 27)


class ResultPagesTests(TestCase):
    project: Project
    stored: AnalysisResult | None

    @classmethod
    def setUpTestData(cls) -> None:
        cls.project = load_demo(today=TODAY, analyses=["bip"]).project
        cls.stored = runs.latest(cls.project, "bip")

    def login(self, username: str) -> Staff:
        user = Staff.objects.get(username=username)
        self.client.force_login(user)
        return user

    def test_it_shows_a_researcher_every_municipality_with_hazard_ratios_and_their_n(self) -> None:
        self.login("forsker")
        response = self.client.get(reverse("insight:bip"))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'data-testid="bip-computed"')
        self.assertNotContains(response, 'data-testid="bip-stale"')
        for name in ("Silkeborg", "Odder", "Sønderborg", "Frederiksberg"):
            self.assertContains(response, f"<caption>{name}</caption>", html=False)
        assert self.stored is not None and self.stored.result is not None
        belief = next(e for e in self.stored.result["effects"] if e["name"] == "belief")
        self.assertContains(response, f"{belief['hr']:.2f}".replace(".", ","))  # Danish decimal comma
        self.assertContains(response, 'data-testid="bip-run"')
        self.assertContains(response, 'data-testid="bip-meaning"')
        self.assertContains(response, 'class="jobtro-plot"')  # forest plot, curves and bars

    def test_a_team_leader_sees_the_project_and_their_own_municipality_only(self) -> None:
        self.login("teamleder")
        response = self.client.get(reverse("insight:bip"))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "<caption>Silkeborg</caption>", html=False)
        for name in ("Odder", "Sønderborg", "Frederiksberg"):
            self.assertNotContains(response, f"<caption>{name}", html=False)
        self.assertNotContains(response, 'data-testid="bip-run"')

    @override_settings(JOBTRO_DISCLOSURE_THRESHOLD=100_000)
    def test_statistics_on_too_few_persons_are_hidden_outside_the_researcher_role(self) -> None:
        self.login("teamleder")
        response = self.client.get(reverse("insight:bip"))
        self.assertContains(response, "for få til at vise")
        self.assertNotContains(response, "jobtro-plot")
        self.login("forsker")
        self.assertNotContains(self.client.get(reverse("insight:bip")), "for få til at vise")

    def test_it_warns_when_newer_data_exist(self) -> None:
        answer = Answer.objects.filter(wave__project=self.project).first()
        assert answer is not None
        Answer.objects.create(
            wave=answer.wave,
            item=answer.item,
            caseworker=answer.caseworker,
            citizen=answer.citizen,
            value=answer.value,
            dont_know=answer.dont_know,
            request_id=uuid.uuid4(),
            received_at=timezone.now(),
        )
        self.login("noegleperson")
        response = self.client.get(reverse("insight:bip"))
        self.assertContains(response, 'data-testid="bip-stale"')
        self.assertContains(response, "Resultatet er beregnet før de nyeste data; kør analysen igen")
        self.login("forsker")
        self.assertContains(self.client.get(reverse("insight:analyses")), 'data-testid="stale-bip"')

    def test_others_get_no_bip_page_and_no_analyses(self) -> None:
        for username in ("sagsbehandler", "datamanager", "admin"):
            self.login(username)
            self.assertEqual(self.client.get(reverse("insight:bip")).status_code, 403)
            self.assertEqual(self.client.get(reverse("insight:analyses")).status_code, 403)
            self.assertEqual(self.client.post(reverse("insight:analysis_run", args=["bip"])).status_code, 403)
        self.login("teamleder")
        self.assertEqual(self.client.post(reverse("insight:analysis_run", args=["bip"])).status_code, 403)
        self.assertEqual(AnalysisResult.objects.count(), 1)

    def test_a_researcher_runs_an_analysis_and_follows_its_progress(self) -> None:
        user = self.login("forsker")
        overview = self.client.get(reverse("insight:analyses"))
        self.assertContains(overview, 'data-testid="analysis-bip"')
        self.assertContains(overview, 'data-testid="run-bip"')
        response = self.client.post(reverse("insight:analysis_run", args=["bip"]))
        queued = AnalysisResult.objects.get(state=AnalysisResult.State.QUEUED)
        self.assertRedirects(response, reverse("insight:analysis_detail", args=[queued.pk]))
        self.assertEqual((queued.kind, queued.requested_by), ("bip", user))
        page = self.client.get(reverse("insight:analysis_detail", args=[queued.pk]))
        self.assertContains(page, 'http-equiv="refresh"')
        self.assertContains(page, 'data-testid="analysis-running"')
        runs.execute(queued.pk)
        page = self.client.get(reverse("insight:analysis_detail", args=[queued.pk]))
        self.assertNotContains(page, 'http-equiv="refresh"')
        self.assertContains(page, 'data-testid="analysis-done"')
        self.assertContains(page, queued.fingerprint[:16])

    def test_the_run_button_returns_to_the_page_it_was_on_but_never_elsewhere(self) -> None:
        self.login("forsker")
        back = self.client.post(reverse("insight:analysis_run", args=["bip"]), {"next": "/insight/bip/"})
        self.assertRedirects(back, "/insight/bip/", fetch_redirect_response=False)
        away = self.client.post(reverse("insight:analysis_run", args=["bip"]), {"next": "https://example.org/"})
        self.assertTrue(away["Location"].startswith("/insight/analyses/"))
        self.assertEqual(self.client.post(reverse("insight:analysis_run", args=["horoscope"])).status_code, 404)

    def test_a_failed_run_shows_its_message_to_researchers(self) -> None:
        failed = AnalysisResult.objects.create(
            project=self.project, kind="bip", fingerprint="0" * 64, state="failed", error="the spells have no events"
        )
        self.login("forsker")
        self.assertContains(self.client.get(reverse("insight:analysis_detail", args=[failed.pk])), "the spells have")
        self.assertContains(self.client.get(reverse("insight:bip")), 'data-testid="bip-failed"')
        self.login("teamleder")
        self.assertNotContains(self.client.get(reverse("insight:bip")), "the spells have")


class NoResultTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        load_demo(today=TODAY, analyses=())

    def test_it_says_there_is_no_result_and_offers_researchers_the_run_button(self) -> None:
        self.client.force_login(Staff.objects.get(username="forsker"))
        response = self.client.get(reverse("insight:bip"))
        self.assertContains(response, 'data-testid="bip-none"')
        self.assertContains(response, 'data-testid="bip-run"')
        self.client.force_login(Staff.objects.get(username="teamleder"))
        response = self.client.get(reverse("insight:bip"))
        self.assertContains(response, 'data-testid="bip-none"')
        self.assertNotContains(response, 'data-testid="bip-run"')
