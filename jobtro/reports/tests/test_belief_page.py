"""The page "Has belief moved?" (/insight/belief/): who may open it, what each role sees of the stored
analysis, disclosure control outside the researcher role, staleness and the run button."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone

from jobtro.analysis import runs
from jobtro.analysis.models import AnalysisResult
from jobtro.analysis.tests.test_belief_live import TODAY, build_panel
from jobtro.measurement.models import Answer, Item, Wave
from jobtro.reports import belief_views
from jobtro.testing import PersonaTestCase

URL = "/insight/belief/"


class BeliefPageTests(PersonaTestCase):
    stored: AnalysisResult

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        # Team 1 in Silkeborg and Odder's team have six caseworkers; Silkeborg's team 2 only two.
        groups = [(cls.x, cls.team_x1, 6), (cls.x, cls.team_x2, 2), (cls.y, cls.team_y1, 6)]
        build_panel(cls.project, groups, citizens_each=6, take_up={"0740": 2}, shift=0.8)
        cls.stored = runs.run_now(cls.project, "belief", spec={"today": TODAY.isoformat()})

    def _page(self, persona: str) -> Any:
        self.login(persona)
        response = self.client.get(URL)
        self.assertEqual(response.status_code, 200)
        return response

    def test_it_has_its_url(self) -> None:
        self.assertEqual(reverse("insight:belief"), URL)

    def test_the_stored_analysis_is_done(self) -> None:
        self.assertEqual(self.stored.state, AnalysisResult.State.DONE, self.stored.error)

    def test_it_refuses_everyone_else(self) -> None:
        for persona in ("caseworker_a", "data_manager_y", "administrator", "outsider"):
            self.login(persona)
            self.assertEqual(self.client.get(URL).status_code, 403, persona)
        self.client.logout()
        self.assertEqual(self.client.get(URL).status_code, 302)

    def test_researchers_see_every_municipality_and_every_team(self) -> None:
        response = self._page("researcher")
        trajectory = response.context["blocks"][1]
        self.assertEqual([row[0] for row in trajectory.tables[0].rows], ["Projektet", "Odder", "Silkeborg"])
        team_tables = [t.caption for t in trajectory.tables[1:]]
        self.assertEqual(team_tables, ["Teams i Odder", "Teams i Silkeborg"])
        small = next(row for row in trajectory.tables[2].rows if row[0].startswith("Team 2"))
        self.assertIn("kun for forskere", small[0])
        self.assertTrue(all(re.match(r"\d,\d\d \(", cell) for cell in small[1]), small)

    def test_a_team_leader_sees_the_project_and_their_own_municipality(self) -> None:
        response = self._page("team_leader")
        trajectory = response.context["blocks"][1]
        self.assertEqual([row[0] for row in trajectory.tables[0].rows], ["Projektet", "Silkeborg"])
        self.assertEqual([t.caption for t in trajectory.tables[1:]], ["Teams i Silkeborg"])
        rows = dict(trajectory.tables[1].rows)
        self.assertEqual(rows["Team 2"], ["for få til at vise"] * 4)  # two caseworkers: below the threshold
        self.assertTrue(all(re.match(r"\d,\d\d \(", cell) for cell in rows["Team 1"]))
        distribution = response.context["blocks"][0]
        self.assertEqual([t.caption for t in distribution.tables], ["Projektet", "Silkeborg"])

    def test_no_published_count_is_small_outside_the_researcher_role(self) -> None:
        threshold = belief_views.disclosure.threshold()
        suppressed = 0
        for persona in ("team_leader", "key_person"):
            response = self._page(persona)
            for table in response.context["blocks"][0].tables:
                for _, cells in table.rows:
                    for cell in cells:
                        if cell == "for få":
                            suppressed += 1
                            continue
                        count = int(cell.replace(".", ""))
                        self.assertTrue(count == 0 or count >= threshold, f"{persona}: {table.caption} {cells}")
        self.assertGreater(suppressed, 0, "the panel has small cells, so something must be suppressed")
        researcher = self._page("researcher")
        cells = [c for t in researcher.context["blocks"][0].tables for _, row in t.rows for c in row]
        self.assertNotIn("for få", cells)
        self.assertTrue(any(0 < int(c.replace(".", "")) < threshold for c in cells))

    def test_it_shows_the_intervention_estimate_with_the_caution_in_danish(self) -> None:
        response = self._page("key_person")
        text = response.content.decode()
        self.assertIn("Hvad fire kommuner kan og ikke kan vise", text)
        self.assertIn("betyder ikke, at troen ikke har ændret sig", text)
        views = response.context["did_views"]
        first = views[0]
        self.assertTrue(first.estimable)
        self.assertEqual(dict(first.summary)["Kommuner (klynger)"], "2")
        self.assertIn("Silkeborg", dict(first.summary)["Tog det op"])

    def test_plots_have_text_alternatives(self) -> None:
        text = self._page("researcher").content.decode()
        self.assertGreaterEqual(text.count("<svg"), 4)
        self.assertIn("<figcaption>Projektet: gennemsnitlig specifik tro", text)

    def test_it_can_be_read_in_english(self) -> None:
        self.login("researcher")
        self.client.post(reverse("set_language"), {"language": "en", "next": URL})
        response = self.client.get(URL)
        self.assertContains(response, "What four municipalities can and cannot show")
        self.assertContains(response, "<figcaption>The project: mean specific belief")

    def test_it_warns_when_the_data_have_changed(self) -> None:
        self.assertNotContains(self._page("researcher"), 'data-testid="belief-stale"')
        wave = Wave.objects.get(project=self.project, number=0)
        Answer.objects.create(
            wave=wave, item=Item.objects.get(version=wave.instrument_version, key="specific_belief"),
            caseworker=self.personas["caseworker_a"], citizen=self.citizen_a, value=4, request_id=uuid.uuid4(),
            received_at=timezone.now(),
        )  # fmt: skip
        for persona in ("researcher", "team_leader"):
            self.assertContains(self._page(persona), "Resultatet er beregnet før de nyeste data; kør analysen igen")

    def test_only_researchers_get_the_run_button(self) -> None:
        run = reverse("insight:analysis_run", kwargs={"kind": "belief"})
        self.assertContains(self._page("researcher"), f'action="{run}"')
        self.assertNotContains(self._page("team_leader"), 'data-testid="belief-run"')


class NoResultTests(PersonaTestCase):
    def test_it_says_there_is_no_result_yet(self) -> None:
        self.login("team_leader")
        response = self.client.get(URL)
        self.assertContains(response, 'data-testid="belief-none"')
        self.assertNotContains(response, 'data-testid="belief-run"')

    def test_a_failed_run_shows_its_message_to_researchers(self) -> None:
        result = runs.run_now(
            self.project, "belief", spec={"today": (date(2025, 1, 6) + timedelta(days=1)).isoformat()}
        )
        self.assertEqual(result.state, AnalysisResult.State.FAILED)
        self.login("researcher")
        self.assertContains(self.client.get(URL), "at least two closed waves")
        self.login("team_leader")
        self.assertNotContains(self.client.get(URL), "at least two closed waves")
