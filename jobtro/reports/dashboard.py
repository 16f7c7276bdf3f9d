"""The numbers on each role's home page (issue 7, point 6), kept out of the view so the page stays a list of
sections: a caseworker's open waves, a municipality's team aggregates for its leaders (disclosure-controlled
through :mod:`jobtro.reports.disclosure`), and the researchers' overview of response, data freshness and stored
analyses.

Every function runs a fixed number of queries, whatever the number of teams, caseworkers or citizens: the
counting is done by the database (grouped counts) and the grouping into teams in Python.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from jobtro.analysis import runs
from jobtro.analysis.models import AnalysisResult
from jobtro.audit.models import AuditEvent
from jobtro.lib.disclosure import Cell, Table
from jobtro.measurement import invitations
from jobtro.measurement.models import Answer, CaseworkerAssignment, Invitation, Item, Wave, WaveCaseload
from jobtro.organisation import access
from jobtro.organisation.models import Membership, Municipality, Project, Role, Staff, Unit
from jobtro.reports import disclosure, plots
from jobtro.reports.numbers import danish as _danish
from jobtro.reports.numbers import decimal_mark as _decimal
from jobtro.stats.trends import wilson_interval

BELIEF_KEY = "specific_belief"  # the specific-belief item's variable name (stable across instrument versions)
LEVELS = (5, 4, 3, 2, 1)  # the scale as the rating page shows it, "yes, certainly" first


# --- small pieces ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    """A share of persons with its Wilson 95 % interval and the n it rests on."""

    k: int
    n: int
    value: float
    low: float
    high: float

    @property
    def percent(self) -> float:
        return 100 * self.value

    @property
    def low_percent(self) -> float:
        return 100 * self.low

    @property
    def high_percent(self) -> float:
        return 100 * self.high


def wilson(k: int, n: int) -> Share | None:
    """The share k / n with its Wilson score interval; None when there is nobody to count."""
    if n <= 0:
        return None
    low, high = wilson_interval(k, n)
    return Share(k, n, k / n, low, high)


def level_labels(item: Item | None) -> list[str]:
    """Column labels of the belief distribution: the scale's labels in the page's language, then "don't know"."""
    by_value: dict[int, str] = {}
    if item is not None:
        key = "label_da" if _danish() else "label_en"
        by_value = {int(o["value"]): str(o.get(key) or o["value"]) for o in item.options}
    return [by_value.get(v, str(v)) for v in LEVELS] + [pgettext("rating", "Don't know")]


# --- waves ------------------------------------------------------------------------------------------------


def open_waves(project: Project, today: date) -> list[Wave]:
    return list(
        Wave.objects.filter(project=project, opened_at__isnull=False, opens_on__lte=today, closes_on__gte=today)
        .select_related("instrument_version")
        .order_by("number")
    )


def current_wave(project: Project, today: date) -> Wave | None:
    """The wave the aggregates are about: the one open now, else the latest opened."""
    return (
        Wave.objects.filter(project=project, opened_at__isnull=False, opens_on__lte=today)
        .select_related("instrument_version")
        .order_by("-number")
        .first()
    )


@dataclass(frozen=True)
class OwnWave:
    """A caseworker's open wave: how much of their frozen caseload (still theirs) is rated."""

    wave: Wave
    frozen: int
    rated: int
    days_left: int
    url: str

    @property
    def done(self) -> bool:
        return self.frozen > 0 and self.rated >= self.frozen


def caseworker_waves(user: Staff, project: Project, today: date) -> list[OwnWave]:
    """The open waves with a frozen caseload of the caseworker's, as the rating page counts them: citizens
    still theirs (access.rateable_caseload), rated when every specific item is answered ("ved ikke" counts)."""
    waves = [w for w in open_waves(project, today) if access.can_rate(user)]
    if not waves:
        return []
    ids = [w.pk for w in waves]
    still_mine = CaseworkerAssignment.objects.current().filter(citizen_id=OuterRef("citizen_id"), caseworker_id=user.pk)
    frozen = dict(
        WaveCaseload.objects.filter(wave_id__in=ids, caseworker_id=user.pk)
        .filter(Exists(still_mine))
        .order_by()
        .values("wave_id")
        .annotate(n=Count("id"))
        .values_list("wave_id", "n")
    )
    needed = dict(
        Item.objects.filter(version_id__in={w.instrument_version_id for w in waves}, scope=Item.Scope.SPECIFIC)
        .order_by()
        .values("version_id")
        .annotate(n=Count("id"))
        .values_list("version_id", "n")
    )
    frozen_here = WaveCaseload.objects.filter(
        wave_id=OuterRef("wave_id"), caseworker_id=user.pk, citizen_id=OuterRef("citizen_id")
    )
    answered = (
        Answer.objects.filter(wave_id__in=ids, caseworker_id=user.pk, item__scope=Item.Scope.SPECIFIC)
        .filter(Exists(frozen_here), Exists(still_mine))
        .order_by()
        .values("wave_id", "citizen_id")
        .annotate(n=Count("item_id", distinct=True))
        .values_list("wave_id", "citizen_id", "n")
    )
    version_of = {w.pk: w.instrument_version_id for w in waves}
    rated: dict[int, int] = defaultdict(int)
    for wave_id, _citizen, n in answered:
        if n >= needed.get(version_of[wave_id], 0) > 0:
            rated[wave_id] += 1
    result = []
    for w in waves:
        if w.pk not in frozen:
            continue
        url = reverse("rate_wave", args=[w.pk])
        result.append(OwnWave(w, frozen[w.pk], rated[w.pk], (w.closes_on - today).days, url))
    return result


# --- two-way tables as shown --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShownRow:
    label: str
    cells: tuple[Cell, ...]
    total: Cell
    column_labels: Sequence[str] = ()

    @property
    def pairs(self) -> list[tuple[str, Cell]]:
        """(column label, cell): the label is each cell's heading on a narrow screen."""
        return list(zip(self.column_labels, self.cells, strict=True))


@dataclass(frozen=True)
class TwoWay:
    """A disclosure-controlled two-way table with its labels, ready for the template."""

    row_labels: list[str]
    column_labels: list[str]
    counts: list[list[int]]  # the true counts: kept for tests, never put in a template
    table: Table

    @property
    def rows(self) -> list[ShownRow]:
        return [
            ShownRow(label, cells, total, self.column_labels)
            for label, cells, total in zip(self.row_labels, self.table.cells, self.table.row_totals, strict=True)
        ]

    @property
    def totals(self) -> ShownRow:
        return ShownRow("", self.table.column_totals, self.table.total, self.column_labels)

    @property
    def any_suppressed(self) -> bool:
        t = self.table
        return any(c.suppressed for c in [*(c for r in t.cells for c in r), *t.row_totals, *t.column_totals, t.total])


def two_way(user: access.AnyUser, row_labels: list[str], column_labels: list[str], counts: list[list[int]]) -> TwoWay:
    return TwoWay(row_labels, column_labels, counts, disclosure.table_for(user, counts))


# --- where a caseworker belongs in a wave --------------------------------------------------------------------


def _wave_day(wave: Wave) -> date:
    return timezone.localdate(wave.opened_at) if wave.opened_at else wave.opens_on


def team_placements(wave: Wave, municipality: Municipality) -> tuple[list[Unit], dict[int, int | None]]:
    """The municipality's teams and, for every caseworker placed in the municipality on the day the wave opened
    (the same rule as the response-rate page, invitations._placement), their team's id (None: no team)."""
    teams = list(Unit.objects.filter(municipality=municipality, kind=Unit.Kind.TEAM).order_by("name", "pk"))
    in_municipality = Membership.objects.filter(role=Role.CASEWORKER, municipality=municipality).values("staff_id")
    memberships: dict[int, list[Membership]] = defaultdict(list)
    for m in Membership.objects.filter(role=Role.CASEWORKER, staff_id__in=in_municipality).order_by("start", "pk"):
        memberships[m.staff_id].append(m)
    day = _wave_day(wave)
    placed: dict[int, int | None] = {}
    team_ids = {t.pk for t in teams}
    for staff_id, held in memberships.items():
        chosen = invitations._placement(held, day)
        if chosen is not None and chosen.municipality_id == municipality.pk:
            placed[staff_id] = chosen.unit_id if chosen.unit_id in team_ids else None
    return teams, placed


def _team_index(teams: list[Unit], placed: dict[int, int | None]) -> tuple[list[str], Callable[[int], int | None]]:
    """Row labels (the teams, then "no team" when someone has none) and a caseworker id → row index map."""
    labels = [t.name for t in teams]
    position = {t.pk: i for i, t in enumerate(teams)}
    no_team = any(unit is None for unit in placed.values())
    if no_team:
        labels.append(_("No team"))

    def index(staff_id: int) -> int | None:
        if staff_id not in placed:
            return None
        unit = placed[staff_id]
        return position[unit] if unit is not None else len(teams)

    return labels, index


# --- the leaders' municipality section --------------------------------------------------------------------


@dataclass(frozen=True)
class TeamResponse:
    label: str
    invited: Cell
    completed: Cell
    share: Share | None  # None when it rests on too few caseworkers for the user, or nobody was invited


@dataclass
class Response:
    wave: Wave
    table: TwoWay  # team x (finished, not finished)
    teams: list[TeamResponse] = field(default_factory=list)
    total: TeamResponse | None = None
    invited: bool = False  # anyone in the municipality was invited (the table is empty when they are too few)


def team_response(user: access.AnyUser, wave: Wave, teams: list[Unit], placed: dict[int, int | None]) -> Response:
    """Caseworkers invited to the wave per team, and how many have finished. Teams of fewer caseworkers than
    the threshold are pooled (:func:`pooled`: a team's row must not be one named caseworker's status), the
    team x (finished, not finished) table goes through disclosure control, and a rate is shown only where
    both its cells are."""
    labels, index = _team_index(teams, placed)
    counts = [[0, 0] for _ in labels]
    people: list[set[int]] = [set() for _ in labels]
    done = invitations.progress([wave])
    for caseworker_id in Invitation.objects.filter(wave=wave).order_by().values_list("caseworker_id", flat=True):
        i = index(caseworker_id)
        if i is None:
            continue
        p = done.get((wave.pk, caseworker_id))
        counts[i][0 if p is not None and p.complete else 1] += 1
        people[i].add(caseworker_id)
    shown = pooled(user, labels, counts, people) or ([], [])
    table = two_way(user, shown[0], [_("Finished"), _("Not finished")], shown[1])
    response = Response(wave, table, invited=any(people))

    def rate(label: str, cells: Sequence[Cell], total: Cell) -> TeamResponse:
        share = None
        shown = not any(c.suppressed for c in cells) and not total.suppressed and total.value
        if shown and total.value and disclosure.shows_statistic(user, total.value):
            share = wilson(cells[0].value or 0, total.value)
        return TeamResponse(label, total, cells[0], share)

    response.teams = [rate(r.label, r.cells, r.total) for r in table.rows]
    if shown[1]:
        response.total = rate(_("All"), table.table.column_totals, table.table.total)
    return response


def in_force(answers: QuerySet[Answer]) -> QuerySet[Answer]:
    """Answers in force: no later answer to the same question (wave, item, caseworker, citizen)."""
    later = Answer.objects.filter(
        wave_id=OuterRef("wave_id"),
        item_id=OuterRef("item_id"),
        caseworker_id=OuterRef("caseworker_id"),
        citizen_id=OuterRef("citizen_id"),
    ).filter(Q(received_at__gt=OuterRef("received_at")) | Q(received_at=OuterRef("received_at"), pk__gt=OuterRef("pk")))
    return answers.filter(~Exists(later))


def _column(value: int | None, dont_know: bool) -> int | None:
    if dont_know:
        return len(LEVELS)
    return LEVELS.index(value) if value in LEVELS else None


def belief_item(wave: Wave) -> Item | None:
    return Item.objects.filter(version_id=wave.instrument_version_id, key=BELIEF_KEY).first()


def pooled(
    user: access.AnyUser, labels: list[str], counts: list[list[int]], people: list[set[int]]
) -> tuple[list[str], list[list[int]]] | None:
    """Rows of answers that rest on fewer caseworkers than the threshold would show one or a few caseworkers'
    answers (never a named caseworker's answers, DESIGN.md), so outside research they are pooled into "other
    teams" - with the smallest other rows until the pool rests on enough caseworkers. None when even all of
    them together are too few. Empty rows are dropped."""
    rows = [(label, row, who) for label, row, who in zip(labels, counts, people, strict=True) if sum(row) > 0]
    if not rows:
        return None
    enough = [disclosure.shows_statistic(user, len(r[2])) for r in rows]
    big = [r for r, ok in zip(rows, enough, strict=True) if ok]
    small = [r for r, ok in zip(rows, enough, strict=True) if not ok]
    while small and big and not disclosure.shows_statistic(user, len(set().union(*(r[2] for r in small)))):
        smallest = min(big, key=lambda r: len(r[2]))
        big.remove(smallest)
        small.append(smallest)
    if small:
        if not disclosure.shows_statistic(user, len(set().union(*(r[2] for r in small)))):
            return None
        merged = [sum(column) for column in zip(*(r[1] for r in small), strict=True)]
        big.append((_("Other teams"), merged, set()))
    return [r[0] for r in big], [r[1] for r in big]


def team_beliefs(
    user: access.AnyUser, wave: Wave, municipality: Municipality, teams: list[Unit], placed: dict[int, int | None]
) -> TwoWay | None:
    """Specific belief in the wave per team: citizens of the municipality by the level their caseworker
    gave (the answer in force), team x level, disclosure-controlled (cells: :func:`two_way`; rows resting on
    too few caseworkers: :func:`pooled`). None when nobody has answered yet, or too few caseworkers have."""
    item = belief_item(wave)
    if item is None:
        return None
    labels, index = _team_index(teams, placed)
    if len(labels) == len(teams):
        labels.append(_("No team"))
    no_team = len(teams)  # a caseworker placed in no team here (or elsewhere) who rated the municipality's citizens
    counts = [[0] * (len(LEVELS) + 1) for _ in labels]
    people: list[set[int]] = [set() for _ in labels]
    rows = (
        in_force(Answer.objects.filter(wave=wave, item=item, citizen__municipality=municipality))
        .order_by()
        .values("caseworker_id", "value", "dont_know")
        .annotate(n=Count("id"))
        .values_list("caseworker_id", "value", "dont_know", "n")
    )
    for caseworker_id, value, dont_know, n in rows:
        i, j = index(caseworker_id), _column(value, dont_know)
        if j is not None:
            i = no_team if i is None else i
            counts[i][j] += n
            people[i].add(caseworker_id)
    shown = pooled(user, labels, counts, people)
    if shown is None:
        return None
    return two_way(user, shown[0], level_labels(item), shown[1])


def belief_by_wave(user: access.AnyUser, project: Project, municipality: Municipality | None) -> TwoWay | None:
    """Specific belief per opened wave (rows) and level (columns) for a municipality or the whole project.
    Outside research a wave whose answers rest on fewer caseworkers than the threshold is left out."""
    waves = list(Wave.objects.filter(project=project, opened_at__isnull=False).order_by("number"))
    if not waves:
        return None
    answers = Answer.objects.filter(wave__in=waves, item__key=BELIEF_KEY, citizen__isnull=False)
    if municipality is not None:
        answers = answers.filter(citizen__municipality=municipality)
    position = {w.pk: i for i, w in enumerate(waves)}
    counts = [[0] * (len(LEVELS) + 1) for _ in waves]
    for wave_id, value, dont_know, n in (
        in_force(answers)
        .order_by()
        .values("wave_id", "value", "dont_know")
        .annotate(n=Count("id"))
        .values_list("wave_id", "value", "dont_know", "n")
    ):
        j = _column(value, dont_know)
        if j is not None:
            counts[position[wave_id]][j] += n
    caseworkers = dict(
        answers.order_by()
        .values("wave_id")
        .annotate(k=Count("caseworker_id", distinct=True))
        .values_list("wave_id", "k")
    )
    keep = [
        i
        for i, row in enumerate(counts)
        if sum(row) > 0 and disclosure.shows_statistic(user, caseworkers.get(waves[i].pk, 0))
    ]
    if not keep:
        return None
    item = belief_item(waves[-1])
    return two_way(user, [waves[i].name for i in keep], level_labels(item), [counts[i] for i in keep])


# --- plots (jobtro.reports.plots) ----------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _drawn(name: str, args: tuple[Any, ...], options: tuple[tuple[str, Any], ...]) -> Any:
    """A plot drawn once per process for the same numbers and text: drawing takes a good part of a second,
    and a dashboard is looked at far more often than its numbers change (new data give a new key)."""
    return getattr(plots, name)(*args, **dict(options))


def _draw(name: str, *args: Any, **options: Any) -> Any:
    def frozen(value: Any) -> Any:
        return tuple(frozen(v) for v in value) if isinstance(value, list | tuple) else value

    return _drawn(name, frozen(args), tuple(sorted((k, frozen(v)) for k, v in options.items())))


def belief_plot(table: TwoWay, title: str) -> Any | None:
    """The belief distribution per wave as 100 % stacked bars, when every cell is shown (a plot cannot show a
    hidden cell, and its shares would give it away)."""
    if table.any_suppressed:
        return None
    counts = [[c.value or 0 for c in row] for row in table.table.cells]
    # The plot wants the lowest belief first and "don't know" last; the tables show the scale as rated.
    order = [*reversed(range(len(LEVELS))), len(LEVELS)]
    plotted = [[row[j] for j in order] for row in counts]
    categories = [table.column_labels[j] for j in order]
    parts = []
    for label, row in zip(table.row_labels, counts, strict=True):
        n = sum(row)
        believe = row[0] + row[1]
        parts.append(
            _("%(wave)s: %(share).0f %% of %(n)s ratings are yes, certainly or yes, probably")
            % {"wave": label, "share": 100 * believe / n if n else 0, "n": n}
        )
    alt = _("Specific belief per wave.") + " " + "; ".join(parts) + "."
    return _draw("belief_distribution", categories, table.row_labels, plotted, title=title, alt=alt, decimal=_decimal())


def response_plot(labels: list[str], shares: list[Share], title: str) -> Any | None:
    if not shares:
        return None
    alt = "; ".join(
        _("%(label)s: %(share).0f %% (95 %% CI %(low).0f-%(high).0f %%, n = %(n)s)")
        % {"label": label, "share": s.percent, "low": s.low_percent, "high": s.high_percent, "n": s.n}
        for label, s in zip(labels, shares, strict=True)
    )
    return _draw(
        "bars",
        labels,
        [s.value for s in shares],
        low=[s.low for s in shares],
        high=[s.high for s in shares],
        title=title,
        ylabel=_("Caseworkers finished"),
        alt=_("Response rate.") + " " + alt + ".",
        percent=True,
        notes=[f"n = {s.n}" for s in shares],
        decimal=_decimal(),
    )


# --- stored analyses (jobtro.analysis) ------------------------------------------------------------


@dataclass(frozen=True)
class Effect:
    name: str
    label: str
    hr: float
    low: float
    high: float


@dataclass(frozen=True)
class BipHeadline:
    computed: datetime | None
    stale: bool
    n: dict[str, Any]
    effects: list[Effect]
    scope: str  # "the project" or a municipality's name
    url: str | None


def _effect_label(name: str) -> str:
    labels = {
        "belief": _("One step more specific belief"),
        "general": _("A caseworker who generally believes"),
        "changed": _("A caseworker change"),
    }
    return labels.get(name, name)


def _effects(user: access.AnyUser, n: dict[str, Any], effects: list[dict[str, Any]]) -> list[Effect]:
    if not disclosure.shows_statistic(user, int(n.get("citizens") or 0)):
        return []
    if "caseworkers" in n and not disclosure.shows_statistic(user, int(n.get("caseworkers") or 0)):
        return []
    return [
        Effect(e["name"], _effect_label(str(e["name"])), e["hr"], e["ci_low"], e["ci_high"])
        for e in effects
        if e.get("hr") is not None and e.get("ci_low") is not None and e.get("ci_high") is not None
    ]


def bip_headlines(user: access.AnyUser, project: Project) -> list[BipHeadline]:
    """The latest BIP result's hazard ratios with their CIs: the project's and, for each municipality whose
    breakdown the user sees, the municipality's."""
    if not access.can_view_bip(user):
        return []
    result = runs.latest(project, "bip")
    if result is None or not isinstance(result.result, dict):
        return []
    data: dict[str, Any] = result.result
    stale = bool(runs.is_stale(result))
    url = reverse("insight:bip")
    computed = result.finished or result.created
    n = dict(data.get("n") or {})
    headlines = [BipHeadline(computed, stale, n, _effects(user, n, list(data.get("effects") or [])), "", url)]
    own = set(access.bip_municipalities(user))
    if not access.aggregates_unsuppressed(user):  # researchers see the breakdowns on the analysis page
        for m in data.get("municipalities") or []:
            if m.get("code") in own:
                m_n = dict(m.get("n") or {})
                effects = _effects(user, m_n, list(m.get("effects") or []))
                headlines.append(BipHeadline(computed, stale, m_n, effects, str(m.get("name", "")), url))
    return [h for h in headlines if h.effects or h.scope == ""]


@dataclass(frozen=True)
class AnalysisRow:
    kind: str
    label: str
    state: str
    state_label: str
    when: datetime | None
    stale: bool | None  # None: no finished result to compare
    error: str


def analyses(project: Project) -> list[AnalysisRow]:
    """The newest stored result of each kind with its state and staleness (researchers)."""
    fingerprint = None  # computed once, only when some result is finished
    rows = []
    for kind, label in AnalysisResult.Kind.choices:
        newest = AnalysisResult.objects.filter(project=project, kind=kind).order_by("-created", "-pk").first()
        if newest is None:
            rows.append(AnalysisRow(kind, str(label), "", _("never run"), None, None, ""))
            continue
        done = newest if newest.state == "done" else runs.latest(project, kind)
        stale = None
        if done is not None:
            if fingerprint is None:
                fingerprint = runs.data_fingerprint(project)[0]
            stale = bool(runs.is_stale(done, fingerprint=fingerprint))
        when = newest.finished or newest.started or newest.created
        rows.append(
            AnalysisRow(
                kind, str(label), newest.state, str(newest.get_state_display()), when, stale, newest.error or ""
            )
        )
    return rows


# --- data freshness (researchers) -------------------------------------------------------------------------


@dataclass(frozen=True)
class Freshness:
    municipality: Municipality
    outcomes_until: str | None
    caseload_imported: datetime | None


def outcomes_until(municipalities: Sequence[Municipality]) -> dict[str, str | None]:
    """The last week of register data each municipality has delivered (ISO label), in one query."""
    from jobtro.lib.outcome_files import week_index, week_label
    from jobtro.outcomes.models import OutcomeStore

    weeks: dict[str, list[int]] = defaultdict(list)
    for store in OutcomeStore.objects.filter(municipality__in=municipalities).only(
        "municipality_id", "covers_until", "last_week"
    ):
        week = week_index(store.covers_until) if store.covers_until else store.last_week
        if week is not None and store.municipality_id is not None:
            weeks[store.municipality_id].append(week)
    return {m.code: (week_label(max(weeks[m.code])) if weeks[m.code] else None) for m in municipalities}


def freshness(municipalities: Sequence[Municipality]) -> list[Freshness]:
    until = outcomes_until(municipalities)
    caseloads = dict(
        AuditEvent.objects.filter(
            action=AuditEvent.Action.BULK,
            object_type="measurement.Citizen",
            object_repr__startswith="caseload import",
            municipality_code__in=[m.code for m in municipalities],
        )
        .order_by()
        .values("municipality_code")
        .annotate(last=Max("at"))
        .values_list("municipality_code", "last")
    )
    return [Freshness(m, until[m.code], caseloads.get(m.code)) for m in municipalities]


def latest_spell_build(project: Project) -> Any | None:
    """The latest spell build's counts and date, without its data (the Parquet of every spell)."""
    from jobtro.outcomes.models import SpellBuild

    return SpellBuild.objects.filter(project=project).defer("spells_parquet", "counting_parquet").first()


# --- response per municipality and wave (researchers) -------------------------------------------------------


@dataclass(frozen=True)
class MunicipalityResponse:
    label: str
    cells: list[Share | None]  # one per wave, None where nobody was invited


def response_matrix(project: Project) -> tuple[list[Wave], list[MunicipalityResponse], list[Share | None]]:
    """Finished / invited caseworkers per municipality and opened wave, and per wave in total (unsuppressed:
    researchers only - access.can_view_response_rates)."""
    waves = list(Wave.objects.filter(project=project, opened_at__isnull=False).order_by("number"))
    rates = invitations.response_rates(waves)
    names = sorted({label for r in rates.values() for label, _rate in r.municipalities})
    rows = []
    for name in names:
        cells: list[Share | None] = []
        for w in waves:
            found = dict(rates[w.pk].municipalities).get(name)
            cells.append(wilson(found.completed, found.invited) if found else None)
        rows.append(MunicipalityResponse(name, cells))
    totals = [wilson(rates[w.pk].total.completed, rates[w.pk].total.invited) for w in waves]
    return waves, rows, totals
