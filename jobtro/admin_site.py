"""The Django admin, for administrators only: is_staff alone is not enough, the role decides."""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from jobtro.organisation import access


class JobtroAdminSite(AdminSite):
    site_header = _("jobtro administration")
    site_title = _("jobtro administration")

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and access.is_administrator(user))
