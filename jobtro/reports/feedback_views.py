"""Expectation feedback for caseworkers (their own past answers against what happened, computed live per
request) and the researchers' calibration page (a stored ``calibration`` analysis).

Who sees what is decided in jobtro.organisation.access: ``can_view_own_feedback`` and
``feedback_answers`` (a caseworker's own specific-belief answers only), ``can_view_calibration``
(researchers). The feedback shows aggregates of the caseworker's own citizens, never a name, and the
project's pooled shares under disclosure control (jobtro.reports.feedback); no colleague's numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET

from jobtro.analysis.calibration_live import DONT_KNOW
from jobtro.analysis.dataset import latest_build
from jobtro.organisation import access
from jobtro.organisation.models import current_project
from jobtro.reports import disclosure, plots
from jobtro.reports import feedback as data
from jobtro.reports.feedback import Feedback, Share
from jobtro.reports.numbers import danish as _danish


def _pct(value: float) -> str:
    return f"{round(100 * value)}\u00a0%"


def _range(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return ""
    return f"{round(100 * low)}\u2013{round(100 * high)}\u00a0%"


def _interval(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return ""
    return gettext("95 %% interval %(range)s") % {"range": _range(low, high)}


def _within(weeks: float, horizon: int) -> str:
    """How long the share covers, in words: a year, the horizon in weeks, or the follow-up so far."""
    if weeks >= horizon:
        return gettext("within a year") if horizon == 52 else gettext("within %(weeks)s weeks") % {"weeks": horizon}
    return gettext("within the first %(weeks)s weeks (as long as they have been followed so far)") % {
        "weeks": int(weeks)
    }


def _people(share: Share) -> str:
    citizens = ngettext("%(count)s citizen", "%(count)s citizens", share.citizens) % {"count": share.citizens}
    if share.answers == share.citizens:
        return citizens
    return ngettext("%(count)s answer about %(citizens)s", "%(count)s answers about %(citizens)s", share.answers) % {
        "count": share.answers,
        "citizens": citizens,
    }


@dataclass(frozen=True)
class FeedbackRow:
    level: int
    label: str
    own: Share
    project: Share
    own_text: str  # "23 %" or "for få borgere endnu"
    own_range: str
    own_people: str
    project_text: str
    project_range: str
    project_people: str
    sentence: str


def _rows(result: Feedback, labels: dict[int, str]) -> list[FeedbackRow]:
    rows = []
    too_few_own = gettext("too few citizens yet")
    too_few = gettext("too few to show")
    for level in result.levels:
        own, pooled = level.own, level.project
        label = labels.get(level.level, str(level.level))
        if own.answers == 0:
            sentence = ""
        elif own.shown and own.share is not None:
            values = {
                "label": label,
                "share": _pct(own.share),
                "within": _within(own.followed, result.horizon_weeks),
                "range": _range(own.ci_low, own.ci_high),
                "people": _people(own),
            }
            if level.level == DONT_KNOW:
                sentence = (
                    gettext(
                        "Of the citizens you answered \u201c%(label)s\u201d about, %(share)s got a job or education "
                        "%(within)s (95 %% interval %(range)s, %(people)s)."
                    )
                    % values
                )
            else:
                sentence = (
                    gettext(
                        "Of the citizens you rated \u201c%(label)s\u201d, %(share)s got a job or education %(within)s "
                        "(95 %% interval %(range)s, %(people)s)."
                    )
                    % values
                )
        else:
            sentence = gettext("Citizens you rated \u201c%(label)s\u201d: too few citizens yet (%(people)s).") % {
                "label": label,
                "people": _people(own),
            }
        if sentence and pooled.shown and pooled.share is not None:
            sentence += " " + gettext("Across the project: %(share)s (95 %% interval %(range)s).") % {
                "share": _pct(pooled.share),
                "range": _range(pooled.ci_low, pooled.ci_high),
            }
        rows.append(
            FeedbackRow(
                level=level.level,
                label=label,
                own=own,
                project=pooled,
                own_text=(_pct(own.share) if own.shown and own.share is not None else too_few_own)
                if own.answers
                else "\u2013",
                own_range=_interval(own.ci_low, own.ci_high) if own.shown else "",
                own_people=_people(own) if own.answers else "",
                project_text=(_pct(pooled.share) if pooled.shown and pooled.share is not None else too_few)
                if pooled.answers
                else "\u2013",
                project_range=_interval(pooled.ci_low, pooled.ci_high) if pooled.shown else "",
                project_people=_people(pooled) if pooled.shown else "",
                sentence=sentence,
            )
        )
    return rows


def _feedback_plot(rows: list[FeedbackRow]) -> plots.Plot | None:
    """Bars of the own shares per level with their intervals; levels with too few citizens say so."""
    shown = [r for r in rows if r.own.answers]
    if not any(r.own.shown for r in shown):
        return None
    nan = math.nan
    title = gettext("Your citizens in job or education, by your belief")
    parts = [f"{r.label} {r.own_text} ({r.own_range})" if r.own.shown else f"{r.label}: {r.own_text}" for r in shown]
    alt = gettext("Share of the citizens you rated who got a job or education: %(parts)s.") % {
        "parts": "; ".join(parts)
    }
    return plots.bars(
        [r.label for r in shown],
        [r.own.share if r.own.shown and r.own.share is not None else nan for r in shown],
        low=[r.own.ci_low if r.own.ci_low is not None else nan for r in shown],
        high=[r.own.ci_high if r.own.ci_high is not None else nan for r in shown],
        notes=[r.own_people if r.own.shown else r.own_text for r in shown],
        title=title,
        ylabel=gettext("Share in job or education (95 %% interval)") % {},
        alt=alt,
        percent=True,
        decimal="," if _danish() else ".",
    )


@login_required
@require_GET
def feedback(request: HttpRequest) -> HttpResponse:
    """The caseworker's own expectation feedback, computed live (jobtro.reports.feedback)."""
    if not access.can_view_own_feedback(request.user):
        raise PermissionDenied
    project = current_project()
    context: dict[str, Any] = {"project": project, "result": None, "build": None}
    if project is not None:
        build = latest_build(project)
        context["build"] = build
        if build is not None:
            result = data.own_feedback(build, request.user, project)
            rows = _rows(result, data.level_labels(project, _danish()))
            context.update(
                result=result,
                rows=rows,
                sentences=[r.sentence for r in rows if r.sentence],
                plot=_feedback_plot(rows),
                threshold=disclosure.threshold(),
            )
    return render(request, "reports/feedback/feedback.html", context)


# --- calibration (researchers) -------------------------------------------------------------------


def _spaced_labels(bins: list[dict[str, Any]]) -> list[str]:
    """Band labels for the calibration curve, left out where a point sits close to the last labelled one
    (the table below the plot names every band)."""
    labels, last = [], None
    for b in bins:
        here = (b["predicted"], b["observed"])
        if last is not None and abs(here[0] - last[0]) < 0.09 and abs(here[1] - last[1]) < 0.06:
            labels.append("")
            continue
        labels.append(f"{b['low']}\u2013{b['high']}")
        last = here
    return labels


def _calibration_plots(result: dict[str, Any], labels: dict[int, str]) -> dict[str, plots.Plot]:
    decimal = "," if _danish() else "."
    out: dict[str, plots.Plot] = {}
    levels = result.get("levels") or []
    if levels:
        names = [labels.get(int(r["belief"]), str(r["belief"])) for r in reversed(levels)]
        rows = list(reversed(levels))

        def val(v: float | None) -> float:
            return math.nan if v is None else float(v)

        out["levels"] = plots.bars(
            names,
            [val(r["share"]) for r in rows],
            low=[val(r["ci_low"]) for r in rows],
            high=[val(r["ci_high"]) for r in rows],
            notes=[f"n = {r['n']}" for r in rows],
            title=gettext("Observed share in job or education by specific belief"),
            ylabel=gettext("Share in job or education (95 %% interval)") % {},
            alt=gettext("Observed share in job or education by belief level: %(parts)s.")
            % {
                "parts": "; ".join(
                    f"{n} {_pct(val(r['share']))} ({_range(r['ci_low'], r['ci_high'])}, n = {r['n']})"
                    for n, r in zip(names, rows, strict=True)
                    if r["share"] is not None
                )
            },
            percent=True,
            decimal=decimal,
        )
    general = result.get("general")
    if general and general.get("bins"):
        bins = [b for b in general["bins"] if b["predicted"] is not None and b["observed"] is not None]
        if bins:
            out["general"] = plots.calibration_curve(
                [b["predicted"] for b in bins],
                [b["observed"] for b in bins],
                [math.nan if b["ci_low"] is None else b["ci_low"] for b in bins],
                [math.nan if b["ci_high"] is None else b["ci_high"] for b in bins],
                _spaced_labels(bins),
                title=gettext("General share answered against the share observed"),
                xlabel=gettext("Share the caseworkers expected (mean answer in the band)"),
                ylabel=gettext("Share observed in job or education"),
                alt=gettext("Expected against observed share per band of the general-share answer: %(parts)s.")
                % {
                    "parts": "; ".join(
                        f"{b['low']}\u2013{b['high']} %: {_pct(b['predicted'])} / {_pct(b['observed'])} "
                        f"({_range(b['ci_low'], b['ci_high'])}, n = {b['n']})"
                        for b in bins
                    )
                },
                decimal=decimal,
            )
    return out


@login_required
@require_GET
def calibration(request: HttpRequest) -> HttpResponse:
    """The stored calibration analysis: shares per belief level, Brier scores and C-index, and the
    calibration curve of the general share. Researchers only."""
    if not access.can_view_calibration(request.user):
        raise PermissionDenied
    from jobtro.analysis import runs
    from jobtro.analysis.models import AnalysisResult

    project = current_project()
    # The header is built here: a literal % in a {% translate %} tag is doubled at run time, not in the catalogue.
    context: dict[str, Any] = {"project": project, "result": None, "ci_header": gettext("95 %% interval") % {}}
    if project is not None:
        stored = runs.latest(project, "calibration")
        newest = AnalysisResult.objects.filter(project=project, kind="calibration").order_by("-created", "-pk").first()
        can_run = access.can_run_analyses(request.user)
        context.update(
            stored=stored,
            stale=stored is not None and runs.is_stale(stored),
            pending=newest if newest is not None and newest.state in ("queued", "running") else None,
            failed=newest if newest is not None and newest.state == "failed" else None,
            run_url=reverse("insight:analysis_run", kwargs={"kind": "calibration"}) if can_run else None,
        )
        if stored is not None and stored.result:
            result = stored.result
            labels = data.level_labels(project, _danish())
            context.update(
                result=result,
                level_rows=[{**r, "label": labels.get(int(r["belief"]), str(r["belief"]))} for r in result["levels"]],
                dont_know_label=labels[DONT_KNOW],
                plots=_calibration_plots(result, labels),
                partial_year=(result["definition"]["evaluated_weeks"] or 0) < result["definition"]["horizon_weeks"],
            )
    return render(request, "reports/feedback/calibration.html", context)
