"""`jobtro import-caseload FILE --municipality CODE [--dry-run] [--complete]`: import a caseload export
(CSV or XLSX) for data managers who automate it. The same import as the web page (caseload_import).

Exit status: 0 when the file was imported (or, with --dry-run, would be; nothing is written then);
1 when the file has errors - every one printed to stderr on a line of its own (row, column, value,
what is wrong) and nothing written; 2 for bad arguments (an unknown municipality, a file that cannot
be read), said in one line. Warnings (e.g. a failed modulus-11 check) go to stdout and do not stop
the import.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from jobtro.audit.context import acting_as
from jobtro.lib.municipalities import normalise_code
from jobtro.measurement.caseload_import import ImportResult, import_caseload, problem_line
from jobtro.organisation.commandline import command_actor
from jobtro.organisation.models import Municipality


def summary(result: ImportResult) -> str:
    counts = {"municipality": result.municipality.name, **result.counts()}
    if result.dry_run:
        head = _("Test run for %(municipality)s, nothing saved: the file is valid.") % counts
    else:
        head = _("Caseload imported for %(municipality)s.") % counts
    body = (
        _(
            "%(rows)s rows - new citizens: %(new_citizens)s, caseworker changes: %(caseworker_changes)s, "
            "updated: %(updated)s, unchanged: %(unchanged)s, warnings: %(warnings)s."
        )
        % counts
    )
    if result.complete:
        tail = _("Citizens not in the file, leaving their caseworker's caseload: %(not_in_file)s.") % counts
    else:
        tail = _("Citizens not in the file, left as they are: %(not_in_file)s.") % counts
    return f"{head} {body} {tail}"


class Command(BaseCommand):
    help = "Import a municipality's caseload from a CSV or XLSX file (all or nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the caseload export, CSV or XLSX")
        parser.add_argument("--municipality", required=True, help="municipality code, e.g. 0740 for Silkeborg")
        parser.add_argument("--dry-run", action="store_true", help="check the file and report; write nothing")
        parser.add_argument(
            "--complete",
            action="store_true",
            help="the file is the whole caseload: citizens not in it leave their caseworker's caseload "
            "(without it they are left as they are)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            code = normalise_code(options["municipality"])
        except ValueError as exc:
            raise CommandError(f"--municipality: {exc}", returncode=2) from None
        municipality = Municipality.objects.filter(code=code).first()
        if municipality is None:  # a known code whose row is missing: the database was not migrated
            raise CommandError(f"--municipality: {code} is not in the database (run `jobtro migrate`)", returncode=2)
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror or type(exc).__name__}", returncode=2) from None

        with acting_as(command_actor("import-caseload")):
            result = import_caseload(data, municipality, dry_run=options["dry_run"], complete=options["complete"])
        for problem in result.warnings:
            self.stdout.write(problem_line(problem, warning=True))
        if result.errors:
            for problem in result.errors:
                self.stderr.write(problem_line(problem))
            raise CommandError(
                _("%(errors)s errors in the file; nothing was imported.") % {"errors": len(result.errors)},
                returncode=1,
            )
        self.stdout.write(summary(result))
