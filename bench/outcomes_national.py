"""Benchmark: the national outcome panel - import a weekly status register and compute the spells -
with jobtro's core beside a straightforward pandas implementation of the same steps, in the same run
(issue 4: at least 5x faster than pandas, and under 2 minutes on 2 cores).

Usage::

    .venv/bin/python bench/outcomes_national.py [--data DIR]
        [--format parquet|csv ...] [--only jobtro|pandas] [--repeat N]

``--data`` is a directory written by ``jobtro simulate --national --out DIR``; without it (or when it
lacks the files) the national simulation is written to a temporary directory first (about 20 s, not
timed). Both formats of the register extract (``status_register.parquet`` and ``.csv``, 31.2 million
person-weeks of 300,000 persons) are run unless ``--format`` names one. pyarrow is a development
dependency for this benchmark only: pandas needs it for Parquet (and pandas 3 then keeps strings in
Arrow, its faster string type, so the peer is the stronger one); jobtro's polars code does not use it.

What is timed, per implementation (jobtro: :mod:`jobtro.lib.outcome_files` and
:mod:`jobtro.stats.spells`; pandas: ``bench/_pandas_outcomes.py``, whose docstring says how it is
written):

import
    The file's bytes to a checked, pseudonymised panel sorted by person and week: ``read`` (parse the
    file), ``check`` (CPR numbers parsed and HMAC-pseudonymised, week labels parsed, codes looked up,
    once per distinct value), ``link`` (those results attached to the 31 million rows) and ``sort``
    (with the duplicate person-week check). jobtro: ``read_status``.
store (first import)
    Merging into an empty store and serialising the panel to Parquet bytes (what is stored).
re-import (no-op)
    Loading the stored Parquet and merging the same extract again; nothing changes. Not in the total.
measurements
    Specific beliefs with the person (citizen CPR -> pseudonym -> panel person) and the measured week;
    caseworker changes (every assignment after a citizen's first) from the assignments.
first_event
    Weeks from each of the 1.9 million measurements to the first job/education week (horizon 52 weeks,
    k = n = 1), censored at the horizon or the end of the data. The pandas row is its groupby-apply;
    the ``merge_asof`` variant is shown below it (not in the total).
counting_process
    Each person's follow-up split at later waves and caseworker changes, with the belief and the
    caseworker in force.

Each implementation and format runs in its own subprocess (this script re-invoked with ``--worker``),
so the peak RSS (VmHWM, a high-water mark, interpreter and libraries included) is that
implementation's alone. With ``--repeat N`` each worker runs N times and each step's fastest time
counts (the machine may be busy with other work; one repeat of both formats takes about 8 minutes).
Afterwards the results are compared: the panels (rows, persons, rows and summed weeks per code), the
spells of every measurement (duration, event, event type) and the whole counting-process table must
agree, or the benchmark fails. Printed as Markdown, one table per format.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

IMPLEMENTATIONS = ("jobtro", "pandas")
FORMATS = ("parquet", "csv")
NEEDED = ("status_register", "citizens", "specific_beliefs", "assignments")
HORIZON_WEEKS = 52
TARGET_SPEED_UP = 5.0
TARGET_SECONDS = 120.0
# A benchmark key, not a secret: both implementations must make the same pseudonyms.
BENCH_KEY = b"jobtro outcomes benchmark key, not a secret"

# (row label, key, in the total)
ROWS: tuple[tuple[str, str, bool], ...] = (
    ("import", "import", True),
    ("  read", "import/read", False),
    ("  check", "import/check", False),
    ("  link", "import/link", False),
    ("  sort", "import/sort", False),
    ("store: merge into empty + serialise", "store", True),
    ("measurements + changes", "measurements", True),
    ("first_event", "first_event", True),
    ("  pandas merge_asof variant (not in total)", "first_event_asof", False),
    ("counting_process", "counting_process", True),
    ("re-import: load stored + merge, no-op (not in total)", "reimport", False),
)


def _peak_rss_mb() -> float:
    """This process's peak resident set size. VmHWM, not ``ru_maxrss``: Linux carries ``ru_maxrss``
    over an exec, so a worker would inherit the parent's high-water mark."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: KiB (macOS: bytes)


class _Clock:
    """Wall time per step, and sub-steps from a ``progress`` callback."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._sub: tuple[str, float] | None = None

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        yield
        self.end_sub()
        self.seconds[name] = time.perf_counter() - began
        print(f"  {name}: {self.seconds[name]:.1f} s, peak RSS {_peak_rss_mb():,.0f} MB", file=sys.stderr, flush=True)

    def sub(self, parent: str) -> Callable[[str], None]:
        def progress(name: str) -> None:
            self.end_sub()
            self._sub = (f"{parent}/{name}", time.perf_counter())

        return progress

    def end_sub(self) -> None:
        if self._sub is not None:
            name, began = self._sub
            self.seconds[name] = time.perf_counter() - began
            self._sub = None


# --- workers (one subprocess each) ----------------------------------------------------------------


def _run_jobtro(data: Path, fmt: str, out: Path) -> dict[str, Any]:
    import polars as pl

    from jobtro.lib.outcome_files import Panel, merge_status, read_status, week_index
    from jobtro.lib.pseudonym import Pseudonymiser
    from jobtro.lib.status_codes import StatusMapping
    from jobtro.stats.simulate import national_config
    from jobtro.stats.spells import counting_process, first_event

    clock, mapping, pseudonymise = _Clock(), StatusMapping(), Pseudonymiser(BENCH_KEY).pseudonym
    baseline = _peak_rss_mb()
    with clock.step("import"):
        extract = read_status(
            (data / f"status_register.{fmt}").read_bytes(), mapping, pseudonymise, progress=clock.sub("import")
        )
    with clock.step("store"):
        panel, _ = merge_status(None, extract.panel)
        persons_bytes, frame_bytes = panel.to_parquet()
    with clock.step("reimport"):
        stored = Panel.from_parquet(persons_bytes, frame_bytes, panel.codes)
        _, counts = merge_status(stored, extract.panel)
    assert counts.noop, counts
    del stored
    with clock.step("measurements"):
        start = week_index(national_config().start)
        citizens = pl.read_parquet(data / "citizens.parquet", columns=["citizen_id", "cpr"])
        pids = pl.DataFrame(
            {"pseudonym": panel.persons, "person": pl.int_range(len(panel.persons), dtype=pl.UInt32, eager=True)}
        )
        citizens = citizens.with_columns(
            pl.col("cpr").map_elements(pseudonymise, return_dtype=pl.String).alias("pseudonym")
        ).join(pids, on="pseudonym", how="left")
        measurements = (
            pl.read_parquet(data / "specific_beliefs.parquet")
            .join(citizens.select("citizen_id", "person"), on="citizen_id", how="left", maintain_order="left")
            .with_columns((pl.col("week").cast(pl.Int64) + start).alias("measured_week"))
        )
        changes = (
            pl.read_parquet(data / "assignments.parquet")
            .filter(~pl.col("citizen_id").is_first_distinct())
            .join(citizens.select("citizen_id", "person"), on="citizen_id", how="inner", maintain_order="left")
            .select("person", (pl.col("from_week").cast(pl.Int64) + start).alias("change_week"), "caseworker_id")
        )
    with clock.step("first_event"):
        spells = first_event(panel.categorised(mapping), measurements, horizon_weeks=HORIZON_WEEKS, k=1, n=1)
    with clock.step("counting_process"):
        counted = counting_process(spells, changes)
    peak = _peak_rss_mb()

    # Results for the comparison (not timed): persons as pseudonyms, like the pandas peer's.
    frame = panel.frame.with_columns(pl.col("code").replace_strict(list(range(len(panel.codes))), list(panel.codes)))
    codes = frame.group_by("code").agg(pl.len().alias("rows"), pl.col("week").cast(pl.Int64).sum().alias("weeks"))
    spells.select("duration", "event", "event_type").write_parquet(out / "spells.parquet")
    counted.with_columns(panel.persons.gather(counted["person"]).alias("person")).write_parquet(
        out / "counting.parquet"
    )
    summary = {
        "rows": panel.rows,
        "persons": len(panel.persons),
        "codes": {row["code"]: [row["rows"], row["weeks"]] for row in codes.iter_rows(named=True)},
        "stored_bytes": len(persons_bytes) + len(frame_bytes),
        "counting_rows": counted.height,
    }
    return {"seconds": clock.seconds, "peak_rss_mb": peak, "baseline_rss_mb": baseline, "summary": summary}


def _run_pandas(data: Path, fmt: str, out: Path) -> dict[str, Any]:
    try:
        import pyarrow  # noqa: F401  (pandas' Parquet engine)
    except ImportError:
        sys.exit("the pandas peer needs pyarrow, a development dependency: run `make test` once to install it")
    import _pandas_outcomes as pdo
    import pandas as pd

    from jobtro.lib.pseudonym import Pseudonymiser
    from jobtro.lib.status_codes import StatusMapping
    from jobtro.stats.simulate import national_config

    clock, mapping, pseudonymise = _Clock(), StatusMapping(), Pseudonymiser(BENCH_KEY).pseudonym
    baseline = _peak_rss_mb()
    with clock.step("import"):
        extract = pdo.read_status(data / f"status_register.{fmt}", mapping, pseudonymise, clock.sub("import"))
    with clock.step("store"):
        panel, _ = pdo.merge_status(None, extract)
        stored_bytes = pdo.to_parquet(panel)
    with clock.step("reimport"):
        _, counts = pdo.merge_status(pdo.from_parquet(stored_bytes), extract)
    assert counts["added"] == 0 and counts["changed"] == 0, counts
    with clock.step("measurements"):
        measurements, changes = pdo.measurements_and_changes(data, national_config().start, pseudonymise)
    with clock.step("first_event"):
        spells = pdo.first_event(panel, measurements, mapping, HORIZON_WEEKS)
    with clock.step("counting_process"):
        counted = pdo.counting_process(spells, changes)
    peak = _peak_rss_mb()
    with clock.step("first_event_asof"):
        spells_asof = pdo.first_event_asof(panel, measurements, mapping, HORIZON_WEEKS)
    columns = ["duration", "event", "event_type"]
    pd.testing.assert_frame_equal(spells_asof[columns], spells[columns], check_dtype=False)

    codes = panel.groupby("code")["week"].agg(["size", "sum"])
    spells[columns].to_parquet(out / "spells.parquet", index=False)
    counted.to_parquet(out / "counting.parquet", index=False)
    summary = {
        "rows": len(panel),
        "persons": int(panel["person"].nunique()),
        "codes": {code: [int(row["size"]), int(row["sum"])] for code, row in codes.iterrows()},
        "stored_bytes": len(stored_bytes),
        "counting_rows": len(counted),
    }
    return {"seconds": clock.seconds, "peak_rss_mb": peak, "baseline_rss_mb": baseline, "summary": summary}


def _worker(implementation: str, data: Path, fmt: str, out: Path) -> None:
    run = _run_jobtro if implementation == "jobtro" else _run_pandas
    result = run(data, fmt, out)
    (out / "result.json").write_text(json.dumps(result))


# --- the parent -----------------------------------------------------------------------------------


def _spawn(implementation: str, data: Path, fmt: str, out: Path, repeat: int) -> dict[str, Any]:
    """Run the worker ``repeat`` times: the fastest time of each step, the highest peak RSS."""
    out.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, __file__, "--worker", implementation, "--data", str(data), "--format", fmt]
    runs: list[dict[str, Any]] = []
    for number in range(1, repeat + 1):
        print(f"{implementation}, {fmt}, run {number} of {repeat}:", file=sys.stderr, flush=True)
        subprocess.run([*command, "--result", str(out)], check=True)  # noqa: S603 (this script, fixed arguments)
        runs.append(json.loads((out / "result.json").read_text()))
    result = runs[-1]
    result["seconds"] = {key: min(run["seconds"][key] for run in runs) for key in result["seconds"]}
    result["peak_rss_mb"] = max(run["peak_rss_mb"] for run in runs)
    return result


def _compare(fmt: str, results: dict[str, dict[str, Any]], outs: dict[str, Path]) -> list[str]:
    """Assert that both implementations computed the same thing; the lines saying what was compared."""
    import polars as pl
    from polars.testing import assert_frame_equal

    ours, theirs = results["jobtro"]["summary"], results["pandas"]["summary"]
    for key in ("rows", "persons", "codes", "counting_rows"):
        assert ours[key] == theirs[key], f"{fmt}: {key} differs: jobtro {ours[key]}, pandas {theirs[key]}"
    spells = [pl.read_parquet(outs[name] / "spells.parquet") for name in IMPLEMENTATIONS]
    cast = {"duration": pl.Int64, "event": pl.Int64, "event_type": pl.String}
    assert_frame_equal(spells[0].cast(cast), spells[1].cast(cast))  # type: ignore[arg-type]
    counting = [pl.read_parquet(outs[name] / "counting.parquet") for name in IMPLEMENTATIONS]
    cast = {
        "person": pl.String, "start": pl.Int64, "stop": pl.Int64, "event": pl.Int64, "event_type": pl.String,
        "belief": pl.Float64, "caseworker_id": pl.Int64, "changed": pl.Int64,
    }  # fmt: skip
    counting = [c.select(list(cast)).cast(cast).sort("person", "start") for c in counting]  # type: ignore[arg-type]
    assert_frame_equal(counting[0], counting[1])
    events = spells[0]["event"].sum()
    return [
        f"Same results ({fmt}): panel of {ours['rows']:,} person-weeks and {ours['persons']:,} persons "
        f"(rows and summed weeks per code equal); all {spells[0].height:,} spells equal (duration, event, "
        f"event type; {events:,} events); counting process equal in all {ours['counting_rows']:,} rows and "
        f"columns. Stored panel: jobtro {ours['stored_bytes'] / 1024**2:,.1f} MB, "
        f"pandas {theirs['stored_bytes'] / 1024**2:,.1f} MB of Parquet."
    ]


def _seconds(value: float) -> str:
    return f"{value:.2f}" if value < 1 else f"{value:.1f}"


def _table(fmt: str, results: dict[str, dict[str, Any]]) -> list[str]:
    names = [n for n in IMPLEMENTATIONS if n in results]
    both = len(names) == 2
    head = "| step | " + " | ".join(f"{n} (s)" for n in names) + (" | speed-up |" if both else " |")
    lines = [f"### {fmt}", "", head, "|---|" + "---:|" * (len(names) + both)]

    def cells(values: list[float | None], fmt_value: Callable[[float], str], ratio: bool) -> str:
        text = [fmt_value(v) if v is not None else "" for v in values]
        if both:
            a, b = values
            text.append(f"{b / a:.1f}x" if ratio and a and b else "")
        return " | ".join(text)

    totals = [sum(results[n]["seconds"][k] for _, k, counted in ROWS if counted) for n in names]
    for label, key, _ in ROWS:
        values = [results[n]["seconds"].get(key) for n in names]
        if all(v is None for v in values):
            continue
        lines.append(f"| {label} | {cells(values, _seconds, True)} |")
    lines.append(f"| **total: import + store + spells** | {cells(totals, lambda v: f'**{_seconds(v)}**', True)} |")
    peaks = [results[n]["peak_rss_mb"] for n in names]
    lines.append(f"| peak RSS (MB) | {cells(peaks, lambda v: f'{v:,.0f}', True)} |")
    bases = [results[n]["baseline_rss_mb"] for n in names]
    lines.append(f"| of which interpreter + libraries (MB) | {cells(bases, lambda v: f'{v:,.0f}', False)} |")
    lines.append("")
    if "jobtro" in results:
        total = totals[0]
        verdict = "meets" if total < TARGET_SECONDS else "MISSES"
        line = f"jobtro total {total:.1f} s: {verdict} the target of under {TARGET_SECONDS:.0f} s"
        if both:
            speed_up = totals[1] / totals[0]
            verdict = "meets" if speed_up >= TARGET_SPEED_UP else "MISSES"
            line += f"; {speed_up:.1f}x faster than pandas: {verdict} the target of {TARGET_SPEED_UP:.0f}x"
            asof = results["pandas"]["seconds"].get("first_event_asof")
            if asof is not None:
                expert = totals[1] - results["pandas"]["seconds"]["first_event"] + asof
                line += f" (pandas with the merge_asof first_event: {expert:.1f} s, {expert / totals[0]:.1f}x)"
        lines.append(line + ".")
    return lines


def _ensure_data(data: Path) -> None:
    if all((data / f"{name}.parquet").exists() for name in NEEDED) and (data / "status_register.csv").exists():
        return
    from jobtro.stats.simulate import national_config, simulate, write

    print(f"Simulating the national configuration into {data} ...", file=sys.stderr, flush=True)
    write(simulate(national_config()), data)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, help="a `jobtro simulate --national` directory (default: simulate)")
    parser.add_argument("--format", nargs="+", choices=FORMATS, default=list(FORMATS), dest="formats")
    parser.add_argument("--only", choices=IMPLEMENTATIONS)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each worker; the fastest counts (default 1)")
    parser.add_argument("--worker", choices=IMPLEMENTATIONS, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        _worker(args.worker, args.data, args.formats[0], args.result)
        return 0

    began = time.perf_counter()
    implementations = [args.only] if args.only else list(IMPLEMENTATIONS)
    with tempfile.TemporaryDirectory(prefix="jobtro-outcomes-") as tmp:
        data = args.data or Path(tmp) / "national"
        _ensure_data(data)
        report: list[str] = []
        for fmt in args.formats:
            outs = {name: Path(tmp) / fmt / name for name in implementations}
            results = {name: _spawn(name, data, fmt, outs[name], args.repeat) for name in implementations}
            report += _table(fmt, results)
            if len(results) == 2:
                report += ["", *_compare(fmt, results, outs)]
            report.append("")
    cores = len(os.sched_getaffinity(0))
    print(f"## National outcomes: import + spells, jobtro and pandas ({cores} cores)\n")
    print("\n".join(report))
    print(f"Benchmark wall time {time.perf_counter() - began:.0f} s.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
