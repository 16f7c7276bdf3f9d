from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "jobtro.audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        # Connects the change and login signal handlers that write the audit log.
        from jobtro.audit import signals  # noqa: F401
