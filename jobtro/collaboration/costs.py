"""Fees and resource use of a project, from its rows (the arithmetic is :mod:`jobtro.lib.costs`).

Fees
----
:func:`recompute_fees` splits the research centre's shared costs over the municipalities taking part on
a day and keeps the result as a :class:`~jobtro.collaboration.models.FeeRecord` (the history). It runs
from signals when a :class:`~jobtro.collaboration.models.SharedCost` is saved or deleted, and when a
municipality joins or leaves a project whose fees are in use (one with shared costs). A recomputation that
gives the same fees as the latest record adds no row, so repeated saves do not fill the history; bulk
loaders either bulk-insert (no signals) or wrap their writes in :func:`fees_deferred` and recompute once.

Resource use
------------
:func:`resource_summary` sums the attended activities: hours by the person's role (the role they held in
the municipality on the activity's day) x the format's hours, and km x the project's
:class:`~jobtro.collaboration.models.ResourceRate` (created with the default rate when first needed).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from jobtro.collaboration.models import Activity, FeeRecord, Participant, ResourceRate, SharedCost
from jobtro.lib.costs import Attendance, ResourceSummary, fees_for, summary
from jobtro.organisation.models import Membership, Municipality, Participation, Project, Role

# When a person holds several roles in the municipality that day, the hours count under the first of these.
ROLE_ORDER = (Role.TEAM_LEADER, Role.KEY_PERSON, Role.CASEWORKER, Role.DATA_MANAGER)
NO_ROLE = "other"

_deferred: contextvars.ContextVar[bool] = contextvars.ContextVar("fees_deferred", default=False)


@contextmanager
def fees_deferred() -> Iterator[None]:
    """Within the block, saving shared costs or participations does not recompute the fees (call
    :func:`recompute_fees` once afterwards)."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)


def participating(project: Project, on: date | None = None) -> list[str]:
    """The codes of the municipalities taking part on ``on`` (default today), in join order (ties by code)."""
    day = on or timezone.localdate()
    rows = (
        Participation.objects.filter(project=project, joined__lte=day)
        .filter(Q(left__isnull=True) | Q(left__gt=day))
        .order_by("joined", "municipality_id")
    )
    return list(rows.values_list("municipality_id", flat=True))


def shared_costs_total(project: Project) -> Decimal:
    total = SharedCost.objects.filter(project=project).aggregate(total=Sum("amount"))["total"]
    return Decimal(total or 0).quantize(Decimal("0.01"))


@transaction.atomic
def recompute_fees(project: Project, reason: str, on: date | None = None) -> FeeRecord:
    """Split the shared costs over the municipalities taking part on ``on`` (default today).

    Returns the new :class:`FeeRecord` (``municipalities``: code -> fee as a string, in join order; the
    fees sum exactly to the total), or the latest one unchanged when the fees are the same.
    """
    codes = participating(project, on)
    total = shared_costs_total(project)
    fees = {code: str(fee) for code, fee in fees_for(codes, total).items()} if codes else {}
    latest = FeeRecord.objects.filter(project=project).first()
    if latest is not None and latest.total_costs == total and latest.municipalities == fees:
        return latest
    return FeeRecord.objects.create(project=project, reason=reason[:200], total_costs=total, municipalities=fees)


def _cascade(sender: type[Any], kwargs: dict[str, Any]) -> bool:
    """Whether a delete signal comes from deleting something else (the project): then there is nothing to
    recompute, and a fee record written now would point at a project about to go."""
    if "created" in kwargs:
        return False
    origin = kwargs.get("origin")
    model = getattr(origin, "model", None) or type(origin)
    return model is not sender


@receiver(post_save, sender=SharedCost, dispatch_uid="collaboration.costs.cost_saved")
@receiver(post_delete, sender=SharedCost, dispatch_uid="collaboration.costs.cost_deleted")
def _cost_changed(sender: type[SharedCost], instance: SharedCost, raw: bool = False, **kwargs: Any) -> None:
    if raw or _deferred.get() or _cascade(sender, kwargs):
        return
    deleted = "created" not in kwargs
    verb = "removed" if deleted else ("added" if kwargs["created"] else "changed")
    recompute_fees(instance.project, f"Shared cost {verb}: {instance.description}")


@receiver(post_save, sender=Participation, dispatch_uid="collaboration.costs.participation_saved")
@receiver(post_delete, sender=Participation, dispatch_uid="collaboration.costs.participation_deleted")
def _participation_changed(
    sender: type[Participation], instance: Participation, raw: bool = False, **kwargs: Any
) -> None:
    if raw or _deferred.get() or _cascade(sender, kwargs):
        return
    project = instance.project
    # Only projects whose fees are in use: a project without shared costs has nothing to split.
    if not SharedCost.objects.filter(project=project).exists():
        return
    if "created" not in kwargs:
        reason = f"{instance.municipality} left the project"
    elif kwargs["created"]:
        reason = f"{instance.municipality} joined the project"
    else:
        reason = f"{instance.municipality}'s participation changed"
    recompute_fees(project, reason)


def km_rate(project: Project) -> Decimal:
    """The project's transport rate (DKK per km); the rate row is created with the default when missing."""
    rate, _ = ResourceRate.objects.get_or_create(project=project)
    return Decimal(rate.km_rate)


def attendances(project: Project, municipality: Municipality | None = None) -> list[Attendance]:
    """One :class:`Attendance` per person who attended a (not cancelled) activity of the project for a
    municipality; people who represent none (the research centre's) are left out."""
    rows = Participant.objects.filter(
        activity__project=project, activity__cancelled=False, attended=True
    ).select_related("activity")
    if municipality is not None:
        rows = rows.filter(municipality=municipality)
    participants = list(rows)
    staff_ids = {p.staff_id for p in participants}
    memberships: dict[int, list[Membership]] = {}
    for membership in Membership.objects.filter(staff_id__in=staff_ids, role__in=ROLE_ORDER):
        memberships.setdefault(membership.staff_id, []).append(membership)
    out = []
    for participant in participants:
        activity: Activity = participant.activity
        day = activity.day
        held = [
            m
            for m in memberships.get(participant.staff_id, [])
            if m.start <= day
            and (m.end is None or day < m.end)
            and (participant.municipality_id is None or m.municipality_id == participant.municipality_id)
        ]
        code = participant.municipality_id or next((m.municipality_id for m in held if m.municipality_id), None)
        if code is None:
            continue
        roles = {m.role for m in held}
        role = next((str(r.value) for r in ROLE_ORDER if r in roles), NO_ROLE)
        out.append(Attendance(role=role, format=activity.format, km=participant.km, municipality=code))  # type: ignore[arg-type]
    return out


def resource_summary(project: Project, municipality: Municipality | None = None) -> ResourceSummary:
    """Hours by role and transport per municipality and for the project (only ``municipality``'s if given)."""
    return summary(attendances(project, municipality), km_rate(project))


# --- writes from the costs page -----------------------------------------------------------------------------
# The fee history follows by itself: saving or deleting a SharedCost recomputes the fees (signals above).


def add_shared_cost(
    project: Project,
    *,
    category: str,
    description: str,
    amount: Decimal,
    day: date,
    activity: Activity | None = None,
) -> SharedCost:
    """Record a shared cost of the research centre; the fees are recomputed (a new FeeRecord if they change)."""
    if activity is not None and activity.project_id != project.pk:
        raise ValueError("the activity belongs to another project")
    cost = SharedCost(
        project=project, category=category, description=description, amount=amount, day=day, activity=activity
    )
    cost.full_clean()
    cost.save()
    return cost


def remove_shared_cost(cost: SharedCost) -> None:
    """Delete a shared cost; the fees are recomputed."""
    cost.delete()


def set_km_rate(project: Project, rate: Decimal) -> ResourceRate:
    """Set the project's transport rate (DKK per km), not negative."""
    if not rate.is_finite() or rate < 0:
        raise ValueError(f"the kilometre rate must be a finite number, not negative, not {rate}")
    row, _ = ResourceRate.objects.get_or_create(project=project)
    row.km_rate = rate
    row.full_clean()
    row.save()
    return row
