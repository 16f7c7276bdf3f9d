"""Every change to a jobtro model, and every login, lands in the audit log.

Done with signals rather than discipline so that nothing - a view, the admin, a command, the shell -
can change data without a trace. Bulk writes (imports, the demo loader) bypass model signals and
record one BULK event themselves.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps as global_apps
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest

from jobtro.audit.actions import record
from jobtro.audit.context import Actor
from jobtro.audit.middleware import actor_for, client_ip
from jobtro.audit.models import AuditEvent

# Models whose changes are audited: ours and Django's auth groups. Sessions, task results and the
# audit log itself are bookkeeping, not data.
_AUDITED_APPS = {"organisation", "measurement", "outcomes", "collaboration", "auth"}
# A web upload's job row is progress bookkeeping like a task result; the import it makes is audited.
_NOT_AUDITED = {"outcomes.ImportJob"}
# Field values never copied into the audit log (only the fact that they changed): secrets, and the
# columnar outcome data (megabytes of Parquet; the import's BULK event says what changed in it).
_SECRET_FIELDS = {
    "password",
    "cpr_encrypted",
    "name_encrypted",
    "last_login",
    "persons_parquet",
    "data_parquet",
    "codes",
    "spells_parquet",
    "counting_parquet",
    "sources",
    "attachment",
}


def _audited(sender: type[models.Model]) -> bool:
    # Historical models (a migration's RunPython) are not audited: a migration is reviewed, versioned
    # code, and it may run before the audit log's own table exists (`jobtro migrate organisation`).
    return (
        sender._meta.apps is global_apps
        and sender._meta.app_label in _AUDITED_APPS
        and not sender._meta.auto_created
        and sender._meta.label not in _NOT_AUDITED
    )


def _value(obj: models.Model, field: models.Field[Any, Any]) -> Any:
    value = field.value_from_object(obj)
    return value if isinstance(value, (int, float, bool, str, type(None))) else str(value)


@receiver(pre_save)
def _remember_old(sender: type[models.Model], instance: models.Model, raw: bool = False, **kwargs: Any) -> None:
    if raw or not _audited(sender) or instance.pk is None or instance._state.adding:
        return
    old = sender._default_manager.filter(pk=instance.pk).first()
    instance._audit_old = old  # type: ignore[attr-defined]


@receiver(post_save)
def _log_save(
    sender: type[models.Model], instance: models.Model, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if raw or not _audited(sender):
        return
    if created:
        record(AuditEvent.Action.CREATE, instance)
        return
    old = getattr(instance, "_audit_old", None)
    changes: dict[str, Any] = {}
    if old is not None:
        for field in sender._meta.concrete_fields:
            before, after = _value(old, field), _value(instance, field)
            if before != after:
                changes[field.name] = "changed" if field.name in _SECRET_FIELDS else [before, after]
    if old is not None and not changes:
        return  # a save that changed nothing is not a change
    if set(changes) == {"last_login"}:
        return  # the login event already says it
    record(AuditEvent.Action.UPDATE, instance, detail={"changes": changes})


@receiver(post_delete)
def _log_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if _audited(sender):
        record(AuditEvent.Action.DELETE, instance)


@receiver(user_logged_in)
def _log_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    actor = actor_for(request) if request is not None else Actor(id=user.pk, label=user.get_username())
    actor = Actor(id=user.pk, label=user.get_username(), via=actor.via, ip=actor.ip, path=actor.path)
    record(AuditEvent.Action.LOGIN, user, actor=actor)


@receiver(user_logged_out)
def _log_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        ip = client_ip(request) if request is not None else None
        record(AuditEvent.Action.LOGOUT, user, actor=Actor(id=user.pk, label=user.get_username(), ip=ip))


@receiver(user_login_failed)
def _log_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    ip = client_ip(request) if request is not None else None
    # The attempted username is kept (it is how brute force shows); the password never is.
    record(
        AuditEvent.Action.LOGIN_FAILED,
        object_type="organisation.Staff",
        object_repr=str(credentials.get("username", ""))[:200],
        actor=Actor(id=None, label="anonymous", ip=ip),
    )
