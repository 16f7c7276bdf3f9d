"""Benchmark: Cox proportional hazards fits - jobtro's :func:`jobtro.stats.cox.fit_cox` beside R's
``survival::coxph`` and statsmodels' ``PHReg`` on the same synthetic data, in the same run (issue 5:
Efron with cluster-robust SEs on 1,000,000 rows in at most 0.4x R's plain Efron time, under 2 GB).

Usage::

    .venv/bin/python bench/cox.py [--rows 100000,1000000] [--repeat 3] [--only jobtro,r,statsmodels]
        [--skip-slow]

The data (deterministic): one row per citizen, weekly times 1..52 (so heavy ties: 52 distinct times),
about 50 % events, covariates belief (1..5), general (0/1, per caseworker), age (18..64) and female
(0/1), and the caseworker (100 citizens each; a gamma frailty with variance 0.2 per caseworker, so
clustering matters) as the cluster. Written once per size as Parquet (jobtro, statsmodels) and CSV (R)
to a temporary directory; reading is not timed.

What is timed, per fit, the fastest of ``--repeat`` runs (the machine may be busy), after an untimed
warm-up fit of 1,000 rows in each tool (first-call costs are not the fit's):

jobtro
    ``fit_cox(frame, ...)`` from the polars frame: checks, set-up, Newton-Raphson, robust variance.
R
    ``system.time(coxph(Surv(time, event) ~ ..., ties = , cluster = caseworker))`` inside Rscript, after
    ``read.csv`` (R's default convergence, ``eps = 1e-9``).
statsmodels
    ``PHReg(...).fit()`` and ``.fit(groups = caseworker)`` from numpy arrays (Efron; its robust SEs use
    Breslow-type score residuals, so they differ slightly from R's and jobtro's with Efron ties).

lifelines is timed when installed (it is not a jobtro dependency). Slow peers are left out where the issue
says so: R Efron + cluster takes ~71 s at 100k rows (``--skip-slow`` drops it too), and no R or lifelines
cluster fit is run at 1M rows. Each tool runs in its own subprocess; memory is the process's peak RSS
(VmHWM) and, for jobtro, the peak *added* by the fit itself (VmHWM reset just before it). The
coefficients of every peer are compared with jobtro's (max relative difference, printed). Output is
Markdown.
"""

from __future__ import annotations

import argparse
import importlib.util
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

X = ["belief", "general", "age", "female"]
FITS = {  # name: (ties, clustered)
    "efron": ("efron", False),
    "efron_cluster": ("efron", True),
    "breslow_cluster": ("breslow", True),
}
LABELS = {
    "efron": "Efron",
    "efron_cluster": "Efron + cluster(caseworker)",
    "breslow_cluster": "Breslow + cluster(caseworker)",
}
TARGET_RATIO = 0.4

R_SCRIPT = r"""
suppressPackageStartupMessages({library(survival); library(jsonlite)})
args <- commandArgs(TRUE)
d <- read.csv(args[1])
fits <- strsplit(args[2], ",")[[1]]
repeats <- as.integer(args[3])
invisible(coxph(Surv(time, event) ~ belief + general + age + female, data = d[1:1000, ], cluster = caseworker))
out <- list()
for (name in fits) {
  ties <- if (startsWith(name, "breslow")) "breslow" else "efron"
  clustered <- grepl("cluster", name)
  seconds <- c()
  for (i in seq_len(repeats)) {
    elapsed <- system.time(
      fit <- if (clustered) {
        coxph(Surv(time, event) ~ belief + general + age + female, data = d, ties = ties, cluster = caseworker)
      } else {
        coxph(Surv(time, event) ~ belief + general + age + female, data = d, ties = ties)
      }
    )[["elapsed"]]
    seconds <- c(seconds, elapsed)
  }
  out[[name]] <- list(seconds = min(seconds), coef = unname(coef(fit)))
}
status <- readLines("/proc/self/status")
out[["peak_mb"]] <- as.numeric(gsub("[^0-9]", "", status[grep("^VmHWM", status)])) / 1024
cat(toJSON(out, digits = NA, auto_unbox = TRUE))
"""


def make_data(rows: int, seed: int = 2026, group_size: int = 100) -> pl.DataFrame:
    """The synthetic citizens (see the module docstring); ``group_size`` citizens per caseworker on average."""
    rng = np.random.default_rng(seed)
    caseworkers = max(1, rows // group_size)
    caseworker = rng.integers(0, caseworkers, rows)
    general = (rng.random(caseworkers) < 0.7).astype(np.int8)[caseworker]
    frailty = rng.gamma(1 / 0.2, 0.2, caseworkers)[caseworker]  # mean 1, variance 0.2
    belief = rng.integers(1, 6, rows).astype(np.int8)
    age = rng.integers(18, 65, rows).astype(np.int16)
    female = rng.integers(0, 2, rows).astype(np.int8)
    linear = 0.285 * (belief - 3) + 0.28 * general - 0.015 * (age - 40) - 0.1 * female
    latent = rng.exponential(1 / (0.016 * frailty * np.exp(linear)))
    dropout = rng.exponential(150, rows)
    time_ = np.minimum(np.ceil(np.minimum(latent, dropout)), 52).astype(np.int16)
    event = ((latent <= dropout) & (np.ceil(latent) <= 52)).astype(np.int8)
    return pl.DataFrame(
        {"time": time_, "event": event, "belief": belief, "general": general, "age": age, "female": female,
         "caseworker": caseworker.astype(np.int32)}
    )  # fmt: skip


# --- workers (one subprocess each) ----------------------------------------------------------------


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


def worker_jobtro(path: Path, fits: list[str], repeat: int) -> dict[str, Any]:
    from jobtro.stats.cox import fit_cox

    frame = pl.read_parquet(path)
    fit_cox(frame.head(1000), time="time", event="event", x=X, cluster="caseworker")  # warm-up, not timed
    out: dict[str, Any] = {}
    process_peak = _status_mb("VmHWM")
    for name in fits:
        ties, clustered = FITS[name]
        seconds, added = [], []
        for _ in range(repeat):
            baseline = _status_mb("VmRSS")
            reset = _reset_peak()
            start = time.perf_counter()
            fit = fit_cox(
                frame, time="time", event="event", x=X, cluster="caseworker" if clustered else None, ties=ties
            )
            seconds.append(time.perf_counter() - start)
            process_peak = max(process_peak, _status_mb("VmHWM"))
            added.append(_status_mb("VmHWM") - baseline if reset else float("nan"))
            assert fit.converged
            coef = fit.params.tolist()
            del fit
        out[name] = {"seconds": min(seconds), "coef": coef, "fit_peak_mb": max(added)}
    out["peak_mb"] = process_peak
    return out


def worker_statsmodels(path: Path, fits: list[str], repeat: int) -> dict[str, Any]:
    from statsmodels.duration.hazard_regression import PHReg

    frame = pl.read_parquet(path)
    time_ = frame["time"].to_numpy().astype(np.float64)
    status = frame["event"].to_numpy().astype(np.float64)
    exog = frame.select(X).to_numpy().astype(np.float64)
    groups = frame["caseworker"].to_numpy()
    PHReg(time_[:1000], exog[:1000], status=status[:1000]).fit(groups=groups[:1000])  # warm-up, not timed
    out: dict[str, Any] = {}
    for name in fits:
        ties, clustered = FITS[name]
        seconds = []
        for _ in range(repeat):
            start = time.perf_counter()
            model = PHReg(time_, exog, status=status, ties=ties)
            result = model.fit(groups=groups) if clustered else model.fit()
            seconds.append(time.perf_counter() - start)
        out[name] = {"seconds": min(seconds), "coef": np.asarray(result.params).tolist()}
    out["peak_mb"] = _status_mb("VmHWM")
    return out


def worker_lifelines(path: Path, fits: list[str], repeat: int) -> dict[str, Any]:
    from lifelines import CoxPHFitter

    frame = pl.read_parquet(path).to_pandas()
    CoxPHFitter().fit(frame.head(1000)[["time", "event", *X]], "time", "event")  # warm-up, not timed
    out: dict[str, Any] = {}
    for name in fits:
        _, clustered = FITS[name]
        seconds = []
        for _ in range(repeat):
            start = time.perf_counter()
            columns = ["time", "event", *X, *(["caseworker"] if clustered else [])]
            fitter = CoxPHFitter().fit(frame[columns], "time", "event", cluster_col="caseworker" if clustered else None)
            seconds.append(time.perf_counter() - start)
        out[name] = {"seconds": min(seconds), "coef": fitter.params_.to_numpy().tolist()}
    out["peak_mb"] = _status_mb("VmHWM")
    return out


WORKERS = {"jobtro": worker_jobtro, "statsmodels": worker_statsmodels, "lifelines": worker_lifelines}


def run_python_worker(tool: str, path: Path, fits: list[str], repeat: int) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603 - this script, fixed arguments
        [sys.executable, __file__, "--worker", tool, "--path", str(path), "--fits", ",".join(fits), "--repeat",
         str(repeat)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"{tool} worker failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run_r(csv: Path, fits: list[str], repeat: int, script: Path) -> dict[str, Any]:
    rscript = shutil.which("Rscript")
    assert rscript is not None
    done = subprocess.run(  # noqa: S603 - Rscript with our own script
        [rscript, str(script), str(csv), ",".join(fits), str(repeat)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"R failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def r_available() -> str | None:
    """None if R with survival and jsonlite can run, else why not."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return "Rscript not installed"
    done = subprocess.run(  # noqa: S603 - fixed arguments
        [rscript, "-e", "library(survival); library(jsonlite)"], capture_output=True, text=True, check=False
    )
    return None if done.returncode == 0 else "R package survival or jsonlite missing"


# --- main -----------------------------------------------------------------------------------------


def _seconds(value: float | None) -> str:
    if value is None:
        return "(not run)"
    return f"{value:.2f} s" if value >= 0.1 else f"{value * 1000:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="100000,1000000", help="comma-separated sizes")
    parser.add_argument("--repeat", type=int, default=3, help="runs per fit; the fastest counts (default 3)")
    parser.add_argument("--only", default="jobtro,r,statsmodels,lifelines", help="tools to run")
    parser.add_argument("--skip-slow", action="store_true", help="leave out R Efron + cluster at 100k (~70 s)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--fits", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(WORKERS[args.worker](args.path, args.fits.split(","), args.repeat)))
        return

    sizes = [int(s) for s in args.rows.split(",")]
    tools = [t.strip() for t in args.only.split(",")]
    notes: list[str] = []
    if "r" in tools and (why := r_available()):
        tools.remove("r")
        notes.append(f"R skipped: {why}.")
    for module in ("statsmodels", "lifelines"):
        if module in tools and importlib.util.find_spec(module) is None:
            tools.remove(module)
            notes.append(f"{module} skipped: not installed.")

    results: dict[tuple[str, str, int], dict[str, Any]] = {}
    peaks: dict[tuple[str, int], float | None] = {}
    events: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="jobtro-bench-cox-") as tmp:
        directory = Path(tmp)
        script = directory / "coxph.R"
        script.write_text(R_SCRIPT)
        for rows in sizes:
            frame = make_data(rows)
            events[rows] = float(frame["event"].mean())  # type: ignore[arg-type]
            parquet, csv = directory / f"cox_{rows}.parquet", directory / f"cox_{rows}.csv"
            frame.write_parquet(parquet)
            frame.write_csv(csv)
            for tool in tools:
                fits = list(FITS)
                if tool == "r":
                    if rows > 100_000:
                        fits = ["efron"]  # the issue: R's cluster fits at 1M rows are not run
                    elif args.skip_slow:
                        fits = ["efron", "breslow_cluster"]
                if tool == "lifelines" and rows > 100_000:
                    fits = ["efron"]
                repeat = 1 if (tool in ("r", "statsmodels", "lifelines") and rows > 100_000) else args.repeat
                print(f"# {tool}, {rows:,} rows: {', '.join(fits)} (x{repeat})", file=sys.stderr, flush=True)
                started = time.perf_counter()
                out = (
                    run_r(csv, fits, repeat, script) if tool == "r" else run_python_worker(tool, parquet, fits, repeat)
                )
                print(f"#   done in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
                peaks[(tool, rows)] = out.pop("peak_mb", None)
                for name, values in out.items():
                    results[(tool, name, rows)] = values

    names = {
        "jobtro": "jobtro `fit_cox`",
        "r": "R `coxph`",
        "statsmodels": "statsmodels `PHReg`",
        "lifelines": "lifelines",
    }
    print(f"Cox fits, {' and '.join(f'{r:,}' for r in sizes)} rows (weekly times 1-52, events "
          f"{', '.join(f'{100 * events[r]:.0f} %' for r in sizes)}, 4 covariates, "
          f"{', '.join(f'{r // 100:,}' for r in sizes)} caseworker clusters); fastest of {args.repeat} "
          "(1 for the peers at 1M rows). Ratio: time / R's plain Efron time on the same data.\n")  # fmt: skip
    header = "| fit | " + " | ".join(f"{r:,} rows | ratio" for r in sizes) + " | max rel. coef. diff. vs jobtro |"
    print(header)
    print("|---|" + "---|---|" * len(sizes) + "---|")
    for tool in tools:
        for fit in FITS:
            if not any((tool, fit, r) in results for r in sizes):
                continue
            cells = []
            diffs = []
            for rows in sizes:
                entry = results.get((tool, fit, rows))
                reference = results.get(("r", "efron", rows))
                if entry is None:
                    cells += ["(not run)", ""]
                    continue
                ratio = f"{entry['seconds'] / reference['seconds']:.2f}x" if reference else ""
                cells += [_seconds(entry["seconds"]), ratio]
                mine = results.get(("jobtro", fit, rows))
                if tool != "jobtro" and mine:
                    diffs.append(float(np.max(np.abs(np.asarray(entry["coef"]) / np.asarray(mine["coef"]) - 1))))
            diff = f"{max(diffs):.1e}" if diffs else ""
            print(f"| {names[tool]} {LABELS[fit]} | " + " | ".join(cells) + f" | {diff} |")
    print()
    print("| memory (peak RSS, MB) | " + " | ".join(f"{r:,} rows" for r in sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    added = []
    for rows in sizes:
        values = [results[("jobtro", fit, rows)]["fit_peak_mb"] for fit in FITS if ("jobtro", fit, rows) in results]
        added.append(f"{max(values):,.0f}" if values else "")
    if any(added):
        print("| jobtro: added by the fit itself | " + " | ".join(added) + " |")
    for tool in tools:
        cells = [f"{peaks[(tool, r)]:,.0f}" if peaks.get((tool, r)) else "" for r in sizes]
        print(f"| {names[tool]}: whole process | " + " | ".join(cells) + " |")
    for rows in sizes:
        mine, reference = results.get(("jobtro", "efron_cluster", rows)), results.get(("r", "efron", rows))
        if mine and reference:
            ratio = mine["seconds"] / reference["seconds"]
            verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
            print(
                f"\nTarget at {rows:,} rows: Efron + cluster at most {TARGET_RATIO}x R's plain Efron: "
                f"{ratio:.2f}x, {verdict} it."
            )
    for note in notes:
        print(f"\n{note}")


if __name__ == "__main__":
    main()
