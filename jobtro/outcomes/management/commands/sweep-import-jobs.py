"""`jobtro sweep-import-jobs`: daily housekeeping of the register uploads (idempotent): uploads whose
worker stopped are marked failed and their bytes dropped; problem lists older than 90 days are dropped."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jobtro.outcomes.tasks import sweep_jobs


class Command(BaseCommand):
    help = "Fail register uploads whose worker stopped, and drop old problem lists."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = sweep_jobs()
        self.stdout.write(
            f"{counts['stale']} stalled upload(s) marked failed; "
            f"problems of {counts['problems_dropped']} old upload(s) dropped."
        )
