from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from jobtro.organisation.models import Membership, Municipality, Participation, Project, Staff, Unit


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin[Municipality]):
    list_display = ["code", "name", "region"]
    search_fields = ["code", "name"]
    list_filter = ["region"]

    # The 98 municipalities are shipped data (a migration loads them); they are not edited by hand.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Municipality | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Municipality | None = None) -> bool:
        return False


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin[Unit]):
    list_display = ["name", "kind", "municipality", "parent"]
    list_filter = ["kind", "municipality"]
    search_fields = ["name"]
    autocomplete_fields = ["parent"]


class MembershipInline(admin.TabularInline[Membership, Staff]):
    model = Membership
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(Staff)
class StaffAdmin(UserAdmin):  # type: ignore[type-arg]
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active"]


class ParticipationInline(admin.TabularInline[Participation, Project]):
    model = Participation
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin[Project]):
    list_display = ["name", "start_date", "duration_months"]
    inlines = [ParticipationInline]
