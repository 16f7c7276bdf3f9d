"""`jobtro simulate`: write a simulated collaboration (demo or national size) as Parquet and CSV."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jobtro.stats.simulate import demo_config, national_config, simulate, write


class Command(BaseCommand):
    help = (
        "Simulate a collaboration with known true effects and write its tables to --out DIR. "
        "--national: 98 municipalities, 300,000 citizens, ~10,000 caseworkers, 104 weeks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        size = parser.add_mutually_exclusive_group()
        size.add_argument(
            "--national", action="store_true", help="national scale (default: the four demo municipalities)"
        )
        size.add_argument("--demo", action="store_true", help="the demo's four municipalities (the default)")
        parser.add_argument("--out", required=True, type=Path, help="directory to write the tables to")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--format", default="parquet,csv", help="comma-separated: parquet, csv (default both)")
        parser.add_argument("--no-frailty", action="store_true", help="switch the caseworker frailty off")

    def handle(self, *args: Any, **options: Any) -> None:
        formats = [f.strip() for f in options["format"].split(",") if f.strip()]
        unknown = sorted(set(formats) - {"parquet", "csv"})
        if unknown or not formats:
            raise CommandError(
                f"--format: unknown format(s) {', '.join(unknown) or '(none given)'}; use parquet and/or csv"
            )
        out: Path = options["out"]
        if out.exists() and not out.is_dir():
            raise CommandError(f"--out: {out} exists and is not a directory")
        config = national_config(options["seed"]) if options["national"] else demo_config(options["seed"])
        if options["no_frailty"]:
            config = replace(config, frailty_variance=0.0)
        began = time.perf_counter()
        sim = simulate(config)
        simulated = time.perf_counter()
        paths = write(sim, out, formats)
        done = time.perf_counter()
        self.stdout.write(
            f"Simulated {sim.citizens.height:,} citizens, {sim.caseworkers.height:,} caseworkers, "
            f"{sim.weekly_status.height:,} person-weeks in {simulated - began:.1f} s; "
            f"wrote {len(paths)} files to {out} in {done - simulated:.1f} s."
        )
