"""`jobtro run-analyses [--kind K ...] [--if-stale] [--project ID]`: compute the stored analyses now
(jobtro.analysis.runs) and print one line per analysis. --if-stale skips a kind whose latest result
was computed from the data as they are now. Runs whose task worker stopped (running over 6 hours, queued
over 3 days) are first marked as failed. Exit status 1 when an analysis failed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jobtro.analysis import runs
from jobtro.audit.context import acting_as
from jobtro.organisation.commandline import command_actor, command_project


class Command(BaseCommand):
    help = "Compute the stored analyses (BIP, belief, drivers, calibration) from the data as they are now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--kind",
            action="append",
            choices=list(runs.COMPUTE),
            help="an analysis to compute (repeat for several; default: every installed one)",
        )
        parser.add_argument(
            "--if-stale", action="store_true", help="skip an analysis whose latest result is from the current data"
        )
        parser.add_argument("--project", type=int, help="project id (default: the latest project)")

    def handle(self, *args: Any, **options: Any) -> None:
        project = command_project(options["project"])
        available = runs.available_kinds()
        kinds: list[str] = options["kind"] or available
        missing = [k for k in kinds if k not in available]
        if missing:
            raise CommandError(f"not installed: {', '.join(missing)}", returncode=2)
        fingerprint, _ = runs.data_fingerprint(project)
        failed = 0
        with acting_as(command_actor("run-analyses")):
            swept = runs.sweep_stuck()
            if swept:
                self.stdout.write(f"{swept} run(s) whose task worker stopped marked as failed")
            for kind in dict.fromkeys(kinds):
                previous = runs.latest(project, kind)
                current = previous is not None and not runs.is_stale(previous, fingerprint=fingerprint)
                if options["if_stale"] and previous is not None and current:
                    self.stdout.write(f"{kind}: up to date (result {previous.pk})")
                    continue
                result = runs.run_now(project, kind)
                if result.state == result.State.DONE:
                    self.stdout.write(f"{kind}: done in {result.seconds or 0:.1f} s (result {result.pk})")
                else:
                    failed += 1
                    self.stderr.write(f"{kind}: failed (result {result.pk}): {result.error}")
        if failed:
            raise CommandError(f"{failed} analysis/analyses failed", returncode=1)
