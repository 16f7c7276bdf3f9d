r"""The BIP analysis from the live data: does the caseworker's belief predict the citizen's time to job or
education? Hazard ratios with 95 % CIs for one step of specific belief, a generally-believing caseworker
and a caseworker change (population-average: Cox, Efron ties, standard errors robust to clustering by
caseworker), the share of caseworkers who do not believe, and what the hazard ratios mean in plain
numbers - for the project, each municipality, and before/after each municipality took up a focus area.
The dataset is :func:`jobtro.analysis.dataset.bip_dataset`.

Result (JSON, stored by jobtro.analysis.runs)
---------------------------------------------
``definition``
    ``k``, ``n``, ``horizon_weeks`` (the spell build's), ``spell_build`` (its id) and ``share_weeks``:
    the weeks the one-year shares refer to - 52, or the longest follow-up when the data do not reach a
    year yet (the shares then say so).
``n``
    ``rows``, ``citizens``, ``events``, ``caseworkers`` of the fit; ``dropped`` counts left-out rows.
``effects``, ``controls``
    ``name``, ``label`` (controls), ``hr``, ``ci_low``, ``ci_high``, ``p``; null with a ``reason`` when
    the data cannot estimate it.
``not_believing``
    The share of caseworkers answering "Nej" to the general item in the latest closed wave that has
    answers, with its Wilson 95 % CI, ``n`` and the wave.
``implied``
    Per belief level 1..5: :math:`1 - S_0(T)^{\exp(\eta)}` with :math:`\eta` the linear predictor at the
    mean covariates of the rows but the belief set to the level, :math:`S_0` the Breslow baseline and
    :math:`T` = ``share_weeks``. The 95 % CI is the delta method on :math:`\log H(T \mid x)` with the
    Tsiatis variance of the Breslow estimator and the cluster-robust coefficient covariance
    (:math:`\operatorname{Var}\hat H = \hat H^2 (\sum_k d_k/S_k^2)/H_0^2 + \dots`, as survfit.coxph).
``observed``, ``km``
    Kaplan-Meier curves of the cumulative share in job or education from each citizen's first answer
    with a belief, grouped by that belief (Greenwood, log intervals), and their value at ``share_weeks``.
``municipalities``, ``focus_areas``
    The same fit on a municipality's rows, and on its person-time before and after it took up a focus
    area (split at the take-up date); skipped with a reason below :data:`MIN_EVENTS` events.
``within`` (only with ``spec = {"within": true}``)
    The within-caseworker fit (shared gamma frailty per caseworker): theta, whether it converged, effects.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import polars as pl
from django.utils import timezone

from jobtro.analysis.dataset import EFFECTS, EPOCH, BipDataset, DatasetError, bip_dataset, describe, general_answers
from jobtro.analysis.runs import AnalysisError
from jobtro.organisation.models import Project
from jobtro.stats.bip import LABELS
from jobtro.stats.cox import CoxResult, fit_cox
from jobtro.stats.trends import Z95, wilson_interval

MIN_EVENTS: Final = 20  # fewer events than this: the fit's numbers would say nothing
# Fewer caseworkers than this: the cluster-robust standard errors rest on too few clusters and tend to be
# too small; the result says so (a municipality has 7-30 caseworkers).
FEW_CLUSTERS: Final = 20
MAX_CURVE_POINTS: Final = 60
LEVELS: Final = (1, 2, 3, 4, 5)
YEAR_WEEKS: Final = 52

FloatArray = npt.NDArray[np.float64]
Progress = Callable[[str, float], None]


def _f(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _label(name: str, groups: Sequence[str]) -> str:
    if name.startswith("group_"):
        return f"target group: {groups[int(name.split('_')[1])]}"
    return LABELS.get(name, name)


def _fit(rows: pl.DataFrame, covariates: Sequence[str]) -> CoxResult:
    return fit_cox(rows, time="stop", event="event", start="start", x=list(covariates), cluster="caseworker_id")


def _usable(rows: pl.DataFrame, covariates: Sequence[str]) -> list[str]:
    """The covariates that vary in these rows (a municipality's caseworkers may all answer alike)."""
    return [c for c in covariates if rows.height and rows[c].n_unique() > 1]


def _rows_of(fit: CoxResult, groups: Sequence[str]) -> dict[str, dict[str, Any]]:
    ci, p = fit.conf_int(), fit.pvalues()
    return {
        name: {
            "name": name,
            "label": _label(name, groups),
            "hr": _f(math.exp(fit.params[i])),
            "ci_low": _f(ci[i, 0]),
            "ci_high": _f(ci[i, 1]),
            "p": _f(p[i]),
        }
        for i, name in enumerate(fit.names)
    }


def _missing(name: str, groups: Sequence[str], reason: str) -> dict[str, Any]:
    return {"name": name, "label": _label(name, groups), "hr": None, "ci_low": None, "ci_high": None, "p": None,
            "reason": reason}  # fmt: skip


def _effects(
    rows: pl.DataFrame, data: BipDataset
) -> tuple[CoxResult | None, list[dict[str, Any]], list[dict[str, Any]], str]:
    """Fit on ``rows``; the effects and controls (null with a reason when they cannot be estimated)."""
    events = int(rows["event"].sum()) if rows.height else 0
    if events < MIN_EVENTS:
        reason = f"too few events ({events}; at least {MIN_EVENTS} needed)"
        return None, [_missing(n, data.groups, reason) for n in EFFECTS], [], reason
    covariates = _usable(rows, data.covariates)
    try:
        fit = _fit(rows, covariates)
    except (ValueError, np.linalg.LinAlgError) as exc:
        reason = f"the model cannot be fitted ({exc})"
        return None, [_missing(n, data.groups, reason) for n in EFFECTS], [], reason
    by_name = _rows_of(fit, data.groups)
    effects = [
        {k: v for k, v in by_name[n].items() if k != "label"}
        if n in by_name
        else _missing(n, data.groups, "does not vary in these data")
        for n in EFFECTS
    ]
    controls = [by_name[n] for n in fit.names if n not in EFFECTS]
    if not fit.converged:
        for effect in effects:
            effect["note"] = "the fit did not converge"
    return fit, effects, controls, ""


# --------------------------------------------------------------------------------------------------
# What the hazard ratios mean: implied shares from the Breslow baseline


def _implied(fit: CoxResult, rows: pl.DataFrame, weeks: int) -> list[dict[str, Any]]:
    """Model-implied share in job or education within ``weeks`` per belief level, at the rows' mean
    covariates (delta method on log H; see the module docstring)."""
    names = list(fit.names)
    X = rows.select(names).to_numpy().astype(np.float64)
    mean = X.mean(axis=0)
    Xc = X - mean
    beta = np.asarray(fit.params, dtype=np.float64)
    r = np.exp(Xc @ beta)
    start = rows["start"].to_numpy().astype(np.int64)
    stop = rows["stop"].to_numpy().astype(np.int64)
    event = rows["event"].to_numpy().astype(bool)
    # Integer event times 1..weeks: the risk set of time t is the rows with start < t <= stop. Sums by a
    # difference array over times (no loop over rows).
    size = weeks + 2
    first = np.clip(start + 1, 0, size - 1)
    last = np.clip(stop + 1, 0, size - 1)  # one past the last time the row is at risk for
    sum_r = np.zeros(size)
    np.add.at(sum_r, first, r)
    np.add.at(sum_r, last, -r)
    sum_r = np.cumsum(sum_r)
    sum_rx = np.zeros((size, len(names)))
    np.add.at(sum_rx, first, r[:, None] * Xc)
    np.add.at(sum_rx, last, -(r[:, None] * Xc))
    sum_rx = np.cumsum(sum_rx, axis=0)
    deaths = np.bincount(stop[event], minlength=size)[:size].astype(np.float64)
    times = np.arange(1, weeks + 1)
    d, S, Sx = deaths[times], sum_r[times], sum_rx[times]
    ok = S > 0
    d, S, Sx = d[ok], S[ok], Sx[ok]
    h0 = float(np.sum(d / S))  # Breslow cumulative baseline hazard at `weeks`, at the mean covariates
    var_h0_part = float(np.sum(d / S**2))
    mean_x = Sx / S[:, None]  # risk-set means (centred scale), per event time
    cov = fit.robust_cov if fit.robust_cov is not None else fit.cov
    out = []
    belief = names.index("belief")
    for level in LEVELS:
        x = np.zeros(len(names))
        x[belief] = (level - 3) - mean[belief]
        risk = math.exp(float(x @ beta))
        H = h0 * risk
        q = np.sum((d / S)[:, None] * (x[None, :] - mean_x), axis=0)  # d H0(t|x)/d beta / risk
        var_H = risk**2 * (var_h0_part + float(q @ cov @ q))
        se_log = math.sqrt(var_H) / H if H > 0 else math.inf
        low_H, high_H = H * math.exp(-Z95 * se_log), H * math.exp(Z95 * se_log)
        out.append(
            {
                "belief": level,
                "share": _f(1 - math.exp(-H)),
                "ci_low": _f(1 - math.exp(-low_H)),
                "ci_high": _f(1 - math.exp(-high_H)),
            }
        )
    return out


# --------------------------------------------------------------------------------------------------
# Observed: Kaplan-Meier by belief level


def _thin(n: int, limit: int = MAX_CURVE_POINTS) -> npt.NDArray[np.intp]:
    if n <= limit:
        return np.arange(n)
    picked = np.unique(np.round(np.linspace(0, n - 1, limit)).astype(np.intp))
    return picked


def _observed(spells: pl.DataFrame, weeks: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from jobtro.stats.km import kaplan_meier

    observed: list[dict[str, Any]] = []
    curves: list[dict[str, Any]] = []
    if spells.height == 0 or int(spells["event"].sum()) == 0:
        return observed, curves
    fit = kaplan_meier(spells, duration="time", event="event", group="belief")
    at = fit.survival_at([weeks])
    sizes = dict(spells.group_by("belief").len().iter_rows())
    for level in LEVELS:
        n = int(sizes.get(level, 0))
        if n == 0:
            continue
        table = fit.table.filter(pl.col("group") == level)
        point = at.filter(pl.col("group") == level)
        if point.height:
            s, lo, hi = point["survival"][0], point["lower"][0], point["upper"][0]
            observed.append(
                {
                    "belief": level,
                    "share": None if s is None else _f(1 - s),
                    "ci_low": None if hi is None else _f(1 - hi),
                    "ci_high": None if lo is None else _f(1 - lo),
                    "n": n,
                }
            )
        else:
            observed.append({"belief": level, "share": None, "ci_low": None, "ci_high": None, "n": n,
                             "reason": "followed for less than the horizon"})  # fmt: skip
        keep = _thin(table.height)
        time = table["time"].to_numpy()[keep]
        survival = table["survival"].to_numpy()[keep]
        lower = table["lower"].fill_null(np.nan).to_numpy()[keep]
        upper = table["upper"].fill_null(np.nan).to_numpy()[keep]
        curves.append(
            {
                "belief": level,
                "n": n,
                "time": [0.0, *(float(t) for t in time)],
                "share": [0.0, *(_f(1 - s) for s in survival)],
                "low": [0.0, *(_f(1 - u) for u in upper)],
                "high": [0.0, *(_f(1 - lo) for lo in lower)],
            }
        )
    return observed, curves


# --------------------------------------------------------------------------------------------------
# The share of caseworkers who do not believe


def _not_believing(project: Project) -> dict[str, Any] | None:
    from jobtro.measurement.models import Wave

    answers = general_answers(project)
    today = timezone.localdate()
    closed = list(
        Wave.objects.filter(project=project, closes_on__lt=today).order_by("-number").values_list("number", "name")
    )
    for number, name in closed:
        wave = answers.filter(pl.col("wave") == number)
        if wave.height:
            n = wave.height
            no = int((wave["general"] == 0).sum())
            low, high = wilson_interval(no, n)
            return {"share": no / n, "ci_low": low, "ci_high": high, "n": n, "no": no, "wave": name,
                    "wave_number": number}  # fmt: skip
    return None


# --------------------------------------------------------------------------------------------------
# Before and after a focus area was taken up


def _split(rows: pl.DataFrame, cut_week: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The person-time of ``rows`` before and after calendar week ``cut_week`` (rows in weeks since the
    first measurement, calendar week = week0 + time): a row across the cut is split into two, the event
    staying with the part that holds its week."""
    local_cut = pl.lit(cut_week) - pl.col("week0")
    before = rows.filter(pl.col("start") < local_cut).with_columns(
        pl.when(pl.col("stop") > local_cut).then(0).otherwise(pl.col("event")).cast(pl.Int8).alias("event"),
        pl.min_horizontal("stop", local_cut).alias("stop"),
    )
    after = rows.filter(pl.col("stop") > local_cut).with_columns(
        pl.max_horizontal("start", local_cut).alias("start"),
    )
    return before, after


def _week_of(day: date) -> int:
    return (day - EPOCH).days // 7


def _side(rows: pl.DataFrame, data: BipDataset) -> dict[str, Any] | None:
    if rows.height == 0:
        return None
    _, effects, _, reason = _effects(rows, data)
    side: dict[str, Any] = {"n": data.counts(rows), "effects": effects}
    if reason:
        side["reason"] = reason
    return side


def _focus_areas(project: Project, data: BipDataset, progress: Callable[[float], None]) -> list[dict[str, Any]]:
    from jobtro.collaboration.models import FocusAreaChoice

    choices = list(
        FocusAreaChoice.objects.filter(project=project)
        .select_related("municipality", "focus_area")
        .order_by("municipality_id", "start", "pk")
    )
    out = []
    for i, choice in enumerate(choices):
        rows = data.rows.filter(pl.col("municipality") == choice.municipality_id)
        before, after = _split(rows, _week_of(choice.start))
        out.append(
            {
                "municipality": choice.municipality_id,
                "municipality_name": choice.municipality.name,
                "focus_area": choice.focus_area.name_da,
                "focus_area_en": choice.focus_area.name_en,
                "taken_up": choice.start.isoformat(),
                "before": _side(before, data),
                "after": _side(after, data),
            }
        )
        progress((i + 1) / max(1, len(choices)))
    return out


# --------------------------------------------------------------------------------------------------


def _within(data: BipDataset) -> dict[str, Any]:
    from jobtro.stats.frailty import fit_cox_frailty

    fit = fit_cox_frailty(
        data.rows, time="stop", event="event", start="start", x=data.covariates, group="caseworker_id", outer_max=30
    )
    ci = fit.conf_int()
    effects = [
        {"name": name, "hr": _f(math.exp(fit.params[i])), "ci_low": _f(ci[i, 0]), "ci_high": _f(ci[i, 1])}
        for i, name in enumerate(fit.names)
        if name in EFFECTS
    ]
    return {"theta": _f(fit.theta), "converged": bool(fit.converged), "effects": effects}


def compute(project: Project, spec: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """The live BIP analysis of the project (see the module docstring for the result)."""
    progress("dataset", 0.0)
    try:
        data = bip_dataset(project)
    except DatasetError as exc:
        raise AnalysisError(str(exc)) from None
    counts = data.counts()
    if counts["events"] < MIN_EVENTS:
        raise AnalysisError(f"too few job or education events to fit the model ({counts['events']})")
    progress("fit", 0.15)
    fit, effects, controls, reason = _effects(data.rows, data)
    if fit is None:
        raise AnalysisError(reason)
    # The shares refer to a year when the data reach it, else to the longest follow-up so far.
    longest = int(data.rows["stop"].max())  # type: ignore[arg-type]
    weeks = min(YEAR_WEEKS, longest)
    progress("shares", 0.3)
    result: dict[str, Any] = {
        **describe(data),
        "notes": data.notes,
        "effects": effects,
        "controls": controls,
        "reference_group": data.groups[0] if data.groups else "",
        "not_believing": _not_believing(project),
        "implied": _implied(fit, data.rows, weeks),
    }
    result["definition"]["share_weeks"] = weeks
    progress("curves", 0.4)
    result["observed"], result["km"] = _observed(data.spells, weeks)
    progress("municipalities", 0.5)
    from jobtro.organisation.models import Municipality

    names = dict(Municipality.objects.filter(code__in=data.rows["municipality"].unique().to_list()).values_list(
        "code", "name"
    ))  # fmt: skip
    municipalities = []
    for code in sorted(names):
        rows = data.rows.filter(pl.col("municipality") == code)
        m_fit, m_effects, _, m_reason = _effects(rows, data)
        entry: dict[str, Any] = {
            "code": code,
            "name": names[code],
            "n": data.counts(rows),
            "effects": m_effects,
            "implied": [] if m_fit is None or "belief" not in m_fit.names else _implied(m_fit, rows, weeks),
        }
        if m_reason:
            entry["reason"] = m_reason
        elif entry["n"]["caseworkers"] < FEW_CLUSTERS:
            entry["few_caseworkers"] = True
        municipalities.append(entry)
    result["municipalities"] = municipalities
    progress("focus_areas", 0.7)
    result["focus_areas"] = _focus_areas(project, data, lambda f: progress("focus_areas", 0.7 + 0.2 * f))
    if spec.get("within"):
        progress("within", 0.9)
        try:
            result["within"] = _within(data)
        except (ValueError, np.linalg.LinAlgError) as exc:
            result["within"] = {"reason": f"the within-caseworker model cannot be fitted ({exc})"}
    progress("done", 1.0)
    return result
