"""`jobtro analyse bip DATA_DIR [--population-only] [--json]`: the BIP analysis (issue 5) on the tables
`jobtro simulate --out DATA_DIR` writes - hazard ratios of specific belief (per step), general belief
and a caseworker change, with controls, population-average and within-caseworker, with the reason they
differ in plain words. The estimator is :func:`jobtro.stats.bip.bip_analysis`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jobtro.stats.bip import bip_analysis, read_tables

HELP = "the BIP analysis (belief and time to job) on the tables of `jobtro simulate --out DIR`"


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument("directory", metavar="DATA_DIR", help="a directory written by `jobtro simulate --out`")
    parser.add_argument(
        "--population-only", action="store_true", help="skip the within-caseworker (gamma frailty) model"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")


def _ci(low: float | None, high: float | None) -> str:
    return "" if low is None or high is None else f"({low:.3f}-{high:.3f})"


def run(command: BaseCommand, options: dict[str, Any]) -> None:
    directory = Path(options["directory"])
    if not directory.is_dir():
        raise CommandError(f"{directory}: not a directory", returncode=2)
    started = time.perf_counter()
    try:
        tables = read_tables(directory)
    except (FileNotFoundError, OSError) as exc:
        raise CommandError(str(exc), returncode=2) from None
    try:
        result = bip_analysis(tables, within=not options["population_only"])
    except (KeyError, ValueError) as exc:
        raise CommandError(f"{directory}: the tables do not fit the analysis ({exc})", returncode=2) from None
    seconds = time.perf_counter() - started
    if options["json"]:
        command.stdout.write(json.dumps({**result.to_dict(), "seconds": round(seconds, 2)}))
        return
    width = max(len(e.label) for e in result.effects)
    lines = [
        f"BIP analysis of {directory}: {result.rows:,} counting-process rows, {result.citizens:,} citizens, "
        f"{result.events:,} events, {result.caseworkers:,} caseworkers ({seconds:.1f} s)",
        "",
        f"{'':{width}} {'population-average HR (95% CI)':>32} {'within-caseworker HR (95% CI)':>32}",
    ]
    for e in result.effects:
        within = "" if e.hr_within is None else f"{e.hr_within:.3f} {_ci(e.ci_low_within, e.ci_high_within)}"
        lines.append(f"{e.label:{width}} {f'{e.hr:.3f} {_ci(e.ci_low, e.ci_high)}':>32} {within:>32}")
    lines.append("")
    lines.append(f"Target groups are compared with {result.reference_group}.")
    if result.theta is not None:
        lines.append(f"Frailty variance between caseworkers (theta): {result.theta:.3f}")
        if not result.within_converged:
            lines.append("Warning: the within-caseworker model did not converge; read its numbers with care.")
    lines.append("Population-average: Cox, Efron ties, standard errors robust to clustering by caseworker.")
    if result.theta is not None:
        lines.append("Within-caseworker: Cox with a shared gamma frailty per caseworker.")
        lines.append("")
        lines.append(result.explanation)
    command.stdout.write("\n".join(lines))
