"""URLs of the register imports (issue 4): the data manager's upload page and the job pages.

Each new URL needs a row in jobtro/organisation/tests/test_access_walk.py's EXPECTED table.
"""

from django.urls import path

from jobtro.outcomes import views

app_name = "outcomes"

urlpatterns = [
    path("import/", views.outcome_import, name="import"),
    path("jobs/<uuid:job_id>/", views.import_job, name="import_job"),
    path("jobs/<uuid:job_id>/status/", views.import_job_status, name="import_job_status"),
    path("jobs/<uuid:job_id>/problems.csv", views.import_job_problems, name="import_job_problems"),
]
