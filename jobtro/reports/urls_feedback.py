"""URLs of the insight pages (namespace `insight`, under /insight/): a caseworker's own expectation
feedback and the researchers' calibration page."""

from django.urls import URLPattern, path

from jobtro.reports import feedback_views

urlpatterns: list[URLPattern] = [
    path("feedback/", feedback_views.feedback, name="feedback"),
    path("calibration/", feedback_views.calibration, name="calibration"),
]
