"""Benchmark: the proportional-hazards test :func:`jobtro.stats.zph.cox_zph` beside R's ``survival::cox.zph``
on the same counting-process data, in the same run.

Usage::

    .venv/bin/python bench/zph.py [--rows 1000000] [--repeat 3] [--no-r]

The data (deterministic): citizens followed weekly up to week 52 (30 % enter late), split at the quarterly
belief waves (weeks 13, 26, 39) into (start, stop] rows, so about 2.6 rows per citizen and heavy ties;
covariates belief (changing at the waves), age and female; three sites as strata for the stratified
fits. Written once as CSV for R; reading is not timed.

What is timed, the fastest of ``--repeat`` runs, after the model is fitted (not timed):

jobtro
    ``cox_zph(fit, frame, ...)``: reading and checking the columns, the log-likelihood check against
    the fit, the test and the scaled residuals. Peak memory added by the call (VmHWM reset just
    before it).
R
    ``system.time(cox.zph(fit, transform = ...))`` after ``coxph`` (default convergence).

The per-term and global chi-squares of the two are compared (max relative difference, printed). Output
is Markdown.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

X = ["belief", "age", "female"]
CASES = [  # (ties, stratified, transform)
    ("efron", False, "km"),
    ("efron", False, "rank"),
    ("efron", True, "km"),
    ("breslow", False, "km"),
    ("breslow", True, "km"),
]

R_SCRIPT = r"""
suppressPackageStartupMessages({library(survival); library(jsonlite)})
args <- commandArgs(TRUE)
d <- read.csv(args[1])
repeats <- as.integer(args[2])
cases <- fromJSON(args[3], simplifyVector = FALSE)
out <- list()
for (case in cases) {
  rhs <- if (case$strata) "belief + age + female + strata(site)" else "belief + age + female"
  fit <- coxph(as.formula(paste("Surv(start, stop, event) ~", rhs)), data = d, ties = case$ties)
  seconds <- c()
  for (i in seq_len(repeats)) {
    seconds <- c(seconds, system.time(z <- cox.zph(fit, transform = case$transform))[["elapsed"]])
  }
  out[[length(out) + 1]] <- list(seconds = min(seconds), chisq = unname(z$table[, "chisq"]))
}
cat(toJSON(out, digits = NA, auto_unbox = TRUE))
"""


def make_data(rows: int, seed: int = 2026) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    n = int(rows / 2.616)  # about 2.6 rows per citizen
    belief = rng.integers(1, 6, n)
    age = rng.integers(18, 65, n)
    female = rng.integers(0, 2, n)
    entry = np.where(rng.random(n) < 0.3, rng.integers(0, 12, n), 0)
    rate = 0.02 * np.exp(0.28 * (belief - 3) - 0.015 * (age - 40))
    latent = entry + np.ceil(rng.exponential(1 / rate))
    leave = np.minimum(latent, np.minimum(entry + np.ceil(rng.exponential(150, n)), 52))
    event = latent <= leave
    parts = []
    for low, high in zip([0, 13, 26, 39], [13, 26, 39, 52], strict=True):
        start, stop = np.maximum(entry, low), np.minimum(leave, high)
        keep = np.flatnonzero(start < stop)
        wave = belief[keep] + (rng.integers(-1, 2, len(keep)) if low > 0 else 0)
        parts.append(
            pl.DataFrame(
                {
                    "start": start[keep],
                    "stop": stop[keep],
                    "event": ((stop[keep] == leave[keep]) & event[keep]).astype(np.int8),
                    "belief": np.clip(wave, 1, 5),
                    "age": age[keep],
                    "female": female[keep],
                    "site": keep % 3,
                }
            )
        )
    return pl.concat(parts)


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
    except OSError:
        return False
    return True


def run_jobtro(frame: pl.DataFrame, repeat: int) -> list[dict[str, Any]]:
    from jobtro.stats.cox import fit_cox
    from jobtro.stats.zph import cox_zph

    out = []
    for ties, stratified, transform in CASES:
        strata = "site" if stratified else None
        fit = fit_cox(frame, time="stop", event="event", start="start", x=X, strata=strata, ties=ties)
        seconds, added = [], []
        for _ in range(repeat):
            baseline = _status_mb("VmRSS")
            reset = _reset_peak()
            started = time.perf_counter()
            result = cox_zph(fit, frame, time="stop", event="event", start="start", strata=strata, transform=transform)
            seconds.append(time.perf_counter() - started)
            added.append(_status_mb("VmHWM") - baseline if reset else float("nan"))
        assert result.global_chisq is not None
        out.append({"seconds": min(seconds), "peak_mb": max(added), "chisq": [*result.chisq, result.global_chisq]})
    return out


def run_r(csv: Path, repeat: int, script: Path) -> list[dict[str, Any]]:
    rscript = shutil.which("Rscript")
    assert rscript is not None
    cases = json.dumps([{"ties": t, "strata": s, "transform": tr} for t, s, tr in CASES])
    done = subprocess.run(  # noqa: S603 - Rscript with our own script
        [rscript, str(script), str(csv), str(repeat), cases], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"R failed:\n{done.stderr}")
    result: list[dict[str, Any]] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the fastest counts (default 3)")
    parser.add_argument("--no-r", action="store_true", help="time jobtro only")
    args = parser.parse_args()

    frame = make_data(args.rows)
    events = int(frame["event"].sum())
    print(f"# {frame.height:,} rows, {events:,} events", file=sys.stderr, flush=True)
    ours = run_jobtro(frame, args.repeat)
    theirs: list[dict[str, Any]] | None = None
    if not args.no_r and shutil.which("Rscript"):
        with tempfile.TemporaryDirectory(prefix="jobtro-bench-zph-") as tmp:
            csv, script = Path(tmp) / "zph.csv", Path(tmp) / "zph.R"
            frame.write_csv(csv)
            script.write_text(R_SCRIPT)
            theirs = run_r(csv, args.repeat, script)

    print(
        f"cox.zph on {frame.height:,} counting-process rows ({events:,} events, weekly times, 3 covariates); "
        f"fastest of {args.repeat}.\n"
    )
    print("| fit, transform | jobtro `cox_zph` | peak added | R `cox.zph` | ratio | max rel. chisq diff. |")
    print("|---|---|---|---|---|---|")
    for index, (ties, stratified, transform) in enumerate(CASES):
        mine = ours[index]
        label = f"{ties.capitalize()}{' + strata' if stratified else ''}, {transform}"
        r_cell = ratio = diff = "(not run)"
        if theirs is not None:
            other = theirs[index]
            r_cell = f"{other['seconds']:.2f} s"
            ratio = f"{mine['seconds'] / other['seconds']:.2f}"
            a, b = np.array(mine["chisq"]), np.array(other["chisq"])
            diff = f"{np.max(np.abs(a - b) / np.abs(b)):.1e}"
        print(f"| {label} | {mine['seconds']:.2f} s | {mine['peak_mb']:.0f} MB | {r_cell} | {ratio} | {diff} |")


if __name__ == "__main__":
    main()
