"""The drivers analysis from the database (jobtro.analysis.drivers.compute), the demo's staff answers
(jobtro.measurement.staff_demo) feeding it, and the page /insight/drivers/ per role.

:func:`populate` builds a project in the database the way the barometer fills it: caseworkers in two
municipalities and three teams, closed waves with general and specific answers, and then the demo's
staff questionnaire answers, in which colleagues/sparring and labour-market knowledge go with the
general share and the other themes are noise.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, time, timedelta
from typing import Any

import numpy as np
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from jobtro.analysis import drivers, runs
from jobtro.analysis.runs import AnalysisError
from jobtro.collaboration.models import FocusArea, FocusAreaChoice
from jobtro.measurement.actions import default_instrument_version
from jobtro.measurement.models import Answer, Citizen, Item, Wave
from jobtro.measurement.staff_demo import load_staff_answers
from jobtro.organisation.models import Membership, Role, Staff
from jobtro.testing import START, PersonaTestCase


def populate(t: PersonaTestCase, *, n_caseworkers: int = 40, n_waves: int = 3, seed: int = 5) -> list[Wave]:
    """Closed waves with general and specific answers of ``n_caseworkers`` new caseworkers (a third in
    Odder, the rest in Silkeborg's two teams); no staff answers yet."""
    rng = np.random.default_rng(seed)
    version = default_instrument_version()
    items = {i.key: i for i in version.items.all()}
    today = timezone.localdate()
    waves = []
    for number in range(n_waves):
        opens = today - timedelta(days=30 + 91 * (n_waves - number))
        waves.append(
            Wave.objects.create(
                project=t.project,
                number=number,
                name=f"Måling {number + 1}",
                opens_on=opens,
                closes_on=opens + timedelta(days=13),
                instrument_version=version,
                opened_at=datetime.combine(opens, time(7), tzinfo=timezone.get_current_timezone()),
            )
        )
    teams = [(t.x, t.team_x1), (t.x, t.team_x2), (t.y, t.team_y1)]
    rows: list[Answer] = []
    optimism = rng.normal(0, 12, n_caseworkers)
    for i in range(n_caseworkers):
        municipality, team = teams[i % 3]
        staff = Staff.objects.create(username=f"cw{i:03d}")
        caseworker_id = staff.pk
        Membership.objects.create(staff=staff, role=Role.CASEWORKER, municipality=municipality, unit=team, start=START)
        citizens = Citizen.objects.bulk_create(
            Citizen(
                municipality=municipality,
                pseudonym=f"p{i:03d}{c}",
                cpr_encrypted="-",
                name_encrypted="-",
                birth_year=1980,
                female=bool(c % 2),
            )
            for c in range(4)
        )
        for wave in waves:
            share = int(np.clip(45 + optimism[i] + rng.normal(0, 8), 0, 100))

            def add(
                key: str, value: int | None, citizen: Citizen | None = None, *, w: Wave = wave, cw: int = caseworker_id
            ) -> None:
                rows.append(
                    Answer(
                        wave=w,
                        item=items[key],
                        caseworker_id=cw,
                        citizen=citizen,
                        value=value,
                        dont_know=value is None,
                        request_id=uuid.uuid4(),
                        received_at=datetime.combine(w.opens_on, time(9), tzinfo=timezone.get_current_timezone()),
                    )
                )

            add("general_share", share)
            add("general_believes", int(share >= 45))
            for citizen in citizens:
                belief = int(np.clip(np.rint(3 + (share - 45) / 20 + rng.normal(0, 0.8)), 1, 5))
                add("specific_belief", None if rng.random() < 0.05 else belief, citizen)
    Answer.objects.bulk_create(rows)
    return waves


class DriversComputeTest(PersonaTestCase):
    waves: list[Wave]
    loaded: dict[str, int]

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.waves = populate(cls)  # type: ignore[arg-type]
        cls.loaded = load_staff_answers(cls.project, seed=11)

    def compute(self) -> dict[str, Any]:
        return drivers.compute(self.project, {}, lambda step, done: None)

    def test_it_loads_the_staff_answers_of_every_caseworker_who_answered_the_general_items(self) -> None:
        staff_items = Item.objects.filter(version=self.waves[0].instrument_version, scope=Item.Scope.STAFF).count()
        self.assertEqual(self.loaded, {"staff answers": 40 * 3 * staff_items})
        self.assertEqual(load_staff_answers(self.project, seed=11), {"staff answers": 0})  # never twice
        answers = Answer.objects.filter(item__scope=Item.Scope.STAFF)
        self.assertFalse(answers.filter(citizen__isnull=False).exists())
        self.assertTrue(answers.filter(dont_know=True, value__isnull=True).exists())
        self.assertFalse(answers.filter(item__kind=Item.Kind.CHOICE, dont_know=True).exists())

    def test_it_finds_the_demo_pattern_in_the_live_data(self) -> None:
        result = self.compute()
        json.dumps(result, allow_nan=False)  # storable as it is
        models = {(m["outcome"], m["design"]): m for m in result["models"]}
        share = models[("general_share", "levels")]
        self.assertIsNone(share["reason"])
        self.assertEqual(share["n"]["caseworkers"], 40)
        found = {e["name"] for e in share["estimates"] if e["ci_low"] > 0}
        self.assertEqual(found, {"colleagues", "market"})
        specific = models[("specific_belief", "levels")]
        self.assertEqual(specific["n"]["caseworkers"], 40)
        self.assertEqual(specific["n"]["citizens"], 160)
        self.assertEqual(
            [t["key"] for t in result["themes"]], ["own", "colleagues", "leadership", "organisation", "market"]
        )

    def test_it_counts_and_breaks_down_by_municipality_and_team(self) -> None:
        result = self.compute()
        n = result["n"]
        self.assertEqual(n["caseworkers"], 40)
        self.assertEqual(n["waves"], [0, 1, 2])
        breakdown = result["breakdown"]
        teams = {(r["municipality"], r["name"]) for r in breakdown if r["level"] == "team"}
        self.assertEqual(teams, {("0740", "Team 1"), ("0740", "Team 2"), ("0727", "Team 1")})
        latest_x = [r for r in breakdown if r["level"] == "municipality" and r["id"] == "0740" and r["wave"] == 2]
        self.assertEqual({r["n"] for r in latest_x if r["theme"] == "own"}, {27})  # 27 of the 40 are in Silkeborg
        years = next(b for b in result["background"] if b["key"] == "bg_years")
        self.assertEqual(years["n"], 40)
        self.assertEqual(sum(c["n"] for c in years["counts"]), 40)

    def test_it_uses_the_answer_in_force(self) -> None:
        item = Item.objects.get(version=self.waves[2].instrument_version, key="own_progress")
        caseworker = Staff.objects.get(username="cw000")
        before = self.compute()
        Answer.objects.filter(wave=self.waves[2], item=item, caseworker=caseworker).update(
            value=1, dont_know=False, received_at=timezone.now() - timedelta(days=400)
        )
        Answer.objects.create(
            wave=self.waves[2], item=item, caseworker=caseworker, value=5, request_id=uuid.uuid4(),
            received_at=timezone.now(),
        )  # fmt: skip
        after = self.compute()
        self.assertEqual(after["n"], before["n"])  # a changed answer is still one answer

    def test_it_adds_the_focus_areas_in_force_when_each_wave_opened(self) -> None:
        area = FocusArea.objects.create(project=self.project, key="sparring", name_da="Sparring", name_en="Sparring")
        FocusAreaChoice.objects.create(
            project=self.project, municipality=self.x, focus_area=area, start=self.waves[1].opens_on
        )
        result = self.compute()
        self.assertEqual([c["key"] for c in result["covariates"]], ["focus_sparring"])
        models = {(m["outcome"], m["design"]): m for m in result["models"]}
        names = {e["name"]: e["kind"] for e in models[("general_share", "levels")]["estimates"]}
        self.assertEqual(names["focus_sparring"], "focus_area")

    def test_it_stores_the_result_through_the_runs(self) -> None:
        stored = runs.run_now(self.project, "drivers")
        self.assertEqual(stored.state, "done", stored.error)
        self.assertEqual(runs.latest(self.project, "drivers"), stored)


class DriversNoDataTest(PersonaTestCase):
    def test_it_says_why_when_nobody_has_answered_the_staff_questionnaire(self) -> None:
        populate(self, n_caseworkers=12, n_waves=2)
        with self.assertRaisesMessage(AnalysisError, "personaleskemaet"):
            drivers.compute(self.project, {}, lambda step, done: None)


@override_settings(JOBTRO_DISCLOSURE_THRESHOLD=5)
class DriversPageTest(PersonaTestCase):
    url: str

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        populate(cls, n_caseworkers=30)  # type: ignore[arg-type]
        load_staff_answers(cls.project, seed=3)
        cls.url = reverse("insight:drivers")

    def test_it_says_so_when_nothing_is_computed_and_offers_researchers_the_run(self) -> None:
        self.login("researcher")
        response = self.client.get(self.url)
        self.assertContains(response, 'data-testid="drivers-none"')
        self.assertContains(response, reverse("insight:analysis_run", kwargs={"kind": "drivers"}))
        self.login("team_leader")
        response = self.client.get(self.url)
        self.assertContains(response, 'data-testid="drivers-none"')
        self.assertNotContains(response, 'data-testid="drivers-run"')

    def test_researchers_see_everything_and_leaders_the_project_level(self) -> None:
        runs.run_now(self.project, "drivers")
        self.login("researcher")
        page = self.client.get(self.url).content.decode()
        for part in ("drivers-caution", "drivers-general_share", "drivers-specific_belief", "drivers-themes"):
            self.assertIn(f'data-testid="{part}"', page)
        self.assertIn('data-testid="drivers-breakdown"', page)
        self.assertIn('data-testid="drivers-background"', page)
        self.assertIn("Kolleger og sparring", page)
        self.assertIn('<figure class="jobtro-plot"', page)  # the forest plot
        self.assertIn("ikke hvad der forårsager", page)  # association, not cause
        for persona in ("team_leader", "key_person"):
            self.login(persona)
            page = self.client.get(self.url).content.decode()
            self.assertIn('data-testid="drivers-general_share"', page)
            self.assertNotIn('data-testid="drivers-breakdown"', page)
            self.assertNotIn('data-testid="drivers-background"', page)
            self.assertNotIn("Team 2", page)

    def test_it_hides_estimates_resting_on_too_few_caseworkers_from_leaders(self) -> None:
        runs.run_now(self.project, "drivers")
        with self.settings(JOBTRO_DISCLOSURE_THRESHOLD=1000):
            self.login("team_leader")
            page = self.client.get(self.url).content.decode()
            self.assertIn("for få til at vise", page)
            self.assertNotIn('<figure class="jobtro-plot"', page)
            self.login("researcher")
            self.assertNotIn("for få til at vise", self.client.get(self.url).content.decode())

    def test_it_flags_a_stale_result(self) -> None:
        runs.run_now(self.project, "drivers")
        self.login("researcher")
        self.assertNotContains(self.client.get(self.url), 'data-testid="drivers-stale"')
        wave = self.project.waves.order_by("number").first()
        assert wave is not None
        Answer.objects.create(
            wave=wave, item=wave.instrument_version.items.get(key="own_progress"),
            caseworker=Staff.objects.get(username="cw001"), value=3, request_id=uuid.uuid4(),
            received_at=timezone.now(),
        )  # fmt: skip
        self.assertContains(self.client.get(self.url), 'data-testid="drivers-stale"')

    def test_it_is_closed_to_caseworkers_and_others(self) -> None:
        for persona in ("caseworker_a", "data_manager_y", "administrator", "outsider"):
            self.login(persona)
            self.assertEqual(self.client.get(self.url).status_code, 403, persona)
