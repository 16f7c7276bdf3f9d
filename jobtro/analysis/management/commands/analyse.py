"""`jobtro analyse ANALYSIS ...`: statistical analyses from the command line, one subcommand each.

    jobtro analyse cox FILE.csv --time COL --event COL --x COL[,COL...] [--start COL] [--strata COL]
        [--cluster COL] [--weights COL] [--ties efron|breslow] [--json]
    jobtro analyse bip DATA_DIR [--population-only] [--json]

Each analysis is a module with ``HELP``, ``add_arguments(parser)`` and ``run(command, options)``, listed
in ``ANALYSES``; adding one (``analyse bip``) is one entry. Bad input ends with one line and exit status 2.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jobtro.analysis import bip, cox

ANALYSES: dict[str, ModuleType] = {"cox": cox, "bip": bip}


class Command(BaseCommand):
    help = "Statistical analyses: " + "; ".join(f"{name}: {module.HELP}" for name, module in ANALYSES.items())
    requires_system_checks: list[str] = []  # reads files only, never the database

    def add_arguments(self, parser: CommandParser) -> None:
        subparsers = parser.add_subparsers(dest="analysis", metavar="ANALYSIS", required=True)
        for name, module in ANALYSES.items():
            module.add_arguments(subparsers.add_parser(name, help=module.HELP, description=module.HELP))

    def handle(self, *args: Any, **options: Any) -> None:
        ANALYSES[options["analysis"]].run(self, options)
