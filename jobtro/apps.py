from django.contrib.admin.apps import AdminConfig


class JobtroAdminConfig(AdminConfig):
    """Django admin, opened only to holders of the administrator role (see admin_site.py)."""

    default_site = "jobtro.admin_site.JobtroAdminSite"
