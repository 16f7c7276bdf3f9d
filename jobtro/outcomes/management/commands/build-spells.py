"""`jobtro build-spells [--k K --n N] [--horizon WEEKS] [--project ID]`: build the spells of every belief
measurement (weeks to the first job-or-education week, censored at the horizon or the end of data)
and their counting-process form, from the outcome data imported so far (jobtro.outcomes.spells).

--k/--n: an event needs at least K of N consecutive weeks in job or education (default 1 of 1).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from jobtro.audit.context import acting_as
from jobtro.lib.progress import StepBar
from jobtro.organisation.commandline import command_actor, command_project
from jobtro.outcomes.management.commands._common import numbers, raw_stream
from jobtro.outcomes.spells import STEPS, Definition, SpellError, build_spells


class Command(BaseCommand):
    help = "Build time-to-job spells and their counting-process form from the imported outcome data."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--k", type=int, default=1, help="weeks in job or education needed (default 1)")
        parser.add_argument("--n", type=int, default=1, help="... of this many consecutive weeks (default 1)")
        parser.add_argument("--horizon", type=int, default=52, help="longest follow-up in weeks (default 52)")
        parser.add_argument("--project", type=int, help="project id (default: the latest project)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            definition = Definition(k=options["k"], n=options["n"], horizon_weeks=options["horizon"])
        except ValueError as exc:
            raise CommandError(str(exc), returncode=2) from None
        project = command_project(options["project"])
        bar = StepBar(STEPS, raw_stream(self.stderr), title="build-spells")
        try:
            with acting_as(command_actor("build-spells")):
                build = build_spells(project, definition, progress=bar)
        except SpellError as exc:
            raise CommandError(str(exc), returncode=1) from None
        seconds = bar.done()
        self.stdout.write(
            _(
                "Spells built in %(seconds)s s: %(measurements)s measurements of %(persons)s citizens, "
                "%(with_outcome)s with outcome data, %(events)s events; %(counting)s counting-process rows, "
                "%(changes)s caseworker changes."
            )
            % numbers(
                {
                    "seconds": seconds,
                    "measurements": build.measurements,
                    "persons": build.persons,
                    "with_outcome": build.with_outcome,
                    "events": build.events,
                    "counting": build.counting_rows,
                    "changes": build.caseworker_changes,
                }
            )
        )
