"""URLs of the insight pages (namespace `insight`, under /insight/): meeting packs."""

from django.urls import URLPattern, path

from jobtro.reports import pack_views

urlpatterns: list[URLPattern] = [
    path("packs/", pack_views.pack_list, name="packs"),
    path("packs/activity/<int:pk>.pdf", pack_views.pack_activity, name="pack_activity"),
    path("packs/final.pdf", pack_views.pack_final, name="pack_final"),
]
