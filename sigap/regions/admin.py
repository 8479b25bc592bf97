from django.contrib import admin

from .models import Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    """Regions are reference data loaded by `sigap regions load`: browse and search only."""

    list_display = ("code", "name", "level", "kind", "postal_code", "population", "utc_offset")
    list_filter = ("level", "kind", "utc_offset")
    search_fields = ("code", "name")
    show_full_result_count = False
    readonly_fields = [f.name for f in Region._meta.fields]

    def get_search_results(self, request, queryset, search_term):
        # The facility form's kelurahan box asks for level-4 regions only.
        qs, dup = super().get_search_results(request, queryset, search_term)
        if request.GET.get("model_name") == "facility" and request.GET.get("field_name") in {
            "village",
            "catchment",
        }:
            qs = qs.filter(level=Region.Level.VILLAGE)
        return qs, dup

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
