"""Writing the audit log. Everything that records an event comes through here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import models

from jobtro.audit.context import Actor, current_actor
from jobtro.audit.models import AuditEvent


def _municipality_code(obj: models.Model) -> str:
    code = getattr(obj, "municipality_id", None)
    if code is None and obj._meta.label == "organisation.Municipality":
        code = obj.pk
    if code is None and getattr(obj, "citizen_id", None) is not None:
        # Rows about one citizen (caseworker assignments, later answers) belong to the citizen's
        # municipality, so that filtering the log by municipality finds them.
        try:
            code = obj.citizen.municipality_id  # type: ignore[attr-defined]
        except ObjectDoesNotExist:
            code = None
    return str(code or "")


def record(
    action: str,
    obj: models.Model | None = None,
    *,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    municipality_code: str = "",
    detail: Mapping[str, Any] | None = None,
    actor: Actor | None = None,
) -> AuditEvent:
    who = actor or current_actor()
    if obj is not None:
        object_type = object_type or obj._meta.label
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
        municipality_code = municipality_code or _municipality_code(obj)
    return AuditEvent.objects.create(
        actor_id=who.id,
        actor_label=who.label[:200],
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        municipality_code=municipality_code,
        detail=dict(detail or {}),
        via=who.via,
        ip=who.ip,
        path=who.path,
    )


def record_reads(objects: Iterable[models.Model], *, purpose: str, actor: Actor | None = None) -> int:
    """Log one READ event per object whose identifiable data was shown. Returns how many."""
    who = actor or current_actor()
    events = [
        AuditEvent(
            actor_id=who.id,
            actor_label=who.label[:200],
            action=AuditEvent.Action.READ,
            object_type=obj._meta.label,
            object_id=str(obj.pk),
            object_repr=str(obj)[:200],
            municipality_code=_municipality_code(obj),
            detail={"purpose": purpose},
            via=who.via,
            ip=who.ip,
            path=who.path,
        )
        for obj in objects
    ]
    AuditEvent.objects.bulk_create(events)
    return len(events)
