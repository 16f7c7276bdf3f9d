"""Writes in the belief barometer: instrument versions, planning and opening waves, answers.

Every write here either goes through the ORM one object at a time (so the audit log's signals see
it) or records one BULK audit event for what it wrote in bulk.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from jobtro.audit.actions import record
from jobtro.audit.models import AuditEvent
from jobtro.measurement.instrument_defaults import DEFAULT_INSTRUMENT_NAME, DEFAULT_ITEMS
from jobtro.measurement.models import (
    Answer,
    CaseworkerAssignment,
    Citizen,
    Instrument,
    InstrumentVersion,
    Item,
    Wave,
    WaveCaseload,
)
from jobtro.organisation.models import Project, Staff, add_months

ITEM_FIELDS = ("key", "scope", "kind", "position", "text_da", "text_en", "options")


@transaction.atomic
def default_instrument_version() -> InstrumentVersion:
    """The newest version of the default instrument, creating version 1 from DOMAIN.md's wording."""
    instrument, _ = Instrument.objects.get_or_create(name=DEFAULT_INSTRUMENT_NAME)
    latest = instrument.latest_version()
    if latest is not None:
        return latest
    return new_version(instrument, DEFAULT_ITEMS, note="Standardinstrument (DOMAIN.md), ubekræftet ordlyd.")


@transaction.atomic
def new_version(
    instrument: Instrument, items: Sequence[dict[str, Any]], *, note: str = "", by: Staff | None = None
) -> InstrumentVersion:
    """Save an edited instrument as a new version. Old versions and their answers are untouched."""
    keys = [item["key"] for item in items]
    if len(set(keys)) != len(keys):
        raise ValueError("each item needs its own variable name")
    latest = instrument.latest_version()
    version = InstrumentVersion.objects.create(
        instrument=instrument, number=(latest.number + 1) if latest else 1, note=note, created_by=by
    )
    for item in items:
        Item.objects.create(version=version, **{f: item[f] for f in ITEM_FIELDS if f in item})
    return version


def wave_schedule(project: Project, every_months: int = 3, open_days: int = 14) -> list[tuple[int, date, date]]:
    """(number, opens, closes) for a baseline at the project's start and then every ``every_months``
    months until the project ends (the default 24 months give 9 waves: months 0, 3, ..., 24)."""
    waves = []
    number = 0
    while (months := number * every_months) <= project.duration_months:
        opens = add_months(project.start_date, months)
        waves.append((number, opens, opens + timedelta(days=open_days - 1)))
        number += 1
    return waves


@transaction.atomic
def plan_waves(
    project: Project,
    *,
    version: InstrumentVersion | None = None,
    every_months: int = 3,
    open_days: int = 14,
    reminder_days: Iterable[int] = (7, 2),
) -> list[Wave]:
    """Create the project's waves (keeping any that exist) and return all of them in order."""
    version = version or default_instrument_version()
    existing = {w.number for w in project.waves.all()}
    for number, opens, closes in wave_schedule(project, every_months, open_days):
        if number in existing:
            continue
        Wave.objects.create(
            project=project,
            number=number,
            name="Baseline" if number == 0 else f"Måling {number + 1}",
            opens_on=opens,
            closes_on=closes,
            instrument_version=version,
            reminder_days=sorted(set(reminder_days), reverse=True),
        )
    return list(project.waves.order_by("number"))


@transaction.atomic
def open_wave(wave: Wave, *, now: datetime | None = None) -> int:
    """Open a wave: freeze every caseworker's current caseload in the project's municipalities.

    Idempotent: opening an open wave changes nothing. Returns the number of frozen caseload rows.
    """
    wave = Wave.objects.select_for_update().get(pk=wave.pk)
    if wave.opened_at is not None:
        return wave.caseload.count()
    now = now or timezone.now()
    day = timezone.localdate(now)
    participating = wave.project.participations.filter(joined__lte=day).exclude(left__lte=day)
    current = CaseworkerAssignment.objects.current().filter(
        citizen__municipality__in=participating.values("municipality"), start__lte=day
    )
    rows = [WaveCaseload(wave=wave, caseworker_id=a.caseworker_id, citizen_id=a.citizen_id) for a in current]
    WaveCaseload.objects.bulk_create(rows)
    wave.opened_at = now
    wave.save(update_fields=["opened_at"])
    record(AuditEvent.Action.BULK, wave, detail={"opened": True, "frozen_caseload_rows": len(rows)})
    return len(rows)


class AnswerRejected(ValueError):
    """An answer that cannot be stored; ``code`` is stable, the message is for logs."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class SavedAnswer:
    answer: Answer
    created: bool  # False when the request had been stored before (a retry or a double click)


def record_answer(
    *,
    wave: Wave,
    item: Item,
    caseworker: Staff,
    citizen: Citizen | None,
    value: int | None,
    dont_know: bool = False,
    request_id: uuid.UUID,
    now: datetime | None = None,
) -> SavedAnswer:
    """Store one answer exactly once per ``request_id``.

    The caller has checked that the caseworker may answer for this citizen in this wave (access.py);
    this checks the answer itself: the wave is open, the item belongs to the wave's instrument
    version and scope, and the value is allowed.
    """
    now = now or timezone.now()
    if not wave.accepts_answers(timezone.localdate(now)):
        raise AnswerRejected("closed", "the wave does not accept answers now")
    if item.version_id != wave.instrument_version_id:
        raise AnswerRejected("item", "the item is not part of this wave's instrument")
    if (item.scope == Item.Scope.SPECIFIC) != (citizen is not None):
        raise AnswerRejected("item", "specific items are about one citizen, general items about none")
    if dont_know:
        if not item.has_dont_know:
            raise AnswerRejected("value", "only the belief scale and the agreement items have 'don't know'")
        value = None
    elif value is None or value not in item.allowed_values():
        raise AnswerRejected("value", f"{value!r} is not an allowed answer")

    existing = Answer.objects.filter(request_id=request_id).order_by("pk").first()
    if existing is not None:
        return _same_request(existing, wave, item, caseworker, citizen, value, dont_know)
    try:
        with transaction.atomic():
            answer = Answer.objects.create(
                wave=wave,
                item=item,
                caseworker=caseworker,
                citizen=citizen,
                value=value,
                dont_know=dont_know,
                request_id=request_id,
                received_at=now,
            )
    except IntegrityError:
        # The same request arrived twice at once; the other one won the race.
        existing = Answer.objects.filter(request_id=request_id).order_by("pk").first()
        if existing is None:
            raise
        return _same_request(existing, wave, item, caseworker, citizen, value, dont_know)
    return SavedAnswer(answer, created=True)


def _same_request(
    existing: Answer,
    wave: Wave,
    item: Item,
    caseworker: Staff,
    citizen: Citizen | None,
    value: int | None,
    dont_know: bool,
) -> SavedAnswer:
    same = (
        existing.wave_id == wave.pk
        and existing.item_id == item.pk
        and existing.caseworker_id == caseworker.pk
        and existing.citizen_id == (citizen.pk if citizen else None)
        and existing.value == value
        and existing.dont_know == dont_know
    )
    if not same:
        raise AnswerRejected("conflict", "this request id was already used for a different answer")
    return SavedAnswer(existing, created=False)


def current_answers(wave: Wave, caseworker: Staff) -> dict[tuple[int, int | None], Answer]:
    """The answer in force per (item, citizen) for a caseworker in a wave: the latest received."""
    latest: dict[tuple[int, int | None], Answer] = {}
    for answer in Answer.objects.filter(wave=wave, caseworker=caseworker).order_by("received_at", "id"):
        latest[(answer.item_id, answer.citizen_id)] = answer
    return latest


@transaction.atomic
def update_wave(
    wave: Wave,
    *,
    closes_on: date,
    reminder_days: Iterable[int],
    opens_on: date | None = None,
    instrument_version: InstrumentVersion | None = None,
) -> Wave:
    """Change a wave's dates and reminder days (and, before it opens, its instrument version).

    Once a wave is open its opening day and instrument are history (its caseloads are frozen and
    answers point at its items): only the closing day and the reminders may change. Saved through
    the ORM, so the audit log records what changed.
    """
    wave = Wave.objects.select_for_update().get(pk=wave.pk)
    if wave.opened_at is not None:
        if opens_on not in (None, wave.opens_on):
            raise ValueError("an open wave's opening day cannot change")
        if instrument_version is not None and instrument_version.pk != wave.instrument_version_id:
            raise ValueError("an open wave's instrument version cannot change")
    if opens_on is not None:
        wave.opens_on = opens_on
    if instrument_version is not None:
        if instrument_version.instrument_id != wave.instrument_version.instrument_id:
            raise ValueError("a wave's version must be of the same instrument")
        wave.instrument_version = instrument_version
    if closes_on < wave.opens_on:
        raise ValueError("a wave cannot close before it opens")
    wave.closes_on = closes_on
    wave.reminder_days = sorted({int(d) for d in reminder_days}, reverse=True)
    wave.save()
    return wave
