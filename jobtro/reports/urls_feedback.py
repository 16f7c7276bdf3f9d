"""URLs of the insight pages (namespace `insight`, under /insight/): feedback."""

from django.urls import URLPattern, path  # noqa: F401

urlpatterns: list[URLPattern] = []
