from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganisationConfig(AppConfig):
    name = "jobtro.organisation"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from jobtro.organisation import signals  # noqa: F401 - connects the membership handlers
