r"""How well the caseworkers' beliefs foretell who gets a job or education: the calibration analysis
(issue 7, point 5), computed from the project's latest spell build and stored by jobtro.analysis.runs.

Data
----
One row per specific-belief measurement with outcome data (the spells of
:class:`~jobtro.outcomes.models.SpellBuild`): ``time`` = duration + event and ``event`` as
:mod:`jobtro.stats.calibration` asks, the horizon the build's (52 weeks by default).

- **Specific belief as a forecast.** Each level's observed (Kaplan-Meier) share by the horizon is the
  probability that level forecasts; the Brier score of that forecast (IPCW), its reference (the overall
  share for everyone) and skill, and Harrell's C of belief against time to job or education, all from
  :func:`jobtro.stats.calibration.calibrate` with a bootstrap that draws whole caseworkers (the
  measurements of one caseworker are not independent).
- **General share as a forecast.** Each caseworker's answer to "what share of your citizens will get a
  job or education within a year?" (``general_share``, 0-100 %, the answer in force in that wave) is
  a forecast for every citizen they rated in that wave. Calibration curve: the answers are grouped into
  bands of 10 percentage points (0-9, 10-19, ..., 90-100), and for each band the mean answer (predicted)
  is set against the Kaplan-Meier share of the band's citizens (observed, with its 95 % interval). Its
  Brier score is bootstrapped over caseworkers as well (frequency weights, as ``calibrate`` does).

No point belongs to one named person: the points are belief levels and bands of the general share.

Result (JSON)
-------------
::

    {"definition": {"spell_build": id, "k", "n", "horizon_weeks", "evaluated_weeks", "replications",
                    "seed", "cluster": "caseworker"},
     "n": {"measurements", "with_belief", "dont_know", "citizens", "caseworkers", "events"},
     "levels": [{"belief": 1..5, "n", "citizens", "events", "censored", "share", "ci_low", "ci_high",
                 "interval", "boot_low", "boot_high"}],          # observed share by the horizon
     "dont_know": {"n", "citizens", "events", "share", "ci_low", "ci_high"} | null,
     "overall": {"n", "events", "share", "ci_low", "ci_high"},
     "brier": {"estimate", "ci_low", "ci_high"},              # specific belief, level shares as forecast
     "brier_reference": {...}, "brier_skill": {...},
     "concordance": {"estimate", "ci_low", "ci_high",         # bootstrap over caseworkers
                     "se", "concordant", "discordant", "tied_x", "tied_y"},  # se: jackknife by caseworker
     "general": null | {
        "n": {"answers", "caseworkers", "measurements", "citizens", "events"},
        "bins": [{"low": 0, "high": 9, "predicted", "observed", "ci_low", "ci_high", "n", "citizens",
                  "answers"}],                               # answers = caseworker-wave answers in the band
        "brier": {...}, "brier_reference": {...}, "brier_skill": {...},
        "mean_predicted", "observed"}}                       # over all its measurements

Every share and score is read at ``evaluated_weeks``: the build's horizon once at least 10 % of the
measurements have been followed that long, else the latest week that many have been followed (a young
project has nobody followed for a whole year; see :func:`evaluation_week`). The general share is a
forecast for a year, so until a year has been followed its observed shares are expected to fall short.

Shares and probabilities are fractions (0-1); a number that cannot be estimated is null. A level's
``interval`` is ``"wilson"`` when nobody in it was censored before the horizon, ``"greenwood-log"``
otherwise; where that interval degenerates (no events, or everyone had one) it is replaced by Wilson's
on the number of people the follow-up is worth, :math:`\sum_i \min(T_i, \tau) / \tau` for the period
:math:`\tau` the share covers (``"wilson-followed"``), so no share is shown with an interval of zero width.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import polars as pl

from jobtro.analysis.dataset import latest_build
from jobtro.measurement.models import Answer
from jobtro.organisation.models import Project
from jobtro.outcomes.models import SpellBuild
from jobtro.stats.calibration import brier_score, calibrate, observed_shares
from jobtro.stats.trends import wilson_interval

DONT_KNOW: Final = 0  # the level code of "Ved ikke" (the scale is 1-5)
GENERAL_SHARE: Final = "general_share"
DEFAULT_REPLICATIONS: Final = 500
DEFAULT_SEED: Final = 2026
# The Brier score needs people whose status at the horizon is known; below this share of measurements
# still followed, the scores are read at an earlier week (see evaluation_week).
MIN_FOLLOWED_SHARE: Final = 0.10

Progress = Callable[[str, float], None]


# --------------------------------------------------------------------------------------------------
# Spells and shares (also used by the caseworkers' own feedback, jobtro.reports.feedback)


def spells_frame(build: SpellBuild) -> pl.DataFrame:
    """The build's measurements with outcome data: citizen_id, wave, caseworker_id, ``level`` (1-5, or
    DONT_KNOW for "Ved ikke"), ``time`` = duration + event, event."""
    spells = pl.read_parquet(
        io.BytesIO(bytes(build.spells_parquet)),
        columns=["citizen_id", "wave", "caseworker_id", "belief", "duration", "event"],
    )
    return spells.filter(pl.col("duration").is_not_null()).select(
        pl.col("citizen_id").cast(pl.Int64),
        pl.col("wave").cast(pl.Int64),
        pl.col("caseworker_id").cast(pl.Int64),
        pl.col("belief").cast(pl.Int64).fill_null(DONT_KNOW).alias("level"),
        (pl.col("duration") + pl.col("event")).cast(pl.Float64).alias("time"),
        pl.col("event").cast(pl.Float64),
    )


@dataclass(frozen=True)
class ObservedShare:
    """A group's Kaplan-Meier share in job or education by the horizon, with its 95 % interval."""

    n: int  # measurements
    citizens: int  # different citizens
    events: int  # by the horizon
    censored: int  # before the horizon
    share: float
    ci_low: float
    ci_high: float
    interval: str
    followed: float  # weeks the share covers: the horizon, or the group's longest follow-up if shorter


def shares_by(frame: pl.DataFrame, column: str, horizon: float) -> dict[int, ObservedShare]:
    """The observed share by the horizon of each value of ``column`` (an integer group code)."""
    if frame.height == 0:
        return {}
    found = observed_shares(
        frame["time"].to_numpy(), frame["event"].to_numpy(), frame[column].to_numpy(), horizon=horizon
    )
    reach = {
        int(r[column]): (int(r["citizens"]), float(r["followed"]))
        for r in frame.group_by(column)
        .agg(pl.col("citizen_id").n_unique().alias("citizens"), pl.col("time").max().alias("followed"))
        .iter_rows(named=True)
    }
    out: dict[int, ObservedShare] = {}
    for s in found:
        low, high, interval = s.ci_low, s.ci_high, s.interval
        degenerate = not (math.isfinite(low) and math.isfinite(high)) or high - low <= 1e-12
        level = int(s.level)
        citizens, followed = reach.get(level, (0, 0.0))
        if degenerate:
            # Greenwood has no width with no events (or only events). Wilson's instead, on the number of
            # people the follow-up is worth: the weeks followed within the period the share covers, in
            # whole periods (at least one person, so the interval is wide rather than absent).
            covered = min(float(horizon), followed)
            times = frame.filter(pl.col(column) == level)["time"].to_numpy()
            worth = float(np.minimum(times, covered).sum() / covered) if covered > 0 else 1.0
            worth = max(1.0, worth)
            low, high = wilson_interval(float(s.share) * worth, worth)
            interval = "wilson-followed"
        out[level] = ObservedShare(
            int(s.n),
            citizens,
            int(s.events),
            int(s.censored),
            float(s.share),
            low,
            high,
            interval,
            min(float(horizon), followed),
        )
    return out


def evaluation_week(time: pl.Series, horizon: float) -> float:
    """The week at which to read shares and Brier scores: the horizon when at least
    :data:`MIN_FOLLOWED_SHARE` of the measurements are followed that long, else the latest week that
    many are followed (never past the longest follow-up). Without it, a project followed for less than
    the horizon would have nobody with a known status at the horizon, and the censoring-weighted Brier
    score would rest on the events alone (rewarding any high forecast)."""
    if time.len() == 0:
        return horizon
    values = np.sort(time.to_numpy())[::-1]  # descending
    needed = max(1, math.ceil(MIN_FOLLOWED_SHARE * values.shape[0]))
    return float(min(horizon, values[needed - 1]))


# --------------------------------------------------------------------------------------------------
# The stored analysis


def _num(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _interval(estimate: float, low: float, high: float) -> dict[str, float | None]:
    return {"estimate": _num(estimate), "ci_low": _num(low), "ci_high": _num(high)}


def general_answers(project: Project) -> pl.DataFrame:
    """wave, caseworker_id, general_share (0-100): the general-share answer in force per wave and
    caseworker (the latest received; "Ved ikke" left out)."""
    rows = (
        Answer.objects.filter(wave__project=project, item__key=GENERAL_SHARE, citizen__isnull=True, dont_know=False)
        .order_by()
        .values_list("wave__number", "caseworker_id", "value", "received_at", "id")
    )
    frame = pl.DataFrame(
        list(rows),
        schema={
            "wave": pl.Int64,
            "caseworker_id": pl.Int64,
            "general_share": pl.Float64,
            "received_at": pl.Datetime("us", "UTC"),
            "id": pl.Int64,
        },
        orient="row",
    )
    return (
        frame.sort("received_at", "id")
        .unique(["wave", "caseworker_id"], keep="last", maintain_order=True)
        .select("wave", "caseworker_id", "general_share")
    )


def _cluster_codes(frame: pl.DataFrame) -> np.ndarray[Any, np.dtype[np.int64]]:
    return frame["caseworker_id"].rank("dense").cast(pl.Int64).to_numpy() - 1


def _general(
    spells: pl.DataFrame, answers: pl.DataFrame, horizon: float, replications: int, seed: int
) -> dict[str, Any] | None:
    data = spells.join(answers, on=["wave", "caseworker_id"], how="inner")
    if data.height == 0:
        return None
    data = data.with_columns(
        (pl.col("general_share") / 100).alias("predicted"),
        # Bands of 10 points: 0-9 -> 0, ..., 90-100 -> 9 (100 joins the top band).
        (pl.col("general_share") // 10).clip(0, 9).cast(pl.Int64).alias("band"),
    )
    shares = shares_by(data, "band", horizon)
    per_band = {
        int(r["band"]): r
        for r in data.group_by("band")
        .agg(
            pl.col("predicted").mean().alias("predicted"),
            pl.struct("wave", "caseworker_id").n_unique().alias("answers"),
        )
        .iter_rows(named=True)
    }
    bins = [
        {
            "low": 10 * band,
            "high": 100 if band == 9 else 10 * band + 9,
            "predicted": _num(per_band[band]["predicted"]),
            "observed": _num(s.share),
            "ci_low": _num(s.ci_low),
            "ci_high": _num(s.ci_high),
            "n": s.n,
            "citizens": s.citizens,
            "answers": int(per_band[band]["answers"]),
        }
        for band, s in sorted(shares.items())
    ]
    t, e, p = data["time"].to_numpy(), data["event"].to_numpy(), data["predicted"].to_numpy()
    (overall,) = observed_shares(t, e, np.zeros(t.shape[0]), horizon=horizon)
    clusters = _cluster_codes(data)
    n_clusters = int(clusters.max()) + 1

    def scores(weights: np.ndarray[Any, np.dtype[np.float64]] | None) -> tuple[float, float]:
        w = weights if weights is not None else np.ones(t.shape[0])
        (whole,) = observed_shares(t, e, np.zeros(t.shape[0]), horizon=horizon, weights=w)
        score = brier_score(t, e, p, horizon=horizon, weights=w)
        reference = brier_score(t, e, np.full(t.shape[0], min(1.0, max(0.0, whole.share))), horizon=horizon, weights=w)
        return score, reference

    score, reference = scores(None)
    rng = np.random.default_rng(seed)
    boot = np.full((replications, 3), math.nan)
    for r in range(replications):
        draws = np.bincount(rng.integers(0, n_clusters, n_clusters), minlength=n_clusters)[clusters]
        b, ref = scores(draws.astype(np.float64))
        boot[r] = b, ref, (1 - b / ref) if ref > 0 else math.nan

    def interval(estimate: float, column: int) -> dict[str, float | None]:
        finite = boot[:, column][np.isfinite(boot[:, column])]
        if finite.shape[0] < 2:
            return _interval(estimate, math.nan, math.nan)
        low, high = np.quantile(finite, [0.025, 0.975])
        return _interval(estimate, float(low), float(high))

    return {
        "n": {
            "answers": answers.join(data.select("wave", "caseworker_id").unique(), on=["wave", "caseworker_id"]).height,
            "caseworkers": n_clusters,
            "measurements": data.height,
            "citizens": data["citizen_id"].n_unique(),
            "events": int(overall.events),
        },
        "bins": bins,
        "brier": interval(score, 0),
        "brier_reference": interval(reference, 1),
        "brier_skill": interval(1 - score / reference if reference > 0 else math.nan, 2),
        "mean_predicted": _num(float(p.mean())),
        "observed": _num(overall.share),
    }


def compute(project: Project, spec: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """The calibration result for the project's latest spell build (schema in the module docstring).

    ``spec`` may give ``replications`` (bootstrap replicates, default 500) and ``seed`` (default 2026).
    """
    from jobtro.analysis.runs import AnalysisError

    replications = int(spec.get("replications", DEFAULT_REPLICATIONS))
    seed = int(spec.get("seed", DEFAULT_SEED))
    if not 0 <= replications <= 10_000:
        raise AnalysisError("replications must be between 0 and 10000")
    progress("data", 0.0)
    build = latest_build(project)
    if build is None:
        raise AnalysisError("No spells yet: import outcome data and build the spells (jobtro build-spells) first.")
    spells = spells_frame(build)
    rated = spells.filter(pl.col("level") != DONT_KNOW)
    if rated.height == 0:
        raise AnalysisError("No belief measurement has outcome data yet.")
    horizon = evaluation_week(spells["time"], float(build.horizon_weeks))
    if horizon <= 0:
        raise AnalysisError("The citizens have not been followed for a week yet.")
    if rated["level"].n_unique() < 2:
        raise AnalysisError("Every measurement with outcome data has the same belief; calibration needs two levels.")

    progress("specific belief", 0.1)
    cal = calibrate(
        rated.with_columns(pl.col("level").cast(pl.Float64).alias("belief")),
        time="time",
        event="event",
        belief="belief",
        horizon=horizon,
        cluster="caseworker_id",
        replications=replications,
        seed=seed,
    )
    own_intervals = shares_by(rated, "level", horizon)
    levels = []
    for s in cal.levels:
        mine = own_intervals[int(s.level)]
        levels.append(
            {
                "belief": int(s.level),
                "n": int(s.n),
                "citizens": mine.citizens,
                "events": int(s.events),
                "censored": int(s.censored),
                "share": _num(s.share),
                "ci_low": _num(mine.ci_low),
                "ci_high": _num(mine.ci_high),
                "interval": mine.interval,
                "boot_low": _num(s.boot_low),
                "boot_high": _num(s.boot_high),
            }
        )
    dont_know = shares_by(spells.filter(pl.col("level") == DONT_KNOW), "level", horizon).get(DONT_KNOW)
    c = cal.concordance

    progress("general share", 0.6)
    general = _general(spells, general_answers(project), horizon, replications, seed)
    progress("done", 1.0)
    return {
        "definition": {
            "spell_build": build.pk,
            "k": build.k,
            "n": build.n,
            "horizon_weeks": build.horizon_weeks,
            "evaluated_weeks": horizon,
            "replications": replications,
            "seed": seed,
            "cluster": "caseworker",
        },
        "n": {
            "measurements": spells.height,
            "with_belief": cal.n,
            "dont_know": spells.height - rated.height,
            "citizens": spells["citizen_id"].n_unique(),
            "caseworkers": spells["caseworker_id"].n_unique(),
            "events": int(spells["event"].sum()),
        },
        "levels": levels,
        "dont_know": None
        if dont_know is None
        else {
            "n": dont_know.n,
            "citizens": dont_know.citizens,
            "events": dont_know.events,
            "share": _num(dont_know.share),
            "ci_low": _num(dont_know.ci_low),
            "ci_high": _num(dont_know.ci_high),
        },
        "overall": {
            "n": int(cal.overall.n),
            "events": int(cal.overall.events),
            "share": _num(cal.overall.share),
            "ci_low": _num(cal.overall.ci_low),
            "ci_high": _num(cal.overall.ci_high),
        },
        "brier": _interval(cal.brier.estimate, cal.brier.ci_low, cal.brier.ci_high),
        "brier_reference": _interval(
            cal.brier_reference.estimate, cal.brier_reference.ci_low, cal.brier_reference.ci_high
        ),
        "brier_skill": _interval(cal.brier_skill.estimate, cal.brier_skill.ci_low, cal.brier_skill.ci_high),
        "concordance": {
            **_interval(cal.concordance_boot.estimate, cal.concordance_boot.ci_low, cal.concordance_boot.ci_high),
            "se": _num(c.std_err),
            "concordant": c.concordant,
            "discordant": c.discordant,
            "tied_x": c.tied_x,
            "tied_y": c.tied_y,
        },
        "general": general,
    }
