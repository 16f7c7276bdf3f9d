"""The upload's task: it runs the import as the requesting data manager, writes its progress to the job
row while it runs, and ends with the counts or every problem - and never keeps the uploaded bytes."""

from __future__ import annotations

import gzip
import io
from datetime import date
from typing import Any
from unittest import mock

from jobtro.audit.models import AuditEvent
from jobtro.outcomes import imports
from jobtro.outcomes.models import ImportJob, Kind, OutcomeImport
from jobtro.outcomes.tasks import MAX_SHOWN, progress_reporter, run_import_job
from jobtro.outcomes.tests.test_views import BAD_STATUS, GOOD_EVENTS, GOOD_STATUS
from jobtro.testing import PersonaTestCase


class RunImportJobTest(PersonaTestCase):
    def job(self, data: bytes, kind: str = Kind.STATUS, **extra: Any) -> ImportJob:
        return ImportJob.objects.create(
            project=self.project,
            kind=kind,
            municipality=self.y,
            requested_by=self.personas["data_manager_y"],
            file_name="upload.csv",
            upload=data,
            **extra,
        )

    def run_job(self, job: ImportJob) -> ImportJob:
        run_import_job.call(str(job.pk))
        job.refresh_from_db()
        return job

    def test_a_valid_file_ends_done_with_its_import_and_without_its_bytes(self) -> None:
        job = self.run_job(self.job(GOOD_STATUS))
        self.assertEqual((job.state, job.noop, job.progress, job.step), (ImportJob.State.DONE, False, 1.0, ""))
        self.assertEqual(job.result, OutcomeImport.objects.get())
        self.assertEqual(bytes(job.upload), b"")
        self.assertIsNotNone(job.finished_at)
        self.assertEqual((job.result.rows, job.result.persons, job.result.added), (4, 3, 4))  # type: ignore[union-attr]

    def test_it_imports_as_the_requesting_user_via_the_web(self) -> None:
        job = self.run_job(self.job(GOOD_STATUS))
        record = OutcomeImport.objects.get()
        self.assertEqual((record.imported_by, record.imported_via), (self.personas["data_manager_y"], "web"))
        event = AuditEvent.objects.get(action=AuditEvent.Action.BULK)
        self.assertEqual((event.actor_id, event.actor_label, event.via), (job.requested_by_id, "data_manager_y", "web"))
        self.assertEqual(event.path, f"/outcomes/jobs/{job.pk}/")

    def test_problems_end_it_failed_with_every_problem_and_nothing_written(self) -> None:
        job = self.run_job(self.job(BAD_STATUS))
        self.assertEqual((job.state, job.problem_count), (ImportJob.State.FAILED, 5))
        self.assertEqual(bytes(job.upload), b"")
        self.assertIsNotNone(job.finished_at)
        self.assertEqual(job.problems[0], {"row": 3, "column": "cpr", "value": "12345", "code": "cpr", "count": 1})
        self.assertEqual([p["row"] for p in job.problems], [3, 4, 5, 6, 7])
        csv = gzip.decompress(bytes(job.problems_csv)).decode("utf-8-sig")
        self.assertTrue(csv.startswith("Række;Kolonne;Værdi;Hvad er galt"), "the download is in Danish")
        self.assertIn("Ikke et gyldigt CPR-nummer.", csv)
        self.assertFalse(OutcomeImport.objects.exists())
        self.assertEqual(job.step, "sort", "the progress bar stays where the import stopped")

    def test_stored_problems_never_hold_a_whole_cpr_number(self) -> None:
        data = b"cpr;uge;status\n0101901235;2025-W07;benefit\n010190-1235;2025-W07;benefit\n3201901234;2025-W07;job\n"
        job = self.run_job(self.job(data))
        self.assertEqual(
            [(p["row"], p["value"], p["code"]) for p in job.problems],
            [(3, "010190-xxxx", "duplicate"), (4, "320190-xxxx", "cpr")],
        )
        csv = gzip.decompress(bytes(job.problems_csv)).decode("utf-8-sig")
        for number in ("0101901235", "1235", "3201901234"):
            self.assertNotIn(number, csv)

    def test_it_keeps_the_first_500_problems_for_the_page(self) -> None:
        rows = "".join(f"1234{i};2025-W07;benefit\n" for i in range(MAX_SHOWN + 20))
        job = self.run_job(self.job(f"cpr;uge;status\n{rows}".encode()))
        self.assertEqual((job.problem_count, len(job.problems)), (MAX_SHOWN + 20, MAX_SHOWN))
        csv = gzip.decompress(bytes(job.problems_csv)).decode("utf-8-sig")
        self.assertEqual(len(csv.strip().splitlines()), MAX_SHOWN + 21)

    def test_a_file_imported_before_is_done_with_nothing_changed(self) -> None:
        first = self.run_job(self.job(GOOD_STATUS))
        again = self.run_job(self.job(GOOD_STATUS))
        self.assertEqual((again.state, again.noop, again.result_id), (ImportJob.State.DONE, True, first.result_id))
        self.assertEqual(bytes(again.upload), b"")
        self.assertEqual(OutcomeImport.objects.count(), 1)

    def test_an_events_job_passes_its_period(self) -> None:
        job = self.job(GOOD_EVENTS, kind=Kind.EVENTS, covers_from=date(2025, 3, 1), covers_until=date(2025, 3, 31))
        job = self.run_job(job)
        self.assertEqual(job.state, ImportJob.State.DONE, job.problems)
        record = OutcomeImport.objects.get()
        self.assertEqual(
            (record.covers_from, record.covers_until, record.added), (date(2025, 3, 1), date(2025, 3, 31), 2)
        )
        self.assertEqual(record.store.kind, Kind.EVENTS)

    def test_an_events_file_outside_its_period_fails_with_the_rows(self) -> None:
        job = self.run_job(self.job(GOOD_EVENTS, kind=Kind.EVENTS, covers_until=date(2025, 3, 5)))
        self.assertEqual(job.state, ImportJob.State.FAILED)
        self.assertEqual([(p["row"], p["code"]) for p in job.problems], [(3, "outside_period")])

    def test_an_unexpected_error_fails_the_job_drops_the_bytes_and_is_raised(self) -> None:
        job = self.job(GOOD_STATUS)
        with (
            mock.patch.object(imports, "import_status", side_effect=KeyError("0211900059 not found")),
            self.assertRaises(KeyError),
        ):
            run_import_job.call(str(job.pk))
        job.refresh_from_db()
        self.assertEqual((job.state, job.message), (ImportJob.State.FAILED, "KeyError: '[CPR] not found'"))
        self.assertEqual(bytes(job.upload), b"")
        self.assertIsNotNone(job.finished_at)

    def test_progress_is_written_to_the_row_while_the_import_runs(self) -> None:
        job = self.job(GOOD_STATUS)
        seen: list[tuple[str, str, float]] = []
        real = imports.import_status

        def watched(data: bytes, **kwargs: Any) -> imports.ImportOutcome:
            progress = kwargs["progress"]

            def spy(step: str) -> None:
                progress(step)
                row = ImportJob.objects.get(pk=job.pk)  # what the job page would read now
                seen.append((row.state, row.step, row.progress))

            return real(data, **{**kwargs, "progress": spy})

        with mock.patch.object(imports, "import_status", side_effect=watched):
            self.run_job(job)
        steps = imports.STATUS_STEPS
        self.assertEqual([s for _, s, _ in seen], list(steps))
        self.assertEqual([round(p, 3) for *_, p in seen], [round(i / len(steps), 3) for i in range(len(steps))])
        self.assertEqual({state for state, *_ in seen}, {ImportJob.State.RUNNING})

    def test_the_progress_reporter_updates_only_the_progress(self) -> None:
        job = self.job(GOOD_STATUS)
        with self.assertNumQueries(1):
            progress_reporter(job.pk, Kind.EVENTS)("merge")
        job.refresh_from_db()
        self.assertEqual((job.step, job.progress, job.state), ("merge", 3 / 5, ImportJob.State.QUEUED))
        self.assertEqual(bytes(job.upload), GOOD_STATUS)

    def test_a_finished_job_is_not_run_again(self) -> None:
        job = self.run_job(self.job(GOOD_STATUS))
        with mock.patch.object(imports, "import_status") as again:
            self.assertEqual(run_import_job.call(str(job.pk)), ImportJob.State.DONE)
        again.assert_not_called()

    def test_the_daily_sweep_fails_stalled_jobs_and_drops_old_problems(self) -> None:
        from datetime import timedelta

        from django.core.management import call_command
        from django.utils import timezone

        from jobtro.outcomes.tasks import sweep_jobs

        stalled = self.job(GOOD_STATUS)
        ImportJob.objects.filter(pk=stalled.pk).update(state=ImportJob.State.RUNNING)
        queued = self.job(GOOD_STATUS)
        failed = self.run_job(self.job(BAD_STATUS))
        self.assertEqual(sweep_jobs(timezone.now() + timedelta(hours=5)), {"stale": 0, "problems_dropped": 0})
        later = timezone.now() + timedelta(hours=7)
        self.assertEqual(sweep_jobs(later), {"stale": 2, "problems_dropped": 0})  # running and queued, 7 h on
        stalled.refresh_from_db()
        self.assertEqual((stalled.state, bytes(stalled.upload)), (ImportJob.State.FAILED, b""))
        queued.refresh_from_db()
        self.assertEqual(queued.state, ImportJob.State.FAILED)
        self.assertEqual(sweep_jobs(timezone.now() + timedelta(days=89)), {"stale": 0, "problems_dropped": 0})
        self.assertEqual(sweep_jobs(timezone.now() + timedelta(days=91)), {"stale": 0, "problems_dropped": 1})
        failed.refresh_from_db()
        self.assertEqual((failed.problems, bytes(failed.problems_csv), failed.problem_count), ([], b"", 5))
        call_command("sweep-import-jobs", stdout=io.StringIO())
