"""The stored calibration analysis on a small database (the feedback tests' data: three caseworkers, answers
at two belief levels, imported weekly status, a spell build): its numbers equal direct computations with
jobtro.stats, it is JSON, names no caseworker, refuses data that cannot support it, and its page is the
researchers'."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import polars as pl
from django.urls import reverse

from jobtro.analysis import calibration_live, runs
from jobtro.analysis.models import AnalysisResult
from jobtro.analysis.runs import AnalysisError
from jobtro.measurement.models import Answer
from jobtro.outcomes.models import SpellBuild
from jobtro.reports.tests import test_feedback as fixture
from jobtro.stats.calibration import brier_score, concordance, observed_shares


def _progress(_step: str, _fraction: float) -> None:
    return None


class CalibrationComputeTest(fixture.FeedbackData):
    def compute(self, **spec: int) -> dict[str, Any]:
        return calibration_live.compute(self.project, {"replications": 40, "seed": 1, **spec}, _progress)

    def spells(self) -> pl.DataFrame:
        return calibration_live.spells_frame(self.build)

    def test_it_reproduces_the_direct_shares_brier_score_and_concordance(self) -> None:
        result = self.compute()
        json.dumps(result, allow_nan=False)
        spells = self.spells()
        rated = spells.filter(pl.col("level") != calibration_live.DONT_KNOW)
        self.assertEqual(result["definition"]["evaluated_weeks"], 52.0)
        t, e, b = rated["time"].to_numpy(), rated["event"].to_numpy(), rated["level"].to_numpy()
        direct = {int(s.level): s for s in observed_shares(t, e, b, horizon=52)}
        levels = {r["belief"]: r for r in result["levels"]}
        self.assertEqual(set(levels), {2, 4, 5})
        for level, s in direct.items():
            self.assertAlmostEqual(levels[level]["share"], s.share, places=12)
            self.assertEqual(levels[level]["n"], s.n)
        self.assertAlmostEqual(levels[2]["share"], (3 + 5 + 0) / 18, places=12)  # A 3/7, B 5/6, C 0/5

        # The Brier score with each level's observed share as the forecast.
        p = np.array([direct[int(v)].share for v in b])
        self.assertAlmostEqual(result["brier"]["estimate"], brier_score(t, e, p, horizon=52), places=12)
        c = concordance(t, e, b, cluster=rated["caseworker_id"].to_numpy())
        self.assertAlmostEqual(result["concordance"]["estimate"], c.concordance, places=12)
        self.assertAlmostEqual(result["concordance"]["se"], c.std_err, places=12)
        low, high = result["brier"]["ci_low"], result["brier"]["ci_high"]
        self.assertTrue(low is not None and high is not None and low <= high)
        self.assertEqual(result["dont_know"]["n"], 1)
        self.assertEqual(result["n"]["caseworkers"], 3)

    def test_the_general_share_is_set_against_each_bands_observed_share(self) -> None:
        result = self.compute()
        general = result["general"]
        assert isinstance(general, dict)
        bins = {b["low"]: b for b in general["bins"]}
        # A answered 20 %, B 80 %, C 50 %: one band each, each band exactly one caseworker's wave-0 citizens.
        self.assertEqual(set(bins), {20, 50, 80})
        spells = self.spells().filter(pl.col("wave") == 0)
        a = self.personas["caseworker_a"].pk
        own = spells.filter(pl.col("caseworker_id") == a)
        (share,) = observed_shares(own["time"].to_numpy(), own["event"].to_numpy(), np.zeros(own.height), horizon=52)
        self.assertAlmostEqual(bins[20]["predicted"], 0.20, places=12)
        self.assertAlmostEqual(bins[20]["observed"], share.share, places=12)
        self.assertEqual((bins[20]["n"], bins[20]["answers"]), (own.height, 1))
        # Its Brier score: each measurement forecast by its caseworker's answer.
        answers = {a: 0.2, self.personas["caseworker_b"].pk: 0.8, self.caseworker_c.pk: 0.5}
        p = np.array([answers[c] for c in spells["caseworker_id"].to_list()])
        direct = brier_score(spells["time"].to_numpy(), spells["event"].to_numpy(), p, horizon=52)
        self.assertAlmostEqual(general["brier"]["estimate"], direct, places=12)
        self.assertEqual(general["n"]["caseworkers"], 3)
        # No point carries a person: the bins hold counts and shares only.
        self.assertEqual(
            set(general["bins"][0]),
            {"low", "high", "predicted", "observed", "ci_low", "ci_high", "n", "citizens", "answers"},
        )

    def test_it_reads_the_scores_where_enough_are_followed(self) -> None:
        week = calibration_live.evaluation_week(pl.Series([10.0] * 9 + [60.0]), 52)
        self.assertEqual(week, 52)  # 1 of 10 followed past the horizon: enough
        week = calibration_live.evaluation_week(pl.Series([10.0] * 19 + [60.0]), 52)
        self.assertEqual(week, 10)  # 1 of 20 is too few: read where 10 % are still followed

    def test_it_refuses_data_that_cannot_support_it(self) -> None:
        with self.assertRaises(AnalysisError):
            self.compute(replications=-1)
        Answer.objects.filter(item__key="specific_belief").exclude(value=2).delete()
        SpellBuild.objects.all().delete()
        with self.assertRaises(AnalysisError):
            self.compute()  # no spells
        from jobtro.outcomes.spells import build_spells

        build_spells(self.project)
        with self.assertRaisesMessage(AnalysisError, "two levels"):
            self.compute()  # one belief level only

    def test_it_is_stored_and_shown_to_researchers_only(self) -> None:
        stored = runs.run_now(self.project, "calibration", spec={"replications": 20, "seed": 3})
        self.assertEqual(stored.state, "done", stored.error)
        self.login("researcher")
        page = self.client.get(reverse("insight:calibration"))
        self.assertEqual(page.status_code, 200)
        html = page.content.decode()
        self.assertIn('data-testid="calibration-levels"', html)
        self.assertEqual(html.count('<figure class="jobtro-plot">'), 2)  # shares by level, the general share
        self.assertNotIn('data-testid="calibration-stale"', html)
        self.assertIn(f'action="{reverse("insight:analysis_run", args=["calibration"])}"', html)  # the run button
        for name in ("Caseworker_A", "Caseworker_B", "Caseworker_C", "caseworker_a"):
            self.assertNotIn(name, html.split("<main", 1)[-1])
        # New data make the stored result stale.
        fixture.answer(self.specific, self.wave1, self.personas["caseworker_a"], self.citizen_a, 3, self.wave1.opens_on)
        self.assertContains(self.client.get(reverse("insight:calibration")), 'data-testid="calibration-stale"')
        for persona in ("caseworker_a", "team_leader", "key_person", "administrator"):
            self.login(persona)
            self.assertEqual(self.client.get(reverse("insight:calibration")).status_code, 403, persona)

    def test_without_a_result_it_says_so_and_shows_a_run_under_way(self) -> None:
        self.login("researcher")
        self.assertContains(self.client.get(reverse("insight:calibration")), 'data-testid="no-result"')
        queued = AnalysisResult.objects.create(project=self.project, kind="calibration", fingerprint="0" * 64)
        page = self.client.get(reverse("insight:calibration"))
        self.assertContains(page, 'data-testid="calibration-pending"')
        self.assertContains(page, reverse("insight:analysis_detail", args=[queued.pk]))
        AnalysisResult.objects.filter(pk=queued.pk).update(state="failed", error="Ingen forløb endnu.")
        self.assertContains(self.client.get(reverse("insight:calibration")), "Ingen forløb endnu.")
