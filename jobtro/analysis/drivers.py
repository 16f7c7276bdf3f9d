"""What shapes belief (issue 7, point 4), from the live data: the staff questionnaire's themes and the
municipality's focus areas related to the caseworkers' general and specific belief, fitted by
:func:`jobtro.stats.drivers.analyse` (see there for the models).

What it reads: the answers in force (the latest received per wave, item variable and citizen) of the
project's waves - staff-questionnaire items (theme = key prefix, instrument_defaults.theme_of; "ved ikke"
is missing), the general items ``general_share`` and ``general_believes``, and ``specific_belief`` ("ved
ikke" left out); each caseworker's municipality and team from their caseworker membership on the day
the wave opened; and the municipality's focus-area choices in force on that day. The level models adjust
for the municipality (indicators, not reported), so a focus area's estimate rests on the change when a
municipality took it up, against the other municipalities over the same waves.

Result (JSON) - every number with its n, every estimate with its 95 % CI:

```
{"themes": [{"key", "label_da", "label_en", "items": [item keys], "alpha": float|null,
             "mean": float, "sd": float}],            # mean/sd of the raw 1-5 score (the z-score's scale)
 "covariates": [{"key": "focus_<area key>", "focus_area", "name_da", "name_en"}],
 "n": {"caseworkers", "caseworker_waves", "specific_answers", "citizens", "waves": [wave numbers]},
 "models": [{"outcome": "general_share"|"general_believes"|"specific_belief",
             "design": "levels"|"changes",
             "unit": "percentage points"|"scale steps",  # of the estimates, per SD of the factor
             "n": {"rows", "caseworkers", "citizens"|null},
             "variances": {"caseworker", "citizen"?, "residual"} | {},
             "converged": bool, "reason": str|null,     # reason set (and estimates empty) when not fitted,
             "reason_code": "too_few"|"no_change"|null,
             "estimates": [{"name", "kind": "theme"|"focus_area", "estimate", "se",
                            "ci_low", "ci_high", "p"}]}],
 "summaries": [{"theme", "wave", "mean", "ci_low", "ci_high", "n"}],   # raw 1-5 mean over caseworkers
 "breakdown": [{"level": "municipality"|"team", "id", "name", "municipality", "wave", "theme",
                "mean", "ci_low"|null, "ci_high"|null, "n"}],          # unsuppressed: researchers only
 "background": [{"key", "text_da", "text_en", "n",
                 "counts": [{"value", "label_da", "label_en", "n"}]}]}  # each caseworker's latest answer
```
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
import polars as pl
import scipy.stats

from jobtro.analysis.dataset import frame_of
from jobtro.analysis.runs import AnalysisError
from jobtro.measurement.instrument_defaults import BACKGROUND_PREFIX, THEME_LABELS, THEMES, theme_of
from jobtro.organisation.models import Project
from jobtro.stats import drivers as stats_drivers

GENERAL_SHARE = "general_share"
GENERAL_BELIEVES = "general_believes"
SPECIFIC_BELIEF = "specific_belief"


def _answers(project: Project) -> pl.DataFrame:
    """The answers in force: the latest received per (wave, item key, caseworker, citizen)."""
    from jobtro.measurement.models import Answer

    rows = (
        Answer.objects.filter(wave__project=project)
        .order_by()
        .values_list(
            "caseworker_id", "citizen_id", "wave__number", "item__key", "item__scope", "value", "dont_know",
            "received_at", "pk",
        )
    )  # fmt: skip
    frame = frame_of(
        rows,
        {
            "caseworker_id": pl.Int64,
            "citizen_id": pl.Int64,
            "wave": pl.Int64,
            "key": pl.String,
            "scope": pl.String,
            "value": pl.Int64,
            "dont_know": pl.Boolean,
            "received_at": pl.Datetime("us", "UTC"),
            "pk": pl.Int64,
        },
    )
    return frame.sort("received_at", "pk").unique(
        ["wave", "key", "caseworker_id", "citizen_id"], keep="last", maintain_order=True
    )


def _where(project: Project) -> tuple[dict[tuple[int, int], tuple[str, int | None]], dict[int, date]]:
    """(caseworker, wave) -> (municipality code, team id) from the caseworker membership on the day the
    wave opened (else the caseworker's latest one), and wave number -> opening day."""
    from jobtro.organisation.models import Membership, Role

    opens = dict(project.waves.values_list("number", "opens_on"))
    memberships: dict[int, list[tuple[date, date | None, str, int | None]]] = defaultdict(list)
    for staff_id, start, end, code, unit in (
        Membership.objects.filter(role=Role.CASEWORKER, municipality__isnull=False)
        .order_by("start", "pk")
        .values_list("staff_id", "start", "end", "municipality_id", "unit_id")
    ):
        memberships[staff_id].append((start, end, code, unit))
    where: dict[tuple[int, int], tuple[str, int | None]] = {}
    for staff_id, spans in memberships.items():
        for number, day in opens.items():
            active = [s for s in spans if s[0] <= day and (s[1] is None or s[1] > day)]
            where[(staff_id, number)] = (active or spans)[-1][2:]
    return where, opens


def _focus_covariates(
    project: Project,
    keys: list[tuple[int, int]],
    where: dict[tuple[int, int], tuple[str, int | None]],
    opens: dict[int, date],
) -> tuple[pl.DataFrame | None, list[dict[str, Any]]]:
    """One 0/1 column per focus area: the caseworker's municipality had taken it up when the wave opened."""
    from jobtro.collaboration.models import FocusAreaChoice

    choices = list(FocusAreaChoice.objects.filter(project=project).select_related("focus_area"))
    if not choices:
        return None, []
    areas = {c.focus_area.key: c.focus_area for c in choices}
    names = sorted(areas, key=lambda k: (areas[k].position, k))
    rows = []
    for caseworker, wave in keys:
        code = where.get((caseworker, wave), ("", None))[0]
        day = opens.get(wave)
        row: list[Any] = [caseworker, wave]
        for key in names:
            taken = any(
                c.focus_area.key == key
                and c.municipality_id == code
                and day is not None
                and c.start <= day
                and (c.end is None or c.end > day)
                for c in choices
            )
            row.append(float(taken))
        rows.append(row)
    frame = pl.DataFrame(rows, schema=["caseworker_id", "wave", *[f"focus_{k}" for k in names]], orient="row")
    described = [
        {"key": f"focus_{k}", "focus_area": k, "name_da": areas[k].name_da, "name_en": areas[k].name_en} for k in names
    ]
    return frame, described


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _mean_ci(values: list[float]) -> tuple[float, float | None, float | None]:
    mean = float(np.mean(values))
    if len(values) < 2:
        return mean, None, None
    half = float(scipy.stats.t.ppf(0.975, len(values) - 1) * np.std(values, ddof=1) / math.sqrt(len(values)))
    return mean, mean - half, mean + half


def _breakdown(
    scores: pl.DataFrame, themes: list[str], where: dict[tuple[int, int], tuple[str, int | None]]
) -> list[dict[str, Any]]:
    from jobtro.organisation.models import Municipality, Unit

    municipality_names = dict(Municipality.objects.values_list("code", "name"))
    unit_names = dict(Unit.objects.values_list("pk", "name"))
    groups: dict[tuple[str, Any, str, int, str], list[float]] = defaultdict(list)
    for row in scores.iter_rows(named=True):
        code, unit = where.get((row["caseworker_id"], row["wave"]), (None, None))
        if code is None:
            continue
        for theme in themes:
            if row[theme] is None:
                continue
            groups[("municipality", code, code, row["wave"], theme)].append(row[theme])
            if unit is not None:
                groups[("team", unit, code, row["wave"], theme)].append(row[theme])
    out = []
    for (level, ident, code, wave, theme), values in sorted(groups.items(), key=lambda kv: str(kv[0])):
        mean, low, high = _mean_ci(values)
        name = municipality_names.get(ident, ident) if level == "municipality" else unit_names.get(ident, str(ident))
        out.append(
            {
                "level": level,
                "id": ident,
                "name": name,
                "municipality": code,
                "wave": wave,
                "theme": theme,
                "mean": mean,
                "ci_low": _finite(low),
                "ci_high": _finite(high),
                "n": len(values),
            }
        )
    return out


def _background(project: Project, answers: pl.DataFrame) -> list[dict[str, Any]]:
    from jobtro.measurement.models import Item

    rows = answers.filter(pl.col("key").str.starts_with(BACKGROUND_PREFIX) & ~pl.col("dont_know"))
    latest = rows.sort("wave", "received_at", "pk").unique(["key", "caseworker_id"], keep="last")
    out = []
    for key in sorted(set(latest["key"].to_list())):
        item = Item.objects.filter(key=key, version__waves__project=project).order_by("-version__number").first()
        if item is None:
            continue
        counts = latest.filter(pl.col("key") == key)["value"].value_counts()
        by_value = dict(zip(counts["value"].to_list(), counts["count"].to_list(), strict=True))
        out.append(
            {
                "key": key,
                "text_da": item.text_da,
                "text_en": item.text_en,
                "n": int(sum(by_value.values())),
                "counts": [
                    {
                        "value": int(o["value"]),
                        "label_da": o["label_da"],
                        "label_en": o["label_en"],
                        "n": int(by_value.get(int(o["value"]), 0)),
                    }
                    for o in item.options
                ],
            }
        )
    return out


def compute(project: Project, spec: dict[str, Any], progress: Callable[[str, float], None]) -> dict[str, Any]:
    """The drivers analysis of the project's live data (schema in the module docstring)."""
    progress("reading answers", 0.05)
    answers = _answers(project)
    staff = (
        answers.filter(pl.col("scope") == "staff")
        .with_columns(pl.col("key").map_elements(theme_of, return_dtype=pl.String).alias("theme"))
        .filter(pl.col("theme").is_not_null())
        .select(
            "caseworker_id",
            "wave",
            "theme",
            pl.col("key").alias("item"),
            pl.when(pl.col("dont_know")).then(None).otherwise(pl.col("value")).alias("value"),
        )
    )
    if staff.filter(pl.col("value").is_not_null()).is_empty():
        raise AnalysisError("Ingen har endnu besvaret personaleskemaet, så der er intet at analysere.")
    general_rows = answers.filter(pl.col("key").is_in([GENERAL_SHARE, GENERAL_BELIEVES]) & ~pl.col("dont_know"))
    general = (
        general_rows.pivot(on="key", index=["caseworker_id", "wave"], values="value", aggregate_function="first")
        if not general_rows.is_empty()
        else pl.DataFrame(schema={"caseworker_id": pl.Int64, "wave": pl.Int64})
    )
    for key in (GENERAL_SHARE, GENERAL_BELIEVES):
        if key not in general.columns:
            general = general.with_columns(pl.lit(None, dtype=pl.Int64).alias(key))
    general = general.rename({GENERAL_SHARE: "share_pct", GENERAL_BELIEVES: "believes"})
    specific = answers.filter((pl.col("key") == SPECIFIC_BELIEF) & ~pl.col("dont_know")).select(
        "caseworker_id", "citizen_id", "wave", pl.col("value").alias("belief")
    )

    progress("organisation and focus areas", 0.2)
    where, opens = _where(project)
    keys = sorted(set(staff.select("caseworker_id", "wave").unique().iter_rows()))
    covariates, described = _focus_covariates(project, keys, where, opens)
    # Municipality indicators (adjusted for, not reported): a focus area's estimate then rests on the
    # change when a municipality took it up, and the themes are compared within municipalities.
    codes = sorted({where[k][0] for k in keys if k in where})
    adjust = [f"municipality_{c}" for c in codes] if len(codes) > 1 else []
    if adjust:
        municipal = pl.DataFrame(
            [[c, w, *[float(where.get((c, w), ("", None))[0] == code) for code in codes]] for c, w in keys],
            schema=["caseworker_id", "wave", *adjust],
            orient="row",
        )
        covariates = municipal if covariates is None else covariates.join(municipal, on=["caseworker_id", "wave"])

    progress("fitting the models", 0.35)
    themes = [t for t in THEMES if t in set(staff["theme"].to_list())]
    if staff["caseworker_id"].n_unique() < stats_drivers.MIN_CASEWORKERS:
        raise AnalysisError(
            f"Kun {staff['caseworker_id'].n_unique()} medarbejdere har besvaret personaleskemaet; analysen kræver "
            f"mindst {stats_drivers.MIN_CASEWORKERS}."
        )
    result = stats_drivers.analyse(staff, general, specific, themes=themes, covariates=covariates, adjust=adjust)

    progress("summarising", 0.9)
    raw = stats_drivers.theme_scores(staff, list(result.themes))
    kinds = {c: "focus_area" for c in result.covariates}
    units = {"general_share": "percentage points", "general_believes": "percentage points"}
    models = [
        {
            "outcome": m.outcome,
            "design": m.design,
            "unit": units.get(m.outcome, "scale steps"),
            "n": {"rows": m.n_rows, "caseworkers": m.n_caseworkers, "citizens": m.n_citizens},
            "variances": {k: _finite(v) for k, v in m.variances.items()},
            "converged": m.converged,
            "reason": m.reason,
            "reason_code": None
            if m.reason is None
            else "no_change"
            if m.reason.startswith("no caseworker")
            else "too_few",
            "estimates": [
                {
                    "name": e.name,
                    "kind": kinds.get(e.name, "theme"),
                    "estimate": _finite(e.estimate),
                    "se": _finite(e.se),
                    "ci_low": _finite(e.ci_low),
                    "ci_high": _finite(e.ci_high),
                    "p": _finite(e.p),
                }
                for e in m.estimates
            ],
        }
        for m in result.models
    ]
    items_of: dict[str, list[str]] = defaultdict(list)
    for theme, item in staff.select("theme", "item").unique().sort("item").iter_rows():
        items_of[theme].append(item)
    complete = raw.drop_nulls()
    return {
        "themes": [
            {
                "key": t,
                "label_da": THEME_LABELS.get(t, (t, t))[0],
                "label_en": THEME_LABELS.get(t, (t, t))[1],
                "items": items_of[t],
                "alpha": _finite(result.alphas.get(t)),
                "mean": _finite(result.standardisation[t][0]),
                "sd": _finite(result.standardisation[t][1]),
            }
            for t in result.themes
        ],
        "covariates": [d for d in described if d["key"] in result.covariates],
        "n": {
            "caseworkers": staff["caseworker_id"].n_unique(),
            "caseworker_waves": complete.height,
            "specific_answers": specific.height,
            "citizens": specific["citizen_id"].n_unique(),
            "waves": sorted(staff["wave"].unique().to_list()),
        },
        "models": models,
        "summaries": [
            {"theme": s.theme, "wave": s.wave, "mean": s.mean, "ci_low": s.ci_low, "ci_high": s.ci_high, "n": s.n}
            for s in result.summaries
        ],
        "breakdown": _breakdown(raw, list(result.themes), where),
        "background": _background(project, answers),
    }
