"""What the outcome commands share: reading the file, the scope, and printing an import's outcome."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.utils import formats
from django.utils.translation import gettext as _

from jobtro.lib.municipalities import normalise_code
from jobtro.lib.progress import Output
from jobtro.organisation.models import Municipality
from jobtro.outcomes.imports import ImportOutcome, problem_line

SHOWN_PROBLEMS = 200  # on the terminal; --problems FILE writes every one


def add_common_arguments(parser: CommandParser) -> None:
    parser.add_argument("--project", type=int, help="project id (default: the latest project)")
    parser.add_argument(
        "--problems", metavar="FILE", help="write every problem to FILE (CSV, gzip-compressed) when the file is invalid"
    )


def numbers(counts: dict[str, object]) -> dict[str, object]:
    """Counts written as the user's language writes numbers (31.200.000 and 7,9 in Danish)."""
    return {
        k: formats.number_format(
            round(v, 1) if isinstance(v, float) else v,
            1 if isinstance(v, float) else 0,
            use_l10n=True,
            force_grouping=True,
        )
        if isinstance(v, int | float) and not isinstance(v, bool)
        else v
        for k, v in counts.items()
    }


def raw_stream(wrapper: OutputWrapper) -> Output:
    """The stream under Django's wrapper, which would end every write with a newline (no redrawing)."""
    return cast(Output, wrapper._out)


def read_file(name: str) -> bytes:
    path = Path(name)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CommandError(f"{path}: {exc.strerror or type(exc).__name__}", returncode=2) from None


def municipality(code: str | None) -> Municipality | None:
    if code is None:
        return None
    try:
        normalised = normalise_code(code)
    except ValueError as exc:
        raise CommandError(f"--municipality: {exc}", returncode=2) from None
    found = Municipality.objects.filter(code=normalised).first()
    if found is None:
        raise CommandError(f"--municipality: {normalised} is not in the database (run `jobtro migrate`)", returncode=2)
    return found


def report(command: BaseCommand, outcome: ImportOutcome, problems_file: str | None, summary: str) -> None:
    """Print the outcome; a file with problems ends the command with exit status 1."""
    if outcome.previous is not None:
        command.stdout.write(
            _("This file was imported before (%(when)s, import %(id)s); nothing changed.")
            % {"when": f"{outcome.previous.imported_at:%Y-%m-%d %H:%M}", "id": outcome.previous.pk}
        )
        return
    if outcome.problems is not None:
        problems = outcome.problems
        for problem in problems.head(SHOWN_PROBLEMS):
            command.stderr.write(problem_line(problem))
        if len(problems) > SHOWN_PROBLEMS:
            command.stderr.write(_("... and %(more)s more problems.") % {"more": len(problems) - SHOWN_PROBLEMS})
        if problems_file:
            from jobtro.outcomes.imports import problems_csv

            Path(problems_file).write_bytes(problems_csv(problems))
        unknown = problems.unknown_codes
        if unknown:
            command.stderr.write(_("Unknown status codes: %(codes)s") % {"codes": ", ".join(unknown)})
        raise CommandError(
            _("%(errors)s problems in the file; nothing was imported.") % {"errors": len(problems)}, returncode=1
        )
    command.stdout.write(summary)
