"""The insight pages under /insight/ (namespace ``insight``): stored analyses, what shapes belief,
expectation feedback and calibration, and meeting packs. One module of URLs per part."""

from jobtro.reports import urls_drivers, urls_feedback, urls_packs, urls_results

app_name = "insight"
urlpatterns = [
    *urls_results.urlpatterns,
    *urls_drivers.urlpatterns,
    *urls_feedback.urlpatterns,
    *urls_packs.urlpatterns,
]
