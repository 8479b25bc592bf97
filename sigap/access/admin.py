from django.contrib import admin

from .models import PopulationUpload


@admin.register(PopulationUpload)
class PopulationUploadAdmin(admin.ModelAdmin):
    """Read-only: uploads are made on the access page (all-or-nothing, audited)."""

    list_display = ("filename", "area_code", "row_count", "total_population", "created_at")
    search_fields = ("filename", "area_code")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
