"""URLs of the activity plan (issue 6, point 4), mounted at plan/.

Each new URL needs a row in jobtro/organisation/tests/test_access_walk.py's EXPECTED table.
"""

from django.urls import path

from jobtro.collaboration import activity_edit_views, costs_views, views

app_name = "collaboration"

urlpatterns = [
    path("", views.timeline, name="timeline"),
    path("<int:pk>/", views.activity_detail, name="activity_detail"),
    path("<int:pk>/move/", views.activity_move, name="activity_move"),
    path("new/", activity_edit_views.activity_create, name="activity_create"),
    path("<int:pk>/edit/", activity_edit_views.activity_edit, name="activity_edit"),
    path("<int:pk>/participants/", activity_edit_views.activity_participants, name="activity_participants"),
    path("<int:pk>/talks/", activity_edit_views.activity_talks, name="activity_talks"),
    path("my/", views.my_calendar, name="my_calendar"),
    path("feed/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("feed/m/<str:token>.ics", views.municipality_feed, name="municipality_feed"),
    path("costs/", costs_views.costs_page, name="costs"),
]
