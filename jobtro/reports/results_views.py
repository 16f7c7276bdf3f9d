"""The stored analyses (/insight/analyses/: each kind's latest result, its state and staleness, a run
button and a page per run with its progress) and the live BIP analysis (/insight/bip/: hazard ratios
with 95 % CIs and n, the share of caseworkers who do not believe, and what it means in plain words).

Who sees what (jobtro.organisation.access): the analyses pages are the researchers'; the BIP page is for
researchers, team leaders and key persons - the project's rows and, per municipality and focus area,
the municipalities of ``bip_municipalities``. Outside the researcher role a statistic computed from
fewer than the disclosure threshold of persons is not shown (jobtro.reports.disclosure).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from jobtro.analysis import runs
from jobtro.analysis.models import AnalysisResult
from jobtro.measurement.instrument_defaults import SCALE_OPTIONS
from jobtro.organisation import access
from jobtro.organisation.models import Staff, current_project
from jobtro.reports import disclosure
from jobtro.reports import plots as plotting
from jobtro.reports.numbers import danish as _danish
from jobtro.reports.numbers import decimal_mark as _decimal
from jobtro.reports.numbers import integer as _int
from jobtro.reports.numbers import num as _num
from jobtro.reports.numbers import pct as _pct
from jobtro.reports.results_common import Row, Table, run_context

# The page that shows each kind's result.
RESULT_PAGES = {
    "bip": "insight:bip",
    "belief": "insight:belief",
    "drivers": "insight:drivers",
    "calibration": "insight:calibration",
}
REFRESH_SECONDS = 3


# --------------------------------------------------------------------------------------------------
# The stored analyses


@dataclass
class KindRow:
    kind: str
    title: str
    available: bool
    latest: AnalysisResult | None  # the newest run, whatever its state
    done: AnalysisResult | None  # the newest finished result
    stale: bool
    n: str
    page: str | None


def _n_text(result: AnalysisResult | None) -> str:
    """The n a result rests on, as one short line (each kind stores its own counts under "n")."""
    if result is None or not isinstance(result.result, dict):
        return "–"
    n = result.result.get("n")
    if isinstance(n, dict):
        labels = {
            "rows": _("rows"),
            "citizens": _("citizens"),
            "events": _("events"),
            "caseworkers": _("caseworkers"),
            "answers": _("answers"),
            "municipalities": _("municipalities"),
            "measurements": _("measurements"),
        }
        # Only the counts with a name in the UI's language; each kind's page shows the rest.
        return (
            ", ".join(
                f"{_int(v)} {labels[k]}"
                for k, v in n.items()
                if k in labels and isinstance(v, int) and not isinstance(v, bool)
            )
            or "–"
        )
    if isinstance(n, int):
        return _int(n)
    return "–"


@login_required
@require_GET
def analyses(request: HttpRequest) -> HttpResponse:
    if not access.can_view_analyses(request.user):
        raise PermissionDenied
    project = current_project()
    context: dict[str, Any] = {"project": project, "can_run": access.can_run_analyses(request.user)}
    if project is None:
        return render(request, "reports/results/analyses.html", context)
    fingerprint, inputs = runs.data_fingerprint(project)
    available = set(runs.available_kinds())
    rows = []
    for kind, title in AnalysisResult.Kind.choices:
        latest = AnalysisResult.objects.filter(project=project, kind=kind).order_by("-created", "-pk").first()
        done = runs.latest(project, kind)
        rows.append(
            KindRow(
                kind=kind,
                title=str(title),
                available=kind in available,
                latest=latest,
                done=done,
                stale=done is not None and runs.is_stale(done, fingerprint=fingerprint),
                n=_n_text(done),
                page=reverse(RESULT_PAGES[kind]) if kind in RESULT_PAGES else None,
            )
        )
    recent = AnalysisResult.objects.filter(project=project).select_related("requested_by")[:20]
    context.update({"rows": rows, "recent": recent, "inputs": inputs})
    return render(request, "reports/results/analyses.html", context)


@login_required
@require_POST
def analysis_run(request: HttpRequest, kind: str) -> HttpResponse:
    """Queue a new run of the analysis for the task worker; back to where the button was, or to the run."""
    user = request.user
    if not access.can_run_analyses(user):
        raise PermissionDenied
    assert isinstance(user, Staff)
    project = current_project()
    if project is None or kind not in runs.COMPUTE or kind not in runs.available_kinds():
        raise Http404
    result = runs.request(project, kind, user=user)
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect("insight:analysis_detail", result.pk)


@login_required
@require_GET
def analysis_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not access.can_view_analyses(request.user):
        raise PermissionDenied
    project = current_project()
    result = get_object_or_404(AnalysisResult.objects.select_related("requested_by", "project"), pk=pk)
    if project is None or result.project_id != project.pk:
        raise Http404
    running = not result.is_finished
    who = result.requested_by
    context = {
        "who": (who.get_full_name() or who.get_username()) if who is not None else _("the system"),
        "result": result,
        "running": running,
        "refresh": REFRESH_SECONDS if running else None,
        "percent": round(100 * result.progress),
        "stale": result.state == AnalysisResult.State.DONE and runs.is_stale(result),
        "n": _n_text(result),
        "page": reverse(RESULT_PAGES[result.kind]) if result.kind in RESULT_PAGES else None,
        "can_run": access.can_run_analyses(request.user) and result.kind in runs.available_kinds(),
        "inputs": _inputs_rows(result.inputs),
        "versions": sorted((result.versions or {}).items()),
    }
    return render(request, "reports/results/detail.html", context)


def _inputs_rows(inputs: dict[str, Any]) -> list[tuple[str, str]]:
    """The fingerprint's inputs as readable (heading, value) rows."""
    labels = {
        "spell_build": _("Spell build"),
        "answers": _("Answers"),
        "assignments": _("Caseworker assignments"),
        "citizens": _("Citizens"),
        "focus_area_choices": _("Focus area choices"),
        "outcome_imports": _("Outcome imports"),
    }
    rows = []
    for key, value in (inputs or {}).items():
        if isinstance(value, dict):
            text = ", ".join(f"{k}: {v}" for k, v in value.items() if v is not None)
        elif isinstance(value, list):
            text = _int(len(value))
        else:
            text = "–" if value is None else str(value)
        rows.append((labels.get(key, key), text or "–"))
    return rows


# --------------------------------------------------------------------------------------------------
# The BIP page


def _effect_label(name: str, reference: str = "") -> str:
    labels = {
        "belief": _("Specific belief, one step up (of 5)"),
        "general": _("Caseworker generally believes"),
        "changed": _("After a caseworker change"),
        "age": _("Age, per year"),
        "female": _("Female"),
        "log2_prior": _("Prior time on benefit, doubled"),
    }
    return labels.get(name, name)


def _level_labels() -> dict[int, str]:
    key = "label_da" if _danish() else "label_en"
    return {int(o["value"]): str(o[key]) for o in SCALE_OPTIONS}


def _hr(effect: dict[str, Any]) -> str:
    if effect.get("hr") is None:
        return "–"
    return _num(effect["hr"])


def _ci(item: dict[str, Any], *, percent: bool = False) -> str:
    low, high = item.get("ci_low"), item.get("ci_high")
    if low is None or high is None:
        return "–"
    if percent:
        return f"{_pct(low)}–{_pct(high)}"
    return f"{_num(low)}–{_num(high)}"


def _p(effect: dict[str, Any]) -> str:
    p = effect.get("p")
    if p is None:
        return "–"
    return "< 0,001" if p < 0.001 and _danish() else "< 0.001" if p < 0.001 else _num(p, 3)


class _Viewer:
    def __init__(self, request: HttpRequest) -> None:
        self.user = request.user
        self.researcher = access.aggregates_unsuppressed(request.user)
        self.threshold = disclosure.threshold()

    def shows(self, n: int | None) -> bool:
        return n is not None and disclosure.shows_statistic(self.user, n)

    def shows_fit(self, n: dict[str, int]) -> bool:
        """A fit's numbers: from at least the threshold of citizens and of events (persons who got a job)."""
        return self.shows(n.get("citizens")) and self.shows(n.get("events"))

    def count(self, value: int | None) -> str:
        """A count of persons as published: small counts are "< threshold" outside the researcher role."""
        if value is None:
            return "–"
        cell = disclosure.total_for(self.user, value)
        return _int(cell.value) if cell.value is not None else f"< {self.threshold}"

    def n_text(self, n: dict[str, int]) -> str:
        return f"{self.count(n.get('citizens'))}, {self.count(n.get('events'))}"


def _too_few() -> str:
    return _("too few to show")


def _effects_table(viewer: _Viewer, caption: str, effects: list[dict[str, Any]], n: dict[str, int]) -> Table:
    table = Table(caption, [_("Effect"), _("Hazard ratio"), _("95 % CI"), _("p"), _("n (citizens, events)")])
    shown = viewer.shows_fit(n)
    n_text = viewer.n_text(n)
    for effect in effects:
        label = _effect_label(effect["name"])
        if not shown:
            table.rows.append(Row(label, [_too_few(), "", "", n_text]))
        elif effect.get("hr") is None:
            table.rows.append(Row(label, [_("not estimated"), "", "", n_text]))
        else:
            table.rows.append(Row(label, [_hr(effect), _ci(effect), _p(effect), n_text]))
    return table


def _forest(plots: Any, title: str, rows: list[tuple[str, dict[str, Any], str]], alt_intro: str) -> Any:
    entries = [
        plots.ForestRow(label=label, estimate=e["hr"], low=e["ci_low"], high=e["ci_high"], note=note)
        for label, e, note in rows
        if e.get("hr") is not None and e.get("ci_low") is not None and e.get("ci_high") is not None
    ]
    if not entries:
        return None
    alt = alt_intro + " " + "; ".join(f"{r.label}: {_num(r.estimate)} ({_num(r.low)}–{_num(r.high)})" for r in entries)
    return plots.forest(entries, title=title, xlabel=_("Hazard ratio (log scale)"), alt=alt, decimal=_decimal())


def _meaning(result: dict[str, Any], viewer: _Viewer) -> tuple[list[str], Table, list[Any]]:
    """What the hazard ratios mean: implied vs observed shares per belief level, in words and a table."""
    levels = _level_labels()
    weeks = int(result["definition"].get("share_weeks") or 52)
    fit_shown = viewer.shows_fit(result["n"])
    implied = {int(i["belief"]): i for i in result.get("implied", [])} if fit_shown else {}
    observed = {int(o["belief"]): o for o in result.get("observed", [])}
    table = Table(
        _("Share in job or education within %(weeks)s weeks, by specific belief") % {"weeks": weeks},
        [_("Specific belief"), _("Implied by the model (95 % CI)"), _("Observed (95 % CI)"), _("n (citizens)")],
        note=_(
            "Implied: a citizen with average characteristics and the belief shown (Cox model with the Breslow "
            "baseline; 95 % CI by the delta method). Observed: Kaplan-Meier from each citizen's first answer, "
            "grouped by that answer."
        ),
    )
    for level in (5, 4, 3, 2, 1):
        i, o = implied.get(level), observed.get(level)
        n = o.get("n") if o else None
        shown_o = o is not None and o.get("share") is not None and viewer.shows(n)
        table.rows.append(
            Row(
                f"{level} · {levels.get(level, str(level))}",
                [
                    f"{_pct(i['share'])} ({_ci(i, percent=True)})"
                    if i and i.get("share") is not None
                    else "–"
                    if fit_shown
                    else _too_few(),
                    (f"{_pct(o['share'])} ({_ci(o, percent=True)})" if shown_o and o else _too_few() if o else "–"),
                    viewer.count(n),
                ],
            )
        )
    words: list[str] = []
    low, high = implied.get(1), implied.get(5)
    effects = {e["name"]: e for e in result.get("effects", [])}
    belief = effects.get("belief", {})
    if low and high and low.get("share") is not None and high.get("share") is not None:
        words.append(
            _(
                "For a citizen with average characteristics, the model implies that %(high)s get a job or "
                "education within %(weeks)s weeks when the caseworker answers “%(high_label)s”, against "
                "%(low)s when the caseworker answers “%(low_label)s”."
            )
            % {
                "high": _pct(high["share"], 0),
                "low": _pct(low["share"], 0),
                "weeks": weeks,
                "high_label": levels.get(5, "5"),
                "low_label": levels.get(1, "1"),
            }
        )
    if belief.get("hr") is not None and fit_shown:
        words.append(
            _(
                "One step up on the five-step belief goes with a %(change)s higher chance per week of getting a "
                "job or education (hazard ratio %(hr)s, 95 %% CI %(ci)s), for citizens who are otherwise alike."
            )
            % {"change": _pct(belief["hr"] - 1, 0), "hr": _num(belief["hr"]), "ci": _ci(belief)}
        )
    if weeks < 52:
        words.append(
            _("The data do not yet follow anyone for a whole year, so the shares are for the first %(weeks)s weeks.")
            % {"weeks": weeks}
        )
    words.append(
        _(
            "The observed shares differ more between the belief levels than the implied ones: caseworkers "
            "believe more in citizens who also for other reasons (age, time on benefit) are closer to a job. "
            "The implied shares compare citizens who are alike in those respects."
        )
    )
    plots: list[Any] = []
    curves = [
        plotting.Band(
            label=f"{c['belief']} · {levels.get(int(c['belief']), '')} (n = {viewer.count(int(c['n']))})",
            x=c["time"],
            y=[v if v is not None else float("nan") for v in c["share"]],
            low=[v if v is not None else float("nan") for v in c["low"]],
            high=[v if v is not None else float("nan") for v in c["high"]],
        )
        for c in result.get("km", [])
        if viewer.shows(int(c["n"]))
    ]
    if curves:
        shares = "; ".join(
            f"{levels.get(int(o['belief']), o['belief'])}: {_pct(o['share'])}"
            for o in result.get("observed", [])
            if o.get("share") is not None and viewer.shows(o.get("n"))
        )
        plots.append(
            plotting.km_curves(
                curves,
                title=_("Share in job or education since the first answer, by specific belief"),
                xlabel=_("Weeks since the first answer"),
                ylabel=_("In job or education"),
                alt=_("Kaplan-Meier curves with 95 %% bands. Within %(weeks)s weeks: %(shares)s.")
                % {"weeks": weeks, "shares": shares},
                ordered=True,
                decimal=_decimal(),
            )
        )
    bars = [(level, implied[level]) for level in (1, 2, 3, 4, 5) if implied.get(level, {}).get("share") is not None]
    if bars:
        plots.append(
            plotting.bars(
                [f"{level} · {levels.get(level, '')}" for level, _i in bars],
                [i["share"] for _l, i in bars],
                low=[i["ci_low"] for _l, i in bars],
                high=[i["ci_high"] for _l, i in bars],
                title=_("Implied share in job or education within %(weeks)s weeks") % {"weeks": weeks},
                ylabel=_("Share"),
                alt=_("Model-implied shares for a citizen with average characteristics: %(shares)s.")
                % {"shares": "; ".join(f"{level}: {_pct(i['share'])}" for level, i in bars)},
                percent=True,
                decimal=_decimal(),
            )
        )
    return words, table, plots


@dataclass
class Section:
    title: str
    tables: list[Table] = field(default_factory=list)
    plots: list[Any] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _municipalities(result: dict[str, Any], viewer: _Viewer, codes: set[str]) -> Section:
    section = Section(_("Per municipality"))
    shown = [m for m in result.get("municipalities", []) if m["code"] in codes]
    if not shown:
        section.notes.append(_("No municipality of yours is in the analysis."))
        return section
    forest_rows: list[tuple[str, dict[str, Any], str]] = []
    for m in shown:
        table = _effects_table(viewer, m["name"], m["effects"], m["n"])
        if m.get("reason"):
            table.note = _("Not estimated: too few job or education events in the municipality.")
        elif m.get("few_caseworkers"):
            table.note = _(
                "Few caseworkers (%(n)s): the confidence intervals rest on few clusters and may be too narrow."
            ) % {"n": viewer.count(m["n"].get("caseworkers"))}
        section.tables.append(table)
        belief = next((e for e in m["effects"] if e["name"] == "belief"), None)
        if belief is not None and viewer.shows_fit(m["n"]):
            forest_rows.append((m["name"], belief, f"n = {viewer.count(m['n'].get('citizens'))}"))
    if forest_rows:
        plot = _forest(
            plotting,
            _("Specific belief, one step up, per municipality"),
            forest_rows,
            _("Hazard ratios with 95 % CIs per municipality:"),
        )
        if plot is not None:
            section.plots.append(plot)
    return section


def _focus_areas(result: dict[str, Any], viewer: _Viewer, codes: set[str]) -> Section:
    section = Section(_("Before and after a focus area was taken up"))
    choices = [c for c in result.get("focus_areas", []) if c["municipality"] in codes]
    if not choices:
        section.notes.append(_("No focus area has been taken up in your municipalities."))
        return section
    section.notes.append(
        _(
            "The same model on the municipality's person-time before and after the day it took up the focus "
            "area. Other things changed over the same months, so a difference is not proof that the focus "
            "area caused it."
        )
    )
    english = not _danish()
    for c in choices:
        area = c.get("focus_area_en") if english and c.get("focus_area_en") else c["focus_area"]
        table = Table(
            _("%(municipality)s: %(area)s (from %(day)s)")
            % {
                "municipality": c["municipality_name"],
                "area": area,
                "day": date_format(date.fromisoformat(c["taken_up"]), "SHORT_DATE_FORMAT"),
            },
            [_("Effect"), _("Before: HR (95 % CI)"), _("After: HR (95 % CI)")],
        )
        sides = [c.get("before"), c.get("after")]
        for name in ("belief", "general", "changed"):
            cells = []
            for side in sides:
                if side is None:
                    cells.append(_("no data"))
                    continue
                effect: dict[str, Any] = next((e for e in side["effects"] if e["name"] == name), {})
                if not viewer.shows_fit(side["n"]):
                    cells.append(_too_few())
                elif effect.get("hr") is None:
                    cells.append(_("not estimated"))
                else:
                    cells.append(f"{_hr(effect)} ({_ci(effect)})")
            table.rows.append(Row(_effect_label(name), cells))
        n_cells = ["–" if side is None else viewer.n_text(side["n"]) for side in sides]
        table.rows.append(Row(_("n (citizens, events)"), n_cells))
        section.tables.append(table)
    return section


@login_required
@require_GET
def bip(request: HttpRequest) -> HttpResponse:
    if not access.can_view_bip(request.user):
        raise PermissionDenied
    viewer = _Viewer(request)
    project = current_project()
    context: dict[str, Any] = {"project": project, "researcher": viewer.researcher}
    if project is None:
        return render(request, "reports/results/bip.html", context)
    context.update(run_context(request.user, project, "bip", researcher=viewer.researcher))
    stored = context["stored"]
    if stored is None or not isinstance(stored.result, dict):
        return render(request, "reports/results/bip.html", context)
    result: dict[str, Any] = stored.result
    n = result["n"]
    effects_table = _effects_table(viewer, _("The project"), result["effects"], n)
    controls = Table(
        _("Controls"),
        [_("Control"), _("Hazard ratio"), _("95 % CI"), _("p")],
        note=_("Target groups are compared with %(group)s.") % {"group": result.get("reference_group", "")},
    )
    for control in result.get("controls", []):
        name = control["name"]
        label = (
            _("Target group: %(group)s") % {"group": control["label"].split(": ", 1)[-1]}
            if name.startswith("group_")
            else _effect_label(name)
        )
        shown = viewer.shows_fit(n)
        controls.rows.append(Row(label, [_hr(control), _ci(control), _p(control)] if shown else [_too_few(), "", ""]))
    not_believing = result.get("not_believing")
    believing_text = None
    if not_believing and viewer.shows(not_believing.get("n")):
        believing_text = _(
            "%(share)s of the caseworkers (95 %% CI %(ci)s; n = %(n)s) answered No to “Do you generally believe "
            "that your citizens can get a job within a year?” in %(wave)s."
        ) % {
            "share": _pct(not_believing["share"], 0),
            "ci": _ci(not_believing, percent=True),
            "n": _int(not_believing["n"]),
            "wave": not_believing.get("wave", ""),
        }
    words, meaning, meaning_plots = _meaning(result, viewer)
    plots: list[Any] = []
    if viewer.shows_fit(n):
        plot = _forest(
            plotting,
            _("Hazard ratios for getting a job or education"),
            [(_effect_label(e["name"]), e, "") for e in result["effects"]],
            _("Hazard ratios with 95 % CIs:"),
        )
        if plot is not None:
            plots.append(plot)
    codes = access.bip_municipalities(request.user)
    notes = []
    if "no_prior_weeks" in result.get("notes", []):
        notes.append(_("No citizen has prior weeks on benefit recorded, so the model does not control for it."))
    dropped = result.get("dropped", {})
    context.update(
        {
            "result": result,
            "n": n,
            "effects_table": effects_table,
            "controls": controls,
            "effect_plots": plots,
            "believing_text": believing_text,
            "words": words,
            "meaning": meaning,
            "meaning_plots": meaning_plots,
            "sections": [_municipalities(result, viewer, codes), _focus_areas(result, viewer, codes)],
            "notes": notes,
            "dropped_dont_know": dropped.get("dont_know", 0),
            "dropped_general": dropped.get("no_general_belief", 0),
            "share_weeks": result["definition"].get("share_weeks"),
        }
    )
    return render(request, "reports/results/bip.html", context)
