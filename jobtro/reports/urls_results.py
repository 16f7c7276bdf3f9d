"""URLs of the insight pages (namespace `insight`, under /insight/): stored analyses and the live BIP."""

from django.urls import URLPattern, path

from jobtro.reports import results_views

urlpatterns: list[URLPattern] = [
    path("analyses/", results_views.analyses, name="analyses"),
    path("analyses/run/<slug:kind>/", results_views.analysis_run, name="analysis_run"),
    path("analyses/<int:pk>/", results_views.analysis_detail, name="analysis_detail"),
    path("bip/", results_views.bip, name="bip"),
]
