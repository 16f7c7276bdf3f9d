"""URLs of the belief barometer: caseload imports, waves and invitations, rating, own answers, exports.

Each new URL needs a row in jobtro/organisation/tests/test_access_walk.py's EXPECTED table.
"""

from django.urls import path

from jobtro.measurement import export_views, import_views, rating_views, views, wave_views

urlpatterns = [
    path("citizens/", views.citizen_list, name="citizen_list"),
    path("citizens/<str:pseudonym>/", views.citizen_detail, name="citizen_detail"),
    # -- caseload import (data managers) --
    path("caseload/import/", import_views.caseload_import, name="caseload_import"),
    # -- waves, invitations, response rates (researchers) --
    path("instrument/", wave_views.instrument_detail, name="instrument_detail"),
    path("instrument/edit/", wave_views.instrument_edit, name="instrument_edit"),
    path("waves/", wave_views.waves_home, name="waves_home"),
    path("projects/<int:project_id>/waves/", wave_views.wave_list, name="wave_list"),
    path("projects/<int:project_id>/waves/plan/", wave_views.wave_plan, name="wave_plan"),
    path("projects/<int:project_id>/response-rates/", wave_views.response_rates, name="response_rates"),
    path("waves/<int:pk>/edit/", wave_views.wave_edit, name="wave_edit"),
    path("waves/<int:pk>/open/", wave_views.wave_open, name="wave_open"),
    path("r/<str:token>/", wave_views.invitation_login, name="invitation_login"),
    # -- rating and the caseworker's own answers --
    path("waves/<int:wave_id>/rate/", rating_views.rate_wave, name="rate_wave"),
    path("waves/<int:wave_id>/rate/answer/", rating_views.rate_answer, name="rate_answer"),
    path("my/answers/", rating_views.my_answers, name="my_answers"),
    # -- exports (researchers) --
    path("exports/answers/", export_views.answer_export, name="answer_export"),
]
