"""Writes with side effects in the organisation."""

from __future__ import annotations

from jobtro.organisation.models import Membership, Role, Staff


def sync_admin_flag(staff: Staff) -> None:
    """Keep Django's is_staff (which only opens the admin's login form) in step with the
    administrator role. The admin site itself checks the role again on every request."""
    should = Membership.objects.active().filter(staff=staff, role=Role.ADMINISTRATOR).exists()
    if staff.is_staff != should:
        staff.is_staff = should
        staff.save(update_fields=["is_staff"])
