"""`jobtro import-status FILE [--mapping FILE] [--municipality CODE] [--project ID]`: import a weekly
status extract (CSV, Parquet or XLSX) from an outcome register - the same import as the data manager's
upload page (jobtro.outcomes.imports).

Without --municipality the file is the project's national register extract. --mapping adds or
re-maps status codes for the project (a two-column file: code, category) together with the import:
both are saved, or neither.

Exit status: 0 when imported (or when the same file was imported before: nothing changes); 1 when the
file or the mapping has problems - every one printed (the first 200 on the terminal, all with
--problems FILE) and nothing written; 2 for bad arguments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from jobtro.audit.context import acting_as
from jobtro.lib.progress import StepBar
from jobtro.lib.status_codes import MappingError, load_mapping_csv
from jobtro.lib.tabular import decode
from jobtro.organisation.commandline import command_actor, command_project
from jobtro.outcomes.imports import STATUS_STEPS, import_status
from jobtro.outcomes.management.commands._common import (
    add_common_arguments,
    municipality,
    numbers,
    raw_stream,
    read_file,
    report,
)


class Command(BaseCommand):
    help = "Import a weekly status file from an outcome register (all or nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the extract: CSV, Parquet or XLSX")
        parser.add_argument("--mapping", metavar="FILE", help="status code -> category overrides for the project (CSV)")
        parser.add_argument("--municipality", help="municipality code (default: the national register extract)")
        add_common_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        project = command_project(options["project"])
        where = municipality(options["municipality"])
        data = read_file(options["file"])
        overrides: dict[str, str] | None = None
        if options["mapping"]:
            try:
                overrides = load_mapping_csv(decode(read_file(options["mapping"]))[0])
            except MappingError as exc:
                for p in exc.problems:
                    self.stderr.write(f"{options['mapping']}: row {p.row}, {p.column} {p.value!r}: {p.why}")
                raise CommandError(_("The mapping file has problems; nothing was imported."), returncode=1) from None
        bar = StepBar(STATUS_STEPS, raw_stream(self.stderr), title=Path(options["file"]).name)
        with acting_as(command_actor("import-status")):
            outcome = import_status(
                data, project=project, municipality=where, file_name=Path(options["file"]).name,
                mapping_overrides=overrides, progress=bar,
            )  # fmt: skip
        seconds = bar.done()
        counts = {
            **outcome.counts,
            "where": where.name if where else _("the national register"),
            "seconds": seconds,
        }
        summary = (
            _(
                "Weekly status imported for %(where)s in %(seconds)s s: %(rows)s rows, %(persons)s persons; "
                "person-weeks added: %(added)s, changed: %(changed)s, unchanged: %(unchanged)s."
            )
            % numbers(counts)
            if outcome.record
            else ""
        )
        report(self, outcome, options["problems"], summary)
