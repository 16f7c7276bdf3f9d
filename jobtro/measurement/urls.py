"""URLs of the belief barometer: caseload imports, waves and invitations, rating, own answers, exports.

Each new URL needs a row in jobtro/organisation/tests/test_access_walk.py's EXPECTED table.
"""

from django.urls import path

from jobtro.measurement import views

urlpatterns = [
    path("citizens/", views.citizen_list, name="citizen_list"),
    path("citizens/<str:pseudonym>/", views.citizen_detail, name="citizen_detail"),
    # -- caseload import (data managers) --
    # -- waves, invitations, response rates (researchers) --
    # -- rating and the caseworker's own answers --
    # -- exports (researchers) --
]
