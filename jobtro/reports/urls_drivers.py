"""URLs of the insight pages (namespace `insight`, under /insight/): what shapes belief."""

from django.urls import URLPattern, path

from jobtro.reports import drivers_views

urlpatterns: list[URLPattern] = [
    path("drivers/", drivers_views.drivers, name="drivers"),
]
