"""URLs of the insight pages (namespace `insight`, under /insight/): packs."""

from django.urls import URLPattern, path  # noqa: F401

urlpatterns: list[URLPattern] = []
