"""The live BIP analysis on the simulated demo (issue 7, "Done when"): with the caseworker frailty
switched off, the hazard ratios estimated from the database - answers, assignments and the register
extracts imported as municipalities deliver them - cover the simulator's true effects with their 95 % CIs.

The true values are read from SimulationConfig's defaults, never written here. With frailty on, the
population-average hazard ratios are pulled towards 1 (a hazard ratio is not collapsible), which is why
the test switches it off."""

from __future__ import annotations

import itertools
import math
from dataclasses import fields
from datetime import date
from typing import Any

from django.test import TestCase

from jobtro.analysis import runs
from jobtro.analysis.models import AnalysisResult
from jobtro.measurement.models import Citizen
from jobtro.organisation.demo import load_demo
from jobtro.organisation.models import Project
from jobtro.stats.simulate import SimulationConfig

TODAY = date(2026, 11, 27)
TRUTH: dict[str, float] = {
    f.name: float(f.default) for f in fields(SimulationConfig) if isinstance(f.default, int | float)
}


class LiveBipOnTheDemoTests(TestCase):
    result: dict[str, Any]
    project: Project
    stored: AnalysisResult

    @classmethod
    def setUpTestData(cls) -> None:
        summary = load_demo(today=TODAY, frailty_variance=0.0, analyses=["bip"])
        cls.project = summary.project
        stored = runs.latest(cls.project, "bip")
        assert stored is not None, AnalysisResult.objects.values_list("kind", "state", "error")
        cls.stored = stored
        cls.result = stored.result or {}

    def effect(self, name: str) -> dict[str, Any]:
        return next(e for e in self.result["effects"] if e["name"] == name)

    def test_it_recovers_the_true_effects_within_their_confidence_intervals(self) -> None:
        for name, true in (
            ("belief", TRUTH["hr_belief"]),
            ("general", TRUTH["hr_general_belief"]),
            ("changed", TRUTH["hr_caseworker_change"]),
        ):
            effect = self.effect(name)
            with self.subTest(effect=name, truth=true, estimate=effect["hr"]):
                self.assertLessEqual(effect["ci_low"], true)
                self.assertGreaterEqual(effect["ci_high"], true)
                # and it is an estimate, not a band around everything: it excludes no effect at all
                self.assertFalse(effect["ci_low"] <= 1.0 <= effect["ci_high"])

    def test_it_controls_for_prior_weeks_on_benefit_and_recovers_that_too(self) -> None:
        self.assertTrue(Citizen.objects.filter(prior_weeks_on_benefit__isnull=False).exists())
        prior = next(c for c in self.result["controls"] if c["name"] == "log2_prior")
        true = math.exp(TRUTH["log_hr_prior_per_doubling"])
        self.assertLessEqual(prior["ci_low"], true)
        self.assertGreaterEqual(prior["ci_high"], true)
        self.assertEqual(self.result["notes"], [])

    def test_it_states_what_the_estimate_rests_on(self) -> None:
        n = self.result["n"]
        self.assertGreater(n["events"], 300)
        self.assertGreater(n["citizens"], 2000)
        self.assertEqual(n["caseworkers"], 76)
        self.assertEqual(self.result["definition"]["spell_build"], self.stored.inputs["spell_build"]["id"])
        self.assertEqual(self.result["dropped"]["no_general_belief"], 0)
        self.assertGreater(self.result["dropped"]["dont_know"], 0)  # "Ved ikke" is not a scale value

    def test_the_share_not_believing_covers_the_simulated_share(self) -> None:
        share = self.result["not_believing"]
        self.assertGreater(share["n"], 50)
        self.assertLessEqual(share["ci_low"], TRUTH["share_not_believing"])
        self.assertGreaterEqual(share["ci_high"], TRUTH["share_not_believing"])

    def test_the_implied_shares_rise_with_belief_and_agree_with_the_baseline_hazard(self) -> None:
        implied = [i["share"] for i in sorted(self.result["implied"], key=lambda i: i["belief"])]
        self.assertEqual(len(implied), 5)
        self.assertEqual(implied, sorted(implied))
        for item in self.result["implied"]:
            self.assertLess(item["ci_low"], item["share"])
            self.assertLess(item["share"], item["ci_high"])
        # The ratio of the cumulative hazards of neighbouring levels is the belief's hazard ratio.
        hazards = [-math.log(1 - s) for s in implied]
        for low, high in itertools.pairwise(hazards):
            self.assertAlmostEqual(high / low, self.effect("belief")["hr"], places=6)

    def test_the_observed_curves_are_cumulative_shares_by_belief(self) -> None:
        observed = {o["belief"]: o for o in self.result["observed"]}
        self.assertEqual(set(observed), {1, 2, 3, 4, 5})
        self.assertLess(observed[1]["share"], observed[5]["share"])
        for curve in self.result["km"]:
            self.assertLessEqual(len(curve["time"]), 61)
            shares = [s for s in curve["share"] if s is not None]
            self.assertEqual(shares, sorted(shares))
            self.assertEqual(curve["share"][0], 0.0)

    def test_it_fits_each_municipality_and_each_focus_area_before_and_after(self) -> None:
        codes = {m["code"] for m in self.result["municipalities"]}
        self.assertEqual(codes, {"0740", "0727", "0540", "0147"})
        for m in self.result["municipalities"]:
            belief = next(e for e in m["effects"] if e["name"] == "belief")
            self.assertTrue(belief["hr"] is not None or m.get("reason"))
        self.assertTrue(self.result["focus_areas"])
        for choice in self.result["focus_areas"]:
            sides = [s for s in (choice["before"], choice["after"]) if s is not None]
            self.assertTrue(sides)
            for side in sides:
                for effect in side["effects"]:
                    self.assertTrue(effect["hr"] is not None or effect.get("reason"))

    def test_the_result_is_current_right_after_the_demo(self) -> None:
        self.assertFalse(runs.is_stale(self.stored))
        self.assertEqual(self.stored.versions["python"].count("."), 2)
        self.assertIn("polars", self.stored.versions)

    def test_the_within_caseworker_model_finds_no_frailty_where_there_is_none(self) -> None:
        stored = runs.run_now(self.project, "bip", spec={"within": True})
        within = (stored.result or {})["within"]
        self.assertTrue(within["converged"])
        self.assertLess(within["theta"], 0.05)
        belief = next(e for e in within["effects"] if e["name"] == "belief")
        self.assertLessEqual(belief["ci_low"], TRUTH["hr_belief"])
        self.assertGreaterEqual(belief["ci_high"], TRUTH["hr_belief"])

    def test_without_prior_weeks_the_control_is_left_out_and_the_result_says_so(self) -> None:
        Citizen.objects.update(prior_weeks_on_benefit=None)
        result = runs.run_now(self.project, "bip").result or {}
        self.assertEqual(result["notes"], ["no_prior_weeks"])
        self.assertNotIn("log2_prior", [c["name"] for c in result["controls"]])
        self.assertEqual(result["n"], self.result["n"])

    def test_citizens_without_prior_weeks_are_left_out_and_counted_when_others_have_them(self) -> None:
        missing = Citizen.objects.order_by("pk")[:50]
        Citizen.objects.filter(pk__in=missing.values("pk")).update(prior_weeks_on_benefit=None)
        result = runs.run_now(self.project, "bip").result or {}
        self.assertGreater(result["dropped"]["no_prior_weeks"], 0)
        self.assertLess(result["n"]["citizens"], self.result["n"]["citizens"])
        self.assertIn("log2_prior", [c["name"] for c in result["controls"]])
