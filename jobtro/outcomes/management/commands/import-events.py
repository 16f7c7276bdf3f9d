"""`jobtro import-events FILE --municipality CODE --until DATE [--from DATE] [--project ID]`: import a
file of job and education starts (person, kind, date) for a municipality that has those instead of
weekly status. The file is complete for the period --from (default: its first event) to --until (the
extract's end of data): it replaces the stored events of that period.

Exit status as for `jobtro import-status`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from jobtro.audit.context import acting_as
from jobtro.lib.progress import StepBar
from jobtro.lib.tabular import DateError, parse_date
from jobtro.organisation.commandline import command_actor, command_project
from jobtro.outcomes.imports import EVENT_STEPS, import_events
from jobtro.outcomes.management.commands._common import (
    add_common_arguments,
    municipality,
    numbers,
    raw_stream,
    read_file,
    report,
)


def _date(option: str, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return parse_date(text)
    except DateError as exc:
        raise CommandError(f"{option}: {text!r}: {exc.reason}", returncode=2) from None


class Command(BaseCommand):
    help = "Import job and education start dates for a municipality (all or nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the events: CSV, Parquet or XLSX")
        parser.add_argument("--municipality", required=True, help="municipality code, e.g. 0740")
        parser.add_argument("--until", required=True, help="the last day the file covers (its end of data)")
        parser.add_argument("--from", dest="start", help="the first day the file covers (default: its first event)")
        add_common_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        project = command_project(options["project"])
        where = municipality(options["municipality"])
        assert where is not None
        until = _date("--until", options["until"])
        assert until is not None
        start = _date("--from", options["start"])
        data = read_file(options["file"])
        bar = StepBar(EVENT_STEPS, raw_stream(self.stderr), title=Path(options["file"]).name)
        with acting_as(command_actor("import-events")):
            outcome = import_events(
                data, project=project, municipality=where, covers_until=until, covers_from=start,
                file_name=Path(options["file"]).name, progress=bar,
            )  # fmt: skip
        seconds = bar.done()
        counts = {**outcome.counts, "where": where.name, "seconds": seconds}
        summary = (
            _(
                "Events imported for %(where)s in %(seconds)s s: %(rows)s rows, %(persons)s persons; "
                "events added: %(added)s, removed: %(removed)s, unchanged: %(unchanged)s."
            )
            % numbers(counts)
            if outcome.record
            else ""
        )
        report(self, outcome, options["problems"], summary)
