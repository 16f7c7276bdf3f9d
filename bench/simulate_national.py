"""Benchmark: simulate the national configuration (98 municipalities, 300,000 citizens) and write it.

Usage::

    python bench/simulate_national.py [--out DIR] [--seed N] [--formats parquet csv]

Reports wall time per phase and the process's peak resident set size after each phase
(``resource.getrusage(...).ru_maxrss`` is a high-water mark, so it never goes down), the tables' row
counts and the written file sizes, as Markdown. Without ``--out`` the files go to a temporary directory
that is removed afterwards.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def _peak_rss_mb() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(rows: list[tuple[str, float, float]], phase: str, run: Callable[[], T]) -> T:
    began = time.perf_counter()
    result = run()
    rows.append((phase, time.perf_counter() - began, _peak_rss_mb()))
    print(f"  {phase}: {rows[-1][1]:.1f} s, peak RSS {rows[-1][2]:,.0f} MB", file=sys.stderr, flush=True)
    return result


def _size(num_bytes: int) -> str:
    return f"{num_bytes / 1024**2:,.1f} MB"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, help="write here (default: a temporary directory, removed afterwards)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--formats", nargs="+", default=["parquet", "csv"], choices=["parquet", "csv"])
    args = parser.parse_args(argv)

    # Run from a checkout without installing the package.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from jobtro.stats.simulate import national_config, simulate, write

    phases: list[tuple[str, float, float]] = []
    start_rss = _peak_rss_mb()
    config = _timed(phases, "config", lambda: national_config(seed=args.seed))
    sim = _timed(phases, "simulate", lambda: simulate(config))

    with tempfile.TemporaryDirectory(prefix="jobtro-national-") as tmp:
        out_dir: Path = args.out or Path(tmp)
        paths: list[Path] = []
        for fmt in args.formats:
            paths += _timed(phases, f"write {fmt}", partial(write, sim, out_dir, formats=(fmt,)))
        sizes = {p: p.stat().st_size for p in paths}

    total = sum(seconds for _, seconds, _ in phases)
    print(f"## National simulation (seed {args.seed})\n")
    print(
        f"{config.total_citizens:,} citizens, {config.total_caseworkers:,} caseworkers, "
        f"{sum(m.teams for m in config.municipalities):,} teams in {len(config.municipalities)} municipalities; "
        f"{config.weeks} weeks, {config.waves} waves. Peak RSS before start: {start_rss:,.0f} MB.\n"
    )
    print("| phase | wall time (s) | peak RSS after phase (MB) |")
    print("|---|---:|---:|")
    for phase, seconds, rss in phases:
        print(f"| {phase} | {seconds:.1f} | {rss:,.0f} |")
    print(f"| **total** | **{total:.1f}** | **{max(r for _, _, r in phases):,.0f}** |\n")

    print("| table | rows | in memory | " + " | ".join(args.formats) + " |")
    print("|---|---:|---:|" + "---:|" * len(args.formats))
    for name, frame in sim.tables().items():
        files = [_size(next(v for p, v in sizes.items() if p.name == f"{name}.{fmt}")) for fmt in args.formats]
        print(f"| {name} | {frame.height:,} | {_size(int(frame.estimated_size()))} | " + " | ".join(files) + " |")
    totals = [_size(sum(v for p, v in sizes.items() if p.suffix == f".{fmt}")) for fmt in args.formats]
    memory = _size(sum(int(f.estimated_size()) for f in sim.tables().values()))
    print("| **total** | | " + memory + " | " + " | ".join(f"**{t}**" for t in totals) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
