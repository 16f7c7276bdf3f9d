"""URLs of the insight pages (namespace `insight`, under /insight/): belief over the waves."""

from django.urls import URLPattern, path

from jobtro.reports import belief_views

urlpatterns: list[URLPattern] = [
    path("belief/", belief_views.belief, name="belief"),
]
