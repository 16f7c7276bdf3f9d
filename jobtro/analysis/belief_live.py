"""Has belief moved? The caseworkers' specific and general belief over the project's closed waves, per
municipality, team and focus area, and the estimated effect of taking up a focus area (issue 7, point 3).

Reads the database once (answers in force, memberships, focus-area choices), then fits
:func:`jobtro.stats.belief.fit_crossed_lmm` (wave means with caseworker and citizen random intercepts)
and :func:`jobtro.stats.did.fit_staggered_did` (staggered DiD with the wild cluster bootstrap).

What the data are
-----------------
- Waves: the project's waves that have closed (``closes_on`` before today) and hold specific-belief
  answers. Fewer than two: :class:`AnalysisError`.
- Specific belief: per wave, caseworker and citizen the latest answer to ``specific_belief`` received
  on or before the wave's closing day (local time). "Ved ikke" (don't know) is counted in the
  distribution and left out of every mean.
- General belief: per wave and caseworker the latest ``general_believes`` answer (Yes = 1) received
  before the close; "don't know" is left out.
- Municipality and team of an answer: the caseworker's caseworker membership in force on the wave's
  closing day (else the latest one overlapping the wave); the team is its unit if that is a team. With
  no membership, the citizen's municipality and no team.
- Focus-area take-up: a municipality's earliest ``FocusAreaChoice.start`` for the area; the take-up
  wave is the first wave opening after that day (:func:`jobtro.stats.trends.take_up_period`). Take-up
  is treated as lasting (absorbing): what was learned does not stop on the choice's end date, and the
  staggered DiD needs it so.

Result (JSON; floats finite or null)
------------------------------------
::

    {"schema": 1,
     "waves": [{"number", "name", "opens_on", "closes_on"}],            # the closed waves used
     "categories": [1, 2, 3, 4, 5],
     "n": {"answers", "dont_know", "caseworkers", "citizens", "municipalities"},
     "distribution": {                                                  # specific belief, per wave
        "project": [{"wave", "counts": [n1..n5], "dont_know", "n"}],     # n includes don't know
        "municipalities": [{"code", "name", "waves": [... as project]}]},
     "general": {                                                       # share answering Yes
        "project": [{"wave", "yes", "n", "share", "ci_low", "ci_high"}], # Wilson 95 % CI
        "municipalities": [{"code", "name", "waves": [...]}]},
     "trajectories": {
        "project": TRAJECTORY,
        "municipalities": [{"code", "name", **TRAJECTORY}],
        "teams": [{"id", "name", "municipality", **TRAJECTORY}],       # every team; pages apply thresholds
        "focus_areas": [{"key", "name_da", "name_en",
                         "municipalities": [{"code", "name", "start", "wave"}],   # take-up day and wave
                         "event_time": TRAJECTORY with "event" instead of "wave" in points,
                         "before": POINT | null, "after": POINT | null,
                         "change": {"estimate", "se", "ci_low", "ci_high"} | null}]},
     "did": {"first": DID, "focus_areas": [{"key", "name_da", "name_en", **DID}]}}

    TRAJECTORY = {"points": [POINT + {"wave"}], "n", "caseworkers", "citizens",
                  "variances": {"caseworker", "citizen", "residual"} | null, "converged", "reason"}
    POINT = {"mean", "se", "ci_low", "ci_high", "n", "caseworkers", "citizens"}   # n = answers
    DID = {"estimable", "reason",          # reason: no_periods | no_treated | one_cohort | too_few_clusters
                                           #         | not_identified (empty unless not estimable)
           "comparison": "never" | "not_yet", "waves": [numbers used],
           "clusters", "treated": [{"code", "name", "wave"}], "comparison_clusters": [{"code", "name"}],
           "dropped": [{"code", "name", "why": "always treated"}],
           "n_obs", "overall": EFFECT, "event_study": [EFFECT + {"event"}], "group_time": [EFFECT + {"wave", "cohort"}],
           "pre_trend": {"available", "leads", "p_min", "p_bonferroni", "rejected"},
           "ci_unbounded": bool (the overall CI is open on a side), "bootstrap": {"draws", "enumerated"}}
    EFFECT = {"label", "estimate", "se", "p", "ci_low", "ci_high", "n_obs", "unbounded_low", "unbounded_high"}

A trajectory that cannot be fitted (too few answers) has empty points and a ``reason``. The mean of a
wave is the model's wave effect (no intercept: one fixed effect per wave), so its CI accounts for the
same caseworkers and citizens being rated in several waves.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import polars as pl
from django.db.models import Q
from django.utils import timezone

from jobtro.analysis.dataset import frame_of
from jobtro.analysis.runs import AnalysisError
from jobtro.collaboration.models import FocusArea, FocusAreaChoice
from jobtro.measurement.models import Answer, Wave
from jobtro.organisation.models import Membership, Municipality, Project, Role, Unit
from jobtro.stats.belief import fit_crossed_lmm
from jobtro.stats.did import DiDResult, Effect, fit_staggered_did
from jobtro.stats.trends import Z95, did_design, take_up_period, wilson_interval

SPECIFIC_ITEM = "specific_belief"
GENERAL_ITEM = "general_believes"
CATEGORIES = (1, 2, 3, 4, 5)
SCHEMA = 1

Progress = Callable[[str, float], None]


def _f(value: float | None) -> float | None:
    """A finite float, or None (JSON has no NaN or infinity)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


# --------------------------------------------------------------------------------------------------
# Reading the database


def closed_waves(project: Project, today: date | None = None) -> list[Wave]:
    """The project's waves that have closed, in order."""
    day = today or timezone.localdate()
    return list(project.waves.filter(closes_on__lt=day).order_by("number"))


def _in_force(waves: Iterable[Wave]) -> Q:
    """Answers received on or before each wave's closing day (local time)."""
    tz = timezone.get_current_timezone()
    condition = Q(pk__in=[])
    for wave in waves:
        cutoff = datetime.combine(wave.closes_on + timedelta(days=1), time(0), tzinfo=tz)
        condition |= Q(wave_id=wave.pk, received_at__lt=cutoff)
    return condition


def _latest(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    return frame.sort("received_at", "id").unique(keys, keep="last", maintain_order=True)


def specific_answers(project: Project, waves: list[Wave], item: str = SPECIFIC_ITEM) -> pl.DataFrame:
    """The specific-belief answers in force: wave (number), caseworker_id, citizen_id, citizen_municipality,
    belief (null for don't know), dont_know."""
    number = {w.pk: w.number for w in waves}
    rows = (
        Answer.objects.filter(_in_force(waves), item__key=item, citizen__isnull=False)
        .order_by()
        .values_list("wave_id", "caseworker_id", "citizen_id", "citizen__municipality_id", "value", "dont_know",
                     "received_at", "id")
    )  # fmt: skip
    schema: dict[str, pl.DataType] = {
        "wave_id": pl.Int64(),
        "caseworker_id": pl.Int64(),
        "citizen_id": pl.Int64(),
        "citizen_municipality": pl.String(),
        "belief": pl.Int64(),
        "dont_know": pl.Boolean(),
        "received_at": pl.Datetime("us", "UTC"),
        "id": pl.Int64(),
    }
    frame = frame_of(rows, schema)
    frame = _latest(frame, ["wave_id", "caseworker_id", "citizen_id"])
    return frame.with_columns(
        pl.col("wave_id").replace_strict(number, return_dtype=pl.Int64).alias("wave"),
        pl.when(pl.col("dont_know")).then(None).otherwise(pl.col("belief")).alias("belief"),
    ).drop("wave_id", "received_at", "id")


def general_answers(project: Project, waves: list[Wave], item: str = GENERAL_ITEM) -> pl.DataFrame:
    """The general (yes/no) answers in force: wave, caseworker_id, yes (1/0); don't know left out."""
    number = {w.pk: w.number for w in waves}
    rows = (
        Answer.objects.filter(_in_force(waves), item__key=item)
        .order_by()
        .values_list("wave_id", "caseworker_id", "value", "dont_know", "received_at", "id")
    )
    schema: dict[str, pl.DataType] = {
        "wave_id": pl.Int64(),
        "caseworker_id": pl.Int64(),
        "yes": pl.Int64(),
        "dont_know": pl.Boolean(),
        "received_at": pl.Datetime("us", "UTC"),
        "id": pl.Int64(),
    }
    frame = frame_of(rows, schema)
    frame = _latest(frame, ["wave_id", "caseworker_id"]).filter(~pl.col("dont_know"))
    return frame.select(
        pl.col("wave_id").replace_strict(number, return_dtype=pl.Int64).alias("wave"),
        "caseworker_id",
        (pl.col("yes") > 0).cast(pl.Int64).alias("yes"),
    )


def caseworker_places(caseworkers: Iterable[int], waves: list[Wave]) -> pl.DataFrame:
    """wave, caseworker_id, municipality, team_id: the caseworker membership in force on the wave's closing
    day, else the latest overlapping the wave; team_id only when the membership's unit is a team."""
    ids = sorted(set(caseworkers))
    memberships: dict[int, list[tuple[date, date | None, str | None, int | None]]] = {}
    rows = (
        Membership.objects.filter(role=Role.CASEWORKER, staff_id__in=ids)
        .order_by("start", "pk")
        .values_list("staff_id", "start", "end", "municipality_id", "unit_id", "unit__kind")
    )
    for staff_id, start, end, municipality, unit_id, kind in rows:
        team = unit_id if kind == Unit.Kind.TEAM else None
        memberships.setdefault(staff_id, []).append((start, end, municipality, team))
    out: list[tuple[int, int, str | None, int | None]] = []
    for wave in waves:
        for staff_id in ids:
            mine = memberships.get(staff_id, [])
            in_force = [m for m in mine if m[0] <= wave.closes_on and (m[1] is None or m[1] > wave.closes_on)]
            overlapping = [m for m in mine if m[0] <= wave.closes_on and (m[1] is None or m[1] > wave.opens_on)]
            latest = (in_force or overlapping)[-1:]  # ordered by start: the latest
            chosen = (latest[0][2], latest[0][3]) if latest else None
            if chosen is not None:
                out.append((wave.number, staff_id, chosen[0], chosen[1]))
    schema: dict[str, pl.DataType] = {
        "wave": pl.Int64(),
        "caseworker_id": pl.Int64(),
        "municipality": pl.String(),
        "team_id": pl.Int64(),
    }
    return pl.DataFrame(out, schema=schema, orient="row")


def take_ups(
    project: Project, waves: list[Wave]
) -> tuple[dict[int, dict[str, tuple[date, int | None]]], dict[str, tuple[date, int | None]]]:
    """Per focus area (pk): municipality -> (first start, take-up wave); and per municipality its first
    take-up of any area. Waves are all the project's waves (a wave not yet closed still dates a take-up)."""
    periods = [(w.number, w.opens_on) for w in waves]
    per_area: dict[int, dict[str, tuple[date, int | None]]] = {}
    first: dict[str, date] = {}
    for area_id, code, start in FocusAreaChoice.objects.filter(project=project).values_list(
        "focus_area_id", "municipality_id", "start"
    ):
        mine = per_area.setdefault(area_id, {})
        if code not in mine or start < mine[code][0]:
            mine[code] = (start, None)
        if code not in first or start < first[code]:
            first[code] = start
    per_area = {a: {c: (s, take_up_period(s, periods)) for c, (s, _) in m.items()} for a, m in per_area.items()}
    return per_area, {c: (s, take_up_period(s, periods)) for c, s in first.items()}


# --------------------------------------------------------------------------------------------------
# Distributions and shares


def _distribution(rows: pl.DataFrame, waves: list[int]) -> list[dict[str, Any]]:
    out = []
    for wave in waves:
        mine = rows.filter(pl.col("wave") == wave)
        values = mine["belief"].drop_nulls().to_list()
        counts = [sum(1 for v in values if v == c) for c in CATEGORIES]
        dont_know = int(mine["dont_know"].sum()) if mine.height else 0
        out.append({"wave": wave, "counts": counts, "dont_know": dont_know, "n": sum(counts) + dont_know})
    return out


def _shares(rows: pl.DataFrame, waves: list[int]) -> list[dict[str, Any]]:
    out = []
    for wave in waves:
        mine = rows.filter(pl.col("wave") == wave)
        n, yes = mine.height, int(mine["yes"].sum()) if mine.height else 0
        low, high = wilson_interval(yes, n) if n else (None, None)
        out.append({"wave": wave, "yes": yes, "n": n, "share": yes / n if n else None, "ci_low": low, "ci_high": high})
    return out


# --------------------------------------------------------------------------------------------------
# Mixed-model trajectories


def _point(mean: float, se: float, rows: pl.DataFrame) -> dict[str, Any]:
    return {
        "mean": _f(mean),
        "se": _f(se),
        "ci_low": _f(mean - Z95 * se),
        "ci_high": _f(mean + Z95 * se),
        "n": rows.height,
        "caseworkers": rows["caseworker_id"].n_unique(),
        "citizens": rows["citizen_id"].n_unique(),
    }


def _empty(rows: pl.DataFrame, reason: str) -> dict[str, Any]:
    return {
        "points": [],
        "n": rows.height,
        "caseworkers": rows["caseworker_id"].n_unique() if rows.height else 0,
        "citizens": rows["citizen_id"].n_unique() if rows.height else 0,
        "variances": None,
        "converged": False,
        "reason": reason,
    }


def lmm_means(rows: pl.DataFrame, column: str) -> dict[str, Any]:
    """Means of specific belief per value of ``column`` (wave or event time) from the crossed model with
    one fixed effect per value and no intercept; rows with a belief only. See the module docstring."""
    rows = rows.filter(pl.col("belief").is_not_null())
    if rows.is_empty():
        return _empty(rows, "no answers")
    levels = sorted(rows[column].unique().to_list())
    if rows.height <= len(levels) + 1:
        return _empty(rows, "too few answers")
    names = [f"{column}_{i}" for i in range(len(levels))]
    data = rows.with_columns(
        [(pl.col(column) == level).cast(pl.Float64).alias(name) for level, name in zip(levels, names, strict=True)]
    )
    try:
        fit = fit_crossed_lmm(data, y="belief", x=names, intercept=False)
    except (np.linalg.LinAlgError, ValueError, ZeroDivisionError) as exc:
        return _empty(rows, f"the model could not be fitted ({exc})")
    if not np.all(np.isfinite(fit.params)) or not np.all(np.isfinite(fit.se)):
        return _empty(rows, "the model could not be fitted")
    points = []
    for i, level in enumerate(levels):
        point = _point(float(fit.params[i]), float(fit.se[i]), rows.filter(pl.col(column) == level))
        points.append({column: level, **point})
    caseworker, citizen, residual = fit.variances
    return {
        "points": points,
        "n": rows.height,
        "caseworkers": rows["caseworker_id"].n_unique(),
        "citizens": rows["citizen_id"].n_unique(),
        "variances": {"caseworker": _f(caseworker), "citizen": _f(citizen), "residual": _f(residual)},
        "converged": fit.converged,
        "reason": "",
    }


def _before_after(rows: pl.DataFrame) -> tuple[dict[str, Any] | None, dict[str, Any] | None, dict[str, Any] | None]:
    """Mean belief before and after take-up (rows with ``after`` 0/1), and the change after - before."""
    rows = rows.filter(pl.col("belief").is_not_null())
    parts = {flag: rows.filter(pl.col("after") == flag) for flag in (0, 1)}
    means: dict[int, dict[str, Any] | None] = {0: None, 1: None}
    change = None
    both = all(p.height for p in parts.values())
    if both and rows.height > 3:
        data = rows.with_columns(
            (pl.col("after") == 0).cast(pl.Float64).alias("before_x"), pl.col("after").cast(pl.Float64).alias("after_x")
        )
        try:
            cell = fit_crossed_lmm(data, y="belief", x=["before_x", "after_x"], intercept=False)
            diff = fit_crossed_lmm(data, y="belief", x=["after_x"])
        except (np.linalg.LinAlgError, ValueError, ZeroDivisionError):
            return None, None, None
        for i, flag in enumerate((0, 1)):
            means[flag] = _point(float(cell.params[i]), float(cell.se[i]), parts[flag])
        estimate, se = float(diff.params[1]), float(diff.se[1])
        change = {"estimate": _f(estimate), "se": _f(se), "ci_low": _f(estimate - Z95 * se),
                  "ci_high": _f(estimate + Z95 * se)}  # fmt: skip
    else:
        for flag, part in parts.items():
            if part.height > 2:
                fitted = lmm_means(part.with_columns(pl.lit(0).alias("all")), "all")
                if fitted["points"]:
                    p = dict(fitted["points"][0])
                    p.pop("all")
                    means[flag] = p
    return means[0], means[1], change


# --------------------------------------------------------------------------------------------------
# Difference-in-differences


def _effect(effect: Effect) -> dict[str, Any]:
    return {
        "label": effect.label,
        "estimate": _f(effect.estimate),
        "se": _f(effect.se_cr1),
        "p": _f(effect.p_value),
        "ci_low": _f(effect.ci_low),
        "ci_high": _f(effect.ci_high),
        "n_obs": effect.n_obs,
        "unbounded_low": effect.ci_low == -math.inf,
        "unbounded_high": effect.ci_high == math.inf,
    }


_GROUP_TIME = re.compile(r"ATT\(g=(-?\d+), t=(-?\d+)\)")


def did_estimate(
    rows: pl.DataFrame,
    first_treated: dict[str, int | None],
    names: dict[str, str],
    *,
    draws: int = 9999,
    seed: int = 2026,
) -> dict[str, Any]:
    """The staggered DiD of specific belief (rows: wave, municipality, belief) on take-up (municipality ->
    take-up wave or None), in the design :func:`jobtro.stats.trends.did_design` chooses. See DID in the
    module docstring."""
    rows = rows.filter(pl.col("belief").is_not_null())
    clusters = sorted(set(rows["municipality"].to_list()))
    periods = sorted(set(rows["wave"].to_list()))
    design = did_design({c: first_treated.get(c) for c in clusters}, periods)

    def place(code: str) -> dict[str, Any]:
        return {"code": code, "name": names.get(code, code)}

    base: dict[str, Any] = {
        "estimable": False,
        "reason": design.reason,
        "comparison": design.comparison,
        "waves": list(design.periods),
        "clusters": design.clusters,
        "treated": [{**place(c), "wave": g} for c, g in sorted(design.treated.items())],
        "comparison_clusters": [place(c) for c, g in sorted(design.first_treated.items()) if g is None],
        "dropped": [{**place(c), "why": why} for c, why in sorted(design.dropped.items())],
        "n_obs": 0,
        "overall": None,
        "event_study": [],
        "group_time": [],
        "pre_trend": {"available": False, "leads": [], "p_min": None, "p_bonferroni": None, "rejected": False},
        "ci_unbounded": False,
        "bootstrap": None,
    }
    if not design.estimable:
        return base
    data = rows.filter(
        pl.col("municipality").is_in(list(design.first_treated)) & pl.col("wave").is_in(list(design.periods))
    ).with_columns(
        pl.col("municipality")
        .replace_strict(design.first_treated, return_dtype=pl.Int64, default=None)
        .alias("first_treated")
    )
    try:
        fit: DiDResult = fit_staggered_did(
            data, y="belief", period="wave", cluster="municipality", first_treated="first_treated", draws=draws,
            seed=seed,
        )  # fmt: skip
    except (ValueError, np.linalg.LinAlgError):
        return {**base, "reason": "not_identified"}
    event_study = [{**_effect(e), "event": int(e.label.removeprefix("e="))} for e in fit.event_study]
    group_time = []
    for effect in fit.group_time:
        match = _GROUP_TIME.fullmatch(effect.label)
        cohort, wave = (int(match.group(1)), int(match.group(2))) if match else (None, None)
        group_time.append({**_effect(effect), "cohort": cohort, "wave": wave})
    leads = [e for e in event_study if e["event"] < -1 and e["p"] is not None]
    p_min = min((e["p"] for e in leads), default=None)
    p_bonferroni = None if p_min is None else min(1.0, p_min * len(leads))
    overall = _effect(fit.overall)
    return {
        **base,
        "estimable": True,
        "reason": "",
        "n_obs": fit.n_obs,
        "clusters": fit.n_clusters,
        "overall": overall,
        "event_study": event_study,
        "group_time": group_time,
        "pre_trend": {
            "available": bool(leads),
            "leads": [{"event": e["event"], "estimate": e["estimate"], "p": e["p"]} for e in leads],
            "p_min": p_min,
            "p_bonferroni": p_bonferroni,
            "rejected": p_bonferroni is not None and p_bonferroni < 0.05,
        },
        "ci_unbounded": overall["unbounded_low"] or overall["unbounded_high"],
        "bootstrap": {"draws": fit.bootstrap_draws, "enumerated": fit.enumerated},
    }


# --------------------------------------------------------------------------------------------------
# The analysis


def _nothing(step: str, fraction: float) -> None:
    return None


def compute(project: Project, spec: dict[str, Any], progress: Progress = _nothing) -> dict[str, Any]:
    """The ``belief`` analysis of ``project`` (see the module docstring). ``spec`` may set ``draws`` and
    ``seed`` of the bootstrap (used when the weight vectors are too many to enumerate) and ``today``
    (ISO date; which waves count as closed)."""
    today = date.fromisoformat(spec["today"]) if spec.get("today") else timezone.localdate()
    draws, seed = int(spec.get("draws", 9999)), int(spec.get("seed", 2026))
    progress("reading answers", 0.02)
    all_waves = list(project.waves.order_by("number"))
    waves = closed_waves(project, today)
    if len(waves) < 2:
        raise AnalysisError(
            f"Belief over time needs at least two closed waves; the project has {len(waves)}. "
            "Run the analysis again after the next wave has closed."
        )
    answers = specific_answers(project, waves)
    used = sorted(set(answers["wave"].to_list()))
    if len(used) < 2 or answers.filter(pl.col("belief").is_not_null()).is_empty():
        raise AnalysisError(
            "Belief over time needs specific-belief answers in at least two closed waves; "
            f"there are answers in {len(used)}."
        )
    waves = [w for w in waves if w.number in used]
    general = general_answers(project, waves)
    places = caseworker_places(set(answers["caseworker_id"].to_list()) | set(general["caseworker_id"].to_list()), waves)
    answers = (
        answers.join(places, on=["wave", "caseworker_id"], how="left")
        .with_columns(pl.coalesce("municipality", "citizen_municipality").alias("municipality"))
        .drop("citizen_municipality")
    )
    general = general.join(places, on=["wave", "caseworker_id"], how="left")
    codes = sorted(set(answers["municipality"].to_list()))
    municipality_names = dict(Municipality.objects.filter(code__in=codes).values_list("code", "name"))

    progress("distributions", 0.08)
    result: dict[str, Any] = {
        "schema": SCHEMA,
        "waves": [
            {
                "number": w.number,
                "name": w.name,
                "opens_on": w.opens_on.isoformat(),
                "closes_on": w.closes_on.isoformat(),
            }
            for w in waves
        ],
        "categories": list(CATEGORIES),
        "n": {
            "answers": answers.height,
            "dont_know": int(answers["dont_know"].sum()),
            "caseworkers": answers["caseworker_id"].n_unique(),
            "citizens": answers["citizen_id"].n_unique(),
            "municipalities": len(codes),
        },
        "distribution": {
            "project": _distribution(answers, used),
            "municipalities": [
                {
                    "code": c,
                    "name": municipality_names.get(c, c),
                    "waves": _distribution(answers.filter(pl.col("municipality") == c), used),
                }
                for c in codes
            ],
        },
        "general": {
            "project": _shares(general, used),
            "municipalities": [
                {
                    "code": c,
                    "name": municipality_names.get(c, c),
                    "waves": _shares(general.filter(pl.col("municipality") == c), used),
                }
                for c in codes
            ],
        },
    }

    # Trajectories: project, municipalities, teams, focus areas.
    team_ids = sorted(t for t in set(answers["team_id"].to_list()) if t is not None)
    teams = {t.pk: t for t in Unit.objects.filter(pk__in=team_ids)}
    per_area, first_take_up = take_ups(project, all_waves)
    areas = list(FocusArea.objects.filter(project=project, pk__in=list(per_area)).order_by("position", "pk"))
    fits = 1 + len(codes) + len(team_ids) + len(areas)
    done = 0

    def step(label: str) -> None:
        nonlocal done
        done += 1
        progress(label, 0.1 + 0.5 * done / fits)

    trajectories: dict[str, Any] = {"project": lmm_means(answers, "wave")}
    step("trajectory: project")
    trajectories["municipalities"] = []
    for code in codes:
        fitted = lmm_means(answers.filter(pl.col("municipality") == code), "wave")
        trajectories["municipalities"].append({"code": code, "name": municipality_names.get(code, code), **fitted})
        step("trajectory: municipalities")
    trajectories["teams"] = []
    for team_id in team_ids:
        team = teams[team_id]
        fitted = lmm_means(answers.filter(pl.col("team_id") == team_id), "wave")
        trajectories["teams"].append({"id": team_id, "name": team.name, "municipality": team.municipality_id, **fitted})
        step("trajectory: teams")
    trajectories["focus_areas"] = []
    for area in areas:
        taken = {c: g for c, (_, g) in per_area[area.pk].items() if g is not None}
        mine = answers.filter(pl.col("municipality").is_in(list(taken))).with_columns(
            pl.col("municipality").replace_strict(taken, return_dtype=pl.Int64, default=None).alias("take_up")
        )
        mine = mine.with_columns(
            (pl.col("wave") - pl.col("take_up")).alias("event"),
            (pl.col("wave") >= pl.col("take_up")).cast(pl.Int64).alias("after"),
        )
        before, after, change = _before_after(mine)
        trajectories["focus_areas"].append(
            {
                "key": area.key,
                "name_da": area.name_da,
                "name_en": area.name_en,
                "municipalities": [
                    {"code": c, "name": municipality_names.get(c, c), "start": s.isoformat(), "wave": g}
                    for c, (s, g) in sorted(per_area[area.pk].items())
                ],
                "event_time": lmm_means(mine, "event"),
                "before": before,
                "after": after,
                "change": change,
            }
        )
        step("trajectory: focus areas")
    result["trajectories"] = trajectories

    # The intervention estimate: the first focus area taken up, then each area.
    did_rows = answers.select("wave", "municipality", "belief")
    designs = 1 + len(areas)
    progress("difference-in-differences", 0.6)
    did: dict[str, Any] = {
        "first": did_estimate(
            did_rows, {c: g for c, (_, g) in first_take_up.items()}, municipality_names, draws=draws, seed=seed
        )
    }
    progress("difference-in-differences", 0.6 + 0.35 / designs)
    did["focus_areas"] = []
    for i, area in enumerate(areas, start=2):
        estimate = did_estimate(
            did_rows, {c: g for c, (_, g) in per_area[area.pk].items()}, municipality_names, draws=draws, seed=seed
        )
        did["focus_areas"].append({"key": area.key, "name_da": area.name_da, "name_en": area.name_en, **estimate})
        progress("difference-in-differences", 0.6 + 0.35 * i / designs)
    result["did"] = did
    progress("done", 1.0)
    return result
