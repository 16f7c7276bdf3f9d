"""Turn the seed's plan (:mod:`jobtro.lib.plan`) into Activity rows, and keep it so.

``apply_plan(project)`` creates the generated meetings a project lacks; ``add_municipality`` gives a
municipality that joins late its own start-up and local meetings around the days already taken. Both are
idempotent and never touch an activity that exists: a meeting a researcher moved, renamed or cancelled
stays as it is.

How "already exists" is decided
-------------------------------
An activity stores no link back to the rule that made it (its ``sequence`` is the iCalendar SEQUENCE), so
the generated activities of one kind in one municipality (or, for experience meetings, the project) are
taken to stand for the first *n* planned meetings of that kind, whatever their dates now are. Re-applying
creates only the planned meetings after those *n*. A meeting that should not be held is cancelled, not
deleted (deleting a generated meeting would let the next application create the group's last one again).

A late joiner
-------------
Creating a :class:`~jobtro.organisation.models.Participation` for a project whose plan has been applied
calls :func:`add_municipality` (``post_save``, see :func:`participation_created`); bulk inserts send no
signal, so a loader that bulk-creates participations calls :func:`apply_plan` itself afterwards.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, time
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from jobtro.audit.actions import record
from jobtro.audit.models import AuditEvent
from jobtro.collaboration.models import Activity
from jobtro.lib.plan import PlannedActivity, generate_plan, plan_for_municipality
from jobtro.organisation.models import Municipality, Participation, Project

# The default time of a generated meeting, by format.
TIMES: dict[str, tuple[time, time]] = {
    Activity.Format.FULL_DAY: (time(9, 0), time(15, 30)),
    Activity.Format.HALF_DAY: (time(9, 0), time(12, 30)),
}

GROUPED_KINDS = (Activity.Kind.STARTUP, Activity.Kind.LOCAL, Activity.Kind.EXPERIENCE)


def _members(project: Project) -> list[tuple[Municipality, date]]:
    """The project's municipalities that take part at some time in its period, with the day they joined
    (clamped to the start: a municipality that signed up before the start joins at the start)."""
    start, end = project.start_date, project.end_date
    out = []
    participations = Participation.objects.filter(project=project).select_related("municipality")
    for participation in participations.order_by("joined", "municipality_id"):
        joined = max(participation.joined, start)
        if joined >= end or (participation.left is not None and participation.left <= start):
            continue
        out.append((participation.municipality, joined))
    return out


def _existing(project: Project, municipality: Municipality | None = None) -> Counter[tuple[str, str | None]]:
    """How many generated activities of each (kind, municipality code) the project has."""
    rows = Activity.objects.filter(project=project, generated=True, kind__in=GROUPED_KINDS)
    if municipality is not None:
        rows = rows.filter(municipality=municipality)
    return Counter(rows.values_list("kind", "municipality_id"))


def _activity(project: Project, planned: PlannedActivity, municipalities: dict[str, Municipality]) -> Activity:
    municipality = municipalities[planned.municipality] if planned.municipality else None
    starts, ends = TIMES[planned.format]
    title = planned.title_da if municipality is None else f"{planned.title_da} – {municipality.name}"
    return Activity(
        project=project,
        kind=planned.kind,
        format=planned.format,
        municipality=municipality,
        title=title[:200],
        day=planned.day,
        starts=starts,
        ends=ends,
        # Start-up and local meetings are held in the municipality, experience meetings at the centre.
        venue=Activity.Venue.MUNICIPALITY if municipality is not None else Activity.Venue.RESEARCH_CENTRE,
        venue_municipality=municipality,
        generated=True,
    )


def _create_missing(
    project: Project,
    plan: Iterable[PlannedActivity],
    municipalities: dict[str, Municipality],
    existing: Counter[tuple[str, str | None]],
) -> list[Activity]:
    new = []
    for planned in sorted(plan, key=lambda p: (p.kind, p.municipality or "", p.sequence)):
        key = (planned.kind, planned.municipality)
        if existing[key] > 0:
            existing[key] -= 1  # stands for one that exists, wherever it has been moved
            continue
        new.append(_activity(project, planned, municipalities))
    return Activity.objects.bulk_create(sorted(new, key=lambda a: (a.day, a.kind, a.municipality_id or "")))


def _record(project: Project, what: str, created: Sequence[Activity], **extra: Any) -> None:
    counts = Counter(str(a.kind) for a in created)
    record(
        AuditEvent.Action.BULK,
        project,
        detail={"generated": what, "activities": len(created), **{k: counts[k] for k in sorted(counts)}, **extra},
    )


@transaction.atomic
def apply_plan(project: Project) -> int:
    """Create the seed plan's meetings the project lacks (see the module docstring); returns how many.

    Existing activities are never changed, so applying again after researchers moved meetings, or after
    a municipality joined, creates only what is missing. One BULK audit event records what was created.
    """
    members = _members(project)
    municipalities = {m.code: m for m, _ in members}
    plan = generate_plan(project.start_date, project.end_date, [(m.code, joined) for m, joined in members])
    created = _create_missing(project, plan, municipalities, _existing(project))
    if created:
        _record(project, "activity plan", created)
    return len(created)


@transaction.atomic
def add_municipality(project: Project, municipality: Municipality, joined: date) -> int:
    """Generate only ``municipality``'s start-up and local meetings, around the days already taken.

    For a municipality joining a project whose plan exists; returns how many activities were created
    (none if it has its meetings already). The start-up is staggered after those of the municipalities
    that joined before it.

    Raises
    ------
    ValueError
        If ``joined`` is outside the project period, or no working day is left for the start-up.
    """
    joined = max(joined, project.start_date)
    busy = set(
        Activity.objects.filter(project=project, cancelled=False)
        .exclude(municipality=municipality)
        .values_list("day", flat=True)
    )
    index = sum(
        1 for m, day in _members(project) if m.code != municipality.code and (day, m.code) < (joined, municipality.code)
    )
    plan = plan_for_municipality(project.start_date, project.end_date, municipality.code, joined, index, busy=busy)
    created = _create_missing(project, plan, {municipality.code: municipality}, _existing(project, municipality))
    if created:
        _record(project, "activity plan for a municipality joining", created, municipality=municipality.code)
    return len(created)


@receiver(post_save, sender=Participation, dispatch_uid="collaboration.planning.participation_created")
def participation_created(
    sender: type[Participation], instance: Participation, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    """A municipality joining a project whose plan has been applied gets its own meetings."""
    if raw or not created:
        return
    project = instance.project
    if not Activity.objects.filter(project=project, generated=True).exists():
        return  # no plan yet: apply_plan will include it
    if not instance.joined < project.end_date:
        return
    add_municipality(project, instance.municipality, instance.joined)
