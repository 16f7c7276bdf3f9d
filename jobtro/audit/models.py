"""The append-only audit log: every read of identifiable citizen data and every change.

Append-only three times over: the model refuses updates and deletes, its queryset refuses bulk
updates and deletes, and on PostgreSQL a trigger refuses UPDATE and DELETE in the database itself.
The actor is stored as id + label (not a foreign key) so that deleting a user never rewrites history.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    pass


class AuditQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("the audit log is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("the audit log is append-only")


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        READ = "read", _("Read identifiable data")
        CREATE = "create", _("Created")
        UPDATE = "update", _("Changed")
        DELETE = "delete", _("Deleted")
        LOGIN = "login", _("Logged in")
        LOGOUT = "logout", _("Logged out")
        LOGIN_FAILED = "login_failed", _("Failed login")
        BULK = "bulk", _("Bulk change")

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True, db_index=True)
    actor_label = models.CharField(_("who"), max_length=200)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    # Never a name or CPR number: citizens appear by pseudonym.
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    municipality_code = models.CharField(_("municipality"), max_length=4, blank=True, db_index=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    via = models.CharField(_("via"), max_length=10, default="web")  # web, cli or task
    ip = models.GenericIPAddressField(_("from (IP)"), null=True, blank=True)
    path = models.CharField(_("path"), max_length=300, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_type} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("the audit log is append-only")
