"""`jobtro run-analyses [--kind K ...] [--if-stale] [--project ID]`: computes and stores the analyses,
skips the current ones with --if-stale, and exits with 1 when one failed (its message on stderr)."""

from __future__ import annotations

import io
import uuid
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from jobtro.analysis import runs
from jobtro.analysis.models import AnalysisResult
from jobtro.audit.models import AuditEvent
from jobtro.measurement.actions import plan_waves
from jobtro.measurement.models import Answer, Item
from jobtro.testing import PersonaTestCase

FAKES = {
    "bip": "jobtro.analysis.tests.test_run_analyses_command:fake",
    "belief": "jobtro.analysis.tests.test_run_analyses_command:fake",
    "drivers": "jobtro.analysis.no_such_module:compute",
    "calibration": "jobtro.analysis.tests.test_run_analyses_command:refusing",
}


def fake(project: Any, spec: dict[str, Any], progress: Any) -> dict[str, Any]:
    return {"n": {"citizens": 5}}


def refusing(project: Any, spec: dict[str, Any], progress: Any) -> dict[str, Any]:
    raise runs.AnalysisError("no outcomes yet")


class RunAnalysesCommandTests(PersonaTestCase):
    def setUp(self) -> None:
        patcher = mock.patch.dict(runs.COMPUTE, FAKES)
        patcher.start()
        self.addCleanup(patcher.stop)

    def run_command(self, *args: str) -> tuple[str, str]:
        out, err = io.StringIO(), io.StringIO()
        call_command("run-analyses", *args, stdout=out, stderr=err)
        return out.getvalue(), err.getvalue()

    def test_it_computes_the_kinds_asked_for(self) -> None:
        out, _ = self.run_command("--kind", "bip", "--kind", "belief")
        self.assertIn("bip: done", out)
        self.assertIn("belief: done", out)
        self.assertEqual(
            sorted(AnalysisResult.objects.values_list("kind", "state")), [("belief", "done"), ("bip", "done")]
        )
        actors = set(AuditEvent.objects.filter(object_type="analysis.AnalysisResult").values_list("via", flat=True))
        self.assertEqual(actors, {"cli"})

    def test_if_stale_skips_results_computed_from_the_current_data(self) -> None:
        self.run_command("--kind", "bip")
        out, _ = self.run_command("--kind", "bip", "--if-stale")
        self.assertIn("bip: up to date", out)
        self.assertEqual(AnalysisResult.objects.count(), 1)
        wave = plan_waves(self.project)[0]
        Answer.objects.create(
            wave=wave,
            item=Item.objects.get(version=wave.instrument_version, key="specific_belief"),
            caseworker=self.personas["caseworker_a"],
            citizen=self.citizen_a,
            value=3,
            request_id=uuid.uuid4(),
            received_at=timezone.make_aware(datetime(2025, 1, 8, 9)),
        )
        out, _ = self.run_command("--kind", "bip", "--if-stale")
        self.assertIn("bip: done", out)
        self.assertEqual(AnalysisResult.objects.count(), 2)

    def test_a_failed_analysis_is_stored_and_exits_with_1(self) -> None:
        with self.assertRaises(CommandError) as raised:
            self.run_command("--kind", "calibration")
        self.assertEqual(raised.exception.returncode, 1)
        failed = AnalysisResult.objects.get()
        self.assertEqual((failed.state, failed.error), ("failed", "no outcomes yet"))

    def test_by_default_it_computes_every_installed_kind(self) -> None:
        with self.assertRaises(CommandError):  # calibration refuses
            self.run_command()
        self.assertEqual(
            sorted(AnalysisResult.objects.values_list("kind", flat=True)), ["belief", "bip", "calibration"]
        )

    def test_a_kind_that_is_not_installed_is_refused(self) -> None:
        with self.assertRaises(CommandError) as raised:
            self.run_command("--kind", "drivers")
        self.assertEqual(raised.exception.returncode, 2)
        self.assertFalse(AnalysisResult.objects.exists())

    def test_runs_whose_worker_stopped_are_failed_first_and_recent_ones_are_left(self) -> None:
        now = timezone.now()

        def stored(state: str, **times: datetime) -> AnalysisResult:
            result = AnalysisResult.objects.create(project=self.project, kind="bip", state=state)
            AnalysisResult.objects.filter(pk=result.pk).update(**times)  # created is auto_now_add
            return result

        lost = stored(AnalysisResult.State.RUNNING, started=now - runs.RUNNING_TOO_LONG - timedelta(minutes=1))
        busy = stored(AnalysisResult.State.RUNNING, started=now - timedelta(hours=1))
        forgotten = stored(AnalysisResult.State.QUEUED, created=now - runs.QUEUED_TOO_LONG - timedelta(minutes=1))
        waiting = stored(AnalysisResult.State.QUEUED, created=now - timedelta(hours=1))
        out, _ = self.run_command("--kind", "bip")
        self.assertIn("2 run(s) whose task worker stopped marked as failed", out)
        states = {r.pk: (r.state, r.error) for r in AnalysisResult.objects.all()}
        self.assertEqual(states[lost.pk], ("failed", runs.STOPPED_MESSAGE))
        self.assertEqual(states[forgotten.pk], ("failed", runs.STOPPED_MESSAGE))
        self.assertEqual(states[busy.pk][0], "running")
        self.assertEqual(states[waiting.pk][0], "queued")
