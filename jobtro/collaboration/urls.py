"""URLs of the activity plan (issue 6, point 4), mounted at plan/.

Each new URL needs a row in jobtro/organisation/tests/test_access_walk.py's EXPECTED table.
"""

from django.urls import path

from jobtro.collaboration import views

app_name = "collaboration"

urlpatterns = [
    path("", views.timeline, name="timeline"),
    path("<int:pk>/", views.activity_detail, name="activity_detail"),
    path("<int:pk>/move/", views.activity_move, name="activity_move"),
    path("my/", views.my_calendar, name="my_calendar"),
    path("feed/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("feed/m/<str:token>.ics", views.municipality_feed, name="municipality_feed"),
]
