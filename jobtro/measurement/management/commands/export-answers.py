"""`jobtro export-answers`: write the pseudonymised answers in force and their codebook to a directory.

    jobtro export-answers --format csv|xlsx|dta|sav --out DIR [--wave N ...] [--project ID] [--force]

Without --wave, every opened wave of the project (default: the latest project) is exported. The files
are answers_specific.<fmt> and answers_general.<fmt> (or answers.xlsx), codebook.md and codebook.csv;
existing files are kept unless --force. The export is recorded in the audit log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jobtro.audit.context import Actor, acting_as
from jobtro.measurement import export
from jobtro.measurement.models import Wave
from jobtro.organisation.commandline import command_project
from jobtro.organisation.models import Project


def _waves(project: Project, numbers: list[int] | None) -> list[Wave]:
    waves = {w.number: w for w in project.waves.order_by("number")}
    if numbers is None:
        opened = [w for w in waves.values() if w.opened_at is not None]
        if not opened:
            raise CommandError(f"no wave of {project.name} has been opened yet; choose waves with --wave N")
        return opened
    unknown = sorted(set(numbers) - set(waves))
    if unknown:
        planned = ", ".join(str(n) for n in waves) or "none"
        raise CommandError(
            f"--wave: {project.name} has no wave {', '.join(str(n) for n in unknown)} (its waves: {planned})"
        )
    return [waves[n] for n in sorted(set(numbers))]


class Command(BaseCommand):
    help = "Export the pseudonymised belief answers in force with a codebook (CSV, XLSX, Stata or SPSS)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", required=True, choices=export.FORMATS, help="file format")
        parser.add_argument("--out", required=True, help="directory to write into (created if missing)")
        parser.add_argument(
            "--wave", type=int, action="append", metavar="N", help="wave number (repeatable; default: opened waves)"
        )
        parser.add_argument("--project", type=int, help="project id (default: the latest project)")
        parser.add_argument("--force", action="store_true", help="overwrite existing export files in --out")

    def handle(self, *args: Any, **options: Any) -> None:
        fmt: export.Format = options["format"]
        out = Path(options["out"])
        if out.exists() and not out.is_dir():
            raise CommandError(f"--out: {out} exists and is not a directory")
        names = export.data_file_names(fmt) + export.CODEBOOK_FILES
        existing = [name for name in names if (out / name).exists()]
        if existing and not options["force"]:
            raise CommandError(f"--out: {out} already holds {', '.join(existing)}; use --force to overwrite")
        waves = _waves(command_project(options["project"]), options["wave"])
        with acting_as(Actor(id=None, label="jobtro export-answers", via="cli")):
            dataset = export.build_dataset(waves)
            try:
                paths = export.write_files(dataset, fmt, out)
            except export.ExportTooLarge as exc:
                raise CommandError(f"--format: {exc}; choose csv, dta or sav, or fewer waves") from None
            except OSError as exc:
                raise CommandError(f"--out: cannot write to {out}: {exc.strerror or exc}") from None
            export.record_export(dataset, fmt, files=[p.name for p in paths], destination=str(out.resolve()))
        rows = ", ".join(f"{t.name}: {t.frame.height} rows" for t in dataset.tables)
        self.stdout.write(f"Exported waves {', '.join(str(w.number) for w in waves)} ({rows}) to {out}:")
        for path in paths:
            self.stdout.write(f"  {path.name}")
