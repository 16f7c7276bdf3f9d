"""The insight pages under /insight/ (namespace ``insight``): stored analyses, what shapes belief,
expectation feedback and calibration, and meeting packs. One module of URLs per part."""

from django.urls import path

from jobtro.reports import insight, urls_belief, urls_drivers, urls_feedback, urls_packs, urls_results

app_name = "insight"
urlpatterns = [
    path("", insight.index, name="index"),
    *urls_results.urlpatterns,
    *urls_belief.urlpatterns,
    *urls_drivers.urlpatterns,
    *urls_feedback.urlpatterns,
    *urls_packs.urlpatterns,
]
