"""The data manager's upload, imported by the task worker (Django's tasks API; `jobtro db_worker`): the
same import as `jobtro import-status` / `import-events` (jobtro.outcomes.imports), with its progress and
its outcome written to the upload's :class:`ImportJob` row for the job page to show."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

import polars as pl
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override
from django_tasks import task

from jobtro.audit.context import Actor, acting_as
from jobtro.lib.outcome_files import Problems
from jobtro.outcomes import imports
from jobtro.outcomes.models import ImportJob, Kind

MAX_SHOWN = 500  # problems kept for the page; the CSV download holds every one
# Kept out of a stored error message: an exception may quote a value of the file.
_CPR_LIKE = re.compile(r"\d{6}-?\d{4}")


def steps_of(kind: str) -> tuple[str, ...]:
    return imports.STATUS_STEPS if kind == Kind.STATUS else imports.EVENT_STEPS


def progress_reporter(job_id: uuid.UUID | str, kind: str) -> imports.Progress:
    """A progress callback that writes the step that starts and the fraction of steps done to the
    job's row: one cheap UPDATE (no model signals, no reading of the upload's bytes)."""
    steps = steps_of(kind)

    def report(step: str) -> None:
        done = steps.index(step) if step in steps else len(steps) - 1
        ImportJob.objects.filter(pk=job_id).update(step=step[:20], progress=done / len(steps))

    return report


def masked(problems: Problems) -> Problems:
    """The problems with every CPR-like value cut to its birth date (``010190-xxxx``): the job row keeps
    them for weeks, and only pseudonyms may be stored. The row number still finds the row in the file;
    the command line, where nothing is stored, shows values in full."""
    frame = problems.frame.with_columns(pl.col("value").str.replace_all(r"\b(\d{6})-?\d{4}\b", "${1}-xxxx"))
    return Problems(frame)


@task()
def run_import_job(job_id: str) -> str:
    """Import an upload; returns the job's final state. The uploaded bytes are dropped however the job
    ends (they may hold CPR numbers; the import keeps only pseudonyms)."""
    job = ImportJob.objects.select_related("project", "municipality", "requested_by").get(pk=job_id)
    if job.finished:  # enqueued twice, or run again by hand: the first run has said everything
        return str(job.state)
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.RUNNING, step="", progress=0.0)
    user = job.requested_by
    actor = Actor(
        id=user.pk, label=user.get_username(), via="web", path=reverse("outcomes:import_job", args=[job.pk])[:300]
    )
    data = bytes(job.upload)
    progress = progress_reporter(job.pk, job.kind)
    try:
        with acting_as(actor):
            if job.kind == Kind.STATUS:
                outcome = imports.import_status(
                    data, project=job.project, municipality=job.municipality, file_name=job.file_name,
                    user=user, via="web", progress=progress,
                )  # fmt: skip
            else:
                assert job.covers_until is not None, "an event upload states the end of its data"
                outcome = imports.import_events(
                    data, project=job.project, municipality=job.municipality, file_name=job.file_name,
                    covers_until=job.covers_until, covers_from=job.covers_from, user=user, via="web",
                    progress=progress,
                )  # fmt: skip
    except Exception as exc:
        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportJob.State.FAILED,
            message=_CPR_LIKE.sub("[CPR]", f"{type(exc).__name__}: {exc}")[:2000],
            upload=b"",
            finished_at=timezone.now(),
        )
        raise
    finished = {"upload": b"", "finished_at": timezone.now()}  # the progress bar stays where a failed import stopped
    done = {**finished, "state": ImportJob.State.DONE, "step": "", "progress": 1.0}
    if outcome.problems is not None:
        problems = masked(outcome.problems)
        with override("da"):  # the download is for the municipality's staff: Danish headings and words
            csv = imports.problems_csv(problems)
        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportJob.State.FAILED,
            problem_count=len(problems),
            problems=[row for row in problems.frame.head(MAX_SHOWN).iter_rows(named=True)],
            problems_csv=csv,
            **finished,
        )
        return str(ImportJob.State.FAILED)
    if outcome.previous is not None:
        ImportJob.objects.filter(pk=job.pk).update(noop=True, result=outcome.previous, **done)
        return str(ImportJob.State.DONE)
    ImportJob.objects.filter(pk=job.pk).update(result=outcome.record, **done)
    return str(ImportJob.State.DONE)


STALE_AFTER = timedelta(hours=6)  # far beyond the national panel's import time
KEEP_PROBLEMS_FOR = timedelta(days=90)


def sweep_jobs(now: datetime | None = None) -> dict[str, int]:
    """Daily housekeeping (idempotent): a job still waiting or running long after it started has lost
    its worker - it is marked failed and its uploaded bytes dropped; the problems of jobs that ended
    long ago are dropped (their import records and audit events remain)."""
    now = now or timezone.now()
    stale = ImportJob.objects.filter(
        state__in=[ImportJob.State.QUEUED, ImportJob.State.RUNNING], created_at__lt=now - STALE_AFTER
    ).update(
        state=ImportJob.State.FAILED,
        message="The import did not finish: the task worker stopped. Upload the file again.",
        upload=b"",
        finished_at=now,
    )
    old = ImportJob.objects.filter(finished_at__lt=now - KEEP_PROBLEMS_FOR, problem_count__gt=0).exclude(problems=[])
    expired = old.update(problems=[], problems_csv=b"")
    return {"stale": stale, "problems_dropped": expired}
