from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollaborationConfig(AppConfig):
    name = "jobtro.collaboration"
    label = "collaboration"
    verbose_name = _("Collaboration")

    def ready(self) -> None:
        # Connect the signal handlers: a late joiner's meetings, and fees recomputed on joins and costs.
        from jobtro.collaboration import costs, planning  # noqa: F401
