"""The administrator's view of outcomes: the project's status-code mapping is edited here (or with
`jobtro import-status --mapping`); the stored data and the import records are read-only - they change
only through an import, which checks the file and audits what it did."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from jobtro.outcomes.models import OutcomeImport, OutcomeStore, SpellBuild, StatusCodeOverride


@admin.register(StatusCodeOverride)
class StatusCodeOverrideAdmin(admin.ModelAdmin[StatusCodeOverride]):
    list_display = ("code", "category", "project")
    list_filter = ("project", "category")
    search_fields = ("code",)


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(OutcomeStore)
class OutcomeStoreAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "project", "rows", "persons", "covers_until", "updated_at")
    exclude = ("persons_parquet", "data_parquet", "codes")


@admin.register(OutcomeImport)
class OutcomeImportAdmin(ReadOnlyAdmin):
    list_display = ("file_name", "store", "rows", "persons", "added", "changed", "unchanged", "imported_at")
    list_filter = ("store__kind", "imported_via")


@admin.register(SpellBuild)
class SpellBuildAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "measurements", "with_outcome", "events", "counting_rows", "built_at")
    exclude = ("spells_parquet", "counting_parquet", "sources")
