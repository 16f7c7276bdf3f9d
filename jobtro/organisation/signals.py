from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from jobtro.organisation.actions import sync_admin_flag
from jobtro.organisation.models import Membership


@receiver(post_save, sender=Membership)
@receiver(post_delete, sender=Membership)
def _membership_changed(sender: type[Membership], instance: Membership, raw: bool = False, **kwargs: Any) -> None:
    # Memberships change through the admin's inline forms too, so this hangs on the signal.
    if not raw:
        sync_admin_flag(instance.staff)
