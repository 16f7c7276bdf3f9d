"""Benchmark: discrete-time hazard models (logit and cloglog, cluster-robust by caseworker) on 100,000
simulated citizens' person-weeks, jobtro's collapsed cells beside statsmodels on the expanded data
(issue 5: at most a fifth of pyfixest's 33 s for 7.3 M person-weeks, and under 2 GB).

Usage::

    .venv/bin/python bench/discrete_hazard.py [--citizens N] [--seed N] [--only jobtro|statsmodels]

Data (prepared once, not timed): the national configuration's 98 municipalities scaled to ``--citizens``
(default 100,000; about 3,300 caseworkers) from :mod:`jobtro.stats.simulate`; each citizen followed
from wave 0 for the whole two years (``first_event`` with a 104-week horizon), split at later waves and
caseworker changes (``counting_process``): about 690,000 rows, 8.1 million person-weeks, 38,000 events.
Covariates, all in force in the week: the specific belief (1-5, linear; "Ved ikke" as 3 plus an
indicator), the current caseworker's general belief, caseworker changed, female, age band, target group
and band of prior weeks on benefit (the citizen's register characteristics in the bands a register
analysis uses). Baseline: piecewise constant on the week bands ``jobtro.stats.discrete.DEFAULT_BANDS``.
Clusters: the current caseworker (HC1, statsmodels' default correction, for both tools).

What is timed (each tool in its own subprocess, this script re-invoked with ``--worker``, so the peak
RSS — VmHWM, interpreter, libraries and the data read included — is that tool's alone):

jobtro
    ``person_periods`` (the counting-process rows straight to cells: caseworker × band × covariate
    pattern), then ``DiscreteHazard(...).fit`` per link. Also a cloglog fit with a log(week + 1) baseline,
    which needs the exact week: there the cells (caseworker × week × pattern) are nearly as many as the
    person-weeks, and jobtro keeps them as runs of consecutive weeks instead.
statsmodels
    ``GLM(..., family=Binomial(link)).fit(cov_type="cluster")`` on the expanded person-weeks (one row
    each, the form pyfixest and R's ``glm`` take); building its design matrix is timed separately and
    not counted.

pyfixest is not installed in this environment (and not a dependency), so its row is the issue's figure
(33 s, 10 GB for 7.3 M person-weeks on this kind of machine), not a measurement. Afterwards the
estimates are compared: coefficients must agree to 1e-5 (relative); the logit robust SEs to 1e-4
(under cloglog statsmodels' sandwich uses the observed information, R's and jobtro's the expected one,
so those SEs differ slightly by definition and the difference is only printed). Printed as Markdown.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COVARIATES = ("belief", "belief_unknown", "general", "changed", "female", "age_band", "target", "prior_band")
CLUSTER = "caseworker_id"
LINKS = ("logit", "cloglog")
PYFIXEST_SECONDS = 33.0
PYFIXEST_GB = 10.0
TARGET_SECONDS = PYFIXEST_SECONDS / 5
TARGET_MB = 2048.0


def _peak_rss_mb() -> float:
    """VmHWM, not ``ru_maxrss``: Linux carries ``ru_maxrss`` over an exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _available_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024**2
    return 0.0


# --- data -----------------------------------------------------------------------------------------


def _bin(column: str, upper: Sequence[float], labels: Sequence[Any]) -> Any:
    """``labels[k]``, k the number of ``upper`` edges the value exceeds (bins closed on the right)."""
    import polars as pl

    index = pl.sum_horizontal([(pl.col(column) > edge).cast(pl.Int32) for edge in upper])
    return index.replace_strict(list(range(len(labels))), list(labels))


def prepare(citizens: int, seed: int, out: Path) -> dict[str, Any]:
    """Simulate, build the counting-process rows with covariates and the expanded person-weeks."""
    import polars as pl

    from jobtro.stats.discrete import DEFAULT_BANDS
    from jobtro.stats.simulate import SimulationConfig, national_municipalities, simulate
    from jobtro.stats.spells import counting_process, first_event

    config = SimulationConfig(municipalities=national_municipalities(total_citizens=citizens), seed=seed)
    sim = simulate(config)
    status = sim.weekly_status.select(pl.col("citizen_id").alias("person"), "week", pl.col("status").alias("category"))
    measured = sim.specific_beliefs.select(
        pl.col("citizen_id").alias("person"), pl.col("week").alias("measured_week"), "belief", "caseworker_id"
    )
    spells = first_event(status, measured, horizon_weeks=config.weeks)
    changes = sim.assignments.filter(pl.col("from_week") > 0).select(
        pl.col("citizen_id").alias("person"), pl.col("from_week").alias("change_week"), "caseworker_id"
    )
    counting = counting_process(spells, changes, covariates=("belief", "caseworker_id"))
    groups = {
        g.name: short for g, short in zip(config.target_groups, ("cash", "education", "self-support"), strict=True)
    }
    citizens_frame = sim.citizens.select(
        pl.col("citizen_id").alias("person"),
        pl.col("female").cast(pl.Int8),
        _bin("age", [29, 39, 49], ["18-29", "30-39", "40-49", "50-64"]).alias("age_band"),
        pl.col("target_group").replace_strict(groups).alias("target"),
        _bin("prior_weeks_on_benefit", [52, 156, 312], ["<=1y", "1-3y", "3-6y", ">6y"]).alias("prior_band"),
    )
    general = sim.caseworkers.select("caseworker_id", pl.col("generally_believes").cast(pl.Int8).alias("general"))
    rows = (
        counting.join(citizens_frame, on="person", how="left")
        .join(general, on="caseworker_id", how="left")
        .select(
            "person",
            "start",
            "stop",
            "event",
            pl.col("belief").fill_null(3).cast(pl.Int8),
            pl.col("belief").is_null().cast(pl.Int8).alias("belief_unknown"),
            "general",
            "changed",
            "female",
            "age_band",
            "target",
            "prior_band",
            "caseworker_id",
        )
    )
    rows.write_parquet(out / "rows.parquet")
    weeks = (
        rows.with_columns(pl.int_ranges("start", pl.col("stop") + pl.col("event")).alias("week"))
        .explode("week")
        .drop_nulls("week")
        .with_columns(
            ((pl.col("week") == pl.col("stop")) & (pl.col("event") == 1)).cast(pl.Int8).alias("y"),
            _bin("week", [c - 1 for c in DEFAULT_BANDS[1:]], list(DEFAULT_BANDS)).alias("band"),
        )
        .drop("start", "stop", "event")
    )
    weeks.write_parquet(out / "person_weeks.parquet")
    return {
        "citizens": config.total_citizens,
        "caseworkers": config.total_caseworkers,
        "rows": rows.height,
        "person_weeks": weeks.height,
        "events": int(weeks["y"].sum()),
    }


# --- workers (one subprocess each) ----------------------------------------------------------------


def _worker_jobtro(data: Path) -> dict[str, Any]:
    import polars as pl

    from jobtro.stats.discrete import DEFAULT_BANDS, DiscreteHazard, person_periods

    rows = pl.read_parquet(data / "rows.parquet")
    out: dict[str, Any] = {"seconds": {}, "fits": {}}
    began = time.perf_counter()
    cells = person_periods(
        rows, duration="stop", event="event", entry="start", covariates=COVARIATES, cluster=CLUSTER, bands=DEFAULT_BANDS
    )
    out["seconds"]["collapse"] = time.perf_counter() - began
    out["cells"] = cells.cells.height
    out["person_weeks"] = cells.person_periods
    for link in LINKS:
        began = time.perf_counter()
        fit = DiscreteHazard(cells, link=link).fit(robust_type="HC1")  # type: ignore[arg-type]
        out["seconds"][link] = time.perf_counter() - began
        out["fits"][link] = {
            "names": list(fit.names),
            "coef": fit.coef.tolist(),
            "robust_se": fit.robust_se.tolist() if fit.robust_se is not None else None,
            "iterations": fit.iterations,
            "clusters": fit.n_clusters,
        }
    out["peak_mb_bands"] = _peak_rss_mb()
    del cells
    began = time.perf_counter()
    exact = person_periods(rows, duration="stop", event="event", entry="start", covariates=COVARIATES, cluster=CLUSTER)
    out["seconds"]["collapse_exact"] = time.perf_counter() - began
    out["runs_exact"] = exact.table.height
    began = time.perf_counter()
    DiscreteHazard(exact, link="cloglog", time="log").fit(robust_type="HC1")
    out["seconds"]["cloglog_log_exact"] = time.perf_counter() - began
    out["peak_mb"] = _peak_rss_mb()
    return out


def _worker_statsmodels(data: Path, link: str, memory_gb: float) -> dict[str, Any]:
    import numpy as np
    import polars as pl
    import statsmodels.api as sm

    if memory_gb > 0:
        # statsmodels on 8 M person-weeks peaks at about 22 GB; on a shared machine an address-space
        # limit turns running out into a MemoryError here instead of other processes being killed.
        limit = int(memory_gb * 1024**3)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        return _statsmodels_fit(data, link, np, pl, sm)
    except MemoryError:
        return {"error": f"out of memory (address-space limit {memory_gb:.1f} GB)", "peak_mb": _peak_rss_mb()}


def _statsmodels_fit(data: Path, link: str, np: Any, pl: Any, sm: Any) -> dict[str, Any]:

    weeks = pl.read_parquet(data / "person_weeks.parquet")
    out: dict[str, Any] = {"seconds": {}}
    began = time.perf_counter()
    # The same design as jobtro's: intercept, band dummies (first band the reference), numeric covariates
    # as they are, string covariates as dummies of their sorted levels after the first.
    columns = [np.ones(weeks.height)]
    names = ["Intercept"]
    for name in ("band", *COVARIATES):
        series = weeks[name]
        if name == "band" or series.dtype == pl.String:
            for level in series.unique().sort().to_list()[1:]:
                columns.append((series == level).cast(pl.Float64).to_numpy())
                names.append(f"{name}[T.{level}]")
        else:
            columns.append(series.cast(pl.Float64).to_numpy())
            names.append(name)
    exog = np.column_stack(columns)
    del columns
    endog = weeks["y"].cast(pl.Float64).to_numpy()
    groups = weeks[CLUSTER].to_numpy()
    del weeks
    out["seconds"]["design"] = time.perf_counter() - began
    sm_link = sm.families.links.Logit() if link == "logit" else sm.families.links.CLogLog()
    began = time.perf_counter()
    fit = sm.GLM(endog, exog, family=sm.families.Binomial(link=sm_link)).fit(
        cov_type="cluster", cov_kwds={"groups": groups}
    )
    out["seconds"]["fit"] = time.perf_counter() - began
    out["names"] = names
    out["coef"] = np.asarray(fit.params).tolist()
    out["robust_se"] = np.asarray(fit.bse).tolist()
    out["peak_mb"] = _peak_rss_mb()
    return out


def _run_worker(kind: str, data: Path, memory_gb: float = 0.0) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json") as result:
        command = [sys.executable, __file__, "--worker", kind, "--data", str(data), "--result", result.name]
        command += ["--peer-memory-gb", str(memory_gb)]
        subprocess.run(command, check=True)  # noqa: S603 (this script, fixed arguments)
        loaded: dict[str, Any] = json.loads(Path(result.name).read_text())
        return loaded


# --- report ---------------------------------------------------------------------------------------


def _max_rel(a: Sequence[float], b: Sequence[float]) -> float:
    return max(abs(x - y) / abs(y) for x, y in zip(a, b, strict=True))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--citizens", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--only", choices=["jobtro", "statsmodels"])
    parser.add_argument(
        "--peer-memory-gb",
        type=float,
        default=round(0.8 * _available_gb(), 1),
        help="address-space limit of each statsmodels worker (default 80%% of the memory available now; 0: none)",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        if args.worker == "jobtro":
            result = _worker_jobtro(args.data)
        else:
            result = _worker_statsmodels(args.data, args.worker.split("-", 1)[1], args.peer_memory_gb)
        args.result.write_text(json.dumps(result))
        return 0

    with tempfile.TemporaryDirectory(prefix="jobtro-discrete-") as tmp:
        data = Path(tmp)
        began = time.perf_counter()
        info = prepare(args.citizens, args.seed, data)
        print(f"  data prepared in {time.perf_counter() - began:.1f} s: {info}", file=sys.stderr, flush=True)
        ours = None if args.only == "statsmodels" else _run_worker("jobtro", data)
        if ours:
            print(f"  jobtro: {ours['seconds']}, peak {ours['peak_mb']:,.0f} MB", file=sys.stderr, flush=True)
        peers: dict[str, dict[str, Any]] = {}
        if args.only != "jobtro":
            for link in LINKS:
                peers[link] = _run_worker(f"statsmodels-{link}", data, args.peer_memory_gb)
                print(
                    f"  statsmodels {link}: {peers[link].get('seconds') or peers[link]['error']}, "
                    f"peak {peers[link]['peak_mb']:,.0f} MB",
                    file=sys.stderr,
                )

    return 1 if _report(info, ours, peers, args.seed) else 0


def _report(info: dict[str, Any], ours: dict[str, Any] | None, peers: dict[str, dict[str, Any]], seed: int) -> bool:
    """Print the Markdown report; True if the estimates disagree."""
    k = len(ours["fits"]["logit"]["names"]) if ours else len(peers["logit"].get("names", ()))
    print(f"## Discrete-time hazard, {info['citizens']:,} citizens (seed {seed})\n")
    print(
        f"{info['person_weeks']:,} person-weeks ({info['rows']:,} counting-process rows, {info['events']:,} "
        f"events), {info['caseworkers']:,} caseworkers as clusters (HC1), {k} coefficients with the week bands.\n"
    )
    print("| model | tool | fitted rows | time (s) | peak RSS (MB) |")
    print("|---|---|---:|---:|---:|")
    for link in LINKS:
        if ours:
            s = ours["seconds"]
            print(
                f"| {link}, week bands | jobtro: spells → cells {s['collapse']:.2f} s + fit {s[link]:.2f} s "
                f"| {ours['cells']:,} cells | **{s['collapse'] + s[link]:.2f}** | {ours['peak_mb_bands']:,.0f} |"
            )
        if link in peers:
            p = peers[link]
            if "error" in p:
                print(
                    f"| {link}, week bands | statsmodels GLM: {p['error']} | {info['person_weeks']:,} person-weeks "
                    f"| — | > {p['peak_mb']:,.0f} |"
                )
            else:
                print(
                    f"| {link}, week bands | statsmodels GLM (design matrix {p['seconds']['design']:.1f} s, "
                    f"not counted) | {info['person_weeks']:,} person-weeks | {p['seconds']['fit']:.1f} "
                    f"| {p['peak_mb']:,.0f} |"
                )
        print(
            f"| {link}, week bands | pyfixest: not installed; the issue's figure | 7.3 M person-weeks "
            f"| ({PYFIXEST_SECONDS:.0f}) | ({PYFIXEST_GB * 1024:,.0f}) |"
        )
    if ours:
        s = ours["seconds"]
        print(
            f"| cloglog, log(week + 1) | jobtro: spells → runs {s['collapse_exact']:.2f} s + fit "
            f"{s['cloglog_log_exact']:.2f} s | {ours['runs_exact']:,} runs of weeks "
            f"| {s['collapse_exact'] + s['cloglog_log_exact']:.2f} | {ours['peak_mb']:,.0f} (whole worker) |"
        )
        worst = max(s["collapse"] + s[link] for link in LINKS)
        met = worst <= TARGET_SECONDS and ours["peak_mb_bands"] < TARGET_MB
        print(
            f"\nTarget (issue 5): at most {TARGET_SECONDS:.1f} s (a fifth of pyfixest's {PYFIXEST_SECONDS:.0f} s) "
            f"and under {TARGET_MB:,.0f} MB. Slowest jobtro fit {worst:.2f} s, peak {ours['peak_mb_bands']:,.0f} MB: "
            + ("met." if met else "**not met**.")
        )
    failed = False
    if ours and peers:
        print()
        for link in LINKS:
            mine, theirs = ours["fits"][link], peers[link]
            if "error" in theirs:
                continue
            if mine["names"] != theirs["names"]:
                print(f"- {link}: coefficient names differ: {mine['names']} vs {theirs['names']}")
                failed = True
                continue
            coef = _max_rel(mine["coef"], theirs["coef"])
            se = _max_rel(mine["robust_se"], theirs["robust_se"])
            ok = coef <= 1e-5 and (link != "logit" or se <= 1e-4)
            failed |= not ok
            note = (
                " (statsmodels' bread: observed information; jobtro's and R's: expected)" if link == "cloglog" else ""
            )
            print(
                f"- {link}: jobtro vs statsmodels, largest relative difference: coefficients {coef:.1e}, "
                f"robust SEs {se:.1e}{note}: " + ("agree." if ok else "**DISAGREE**.")
            )
    return failed


if __name__ == "__main__":
    sys.exit(main())
