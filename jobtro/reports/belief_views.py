"""The page "Has belief moved?" (/insight/belief/): the stored ``belief`` analysis
(jobtro.analysis.belief_live) as tables and plots, with disclosure control outside the researcher role.

Who sees what (jobtro.organisation.access, ``can_view_belief_trends`` and ``belief_trend_scope``):
researchers see every municipality and team, small groups included; key persons and team leaders see
the project, their own municipality and its teams. For them counts go through disclosure control
(jobtro.reports.disclosure and the two-way ``suppress_table`` over the municipalities, so the project's
totals cannot reveal another municipality's small cell), and a mean or share is shown only when it rests
on at least the threshold of caseworkers and of citizens; otherwise "too few to show".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from jobtro.lib.disclosure import Cell
from jobtro.measurement.instrument_defaults import SCALE_OPTIONS
from jobtro.organisation import access
from jobtro.organisation.models import current_project
from jobtro.reports import disclosure, plots
from jobtro.reports.numbers import danish as _danish
from jobtro.reports.numbers import decimal_mark as _decimal
from jobtro.reports.numbers import integer as _int
from jobtro.reports.numbers import num as _num
from jobtro.reports.numbers import pct as _pct
from jobtro.reports.results_common import run_context

# A mean difference on the 1-5 scale lies within +-4: an interval bound beyond that says only "unbounded".
SCALE_SPAN = 4.0


def _bound(value: float | None, unbounded: bool, low: bool) -> str:
    if unbounded or value is None or abs(value) > SCALE_SPAN:
        return f"< −{_num(SCALE_SPAN, 0)}" if low else f"> {_num(SCALE_SPAN, 0)}"
    return _num(value)


def _ci(low: float | None, high: float | None) -> str:
    return f"{_num(low)} {_('to')} {_num(high)}"


@dataclass
class Table:
    """A table as shown: a caption, column headings and rows of (row heading, cells)."""

    caption: str
    columns: list[str]
    rows: list[tuple[str, list[str]]] = field(default_factory=list)
    note: str = ""


@dataclass
class Block:
    """A heading with its tables and plots."""

    title: str
    tables: list[Table] = field(default_factory=list)
    plots: list[Any] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _Viewer:
    """What the person may see: researcher (unsuppressed) or a scope of municipalities with thresholds."""

    def __init__(self, request: HttpRequest) -> None:
        self.user = request.user
        self.researcher = access.aggregates_unsuppressed(request.user)
        self.scope = access.belief_trend_scope(request.user)
        self.threshold = disclosure.threshold()

    def shows_point(self, point: dict[str, Any] | None) -> bool:
        """A mean resting on fewer than the threshold of caseworkers or citizens is the researchers'."""
        if point is None or point.get("mean") is None:
            return False
        return disclosure.shows_statistic(self.user, point["caseworkers"]) and disclosure.shows_statistic(
            self.user, point["citizens"]
        )


def _category_labels() -> list[str]:
    key = "label_da" if _danish() else "label_en"
    by_value = {int(o["value"]): str(o[key]) for o in SCALE_OPTIONS}
    return [by_value.get(v, str(v)) for v in (1, 2, 3, 4, 5)] + [_("Don't know")]


def _point_text(point: dict[str, Any]) -> str:
    return f"{_num(point['mean'])} ({_ci(point['ci_low'], point['ci_high'])}); n = {_int(point['n'])}"


# --------------------------------------------------------------------------------------------------
# Distribution of specific belief, with disclosure control


def _published_distribution(
    viewer: _Viewer, result: dict[str, Any], codes: list[str]
) -> tuple[list[list[Cell]], list[Cell], dict[str, tuple[list[list[Cell]], list[Cell]]]]:
    """Per wave: the project's cells (5 levels + don't know) and n, and for each shown municipality the
    same. Each wave's municipality x category table is suppressed as a whole (reports.disclosure.table_for),
    so what is published - the project row (the column totals) and the own rows - reveals no small cell,
    not even by subtracting the own municipality from the project."""
    by_code = {m["code"]: m["waves"] for m in result["distribution"]["municipalities"]}
    all_codes = sorted(by_code)
    project_cells: list[list[Cell]] = []
    project_n: list[Cell] = []
    own: dict[str, tuple[list[list[Cell]], list[Cell]]] = {c: ([], []) for c in codes}
    for w in range(len(result["distribution"]["project"])):
        matrix = [[*by_code[c][w]["counts"], by_code[c][w]["dont_know"]] for c in all_codes]
        table = disclosure.table_for(viewer.user, matrix)
        project_cells.append(list(table.column_totals))
        project_n.append(table.total)
        for code in codes:
            i = all_codes.index(code)
            own[code][0].append(list(table.cells[i]))
            own[code][1].append(table.row_totals[i])
    return project_cells, project_n, own


def _distribution_block(viewer: _Viewer, result: dict[str, Any], waves: list[str], names: dict[str, str]) -> Block:
    codes = [c for c in sorted(names) if c in viewer.scope]
    project_cells, project_n, own = _published_distribution(viewer, result, codes)
    labels = _category_labels()
    block = Block(_("Specific belief in each wave"))
    block.notes.append(
        _(
            "How the caseworkers answered “Do you believe the citizen will get a job or start an education within "
            "the next year?”, one answer per citizen and wave. “Don't know” is counted here but left out of the "
            "means below."
        )
    )
    groups = [(_("The project"), project_cells, project_n)] + [(names[c], own[c][0], own[c][1]) for c in codes]
    for title, cells, totals in groups:
        table = Table(title, [_("Wave"), *labels, "n"])
        complete = True
        for w, wave in enumerate(waves):
            shown = [_int(c.value) if not c.suppressed else _("too few") for c in cells[w]]
            complete = complete and not any(c.suppressed for c in cells[w]) and not totals[w].suppressed
            table.rows.append((wave, [*shown, _int(totals[w].value) if not totals[w].suppressed else _("too few")]))
        block.tables.append(table)
        if not complete:
            table.note = _("The figure is left out because some counts are too small to show; see the table.")
            continue
        counts = [[int(c.value or 0) for c in cells[w]] for w in range(len(waves))]
        first, last = counts[0], counts[-1]
        alt = _(
            "%(group)s: the share answering yes (certainly or probably) went from %(first)s in %(w1)s to %(last)s "
            "in %(w2)s."
        ) % {
            "group": title,
            "first": _pct((first[3] + first[4]) / max(1, sum(first[:5]))),
            "w1": waves[0],
            "last": _pct((last[3] + last[4]) / max(1, sum(last[:5]))),
            "w2": waves[-1],
        }
        block.plots.append(
            plots.belief_distribution(
                labels, waves, counts, title=_("Specific belief: %(group)s") % {"group": title}, alt=alt,
                decimal=_decimal(),
            )
        )  # fmt: skip
    return block


# --------------------------------------------------------------------------------------------------
# Trajectories


def _trajectory_row(viewer: _Viewer, label: str, trajectory: dict[str, Any], wave_numbers: list[int]) -> list[str]:
    by_wave = {p["wave"]: p for p in trajectory.get("points", [])}
    cells = []
    for number in wave_numbers:
        point = by_wave.get(number)
        if point is None:
            cells.append("–")
        elif viewer.shows_point(point):
            cells.append(_point_text(point))
        else:
            cells.append(_("too few to show"))
    return cells


def _bands(viewer: _Viewer, series: Sequence[tuple[str, dict[str, Any]]], wave_numbers: list[int]) -> list[Any]:
    bands = []
    for label, trajectory in series:
        position = {n: i for i, n in enumerate(wave_numbers)}
        points = [p for p in trajectory.get("points", []) if viewer.shows_point(p) and p["wave"] in position]
        if not points:
            continue
        bands.append(
            plots.Band(
                label=label,
                x=[float(position[p["wave"]]) for p in points],
                y=[p["mean"] for p in points],
                low=[p["ci_low"] for p in points],
                high=[p["ci_high"] for p in points],
                n=[p["n"] for p in points],
            )
        )
    return bands


def _trajectory_alt(label: str, trajectory: dict[str, Any], viewer: _Viewer, waves: dict[int, str]) -> str:
    points = [p for p in trajectory.get("points", []) if viewer.shows_point(p)]
    if not points:
        return ""
    first, last = points[0], points[-1]
    return _(
        "%(group)s: mean specific belief %(first)s (95 %% CI %(first_ci)s) in %(w1)s and %(last)s (%(last_ci)s) in "
        "%(w2)s, on a scale from 1 (certainly not) to 5 (certainly)."
    ) % {
        "group": label,
        "first": _num(first["mean"]),
        "first_ci": _ci(first["ci_low"], first["ci_high"]),
        "w1": waves[first["wave"]],
        "last": _num(last["mean"]),
        "last_ci": _ci(last["ci_low"], last["ci_high"]),
        "w2": waves[last["wave"]],
    }


def _wave_names(result: dict[str, Any], waves: list[str]) -> dict[int, str]:
    """Each analysed wave's name by its number, in the analysis's order."""
    return dict(zip([w["number"] for w in result["waves"]], waves, strict=True))


def _trajectory_block(viewer: _Viewer, result: dict[str, Any], waves: list[str], names: dict[str, str]) -> Block:
    wave_names = _wave_names(result, waves)
    numbers = list(wave_names)
    block = Block(_("Mean specific belief over the waves"))
    block.notes.append(
        _(
            "Means on the scale from 1 (certainly not) to 5 (certainly) with 95 % CIs (confidence intervals) from a "
            "mixed model that takes into account that the same caseworkers and citizens are rated in several waves. "
            "n is the number of answers."
        )
    )
    trajectories = result["trajectories"]
    series: list[tuple[str, dict[str, Any]]] = [(_("The project"), trajectories["project"])]
    series += [(m["name"], m) for m in trajectories["municipalities"] if m["code"] in viewer.scope]
    table = Table(_("Mean specific belief (95 % CI); n"), [_("Group"), *waves])
    for label, trajectory in series:
        table.rows.append((label, _trajectory_row(viewer, label, trajectory, numbers)))
    block.tables.append(table)
    bands = _bands(viewer, series, numbers)
    if bands:
        alt = " ".join(_trajectory_alt(label, t, viewer, wave_names) for label, t in series[:2]).strip()
        block.plots.append(
            plots.trajectories(
                bands, x_labels=waves, title=_("Mean specific belief"), xlabel=_("Wave"),
                ylabel=_("Mean belief (1-5)"), alt=alt, decimal=_decimal(),
            )
        )  # fmt: skip

    # Teams, by municipality.
    for code in sorted(c for c in names if c in viewer.scope):
        teams = [t for t in trajectories["teams"] if t["municipality"] == code]
        if not teams:
            continue
        table = Table(_("Teams in %(municipality)s") % {"municipality": names[code]}, [_("Team"), *waves])
        shown: list[tuple[str, dict[str, Any]]] = []
        for team in teams:
            small = team["caseworkers"] < viewer.threshold or team["citizens"] < viewer.threshold
            if small and not viewer.researcher:
                table.rows.append((team["name"], [_("too few to show")] * len(numbers)))
                continue
            label = team["name"] + (f" ({_('under the threshold: researchers only')})" if small else "")
            table.rows.append((label, _trajectory_row(viewer, label, team, numbers)))
            shown.append((team["name"], team))
        if not viewer.researcher:
            table.note = _(
                "A team's mean is shown only when it rests on at least %(threshold)s caseworkers and %(threshold)s "
                "citizens."
            ) % {"threshold": viewer.threshold}
        block.tables.append(table)
        bands = _bands(viewer, shown, numbers)
        if bands:
            block.plots.append(
                plots.trajectories(
                    bands, x_labels=waves, title=_("Teams in %(municipality)s") % {"municipality": names[code]},
                    xlabel=_("Wave"), ylabel=_("Mean belief (1-5)"),
                    alt=" ".join(_trajectory_alt(label, t, viewer, wave_names) for label, t in shown).strip(),
                    decimal=_decimal(),
                )
            )  # fmt: skip
    return block


# --------------------------------------------------------------------------------------------------
# General belief


def _share_cells(viewer: _Viewer, result: dict[str, Any], codes: list[str]) -> dict[str, list[tuple[Cell, Cell]]]:
    """Per group ("" = the project) and wave: (yes, n) as published, from the municipality x (yes, no) table
    suppressed as a whole (see _published_distribution); yes is hidden when either count is."""
    by_code = {m["code"]: m["waves"] for m in result["general"]["municipalities"]}
    all_codes = sorted(by_code)
    out: dict[str, list[tuple[Cell, Cell]]] = {"": [], **{c: [] for c in codes}}
    hidden = Cell(None, None)
    for w in range(len(result["general"]["project"])):
        matrix = [[by_code[c][w]["yes"], by_code[c][w]["n"] - by_code[c][w]["yes"]] for c in all_codes]
        table = disclosure.table_for(viewer.user, matrix)
        yes, no = table.column_totals
        out[""].append((hidden if yes.suppressed or no.suppressed else yes, table.total))
        for code in codes:
            i = all_codes.index(code)
            yes, no = table.cells[i]
            out[code].append((hidden if yes.suppressed or no.suppressed else yes, table.row_totals[i]))
    return out


def _general_block(viewer: _Viewer, result: dict[str, Any], waves: list[str], names: dict[str, str]) -> Block:
    codes = [c for c in sorted(names) if c in viewer.scope]
    published = _share_cells(viewer, result, codes)
    raw = {"": result["general"]["project"], **{m["code"]: m["waves"] for m in result["general"]["municipalities"]}}
    block = Block(_("General belief in each wave"))
    block.notes.append(
        _(
            "The share of caseworkers answering yes to “Do you generally believe that your citizens can get a job "
            "within a year?”, with 95 % CIs (Wilson)."
        )
    )
    table = Table(_("Share answering yes (95 % CI); n caseworkers"), [_("Group"), *waves])
    for key in ["", *codes]:
        label = _("The project") if key == "" else names[key]
        cells = []
        labels, values, lows, highs, notes = [], [], [], [], []
        for w, (yes, total) in enumerate(published[key]):
            r = raw[key][w]
            shown = not yes.suppressed and not total.suppressed and r["n"] > 0
            if shown:
                cells.append(
                    f"{_pct(r['share'])} ({_pct(r['ci_low'])} {_('to')} {_pct(r['ci_high'])}); n = {_int(r['n'])}"
                )
                values.append(float(r["share"]))
                lows.append(float(r["ci_low"]))
                highs.append(float(r["ci_high"]))
                notes.append(f"n = {_int(r['n'])}")
            else:
                cells.append("–" if r["n"] == 0 else _("too few to show"))
                values.append(float("nan"))
                lows.append(float("nan"))
                highs.append(float("nan"))
                notes.append("–" if r["n"] == 0 else _("too few to show"))
            labels.append(waves[w])
        table.rows.append((label, cells))
        if any(v == v for v in values):
            alt = _(
                "%(group)s: the share of caseworkers who generally believe went from %(first)s in %(w1)s to %(last)s "
                "in %(w2)s."
            ) % {"group": label, "first": cells[0], "w1": waves[0], "last": cells[-1], "w2": waves[-1]}
            block.plots.append(
                plots.bars(
                    labels, values, low=lows, high=highs, title=_("General belief: %(group)s") % {"group": label},
                    ylabel=_("Share answering yes"), alt=alt, percent=True, notes=notes, decimal=_decimal(),
                )
            )  # fmt: skip
    block.tables.append(table)
    return block


# --------------------------------------------------------------------------------------------------
# Focus areas and the intervention estimate


def _area_name(area: dict[str, Any]) -> str:
    return str(area["name_da"] if _danish() else area["name_en"] or area["name_da"])


def _wave_label(number: int | None, wave_names: dict[int, str]) -> str:
    if number is None:
        return _("after the last wave")
    return wave_names.get(number, _("wave %(number)s") % {"number": number})


def _focus_block(viewer: _Viewer, result: dict[str, Any], waves: list[str]) -> Block:
    wave_names = _wave_names(result, waves)
    block = Block(_("Before and after a focus area was taken up"))
    block.notes.append(
        _(
            "Mean specific belief in the municipalities that took up each focus area, in the waves before and from "
            "the first wave after they began working on it. Belief can change for other reasons in the same "
            "months, so this is not an effect: the comparison with the other municipalities is below."
        )
    )
    table = Table(
        _("Mean specific belief before and after take-up (95 % CI); n"),
        [_("Focus area"), _("Taken up by (first wave after)"), _("Before"), _("After"), _("Change")],
    )
    for area in result["trajectories"]["focus_areas"]:
        name = _area_name(area)
        taken = [m for m in area["municipalities"]]
        if not viewer.researcher and len(taken) < 2 and not any(m["code"] in viewer.scope for m in taken):
            continue  # one other municipality's figures in disguise
        who = ", ".join(f"{m['name']} ({_wave_label(m['wave'], wave_names)})" for m in taken)
        before, after, change = area["before"], area["after"], area["change"]
        before_text = (
            _point_text(before) if viewer.shows_point(before) else ("–" if before is None else _("too few to show"))
        )
        after_text = (
            _point_text(after) if viewer.shows_point(after) else ("–" if after is None else _("too few to show"))
        )
        if change is not None and viewer.shows_point(before) and viewer.shows_point(after):
            change_text = f"{_num(change['estimate'])} ({_ci(change['ci_low'], change['ci_high'])})"
        else:
            change_text = "–"
        table.rows.append((name, [who, before_text, after_text, change_text]))
        event = area["event_time"]
        points = [p for p in event.get("points", []) if viewer.shows_point(p)]
        if len(points) >= 2:
            events = sorted(p["event"] for p in event["points"])
            position = {e: i for i, e in enumerate(events)}
            band = plots.Band(
                label=name, x=[float(position[p["event"]]) for p in points], y=[p["mean"] for p in points],
                low=[p["ci_low"] for p in points], high=[p["ci_high"] for p in points], n=[p["n"] for p in points],
            )  # fmt: skip
            first, last = points[0], points[-1]
            alt = _(
                "%(area)s: mean specific belief %(first)s (95 %% CI %(first_ci)s) %(e1)s waves from take-up and "
                "%(last)s (%(last_ci)s) %(e2)s waves from take-up."
            ) % {
                "area": name, "first": _num(first["mean"]), "first_ci": _ci(first["ci_low"], first["ci_high"]),
                "e1": first["event"], "last": _num(last["mean"]), "last_ci": _ci(last["ci_low"], last["ci_high"]),
                "e2": last["event"],
            }  # fmt: skip
            block.plots.append(
                plots.trajectories(
                    [band], x_labels=[f"{e:+d}" if e else "0" for e in events],
                    title=_("%(area)s: belief by waves from take-up") % {"area": name},
                    xlabel=_("Waves from take-up (0 = the first wave after)"), ylabel=_("Mean belief (1-5)"), alt=alt,
                    decimal=_decimal(),
                )
            )  # fmt: skip
    block.tables.append(table)
    return block


def _reason(key: str) -> str:
    texts = {
        "no_periods": _("Too few waves to compare."),
        "no_treated": _("No municipality took it up between the first and the last measured wave."),
        "one_cohort": _("Every municipality took it up at the same wave, so there is no one to compare with."),
        "too_few_clusters": _("Too few municipalities to compare."),
        "not_identified": _(
            "The data cannot separate the effect from the differences between waves and municipalities."
        ),
    }
    return texts.get(key, key)


@dataclass
class DiDView:
    title: str
    estimable: bool
    reason: str = ""
    summary: list[tuple[str, str]] = field(default_factory=list)
    events: Table | None = None
    pre_trend: str = ""
    unbounded: bool = False


def _effect_text(effect: dict[str, Any]) -> str:
    low = _bound(effect["ci_low"], effect["unbounded_low"], low=True)
    high = _bound(effect["ci_high"], effect["unbounded_high"], low=False)
    return f"{_num(effect['estimate'])} ({low} {_('to')} {high})"


def _did_view(title: str, did: dict[str, Any], wave_names: dict[int, str]) -> DiDView:
    if not did["estimable"]:
        return DiDView(title, False, _reason(did["reason"]))
    overall = did["overall"]
    view = DiDView(title, True)
    comparison = (
        _("municipalities that never took it up")
        if did["comparison"] == "never"
        else _("municipalities that took it up later, before they did")
    )
    view.summary = [
        (_("Estimated change in mean belief (95 % CI)"), _effect_text(overall)),
        (_("p-value (wild cluster bootstrap)"), _num(overall["p"], 3)),
        (_("Municipalities (clusters)"), str(did["clusters"])),
        (
            _("Took it up"),
            ", ".join(f"{t['name']} ({_wave_label(t['wave'], wave_names)})" for t in did["treated"]),
        ),
        (_("Compared with"), f"{comparison}: " + ", ".join(c["name"] for c in did["comparison_clusters"])),
        (_("Answers"), _int(did["n_obs"])),
    ]
    if did["dropped"]:
        view.summary.append(
            (_("Left out (took it up before the first wave)"), ", ".join(d["name"] for d in did["dropped"]))
        )
    view.unbounded = any(abs(v) > SCALE_SPAN for v in (overall["ci_low"] or 0.0, overall["ci_high"] or 0.0)) or bool(
        did["ci_unbounded"]
    )
    table = Table(
        _("By waves from take-up (0 = the first wave after; −1 is the reference)"),
        [_("Waves from take-up"), _("Estimate (95 % CI)"), _("p-value"), _("Answers")],
    )
    for e in did["event_study"]:
        table.rows.append(
            (f"{e['event']:+d}" if e["event"] else "0", [_effect_text(e), _num(e["p"], 3), _int(e["n_obs"])])
        )
    view.events = table
    pre = did["pre_trend"]
    if not pre["available"]:
        view.pre_trend = _(
            "There are not enough waves before take-up to check whether belief already moved differently before."
        )
    elif pre["rejected"]:
        view.pre_trend = _(
            "Before take-up, belief already moved differently in these municipalities than in the comparison "
            "(smallest p = %(p)s after correction for several tests): read the estimate with extra care."
        ) % {"p": _num(pre["p_bonferroni"], 3)}
    else:
        view.pre_trend = _(
            "Before take-up, there is no clear sign that belief moved differently in these municipalities than in "
            "the comparison (smallest p = %(p)s after correction for several tests) - which with so few "
            "municipalities is weak reassurance."
        ) % {"p": _num(pre["p_bonferroni"], 3)}
    return view


# --------------------------------------------------------------------------------------------------
# The page


@login_required
@require_GET
def belief(request: HttpRequest) -> HttpResponse:
    """Has belief moved? The stored analysis as the person may see it."""
    if not access.can_view_belief_trends(request.user):
        raise PermissionDenied
    viewer = _Viewer(request)
    project = current_project()
    context: dict[str, Any] = {"project": project, "researcher": viewer.researcher, "threshold": viewer.threshold}
    if project is None:
        return render(request, "reports/belief/belief.html", context)
    context.update(run_context(request.user, project, "belief", researcher=viewer.researcher))
    stored = context["stored"]
    if stored is None or not stored.result:
        return render(request, "reports/belief/belief.html", context)
    result: dict[str, Any] = stored.result
    waves = [str(w["name"]) for w in result["waves"]]
    names = {m["code"]: m["name"] for m in result["distribution"]["municipalities"]}
    wave_names = dict(zip([w["number"] for w in result["waves"]], waves, strict=True))
    did = result["did"]
    did_views = [_did_view(_("The first focus area a municipality took up"), did["first"], wave_names)]
    did_views += [
        _did_view(_("Focus area: %(area)s") % {"area": _area_name(area)}, area, wave_names)
        for area in did["focus_areas"]
    ]
    clusters = max(
        [result["n"]["municipalities"]] + [d.get("clusters", 0) for d in [did["first"], *did["focus_areas"]]]
    )
    context.update(
        {
            "result": result,
            "n": result["n"],
            "waves": waves,
            "blocks": [
                _distribution_block(viewer, result, waves, names),
                _trajectory_block(viewer, result, waves, names),
                _general_block(viewer, result, waves, names),
                _focus_block(viewer, result, waves),
            ],
            "did_views": did_views,
            "clusters": clusters,
            "any_unbounded": any(v.unbounded for v in did_views),
            # Here, not in the template: {% translate %} looks a "%" up doubled, the catalogue holds it single.
            "did_intro": _(
                "A staggered difference-in-differences: the change in mean specific belief from the wave before "
                "take-up in the municipalities that took up a focus area, compared with the change in the other "
                "municipalities over the same waves. The 95 % CIs and p-values come from a wild cluster bootstrap, "
                "which stays honest with few municipalities."
            ),
        }
    )
    return render(request, "reports/belief/belief.html", context)
