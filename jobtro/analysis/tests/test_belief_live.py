"""The live belief analysis (jobtro.analysis.belief_live) on panels built in the test database: the counts
are the answers in force, the trajectories are the crossed mixed model's, a shift planted after take-up
is found by the DiD, and the result is JSON."""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest
from django.test import TestCase
from django.utils import timezone

from jobtro.analysis import belief_live
from jobtro.analysis.runs import AnalysisError
from jobtro.collaboration.models import FocusArea, FocusAreaChoice
from jobtro.collaboration.seed import ensure_focus_areas
from jobtro.measurement.actions import default_instrument_version, plan_waves
from jobtro.measurement.models import Answer, Citizen, Wave
from jobtro.organisation.models import Membership, Municipality, Participation, Project, Role, Staff, Unit
from jobtro.stats.belief import fit_crossed_lmm

START = date(2025, 1, 6)
TODAY = date(2025, 12, 1)  # waves 0-3 (months 0, 3, 6, 9) have closed, wave 4 has not opened


@dataclass(frozen=True)
class Truth:
    wave: int
    caseworker: int
    citizen: int
    municipality: str
    team: int
    belief: int | None  # None: don't know


def _moment(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone())


def build_panel(
    project: Project,
    groups: list[tuple[Municipality, Unit, int]],
    *,
    citizens_each: int = 6,
    take_up: dict[str, int] | None = None,
    shift: float = 0.0,
    seed: int = 7,
    area_key: str = "sparring",
) -> list[Truth]:
    """Caseworkers (``n`` per (municipality, team)) with ``citizens_each`` citizens each, answering every
    planned wave that has closed by TODAY; belief = 3 + caseworker + citizen + noise, plus ``shift`` from a
    municipality's take-up wave (``take_up``: code -> wave) on, rounded into 1..5, about 5 % don't know.

    Besides the answers in force, each wave gets noise the analysis must ignore: an earlier answer that a
    later one replaces, and an answer received after the wave closed."""
    rng = random.Random(seed)
    version = default_instrument_version()
    items = {item.key: item for item in version.items.all()}
    waves = [w for w in plan_waves(project, version=version) if w.closes_on < TODAY]
    ensure_focus_areas(project)
    area = FocusArea.objects.get(project=project, key=area_key)
    for code, g in (take_up or {}).items():
        municipality = Municipality.objects.get(code=code)
        wave = Wave.objects.get(project=project, number=g)
        FocusAreaChoice.objects.create(
            project=project, municipality=municipality, focus_area=area, start=wave.opens_on - timedelta(days=30)
        )
    truth: list[Truth] = []
    answers: list[Answer] = []

    def answer(wave: Wave, key: str, caseworker: int, citizen: int | None, value: int | None, at: datetime) -> None:
        answers.append(
            Answer(
                wave=wave, item=items[key], caseworker_id=caseworker, citizen_id=citizen, value=value,
                dont_know=value is None, request_id=uuid.UUID(int=rng.getrandbits(128), version=4), received_at=at,
            )
        )  # fmt: skip

    prefix = f"{project.pk}-{seed}"
    for g_index, (municipality, team, n) in enumerate(groups):
        for k in range(n):
            person = Staff.objects.create(username=f"cw-{prefix}-{g_index}-{k}")
            Membership.objects.create(
                staff=person, role=Role.CASEWORKER, municipality=municipality, unit=team, start=project.start_date
            )
            u = rng.gauss(0, 0.5)
            citizens = Citizen.objects.bulk_create(
                Citizen(
                    municipality=municipality, pseudonym=f"p-{prefix}-{g_index}-{k}-{i}", cpr_encrypted="-",
                    name_encrypted="-", birth_year=1980, female=bool(i % 2),
                )
                for i in range(citizens_each)
            )  # fmt: skip
            v = {c.pk: rng.gauss(0, 0.7) for c in citizens}
            general = rng.random() < 0.5
            for wave in waves:
                treated = (
                    take_up is not None and municipality.code in take_up and wave.number >= take_up[municipality.code]
                )
                at = _moment(wave.opens_on + timedelta(days=2))
                answer(wave, "general_believes", person.pk, None, int(general), at)
                for j, citizen in enumerate(citizens):
                    latent = 3 + u + v[citizen.pk] + (shift if treated else 0.0) + rng.gauss(0, 0.4)
                    value = None if rng.random() < 0.05 else int(min(5, max(1, round(latent))))
                    answer(wave, "specific_belief", person.pk, citizen.pk, value, at)
                    truth.append(Truth(wave.number, person.pk, citizen.pk, municipality.code, team.pk, value))
                    if j == 0:  # replaced the next day (in force: the later one) ...
                        answer(wave, "specific_belief", person.pk, citizen.pk, 1, at - timedelta(days=1))
                        # ... and changed after the wave closed (not in force)
                        answer(
                            wave,
                            "specific_belief",
                            person.pk,
                            citizen.pk,
                            None,
                            _moment(wave.closes_on, 9) + timedelta(days=1),
                        )
    Answer.objects.bulk_create(answers)
    return truth


def _project(name: str, codes: list[str]) -> tuple[Project, dict[str, Municipality], dict[str, list[Unit]]]:
    project = Project.objects.create(name=name, start_date=START)
    municipalities = {m.code: m for m in Municipality.objects.filter(code__in=codes)}
    teams: dict[str, list[Unit]] = {}
    for code, m in municipalities.items():
        Participation.objects.create(project=project, municipality=m, joined=START)
        centre = Unit.objects.create(municipality=m, kind=Unit.Kind.JOB_CENTRE, name=f"Jobcenter {m.name}")
        teams[code] = [
            Unit.objects.create(municipality=m, parent=centre, kind=Unit.Kind.TEAM, name=f"Team {i}") for i in (1, 2)
        ]
    return project, municipalities, teams


CODES = ["0740", "0727", "0540", "0147"]


class BeliefLiveTests(TestCase):
    truth: list[Truth]
    project: Project
    result: dict[str, Any]
    steps: list[tuple[str, float]]

    @classmethod
    def setUpTestData(cls) -> None:
        cls.project, municipalities, teams = _project("Belief test", CODES)
        groups = [(municipalities[c], team, 3) for c in CODES for team in teams[c]]
        # Silkeborg takes the area up at wave 2, Odder at wave 3; Sønderborg and Frederiksberg never.
        cls.truth = build_panel(cls.project, groups, take_up={"0740": 2, "0727": 3}, shift=1.0)
        cls.steps = []
        cls.result = belief_live.compute(
            cls.project, {"today": TODAY.isoformat()}, lambda step, fraction: cls.steps.append((step, fraction))
        )

    def _truth_frame(self) -> pl.DataFrame:
        return pl.DataFrame(
            [(t.wave, t.caseworker, t.citizen, t.municipality, t.team, t.belief) for t in self.truth],
            schema={"wave": pl.Int64, "caseworker_id": pl.Int64, "citizen_id": pl.Int64, "municipality": pl.String,
                    "team": pl.Int64, "belief": pl.Int64},
            orient="row",
        )  # fmt: skip

    def test_it_is_json_with_finite_numbers(self) -> None:
        text = json.dumps(self.result, allow_nan=False)
        self.assertEqual(json.loads(text), self.result)

    def test_it_uses_the_closed_waves(self) -> None:
        self.assertEqual([w["number"] for w in self.result["waves"]], [0, 1, 2, 3])

    def test_it_counts_the_answers_in_force(self) -> None:
        frame = self._truth_frame()
        for wave in range(4):
            mine = frame.filter(pl.col("wave") == wave)
            expected = [mine.filter(pl.col("belief") == c).height for c in range(1, 6)]
            row = self.result["distribution"]["project"][wave]
            self.assertEqual(row["counts"], expected)
            self.assertEqual(row["dont_know"], mine.filter(pl.col("belief").is_null()).height)
            self.assertEqual(row["n"], mine.height)
        for m in self.result["distribution"]["municipalities"]:
            for row in m["waves"]:
                mine = frame.filter((pl.col("wave") == row["wave"]) & (pl.col("municipality") == m["code"]))
                self.assertEqual(row["counts"], [mine.filter(pl.col("belief") == c).height for c in range(1, 6)])
        self.assertEqual(self.result["n"]["answers"], frame.height)

    def test_the_general_share_is_the_share_answering_yes(self) -> None:
        yes = Answer.objects.filter(wave__project=self.project, wave__number=0, item__key="general_believes", value=1)
        row = self.result["general"]["project"][0]
        self.assertEqual(row["yes"], yes.count())
        self.assertEqual(row["n"], 4 * 2 * 3)
        self.assertLess(row["ci_low"], row["share"])
        self.assertGreater(row["ci_high"], row["share"])

    def test_the_project_trajectory_is_the_crossed_mixed_model(self) -> None:
        frame = self._truth_frame().drop_nulls("belief")
        names = [f"w{w}" for w in range(4)]
        data = frame.with_columns([(pl.col("wave") == w).cast(pl.Float64).alias(f"w{w}") for w in range(4)])
        fit = fit_crossed_lmm(data, y="belief", x=names, intercept=False)
        points = self.result["trajectories"]["project"]["points"]
        np.testing.assert_allclose([p["mean"] for p in points], fit.params, rtol=1e-8)
        np.testing.assert_allclose([p["se"] for p in points], fit.se, rtol=1e-8)
        np.testing.assert_allclose([p["ci_low"] for p in points], fit.params - 1.959963984540054 * fit.se, rtol=1e-8)
        self.assertEqual([p["n"] for p in points], [frame.filter(pl.col("wave") == w).height for w in range(4)])

    def test_every_team_is_estimated_with_its_counts(self) -> None:
        frame = self._truth_frame().drop_nulls("belief")
        teams = self.result["trajectories"]["teams"]
        self.assertEqual(len(teams), 8)
        for team in teams:
            mine = frame.filter(pl.col("team") == team["id"])
            self.assertEqual(team["n"], mine.height)
            self.assertEqual(team["caseworkers"], 3)
            self.assertEqual(len(team["points"]), 4)

    def test_a_shift_after_take_up_is_found_by_the_did(self) -> None:
        did = self.result["did"]["first"]
        self.assertTrue(did["estimable"], did["reason"])
        self.assertEqual(did["comparison"], "never")
        self.assertEqual(did["clusters"], 4)
        self.assertEqual({t["code"]: t["wave"] for t in did["treated"]}, {"0740": 2, "0727": 3})
        self.assertGreater(did["overall"]["estimate"], 0.5)
        self.assertLess(did["overall"]["estimate"], 1.5)
        self.assertTrue(did["bootstrap"]["enumerated"])
        area = next(a for a in self.result["did"]["focus_areas"] if a["key"] == "sparring")
        self.assertAlmostEqual(area["overall"]["estimate"], did["overall"]["estimate"])
        # Before take-up there was no shift: the lead (Odder, two waves before) is small beside the effect.
        self.assertTrue(did["pre_trend"]["available"])
        self.assertLess(abs(did["pre_trend"]["leads"][0]["estimate"]), 0.5)

    def test_the_focus_area_trajectory_compares_before_and_after(self) -> None:
        area = next(a for a in self.result["trajectories"]["focus_areas"] if a["key"] == "sparring")
        self.assertEqual({m["code"]: m["wave"] for m in area["municipalities"]}, {"0740": 2, "0727": 3})
        self.assertGreater(area["change"]["estimate"], 0.5)
        self.assertEqual(
            [p["event"] for p in area["event_time"]["points"]], [-3, -2, -1, 0, 1]
        )  # Odder: -3..0, Silkeborg: -2..1

    def test_it_reports_progress(self) -> None:
        self.assertEqual(self.steps[-1], ("done", 1.0))
        fractions = [f for _, f in self.steps]
        self.assertEqual(fractions, sorted(fractions))


class TooLittleDataTests(TestCase):
    def test_it_needs_two_closed_waves(self) -> None:
        project, municipalities, teams = _project("Too early", ["0740", "0727"])
        build_panel(project, [(municipalities["0740"], teams["0740"][0], 2)])
        with self.assertRaisesMessage(AnalysisError, "at least two closed waves"):
            belief_live.compute(project, {"today": "2025-04-01"}, lambda s, f: None)  # only the baseline closed

    def test_no_take_up_is_not_estimable_with_a_reason(self) -> None:
        project, municipalities, teams = _project("No take-up", ["0740", "0727"])
        build_panel(project, [(municipalities[c], teams[c][0], 2) for c in ("0740", "0727")], citizens_each=3)
        result = belief_live.compute(project, {"today": TODAY.isoformat()}, lambda s, f: None)
        self.assertFalse(result["did"]["first"]["estimable"])
        self.assertEqual(result["did"]["first"]["reason"], "no_treated")
        self.assertEqual(result["trajectories"]["focus_areas"], [])


@pytest.mark.slow
class DemoTests(TestCase):
    """The analysis on the simulated demo, which plants no effect of the focus areas."""

    @classmethod
    def setUpTestData(cls) -> None:
        from jobtro.organisation.demo import load_demo

        cls.today = date(2026, 11, 27)
        cls.project = load_demo(today=cls.today, analyses=()).project  # computed here, with its day
        cls.result = belief_live.compute(cls.project, {"today": cls.today.isoformat()}, lambda s, f: None)

    def test_it_covers_the_demo(self) -> None:
        result = self.result
        json.dumps(result, allow_nan=False)
        self.assertEqual(result["n"]["municipalities"], 4)
        closed = Wave.objects.filter(project=self.project, closes_on__lt=self.today).count()
        self.assertEqual(len(result["waves"]), closed)
        in_force = Answer.objects.filter(
            wave__project=self.project, wave__closes_on__lt=self.today, item__key="specific_belief"
        ).count()
        self.assertEqual(result["n"]["answers"], in_force)  # the demo answers each citizen once per wave
        # Every municipality took up its first focus area at once: nobody to compare with.
        self.assertEqual(result["did"]["first"]["reason"], "one_cohort")
        estimable = [a for a in result["did"]["focus_areas"] if a["estimable"]]
        self.assertTrue(estimable)
        for area in estimable:
            self.assertEqual(area["clusters"], 4)
            overall = area["overall"]
            low = -np.inf if overall["unbounded_low"] else overall["ci_low"]
            high = np.inf if overall["unbounded_high"] else overall["ci_high"]
            self.assertLessEqual(low, 0.0, area["key"])
            self.assertGreaterEqual(high, 0.0, area["key"])
