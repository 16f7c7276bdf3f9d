"""URLs of the focus areas, initiatives and the experience log (issue 6), mounted at /areas/.

Each new URL needs a row in jobtro/organisation/tests/test_access_walk.py's EXPECTED table.
"""

from django.urls import path

from jobtro.collaboration import log_views as views

app_name = "areas"

urlpatterns = [
    path("", views.areas, name="index"),
    path("choose/", views.choose, name="choose"),
    path("choices/<int:pk>/end/", views.choice_end, name="choice_end"),
    path("new/", views.focus_area_add, name="focus_area_add"),
    path("initiatives/", views.initiative_list, name="initiative_list"),
    path("initiatives/new/", views.initiative_create, name="initiative_create"),
    path("initiatives/<int:pk>/", views.initiative_detail, name="initiative_detail"),
    path("initiatives/<int:pk>/edit/", views.initiative_edit, name="initiative_edit"),
    path("log/", views.log, name="log"),
    path("log/sharing/", views.log_sharing, name="log_sharing"),
    path("log/<int:pk>/attachment/", views.log_attachment, name="log_attachment"),
]
