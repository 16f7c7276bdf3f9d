from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from jobtro.audit import views as audit_views
from jobtro.organisation import views as organisation_views
from jobtro.reports import views as report_views

urlpatterns = [
    path("", report_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("project/", organisation_views.project, name="project"),
    path("municipalities/", organisation_views.municipality_list, name="municipality_list"),
    path("municipalities/<str:code>/", organisation_views.municipality_detail, name="municipality_detail"),
    path("units/<int:pk>/", organisation_views.unit_detail, name="unit_detail"),
    path("staff/", organisation_views.staff_list, name="staff_list"),
    path("", include("jobtro.measurement.urls")),
    path("outcomes/", include("jobtro.outcomes.urls")),
    path("areas/", include("jobtro.collaboration.log_urls")),
    path("plan/", include("jobtro.collaboration.urls")),
    path("insight/", include("jobtro.reports.urls")),
    path("audit/", audit_views.audit_log, name="audit_log"),
    path("admin/", admin.site.urls),
]
