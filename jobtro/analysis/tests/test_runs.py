"""Stored analyses (jobtro.analysis.runs and tasks): a result keeps the fingerprint of the data it read
and is flagged stale once new data arrive (and not before); a failure is stored with its message
(never a CPR number); progress is written while it runs; a queued run is computed by the task."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from unittest import mock

from django.utils import timezone

from jobtro.analysis import runs
from jobtro.analysis.models import AnalysisResult
from jobtro.analysis.tasks import run_analysis
from jobtro.audit.models import AuditEvent
from jobtro.collaboration.models import FocusArea, FocusAreaChoice
from jobtro.measurement.actions import plan_waves
from jobtro.measurement.models import Answer, CaseworkerAssignment, Item, Wave
from jobtro.outcomes.models import SpellBuild
from jobtro.testing import PersonaTestCase, make_citizen

FAKE = "jobtro.analysis.tests.test_runs:fake_compute"
BROKEN = "jobtro.analysis.tests.test_runs:broken_compute"
seen_progress: list[float] = []


def fake_compute(project: Any, spec: dict[str, Any], progress: Any) -> dict[str, Any]:
    progress("counting", 0.5)
    seen_progress.append(AnalysisResult.objects.get(state=AnalysisResult.State.RUNNING).progress)
    return {"n": {"citizens": project.participations.count()}, "spec": spec, "nan": float("nan")}


def broken_compute(project: Any, spec: dict[str, Any], progress: Any) -> dict[str, Any]:
    raise ValueError("row 3: 010190-1234 is not what was expected")


class RunTests(PersonaTestCase):
    wave: Wave
    item: Item

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.wave = plan_waves(cls.project)[0]
        cls.item = Item.objects.get(version=cls.wave.instrument_version, key="specific_belief")

    def answer(self) -> Answer:
        return Answer.objects.create(
            wave=self.wave,
            item=self.item,
            caseworker=self.personas["caseworker_a"],
            citizen=self.citizen_a,
            value=4,
            request_id=uuid.uuid4(),
            received_at=timezone.make_aware(datetime(2025, 1, 8, 10)),
        )

    def run_fake(self, **kwargs: Any) -> AnalysisResult:
        with mock.patch.dict(runs.COMPUTE, {"bip": FAKE}):
            return runs.run_now(self.project, "bip", **kwargs)

    def test_it_stores_the_result_with_its_fingerprint_spec_and_versions(self) -> None:
        result = self.run_fake(spec={"within": False}, user=self.personas["researcher"])
        self.assertEqual(result.state, AnalysisResult.State.DONE)
        self.assertEqual(result.result, {"n": {"citizens": 2}, "spec": {"within": False}, "nan": None})
        self.assertEqual(result.fingerprint, runs.data_fingerprint(self.project)[0])
        self.assertEqual(result.inputs["citizens"]["count"], 5)
        self.assertEqual(set(result.versions), {"jobtro", "python", "numpy", "polars", "scipy", "statsmodels"})
        self.assertEqual((result.progress, result.step), (1.0, ""))
        self.assertIsNotNone(result.seconds)
        self.assertEqual(runs.latest(self.project, "bip"), result)
        events = AuditEvent.objects.filter(object_type="analysis.AnalysisResult")
        actions = list(events.values_list("action", flat=True))
        self.assertEqual(sorted(actions), [AuditEvent.Action.CREATE, AuditEvent.Action.UPDATE])

    def test_it_writes_progress_while_it_runs(self) -> None:
        seen_progress.clear()
        self.run_fake()
        self.assertEqual(seen_progress, [0.5])

    def test_a_result_is_current_until_new_data_arrive(self) -> None:
        result = self.run_fake()
        self.assertFalse(runs.is_stale(result))
        self.answer()
        self.assertTrue(runs.is_stale(result))
        self.assertFalse(runs.is_stale(self.run_fake()))

    def test_a_new_spell_build_makes_it_stale(self) -> None:
        result = self.run_fake()
        SpellBuild.objects.create(project=self.project)
        self.assertTrue(runs.is_stale(result))

    def test_a_caseworker_change_a_citizen_or_a_focus_area_makes_it_stale(self) -> None:
        changes: list[Callable[[], object]] = [
            lambda: CaseworkerAssignment.objects.filter(citizen=self.citizen_a).update(end=date(2025, 3, 3)),
            lambda: make_citizen(self.x, "0606661230", "Frode Friis"),
            lambda: FocusAreaChoice.objects.create(
                project=self.project,
                municipality=self.x,
                focus_area=FocusArea.objects.create(project=self.project, key="k", name_da="K", name_en="K"),
                start=date(2025, 4, 1),
            ),
        ]
        for change in changes:
            result = self.run_fake()
            change()
            self.assertTrue(runs.is_stale(result))

    def test_latest_ignores_failed_and_unfinished_runs(self) -> None:
        done = self.run_fake()
        with mock.patch.dict(runs.COMPUTE, {"bip": BROKEN}):
            runs.run_now(self.project, "bip")
        AnalysisResult.objects.create(project=self.project, kind="bip", fingerprint="x")
        self.assertEqual(runs.latest(self.project, "bip"), done)
        self.assertIsNone(runs.latest(self.project, "belief"))

    def test_an_analysis_the_data_cannot_support_stores_its_message(self) -> None:
        result = runs.run_now(self.project, "bip")  # the real BIP analysis: no spells built yet
        self.assertEqual(result.state, AnalysisResult.State.FAILED)
        self.assertIn("no spells have been built yet", result.error)
        self.assertIsNone(result.result)
        self.assertIsNone(runs.latest(self.project, "bip"))

    def test_an_unexpected_failure_is_stored_without_the_cpr_number(self) -> None:
        with mock.patch.dict(runs.COMPUTE, {"bip": BROKEN}), self.assertLogs("jobtro.analysis.runs", "ERROR"):
            result = runs.run_now(self.project, "bip")
        self.assertEqual(result.state, AnalysisResult.State.FAILED)
        self.assertEqual(result.error, "ValueError: row 3: [CPR] is not what was expected")

    def test_a_missing_module_fails_with_a_message(self) -> None:
        with mock.patch.dict(runs.COMPUTE, {"bip": "jobtro.analysis.no_such_module:compute"}):
            self.assertNotIn("bip", runs.available_kinds())
            result = runs.run_now(self.project, "bip")
        self.assertEqual(result.state, AnalysisResult.State.FAILED)
        self.assertIn("not available", result.error)

    def test_an_unknown_kind_is_refused(self) -> None:
        with self.assertRaises(ValueError):
            runs.run_now(self.project, "horoscope")

    def test_a_requested_run_waits_for_the_task_which_computes_it(self) -> None:
        user = self.personas["researcher"]
        with mock.patch.dict(runs.COMPUTE, {"bip": FAKE}):
            result = runs.request(self.project, "bip", user=user)
            self.assertEqual(result.state, AnalysisResult.State.QUEUED)
            self.assertIsNone(runs.latest(self.project, "bip"))
            self.assertEqual(run_analysis.call(result.pk), AnalysisResult.State.DONE)
            self.assertEqual(run_analysis.call(result.pk), AnalysisResult.State.DONE)  # twice: no second run
        result.refresh_from_db()
        self.assertEqual(result.requested_by, user)
        stored = AuditEvent.objects.filter(object_type="analysis.AnalysisResult", action=AuditEvent.Action.UPDATE)
        self.assertEqual([(e.actor_id, e.via) for e in stored], [(user.pk, "task")])
