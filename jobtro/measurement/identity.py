"""Citizens' identity: pseudonymising CPR numbers on the way in, encrypting the identifiable part at
rest, and revealing it - only to those access.py allows, and always with an audit-log entry."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.signals import setting_changed
from django.dispatch import receiver

from jobtro.audit.actions import record_reads
from jobtro.lib.cpr import parse
from jobtro.lib.encryption import FieldCipher
from jobtro.lib.pseudonym import Pseudonymiser
from jobtro.measurement.models import Citizen
from jobtro.organisation import access
from jobtro.organisation.access import AnyUser


@cache
def cipher() -> FieldCipher:
    return FieldCipher(settings.JOBTRO_ENCRYPTION_KEYS)


@cache
def pseudonymiser() -> Pseudonymiser:
    return Pseudonymiser(settings.JOBTRO_PSEUDONYM_KEY.encode())


@receiver(setting_changed)
def _forget_keys(setting: str, **kwargs: Any) -> None:
    if setting in {"JOBTRO_ENCRYPTION_KEYS", "JOBTRO_PSEUDONYM_KEY"}:
        cipher.cache_clear()
        pseudonymiser.cache_clear()


def pseudonym_for(cpr_number: str) -> str:
    return pseudonymiser().pseudonym(cpr_number)


@dataclass(frozen=True)
class SealedIdentity:
    """What is stored for a new citizen: pseudonym, encrypted identity and the coarse facts."""

    pseudonym: str
    cpr_encrypted: str
    name_encrypted: str
    birth_year: int
    female: bool


def seal(cpr_number: str, name: str) -> SealedIdentity:
    """Pseudonymise and encrypt a citizen's identity. Raises CPRError for a malformed CPR number."""
    cpr = parse(cpr_number)
    box = cipher()
    return SealedIdentity(
        pseudonym=pseudonym_for(cpr.number),
        cpr_encrypted=box.encrypt(cpr.number),
        name_encrypted=box.encrypt(name.strip()),
        birth_year=cpr.birth_date.year,
        female=cpr.female,
    )


@dataclass(frozen=True)
class Identity:
    cpr: str  # formatted DDMMYY-SSSS
    name: str
    birth_date: str  # ISO date


def reveal(user: AnyUser, citizens: Sequence[Citizen], *, purpose: str) -> dict[int, Identity]:
    """Decrypt the identities of ``citizens`` for ``user`` and log one read per citizen.

    Raises PermissionDenied if any of them is outside the user's identifiable scope - callers select
    from ``access.identifiable_citizens`` so this is a second lock, not the first.
    """
    if not citizens:
        return {}
    wanted = {c.pk for c in citizens}
    allowed = set(access.identifiable_citizens(user).filter(pk__in=wanted).values_list("pk", flat=True))
    if wanted - allowed:
        raise PermissionDenied
    box = cipher()
    out: dict[int, Identity] = {}
    for citizen in citizens:
        cpr = parse(box.decrypt(citizen.cpr_encrypted))
        out[citizen.pk] = Identity(
            cpr=cpr.formatted, name=box.decrypt(citizen.name_encrypted), birth_date=cpr.birth_date.isoformat()
        )
    record_reads(citizens, purpose=purpose)
    return out


def rotate_keys(batch_size: int = 1000) -> int:
    """Re-encrypt every citizen's identity under the primary key. Returns how many rows changed."""
    box = cipher()
    changed = 0
    pending: list[Citizen] = []
    for citizen in Citizen.objects.only("pk", "cpr_encrypted", "name_encrypted").iterator(chunk_size=batch_size):
        if box.needs_rotation(citizen.cpr_encrypted) or box.needs_rotation(citizen.name_encrypted):
            citizen.cpr_encrypted = box.rotate(citizen.cpr_encrypted)
            citizen.name_encrypted = box.rotate(citizen.name_encrypted)
            pending.append(citizen)
        if len(pending) >= batch_size:
            changed += _flush(pending)
    changed += _flush(pending)
    return changed


def _flush(pending: list[Citizen]) -> int:
    n = len(pending)
    if n:
        Citizen.objects.bulk_update(pending, ["cpr_encrypted", "name_encrypted"])
        pending.clear()
    return n


def rotation_status(chunk: Iterable[Citizen] | None = None) -> tuple[int, int]:
    """(citizens whose identity needs re-encryption, all citizens) - for the administrator's page."""
    box = cipher()
    rows = chunk if chunk is not None else Citizen.objects.only("cpr_encrypted", "name_encrypted").iterator()
    total = stale = 0
    for citizen in rows:
        total += 1
        stale += box.needs_rotation(citizen.cpr_encrypted) or box.needs_rotation(citizen.name_encrypted)
    return stale, total
