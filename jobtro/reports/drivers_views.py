"""The page "What shapes belief?" (/insight/drivers/): the stored ``drivers`` analysis
(jobtro.analysis.drivers) as forest plots and tables.

Who sees what (jobtro.organisation.access, ``can_view_drivers`` and ``sees_driver_breakdown``):
researchers see everything, including the theme means per municipality and team and the background of
the caseworkers; team leaders and key persons see the project-level estimates and theme means only, and
only those resting on at least the disclosure threshold of caseworkers ("for få til at vise").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from jobtro.organisation import access
from jobtro.organisation.models import current_project
from jobtro.reports import disclosure
from jobtro.reports import plots as plotting
from jobtro.reports.numbers import danish as _danish
from jobtro.reports.numbers import integer as _int
from jobtro.reports.numbers import num as _num
from jobtro.reports.results_common import Row, Table, run_context


def _ci(low: float | None, high: float | None, digits: int = 2) -> str:
    return f"{_num(low, digits)} {_('to')} {_num(high, digits)}"


def _too_few() -> str:
    return _("too few to show")


@dataclass
class Section:
    key: str
    title: str
    intro: str
    table: Table
    plot: Any = None
    moved: list[str] = field(default_factory=list)  # factors whose changes went with belief's
    notes: list[str] = field(default_factory=list)


def _outcome_title(outcome: str) -> str:
    return {
        "general_share": _("General belief: the share of own citizens expected to get a job or education"),
        "general_believes": _("General belief: answering yes to believing in the citizens' job chances"),
        "specific_belief": _("Specific belief in each citizen (1-5)"),
    }.get(outcome, outcome)


def _unit(outcome: str) -> str:
    return _("percentage points") if outcome.startswith("general") else _("steps on the 1-5 scale")


def _labels(result: dict[str, Any], *, short: bool = False) -> dict[str, str]:
    """Row labels by factor name; ``short`` ones for plot rows (long labels squeeze the plot's axes)."""
    danish = _danish()
    labels = {t["key"]: t["label_da"] if danish else t["label_en"] for t in result.get("themes", [])}
    for c in result.get("covariates", []):
        name = c["name_da"] if danish else c["name_en"]
        labels[c["key"]] = (
            _short(_("Focus: %(name)s") % {"name": name}) if short else _("Focus area: %(name)s") % {"name": name}
        )
    return labels


def _plot_title(outcome: str) -> str:
    return {
        "general_share": _("General belief (share)"),
        "general_believes": _("General belief (yes/no)"),
        "specific_belief": _("Specific belief"),
    }.get(outcome, outcome)


def _short(label: str, limit: int = 32) -> str:
    """A plot row's label: long ones (a focus area's name) squeeze the plot's axes to nothing."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _section(
    outcome: str,
    models: dict[tuple[str, str], dict[str, Any]],
    labels: dict[str, str],
    short: dict[str, str],
    user: Any,
) -> Section:
    levels = models.get((outcome, "levels"))
    changes = models.get((outcome, "changes"))
    unit = _unit(outcome)
    table = Table(
        _outcome_title(outcome),
        [_("Factor"), _("Level: estimate (95 % CI)"), _("Change: estimate (95 % CI)")],
        note=_("Estimates in %(unit)s per standard deviation of the factor.") % {"unit": unit},
    )
    shown = {
        design: model is not None
        and model.get("reason") is None
        and disclosure.shows_statistic(user, int(model["n"]["caseworkers"]))
        for design, model in (("levels", levels), ("changes", changes))
    }
    by_name: dict[str, dict[str, dict[str, Any]]] = {}
    for design, model in (("levels", levels), ("changes", changes)):
        for e in (model or {}).get("estimates", []):
            by_name.setdefault(e["name"], {})[design] = e
    moved = []
    for name, found in by_name.items():
        cells = []
        for design in ("levels", "changes"):
            e = found.get(design)
            model = levels if design == "levels" else changes
            if not shown[design]:
                cells.append("–" if model is None or model.get("reason") else _too_few())
            elif e is None or e["estimate"] is None:
                cells.append("–")
            else:
                cells.append(f"{_num(e['estimate'])} ({_ci(e['ci_low'], e['ci_high'])})")
        change = found.get("changes")
        clear = change is not None and change["ci_low"] is not None and (change["ci_low"] > 0 or change["ci_high"] < 0)
        if shown["changes"] and clear:
            moved.append(labels.get(name, name))
        table.rows.append(Row(labels.get(name, name), cells))
    notes = []
    for design, model in (("levels", levels), ("changes", changes)):
        if model is None:
            continue
        what = _("Level") if design == "levels" else _("Change")
        if model.get("reason_code") == "no_change":
            notes.append(
                _("%(what)s: not estimated, since no caseworker changed this answer between waves.") % {"what": what}
            )
        elif model.get("reason"):
            notes.append(_("%(what)s: not estimated (too few answers).") % {"what": what})
        elif not shown[design]:
            notes.append(_("%(what)s: too few caseworkers to show.") % {"what": what})
        else:
            n = model["n"]
            if n.get("citizens"):
                notes.append(
                    _("%(what)s: n = %(rows)s answers about %(citizens)s citizens from %(caseworkers)s caseworkers.")
                    % {
                        "what": what,
                        "rows": _int(n["rows"]),
                        "citizens": _int(n["citizens"]),
                        "caseworkers": _int(n["caseworkers"]),
                    }
                )
            elif design == "changes":
                notes.append(
                    _("%(what)s: n = %(rows)s changes between waves from %(caseworkers)s caseworkers.")
                    % {"what": what, "rows": _int(n["rows"]), "caseworkers": _int(n["caseworkers"])}
                )
            else:
                notes.append(
                    _("%(what)s: n = %(rows)s answers from %(caseworkers)s caseworkers.")
                    % {"what": what, "rows": _int(n["rows"]), "caseworkers": _int(n["caseworkers"])}
                )
    plot = None
    if levels is not None and shown["levels"] and levels.get("estimates"):
        rows = [
            plotting.ForestRow(
                short.get(e["name"], e["name"]),
                float(e["estimate"]),
                float(e["ci_low"]),
                float(e["ci_high"]),
            )
            for e in levels["estimates"]
            if e["estimate"] is not None
        ]
        significant = [
            labels.get(e["name"], e["name"])
            for e in levels["estimates"]
            if e["ci_low"] is not None and (e["ci_low"] > 0 or e["ci_high"] < 0)
        ]
        alt = _("Estimates with 95 %% confidence intervals per standard deviation of each factor, in %(unit)s.") % {
            "unit": unit
        }
        if significant:
            alt += " " + _("Intervals that do not include 0: %(factors)s.") % {"factors": ", ".join(significant)}
        else:
            alt += " " + _("Every interval includes 0.")
        plot = plotting.forest(
            rows,
            title=_plot_title(outcome),
            xlabel=_("Difference in %(unit)s per standard deviation") % {"unit": unit},
            alt=alt,
            reference=0.0,
            log=False,
            decimal="," if _danish() else ".",
        )
    intro = _(
        "Level: how belief differs between caseworkers and waves with a higher score on the factor, all factors "
        "together and the waves taken into account. Change: when a caseworker's score on the factor rose from one "
        "wave to the next, how their belief changed."
    )
    return Section(outcome, _outcome_title(outcome), intro, table, plot, moved, notes)


def _summary_table(result: dict[str, Any], labels: dict[str, str], user: Any, waves: dict[int, str]) -> Table:
    numbers = sorted({s["wave"] for s in result.get("summaries", [])})
    table = Table(
        _("Mean score per theme and wave (1 = strongly disagree, 5 = strongly agree)"),
        [_("Theme"), *[waves.get(w, str(w)) for w in numbers]],
        note=_("Mean over the caseworkers (95 % CI; n caseworkers)."),
    )
    cells = {(s["theme"], s["wave"]): s for s in result.get("summaries", [])}
    for theme in result.get("themes", []):
        row = []
        for w in numbers:
            s = cells.get((theme["key"], w))
            if s is None:
                row.append("–")
            elif not disclosure.shows_statistic(user, int(s["n"])):
                row.append(_too_few())
            else:
                row.append(f"{_num(s['mean'])} ({_ci(s['ci_low'], s['ci_high'])}; n = {_int(s['n'])})")
        table.rows.append(Row(labels.get(theme["key"], theme["key"]), row))
    return table


def _breakdown_tables(result: dict[str, Any], labels: dict[str, str], waves: dict[int, str]) -> list[Table]:
    """Researchers only: the theme means in the latest wave per municipality and per team."""
    rows = result.get("breakdown", [])
    if not rows:
        return []
    latest = max(r["wave"] for r in rows)
    themes = [t["key"] for t in result.get("themes", [])]
    tables = []
    for level, caption in (
        ("municipality", _("Mean score per municipality in %(wave)s")),
        ("team", _("Mean score per team in %(wave)s")),
    ):
        chosen = [r for r in rows if r["level"] == level and r["wave"] == latest]
        groups: dict[tuple[str, Any], dict[str, dict[str, Any]]] = {}
        for r in chosen:
            groups.setdefault((r["municipality"], r["name"]), {})[r["theme"]] = r
        table = Table(
            caption % {"wave": waves.get(latest, str(latest))},
            [_("Unit"), *[labels.get(t, t) for t in themes]],
            note=_("Mean (95 % CI; n caseworkers). Shown unsuppressed to researchers only."),
        )
        for (code, name), by_theme in sorted(groups.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
            heading = name if level == "municipality" else f"{name} ({code})"
            cells = []
            for t in themes:
                r = by_theme.get(t)
                cells.append(
                    "–" if r is None else f"{_num(r['mean'])} ({_ci(r['ci_low'], r['ci_high'])}; n = {_int(r['n'])})"
                )
            table.rows.append(Row(heading, cells))
        tables.append(table)
    return tables


def _background_tables(result: dict[str, Any]) -> list[Table]:
    danish = _danish()
    tables = []
    for b in result.get("background", []):
        table = Table(b["text_da"] if danish else b["text_en"], [_("Answer"), _("Caseworkers")])
        for c in b["counts"]:
            table.rows.append(Row(c["label_da"] if danish else c["label_en"], [_int(c["n"])]))
        table.rows.append(Row(_("Total"), [_int(b["n"])]))
        tables.append(table)
    return tables


@require_GET
@login_required
def drivers(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not access.can_view_drivers(user):
        raise PermissionDenied
    researcher = access.sees_driver_breakdown(user)
    project = current_project()
    context: dict[str, Any] = {"project": project, "researcher": researcher}
    if project is None:
        return render(request, "reports/drivers/drivers.html", context)
    context.update(run_context(user, project, "drivers", researcher=researcher))
    stored = context["stored"]
    if stored is None or not isinstance(stored.result, dict):
        return render(request, "reports/drivers/drivers.html", context)
    result: dict[str, Any] = stored.result
    labels = _labels(result)
    waves = dict(project.waves.values_list("number", "name"))
    models = {(m["outcome"], m["design"]): m for m in result.get("models", [])}
    short = _labels(result, short=True)
    sections = [
        _section(outcome, models, labels, short, user)
        for outcome in ("general_share", "general_believes", "specific_belief")
    ]
    context.update(
        result=result,
        n=result["n"],
        sections=sections,
        summary=_summary_table(result, labels, user, waves),
        breakdown=_breakdown_tables(result, labels, waves) if researcher else [],
        background=_background_tables(result) if researcher else [],
        themes=[
            {
                "label": labels.get(t["key"], t["key"]),
                "items": len(t["items"]),
                "alpha": _num(t["alpha"]) if t["alpha"] is not None else "–",
            }
            for t in result.get("themes", [])
        ],
    )
    return render(request, "reports/drivers/drivers.html", context)
