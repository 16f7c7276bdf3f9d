"""`jobtro analyse cox FILE --time COL --event COL --x COL[,COL...] [...] [--json]`: any Cox fit from a
file, so results can be checked from outside (issue 5). The estimator is :func:`jobtro.stats.cox.fit_cox`.

With ``--json`` one JSON object is printed::

    {"n": int, "events": int, "ties": "efron"|"breslow", "loglik": float,
     "params": {NAME: {"coef", "se", "robust_se" (null without --cluster), "hr", "ci_low", "ci_high"}}}

(95 % confidence intervals on the hazard-ratio scale, from the robust SE with ``--cluster``); otherwise a
readable table. Bad input ends with one line on stderr and exit status 2.

``--frailty COL`` fits a shared gamma frailty per value of COL instead
(:func:`jobtro.stats.frailty.fit_cox_frailty`, as R's ``coxph(... + frailty(COL, distribution =
"gamma"))``): the JSON gains ``"theta"`` (the frailty variance), ``"loglik"`` is R's integrated log
likelihood, ``"se"`` R's ``se(coef)`` and ``"robust_se"`` null. It combines with ``--start``,
``--strata`` and ``--ties``, not with ``--cluster`` or ``--weights``.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jobtro.analysis.tables import TableError, read_table
from jobtro.stats.cox import TIES, CoxResult, fit_cox
from jobtro.stats.frailty import FrailtyResult, fit_cox_frailty

HELP = "Cox proportional hazards regression on a CSV (or Parquet) file"


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument("file", metavar="FILE", help="CSV file (comma, semicolon or tab separated) or .parquet")
    parser.add_argument("--time", required=True, metavar="COL", help="event or censoring time (the interval end)")
    parser.add_argument("--event", required=True, metavar="COL", help="1 for an event, 0 for censoring")
    parser.add_argument("--x", required=True, metavar="COL[,COL...]", help="covariates, comma-separated")
    parser.add_argument("--start", metavar="COL", help="entry time: counting-process (start, time] rows")
    parser.add_argument("--strata", metavar="COL[,COL...]", help="stratify the baseline hazard")
    parser.add_argument("--cluster", metavar="COL", help="cluster-robust (sandwich) standard errors by COL")
    parser.add_argument("--weights", metavar="COL", help="positive case weights")
    parser.add_argument("--frailty", metavar="COL", help="shared gamma frailty per value of COL (R's frailty(COL))")
    parser.add_argument("--ties", choices=TIES, default="efron", help="tie handling (default efron)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")


def _columns(value: str | None, option: str) -> list[str]:
    if value is None:
        return []
    names = [name.strip() for name in value.split(",")]
    if not all(names):
        raise CommandError(f"{option}: empty column name in {value!r}", returncode=2)
    return names


def run(command: BaseCommand, options: dict[str, Any]) -> None:
    frailty = options.get("frailty")
    if frailty is not None:
        for other in ("cluster", "weights"):
            if options.get(other):
                raise CommandError(f"--frailty cannot be combined with --{other}", returncode=2)
    x = _columns(options["x"], "--x")
    strata = _columns(options.get("strata"), "--strata")
    result: CoxResult | FrailtyResult
    try:
        data = read_table(options["file"])
        common: dict[str, Any] = {
            "time": options["time"],
            "event": options["event"],
            "x": x,
            "start": options.get("start"),
            "strata": strata or None,
            "ties": options["ties"],
        }
        if frailty is not None:
            result = fit_cox_frailty(data, group=frailty, **common)
        else:
            result = fit_cox(data, cluster=options.get("cluster"), weights=options.get("weights"), **common)
    except (TableError, ValueError) as exc:
        raise CommandError(str(exc), returncode=2) from None
    if isinstance(result, FrailtyResult):
        if not result.converged:
            command.stderr.write(
                f"warning: the frailty fit did not converge ({result.iterations} values of the frailty variance "
                f"tried, {result.newton_iterations} Newton steps); theta is the last value tried, as in R"
            )
    elif not result.converged:
        command.stderr.write(
            f"warning: the fit did not converge in {result.iterations} Newton steps "
            "(a coefficient may be infinite: separation, or an event in only one group)"
        )
    if options["json"]:
        command.stdout.write(json.dumps(result.to_dict()))
    else:
        command.stdout.write(result.summary())
