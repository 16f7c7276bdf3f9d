"""Meeting packs (issue 7, point 8): a PDF per meeting, drawn by WeasyPrint from HTML templates with the
same SVG plots as the pages.

- A local meeting (a meeting of one municipality): the municipality's response and belief per wave (the
  waves opened since its last meeting marked), its stored analyses, its initiatives and the experience log
  since the last meeting, and the agenda.
- A cross-municipal meeting (start-up and experience meetings): the municipalities side by side - response,
  belief, the BIP per municipality, the focus areas each has chosen - and what the municipalities that
  opened their logs have shared since the last cross-municipal meeting.
- The final report: the project's numbers, the comparison, the BIP analysis and the belief trends with a
  note on the methods.

A pack is handed out at the meeting, so it is written for municipal staff whoever downloads it: every count
and statistic goes through disclosure control as for a reader who is not a researcher (``READER``), and the
content does not depend on the downloader (the experience log of another municipality is in a pack only
when that municipality has opened it). The pack says so on its first page.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.text import Truncator
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from jobtro.analysis import runs
from jobtro.collaboration.forms import focus_area_name
from jobtro.collaboration.models import Activity, FocusAreaChoice, Initiative, LogSharing
from jobtro.lib.disclosure import Cell
from jobtro.measurement import invitations
from jobtro.measurement.models import Answer, Item, Wave
from jobtro.organisation import access
from jobtro.organisation.models import Municipality, Project
from jobtro.reports import disclosure, plots
from jobtro.reports.dashboard import in_force
from jobtro.reports.numbers import danish as _danish
from jobtro.reports.numbers import decimal_mark as _decimal
from jobtro.reports.numbers import num as _num
from jobtro.stats.trends import wilson_interval

# The pack's reader: never a researcher, so every table and statistic is disclosure-controlled.
READER = AnonymousUser()
MEETING_KINDS = (Activity.Kind.STARTUP, Activity.Kind.LOCAL, Activity.Kind.EXPERIENCE)
BELIEF_KEY = "specific_belief"
LEVELS = (1, 2, 3, 4, 5)  # lowest belief first, as the plots want it; "don't know" after them
HIDDEN = "\u2013"  # a hidden count; explained on the first page
TEXT_CHARS = 700  # experience and initiative texts are shortened to this in a pack


# --- what a pack holds ------------------------------------------------------------------------------


@dataclass
class Rows:
    """A table of already formatted cells (hidden counts are ``HIDDEN``)."""

    head: list[str]
    rows: list[list[str]]
    caption: str = ""
    numeric_from: int = 1  # columns from this one are right-aligned numbers


@dataclass
class Entry:
    """An initiative or an experience-log entry."""

    heading: str
    meta: str
    text: str


@dataclass
class Section:
    title: str
    intro: str = ""
    plots: list[plots.Plot] = field(default_factory=list)
    tables: list[Rows] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    empty: str = ""  # said when the section has nothing else


@dataclass
class Pack:
    kind: str  # "local", "cross" or "final"
    title: str
    project: Project
    facts: list[tuple[str, str]]
    sections: list[Section]
    filename: str
    agenda: str = ""
    generated: datetime = field(default_factory=timezone.now)


# --- building a pack ------------------------------------------------------------------------------


def meeting_pack(activity: Activity, user: access.AnyUser) -> Pack:
    """The pack of a meeting: local when the activity belongs to one municipality, else cross-municipal.
    ``user`` only narrows what could be read at all (access.experiences); the content is the same for
    every downloader allowed the pack."""
    project = activity.project
    previous = previous_meeting(activity)
    since = previous.day if previous else None
    until = activity.day
    facts = [
        (_("Meeting"), f"{activity.title} ({activity.get_kind_display()})"),
        (_("Date"), date_format(activity.day, "DATE_FORMAT")),
        (
            _("Numbers since"),
            _("the last meeting, %(day)s") % {"day": date_format(since, "DATE_FORMAT")}
            if since
            else _("the start of the project, %(day)s") % {"day": date_format(project.start_date, "DATE_FORMAT")},
        ),
    ]
    waves = _waves(project, until)
    if activity.municipality is not None:
        municipality = activity.municipality
        facts.insert(1, (_("Municipality"), municipality.name))
        sections = [
            _response_over_waves(waves, since, municipality),
            _belief_over_waves(project, waves, since, municipality),
            *_stored_for_municipality(project, municipality),
            _initiatives(project, [municipality.code], until),
            _experiences(project, user, [municipality.code], since, until),
        ]
        kind, title = "local", _("Meeting pack: %(municipality)s") % {"municipality": municipality.name}
        slug = municipality.code
    else:
        codes = _participating(project, until)
        opened = _opened_logs(project, codes)
        sections = [
            _response_by_municipality(waves, codes),
            _belief_by_municipality(project, waves, codes),
            *_stored_across(project, codes),
            _focus_areas(project, until),
            _initiatives(project, opened, until, shared_only=True),
            _experiences(project, user, opened, since, until, shared_only=True),
        ]
        kind, title = "cross", _("Meeting pack: cross-municipal meeting")
        slug = "tvaerkommunalt"
    return Pack(
        kind=kind,
        title=title,
        project=project,
        facts=facts,
        sections=sections,
        agenda=activity.agenda,
        filename=f"jobtro-modepakke-{slug}-{activity.day:%Y-%m-%d}-{activity.pk}.pdf",
    )


def final_report(project: Project, user: access.AnyUser) -> Pack:
    """The end-of-project report: the project's numbers, the municipalities side by side, the BIP analysis
    and the belief trends, and how they were made."""
    today = timezone.localdate()
    waves = _waves(project, today)
    codes = _participating(project, today)
    last_day = date_format(project.end_date - timedelta(days=1), "DATE_FORMAT")  # end_date is the day after
    facts = [
        (_("Project"), project.name),
        (_("Period"), f"{date_format(project.start_date, 'DATE_FORMAT')}\u2013{last_day}"),
    ]
    if today < project.end_date:
        facts.append((_("Status"), _("Preliminary: the project runs until %(day)s.") % {"day": last_day}))
    opened = _opened_logs(project, codes)
    sections = [
        _response_over_waves(waves, None, None),
        _belief_over_waves(project, waves, None, None),
        *_stored_project(project),
        _response_by_municipality(waves, codes),
        _belief_by_municipality(project, waves, codes),
        *_stored_across(project, codes),
        _focus_areas(project, today),
        _initiatives(project, opened, today, shared_only=True),
        _experiences(project, user, opened, None, today, shared_only=True),
        _methods(),
    ]
    return Pack(
        kind="final",
        title=_("Final report: %(project)s") % {"project": project.name},
        project=project,
        facts=facts,
        sections=sections,
        filename=f"jobtro-slutrapport-{today:%Y-%m-%d}.pdf",
    )


def render_html(pack: Pack) -> str:
    return render_to_string(
        "reports/packs/pack.html",
        {"pack": pack, "threshold": disclosure.threshold(), "hidden": HIDDEN, "LANGUAGE_CODE": get_language()},
    )


class _SvgStyleNoise(logging.Filter):
    """WeasyPrint checks the style attributes of inline SVG against HTML's CSS properties and warns about
    SVG's own (``fill``, ``stroke``, ``text-anchor``) on every plot, although its SVG renderer then draws
    them: drop just those warnings, so a pack download does not fill the log (other CSS warnings stay)."""

    SVG_ONLY = ("fill", "stroke", "text-anchor", "dominant-baseline", "clip-path", "paint-order")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if not message.endswith("unknown property.") or "`" not in message:
            return True
        name = message.split("`", 2)[1].split(":", 1)[0].strip()
        return not name.startswith(self.SVG_ONLY)


_WEASYPRINT_LOG = logging.getLogger("weasyprint")
_WEASYPRINT_LOG.addFilter(_SvgStyleNoise())


def render_pdf(pack: Pack) -> bytes:
    import weasyprint  # imported here: it loads Pango and friends, which only pack downloads need

    pdf = weasyprint.HTML(string=render_html(pack)).write_pdf()
    assert pdf is not None
    return bytes(pdf)


def previous_meeting(activity: Activity) -> Activity | None:
    """The meeting before this one of the same kind of audience: the same municipality's, or the previous
    cross-municipal one. Cancelled meetings do not count."""
    earlier = (
        Activity.objects.filter(project_id=activity.project_id, kind__in=MEETING_KINDS, cancelled=False)
        .exclude(pk=activity.pk)
        .filter(Q(day__lt=activity.day) | Q(day=activity.day, pk__lt=activity.pk))
    )
    if activity.municipality_id:
        earlier = earlier.filter(municipality_id=activity.municipality_id)
    else:
        earlier = earlier.filter(municipality__isnull=True)
    return earlier.order_by("-day", "-pk").first()


# --- response ---------------------------------------------------------------------------------------


def _waves(project: Project, until: date) -> list[Wave]:
    return list(Wave.objects.filter(project=project, opened_at__isnull=False, opens_on__lte=until).order_by("number"))


def _participating(project: Project, until: date) -> list[str]:
    """Codes of the municipalities taking part by the day, by name."""
    return list(
        project.participations.filter(joined__lte=until)
        .order_by("municipality__name")
        .values_list("municipality_id", flat=True)
    )


def _names(codes: Sequence[str]) -> dict[str, str]:
    return dict(Municipality.objects.filter(code__in=codes).values_list("code", "name"))


def _wave_label(wave: Wave, since: date | None) -> str:
    return f"{wave.name} *" if since is not None and wave.opens_on > since else wave.name


@dataclass(frozen=True)
class Shown:
    """A share of persons as a pack may show it: None when it rests on too few persons or a hidden cell."""

    k: int
    n: int
    low: float
    high: float

    @property
    def value(self) -> float:
        return self.k / self.n


def _share(cells: Sequence[Cell], total: Cell) -> Shown | None:
    if any(c.suppressed for c in cells) or total.suppressed or not total.value:
        return None
    if not disclosure.shows_statistic(READER, total.value):
        return None
    k = cells[0].value or 0
    low, high = wilson_interval(k, total.value)
    return Shown(k, total.value, low, high)


def _pct(value: float, digits: int = 0) -> str:
    return f"{_num(100 * value, digits)} %"


def _pct_ci(value: float, low: float, high: float) -> str:
    return f"{_pct(value)} ({_num(100 * low, 0)}\u2013{_num(100 * high, 0)} %)"


def _share_text(share: Shown | None) -> str:
    if share is None:
        return _("too few to show")
    return _pct_ci(share.value, share.low, share.high)


def _count(cell: Cell) -> str:
    return HIDDEN if cell.value is None else number_format(cell.value, force_grouping=True)


def _rates_plot(labels: list[str], shares: list[Shown | None], title: str, what: str) -> plots.Plot | None:
    if not any(shares):
        return None
    parts = [
        _("%(label)s: %(share)s (n = %(n)s)") % {"label": label, "share": _share_text(s), "n": s.n}
        for label, s in zip(labels, shares, strict=True)
        if s is not None
    ]
    return plots.bars(
        labels,
        [s.value if s else math.nan for s in shares],
        low=[s.low if s else math.nan for s in shares],
        high=[s.high if s else math.nan for s in shares],
        notes=[f"n = {s.n}" if s else _("too few to show") for s in shares],
        title=title,
        ylabel=what,
        alt=f"{title}. " + "; ".join(parts) + ".",
        percent=True,
        decimal=_decimal(),
    )


def _response_over_waves(waves: list[Wave], since: date | None, municipality: Municipality | None) -> Section:
    """Caseworkers invited and finished, and citizens rated of the frozen caseload, per wave: one
    municipality's (local meeting) or the project's (final report)."""
    section = Section(_("Response per wave"))
    rates = invitations.response_rates(waves)
    used: list[tuple[str, invitations.Rate]] = []
    for wave in waves:
        wave_rates = rates[wave.pk]
        rate = dict(wave_rates.municipalities).get(municipality.name) if municipality else wave_rates.total
        if rate is not None and rate.invited:
            used.append((_wave_label(wave, since), rate))
    if not used:
        section.empty = _("No wave has been opened for these caseworkers yet.")
        return section
    labels = [label for label, _rate in used]
    people = disclosure.table_for(READER, [[r.completed, r.invited - r.completed] for _label, r in used])
    citizens = disclosure.table_for(
        READER, [[r.citizens_rated, r.citizens_frozen - r.citizens_rated] for _label, r in used]
    )
    shares = [_share(people.cells[i], people.row_totals[i]) for i in range(len(used))]
    coverage = [_share(citizens.cells[i], citizens.row_totals[i]) for i in range(len(used))]
    section.tables.append(
        Rows(
            head=[
                _("Wave"),
                _("Caseworkers invited"),
                _("Finished"),
                _("Response rate (95 % CI)"),
                _("Citizens in the caseloads"),
                _("Citizens rated"),
                _("Share rated (95 % CI)"),
            ],
            rows=[
                [
                    labels[i],
                    _count(people.row_totals[i]),
                    _count(people.cells[i][0]),
                    _share_text(shares[i]),
                    _count(citizens.row_totals[i]),
                    _count(citizens.cells[i][0]),
                    _share_text(coverage[i]),
                ]
                for i in range(len(used))
            ],
        )
    )
    plot = _rates_plot(labels, shares, _("Caseworkers who finished the wave"), _("Response rate"))
    if plot:
        section.plots.append(plot)
    if since is not None:
        section.notes.append(
            _("Waves marked * opened since the last meeting (%(day)s).") % {"day": date_format(since, "DATE_FORMAT")}
        )
    return section


def _response_by_municipality(waves: list[Wave], codes: list[str]) -> Section:
    """The response rate of each municipality in each wave, and the latest wave as a plot."""
    section = Section(_("Response per municipality"))
    names = _names(codes)
    order = [names[c] for c in codes if c in names]
    if not waves or not order:
        section.empty = _("No wave has been opened yet.")
        return section
    rates = invitations.response_rates(waves)
    columns: list[list[Shown | None]] = []
    for wave in waves:
        by_name = dict(rates[wave.pk].municipalities)
        counts = [
            [by_name[n].completed, by_name[n].invited - by_name[n].completed] if n in by_name else [0, 0] for n in order
        ]
        table = disclosure.table_for(READER, counts)
        columns.append([_share(table.cells[i], table.row_totals[i]) for i in range(len(order))])

    def cell(s: Shown | None) -> str:
        return HIDDEN if s is None else f"{_pct(s.value)} (n = {s.n})"

    section.tables.append(
        Rows(
            head=[_("Municipality"), *[w.name for w in waves]],
            rows=[[name, *[cell(col[i]) for col in columns]] for i, name in enumerate(order)],
            caption=_("Share of the invited caseworkers who finished the wave (n = caseworkers invited)."),
        )
    )
    plot = _rates_plot(order, columns[-1], _("Response in %(wave)s") % {"wave": waves[-1].name}, _("Response rate"))
    if plot:
        section.plots.append(plot)
    return section


# --- belief -----------------------------------------------------------------------------------------


def _level_labels(wave: Wave | None) -> list[str]:
    item = Item.objects.filter(version_id=wave.instrument_version_id, key=BELIEF_KEY).first() if wave else None
    key = "label_da" if _danish() else "label_en"
    by_value = {int(o["value"]): str(o.get(key) or o["value"]) for o in item.options} if item else {}
    return [by_value.get(v, str(v)) for v in LEVELS] + [pgettext("rating", "Don't know")]


def _belief_counts(waves: list[Wave], group: str, codes: Sequence[str] | None) -> dict[tuple[int, str], list[int]]:
    """Specific-belief answers in force per (wave id, municipality code) and level (1..5, don't know)."""
    answers = Answer.objects.filter(wave__in=waves, item__key=BELIEF_KEY, citizen__isnull=False)
    if codes is not None:
        answers = answers.filter(citizen__municipality_id__in=codes)
    counts: dict[tuple[int, str], list[int]] = {}
    rows = (
        in_force(answers)
        .order_by()
        .values("wave_id", "citizen__municipality_id", "value", "dont_know")
        .annotate(n=Count("id"))
        .values_list("wave_id", "citizen__municipality_id", "value", "dont_know", "n")
    )
    for wave_id, code, value, dont_know, n in rows:
        column = len(LEVELS) if dont_know else (LEVELS.index(value) if value in LEVELS else None)
        if column is None:
            continue
        key = (wave_id, code if group == "municipality" else "")
        counts.setdefault(key, [0] * (len(LEVELS) + 1))[column] += n
    return counts


def _distribution(title: str, row_labels: list[str], counts: list[list[int]], columns: list[str]) -> Section:
    """The table (disclosure-controlled) and the plot of the rows whose every cell is shown: a plot cannot
    show a hidden cell, and its shares would give one away."""
    section = Section(title)
    table = disclosure.table_for(READER, counts)
    section.tables.append(
        Rows(
            head=["", *columns, _("Total")],
            rows=[
                [label, *[_count(c) for c in table.cells[i]], _count(table.row_totals[i])]
                for i, label in enumerate(row_labels)
            ],
            caption=_("Citizens by their caseworker's answer (the answer in force at the end of the wave)."),
        )
    )
    full = [
        i
        for i in range(len(row_labels))
        if not any(c.suppressed for c in table.cells[i])
        and not table.row_totals[i].suppressed
        and disclosure.shows_statistic(READER, table.row_totals[i].value or 0)
    ]
    if full:
        parts = []
        for i in full:
            n = sum(counts[i])
            believe = counts[i][3] + counts[i][4]
            parts.append(
                _("%(label)s: %(share)s of %(n)s answered yes, probably or certainly")
                % {"label": row_labels[i], "share": _pct(believe / n), "n": n}
            )
        section.plots.append(
            plots.belief_distribution(
                columns,
                [row_labels[i] for i in full],
                [counts[i] for i in full],
                title=title,
                alt=f"{title}. " + "; ".join(parts) + ".",
                decimal=_decimal(),
            )
        )
    if len(full) < len(row_labels):
        section.notes.append(_("Rows with a hidden cell are left out of the plot."))
    return section


def _belief_over_waves(
    project: Project, waves: list[Wave], since: date | None, municipality: Municipality | None
) -> Section:
    codes = [municipality.code] if municipality else None
    counts = _belief_counts(waves, "all", codes)
    used = [w for w in waves if (w.pk, "") in counts]
    title = _("Specific belief per wave")
    if not used:
        return Section(title, empty=_("No answers yet."))
    section = _distribution(
        title, [_wave_label(w, since) for w in used], [counts[(w.pk, "")] for w in used], _level_labels(used[-1])
    )
    if since is not None:
        section.notes.append(
            _("Waves marked * opened since the last meeting (%(day)s).") % {"day": date_format(since, "DATE_FORMAT")}
        )
    return section


def _belief_by_municipality(project: Project, waves: list[Wave], codes: list[str]) -> Section:
    counts = _belief_counts(waves, "municipality", codes)
    answered = [w for w in waves if any((w.pk, c) in counts for c in codes)]
    title = _("Specific belief per municipality")
    if not answered:
        return Section(title, empty=_("No answers yet."))
    wave = answered[-1]
    names = _names(codes)
    shown = [c for c in codes if (wave.pk, c) in counts]
    section = _distribution(
        _("Specific belief per municipality, %(wave)s") % {"wave": wave.name},
        [names[c] for c in shown],
        [counts[(wave.pk, c)] for c in shown],
        _level_labels(wave),
    )
    return section


# --- the collaboration's own record -------------------------------------------------------------------


def _opened_logs(project: Project, codes: Sequence[str]) -> list[str]:
    """Municipalities that have opened their experience log (and initiatives) to the others."""
    return list(
        LogSharing.objects.filter(project=project, municipality_id__in=codes, open=True).values_list(
            "municipality_id", flat=True
        )
    )


def _period(start: date, end: date | None) -> str:
    first = date_format(start, "SHORT_DATE_FORMAT")
    return f"{first}\u2013{date_format(end, 'SHORT_DATE_FORMAT')}" if end else _("from %(day)s") % {"day": first}


def _initiatives(project: Project, codes: Sequence[str], until: date, *, shared_only: bool = False) -> Section:
    section = Section(_("Initiatives"))
    if shared_only:
        section.intro = _("Initiatives of the municipalities that have opened their log to the others.")
    rows = (
        Initiative.objects.filter(project=project, municipality_id__in=codes, start__lte=until)
        .select_related("municipality", "focus_area")
        .order_by("municipality__name", "start", "pk")
    )
    for initiative in rows:
        text = initiative.what
        if initiative.what_happened:
            text += "\n" + _("What happened: %(text)s") % {"text": initiative.what_happened}
        meta = [initiative.municipality.name, focus_area_name(initiative.focus_area)]
        meta += [initiative.get_status_display(), _period(initiative.start, initiative.end)]
        section.entries.append(Entry(initiative.title, " \u00b7 ".join(meta), Truncator(text).chars(TEXT_CHARS)))
    if not section.entries:
        section.empty = _("No initiatives.")
    return section


def _experiences(
    project: Project,
    user: access.AnyUser,
    codes: Sequence[str],
    since: date | None,
    until: date,
    *,
    shared_only: bool = False,
) -> Section:
    """Experience-log entries of the period, the newest first. Read through access.experiences, so a pack
    never holds an entry its downloader could not read; the codes (the meeting's municipality, or those
    that opened their logs) keep it the same for every downloader."""
    section = Section(_("Experiences since the last meeting") if since else _("Experiences"))
    if shared_only:
        section.intro = _("From the experience logs the municipalities have opened to each other.")
    entries = (
        access.experiences(user)
        .filter(project=project, municipality_id__in=codes, day__lte=until)
        .select_related("municipality", "focus_area", "initiative")
    )
    if since is not None:
        entries = entries.filter(day__gt=since)
    for entry in entries.order_by("-day", "-pk")[:12]:
        subject = entry.initiative.title if entry.initiative else ""
        if entry.focus_area:
            subject = f"{focus_area_name(entry.focus_area)}{': ' + subject if subject else ''}"
        meta = f"{entry.municipality.name} \u00b7 {date_format(entry.day, 'DATE_FORMAT')}"
        if entry.attachment_name:
            meta += " \u00b7 " + _("attachment: %(name)s") % {"name": entry.attachment_name}
        section.entries.append(Entry(subject, meta, Truncator(entry.text).chars(TEXT_CHARS)))
    total = entries.count()
    if total > len(section.entries):
        section.notes.append(_("The %(shown)s newest of %(n)s entries.") % {"shown": len(section.entries), "n": total})
    if not section.entries:
        section.empty = _("No entries in the period.")
    return section


def _focus_areas(project: Project, until: date) -> Section:
    section = Section(_("Focus areas chosen"))
    choices = (
        FocusAreaChoice.objects.filter(project=project, start__lte=until)
        .select_related("municipality", "focus_area", "builds_on")
        .order_by("municipality__name", "start", "pk")
    )
    rows = [
        [
            c.municipality.name,
            focus_area_name(c.focus_area),
            _period(c.start, c.end),
            c.builds_on.name if c.builds_on else "",
        ]
        for c in choices
    ]
    if rows:
        section.tables.append(
            Rows(
                [_("Municipality"), _("Focus area"), _("Period"), _("Builds on the experience of")],
                rows,
                numeric_from=9,
            )
        )
    else:
        section.empty = _("No municipality has chosen a focus area yet.")
    return section


# --- stored analyses ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    data: dict[str, Any]
    finished: datetime | None
    stale: bool


def _stored(project: Project, kind: str) -> Stored | None:
    """The newest finished result of an analysis, or None when it has not been computed."""
    result = runs.latest(project, kind)
    if result is None or not isinstance(result.result, dict):
        return None
    return Stored(result.result, result.finished, runs.is_stale(result))


def _stored_notes(section: Section, stored: Stored) -> None:
    when = date_format(timezone.localtime(stored.finished), "DATETIME_FORMAT") if stored.finished else "?"
    section.notes.append(_("Computed %(when)s.") % {"when": when})
    if stored.stale:
        section.notes.append(_("The result was computed before the newest data; run the analysis again."))


def _not_computed(title: str) -> Section:
    return Section(title, empty=_("Not yet computed."))


def _effect_label(name: str) -> str:
    return {
        "belief": _("Specific belief, one step higher"),
        "general": _("Caseworker believes in general"),
        "changed": _("Change of caseworker"),
    }.get(name, name)


def _enough(n: Any) -> bool:
    """Whether a statistic resting on the persons counted in ``n`` ({"citizens", "caseworkers", ...}) may be
    shown: at least the threshold of citizens and of caseworkers."""
    if not isinstance(n, dict):
        return False
    persons = [n.get("citizens"), n.get("caseworkers")]
    return all(isinstance(p, int) and disclosure.shows_statistic(READER, p) for p in persons if p is not None) and any(
        isinstance(p, int) for p in persons
    )


def _finite(*values: Any) -> bool:
    return all(isinstance(v, int | float) and math.isfinite(v) for v in values)


def _hr_text(effect: dict[str, Any]) -> str:
    if not _finite(effect.get("hr"), effect.get("ci_low"), effect.get("ci_high")):
        return str(effect.get("reason") or _("could not be estimated"))
    return f"{_num(effect['hr'], 2)} ({_num(effect['ci_low'], 2)}\u2013{_num(effect['ci_high'], 2)})"


def _n_text(n: dict[str, Any]) -> str:
    return _("%(citizens)s citizens, %(events)s jobs or educations, %(caseworkers)s caseworkers") % {
        "citizens": n.get("citizens", "?"),
        "events": n.get("events", "?"),
        "caseworkers": n.get("caseworkers", "?"),
    }


def _forest(title: str, rows: list[plots.ForestRow], alt_parts: list[str]) -> plots.Plot | None:
    if not any(_finite(r.estimate) for r in rows):
        return None
    return plots.forest(
        rows,
        title=title,
        xlabel=_("Hazard ratio (95 % CI, log scale)"),
        alt=f"{title}. " + "; ".join(alt_parts) + ".",
        decimal=_decimal(),
    )


def _effects_section(title: str, effects: list[dict[str, Any]], n: dict[str, Any]) -> Section:
    section = Section(title)
    if not _enough(n):
        section.empty = _("Too few to show: the analysis rests on fewer than %(k)s persons.") % {
            "k": disclosure.threshold()
        }
        return section
    section.intro = _("Hazard ratios: above 1, a job or education comes sooner. n: %(n)s.") % {"n": _n_text(n)}
    rows = [
        plots.ForestRow(
            _effect_label(str(e.get("name"))),
            float(e["hr"]) if _finite(e.get("hr"), e.get("ci_low"), e.get("ci_high")) else math.nan,
            float(e["ci_low"]) if _finite(e.get("ci_low")) else math.nan,
            float(e["ci_high"]) if _finite(e.get("ci_high")) else math.nan,
            "" if _finite(e.get("hr")) else str(e.get("reason") or _("could not be estimated")),
        )
        for e in effects
    ]
    section.tables.append(
        Rows(
            [_("Effect"), _("Hazard ratio (95 % CI)")],
            [[_effect_label(str(e.get("name"))), _hr_text(e)] for e in effects],
        )
    )
    plot = _forest(title, rows, [f"{_effect_label(str(e.get('name')))}: {_hr_text(e)}" for e in effects])
    if plot:
        section.plots.append(plot)
    return section


def _trajectory_band(label: str, trajectory: dict[str, Any], positions: dict[Any, int]) -> plots.Band | None:
    """A belief trajectory's points that may be shown (at least the threshold of citizens and caseworkers)."""
    points = [
        p
        for p in trajectory.get("points") or []
        if p.get("wave") in positions and _finite(p.get("mean"), p.get("ci_low"), p.get("ci_high")) and _enough(p)
    ]
    if not points:
        return None
    return plots.Band(
        label,
        [positions[p["wave"]] for p in points],
        [float(p["mean"]) for p in points],
        [float(p["ci_low"]) for p in points],
        [float(p["ci_high"]) for p in points],
        [int(p.get("n") or 0) for p in points],
    )


def _trajectories_section(title: str, belief: Stored, series: list[tuple[str, dict[str, Any]]]) -> Section:
    section = Section(title)
    waves = belief.data.get("waves") or []
    positions = {w.get("number"): i for i, w in enumerate(waves)}
    bands = [b for label, t in series if (b := _trajectory_band(label, t, positions)) is not None]
    if not bands:
        section.empty = _("Too few to show.")
        _stored_notes(section, belief)
        return section
    section.intro = _(
        "Mean specific belief (1 = no, certainly not; 5 = yes, certainly) per wave, from a mixed model, with "
        "95 %% confidence bands. Points resting on fewer than %(k)s citizens or caseworkers are left out."
    ) % {"k": disclosure.threshold()}
    alt = "; ".join(
        f"{b.label}: " + ", ".join(f"{waves[int(x)].get('name')} {_num(y, 2)}" for x, y in zip(b.x, b.y, strict=True))
        for b in bands
    )
    section.plots.append(
        plots.trajectories(
            bands,
            x_labels=[str(w.get("name")) for w in waves],
            title=title,
            xlabel=_("Wave"),
            ylabel=_("Mean specific belief"),
            alt=f"{title}. {alt}.",
            decimal=_decimal(),
        )
    )
    _stored_notes(section, belief)
    return section


def _general_section(belief: Stored, entries: list[dict[str, Any]]) -> Section | None:
    """The share of caseworkers who believe in general that their citizens can get a job within a year."""
    names = {w.get("number"): str(w.get("name")) for w in belief.data.get("waves") or []}
    rows = []
    for e in entries:
        n = e.get("n")
        if isinstance(n, int) and disclosure.shows_statistic(READER, n) and _finite(e.get("share")):
            text = _pct_ci(e["share"], e["ci_low"], e["ci_high"])
        else:
            text = _("too few to show")
        rows.append(
            [
                names.get(e.get("wave"), str(e.get("wave"))),
                text,
                str(n) if isinstance(n, int) and disclosure.shows_statistic(READER, n) else HIDDEN,
            ]
        )
    if not rows:
        return None
    section = Section(_("Caseworkers who believe in general that their citizens can get a job within a year"))
    section.tables.append(Rows([_("Wave"), _("Share answering yes (95 % CI)"), _("Caseworkers")], rows))
    return section


def _stored_for_municipality(project: Project, municipality: Municipality) -> list[Section]:
    sections: list[Section] = []
    belief = _stored(project, "belief")
    title = _("Belief over the waves: %(municipality)s") % {"municipality": municipality.name}
    if belief is None:
        sections.append(_not_computed(title))
    else:
        trajectories = belief.data.get("trajectories") or {}
        own = next((m for m in trajectories.get("municipalities") or [] if m.get("code") == municipality.code), None)
        series = [(municipality.name, own)] if own else []
        sections.append(_trajectories_section(title, belief, series))
        general = next(
            (
                m
                for m in (belief.data.get("general") or {}).get("municipalities") or []
                if m.get("code") == municipality.code
            ),
            None,
        )
        if general and (extra := _general_section(belief, general.get("waves") or [])):
            sections.append(extra)
    bip = _stored(project, "bip")
    title = _("Belief and jobs (BIP): %(municipality)s") % {"municipality": municipality.name}
    if bip is None:
        sections.append(_not_computed(title))
        return sections
    own = next((m for m in bip.data.get("municipalities") or [] if m.get("code") == municipality.code), None)
    if own is None:
        section = Section(title, empty=_("Not estimated for this municipality."))
    else:
        section = _effects_section(title, own.get("effects") or [], own.get("n") or {})
    _stored_notes(section, bip)
    sections.append(section)
    focus = [f for f in bip.data.get("focus_areas") or [] if f.get("municipality") == municipality.code]
    if focus:
        sections.append(_focus_before_after(focus, bip))
    return sections


def _focus_before_after(entries: list[dict[str, Any]], bip: Stored) -> Section:
    section = Section(_("Belief and jobs before and after each focus area was taken up"))

    def belief_effect(part: Any) -> str:
        if not isinstance(part, dict) or not _enough(part.get("n")):
            return _("too few to show")
        effect = next((e for e in part.get("effects") or [] if e.get("name") == "belief"), None)
        return _hr_text(effect) if effect else _("could not be estimated")

    rows = [
        [
            str(f.get("focus_area") or ""),
            str(f.get("taken_up") or ""),
            belief_effect(f.get("before")),
            belief_effect(f.get("after")),
        ]
        for f in entries
    ]
    section.tables.append(
        Rows(
            [_("Focus area"), _("Taken up"), _("Before: hazard ratio (95 % CI)"), _("After: hazard ratio (95 % CI)")],
            rows,
            caption=_("Hazard ratio of one step higher specific belief."),
        )
    )
    _stored_notes(section, bip)
    return section


def _stored_across(project: Project, codes: list[str]) -> list[Section]:
    sections: list[Section] = []
    names = _names(codes)
    belief = _stored(project, "belief")
    title = _("Belief over the waves per municipality")
    if belief is None:
        sections.append(_not_computed(title))
    else:
        trajectories = belief.data.get("trajectories") or {}
        series = [(names[m["code"]], m) for m in trajectories.get("municipalities") or [] if m.get("code") in names]
        sections.append(_trajectories_section(title, belief, series))
    bip = _stored(project, "bip")
    title = _("Belief and jobs (BIP) per municipality")
    if bip is None:
        sections.append(_not_computed(title))
        return sections
    section = Section(title)
    section.intro = _("Hazard ratio of one step higher specific belief in each municipality.")
    rows: list[plots.ForestRow] = []
    table: list[list[str]] = []
    for m in bip.data.get("municipalities") or []:
        if m.get("code") not in names:
            continue
        effect: dict[str, Any] = next((e for e in m.get("effects") or [] if e.get("name") == "belief"), {})
        name = names[m["code"]]
        if not _enough(m.get("n")):
            rows.append(plots.ForestRow(name, math.nan, math.nan, math.nan, _("too few to show")))
            table.append([name, _("too few to show"), ""])
            continue
        shown = _finite(effect.get("hr"), effect.get("ci_low"), effect.get("ci_high"))
        rows.append(
            plots.ForestRow(
                name,
                float(effect["hr"]) if shown else math.nan,
                float(effect["ci_low"]) if shown else math.nan,
                float(effect["ci_high"]) if shown else math.nan,
                f"n = {m['n'].get('citizens')}" if shown else _hr_text(effect),
            )
        )
        table.append([name, _hr_text(effect), str(m["n"].get("citizens", ""))])
    if table:
        section.tables.append(Rows([_("Municipality"), _("Hazard ratio (95 % CI)"), _("Citizens")], table))
        plot = _forest(title, rows, [f"{r[0]}: {r[1]}" for r in table])
        if plot:
            section.plots.append(plot)
    else:
        section.empty = _("Not estimated per municipality.")
    _stored_notes(section, bip)
    sections.append(section)
    return sections


def _stored_project(project: Project) -> list[Section]:
    """The final report's analyses: the BIP for the whole project, what it means in one-year shares, the
    Kaplan-Meier curves by belief level, the project's belief trajectory and the intervention estimate."""
    sections: list[Section] = []
    bip = _stored(project, "bip")
    title = _("Belief and jobs (BIP)")
    if bip is None:
        sections.append(_not_computed(title))
    else:
        data = bip.data
        section = _effects_section(title, data.get("effects") or [], data.get("n") or {})
        share = data.get("not_believing") or {}
        if (
            isinstance(share.get("n"), int)
            and disclosure.shows_statistic(READER, share["n"])
            and _finite(share.get("share"))
        ):
            section.notes.append(
                _(
                    "%(share)s of %(n)s caseworkers do not believe in general that "
                    "their citizens can get a job within a year."
                )
                % {"share": _pct_ci(share["share"], share["ci_low"], share["ci_high"]), "n": share["n"]}
            )
        _stored_notes(section, bip)
        sections.append(section)
        sections.append(_implied(data, bip))
        km = _km(data)
        if km:
            sections.append(km)
    belief = _stored(project, "belief")
    title = _("Belief over the waves")
    if belief is None:
        sections.append(_not_computed(title))
    else:
        trajectories = belief.data.get("trajectories") or {}
        sections.append(_trajectories_section(title, belief, [(project.name, trajectories.get("project") or {})]))
        sections.append(_did(belief))
    return sections


def _implied(data: dict[str, Any], bip: Stored) -> Section:
    section = Section(_("What the hazard ratios mean: the share in a job or education within a year"))
    implied = {e.get("belief"): e for e in data.get("implied") or []}
    observed = {e.get("belief"): e for e in data.get("observed") or []}
    rows = []
    for level in LEVELS:
        i, o = implied.get(level) or {}, observed.get(level) or {}
        model = (
            _pct_ci(i["share"], i["ci_low"], i["ci_high"])
            if _finite(i.get("share"), i.get("ci_low"), i.get("ci_high"))
            else "\u2013"
        )
        n = o.get("n")
        if (
            isinstance(n, int)
            and disclosure.shows_statistic(READER, n)
            and _finite(o.get("share"), o.get("ci_low"), o.get("ci_high"))
        ):
            seen = _pct_ci(o["share"], o["ci_low"], o["ci_high"])
        else:
            seen = _("too few to show")
        rows.append([str(level), model, seen, str(n) if isinstance(n, int) and n >= disclosure.threshold() else HIDDEN])
    section.tables.append(
        Rows(
            [_("Specific belief"), _("Model-implied (95 % CI)"), _("Observed, Kaplan-Meier (95 % CI)"), _("Citizens")],
            rows,
        )
    )
    _stored_notes(section, bip)
    return section


def _km(data: dict[str, Any]) -> Section | None:
    curves = []
    for curve in data.get("km") or []:
        n = curve.get("n")
        if not (isinstance(n, int) and disclosure.shows_statistic(READER, n)):
            continue
        time, share, low, high = (curve.get(k) or [] for k in ("time", "share", "low", "high"))
        if not time or not (len(time) == len(share) == len(low) == len(high)):
            continue
        if not all(_finite(*v) for v in zip(time, share, low, high, strict=True)):
            continue
        curves.append(
            plots.Band(_("Belief %(level)s") % {"level": curve.get("belief")}, time, share, low, high, [n] * len(time))
        )
    if not curves:
        return None
    title = _("Share in a job or education by specific belief")
    alt = "; ".join(f"{c.label}: {_pct(c.y[-1])} (n = {c.n[0] if c.n else '?'})" for c in curves)
    section = Section(title)
    section.plots.append(
        plots.km_curves(
            curves,
            title=title,
            xlabel=_("Weeks since the answer"),
            ylabel=_("In a job or education"),
            alt=f"{title}, Kaplan-Meier. {alt}.",
            ordered=True,
            decimal=_decimal(),
        )
    )
    return section


def _did(belief: Stored) -> Section:
    section = Section(_("Did the focus areas move belief?"))
    section.intro = _(
        "Staggered difference-in-differences over the municipalities' take-up of their first focus area, with "
        "few-cluster inference. With four municipalities an estimate is fragile: a confidence interval that "
        "includes 0 means the data cannot tell, not that nothing happened."
    )
    first = (belief.data.get("did") or {}).get("first") or {}
    overall = first.get("overall") or {}
    if first.get("estimable") and _finite(overall.get("estimate"), overall.get("ci_low"), overall.get("ci_high")):
        section.tables.append(
            Rows(
                [_("Estimate (belief points)"), _("95 % CI"), _("Municipalities")],
                [
                    [
                        _num(overall["estimate"], 2),
                        f"{_num(overall['ci_low'], 2)}\u2013{_num(overall['ci_high'], 2)}",
                        str(first.get("clusters", "")),
                    ]
                ],
                numeric_from=0,
            )
        )
    else:
        section.empty = _("Not estimable with these data (%(reason)s).") % {"reason": first.get("reason") or "?"}
    _stored_notes(section, belief)
    return section


def _methods() -> Section:
    section = Section(_("Methods"))
    section.notes = [
        _(
            "Response: caseworkers invited to a wave and those who finished it; the response rate's confidence "
            "interval (95 %) is Wilson's."
        ),
        _(
            "Specific belief: each caseworker's latest answer about each citizen in the frozen caseload of the "
            'wave; "don\'t know" is counted but not a scale point.'
        ),
        _(
            "Belief and jobs: a duration model of the time from each answer to the first job or education, with "
            "hazard ratios and confidence intervals (95 %) robust to the same caseworker rating many citizens; the "
            "one-year shares are what the model implies at each belief level, beside Kaplan-Meier estimates."
        ),
        _(
            "Belief over the waves: a mixed model with the caseworker and the citizen as random effects; the "
            "focus areas' effect: a staggered difference-in-differences with a wild cluster bootstrap."
        ),
        _(
            "Every analysis is stored with a fingerprint of its data; a result computed before the newest data is "
            "marked as such."
        ),
    ]
    return section
