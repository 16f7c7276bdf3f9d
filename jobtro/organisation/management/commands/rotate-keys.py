"""`jobtro rotate-keys`: re-encrypt every stored identity under the primary encryption key.

Rotation: put the new key first in JOBTRO_ENCRYPTION_KEYS (keeping the old ones after it), restart,
run this command, then remove the old keys.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jobtro.audit.actions import record
from jobtro.audit.context import Actor, acting_as
from jobtro.audit.models import AuditEvent
from jobtro.measurement.identity import rotate_keys, rotation_status


class Command(BaseCommand):
    help = "Re-encrypt citizens' CPR numbers and names under the first key in JOBTRO_ENCRYPTION_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        with acting_as(Actor(id=None, label="jobtro rotate-keys", via="cli")):
            changed = rotate_keys()
            record(AuditEvent.Action.BULK, object_type="measurement.Citizen", detail={"rotated": changed})
        stale, total = rotation_status()
        self.stdout.write(f"Re-encrypted {changed} of {total} citizens' identities; {stale} still need rotation.")
