"""Permissions follow roles: an active administrator membership grants the admin's model permissions
for the organisation, so administrators need not be Django superusers."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend

from jobtro.organisation import access

# Apps whose admin pages administrators manage (users, roles, units, projects; groups).
ADMINISTERED_APPS = frozenset({"organisation", "auth"})


class RoleBackend(BaseBackend):
    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return perm.split(".", 1)[0] in ADMINISTERED_APPS and access.is_administrator(user_obj)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return app_label in ADMINISTERED_APPS and access.is_administrator(user_obj)
